//! Byte offsets to `line:col`, and where each table entry and field of a session file starts.

use crate::model::{Location, Table};
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

/// A position as kept for every entry and field: half the size of a [`LineCol`]. Session files
/// are limited to 64 MB, so lines and columns fit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Pos {
    line: u32,
    col: u32,
}

impl Pos {
    pub(super) fn new(at: LineCol) -> Self {
        let narrow = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Pos {
            line: narrow(at.line),
            col: narrow(at.col),
        }
    }

    /// The same place, `lines` further down (for a part of a file read on its own).
    fn lines_down(self, lines: u32) -> Self {
        Pos {
            line: self.line.saturating_add(lines),
            col: self.col,
        }
    }

    fn line_col(self) -> LineCol {
        LineCol {
            line: self.line as usize,
            col: self.col as usize,
        }
    }
}

/// Turns byte offsets into positions while a parser moves forward through the text: each call
/// scans only the bytes since the previous one, so a whole file costs one pass instead of a
/// binary search and a column count per field.
pub(super) struct LineCursor<'t> {
    bytes: &'t [u8],
    /// The start of the line the cursor numbers 1.
    base: usize,
    /// Bytes before this offset are counted.
    scanned: usize,
    line: usize,
    line_start: usize,
}

impl<'t> LineCursor<'t> {
    /// A cursor that numbers lines from `line_start`, the start of a line of `text`, as line 1:
    /// for a reader of part of a file, whose lines are renumbered when the parts are put
    /// together (see [`Positions::append`]).
    pub(super) fn numbering_from(text: &'t str, line_start: usize) -> Self {
        let bytes = text.as_bytes();
        let line_start = line_start.min(bytes.len());
        LineCursor {
            bytes,
            base: line_start,
            scanned: line_start,
            line: 1,
            line_start,
        }
    }

    /// The position of `offset`, which must not be before the previous call's (an earlier
    /// offset is answered by counting again from the first line: correct, only slower).
    pub(super) fn at(&mut self, offset: usize) -> Pos {
        let offset = offset.clamp(self.base, self.bytes.len());
        if offset < self.scanned {
            self.scanned = self.base;
            self.line = 1;
            self.line_start = self.base;
        }
        // Counting and finding the last newline separately lets both loops vectorize.
        let chunk = &self.bytes[self.scanned..offset];
        let newlines = chunk.iter().filter(|b| **b == b'\n').count();
        if newlines > 0 {
            self.line += newlines;
            if let Some(last) = chunk.iter().rposition(|b| *b == b'\n') {
                self.line_start = self.scanned + last + 1;
            }
        }
        self.scanned = offset;
        // Columns count characters: every byte that does not continue a UTF-8 sequence starts
        // one (an offset inside a character counts that character, as `LineIndex` does).
        let col = self.bytes[self.line_start..offset]
            .iter()
            .filter(|b| (**b & 0xC0) != 0x80)
            .count();
        Pos::new(LineCol {
            line: self.line,
            col: col + 1,
        })
    }
}

/// The field names serde reads for each table's entries (and, for [`Table::Session`], at the top
/// level), so that positions name a field by a small index instead of a copy of its name.
pub(super) fn table_fields(table: Table) -> &'static [&'static str] {
    use crate::model as m;
    static FIELDS: std::sync::OnceLock<[&'static [&'static str]; TABLES.len()]> =
        std::sync::OnceLock::new();
    let all = FIELDS.get_or_init(|| {
        TABLES.map(|t| match t {
            Table::Session => struct_fields::<m::Session>(),
            Table::Runs => struct_fields::<m::Run>(),
            Table::Boundaries => struct_fields::<m::Boundary>(),
            Table::Assets => struct_fields::<m::Asset>(),
            Table::Components => struct_fields::<m::Component>(),
            Table::Flows => struct_fields::<m::Flow>(),
            Table::Threats => struct_fields::<m::Threat>(),
            Table::Mitigations => struct_fields::<m::Mitigation>(),
            Table::Acceptances => struct_fields::<m::Acceptance>(),
            Table::Assumptions => struct_fields::<m::Assumption>(),
            Table::Review => struct_fields::<m::Review>(),
        })
    });
    all[table_index(table)]
}

