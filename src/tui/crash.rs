//! What a panic or a hung-up terminal must not lose: the latest unsaved state of the open
//! session, kept where the panic hook and the stop watchdog can reach it, and written to the
//! autosave file before the process ends.

use crate::model::Session;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A copy, not its TOML: copying on every edit is cheap, serializing is not (about 15 ms on a
/// 1,000-component model); only a crash pays for that.
static PENDING: Mutex<Option<(PathBuf, Session)>> = Mutex::new(None);

/// Records the session's current state (`None` once it is saved).
pub fn remember(path: &Path, session: Option<Session>) {
    if let Ok(mut slot) = PENDING.lock() {
        *slot = session.map(|s| (path.to_path_buf(), s));
    }
}

/// Writes the pending text, if any, to its autosave file; returns the session and autosave
/// paths, or why the write failed.
pub fn write_pending() -> Option<Result<(PathBuf, PathBuf), crate::store::StoreError>> {
    let (path, session) = PENDING.lock().ok().and_then(|slot| slot.clone())?;
    let text = crate::store::to_toml(&session);
    Some(crate::store::autosave::write_autosave(&path, &text).map(|saved| (path, saved)))
}

/// Installs a panic hook that writes the pending text to the autosave file and says where it
/// is. Install before `ratatui::init`, whose own hook restores the terminal first and then
/// calls this one, so the message lands on a normal screen.
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        previous(info);
        // `writeln!`, not `eprintln!`: with the terminal gone, printing fails, and a panic
        // inside the panic hook aborts before anything else is kept.
        use std::io::Write;
        let mut stderr = std::io::stderr();
        let _ = match write_pending() {
            Some(Ok((path, saved))) => writeln!(
                stderr,
                "threatboard stopped on an internal error. Your unsaved work is in {}; reopen {} to recover it.",
                saved.display(),
                path.display()
            ),
            Some(Err(e)) => writeln!(
                stderr,
                "threatboard stopped on an internal error, and the autosave failed: {e}"
            ),
            None => Ok(()),
        };
    }));
}
