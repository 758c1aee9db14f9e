//! The app: which screen is open, the dialog over it, the status line; key routing (the open
//! dialog, then the screen, then the keys of every session screen, then global keys, all from
//! the one key table); and the effects screens ask for (applying edits) or that concern the
//! whole session (saving, committing, autosaving: see `persist` and `commit`). Each question's
//! own keys, update and drawing live in its screen module under `screens/`.

mod commit;
mod persist;
mod share;

use super::keymap::{self, Action, Context};
use super::modal::{FormPurpose, Modal};
use super::recovery::find_recovery;
use super::screens::start::StartState;
use super::screens::{Command, Cx, Goto};
use super::session::{SessionState, Touched};
use super::theme::Theme;
use crate::library::LibrarySet;
use crate::model::edit::{Edit, Item};
use crate::model::text::escape_control;
use crate::model::{Run, Session};
use crate::store::{self, LoadedSession};
use crate::tui::widgets::form::{Field, Form, FormOutcome};
use chrono::NaiveDate;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The size assumed until the event loop reads the terminal's (tests draw at their own).
const DEFAULT_VIEWPORT: (u16, u16) = (80, 24);

pub const QUESTIONS: [(&str, &str); 4] = [
    ("Build", "What are we building?"),
    ("Threats", "What can go wrong?"),
    ("Respond", "What are we going to do about it?"),
    ("Review", "Did we do a good job?"),
];

#[derive(Debug)]
pub enum Screen {
    Start(StartState),
    Session(Box<SessionState>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

pub struct App {
    pub theme: Theme,
    pub screen: Screen,
    pub modal: Option<Modal>,
    pub status: Option<(String, Level)>,
    pub quit: bool,
    pub today: NaiveDate,
    /// Default facilitator for a new run.
    pub user: String,
    /// A fixed session clock, so that snapshots of the screen do not depend on timing.
    pub frozen_clock: Option<Duration>,
    /// Threat libraries for the open session: shipped, beside the session, and `--library-dir`.
    pub libraries: LibrarySet,
    pub library_dirs: Vec<PathBuf>,
    /// Whether opening a session takes its lock file (off in unit tests of the app).
    pub take_lock: bool,
    /// What opens once the "recover unsaved work?" question is answered (a re-run's "what
    /// changed"); otherwise today's run form, if today has no run yet.
    pub after_recovery: Option<Modal>,
    /// The terminal's size, set by the event loop before each key: screens that scroll keep
    /// within what fits.
    pub viewport: (u16, u16),
    /// A re-run under way, until its run is recorded (or the run form is closed): then the
    /// flagged threats are walked in question 3.
    pub rerun: Option<Rerun>,
    /// The session shared with the room, while it is (issue 16).
    pub share: Option<crate::tui::share::Sharing>,
    /// Where the share key listens (`--share`); the default address when `None`.
    pub share_addr: Option<String>,
    /// The join dialog waits for the dialog open when sharing started (today's run, say).
    share_info_waiting: bool,
}

/// What `rerun` found, for the app: the report for "what changed", the run's trigger and
/// baseline commit, and the threats it flagged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rerun {
    pub report: String,
    pub trigger: String,
    /// The commit compared with, recorded in the new run ("" when the baseline was a file).
    pub baseline: String,
    /// Threat id and why the change puts it in question.
    pub flagged: Vec<(String, String)>,
}

fn default_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_default()
}

impl App {
    pub fn start(dir: &Path, theme: Theme, today: NaiveDate) -> Self {
        App {
            theme,
            screen: Screen::Start(StartState::scan(dir)),
            modal: None,
            status: None,
            quit: false,
            today,
            user: default_user(),
            frozen_clock: None,
            libraries: LibrarySet::empty(),
            library_dirs: Vec::new(),
            take_lock: false,
            after_recovery: None,
            viewport: DEFAULT_VIEWPORT,
            rerun: None,
            share: None,
            share_addr: None,
            share_info_waiting: false,
        }
    }

    /// An app opened straight on a session (no start screen behind it).
    pub fn open(loaded: LoadedSession, theme: Theme, today: NaiveDate) -> Self {
        let mut app = App {
            screen: Screen::Start(StartState {
                dir: PathBuf::from("sessions"),
                entries: Vec::new(),
                selected: 0,
            }),
            ..App::start_empty(theme, today)
        };
        app.enter_session(loaded);
        app
    }

    fn start_empty(theme: Theme, today: NaiveDate) -> Self {
        App {
            theme,
            screen: Screen::Start(StartState {
                dir: PathBuf::from("sessions"),
                entries: Vec::new(),
                selected: 0,
            }),
            modal: None,
            status: None,
            quit: false,
            today,
            user: default_user(),
            frozen_clock: None,
            libraries: LibrarySet::empty(),
            library_dirs: Vec::new(),
            take_lock: false,
            after_recovery: None,
            viewport: DEFAULT_VIEWPORT,
            rerun: None,
            share: None,
            share_addr: None,
            share_info_waiting: false,
        }
    }

