//! The rules' suggestions in question 2: the selected element's, as the details pane lists them
//! (open ones first, then those dismissed, then those added), the forms that add one as a
//! threat, dismiss one with a reason, or mark STRIDE letters not applicable, and the edits those
//! forms make. Components and flows both carry dismissals and not-applicable letters, so every
//! edit here replaces the one element it changes (undo puts it back).

use super::{ElementRow, Pane, ThreatsState, blank_threat, threat_from_form};
use crate::analysis::ModelGraph;
use crate::model::edit::{Edit, Item};
use crate::model::text::escape_control;
use crate::model::{
    Dismissal, LibraryRef, Rating, Response, Session, StrideSet, Threat, ThreatStatus,
};
use crate::rules::{RuleSet, SuggestionState};
use crate::tui::keymap::Action;
use crate::tui::modal::{FormPurpose, Modal};
use crate::tui::screens::{Command, Cx};
use crate::tui::theme::Theme;
use crate::tui::widgets::form::{Field, Form};
use crate::tui::widgets::text::{fit, sanitize, wrap};
use ratatui::text::{Line, Span};

/// One suggestion of a rule for the selected element, owned so the screen keeps it between
/// frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuggestionView {
    pub rule: String,
    pub stride: StrideSet,
    pub refs: Vec<String>,
    pub likelihood: Option<Rating>,
    pub impact: Option<Rating>,
    /// The threat statement, naming the elements.
    pub statement: String,
    /// Why the rule fires here, in one line.
    pub reason: String,
    /// What the rule read, recorded with a dismissal.
    pub facts: String,
    pub state: SuggestionState,
}

/// Element `id`'s suggestions: open ones (returned ones among them) first, then those
/// dismissed, then those added; in rule order within each.
pub fn suggestions_for(graph: &ModelGraph<'_>, rules: &RuleSet, id: &str) -> Vec<SuggestionView> {
    let mut list: Vec<SuggestionView> = rules
        .suggest(graph, Some(id))
        .into_iter()
        .map(|s| SuggestionView {
            rule: s.rule.id.clone(),
            stride: s.rule.stride.clone(),
            refs: s.rule.refs.clone(),
            likelihood: s.rule.likelihood,
            impact: s.rule.impact,
            statement: s.statement,
            reason: s.reason,
            facts: s.facts,
            state: s.state,
        })
        .collect();
    list.sort_by_key(|s| match s.state {
        SuggestionState::Open | SuggestionState::Returned { .. } => 0,
        SuggestionState::Dismissed { .. } => 1,
        SuggestionState::Added { .. } => 2,
    });
    list
}

/// The threat a suggestion becomes on `target`: its statement, the rule's letters, references,
/// likelihood and impact, and the rule's id.
pub fn suggested_threat(s: &Session, target: &str, v: &SuggestionView) -> Threat {
    Threat {
        id: s.next_threat_id(),
        target: target.into(),
        title: v.statement.clone(),
        stride: v.stride.clone(),
        refs: v.refs.iter().map(LibraryRef::raw).collect(),
        rule: Some(v.rule.clone()),
        likelihood: v.likelihood,
        impact: v.impact,
        response: Response::Undecided,
        status: ThreatStatus::Open,
        transferred_to: String::new(),
        raised_by: Vec::new(),
        notes: String::new(),
    }
}

/// The threat form prefilled from a suggestion, for the team to edit and confirm.
pub fn suggested_threat_form(s: &Session, target: &str, v: &SuggestionView) -> Form {
    let threat = suggested_threat(s, target, v);
    let mut form = super::threat_form(Some(&threat));
    let rating = |r: Option<Rating>| r.map_or("?".to_string(), |r| r.0.to_string());
    form.title = format!(
        "New threat {} from rule {} (L{}×I{})",
        escape_control(threat.id.as_str()),
        escape_control(&v.rule),
        rating(threat.likelihood),
        rating(threat.impact)
    );
    form
}

