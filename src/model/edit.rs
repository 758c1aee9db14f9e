//! Every change to a session is an [`Edit`]: applying one returns its inverse, so undo and redo
//! are two stacks of edits, and "unsaved" is a question of whether the stacks moved.

use super::session::{
    Acceptance, Asset, Assumption, Boundary, Component, Flow, Mitigation, Review, Run, Session,
    Threat,
};

/// One entry of one of the session's tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Run(Run),
    Boundary(Boundary),
    Asset(Asset),
    Component(Component),
    Flow(Flow),
    Threat(Threat),
    Mitigation(Mitigation),
    Acceptance(Acceptance),
    Assumption(Assumption),
}

/// The tables an [`Item`] can live in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemTable {
    Runs,
    Boundaries,
    Assets,
    Components,
    Flows,
    Threats,
    Mitigations,
    Acceptances,
    Assumptions,
}

impl Item {
    pub fn table(&self) -> ItemTable {
        match self {
            Item::Run(_) => ItemTable::Runs,
            Item::Boundary(_) => ItemTable::Boundaries,
            Item::Asset(_) => ItemTable::Assets,
            Item::Component(_) => ItemTable::Components,
            Item::Flow(_) => ItemTable::Flows,
            Item::Threat(_) => ItemTable::Threats,
            Item::Mitigation(_) => ItemTable::Mitigations,
            Item::Acceptance(_) => ItemTable::Acceptances,
            Item::Assumption(_) => ItemTable::Assumptions,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// Insert at `index` (clamped to the table's length).
    Insert {
        index: usize,
        item: Item,
    },
    Remove {
        table: ItemTable,
        index: usize,
    },
    Replace {
        index: usize,
        item: Item,
    },
    Move {
        table: ItemTable,
        from: usize,
        to: usize,
    },
    SetTitle(String),
    SetDescription(String),
    SetAgenda(Option<[u32; 4]>),
    SetReview(Review),
    /// Several edits as one step.
    Batch(Vec<Edit>),
    /// The whole session replaced: for changes that ripple through several tables (deleting a
    /// component takes its flows, their threats and those threats' mitigations along).
    Whole(Box<Session>),
}

impl Edit {
    /// Replaces entry `index` of the item's table, or appends the item when `index` is `None`
    /// (what saving an edit form or an add form does).
    pub fn put(index: Option<usize>, item: Item) -> Edit {
        match index {
            Some(index) => Edit::Replace { index, item },
            // Insert clamps its index to the table's length: this appends.
            None => Edit::Insert {
                index: usize::MAX,
                item,
            },
        }
    }
}

/// Why an edit could not be applied: it refers to an entry that is not there. Edits come from
/// the app's own state, so this means a bug, but it must never corrupt the session.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no entry {index} in {table:?}")]
pub struct EditError {
    pub table: ItemTable,
    pub index: usize,
}

macro_rules! with_table {
    ($session:expr, $table:expr, |$v:ident, $wrap:ident| $body:expr) => {
        match $table {
            ItemTable::Runs => {
                let $v = &mut $session.runs;
                let $wrap = Item::Run;
                $body
            }
            ItemTable::Boundaries => {
                let $v = &mut $session.boundaries;
                let $wrap = Item::Boundary;
                $body
            }
            ItemTable::Assets => {
                let $v = &mut $session.assets;
                let $wrap = Item::Asset;
                $body
            }
            ItemTable::Components => {
                let $v = &mut $session.components;
                let $wrap = Item::Component;
                $body
            }
            ItemTable::Flows => {
                let $v = &mut $session.flows;
                let $wrap = Item::Flow;
                $body
            }
            ItemTable::Threats => {
                let $v = &mut $session.threats;
                let $wrap = Item::Threat;
                $body
            }
            ItemTable::Mitigations => {
                let $v = &mut $session.mitigations;
                let $wrap = Item::Mitigation;
                $body
            }
            ItemTable::Acceptances => {
                let $v = &mut $session.acceptances;
                let $wrap = Item::Acceptance;
                $body
            }
            ItemTable::Assumptions => {
                let $v = &mut $session.assumptions;
                let $wrap = Item::Assumption;
                $body
            }
        }
    };
}

/// Puts `item` into its table at `index` (inserting or replacing); returns the replaced item.
fn place(
    session: &mut Session,
    index: usize,
    item: Item,
    replace: bool,
) -> Result<Option<Item>, EditError> {
    let table = item.table();
    macro_rules! put {
        ($v:expr, $wrap:path, $x:expr) => {{
            let v = $v;
            if replace {
                match v.get_mut(index) {
                    Some(slot) => Ok(Some($wrap(std::mem::replace(slot, $x)))),
                    None => Err(EditError { table, index }),
                }
            } else {
                let at = index.min(v.len());
                v.insert(at, $x);
                Ok(None)
            }
        }};
    }
    match item {
        Item::Run(x) => put!(&mut session.runs, Item::Run, x),
        Item::Boundary(x) => put!(&mut session.boundaries, Item::Boundary, x),
        Item::Asset(x) => put!(&mut session.assets, Item::Asset, x),
        Item::Component(x) => put!(&mut session.components, Item::Component, x),
        Item::Flow(x) => put!(&mut session.flows, Item::Flow, x),
        Item::Threat(x) => put!(&mut session.threats, Item::Threat, x),
        Item::Mitigation(x) => put!(&mut session.mitigations, Item::Mitigation, x),
        Item::Acceptance(x) => put!(&mut session.acceptances, Item::Acceptance, x),
        Item::Assumption(x) => put!(&mut session.assumptions, Item::Assumption, x),
    }
}

/// Applies an edit and returns the edit that undoes it. On error the session is unchanged.
pub fn apply(session: &mut Session, edit: Edit) -> Result<Edit, EditError> {
    Ok(match edit {
        Edit::Insert { index, item } => {
            let table = item.table();
            let at = with_table!(session, table, |v, _w| index.min(v.len()));
            place(session, at, item, false)?;
            Edit::Remove { table, index: at }
        }
        Edit::Remove { table, index } => {
            let item = with_table!(session, table, |v, wrap| {
                if index >= v.len() {
                    return Err(EditError { table, index });
                }
                wrap(v.remove(index))
            });
            Edit::Insert { index, item }
        }
        Edit::Replace { index, item } => {
            let old = place(session, index, item, true)?;
            match old {
                Some(old) => Edit::Replace { index, item: old },
                None => {
                    return Err(EditError {
                        table: ItemTable::Runs,
                        index,
                    });
                }
            }
        }
        Edit::Move { table, from, to } => {
            with_table!(session, table, |v, _w| {
                if from >= v.len() || to >= v.len() {
                    return Err(EditError {
                        table,
                        index: from.max(to),
                    });
                }
                let x = v.remove(from);
                v.insert(to, x);
            });
            Edit::Move {
                table,
                from: to,
                to: from,
            }
        }
        Edit::SetTitle(title) => Edit::SetTitle(std::mem::replace(&mut session.title, title)),
        Edit::SetDescription(text) => {
            Edit::SetDescription(std::mem::replace(&mut session.description, text))
        }
        Edit::SetAgenda(agenda) => Edit::SetAgenda(std::mem::replace(&mut session.agenda, agenda)),
        Edit::SetReview(review) => Edit::SetReview(std::mem::replace(&mut session.review, review)),
        Edit::Whole(mut new) => {
            std::mem::swap(session, &mut new);
            Edit::Whole(new)
        }
        Edit::Batch(edits) => {
            let mut inverses = Vec::with_capacity(edits.len());
            for edit in edits {
                match apply(session, edit) {
                    Ok(inverse) => inverses.push(inverse),
                    Err(e) => {
                        // Roll back what was applied, so a failed batch changes nothing.
                        for inverse in inverses.into_iter().rev() {
                            let _ = apply(session, inverse);
                        }
                        return Err(e);
                    }
                }
            }
            inverses.reverse();
            Edit::Batch(inverses)
        }
    })
}

/// An id that more than one entry of the session uses (a hand-edited file; `validate` reports
/// it too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateId {
    /// The table key as in the file: `components`, `threats`…
    pub table: &'static str,
    pub id: String,
}

impl std::fmt::Display for DuplicateId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "id {:?} is used by more than one entry of [[{}]]",
            self.id, self.table
        )
    }
}

