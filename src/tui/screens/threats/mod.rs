//! Question 2, "What can go wrong?": pick an element (boundary-crossing flows first), see which
//! STRIDE categories apply and which are covered, and add threats from the libraries through a
//! fuzzy picker, from the threat rules' suggestions, or typed by hand. Likelihood and impact are
//! single keys. A suggestion that does not apply is dismissed with a reason, STRIDE letters
//! that do not apply are marked so with one, and a walk goes through every open suggestion of
//! the model one at a time.

mod elements;
mod form;
mod picker;
mod suggestions;
mod walk;

pub use elements::{ElementRow, elements, stride_marks, threats_of};
pub use form::{cycle, library_threat_form, threat_form, threat_from_form, threat_line};
pub use picker::{
    HitColumns, Picker, PickerHit, hit_line, not_usual, picker_search, preview_lines, suggestions,
};
pub use suggestions::{
    SuggestionView, dismissal_form, not_applicable_form, suggested_threat, suggested_threat_form,
    suggestions_for,
};
pub use walk::{Walk, walk_order};

use super::{Command, Cx};
use crate::analysis::ModelGraph;
use crate::model::edit::{Edit, Item};
use crate::model::text::escape_control;
use crate::model::{Response, Session, StrideSet, Threat, ThreatStatus};
use crate::rules::RuleSet;
use crate::tui::keymap::Action;
use crate::tui::modal::{FormPurpose, Modal};
use crate::tui::session::Derived;
use crate::tui::theme::Theme;
use crate::tui::widgets::form::Form;
use crate::tui::widgets::text::fit;
use crate::tui::widgets::{details_block, list_fitted_and_details};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

/// Which pane of question 2 has the arrow keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Pane {
    #[default]
    Elements,
    Threats,
    Suggestions,
}

/// Question 2's selection: the element, the threat among its threats, the suggestion among the
/// rules' suggestions for it, which pane has the keys, whether threats are ordered by risk, and
/// the walk through every open suggestion when one is under way.
#[derive(Debug, Default)]
pub struct ThreatsState {
    pub element: usize,
    pub threat: usize,
    pub pane: Pane,
    pub by_risk: bool,
    pub suggestion: usize,
    pub walk: Option<Walk>,
    /// The selected element's suggestions, open ones first, and the element and revision they
    /// were made for: made again when either changes, never while drawing.
    suggested: Vec<SuggestionView>,
    suggested_for: Option<(String, u64)>,
    /// A threat to select once the change that adds or edits it is applied, and whether its
    /// pane takes the keys.
    focus: Option<(String, bool)>,
    /// While sharing: attendees' pending ideas per element id (set by the app when the inbox
    /// changes; `None` when not sharing, and then the list shows no idea counts).
    pub pending_ideas: Option<std::collections::HashMap<String, usize>>,
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

    /// The selected element's suggestions, open ones first.
    pub fn suggestions(&self) -> &[SuggestionView] {
        &self.suggested
    }

    /// The suggestion under the cursor.
    pub fn selected_suggestion(&self) -> Option<&SuggestionView> {
        self.suggested
            .get(self.suggestion.min(self.suggested.len().saturating_sub(1)))
    }

    /// Selects threat `id` in the threat pane once the change that adds it is applied.
    pub fn focus_on(&mut self, id: impl Into<String>) {
        self.focus = Some((id.into(), true));
    }

    /// After a change: the threat asked for by [`ThreatsState::focus_on`] is selected, the
    /// walk moves on if what it showed was dealt with, and the selected element's suggestions
    /// are made again.
    /// Selects the element `id` with the keys in the elements list, its suggestions made
    /// for it; `false` when there is no such element.
    pub fn select(&mut self, s: &Session, derived: &Derived, rules: &RuleSet, id: &str) -> bool {
        let Some(row) = derived.elements.iter().position(|r| r.id.as_str() == id) else {
            return false;
        };
        self.walk = None;
        self.element = row;
        self.threat = 0;
        self.suggestion = 0;
        self.pane = Pane::Elements;
        self.sync(s, derived, rules);
        true
    }

    pub fn after_change(&mut self, s: &Session, derived: &Derived, rules: &RuleSet) {
        self.after_change_with(s, derived, rules, None);
    }

    /// [`ThreatsState::after_change`] with the graph of `s` when one is made already.
    pub fn after_change_with(
        &mut self,
        s: &Session,
        derived: &Derived,
        rules: &RuleSet,
        graph: Option<&ModelGraph<'_>>,
    ) {
        self.suggested_for = None;
        if let Some((id, take_keys)) = self.focus.take()
            && let Some(row) = self.row(derived)
        {
            let list = threats_of(s, &row.id, self.by_risk);
            if let Some(pos) = list.iter().position(|(_, t)| t.id.as_str() == id) {
                self.threat = pos;
                if take_keys {
                    self.pane = Pane::Threats;
                }
            }
        }
        if self.walk.is_some() {
            self.follow_walk(s, derived, rules);
        }
        // Off question 2 the suggestions are not counted, nor written out: that waits until it
        // comes on view (`SessionState::refresh_derived`).
        if derived.open_suggestions.is_some() {
            self.sync_with(s, derived, rules, graph);
        }
    }

