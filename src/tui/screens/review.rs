//! Question 4, "Did we do a good job?": first the verdict `check` would give with the team's
//! threshold (the same function computes it), the items that block it, each with how to clear
//! it and a key to jump there, and what is tracked; then coverage, gaps, open work, findings and
//! attack paths from the same analysis `check` uses, and the team's short retrospective.

use super::{Command, Cx, Goto};
use crate::analysis::{Analysis, Finding, Rule, Verdict, paths::LEGEND};
use crate::model::edit::Edit;
use crate::model::text::escape_control;
use crate::model::{Response, RiskLevel, Session, StrideSet, Table, ThreatStatus};
use crate::tui::keymap::Action;
use crate::tui::modal::{FormPurpose, Modal};
use crate::tui::session::Derived;
use crate::tui::theme::Theme;
use crate::tui::widgets::form::{Field, Form};
use chrono::NaiveDate;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

/// Question 4: one page, scrolled, with the blocking items selectable.
#[derive(Debug, Default)]
pub struct ReviewState {
    /// The first row of the page on screen (rows as wrapped at the terminal's width).
    pub scroll: u16,
    /// The selected blocking item.
    pub selected: usize,
    /// The page as last prepared in update (see `prepare`): building and wrapping it takes
    /// tens of milliseconds on a large model, too slow for every frame.
    prepared: Option<Prepared>,
}

/// The prepared page when it is what `cx` and the selection show at `width`.
fn prepared_for<'a>(
    prepared: &'a Option<Prepared>,
    selected: usize,
    cx: &Cx,
    width: u16,
) -> Option<&'a Prepared> {
    prepared.as_ref().filter(|p| {
        p.key.stamp == cx.derived.stamp
            && p.key.today == cx.today
            && p.key.selected == selected
            && p.key.width == width
    })
}

/// What the prepared page was made from: it is shown only while all of it is the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PageKey {
    stamp: u64,
    today: NaiveDate,
    selected: usize,
    width: u16,
    theme: Theme,
}

#[derive(Debug)]
struct Prepared {
    key: PageKey,
    page: Page,
    /// Rows before each line when wrapped at `key.width`, and last the page's total: lines
    /// wrap one by one, so a row range maps to a range of lines.
    rows_before: Vec<u32>,
}

impl Prepared {
    fn rows(&self, lines: usize) -> u16 {
        let rows = self.rows_before.get(lines).or(self.rows_before.last());
        u16::try_from(rows.copied().unwrap_or(0)).unwrap_or(u16::MAX)
    }
}

/// One item that fails the gate, as question 4 lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateItem {
    pub text: String,
    /// How to clear it, in one line.
    pub how: String,
    /// Where it is fixed; `None` when no question holds the fix.
    pub goto: Option<Goto>,
}

/// Rows of the screen above and below the page: header (2), status, footer, the page's rule.
const CHROME_ROWS: u16 = 5;

impl ReviewState {
    /// Makes the page for what is on view now (the session, the selection, the terminal's
    /// width), unless the one made last is still it. Called in update, so drawing only reads.
    pub fn prepare(&mut self, cx: &Cx, theme: &Theme) {
        let key = PageKey {
            stamp: cx.derived.stamp,
            today: cx.today,
            selected: self.selected,
            width: cx.viewport.0,
            theme: *theme,
        };
        if self.prepared.as_ref().is_some_and(|p| p.key == key) {
            return;
        }
        let page = page(cx.session, cx.derived, cx.today, self.selected, theme);
        // Another selection moves a marker that does not change any line's width: the rows
        // stay as they were.
        let rows_before = match self.prepared.take() {
            Some(p)
                if (p.key
                    == PageKey {
                        selected: p.key.selected,
                        ..key
                    })
                    && p.page.lines.len() == page.lines.len() =>
            {
                p.rows_before
            }
            _ => rows_before(&page.lines, key.width),
        };
        self.prepared = Some(Prepared {
            key,
            page,
            rows_before,
        });
    }

