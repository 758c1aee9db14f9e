//! What a panic, a signal or a hung-up terminal must not lose: the latest unsaved state of the
//! open session (and the form being typed in), kept where the panic hook and the stop watchdog
//! can reach it, and written to the autosave file before the process ends. The hook is installed
//! by `init_terminal`.

use crate::model::Session;
use crate::store::autosave::FormDraft;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Copies, not TOML: copying on a change is cheap, serializing is not (about 15 ms on a
/// 1,000-component model); only a crash pays for that.
#[derive(Debug, Clone, Default)]
struct CrashCopy {
    path: PathBuf,
    /// The session as on screen; `None` when it equals the file (nothing unsaved in it).
    session: Option<Arc<Session>>,
    /// The session even when saved: a form typed into needs it beside the draft.
    current: Option<Arc<Session>>,
    base: Option<Arc<Session>>,
    form: Option<FormDraft>,
}

static PENDING: Mutex<Option<CrashCopy>> = Mutex::new(None);

/// Records the session's current state: `dirty` when it differs from the file.
pub fn remember_session(path: &Path, session: &Session, dirty: bool, base: Option<Arc<Session>>) {
    if let Ok(mut slot) = PENDING.lock() {
        let copy = slot.get_or_insert_with(CrashCopy::default);
        let current = Arc::new(session.clone());
        copy.path = path.to_path_buf();
        copy.session = dirty.then(|| Arc::clone(&current));
        copy.current = Some(current);
        copy.base = base;
    }
}

/// Records the form being typed in (`None` when no form has unsubmitted text).
pub fn remember_form(form: Option<FormDraft>) {
    if let Ok(mut slot) = PENDING.lock() {
        slot.get_or_insert_with(CrashCopy::default).form = form;
    }
}

/// Forgets everything: the session was closed, saved with no form open, or discarded.
pub fn forget() {
    if let Ok(mut slot) = PENDING.lock() {
        *slot = None;
    }
}

/// Writes the pending work, if any, to its autosave file; returns the session and autosave
/// paths, or why the write failed.
pub fn write_pending() -> Option<Result<(PathBuf, PathBuf), crate::store::StoreError>> {
    let copy = PENDING.lock().ok().and_then(|slot| slot.clone())?;
    let session = match (&copy.session, &copy.form) {
        (Some(dirty), _) => dirty,
        (None, Some(_)) => copy.current.as_ref()?,
        (None, None) => return None,
    };
    Some(
        crate::store::autosave::write_autosave(
            &copy.path,
            session,
            copy.base.as_deref(),
            copy.form.as_ref(),
        )
        .map(|saved| (copy.path.clone(), saved)),
    )
}

/// Installs a panic hook that writes the pending work to the autosave file and says where it
/// is. `init_terminal` installs it first, then wraps it in one that restores the terminal, so
/// the message lands on a normal screen.
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
