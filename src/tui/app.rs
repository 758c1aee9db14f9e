//! App state and its update: keys become actions, actions change state. Rendering (in
//! `view.rs`) only reads this state.

use super::diagram::DiagramLayout;
use super::keymap::{self, Action, Context};
use super::screens::build::{self, FormTarget, Section};
use super::screens::respond;
use super::screens::threats::{self, ElementRow, Picker};
use super::theme::Theme;
use super::widgets::form::{Field, Form, FormOutcome};
use crate::analysis::{Analysis, FindingOptions, analyze};
use crate::library::LibrarySet;
use crate::model::edit::{Edit, History, Item};
use crate::model::{Problem, Run, Session, validate};
use crate::store::{self, LoadedSession};
use chrono::NaiveDate;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub const QUESTIONS: [(&str, &str); 4] = [
    ("Build", "What are we building?"),
    ("Threats", "What can go wrong?"),
    ("Respond", "What are we going to do about it?"),
    ("Review", "Did we do a good job?"),
];

/// A session file found by the start screen.
#[derive(Debug, Clone)]
pub struct SessionEntry {
    pub path: PathBuf,
    /// Title, last run and open threats, or why it could not be read.
    pub summary: Result<(String, Option<NaiveDate>, usize), String>,
}

#[derive(Debug)]
pub struct StartState {
    pub dir: PathBuf,
    pub entries: Vec<SessionEntry>,
    /// Index into entries; `entries.len()` is the "new session" row.
    pub selected: usize,
}

impl StartState {
    pub fn scan(dir: &Path) -> Self {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                    .collect()
            })
            .unwrap_or_default();
        paths.sort();
        let entries = paths
            .into_iter()
            .map(|path| {
                let summary = store::load(&path)
                    .map(|l| {
                        let s = &l.session;
                        let open = s.threats.iter().filter(|t| t.status.is_open()).count();
                        (s.title.clone(), s.last_run().map(|r| r.date), open)
                    })
                    .map_err(|e| e.to_string());
                SessionEntry { path, summary }
            })
            .collect();
        StartState {
            dir: dir.to_path_buf(),
            entries,
            selected: 0,
        }
    }
}

#[derive(Debug)]
pub struct SessionState {
    pub loaded: LoadedSession,
    pub history: History,
    pub question: usize,
    pub section: Section,
    /// Selected row per list section.
    pub selected: [usize; 4],
    pub diagram_scroll: (u16, u16),
    pub browse_scroll: u16,
    /// Question 2: selected element row, selected threat among its threats, which pane has
    /// the keys, and whether threats are ordered by risk.
    pub q2_element: usize,
    pub q2_threat: usize,
    pub q2_threats_pane: bool,
    pub q2_by_risk: bool,
    /// Question 3: selected threat (in risk order), selected mitigation, which pane has keys.
    pub q3_threat: usize,
    pub q3_mitigation: usize,
    pub q3_mitigations_pane: bool,
    pub started: Instant,
    /// The revision last written to the autosave file, and when the next write is due.
    pub autosaved_revision: u64,
    /// The revision whose text the crash handlers hold (see `crash::remember`).
    pub crash_copy_revision: Option<u64>,
    pub autosave_due: Option<Instant>,
    /// The lock that tells other instances this file is open here.
    pub lock: Option<crate::store::autosave::SessionLock>,
    /// Derived from the session, refreshed in update when the revision changes.
    pub derived: Derived,
}

#[derive(Debug)]
pub struct Derived {
    pub revision: u64,
    pub problems: Vec<Problem>,
    pub diagram: DiagramLayout,
    pub analysis: Analysis,
    pub crossing: Vec<bool>,
    /// Question 2's element list.
    pub elements: Vec<ElementRow>,
}

impl Derived {
    fn compute(session: &Session, revision: u64, today: NaiveDate) -> Self {
        let graph = crate::analysis::ModelGraph::new(session);
        Derived {
            revision,
            problems: validate(session),
            diagram: DiagramLayout::compute(session),
            analysis: analyze(
                session,
                &FindingOptions {
                    today,
                    max_age_days: None,
                },
            ),
            crossing: (0..session.flows.len())
                .map(|i| graph.crosses_boundary(i))
                .collect(),
            elements: threats::elements(session),
        }
    }
}

impl SessionState {
    pub fn new(loaded: LoadedSession, today: NaiveDate) -> Self {
        let derived = Derived::compute(&loaded.session, 0, today);
        SessionState {
            loaded,
            history: History::new(),
            question: 0,
            section: Section::Components,
            selected: [0; 4],
            diagram_scroll: (0, 0),
            browse_scroll: 0,
            q2_element: 0,
            q2_threat: 0,
            q2_threats_pane: false,
            q2_by_risk: false,
            q3_threat: 0,
            q3_mitigation: 0,
            q3_mitigations_pane: false,
            started: Instant::now(),
            autosaved_revision: 0,
            crash_copy_revision: None,
            autosave_due: None,
            lock: None,
            derived,
        }
    }

    pub fn session(&self) -> &Session {
        &self.loaded.session
    }

    pub fn section_index(&self) -> Option<usize> {
        Section::ALL[..4].iter().position(|s| *s == self.section)
    }

    /// Question 2's selected element.
    pub fn q2_row(&self) -> Option<&ElementRow> {
        let rows = &self.derived.elements;
        rows.get(self.q2_element.min(rows.len().saturating_sub(1)))
    }

    /// Question 2's selected threat: its index in the session's threats.
    pub fn q2_selected_threat(&self) -> Option<usize> {
        let row = self.q2_row()?;
        let list = threats::threats_of(self.session(), &row.id, self.q2_by_risk);
        list.get(self.q2_threat.min(list.len().saturating_sub(1)))
            .map(|(i, _)| *i)
    }

    /// Question 3's selected threat (index into the session's threats).
    pub fn q3_selected_threat(&self) -> Option<usize> {
        let order = respond::ordered(self.session());
        order
            .get(self.q3_threat.min(order.len().saturating_sub(1)))
            .copied()
    }

    /// Question 3's selected mitigation (index into the session's mitigations).
    pub fn q3_selected_mitigation(&self) -> Option<usize> {
        let threat = self.session().threats.get(self.q3_selected_threat()?)?;
        let list = respond::mitigations_of(self.session(), threat.id.as_str());
        list.get(self.q3_mitigation.min(list.len().saturating_sub(1)))
            .copied()
    }

