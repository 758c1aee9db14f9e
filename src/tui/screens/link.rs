//! Question 3's picker of the session's mitigations, to link one to the selected threat (a
//! mitigation may cover several threats: one WAF rule, one rate limit) or to unlink one from
//! it. Fuzzy-filtered by id, action and owner as the team types.

use super::{Command, Cx};
use crate::model::Mitigation;
use crate::model::edit::{Edit, Item};
use crate::model::text::escape_control;
use crate::tui::keymap::Action;
use crate::tui::modal::Modal;
use crate::tui::theme::Theme;
use crate::tui::widgets::dialog::centered;
use crate::tui::widgets::key_hints;
use crate::tui::widgets::text::{fit, plural, sanitize};
use crate::tui::widgets::text_input::TextInput;
use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

#[derive(Debug)]
pub struct LinkPicker {
    /// The threat to link to (index into the session's threats) and its id.
    pub threat: usize,
    pub threat_id: String,
    pub query: TextInput,
    /// Mitigation indices matching the query, best first.
    pub hits: Vec<usize>,
    pub selected: usize,
}

impl LinkPicker {
    pub fn open(cx: &Cx, threat: usize) -> Option<Self> {
        let threat_id = cx.session.threats.get(threat)?.id.to_string();
        let mut picker = LinkPicker {
            threat,
            threat_id,
            query: TextInput::new(""),
            hits: Vec::new(),
            selected: 0,
        };
        picker.refresh(cx);
        Some(picker)
    }

    fn refresh(&mut self, cx: &Cx) {
        self.hits = search(&cx.session.mitigations, self.query.text());
        self.selected = self.selected.min(self.hits.len().saturating_sub(1));
    }

    pub fn paste(&mut self, text: &str, cx: &Cx) {
        self.query.insert(text);
        self.refresh(cx);
    }

    pub fn handle_key(mut self, action: Option<Action>, key: KeyEvent, cx: &Cx) -> Vec<Command> {
        let last = self.hits.len().saturating_sub(1);
        match action {
            Some(Action::Cancel) => return Vec::new(),
            Some(Action::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Action::Down) => self.selected = (self.selected + 1).min(last),
            Some(Action::PageDown) => self.selected = (self.selected + 10).min(last),
            Some(Action::PageUp) => self.selected = self.selected.saturating_sub(10),
            Some(Action::Submit) => {
                let Some(&index) = self.hits.get(self.selected) else {
                    return vec![
                        Command::info("no mitigation selected: type to search, Esc closes"),
                        Command::Open(Modal::Link(self)),
                    ];
                };
                return toggle(cx, index, &self.threat_id)
                    .into_iter()
                    .collect::<Vec<_>>();
            }
            _ => {
                if self.query.handle_key(key) {
                    self.refresh(cx);
                }
            }
        }
        vec![Command::Open(Modal::Link(self))]
    }

    pub fn draw(&self, cx: &Cx, theme: &Theme, frame: &mut Frame, area: Rect) {
        let width = area.width.saturating_sub(4).clamp(20, 100);
        let height = area.height.saturating_sub(2).clamp(6, 20);
        let popup = centered(area, width, height);
        frame.render_widget(Clear, popup);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border())
            .title(Span::styled(
                format!(" Link a mitigation to {} ", escape_control(&self.threat_id)),
                theme.title(),
            ))
            .title_bottom(key_hints(
                &[
                    ("↑↓", "select"),
                    ("Enter", "link / unlink"),
                    ("Esc", "close"),
                ],
                theme,
            ));
        let inner = block.inner(popup);
        frame.render_widget(block, popup);
        let row_width = usize::from(inner.width);
        let (shown, col) = self.query.view(row_width.saturating_sub(9));
        let mut lines = vec![
            Line::from(vec![
                Span::styled(" search: ", theme.key()),
                Span::raw(escape_control(&shown).into_owned()),
            ]),
            Line::from(Span::styled(
                format!(
                    " {} of {}; ✓ covers {} already",
                    plural(self.hits.len(), "match", "matches"),
                    cx.session.mitigations.len(),
                    escape_control(&self.threat_id)
                ),
                theme.dim(),
            )),
        ];
        // Two rows a mitigation: its action, then its owner and what it covers, so that a
        // long action does not hide who owns it.
        let rows = usize::from(inner.height).saturating_sub(2) / 2;
        let scroll = self.selected.saturating_sub(rows.saturating_sub(1));
        for (i, &m) in self.hits.iter().enumerate().skip(scroll).take(rows) {
            let Some(m) = cx.session.mitigations.get(m) else {
                continue;
            };
            let linked = m.threats.iter().any(|t| t.as_str() == self.threat_id);
            let owner = if m.owner.trim().is_empty() {
                "no owner"
            } else {
                m.owner.as_str()
            };
            let covers: Vec<&str> = m.threats.iter().map(|t| t.as_str()).collect();
            let style = if i == self.selected {
                theme.selected()
            } else {
                theme.normal()
            };
            let action = format!(
                "{}{} {} {}",
                if i == self.selected { "▸ " } else { "  " },
                if linked { "✓" } else { " " },
                m.id.as_str(),
                m.action
            );
            let about = format!("      {owner} · covers {}", covers.join(", "));
            // `sanitize` makes control characters visible: these are file text.
            lines.push(Line::from(Span::styled(
                fit(&sanitize(&action), row_width),
                style,
            )));
            lines.push(Line::from(Span::styled(
                fit(&sanitize(&about), row_width),
                theme.dim(),
            )));
        }
        if cx.session.mitigations.is_empty() {
            lines.push(Line::from(Span::styled(
                "  No mitigations yet: a adds one.",
                theme.dim(),
            )));
        }
        frame.render_widget(Paragraph::new(lines), inner);
        frame.set_cursor_position((inner.x + 9 + col as u16, inner.y));
    }
}

