//! The library picker of question 2: a search over every loaded library, updated on every key,
//! with suggestions for the element before anything is typed, and a preview of the entry under
//! the cursor. Enter opens the threat form filled in from that entry, so the team confirms the
//! STRIDE letters before the threat is added.
//!
//! The list is [`LibrarySet::search`]'s, in the same order as `library search` gives for the
//! same query: the element's kind only moves entries that do not apply to it after those that
//! do within their tier, and marks them. Nothing is filtered out.

use super::ElementRow;
use super::form::library_threat_form;
use crate::library::{LibrarySet, SearchCounts, SearchOptions};
use crate::model::text::escape_control;
use crate::model::{ElementKind, LibraryRef, Session, StrideSet};
use crate::tui::keymap::{self, Action, Context};
use crate::tui::modal::{FormPurpose, Modal};
use crate::tui::screens::{Command, Cx};
use crate::tui::theme::Theme;
use crate::tui::widgets::dialog::centered;
use crate::tui::widgets::text::{self, fit, sanitize, wrap};
use crate::tui::widgets::text_input::TextInput;
use crate::tui::widgets::{SIDE_BY_SIDE, key_hints};
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
    /// Why it is listed: "tag sqli", "csrf: name", "description", "suggested: covers T, I";
    /// empty for a plain name match.
    pub why: String,
    /// Characters of `name` to highlight.
    pub positions: Vec<usize>,
    /// The entry applies to the element's kind. Those that do not are listed after those that
    /// do in their tier, and marked.
    pub fits: bool,
}

/// The picker over every loaded library, for one element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    pub target: String,
    pub kind: ElementKind,
    pub query: TextInput,
    pub hits: Vec<PickerHit>,
    pub selected: usize,
    /// How many entries match the query, before the list was cut to its limit.
    pub counts: SearchCounts,
}

const PICKER_LIMIT: usize = 50;

/// The picker's results for a query typed on an element of this kind: the search's order, with
/// entries that fit the kind first within each tier. `limit` 0 means all.
pub fn picker_search(
    libraries: &LibrarySet,
    query: &str,
    kind: ElementKind,
    limit: usize,
) -> (Vec<PickerHit>, SearchCounts) {
    let (hits, counts) = libraries.search_counted(
        query,
        &SearchOptions {
            prefer_kind: Some(kind),
            limit,
            ..SearchOptions::default()
        },
    );
    let hits = hits
        .into_iter()
        .map(|h| PickerHit {
            reference: h.reference(),
            name: h.entry.name.clone(),
            stride: h.entry.stride.clone(),
            why: h.reason(),
            positions: if h.field == crate::library::MatchField::Name {
                h.positions.clone()
            } else {
                Vec::new()
            },
            fits: h.fits.unwrap_or(true),
        })
        .collect();
    (hits, counts)
}

/// How the picker marks an entry that does not apply to the element's kind.
pub fn not_usual(kind: ElementKind) -> &'static str {
    match kind {
        ElementKind::Process => "not usual on a process",
        ElementKind::DataStore => "not usual on a data store",
        ElementKind::ExternalEntity => "not usual on an external entity",
        ElementKind::Flow => "not usual on a flow",
    }
}

impl Picker {
    pub fn open(s: &Session, libraries: &LibrarySet, row: &ElementRow) -> Picker {
        let mut picker = Picker {
            target: row.id.clone(),
            kind: row.kind,
            query: TextInput::default(),
            hits: Vec::new(),
            selected: 0,
            counts: SearchCounts::default(),
        };
        picker.refresh(s, libraries, row);
        picker
    }

