//! Reading library files: parse with spans, check everything, report every problem at once.
//!
//! The file is parsed into toml's spanned tree ([`DeTable`]) and walked by hand instead of being
//! deserialized with serde, because serde stops at the first wrong field while a person fixing a
//! hand-written library wants the whole list, each with `file:line:col`.

use super::format::{Entry, LibraryData, LibraryInfo, MitigationInfo, Origin};
use super::{Library, LibraryProblem};
use crate::model::ids::id_syntax_problem;
use crate::model::text::escape_control;
use crate::model::{ElementKind, LibraryRef, StrideSet};
use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

const LIBRARY_KEYS: &[&str] = &["id", "name", "version", "source", "licence", "attribution"];
const ENTRY_KEYS: &[&str] = &[
    "id",
    "name",
    "stride",
    "applies_to",
    "tags",
    "summary",
    "url",
    "cwes",
    "tactics",
    "platforms",
    "parent",
    "mitigations",
    "related",
];
const MITIGATION_KEYS: &[&str] = &["id", "name", "url"];
const TOP_KEYS: &[&str] = &["library", "entries", "mitigations"];

/// Converts a byte offset into a 1-based line and a 1-based column counted in characters, as
/// editors show them. Offsets past the end or inside a character are clamped.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    LineIndex::new(text).line_col(offset)
}

/// Line starts of a text, so that many offsets convert without rescanning the file.
pub struct LineIndex<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    pub fn new(text: &'t str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { text, starts }
    }

    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        // The last line start at or before the offset.
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let col = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().count())
            + 1;
        (line, col)
    }
}

/// Parses and checks one library file. On success the library is ready for lookups; otherwise
/// every problem found, in file order.
pub fn parse_library(text: &str, origin: Origin) -> Result<Library, Vec<LibraryProblem>> {
    let file = origin.to_string();
    let root = match DeTable::parse(text) {
        Ok(root) => root,
        Err(err) => {
            let offset = err.span().map_or(0, |s| s.start);
            let (line, column) = line_col(text, offset);
            // toml's message can span several lines (it quotes the source); the first is the
            // reason, and the position is ours.
            let message = err
                .message()
                .lines()
                .next()
                .unwrap_or("invalid TOML")
                .trim();
            return Err(vec![LibraryProblem {
                file,
                line,
                column,
                message: format!("invalid TOML: {message}"),
            }]);
        }
    };
    let mut walker = Walker {
        text,
        problems: Vec::new(),
    };
    let data = walker.document(root.get_ref());
    let lines = LineIndex::new(text);
    if walker.problems.is_empty()
        && let Some((data, id_offset, related_offsets)) = data
    {
        let mut lib = Library::new(data, origin, lines.line_col(id_offset));
        lib.related_at = related_offsets
            .into_iter()
            .map(|offsets| offsets.into_iter().map(|o| lines.line_col(o)).collect())
            .collect();
        return Ok(lib);
    }
    let mut problems = walker.problems;
    problems.sort_by_key(|(at, _)| *at);
    Err(problems
        .into_iter()
        .map(|(at, message)| {
            let (line, column) = lines.line_col(at);
            LibraryProblem {
                file: file.clone(),
                line,
                column,
                message,
            }
        })
        .collect())
}

/// Collects problems as (byte offset, message) while building the data.
struct Walker<'t> {
    text: &'t str,
    problems: Vec<(usize, String)>,
}

type Value<'i> = Spanned<DeValue<'i>>;