    pub fn selected_row(&self) -> Option<usize> {
        let i = self.section_index()?;
        let len = self.section.len(self.session());
        (len > 0).then(|| self.selected[i].min(len - 1))
    }
}

#[derive(Debug)]
pub enum Screen {
    Start(StartState),
    Session(Box<SessionState>),
}

/// What a modal form is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormPurpose {
    Element(FormTarget),
    Mitigation {
        threat: usize,
        index: Option<usize>,
    },
    Acceptance {
        threat: usize,
    },
    Review,
    /// A threat typed by hand on an element, or an edit of threat `index`.
    Threat {
        target: String,
        index: Option<usize>,
    },
    Run {
        index: Option<usize>,
    },
    NewSession,
}

#[derive(Debug)]
pub enum Modal {
    Help,
    Picker(Picker),
    Form {
        form: Form,
        purpose: FormPurpose,
    },
    /// Yes/no before a destructive step.
    ConfirmDelete {
        section: Section,
        index: usize,
        message: String,
    },
    ConfirmDeleteThreat {
        index: usize,
        message: String,
    },
    ConfirmQuit,
    /// An autosave newer than the file was found: recover it or discard it.
    Recover {
        session: Box<Session>,
        changes: Vec<String>,
    },
    /// Someone else changed the file since it was loaded.
    SaveConflict,
    /// A re-run starts here: what changed since the baseline, before question 1. Closing it
    /// asks for the run record with the change as its trigger.
    WhatChanged {
        text: Vec<String>,
        trigger: String,
        scroll: u16,
    },
    /// Save and commit: what changed, and the commit message (editable).
    Commit(CommitDraft),
    /// A message too long for the status line (a hook's reason for refusing a commit); any key
    /// closes it.
    Notice {
        title: String,
        lines: Vec<String>,
    },
}