    /// Recomputes the results for the current query: on every key, since search takes well
    /// under a millisecond.
    pub fn refresh(&mut self, s: &Session, libraries: &LibrarySet, row: &ElementRow) {
        let query = self.query.text().trim();
        self.selected = 0;
        if query.is_empty() {
            self.hits = suggestions(s, libraries, row);
            self.counts = SearchCounts {
                total: self.hits.len(),
                not_fitting: 0,
            };
        } else {
            (self.hits, self.counts) = picker_search(libraries, query, self.kind, PICKER_LIMIT);
        }
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
    /// goes to the search text. Enter opens the threat form for the selected entry, Esc closes.
    pub fn handle_key(mut self, action: Option<Action>, key: KeyEvent, cx: &Cx) -> Vec<Command> {
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
                // The form, not the picker, adds the threat: the team confirms its letters.
                let form =
                    library_threat_form(&hit.reference, &hit.name, &hit.stride, &row.applicable);
                return vec![Command::Open(Modal::Form {
                    form,
                    purpose: FormPurpose::Threat {
                        target: row.id.clone(),
                        index: None,
                    },
                })];
            }
            _ => {
                if self.query.handle_key(key) {
                    self.refresh_for(cx);
                }
            }
        }
        vec![Command::Open(Modal::Picker(self))]
    }

    /// The summary under the search line: how many match, how many do not fit the element.
    pub fn summary(&self) -> String {
        if self.query.text().trim().is_empty() {
            let from_rules = self.hits.iter().any(|h| h.why.starts_with("rule "));
            return format!(
                " {} {}; type to search every library",
                self.hits.len(),
                if from_rules {
                    "entries the threat rules cite for this element"
                } else {
                    "STRIDE categories still open here (no rule fires)"
                }
            );
        }
        let SearchCounts { total, not_fitting } = self.counts;
        if total == 0 {
            return " no matches: try other words, an id (T1190, CAPEC-66) or an abbreviation (csrf)"
                .to_string();
        }
        let unusual = if not_fitting > 0 {
            format!(", {not_fitting} {}", not_usual(self.kind))
        } else {
            String::new()
        };
        let matches = crate::tui::widgets::text::plural(total, "match", "matches");
        if self.hits.len() < total {
            format!(" {matches}{unusual}; first {} shown", self.hits.len())
        } else {
            format!(" {matches}{unusual}")
        }
    }

    pub fn draw(&self, libraries: &LibrarySet, theme: &Theme, frame: &mut Frame, area: Rect) {
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
        let [query_area, body] =
            Layout::vertical([Constraint::Length(2), Constraint::Min(1)]).areas(inner);
        let (shown, col) = self
            .query
            .view(query_area.width.saturating_sub(10) as usize);
        frame.render_widget(
            Paragraph::new(vec![
                Line::from(vec![
                    Span::styled(" search: ", t.key()),
                    Span::raw(escape_control(&shown).into_owned()),
                ]),
                Line::from(Span::styled(
                    fit(&self.summary(), usize::from(query_area.width)),
                    t.dim(),
                )),
            ]),
            query_area,
        );
        frame.set_cursor_position((query_area.x + 9 + col as u16, query_area.y));
        // The preview beside the results on a wide screen; below them, a few lines, otherwise.
        let side_by_side = body.width >= SIDE_BY_SIDE;
        let [results, preview] = if side_by_side {
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body)
        } else {
            let height = (body.height / 2).min(8);
            Layout::vertical([Constraint::Min(1), Constraint::Length(height)]).areas(body)
        };
        let height = results.height as usize;
        let first = self.selected.saturating_sub(height.saturating_sub(1));
        let columns = HitColumns::for_hits(&self.hits, usize::from(results.width));
        let lines: Vec<Line> = self
            .hits
            .iter()
            .enumerate()
            .skip(first)
            .take(height)
            .map(|(i, hit)| hit_line(hit, i == self.selected, self.kind, t, columns))
            .collect();
        frame.render_widget(Paragraph::new(lines), results);
        let block = Block::default()
            .borders(if side_by_side {
                Borders::LEFT
            } else {
                Borders::TOP
            })
            .border_style(t.border())
            .title(Span::styled(" Preview ", t.dim()));
        let text_area = block.inner(preview);
        frame.render_widget(block, preview);
        let lines = self.selected_hit().map_or_else(
            || vec![Line::from(Span::styled("nothing selected", t.dim()))],
            |hit| {
                preview_lines(
                    libraries,
                    hit,
                    self.kind,
                    t,
                    usize::from(text_area.width.saturating_sub(1)),
                    usize::from(text_area.height),
                    side_by_side,
                )
            },
        );
        // One column of margin from the border on the left.
        let text_area = Rect {
            x: text_area.x + 1,
            width: text_area.width.saturating_sub(1),
            ..text_area
        };
        frame.render_widget(Paragraph::new(lines), text_area);
    }
}

