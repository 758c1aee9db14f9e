//! Question 1, "What are we building?": boundaries, assets, components and flows as editable
//! lists, and the data-flow diagram.

use crate::model::edit::{Edit, Item, ItemTable};
use crate::model::text::escape_control;
use crate::model::{
    Asset, AssetId, Boundary, BoundaryId, Classification, Component, ComponentKind, ElementId,
    Flow, Location, Problem, Session, StrideSet, Table, id_syntax_problem, slugify,
};
use crate::tui::theme::Theme;
use crate::tui::widgets::form::{Choice, Field, Form};
use crate::tui::widgets::text::fit;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{HighlightSpacing, Row, Table as TableWidget};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Boundaries,
    Assets,
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

fn none_choice() -> Choice {
    Choice::new("", "(none)")
}

fn boundary_choices(s: &Session, exclude: Option<&str>) -> Vec<Choice> {
    let mut out = vec![none_choice()];
    for b in &s.boundaries {
        let id = b.id.as_str();
        // A boundary cannot sit inside itself or inside one of its own descendants.
        if exclude.is_some_and(|ex| id == ex || is_descendant(s, id, ex)) {
            continue;
        }
        out.push(Choice::new(id, format!("{} ({id})", b.name)));
    }
    out
}

/// Whether `id` lies (transitively) inside `ancestor`.
fn is_descendant(s: &Session, id: &str, ancestor: &str) -> bool {
    let mut current = s.boundary(id).and_then(|b| b.parent.as_ref());
    let mut steps = 0;
    while let Some(p) = current {
        if p.as_str() == ancestor {
            return true;
        }
        steps += 1;
        if steps > s.boundaries.len() {
            return false;
        }
        current = s.boundary(p.as_str()).and_then(|b| b.parent.as_ref());
    }
    false
}

fn asset_choices(s: &Session) -> Vec<Choice> {
    s.assets
        .iter()
        .map(|a| {
            Choice::new(
                a.id.as_str(),
                format!("{} ({})", a.name, a.classification.as_str()),
            )
        })
        .collect()
}

fn component_choices(s: &Session) -> Vec<Choice> {
    s.components
        .iter()
        .map(|c| Choice::new(c.id.as_str(), format!("{} ({})", c.name, c.id)))
        .collect()
}

fn ids_to_strings<T: std::fmt::Display>(ids: &[T]) -> Vec<String> {
    ids.iter().map(ToString::to_string).collect()
}

/// The form for adding to or editing an entry of `section`.
pub fn open_form(s: &Session, target: FormTarget) -> Option<Form> {
    let i = target.index;
    let verb = if i.is_some() { "Edit" } else { "Add" };
    let id_field = |value: &str| Field::text("id", "Id", value, "blank: made from the name");
    let form = match target.section {
        Section::Boundaries => {
            let b = i.and_then(|i| s.boundaries.get(i));
            let mut fields = vec![Field::text(
                "name",
                "Name",
                b.map_or("", |b| &b.name),
                "e.g. DMZ",
            )];
            if b.is_none() {
                fields.push(id_field(""));
            }
            fields.push(Field::choice(
                "parent",
                "Inside",
                boundary_choices(s, b.map(|b| b.id.as_str())),
                b.and_then(|b| b.parent.as_ref()).map_or("", |p| p.as_str()),
            ));
            fields.push(Field::text(
                "notes",
                "Notes",
                b.map_or("", |b| &b.notes),
                "",
            ));
            Form::new(title(verb, "boundary", b.map(|b| b.id.as_str())), fields)
        }
        Section::Assets => {
            let a = i.and_then(|i| s.assets.get(i));
            let mut fields = vec![Field::text(
                "name",
                "Name",
                a.map_or("", |a| &a.name),
                "e.g. Card numbers",
            )];
            if a.is_none() {
                fields.push(id_field(""));
            }
            let options = Classification::ALL
                .iter()
                .map(|c| Choice::new(c.as_str(), c.as_str()))
                .collect();
            fields.push(Field::choice(
                "classification",
                "Classification",
                options,
                a.map_or("internal", |a| a.classification.as_str()),
            ));
            fields.push(Field::text(
                "notes",
                "Notes",
                a.map_or("", |a| &a.notes),
                "",
            ));
            Form::new(title(verb, "asset", a.map(|a| a.id.as_str())), fields)
        }
        Section::Components => {
            let c = i.and_then(|i| s.components.get(i));
            let mut fields = vec![Field::text(
                "name",
                "Name",
                c.map_or("", |c| &c.name),
                "e.g. API gateway",
            )];
            if c.is_none() {
                fields.push(id_field(""));
            }
            let kinds = ComponentKind::ALL
                .iter()
                .map(|k| Choice::new(k.as_str(), k.as_str()))
                .collect();
            fields.push(Field::choice(
                "kind",
                "Kind",
                kinds,
                c.map_or("process", |c| c.kind.as_str()),
            ));
            fields.push(Field::choice(
                "boundary",
                "Boundary",
                boundary_choices(s, None),
                c.and_then(|c| c.boundary.as_ref())
                    .map_or("", |b| b.as_str()),
            ));
            fields.push(Field::text(
                "tags",
                "Tags",
                &c.map(|c| c.tags.join(", ")).unwrap_or_default(),
                "comma-separated; internet-facing, logs",
            ));
            fields.push(Field::multi(
                "assets",
                "Assets",
                asset_choices(s),
                &c.map(|c| ids_to_strings(&c.assets)).unwrap_or_default(),
            ));
            fields.push(Field::text(
                "notes",
                "Notes",
                c.map_or("", |c| &c.notes),
                "",
            ));
            Form::new(title(verb, "component", c.map(|c| c.id.as_str())), fields)
        }
        Section::Flows => {
            let f = i.and_then(|i| s.flows.get(i));
            let mut fields = vec![Field::text(
                "label",
                "Label",
                f.map_or("", |f| &f.label),
                "what moves, e.g. login request",
            )];
            if f.is_none() {
                fields.push(id_field(""));
            }
            fields.push(Field::choice(
                "from",
                "From",
                component_choices(s),
                f.map_or("", |f| f.from.as_str()),
            ));
            // A new flow starts from the first component to the second, never to itself.
            let default_to = s.components.get(1).map_or("", |c| c.id.as_str());
            fields.push(Field::choice(
                "to",
                "To",
                component_choices(s),
                f.map_or(default_to, |f| f.to.as_str()),
            ));
            fields.push(Field::text(
                "protocol",
                "Protocol",
                f.map_or("", |f| &f.protocol),
                "e.g. HTTPS",
            ));
            fields.push(Field::toggle(
                "authenticated",
                "Authenticated",
                f.is_some_and(|f| f.authenticated),
            ));
            fields.push(Field::toggle(
                "encrypted",
                "Encrypted",
                f.is_some_and(|f| f.encrypted),
            ));
            fields.push(Field::multi(
                "assets",
                "Assets",
                asset_choices(s),
                &f.map(|f| ids_to_strings(&f.assets)).unwrap_or_default(),
            ));
            fields.push(Field::text(
                "notes",
                "Notes",
                f.map_or("", |f| &f.notes),
                "",
            ));
            Form::new(title(verb, "flow", f.map(|f| f.id.as_str())), fields)
        }
        Section::Diagram => return None,
    };
    Some(form)
}

