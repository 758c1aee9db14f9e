//! Rules files as they are usually written, read in one pass without the toml crate: the
//! shipped rules are read on every start of the app and every `check`, and the toml crate's
//! document, spans and serde took 2 ms of it.
//!
//! It reads only what it can read exactly as the toml crate does, spans included: bare keys,
//! `[rules]` and `[[rule]]` headers, one-line strings with the common escapes, decimal
//! integers, booleans, arrays (over several lines, with comments) and one-line inline tables.
//! Anything else (other escapes, dotted or quoted keys, a repeated or unknown key, a value of
//! the wrong type, a control character) declines with `None`, and the toml crate reads the
//! file and says what is wrong.

use super::{OneOrMany, RawCondition, RawFile, RawHeader, RawRule, RawUnless};
use toml::Spanned;

/// The file's shape, or `None` where the toml crate must read it.
pub(super) fn read(text: &str) -> Option<RawFile> {
    let mut reader = Reader { text, at: 0 };
    let mut header: Option<Header> = None;
    let mut rules: Vec<Spanned<RawRule>> = Vec::new();
    let mut open: Open = Open::Nothing;
    loop {
        reader.skip_blank_lines()?;
        if reader.at == text.len() {
            break;
        }
        let start = reader.at;
        if reader.eat("[[rule]]") {
            reader.end_of_line()?;
            open.close(&mut rules)?;
            open = Open::Rule(start, Box::default());
            continue;
        }
        if reader.eat("[rules]") {
            reader.end_of_line()?;
            open.close(&mut rules)?;
            if header.is_some() {
                return None;
            }
            header = Some(Header::default());
            open = Open::Header;
            continue;
        }
        let key = reader.key()?;
        reader.skip_spaces();
        if !reader.eat("=") {
            return None;
        }
        reader.skip_spaces();
        match &mut open {
            Open::Nothing => return None,
            Open::Header => header.as_mut()?.field(key, &mut reader)?,
            Open::Rule(_, fields) => fields.field(key, &mut reader)?,
        }
        reader.end_of_line()?;
    }
    open.close(&mut rules)?;
    let header = header?;
    Some(RawFile {
        rules: RawHeader {
            id: header.id?,
            name: header.name?,
            version: header.version.unwrap_or_default(),
            disable: header.disable.unwrap_or_default(),
        },
        rule: rules,
    })
}

/// The table whose keys are being read.
enum Open {
    Nothing,
    Header,
    /// A `[[rule]]` entry, with where its header starts.
    Rule(usize, Box<RuleFields>),
}

impl Open {
    /// Ends the open table: a rule goes to `rules` if it has every field it needs.
    fn close(&mut self, rules: &mut Vec<Spanned<RawRule>>) -> Option<()> {
        if let Open::Rule(start, fields) = std::mem::replace(self, Open::Nothing) {
            let rule = fields.finish()?;
            rules.push(Spanned::new(start..start + "[[rule]]".len(), rule));
        }
        Some(())
    }
}

/// Sets `slot` to the value `read` gives, unless the key was given already.
fn put<T>(slot: &mut Option<T>, read: Option<T>) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(read?);
    Some(())
}

#[derive(Default)]
struct Header {
    id: Option<String>,
    name: Option<String>,
    version: Option<String>,
    disable: Option<Vec<Spanned<String>>>,
}

impl Header {
    fn field(&mut self, key: &str, r: &mut Reader<'_>) -> Option<()> {
        match key {
            "id" => put(&mut self.id, r.plain_string()),
            "name" => put(&mut self.name, r.plain_string()),
            "version" => put(&mut self.version, r.plain_string()),
            "disable" => put(&mut self.disable, r.array(Reader::string)),
            _ => None,
        }
    }
}

#[derive(Default)]
struct RuleFields {
    id: Option<Spanned<String>>,
    name: Option<String>,
    stride: Option<Spanned<String>>,
    refs: Option<Vec<Spanned<String>>>,
    cwes: Option<Vec<Spanned<String>>>,
    likelihood: Option<Spanned<i64>>,
    impact: Option<Spanned<i64>>,
    threat: Option<Spanned<String>>,
    reason: Option<Spanned<String>>,
    mitigations: Option<Vec<String>>,
    when: Option<Spanned<RawCondition>>,
    unless: Option<Spanned<RawUnless>>,
}

