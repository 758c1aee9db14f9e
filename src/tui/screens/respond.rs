//! Question 3, "What are we going to do about it?": a response per threat, mitigations with an
//! owner and a due date, and signed acceptances. Threats are listed by risk, highest first.

use crate::model::edit::{Edit, Item};
use crate::model::text::escape_control;
use crate::model::{Acceptance, Mitigation, MitigationStatus, Response, Session, Threat, ThreatId};
use crate::tui::theme::Theme;
use crate::tui::widgets::form::{Choice, Field, Form};
use chrono::NaiveDate;
use ratatui::text::{Line, Span};

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
    let acceptance_edit = match s.acceptances.iter().position(|a| a.threat == t.id) {
        Some(i) => Edit::Replace {
            index: i,
            item: Item::Acceptance(acceptance),
        },
        None => Edit::Insert {
            index: s.acceptances.len(),
            item: Item::Acceptance(acceptance),
        },
    };
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
        Span::styled(
            format!(
                "{:<10}",
                if undecided {
                    "⚠ decide"
                } else {
                    t.response.as_str()
                }
            ),
            if undecided {
                theme.warning()
            } else {
                theme.ok()
            },
        ),
        Span::raw(format!(" {}", escape_control(&t.title))),
    ])
}
