//! `threatboard import threat-dragon` on Threat Dragon's own models (tests/fixtures/threat-dragon,
//! see its README) and on small models written here for single behaviours, through the library
//! and through the binary. Expected counts are read from the JSON by the test itself.

use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use threatboard::interop::threat_dragon::{self, Imported};
use threatboard::model::{
    ComponentKind, LibraryRef, MitigationStatus, Rating, Response, Session, ThreatStatus, validate,
};
use threatboard::store;

const FIXTURES: [&str; 4] = [
    "v2-threat-model.json",
    "three-tier-web-app.json",
    "generic-cms.json",
    "demo-threat-model.json",
];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/threat-dragon")
        .join(name)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn import_fixture(name: &str) -> Imported {
    threat_dragon::import(&read(&fixture(name))).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn import_json(model: &Value) -> Imported {
    let bytes = serde_json::to_vec_pretty(model).expect("model serializes");
    threat_dragon::import(&bytes).unwrap_or_else(|e| panic!("{e}"))
}

fn threatboard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_threatboard"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("the binary runs: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Names as Threat Dragon wraps them inside shapes ("Web\nApplication") read as one line.
fn one_line(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---- Reading the Threat Dragon JSON independently of the importer ---------------------------

/// Every cell of every diagram, version 2 (`cells`) or version 1 (`diagramJson.cells`).
fn td_cells(model: &Value) -> Vec<&Value> {
    let mut cells = Vec::new();
    for diagram in model["detail"]["diagrams"].as_array().expect("diagrams") {
        let list = diagram["cells"]
            .as_array()
            .or_else(|| diagram["diagramJson"]["cells"].as_array())
            .expect("cells");
        cells.extend(list);
    }
    cells
}

/// "process", "store", "actor", "flow", "box", "curve" or "text".
fn td_kind(cell: &Value) -> &'static str {
    let raw = cell["shape"]
        .as_str()
        .or_else(|| cell["type"].as_str())
        .expect("a shape or a type");
    match raw {
        "process" | "tm.Process" => "process",
        "store" | "tm.Store" => "store",
        "actor" | "tm.Actor" => "actor",
        "flow" | "tm.Flow" => "flow",
        "trust-boundary-box" | "tm.BoundaryBox" => "box",
        "trust-boundary-curve" | "trust-broundary-curve" | "tm.Boundary" => "curve",
        "td-text-block" | "tm.Text" => "text",
        other => panic!("unexpected cell {other}"),
    }
}

/// The element's properties: `data` in version 2, the cell itself in version 1.
fn td_props(cell: &Value) -> &Value {
    if cell["data"].is_object() {
        &cell["data"]
    } else {
        cell
    }
}

fn td_name(cell: &Value) -> String {
    let props = td_props(cell);
    let name = props["name"]
        .as_str()
        .filter(|s| !s.is_empty())
        .or_else(|| cell["attrs"]["text"]["text"].as_str())
        .or_else(|| cell["labels"][0]["attrs"]["text"]["text"].as_str())
        .unwrap_or("");
    one_line(name)
}

fn td_threats(cell: &Value) -> &[Value] {
    td_props(cell)["threats"]
        .as_array()
        .map_or(&[], Vec::as_slice)
}

fn count_kind(model: &Value, kind: &str) -> usize {
    td_cells(model)
        .into_iter()
        .filter(|c| td_kind(c) == kind)
        .count()
}

// ---- Checks on the imported session ---------------------------------------------------------

fn assert_valid_and_round_trips(session: &Session, what: &str) {
    let problems: Vec<String> = validate(session).iter().map(ToString::to_string).collect();
    assert!(problems.is_empty(), "{what}: {problems:#?}");
    let toml = store::to_toml(session).expect("serializes");
    let (parsed, _) = store::parse(&toml).unwrap_or_else(|e| panic!("{what}: {e:?}\n{toml}"));
    let mut sorted = session.clone();
    sorted.sort_tables();
    assert_eq!(
        parsed, sorted,
        "{what}: the TOML reads back as the same session"
    );
    assert_eq!(
        store::to_toml(&parsed).expect("serializes"),
        toml,
        "{what}: canonical bytes"
    );
}

fn component_by_name<'a>(session: &'a Session, name: &str) -> &'a threatboard::model::Component {
    session
        .components
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no component {name:?}"))
}

fn flow_by_label<'a>(session: &'a Session, label: &str) -> &'a threatboard::model::Flow {
    session
        .flows
        .iter()
        .find(|f| f.label == label)
        .unwrap_or_else(|| panic!("no flow {label:?}"))
}

/// The name of the boundary a component is directly in.
fn boundary_of(session: &Session, component: &str) -> Option<String> {
    let c = component_by_name(session, component);
    c.boundary.as_ref().map(|b| {
        session
            .boundary(b.as_str())
            .expect("boundary exists")
            .name
            .clone()
    })
}

fn parent_of(session: &Session, boundary: &str) -> Option<String> {
    let b = session
        .boundaries
        .iter()
        .find(|b| b.name == boundary)
        .unwrap_or_else(|| panic!("no boundary {boundary:?}"));
    b.parent.as_ref().map(|p| {
        session
            .boundary(p.as_str())
            .expect("parent exists")
            .name
            .clone()
    })
}

fn has_warning(imported: &Imported, parts: &[&str]) -> bool {
    imported
        .warnings
        .iter()
        .any(|w| parts.iter().all(|p| w.contains(p)))
}

fn assert_warning(imported: &Imported, parts: &[&str]) {
    assert!(
        has_warning(imported, parts),
        "no warning with {parts:?} in {:#?}",
        imported.warnings
    );
}

