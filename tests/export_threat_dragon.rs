//! `threatboard export threat-dragon`: every example session in `sessions/` exports to a model
//! that validates against Threat Dragon's v2 schema (tests/fixtures/threat-dragon, see its
//! README), is laid out (each component inside its boundary's box), and imports back with its
//! components, flows, boundaries, threats and mitigation text.

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use threatboard::interop::threat_dragon;
use threatboard::model::{Session, validate};
use threatboard::store;

fn sessions() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sessions");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("sessions/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "the example sessions: {files:?}");
    files
}

fn load(path: &Path) -> Session {
    let session = store::load(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .session;
    assert!(validate(&session).is_empty(), "{}", path.display());
    session
}

fn validator() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/threat-dragon/threat-dragon-v2.schema.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("schema")).expect("JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

fn cells(model: &Value) -> &Vec<Value> {
    model["detail"]["diagrams"][0]["cells"]
        .as_array()
        .expect("cells")
}

struct Rect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

fn rect(cell: &Value) -> Rect {
    let n = |v: &Value| v.as_f64().expect("number");
    Rect {
        x: n(&cell["position"]["x"]),
        y: n(&cell["position"]["y"]),
        w: n(&cell["size"]["width"]),
        h: n(&cell["size"]["height"]),
    }
}

fn inside(inner: &Rect, outer: &Rect) -> bool {
    inner.x >= outer.x
        && inner.y >= outer.y
        && inner.x + inner.w <= outer.x + outer.w
        && inner.y + inner.h <= outer.y + outer.h
}

#[test]
fn every_example_session_exports_a_valid_laid_out_model() {
    let validator = validator();
    for path in sessions() {
        let session = load(&path);
        let model = threat_dragon::export(&session).model;
        let errors: Vec<String> = validator
            .iter_errors(&model)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());

        let cells = cells(&model);
        let by_name = |shape: &str, name: &str| {
            cells
                .iter()
                .find(|c| c["shape"] == shape && c["data"]["name"] == name)
                .unwrap_or_else(|| panic!("{}: no {shape} {name}", path.display()))
        };
        let ids: BTreeSet<&str> = cells
            .iter()
            .map(|c| c["id"].as_str().expect("id"))
            .collect();
        assert_eq!(ids.len(), cells.len(), "ids are unique");
        // Every component is drawn inside its boundary's box, and no two overlap.
        let mut drawn: Vec<Rect> = Vec::new();
        for c in &session.components {
            let shape = match c.kind {
                threatboard::model::ComponentKind::Process => "process",
                threatboard::model::ComponentKind::DataStore => "store",
                threatboard::model::ComponentKind::ExternalEntity => "actor",
            };
            let r = rect(by_name(shape, &c.name));
            for b in &session.boundaries {
                let holds = inside(&r, &rect(by_name("trust-boundary-box", &b.name)));
                let should = {
                    // Its boundary or any boundary around it.
                    let mut at = c.boundary.clone();
                    let mut found = false;
                    while let Some(id) = at {
                        if id == b.id {
                            found = true;
                            break;
                        }
                        at = session.boundary(id.as_str()).and_then(|x| x.parent.clone());
                    }
                    found
                };
                assert_eq!(
                    holds,
                    should,
                    "{}: {} in {}",
                    path.display(),
                    c.name,
                    b.name
                );
            }
            for other in &drawn {
                let apart = r.x + r.w <= other.x
                    || other.x + other.w <= r.x
                    || r.y + r.h <= other.y
                    || other.y + other.h <= r.y;
                assert!(
                    apart,
                    "{}: {} overlaps another component",
                    path.display(),
                    c.name
                );
            }
            drawn.push(r);
        }
        // Flows join cells of the model.
        for f in cells.iter().filter(|c| c["shape"] == "flow") {
            for end in ["source", "target"] {
                let id = f[end]["cell"].as_str().expect("attached");
                assert!(ids.contains(id), "{}: {end} {id}", path.display());
            }
        }
        // Exporting twice gives the same file.
        assert_eq!(threat_dragon::export(&session).model, model);
    }
}

/// A threat as the round trip keeps it: element name, title, STRIDE letters, mitigation text.
fn threats(s: &Session) -> BTreeSet<(String, String, String, String)> {
    s.threats
        .iter()
        .map(|t| {
            let element = s
                .element(t.target.as_str())
                .expect("target")
                .name()
                .to_string();
            let actions: Vec<&str> = s
                .mitigations_for(t.id.as_str())
                .map(|m| m.action.trim())
                .collect();
            (
                element,
                t.title.clone(),
                t.stride.to_string(),
                actions.join("\n\n"),
            )
        })
        .collect()
}

/// A flow as the round trip keeps it: from and to (names), label, authenticated, encrypted,
/// protocol.
type FlowKept = (String, String, String, Option<bool>, Option<bool>, String);

fn boundary_name(s: &Session, id: Option<&threatboard::model::BoundaryId>) -> Option<String> {
    id.and_then(|id| s.boundary(id.as_str()))
        .map(|b| b.name.clone())
}

