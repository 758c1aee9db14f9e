//! Sharing in the app: starting and stopping it, what the network reports, rounds, and the
//! inbox's decisions. Nothing an attendee sends changes the session until the facilitator
//! accepts or merges it here, as one undoable edit; undo and redo keep the ideas' statuses
//! (and the attendees' view of them) in step.

use super::{App, Screen};
use crate::model::edit::{Edit, Item};
use crate::model::text::escape_control;
use crate::model::{LibraryRef, Threat, ThreatStatus};
use crate::share::{HostEvent, IdeaId, IdeaStatus};
use crate::tui::keymap::Action;
use crate::tui::modal::{FormPurpose, Modal};
use crate::tui::screens::inbox::{self, InboxView};
use crate::tui::screens::threats::threats_of;
use crate::tui::share::{DEFAULT_ROUND_MINUTES, DEFAULT_SHARE_ADDR, Sharing};
use crate::tui::widgets::form::{Field, Form};
use crate::tui::widgets::text::sanitize;
use std::time::Instant;

impl App {
    /// The share key: start sharing on the `--share` address (or the default), or, while
    /// sharing, offer the join command again or stopping.
    pub(super) fn share_key(&mut self) {
        if self.share.is_some() {
            self.modal = Some(Modal::ShareMenu);
            return;
        }
        let addr = self
            .share_addr
            .clone()
            .unwrap_or_else(|| DEFAULT_SHARE_ADDR.to_string());
        self.start_sharing(&addr);
    }

    /// Starts sharing the open session on `addr` and shows how to join.
    pub fn start_sharing(&mut self, addr: &str) {
        let Some(s) = self.session() else {
            return;
        };
        let model = crate::share::shared_model(s.session());
        let revision = s.history.revision();
        match Sharing::start(addr, model) {
            Ok(mut sharing) => {
                // The model just given to the host is the one at this revision.
                sharing.mark_published(revision, Instant::now());
                self.begin_sharing(sharing);
            }
            Err(e) => self.error(format!("could not share on {}: {e}", escape_control(addr))),
        }
    }

    /// Takes a started share (or, in tests, one without a network) and shows how to join it.
    pub fn begin_sharing(&mut self, sharing: Sharing) {
        let addr = sharing.addr.clone();
        self.share = Some(sharing);
        self.refresh_pending();
        self.info(format!(
            "sharing on {}: H shows the join command again",
            escape_control(&addr)
        ));
        // A dialog already open (today's run) is answered first; the join dialog follows.
        if self.modal.is_none() {
            self.modal = Some(Modal::ShareInfo);
        } else {
            self.share_info_waiting = true;
        }
    }

    /// The join dialog's text: the command, the LAN note, the SSH way in.
    pub fn share_info_lines(&self) -> Vec<String> {
        let Some(sharing) = &self.share else {
            return Vec::new();
        };
        let mut lines = vec![
            "Attendees join from their own terminal with:".to_string(),
            String::new(),
            // Unindented: it fits an 80-column dialog on one line, to copy whole.
            sharing.join_command("<your name>"),
            String::new(),
        ];
        if sharing.on_every_interface() {
            lines.push(
                "Listening on every interface: attendees use this machine's LAN address in place of 0.0.0.0.".into(),
            );
        }
        lines.push(format!(
            "Over SSH: ssh -N -L {port}:localhost:{port} <this machine>, then join 127.0.0.1:{port}.",
            port = sharing.port()
        ));
        lines.push(
            "The code changes each time sharing starts. B starts a round; i in question 2 opens the inbox."
                .into(),
        );
        lines
    }