    /// A re-run: the session with the threats the change puts in question marked needs-review
    /// (one undoable step), opened on the "what changed" view.
    pub fn enter_rerun(&mut self, loaded: LoadedSession, marked: Session, rerun: Rerun) {
        self.enter_session(loaded);
        if !matches!(self.screen, Screen::Session(_)) {
            return; // the lock is held elsewhere; the status says so
        }
        let flagged = marked
            .threats
            .iter()
            .filter(|t| t.status == crate::model::ThreatStatus::NeedsReview)
            .count();
        if self.session().is_some_and(|s| s.session() != &marked) {
            self.apply_unguarded(
                Edit::Whole(Box::new(marked)),
                &crate::tui::widgets::text::plural(
                    flagged,
                    "threat needs review",
                    "threats need review",
                ),
            );
        }
        let what_changed = Modal::WhatChanged {
            text: rerun.report.lines().map(String::from).collect(),
            trigger: rerun.trigger.clone(),
            scroll: 0,
        };
        self.rerun = Some(rerun);
        // The clock waits for "what changed" to close, on a day with a run already too.
        if let Screen::Session(s) = &mut self.screen {
            s.started = None;
            s.question_since = None;
        }
        // Unsaved work from a crash is offered first; "what changed" follows.
        if matches!(self.modal, Some(Modal::Recover(_))) {
            self.after_recovery = Some(what_changed);
        } else {
            self.modal = Some(what_changed);
        }
    }

    /// Opens a session: loads its libraries, takes the file's lock when this app holds locks,
    /// and offers recovery from an autosave.
    pub fn enter_session(&mut self, loaded: LoadedSession) {
        self.libraries =
            match crate::library::load_for_session(Some(&loaded.path), &self.library_dirs) {
                Ok(set) => set,
                Err(e) => {
                    self.status = Some((format!("threat libraries: {e}"), Level::Error));
                    LibrarySet::shipped().unwrap_or_else(|e| *e.partial)
                }
            };
        let path = loaded.path.clone();
        let mut state = SessionState::new(loaded, self.today, self.libraries.rules());
        let mut lock_warning = None;
        if self.take_lock {
            match store::autosave::lock(&path) {
                Ok(lock) => state.lock = Some(lock),
                Err(store::autosave::LockError::Held(owner)) => {
                    let who = owner.map_or("by a process that is starting".to_string(), |o| {
                        format!("({o})")
                    });
                    self.error(format!(
                        "{} is open elsewhere {who}; close it there first",
                        escape_control(&path.display().to_string())
                    ));
                    return;
                }
                Err(e @ store::autosave::LockError::Unavailable(_)) => {
                    lock_warning = Some(format!("{e}: a second instance would not be turned away"));
                }
            }
        }
        let needs_run = state.session().runs.iter().all(|r| r.date != self.today);
        let config_error = state.config_error.clone();
        let (recovery, unreadable) = find_recovery(&path, state.session());
        self.screen = Screen::Session(Box::new(state));
        if let Some(message) = unreadable.or(lock_warning) {
            self.error(message);
        } else if let Some(message) = config_error {
            // The position first: the status line is one row.
            self.error(format!(
                "project config, defaults in use: {}",
                escape_control(&message)
            ));
        }
        if let Some(recovery) = recovery {
            self.modal = Some(Modal::Recover(Box::new(recovery)));
            return;
        }
        if needs_run {
            self.modal = self.todays_run_form();
        }
        // With no dialog to answer first, the team is at work from now on.
        if self.modal.is_none()
            && let Screen::Session(s) = &mut self.screen
        {
            s.tick_clock(std::time::Instant::now());
        }
    }

    /// Works on with other libraries and rules (tests; a tool that brings its own): what is
    /// derived from them is made again.
    pub fn use_libraries(&mut self, libraries: LibrarySet) {
        self.libraries = libraries;
        let today = self.today;
        if let Screen::Session(s) = &mut self.screen {
            s.recompute(today, self.libraries.rules());
        }
    }

    /// A new sitting: the form that records who is in the room before the team starts; `None`
    /// when today's run is recorded already.
    fn todays_run_form(&self) -> Option<Modal> {
        let s = self.session()?.session();
        if s.runs.iter().any(|r| r.date == self.today) {
            return None;
        }
        let last = s.last_run().cloned();
        let trigger = if last.is_some() { "re-run" } else { "initial" };
        let facilitator = last
            .as_ref()
            .map_or(self.user.clone(), |r| r.facilitator.clone());
        let attendees = last.map(|r| r.attendees.join(", ")).unwrap_or_default();
        Some(Modal::Form {
            form: run_form(
                "Start today's run",
                self.today,
                &facilitator,
                &attendees,
                trigger,
            ),
            purpose: FormPurpose::Run { index: None },
        })
    }

