//! An open session: the file, its undo history, each question's screen state, and what is
//! derived from the model, computed once per change.

use super::diagram::DiagramLayout;
use super::screens::build::{BuildState, ListWidths, RowChange, Section};
use super::screens::respond::RespondState;
use super::screens::review::ReviewState;
use super::screens::threats::{self, ElementRow, ThreatsState};
use crate::analysis::{Analysis, FindingOptions, ModelGraph, Verdict, analyze_graph};
use crate::config::ProjectConfig;
use crate::model::edit::{Edit, History, Item, ItemTable};
use crate::model::{Problem, Session, StrideSet, ThreatStatus, validate};
use crate::rules::RuleSet;
use crate::store::LoadedSession;
use crate::store::autosave::{FormDraft, SessionLock};
use crate::tui::widgets::text::sanitized_width;
use chrono::NaiveDate;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Instant;

#[derive(Debug)]
pub struct SessionState {
    pub loaded: LoadedSession,
    pub history: History,
    /// The question on screen, 0 to 3.
    pub question: usize,
    pub build: BuildState,
    pub threats: ThreatsState,
    pub respond: RespondState,
    pub review: ReviewState,
    /// When the session clock started: once the opening dialogs (today's run, what changed,
    /// recovery) closed, so the time spent in them is not the team's.
    pub started: Option<Instant>,
    /// Today's run (by index) and its minutes when this app first recorded time in it: each
    /// save records those plus the time since the clock started, never counting twice.
    pub minutes_base: Option<(usize, Option<u32>)>,
    /// Time spent on each question's screen since the clock started, but for the time on the
    /// question on screen since `question_since`.
    pub question_time: [std::time::Duration; 4],
    pub question_since: Option<(usize, Instant)>,
    /// Derived from the session, refreshed in update when the revision changes.
    pub derived: Derived,
    /// What the edits since the last refresh touched, noted as they were applied: lets the
    /// refresh after a threat edit keep what only the rest of the model decides.
    pub touched: Option<Touched>,
    pub keep: Keeping,
    /// The lock that tells other instances this file is open here.
    pub lock: Option<SessionLock>,
    /// The project config (`.threatboard.toml`) that `check` would use for this file.
    pub config: ProjectConfig,
    /// Why the project config could not be read, for the status line (then defaults apply).
    pub config_error: Option<String>,
}

/// The edits that took the session from revision `from` to `to`, noted before each was
/// applied: the elements whose threats they may have changed, or `None` when one changed
/// more than threats and what hangs on them (see [`threat_targets`]); and how they changed
/// question 1's lists, or `None` when one replaced the session whole (see [`list_changes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Touched {
    pub from: u64,
    pub to: u64,
    pub targets: Option<BTreeSet<String>>,
    pub lists: Option<ListChanges>,
}

/// Per list of question 1 (by section, as `Section::ALL`), how its rows changed, in order.
pub type ListChanges = [Vec<RowChange>; 4];

impl Touched {
    /// Adds the edit from revision `from` to `to` that touched `targets` (see
    /// [`threat_targets`]) and changed the lists as `lists` says (see [`list_changes`]) to
    /// what `slot` noted; a gap since the last noted edit starts over.
    pub fn note(
        slot: &mut Option<Touched>,
        from: u64,
        to: u64,
        targets: Option<BTreeSet<String>>,
        lists: Option<ListChanges>,
    ) {
        match slot {
            Some(t) if t.to == from => {
                t.to = to;
                match (&mut t.targets, targets) {
                    (Some(noted), Some(more)) => noted.extend(more),
                    (noted, _) => *noted = None,
                }
                match (&mut t.lists, lists) {
                    (Some(noted), Some(more)) => {
                        for (noted, more) in noted.iter_mut().zip(more) {
                            noted.extend(more);
                        }
                    }
                    (noted, _) => *noted = None,
                }
            }
            _ => {
                *slot = Some(Touched {
                    from,
                    to,
                    targets,
                    lists,
                });
            }
        }
    }
}

/// How `edit` changes question 1's lists, row by row; `None` when it replaces the session
/// whole. A list shows more than its own table: a boundary's row counts its components and
/// names its parent, a component's row names its boundary, a flow's row says whether it
/// crosses a boundary (which the components and boundaries decide); those lists are remade
/// when that other table changes.
pub fn list_changes(edit: &Edit) -> Option<ListChanges> {
    fn follow(edit: &Edit, changes: &mut ListChanges) -> bool {
        let (table, change) = match edit {
            Edit::Insert { index, item } => (item.table(), RowChange::Inserted(*index)),
            Edit::Remove { table, index } => (*table, RowChange::Removed(*index)),
            Edit::Replace { index, item } => (item.table(), RowChange::Replaced(*index)),
            Edit::Move { table, from, to } => (
                *table,
                RowChange::Moved {
                    from: *from,
                    to: *to,
                },
            ),
            Edit::SetTitle(_)
            | Edit::SetDescription(_)
            | Edit::SetAgenda(_)
            | Edit::SetReview(_) => return true,
            Edit::Batch(edits) => return edits.iter().all(|e| follow(e, changes)),
            Edit::Whole(_) => return false,
        };
        let [boundaries, assets, components, flows] = changes;
        match table {
            ItemTable::Boundaries => {
                for list in [boundaries, components, flows] {
                    list.push(RowChange::Remade);
                }
            }
            ItemTable::Components => {
                components.push(change);
                boundaries.push(RowChange::Remade);
                flows.push(RowChange::Remade);
            }
            ItemTable::Assets => assets.push(change),
            ItemTable::Flows => flows.push(change),
            ItemTable::Runs
            | ItemTable::Threats
            | ItemTable::Mitigations
            | ItemTable::Acceptances
            | ItemTable::Assumptions => {}
        }
        true
    }
    let mut changes = ListChanges::default();
    follow(edit, &mut changes).then_some(changes)
}

