//! Nothing typed is lost: every change is journaled to a sidecar file beside the session
//! (`.checkout.toml.autosave`), written atomically; a clean save removes it. A lock file
//! (`.checkout.toml.lock`, holding pid and host) tells a second instance the file is open.

use super::{StoreError, write_atomic};
use std::fs;
use std::path::{Path, PathBuf};

fn sidecar(session: &Path, suffix: &str) -> PathBuf {
    let name = session
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "session.toml".into());
    session.with_file_name(format!(".{name}.{suffix}"))
}

pub fn autosave_path(session: &Path) -> PathBuf {
    sidecar(session, "autosave")
}

pub fn lock_path(session: &Path) -> PathBuf {
    sidecar(session, "lock")
}

pub fn write_autosave(session: &Path, text: &str) -> Result<PathBuf, StoreError> {
    let path = autosave_path(session);
    write_atomic(&path, text.as_bytes())?;
    Ok(path)
}

/// The autosave's text when it exists and differs from the session file: work that was not
/// saved (a crash, a killed terminal, a closed laptop).
pub fn pending_autosave(session: &Path) -> Option<String> {
    let text = fs::read_to_string(autosave_path(session)).ok()?;
    let saved = fs::read_to_string(session).unwrap_or_default();
    (text != saved).then_some(text)
}

pub fn remove_autosave(session: &Path) {
    let _ = fs::remove_file(autosave_path(session));
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

/// Holds the lock until dropped.
#[derive(Debug)]
pub struct SessionLock {
    path: PathBuf,
}

impl Drop for SessionLock {
    fn drop(&mut self) {
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

/// Whether a lock's owner is gone: only knowable for this host (a process table to look in).
fn is_stale(owner: &LockOwner) -> bool {
    owner.host == host_name()
        && Path::new("/proc").is_dir()
        && !Path::new(&format!("/proc/{}", owner.pid)).exists()
}

/// Takes the lock for a session file. `Err(Some(owner))` when someone else holds it;
/// `Err(None)` when the lock cannot be written (a read-only directory): opening goes on.
pub fn lock(session: &Path) -> Result<SessionLock, Option<LockOwner>> {
    let path = lock_path(session);
    for _ in 0..2 {
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                use std::io::Write;
                let _ = writeln!(file, "{} {}", std::process::id(), host_name());
                return Ok(SessionLock { path });
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => match read_owner(&path) {
                Some(owner) if !is_stale(&owner) => return Err(Some(owner)),
                // A crashed instance left it, or it is unreadable: take it over.
                _ => {
                    let _ = fs::remove_file(&path);
                }
            },
            Err(_) => return Err(None),
        }
    }
    Err(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autosave_lives_beside_the_session_and_is_pending_only_when_different() {
        let dir = tempfile::tempdir().expect("temp dir");
        let session = dir.path().join("checkout.toml");
        fs::write(&session, "schema = 1\ntitle = \"a\"\n").expect("write");
        assert_eq!(pending_autosave(&session), None);
        let path = write_autosave(&session, "schema = 1\ntitle = \"b\"\n").expect("autosave");
        assert_eq!(path, dir.path().join(".checkout.toml.autosave"));
        assert_eq!(
            pending_autosave(&session).as_deref(),
            Some("schema = 1\ntitle = \"b\"\n")
        );
        write_autosave(&session, "schema = 1\ntitle = \"a\"\n").expect("autosave");
        assert_eq!(
            pending_autosave(&session),
            None,
            "same as the file: nothing to recover"
        );
        remove_autosave(&session);
        assert!(!path.exists());
    }

    #[test]
    fn a_second_lock_names_the_holder_and_stale_locks_are_taken_over() {
        let dir = tempfile::tempdir().expect("temp dir");
        let session = dir.path().join("s.toml");
        let first = lock(&session).expect("first lock");
        let held = lock(&session).expect_err("second lock refused");
        assert_eq!(
            held,
            Some(LockOwner {
                pid: std::process::id(),
                host: host_name()
            })
        );
        drop(first);
        assert!(!lock_path(&session).exists());
        // A lock left by a process that no longer exists on this host is taken over.
        fs::write(
            lock_path(&session),
            format!("{} {}\n", u32::MAX - 1, host_name()),
        )
        .expect("write");
        let taken = lock(&session);
        assert!(taken.is_ok() || !Path::new("/proc").is_dir());
    }
}
