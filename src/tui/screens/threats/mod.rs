//! Question 2, "What can go wrong?": pick an element (boundary-crossing flows first), see which
//! STRIDE categories apply and which are covered, and add threats from the libraries through a
//! fuzzy picker, from suggestions, or typed by hand. Likelihood and impact are single keys.

mod elements;
mod form;
mod picker;

pub use elements::{ElementRow, elements, stride_marks, threats_of};
pub use form::{cycle, library_threat_form, threat_form, threat_from_form, threat_line};
pub use picker::{
    HitColumns, Picker, PickerHit, hit_line, not_usual, picker_search, preview_lines, suggestions,
};

use super::{Command, Cx};
use crate::model::edit::{Edit, Item};
use crate::model::text::escape_control;
use crate::model::{Response, Session, StrideSet, Threat, ThreatStatus};
use crate::tui::keymap::Action;
use crate::tui::modal::{FormPurpose, Modal};
use crate::tui::session::Derived;
use crate::tui::theme::Theme;
use crate::tui::widgets::form::Form;
use crate::tui::widgets::text::fit;
use crate::tui::widgets::{details_block, list_and_details};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

/// Question 2's selection: the element, the threat among its threats, which pane has the keys,
/// and whether threats are ordered by risk.
#[derive(Debug, Default)]
pub struct ThreatsState {
    pub element: usize,
    pub threat: usize,
    pub threats_pane: bool,
    pub by_risk: bool,
    /// A threat to select once the change that adds or edits it is applied.
    focus: Option<String>,
}

