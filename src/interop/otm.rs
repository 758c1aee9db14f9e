//! Open Threat Model (OTM, IriusRisk's open format, otmVersion 0.1.0 and 0.2.0) in and out.
//!
//! How a model maps (import; export is the reverse, and what threatboard has and OTM has no field
//! for is written as `threatboard:`-prefixed attributes so that a round trip keeps it):
//!
//! - `project` name and description become the session's title and description.
//! - Trust zones become boundaries; a zone's parent zone becomes the boundary's parent. The trust
//!   rating (0-100) is kept in the boundary's notes. A zone inside a component goes into that
//!   component's boundary (warned). A cycle of parents is broken (warned).
//! - Components keep their id, name and description (notes). Their `type` becomes a technology
//!   where the vocabulary has a word for it (exactly, or by a keyword: `database`, `web-client`,
//!   `android-device-client`...), and decides the kind (data store, external entity, process);
//!   a type without a word is kept in the notes and warned. A component's parent zone is its
//!   boundary; a component inside another component goes into that component's boundary
//!   (threatboard does not nest components; warned). `properties` (as Threat Dragon and
//!   Microsoft's tool write them) and `attributes` give out-of-scope and its reason.
//! - Dataflows keep source, destination, name (label), description, tags and assets. A
//!   bidirectional flow becomes two flows, the second with id `<id>-back` (warned). Protocol,
//!   authentication and encryption come from attributes (`protocol`, `authenticated` /
//!   `authentication`, `encrypted` / `encryption`) or tags (`encrypted`, `unencrypted`,
//!   `authenticated`, `unauthenticated`); otherwise they are unknown.
//! - Threats are defined once in OTM and instanced on components and dataflows; each instance
//!   becomes a threat on that element. The first instance keeps the OTM threat id, later ones get
//!   `-2`, `-3`. STRIDE categories become letters (other categories go to the notes, warned);
//!   likelihood and impact (0-100) become 1 (0-33), 2 (34-66), 3 (67-100); CWEs go to the notes
//!   (no CWE library ships, so a `cwe:` reference would not validate). The instance's state
//!   gives the status (exposed/open: open; mitigated: resolved; not-applicable: not
//!   applicable); an accepted state without who accepted it and why stays open (warned).
//! - Mitigations linked from threat instances become mitigations of those threats, their link
//!   state the status (implemented: done; required, recommended: planned). The description is
//!   added to the action; the risk reduction goes to the notes of the threats it covers.
//!   Mitigations and threats not linked to any element are reported, not imported.
//! - Assets become assets, classified by their confidentiality rating (0-24 public, 25-49
//!   internal, 50-74 confidential, 75-100 restricted); integrity and availability are lost.
//! - Lost on export (OTM has no place for them): runs, assumptions, the review, the agenda and
//!   dismissed suggestions.

use super::json_model::{
    IdMap, ImportError, Imported, array, multi_line, number, one_line, parse_object, push_line,
    quoted_list, scalar, strings, text, yes_no,
};
use crate::model::{
    Acceptance, Asset, Boundary, BoundaryId, Classification, Component, ComponentKind, ElementId,
    Flow, LibraryRef, Mitigation, MitigationStatus, Rating, Response, Session, Stride, StrideSet,
    Technology, Threat, ThreatId, ThreatStatus, slugify,
};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// OTM files are small; far larger is a mistake (or an attack).
pub const MAX_MODEL_BYTES: usize = 64 * 1024 * 1024;

/// The otmVersion written on export: the schema's version.
pub const OTM_VERSION: &str = "0.2.0";

/// The prefix of attributes threatboard writes for what OTM has no field for.
const TB: &str = "threatboard:";

// ================================================================================================
// Import

/// Reads an OTM model (JSON) and makes a session of it.
pub fn import(bytes: &[u8]) -> Result<Imported, ImportError> {
    let doc = parse_object(bytes, MAX_MODEL_BYTES, "OTM")?;
    let mut importer = Importer::default();
    importer.model(&doc);
    Ok(Imported {
        session: importer.session,
        warnings: importer.warnings,
    })
}

/// Where an element sits, as written in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Parent {
    Zone(String),
    Component(String),
    /// `parent: "id"`: looked up among zones, then components.
    Either(String),
}

/// Both ways of writing a parent: `{trustZone: id}` / `{component: id}`, and `{id, type}`; a
/// bare string as the OTM README's own example has it.
fn parent_of(v: &Value) -> Option<Parent> {
    match v.get("parent")? {
        Value::String(s) if !s.trim().is_empty() => Some(Parent::Either(s.trim().to_string())),
        Value::Object(p) => {
            let s = |k: &str| {
                p.get(k)
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
            };
            if let Some(z) = s("trustZone").or_else(|| s("trustzone")) {
                return Some(Parent::Zone(z.to_string()));
            }
            if let Some(c) = s("component") {
                return Some(Parent::Component(c.to_string()));
            }
            let id = s("id")?.to_string();
            let kind = s("type").unwrap_or("").to_ascii_lowercase();
            Some(if kind.contains("zone") || kind.contains("trust") {
                Parent::Zone(id)
            } else if kind.contains("component") {
                Parent::Component(id)
            } else {
                Parent::Either(id)
            })
        }
        _ => None,
    }
}

/// The element's attributes and (as Microsoft's tool and Threat Dragon write them) properties.
fn attribute<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    ["attributes", "properties"]
        .iter()
        .filter_map(|field| v.get(*field)?.as_object())
        .find_map(|m| {
            m.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        })
}

fn tb_attr<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    attribute(v, &format!("{TB}{key}")).and_then(Value::as_str)
}

/// Whether threatboard wrote this element (it carries `threatboard:` attributes): then the
/// values OTM requires but threatboard has not (trust rating, risk reduction) mean nothing.
fn from_threatboard(v: &Value) -> bool {
    v.get("attributes")
        .and_then(Value::as_object)
        .is_some_and(|m| m.keys().any(|k| k.starts_with(TB)))
}

/// Attribute and property keys the importer reads (lowercase); others are counted as unmapped.
const KNOWN_ATTRIBUTES: [&str; 10] = [
    "out of scope",
    "outofscope",
    "reason for out of scope",
    "protocol",
    "authenticated",
    "authentication",
    "encrypted",
    "encryption",
    "name",
    "dataflow order",
];

struct Importer {
    session: Session,
    warnings: Vec<String>,
    boundary_ids: IdMap,
    element_ids: IdMap,
    asset_ids: IdMap,
    threat_ids: IdMap,
    mitigation_ids: IdMap,
    /// Source zone id -> boundary id.
    zones: HashMap<String, BoundaryId>,
    /// Source component id -> (component index, its parent as written).
    components: HashMap<String, (usize, Option<Parent>)>,
    /// Zones whose parent is a component: resolved once components are read.
    zone_in_component: Vec<(usize, String)>,
    renamed: Vec<String>,
    unmapped_attributes: BTreeSet<String>,
    unmapped_types: BTreeSet<String>,
    unmapped_categories: BTreeSet<String>,
    /// Source dataflow id -> flow id (the forward flow of a bidirectional one).
    flow_sources: HashMap<String, String>,
}

impl Default for Importer {
    fn default() -> Self {
        Importer {
            session: Session::new(String::new()),
            warnings: Vec::new(),
            boundary_ids: IdMap::default(),
            element_ids: IdMap::default(),
            asset_ids: IdMap::default(),
            threat_ids: IdMap::default(),
            mitigation_ids: IdMap::default(),
            zones: HashMap::new(),
            components: HashMap::new(),
            zone_in_component: Vec::new(),
            renamed: Vec::new(),
            unmapped_attributes: BTreeSet::new(),
            unmapped_types: BTreeSet::new(),
            unmapped_categories: BTreeSet::new(),
            flow_sources: HashMap::new(),
        }
    }
}

impl Importer {
    fn warn(&mut self, message: impl Into<String>) {
        self.warnings.push(message.into());
    }

    fn note_renamed(&mut self, what: &str, source: &str, id: &str) {
        self.renamed
            .push(format!("{what} {:?} -> {id:?}", one_line(source).0));
    }