/// The preview of a picker result, at most `height` lines of at most `width` cells: name;
/// library, reference and STRIDE letters; summary; link; related ids. `roomy` (beside the list)
/// adds blank lines and wraps the link and the related ids; otherwise each takes one line and
/// the summary the lines left.
pub fn preview_lines(
    libraries: &LibrarySet,
    hit: &PickerHit,
    kind: ElementKind,
    theme: &Theme,
    width: usize,
    height: usize,
    roomy: bool,
) -> Vec<Line<'static>> {
    let width = width.max(1);
    let Some((library, entry)) = libraries.get(&hit.reference) else {
        return vec![Line::from(Span::styled(
            fit(
                &format!(
                    "{} is not in the loaded libraries",
                    sanitize(hit.reference.as_str())
                ),
                width,
            ),
            theme.dim(),
        ))];
    };
    let mut head: Vec<Line<'static>> = wrap(&sanitize(&entry.name), width, width, 2)
        .into_iter()
        .map(|l| Line::from(Span::styled(l, theme.title())))
        .collect();
    let letters = if entry.stride.is_empty() {
        "none".to_string()
    } else {
        entry
            .stride
            .iter()
            .map(|s| s.letter().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let about = format!(
        "{} · {} · STRIDE {letters}{}",
        sanitize(&library.info.name),
        sanitize(hit.reference.as_str()),
        if hit.fits {
            String::new()
        } else {
            format!(" · {}", not_usual(kind))
        }
    );
    head.extend(
        wrap(&about, width, width, if roomy { 3 } else { 1 })
            .into_iter()
            .map(|l| Line::from(Span::styled(l, theme.dim()))),
    );

    let mut related: Vec<String> = entry.related.iter().map(|r| sanitize(r)).collect();
    related.extend(entry.cwes.iter().map(|c| sanitize(c)));
    let related = if related.is_empty() {
        String::new()
    } else {
        format!("related: {}", related.join(", "))
    };
    let link = if entry.url.is_empty() {
        String::new()
    } else {
        sanitize(&entry.url)
    };
    let foot_lines = |text: &str, max: usize| -> Vec<String> {
        if text.is_empty() {
            Vec::new()
        } else {
            wrap(text, width, width, max)
        }
    };
    let mut foot: Vec<Line<'static>> = Vec::new();
    let (link_max, related_max) = if roomy { (3, 4) } else { (1, 1) };
    foot.extend(
        foot_lines(&link, link_max)
            .into_iter()
            .map(|l| Line::from(Span::styled(l, theme.key()))),
    );
    foot.extend(
        foot_lines(&related, related_max)
            .into_iter()
            .map(|l| Line::from(Span::styled(l, theme.dim()))),
    );

    let summary = if entry.summary.is_empty() {
        "(no description in the library)".to_string()
    } else {
        sanitize(&entry.summary)
    };
    let blanks = if roomy { 2 } else { 0 };
    let room = height
        .saturating_sub(head.len() + foot.len() + blanks)
        .max(1);
    let mut lines = head;
    if roomy {
        lines.push(Line::raw(""));
    }
    lines.extend(
        wrap(&summary, width, width, room)
            .into_iter()
            .map(Line::raw),
    );
    if roomy {
        lines.push(Line::raw(""));
    }
    lines.extend(foot);
    lines.truncate(height);
    lines
}

/// What the picker lists before anything is typed: the library entries that the threat rules
/// cite for this element, each with the rule's reason, most specific reference first. Entries
/// already on the element's threats are left out. Where no rule fires, the STRIDE categories
/// still open on the element: nothing generic is offered as if it were advice.
pub fn suggestions(s: &Session, libraries: &LibrarySet, row: &ElementRow) -> Vec<PickerHit> {
    let already: Vec<&LibraryRef> = s.threats_on(&row.id).flat_map(|t| t.refs.iter()).collect();
    let mut hits: Vec<PickerHit> = Vec::new();
    let push = |reference: LibraryRef, why: String, hits: &mut Vec<PickerHit>| {
        if already.contains(&&reference) || hits.iter().any(|h| h.reference == reference) {
            return;
        }
        if let Some((_, entry)) = libraries.get(&reference) {
            hits.push(PickerHit {
                name: entry.name.clone(),
                stride: entry.stride.clone(),
                fits: entry.applies_to(row.kind),
                reference,
                why,
                positions: Vec::new(),
            });
        }
    };
    if !libraries.rules().is_empty() {
        let graph = crate::analysis::ModelGraph::new(s);
        let mut found = libraries.rules().suggest(&graph, Some(&row.id));
        found.retain(|x| x.state.is_open());
        for suggestion in &found {
            for r in &suggestion.rule.refs {
                push(
                    LibraryRef::raw(r.clone()),
                    format!("rule {}: {}", suggestion.rule.id, suggestion.reason),
                    &mut hits,
                );
            }
        }
    }
    if hits.is_empty() {
        let gaps = row.applicable.difference(&row.covered);
        if let Some(stride) = libraries.library("stride") {
            for e in stride.entries() {
                if !e.stride.intersection(&gaps).is_empty() {
                    push(
                        stride.reference(e),
                        "open on this element".to_string(),
                        &mut hits,
                    );
                }
            }
        }
    }
    hits.truncate(PICKER_LIMIT);
    hits
}

/// The widths a result line is laid out in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HitColumns {
    /// The whole line, in cells.
    pub width: usize,
    /// The reference column: the widest reference in the list, so that names line up.
    pub reference: usize,
}

