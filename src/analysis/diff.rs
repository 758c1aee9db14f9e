//! A semantic diff between two versions of a session, for the re-run after a trust-boundary
//! change (issue 7): what moved, which flows now cross (or stop crossing) a boundary, and which
//! threats the change puts in question.
//!
//! [`crate::model::change::ChangeSummary`] says *which entries* changed, for commit messages; this
//! says *what the change means*: names the changed fields, resolves boundary nesting to compare
//! crossings, and traces a change to the threats that rest on it. The tables it does not look into
//! (threats, mitigations, runs, ...) are summarised by a `ChangeSummary` in [`SessionDiff::other`].
//!
//! Entries are matched by id; with duplicate ids (an invalid file) the first entry counts, as in
//! `Session` lookups.

use super::graph::ModelGraph;
use crate::model::change::ChangeSummary;
use crate::model::text::escape_control;
use crate::model::{
    Asset, AssetId, Boundary, BoundaryId, Component, Dismissal, ElementId, Flow, Session,
    StrideSet, Technology, ThreatId, ThreatStatus,
};
use serde_json::{Value, json};
use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// The version of [`SessionDiff::to_json`]'s shape.
pub const DIFF_JSON_VERSION: u32 = 1;

/// Component tags the analysis gives a meaning to: a change to them changes which threats apply.
const ANALYSIS_TAGS: [&str; 3] = ["internet-facing", "logs", "audit"];

/// How many parts [`SessionDiff::trigger`] names before it says "and N more".
const TRIGGER_PARTS: usize = 4;

/// Added, removed and changed entries of one table, each list sorted by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDiff<Id> {
    pub added: Vec<Id>,
    pub removed: Vec<Id>,
    pub changed: Vec<ChangedEntry<Id>>,
}

impl<Id> Default for TableDiff<Id> {
    fn default() -> Self {
        TableDiff {
            added: Vec::new(),
            removed: Vec::new(),
            changed: Vec::new(),
        }
    }
}

impl<Id> TableDiff<Id> {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// An entry present in both versions with different content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedEntry<Id> {
    pub id: Id,
    /// The names of the changed fields as written in the file, in file order, e.g.
    /// `["boundary", "tags"]`.
    pub fields: Vec<&'static str>,
}

/// A component whose `boundary` changed. `None` is "outside every boundary".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentMove {
    pub component: ElementId,
    pub from: Option<BoundaryId>,
    pub to: Option<BoundaryId>,
}

impl ComponentMove {
    /// `"moved from dmz to internal"`, `"moved into dmz (was outside every boundary)"`.
    pub fn describe(&self) -> String {
        match (&self.from, &self.to) {
            (Some(a), Some(b)) => format!("moved from {a} to {b}"),
            (None, Some(b)) => format!("moved into {b} (was outside every boundary)"),
            (Some(a), None) => format!("moved out of {a} (now outside every boundary)"),
            (None, None) => "moved".to_string(),
        }
    }
}

/// How a flow's set of crossed boundaries changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrossingChangeKind {
    /// It crossed no boundary and now crosses some.
    NewlyCrossing,
    /// It crossed some and now crosses none.
    NoLongerCrossing,
    /// It crosses a different, non-empty set.
    Different,
}

impl CrossingChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CrossingChangeKind::NewlyCrossing => "newly-crossing",
            CrossingChangeKind::NoLongerCrossing => "no-longer-crossing",
            CrossingChangeKind::Different => "different",
        }
    }
}

/// A flow in both versions whose crossed boundaries (nesting resolved) differ as a set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossingChange {
    pub flow: ElementId,
    pub kind: CrossingChangeKind,
    /// Boundary ids crossed before and now, `from` side first (as [`ModelGraph::crossings`]).
    pub old: Vec<BoundaryId>,
    pub new: Vec<BoundaryId>,
}

impl CrossingChange {
    /// `"now crosses dmz (crossed no boundary before)"`, `"crosses a instead of b"`, ...
    pub fn describe(&self) -> String {
        match self.kind {
            CrossingChangeKind::NewlyCrossing => format!(
                "now crosses {} (crossed no boundary before)",
                id_list(&self.new)
            ),
            CrossingChangeKind::NoLongerCrossing => format!(
                "no longer crosses a boundary (crossed {})",
                id_list(&self.old)
            ),
            CrossingChangeKind::Different => format!(
                "crosses {} instead of {}",
                id_list(&self.new),
                id_list(&self.old)
            ),
        }
    }
}

/// A boundary crossing to examine in question 2: a flow that crosses a boundary in the new
/// version and did not before (an added flow, or an existing one that crossed nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCrossing {
    pub flow: ElementId,
    pub boundaries: Vec<BoundaryId>,
    /// The STRIDE letters still to examine: all six apply to a crossing flow, minus those named by
    /// threats on the flow and those the team marked not applicable on it, as coverage counts
    /// them once the affected threats are marked needs-review (a threat in question covers
    /// nothing until reviewed).
    pub unaddressed: StrideSet,
    /// Whether the flow itself is new.
    pub added: bool,
}

/// A threat kept in the new version whose target was re-pointed or removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetChange {
    /// The threat's `target` names another element than before.
    Retargeted {
        threat: ThreatId,
        from: ElementId,
        to: ElementId,
    },
    /// The threat still names its target, but the element no longer exists.
    Disappeared { threat: ThreatId, target: ElementId },
}

impl TargetChange {
    pub fn threat(&self) -> &ThreatId {
        match self {
            TargetChange::Retargeted { threat, .. } | TargetChange::Disappeared { threat, .. } => {
                threat
            }
        }
    }

    pub fn describe(&self) -> String {
        match self {
            TargetChange::Retargeted { from, to, .. } => {
                format!("target changed from {from} to {to}")
            }
            TargetChange::Disappeared { target, .. } => {
                format!("target {target} no longer exists")
            }
        }
    }
}

/// A threat the change puts in question, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AffectedThreat {
    pub id: ThreatId,
    pub title: String,
    /// Its target in the new version.
    pub target: ElementId,
    /// Its status in the new version, before any marking.
    pub status: ThreatStatus,
    /// One line each, plain text (not yet escaped), e.g. `"user-service moved from a to b"`.
    pub reasons: Vec<String>,
}

/// A component whose technology changed. `None` is "no technology given".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TechnologyChange {
    pub component: ElementId,
    pub old: Option<Technology>,
    pub new: Option<Technology>,
}

impl TechnologyChange {
    /// `"technology api, now web-app"`, `"technology set to database"`, `"technology cleared (was
    /// database)"`.
    pub fn describe(&self) -> String {
        match (self.old, self.new) {
            (Some(old), Some(new)) => format!("technology {old}, now {new}"),
            (None, Some(new)) => format!("technology set to {new}"),
            (Some(old), None) => format!("technology cleared (was {old})"),
            (None, None) => "technology unchanged".to_string(),
        }
    }
}

/// A component or flow (in both versions) moved out of scope or back in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeChange {
    pub element: ElementId,
    /// The reason it is out of scope now; `None` when it is back in scope.
    pub out_of_scope: Option<String>,
}

impl ScopeChange {
    /// `"moved out of scope: the vendor's system"`, `"back in scope"`.
    pub fn describe(&self) -> String {
        match &self.out_of_scope {
            Some(reason) => format!("moved out of scope: {reason}"),
            None => "back in scope".to_string(),
        }
    }
}

/// Whether old -> new changed scope (a new reason for something already out is no move).
fn scope_change(id: &ElementId, old: Option<&str>, new: Option<&str>) -> Option<ScopeChange> {
    match (old, new) {
        (None, Some(reason)) => Some(ScopeChange {
            element: id.clone(),
            out_of_scope: Some(reason.to_string()),
        }),
        (Some(_), None) => Some(ScopeChange {
            element: id.clone(),
            out_of_scope: None,
        }),
        _ => None,
    }
}

/// What happened to a dismissal of a rule suggestion on one element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DismissalChangeKind {
    /// Dismissed in the new version (on an element of either version).
    Added { reason: String },
    /// Dismissed before, no longer: the suggestion asks again.
    Withdrawn { reason: String },
    /// Still dismissed, for another reason.
    ReasonChanged { old: String, new: String },
    /// Still dismissed for the same reason, recorded again after what the rule reads changed.
    Renewed { reason: String },
}

/// A dismissal added, withdrawn or changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DismissalChange {
    pub element: ElementId,
    /// The threat rule's id, as written in the dismissal.
    pub rule: String,
    pub change: DismissalChangeKind,
}

impl DismissalChange {
    /// `dismissed flow-replay ("signed webhooks")`, `dismissal of flow-replay withdrawn (was
    /// "signed webhooks")`, ...
    pub fn describe(&self) -> String {
        let rule = &self.rule;
        match &self.change {
            DismissalChangeKind::Added { reason } => format!("dismissed {rule} ({reason:?})"),
            DismissalChangeKind::Withdrawn { reason } => {
                format!("dismissal of {rule} withdrawn (was {reason:?})")
            }
            DismissalChangeKind::ReasonChanged { old, new } => {
                format!("dismissal of {rule} now says {new:?} (was {old:?})")
            }
            DismissalChangeKind::Renewed { reason } => {
                format!("dismissal of {rule} renewed after the element changed ({reason:?})")
            }
        }
    }

