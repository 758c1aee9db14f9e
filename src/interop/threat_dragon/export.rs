//! A session as an OWASP Threat Dragon version 2 model (issue 15), one diagram that Threat Dragon
//! opens with everything laid out: each trust boundary a box holding its components on a grid and
//! the boxes of the boundaries nested in it, flows as edges between them, threats on their
//! elements with the session's mitigations as their mitigation text.
//!
//! What Threat Dragon cannot hold is listed in [`Exported::lost`]: assets, runs, acceptances,
//! assumptions, the owners, due dates and status of mitigations, likelihood (the severity is the
//! risk, or the impact when the likelihood is not rated), rules, references, dismissals,
//! technology, tags that are not Threat Dragon properties, not-applicable STRIDE categories, the
//! "needs review" status and the response of open threats.
//! Ids are UUIDs made from the session's ids, so exporting twice gives the same file; a threat
//! imported from Threat Dragon gets its Threat Dragon id back.

use super::{SOURCE_ID_NOTE, STRIDE_LINE, TRANSFERRED_LINE, source_id};
use crate::model::{
    BoundaryId, Component, ComponentKind, Flow, Rating, Response, RiskLevel, Session, Threat,
    ThreatStatus,
};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};

/// The Threat Dragon version the file says it was written by (the schema's format).
const VERSION: &str = "2.3.0";

/// A component's slot on the grid, and the margins of a box.
const SLOT_W: f64 = 220.0;
const SLOT_H: f64 = 160.0;
const PAD: f64 = 40.0;
/// Room at the top of a box for its label.
const LABEL: f64 = 40.0;

/// The model, and what of the session it could not carry.
#[derive(Debug, Clone)]
pub struct Exported {
    pub model: Value,
    /// One line each: what the file does not keep.
    pub lost: Vec<String>,
}

/// The STRIDE names Threat Dragon writes in English, by letter.
const STRIDE_NAMES: [(char, &str); 6] = [
    ('S', "Spoofing"),
    ('T', "Tampering"),
    ('R', "Repudiation"),
    ('I', "Information disclosure"),
    ('D', "Denial of service"),
    ('E', "Elevation of privilege"),
];

/// Component tags that are Threat Dragon properties (the import's mapping, reversed).
const COMPONENT_FLAGS: [(&str, &str); 9] = [
    ("logs", "isALog"),
    ("stores-credentials", "storesCredentials"),
    ("stores-inventory", "storesInventory"),
    ("encrypted", "isEncrypted"),
    ("signed", "isSigned"),
    ("web-application", "isWebApplication"),
    ("card-payment", "handlesCardPayment"),
    ("goods-or-services", "handlesGoodsOrServices"),
    ("provides-authentication", "providesAuthentication"),
];

/// Writes the session as a Threat Dragon v2 model.
pub fn export(session: &Session) -> Exported {
    let mut out = Exporter {
        session,
        cells: Vec::new(),
        placed: BTreeMap::new(),
        lost: Vec::new(),
        threat_number: 0,
    };
    out.lay_out();
    out.flows();
    out.report_losses();
    let model = json!({
        "version": VERSION,
        "summary": {
            "title": session.title,
            "owner": "",
            "description": session.description,
            "id": 0,
        },
        "detail": {
            "contributors": [],
            "diagrams": [{
                "id": 0,
                "title": session.title,
                "description": "",
                "diagramType": "STRIDE",
                "placeholder": "",
                "thumbnail": "./public/content/images/thumbnail.stride.jpg",
                "version": VERSION,
                "cells": out.cells,
            }],
            "diagramTop": 1,
            "reviewer": "",
            "threatTop": out.threat_number,
        },
    });
    Exported {
        model,
        lost: out.lost,
    }
}

struct Exporter<'a> {
    session: &'a Session,
    cells: Vec<Value>,
    /// Components placed, by id: their cell id.
    placed: BTreeMap<String, String>,
    lost: Vec<String>,
    threat_number: u64,
}

