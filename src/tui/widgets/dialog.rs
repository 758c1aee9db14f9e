//! Pop-ups over the screen: a rectangle centred in an area, and a titled dialog of text lines
//! sized to fit them as they wrap.

use crate::model::text::escape_control;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

/// A `width` x `height` rectangle centred in `area` (clipped to it).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// A dialog of plain text lines (escaped: they may hold text from files), at most 64 columns
/// wide and tall enough for the lines as they wrap, so no choice is cut off.
pub fn draw_dialog(theme: &Theme, frame: &mut Frame, area: Rect, title: &str, lines: &[String]) {
    let text: Vec<Line> = lines
        .iter()
        .map(|l| Line::raw(escape_control(l).into_owned()))
        .collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Span::styled(format!(" {title} "), theme.title()));
    draw_popup(frame, area, 64, Paragraph::new(text).block(block));
}

/// A paragraph in a bordered block, in a centred pop-up at most `max_width` columns wide and as
/// tall as its lines wrap to (ratatui counts them the way it will draw them).
pub fn draw_popup(frame: &mut Frame, area: Rect, max_width: u16, paragraph: Paragraph) {
    let popup_width = area.width.min(max_width);
    let paragraph = paragraph.wrap(Wrap { trim: false });
    // The count adds the block's top and bottom rows but wraps at the width given: the inside,
    // between the two side borders.
    let rows = paragraph.line_count(popup_width.saturating_sub(2));
    let popup = centered(area, popup_width, u16::try_from(rows).unwrap_or(u16::MAX));
    frame.render_widget(Clear, popup);
    frame.render_widget(paragraph, popup);
}