    fn change_str(&self) -> &'static str {
        match self.change {
            DismissalChangeKind::Added { .. } => "added",
            DismissalChangeKind::Withdrawn { .. } => "withdrawn",
            DismissalChangeKind::ReasonChanged { .. } => "reason-changed",
            DismissalChangeKind::Renewed { .. } => "renewed",
        }
    }

    fn reasons(&self) -> (Option<&str>, Option<&str>) {
        match &self.change {
            DismissalChangeKind::Added { reason } => (None, Some(reason)),
            DismissalChangeKind::Withdrawn { reason } => (Some(reason), None),
            DismissalChangeKind::ReasonChanged { old, new } => (Some(old), Some(new)),
            DismissalChangeKind::Renewed { reason } => (Some(reason), Some(reason)),
        }
    }
}

/// The dismissal changes between two versions of one element's list, by rule id (ignoring
/// case, as the rules do; a rule dismissed twice counts once, the first).
fn dismissal_changes(
    element: &ElementId,
    old: &[Dismissal],
    new: &[Dismissal],
) -> Vec<DismissalChange> {
    let key = |d: &Dismissal| d.rule.to_lowercase();
    let old_map = first_by_key(old, key);
    let new_map = first_by_key(new, key);
    let mut out = Vec::new();
    for (k, d) in &new_map {
        let change = match old_map.get(k) {
            None => DismissalChangeKind::Added {
                reason: d.reason.clone(),
            },
            Some(before) if before.reason != d.reason => DismissalChangeKind::ReasonChanged {
                old: before.reason.clone(),
                new: d.reason.clone(),
            },
            Some(before) if before.facts != d.facts => DismissalChangeKind::Renewed {
                reason: d.reason.clone(),
            },
            Some(_) => continue,
        };
        out.push(DismissalChange {
            element: element.clone(),
            rule: d.rule.clone(),
            change,
        });
    }
    for (k, d) in &old_map {
        if !new_map.contains_key(k) {
            out.push(DismissalChange {
                element: element.clone(),
                rule: d.rule.clone(),
                change: DismissalChangeKind::Withdrawn {
                    reason: d.reason.clone(),
                },
            });
        }
    }
    out.sort_by_key(|d| d.rule.to_lowercase());
    out
}

fn first_by_key<T>(items: &[T], key: impl Fn(&T) -> String) -> BTreeMap<String, &T> {
    let mut map = BTreeMap::new();
    for item in items {
        map.entry(key(item)).or_insert(item);
    }
    map
}

/// What changed between two versions of a session, and what that puts in question.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionDiff {
    pub boundaries: TableDiff<BoundaryId>,
    pub components: TableDiff<ElementId>,
    pub flows: TableDiff<ElementId>,
    pub assets: TableDiff<AssetId>,
    /// Components whose `boundary` changed, by id.
    pub moves: Vec<ComponentMove>,
    /// Flows in both versions whose crossings changed, by flow id.
    pub crossing_changes: Vec<CrossingChange>,
    /// Flows that cross a boundary now and did not before, by flow id.
    pub new_crossings: Vec<NewCrossing>,
    /// Threats (in both versions) whose target was re-pointed or disappeared, by threat id.
    pub target_changes: Vec<TargetChange>,
    /// Threats to mark needs-review, by id.
    pub affected: Vec<AffectedThreat>,
    /// Components in both versions whose technology changed, by id.
    pub technology: Vec<TechnologyChange>,
    /// Dismissals of rule suggestions added, withdrawn or changed, by element id then rule.
    pub dismissals: Vec<DismissalChange>,
    /// Components, then flows, in both versions that moved out of scope or back in, by id.
    pub scope: Vec<ScopeChange>,
    /// Every other change (threats, mitigations, acceptances, assumptions, runs, review, title,
    /// ...): a [`ChangeSummary`] whose boundary, component, flow and asset lists are left empty,
    /// since the fields above say more about those.
    pub other: ChangeSummary,
}

/// Compares two versions of a session.
pub fn diff(old: &Session, new: &Session) -> SessionDiff {
    let (old_graph, new_graph) = (ModelGraph::new(old), ModelGraph::new(new));

    let boundaries = table(&old.boundaries, &new.boundaries, |b| &b.id, boundary_fields);
    let assets = table(&old.assets, &new.assets, |a| &a.id, asset_fields);
    let components = table(
        &old.components,
        &new.components,
        |c| &c.id,
        component_fields,
    );
    let flows = table(&old.flows, &new.flows, |f| &f.id, flow_fields);

    let old_components = first_by_id(&old.components, |c| c.id.as_str());
    let new_components = first_by_id(&new.components, |c| c.id.as_str());
    let old_flows = first_by_index(&old.flows, |f| f.id.as_str());
    let new_flows = first_by_index(&new.flows, |f| f.id.as_str());

    let moves: Vec<ComponentMove> = new_components
        .iter()
        .filter_map(|(id, c)| {
            let before = old_components.get(id)?;
            (before.boundary != c.boundary).then(|| ComponentMove {
                component: c.id.clone(),
                from: before.boundary.clone(),
                to: c.boundary.clone(),
            })
        })
        .collect();

    let technology: Vec<TechnologyChange> = new_components
        .iter()
        .filter_map(|(id, c)| {
            let before = old_components.get(id)?;
            (before.technology != c.technology).then(|| TechnologyChange {
                component: c.id.clone(),
                old: before.technology,
                new: c.technology,
            })
        })
        .collect();

    let scope: Vec<ScopeChange> = new_components
        .iter()
        .filter_map(|(id, c)| {
            let before = old_components.get(id)?;
            scope_change(&c.id, before.out_of_scope_reason(), c.out_of_scope_reason())
        })
        .chain(new_flows.iter().filter_map(|(id, &(_, f))| {
            let &(_, before) = old_flows.get(id)?;
            scope_change(&f.id, before.out_of_scope_reason(), f.out_of_scope_reason())
        }))
        .collect();

    // Elements of the new version (an element that is gone takes its dismissals with it).
    let mut dismissal_lists: BTreeMap<&str, (&ElementId, &[Dismissal], &[Dismissal])> =
        BTreeMap::new();
    for (id, c) in &new_components {
        let before = old_components.get(id).map_or(&[][..], |o| &o.dismissed[..]);
        dismissal_lists.insert(id, (&c.id, before, &c.dismissed));
    }
    for (id, &(_, f)) in &new_flows {
        let before = old_flows.get(id).map_or(&[][..], |(_, o)| &o.dismissed[..]);
        dismissal_lists
            .entry(id)
            .or_insert((&f.id, before, &f.dismissed));
    }
    let dismissals: Vec<DismissalChange> = dismissal_lists
        .values()
        .flat_map(|(id, old, new)| dismissal_changes(id, old, new))
        .collect();

    let mut crossing_changes = Vec::new();
    let mut newly_crossing: BTreeMap<&str, (Vec<BoundaryId>, bool)> = BTreeMap::new();
    for (id, &(new_index, flow)) in &new_flows {
        let now = owned(new_graph.crossings(new_index));
        let Some(&(old_index, _)) = old_flows.get(id) else {
            if !now.is_empty() {
                newly_crossing.insert(flow.id.as_str(), (now, true));
            }
            continue;
        };
        // A flow with an end that names no component has no crossings to compare (the graph
        // leaves it out); a vanished end is a reason of its own, given below.
        let resolved = |g: &ModelGraph<'_>, f: &Flow| {
            g.node(f.from.as_str()).is_some() && g.node(f.to.as_str()).is_some()
        };
        if !resolved(&old_graph, &old.flows[old_index]) || !resolved(&new_graph, flow) {
            continue;
        }
        let before = owned(old_graph.crossings(old_index));
        let (a, b): (BTreeSet<_>, BTreeSet<_>) = (before.iter().collect(), now.iter().collect());
        if a == b {
            continue;
        }
        let kind = match (before.is_empty(), now.is_empty()) {
            (true, _) => CrossingChangeKind::NewlyCrossing,
            (_, true) => CrossingChangeKind::NoLongerCrossing,
            _ => CrossingChangeKind::Different,
        };
        if kind == CrossingChangeKind::NewlyCrossing {
            newly_crossing.insert(flow.id.as_str(), (now.clone(), false));
        }
        crossing_changes.push(CrossingChange {
            flow: flow.id.clone(),
            kind,
            old: before,
            new: now,
        });
    }

    // Why each element that is in both versions is in question, keyed by element id.
    let mut element_reasons: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let moved: BTreeMap<&str, &ComponentMove> =
        moves.iter().map(|m| (m.component.as_str(), m)).collect();
    for (id, c) in &new_components {
        if let Some(before) = old_components.get(id) {
            let reasons = component_reasons(before, c, moved.get(id).copied());
            if !reasons.is_empty() {
                element_reasons.insert(id, reasons);
            }
        }
    }
    let crossing_of: BTreeMap<&str, &CrossingChange> = crossing_changes
        .iter()
        .map(|c| (c.flow.as_str(), c))
        .collect();
    for (id, &(_, f)) in &new_flows {
        if let Some(&(_, before)) = old_flows.get(id) {
            let mut reasons = flow_reasons(before, f, crossing_of.get(id).copied(), &moved);
            for (side, end) in [("starts", &f.from), ("ends", &f.to)] {
                if old.component(end.as_str()).is_some() && new.component(end.as_str()).is_none() {
                    reasons.push(format!("{id} {side} at {end}, which no longer exists"));
                }
            }
            if !reasons.is_empty() {
                element_reasons.insert(id, reasons);
            }
        }
    }

    // Threats in both versions: target changes, then whatever their target's change implies.
    // Threats new in this version were written against it and are not in question.
    let old_threats = first_by_id(&old.threats, |t| t.id.as_str());
    let mut target_changes = Vec::new();
    let mut affected: BTreeMap<&str, AffectedThreat> = BTreeMap::new();
    for t in &new.threats {
        let Some(before) = old_threats.get(t.id.as_str()) else {
            continue;
        };
        if affected.contains_key(t.id.as_str()) {
            continue; // A duplicate id: the first entry speaks for it.
        }
        let mut reasons = Vec::new();
        if before.target != t.target {
            let change = TargetChange::Retargeted {
                threat: t.id.clone(),
                from: before.target.clone(),
                to: t.target.clone(),
            };
            reasons.push(change.describe());
            target_changes.push(change);
        } else if old.element(t.target.as_str()).is_some()
            && new.element(t.target.as_str()).is_none()
        {
            let change = TargetChange::Disappeared {
                threat: t.id.clone(),
                target: t.target.clone(),
            };
            reasons.push(change.describe());
            target_changes.push(change);
        }
        if let Some(more) = element_reasons.get(t.target.as_str()) {
            reasons.extend(more.iter().cloned());
        }
        if !reasons.is_empty() {
            affected.insert(
                t.id.as_str(),
                AffectedThreat {
                    id: t.id.clone(),
                    title: t.title.clone(),
                    target: t.target.clone(),
                    status: t.status,
                    reasons,
                },
            );
        }
    }
    target_changes.sort_by(|a, b| a.threat().cmp(b.threat()));

    let new_crossings = newly_crossing
        .into_iter()
        .map(|(id, (boundaries, added))| {
            let mut covered = new_flows
                .get(id)
                .map(|(_, f)| f.not_applicable.clone())
                .unwrap_or_default();
            for t in new.threats_on(id) {
                if t.status != ThreatStatus::NeedsReview && !affected.contains_key(t.id.as_str()) {
                    covered = covered.union(&t.stride);
                }
            }
            NewCrossing {
                flow: ElementId::from(id),
                boundaries,
                unaddressed: StrideSet::all().difference(&covered),
                added,
            }
        })
        .collect();

    let mut other = ChangeSummary::between(old, new);
    for list in [
        &mut other.components_added,
        &mut other.components_removed,
        &mut other.components_changed,
        &mut other.flows_added,
        &mut other.flows_removed,
        &mut other.flows_changed,
    ] {
        list.clear();
    }
    other.boundaries_added.clear();
    other.boundaries_removed.clear();
    other.boundaries_changed.clear();
    other.assets_added.clear();
    other.assets_removed.clear();
    other.assets_changed.clear();

    SessionDiff {
        boundaries,
        components,
        flows,
        assets,
        moves,
        crossing_changes,
        new_crossings,
        target_changes,
        affected: affected.into_values().collect(),
        technology,
        dismissals,
        scope,
        other,
    }
}

