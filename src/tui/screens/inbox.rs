//! Question 2's inbox: the pending ideas attendees sent for the selected element,
//! near-duplicates together, then any whose element is no longer in the model. The facilitator
//! accepts, merges or dismisses from here (the app applies the decisions: `app/share.rs`).
//!
//! Accept and merge act on the selected idea's whole group (its near-duplicates say the same
//! thing; a stray one is dismissed first with `x`, which acts on one idea alone).

use crate::model::Session;
use crate::model::text::escape_control;
use crate::share::inbox::{Inbox, InboxIdea};
use crate::share::{IdeaId, IdeaStatus};
use crate::tui::keymap::{self, Context};
use crate::tui::theme::Theme;
use crate::tui::widgets::dialog::centered;
use crate::tui::widgets::key_hints;
use crate::tui::widgets::text::{fit, plural, sanitize};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

/// The open inbox: the element it is for, the selected idea (an index into [`rows`]), and,
/// while choosing the threat to merge into, that threat (an index into the element's threats).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxView {
    pub element: String,
    pub selected: usize,
    pub merge: Option<usize>,
}

/// A pending idea as the inbox lists it.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub idea: &'a InboxIdea,
    /// Its group's number (0 first) and size.
    pub group: usize,
    pub group_len: usize,
    /// Whether its element is in the model (else it can only be dismissed).
    pub known: bool,
}

/// Whether `id` is a component or flow of the session.
pub fn element_exists(session: &Session, id: &str) -> bool {
    session.components.iter().any(|c| c.id.as_str() == id)
        || session.flows.iter().any(|f| f.id.as_str() == id)
}

/// The element's pending ideas by group, then those on elements no longer in the model.
pub fn rows<'a>(inbox: &'a Inbox, element: &str, session: &Session) -> Vec<Row<'a>> {
    let mut rows = Vec::new();
    let groups = inbox.groups_for(element);
    let known = element_exists(session, element);
    for (group, members) in groups.iter().enumerate() {
        for idea in members {
            rows.push(Row {
                idea,
                group,
                group_len: members.len(),
                known,
            });
        }
    }
    let first_unknown = groups.len();
    for (i, idea) in inbox
        .pending_elsewhere(|e| element_exists(session, e))
        .into_iter()
        .filter(|i| i.draft.element != element)
        .enumerate()
    {
        rows.push(Row {
            idea,
            group: first_unknown + i,
            group_len: 1,
            known: false,
        });
    }
    rows
}

/// The ideas of the selected row's group, selected one first.
pub fn selected_group(rows: &[Row], selected: usize) -> Vec<IdeaId> {
    let Some(row) = rows.get(selected) else {
        return Vec::new();
    };
    let mut ids = vec![row.idea.id];
    ids.extend(
        rows.iter()
            .filter(|r| r.group == row.group && r.idea.id != row.idea.id)
            .map(|r| r.idea.id),
    );
    ids
}

/// "S T · L2 I3 · capec:CAPEC-60": what an idea carries besides its statement.
fn details(idea: &InboxIdea) -> String {
    let mut parts = Vec::new();
    if !idea.draft.stride.is_empty() {
        parts.push(format!("[{}]", idea.draft.stride));
    }
    let rating = |r: Option<crate::model::Rating>| r.map_or("?".to_string(), |r| r.0.to_string());
    if idea.draft.likelihood.is_some() || idea.draft.impact.is_some() {
        parts.push(format!(
            "L{} I{}",
            rating(idea.draft.likelihood),
            rating(idea.draft.impact)
        ));
    }
    if !idea.draft.refs.is_empty() {
        parts.push(idea.draft.refs.join(" "));
    }
    sanitize(&parts.join("  "))
}

/// What became of an idea, in words.
pub fn status_text(status: &IdeaStatus) -> String {
    match status {
        IdeaStatus::Pending => "pending".into(),
        IdeaStatus::Accepted { threat } => format!("accepted as {}", escape_control(threat)),
        IdeaStatus::Merged { threat } => format!("merged into {}", escape_control(threat)),
        IdeaStatus::Dismissed => "dismissed".into(),
    }
}