    fn model(&mut self, doc: &Value) {
        self.session = Session::new(String::new());
        match doc.get("otmVersion").and_then(Value::as_str) {
            Some(v) if v.starts_with("0.1.") || v.starts_with("0.2.") => {}
            Some(v) => self.warn(format!(
                "otmVersion {:?} is not 0.1.x or 0.2.x; read as {OTM_VERSION}",
                one_line(v).0
            )),
            None => self.warn(format!("no otmVersion; read as {OTM_VERSION}")),
        }
        let project = doc.get("project").unwrap_or(&Value::Null);
        let title = text(project, "name").map(|t| one_line(t).0);
        self.session.title = title.unwrap_or_else(|| "Imported OTM model".to_string());
        if let Some(d) = text(project, "description") {
            self.session.description = multi_line(d);
        }
        if let Some(owner) = text(project, "owner") {
            self.warn(format!(
                "the project owner {:?} is not kept (a session has no owner)",
                one_line(owner).0
            ));
        }
        if !array(doc, "representations").is_empty() {
            self.warn("representations (diagram positions, code locations) are not imported");
        }
        self.assets(doc);
        self.trust_zones(doc);
        self.read_components(doc);
        self.resolve_parents();
        self.dataflows(doc);
        self.threats(doc);
        if !self.renamed.is_empty() {
            let list = quoted_list(&self.renamed, 5).replace("\\\"", "\"");
            self.warn(format!(
                "{} ids are not valid threatboard ids or are used twice, and were changed: {list}",
                self.renamed.len()
            ));
        }
        let summary = |what: &str, set: &BTreeSet<String>| {
            if !set.is_empty() {
                let list: Vec<String> = set.iter().cloned().collect();
                Some(format!("{what}: {}", quoted_list(&list, 8)))
            } else {
                None
            }
        };
        let lines: Vec<String> = [
            summary(
                "attributes and properties not imported",
                &self.unmapped_attributes,
            ),
            summary(
                "component types with no technology word (kept in the notes)",
                &self.unmapped_types,
            ),
            summary(
                "threat categories that are not STRIDE (kept in the notes)",
                &self.unmapped_categories,
            ),
        ]
        .into_iter()
        .flatten()
        .collect();
        self.warnings.extend(lines);
    }

    /// Counts the attribute and property keys of an element that nothing reads.
    fn unmapped_keys(&mut self, v: &Value) {
        for field in ["attributes", "properties"] {
            if let Some(m) = v.get(field).and_then(Value::as_object) {
                for k in m.keys() {
                    let lower = k.to_ascii_lowercase();
                    if !k.starts_with(TB) && !KNOWN_ATTRIBUTES.contains(&lower.as_str()) {
                        self.unmapped_attributes.insert(one_line(k).0);
                    }
                }
            }
        }
    }

    fn assets(&mut self, doc: &Value) {
        let mut cia_lost = false;
        for a in array(doc, "assets") {
            let Some(source) = a.get("id").and_then(Value::as_str) else {
                self.warn("an asset without an id is not imported");
                continue;
            };
            let name = text(a, "name").map_or_else(|| one_line(source).0, |n| one_line(n).0);
            let (id, changed) = self.asset_ids.assign(source, &name, "asset");
            if changed {
                self.note_renamed("asset", source, &id);
            }
            let risk = a.get("risk").unwrap_or(&Value::Null);
            let classification = match tb_attr(a, "classification") {
                Some(c) => Classification::ALL
                    .into_iter()
                    .find(|k| k.as_str() == c)
                    .unwrap_or(Classification::Internal),
                None => {
                    let c = number(risk.get("confidentiality")).unwrap_or(50.0);
                    cia_lost |= risk.get("integrity").is_some();
                    if c >= 75.0 {
                        Classification::Restricted
                    } else if c >= 50.0 {
                        Classification::Confidential
                    } else if c >= 25.0 {
                        Classification::Internal
                    } else {
                        Classification::Public
                    }
                }
            };
            self.unmapped_keys(a);
            self.session.assets.push(Asset {
                id: id.into(),
                name,
                classification,
                notes: text(a, "description").map(multi_line).unwrap_or_default(),
            });
        }
        if cia_lost {
            self.warn(
                "assets are classified by their confidentiality rating; integrity and availability ratings are not kept",
            );
        }
    }

    fn trust_zones(&mut self, doc: &Value) {
        let mut parents: Vec<Option<Parent>> = Vec::new();
        for z in array(doc, "trustZones") {
            let Some(source) = z.get("id").and_then(Value::as_str) else {
                self.warn("a trust zone without an id is not imported");
                continue;
            };
            if tb_attr(z, "synthetic").is_some() {
                // The zone threatboard's export adds for components outside every boundary.
                self.zones.insert(source.to_string(), BoundaryId::new(""));
                parents.push(None);
                self.session.boundaries.push(Boundary {
                    id: BoundaryId::new(""),
                    name: String::new(),
                    parent: None,
                    notes: String::new(),
                });
                continue;
            }
            let name = text(z, "name").map_or_else(|| one_line(source).0, |n| one_line(n).0);
            let (id, changed) = self.boundary_ids.assign(source, &name, "zone");
            if changed {
                self.note_renamed("trust zone", source, &id);
            }
            let mut notes = text(z, "description").map(multi_line).unwrap_or_default();
            if !from_threatboard(z) {
                if let Some(kind) = text(z, "type") {
                    push_line(&mut notes, &format!("OTM zone type: {}", one_line(kind).0));
                }
                if let Some(r) = number(z.get("risk").and_then(|r| r.get("trustRating"))) {
                    push_line(&mut notes, &format!("OTM trust rating: {r}"));
                }
            }
            self.unmapped_keys(z);
            self.zones.insert(source.to_string(), BoundaryId::new(&id));
            parents.push(parent_of(z));
            self.session.boundaries.push(Boundary {
                id: id.into(),
                name,
                parent: None,
                notes,
            });
        }
        for (i, parent) in parents.into_iter().enumerate() {
            let Some(parent) = parent else { continue };
            let here = self.session.boundaries[i].id.to_string();
            match parent {
                Parent::Zone(p) | Parent::Either(p) if self.zones.contains_key(&p) => {
                    let b = self.zones[&p].clone();
                    if b.as_str().is_empty() {
                        continue;
                    }
                    self.session.boundaries[i].parent = Some(b);
                }
                Parent::Component(c) | Parent::Either(c) => self.zone_in_component.push((i, c)),
                Parent::Zone(p) => self.warn(format!(
                    "trust zone {here:?}: parent zone {:?} does not exist; imported at the top level",
                    one_line(&p).0
                )),
            }
        }
    }

    fn read_components(&mut self, doc: &Value) {
        for c in array(doc, "components") {
            let Some(source) = c.get("id").and_then(Value::as_str) else {
                self.warn("a component without an id is not imported");
                continue;
            };
            if self.components.contains_key(source) {
                self.warn(format!(
                    "component id {:?} is used twice; the second is not imported",
                    one_line(source).0
                ));
                continue;
            }
            let name = text(c, "name").map_or_else(|| one_line(source).0, |n| one_line(n).0);
            let (id, changed) = self.element_ids.assign(source, &name, "component");
            if changed {
                self.note_renamed("component", source, &id);
            }
            let mut notes = text(c, "description").map(multi_line).unwrap_or_default();
            let otm_type = text(c, "type").map(|t| one_line(t).0).unwrap_or_default();
            let explicit_kind = tb_attr(c, "kind").and_then(|k| {
                ComponentKind::ALL
                    .into_iter()
                    .find(|kind| kind.as_str() == k)
            });
            let is_kind_word = ComponentKind::ALL.iter().any(|k| k.as_str() == otm_type);
            let technology = (!is_kind_word).then(|| technology_of(&otm_type)).flatten();
            let kind = explicit_kind.unwrap_or_else(|| kind_of(&otm_type, technology));
            if technology.is_none_or(|t| t.as_str() != otm_type)
                && !is_kind_word
                && !otm_type.is_empty()
            {
                push_line(&mut notes, &format!("OTM type: {otm_type}"));
                if technology.is_none() {
                    self.unmapped_types.insert(otm_type.clone());
                }
            }
            let mut assets = Vec::new();
            if let Some(inst) = c.get("assets") {
                for a in strings(inst, "processed")
                    .into_iter()
                    .chain(strings(inst, "stored"))
                {
                    self.asset_ref(&a, &id, &mut assets);
                }
            }
            let component = Component {
                id: id.clone().into(),
                name,
                kind,
                technology,
                boundary: None,
                tags: strings(c, "tags").into(),
                assets,
                not_applicable: tb_attr(c, "notApplicable")
                    .map(StrideSet::parse)
                    .unwrap_or_default(),
                not_applicable_reason: tb_attr(c, "notApplicableReason")
                    .map(multi_line)
                    .unwrap_or_default()
                    .into(),
                out_of_scope: out_of_scope(c).into(),
                notes: notes.into(),
                dismissed: Default::default(),
            };
            self.unmapped_keys(c);
            self.components.insert(
                source.to_string(),
                (self.session.components.len(), parent_of(c)),
            );
            self.session.components.push(component);
        }
    }