fn title(verb: &str, noun: &str, id: Option<&str>) -> String {
    match id {
        Some(id) => format!("{verb} {noun} {}", escape_control(id)),
        None => format!("{verb} {noun}"),
    }
}

/// Ids in use by components and flows (one namespace) or by the table's own entries.
fn id_taken(s: &Session, section: Section, id: &str) -> bool {
    match section {
        Section::Boundaries => s.boundary(id).is_some(),
        Section::Assets => s.asset(id).is_some(),
        Section::Components | Section::Flows => s.element(id).is_some(),
        Section::Diagram => false,
    }
}

/// The id for a new entry: as typed, or made from the name and made unique.
fn new_id(form: &mut Form, s: &Session, section: Section, base: &str) -> Option<String> {
    let typed = form.text("id");
    if !typed.is_empty() {
        if let Some(problem) = id_syntax_problem(&typed) {
            form.set_error("id", problem);
            return None;
        }
        if id_taken(s, section, &typed) {
            form.set_error("id", format!("{typed:?} is already used"));
            return None;
        }
        return Some(typed);
    }
    let mut base = slugify(base);
    if base.is_empty() {
        base = section.noun().to_string();
    }
    let mut candidate = base.clone();
    let mut n = 2;
    while id_taken(s, section, &candidate) {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    Some(candidate)
}

fn split_tags(text: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_string());
        }
    }
    tags
}

fn optional<T: From<String>>(value: String) -> Option<T> {
    (!value.is_empty()).then(|| T::from(value))
}

