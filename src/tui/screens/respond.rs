//! Question 3, "What are we going to do about it?": a response per threat, mitigations with an
//! owner and a due date, and signed acceptances. Threats are listed by risk, highest first.

use super::{Command, Cx};
use crate::model::edit::{Edit, Item, ItemTable};
use crate::model::text::escape_control;
use crate::model::{
    Acceptance, Mitigation, MitigationStatus, Response, Session, Threat, ThreatId, ThreatStatus,
};
use crate::tui::keymap::Action;
use crate::tui::modal::{FormPurpose, Modal};
use crate::tui::session::Derived;
use crate::tui::theme::Theme;
use crate::tui::widgets::form::{Choice, Field, Form};
use crate::tui::widgets::text::{fit_line, sanitize, width};
use crate::tui::widgets::{details_block, list_fitted_and_details};
use chrono::NaiveDate;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

/// Question 3's selection: the threat (in risk order), its mitigation, which pane has the keys.
#[derive(Debug, Default)]
pub struct RespondState {
    pub threat: usize,
    pub mitigation: usize,
    pub mitigations_pane: bool,
    /// The walk through the threats that need review, when one is under way.
    pub walk: Option<super::needs_review::ReviewWalk>,
}

impl RespondState {
    /// The selected threat (index into the session's threats).
    pub fn selected_threat(&self, derived: &Derived) -> Option<usize> {
        let order = &derived.respond_order;
        order
            .get(self.threat.min(order.len().saturating_sub(1)))
            .copied()
    }

    /// Selects the threat `id`, and `mitigation` among its mitigations (the keys then go to
    /// that pane); `false` when there is no such threat.
    pub fn select(
        &mut self,
        s: &Session,
        derived: &Derived,
        id: &str,
        mitigation: Option<&str>,
    ) -> bool {
        let Some(row) = derived
            .respond_order
            .iter()
            .position(|&i| s.threats.get(i).is_some_and(|t| t.id.as_str() == id))
        else {
            return false;
        };
        self.threat = row;
        self.mitigation = 0;
        self.mitigations_pane = false;
        if let Some(m) = mitigation {
            let list = mitigations_of(s, id);
            if let Some(pos) = list.iter().position(|&i| s.mitigations[i].id.as_str() == m) {
                self.mitigation = pos;
                self.mitigations_pane = true;
            }
        }
        true
    }

    /// The selected mitigation (index into the session's mitigations).
    pub fn selected_mitigation(&self, s: &Session, derived: &Derived) -> Option<usize> {
        let threat = s.threats.get(self.selected_threat(derived)?)?;
        let list = mitigations_of(s, threat.id.as_str());
        list.get(self.mitigation.min(list.len().saturating_sub(1)))
            .copied()
    }

