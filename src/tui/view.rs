//! Drawing the app: a pure function of its state.

use super::app::{App, Level, Modal, QUESTIONS, Screen, SessionState};
use super::diagram::{CrossingList, DiagramView};
use super::keymap;
use super::screens::build::Section;
use super::screens::{browse, build, respond, threats};
use super::widgets::key_hints;
use super::widgets::text::{fit, fit_line, width};
use crate::model::text::escape_control;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, TableState, Wrap};

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
                        format!(" sessions in {}", start.dir.display()),
                        app.theme.dim(),
                    )),
                ]),
                header,
            );
            draw_start(app, start, frame, body);
        }
        Screen::Session(s) => {
            draw_header(app, s, frame, header);
            match s.question {
                0 => draw_build(app, s, frame, body),
                1 => draw_threats(app, s, frame, body),
                2 => draw_respond(app, s, frame, body),
                q => draw_browse(app, s, q, frame, body),
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
    let contexts = app.contexts();
    // As many hints as fit whole; `?` (listed last) always fits because help is the way out.
    let mut hints: Vec<(&str, &str)> = keymap::bindings(&contexts)
        .filter(|b| b.footer && !b.label.is_empty())
        .map(|b| (b.label.split(' ').next().unwrap_or(b.label), short(b.help)))
        .collect();
    let width = |h: &[(&str, &str)]| -> usize {
        h.iter()
            .map(|(k, w)| unicode_width::UnicodeWidthStr::width(*k) + w.len() + 3)
            .sum()
    };
    while width(&hints) > footer.width as usize && hints.len() > 2 {
        hints.remove(hints.len() - 3);
    }
    frame.render_widget(Paragraph::new(key_hints(&hints, &app.theme)), footer);
    match &app.modal {
        None => {}
        Some(Modal::Help) => draw_help(app, frame, area),
        Some(Modal::Form { form, .. }) => {
            if let Some(cursor) = form.render(area, frame.buffer_mut(), &app.theme) {
                frame.set_cursor_position(cursor);
            }
        }
        Some(Modal::Picker(picker)) => draw_picker(app, picker, frame, area),
        Some(Modal::Commit(draft)) => draw_commit(app, draft, frame, area),
        Some(Modal::Notice { title, lines }) => {
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
            draw_dialog(app, frame, area, title, &lines);
        }
        Some(Modal::ConfirmDeleteThreat { message, .. }) => {
            draw_dialog(
                app,
                frame,
                area,
                "Delete threat?",
                &[
                    message.as_str(),
                    "",
                    "y delete (u undoes)   any other key: keep",
                ],
            );
        }
        Some(Modal::ConfirmDelete { message, .. }) => {
            draw_dialog(
                app,
                frame,
                area,
                "Delete?",
                &[
                    message.as_str(),
                    "",
                    "y delete (u undoes)   any other key: keep",
                ],
            );
        }
        Some(Modal::Recover { changes, .. }) => {
            let mut lines: Vec<&str> = vec![
                "Unsaved work from an earlier run of threatboard was found (autosave):",
                "",
            ];
            lines.extend(changes.iter().map(String::as_str));
            lines.extend([
                "",
                "r recover it   d discard it   any other key: decide later",
            ]);
            draw_dialog(app, frame, area, "Recover unsaved work?", &lines);
        }
        Some(Modal::WhatChanged { text, scroll, .. }) => {
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
                            .title_bottom(key_hints(
                                &[("↑↓", "scroll"), ("Enter", "continue: record today's run")],
                                t,
                            )),
                    ),
                popup,
            );
        }
        Some(Modal::SaveConflict) => {
            draw_dialog(
                app,
                frame,
                area,
                "The file changed on disk",
                &[
                    "Someone or something changed the session file since it was",
                    "opened here. What should happen to your changes?",
                    "",
                    "m  merge by element: both sides' changes stay; where both",
                    "   changed the same element, yours is kept (and named)",
                    "r  reload the file from disk, dropping your changes",
                    "k  keep mine beside it, as <name>.mine.toml",
                    "o  overwrite the file with mine",
                    "   any other key: cancel, nothing is saved",
                ],
            );
        }
        Some(Modal::ConfirmQuit) => {
            draw_dialog(
                app,
                frame,
                area,
                "Unsaved changes",
                &[
                    "The session has changes that are not saved.",
                    "",
                    "s save and quit   d discard and quit   any other key: stay",
                ],
            );
        }
    }
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

