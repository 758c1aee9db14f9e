//! Question 1's forms: adding and editing boundaries, assets, components and flows.

use super::{FormTarget, Section};
use crate::model::edit::{Edit, Item};
use crate::model::text::escape_control;
use crate::model::{
    Asset, AssetId, Boundary, BoundaryId, Classification, Component, ComponentKind, ElementId,
    Flow, Session, StrideSet, Technology, id_syntax_problem, slugify,
};
use crate::tui::widgets::form::{Choice, DeriveId, Field, Form, Note};

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

/// "(none)" and the technology vocabulary, each with its help line.
fn technology_choices() -> Vec<Choice> {
    let mut out =
        vec![none_choice().with_help("no technology: rules that read it pass this component by")];
    out.extend(
        Technology::ALL
            .iter()
            .map(|t| Choice::new(t.as_str(), t.as_str()).with_help(t.help())),
    );
    out
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

pub(super) fn ids_to_strings<T: std::fmt::Display>(ids: &[T]) -> Vec<String> {
    ids.iter().map(ToString::to_string).collect()
}

/// The form for adding to or editing an entry of `section`.
pub fn open_form(s: &Session, target: FormTarget) -> Option<Form> {
    let i = target.index;
    let verb = if i.is_some() { "Edit" } else { "Add" };
    // Always there: a new entry shows the id it will get while the name is typed; an existing
    // one can be renamed (what refers to it follows).
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
            fields.push(id_field(b.map_or("", |x| x.id.as_str())));
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
            fields.push(id_field(a.map_or("", |x| x.id.as_str())));
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
            // A new component starts as the previous one: its kind, technology and boundary.
            let previous = if c.is_none() {
                s.components.last()
            } else {
                None
            };
            let like = c.or(previous);
            let mut fields = vec![Field::text(
                "name",
                "Name",
                c.map_or("", |c| &c.name),
                "e.g. API gateway",
            )];
            fields.push(id_field(c.map_or("", |x| x.id.as_str())));
            let kinds = ComponentKind::ALL
                .iter()
                .map(|k| Choice::new(k.as_str(), k.as_str()))
                .collect();
            fields.push(Field::choice(
                "kind",
                "Kind",
                kinds,
                like.map_or("process", |c| c.kind.as_str()),
            ));
            fields.push(
                Field::choice(
                    "technology",
                    "Technology",
                    technology_choices(),
                    like.and_then(|c| c.technology).map_or("", |t| t.as_str()),
                )
                .with_note(Note::ChoiceHelp),
            );
            fields.push(Field::choice(
                "boundary",
                "Boundary",
                boundary_choices(s, None),
                like.and_then(|c| c.boundary.as_ref())
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
            fields.push(out_of_scope_field(
                c.and_then(|c| c.out_of_scope_reason()).unwrap_or(""),
            ));
            fields.push(Field::text(
                "notes",
                "Notes",
                c.map_or("", |c| &c.notes),
                "",
            ));
            let form = Form::new(title(verb, "component", c.map(|c| c.id.as_str())), fields);
            match previous {
                Some(p) => form.with_note(format!(
                    "Kind, technology and boundary as the previous component, {}",
                    p.id
                )),
                None => form,
            }
        }
        Section::Flows => {
            let f = i.and_then(|i| s.flows.get(i));
            // A new flow starts with the previous one's protocol, authentication, encryption.
            let previous = if f.is_none() { s.flows.last() } else { None };
            let like = f.or(previous);
            let mut fields = vec![Field::text(
                "label",
                "Label",
                f.map_or("", |f| &f.label),
                "what moves, e.g. login request",
            )];
            fields.push(id_field(f.map_or("", |x| x.id.as_str())));
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
            fields.push(
                Field::text(
                    "protocol",
                    "Protocol",
                    like.map_or("", |f| &f.protocol),
                    "e.g. HTTPS",
                )
                .with_note(Note::ProtocolFamily),
            );
            // Three ways: unknown stays unknown (the first flow starts so), never a silent "no".
            fields.push(Field::choice(
                "authenticated",
                "Authenticated",
                known_choices(),
                known_value(like.and_then(|f| f.authenticated)),
            ));
            fields.push(Field::choice(
                "encrypted",
                "Encrypted",
                known_choices(),
                known_value(like.and_then(|f| f.encrypted)),
            ));
            fields.push(Field::multi(
                "assets",
                "Assets",
                asset_choices(s),
                &f.map(|f| ids_to_strings(&f.assets)).unwrap_or_default(),
            ));
            fields.push(out_of_scope_field(
                f.and_then(|f| f.out_of_scope_reason()).unwrap_or(""),
            ));
            fields.push(Field::text(
                "notes",
                "Notes",
                f.map_or("", |f| &f.notes),
                "",
            ));
            let form = Form::new(title(verb, "flow", f.map(|f| f.id.as_str())), fields);
            match previous {
                Some(p) => form.with_note(format!(
                    "Protocol, authenticated, encrypted as the previous flow, {}",
                    p.id
                )),
                None => form,
            }
        }
        Section::Diagram => return None,
    };
    if i.is_some() {
        return Some(form);
    }
    // A blank id shows what it will be, from the name (a flow's from its two ends).
    let from = match target.section {
        Section::Flows => vec!["from", "to"],
        _ => vec!["name"],
    };
    let taken = match target.section {
        Section::Boundaries => s.boundaries.iter().map(|b| b.id.to_string()).collect(),
        Section::Assets => s.assets.iter().map(|a| a.id.to_string()).collect(),
        _ => s
            .components
            .iter()
            .map(|c| c.id.to_string())
            .chain(s.flows.iter().map(|f| f.id.to_string()))
            .collect(),
    };
    Some(form.with_derived_id(DeriveId {
        from,
        fallback: target.section.noun(),
        taken,
    }))
}

/// Yes, no, or unknown (left out of the file), for a flow's authentication and encryption.
fn known_choices() -> Vec<Choice> {
    vec![
        Choice::new("unknown", "unknown"),
        Choice::new("yes", "yes"),
        Choice::new("no", "no"),
    ]
}

fn known_value(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    }
}

