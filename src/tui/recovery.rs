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
    // A conflict is still worth telling (a deletion that lost to a change on disk), even when
    // the merge leaves the file as it is.
    if &session == current && work.form.is_none() && conflicts.is_empty() {
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

    /// What one side does to one element of the base: nothing, a change, or a deletion.
    #[derive(Debug, Clone, Copy)]
    enum Op {
        Keep,
        Change(u8),
        Delete,
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            Just(Op::Keep),
            (0u8..3).prop_map(Op::Change),
            Just(Op::Delete)
        ]
    }

    /// A session of components `c0..` and threats `TH-00n` named after `side`'s edits.
    fn side(ops: &[Op], threat_ops: &[Op], side: &str, added: &[u8]) -> Session {
        let mut text = String::from("schema = 1\ntitle = \"t\"\n");
        for (i, op) in ops.iter().enumerate() {
            let name = match op {
                Op::Keep => format!("base {i}"),
                Op::Change(n) => format!("{side} {i} v{n}"),
                Op::Delete => continue,
            };
            text.push_str(&format!(
                "\n[[components]]\nid = \"c{i}\"\nname = \"{name}\"\nkind = \"process\"\n"
            ));
        }
        for a in added {
            text.push_str(&format!(
                "\n[[components]]\nid = \"new-{a}\"\nname = \"{side} added {a}\"\nkind = \"process\"\n"
            ));
        }
        for (i, op) in threat_ops.iter().enumerate() {
            let title = match op {
                Op::Keep => format!("base threat {i}"),
                Op::Change(n) => format!("{side} threat {i} v{n}"),
                Op::Delete => continue,
            };
            text.push_str(&format!(
                "\n[[threats]]\nid = \"TH-{:03}\"\ntarget = \"c0\"\ntitle = \"{title}\"\nstride = \"S\"\n",
                i + 1
            ));
        }
        parse(&text)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]

        /// Random edits on both sides of a crash: every change either side made is in the
        /// recovered session, except where both changed one element differently, which is
        /// named (the unsaved side kept; a deletion loses to a change, never the other way).
        #[test]
        fn recovery_keeps_every_sides_changes_and_names_conflicts(
            mine_ops in proptest::collection::vec(op(), 1..6),
            theirs_seed in proptest::collection::vec(op(), 6),
            mine_threats in proptest::collection::vec(op(), 0..4),
            theirs_threat_seed in proptest::collection::vec(op(), 4),
            mine_added in proptest::collection::btree_set(0u8..4, 0..3),
            theirs_added in proptest::collection::btree_set(0u8..4, 0..3),
        ) {
            let n = mine_ops.len();
            let theirs_ops = &theirs_seed[..n];
            let tn = mine_threats.len();
            let theirs_threats = &theirs_threat_seed[..tn];
            let mine_added: Vec<u8> = mine_added.into_iter().collect();
            let theirs_added: Vec<u8> = theirs_added.into_iter().collect();
            let base = side(&vec![Op::Keep; n], &vec![Op::Keep; tn], "base", &[]);
            let mine = side(&mine_ops, &mine_threats, "mine", &mine_added);
            let theirs = side(theirs_ops, theirs_threats, "theirs", &theirs_added);
            let work = crate::store::autosave::Autosave {
                session: mine.clone(),
                base: Some(base.clone()),
                form: None,
            };
            let recovered = merge_with_file(PathBuf::from("x"), work, &theirs, 0)
                .map(|r| (r.session, r.conflicts))
                .unwrap_or_else(|| (theirs.clone(), Vec::new()));
            let (session, conflicts) = recovered;
            let component = |s: &Session, id: &str| {
                s.components.iter().find(|c| c.id.as_str() == id).map(|c| c.name.clone())
            };
            let threat = |s: &Session, id: &str| {
                s.threats.iter().find(|t| t.id.as_str() == id).map(|t| t.title.clone())
            };
            let mut expected_conflicts = Vec::new();
            let mut check = |noun: &str, id: String, b: Option<String>, m: Option<String>,
                             t: Option<String>, got: Option<String>| {
                let mine_changed = m != b;
                let theirs_changed = t != b;
                let expected = match (mine_changed, theirs_changed) {
                    (false, _) => t.clone(),
                    (true, false) => m.clone(),
                    (true, true) if m == t => m.clone(),
                    (true, true) => {
                        // Named either way; a deletion on one side loses to a change on the
                        // other, and where both changed it the unsaved version is kept.
                        expected_conflicts.push(format!("{noun} {id}"));
                        if m.is_some() { m.clone() } else { t.clone() }
                    }
                };
                assert_eq!(got, expected, "{noun} {id}: base {b:?} mine {m:?} theirs {t:?}");
            };
            for i in 0..n {
                let id = format!("c{i}");
                check("component", id.clone(), component(&base, &id), component(&mine, &id),
                      component(&theirs, &id), component(&session, &id));
            }
            for a in 0..4u8 {
                let id = format!("new-{a}");
                check("component", id.clone(), None, component(&mine, &id),
                      component(&theirs, &id), component(&session, &id));
            }
            for i in 0..tn {
                let id = format!("TH-{:03}", i + 1);
                check("threat", id.clone(), threat(&base, &id), threat(&mine, &id),
                      threat(&theirs, &id), threat(&session, &id));
            }
            let mut conflicts = conflicts;
            conflicts.sort();
            expected_conflicts.sort();
            proptest::prop_assert_eq!(conflicts, expected_conflicts);
        }
    }
}
