//! Keeps control and invisible formatting characters escaped in the canonical TOML.
//!
//! The `toml` crate writes C1 controls (U+0080–U+009F) and bidi or zero-width characters raw,
//! and may put them in a literal string, where no escape is possible. A session file that read
//! `"\u009b..."` would then be saved with the raw character, which reaches `git diff` and every
//! terminal that shows the file. This pass rewrites the serializer's output: such characters in a
//! basic string become `\uXXXX`, and a literal string holding one is rewritten as the equivalent
//! basic string. The result depends only on the input text, so saving stays byte-stable.

use crate::model::text::keep_escaped;

/// `toml` with every character of [`keep_escaped`] inside a string written as `\uXXXX`. Expects
/// the serializer's output: strings are the only place such characters can be (no comments).
pub(crate) fn escape_hidden(toml: String) -> String {
    if !toml.chars().any(keep_escaped) {
        return toml;
    }
    let mut out = String::with_capacity(toml.len() + 16);
    let mut rest = toml.as_str();
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("\"\"\"") {
            out.push_str("\"\"\"");
            rest = copy_basic(after, true, &mut out);
        } else if let Some(after) = rest.strip_prefix('"') {
            out.push('"');
            rest = copy_basic(after, false, &mut out);
        } else if let Some(after) = rest.strip_prefix("'''") {
            rest = rewrite_literal(after, true, &mut out);
        } else if let Some(after) = rest.strip_prefix('\'') {
            rest = rewrite_literal(after, false, &mut out);
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

fn push_escape(c: char, out: &mut String) {
    // Same form as the toml crate's own escapes of C0 controls (`\u001B`).
    out.push_str(&format!("\\u{:04X}", c as u32));
}

/// Copies the body of a basic string (after its opening delimiter) up to and including its
/// closing delimiter, escaping; returns what follows.
fn copy_basic<'a>(text: &'a str, multiline: bool, out: &mut String) -> &'a str {
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                if let Some((_, next)) = chars.next() {
                    out.push(next);
                }
            }
            '"' if !multiline => {
                out.push(c);
                return &text[i + 1..];
            }
            '"' => {
                // A closing `"""` may follow up to two quotes that belong to the content.
                let run = text[i..].bytes().take_while(|b| *b == b'"').count();
                if run >= 3 {
                    out.push_str(&text[i..i + run]);
                    return &text[i + run..];
                }
                out.push(c);
            }
            c if keep_escaped_in_string(c) => push_escape(c, out),
            c => out.push(c),
        }
    }
    ""
}

/// A literal string (after its opening delimiter): kept as it is unless it holds a character to
/// escape, in which case it is written as the basic string with the same content. Returns what
/// follows its closing delimiter.
fn rewrite_literal<'a>(text: &'a str, multiline: bool, out: &mut String) -> &'a str {
    let (content, rest) = if multiline {
        // The closing `'''` may follow up to two quotes that belong to the content.
        match text.find("'''") {
            Some(at) => {
                let run = text[at..].bytes().take_while(|b| *b == b'\'').count();
                (&text[..at + run - 3], &text[at + run..])
            }
            None => (text, ""),
        }
    } else {
        match text.find('\'') {
            Some(at) => (&text[..at], &text[at + 1..]),
            None => (text, ""),
        }
    };
    let delimiter = if multiline { "'''" } else { "'" };
    if !content.chars().any(keep_escaped_in_string) {
        out.push_str(delimiter);
        out.push_str(content);
        out.push_str(delimiter);
        return rest;
    }
    let delimiter = if multiline { "\"\"\"" } else { "\"" };
    out.push_str(delimiter);
    for c in content.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if keep_escaped_in_string(c) => push_escape(c, out),
            c => out.push(c),
        }
    }
    out.push_str(delimiter);
    rest
}

/// Newlines (in multi-line strings) and tabs are what the serializer itself writes raw.
fn keep_escaped_in_string(c: char) -> bool {
    keep_escaped(c) && c != '\n' && c != '\t'
}

#[cfg(test)]
mod tests {
    use crate::model::text::keep_escaped;
    use crate::model::{Component, ComponentKind, Session, StrideSet};
    use crate::store::{parse, to_toml};

    const HIDDEN: [char; 14] = [
        '\u{9b}', '\u{85}', '\u{80}', '\u{9f}', '\u{7f}', '\u{1b}', '\u{202e}', '\u{200b}',
        '\u{200f}', '\u{2066}', '\u{2069}', '\u{feff}', '\u{61c}', '\u{202a}',
    ];

    fn component(id: &str, name: String, notes: String) -> Component {
        Component {
            technology: None,
            not_applicable_reason: Default::default(),
            out_of_scope: Default::default(),
            dismissed: Default::default(),
            id: id.into(),
            name,
            kind: ComponentKind::Process,
            boundary: None,
            tags: vec![format!("t\u{9b}ag"), "plain".into()].into(),
            assets: Vec::new(),
            not_applicable: StrideSet::empty(),
            notes: notes.into(),
        }
    }

    #[test]
    fn control_and_bidi_characters_stay_escaped_and_round_trip() {
        let mut s = Session::new("Title \u{9b}31m \u{202e}gnp.exe");
        s.description = "it's \u{85}next".into();
        for (i, c) in HIDDEN.iter().enumerate() {
            // Every string kind the serializer chooses: plain (basic), with a quote (literal),
            // multi-line, multi-line with quotes and backslashes, and quotes at the end.
            s.components.push(component(
                &format!("c{i}"),
                format!("a{c}b"),
                format!("say \"x{c}\" it's\nline\\two"),
            ));
            s.components.push(component(
                &format!("d{i}"),
                format!("it's {c} \"q\""),
                format!("l1\nl2 {c}''"),
            ));
            s.components.push(component(
                &format!("e{i}"),
                format!("{c}\\"),
                format!("l1\nl2 {c}\"\""),
            ));
        }
        let text = to_toml(&s).expect("serializes");
        assert!(
            !text.chars().any(|c| keep_escaped(c) && c != '\n'),
            "raw hidden characters in:\n{text}"
        );
        assert!(text.contains("\\u009B"), "{text}");
        let (loaded, _) = parse(&text).expect("the written text parses");
        let mut expected = s.clone();
        expected.sort_tables();
        assert_eq!(loaded, expected);
        assert_eq!(
            to_toml(&loaded).expect("serializes"),
            text,
            "saving again changes no byte"
        );
    }

    #[test]
    fn an_escaped_c1_in_a_file_is_written_back_escaped() {
        let file = "schema = 1\ntitle = \"x\\u009b[2Jy \\u202Ez\"\n";
        let (session, _) = parse(file).expect("parses");
        assert_eq!(session.title, "x\u{9b}[2Jy \u{202e}z");
        assert_eq!(
            to_toml(&session).expect("serializes"),
            "schema = 1\ntitle = \"x\\u009B[2Jy \\u202Ez\"\n"
        );
    }
}