impl RuleFields {
    fn field(&mut self, key: &str, r: &mut Reader<'_>) -> Option<()> {
        match key {
            "id" => put(&mut self.id, r.string()),
            "name" => put(&mut self.name, r.plain_string()),
            "stride" => put(&mut self.stride, r.string()),
            "refs" => put(&mut self.refs, r.array(Reader::string)),
            "cwes" => put(&mut self.cwes, r.array(Reader::string)),
            "likelihood" => put(&mut self.likelihood, r.integer()),
            "impact" => put(&mut self.impact, r.integer()),
            "threat" => put(&mut self.threat, r.string()),
            "reason" => put(&mut self.reason, r.string()),
            "mitigations" => put(&mut self.mitigations, r.array(Reader::plain_string)),
            "when" => put(&mut self.when, r.spanned(Reader::condition)),
            "unless" => put(&mut self.unless, r.spanned(Reader::unless)),
            _ => None,
        }
    }

    fn finish(self) -> Option<RawRule> {
        Some(RawRule {
            id: self.id?,
            name: self.name?,
            stride: self.stride?,
            refs: self.refs.unwrap_or_default(),
            cwes: self.cwes.unwrap_or_default(),
            likelihood: self.likelihood,
            impact: self.impact,
            threat: self.threat?,
            reason: self.reason,
            mitigations: self.mitigations.unwrap_or_default(),
            when: self.when?,
            unless: self.unless,
        })
    }
}