fn draw_start(app: &App, start: &super::app::StartState, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let mut lines = Vec::new();
    // The title column is as wide as the longest title, within reason, so the dates line up and
    // a long title ends in an ellipsis instead of running into them.
    let title_width = start
        .entries
        .iter()
        .filter_map(|e| e.summary.as_ref().ok())
        .map(|(title, _, _)| width(&escape_control(title)))
        .max()
        .unwrap_or(0)
        .clamp(10, 44);
    let row_width = usize::from(area.width.saturating_sub(4));
    // "  last run 2026-11-12    8 open threats" takes 39 cells; the title gives way first.
    let title_width = title_width.min(row_width.saturating_sub(39)).max(10);
    // File names (the header names the directory) are shown only when every one fits: a cut
    // name names no file, and a column that comes and goes between rows is harder to read.
    let file_name = |path: &std::path::Path| {
        escape_control(&path.file_name().unwrap_or_default().to_string_lossy()).into_owned()
    };
    let path_width = start
        .entries
        .iter()
        .map(|e| width(&file_name(&e.path)))
        .max()
        .unwrap_or(0);
    let show_paths = title_width + 39 + 3 + path_width <= row_width;
    for (i, entry) in start.entries.iter().enumerate() {
        let text = match &entry.summary {
            Ok((title, last, open)) => {
                let title = fit(&escape_control(title), title_width);
                let pad = " ".repeat(title_width - width(&title));
                let head = format!(
                    "{title}{pad}  last run {:<10}  {open:>3} open threat{}",
                    last.map_or("never".to_string(), |d| d.to_string()),
                    if *open == 1 { " " } else { "s" },
                );
                if show_paths {
                    format!("{head}   {}", file_name(&entry.path))
                } else {
                    head
                }
            }
            Err(e) => fit(&format!("unreadable: {}", escape_control(e)), row_width),
        };
        let style = if i == start.selected {
            t.selected()
        } else {
            t.normal()
        };
        let marker = if i == start.selected { "▸ " } else { "  " };
        lines.push(Line::from(Span::styled(format!("{marker}{text}"), style)));
    }
    let new_selected = start.selected >= start.entries.len();
    lines.push(Line::from(Span::styled(
        format!("{}+ New session", if new_selected { "▸ " } else { "  " }),
        if new_selected { t.selected() } else { t.key() },
    )));
    if start.entries.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled(
            "  No sessions here yet: press Enter to start one.",
            t.dim(),
        )));
    }
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::TOP)
                .border_style(t.border()),
        ),
        area,
    );
}

