//! Save and commit: the change since the last commit, an editable message, then `git commit`
//! of the session file alone.

use super::App;
use crate::model::Session;
use crate::store;
use crate::tui::modal::{CommitDraft, Modal};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

impl App {
    /// Prepares the commit screen: the change against the last committed version of the file
    /// (or the last save, outside git) and a generated message.
    pub(super) fn open_commit(&mut self) {
        use crate::model::change::ChangeSummary;
        use crate::store::git;
        let Some(state) = self.session() else { return };
        let path = state.loaded.path.clone();
        let current = state.session().clone();
        let read_saved = || {
            std::fs::read(&path)
                .ok()
                .and_then(|b| store::parse_bytes(&b).ok())
                .map(|(s, _)| s)
        };
        // What "nothing to commit ..." says, and the dialog's heading over the changes.
        let (baseline, description, heading, in_git) = match git::last_committed(&path) {
            Ok(Some(text)) => (
                store::parse(&text).ok().map(|(s, _)| s),
                "since the last commit".to_string(),
                "Changes since the last commit:".to_string(),
                true,
            ),
            Ok(None) => (
                None,
                "in a new file".to_string(),
                "New file, not committed yet; it holds:".to_string(),
                true,
            ),
            Err(e) => (
                read_saved(),
                format!("since the last save (no commit: {e})"),
                format!("Changes since the last save (no commit: {e}):"),
                false,
            ),
        };
        let baseline = baseline.unwrap_or_else(|| Session::new(current.title.clone()));
        let summary = ChangeSummary::between(&baseline, &current);
        if summary.is_empty() && !self.is_dirty() {
            self.info(format!("nothing to commit {description}"));
            return;
        }
        let mut changes = summary.lines();
        if changes.is_empty() {
            changes.push("no change in content".to_string());
        }
        let detached = in_git && git::detached_head(&path).unwrap_or(false);
        // A commit on the day of the session's last run records that run, so that `rerun` can
        // find the session as it was then (see `store::run_baseline`).
        let trailer = current
            .last_run()
            .filter(|r| r.date == self.today)
            .map(|r| format!("{}: {}", git::RUN_TRAILER, r.date));
        self.modal = Some(Modal::Commit(CommitDraft {
            baseline: heading,
            trailer,
            scroll: 0,
            changes,
            message: {
                // Start at the beginning, so the "threat model: ..." prefix is what shows.
                let mut input = crate::tui::widgets::text_input::TextInput::new(
                    summary.commit_message(&current),
                );
                input.handle_key(KeyEvent::new(KeyCode::Home, KeyModifiers::NONE));
                input
            },
            in_git,
            detached,
        }));
    }

    /// Saves atomically, then commits the file alone; the file stays saved if git fails.
    pub(super) fn commit(&mut self, draft: CommitDraft) {
        if !self.save() {
            return;
        }
        if !draft.in_git {
            return; // `save` reported where the file went; there is no repository to commit to
        }
        let Some(state) = self.session() else { return };
        let path = state.loaded.path.clone();
        let mut message = draft.message.text().trim().to_string();
        if message.is_empty() {
            message = "threat model: update".to_string();
        }
        // The run is dated from the session as saved (the date field may have been edited).
        let run_date = state
            .session()
            .last_run()
            .filter(|r| r.date == self.today)
            .map(|r| r.date.to_string());
        let full = match (&draft.trailer, run_date) {
            (Some(_), Some(date)) => crate::store::git::with_run_trailer(&message, &date),
            _ => message.clone(),
        };
        match crate::store::git::commit_file(&path, &full) {
            Ok(hash) if draft.detached => self.error(format!(
                "committed {hash} on a detached HEAD, on no branch (git switch -c <name> keeps it): {message}"
            )),
            Ok(hash) => self.info(format!("committed {hash}: {message}")),
            Err(crate::store::git::GitError::Failed {
                command,
                status,
                stderr,
            }) => self.commit_refused(&command, status, &stderr),
            Err(e) => self.error(format!("saved, but not committed: {e}")),
        }
    }

    /// Git's or the hook's reason comes first: the command, echoed after it, is long enough to
    /// push the reason off the status line. More than one line opens a dialog with all of it.
    fn commit_refused(&mut self, command: &str, status: Option<i32>, said: &str) {
        let reason: Vec<String> = said
            .lines()
            .map(|l| l.trim_end().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        let first = reason.first().map_or("git gave no reason", String::as_str);
        self.error(format!("saved, but not committed: {first}"));
        if reason.len() > 1 || first.chars().count() > 80 {
            let mut lines = vec![
                "The file is saved; git refused the commit and the index is as it was:".to_string(),
                String::new(),
            ];
            lines.extend(reason);
            lines.push(String::new());
            lines.push(match status {
                Some(code) => format!("`{command}` exited with status {code}"),
                None => format!("`{command}` failed"),
            });
            self.modal = Some(Modal::Notice {
                title: "Not committed".to_string(),
                lines,
            });
        }
    }
}
