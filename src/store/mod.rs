//! Reading and writing session files: deterministic TOML, atomic saves, conflict detection.

pub mod autosave;
mod canonical;
mod fast_parse;
pub mod files;
pub mod git;
pub mod ignore;
mod position;
pub mod run_baseline;

pub use files::{InputKind, display_path, read_input, write_output, write_output_new};
pub use position::{LineCol, LineIndex, PiecePositions, Positions};

use crate::model::{Problem, Session};
use crate::parallel::Handover;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Session files are small; anything far larger is a mistake, not a model.
pub const MAX_SESSION_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{}: {source}", display_path(path))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Syntax errors, wrong types, unknown fields: the file cannot be read as a session.
    #[error("{}:{at}: {message}", display_path(path))]
    Syntax {
        path: PathBuf,
        at: LineCol,
        message: String,
    },
    #[error(
        "{}: the file changed on disk since it was loaded; not overwriting it (reload it, or save under another name)",
        display_path(path)
    )]
    ChangedOnDisk { path: PathBuf },
    #[error("{}: already exists; not overwriting it", display_path(path))]
    AlreadyExists { path: PathBuf },
    /// The session cannot be written as TOML. Plain data always can; this is a bug to report,
    /// not a state to crash in.
    #[error("the session cannot be written as TOML: {0}")]
    Serialize(String),
    /// A FIFO, device or directory given as input: reading it could block or never end.
    #[error(
        "{}: not a regular file ({kind}); threatboard reads {what} only",
        display_path(path)
    )]
    NotRegularInput {
        path: PathBuf,
        kind: &'static str,
        what: &'static str,
    },
    #[error(
        "{}: larger than {max_mb} MB; {what} are limited to {max_mb} MB",
        display_path(path)
    )]
    TooLarge {
        path: PathBuf,
        max_mb: usize,
        what: &'static str,
    },
    /// An output target that cannot be replaced by a file nor written like a device.
    #[error("{}: {kind}; not writing output there", display_path(path))]
    NotWritable { path: PathBuf, kind: &'static str },
}

impl StoreError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// What a file held when it was read, to notice later changes by someone else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    len: usize,
    hash: u64,
}

impl Fingerprint {
    pub fn of(bytes: &[u8]) -> Self {
        // A fixed seed: stable within and across runs, which is all this needs. foldhash takes
        // a large file many times faster than SipHash did (0.5 ms of `check` at 1,000
        // components went to this).
        use std::hash::BuildHasher as _;
        Fingerprint {
            len: bytes.len(),
            hash: foldhash::quality::FixedState::with_seed(0).hash_one(bytes),
        }
    }
}

/// A syntax error inside a text, before a file name is attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub at: LineCol,
    pub message: String,
}

impl ParseError {
    fn in_file(self, path: &Path) -> StoreError {
        StoreError::Syntax {
            path: path.to_path_buf(),
            at: self.at,
            message: self.message,
        }
    }
}

/// A session together with where it came from.
#[derive(Debug, Clone)]
pub struct LoadedSession {
    pub session: Session,
    pub path: PathBuf,
    /// Where each entry and field is in the file as loaded (for messages).
    pub positions: Positions,
    /// The file's content when loaded or last saved; `None` if it did not exist yet.
    disk: Option<Fingerprint>,
    /// The session as that content holds it: what a merge with a changed file starts from.
    /// Shared, because the crash copy and the autosave keep it beside every unsaved state.
    base: Option<std::sync::Arc<Session>>,
}

impl LoadedSession {
    /// A session not yet on disk; the first save refuses to overwrite an existing file.
    pub fn unsaved(session: Session, path: impl Into<PathBuf>) -> Self {
        LoadedSession {
            session,
            path: path.into(),
            positions: Positions::default(),
            disk: None,
            base: None,
        }
    }

    /// The session as the file held it when loaded or last saved; `None` before the first save.
    pub fn base(&self) -> Option<&Session> {
        self.base.as_deref()
    }

    /// The same, shared (cheap to keep beside each unsaved state).
    pub fn shared_base(&self) -> Option<std::sync::Arc<Session>> {
        self.base.clone()
    }

    /// Takes `theirs` (the file as it is on disk now) as the new starting point, keeping this
    /// session's content: after a merge, the next save overwrites exactly that file version and
    /// still refuses if it changes again.
    pub fn rebase_onto(&mut self, theirs: LoadedSession) {
        debug_assert_eq!(self.path, theirs.path);
        self.disk = theirs.disk;
        self.base = theirs.base;
        self.positions = theirs.positions;
    }

