//! Question 1's lists: each section as a table, the selected entry's details, the section tabs.

use super::Section;
use super::form::ids_to_strings;
use crate::model::text::escape_control;
use crate::model::{BoundaryId, ComponentKind, Location, Problem, Session, Table};
use crate::tui::theme::Theme;
use crate::tui::widgets::text::fit;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{HighlightSpacing, Row, Table as TableWidget};

fn kind_mark(kind: ComponentKind) -> &'static str {
    match kind {
        ComponentKind::Process => "[P]",
        ComponentKind::DataStore => "[D]",
        ComponentKind::ExternalEntity => "[E]",
    }
}

/// Starts the id cell of an out-of-scope component or flow; such rows are also dimmed.
pub const OUT_OF_SCOPE_MARK: &str = "⊘ ";

/// The id cell, marked when the element is out of scope.
fn id_cell(id: String, out_of_scope: bool) -> String {
    if out_of_scope {
        format!("{OUT_OF_SCOPE_MARK}{id}")
    } else {
        id
    }
}

/// Yes, no, or "unknown" (the file leaves it out): `unknown` is that word at the column's width.
fn yes_no(
    v: Option<bool>,
    yes: &'static str,
    no: &'static str,
    unknown: &'static str,
) -> &'static str {
    match v {
        Some(true) => yes,
        Some(false) => no,
        None => unknown,
    }
}

/// The rows `shown` (by index) of a section's list, with its header and column widths.
pub fn rows(
    s: &Session,
    section: Section,
    crossing: &dyn Fn(usize) -> bool,
    shown: std::ops::Range<usize>,
) -> (Row<'static>, Vec<Vec<String>>, Vec<Constraint>) {
    let (skip, take) = (shown.start, shown.len());
    let e = |t: &str| escape_control(t).into_owned();
    let name_of_boundary = |id: Option<&BoundaryId>| {
        id.map(|b| {
            s.boundary(b.as_str())
                .map_or_else(|| b.to_string(), |x| x.name.clone())
        })
        .unwrap_or_else(|| "—".into())
    };
    match section {
        Section::Boundaries => (
            Row::new(["Id", "Name", "Inside", "Components"]),
            s.boundaries
                .iter()
                .skip(skip)
                .take(take)
                .map(|b| {
                    let n = s
                        .components
                        .iter()
                        .filter(|c| c.boundary.as_ref() == Some(&b.id))
                        .count();
                    vec![
                        e(b.id.as_str()),
                        e(&b.name),
                        e(&name_of_boundary(b.parent.as_ref())),
                        n.to_string(),
                    ]
                })
                .collect(),
            vec![
                Constraint::Percentage(25),
                Constraint::Percentage(35),
                Constraint::Percentage(25),
                Constraint::Length(10),
            ],
        ),
        Section::Assets => (
            Row::new(["Id", "Name", "Classification"]),
            s.assets
                .iter()
                .skip(skip)
                .take(take)
                .map(|a| {
                    vec![
                        e(a.id.as_str()),
                        e(&a.name),
                        a.classification.as_str().to_string(),
                    ]
                })
                .collect(),
            vec![
                Constraint::Percentage(30),
                Constraint::Percentage(45),
                Constraint::Percentage(25),
            ],
        ),
        Section::Components => (
            Row::new(["Kind", "Id", "Name", "Boundary"]),
            s.components
                .iter()
                .skip(skip)
                .take(take)
                .map(|c| {
                    vec![
                        kind_mark(c.kind).to_string(),
                        id_cell(e(c.id.as_str()), c.is_out_of_scope()),
                        e(&c.name),
                        e(&name_of_boundary(c.boundary.as_ref())),
                    ]
                })
                .collect(),
            vec![
                Constraint::Length(4),
                Constraint::Percentage(30),
                Constraint::Percentage(35),
                Constraint::Percentage(30),
            ],
        ),
        Section::Flows => (
            Row::new(["Id", "From → To", "Label", "Auth Enc", "Crosses"]),
            s.flows
                .iter()
                .enumerate()
                .skip(skip)
                .take(take)
                .map(|(i, f)| {
                    vec![
                        id_cell(e(f.id.as_str()), f.is_out_of_scope()),
                        format!("{} → {}", e(f.from.as_str()), e(f.to.as_str())),
                        e(&f.label),
                        format!(
                            "{} {}",
                            yes_no(f.authenticated, "yes ", "NO  ", "?   "),
                            yes_no(f.encrypted, "yes", "NO", "?")
                        ),
                        yes_no(Some(crossing(i)), "! yes", "", "").to_string(),
                    ]
                })
                .collect(),
            vec![
                Constraint::Percentage(18),
                Constraint::Percentage(38),
                Constraint::Percentage(24),
                Constraint::Length(8),
                Constraint::Length(7),
            ],
        ),
        Section::Diagram => (Row::new([""; 0]), Vec::new(), Vec::new()),
    }
}

