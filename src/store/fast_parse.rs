//! A fast path for reading session files: one pass over the subset of TOML that session files
//! hold (the canonical writer's output and plausible hand edits), into a light borrowed tree that
//! `Session` deserializes from directly.
//!
//! It never reports an error: anything it does not handle, and any error at all, makes it
//! decline (`None`), and the full `toml` path reads the file instead, so every message and
//! `file:line:col` stays exactly what the full path gives.

use super::position::{EntryPosition, LineCol, LineIndex, Positions};
use crate::model::Session;
use serde::de::value::{MapDeserializer, SeqDeserializer, StrDeserializer, StringDeserializer};
use serde::de::{self, IntoDeserializer, Visitor};
use std::borrow::Cow;

/// The session and its positions, or `None` when the full parser must decide.
pub(super) fn parse(text: &str) -> Option<(Session, Positions)> {
    let doc = Parser {
        text,
        bytes: text.as_bytes(),
        at: 0,
    }
    .document()?;
    let positions = positions(text, &doc);
    let root = Val::Table(doc.into_iter().map(|item| (item.key, item.value)).collect());
    let session = serde::Deserialize::deserialize(root).ok()?;
    Some((session, positions))
}

#[derive(Debug)]
enum Val<'a> {
    Str(Cow<'a, str>),
    Int(i64),
    Bool(bool),
    /// A local date, as written (`2026-12-15`).
    Date(&'a str),
    /// A value array: each item with the offset where it starts.
    Arr(Vec<(usize, Val<'a>)>),
    Table(Vec<(&'a str, Val<'a>)>),
}

/// How a top-level key got its value.
enum TopKind {
    /// `key = value`.
    Value { value_at: usize },
    /// `[key]`.
    Table { fields: Vec<(usize, usize)> },
    /// `[[key]]`: per entry, the header offset and each field's (key offset, value offset).
    Entries {
        starts: Vec<usize>,
        fields: Vec<Vec<(usize, usize)>>,
    },
}

struct TopItem<'a> {
    key: &'a str,
    key_at: usize,
    kind: TopKind,
    value: Val<'a>,
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

fn is_bare_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.at += 1;
        }
    }

    /// After a value or header: optional whitespace and comment, then a newline or the end.
    fn end_of_line(&mut self) -> Option<()> {
        self.skip_ws();
        if self.peek() == Some(b'#') {
            self.comment()?;
        }
        self.newline_or_end()
    }

    fn newline_or_end(&mut self) -> Option<()> {
        match self.peek() {
            None => Some(()),
            Some(b'\n') => {
                self.at += 1;
                Some(())
            }
            Some(b'\r') if self.bytes.get(self.at + 1) == Some(&b'\n') => {
                self.at += 2;
                Some(())
            }
            _ => None,
        }
    }

    /// A comment up to (not including) its line end; control characters make it decline.
    fn comment(&mut self) -> Option<()> {
        while let Some(b) = self.peek() {
            match b {
                b'\n' => break,
                b'\r' if self.bytes.get(self.at + 1) == Some(&b'\n') => break,
                b'\t' => {}
                b if b < 0x20 || b == 0x7f => return None,
                _ => {}
            }
            self.at += 1;
        }
        Some(())
    }

    fn bare_key(&mut self) -> Option<&'a str> {
        let start = self.at;
        while self.peek().is_some_and(is_bare_key_byte) {
            self.at += 1;
        }
        (self.at > start).then(|| &self.text[start..self.at])
    }

    fn document(mut self) -> Option<Vec<TopItem<'a>>> {
        let mut top: Vec<TopItem<'a>> = Vec::new();
        // Where `key = value` lines go: the top level, or the table of the last header.
        let mut open: Option<usize> = None;
        loop {
            self.skip_ws();
            match self.peek() {
                None => break,
                Some(b'#') => {
                    self.comment()?;
                    self.newline_or_end()?;
                }
                Some(b'\n' | b'\r') => self.newline_or_end()?,
                Some(b'[') => {
                    let header_at = self.at;
                    let array = self.bytes.get(self.at + 1) == Some(&b'[');
                    self.at += if array { 2 } else { 1 };
                    self.skip_ws();
                    let key_at = self.at;
                    let key = self.bare_key()?;
                    self.skip_ws();
                    let close: &[u8] = if array { b"]]" } else { b"]" };
                    if !self.bytes[self.at..].starts_with(close) {
                        return None;
                    }
                    self.at += close.len();
                    self.end_of_line()?;
                    let existing = top.iter().position(|item| item.key == key);
                    match (array, existing) {
                        (false, None) => top.push(TopItem {
                            key,
                            key_at,
                            kind: TopKind::Table { fields: Vec::new() },
                            value: Val::Table(Vec::new()),
                        }),
                        (true, None) => top.push(TopItem {
                            key,
                            key_at,
                            kind: TopKind::Entries {
                                starts: vec![header_at],
                                fields: vec![Vec::new()],
                            },
                            value: Val::Arr(vec![(header_at, Val::Table(Vec::new()))]),
                        }),
                        (true, Some(i)) => {
                            let item = &mut top[i];
                            match (&mut item.kind, &mut item.value) {
                                (TopKind::Entries { starts, fields }, Val::Arr(items)) => {
                                    starts.push(header_at);
                                    fields.push(Vec::new());
                                    items.push((header_at, Val::Table(Vec::new())));
                                }
                                _ => return None,
                            }
                            open = Some(i);
                            continue;
                        }
                        (false, Some(_)) => return None,
                    }
                    open = Some(top.len() - 1);
                }
                Some(_) => {
                    let key_at = self.at;
                    let key = self.bare_key()?;
                    self.skip_ws();
                    if self.peek() != Some(b'=') {
                        return None;
                    }
                    self.at += 1;
                    self.skip_ws();
                    let value_at = self.at;
                    let value = self.value()?;
                    self.end_of_line()?;
                    if let Some(i) = open {
                        let item = &mut top[i];
                        let (fields, table) = match (&mut item.kind, &mut item.value) {
                            (TopKind::Table { fields }, Val::Table(table)) => (fields, table),
                            (TopKind::Entries { fields, .. }, Val::Arr(items)) => {
                                match (fields.last_mut(), items.last_mut()) {
                                    (Some(f), Some((_, Val::Table(table)))) => (f, table),
                                    _ => return None,
                                }
                            }
                            _ => return None,
                        };
                        if table.iter().any(|(k, _)| *k == key) {
                            return None;
                        }
                        fields.push((key_at, value_at));
                        table.push((key, value));
                    } else {
                        if top.iter().any(|item| item.key == key) {
                            return None;
                        }
                        top.push(TopItem {
                            key,
                            key_at,
                            kind: TopKind::Value { value_at },
                            value,
                        });
                    }
                }
            }
        }
        Some(top)
    }

    fn value(&mut self) -> Option<Val<'a>> {
        let rest = &self.bytes[self.at..];
        if rest.starts_with(b"\"\"\"") {
            self.at += 3;
            self.multiline(b'"').map(Val::Str)
        } else if rest.starts_with(b"'''") {
            self.at += 3;
            self.multiline(b'\'').map(Val::Str)
        } else if rest.starts_with(b"\"") {
            self.at += 1;
            self.basic().map(Val::Str)
        } else if rest.starts_with(b"'") {
            self.at += 1;
            let start = self.at;
            loop {
                match self.peek()? {
                    b'\'' => break,
                    b'\t' => {}
                    b if b < 0x20 || b == 0x7f => return None,
                    _ => {}
                }
                self.at += 1;
            }
            let s = &self.text[start..self.at];
            self.at += 1;
            Some(Val::Str(Cow::Borrowed(s)))
        } else if rest.starts_with(b"[") {
            self.at += 1;
            self.array()
        } else if self.word(b"true") {
            Some(Val::Bool(true))
        } else if self.word(b"false") {
            Some(Val::Bool(false))
        } else {
            self.number_or_date()
        }
    }

    /// `word` followed by a delimiter: consumes it.
    fn word(&mut self, word: &[u8]) -> bool {
        let rest = &self.bytes[self.at..];
        if rest.starts_with(word) && rest.get(word.len()).is_none_or(|b| is_delimiter(*b)) {
            self.at += word.len();
            return true;
        }
        false
    }

    fn number_or_date(&mut self) -> Option<Val<'a>> {
        let rest = &self.bytes[self.at..];
        let b = |i: usize| rest.get(i).copied();
        let digits = |r: std::ops::Range<usize>| {
            r.into_iter()
                .all(|i| b(i).is_some_and(|c| c.is_ascii_digit()))
        };
        if digits(0..4) && b(4) == Some(b'-') && digits(5..7) && b(7) == Some(b'-') && digits(8..10)
        {
            // A local date only: a time or anything else after it is for the full parser.
            let plain_end = b(10).is_none_or(|c| matches!(c, b'\n' | b'\r' | b'#' | b',' | b']'));
            let blank_then_no_time =
                matches!(b(10), Some(b' ' | b'\t')) && !b(11).is_some_and(|c| c.is_ascii_digit());
            if !plain_end && !blank_then_no_time {
                return None;
            }
            let s = &self.text[self.at..self.at + 10];
            self.at += 10;
            return Some(Val::Date(s));
        }
        let negative = b(0) == Some(b'-');
        let start = usize::from(negative);
        let mut end = start;
        while b(end).is_some_and(|c| c.is_ascii_digit()) {
            end += 1;
        }
        let count = end - start;
        if count == 0 || (count > 1 && b(start) == Some(b'0')) || !b(end).is_none_or(is_delimiter) {
            return None;
        }
        let n: i64 = self.text[self.at..self.at + end].parse().ok()?;
        self.at += end;
        Some(Val::Int(n))
    }

    /// Whitespace, newlines and comments inside an array.
    fn skip_array_space(&mut self) -> Option<()> {
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b'#') => self.comment()?,
                Some(b'\n' | b'\r') => self.newline_or_end()?,
                _ => return Some(()),
            }
        }
    }

    fn array(&mut self) -> Option<Val<'a>> {
        let mut items = Vec::new();
        loop {
            self.skip_array_space()?;
            if self.peek()? == b']' {
                self.at += 1;
                return Some(Val::Arr(items));
            }
            let at = self.at;
            items.push((at, self.value()?));
            self.skip_array_space()?;
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(Val::Arr(items));
                }
                _ => return None,
            }
        }
    }

    /// A basic string after its opening quote.
    fn basic(&mut self) -> Option<Cow<'a, str>> {
        let start = self.at;
        let mut owned: Option<String> = None;
        loop {
            match self.peek()? {
                b'"' => {
                    let s = &self.text[start..self.at];
                    self.at += 1;
                    return Some(match owned {
                        Some(o) => Cow::Owned(o),
                        None => Cow::Borrowed(s),
                    });
                }
                b'\\' => {
                    let o = owned.get_or_insert_with(|| self.text[start..self.at].to_owned());
                    let (c, len) = escape(&self.text[self.at + 1..])?;
                    o.push(c);
                    self.at += 1 + len;
                }
                b'\t' => self.advance_char(&mut owned),
                b if b < 0x20 || b == 0x7f => return None,
                _ => self.advance_char(&mut owned),
            }
        }
    }

    /// Advances one character, copying it if the string is being unescaped.
    fn advance_char(&mut self, owned: &mut Option<String>) {
        let len = utf8_len(self.bytes[self.at]);
        if let Some(o) = owned {
            o.push_str(&self.text[self.at..self.at + len]);
        }
        self.at += len;
    }

    /// A multi-line string after its opening delimiter (`quote` three times).
    fn multiline(&mut self, quote: u8) -> Option<Cow<'a, str>> {
        // A newline right after the delimiter is not part of the string.
        if self.peek() == Some(b'\n') {
            self.at += 1;
        }
        let start = self.at;
        let mut owned: Option<String> = None;
        loop {
            match self.peek()? {
                q if q == quote => {
                    let run = self.bytes[self.at..]
                        .iter()
                        .take_while(|c| **c == quote)
                        .count();
                    if run >= 3 {
                        if run > 5 {
                            return None;
                        }
                        let end = self.at + run - 3;
                        let result = match owned {
                            Some(mut o) => {
                                o.push_str(&self.text[self.at..end]);
                                Cow::Owned(o)
                            }
                            None => Cow::Borrowed(&self.text[start..end]),
                        };
                        self.at += run;
                        return Some(result);
                    }
                    for _ in 0..run {
                        self.advance_char(&mut owned);
                    }
                }
                b'\\' if quote == b'"' => {
                    let o = owned.get_or_insert_with(|| self.text[start..self.at].to_owned());
                    let after = &self.bytes[self.at + 1..];
                    let blank = after
                        .iter()
                        .take_while(|c| matches!(c, b' ' | b'\t'))
                        .count();
                    if after.get(blank) == Some(&b'\n') {
                        // Line-ending backslash: drop all whitespace and newlines after it.
                        self.at += 1 + blank;
                        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n')) {
                            self.at += 1;
                        }
                    } else {
                        let (c, len) = escape(&self.text[self.at + 1..])?;
                        o.push(c);
                        self.at += 1 + len;
                    }
                }
                b'\t' | b'\n' => self.advance_char(&mut owned),
                // CR (CRLF inside a string) and other controls: for the full parser.
                b if b < 0x20 || b == 0x7f => return None,
                _ => self.advance_char(&mut owned),
            }
        }
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xf0..=0xff => 4,
        0xe0..=0xef => 3,
        0xc0..=0xdf => 2,
        _ => 1,
    }
}

