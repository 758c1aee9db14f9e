//! Nothing typed is lost. Every change reaches an autosave file beside the session
//! (`.checkout.toml.autosave`), written atomically (writes are debounced to one within a
//! second of a burst of changes); a clean save removes it. An autosave holds three things: the
//! unsaved session; its *base*, the file as it was when that work started, so that recovering it
//! later merges with whatever reached the file since (a `git pull`) instead of reverting it; and
//! the form being typed in, if one was open.
//!
//! An autosave the user chose to decide on later is set aside as
//! `.checkout.toml.autosave.kept-<time>`, so the next run's own autosaves and saves cannot
//! overwrite or delete it; it is offered again on every open until recovered or discarded.
//!
//! A lock file (`.checkout.toml.lock`, holding pid and host for messages) tells a second
//! instance the file is open. The lock itself is an OS advisory lock on that file, held while
//! the session is open: it is taken atomically, and it is released by the OS when its holder
//! ends in any way, so a lock left behind is known to be free without guessing from its text.
//!
//! Sidecar files are named after the session's real path (symlinks resolved), so the same file
//! opened through a link shares one lock and one autosave.

use super::{StoreError, write_atomic};
use crate::model::Session;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The session file's real path: symlinks (of the file or of a directory on the way) resolved,
/// so every name of one file shares its sidecars. A file that does not exist yet keeps its name.
pub fn real_path(session: &Path) -> PathBuf {
    fs::canonicalize(session).unwrap_or_else(|_| session.to_path_buf())
}

fn sidecar(session: &Path, suffix: &str) -> PathBuf {
    let real = real_path(session);
    let name = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "session.toml".into());
    real.with_file_name(format!(".{name}.{suffix}"))
}

pub fn autosave_path(session: &Path) -> PathBuf {
    sidecar(session, "autosave")
}

/// Where the autosave goes when the session's directory cannot be written (a read-only
/// checkout): the user's state directory, `$XDG_STATE_HOME/threatboard/autosave`, else
/// `~/.local/state/threatboard/autosave`. The name is the session's file name and a hash of its
/// real path, so sessions of the same name in different folders do not meet.
pub fn fallback_autosave_path(session: &Path) -> Option<PathBuf> {
    let dir = std::env::var_os("XDG_STATE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".local/state")))?
        .join("threatboard/autosave");
    let real = real_path(session);
    let name = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "session.toml".into());
    Some(dir.join(format!(
        "{name}.{:016x}.autosave",
        fnv1a(real.as_os_str().as_encoded_bytes())
    )))
}

/// FNV-1a: a hash whose value never changes between versions of Rust, so an autosave written
/// by one build is found by the next.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Whether `file` is where this session's autosave is written now (beside it, or in the
/// fallback directory), rather than one set aside for later.
pub fn is_current_autosave(file: &Path, session: &Path) -> bool {
    file == autosave_path(session) || fallback_autosave_path(session).as_deref() == Some(file)
}

pub fn lock_path(session: &Path) -> PathBuf {
    sidecar(session, "lock")
}

/// The form that was open when the work was autosaved, as plain values: the app knows how to
/// reopen it from these.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormDraft {
    /// The form's title as shown ("Accept TH-004").
    pub title: String,
    /// What the form is for, in the app's words ("mitigation", "acceptance", ...).
    pub purpose: String,
    /// Ids of what the form edits (a threat, a mitigation...), so that it reopens on the same
    /// element even if a merge moved things around.
    #[serde(default)]
    pub ids: Vec<String>,
    /// Each field's value by key: the text typed, a choice's value, `true`/`false`, or the
    /// chosen values.
    #[serde(default)]
    pub fields: BTreeMap<String, Vec<String>>,
}

/// Unsaved work as an autosave holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Autosave {
    pub session: Session,
    /// The file as it was when this work started; `None` for a new file, or an autosave
    /// written before bases were kept.
    pub base: Option<Session>,
    pub form: Option<FormDraft>,
}

/// The file format: a small TOML document that embeds the session's canonical text, so a
/// person can still read (or copy out) the work in it.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AutosaveFile {
    autosave: u32,
    session: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    base: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    form: Option<FormDraft>,
}

const FORMAT: u32 = 1;

/// The text of an autosave file.
pub fn autosave_text(
    session: &Session,
    base: Option<&Session>,
    form: Option<&FormDraft>,
) -> Result<String, StoreError> {
    let file = AutosaveFile {
        autosave: FORMAT,
        session: super::to_toml(session)?,
        base: base.map(super::to_toml).transpose()?,
        form: form.cloned(),
    };
    let body = toml::to_string(&file).map_err(|e| StoreError::Serialize(e.to_string()))?;
    Ok(format!(
        "# Unsaved threatboard work. Reopen the session file to recover it.\n{body}"
    ))
}

