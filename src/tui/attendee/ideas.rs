//! The attendee's ideas: those they wrote (queued, on their way, or known to the facilitator's
//! app with what became of them) and the other attendees' ideas the host made visible, and the
//! pane that lists both.
//!
//! An idea written here is kept until the host has it: it is queued, taken by the run loop,
//! given a `client_ref` when sent, and bound to the host's id when the host echoes it. After a
//! reconnect, the welcome lists the ideas the host has; those it does not are queued again.

use crate::model::StrideSet;
use crate::share::{IdeaDraft, IdeaId, IdeaStatus, IdeaView};
use crate::tui::theme::Theme;
use crate::tui::widgets::text::{fit, fit_line, sanitize};
use ratatui::text::{Line, Span};

/// Where one of this attendee's ideas is on its way to the facilitator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Written, waiting for the run loop (or for the connection to come back).
    Queued,
    /// Taken by the run loop, not yet confirmed sent.
    Sending,
    /// Sent with this number; the host has not echoed it yet.
    Sent { client_ref: u32 },
    /// The host has it: its id and what became of it.
    Known { id: IdeaId, status: IdeaStatus },
    /// The host did not take it (its element was removed, or the share's cap was reached),
    /// and why; it is kept here so the text is not lost, and not sent again.
    Rejected { reason: String },
}

/// One of this attendee's ideas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnIdea {
    pub idea: IdeaDraft,
    pub delivery: Delivery,
}

/// Every idea this attendee sees.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ideas {
    /// This attendee's, in the order written.
    pub own: Vec<OwnIdea>,
    /// Other attendees', in the order the host showed them.
    pub others: Vec<IdeaView>,
}

impl Ideas {
    /// Queues a new idea for sending.
    pub fn queue(&mut self, idea: IdeaDraft) {
        self.own.push(OwnIdea {
            idea,
            delivery: Delivery::Queued,
        });
    }

    /// The queued ideas, for the run loop to send in this order; they are marked as sending.
    pub fn take_outgoing(&mut self) -> Vec<IdeaDraft> {
        self.own
            .iter_mut()
            .filter(|o| o.delivery == Delivery::Queued)
            .map(|o| {
                o.delivery = Delivery::Sending;
                o.idea.clone()
            })
            .collect()
    }

    /// The first idea being sent went out as `client_ref` (the run loop confirms them in the
    /// order `take_outgoing` gave them).
    pub fn confirm_sent(&mut self, client_ref: u32) {
        if let Some(o) = self
            .own
            .iter_mut()
            .find(|o| o.delivery == Delivery::Sending)
        {
            o.delivery = Delivery::Sent { client_ref };
        }
    }

    /// The host did not take the idea sent as `client_ref`.
    pub fn reject(&mut self, client_ref: u32, reason: String) {
        if let Some(o) = self
            .own
            .iter_mut()
            .find(|o| o.delivery == Delivery::Sent { client_ref })
        {
            o.delivery = Delivery::Rejected { reason };
        }
    }

    /// Sending failed (the connection is gone): what was being sent is queued again.
    pub fn requeue_sending(&mut self) {
        for o in &mut self.own {
            if o.delivery == Delivery::Sending {
                o.delivery = Delivery::Queued;
            }
        }
    }

    /// How many ideas the host does not have yet, as far as this app knows.
    pub fn unsent(&self) -> usize {
        self.own
            .iter()
            .filter(|o| matches!(o.delivery, Delivery::Queued | Delivery::Sending))
            .count()
    }

    /// An idea from the host: one of this attendee's (it has a `client_ref`) updates or binds
    /// the matching own idea, another attendee's is added or updated.
    pub fn update(&mut self, view: IdeaView) {
        match view.client_ref {
            Some(client_ref) => self.update_own(view.id, client_ref, view.idea, view.status),
            None => match self.others.iter_mut().find(|o| o.id == view.id) {
                Some(known) => *known = view,
                None => self.others.push(view),
            },
        }
    }

    fn update_own(&mut self, id: IdeaId, client_ref: u32, idea: IdeaDraft, status: IdeaStatus) {
        let known = |o: &OwnIdea| matches!(o.delivery, Delivery::Known { id: k, .. } if k == id);
        // The number alone is not enough: a new connection may number its ideas from 1 again,
        // so the text must be the same too.
        let sent =
            |o: &OwnIdea| o.delivery == Delivery::Sent { client_ref } && same_idea(&o.idea, &idea);
        let index = self
            .own
            .iter()
            .position(known)
            .or_else(|| self.own.iter().position(sent));
        match index.and_then(|i| self.own.get_mut(i)) {
            Some(o) => o.delivery = Delivery::Known { id, status },
            // Sent before this app started (or before it lost track): the host's copy is shown.
            None => self.own.push(OwnIdea {
                idea,
                delivery: Delivery::Known { id, status },
            }),
        }
    }

    /// A welcome (after a reconnect too): the host's list replaces what is known. Own ideas
    /// that were sent but are not in the list never reached the host and are queued again;
    /// those not sent yet stay queued. Nothing typed is lost, and nothing is listed twice.
    pub fn welcome(&mut self, views: Vec<IdeaView>) {
        self.others.clear();
        for view in views {
            self.update(view);
        }
        for o in &mut self.own {
            if matches!(o.delivery, Delivery::Sent { .. } | Delivery::Sending) {
                o.delivery = Delivery::Queued;
            }
        }
    }

