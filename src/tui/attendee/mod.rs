//! The attendee app (`threatboard join`): the facilitator's model as it is now, the library
//! picker and the rules' suggestions, a form for a threat idea, and the ideas sent and what
//! became of them.
//!
//! [`AttendeeApp`] is plain state: it takes the host's messages ([`AttendeeApp::on_message`])
//! and keys ([`AttendeeApp::handle_key`]) and queues ideas for the run loop
//! ([`AttendeeApp::take_outgoing`]); it never touches the network, so all of it is tested
//! without one. [`run`] owns the connection.
//!
//! - [`ideas`]: the ideas written here and the others', and their pane;
//! - [`idea_form`]: the idea form;
//! - [`view`]: the drawing.

pub mod idea_form;
pub mod ideas;
mod run;
pub mod view;

#[cfg(test)]
mod tests;

pub use run::{JoinArgs, run};

use crate::analysis::ModelGraph;
use crate::library::LibrarySet;
use crate::model::Session;
use crate::share::{HostMsg, IdeaDraft, RoundInfo};
use crate::tui::keymap::{self, Action, Context};
use crate::tui::screens::threats::{
    ElementRow, Picker, SuggestionView, elements, jump, library_threat_form, suggested_threat,
    suggestions_for, threat_form,
};
use crate::tui::theme::Theme;
use crate::tui::widgets::form::{Form, FormOutcome};
use crate::tui::widgets::text::sanitize;
use ideas::Ideas;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::time::{Duration, Instant};

/// The state of the connection, as the header shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// Joined; messages flow.
    Connected,
    /// Lost; the run loop tries to join again. `why` is the host's reason when it gave one.
    Reconnecting { why: Option<String> },
    /// The facilitator ended the session.
    Ended,
}

/// The panes of the main screen, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Elements,
    Suggestions,
    Ideas,
}

/// What is open over the main screen.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    Picker(Picker),
    Form(Form),
    Help,
    /// Quit with an idea typed but not sent?
    ConfirmQuit,
}

/// A round under way and when its time was received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub info: RoundInfo,
    pub received: Instant,
}

impl Round {
    /// Seconds left at `now`, counted down from when the round's time arrived.
    pub fn remaining_at(&self, now: Instant) -> u32 {
        let elapsed = now.saturating_duration_since(self.received).as_secs();
        u32::try_from(u64::from(self.info.remaining_secs).saturating_sub(elapsed)).unwrap_or(0)
    }
}

/// The attendee app's state.
pub struct AttendeeApp {
    /// The name this attendee joined with (the host's spelling once welcomed).
    pub name: String,
    pub model: Session,
    /// The model's elements in question 2's order.
    pub rows: Vec<ElementRow>,
    /// Per flow of the model: the names of the trust boundaries it crosses.
    pub crossings: Vec<Vec<String>>,
    pub selected: usize,
    /// The selected element's rule suggestions.
    pub suggestions: Vec<SuggestionView>,
    pub selected_suggestion: usize,
    pub selected_idea: usize,
    pub pane: Pane,
    pub ideas: Ideas,
    pub connection: Connection,
    pub round: Option<Round>,
    /// The clock the countdown is drawn at (set by [`AttendeeApp::tick`]).
    pub now: Instant,
    pub overlay: Option<Overlay>,
    /// An idea form closed with Esc while something was typed in it: `n` opens it again.
    pub kept_form: Option<Form>,
    /// One line for the user (what just happened), shown until the next key.
    pub status: Option<String>,
    pub libraries: LibrarySet,
    pub theme: Theme,
    pub quit: bool,
}

impl AttendeeApp {
    /// The app before the welcome: no model yet.
    pub fn new(name: &str, libraries: LibrarySet, theme: Theme, now: Instant) -> AttendeeApp {
        AttendeeApp {
            name: name.to_string(),
            model: Session::new(""),
            rows: Vec::new(),
            crossings: Vec::new(),
            selected: 0,
            suggestions: Vec::new(),
            selected_suggestion: 0,
            selected_idea: 0,
            pane: Pane::Elements,
            ideas: Ideas::default(),
            connection: Connection::Connected,
            round: None,
            now,
            overlay: None,
            kept_form: None,
            status: None,
            libraries,
            theme,
            quit: false,
        }
    }

    /// A message from the host, received now.
    pub fn on_message(&mut self, msg: HostMsg) {
        self.on_message_at(msg, Instant::now());
    }