/// A copy of `new` with every threat in `diff`'s affected list marked needs-review. Threats are
/// kept, never deleted; nothing else changes.
pub fn mark_needs_review(new: &Session, diff: &SessionDiff) -> Session {
    let ids: BTreeSet<&str> = diff.affected.iter().map(|a| a.id.as_str()).collect();
    let mut marked = new.clone();
    for t in &mut marked.threats {
        if ids.contains(t.id.as_str()) {
            t.status = ThreatStatus::NeedsReview;
        }
    }
    marked
}

impl SessionDiff {
    /// Whether the two versions are the same session (table order and formatting aside).
    pub fn is_empty(&self) -> bool {
        self.boundaries.is_empty()
            && self.components.is_empty()
            && self.flows.is_empty()
            && self.assets.is_empty()
            && self.target_changes.is_empty()
            && self.affected.is_empty()
            && self.other.is_empty()
    }

    /// Threat ids to mark needs-review, by id, each with the reasons (at least one):
    /// - its target component moved to another boundary, or its kind, technology, assets or the
    ///   tags the analysis reads (`internet-facing`, `logs`, `audit`) changed;
    /// - its target flow's ends, protocol family, `authenticated`, `encrypted` or assets
    ///   changed, or the boundaries it crosses changed;
    /// - its target flow starts or ends at a component that moved to another boundary;
    /// - its target was re-pointed, or no longer exists (the threat stays, flagged).
    ///
    /// Only threats present in both versions: a threat written in the new version already
    /// reflects it. A new boundary crossing marks nothing by itself; see [`Self::new_crossings`].
    pub fn affected_threats(&self) -> Vec<(ThreatId, Vec<String>)> {
        self.affected
            .iter()
            .map(|a| (a.id.clone(), a.reasons.clone()))
            .collect()
    }

    /// Flows crossing a boundary now that did not before, with the STRIDE letters left to
    /// examine on each.
    pub fn new_crossings(&self) -> Vec<NewCrossing> {
        self.new_crossings.clone()
    }

    /// One line for a run's `trigger`, e.g. `"boundary change: api moved from dmz to internal;
    /// new flow partner-webhook crosses dmz"`. Boundary-related changes first; otherwise the
    /// changed elements (`"model change: ..."`); otherwise the other changes (`"update: ..."`);
    /// `"no change"` for an empty diff. Control characters in ids are made visible.
    pub fn trigger(&self) -> String {
        let line = self.trigger_raw();
        escape_control(&line).into_owned()
    }

    fn trigger_raw(&self) -> String {
        let boundary_parts = self.boundary_trigger_parts();
        if !boundary_parts.is_empty() {
            return format!("boundary change: {}", limit(boundary_parts, "; "));
        }
        let mut parts = Vec::new();
        element_trigger_parts(&mut parts, "component", &self.components);
        element_trigger_parts(&mut parts, "flow", &self.flows);
        element_trigger_parts(&mut parts, "boundary", &self.boundaries);
        element_trigger_parts(&mut parts, "asset", &self.assets);
        for c in &self.target_changes {
            parts.push(format!("{} {}", c.threat(), c.describe()));
        }
        if !parts.is_empty() {
            return format!("model change: {}", limit(parts, "; "));
        }
        let lines = self.other.lines();
        if !lines.is_empty() {
            return format!("update: {}", limit(lines, ", "));
        }
        "no change".to_string()
    }

    /// Boundaries added, removed or re-nested, components moved, new flows that cross, and
    /// crossing changes that none of those explains.
    fn boundary_trigger_parts(&self) -> Vec<String> {
        let mut parts = Vec::new();
        for id in &self.boundaries.added {
            parts.push(format!("boundary {id} added"));
        }
        for id in &self.boundaries.removed {
            parts.push(format!("boundary {id} removed"));
        }
        for c in &self.boundaries.changed {
            if c.fields.contains(&"parent") {
                parts.push(format!("boundary {} re-nested", c.id));
            }
        }
        let structural = !parts.is_empty() || !self.moves.is_empty();
        for m in &self.moves {
            parts.push(format!("{} {}", m.component, m.describe()));
        }
        for n in self.new_crossings.iter().filter(|n| n.added) {
            parts.push(format!(
                "new flow {} crosses {}",
                n.flow,
                id_list(&n.boundaries)
            ));
        }
        if !structural {
            for c in &self.crossing_changes {
                parts.push(format!("flow {} {}", c.flow, c.describe()));
            }
        }
        parts
    }

    /// A report for a terminal or a CI log: a summary line, then one section per kind of change.
    /// Text from the files (ids, titles, boundary names) has its control characters made visible.
    pub fn to_text(&self) -> String {
        if self.is_empty() {
            return "Nothing changed: both versions describe the same session.\n".to_string();
        }
        let mut out = Lines::default();
        out.line(format!("Summary: {}", self.summary()));
        table_text(&mut out, "Boundaries", &self.boundaries, |_| None);
        let scope_of = |id: &ElementId| {
            self.scope
                .iter()
                .find(|c| &c.element == id)
                .map(ScopeChange::describe)
        };
        table_text(&mut out, "Components", &self.components, |id| {
            let notes: Vec<String> = self
                .moves
                .iter()
                .find(|m| &m.component == id)
                .map(ComponentMove::describe)
                .into_iter()
                .chain(scope_of(id))
                .collect();
            (!notes.is_empty()).then(|| notes.join("; "))
        });
        table_text(&mut out, "Flows", &self.flows, scope_of);
        table_text(&mut out, "Assets", &self.assets, |_| None);

        if !self.crossing_changes.is_empty() {
            out.section("Boundary crossings changed");
            let width = column_width(self.crossing_changes.iter().map(|c| &c.flow));
            for c in &self.crossing_changes {
                out.line(format!("  {}  {}", pad(&c.flow, width), c.describe()));
            }
        }
        if !self.new_crossings.is_empty() {
            out.section("New boundary crossings to examine (all six STRIDE categories apply)");
            let width = column_width(self.new_crossings.iter().map(|c| &c.flow));
            for n in &self.new_crossings {
                let letters: Vec<String> = n.unaddressed.iter().map(|s| s.to_string()).collect();
                let unaddressed = if letters.is_empty() {
                    "every category addressed".to_string()
                } else {
                    format!("unaddressed: {}", letters.join(" "))
                };
                out.line(format!(
                    "  {}  {}crosses {}; {unaddressed}",
                    pad(&n.flow, width),
                    if n.added { "new flow, " } else { "" },
                    id_list(&n.boundaries),
                ));
            }
        }
        if !self.technology.is_empty() {
            out.section("Technology");
            let width = column_width(self.technology.iter().map(|t| &t.component));
            for t in &self.technology {
                out.line(format!("  {}  {}", pad(&t.component, width), t.describe()));
            }
        }
        if !self.dismissals.is_empty() {
            out.section("Dismissed suggestions");
            let width = column_width(self.dismissals.iter().map(|d| &d.element));
            for d in &self.dismissals {
                out.line(format!("  {}  {}", pad(&d.element, width), d.describe()));
            }
        }
        if !self.target_changes.is_empty() {
            out.section("Threat targets");
            for c in &self.target_changes {
                out.line(format!("  {}  {}", c.threat(), c.describe()));
            }
        }
        if !self.affected.is_empty() {
            out.section(&format!(
                "Threats to review: {} (a re-run marks them needs-review)",
                self.affected.len()
            ));
            for a in &self.affected {
                out.line(format!(
                    "  {}  [{}] on {}: {}",
                    a.id,
                    a.status.as_str(),
                    a.target,
                    a.title
                ));
                for r in &a.reasons {
                    out.line(format!("      - {r}"));
                }
            }
        }
        // ChangeSummary's lines escape the ids they name already.
        let lines = self.other.lines();
        if !lines.is_empty() {
            out.section("Other changes");
            for l in lines {
                out.line(format!("  {l}"));
            }
        }
        out.text
    }