    pub fn session(&self) -> Option<&SessionState> {
        match &self.screen {
            Screen::Session(s) => Some(s),
            Screen::Start(_) => None,
        }
    }

    /// The screen's key contexts, most specific first: what the footer and help list.
    pub fn contexts(&self) -> Vec<Context> {
        match &self.screen {
            Screen::Start(_) => vec![Context::Start, Context::Global, Context::Always],
            Screen::Session(s) => {
                let screen = match s.question {
                    0 => s.build.context(),
                    1 => Context::Threats,
                    2 => Context::Respond,
                    _ => Context::Review,
                };
                let mut contexts = vec![screen, Context::Session, Context::Global, Context::Always];
                if s.question == 1 && s.threats.walk.is_some() {
                    contexts.insert(0, Context::Walk);
                }
                if s.question == 2 && s.respond.walk.is_some() {
                    contexts.insert(0, Context::ReviewWalk);
                }
                contexts
            }
        }
    }

    /// Where keys go now: the open dialog (and the keys that work everywhere), else the screen.
    fn key_contexts(&self) -> Vec<Context> {
        match &self.modal {
            Some(modal) => vec![modal.context(), Context::Always],
            None => self.contexts(),
        }
    }

    pub fn is_dirty(&self) -> bool {
        self.session().is_some_and(|s| s.history.is_dirty())
    }

    fn info(&mut self, message: impl Into<String>) {
        self.status = Some((message.into(), Level::Info));
    }

    fn error(&mut self, message: impl Into<String>) {
        self.status = Some((message.into(), Level::Error));
    }

    /// The terminal's size, from the event loop. Question 4's page is made again for a new
    /// width here, not while drawing.
    pub fn set_viewport(&mut self, size: (u16, u16)) {
        if self.viewport != size {
            self.viewport = size;
            self.prepare_review();
        }
    }

    /// Question 4's page, made for what is on view when question 4 is (after what is derived
    /// is brought up to date).
    fn prepare_review(&mut self) {
        let today = self.today;
        let Screen::Session(s) = &mut self.screen else {
            return;
        };
        s.refresh_derived(today, self.libraries.rules());
        if s.question == 3 {
            let cx = Cx {
                session: &s.loaded.session,
                derived: &s.derived,
                today,
                libraries: &self.libraries,
                viewport: self.viewport,
            };
            s.review.prepare(&cx, &self.theme);
        }
    }

    /// Runs `f` on the screens' states with what every screen may read; `None` on the start
    /// screen.
    fn with_screens<R>(&mut self, f: impl FnOnce(&mut ScreenStates, &Cx) -> R) -> Option<R> {
        let Screen::Session(s) = &mut self.screen else {
            return None;
        };
        let s = &mut **s;
        let cx = Cx {
            session: &s.loaded.session,
            derived: &s.derived,
            today: self.today,
            libraries: &self.libraries,
            viewport: self.viewport,
        };
        let mut screens = ScreenStates {
            build: &mut s.build,
            threats: &mut s.threats,
            respond: &mut s.respond,
            review: &mut s.review,
            question: s.question,
        };
        Some(f(&mut screens, &cx))
    }

    pub fn handle_paste(&mut self, text: &str) {
        match self.modal.take() {
            Some(Modal::Form { mut form, purpose }) => {
                form.paste(text);
                self.modal = Some(Modal::Form { form, purpose });
            }
            Some(Modal::Picker(mut picker)) => {
                self.with_screens(|_, cx| picker.paste(text, cx));
                self.modal = Some(Modal::Picker(picker));
            }
            Some(Modal::QuickAdd(mut line)) => {
                line.input.insert(text);
                if let Some(s) = self.session() {
                    line.refresh(s.session());
                }
                self.modal = Some(Modal::QuickAdd(line));
            }
            Some(Modal::Link(mut picker)) => {
                self.with_screens(|_, cx| picker.paste(text, cx));
                self.modal = Some(Modal::Link(picker));
            }
            other => self.modal = other,
        }
        self.refresh();
    }

    /// Routes a key through the one key table: to the open dialog, else to the screen and the
    /// session's and global bindings. Ctrl-C (bound everywhere) quits from a dialog too.
    pub fn handle_key(&mut self, key: KeyEvent) {
        let action = keymap::lookup(&self.key_contexts(), &key);
        match self.modal.take() {
            Some(modal) if action != Some(Action::Quit) => self.modal_key(modal, action, key),
            _ => {
                if let Some(action) = action {
                    self.update(action);
                }
            }
        }
        if self.modal.is_none() && self.share_info_waiting {
            self.share_info_waiting = false;
            if self.share.is_some() {
                self.modal = Some(Modal::ShareInfo);
            }
        }
        self.refresh();
    }

