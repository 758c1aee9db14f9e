//! A fast path for reading session files: one pass over the subset of TOML that session files
//! hold (the canonical writer's output and plausible hand edits). Each table entry is
//! deserialized from its borrowed fields as soon as it ends, and positions are recorded on the
//! way, so no tree of the whole file is built.
//!
//! It never reports an error: anything it does not handle, and any error at all, makes it
//! decline (`None`), and the full `toml` path reads the file instead, so every message and
//! `file:line:col` stays exactly what the full path gives.

use super::position::{
    FieldFinder, LineCol, LineCursor, PiecePositions, Pos, Positions, table_named,
};
use crate::model::{
    Acceptance, Asset, AssetId, Assumption, Boundary, Component, Dismissal, Flow, Mitigation,
    Review, Run, Session, StrideSet, Table, Threat,
};
use compact_str::CompactString;
use serde::Deserialize;
use serde::de::value::{MapDeserializer, SeqDeserializer, StrDeserializer, StringDeserializer};
use serde::de::{self, IntoDeserializer, Visitor};
use std::borrow::Cow;

/// The session and its positions, or `None` when the full parser must decide. A large file is
/// read by two threads at once, in pieces (see [`Pieces`]); if the pieces do not read cleanly
/// (a cut fell inside a multi-line string, say), it is read in one pass.
pub(super) fn parse(text: &str) -> Option<(Session, Positions)> {
    let pieces = Pieces::default();
    let (front, back) =
        crate::parallel::join(|| read_front(text, &pieces), || read_back(text, &pieces));
    pieces_read(text, front, back)
}

/// The session and positions of what [`read_front`] and [`read_back`] read of `text` with the
/// same [`Pieces`], as [`parse`] gives them.
pub(super) fn pieces_read(
    text: &str,
    front: Option<Read>,
    back: Option<Vec<Read>>,
) -> Option<(Session, Positions)> {
    pieces_read_apart(text, front, back).map(|(session, positions)| (session, positions.join()))
}

/// [`pieces_read`], with the pieces' positions left to be put together.
pub(super) fn pieces_read_apart(
    text: &str,
    front: Option<Read>,
    back: Option<Vec<Read>>,
) -> Option<(Session, PiecePositions)> {
    let (read, later) = front
        .zip(back)
        .and_then(|(front, back)| front.append_all(back))
        .or_else(|| Some((read(text, 0, text.len())?, Vec::new())))?;
    let Read {
        positions, parts, ..
    } = read;
    Some((parts.session()?, PiecePositions::new(positions, later)))
}

/// Files smaller than this are read in one pass: a second thread costs more than it saves.
const SPLIT_FROM_BYTES: usize = 192 * 1024;

/// A large file is cut into pieces of about this size, or into [`MOST_PIECES`] when that makes
/// them larger: the two threads end at most a piece apart.
const PIECE_BYTES: usize = 16 * 1024;
const MOST_PIECES: usize = 64;

/// A file cut into pieces for two threads to read at once, each starting at a line that starts
/// an array of tables (`[[flows]]`), so that each reads on its own. One thread takes pieces from
/// the front and reads them in one pass ([`read_front`]); the other takes them from the back,
/// one read each ([`read_back`]). Where they meet depends on how fast each went, so they end
/// together whatever either had to do first (the rules to load, a file to read).
#[derive(Default)]
pub(super) struct Pieces {
    /// The next piece from the front and the piece after the last one left at the back, once a
    /// thread has counted them; equal when none is left.
    claims: std::sync::Mutex<Option<(usize, usize)>>,
}

impl Pieces {
    fn count(text: &str) -> usize {
        if text.len() < SPLIT_FROM_BYTES {
            return 1;
        }
        (text.len() / PIECE_BYTES).clamp(2, MOST_PIECES)
    }

    /// The next piece from the front, if one is left.
    fn claim_front(&self, text: &str) -> Option<usize> {
        let mut claims = self.claims.lock().ok()?;
        let (front, back) = claims.get_or_insert_with(|| (0, Self::count(text)));
        (*front < *back).then(|| {
            *front += 1;
            *front - 1
        })
    }

    /// The next piece from the back, if one is left. The first piece, which holds the
    /// top-level values, is always the front's.
    fn claim_back(&self, text: &str) -> Option<usize> {
        let mut claims = self.claims.lock().ok()?;
        let (front, back) = claims.get_or_insert_with(|| (0, Self::count(text)));
        (*back > (*front).max(1)).then(|| {
            *back -= 1;
            *back
        })
    }

    /// Leaves no piece to take: one did not read, so the file will be read in one pass.
    fn stop(&self) {
        if let Ok(mut claims) = self.claims.lock() {
            *claims = Some((0, 0));
        }
    }

    /// Where piece `index` starts: the first header line after its even share of the text (the
    /// end of the text for the piece after the last).
    fn start(text: &str, index: usize) -> usize {
        let count = Self::count(text);
        match index {
            0 => 0,
            i if i >= count => text.len(),
            i => next_header_line(text.as_bytes(), text.len() / count * i).unwrap_or(text.len()),
        }
    }
}

