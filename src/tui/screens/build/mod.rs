//! Question 1, "What are we building?": boundaries, assets, components and flows as editable
//! lists, and the data-flow diagram.

mod form;
mod list;
pub mod quick;

pub use form::{open_form, submit, unique_slug};
pub use list::{
    ListWidths, RowChange, details, headings, natural_widths, rows, section_tabs, table,
};
pub use quick::QuickLine;

use super::{Command, Cx};
use crate::model::edit::{Edit, ItemTable};
use crate::model::{Session, Table};
use crate::tui::diagram::{CrossingList, DiagramView};
use crate::tui::keymap::{Action, Context};
use crate::tui::modal::{FormPurpose, Modal};
use crate::tui::theme::Theme;
use crate::tui::widgets::form::Form;
use crate::tui::widgets::{details_block, list_fitted_and_details};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Paragraph, TableState, Wrap};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Section {
    Boundaries,
    Assets,
    #[default]
    Components,
    Flows,
    Diagram,
}

impl Section {
    pub const ALL: [Section; 5] = [
        Section::Boundaries,
        Section::Assets,
        Section::Components,
        Section::Flows,
        Section::Diagram,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Section::Boundaries => "Boundaries",
            Section::Assets => "Assets",
            Section::Components => "Components",
            Section::Flows => "Flows",
            Section::Diagram => "Diagram",
        }
    }

    pub fn table(self) -> Option<Table> {
        match self {
            Section::Boundaries => Some(Table::Boundaries),
            Section::Assets => Some(Table::Assets),
            Section::Components => Some(Table::Components),
            Section::Flows => Some(Table::Flows),
            Section::Diagram => None,
        }
    }

    pub fn item_table(self) -> Option<ItemTable> {
        match self {
            Section::Boundaries => Some(ItemTable::Boundaries),
            Section::Assets => Some(ItemTable::Assets),
            Section::Components => Some(ItemTable::Components),
            Section::Flows => Some(ItemTable::Flows),
            Section::Diagram => None,
        }
    }

    pub fn len(self, s: &Session) -> usize {
        match self {
            Section::Boundaries => s.boundaries.len(),
            Section::Assets => s.assets.len(),
            Section::Components => s.components.len(),
            Section::Flows => s.flows.len(),
            Section::Diagram => 0,
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            Section::Boundaries => "boundary",
            Section::Assets => "asset",
            Section::Components => "component",
            Section::Flows => "flow",
            Section::Diagram => "diagram",
        }
    }
}

/// Which form is open, and for which entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormTarget {
    pub section: Section,
    /// `None` when adding.
    pub index: Option<usize>,
}

/// Question 1's state: the section on screen, the selected row of each list, and how far the
/// diagram is scrolled.
#[derive(Debug, Clone, Default)]
pub struct BuildState {
    pub section: Section,
    /// Selected row per list section.
    pub selected: [usize; 4],
    pub diagram_scroll: (u16, u16),
    /// The team hid the list of crossing flows beside the diagram (`c`), for the whole width.
    pub crossings_hidden: bool,
}

impl BuildState {
    pub fn section_index(&self) -> Option<usize> {
        Section::ALL[..4].iter().position(|s| *s == self.section)
    }

    /// Shows the component or flow `id` selected in its list; `false` when there is none.
    pub fn select(&mut self, s: &Session, id: &str) -> bool {
        let found = [
            (
                Section::Components,
                s.components.iter().position(|c| c.id.as_str() == id),
            ),
            (
                Section::Flows,
                s.flows.iter().position(|f| f.id.as_str() == id),
            ),
        ]
        .into_iter()
        .find_map(|(section, row)| Some((section, row?)));
        let Some((section, row)) = found else {
            return false;
        };
        self.section = section;
        if let Some(i) = self.section_index() {
            self.selected[i] = row;
        }
        true
    }

    /// The selected row of the list on screen, if it has any.
    pub fn selected_row(&self, s: &Session) -> Option<usize> {
        let i = self.section_index()?;
        let len = self.section.len(s);
        (len > 0).then(|| self.selected[i].min(len - 1))
    }

    /// The key context: the lists and the diagram bind keys differently.
    pub fn context(&self) -> Context {
        if self.section == Section::Diagram {
            Context::Diagram
        } else {
            Context::Build
        }
    }

