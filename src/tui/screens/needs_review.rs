//! Question 3's walk through the threats that need review (a re-run lands here): one at a
//! time, in question 3's order, with why each was flagged. Like question 2's suggestions walk,
//! it keeps only ids (on view, skipped, dealt with) and looks again at the model after every
//! change, so an edit or an undo can never leave it on something gone or miscounted.

use super::respond::RespondState;
use super::{Command, Cx};
use crate::model::edit::{Edit, Item};
use crate::model::text::escape_control;
use crate::model::{Session, ThreatStatus};
use crate::tui::modal::{FormPurpose, Modal};
use crate::tui::session::Derived;
use crate::tui::widgets::form::{Field, Form};
use std::collections::HashMap;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReviewWalk {
    /// Why each threat was flagged, by threat id (from the re-run's diff).
    pub reasons: HashMap<String, String>,
    /// The threat on view; `None` once every one was seen.
    pub current: Option<String>,
    pub skipped: Vec<String>,
    /// Shown by the walk and no longer needing review.
    pub handled: Vec<String>,
    /// "needs review `position`/`total`".
    pub position: usize,
    pub total: usize,
}

fn needs_review(s: &Session, id: &str) -> bool {
    s.threats
        .iter()
        .any(|t| t.id.as_str() == id && t.status == ThreatStatus::NeedsReview)
}

impl ReviewWalk {
    pub fn new(reasons: HashMap<String, String>) -> Self {
        ReviewWalk {
            reasons,
            ..ReviewWalk::default()
        }
    }

    /// Brings the walk up to date with the model: the threat on view stays while it needs
    /// review; one dealt with that needs review again (an undo) comes back; then the next in
    /// question 3's order.
    pub fn advance(&mut self, s: &Session, derived: &Derived) {
        if let Some(id) = self.current.take() {
            if needs_review(s, &id) {
                self.current = Some(id);
            } else {
                self.handled.push(id);
            }
        }
        self.handled.retain(|id| !needs_review(s, id));
        let waiting: Vec<&str> = derived
            .respond_order
            .iter()
            .filter_map(|&i| s.threats.get(i))
            .filter(|t| t.status == ThreatStatus::NeedsReview)
            .map(|t| t.id.as_str())
            .filter(|id| !self.skipped.iter().any(|x| x == id))
            .collect();
        if self.current.is_none() {
            self.current = waiting.first().map(|id| id.to_string());
        }
        let seen = self.handled.len() + self.skipped.len();
        self.position = seen + 1;
        self.total = seen + waiting.len();
    }

    /// Why the threat on view was flagged.
    pub fn reason(&self) -> &str {
        self.current
            .as_deref()
            .and_then(|id| self.reasons.get(id))
            .map_or("marked needs-review before this run", String::as_str)
    }

    /// The banner over question 3's list.
    pub fn banner(&self) -> String {
        match &self.current {
            Some(id) => format!(
                "needs review {}/{}: {}: {}",
                self.position,
                self.total,
                escape_control(id),
                escape_control(self.reason())
            ),
            None => format!(
                "review walk done: {} reviewed, {} skipped (Esc closes)",
                self.handled.len(),
                self.skipped.len()
            ),
        }
    }
}

impl RespondState {
    /// Starts walking the threats that need review; `reasons` says why each was flagged.
    pub fn start_walk(&mut self, reasons: HashMap<String, String>, cx: &Cx) -> Vec<Command> {
        let mut walk = ReviewWalk::new(reasons);
        walk.advance(cx.session, cx.derived);
        if walk.current.is_none() {
            self.walk = None;
            return vec![Command::info("no threat needs review")];
        }
        let total = walk.total;
        self.walk = Some(walk);
        self.follow_walk(cx.session, cx.derived);
        vec![Command::info(format!(
            "{total} threats to review, one at a time (keys below)"
        ))]
    }

    /// Moves the walk on after a change and selects the threat it shows.
    pub fn follow_walk(&mut self, s: &Session, derived: &Derived) {
        let Some(walk) = &mut self.walk else { return };
        walk.advance(s, derived);
        let Some(id) = walk.current.as_deref() else {
            return;
        };
        if let Some(row) = derived
            .respond_order
            .iter()
            .position(|&i| s.threats.get(i).is_some_and(|t| t.id.as_str() == id))
        {
            self.threat = row;
            self.mitigation = 0;
            self.mitigations_pane = false;
        }
    }

