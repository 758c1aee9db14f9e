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

/// Installs a panic hook that writes the pending text to the autosave file and says where it
/// is. Install before `ratatui::init`, whose own hook restores the terminal first and then
/// calls this one, so the message lands on a normal screen.
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        previous(info);
        let pending = PENDING.lock().ok().and_then(|slot| slot.clone());
        if let Some((path, text)) = pending {
            match crate::store::autosave::write_autosave(&path, &text) {
                Ok(saved) => eprintln!(
                    "threatboard stopped on an internal error. Your unsaved work is in {}; reopen {} to recover it.",
                    saved.display(),
                    path.display()
                ),
                Err(e) => eprintln!(
                    "threatboard stopped on an internal error, and the autosave failed: {e}"
                ),
            }
        }
    }));
}