struct Reader<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Reader<'a> {
    fn rest(&self) -> &'a [u8] {
        self.text.as_bytes().get(self.at..).unwrap_or_default()
    }

    fn peek(&self) -> Option<u8> {
        self.rest().first().copied()
    }

    fn eat(&mut self, word: &str) -> bool {
        let found = self.rest().starts_with(word.as_bytes());
        if found {
            self.at += word.len();
        }
        found
    }

    fn skip_spaces(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.at += 1;
        }
    }

    /// A comment, if one starts here, up to its line's end; `None` for a control character
    /// in it, which TOML does not allow.
    fn skip_comment(&mut self) -> Option<()> {
        if self.peek() != Some(b'#') {
            return Some(());
        }
        let line = self.rest();
        let length = line.iter().position(|b| *b == b'\n').unwrap_or(line.len());
        let comment = line.get(..length).unwrap_or_default();
        // A CR only before the newline, as part of a CRLF.
        let comment = comment.strip_suffix(b"\r").unwrap_or(comment);
        if comment.iter().any(|b| is_control(*b) && *b != b'\t') {
            return None;
        }
        self.at += comment.len();
        Some(())
    }

    /// A line break (LF or CRLF), if one is here.
    fn eat_newline(&mut self) -> bool {
        self.eat("\n") || self.eat("\r\n")
    }

    /// Blank and comment lines, up to the next line with something on it (or the end).
    fn skip_blank_lines(&mut self) -> Option<()> {
        loop {
            self.skip_spaces();
            self.skip_comment()?;
            if !self.eat_newline() {
                return Some(());
            }
        }
    }

    /// After a value or header: blanks, a comment, then a line break or the end of the text.
    fn end_of_line(&mut self) -> Option<()> {
        self.skip_spaces();
        self.skip_comment()?;
        (self.eat_newline() || self.at == self.text.len()).then_some(())
    }

    /// Blanks, line breaks and comments between an array's items.
    fn skip_array_space(&mut self) -> Option<()> {
        self.skip_blank_lines()
    }

    /// A bare key.
    fn key(&mut self) -> Option<&'a str> {
        let length = self
            .rest()
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-'))
            .unwrap_or(self.rest().len());
        if length == 0 {
            return None;
        }
        let key = self.text.get(self.at..self.at + length)?;
        self.at += length;
        Some(key)
    }

    /// `read` with the span of what it read.
    fn spanned<T>(&mut self, read: impl FnOnce(&mut Self) -> Option<T>) -> Option<Spanned<T>> {
        let start = self.at;
        let value = read(self)?;
        Some(Spanned::new(start..self.at, value))
    }

    fn string(&mut self) -> Option<Spanned<String>> {
        self.spanned(Self::plain_string)
    }

    /// A one-line basic string with the escapes `\" \\ \n \t \r \b \f`, or a one-line literal
    /// string.
    fn plain_string(&mut self) -> Option<String> {
        match self.peek()? {
            b'"' if !self.rest().starts_with(b"\"\"\"") => {
                self.at += 1;
                let mut out = String::new();
                loop {
                    let rest = self.rest();
                    let run = rest
                        .iter()
                        .position(|b| matches!(b, b'"' | b'\\') || is_control(*b) && *b != b'\t')?;
                    out.push_str(self.text.get(self.at..self.at + run)?);
                    self.at += run;
                    match self.peek()? {
                        b'"' => {
                            self.at += 1;
                            return Some(out);
                        }
                        b'\\' => {
                            let escaped = match *self.rest().get(1)? {
                                b'"' => '"',
                                b'\\' => '\\',
                                b'n' => '\n',
                                b't' => '\t',
                                b'r' => '\r',
                                b'b' => '\u{8}',
                                b'f' => '\u{c}',
                                _ => return None,
                            };
                            out.push(escaped);
                            self.at += 2;
                        }
                        _ => return None,
                    }
                }
            }
            b'\'' if !self.rest().starts_with(b"'''") => {
                self.at += 1;
                let rest = self.rest();
                let length = rest
                    .iter()
                    .position(|b| *b == b'\'' || is_control(*b) && *b != b'\t')?;
                if rest.get(length) != Some(&b'\'') {
                    return None;
                }
                let value = self.text.get(self.at..self.at + length)?.to_string();
                self.at += length + 1;
                Some(value)
            }
            _ => None,
        }
    }

    /// A decimal integer without underscores or leading zeros.
    fn integer(&mut self) -> Option<Spanned<i64>> {
        let start = self.at;
        let rest = self.rest();
        let sign = usize::from(matches!(rest.first(), Some(b'+' | b'-')));
        let digits = rest
            .get(sign..)?
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 || digits > 1 && rest.get(sign) == Some(&b'0') {
            return None;
        }
        let end = start + sign + digits;
        // A number runs to a delimiter: `1_000`, `1.5` or `1e3` are for the toml crate.
        if !matches!(
            self.text.as_bytes().get(end),
            None | Some(b' ' | b'\t' | b'\r' | b'\n' | b'#' | b',' | b']' | b'}')
        ) {
            return None;
        }
        let value = self.text.get(start..end)?.parse().ok()?;
        self.at = end;
        Some(Spanned::new(start..end, value))
    }

    fn boolean(&mut self) -> Option<bool> {
        let value = if self.eat("true") {
            true
        } else if self.eat("false") {
            false
        } else {
            return None;
        };
        matches!(
            self.peek(),
            None | Some(b' ' | b'\t' | b'\r' | b'\n' | b'#' | b',' | b']' | b'}')
        )
        .then_some(value)
    }

    /// `[item, ...]`, over as many lines as it takes, a trailing comma allowed.
    fn array<T>(&mut self, mut item: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        if !self.eat("[") {
            return None;
        }
        let mut items = Vec::new();
        loop {
            self.skip_array_space()?;
            if self.eat("]") {
                return Some(items);
            }
            items.push(item(self)?);
            self.skip_array_space()?;
            if self.eat("]") {
                return Some(items);
            }
            if !self.eat(",") {
                return None;
            }
        }
    }

    fn one_or_many(&mut self) -> Option<Spanned<OneOrMany>> {
        self.spanned(|r| match r.peek()? {
            b'[' => r.array(Reader::plain_string).map(OneOrMany),
            _ => r.plain_string().map(|word| OneOrMany(vec![word])),
        })
    }

    /// `{ key = value, ... }` on one line.
    fn condition(&mut self) -> Option<RawCondition> {
        if !self.eat("{") {
            return None;
        }
        let mut c = RawCondition::default();
        self.skip_spaces();
        if self.eat("}") {
            return Some(c);
        }
        loop {
            let key = self.key()?;
            self.skip_spaces();
            if !self.eat("=") {
                return None;
            }
            self.skip_spaces();
            match key {
                "kind" => put(&mut c.kind, self.one_or_many()),
                "technology" => put(&mut c.technology, self.one_or_many()),
                "from_kind" => put(&mut c.from_kind, self.one_or_many()),
                "to_kind" => put(&mut c.to_kind, self.one_or_many()),
                "from_technology" => put(&mut c.from_technology, self.one_or_many()),
                "to_technology" => put(&mut c.to_technology, self.one_or_many()),
                "protocol" => put(&mut c.protocol, self.one_or_many()),
                "authenticated" => put(&mut c.authenticated, self.boolean()),
                "encrypted" => put(&mut c.encrypted, self.boolean()),
                "crossing" => put(&mut c.crossing, self.one_or_many()),
                "from_internet" => put(&mut c.from_internet, self.boolean()),
                "internet_facing" => put(&mut c.internet_facing, self.boolean()),
                "data" => put(&mut c.data, self.string()),
                "tags" => put(&mut c.tags, self.one_or_many()),
                "sends" => put(&mut c.sends, self.one_or_many()),
                "receives" => put(&mut c.receives, self.one_or_many()),
                "sends_to" => put(&mut c.sends_to, self.one_or_many()),
                "receives_from" => put(&mut c.receives_from, self.one_or_many()),
                _ => None,
            }?;
            self.skip_spaces();
            if self.eat("}") {
                return Some(c);
            }
            if !self.eat(",") {
                return None;
            }
            self.skip_spaces();
        }
    }

    fn unless(&mut self) -> Option<RawUnless> {
        match self.peek()? {
            b'[' => self.array(Reader::condition).map(RawUnless),
            _ => self.condition().map(|one| RawUnless(vec![one])),
        }
    }
}