/// The first id used twice, if any. Edits find entries, and mend references, by id: with two
/// entries under one id, deleting or renaming one would also delete or rename the other and
/// everything that refers to either, so the app makes no edit until the file is fixed.
pub fn duplicate_id(s: &Session) -> Option<DuplicateId> {
    fn first<'a>(
        table: &'static str,
        ids: impl Iterator<Item = &'a str>,
        seen: &mut std::collections::HashSet<&'a str>,
    ) -> Option<DuplicateId> {
        ids.into_iter()
            .find(|id| !seen.insert(id))
            .map(|id| DuplicateId {
                table,
                id: id.to_string(),
            })
    }
    let mut seen = std::collections::HashSet::new();
    let fresh = || std::collections::HashSet::new();
    first(
        "boundaries",
        s.boundaries.iter().map(|b| b.id.as_str()),
        &mut fresh(),
    )
    .or_else(|| {
        first(
            "assets",
            s.assets.iter().map(|a| a.id.as_str()),
            &mut fresh(),
        )
    })
    // Components and flows share one set of ids.
    .or_else(|| {
        first(
            "components",
            s.components.iter().map(|c| c.id.as_str()),
            &mut seen,
        )
    })
    .or_else(|| first("flows", s.flows.iter().map(|f| f.id.as_str()), &mut seen))
    .or_else(|| {
        first(
            "threats",
            s.threats.iter().map(|t| t.id.as_str()),
            &mut fresh(),
        )
    })
    .or_else(|| {
        first(
            "mitigations",
            s.mitigations.iter().map(|m| m.id.as_str()),
            &mut fresh(),
        )
    })
    .or_else(|| {
        first(
            "acceptances",
            s.acceptances.iter().map(|a| a.threat.as_str()),
            &mut fresh(),
        )
    })
    .or_else(|| {
        first(
            "assumptions",
            s.assumptions.iter().map(|a| a.id.as_str()),
            &mut fresh(),
        )
    })
}