    pub fn update(&mut self, action: Action, cx: &Cx) -> Vec<Command> {
        if let Some(commands) = self.walk_update(action, cx) {
            return commands;
        }
        if action == Action::Walk {
            return self.start_walk(Default::default(), cx);
        }
        let Some(threat) = self.selected_threat(cx.derived) else {
            return vec![Command::info("no threats yet: add them in question 2")];
        };
        let count = cx.session.threats.len();
        let Some(t) = cx.session.threats.get(threat).cloned() else {
            return Vec::new();
        };
        let mitigations = mitigations_of(cx.session, t.id.as_str());
        let open_mitigation = |index: Option<usize>| {
            let mut form = mitigation_form(
                cx.session,
                index.and_then(|m| cx.session.mitigations.get(m)),
                cx.today,
            );
            if index.is_none() {
                offer_rule_mitigations(&mut form, cx, &t);
            }
            Command::Open(Modal::Form {
                form,
                purpose: FormPurpose::Mitigation { threat, index },
            })
        };
        let open_acceptance = || {
            Command::Open(Modal::Form {
                form: acceptance_form(cx.session, cx.session.acceptance(t.id.as_str()), cx.today),
                purpose: FormPurpose::Acceptance { threat },
            })
        };
        match action {
            Action::Up if self.mitigations_pane => {
                self.mitigation = self.mitigation.saturating_sub(1);
            }
            Action::Down if self.mitigations_pane => {
                self.mitigation = (self.mitigation + 1).min(mitigations.len().saturating_sub(1));
            }
            Action::Top | Action::Bottom | Action::PageUp | Action::PageDown => {
                use super::threats::jump;
                if self.mitigations_pane {
                    self.mitigation = jump(action, self.mitigation, mitigations.len());
                } else {
                    self.threat = jump(action, self.threat, count);
                    self.mitigation = 0;
                }
            }
            Action::Up => {
                self.threat = self.threat.min(count - 1).saturating_sub(1);
                self.mitigation = 0;
            }
            Action::Down => {
                self.threat = (self.threat + 1).min(count - 1);
                self.mitigation = 0;
            }
            Action::Left => self.mitigations_pane = false,
            Action::Right => self.mitigations_pane = !mitigations.is_empty(),
            // A transfer names who takes the risk: its form sets the response when submitted.
            Action::RespondTransfer => {
                return vec![Command::Open(Modal::Form {
                    form: transfer_form(cx.session, &t),
                    purpose: FormPurpose::Transfer { threat },
                })];
            }
            Action::RespondMitigate | Action::RespondAvoid => {
                let response = match action {
                    Action::RespondMitigate => Response::Mitigate,
                    _ => Response::Avoid,
                };
                let Some(edit) = set_response(cx.session, threat, response) else {
                    return Vec::new();
                };
                let mut commands = vec![Command::apply(
                    edit,
                    format!("{}: {}", t.id, response.as_str()),
                )];
                // Mitigating a threat with no mitigation yet goes straight to adding one.
                if response == Response::Mitigate && mitigations.is_empty() {
                    commands.push(open_mitigation(None));
                }
                return commands;
            }
            Action::RespondAccept => return vec![open_acceptance()],
            Action::LinkMitigation => {
                return super::link::LinkPicker::open(cx, threat)
                    .map(|p| Command::Open(Modal::Link(p)))
                    .into_iter()
                    .collect();
            }
            Action::Add => return vec![open_mitigation(None)],
            Action::Edit => {
                if self.mitigations_pane
                    && let Some(m) = self.selected_mitigation(cx.session, cx.derived)
                {
                    return vec![open_mitigation(Some(m))];
                } else if t.response == Response::Accept {
                    return vec![open_acceptance()];
                } else if let Some(&m) = mitigations.first() {
                    return vec![open_mitigation(Some(m))];
                }
                return vec![Command::info(
                    "nothing to edit: a adds a mitigation, x accepts the risk",
                )];
            }
            Action::Delete if self.mitigations_pane => {
                if let Some(m) = self.selected_mitigation(cx.session, cx.derived) {
                    let id = cx.session.mitigations[m].id.clone();
                    self.mitigation = self.mitigation.saturating_sub(1);
                    return vec![Command::apply(
                        Edit::Remove {
                            table: ItemTable::Mitigations,
                            index: m,
                        },
                        format!("{id} deleted"),
                    )];
                }
            }
            Action::CycleStatus => {
                let Some(m) = self
                    .selected_mitigation(cx.session, cx.derived)
                    .or(mitigations.first().copied())
                else {
                    return Vec::new();
                };
                let mut mit = cx.session.mitigations[m].clone();
                use MitigationStatus as St;
                mit.status = match mit.status {
                    St::Planned => St::InProgress,
                    St::InProgress => St::Done,
                    St::Done => St::Verified,
                    St::Verified => St::Planned,
                };
                let message = format!("{}: {}", mit.id, mit.status.as_str());
                return vec![Command::apply(
                    Edit::Replace {
                        index: m,
                        item: Item::Mitigation(mit),
                    },
                    message,
                )];
            }
            Action::CycleThreatStatus => {
                use ThreatStatus as St;
                let mut next = t.clone();
                next.status = match t.status {
                    St::NeedsReview => St::Open,
                    St::Open => St::Resolved,
                    St::Resolved => St::NotApplicable,
                    St::NotApplicable => St::Open,
                };
                let message = format!("{}: {}", next.id, next.status.as_str());
                return vec![Command::apply(
                    Edit::Replace {
                        index: threat,
                        item: Item::Threat(next),
                    },
                    message,
                )];
            }
            _ => {}
        }
        Vec::new()
    }