impl ThreatsState {
    /// The selected element.
    pub fn row<'d>(&self, derived: &'d Derived) -> Option<&'d ElementRow> {
        let rows = &derived.elements;
        rows.get(self.element.min(rows.len().saturating_sub(1)))
    }

    /// The selected threat: its index in the session's threats.
    pub fn selected_threat(&self, s: &Session, derived: &Derived) -> Option<usize> {
        let row = self.row(derived)?;
        let list = threats_of(s, &row.id, self.by_risk);
        list.get(self.threat.min(list.len().saturating_sub(1)))
            .map(|(i, _)| *i)
    }

    /// Selects threat `id` in the threat pane once the change that adds it is applied.
    pub fn focus_on(&mut self, id: impl Into<String>) {
        self.focus = Some(id.into());
    }

    /// After a change: the threat asked for by [`ThreatsState::focus_on`] is selected.
    pub fn after_change(&mut self, s: &Session, derived: &Derived) {
        let Some(id) = self.focus.take() else { return };
        let Some(row) = self.row(derived) else { return };
        let list = threats_of(s, &row.id, self.by_risk);
        if let Some(pos) = list.iter().position(|(_, t)| t.id.as_str() == id) {
            self.threat = pos;
            self.threats_pane = true;
        }
    }

    pub fn update(&mut self, action: Action, cx: &Cx) -> Vec<Command> {
        let rows = cx.derived.elements.len();
        let Some(row) = self.row(cx.derived).cloned() else {
            return vec![Command::info(
                "question 1 first: there are no components or flows yet",
            )];
        };
        let count = threats_of(cx.session, &row.id, self.by_risk).len();
        match action {
            Action::Up if self.threats_pane => self.threat = self.threat.saturating_sub(1),
            Action::Down if self.threats_pane => {
                self.threat = (self.threat + 1).min(count.saturating_sub(1));
            }
            Action::Up => {
                self.element = self.element.min(rows - 1).saturating_sub(1);
                self.threat = 0;
            }
            Action::Down => {
                self.element = (self.element + 1).min(rows - 1);
                self.threat = 0;
            }
            Action::Left => self.threats_pane = false,
            Action::Right => self.threats_pane = count > 0,
            Action::SortByRisk => {
                self.by_risk = !self.by_risk;
                let order = if self.by_risk {
                    "by risk"
                } else {
                    "as entered"
                };
                return vec![Command::info(format!("threats ordered {order}"))];
            }
            Action::Add => {
                let picker = Picker::open(cx.session, cx.libraries, &row);
                return vec![Command::Open(Modal::Picker(picker))];
            }
            Action::Custom => {
                return vec![Command::Open(Modal::Form {
                    form: threat_form(None),
                    purpose: FormPurpose::Threat {
                        target: row.id.clone(),
                        index: None,
                    },
                })];
            }
            Action::Edit | Action::Delete | Action::Likelihood | Action::Impact => {
                return self.on_threat(action, &row, cx);
            }
            _ => {}
        }
        Vec::new()
    }

    /// Edit, delete, or rate the selected threat.
    fn on_threat(&mut self, action: Action, row: &ElementRow, cx: &Cx) -> Vec<Command> {
        let Some(index) = self.selected_threat(cx.session, cx.derived) else {
            return vec![Command::info(
                "no threat selected: press a to add one from the libraries",
            )];
        };
        let Some(threat) = cx.session.threats.get(index).cloned() else {
            return Vec::new();
        };
        match action {
            Action::Edit => vec![Command::Open(Modal::Form {
                form: threat_form(Some(&threat)),
                purpose: FormPurpose::Threat {
                    target: row.id.clone(),
                    index: Some(index),
                },
            })],
            Action::Delete => {
                let Some((edit, done)) = delete(cx.session, index) else {
                    return Vec::new();
                };
                let mitigations = cx.session.mitigations_for(threat.id.as_str()).count();
                if mitigations == 0 && cx.session.acceptance(threat.id.as_str()).is_none() {
                    vec![Command::apply(edit, done)]
                } else {
                    vec![Command::Open(Modal::Confirm {
                        title: "Delete threat?".into(),
                        message: format!(
                            "Delete threat {}? {mitigations} mitigation(s) and any acceptance refer to it; mitigations left with no threat are deleted too.",
                            threat.id
                        ),
                        edit: Box::new(edit),
                        done,
                    })]
                }
            }
            _ => {
                let mut t = threat;
                let what = if action == Action::Likelihood {
                    t.likelihood = cycle(t.likelihood);
                    format!("likelihood {}", t.likelihood.map_or("?", |r| r.label()))
                } else {
                    t.impact = cycle(t.impact);
                    format!("impact {}", t.impact.map_or("?", |r| r.label()))
                };
                let risk = t
                    .risk()
                    .map_or("unrated".to_string(), |r| r.as_str().to_string());
                let id = t.id.to_string();
                self.focus_on(id.clone());
                vec![Command::apply(
                    Edit::Replace {
                        index,
                        item: Item::Threat(t),
                    },
                    format!("{id}: {what}, risk {risk}"),
                )]
            }
        }
    }

    /// The threat form, submitted: a new threat on `target`, or threat `index` edited.
    pub fn submit(
        &mut self,
        mut form: Form,
        target: &str,
        index: Option<usize>,
        cx: &Cx,
    ) -> Vec<Command> {
        let s = cx.session;
        let base = match index.and_then(|i| s.threats.get(i)) {
            Some(t) => t.clone(),
            None => Threat {
                rule: None,
                id: s.next_threat_id(),
                target: target.into(),
                title: String::new(),
                stride: StrideSet::empty(),
                refs: Vec::new(),
                likelihood: None,
                impact: None,
                response: Response::Undecided,
                status: ThreatStatus::Open,
                notes: String::new(),
            },
        };
        let id = base.id.to_string();
        let Some(threat) = threat_from_form(&mut form, base) else {
            return vec![Command::Open(Modal::Form {
                form,
                purpose: FormPurpose::Threat {
                    target: target.to_string(),
                    index,
                },
            })];
        };
        let done = match (index, threat.refs.first()) {
            (Some(_), _) => format!("{id} saved"),
            (None, Some(reference)) => format!("{id} added: {} ({reference})", threat.title),
            (None, None) => format!("{id} added: {}", threat.title),
        };
        let edit = Edit::put(index, Item::Threat(threat));
        self.focus_on(id.clone());
        vec![Command::apply(edit, done)]
    }

    pub fn draw(&self, cx: &Cx, theme: &Theme, frame: &mut Frame, area: Rect) {
        let (left, right, wide) = list_and_details(
            area,
            [Constraint::Percentage(45), Constraint::Percentage(55)],
            [Constraint::Percentage(45), Constraint::Percentage(55)],
        );
        self.draw_elements(cx, theme, frame, left);
        self.draw_element_threats(cx, theme, frame, right, wide);
    }

    fn draw_elements(&self, cx: &Cx, t: &Theme, frame: &mut Frame, area: Rect) {
        let rows = &cx.derived.elements;
        let selected = self.element.min(rows.len().saturating_sub(1));
        // Only the rows in view are built: a large model has thousands.
        let height = area.height.saturating_sub(1) as usize;
        let scroll = selected.saturating_sub(height.saturating_sub(1));
        let mut lines = Vec::new();
        for (i, row) in rows.iter().enumerate().skip(scroll).take(height) {
            let is_sel = i == selected;
            let style = if is_sel && !self.threats_pane {
                t.selected()
            } else if is_sel {
                t.title()
            } else {
                t.normal()
            };
            // The STRIDE marks first, in a fixed-width column, so long names cannot push them
            // off.
            lines.push(Line::from(vec![
                Span::styled(if is_sel { "▸ " } else { "  " }, style),
                Span::styled(
                    format!(
                        "{:<17} ",
                        stride_marks(&row.applicable, &row.covered, &row.not_applicable)
                    ),
                    t.dim(),
                ),
                Span::styled(
                    fit(
                        &format!(
                            "{}{}",
                            if row.crossing { "! " } else { "" },
                            escape_control(&row.title)
                        ),
                        usize::from(area.width.saturating_sub(2 + 18)),
                    ),
                    style,
                ),
            ]));
        }
        if rows.is_empty() {
            lines.push(Line::from(Span::styled(
                "  Nothing to examine yet: build the model in question 1.",
                t.dim(),
            )));
        }
        frame.render_widget(
            Paragraph::new(lines).block(
                Block::default()
                    .borders(Borders::TOP)
                    .border_style(t.border())
                    .title(Span::styled(
                        " Elements (! crosses a boundary; ✓ covered · open - not applicable) ",
                        t.dim(),
                    )),
            ),
            area,
        );
    }

    fn draw_element_threats(&self, cx: &Cx, t: &Theme, frame: &mut Frame, area: Rect, wide: bool) {
        let mut lines = Vec::new();
        if let Some(row) = self.row(cx.derived) {
            // One line, whatever the name's length, so the element's threats stay in view.
            let inner_width = if wide {
                area.width.saturating_sub(1)
            } else {
                area.width
            };
            lines.push(Line::from(Span::styled(
                fit(
                    &format!(
                        "{} {} ({})",
                        row.kind.as_str(),
                        escape_control(&row.title),
                        escape_control(&row.id)
                    ),
                    usize::from(inner_width),
                ),
                t.title(),
            )));
            let open = row.applicable.difference(&row.covered);
            lines.push(Line::raw(format!(
                "applies: {}   open: {}",
                row.applicable,
                if open.is_empty() {
                    "none".to_string()
                } else {
                    open.to_string()
                }
            )));
            lines.push(Line::raw(""));
            let list = threats_of(cx.session, &row.id, self.by_risk);
            let sel = self.threat.min(list.len().saturating_sub(1));
            for (i, (_, threat)) in list.iter().enumerate() {
                lines.push(threat_line(threat, self.threats_pane && i == sel, t));
            }
            if list.is_empty() {
                lines.push(Line::from(Span::styled(
                    "  No threats here yet: a opens the library picker, c adds your own.",
                    t.dim(),
                )));
            }
            if let Some(threat) = list.get(sel).map(|(_, t)| *t) {
                lines.push(Line::raw(""));
                for r in &threat.refs {
                    let name = cx
                        .libraries
                        .get(r)
                        .map(|(_, e)| format!("{}  {}", e.name, e.url))
                        .unwrap_or_else(|| "(not in the loaded libraries)".to_string());
                    lines.push(Line::from(Span::styled(
                        format!(
                            "  {}  {}",
                            escape_control(r.as_str()),
                            escape_control(&name)
                        ),
                        t.dim(),
                    )));
                }
            }
        }
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .block(details_block(wide, t)),
            area,
        );
    }
}

/// The edit deleting threat `index` and what only it needed (its acceptance, mitigations that
/// address no other threat), with the message that says so.
pub fn delete(s: &Session, index: usize) -> Option<(Edit, String)> {
    let mut next = s.clone();
    if index >= next.threats.len() {
        return None;
    }
    let id = next.threats.remove(index).id;
    next.acceptances.retain(|a| a.threat != id);
    for m in &mut next.mitigations {
        m.threats.retain(|t| t != &id);
    }
    next.mitigations.retain(|m| !m.threats.is_empty());
    Some((Edit::Whole(Box::new(next)), format!("{id} deleted")))
}
