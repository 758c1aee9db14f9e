//! Drawing the attendee app: a header (session, connection, round), the elements, the selected
//! element's details and rule suggestions, the ideas, a footer of keys, and what is open over
//! them. Everything from the host is drawn sanitized. Nothing here changes the state.

use super::ideas::idea_lines;
use super::{AttendeeApp, Connection, Overlay, Pane};
use crate::model::{ElementKind, Session};
use crate::rules::SuggestionState;
use crate::tui::keymap::{self, Context};
use crate::tui::screens::threats::ElementRow;
use crate::tui::theme::Theme;
use crate::tui::widgets::dialog::{centered, draw_dialog};
use crate::tui::widgets::key_hints;
use crate::tui::widgets::text::{fit, fit_line, plural, sanitize, wrap};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub fn draw(app: &AttendeeApp, frame: &mut Frame) {
    let area = frame.area();
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(4),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(app, frame, header);
    // The ideas get what the elements leave, at least a third.
    let [top, ideas] =
        Layout::vertical([Constraint::Percentage(58), Constraint::Percentage(42)]).areas(body);
    let list_width = (top.width * 2 / 5).clamp(24, 48);
    let [list, details] =
        Layout::horizontal([Constraint::Length(list_width), Constraint::Min(10)]).areas(top);
    draw_elements(app, frame, list);
    draw_details(app, frame, details);
    draw_ideas(app, frame, ideas);
    draw_footer(app, frame, footer);
    match &app.overlay {
        None => {}
        Some(Overlay::Picker(picker)) => picker.draw(&app.libraries, &app.theme, frame, area),
        Some(Overlay::Form(form)) => {
            if let Some(cursor) = form.render(area, frame.buffer_mut(), &app.theme) {
                frame.set_cursor_position(cursor);
            }
        }
        Some(Overlay::Help) => draw_help(&app.theme, frame, area),
        Some(Overlay::ConfirmQuit) => {
            let mut lines = vec![
                unsent_summary(app),
                "Quit anyway?".to_string(),
                String::new(),
            ];
            lines.extend(keymap::choices(Context::AttendeeQuit));
            draw_dialog(&app.theme, frame, area, "Quit", &lines);
        }
    }
}

fn unsent_summary(app: &AttendeeApp) -> String {
    let unsent = app.ideas.unsent();
    if unsent > 0 {
        format!(
            "{} not sent yet (the connection is not there).",
            plural(unsent, "idea is", "ideas are")
        )
    } else {
        "An idea is typed but not sent.".to_string()
    }
}

/// `m:ss`
fn clock(secs: u32) -> String {
    // As the facilitator's header shows it.
    format!("{:02}:{:02}", secs / 60, secs % 60)
}

fn draw_header(app: &AttendeeApp, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let width = usize::from(area.width);
    let title = if app.model.title.is_empty() {
        "waiting for the facilitator's model".to_string()
    } else {
        sanitize(&app.model.title)
    };
    let (state, state_style) = match &app.connection {
        Connection::Connected => ("connected".to_string(), t.ok()),
        Connection::Reconnecting { .. } => ("reconnecting…".to_string(), t.warning()),
        Connection::Ended => ("ended".to_string(), t.error()),
    };
    let round = match (app.round, app.round_remaining()) {
        (Some(round), Some(left)) => {
            format!("  round {}: {} left", round.info.number, clock(left))
        }
        _ => String::new(),
    };
    let first = fit_line(
        Line::from(vec![
            Span::styled(" threatboard · ", t.dim()),
            Span::styled(title, t.title()),
            Span::styled(format!(" · {} · ", sanitize(&app.name)), t.dim()),
            Span::styled(state, state_style),
            Span::styled(round, t.warning()),
        ]),
        width,
    );
    let (second, style) = match &app.connection {
        Connection::Ended => (
            "The facilitator ended the session. q quits.".to_string(),
            t.error(),
        ),
        Connection::Reconnecting { why } => (
            format!(
                "Connection lost{}: trying again every 2 s; your ideas are kept and sent then.",
                why.as_deref()
                    .map(|w| format!(" ({})", sanitize(w)))
                    .unwrap_or_default()
            ),
            t.warning(),
        ),
        Connection::Connected if app.round.is_some() => (
            "Brainwriting round: your ideas are hidden from the others until the round ends."
                .to_string(),
            t.normal(),
        ),
        Connection::Connected => (
            "Write threat ideas on the facilitator's model; they decide what goes in.".to_string(),
            t.dim(),
        ),
    };
    frame.render_widget(
        Paragraph::new(vec![
            first,
            Line::from(Span::styled(fit(&format!(" {second}"), width), style)),
        ]),
        area,
    );
}

