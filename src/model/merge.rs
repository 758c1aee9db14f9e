//! Three-way merge of sessions by element, for when the file changed on disk while it was open.
//!
//! Each table is merged by id against the version both sides started from: an element only one
//! side changed takes that side's version; an element both sides changed alike is kept once;
//! an element both sides changed differently keeps this side's version (the one on screen) and
//! is reported as a conflict. An element deleted on one side and changed on the other is kept
//! in its changed form, so no one's typing is lost to a merge.

use super::{Run, Session};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;

/// The merged session and what the merge had to decide.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    pub session: Session,
    /// Elements (or session fields) both sides changed differently; this side's version kept.
    /// Each is "table id", e.g. "component api".
    pub conflicts: Vec<String>,
    /// How many elements or fields came from the other side.
    pub taken_from_theirs: usize,
}

/// Merges `mine` (this instance's session) with `theirs` (the file on disk now), both descended
/// from `base` (the file as this instance last loaded or saved it).
pub fn merge(base: &Session, mine: &Session, theirs: &Session) -> Merged {
    // Destructured without `..` so a new field in `Session` fails to compile here until the
    // merge accounts for it.
    let Session {
        schema,
        title,
        description,
        agenda,
        runs: _,
        boundaries,
        assets,
        components,
        flows,
        threats,
        mitigations,
        acceptances,
        assumptions,
        review,
    } = mine;
    let mut m = Merger::default();
    let session = Session {
        schema: m.field("schema", &base.schema, schema, &theirs.schema),
        title: m.field("title", &base.title, title, &theirs.title),
        description: m.field(
            "description",
            &base.description,
            description,
            &theirs.description,
        ),
        agenda: m.field("agenda", &base.agenda, agenda, &theirs.agenda),
        runs: m.runs(&base.runs, &mine.runs, &theirs.runs),
        boundaries: m.table(
            "boundary",
            &base.boundaries,
            boundaries,
            &theirs.boundaries,
            |b| b.id.clone(),
        ),
        assets: m.table("asset", &base.assets, assets, &theirs.assets, |a| {
            a.id.clone()
        }),
        components: m.table(
            "component",
            &base.components,
            components,
            &theirs.components,
            |c| c.id.clone(),
        ),
        flows: m.table("flow", &base.flows, flows, &theirs.flows, |f| f.id.clone()),
        threats: m.table("threat", &base.threats, threats, &theirs.threats, |t| {
            t.id.clone()
        }),
        mitigations: m.table(
            "mitigation",
            &base.mitigations,
            mitigations,
            &theirs.mitigations,
            |x| x.id.clone(),
        ),
        acceptances: m.table(
            "acceptance of",
            &base.acceptances,
            acceptances,
            &theirs.acceptances,
            |a| a.threat.clone(),
        ),
        assumptions: m.table(
            "assumption",
            &base.assumptions,
            assumptions,
            &theirs.assumptions,
            |a| a.id.clone(),
        ),
        review: m.field("review", &base.review, review, &theirs.review),
    };
    Merged {
        session,
        conflicts: m.conflicts,
        taken_from_theirs: m.taken_from_theirs,
    }
}

#[derive(Default)]
struct Merger {
    conflicts: Vec<String>,
    taken_from_theirs: usize,
}

impl Merger {
    /// One value: whichever side changed it; this side's when both did, differently.
    fn field<T: Clone + PartialEq>(&mut self, name: &str, base: &T, mine: &T, theirs: &T) -> T {
        if mine == theirs || theirs == base {
            mine.clone()
        } else if mine == base {
            self.taken_from_theirs += 1;
            theirs.clone()
        } else {
            self.conflicts.push(name.to_string());
            mine.clone()
        }
    }

