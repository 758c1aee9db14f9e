//! OWASP Threat Model Library (TM-BOM, schema 1.0.x) in and out.
//!
//! How a model maps (import):
//!
//! - `scope.title` and `description` (else `scope.description`) become the title and description.
//! - Trust zones become boundaries (TM-BOM does not nest zones). `trust_boundaries` (pairs of
//!   zones with access and authentication methods) have no place and are reported.
//! - Actors become external entities (`user`: technology user; `third_party`: third-party
//!   service), components processes, data stores data stores (`object`: object storage, other
//!   types: database). A component's `parent_component` puts it in that component's zone
//!   (threatboard does not nest components; warned). Symbolic names are the ids.
//! - Data flows keep source, destination, title (label), description and `encrypted`; TM-BOM has
//!   no authentication, so it is unknown. `has_sensitive_data` goes to a tag `sensitive-data`.
//! - Data sets become assets (PII, PHI, financial, PCI, credentials: restricted; IP, business,
//!   government: confidential; operational: internal) linked to the data stores they are placed on.
//! - Threats become threats on each element in `components_affected`; a threat that names none is
//!   put on one component standing for the whole system, `system` (warned). Persona, event,
//!   CAPEC and CWE go to the notes. Risks give likelihood (rare, unlikely: 1; possible: 2; likely,
//!   certain: 3) and impact (negligible, minor: 1; moderate: 2; major, severe: 3) to the threats
//!   they name, the highest when several do.
//! - Controls become mitigations of their threats (active, assumed: done; approved, scheduled:
//!   in progress; suggested, under review: planned; retired, won't do: planned, warned).
//! - Assumptions become assumptions (confirmed: validated).
//!
//! Export writes every field the schema requires (defaults where threatboard has no value:
//! scope criticality `moderate`, tier `important`, one threat persona `unspecified`), and what
//! TM-BOM has no field for (boundary nesting, kinds and technologies, tags, authentication,
//! STRIDE, status and response, owners, dates, acceptances...) in the extension
//! `threatboard.dev/tm-bom/session`: the threatboard record of each entry by its symbolic name.
//! On import that record is used, with title and description taken from the standard fields.
//! Runs, the review, the agenda are lost.