    /// `"1 component changed, 1 component moved, 3 flows cross differently, ..."`.
    fn summary(&self) -> String {
        let mut parts = Vec::new();
        let touched = |a: usize, r: usize, c: usize| a + r + c;
        push_count(
            &mut parts,
            touched(
                self.boundaries.added.len(),
                self.boundaries.removed.len(),
                self.boundaries.changed.len(),
            ),
            ("boundary", "boundaries"),
            "changed",
        );
        for (table, noun) in [
            (&self.components, ("component", "components")),
            (&self.flows, ("flow", "flows")),
        ] {
            push_count(
                &mut parts,
                touched(table.added.len(), table.removed.len(), table.changed.len()),
                noun,
                "changed",
            );
        }
        push_count(
            &mut parts,
            touched(
                self.assets.added.len(),
                self.assets.removed.len(),
                self.assets.changed.len(),
            ),
            ("asset", "assets"),
            "changed",
        );
        push_count(
            &mut parts,
            self.moves.len(),
            ("component", "components"),
            "moved",
        );
        push_count(
            &mut parts,
            self.crossing_changes.len(),
            ("flow crosses", "flows cross"),
            "differently",
        );
        push_count(
            &mut parts,
            self.new_crossings.len(),
            ("new crossing", "new crossings"),
            "to examine",
        );
        push_count(
            &mut parts,
            self.technology.len(),
            ("technology", "technologies"),
            "changed",
        );
        push_count(
            &mut parts,
            self.dismissals.len(),
            ("dismissal", "dismissals"),
            "changed",
        );
        push_count(
            &mut parts,
            self.target_changes.len(),
            ("threat target", "threat targets"),
            "changed",
        );
        push_count(
            &mut parts,
            self.affected.len(),
            ("threat", "threats"),
            "to review",
        );
        if !self.other.is_empty() {
            parts.push("other changes".to_string());
        }
        parts.join(", ")
    }

    /// A stable JSON document (`"version": 1`): keys in a fixed order, every list sorted by id,
    /// every key always present. Strings are as in the files (JSON escapes what needs it).
    pub fn to_json(&self) -> Value {
        json!({
            "version": DIFF_JSON_VERSION,
            "changed": !self.is_empty(),
            "trigger": self.trigger(),
            "boundaries": table_json(&self.boundaries),
            "components": table_json(&self.components),
            "flows": table_json(&self.flows),
            "assets": table_json(&self.assets),
            "moves": self.moves.iter().map(|m| json!({
                "component": m.component,
                "from": m.from,
                "to": m.to,
            })).collect::<Vec<_>>(),
            "crossing_changes": self.crossing_changes.iter().map(|c| json!({
                "flow": c.flow,
                "change": c.kind.as_str(),
                "old": c.old,
                "new": c.new,
            })).collect::<Vec<_>>(),
            "new_crossings": self.new_crossings.iter().map(|n| json!({
                "flow": n.flow,
                "added": n.added,
                "boundaries": n.boundaries,
                "unaddressed": n.unaddressed.to_string(),
            })).collect::<Vec<_>>(),
            "target_changes": self.target_changes.iter().map(|c| match c {
                TargetChange::Retargeted { threat, from, to } => json!({
                    "threat": threat, "change": "retargeted", "old_target": from, "new_target": to,
                }),
                TargetChange::Disappeared { threat, target } => json!({
                    "threat": threat, "change": "disappeared", "old_target": target, "new_target": target,
                }),
            }).collect::<Vec<_>>(),
            // `out_of_scope` is the reason now, or null when the element is back in scope.
            "scope_changes": self.scope.iter().map(|c| json!({
                "element": c.element,
                "out_of_scope": c.out_of_scope,
            })).collect::<Vec<_>>(),
            "technology_changes": self.technology.iter().map(|t| json!({
                "component": t.component,
                "old": t.old.map(|x| x.as_str()),
                "new": t.new.map(|x| x.as_str()),
            })).collect::<Vec<_>>(),
            "dismissals": self.dismissals.iter().map(|d| {
                let (old_reason, new_reason) = d.reasons();
                json!({
                    "element": d.element,
                    "rule": d.rule,
                    "change": d.change_str(),
                    "old_reason": old_reason,
                    "new_reason": new_reason,
                })
            }).collect::<Vec<_>>(),
            "affected_threats": self.affected.iter().map(|a| json!({
                "id": a.id,
                "title": a.title,
                "target": a.target,
                "status": a.status.as_str(),
                "reasons": a.reasons,
            })).collect::<Vec<_>>(),
            "other_changes": self.other.lines(),
        })
    }
}

fn push_count(parts: &mut Vec<String>, n: usize, (one, many): (&str, &str), what: &str) {
    if n > 0 {
        parts.push(format!("{n} {} {what}", if n == 1 { one } else { many }));
    }
}

fn element_trigger_parts<Id: std::fmt::Display>(
    parts: &mut Vec<String>,
    noun: &str,
    table: &TableDiff<Id>,
) {
    for id in &table.added {
        parts.push(format!("{noun} {id} added"));
    }
    for id in &table.removed {
        parts.push(format!("{noun} {id} removed"));
    }
    for c in &table.changed {
        parts.push(format!("{noun} {} changed ({})", c.id, c.fields.join(", ")));
    }
}

/// The first `TRIGGER_PARTS` parts joined, then "and N more".
fn limit(mut parts: Vec<String>, separator: &str) -> String {
    let more = parts.len().saturating_sub(TRIGGER_PARTS);
    parts.truncate(TRIGGER_PARTS);
    let mut line = parts.join(separator);
    if more > 0 {
        let _ = write!(line, "{separator}and {more} more");
    }
    line
}

/// Text built line by line, each line escaped once as it is added.
#[derive(Default)]
struct Lines {
    text: String,
}

impl Lines {
    fn line(&mut self, line: String) {
        self.text.push_str(&escape_control(&line));
        self.text.push('\n');
    }

    /// A blank line and a heading.
    fn section(&mut self, title: &str) {
        self.text.push('\n');
        self.line(title.to_string());
    }
}

fn table_text<Id: std::fmt::Display>(
    out: &mut Lines,
    title: &str,
    table: &TableDiff<Id>,
    note: impl Fn(&Id) -> Option<String>,
) {
    if table.is_empty() {
        return;
    }
    out.section(title);
    for id in &table.added {
        out.line(format!("  + {id}"));
    }
    for id in &table.removed {
        out.line(format!("  - {id}"));
    }
    for c in &table.changed {
        let mut line = format!("  ~ {} ({})", c.id, c.fields.join(", "));
        if let Some(note) = note(&c.id) {
            let _ = write!(line, ": {note}");
        }
        out.line(line);
    }
}

fn table_json<Id: serde::Serialize>(table: &TableDiff<Id>) -> Value {
    json!({
        "added": table.added,
        "removed": table.removed,
        "changed": table
            .changed
            .iter()
            .map(|c| json!({"id": c.id, "fields": c.fields}))
            .collect::<Vec<_>>(),
    })
}

/// The widest id as shown (escaped), for aligning a column.
fn column_width<'a>(ids: impl Iterator<Item = &'a ElementId>) -> usize {
    ids.map(|id| escape_control(id.as_str()).chars().count())
        .max()
        .unwrap_or(0)
}

/// The id padded to `width` characters as shown, so columns line up once escaped.
fn pad(id: &ElementId, width: usize) -> String {
    let shown = escape_control(id.as_str()).chars().count();
    format!("{id}{}", " ".repeat(width.saturating_sub(shown)))
}

/// `"dmz, service-mesh"`; `"no boundary"` for none.
fn id_list<T: std::fmt::Display>(ids: &[T]) -> String {
    if ids.is_empty() {
        return "no boundary".to_string();
    }
    ids.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn owned(ids: &[&BoundaryId]) -> Vec<BoundaryId> {
    ids.iter().map(|b| (*b).clone()).collect()
}

fn first_by_id<'a, T>(items: &'a [T], id: impl Fn(&'a T) -> &'a str) -> BTreeMap<&'a str, &'a T> {
    let mut map = BTreeMap::new();
    for item in items {
        map.entry(id(item)).or_insert(item);
    }
    map
}

/// Like [`first_by_id`], keeping the index (for [`ModelGraph::crossings`]).
fn first_by_index<'a, T>(
    items: &'a [T],
    id: impl Fn(&'a T) -> &'a str,
) -> BTreeMap<&'a str, (usize, &'a T)> {
    let mut map = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        map.entry(id(item)).or_insert((i, item));
    }
    map
}