/// The inbox over the screen: nearly all of it, so that an idea and its details read whole.
pub fn draw(
    view: &InboxView,
    inbox: &Inbox,
    session: &Session,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let popup = centered(
        area,
        area.width.saturating_sub(2).min(110),
        area.height.saturating_sub(2),
    );
    let inner_width = usize::from(popup.width.saturating_sub(2));
    let inner_height = usize::from(popup.height.saturating_sub(2));
    let rows = rows(inbox, &view.element, session);
    let title_of = |id: &str| {
        session
            .flows
            .iter()
            .find(|f| f.id.as_str() == id)
            .map(|f| format!("{} → {}: {}", f.from, f.to, f.label))
            .or_else(|| {
                session
                    .components
                    .iter()
                    .find(|c| c.id.as_str() == id)
                    .map(|c| c.name.clone())
            })
    };
    let mut lines: Vec<Line> = Vec::new();
    let here = rows
        .iter()
        .filter(|r| r.idea.draft.element == view.element)
        .count();
    let heading = format!(
        "{}  {}: {}",
        escape_control(&view.element),
        escape_control(&title_of(&view.element).unwrap_or_else(|| "(not in the model)".into())),
        plural(here, "idea pending", "ideas pending")
    );
    lines.push(Line::from(Span::styled(
        fit(&heading, inner_width),
        theme.title(),
    )));
    let mut selected_line = 0;
    match view.merge {
        Some(threat_sel) => {
            let group = selected_group(&rows, view.selected);
            lines.push(Line::from(Span::styled(
                fit(
                    &format!(
                        "Merge {} (refs, letters and authors) into which threat?",
                        plural(group.len(), "idea", "ideas")
                    ),
                    inner_width,
                ),
                theme.dim(),
            )));
            lines.push(Line::raw(""));
            let threats = crate::tui::screens::threats::threats_of(session, &view.element, false);
            for (i, (_, threat)) in threats.iter().enumerate() {
                if i == threat_sel {
                    selected_line = lines.len();
                }
                lines.push(crate::tui::screens::threats::threat_line(
                    threat,
                    i == threat_sel,
                    theme,
                ));
            }
        }
        None => {
            let mut last_group = None;
            let mut in_elsewhere = false;
            for (i, row) in rows.iter().enumerate() {
                if !row.known && row.idea.draft.element != view.element && !in_elsewhere {
                    in_elsewhere = true;
                    lines.push(Line::raw(""));
                    lines.push(Line::from(Span::styled(
                        fit(
                            "Unknown element (no longer in the model; x dismisses):",
                            inner_width,
                        ),
                        theme.warning(),
                    )));
                } else if last_group.is_some() && last_group != Some(row.group) {
                    lines.push(Line::raw(""));
                }
                if last_group != Some(row.group) && row.group_len > 1 {
                    lines.push(Line::from(Span::styled(
                        fit(
                            &format!("┌ {} similar ideas: decided together", row.group_len),
                            inner_width,
                        ),
                        theme.dim(),
                    )));
                }
                last_group = Some(row.group);
                let is_sel = i == view.selected;
                if is_sel {
                    selected_line = lines.len();
                }
                let style = if is_sel {
                    theme.selected()
                } else {
                    theme.normal()
                };
                let bar = if row.group_len > 1 { "│" } else { " " };
                let marker = if is_sel { "▸" } else { " " };
                let on = if in_elsewhere {
                    format!(" on {}", escape_control(&row.idea.draft.element))
                } else {
                    String::new()
                };
                let head = format!(
                    "{bar}{marker} #{} {}{on}  {}",
                    row.idea.id,
                    sanitize(&row.idea.author),
                    details(row.idea)
                );
                lines.push(Line::from(Span::styled(fit(&head, inner_width), style)));
                lines.push(Line::from(vec![
                    Span::raw(format!("{bar}   ")),
                    Span::raw(fit(
                        &sanitize(&row.idea.draft.statement),
                        inner_width.saturating_sub(4),
                    )),
                ]));
            }
            if rows.is_empty() {
                lines.push(Line::raw(""));
                lines.push(Line::from(Span::styled(
                    "No ideas waiting here. Attendees' ideas arrive as they send them.",
                    theme.dim(),
                )));
            }
        }
    }
    // The selected idea and its statement in view.
    let scroll = (selected_line + 2).saturating_sub(inner_height);
    let context = if view.merge.is_some() {
        Context::InboxMerge
    } else {
        Context::Inbox
    };
    let hints: Vec<(&str, &str)> = keymap::bindings(&[context])
        .filter(|b| b.footer)
        .map(|b| {
            (
                b.label,
                b.help.split([' ', ':', '(']).next().unwrap_or(b.help),
            )
        })
        .collect();
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0))
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(theme.border())
                    .title(Span::styled(" Inbox: attendees' ideas ", theme.title()))
                    .title_bottom(key_hints(&hints, theme)),
            ),
        popup,
    );
}