/// Every table, in the order positions keep them.
pub(super) const TABLES: [Table; 11] = [
    Table::Session,
    Table::Runs,
    Table::Boundaries,
    Table::Assets,
    Table::Components,
    Table::Flows,
    Table::Threats,
    Table::Mitigations,
    Table::Acceptances,
    Table::Assumptions,
    Table::Review,
];

fn table_index(table: Table) -> usize {
    TABLES.iter().position(|t| *t == table).unwrap_or(0)
}

/// The table a top-level key of the file names (never [`Table::Session`]).
pub(super) fn table_named(key: &str) -> Option<Table> {
    TABLES[1..].iter().copied().find(|t| t.key() == key)
}

/// The index of `name` among `table`'s fields, if it is one.
pub(super) fn field_index(table: Table, name: &str) -> Option<u8> {
    let i = table_fields(table).iter().position(|f| *f == name)?;
    u8::try_from(i).ok()
}

/// Looks up the fields of one table's entries as they come, expecting each after the one
/// before: files keep the canonical field order, so the search rarely compares more than the
/// names of the optional fields left out. Any order is still found.
#[derive(Clone, Copy)]
pub(super) struct FieldFinder {
    fields: &'static [&'static str],
    next: usize,
}

impl FieldFinder {
    pub(super) fn new(table: Table) -> Self {
        FieldFinder {
            fields: table_fields(table),
            next: 0,
        }
    }

    /// The index of `name` among the table's fields (as [`field_index`] gives it), if it is one.
    pub(super) fn find(&mut self, name: &str) -> Option<u8> {
        // Names are a few bytes: compared inline, not by a call to `memcmp` each.
        let same =
            |f: &&str| f.len() == name.len() && f.bytes().zip(name.bytes()).all(|(a, b)| a == b);
        let after = self.fields.get(self.next..).unwrap_or_default();
        let index = match after.iter().position(same) {
            Some(i) => self.next + i,
            None => self.fields.iter().position(same)?,
        };
        self.next = index + 1;
        u8::try_from(index).ok()
    }

    /// A new entry of the same table: its fields start again from the first.
    pub(super) fn restart(&mut self) {
        self.next = 0;
    }
}

/// The field list a derived `Deserialize` passes to `deserialize_struct`, caught by a
/// deserializer that reads nothing: the names stay exactly those serde accepts.
fn struct_fields<T: serde::de::DeserializeOwned>() -> &'static [&'static str] {
    use serde::de::{self, Visitor};

    #[derive(Debug)]
    struct Caught(Option<&'static [&'static str]>);

    impl std::fmt::Display for Caught {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("field names caught")
        }
    }

    impl std::error::Error for Caught {}

    impl de::Error for Caught {
        fn custom<M: std::fmt::Display>(_: M) -> Self {
            Caught(None)
        }
    }

    struct Catch;

    impl<'de> de::Deserializer<'de> for Catch {
        type Error = Caught;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Caught> {
            Err(Caught(None))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Caught> {
            Err(Caught(Some(fields)))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }

    match T::deserialize(Catch) {
        Err(Caught(Some(fields))) => fields,
        _ => &[],
    }
}

/// Where one table's entries and their fields are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct TablePositions {
    /// The table's first header (or key).
    start: Pos,
    /// Where each entry starts, in file order.
    entries: Vec<Pos>,
    /// Entry `i`'s fields are `fields[ends[i - 1]..ends[i]]`: one flat list for the whole table
    /// rather than a list per entry.
    ends: Vec<u32>,
    /// Each entry's fields in file order, placed from the entry's start.
    fields: Vec<FieldAt>,
    /// The places of the fields too far from their entry's start for a [`FieldAt`], by index
    /// in `fields`, in increasing order (a field many lines into a long multi-line value, or
    /// past column 65,535).
    far: Vec<(u32, Pos)>,
}

