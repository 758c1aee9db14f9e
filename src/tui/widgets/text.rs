//! Text measured and cut in terminal cells: session text made safe to place cell by cell,
//! fitted to a width with an ellipsis, or wrapped. Shared by the diagram, tables and lists.

use crate::model::text::escape_control;
use ratatui::buffer::CellWidth;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

/// Makes text from a session safe to place cell by cell.
///
/// Control characters and direction overrides become visible escapes (`escape_control`). Zero-
/// width joiners, emoji variation selectors and skin-tone modifiers are dropped: terminals
/// disagree about how wide the sequences they build are, and a sequence drawn wider or narrower
/// than measured would shift every border after it on the row. A combining mark with nothing to
/// combine with gets a dotted circle to sit on, so no cell ever holds a zero-width symbol.
pub(crate) fn sanitize(text: &str) -> String {
    let escaped = escape_control(text);
    let mut out = String::with_capacity(escaped.len());
    let mut has_base = false;
    for c in escaped.chars() {
        match c {
            '\u{200d}' | '\u{fe0e}' | '\u{fe0f}' | '\u{1f3fb}'..='\u{1f3ff}' => {}
            // Line and paragraph separators may be taken as line breaks.
            '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
                has_base = true;
            }
            c if is_combining(c) => {
                if !has_base {
                    out.push('\u{25cc}');
                    has_base = true;
                }
                out.push(c);
            }
            c => {
                out.push(c);
                has_base = true;
            }
        }
    }
    out
}

/// Zero-width characters that attach to the character before them. The halfwidth katakana
/// sound marks are reported as zero-width but take a cell of their own in terminals (ratatui
/// counts them that way too).
fn is_combining(c: char) -> bool {
    !matches!(c, '\u{ff9e}' | '\u{ff9f}') && c.width() == Some(0)
}

/// The terminal cells of sanitized text: each a base character with the combining marks that
/// follow it, and its width as ratatui's buffer counts it (unicode-width underneath), so the
/// layout and the buffer agree on where every following cell goes.
pub(crate) fn cells(text: &str) -> Cells<'_> {
    Cells { rest: text }
}