/// Reads an autosave's text; one written by an older threatboard (the session's TOML alone)
/// is read too, without a base.
pub fn parse_autosave(text: &str) -> Result<Autosave, String> {
    match toml::from_str::<AutosaveFile>(text) {
        Ok(file) => {
            if file.autosave != FORMAT {
                return Err(format!(
                    "written by another version of threatboard (format {})",
                    file.autosave
                ));
            }
            let session = super::parse(&file.session)
                .map_err(|e| format!("the session in it: {}: {}", e.at, e.message))?
                .0;
            // A base that cannot be read only costs the merge: the work itself is intact.
            let base = file
                .base
                .and_then(|b| super::parse(&b).ok())
                .map(|(s, _)| s);
            Ok(Autosave {
                session,
                base,
                form: file.form,
            })
        }
        Err(_) => super::parse(text)
            .map(|(session, _)| Autosave {
                session,
                base: None,
                form: None,
            })
            .map_err(|e| format!("{}: {}", e.at, e.message)),
    }
}

/// Writes the autosave for `session_path` (atomically); returns its path.
pub fn write_autosave(
    session_path: &Path,
    session: &Session,
    base: Option<&Session>,
    form: Option<&FormDraft>,
) -> Result<PathBuf, StoreError> {
    let path = autosave_path(session_path);
    let text = autosave_text(session, base, form)?;
    match write_atomic(&path, text.as_bytes()) {
        Ok(()) => Ok(path),
        Err(StoreError::Io { source, .. })
            if matches!(
                source.kind(),
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
            ) =>
        {
            // The session's directory cannot be written: keep the work in the user's state
            // directory instead, where reopening looks too.
            let Some(fallback) = fallback_autosave_path(session_path) else {
                return Err(StoreError::Io { path, source });
            };
            if let Some(dir) = fallback.parent() {
                fs::create_dir_all(dir).map_err(|e| StoreError::Io {
                    path: dir.to_path_buf(),
                    source: e,
                })?;
            }
            write_atomic(&fallback, text.as_bytes())?;
            Ok(fallback)
        }
        Err(e) => Err(e),
    }
}

/// Autosave files waiting for a decision: this session's current autosave first, then those set
/// aside for later, newest first.
pub fn pending_autosaves(session: &Path) -> Vec<PathBuf> {
    let primaries: Vec<PathBuf> = std::iter::once(autosave_path(session))
        .chain(fallback_autosave_path(session))
        .collect();
    let mut found: Vec<PathBuf> = primaries.iter().filter(|p| p.is_file()).cloned().collect();
    let mut kept: Vec<(String, PathBuf)> = Vec::new();
    for primary in &primaries {
        let name = primary
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let prefix = format!("{name}.kept-");
        let dir = match primary.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.filter_map(|e| e.ok()) {
            let file = entry.file_name().to_string_lossy().into_owned();
            if let Some(stamp) = file.strip_prefix(&prefix)
                && entry.path().is_file()
            {
                kept.push((stamp.to_string(), entry.path()));
            }
        }
    }
    // The suffix is a fixed-width time stamp: newest first.
    kept.sort();
    kept.reverse();
    found.extend(kept.into_iter().map(|(_, p)| p));
    found
}

/// Reads one autosave file (bounded: an autosave is a session plus its base).
pub fn read_autosave(path: &Path) -> Result<Autosave, String> {
    let bytes = fs::read(path).map_err(|e| e.to_string())?;
    if bytes.len() > 3 * super::MAX_SESSION_BYTES {
        return Err("too large to be an autosave".into());
    }
    let text = String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string())?;
    parse_autosave(&text)
}

/// Sets the current autosave aside, to be offered again until recovered or discarded; returns
/// where it went. An autosave already set aside stays where it is.
pub fn keep_for_later(autosave: &Path, session: &Path) -> std::io::Result<PathBuf> {
    if !is_current_autosave(autosave, session) {
        return Ok(autosave.to_path_buf());
    }
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut name = autosave.as_os_str().to_owned();
    name.push(format!(".kept-{stamp:020}"));
    let kept = PathBuf::from(name);
    fs::rename(autosave, &kept)?;
    Ok(kept)
}

/// Removes this session's current autosave (not those set aside for later).
pub fn remove_autosave(session: &Path) {
    let _ = fs::remove_file(autosave_path(session));
    if let Some(fallback) = fallback_autosave_path(session) {
        let _ = fs::remove_file(fallback);
    }
}