/// The headings of a section's table, as [`rows`] writes them: the narrowest each column
/// can be.
pub fn headings(section: Section) -> &'static [&'static str] {
    match section {
        Section::Boundaries => &["Id", "Name", "Inside", "Components"],
        Section::Assets => &["Id", "Name", "Classification"],
        Section::Components => &["Kind", "Id", "Name", "Boundary"],
        Section::Flows => &["Id", "From → To", "Label", "Auth Enc", "Crosses"],
        Section::Diagram => &[],
    }
}

/// Each column's widest cell or heading over the whole of a section's list: what sizes its
/// columns. Formatting and measuring every row takes milliseconds at thousands of rows, so
/// the app measures once per list and then row by row as edits change rows (see
/// [`ListWidths`]); this is the straightforward measure it must equal.
pub fn natural_widths(s: &Session, section: Section, crossing: &dyn Fn(usize) -> bool) -> Vec<u16> {
    let (_, rows, _) = rows(s, section, crossing, 0..section.len(s));
    let mut widths: Vec<u16> = headings(section).iter().map(|h| cell_width(h)).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell_width(cell));
        }
    }
    widths
}

fn cell_width(cell: &str) -> u16 {
    u16::try_from(crate::tui::widgets::text::width(cell)).unwrap_or(u16::MAX)
}

/// How edits changed one section's list, row by row, with indices as `model::edit::apply`
/// reads them (an insert's index is clamped to the list's length then).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowChange {
    Inserted(usize),
    Removed(usize),
    Replaced(usize),
    Moved {
        from: usize,
        to: usize,
    },
    /// Rows may have changed anywhere (the list shows something of another table).
    Remade,
}

/// A section's list measured row by row: each row's cell widths, and each column's widest
/// cell or heading over them ([`natural_widths`]). Kept from change to change: a changed row
/// is measured again, the rest are not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListWidths {
    columns: usize,
    /// Row after row, `columns` widths each.
    rows: Vec<u16>,
    /// Each column's widest cell or heading: what sizes the list's columns.
    pub widest: Vec<u16>,
}

impl ListWidths {
    /// Every row of `section` measured.
    pub fn measure(s: &Session, section: Section, crossing: &dyn Fn(usize) -> bool) -> Self {
        let rows = row_widths(s, section, crossing, 0..section.len(s));
        Self::from_rows(section, rows)
    }

    fn from_rows(section: Section, rows: Vec<u16>) -> Self {
        let mut widest: Vec<u16> = headings(section).iter().map(|h| cell_width(h)).collect();
        let columns = widest.len();
        if columns > 0 {
            for row in rows.chunks_exact(columns) {
                for (w, &cell) in widest.iter_mut().zip(row) {
                    *w = (*w).max(cell);
                }
            }
        }
        ListWidths {
            columns,
            rows,
            widest,
        }
    }