/// The one-field form for dismissing rule `rule`'s suggestion: why it does not apply.
pub fn dismissal_form(rule: &str, reason: &str) -> Form {
    Form::new(
        format!("Not applicable here: rule {}", escape_control(rule)),
        vec![Field::text(
            "reason",
            "Reason",
            reason,
            "why it does not apply (kept in the file)",
        )],
    )
}

/// The form for the STRIDE letters that do not apply to an element, and why.
pub fn not_applicable_form(element: &str, letters: &StrideSet, reason: &str) -> Form {
    Form::new(
        format!("Not applicable to {}", escape_control(element)),
        vec![
            Field::text(
                "letters",
                "Letters",
                &letters.to_string(),
                "e.g. R or DE; empty: all apply",
            ),
            Field::text("reason", "Reason", reason, "why they do not apply"),
        ],
    )
}

/// Reads the not-applicable form: the letters (only those that apply to the element) and a
/// reason, required when there are letters. `None` marks the bad fields.
pub fn not_applicable_from_form(
    form: &mut Form,
    applicable: &StrideSet,
) -> Option<(StrideSet, String)> {
    form.clear_errors();
    let letters = StrideSet::parse(&form.text("letters"));
    let reason = form.text("reason");
    if !letters.unknown().is_empty() {
        form.set_error(
            "letters",
            format!("{:?}: use the letters S T R I D E", letters.unknown()),
        );
    } else if !letters.difference(applicable).is_empty() {
        form.set_error(
            "letters",
            format!(
                "{} does not apply to this element anyway (it gets {applicable})",
                letters.difference(applicable)
            ),
        );
    }
    if !letters.is_empty() && reason.is_empty() {
        form.set_error("reason", "say why they do not apply");
    }
    if form.has_errors() {
        return None;
    }
    // No letters, no reason: the element is back to every letter applying.
    let reason = if letters.is_empty() {
        String::new()
    } else {
        reason
    };
    Some((letters, reason))
}

/// What question 2 may change of a component or a flow.
pub struct Marks<'a> {
    pub dismissed: &'a mut Vec<Dismissal>,
    pub not_applicable: &'a mut StrideSet,
    pub not_applicable_reason: &'a mut String,
}