fn pane_block(title: String, focused: bool, t: &Theme) -> Block<'static> {
    Block::default()
        .borders(Borders::TOP)
        .border_style(if focused { t.key() } else { t.border() })
        .title(Span::styled(
            title,
            if focused { t.title() } else { t.dim() },
        ))
}

/// Where a list of `len` rows scrolls to keep `selected` in `height` rows.
fn scroll(selected: usize, height: usize) -> usize {
    selected.saturating_sub(height.saturating_sub(1))
}

fn kind_short(kind: ElementKind) -> &'static str {
    match kind {
        ElementKind::Process => "proc",
        ElementKind::DataStore => "store",
        ElementKind::ExternalEntity => "ext",
        ElementKind::Flow => "flow",
    }
}

fn draw_elements(app: &AttendeeApp, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let focused = app.pane == Pane::Elements;
    let block = pane_block(format!(" Elements ({}) ", app.rows.len()), focused, t);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    let height = usize::from(inner.height);
    let lines: Vec<Line> = if app.rows.is_empty() {
        vec![Line::from(Span::styled(" no elements yet", t.dim()))]
    } else {
        app.rows
            .iter()
            .enumerate()
            .skip(scroll(app.selected, height))
            .take(height)
            .map(|(i, row)| element_line(row, i == app.selected, focused, t, width))
            .collect()
    };
    frame.render_widget(Paragraph::new(lines), inner);
}

fn element_line(
    row: &ElementRow,
    selected: bool,
    focused: bool,
    t: &Theme,
    width: usize,
) -> Line<'static> {
    let style = match (selected, focused) {
        (true, true) => t.selected(),
        (true, false) => t.title(),
        _ => t.normal(),
    };
    let mark = if row.crossing { "⇄" } else { " " };
    fit_line(
        Line::from(vec![
            Span::styled(format!("{}{mark}", if selected { "▸" } else { " " }), style),
            Span::styled(format!("{:<5} ", kind_short(row.kind)), t.dim()),
            Span::styled(sanitize(&row.id), style),
            Span::styled(format!("  {}", sanitize(&row.title)), t.dim()),
        ]),
        width,
    )
}

/// Yes, no or not known, for a flow's protection.
fn yes_no(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    }
}