/// Counts, threats per element, mitigations and validity against what the JSON holds.
fn assert_matches_json(name: &str) -> Imported {
    let model: Value = serde_json::from_slice(&read(&fixture(name))).expect("fixture is JSON");
    let imported = import_fixture(name);
    let s = &imported.session;
    assert_valid_and_round_trips(s, name);

    assert_eq!(s.title, model["summary"]["title"].as_str().expect("title"));
    assert_eq!(
        s.description,
        model["summary"]["description"]
            .as_str()
            .unwrap_or("")
            .trim()
    );
    assert!(s.runs.is_empty(), "{name}: no runs");
    let kinds = |k| s.components.iter().filter(|c| c.kind == k).count();
    assert_eq!(
        kinds(ComponentKind::Process),
        count_kind(&model, "process"),
        "{name}"
    );
    assert_eq!(
        kinds(ComponentKind::DataStore),
        count_kind(&model, "store"),
        "{name}"
    );
    assert_eq!(
        kinds(ComponentKind::ExternalEntity),
        count_kind(&model, "actor"),
        "{name}"
    );
    // A bidirectional flow is two.
    let bidirectional = td_cells(&model)
        .into_iter()
        .filter(|c| td_kind(c) == "flow" && td_props(c)["isBidirectional"] == json!(true))
        .count();
    assert_eq!(
        s.flows.len(),
        count_kind(&model, "flow") + bidirectional,
        "{name}"
    );
    assert_eq!(
        s.boundaries.len(),
        count_kind(&model, "box") + count_kind(&model, "curve"),
        "{name}"
    );

    // Threats: as many per element (matched by name) as the JSON has, with its titles.
    let mut expected: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut with_mitigation = 0;
    for cell in td_cells(&model) {
        for t in td_threats(cell) {
            expected
                .entry(td_name(cell))
                .or_default()
                .push(one_line(t["title"].as_str().expect("threat title")));
            let open_or_mitigated = matches!(t["status"].as_str(), Some("Open" | "Mitigated"));
            if open_or_mitigated && !t["mitigation"].as_str().unwrap_or("").trim().is_empty() {
                with_mitigation += 1;
            }
        }
    }
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for t in &s.threats {
        let element = s.element(t.target.as_str()).expect("target exists");
        found
            .entry(element.name().to_string())
            .or_default()
            .push(t.title.clone());
    }
    assert_eq!(found, expected, "{name}: threats per element");
    assert_eq!(s.mitigations.len(), with_mitigation, "{name}: mitigations");
    for m in &s.mitigations {
        assert_eq!(m.threats.len(), 1);
        assert!(m.owner.is_empty() && m.due.is_none());
    }
    for w in &imported.warnings {
        assert!(
            !w.contains('\n') && !w.is_empty(),
            "{name}: one line: {w:?}"
        );
    }
    imported
}

// ---- The fixtures ----------------------------------------------------------------------------

#[test]
fn every_fixture_matches_its_json_validates_and_round_trips() {
    for name in FIXTURES {
        assert_matches_json(name);
    }
}

#[test]
fn v2_demo_curves_become_boundaries_around_one_side() {
    let imported = assert_matches_json("v2-threat-model.json");
    let s = &imported.session;
    // Read from the drawing: curve 1 cuts off the message queue, curve 2 the database, curve 3
    // the browser; the boundary takes the side without the external entity.
    assert_eq!(
        boundary_of(s, "Message Queue").as_deref(),
        Some("Trust boundary curve 1")
    );
    assert_eq!(
        boundary_of(s, "Database").as_deref(),
        Some("Trust boundary curve 2")
    );
    for inside in [
        "Web Application",
        "Background Worker Process",
        "Worker Config",
        "Web Application Config",
    ] {
        assert_eq!(
            boundary_of(s, inside).as_deref(),
            Some("Trust boundary curve 3"),
            "{inside}"
        );
    }
    assert_eq!(boundary_of(s, "Browser"), None);
    assert_eq!(
        parent_of(s, "Trust boundary curve 1").as_deref(),
        Some("Trust boundary curve 3")
    );
    assert_eq!(
        parent_of(s, "Trust boundary curve 2").as_deref(),
        Some("Trust boundary curve 3")
    );
    assert_eq!(parent_of(s, "Trust boundary curve 3"), None);

    let crossing: BTreeSet<&str> = s
        .flows
        .iter()
        .filter(|f| f.tags.iter().any(|t| t == "crosses-trust-boundary"))
        .map(|f| f.label.as_str())
        .collect();
    let expected: BTreeSet<&str> = [
        "Put Message",
        "Message",
        "Queries",
        "Web App Query Results",
        "Worker Queries",
        "Worker Query Results",
        "Web Request",
        "Web Response",
    ]
    .into();
    assert_eq!(crossing, expected);
    assert!(
        flow_by_label(s, "Put Message")
            .notes
            .contains("\"Trust boundary curve 1\"")
    );

    // "Web Request" starts at a loose point just right of the browser.
    let request = flow_by_label(s, "Web Request");
    assert_eq!(request.from.as_str(), "browser");
    assert_eq!(request.to.as_str(), "web-application");
    assert_eq!(request.protocol, "HTTP/S");
    assert!(request.is_encrypted());
    assert_eq!(
        request.authenticated, None,
        "Threat Dragon has no such property"
    );
    assert!(request.tags.iter().any(|t| t == "public-network"));
    let config = flow_by_label(s, "Read web app config");
    assert!(
        config.out_of_scope.contains("read from the file system"),
        "{:?}",
        config.out_of_scope
    );
    assert!(component_by_name(s, "Database").has_tag("logs"));
    assert!(component_by_name(s, "Worker Config").has_tag("stores-credentials"));

    assert_warning(
        &imported,
        &["people are not imported", "Mike Goodwin", "Jane Smith"],
    );
    assert_warning(
        &imported,
        &["\"Web Request\"", "source is not attached", "\"Browser\""],
    );
    assert_warning(&imported, &["text block", "A Demo Threat Model"]);
    assert_warning(&imported, &["no authentication property", "10 flows"]);
    assert_warning(
        &imported,
        &["curve \"Trust boundary curve 1\"", "\"Message Queue\""],
    );
    assert_eq!(imported.warnings.len(), 7, "{:#?}", imported.warnings);
}

#[test]
fn v2_demo_threats_map_status_severity_and_mitigations() {
    let imported = import_fixture("v2-threat-model.json");
    let s = &imported.session;
    let threat = |title: &str| {
        s.threats
            .iter()
            .find(|t| t.title == title)
            .unwrap_or_else(|| panic!("no threat {title:?}"))
    };
    // Mitigated, High, Spoofing, on the queue.
    let fake = threat("Fake messages could be placed on the queue");
    assert_eq!(fake.target.as_str(), "message-queue");
    assert_eq!(fake.stride.to_string(), "S");
    assert_eq!(fake.impact, Some(Rating::HIGH));
    assert_eq!(fake.likelihood, None);
    assert_eq!(fake.status, ThreatStatus::Resolved);
    assert_eq!(fake.response, Response::Mitigate);
    let done: Vec<_> = s.mitigations_for(fake.id.as_str()).collect();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].status, MitigationStatus::Done);
    assert!(done[0].action.starts_with("Restrict access to the queue"));
    assert!(
        done[0]
            .action
            .ends_with("Worker.\n\nImplement authentication on the queue endpoint."),
        "{:?}",
        done[0].action
    );
    // Several paragraphs stay several paragraphs.
    let credentials = threat("Accessing DB credentials");
    let steps: Vec<_> = s.mitigations_for(credentials.id.as_str()).collect();
    assert!(
        steps[0].action.contains("file.\n\nExpire"),
        "{:?}",
        steps[0].action
    );
    // Open, Low, Information disclosure.
    let secrecy = threat("Message secrecy");
    assert_eq!(secrecy.stride.to_string(), "I");
    assert_eq!(secrecy.impact, Some(Rating::LOW));
    assert_eq!(secrecy.status, ThreatStatus::Open);
    let planned: Vec<_> = s.mitigations_for(secrecy.id.as_str()).collect();
    assert_eq!(planned[0].status, MitigationStatus::Planned);
    assert!(secrecy.notes.contains("not point-to-point"));
    // Medium, Tampering; Denial of service.
    assert_eq!(threat("Message tampering").stride.to_string(), "T");
    assert_eq!(threat("Message tampering").impact, Some(Rating::MEDIUM));
    assert_eq!(threat("Poison messages 1").stride.to_string(), "D");
    // Ids from Threat Dragon's threat ids.
    assert_eq!(s.threats[0].id.as_str(), "TH-td-7df716cd");
    assert_eq!(s.threats[0].title, "Accessing DB credentials");
    assert_eq!(s.mitigations[0].id.as_str(), "MI-td-7df716cd");
}