#[derive(Debug, Clone)]
pub struct CommitDraft {
    /// "since the last commit", "since the last save", ...
    pub baseline: String,
    pub changes: Vec<String>,
    pub message: super::widgets::text_input::TextInput,
    /// Whether the file lives in a git work tree (else the commit only saves).
    pub in_git: bool,
    /// Whether HEAD is detached: the commit would be on no branch.
    pub detached: bool,
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
            libraries: LibrarySet::from_libraries(Vec::new()).unwrap_or_else(|_| unreachable!()),
            library_dirs: Vec::new(),
            take_lock: false,
        }
    }

    /// A re-run: the session with the threats the change puts in question marked needs-review
    /// (one undoable step), opened on the "what changed" view.
    pub fn enter_rerun(
        &mut self,
        loaded: LoadedSession,
        marked: Session,
        report: String,
        trigger: String,
    ) {
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
            self.apply(
                Edit::Whole(Box::new(marked)),
                &format!("{flagged} threats need review"),
            );
        }
        self.modal = Some(Modal::WhatChanged {
            text: report.lines().map(String::from).collect(),
            trigger,
            scroll: 0,
        });
    }

    pub fn open(loaded: LoadedSession, theme: Theme, today: NaiveDate) -> Self {
        let mut app = App {
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
            libraries: LibrarySet::from_libraries(Vec::new()).unwrap_or_else(|_| unreachable!()),
            library_dirs: Vec::new(),
            take_lock: false,
        };
        app.enter_session(loaded);
        app
    }

    /// Opens a session: loads its libraries, takes the file's lock when this app holds locks,
    /// and offers recovery from an autosave.
    pub fn enter_session(&mut self, loaded: LoadedSession) {
        self.libraries =
            match crate::library::load_for_session(Some(&loaded.path), &self.library_dirs) {
                Ok(set) => set,
                Err(e) => {
                    self.status = Some((format!("threat libraries: {e}"), Level::Error));
                    LibrarySet::shipped().unwrap_or_else(|_| {
                        LibrarySet::from_libraries(Vec::new()).unwrap_or_else(|_| unreachable!())
                    })
                }
            };
        let path = loaded.path.clone();
        let mut state = SessionState::new(loaded, self.today);
        if self.take_lock {
            match store::autosave::lock(&path) {
                Ok(lock) => state.lock = Some(lock),
                Err(Some(owner)) => {
                    self.error(format!(
                        "{} is open elsewhere ({owner}); close it there first",
                        path.display()
                    ));
                    return;
                }
                Err(None) => {}
            }
        }
        let recovered = store::autosave::pending_autosave(&path)
            .and_then(|text| store::parse(&text).ok())
            .map(|(s, _)| s)
            .filter(|s| s != state.session());
        let needs_run = state.session().runs.iter().all(|r| r.date != self.today);
        let last = state.session().last_run().cloned();
        if let Some(autosaved) = recovered {
            let changes =
                crate::model::change::ChangeSummary::between(state.session(), &autosaved).lines();
            self.screen = Screen::Session(Box::new(state));
            self.modal = Some(Modal::Recover {
                session: Box::new(autosaved),
                changes,
            });
            return;
        }
        self.screen = Screen::Session(Box::new(state));
        if needs_run {
            // A new sitting: record who is in the room before the team starts.
            let trigger = if last.is_some() { "re-run" } else { "initial" };
            let facilitator = last
                .as_ref()
                .map_or(self.user.clone(), |r| r.facilitator.clone());
            let attendees = last.map(|r| r.attendees.join(", ")).unwrap_or_default();
            self.modal = Some(Modal::Form {
                form: run_form(
                    "Start today's run",
                    self.today,
                    &facilitator,
                    &attendees,
                    trigger,
                ),
                purpose: FormPurpose::Run { index: None },
            });
        }
    }

    pub fn session(&self) -> Option<&SessionState> {
        match &self.screen {
            Screen::Session(s) => Some(s),
            Screen::Start(_) => None,
        }
    }

    /// Contexts for key lookup and the footer, most specific first.
    pub fn contexts(&self) -> Vec<Context> {
        match &self.screen {
            Screen::Start(_) => vec![Context::Start, Context::Global],
            Screen::Session(s) => {
                let screen = match (s.question, s.section) {
                    (0, Section::Diagram) => Context::Diagram,
                    (0, _) => Context::Build,
                    (1, _) => Context::Threats,
                    (2, _) => Context::Respond,
                    _ => Context::Browse,
                };
                vec![screen, Context::Session, Context::Global]
            }
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

    pub fn handle_paste(&mut self, text: &str) {
        match self.modal.take() {
            Some(Modal::Form { mut form, purpose }) => {
                form.paste(text);
                self.modal = Some(Modal::Form { form, purpose });
            }
            Some(Modal::Picker(mut picker)) => {
                picker.query.insert(text);
                self.refresh_picker(&mut picker);
                self.modal = Some(Modal::Picker(picker));
            }
            other => self.modal = other,
        }
    }

    fn refresh_picker(&self, picker: &mut Picker) {
        if let Some(s) = self.session()
            && let Some(row) = s.derived.elements.iter().find(|r| r.id == picker.target)
        {
            picker.refresh(s.session(), &self.libraries, row);
        }
    }

    fn picker_key(&mut self, mut picker: Picker, key: KeyEvent) {
        match key.code {
            KeyCode::Esc => return,
            KeyCode::Up => picker.selected = picker.selected.saturating_sub(1),
            KeyCode::Down => {
                picker.selected = (picker.selected + 1).min(picker.hits.len().saturating_sub(1));
            }
            KeyCode::PageDown => {
                picker.selected = (picker.selected + 10).min(picker.hits.len().saturating_sub(1));
            }
            KeyCode::PageUp => picker.selected = picker.selected.saturating_sub(10),
            KeyCode::Enter => {
                let Some(hit) = picker.selected_hit().cloned() else {
                    self.info("nothing selected: type to search, Esc closes");
                    self.modal = Some(Modal::Picker(picker));
                    return;
                };
                let Some(s) = self.session() else { return };
                let Some(row) = s.derived.elements.iter().find(|r| r.id == picker.target) else {
                    return;
                };
                let edit = threats::add_from_library(s.session(), &row.id, &row.applicable, &hit);
                let id = s.session().next_threat_id();
                self.apply(
                    edit,
                    &format!("{id} added: {} ({})", hit.name, hit.reference),
                );
                self.focus_threat(&id.to_string());
                return;
            }
            _ => {
                if picker.query.handle_key(key) {
                    self.refresh_picker(&mut picker);
                }
            }
        }
        self.modal = Some(Modal::Picker(picker));
    }

    /// Selects a threat in question 2's threat pane.
    fn focus_threat(&mut self, id: &str) {
        let Screen::Session(s) = &mut self.screen else {
            return;
        };
        let Some(row) = s.q2_row().map(|r| r.id.clone()) else {
            return;
        };
        let list = threats::threats_of(s.session(), &row, s.q2_by_risk);
        if let Some(pos) = list.iter().position(|(_, t)| t.id.as_str() == id) {
            s.q2_threat = pos;
            s.q2_threats_pane = true;
        }
    }

    /// Routes a key to the open modal, else to the screen and global bindings.
    pub fn handle_key(&mut self, key: KeyEvent) {
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            self.update(Action::Quit);
            return;
        }
        if let Some(modal) = self.modal.take() {
            self.modal_key(modal, key);
        } else if let Some(action) = keymap::lookup(&self.contexts(), &key) {
            self.update(action);
        }
        self.refresh();
    }

    fn modal_key(&mut self, modal: Modal, key: KeyEvent) {
        match modal {
            Modal::Help | Modal::Notice { .. } => {} // any key closes them
            Modal::Picker(picker) => self.picker_key(picker, key),
            Modal::Commit(mut draft) => match key.code {
                KeyCode::Esc => self.info("not committed"),
                KeyCode::Enter => self.commit(draft),
                _ => {
                    draft.message.handle_key(key);
                    self.modal = Some(Modal::Commit(draft));
                }
            },
            Modal::ConfirmDeleteThreat { index, .. } => {
                if matches!(key.code, KeyCode::Char('y') | KeyCode::Char('Y')) {
                    self.delete_threat(index);
                } else {
                    self.info("nothing deleted");
                }
            }
            Modal::Recover { session, .. } => match key.code {
                KeyCode::Char('r') => self.apply(
                    Edit::Whole(session),
                    "recovered the autosaved work; Ctrl-S saves it",
                ),
                KeyCode::Char('d') => {
                    if let Some(s) = self.session() {
                        store::autosave::remove_autosave(&s.loaded.path);
                    }
                    self.info("autosave discarded");
                }
                _ => self.info("autosave kept for later; reopen the session to recover it"),
            },
            Modal::SaveConflict => self.resolve_conflict(key),
            Modal::WhatChanged {
                text,
                trigger,
                scroll,
            } => match key.code {
                KeyCode::Down | KeyCode::Char('j') => {
                    let scroll = (scroll + 1).min(text.len().saturating_sub(1) as u16);
                    self.modal = Some(Modal::WhatChanged {
                        text,
                        trigger,
                        scroll,
                    });
                }
                KeyCode::Up | KeyCode::Char('k') => {
                    let scroll = scroll.saturating_sub(1);
                    self.modal = Some(Modal::WhatChanged {
                        text,
                        trigger,
                        scroll,
                    });
                }
                _ => {
                    // On to the run record, with the change as its trigger (editable).
                    let Some(s) = self.session() else { return };
                    let index = s.session().runs.iter().rposition(|r| r.date == self.today);
                    let last = s.session().last_run().cloned();
                    let facilitator = last
                        .as_ref()
                        .map_or(self.user.clone(), |r| r.facilitator.clone());
                    let attendees = last.map(|r| r.attendees.join(", ")).unwrap_or_default();
                    self.modal = Some(Modal::Form {
                        form: run_form(
                            "Re-run: today's run",
                            self.today,
                            &facilitator,
                            &attendees,
                            &trigger,
                        ),
                        purpose: FormPurpose::Run { index },
                    });
                }
            },
            Modal::ConfirmQuit => match key.code {
                KeyCode::Char('s') | KeyCode::Char('y') => {
                    if self.save() {
                        self.quit = true;
                    }
                }
                KeyCode::Char('d') => {
                    if let Some(s) = self.session() {
                        store::autosave::remove_autosave(&s.loaded.path);
                        super::crash::remember(&s.loaded.path, None);
                    }
                    self.quit = true;
                }
                _ => self.info("quit cancelled"),
            },
            Modal::ConfirmDelete { section, index, .. } => {
                if matches!(key.code, KeyCode::Char('y') | KeyCode::Char('Y')) {
                    self.delete_now(section, index);
                } else {
                    self.info("nothing deleted");
                }
            }
            Modal::Form { mut form, purpose } => match form.handle_key(key) {
                FormOutcome::Continue => self.modal = Some(Modal::Form { form, purpose }),
                FormOutcome::Cancel => {
                    if purpose == (FormPurpose::Run { index: None }) {
                        self.info("no run recorded for today; press r to start one");
                    }
                }
                FormOutcome::Submit => self.submit_form(form, purpose),
            },
        }
    }

    fn submit_form(&mut self, mut form: Form, purpose: FormPurpose) {
        match purpose.clone() {
            FormPurpose::NewSession => {
                let dir = match &self.screen {
                    Screen::Start(s) => s.dir.clone(),
                    Screen::Session(_) => PathBuf::from("sessions"),
                };
                match store::create_session(&form.text("title"), &dir)
                    .and_then(|path| store::load(&path).map_err(|e| e.to_string()))
                {
                    Ok(loaded) => {
                        let path = loaded.path.display().to_string();
                        self.enter_session(loaded);
                        self.info(format!("created {path}"));
                    }
                    Err(message) => {
                        form.set_error("title", message);
                        self.modal = Some(Modal::Form { form, purpose });
                    }
                }
            }
            FormPurpose::Run { index } => match run_from_form(&mut form, self.today) {
                Some(run) => {
                    let edit = match index {
                        Some(index) => Edit::Replace {
                            index,
                            item: Item::Run(run),
                        },
                        None => {
                            let len = self.session().map_or(0, |s| s.session().runs.len());
                            Edit::Insert {
                                index: len,
                                item: Item::Run(run),
                            }
                        }
                    };
                    self.apply(edit, "run recorded");
                }
                None => self.modal = Some(Modal::Form { form, purpose }),
            },
            FormPurpose::Mitigation { threat, index } => {
                let Some(state) = self.session() else { return };
                let s = state.session();
                let Some(threat_id) = s.threats.get(threat).map(|t| t.id.clone()) else {
                    return;
                };
                let old = index.and_then(|i| s.mitigations.get(i));
                match respond::mitigation_from_form(&mut form, s, old, &threat_id) {
                    Some(m) => {
                        let id = m.id.to_string();
                        let due = m.due.map(crate::model::due::with_weekday);
                        let mut edits = Vec::new();
                        match index {
                            Some(i) => edits.push(Edit::Replace {
                                index: i,
                                item: Item::Mitigation(m),
                            }),
                            None => edits.push(Edit::Insert {
                                index: s.mitigations.len(),
                                item: Item::Mitigation(m),
                            }),
                        }
                        // Adding a mitigation to an undecided threat decides it.
                        if s.threats
                            .get(threat)
                            .is_some_and(|t| t.response == crate::model::Response::Undecided)
                            && let Some(e) =
                                respond::set_response(s, threat, crate::model::Response::Mitigate)
                        {
                            edits.push(e);
                        }
                        let message = match due {
                            Some(d) => format!("{id} saved, due {d}"),
                            None => format!("{id} saved, no due date yet"),
                        };
                        self.apply(Edit::Batch(edits), &message);
                        if let Screen::Session(st) = &mut self.screen {
                            st.q3_mitigations_pane = true;
                        }
                    }
                    None => self.modal = Some(Modal::Form { form, purpose }),
                }
            }
            FormPurpose::Acceptance { threat } => {
                let Some(state) = self.session() else { return };
                let s = state.session();
                let Some(threat_id) = s.threats.get(threat).map(|t| t.id.clone()) else {
                    return;
                };
                match respond::acceptance_from_form(&mut form, &threat_id) {
                    Some(a) => {
                        if let Some(edit) = respond::accept(s, threat, a) {
                            self.apply(edit, &format!("{threat_id} accepted"));
                        }
                    }
                    None => self.modal = Some(Modal::Form { form, purpose }),
                }
            }
            FormPurpose::Review => {
                let review = super::screens::browse::review_from_form(&form);
                self.apply(
                    Edit::SetReview(review),
                    "retrospective saved in the session",
                );
            }
            FormPurpose::Threat { target, index } => {
                let Some(state) = self.session() else { return };
                let s = state.session();
                let base = match index.and_then(|i| s.threats.get(i)) {
                    Some(t) => t.clone(),
                    None => crate::model::Threat {
                        id: s.next_threat_id(),
                        target: target.as_str().into(),
                        title: String::new(),
                        stride: crate::model::StrideSet::empty(),
                        refs: Vec::new(),
                        likelihood: None,
                        impact: None,
                        response: crate::model::Response::Undecided,
                        status: crate::model::ThreatStatus::Open,
                        notes: String::new(),
                    },
                };
                let id = base.id.to_string();
                match threats::threat_from_form(&mut form, base) {
                    Some(threat) => {
                        let edit = match index {
                            Some(index) => Edit::Replace {
                                index,
                                item: Item::Threat(threat),
                            },
                            None => Edit::Insert {
                                index: s.threats.len(),
                                item: Item::Threat(threat),
                            },
                        };
                        self.apply(edit, &format!("{id} saved"));
                        self.focus_threat(&id);
                    }
                    None => self.modal = Some(Modal::Form { form, purpose }),
                }
            }
            FormPurpose::Element(target) => {
                let Some(state) = self.session() else { return };
                match build::submit(&mut form, state.session(), target) {
                    Some((edit, message)) => {
                        let added = target.index.is_none();
                        self.apply(edit, &message);
                        if added
                            && let (Screen::Session(s), Some(i)) = (
                                &mut self.screen,
                                Section::ALL[..4].iter().position(|x| *x == target.section),
                            )
                        {
                            s.selected[i] = target.section.len(s.session()).saturating_sub(1);
                        }
                    }
                    None => self.modal = Some(Modal::Form { form, purpose }),
                }
            }
        }
    }

    /// Applies an edit through the history (so it can be undone) and refreshes what is derived.
    fn apply(&mut self, edit: Edit, message: &str) {
        // Edits find entries by id: with one id on two entries they would change both.
        if let Some(dup) = self
            .session()
            .and_then(|s| crate::model::edit::duplicate_id(s.session()))
        {
            self.error(format!(
                "not changed: {dup}; give each entry its own id in the file (threatboard validate shows where), then reopen it"
            ));
            return;
        }
        let today = self.today;
        let Screen::Session(s) = &mut self.screen else {
            return;
        };
        match s.history.apply(&mut s.loaded.session, edit) {
            Ok(()) => {
                s.derived = Derived::compute(&s.loaded.session, s.history.revision(), today);
                self.info(format!("{message} (u undoes)"));
            }
            Err(e) => self.error(format!("could not apply the change: {e}")),
        }
    }

    /// Called on every loop turn: writes the autosave when one is due. Kept out of rendering so
    /// drawing never touches the disk.
    pub fn tick(&mut self, now: Instant) {
        let Screen::Session(s) = &mut self.screen else {
            return;
        };
        if s.autosave_due.is_some_and(|due| due <= now) {
            s.autosave_due = None;
            s.autosaved_revision = s.history.revision();
            let path = s.loaded.path.clone();
            if s.history.is_dirty() {
                let text = store::to_toml(s.session());
                if let Err(e) = store::autosave::write_autosave(&path, &text) {
                    self.error(format!("autosave failed: {e}"));
                }
            } else {
                store::autosave::remove_autosave(&path);
            }
        }
    }

    /// Writes the autosave now if changes are pending (on SIGTERM, SIGHUP, before exiting).
    pub fn flush_autosave(&mut self) {
        if let Screen::Session(s) = &mut self.screen
            && s.autosave_due.is_some()
        {
            s.autosave_due = Some(Instant::now());
        }
        self.tick(Instant::now());
    }

    fn refresh(&mut self) {
        let today = self.today;
        if let Screen::Session(s) = &mut self.screen {
            if s.derived.revision != s.history.revision() {
                s.derived = Derived::compute(&s.loaded.session, s.history.revision(), today);
            }
            if s.autosaved_revision != s.history.revision() && s.autosave_due.is_none() {
                // Within a second of any change; a burst of keys makes one write.
                s.autosave_due = Some(Instant::now() + Duration::from_millis(500));
            }
            // The crash handlers (a panic, a hung-up terminal) need the very latest text: they
            // run when the next autosave may never come.
            if s.crash_copy_revision != Some(s.history.revision()) {
                s.crash_copy_revision = Some(s.history.revision());
                super::crash::remember(
                    &s.loaded.path,
                    s.history.is_dirty().then(|| s.session().clone()),
                );
            }
        }
    }

    /// Saves; returns whether the session is now on disk.
    fn save(&mut self) -> bool {
        let Screen::Session(s) = &mut self.screen else {
            return false;
        };
        match s.loaded.save() {
            Ok(written) => {
                s.history.mark_saved();
                store::autosave::remove_autosave(&s.loaded.path);
                s.autosaved_revision = s.history.revision();
                s.autosave_due = None;
                super::crash::remember(&s.loaded.path, None);
                let path = s.loaded.path.display().to_string();
                self.info(if written {
                    format!("saved {path}")
                } else {
                    format!("{path} is up to date")
                });
                true
            }
            Err(crate::store::StoreError::ChangedOnDisk { .. }) => {
                self.modal = Some(Modal::SaveConflict);
                false
            }
            Err(e) => {
                self.error(format!("not saved: {e}"));
                false
            }
        }
    }

    fn delete_now(&mut self, section: Section, index: usize) {
        let Some(state) = self.session() else { return };
        let name = state.session().clone();
        if let Some(edit) = build::delete(&name, section, index) {
            self.apply(edit, &format!("{} deleted", section.noun()));
        }
    }

    pub fn update(&mut self, action: Action) {
        match action {
            Action::Help => self.modal = Some(Modal::Help),
            Action::Quit => {
                if self.is_dirty() {
                    self.modal = Some(Modal::ConfirmQuit);
                } else {
                    self.quit = true;
                }
            }
            _ => match &mut self.screen {
                Screen::Start(_) => self.update_start(action),
                Screen::Session(_) => self.update_session(action),
            },
        }
        self.refresh();
    }

    fn update_start(&mut self, action: Action) {
        let Screen::Start(start) = &mut self.screen else {
            return;
        };
        let rows = start.entries.len() + 1;
        match action {
            Action::Up => start.selected = start.selected.saturating_sub(1),
            Action::Down => start.selected = (start.selected + 1).min(rows - 1),
            Action::Add => self.new_session_form(),
            Action::Open => {
                if start.selected >= start.entries.len() {
                    self.new_session_form();
                    return;
                }
                let path = start.entries[start.selected].path.clone();
                match store::load(&path) {
                    Ok(loaded) => self.enter_session(loaded),
                    Err(e) => self.error(e.to_string()),
                }
            }
            _ => {}
        }
    }

    fn new_session_form(&mut self) {
        self.modal = Some(Modal::Form {
            form: Form::new(
                "New session",
                vec![Field::text("title", "Title", "", "e.g. Checkout service")],
            ),
            purpose: FormPurpose::NewSession,
        });
    }

    fn update_session(&mut self, action: Action) {
        let Screen::Session(s) = &mut self.screen else {
            return;
        };
        match action {
            Action::Question(q) => s.question = q.min(3),
            Action::NextQuestion => s.question = (s.question + 1) % 4,
            Action::PrevQuestion if s.question == 0 && s.section == Section::Diagram => {
                s.section = Section::Flows;
            }
            Action::PrevQuestion => s.question = (s.question + 3) % 4,
            Action::Save => {
                self.save();
            }
            Action::Undo => {
                let done = s.history.undo(&mut s.loaded.session);
                match done {
                    Ok(true) => self.info("undone (Ctrl-R redoes)"),
                    Ok(false) => self.info("nothing to undo"),
                    Err(e) => self.error(format!("undo failed: {e}")),
                }
            }
            Action::Redo => {
                let done = s.history.redo(&mut s.loaded.session);
                match done {
                    Ok(true) => self.info("redone"),
                    Ok(false) => self.info("nothing to redo"),
                    Err(e) => self.error(format!("redo failed: {e}")),
                }
            }
            Action::Commit => self.open_commit(),
            Action::EditRun => {
                let index = s.session().runs.iter().rposition(|r| r.date == self.today);
                let run = index.and_then(|i| s.session().runs.get(i)).cloned();
                let title = if run.is_some() {
                    "Today's run"
                } else {
                    "Start today's run"
                };
                let facilitator = run
                    .as_ref()
                    .map_or(self.user.clone(), |r| r.facilitator.clone());
                let trigger = run.as_ref().map_or_else(
                    || {
                        if s.session().runs.is_empty() {
                            "initial".to_string()
                        } else {
                            "re-run".to_string()
                        }
                    },
                    |r| r.trigger.clone(),
                );
                self.modal = Some(Modal::Form {
                    form: run_form(
                        title,
                        run.as_ref().map_or(self.today, |r| r.date),
                        &facilitator,
                        &run.map(|r| r.attendees.join(", ")).unwrap_or_default(),
                        &trigger,
                    ),
                    purpose: FormPurpose::Run { index },
                });
            }
            _ if s.question == 0 => self.update_build(action),
            _ if s.question == 1 => self.update_threats(action),
            _ if s.question == 2 => self.update_respond(action),
            Action::Edit => {
                self.modal = Some(Modal::Form {
                    form: super::screens::browse::review_form(s.session()),
                    purpose: FormPurpose::Review,
                });
            }
            Action::Up => s.browse_scroll = s.browse_scroll.saturating_sub(1),
            Action::Down => s.browse_scroll = s.browse_scroll.saturating_add(1),
            _ => {}
        }
    }

    fn update_threats(&mut self, action: Action) {
        let Screen::Session(s) = &mut self.screen else {
            return;
        };
        let rows = s.derived.elements.len();
        let Some(row) = s.q2_row().cloned() else {
            self.info("question 1 first: there are no components or flows yet");
            return;
        };
        let count = threats::threats_of(s.session(), &row.id, s.q2_by_risk).len();
        match action {
            Action::Up if s.q2_threats_pane => s.q2_threat = s.q2_threat.saturating_sub(1),
            Action::Down if s.q2_threats_pane => {
                s.q2_threat = (s.q2_threat + 1).min(count.saturating_sub(1));
            }
            Action::Up => {
                s.q2_element = s.q2_element.min(rows - 1).saturating_sub(1);
                s.q2_threat = 0;
            }
            Action::Down => {
                s.q2_element = (s.q2_element + 1).min(rows - 1);
                s.q2_threat = 0;
            }
            Action::Left => s.q2_threats_pane = false,
            Action::Right => s.q2_threats_pane = count > 0,
            Action::SortByRisk => {
                s.q2_by_risk = !s.q2_by_risk;
                let order = if s.q2_by_risk {
                    "by risk"
                } else {
                    "as entered"
                };
                self.info(format!("threats ordered {order}"));
            }
            Action::Add => {
                let picker = Picker::open(s.session(), &self.libraries, &row);
                self.modal = Some(Modal::Picker(picker));
            }
            Action::Custom => {
                self.modal = Some(Modal::Form {
                    form: threats::threat_form(None),
                    purpose: FormPurpose::Threat {
                        target: row.id.clone(),
                        index: None,
                    },
                });
            }
            Action::Edit | Action::Delete | Action::Likelihood | Action::Impact => {
                let Some(index) = s.q2_selected_threat() else {
                    self.info("no threat selected: press a to add one from the libraries");
                    return;
                };
                let Some(threat) = s.session().threats.get(index).cloned() else {
                    return;
                };
                match action {
                    Action::Edit => {
                        self.modal = Some(Modal::Form {
                            form: threats::threat_form(Some(&threat)),
                            purpose: FormPurpose::Threat {
                                target: row.id.clone(),
                                index: Some(index),
                            },
                        });
                    }
                    Action::Delete => {
                        let mitigations = s.session().mitigations_for(threat.id.as_str()).count();
                        if mitigations == 0 && s.session().acceptance(threat.id.as_str()).is_none()
                        {
                            self.delete_threat(index);
                        } else {
                            self.modal = Some(Modal::ConfirmDeleteThreat {
                                index,
                                message: format!(
                                    "Delete threat {}? {mitigations} mitigation(s) and any acceptance refer to it; mitigations left with no threat are deleted too.",
                                    threat.id
                                ),
                            });
                        }
                    }
                    _ => {
                        let mut t = threat;
                        let what = if action == Action::Likelihood {
                            t.likelihood = threats::cycle(t.likelihood);
                            format!("likelihood {}", t.likelihood.map_or("?", |r| r.label()))
                        } else {
                            t.impact = threats::cycle(t.impact);
                            format!("impact {}", t.impact.map_or("?", |r| r.label()))
                        };
                        let risk = t
                            .risk()
                            .map_or("unrated".to_string(), |r| r.as_str().to_string());
                        let id = t.id.to_string();
                        self.apply(
                            Edit::Replace {
                                index,
                                item: Item::Threat(t),
                            },
                            &format!("{id}: {what}, risk {risk}"),
                        );
                        self.focus_threat(&id);
                    }
                }
            }
            _ => {}
        }
    }

    fn update_respond(&mut self, action: Action) {
        let today = self.today;
        let Screen::Session(s) = &mut self.screen else {
            return;
        };
        let Some(threat) = s.q3_selected_threat() else {
            self.info("no threats yet: add them in question 2");
            return;
        };
        let count = s.session().threats.len();
        let Some(t) = s.session().threats.get(threat).cloned() else {
            return;
        };
        let mitigations = respond::mitigations_of(s.session(), t.id.as_str());
        match action {
            Action::Up if s.q3_mitigations_pane => {
                s.q3_mitigation = s.q3_mitigation.saturating_sub(1)
            }
            Action::Down if s.q3_mitigations_pane => {
                s.q3_mitigation = (s.q3_mitigation + 1).min(mitigations.len().saturating_sub(1));
            }
            Action::Up => {
                s.q3_threat = s.q3_threat.min(count - 1).saturating_sub(1);
                s.q3_mitigation = 0;
            }
            Action::Down => {
                s.q3_threat = (s.q3_threat + 1).min(count - 1);
                s.q3_mitigation = 0;
            }
            Action::Left => s.q3_mitigations_pane = false,
            Action::Right => s.q3_mitigations_pane = !mitigations.is_empty(),
            Action::RespondMitigate | Action::RespondTransfer | Action::RespondAvoid => {
                let response = match action {
                    Action::RespondMitigate => crate::model::Response::Mitigate,
                    Action::RespondTransfer => crate::model::Response::Transfer,
                    _ => crate::model::Response::Avoid,
                };
                if let Some(edit) = respond::set_response(s.session(), threat, response) {
                    let open_form =
                        response == crate::model::Response::Mitigate && mitigations.is_empty();
                    let form =
                        open_form.then(|| respond::mitigation_form(s.session(), None, today));
                    self.apply(edit, &format!("{}: {}", t.id, response.as_str()));
                    if let Some(form) = form {
                        self.modal = Some(Modal::Form {
                            form,
                            purpose: FormPurpose::Mitigation {
                                threat,
                                index: None,
                            },
                        });
                    }
                }
            }
            Action::RespondAccept => {
                let form = respond::acceptance_form(
                    s.session(),
                    s.session().acceptance(t.id.as_str()),
                    today,
                );
                self.modal = Some(Modal::Form {
                    form,
                    purpose: FormPurpose::Acceptance { threat },
                });
            }
            Action::Add => {
                let form = respond::mitigation_form(s.session(), None, today);
                self.modal = Some(Modal::Form {
                    form,
                    purpose: FormPurpose::Mitigation {
                        threat,
                        index: None,
                    },
                });
            }
            Action::Edit => {
                if s.q3_mitigations_pane
                    && let Some(m) = s.q3_selected_mitigation()
                {
                    let form = respond::mitigation_form(
                        s.session(),
                        s.session().mitigations.get(m),
                        today,
                    );
                    self.modal = Some(Modal::Form {
                        form,
                        purpose: FormPurpose::Mitigation {
                            threat,
                            index: Some(m),
                        },
                    });
                } else if t.response == crate::model::Response::Accept {
                    let form = respond::acceptance_form(
                        s.session(),
                        s.session().acceptance(t.id.as_str()),
                        today,
                    );
                    self.modal = Some(Modal::Form {
                        form,
                        purpose: FormPurpose::Acceptance { threat },
                    });
                } else if let Some(&m) = mitigations.first() {
                    let form = respond::mitigation_form(
                        s.session(),
                        s.session().mitigations.get(m),
                        today,
                    );
                    self.modal = Some(Modal::Form {
                        form,
                        purpose: FormPurpose::Mitigation {
                            threat,
                            index: Some(m),
                        },
                    });
                } else {
                    self.info("nothing to edit: a adds a mitigation, x accepts the risk");
                }
            }
            Action::Delete if s.q3_mitigations_pane => {
                if let Some(m) = s.q3_selected_mitigation() {
                    let id = s.session().mitigations[m].id.clone();
                    s.q3_mitigation = s.q3_mitigation.saturating_sub(1);
                    self.apply(
                        Edit::Remove {
                            table: crate::model::edit::ItemTable::Mitigations,
                            index: m,
                        },
                        &format!("{id} deleted"),
                    );
                }
            }
            Action::CycleStatus => {
                let Some(m) = s.q3_selected_mitigation().or(mitigations.first().copied()) else {
                    return;
                };
                let mut mit = s.session().mitigations[m].clone();
                use crate::model::MitigationStatus as St;
                mit.status = match mit.status {
                    St::Planned => St::InProgress,
                    St::InProgress => St::Done,
                    St::Done => St::Verified,
                    St::Verified => St::Planned,
                };
                let message = format!("{}: {}", mit.id, mit.status.as_str());
                self.apply(
                    Edit::Replace {
                        index: m,
                        item: Item::Mitigation(mit),
                    },
                    &message,
                );
            }
            Action::CycleThreatStatus => {
                use crate::model::ThreatStatus as St;
                let mut next = t.clone();
                next.status = match t.status {
                    St::NeedsReview => St::Open,
                    St::Open => St::Resolved,
                    St::Resolved => St::NotApplicable,
                    St::NotApplicable => St::Open,
                };
                let message = format!("{}: {}", next.id, next.status.as_str());
                self.apply(
                    Edit::Replace {
                        index: threat,
                        item: Item::Threat(next),
                    },
                    &message,
                );
            }
            _ => {}
        }
    }

    /// The file changed on disk while open: reload theirs, keep mine beside it, or overwrite.
    fn resolve_conflict(&mut self, key: KeyEvent) {
        let Screen::Session(s) = &mut self.screen else {
            return;
        };
        let path = s.loaded.path.clone();
        match key.code {
            KeyCode::Char('r') => match store::load(&path) {
                Ok(theirs) => {
                    let lock = s.lock.take();
                    let mine = store::to_toml(s.session());
                    let _ = store::autosave::write_autosave(&path, &mine);
                    let state = SessionState::new(theirs, self.today);
                    self.screen = Screen::Session(Box::new(SessionState { lock, ..state }));
                    store::autosave::remove_autosave(&path);
                    self.info("reloaded the file from disk; your version was discarded");
                }
                Err(e) => self.error(format!("cannot reload: {e}")),
            },
            KeyCode::Char('k') => {
                let stem = path
                    .file_stem()
                    .map(|x| x.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let beside = path.with_file_name(format!("{stem}.mine.toml"));
                let mut mine = LoadedSession::unsaved(s.session().clone(), &beside);
                match mine.save() {
                    Ok(_) => self.info(format!(
                        "your version is saved beside as {}",
                        beside.display()
                    )),
                    Err(e) => self.error(format!("not saved: {e}")),
                }
            }
            KeyCode::Char('m') => self.merge_with_disk(),
            KeyCode::Char('o') => {
                s.loaded.forget_disk_state();
                self.save();
            }
            _ => self.info("not saved: the file on disk is unchanged"),
        }
    }

    /// Merges the file as it is on disk now with this session, element by element (see
    /// `model::merge`), as one undoable step, and saves the result.
    fn merge_with_disk(&mut self) {
        let today = self.today;
        let Screen::Session(s) = &mut self.screen else {
            return;
        };
        let theirs = match store::load(&s.loaded.path) {
            Ok(theirs) => theirs,
            Err(e) => {
                self.error(format!("cannot merge: {e}"));
                return;
            }
        };
        let base = s
            .loaded
            .base()
            .cloned()
            .unwrap_or_else(|| Session::new(s.session().title.clone()));
        let merged = crate::model::merge::merge(&base, s.session(), &theirs.session);
        s.loaded.rebase_onto(theirs);
        if merged.session != *s.session() {
            let edit = Edit::Whole(Box::new(merged.session));
            if let Err(e) = s.history.apply(&mut s.loaded.session, edit) {
                self.error(format!("cannot merge: {e}"));
                return;
            }
            s.derived = Derived::compute(&s.loaded.session, s.history.revision(), today);
        }
        if !self.save() {
            return;
        }
        let taken = merged.taken_from_theirs;
        let mut message = format!(
            "merged and saved: {taken} change{} from the file on disk",
            if taken == 1 { "" } else { "s" }
        );
        if !merged.conflicts.is_empty() {
            let shown: Vec<&str> = merged
                .conflicts
                .iter()
                .take(3)
                .map(String::as_str)
                .collect();
            let more = merged.conflicts.len() - shown.len();
            message.push_str(&format!(
                "; both sides changed {}{}: yours kept",
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ));
        }
        message.push_str(" (u undoes the merge)");
        self.info(message);
    }

    /// Prepares the commit screen: the change against the last committed version of the file
    /// (or the last save, outside git) and a generated message.
    fn open_commit(&mut self) {
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
        let (baseline, description, in_git) = match git::last_committed(&path) {
            Ok(Some(text)) => (
                store::parse(&text).ok().map(|(s, _)| s),
                "since the last commit".to_string(),
                true,
            ),
            Ok(None) => (None, "new file: not committed yet".to_string(), true),
            Err(e) => (
                read_saved(),
                format!("since the last save (no commit: {e})"),
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
        self.modal = Some(Modal::Commit(CommitDraft {
            baseline: description,
            changes,
            message: {
                // Start at the beginning, so the "threat model: ..." prefix is what shows.
                let mut input =
                    super::widgets::text_input::TextInput::new(summary.commit_message(&current));
                input.handle_key(KeyEvent::new(KeyCode::Home, KeyModifiers::NONE));
                input
            },
            in_git,
            detached,
        }));
    }

    /// Saves atomically, then commits the file alone; the file stays saved if git fails.
    fn commit(&mut self, draft: CommitDraft) {
        if !self.save() {
            return;
        }
        if !draft.in_git {
            return; // `save` reported where the file went; there is no repository to commit to
        }
        let Some(state) = self.session() else { return };
        let path = state.loaded.path.clone();
        let message = draft.message.text().trim().to_string();
        match crate::store::git::commit_file(&path, &message) {
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
            lines.push(String::new());
            lines.push("any key: close".to_string());
            self.modal = Some(Modal::Notice {
                title: "Not committed".to_string(),
                lines,
            });
        }
    }

    /// Deletes a threat and what only it needed: its acceptance, and mitigations that address
    /// no other threat.
    fn delete_threat(&mut self, index: usize) {
        let Some(state) = self.session() else { return };
        let mut next = state.session().clone();
        if index >= next.threats.len() {
            return;
        }
        let id = next.threats.remove(index).id;
        next.acceptances.retain(|a| a.threat != id);
        for m in &mut next.mitigations {
            m.threats.retain(|t| t != &id);
        }
        next.mitigations.retain(|m| !m.threats.is_empty());
        self.apply(Edit::Whole(Box::new(next)), &format!("{id} deleted"));
    }

    fn update_build(&mut self, action: Action) {
        let Screen::Session(s) = &mut self.screen else {
            return;
        };
        if s.section == Section::Diagram {
            let (x, y) = &mut s.diagram_scroll;
            let (w, h) = s.derived.diagram.size();
            match action {
                Action::Up => *y = y.saturating_sub(2),
                Action::Down => *y = (*y + 2).min(h.saturating_sub(1)),
                Action::Left => *x = x.saturating_sub(4),
                Action::Right => *x = (*x + 4).min(w.saturating_sub(1)),
                _ => {}
            }
            return;
        }
        let Some(si) = s.section_index() else { return };
        let len = s.section.len(s.session());
        let sel = &mut s.selected[si];
        match action {
            Action::Up => *sel = sel.saturating_sub(1),
            Action::Down => *sel = (*sel + 1).min(len.saturating_sub(1)),
            Action::Top => *sel = 0,
            Action::Bottom => *sel = len.saturating_sub(1),
            Action::Left => s.section = Section::ALL[(si + 4) % 5],
            Action::Right => s.section = Section::ALL[si + 1],
            Action::Add | Action::Edit => {
                let index = if action == Action::Edit {
                    match s.selected_row() {
                        Some(i) => Some(i),
                        None => {
                            let message =
                                format!("no {} yet: press a to add one", s.section.noun());
                            self.info(message);
                            return;
                        }
                    }
                } else {
                    None
                };
                let target = FormTarget {
                    section: s.section,
                    index,
                };
                if s.section == Section::Flows
                    && s.session().components.len() < 2
                    && index.is_none()
                {
                    self.info("add at least two components first: a flow connects them");
                    return;
                }
                if let Some(form) = build::open_form(s.session(), target) {
                    self.modal = Some(Modal::Form {
                        form,
                        purpose: FormPurpose::Element(target),
                    });
                }
            }
            Action::Delete => {
                let Some(index) = s.selected_row() else {
                    return;
                };
                let section = s.section;
                let refs = build::references(s.session(), section, index);
                if refs.is_empty() {
                    self.delete_now(section, index);
                } else {
                    self.modal = Some(Modal::ConfirmDelete {
                        section,
                        index,
                        message: format!(
                            "Delete this {}? Then {}.",
                            section.noun(),
                            refs.join(", ")
                        ),
                    });
                }
            }
            Action::MoveUp | Action::MoveDown => {
                let Some(index) = s.selected_row() else {
                    return;
                };
                let Some(table) = s.section.item_table() else {
                    return;
                };
                let to = if action == Action::MoveUp {
                    index.checked_sub(1)
                } else {
                    Some(index + 1).filter(|t| *t < len)
                };
                if let Some(to) = to {
                    s.selected[si] = to;
                    self.apply(
                        Edit::Move {
                            table,
                            from: index,
                            to,
                        },
                        "moved",
                    );
                }
            }
            _ => {}
        }
    }

    /// Minutes of the agenda used and the question the clock says the team should be on.
    pub fn clock(&self) -> Option<(Duration, [u32; 4])> {
        self.session().map(|s| {
            let elapsed = self.frozen_clock.unwrap_or_else(|| s.started.elapsed());
            (elapsed, s.session().agenda_minutes())
        })
    }
}

fn run_form(
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