fn draw_build(app: &App, s: &SessionState, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let session = s.session();
    let [tabs, main] = Layout::vertical([Constraint::Length(1), Constraint::Min(2)]).areas(area);
    frame.render_widget(
        Paragraph::new(build::section_tabs(session, s.section, t)),
        tabs,
    );
    if s.section == Section::Diagram {
        let wide = main.width >= 100;
        let [left, right] = if wide {
            Layout::horizontal([Constraint::Min(40), Constraint::Length(38)]).areas(main)
        } else {
            Layout::vertical([Constraint::Min(8), Constraint::Length(6)]).areas(main)
        };
        frame.render_widget(
            DiagramView {
                layout: &s.derived.diagram,
                scroll: s.diagram_scroll,
                theme: *t,
                selected: None,
            },
            left,
        );
        frame.render_widget(
            CrossingList {
                layout: &s.derived.diagram,
                theme: *t,
            },
            right,
        );
        return;
    }
    let wide = main.width >= 100;
    let [list_area, detail_area] = if wide {
        Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)]).areas(main)
    } else {
        Layout::vertical([Constraint::Min(4), Constraint::Length(6)]).areas(main)
    };
    let crossing = |i: usize| s.derived.crossing.get(i).copied().unwrap_or(false);
    let (header, rows, widths) = build::rows(session, s.section, &crossing);
    let empty = rows.is_empty();
    let table = build::table(header, rows, widths, list_area.width, t).block(
        Block::default()
            .borders(Borders::TOP)
            .border_style(t.border()),
    );
    let mut state = TableState::default().with_selected(s.selected_row());
    frame.render_stateful_widget(table, list_area, &mut state);
    if empty {
        let hint = Rect {
            y: list_area.y + 2,
            height: 1,
            ..list_area
        };
        frame.render_widget(
            Paragraph::new(Span::styled(
                format!(
                    "  No {} yet: press a to add one.",
                    s.section.title().to_lowercase()
                ),
                t.dim(),
            )),
            hint,
        );
    }
    let details = s
        .selected_row()
        .map(|i| build::details(session, s.section, i, &s.derived.problems, t))
        .unwrap_or_default();
    frame.render_widget(
        Paragraph::new(details).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(if wide {
                    Borders::LEFT | Borders::TOP
                } else {
                    Borders::TOP
                })
                .border_style(t.border()),
        ),
        detail_area,
    );
}

fn draw_browse(app: &App, s: &SessionState, question: usize, frame: &mut Frame, area: Rect) {
    let _ = question;
    let lines = browse::review(s.session(), &s.derived.analysis, app.today, &app.theme);
    let max = lines.len().saturating_sub(1) as u16;
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((s.browse_scroll.min(max), 0))
            .block(
                Block::default()
                    .borders(Borders::TOP)
                    .border_style(app.theme.border()),
            ),
        area,
    );
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

fn draw_dialog(app: &App, frame: &mut Frame, area: Rect, title: &str, lines: &[&str]) {
    // Tall enough for the lines as they wrap in this width, so no choice is cut off.
    let popup_width = area.width.min(64);
    let inner = usize::from(popup_width.saturating_sub(2)).max(1);
    let rows: usize = lines
        .iter()
        .map(|l| width(&escape_control(l)).div_ceil(inner).max(1))
        .sum();
    let popup = centered(
        area,
        popup_width,
        u16::try_from(rows).unwrap_or(u16::MAX).saturating_add(2),
    );
    frame.render_widget(Clear, popup);
    let text: Vec<Line> = lines
        .iter()
        .map(|l| Line::raw(escape_control(l).into_owned()))
        .collect();
    frame.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(app.theme.border())
                .title(Span::styled(format!(" {title} "), app.theme.title())),
        ),
        popup,
    );
}

fn draw_help(app: &App, frame: &mut Frame, area: Rect) {
    let contexts = app.contexts();
    let mut lines = Vec::new();
    // Bindings without a label continue the one before them ("↑↓" covers both arrows).
    for b in keymap::bindings(&contexts).filter(|b| !b.label.is_empty()) {
        lines.push(Line::from(vec![
            Span::styled(format!(" {:<10}", b.label), app.theme.key()),
            Span::raw(b.help),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled(" In forms: Tab/↑↓ field, ←→ choose, space toggle, Enter save, Esc cancel; text fields: ←→ Home End, Ctrl-←/→ word, Ctrl-W/U/K delete, paste works.", app.theme.dim())));
    lines.push(Line::from(Span::styled(
        " Any key closes this help.",
        app.theme.dim(),
    )));
    let popup = centered(area, 90, lines.len() as u16 + 2);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(app.theme.border())
                .title(Span::styled(" Keys ", app.theme.title())),
        ),
        popup,
    );
}

