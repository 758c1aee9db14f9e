//! Keeping the work: saving (and saving elsewhere), the autosave and the crash copy, the
//! answer to "recover unsaved work?", and a file changed on disk while open.

use super::{App, Screen};
use crate::model::Session;
use crate::model::edit::Edit;
use crate::model::text::escape_control;
use crate::store::autosave::FormDraft;
use crate::store::{self, LoadedSession};
use crate::tui::keymap::Action;
use crate::tui::modal::{FormPurpose, Modal};
use crate::tui::recovery::Recovery;
use crate::tui::session::SessionState;
use crate::tui::widgets::form::{Field, Form};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

impl App {
    /// Called on every loop turn: writes the autosave when one is due. Kept out of rendering so
    /// drawing never touches the disk.
    pub fn tick(&mut self, now: Instant) {
        let Screen::Session(s) = &mut self.screen else {
            return;
        };
        if s.keep.autosave_due.is_some_and(|due| due <= now) {
            s.keep.autosave_due = None;
            s.keep.autosaved_revision = s.history.revision();
            s.keep.autosaved_draft = s.keep.draft.clone();
            let path = s.loaded.path.clone();
            if s.history.is_dirty() || s.keep.draft.is_some() {
                if let Err(e) = store::autosave::write_autosave(
                    &path,
                    s.session(),
                    s.loaded.base(),
                    s.keep.draft.as_ref(),
                ) {
                    self.error(format!("autosave failed: {e}"));
                }
            } else {
                // Back to what the file holds (undone, or saved): nothing unsaved to keep.
                // Work set aside earlier for later is in other files and stays.
                store::autosave::remove_autosave(&path);
            }
        }
    }

    /// Writes the autosave now if changes are pending (on SIGTERM, SIGHUP, before exiting).
    pub fn flush_autosave(&mut self) {
        if let Screen::Session(s) = &mut self.screen
            && s.keep.autosave_due.is_some()
        {
            s.keep.autosave_due = Some(Instant::now());
        }
        self.tick(Instant::now());
    }

    pub(super) fn refresh(&mut self) {
        self.prepare_review();
        let today = self.today;
        let Screen::Session(s) = &mut self.screen else {
            return;
        };
        s.refresh_derived(today, self.libraries.rules());
        if s.started.is_some() || self.modal.is_none() {
            s.tick_clock(Instant::now());
        }
        // What is typed in an open form counts as unsaved work once it differs from what the
        // form opened with.
        let open_form = match &self.modal {
            Some(Modal::Form { form, purpose }) => {
                crate::tui::draft::draft_of(form, purpose, &s.loaded.session)
            }
            // A quick-add line is kept as text (recovery shows it); it opens empty.
            Some(Modal::QuickAdd(line)) => {
                let draft = |text: &str| FormDraft {
                    title: "Quick add".into(),
                    purpose: "quick-add".into(),
                    ids: Vec::new(),
                    fields: [("line".to_string(), vec![text.to_string()])]
                        .into_iter()
                        .collect(),
                };
                s.keep.form_pristine = Some(draft(""));
                Some(draft(line.input.text()))
            }
            _ => None,
        };
        match open_form {
            Some(draft) => {
                let same_form = s.keep.form_pristine.as_ref().is_some_and(|p| {
                    p.title == draft.title && p.purpose == draft.purpose && p.ids == draft.ids
                });
                if !same_form {
                    s.keep.form_pristine = Some(draft.clone());
                }
                let pristine = s.keep.form_pristine.as_ref().is_some_and(|p| p == &draft);
                s.keep.draft = (!pristine).then_some(draft);
            }
            None => {
                s.keep.form_pristine = None;
                s.keep.draft = None;
            }
        }
        let changed = s.keep.autosaved_revision != s.history.revision()
            || s.keep.autosaved_draft != s.keep.draft;
        if changed && s.keep.autosave_due.is_none() {
            // Within a second of any change; a burst of keys makes one write.
            s.keep.autosave_due = Some(Instant::now() + Duration::from_millis(500));
        }
        // The crash handlers (a panic, a signal, a hung-up terminal) need the very latest
        // state: they run when the next autosave may never come.
        let revision = s.history.revision();
        let edits = s.keep.edits.take();
        if s.keep.crash_copy_revision != Some(revision) {
            // The edits since the copy they hold when every one was noted, else a new copy.
            let noted = match (s.keep.crash_copy_revision, edits) {
                (Some(at), Some((from, edits)))
                    if from == at && from + edits.len() as u64 == revision =>
                {
                    crate::tui::crash::remember_edits(
                        &s.loaded.path,
                        from,
                        edits,
                        s.history.is_dirty(),
                        s.loaded.shared_base(),
                    )
                }
                _ => false,
            };
            if !noted {
                crate::tui::crash::remember_session(
                    &s.loaded.path,
                    s.session(),
                    revision,
                    s.history.is_dirty(),
                    s.loaded.shared_base(),
                );
            }
            s.keep.crash_copy_revision = Some(revision);
        }
        if s.keep.crash_draft != s.keep.draft {
            s.keep.crash_draft = s.keep.draft.clone();
            crate::tui::crash::remember_form(s.keep.draft.clone());
        }
    }