    /// A message from the host, received at `now`.
    pub fn on_message_at(&mut self, msg: HostMsg, now: Instant) {
        match msg {
            HostMsg::Welcome {
                name,
                model,
                round,
                ideas,
                ..
            } => {
                self.name = name;
                self.connection = Connection::Connected;
                self.set_model(*model);
                self.set_round(round, now);
                self.ideas.welcome(ideas);
            }
            HostMsg::Model { model } => self.set_model(*model),
            HostMsg::Round { round } => self.set_round(round, now),
            HostMsg::Idea { idea } => self.ideas.update(idea),
            HostMsg::Refused { reason } | HostMsg::Dropped { reason } => {
                self.connection_lost(Some(reason));
            }
            HostMsg::Ended => {
                self.connection = Connection::Ended;
                self.round = None;
                self.ideas.requeue_sending();
            }
            HostMsg::Rejected { client_ref, reason } => self.ideas.reject(client_ref, reason),
            HostMsg::Pong => {}
        }
    }

    /// The connection is gone (the run loop saw it): ideas being sent wait for the rejoin.
    pub fn connection_lost(&mut self, why: Option<String>) {
        self.ideas.requeue_sending();
        if self.connection == Connection::Ended {
            return;
        }
        // Keep the host's reason over a later "connection closed" without one.
        let why = match (&self.connection, why) {
            (_, Some(why)) => Some(why),
            (Connection::Reconnecting { why }, None) => why.clone(),
            _ => None,
        };
        self.connection = Connection::Reconnecting { why };
    }

    /// The clock moved (the countdown is drawn at `now`).
    pub fn tick(&mut self, now: Instant) {
        // At 0:00 the round stays on screen until the host ends it.
        self.now = now;
    }

    /// The ideas to send, in order; the run loop confirms each with [`Self::confirm_sent`] or
    /// gives up with [`Self::connection_lost`]. Nothing is taken while disconnected.
    pub fn take_outgoing(&mut self) -> Vec<IdeaDraft> {
        if self.connection != Connection::Connected {
            return Vec::new();
        }
        self.ideas.take_outgoing()
    }

    /// The next idea taken by `take_outgoing` was sent as `client_ref`.
    pub fn confirm_sent(&mut self, client_ref: u32) {
        self.ideas.confirm_sent(client_ref);
    }

    /// The seconds left in the round now, if one is under way.
    pub fn round_remaining(&self) -> Option<u32> {
        self.round.map(|r| r.remaining_at(self.now))
    }

    fn set_round(&mut self, round: Option<RoundInfo>, now: Instant) {
        self.round = round.map(|info| Round {
            info,
            received: now,
        });
    }

    /// The facilitator's model now; the selection stays on the same element (by id).
    pub fn set_model(&mut self, model: Session) {
        let selected_id = self.rows.get(self.selected).map(|r| r.id.clone());
        self.model = model;
        let graph = ModelGraph::new(&self.model);
        self.crossings = (0..self.model.flows.len())
            .map(|i| {
                graph
                    .crossings(i)
                    .iter()
                    .map(|b| {
                        self.model
                            .boundary(b.as_str())
                            .map_or_else(|| b.to_string(), |b| b.name.clone())
                    })
                    .collect()
            })
            .collect();
        let crossing: Vec<bool> = self.crossings.iter().map(|c| !c.is_empty()).collect();
        self.rows = elements(&graph, &crossing);
        self.selected = selected_id
            .and_then(|id| self.rows.iter().position(|r| r.id == id))
            .unwrap_or(self.selected)
            .min(self.rows.len().saturating_sub(1));
        self.refresh_suggestions();
        if let Some(Overlay::Form(form)) = &mut self.overlay {
            idea_form::refresh_elements(form, &self.rows);
        }
        if let Some(form) = &mut self.kept_form {
            idea_form::refresh_elements(form, &self.rows);
        }
        // An open picker follows the element as it is now, on the same entry.
        if let Some(Overlay::Picker(picker)) = &mut self.overlay
            && let Some(row) = self.rows.iter().find(|r| r.id == picker.target)
        {
            let chosen = picker.selected_hit().map(|h| h.reference.clone());
            picker.refresh(&self.model, &self.libraries, row);
            if let Some(i) = chosen.and_then(|c| picker.hits.iter().position(|h| h.reference == c))
            {
                picker.selected = i;
            }
        }
    }

    fn refresh_suggestions(&mut self) {
        let previous = self
            .suggestions
            .get(self.selected_suggestion)
            .map(|s| s.rule.clone());
        self.suggestions = match self.selected_row() {
            Some(row) => {
                let graph = ModelGraph::new(&self.model);
                suggestions_for(&graph, self.libraries.rules(), &row.id)
            }
            None => Vec::new(),
        };
        self.selected_suggestion = previous
            .and_then(|rule| self.suggestions.iter().position(|s| s.rule == rule))
            .unwrap_or(0);
    }