fn table<'a, T, Id>(
    old: &'a [T],
    new: &'a [T],
    id: impl Fn(&'a T) -> &'a Id,
    fields: fn(&T, &T) -> Vec<&'static str>,
) -> TableDiff<Id>
where
    Id: Clone + Ord + Borrow<str> + 'a,
{
    let old_map = first_by_id(old, |t| id(t).borrow());
    let new_map = first_by_id(new, |t| id(t).borrow());
    let mut out = TableDiff::default();
    for (key, item) in &new_map {
        match old_map.get(key) {
            None => out.added.push(id(item).clone()),
            Some(before) => {
                let changed = fields(before, item);
                if !changed.is_empty() {
                    out.changed.push(ChangedEntry {
                        id: id(item).clone(),
                        fields: changed,
                    });
                }
            }
        }
    }
    out.removed = old_map
        .iter()
        .filter(|(key, _)| !new_map.contains_key(*key))
        .map(|(_, item)| id(item).clone())
        .collect();
    out
}

/// The names of the fields that differ. Each `*_fields` function destructures without `..` so
/// that a new field in the model fails to compile here until it is accounted for.
fn boundary_fields(old: &Boundary, new: &Boundary) -> Vec<&'static str> {
    let Boundary {
        id: _,
        name,
        parent,
        notes,
    } = new;
    let mut f = Vec::new();
    push_if(&mut f, "name", &old.name != name);
    push_if(&mut f, "parent", &old.parent != parent);
    push_if(&mut f, "notes", &old.notes != notes);
    f
}

fn asset_fields(old: &Asset, new: &Asset) -> Vec<&'static str> {
    let Asset {
        id: _,
        name,
        classification,
        notes,
    } = new;
    let mut f = Vec::new();
    push_if(&mut f, "name", &old.name != name);
    push_if(
        &mut f,
        "classification",
        &old.classification != classification,
    );
    push_if(&mut f, "notes", &old.notes != notes);
    f
}

fn component_fields(old: &Component, new: &Component) -> Vec<&'static str> {
    let Component {
        id: _,
        name,
        kind,
        boundary,
        tags,
        assets,
        not_applicable,
        not_applicable_reason,
        out_of_scope,
        notes,
        technology,
        dismissed,
    } = new;
    let mut f = Vec::new();
    push_if(&mut f, "name", &old.name != name);
    push_if(&mut f, "kind", &old.kind != kind);
    push_if(&mut f, "technology", &old.technology != technology);
    push_if(&mut f, "boundary", &old.boundary != boundary);
    push_if(&mut f, "tags", !same_set(&old.tags, tags));
    push_if(&mut f, "assets", !same_set(&old.assets, assets));
    push_if(
        &mut f,
        "not_applicable",
        &old.not_applicable != not_applicable,
    );
    push_if(
        &mut f,
        "not_applicable_reason",
        &old.not_applicable_reason != not_applicable_reason,
    );
    push_if(&mut f, "out_of_scope", &old.out_of_scope != out_of_scope);
    push_if(&mut f, "notes", &old.notes != notes);
    push_if(&mut f, "dismissed", &old.dismissed != dismissed);
    f
}

fn flow_fields(old: &Flow, new: &Flow) -> Vec<&'static str> {
    let Flow {
        id: _,
        from,
        to,
        label,
        protocol,
        assets,
        authenticated,
        encrypted,
        tags,
        not_applicable,
        not_applicable_reason,
        out_of_scope,
        notes,
        dismissed,
    } = new;
    let mut f = Vec::new();
    push_if(&mut f, "from", &old.from != from);
    push_if(&mut f, "to", &old.to != to);
    push_if(&mut f, "label", old.label != *label);
    push_if(&mut f, "protocol", old.protocol != *protocol);
    push_if(&mut f, "assets", !same_set(&old.assets, assets));
    push_if(&mut f, "authenticated", &old.authenticated != authenticated);
    push_if(&mut f, "encrypted", &old.encrypted != encrypted);
    push_if(&mut f, "tags", !same_set(&old.tags, tags));
    push_if(
        &mut f,
        "not_applicable",
        &old.not_applicable != not_applicable,
    );
    push_if(
        &mut f,
        "not_applicable_reason",
        &old.not_applicable_reason != not_applicable_reason,
    );
    push_if(&mut f, "out_of_scope", &old.out_of_scope != out_of_scope);
    push_if(&mut f, "notes", &old.notes != notes);
    push_if(&mut f, "dismissed", &old.dismissed != dismissed);
    f
}

fn push_if(fields: &mut Vec<&'static str>, name: &'static str, changed: bool) {
    if changed {
        fields.push(name);
    }
}

/// Lists the model treats as sets (tags, assets): order and repeats do not matter.
fn same_set<T: Ord>(a: &[T], b: &[T]) -> bool {
    a.iter().collect::<BTreeSet<_>>() == b.iter().collect::<BTreeSet<_>>()
}

/// `"+card-data, -user-profiles"`; `None` when the two are the same set.
fn set_change<T: Ord + std::fmt::Display>(old: &[T], new: &[T]) -> Option<String> {
    let (a, b): (BTreeSet<&T>, BTreeSet<&T>) = (old.iter().collect(), new.iter().collect());
    let parts: Vec<String> = b
        .difference(&a)
        .map(|x| format!("+{x}"))
        .chain(a.difference(&b).map(|x| format!("-{x}")))
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

fn component_reasons(
    old: &Component,
    new: &Component,
    moved: Option<&ComponentMove>,
) -> Vec<String> {
    let id = &new.id;
    let mut reasons = Vec::new();
    if let Some(m) = moved {
        reasons.push(format!("{id} {}", m.describe()));
    }
    if old.kind != new.kind {
        reasons.push(format!(
            "{id} changed kind from {} to {}",
            old.kind.as_str(),
            new.kind.as_str()
        ));
    }
    if old.technology != new.technology {
        let change = TechnologyChange {
            component: id.clone(),
            old: old.technology,
            new: new.technology,
        };
        reasons.push(format!("{id} {}", change.describe()));
    }
    if let Some(change) = set_change(&old.assets, &new.assets) {
        reasons.push(format!("{id} assets changed: {change}"));
    }
    let analysis_tags = |c: &Component| -> Vec<&'static str> {
        ANALYSIS_TAGS.into_iter().filter(|t| c.has_tag(t)).collect()
    };
    if let Some(change) = set_change(&analysis_tags(old), &analysis_tags(new)) {
        reasons.push(format!("{id} tags changed: {change}"));
    }
    reasons.extend(back_in_scope(
        id,
        old.is_out_of_scope(),
        new.is_out_of_scope(),
    ));
    reasons
}

/// Back in scope, its threats were not looked at while it was out: review them. Moving out of
/// scope flags nothing (TB017 asks the team to close what is still open there).
fn back_in_scope(id: &ElementId, was_out: bool, is_out: bool) -> Option<String> {
    (was_out && !is_out).then(|| format!("{id} is back in scope"))
}

/// How a flow's authentication or encryption changed, in words: `"now authenticated"`,
/// `"no longer authenticated"`, `"stated as not authenticated"`, `"authentication now unknown"`.
fn protection_change(
    old: Option<bool>,
    new: Option<bool>,
    done: &str,
    noun: &str,
) -> Option<String> {
    match (old, new) {
        (a, b) if a == b => None,
        (_, Some(true)) => Some(format!("now {done}")),
        (Some(true), Some(false)) => Some(format!("no longer {done}")),
        (None, Some(false)) => Some(format!("stated as not {done}")),
        (_, None) => Some(format!("{noun} now unknown")),
        _ => None,
    }
}