    /// A key in a dialog: `action` is its binding in the dialog's context, if any.
    fn modal_key(&mut self, modal: Modal, action: Option<Action>, key: KeyEvent) {
        match modal {
            Modal::Help { scroll } => {
                let max = super::help::max_scroll(self, self.viewport);
                let page = super::help::page(self.viewport);
                let scroll = match action {
                    Some(Action::Up) => scroll.saturating_sub(1),
                    Some(Action::Down) => scroll.saturating_add(1),
                    Some(Action::PageUp) => scroll.saturating_sub(page),
                    Some(Action::PageDown) => scroll.saturating_add(page),
                    Some(Action::Top) => 0,
                    Some(Action::Bottom) => max,
                    _ => return, // any other key closes it
                };
                self.modal = Some(Modal::Help {
                    scroll: scroll.min(max),
                });
            }
            Modal::Notice { .. } => {} // any key closes it
            Modal::Picker(picker) => {
                let commands = self
                    .with_screens(|_, cx| picker.handle_key(action, key, cx))
                    .unwrap_or_default();
                self.run(commands);
            }
            Modal::Link(picker) => {
                let commands = self
                    .with_screens(|_, cx| picker.handle_key(action, key, cx))
                    .unwrap_or_default();
                self.run(commands);
            }
            Modal::Commit(mut draft) => match action {
                Some(Action::Cancel) => self.info("not committed"),
                Some(Action::Submit) => self.commit(draft),
                Some(Action::Up | Action::PageUp) => {
                    let step = if action == Some(Action::Up) { 1 } else { 10 };
                    draft.scroll = draft.scroll.saturating_sub(step);
                    self.modal = Some(Modal::Commit(draft));
                }
                Some(Action::Down | Action::PageDown) => {
                    let step = if action == Some(Action::Down) { 1 } else { 10 };
                    // Kept within the list; drawing clamps it to what the dialog shows.
                    let most = draft.changes.len().saturating_sub(1) as u16;
                    draft.scroll = (draft.scroll + step).min(most);
                    self.modal = Some(Modal::Commit(draft));
                }
                _ => {
                    draft.message.handle_key(key);
                    self.modal = Some(Modal::Commit(draft));
                }
            },
            Modal::QuickAdd(line) => self.quick_add_key(line, action, key),
            Modal::Inbox(view) => self.inbox_key(view, action),
            Modal::ShareInfo => {} // any key closes it
            Modal::ShareMenu => match action {
                Some(Action::ShowJoin) => self.modal = Some(Modal::ShareInfo),
                Some(Action::StopShare) => self.modal = Some(Modal::ShareStop),
                _ => {}
            },
            Modal::ShareStop => {
                if action == Some(Action::Yes) {
                    self.stop_sharing();
                } else {
                    self.info("still sharing");
                }
            }
            Modal::Confirm { edit, done, .. } => {
                if action == Some(Action::Yes) {
                    self.apply(*edit, &done);
                } else {
                    self.info("nothing deleted");
                }
            }
            Modal::Recover(recovery) => {
                self.resolve_recovery(*recovery, action);
                if self.modal.is_none() {
                    self.modal = self
                        .after_recovery
                        .take()
                        .or_else(|| self.todays_run_form());
                }
            }
            Modal::SaveConflict => self.resolve_conflict(action),
            Modal::WhatChanged {
                text,
                trigger,
                scroll,
            } => match action {
                Some(Action::Down) => {
                    let scroll = (scroll + 1).min(text.len().saturating_sub(1) as u16);
                    self.modal = Some(Modal::WhatChanged {
                        text,
                        trigger,
                        scroll,
                    });
                }
                Some(Action::Up) => {
                    self.modal = Some(Modal::WhatChanged {
                        text,
                        trigger,
                        scroll: scroll.saturating_sub(1),
                    });
                }
                // On to a new run record, with the change as its trigger (editable).
                _ => self.modal = self.rerun_form(&trigger),
            },
            Modal::ConfirmQuit => match action {
                Some(Action::SaveAndQuit) => {
                    if self.save() {
                        self.quit = true;
                    }
                }
                Some(Action::DiscardAndQuit) => {
                    self.discard_unsaved();
                    self.quit = true;
                }
                _ => self.info("quit cancelled"),
            },
            Modal::Form { mut form, purpose } => match form.handle_key(key) {
                FormOutcome::Continue => self.modal = Some(Modal::Form { form, purpose }),
                FormOutcome::Cancel => {
                    if purpose == (FormPurpose::Run { index: None }) {
                        self.info("no run recorded for today; press r to start one");
                        // The flagged threats still need the team's eyes.
                        if let Some(rerun) = self.rerun.take() {
                            self.walk_flagged(rerun);
                        }
                    }
                }
                FormOutcome::Submit => {
                    // Ctrl-S saves everywhere: in a form it also keeps what the form holds
                    // (not a save-as, which is a save already).
                    let save = key.code == KeyCode::Char('s')
                        && key.modifiers.contains(KeyModifiers::CONTROL)
                        && purpose != FormPurpose::SaveAs;
                    self.submit_form(form, purpose);
                    // Only once the form is through: one it reopened has a problem to fix.
                    if save && self.modal.is_none() && self.session().is_some() {
                        self.save();
                    }
                }
            },
        }
    }