pub(crate) struct Cells<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Cells<'a> {
    type Item = (&'a str, usize);

    fn next(&mut self) -> Option<(&'a str, usize)> {
        let mut chars = self.rest.char_indices();
        chars.next()?;
        let end = chars
            .find(|&(_, c)| !is_combining(c))
            .map_or(self.rest.len(), |(i, _)| i);
        let (cell, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some((cell, usize::from(cell.cell_width()).max(1)))
    }
}

/// Width of sanitized text in terminal cells.
/// A count with its noun: "1 match", "2 matches".
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub(crate) fn width(text: &str) -> usize {
    // Printable ASCII is one cell a character (no control characters, which may count as
    // combining): most text is, and question 1 measures every cell of its lists.
    if is_printable_ascii(text) {
        return text.len();
    }
    cells(text).map(|(_, w)| w).sum()
}

/// Width of session text once sanitized (`width(&sanitize(text))`), without making the
/// sanitized copy for printable ASCII, which sanitizing leaves as it is: question 2 measures
/// every element's title each frame.
pub(crate) fn sanitized_width(text: &str) -> usize {
    if is_printable_ascii(text) {
        return text.len();
    }
    width(&sanitize(text))
}

fn is_printable_ascii(text: &str) -> bool {
    text.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// Sanitized text cut to at most `max` cells, ending in `…` when something was cut.
pub(crate) fn fit(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for (cell, w) in cells(text) {
        if used + w > max - 1 {
            break;
        }
        out.push_str(cell);
        used += w;
    }
    out.push('…');
    out
}

/// Word-wraps sanitized text into at most `max_lines` lines: the first `first` cells wide, the
/// others `rest` wide. Words longer than a line are broken; what does not fit on the last line
/// is cut with an ellipsis.
pub(crate) fn wrap(text: &str, first: usize, rest: usize, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut remaining = text.trim();
    while !remaining.is_empty() && max_lines > 0 {
        let cap = if lines.is_empty() { first } else { rest };
        if lines.len() + 1 == max_lines || width(remaining) <= cap {
            lines.push(fit(remaining, cap));
            break;
        }
        let mut used = 0;
        let mut end = 0;
        let mut last_space = None;
        let mut broke_at_space = false;
        for (cell, w) in cells(remaining) {
            if used + w > cap {
                broke_at_space = cell == " ";
                break;
            }
            if cell == " " {
                last_space = Some(end);
            }
            used += w;
            end += cell.len();
        }
        let cut = match last_space {
            _ if broke_at_space => end,
            Some(space) if space > 0 => space,
            _ => end,
        };
        if cut == 0 {
            // Not even one cell fits: show that something is there.
            lines.push(fit(remaining, cap));
            break;
        }
        lines.push(remaining[..cut].trim_end().to_string());
        remaining = remaining[cut..].trim_start();
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// A line of sanitized spans cut to at most `max` cells, its last visible span ending in `…`
/// when something was cut; styles are kept.
pub(crate) fn fit_line(line: Line<'static>, max: usize) -> Line<'static> {
    let total: usize = line.spans.iter().map(|s| width(&s.content)).sum();
    if total <= max {
        return line;
    }
    let Line {
        spans,
        style,
        alignment,
    } = line;
    let mut out = Vec::new();
    let mut used = 0;
    for span in spans {
        let w = width(&span.content);
        // Leave one cell for the ellipsis, which goes in the span that is cut.
        if used + w < max {
            used += w;
            out.push(span);
            continue;
        }
        let room = max - used;
        // As many whole cells as leave one for the ellipsis.
        let mut cut = String::new();
        let mut cut_width = 0;
        for (cell, w) in cells(&span.content) {
            if cut_width + w > room.saturating_sub(1) {
                break;
            }
            cut.push_str(cell);
            cut_width += w;
        }
        if room > 0 {
            cut.push('…');
            out.push(Span::styled(cut, span.style));
        }
        break;
    }
    Line {
        spans: out,
        style,
        alignment,
    }
}

/// Replaces, in a drawn buffer, each cell holding an emoji sequence whose width terminals
/// disagree about (ZWJ sequences such as 👩‍👩‍👧, flags such as 🇫🇷, emoji with a variation
/// selector, skin-tone modifier, keycap or tag characters) with a symbol every terminal draws
/// as ratatui measured: the sequence's first character (👩, 👍, ❤), or a flag's two letters
/// (FR). Drawn wider than measured, such a cell pushes the rest of its row right, and the cells
/// it overwrote stay on screen, stale, because ratatui believes they are unchanged. The
/// replacement is never wider than the cell's measured width, so the layout stays as it is;
/// where it is narrower, the blank cell after it now shows.
pub(crate) fn settle_ambiguous_cells(buffer: &mut ratatui::buffer::Buffer) {
    for cell in &mut buffer.content {
        if let Some(symbol) = unambiguous(cell.symbol()) {
            cell.set_symbol(&symbol);
        }
    }
}

/// Characters that build emoji sequences, or (regional indicators) whose width on their own
/// differs between terminals.
fn is_sequence_char(c: char) -> bool {
    matches!(
        c,
        '\u{200d}'
            | '\u{fe0e}'
            | '\u{fe0f}'
            | '\u{20e3}'
            | '\u{1f3fb}'..='\u{1f3ff}'
            | '\u{1f1e6}'..='\u{1f1ff}'
            | '\u{e0020}'..='\u{e007f}'
    )
}

fn is_regional_indicator(c: char) -> bool {
    matches!(c, '\u{1f1e6}'..='\u{1f1ff}')
}

/// The symbol to draw instead of `symbol`, or `None` when terminals agree on its width.
fn unambiguous(symbol: &str) -> Option<String> {
    if symbol.is_ascii() || !symbol.chars().any(is_sequence_char) {
        return None;
    }
    if symbol.chars().all(is_regional_indicator) {
        // The letters a flag is spelled with: 🇫🇷 is FR, as wide as the flag was measured.
        return Some(
            symbol
                .chars()
                .map(|c| char::from(b'A' + (u32::from(c) - 0x1f1e6) as u8))
                .collect(),
        );
    }
    let measured = symbol.cell_width();
    let first = symbol.chars().next()?;
    match first.width() {
        Some(w) if w >= 1 && w <= usize::from(measured) && !is_sequence_char(first) => {
            Some(first.to_string())
        }
        _ if measured >= 1 => Some("\u{fffd}".to_string()),
        _ => Some(" ".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(line: &Line) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn plural_says_one_and_many() {
        assert_eq!(plural(1, "match", "matches"), "1 match");
        assert_eq!(plural(0, "match", "matches"), "0 matches");
        assert_eq!(plural(2, "threat needs", "threats need"), "2 threats need");
    }

    #[test]
    fn fit_line_keeps_what_fits_and_cuts_the_rest_with_an_ellipsis() {
        let line = || {
            Line::from(vec![
                Span::raw("TH-001 "),
                Span::raw("high "),
                Span::raw("Stored XSS"),
            ])
        };
        assert_eq!(text(&fit_line(line(), 40)), "TH-001 high Stored XSS");
        assert_eq!(text(&fit_line(line(), 22)), "TH-001 high Stored XSS");
        assert_eq!(text(&fit_line(line(), 21)), "TH-001 high Stored X…");
        assert_eq!(text(&fit_line(line(), 12)), "TH-001 high…");
        assert_eq!(text(&fit_line(line(), 5)), "TH-0…");
        for max in 1..30 {
            let cut = fit_line(line(), max);
            assert!(width(&text(&cut)) <= max, "{max}: {}", text(&cut));
        }
    }

    #[test]
    fn fit_line_measures_wide_characters() {
        let line = Line::from(vec![Span::raw("名前"), Span::raw("が長い")]);
        let cut = fit_line(line, 7);
        assert_eq!(text(&cut), "名前が…");
        assert_eq!(width(&text(&cut)), 7);
    }

    proptest::proptest! {
        /// The fast path for printable ASCII counts what the cells of sanitized text count.
        #[test]
        fn width_is_the_sum_of_the_cells_widths(text in "[ -~é\u{301}界]{0,24}") {
            let by_cells: usize = cells(&text).map(|(_, w)| w).sum();
            proptest::prop_assert_eq!(width(&text), by_cells);
        }

        /// Measuring session text as sanitized measures the sanitized text.
        #[test]
        fn sanitized_width_is_the_width_of_the_sanitized_text(
            text in "[ -~\\x00-\\x1f\\x7f é\u{301}\u{202e}\u{200d}界]{0,24}"
        ) {
            proptest::prop_assert_eq!(sanitized_width(&text), width(&sanitize(&text)));
        }
    }

    #[test]
    fn emoji_sequences_get_a_symbol_of_unambiguous_width() {
        assert_eq!(unambiguous("a").as_deref(), None);
        assert_eq!(unambiguous("名").as_deref(), None);
        assert_eq!(unambiguous("e\u{301}").as_deref(), None);
        assert_eq!(unambiguous("🚀").as_deref(), None);
        assert_eq!(unambiguous("👩\u{200d}👩\u{200d}👧").as_deref(), Some("👩"));
        assert_eq!(unambiguous("🇫🇷").as_deref(), Some("FR"));
        assert_eq!(unambiguous("🇫").as_deref(), Some("F"));
        assert_eq!(unambiguous("👍🏽").as_deref(), Some("👍"));
        assert_eq!(unambiguous("❤\u{fe0f}").as_deref(), Some("❤"));
        assert_eq!(unambiguous("1\u{fe0f}\u{20e3}").as_deref(), Some("1"));
        assert_eq!(unambiguous("\u{200d}").as_deref(), Some(" "));
    }
}