    fn asset_ref(&mut self, source: &str, element: &str, out: &mut Vec<crate::model::AssetId>) {
        match self.asset_ids.get(source) {
            Some(a) if !out.iter().any(|x| x.as_str() == a) => out.push(a.into()),
            Some(_) => {}
            None => self.warn(format!(
                "{element:?}: unknown asset {:?} not linked",
                one_line(source).0
            )),
        }
    }

    /// The boundary a source component sits in, following component parents up to a zone.
    fn boundary_of_component(&self, source: &str) -> Option<BoundaryId> {
        let mut current = source.to_string();
        let mut seen = HashSet::new();
        while seen.insert(current.clone()) {
            let (_, parent) = self.components.get(&current)?;
            match parent.as_ref()? {
                Parent::Zone(z) => return self.zone_boundary(z),
                Parent::Either(p) if self.zones.contains_key(p) => return self.zone_boundary(p),
                Parent::Component(c) | Parent::Either(c) => current = c.clone(),
            }
        }
        None
    }

    fn zone_boundary(&self, zone: &str) -> Option<BoundaryId> {
        self.zones
            .get(zone)
            .filter(|b| !b.as_str().is_empty())
            .cloned()
    }

    /// Components' boundaries, zones inside components, the synthetic zone removed, and parent
    /// cycles broken.
    fn resolve_parents(&mut self) {
        let mut sources: Vec<(&String, &(usize, Option<Parent>))> =
            self.components.iter().collect();
        sources.sort_by_key(|(_, (i, _))| *i);
        let mut updates = Vec::new();
        let mut messages = Vec::new();
        for (source, (i, parent)) in sources {
            let id = self.session.components[*i].id.as_str();
            match parent {
                None => messages.push(format!(
                    "component {id:?} has no parent; imported outside every boundary"
                )),
                Some(Parent::Zone(z)) if !self.zones.contains_key(z) => messages.push(format!(
                    "component {id:?}: trust zone {:?} does not exist; imported outside every boundary",
                    one_line(z).0
                )),
                Some(Parent::Component(c)) | Some(Parent::Either(c))
                    if !self.zones.contains_key(c) =>
                {
                    match self.components.get(c) {
                        Some((j, _)) => messages.push(format!(
                            "component {id:?} is inside component {:?}; threatboard does not nest components, so it is put in that component's boundary",
                            self.session.components[*j].id.as_str()
                        )),
                        None => messages.push(format!(
                            "component {id:?}: parent {:?} does not exist; imported outside every boundary",
                            one_line(c).0
                        )),
                    }
                }
                _ => {}
            }
            updates.push((*i, self.boundary_of_component(source)));
        }
        for (i, b) in updates {
            self.session.components[i].boundary = b;
        }
        self.warnings.extend(messages);
        for (i, c) in std::mem::take(&mut self.zone_in_component) {
            let here = self.session.boundaries[i].id.to_string();
            match self.components.get(&c) {
                Some(_) => {
                    let b = self.boundary_of_component(&c);
                    self.warn(format!(
                        "trust zone {here:?} is inside a component; it is nested in that component's boundary instead"
                    ));
                    self.session.boundaries[i].parent = b.filter(|b| b.as_str() != here);
                }
                None => self.warn(format!(
                    "trust zone {here:?}: parent {:?} does not exist; imported at the top level",
                    one_line(&c).0
                )),
            }
        }
        self.session
            .boundaries
            .retain(|b| !b.id.as_str().is_empty());
        // Break cycles of parents: walking up from each boundary must end.
        let index: HashMap<String, usize> = self
            .session
            .boundaries
            .iter()
            .enumerate()
            .map(|(i, b)| (b.id.to_string(), i))
            .collect();
        for start in 0..self.session.boundaries.len() {
            let mut seen = HashSet::from([start]);
            let mut current = start;
            while let Some(p) = self.session.boundaries[current].parent.clone() {
                let Some(&next) = index.get(p.as_str()) else {
                    break;
                };
                if !seen.insert(next) {
                    let id = self.session.boundaries[current].id.to_string();
                    self.warn(format!(
                        "trust zones nest in a cycle; {id:?} is imported without its parent"
                    ));
                    self.session.boundaries[current].parent = None;
                    break;
                }
                current = next;
            }
        }
    }

    fn dataflows(&mut self, doc: &Value) {
        self.flow_sources = HashMap::new();
        for f in array(doc, "dataflows") {
            let Some(source) = f.get("id").and_then(Value::as_str) else {
                self.warn("a dataflow without an id is not imported");
                continue;
            };
            let end = |key: &str| {
                f.get(key)
                    .and_then(Value::as_str)
                    .and_then(|s| self.components.get(s))
                    .map(|(i, _)| self.session.components[*i].id.clone())
            };
            let (Some(from), Some(to)) = (end("source"), end("destination")) else {
                let n = array(f, "threats").len();
                self.warn(format!(
                    "dataflow {:?} does not connect two components; not imported{}",
                    one_line(source).0,
                    if n > 0 {
                        format!(" (with its {n} threat instance(s))")
                    } else {
                        String::new()
                    }
                ));
                continue;
            };
            if self.flow_sources.contains_key(source) {
                self.warn(format!(
                    "dataflow id {:?} is used twice; the second is not imported",
                    one_line(source).0
                ));
                continue;
            }
            let label = text(f, "name").map(|n| one_line(n).0).unwrap_or_else(|| {
                let name = |key: &str| {
                    f.get(key)
                        .and_then(Value::as_str)
                        .and_then(|s| self.components.get(s))
                        .map_or(String::new(), |(i, _)| {
                            self.session.components[*i].name.clone()
                        })
                };
                format!("{} to {}", name("source"), name("destination"))
            });
            let (id, changed) = self.element_ids.assign(source, &label, "flow");
            if changed {
                self.note_renamed("dataflow", source, &id);
            }
            let tags = strings(f, "tags");
            let has = |t: &str| tags.iter().any(|x| x.eq_ignore_ascii_case(t));
            let known = |keys: &[&str]| keys.iter().find_map(|k| attribute(f, k));
            // An attribute present says it all (threatboard writes "unknown"); tags otherwise.
            let flag = |keys: &[&str], yes: &str, no: &[&str]| match known(keys) {
                Some(v) => yes_no(Some(v)).or_else(|| {
                    v.as_str()
                        .filter(|s| !s.trim().is_empty() && s.trim() != "unknown")
                        .map(|_| true)
                }),
                None if has(yes) => Some(true),
                None if no.iter().any(|t| has(t)) => Some(false),
                None => None,
            };
            let authenticated = flag(
                &["authenticated", "authentication"],
                "authenticated",
                &["unauthenticated", "not-authenticated"],
            );
            let encrypted = flag(
                &["encrypted", "encryption"],
                "encrypted",
                &["unencrypted", "not-encrypted"],
            );
            let protocol = known(&["protocol"]).and_then(scalar).unwrap_or_default();
            let mut assets = Vec::new();
            for a in strings(f, "assets") {
                self.asset_ref(&a, &id, &mut assets);
            }
            let flow = Flow {
                id: id.clone().into(),
                from: from.clone(),
                to: to.clone(),
                label: label.into(),
                protocol: protocol.into(),
                assets,
                authenticated,
                encrypted,
                tags: tags.into(),
                not_applicable: tb_attr(f, "notApplicable")
                    .map(StrideSet::parse)
                    .unwrap_or_default(),
                not_applicable_reason: tb_attr(f, "notApplicableReason")
                    .map(multi_line)
                    .unwrap_or_default()
                    .into(),
                out_of_scope: out_of_scope(f).into(),
                notes: text(f, "description")
                    .map(multi_line)
                    .unwrap_or_default()
                    .into(),
                dismissed: Default::default(),
            };
            self.unmapped_keys(f);
            if yes_no(f.get("bidirectional")) == Some(true) {
                let back = self.element_ids.unique(&format!("{id}-back"));
                self.element_ids.reserve(&back);
                self.warn(format!(
                    "dataflow {id:?} is bidirectional: imported as two flows, {id:?} and {back:?} (its threats are on {id:?})"
                ));
                let mut reverse = flow.clone();
                reverse.id = back.into();
                reverse.from = to;
                reverse.to = from;
                self.session.flows.push(flow);
                self.session.flows.push(reverse);
            } else {
                self.session.flows.push(flow);
            }
            self.flow_sources.insert(source.to_string(), id);
        }
    }
}