    /// A key on question 1's quick-add line: Enter adds the line as one undoable edit (through
    /// `apply`, like a form) and keeps the line open; Tab completes; Esc closes.
    fn quick_add_key(
        &mut self,
        mut line: crate::tui::screens::build::QuickLine,
        action: Option<Action>,
        key: KeyEvent,
    ) {
        use crate::tui::screens::build::quick::Outcome;
        let Screen::Session(s) = &mut self.screen else {
            return;
        };
        match action {
            Some(Action::Cancel) => {
                self.info("quick add closed");
                return;
            }
            Some(Action::Complete) => {
                line.complete(s.session());
            }
            Some(Action::Save) => {
                self.save();
            }
            Some(Action::Submit) => {
                if let Some(parsed) = line.submit(s.session()) {
                    let before = s.history.revision();
                    self.apply(parsed.edit(), &format!("added {}", parsed.section.noun()));
                    if let Screen::Session(s) = &mut self.screen {
                        if s.history.revision() != before {
                            s.build.show_added(parsed.section, &s.loaded.session);
                            line.outcome = Some(Outcome::Added(parsed.summary));
                            // `u` types into the open line: undo is after Esc.
                            let noun = parsed.section.noun();
                            self.info(format!("added {noun} (Esc, then u undoes)"));
                        } else {
                            // Refused (the status says why): the line comes back to be fixed.
                            let why = self.status.clone().map(|(m, _)| m).unwrap_or_default();
                            line.outcome = Some(Outcome::Error(why));
                        }
                    }
                }
            }
            _ => {
                if line.input.handle_key(key) {
                    line.outcome = match line.outcome {
                        Some(Outcome::Added(m)) => Some(Outcome::Added(m)),
                        _ => None,
                    };
                }
            }
        }
        if let Screen::Session(s) = &self.screen {
            line.refresh(s.session());
        }
        self.modal = Some(Modal::QuickAdd(line));
    }

    /// A submitted form goes to the screen it belongs to; a run record and save-as are the
    /// app's own.
    fn submit_form(&mut self, mut form: Form, purpose: FormPurpose) {
        let commands = match purpose.clone() {
            FormPurpose::SaveAs => return self.save_as(form),
            FormPurpose::Round => return self.submit_round(form),
            FormPurpose::NewSession => match &mut self.screen {
                Screen::Start(start) => start.submit(form),
                Screen::Session(_) => Vec::new(),
            },
            FormPurpose::Run { index } => match run_from_form(&mut form, self.today) {
                Some(mut run) => {
                    let rerun = if index.is_none() {
                        self.rerun.take()
                    } else {
                        None
                    };
                    if let Some(r) = &rerun {
                        run.baseline = r.baseline.clone();
                    }
                    let edit = Edit::put(index, Item::Run(run));
                    self.run(vec![Command::apply(edit, "run recorded")]);
                    if let Some(rerun) = rerun {
                        self.walk_flagged(rerun);
                        if let Some((text, Level::Info)) = &mut self.status {
                            *text = format!("run recorded; {text}");
                        }
                    }
                    return;
                }
                None => vec![Command::Open(Modal::Form { form, purpose })],
            },
            FormPurpose::Element(target) => self
                .with_screens(|screens, cx| screens.build.submit(form, target, cx))
                .unwrap_or_default(),
            FormPurpose::Threat { target, index } => self
                .with_screens(|screens, cx| screens.threats.submit(form, &target, index, cx))
                .unwrap_or_default(),
            FormPurpose::SuggestedThreat { target, rule } => self
                .with_screens(|screens, cx| {
                    screens.threats.submit_suggested(form, &target, &rule, cx)
                })
                .unwrap_or_default(),
            FormPurpose::Dismissal { element, rule } => self
                .with_screens(|screens, cx| {
                    screens.threats.submit_dismissal(form, &element, &rule, cx)
                })
                .unwrap_or_default(),
            FormPurpose::NotApplicable { element } => self
                .with_screens(|screens, cx| {
                    screens.threats.submit_not_applicable(form, &element, cx)
                })
                .unwrap_or_default(),
            FormPurpose::Mitigation { threat, index } => self
                .with_screens(|screens, cx| {
                    screens.respond.submit_mitigation(form, threat, index, cx)
                })
                .unwrap_or_default(),
            FormPurpose::Acceptance { threat } => self
                .with_screens(|screens, cx| screens.respond.submit_acceptance(form, threat, cx))
                .unwrap_or_default(),
            FormPurpose::ThreatNotApplicable { threat } => self
                .with_screens(|screens, cx| screens.respond.submit_not_applicable(form, threat, cx))
                .unwrap_or_default(),
            FormPurpose::Transfer { threat } => self
                .with_screens(|screens, cx| screens.respond.submit_transfer(form, threat, cx))
                .unwrap_or_default(),
            FormPurpose::Review => self
                .with_screens(|screens, _| screens.review.submit(&form))
                .unwrap_or_default(),
        };
        self.run(commands);
    }