    /// Stops sharing: attendees are told; ideas not decided are gone with the share.
    pub fn stop_sharing(&mut self) {
        if let Some(sharing) = self.share.take() {
            let pending = sharing.inbox.pending().count();
            sharing.stop();
            // The inbox went with the share.
            if matches!(self.modal, Some(Modal::Inbox(_))) {
                self.modal = None;
            }
            self.refresh_pending();
            let left = match pending {
                0 => String::new(),
                n => format!(
                    "; {} not decided",
                    crate::tui::widgets::text::plural(n, "idea was", "ideas were")
                ),
            };
            self.info(format!("sharing stopped, attendees told{left}"));
        }
    }

    /// What the network reported, applied: who is here, new ideas in the inbox.
    pub fn on_share_event(&mut self, event: HostEvent) {
        let Some(sharing) = &mut self.share else {
            return;
        };
        let message = match event {
            HostEvent::Joined { name, rejoined } => {
                let name = sanitize(&name);
                sharing.attendees.insert(name.clone());
                if rejoined {
                    format!("{name} rejoined")
                } else {
                    format!("{name} joined")
                }
            }
            HostEvent::Left { name, reason } => {
                let name = sanitize(&name);
                sharing.attendees.remove(&name);
                if reason == "left" {
                    format!("{name} left")
                } else {
                    format!("{name} left ({})", sanitize(&reason))
                }
            }
            HostEvent::Refused { peer, reason } => {
                format!("refused {}: {}", sanitize(&peer), sanitize(&reason))
            }
            HostEvent::Idea { id, author, idea } => {
                let element = sanitize(&idea.element);
                if !sharing.inbox.receive(id, &author, idea) {
                    return;
                }
                format!("idea #{id} from {} on {element}", sanitize(&author))
            }
        };
        self.refresh_pending();
        self.info(message);
    }

    /// Every loop: the network's news, the round's clock, and the model when it changed.
    /// Returns whether anything changed on screen. Never waits.
    pub fn share_tick(&mut self, now: Instant) -> bool {
        let Some(sharing) = &mut self.share else {
            return false;
        };
        let events = sharing.poll();
        let mut changed = !events.is_empty();
        let round_before = sharing.round.map(|r| r.remaining.as_secs());
        let ended = sharing.tick(now);
        changed |= round_before != sharing.round.map(|r| r.remaining.as_secs());
        if let Screen::Session(s) = &self.screen {
            let revision = s.history.revision();
            if sharing.publish_due(revision, now) {
                sharing.publish(revision, crate::share::shared_model(s.session()), now);
            }
        }
        for event in events {
            self.on_share_event(event);
        }
        if ended {
            self.info("the round's time is up: everyone's ideas are visible to all now");
        }
        changed
    }

    /// The round key: a form for the minutes, or ending the round under way early.
    pub(super) fn round_key(&mut self) {
        let Some(sharing) = &mut self.share else {
            self.error("rounds are for a shared session: H starts sharing");
            return;
        };
        if sharing.end_round() {
            self.info("round ended early: everyone's ideas are visible to all now");
            return;
        }
        self.modal = Some(Modal::Form {
            form: Form::new(
                "Brainwriting round",
                vec![Field::text(
                    "minutes",
                    "Minutes",
                    &DEFAULT_ROUND_MINUTES.to_string(),
                    "1 to 60: ideas stay hidden from other attendees until it ends",
                )],
            ),
            purpose: FormPurpose::Round,
        });
    }

    pub(super) fn submit_round(&mut self, mut form: Form) {
        form.clear_errors();
        let minutes = form.text("minutes").trim().parse::<u32>();
        match minutes {
            Ok(minutes @ 1..=60) => {
                if let Some(sharing) = &mut self.share {
                    sharing.start_round(minutes, Instant::now());
                    self.info(format!("round started: {minutes} min; B ends it early"));
                }
            }
            _ => {
                form.set_error("minutes", "a whole number of minutes, 1 to 60");
                self.modal = Some(Modal::Form {
                    form,
                    purpose: FormPurpose::Round,
                });
            }
        }
    }