#[test]
fn session_to_threat_dragon_and_back_keeps_the_model() {
    for path in sessions() {
        let before = load(&path);
        let json = serde_json::to_vec(&threat_dragon::export(&before).model).expect("JSON");
        let imported = threat_dragon::import(&json).expect("imports");
        let after = &imported.session;
        let what = path.display();
        assert!(validate(after).is_empty(), "{what}: {:#?}", validate(after));

        let components = |s: &Session| -> BTreeSet<(String, String, Option<String>, String)> {
            s.components
                .iter()
                .map(|c| {
                    (
                        c.name.clone(),
                        c.kind.as_str().to_string(),
                        boundary_name(s, c.boundary.as_ref()),
                        c.out_of_scope.to_string(),
                    )
                })
                .collect()
        };
        assert_eq!(components(after), components(&before), "{what}: components");
        let flows = |s: &Session| -> BTreeSet<FlowKept> {
            let name = |id: &threatboard::model::ElementId| {
                s.component(id.as_str()).expect("end").name.clone()
            };
            s.flows
                .iter()
                .map(|f| {
                    (
                        name(&f.from),
                        name(&f.to),
                        f.label.to_string(),
                        f.authenticated,
                        f.encrypted,
                        f.protocol.to_string(),
                    )
                })
                .collect()
        };
        assert_eq!(flows(after), flows(&before), "{what}: flows");
        let boundaries = |s: &Session| -> BTreeSet<(String, Option<String>)> {
            s.boundaries
                .iter()
                .map(|b| (b.name.clone(), boundary_name(s, b.parent.as_ref())))
                .collect()
        };
        assert_eq!(boundaries(after), boundaries(&before), "{what}: boundaries");
        assert_eq!(threats(after), threats(&before), "{what}: threats");
    }
}

#[test]
fn re_exporting_an_imported_model_keeps_threat_dragon_ids() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/threat-dragon/v2-threat-model.json");
    let original: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("fixture")).expect("JSON");
    let session = threat_dragon::import(&std::fs::read(&path).expect("fixture"))
        .expect("imports")
        .session;
    let exported = threat_dragon::export(&session).model;
    let ids = |model: &Value| -> BTreeSet<String> {
        model["detail"]["diagrams"]
            .as_array()
            .expect("diagrams")
            .iter()
            .flat_map(|d| d["cells"].as_array().expect("cells").iter())
            .flat_map(|c| c["data"]["threats"].as_array().cloned().unwrap_or_default())
            .map(|t| t["id"].as_str().expect("threat id").to_string())
            .collect()
    };
    assert_eq!(ids(&exported), ids(&original));
    // And the ids in the session do not move on a second import.
    let again = threat_dragon::import(&serde_json::to_vec(&exported).expect("JSON"))
        .expect("imports")
        .session;
    let threat_ids =
        |s: &Session| -> BTreeSet<String> { s.threats.iter().map(|t| t.id.to_string()).collect() };
    assert_eq!(threat_ids(&again), threat_ids(&session));
}

#[test]
fn cli_writes_the_model_and_refuses_bad_input() {
    let session = sessions().remove(0);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("model.json");
    let run = |args: &[&std::ffi::OsStr]| {
        Command::new(env!("CARGO_BIN_EXE_threatboard"))
            .args(args)
            .output()
            .expect("runs")
    };
    let written = run(&[
        "export".as_ref(),
        "threat-dragon".as_ref(),
        session.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert!(written.status.success(), "{written:?}");
    let model: Value =
        serde_json::from_slice(&std::fs::read(&out).expect("written")).expect("JSON");
    assert!(validator().is_valid(&model));
    let stderr = String::from_utf8_lossy(&written.stderr);
    assert!(stderr.contains("exported"), "{stderr}");

    let stdout = run(&[
        "export".as_ref(),
        "threat-dragon".as_ref(),
        session.as_os_str(),
    ]);
    assert!(stdout.status.success());
    let printed: Value = serde_json::from_slice(&stdout.stdout).expect("JSON on stdout");
    assert_eq!(printed, model);

    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "title = [").expect("write");
    let refused = run(&[
        "export".as_ref(),
        "threat-dragon".as_ref(),
        broken.as_os_str(),
    ]);
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    assert!(refused.stdout.is_empty());
    let missing = run(&[
        "export".as_ref(),
        "threat-dragon".as_ref(),
        dir.path().join("nope.toml").as_os_str(),
    ]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn imported_threat_dragon_models_export_valid_models_again() {
    let validator = validator();
    for name in [
        "v2-threat-model.json",
        "three-tier-web-app.json",
        "generic-cms.json",
        "demo-threat-model.json",
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/threat-dragon")
            .join(name);
        let first = threat_dragon::import(&std::fs::read(&path).expect("fixture"))
            .expect("imports")
            .session;
        let model = threat_dragon::export(&first).model;
        let errors: Vec<String> = validator
            .iter_errors(&model)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        // Through Threat Dragon's format twice, the session stays the same model.
        let second = threat_dragon::import(&serde_json::to_vec(&model).expect("JSON"))
            .expect("imports")
            .session;
        assert_eq!(second.components.len(), first.components.len(), "{name}");
        assert_eq!(second.flows.len(), first.flows.len(), "{name}");
        assert_eq!(second.boundaries.len(), first.boundaries.len(), "{name}");
        assert_eq!(threats(&second), threats(&first), "{name}");
        let placed = |s: &Session| -> BTreeSet<(String, Option<String>)> {
            s.components
                .iter()
                .map(|c| (c.name.clone(), boundary_name(s, c.boundary.as_ref())))
                .collect()
        };
        assert_eq!(placed(&second), placed(&first), "{name}");
    }
}