    /// Carries out what a screen asked for, in order.
    fn run(&mut self, commands: Vec<Command>) {
        for command in commands {
            match command {
                Command::Apply(edit, message) => self.apply(*edit, &message),
                Command::Open(modal) => self.modal = Some(modal),
                Command::Info(message) => self.info(message),
                Command::Error(message) => self.error(message),
                Command::Enter(loaded, message) => {
                    self.enter_session(*loaded);
                    if let Some(message) = message {
                        self.info(message);
                    }
                }
                Command::Goto(target) => self.goto(&target),
            }
        }
    }

    /// Switches to the question where `target` is and selects it there.
    pub(super) fn goto(&mut self, target: &Goto) {
        let rules = self.libraries.rules();
        let today = self.today;
        let Screen::Session(s) = &mut self.screen else {
            return;
        };
        let s = &mut **s;
        if let Goto::Threats(_) = target {
            // Question 2's element list is made only while it is on view: made here so the
            // element can be found in it.
            s.question = 1;
            s.refresh_derived(today, rules);
        }
        let session = &s.loaded.session;
        let (question, found, what) = match target {
            Goto::Build(id) => (0, s.build.select(session, id), id),
            Goto::Threats(id) => (1, s.threats.select(session, &s.derived, rules, id), id),
            Goto::Respond { threat, mitigation } => (
                2,
                s.respond
                    .select(session, &s.derived, threat, mitigation.as_deref()),
                mitigation.as_ref().unwrap_or(threat),
            ),
        };
        s.question = question;
        let what = escape_control(what).into_owned();
        if found {
            self.info(format!("question {}: {what}", question + 1));
        } else {
            self.error(format!(
                "question {}: {what} is not there any more",
                question + 1
            ));
        }
    }

    /// Applies an edit through the history (so it can be undone) and refreshes what is derived.
    fn apply(&mut self, edit: Edit, message: &str) {
        // Edits find entries by id: with one id on two entries they would change both. The
        // problems validation found for this revision say when there can be none (then the
        // scan of every id is skipped).
        if let Some(dup) = self.session().and_then(|s| {
            let current = s.derived.revision == s.history.revision();
            if current && !crate::tui::session::may_have_duplicate_id(&s.derived.problems) {
                None
            } else {
                crate::model::edit::duplicate_id(s.session())
            }
        }) {
            self.error(format!(
                "not changed: {dup}; give each entry its own id in the file (threatboard validate shows where), then reopen it"
            ));
            return;
        }
        self.apply_unguarded(edit, message);
    }

    /// Applies an edit without the duplicate-id guard: for replacing the whole session by one
    /// built elsewhere (recovered work, a re-run's marks), which finds nothing by id and must
    /// never be refused, or the work it carries would be lost.
    pub(super) fn apply_unguarded(&mut self, edit: Edit, message: &str) {
        let today = self.today;
        let Screen::Session(s) = &mut self.screen else {
            return;
        };
        let from = s.history.revision();
        let kept = crate::tui::session::kept_edit(&edit);
        let targets = crate::tui::session::threat_targets(&s.loaded.session, &edit);
        let lists = crate::tui::session::list_changes(&edit);
        match s.history.apply(&mut s.loaded.session, edit) {
            Ok(()) => {
                s.keep.note_edit(from, kept);
                let to = s.history.revision();
                Touched::note(&mut s.touched, from, to, targets, lists);
                s.refresh_derived(today, self.libraries.rules());
                // A new edit clears redo: decisions undone before it stay undone.
                if let Some(sharing) = &mut self.share {
                    sharing.forget_undone();
                }
                self.info(format!("{message} (u undoes)"));
            }
            Err(e) => self.error(format!("could not apply the change: {e}")),
        }
    }