    /// Question 2's inbox for the selected element.
    pub(super) fn open_inbox(&mut self) {
        if self.share.is_none() {
            self.error("no inbox: H starts sharing so attendees can send ideas");
            return;
        }
        let Some(element) = self
            .session()
            .and_then(|s| s.threats.row(&s.derived).map(|r| r.id.clone()))
        else {
            self.error("no element to show ideas for: build the model in question 1");
            return;
        };
        self.modal = Some(Modal::Inbox(InboxView {
            element,
            selected: 0,
            merge: None,
        }));
    }

    /// A key in the inbox.
    pub(super) fn inbox_key(&mut self, mut view: InboxView, action: Option<Action>) {
        let (Some(sharing), Some(s)) = (&self.share, self.session()) else {
            return;
        };
        let rows = inbox::rows(&sharing.inbox, &view.element, s.session());
        let threats = threats_of(s.session(), &view.element, false).len();
        let group = inbox::selected_group(&rows, view.selected);
        let known = rows.get(view.selected).is_some_and(|r| r.known);
        match (view.merge, action) {
            (Some(_), Some(Action::Cancel)) => view.merge = None,
            (Some(t), Some(Action::Up)) => view.merge = Some(t.saturating_sub(1)),
            (Some(t), Some(Action::Down)) => {
                view.merge = Some((t + 1).min(threats.saturating_sub(1)));
            }
            (Some(t), Some(Action::Submit)) => {
                self.merge_ideas(&view.element, &group, t);
                view.merge = None;
            }
            (None, Some(Action::Cancel)) => return,
            (None, Some(Action::Up)) => view.selected = view.selected.saturating_sub(1),
            (None, Some(Action::Down)) => {
                view.selected = (view.selected + 1).min(rows.len().saturating_sub(1));
            }
            (None, Some(Action::InboxAccept)) if !group.is_empty() => {
                if known {
                    self.accept_ideas(&view.element, &group);
                } else {
                    self.error("its element is no longer in the model: x dismisses it");
                }
            }
            (None, Some(Action::InboxMerge)) if !group.is_empty() => {
                if !known {
                    self.error("its element is no longer in the model: x dismisses it");
                } else if threats == 0 {
                    self.error("no threat on this element to merge into: a accepts the idea");
                } else {
                    view.merge = Some(0);
                }
            }
            (None, Some(action @ (Action::Undo | Action::Redo))) => {
                // Undo takes an accept or a merge back without leaving the inbox.
                let commands = self.update_session(action);
                self.run(commands);
            }
            (None, Some(Action::InboxDismiss)) => {
                if let Some(&id) = group.first()
                    && let Some(sharing) = &mut self.share
                {
                    sharing.set_status(id, IdeaStatus::Dismissed);
                    self.refresh_pending();
                    self.info(format!("idea #{id} dismissed"));
                }
            }
            _ => {}
        }
        // The selection stays on a row that is still there.
        if let (Some(sharing), Some(s)) = (&self.share, self.session()) {
            let left = inbox::rows(&sharing.inbox, &view.element, s.session()).len();
            view.selected = view.selected.min(left.saturating_sub(1));
        }
        self.modal = Some(Modal::Inbox(view));
    }