impl Walker<'_> {
    fn problem(&mut self, at: usize, message: impl Into<String>) {
        self.problems.push((at, message.into()));
    }

    /// The whole file. Returns the data (possibly incomplete when there are problems), the
    /// offset of the library id and, per entry, the offsets of its `related` references.
    fn document(&mut self, root: &DeTable<'_>) -> Option<(LibraryData, usize, Vec<Vec<usize>>)> {
        self.unknown_keys(root, TOP_KEYS, "the top level");
        let Some(library) = root.get("library") else {
            self.problem(
                0,
                "missing [library] table (id, name, version, source, licence, attribution)",
            );
            return None;
        };
        let (info, id_at) = self.library(library)?;

        let mut mitigations = Vec::new();
        let mut mitigation_ids: HashMap<String, usize> = HashMap::new();
        for table in self.tables(root, "mitigations") {
            let Some(m) = self.mitigation(table) else {
                continue;
            };
            let key = m.0.id.to_lowercase();
            if let Some(&first) = mitigation_ids.get(&key) {
                self.duplicate(m.1, "mitigation", &m.0.id, first);
                continue;
            }
            mitigation_ids.insert(key, m.1);
            mitigations.push(m.0);
        }

        let mut parsed = Vec::new();
        let mut entry_ids: HashMap<String, usize> = HashMap::new();
        for table in self.tables(root, "entries") {
            let Some(e) = self.entry(table) else {
                continue;
            };
            let key = e.entry.id.to_lowercase();
            if let Some(&first) = entry_ids.get(&key) {
                self.duplicate(e.id_at, "entry", &e.entry.id, first);
                continue;
            }
            entry_ids.insert(key, e.id_at);
            parsed.push(e);
        }

        // References inside the library, checked once all ids are known.
        for e in &parsed {
            if let Some((parent, at)) = &e.parent {
                if parent.eq_ignore_ascii_case(&e.entry.id) {
                    self.problem(*at, format!("entry {:?} is its own parent", e.entry.id));
                } else if !entry_ids.contains_key(&parent.to_lowercase()) {
                    self.problem(
                        *at,
                        format!("parent {:?} is not an entry of this library", esc(parent)),
                    );
                }
            }
            for (m, at) in &e.mitigation_refs {
                if !mitigation_ids.contains_key(&m.to_lowercase()) {
                    self.problem(
                        *at,
                        format!(
                            "mitigation {:?} is not in this library's [[mitigations]]",
                            esc(m)
                        ),
                    );
                }
            }
        }

        let mut entries = Vec::with_capacity(parsed.len());
        let mut related_at = Vec::with_capacity(parsed.len());
        for e in parsed {
            entries.push(e.entry);
            related_at.push(e.related_at);
        }
        Some((
            LibraryData {
                library: info,
                entries,
                mitigations,
            },
            id_at,
            related_at,
        ))
    }

    /// Ids are compared without case, since lookups (`library show t1078`) ignore case too.
    fn duplicate(&mut self, at: usize, what: &str, id: &str, first: usize) {
        let (line, _) = line_col(self.text, first);
        self.problem(
            at,
            format!("duplicate {what} id {:?} (first on line {line})", esc(id)),
        );
    }

    /// The tables of an array of tables such as `[[entries]]`; absent means none.
    fn tables<'a, 'i>(
        &mut self,
        root: &'a DeTable<'i>,
        key: &str,
    ) -> Vec<(&'a DeTable<'i>, usize)> {
        let Some(value) = root.get(key) else {
            return Vec::new();
        };
        let Some(array) = value.get_ref().as_array() else {
            self.problem(
                value.span().start,
                format!("{key} must be an array of tables ([[{key}]])"),
            );
            return Vec::new();
        };
        let mut out = Vec::with_capacity(array.len());
        for item in array.iter() {
            match item.get_ref().as_table() {
                Some(t) => out.push((t, item.span().start)),
                None => self.problem(item.span().start, format!("each of {key} must be a table")),
            }
        }
        out
    }

    fn library(&mut self, value: &Value<'_>) -> Option<(LibraryInfo, usize)> {
        let Some(table) = value.get_ref().as_table() else {
            self.problem(value.span().start, "library must be a table ([library])");
            return None;
        };
        let at = value.span().start;
        self.unknown_keys(table, LIBRARY_KEYS, "[library]");
        let id = self.string(table, "id", at, true);
        if let Some((id, span)) = &id
            && let Some(problem) = id_syntax_problem(id)
        {
            self.problem(span.start, format!("library {problem}"));
        }
        let name = self.nonempty(table, "name", at, "library");
        let text = |w: &mut Self, key| {
            w.string(table, key, at, false)
                .map(|(s, _)| s)
                .unwrap_or_default()
        };
        let info = LibraryInfo {
            version: text(self, "version"),
            source: text(self, "source"),
            licence: text(self, "licence"),
            attribution: text(self, "attribution"),
            name: name.unwrap_or_default(),
            id: id.as_ref().map(|(s, _)| s.clone()).unwrap_or_default(),
        };
        Some((info, id.map_or(at, |(_, span)| span.start)))
    }

    fn mitigation(
        &mut self,
        (table, at): (&DeTable<'_>, usize),
    ) -> Option<(MitigationInfo, usize)> {
        self.unknown_keys(table, MITIGATION_KEYS, "[[mitigations]]");
        let (id, span) = self.string(table, "id", at, true)?;
        self.entry_id_syntax(&id, span.start, "mitigation");
        let name = self.nonempty(table, "name", at, "mitigation");
        let url = self
            .string(table, "url", at, false)
            .map(|(s, _)| s)
            .unwrap_or_default();
        Some((
            MitigationInfo {
                id,
                name: name.unwrap_or_default(),
                url,
            },
            span.start,
        ))
    }

    fn entry(&mut self, (table, at): (&DeTable<'_>, usize)) -> Option<ParsedEntry> {
        self.unknown_keys(table, ENTRY_KEYS, "[[entries]]");
        let Some((id, id_span)) = self.string(table, "id", at, true) else {
            // Still check the rest, so one missing id does not hide other problems.
            self.entry_fields(table, at);
            return None;
        };
        self.entry_id_syntax(&id, id_span.start, "entry");
        let mut parsed = self.entry_fields(table, at);
        parsed.entry.id = id;
        parsed.id_at = id_span.start;
        Some(parsed)
    }

    fn entry_fields(&mut self, table: &DeTable<'_>, at: usize) -> ParsedEntry {
        let name = self
            .nonempty(table, "name", at, "entry")
            .unwrap_or_default();
        let stride = match self.string(table, "stride", at, false) {
            Some((text, span)) => {
                let set = StrideSet::parse(&text);
                for c in set.unknown().chars() {
                    self.problem(
                        span.start,
                        format!(
                            "unknown STRIDE letter {} in stride; use S, T, R, I, D or E",
                            crate::model::text::describe_char(c)
                        ),
                    );
                }
                set
            }
            None => StrideSet::empty(),
        };
        let mut applies_to = Vec::new();
        for (kind, span) in self.strings(table, "applies_to") {
            match ElementKind::parse(&kind) {
                Some(k) if !applies_to.contains(&k) => applies_to.push(k),
                Some(_) => {}
                None => self.problem(
                    span.start,
                    format!(
                        "unknown element kind {:?} in applies_to; use process, data-store, external-entity or flow",
                        esc(&kind)
                    ),
                ),
            }
        }
        let plain = |w: &mut Self, key| {
            w.strings(table, key)
                .into_iter()
                .map(|(s, _)| s)
                .collect::<Vec<_>>()
        };
        let tags = plain(self, "tags");
        let cwes = plain(self, "cwes");
        let tactics = plain(self, "tactics");
        let platforms = plain(self, "platforms");
        let mut related = Vec::new();
        let mut related_at = Vec::new();
        for (r, span) in self.strings(table, "related") {
            if LibraryRef::raw(r.clone()).parts().is_none() {
                self.problem(
                    span.start,
                    format!(
                        "related {:?} is not a reference of the form <library-id>:<entry-id>",
                        esc(&r)
                    ),
                );
            } else {
                related.push(r);
                related_at.push(span.start);
            }
        }
        let mitigation_refs = self.strings(table, "mitigations");
        let parent = self
            .string(table, "parent", at, false)
            .map(|(p, span)| (p, span.start));
        let text = |w: &mut Self, key| {
            w.string(table, key, at, false)
                .map(|(s, _)| s)
                .unwrap_or_default()
        };
        let summary = text(self, "summary");
        let url = text(self, "url");
        ParsedEntry {
            entry: Entry {
                id: String::new(),
                name,
                stride,
                applies_to,
                tags,
                summary,
                url,
                cwes,
                tactics,
                platforms,
                parent: parent.as_ref().map(|(p, _)| p.clone()),
                mitigations: mitigation_refs.iter().map(|(m, _)| m.clone()).collect(),
                related,
            },
            id_at: at,
            parent,
            mitigation_refs: mitigation_refs
                .into_iter()
                .map(|(m, s)| (m, s.start))
                .collect(),
            related_at,
        }
    }

    /// Entry and mitigation ids end up in references (`attack:T1078`) and on the command line,
    /// so they must be non-empty single words. Colons are allowed: OWASP writes `A01:2021`.
    fn entry_id_syntax(&mut self, id: &str, at: usize, what: &str) {
        if id.trim().is_empty() {
            self.problem(at, format!("{what} id is empty"));
        } else if let Some(c) = id.chars().find(|c| c.is_whitespace()) {
            self.problem(
                at,
                format!(
                    "{what} id {:?} contains {}; ids are single words",
                    esc(id),
                    crate::model::text::describe_char(c)
                ),
            );
        }
    }

    fn nonempty(
        &mut self,
        table: &DeTable<'_>,
        key: &str,
        at: usize,
        what: &str,
    ) -> Option<String> {
        let (text, span) = self.string(table, key, at, true)?;
        if text.trim().is_empty() {
            self.problem(span.start, format!("{what} {key} is empty"));
        }
        Some(text)
    }

    /// A string field. Reports a wrong type, a missing required field (at the table's header)
    /// and text that would be unsafe to show on a terminal.
    fn string(
        &mut self,
        table: &DeTable<'_>,
        key: &str,
        at: usize,
        required: bool,
    ) -> Option<(String, Range<usize>)> {
        let Some(value) = table.get(key) else {
            if required {
                self.problem(at, format!("missing {key}"));
            }
            return None;
        };
        let span = value.span();
        match value.get_ref().as_str() {
            Some(s) => {
                self.safe_text(s, span.start, key);
                Some((s.to_string(), span))
            }
            None => {
                self.problem(
                    span.start,
                    format!("{key} must be a string, not {}", value.get_ref().type_str()),
                );
                None
            }
        }
    }

    /// An array of strings; a wrong element type is reported and that element skipped.
    fn strings(&mut self, table: &DeTable<'_>, key: &str) -> Vec<(String, Range<usize>)> {
        let Some(value) = table.get(key) else {
            return Vec::new();
        };
        let Some(array): Option<&DeArray<'_>> = value.get_ref().as_array() else {
            self.problem(
                value.span().start,
                format!(
                    "{key} must be an array of strings, not {}",
                    value.get_ref().type_str()
                ),
            );
            return Vec::new();
        };
        let mut out = Vec::with_capacity(array.len());
        for item in array.iter() {
            match item.get_ref().as_str() {
                Some(s) => {
                    self.safe_text(s, item.span().start, key);
                    out.push((s.to_string(), item.span()));
                }
                None => self.problem(
                    item.span().start,
                    format!("{key} must hold strings, not {}", item.get_ref().type_str()),
                ),
            }
        }
        out
    }

    /// Library text is shown on a shared screen; control characters in it are a mistake or an
    /// attack, so they are reported (and always escaped when shown anyway).
    fn safe_text(&mut self, text: &str, at: usize, key: &str) {
        if matches!(escape_control(text), Cow::Owned(_)) {
            self.problem(
                at,
                format!(
                    "{key} contains control characters or direction overrides: {:?}",
                    esc(text)
                ),
            );
        }
    }

    fn unknown_keys(&mut self, table: &DeTable<'_>, allowed: &[&str], place: &str) {
        for (key, _) in table.iter() {
            let name: &str = key.get_ref();
            if !allowed.contains(&name) {
                self.problem(
                    key.span().start,
                    format!(
                        "unknown key {:?} in {place}; expected one of: {}",
                        esc(name),
                        allowed.join(", ")
                    ),
                );
            }
        }
    }
}