    /// Saves; returns whether the session is now on disk.
    pub(super) fn save(&mut self) -> bool {
        self.record_minutes();
        let Screen::Session(s) = &mut self.screen else {
            return false;
        };
        match s.loaded.save() {
            Ok(written) => {
                s.history.mark_saved();
                store::autosave::remove_autosave(&s.loaded.path);
                s.keep.autosaved_revision = s.history.revision();
                s.keep.autosaved_draft = None;
                s.keep.autosave_due = None;
                crate::tui::crash::remember_session(
                    &s.loaded.path,
                    s.session(),
                    s.history.revision(),
                    false,
                    s.loaded.shared_base(),
                );
                let path = s.loaded.path.display().to_string();
                self.info(if written {
                    format!("saved {path}")
                } else {
                    format!("{path} is up to date")
                });
                true
            }
            Err(crate::store::StoreError::ChangedOnDisk { .. }) => {
                self.modal = Some(Modal::SaveConflict);
                false
            }
            Err(crate::store::StoreError::Io { path, source })
                if matches!(
                    source.kind(),
                    std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
                ) =>
            {
                // Saving writes a new file beside the session and renames it over the old one,
                // so it needs the directory writable even when the file is.
                let dir = path
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                let dir = escape_control(&dir.display().to_string()).into_owned();
                self.open_save_as(Some(format!("cannot write in {dir}: save elsewhere")));
                self.error(format!(
                    "not saved: cannot write in {dir} ({}); a save writes a new file there and renames it over the session",
                    source.kind()
                ));
                false
            }
            Err(e) => {
                self.error(format!("not saved: {e}"));
                false
            }
        }
    }

    /// Today's run gets the minutes it had when this app first recorded time in it, plus the
    /// whole minutes since the clock started (as one undoable step); nothing before a whole
    /// minute has passed, so an untouched session saves unchanged.
    pub(super) fn record_minutes(&mut self) {
        let minutes = u32::try_from(self.elapsed().as_secs() / 60).unwrap_or(u32::MAX);
        let today = self.today;
        let Screen::Session(s) = &mut self.screen else {
            return;
        };
        let Some(index) = s.session().runs.iter().rposition(|r| r.date == today) else {
            return;
        };
        let base = match s.minutes_base {
            Some((i, base)) if i == index => base,
            _ => {
                let base = s.session().runs[index].minutes;
                s.minutes_base = Some((index, base));
                base
            }
        };
        if minutes == 0 {
            return;
        }
        let total = base.unwrap_or(0).saturating_add(minutes);
        let mut run = s.session().runs[index].clone();
        if run.minutes == Some(total) {
            return;
        }
        run.minutes = Some(total);
        self.apply_unguarded(
            crate::model::edit::Edit::Replace {
                index,
                item: crate::model::edit::Item::Run(run),
            },
            &format!("{total} minutes recorded for today's run"),
        );
    }