/// One field of an entry: which (an index into the table's field names) and where its value
/// starts, as lines below the entry's start and a column. 4 bytes where a field and a [`Pos`]
/// take 12: a large model has tens of thousands of fields, and a file read in pieces keeps
/// them as they are when the pieces are put together (only the entries move down).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FieldAt {
    field: u8,
    /// [`FieldAt::FAR`] when the place is in [`TablePositions::far`].
    lines_below: u8,
    col: u16,
}

impl FieldAt {
    const FAR: u8 = u8::MAX;

    /// `field` at `at`, in the entry that starts at `entry`; `None` when too far from it.
    fn near(field: u8, entry: Pos, at: Pos) -> Option<Self> {
        let lines_below = at.line.checked_sub(entry.line)?;
        Some(FieldAt {
            field,
            lines_below: u8::try_from(lines_below).ok().filter(|l| *l != Self::FAR)?,
            col: u16::try_from(at.col).ok()?,
        })
    }
}

impl TablePositions {
    /// A field of the last entry (there must be one).
    fn push_field(&mut self, field: u8, at: Pos) {
        let entry = self.entries.last().copied().unwrap_or_default();
        let near = FieldAt::near(field, entry, at).unwrap_or_else(|| {
            self.far.push((self.fields.len() as u32, at));
            FieldAt {
                field,
                lines_below: FieldAt::FAR,
                col: 0,
            }
        });
        self.fields.push(near);
        if let Some(end) = self.ends.last_mut() {
            *end = self.fields.len() as u32;
        }
    }

    /// Entry `index`'s fields: which, and where.
    fn entry_fields(&self, index: usize) -> impl Iterator<Item = (u8, Pos)> + '_ {
        let end = self.ends.get(index).map_or(0, |e| *e as usize);
        let start = match index {
            0 => 0,
            i => self.ends.get(i - 1).map_or(0, |e| *e as usize),
        };
        let entry = self.entries.get(index).copied().unwrap_or_default();
        let fields = self.fields.get(start..end).unwrap_or(&[]);
        fields.iter().zip(start..).map(move |(f, i)| {
            let at = if f.lines_below == FieldAt::FAR {
                let i = i as u32;
                self.far
                    .binary_search_by_key(&i, |(at, _)| *at)
                    .map_or(entry, |found| self.far[found].1)
            } else {
                Pos {
                    line: entry.line.saturating_add(u32::from(f.lines_below)),
                    col: u32::from(f.col),
                }
            };
            (f.field, at)
        })
    }
}

/// The positions of a file read in pieces, not yet put together: renumbering the later
/// pieces' lines and copying them behind the first's is work that `check`'s second thread does
/// while the first goes on with the session (0.2-0.4 ms at 1,000 components).
#[derive(Debug, Default)]
pub struct PiecePositions {
    first: Positions,
    /// Each later piece's positions, with the lines of the file before it.
    later: Vec<(Positions, usize)>,
}

impl PiecePositions {
    pub(super) fn new(first: Positions, later: Vec<(Positions, usize)>) -> Self {
        PiecePositions { first, later }
    }

    /// The positions in the whole file.
    pub fn join(self) -> Positions {
        let mut positions = self.first;
        for (later, lines_before) in self.later {
            positions.append(later, lines_before);
        }
        positions.shrink();
        positions
    }
}

impl From<Positions> for PiecePositions {
    fn from(whole: Positions) -> Self {
        PiecePositions::new(whole, Vec::new())
    }
}