    /// One table by key. The result keeps this side's order, with elements only the other side
    /// has appended in its order.
    fn table<T: Clone + PartialEq, K: Ord + Clone + Display>(
        &mut self,
        noun: &str,
        base: &[T],
        mine: &[T],
        theirs: &[T],
        key: impl Fn(&T) -> K,
    ) -> Vec<T> {
        let index = |items: &[T]| -> BTreeMap<K, usize> {
            let mut map = BTreeMap::new();
            for (i, item) in items.iter().enumerate() {
                // The first of duplicate ids wins; validation reports the duplicate anyway.
                map.entry(key(item)).or_insert(i);
            }
            map
        };
        let (base_at, mine_at, theirs_at) = (index(base), index(mine), index(theirs));
        let mut order: Vec<K> = mine.iter().map(&key).collect();
        let mut seen: BTreeSet<K> = order.iter().cloned().collect();
        for item in theirs {
            let k = key(item);
            if seen.insert(k.clone()) {
                order.push(k);
            }
        }
        // Keys only in the base (deleted on both sides) are not in `order`: they stay deleted.
        let mut out = Vec::with_capacity(order.len());
        for k in order {
            let b = base_at.get(&k).map(|&i| &base[i]);
            let m = mine_at.get(&k).map(|&i| &mine[i]);
            let t = theirs_at.get(&k).map(|&i| &theirs[i]);
            let chosen = match (m, t) {
                (Some(m), Some(t)) if m == t => Some(m),
                (m, t) if m == b => {
                    if t.is_some() || b.is_some() {
                        self.taken_from_theirs += 1;
                    }
                    t
                }
                (m, t) if t == b => m,
                // Both changed it, differently.
                (Some(m), Some(_)) => {
                    self.conflicts.push(format!("{noun} {k}"));
                    Some(m)
                }
                // Deleted on one side, changed on the other: the changed version survives.
                (Some(m), None) => {
                    self.conflicts.push(format!("{noun} {k}"));
                    Some(m)
                }
                (None, t) => {
                    self.conflicts.push(format!("{noun} {k}"));
                    self.taken_from_theirs += 1;
                    t
                }
            };
            out.extend(chosen.cloned());
        }
        out
    }

    /// Runs have no id: they are matched by date and their order among runs on that date.
    fn runs(&mut self, base: &[Run], mine: &[Run], theirs: &[Run]) -> Vec<Run> {
        let keyed = |runs: &[Run]| -> Vec<(RunKey, Run)> {
            let mut seen: BTreeMap<chrono::NaiveDate, usize> = BTreeMap::new();
            runs.iter()
                .map(|r| {
                    let n = seen.entry(r.date).or_default();
                    *n += 1;
                    (RunKey(r.date, *n), r.clone())
                })
                .collect()
        };
        let merged = self.table(
            "run on",
            &keyed(base),
            &keyed(mine),
            &keyed(theirs),
            |(k, _)| *k,
        );
        let mut runs: Vec<(RunKey, Run)> = merged;
        runs.sort_by_key(|(k, _)| *k);
        runs.into_iter().map(|(_, r)| r).collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct RunKey(chrono::NaiveDate, usize);

impl Display for RunKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.1 == 1 {
            write!(f, "{}", self.0)
        } else {
            write!(f, "{} (#{})", self.0, self.1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Component, ComponentKind, Threat};

    fn base() -> Session {
        let text = r#"
schema = 1
title = "Shop"

[[runs]]
date = 2026-11-01
facilitator = "Dana"

[[components]]
id = "api"
name = "API"
kind = "process"

[[components]]
id = "db"
name = "Database"
kind = "data-store"

[[components]]
id = "web"
name = "Web"
kind = "process"
"#;
        crate::store::parse(text).expect("parses").0
    }

    fn component<'a>(s: &'a mut Session, id: &str) -> &'a mut Component {
        s.components
            .iter_mut()
            .find(|c| c.id.as_str() == id)
            .expect("component")
    }

    fn ids(s: &Session) -> Vec<&str> {
        s.components.iter().map(|c| c.id.as_str()).collect()
    }

    #[test]
    fn changes_to_different_elements_both_survive() {
        let base = base();
        let mut mine = base.clone();
        component(&mut mine, "api").name = "Public API".into();
        let mut theirs = base.clone();
        component(&mut theirs, "db").name = "Orders DB".into();
        theirs.components.push(Component {
            id: "queue".into(),
            ..base.components[0].clone()
        });
        theirs.title = "Shop v2".into();

        let merged = merge(&base, &mine, &theirs);
        assert!(merged.conflicts.is_empty(), "{:?}", merged.conflicts);
        assert_eq!(merged.taken_from_theirs, 3);
        let s = &merged.session;
        assert_eq!(s.title, "Shop v2");
        assert_eq!(ids(s), ["api", "db", "web", "queue"]);
        assert_eq!(s.components[0].name, "Public API");
        assert_eq!(s.components[1].name, "Orders DB");
    }

