//! The Markdown report (`threatboard report --format md`), written for GitHub: tables, a Mermaid
//! data-flow diagram, links to the threat libraries.
//!
//! User text never becomes markup: control characters are made visible ([`escape_control`]),
//! `<` and `>` become HTML entities (so no raw HTML reaches the page), an `&` that would start
//! an entity reference is backslash-escaped (any other stays as written: "ATT&CK"), and the
//! characters that start Markdown syntax (`\`, backticks, `*`, `_`, `[`, `]`, `~`, `$`, `|`,
//! and `#`, `-`, `+`, `=` or `1.` at the start of a line) are backslash-escaped.

use super::context::ReportContext;
use super::document::{self, Block, Inline, Span};
use super::mermaid;
use crate::model::text::escape_control;
use std::fmt::Write as _;

/// The report; ends with one newline.
pub fn render(ctx: &ReportContext<'_>) -> String {
    let mut out = String::new();
    for block in document::build(ctx) {
        if !out.is_empty() {
            out.push('\n');
        }
        write_block(&mut out, ctx, &block);
    }
    out
}

fn write_block(out: &mut String, ctx: &ReportContext<'_>, block: &Block) {
    match block {
        Block::Heading { level, content, .. } => {
            let hashes = "#".repeat(usize::from((*level).clamp(1, 6)));
            // A `#` at the end of a heading would be taken for a closing sequence.
            let _ = writeln!(out, "{hashes} {}", inline(content).replace('#', "\\#"));
        }
        Block::Paragraph(content) => {
            let _ = writeln!(out, "{}", inline(content));
        }
        Block::Text(text) => out.push_str(&block_text(text)),
        Block::Table {
            headers,
            numeric,
            rows,
        } => {
            let _ = writeln!(out, "| {} |", headers.join(" | "));
            let align: Vec<&str> = (0..headers.len())
                .map(|i| {
                    if numeric.get(i).copied().unwrap_or(false) {
                        "--:"
                    } else {
                        "---"
                    }
                })
                .collect();
            let _ = writeln!(out, "| {} |", align.join(" | "));
            for row in rows {
                let cells: Vec<String> = row.iter().map(inline).collect();
                let _ = writeln!(out, "| {} |", cells.join(" | "));
            }
        }
        Block::List { ordered, items } => {
            for (i, item) in items.iter().enumerate() {
                if *ordered {
                    let _ = writeln!(out, "{}. {}", i + 1, inline(item));
                } else {
                    let _ = writeln!(out, "- {}", inline(item));
                }
            }
        }
        Block::Diagram => {
            out.push_str("```mermaid\n");
            out.push_str(&mermaid::render(&ctx.diagram));
            out.push_str("```\n");
        }
    }
}

fn inline(content: &Inline) -> String {
    let mut out = String::new();
    for span in content {
        match span {
            Span::Text(t) => out.push_str(&text(t)),
            Span::Strong(t) | Span::Tag { text: t, .. } => delimited(&mut out, t, "**"),
            Span::Em(t) => delimited(&mut out, t, "_"),
            Span::Link {
                text: t,
                url,
                title,
            } => {
                let _ = write!(
                    out,
                    "[{}]({} \"{}\")",
                    text(t),
                    url.replace('&', "&amp;"),
                    link_title(title)
                );
            }
        }
    }
    out
}

/// `**text**` with surrounding whitespace moved outside the delimiters, since `** x**` is not
/// emphasis in CommonMark.
fn delimited(out: &mut String, raw: &str, delimiter: &str) {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        out.push_str(&text(raw));
        return;
    }
    let start = raw.len() - raw.trim_start().len();
    out.push_str(&raw[..start]);
    out.push_str(delimiter);
    out.push_str(&text(trimmed));
    out.push_str(delimiter);
    out.push_str(&raw[start + trimmed.len()..]);
}