#[test]
fn three_tier_boxes_hold_their_components() {
    let imported = assert_matches_json("three-tier-web-app.json");
    let s = &imported.session;
    // The boxes have no name property, only a label.
    assert_eq!(boundary_of(s, "Web UI").as_deref(), Some("Internet"));
    assert_eq!(
        boundary_of(s, "Web Service").as_deref(),
        Some("Public Cloud")
    );
    assert_eq!(
        boundary_of(s, "PostgresSQL").as_deref(),
        Some("Public Cloud")
    );
    assert_eq!(parent_of(s, "Internet"), None);
    assert_eq!(parent_of(s, "Public Cloud"), None);
    // Unnamed flows are labelled by their ends.
    assert_eq!(
        flow_by_label(s, "Web UI to Web Service").id.as_str(),
        "web-ui-web-service"
    );
    let pg = flow_by_label(s, "Web Service to PostgresSQL");
    assert!(pg.tags.iter().any(|t| t == "bidirectional"));
    let back = flow_by_label(s, "Web Service to PostgresSQL (reverse)");
    assert_eq!(
        (back.from.as_str(), back.to.as_str()),
        (pg.to.as_str(), pg.from.as_str())
    );
    assert_warning(
        &imported,
        &[
            "\"Web Service to PostgresSQL\" is bidirectional",
            "two flows",
        ],
    );
    // Score and number go to the notes.
    let stored = s.threats.iter().find(|t| t.notes.contains("score: 7.5"));
    assert!(stored.is_some(), "{:#?}", s.threats);
}

#[test]
fn generic_cms_box_holds_the_server_and_the_database() {
    let imported = assert_matches_json("generic-cms.json");
    let s = &imported.session;
    assert_eq!(boundary_of(s, "Databse").as_deref(), Some("Internet"));
    assert_eq!(boundary_of(s, "Web server").as_deref(), Some("Internet"));
    for outside in ["Admin", "CDN network", "Generic / Privilege user"] {
        assert_eq!(boundary_of(s, outside), None, "{outside}");
    }
    let mysql = flow_by_label(s, "Unsecured mySQL connection");
    assert_eq!(
        (mysql.from.as_str(), mysql.to.as_str()),
        ("admin", "databse")
    );
    assert_eq!(flow_by_label(s, "HTTPS").protocol, "HTTPS");
    assert_warning(&imported, &["text block", "Content Management System"]);
    assert_warning(&imported, &["no authentication property", "5 flows"]);
}

#[test]
fn v1_demo_model_imports() {
    let imported = assert_matches_json("demo-threat-model.json");
    let s = &imported.session;
    // Version 1 names live in attrs.text and the flow labels.
    assert!(s.components.iter().any(|c| c.name == "Web Application"));
    assert_eq!(flow_by_label(s, "Web Request").from.as_str(), "browser");
    // Curve 1 cuts off the browser, curve 4 the database; curves 2 and 3 are two halves of the
    // line around the message queue: each alone does not separate the diagram, and the side
    // that agrees with most flows is the queue alone.
    assert_eq!(boundary_of(s, "Browser"), None);
    assert_eq!(
        boundary_of(s, "Database").as_deref(),
        Some("Trust boundary curve 4")
    );
    assert_eq!(
        boundary_of(s, "Web Application").as_deref(),
        Some("Trust boundary curve 1")
    );
    let queue = boundary_of(s, "Message Queue").expect("the queue is in a boundary");
    assert!(
        queue == "Trust boundary curve 2" || queue == "Trust boundary curve 3",
        "{queue}"
    );
    for curve in ["Trust boundary curve 2", "Trust boundary curve 3"] {
        let b = s
            .boundaries
            .iter()
            .find(|b| b.name == curve)
            .expect("curve boundary");
        let members: Vec<&str> = s
            .components
            .iter()
            .filter(|c| {
                let mut at = c.boundary.clone();
                while let Some(id) = at {
                    if id == b.id {
                        return true;
                    }
                    at = s.boundary(id.as_str()).and_then(|x| x.parent.clone());
                }
                false
            })
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(members, ["Message Queue"], "{curve}");
    }
    assert_warning(
        &imported,
        &[
            "\"Trust boundary curve 2\" does not separate the diagram cleanly",
            "\"Message\"",
        ],
    );
    assert_warning(
        &imported,
        &[
            "\"Trust boundary curve 3\" does not separate the diagram cleanly",
            "\"Put Message\"",
        ],
    );
}

// ---- Small models written for one behaviour each ----------------------------------------------

fn shape_type(shape: &str) -> &'static str {
    match shape {
        "process" => "tm.Process",
        "store" => "tm.Store",
        "actor" => "tm.Actor",
        "trust-boundary-box" => "tm.BoundaryBox",
        "td-text-block" => "tm.Text",
        _ => "tm.Unknown",
    }
}

fn node(id: &str, shape: &str, name: &str, x: f64, y: f64, w: f64, h: f64) -> Value {
    json!({
        "id": id, "shape": shape, "zIndex": 1, "visible": true,
        "position": {"x": x, "y": y}, "size": {"width": w, "height": h},
        "attrs": {"text": {"text": name}},
        "data": {"type": shape_type(shape), "name": name, "description": "",
                 "outOfScope": false, "hasOpenThreats": false, "threats": []}
    })
}

fn flow(id: &str, name: &str, from: &str, to: &str, vertices: &[(f64, f64)]) -> Value {
    let vertices: Vec<Value> = vertices
        .iter()
        .map(|(x, y)| json!({"x": x, "y": y}))
        .collect();
    json!({
        "id": id, "shape": "flow", "zIndex": 10, "connector": "smooth",
        "source": {"cell": from}, "target": {"cell": to}, "vertices": vertices,
        "data": {"type": "tm.Flow", "name": name, "description": "", "protocol": "",
                 "isEncrypted": false, "isPublicNetwork": false, "isBidirectional": false,
                 "outOfScope": false, "hasOpenThreats": false, "threats": []}
    })
}