impl HitColumns {
    /// Columns for `hits` in `width` cells; a reference wider than 22 cells pushes its own
    /// name along rather than widening every row.
    pub fn for_hits(hits: &[PickerHit], width: usize) -> HitColumns {
        let reference = hits
            .iter()
            .map(|h| text::width(&sanitize(h.reference.as_str())))
            .max()
            .unwrap_or(0)
            .min(22);
        HitColumns { width, reference }
    }
}

/// A name is cut to no fewer cells than this to keep the letters and the mark in view.
const MIN_NAME_ROOM: usize = 6;

/// A picker result: reference, name with the matched characters highlighted (underlined, so
/// it shows without colour), STRIDE letters, a mark when the entry is not usual on this kind of
/// element, and why it matched; at most `width` cells. The name is cut first, so the letters
/// and the mark stay in view.
pub fn hit_line(
    hit: &PickerHit,
    selected: bool,
    kind: ElementKind,
    theme: &Theme,
    columns: HitColumns,
) -> Line<'static> {
    let HitColumns { width, reference } = columns;
    let base = if selected {
        theme.selected()
    } else {
        theme.normal()
    };
    let prefix = format!(
        "{}{:<reference$} ",
        if selected { "▸ " } else { "  " },
        sanitize(hit.reference.as_str())
    );
    let stride = format!("  [{}]", hit.stride);
    let mark = if hit.fits {
        String::new()
    } else {
        format!("  {}", not_usual(kind))
    };
    let room = width
        .saturating_sub(text::width(&prefix) + text::width(&stride) + text::width(&mark))
        .max(MIN_NAME_ROOM);
    let mut spans = vec![Span::styled(prefix, base)];
    let name = sanitize(&hit.name);
    let cut = text::width(&name) > room;
    let mut used = 0;
    for (i, c) in name.chars().enumerate() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if cut && used + w > room.saturating_sub(1) {
            spans.push(Span::styled("…", base));
            break;
        }
        used += w;
        let style = if hit.positions.contains(&i) {
            base.patch(theme.highlight())
        } else {
            base
        };
        spans.push(Span::styled(c.to_string(), style));
    }
    spans.push(Span::styled(stride, theme.dim()));
    if !mark.is_empty() {
        spans.push(Span::styled(mark, theme.dim()));
    }
    // Why it matched takes what room is left, if that is enough to say something.
    let used: usize = spans.iter().map(|s| text::width(&s.content)).sum();
    let left = width.saturating_sub(used);
    if !hit.why.is_empty() && left >= 8 {
        spans.push(Span::styled(
            fit(&format!("  {}", sanitize(&hit.why)), left),
            theme.dim(),
        ));
    }
    text::fit_line(Line::from(spans), width)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::library_cmds::search_rows;

    fn shipped() -> LibrarySet {
        LibrarySet::shipped().unwrap_or_default()
    }

    /// `rows` kept to those whose reference is (or is not) in `fitting`.
    fn only(rows: &[String], fitting: &[String], fit: bool) -> Vec<String> {
        rows.iter()
            .filter(|r| fitting.contains(r) == fit)
            .cloned()
            .collect()
    }

    #[test]
    fn the_picker_lists_what_library_search_lists_in_the_same_order() {
        let set = shipped();
        for query in [
            "request forgery",
            "csrf",
            "T1190",
            "api key",
            "sniff",
            "valid acc",
        ] {
            // `library search QUERY --limit 0`, without --kind.
            let cli: Vec<String> = search_rows(
                &set,
                query,
                &SearchOptions {
                    limit: 0,
                    ..SearchOptions::default()
                },
            )
            .into_iter()
            .filter_map(|row| row.into_iter().next())
            .collect();
            assert!(!cli.is_empty(), "{query}");
            for kind in [ElementKind::Process, ElementKind::Flow] {
                let (hits, counts) = picker_search(&set, query, kind, 0);
                let picker: Vec<String> = hits.iter().map(|h| h.reference.to_string()).collect();
                let fitting: Vec<String> = hits
                    .iter()
                    .filter(|h| h.fits)
                    .map(|h| h.reference.to_string())
                    .collect();
                // The same entries, none left out for not fitting the element.
                let (mut a, mut b) = (cli.clone(), picker.clone());
                a.sort();
                b.sort();
                assert_eq!(a, b, "{query} on a {kind:?}");
                assert_eq!(counts.total, cli.len());
                assert_eq!(counts.not_fitting, picker.len() - fitting.len());
                // The same order among the entries that fit, and among those that do not: the
                // kind only moves the second after the first within a tier.
                for fit in [true, false] {
                    assert_eq!(
                        only(&picker, &fitting, fit),
                        only(&cli, &fitting, fit),
                        "{query} on a {kind:?}, fitting: {fit}"
                    );
                }
            }
        }
        // Where every result fits the element, the lists are the same, row for row.
        let cli: Vec<String> = search_rows(&set, "valid acc", &SearchOptions::default())
            .into_iter()
            .filter_map(|row| row.into_iter().next())
            .collect();
        let (hits, _) = picker_search(&set, "valid acc", ElementKind::Process, 0);
        assert!(hits.iter().all(|h| h.fits));
        let picker: Vec<String> = hits.iter().map(|h| h.reference.to_string()).collect();
        assert_eq!(picker, cli);
        assert_eq!(picker[0], "attack:T1078");
    }

    #[test]
    fn hit_lines_keep_the_letters_and_the_mark_in_view() {
        let hit = PickerHit {
            reference: LibraryRef::new("capec", "CAPEC-466"),
            name: "Leveraging Active Adversary in the Middle Attacks to Bypass Same Origin Policy"
                .into(),
            stride: StrideSet::parse("TIE"),
            why: "mitm: name".into(),
            positions: vec![0, 1],
            fits: false,
        };
        let columns = HitColumns {
            width: 80,
            reference: 22,
        };
        let line = hit_line(&hit, true, ElementKind::DataStore, &Theme::plain(), columns);
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        assert!(text.starts_with("▸ capec:CAPEC-466"), "{text}");
        assert!(
            text.contains("…  [TIE]  not usual on a data store"),
            "{text}"
        );
        assert!(text::width(&text) <= 80, "{text}");
        let fitting = PickerHit { fits: true, ..hit };
        let columns = HitColumns::for_hits(std::slice::from_ref(&fitting), 200);
        assert_eq!(columns.reference, "capec:CAPEC-466".len());
        let line = hit_line(
            &fitting,
            false,
            ElementKind::Process,
            &Theme::plain(),
            columns,
        );
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        assert!(!text.contains("not usual"), "{text}");
        assert!(text.ends_with("[TIE]  mitm: name"), "{text}");
        assert!(text.starts_with("  capec:CAPEC-466 Leveraging"), "{text}");
        // However narrow, the letters and the mark stay; the name gives way.
        let line = hit_line(
            &PickerHit {
                fits: false,
                ..fitting
            },
            false,
            ElementKind::Flow,
            &Theme::plain(),
            HitColumns {
                width: 60,
                reference: 20,
            },
        );
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        assert!(text.ends_with("…  [TIE]  not usual on a flow"), "{text}");
        assert_eq!(text::width(&text), 60, "{text}");
    }
}
