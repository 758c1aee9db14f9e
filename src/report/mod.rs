//! Outputs for people and tools beyond the room: the results of
//! `check` as text, JSON and SARIF; the session report as Markdown, HTML, JSON and CSV; the
//! data-flow diagram as Mermaid, DOT and SVG. Other tools' formats are in [`crate::interop`].

pub mod check;
pub mod context;
pub mod csv;
pub mod document;
pub mod dot;
pub mod html;
pub mod json;
pub mod markdown;
pub mod mermaid;
pub mod svg;

/// Pretty-printed JSON in which C1 controls and bidi or invisible formatting characters are
/// `\uXXXX` escapes like the C0 controls serde_json escapes itself: raw, they would act on a
/// terminal or make a CI log read other than it is. Empty if the value cannot be serialized.
pub fn to_json_pretty<T: serde::Serialize + ?Sized>(value: &T) -> String {
    // serde_json escapes every C0 control inside strings; a raw newline is its pretty layout.
    let escape = |c: char| c != '\n' && crate::model::text::keep_escaped(c);
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    // Every character to escape is a control or outside ASCII: plain ASCII text (the usual
    // case, megabytes on large models) is checked a byte at a time, without decoding.
    let plain = |b: &u8| (b' '..0x7f).contains(b) || *b == b'\n';
    if text.as_bytes().iter().all(plain) || !text.chars().any(escape) {
        return text;
    }
    // JSON's own syntax is ASCII, so any such character is inside a string, where an escape
    // stands for it. None is outside the Basic Multilingual Plane: four digits suffice.
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if escape(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_keeps_c1_and_bidi_characters_escaped() {
        let value = serde_json::json!({"t": "a\u{9b}31m\u{202e}b\u{1b}\u{feff}\"\n"});
        let text = super::to_json_pretty(&value);
        assert_eq!(
            text,
            "{\n  \"t\": \"a\\u009b31m\\u202eb\\u001b\\ufeff\\\"\\n\"\n}"
        );
        let back: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(back, value);
    }
}