/// An entry with the positions of its references, for the checks that need all ids first.
struct ParsedEntry {
    entry: Entry,
    id_at: usize,
    parent: Option<(String, usize)>,
    mitigation_refs: Vec<(String, usize)>,
    related_at: Vec<usize>,
}

fn esc(text: &str) -> String {
    escape_control(text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Library, Vec<String>> {
        parse_library(text, Origin::Text("t.toml".into()))
            .map_err(|ps| ps.iter().map(|p| p.to_string()).collect())
    }

    const GOOD: &str = r#"
[library]
id = "demo"
name = "Demo library"
version = "1"

[[entries]]
id = "D1"
name = "First"
stride = "ST"
applies_to = ["process", "flow"]
tags = ["one"]
mitigations = ["M1"]

[[entries]]
id = "D1.1"
name = "Child"
parent = "D1"

[[mitigations]]
id = "M1"
name = "Do the thing"
"#;

    #[test]
    fn reads_a_good_file() {
        let lib = parse(GOOD).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(lib.info.id, "demo");
        assert_eq!(lib.entries.len(), 2);
        let d1 = lib.entry("d1").map(|e| e.name.as_str());
        assert_eq!(d1, Some("First"));
        assert_eq!(lib.entries[0].stride.to_string(), "ST");
        assert_eq!(
            lib.entries[0].applies_to,
            [ElementKind::Process, ElementKind::Flow]
        );
        assert_eq!(
            lib.mitigation("M1").map(|m| m.name.as_str()),
            Some("Do the thing")
        );
        assert_eq!(lib.entries[1].parent.as_deref(), Some("D1"));
        assert_eq!(lib.id_at, (3, 6));
    }

    #[test]
    fn reports_every_problem_with_positions() {
        let text = r#"[library]
id = "demo"
name = "Demo"

[[entries]]
id = "A"
name = ""
stride = "SXQ"
applies_to = ["process", "database"]
parent = "Z"
mitigations = ["M9"]

[[entries]]
id = "A"
name = "Again"

[[entries]]
name = "No id"
colour = "red"
"#;
        let problems = parse(text).err().unwrap_or_default();
        let expected = [
            "t.toml:7:8: entry name is empty",
            "t.toml:8:10: unknown STRIDE letter 'X' in stride; use S, T, R, I, D or E",
            "t.toml:8:10: unknown STRIDE letter 'Q' in stride; use S, T, R, I, D or E",
            "t.toml:9:26: unknown element kind \"database\" in applies_to; use process, data-store, external-entity or flow",
            "t.toml:10:10: parent \"Z\" is not an entry of this library",
            "t.toml:11:16: mitigation \"M9\" is not in this library's [[mitigations]]",
            "t.toml:14:6: duplicate entry id \"A\" (first on line 6)",
            "t.toml:17:1: missing id",
        ];
        for e in expected {
            assert!(
                problems.iter().any(|p| p == e),
                "missing {e:?} in {problems:#?}"
            );
        }
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("t.toml:19:1: unknown key \"colour\"")),
            "{problems:#?}"
        );
        // File order.
        let lines: Vec<usize> = problems
            .iter()
            .filter_map(|p| p.split(':').nth(1)?.parse().ok())
            .collect();
        assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{problems:#?}");
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let problems = parse("[library]\nid = \"x\"\nname = \"unterminated\n")
            .err()
            .unwrap_or_default();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("t.toml:3:"), "{problems:?}");
        assert!(problems[0].contains("invalid TOML"), "{problems:?}");
    }

    #[test]
    fn missing_library_table_and_bad_types() {
        let problems = parse("[[entries]]\nid = 5\nname = \"x\"\n")
            .err()
            .unwrap_or_default();
        assert!(
            problems.iter().any(|p| p.contains("missing [library]")),
            "{problems:?}"
        );
        let problems = parse("[library]\nid = \"bad id\"\nname = \"x\"\n[[entries]]\nid = 5\nname = \"x\"\ntags = \"t\"\n")
            .err()
            .unwrap_or_default();
        assert!(
            problems
                .iter()
                .any(|p| p.contains("t.toml:2:6: library id contains a space")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("t.toml:5:6: id must be a string, not integer")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("t.toml:7:8: tags must be an array of strings")),
            "{problems:?}"
        );
    }

    #[test]
    fn control_characters_are_reported() {
        let text = "[library]\nid = \"x\"\nname = \"evil\\u001b]0;title\\u0007\"\n";
        let problems = parse(text).err().unwrap_or_default();
        assert!(
            problems.iter().any(|p| p.contains("control characters")),
            "{problems:?}"
        );
        assert!(
            !problems.iter().any(|p| p.contains('\u{1b}')),
            "{problems:?}"
        );
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = "a = \"é\"\nb = \"ü\" x";
        assert_eq!(line_col(text, 0), (1, 1));
        let x = text.find('x').unwrap_or(0);
        assert_eq!(line_col(text, x), (2, 9));
        assert_eq!(line_col(text, text.len() + 10), (2, 10));
        assert_eq!(line_col(text, 6), (1, 6)); // inside 'é': clamped to its start
    }
}