    /// The mitigation form, submitted: added to threat `threat` (deciding it, if undecided),
    /// or mitigation `index` edited.
    pub fn submit_mitigation(
        &mut self,
        mut form: Form,
        threat: usize,
        index: Option<usize>,
        cx: &Cx,
    ) -> Vec<Command> {
        let s = cx.session;
        let Some(threat_id) = s.threats.get(threat).map(|t| t.id.clone()) else {
            return Vec::new();
        };
        let old = index.and_then(|i| s.mitigations.get(i));
        let Some(m) = mitigation_from_form(&mut form, s, old, &threat_id) else {
            return vec![Command::Open(Modal::Form {
                form,
                purpose: FormPurpose::Mitigation { threat, index },
            })];
        };
        let id = m.id.to_string();
        let due = m.due.map(crate::model::due::with_weekday);
        let mut edits = vec![Edit::put(index, Item::Mitigation(m))];
        // Adding a mitigation to an undecided threat decides it.
        if s.threats
            .get(threat)
            .is_some_and(|t| t.response == Response::Undecided)
            && let Some(e) = set_response(s, threat, Response::Mitigate)
        {
            edits.push(e);
        }
        let message = match due {
            Some(d) => format!("{id} saved, due {d}"),
            None => format!("{id} saved, no due date yet"),
        };
        self.mitigations_pane = true;
        vec![Command::apply(Edit::Batch(edits), message)]
    }

    /// The acceptance form, submitted for threat `threat`.
    pub fn submit_acceptance(&mut self, mut form: Form, threat: usize, cx: &Cx) -> Vec<Command> {
        let Some(threat_id) = cx.session.threats.get(threat).map(|t| t.id.clone()) else {
            return Vec::new();
        };
        match acceptance_from_form(&mut form, &threat_id) {
            Some(a) => accept(cx.session, threat, a)
                .map(|edit| Command::apply(edit, format!("{threat_id} accepted")))
                .into_iter()
                .collect(),
            None => vec![Command::Open(Modal::Form {
                form,
                purpose: FormPurpose::Acceptance { threat },
            })],
        }
    }

    /// The transfer form, submitted for threat `threat`: its response becomes transfer, to
    /// whom the form names (required).
    pub fn submit_transfer(&mut self, mut form: Form, threat: usize, cx: &Cx) -> Vec<Command> {
        let Some(mut t) = cx.session.threats.get(threat).cloned() else {
            return Vec::new();
        };
        form.clear_errors();
        let to = form.text("transferred_to");
        if to.is_empty() {
            form.set_error(
                "transferred_to",
                "name who takes the risk: a vendor, an insurer, a team",
            );
            return vec![Command::Open(Modal::Form {
                form,
                purpose: FormPurpose::Transfer { threat },
            })];
        }
        t.response = Response::Transfer;
        t.transferred_to = to;
        let message = format!("{}: {}", t.id, t.response_text());
        vec![Command::apply(
            Edit::Replace {
                index: threat,
                item: Item::Threat(t),
            },
            message,
        )]
    }