/// Turns a submitted form into an edit, or marks the form's invalid fields and returns `None`.
pub fn submit(form: &mut Form, s: &Session, target: FormTarget) -> Option<(Edit, String)> {
    form.clear_errors();
    let editing = target.index;
    let item = match target.section {
        Section::Boundaries => {
            let name = form.text("name");
            if name.is_empty() {
                form.set_error("name", "a boundary needs a name");
            }
            let old = editing.and_then(|i| s.boundaries.get(i));
            let id = match old {
                Some(b) => Some(b.id.to_string()),
                None => new_id(form, s, target.section, &name),
            };
            let (Some(id), false) = (id, form.has_errors()) else {
                return None;
            };
            Item::Boundary(Boundary {
                id: BoundaryId::new(id),
                name,
                parent: optional(form.choice("parent")),
                notes: form.text("notes"),
            })
        }
        Section::Assets => {
            let name = form.text("name");
            if name.is_empty() {
                form.set_error("name", "an asset needs a name");
            }
            let old = editing.and_then(|i| s.assets.get(i));
            let id = match old {
                Some(a) => Some(a.id.to_string()),
                None => new_id(form, s, target.section, &name),
            };
            let classification = Classification::ALL
                .into_iter()
                .find(|c| c.as_str() == form.choice("classification"))
                .unwrap_or(Classification::Internal);
            let (Some(id), false) = (id, form.has_errors()) else {
                return None;
            };
            Item::Asset(Asset {
                id: AssetId::new(id),
                name,
                classification,
                notes: form.text("notes"),
            })
        }
        Section::Components => {
            let name = form.text("name");
            if name.is_empty() {
                form.set_error("name", "a component needs a name");
            }
            let old = editing.and_then(|i| s.components.get(i));
            let id = match old {
                Some(c) => Some(c.id.to_string()),
                None => new_id(form, s, target.section, &name),
            };
            let kind = ComponentKind::ALL
                .into_iter()
                .find(|k| k.as_str() == form.choice("kind"))
                .unwrap_or(ComponentKind::Process);
            let (Some(id), false) = (id, form.has_errors()) else {
                return None;
            };
            Item::Component(Component {
                id: ElementId::new(id),
                name,
                kind,
                boundary: optional(form.choice("boundary")),
                tags: split_tags(&form.text("tags")),
                assets: form
                    .chosen("assets")
                    .into_iter()
                    .map(AssetId::new)
                    .collect(),
                not_applicable: old
                    .map(|c| c.not_applicable.clone())
                    .unwrap_or_else(StrideSet::empty),
                notes: form.text("notes"),
            })
        }
        Section::Flows => {
            let label = form.text("label");
            if label.is_empty() {
                form.set_error("label", "say what the flow carries, e.g. \"login request\"");
            }
            let (from, to) = (form.choice("from"), form.choice("to"));
            if from.is_empty() || to.is_empty() {
                form.set_error("from", "add components first: a flow connects two of them");
            } else if from == to {
                form.set_error("to", "a flow connects two different components");
            }
            let old = editing.and_then(|i| s.flows.get(i));
            let id = match old {
                Some(f) => Some(f.id.to_string()),
                None if form.has_errors() => None,
                None => new_id(form, s, target.section, &format!("{from}-{to}")),
            };
            let (Some(id), false) = (id, form.has_errors()) else {
                return None;
            };
            Item::Flow(Flow {
                id: ElementId::new(id),
                from: ElementId::new(from),
                to: ElementId::new(to),
                label,
                protocol: form.text("protocol"),
                assets: form
                    .chosen("assets")
                    .into_iter()
                    .map(AssetId::new)
                    .collect(),
                authenticated: form.toggle("authenticated"),
                encrypted: form.toggle("encrypted"),
                tags: old.map(|f| f.tags.clone()).unwrap_or_default(),
                not_applicable: old
                    .map(|f| f.not_applicable.clone())
                    .unwrap_or_else(StrideSet::empty),
                notes: form.text("notes"),
            })
        }
        Section::Diagram => return None,
    };
    let noun = target.section.noun();
    Some(match editing {
        Some(index) => (Edit::Replace { index, item }, format!("{noun} updated")),
        None => {
            let index = target.section.len(s);
            (Edit::Insert { index, item }, format!("{noun} added"))
        }
    })
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

fn kind_mark(kind: ComponentKind) -> &'static str {
    match kind {
        ComponentKind::Process => "[P]",
        ComponentKind::DataStore => "[D]",
        ComponentKind::ExternalEntity => "[E]",
    }
}

fn yes_no(v: bool, yes: &'static str, no: &'static str) -> &'static str {
    if v { yes } else { no }
}

/// The rows of a section's list, with its header and column widths.
pub fn rows(
    s: &Session,
    section: Section,
    crossing: &dyn Fn(usize) -> bool,
) -> (Row<'static>, Vec<Vec<String>>, Vec<Constraint>) {
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
                .map(|c| {
                    vec![
                        kind_mark(c.kind).to_string(),
                        e(c.id.as_str()),
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
                .map(|(i, f)| {
                    vec![
                        e(f.id.as_str()),
                        format!("{} → {}", e(f.from.as_str()), e(f.to.as_str())),
                        e(&f.label),
                        format!(
                            "{} {}",
                            yes_no(f.authenticated, "yes ", "NO  "),
                            yes_no(f.encrypted, "yes", "NO")
                        ),
                        yes_no(crossing(i), "! yes", "").to_string(),
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
        Row::new(
            cells
                .into_iter()
                .zip(&columns)
                .map(|(cell, &w)| fit(&cell, usize::from(w))),
        )
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
    let kv = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("{k:<14}"), theme.dim()),
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
                        yes_no(f.authenticated, "authenticated", "NOT authenticated"),
                        yes_no(f.encrypted, "encrypted", "NOT encrypted")
                    ),
                ));
                if !f.assets.is_empty() {
                    lines.push(kv("assets", e(&ids_to_strings(&f.assets).join(", "))));
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