    /// Accepts the ideas `ids` (the first becomes a new threat on `element`, the others merge
    /// into it), as one undoable edit.
    fn accept_ideas(&mut self, element: &str, ids: &[IdeaId]) {
        let (Some(sharing), Some(s)) = (&self.share, self.session()) else {
            return;
        };
        let ideas: Vec<_> = ids.iter().filter_map(|id| sharing.inbox.get(*id)).collect();
        let Some(first) = ideas.first() else {
            return;
        };
        let id = s.session().next_threat_id();
        let mut threat = Threat {
            id: id.clone(),
            target: element.into(),
            // One line, as a title is: an attendee's line breaks and runs of spaces folded.
            title: first
                .draft
                .statement
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            stride: first.draft.stride.clone(),
            refs: Vec::new(),
            rule: None,
            likelihood: first.draft.likelihood,
            impact: first.draft.impact,
            response: Default::default(),
            status: ThreatStatus::Open,
            transferred_to: String::new(),
            raised_by: Vec::new(),
            notes: String::new(),
        };
        for idea in &ideas {
            add_idea(&mut threat, idea);
        }
        let mut statuses = vec![(
            first.id,
            IdeaStatus::Accepted {
                threat: id.to_string(),
            },
        )];
        statuses.extend(ideas.iter().skip(1).map(|i| {
            (
                i.id,
                IdeaStatus::Merged {
                    threat: id.to_string(),
                },
            )
        }));
        let message = format!(
            "accepted {} as {}",
            crate::tui::widgets::text::plural(ideas.len(), "idea", "ideas"),
            escape_control(id.as_str())
        );
        self.decide(Edit::put(None, Item::Threat(threat)), &message, statuses);
    }

    /// Merges the ideas `ids` into threat number `which` of `element`'s threats.
    fn merge_ideas(&mut self, element: &str, ids: &[IdeaId], which: usize) {
        let (Some(sharing), Some(s)) = (&self.share, self.session()) else {
            return;
        };
        let Some((index, threat)) = threats_of(s.session(), element, false)
            .get(which)
            .map(|(i, t)| (*i, (*t).clone()))
        else {
            return;
        };
        let mut merged = threat;
        let ideas: Vec<_> = ids.iter().filter_map(|id| sharing.inbox.get(*id)).collect();
        for idea in &ideas {
            add_idea(&mut merged, idea);
        }
        let statuses = ideas
            .iter()
            .map(|i| {
                (
                    i.id,
                    IdeaStatus::Merged {
                        threat: merged.id.to_string(),
                    },
                )
            })
            .collect();
        let message = format!(
            "merged {} into {}",
            crate::tui::widgets::text::plural(ideas.len(), "idea", "ideas"),
            escape_control(merged.id.as_str())
        );
        self.decide(
            Edit::Replace {
                index,
                item: Item::Threat(merged),
            },
            &message,
            statuses,
        );
    }

    /// Applies a decision's edit; only once it is applied do the ideas change status.
    fn decide(&mut self, edit: Edit, message: &str, statuses: Vec<(IdeaId, IdeaStatus)>) {
        let before = self.session().map(|s| s.history.revision());
        self.apply(edit, message);
        let Screen::Session(s) = &self.screen else {
            return;
        };
        if Some(s.history.revision()) == before {
            return; // refused; the status line says why
        }
        let depth = s.history.undo_depth();
        if let Some(sharing) = &mut self.share {
            sharing.decide(depth, statuses);
        }
        self.refresh_pending();
    }

    /// After an undo or redo: the ideas its accept or merge decided are pending again, or
    /// decided again.
    pub(super) fn follow_history(&mut self) {
        let Screen::Session(s) = &self.screen else {
            return;
        };
        let depth = s.history.undo_depth();
        if let Some(sharing) = &mut self.share
            && sharing.follow_history(depth) > 0
        {
            self.refresh_pending();
        }
    }

    /// Question 2's counts of pending ideas per element (none shown while not sharing).
    pub(super) fn refresh_pending(&mut self) {
        let counts = self.share.as_ref().map(|s| s.inbox.pending_counts());
        if let Screen::Session(s) = &mut self.screen {
            s.threats.pending_ideas = counts;
        }
    }
}

/// What an idea adds to a threat: its letters, the refs it does not have yet, its author.
fn add_idea(threat: &mut Threat, idea: &crate::share::inbox::InboxIdea) {
    threat.stride = threat.stride.union(&idea.draft.stride);
    for r in &idea.draft.refs {
        let r = LibraryRef::raw(r.clone());
        if !threat.refs.contains(&r) {
            threat.refs.push(r);
        }
    }
    if !threat.raised_by.contains(&idea.author) {
        threat.raised_by.push(idea.author.clone());
    }
}
