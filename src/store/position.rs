//! Byte offsets to `line:col`, and where each table entry and field of a session file starts.

use crate::model::{Location, Table};
use std::collections::HashMap;
use toml::de::{DeTable, DeValue};

/// A 1-based line and column (columns count characters, as editors do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: usize,
    pub col: usize,
}

impl std::fmt::Display for LineCol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// Converts byte offsets of one text into line and column.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { line_starts }
    }

    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let offset = offset.min(text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        // The offset may fall inside a multi-byte character; count whole characters before it.
        let col = text
            .get(start..)
            .unwrap_or("")
            .char_indices()
            .take_while(|(i, _)| start + i < offset)
            .count();
        LineCol {
            line: line + 1,
            col: col + 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct EntryPosition {
    pub(super) start: LineCol,
    /// Field name and the position of its value; a handful per entry, so a list beats a map.
    pub(super) fields: Vec<(Box<str>, LineCol)>,
}

impl EntryPosition {
    fn field(&self, name: &str) -> Option<LineCol> {
        self.fields
            .iter()
            .find(|(field, _)| &**field == name)
            .map(|(_, at)| *at)
    }
}

/// Where the entries and fields of a loaded session file are, for messages and SARIF.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Positions {
    top_fields: Vec<(Box<str>, LineCol)>,
    /// Per table key: where the table starts and each of its entries, in file order.
    tables: HashMap<Box<str>, (LineCol, Vec<EntryPosition>)>,
}

impl Positions {
    /// Positions gathered by another reader of the same text (the fast path).
    pub(super) fn from_parts(
        top_fields: Vec<(Box<str>, LineCol)>,
        tables: HashMap<Box<str>, (LineCol, Vec<EntryPosition>)>,
    ) -> Self {
        Positions { top_fields, tables }
    }

    /// Records positions from a parsed document. Cheap: one pass over the top two levels.
    pub fn from_document(text: &str, doc: &DeTable<'_>) -> Self {
        let index = LineIndex::new(text);
        let at = |offset: usize| index.line_col(text, offset);
        let fields_of = |table: &DeTable<'_>| -> Vec<(Box<str>, LineCol)> {
            table
                .iter()
                .map(|(field, value)| (Box::from(&**field.get_ref()), at(value.span().start)))
                .collect()
        };
        let mut positions = Positions::default();
        for (key, value) in doc {
            let key_pos = at(key.span().start);
            let name: Box<str> = Box::from(&**key.get_ref());
            match value.get_ref() {
                DeValue::Array(items) => {
                    // A top-level array of values (`agenda = [...]`) is a field of the session too.
                    positions
                        .top_fields
                        .push((name.clone(), at(value.span().start)));
                    let entries = items
                        .iter()
                        .map(|item| EntryPosition {
                            start: at(item.span().start),
                            fields: match item.get_ref() {
                                DeValue::Table(table) => fields_of(table),
                                _ => Vec::new(),
                            },
                        })
                        .collect();
                    positions.tables.insert(name, (key_pos, entries));
                }
                DeValue::Table(table) => {
                    let entry = EntryPosition {
                        start: key_pos,
                        fields: fields_of(table),
                    };
                    positions.tables.insert(name, (key_pos, vec![entry]));
                }
                _ => positions.top_fields.push((name, at(value.span().start))),
            }
        }
        positions
    }

    /// The most precise known position for a problem: the field if it is written, else the
    /// entry, else the table, else the top of the file.
    pub fn locate(&self, location: &Location) -> LineCol {
        let first = LineCol { line: 1, col: 1 };
        if location.table == Table::Session {
            return location
                .field
                .and_then(|f| {
                    self.top_fields
                        .iter()
                        .find(|(name, _)| &**name == f)
                        .map(|(_, at)| *at)
                })
                .unwrap_or(first);
        }
        let Some((table_start, entries)) = self.tables.get(location.table.key()) else {
            return first;
        };
        match entries.get(location.index.unwrap_or(0)) {
            Some(entry) => location
                .field
                .and_then(|f| entry.field(f))
                .unwrap_or(entry.start),
            None => *table_start,
        }
    }

    /// The line of a table entry, e.g. the `[[components]]` entry with index 2.
    pub fn entry_start(&self, table: Table, index: usize) -> Option<LineCol> {
        let (_, entries) = self.tables.get(table.key())?;
        entries.get(index).map(|e| e.start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let text = "ab\nçd = 1\n\nx";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(text, 0), LineCol { line: 1, col: 1 });
        assert_eq!(index.line_col(text, 3), LineCol { line: 2, col: 1 });
        // 'ç' is two bytes: the 'd' after it is column 2.
        assert_eq!(index.line_col(text, 5), LineCol { line: 2, col: 2 });
        assert_eq!(index.line_col(text, 12), LineCol { line: 4, col: 1 });
        assert_eq!(index.line_col(text, 999), LineCol { line: 4, col: 2 });
    }
}
