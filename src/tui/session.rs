//! An open session: the file, its undo history, each question's screen state, and what is
//! derived from the model, computed once per change.

use super::diagram::DiagramLayout;
use super::screens::build::BuildState;
use super::screens::respond::RespondState;
use super::screens::review::ReviewState;
use super::screens::threats::{self, ElementRow, ThreatsState};
use crate::analysis::{Analysis, FindingOptions, ModelGraph, analyze_graph};
use crate::model::edit::History;
use crate::model::{Problem, Session, validate};
use crate::rules::RuleSet;
use crate::store::LoadedSession;
use crate::store::autosave::{FormDraft, SessionLock};
use chrono::NaiveDate;
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
    pub started: Instant,
    /// Derived from the session, refreshed in update when the revision changes.
    pub derived: Derived,
    pub keep: Keeping,
    /// The lock that tells other instances this file is open here.
    pub lock: Option<SessionLock>,
    /// The threat rules in force for this session (loaded with its libraries): question 4's
    /// findings include the suggestions nobody answered, as `check` does.
    pub rules: RuleSet,
}

/// What has been kept of the unsaved work so far: in the autosave file and in the crash copy.
#[derive(Debug, Default)]
pub struct Keeping {
    /// The revision last written to the autosave file, and when the next write is due.
    pub autosaved_revision: u64,
    pub autosave_due: Option<Instant>,
    /// The revision whose state the crash handlers hold (see `crash::remember_session`).
    pub crash_copy_revision: Option<u64>,
    /// The open form's unsubmitted values (`None` when no form is open or it is untouched),
    /// the values it opened with, and the drafts last handed to the autosave and crash copy.
    pub draft: Option<FormDraft>,
    pub form_pristine: Option<FormDraft>,
    pub autosaved_draft: Option<FormDraft>,
    pub crash_draft: Option<FormDraft>,
}

/// Everything the screens show that is computed from the model: built once per change from
/// one graph of the session, never while drawing.
#[derive(Debug)]
pub struct Derived {
    pub revision: u64,
    pub problems: Vec<Problem>,
    pub diagram: DiagramLayout,
    pub analysis: Analysis,
    /// Per flow: whether it crosses a trust boundary.
    pub crossing: Vec<bool>,
    /// Question 2's element list.
    pub elements: Vec<ElementRow>,
    /// Question 3's threat order: to review first, then by risk (indices into the threats).
    pub respond_order: Vec<usize>,
}

impl Derived {
    pub fn compute(session: &Session, revision: u64, today: NaiveDate, rules: &RuleSet) -> Self {
        let graph = ModelGraph::new(session);
        let crossing: Vec<bool> = (0..session.flows.len())
            .map(|i| graph.crosses_boundary(i))
            .collect();
        let options = FindingOptions {
            today,
            max_age_days: None,
            rules: Some(rules),
        };
        Derived {
            revision,
            problems: validate(session),
            diagram: DiagramLayout::from_graph(&graph),
            analysis: analyze_graph(&graph, &options),
            elements: threats::elements(&graph, &crossing),
            respond_order: super::screens::respond::ordered(session),
            crossing,
        }
    }
}

impl SessionState {
    pub fn new(loaded: LoadedSession, today: NaiveDate, rules: RuleSet) -> Self {
        let derived = Derived::compute(&loaded.session, 0, today, &rules);
        SessionState {
            loaded,
            history: History::new(),
            question: 0,
            build: BuildState::default(),
            threats: ThreatsState::default(),
            respond: RespondState::default(),
            review: ReviewState::default(),
            started: Instant::now(),
            derived,
            keep: Keeping::default(),
            lock: None,
            rules,
        }
    }

    pub fn session(&self) -> &Session {
        &self.loaded.session
    }

    /// Brings what is derived up to date after a change (a no-op when nothing changed).
    pub fn refresh_derived(&mut self, today: NaiveDate) {
        if self.derived.revision != self.history.revision() {
            self.derived = Derived::compute(
                &self.loaded.session,
                self.history.revision(),
                today,
                &self.rules,
            );
            self.threats
                .after_change(&self.loaded.session, &self.derived);
        }
    }
}