fn is_delimiter(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'#' | b',' | b']')
}

/// The character of an escape (text after the backslash) and how many bytes it takes.
fn escape(after: &str) -> Option<(char, usize)> {
    let hex = |len: usize| -> Option<(char, usize)> {
        let digits = after.get(1..1 + len)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let c = char::from_u32(u32::from_str_radix(digits, 16).ok()?)?;
        Some((c, 1 + len))
    };
    Some(match after.as_bytes().first()? {
        b'b' => ('\u{8}', 1),
        b't' => ('\t', 1),
        b'n' => ('\n', 1),
        b'f' => ('\u{c}', 1),
        b'r' => ('\r', 1),
        b'"' => ('"', 1),
        b'\\' => ('\\', 1),
        b'u' => return hex(4),
        b'U' => return hex(8),
        _ => return None,
    })
}

fn positions(text: &str, doc: &[TopItem<'_>]) -> Positions {
    let index = LineIndex::new(text);
    let at = |offset: usize| index.line_col(text, offset);
    let mut top_fields = Vec::new();
    let mut tables = std::collections::HashMap::new();
    // The full parser's tables iterate in key order: keep that order, for equal positions.
    let fields_of = |table: &Val<'_>, offsets: &[(usize, usize)]| {
        let mut fields: Vec<(Box<str>, LineCol)> = match table {
            Val::Table(entries) => entries
                .iter()
                .zip(offsets)
                .map(|((key, _), (_, value_at))| (Box::from(*key), at(*value_at)))
                .collect(),
            _ => Vec::new(),
        };
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        fields
    };
    for item in doc {
        let name: Box<str> = Box::from(item.key);
        let key_pos = at(item.key_at);
        match &item.kind {
            TopKind::Value { value_at } => {
                top_fields.push((name.clone(), at(*value_at)));
                if let Val::Arr(items) = &item.value {
                    let entries = items
                        .iter()
                        .map(|(start, _)| EntryPosition {
                            start: at(*start),
                            fields: Vec::new(),
                        })
                        .collect();
                    tables.insert(name, (key_pos, entries));
                }
            }
            TopKind::Table { fields } => {
                let entry = EntryPosition {
                    start: key_pos,
                    fields: fields_of(&item.value, fields),
                };
                tables.insert(name, (key_pos, vec![entry]));
            }
            TopKind::Entries { starts, fields } => {
                let Val::Arr(items) = &item.value else {
                    continue;
                };
                // An array of tables is a value of the session too, starting at its first header.
                if let Some(first) = starts.first() {
                    top_fields.push((name.clone(), at(*first)));
                }
                let entries = items
                    .iter()
                    .zip(starts.iter().zip(fields))
                    .map(|((_, table), (start, offsets))| EntryPosition {
                        start: at(*start),
                        fields: fields_of(table, offsets),
                    })
                    .collect();
                tables.insert(name, (key_pos, entries));
            }
        }
    }
    top_fields.sort_by(|a, b| a.0.cmp(&b.0));
    Positions::from_parts(top_fields, tables)
}

