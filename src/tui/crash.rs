//! What a panic, a signal or a hung-up terminal must not lose: the latest unsaved state of the
//! open session (and the form being typed in), kept where the panic hook and the stop watchdog
//! can reach it, and written to the autosave file before the process ends. The hook is installed
//! by `init_terminal`.

use crate::model::Session;
use crate::model::edit::Edit;
use crate::store::autosave::FormDraft;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Copies, not TOML: serializing is costly (about 15 ms on a 1,000-component model); only a
/// crash pays for that. And not a copy per change either (1.6 ms at 1,000 components, on every
/// key that edits): the session as it was at some revision, and the edits made since, which a
/// crash replays.
#[derive(Debug, Clone, Default)]
struct CrashCopy {
    path: PathBuf,
    /// The session at some revision of its history (`None` until remembered).
    snapshot: Option<Arc<Session>>,
    /// The edits made since `snapshot`, in order: each applied to it once more gives the session
    /// as on screen.
    since: Vec<Edit>,
    /// The revision that `snapshot` and `since` together reach.
    revision: u64,
    /// Whether that differs from the file (there is unsaved work in it).
    dirty: bool,
    base: Option<Arc<Session>>,
    form: Option<FormDraft>,
}

/// Past this many edits since the last copy, a change takes a new copy: a crash then replays
/// little, and the edits kept stay few.
const MOST_EDITS_KEPT: usize = 256;

impl CrashCopy {
    /// The session as on screen: the copy with the edits since replayed on it.
    fn current(&self) -> Option<Session> {
        let mut session = Session::clone(self.snapshot.as_ref()?);
        for edit in &self.since {
            // These edits were applied in this order to this state once already; should one
            // fail all the same, what the others gave is still the most there is to keep.
            let _ = crate::model::edit::apply(&mut session, edit.clone());
        }
        Some(session)
    }

    /// Holds `session` at `revision`, and no edits.
    fn remember(
        &mut self,
        path: &Path,
        session: &Session,
        revision: u64,
        dirty: bool,
        base: Option<Arc<Session>>,
    ) {
        self.path = path.to_path_buf();
        self.snapshot = Some(Arc::new(session.clone()));
        self.since.clear();
        self.revision = revision;
        self.dirty = dirty;
        self.base = base;
    }

    /// Adds the edits from revision `from` on; false (nothing added) when this is not the
    /// session at `path` at that revision, or would hold too many edits.
    fn add_edits(
        &mut self,
        path: &Path,
        from: u64,
        edits: Vec<Edit>,
        dirty: bool,
        base: Option<Arc<Session>>,
    ) -> bool {
        if self.snapshot.is_none()
            || self.path != path
            || self.revision != from
            || self.since.len() + edits.len() > MOST_EDITS_KEPT
        {
            return false;
        }
        self.revision = from + edits.len() as u64;
        self.since.extend(edits);
        self.dirty = dirty;
        self.base = base;
        true
    }
}

static PENDING: Mutex<Option<CrashCopy>> = Mutex::new(None);

/// Records the session's current state, at `revision` of its history: `dirty` when it differs
/// from the file.
pub fn remember_session(
    path: &Path,
    session: &Session,
    revision: u64,
    dirty: bool,
    base: Option<Arc<Session>>,
) {
    if let Ok(mut slot) = PENDING.lock() {
        slot.get_or_insert_with(CrashCopy::default)
            .remember(path, session, revision, dirty, base);
    }
}