    /// The widths after `changes` took the list to what `s` holds now: rows inserted or
    /// replaced are measured, the others kept. `None` when the list must be measured whole
    /// (it was remade, or the changes do not lead to the list's length).
    pub fn follow(
        &self,
        s: &Session,
        section: Section,
        crossing: &dyn Fn(usize) -> bool,
        changes: &[RowChange],
    ) -> Option<Self> {
        let columns = self.columns;
        if columns == 0 || !self.rows.len().is_multiple_of(columns) {
            return None;
        }
        // Each row now: the row it was (by index), or `None` where it is new or changed.
        let mut was: Vec<Option<usize>> = (0..self.rows.len() / columns).map(Some).collect();
        for change in changes {
            match *change {
                RowChange::Inserted(index) => was.insert(index.min(was.len()), None),
                RowChange::Removed(index) => {
                    if index >= was.len() {
                        return None;
                    }
                    was.remove(index);
                }
                RowChange::Replaced(index) => *was.get_mut(index)? = None,
                RowChange::Moved { from, to } => {
                    if from >= was.len() || to >= was.len() {
                        return None;
                    }
                    let row = was.remove(from);
                    was.insert(to, row);
                }
                RowChange::Remade => return None,
            }
        }
        if was.len() != section.len(s) {
            return None;
        }
        let mut rows = Vec::with_capacity(was.len() * columns);
        for (index, old) in was.into_iter().enumerate() {
            match old {
                Some(old) => {
                    rows.extend_from_slice(self.rows.get(old * columns..(old + 1) * columns)?)
                }
                None => rows.extend(row_widths(s, section, crossing, index..index + 1)),
            }
        }
        Some(Self::from_rows(section, rows))
    }
}

/// The cell widths of the rows `shown`, row after row.
fn row_widths(
    s: &Session,
    section: Section,
    crossing: &dyn Fn(usize) -> bool,
    shown: std::ops::Range<usize>,
) -> Vec<u16> {
    let (_, rows, _) = rows(s, section, crossing, shown);
    rows.iter()
        .flat_map(|row| row.iter().map(|cell| cell_width(cell)))
        .collect()
}

/// Width of the selection marker column (`▸ `), always kept so columns never shift.
const SELECTION_WIDTH: u16 = 2;

/// A table widget for a section, `width` cells wide, selected row reversed (visible without
/// colour). Cells too long for their column end in an ellipsis rather than being clipped, so a
/// cut name never reads as a whole one.
pub fn table(
    header: Row<'static>,
    rows: Vec<Vec<String>>,
    widths: Vec<Constraint>,
    width: u16,
    theme: &Theme,
) -> TableWidget<'static> {
    let columns = column_widths(&widths, width);
    let rows = rows.into_iter().map(|cells| {
        // Out of scope: dimmed as well as marked (the mark alone shows without colour).
        let dim = cells
            .iter()
            .take(2)
            .any(|c| c.starts_with(OUT_OF_SCOPE_MARK));
        let row = Row::new(
            cells
                .into_iter()
                .zip(&columns)
                .map(|(cell, &w)| fit(&cell, usize::from(w))),
        );
        if dim { row.style(theme.dim()) } else { row }
    });
    TableWidget::new(rows, widths)
        .header(header.style(theme.title()))
        .row_highlight_style(theme.selected())
        .highlight_symbol("▸ ")
        .highlight_spacing(HighlightSpacing::Always)
}

/// The widths ratatui's table gives its columns in `width` cells: the selection column first,
/// then the constraints with one cell between columns (the table's defaults).
fn column_widths(widths: &[Constraint], width: u16) -> Vec<u16> {
    let [_, columns] =
        Layout::horizontal([Constraint::Length(SELECTION_WIDTH), Constraint::Fill(0)])
            .areas(ratatui::layout::Rect::new(0, 0, width, 1));
    Layout::horizontal(widths.iter().copied())
        .spacing(1)
        .split(columns)
        .iter()
        .map(|r| r.width)
        .collect()
}