/// The elements (by id) whose threats `edit` changes when applied to `s`; `None` when it
/// changes what the graph, the element list, the diagram and the rules' facts are made of
/// (boundaries, assets, components, flows, or the whole session). Runs, mitigations,
/// acceptances, assumptions and the session's own fields change none of those.
pub fn threat_targets(s: &Session, edit: &Edit) -> Option<BTreeSet<String>> {
    /// Follows `edit` on the threats' targets as `model::edit::apply` changes the threats,
    /// so that an index later in a batch finds the threat it will find then.
    fn follow<'a>(
        edit: &'a Edit,
        targets: &mut Vec<&'a str>,
        touched: &mut BTreeSet<String>,
    ) -> bool {
        let structural = |table: ItemTable| {
            matches!(
                table,
                ItemTable::Boundaries
                    | ItemTable::Assets
                    | ItemTable::Components
                    | ItemTable::Flows
            )
        };
        match edit {
            Edit::Insert { index, item } => match item {
                Item::Threat(t) => {
                    touched.insert(t.target.to_string());
                    targets.insert((*index).min(targets.len()), t.target.as_str());
                    true
                }
                other => !structural(other.table()),
            },
            Edit::Replace { index, item } => match item {
                Item::Threat(t) => {
                    let Some(old) = targets.get_mut(*index) else {
                        return false;
                    };
                    touched.insert((*old).to_string());
                    touched.insert(t.target.to_string());
                    *old = t.target.as_str();
                    true
                }
                other => !structural(other.table()),
            },
            Edit::Remove {
                table: ItemTable::Threats,
                index,
            } => {
                if *index >= targets.len() {
                    return false;
                }
                touched.insert(targets.remove(*index).to_string());
                true
            }
            Edit::Move {
                table: ItemTable::Threats,
                from,
                to,
            } => {
                if *from >= targets.len() || *to >= targets.len() {
                    return false;
                }
                let moved = targets.remove(*from);
                touched.insert(moved.to_string());
                targets.insert(*to, moved);
                true
            }
            Edit::Remove { table, .. } | Edit::Move { table, .. } => !structural(*table),
            Edit::SetTitle(_)
            | Edit::SetDescription(_)
            | Edit::SetAgenda(_)
            | Edit::SetReview(_) => true,
            Edit::Batch(edits) => edits.iter().all(|e| follow(e, targets, touched)),
            Edit::Whole(_) => false,
        }
    }
    let mut targets: Vec<&str> = s.threats.iter().map(|t| t.target.as_str()).collect();
    let mut touched = BTreeSet::new();
    follow(edit, &mut targets, &mut touched).then_some(touched)
}

/// Whether `problems` (what `validate` found) leave room for an id on two entries of a table
/// (`model::edit::duplicate_id`): validation reports every such id at the entry's `id`, or an
/// acceptance's at its `threat`. Without such a problem the scan of every id can be skipped.
pub fn may_have_duplicate_id(problems: &[Problem]) -> bool {
    problems.iter().any(|p| {
        p.location.field == Some("id")
            || (p.location.table == crate::model::Table::Acceptances
                && p.location.field == Some("threat"))
    })
}

/// What has been kept of the unsaved work so far: in the autosave file and in the crash copy.
#[derive(Debug, Default)]
pub struct Keeping {
    /// The revision last written to the autosave file, and when the next write is due.
    pub autosaved_revision: u64,
    pub autosave_due: Option<Instant>,
    /// The revision whose state the crash handlers hold (see `crash::remember_session`).
    pub crash_copy_revision: Option<u64>,
    /// The edits made since then, from the revision the first one applied to: handed to the
    /// crash handlers instead of a copy of the session (see `crash::remember_edits`). `None`
    /// when a change was not noted here (the next refresh copies the session).
    pub edits: Option<(u64, Vec<Edit>)>,
    /// The open form's unsubmitted values (`None` when no form is open or it is untouched),
    /// the values it opened with, and the drafts last handed to the autosave and crash copy.
    pub draft: Option<FormDraft>,
    pub form_pristine: Option<FormDraft>,
    pub autosaved_draft: Option<FormDraft>,
    pub crash_draft: Option<FormDraft>,
}

/// Everything the screens show that is computed from the model: built once per change from
/// one graph of the session, never while drawing. The costly parts that a single screen shows
/// (the diagram's layout, question 4's analysis) are made only while that screen is on view:
/// `None` until then, never a stale copy.
#[derive(Debug)]
pub struct Derived {
    pub revision: u64,
    /// Changes whenever anything here is made (a new revision, the rules changed, a part made
    /// on demand): what screens cache from it is current while the stamp is the same.
    pub stamp: u64,
    pub problems: Vec<Problem>,
    /// The diagram's layout: made while the diagram is on view.
    pub diagram: Option<DiagramLayout>,
    /// What `check` would find and say: made while question 4 is on view.
    pub checked: Option<Checked>,
    /// Per flow: whether it crosses a trust boundary.
    pub crossing: Vec<bool>,
    /// Question 2's element list: made (`elements_made`) while question 2 is on view or its
    /// walk is on, empty until then. Each element's count of open rule suggestions is set
    /// only once the counts are made (see `open_suggestions`).
    pub elements: Vec<ElementRow>,
    pub elements_made: bool,
    /// The widest of the elements' titles as drawn (sanitized): sizes question 2's list each
    /// frame without measuring thousands of titles. Titles change only with the model.
    pub elements_title_width: usize,
    /// Open rule suggestions over the whole model: counted (with each element's count) while
    /// question 2 is on view or its walk is on.
    pub open_suggestions: Option<usize>,
    /// Question 3's threat order: to review first, then by risk (indices into the threats).
    pub respond_order: Vec<usize>,
    /// Question 1's lists (by section, as `Section::ALL`): each row's and each column's
    /// natural width (`build::natural_widths`), measured when that list comes on view, then
    /// followed through the edits of its rows (a list that shows another table is measured
    /// again when that table changes). They depend on neither the screen's size nor the
    /// threats.
    pub list_widths: [Option<ListWidths>; 4],
}

/// The analysis of the model and what `check` would say, with the project config's threshold
/// and maximum age.
#[derive(Debug)]
pub struct Checked {
    pub analysis: Analysis,
    pub verdict: Verdict,
}

/// Which of the parts made on demand the screen on view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Wanted {
    pub diagram: bool,
    pub checked: bool,
    /// Question 2's element list.
    pub elements: bool,
    /// Question 1's lists' column widths, by section.
    pub list_widths: [bool; 4],
    /// The open rule suggestions counted per element (on the element list, so with it).
    pub suggestions: bool,
}

impl Wanted {
    pub const ALL: Wanted = Wanted {
        diagram: true,
        checked: true,
        elements: true,
        list_widths: [true; 4],
        suggestions: true,
    };
}

impl Keeping {
    /// Notes the edit that took the session from revision `from` to the next, for the crash
    /// handlers; `None` for a change too large to keep as an edit (the session replaced
    /// whole), which the next refresh copies instead.
    pub fn note_edit(&mut self, from: u64, edit: Option<Edit>) {
        match (&mut self.edits, edit) {
            (Some((start, edits)), Some(edit)) if *start + edits.len() as u64 == from => {
                edits.push(edit);
            }
            (_, Some(edit)) => self.edits = Some((from, vec![edit])),
            (_, None) => self.edits = None,
        }
    }
}

/// The edit as the crash handlers keep it: `None` when it carries a whole session, which is
/// as costly to copy as the session it replaces.
pub fn kept_edit(edit: &Edit) -> Option<Edit> {
    fn whole(edit: &Edit) -> bool {
        match edit {
            Edit::Whole(_) => true,
            Edit::Batch(edits) => edits.iter().any(whole),
            _ => false,
        }
    }
    (!whole(edit)).then(|| edit.clone())
}