    pub fn draw(&self, cx: &Cx, t: &Theme, frame: &mut Frame, area: Rect) {
        let session = cx.session;
        // The walk's banner: which flagged threat, of how many, and why it was flagged.
        let area = match &self.walk {
            Some(walk) => {
                let banner = Paragraph::new(Line::from(Span::styled(
                    format!(" {}", walk.banner()),
                    t.warning(),
                )))
                .wrap(Wrap { trim: false });
                // The reason whole, up to three lines, and a blank line under it.
                let rows = banner.line_count(area.width).clamp(1, 3) as u16;
                let [top, rest] =
                    Layout::vertical([Constraint::Length(rows + 1), Constraint::Min(0)])
                        .areas(area);
                frame.render_widget(banner, top);
                rest
            }
            None => area,
        };
        // The list as wide as its longest row (id, risk, response, title), leaving the details
        // room for a mitigation's action, owner and date.
        let want = session
            .threats
            .iter()
            .map(|th| {
                2 + width(&sanitize(th.id.as_str())) + 1 + 9 + 10 + 1 + width(&sanitize(&th.title))
            })
            .max()
            .unwrap_or(0);
        let (left, right, wide) = list_fitted_and_details(
            area,
            u16::try_from(want).unwrap_or(u16::MAX),
            56,
            [Constraint::Percentage(45), Constraint::Percentage(55)],
        );
        let order = &cx.derived.respond_order;
        let selected = self.threat.min(order.len().saturating_sub(1));
        // Only the rows in view are built: a large model has thousands of threats.
        let height = left.height.saturating_sub(1) as usize;
        let scroll = selected.saturating_sub(height.saturating_sub(1));
        let mut lines: Vec<Line> = order
            .iter()
            .enumerate()
            .skip(scroll)
            .take(height)
            .filter_map(|(i, &ti)| {
                session
                    .threats
                    .get(ti)
                    .map(|th| threat_line(th, i == selected && !self.mitigations_pane, t))
                    .map(|line| fit_line(line, usize::from(left.width)))
            })
            .collect();
        if order.is_empty() {
            lines.push(Line::from(Span::styled(
                "  No threats yet: add them in question 2.",
                t.dim(),
            )));
        }
        frame.render_widget(
            Paragraph::new(lines).block(
                Block::default()
                    .borders(Borders::TOP)
                    .border_style(t.border())
                    .title(Span::styled(list_title(session), t.dim())),
            ),
            left,
        );
        let right_lines = self
            .selected_threat(cx.derived)
            .and_then(|i| session.threats.get(i))
            .map(|th| self.threat_details(th, cx, t))
            .unwrap_or_default();
        frame.render_widget(
            Paragraph::new(right_lines)
                .wrap(Wrap { trim: false })
                .block(details_block(wide, t)),
            right,
        );
    }

    /// The selected threat: its response, mitigations and acceptance.
    fn threat_details(&self, th: &Threat, cx: &Cx, t: &Theme) -> Vec<Line<'static>> {
        let session = cx.session;
        let mut lines = vec![
            Line::from(Span::styled(
                format!(
                    "{} {}",
                    escape_control(th.id.as_str()),
                    escape_control(&th.title)
                ),
                t.title(),
            )),
            // The element last: a long id wraps, the short words stay together.
            Line::raw(format!(
                "risk {}  status {}  on {}",
                th.risk().map_or("unrated", |r| r.as_str()),
                th.status.as_str(),
                escape_control(th.target.as_str()),
            )),
            // A line of its own: a transfer names who takes the risk, which may be long.
            Line::raw(format!("response: {}", escape_control(&th.response_text()))),
        ];
        if !th.raised_by.is_empty() {
            lines.push(Line::raw(format!(
                "raised by {}",
                escape_control(&th.raised_by.join(", "))
            )));
        }
        lines.push(Line::raw(""));
        let mitigations = mitigations_of(session, th.id.as_str());
        let msel = self.mitigation.min(mitigations.len().saturating_sub(1));
        for (i, &mi) in mitigations.iter().enumerate() {
            if let Some(m) = session.mitigations.get(mi) {
                lines.push(mitigation_line(
                    m,
                    cx.today,
                    self.mitigations_pane && i == msel,
                    t,
                ));
                // A shared mitigation says every threat it covers (L links and unlinks).
                if m.threats.len() > 1 {
                    let ids: Vec<String> = m
                        .threats
                        .iter()
                        .map(|id| escape_control(id.as_str()).into_owned())
                        .collect();
                    lines.push(Line::from(Span::styled(
                        format!("    covers {}", ids.join(", ")),
                        t.dim(),
                    )));
                }
            }
        }
        let acceptance = session.acceptance(th.id.as_str());
        if let Some(a) = acceptance {
            lines.push(Line::raw(""));
            lines.push(Line::raw(format!(
                "accepted by {}: {}",
                escape_control(&a.accepted_by),
                escape_control(&a.justification)
            )));
            lines.push(Line::raw(format!(
                "review by {}",
                a.review_by
                    .map_or("⚠ NO DATE".to_string(), crate::model::due::with_weekday)
            )));
        }
        if mitigations.is_empty() && acceptance.is_none() {
            lines.push(Line::from(Span::styled(
                "  m mitigate (opens the mitigation form), x accept, t transfer, v avoid",
                t.dim(),
            )));
        }
        lines
    }
}