    pub fn selected_row(&self) -> Option<&ElementRow> {
        self.rows.get(self.selected)
    }

    /// The key contexts in effect, most specific first.
    pub fn contexts(&self) -> Vec<Context> {
        match &self.overlay {
            Some(Overlay::ConfirmQuit) => vec![Context::AttendeeQuit],
            Some(Overlay::Picker(_)) => vec![Context::Picker],
            Some(Overlay::Form(_)) => vec![Context::Form],
            Some(Overlay::Help) => vec![Context::Help],
            None => vec![Context::Attendee],
        }
    }

    /// Whether quitting now loses something typed: an open or kept idea form with text in it,
    /// or ideas not sent yet.
    pub fn has_unsent(&self) -> bool {
        let typed = |form: &Form| idea_form::has_typing(form);
        matches!(&self.overlay, Some(Overlay::Form(form)) if typed(form))
            || self.kept_form.as_ref().is_some_and(typed)
            || self.ideas.unsent() > 0
    }

    fn ask_quit(&mut self) {
        if self.has_unsent() {
            self.overlay = Some(Overlay::ConfirmQuit);
        } else {
            self.quit = true;
        }
    }

    /// Text pasted into the terminal: into the search or the focused field.
    pub fn handle_paste(&mut self, text: &str) {
        match &mut self.overlay {
            Some(Overlay::Form(form)) => form.paste(text),
            Some(Overlay::Picker(picker)) => {
                picker.query.insert(text);
                if let Some(row) = self.rows.iter().find(|r| r.id == picker.target) {
                    picker.refresh(&self.model, &self.libraries, row);
                }
            }
            _ => {}
        }
    }

    pub fn handle_key(&mut self, key: KeyEvent) {
        self.status = None;
        let ctrl_c =
            key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl_c && self.overlay != Some(Overlay::ConfirmQuit) {
            // Whatever is open closes; an idea being typed is kept for `n`.
            if let Some(Overlay::Form(form)) = self.overlay.take()
                && idea_form::has_typing(&form)
            {
                self.kept_form = Some(form);
            }
            self.ask_quit();
            return;
        }
        let action = keymap::lookup(&self.contexts(), &key);
        match self.overlay.take() {
            None => self.main_key(action),
            Some(Overlay::ConfirmQuit) => {
                if action == Some(Action::Yes) {
                    self.quit = true;
                } else if self.kept_form.is_some() {
                    self.status = Some("idea kept, not sent: n opens it again".to_string());
                }
            }
            Some(Overlay::Help) => {}
            Some(Overlay::Picker(picker)) => self.picker_key(picker, action, key),
            Some(Overlay::Form(form)) => self.form_key(form, key),
        }
    }

    fn main_key(&mut self, action: Option<Action>) {
        let Some(action) = action else {
            return;
        };
        match action {
            Action::Quit => self.ask_quit(),
            Action::Help => self.overlay = Some(Overlay::Help),
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom => self.move_selection(action),
            Action::Right => {
                self.pane = match self.pane {
                    Pane::Elements => Pane::Suggestions,
                    Pane::Suggestions => Pane::Ideas,
                    Pane::Ideas => Pane::Elements,
                }
            }
            Action::Left => {
                self.pane = match self.pane {
                    Pane::Elements => Pane::Ideas,
                    Pane::Suggestions => Pane::Elements,
                    Pane::Ideas => Pane::Suggestions,
                }
            }
            Action::Add => self.open_picker(),
            Action::Custom => self.open_custom_form(),
            Action::AddSuggestion => self.open_suggestion_form(),
            Action::Open => match self.pane {
                Pane::Suggestions => self.open_suggestion_form(),
                Pane::Elements => self.open_custom_form(),
                Pane::Ideas => {}
            },
            _ => {}
        }
    }

    /// Moves the selection of the focused pane: one, ten, or to either end.
    fn move_selection(&mut self, action: Action) {
        // Up and down one; the rest as question 2's panes move.
        let step = |i: usize, len: usize| match action {
            Action::Up => i.saturating_sub(1),
            Action::Down => (i + 1).min(len.saturating_sub(1)),
            _ => jump(action, i, len),
        };
        match self.pane {
            Pane::Elements => {
                let next = step(self.selected, self.rows.len());
                if next != self.selected {
                    self.selected = next;
                    self.selected_suggestion = 0;
                    self.refresh_suggestions();
                }
            }
            Pane::Suggestions => {
                self.selected_suggestion = step(self.selected_suggestion, self.suggestions.len());
            }
            Pane::Ideas => self.selected_idea = step(self.selected_idea, self.ideas.rows()),
        }
    }