impl Derived {
    /// Everything, the parts made on demand included.
    pub fn compute(
        session: &Session,
        revision: u64,
        today: NaiveDate,
        rules: &RuleSet,
        config: &ProjectConfig,
    ) -> Self {
        Self::compute_wanted(session, revision, today, rules, config, Wanted::ALL)
    }

    /// What every screen needs, and of the parts made on demand those `wanted`.
    pub fn compute_wanted(
        session: &Session,
        revision: u64,
        today: NaiveDate,
        rules: &RuleSet,
        config: &ProjectConfig,
        wanted: Wanted,
    ) -> Self {
        Self::compute_following(session, revision, today, rules, config, wanted, None)
    }

    /// As [`Derived::compute_wanted`], with question 1's lists measured before the changes
    /// `lists` (the old derivation's `list_widths`, and how the edits since changed each
    /// list) measured again only where a row changed.
    fn compute_following(
        session: &Session,
        revision: u64,
        today: NaiveDate,
        rules: &RuleSet,
        config: &ProjectConfig,
        wanted: Wanted,
        lists: Option<([Option<ListWidths>; 4], &ListChanges)>,
    ) -> Self {
        let graph = ModelGraph::new(session);
        let crossing = crossing_of(&graph, session);
        let problems = validate(session);
        let mut derived = Derived {
            revision,
            stamp: next_stamp(),
            problems,
            diagram: None,
            checked: None,
            elements: Vec::new(),
            elements_made: false,
            elements_title_width: 0,
            open_suggestions: None,
            respond_order: super::screens::respond::ordered(session),
            crossing,
            list_widths: Default::default(),
        };
        if let Some((before, changes)) = lists {
            let crossing = |i: usize| derived.crossing.get(i).copied().unwrap_or(false);
            for (((made, before), changes), section) in derived
                .list_widths
                .iter_mut()
                .zip(before)
                .zip(changes)
                .zip(Section::ALL)
            {
                *made = before.and_then(|b| b.follow(session, section, &crossing, changes));
            }
        }
        derived.complete_with(&graph, today, rules, config, wanted);
        derived
    }

    /// Makes the parts `wanted` that are not made yet (for the same revision of `session`).
    pub fn complete(
        &mut self,
        session: &Session,
        today: NaiveDate,
        rules: &RuleSet,
        config: &ProjectConfig,
        wanted: Wanted,
    ) {
        if !self.has(wanted) {
            let graph = ModelGraph::new(session);
            self.complete_with(&graph, today, rules, config, wanted);
        }
    }

    /// Brings what is derived to `revision` after edits that changed only threats (on the
    /// elements `targets`) and what hangs on them (see [`threat_targets`]): the graph-made
    /// parts (crossings, the diagram, each element's applicable letters and title) are kept,
    /// the touched elements' covered letters and open suggestions counted again, the rest
    /// made again. `false`, changing nothing, where that would not be what a from-scratch
    /// derivation makes (an element's review flag changed, which moves it in the list, or an
    /// id is on two elements): then derive everything.
    /// A graph of `session` made to count is left in `graph` for the caller's use.
    pub fn after_threat_edits<'s>(
        &mut self,
        session: &'s Session,
        revision: u64,
        targets: &BTreeSet<String>,
        rules: &RuleSet,
        graph: &mut Option<ModelGraph<'s>>,
    ) -> bool {
        // Each touched element's threats as `threats::elements` reads them.
        let mut state: HashMap<&str, (StrideSet, bool)> = targets
            .iter()
            .map(|id| (id.as_str(), (StrideSet::empty(), false)))
            .collect();
        for t in &session.threats {
            if let Some(entry) = state.get_mut(t.target.as_str()) {
                if t.status == ThreatStatus::NeedsReview {
                    entry.1 = true;
                } else {
                    entry.0 = entry.0.union(&t.stride);
                }
            }
        }
        let mut rows: Vec<(usize, StrideSet)> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        // An element list not made has no rows to keep (and no counts).
        for (i, row) in self.elements.iter().enumerate() {
            if let Some((covered, needs_review)) = state.get(row.id.as_str()) {
                if !seen.insert(row.id.as_str()) || *needs_review != row.needs_review {
                    return false;
                }
                rows.push((i, covered.clone()));
            }
        }
        let counting = self.open_suggestions.is_some();
        let graph = (counting && !rows.is_empty() && !rules.is_empty())
            .then(|| &*graph.get_or_insert_with(|| ModelGraph::new(session)));
        for (i, covered) in rows {
            let Some(row) = self.elements.get_mut(i) else {
                continue;
            };
            row.covered = covered;
            if let Some(graph) = graph {
                row.open_suggestions = open_on(graph, rules, &row.id);
            }
        }
        if counting {
            self.open_suggestions = Some(self.elements.iter().map(|r| r.open_suggestions).sum());
        }
        self.revision = revision;
        self.stamp = next_stamp();
        self.problems = validate(session);
        self.checked = None;
        self.respond_order = super::screens::respond::ordered(session);
        true
    }

    /// Whether the parts `wanted` are made.
    pub fn has(&self, wanted: Wanted) -> bool {
        (!wanted.diagram || self.diagram.is_some())
            && (!wanted.checked || self.checked.is_some())
            && (!wanted.elements || self.elements_made)
            && wanted
                .list_widths
                .iter()
                .zip(&self.list_widths)
                .all(|(wanted, made)| !wanted || made.is_some())
            && (!wanted.suggestions || self.open_suggestions.is_some())
    }

    fn complete_with(
        &mut self,
        graph: &ModelGraph<'_>,
        today: NaiveDate,
        rules: &RuleSet,
        config: &ProjectConfig,
        wanted: Wanted,
    ) {
        if !self.has(wanted) {
            self.stamp = next_stamp();
        }
        if (wanted.elements || wanted.suggestions) && !self.elements_made {
            // About 2 ms at a thousand components, and only question 2 shows it.
            self.elements = threats::elements(graph, &self.crossing);
            self.elements_made = true;
            self.elements_title_width = self
                .elements
                .iter()
                .map(|row| sanitized_width(&row.title))
                .max()
                .unwrap_or(0);
        }
        if wanted.suggestions && self.open_suggestions.is_none() {
            // Counting open suggestions writes no text, but it runs every rule on every
            // element: milliseconds for a thousand components (benches/tui.rs,
            // `open_counts_whole_model`). The selected element's suggestions are written out by
            // question 2 itself.
            let counts = rules.open_counts(graph);
            for row in &mut self.elements {
                row.open_suggestions = counts.get(row.id.as_str()).copied().unwrap_or(0);
            }
            self.open_suggestions = Some(counts.values().sum());
        }
        for (section, (wanted, made)) in Section::ALL
            .iter()
            .zip(wanted.list_widths.iter().zip(&mut self.list_widths))
        {
            if *wanted && made.is_none() {
                let crossing = |i: usize| self.crossing.get(i).copied().unwrap_or(false);
                *made = Some(ListWidths::measure(graph.session, *section, &crossing));
            }
        }
        if wanted.diagram && self.diagram.is_none() {
            self.diagram = Some(DiagramLayout::from_graph(graph));
        }
        if wanted.checked && self.checked.is_none() {
            let options = FindingOptions {
                today,
                max_age_days: config.max_age_or(None),
                rules: Some(rules),
            };
            let analysis = analyze_graph(graph, &options);
            let verdict = Verdict::of(
                &analysis.findings,
                self.problems.len(),
                config.fail_on_or(None),
            );
            self.checked = Some(Checked { analysis, verdict });
        }
    }
}