fn parse_known(v: &str) -> Option<bool> {
    match v {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

/// The old `out-of-scope` tag gives way to the form's reason (shown there as "tagged
/// out-of-scope"), so clearing the reason really brings the element back in scope.
fn without_scope_tag(mut tags: Vec<String>) -> Vec<String> {
    tags.retain(|t| !t.eq_ignore_ascii_case(crate::model::OUT_OF_SCOPE_TAG));
    tags
}

/// The reason an element is out of scope; blank keeps it in scope.
fn out_of_scope_field(value: &str) -> Field {
    Field::text(
        "out_of_scope",
        "Out of scope",
        value,
        "blank: in scope; else why, e.g. the vendor's system",
    )
}

fn title(verb: &str, noun: &str, id: Option<&str>) -> String {
    match id {
        Some(id) => format!("{verb} {noun} {}", escape_control(id)),
        None => format!("{verb} {noun}"),
    }
}

/// Ids in use by components and flows (one namespace) or by the table's own entries.
pub(super) fn id_taken(s: &Session, section: Section, id: &str) -> bool {
    match section {
        Section::Boundaries => s.boundary(id).is_some(),
        Section::Assets => s.asset(id).is_some(),
        Section::Components | Section::Flows => s.element(id).is_some(),
        Section::Diagram => false,
    }
}

/// The id made from a name: its slug (the section's noun when nothing of it is left), with
/// `-2`, `-3`... until it is free. The forms and the quick-add line make ids the same way.
pub(super) fn unique_id(s: &Session, section: Section, name: &str) -> String {
    unique_slug(name, section.noun(), |id| id_taken(s, section, id))
}

/// The slug of `name` (`fallback` when empty), made free of `taken`.
pub fn unique_slug(name: &str, fallback: &str, taken: impl Fn(&str) -> bool) -> String {
    let mut base = slugify(name);
    if base.is_empty() {
        base = fallback.to_string();
    }
    let mut candidate = base.clone();
    let mut n = 2;
    while taken(&candidate) {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    candidate
}

/// The id of an entry being edited: as it was when the field is blank or unchanged, else the
/// new one when it is free and well formed.
fn renamed_id(form: &mut Form, s: &Session, section: Section, old: &str) -> Option<String> {
    let typed = form.text("id");
    if typed.is_empty() || typed == old {
        return Some(old.to_string());
    }
    if let Some(problem) = id_syntax_problem(&typed) {
        form.set_error("id", problem);
        return None;
    }
    if id_taken(s, section, &typed) {
        form.set_error("id", format!("{typed:?} is already used"));
        return None;
    }
    Some(typed)
}

/// The edit that replaces entry `index` with `item` whose id changed from `old` to `new`, and
/// makes everything that referred to the old id refer to the new one: one undoable step.
fn rename(s: &Session, section: Section, index: usize, item: Item, old: &str, new: &str) -> Edit {
    let mut next = s.clone();
    let is_old = |id: &str| id == old;
    match item {
        Item::Boundary(b) => {
            if let Some(slot) = next.boundaries.get_mut(index) {
                *slot = b;
            }
            for c in &mut next.components {
                if c.boundary.as_ref().is_some_and(|x| is_old(x.as_str())) {
                    c.boundary = Some(BoundaryId::new(new));
                }
            }
            for b in &mut next.boundaries {
                if b.parent.as_ref().is_some_and(|x| is_old(x.as_str())) {
                    b.parent = Some(BoundaryId::new(new));
                }
            }
        }
        Item::Asset(a) => {
            if let Some(slot) = next.assets.get_mut(index) {
                *slot = a;
            }
            let ids = next
                .components
                .iter_mut()
                .flat_map(|c| c.assets.iter_mut())
                .chain(next.flows.iter_mut().flat_map(|f| f.assets.iter_mut()));
            for id in ids.filter(|x| is_old(x.as_str())) {
                *id = AssetId::new(new);
            }
        }
        Item::Component(c) => {
            if let Some(slot) = next.components.get_mut(index) {
                *slot = c;
            }
            for f in &mut next.flows {
                if is_old(f.from.as_str()) {
                    f.from = ElementId::new(new);
                }
                if is_old(f.to.as_str()) {
                    f.to = ElementId::new(new);
                }
            }
        }
        Item::Flow(f) => {
            if let Some(slot) = next.flows.get_mut(index) {
                *slot = f;
            }
        }
        _ => {}
    }
    if matches!(section, Section::Components | Section::Flows) {
        for t in &mut next.threats {
            if is_old(t.target.as_str()) {
                t.target = ElementId::new(new);
            }
        }
    }
    Edit::Whole(Box::new(next))
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
    Some(unique_id(s, section, base))
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
                Some(b) => renamed_id(form, s, target.section, b.id.as_str()),
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
                Some(a) => renamed_id(form, s, target.section, a.id.as_str()),
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
                Some(c) => renamed_id(form, s, target.section, c.id.as_str()),
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
                tags: without_scope_tag(split_tags(&form.text("tags"))).into(),
                assets: form
                    .chosen("assets")
                    .into_iter()
                    .map(AssetId::new)
                    .collect(),
                not_applicable: old
                    .map(|c| c.not_applicable.clone())
                    .unwrap_or_else(StrideSet::empty),
                not_applicable_reason: old
                    .map(|c| c.not_applicable_reason.clone())
                    .unwrap_or_default(),
                // Trimmed: a blank reason means in scope (a whitespace-only one is invalid).
                out_of_scope: form.text("out_of_scope").trim().to_string().into(),
                notes: form.text("notes").into(),
                technology: Technology::parse(&form.choice("technology")),
                dismissed: old.map(|c| c.dismissed.clone()).unwrap_or_default(),
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
                Some(f) => renamed_id(form, s, target.section, f.id.as_str()),
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
                label: label.into(),
                protocol: form.text("protocol").into(),
                assets: form
                    .chosen("assets")
                    .into_iter()
                    .map(AssetId::new)
                    .collect(),
                authenticated: parse_known(&form.choice("authenticated")),
                encrypted: parse_known(&form.choice("encrypted")),
                tags: without_scope_tag(old.map(|f| f.tags.to_vec()).unwrap_or_default()).into(),
                not_applicable: old
                    .map(|f| f.not_applicable.clone())
                    .unwrap_or_else(StrideSet::empty),
                not_applicable_reason: old
                    .map(|f| f.not_applicable_reason.clone())
                    .unwrap_or_default(),
                out_of_scope: form.text("out_of_scope").trim().to_string().into(),
                notes: form.text("notes").into(),
                dismissed: old.map(|f| f.dismissed.clone()).unwrap_or_default(),
            })
        }
        Section::Diagram => return None,
    };
    let noun = target.section.noun();
    let old_id = editing.and_then(|i| super::quick::id_at(s, target.section, i));
    let new_id = item_id(&item);
    Some(match editing {
        Some(index)
            if old_id
                .as_deref()
                .is_some_and(|o| Some(o) != new_id.as_deref()) =>
        {
            let (old, new) = (old_id.unwrap_or_default(), new_id.unwrap_or_default());
            let message = format!("{noun} renamed {old} → {new}, and what refers to it");
            (rename(s, target.section, index, item, &old, &new), message)
        }
        Some(index) => (Edit::Replace { index, item }, format!("{noun} updated")),
        None => {
            let index = target.section.len(s);
            (Edit::Insert { index, item }, format!("{noun} added"))
        }
    })
}

/// The id of an element table's item.
fn item_id(item: &Item) -> Option<String> {
    match item {
        Item::Boundary(b) => Some(b.id.to_string()),
        Item::Asset(a) => Some(a.id.to_string()),
        Item::Component(c) => Some(c.id.to_string()),
        Item::Flow(f) => Some(f.id.to_string()),
        _ => None,
    }
}
