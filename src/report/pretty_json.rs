//! Pretty JSON written by hand for documents too large to build first (`check` on a large model
//! writes megabytes): serde_json's `PrettyFormatter` layout and [`super::write_json_pretty`]'s
//! escapes, byte for byte, gathered in one reused buffer that goes to the writer in chunks of
//! about [`CHUNK`] bytes. serde_json spent most of that time in a call per token.

use std::io::{self, Write};

/// Bytes gathered before they go to the writer: large enough that writes are few, small enough
/// that the document is never held whole.
pub const CHUNK: usize = 64 * 1024;

/// A newline and the spaces of up to 31 levels of indentation, copied as one slice.
const NEWLINE_AND_SPACES: &[u8; 63] =
    b"\n                                                              ";

/// How serde_json escapes each byte of a string: 0 not at all, `u` as `\u00XX`, any other as a
/// backslash and that letter. Only ASCII bytes are escaped; UTF-8 sequences pass as they are.
const ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = b'u';
        byte += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// A pretty JSON document being written: containers are opened and closed, keys and array items
/// announced, values written, in document order. Writing goes to memory and cannot fail; the
/// writer is reached only by [`PrettyJson::flush_chunk`] and [`PrettyJson::finish`].
pub struct PrettyJson<W: Write> {
    out: W,
    buf: Vec<u8>,
    /// Containers open around the next key or item.
    depth: usize,
    /// Whether the innermost open container has an entry already. One flag is enough, as in
    /// serde_json: every value, a closed container included, ends by setting it.
    has_value: bool,
    /// What is gathered goes to the writer once it has grown to this.
    chunk: usize,
}

impl<W: Write> PrettyJson<W> {
    pub fn new(out: W) -> Self {
        PrettyJson {
            out,
            buf: Vec::with_capacity(CHUNK + CHUNK / 4),
            depth: 0,
            has_value: false,
            chunk: CHUNK,
        }
    }

    pub fn begin_object(&mut self) {
        self.open(b'{');
    }

    pub fn end_object(&mut self) {
        self.close(b'}');
    }

    pub fn begin_array(&mut self) {
        self.open(b'[');
    }

    pub fn end_array(&mut self) {
        self.close(b']');
    }

    fn open(&mut self, bracket: u8) {
        self.depth += 1;
        self.has_value = false;
        self.buf.push(bracket);
    }

    fn close(&mut self, bracket: u8) {
        self.depth = self.depth.saturating_sub(1);
        if self.has_value {
            self.newline();
        }
        self.buf.push(bracket);
        self.has_value = true;
    }

    /// A new line indented to the current depth.
    fn newline(&mut self) {
        let width = 1 + self.depth * 2;
        match NEWLINE_AND_SPACES.get(..width) {
            Some(line) => self.buf.extend_from_slice(line),
            None => {
                self.buf.push(b'\n');
                self.buf.resize(self.buf.len() + self.depth * 2, b' ');
            }
        }
    }

    /// The next entry of the innermost object, up to its value.
    pub fn key(&mut self, key: &str) {
        self.item();
        push_escaped(&mut self.buf, key);
        self.buf.extend_from_slice(b": ");
    }

    /// The next entry of the innermost array, before its value.
    pub fn item(&mut self) {
        if self.has_value {
            self.buf.push(b',');
        }
        self.newline();
    }

    pub fn str(&mut self, value: &str) {
        push_escaped(&mut self.buf, value);
        self.has_value = true;
    }

    pub fn bool(&mut self, value: bool) {
        self.buf
            .extend_from_slice(if value { b"true" } else { b"false" });
        self.has_value = true;
    }

    pub fn null(&mut self) {
        self.buf.extend_from_slice(b"null");
        self.has_value = true;
    }

    /// An unsigned integer in decimal.
    pub fn uint(&mut self, value: u64) {
        push_decimal(&mut self.buf, value);
        self.has_value = true;
    }