/// The first line after `from` that starts an array of tables.
fn next_header_line(bytes: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let line = from + bytes.get(from..)?.iter().position(|b| *b == b'\n')? + 1;
        if bytes[line..].starts_with(b"[[") {
            return Some(line);
        }
        from = line;
    }
}

/// Reads pieces of `text` from the front, in one pass, until none is left; `None` if they do
/// not read cleanly.
pub(super) fn read_front(text: &str, pieces: &Pieces) -> Option<Read> {
    let mut parser = Parser::new(text, 0, text.len());
    while let Some(index) = pieces.claim_front(text) {
        if parser.read_to(Pieces::start(text, index + 1)).is_none() {
            pieces.stop();
            return None;
        }
    }
    parser.finish()
}

/// Reads pieces of `text` from the back, each on its own, until none is left; they come in
/// file order. `None` if one does not read cleanly.
pub(super) fn read_back(text: &str, pieces: &Pieces) -> Option<Vec<Read>> {
    let mut reads = Vec::new();
    while let Some(index) = pieces.claim_back(text) {
        match read(
            text,
            Pieces::start(text, index),
            Pieces::start(text, index + 1),
        ) {
            Some(read) => reads.push(read),
            None => {
                pieces.stop();
                return None;
            }
        }
    }
    reads.reverse();
    Some(reads)
}

/// What one pass over (part of) a file read.
pub(super) struct Read {
    /// Top-level keys seen, and how: duplicates and mixed forms are the full parser's.
    top: Vec<(CompactString, TopKind)>,
    /// Positions, with lines counted from the start of what was read (the file's first line
    /// for a read from the start).
    positions: Positions,
    parts: Parts,
    /// The newlines read past.
    lines: usize,
}

/// Reads `text[from..to]`, where `from` is the start of a line outside any value (the start of
/// the file, or a header) and `to` the end of the file or of a line.
fn read(text: &str, from: usize, to: usize) -> Option<Read> {
    let mut parser = Parser::new(text, from, to);
    parser.read_to(to)?;
    parser.finish()
}

impl Read {
    /// This read followed by `later`, reads of the rest of the file, each from a header on.
    /// Their positions are left apart, each with the lines before it (see [`PiecePositions`]).
    fn append_all(mut self, later: Vec<Read>) -> Option<(Read, Vec<(Positions, usize)>)> {
        self.parts.reserve(later.iter().map(|read| &read.parts));
        let mut positions = Vec::with_capacity(later.len());
        for read in later {
            let review_later = read.top.iter().any(|(k, _)| *k == "review");
            for (key, kind) in read.top {
                match self.top.iter().find(|(k, _)| *k == key) {
                    None => self.top.push((key, kind)),
                    // More entries of an array of tables, as one pass appends them.
                    Some((_, TopKind::Entries)) if kind == TopKind::Entries => {}
                    Some(_) => return None,
                }
            }
            self.parts.append(read.parts, review_later);
            positions.push((read.positions, self.lines));
            self.lines += read.lines;
        }
        Some((self, positions))
    }
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
}

/// How a top-level key got its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TopKind {
    /// `key = value`.
    Value,
    /// `[key]`.
    Table,
    /// `[[key]]`.
    Entries,
}

/// The session's fields as they are read. Each entry is deserialized as soon as the next header
/// (or the end) closes it, so no tree of the whole file is ever built: only the open entry's
/// fields are held, in one buffer reused for every entry.
#[derive(Default)]
struct Parts {
    schema: Option<u32>,
    title: Option<String>,
    description: String,
    agenda: Option<[u32; 4]>,
    runs: Vec<Run>,
    boundaries: Vec<Boundary>,
    assets: Vec<Asset>,
    components: Vec<Component>,
    flows: Vec<Flow>,
    threats: Vec<Threat>,
    mitigations: Vec<Mitigation>,
    acceptances: Vec<Acceptance>,
    assumptions: Vec<Assumption>,
    review: Review,
}

/// Deserializes `T` from a value; any error declines.
fn from<'a, T: Deserialize<'a>>(value: Val<'a>) -> Option<T> {
    T::deserialize(value).ok()
}