    #[test]
    fn the_same_element_changed_differently_keeps_mine_and_says_so() {
        let base = base();
        let mut mine = base.clone();
        component(&mut mine, "api").name = "Mine".into();
        let mut theirs = base.clone();
        component(&mut theirs, "api").name = "Theirs".into();
        component(&mut theirs, "api").kind = ComponentKind::ExternalEntity;
        mine.title = "Mine".into();
        theirs.title = "Theirs".into();

        let merged = merge(&base, &mine, &theirs);
        assert_eq!(merged.conflicts, ["title", "component api"]);
        assert_eq!(merged.session.components[0].name, "Mine");
        assert_eq!(merged.session.components[0].kind, ComponentKind::Process);
        assert_eq!(merged.session.title, "Mine");
        assert_eq!(merged.taken_from_theirs, 0);
    }

    #[test]
    fn identical_changes_are_no_conflict() {
        let base = base();
        let mut mine = base.clone();
        component(&mut mine, "web").name = "Storefront".into();
        let theirs = mine.clone();
        let merged = merge(&base, &mine, &theirs);
        assert!(merged.conflicts.is_empty());
        assert_eq!(merged.session, mine);
    }

    #[test]
    fn deletions_apply_unless_the_other_side_changed_the_element() {
        let base = base();
        // They deleted web; I left it alone: it goes.
        let mine = base.clone();
        let mut theirs = base.clone();
        theirs.components.retain(|c| c.id.as_str() != "web");
        let merged = merge(&base, &mine, &theirs);
        assert_eq!(ids(&merged.session), ["api", "db"]);
        assert!(merged.conflicts.is_empty());

        // I deleted db; they renamed it: their renamed db survives, as a conflict.
        let mut mine = base.clone();
        mine.components.retain(|c| c.id.as_str() != "db");
        let mut theirs = base.clone();
        component(&mut theirs, "db").name = "Orders DB".into();
        let merged = merge(&base, &mine, &theirs);
        assert_eq!(ids(&merged.session), ["api", "web", "db"]);
        assert_eq!(merged.session.components[2].name, "Orders DB");
        assert_eq!(merged.conflicts, ["component db"]);

        // They deleted api; I renamed it: mine survives.
        let mut mine = base.clone();
        component(&mut mine, "api").name = "Gateway".into();
        let mut theirs = base.clone();
        theirs.components.retain(|c| c.id.as_str() != "api");
        let merged = merge(&base, &mine, &theirs);
        assert_eq!(ids(&merged.session), ["api", "db", "web"]);
        assert_eq!(merged.session.components[0].name, "Gateway");
        assert_eq!(merged.conflicts, ["component api"]);

        // Both deleted it: gone, no conflict.
        let mut both = base.clone();
        both.components.retain(|c| c.id.as_str() != "api");
        let merged = merge(&base, &both, &both);
        assert_eq!(ids(&merged.session), ["db", "web"]);
        assert!(merged.conflicts.is_empty());
    }

    #[test]
    fn new_threats_from_both_sides_and_runs_by_date() {
        let base = base();
        let threat = |id: &str| -> Threat {
            crate::store::parse(&format!(
                "schema = 1\ntitle = \"t\"\n[[components]]\nid = \"api\"\nname = \"API\"\nkind = \"process\"\n[[threats]]\nid = \"{id}\"\ntitle = \"{id}\"\ntarget = \"api\"\n"
            ))
            .expect("parses")
            .0
            .threats
            .remove(0)
        };
        let mut mine = base.clone();
        mine.threats.push(threat("t-1"));
        let mut run = mine.runs[0].clone();
        run.date = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
        mine.runs.push(run.clone());
        let mut theirs = base.clone();
        theirs.threats.push(threat("t-2"));
        run.facilitator = "Eve".into();
        theirs.runs.push(run);

        let merged = merge(&base, &mine, &theirs);
        let threat_ids: Vec<&str> = merged
            .session
            .threats
            .iter()
            .map(|t| t.id.as_str())
            .collect();
        assert_eq!(threat_ids, ["t-1", "t-2"]);
        // Both added a run on the 20th, with different facilitators: one run, mine.
        assert_eq!(merged.session.runs.len(), 2);
        assert_eq!(merged.session.runs[1].facilitator, "Dana");
        assert_eq!(merged.conflicts, ["run on 2026-11-20"]);
    }

    #[test]
    fn merging_with_an_unchanged_side_gives_the_other_side() {
        let base = base();
        let mut changed = base.clone();
        component(&mut changed, "api").name = "Edge".into();
        changed.components.remove(1);
        changed.review.went_well = "done".into();
        assert_eq!(merge(&base, &changed, &base).session, changed);
        assert_eq!(merge(&base, &base, &changed).session, changed);
    }
}
