//! Making text from files safe to show: control characters become visible escapes.

/// A short human description of a character for messages ("a space", "'/'", "U+0007").
pub fn describe_char(c: char) -> String {
    match c {
        ' ' => "a space".to_string(),
        c if c.is_control() => format!("control character U+{:04X}", c as u32),
        c => format!("'{c}'"),
    }
}

/// Returns `text` with every control character, and every character that changes text direction,
/// replaced by a visible escape, so that text read from a file cannot move the cursor, change the
/// terminal title or reorder what is shown around it.
pub fn escape_control(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Characters that files and machine-readable output keep as `\uXXXX` escapes, never raw: control
/// characters (C0, DEL, C1, whose raw bytes a terminal showing `git diff` or CI output would act
/// on) and invisible or direction-changing formatting characters (which make text read other
/// than it is). Tab and newline are left to each writer: TOML and JSON escape them their own way.
pub fn keep_escaped(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
                | '\u{061c}'
        )
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_sequences_and_bidi() {
        assert_eq!(escape_control("plain"), "plain");
        assert_eq!(escape_control("a\u{1b}]0;pwn\u{7}b"), "a\\e]0;pwn\\u{7}b");
        assert_eq!(escape_control("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(escape_control("l1\nl2"), "l1\\nl2");
    }
}