    pub fn update(&mut self, action: Action, cx: &Cx) -> Vec<Command> {
        let (width, height) = cx.viewport;
        let page_height = height.saturating_sub(CHROME_ROWS).max(1);
        // The page as prepared, or (the terminal resized since) made again: only its widths
        // count here, so plain will do.
        let made;
        let prepared = match prepared_for(&self.prepared, self.selected, cx, width) {
            Some(p) => p,
            None => {
                let page = page(
                    cx.session,
                    cx.derived,
                    cx.today,
                    self.selected,
                    &Theme::plain(),
                );
                let rows_before = rows_before(&page.lines, width);
                made = Prepared {
                    key: PageKey {
                        stamp: cx.derived.stamp,
                        today: cx.today,
                        selected: self.selected,
                        width,
                        theme: Theme::plain(),
                    },
                    page,
                    rows_before,
                };
                &made
            }
        };
        let item_lines = &prepared.page.item_lines;
        let max_scroll = prepared
            .rows(prepared.page.lines.len())
            .saturating_sub(page_height);
        let top_and_bottom = |selected: usize| {
            item_lines
                .get(selected)
                .map(|&line| (prepared.rows(line), prepared.rows(line + 2)))
        };
        let last = item_lines.len().saturating_sub(1);
        let mut follow = !item_lines.is_empty();
        match action {
            Action::Edit => {
                return vec![Command::Open(Modal::Form {
                    form: review_form(cx.session),
                    purpose: FormPurpose::Review,
                })];
            }
            Action::Open => {
                return match gate_items(cx.session, cx.derived).get(self.selected.min(last)) {
                    Some(GateItem {
                        goto: Some(goto), ..
                    }) => vec![Command::Goto(goto.clone())],
                    Some(item) => vec![Command::info(format!("to clear it: {}", item.how))],
                    None => vec![Command::info("nothing blocks the gate")],
                };
            }
            Action::Up if follow => self.selected = self.selected.min(last).saturating_sub(1),
            Action::Down if follow => self.selected = (self.selected + 1).min(last),
            Action::Top if follow => self.selected = 0,
            Action::Bottom if follow => self.selected = last,
            Action::Up => self.scroll = self.scroll.saturating_sub(1),
            Action::Down => self.scroll = self.scroll.saturating_add(1),
            Action::Top => self.scroll = 0,
            Action::Bottom => self.scroll = max_scroll,
            Action::PageUp | Action::PageDown => {
                follow = false;
                self.scroll = if action == Action::PageUp {
                    self.scroll.saturating_sub(page_height)
                } else {
                    self.scroll.saturating_add(page_height)
                };
            }
            _ => return Vec::new(),
        }
        if follow {
            // Keep the selected item (and, for the first, the verdict above it) in view. The
            // marker does not change a line's width, so the page above wraps the same.
            let (top, bottom) = top_and_bottom(self.selected).unwrap_or_default();
            if self.selected == 0 {
                self.scroll = 0;
            } else if top < self.scroll {
                self.scroll = top;
            } else if bottom > self.scroll + page_height {
                self.scroll = bottom - page_height;
            }
        }
        // Never past the end: the last row of the page stays at the bottom of the screen.
        self.scroll = self.scroll.min(max_scroll);
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
        let inner_height = area.height.saturating_sub(1);
        let block = Block::default()
            .borders(Borders::TOP)
            .border_style(theme.border());
        let Some(prepared) = prepared_for(&self.prepared, self.selected, cx, area.width)
            .filter(|p| p.key.theme == *theme)
        else {
            // Not prepared for this (a test drawing without an update): made here, the slow way.
            let page = page(cx.session, cx.derived, cx.today, self.selected, theme);
            // The terminal may have been resized since the last key: clamp here too.
            let max = wrapped_rows(&page.lines, area.width).saturating_sub(inner_height);
            frame.render_widget(
                Paragraph::new(page.lines)
                    .wrap(Wrap { trim: false })
                    .scroll((self.scroll.min(max), 0))
                    .block(block),
                area,
            );
            return;
        };
        let lines = &prepared.page.lines;
        let max = prepared.rows(lines.len()).saturating_sub(inner_height);
        let scroll = u32::from(self.scroll.min(max));
        let bottom = scroll + u32::from(inner_height);
        // Only the lines on screen: from the one holding the first row shown to the last one
        // starting above the bottom.
        let before = &prepared.rows_before[..lines.len()];
        let first = before.partition_point(|&r| r <= scroll).saturating_sub(1);
        let end = before.partition_point(|&r| r < bottom).max(first);
        let skip = scroll - before.get(first).copied().unwrap_or(0);
        frame.render_widget(
            Paragraph::new(lines[first..end].to_vec())
                .wrap(Wrap { trim: false })
                .scroll((u16::try_from(skip).unwrap_or(u16::MAX), 0))
                .block(block),
            area,
        );
    }
}