impl Parts {
    /// A top-level `key = value`, as the session's derived `Deserialize` would take it.
    fn set<'a>(&mut self, key: &str, value: Val<'a>) -> Option<()> {
        match key {
            "schema" => self.schema = Some(from(value)?),
            "title" => self.title = Some(from(value)?),
            "description" => self.description = from(value)?,
            "agenda" => self.agenda = from(value)?,
            "runs" => self.runs = from(value)?,
            "boundaries" => self.boundaries = from(value)?,
            "assets" => self.assets = from(value)?,
            "components" => self.components = from(value)?,
            "flows" => self.flows = from(value)?,
            "threats" => self.threats = from(value)?,
            "mitigations" => self.mitigations = from(value)?,
            "acceptances" => self.acceptances = from(value)?,
            "assumptions" => self.assumptions = from(value)?,
            // `review` written as a value is an inline table, which the fast path leaves alone.
            _ => return None,
        }
        Some(())
    }

    /// A closed entry of `table` (its fields are taken out of `fields`); `[review]` is the one
    /// table that is not an array.
    fn push<'a>(
        &mut self,
        table: Table,
        kind: TopKind,
        fields: &mut Vec<(&'a str, Val<'a>)>,
    ) -> Option<()> {
        let entry = Entry(fields);
        match (table, kind) {
            (Table::Review, TopKind::Table) => self.review = Review::deserialize(entry).ok()?,
            (_, TopKind::Entries) => match table {
                Table::Runs => self.runs.push(Run::deserialize(entry).ok()?),
                Table::Boundaries => self.boundaries.push(Boundary::deserialize(entry).ok()?),
                Table::Assets => self.assets.push(Asset::deserialize(entry).ok()?),
                Table::Components => self.components.push(component(entry.0)?),
                Table::Flows => self.flows.push(flow(entry.0)?),
                Table::Threats => self.threats.push(Threat::deserialize(entry).ok()?),
                Table::Mitigations => self.mitigations.push(Mitigation::deserialize(entry).ok()?),
                Table::Acceptances => self.acceptances.push(Acceptance::deserialize(entry).ok()?),
                Table::Assumptions => self.assumptions.push(Assumption::deserialize(entry).ok()?),
                Table::Session | Table::Review => return None,
            },
            _ => return None,
        }
        Some(())
    }

    /// Room for what `later` reads found, so that appending them copies each table once.
    fn reserve<'p>(&mut self, later: impl Iterator<Item = &'p Parts> + Clone) {
        fn room<T>(mine: &mut Vec<T>, more: usize) {
            mine.reserve_exact(more);
        }
        let sum = |len: fn(&Parts) -> usize| later.clone().map(len).sum::<usize>();
        room(&mut self.runs, sum(|p| p.runs.len()));
        room(&mut self.boundaries, sum(|p| p.boundaries.len()));
        room(&mut self.assets, sum(|p| p.assets.len()));
        room(&mut self.components, sum(|p| p.components.len()));
        room(&mut self.flows, sum(|p| p.flows.len()));
        room(&mut self.threats, sum(|p| p.threats.len()));
        room(&mut self.mitigations, sum(|p| p.mitigations.len()));
        room(&mut self.acceptances, sum(|p| p.acceptances.len()));
        room(&mut self.assumptions, sum(|p| p.assumptions.len()));
    }

    /// Adds what a read of a later part of the file found (which holds no top-level values: it
    /// starts at a header); `review` when that part held the `[review]` table.
    fn append(&mut self, mut later: Parts, review: bool) {
        // Exactly the room needed, so that `session` has no slack to give back: each table is
        // copied once here, not again there.
        fn append_exact<T>(mine: &mut Vec<T>, later: &mut Vec<T>) {
            mine.reserve_exact(later.len());
            mine.append(later);
        }
        append_exact(&mut self.runs, &mut later.runs);
        append_exact(&mut self.boundaries, &mut later.boundaries);
        append_exact(&mut self.assets, &mut later.assets);
        append_exact(&mut self.components, &mut later.components);
        append_exact(&mut self.flows, &mut later.flows);
        append_exact(&mut self.threats, &mut later.threats);
        append_exact(&mut self.mitigations, &mut later.mitigations);
        append_exact(&mut self.acceptances, &mut later.acceptances);
        append_exact(&mut self.assumptions, &mut later.assumptions);
        if review {
            self.review = later.review;
        }
    }

    /// The session, if it has the fields it cannot do without. Tables grow by doubling while
    /// they are read; the slack is given back, as a large model stays loaded.
    fn session(mut self) -> Option<Session> {
        self.runs.shrink_to_fit();
        self.boundaries.shrink_to_fit();
        self.assets.shrink_to_fit();
        self.components.shrink_to_fit();
        self.flows.shrink_to_fit();
        self.threats.shrink_to_fit();
        self.mitigations.shrink_to_fit();
        self.acceptances.shrink_to_fit();
        self.assumptions.shrink_to_fit();
        Some(Session {
            schema: self.schema?,
            title: self.title?,
            description: self.description,
            agenda: self.agenda,
            runs: self.runs,
            boundaries: self.boundaries,
            assets: self.assets,
            components: self.components,
            flows: self.flows,
            threats: self.threats,
            mitigations: self.mitigations,
            acceptances: self.acceptances,
            assumptions: self.assumptions,
            review: self.review,
        })
    }
}

// Flows and components are most of a large file: they are built from their fields by hand, as
// their derived `Deserialize` builds them, without serde's map machinery (which took a quarter
// of the reading). A field given twice, one the type does not have, a value of another type or
// a missing required field declines, as serde's error would; the fields whose values have rules
// of their own (kinds, technologies, STRIDE sets, dismissals) still go through serde.