/// How many of the rules' suggestions for element `id` are open: what `RuleSet::open_counts`
/// counts for it.
fn open_on(graph: &ModelGraph<'_>, rules: &RuleSet, id: &str) -> usize {
    rules
        .suggest(graph, Some(id))
        .iter()
        .filter(|s| s.state.is_open())
        .count()
}

/// A stamp no `Derived` had before: the same revision is derived again when the rules change.
fn next_stamp() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

fn crossing_of(graph: &ModelGraph<'_>, session: &Session) -> Vec<bool> {
    (0..session.flows.len())
        .map(|i| graph.crosses_boundary(i))
        .collect()
}

impl SessionState {
    pub fn new(loaded: LoadedSession, today: NaiveDate, rules: &RuleSet) -> Self {
        // Read once when the session opens, as `check` reads it once per run.
        let (config, config_error) = match crate::config::for_session(&loaded.path) {
            Ok(config) => (config, None),
            Err(e) => (ProjectConfig::default(), Some(e.to_string())),
        };
        // The first screen is question 1's list: neither the diagram nor question 4.
        let derived =
            Derived::compute_wanted(&loaded.session, 0, today, rules, &config, Wanted::default());
        let mut threats = ThreatsState::default();
        threats.after_change(&loaded.session, &derived, rules);
        SessionState {
            loaded,
            history: History::new(),
            question: 0,
            build: BuildState::default(),
            threats,
            respond: RespondState::default(),
            review: ReviewState::default(),
            started: None,
            minutes_base: None,
            question_time: Default::default(),
            question_since: None,
            derived,
            touched: None,
            keep: Keeping::default(),
            lock: None,
            config,
            config_error,
        }
    }

    pub fn session(&self) -> &Session {
        &self.loaded.session
    }

    /// Starts the clock (once), and moves the time on the question left to its total.
    pub fn tick_clock(&mut self, now: Instant) {
        if self.started.is_none() {
            self.started = Some(now);
        }
        match self.question_since {
            Some((q, _)) if q == self.question => {}
            Some((q, since)) => {
                if let Some(spent) = self.question_time.get_mut(q) {
                    *spent += now.saturating_duration_since(since);
                }
                self.question_since = Some((self.question, now));
            }
            None => self.question_since = Some((self.question, now)),
        }
    }

    /// Time spent on question `q` so far.
    pub fn time_on(&self, q: usize, now: Instant) -> std::time::Duration {
        let spent = self.question_time.get(q).copied().unwrap_or_default();
        match self.question_since {
            Some((current, since)) if current == q => spent + now.saturating_duration_since(since),
            _ => spent,
        }
    }

    /// The parts made on demand that the screen on view shows.
    pub fn wanted(&self) -> Wanted {
        Wanted {
            diagram: self.question == 0 && self.build.section == Section::Diagram,
            checked: self.question == 3,
            elements: self.question == 1 || self.threats.walk.is_some(),
            list_widths: std::array::from_fn(|i| {
                self.question == 0 && self.build.section_index() == Some(i)
            }),
            suggestions: self.question == 1 || self.threats.walk.is_some(),
        }
    }

    /// Brings what is derived up to date after a change (a no-op when nothing changed), and
    /// makes what the screen on view shows if it is not made yet.
    pub fn refresh_derived(&mut self, today: NaiveDate, rules: &RuleSet) {
        let revision = self.history.revision();
        if self.derived.revision != revision {
            let touched = self.touched.take();
            // Made at most once for the counts and the selected element's suggestions.
            let mut graph = None;
            let mut lists = None;
            let kept = match touched {
                Some(Touched {
                    from,
                    to,
                    targets,
                    lists: changes,
                }) if from == self.derived.revision && to == revision => {
                    lists = changes;
                    match targets {
                        Some(targets) => self.derived.after_threat_edits(
                            &self.loaded.session,
                            revision,
                            &targets,
                            rules,
                            &mut graph,
                        ),
                        None => false,
                    }
                }
                _ => false,
            };
            if kept {
                let wanted = self.wanted();
                self.derived
                    .complete(&self.loaded.session, today, rules, &self.config, wanted);
                self.threats.after_change_with(
                    &self.loaded.session,
                    &self.derived,
                    rules,
                    graph.as_ref(),
                );
                self.respond
                    .follow_walk(&self.loaded.session, &self.derived);
            } else {
                self.recompute_following(today, rules, lists.as_ref());
            }
        } else {
            let wanted = self.wanted();
            self.derived
                .complete(&self.loaded.session, today, rules, &self.config, wanted);
            if wanted.suggestions {
                // The selected element's suggestions, written out when question 2 comes on
                // view (a no-op when they are up to date).
                self.threats
                    .sync(&self.loaded.session, &self.derived, rules);
            }
        }
    }

    /// Derives everything again, whether or not the session changed (the rules did).
    pub fn recompute(&mut self, today: NaiveDate, rules: &RuleSet) {
        self.recompute_following(today, rules, None);
    }