/// Out of scope from threatboard's attribute, or the `Out Of Scope` property with its reason.
fn out_of_scope(v: &Value) -> String {
    if let Some(reason) = tb_attr(v, "outOfScope") {
        return multi_line(reason);
    }
    let flagged = yes_no(attribute(v, "Out Of Scope").or_else(|| attribute(v, "outOfScope")));
    if flagged != Some(true) {
        return String::new();
    }
    attribute(v, "Reason For Out Of Scope")
        .and_then(Value::as_str)
        .map(multi_line)
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "out of scope in the OTM model (no reason given)".to_string())
}

/// The technology word for an OTM component type: exact, else by keyword.
fn technology_of(otm_type: &str) -> Option<Technology> {
    if let Some(t) = Technology::parse(otm_type) {
        return Some(t);
    }
    let t = otm_type.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    Some(if has(&["api-gateway", "apigateway", "api gateway"]) {
        Technology::ApiGateway
    } else if has(&["load-balancer", "loadbalancer"]) {
        Technology::LoadBalancer
    } else if has(&["waf", "firewall"]) {
        Technology::Waf
    } else if has(&["android", "ios", "mobile"]) {
        Technology::MobileApp
    } else if has(&["browser", "web-client", "webclient"]) {
        Technology::Browser
    } else if has(&["iot-", "device"]) {
        Technology::IotDevice
    } else if has(&["desktop"]) {
        Technology::DesktopApp
    } else if has(&[
        "database", "-db", "db-", "sql", "postgres", "mongo", "dynamo", "cosmos",
    ]) {
        Technology::Database
    } else if has(&["cache", "redis", "memcache"]) {
        Technology::Cache
    } else if has(&[
        "queue",
        "kafka",
        "sqs",
        "sns",
        "kinesis",
        "broker",
        "event-hub",
    ]) {
        Technology::MessageQueue
    } else if has(&["s3", "blob", "bucket", "object-storage", "azure-storage"]) {
        Technology::ObjectStorage
    } else if has(&["file", "storage"]) {
        Technology::FileStorage
    } else if has(&["vault", "kms", "secret", "key-vault"]) {
        Technology::SecretsVault
    } else if has(&[
        "identity",
        "cognito",
        "keycloak",
        "oauth",
        "idp",
        "active-directory",
    ]) {
        Technology::IdentityProvider
    } else if has(&["lambda", "function"]) {
        Technology::ServerlessFunction
    } else if has(&["kubernetes", "k8s", "container", "docker"]) {
        Technology::ContainerPlatform
    } else if has(&["log-", "logs", "logging", "cloudtrail", "siem"]) {
        Technology::LogStore
    } else if has(&["monitor", "cloudwatch"]) {
        Technology::Monitoring
    } else if has(&["dns", "route53"]) {
        Technology::DnsService
    } else if has(&["proxy", "cdn", "cloudfront"]) {
        Technology::ReverseProxy
    } else if has(&["web-server", "webserver", "nginx", "apache", "iis"]) {
        Technology::WebServer
    } else if has(&[
        "web-service",
        "webservice",
        "api",
        "rest",
        "grpc",
        "microservice",
    ]) {
        Technology::Api
    } else if has(&["web-application", "webapp", "web-app", "website"]) {
        Technology::WebApp
    } else if has(&["user", "human", "person"]) {
        Technology::User
    } else if has(&["llm", "openai", "bedrock", "gpt"]) {
        Technology::Llm
    } else if has(&["ci-", "cicd", "pipeline", "jenkins"]) {
        Technology::CiPipeline
    } else {
        return None;
    })
}

/// A component's kind from its type (or technology): stores, outside parties, otherwise a process.
fn kind_of(otm_type: &str, technology: Option<Technology>) -> ComponentKind {
    if let Some(k) = ComponentKind::ALL
        .into_iter()
        .find(|k| k.as_str() == otm_type)
    {
        return k;
    }
    use Technology as T;
    match technology {
        Some(
            T::Database
            | T::ObjectStorage
            | T::FileStorage
            | T::Cache
            | T::MessageQueue
            | T::SearchIndex
            | T::LogStore
            | T::SecretsVault,
        ) => ComponentKind::DataStore,
        Some(
            T::Browser
            | T::MobileApp
            | T::DesktopApp
            | T::IotDevice
            | T::User
            | T::ThirdPartyService
            | T::PaymentProvider
            | T::EmailOrSmsProvider,
        ) => ComponentKind::ExternalEntity,
        _ => {
            let t = otm_type.to_ascii_lowercase();
            if ["actor", "external", "client"]
                .iter()
                .any(|w| t.contains(w))
            {
                ComponentKind::ExternalEntity
            } else if ["store", "storage"].iter().any(|w| t.contains(w)) {
                ComponentKind::DataStore
            } else {
                ComponentKind::Process
            }
        }
    }
}

/// A 0-100 rating as threatboard's 1..3.
fn rating(value: f64) -> Rating {
    if value <= 33.0 {
        Rating::LOW
    } else if value <= 66.0 {
        Rating::MEDIUM
    } else {
        Rating::HIGH
    }
}

/// The 0-100 value written for a rating: the middle of its third.
fn percent(r: Rating) -> u32 {
    match r.0 {
        i64::MIN..=1 => 17,
        2 => 50,
        _ => 83,
    }
}

fn stride_of_category(category: &str) -> Option<Stride> {
    let key: String = category
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .flat_map(|c| c.to_lowercase())
        .collect();
    Some(match key.as_str() {
        "s" | "spoofing" | "spoofingidentity" => Stride::Spoofing,
        "t" | "tampering" | "tamperingwithdata" => Stride::Tampering,
        "r" | "repudiation" => Stride::Repudiation,
        "i" | "informationdisclosure" | "disclosure" => Stride::InformationDisclosure,
        "d" | "denialofservice" | "dos" => Stride::DenialOfService,
        "e" | "elevationofprivilege" | "elevationofprivileges" | "privilegeescalation" => {
            Stride::ElevationOfPrivilege
        }
        _ => return None,
    })
}

fn threat_status(state: &str) -> Option<ThreatStatus> {
    let key = state.trim().to_ascii_lowercase().replace(['_', ' '], "-");
    Some(match key.as_str() {
        "exposed"
        | "expose"
        | "open"
        | "autogenerated"
        | "required"
        | "recommended"
        | "new"
        | "not-tested"
        | "partly-mitigated"
        | "partially-mitigated" => ThreatStatus::Open,
        "mitigated" | "mitigate" | "resolved" | "closed" | "fixed" | "transferred" | "avoided" => {
            ThreatStatus::Resolved
        }
        "needs-review" => ThreatStatus::NeedsReview,
        "not-applicable" | "n/a" | "na" | "hidden" | "false-positive" => {
            ThreatStatus::NotApplicable
        }
        _ => return None,
    })
}

fn mitigation_status(state: &str) -> Option<MitigationStatus> {
    let key = state.trim().to_ascii_lowercase().replace(['_', ' '], "-");
    Some(match key.as_str() {
        "implemented" | "done" | "complete" | "completed" => MitigationStatus::Done,
        "verified" | "tested" => MitigationStatus::Verified,
        "in-progress" | "inprogress" | "implementing" => MitigationStatus::InProgress,
        "required" | "recommended" | "planned" | "proposed" | "not-implemented" | "open"
        | "todo" => MitigationStatus::Planned,
        _ => return None,
    })
}