fn flow_reasons(
    old: &Flow,
    new: &Flow,
    crossing: Option<&CrossingChange>,
    moved: &BTreeMap<&str, &ComponentMove>,
) -> Vec<String> {
    let id = &new.id;
    let mut reasons = Vec::new();
    if old.from != new.from {
        reasons.push(format!(
            "{id} now starts at {} (was {})",
            new.from, old.from
        ));
    }
    if old.to != new.to {
        reasons.push(format!("{id} now ends at {} (was {})", new.to, old.to));
    }
    // Free-text protocol edits matter only when they change what the rules see, and naming a
    // protocol that was not given (or not recognised) before is a refinement, not a change.
    if old.protocol_family().is_some() && old.protocol_family() != new.protocol_family() {
        let name =
            |p: Option<crate::model::ProtocolFamily>| p.map_or("unrecognised", |p| p.as_str());
        reasons.push(format!(
            "{id} protocol changed from {} to {}",
            name(old.protocol_family()),
            name(new.protocol_family())
        ));
    }
    let protection = [
        protection_change(
            old.authenticated,
            new.authenticated,
            "authenticated",
            "authentication",
        ),
        protection_change(old.encrypted, new.encrypted, "encrypted", "encryption"),
    ];
    for change in protection.into_iter().flatten() {
        // "user-api is now authenticated", "user-api: authentication now unknown".
        if change.contains(" now unknown") {
            reasons.push(format!("{id}: {change}"));
        } else {
            reasons.push(format!("{id} is {change}"));
        }
    }
    reasons.extend(back_in_scope(
        id,
        old.is_out_of_scope(),
        new.is_out_of_scope(),
    ));
    if let Some(change) = set_change(&old.assets, &new.assets) {
        reasons.push(format!("{id} assets changed: {change}"));
    }
    // The ends as they are now; an end that is itself new has no move.
    let mut ends = vec![new.from.as_str()];
    if new.to != new.from {
        ends.push(new.to.as_str());
    }
    for end in ends {
        if let Some(m) = moved.get(end) {
            reasons.push(format!("{id} touches {end}, which {}", m.describe()));
        }
    }
    if let Some(c) = crossing {
        reasons.push(format!("{id} {}", c.describe()));
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ComponentKind, Threat};

    /// `user` (outside) -> `api` (dmz) -> `worker` (internal) -> `db` (data, inside internal),
    /// and `worker` -> `cache` inside internal. One threat per element of interest.
    const BASE: &str = r#"
schema = 1
title = "Shop"
[[boundaries]]
id = "dmz"
name = "DMZ"
[[boundaries]]
id = "internal"
name = "Internal"
[[boundaries]]
id = "data"
name = "Data subnet"
parent = "internal"
[[assets]]
id = "pii"
name = "Customer data"
classification = "confidential"
[[components]]
id = "user"
name = "User"
kind = "external-entity"
[[components]]
id = "api"
name = "API"
kind = "process"
boundary = "dmz"
assets = ["pii"]
[[components]]
id = "worker"
name = "Worker"
kind = "process"
boundary = "internal"
[[components]]
id = "cache"
name = "Cache"
kind = "data-store"
boundary = "internal"
[[components]]
id = "db"
name = "DB"
kind = "data-store"
boundary = "data"
assets = ["pii"]
[[flows]]
id = "user-api"
from = "user"
to = "api"
label = "HTTPS"
authenticated = true
encrypted = true
[[flows]]
id = "api-worker"
from = "api"
to = "worker"
label = "Jobs"
[[flows]]
id = "worker-db"
from = "worker"
to = "db"
label = "SQL"
assets = ["pii"]
[[flows]]
id = "worker-cache"
from = "worker"
to = "cache"
label = "Cache writes"
not_applicable = "D"
[[threats]]
id = "TH-001"
target = "api"
title = "Spoofed API caller"
stride = "S"
[[threats]]
id = "TH-002"
target = "user-api"
title = "Tampered request"
stride = "T"
status = "resolved"
[[threats]]
id = "TH-003"
target = "api-worker"
title = "Job payload read"
stride = "I"
[[threats]]
id = "TH-004"
target = "worker-db"
title = "Query tampered"
stride = "T"
[[threats]]
id = "TH-005"
target = "worker"
title = "Worker escalation"
stride = "E"
[[threats]]
id = "TH-006"
target = "db"
title = "DB dump"
stride = "I"
status = "not-applicable"
[[threats]]
id = "TH-007"
target = "worker-cache"
title = "Cache poisoning"
stride = "T"
"#;

    fn base() -> Session {
        crate::store::parse(BASE).expect("base parses").0
    }

    fn component<'a>(s: &'a mut Session, id: &str) -> &'a mut Component {
        s.components
            .iter_mut()
            .find(|c| c.id.as_str() == id)
            .expect("component")
    }

    fn flow<'a>(s: &'a mut Session, id: &str) -> &'a mut Flow {
        s.flows
            .iter_mut()
            .find(|f| f.id.as_str() == id)
            .expect("flow")
    }

    fn affected_ids(d: &SessionDiff) -> Vec<String> {
        d.affected_threats()
            .into_iter()
            .map(|(id, _)| id.to_string())
            .collect()
    }

    fn reasons(d: &SessionDiff, id: &str) -> Vec<String> {
        d.affected_threats()
            .into_iter()
            .find(|(t, _)| t.as_str() == id)
            .map(|(_, r)| r)
            .unwrap_or_default()
    }

    fn ids<T: ToString>(list: &[T]) -> Vec<String> {
        list.iter().map(ToString::to_string).collect()
    }

    fn changed<Id: ToString>(table: &TableDiff<Id>) -> Vec<(String, Vec<&'static str>)> {
        table
            .changed
            .iter()
            .map(|c| (c.id.to_string(), c.fields.clone()))
            .collect()
    }

    fn threat(id: &str, target: &str, stride: &str) -> Threat {
        Threat {
            rule: None,
            id: id.into(),
            target: target.into(),
            title: "new".into(),
            stride: StrideSet::parse(stride),
            refs: Vec::new(),
            likelihood: None,
            impact: None,
            response: Default::default(),
            status: ThreatStatus::Open,
            transferred_to: String::new(),
            raised_by: Vec::new(),
            notes: String::new(),
        }
    }

    #[test]
    fn identical_and_reordered_sessions_are_no_change() {
        let old = base();
        let d = diff(&old, &old);
        assert!(d.is_empty());
        assert_eq!(d, SessionDiff::default());
        assert_eq!(
            d.to_text(),
            "Nothing changed: both versions describe the same session.\n"
        );
        assert_eq!(d.trigger(), "no change");
        assert_eq!(d.to_json()["changed"], false);

        let mut new = old.clone();
        new.components.reverse();
        new.flows.reverse();
        new.threats.reverse();
        component(&mut new, "api").assets = vec!["pii".into(), "pii".into()];
        assert!(diff(&old, &new).is_empty());
    }

    #[test]
    fn a_component_moved_to_another_boundary() {
        let old = base();
        let mut new = old.clone();
        component(&mut new, "api").boundary = Some("internal".into());
        let d = diff(&old, &new);

        assert_eq!(
            d.moves,
            [ComponentMove {
                component: "api".into(),
                from: Some("dmz".into()),
                to: Some("internal".into()),
            }]
        );
        assert_eq!(changed(&d.components), [("api".into(), vec!["boundary"])]);
        // user-api crossed the DMZ and now crosses `internal`; api-worker is now inside one
        // boundary; worker-db and worker-cache are untouched.
        assert_eq!(
            d.crossing_changes,
            [
                CrossingChange {
                    flow: "api-worker".into(),
                    kind: CrossingChangeKind::NoLongerCrossing,
                    old: vec!["dmz".into(), "internal".into()],
                    new: vec![],
                },
                CrossingChange {
                    flow: "user-api".into(),
                    kind: CrossingChangeKind::Different,
                    old: vec!["dmz".into()],
                    new: vec!["internal".into()],
                },
            ]
        );
        assert!(d.new_crossings().is_empty());
        // The moved component's threat, and those on both flows that touch it.
        assert_eq!(affected_ids(&d), ["TH-001", "TH-002", "TH-003"]);
        assert_eq!(reasons(&d, "TH-001"), ["api moved from dmz to internal"]);
        assert_eq!(
            reasons(&d, "TH-003"),
            [
                "api-worker touches api, which moved from dmz to internal",
                "api-worker no longer crosses a boundary (crossed dmz, internal)",
            ]
        );
        assert_eq!(
            reasons(&d, "TH-002"),
            [
                "user-api touches api, which moved from dmz to internal",
                "user-api crosses internal instead of dmz",
            ]
        );
        assert_eq!(
            d.trigger(),
            "boundary change: api moved from dmz to internal"
        );
    }

    #[test]
    fn moves_into_and_out_of_every_boundary_are_described() {
        let old = base();
        let mut new = old.clone();
        component(&mut new, "user").boundary = Some("dmz".into());
        component(&mut new, "db").boundary = None;
        let d = diff(&old, &new);
        let described: Vec<String> = d.moves.iter().map(ComponentMove::describe).collect();
        assert_eq!(
            described,
            [
                "moved out of data (now outside every boundary)",
                "moved into dmz (was outside every boundary)",
            ]
        );
        // user and api now share the DMZ.
        let user_api = d
            .crossing_changes
            .iter()
            .find(|c| c.flow.as_str() == "user-api")
            .expect("user-api changed");
        assert_eq!(user_api.kind, CrossingChangeKind::NoLongerCrossing);
    }

    #[test]
    fn the_example_trigger_from_the_issue() {
        let old = base();
        let mut new = old.clone();
        component(&mut new, "api").boundary = Some("internal".into());
        let mut edge = new.components[0].clone();
        edge.id = "edge".into();
        edge.kind = ComponentKind::Process;
        edge.boundary = Some("dmz".into());
        let mut partner = new.components[0].clone();
        partner.id = "partner".into();
        new.components.extend([edge, partner]);
        let mut webhook = new.flows[0].clone();
        webhook.id = "partner-webhook".into();
        webhook.from = "partner".into();
        webhook.to = "edge".into();
        new.flows.push(webhook);
        let d = diff(&old, &new);
        assert_eq!(
            d.trigger(),
            "boundary change: api moved from dmz to internal; new flow partner-webhook crosses dmz"
        );
        assert_eq!(ids(&d.components.added), ["edge", "partner"]);
        assert_eq!(ids(&d.flows.added), ["partner-webhook"]);
    }

    #[test]
    fn a_new_flow_that_crosses_a_boundary_is_reported_with_unaddressed_letters() {
        let old = base();
        let mut new = old.clone();
        let mut partner = new.components[0].clone();
        partner.id = "partner".into();
        new.components.push(partner);
        let mut webhook = new.flows[0].clone();
        webhook.id = "partner-webhook".into();
        webhook.from = "partner".into();
        webhook.not_applicable = StrideSet::parse("R");
        new.flows.push(webhook);
        new.threats.push(threat("TH-008", "partner-webhook", "S"));
        let mut reviewing = threat("TH-009", "partner-webhook", "E");
        reviewing.status = ThreatStatus::NeedsReview;
        new.threats.push(reviewing);
        let d = diff(&old, &new);

        assert_eq!(
            d.new_crossings(),
            [NewCrossing {
                flow: "partner-webhook".into(),
                boundaries: vec!["dmz".into()],
                // S by TH-008, R marked not applicable; E's threat awaits review so counts not.
                unaddressed: StrideSet::parse("TIDE"),
                added: true,
            }]
        );
        assert!(d.crossing_changes.is_empty());
        // Nothing existing rests on the new flow: nothing to mark.
        assert!(d.affected_threats().is_empty());
        assert_eq!(
            d.trigger(),
            "boundary change: new flow partner-webhook crosses dmz"
        );
        let text = d.to_text();
        assert!(
            text.contains("partner-webhook  new flow, crosses dmz; unaddressed: T I D E"),
            "{text}"
        );
    }

    #[test]
    fn an_existing_flow_that_starts_crossing_marks_its_threats_and_is_examined() {
        let old = base();
        let mut new = old.clone();
        component(&mut new, "cache").boundary = Some("dmz".into());
        let d = diff(&old, &new);
        assert_eq!(
            d.crossing_changes,
            [CrossingChange {
                flow: "worker-cache".into(),
                kind: CrossingChangeKind::NewlyCrossing,
                old: vec![],
                new: vec!["internal".into(), "dmz".into()],
            }]
        );
        // TH-007 (T) is in question, so it covers nothing yet; D stays marked not applicable.
        assert_eq!(
            d.new_crossings(),
            [NewCrossing {
                flow: "worker-cache".into(),
                boundaries: vec!["internal".into(), "dmz".into()],
                unaddressed: StrideSet::parse("STRIE"),
                added: false,
            }]
        );
        assert_eq!(
            reasons(&d, "TH-007"),
            [
                "worker-cache touches cache, which moved from internal to dmz",
                "worker-cache now crosses internal, dmz (crossed no boundary before)",
            ]
        );
    }

    #[test]
    fn boundaries_added_removed_and_re_nested() {
        let old = base();
        let mut new = old.clone();
        new.boundaries.retain(|b| b.id.as_str() != "dmz");
        let mut partner = new.boundaries[0].clone();
        partner.id = "partner-zone".into();
        new.boundaries.push(partner);
        let data = new
            .boundaries
            .iter_mut()
            .find(|b| b.id.as_str() == "data")
            .expect("data");
        data.parent = None;
        data.name = "Data".into();
        let d = diff(&old, &new);
        assert_eq!(ids(&d.boundaries.added), ["partner-zone"]);
        assert_eq!(ids(&d.boundaries.removed), ["dmz"]);
        assert_eq!(
            changed(&d.boundaries),
            [("data".into(), vec!["name", "parent"])]
        );
        // Without the DMZ `api` is outside every boundary; `data` no longer sits in `internal`.
        let kinds: Vec<(String, CrossingChangeKind)> = d
            .crossing_changes
            .iter()
            .map(|c| (c.flow.to_string(), c.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                ("api-worker".into(), CrossingChangeKind::Different),
                ("user-api".into(), CrossingChangeKind::NoLongerCrossing),
                ("worker-db".into(), CrossingChangeKind::Different),
            ]
        );
        assert_eq!(affected_ids(&d), ["TH-002", "TH-003", "TH-004"]);
        assert_eq!(
            reasons(&d, "TH-004"),
            ["worker-db crosses internal, data instead of data"]
        );
        assert_eq!(
            d.trigger(),
            "boundary change: boundary partner-zone added; boundary dmz removed; boundary data re-nested"
        );
    }

    #[test]
    fn component_changes_name_their_fields_and_only_meaningful_ones_mark_threats() {
        let old = base();
        let mut new = old.clone();
        let worker = component(&mut new, "worker");
        worker.kind = ComponentKind::DataStore;
        worker.assets = vec!["pii".into()];
        worker.tags = vec!["internet-facing".into(), "k8s".into()].into();
        worker.notes = "moved to k8s".into();
        let db = component(&mut new, "db");
        db.name = "Database".into();
        db.not_applicable = StrideSet::parse("D");
        db.tags = vec!["postgres".into()].into();
        let d = diff(&old, &new);
        assert_eq!(
            changed(&d.components),
            [
                ("db".into(), vec!["name", "tags", "not_applicable"]),
                ("worker".into(), vec!["kind", "tags", "assets", "notes"]),
            ]
        );
        assert!(d.moves.is_empty());
        // db's edits (a name, a tag the analysis ignores, a team decision) put nothing in question.
        assert_eq!(affected_ids(&d), ["TH-005"]);
        assert_eq!(
            reasons(&d, "TH-005"),
            [
                "worker changed kind from process to data-store",
                "worker assets changed: +pii",
                "worker tags changed: +internet-facing",
            ]
        );
        assert_eq!(
            d.trigger(),
            "model change: component db changed (name, tags, not_applicable); component worker changed (kind, tags, assets, notes)"
        );
    }

    #[test]
    fn flow_changes_name_their_fields_and_security_properties_mark_threats() {
        let old = base();
        let mut new = old.clone();
        let user_api = flow(&mut new, "user-api");
        user_api.authenticated = Some(false);
        user_api.encrypted = Some(false);
        user_api.assets = vec!["pii".into()];
        user_api.label = "HTTP".into();
        let worker_db = flow(&mut new, "worker-db");
        worker_db.protocol = "PostgreSQL".into();
        worker_db.notes = "pooled".into();
        let api_worker = flow(&mut new, "api-worker");
        api_worker.from = "user".into();
        let d = diff(&old, &new);
        assert_eq!(
            changed(&d.flows),
            [
                ("api-worker".into(), vec!["from"]),
                (
                    "user-api".into(),
                    vec!["label", "assets", "authenticated", "encrypted"]
                ),
                ("worker-db".into(), vec!["protocol", "notes"]),
            ]
        );
        assert_eq!(affected_ids(&d), ["TH-002", "TH-003"]);
        // Naming the protocol of worker-db refined it; changing a recognised one is a change.
        let mut newer = new.clone();
        flow(&mut newer, "worker-db").protocol = "Kafka".into();
        component(&mut newer, "db").technology = Some(crate::model::Technology::Database);
        let d2 = diff(&new, &newer);
        assert_eq!(
            reasons(&d2, "TH-004"),
            ["worker-db protocol changed from sql to messaging"]
        );
        assert_eq!(reasons(&d2, "TH-006"), ["db technology set to database"]);
        assert_eq!(
            reasons(&d, "TH-002"),
            [
                "user-api is no longer authenticated",
                "user-api is no longer encrypted",
                "user-api assets changed: +pii",
            ]
        );
        // From outside every boundary, the job flow now crosses internal only.
        assert_eq!(
            reasons(&d, "TH-003"),
            [
                "api-worker now starts at user (was api)",
                "api-worker crosses internal instead of dmz, internal",
            ]
        );
        // No boundary moved: the crossing change is its own trigger part.
        assert_eq!(
            d.trigger(),
            "boundary change: flow api-worker crosses internal instead of dmz, internal"
        );
    }

    #[test]
    fn asset_changes_are_listed() {
        let old = base();
        let mut new = old.clone();
        new.assets[0].classification = crate::model::Classification::Restricted;
        let mut tokens = new.assets[0].clone();
        tokens.id = "tokens".into();
        new.assets.push(tokens);
        let d = diff(&old, &new);
        assert_eq!(ids(&d.assets.added), ["tokens"]);
        assert_eq!(changed(&d.assets), [("pii".into(), vec!["classification"])]);
        assert!(d.affected.is_empty());
        assert!(!d.is_empty());
        assert_eq!(
            d.trigger(),
            "model change: asset tokens added; asset pii changed (classification)"
        );

        let mut removed = old.clone();
        removed.assets.clear();
        assert_eq!(ids(&diff(&old, &removed).assets.removed), ["pii"]);
    }

    #[test]
    fn threats_whose_target_changed_or_disappeared_stay_and_are_flagged() {
        let old = base();
        let mut new = old.clone();
        new.flows.retain(|f| f.id.as_str() != "worker-db");
        new.components.retain(|c| c.id.as_str() != "user");
        new.threats[5].target = "cache".into(); // TH-006: db -> cache
        new.threats.push(threat("TH-008", "api", "T")); // new: not in question
        let d = diff(&old, &new);
        assert_eq!(ids(&d.flows.removed), ["worker-db"]);
        assert_eq!(ids(&d.components.removed), ["user"]);
        assert_eq!(
            d.target_changes,
            [
                TargetChange::Disappeared {
                    threat: "TH-004".into(),
                    target: "worker-db".into(),
                },
                TargetChange::Retargeted {
                    threat: "TH-006".into(),
                    from: "db".into(),
                    to: "cache".into(),
                },
            ]
        );
        // user-api lost its `from` end: no crossings to compare, but its threat is in question.
        assert_eq!(affected_ids(&d), ["TH-002", "TH-004", "TH-006"]);
        assert!(d.crossing_changes.is_empty());
        assert_eq!(
            reasons(&d, "TH-002"),
            ["user-api starts at user, which no longer exists"]
        );
        assert_eq!(reasons(&d, "TH-004"), ["target worker-db no longer exists"]);
        assert_eq!(reasons(&d, "TH-006"), ["target changed from db to cache"]);

        let marked = mark_needs_review(&new, &d);
        assert_eq!(marked.threats.len(), new.threats.len());
        for (before, after) in new.threats.iter().zip(&marked.threats) {
            let expected = if ["TH-002", "TH-004", "TH-006"].contains(&before.id.as_str()) {
                ThreatStatus::NeedsReview
            } else {
                before.status
            };
            assert_eq!(after.status, expected, "{}", before.id);
            assert_eq!(
                Threat {
                    status: before.status,
                    ..after.clone()
                },
                *before
            );
        }
        // Everything but threat statuses is untouched.
        let mut unmarked = marked.clone();
        unmarked.threats = new.threats.clone();
        assert_eq!(unmarked, new);
    }

    #[test]
    fn other_changes_count_but_mark_nothing() {
        let old = base();
        let mut new = old.clone();
        new.threats.push(threat("TH-008", "api", "T"));
        new.threats[0].title = "Spoofed caller".into();
        new.review.went_well = "short".into();
        let d = diff(&old, &new);
        assert!(!d.is_empty());
        assert!(d.affected.is_empty());
        assert_eq!(
            d.other.lines(),
            [
                "+1 threat (TH-008)",
                "~1 threat changed (TH-001)",
                "~review notes changed"
            ]
        );
        assert_eq!(
            d.trigger(),
            "update: +1 threat (TH-008), ~1 threat changed (TH-001), ~review notes changed"
        );
        let text = d.to_text();
        assert!(text.starts_with("Summary: other changes\n"), "{text}");
        assert!(
            text.contains("\nOther changes\n  +1 threat (TH-008)\n"),
            "{text}"
        );
        // Element tables are described by the diff itself, not repeated as other changes.
        let mut moved = old.clone();
        component(&mut moved, "api").boundary = None;
        assert!(diff(&old, &moved).other.is_empty());
    }

    #[test]
    fn text_groups_sections_and_escapes_file_text() {
        let old = base();
        let mut new = old.clone();
        component(&mut new, "api").boundary = Some("internal".into());
        new.threats[0].title = "evil \u{1b}]0;pwned\u{7} title".into();
        let d = diff(&old, &new);
        let text = d.to_text();
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text}"
        );
        assert!(text.contains("evil \\e]0;pwned\\u{7} title"), "{text}");
        let expected = "\
Summary: 1 component changed, 1 component moved, 2 flows cross differently, 3 threats to review, other changes

