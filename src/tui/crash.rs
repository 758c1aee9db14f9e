//! What a panic must not lose: the latest unsaved text of the open session, kept where the
//! panic hook can reach it, and written to the autosave file before the process ends.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

static PENDING: Mutex<Option<(PathBuf, String)>> = Mutex::new(None);

/// Records the session's current text (`None` once it is saved).
pub fn remember(path: &Path, text: Option<String>) {
    if let Ok(mut slot) = PENDING.lock() {
        *slot = text.map(|t| (path.to_path_buf(), t));
    }
}

/// Writes the pending text, if any, to its autosave file; returns the session and autosave
/// paths, or why the write failed.
pub fn write_pending() -> Option<Result<(PathBuf, PathBuf), crate::store::StoreError>> {
    let (path, text) = PENDING.lock().ok().and_then(|slot| slot.clone())?;
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