type Error = de::value::Error;

impl<'de> IntoDeserializer<'de, Error> for Val<'de> {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

/// An array item without its offset.
struct Item<'de>((usize, Val<'de>));

impl<'de> IntoDeserializer<'de, Error> for Item<'de> {
    type Deserializer = Val<'de>;
    fn into_deserializer(self) -> Val<'de> {
        self.0.1
    }
}

impl<'de> de::Deserializer<'de> for Val<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Val::Str(Cow::Borrowed(s)) => visitor.visit_borrowed_str(s),
            Val::Str(Cow::Owned(s)) => visitor.visit_string(s),
            Val::Int(n) => visitor.visit_i64(n),
            Val::Bool(b) => visitor.visit_bool(b),
            // The form the toml crate gives dates in, which `toml::value::Datetime` reads.
            Val::Date(s) => visitor.visit_map(MapDeserializer::new(std::iter::once((
                "$__toml_private_datetime",
                s,
            )))),
            Val::Arr(items) => {
                let mut seq = SeqDeserializer::new(items.into_iter().map(Item));
                let value = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(value)
            }
            Val::Table(entries) => {
                let mut map = MapDeserializer::new(entries.into_iter());
                let value = visitor.visit_map(&mut map)?;
                map.end()?;
                Ok(value)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self {
            Val::Str(Cow::Borrowed(s)) => {
                let de: StrDeserializer<'_, Error> = s.into_deserializer();
                visitor.visit_enum(de)
            }
            Val::Str(Cow::Owned(s)) => {
                let de: StringDeserializer<Error> = s.into_deserializer();
                visitor.visit_enum(de)
            }
            _ => Err(de::Error::custom("not a unit variant")),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::parse_full;

    /// The fast path agrees with the full parser whenever it answers; returns whether it did.
    pub(in crate::store) fn agrees(text: &str) -> bool {
        let Some(fast) = parse(text) else {
            return false;
        };
        match parse_full(text) {
            Ok(full) => assert_eq!(fast, full, "fast path differs on:\n{text}"),
            Err(e) => panic!("fast path accepted what the full parser rejects ({e:?}):\n{text}"),
        }
        true
    }

    const HEAD: &str = "schema = 1\ntitle = \"T\"\n";

    fn with_head(rest: &str) -> String {
        format!("{HEAD}{rest}")
    }

    #[test]
    fn every_session_file_and_fixture_agrees() {
        let mut files = Vec::new();
        let mut dirs = vec![
            std::path::PathBuf::from("sessions"),
            std::path::PathBuf::from("tests/fixtures"),
        ];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("readable dir") {
                let path = entry.expect("dir entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "toml") {
                    files.push(path);
                }
            }
        }
        let mut taken = 0;
        for path in &files {
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            let answered = agrees(&text);
            if path.starts_with("sessions") {
                assert!(answered, "fast path declined {}", path.display());
            }
            taken += usize::from(answered);
        }
        assert!(taken >= 3, "fast path answered only {taken} files");
    }

    #[test]
    fn escapes_in_basic_strings() {
        let text = "schema = 1\ntitle = \"a\\\"b\\\\c\\n\\t\\u00e9\\U0001F600 \\b\\f\\r\"\n";
        assert!(agrees(text));
        let (session, _) = parse(text).expect("fast path");
        assert_eq!(session.title, "a\"b\\c\n\t\u{e9}\u{1F600} \u{8}\u{c}\r");
    }

    #[test]
    fn literal_and_multiline_strings() {
        assert!(agrees("schema = 1\ntitle = 'C:\\path \"x\"'\n"));
        assert!(agrees(&with_head(
            "[[components]]\nid = \"c1\"\nname = \"N\"\nkind = \"process\"\nnotes = \"\"\"\nline one\n  \"quoted\" \"\"\nline \\\n    joined\"\"\"\"\"\n"
        )));
        assert!(agrees(&with_head(
            "[[components]]\nid = \"c1\"\nname = \"N\"\nkind = \"process\"\nnotes = '''\nraw \\n ''text'''''\n"
        )));
    }

    #[test]
    fn comments_blank_lines_and_arrays() {
        assert!(agrees(
            "# a session\n\nschema = 1 # the schema\ntitle = \"T\"\t# tab\n\n\nagenda = [\n  1, # first\n  2,3,\n 4,\n]\n"
        ));
        assert!(agrees(&with_head(
            "[[components]]\nid = \"c1\"\nname = \"N\"\nkind = \"process\"\ntags = [\"a\", 'b',]\n"
        )));
    }

    #[test]
    fn crlf_line_endings() {
        let text = with_head("[[boundaries]]\nid = \"b0\"\nname = \"B\"\n").replace('\n', "\r\n");
        assert!(agrees(&text));
        // CRLF inside a multi-line string is left to the full parser.
        let text = "schema = 1\r\ntitle = \"\"\"a\r\nb\"\"\"\r\n";
        assert!(parse(text).is_none());
    }

    #[test]
    fn declines_what_it_does_not_handle() {
        for text in [
            "schema = 1\n\"title\" = \"T\"\n",
            "schema = 1\ntitle.x = \"T\"\n",
            "schema = 1\ntitle = \"T\"\n[review.x]\n",
            "schema = 1\ntitle = \"T\"\nagenda = [{ a = 1 }]\n",
            "schema = 0x1\ntitle = \"T\"\n",
            "schema = 1_0\ntitle = \"T\"\n",
            "schema = 1.0\ntitle = \"T\"\n",
            "schema = 1\ntitle = \"T\"\ntitle = \"U\"\n",
            "schema = 1\ntitle = \"\\e\"\n",
            "schema = 1\ntitle = \"T\"\nunknown = 1\n",
            "schema = 1\ntitle = \"T\"\n[review]\n[review]\n",
            "schema = 1\ntitle = \"T\"\n[[boundaries]]\nid = \"b\"\nname = \"B\"\nid = \"c\"\n",
            "schema = 1\ntitle = \"T\" x\n",
            "schema = 1\ntitle = \"T\nx\"\n",
        ] {
            assert!(parse(text).is_none(), "fast path took:\n{text}");
        }
    }

    #[test]
    fn dates_read_as_the_full_parser_reads_them() {
        let text = with_head(
            "[[runs]]\ndate = 2026-12-05\n# a comment\n[[runs]]\ndate = 2026-12-06 # next\n",
        );
        assert!(agrees(&text));
        assert!(parse(&with_head("[[runs]]\ndate = 2026-12-05T10:00:00\n")).is_none());
        assert!(parse(&with_head("[[runs]]\ndate = 2026-02-30\n")).is_none());
    }
}
