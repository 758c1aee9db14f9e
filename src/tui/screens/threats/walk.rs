//! Walking through every open suggestion of the model, one at a time: flows that cross a trust
//! boundary first, then the other flows, then components. The walk keeps only which
//! suggestion is on view, which it saw dealt with and which were skipped; after every change it
//! looks again at the model, so an edit, an undo or a suggestion added from elsewhere can never
//! leave it pointing at something that is gone, or counting something that came back.
//!
//! Steps of [`Walk::advance`]:
//! 1. the suggestion on view is looked up again: still open, it stays on view; otherwise it is
//!    among those dealt with;
//! 2. those dealt with are looked up again: one open again (an undo) is no longer counted, and
//!    the walk comes back to it;
//! 3. with nothing on view, the next one is the first open, unskipped suggestion in walk order;
//! 4. the counter: what was seen so far, plus what is still open and not skipped.

use super::suggestions::{SuggestionView, suggestions_for};
use super::{Pane, ThreatsState};
use crate::analysis::ModelGraph;
use crate::model::Session;
use crate::rules::{RuleSet, SuggestionState};
use crate::tui::screens::{Command, Cx};
use crate::tui::session::Derived;
use std::collections::HashMap;

/// An element id and a rule id: one suggestion.
pub type Key = (String, String);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Walk {
    /// On view; `None` once every suggestion was seen.
    pub current: Option<Key>,
    pub skipped: Vec<Key>,
    /// Suggestions shown by the walk and then dealt with, as they stand now.
    pub handled: Vec<(Key, Outcome)>,
    /// Counts of `handled`, kept by [`Walk::advance`].
    pub added: usize,
    pub dismissed: usize,
    /// Left the walk another way: the rule stopped firing (the element changed, or went).
    pub gone: usize,
    /// "suggestion `position` of `total`".
    pub position: usize,
    pub total: usize,
}

/// What became of a suggestion the walk showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Added,
    Dismissed,
    Gone,
}

impl Walk {
    /// How many suggestions were dealt with or skipped so far.
    pub fn seen(&self) -> usize {
        self.handled.len() + self.skipped.len()
    }

    /// Puts the suggestion on view among the skipped ones.
    pub fn skip(&mut self) {
        if let Some(key) = self.current.take() {
            self.skipped.push(key);
        }
    }

    /// Brings the walk up to date with the model (see the module's steps).
    pub fn advance(&mut self, s: &Session, derived: &Derived, rules: &RuleSet) {
        let graph = ModelGraph::new(s);
        let mut lists: HashMap<String, Vec<SuggestionView>> = HashMap::new();
        let mut list_of = |id: &str| -> Vec<SuggestionView> {
            lists
                .entry(id.to_string())
                .or_insert_with(|| suggestions_for(&graph, rules, id))
                .clone()
        };
        let outcome = |state: Option<SuggestionState>| match state {
            Some(state) if state.is_open() => None,
            Some(SuggestionState::Added { .. }) => Some(Outcome::Added),
            Some(SuggestionState::Dismissed { .. }) => Some(Outcome::Dismissed),
            _ => Some(Outcome::Gone),
        };
        let mut state_of = |(element, rule): &Key| {
            list_of(element)
                .into_iter()
                .find(|v| &v.rule == rule)
                .map(|v| v.state)
        };
        // 1. The suggestion on view.
        if let Some(key) = self.current.take() {
            match outcome(state_of(&key)) {
                None => self.current = Some(key),
                Some(o) => self.handled.push((key, o)),
            }
        }
        // 2. Those dealt with, as they stand now.
        let handled = std::mem::take(&mut self.handled);
        for (key, _) in handled {
            if let Some(o) = outcome(state_of(&key)) {
                self.handled.push((key, o));
            }
        }
        let count = |o: Outcome| self.handled.iter().filter(|(_, x)| *x == o).count();
        (self.added, self.dismissed, self.gone) = (
            count(Outcome::Added),
            count(Outcome::Dismissed),
            count(Outcome::Gone),
        );
        // 3. The next one.
        let counts: HashMap<&str, usize> = derived
            .elements
            .iter()
            .map(|r| (r.id.as_str(), r.open_suggestions))
            .collect();
        if self.current.is_none() {
            for id in walk_order(s, derived) {
                if counts.get(id).copied().unwrap_or(0) == 0 {
                    continue;
                }
                let next = list_of(id).into_iter().find(|v| {
                    v.state.is_open() && !self.skipped.iter().any(|k| k.0 == id && k.1 == v.rule)
                });
                if let Some(v) = next {
                    self.current = Some((id.to_string(), v.rule));
                    break;
                }
            }
        }
        // 4. The counter. Skipped suggestions still open are among the open ones already.
        let open: usize = derived.elements.iter().map(|r| r.open_suggestions).sum();
        let skipped_open = self
            .skipped
            .iter()
            .filter(|(element, rule)| {
                counts.get(element.as_str()).copied().unwrap_or(0) > 0
                    && list_of(element)
                        .iter()
                        .any(|v| &v.rule == rule && v.state.is_open())
            })
            .count();
        self.position = self.seen() + 1;
        self.total = self.seen() + open.saturating_sub(skipped_open);
    }