    /// A value as serde_json writes it, at this depth: for the few small values (a float, the
    /// attack paths) whose layout is not worth repeating here.
    pub fn serialized<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> io::Result<()> {
        let mut alone = Vec::new();
        super::write_json_pretty(&mut alone, value)?;
        // Strings never hold a raw newline (it is escaped), so every newline is layout: indent
        // the lines after it by the depth the value sits at.
        let mut lines = alone.split(|b| *b == b'\n');
        if let Some(first) = lines.next() {
            self.buf.extend_from_slice(first);
        }
        for line in lines {
            self.newline();
            self.buf.extend_from_slice(line);
        }
        self.has_value = true;
        Ok(())
    }

    /// Bytes written straight into the document: for the caller's own escaped text.
    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The layout of an object to be written here many times over (the findings of a large
    /// model): for each of `keys`, the bytes from the end of the value before it up to its own
    /// value, and last the bytes that close the object. Writing these with [`PrettyJson::raw`]
    /// between the values, then calling [`PrettyJson::wrote_value`], gives exactly what
    /// `begin_object`, `key` and `end_object` give, without working the layout out each time.
    pub fn object_layout<const N: usize>(&self, keys: [&str; N]) -> ObjectLayout<N> {
        let mut inside = PrettyJson::new(Vec::new());
        inside.depth = self.depth;
        inside.begin_object();
        let before_keys = keys.map(|key| {
            inside.key(key);
            let before = std::mem::take(&mut inside.buf);
            // Stands for the value, which sets the flag as any value does.
            inside.has_value = true;
            before
        });
        inside.end_object();
        ObjectLayout {
            before_keys,
            close: inside.buf,
        }
    }

    /// Bytes written straight to the writer after what is gathered, for a large block the
    /// caller wrote elsewhere: copying it into the buffer first would only cost time.
    pub fn write_through(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        self.out.write_all(bytes)
    }

    /// A writer to memory that goes on where this one stands, after a value: what it writes
    /// can be put here with [`PrettyJson::raw`] or [`PrettyJson::write_through`], then
    /// [`PrettyJson::wrote_value`].
    pub fn continuation(&self) -> PrettyJson<Vec<u8>> {
        PrettyJson {
            out: Vec::new(),
            buf: Vec::new(),
            depth: self.depth,
            has_value: true,
            // All in one buffer: passing it on in chunks would only copy it.
            chunk: usize::MAX,
        }
    }

    /// A writer to memory for the items after the first of an array this one is about to open
    /// (one level in from here): see [`PrettyJson::continuation`].
    pub fn continuation_inside(&self) -> PrettyJson<Vec<u8>> {
        PrettyJson {
            depth: self.depth + 1,
            ..self.continuation()
        }
    }

    /// After a value written with [`PrettyJson::raw`]: the next entry needs its comma.
    pub fn wrote_value(&mut self) {
        self.has_value = true;
    }

    /// Where the buffer stands: for the caller's own escaped text (see [`push_escaped`]).
    pub fn buf(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Sends what is gathered to the writer once it has grown to a chunk.
    pub fn flush_chunk(&mut self) -> io::Result<()> {
        if self.buf.len() >= self.chunk {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Sends the rest and flushes the writer.
    pub fn finish(mut self) -> io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        self.out.flush()
    }
}

impl PrettyJson<Vec<u8>> {
    /// Everything written so far, chunks flushed and the rest, leaving it empty.
    pub fn take_written(&mut self) -> Vec<u8> {
        if self.out.is_empty() {
            return std::mem::take(&mut self.buf);
        }
        self.out.extend_from_slice(&self.buf);
        self.buf.clear();
        std::mem::take(&mut self.out)
    }

    /// Writes into `buf` (cleared) from here on, as a continuation again after a value.
    pub fn restart(&mut self, mut buf: Vec<u8>) {
        buf.clear();
        self.buf = buf;
        self.has_value = true;
    }
}

/// The fixed bytes of an object written many times: see [`PrettyJson::object_layout`].
#[derive(Debug, Clone)]
pub struct ObjectLayout<const N: usize> {
    /// Before each key's value: the opening brace or comma, newline, indentation and key.
    pub before_keys: [Vec<u8>; N],
    /// After the last value: newline, indentation and the closing brace.
    pub close: Vec<u8>,
}

/// `value` in decimal, without `fmt`.
pub fn push_decimal(buf: &mut Vec<u8>, value: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = value;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[at..]);
}

/// `text` as a JSON string, quotes included, escaped as serde_json with
/// [`super::write_json_pretty`]'s formatter escapes it: serde_json's escapes for quotes,
/// backslashes and C0 controls, and every other [`crate::model::text::keep_escaped`] character
/// (DEL, C1, invisible and bidi formatting) as `\uXXXX` UTF-16 units.
///
/// Plain text is copied in runs, found eight bytes at a time: most messages hold a quote or
/// two, and a byte-by-byte walk over all of them took most of `check`'s writing.
pub fn push_escaped(buf: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    buf.reserve(bytes.len() + 2);
    buf.push(b'"');
    let mut plain_from = 0;
    let mut at = 0;
    loop {
        at = plain_until(bytes, at);
        let Some(&byte) = bytes.get(at) else { break };
        let escape = ESCAPE[usize::from(byte)];
        if escape != 0 {
            buf.extend_from_slice(bytes.get(plain_from..at).unwrap_or_default());
            buf.push(b'\\');
            buf.push(escape);
            if escape == b'u' {
                buf.extend_from_slice(b"00");
                buf.push(HEX[usize::from(byte >> 4)]);
                buf.push(HEX[usize::from(byte & 0xf)]);
            }
            at += 1;
            plain_from = at;
            continue;
        }
        // DEL or the first byte of a character beyond ASCII: `at` is a character boundary, as
        // every step so far went over whole ASCII bytes or whole characters.
        let Some(c) = text.get(at..).and_then(|rest| rest.chars().next()) else {
            break;
        };
        at += c.len_utf8();
        if crate::model::text::keep_escaped(c) {
            let before = at - c.len_utf8();
            buf.extend_from_slice(bytes.get(plain_from..before).unwrap_or_default());
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                buf.extend_from_slice(b"\\u");
                for shift in [12, 8, 4, 0] {
                    buf.push(HEX[usize::from((*unit >> shift) & 0xf)]);
                }
            }
            plain_from = at;
        }
    }
    buf.extend_from_slice(bytes.get(plain_from..).unwrap_or_default());
    buf.push(b'"');
}

/// The first index from `at` on whose byte is not plain (see [`is_plain_byte`]), or the length.
fn plain_until(bytes: &[u8], mut at: usize) -> usize {
    while let Some(word) = bytes
        .get(at..at + 8)
        .and_then(|w| <[u8; 8]>::try_from(w).ok())
    {
        if !is_plain_word(u64::from_le_bytes(word)) {
            break;
        }
        at += 8;
    }
    while let Some(&byte) = bytes.get(at) {
        if !is_plain_byte(byte) {
            return at;
        }
        at += 1;
    }
    at
}

/// Whether all eight bytes of `word` are plain, without a branch per byte: a byte is zero in
/// `v` exactly when `v - 0x01..` borrows into its high bit while the byte's own high bit is
/// clear, and below 0x20 by the same test against 0x20.
fn is_plain_word(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    let quote = zero_byte(word ^ (ONES * u64::from(b'"')));
    let backslash = zero_byte(word ^ (ONES * u64::from(b'\\')));
    let del = zero_byte(word ^ (ONES * 0x7f));
    // Any byte from 0x80 up: part of a character beyond ASCII.
    let beyond_ascii = word & HIGH;
    control | quote | backslash | del | beyond_ascii == 0
}

/// Printable ASCII other than quote and backslash: goes out as it is.
fn is_plain_byte(b: u8) -> bool {
    (b.wrapping_sub(0x20) < 0x5f) & (b != b'"') & (b != b'\\')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn escaped(text: &str) -> String {
        let mut buf = Vec::new();
        push_escaped(&mut buf, text);
        String::from_utf8(buf).expect("UTF-8")
    }

    /// What serde_json with the report's formatter writes for a string.
    fn serde_escaped(text: &str) -> String {
        super::super::to_json_pretty(text)
    }

    const TRICKY: &[&str] = &[
        "",
        "plain",
        "quote \" and backslash \\ and slash /",
        "\u{0}\u{1}\u{2}\u{3}\u{4}\u{5}\u{6}\u{7}\u{8}\t\n\u{b}\u{c}\r\u{e}\u{f}",
        "\u{10}\u{11}\u{12}\u{13}\u{14}\u{15}\u{16}\u{17}\u{18}\u{19}\u{1a}\u{1b}\u{1c}\u{1d}\u{1e}\u{1f}",
        "del \u{7f} alone in ASCII",
        "del \u{7f} beside caf\u{e9}",
        "del \u{7f}\n then caf\u{e9} after a newline",
        "c1 \u{80}\u{85}\u{9b}31m\u{9f}",
        "bidi \u{202a}\u{202b}\u{202c}\u{202d}\u{202e} \u{2066}\u{2067}\u{2068}\u{2069} \u{61c}",
        "invisible \u{200b}\u{200c}\u{200d}\u{200e}\u{200f} \u{feff}",
        "emoji \u{1f600} and \u{1f469}\u{200d}\u{1f4bb}",
        "non-ASCII caf\u{e9} \u{4e2d}\u{6587} \u{3b1}\u{3b2}",
        "\"\u{202e}\\\u{1b}\u{e9}\u{7f}\"",
    ];

    #[test]
    fn strings_are_escaped_as_serde_json_with_the_formatter_escapes_them() {
        for text in TRICKY {
            assert_eq!(escaped(text), serde_escaped(text), "{text:?}");
        }
    }

    #[test]
    fn del_is_escaped_whatever_text_is_around_it() {
        assert_eq!(escaped("a\u{7f}b"), "\"a\\u007fb\"");
        assert_eq!(escaped("\"\u{7f}\""), "\"\\\"\\u007f\\\"\"");
        assert_eq!(escaped("caf\u{e9}\u{7f}"), "\"caf\u{e9}\\u007f\"");
    }

    #[test]
    fn escapes_include_controls_c1_and_bidi() {
        assert_eq!(escaped("a\"\\\n\u{1}"), r#""a\"\\\n\u0001""#);
        assert_eq!(
            escaped("\u{e9}\u{9b}\u{202e}\u{1f600}"),
            "\"\u{e9}\\u009b\\u202e\u{1f600}\""
        );
    }

    fn first_few(texts: &[String]) -> &[String] {
        texts.get(..3).unwrap_or(texts)
    }

    /// A document with every kind of token, nested and empty containers among them.
    fn write_sample<W: Write>(json: &mut PrettyJson<W>, texts: &[String]) -> io::Result<()> {
        json.begin_object();
        json.key("empty list");
        json.begin_array();
        json.end_array();
        json.key("empty object");
        json.begin_object();
        json.end_object();
        json.key("max");
        json.uint(u64::MAX);
        json.key("serialized");
        json.serialized(&serde_json::json!({"a": [1, {"b": first_few(texts)}], "c": 0.5}))?;
        json.key("texts");
        json.begin_array();
        for text in texts {
            json.item();
            json.begin_object();
            json.key("n");
            json.uint(u64::try_from(text.len()).unwrap_or(0));
            json.key("nested");
            json.begin_array();
            json.item();
            json.begin_array();
            json.end_array();
            json.item();
            json.null();
            json.item();
            json.bool(text.is_empty());
            json.end_array();
            json.key(text);
            json.str(text);
            json.end_object();
            json.flush_chunk()?;
        }
        json.end_array();
        json.key("zero");
        json.uint(0);
        json.end_object();
        Ok(())
    }

    fn sample_value(texts: &[String]) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        map.insert("empty list".into(), serde_json::json!([]));
        map.insert("empty object".into(), serde_json::json!({}));
        let entries: Vec<serde_json::Value> = texts
            .iter()
            .map(|text| {
                let mut entry = serde_json::Map::new();
                entry.insert(text.clone(), serde_json::json!(text));
                entry.insert("n".into(), serde_json::json!(text.len()));
                entry.insert(
                    "nested".into(),
                    serde_json::json!([[], null, text.is_empty()]),
                );
                serde_json::Value::Object(entry)
            })
            .collect();
        map.insert("texts".into(), serde_json::Value::Array(entries));
        map.insert(
            "serialized".into(),
            serde_json::json!({"a": [1, {"b": first_few(texts)}], "c": 0.5}),
        );
        map.insert("max".into(), serde_json::json!(u64::MAX));
        map.insert("zero".into(), serde_json::json!(0));
        serde_json::Value::Object(map)
    }

    /// serde_json's maps sort their keys: the sample writes them in that order, each text
    /// last in its object (they start with `~`).
    fn written(texts: &[String]) -> String {
        let mut out = Vec::new();
        let mut json = PrettyJson::new(&mut out);
        write_sample(&mut json, texts).expect("memory");
        json.finish().expect("memory");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn layout_matches_serde_json_pretty_with_empty_and_nested_containers() {
        let texts: Vec<String> = TRICKY.iter().map(|t| format!("~{t}")).collect();
        assert_eq!(
            written(&texts),
            super::super::to_json_pretty(&sample_value(&texts))
        );
        assert_eq!(
            written(&[]),
            super::super::to_json_pretty(&sample_value(&[]))
        );
        assert!(written(&[]).contains("\"empty list\": [],\n  \"empty object\": {},"));
    }

    #[test]
    fn a_large_document_goes_out_in_chunks_and_whole() {
        struct Writes(Vec<usize>, Vec<u8>);
        impl Write for Writes {
            fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
                self.0.push(bytes.len());
                self.1.extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let texts: Vec<String> = (0..5_000).map(|i| format!("~text {i}")).collect();
        let mut writes = Writes(Vec::new(), Vec::new());
        let mut json = PrettyJson::new(&mut writes);
        write_sample(&mut json, &texts).expect("memory");
        json.finish().expect("memory");
        assert!(writes.0.len() > 3, "{:?}", writes.0);
        assert!(writes.0.iter().all(|n| *n < 2 * CHUNK), "{:?}", writes.0);
        assert_eq!(
            String::from_utf8(writes.1).expect("UTF-8"),
            super::super::to_json_pretty(&sample_value(&texts))
        );
    }

    #[test]
    fn a_word_is_plain_exactly_when_each_of_its_bytes_is() {
        // Every byte value at every place among plain neighbours, and pairs of odd bytes.
        for place in 0..8 {
            for byte in 0..=255u8 {
                let mut word = *b"abcdefgh";
                word[place] = byte;
                assert_eq!(
                    is_plain_word(u64::from_le_bytes(word)),
                    word.iter().all(|b| is_plain_byte(*b)),
                    "byte {byte:#x} at {place}"
                );
            }
        }
        for (a, b) in [
            (0x1f, 0x20),
            (0x7f, 0x7e),
            (0x80, 0x21),
            (b'"', b'\\'),
            (0xff, 0),
        ] {
            let word = [b'x', a, b'y', b, b'z', b'z', a, b];
            assert_eq!(
                is_plain_word(u64::from_le_bytes(word)),
                word.iter().all(|b| is_plain_byte(*b))
            );
        }
    }

    #[test]
    fn an_object_from_its_layout_is_the_object_written_key_by_key() {
        let keys = ["first", "with \"quote\"", "last"];
        for depth in [0, 1, 3, 40] {
            let mut by_keys = PrettyJson::new(Vec::new());
            let mut by_layout = PrettyJson::new(Vec::new());
            for json in [&mut by_keys, &mut by_layout] {
                for _ in 0..depth {
                    json.begin_array();
                    json.item();
                }
            }
            for item in 0..2 {
                by_keys.item();
                by_keys.begin_object();
                for key in keys {
                    by_keys.key(key);
                    by_keys.uint(item);
                }
                by_keys.end_object();

                let layout = by_layout.object_layout(keys);
                by_layout.item();
                for before in &layout.before_keys {
                    by_layout.raw(before);
                    push_decimal(by_layout.buf(), item);
                }
                by_layout.raw(&layout.close);
                by_layout.wrote_value();
            }
            for json in [&mut by_keys, &mut by_layout] {
                for _ in 0..depth {
                    json.end_array();
                }
            }
            assert_eq!(by_layout.buf, by_keys.buf, "depth {depth}");
            assert!(String::from_utf8_lossy(&by_keys.buf).contains("\"with \\\"quote\\\"\": 1"));
        }
    }

    #[test]
    fn a_continuation_writes_what_the_writer_would_have_written_next() {
        let mut whole = PrettyJson::new(Vec::new());
        let mut split = PrettyJson::new(Vec::new());
        for json in [&mut whole, &mut split] {
            json.begin_object();
            json.key("items");
            json.begin_array();
            json.item();
            json.str("first");
        }
        // Enough that the continuation flushes chunks of its own on the way.
        let many = CHUNK / 8;
        for n in 0..many {
            whole.item();
            whole.uint(n as u64);
        }
        let mut side = split.continuation();
        for round in 0..2 {
            side.restart(Vec::with_capacity(16));
            for n in 0..many / 2 {
                side.item();
                side.uint((round * (many / 2) + n) as u64);
                side.flush_chunk().expect("memory takes every write");
            }
            let written = side.take_written();
            assert!(side.take_written().is_empty());
            if round == 0 {
                split.raw(&written);
            } else {
                split
                    .write_through(&written)
                    .expect("memory takes every write");
            }
            split.wrote_value();
        }
        for json in [&mut whole, &mut split] {
            json.end_array();
            json.end_object();
        }
        assert!(whole.buf.len() > CHUNK);
        split.write_through(&[]).expect("memory takes every write");
        assert_eq!(split.out, whole.buf);
    }

    proptest! {
        #[test]
        fn a_word_is_plain_exactly_when_its_bytes_are(word in any::<[u8; 8]>()) {
            prop_assert_eq!(
                is_plain_word(u64::from_le_bytes(word)),
                word.iter().all(|b| is_plain_byte(*b))
            );
        }

        #[test]
        fn any_string_is_escaped_as_serde_json_does(text in any::<String>()) {
            prop_assert_eq!(escaped(&text), serde_escaped(&text));
        }

        #[test]
        fn strings_of_tricky_characters_are_escaped_as_serde_json_does(
            text in "[\\x00-\\x7f\\u{80}-\\u{a0}\\u{200b}-\\u{200f}\\u{202a}-\\u{202e}\\u{feff}\\u{e9}\\u{1f600}\"\\\\]{0,24}"
        ) {
            prop_assert_eq!(escaped(&text), serde_escaped(&text));
        }

        /// Long plain stretches with the odd escape, so that escapes fall at every place in and
        /// around the blocks the plain text is passed over in.
        #[test]
        fn escapes_anywhere_in_long_plain_text_are_found(
            text in "([a-z .:]{0,40}[\"\\\\\n\x7f\u{85}\u{e9}\u{200e}\u{1f600}]){0,6}[a-z ]{0,40}"
        ) {
            prop_assert_eq!(escaped(&text), serde_escaped(&text));
        }
    }
}