/// Removes one autosave file: the user recovered or discarded it.
pub fn remove_autosave_file(path: &Path) {
    let _ = fs::remove_file(path);
}

/// Who holds a session open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockOwner {
    pub pid: u32,
    pub host: String,
}

impl std::fmt::Display for LockOwner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "process {} on {}", self.pid, self.host)
    }
}

/// Why a session's lock was not taken.
#[derive(Debug)]
pub enum LockError {
    /// Another instance holds it; `None` when its file does not (yet) say who.
    Held(Option<LockOwner>),
    /// The lock cannot be taken here (a read-only directory, a file system without locks):
    /// the session can still be opened, without protection against a second instance.
    Unavailable(std::io::Error),
}

impl std::fmt::Display for LockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LockError::Held(Some(owner)) => write!(f, "open elsewhere ({owner})"),
            LockError::Held(None) => write!(f, "open elsewhere (by a process that is starting)"),
            LockError::Unavailable(e) => write!(f, "cannot take the lock file: {e}"),
        }
    }
}

/// Holds the lock until dropped.
#[derive(Debug)]
pub struct SessionLock {
    path: PathBuf,
    /// Open for as long as the lock is held: the OS lock lives on this handle.
    _file: fs::File,
}

impl SessionLock {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SessionLock {
    fn drop(&mut self) {
        // Removed while still locked: an instance that opened this file in the meantime sees,
        // once it gets the lock, that the name no longer leads to it, and starts over.
        let _ = fs::remove_file(&self.path);
    }
}

pub fn host_name() -> String {
    fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".into())
}

fn read_owner(path: &Path) -> Option<LockOwner> {
    let text = fs::read_to_string(path).ok()?;
    let mut parts = text.split_whitespace();
    let pid = parts.next()?.parse().ok()?;
    let host = parts.next().unwrap_or("unknown-host").to_string();
    Some(LockOwner { pid, host })
}

/// Whether `file` is still the file that `path` names (it was not removed and replaced).
fn still_named(file: &fs::File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        path.exists()
    }
}