    /// Makes the selected element's suggestions when the element or the model changed.
    pub fn sync(&mut self, s: &Session, derived: &Derived, rules: &RuleSet) {
        self.sync_with(s, derived, rules, None);
    }

    /// [`ThreatsState::sync`] with the graph of `s` when one is made already (a graph takes
    /// most of a millisecond at a thousand components).
    fn sync_with(
        &mut self,
        s: &Session,
        derived: &Derived,
        rules: &RuleSet,
        graph: Option<&ModelGraph<'_>>,
    ) {
        let Some(row) = self.row(derived) else {
            self.suggested.clear();
            self.suggested_for = None;
            return;
        };
        let key = (row.id.clone(), derived.revision);
        if self.suggested_for.as_ref() == Some(&key) {
            return;
        }
        self.suggested = match graph {
            _ if rules.is_empty() => Vec::new(),
            Some(graph) => suggestions_for(graph, rules, &row.id),
            None => suggestions_for(&ModelGraph::new(s), rules, &row.id),
        };
        self.suggested_for = Some(key);
        self.suggestion = self.suggestion.min(self.suggested.len().saturating_sub(1));
        if self.pane == Pane::Suggestions && self.suggested.is_empty() {
            self.pane = Pane::Elements;
        }
    }

    pub fn update(&mut self, action: Action, cx: &Cx) -> Vec<Command> {
        let rules = cx.libraries.rules();
        self.sync(cx.session, cx.derived, rules);
        let commands = self.handle(action, cx);
        self.sync(cx.session, cx.derived, rules);
        commands
    }

