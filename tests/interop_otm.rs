//! `threatboard import otm` and `export otm` through the binary: the fixtures in
//! tests/fixtures/otm (see its README) import into sessions that validate, malformed input is
//! exit 2 with a position, and the export of every example session validates against the OTM
//! schema and imports again.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/otm").join(name)
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

fn arg(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn both_fixtures_import_to_sessions_that_validate() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, components, flows) in [
        ("iriusrisk-example.otm.json", 4, 4),
        ("threat-dragon-mobile-cloud.otm.json", 4, 6),
    ] {
        let out = dir.path().join(format!("{name}.toml"));
        let run = threatboard(&["import", "otm", arg(&fixture(name)), "-o", arg(&out)]);
        let stderr = text(&run.stderr);
        assert!(run.status.success(), "{name}: {stderr}");
        assert!(
            stderr.contains(&format!("{components} components, {flows} flows")),
            "{name}: {stderr}"
        );
        let check = threatboard(&["validate", arg(&out)]);
        assert!(check.status.success(), "{name}: {}", text(&check.stderr));
        // Refuses to overwrite what it wrote.
        let again = threatboard(&["import", "otm", arg(&fixture(name)), "-o", arg(&out)]);
        assert_eq!(again.status.code(), Some(2), "{name}");
    }
}

#[test]
fn malformed_json_is_exit_2_with_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.otm.json");
    std::fs::write(&bad, "{\n  \"otmVersion\": \"0.2.0\",\n  \"project\": }\n").expect("write");
    let run = threatboard(&["import", "otm", arg(&bad)]);
    assert_eq!(run.status.code(), Some(2));
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains("bad.otm.json:3:14: invalid JSON"),
        "{stderr}"
    );
    assert!(run.stdout.is_empty());
    // Not an object, and not a regular file: also exit 2.
    std::fs::write(&bad, "[]").expect("write");
    assert_eq!(
        threatboard(&["import", "otm", arg(&bad)]).status.code(),
        Some(2)
    );
    let run = threatboard(&["import", "otm", arg(dir.path())]);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        text(&run.stderr).contains("OTM models only"),
        "{}",
        text(&run.stderr)
    );
}

#[test]
fn every_example_session_exports_schema_valid_otm_that_imports_again() {
    let schema: Value =
        serde_json::from_slice(&std::fs::read(fixture("otm_schema.json")).expect("schema reads"))
            .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut seen = 0;
    for entry in std::fs::read_dir(root().join("sessions")).expect("sessions/") {
        let session = entry.expect("entry").path();
        if session.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        seen += 1;
        let name = session.file_stem().and_then(|s| s.to_str()).unwrap_or("x");
        let out = dir.path().join(format!("{name}.otm.json"));
        let run = threatboard(&["export", "otm", arg(&session), "-o", arg(&out)]);
        assert!(run.status.success(), "{name}: {}", text(&run.stderr));
        let doc: Value =
            serde_json::from_slice(&std::fs::read(&out).expect("written")).expect("JSON");
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        let back = dir.path().join(format!("{name}.toml"));
        let run = threatboard(&["import", "otm", arg(&out), "-o", arg(&back)]);
        assert!(run.status.success(), "{name}: {}", text(&run.stderr));
        assert!(
            text(&run.stderr).contains("; 0 warnings"),
            "{name}: {}",
            text(&run.stderr)
        );
        let original = threatboard::store::load(&session).expect("loads").session;
        let again = threatboard::store::load(&back).expect("loads").session;
        assert_eq!(again.threats, original.threats, "{name}");
        assert_eq!(again.boundaries, original.boundaries, "{name}");
        assert_eq!(again.acceptances, original.acceptances, "{name}");
    }
    assert!(seen >= 3);
}

#[test]
fn export_to_standard_output_and_refuses_the_session_file() {
    let session = root().join("sessions/three-tier-cloud-web-app.toml");
    let run = threatboard(&["export", "otm", arg(&session)]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let doc: Value = serde_json::from_slice(&run.stdout).expect("JSON on stdout");
    assert_eq!(doc["otmVersion"], "0.2.0");
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("s.toml");
    std::fs::copy(&session, &copy).expect("copy");
    let run = threatboard(&["export", "otm", arg(&copy), "-o", arg(&copy)]);
    assert_eq!(run.status.code(), Some(2));
    let missing = threatboard(&["export", "otm", arg(&dir.path().join("none.toml"))]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn a_model_over_the_size_cap_is_refused_unread() {
    let dir = tempfile::tempdir().expect("tempdir");
    let big = dir.path().join("big.otm.json");
    // Sparse: one byte past the 64 MB cap without writing 64 MB.
    let file = std::fs::File::create(&big).expect("create");
    file.set_len(64 * 1024 * 1024 + 1).expect("size");
    let run = threatboard(&["import", "otm", arg(&big)]);
    assert_eq!(run.status.code(), Some(2));
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains("larger than 64 MB; OTM models are limited to 64 MB"),
        "{stderr}"
    );
}