/// Takes the lock for a session file: an exclusive OS lock on `.<name>.lock`, then that file's
/// text set to this process and host. Two instances starting together cannot both get it, and a
/// lock whose holder died (however it died) is free, whatever its file says.
pub fn lock(session: &Path) -> Result<SessionLock, LockError> {
    use std::io::Write;
    let path = lock_path(session);
    // A few rounds: the holder may remove the file between our open and our lock.
    for _ in 0..8 {
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path);
        let file = match file {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied && path.exists() => {
                // Someone else's lock file we may not even open: treat it as held.
                return Err(LockError::Held(read_owner(&path)));
            }
            Err(e) => return Err(LockError::Unavailable(e)),
        };
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Err(LockError::Held(read_owner(&path))),
            Err(fs::TryLockError::Error(e)) => return Err(LockError::Unavailable(e)),
        }
        if !still_named(&file, &path) {
            continue;
        }
        // Who holds it, for the message a second instance shows. If this write fails (a full
        // disk) the lock still holds: an empty lock file is never taken as free.
        let mut handle = &file;
        let _ = file
            .set_len(0)
            .and_then(|_| writeln!(handle, "{} {}", std::process::id(), host_name()))
            .and_then(|_| handle.sync_all());
        return Ok(SessionLock { path, _file: file });
    }
    Err(LockError::Unavailable(std::io::Error::other(
        "the lock file kept changing while taking it",
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session_with_title(title: &str) -> Session {
        Session::new(title)
    }

    #[test]
    fn autosave_lives_beside_the_session_and_round_trips_work_base_and_form() {
        let dir = tempfile::tempdir().expect("temp dir");
        let session = dir.path().join("checkout.toml");
        fs::write(&session, "schema = 1\ntitle = \"a\"\n").expect("write");
        assert!(pending_autosaves(&session).is_empty());
        let form = FormDraft {
            title: "Accept TH-004".into(),
            purpose: "acceptance".into(),
            ids: vec!["TH-004".into()],
            fields: BTreeMap::from([(
                "justification".to_string(),
                vec!["line one\nline \"two\"".to_string()],
            )]),
        };
        let work = session_with_title("b");
        let base = session_with_title("a");
        let path = write_autosave(&session, &work, Some(&base), Some(&form)).expect("autosave");
        assert_eq!(path, real_path(dir.path()).join(".checkout.toml.autosave"));
        assert_eq!(pending_autosaves(&session), vec![path.clone()]);
        let read = read_autosave(&path).expect("reads");
        assert_eq!(read.session, work);
        assert_eq!(read.base, Some(base));
        assert_eq!(read.form, Some(form));
        // The session's text is in the file as it would be saved, for a person to read.
        let text = fs::read_to_string(&path).expect("read");
        assert!(text.contains("title = \"b\""), "{text}");
        remove_autosave(&session);
        assert!(!path.exists());
    }

    #[test]
    fn an_autosave_from_an_older_version_is_the_session_alone() {
        let read = parse_autosave("schema = 1\ntitle = \"old\"\n").expect("reads");
        assert_eq!(read.session.title, "old");
        assert_eq!(read.base, None);
        assert_eq!(read.form, None);
        assert!(parse_autosave("autosave = 1\nsession = \"title = 3\"\n").is_err());
    }

    #[test]
    fn an_autosave_kept_for_later_survives_the_next_runs_autosaves_and_saves() {
        let dir = tempfile::tempdir().expect("temp dir");
        let session = dir.path().join("s.toml");
        fs::write(&session, "schema = 1\ntitle = \"a\"\n").expect("write");
        let crashed =
            write_autosave(&session, &session_with_title("crashed"), None, None).expect("autosave");
        let kept = keep_for_later(&crashed, &session).expect("kept");
        assert_ne!(kept, crashed);
        // The next run autosaves and then saves cleanly (which removes its own autosave).
        write_autosave(&session, &session_with_title("next"), None, None).expect("autosave");
        assert_eq!(pending_autosaves(&session).len(), 2);
        remove_autosave(&session);
        assert_eq!(pending_autosaves(&session), vec![kept.clone()]);
        assert_eq!(
            read_autosave(&kept).expect("reads").session.title,
            "crashed"
        );
        // Deciding later again leaves it where it is.
        assert_eq!(keep_for_later(&kept, &session).expect("kept"), kept);
        remove_autosave_file(&kept);
        assert!(pending_autosaves(&session).is_empty());
    }

    #[test]
    fn a_second_lock_names_the_holder_and_a_dead_holders_lock_is_free() {
        let dir = tempfile::tempdir().expect("temp dir");
        let session = dir.path().join("s.toml");
        let first = lock(&session).expect("first lock");
        match lock(&session) {
            Err(LockError::Held(owner)) => assert_eq!(
                owner,
                Some(LockOwner {
                    pid: std::process::id(),
                    host: host_name()
                })
            ),
            other => panic!("second lock not refused: {other:?}"),
        }
        drop(first);
        assert!(!lock_path(&session).exists());
        // A lock file left by a process that is gone (nobody holds the OS lock), whatever it
        // says, even nothing at all, is free.
        for left in ["4294967294 elsewhere\n", ""] {
            fs::write(lock_path(&session), left).expect("write");
            let taken = lock(&session).expect("a lock nobody holds is taken");
            let text = fs::read_to_string(taken.path()).expect("read");
            assert!(text.starts_with(&std::process::id().to_string()), "{text}");
        }
    }

    #[test]
    fn an_empty_lock_file_that_is_held_is_not_taken_over() {
        // The holder could not write its pid (a full disk): its lock still holds.
        let dir = tempfile::tempdir().expect("temp dir");
        let session = dir.path().join("s.toml");
        let holder = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(lock_path(&session))
            .expect("open");
        holder.try_lock().expect("locks");
        assert!(matches!(lock(&session), Err(LockError::Held(None))));
    }

    #[test]
    fn instances_starting_together_get_the_lock_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let session = dir.path().join("s.toml");
        for _ in 0..20 {
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    let barrier = std::sync::Arc::clone(&barrier);
                    let session = session.clone();
                    std::thread::spawn(move || {
                        barrier.wait();
                        lock(&session).ok()
                    })
                })
                .collect();
            let locks: Vec<SessionLock> = handles
                .into_iter()
                .filter_map(|h| h.join().expect("joins"))
                .collect();
            assert_eq!(locks.len(), 1, "exactly one instance holds the lock");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_file_opened_through_a_symlink_shares_its_lock_and_autosave() {
        let dir = tempfile::tempdir().expect("temp dir");
        let real = dir.path().join("real.toml");
        fs::write(&real, "schema = 1\ntitle = \"a\"\n").expect("write");
        let link = dir.path().join("link.toml");
        std::os::unix::fs::symlink(&real, &link).expect("symlink");
        assert_eq!(autosave_path(&link), autosave_path(&real));
        let held = lock(&real).expect("lock");
        assert!(matches!(lock(&link), Err(LockError::Held(_))));
        drop(held);
    }
}
