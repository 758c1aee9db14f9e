//! The library picker of question 2: a fuzzy search over every loaded library, updated on
//! every key, with suggestions for the element before anything is typed.

use super::{ElementRow, ThreatsState};
use crate::library::{LibrarySet, SearchOptions};
use crate::model::edit::{Edit, Item};
use crate::model::text::escape_control;
use crate::model::{ElementKind, LibraryRef, Response, Session, StrideSet, Threat, ThreatStatus};
use crate::tui::keymap::{self, Action, Context};
use crate::tui::modal::Modal;
use crate::tui::screens::{Command, Cx};
use crate::tui::theme::Theme;
use crate::tui::widgets::dialog::centered;
use crate::tui::widgets::key_hints;
use crate::tui::widgets::text_input::TextInput;
use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

/// One result of the picker, owned so the picker does not borrow the libraries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickerHit {
    pub reference: LibraryRef,
    pub name: String,
    pub stride: StrideSet,
    /// Why it is listed: "name", "tag sqli", "suggested: covers T, I".
    pub why: String,
    /// Characters of `name` to highlight.
    pub positions: Vec<usize>,
}

/// The fuzzy picker over every loaded library, filtered to the element's kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    pub target: String,
    pub kind: ElementKind,
    pub query: TextInput,
    pub hits: Vec<PickerHit>,
    pub selected: usize,
}

const PICKER_LIMIT: usize = 50;

impl Picker {
    pub fn open(s: &Session, libraries: &LibrarySet, row: &ElementRow) -> Picker {
        let mut picker = Picker {
            target: row.id.clone(),
            kind: row.kind,
            query: TextInput::default(),
            hits: Vec::new(),
            selected: 0,
        };
        picker.refresh(s, libraries, row);
        picker
    }

    /// Recomputes the results for the current query: on every key, since search takes well
    /// under a millisecond.
    pub fn refresh(&mut self, s: &Session, libraries: &LibrarySet, row: &ElementRow) {
        let query = self.query.text().trim();
        self.selected = 0;
        self.hits = if query.is_empty() {
            suggestions(s, libraries, row)
        } else {
            libraries
                .search(
                    query,
                    &SearchOptions {
                        kind: Some(self.kind),
                        limit: PICKER_LIMIT,
                        ..SearchOptions::default()
                    },
                )
                .into_iter()
                .map(|h| PickerHit {
                    reference: h.reference(),
                    name: h.entry.name.clone(),
                    stride: h.entry.stride.clone(),
                    why: match h.field {
                        crate::library::search::MatchField::Name => String::new(),
                        other => format!("{} {}", other.as_str(), h.matched),
                    },
                    positions: if h.field == crate::library::search::MatchField::Name {
                        h.positions.clone()
                    } else {
                        Vec::new()
                    },
                })
                .collect()
        };
    }

    pub fn selected_hit(&self) -> Option<&PickerHit> {
        self.hits.get(self.selected)
    }

    /// Recomputes the results against the element as it is now.
    pub fn refresh_for(&mut self, cx: &Cx) {
        if let Some(row) = cx.derived.elements.iter().find(|r| r.id == self.target) {
            self.refresh(cx.session, cx.libraries, row);
        }
    }

    /// Types pasted text into the search.
    pub fn paste(&mut self, text: &str, cx: &Cx) {
        self.query.insert(text);
        self.refresh_for(cx);
    }

    /// A key in the picker: `action` is its binding in the picker's context; any other key
    /// goes to the search text. Enter adds the selected entry as a threat (selected then in
    /// `state`), Esc closes.
    pub fn handle_key(
        mut self,
        action: Option<Action>,
        key: KeyEvent,
        state: &mut ThreatsState,
        cx: &Cx,
    ) -> Vec<Command> {
        let last = self.hits.len().saturating_sub(1);
        match action {
            Some(Action::Cancel) => return Vec::new(),
            Some(Action::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Action::Down) => self.selected = (self.selected + 1).min(last),
            Some(Action::PageDown) => self.selected = (self.selected + 10).min(last),
            Some(Action::PageUp) => self.selected = self.selected.saturating_sub(10),
            Some(Action::Submit) => {
                let Some(hit) = self.selected_hit().cloned() else {
                    return vec![
                        Command::info("nothing selected: type to search, Esc closes"),
                        Command::Open(Modal::Picker(self)),
                    ];
                };
                let Some(row) = cx.derived.elements.iter().find(|r| r.id == self.target) else {
                    return Vec::new();
                };
                let edit = add_from_library(cx.session, &row.id, &row.applicable, &hit);
                let id = cx.session.next_threat_id().to_string();
                state.focus_on(id.clone());
                return vec![Command::apply(
                    edit,
                    format!("{id} added: {} ({})", hit.name, hit.reference),
                )];
            }
            _ => {
                if self.query.handle_key(key) {
                    self.refresh_for(cx);
                }
            }
        }
        vec![Command::Open(Modal::Picker(self))]
    }