/// User text for inline use: in a paragraph, a list item, a heading or a table cell.
pub fn text(raw: &str) -> String {
    let raw = escape_control(raw);
    let mut out = String::with_capacity(raw.len() + 8);
    // A block marker at the start of the text: `#`, `-`, `+`, `=` (setext underline), `1.`.
    let digits = raw.chars().take_while(char::is_ascii_digit).count();
    let ordered_marker =
        digits > 0 && digits <= 9 && matches!(raw[digits..].chars().next(), Some('.') | Some(')'));
    for (i, c) in raw.char_indices() {
        match c {
            '&' if starts_entity(&raw[i + 1..]) => out.push_str("\\&"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '~' | '$' | '|' => {
                out.push('\\');
                out.push(c);
            }
            '#' | '-' | '+' | '=' if i == 0 => {
                out.push('\\');
                out.push(c);
            }
            '.' | ')' if ordered_marker && i == digits => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Whether the text after an `&` makes it a character reference in CommonMark: `name;`,
/// `#123;` or `#x1F;`. Only then does the `&` need escaping to stay as written.
fn starts_entity(rest: &str) -> bool {
    let Some(end) = rest.find(';') else {
        return false;
    };
    let body = &rest[..end];
    let numeric = body
        .strip_prefix("#x")
        .or_else(|| body.strip_prefix("#X"))
        .map(|hex| !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()))
        .or_else(|| {
            body.strip_prefix('#')
                .map(|dec| !dec.is_empty() && dec.chars().all(|c| c.is_ascii_digit()))
        });
    numeric.unwrap_or_else(|| {
        body.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && body.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

/// A link title: inside double quotes, so `"` and `\` are escaped too.
fn link_title(raw: &str) -> String {
    let raw = escape_control(raw);
    raw.char_indices()
        .fold(String::with_capacity(raw.len()), |mut out, (i, c)| {
            match c {
                '&' if starts_entity(&raw[i + 1..]) => out.push_str("\\&"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' | '\\' | '|' => {
                    out.push('\\');
                    out.push(c);
                }
                c => out.push(c),
            }
            out
        })
}

/// Multi-line user text as paragraphs: blank lines separate paragraphs, other line breaks are
/// kept as hard breaks; leading indentation is dropped (it would make a code block).
pub fn block_text(raw: &str) -> String {
    let mut out = String::new();
    let mut paragraph: Vec<String> = Vec::new();
    let flush = |paragraph: &mut Vec<String>, out: &mut String| {
        if paragraph.is_empty() {
            return;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&paragraph.join("\\\n"));
        out.push('\n');
        paragraph.clear();
    };
    for line in raw.lines() {
        let line = line.trim();
        if line.is_empty() {
            flush(&mut paragraph, &mut out);
        } else {
            paragraph.push(text(line));
        }
    }
    flush(&mut paragraph, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_inert() {
        assert_eq!(
            text("<script>alert(1)</script> | `x` *y* _z_ [a](b) & \\"),
            "&lt;script&gt;alert(1)&lt;/script&gt; \\| \\`x\\` \\*y\\* \\_z\\_ \\[a\\](b) & \\\\"
        );
        // An & stays as written unless it would start an entity reference.
        assert_eq!(text("MITRE ATT&CK"), "MITRE ATT&CK");
        assert_eq!(
            text("R&D; &copy; &#169; &#xA9;"),
            "R\\&D; \\&copy; \\&#169; \\&#xA9;"
        );
        assert_eq!(text("a & b;"), "a & b;");
        assert_eq!(text("# not a heading"), "\\# not a heading");
        assert_eq!(text("- not a list"), "\\- not a list");
        assert_eq!(text("1. not a list"), "1\\. not a list");
        assert_eq!(text("2026-11-23"), "2026-11-23");
        assert_eq!(text("a\u{1b}[31mred"), "a\\\\e\\[31mred");
    }

    #[test]
    fn blocks_keep_lines_and_paragraphs() {
        assert_eq!(
            block_text("first\n    ===\n\n\n# second"),
            "first\\\n\\===\n\n\\# second\n"
        );
    }

    #[test]
    fn emphasis_keeps_whitespace_outside() {
        let mut out = String::new();
        delimited(&mut out, "Model: ", "**");
        assert_eq!(out, "**Model:** ");
    }
}