/// The list's title: threats needing review come first, and it says how many.
fn list_title(s: &Session) -> String {
    let flagged = s
        .threats
        .iter()
        .filter(|t| t.status == ThreatStatus::NeedsReview)
        .count();
    match flagged {
        0 => " Threats by risk ".to_string(),
        1 => " Threats by risk, 1 to review first ".to_string(),
        n => format!(" Threats by risk, {n} to review first "),
    }
}

/// Threat indices: those needing review first (a re-run starts there), then by risk, highest
/// first; ties in file order.
pub fn ordered(s: &Session) -> Vec<usize> {
    let mut order: Vec<usize> = (0..s.threats.len()).collect();
    order.sort_by_key(|&i| {
        let t = &s.threats[i];
        (
            t.status != crate::model::ThreatStatus::NeedsReview,
            std::cmp::Reverse(t.risk_score()),
        )
    });
    order
}

/// Mitigation indices for a threat.
pub fn mitigations_of(s: &Session, threat: &str) -> Vec<usize> {
    s.mitigations
        .iter()
        .enumerate()
        .filter(|(_, m)| m.threats.iter().any(|t| t.as_str() == threat))
        .map(|(i, _)| i)
        .collect()
}

/// Everyone who has been named: attendees of every run and every owner so far, for completion.
pub fn known_people(s: &Session) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let runs = s.runs.iter().rev();
    for name in runs
        .flat_map(|r| std::iter::once(&r.facilitator).chain(r.attendees.iter()))
        .chain(s.mitigations.iter().map(|m| &m.owner))
        .chain(s.acceptances.iter().map(|a| &a.accepted_by))
    {
        let name = name.trim();
        if !name.is_empty() && !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    names
}

/// A threat that came from a threat rule: the mitigations the rule suggests (those not yet
/// recorded for it) are on offer in the action field, the first before anything is typed.
fn offer_rule_mitigations(form: &mut Form, cx: &Cx, t: &Threat) {
    let Some(rule) = t.rule.as_deref() else {
        return;
    };
    let graph = crate::analysis::ModelGraph::new(cx.session);
    let done: Vec<String> = cx
        .session
        .mitigations_for(t.id.as_str())
        .map(|m| m.action.to_lowercase())
        .collect();
    let offers: Vec<String> = cx
        .libraries
        .rules()
        .mitigations_on(&graph, rule, t.target.as_str())
        .into_iter()
        .filter(|m| !done.contains(&m.to_lowercase()))
        .collect();
    if let Some(field) = form.fields.iter_mut().find(|f| f.key == "action") {
        *field = field.clone().with_offers(offers);
    }
}

/// The edit setting a threat's response (and nothing else).
pub fn set_response(s: &Session, index: usize, response: Response) -> Option<Edit> {
    let mut t = s.threats.get(index)?.clone();
    t.response = response;
    Some(Edit::Replace {
        index,
        item: Item::Threat(t),
    })
}

