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
pub mod pretty_json;
pub mod svg;

/// Pretty-printed JSON in which C1 controls and bidi or invisible formatting characters are
/// `\uXXXX` escapes like the C0 controls serde_json escapes itself: raw, they would act on a
/// terminal or make a CI log read other than it is. Empty if the value cannot be serialized.
pub fn to_json_pretty<T: serde::Serialize + ?Sized>(value: &T) -> String {
    let mut out = Vec::new();
    if write_json_pretty(&mut out, value).is_err() {
        return String::new();
    }
    // The formatter writes only what serde_json hands it (valid UTF-8) and ASCII escapes.
    String::from_utf8(out).unwrap_or_default()
}

/// [`to_json_pretty`] written straight to `writer`: `check` streams megabytes of findings
/// without holding the document in memory.
pub fn write_json_pretty<W: std::io::Write, T: serde::Serialize + ?Sized>(
    writer: W,
    value: &T,
) -> std::io::Result<()> {
    let formatter = EscapingFormatter(serde_json::ser::PrettyFormatter::new());
    let mut serializer = serde_json::Serializer::with_formatter(writer, formatter);
    value
        .serialize(&mut serializer)
        .map_err(std::io::Error::from)
}

/// serde_json's pretty layout, with string contents passed through [`crate::model::text::keep_escaped`].
/// serde_json hands over string contents without quotes, backslashes or C0 controls (it escapes
/// those itself), so whatever else must not reach a terminal raw is escaped here.
struct EscapingFormatter<'a>(serde_json::ser::PrettyFormatter<'a>);

impl serde_json::ser::Formatter for EscapingFormatter<'_> {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        // Every character to escape is DEL or outside ASCII: plain text (the usual case,
        // megabytes on large models) goes out as it is.
        if fragment.bytes().all(|b| b < 0x7f) {
            return writer.write_all(fragment.as_bytes());
        }
        let mut plain_from = 0;
        for (at, c) in fragment.char_indices() {
            if crate::model::text::keep_escaped(c) {
                writer.write_all(&fragment.as_bytes()[plain_from..at])?;
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(writer, "\\u{unit:04x}")?;
                }
                plain_from = at + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[plain_from..])
    }

    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_keeps_c1_and_bidi_characters_escaped() {
        let value =
            serde_json::json!({"t": "a\u{9b}31m\u{202e}b\u{1b}\u{feff}\"\n", "d": "x\u{7f}y"});
        let text = super::to_json_pretty(&value);
        assert_eq!(
            text,
            "{\n  \"d\": \"x\\u007fy\",\n  \"t\": \"a\\u009b31m\\u202eb\\u001b\\ufeff\\\"\\n\"\n}"
        );
        let back: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(back, value);
    }

    #[test]
    fn json_escapes_keys_too_and_leaves_other_text_as_written() {
        let value = serde_json::json!({"k\u{202e}": ["caf\u{e9} \u{1f600}", 1]});
        assert_eq!(
            super::to_json_pretty(&value),
            "{\n  \"k\\u202e\": [\n    \"caf\u{e9} \u{1f600}\",\n    1\n  ]\n}"
        );
    }
}
