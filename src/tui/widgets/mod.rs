//! Widgets shared by the screens.

pub mod dialog;
pub mod form;
pub mod text;
pub mod text_input;

use crate::tui::theme::Theme;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};

/// Screens at least this wide put their list and details side by side; narrower, one above the
/// other.
pub const SIDE_BY_SIDE: u16 = 100;

/// A screen's list pane and details pane: side by side (`wide` constraints) on a wide screen,
/// stacked (`narrow`) otherwise. Returns the two areas and whether they sit side by side.
pub fn list_and_details(
    area: Rect,
    wide: [Constraint; 2],
    narrow: [Constraint; 2],
) -> (Rect, Rect, bool) {
    let side_by_side = area.width >= SIDE_BY_SIDE;
    let [list, details] = if side_by_side {
        Layout::horizontal(wide).areas(area)
    } else {
        Layout::vertical(narrow).areas(area)
    };
    (list, details, side_by_side)
}

/// Like [`list_and_details`], but side by side the list is as wide as its widest row needs
/// (`want` cells, borders included), between two fifths of the width and what leaves the
/// details `details_min` cells: ids, names and flow labels are not cut while the details have
/// room to spare.
pub fn list_fitted_and_details(
    area: Rect,
    want: u16,
    details_min: u16,
    narrow: [Constraint; 2],
) -> (Rect, Rect, bool) {
    if area.width < SIDE_BY_SIDE {
        let [list, details] = Layout::vertical(narrow).areas(area);
        return (list, details, false);
    }
    let most = area.width.saturating_sub(details_min);
    let least = ((u32::from(area.width) * 2 / 5) as u16).min(most);
    let list = want.clamp(least, most);
    let [list, details] =
        Layout::horizontal([Constraint::Length(list), Constraint::Min(0)]).areas(area);
    (list, details, true)
}

/// The block around a details pane: a rule above it, and one on its left when it sits beside
/// the list.
pub fn details_block(side_by_side: bool, theme: &Theme) -> Block<'static> {
    Block::default()
        .borders(if side_by_side {
            Borders::TOP | Borders::LEFT
        } else {
            Borders::TOP
        })
        .border_style(theme.border())
}

/// A footer line of `key description` pairs.
pub fn key_hints<'a>(hints: &[(&'a str, &'a str)], theme: &Theme) -> Line<'a> {
    let mut spans = Vec::new();
    for (key, what) in hints {
        spans.push(Span::styled(*key, theme.key()));
        spans.push(Span::raw(format!(" {what}  ")));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_gets_the_width_its_rows_need_within_bounds() {
        let narrow = [Constraint::Percentage(50), Constraint::Percentage(50)];
        let area = Rect::new(0, 0, 120, 30);
        // What it needs, when the details keep their minimum.
        let (list, details, wide) = list_fitted_and_details(area, 70, 44, narrow);
        assert!(wide);
        assert_eq!((list.width, details.width, details.x), (70, 50, 70));
        // More than that: the details keep their minimum.
        let (list, details, _) = list_fitted_and_details(area, 200, 44, narrow);
        assert_eq!((list.width, details.width), (76, 44));
        // Short rows: still two fifths, so the list does not look lost.
        let (list, _, _) = list_fitted_and_details(area, 10, 44, narrow);
        assert_eq!(list.width, 48);
        // A narrow screen stacks them.
        let (list, details, wide) =
            list_fitted_and_details(Rect::new(0, 0, 80, 20), 200, 44, narrow);
        assert!(!wide);
        assert_eq!((list.width, details.width, details.y), (80, 80, 10));
    }
}