Components
  ~ api (boundary): moved from dmz to internal

Boundary crossings changed
  api-worker  no longer crosses a boundary (crossed dmz, internal)
  user-api    crosses internal instead of dmz

Threats to review: 3 (a re-run marks them needs-review)
  TH-001  [open] on api: evil \\e]0;pwned\\u{7} title
      - api moved from dmz to internal
  TH-002  [resolved] on user-api: Tampered request
      - user-api touches api, which moved from dmz to internal
      - user-api crosses internal instead of dmz
  TH-003  [open] on api-worker: Job payload read
      - api-worker touches api, which moved from dmz to internal
      - api-worker no longer crosses a boundary (crossed dmz, internal)

Other changes
  ~1 threat changed (TH-001)
";
        assert_eq!(text, expected);
    }

    #[test]
    fn control_characters_in_ids_never_reach_the_terminal() {
        let old = base();
        let mut new = old.clone();
        let mut evil = new.components[0].clone();
        evil.id = "x\u{1b}[2J".into();
        evil.boundary = Some("dmz\u{202e}".into());
        new.components.push(evil);
        let d = diff(&old, &new);
        for out in [d.to_text(), d.trigger()] {
            assert!(
                !out.contains('\u{1b}') && !out.contains('\u{202e}'),
                "{out}"
            );
            // Escaped, not dropped: the new component is still named.
            assert!(out.contains("x\\e[2J"), "{out}");
        }
        assert_eq!(
            d.to_text(),
            "Summary: 1 component changed\n\nComponents\n  + x\\e[2J\n"
        );
    }

    #[test]
    fn json_has_a_stable_shape() {
        let old = base();
        let mut new = old.clone();
        component(&mut new, "cache").boundary = Some("dmz".into());
        new.threats[3].target = "cache".into();
        let j = diff(&old, &new).to_json();
        let keys: Vec<&str> = j
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = vec![
            "version",
            "changed",
            "trigger",
            "technology_changes",
            "scope_changes",
            "dismissals",
            "boundaries",
            "components",
            "flows",
            "assets",
            "moves",
            "crossing_changes",
            "new_crossings",
            "target_changes",
            "affected_threats",
            "other_changes",
        ];
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        expected.sort_unstable();
        assert_eq!(sorted, expected);
        assert_eq!(j["version"], 1);
        assert_eq!(j["changed"], true);
        assert_eq!(
            j["components"],
            json!({"added": [], "removed": [], "changed": [{"id": "cache", "fields": ["boundary"]}]})
        );
        assert_eq!(
            j["moves"],
            json!([{"component": "cache", "from": "internal", "to": "dmz"}])
        );
        assert_eq!(
            j["crossing_changes"],
            json!([{"flow": "worker-cache", "change": "newly-crossing", "old": [], "new": ["internal", "dmz"]}])
        );
        assert_eq!(
            j["new_crossings"],
            json!([{"flow": "worker-cache", "added": false, "boundaries": ["internal", "dmz"], "unaddressed": "STRIE"}])
        );
        assert_eq!(
            j["target_changes"],
            json!([{"threat": "TH-004", "change": "retargeted", "old_target": "worker-db", "new_target": "cache"}])
        );
        assert_eq!(j["affected_threats"][0]["id"], "TH-004");
        assert_eq!(j["affected_threats"][0]["status"], "open");
        assert_eq!(
            j["affected_threats"][0]["reasons"],
            json!([
                "target changed from worker-db to cache",
                "cache moved from internal to dmz"
            ])
        );
        assert_eq!(j["affected_threats"][1]["id"], "TH-007");
        assert_eq!(j["other_changes"], json!(["~1 threat changed (TH-004)"]));
    }

    #[test]
    fn technology_changes_are_listed_and_put_the_component_s_threats_in_question() {
        let mut old = base();
        component(&mut old, "worker").technology = Some(Technology::BatchJob);
        let mut new = old.clone();
        component(&mut new, "worker").technology = Some(Technology::Llm);
        component(&mut new, "cache").technology = Some(Technology::Cache);
        let d = diff(&old, &new);
        assert_eq!(
            d.technology
                .iter()
                .map(|t| format!("{} {}", t.component, t.describe()))
                .collect::<Vec<_>>(),
            [
                "cache technology set to cache",
                "worker technology batch-job, now llm"
            ]
        );
        assert_eq!(affected_ids(&d), ["TH-005"]);
        assert_eq!(
            reasons(&d, "TH-005"),
            ["worker technology batch-job, now llm"]
        );
        let text = d.to_text();
        assert!(
            text.contains("\nTechnology\n  cache   technology set to cache\n  worker  technology batch-job, now llm\n"),
            "{text}"
        );
        assert!(text.contains("2 technologies changed"), "{text}");
        assert_eq!(
            d.to_json()["technology_changes"][1],
            json!({"component": "worker", "old": "batch-job", "new": "llm"})
        );
        // Cleared.
        let mut cleared = old.clone();
        component(&mut cleared, "worker").technology = None;
        assert_eq!(
            diff(&old, &cleared).technology[0].describe(),
            "technology cleared (was batch-job)"
        );
    }

    #[test]
    fn dismissals_added_withdrawn_and_changed_are_listed_per_element() {
        let dismissal = |rule: &str, reason: &str, facts: &str| Dismissal {
            rule: rule.into(),
            reason: reason.into(),
            facts: facts.into(),
        };
        let mut old = base();
        flow(&mut old, "user-api").dismissed = vec![
            dismissal("flow-replay", "signed webhooks", "authenticated=true"),
            dismissal("flow-sniffing", "TLS everywhere", ""),
        ]
        .into();
        component(&mut old, "api").dismissed = vec![dismissal("web-xss", "no HTML", "")].into();
        let mut new = old.clone();
        flow(&mut new, "user-api").dismissed = vec![
            dismissal("flow-replay", "signed webhooks", "authenticated=false"),
            dismissal("flow-sniffing", "mTLS everywhere", ""),
            dismissal("flow-dos", "rate limited at the edge", ""),
        ]
        .into();
        component(&mut new, "api").dismissed.clear();
        let d = diff(&old, &new);
        let lines: Vec<String> = d
            .dismissals
            .iter()
            .map(|c| format!("{}: {}", c.element, c.describe()))
            .collect();
        assert_eq!(
            lines,
            [
                "api: dismissal of web-xss withdrawn (was \"no HTML\")",
                "user-api: dismissed flow-dos (\"rate limited at the edge\")",
                "user-api: dismissal of flow-replay renewed after the element changed (\"signed webhooks\")",
                "user-api: dismissal of flow-sniffing now says \"mTLS everywhere\" (was \"TLS everywhere\")",
            ]
        );
        // Dismissing puts no threat in question.
        assert!(d.affected.is_empty());
        let text = d.to_text();
        assert!(
            text.contains("Dismissed suggestions\n  api       dismissal of web-xss withdrawn"),
            "{text}"
        );
        assert!(text.contains("4 dismissals changed"), "{text}");
        let j = d.to_json();
        assert_eq!(
            j["dismissals"][1],
            json!({"element": "user-api", "rule": "flow-dos", "change": "added", "old_reason": null, "new_reason": "rate limited at the edge"})
        );
        assert_eq!(j["dismissals"][0]["change"], "withdrawn");
    }

    #[test]
    fn duplicate_ids_and_dangling_references_do_not_panic() {
        let mut old = base();
        old.components.push(old.components[1].clone());
        old.threats.push(old.threats[0].clone());
        let mut new = old.clone();
        new.flows[0].to = "ghost".into();
        new.components[1].boundary = Some("nowhere".into());
        let d = diff(&old, &new);
        assert!(!d.is_empty());
        let marked = mark_needs_review(&new, &d);
        assert_eq!(marked.threats.len(), new.threats.len());
        let _ = (d.to_text(), d.to_json(), d.trigger());
    }
}