/// Records the edits that took the session at `path` from revision `from` to the next ones,
/// instead of a copy of it. Returns false, recording nothing, when what is remembered is not
/// that session at that revision (or holds many edits already): the caller copies it then.
pub fn remember_edits(
    path: &Path,
    from: u64,
    edits: Vec<Edit>,
    dirty: bool,
    base: Option<Arc<Session>>,
) -> bool {
    PENDING.lock().is_ok_and(|mut slot| {
        slot.as_mut()
            .is_some_and(|copy| copy.add_edits(path, from, edits, dirty, base))
    })
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
    // The session even when saved: a form typed into needs it beside the draft.
    if !copy.dirty && copy.form.is_none() {
        return None;
    }
    let session = copy.current()?;
    Some(
        crate::store::autosave::write_autosave(
            &copy.path,
            &session,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::edit::{Item, ItemTable};
    use crate::model::{Boundary, BoundaryId};

    fn boundary(id: &str) -> Item {
        Item::Boundary(Boundary {
            id: BoundaryId::from(id),
            name: id.to_uppercase(),
            parent: None,
            notes: String::new(),
        })
    }

    /// A session with two boundaries, and the edits that give its next three revisions (as
    /// the app applied them), with the session after each.
    fn edits() -> (Session, Vec<Edit>, Vec<Session>) {
        let mut session = Session::new("Shop".to_string());
        for id in ["a", "b"] {
            crate::model::edit::apply(&mut session, Edit::put(None, boundary(id))).expect("adds");
        }
        let edits = vec![
            Edit::put(None, boundary("c")),
            Edit::Move {
                table: ItemTable::Boundaries,
                from: 0,
                to: 2,
            },
            Edit::SetTitle("Shop 2".to_string()),
        ];
        let mut after = Vec::new();
        let mut now = session.clone();
        for edit in &edits {
            crate::model::edit::apply(&mut now, edit.clone()).expect("applies");
            after.push(now.clone());
        }
        (session, edits, after)
    }

    #[test]
    fn edits_noted_after_a_copy_replay_to_the_session_on_screen() {
        let (session, edits, after) = edits();
        let path = Path::new("sessions/shop.toml");
        let mut copy = CrashCopy::default();
        copy.remember(path, &session, 4, false, None);
        assert_eq!(copy.current().as_ref(), Some(&session));
        assert!(copy.add_edits(path, 4, edits[..1].to_vec(), true, None));
        assert_eq!(copy.current().as_ref(), after.first());
        assert!(copy.add_edits(path, 5, edits[1..].to_vec(), true, None));
        assert_eq!(copy.revision, 7);
        assert!(copy.dirty);
        assert_eq!(copy.current().as_ref(), after.last());
        // A new copy starts over: no edit is applied twice.
        copy.remember(path, after.last().expect("a session"), 7, false, None);
        assert!(copy.since.is_empty());
        assert_eq!(copy.current().as_ref(), after.last());
    }

    #[test]
    fn edits_from_another_revision_or_file_are_refused_and_change_nothing() {
        let (session, edits, _) = edits();
        let path = Path::new("sessions/shop.toml");
        let mut copy = CrashCopy::default();
        assert!(
            !copy.add_edits(path, 0, edits.clone(), true, None),
            "nothing remembered yet"
        );
        copy.remember(path, &session, 4, false, None);
        // Edits from a revision the copy is not at (a save took a copy in between) would
        // apply twice or on the wrong state.
        assert!(!copy.add_edits(path, 3, edits.clone(), true, None));
        assert!(!copy.add_edits(path, 5, edits.clone(), true, None));
        assert!(!copy.add_edits(
            Path::new("sessions/other.toml"),
            4,
            edits.clone(),
            true,
            None
        ));
        assert!(!copy.dirty);
        assert_eq!(copy.current().as_ref(), Some(&session));
    }

    #[test]
    fn past_the_most_edits_kept_a_copy_is_asked_for() {
        let (session, _, _) = edits();
        let path = Path::new("sessions/shop.toml");
        let mut copy = CrashCopy::default();
        copy.remember(path, &session, 0, false, None);
        let title = |i: usize| Edit::SetTitle(format!("t{i}"));
        let all: Vec<Edit> = (0..MOST_EDITS_KEPT).map(title).collect();
        assert!(copy.add_edits(path, 0, all, true, None));
        let revision = copy.revision;
        assert!(!copy.add_edits(path, revision, vec![title(0)], true, None));
        let last = copy.current().map(|s| s.title);
        assert_eq!(last, Some(format!("t{}", MOST_EDITS_KEPT - 1)));
    }
}