    /// The counter or, once done, what the walk did.
    pub fn summary(&self) -> String {
        let mut done = vec![
            format!("{} added", self.added),
            format!("{} dismissed", self.dismissed),
            format!("{} skipped", self.skipped.len()),
        ];
        if self.gone > 0 {
            done.push(format!("{} no longer suggested", self.gone));
        }
        match self.current {
            Some(_) => format!("Walk: suggestion {} of {}", self.position, self.total),
            None => format!(
                "Walk done: {} seen, {}",
                crate::tui::widgets::text::plural(self.seen(), "suggestion", "suggestions"),
                done.join(", ")
            ),
        }
    }
}

/// Element ids in walk order: crossing flows, other flows, components (file order in each).
pub fn walk_order<'s>(s: &'s Session, derived: &Derived) -> Vec<&'s str> {
    let crossing = |i: usize| derived.crossing.get(i).copied().unwrap_or(false);
    let flows = s.flows.iter().enumerate();
    flows
        .clone()
        .filter(|(i, _)| crossing(*i))
        .chain(flows.filter(|(i, _)| !crossing(*i)))
        .map(|(_, f)| f.id.as_str())
        .chain(s.components.iter().map(|c| c.id.as_str()))
        .collect()
}

/// The walk's keys on question 2's state.
impl ThreatsState {
    /// Starts a walk through every open suggestion of the model.
    pub(super) fn start_walk(&mut self, cx: &Cx) -> Vec<Command> {
        if self.walk.as_ref().is_some_and(|w| w.current.is_some()) {
            return vec![Command::info(
                "already walking: s adds, x dismisses, Space skips, Esc stops",
            )];
        }
        if cx.derived.open_suggestions == Some(0) {
            self.walk = None;
            let why = if cx.libraries.rules().is_empty() {
                "no threat rules are loaded"
            } else {
                "no open suggestions: every one is added or dismissed"
            };
            return vec![Command::info(why)];
        }
        self.walk = Some(Walk::default());
        self.follow_walk(cx.session, cx.derived, cx.libraries.rules());
        let total = self.walk.as_ref().map_or(0, |w| w.total);
        vec![Command::info(format!(
            "walking {total} open suggestions, crossing flows first: s adds, x dismisses, Space skips, Esc stops"
        ))]
    }

    /// Moves the walk on (see [`Walk::advance`]) and selects what it shows.
    pub(super) fn follow_walk(&mut self, s: &Session, derived: &Derived, rules: &RuleSet) {
        let Some(walk) = &mut self.walk else { return };
        walk.advance(s, derived, rules);
        let Some((element, rule)) = walk.current.clone() else {
            return;
        };
        if let Some(i) = derived.elements.iter().position(|r| r.id == element) {
            if self.row(derived).is_none_or(|r| r.id != element) {
                self.threat = 0;
            }
            self.element = i;
        }
        self.sync(s, derived, rules);
        if let Some(i) = self.suggested.iter().position(|v| v.rule == rule) {
            self.suggestion = i;
            self.pane = Pane::Suggestions;
        }
    }

    /// Space in a walk: the suggestion on view is skipped (a finished walk closes).
    pub(super) fn skip_in_walk(&mut self, cx: &Cx) -> Vec<Command> {
        let Some(walk) = &mut self.walk else {
            return Vec::new();
        };
        if walk.current.is_none() {
            self.walk = None;
            return vec![Command::info("walk closed")];
        }
        walk.skip();
        self.follow_walk(cx.session, cx.derived, cx.libraries.rules());
        Vec::new()
    }

    /// Esc in a walk: it stops, saying how far it went.
    pub(super) fn stop_walk(&mut self) -> Vec<Command> {
        let Some(walk) = self.walk.take() else {
            return Vec::new();
        };
        let message = match walk.current {
            Some(_) => format!(
                "walk stopped at suggestion {} of {}: {} added, {} dismissed, {} skipped",
                walk.position,
                walk.total,
                walk.added,
                walk.dismissed,
                walk.skipped.len()
            ),
            None => "walk closed".to_string(),
        };
        vec![Command::info(message)]
    }
}