    pub fn update(&mut self, action: Action, cx: &Cx) -> Vec<Command> {
        if self.section == Section::Diagram {
            let (x, y) = &mut self.diagram_scroll;
            let (w, h) = cx.derived.diagram.as_ref().map_or((0, 0), |d| d.size());
            match action {
                Action::Up => *y = y.saturating_sub(2),
                Action::Down => *y = (*y + 2).min(h.saturating_sub(1)),
                Action::Left => *x = x.saturating_sub(4),
                Action::Right => *x = (*x + 4).min(w.saturating_sub(1)),
                Action::BackToLists => self.section = Section::Flows,
                Action::ToggleSidePane => self.crossings_hidden = !self.crossings_hidden,
                _ => {}
            }
            return Vec::new();
        }
        let Some(si) = self.section_index() else {
            return Vec::new();
        };
        let s = cx.session;
        let len = self.section.len(s);
        let sel = &mut self.selected[si];
        match action {
            Action::Up => *sel = sel.saturating_sub(1),
            Action::Down => *sel = (*sel + 1).min(len.saturating_sub(1)),
            Action::Top => *sel = 0,
            Action::Bottom => *sel = len.saturating_sub(1),
            Action::Left => self.section = Section::ALL[(si + 4) % 5],
            Action::Right => self.section = Section::ALL[si + 1],
            Action::QuickAdd => return vec![Command::Open(Modal::QuickAdd(QuickLine::default()))],
            Action::Add | Action::Edit => {
                let index = if action == Action::Edit {
                    match self.selected_row(s) {
                        Some(i) => Some(i),
                        None => {
                            return vec![Command::info(format!(
                                "no {} yet: press a to add one",
                                self.section.noun()
                            ))];
                        }
                    }
                } else {
                    None
                };
                if self.section == Section::Flows && s.components.len() < 2 && index.is_none() {
                    return vec![Command::info(
                        "add at least two components first: a flow connects them",
                    )];
                }
                let target = FormTarget {
                    section: self.section,
                    index,
                };
                if let Some(form) = open_form(s, target) {
                    return vec![Command::Open(Modal::Form {
                        form,
                        purpose: FormPurpose::Element(target),
                    })];
                }
            }
            Action::Delete => {
                let Some(index) = self.selected_row(s) else {
                    return Vec::new();
                };
                let section = self.section;
                let Some(edit) = delete(s, section, index) else {
                    return Vec::new();
                };
                let done = format!("{} deleted", section.noun());
                let refs = references(s, section, index);
                if refs.is_empty() {
                    return vec![Command::apply(edit, done)];
                }
                return vec![Command::Open(Modal::Confirm {
                    title: "Delete?".into(),
                    message: format!("Delete this {}? Then {}.", section.noun(), refs.join(", ")),
                    edit: Box::new(edit),
                    done,
                })];
            }
            Action::MoveUp | Action::MoveDown => {
                let Some(index) = self.selected_row(s) else {
                    return Vec::new();
                };
                let Some(table) = self.section.item_table() else {
                    return Vec::new();
                };
                let to = if action == Action::MoveUp {
                    index.checked_sub(1)
                } else {
                    Some(index + 1).filter(|t| *t < len)
                };
                if let Some(to) = to {
                    self.selected[si] = to;
                    return vec![Command::apply(
                        Edit::Move {
                            table,
                            from: index,
                            to,
                        },
                        "moved",
                    )];
                }
            }
            _ => {}
        }
        Vec::new()
    }

    /// The element form, submitted; a new element is selected once added.
    pub fn submit(&mut self, mut form: Form, target: FormTarget, cx: &Cx) -> Vec<Command> {
        match submit(&mut form, cx.session, target) {
            Some((edit, message)) => {
                if target.index.is_none()
                    && let Some(i) = Section::ALL[..4].iter().position(|x| *x == target.section)
                {
                    // It is appended: its index is the list's length now.
                    self.selected[i] = target.section.len(cx.session);
                }
                vec![Command::apply(edit, message)]
            }
            None => vec![Command::Open(Modal::Form {
                form,
                purpose: FormPurpose::Element(target),
            })],
        }
    }