/// Where the entries and fields of a loaded session file are, for messages and SARIF. Kept
/// compact (a few bytes per field): a large model holds one entry per field of the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Positions {
    /// Top-level fields (including each array of tables, at its first header), in file order.
    top: Vec<(u8, Pos)>,
    /// Per table in [`TABLES`] order; the session's own slot stays unused.
    tables: Vec<Option<TablePositions>>,
}

impl Positions {
    fn table_mut(&mut self, table: Table) -> &mut Option<TablePositions> {
        if self.tables.is_empty() {
            self.tables = vec![None; TABLES.len()];
        }
        &mut self.tables[table_index(table)]
    }

    fn table(&self, table: Table) -> Option<&TablePositions> {
        self.tables.get(table_index(table))?.as_ref()
    }

    /// A top-level field (a value, or an array of tables at its first header).
    pub(super) fn add_top(&mut self, name: &str, at: Pos) {
        if let Some(field) = field_index(Table::Session, name) {
            self.top.push((field, at));
        }
    }

    /// The table `key` starts at `at`, if it is not already known.
    pub(super) fn open_table(&mut self, table: Table, at: Pos) {
        self.table_mut(table).get_or_insert_with(|| TablePositions {
            start: at,
            ..TablePositions::default()
        });
    }

    /// Room, if it can be had, for `entries` more entries of `table` (which must be open) with
    /// `fields` fields in all: room never used costs no memory, and growing copies what is
    /// there. Without it the lists grow as they are filled.
    pub(super) fn reserve(&mut self, table: Table, entries: usize, fields: usize) {
        if let Some(t) = self.table_mut(table) {
            let _ = t.entries.try_reserve(entries);
            let _ = t.ends.try_reserve(entries);
            let _ = t.fields.try_reserve(fields);
        }
    }

    /// A new entry of `table`, which must be open.
    pub(super) fn add_entry(&mut self, table: Table, at: Pos) {
        if let Some(t) = self.table_mut(table) {
            t.entries.push(at);
            let end = t.fields.len() as u32;
            t.ends.push(end);
        }
    }

    /// A field of the last entry of `table`; names that are not fields of the table are left
    /// out (serde rejects them, so no message asks for them).
    pub(super) fn add_field(&mut self, table: Table, name: &str, at: Pos) {
        if let Some(field) = field_index(table, name) {
            self.add_field_at(table, field, at);
        }
    }

    /// [`Positions::add_field`] for a field already looked up (see [`FieldFinder`]).
    pub(super) fn add_field_at(&mut self, table: Table, field: u8, at: Pos) {
        if let Some(t) = self.table_mut(table)
            && !t.ends.is_empty()
        {
            t.push_field(field, at);
        }
    }

    /// Adds what a reader recorded of a later part of the same file, read on its own from a
    /// header on, with its lines numbered from there: `lines_before` is the number of lines
    /// before that part. Its tables continue these (entries of an array of tables go on where
    /// the first part left off), and top-level fields already seen keep their first position.
    pub(super) fn append(&mut self, later: Positions, lines_before: usize) {
        let shift = u32::try_from(lines_before).unwrap_or(u32::MAX);
        let down = |at: Pos| at.lines_down(shift);
        for (field, at) in later.top {
            if !self.top.iter().any(|(f, _)| *f == field) {
                self.top.push((field, down(at)));
            }
        }
        if later.tables.is_empty() {
            return;
        }
        if self.tables.is_empty() {
            self.tables = vec![None; TABLES.len()];
        }
        for (mine, theirs) in self.tables.iter_mut().zip(later.tables) {
            let Some(theirs) = theirs else {
                continue;
            };
            let mine = mine.get_or_insert_with(|| TablePositions {
                start: down(theirs.start),
                ..TablePositions::default()
            });
            let before = mine.fields.len() as u32;
            mine.entries
                .extend(theirs.entries.iter().map(|at| down(*at)));
            mine.ends.extend(theirs.ends.iter().map(|end| end + before));
            // Placed from their entries, which moved down with them.
            mine.fields.extend_from_slice(&theirs.fields);
            mine.far
                .extend(theirs.far.iter().map(|(i, at)| (i + before, down(*at))));
        }
    }

