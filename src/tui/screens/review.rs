//! Question 4, "Did we do a good job?": coverage, gaps, open work, findings and attack paths from
//! the same analysis `check` uses, and the team's short retrospective.

use super::{Command, Cx};
use crate::analysis::Analysis;
use crate::model::edit::Edit;
use crate::model::text::escape_control;
use crate::model::{Response, RiskLevel, Session};
use crate::tui::keymap::Action;
use crate::tui::modal::{FormPurpose, Modal};
use crate::tui::theme::Theme;
use crate::tui::widgets::form::{Field, Form};
use chrono::NaiveDate;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

/// Question 4 scrolls as one page.
#[derive(Debug, Default)]
pub struct ReviewState {
    pub scroll: u16,
}

impl ReviewState {
    pub fn update(&mut self, action: Action, cx: &Cx) -> Vec<Command> {
        match action {
            Action::Edit => {
                return vec![Command::Open(Modal::Form {
                    form: review_form(cx.session),
                    purpose: FormPurpose::Review,
                })];
            }
            Action::Up => self.scroll = self.scroll.saturating_sub(1),
            Action::Down => self.scroll = self.scroll.saturating_add(1),
            _ => {}
        }
        Vec::new()
    }

    /// The retrospective form, submitted.
    pub fn submit(&mut self, form: &Form) -> Vec<Command> {
        vec![Command::apply(
            Edit::SetReview(review_from_form(form)),
            "retrospective saved in the session",
        )]
    }

    pub fn draw(&self, cx: &Cx, theme: &Theme, frame: &mut Frame, area: Rect) {
        let lines = review(cx.session, &cx.derived.analysis, cx.today, theme);
        let max = lines.len().saturating_sub(1) as u16;
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .scroll((self.scroll.min(max), 0))
                .block(
                    Block::default()
                        .borders(Borders::TOP)
                        .border_style(theme.border()),
                ),
            area,
        );
    }
}

fn e(t: &str) -> String {
    escape_control(t).into_owned()
}

fn note(theme: &Theme) -> Line<'static> {
    Line::from(Span::styled(
        "e edits the retrospective · C commits the session · ↑↓ scroll. Fix gaps in questions 1 to 3.",
        theme.dim(),
    ))
}