    /// A quick-add line was added: its list comes on screen with the new entry selected.
    pub fn show_added(&mut self, section: Section, s: &Session) {
        if let Some(i) = Section::ALL[..4].iter().position(|x| *x == section) {
            self.section = section;
            self.selected[i] = section.len(s).saturating_sub(1);
        }
    }

    pub fn draw(&self, cx: &Cx, t: &Theme, frame: &mut Frame, area: Rect) {
        let session = cx.session;
        let [tabs, main] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(2)]).areas(area);
        frame.render_widget(Paragraph::new(section_tabs(session, self.section, t)), tabs);
        if self.section == Section::Diagram {
            // Made in update when the diagram comes on view; until then, an ellipsis.
            let Some(layout) = &cx.derived.diagram else {
                frame.render_widget(Paragraph::new(Span::styled(" …", t.dim())), main);
                return;
            };
            let canvas = layout.size();
            let (left, right) = diagram_areas(main, canvas, self.crossings_hidden);
            let crossings = layout.crossing_flows().len();
            let left = match right {
                // The list is out of the way: one line says how to bring it back.
                None if crossings > 0 && left.height > 4 => {
                    let [diagram, hint] =
                        Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(left);
                    let why = if self.crossings_hidden {
                        "hidden"
                    } else {
                        "no room on a screen this short"
                    };
                    frame.render_widget(
                        Paragraph::new(Span::styled(
                            format!(
                                " c lists the {} ({why})",
                                crate::tui::widgets::text::plural(
                                    crossings,
                                    "flow crossing a trust boundary",
                                    "flows crossing a trust boundary"
                                )
                            ),
                            t.dim(),
                        )),
                        hint,
                    );
                    diagram
                }
                _ => left,
            };
            frame.render_widget(
                DiagramView {
                    layout,
                    scroll: self.diagram_scroll,
                    theme: *t,
                    selected: None,
                },
                left,
            );
            if let Some(right) = right {
                frame.render_widget(CrossingList { layout, theme: *t }, right);
            }
            return;
        }
        let crossing = |i: usize| cx.derived.crossing.get(i).copied().unwrap_or(false);
        // The list as wide as its longest id, name and label need, the details keeping 36
        // columns; when every cell fits, each column is as wide as its widest cell. Summed
        // wide: names from a file may be as long as anything. Measured in update, once per
        // change (made here only if it was not).
        let natural = match self
            .section_index()
            .and_then(|i| Some(cx.derived.list_widths.get(i)?.as_ref()?.widest.clone()))
        {
            Some(widths) => widths,
            None => natural_widths(session, self.section, &crossing),
        };
        let spacing = 2 + natural.len() as u32;
        let want = spacing + natural.iter().map(|&w| u32::from(w)).sum::<u32>();
        let (list_area, detail_area, wide) = list_fitted_and_details(
            main,
            u16::try_from(want).unwrap_or(u16::MAX),
            36,
            [Constraint::Min(4), Constraint::Length(6)],
        );
        // Too wide even so: the widest columns give way first, so ids and short columns stay
        // whole while long names and labels are cut evenly.
        let room = u32::from(list_area.width).saturating_sub(spacing);
        let id_column = headings(self.section).iter().position(|h| *h == "Id");
        let selected = self.selected_row(session);
        // Only the rows that can be on screen become table rows (fitting every cell of
        // thousands of rows took most of a frame). The table scrolls just far enough to show
        // the selected row; starting from at most the area's height above it, it scrolls to
        // the same row as it would over all of them.
        let most = usize::from(list_area.height);
        let first = selected.map_or(0, |i| (i + 1).saturating_sub(most.max(1)));
        let len = self.section.len(session);
        let (header, shown, widths) = rows(
            session,
            self.section,
            &crossing,
            first.min(len)..first.saturating_add(most).min(len),
        );
        let empty = len == 0;
        let widths = match shrink_widest(natural, room, id_column) {
            Some(fitted) => fitted.into_iter().map(Constraint::Length).collect(),
            None => widths,
        };
        let table = table(header, shown, widths, list_area.width, t).block(
            Block::default()
                .borders(Borders::TOP)
                .border_style(t.border()),
        );
        let mut state = TableState::default().with_selected(selected.map(|i| i - first));
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
                        "  No {} yet: press a to add one, or i to type entries one line each.",
                        self.section.title().to_lowercase()
                    ),
                    t.dim(),
                )),
                hint,
            );
        }
        let details = selected
            .map(|i| details(session, self.section, i, &cx.derived.problems, t))
            .unwrap_or_default();
        frame.render_widget(
            Paragraph::new(details)
                .wrap(Wrap { trim: false })
                .block(details_block(wide, t)),
            detail_area,
        );
    }
}