    /// `path:line:col: message` for a validation problem.
    pub fn describe(&self, problem: &Problem) -> String {
        format!(
            "{}:{}: {}",
            display_path(&self.path),
            self.positions.locate(&problem.location),
            problem
        )
    }

    /// Makes the next save overwrite whatever is on disk (after the user chose to).
    pub fn forget_disk_state(&mut self) {
        self.disk = read_if_exists(&self.path)
            .ok()
            .flatten()
            .map(|bytes| Fingerprint::of(&bytes));
    }

    /// Whether the file on disk differs from what this session was loaded from or saved to.
    pub fn changed_on_disk(&self) -> Result<bool, StoreError> {
        Ok(match (read_if_exists(&self.path)?, self.disk) {
            (Some(bytes), Some(fp)) => Fingerprint::of(&bytes) != fp,
            (None, None) => false,
            _ => true,
        })
    }

    /// Saves atomically, refusing if someone else changed the file since it was loaded.
    /// Returns whether bytes were written (an unchanged session writes nothing).
    pub fn save(&mut self) -> Result<bool, StoreError> {
        let text = to_toml(&self.session)?;
        let on_disk = read_if_exists(&self.path)?;
        match (&on_disk, self.disk) {
            (Some(bytes), Some(fp)) if Fingerprint::of(bytes) != fp => {
                return Err(StoreError::ChangedOnDisk {
                    path: self.path.clone(),
                });
            }
            (Some(_), None) => {
                return Err(StoreError::AlreadyExists {
                    path: self.path.clone(),
                });
            }
            (None, Some(_)) => {
                return Err(StoreError::ChangedOnDisk {
                    path: self.path.clone(),
                });
            }
            _ => {}
        }
        if on_disk.as_deref() == Some(text.as_bytes()) {
            self.base = Some(std::sync::Arc::new(self.session.clone()));
            return Ok(false);
        }
        match self.disk {
            Some(_) => write_atomic(&self.path, text.as_bytes())?,
            None => write_new(&self.path, text.as_bytes())?,
        }
        self.disk = Some(Fingerprint::of(text.as_bytes()));
        self.base = Some(std::sync::Arc::new(self.session.clone()));
        Ok(true)
    }
}

