//! Drawing the app, a pure function of its state: the header, the screen on view (each screen
//! draws itself), the status line, the footer of keys, and the dialog on top.

use super::app::{App, Level, QUESTIONS, Screen};
use super::keymap::{self, Context};
use super::modal::{CommitDraft, Modal};
use super::screens::Cx;
use super::session::SessionState;
use super::widgets::dialog::{centered, draw_dialog};
use super::widgets::key_hints;
use super::widgets::text::fit_line;
use crate::model::text::escape_control;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

pub fn draw(app: &App, frame: &mut Frame) {
    draw_screen(app, frame);
    // Last, over everything drawn (lists, dialogs, forms, the status line): no cell may hold
    // an emoji sequence that terminals draw wider or narrower than ratatui measured it.
    super::widgets::text::settle_ambiguous_cells(frame.buffer_mut());
}

fn draw_screen(app: &App, frame: &mut Frame) {
    let area = frame.area();
    let [header, body, status, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    match &app.screen {
        Screen::Start(start) => {
            frame.render_widget(
                Paragraph::new(vec![
                    Line::from(Span::styled(
                        " threatboard: pick a session or start a new one",
                        app.theme.title(),
                    )),
                    Line::from(Span::styled(
                        format!(" Sessions in {}", folder_shown(&start.dir)),
                        app.theme.dim(),
                    )),
                ]),
                header,
            );
            start.draw(&app.theme, frame, body);
        }
        Screen::Session(s) => {
            draw_header(app, s, frame, header);
            let cx = Cx {
                session: s.session(),
                derived: &s.derived,
                today: app.today,
                libraries: &app.libraries,
                viewport: (area.width, area.height),
            };
            let theme = &app.theme;
            match s.question {
                0 => s.build.draw(&cx, theme, frame, body),
                1 => s.threats.draw(&cx, theme, frame, body),
                2 => s.respond.draw(&cx, theme, frame, body),
                _ => s.review.draw(&cx, theme, frame, body),
            }
        }
    }
    if let Some((message, level)) = &app.status {
        let style = match level {
            Level::Info => app.theme.ok(),
            Level::Error => app.theme.error(),
        };
        let mark = if *level == Level::Error { "✗ " } else { "" };
        frame.render_widget(
            Paragraph::new(Span::styled(
                format!(" {mark}{}", escape_control(message)),
                style,
            )),
            status,
        );
    }
    draw_footer(app, frame, footer);
    if let Some(modal) = &app.modal {
        draw_modal(app, modal, frame, area);
    }
}

/// The sessions folder as a person reads it: a relative folder as `./sessions`, so that the
/// header does not read "sessions in sessions"; an absolute one as it is.
fn folder_shown(dir: &std::path::Path) -> String {
    let text = escape_control(&dir.display().to_string()).into_owned();
    if dir.is_relative() && !text.starts_with('.') {
        format!("./{text}")
    } else {
        text
    }
}

/// The keys that matter most on this screen: as many as fit whole; `?` (the last binding of
/// the session's keys) always fits because help is the way out.
fn draw_footer(app: &App, frame: &mut Frame, area: Rect) {
    let contexts = app.contexts();
    let mut hints: Vec<(&str, &str)> = keymap::bindings(&contexts)
        .filter(|b| b.footer && !b.label.is_empty())
        .map(|b| (b.label.split(' ').next().unwrap_or(b.label), short(b.help)))
        .collect();
    let width = |h: &[(&str, &str)]| -> usize {
        h.iter()
            .map(|(k, w)| unicode_width::UnicodeWidthStr::width(*k) + w.len() + 3)
            .sum()
    };
    while width(&hints) > area.width as usize && hints.len() > 2 {
        hints.remove(hints.len() - 3);
    }
    frame.render_widget(Paragraph::new(key_hints(&hints, &app.theme)), area);
}

/// A dialog's message followed by its choices, as the key table has them.
fn with_choices(message: &[&str], context: Context, one_line: bool) -> Vec<String> {
    let mut lines: Vec<String> = message.iter().map(|l| l.to_string()).collect();
    lines.push(String::new());
    let choices = keymap::choices(context);
    if one_line {
        lines.push(choices.join("   "));
    } else {
        lines.extend(choices);
    }
    lines
}

fn draw_modal(app: &App, modal: &Modal, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    match modal {
        Modal::Help { scroll } => super::help::draw(app, *scroll, frame, area),
        Modal::Form { form, .. } => {
            if let Some(cursor) = form.render(area, frame.buffer_mut(), theme) {
                frame.set_cursor_position(cursor);
            }
        }
        Modal::Picker(picker) => picker.draw(&app.libraries, theme, frame, area),
        Modal::Link(picker) => {
            if let Some(s) = app.session() {
                let cx = Cx {
                    session: s.session(),
                    derived: &s.derived,
                    today: app.today,
                    libraries: &app.libraries,
                    viewport: app.viewport,
                };
                picker.draw(&cx, theme, frame, area);
            }
        }
        Modal::Commit(draft) => draw_commit(app, draft, frame, area),
        Modal::Inbox(view) => {
            if let (Some(sharing), Some(s)) = (&app.share, app.session()) {
                super::screens::inbox::draw(view, &sharing.inbox, s.session(), theme, frame, area);
            }
        }
        Modal::ShareInfo => {
            let message = app.share_info_lines();
            let message: Vec<&str> = message.iter().map(String::as_str).collect();
            let lines: Vec<Line> = with_choices(&message, Context::Notice, true)
                .iter()
                .map(|l| Line::raw(escape_control(l).into_owned()))
                .collect();
            // Wide enough for the join command on one line, to copy it whole.
            super::widgets::dialog::draw_popup(
                frame,
                area,
                96,
                Paragraph::new(lines).block(
                    Block::default()
                        .borders(Borders::ALL)
                        .border_style(theme.border())
                        .title(Span::styled(" Sharing with the room ", theme.title())),
                ),
            );
        }
        Modal::ShareMenu => {
            let lines = with_choices(
                &["Sharing is on. Stopping tells every attendee the session ended."],
                Context::ShareMenu,
                false,
            );
            draw_dialog(theme, frame, area, "Sharing", &lines);
        }
        Modal::ShareStop => {
            let lines = with_choices(
                &[
                    "Stop sharing? Attendees are disconnected; ideas not yet decided are dropped with the share.",
                ],
                Context::ShareStop,
                true,
            );
            draw_dialog(theme, frame, area, "Stop sharing", &lines);
        }
        Modal::QuickAdd(line) => {
            // Over the bottom of the screen, above the status line and the footer.
            let body = Rect {
                height: area.height.saturating_sub(2),
                ..area
            };
            line.draw(theme, frame, body);
        }
        Modal::Confirm { title, message, .. } => {
            let lines = with_choices(&[message.as_str()], Context::Confirm, true);
            draw_dialog(theme, frame, area, title, &lines);
        }
        Modal::Recover(recovery) => {
            let mut message: Vec<String> = vec![
                "Unsaved work from an earlier run of threatboard was found (autosave):".into(),
                String::new(),
            ];
            message.extend(recovery.changes.iter().cloned());
            if !recovery.conflicts.is_empty() {
                message.push(String::new());
                message.push(format!(
                    "Changed both in the file since and in the unsaved work (the unsaved version is kept): {}",
                    recovery.conflicts.join(", ")
                ));
            }
            if let Some(form) = &recovery.form {
                message.push(format!("An unsubmitted form: {}", form.title));
            }
            let message: Vec<&str> = message.iter().map(String::as_str).collect();
            let lines = with_choices(&message, Context::Recover, true);
            draw_dialog(theme, frame, area, "Recover unsaved work?", &lines);
        }
        Modal::Notice { title, lines } => {
            let message: Vec<&str> = lines.iter().map(String::as_str).collect();
            let lines = with_choices(&message, Context::Notice, true);
            draw_dialog(theme, frame, area, title, &lines);
        }
        Modal::WhatChanged { text, scroll, .. } => {
            let t = &app.theme;
            let popup = centered(
                area,
                area.width.saturating_sub(4).max(20),
                area.height.saturating_sub(2).max(8),
            );
            frame.render_widget(Clear, popup);
            let lines: Vec<Line> = text
                .iter()
                .map(|l| Line::raw(escape_control(l).into_owned()))
                .collect();
            frame.render_widget(
                Paragraph::new(lines)
                    .scroll((*scroll, 0))
                    .wrap(Wrap { trim: false })
                    .block(
                        Block::default()
                            .borders(Borders::ALL)
                            .border_style(t.border())
                            .title(Span::styled(" What changed since the baseline ", t.title()))
                            .title_bottom(key_hints(&dialog_hints(Context::WhatChanged), t)),
                    ),
                popup,
            );
        }
        Modal::SaveConflict => {
            let lines = with_choices(
                &[
                    "Someone or something changed the session file since it was opened here. What should happen to your changes?",
                ],
                Context::Conflict,
                false,
            );
            draw_dialog(theme, frame, area, "The file changed on disk", &lines);
        }
        Modal::ConfirmQuit => {
            let lines = with_choices(
                &["The session has changes that are not saved."],
                Context::QuitDialog,
                true,
            );
            draw_dialog(theme, frame, area, "Unsaved changes", &lines);
        }
    }
}

/// A dialog's keys for its bottom border, from the key table.
fn dialog_hints(context: Context) -> Vec<(&'static str, &'static str)> {
    keymap::bindings(&[context])
        .filter(|b| b.footer)
        .map(|b| (b.label, b.help))
        .collect()
}

/// "sharing · 3 attendees · round 1 02:41" while sharing; shorter ("sharing · 3 · round
/// 02:41", then "shared 3 · 02:41") when that does not fit in `room` columns.
fn share_text(app: &App, room: usize) -> Option<String> {
    let sharing = app.share.as_ref()?;
    let n = sharing.attendees.len();
    let people = super::widgets::text::plural(n, "attendee", "attendees");
    let texts = match &sharing.round {
        Some(round) => {
            let left = super::share::mm_ss(round.remaining);
            [
                format!("sharing · {people} · round {} {left}", round.number),
                format!("sharing · {n} · round {left}"),
                format!("shared {n} · {left}"),
            ]
        }
        None => [
            format!("sharing · {people}"),
            format!("sharing · {n}"),
            format!("shared {n}"),
        ],
    };
    let [full, medium, short] = texts;
    Some(if full.chars().count() <= room {
        full
    } else if medium.chars().count() <= room {
        medium
    } else {
        short
    })
}

/// The first words of a help text, for the footer.
fn short(help: &str) -> &str {
    help.split([' ', '(', ':']).next().unwrap_or(help)
}

fn draw_header(app: &App, s: &SessionState, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let mut tabs = Vec::new();
    for (i, (short, _)) in QUESTIONS.iter().enumerate() {
        let label = format!("{} {short}", i + 1);
        if i == s.question {
            tabs.push(Span::styled(format!("[{label}]"), t.selected()));
        } else {
            tabs.push(Span::raw(format!(" {label} ")));
        }
        tabs.push(Span::raw(" "));
    }
    let (elapsed, on_question, agenda) = app.clock().unwrap_or_default();
    let (clock_text, clock_style) = clock_text(s.question, elapsed, on_question, agenda);
    let clock_style = if clock_style { t.warning() } else { t.normal() };
    let saved = if s.history.is_dirty() {
        Span::styled("● unsaved", t.warning())
    } else {
        Span::styled("✓ saved", t.ok())
    };
    // On a narrow screen the title gives way, so the clock, the share and the saved state
    // stay visible; the share says less before it is cut.
    let fixed = clock_text.chars().count() + 17;
    let mut title = escape_control(&s.session().title).into_owned();
    // The share has what the title leaves, down to the title's 8 columns.
    let title_least = title.chars().count().min(8);
    let sharing = share_text(
        app,
        usize::from(area.width).saturating_sub(fixed + title_least + 3),
    );
    let room = (area.width as usize)
        .saturating_sub(fixed + sharing.as_ref().map_or(0, |t| t.chars().count() + 3))
        .max(8);
    if title.chars().count() > room {
        title = title.chars().take(room - 1).collect::<String>() + "…";
    }
    let mut line1 = vec![
        Span::styled(format!(" {title} "), t.title()),
        Span::raw("│ "),
        Span::styled(clock_text, clock_style),
        Span::raw(" │ "),
        saved,
    ];
    if let Some(sharing) = sharing {
        line1.push(Span::raw(" │ "));
        line1.push(Span::styled(sharing, t.highlight()));
    }
    let line1 = Line::from(line1);
    let mut line2 = vec![Span::raw(" ")];
    line2.extend(tabs);
    line2.push(Span::styled(
        format!(" {}/4 {}", s.question + 1, QUESTIONS[s.question].1),
        t.title(),
    ));
    let width = usize::from(area.width);
    frame.render_widget(
        Paragraph::new(vec![
            fit_line(line1, width),
            fit_line(Line::from(line2), width),
        ]),
        area,
    );
}

/// A one-line text field shown over rows of `width` columns (control characters made visible),
/// and where its cursor (a character index) falls: row and column. A cursor at the end of a
/// full row goes to the start of the next.
pub fn wrap_input(text: &str, cursor: usize, width: usize) -> (Vec<String>, (usize, usize)) {
    use unicode_width::UnicodeWidthStr;
    let width = width.max(2);
    let mut rows = vec![String::new()];
    let mut used = 0;
    let mut at = (0, 0);
    for (i, c) in text.chars().enumerate() {
        let shown = escape_control(&c.to_string()).into_owned();
        let w = UnicodeWidthStr::width(shown.as_str());
        if used + w > width && used > 0 {
            rows.push(String::new());
            used = 0;
        }
        if i == cursor {
            at = (rows.len() - 1, used);
        }
        if let Some(row) = rows.last_mut() {
            row.push_str(&shown);
        }
        used += w;
    }
    if cursor >= text.chars().count() {
        if used >= width {
            rows.push(String::new());
            used = 0;
        }
        at = (rows.len() - 1, used);
    }
    (rows, at)
}

/// `m:ss`.
fn minutes_seconds(secs: u64) -> String {
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// The header's clock: time left in the question's own slot of the agenda, then in the whole
/// session, e.g. `Q3 5:12 left · 17:40 of 30 min left`; "over by" once past either. The flag
/// says whether anything is over (drawn as a warning).
pub fn clock_text(
    question: usize,
    elapsed: std::time::Duration,
    on_question: std::time::Duration,
    agenda: [u32; 4],
) -> (String, bool) {
    let slot = u64::from(agenda.get(question).copied().unwrap_or(0)) * 60;
    let total_minutes: u32 = agenda.iter().sum();
    let total = u64::from(total_minutes) * 60;
    let (spent, all) = (on_question.as_secs(), elapsed.as_secs());
    let q = match slot.checked_sub(spent) {
        Some(left) => format!("Q{} {} left", question + 1, minutes_seconds(left)),
        None => format!(
            "Q{} over by {}",
            question + 1,
            minutes_seconds(spent - slot)
        ),
    };
    let overall = match total.checked_sub(all) {
        Some(left) => format!("{} of {total_minutes} min left", minutes_seconds(left)),
        None => format!(
            "over {total_minutes} min by {}",
            minutes_seconds(all - total)
        ),
    };
    (format!("{q} · {overall}"), spent > slot || all > total)
}

fn draw_commit(app: &App, draft: &CommitDraft, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let mut lines = vec![Line::from(Span::styled(
        escape_control(&draft.baseline).into_owned(),
        t.dim(),
    ))];
    for change in &draft.changes {
        lines.push(Line::raw(format!("  {}", escape_control(change))));
    }
    if draft.detached {
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled(
            "⚠ HEAD is detached: the commit will be on no branch (git switch -c <name> first)",
            t.warning(),
        )));
    }
    let width = area.width.saturating_sub(6).clamp(20, 100);
    let inner_width = width.saturating_sub(2);
    // Wrapped, the changes take what the screen leaves after the message and the border.
    let changes = Paragraph::new(lines).wrap(Wrap { trim: false });
    let wanted = changes.line_count(inner_width) as u16;
    let label = "Message: ";
    let message_width = usize::from(inner_width).saturating_sub(label.len()).max(1);
    let (rows, (cursor_row, cursor_col)) =
        wrap_input(draft.message.text(), draft.message.cursor(), message_width);
    // The message whole, up to four rows; beyond that the rows around the cursor.
    let message_rows = rows.len().clamp(1, 4);
    let first_row = (cursor_row + 1).saturating_sub(message_rows);
    // A blank row, the message, the trailer.
    let extra = 1 + message_rows as u16 + u16::from(draft.trailer.is_some());
    let room = area.height.saturating_sub(2 + extra + 2).max(1);
    let shown = wanted.min(room);
    let scroll = draft.scroll.min(wanted.saturating_sub(shown));
    let popup = centered(area, width, shown + extra + 2);
    frame.render_widget(Clear, popup);
    let action = if draft.in_git {
        " save and commit"
    } else {
        " save (not a git work tree)"
    };
    let mut keys = vec![
        Span::styled(" Enter", t.key()),
        Span::raw(action),
        Span::raw("  "),
        Span::styled("Esc", t.key()),
        Span::raw(" cancel "),
    ];
    if wanted > shown {
        keys.extend([Span::styled(" ↑↓", t.key()), Span::raw(" scroll ")]);
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(" Commit the session ", t.title()))
        .title_bottom(Line::from(keys));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let [list, _, message, trailer] = Layout::vertical([
        Constraint::Length(shown),
        Constraint::Length(1),
        Constraint::Length(message_rows as u16),
        Constraint::Length(u16::from(draft.trailer.is_some())),
    ])
    .areas(inner);
    frame.render_widget(changes.scroll((scroll, 0)), list);
    let message_lines: Vec<Line> = rows
        .iter()
        .enumerate()
        .skip(first_row)
        .take(message_rows)
        .map(|(i, row)| {
            let lead = if i == 0 {
                Span::styled(label, t.key())
            } else {
                Span::raw(" ".repeat(label.len()))
            };
            Line::from(vec![lead, Span::styled(row.clone(), t.selected())])
        })
        .collect();
    frame.render_widget(Paragraph::new(message_lines), message);
    if let Some(line) = &draft.trailer {
        frame.render_widget(
            Paragraph::new(Span::styled(
                format!(
                    "{:width$}+ {line} (records today's run)",
                    "",
                    width = label.len()
                ),
                t.dim(),
            )),
            trailer,
        );
    }
    let row = (cursor_row - first_row) as u16;
    if row < message.height {
        frame.set_cursor_position((
            message.x + label.len() as u16 + cursor_col as u16,
            message.y + row,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::clock_text;
    use std::time::Duration;

    const MIN: u64 = 60;

    #[test]
    fn a_long_message_wraps_and_the_cursor_follows() {
        use super::wrap_input;
        let (rows, at) = wrap_input("abcdefgh", 8, 5);
        assert_eq!(rows, ["abcde", "fgh"]);
        assert_eq!(at, (1, 3));
        let (rows, at) = wrap_input("abcde", 2, 5);
        assert_eq!((rows.len(), at), (1, (0, 2)));
        // At the end of a full row, the cursor starts the next one.
        let (rows, at) = wrap_input("abcde", 5, 5);
        assert_eq!((rows.len(), at), (2, (1, 0)));
        // A control character is shown escaped, and counted as wide as it is shown.
        let (rows, _) = wrap_input("a\u{1b}b", 0, 40);
        assert!(!rows[0].contains('\u{1b}'), "{rows:?}");
    }

    #[test]
    fn the_clock_counts_down_the_questions_slot_and_the_session() {
        let agenda = [8, 12, 7, 3];
        let (text, over) = clock_text(
            2,
            Duration::from_secs(12 * MIN + 20),
            Duration::from_secs(MIN + 48),
            agenda,
        );
        assert_eq!(text, "Q3 5:12 left · 17:40 of 30 min left");
        assert!(!over);
        let (text, over) = clock_text(
            2,
            Duration::from_secs(31 * MIN),
            Duration::from_secs(8 * MIN + 5),
            agenda,
        );
        assert_eq!(text, "Q3 over by 1:05 · over 30 min by 1:00");
        assert!(over);
        // Over the session but not the question's slot is still a warning.
        assert!(clock_text(0, Duration::from_secs(31 * MIN), Duration::ZERO, agenda).1);
    }
}