    /// The save-as form, pre-filled with the file's name in the home directory; `why` says
    /// why it opened by itself.
    pub(super) fn open_save_as(&mut self, why: Option<String>) {
        let Some(s) = self.session() else { return };
        let name = s
            .loaded
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "session.toml".into());
        let suggested = std::env::var_os("HOME")
            .map(|home| Path::new(&home).join(&name))
            .unwrap_or_else(|| PathBuf::from(&name));
        let mut form = Form::new(
            "Save as",
            vec![Field::text(
                "path",
                "File",
                &suggested.to_string_lossy(),
                "a new file; ~ is your home directory",
            )],
        );
        if let Some(why) = why {
            form.set_error("path", why);
        }
        self.modal = Some(Modal::Form {
            form,
            purpose: FormPurpose::SaveAs,
        });
    }

    /// Writes the session to a new file, which this app then edits: its lock, its autosave.
    pub(super) fn save_as(&mut self, mut form: Form) {
        form.clear_errors();
        let typed = form.text("path");
        let mut target = match (typed.strip_prefix("~/"), std::env::var_os("HOME")) {
            (Some(rest), Some(home)) => Path::new(&home).join(rest),
            _ => PathBuf::from(&typed),
        };
        if typed.is_empty() {
            form.set_error("path", "type a file name");
        } else if target.is_dir()
            && let Some(name) = self.session().and_then(|s| s.loaded.path.file_name())
        {
            target = target.join(name);
        }
        let take_lock = self.take_lock;
        let Screen::Session(s) = &mut self.screen else {
            return;
        };
        if form.has_errors() {
            self.modal = Some(Modal::Form {
                form,
                purpose: FormPurpose::SaveAs,
            });
            return;
        }
        let lock = if take_lock {
            match store::autosave::lock(&target) {
                Ok(lock) => Some(lock),
                Err(e @ store::autosave::LockError::Held(_)) => {
                    form.set_error("path", e.to_string());
                    self.modal = Some(Modal::Form {
                        form,
                        purpose: FormPurpose::SaveAs,
                    });
                    return;
                }
                Err(store::autosave::LockError::Unavailable(_)) => None,
            }
        } else {
            None
        };
        let mut saved = LoadedSession::unsaved(s.session().clone(), &target);
        if let Err(e) = saved.save() {
            form.set_error("path", format!("not saved: {e}"));
            self.modal = Some(Modal::Form {
                form,
                purpose: FormPurpose::SaveAs,
            });
            return;
        }
        // From now on this app edits the new file; the old one's unsaved work is in it.
        store::autosave::remove_autosave(&s.loaded.path);
        let old = std::mem::replace(&mut s.loaded, saved);
        s.lock = lock;
        s.history.mark_saved();
        s.keep.autosaved_revision = s.history.revision();
        s.keep.autosaved_draft = None;
        s.keep.autosave_due = None;
        s.keep.crash_copy_revision = None;
        let shown = escape_control(&target.display().to_string()).into_owned();
        let was = escape_control(&old.path.display().to_string()).into_owned();
        self.info(format!(
            "saved as {shown}; you now edit that file ({was} is unchanged)"
        ));
    }

    /// The file changed on disk while open: reload theirs, keep mine beside it, or overwrite.
    pub(super) fn resolve_conflict(&mut self, action: Option<Action>) {
        let Screen::Session(s) = &mut self.screen else {
            return;
        };
        let path = s.loaded.path.clone();
        match action {
            Some(Action::Reload) => match store::load(&path) {
                Ok(theirs) => {
                    let lock = s.lock.take();
                    let state = SessionState::new(theirs, self.today, self.libraries.rules());
                    self.screen = Screen::Session(Box::new(SessionState { lock, ..state }));
                    // The user chose to drop their version: nothing of it is to be recovered.
                    store::autosave::remove_autosave(&path);
                    // Ideas accepted into the discarded version are pending again.
                    self.follow_history();
                    self.refresh_pending();
                    self.info("reloaded the file from disk; your version was discarded");
                }
                Err(e) => self.error(format!("cannot reload: {e}")),
            },
            Some(Action::KeepBeside) => {
                let stem = path
                    .file_stem()
                    .map(|x| x.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let beside = path.with_file_name(format!("{stem}.mine.toml"));
                let mut mine = LoadedSession::unsaved(s.session().clone(), &beside);
                match mine.save() {
                    Ok(_) => self.info(format!(
                        "your version is saved beside as {}",
                        beside.display()
                    )),
                    Err(e) => self.error(format!("not saved: {e}")),
                }
            }
            Some(Action::Merge) => self.merge_with_disk(),
            Some(Action::Overwrite) => {
                s.loaded.forget_disk_state();
                self.save();
            }
            _ => self.info("not saved: the file on disk is unchanged"),
        }
    }

    /// The answer to "Recover unsaved work?": `r` takes it back (and reopens the form that was
    /// being typed in), `d` discards it, any other key keeps it for later, set aside where this
    /// run's autosaves and saves cannot touch it.
    pub(super) fn resolve_recovery(&mut self, recovery: Recovery, action: Option<Action>) {
        let Some(path) = self.session().map(|s| s.loaded.path.clone()) else {
            return;
        };
        let file = escape_control(&recovery.file.display().to_string()).into_owned();
        let more = match recovery.more {
            0 => String::new(),
            n => format!("; {n} more kept for later: reopen the session to see them"),
        };
        match action {
            Some(Action::Recover) => {
                let changed = self
                    .session()
                    .is_some_and(|s| s.session() != &recovery.session);
                if changed {
                    self.apply_unguarded(Edit::Whole(Box::new(recovery.session)), "recovered");
                }
                let mut notice = None;
                // A quick-add line comes back open on question 1 with what was typed.
                let quick = recovery
                    .form
                    .as_ref()
                    .filter(|d| d.purpose == "quick-add")
                    .and_then(|d| d.fields.get("line")?.first().cloned());
                if let Some(text) = quick {
                    if let Screen::Session(s) = &mut self.screen {
                        s.question = 0;
                    }
                    let mut line = crate::tui::screens::build::QuickLine::default();
                    line.input.set(text);
                    if let Some(s) = self.session() {
                        line.refresh(s.session());
                    }
                    self.modal = Some(Modal::QuickAdd(line));
                } else if let Some(draft) = &recovery.form {
                    match self
                        .session()
                        .and_then(|s| crate::tui::draft::reopen(draft, s.session(), self.today))
                    {
                        Some((form, purpose)) => {
                            if let Screen::Session(s) = &mut self.screen {
                                // Counts as typed, so it is autosaved again at once.
                                s.keep.form_pristine = Some(FormDraft {
                                    fields: Default::default(),
                                    ..draft.clone()
                                });
                                // Back on the question the form belongs to.
                                if let Some(question) = purpose.question() {
                                    s.question = question;
                                }
                            }
                            self.modal = Some(Modal::Form { form, purpose });
                        }
                        None => notice = Some(crate::tui::draft::describe(draft)),
                    }
                }
                // Under this run's own autosave at once, before the file it came from goes.
                self.refresh();
                self.flush_autosave();
                if !store::autosave::is_current_autosave(&recovery.file, &path) {
                    store::autosave::remove_autosave_file(&recovery.file);
                }
                let mut message = String::from("recovered the unsaved work; Ctrl-S saves it");
                if !recovery.conflicts.is_empty() {
                    message.push_str(&format!(
                        "; the file and the unsaved work both changed {}: the unsaved version kept",
                        recovery.conflicts.join(", ")
                    ));
                }
                if changed {
                    message.push_str(" (u undoes)");
                }
                message.push_str(&more);
                self.info(message);
                if let Some(mut lines) = notice {
                    lines.push(String::new());
                    lines.push(
                        "What it was for no longer exists, so the form cannot reopen; its text is above."
                            .to_string(),
                    );
                    self.modal = Some(Modal::Notice {
                        title: "An unsubmitted form".into(),
                        lines,
                    });
                }
            }
            Some(Action::Discard) => {
                store::autosave::remove_autosave_file(&recovery.file);
                self.info(format!("discarded the unsaved work in {file}{more}"));
            }
            _ => match store::autosave::keep_for_later(&recovery.file, &path) {
                Ok(kept) => self.info(format!(
                    "unsaved work kept for later in {}; it is offered each time the session opens{more}",
                    escape_control(&kept.display().to_string())
                )),
                Err(e) => self.error(format!(
                    "could not set {file} aside ({e}): the next change here would replace it"
                )),
            },
        }
    }

    /// Merges the file as it is on disk now with this session, element by element (see
    /// `model::merge`), as one undoable step, and saves the result.
    fn merge_with_disk(&mut self) {
        let today = self.today;
        let Screen::Session(s) = &mut self.screen else {
            return;
        };
        let theirs = match store::load(&s.loaded.path) {
            Ok(theirs) => theirs,
            Err(e) => {
                self.error(format!("cannot merge: {e}"));
                return;
            }
        };
        let base = s
            .loaded
            .base()
            .cloned()
            .unwrap_or_else(|| Session::new(s.session().title.clone()));
        let merged = crate::model::merge::merge(&base, s.session(), &theirs.session);
        s.loaded.rebase_onto(theirs);
        if merged.session != *s.session() {
            let edit = Edit::Whole(Box::new(merged.session));
            if let Err(e) = s.history.apply(&mut s.loaded.session, edit) {
                self.error(format!("cannot merge: {e}"));
                return;
            }
            s.refresh_derived(today, self.libraries.rules());
        }
        if !self.save() {
            return;
        }
        let taken = merged.taken_from_theirs;
        let mut message = format!(
            "merged and saved: {taken} change{} from the file on disk",
            if taken == 1 { "" } else { "s" }
        );
        if !merged.conflicts.is_empty() {
            let shown: Vec<&str> = merged
                .conflicts
                .iter()
                .take(3)
                .map(String::as_str)
                .collect();
            let more = merged.conflicts.len() - shown.len();
            message.push_str(&format!(
                "; both sides changed {}{}: yours kept",
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ));
        }
        message.push_str(" (u undoes the merge)");
        self.info(message);
    }

    /// The user chose to drop the unsaved work (quit without saving): nothing is left for the
    /// exit path to write, and its autosave goes.
    pub(super) fn discard_unsaved(&mut self) {
        if let Screen::Session(s) = &mut self.screen {
            store::autosave::remove_autosave(&s.loaded.path);
            crate::tui::crash::forget();
            s.keep.autosave_due = None;
            s.keep.autosaved_revision = s.history.revision();
            s.keep.draft = None;
            s.keep.autosaved_draft = None;
        }
    }
}