/// A control character TOML does not allow unescaped (tab aside, which it does in most places).
fn is_control(b: u8) -> bool {
    b < 0x20 || b == 0x7f
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same file, spans and all, as the toml crate reads it, or declined.
    fn same_as_toml(text: &str) -> bool {
        let slow: Result<RawFile, _> = toml::from_str(text);
        match (read(text), slow) {
            (Some(fast), Ok(slow)) => format!("{fast:?}") == format!("{slow:?}"),
            (Some(_), Err(_)) => false,
            (None, _) => true,
        }
    }

    const SMALL: &str = "[rules]\nid = \"x\" # the id\nname = 'n'\ndisable = [\"a\", 'b',]\n\n\
        [[rule]]\nid = \"r1\"\nname = \"N\"\nstride = \"S\"\nrefs = [\n  \"capec:CAPEC-1\", # x\n]\n\
        likelihood = 2\nimpact = -3\nthreat = \"t \\\"q\\\" \\\\ \\t\"\n\
        when = { kind = \"flow\", encrypted = false, tags = [\"a\", \"b\"] }\n\
        unless = [\n  { protocol = \"dns\" },\n  { to_technology = \"x\" },\n]\n\n\
        [[rule]]\r\nid = \"r2\"\r\nname = \"N\"\nstride = \"S\"\nthreat = \"t\"\n\
        when = { kind = \"flow\" }\nunless = { protocol = \"dns\" }";

    #[test]
    fn the_shipped_rules_read_as_the_toml_crate_reads_them() {
        for (name, text) in crate::library::shipped_files() {
            if crate::rules::is_rules_file(text) {
                assert!(read(text).is_some(), "{name} is read");
                assert!(same_as_toml(text), "{name}");
            }
        }
    }

    #[test]
    fn a_small_file_with_every_kind_of_value_reads_as_toml_does() {
        let fast = read(SMALL).expect("read");
        assert!(same_as_toml(SMALL));
        assert_eq!(fast.rule.len(), 2);
        assert_eq!(&SMALL[fast.rule[1].span()], "[[rule]]");
        assert_eq!(fast.rule[0].get_ref().threat.get_ref(), "t \"q\" \\ \t");
        assert_eq!(
            fast.rule[0].get_ref().impact.as_ref().map(|i| *i.get_ref()),
            Some(-3)
        );
    }

    #[test]
    fn what_it_cannot_read_exactly_is_declined() {
        let declined = [
            ("id = \"x\"", "id = \"\\u0041\""),
            ("id = \"x\"", "\"id\" = \"x\""),
            ("id = \"x\"", "id.x = \"x\""),
            ("id = \"x\"", "id = \"\"\"x\"\"\""),
            ("id = \"x\"", "id = \"x\"\nid = \"y\""),
            ("id = \"x\"", "id = \"x\"\nextra = 1"),
            ("id = \"x\"", "id = \"x\u{7}\""),
            ("id = \"x\"", "id = \"x\" # bell \u{7}"),
            ("likelihood = 2", "likelihood = 02"),
            ("likelihood = 2", "likelihood = 1_0"),
            ("likelihood = 2", "likelihood = 2.5"),
            ("likelihood = 2", "likelihood = \"2\""),
            ("encrypted = false", "encrypted = falsey"),
            ("{ protocol = \"dns\" }", "{ protocol = \"dns\", }"),
            ("{ kind = \"flow\" }", "{ kind = \"flow\"\n}"),
            ("[[rule]]\r\n", "[[rule]]\r"),
            ("[rules]\n", "[rules]\n[rules]\n"),
        ];
        for (from, to) in declined {
            assert!(SMALL.contains(from), "{from}");
            let text = SMALL.replacen(from, to, 1);
            assert!(read(&text).is_none(), "{text}");
        }
        assert!(read("").is_none(), "no [rules] table");
        assert!(read("title = \"x\"\n[rules]\nid = \"x\"\nname = \"n\"\n").is_none());
    }

    proptest::proptest! {
        /// Whatever a damaged file holds, what is read is what the toml crate reads.
        #[test]
        fn damaged_files_read_as_toml_or_not_at_all(
            at in 0usize..SMALL.len(),
            cut in 0usize..4,
            insert in proptest::sample::select(vec!["", "\"", "'", "[", "]", "{", "}", ",", "=",
                "\n", "\r", "#", " ", "\\", "0", "x", "\t", "\u{7f}", "é", "[[rule]]\n"]),
        ) {
            let mut text = SMALL.to_string();
            let at = (0..=at).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
            let end = (at..=text.len().min(at + cut)).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(at);
            text.replace_range(at..end, insert);
            proptest::prop_assert!(same_as_toml(&text), "{:?}", text);
        }
    }
}