/// Mitigations matching `query` by id, action and owner, best first; all of them, in file
/// order, when the query is empty. Those holding every word typed come first and alone, in
/// file order; only when none does are fuzzy matches shown (a fuzzy "rate" matches almost
/// any sentence).
pub fn search(mitigations: &[Mitigation], query: &str) -> Vec<usize> {
    let query = query.trim();
    if query.is_empty() {
        return (0..mitigations.len()).collect();
    }
    let text =
        |m: &Mitigation| format!("{} {} {}", m.id.as_str(), m.action, m.owner).to_lowercase();
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    let holding: Vec<usize> = mitigations
        .iter()
        .enumerate()
        .filter(|(_, m)| {
            let text = text(m);
            words.iter().all(|w| text.contains(w.as_str()))
        })
        .map(|(i, _)| i)
        .collect();
    if !holding.is_empty() {
        return holding;
    }
    let matcher = SkimMatcherV2::default();
    let mut scored: Vec<(i64, usize)> = mitigations
        .iter()
        .enumerate()
        .filter_map(|(i, m)| {
            let text = format!("{} {} {}", m.id.as_str(), m.action, m.owner);
            matcher.fuzzy_match(&text, query).map(|score| (score, i))
        })
        .collect();
    // Best first; ties in file order.
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, i)| i).collect()
}

/// The edit that links mitigation `index` to `threat`, or unlinks it when it covers it
/// already; a mitigation covering only this threat is not unlinked (it would cover nothing):
/// `d` deletes it.
pub fn toggle(cx: &Cx, index: usize, threat: &str) -> Option<Command> {
    let mut m = cx.session.mitigations.get(index)?.clone();
    let id = m.id.to_string();
    let message = if let Some(pos) = m.threats.iter().position(|t| t.as_str() == threat) {
        if m.threats.len() == 1 {
            return Some(Command::Error(format!(
                "{id} covers only {threat}: unlinking would leave it covering nothing (d deletes it)"
            )));
        }
        m.threats.remove(pos);
        format!("{id} unlinked from {threat}")
    } else {
        m.threats.push(threat.into());
        format!("{id} now also covers {threat}")
    };
    Some(Command::apply(
        Edit::Replace {
            index,
            item: Item::Mitigation(m),
        },
        message,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mitigation(id: &str, action: &str, owner: &str) -> Mitigation {
        Mitigation {
            id: id.into(),
            threats: vec!["TH-001".into()],
            action: action.into(),
            owner: owner.into(),
            due: None,
            status: crate::model::MitigationStatus::Planned,
            ticket: String::new(),
        }
    }

    #[test]
    fn words_typed_win_over_fuzzy_matches() {
        let all = [
            mitigation("MI-001", "Rate-limit the login endpoint", "Lena"),
            mitigation("MI-002", "Require passkeys at the edge", "Noor"),
            mitigation("MI-003", "Rotate tokens", "Tomasz"),
        ];
        assert_eq!(search(&all, ""), vec![0, 1, 2]);
        // "rate" is a fuzzy match of "Require passkeys at the edge" too; the words win.
        assert_eq!(search(&all, "rate"), vec![0]);
        assert_eq!(search(&all, "noor"), vec![1], "by owner");
        assert_eq!(search(&all, "mi-003"), vec![2], "by id");
        // No word matches: fuzzy, best first.
        assert_eq!(search(&all, "rttkn").first(), Some(&2));
        assert!(search(&all, "zzzz").is_empty());
    }
}