/// The selected element as the facilitator has it: kind, boundary, from → to, protocol,
/// protection, and the threats on it.
fn element_facts(s: &Session, crossings: &[Vec<String>], row: &ElementRow) -> Vec<String> {
    let boundary = |id: Option<&str>| {
        id.map_or("outside every boundary".to_string(), |id| {
            let name = s.boundary(id).map_or(id, |b| b.name.as_str());
            format!("in {}", sanitize(name))
        })
    };
    let mut facts = Vec::new();
    if let Some(c) = s.components.iter().find(|c| c.id.as_str() == row.id) {
        facts.push(sanitize(&c.name));
        facts.push(format!(
            "{} · {}{}",
            row.kind.as_str(),
            boundary(c.boundary.as_ref().map(|b| b.as_str())),
            c.technology
                .map(|tech| format!(" · {}", tech.as_str()))
                .unwrap_or_default()
        ));
    } else if let Some((index, f)) = s
        .flows
        .iter()
        .enumerate()
        .find(|(_, f)| f.id.as_str() == row.id)
    {
        let crossed = crossings.get(index).map_or(&[][..], Vec::as_slice);
        facts.push(format!(
            "{} → {}{}{}",
            sanitize(f.from.as_str()),
            sanitize(f.to.as_str()),
            if f.label.is_empty() {
                String::new()
            } else {
                format!(": {}", sanitize(&f.label))
            },
            if crossed.is_empty() {
                String::new()
            } else {
                format!(
                    " (crosses {})",
                    crossed
                        .iter()
                        .map(|b| sanitize(b))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        ));
        facts.push(format!(
            "{} · authenticated {} · encrypted {}",
            if f.protocol.is_empty() {
                "protocol not given".to_string()
            } else {
                sanitize(&f.protocol)
            },
            yes_no(f.authenticated),
            yes_no(f.encrypted),
        ));
    }
    // The STRIDE letters no threat covers yet: where ideas are most wanted.
    let open = row
        .applicable
        .difference(&row.covered)
        .difference(&row.not_applicable);
    let open = if open.is_empty() {
        "none".to_string()
    } else {
        open.to_string()
    };
    let threats = s.threats_on(&row.id).count();
    facts.push(if threats == 0 {
        format!("no threats yet · open: {open}")
    } else {
        format!("{} · open: {open}", plural(threats, "threat", "threats"))
    });
    if row.out_of_scope {
        facts.push("out of scope".to_string());
    }
    facts
}

fn draw_details(app: &AttendeeApp, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let focused = app.pane == Pane::Suggestions;
    let open = app.suggestions.iter().filter(|s| s.state.is_open()).count();
    let block = pane_block(format!(" Details · suggestions ({open} open) "), focused, t)
        .borders(Borders::TOP | Borders::LEFT);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width.saturating_sub(1));
    let Some(row) = app.selected_row() else {
        return;
    };
    let mut lines: Vec<Line> = element_facts(&app.model, &app.crossings, row)
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            Line::from(Span::styled(
                fit(&format!(" {f}"), width),
                if i == 0 { t.title() } else { t.dim() },
            ))
        })
        .collect();
    let head = lines.len();
    let room = usize::from(inner.height).saturating_sub(head);
    if app.suggestions.is_empty() {
        lines.push(Line::from(Span::styled(
            " no rule suggestion here: a searches the libraries",
            t.dim(),
        )));
    }
    // The selected suggestion in full, with why the rule fires; the others on one line each.
    let mut list: Vec<Line> = Vec::new();
    let mut chosen = 0..0;
    for (i, s) in app.suggestions.iter().enumerate() {
        let selected = i == app.selected_suggestion;
        let style = match (selected, focused) {
            (true, true) => t.selected(),
            (true, false) => t.title(),
            _ if s.state.is_open() => t.normal(),
            _ => t.dim(),
        };
        let state = match &s.state {
            SuggestionState::Open => String::new(),
            SuggestionState::Returned { .. } => " (asks again)".to_string(),
            SuggestionState::Added { threat } => format!(" (added as {})", sanitize(threat)),
            SuggestionState::Dismissed { .. } => " (dismissed)".to_string(),
        };
        let head = format!("{}[{}] ", if selected { "▸" } else { " " }, s.stride);
        if !selected {
            list.push(fit_line(
                Line::from(vec![
                    Span::styled(head, style),
                    Span::styled(sanitize(&s.statement), style),
                    Span::styled(state, t.dim()),
                ]),
                width,
            ));
            continue;
        }
        let start = list.len();
        let indent = crate::tui::widgets::text::width(&head);
        // Selected, what became of it comes first: a long statement would cut it off.
        let text = match &s.state {
            SuggestionState::Open => sanitize(&s.statement),
            _ => format!(
                "{}: {}",
                state.trim().trim_start_matches('(').trim_end_matches(')'),
                sanitize(&s.statement)
            ),
        };
        list.extend(hanging_lines(head, &text, width, 3, style));
        list.push(Line::from(Span::styled(
            fit(
                &format!("{:indent$}why: {}", "", sanitize(&s.reason)),
                width,
            ),
            t.dim(),
        )));
        chosen = start..list.len();
    }
    let first = chosen.end.saturating_sub(room).min(chosen.start);
    lines.extend(list.into_iter().skip(first).take(room));
    // The threats already on the element, in what room is left (a wide screen).
    let threats: Vec<&crate::model::Threat> = app.model.threats_on(&row.id).collect();
    let left = usize::from(inner.height).saturating_sub(lines.len() + 1);
    if !threats.is_empty() && left > 0 {
        lines.push(Line::from(Span::styled(" Threats here:", t.dim())));
        for th in threats.into_iter().take(left) {
            lines.push(Line::from(Span::styled(
                fit(
                    &format!(
                        "  {} [{}] {}",
                        sanitize(th.id.as_str()),
                        th.stride,
                        sanitize(&th.title)
                    ),
                    width,
                ),
                t.dim(),
            )));
        }
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_ideas(app: &AttendeeApp, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let focused = app.pane == Pane::Ideas;
    let mine = app.ideas.own.len();
    let block = pane_block(
        format!(
            " Your ideas ({mine}){} ",
            if app.ideas.others.is_empty() {
                String::new()
            } else {
                format!(" · the others' ({})", app.ideas.others.len())
            }
        ),
        focused,
        t,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (lines, chosen) = idea_lines(
        &app.ideas,
        focused.then_some(app.selected_idea),
        t,
        usize::from(inner.width),
    );
    // The selected idea in view, all its lines when they fit.
    let height = usize::from(inner.height);
    let first = chosen.end.saturating_sub(height).min(chosen.start);
    let lines: Vec<Line> = lines
        .into_iter()
        .skip(first)
        .take(usize::from(inner.height))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// `text` after `head`, wrapped in `width` cells to at most `max_lines`, its continuation
/// lines under its first.
pub(super) fn hanging_lines(
    head: String,
    text: &str,
    width: usize,
    max_lines: usize,
    style: ratatui::style::Style,
) -> Vec<Line<'static>> {
    let indent = crate::tui::widgets::text::width(&head);
    let rest = width.saturating_sub(indent).max(8);
    let mut lead = Some(head);
    wrap(text, rest, rest, max_lines)
        .into_iter()
        .map(|part| {
            let lead = lead.take().unwrap_or_else(|| " ".repeat(indent));
            Line::from(vec![Span::styled(lead, style), Span::styled(part, style)])
        })
        .collect()
}

/// A binding's help cut at its first explanation, for the footer.
fn short(help: &str) -> &str {
    let end = help.find([':', '(', ';']).unwrap_or(help.len());
    help.get(..end).unwrap_or(help).trim_end()
}

fn draw_footer(app: &AttendeeApp, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    if let Some(status) = &app.status {
        frame.render_widget(
            Paragraph::new(Span::styled(
                fit(&format!(" {}", sanitize(status)), usize::from(area.width)),
                t.warning(),
            )),
            area,
        );
        return;
    }
    let mut hints: Vec<(&str, &str)> = keymap::bindings(&[Context::Attendee])
        .filter(|b| b.footer && !b.label.is_empty())
        .map(|b| (b.label.split(' ').next().unwrap_or(b.label), short(b.help)))
        .collect();
    // Help and quit, the last two, stay; the ones before them give way on a narrow screen.
    let cells = |h: &[(&str, &str)]| -> usize {
        h.iter()
            .map(|(k, w)| crate::tui::widgets::text::width(k) + w.len() + 3)
            .sum()
    };
    while cells(&hints) > usize::from(area.width) && hints.len() > 2 {
        hints.remove(hints.len() - 3);
    }
    frame.render_widget(
        Paragraph::new(fit_line(key_hints(&hints, t), usize::from(area.width))),
        area,
    );
}

fn draw_help(t: &Theme, frame: &mut Frame, area: Rect) {
    let width = area.width.min(90);
    let inner = usize::from(width.saturating_sub(2));
    let mut lines = crate::tui::help::key_lines(keymap::bindings(&[Context::Attendee]), t, inner);
    lines.push(Line::raw(""));
    for text in [
        crate::tui::help::FORMS,
        "Ideas go to the facilitator, who accepts, merges or dismisses each; what became of yours shows under Your ideas. During a round the others see your ideas only when it ends.",
        "Esc or any other key closes this help.",
    ] {
        for part in wrap(
            text,
            inner.saturating_sub(1),
            inner.saturating_sub(1),
            usize::MAX,
        ) {
            lines.push(Line::from(Span::styled(format!(" {part}"), t.dim())));
        }
    }
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let popup = centered(area, width, height);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(t.border())
                .title(Span::styled(" Keys ", t.title())),
        ),
        popup,
    );
}