    /// Keys bound to an action: the global ones here, the rest by the screen on view.
    pub fn update(&mut self, action: Action) {
        match action {
            Action::Help => self.modal = Some(Modal::Help { scroll: 0 }),
            Action::Quit => {
                if self.is_dirty() {
                    self.modal = Some(Modal::ConfirmQuit);
                } else {
                    self.quit = true;
                }
            }
            _ => {
                let commands = match &mut self.screen {
                    Screen::Start(start) => start.update(action),
                    Screen::Session(_) => self.update_session(action),
                };
                self.run(commands);
            }
        }
        self.refresh();
    }

    /// Keys of every question (moving between them, saving, undo, the run record), then the
    /// question on view.
    fn update_session(&mut self, action: Action) -> Vec<Command> {
        let today = self.today;
        let Screen::Session(s) = &mut self.screen else {
            return Vec::new();
        };
        match action {
            Action::Question(q) => s.question = q.min(3),
            Action::NextQuestion => s.question = (s.question + 1) % 4,
            Action::PrevQuestion => s.question = (s.question + 3) % 4,
            Action::Save => {
                self.save();
            }
            Action::SaveAs => self.open_save_as(None),
            Action::Undo | Action::Redo => {
                let from = s.history.revision();
                let next = if action == Action::Undo {
                    s.history.next_undo()
                } else {
                    s.history.next_redo()
                };
                let kept = next.and_then(crate::tui::session::kept_edit);
                let targets =
                    next.and_then(|e| crate::tui::session::threat_targets(s.session(), e));
                let lists = next.and_then(crate::tui::session::list_changes);
                let done = if action == Action::Undo {
                    s.history.undo(&mut s.loaded.session)
                } else {
                    s.history.redo(&mut s.loaded.session)
                };
                if s.history.revision() != from {
                    s.keep.note_edit(from, kept);
                    let to = s.history.revision();
                    Touched::note(&mut s.touched, from, to, targets, lists);
                }
                s.refresh_derived(today, self.libraries.rules());
                let (verb, what) = if action == Action::Undo {
                    ("undone (Ctrl-R redoes)", "undo")
                } else {
                    ("redone", "redo")
                };
                match done {
                    Ok(true) => self.info(verb),
                    Ok(false) => self.info(format!("nothing to {what}")),
                    Err(e) => self.error(format!("{what} failed: {e}")),
                }
                self.follow_history();
            }
            Action::Commit => self.open_commit(),
            Action::Share => self.share_key(),
            Action::Round => self.round_key(),
            Action::Inbox => self.open_inbox(),
            Action::EditRun => {
                let title = if s.session().runs.iter().any(|r| r.date == today) {
                    "Today's run"
                } else {
                    "Start today's run"
                };
                self.modal = self.run_record_form(title, None);
            }
            _ => {
                return self
                    .with_screens(|screens, cx| match screens.question {
                        0 => screens.build.update(action, cx),
                        1 => screens.threats.update(action, cx),
                        2 => screens.respond.update(action, cx),
                        _ => screens.review.update(action, cx),
                    })
                    .unwrap_or_default();
            }
        }
        Vec::new()
    }

    /// The form for today's run record: today's run if there is one, else a new one with the
    /// last run's people; `trigger` replaces the trigger (a re-run's change).
    fn run_record_form(&self, title: &str, trigger: Option<&str>) -> Option<Modal> {
        let s = self.session()?.session();
        let index = s.runs.iter().rposition(|r| r.date == self.today);
        let today_run = index.and_then(|i| s.runs.get(i));
        let last = today_run.or(s.last_run());
        let facilitator = last.map_or(self.user.clone(), |r| r.facilitator.clone());
        let attendees = last.map(|r| r.attendees.join(", ")).unwrap_or_default();
        let default_trigger = match (today_run, s.runs.is_empty()) {
            (Some(r), _) => r.trigger.clone(),
            (None, true) => "initial".to_string(),
            (None, false) => "re-run".to_string(),
        };
        Some(Modal::Form {
            form: run_form(
                title,
                today_run.map_or(self.today, |r| r.date),
                &facilitator,
                &attendees,
                trigger.unwrap_or(&default_trigger),
            ),
            purpose: FormPurpose::Run { index },
        })
    }

    /// A re-run's run record: always a new run (a second re-run on one day too), with the last
    /// run's people and the change as its trigger.
    fn rerun_form(&self, trigger: &str) -> Option<Modal> {
        let s = self.session()?.session();
        let last = s.runs.last();
        let facilitator = last.map_or(self.user.clone(), |r| r.facilitator.clone());
        let attendees = last.map(|r| r.attendees.join(", ")).unwrap_or_default();
        Some(Modal::Form {
            form: run_form(
                "Re-run: today's run",
                self.today,
                &facilitator,
                &attendees,
                trigger,
            ),
            purpose: FormPurpose::Run { index: None },
        })
    }