/// Fills `slot` once; a second value, or none, declines.
fn put<T>(slot: &mut Option<T>, value: Option<T>) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value?);
    Some(())
}

/// A string, as `String`'s `Deserialize` takes it from a value.
fn text(value: Val<'_>) -> Option<String> {
    match value {
        Val::Str(s) => Some(s.into_owned()),
        _ => None,
    }
}

/// An id, or other short text kept in an inline string (a flow's label and protocol): without
/// an allocation when short.
fn id<'a, T: From<&'a str> + From<String>>(value: Val<'a>) -> Option<T> {
    match value {
        Val::Str(Cow::Borrowed(s)) => Some(T::from(s)),
        Val::Str(Cow::Owned(s)) => Some(T::from(s)),
        _ => None,
    }
}

fn flag(value: Val<'_>) -> Option<bool> {
    match value {
        Val::Bool(b) => Some(b),
        _ => None,
    }
}

/// An array whose every item `item` takes, in a list of exactly its length (as serde makes
/// it): collecting through `Option` would leave room for four, which at 30,000 components
/// was 10 MB of flows' asset lists.
fn list<'a, T>(value: Val<'a>, item: impl Fn(Val<'a>) -> Option<T>) -> Option<Vec<T>> {
    let Val::Arr(items) = value else {
        return None;
    };
    let mut out = Vec::with_capacity(items.len());
    for (_, v) in items {
        out.push(item(v)?);
    }
    Some(out)
}

/// The fields components and flows share: what the team said of an element beyond what it is.
#[derive(Default)]
struct ElementNotes {
    tags: Option<Vec<String>>,
    assets: Option<Vec<AssetId>>,
    not_applicable: Option<StrideSet>,
    not_applicable_reason: Option<String>,
    out_of_scope: Option<String>,
    notes: Option<String>,
    dismissed: Option<Vec<Dismissal>>,
}

impl ElementNotes {
    /// Takes `key` if it is one of these fields (`Some(true)`); `None` declines.
    fn take<'a>(&mut self, key: &str, value: Val<'a>) -> Option<bool> {
        match key {
            "tags" => put(&mut self.tags, list(value, text))?,
            "assets" => put(&mut self.assets, list(value, id))?,
            "not_applicable" => put(&mut self.not_applicable, from(value))?,
            "not_applicable_reason" => put(&mut self.not_applicable_reason, text(value))?,
            "out_of_scope" => put(&mut self.out_of_scope, text(value))?,
            "notes" => put(&mut self.notes, text(value))?,
            "dismissed" => put(&mut self.dismissed, from(value))?,
            _ => return Some(false),
        }
        Some(true)
    }
}

fn flow<'a>(fields: &mut Vec<(&'a str, Val<'a>)>) -> Option<Flow> {
    let (mut id_, mut from_, mut to, mut label, mut protocol) = (None, None, None, None, None);
    let (mut authenticated, mut encrypted) = (None, None);
    let mut more = ElementNotes::default();
    for (key, value) in fields.drain(..) {
        match key {
            "id" => put(&mut id_, id(value))?,
            "from" => put(&mut from_, id(value))?,
            "to" => put(&mut to, id(value))?,
            "label" => put(&mut label, id(value))?,
            "protocol" => put(&mut protocol, id(value))?,
            "authenticated" => put(&mut authenticated, flag(value))?,
            "encrypted" => put(&mut encrypted, flag(value))?,
            _ if more.take(key, value)? => {}
            _ => return None,
        }
    }
    Some(Flow {
        id: id_?,
        from: from_?,
        to: to?,
        label: label?,
        protocol: protocol.unwrap_or_default(),
        assets: more.assets.unwrap_or_default(),
        authenticated,
        encrypted,
        tags: more.tags.unwrap_or_default().into(),
        not_applicable: more.not_applicable.unwrap_or_default(),
        not_applicable_reason: more.not_applicable_reason.unwrap_or_default().into(),
        out_of_scope: more.out_of_scope.unwrap_or_default().into(),
        notes: more.notes.unwrap_or_default().into(),
        dismissed: more.dismissed.unwrap_or_default().into(),
    })
}

fn component<'a>(fields: &mut Vec<(&'a str, Val<'a>)>) -> Option<Component> {
    let (mut id_, mut name, mut kind, mut technology, mut boundary) =
        (None, None, None, None, None);
    let mut more = ElementNotes::default();
    for (key, value) in fields.drain(..) {
        match key {
            "id" => put(&mut id_, id(value))?,
            "name" => put(&mut name, text(value))?,
            "kind" => put(&mut kind, from(value))?,
            "technology" => put(&mut technology, from(value))?,
            "boundary" => put(&mut boundary, id(value))?,
            _ if more.take(key, value)? => {}
            _ => return None,
        }
    }
    Some(Component {
        id: id_?,
        name: name?,
        kind: kind?,
        technology,
        boundary,
        tags: more.tags.unwrap_or_default().into(),
        assets: more.assets.unwrap_or_default(),
        not_applicable: more.not_applicable.unwrap_or_default(),
        not_applicable_reason: more.not_applicable_reason.unwrap_or_default().into(),
        out_of_scope: more.out_of_scope.unwrap_or_default().into(),
        notes: more.notes.unwrap_or_default().into(),
        dismissed: more.dismissed.unwrap_or_default().into(),
    })
}

