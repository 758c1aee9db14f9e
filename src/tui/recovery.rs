//! Unsaved work found when a session opens: read from its autosave and merged with the file as
//! it is now, so that recovering it never reverts changes that reached the file meanwhile (a
//! `git pull` after a crash).

use crate::model::Session;
use crate::model::change::ChangeSummary;
use crate::model::text::escape_control;
use crate::store::autosave::{self, FormDraft};
use std::path::{Path, PathBuf};

/// Unsaved work ready to be taken back.
#[derive(Debug)]
pub struct Recovery {
    /// The autosave file it came from.
    pub file: PathBuf,
    /// The work merged with the file as it is now (the file's newer changes kept).
    pub session: Session,
    /// What recovering changes, against the file as it is now.
    pub changes: Vec<String>,
    /// Elements both the file and the unsaved work changed differently (the work's kept).
    pub conflicts: Vec<String>,
    /// A form that was being typed in.
    pub form: Option<FormDraft>,
    /// How many more autosaves wait after this one.
    pub more: usize,
}

/// The unsaved work to offer for `path`, whose file now holds `current`, and a message when an
/// autosave could not be read (it is left in place). An autosave that holds nothing the file
/// lacks is removed.
pub fn find_recovery(path: &Path, current: &Session) -> (Option<Recovery>, Option<String>) {
    let mut unreadable = None;
    let pending = autosave::pending_autosaves(path);
    for (i, file) in pending.iter().enumerate() {
        let work = match autosave::read_autosave(file) {
            Ok(work) => work,
            Err(e) => {
                unreadable.get_or_insert_with(|| {
                    format!(
                        "unsaved work in {} cannot be read ({}); it is left there",
                        escape_control(&file.display().to_string()),
                        escape_control(&e)
                    )
                });
                continue;
            }
        };
        let recovery = merge_with_file(file.clone(), work, current, pending.len() - i - 1);
        match recovery {
            Some(r) => return (Some(r), unreadable),
            None => autosave::remove_autosave_file(file),
        }
    }
    (None, unreadable)
}

/// The autosaved work merged with the file as it is now: against the base the work started
/// from, each side's changes kept, conflicts named. `None` when it adds nothing.
pub fn merge_with_file(
    file: PathBuf,
    work: autosave::Autosave,
    current: &Session,
    more: usize,
) -> Option<Recovery> {
    let (session, conflicts) = match &work.base {
        Some(base) if base != current => {
            let merged = crate::model::merge::merge(base, &work.session, current);
            (merged.session, merged.conflicts)
        }
        // The file has not changed since the work started (or an old autosave without its
        // base): the work as it is.
        _ => (work.session, Vec::new()),
    };
    if &session == current && work.form.is_none() {
        return None;
    }
    let changes = ChangeSummary::between(current, &session).lines();
    Some(Recovery {
        file,
        session,
        changes,
        conflicts,
        form: work.form,
        more,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::autosave::Autosave;

    fn parse(text: &str) -> Session {
        crate::store::parse(text).expect("parses").0
    }

    const BASE: &str = r#"schema = 1
title = "Ledger"

[[components]]
id = "api"
name = "API"
kind = "process"

[[threats]]
id = "TH-004"
target = "api"
title = "Replay"
stride = "S"

[[threats]]
id = "TH-009"
target = "api"
title = "Tampering"
stride = "T"
"#;

    #[test]
    fn recovering_keeps_changes_that_reached_the_file_since_the_crash() {
        let base = parse(BASE);
        // Unsaved: TH-009 edited. On disk since (a pull): TH-004 edited.
        let work = parse(&BASE.replace("Tampering", "Tampering with the ledger"));
        let current = parse(&BASE.replace("\"Replay\"", "\"Replay of signed requests\""));
        let recovery = merge_with_file(
            PathBuf::from("x"),
            Autosave {
                session: work,
                base: Some(base),
                form: None,
            },
            &current,
            0,
        )
        .expect("something to recover");
        let titles: Vec<&str> = recovery
            .session
            .threats
            .iter()
            .map(|t| t.title.as_str())
            .collect();
        assert_eq!(
            titles,
            ["Replay of signed requests", "Tampering with the ledger"]
        );
        assert!(recovery.conflicts.is_empty());
    }

    #[test]
    fn both_sides_changing_one_threat_is_named_and_the_work_kept() {
        let base = parse(BASE);
        let work = parse(&BASE.replace("Tampering", "mine"));
        let current = parse(&BASE.replace("Tampering", "theirs"));
        let recovery = merge_with_file(
            PathBuf::from("x"),
            Autosave {
                session: work,
                base: Some(base),
                form: None,
            },
            &current,
            0,
        )
        .expect("something to recover");
        assert_eq!(recovery.conflicts, vec!["threat TH-009".to_string()]);
        assert_eq!(recovery.session.threats[1].title, "mine");
    }

    #[test]
    fn work_already_in_the_file_is_not_offered_but_a_form_is() {
        let current = parse(BASE);
        let nothing = Autosave {
            session: current.clone(),
            base: Some(current.clone()),
            form: None,
        };
        assert!(merge_with_file(PathBuf::from("x"), nothing.clone(), &current, 0).is_none());
        let form = Autosave {
            form: Some(FormDraft::default()),
            ..nothing
        };
        assert!(merge_with_file(PathBuf::from("x"), form, &current, 0).is_some());
    }
}