/// Lines describing the selected entry and its validation problems.
pub fn details(
    s: &Session,
    section: Section,
    index: usize,
    problems: &[Problem],
    theme: &Theme,
) -> Vec<Line<'static>> {
    let e = |t: &str| escape_control(t).into_owned();
    // The widest key ("classification") and a space: a label never runs into its value.
    let kv = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("{k:<15}"), theme.dim()),
            Span::raw(v),
        ])
    };
    let mut lines = Vec::new();
    match section {
        Section::Boundaries => {
            if let Some(b) = s.boundaries.get(index) {
                lines.push(kv(
                    "boundary",
                    format!("{} ({})", e(&b.name), e(b.id.as_str())),
                ));
                lines.push(kv(
                    "inside",
                    b.parent.as_ref().map_or("—".into(), |p| e(p.as_str())),
                ));
                if !b.notes.is_empty() {
                    lines.push(kv("notes", e(&b.notes)));
                }
            }
        }
        Section::Assets => {
            if let Some(a) = s.assets.get(index) {
                lines.push(kv(
                    "asset",
                    format!("{} ({})", e(&a.name), e(a.id.as_str())),
                ));
                lines.push(kv("classification", a.classification.as_str().into()));
                if !a.notes.is_empty() {
                    lines.push(kv("notes", e(&a.notes)));
                }
            }
        }
        Section::Components => {
            if let Some(c) = s.components.get(index) {
                lines.push(kv(
                    "component",
                    format!("{} ({}) {}", e(&c.name), e(c.id.as_str()), c.kind.as_str()),
                ));
                lines.push(kv(
                    "boundary",
                    c.boundary
                        .as_ref()
                        .map_or("— (none)".into(), |b| e(b.as_str())),
                ));
                if let Some(reason) = c.out_of_scope_reason() {
                    lines.push(kv("out of scope", e(reason)));
                }
                if !c.tags.is_empty() {
                    lines.push(kv("tags", e(&c.tags.join(", "))));
                }
                if !c.assets.is_empty() {
                    lines.push(kv("assets", e(&ids_to_strings(&c.assets).join(", "))));
                }
                let flows = s
                    .flows
                    .iter()
                    .filter(|f| f.from == c.id || f.to == c.id)
                    .count();
                let threats = s.threats_on(c.id.as_str()).count();
                lines.push(kv("flows/threats", format!("{flows} / {threats}")));
                if !c.notes.is_empty() {
                    lines.push(kv("notes", e(&c.notes)));
                }
            }
        }
        Section::Flows => {
            if let Some(f) = s.flows.get(index) {
                lines.push(kv(
                    "flow",
                    format!("{} ({})", e(&f.label), e(f.id.as_str())),
                ));
                lines.push(kv(
                    "from → to",
                    format!("{} → {}", e(f.from.as_str()), e(f.to.as_str())),
                ));
                if !f.protocol.is_empty() {
                    lines.push(kv("protocol", e(&f.protocol)));
                }
                lines.push(kv(
                    "protection",
                    format!(
                        "{}, {}",
                        yes_no(
                            f.authenticated,
                            "authenticated",
                            "NOT authenticated",
                            "authentication unknown"
                        ),
                        yes_no(
                            f.encrypted,
                            "encrypted",
                            "NOT encrypted",
                            "encryption unknown"
                        )
                    ),
                ));
                if !f.assets.is_empty() {
                    lines.push(kv("assets", e(&ids_to_strings(&f.assets).join(", "))));
                }
                if let Some(reason) = f.out_of_scope_reason() {
                    lines.push(kv("out of scope", e(reason)));
                }
            }
        }
        Section::Diagram => {}
    }
    if let Some(table) = section.table() {
        for p in problems.iter().filter(|p| at(&p.location, table, index)) {
            lines.push(Line::from(Span::styled(
                format!("✗ {}", e(&p.to_string())),
                theme.error(),
            )));
        }
    }
    lines
}

fn at(location: &Location, table: Table, index: usize) -> bool {
    location.table == table && location.index == Some(index)
}

/// Style for the section tab line: the current section reversed and bracketed.
pub fn section_tabs(s: &Session, current: Section, theme: &Theme) -> Line<'static> {
    let mut spans = Vec::new();
    for section in Section::ALL {
        let label = match section {
            Section::Diagram => section.title().to_string(),
            _ => format!("{} ({})", section.title(), section.len(s)),
        };
        if section == current {
            spans.push(Span::styled(format!("[{label}]"), theme.selected()));
        } else {
            spans.push(Span::styled(format!(" {label} "), Style::default()));
        }
        spans.push(Span::raw(" "));
    }
    Line::from(spans)
}
