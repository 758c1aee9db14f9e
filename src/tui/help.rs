//! The `?` overlay: every key of the screen on view, from the key table, then how forms work.
//! Descriptions wrap under their own column, and the overlay scrolls when it is taller than the
//! terminal (the forms section is the first thing a short terminal would cut off).

use super::app::App;
use super::keymap;
use super::theme::Theme;
use super::widgets::dialog::centered;
use super::widgets::text::{plural, wrap};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

/// The overlay is at most this wide.
const MAX_WIDTH: u16 = 90;
/// The key column: a space, the keys, padding; descriptions start after it.
const KEY_COLUMN: usize = 11;

pub(crate) const FORMS: &str = "In forms: Tab/↑↓ field, ←→ choose, space toggle, Enter save, Esc cancel; text fields: ←→ Home End, Ctrl-←/→ word, Ctrl-W/U/K delete, → takes the grey completion, paste works.";
const CLOSE: &str = "↑↓ PgUp PgDn g G scroll; Esc or any other key closes this help.";

/// The overlay's lines for an inside `width` cells wide, wrapped: a description's continuation
/// lines start under the description, not at the border.
pub fn lines(app: &App, theme: &Theme, width: u16) -> Vec<Line<'static>> {
    let width = usize::from(width).max(KEY_COLUMN + 8);
    let mut lines = key_lines(keymap::bindings(&app.contexts()), theme, width);
    lines.push(Line::raw(""));
    // What the screen's keys do not say: the quick-add grammar in question 1, notations.
    let contexts = app.contexts();
    let mut paragraphs: Vec<String> = Vec::new();
    if contexts.contains(&keymap::Context::Build) {
        paragraphs.extend(
            crate::tui::screens::build::quick::HELP
                .iter()
                .map(|line| line.trim().to_string()),
        );
    }
    paragraphs.extend(
        contexts
            .iter()
            .flat_map(|c| keymap::notes(*c))
            .map(|(what, how)| format!("{what}: {how}")),
    );
    paragraphs.extend([FORMS.to_string(), CLOSE.to_string()]);
    for text in &paragraphs {
        for part in wrap(text, width - 1, width - 2, usize::MAX)
            .into_iter()
            .enumerate()
        {
            // Continuation lines one cell further in, so each paragraph reads as one.
            let indent = if part.0 == 0 { " " } else { "  " };
            lines.push(Line::from(Span::styled(
                format!("{indent}{}", part.1),
                theme.dim(),
            )));
        }
    }
    lines
}

/// The key table's `bindings` as help lines `width` cells wide: the keys in their column, the
/// description wrapped under its own column. The attendee app's help uses it too.
pub fn key_lines<'b>(
    bindings: impl Iterator<Item = &'b keymap::Binding>,
    theme: &Theme,
    width: usize,
) -> Vec<Line<'static>> {
    let width = width.max(KEY_COLUMN + 8);
    let text_width = width - KEY_COLUMN;
    let mut lines = Vec::new();
    // Bindings without a label continue the one before them ("↑↓" covers both arrows).
    for b in bindings.filter(|b| !b.label.is_empty()) {
        // A label as wide as its column still leaves a space before the description.
        let label = if b.label.chars().count() >= KEY_COLUMN - 1 {
            format!(" {} ", b.label)
        } else {
            format!(" {:<10}", b.label)
        };
        let first = text_width
            .saturating_sub(label.chars().count() - KEY_COLUMN)
            .max(1);
        for (i, part) in wrap(b.help, first, text_width, usize::MAX)
            .into_iter()
            .enumerate()
        {
            lines.push(if i == 0 {
                Line::from(vec![
                    Span::styled(label.clone(), theme.key()),
                    Span::raw(part),
                ])
            } else {
                Line::raw(format!("{:KEY_COLUMN$}{part}", ""))
            });
        }
    }
    lines
}

/// Where the overlay goes on a screen of `size`, and its lines for that width.
fn layout(app: &App, theme: &Theme, area: Rect) -> (Rect, Vec<Line<'static>>) {
    let width = area.width.min(MAX_WIDTH);
    let lines = lines(app, theme, width.saturating_sub(2));
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    (centered(area, width, height), lines)
}

/// How far the overlay can scroll on a screen of `size` (width, height): 0 when it fits.
pub fn max_scroll(app: &App, size: (u16, u16)) -> u16 {
    let area = Rect::new(0, 0, size.0, size.1);
    let (popup, lines) = layout(app, &app.theme, area);
    let visible = usize::from(popup.height.saturating_sub(2));
    u16::try_from(lines.len().saturating_sub(visible)).unwrap_or(u16::MAX)
}

/// Rows a page key moves on a screen of `size`.
pub fn page(size: (u16, u16)) -> u16 {
    size.1.saturating_sub(4).max(1)
}

pub fn draw(app: &App, scroll: u16, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let (popup, lines) = layout(app, theme, area);
    let visible = usize::from(popup.height.saturating_sub(2));
    let max = lines.len().saturating_sub(visible);
    let scroll = usize::from(scroll).min(max);
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Span::styled(" Keys ", theme.title()));
    if scroll > 0 {
        block = block
            .title_top(Line::from(Span::styled(" ↑ more above ", theme.dim())).right_aligned());
    }
    if scroll < max {
        block = block.title_bottom(
            Line::from(Span::styled(
                format!(" ↓ more below ({}) ", plural(max - scroll, "line", "lines")),
                theme.warning(),
            ))
            .right_aligned(),
        );
    }
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0))
            .block(block),
        popup,
    );
}