fn curve(id: &str, name: &str, points: &[(f64, f64)]) -> Value {
    let (first, rest) = points.split_first().expect("points");
    let (last, middle) = rest.split_last().expect("two points");
    let vertices: Vec<Value> = middle
        .iter()
        .map(|(x, y)| json!({"x": x, "y": y}))
        .collect();
    json!({
        "id": id, "shape": "trust-boundary-curve", "zIndex": 10, "connector": "smooth",
        "source": {"x": first.0, "y": first.1}, "target": {"x": last.0, "y": last.1},
        "vertices": vertices,
        "labels": [{"attrs": {"labelText": {"text": name}}}],
        "data": {"type": "tm.Boundary", "name": name, "description": "", "isTrustBoundary": true,
                 "hasOpenThreats": false}
    })
}

fn model(title: &str, cells: Vec<Value>) -> Value {
    json!({
        "version": "2.3.0",
        "summary": {"title": title, "owner": "", "description": "", "id": 0},
        "detail": {
            "contributors": [], "reviewer": "", "diagramTop": 1, "threatTop": 0,
            "diagrams": [{"id": 0, "title": "Main", "diagramType": "STRIDE", "thumbnail": "",
                          "version": "2.3.0", "cells": cells}]
        }
    })
}

fn threat(title: &str, kind: &str, model_type: &str, status: &str, severity: &str) -> Value {
    json!({"title": title, "type": kind, "modelType": model_type, "status": status,
           "severity": severity, "description": format!("About {title}."),
           "mitigation": format!("Fix {title}.")})
}

#[test]
fn a_curve_crossing_one_flow() {
    let mut request = flow("f1", "Request", "user", "api", &[]);
    request["data"]["isAuthenticated"] = json!(true);
    let cells = vec![
        node("user", "actor", "User", 0.0, 100.0, 100.0, 60.0),
        node("api", "process", "API", 400.0, 100.0, 100.0, 100.0),
        node("worker", "process", "Worker", 400.0, 300.0, 100.0, 100.0),
        // No flows: placed by the drawing alone.
        node("cache", "store", "Cache", 700.0, 100.0, 100.0, 60.0),
        request,
        flow("f2", "Jobs", "api", "worker", &[]),
        curve(
            "edge",
            "Internet edge",
            &[(250.0, 0.0), (260.0, 250.0), (250.0, 500.0)],
        ),
    ];
    let imported = import_json(&model("Curve", cells));
    let s = &imported.session;
    assert_valid_and_round_trips(s, "curve model");
    assert_eq!(s.boundaries.len(), 1);
    assert_eq!(s.boundaries[0].id.as_str(), "internet-edge");
    assert_eq!(s.boundaries[0].name, "Internet edge");
    // The side without the external entity.
    assert_eq!(boundary_of(s, "User"), None);
    for inside in ["API", "Worker", "Cache"] {
        assert_eq!(
            boundary_of(s, inside).as_deref(),
            Some("Internet edge"),
            "{inside}"
        );
    }
    let request = flow_by_label(s, "Request");
    assert!(request.tags.iter().any(|t| t == "crosses-trust-boundary"));
    assert!(request.notes.contains("\"Internet edge\""));
    assert!(
        request.is_authenticated(),
        "isAuthenticated is used when present"
    );
    let jobs = flow_by_label(s, "Jobs");
    assert!(jobs.tags.is_empty(), "{:?}", jobs.tags);
    assert!(!jobs.is_authenticated());
    assert_warning(
        &imported,
        &[
            "curve \"Internet edge\" cannot hold components",
            "3 components",
            "the side without external entities",
            "flows crossing it: \"Request\"",
        ],
    );
    assert_warning(&imported, &["no authentication property", "1 flow is"]);
    assert!(!has_warning(&imported, &["does not separate"]));
}

#[test]
fn nested_boxes_nest_and_components_go_to_the_innermost() {
    let mut subnet = node(
        "subnet",
        "trust-boundary-box",
        "Private subnet",
        450.0,
        350.0,
        200.0,
        100.0,
    );
    subnet["data"]["name"] = json!("");
    subnet["attrs"] = json!({"label": {"text": "Private subnet"}});
    let cells = vec![
        node(
            "cloud",
            "trust-boundary-box",
            "Cloud account",
            0.0,
            0.0,
            1000.0,
            600.0,
        ),
        node(
            "vpc",
            "trust-boundary-box",
            "VPC",
            400.0,
            100.0,
            500.0,
            400.0,
        ),
        subnet,
        node("db", "store", "Orders DB", 600.0, 200.0, 120.0, 60.0),
        node("fn", "process", "Lambda", 100.0, 100.0, 100.0, 100.0),
        node("user", "actor", "User", 1200.0, 100.0, 100.0, 60.0),
        flow("f1", "Invoke", "user", "fn", &[]),
        flow("f2", "Write order", "fn", "db", &[]),
    ];
    let imported = import_json(&model("Nested", cells));
    let s = &imported.session;
    assert_valid_and_round_trips(s, "nested model");
    assert_eq!(boundary_of(s, "Orders DB").as_deref(), Some("VPC"));
    assert_eq!(boundary_of(s, "Lambda").as_deref(), Some("Cloud account"));
    assert_eq!(boundary_of(s, "User"), None);
    assert_eq!(parent_of(s, "VPC").as_deref(), Some("Cloud account"));
    // An empty box nests by geometry, and takes its name from its label.
    assert_eq!(parent_of(s, "Private subnet").as_deref(), Some("VPC"));
    assert_eq!(parent_of(s, "Cloud account"), None);
    let ids: Vec<&str> = s.boundaries.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(ids, ["cloud-account", "vpc", "private-subnet"]);
    assert!(
        !has_warning(&imported, &["overlap"]),
        "{:#?}",
        imported.warnings
    );
}