    pub fn draw(&self, theme: &Theme, frame: &mut Frame, area: Rect) {
        let t = theme;
        let popup = centered(
            area,
            area.width.saturating_sub(4).max(20),
            area.height.saturating_sub(4).max(8),
        );
        frame.render_widget(Clear, popup);
        let title = format!(
            " Threats for {} ({}) ",
            escape_control(&self.target),
            self.kind.as_str()
        );
        let mut hints = vec![("type", "to search")];
        hints.extend(
            keymap::bindings(&[Context::Picker])
                .filter(|b| b.footer)
                .map(|b| (b.label, b.help)),
        );
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.border())
            .title(Span::styled(title, t.title()))
            .title_bottom(key_hints(&hints, t));
        let inner = block.inner(popup);
        frame.render_widget(block, popup);
        let [query_area, results] =
            Layout::vertical([Constraint::Length(2), Constraint::Min(1)]).areas(inner);
        let (shown, col) = self
            .query
            .view(query_area.width.saturating_sub(10) as usize);
        let summary = if self.query.text().is_empty() {
            format!(
                " {} suggestions for the open STRIDE categories; type to search every library",
                self.hits.len()
            )
        } else {
            format!(" {} matches", self.hits.len())
        };
        frame.render_widget(
            Paragraph::new(vec![
                Line::from(vec![
                    Span::styled(" search: ", t.key()),
                    Span::raw(escape_control(&shown).into_owned()),
                ]),
                Line::from(Span::styled(summary, t.dim())),
            ]),
            query_area,
        );
        frame.set_cursor_position((query_area.x + 9 + col as u16, query_area.y));
        let height = results.height as usize;
        let first = self.selected.saturating_sub(height.saturating_sub(1));
        let lines: Vec<Line> = self
            .hits
            .iter()
            .enumerate()
            .skip(first)
            .take(height)
            .map(|(i, hit)| hit_line(hit, i == self.selected, t))
            .collect();
        frame.render_widget(Paragraph::new(lines), results);
    }
}

/// Library entries that fit an element when nothing is typed yet: they apply to its kind and
/// cover a STRIDE category still open on it, from the short curated libraries first (STRIDE,
/// OWASP), whose entries make good session-level threats; tag matches with the element's tags and
/// protocol rank higher.
pub fn suggestions(s: &Session, libraries: &LibrarySet, row: &ElementRow) -> Vec<PickerHit> {
    let gaps = row.applicable.difference(&row.covered);
    let words: Vec<String> = match row.kind {
        ElementKind::Flow => s
            .flow(&row.id)
            .map(|f| {
                let mut w: Vec<String> = f.tags.clone();
                w.extend(f.protocol.split_whitespace().map(str::to_lowercase));
                w
            })
            .unwrap_or_default(),
        _ => s
            .component(&row.id)
            .map(|c| c.tags.clone())
            .unwrap_or_default(),
    };
    let already: Vec<&LibraryRef> = s.threats_on(&row.id).flat_map(|t| t.refs.iter()).collect();
    let mut scored = Vec::new();
    for lib in libraries.libraries() {
        let curated = !matches!(lib.id(), "attack" | "capec");
        for e in lib.entries() {
            if !e.applies_to.contains(&row.kind) {
                continue;
            }
            let covers = e.stride.intersection(&gaps);
            if covers.is_empty() {
                continue;
            }
            let reference = lib.reference(e);
            if already.contains(&&reference) {
                continue;
            }
            let tag_hits = e
                .tags
                .iter()
                .filter(|t| words.iter().any(|w| w.eq_ignore_ascii_case(t)))
                .count();
            let score = covers.len() as i64 + 3 * tag_hits as i64 + if curated { 4 } else { 0 };
            if !curated && tag_hits == 0 {
                continue; // ATT&CK and CAPEC are too large to suggest without a specific reason
            }
            scored.push((
                score,
                PickerHit {
                    reference,
                    name: e.name.clone(),
                    stride: e.stride.clone(),
                    why: format!("suggested: covers {covers}"),
                    positions: Vec::new(),
                },
            ));
        }
    }
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.reference.cmp(&b.1.reference)));
    scored
        .into_iter()
        .take(PICKER_LIMIT)
        .map(|(_, h)| h)
        .collect()
}

/// The edit that adds a threat from a library entry to an element. Its STRIDE letters are the
/// entry's that apply to the element (all of them if none apply).
pub fn add_from_library(
    s: &Session,
    target: &str,
    applicable: &StrideSet,
    hit: &PickerHit,
) -> Edit {
    let letters = hit.stride.intersection(applicable);
    Edit::Insert {
        index: s.threats.len(),
        item: Item::Threat(Threat {
            rule: None,
            id: s.next_threat_id(),
            target: target.into(),
            title: hit.name.clone(),
            stride: if letters.is_empty() {
                hit.stride.clone()
            } else {
                letters
            },
            refs: vec![hit.reference.clone()],
            likelihood: None,
            impact: None,
            response: Response::Undecided,
            status: ThreatStatus::Open,
            notes: String::new(),
        }),
    }
}

/// A picker result with the matched characters of its name highlighted (underlined, so it
/// shows without colour).
pub fn hit_line(hit: &PickerHit, selected: bool, theme: &Theme) -> Line<'static> {
    let base = if selected {
        theme.selected()
    } else {
        theme.normal()
    };
    let mut spans = vec![Span::styled(
        format!(
            "{}{:<22} ",
            if selected { "▸ " } else { "  " },
            hit.reference.as_str()
        ),
        base,
    )];
    for (i, c) in escape_control(&hit.name).chars().enumerate() {
        let style = if hit.positions.contains(&i) {
            base.patch(theme.highlight())
        } else {
            base
        };
        spans.push(Span::styled(c.to_string(), style));
    }
    spans.push(Span::styled(format!("  [{}]", hit.stride), theme.dim()));
    if !hit.why.is_empty() {
        spans.push(Span::styled(
            format!("  {}", escape_control(&hit.why)),
            theme.dim(),
        ));
    }
    Line::from(spans)
}