/// Question 4: coverage, gaps, findings and attack paths.
pub fn review(
    s: &Session,
    analysis: &Analysis,
    today: NaiveDate,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let c = &analysis.coverage;
    let mut lines = vec![
        note(theme),
        Line::raw(""),
        Line::from(Span::styled(
            format!(
                "Coverage {:.0}%: {} of {} element × STRIDE pairs covered by a threat or marked not applicable",
                c.percent(),
                c.covered_pairs(),
                c.applicable_pairs()
            ),
            theme.title(),
        )),
    ];
    for el in c.elements.iter().filter(|el| !el.gaps().is_empty()) {
        lines.push(Line::raw(format!(
            "    gap: {} ({}) missing {}",
            e(el.id.as_str()),
            el.kind.as_str(),
            el.gaps()
        )));
    }
    let section = |title: String, items: Vec<String>, lines: &mut Vec<Line<'static>>| {
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled(title, theme.title())));
        if items.is_empty() {
            lines.push(Line::from(Span::styled("    none", theme.ok())));
        }
        for item in items {
            lines.push(Line::raw(format!("    {item}")));
        }
    };
    let undecided: Vec<String> = s
        .threats
        .iter()
        .filter(|t| t.status.is_open() && t.response == Response::Undecided)
        .map(|t| {
            format!(
                "{} {} ({})",
                e(t.id.as_str()),
                e(&t.title),
                t.risk().map_or("unrated", |r| r.as_str())
            )
        })
        .collect();
    section(
        format!("Threats without a response ({})", undecided.len()),
        undecided,
        &mut lines,
    );
    // Who carries each transferred risk: the team checks the names are right.
    let transferred: Vec<String> = s
        .threats
        .iter()
        .filter(|t| t.response == Response::Transfer)
        .map(|t| {
            let warn = if t.transferred_to.trim().is_empty() {
                "⚠ "
            } else {
                ""
            };
            format!(
                "{warn}{} {}: {}",
                e(t.id.as_str()),
                e(&t.title),
                e(&t.response_text())
            )
        })
        .collect();
    if !transferred.is_empty() {
        section(
            format!("Transferred risks ({})", transferred.len()),
            transferred,
            &mut lines,
        );
    }
    let unowned: Vec<String> = s
        .mitigations
        .iter()
        .filter(|m| !m.status.is_finished() && (m.owner.trim().is_empty() || m.due.is_none()))
        .map(|m| {
            let missing = match (m.owner.trim().is_empty(), m.due.is_none()) {
                (true, true) => "no owner, no due date",
                (true, false) => "no owner",
                _ => "no due date",
            };
            format!("⚠ {} {}: {missing}", e(m.id.as_str()), e(&m.action))
        })
        .collect();
    section(
        format!("Mitigations without owner or due date ({})", unowned.len()),
        unowned,
        &mut lines,
    );
    let overdue: Vec<String> = s
        .mitigations
        .iter()
        .filter(|m| m.is_overdue(today))
        .map(|m| {
            format!(
                "⚠ {} {} (due {}, {})",
                e(m.id.as_str()),
                e(&m.action),
                m.due.map(|d| d.to_string()).unwrap_or_default(),
                e(&m.owner)
            )
        })
        .chain(
            s.acceptances
                .iter()
                .filter(|a| a.review_by.is_some_and(|d| d < today))
                .map(|a| {
                    format!(
                        "⚠ acceptance of {} (review was due {})",
                        e(a.threat.as_str()),
                        a.review_by.map(|d| d.to_string()).unwrap_or_default()
                    )
                }),
        )
        .collect();
    section(format!("Overdue ({})", overdue.len()), overdue, &mut lines);
    let high: Vec<String> = s
        .threats
        .iter()
        .filter(|t| t.status.is_open() && t.risk() >= Some(RiskLevel::High))
        .map(|t| {
            format!(
                "{} {} {} (response: {})",
                t.risk().map_or("", |r| r.as_str()).to_uppercase(),
                e(t.id.as_str()),
                e(&t.title),
                e(&t.response_text())
            )
        })
        .collect();
    section(
        format!("Open high and critical risks ({})", high.len()),
        high,
        &mut lines,
    );
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled(
        format!("Findings ({})", analysis.findings.len()),
        theme.title(),
    )));
    for f in &analysis.findings {
        let accepted = if f.is_accepted() { " [accepted]" } else { "" };
        lines.push(Line::raw(format!(
            "    {:<8} {} {}{accepted}",
            f.severity.as_str(),
            f.rule.id(),
            e(&f.message)
        )));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled(
        format!("Attack paths ({})", analysis.attack_paths.len()),
        theme.title(),
    )));
    for p in &analysis.attack_paths {
        lines.push(Line::raw(format!(
            "    {}  (crosses {}, weakest link {}/2)",
            e(&p.components
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(" → ")),
            p.boundaries_crossed.len(),
            p.weakest_link
        )));
    }
    let r = &s.review;
    if !r.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled("Retrospective", theme.title())));
        for (k, v) in [
            ("coverage notes", &r.coverage_notes),
            ("went well", &r.went_well),
            ("to change", &r.to_change),
        ] {
            if !v.is_empty() {
                lines.push(Line::raw(format!("    {k}: {}", e(v))));
            }
        }
    }
    lines
}

/// The retrospective form (question 4), saved in the session's `[review]`.
pub fn review_form(s: &Session) -> Form {
    let r = &s.review;
    Form::new(
        "Retrospective",
        vec![
            Field::text(
                "went_well",
                "Went well",
                &r.went_well,
                "what worked in this session",
            ),
            Field::text(
                "to_change",
                "To change",
                &r.to_change,
                "what to do differently next time",
            ),
            Field::text(
                "coverage_notes",
                "Coverage",
                &r.coverage_notes,
                "what was left out, and why",
            ),
        ],
    )
}

pub fn review_from_form(form: &Form) -> crate::model::Review {
    crate::model::Review {
        coverage_notes: form.text("coverage_notes"),
        went_well: form.text("went_well"),
        to_change: form.text("to_change"),
    }
}