/// The edit that replaces element `id` (a component or a flow) after `change`; `None` when no
/// element has that id.
pub fn edit_marks(s: &Session, id: &str, change: impl FnOnce(Marks<'_>)) -> Option<Edit> {
    if let Some(index) = s.components.iter().position(|c| c.id.as_str() == id) {
        let mut c = s.components[index].clone();
        change(Marks {
            dismissed: c.dismissed.make_mut(),
            not_applicable: &mut c.not_applicable,
            not_applicable_reason: c.not_applicable_reason.make_mut(),
        });
        return Some(Edit::Replace {
            index,
            item: Item::Component(c),
        });
    }
    let index = s.flows.iter().position(|f| f.id.as_str() == id)?;
    let mut f = s.flows[index].clone();
    change(Marks {
        dismissed: f.dismissed.make_mut(),
        not_applicable: &mut f.not_applicable,
        not_applicable_reason: f.not_applicable_reason.make_mut(),
    });
    Some(Edit::Replace {
        index,
        item: Item::Flow(f),
    })
}

/// Dismisses rule `rule` on element `id` with `reason` and the facts the rule reads now; a
/// dismissal of that rule already there (one that came back) is replaced.
pub fn dismiss(s: &Session, id: &str, rule: &str, reason: &str, facts: &str) -> Option<Edit> {
    edit_marks(s, id, |m| {
        m.dismissed.retain(|d| !d.rule.eq_ignore_ascii_case(rule));
        m.dismissed.push(Dismissal {
            rule: rule.to_string(),
            reason: reason.to_string(),
            facts: facts.to_string(),
        });
    })
}

/// Takes back the dismissal of rule `rule` on element `id`.
pub fn undismiss(s: &Session, id: &str, rule: &str) -> Option<Edit> {
    edit_marks(s, id, |m| {
        m.dismissed.retain(|d| !d.rule.eq_ignore_ascii_case(rule));
    })
}

/// What the suggestions part of the details pane shows above the list: the walk's counter, or
/// how many there are and the keys.
pub struct Heading {
    pub text: String,
    pub keys: String,
}

/// The suggestions part of the details pane, as lines: the heading (kept in view) and the
/// list, with where in it the selected suggestion is.
pub struct SuggestionLines {
    pub heading: Line<'static>,
    pub list: Vec<Line<'static>>,
    pub selected: std::ops::Range<usize>,
}

impl SuggestionLines {
    /// Lines in all, the heading's included.
    pub fn len(&self) -> usize {
        1 + self.list.len()
    }

    /// How far to scroll the list in `visible` lines so the selected suggestion is in view.
    pub fn scroll(&self, visible: usize) -> usize {
        self.selected
            .end
            .saturating_sub(visible)
            .min(self.selected.start)
    }
}

/// The suggestions as lines for a pane `width` cells wide. `compact` keeps a reason line only
/// under the selected suggestion (and shorter) and sums up those added and dismissed in one
/// line; otherwise every open suggestion has its reason under it and every closed one its own
/// line.
pub fn suggestion_lines(
    list: &[SuggestionView],
    selected: Option<usize>,
    focused: bool,
    heading: &Heading,
    compact: bool,
    width: usize,
    t: &Theme,
) -> SuggestionLines {
    let heading = Line::from(vec![
        Span::styled(fit(&heading.text, width), t.title()),
        Span::styled(
            fit(
                &format!("   {}", heading.keys),
                width.saturating_sub(heading.text.chars().count()),
            ),
            t.dim(),
        ),
    ]);
    let mut lines = Vec::new();
    let mut range = 0..0;
    let closed = list.iter().filter(|s| !s.state.is_open()).count();
    let (statement_max, reason_max) = if compact { (2, 1) } else { (3, 2) };
    for (i, s) in list.iter().enumerate() {
        let is_sel = selected == Some(i);
        if compact && !is_sel && !s.state.is_open() {
            continue;
        }
        let start = lines.len();
        // The cursor shows where s and x act even from the other panes, hollow there.
        let cursor = match (is_sel, focused) {
            (true, true) => "▸ ",
            (true, false) => "▹ ",
            (false, _) => "  ",
        };
        let style = match (is_sel, focused, s.state.is_open()) {
            (true, true, _) => t.selected(),
            (true, false, _) => t.title(),
            (false, _, true) => t.normal(),
            (false, _, false) => t.dim(),
        };
        let (mark, after) = match &s.state {
            SuggestionState::Open => (String::new(), format!("why: {}", s.reason)),
            SuggestionState::Returned { was, reason } => (
                "↺ ".to_string(),
                format!("↺ back: {was} (dismissed before: {reason})"),
            ),
            SuggestionState::Dismissed { reason } => {
                ("✗ dismissed: ".to_string(), format!("reason: {reason}"))
            }
            SuggestionState::Added { threat } => (
                format!("✓ added as {threat}: "),
                format!("why: {}", s.reason),
            ),
        };
        let text = sanitize(&format!("{mark}[{}] {}", s.stride, s.statement));
        // The selected statement is read in full (up to three lines); the others in one.
        let statement_lines = if is_sel {
            wrap(
                &text,
                width.saturating_sub(2),
                width.saturating_sub(4),
                statement_max,
            )
        } else {
            vec![fit(&text, width.saturating_sub(2))]
        };
        for (j, part) in statement_lines.into_iter().enumerate() {
            let lead = if j == 0 { cursor } else { "    " };
            lines.push(Line::from(Span::styled(format!("{lead}{part}"), style)));
        }
        // The selected one's reason in full (up to two lines), the others' in one.
        let after = sanitize(&after);
        let reason_lines = if is_sel {
            wrap(
                &after,
                width.saturating_sub(4),
                width.saturating_sub(6),
                reason_max,
            )
        } else if !compact && s.state.is_open() {
            vec![fit(&after, width.saturating_sub(4))]
        } else {
            Vec::new()
        };
        for (j, part) in reason_lines.into_iter().enumerate() {
            let lead = if j == 0 { "    " } else { "      " };
            lines.push(Line::from(Span::styled(format!("{lead}{part}"), t.dim())));
        }
        if is_sel {
            range = start..lines.len();
        }
    }
    if compact && closed > 0 {
        let added = list
            .iter()
            .filter(|s| matches!(s.state, SuggestionState::Added { .. }))
            .count();
        let mut parts = Vec::new();
        if added > 0 {
            parts.push(format!("{added} added"));
        }
        if closed > added {
            parts.push(format!("{} dismissed", closed - added));
        }
        lines.push(Line::from(Span::styled(
            fit(
                &format!("  and {} (↓ to see them)", parts.join(", ")),
                width,
            ),
            t.dim(),
        )));
    }
    SuggestionLines {
        heading,
        list: lines,
        selected: range,
    }
}

/// The suggestion keys and forms on question 2's state.
impl ThreatsState {
    /// Add, dismiss or restore the suggestion under the cursor.
    pub(super) fn on_suggestion(
        &mut self,
        action: Action,
        row: &ElementRow,
        cx: &Cx,
    ) -> Vec<Command> {
        let Some(v) = self.selected_suggestion().cloned() else {
            let why = if cx.libraries.rules().is_empty() {
                "no threat rules are loaded"
            } else {
                "no rule suggests anything for this element"
            };
            return vec![Command::info(why)];
        };
        match (action, &v.state) {
            (Action::AddSuggestion, SuggestionState::Open | SuggestionState::Returned { .. }) => {
                vec![Command::Open(Modal::Form {
                    form: suggested_threat_form(cx.session, &row.id, &v),
                    purpose: FormPurpose::SuggestedThreat {
                        target: row.id.clone(),
                        rule: v.rule.clone(),
                    },
                })]
            }
            (_, SuggestionState::Added { threat }) => vec![Command::info(format!(
                "added already, as {threat} (d on that threat deletes it)"
            ))],
            (Action::AddSuggestion, SuggestionState::Dismissed { .. }) => {
                vec![Command::info("dismissed: x restores it, then s adds it")]
            }
            (_, SuggestionState::Dismissed { .. }) => {
                match undismiss(cx.session, &row.id, &v.rule) {
                    Some(edit) => vec![Command::apply(
                        edit,
                        format!("{}: rule {} suggests again", row.id, v.rule),
                    )],
                    None => Vec::new(),
                }
            }
            (_, state) => {
                let reason = match state {
                    SuggestionState::Returned { reason, .. } => reason.as_str(),
                    _ => "",
                };
                vec![Command::Open(Modal::Form {
                    form: dismissal_form(&v.rule, reason),
                    purpose: FormPurpose::Dismissal {
                        element: row.id.clone(),
                        rule: v.rule.clone(),
                    },
                })]
            }
        }
    }

    /// The threat form of a suggestion, submitted: the threat, with the rule's likelihood,
    /// impact and id, added to `target`.
    pub fn submit_suggested(
        &mut self,
        mut form: Form,
        target: &str,
        rule: &str,
        cx: &Cx,
    ) -> Vec<Command> {
        let s = cx.session;
        let base = match cx.libraries.rules().rule(rule) {
            Some(r) => Threat {
                likelihood: r.likelihood,
                impact: r.impact,
                ..blank_threat(s, target)
            },
            None => blank_threat(s, target),
        };
        let base = Threat {
            rule: Some(rule.to_string()),
            ..base
        };
        let id = base.id.to_string();
        let Some(threat) = threat_from_form(&mut form, base) else {
            return vec![Command::Open(Modal::Form {
                form,
                purpose: FormPurpose::SuggestedThreat {
                    target: target.to_string(),
                    rule: rule.to_string(),
                },
            })];
        };
        self.focus = Some((id.clone(), false));
        vec![Command::apply(
            Edit::put(None, Item::Threat(threat)),
            format!("{id} added from rule {rule}"),
        )]
    }

    /// The dismissal form, submitted: the reason and the facts the rule reads now, kept on the
    /// element.
    pub fn submit_dismissal(
        &mut self,
        mut form: Form,
        element: &str,
        rule: &str,
        cx: &Cx,
    ) -> Vec<Command> {
        form.clear_errors();
        let reason = form.text("reason");
        if reason.is_empty() {
            form.set_error("reason", "say why it does not apply here");
            return vec![Command::Open(Modal::Form {
                form,
                purpose: FormPurpose::Dismissal {
                    element: element.to_string(),
                    rule: rule.to_string(),
                },
            })];
        }
        let graph = ModelGraph::new(cx.session);
        let now = suggestions_for(&graph, cx.libraries.rules(), element);
        let Some(v) = now.iter().find(|v| v.rule == rule) else {
            // Said with the reason typed, so it is not lost.
            return vec![Command::Error(format!(
                "rule {rule} no longer suggests anything for {element}: nothing to dismiss (your reason: {reason})"
            ))];
        };
        match dismiss(cx.session, element, rule, &reason, &v.facts) {
            Some(edit) => vec![Command::apply(
                edit,
                format!("{element}: rule {rule} dismissed ({reason})"),
            )],
            None => Vec::new(),
        }
    }

    /// The not-applicable form, submitted: the letters and the reason on the element.
    pub fn submit_not_applicable(
        &mut self,
        mut form: Form,
        element: &str,
        cx: &Cx,
    ) -> Vec<Command> {
        let Some(row) = cx.derived.elements.iter().find(|r| r.id == element) else {
            return Vec::new();
        };
        let Some((letters, reason)) = not_applicable_from_form(&mut form, &row.applicable) else {
            return vec![Command::Open(Modal::Form {
                form,
                purpose: FormPurpose::NotApplicable {
                    element: element.to_string(),
                },
            })];
        };
        let message = if letters.is_empty() {
            format!("{element}: every STRIDE letter applies")
        } else {
            format!("{element}: {letters} not applicable ({reason})")
        };
        match edit_marks(cx.session, element, |m| {
            *m.not_applicable = letters;
            *m.not_applicable_reason = reason;
        }) {
            Some(edit) => vec![Command::apply(edit, message)],
            None => Vec::new(),
        }
    }

    /// The suggestions part: its heading (the walk's counter while walking) and the list.
    pub(super) fn suggestion_lines(
        &self,
        compact: bool,
        model_open: Option<usize>,
        width: usize,
        t: &Theme,
    ) -> SuggestionLines {
        let list = &self.suggested;
        let open = list.iter().filter(|s| s.state.is_open()).count();
        let heading = match &self.walk {
            Some(walk) if walk.current.is_some() => Heading {
                text: walk.summary(),
                keys: "s add  x dismiss  Space skip  Esc stop".into(),
            },
            Some(walk) => Heading {
                text: walk.summary(),
                keys: "Esc closes".into(),
            },
            None if list.is_empty() => Heading {
                text: "No rule suggests a threat here".into(),
                keys: match model_open {
                    Some(0) => String::new(),
                    Some(open) => format!("w walks the {open} open elsewhere"),
                    // Counted when question 2 comes on view.
                    None => "w walks the … open elsewhere".into(),
                },
            },
            None => Heading {
                text: match (open, list.len() - open) {
                    (0, done) => format!("Rules suggest none open ({done} dealt with)"),
                    (open, 0) => format!("Rules suggest {open} open"),
                    (open, done) => format!("Rules suggest {open} open ({done} dealt with)"),
                },
                keys: "s add · x dismiss · w walk all".into(),
            },
        };
        let selected = (!list.is_empty()).then(|| self.suggestion.min(list.len() - 1));
        suggestion_lines(
            list,
            selected,
            self.pane == Pane::Suggestions,
            &heading,
            compact,
            width,
            t,
        )
    }
}