/// Undo and redo over [`apply`].
#[derive(Debug, Clone, Default)]
pub struct History {
    undo: Vec<Edit>,
    redo: Vec<Edit>,
    /// Bumped on every change; lets views cache what they derive from the session.
    revision: u64,
    /// The undo depth at the last save; `None` once that state can no longer be reached.
    saved_at: Option<usize>,
}

impl History {
    pub fn new() -> Self {
        History {
            saved_at: Some(0),
            ..History::default()
        }
    }

    pub fn apply(&mut self, session: &mut Session, edit: Edit) -> Result<(), EditError> {
        let inverse = apply(session, edit)?;
        if self.saved_at.is_some_and(|at| at > self.undo.len()) {
            self.saved_at = None; // the saved state was in the discarded redo branch
        }
        self.undo.push(inverse);
        self.redo.clear();
        self.revision += 1;
        Ok(())
    }

    /// Returns false when there is nothing to undo.
    pub fn undo(&mut self, session: &mut Session) -> Result<bool, EditError> {
        let Some(edit) = self.undo.pop() else {
            return Ok(false);
        };
        match apply(session, edit.clone()) {
            Ok(inverse) => {
                self.redo.push(inverse);
                self.revision += 1;
                Ok(true)
            }
            Err(e) => {
                self.undo.push(edit);
                Err(e)
            }
        }
    }

    pub fn redo(&mut self, session: &mut Session) -> Result<bool, EditError> {
        let Some(edit) = self.redo.pop() else {
            return Ok(false);
        };
        match apply(session, edit.clone()) {
            Ok(inverse) => {
                self.undo.push(inverse);
                self.revision += 1;
                Ok(true)
            }
            Err(e) => {
                self.redo.push(edit);
                Err(e)
            }
        }
    }

    /// The edit that undo would apply next.
    pub fn next_undo(&self) -> Option<&Edit> {
        self.undo.last()
    }

    /// The edit that redo would apply next.
    pub fn next_redo(&self) -> Option<&Edit> {
        self.redo.last()
    }