    /// Derives everything again after edits that changed question 1's lists as `lists` says
    /// (from the revision derived last): the lists' widths measured then are kept where their
    /// rows did not change. With `None`, everything from scratch.
    fn recompute_following(
        &mut self,
        today: NaiveDate,
        rules: &RuleSet,
        lists: Option<&ListChanges>,
    ) {
        let before = lists.map(|changes| (std::mem::take(&mut self.derived.list_widths), changes));
        self.derived = Derived::compute_following(
            &self.loaded.session,
            self.history.revision(),
            today,
            rules,
            &self.config,
            self.wanted(),
            before,
        );
        self.threats
            .after_change(&self.loaded.session, &self.derived, rules);
        self.respond
            .follow_walk(&self.loaded.session, &self.derived);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::app::{App, keys};
    use crate::tui::screens::threats::suggestions_for;
    use crate::tui::theme::Theme;
    use crate::tui::view;
    use proptest::prelude::*;

    /// Two zones, a crossing flow, threats to reorder and rate: every part of `Derived` has
    /// something to show. Today's run is recorded, so no run form opens.
    const SESSION: &str = r#"schema = 1
title = "Shop"

[[runs]]
date = 2026-11-01

[[boundaries]]
id = "internet"
name = "Internet"

[[boundaries]]
id = "dc"
name = "Data centre"

[[assets]]
id = "cards"
name = "Cards"
classification = "restricted"

[[components]]
id = "browser"
name = "Browser"
kind = "external-entity"
boundary = "internet"

[[components]]
id = "api"
name = "API"
kind = "process"
boundary = "dc"

[[components]]
id = "worker"
name = "Worker"
kind = "process"
boundary = "dc"

[[components]]
id = "db"
name = "Orders DB"
kind = "data-store"
boundary = "dc"
assets = ["cards"]

[[flows]]
id = "browser-api"
from = "browser"
to = "api"
label = "Orders"
assets = ["cards"]

[[flows]]
id = "api-db"
from = "api"
to = "db"
label = "SQL"
authenticated = true

[[flows]]
id = "worker-db"
from = "worker"
to = "db"
label = "Jobs"
encrypted = true

[[threats]]
id = "TH-001"
target = "api"
title = "Forged orders"
stride = "S"
likelihood = 2
impact = 3
response = "mitigate"

[[threats]]
id = "TH-002"
target = "db"
title = "Orders read"
stride = "I"
likelihood = 1
impact = 2
response = "undecided"
"#;

    fn app() -> App {
        let (session, _) = crate::store::parse(SESSION).expect("the test session parses");
        let today = NaiveDate::from_ymd_opt(2026, 11, 1).expect("a date");
        let mut app = App::open(
            LoadedSession::unsaved(session, "sessions/shop.toml"),
            Theme::plain(),
            today,
        );
        app.use_libraries(crate::tui::tests::test_libraries(""));
        assert!(app.modal.is_none(), "no dialog opens: {:?}", app.modal);
        app
    }

    fn state(app: &App) -> &SessionState {
        app.session().expect("a session is open")
    }

    /// What the app holds is what a from-scratch derivation of the same session says, for
    /// every part it holds; and what the screen on view shows is made.
    fn assert_as_from_scratch(app: &App) {
        let s = state(app);
        assert_eq!(s.derived.revision, s.history.revision());
        assert!(
            s.derived.has(s.wanted()),
            "the screen on view (question {}) shows what is made",
            s.question + 1
        );
        let rules = app.libraries.rules();
        let fresh = Derived::compute(
            s.session(),
            s.history.revision(),
            app.today,
            rules,
            &s.config,
        );
        assert_eq!(s.derived.problems, fresh.problems);
        assert_eq!(s.derived.crossing, fresh.crossing);
        assert_eq!(s.derived.respond_order, fresh.respond_order);
        assert!(fresh.elements_made);
        if s.derived.elements_made {
            assert_eq!(s.derived.elements_title_width, fresh.elements_title_width);
        }
        if !s.derived.elements_made {
            // Not made off question 2: nothing kept that could be stale.
            assert!(s.derived.elements.is_empty());
            assert!(s.derived.open_suggestions.is_none());
        }
        match s.derived.open_suggestions {
            _ if !s.derived.elements_made => {}
            Some(open) => {
                assert_eq!(Some(open), fresh.open_suggestions);
                assert_eq!(s.derived.elements, fresh.elements);
            }
            None => {
                let uncounted: Vec<ElementRow> = fresh
                    .elements
                    .iter()
                    .cloned()
                    .map(|row| ElementRow {
                        open_suggestions: 0,
                        ..row
                    })
                    .collect();
                assert_eq!(s.derived.elements, uncounted);
            }
        }
        for (made, expected) in s.derived.list_widths.iter().zip(&fresh.list_widths) {
            if made.is_some() {
                assert_eq!(made, expected);
            }
        }
        if let Some(diagram) = &s.derived.diagram {
            assert_eq!(Some(diagram), fresh.diagram.as_ref());
        }
        if let (Some(checked), Some(expected)) = (&s.derived.checked, &fresh.checked) {
            assert_eq!(
                format!("{:?}", checked.analysis),
                format!("{:?}", expected.analysis)
            );
            assert_eq!(checked.verdict.to_string(), expected.verdict.to_string());
        }
        // Question 2's suggestions for the selected element, once written out for this
        // revision, are the element's suggestions now.
        if s.question == 1
            && let Some(row) = s.threats.row(&s.derived)
        {
            let now = suggestions_for(&ModelGraph::new(s.session()), rules, &row.id);
            assert_eq!(format!("{:?}", s.threats.suggestions()), format!("{now:?}"));
        }
    }

    #[test]
    fn an_edit_off_question_4_drops_its_analysis_and_question_4_makes_it_again() {
        let mut app = app();
        assert!(
            state(&app).derived.checked.is_none(),
            "not made on question 1"
        );
        keys(&mut app, "4");
        let before = state(&app)
            .derived
            .checked
            .as_ref()
            .map(|c| c.verdict.to_string());
        assert!(before.is_some(), "made on question 4");
        // On question 1: the first component moved down, then the flows' first one deleted.
        keys(&mut app, "1lJ");
        assert!(
            state(&app).derived.checked.is_none(),
            "never a stale analysis"
        );
        assert_as_from_scratch(&app);
        keys(&mut app, "4");
        assert!(state(&app).derived.checked.is_some());
        assert_as_from_scratch(&app);
    }

    #[test]
    fn the_diagram_is_laid_out_while_on_view_and_again_after_an_undo() {
        let mut app = app();
        assert!(
            state(&app).derived.diagram.is_none(),
            "not made on the list"
        );
        keys(&mut app, "llll");
        assert_eq!(
            state(&app).build.section,
            crate::tui::screens::build::Section::Diagram
        );
        let shown = state(&app).derived.diagram.clone();
        assert!(shown.is_some(), "made when the diagram comes on view");
        // Back to the flows (← leaves the diagram), the first one moved down.
        keys(&mut app, "<left>J");
        assert_eq!(state(&app).history.revision(), 1);
        assert!(
            state(&app).derived.diagram.is_none(),
            "dropped with the change"
        );
        keys(&mut app, "l");
        assert_as_from_scratch(&app);
        keys(&mut app, "<left>u");
        assert_eq!(state(&app).history.revision(), 2);
        keys(&mut app, "l");
        assert_as_from_scratch(&app);
        assert_eq!(
            state(&app).derived.diagram,
            shown,
            "the same model, the same layout"
        );
    }

    #[test]
    fn suggestions_are_counted_when_question_2_comes_on_view() {
        let mut app = app();
        assert_eq!(state(&app).derived.open_suggestions, None);
        keys(&mut app, "2");
        let open = state(&app).derived.open_suggestions;
        assert!(open.is_some_and(|n| n > 0), "{open:?}");
        assert!(!state(&app).threats.suggestions().is_empty());
        assert_as_from_scratch(&app);
    }

    #[test]
    fn the_element_list_is_made_when_question_2_comes_on_view_and_dropped_by_a_model_edit() {
        let mut app = app();
        assert!(!state(&app).derived.elements_made, "not made on question 1");
        assert!(state(&app).derived.elements.is_empty());
        keys(&mut app, "2");
        assert!(state(&app).derived.elements_made);
        assert_as_from_scratch(&app);
        // Back on question 1 a component moved down: the list goes with the change, and comes
        // back (as from scratch) with question 2, after the undo and the redo too.
        keys(&mut app, "1lJ");
        assert!(
            !state(&app).derived.elements_made,
            "dropped with the change"
        );
        assert_as_from_scratch(&app);
        for step in ["2", "1u", "2", "1<C-r>", "2"] {
            keys(&mut app, step);
            assert_eq!(state(&app).derived.elements_made, step.ends_with('2'));
            assert_as_from_scratch(&app);
        }
    }

    #[test]
    fn a_jump_from_question_4_to_an_element_makes_question_2_list_and_selects_it() {
        let mut app = app();
        keys(&mut app, "4");
        assert!(!state(&app).derived.elements_made);
        app.goto(&crate::tui::screens::Goto::Threats("worker".into()));
        let s = state(&app);
        assert_eq!(s.question, 1);
        assert_eq!(
            s.threats.row(&s.derived).map(|r| r.id.as_str()),
            Some("worker")
        );
        assert_as_from_scratch(&app);
    }

    /// Question 1's list drawn with the column widths measured in update is the list drawn
    /// with them measured while drawing, at every size, after edits, undos and redos.
    #[test]
    fn question_1_lists_with_cached_widths_draw_as_measured_ones_at_any_size() {
        use crate::tui::app::Screen;
        use crate::tui::tests::screen_of;
        let mut app = app();
        let mut seen = BTreeSet::new();
        for step in [
            "", "J", "u", "<left>", "J", "<left>", "J", "<C-r>", "l", "l", "l", "J", "u", "<C-r>",
        ] {
            keys(&mut app, step);
            assert_as_from_scratch(&app);
            let section = state(&app).build.section_index();
            let widths = section.and_then(|i| state(&app).derived.list_widths[i].clone());
            assert!(widths.is_some(), "made for the list on view ({section:?})");
            seen.insert(section);
            for (width, height) in [(120, 40), (80, 24), (50, 12), (200, 60)] {
                let cached = screen_of(width, height, |f| view::draw(&app, f));
                let Screen::Session(s) = &mut app.screen else {
                    panic!("a session is open");
                };
                let kept = std::mem::take(&mut s.derived.list_widths);
                let measured = screen_of(width, height, |f| view::draw(&app, f));
                let Screen::Session(s) = &mut app.screen else {
                    panic!("a session is open");
                };
                s.derived.list_widths = kept;
                assert_eq!(cached, measured, "{width}x{height} after {step:?}");
            }
        }
        assert_eq!(seen.len(), 4, "every list on view: {seen:?}");
    }

    /// The session's threat `index`, changed by `change`.
    fn threat_with(
        app: &App,
        index: usize,
        change: impl FnOnce(&mut crate::model::Threat),
    ) -> Item {
        let mut threat = state(app).session().threats[index].clone();
        change(&mut threat);
        Item::Threat(threat)
    }

    /// Applies `edit` as the app does, then undoes and redoes it: after each step what the app
    /// holds is what a from-scratch derivation says.
    fn apply_undo_redo(app: &mut App, edit: Edit) {
        let before = state(app).history.revision();
        app.apply_unguarded(edit, "changed");
        assert_ne!(state(app).history.revision(), before, "the edit applied");
        assert_as_from_scratch(app);
        keys(app, "u");
        assert_as_from_scratch(app);
        keys(app, "<C-r>");
        assert_as_from_scratch(app);
    }

    /// Every kind of edit, on question 2 (its open suggestions counted) and on question 1,
    /// each undone and redone: threat edits take the short way, the others derive everything.
    #[test]
    fn what_is_derived_after_each_kind_of_edit_is_as_from_scratch() {
        for question in ["2", "1"] {
            let mut app = app();
            keys(&mut app, question);
            let rules = app.libraries.rules().clone();
            let session = state(&app).session().clone();
            let graph = ModelGraph::new(&session);
            let (target, open) = session
                .components
                .iter()
                .map(|c| c.id.to_string())
                .chain(session.flows.iter().map(|f| f.id.to_string()))
                .find_map(|id| {
                    let open = suggestions_for(&graph, &rules, &id)
                        .into_iter()
                        .find(|v| v.state.is_open())?;
                    Some((id, open))
                })
                .expect("an element with an open suggestion");
            // A threat from a suggestion: the element's open count falls by one.
            let from_rule = super::threats::suggested_threat(&session, &target, &open);
            let edits = vec![
                // Likelihood, as L does.
                Edit::Replace {
                    index: 0,
                    item: threat_with(&app, 0, |t| {
                        t.likelihood = Some(crate::model::Rating::HIGH);
                    }),
                },
                // Moved to another element: both elements change.
                Edit::Replace {
                    index: 0,
                    item: threat_with(&app, 0, |t| t.target = "worker".into()),
                },
                Edit::Insert {
                    index: usize::MAX,
                    item: Item::Threat(from_rule.clone()),
                },
                Edit::Remove {
                    table: ItemTable::Threats,
                    index: 1,
                },
                Edit::Move {
                    table: ItemTable::Threats,
                    from: 0,
                    to: 1,
                },
                // Flagged for review: the element moves up the list.
                Edit::Replace {
                    index: 1,
                    item: threat_with(&app, 1, |t| t.status = ThreatStatus::NeedsReview),
                },
                // A batch whose second index finds what the first edit moved there.
                Edit::Batch(vec![
                    Edit::Insert {
                        index: 0,
                        item: Item::Threat(crate::model::Threat {
                            id: "TH-900".into(),
                            ..from_rule.clone()
                        }),
                    },
                    Edit::Replace {
                        index: 1,
                        item: threat_with(&app, 0, |t| t.target = "browser-api".into()),
                    },
                ]),
                Edit::SetTitle("Shop, again".into()),
                // The model itself: a component renamed, a flow added, a boundary removed.
                Edit::Replace {
                    index: 1,
                    item: {
                        let mut api = session.components[1].clone();
                        api.name = "Gateway".into();
                        Item::Component(api)
                    },
                },
                Edit::Insert {
                    index: usize::MAX,
                    item: {
                        let mut flow = session.flows[0].clone();
                        flow.id = "browser-worker".into();
                        flow.to = "worker".into();
                        Item::Flow(flow)
                    },
                },
                Edit::Remove {
                    table: ItemTable::Boundaries,
                    index: 0,
                },
                // Replaced whole, as a merge or recovered work does.
                Edit::Whole(Box::new({
                    let mut other = session.clone();
                    other.components.retain(|c| c.id.as_str() != "worker");
                    other.flows.retain(|f| f.id.as_str() != "worker-db");
                    other
                })),
            ];
            for edit in edits {
                apply_undo_redo(&mut app, edit);
            }
        }
    }

    /// Question 1's lists measured once keep their widths through edits of their rows, each
    /// undone and redone: a changed row is measured again, the rest are kept, and the widths
    /// are what measuring the whole list says (a removed widest row narrows its column).
    #[test]
    fn list_widths_followed_row_by_row_are_as_measured_whole() {
        let mut app = app();
        // Every list on view once (boundaries, assets, components, flows): all measured.
        keys(&mut app, "hhlll");
        let all_measured = |app: &App| state(app).derived.list_widths.iter().all(Option::is_some);
        assert!(all_measured(&app));
        let session = state(&app).session().clone();
        let flow = |id: &str, label: &str| {
            let mut flow = session.flows[0].clone();
            flow.id = id.into();
            flow.label = label.into();
            Item::Flow(flow)
        };
        let asset = |id: &str, name: &str| {
            let mut asset = session.assets[0].clone();
            asset.id = id.into();
            asset.name = name.into();
            Item::Asset(asset)
        };
        let threat = || {
            let mut threat = session.threats[0].clone();
            threat.id = "TH-777".into();
            Item::Threat(threat)
        };
        let kept_edits = vec![
            // As the quick-add line adds a flow: appended, here wider than any other.
            Edit::put(
                None,
                flow("a-flow-id-wider-than-any-other", "Wider label than any"),
            ),
            Edit::Insert {
                index: 1,
                item: flow("x", "y"),
            },
            // The widest row replaced by a narrower one, and one widened.
            Edit::Replace {
                index: 0,
                item: flow("b", "c"),
            },
            Edit::Replace {
                index: 2,
                item: flow("worker-db", "Jobs, and a label far longer than before"),
            },
            Edit::Remove {
                table: ItemTable::Flows,
                index: 0,
            },
            Edit::Move {
                table: ItemTable::Flows,
                from: 0,
                to: 2,
            },
            Edit::Batch(vec![
                Edit::Insert {
                    index: 0,
                    item: flow("first-of-a-batch-and-wide", "z"),
                },
                Edit::Move {
                    table: ItemTable::Flows,
                    from: 0,
                    to: 3,
                },
                Edit::Remove {
                    table: ItemTable::Flows,
                    index: 1,
                },
                Edit::Insert {
                    index: usize::MAX,
                    item: asset("keys", "Signing keys of the payment provider"),
                },
            ]),
            Edit::Remove {
                table: ItemTable::Assets,
                index: 0,
            },
            Edit::Insert {
                index: usize::MAX,
                item: threat(),
            },
            Edit::SetTitle("Shop, again".into()),
        ];
        for edit in kept_edits {
            let before = state(&app).history.revision();
            app.apply_unguarded(edit.clone(), "changed");
            assert_ne!(state(&app).history.revision(), before, "{edit:?} applied");
            assert!(all_measured(&app), "kept through {edit:?}");
            assert_as_from_scratch(&app);
            for step in ["u", "<C-r>"] {
                keys(&mut app, step);
                assert!(all_measured(&app), "kept through {edit:?} and {step}");
                assert_as_from_scratch(&app);
            }
        }
        // A component renamed: the components' list follows it, the flows' list (on view) is
        // measured again; the boundaries' list (it counts components) is made again on view.
        let mut api = state(&app).session().components[1].clone();
        api.name = "A gateway with a longer name than the rest".into();
        apply_undo_redo(
            &mut app,
            Edit::Replace {
                index: 1,
                item: Item::Component(api),
            },
        );
        let widths = &state(&app).derived.list_widths;
        assert!(widths[2].is_some() && widths[3].is_some());
        assert!(widths[0].is_none(), "never a stale count");
        keys(&mut app, "hhh");
        assert!(all_measured(&app));
        assert_as_from_scratch(&app);
    }

    /// A threat edit keeps what only the rest of the model decides: the diagram laid out
    /// before it stays, and is the layout a from-scratch derivation makes.
    #[test]
    fn a_threat_edit_keeps_the_diagram_and_a_component_edit_drops_it() {
        let mut app = app();
        keys(&mut app, "llll");
        assert!(state(&app).derived.diagram.is_some(), "made on view");
        keys(&mut app, "2");
        let likelier = threat_with(&app, 0, |t| t.likelihood = Some(crate::model::Rating::LOW));
        app.apply_unguarded(
            Edit::Replace {
                index: 0,
                item: likelier,
            },
            "rated",
        );
        assert!(state(&app).derived.diagram.is_some(), "kept");
        assert_as_from_scratch(&app);
        let mut db = state(&app).session().components[3].clone();
        db.name = "Orders".into();
        app.apply_unguarded(
            Edit::Replace {
                index: 3,
                item: Item::Component(db),
            },
            "renamed",
        );
        assert!(state(&app).derived.diagram.is_none(), "made again on view");
        assert_as_from_scratch(&app);
    }

    #[test]
    fn threat_targets_follow_a_batch_and_refuse_model_edits() {
        let (session, _) = crate::store::parse(SESSION).expect("parses");
        let mut on_worker = session.threats[0].clone();
        on_worker.target = "worker".into();
        // The insert at 0 moves the API's threat to index 1, which the removal then finds.
        let batch = Edit::Batch(vec![
            Edit::Insert {
                index: 0,
                item: Item::Threat(on_worker),
            },
            Edit::Remove {
                table: ItemTable::Threats,
                index: 1,
            },
        ]);
        let touched: Vec<String> = threat_targets(&session, &batch)
            .expect("threats only")
            .into_iter()
            .collect();
        assert_eq!(touched, ["api", "worker"]);
        assert_eq!(
            threat_targets(
                &session,
                &Edit::Remove {
                    table: ItemTable::Threats,
                    index: 5
                }
            ),
            None,
            "no such threat: derive everything"
        );
        let rename = Edit::Replace {
            index: 0,
            item: Item::Component(session.components[0].clone()),
        };
        assert_eq!(threat_targets(&session, &rename), None);
        assert_eq!(
            threat_targets(&session, &Edit::SetTitle("x".into())),
            Some(BTreeSet::new())
        );
    }

    /// One edit of question 1's tables for the property below: `kind` picks insert, remove,
    /// replace or move, `table` the flows, assets or components, `wide` a long name.
    fn list_edit(s: &Session, kind: u8, table: u8, a: usize, b: usize, wide: bool) -> Edit {
        let text = if wide {
            "a name wider than anything else here"
        } else {
            "n"
        };
        let (item_table, item) = match table {
            0 => {
                let mut flow = s.flows.first().cloned().unwrap_or_else(|| {
                    let (shop, _) = crate::store::parse(SESSION).expect("parses");
                    shop.flows[0].clone()
                });
                flow.id = format!("f{a}{b}").into();
                flow.label = text.into();
                (ItemTable::Flows, Item::Flow(flow))
            }
            1 => {
                let (shop, _) = crate::store::parse(SESSION).expect("parses");
                let mut asset = shop.assets[0].clone();
                asset.name = text.into();
                (ItemTable::Assets, Item::Asset(asset))
            }
            _ => {
                let (shop, _) = crate::store::parse(SESSION).expect("parses");
                let mut component = shop.components[1].clone();
                component.name = text.into();
                (ItemTable::Components, Item::Component(component))
            }
        };
        match kind {
            0 => Edit::Insert { index: a, item },
            1 => Edit::Remove {
                table: item_table,
                index: a,
            },
            2 => Edit::Replace { index: a, item },
            _ => Edit::Move {
                table: item_table,
                from: a,
                to: b,
            },
        }
    }

    /// Every id on two entries of a table that the edits' guard refuses is one validation
    /// reports where the guard looks: the guard never skips a duplicate.
    #[test]
    fn validation_leaves_room_for_every_duplicate_id() {
        let (shop, _) = crate::store::parse(SESSION).expect("parses");
        assert!(!may_have_duplicate_id(&validate(&shop)));
        assert_eq!(crate::model::edit::duplicate_id(&shop), None);
        let twice: [fn(&mut Session); 9] = [
            |s| s.boundaries.push(s.boundaries[0].clone()),
            |s| s.assets.push(s.assets[0].clone()),
            |s| s.components.push(s.components[0].clone()),
            |s| s.flows.push(s.flows[0].clone()),
            // Components and flows share one set of ids.
            |s| s.flows[0].id = s.components[0].id.clone(),
            |s| s.threats.push(s.threats[0].clone()),
            |s| {
                s.mitigations.push(crate::model::Mitigation {
                    id: "M-1".into(),
                    threats: vec!["TH-001".into()],
                    action: "Sign orders".into(),
                    owner: String::new(),
                    due: None,
                    status: Default::default(),
                    ticket: String::new(),
                });
                s.mitigations.push(s.mitigations[0].clone());
            },
            |s| {
                s.acceptances.push(crate::model::Acceptance {
                    threat: "TH-001".into(),
                    justification: "Low value".into(),
                    accepted_by: "Ana".into(),
                    review_by: None,
                });
                s.acceptances.push(s.acceptances[0].clone());
            },
            |s| {
                s.assumptions.push(crate::model::Assumption {
                    id: "A-1".into(),
                    text: "TLS ends at the load balancer".into(),
                    owner: String::new(),
                    validated: false,
                });
                s.assumptions.push(s.assumptions[0].clone());
            },
        ];
        for (i, change) in twice.iter().enumerate() {
            let mut s = shop.clone();
            change(&mut s);
            assert!(crate::model::edit::duplicate_id(&s).is_some(), "case {i}");
            assert!(may_have_duplicate_id(&validate(&s)), "case {i}");
        }
    }

    /// Keys that move between screens, edit, undo and redo: after each, every part the app
    /// holds is as a from-scratch derivation says.
    const KEYS: &[&str] = &[
        "1", "2", "3", "4", "l", "h", "j", "k", "J", "K", "u", "<C-r>", "<tab>", "L", "I", "<esc>",
        "w", "<space>", "s<ret>", "d", "e<ret>", "x",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Widths followed through any edits (batches of them too) are the widths measured
        /// whole, which are the straightforward `natural_widths`.
        #[test]
        fn list_widths_followed_through_any_edits_are_as_measured_whole(
            batches in proptest::collection::vec(
                proptest::collection::vec((0..4u8, 0..3u8, 0..6usize, 0..6usize, any::<bool>()), 1..4),
                1..12,
            )
        ) {
            let (mut session, _) = crate::store::parse(SESSION).expect("parses");
            let measure = |s: &Session| {
                let graph = ModelGraph::new(s);
                let crossing = crossing_of(&graph, s);
                let crossing = |i: usize| crossing.get(i).copied().unwrap_or(false);
                Section::ALL[..4]
                    .iter()
                    .map(|&section| {
                        let whole = ListWidths::measure(s, section, &crossing);
                        assert_eq!(
                            whole.widest,
                            super::super::screens::build::natural_widths(s, section, &crossing)
                        );
                        whole
                    })
                    .collect::<Vec<_>>()
            };
            let mut widths = measure(&session);
            for batch in batches {
                let edits: Vec<Edit> = batch
                    .into_iter()
                    .map(|(kind, table, a, b, wide)| list_edit(&session, kind, table, a, b, wide))
                    .collect();
                let edit = if edits.len() == 1 { edits[0].clone() } else { Edit::Batch(edits) };
                let changes = list_changes(&edit).expect("no whole session");
                if crate::model::edit::apply(&mut session, edit).is_err() {
                    continue;
                }
                let graph = ModelGraph::new(&session);
                let crossing = crossing_of(&graph, &session);
                let crossing = |i: usize| crossing.get(i).copied().unwrap_or(false);
                let whole = measure(&session);
                for (((before, changes), section), whole) in
                    widths.iter().zip(&changes).zip(Section::ALL).zip(&whole)
                {
                    let followed = before.follow(&session, section, &crossing, changes);
                    let remade = changes.contains(&RowChange::Remade);
                    prop_assert_eq!(followed.is_none(), remade, "{:?}: {:?}", section, changes);
                    if let Some(followed) = followed {
                        prop_assert_eq!(&followed, whole);
                    }
                }
                widths = whole;
            }
        }

        #[test]
        fn what_is_derived_after_any_keys_is_as_from_scratch(
            picks in proptest::collection::vec(0..KEYS.len(), 1..30)
        ) {
            let mut app = app();
            for pick in picks {
                let key = KEYS.get(pick).copied().unwrap_or("1");
                keys(&mut app, key);
                // A key may open a dialog (a form, a question): it is closed again so that
                // the next keys reach the screens.
                if app.modal.is_some() {
                    keys(&mut app, "<esc>");
                }
                assert_as_from_scratch(&app);
                // Question 4's page as prepared in update is the page drawn from scratch (the
                // page prepared for another width is not used).
                if state(&app).question == 3 {
                    app.set_viewport((80, 24));
                    let prepared = crate::tui::tests::screen_of(80, 24, |f| view::draw(&app, f));
                    app.set_viewport((81, 24));
                    let fresh = crate::tui::tests::screen_of(80, 24, |f| view::draw(&app, f));
                    prop_assert_eq!(prepared, fresh);
                }
            }
        }
    }
}