fn parse_enum<T: Copy>(
    text: Option<&str>,
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> Option<T> {
    let text = text?;
    all.iter().copied().find(|v| name(*v) == text)
}

const RESPONSES: [Response; 5] = [
    Response::Undecided,
    Response::Mitigate,
    Response::Accept,
    Response::Transfer,
    Response::Avoid,
];
const THREAT_STATUSES: [ThreatStatus; 4] = [
    ThreatStatus::Open,
    ThreatStatus::Resolved,
    ThreatStatus::NeedsReview,
    ThreatStatus::NotApplicable,
];
const MITIGATION_STATUSES: [MitigationStatus; 4] = [
    MitigationStatus::Planned,
    MitigationStatus::InProgress,
    MitigationStatus::Done,
    MitigationStatus::Verified,
];

/// A mitigation's links as read from threat instances.
struct MitigationLinks {
    threats: Vec<ThreatId>,
    states: Vec<MitigationStatus>,
    unknown_states: BTreeSet<String>,
}

impl Importer {
    fn threats(&mut self, doc: &Value) {
        let defs: HashMap<&str, &Value> = array(doc, "threats")
            .iter()
            .filter_map(|t| Some((t.get("id")?.as_str()?, t)))
            .collect();
        let mitigation_defs: HashMap<&str, &Value> = array(doc, "mitigations")
            .iter()
            .filter_map(|m| Some((m.get("id")?.as_str()?, m)))
            .collect();
        // Instances in file order: components, then dataflows.
        let mut instances: Vec<(ElementId, &Value)> = Vec::new();
        for c in array(doc, "components") {
            let Some(source) = c.get("id").and_then(Value::as_str) else {
                continue;
            };
            if let Some((i, _)) = self.components.get(source) {
                let id = self.session.components[*i].id.clone();
                instances.extend(array(c, "threats").iter().map(|t| (id.clone(), t)));
            }
        }
        for f in array(doc, "dataflows") {
            let Some(id) = f
                .get("id")
                .and_then(Value::as_str)
                .and_then(|s| self.flow_sources.get(s))
            else {
                continue;
            };
            let id = ElementId::new(id.clone());
            instances.extend(array(f, "threats").iter().map(|t| (id.clone(), t)));
        }
        let mut instanced: HashSet<&str> = HashSet::new();
        let mut links: BTreeMap<String, MitigationLinks> = BTreeMap::new();
        let mut link_order: Vec<String> = Vec::new();
        let mut unknown_threat_states: BTreeSet<String> = BTreeSet::new();
        for (target, instance) in instances {
            let Some(source) = instance.get("threat").and_then(Value::as_str) else {
                self.warn(format!(
                    "{:?}: a threat instance without a threat id is not imported",
                    target.as_str()
                ));
                continue;
            };
            let Some(def) = defs.get(source) else {
                self.warn(format!(
                    "{:?}: threat {:?} is not defined in the model's threats; not imported",
                    target.as_str(),
                    one_line(source).0
                ));
                continue;
            };
            instanced.insert(source);
            let title = text(def, "name").map_or_else(|| one_line(source).0, |n| one_line(n).0);
            let (id, changed) = if self.threat_ids.get(source).is_some() {
                let base = self.threat_ids.get(source).unwrap_or_default().to_string();
                let id = self.threat_ids.unique(&base);
                self.threat_ids.reserve(&id);
                (id, true)
            } else {
                self.threat_ids.assign(source, &title, "threat")
            };
            if changed {
                self.note_renamed("threat", source, &id);
            }
            let threat = self.threat(
                def,
                instance,
                &id,
                &target,
                &title,
                &mut unknown_threat_states,
            );
            for m in array(instance, "mitigations") {
                let Some(ms) = m.get("mitigation").and_then(Value::as_str) else {
                    continue;
                };
                if !mitigation_defs.contains_key(ms) {
                    self.warn(format!(
                        "threat {id:?}: mitigation {:?} is not defined in the model's mitigations; not linked",
                        one_line(ms).0
                    ));
                    continue;
                }
                let entry = links.entry(ms.to_string()).or_insert_with(|| {
                    link_order.push(ms.to_string());
                    MitigationLinks {
                        threats: Vec::new(),
                        states: Vec::new(),
                        unknown_states: BTreeSet::new(),
                    }
                });
                if !entry.threats.contains(&threat.id) {
                    entry.threats.push(threat.id.clone());
                }
                match m.get("state").and_then(Value::as_str) {
                    Some(s) => match mitigation_status(s) {
                        Some(st) => entry.states.push(st),
                        None => {
                            entry.unknown_states.insert(one_line(s).0);
                        }
                    },
                    None => entry.states.push(MitigationStatus::Planned),
                }
            }
            self.session.threats.push(threat);
        }
        if !unknown_threat_states.is_empty() {
            let list: Vec<String> = unknown_threat_states.into_iter().collect();
            self.warn(format!(
                "threat states not understood, imported as open: {}",
                quoted_list(&list, 8)
            ));
        }
        let not_instanced: Vec<String> = array(doc, "threats")
            .iter()
            .filter_map(|t| t.get("id")?.as_str())
            .filter(|id| !instanced.contains(id))
            .map(|id| one_line(id).0)
            .collect();
        if !not_instanced.is_empty() {
            self.warn(format!(
                "{} threats are not on any component or dataflow, and are not imported: {}",
                not_instanced.len(),
                quoted_list(&not_instanced, 5)
            ));
        }
        self.mitigations(&mitigation_defs, &link_order, links, doc);
    }

    fn threat(
        &mut self,
        def: &Value,
        instance: &Value,
        id: &str,
        target: &ElementId,
        title: &str,
        unknown_states: &mut BTreeSet<String>,
    ) -> Threat {
        let mut notes = text(def, "description").map(multi_line).unwrap_or_default();
        let mut stride = StrideSet::empty();
        let mut other = Vec::new();
        for c in strings(def, "categories") {
            match stride_of_category(&c) {
                Some(s) => stride.insert(s),
                None => other.push(c),
            }
        }
        if !other.is_empty() {
            push_line(&mut notes, &format!("OTM categories: {}", other.join(", ")));
            self.unmapped_categories.extend(other);
        }
        let risk = def.get("risk").unwrap_or(&Value::Null);
        let likelihood = number(risk.get("likelihood")).map(rating);
        let impact = match tb_attr(def, "impact") {
            Some("unset") => None,
            _ => number(risk.get("impact")).map(rating),
        };
        for (key, label) in [
            ("likelihoodComment", "Likelihood"),
            ("impactComment", "Impact"),
        ] {
            if let Some(c) = text(risk, key) {
                push_line(&mut notes, &format!("{label}: {}", multi_line(c)));
            }
        }
        let refs = tb_attr(def, "refs")
            .map(|refs| refs.split_whitespace().map(LibraryRef::raw).collect())
            .unwrap_or_default();
        // No CWE library ships, and a reference to a missing library fails validation: CWEs
        // go to the notes (threatboard's own export carries its references as an attribute).
        let cwes = strings(def, "cwes");
        if !from_threatboard(def) && !cwes.is_empty() {
            push_line(&mut notes, &format!("CWE: {}", cwes.join(", ")));
        }
        let state = instance.get("state").and_then(Value::as_str).unwrap_or("");
        let state_key = state.trim().to_ascii_lowercase();
        let status = parse_enum(
            tb_attr(def, "status"),
            &THREAT_STATUSES,
            ThreatStatus::as_str,
        )
        .or_else(|| threat_status(state))
        .unwrap_or_else(|| {
            if !state_key.starts_with("accept") {
                unknown_states.insert(one_line(state).0);
            }
            ThreatStatus::Open
        });
        let mut response = parse_enum(tb_attr(def, "response"), &RESPONSES, Response::as_str)
            .unwrap_or_else(|| {
                if state_key.starts_with("accept") {
                    Response::Accept
                } else if state_key.starts_with("transfer") {
                    Response::Transfer
                } else if state_key.starts_with("avoid") {
                    Response::Avoid
                } else if !array(instance, "mitigations").is_empty() {
                    Response::Mitigate
                } else {
                    Response::Undecided
                }
            });
        let transferred_to = tb_attr(def, "transferredTo")
            .map(|t| one_line(t).0)
            .unwrap_or_default();
        if response == Response::Transfer && transferred_to.is_empty() {
            self.warn(format!(
                "threat {id:?} is transferred, but the model does not say to whom; imported as undecided"
            ));
            response = Response::Undecided;
        }
        if response == Response::Accept {
            let justification = tb_attr(def, "acceptanceJustification")
                .map(multi_line)
                .unwrap_or_default();
            let accepted_by = tb_attr(def, "acceptedBy")
                .map(|a| one_line(a).0)
                .unwrap_or_default();
            if justification.is_empty() || accepted_by.is_empty() {
                self.warn(format!(
                    "threat {id:?} is accepted, but the model does not say who accepted it and why; imported as open and undecided"
                ));
                response = Response::Undecided;
            } else {
                self.session.acceptances.push(Acceptance {
                    threat: id.into(),
                    justification,
                    accepted_by,
                    review_by: tb_attr(def, "acceptanceReviewBy")
                        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
                });
            }
        }
        Threat {
            id: id.into(),
            target: target.clone(),
            title: title.to_string(),
            stride,
            refs,
            rule: tb_attr(def, "rule").map(|r| one_line(r).0),
            likelihood,
            impact,
            response,
            status,
            transferred_to,
            raised_by: Vec::new(),
            notes,
        }
    }

    fn mitigations(
        &mut self,
        defs: &HashMap<&str, &Value>,
        order: &[String],
        mut links: BTreeMap<String, MitigationLinks>,
        doc: &Value,
    ) {
        // Threat id -> index, for the notes of the threats a mitigation covers.
        let threat_index: HashMap<ThreatId, usize> = self
            .session
            .threats
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.clone(), i))
            .collect();
        for source in order {
            let (Some(def), Some(link)) = (defs.get(source.as_str()), links.remove(source)) else {
                continue;
            };
            let name = text(def, "name").map(multi_line).unwrap_or_default();
            let (id, changed) = self.mitigation_ids.assign(source, &name, "mitigation");
            if changed {
                self.note_renamed("mitigation", source, &id);
            }
            let mut action = name;
            if let Some(d) = text(def, "description").map(multi_line)
                && d != action
            {
                // Microsoft's tool repeats the name at the start of the description.
                action = match d.strip_prefix(action.trim_end_matches('.')) {
                    Some(_) if !action.is_empty() => d,
                    _ => {
                        let mut a = action;
                        push_line(&mut a, &d);
                        a
                    }
                };
            }
            if action.is_empty() {
                action = one_line(source).0;
            }
            if !link.unknown_states.is_empty() {
                let list: Vec<String> = link.unknown_states.iter().cloned().collect();
                self.warn(format!(
                    "mitigation {id:?}: states not understood, read as planned: {}",
                    quoted_list(&list, 5)
                ));
            }
            let status = match parse_enum(
                tb_attr(def, "status"),
                &MITIGATION_STATUSES,
                MitigationStatus::as_str,
            ) {
                Some(s) => s,
                None => {
                    let least = link
                        .states
                        .iter()
                        .copied()
                        .min_by_key(|s| MITIGATION_STATUSES.iter().position(|x| x == s))
                        .unwrap_or_default();
                    if link.states.iter().any(|s| *s != least) {
                        self.warn(format!(
                            "mitigation {id:?} has different states on different threats; imported as {}",
                            least.as_str()
                        ));
                    }
                    least
                }
            };
            if !from_threatboard(def)
                && let Some(r) = number(def.get("riskReduction"))
            {
                let index = &threat_index;
                for t in &link.threats {
                    if let Some(threat) =
                        index.get(t).and_then(|i| self.session.threats.get_mut(*i))
                    {
                        push_line(
                            &mut threat.notes,
                            &format!("Mitigation {id}: risk reduction {r}% (OTM)"),
                        );
                    }
                }
            }
            self.session.mitigations.push(Mitigation {
                id: id.into(),
                threats: link.threats,
                action,
                owner: tb_attr(def, "owner")
                    .map(|o| one_line(o).0)
                    .unwrap_or_default(),
                due: tb_attr(def, "due")
                    .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
                status,
                ticket: tb_attr(def, "ticket")
                    .map(|o| one_line(o).0)
                    .unwrap_or_default(),
            });
        }
        let unlinked: Vec<String> = array(doc, "mitigations")
            .iter()
            .filter_map(|m| m.get("id")?.as_str())
            .filter(|id| !order.iter().any(|o| o == id))
            .map(|id| one_line(id).0)
            .collect();
        if !unlinked.is_empty() {
            self.warn(format!(
                "{} mitigations are not linked to any imported threat, and are not imported: {}",
                unlinked.len(),
                quoted_list(&unlinked, 5)
            ));
        }
    }
}

