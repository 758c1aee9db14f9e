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
                };
                picker.draw(&cx, theme, frame, area);
            }
        }
        Modal::Commit(draft) => draw_commit(app, draft, frame, area),
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
    let (elapsed, agenda) = app
        .clock()
        .unwrap_or((s.started.elapsed(), s.session().agenda_minutes()));
    let total: u32 = agenda.iter().sum();
    let secs = elapsed.as_secs();
    // The clock says where the agenda puts the team now, against the question on screen.
    let end_of_current: u64 = agenda[..=s.question]
        .iter()
        .map(|m| u64::from(*m) * 60)
        .sum();
    let (clock_text, clock_style) = if secs <= end_of_current {
        let left = end_of_current - secs;
        (
            format!("Q{} {}:{:02} left", s.question + 1, left / 60, left % 60),
            t.normal(),
        )
    } else {
        let over = secs - end_of_current;
        (
            format!("Q{} OVER {}:{:02}", s.question + 1, over / 60, over % 60),
            t.warning(),
        )
    };
    let saved = if s.history.is_dirty() {
        Span::styled("● unsaved", t.warning())
    } else {
        Span::styled("✓ saved", t.ok())
    };
    // On a narrow screen the title gives way, so the clock and the saved state stay visible.
    let mut title = escape_control(&s.session().title).into_owned();
    let room = (area.width as usize).saturating_sub(48).max(8);
    if title.chars().count() > room {
        title = title.chars().take(room - 1).collect::<String>() + "…";
    }
    let line1 = Line::from(vec![
        Span::styled(format!(" {title} "), t.title()),
        Span::raw("│ "),
        Span::raw(format!("{:02}:{:02}/{total}:00 ", secs / 60, secs % 60)),
        Span::styled(clock_text, clock_style),
        Span::raw(" │ "),
        saved,
    ]);
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

fn draw_commit(app: &App, draft: &CommitDraft, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let mut lines = vec![Line::from(Span::styled(
        format!(" Changes {}:", draft.baseline),
        t.dim(),
    ))];
    for change in &draft.changes {
        lines.push(Line::raw(format!("   {}", escape_control(change))));
    }
    if draft.detached {
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled(
            " ⚠ HEAD is detached: the commit will be on no branch (git switch -c <name> first)",
            t.warning(),
        )));
    }
    lines.push(Line::raw(""));
    let height = lines.len() as u16 + 6;
    let popup = centered(area, area.width.saturating_sub(6).clamp(20, 100), height);
    frame.render_widget(Clear, popup);
    let action = if draft.in_git {
        " save and commit"
    } else {
        " save (not a git work tree)"
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(" Commit the session ", t.title()))
        .title_bottom(Line::from(vec![
            Span::styled(" Enter", t.key()),
            Span::raw(action),
            Span::raw("  "),
            Span::styled("Esc", t.key()),
            Span::raw(" cancel "),
        ]));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let message_width = inner.width.saturating_sub(11) as usize;
    let (shown, col) = draft.message.view(message_width);
    lines.push(Line::from(vec![
        Span::styled(" message: ", t.key()),
        Span::styled(escape_control(&shown).into_owned(), t.selected()),
    ]));
    let message_row = inner.y + lines.len() as u16 - 1;
    frame.render_widget(Paragraph::new(lines), inner);
    if message_row < inner.bottom() {
        frame.set_cursor_position((inner.x + 10 + col as u16, message_row));
    }
}