    fn no_element(&mut self) -> bool {
        if self.rows.is_empty() {
            self.status = Some("the model has no elements yet".to_string());
            return true;
        }
        false
    }

    fn open_picker(&mut self) {
        if self.no_element() {
            return;
        }
        if let Some(row) = self.selected_row() {
            let picker = Picker::open(&self.model, &self.libraries, row);
            self.overlay = Some(Overlay::Picker(picker));
        }
    }

    fn open_custom_form(&mut self) {
        if self.no_element() {
            return;
        }
        if let Some(form) = self.kept_form.take() {
            self.overlay = Some(Overlay::Form(form));
            return;
        }
        let Some(row) = self.selected_row() else {
            return;
        };
        let form = idea_form::idea_form(
            "New idea".to_string(),
            threat_form(None),
            &self.rows,
            &row.id,
            None,
            None,
        );
        self.overlay = Some(Overlay::Form(form));
    }

    fn open_suggestion_form(&mut self) {
        let (Some(row), Some(suggestion)) = (
            self.selected_row(),
            self.suggestions.get(self.selected_suggestion),
        ) else {
            self.status = Some("no rule suggestion for this element".to_string());
            return;
        };
        let threat = suggested_threat(&self.model, &row.id, suggestion);
        let form = idea_form::idea_form(
            format!("Idea from rule {}", sanitize(&suggestion.rule)),
            threat_form(Some(&threat)),
            &self.rows,
            &row.id,
            suggestion.likelihood,
            suggestion.impact,
        );
        self.overlay = Some(Overlay::Form(form));
    }

    fn picker_key(&mut self, mut picker: Picker, action: Option<Action>, key: KeyEvent) {
        let last = picker.hits.len().saturating_sub(1);
        match action {
            Some(Action::Cancel) => return,
            Some(Action::Up) => picker.selected = picker.selected.saturating_sub(1),
            Some(Action::Down) => picker.selected = (picker.selected + 1).min(last),
            Some(Action::PageDown) => picker.selected = (picker.selected + 10).min(last),
            Some(Action::PageUp) => picker.selected = picker.selected.saturating_sub(10),
            Some(Action::Submit) => {
                let hit = picker.selected_hit().cloned();
                let Some(row) = self.rows.iter().find(|r| r.id == picker.target) else {
                    self.status = Some(format!(
                        "{} is no longer in the facilitator's model",
                        sanitize(&picker.target)
                    ));
                    return;
                };
                if let Some(hit) = hit {
                    let form = idea_form::idea_form(
                        format!("Idea from {}", sanitize(hit.reference.as_str())),
                        library_threat_form(
                            &hit.reference,
                            &hit.name,
                            &hit.stride,
                            &row.applicable,
                        ),
                        &self.rows,
                        &row.id,
                        None,
                        None,
                    );
                    self.overlay = Some(Overlay::Form(form));
                    return;
                }
                self.status = Some("nothing selected: type to search, Esc closes".to_string());
            }
            _ => {
                if picker.query.handle_key(key)
                    && let Some(row) = self.rows.iter().find(|r| r.id == picker.target)
                {
                    picker.refresh(&self.model, &self.libraries, row);
                }
            }
        }
        self.overlay = Some(Overlay::Picker(picker));
    }

    fn form_key(&mut self, mut form: Form, key: KeyEvent) {
        match form.handle_key(key) {
            FormOutcome::Continue => self.overlay = Some(Overlay::Form(form)),
            FormOutcome::Cancel => {
                if idea_form::has_typing(&form) {
                    self.kept_form = Some(form);
                    self.status = Some("idea kept, not sent: n opens it again".to_string());
                }
            }
            FormOutcome::Submit => match idea_form::idea_from_form(&mut form, &self.model) {
                Some(idea) => {
                    self.kept_form = None;
                    self.status = Some(match self.connection {
                        Connection::Connected => "idea sent".to_string(),
                        Connection::Reconnecting { .. } => {
                            "idea kept: it is sent when the connection is back".to_string()
                        }
                        Connection::Ended => {
                            "the session has ended: the idea is not sent".to_string()
                        }
                    });
                    self.ideas.queue(idea);
                    self.pane = Pane::Ideas;
                    self.selected_idea = self.ideas.own.len().saturating_sub(1);
                }
                None => self.overlay = Some(Overlay::Form(form)),
            },
        }
    }
}

/// How often the run loop polls the connection and the keyboard.
pub const POLL: Duration = Duration::from_millis(100);
