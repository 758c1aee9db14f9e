//! The threat-library file format: what a `libraries/*.toml` file holds, and how it is written.
//!
//! A library file has a `[library]` table, `[[entries]]` and an optional `[[mitigations]]`
//! array. Reading is done by [`super::load`], which walks a spanned TOML tree so that every
//! problem can be reported with its position; this module only defines the data and the
//! deterministic writer used by the STIX importer.

use crate::model::{ElementKind, StrideSet};
use serde::Serialize;
use std::cmp::Ordering;
use std::fmt;
use std::path::PathBuf;

/// The `[library]` table: who wrote the data and under which terms it is shipped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LibraryInfo {
    /// The prefix of references into this library, e.g. `attack` in `attack:T1078`.
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// Where the data comes from (a URL).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub source: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub licence: String,
    /// The copyright and attribution line the licence requires to be shown with the data.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub attribution: String,
}

/// One threat, technique or attack pattern in a library.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "StrideSet::is_empty")]
    pub stride: StrideSet,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub applies_to: Vec<ElementKind>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// One line in this project's own words: never text copied from the source.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub summary: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub url: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cwes: Vec<String>,
    /// ATT&CK tactic short names (`credential-access`), in the matrix's order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tactics: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
    /// The entry this one refines (an ATT&CK technique for a sub-technique), in this library.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Ids of this library's `[[mitigations]]`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mitigations: Vec<String>,
    /// References into other libraries, `<library-id>:<entry-id>`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
}

impl Entry {
    pub fn applies_to(&self, kind: ElementKind) -> bool {
        self.applies_to.contains(&kind)
    }
}

/// A mitigation a library names by id (ATT&CK's `M1032`), so entries can list them by id and
/// screens can show them by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MitigationInfo {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub url: String,
}

/// Where a library was read from, for messages and `library list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Compiled into the binary from the crate's `libraries/` directory; the file name.
    Shipped(&'static str),
    File(PathBuf),
    /// Text handed to the parser directly (tests, the importer's self-check).
    Text(String),
}

impl Origin {
    pub fn is_shipped(&self) -> bool {
        matches!(self, Origin::Shipped(_))
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Shipped(name) => write!(f, "<built-in>/{name}"),
            Origin::File(path) => write!(f, "{}", crate::store::display_path(path)),
            Origin::Text(name) => f.write_str(name),
        }
    }
}

/// The contents of one library file, without where it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LibraryData {
    pub library: LibraryInfo,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<Entry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mitigations: Vec<MitigationInfo>,
}

impl LibraryData {
    /// The file text: `header` as `#` comment lines, then the tables. Entries and mitigations are
    /// written in the order they are in; callers that want a canonical file sort them first with
    /// [`natural_cmp`]. The same data always gives the same bytes.
    pub fn to_toml(&self, header: &str) -> Result<String, toml::ser::Error> {
        let body = toml::to_string(self)?;
        let mut out = String::with_capacity(body.len() + header.len() + 64);
        for line in header.lines() {
            if line.is_empty() {
                out.push_str("#\n");
            } else {
                out.push_str("# ");
                out.push_str(line);
                out.push('\n');
            }
        }
        if !header.is_empty() {
            out.push('\n');
        }
        out.push_str(&body);
        Ok(out)
    }
}

/// Orders ids the way people count: digit runs compare as numbers, so `CAPEC-2 < CAPEC-10` and
/// `T1078 < T1078.001 < T1078.004 < T1079`. Ties (`T01` vs `T1`) fall back to plain byte order so
/// the order is total and a sort never depends on the input order.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(cx), Some(cy)) if cx.is_ascii_digit() && cy.is_ascii_digit() => {
                let nx = x.iter().take_while(|c| c.is_ascii_digit()).count();
                let ny = y.iter().take_while(|c| c.is_ascii_digit()).count();
                let (dx, rx) = x.split_at(nx);
                let (dy, ry) = y.split_at(ny);
                // Compare the numbers without parsing (they may not fit in any integer): strip
                // leading zeros, then the longer is larger, then digit by digit.
                let tx = trim_zeros(dx);
                let ty = trim_zeros(dy);
                let ord = tx.len().cmp(&ty.len()).then_with(|| tx.cmp(ty));
                if ord != Ordering::Equal {
                    return ord;
                }
                x = rx;
                y = ry;
            }
            (Some(cx), Some(cy)) => {
                if cx != cy {
                    return cx.cmp(cy);
                }
                x = &x[1..];
                y = &y[1..];
            }
        }
    }
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let zeros = digits.iter().take_while(|&&c| c == b'0').count();
    &digits[zeros..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order_of_ids() {
        let mut ids = vec![
            "T1079",
            "T1078.004",
            "CAPEC-10",
            "T1078",
            "CAPEC-2",
            "T1078.001",
            "A10",
            "A01",
            "T1078.010",
        ];
        ids.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            ids,
            [
                "A01",
                "A10",
                "CAPEC-2",
                "CAPEC-10",
                "T1078",
                "T1078.001",
                "T1078.004",
                "T1078.010",
                "T1079"
            ]
        );
        assert_eq!(natural_cmp("T01", "T1"), "T01".cmp("T1"));
        assert_ne!(natural_cmp("T01", "T1"), Ordering::Equal);
        assert_eq!(
            natural_cmp("x99999999999999999999999", "x100000000000000000000000"),
            Ordering::Less
        );
    }

    #[test]
    fn writer_is_deterministic_and_skips_empty_fields() {
        let data = LibraryData {
            library: LibraryInfo {
                id: "demo".into(),
                name: "Demo".into(),
                version: "1".into(),
                ..LibraryInfo::default()
            },
            entries: vec![Entry {
                id: "D1".into(),
                name: "Quote \" and backslash \\".into(),
                stride: StrideSet::parse("ie"),
                applies_to: vec![ElementKind::Process, ElementKind::DataStore],
                parent: None,
                ..Entry::default()
            }],
            mitigations: Vec::new(),
        };
        let text = data
            .to_toml("Generated.\n\nSecond line.")
            .unwrap_or_default();
        assert!(
            text.starts_with("# Generated.\n#\n# Second line.\n\n[library]\n"),
            "{text}"
        );
        assert!(text.contains("stride = \"IE\""), "{text}");
        assert!(
            text.contains("applies_to = [\"process\", \"data-store\"]"),
            "{text}"
        );
        assert!(!text.contains("tags"), "{text}");
        assert!(!text.contains("[[mitigations]]"), "{text}");
        assert_eq!(
            data.to_toml("Generated.\n\nSecond line.")
                .unwrap_or_default(),
            text
        );
    }
}