pub fn mitigation_form(s: &Session, m: Option<&Mitigation>, today: NaiveDate) -> Form {
    let statuses = [
        MitigationStatus::Planned,
        MitigationStatus::InProgress,
        MitigationStatus::Done,
        MitigationStatus::Verified,
    ]
    .iter()
    .map(|st| Choice::new(st.as_str(), st.as_str()))
    .collect();
    let title = match m {
        Some(m) => format!("Edit mitigation {}", escape_control(m.id.as_str())),
        None => "Add mitigation".into(),
    };
    Form::new(
        title,
        vec![
            Field::text(
                "action",
                "Action",
                m.map_or("", |m| &m.action),
                "what will be done",
            ),
            Field::text("owner", "Owner", m.map_or("", |m| &m.owner), "one person")
                .with_suggestions(known_people(s)),
            Field::date("due", "Due", m.and_then(|m| m.due), today),
            Field::choice(
                "status",
                "Status",
                statuses,
                m.map_or("planned", |m| m.status.as_str()),
            ),
            Field::text(
                "ticket",
                "Ticket",
                m.map_or("", |m| &m.ticket),
                "e.g. SEC-123 or a link",
            ),
        ],
    )
}

/// Reads the mitigation form into a mitigation for `threat`; `None` marks the bad fields.
pub fn mitigation_from_form(
    form: &mut Form,
    s: &Session,
    old: Option<&Mitigation>,
    threat: &ThreatId,
) -> Option<Mitigation> {
    form.clear_errors();
    let action = form.text("action");
    if action.is_empty() {
        form.set_error("action", "say what will be done");
    }
    let due = match form.date("due") {
        Ok(d) => d,
        Err(message) => {
            form.set_error("due", message);
            None
        }
    };
    if form.has_errors() {
        return None;
    }
    let status = [
        MitigationStatus::Planned,
        MitigationStatus::InProgress,
        MitigationStatus::Done,
        MitigationStatus::Verified,
    ]
    .into_iter()
    .find(|st| st.as_str() == form.choice("status"))
    .unwrap_or_default();
    Some(Mitigation {
        id: old.map_or_else(|| s.next_mitigation_id(), |m| m.id.clone()),
        threats: old.map_or_else(|| vec![threat.clone()], |m| m.threats.clone()),
        action,
        owner: form.text("owner"),
        due,
        status,
        ticket: form.text("ticket"),
    })
}

/// Who takes the risk of `t`, for a transfer; the names given to other transfers are offered.
pub fn transfer_form(s: &Session, t: &Threat) -> Form {
    let mut known: Vec<String> = Vec::new();
    for name in s.threats.iter().map(|t| t.transferred_to.trim()) {
        if !name.is_empty() && !known.iter().any(|k| k == name) {
            known.push(name.to_string());
        }
    }
    Form::new(
        format!("Transfer {}", escape_control(t.id.as_str())),
        vec![
            Field::text(
                "transferred_to",
                "Transferred to",
                &t.transferred_to,
                "who takes the risk: a vendor, an insurer, a team",
            )
            .with_suggestions(known),
        ],
    )
}

pub fn acceptance_form(s: &Session, a: Option<&Acceptance>, today: NaiveDate) -> Form {
    Form::new(
        "Accept the risk",
        vec![
            Field::text(
                "justification",
                "Justification",
                a.map_or("", |a| &a.justification),
                "why living with it is right",
            ),
            Field::text(
                "accepted_by",
                "Accepted by",
                a.map_or("", |a| &a.accepted_by),
                "who owns the risk",
            )
            .with_suggestions(known_people(s)),
            Field::date("review_by", "Review by", a.and_then(|a| a.review_by), today),
        ],
    )
}