/// The table whose entry is open: where its fields go.
#[derive(Clone, Copy)]
struct Open {
    table: Table,
    kind: TopKind,
    fields: FieldFinder,
}

struct Parser<'a> {
    /// The whole file, and the part of it read so far (to the end of the last piece taken).
    whole: &'a str,
    text: &'a str,
    bytes: &'a [u8],
    /// Where the read started: lines are counted from there.
    from: usize,
    /// Where it may end at most, for the room tables are given.
    room_end: usize,
    at: usize,
    /// The line being read (1-based, from `from`) and the offset where it starts, kept up to
    /// date wherever a newline is passed, so that a position on it costs a count of its first
    /// few bytes.
    line: usize,
    line_start: usize,
    /// For positions on earlier lines (items of a multi-line array written as a value), made
    /// when first needed.
    cursor: Option<LineCursor<'a>>,
    /// Where `key = value` lines go: the top level, or the entry of the last header.
    open: Option<Open>,
    /// The open entry's fields, in one buffer reused for every entry.
    fields: Vec<(&'a str, Val<'a>)>,
    read: Read,
}

fn is_bare_key_byte(b: u8) -> bool {
    BARE_KEY[usize::from(b)]
}

/// The bytes of a bare key (`A-Za-z0-9_-`), looked up rather than tested by range.
const BARE_KEY: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-';
        b += 1;
    }
    table
};

impl<'a> Parser<'a> {
    /// A reader of `whole` from `from`, the start of a line outside any value, that will read
    /// no further than `room_end`.
    fn new(whole: &'a str, from: usize, room_end: usize) -> Self {
        Parser {
            whole,
            text: &whole[..from],
            bytes: &whole.as_bytes()[..from],
            from,
            room_end,
            at: from,
            line: 1,
            line_start: from,
            cursor: None,
            open: None,
            fields: Vec::with_capacity(16),
            read: Read {
                top: Vec::new(),
                positions: Positions::default(),
                parts: Parts::default(),
                lines: 0,
            },
        }
    }

    /// Reads on to `to`, the end of the file or of a line outside any value.
    fn read_to(&mut self, to: usize) -> Option<()> {
        self.text = self.whole.get(..to)?;
        self.bytes = &self.whole.as_bytes()[..to];
        self.document()
    }