    /// How many edits undo can take back: the same depth means the same state of the session.
    pub fn undo_depth(&self) -> usize {
        self.undo.len()
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    pub fn revision(&self) -> u64 {
        self.revision
    }

    pub fn mark_saved(&mut self) {
        self.saved_at = Some(self.undo.len());
    }

    /// Whether the session differs from what was last saved (or loaded).
    pub fn is_dirty(&self) -> bool {
        self.saved_at != Some(self.undo.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    fn boundary(id: &str) -> Boundary {
        Boundary {
            id: id.into(),
            name: id.to_uppercase(),
            parent: None,
            notes: String::new(),
        }
    }

    #[test]
    fn put_appends_a_new_entry_and_replaces_an_existing_one() {
        let mut s = Session::new("T");
        s.boundaries = vec![boundary("a"), boundary("b")];
        let original = s.clone();
        let undo_add = apply(&mut s, Edit::put(None, Item::Boundary(boundary("c")))).expect("adds");
        let ids: Vec<&str> = s.boundaries.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        let undo_edit =
            apply(&mut s, Edit::put(Some(0), Item::Boundary(boundary("z")))).expect("replaces");
        let ids: Vec<&str> = s.boundaries.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(ids, ["z", "b", "c"]);
        apply(&mut s, undo_edit).expect("undoes");
        apply(&mut s, undo_add).expect("undoes");
        assert_eq!(s, original);
    }

    #[test]
    fn every_edit_is_undone_by_its_inverse() {
        let mut s = Session::new("T");
        s.boundaries = vec![boundary("a"), boundary("b"), boundary("c")];
        let original = s.clone();
        let edits = vec![
            Edit::Insert {
                index: 1,
                item: Item::Boundary(boundary("x")),
            },
            Edit::Insert {
                index: 99,
                item: Item::Boundary(boundary("end")),
            },
            Edit::Remove {
                table: ItemTable::Boundaries,
                index: 0,
            },
            Edit::Replace {
                index: 2,
                item: Item::Boundary(boundary("z")),
            },
            Edit::Move {
                table: ItemTable::Boundaries,
                from: 0,
                to: 2,
            },
            Edit::SetTitle("New".into()),
            Edit::SetAgenda(Some([5, 5, 5, 5])),
            Edit::Batch(vec![
                Edit::SetDescription("d".into()),
                Edit::Remove {
                    table: ItemTable::Boundaries,
                    index: 1,
                },
            ]),
        ];
        for edit in edits {
            let before = s.clone();
            let inverse = apply(&mut s, edit.clone()).expect("applies");
            assert_ne!(s, before, "{edit:?} changed nothing");
            apply(&mut s, inverse).expect("inverse applies");
            assert_eq!(s, before, "{edit:?} not undone");
            apply(&mut s, edit).expect("reapplies");
        }
        assert_ne!(s, original);
    }

    #[test]
    fn a_failing_batch_changes_nothing() {
        let mut s = Session::new("T");
        s.boundaries = vec![boundary("a")];
        let before = s.clone();
        let err = apply(
            &mut s,
            Edit::Batch(vec![
                Edit::SetTitle("changed".into()),
                Edit::Remove {
                    table: ItemTable::Boundaries,
                    index: 5,
                },
            ]),
        )
        .expect_err("index 5 does not exist");
        assert_eq!(
            err,
            EditError {
                table: ItemTable::Boundaries,
                index: 5
            }
        );
        assert_eq!(s, before);
    }

    #[test]
    fn history_tracks_dirty_state_through_undo_and_redo() {
        let mut s = Session::new("T");
        let mut h = History::new();
        assert!(!h.is_dirty());
        h.apply(&mut s, Edit::SetTitle("one".into())).expect("edit");
        assert!(h.is_dirty());
        h.mark_saved();
        assert!(!h.is_dirty());
        h.apply(&mut s, Edit::SetTitle("two".into())).expect("edit");
        assert!(h.is_dirty());
        assert!(h.undo(&mut s).expect("undo"));
        assert_eq!(s.title, "one");
        assert!(!h.is_dirty(), "back at the saved state");
        assert!(h.undo(&mut s).expect("undo"));
        assert_eq!(s.title, "T");
        assert!(h.is_dirty());
        assert!(!h.undo(&mut s).expect("nothing left"));
        assert!(h.redo(&mut s).expect("redo"));
        assert!(!h.is_dirty());
        // A new edit after undo discards the redo branch.
        assert!(h.undo(&mut s).expect("undo"));
        h.apply(&mut s, Edit::SetTitle("three".into()))
            .expect("edit");
        assert!(!h.can_redo());
        assert!(h.is_dirty());
        assert_eq!(h.revision(), 7);
    }

    #[test]
    fn duplicate_ids_are_found_per_table_and_across_components_and_flows() {
        let component = |id: &str| Component {
            id: id.into(),
            name: id.to_uppercase(),
            kind: ComponentKind::Process,
            technology: None,
            not_applicable_reason: Default::default(),
            out_of_scope: Default::default(),
            dismissed: Default::default(),
            boundary: None,
            tags: Default::default(),
            assets: Vec::new(),
            not_applicable: StrideSet::empty(),
            notes: Default::default(),
        };
        let mut s = Session::new("T");
        s.boundaries = vec![boundary("a"), boundary("b")];
        s.components = vec![component("c1"), component("c2")];
        assert_eq!(duplicate_id(&s), None);

        s.components.push(component("c1"));
        let found = duplicate_id(&s).expect("c1 is used twice");
        assert_eq!(
            found,
            DuplicateId {
                table: "components",
                id: "c1".into()
            }
        );
        assert_eq!(
            found.to_string(),
            "id \"c1\" is used by more than one entry of [[components]]"
        );

        s.components.pop();
        s.flows.push(Flow {
            not_applicable_reason: Default::default(),
            out_of_scope: Default::default(),
            dismissed: Default::default(),
            id: "c2".into(),
            from: "c1".into(),
            to: "c2".into(),
            label: Default::default(),
            protocol: Default::default(),
            assets: Vec::new(),
            authenticated: Some(false),
            encrypted: Some(false),
            tags: Default::default(),
            not_applicable: StrideSet::empty(),
            notes: Default::default(),
        });
        assert_eq!(
            duplicate_id(&s).map(|d| (d.table, d.id)),
            Some(("flows", "c2".to_string()))
        );

        s.flows.clear();
        // The same id in two different tables is allowed.
        s.boundaries.push(boundary("c1"));
        assert_eq!(duplicate_id(&s), None);
        s.boundaries.push(boundary("b"));
        assert_eq!(
            duplicate_id(&s).map(|d| (d.table, d.id)),
            Some(("boundaries", "b".to_string()))
        );
    }
}