/// Something to place on a box's grid: a component, or a boundary's box with its contents.
enum Item<'a> {
    Component(&'a Component),
    Boundary { id: &'a BoundaryId, w: f64, h: f64 },
}

impl<'a> Exporter<'a> {
    /// Places the components outside every boundary and the top boundaries on one grid.
    fn lay_out(&mut self) {
        let mut visiting = HashSet::new();
        let (items, _, _) = self.contents(None, &mut visiting);
        self.place(&items, 0.0, 0.0, &mut HashSet::new());
    }

    /// What a container (a boundary, or the whole diagram for `None`) holds, with the size of the
    /// grid it needs. `visiting` stops a cycle of parents (an invalid session) from recursing.
    fn contents(
        &self,
        container: Option<&BoundaryId>,
        visiting: &mut HashSet<&'a str>,
    ) -> (Vec<Item<'a>>, f64, f64) {
        let s = self.session;
        let known = |b: &BoundaryId| s.boundary(b.as_str()).is_some();
        let mut items: Vec<Item<'a>> = s
            .components
            .iter()
            .filter(|c| match (container, &c.boundary) {
                (None, None) => true,
                // A component in a boundary that does not exist is drawn outside every box.
                (None, Some(b)) => !known(b),
                (Some(want), Some(b)) => want == b,
                (Some(_), None) => false,
            })
            .map(Item::Component)
            .collect();
        for b in &s.boundaries {
            let inside = match (container, &b.parent) {
                (None, None) => true,
                (None, Some(p)) => !known(p),
                (Some(want), Some(p)) => want == p,
                (Some(_), None) => false,
            };
            if !inside || !visiting.insert(b.id.as_str()) {
                continue;
            }
            let (_, w, h) = self.contents(Some(&b.id), visiting);
            items.push(Item::Boundary {
                id: &b.id,
                w: w + 2.0 * PAD,
                h: h + 2.0 * PAD + LABEL,
            });
        }
        let (w, h) = grid_size(&items);
        (items, w, h)
    }

    /// Places `items` on a grid whose top left corner is (x, y): rows of at most
    /// ceil(sqrt(n)) items, each row as tall as its tallest item.
    fn place(&mut self, items: &[Item<'a>], x: f64, y: f64, visiting: &mut HashSet<&'a str>) {
        let columns = columns(items.len());
        let mut row_y = y;
        for row in items.chunks(columns.max(1)) {
            let mut at_x = x;
            let mut row_h: f64 = 0.0;
            for item in row {
                let (w, h) = item_size(item);
                match item {
                    Item::Component(c) => self.component(c, at_x, row_y),
                    Item::Boundary { id, w, h } => {
                        if visiting.insert(id.as_str()) {
                            self.boundary(id, at_x, row_y, *w, *h);
                            let mut seen = HashSet::new();
                            let (inner, _, _) = self.contents(Some(id), &mut seen);
                            self.place(&inner, at_x + PAD, row_y + PAD + LABEL, visiting);
                        }
                    }
                }
                at_x += w + PAD;
                row_h = row_h.max(h);
            }
            row_y += row_h + PAD;
        }
    }

    fn boundary(&mut self, id: &BoundaryId, x: f64, y: f64, w: f64, h: f64) {
        let Some(b) = self.session.boundary(id.as_str()) else {
            return;
        };
        self.cells.push(json!({
            "id": uuid("boundary", b.id.as_str()),
            "shape": "trust-boundary-box",
            // Behind what it holds.
            "zIndex": -1,
            "visible": true,
            "position": {"x": x, "y": y},
            "size": {"width": w, "height": h},
            "attrs": {"label": {"text": b.name}},
            "data": {
                "type": "tm.BoundaryBox",
                "name": b.name,
                "description": b.notes,
                "isTrustBoundary": true,
                "hasOpenThreats": false,
            },
        }));
    }

    fn component(&mut self, c: &Component, x: f64, y: f64) {
        let (shape, kind, w, h) = match c.kind {
            ComponentKind::Process => ("process", "tm.Process", 100.0, 100.0),
            ComponentKind::DataStore => ("store", "tm.Store", 160.0, 80.0),
            ComponentKind::ExternalEntity => ("actor", "tm.Actor", 160.0, 80.0),
        };
        // Centred in its slot.
        let (x, y) = (x + (SLOT_W - w) / 2.0, y + (SLOT_H - h) / 2.0);
        let id = uuid("element", c.id.as_str());
        let threats = self.threats(c.id.as_str());
        let mut data = json!({
            "type": kind,
            "name": c.name,
            "description": c.notes,
            "outOfScope": !c.out_of_scope.trim().is_empty(),
            "reasonOutOfScope": c.out_of_scope,
            "hasOpenThreats": has_open(&threats),
            "threats": threats,
        });
        for (tag, property) in COMPONENT_FLAGS {
            if c.has_tag(tag) {
                data[property] = json!(true);
            }
        }
        let z = self.cells.len() + 1;
        self.cells.push(json!({
            "id": id,
            "shape": shape,
            "zIndex": z,
            "visible": true,
            "position": {"x": x, "y": y},
            "size": {"width": w, "height": h},
            "attrs": {"text": {"text": c.name}},
            "data": data,
        }));
        self.placed.insert(c.id.as_str().to_string(), id);
    }

    fn flows(&mut self) {
        for f in &self.session.flows {
            let (Some(from), Some(to)) = (
                self.placed.get(f.from.as_str()),
                self.placed.get(f.to.as_str()),
            ) else {
                self.lost.push(format!(
                    "flow \"{}\" ({}) joins a component that does not exist; it is not exported",
                    f.label, f.id
                ));
                continue;
            };
            let cell = self.flow(f, from.clone(), to.clone());
            self.cells.push(cell);
        }
    }

    fn flow(&mut self, f: &Flow, from: String, to: String) -> Value {
        let threats = self.threats(f.id.as_str());
        let mut data = json!({
            "type": "tm.Flow",
            "name": f.label,
            "description": f.notes,
            "protocol": f.protocol,
            "isPublicNetwork": f.tags.iter().any(|t| t == "public-network"),
            "isBidirectional": false,
            "outOfScope": !f.out_of_scope.trim().is_empty(),
            "reasonOutOfScope": f.out_of_scope,
            "hasOpenThreats": has_open(&threats),
            "threats": threats,
        });
        // Unknown stays out of the file, as in the session.
        if let Some(encrypted) = f.encrypted {
            data["isEncrypted"] = json!(encrypted);
        }
        // Threat Dragon has no such property; it keeps it, and the import reads it back.
        if let Some(authenticated) = f.authenticated {
            data["isAuthenticated"] = json!(authenticated);
        }
        json!({
            "id": uuid("element", f.id.as_str()),
            "shape": "flow",
            "zIndex": self.cells.len() + 1,
            "width": 200,
            "height": 100,
            "connector": "smooth",
            "source": {"cell": from},
            "target": {"cell": to},
            "vertices": [],
            "labels": [{
                "position": 0.5,
                "attrs": {"labelText": {"text": f.label}},
            }],
            "attrs": {"line": {
                "stroke": "#333333",
                "strokeWidth": 1,
                "targetMarker": {"name": "block"},
                "sourceMarker": {"name": ""},
            }},
            "data": data,
        })
    }

    /// The threats on one element, as Threat Dragon writes them.
    fn threats(&mut self, element: &str) -> Vec<Value> {
        let s = self.session;
        s.threats
            .iter()
            .filter(|t| t.target.as_str() == element)
            .map(|t| {
                self.threat_number += 1;
                threat(s, t, self.threat_number)
            })
            .collect()
    }

    fn report_losses(&mut self) {
        let s = self.session;
        let mut lost = Vec::new();
        let count = |n: usize, what: &str| format!("{n} {what}");
        if !s.assets.is_empty() {
            lost.push(count(s.assets.len(), "assets"));
        }
        if !s.runs.is_empty() {
            lost.push(count(s.runs.len(), "runs"));
        }
        if !s.acceptances.is_empty() {
            lost.push(count(s.acceptances.len(), "acceptances"));
        }
        if !s.assumptions.is_empty() {
            lost.push(count(s.assumptions.len(), "assumptions"));
        }
        let planned = s
            .mitigations
            .iter()
            .filter(|m| !m.owner.is_empty() || m.due.is_some() || !m.ticket.is_empty())
            .count();
        if planned > 0 {
            lost.push(format!(
                "the owner, due date and ticket of {planned} mitigations (their action is kept)"
            ));
        }
        let multi = s.threats.iter().filter(|t| t.stride.len() > 1).count();
        if multi > 0 {
            lost.push(format!(
                "the STRIDE categories but the first of {multi} threats as types (Threat Dragon gives a threat one type; all are named in its description, which an import reads back)"
            ));
        }
        let flag_tag = |t: &String| COMPONENT_FLAGS.iter().any(|(tag, _)| tag == t);
        let tags = s
            .components
            .iter()
            .flat_map(|c| c.tags.iter().filter(|t| !flag_tag(t)))
            .chain(
                s.flows
                    .iter()
                    .flat_map(|f| f.tags.iter().filter(|t| *t != "public-network")),
            )
            .count();
        if tags > 0 {
            lost.push(format!("{tags} tags that are not Threat Dragon properties"));
        }
        if s.components.iter().any(|c| c.technology.is_some()) {
            lost.push("the components' technology".to_string());
        }
        let refs = s.threats.iter().filter(|t| !t.refs.is_empty()).count();
        if refs > 0 {
            lost.push(format!("the library references of {refs} threats"));
        }
        if s.threats.iter().any(|t| t.likelihood.is_some()) {
            lost.push("likelihood (the severity is the risk)".to_string());
        }
        let not_applicable = s
            .components
            .iter()
            .filter(|c| !c.not_applicable.is_empty() || !c.not_applicable_reason.is_empty())
            .count()
            + s.flows
                .iter()
                .filter(|f| !f.not_applicable.is_empty() || !f.not_applicable_reason.is_empty())
                .count();
        if not_applicable > 0 {
            lost.push(format!(
                "the not-applicable STRIDE categories of {not_applicable} elements"
            ));
        }
        let review = s
            .threats
            .iter()
            .filter(|t| t.status == ThreatStatus::NeedsReview)
            .count();
        if review > 0 {
            lost.push(format!(
                "the \"needs review\" status of {review} threats (they are open)"
            ));
        }
        let undecided = s
            .threats
            .iter()
            .filter(|t| {
                matches!(t.status, ThreatStatus::Open | ThreatStatus::NeedsReview)
                    && matches!(t.response, Response::Transfer | Response::Avoid)
            })
            .count();
        if undecided > 0 {
            lost.push(format!(
                "the response of {undecided} open threats to be transferred or avoided (Threat Dragon says so only once done)"
            ));
        }
        self.lost.extend(
            lost.into_iter()
                .map(|l| format!("not kept by Threat Dragon: {l}")),
        );
    }
}

fn columns(n: usize) -> usize {
    (n as f64).sqrt().ceil() as usize
}

fn item_size(item: &Item<'_>) -> (f64, f64) {
    match item {
        Item::Component(_) => (SLOT_W, SLOT_H),
        Item::Boundary { w, h, .. } => (*w, *h),
    }
}

/// The size of the grid [`Exporter::place`] makes of `items`.
fn grid_size(items: &[Item<'_>]) -> (f64, f64) {
    if items.is_empty() {
        return (SLOT_W, SLOT_H / 2.0);
    }
    let columns = columns(items.len()).max(1);
    let (mut w, mut h): (f64, f64) = (0.0, 0.0);
    for row in items.chunks(columns) {
        let row_w: f64 = row.iter().map(|i| item_size(i).0 + PAD).sum::<f64>() - PAD;
        let row_h = row.iter().map(|i| item_size(i).1).fold(0.0, f64::max);
        w = w.max(row_w);
        h += row_h + PAD;
    }
    (w, h - PAD)
}

fn has_open(threats: &[Value]) -> bool {
    threats
        .iter()
        .any(|t| matches!(t["status"].as_str(), Some("Open")))
}

fn threat(s: &Session, t: &Threat, number: u64) -> Value {
    let letters: Vec<char> = t.stride.iter().map(|s| s.letter()).collect();
    let kind = letters
        .first()
        .and_then(|l| STRIDE_NAMES.iter().find(|(c, _)| c == l))
        .map_or("", |(_, name)| name);
    let mut description: Vec<String> = t
        .notes
        .lines()
        // The Threat Dragon id goes back in its own field.
        .filter(|l| !l.starts_with(SOURCE_ID_NOTE))
        .map(str::to_string)
        .collect();
    if t.response == Response::Transfer && !t.transferred_to.trim().is_empty() {
        description.push(format!("{TRANSFERRED_LINE}{}", t.transferred_to.trim()));
    }
    if letters.len() > 1 {
        description.push(format!("{STRIDE_LINE}{}", t.stride));
    }
    let description = description.join("\n").trim().to_string();
    let status = match (t.status, t.response) {
        (ThreatStatus::NotApplicable, _) => "NA",
        (ThreatStatus::Resolved, Response::Transfer) => "Transferred",
        (ThreatStatus::Resolved, Response::Avoid) => "Avoided",
        (ThreatStatus::Resolved, _) => "Mitigated",
        (_, Response::Accept) if s.acceptances.iter().any(|a| a.threat == t.id) => "Accepted",
        _ => "Open",
    };
    let severity = match t.risk() {
        Some(RiskLevel::Critical) => "Critical",
        Some(RiskLevel::High) => "High",
        Some(RiskLevel::Medium) => "Medium",
        Some(RiskLevel::Low) => "Low",
        None => match t.impact {
            Some(Rating::HIGH) => "High",
            Some(Rating::MEDIUM) => "Medium",
            Some(Rating::LOW) => "Low",
            _ => "",
        },
    };
    let mitigation: Vec<&str> = s
        .mitigations_for(t.id.as_str())
        .map(|m| m.action.trim())
        .collect();
    let id = source_id(&t.notes)
        .map(str::to_string)
        .unwrap_or_else(|| uuid("threat", t.id.as_str()));
    json!({
        "id": id,
        "title": t.title,
        "type": kind,
        "modelType": "STRIDE",
        "status": status,
        "severity": severity,
        "description": description,
        "mitigation": mitigation.join("\n\n"),
        "score": "",
        "number": number,
        "new": false,
    })
}

/// A UUID (version 4 in form) made from a session id: the same id gives the same UUID, so an
/// export of an unchanged session is the same file, and Threat Dragon's ids stay stable.
fn uuid(kind: &str, id: &str) -> String {
    let hash = |seed: u64| {
        format!("{kind}\u{0}{id}").bytes().fold(seed, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    let (a, b) = (hash(0xcbf2_9ce4_8422_2325), hash(0x84222325_cbf29ce4));
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interop::test_support::valid_session;
    use crate::model::{Element, validate};
    use proptest::prelude::*;

    /// A component as Threat Dragon keeps it: kind, name, boundary (by name), out-of-scope
    /// reason, description, the tags that are Threat Dragon properties.
    type ComponentKept = (String, String, Option<String>, String, String, Vec<String>);
    /// A flow as kept: from and to (kind and name), label, protocol, authenticated, encrypted,
    /// out-of-scope reason, description.
    type FlowKept = (
        (String, String),
        (String, String),
        String,
        String,
        Option<bool>,
        Option<bool>,
        String,
        String,
    );
    /// A threat as kept: its element, title, STRIDE letters, status, response, to whom it is
    /// transferred, impact (the severity), notes, mitigation text.
    type ThreatKept = (
        String,
        String,
        String,
        String,
        String,
        String,
        Option<i64>,
        String,
        String,
    );

    /// Everything of a session that a Threat Dragon round trip keeps, with ids replaced by
    /// names; the tables are sorted lists, so a name used twice is counted twice.
    #[derive(Debug, PartialEq)]
    struct Kept {
        title: String,
        description: String,
        boundaries: Vec<(String, Option<String>, String)>,
        components: Vec<ComponentKept>,
        flows: Vec<FlowKept>,
        threats: Vec<ThreatKept>,
    }

    /// Lines the import adds to a threat's notes, or the export adds to its description
    /// (generated text has no colons, so these never hide a line of the session's own).
    const ADDED: [&str; 6] = [
        STRIDE_LINE,
        TRANSFERRED_LINE,
        SOURCE_ID_NOTE,
        "Threat Dragon threat number: ",
        "Threat Dragon severity: ",
        "Threat Dragon status: ",
    ];
    const MITIGATION_NOTE: &str = "Threat Dragon mitigation: ";

    /// A threat's own notes, and the mitigation text that an import keeps in its notes (for a
    /// threat not applicable or accepted, which gets no mitigation entry).
    fn threat_notes(notes: &str) -> (String, String) {
        let mut own = Vec::new();
        let mut mitigation: Vec<&str> = Vec::new();
        let mut in_mitigation = false;
        for line in notes.lines() {
            if let Some(first) = line.strip_prefix(MITIGATION_NOTE) {
                in_mitigation = true;
                mitigation.push(first);
            } else if ADDED.iter().any(|p| line.starts_with(p)) {
                in_mitigation = false;
            } else if in_mitigation {
                mitigation.push(line);
            } else {
                own.push(line);
            }
        }
        (own.join("\n"), mitigation.join("\n"))
    }

    fn kept(s: &Session) -> Kept {
        let boundary = |id: Option<&BoundaryId>| {
            id.and_then(|id| s.boundary(id.as_str()))
                .map(|b| b.name.clone())
        };
        let end = |id: &str| {
            s.component(id)
                .map(|c| (c.kind.as_str().to_string(), c.name.clone()))
                .unwrap_or_default()
        };
        let mut boundaries: Vec<_> = s
            .boundaries
            .iter()
            .map(|b| (b.name.clone(), boundary(b.parent.as_ref()), b.notes.clone()))
            .collect();
        let mut components: Vec<ComponentKept> = s
            .components
            .iter()
            .map(|c| {
                let mut flags: Vec<String> = c
                    .tags
                    .iter()
                    .filter(|t| COMPONENT_FLAGS.iter().any(|(tag, _)| tag == t))
                    .cloned()
                    .collect();
                flags.sort();
                (
                    c.kind.as_str().to_string(),
                    c.name.clone(),
                    boundary(c.boundary.as_ref()),
                    c.out_of_scope.to_string(),
                    c.notes.to_string(),
                    flags,
                )
            })
            .collect();
        let mut flows: Vec<FlowKept> = s
            .flows
            .iter()
            .map(|f| {
                (
                    end(f.from.as_str()),
                    end(f.to.as_str()),
                    f.label.to_string(),
                    f.protocol.to_string(),
                    f.authenticated,
                    f.encrypted,
                    f.out_of_scope.to_string(),
                    f.notes.to_string(),
                )
            })
            .collect();
        let mut threats: Vec<ThreatKept> = s
            .threats
            .iter()
            .map(|t| {
                let element = match s.element(t.target.as_str()) {
                    Some(Element::Component(c)) => format!("{} {}", c.kind.as_str(), c.name),
                    Some(Element::Flow(f)) => format!(
                        "flow {:?} -> {:?}: {}",
                        end(f.from.as_str()),
                        end(f.to.as_str()),
                        f.label
                    ),
                    None => String::new(),
                };
                let (notes, in_notes) = threat_notes(&t.notes);
                let entries: Vec<&str> = s
                    .mitigations_for(t.id.as_str())
                    .map(|m| m.action.trim())
                    .collect();
                let mitigation = if entries.is_empty() {
                    in_notes
                } else {
                    entries.join("\n\n")
                };
                // Threat Dragon's statuses: open (needs review is open there), mitigated,
                // transferred, avoided, accepted, not applicable.
                let status = match t.status {
                    ThreatStatus::NeedsReview => ThreatStatus::Open,
                    other => other,
                };
                let response = match (status, t.response) {
                    (ThreatStatus::NotApplicable, _) => Response::Undecided,
                    (ThreatStatus::Resolved, r @ (Response::Transfer | Response::Avoid)) => r,
                    (ThreatStatus::Resolved, _) => Response::Mitigate,
                    // An acceptance needs a justification Threat Dragon does not keep.
                    (_, Response::Accept) => Response::Undecided,
                    // Open with mitigation entries: mitigate (text kept only in the notes is
                    // not an entry).
                    _ if entries.is_empty() => Response::Undecided,
                    _ => Response::Mitigate,
                };
                let transferred_to = if response == Response::Transfer {
                    t.transferred_to.clone()
                } else {
                    String::new()
                };
                // The severity: the risk when the likelihood is rated, else the impact.
                let impact = match t.likelihood {
                    None => t.impact.map(|r| r.0),
                    Some(_) => t.risk().map(|r| match r {
                        RiskLevel::Low => 1,
                        RiskLevel::Medium => 2,
                        RiskLevel::High | RiskLevel::Critical => 3,
                    }),
                };
                (
                    element,
                    t.title.clone(),
                    t.stride.to_string(),
                    status.as_str().to_string(),
                    response.as_str().to_string(),
                    transferred_to,
                    impact,
                    notes,
                    mitigation,
                )
            })
            .collect();
        boundaries.sort();
        components.sort();
        flows.sort();
        threats.sort();
        Kept {
            title: s.title.clone(),
            description: s.description.clone(),
            boundaries,
            components,
            flows,
            threats,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Issue 15: session -> Threat Dragon -> session keeps everything the format holds.
        #[test]
        fn generated_sessions_round_trip(s in valid_session()) {
            let exported = export(&s);
            let validator = crate::interop::test_support::schema_validator(
                "threat-dragon",
                "threat-dragon-v2.schema.json",
            );
            let errors: Vec<String> = validator
                .iter_errors(&exported.model)
                .map(|e| format!("{e} at {}", e.instance_path()))
                .collect();
            prop_assert!(errors.is_empty(), "{errors:#?}");
            let bytes = serde_json::to_vec(&exported.model).expect("serializes");
            let back = super::super::import(&bytes)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let problems = validate(&back.session);
            prop_assert!(problems.is_empty(), "{problems:#?}");
            for w in &back.warnings {
                prop_assert!(!w.contains("not imported"), "{w}");
            }
            prop_assert_eq!(kept(&back.session), kept(&s));
        }
    }

    #[test]
    fn uuids_are_stable_and_distinct() {
        let a = uuid("element", "api");
        assert_eq!(a, uuid("element", "api"));
        assert_ne!(a, uuid("element", "api2"));
        assert_ne!(a, uuid("threat", "api"));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
    }

    #[test]
    fn what_threat_dragon_cannot_hold_is_reported() {
        let mut s = Session::new("S");
        s.components.push(Component {
            id: "api".into(),
            name: "API".into(),
            kind: ComponentKind::Process,
            technology: None,
            boundary: None,
            tags: Default::default(),
            assets: Vec::new(),
            not_applicable: crate::model::StrideSet::parse("R"),
            not_applicable_reason: "signed requests".into(),
            out_of_scope: Default::default(),
            notes: Default::default(),
            dismissed: Default::default(),
        });
        for (id, status, response) in [
            ("TH-1", ThreatStatus::NeedsReview, Response::Undecided),
            ("TH-2", ThreatStatus::Open, Response::Avoid),
        ] {
            s.threats.push(Threat {
                id: id.into(),
                target: "api".into(),
                title: id.into(),
                stride: crate::model::StrideSet::parse("S"),
                refs: Vec::new(),
                rule: None,
                likelihood: None,
                impact: None,
                response,
                status,
                transferred_to: String::new(),
                raised_by: Vec::new(),
                notes: String::new(),
            });
        }
        let lost = export(&s).lost.join("\n");
        for expected in [
            "not-applicable STRIDE categories of 1 elements",
            "\"needs review\" status of 1 threats",
            "response of 1 open threats",
        ] {
            assert!(lost.contains(expected), "{expected}: {lost}");
        }
    }

    #[test]
    fn grids_are_square_ish() {
        assert_eq!(columns(1), 1);
        assert_eq!(columns(4), 2);
        assert_eq!(columns(5), 3);
    }
}
