//! Widgets shared by the screens.

pub mod dialog;
pub mod form;
pub mod text;
pub mod text_input;

use crate::tui::theme::Theme;
use ratatui::text::{Line, Span};

/// A footer line of `key description` pairs.
pub fn key_hints<'a>(hints: &[(&'a str, &'a str)], theme: &Theme) -> Line<'a> {
    let mut spans = Vec::new();
    for (key, what) in hints {
        spans.push(Span::styled(*key, theme.key()));
        spans.push(Span::raw(format!(" {what}  ")));
    }
    Line::from(spans)
}