    fn handle(&mut self, action: Action, cx: &Cx) -> Vec<Command> {
        let rows = cx.derived.elements.len();
        let Some(row) = self.row(cx.derived).cloned() else {
            return vec![Command::info(
                "question 1 first: there are no components or flows yet",
            )];
        };
        let count = threats_of(cx.session, &row.id, self.by_risk).len();
        let suggested = self.suggested.len();
        match action {
            Action::Up if self.pane == Pane::Threats => self.threat = self.threat.saturating_sub(1),
            Action::Down if self.pane == Pane::Threats => {
                self.threat = (self.threat + 1).min(count.saturating_sub(1));
            }
            Action::Up if self.pane == Pane::Suggestions => {
                self.suggestion = self.suggestion.saturating_sub(1);
            }
            Action::Down if self.pane == Pane::Suggestions => {
                self.suggestion = (self.suggestion + 1).min(suggested.saturating_sub(1));
            }
            Action::Top | Action::Bottom | Action::PageUp | Action::PageDown => {
                let (sel, len) = match self.pane {
                    Pane::Threats => (&mut self.threat, count),
                    Pane::Suggestions => (&mut self.suggestion, suggested),
                    Pane::Elements => (&mut self.element, rows),
                };
                *sel = jump(action, *sel, len);
                if self.pane == Pane::Elements {
                    self.threat = 0;
                    self.suggestion = 0;
                }
            }
            Action::Up => {
                self.element = self.element.min(rows - 1).saturating_sub(1);
                self.threat = 0;
                self.suggestion = 0;
            }
            Action::Down => {
                self.element = (self.element + 1).min(rows - 1);
                self.threat = 0;
                self.suggestion = 0;
            }
            Action::Left => {
                self.pane = match self.pane {
                    Pane::Suggestions if count > 0 => Pane::Threats,
                    _ => Pane::Elements,
                }
            }
            Action::Right => {
                self.pane = match self.pane {
                    Pane::Elements if count > 0 => Pane::Threats,
                    Pane::Elements | Pane::Threats if suggested > 0 => Pane::Suggestions,
                    other => other,
                }
            }
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
            Action::AddSuggestion | Action::DismissSuggestion => {
                return self.on_suggestion(action, &row, cx);
            }
            Action::NotApplicable => {
                let (letters, reason) = match cx.session.element(&row.id) {
                    Some(crate::model::Element::Component(c)) => {
                        (c.not_applicable.clone(), c.not_applicable_reason.clone())
                    }
                    Some(crate::model::Element::Flow(f)) => {
                        (f.not_applicable.clone(), f.not_applicable_reason.clone())
                    }
                    None => return Vec::new(),
                };
                return vec![Command::Open(Modal::Form {
                    form: not_applicable_form(&row.id, &letters, &reason),
                    purpose: FormPurpose::NotApplicable {
                        element: row.id.clone(),
                    },
                })];
            }
            Action::Walk => return self.start_walk(cx),
            Action::SkipSuggestion => return self.skip_in_walk(cx),
            Action::StopWalk => return self.stop_walk(),
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
                            "Delete threat {}? {} and any acceptance refer to it; mitigations left with no threat are deleted too.",
                            threat.id,
                            crate::tui::widgets::text::plural(
                                mitigations,
                                "mitigation",
                                "mitigations"
                            )
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
            None => blank_threat(s, target),
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
        // The element list as wide as its longest name or flow label (after the marks), leaving
        // the details room for the element's threats.
        // Room for "*n " while sharing.
        let ideas = if self.pending_ideas.is_some() { 4 } else { 0 };
        let want = if cx.derived.elements.is_empty() {
            0
        } else {
            2 + 18 + 4 + 2 + ideas + cx.derived.elements_title_width
        };
        let (left, right, wide) = list_fitted_and_details(
            area,
            u16::try_from(want).unwrap_or(u16::MAX),
            52,
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
            let style = if is_sel && self.pane == Pane::Elements {
                t.selected()
            } else if is_sel {
                t.title()
            } else {
                t.normal()
            };
            // The STRIDE marks and the count of open suggestions first, in fixed-width
            // columns, so long names cannot push them off.
            let suggested = match row.open_suggestions {
                0 => String::new(),
                n if n < 100 => format!("+{n}"),
                _ => "+99".to_string(),
            };
            // Attendees' ideas waiting, before the name: "*2 ".
            let ideas = match self
                .pending_ideas
                .as_ref()
                .and_then(|counts| counts.get(&row.id))
            {
                Some(&n) if n > 0 => format!("*{} ", n.min(99)),
                _ => String::new(),
            };
            lines.push(Line::from(vec![
                Span::styled(if is_sel { "▸ " } else { "  " }, style),
                Span::styled(
                    format!(
                        "{:<17} ",
                        stride_marks(&row.applicable, &row.covered, &row.not_applicable)
                    ),
                    t.dim(),
                ),
                Span::styled(format!("{suggested:<4}"), t.normal()),
                Span::styled(
                    fit(
                        &format!(
                            "{ideas}{}{}",
                            if row.crossing { "! " } else { "" },
                            escape_control(&row.title)
                        ),
                        usize::from(area.width.saturating_sub(2 + 18 + 4)),
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
                        if self.pending_ideas.is_some() {
                            " Elements (! crossing ✓ covered · open - n/a +n suggested *n ideas) "
                        } else {
                            " Elements (! crossing  ✓ covered  · open  - n/a  +n suggested) "
                        },
                        t.dim(),
                    )),
            ),
            area,
        );
    }

    /// The selected element: its threats above, the rules' suggestions for it below. When
    /// both do not fit, the blank lines and references go first, then the suggestions' reasons
    /// (but the selected one's); the threats stay in view.
    fn draw_element_threats(&self, cx: &Cx, t: &Theme, frame: &mut Frame, area: Rect, wide: bool) {
        let block = details_block(wide, t);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let Some(row) = self.row(cx.derived) else {
            return;
        };
        let width = usize::from(inner.width);
        let height = usize::from(inner.height);
        let threats_full = self.threat_lines(cx, row, t, width, true);
        let threats_short = self.threat_lines(cx, row, t, width, false);
        let count = |lines: &[Line<'static>]| {
            Paragraph::new(lines.to_vec())
                .wrap(Wrap { trim: false })
                .line_count(inner.width)
        };
        let with_suggestions = !cx.libraries.rules().is_empty() || self.walk.is_some();
        let suggestions = |compact: bool| {
            with_suggestions
                .then(|| self.suggestion_lines(compact, cx.derived.open_suggestions, width, t))
        };
        let (full, compact) = (suggestions(false), suggestions(true));
        let lines = |s: &Option<suggestions::SuggestionLines>| {
            s.as_ref().map_or(0, |s| 1 + s.len()) // a blank line before them
        };
        let options = [
            (&threats_full, &full),
            (&threats_full, &compact),
            (&threats_short, &full),
            (&threats_short, &compact),
        ];
        let fits = options
            .iter()
            .find(|(th, sg)| count(th) + lines(sg) <= height);
        let (threat_lines, sugg) = match fits {
            Some((th, sg)) => (*th, *sg),
            None => (&threats_short, &compact),
        };
        // Everything fits: the suggestions follow the threats, after a blank line. Otherwise
        // they get what the threats leave, and at least a third of the pane.
        let threat_height = match (fits, sugg) {
            (Some(_), _) | (None, None) => count(threat_lines),
            (None, Some(sg)) => {
                let room = sg
                    .len()
                    .min(height.saturating_sub(count(threat_lines)).max(height / 3));
                height.saturating_sub(room)
            }
        };
        let blank = u16::from(fits.is_some() && sugg.is_some());
        let [top, _, heading, list] = Layout::vertical([
            Constraint::Length(threat_height as u16),
            Constraint::Length(blank),
            Constraint::Length(1),
            Constraint::Min(0),
        ])
        .areas(inner);
        frame.render_widget(
            Paragraph::new(threat_lines.clone()).wrap(Wrap { trim: false }),
            top,
        );
        if let Some(sg) = sugg {
            frame.render_widget(Paragraph::new(sg.heading.clone()), heading);
            // The selected suggestion and its reason stay in view.
            let scroll = sg.scroll(usize::from(list.height));
            frame.render_widget(
                Paragraph::new(sg.list.clone()).scroll((scroll as u16, 0)),
                list,
            );
        }
    }

    /// The element's heading, its STRIDE letters, the reason some do not apply, and its
    /// threats; `extras` adds blank lines and the selected threat's references.
    fn threat_lines(
        &self,
        cx: &Cx,
        row: &ElementRow,
        t: &Theme,
        width: usize,
        extras: bool,
    ) -> Vec<Line<'static>> {
        let mut lines = Vec::new();
        // One line, whatever the name's length, so the element's threats stay in view.
        lines.push(Line::from(Span::styled(
            fit(
                &format!(
                    "{} {} ({})",
                    row.kind.as_str(),
                    escape_control(&row.title),
                    escape_control(&row.id)
                ),
                width,
            ),
            t.title(),
        )));
        let open = row
            .applicable
            .difference(&row.covered)
            .difference(&row.not_applicable);
        let na = row.not_applicable.intersection(&row.applicable);
        lines.push(Line::raw(format!(
            "applies: {}   open: {}",
            row.applicable,
            if open.is_empty() {
                "none".to_string()
            } else {
                open.to_string()
            },
        )));
        if !na.is_empty() {
            let reason = match cx.session.element(&row.id) {
                Some(crate::model::Element::Component(c)) => c.not_applicable_reason.as_str(),
                Some(crate::model::Element::Flow(f)) => f.not_applicable_reason.as_str(),
                None => "",
            };
            let reason = if reason.trim().is_empty() {
                "(no reason given: n sets one)"
            } else {
                reason
            };
            lines.push(Line::from(Span::styled(
                fit(
                    &format!("  {na} not applicable: {}", escape_control(reason)),
                    width,
                ),
                t.dim(),
            )));
        }
        if extras {
            lines.push(Line::raw(""));
        }
        let list = threats_of(cx.session, &row.id, self.by_risk);
        let sel = self.threat.min(list.len().saturating_sub(1));
        for (i, (_, threat)) in list.iter().enumerate() {
            lines.push(threat_line(
                threat,
                self.pane == Pane::Threats && i == sel,
                t,
            ));
        }
        if list.is_empty() {
            lines.push(Line::from(Span::styled(
                "  No threats here yet: a opens the library picker, c adds your own.",
                t.dim(),
            )));
        }
        if extras && let Some(threat) = list.get(sel).map(|(_, t)| *t) {
            lines.push(Line::raw(""));
            // Whose idea it was, when attendees sent it in a shared session.
            if !threat.raised_by.is_empty() {
                lines.push(Line::from(Span::styled(
                    fit(
                        &format!(
                            "{} raised by {}",
                            escape_control(threat.id.as_str()),
                            escape_control(&threat.raised_by.join(", "))
                        ),
                        width,
                    ),
                    t.dim(),
                )));
            }
            // The team's notes on the selected threat, as written (the pane wraps them).
            if !threat.notes.trim().is_empty() {
                lines.push(Line::from(Span::styled(
                    format!("{} notes:", escape_control(threat.id.as_str())),
                    t.dim(),
                )));
                for note in threat.notes.trim_end().lines() {
                    lines.push(Line::raw(format!("  {}", escape_control(note))));
                }
            }
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
        lines
    }
}

/// Where first/last (g G Home End) and ten up/down (PgUp PgDn) move a selection `sel` in a
/// list of `len`.
pub fn jump(action: Action, sel: usize, len: usize) -> usize {
    let last = len.saturating_sub(1);
    match action {
        Action::Top => 0,
        Action::Bottom => last,
        Action::PageUp => sel.min(last).saturating_sub(10),
        Action::PageDown => (sel + 10).min(last),
        _ => sel,
    }
}

/// A new threat on `target` with nothing filled in but its id (the attendee app reads its idea
/// form onto one).
pub fn blank_threat(s: &Session, target: &str) -> Threat {
    Threat {
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
        transferred_to: String::new(),
        raised_by: Vec::new(),
        notes: String::new(),
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