/// Rows the lines take when wrapped at `width`, as the page draws them.
fn wrapped_rows(lines: &[Line<'static>], width: u16) -> u16 {
    let rows = Paragraph::new(lines.to_vec())
        .wrap(Wrap { trim: false })
        .line_count(width.max(1));
    u16::try_from(rows).unwrap_or(u16::MAX)
}

/// Rows before each line when wrapped at `width`, then the total.
fn rows_before(lines: &[Line<'static>], width: u16) -> Vec<u32> {
    let mut out = Vec::with_capacity(lines.len() + 1);
    let mut total = 0u32;
    out.push(0);
    for line in lines {
        let rows = Paragraph::new(line.clone())
            .wrap(Wrap { trim: false })
            .line_count(width.max(1));
        total = total.saturating_add(u32::try_from(rows).unwrap_or(u32::MAX));
        out.push(total);
    }
    out
}

/// The verdict line as question 4 shows it: exactly what `check` prints for the session.
/// An ellipsis while the analysis is not made (it is made when question 4 comes on view).
pub fn verdict_line(derived: &Derived) -> String {
    derived
        .checked
        .as_ref()
        .map_or_else(|| "check: …".to_string(), |c| c.verdict.to_string())
}

/// The items that fail the gate: invalid entries first (as `check` lists them), then blocking
/// findings in `check`'s order.
/// None while the analysis is not made.
pub fn gate_items(s: &Session, derived: &Derived) -> Vec<GateItem> {
    let Some(checked) = &derived.checked else {
        return Vec::new();
    };
    let mut items: Vec<GateItem> = derived
        .problems
        .iter()
        .map(|p| GateItem {
            text: format!("invalid  {}", e(&p.to_string())),
            how: "correct the entry (question 1, or the file; threatboard validate shows where)"
                .into(),
            goto: match (p.location.table, &p.location.id) {
                (Table::Components | Table::Flows, Some(id)) => Some(Goto::Build(id.to_string())),
                (Table::Threats, Some(id)) => Some(Goto::Respond {
                    threat: id.to_string(),
                    mitigation: None,
                }),
                _ => None,
            },
        })
        .collect();
    let fail_on = checked.verdict.fail_on;
    items.extend(
        checked
            .analysis
            .findings
            .iter()
            .filter(|f| f.blocks(fail_on))
            .map(|f| {
                let (how, goto) = clearing(s, f);
                GateItem {
                    text: format!(
                        "{:<8} {} {}",
                        f.severity.as_str(),
                        f.rule.id(),
                        e(&f.message)
                    ),
                    how,
                    goto,
                }
            }),
    );
    items
}

/// How to clear a blocking finding, and where.
fn clearing(s: &Session, f: &Finding) -> (String, Option<Goto>) {
    let id = e(&f.element);
    let respond = |threat: &str, mitigation: Option<&str>| {
        Some(Goto::Respond {
            threat: threat.to_string(),
            mitigation: mitigation.map(str::to_string),
        })
    };
    // A mitigation's fix is in question 3, on (one of) the threats it addresses.
    let of_mitigation = |what: &str| {
        let first = s
            .mitigations
            .iter()
            .find(|m| m.id.as_str() == f.element)
            .and_then(|m| m.threats.first());
        (
            format!("{what} (question 3)"),
            first.and_then(|t| respond(t.as_str(), Some(&f.element))),
        )
    };
    let letters = f.rule.letters();
    if !letters.is_empty() {
        let wanted = StrideSet::parse(letters);
        let covering = s.threats.iter().find(|t| {
            t.target.as_str() == f.element
                && t.status != ThreatStatus::NotApplicable
                && !t.stride.intersection(&wanted).is_empty()
        });
        if let Some(t) = covering {
            let tid = e(t.id.as_str());
            let linked = s
                .mitigations
                .iter()
                .find(|m| m.threats.iter().any(|x| x == &t.id));
            return match linked {
                Some(m) => (
                    format!(
                        "give {} of {tid} an owner and a due date not passed (question 3, e), or accept the risk (x)",
                        e(m.id.as_str())
                    ),
                    respond(t.id.as_str(), Some(m.id.as_str())),
                ),
                None => (
                    format!(
                        "add a mitigation with owner and due date to {tid} (question 3, a), or accept the risk (x)"
                    ),
                    respond(t.id.as_str(), None),
                ),
            };
        }
        let model_fix = match f.rule {
            Rule::UnauthenticatedCrossing => "authenticate the flow",
            Rule::UnencryptedSensitiveFlow => "encrypt the flow",
            _ => "put a process in between",
        };
        let letters: Vec<String> = letters.chars().map(String::from).collect();
        return (
            format!(
                "{model_fix} (question 1) or add a threat covering {} (question 2)",
                letters.join(" or ")
            ),
            Some(Goto::Threats(f.element.to_string())),
        );
    }
    match f.rule {
        Rule::ComponentOutsideBoundaries => (
            "set its boundary (question 1)".into(),
            Some(Goto::Build(f.element.to_string())),
        ),
        Rule::OrphanComponent => (
            "add the flows it takes part in, or remove it (question 1)".into(),
            Some(Goto::Build(f.element.to_string())),
        ),
        Rule::RestrictedProcessWithoutThreats => (
            format!("walk STRIDE for {id} and add its threats (question 2)"),
            Some(Goto::Threats(f.element.to_string())),
        ),
        Rule::HighRiskWithoutResponse => (
            format!(
                "decide a response for {id}: m mitigate, x accept, t transfer, v avoid (question 3)"
            ),
            respond(&f.element, None),
        ),
        Rule::MitigationWithoutOwnerOrDue => {
            of_mitigation(&format!("give {id} an owner and a due date (e)"))
        }
        Rule::OverdueMitigation => of_mitigation(&format!(
            "finish {id} (s) or agree a new due date with its owner (e)"
        )),
        Rule::AcceptanceReviewOverdue => (
            format!("review the accepted risk of {id} and set a new review date (question 3, e)"),
            respond(&f.element, None),
        ),
        Rule::AcceptanceWithoutReviewDate => (
            format!("set a review date on the acceptance of {id} (question 3, e)"),
            respond(&f.element, None),
        ),
        Rule::ThreatNeedsReview => (
            format!("review {id} against the change and set its status (question 3, S)"),
            respond(&f.element, None),
        ),
        Rule::MitigateWithoutMitigation => (
            format!("add a mitigation with owner and due date to {id} (question 3, a)"),
            respond(&f.element, None),
        ),
        Rule::UnansweredSuggestion => (
            "add the suggestion as a threat (s) or dismiss it with a reason (x) (question 2)"
                .into(),
            Some(Goto::Threats(f.element.to_string())),
        ),
        Rule::UnknownProtection => (
            format!("say whether {id} is authenticated and encrypted: yes or no (question 1, e)"),
            Some(Goto::Build(f.element.to_string())),
        ),
        Rule::ThreatOnOutOfScopeElement => (
            format!(
                "mark {id} not applicable (question 3, S), or bring its element back in scope (question 1)"
            ),
            respond(&f.element, None),
        ),
        // Only a new run clears a stale session; no question holds that.
        _ => ("re-run the session: r records today's run".into(), None),
    }
}

/// The page and where each blocking item's first line is in it.
#[derive(Debug)]
struct Page {
    lines: Vec<Line<'static>>,
    item_lines: Vec<usize>,
}

fn page(s: &Session, derived: &Derived, today: NaiveDate, selected: usize, theme: &Theme) -> Page {
    let mut lines = vec![note(theme)];
    // Made when question 4 comes on view: until then, an ellipsis rather than a number.
    let Some(checked) = &derived.checked else {
        lines.push(Line::from(Span::styled(verdict_line(derived), theme.dim())));
        return Page {
            lines,
            item_lines: Vec::new(),
        };
    };
    let verdict: &Verdict = &checked.verdict;
    lines.push(Line::from(Span::styled(
        verdict_line(derived),
        if verdict.passes() {
            theme.ok()
        } else {
            theme.error()
        },
    )));
    let items = gate_items(s, derived);
    let selected = selected.min(items.len().saturating_sub(1));
    let mut item_lines = Vec::new();
    if !items.is_empty() {
        lines.push(Line::from(Span::styled(
            format!("Blocking ({}): Enter goes where it is fixed", items.len()),
            theme.title(),
        )));
    }
    for (i, item) in items.iter().enumerate() {
        item_lines.push(lines.len());
        let (mark, style) = if i == selected {
            ("▶ ", theme.selected())
        } else {
            ("  ", theme.normal())
        };
        lines.push(Line::from(Span::styled(
            format!("{mark}{}", item.text),
            style,
        )));
        lines.push(Line::from(Span::styled(
            format!("      to clear: {}", item.how),
            theme.dim(),
        )));
    }
    let tracked: Vec<&Finding> = checked
        .analysis
        .findings
        .iter()
        .filter(|f| !f.is_accepted() && f.is_tracked())
        .collect();
    if !tracked.is_empty() {
        lines.push(Line::from(Span::styled(
            format!("Tracked ({}): reported, not blocking", tracked.len()),
            theme.dim(),
        )));
        for f in tracked {
            let by = f
                .tracked_by
                .as_ref()
                .map(|t| t.to_string())
                .unwrap_or_default();
            lines.push(Line::from(Span::styled(
                format!(
                    "    {:<8} {} {}: {}",
                    f.severity.as_str(),
                    f.rule.id(),
                    e(&f.element),
                    e(&by)
                ),
                theme.dim(),
            )));
        }
    }
    lines.extend(review(s, &checked.analysis, today, theme));
    Page { lines, item_lines }
}

fn e(t: &str) -> String {
    escape_control(t).into_owned()
}

fn note(theme: &Theme) -> Line<'static> {
    Line::from(Span::styled(
        "↑↓ select · Enter goes to the fix · PgUp PgDn scroll · e retrospective",
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
        let accepted = if f.is_accepted() {
            " [accepted]"
        } else if f.is_tracked() {
            " [tracked]"
        } else {
            ""
        };
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
            p.route(false),
            p.boundaries_crossed.len(),
            p.weakest_link
        )));
    }
    if !analysis.attack_paths.is_empty() {
        lines.push(Line::from(Span::styled(
            format!("    {LEGEND}"),
            theme.dim(),
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

/// The page's lines, and its rows at `width` counted line by line and as a whole: for the
/// tests, which check that the two agree (drawing relies on it).
#[cfg(test)]
pub(crate) fn rows_for_test(
    s: &crate::tui::session::SessionState,
    today: NaiveDate,
    width: u16,
) -> (usize, u32, u32) {
    let page = page(s.session(), &s.derived, today, 0, &Theme::plain());
    let by_line = rows_before(&page.lines, width).last().copied().unwrap_or(0);
    let whole = u32::from(wrapped_rows(&page.lines, width));
    (page.lines.len(), by_line, whole)
}
