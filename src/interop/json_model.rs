//! What the JSON-based model importers (OTM, TM-BOM) share: the result with its warnings, errors
//! with a position, lenient access to a parsed document, text clean-up, and the mapping of
//! another tool's ids onto threatboard's id syntax.

use crate::model::text::escape_control;
use crate::model::{Session, id_syntax_problem, slugify};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::fmt;

/// A session made from another tool's model, and what could not be carried over.
#[derive(Debug, Clone)]
pub struct Imported {
    pub session: Session,
    /// One line each, without a `warning:` prefix.
    pub warnings: Vec<String>,
}

/// Why a file could not be read as a model, with its position (1-based; column in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for ImportError {}

/// Parses JSON (a leading byte-order mark is allowed), reporting a syntax error with its
/// position, and checks the top level is an object: `what` names the format in messages.
pub fn parse_object(bytes: &[u8], max_bytes: usize, what: &str) -> Result<Value, ImportError> {
    if bytes.len() > max_bytes {
        return Err(ImportError {
            line: 1,
            column: 1,
            message: format!(
                "file is larger than {} MB, the limit for {what} files",
                max_bytes / (1024 * 1024)
            ),
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        let (line, column, message) = crate::store::json_error_position(bytes, &e);
        ImportError {
            line,
            column,
            message: format!("invalid JSON: {message}"),
        }
    })?;
    if !value.is_object() {
        return Err(ImportError {
            line: 1,
            column: 1,
            message: format!("not an {what} model: the file must hold a JSON object"),
        });
    }
    Ok(value)
}

// ---- Lenient access: a missing or mistyped field reads as absent --------------------------------

pub fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)?.as_str().filter(|s| !s.trim().is_empty())
}

/// The array at `key`, empty when missing, null or not an array.
pub fn array<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The strings of the array at `key`, trimmed, skipping nulls, blanks and other values.
pub fn strings(v: &Value, key: &str) -> Vec<String> {
    array(v, key)
        .iter()
        .filter_map(Value::as_str)
        .map(|s| one_line(s).0)
        .filter(|s| !s.is_empty())
        .collect()
}

/// A number, or a string holding one.
pub fn number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64().filter(|f| f.is_finite()),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

/// Yes or no from a boolean or a word; `None` when it says neither.
pub fn yes_no(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "1" => Some(true),
            "false" | "no" | "n" | "0" | "none" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A value as one line of text for messages and notes.
pub fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(one_line(s).0),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

// ---- Text ----------------------------------------------------------------------------------------

/// Text for a one-line field: whitespace runs become one space; any other control or
/// direction-changing character is kept as a visible escape. Also says whether anything was
/// escaped.
pub fn one_line(raw: &str) -> (String, bool) {
    let collapsed = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let escaped = escape_control(&collapsed);
    let changed = escaped != collapsed;
    (escaped.into_owned(), changed)
}

/// Text for a multi-line field: line breaks kept, tabs become spaces, other control characters
/// become visible escapes, surrounding whitespace trimmed.
pub fn multi_line(raw: &str) -> String {
    let normalized = raw.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(normalized.len());
    let mut buf = [0u8; 4];
    for c in normalized.chars() {
        match c {
            '\n' => out.push('\n'),
            '\t' => out.push(' '),
            c => out.push_str(&escape_control(c.encode_utf8(&mut buf))),
        }
    }
    out.trim().to_string()
}

/// Appends a paragraph (a line) to notes.
pub fn push_line(notes: &mut String, line: &str) {
    if line.is_empty() {
        return;
    }
    if !notes.is_empty() {
        notes.push('\n');
    }
    notes.push_str(line);
}

/// `"a", "b" and 3 more`.
pub fn quoted_list(items: &[String], max: usize) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        _ if quoted.len() > max => format!(
            "{} and {} more",
            quoted[..max].join(", "),
            quoted.len() - max
        ),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

// ---- Ids -----------------------------------------------------------------------------------------

/// One namespace of threatboard ids filled from another tool's ids: a source id is kept when it
/// is a valid, unused threatboard id, otherwise it becomes a slug (of the id, else of the name),
/// made unique with `-2`, `-3`.
#[derive(Debug, Default)]
pub struct IdMap {
    used: HashSet<String>,
    map: HashMap<String, String>,
    /// Where the search for a free `base-N` resumes.
    next: HashMap<String, usize>,
}

impl IdMap {
    /// A new id for `source`; the first id given to a source id is what [`IdMap::get`] returns.
    /// The second value says whether the id differs from the source.
    pub fn assign(&mut self, source: &str, name: &str, fallback: &str) -> (String, bool) {
        let id = if id_syntax_problem(source).is_none() && !self.used.contains(source) {
            source.to_string()
        } else {
            let mut base = slugify(source);
            if base.is_empty() {
                base = slugify(name);
            }
            if base.is_empty() {
                base = fallback.to_string();
            }
            self.unique(&base)
        };
        self.used.insert(id.clone());
        self.map.entry(source.to_string()).or_insert(id.clone());
        let changed = id != source;
        (id, changed)
    }

    /// `base`, or `base-2`, `base-3`... whichever is free (not yet reserved). The search for a
    /// base resumes where it last stopped, so many copies of one id stay linear.
    pub fn unique(&mut self, base: &str) -> String {
        if !self.used.contains(base) {
            return base.to_string();
        }
        let mut n = self.next.get(base).copied().unwrap_or(2);
        loop {
            let candidate = format!("{base}-{n}");
            n += 1;
            if !self.used.contains(&candidate) {
                self.next.insert(base.to_string(), n);
                return candidate;
            }
        }
    }

    /// Reserves an id made elsewhere (a second flow for a bidirectional one).
    pub fn reserve(&mut self, id: &str) {
        self.used.insert(id.to_string());
    }

    pub fn get(&self, source: &str) -> Option<&str> {
        self.map.get(source).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_kept_when_valid_and_slugged_otherwise() {
        let mut ids = IdMap::default();
        assert_eq!(ids.assign("web", "Web", "x"), ("web".to_string(), false));
        assert_eq!(ids.assign("web", "Web", "x"), ("web-2".to_string(), true));
        assert_eq!(
            ids.assign("Web Server!", "Web", "x"),
            ("web-server".to_string(), true)
        );
        assert_eq!(
            ids.assign("日本", "日本", "zone"),
            ("zone".to_string(), true)
        );
        assert_eq!(ids.get("web"), Some("web"));
        assert_eq!(ids.get("Web Server!"), Some("web-server"));
    }

    #[test]
    fn syntax_errors_have_a_position_and_non_objects_are_refused() {
        let err = parse_object(b"{\n  \"a\": ,\n}", 1000, "OTM").err();
        let err = err.map(|e| (e.line, e.column)).unwrap_or_default();
        assert_eq!(err, (2, 8));
        let err = parse_object(b"[1]", 1000, "OTM")
            .err()
            .map(|e| e.message)
            .unwrap_or_default();
        assert!(err.contains("must hold a JSON object"), "{err}");
        assert!(parse_object(b"{}", 1, "OTM").is_err());
    }
}