    /// What was read, the open entry closed.
    fn finish(mut self) -> Option<Read> {
        if let Some(done) = self.open.take() {
            self.read
                .parts
                .push(done.table, done.kind, &mut self.fields)?;
        }
        self.read.lines = self.line - 1;
        Some(self.read)
    }

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
            None => return Some(()),
            Some(b'\n') => self.at += 1,
            Some(b'\r') if self.bytes.get(self.at + 1) == Some(&b'\n') => self.at += 2,
            _ => return None,
        }
        self.line += 1;
        self.line_start = self.at;
        Some(())
    }

    /// Room for as many entries of `table` (components or flows) as the rest of the text could
    /// hold, and their fields' positions: a large file is mostly these, and growing their
    /// lists entry by entry copied them over and over. Room never used costs no memory, but
    /// it is asked for, not insisted on: where it cannot be had (a small address space, say),
    /// the lists grow as they are filled.
    fn make_room(&mut self, table: Table) {
        let rest = self.room_end.saturating_sub(self.at);
        // The shortest entry is a header and three or four short fields: some 40 bytes, and a
        // field takes at least 8.
        let (entries, fields) = (rest / 40, rest / 8);
        self.read.positions.reserve(table, entries, fields);
        let _ = match table {
            Table::Components => self.read.parts.components.try_reserve(entries),
            Table::Flows => self.read.parts.flows.try_reserve(entries),
            _ => Ok(()),
        };
    }

    /// Counts the newlines of `self.bytes[from..self.at]`, just passed inside a value.
    fn passed(&mut self, from: usize) {
        let passed = &self.bytes[from..self.at];
        if let Some(last) = passed.iter().rposition(|b| *b == b'\n') {
            self.line += passed.iter().filter(|b| **b == b'\n').count();
            self.line_start = from + last + 1;
        }
    }

    /// The position of `offset` on an earlier line than the one being read.
    fn earlier(&mut self, offset: usize) -> Pos {
        let (whole, from) = (self.whole, self.from);
        self.cursor
            .get_or_insert_with(|| LineCursor::numbering_from(whole, from))
            .at(offset)
    }

    /// The position of `offset`, a header's or a key's or the value after it: on the line
    /// being read, only blanks, brackets, a bare key and `=` come before it, all ASCII, so its
    /// column is its distance from the line's start. An earlier line's is left to the cursor.
    fn pos(&mut self, offset: usize) -> Pos {
        if offset < self.line_start {
            return self.earlier(offset);
        }
        debug_assert!(self.bytes[self.line_start..offset].is_ascii());
        Pos::new(LineCol {
            line: self.line,
            col: offset - self.line_start + 1,
        })
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

    /// Reads lines to the end of `self.text`, leaving the last entry open (another piece may
    /// go on with it).
    fn document(&mut self) -> Option<()> {
        let mut open = self.open.take();
        let mut fields = std::mem::take(&mut self.fields);
        let read = self.lines(&mut open, &mut fields);
        self.open = open;
        self.fields = fields;
        read
    }

    fn lines(
        &mut self,
        open: &mut Option<Open>,
        fields: &mut Vec<(&'a str, Val<'a>)>,
    ) -> Option<()> {
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
                    // Positions are taken while the header's line is the one being read.
                    let header_pos = self.pos(header_at);
                    let key_pos = self.pos(key_at);
                    self.end_of_line()?;
                    let open_before = open.take();
                    if let Some(done) = open_before {
                        self.read.parts.push(done.table, done.kind, fields)?;
                    }
                    // Unknown keys are errors the full parser words.
                    let table = table_named(key)?;
                    let kind = if array {
                        TopKind::Entries
                    } else {
                        TopKind::Table
                    };
                    match self.read.top.iter().find(|(k, _)| *k == key) {
                        None => {
                            self.read.top.push((key.into(), kind));
                            let first = if array {
                                // An array of tables is a value of the session too, starting
                                // at its first header.
                                self.read.positions.add_top(key, header_pos);
                                Some(header_pos)
                            } else {
                                None
                            };
                            self.read.positions.open_table(table, key_pos);
                            if matches!(table, Table::Components | Table::Flows) {
                                self.make_room(table);
                            }
                            self.read
                                .positions
                                .add_entry(table, first.unwrap_or(key_pos));
                        }
                        Some((_, TopKind::Entries)) if array => {
                            self.read.positions.add_entry(table, header_pos);
                        }
                        Some(_) => return None,
                    }
                    // Entries of one table follow each other: its field finder goes on.
                    let fields = match open_before {
                        Some(before) if before.table == table => {
                            let mut fields = before.fields;
                            fields.restart();
                            fields
                        }
                        _ => FieldFinder::new(table),
                    };
                    *open = Some(Open {
                        table,
                        kind,
                        fields,
                    });
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
                    // Taken while the key's line is the one being read (a value may span lines).
                    let value_pos = self.pos(value_at);
                    let key_pos = if open.is_none() {
                        self.pos(key_at)
                    } else {
                        value_pos
                    };
                    let value = self.value()?;
                    self.end_of_line()?;
                    if let Some(open) = open {
                        // A repeated field is left to serde, which rejects it (and so declines).
                        // Names that are not fields of the table are left out (serde rejects
                        // them, so no message asks for them).
                        if let Some(field) = open.fields.find(key) {
                            self.read
                                .positions
                                .add_field_at(open.table, field, value_pos);
                        }
                        fields.push((key, value));
                    } else {
                        if self.read.top.iter().any(|(k, _)| *k == key) {
                            return None;
                        }
                        self.read.top.push((key.into(), TopKind::Value));
                        self.read.positions.add_top(key, value_pos);
                        // `runs = [...]`: an array written as a value still has entries.
                        if let (Some(table), Val::Arr(items)) = (table_named(key), &value) {
                            self.read.positions.open_table(table, key_pos);
                            for (item_at, _) in items {
                                let item_pos = self.earlier(*item_at);
                                self.read.positions.add_entry(table, item_pos);
                            }
                        }
                        self.read.parts.set(key, value)?;
                    }
                }
            }
        }
        Some(())
    }

    fn value(&mut self) -> Option<Val<'a>> {
        let rest = &self.bytes[self.at..];
        let first = *rest.first()?;
        let tripled = rest.get(1..3) == Some(&[first, first]);
        if matches!(first, b'"' | b'\'') && tripled {
            let from = self.at;
            self.at += 3;
            let text = self.multiline(first)?;
            self.passed(from);
            Some(Val::Str(text))
        } else if first == b'"' {
            self.at += 1;
            self.basic().map(Val::Str)
        } else if first == b'\'' {
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
        } else if first == b'[' {
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
            // Skip plain text in one scan: only a quote, a backslash or a control byte needs a
            // look (bytes of multi-byte characters are all 0x80 or above, so the stop is
            // always on a character boundary).
            let plain = self.bytes[self.at..]
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || (b < 0x20 && b != b'\t') || b == 0x7f)?;
            if let Some(o) = &mut owned {
                o.push_str(&self.text[self.at..self.at + plain]);
            }
            self.at += plain;
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
                _ => return None,
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

type Error = de::value::Error;