/// What deleting an entry would take along or change, in words; empty when nothing refers to it.
pub fn references(s: &Session, section: Section, index: usize) -> Vec<String> {
    let mut out = Vec::new();
    // `what` is "<singular>|<plural>", e.g. "flow is deleted|flows are deleted".
    let count = |n: usize, what: &str| -> Option<String> {
        let (one, many) = what.split_once('|').unwrap_or((what, what));
        (n > 0).then(|| format!("{n} {}", if n == 1 { one } else { many }))
    };
    match section {
        Section::Boundaries => {
            let Some(b) = s.boundaries.get(index) else {
                return out;
            };
            let id = b.id.as_str();
            out.extend(count(
                s.components
                    .iter()
                    .filter(|c| c.boundary.as_ref().is_some_and(|x| x.as_str() == id))
                    .count(),
                "component moves out of it|components move out of it",
            ));
            out.extend(count(
                s.boundaries
                    .iter()
                    .filter(|c| c.parent.as_ref().is_some_and(|x| x.as_str() == id))
                    .count(),
                "nested boundary moves out of it|nested boundaries move out of it",
            ));
        }
        Section::Assets => {
            let Some(a) = s.assets.get(index) else {
                return out;
            };
            let id = a.id.as_str();
            out.extend(count(
                s.components
                    .iter()
                    .filter(|c| c.assets.iter().any(|x| x.as_str() == id))
                    .count(),
                "component no longer lists it|components no longer list it",
            ));
            out.extend(count(
                s.flows
                    .iter()
                    .filter(|f| f.assets.iter().any(|x| x.as_str() == id))
                    .count(),
                "flow no longer lists it|flows no longer list it",
            ));
        }
        Section::Components | Section::Flows => {
            let id = match section {
                Section::Components => s.components.get(index).map(|c| c.id.as_str()),
                _ => s.flows.get(index).map(|f| f.id.as_str()),
            };
            let Some(id) = id else { return out };
            let (flows, threats) = element_cascade(s, id);
            out.extend(count(flows.len(), "flow is deleted|flows are deleted"));
            out.extend(count(threats.len(), "threat is deleted with its mitigations and acceptance|threats are deleted with their mitigations and acceptances"));
        }
        Section::Diagram => {}
    }
    out
}

/// Flows touching an element (for a component) and threats on the element or on those flows.
fn element_cascade(s: &Session, id: &str) -> (Vec<String>, Vec<String>) {
    let flows: Vec<String> = s
        .flows
        .iter()
        .filter(|f| f.from.as_str() == id || f.to.as_str() == id)
        .map(|f| f.id.to_string())
        .collect();
    let threats = s
        .threats
        .iter()
        .filter(|t| t.target.as_str() == id || flows.iter().any(|f| f == t.target.as_str()))
        .map(|t| t.id.to_string())
        .collect();
    (flows, threats)
}

