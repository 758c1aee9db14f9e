//! An open session: the file, its undo history, each question's screen state, and what is
//! derived from the model, computed once per change.

use super::diagram::DiagramLayout;
use super::screens::build::BuildState;
use super::screens::respond::RespondState;
use super::screens::review::ReviewState;
use super::screens::threats::{self, ElementRow, ThreatsState};
use crate::analysis::{Analysis, FindingOptions, ModelGraph, Verdict, analyze_graph};
use crate::config::ProjectConfig;
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
    pub keep: Keeping,
    /// The lock that tells other instances this file is open here.
    pub lock: Option<SessionLock>,
    /// The project config (`.threatboard.toml`) that `check` would use for this file.
    pub config: ProjectConfig,
    /// Why the project config could not be read, for the status line (then defaults apply).
    pub config_error: Option<String>,
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
    /// Question 2's element list, with each element's count of open rule suggestions.
    pub elements: Vec<ElementRow>,
    /// Open rule suggestions over the whole model.
    pub open_suggestions: usize,
    /// Question 3's threat order: to review first, then by risk (indices into the threats).
    pub respond_order: Vec<usize>,
    /// What `check` would say, with the project config's threshold and maximum age.
    pub verdict: Verdict,
}

impl Derived {
    pub fn compute(
        session: &Session,
        revision: u64,
        today: NaiveDate,
        rules: &RuleSet,
        config: &ProjectConfig,
    ) -> Self {
        let graph = ModelGraph::new(session);
        // Counting open suggestions writes no text: a few milliseconds for a thousand
        // components and sixty rules (benches/tui.rs, `suggest_whole_model` and
        // `key_to_frame_edit`); the selected element's suggestions are written out by question
        // 2 itself.
        let counts = rules.open_counts(&graph);
        let crossing = crossing_of(&graph, session);
        let mut elements = threats::elements(&graph, &crossing);
        for row in &mut elements {
            row.open_suggestions = counts.get(row.id.as_str()).copied().unwrap_or(0);
        }
        let options = FindingOptions {
            today,
            max_age_days: config.max_age_or(None),
            rules: Some(rules),
        };
        let problems = validate(session);
        let analysis = analyze_graph(&graph, &options);
        Derived {
            revision,
            verdict: Verdict::of(&analysis.findings, problems.len(), config.fail_on_or(None)),
            problems,
            diagram: DiagramLayout::from_graph(&graph),
            analysis,
            elements,
            open_suggestions: counts.values().sum(),
            respond_order: super::screens::respond::ordered(session),
            crossing,
        }
    }
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
        let derived = Derived::compute(&loaded.session, 0, today, rules, &config);
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

    /// Brings what is derived up to date after a change (a no-op when nothing changed).
    pub fn refresh_derived(&mut self, today: NaiveDate, rules: &RuleSet) {
        if self.derived.revision != self.history.revision() {
            self.recompute(today, rules);
        }
    }

    /// Derives everything again, whether or not the session changed (the rules did).
    pub fn recompute(&mut self, today: NaiveDate, rules: &RuleSet) {
        self.derived = Derived::compute(
            &self.loaded.session,
            self.history.revision(),
            today,
            rules,
            &self.config,
        );
        self.threats
            .after_change(&self.loaded.session, &self.derived, rules);
        self.respond
            .follow_walk(&self.loaded.session, &self.derived);
    }
}
