//! The start screen: the sessions in a folder, and a new one.

use super::Command;
use crate::model::text::escape_control;
use crate::store;
use crate::tui::keymap::Action;
use crate::tui::modal::{FormPurpose, Modal};
use crate::tui::theme::Theme;
use crate::tui::widgets::form::{Field, Form};
use crate::tui::widgets::text::{fit, width};
use chrono::NaiveDate;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use std::path::{Path, PathBuf};

/// A session file found by the start screen.
#[derive(Debug, Clone)]
pub struct SessionEntry {
    pub path: PathBuf,
    /// Title, last run and open threats, or why it could not be read.
    pub summary: Result<(String, Option<NaiveDate>, usize), String>,
}

#[derive(Debug)]
pub struct StartState {
    pub dir: PathBuf,
    pub entries: Vec<SessionEntry>,
    /// Index into entries; `entries.len()` is the "new session" row.
    pub selected: usize,
}

impl StartState {
    pub fn update(&mut self, action: Action) -> Vec<Command> {
        let rows = self.entries.len() + 1;
        match action {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(rows - 1),
            Action::Top => self.selected = 0,
            Action::Bottom => self.selected = rows - 1,
            Action::Add => return vec![new_session_form()],
            Action::Open => {
                let Some(entry) = self.entries.get(self.selected) else {
                    return vec![new_session_form()];
                };
                return match store::load(&entry.path) {
                    Ok(loaded) => vec![Command::Enter(Box::new(loaded), None)],
                    Err(e) => vec![Command::Error(e.to_string())],
                };
            }
            _ => {}
        }
        Vec::new()
    }

    /// The new-session form, submitted: the file is created in this folder and opened.
    pub fn submit(&mut self, mut form: Form) -> Vec<Command> {
        match store::create_session(&form.text("title"), &self.dir)
            .and_then(|path| store::load(&path).map_err(|e| e.to_string()))
        {
            Ok(loaded) => {
                let message = format!(
                    "created {}",
                    escape_control(&loaded.path.display().to_string())
                );
                vec![Command::Enter(Box::new(loaded), Some(message))]
            }
            Err(message) => {
                form.set_error("title", message);
                vec![Command::Open(Modal::Form {
                    form,
                    purpose: FormPurpose::NewSession,
                })]
            }
        }
    }

    pub fn draw(&self, t: &Theme, frame: &mut Frame, area: Rect) {
        let start = self;
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

    pub fn scan(dir: &Path) -> Self {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                    .collect()
            })
            .unwrap_or_default();
        paths.sort();
        let entries = paths
            .into_iter()
            .map(|path| {
                let summary = store::load(&path)
                    .map(|l| {
                        let s = &l.session;
                        let open = s.threats.iter().filter(|t| t.status.is_open()).count();
                        (s.title.clone(), s.last_run().map(|r| r.date), open)
                    })
                    .map_err(|e| e.to_string());
                SessionEntry { path, summary }
            })
            .collect();
        StartState {
            dir: dir.to_path_buf(),
            entries,
            selected: 0,
        }
    }
}

fn new_session_form() -> Command {
    Command::Open(Modal::Form {
        form: Form::new(
            "New session",
            vec![Field::text("title", "Title", "", "e.g. Checkout service")],
        ),
        purpose: FormPurpose::NewSession,
    })
}