// ================================================================================================
// Export

fn put(map: &mut Map<String, Value>, key: &str, value: &str) {
    if !value.is_empty() {
        map.insert(key.to_string(), Value::String(value.to_string()));
    }
}

fn tb(map: &mut Map<String, Value>, key: &str, value: &str) {
    put(map, &format!("{TB}{key}"), value);
}

/// The session as an OTM document (otmVersion 0.2.0) that validates against the OTM schema.
pub fn export(session: &Session) -> Value {
    let mut project = Map::new();
    project.insert("name".into(), json!(session.title));
    let slug = slugify(&session.title);
    project.insert(
        "id".into(),
        json!(if slug.is_empty() {
            "threatboard-session".to_string()
        } else {
            slug
        }),
    );
    put(&mut project, "description", &session.description);

    let mut zones: Vec<Value> = session
        .boundaries
        .iter()
        .map(|b| {
            let mut z = Map::new();
            z.insert("id".into(), json!(b.id));
            z.insert("name".into(), json!(b.name));
            put(&mut z, "description", &b.notes);
            // OTM requires a rating threatboard does not record: the middle value, marked unset.
            z.insert("risk".into(), json!({ "trustRating": 50 }));
            if let Some(p) = &b.parent {
                z.insert("parent".into(), json!({ "trustZone": p }));
            }
            let mut attrs = Map::new();
            tb(&mut attrs, "trustRating", "unset");
            z.insert("attributes".into(), Value::Object(attrs));
            Value::Object(z)
        })
        .collect();
    // Components outside every boundary need a parent all the same: a zone marked synthetic,
    // which the importer leaves out again.
    let mut outside = String::new();
    if session.components.iter().any(|c| c.boundary.is_none()) {
        outside = "outside-boundaries".to_string();
        let mut n = 2;
        while session.boundary(&outside).is_some() {
            outside = format!("outside-boundaries-{n}");
            n += 1;
        }
        zones.push(json!({
            "id": outside,
            "name": "Outside every trust boundary",
            "risk": { "trustRating": 0 },
            "attributes": { "threatboard:synthetic": "true" }
        }));
    }

    let instances = |target: &str| -> Vec<Value> {
        session
            .threats_on(target)
            .map(|t| {
                let mitigations: Vec<Value> = session
                    .mitigations_for(t.id.as_str())
                    .map(|m| json!({ "mitigation": m.id, "state": mitigation_state(m.status) }))
                    .collect();
                json!({ "threat": t.id, "state": threat_state(t), "mitigations": mitigations })
            })
            .collect()
    };

    let components: Vec<Value> = session
        .components
        .iter()
        .map(|c| {
            let mut o = Map::new();
            o.insert("id".into(), json!(c.id));
            o.insert("name".into(), json!(c.name));
            o.insert(
                "type".into(),
                json!(c.technology.map_or(c.kind.as_str(), Technology::as_str)),
            );
            put(&mut o, "description", &c.notes);
            let zone = c
                .boundary
                .as_ref()
                .map_or(outside.clone(), |b| b.to_string());
            o.insert("parent".into(), json!({ "trustZone": zone }));
            if !c.tags.is_empty() {
                o.insert("tags".into(), json!(c.tags));
            }
            if !c.assets.is_empty() {
                o.insert("assets".into(), json!({ "processed": c.assets }));
            }
            o.insert("threats".into(), json!(instances(c.id.as_str())));
            let mut attrs = Map::new();
            tb(&mut attrs, "kind", c.kind.as_str());
            tb(&mut attrs, "outOfScope", &c.out_of_scope);
            tb(&mut attrs, "notApplicable", &c.not_applicable.to_string());
            tb(&mut attrs, "notApplicableReason", &c.not_applicable_reason);
            o.insert("attributes".into(), Value::Object(attrs));
            Value::Object(o)
        })
        .collect();

    let word = |v: Option<bool>| match v {
        Some(true) => "true",
        Some(false) => "false",
        None => "unknown",
    };
    let dataflows: Vec<Value> = session
        .flows
        .iter()
        .map(|f| {
            let mut o = Map::new();
            o.insert("id".into(), json!(f.id));
            o.insert("name".into(), json!(f.label));
            put(&mut o, "description", &f.notes);
            o.insert("bidirectional".into(), json!(false));
            o.insert("source".into(), json!(f.from));
            o.insert("destination".into(), json!(f.to));
            if !f.assets.is_empty() {
                o.insert("assets".into(), json!(f.assets));
            }
            if !f.tags.is_empty() {
                o.insert("tags".into(), json!(f.tags));
            }
            o.insert("threats".into(), json!(instances(f.id.as_str())));
            let mut attrs = Map::new();
            put(&mut attrs, "protocol", &f.protocol);
            put(&mut attrs, "authenticated", word(f.authenticated));
            put(&mut attrs, "encrypted", word(f.encrypted));
            tb(&mut attrs, "outOfScope", &f.out_of_scope);
            tb(&mut attrs, "notApplicable", &f.not_applicable.to_string());
            tb(&mut attrs, "notApplicableReason", &f.not_applicable_reason);
            o.insert("attributes".into(), Value::Object(attrs));
            Value::Object(o)
        })
        .collect();

    let threats: Vec<Value> = session
        .threats
        .iter()
        .map(|t| {
            let mut o = Map::new();
            o.insert("id".into(), json!(t.id));
            o.insert("name".into(), json!(t.title));
            put(&mut o, "description", &t.notes);
            let categories: Vec<&str> = t.stride.iter().map(Stride::name).collect();
            if !categories.is_empty() {
                o.insert("categories".into(), json!(categories));
            }
            let cwes: Vec<&str> = t
                .refs
                .iter()
                .filter_map(|r| r.parts())
                .filter(|(lib, _)| lib.eq_ignore_ascii_case("cwe"))
                .map(|(_, entry)| entry)
                .collect();
            if !cwes.is_empty() {
                o.insert("cwes".into(), json!(cwes));
            }
            o.insert(
                "risk".into(),
                json!({
                    "likelihood": t.likelihood.map(percent),
                    "impact": t.impact.map_or(0, percent),
                }),
            );
            let mut attrs = Map::new();
            tb(&mut attrs, "status", t.status.as_str());
            tb(&mut attrs, "response", t.response.as_str());
            tb(&mut attrs, "transferredTo", &t.transferred_to);
            if t.impact.is_none() {
                tb(&mut attrs, "impact", "unset");
            }
            let refs: Vec<&str> = t.refs.iter().map(LibraryRef::as_str).collect();
            tb(&mut attrs, "refs", &refs.join(" "));
            if let Some(rule) = &t.rule {
                tb(&mut attrs, "rule", rule);
            }
            if let Some(a) = session.acceptance(t.id.as_str()) {
                tb(&mut attrs, "acceptanceJustification", &a.justification);
                tb(&mut attrs, "acceptedBy", &a.accepted_by);
                if let Some(d) = a.review_by {
                    tb(&mut attrs, "acceptanceReviewBy", &d.to_string());
                }
            }
            o.insert("attributes".into(), Value::Object(attrs));
            Value::Object(o)
        })
        .collect();

    let mitigations: Vec<Value> = session
        .mitigations
        .iter()
        .map(|m| {
            let mut attrs = Map::new();
            tb(&mut attrs, "status", m.status.as_str());
            tb(&mut attrs, "owner", &m.owner);
            if let Some(d) = m.due {
                tb(&mut attrs, "due", &d.to_string());
            }
            tb(&mut attrs, "ticket", &m.ticket);
            json!({
                "id": m.id,
                "name": m.action,
                // Required by OTM, not recorded by threatboard: done or verified counts as full.
                "riskReduction": if m.status.is_finished() { 100 } else { 0 },
                "attributes": attrs,
            })
        })
        .collect();

    let assets: Vec<Value> = session
        .assets
        .iter()
        .map(|a| {
            let c = match a.classification {
                Classification::Public => 0,
                Classification::Internal => 25,
                Classification::Confidential => 50,
                Classification::Restricted => 100,
            };
            let mut o = Map::new();
            o.insert("id".into(), json!(a.id));
            o.insert("name".into(), json!(a.name));
            put(&mut o, "description", &a.notes);
            o.insert(
                "risk".into(),
                json!({
                    "confidentiality": c, "integrity": c, "availability": c,
                    "comment": format!("threatboard classification: {}; integrity and availability are not rated separately", a.classification.as_str()),
                }),
            );
            o.insert(
                "attributes".into(),
                json!({ "threatboard:classification": a.classification.as_str() }),
            );
            Value::Object(o)
        })
        .collect();

    json!({
        "otmVersion": OTM_VERSION,
        "project": project,
        "assets": assets,
        "trustZones": zones,
        "components": components,
        "dataflows": dataflows,
        "threats": threats,
        "mitigations": mitigations,
    })
}