    /// Selectable rows in the pane: own ideas, then the others'.
    pub fn rows(&self) -> usize {
        self.own.len() + self.others.len()
    }
}

/// Whether the host's copy is the idea written here (the host keeps the text as sent).
fn same_idea(a: &IdeaDraft, b: &IdeaDraft) -> bool {
    a.element == b.element && a.statement == b.statement
}

/// What became of an idea, in a few words.
pub fn status_text(status: &IdeaStatus) -> String {
    match status {
        IdeaStatus::Pending => "pending".to_string(),
        IdeaStatus::Accepted { threat } => format!("accepted as {}", sanitize(threat)),
        IdeaStatus::Merged { threat } => format!("merged into {}", sanitize(threat)),
        IdeaStatus::Dismissed => "dismissed".to_string(),
    }
}

/// Where an own idea is, in a few words.
pub fn delivery_text(delivery: &Delivery) -> String {
    match delivery {
        Delivery::Queued => "not sent yet".to_string(),
        Delivery::Sending | Delivery::Sent { .. } => "sending…".to_string(),
        Delivery::Known { status, .. } => status_text(status),
        Delivery::Rejected { reason } => format!("not taken: {}", sanitize(reason)),
    }
}

fn letters(stride: &StrideSet) -> String {
    if stride.is_empty() {
        "-".to_string()
    } else {
        stride.to_string()
    }
}

/// The ideas pane's lines, `width` cells wide: own ideas with their status, then the other
/// attendees' with their author, and which lines the selected idea takes. `selected` indexes
/// own ideas then others'; the selected one is shown in full with its refs and ratings.
pub fn idea_lines(
    ideas: &Ideas,
    selected: Option<usize>,
    theme: &Theme,
    width: usize,
) -> (Vec<Line<'static>>, std::ops::Range<usize>) {
    let mut lines = Vec::new();
    let mut chosen = 0..0;
    let mut row = |lines: &mut Vec<Line<'static>>,
                   index: usize,
                   who: String,
                   idea: &IdeaDraft,
                   status: String| {
        let is_selected = selected == Some(index);
        let style = if is_selected {
            theme.selected()
        } else {
            theme.normal()
        };
        let status_style = match status.as_str() {
            s if s.starts_with("accepted") || s.starts_with("merged") => theme.ok(),
            "not sent yet" => theme.warning(),
            _ => theme.dim(),
        };
        let head = format!(
            "{}{who}{} [{}] ",
            if is_selected { "▸ " } else { "  " },
            sanitize(&idea.element),
            letters(&idea.stride)
        );
        let tail = format!("  {status}");
        let room = width.saturating_sub(width_of(&head) + width_of(&tail));
        let statement = sanitize(&idea.statement);
        let start = lines.len();
        let indent = width_of(&head);
        if !is_selected || width_of(&statement) <= room {
            lines.push(fit_line(
                Line::from(vec![
                    Span::styled(head, style),
                    Span::styled(fit(&statement, room.max(8)), style),
                    Span::styled(tail, status_style),
                ]),
                width,
            ));
        } else {
            // In full: the statement wrapped under itself, the status on a line of its own.
            lines.extend(super::view::hanging_lines(
                head, &statement, width, 4, style,
            ));
            lines.push(Line::from(Span::styled(
                fit(&format!("{:indent$}{}", "", status.trim_start()), width),
                status_style,
            )));
        }
        if is_selected {
            let rating =
                |r: Option<crate::model::Rating>| r.map_or("?".to_string(), |r| r.0.to_string());
            let refs = if idea.refs.is_empty() {
                "no refs".to_string()
            } else {
                idea.refs
                    .iter()
                    .map(|r| sanitize(r))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            lines.push(Line::from(Span::styled(
                fit(
                    &format!(
                        "{:indent$}{refs} · L{}×I{}",
                        "",
                        rating(idea.likelihood),
                        rating(idea.impact)
                    ),
                    width,
                ),
                theme.dim(),
            )));
            chosen = start..lines.len();
        }
    };
    if ideas.own.is_empty() {
        lines.push(Line::from(Span::styled(
            "  none yet: a (libraries), n (write one) or Enter on a suggestion",
            theme.dim(),
        )));
    }
    for (i, o) in ideas.own.iter().enumerate() {
        row(
            &mut lines,
            i,
            String::new(),
            &o.idea,
            delivery_text(&o.delivery),
        );
    }
    if !ideas.others.is_empty() {
        lines.push(Line::from(Span::styled(
            "  From the others:",
            theme.title(),
        )));
        for (i, v) in ideas.others.iter().enumerate() {
            row(
                &mut lines,
                ideas.own.len() + i,
                format!("{}: ", sanitize(&v.author)),
                &v.idea,
                status_text(&v.status),
            );
        }
    }
    (lines, chosen)
}

fn width_of(text: &str) -> usize {
    crate::tui::widgets::text::width(text)
}