#[test]
fn a_malformed_file_is_reported_with_line_and_column() {
    let broken = "{\n  \"summary\": {\"title\": \"Broken\"},\n  \"detail\": {\"diagrams\": [{\"title\": \"Ü\", \"cells\": [{\"id\": \"a\",, }]}]}\n}\n";
    let err = threat_dragon::import(broken.as_bytes()).expect_err("malformed");
    let line = broken.lines().nth(2).expect("line 3");
    let col = line.chars().position(|c| c == ',').map(|_| {
        // The second comma of ",,", counted in characters.
        let byte = line.find(",,").expect(",,") + 1;
        line[..byte].chars().count() + 1
    });
    assert_eq!((err.line, Some(err.column)), (3, col), "{err}");
    assert!(err.message.starts_with("invalid JSON: "), "{err}");

    let wrong_type = "{\"summary\": {\"title\": 42}, \"detail\": {\"diagrams\": []}}";
    let err = threat_dragon::import(wrong_type.as_bytes()).expect_err("wrong type");
    assert_eq!(err.line, 1);
    assert!(
        err.message
            .starts_with("not a Threat Dragon model: invalid type: integer `42`"),
        "{err}"
    );
    let not_td = threat_dragon::import(b"[1, 2]").expect_err("not a model");
    assert!(not_td.message.contains("a Threat Dragon model"), "{not_td}");
    assert!(threat_dragon::import(b"").is_err());

    // Through the binary: exit 2 and file:line:col: message.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("broken.json");
    std::fs::write(&path, broken).expect("write");
    let path = path.to_str().expect("utf-8 path");
    let out = threatboard(&["import", "threat-dragon", path]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    let expected = format!("{path}:3:{}: invalid JSON: ", col.unwrap_or(0));
    assert!(stderr.starts_with(&expected), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    let missing = dir.path().join("missing.json");
    let out = threatboard(&["import", "threat-dragon", missing.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read"));
}

#[test]
fn control_characters_in_a_name_are_made_visible() {
    let evil = "Evil\u{1b}]0;pwned\u{7}\nService\u{202e}";
    let mut api = node("api", "process", evil, 0.0, 0.0, 100.0, 100.0);
    api["data"]["threats"] = json!([threat(
        "Clear\u{1b}[2J screen",
        "Tampering",
        "STRIDE",
        "Open",
        "High"
    )]);
    let cells = vec![
        api,
        node("db", "store", "DB", 300.0, 0.0, 100.0, 60.0),
        flow("f", "Query\u{1b}[31m", "api", "db", &[]),
    ];
    let imported = import_json(&model("Title\u{7}", cells));
    let s = &imported.session;
    assert_valid_and_round_trips(s, "control characters");
    let c = &s
        .components
        .iter()
        .find(|c| c.id.as_str() != "db")
        .expect("api");
    assert_eq!(c.id.as_str(), "evil-0-pwned-service");
    assert!(!c.name.chars().any(char::is_control), "{:?}", c.name);
    assert!(c.name.contains("\\e]0;pwned\\u{7} Service"), "{:?}", c.name);
    assert!(!c.name.contains('\u{202e}'));
    assert!(!s.flows[0].label.chars().any(char::is_control));
    assert!(!s.threats[0].title.chars().any(char::is_control));
    assert!(!s.title.chars().any(char::is_control));
    assert_warning(
        &imported,
        &["process", "its name contains control characters"],
    );
    assert_warning(&imported, &["TH-td-", "title contains control characters"]);
    for w in &imported.warnings {
        assert!(!w.chars().any(char::is_control), "{w:?}");
    }

    // Nothing raw reaches the terminal.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("evil.json");
    std::fs::write(
        &path,
        serde_json::to_vec(&model(
            "Evil",
            vec![node("x", "process", evil, 0.0, 0.0, 10.0, 10.0)],
        ))
        .expect("json"),
    )
    .expect("write");
    let out = threatboard(&["import", "threat-dragon", path.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for stream in [&out.stdout, &out.stderr] {
        assert!(!stream.contains(&0x1b) && !stream.contains(&0x07));
    }
}

#[test]
fn what_cannot_be_mapped_is_listed_as_warnings() {
    let mut api = node("api", "process", "API", 100.0, 100.0, 100.0, 100.0);
    api["data"]["threats"] = json!([
        threat("Data spread", "Distributed", "DIE", "Open", "Medium"),
        threat("Gamma burst", "Cosmic rays", "STRIDE", "Open", "Low"),
        threat("Tracking", "Linkability", "LINDDUN", "Open", "Low"),
        threat("Ignored", "Tampering", "STRIDE", "Accepted", "High"),
        threat("Worst case", "Spoofing", "STRIDE", "Open", "Critical"),
        threat("Not here", "Repudiation", "STRIDE", "N/A", "Low"),
    ]);
    let mut zone = node("zone", "trust-boundary-box", "Zone", 0.0, 0.0, 600.0, 400.0);
    zone["data"]["threats"] = json!([threat(
        "Boundary threat",
        "Spoofing",
        "STRIDE",
        "Open",
        "High"
    )]);
    let mut loose = flow("loose", "Loose", "api", "api", &[]);
    loose["source"] = json!({"x": 5000, "y": 5000});
    loose["data"]["threats"] = json!([threat("Lost threat", "Tampering", "STRIDE", "Open", "Low")]);
    let cells = vec![
        zone,
        api,
        node("db", "store", "DB", 300.0, 100.0, 100.0, 60.0),
        node(
            "note",
            "td-text-block",
            "Remember the backups",
            700.0,
            0.0,
            200.0,
            50.0,
        ),
        node("cloud", "cloud-shape", "Mystery", 700.0, 100.0, 50.0, 50.0),
        flow("ok", "Query", "api", "db", &[]),
        loose,
        flow("tozone", "To zone", "api", "zone", &[]),
    ];
    let imported = import_json(&model("Odd", cells));
    let s = &imported.session;
    assert_valid_and_round_trips(s, "odd model");
    assert_eq!(s.flows.len(), 1);
    assert_eq!(s.threats.len(), 6);

    assert_warning(
        &imported,
        &["text block \"Remember the backups\" is not imported"],
    );
    assert_warning(
        &imported,
        &[
            "cell of shape \"cloud-shape\"",
            "\"Mystery\"",
            "not imported",
        ],
    );
    assert_warning(
        &imported,
        &[
            "1 threat on trust boundary box \"Zone\" is not imported",
            "\"Boundary threat\"",
        ],
    );
    assert_warning(
        &imported,
        &[
            "\"Data spread\"",
            "\"Distributed\" (DIE) has no STRIDE category",
        ],
    );
    assert_warning(
        &imported,
        &["\"Gamma burst\"", "unknown threat type \"Cosmic rays\""],
    );
    assert_warning(
        &imported,
        &[
            "\"Ignored\"",
            "accepted in Threat Dragon",
            "open with response undecided",
        ],
    );
    assert_warning(
        &imported,
        &["\"Worst case\"", "\"Critical\" is imported as impact 3"],
    );
    assert_warning(
        &imported,
        &[
            "data flow \"Loose\" is not imported",
            "not attached",
            "\"Lost threat\"",
        ],
    );
    assert_warning(
        &imported,
        &[
            "data flow \"To zone\" is not imported",
            "trust boundary box",
        ],
    );
    assert!(
        !has_warning(&imported, &["\"Tracking\""]),
        "LINDDUN maps without a warning"
    );

    let by_title = |t: &str| s.threats.iter().find(|x| x.title == t).expect("threat");
    assert!(by_title("Data spread").stride.is_empty());
    assert!(by_title("Data spread").notes.contains("Distributed (DIE)"));
    let tracking = by_title("Tracking");
    assert_eq!(tracking.stride.to_string(), "I");
    assert_eq!(tracking.refs, vec![LibraryRef::new("linddun", "L")]);
    let ignored = by_title("Ignored");
    assert_eq!(
        (ignored.status, ignored.response),
        (ThreatStatus::Open, Response::Undecided)
    );
    assert!(
        ignored
            .notes
            .contains("Threat Dragon mitigation: Fix Ignored.")
    );
    assert_eq!(s.mitigations_for(ignored.id.as_str()).count(), 0);
    let na = by_title("Not here");
    assert_eq!(na.status, ThreatStatus::NotApplicable);
    assert_eq!(s.mitigations_for(na.id.as_str()).count(), 0);
    assert_eq!(by_title("Worst case").impact, Some(Rating::HIGH));
}

// ---- The command line ------------------------------------------------------------------------

#[test]
fn cli_writes_canonical_toml_to_stdout_or_a_new_file() {
    let model = fixture("v2-threat-model.json");
    let model = model.to_str().expect("path");
    let out = threatboard(&["import", "threat-dragon", model]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let (session, _) = store::parse(&stdout).expect("stdout is a session");
    assert!(validate(&session).is_empty());
    assert_eq!(
        store::to_toml(&session).expect("serializes"),
        stdout,
        "canonical TOML"
    );
    let stderr = text(&out.stderr);
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .collect();
    assert_eq!(
        warnings.len(),
        import_fixture("v2-threat-model.json").warnings.len()
    );
    for w in &warnings {
        assert!(w.starts_with(&format!("warning: {model}: ")), "{w}");
    }
    assert!(
        stderr.contains("7 components, 10 flows, 3 trust boundaries, 14 threats"),
        "{stderr}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("demo.toml");
    let target_str = target.to_str().expect("path");
    let out = threatboard(&["import", "threat-dragon", model, "-o", target_str]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&target).expect("written"), stdout);
    let loaded = store::load(&target).expect("loads");
    assert_eq!(loaded.session.title, "Demo Threat Model");

    // Never overwrites.
    let out = threatboard(&["import", "threat-dragon", model, "--output", target_str]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("already exists"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&target).expect("still there"),
        stdout
    );
}

#[test]
fn cli_imports_the_v1_demo() {
    let model = fixture("demo-threat-model.json");
    let out = threatboard(&["import", "threat-dragon", model.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (session, _) = store::parse(&text(&out.stdout)).expect("a session");
    assert_eq!(session.components.len(), 7);
    assert_eq!(session.threats.len(), 14);
}

// ---- Fidelity (issue 15) ---------------------------------------------------------------------

/// The first cell (of the first diagram, v2 `cells` or v1 `diagramJson.cells`) that has threats,
/// and its threat list.
fn first_threat_list(model: &mut Value) -> &mut Vec<Value> {
    let diagram = &mut model["detail"]["diagrams"][0];
    let cells = if diagram.get("cells").is_some() {
        &mut diagram["cells"]
    } else {
        &mut diagram["diagramJson"]["cells"]
    };
    let cell = cells
        .as_array_mut()
        .expect("cells")
        .iter_mut()
        .find(|c| !td_threats(c).is_empty())
        .expect("a cell with threats");
    let list = if cell["data"]["threats"].is_array() {
        &mut cell["data"]["threats"]
    } else {
        &mut cell["threats"]
    };
    list.as_array_mut().expect("threats")
}

#[test]
fn adding_one_threat_in_threat_dragon_and_re_importing_diffs_as_one_added_threat() {
    for name in ["v2-threat-model.json", "demo-threat-model.json"] {
        let mut model: Value = serde_json::from_slice(&read(&fixture(name))).expect("JSON");
        let before = import_json(&model).session;
        // Put first in its element's list, as a reordering would: ids must not follow the order.
        let mut added = threat("Replayed messages", "Tampering", "STRIDE", "Open", "Medium");
        added["id"] = json!("0b7c5f9e-1111-4a2b-9c3d-123456789abc");
        first_threat_list(&mut model).insert(0, added);
        let after = import_json(&model).session;
        assert_eq!(after.threats.len(), before.threats.len() + 1, "{name}");

        let d = threatboard::analysis::diff::diff(&before, &after);
        assert_eq!(d.other.threats_added.len(), 1, "{name}: {:#?}", d.other);
        assert_eq!(
            d.other.threats_added[0].as_str(),
            "TH-td-0b7c5f9e",
            "{name}"
        );
        assert!(d.other.threats_removed.is_empty(), "{name}: {:#?}", d.other);
        assert!(d.other.threats_changed.is_empty(), "{name}: {:#?}", d.other);
        assert!(
            d.target_changes.is_empty(),
            "{name}: {:?}",
            d.target_changes
        );
        assert_eq!(d.other.mitigations_added.len(), 1, "{name}");
        assert!(d.other.mitigations_removed.is_empty() && d.other.mitigations_changed.is_empty());
        assert!(d.affected.is_empty(), "{name}: {:?}", d.affected);
        // The same file imported twice gives the same ids.
        let again = import_json(&model).session;
        assert_eq!(again.threats, after.threats, "{name}");
    }
}

#[test]
fn threat_ids_come_from_threat_dragon_ids() {
    let imported = import_fixture("v2-threat-model.json");
    let s = &imported.session;
    let t = s
        .threats
        .iter()
        .find(|t| t.title == "Accessing DB credentials")
        .expect("threat");
    assert_eq!(t.id.as_str(), "TH-td-7df716cd");
    assert!(
        t.notes
            .contains("Threat Dragon threat id: 7df716cd-a982-48a5-b4ed-800ccb670734.")
    );
    let m: Vec<_> = s.mitigations_for(t.id.as_str()).collect();
    assert_eq!(m[0].id.as_str(), "MI-td-7df716cd");
    // Two threats with one id (a copied element) still get two ids.
    let mut api = node("api", "process", "API", 0.0, 0.0, 100.0, 100.0);
    let mut a = threat("A", "Spoofing", "STRIDE", "Open", "High");
    a["id"] = json!("11111111-2222-4333-8444-555555555555");
    let b = a.clone();
    api["data"]["threats"] = json!([a, b]);
    let twice = import_json(&model("Twice", vec![api])).session;
    let ids: Vec<&str> = twice.threats.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["TH-td-11111111", "TH-td-11111111-2"]);
    assert_valid_and_round_trips(&twice, "twice");
}

#[test]
fn localized_threat_types_map_to_stride() {
    // Threat Dragon's French, German and Japanese names for the six STRIDE categories.
    let names = [
        ("S", ["Usurpation d'identité", "Spoofing", "なりすまし"]),
        ("T", ["Falsification", "Manipulation", "改竄"]),
        ("R", ["Répudiation", "Nichtanerkennung", "否認"]),
        (
            "I",
            [
                "Divulgation d'information",
                "Veröffentlichung von Informationen",
                "情報漏洩",
            ],
        ),
        (
            "D",
            ["Déni de service", "Denial of service", "サービス拒否"],
        ),
        (
            "E",
            [
                "Élévation de privilège",
                "Erhöhung von Rechten",
                "特権の昇格",
            ],
        ),
    ];
    let mut threats = Vec::new();
    let mut expected = Vec::new();
    for (letter, localized) in names {
        for name in localized {
            threats.push(threat(name, name, "STRIDE", "Open", "High"));
            expected.push((name.to_string(), letter.to_string()));
        }
    }
    // Other locales and methodologies; and without a model type.
    for (name, model_type, letter) in [
        ("Falsificação", "STRIDE", "S"),
        ("拒绝服务", "STRIDE", "D"),
        ("Tampering / Manipulación", "STRIDE", "T"),
        ("Intégrité", "CIA", "T"),
        ("Verfügbarkeit", "CIADIE", "D"),
        ("Capacité de liaison", "LINDDUN", "I"),
        ("Divulgation d'information", "", "I"),
    ] {
        threats.push(threat(name, name, model_type, "Open", "High"));
        expected.push((name.to_string(), letter.to_string()));
    }
    let mut api = node("api", "process", "API", 0.0, 0.0, 100.0, 100.0);
    api["data"]["threats"] = Value::Array(threats);
    let imported = import_json(&model("Localized", vec![api]));
    let found: Vec<(String, String)> = imported
        .session
        .threats
        .iter()
        .map(|t| (t.title.clone(), t.stride.to_string()))
        .collect();
    assert_eq!(found, expected);
    assert!(
        !has_warning(&imported, &["unknown threat type"]),
        "{:#?}",
        imported.warnings
    );
}

#[test]
fn out_of_scope_becomes_a_reason_and_authentication_stays_unknown() {
    let mut api = node("api", "process", "API", 0.0, 0.0, 100.0, 100.0);
    api["data"]["outOfScope"] = json!(true);
    api["data"]["reasonOutOfScope"] = json!("Owned by the platform team");
    let mut db = node("db", "store", "DB", 300.0, 0.0, 100.0, 60.0);
    db["data"]["outOfScope"] = json!(true);
    db["data"]["reasonOutOfScope"] = json!("  ");
    let mut query = flow("f1", "Query", "api", "db", &[]);
    query["data"]["outOfScope"] = json!(true);
    query["data"]["reasonOutOfScope"] = json!("Legacy link\nto be removed");
    query["data"]["isEncrypted"] = json!(true);
    let mut reply = flow("f2", "Reply", "db", "api", &[]);
    reply["data"]
        .as_object_mut()
        .expect("data")
        .remove("isEncrypted");
    let plain = flow("f3", "Plain", "api", "db", &[]);
    let imported = import_json(&model("Scope", vec![api, db, query, reply, plain]));
    let s = &imported.session;
    assert_valid_and_round_trips(s, "scope");
    assert_eq!(
        component_by_name(s, "API").out_of_scope,
        "Owned by the platform team"
    );
    assert_eq!(
        component_by_name(s, "DB").out_of_scope,
        "out of scope in Threat Dragon"
    );
    let query = flow_by_label(s, "Query");
    assert_eq!(query.out_of_scope, "Legacy link\nto be removed");
    assert!(flow_by_label(s, "Reply").out_of_scope.is_empty());
    assert!(
        s.components
            .iter()
            .all(|c| !c.has_tag("out-of-scope") && !c.notes.contains("Out of scope"))
    );
    // No authentication property: unknown, not "no".
    assert!(s.flows.iter().all(|f| f.authenticated.is_none()));
    assert_eq!(query.encrypted, Some(true));
    assert_eq!(flow_by_label(s, "Reply").encrypted, None);
    assert_eq!(flow_by_label(s, "Plain").encrypted, Some(false));
    assert_warning(
        &imported,
        &["no authentication property", "3 flows", "unknown"],
    );
    // The file keeps unknown as unknown.
    let text = store::to_toml(s).expect("toml");
    assert!(!text.contains("authenticated"), "{text}");
}

#[test]
fn boxes_hold_what_is_entirely_inside_and_saved_containment_wins() {
    let mut embedded = node("emb", "process", "Embedded", 600.0, 50.0, 100.0, 100.0);
    embedded["parent"] = json!("dmz");
    let mut zoned = node("otm", "store", "Zoned", 650.0, 200.0, 100.0, 60.0);
    zoned["compatibility"] = json!({"parent": {"trustZone": "dmz"}});
    let cells = vec![
        node("dmz", "trust-boundary-box", "DMZ", 0.0, 0.0, 400.0, 300.0),
        node(
            "zb",
            "trust-boundary-box",
            "Zone B",
            500.0,
            0.0,
            400.0,
            300.0,
        ),
        node("in", "process", "Inside", 50.0, 50.0, 100.0, 100.0),
        // Its centre (370, 150) is in the box, its right edge (420) is not.
        node("half", "process", "Straddling", 320.0, 100.0, 100.0, 100.0),
        node("other", "process", "Other", 550.0, 180.0, 80.0, 80.0),
        embedded,
        zoned,
        flow("f1", "Call", "in", "half", &[]),
    ];
    let imported = import_json(&model("Containment", cells));
    let s = &imported.session;
    assert_valid_and_round_trips(s, "containment");
    assert_eq!(boundary_of(s, "Inside").as_deref(), Some("DMZ"));
    assert_eq!(boundary_of(s, "Straddling"), None);
    assert_eq!(boundary_of(s, "Other").as_deref(), Some("Zone B"));
    // Drawn inside Zone B, saved as inside the DMZ.
    assert_eq!(boundary_of(s, "Embedded").as_deref(), Some("DMZ"));
    assert_eq!(boundary_of(s, "Zoned").as_deref(), Some("DMZ"));
    assert!(
        !has_warning(&imported, &["overlap"]),
        "{:#?}",
        imported.warnings
    );
}

#[test]
fn bidirectional_flows_cards_loose_ends_and_multi_line_mitigations() {
    let mut api = node("api", "process", "API", 0.0, 0.0, 100.0, 100.0);
    let mut card = threat("Session fixation", "cornucopia", "EOP", "Open", "High");
    card["cardSuit"] = json!("Session Management");
    card["cardNumber"] = json!("SM5");
    let mut steps = threat("Injection", "Tampering", "STRIDE", "Open", "High");
    steps["mitigation"] = json!("1. Validate input.\n2. Use prepared statements.");
    api["data"]["threats"] = json!([card, steps]);
    let db = node("db", "store", "DB", 300.0, 0.0, 100.0, 60.0);
    let mut sync = flow("f1", "Sync", "api", "db", &[]);
    sync["data"]["isBidirectional"] = json!(true);
    sync["data"]["threats"] = json!([threat("Replay", "Spoofing", "STRIDE", "Open", "Low")]);
    // A loose end drawn inside the DB (more than the snapping distance from its edge).
    let mut into = flow("f2", "Into", "api", "db", &[]);
    into["target"] = json!({"x": 350.0, "y": 30.0});
    let mut nowhere = flow("f3", "Nowhere", "api", "db", &[]);
    nowhere["target"] = json!({"x": 2000.0, "y": 2000.0});
    let imported = import_json(&model("Details", vec![api, db, sync, into, nowhere]));
    let s = &imported.session;
    assert_valid_and_round_trips(s, "details");

    let forward = flow_by_label(s, "Sync");
    let back = flow_by_label(s, "Sync (reverse)");
    assert_eq!((forward.from.as_str(), forward.to.as_str()), ("api", "db"));
    assert_eq!((back.from.as_str(), back.to.as_str()), ("db", "api"));
    assert!(back.tags.iter().any(|t| t == "bidirectional"));
    let replay = s
        .threats
        .iter()
        .find(|t| t.title == "Replay")
        .expect("replay");
    assert_eq!(replay.target, forward.id);
    assert_warning(&imported, &["\"Sync\" is bidirectional", "two flows"]);

    let into = flow_by_label(s, "Into");
    assert_eq!(into.to.as_str(), "db");
    assert!(s.flows.iter().all(|f| f.label != "Nowhere"));
    assert_warning(&imported, &["\"Nowhere\"", "not imported"]);

    let card = s
        .threats
        .iter()
        .find(|t| t.title == "Session fixation")
        .expect("card");
    assert!(card.stride.is_empty());
    assert!(card.notes.contains("cornucopia"), "{}", card.notes);
    assert!(
        card.notes.contains("suit Session Management, card SM5"),
        "{}",
        card.notes
    );
    assert_warning(&imported, &["Session fixation", "card", "SM5"]);

    let injection = s
        .threats
        .iter()
        .find(|t| t.title == "Injection")
        .expect("injection");
    let action = &s
        .mitigations_for(injection.id.as_str())
        .next()
        .expect("mitigation")
        .action;
    assert_eq!(action, "1. Validate input.\n2. Use prepared statements.");
}

/// Every cell of `model`'s first diagram, copied `n` x `n` times side by side: ids suffixed,
/// positions, vertices and loose points moved by a whole drawing's width and height.
fn tiled(model: &Value, n: usize) -> Value {
    let cells = model["detail"]["diagrams"][0]["cells"]
        .as_array()
        .expect("cells")
        .clone();
    let mut extent: (f64, f64) = (0.0, 0.0);
    let mut grow = |p: &Value, w: f64, h: f64| {
        if let (Some(x), Some(y)) = (p["x"].as_f64(), p["y"].as_f64()) {
            extent = (extent.0.max(x + w), extent.1.max(y + h));
        }
    };
    for c in &cells {
        let size = |k: &str| c["size"][k].as_f64().unwrap_or(0.0);
        grow(&c["position"], size("width"), size("height"));
        for v in c["vertices"].as_array().into_iter().flatten() {
            grow(v, 0.0, 0.0);
        }
        grow(&c["source"], 0.0, 0.0);
        grow(&c["target"], 0.0, 0.0);
    }
    let (dx, dy) = (extent.0 + 300.0, extent.1 + 300.0);
    let shift = |p: &mut Value, ox: f64, oy: f64| {
        if let (Some(x), Some(y)) = (p["x"].as_f64(), p["y"].as_f64()) {
            p["x"] = json!(x + ox);
            p["y"] = json!(y + oy);
        }
    };
    let mut out = Vec::new();
    for i in 0..n {
        for j in 0..n {
            let (ox, oy) = (dx * i as f64, dy * j as f64);
            for c in &cells {
                let mut c = c.clone();
                let suffix = format!("-{i}-{j}");
                c["id"] = json!(format!("{}{suffix}", c["id"].as_str().expect("id")));
                shift(&mut c["position"], ox, oy);
                for v in c["vertices"].as_array_mut().into_iter().flatten() {
                    shift(v, ox, oy);
                }
                for end in ["source", "target"] {
                    if let Some(cell) = c[end]["cell"].as_str() {
                        c[end]["cell"] = json!(format!("{cell}{suffix}"));
                    } else {
                        shift(&mut c[end], ox, oy);
                    }
                }
                for t in c["data"]["threats"].as_array_mut().into_iter().flatten() {
                    if let Some(id) = t["id"].as_str() {
                        t["id"] = json!(format!("{id}{suffix}"));
                    }
                }
                out.push(c);
            }
        }
    }
    let mut tiled = model.clone();
    tiled["detail"]["diagrams"][0]["cells"] = Value::Array(out);
    tiled
}

/// How many boundaries the session's flows cross, in all.
fn crossings(s: &Session) -> usize {
    let graph = threatboard::analysis::graph::ModelGraph::new(s);
    (0..s.flows.len()).map(|f| graph.crossings(f).len()).sum()
}

#[test]
fn curves_separate_only_the_part_of_the_diagram_they_cross() {
    let model: Value =
        serde_json::from_slice(&read(&fixture("v2-threat-model.json"))).expect("JSON");
    let single = import_json(&model).session;
    let one = crossings(&single);
    // "Put Message", "Message", the four queries, "Web Request" and "Web Response".
    assert!(one >= 8, "{one}");
    let nine = import_json(&tiled(&model, 3));
    assert_valid_and_round_trips(&nine.session, "tiled");
    assert_eq!(nine.session.components.len(), 9 * single.components.len());
    assert_eq!(crossings(&nine.session), 9 * one, "{:#?}", nine.warnings);
    assert!(!has_warning(&nine, &["overlap"]), "{:#?}", nine.warnings);
}

#[test]
fn a_curve_named_for_the_outside_holds_the_outside() {
    let cells = vec![
        node("user", "actor", "User", 0.0, 100.0, 100.0, 60.0),
        node(
            "wallet",
            "process",
            "Local wallet",
            400.0,
            100.0,
            100.0,
            100.0,
        ),
        flow("f1", "Request", "user", "wallet", &[]),
        curve(
            "net",
            "Internet",
            &[(250.0, 0.0), (260.0, 250.0), (250.0, 500.0)],
        ),
        // Far below the curve's end and joined to nothing: which side is not said.
        node("lone", "store", "Lone store", 600.0, 2000.0, 100.0, 60.0),
    ];
    let imported = import_json(&model("Outside", cells));
    let s = &imported.session;
    assert_eq!(boundary_of(s, "User").as_deref(), Some("Internet"));
    assert_eq!(boundary_of(s, "Local wallet"), None);
    assert_eq!(boundary_of(s, "Lone store"), None);
    assert_warning(
        &imported,
        &["curve \"Internet\"", "ambiguous", "\"Lone store\""],
    );
}