/// The OTM word for a threat's state; the exact status and response travel as attributes.
fn threat_state(t: &Threat) -> &'static str {
    match (t.status, t.response) {
        (ThreatStatus::Resolved, Response::Accept) => "accepted",
        (ThreatStatus::Resolved, Response::Transfer) => "transferred",
        (ThreatStatus::Resolved, _) => "mitigated",
        (ThreatStatus::NotApplicable, _) => "not-applicable",
        (ThreatStatus::NeedsReview, _) => "needs-review",
        (ThreatStatus::Open, _) => "exposed",
    }
}

fn mitigation_state(s: MitigationStatus) -> &'static str {
    match s {
        MitigationStatus::Planned => "required",
        MitigationStatus::InProgress => "in-progress",
        MitigationStatus::Done => "implemented",
        MitigationStatus::Verified => "verified",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interop::test_support::{example_sessions, valid_session};
    use crate::model::validate;
    use proptest::prelude::*;

    fn fixture(name: &str) -> Vec<u8> {
        crate::interop::test_support::fixture("otm", name)
    }

    fn schema() -> jsonschema::Validator {
        crate::interop::test_support::schema_validator("otm", "otm_schema.json")
    }

    fn import_ok(bytes: &[u8]) -> Imported {
        import(bytes).unwrap_or_else(|e| panic!("{e}"))
    }

    /// What an OTM round trip cannot keep, cleared so that the rest compares exactly.
    fn holdable(s: &Session) -> Session {
        let mut s = s.clone();
        s.runs.clear();
        s.assumptions.clear();
        s.review = Default::default();
        s.agenda = None;
        for c in &mut s.components {
            c.dismissed.clear();
        }
        for f in &mut s.flows {
            f.dismissed.clear();
        }
        s.sort_tables();
        s
    }

    fn round_trip(s: &Session) -> Result<(), TestCaseError> {
        let doc = export(s);
        let v = schema();
        let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
        prop_assert!(errors.is_empty(), "{errors:#?}");
        let bytes = serde_json::to_vec_pretty(&doc).expect("serializes");
        let back = import(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(back.warnings.is_empty(), "{:#?}", back.warnings);
        let mut got = back.session;
        got.sort_tables();
        for m in &mut got.mitigations {
            m.threats.sort();
        }
        let mut expected = holdable(s);
        for m in &mut expected.mitigations {
            m.threats.sort();
        }
        prop_assert_eq!(got, expected);
        Ok(())
    }

    #[test]
    fn the_iriusrisk_example_imports_with_its_links() {
        let imported = import_ok(&fixture("iriusrisk-example.otm.json"));
        let s = &imported.session;
        assert_eq!(validate(s), Vec::new());
        assert_eq!(s.title, "Test project");
        assert_eq!(s.boundaries.len(), 2);
        assert_eq!(s.components.len(), 4);
        let db = s.component("customer-database").expect("db");
        assert_eq!(db.kind, ComponentKind::DataStore);
        assert_eq!(db.technology, Some(Technology::Database));
        assert_eq!(
            db.boundary.as_ref().map(BoundaryId::as_str),
            Some("2ab4effa-40b7-4cd2-ba81-8247d29a6f2d")
        );
        // Two bidirectional dataflows: four flows.
        assert_eq!(s.flows.len(), 4);
        let back = s.flow("cc-store-in-db-back").expect("reverse flow");
        assert_eq!(back.from.as_str(), "customer-database");
        assert_eq!(back.authenticated, None);
        // One threat instanced on a component and a flow: two threats, the first keeps the id.
        assert_eq!(s.threats.len(), 2);
        let t = s
            .threat("22724267-be7e-44c0-8b1f-d7d33e9a34ec")
            .expect("threat");
        assert_eq!(t.target.as_str(), "web-service");
        assert_eq!(t.stride.to_string(), "ST");
        assert_eq!((t.likelihood, t.impact), (Some(Rating(2)), Some(Rating(3))));
        assert!(t.refs.is_empty());
        assert!(t.notes.contains("CWE: CWE-79, CWE-787"), "{}", t.notes);
        assert!(t.notes.contains("risk reduction 50%"), "{}", t.notes);
        assert_eq!(s.threats[1].target.as_str(), "cc-store-in-db");
        // The mitigation covers both; implemented on one, required on the other: planned.
        assert_eq!(s.mitigations.len(), 1);
        assert_eq!(s.mitigations[0].threats.len(), 2);
        assert_eq!(s.mitigations[0].status, MitigationStatus::Planned);
        let cc = s.asset("cc-data").expect("asset");
        assert_eq!(cc.classification, Classification::Restricted);
        let all = imported.warnings.join("\n");
        for expected in [
            "bidirectional",
            "different states",
            "\"3b837730-e300-11eb-ba80-0242ac130004\"",
            "owner",
            "integrity and availability",
        ] {
            assert!(all.contains(expected), "{expected}: {all}");
        }
    }

    #[test]
    fn the_threat_dragon_gallery_file_imports() {
        let bytes = fixture("threat-dragon-mobile-cloud.otm.json");
        let doc: Value = serde_json::from_slice(&bytes).expect("json");
        let imported = import_ok(&bytes);
        let s = &imported.session;
        assert_eq!(validate(s), Vec::new());
        assert_eq!(s.components.len(), array(&doc, "components").len());
        assert_eq!(s.flows.len(), array(&doc, "dataflows").len());
        assert_eq!(s.boundaries.len(), 2);
        let instances: usize = array(&doc, "components")
            .iter()
            .chain(array(&doc, "dataflows"))
            .map(|e| array(e, "threats").len())
            .sum();
        assert_eq!(s.threats.len(), instances);
        assert!(s.threats.iter().all(|t| t.stride.len() == 1));
        let client = s
            .components
            .iter()
            .find(|c| c.name == "Mobile Client")
            .expect("client");
        assert_eq!(client.technology, Some(Technology::MobileApp));
        assert_eq!(client.kind, ComponentKind::ExternalEntity);
        assert!(s.components.iter().all(|c| c.out_of_scope.is_empty()));
        assert!(s.flows.iter().all(|f| f.encrypted.is_none()));
    }

    #[test]
    fn both_ways_of_writing_a_parent_and_zone_nesting() {
        let doc = json!({
            "otmVersion": "0.1.0",
            "project": {"name": "P", "id": "p"},
            "trustZones": [
                {"id": "inet", "name": "Internet", "risk": {"trustRating": 10}},
                {"id": "vpc", "name": "VPC", "risk": {"trustRating": 80},
                 "parent": {"id": "inet", "type": "trustZone"}},
                {"id": "a", "name": "A", "risk": {"trustRating": 1}, "parent": {"trustZone": "b"}},
                {"id": "b", "name": "B", "risk": {"trustRating": 1}, "parent": {"trustZone": "a"}}
            ],
            "components": [
                {"id": "api", "name": "API", "type": "web-service", "parent": {"trustZone": "vpc"}},
                {"id": "lib", "name": "Lib", "type": "code-class", "parent": {"component": "api"}},
                {"id": "x", "name": "X", "type": "thing", "parent": {"id": "vpc", "type": "trust-zone"}}
            ],
            "dataflows": []
        });
        let imported = import_ok(&serde_json::to_vec(&doc).expect("json"));
        let s = &imported.session;
        assert_eq!(validate(s), Vec::new());
        let parent = |id: &str| s.boundary(id).and_then(|b| b.parent.clone());
        assert_eq!(parent("vpc").as_ref().map(BoundaryId::as_str), Some("inet"));
        assert!(
            s.boundary("vpc")
                .is_some_and(|b| b.notes.contains("trust rating: 80"))
        );
        let boundary = |id: &str| s.component(id).and_then(|c| c.boundary.clone());
        assert_eq!(
            boundary("lib").as_ref().map(BoundaryId::as_str),
            Some("vpc")
        );
        assert_eq!(boundary("x").as_ref().map(BoundaryId::as_str), Some("vpc"));
        let all = imported.warnings.join("\n");
        assert!(all.contains("cycle"), "{all}");
        assert!(all.contains("inside component \"api\""), "{all}");
        assert!(all.contains("\"thing\""), "{all}");
    }

    #[test]
    fn flow_facts_come_from_attributes_or_tags_else_unknown() {
        let doc = json!({
            "otmVersion": "0.2.0",
            "project": {"name": "P", "id": "p"},
            "trustZones": [{"id": "z", "name": "Z", "risk": {"trustRating": 50}}],
            "components": [
                {"id": "a", "name": "A", "type": "web-client", "parent": {"trustZone": "z"}},
                {"id": "b", "name": "B", "type": "web-service", "parent": {"trustZone": "z"}}
            ],
            "dataflows": [
                {"id": "f1", "name": "one", "source": "a", "destination": "b",
                 "attributes": {"protocol": "HTTPS", "authentication": "OAuth2", "encrypted": false}},
                {"id": "f2", "name": "two", "source": "a", "destination": "b", "tags": ["encrypted", "unauthenticated"]},
                {"id": "f 3", "name": "three", "source": "a", "destination": "b"},
                {"id": "f4", "name": "loose", "source": "a", "destination": "nowhere"}
            ]
        });
        let imported = import_ok(&serde_json::to_vec(&doc).expect("json"));
        let s = &imported.session;
        assert_eq!(validate(s), Vec::new());
        let f1 = s.flow("f1").expect("f1");
        assert_eq!(
            (f1.protocol.as_str(), f1.authenticated, f1.encrypted),
            ("HTTPS", Some(true), Some(false))
        );
        let f2 = s.flow("f2").expect("f2");
        assert_eq!((f2.authenticated, f2.encrypted), (Some(false), Some(true)));
        let f3 = s.flow("f-3").expect("slugged id");
        assert_eq!((f3.authenticated, f3.encrypted), (None, None));
        assert!(s.flow("f4").is_none());
        let all = imported.warnings.join("\n");
        assert!(all.contains("\"f 3\" -> \"f-3\""), "{all}");
        assert!(
            all.contains("\"f4\" does not connect two components"),
            "{all}"
        );
    }

    #[test]
    fn the_fixtures_export_validates_and_imports_again() {
        for name in [
            "iriusrisk-example.otm.json",
            "threat-dragon-mobile-cloud.otm.json",
        ] {
            let first = import_ok(&fixture(name)).session;
            round_trip(&first).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn every_example_session_exports_valid_otm_and_round_trips() {
        for (path, session) in example_sessions() {
            round_trip(&session).unwrap_or_else(|e| panic!("{path}: {e}"));
        }
    }

    #[test]
    fn thousands_of_copies_of_one_id_get_distinct_ids() {
        // The same invalid id many times: each copy is slugged and numbered, in linear time.
        let components: Vec<Value> = (0..20_000)
            .map(|_| json!({"id": "a b", "name": "A", "type": "web-service", "parent": {"trustZone": "z"}}))
            .collect();
        let doc = json!({
            "otmVersion": "0.2.0",
            "project": {"name": "P", "id": "p"},
            "trustZones": [{"id": "z", "name": "Z", "risk": {"trustRating": 50}}],
            "components": components,
            "dataflows": []
        });
        let imported = import_ok(&serde_json::to_vec(&doc).expect("json"));
        // Ids repeated in the source are the same component to OTM: only the first is kept.
        assert_eq!(imported.session.components.len(), 1);
        assert!(imported.warnings.iter().any(|w| w.contains("used twice")));
        let mut ids = IdMap::default();
        let assigned: HashSet<String> =
            (0..20_000).map(|_| ids.assign("a b", "A", "x").0).collect();
        assert_eq!(assigned.len(), 20_000);
        assert!(assigned.contains("a-b-20000"));
    }

    #[test]
    fn malformed_json_is_an_error_with_its_position() {
        let err =
            import(b"{\n \"otmVersion\": \"0.2.0\",\n \"project\": {,}\n}").expect_err("an error");
        assert_eq!((err.line, err.column), (3, 14));
        assert!(err.message.starts_with("invalid JSON"), "{}", err.message);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        #[test]
        fn generated_sessions_round_trip(s in valid_session()) {
            round_trip(&s)?;
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            let _ = import(&bytes);
        }

        #[test]
        fn arbitrary_json_never_panics_and_imports_validate(doc in crate::interop::test_support::json_value()) {
            let bytes = serde_json::to_vec(&doc).expect("serializes");
            if let Ok(imported) = import(&bytes) {
                let problems = validate(&imported.session);
                prop_assert!(problems.is_empty(), "{problems:#?}\n{doc:#}");
            }
        }
    }
}