use super::json_model::{
    IdMap, ImportError, Imported, array, multi_line, one_line, parse_object, push_line,
    quoted_list, strings, text,
};
use crate::model::{
    Acceptance, Asset, AssetId, Assumption, AssumptionId, Boundary, BoundaryId, Classification,
    Component, ComponentKind, ElementId, Flow, Mitigation, MitigationId, MitigationStatus, Rating,
    Response, RiskLevel, Session, StrideSet, Technology, Threat, ThreatId, ThreatStatus,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use std::collections::{BTreeSet, HashMap};

/// TM-BOM files are small; far larger is a mistake (or an attack).
pub const MAX_MODEL_BYTES: usize = 64 * 1024 * 1024;

/// The extension holding what TM-BOM has no field for.
pub const EXTENSION: &str = "threatboard.dev/tm-bom/session";

/// The schema written in `$schema`.
const SCHEMA_URI: &str = "https://github.com/OWASP/www-project-threat-model-library/blob/v1.0.2/threat-model.schema.json";

// ================================================================================================
// Import

/// Reads a TM-BOM model (JSON) and makes a session of it.
pub fn import(bytes: &[u8]) -> Result<Imported, ImportError> {
    let doc = parse_object(bytes, MAX_MODEL_BYTES, "TM-BOM")?;
    let mut warnings = Vec::new();
    let session = read(&doc, &mut warnings);
    Ok(Imported { session, warnings })
}

/// The threatboard record of an entry kept in the extension, if there is one and it reads.
fn record<T: DeserializeOwned>(overlay: &Value, table: &str, key: &str) -> Option<T> {
    serde_json::from_value(overlay.get(table)?.get(key)?.clone()).ok()
}

fn title_of(v: &Value, fallback: &str) -> String {
    text(v, "title").map_or_else(|| fallback.to_string(), |t| one_line(t).0)
}

fn description_of(v: &Value) -> String {
    text(v, "description").map(multi_line).unwrap_or_default()
}

fn likelihood(word: &str) -> Option<Rating> {
    Some(match word {
        "rare" | "unlikely" => Rating::LOW,
        "possible" => Rating::MEDIUM,
        "likely" | "certain" => Rating::HIGH,
        _ => return None,
    })
}

fn impact(word: &str) -> Option<Rating> {
    Some(match word {
        "negligible" | "minor" => Rating::LOW,
        "moderate" => Rating::MEDIUM,
        "major" | "severe" => Rating::HIGH,
        _ => return None,
    })
}

fn read(doc: &Value, warnings: &mut Vec<String>) -> Session {
    let overlay = doc
        .get("extensions")
        .and_then(|e| e.get(EXTENSION))
        .cloned()
        .unwrap_or(Value::Null);
    let scope = doc.get("scope").unwrap_or(&Value::Null);
    let mut s = Session::new(title_of(scope, "Imported TM-BOM model"));
    s.description = text(doc, "description")
        .or_else(|| text(scope, "description"))
        .map(multi_line)
        .unwrap_or_default();

    // Boundaries.
    let mut boundary_ids = IdMap::default();
    // Symbolic name -> the id it was imported as (the extension's record may say another).
    let mut zone_actual: HashMap<String, BoundaryId> = HashMap::new();
    let mut elem_actual: HashMap<String, ElementId> = HashMap::new();
    for z in array(doc, "trust_zones") {
        let Some(name) = text(z, "symbolic_name") else {
            warnings.push("a trust zone without a symbolic name is not imported".into());
            continue;
        };
        let (id, _) = boundary_ids.assign(name, name, "zone");
        let mut b: Boundary = record(&overlay, "boundaries", name).unwrap_or(Boundary {
            id: id.clone().into(),
            name: String::new(),
            parent: None,
            notes: String::new(),
        });
        b.name = title_of(z, name);
        b.notes = description_of(z);
        zone_actual.insert(name.to_string(), b.id.clone());
        s.boundaries.push(b);
    }
    let boundary = |zone: Option<&str>, warnings: &mut Vec<String>, what: &str| {
        let zone = zone?;
        match zone_actual.get(zone) {
            Some(b) => Some(b.clone()),
            None => {
                warnings.push(format!(
                    "{what:?}: trust zone {:?} is not defined; imported outside every boundary",
                    one_line(zone).0
                ));
                None
            }
        }
    };
    let n = array(doc, "trust_boundaries").len();
    if n > 0 {
        warnings.push(format!(
            "{n} trust boundaries (pairs of zones with their access and authentication methods) are not kept: threatboard's boundaries are the zones"
        ));
    }

    // Assets, before the data stores that hold them.
    let mut asset_ids = IdMap::default();
    let mut placements: HashMap<String, Vec<AssetId>> = HashMap::new();
    for d in array(doc, "data_sets") {
        let Some(name) = text(d, "symbolic_name") else {
            warnings.push("a data set without a symbolic name is not imported".into());
            continue;
        };
        let (id, _) = asset_ids.assign(name, name, "asset");
        let sensitivity = strings(d, "data_sensitivity");
        let has = |words: &[&str]| sensitivity.iter().any(|s| words.contains(&s.as_str()));
        let classification = if has(&["pii", "phi", "fin", "pci", "cred"]) {
            Classification::Restricted
        } else if has(&["ip", "biz", "gov"]) {
            Classification::Confidential
        } else {
            Classification::Internal
        };
        let mut a: Asset = record(&overlay, "assets", name).unwrap_or(Asset {
            id: id.clone().into(),
            name: String::new(),
            classification,
            notes: String::new(),
        });
        a.name = title_of(d, name);
        a.notes = description_of(d);
        for p in array(d, "placements") {
            if let Some(store) = text(p, "data_store") {
                placements
                    .entry(store.to_string())
                    .or_default()
                    .push(a.id.clone());
            }
        }
        s.assets.push(a);
    }

    // Components: actors, components, data stores share the element ids.
    let mut element_ids = IdMap::default();
    let mut parents: Vec<(usize, String)> = Vec::new();
    for (table, kind) in [
        ("actors", ComponentKind::ExternalEntity),
        ("components", ComponentKind::Process),
        ("data_stores", ComponentKind::DataStore),
    ] {
        for e in array(doc, table) {
            let Some(name) = text(e, "symbolic_name") else {
                warnings.push(format!(
                    "an entry of {table} without a symbolic name is not imported"
                ));
                continue;
            };
            let (id, changed) = element_ids.assign(name, name, "element");
            if changed {
                warnings.push(format!(
                    "symbolic name {:?} is used twice; the second is imported as {id:?}",
                    one_line(name).0
                ));
            }
            let kind_type = text(e, "type").unwrap_or("");
            let technology = match (kind, kind_type) {
                (
                    ComponentKind::ExternalEntity,
                    "user" | "power_user" | "administrator" | "engineer",
                ) => Some(Technology::User),
                (ComponentKind::ExternalEntity, "third_party") => {
                    Some(Technology::ThirdPartyService)
                }
                (ComponentKind::DataStore, "object") => Some(Technology::ObjectStorage),
                (ComponentKind::DataStore, "") => None,
                (ComponentKind::DataStore, _) => Some(Technology::Database),
                _ => None,
            };
            let fresh = || {
                let mut notes = String::new();
                for key in ["permissions", "vendor", "product", "repo_link"] {
                    if let Some(v) = text(e, key) {
                        push_line(&mut notes, &format!("{key}: {}", one_line(v).0));
                    }
                }
                Component {
                    id: id.clone().into(),
                    name: String::new(),
                    kind,
                    technology,
                    boundary: None,
                    tags: Default::default(),
                    assets: placements.get(name).cloned().unwrap_or_default(),
                    not_applicable: StrideSet::empty(),
                    not_applicable_reason: Default::default(),
                    out_of_scope: Default::default(),
                    notes: notes.into(),
                    dismissed: Default::default(),
                }
            };
            let mut c: Component = match record(&overlay, "components", name) {
                Some(c) => c,
                None => {
                    let mut c = fresh();
                    c.boundary = boundary(text(e, "trust_zone"), warnings, &id);
                    c
                }
            };
            c.name = title_of(e, name);
            let description = description_of(e);
            if record::<Component>(&overlay, "components", name).is_some() {
                c.notes = description.into();
            } else {
                let extra = std::mem::take(&mut c.notes);
                c.notes = description.into();
                push_line(c.notes.make_mut(), &extra);
            }
            if let Some(p) = text(e, "parent_component") {
                parents.push((s.components.len(), p.to_string()));
            }
            elem_actual.insert(name.to_string(), c.id.clone());
            s.components.push(c);
        }
    }
    for (i, parent) in parents {
        let zone = elem_actual
            .get(&parent)
            .and_then(|p| s.component(p.as_str()))
            .map(|p| p.boundary.clone());
        match zone {
            Some(b) => {
                warnings.push(format!(
                    "component {:?} is inside component {:?}; threatboard does not nest components, so it is put in that component's boundary",
                    s.components[i].id.as_str(),
                    one_line(&parent).0
                ));
                if s.components[i].boundary.is_none() {
                    s.components[i].boundary = b;
                }
            }
            None => warnings.push(format!(
                "component {:?}: parent component {:?} does not exist",
                s.components[i].id.as_str(),
                one_line(&parent).0
            )),
        }
    }

    // Flows.
    let component_ids: BTreeSet<String> = s.components.iter().map(|c| c.id.to_string()).collect();
    for f in array(doc, "data_flows") {
        let Some(name) = text(f, "symbolic_name") else {
            warnings.push("a data flow without a symbolic name is not imported".into());
            continue;
        };
        let end = |key: &str| {
            let object = f.get(key)?.get("object")?.as_str()?;
            elem_actual
                .get(object)
                .filter(|id| component_ids.contains(id.as_str()))
                .cloned()
        };
        let (Some(from), Some(to)) = (end("source"), end("destination")) else {
            warnings.push(format!(
                "data flow {:?} does not connect two known elements; not imported",
                one_line(name).0
            ));
            continue;
        };
        let (id, changed) = element_ids.assign(name, name, "flow");
        if changed {
            warnings.push(format!(
                "symbolic name {:?} is used twice; the data flow is imported as {id:?}",
                one_line(name).0
            ));
        }
        let mut flow: Flow = record(&overlay, "flows", name).unwrap_or_else(|| Flow {
            id: id.clone().into(),
            from: from.clone(),
            to: to.clone(),
            label: Default::default(),
            protocol: Default::default(),
            assets: Vec::new(),
            authenticated: None,
            encrypted: f.get("encrypted").and_then(Value::as_bool),
            tags: if f.get("has_sensitive_data").and_then(Value::as_bool) == Some(true) {
                vec!["sensitive-data".to_string()].into()
            } else {
                Default::default()
            },
            not_applicable: StrideSet::empty(),
            not_applicable_reason: Default::default(),
            out_of_scope: Default::default(),
            notes: Default::default(),
            dismissed: Default::default(),
        });
        flow.label = title_of(f, name).into();
        flow.notes = description_of(f).into();
        elem_actual.insert(name.to_string(), flow.id.clone());
        s.flows.push(flow);
    }

    // Threats, with ratings from the risks that name them.
    let mut ratings: HashMap<String, (Option<Rating>, Option<Rating>)> = HashMap::new();
    for r in array(doc, "risks") {
        let l = text(r, "likelihood").and_then(likelihood);
        let i = text(r, "impact").and_then(impact);
        for t in strings(r, "threats") {
            let e = ratings.entry(t).or_default();
            e.0 = e.0.max(l);
            e.1 = e.1.max(i);
        }
    }
    let personas: HashMap<&str, &Value> = array(doc, "threat_personas")
        .iter()
        .filter_map(|p| Some((text(p, "symbolic_name")?, p)))
        .collect();
    let mut threat_ids = IdMap::default();
    let mut threats_of: HashMap<String, Vec<ThreatId>> = HashMap::new();
    let mut system: Option<ElementId> = None;
    let mut on_system = Vec::new();
    for t in array(doc, "threats") {
        let Some(name) = text(t, "symbolic_name") else {
            warnings.push("a threat without a symbolic name is not imported".into());
            continue;
        };
        let mut targets: Vec<ElementId> = strings(t, "components_affected")
            .iter()
            .filter_map(|c| elem_actual.get(c).cloned())
            .collect();
        if targets.is_empty() {
            let id = system.get_or_insert_with(|| {
                let id = element_ids.unique("system");
                element_ids.reserve(&id);
                id.into()
            });
            targets.push(id.clone());
            on_system.push(one_line(name).0);
        }
        let kept: Option<Threat> = record(&overlay, "threats", name);
        for (n, target) in targets.into_iter().enumerate() {
            let base = if n == 0 {
                name.to_string()
            } else {
                format!("{name}-{}", n + 1)
            };
            let (id, _) = threat_ids.assign(&base, name, "threat");
            let mut threat = match &kept {
                Some(k) if n == 0 => k.clone(),
                _ => {
                    let mut notes = String::new();
                    if let Some(p) = text(t, "threat_persona") {
                        let who = personas.get(p).map_or(one_line(p).0, |v| title_of(v, p));
                        push_line(&mut notes, &format!("Threat persona: {who}"));
                    }
                    if let Some(e) = text(t, "event") {
                        push_line(&mut notes, &format!("Event: {}", one_line(e).0));
                    }
                    for (key, id_key, title_key, prefix) in [
                        ("attack_mechanisms", "capec_id", "capec_title", "CAPEC"),
                        ("weaknesses", "cwe_id", "cwe_title", "CWE"),
                    ] {
                        for m in array(t, key) {
                            if let Some(n) = m.get(id_key).and_then(Value::as_i64) {
                                let title = text(m, title_key)
                                    .map(|x| one_line(x).0)
                                    .unwrap_or_default();
                                push_line(&mut notes, format!("{prefix}-{n} {title}").trim());
                            }
                        }
                    }
                    let (likelihood, impact) = ratings.get(name).copied().unwrap_or_default();
                    Threat {
                        id: ThreatId::new(&id),
                        target: target.clone(),
                        title: String::new(),
                        stride: StrideSet::empty(),
                        refs: Vec::new(),
                        rule: None,
                        likelihood,
                        impact,
                        response: Response::Undecided,
                        status: ThreatStatus::Open,
                        transferred_to: String::new(),
                        raised_by: Vec::new(),
                        notes,
                    }
                }
            };
            threat.title = title_of(t, name);
            if kept.is_some() && n == 0 {
                threat.notes = description_of(t);
            } else {
                let extra = std::mem::take(&mut threat.notes);
                threat.notes = description_of(t);
                push_line(&mut threat.notes, &extra);
            }
            threats_of
                .entry(name.to_string())
                .or_default()
                .push(threat.id.clone());
            s.threats.push(threat);
        }
    }
    if let Some(id) = system {
        s.components.push(Component {
            id,
            name: format!("{} (the whole system)", s.title),
            kind: ComponentKind::Process,
            technology: None,
            boundary: None,
            tags: Default::default(),
            assets: Vec::new(),
            not_applicable: StrideSet::empty(),
            not_applicable_reason: Default::default(),
            out_of_scope: Default::default(),
            notes: "Stands for the whole system: the TM-BOM model's threats that name no component are on it.".into(),
            dismissed: Default::default(),
        });
        warnings.push(format!(
            "{} threats name no affected component and are put on a component standing for the whole system: {}",
            on_system.len(),
            quoted_list(&on_system, 5)
        ));
    }

    // Mitigations.
    let mut mitigation_ids = IdMap::default();
    let mut unlinked = Vec::new();
    let mut odd_status = BTreeSet::new();
    for c in array(doc, "controls") {
        let Some(name) = text(c, "symbolic_name") else {
            warnings.push("a control without a symbolic name is not imported".into());
            continue;
        };
        let threats: Vec<ThreatId> = strings(c, "threats")
            .iter()
            .flat_map(|t| threats_of.get(t).cloned().unwrap_or_default())
            .collect();
        if threats.is_empty() {
            unlinked.push(one_line(name).0);
            continue;
        }
        let (id, _) = mitigation_ids.assign(name, name, "control");
        let status_word = text(c, "status").unwrap_or("");
        let status = match status_word {
            "active" | "assumed" => MitigationStatus::Done,
            "approved" | "scheduled" => MitigationStatus::InProgress,
            "suggested" | "under_review" => MitigationStatus::Planned,
            other => {
                odd_status.insert(one_line(other).0);
                MitigationStatus::Planned
            }
        };
        let mut action = title_of(c, name);
        let description = description_of(c);
        let mut m: Mitigation = match record(&overlay, "mitigations", name) {
            Some(m) => m,
            None => {
                if !description.is_empty() && description != action {
                    push_line(&mut action, &description);
                }
                Mitigation {
                    id: MitigationId::new(&id),
                    threats,
                    action: String::new(),
                    owner: String::new(),
                    due: None,
                    status,
                    ticket: String::new(),
                }
            }
        };
        m.action = if record::<Mitigation>(&overlay, "mitigations", name).is_some() {
            text(c, "title").map(multi_line).unwrap_or(action)
        } else {
            action
        };
        s.mitigations.push(m);
    }
    if !unlinked.is_empty() {
        warnings.push(format!(
            "{} controls address no imported threat and are not imported: {}",
            unlinked.len(),
            quoted_list(&unlinked, 5)
        ));
    }
    if !odd_status.is_empty() {
        let list: Vec<String> = odd_status.into_iter().collect();
        warnings.push(format!(
            "control statuses imported as planned: {}",
            quoted_list(&list, 5)
        ));
    }

    // Assumptions and acceptances.
    for (i, a) in array(doc, "assumptions").iter().enumerate() {
        let key = format!("{i}");
        let mut assumption: Assumption =
            record(&overlay, "assumptions", &key).unwrap_or(Assumption {
                id: AssumptionId::new(format!("AS-{:03}", i + 1)),
                text: String::new(),
                owner: String::new(),
                validated: text(a, "validity") == Some("confirmed"),
            });
        assumption.text = description_of(a);
        if assumption.text.is_empty() {
            continue;
        }
        s.assumptions.push(assumption);
    }
    if let Some(list) = overlay.get("acceptances") {
        s.acceptances = serde_json::from_value::<Vec<Acceptance>>(list.clone()).unwrap_or_default();
    }
    let n = array(doc, "diagrams").len();
    if n > 0 {
        warnings.push(format!("{n} diagrams are not imported"));
    }
    sanitize(&mut s, warnings);
    s
}

/// The extension is written by threatboard but may have been edited: whatever in it would make
/// the session invalid is dropped, with a warning, so an import always validates.
fn sanitize(s: &mut Session, warnings: &mut Vec<String>) {
    let boundaries: BTreeSet<String> = s.boundaries.iter().map(|b| b.id.to_string()).collect();
    for b in &mut s.boundaries {
        if b.parent
            .as_ref()
            .is_some_and(|p| !boundaries.contains(p.as_str()) || *p == b.id)
        {
            b.parent = None;
        }
    }
    let problems = crate::model::validate(s);
    if problems.is_empty() {
        return;
    }
    warnings.push(format!(
        "the {EXTENSION} extension does not fit the model ({}); it is ignored where it does not",
        problems[0]
    ));
    let components: BTreeSet<String> = s.components.iter().map(|c| c.id.to_string()).collect();
    let assets: BTreeSet<String> = s.assets.iter().map(|a| a.id.to_string()).collect();
    for c in &mut s.components {
        if c.boundary
            .as_ref()
            .is_some_and(|b| !boundaries.contains(b.as_str()))
        {
            c.boundary = None;
        }
        c.assets.retain(|a| assets.contains(a.as_str()));
        c.dismissed.clear();
        c.not_applicable = StrideSet::parse(
            &c.not_applicable
                .iter()
                .map(|x| x.letter())
                .collect::<String>(),
        );
    }
    s.flows
        .retain(|f| components.contains(f.from.as_str()) && components.contains(f.to.as_str()));
    for f in &mut s.flows {
        f.assets.retain(|a| assets.contains(a.as_str()));
        f.dismissed.clear();
    }
    let elements: BTreeSet<String> = components
        .iter()
        .cloned()
        .chain(s.flows.iter().map(|f| f.id.to_string()))
        .collect();
    s.threats.retain(|t| elements.contains(t.target.as_str()));
    let mut seen = BTreeSet::new();
    s.threats.retain(|t| seen.insert(t.id.to_string()));
    for t in &mut s.threats {
        t.likelihood = t.likelihood.filter(|r| r.is_valid());
        t.impact = t.impact.filter(|r| r.is_valid());
        t.stride = StrideSet::parse(&t.stride.iter().map(|x| x.letter()).collect::<String>());
        t.refs.retain(|r| r.parts().is_some());
        if t.response == Response::Transfer && t.transferred_to.trim().is_empty() {
            t.response = Response::Undecided;
        }
    }
    let threats: BTreeSet<String> = s.threats.iter().map(|t| t.id.to_string()).collect();
    for m in &mut s.mitigations {
        m.threats.retain(|t| threats.contains(t.as_str()));
    }
    s.mitigations
        .retain(|m| !m.threats.is_empty() && !m.action.trim().is_empty());
    let mut seen = BTreeSet::new();
    s.acceptances.retain(|a| {
        threats.contains(a.threat.as_str())
            && !a.justification.trim().is_empty()
            && !a.accepted_by.trim().is_empty()
            && seen.insert(a.threat.to_string())
    });
    let accepted: BTreeSet<String> = s.acceptances.iter().map(|a| a.threat.to_string()).collect();
    for t in &mut s.threats {
        if t.response == Response::Accept && !accepted.contains(t.id.as_str()) {
            t.response = Response::Undecided;
        }
    }
    let accept: BTreeSet<String> = s
        .threats
        .iter()
        .filter(|t| t.response == Response::Accept)
        .map(|t| t.id.to_string())
        .collect();
    s.acceptances.retain(|a| accept.contains(a.threat.as_str()));
    let mut seen = BTreeSet::new();
    s.assumptions.retain(|a| {
        crate::model::id_syntax_problem(a.id.as_str()).is_none() && seen.insert(a.id.to_string())
    });
    if !crate::model::validate(s).is_empty() {
        // Whatever is left: drop the records that could not be trusted.
        s.boundaries.iter_mut().for_each(|b| b.parent = None);
    }
}

// ================================================================================================
// Export

/// Symbolic names: lowercase letters, digits and dashes; threatboard ids map onto them one to one.
#[derive(Default)]
struct Names {
    ids: IdMap,
    of: HashMap<String, String>,
}

impl Names {
    fn name(&mut self, id: &str) -> String {
        if let Some(n) = self.of.get(id) {
            return n.clone();
        }
        let mut base: String = id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        if base.is_empty() {
            base = "x".into();
        }
        let name = self.ids.unique(&base);
        self.ids.reserve(&name);
        self.of.insert(id.to_string(), name.clone());
        name
    }
}

fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// The session as a TM-BOM document that validates against the TM-BOM schema 1.0.x.
pub fn export(session: &Session) -> Value {
    // Every table shares one set of symbolic names per kind; elements share theirs.
    let mut zones = Names::default();
    let mut elements = Names::default();
    let mut assets = Names::default();
    let mut threats = Names::default();
    let mut controls = Names::default();
    let mut overlay: Map<String, Value> = Map::new();
    let mut put = |table: &str, key: &str, v: Value| {
        overlay
            .entry(table.to_string())
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .map(|m| m.insert(key.to_string(), v));
    };

    let trust_zones: Vec<Value> = session
        .boundaries
        .iter()
        .map(|b| {
            let name = zones.name(b.id.as_str());
            put("boundaries", &name, to_value(b));
            json!({ "symbolic_name": name, "title": b.name, "description": b.notes })
        })
        .collect();

    let mut actors = Vec::new();
    let mut components = Vec::new();
    let mut data_stores = Vec::new();
    for c in &session.components {
        let name = elements.name(c.id.as_str());
        put("components", &name, to_value(c));
        let mut o = Map::new();
        o.insert("symbolic_name".into(), json!(name));
        o.insert("title".into(), json!(c.name));
        o.insert("description".into(), json!(c.notes));
        if let Some(b) = &c.boundary {
            o.insert("trust_zone".into(), json!(zones.name(b.as_str())));
        }
        match c.kind {
            ComponentKind::ExternalEntity => {
                let t = match c.technology {
                    Some(Technology::User) => "user",
                    Some(
                        Technology::ThirdPartyService
                        | Technology::PaymentProvider
                        | Technology::EmailOrSmsProvider,
                    ) => "third_party",
                    _ => "system",
                };
                o.insert("type".into(), json!(t));
                actors.push(Value::Object(o));
            }
            ComponentKind::Process => components.push(Value::Object(o)),
            ComponentKind::DataStore => {
                let t = match c.technology {
                    Some(Technology::ObjectStorage | Technology::FileStorage) => "object",
                    Some(Technology::Cache | Technology::SecretsVault) => "key_value",
                    Some(Technology::SearchIndex | Technology::LogStore) => "document",
                    _ => "sql",
                };
                o.insert("type".into(), json!(t));
                data_stores.push(Value::Object(o));
            }
        }
    }
    let kind_of = |id: &str| match session.component(id).map(|c| c.kind) {
        Some(ComponentKind::ExternalEntity) => "actor",
        Some(ComponentKind::DataStore) => "data_store",
        _ => "component",
    };

    let data_sets: Vec<Value> = session
        .assets
        .iter()
        .map(|a| {
            let name = assets.name(a.id.as_str());
            put("assets", &name, to_value(a));
            let placements: Vec<Value> = session
                .components
                .iter()
                .filter(|c| c.kind == ComponentKind::DataStore && c.assets.contains(&a.id))
                .map(|c| json!({ "data_store": elements.name(c.id.as_str()) }))
                .collect();
            let sensitivity: Vec<&str> = match a.classification {
                Classification::Restricted => vec!["pii"],
                Classification::Confidential => vec!["biz"],
                Classification::Internal => vec!["op"],
                Classification::Public => vec![],
            };
            json!({
                "symbolic_name": name, "title": a.name, "description": a.notes,
                "placements": placements, "data_sensitivity": sensitivity,
            })
        })
        .collect();

    let sensitive = |f: &Flow| {
        f.assets.iter().any(|a| {
            session
                .asset(a.as_str())
                .is_some_and(|a| a.classification.is_sensitive())
        })
    };
    let data_flows: Vec<Value> = session
        .flows
        .iter()
        .map(|f| {
            let name = elements.name(f.id.as_str());
            put("flows", &name, to_value(f));
            json!({
                "symbolic_name": name, "title": f.label, "description": f.notes,
                "source": { "type": kind_of(f.from.as_str()), "object": elements.name(f.from.as_str()) },
                "destination": { "type": kind_of(f.to.as_str()), "object": elements.name(f.to.as_str()) },
                "has_sensitive_data": sensitive(f),
                "encrypted": f.is_encrypted(),
            })
        })
        .collect();

    let mut risks = Vec::new();
    let threat_list: Vec<Value> = session
        .threats
        .iter()
        .map(|t| {
            let name = threats.name(t.id.as_str());
            put("threats", &name, to_value(t));
            if let Some(level) = t.risk() {
                let l5 = [2, 3, 4][(t.likelihood.map_or(1, |r| r.0) - 1).clamp(0, 2) as usize];
                let i5 = [2, 3, 4][(t.impact.map_or(1, |r| r.0) - 1).clamp(0, 2) as usize];
                let likelihood = ["unlikely", "possible", "likely"][(l5 - 2) as usize];
                let impact = ["minor", "moderate", "major"][(i5 - 2) as usize];
                risks.push(json!({
                    "symbolic_name": format!("risk-{name}"),
                    "title": t.title,
                    "description": format!("The risk of {}", t.title),
                    "threats": [name],
                    "likelihood": likelihood,
                    "impact": impact,
                    "impact_description": "",
                    "score": l5 * i5,
                    "level": level.as_str(),
                }));
            }
            json!({
                "symbolic_name": name, "title": t.title, "description": t.notes,
                "components_affected": [elements.name(t.target.as_str())],
                "threat_persona": "unspecified",
                "event": t.title,
                "sources": ["adversary"],
            })
        })
        .collect();

    let control_list: Vec<Value> = session
        .mitigations
        .iter()
        .map(|m| {
            let name = controls.name(m.id.as_str());
            put("mitigations", &name, to_value(m));
            let highest = m
                .threats
                .iter()
                .filter_map(|t| session.threat(t.as_str())?.risk())
                .max();
            let priority = match highest {
                None => "none",
                Some(RiskLevel::Low) => "low",
                Some(RiskLevel::Medium) => "medium",
                Some(RiskLevel::High) => "high",
                Some(RiskLevel::Critical) => "critical",
            };
            let status = match m.status {
                MitigationStatus::Planned => "approved",
                MitigationStatus::InProgress => "scheduled",
                MitigationStatus::Done | MitigationStatus::Verified => "active",
            };
            let linked: Vec<String> = m.threats.iter().map(|t| threats.name(t.as_str())).collect();
            json!({
                "symbolic_name": name, "title": m.action, "description": m.action,
                "threats": linked, "status": status, "priority": priority,
            })
        })
        .collect();

    let assumptions: Vec<Value> = session
        .assumptions
        .iter()
        .enumerate()
        .map(|(i, a)| {
            put("assumptions", &i.to_string(), to_value(a));
            json!({
                "description": a.text,
                "validity": if a.validated { "confirmed" } else { "unconfirmed" },
            })
        })
        .collect();
    overlay.insert("acceptances".into(), to_value(&session.acceptances));

    let mut sensitivity: Vec<&str> = session
        .assets
        .iter()
        .filter_map(|a| match a.classification {
            Classification::Restricted => Some("pii"),
            Classification::Confidential => Some("biz"),
            Classification::Internal => Some("op"),
            Classification::Public => None,
        })
        .collect();
    sensitivity.sort_unstable();
    sensitivity.dedup();
    let external = session
        .components
        .iter()
        .any(|c| c.kind == ComponentKind::ExternalEntity || c.has_tag("internet-facing"));
    json!({
        "$schema": SCHEMA_URI,
        "version": "1",
        "scope": {
            "title": session.title,
            "description": session.description,
            "business_criticality": "moderate",
            "data_sensitivity": sensitivity,
            "exposure": if external { "external" } else { "internal" },
            "tier": "important",
        },
        "description": session.description,
        "trust_zones": trust_zones,
        "trust_boundaries": [],
        "actors": actors,
        "components": components,
        "data_stores": data_stores,
        "data_sets": data_sets,
        "data_flows": data_flows,
        "assumptions": assumptions,
        "threat_personas": [{
            "symbolic_name": "unspecified",
            "title": "Unspecified attacker",
            "description": "threatboard does not record who poses a threat",
            "is_person": true,
            "skill_level": "engineer",
            "access_level": "anonymous",
            "malicious_intent": true,
            "applicability_to_org": "moderate",
        }],
        "threats": threat_list,
        "controls": control_list,
        "risks": risks,
        "extensions": { EXTENSION: overlay },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interop::test_support::{example_sessions, json_value, valid_session};
    use crate::model::validate;
    use proptest::prelude::*;

    fn fixture(name: &str) -> Vec<u8> {
        crate::interop::test_support::fixture("tm-bom", name)
    }

    fn schema() -> jsonschema::Validator {
        crate::interop::test_support::schema_validator("tm-bom", "threat-model.schema.json")
    }

    /// What a TM-BOM round trip cannot keep, cleared; tables in canonical order.
    fn holdable(s: &Session) -> Session {
        let mut s = s.clone();
        s.runs.clear();
        s.review = Default::default();
        s.agenda = None;
        s.sort_tables();
        s
    }

    fn round_trip(s: &Session) -> Result<(), TestCaseError> {
        let doc = export(s);
        let errors: Vec<String> = schema().iter_errors(&doc).map(|e| e.to_string()).collect();
        prop_assert!(errors.is_empty(), "{errors:#?}");
        let bytes = serde_json::to_vec_pretty(&doc).expect("serializes");
        let back = import(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(back.warnings.is_empty(), "{:#?}", back.warnings);
        let mut got = back.session;
        got.sort_tables();
        prop_assert_eq!(got, holdable(s));
        Ok(())
    }

    #[test]
    fn the_huskyai_model_imports_with_its_counts() {
        let bytes = fixture("huskyai.tmbom.json");
        let doc: Value = serde_json::from_slice(&bytes).expect("json");
        let imported = import(&bytes).unwrap_or_else(|e| panic!("{e}"));
        let s = &imported.session;
        assert_eq!(validate(s), Vec::new());
        assert_eq!(s.title, "Husky AI");
        assert_eq!(s.boundaries.len(), array(&doc, "trust_zones").len());
        let elements = ["actors", "components", "data_stores"]
            .iter()
            .map(|t| array(&doc, t).len())
            .sum::<usize>();
        // Plus the component standing for the whole system, which carries the threats that
        // name no component.
        assert_eq!(s.components.len(), elements + 1);
        assert_eq!(s.flows.len(), array(&doc, "data_flows").len());
        assert_eq!(s.threats.len(), array(&doc, "threats").len());
        assert!(s.threats.iter().all(|t| t.target.as_str() == "system"));
        assert_eq!(s.mitigations.len(), array(&doc, "controls").len());
        assert_eq!(s.assets.len(), array(&doc, "data_sets").len());
        assert_eq!(s.assumptions.len(), 1);
        assert!(s.assumptions[0].validated);
        // Risks rate the threats they name: web-attacks is possible x moderate.
        let t = s.threat("supply-chain-attack").expect("threat");
        assert_eq!((t.likelihood, t.impact), (Some(Rating(2)), Some(Rating(2))));
        let bo = s
            .threat("buffer-overflow-image-processing")
            .expect("threat");
        assert!(bo.notes.contains("CWE-120"), "{}", bo.notes);
        let api = s.component("api-gateway").expect("component");
        assert_eq!(
            api.boundary.as_ref().map(BoundaryId::as_str),
            Some("prod-zone")
        );
        let store = s.component("training-images-blob").expect("store");
        assert_eq!(store.technology, Some(Technology::ObjectStorage));
        assert_eq!(store.assets.len(), 1);
        let flow = s.flow("azure-cognitive-gather-images").expect("flow");
        assert_eq!((flow.encrypted, flow.authenticated), (Some(true), None));
        let all = imported.warnings.join("\n");
        assert!(all.contains("trust boundaries"), "{all}");
        assert!(all.contains("whole system"), "{all}");
    }

    #[test]
    fn the_fixture_exports_and_imports_again() {
        let first = import(&fixture("huskyai.tmbom.json")).map(|i| i.session);
        let first = first.unwrap_or_else(|e| panic!("{e}"));
        round_trip(&first).unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn every_example_session_exports_valid_tm_bom_and_round_trips() {
        for (path, session) in example_sessions() {
            round_trip(&session).unwrap_or_else(|e| panic!("{path}: {e}"));
        }
    }

    #[test]
    fn an_edited_extension_cannot_make_the_import_invalid() {
        let (_, session) = example_sessions().remove(0);
        let mut doc = export(&session);
        // Point every threat record at an element that does not exist.
        if let Some(threats) = doc["extensions"][EXTENSION]["threats"].as_object_mut() {
            for t in threats.values_mut() {
                t["target"] = json!("nowhere");
            }
        }
        let bytes = serde_json::to_vec(&doc).expect("json");
        let imported = import(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(validate(&imported.session), Vec::new());
        assert!(imported.warnings.iter().any(|w| w.contains("does not fit")));
    }

    #[test]
    fn malformed_json_is_an_error_with_its_position() {
        let err = import(b"{\"version\": \"1\",\n\"scope\": [}").expect_err("an error");
        assert_eq!((err.line, err.column), (2, 11));
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
        fn arbitrary_json_never_panics_and_imports_validate(doc in json_value()) {
            let bytes = serde_json::to_vec(&doc).expect("serializes");
            if let Ok(imported) = import(&bytes) {
                let problems = validate(&imported.session);
                prop_assert!(problems.is_empty(), "{problems:#?}\n{doc:#}");
            }
        }
    }
}