/// The fields of one table entry, taken out of the parser's reused buffer as they are read.
struct Entry<'v, 'a>(&'v mut Vec<(&'a str, Val<'a>)>);

impl<'de> de::Deserializer<'de> for Entry<'_, 'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let mut map = MapDeserializer::new(self.0.drain(..));
        let value = visitor.visit_map(&mut map)?;
        map.end()?;
        Ok(value)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

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

    /// Every line of `text` that starts an array of tables: where a split may fall.
    fn header_lines(text: &str) -> Vec<usize> {
        (1..text.len())
            .filter(|&at| text.as_bytes()[at - 1] == b'\n' && text[at..].starts_with("[["))
            .collect()
    }

    /// Reading `text` in pieces cut at `cuts` (header lines, in order) gives what one pass
    /// gives, or declines: the first piece read in one pass with the pieces after it up to
    /// `front_ends` (as [`read_front`] goes on from piece to piece), the rest each on its own
    /// (as [`read_back`] reads them), then put together.
    fn pieces_agree(text: &str, cuts: &[usize], front_ends: usize) -> bool {
        let ends: Vec<usize> = cuts.iter().copied().chain([text.len()]).collect();
        let mut front = Parser::new(text, 0, text.len());
        for end in &ends[..=front_ends] {
            if front.read_to(*end).is_none() {
                return false;
            }
        }
        let back: Option<Vec<_>> = ends[front_ends..]
            .windows(2)
            .map(|piece| read(text, piece[0], piece[1]))
            .collect();
        let Some((pieces, later)) = front.finish().zip(back).and_then(|(f, b)| f.append_all(b))
        else {
            return false;
        };
        let mut whole_positions = read(text, 0, text.len())
            .expect("one pass reads it")
            .positions;
        whole_positions.shrink();
        let whole = read(text, 0, text.len()).expect("one pass reads it");
        assert_eq!(
            whole.lines,
            text.matches('\n').count(),
            "every newline is counted"
        );
        assert_eq!(pieces.top, whole.top, "top-level keys, cut at {cuts:?}");
        assert_eq!(pieces.lines, whole.lines, "lines, cut at {cuts:?}");
        assert_eq!(
            PiecePositions::new(pieces.positions, later).join(),
            whole_positions,
            "positions, cut at {cuts:?}, front to {front_ends}"
        );
        assert_eq!(
            pieces.parts.session(),
            whole.parts.session(),
            "session, cut at {cuts:?}"
        );
        true
    }

    #[test]
    fn pieces_cut_at_any_headers_read_as_one_pass() {
        let mut cut_files = 0;
        for dir in ["sessions", "tests/fixtures/sessions"] {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            for entry in entries {
                let path = entry.expect("dir entry").path();
                if path.extension().is_none_or(|e| e != "toml") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).expect("readable");
                if read(&text, 0, text.len()).is_none() {
                    continue;
                }
                let headers = header_lines(&text);
                // Two pieces, at every header, read either way.
                for &cut in &headers {
                    for front_ends in [0, 1] {
                        assert!(
                            pieces_agree(&text, &[cut], front_ends),
                            "{} cut at {cut} declined",
                            path.display()
                        );
                    }
                }
                // Many pieces, some of them empty (two cuts at one header).
                let cuts: Vec<usize> = headers.iter().step_by(3).copied().collect();
                let doubled: Vec<usize> = cuts.iter().flat_map(|c| [*c, *c]).collect();
                for front_ends in 0..=cuts.len() {
                    assert!(pieces_agree(&text, &cuts, front_ends), "{}", path.display());
                }
                assert!(pieces_agree(&text, &doubled, 1), "{}", path.display());
                cut_files += 1;
            }
        }
        assert!(cut_files >= 3, "only {cut_files} files were cut");
    }

    #[test]
    fn tables_continued_after_a_cut_and_review_in_a_later_piece() {
        let text = with_head(concat!(
            "[[components]]\nid = \"a\"\nname = \"A\"\nkind = \"process\"\n\n",
            "[[flows]]\nid = \"f1\"\nfrom = \"a\"\nto = \"b\"\nlabel = \"x\"\n\n",
            "[[components]]\nid = \"b\"\nname = \"B\"\nkind = \"data-store\"\n\n",
            "[[flows]]\nid = \"f2\"\nfrom = \"b\"\nto = \"a\"\nlabel = \"y\"\n\n",
            "[review]\nwent_well = \"n\"\n",
        ));
        let cuts = header_lines(&text);
        assert_eq!(cuts.len(), 4);
        for cut in &cuts {
            assert!(pieces_agree(&text, &[*cut], 0), "cut at {cut} declined");
        }
        for front_ends in 0..=cuts.len() {
            assert!(pieces_agree(&text, &cuts, front_ends));
        }
    }

    #[test]
    fn a_cut_inside_a_value_or_a_table_given_twice_declines() {
        // The second header is inside a multi-line string: the first piece is unterminated.
        let text = with_head(concat!(
            "[[components]]\nid = \"a\"\nname = \"A\"\nkind = \"process\"\n",
            "notes = \"\"\"\n[[flows]]\nid = \"x\"\n\"\"\"\n",
        ));
        let inside = header_lines(&text)[1];
        assert!(read(&text, 0, text.len()).is_some());
        assert!(!pieces_agree(&text, &[inside], 0));
        // `[review]` in two pieces is a duplicate table, for the full parser to word.
        let twice = with_head(
            "[review]\nwent_well = \"a\"\n[[runs]]\ndate = 2026-01-02\n[review]\nwent_well = \"b\"\n",
        );
        let cut = header_lines(&twice)[0];
        assert!(!pieces_agree(&twice, &[cut], 0));
        assert!(parse(&twice).is_none());
    }

    fn large_file() -> String {
        use std::fmt::Write as _;
        let mut text = with_head("");
        for i in 0..1500 {
            let _ = write!(
                text,
                "\n[[components]]\nid = \"c{i}\"\nname = \"Component {i}, named at some length\"\nkind = \"process\"\ntags = [\n  \"t{i}\",\n]\n"
            );
        }
        for i in 0..1500 {
            let _ = write!(
                text,
                "\n[[flows]]\nid = \"f{i}\"\nfrom = \"c{i}\"\nto = \"c{}\"\nlabel = \"Flow {i}\"\nprotocol = \"https\"\n",
                (i * 7 + 1) % 1500
            );
        }
        text
    }

    #[test]
    fn a_large_file_is_cut_at_headers_and_reads_as_the_full_parser_reads_it() {
        let text = large_file();
        let count = Pieces::count(&text);
        assert!(count > 2, "{} bytes in {count} pieces", text.len());
        let starts: Vec<usize> = (0..=count).map(|i| Pieces::start(&text, i)).collect();
        assert_eq!((starts[0], starts[count]), (0, text.len()));
        assert!(starts.windows(2).all(|w| w[0] < w[1]), "{starts:?}");
        assert!(
            starts[1..count]
                .iter()
                .all(|s| text[*s..].starts_with("[["))
        );
        assert!(pieces_agree(&text, &starts[1..count], 0));
        assert!(pieces_agree(&text, &starts[1..count], count / 2));
        assert!(agrees(&text));
    }

    #[test]
    fn the_two_readers_meet_wherever_either_gets_to() {
        let text = large_file();
        let whole = parse_full_session(&text);
        let count = Pieces::count(&text);
        // The back reader takes every piece it may before the front starts, or none.
        for back_first in [true, false] {
            let pieces = Pieces::default();
            let (front, back) = if back_first {
                let back = read_back(&text, &pieces);
                (read_front(&text, &pieces), back)
            } else {
                let front = read_front(&text, &pieces);
                (front, read_back(&text, &pieces))
            };
            let back = back.expect("reads");
            assert_eq!(back.len(), if back_first { count - 1 } else { 0 });
            assert_eq!(pieces_read(&text, front, Some(back)), whole);
        }
        // A small file is one piece, the front's.
        let small = with_head("[[boundaries]]\nid = \"b\"\nname = \"B\"\n");
        let pieces = Pieces::default();
        assert_eq!(read_back(&small, &pieces).map(|b| b.len()), Some(0));
        assert!(read_front(&small, &pieces).is_some());
    }

    #[test]
    fn a_piece_that_does_not_read_stops_the_other_reader() {
        let mut text = large_file();
        // A value the fast path leaves to the full parser, in the last piece.
        text.push_str("\n[[boundaries]]\nid = \"b\"\nname = 0x1\n");
        let pieces = Pieces::default();
        assert!(read_back(&text, &pieces).is_none());
        assert_eq!(pieces.claim_front(&text), None, "nothing is left to read");
        assert!(parse(&text).is_none());
    }

    fn parse_full_session(text: &str) -> Option<(Session, Positions)> {
        Some(crate::store::parse_full(text).expect("parses"))
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

    /// Lists read by hand hold no more room than serde's: a large model has one per flow.
    #[test]
    fn lists_take_no_more_room_than_serde_gives_them() {
        let text = with_head(
            "[[components]]\nid = \"c1\"\nname = \"N\"\nkind = \"process\"\ntags = [\"a\"]\n\
             [[flows]]\nid = \"f\"\nfrom = \"c1\"\nto = \"c1\"\nlabel = \"L\"\nassets = [\"x\"]\n",
        );
        let (fast, _) = parse(&text).expect("fast path takes it");
        let (full, _) = crate::store::parse_full(&text).expect("parses");
        assert_eq!(fast.flows[0].assets.capacity(), 1);
        assert_eq!(
            fast.flows[0].assets.capacity(),
            full.flows[0].assets.capacity()
        );
        let tags_room = |s: Session| {
            let component = s.components.into_iter().next().expect("one component");
            Vec::from(component.tags).capacity()
        };
        assert_eq!(tags_room(fast), 1);
        assert_eq!(tags_room(full), 1);
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