fn draw_threats(app: &App, s: &SessionState, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let session = s.session();
    let wide = area.width >= 100;
    let [left, right] = if wide {
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area)
    } else {
        Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area)
    };
    let rows = &s.derived.elements;
    let selected = s.q2_element.min(rows.len().saturating_sub(1));
    // Only the rows in view are built: a large model has thousands.
    let height = left.height.saturating_sub(1) as usize;
    let scroll = selected.saturating_sub(height.saturating_sub(1));
    let mut lines = Vec::new();
    for (i, row) in rows.iter().enumerate().skip(scroll).take(height) {
        let is_sel = i == selected;
        let style = if is_sel && !s.q2_threats_pane {
            t.selected()
        } else if is_sel {
            t.title()
        } else {
            t.normal()
        };
        // The STRIDE marks first, in a fixed-width column, so long names cannot push them off.
        lines.push(Line::from(vec![
            Span::styled(if is_sel { "▸ " } else { "  " }, style),
            Span::styled(
                format!(
                    "{:<17} ",
                    threats::stride_marks(&row.applicable, &row.covered, &row.not_applicable)
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
                    usize::from(left.width.saturating_sub(2 + 18)),
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
        left,
    );
    let mut right_lines = Vec::new();
    if let Some(row) = s.q2_row() {
        // One line, whatever the name's length, so the element's threats stay in view.
        let inner_width = if wide {
            right.width.saturating_sub(1)
        } else {
            right.width
        };
        right_lines.push(Line::from(Span::styled(
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
        let covered = threats::covered(session, &row.id);
        let open = row.applicable.difference(&covered);
        right_lines.push(Line::raw(format!(
            "applies: {}   open: {}",
            row.applicable,
            if open.is_empty() {
                "none".to_string()
            } else {
                open.to_string()
            }
        )));
        right_lines.push(Line::raw(""));
        let list = threats::threats_of(session, &row.id, s.q2_by_risk);
        let sel = s.q2_threat.min(list.len().saturating_sub(1));
        for (i, (_, threat)) in list.iter().enumerate() {
            right_lines.push(threats::threat_line(
                threat,
                s.q2_threats_pane && i == sel,
                t,
            ));
        }
        if list.is_empty() {
            right_lines.push(Line::from(Span::styled(
                "  No threats here yet: a opens the library picker, c adds your own.",
                t.dim(),
            )));
        }
        if let Some(threat) = list.get(sel).map(|(_, t)| *t) {
            right_lines.push(Line::raw(""));
            for r in &threat.refs {
                let name = app
                    .libraries
                    .get(r)
                    .map(|(_, e)| format!("{}  {}", e.name, e.url))
                    .unwrap_or_else(|| "(not in the loaded libraries)".to_string());
                right_lines.push(Line::from(Span::styled(
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
        Paragraph::new(right_lines)
            .wrap(Wrap { trim: false })
            .block(
                Block::default()
                    .borders(if wide {
                        Borders::TOP | Borders::LEFT
                    } else {
                        Borders::TOP
                    })
                    .border_style(t.border()),
            ),
        right,
    );
}

fn draw_picker(app: &App, picker: &threats::Picker, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let popup = centered(
        area,
        area.width.saturating_sub(4).max(20),
        area.height.saturating_sub(4).max(8),
    );
    frame.render_widget(Clear, popup);
    let title = format!(
        " Threats for {} ({}) ",
        escape_control(&picker.target),
        picker.kind.as_str()
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(title, t.title()))
        .title_bottom(key_hints(
            &[
                ("type", "to search"),
                ("↑↓", "select"),
                ("Enter", "add"),
                ("Esc", "close"),
            ],
            t,
        ));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let [query_area, results] =
        Layout::vertical([Constraint::Length(2), Constraint::Min(1)]).areas(inner);
    let (shown, col) = picker
        .query
        .view(query_area.width.saturating_sub(10) as usize);
    frame.render_widget(
        Paragraph::new(vec![
            Line::from(vec![Span::styled(" search: ", t.key()), Span::raw(escape_control(&shown).into_owned())]),
            Line::from(Span::styled(
                if picker.query.text().is_empty() {
                    format!(" {} suggestions for the open STRIDE categories; type to search every library", picker.hits.len())
                } else {
                    format!(" {} matches", picker.hits.len())
                },
                t.dim(),
            )),
        ]),
        query_area,
    );
    frame.set_cursor_position((query_area.x + 9 + col as u16, query_area.y));
    let height = results.height as usize;
    let first = picker.selected.saturating_sub(height.saturating_sub(1));
    let lines: Vec<Line> = picker
        .hits
        .iter()
        .enumerate()
        .skip(first)
        .take(height)
        .map(|(i, hit)| threats::hit_line(hit, i == picker.selected, t))
        .collect();
    frame.render_widget(Paragraph::new(lines), results);
}

fn draw_respond(app: &App, s: &SessionState, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let session = s.session();
    let wide = area.width >= 100;
    let [left, right] = if wide {
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area)
    } else {
        Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area)
    };
    let order = respond::ordered(session);
    let selected = s.q3_threat.min(order.len().saturating_sub(1));
    let mut lines: Vec<Line> = order
        .iter()
        .enumerate()
        .filter_map(|(i, &ti)| {
            session
                .threats
                .get(ti)
                .map(|th| respond::threat_line(th, i == selected && !s.q3_mitigations_pane, t))
                .map(|line| fit_line(line, usize::from(left.width)))
        })
        .collect();
    if lines.is_empty() {
        lines.push(Line::from(Span::styled(
            "  No threats yet: add them in question 2.",
            t.dim(),
        )));
    }
    let height = left.height.saturating_sub(1) as usize;
    let scroll = selected.saturating_sub(height.saturating_sub(1)) as u16;
    frame.render_widget(
        Paragraph::new(lines).scroll((scroll, 0)).block(
            Block::default()
                .borders(Borders::TOP)
                .border_style(t.border())
                .title(Span::styled(" Threats by risk ", t.dim())),
        ),
        left,
    );
    let mut right_lines = Vec::new();
    if let Some(th) = s.q3_selected_threat().and_then(|i| session.threats.get(i)) {
        right_lines.push(Line::from(Span::styled(
            format!(
                "{} {}",
                escape_control(th.id.as_str()),
                escape_control(&th.title)
            ),
            t.title(),
        )));
        right_lines.push(Line::raw(format!(
            "on {}  risk {}  response {}  status {}",
            escape_control(th.target.as_str()),
            th.risk().map_or("unrated", |r| r.as_str()),
            th.response.as_str(),
            th.status.as_str()
        )));
        right_lines.push(Line::raw(""));
        let mitigations = respond::mitigations_of(session, th.id.as_str());
        let msel = s.q3_mitigation.min(mitigations.len().saturating_sub(1));
        for (i, &mi) in mitigations.iter().enumerate() {
            if let Some(m) = session.mitigations.get(mi) {
                right_lines.push(respond::mitigation_line(
                    m,
                    app.today,
                    s.q3_mitigations_pane && i == msel,
                    t,
                ));
            }
        }
        if let Some(a) = session.acceptance(th.id.as_str()) {
            right_lines.push(Line::raw(""));
            right_lines.push(Line::raw(format!(
                "accepted by {}: {}",
                escape_control(&a.accepted_by),
                escape_control(&a.justification)
            )));
            right_lines.push(Line::raw(format!(
                "review by {}",
                a.review_by
                    .map_or("⚠ NO DATE".to_string(), crate::model::due::with_weekday)
            )));
        }
        if mitigations.is_empty() && session.acceptance(th.id.as_str()).is_none() {
            right_lines.push(Line::from(Span::styled(
                "  m mitigate (then a adds a mitigation), x accept, t transfer, v avoid",
                t.dim(),
            )));
        }
    }
    frame.render_widget(
        Paragraph::new(right_lines)
            .wrap(Wrap { trim: false })
            .block(
                Block::default()
                    .borders(if wide {
                        Borders::TOP | Borders::LEFT
                    } else {
                        Borders::TOP
                    })
                    .border_style(t.border()),
            ),
        right,
    );
}

fn draw_commit(app: &App, draft: &super::app::CommitDraft, frame: &mut Frame, area: Rect) {
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