/// The edit that deletes an entry and mends everything that referred to it, so no reference
/// is left dangling.
pub fn delete(s: &Session, section: Section, index: usize) -> Option<Edit> {
    let mut next = s.clone();
    match section {
        Section::Boundaries => {
            let b = next.boundaries.get(index)?.clone();
            next.boundaries.remove(index);
            for c in &mut next.components {
                if c.boundary.as_ref() == Some(&b.id) {
                    c.boundary = b.parent.clone();
                }
            }
            for child in &mut next.boundaries {
                if child.parent.as_ref() == Some(&b.id) {
                    child.parent = b.parent.clone();
                }
            }
        }
        Section::Assets => {
            let a = next.assets.get(index)?.id.clone();
            next.assets.remove(index);
            for c in &mut next.components {
                c.assets.retain(|x| x != &a);
            }
            for f in &mut next.flows {
                f.assets.retain(|x| x != &a);
            }
        }
        Section::Components | Section::Flows => {
            let id = match section {
                Section::Components => next.components.get(index)?.id.to_string(),
                _ => next.flows.get(index)?.id.to_string(),
            };
            let (flows, threats) = element_cascade(s, &id);
            next.components.retain(|c| c.id.as_str() != id);
            next.flows
                .retain(|f| f.id.as_str() != id && !flows.iter().any(|x| x == f.id.as_str()));
            next.threats
                .retain(|t| !threats.iter().any(|x| x == t.id.as_str()));
            next.acceptances
                .retain(|a| !threats.iter().any(|x| x == a.threat.as_str()));
            for m in &mut next.mitigations {
                m.threats
                    .retain(|t| !threats.iter().any(|x| x == t.as_str()));
            }
            next.mitigations.retain(|m| !m.threats.is_empty());
        }
        Section::Diagram => return None,
    }
    Some(Edit::Whole(Box::new(next)))
}

/// Column widths summing to at most `room`, narrowing the widest column one cell at a time
/// (none below 8; column `keep`, the ids, not at all); `None` when even that does not fit.
fn shrink_widest(mut widths: Vec<u16>, room: u32, keep: Option<usize>) -> Option<Vec<u16>> {
    // Narrowed straight to the room at first: a name from a file may be thousands of cells.
    let cap = u16::try_from(room).unwrap_or(u16::MAX).max(8);
    for (i, w) in widths.iter_mut().enumerate() {
        if Some(i) != keep {
            *w = (*w).min(cap);
        }
    }
    while widths.iter().map(|&w| u32::from(w)).sum::<u32>() > room {
        let widest = widths
            .iter_mut()
            .enumerate()
            .filter(|(i, _)| Some(*i) != keep)
            .map(|(_, w)| w)
            .max()?;
        if *widest <= 8 {
            return None;
        }
        *widest -= 1;
    }
    Some(widths)
}

/// The width the list of crossing flows needs beside the diagram, and the most it takes.
const CROSSINGS_MIN: u16 = 38;
const CROSSINGS_MAX: u16 = 56;
/// The fewest rows the list is worth under the diagram, and the body's height below which
/// there is no room for it there.
const CROSSINGS_UNDER: u16 = 6;
const ROOM_UNDER: u16 = 14;

/// Where the diagram and the list of crossing flows go in `main`, for a canvas of `canvas`
/// cells: beside it when both fit side by side (the list taking what the diagram leaves, within
/// reason); else under it (the rows the diagram leaves, at least a quarter of the height), so
/// the diagram keeps the whole width; nowhere when hidden (`c`) or the screen is too short
/// (a line then says how to show it). The diagram is never drawn under the list.
pub fn diagram_areas(main: Rect, canvas: (u16, u16), hidden: bool) -> (Rect, Option<Rect>) {
    if hidden || main.height < ROOM_UNDER {
        return (main, None);
    }
    let wide = main.width >= crate::tui::widgets::SIDE_BY_SIDE;
    if wide && canvas.0.saturating_add(CROSSINGS_MIN) <= main.width {
        let list = (main.width - canvas.0).min(CROSSINGS_MAX);
        let [left, right] =
            Layout::horizontal([Constraint::Min(0), Constraint::Length(list)]).areas(main);
        return (left, Some(right));
    }
    let under = main
        .height
        .saturating_sub(canvas.1)
        .max(main.height / 4)
        .max(CROSSINGS_UNDER);
    let [top, bottom] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(under)]).areas(main);
    (top, Some(bottom))
}

#[cfg(test)]
mod width_tests {
    use super::*;

    #[test]
    fn the_widest_columns_give_way_first() {
        let flows = || vec![24, 45, 48, 8, 7];
        assert_eq!(shrink_widest(flows(), 200, Some(0)), Some(flows()));
        assert_eq!(
            shrink_widest(flows(), 73, Some(0)),
            Some(vec![24, 17, 17, 8, 7]),
            "the ids stay whole"
        );
        assert_eq!(
            shrink_widest(flows(), 73, None),
            Some(vec![20, 19, 19, 8, 7])
        );
        assert_eq!(shrink_widest(flows(), 50, Some(0)), None);
    }
}