    /// Puts what a reader recorded out of file order (the full parser's tables iterate in key
    /// order) into file order, so that both readers give equal positions.
    fn sort(&mut self) {
        self.top.sort_by_key(|(_, at)| *at);
        for t in self.tables.iter_mut().flatten() {
            let mut sorted = TablePositions {
                start: t.start,
                ..TablePositions::default()
            };
            for index in 0..t.entries.len() {
                let mut fields: Vec<(u8, Pos)> = t.entry_fields(index).collect();
                fields.sort_by_key(|(_, at)| *at);
                sorted.entries.push(t.entries[index]);
                sorted.ends.push(sorted.fields.len() as u32);
                for (field, at) in fields {
                    sorted.push_field(field, at);
                }
            }
            *t = sorted;
        }
    }

    /// Gives back unused capacity: a loaded model keeps its positions for as long as it is open.
    pub(super) fn shrink(&mut self) {
        self.top.shrink_to_fit();
        for t in self.tables.iter_mut().flatten() {
            t.entries.shrink_to_fit();
            t.ends.shrink_to_fit();
            t.fields.shrink_to_fit();
            t.far.shrink_to_fit();
        }
    }

    /// Records positions from a parsed document. Cheap: one pass over the top two levels.
    pub fn from_document(text: &str, doc: &DeTable<'_>) -> Self {
        let index = LineIndex::new(text);
        let at = |offset: usize| Pos::new(index.line_col(text, offset));
        let mut positions = Positions::default();
        let fields_of = |positions: &mut Positions, table: Table, fields: &DeTable<'_>| {
            for (field, value) in fields {
                positions.add_field(table, field.get_ref(), at(value.span().start));
            }
        };
        for (key, value) in doc {
            let key_pos = at(key.span().start);
            let name: &str = key.get_ref();
            let table = table_named(name);
            match value.get_ref() {
                DeValue::Array(items) => {
                    // A top-level array of values (`agenda = [...]`) is a field of the session too.
                    positions.add_top(name, at(value.span().start));
                    let Some(table) = table else { continue };
                    positions.open_table(table, key_pos);
                    for item in items {
                        positions.add_entry(table, at(item.span().start));
                        if let DeValue::Table(fields) = item.get_ref() {
                            fields_of(&mut positions, table, fields);
                        }
                    }
                }
                DeValue::Table(fields) => {
                    let Some(table) = table else { continue };
                    positions.open_table(table, key_pos);
                    positions.add_entry(table, key_pos);
                    fields_of(&mut positions, table, fields);
                }
                _ => positions.add_top(name, at(value.span().start)),
            }
        }
        positions.sort();
        positions
    }

    /// The most precise known position for a problem: the field if it is written, else the
    /// entry, else the table, else the top of the file.
    pub fn locate(&self, location: &Location) -> LineCol {
        let first = LineCol { line: 1, col: 1 };
        let fields = table_fields(location.table);
        let is = |field: u8, name: &str| fields.get(usize::from(field)) == Some(&name);
        if location.table == Table::Session {
            return location
                .field
                .and_then(|f| self.top.iter().find(|(field, _)| is(*field, f)))
                .map_or(first, |(_, at)| at.line_col());
        }
        let Some(table) = self.table(location.table) else {
            return first;
        };
        let index = location.index.unwrap_or(0);
        match table.entries.get(index) {
            Some(start) => location
                .field
                .and_then(|f| table.entry_fields(index).find(|(field, _)| is(*field, f)))
                .map_or(start.line_col(), |(_, at)| at.line_col()),
            None => table.start.line_col(),
        }
    }

    /// The line of a table entry, e.g. the `[[components]]` entry with index 2.
    pub fn entry_start(&self, table: Table, index: usize) -> Option<LineCol> {
        self.table(table)?.entries.get(index).map(|p| p.line_col())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever order the names come in, with unknown ones and new entries among them, the
        /// finder gives what the plain lookup gives.
        #[test]
        fn the_field_finder_agrees_with_the_plain_lookup(
            table in 0..TABLES.len(),
            picks in proptest::collection::vec((0usize..40, any::<bool>()), 0..60),
        ) {
            let table = TABLES[table];
            let fields = table_fields(table);
            let mut finder = FieldFinder::new(table);
            for (pick, new_entry) in picks {
                if new_entry {
                    finder.restart();
                }
                let name = fields.get(pick).copied().unwrap_or("no_such_field");
                prop_assert_eq!(finder.find(name), field_index(table, name), "{}", name);
            }
        }
    }

    #[test]
    fn the_field_finder_follows_the_canonical_order() {
        let fields = table_fields(Table::Flows);
        let mut finder = FieldFinder::new(Table::Flows);
        for (i, name) in fields.iter().enumerate().step_by(2) {
            assert_eq!(finder.find(name), u8::try_from(i).ok());
        }
        finder.restart();
        assert_eq!(finder.find(fields[0]), Some(0));
        assert_eq!(finder.find("from_"), None);
    }

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

    /// The one-pass cursor answers what the binary-searching index answers, at every offset
    /// (inside multi-byte characters too), with LF and CRLF line ends.
    #[test]
    fn cursor_agrees_with_the_line_index_everywhere() {
        for text in [
            "",
            "a",
            "\n\n",
            "ab\nçd = 1\n\nx",
            "title = \"日本\"\r\nnotes = \"\"\"é\r\nü\"\"\"\r\n\r\n[[flows]]\r\nid = \"f\"",
            "\u{1F600}x\n \u{feff}\t[[c]]\n",
        ] {
            let index = LineIndex::new(text);
            let mut cursor = LineCursor::numbering_from(text, 0);
            for offset in 0..=text.len() + 1 {
                assert_eq!(
                    cursor.at(offset).line_col(),
                    index.line_col(text, offset),
                    "offset {offset} of {text:?}"
                );
            }
            // Going back is answered correctly too.
            assert_eq!(cursor.at(0).line_col(), LineCol { line: 1, col: 1 });
            // A cursor for a reader that starts at a later line (a piece of a file read on its
            // own) numbers lines from there: moved down by the lines before, they are the same.
            let line_starts = (1..text.len()).filter(|&i| text.as_bytes()[i - 1] == b'\n');
            for start in line_starts {
                let before = text[..start].matches('\n').count() as u32;
                let mut later = LineCursor::numbering_from(text, start);
                for offset in (start..=text.len()).chain([start + 1, start]) {
                    assert_eq!(
                        later.at(offset).lines_down(before).line_col(),
                        index.line_col(text, offset.min(text.len())),
                        "offset {offset} of {text:?} from {start}"
                    );
                }
            }
        }
    }

    #[test]
    fn field_names_are_the_ones_serde_reads() {
        assert_eq!(field_index(Table::Flows, "id"), Some(0));
        assert!(field_index(Table::Flows, "encrypted").is_some());
        assert!(field_index(Table::Threats, "transferred_to").is_some());
        assert_eq!(field_index(Table::Flows, "kind"), None);
        assert!(field_index(Table::Session, "components").is_some());
        assert!(field_index(Table::Session, "review").is_some());
        for table in TABLES {
            assert!(!table_fields(table).is_empty(), "{table:?} has no fields");
        }
    }

    /// Fields far from their entry's start (many lines of a multi-line value before them, or
    /// a very long line) keep their exact place, also when a later piece is put behind.
    #[test]
    fn far_fields_keep_their_place_through_append_and_sort() {
        let pos = |line, col| Pos::new(LineCol { line, col });
        let piece = |first_line: usize| {
            let mut p = Positions::default();
            p.open_table(Table::Flows, pos(first_line, 1));
            p.add_entry(Table::Flows, pos(first_line, 1));
            p.add_field(Table::Flows, "id", pos(first_line + 1, 6));
            p.add_field(Table::Flows, "notes", pos(first_line + 2, 9));
            // 300 lines into the notes, and past column 65,535 of its line.
            p.add_field(Table::Flows, "label", pos(first_line + 302, 9));
            p.add_field(Table::Flows, "to", pos(first_line + 303, 70_000));
            p.add_field(Table::Flows, "from", pos(first_line + 304, 8));
            p
        };
        let at = |p: &Positions, index, field| {
            p.locate(&Location::entry(Table::Flows, index, "f", Some(field)))
        };
        let mut whole = piece(10);
        // A piece read on its own from its header, numbered from 1, with 400 lines before it.
        whole.append(piece(1), 400);
        for (index, first) in [(0, 10), (1, 401)] {
            assert_eq!(
                at(&whole, index, "id"),
                LineCol {
                    line: first + 1,
                    col: 6
                }
            );
            assert_eq!(
                at(&whole, index, "label"),
                LineCol {
                    line: first + 302,
                    col: 9
                }
            );
            assert_eq!(
                at(&whole, index, "to"),
                LineCol {
                    line: first + 303,
                    col: 70_000
                }
            );
            assert_eq!(
                at(&whole, index, "from"),
                LineCol {
                    line: first + 304,
                    col: 8
                }
            );
        }
        assert_eq!(
            whole.tables[table_index(Table::Flows)]
                .as_ref()
                .map(|t| t.far.len()),
            Some(6),
            "three fields of each entry are more than 254 lines below its start"
        );
        // Sorting (the full parser's fields come in key order) keeps every place.
        let mut sorted = whole.clone();
        sorted.sort();
        for field in ["id", "notes", "label", "to", "from"] {
            for index in [0, 1] {
                assert_eq!(
                    at(&sorted, index, field),
                    at(&whole, index, field),
                    "{field}"
                );
            }
        }
    }

    #[test]
    fn locate_falls_back_from_field_to_entry_to_table() {
        let mut p = Positions::default();
        let pos = |line, col| Pos::new(LineCol { line, col });
        p.add_top("title", pos(2, 9));
        p.add_top("components", pos(4, 1));
        p.open_table(Table::Components, pos(4, 3));
        p.add_entry(Table::Components, pos(4, 1));
        p.add_field(Table::Components, "name", pos(6, 8));
        p.add_field(Table::Components, "no_such_field", pos(7, 8));
        p.add_entry(Table::Components, pos(9, 1));
        p.add_field(Table::Components, "kind", pos(11, 8));
        let at = |index, field| {
            p.locate(&Location {
                table: Table::Components,
                index: Some(index),
                id: None,
                field,
            })
        };
        assert_eq!(at(0, Some("name")), LineCol { line: 6, col: 8 });
        assert_eq!(at(0, Some("kind")), LineCol { line: 4, col: 1 });
        assert_eq!(at(1, Some("kind")), LineCol { line: 11, col: 8 });
        assert_eq!(at(1, Some("name")), LineCol { line: 9, col: 1 });
        assert_eq!(at(1, None), LineCol { line: 9, col: 1 });
        assert_eq!(at(2, Some("name")), LineCol { line: 4, col: 3 });
        assert_eq!(
            p.locate(&Location::top("title")),
            LineCol { line: 2, col: 9 }
        );
        assert_eq!(
            p.locate(&Location::top("agenda")),
            LineCol { line: 1, col: 1 }
        );
        assert_eq!(
            p.locate(&Location::entry(Table::Flows, 0, "f", Some("to"))),
            LineCol { line: 1, col: 1 }
        );
        assert_eq!(
            p.entry_start(Table::Components, 1),
            Some(LineCol { line: 9, col: 1 })
        );
        assert_eq!(p.entry_start(Table::Components, 2), None);
    }
}