/// Reads the acceptance form; all three fields are required.
pub fn acceptance_from_form(form: &mut Form, threat: &ThreatId) -> Option<Acceptance> {
    form.clear_errors();
    let justification = form.text("justification");
    if justification.is_empty() {
        form.set_error("justification", "an acceptance needs a justification");
    }
    let accepted_by = form.text("accepted_by");
    if accepted_by.is_empty() {
        form.set_error("accepted_by", "name who accepts the risk");
    }
    let review_by = match form.date("review_by") {
        Ok(Some(d)) => Some(d),
        Ok(None) => {
            form.set_error(
                "review_by",
                "set when the acceptance must be looked at again, e.g. +3m",
            );
            None
        }
        Err(message) => {
            form.set_error("review_by", message);
            None
        }
    };
    if form.has_errors() {
        return None;
    }
    Some(Acceptance {
        threat: threat.clone(),
        justification,
        accepted_by,
        review_by,
    })
}

/// The edit that accepts a threat: its response becomes `accept` and its acceptance is written
/// (replacing an earlier one), as one undoable step.
pub fn accept(s: &Session, index: usize, acceptance: Acceptance) -> Option<Edit> {
    let mut t: Threat = s.threats.get(index)?.clone();
    t.response = Response::Accept;
    let acceptance_edit = Edit::put(
        s.acceptances.iter().position(|a| a.threat == t.id),
        Item::Acceptance(acceptance),
    );
    Some(Edit::Batch(vec![
        Edit::Replace {
            index,
            item: Item::Threat(t),
        },
        acceptance_edit,
    ]))
}

/// A mitigation's line, with what is missing marked in words.
pub fn mitigation_line(
    m: &Mitigation,
    today: NaiveDate,
    selected: bool,
    theme: &Theme,
) -> Line<'static> {
    let owner = if m.owner.trim().is_empty() {
        "⚠ NO OWNER".to_string()
    } else {
        escape_control(&m.owner).into_owned()
    };
    let due = match m.due {
        None => "⚠ NO DUE DATE".to_string(),
        Some(d) if m.is_overdue(today) => {
            format!("⚠ OVERDUE {}", crate::model::due::with_weekday(d))
        }
        Some(d) => format!("due {}", crate::model::due::with_weekday(d)),
    };
    let warn = m.owner.trim().is_empty() || m.due.is_none() || m.is_overdue(today);
    Line::from(vec![
        Span::styled(
            format!(
                "{}{} {}",
                if selected { "▸ " } else { "  " },
                escape_control(m.id.as_str()),
                escape_control(&m.action)
            ),
            if selected {
                theme.selected()
            } else {
                theme.normal()
            },
        ),
        Span::styled(
            format!(
                "  {owner}, {due}, {}{}",
                m.status.as_str(),
                if m.ticket.is_empty() {
                    String::new()
                } else {
                    format!(", {}", escape_control(&m.ticket))
                }
            ),
            if warn { theme.warning() } else { theme.dim() },
        ),
    ])
}

/// A threat's line in the list: id, risk, response, title.
pub fn threat_line(t: &Threat, selected: bool, theme: &Theme) -> Line<'static> {
    let risk = t
        .risk()
        .map_or("unrated".to_string(), |r| r.as_str().to_string());
    let undecided = t.response == Response::Undecided;
    Line::from(vec![
        Span::styled(
            format!(
                "{}{} {:<8} ",
                if selected { "▸ " } else { "  " },
                escape_control(t.id.as_str()),
                risk
            ),
            if selected {
                theme.selected()
            } else {
                theme.normal()
            },
        ),
        // One column, so titles line up: a threat to review shows that instead of its
        // response (the details still show the response).
        {
            let (text, style) = if t.status == ThreatStatus::NeedsReview {
                ("⚠ review", theme.warning())
            } else if undecided {
                ("⚠ decide", theme.warning())
            } else {
                (t.response.as_str(), theme.ok())
            };
            Span::styled(format!("{text:<10}"), style)
        },
        Span::raw(format!(" {}", escape_control(&t.title))),
    ])
}