    /// Where a re-run lands once its run is recorded: question 3, walking the flagged threats.
    fn walk_flagged(&mut self, rerun: Rerun) {
        let reasons = rerun.flagged.into_iter().collect();
        let commands = self
            .with_screens(|screens, cx| screens.respond.start_walk(reasons, cx))
            .unwrap_or_default();
        if let Screen::Session(s) = &mut self.screen
            && s.respond.walk.is_some()
        {
            s.question = 2;
        }
        self.run(commands);
    }

    /// How long the team has worked in this sitting: from when the opening dialogs closed.
    pub fn elapsed(&self) -> Duration {
        match (&self.screen, self.frozen_clock) {
            (Screen::Session(_), Some(frozen)) => frozen,
            (Screen::Session(s), None) => s.started.map_or(Duration::ZERO, |t| t.elapsed()),
            (Screen::Start(_), _) => Duration::ZERO,
        }
    }

    /// Time spent in all, time spent on the question on screen, and the agenda's minutes per
    /// question. A frozen clock (tests) counts all of its time on the question on screen.
    pub fn clock(&self) -> Option<(Duration, Duration, [u32; 4])> {
        let s = self.session()?;
        let on_question = match self.frozen_clock {
            Some(frozen) => frozen,
            None => s.time_on(s.question, std::time::Instant::now()),
        };
        Some((self.elapsed(), on_question, s.session().agenda_minutes()))
    }
}

/// The screens' states, borrowed apart from what they read (`Cx`).
struct ScreenStates<'a> {
    build: &'a mut super::screens::build::BuildState,
    threats: &'a mut super::screens::threats::ThreatsState,
    respond: &'a mut super::screens::respond::RespondState,
    review: &'a mut super::screens::review::ReviewState,
    question: usize,
}

pub(super) fn run_form(
    title: &str,
    date: NaiveDate,
    facilitator: &str,
    attendees: &str,
    trigger: &str,
) -> Form {
    Form::new(
        title,
        vec![
            Field::text("date", "Date", &date.to_string(), "YYYY-MM-DD"),
            Field::text("facilitator", "Facilitator", facilitator, ""),
            Field::text("attendees", "Attendees", attendees, "comma-separated names"),
            Field::text(
                "trigger",
                "Trigger",
                trigger,
                "initial, re-run, boundary change: ...",
            ),
        ],
    )
}

fn run_from_form(form: &mut Form, today: NaiveDate) -> Option<Run> {
    form.clear_errors();
    let date = match NaiveDate::parse_from_str(&form.text("date"), "%Y-%m-%d") {
        Ok(d) => d,
        Err(_) if form.text("date").is_empty() => today,
        Err(_) => {
            form.set_error("date", "use a date like 2026-12-15");
            return None;
        }
    };
    let attendees: Vec<String> = form
        .text("attendees")
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(String::from)
        .collect();
    Some(Run {
        date,
        facilitator: form.text("facilitator"),
        attendees,
        trigger: form.text("trigger"),
        minutes: None,
        baseline: String::new(),
        notes: String::new(),
    })
}

/// Keys to run an app through in tests: helix-style notation, e.g. `"a<ret>"`.
#[cfg(test)]
pub fn keys(app: &mut App, keys: &str) {
    let mut rest = keys;
    while !rest.is_empty() {
        let (key, tail) = if let Some(stripped) = rest.strip_prefix('<')
            && let Some(end) = stripped.find('>')
        {
            let name = &stripped[..end];
            let key = match name {
                "ret" => KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE),
                "esc" => KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE),
                "tab" => KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE),
                "down" => KeyEvent::new(KeyCode::Down, KeyModifiers::NONE),
                "up" => KeyEvent::new(KeyCode::Up, KeyModifiers::NONE),
                "left" => KeyEvent::new(KeyCode::Left, KeyModifiers::NONE),
                "right" => KeyEvent::new(KeyCode::Right, KeyModifiers::NONE),
                "space" => KeyEvent::new(KeyCode::Char(' '), KeyModifiers::NONE),
                "bs" => KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE),
                "home" => KeyEvent::new(KeyCode::Home, KeyModifiers::NONE),
                "end" => KeyEvent::new(KeyCode::End, KeyModifiers::NONE),
                "pgup" => KeyEvent::new(KeyCode::PageUp, KeyModifiers::NONE),
                "pgdn" => KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE),
                c if c.starts_with("C-") => KeyEvent::new(
                    KeyCode::Char(c.chars().nth(2).unwrap_or(' ')),
                    KeyModifiers::CONTROL,
                ),
                other => panic!("unknown key <{other}>"),
            };
            (key, &stripped[end + 1..])
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            (
                KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE),
                &rest[c.len_utf8()..],
            )
        };
        app.handle_key(key);
        rest = tail;
    }
}
