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