/// Creates `<dir>/<slug>.toml` for a new session, refusing to overwrite. Returns the path, or
/// a one-line reason. The slug keeps the file inside `dir` whatever the title says. `dir`'s
/// `.gitignore` gets the patterns of the lock and autosave files if it lacks them.
pub fn create_session(title: &str, dir: &Path) -> Result<PathBuf, String> {
    let title = title.trim();
    if title.is_empty() {
        return Err("the title is empty".into());
    }
    let slug = crate::model::slugify(title);
    if slug.is_empty() {
        return Err(format!(
            "the title {:?} has no ASCII letters or digits to name the file after",
            crate::model::text::escape_control(title)
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", display_path(dir)))?;
    let path = dir.join(format!("{slug}.toml"));
    let mut loaded = LoadedSession::unsaved(crate::model::Session::new(title), &path);
    loaded.save().map_err(|e| e.to_string())?;
    // Best effort: without it the session is still created; lock files would just show in
    // `git status`.
    let _ = ignore::ignore_side_files(dir);
    Ok(path)
}

fn read_if_exists(path: &Path) -> Result<Option<Vec<u8>>, StoreError> {
    files::read_input_if_exists(path, InputKind::SESSION)
}

/// Where a serde_json error is, as a 1-based line and a column in characters (serde_json counts
/// bytes), and its message without serde_json's own " at line L column C" suffix. Shared by the
/// importers, which read JSON that other tools wrote.
pub fn json_error_position(bytes: &[u8], err: &serde_json::Error) -> (usize, usize, String) {
    let line = err.line().max(1);
    let line_start = if line == 1 {
        0
    } else {
        bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(line - 2)
            .map_or(bytes.len(), |(i, _)| i + 1)
    };
    let end = line_start
        .saturating_add(err.column().saturating_sub(1))
        .min(bytes.len());
    // Characters before the error on its line: every byte that does not continue a UTF-8
    // sequence starts one.
    let chars = bytes[line_start.min(end)..end]
        .iter()
        .filter(|b| (**b & 0xC0) != 0x80)
        .count();
    let full = err.to_string();
    let message = full
        .rsplit_once(" at line ")
        .map_or(full.as_str(), |(m, _)| m)
        .to_string();
    (line, chars + 1, message)
}

/// Reads and parses a session file. Validation is separate: see [`crate::model::validate`].
pub fn load(path: &Path) -> Result<LoadedSession, StoreError> {
    let bytes = read_input(path, InputKind::SESSION)?;
    let (session, positions) = parse_bytes(&bytes).map_err(|e| e.in_file(path))?;
    Ok(LoadedSession {
        base: Some(std::sync::Arc::new(session.clone())),
        session,
        path: path.to_path_buf(),
        positions,
        disk: Some(Fingerprint::of(&bytes)),
    })
}

/// A session file read by this thread and one more at once: this one reads the file and then
/// pieces of it from the front ([`ReadTogether::lead`]), the other takes the file's fingerprint
/// and pieces from the back ([`ReadTogether::help`]), and this one puts them together
/// ([`ReadTogether::finish`]). `check` keeps the second thread for this and the analysis after
/// it.
///
/// It is for a caller that only reads the session: no copy of it is kept as the merge base,
/// which halves the memory a large model takes ([`LoadedSession::base`] is `None`; a save
/// would still refuse to overwrite a file that changed on disk).
#[derive(Default)]
pub struct ReadTogether {
    /// The file's bytes, once read; `None` when the file cannot be read (the error stays with
    /// the reading thread). Each thread holds them while it reads, and [`ReadTogether::finish`]
    /// takes them out, so that they are freed before the analysis: they are the largest thing
    /// a read holds (24 MB at 30,000 components).
    file: Handover<Mutex<Option<Arc<FileBytes>>>>,
    pieces: fast_parse::Pieces,
}

/// A file's bytes, as text when the fast reader may read them in pieces.
enum FileBytes {
    /// UTF-8, neither too large nor blank.
    Text(String),
    /// Anything else: a read in one pass gives its message.
    Other(Vec<u8>),
}

impl FileBytes {
    fn new(bytes: Vec<u8>) -> Self {
        if bytes.len() > MAX_SESSION_BYTES {
            return FileBytes::Other(bytes);
        }
        match String::from_utf8(bytes) {
            Ok(text) if !text.trim().is_empty() => FileBytes::Text(text),
            Ok(blank) => FileBytes::Other(blank.into_bytes()),
            Err(not_text) => FileBytes::Other(not_text.into_bytes()),
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            FileBytes::Text(text) => text.as_bytes(),
            FileBytes::Other(bytes) => bytes,
        }
    }

    fn text(&self) -> Option<&str> {
        match self {
            FileBytes::Text(text) => Some(text),
            FileBytes::Other(_) => None,
        }
    }
}

/// What [`ReadTogether::lead`] read: the error when the file cannot be read, else the pieces
/// from the front (`None` inside when they did not read cleanly).
pub struct FrontRead {
    unreadable: Option<StoreError>,
    front: Option<Option<fast_parse::Read>>,
}

/// What [`ReadTogether::help`] read: the fingerprint and the pieces from the back.
pub struct BackRead {
    disk: Option<Fingerprint>,
    back: Option<Option<Vec<fast_parse::Read>>>,
}

impl ReadTogether {
    /// Reads the file, hands it to the other thread, and reads pieces from the front.
    pub fn lead(&self, path: &Path) -> FrontRead {
        let mut unreadable = None;
        self.file.give(|| {
            let bytes = read_input(path, InputKind::SESSION)
                .map_err(|e| unreadable = Some(e))
                .ok();
            // The other thread reads with this one from here on.
            crate::parallel::settle();
            Mutex::new(bytes.map(|bytes| Arc::new(FileBytes::new(bytes))))
        });
        let file = self.bytes();
        let front = file
            .as_deref()
            .and_then(FileBytes::text)
            .map(|text| fast_parse::read_front(text, &self.pieces));
        FrontRead { unreadable, front }
    }

    /// Waits for the file, takes its fingerprint (a pass over the whole file) and reads pieces
    /// from the back until the two threads meet.
    pub fn help(&self) -> BackRead {
        let file = self.bytes();
        let disk = file.as_deref().map(|file| Fingerprint::of(file.bytes()));
        let back = file
            .as_deref()
            .and_then(FileBytes::text)
            .map(|text| fast_parse::read_back(text, &self.pieces));
        BackRead { disk, back }
    }

    /// The session, from what both threads read (a file the pieces did not read cleanly is
    /// read again in one pass, which gives every message and position). Its positions come
    /// apart, for either thread to put together ([`PiecePositions::join`]); until then the
    /// loaded session has none.
    pub fn finish(
        &self,
        path: &Path,
        front: FrontRead,
        back: BackRead,
    ) -> Result<(LoadedSession, PiecePositions), StoreError> {
        if let Some(error) = front.unreadable {
            return Err(error);
        }
        // There, as nothing failed: a panic on either thread has been passed on already.
        let file = self
            .file
            .wait()
            .and_then(|file| file.lock().ok()?.take())
            .expect("the file was read, or `lead` returned its error");
        let parsed = match &*file {
            FileBytes::Text(text) => parse_with(text, |text| {
                fast_parse::pieces_read_apart(text, front.front.flatten(), back.back.flatten())
            }),
            FileBytes::Other(bytes) => {
                session_text(bytes).and_then(|text| parse_with(text, |_| None))
            }
        };
        let (session, positions) = parsed.map_err(|e| e.in_file(path))?;
        let loaded = LoadedSession {
            base: None,
            session,
            path: path.to_path_buf(),
            positions: Positions::default(),
            disk: Some(back.disk.unwrap_or_else(|| Fingerprint::of(file.bytes()))),
        };
        Ok((loaded, positions))
    }

    /// The file's bytes for a thread to read, once read; `None` when the file cannot be read.
    fn bytes(&self) -> Option<Arc<FileBytes>> {
        self.file.wait()?.lock().ok()?.clone()
    }
}

/// Parses the bytes of a session file: checks size and encoding first, so a binary file gets a
/// clear message rather than a TOML error about its first odd byte.
pub fn parse_bytes(bytes: &[u8]) -> Result<(Session, Positions), ParseError> {
    parse(session_text(bytes)?)
}

/// The text of a session file's bytes, if it is text: not too large, and UTF-8.
fn session_text(bytes: &[u8]) -> Result<&str, ParseError> {
    if bytes.len() > MAX_SESSION_BYTES {
        return Err(ParseError {
            at: LineCol { line: 1, col: 1 },
            message: format!(
                "file is {} MB; session files are limited to {} MB",
                bytes.len() / (1024 * 1024),
                MAX_SESSION_BYTES / (1024 * 1024)
            ),
        });
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            let text = std::str::from_utf8(valid).unwrap_or_default();
            return Err(ParseError {
                at: LineIndex::new(text).line_col(text, text.len()),
                message: format!(
                    "not a text file: byte {} is not UTF-8 (is this a session file?)",
                    e.valid_up_to()
                ),
            });
        }
    };
    Ok(text)
}

/// A NUL byte makes a file binary, not TOML with an odd byte. The fast path never takes one (it
/// declines every control byte but tab and newline), so this pass is only made when it declined.
fn no_nul(text: &str) -> Result<(), ParseError> {
    match text.find('\0') {
        Some(nul) => Err(ParseError {
            at: LineIndex::new(text).line_col(text, nul),
            message: "not a text file: it contains a NUL byte (is this a session file?)".into(),
        }),
        None => Ok(()),
    }
}

/// Parses session TOML. Errors carry the position of the offending text.
pub fn parse(text: &str) -> Result<(Session, Positions), ParseError> {
    parse_with(text, fast_parse::parse)
}

/// [`parse`], given how the fast path reads the text: in one go, or from parts read already
/// (whose positions may still be in pieces, `P`).
fn parse_with<P: From<Positions>>(
    text: &str,
    fast: impl FnOnce(&str) -> Option<(Session, P)>,
) -> Result<(Session, P), ParseError> {
    if text.trim().is_empty() {
        return Err(ParseError {
            at: LineCol { line: 1, col: 1 },
            message: "file is empty: a session needs at least `schema = 1` and a `title`".into(),
        });
    }
    // Most files are plain session TOML: read them in one pass; anything else, and every error,
    // goes to the full parser, which gives the messages and positions.
    match fast(text) {
        Some(parsed) => Ok(parsed),
        None => no_nul(text)
            .and_then(|()| parse_full(text))
            .map(|(session, positions)| (session, P::from(positions))),
    }
}

/// The full `toml` parser (the fast path's reference).
fn parse_full(text: &str) -> Result<(Session, Positions), ParseError> {
    let error_at = |err: toml::de::Error| {
        if err.message().trim() == "recursion limit" {
            // toml gives no position for this one; point at where the nesting gets deepest.
            return ParseError {
                at: deepest_line(text),
                message: format!(
                    "nesting too deep: more than {TOML_NESTING_LIMIT} levels of dotted keys, tables or arrays"
                ),
            };
        }
        let offset = err.span().map(|s| s.start).unwrap_or(0);
        ParseError {
            at: LineIndex::new(text).line_col(text, offset),
            message: tidy_message(err.message()),
        }
    };
    let document = toml::de::DeTable::parse(text).map_err(error_at)?;
    let positions = Positions::from_document(text, document.get_ref());
    let session = serde::Deserialize::deserialize(toml::de::Deserializer::from(document))
        .map_err(error_at)?;
    Ok((session, positions))
}

/// How deep the toml parser nests dotted keys, tables and arrays before it gives up.
const TOML_NESTING_LIMIT: usize = 80;

/// The first line that nests past toml's limit (else the deepest line): dots in a key or a
/// table header, plus open brackets and braces, outside quotes. A heuristic for a message only.
fn deepest_line(text: &str) -> LineCol {
    let mut deepest = (0, 1);
    let mut depth = 0usize;
    for (n, line) in text.lines().enumerate() {
        let mut quote: Option<char> = None;
        let mut in_key = true;
        let mut dots = 0usize;
        let mut line_max = depth;
        for c in line.chars() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '#') => break,
                (None, '=') => in_key = false,
                (None, '.') if in_key => dots += 1,
                (None, '[' | '{') if !in_key => {
                    depth += 1;
                    line_max = line_max.max(depth);
                }
                (None, ']' | '}') if !in_key => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        let level = line_max + dots;
        if level >= TOML_NESTING_LIMIT {
            return LineCol {
                line: n + 1,
                col: 1,
            };
        }
        if level > deepest.0 {
            deepest = (level, n + 1);
        }
    }
    LineCol {
        line: deepest.1,
        col: 1,
    }
}

/// serde's messages name Rust types; say what a person editing TOML needs.
fn tidy_message(message: &str) -> String {
    // toml reads integers as i128 first: a number past that says "as i128", which means nothing
    // to a person.
    let message = message.trim();
    if let Some(rest) = message.strip_prefix("invalid type: integer ")
        && let Some((number, expected)) = rest.split_once(" as i128")
    {
        return tidy_message(&format!("integer too large: {number}{expected}"));
    }
    message
        .replace("expected i64", "expected an integer")
        .replace("expected u32", "expected a whole number")
        .replace("expected a sequence", "expected an array")
        .replace("expected a boolean", "expected true or false")
        .replace(
            "input contains invalid characters",
            "expected a date like 2026-12-15",
        )
}

/// The canonical text of a session: tables sorted by id, fields in a fixed order, empty optional
/// fields left out, control and invisible formatting characters escaped. Equal sessions give
/// equal bytes.
pub fn to_toml(session: &Session) -> Result<String, StoreError> {
    let mut sorted = session.clone();
    sorted.sort_tables();
    toml::to_string(&sorted)
        .map(canonical::escape_hidden)
        .map_err(|e| StoreError::Serialize(e.to_string()))
}

/// Writes a file so that readers see the old or the new content, never a mix: a temporary file in
/// the same directory, flushed to disk, then renamed over the target. A symlink is followed and
/// the file it names is replaced, so the link stays a link; anything but a regular file is
/// refused rather than renamed over (that would replace a device or FIFO with a file).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let target = files::resolve_symlinks(path)?;
    match fs::metadata(&target) {
        Ok(meta) if !meta.is_file() => {
            return Err(StoreError::NotWritable {
                path: path.to_path_buf(),
                kind: files::kind_name(&meta.file_type()),
            });
        }
        _ => {}
    }
    let temp = temp_beside(&target, bytes)?;
    temp.persist(&target)
        .map_err(|e| StoreError::io(path, e.error))?;
    sync_dir(&target);
    Ok(())
}

/// Like [`write_atomic`], but fails if the target exists (even if it appears meanwhile).
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let temp = temp_beside(path, bytes)?;
    temp.persist_noclobber(path).map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            StoreError::AlreadyExists {
                path: path.to_path_buf(),
            }
        } else {
            StoreError::io(path, e.error)
        }
    })?;
    sync_dir(path);
    Ok(())
}

/// Temporary files are created private (0600); the file that replaces a session keeps the
/// permissions of the file it replaces, and a new file gets the usual 0644.
fn set_permissions(temp: &tempfile::NamedTempFile, target: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(target)
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o644);
        let _ = temp
            .as_file()
            .set_permissions(fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = (temp, target);
}

fn temp_beside(path: &Path, bytes: &[u8]) -> Result<tempfile::NamedTempFile, StoreError> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| StoreError::io(path, e))?;
    temp.write_all(bytes)
        .and_then(|_| temp.as_file().sync_all())
        .map_err(|e| StoreError::io(path, e))?;
    set_permissions(&temp, path);
    Ok(temp)
}

/// Makes the rename itself durable. Best effort: not every platform can sync a directory.
fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(handle) = fs::File::open(dir)
    {
        let _ = handle.sync_all();
    }
}

#[cfg(test)]
mod tests;