    /// The walk's own keys: `None` when the key is not the walk's.
    pub(super) fn walk_update(
        &mut self,
        action: crate::tui::keymap::Action,
        cx: &Cx,
    ) -> Option<Vec<Command>> {
        use crate::tui::keymap::Action;
        let walk = self.walk.as_mut()?;
        let current = walk
            .current
            .as_deref()
            .and_then(|id| cx.session.threats.iter().position(|t| t.id.as_str() == id));
        Some(match (action, current) {
            (Action::SkipSuggestion, Some(_)) => {
                walk.skipped.extend(walk.current.take());
                self.follow_walk(cx.session, cx.derived);
                Vec::new()
            }
            (Action::SkipSuggestion, None) | (Action::StopWalk, _) => {
                let walk = self.walk.take()?;
                vec![Command::info(match walk.current {
                    Some(_) => format!(
                        "review walk stopped at {}/{}: {} reviewed, {} skipped",
                        walk.position,
                        walk.total,
                        walk.handled.len(),
                        walk.skipped.len()
                    ),
                    None => "review walk closed".to_string(),
                })]
            }
            (Action::StillValid, Some(i)) => {
                let mut t = cx.session.threats[i].clone();
                t.status = ThreatStatus::Open;
                let message = format!("{}: still valid, open", t.id);
                vec![Command::apply(
                    Edit::Replace {
                        index: i,
                        item: Item::Threat(t),
                    },
                    message,
                )]
            }
            (Action::EditThreat, Some(i)) => {
                let t = &cx.session.threats[i];
                vec![Command::Open(Modal::Form {
                    form: crate::tui::screens::threats::threat_form(Some(t)),
                    purpose: FormPurpose::Threat {
                        target: t.target.to_string(),
                        index: Some(i),
                    },
                })]
            }
            (Action::NotApplicable, Some(i)) => vec![Command::Open(Modal::Form {
                form: not_applicable_form(""),
                purpose: FormPurpose::ThreatNotApplicable { threat: i },
            })],
            _ => return None,
        })
    }

    /// The "not applicable" form, submitted: the threat is closed with the reason in its notes.
    pub fn submit_not_applicable(
        &mut self,
        mut form: Form,
        threat: usize,
        cx: &Cx,
    ) -> Vec<Command> {
        let Some(mut t) = cx.session.threats.get(threat).cloned() else {
            return Vec::new();
        };
        form.clear_errors();
        let reason = form.text("reason");
        if reason.trim().is_empty() {
            form.set_error("reason", "say why it no longer applies");
            return vec![Command::Open(Modal::Form {
                form,
                purpose: FormPurpose::ThreatNotApplicable { threat },
            })];
        }
        t.status = ThreatStatus::NotApplicable;
        let line = format!("Not applicable: {}", reason.trim());
        t.notes = if t.notes.trim().is_empty() {
            line
        } else {
            format!("{}\n{line}", t.notes.trim_end())
        };
        let message = format!("{}: not applicable", t.id);
        vec![Command::apply(
            Edit::Replace {
                index: threat,
                item: Item::Threat(t),
            },
            message,
        )]
    }
}

/// Why a threat no longer applies (kept in its notes).
pub fn not_applicable_form(reason: &str) -> Form {
    Form::new(
        "Not applicable any more",
        vec![Field::text(
            "reason",
            "Reason",
            reason,
            "why the threat no longer applies",
        )],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Threat, ThreatId};

    fn session(statuses: &[ThreatStatus]) -> Session {
        let mut s = Session::new("t");
        for (i, status) in statuses.iter().enumerate() {
            s.threats.push(Threat {
                id: ThreatId::new(format!("TH-{i}")),
                target: crate::model::ElementId::new("x"),
                title: format!("threat {i}"),
                stride: Default::default(),
                refs: Vec::new(),
                rule: None,
                likelihood: None,
                impact: None,
                response: Default::default(),
                status: *status,
                transferred_to: String::new(),
                raised_by: Vec::new(),
                notes: String::new(),
            });
        }
        s
    }

    fn derived(s: &Session) -> Derived {
        Derived::compute(
            s,
            0,
            chrono::NaiveDate::MIN,
            &crate::rules::RuleSet::default(),
            &crate::config::ProjectConfig::default(),
        )
    }

    #[test]
    fn the_walk_counts_what_it_saw_and_comes_back_after_an_undo() {
        use ThreatStatus as St;
        let mut s = session(&[St::Open, St::NeedsReview, St::NeedsReview]);
        let mut walk = ReviewWalk::new(HashMap::from([(
            "TH-1".to_string(),
            "api moved from dmz to internal".to_string(),
        )]));
        walk.advance(&s, &derived(&s));
        assert_eq!(walk.current.as_deref(), Some("TH-1"));
        assert_eq!((walk.position, walk.total), (1, 2));
        assert_eq!(
            walk.banner(),
            "needs review 1/2: TH-1: api moved from dmz to internal"
        );
        s.threats[1].status = St::Open;
        walk.advance(&s, &derived(&s));
        assert_eq!(walk.current.as_deref(), Some("TH-2"));
        assert_eq!((walk.position, walk.total), (2, 2));
        assert_eq!(walk.reason(), "marked needs-review before this run");
        // An undo puts TH-1 back in question: it is no longer counted as dealt with.
        s.threats[1].status = St::NeedsReview;
        walk.advance(&s, &derived(&s));
        assert!(walk.handled.is_empty());
        walk.skipped.extend(walk.current.take());
        walk.advance(&s, &derived(&s));
        assert_eq!(walk.current.as_deref(), Some("TH-1"));
        assert_eq!((walk.position, walk.total), (2, 2));
        s.threats[1].status = St::NotApplicable;
        walk.advance(&s, &derived(&s));
        assert_eq!(walk.current, None);
        assert!(
            walk.banner()
                .starts_with("review walk done: 1 reviewed, 1 skipped")
        );
    }
}
