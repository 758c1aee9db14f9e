//! The STIX importer on the fixtures in tests/fixtures (cuts of MITRE's bundles, so the tests
//! need nothing outside the repository), through the library API and through the binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use threatboard::library::stix::{self, ImportOptions, SourceKind};
use threatboard::library::{LibrarySet, Origin, parse_library};

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
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

const ATTACK_SAMPLE: &str = "attack/enterprise-attack-18.1.sample.json";
const CAPEC_SAMPLE: &str = "capec/capec-3.9.sample.json";

#[test]
fn attack_sample_counts_parents_and_mitigations() {
    let bytes = read(&fixture(ATTACK_SAMPLE));
    let imported =
        stix::import(&bytes, &ImportOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let data = &imported.data;
    assert_eq!(imported.kind, SourceKind::Attack);
    assert_eq!(data.library.id, "attack");
    assert_eq!(data.library.version, "18.1");
    assert!(data.library.attribution.contains("The MITRE Corporation"));
    assert!(data.library.attribution.contains("LICENSE-MITRE.txt"));

    // Expected values computed independently with Python from the sample (see
    // tests/fixtures/attack/README.md): 37 attack-patterns, of which T1066 is revoked and T1153
    // deprecated; 6 techniques and 29 sub-techniques remain; T1027.005's parent T1027 is not in
    // the cut; 28 active mitigations with 130 links to active techniques.
    assert_eq!(data.entries.len(), 35);
    assert_eq!(
        data.entries.iter().filter(|e| !e.id.contains('.')).count(),
        6
    );
    assert_eq!(
        data.entries.iter().filter(|e| e.id.contains('.')).count(),
        29
    );
    assert_eq!(imported.stats.top_level, 6);
    assert_eq!(imported.stats.children, 29);
    assert_eq!(imported.stats.skipped, 2);
    assert_eq!(
        data.entries.iter().filter(|e| e.parent.is_some()).count(),
        28
    );
    assert_eq!(data.mitigations.len(), 28);
    assert_eq!(imported.stats.mitigation_links, 130);
    assert!(
        !data
            .entries
            .iter()
            .any(|e| e.id == "T1066" || e.id == "T1153")
    );
    assert!(
        imported
            .warnings
            .iter()
            .any(|w| w.contains("T1027.005") && w.contains("no active parent")),
        "{:?}",
        imported.warnings
    );

    // Sorted naturally, sub-techniques right after their technique.
    let ids: Vec<&str> = data.entries.iter().map(|e| e.id.as_str()).collect();
    let at = |id: &str| ids.iter().position(|x| *x == id).unwrap_or(usize::MAX);
    assert!(
        at("T1078") < at("T1078.001")
            && at("T1078.001") < at("T1078.004")
            && at("T1078.004") < at("T1098")
    );
    assert!(at("T1059.009") < at("T1059.010"));

    let cloud = data
        .entries
        .iter()
        .find(|e| e.id == "T1078.004")
        .unwrap_or_else(|| panic!("T1078.004"));
    assert_eq!(cloud.parent.as_deref(), Some("T1078"));
    assert_eq!(
        cloud.mitigations,
        [
            "M1015", "M1017", "M1018", "M1026", "M1027", "M1032", "M1036"
        ]
    );
    assert_eq!(
        cloud.tactics,
        [
            "initial-access",
            "persistence",
            "privilege-escalation",
            "defense-evasion"
        ]
    );
    assert_eq!(cloud.url, "https://attack.mitre.org/techniques/T1078/004");
    assert!(
        cloud
            .summary
            .starts_with("ATT&CK sub-technique of T1078 (Valid Accounts) under Initial Access"),
        "{}",
        cloud.summary
    );
    assert!(cloud.tags.contains(&"valid accounts".to_string()));
    // Our summary, not MITRE's description.
    assert!(!cloud.summary.to_lowercase().contains("adversaries may"));

    // The written file loads, gives the same data, and is byte-for-byte reproducible.
    let toml = imported.to_toml().unwrap_or_default();
    let lib = parse_library(&toml, Origin::Text("attack.toml".into()))
        .unwrap_or_else(|p| panic!("{p:?}"));
    assert_eq!(lib.data(), imported.data);
    let again = stix::import(&bytes, &ImportOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.to_toml().unwrap_or_default(), toml);
    assert_eq!(
        lib.mitigation("M1032").map(|m| m.name.as_str()),
        Some("Multi-factor Authentication")
    );
}

#[test]
fn capec_sample_skips_deprecated_and_links_attack() {
    let bytes = read(&fixture(CAPEC_SAMPLE));
    let shipped = LibrarySet::shipped().unwrap_or_else(|e| panic!("{e}"));
    let options = ImportOptions {
        library_id: None,
        attack: shipped.library("attack"),
    };
    let imported = stix::import(&bytes, &options).unwrap_or_else(|e| panic!("{e}"));
    let data = &imported.data;
    assert_eq!(imported.kind, SourceKind::Capec);
    assert_eq!(data.library.id, "capec");
    assert_eq!(data.library.version, "3.9");
    // 10 patterns in the cut: CAPEC-411 is Deprecated and CAPEC-5 Obsolete.
    let ids: Vec<&str> = data.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "CAPEC-1",
            "CAPEC-7",
            "CAPEC-63",
            "CAPEC-66",
            "CAPEC-122",
            "CAPEC-209",
            "CAPEC-248",
            "CAPEC-592"
        ]
    );
    assert_eq!(imported.stats.skipped, 2);
    // CAPEC's course-of-action objects have no ids worth shipping: not imported.
    assert!(data.mitigations.is_empty());

    let get = |id: &str| {
        data.entries
            .iter()
            .find(|e| e.id == id)
            .unwrap_or_else(|| panic!("{id}"))
    };
    let sqli = get("CAPEC-66");
    assert_eq!(sqli.parent.as_deref(), Some("CAPEC-248"));
    assert!(sqli.stride.to_string().contains('T') && sqli.stride.to_string().contains('I'));
    assert!(
        sqli.applies_to
            .contains(&threatboard::model::ElementKind::DataStore)
    );
    assert!(sqli.cwes.contains(&"CWE-89".to_string()));
    for tag in ["standard", "sqli", "CWE-89"] {
        assert!(
            sqli.tags.contains(&tag.to_string()),
            "{tag} in {:?}",
            sqli.tags
        );
    }
    assert_eq!(get("CAPEC-63").parent, None, "CAPEC-242 is not in the cut");
    assert_eq!(get("CAPEC-209").parent.as_deref(), Some("CAPEC-592"));
    let acl = get("CAPEC-1");
    assert_eq!(acl.related, ["attack:T1574.010"]);
    assert!(acl.tags.contains(&"T1574.010".to_string()));
    assert!(
        acl.summary
            .starts_with("CAPEC standard attack pattern under CAPEC-122 (Privilege Abuse)"),
        "{}",
        acl.summary
    );

    let toml = imported.to_toml().unwrap_or_default();
    let lib =
        parse_library(&toml, Origin::Text("capec.toml".into())).unwrap_or_else(|p| panic!("{p:?}"));
    assert_eq!(lib.entries.len(), 8);
}

#[test]
fn cli_import_writes_the_same_file_atomically() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out_path = dir.path().join("attack.toml");
    let bundle = fixture(ATTACK_SAMPLE);
    let out = threatboard(&[
        "library",
        "import-stix",
        bundle.to_str().unwrap_or_default(),
        "-o",
        out_path.to_str().unwrap_or_default(),
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("35 entries (6 techniques, 29 sub-techniques), 28 mitigations"),
        "{err}"
    );
    let written = std::fs::read_to_string(&out_path).unwrap_or_default();
    let bytes = read(&bundle);
    let expected = stix::import(&bytes, &ImportOptions::default())
        .map(|i| i.to_toml().unwrap_or_default())
        .unwrap_or_default();
    assert_eq!(written, expected);
    // Nothing but the output is left in the directory.
    assert_eq!(
        std::fs::read_dir(dir.path())
            .map(|d| d.count())
            .unwrap_or(0),
        1
    );

    // Without -o: the library on standard output.
    let out = threatboard(&[
        "library",
        "import-stix",
        bundle.to_str().unwrap_or_default(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), expected);
}

/// An ICS-like bundle in the style of STIX 2.0: no `spec_version` on the objects, ICS's kill
/// chain, a tactic that is in no table, no collection object.
#[test]
fn ics_stix20_bundle_imports_and_reports_the_unknown_tactic() {
    let bundle = r#"{
  "type": "bundle",
  "id": "bundle--6b1f8fd4-0000-4000-8000-000000000001",
  "spec_version": "2.0",
  "objects": [
    {"type": "x-mitre-tactic", "id": "x-mitre-tactic--1", "name": "Inhibit Response Function",
     "x_mitre_shortname": "inhibit-response-function",
     "external_references": [{"source_name": "mitre-attack", "external_id": "TA0107"}]},
    {"type": "attack-pattern", "id": "attack-pattern--1", "name": "Block Reporting Message",
     "modified": "2022-05-06T17:47:24.000Z",
     "kill_chain_phases": [
       {"kill_chain_name": "mitre-ics-attack", "phase_name": "inhibit-response-function"},
       {"kill_chain_name": "mitre-ics-attack", "phase_name": "tamper-with-physics"}],
     "x_mitre_platforms": ["Field Controller/RTU/PLC/IED"],
     "external_references": [{"source_name": "mitre-attack", "external_id": "T0804",
                              "url": "https://attack.mitre.org/techniques/T0804"}]},
    {"type": "attack-pattern", "id": "attack-pattern--2", "name": "Gone", "revoked": true,
     "external_references": [{"source_name": "mitre-attack", "external_id": "T0999"}]},
    {"type": "course-of-action", "id": "course-of-action--1", "name": "Network Allowlists",
     "external_references": [{"source_name": "mitre-attack", "external_id": "M0807"}]},
    {"type": "relationship", "id": "relationship--1", "relationship_type": "mitigates",
     "source_ref": "course-of-action--1", "target_ref": "attack-pattern--1"}
  ]
}"#;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("ics-attack.json");
    std::fs::write(&path, bundle).unwrap_or_else(|e| panic!("{e}"));
    let out = threatboard(&["library", "import-stix", path.to_str().unwrap_or_default()]);
    let err = text(&out.stderr);
    let toml = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("warning: ")
            && err.contains(
                "tactic \"tamper-with-physics\" (1 technique) is not in the tactic table"
            ),
        "{err}"
    );
    let lib =
        parse_library(&toml, Origin::Text("ics.toml".into())).unwrap_or_else(|p| panic!("{p:?}"));
    assert_eq!(lib.info.id, "attack-ics");
    assert_eq!(lib.info.version, "2022-05-06");
    let e = lib.entry("T0804").unwrap_or_else(|| panic!("T0804"));
    assert_eq!(
        e.tactics,
        ["inhibit-response-function", "tamper-with-physics"]
    );
    assert_eq!(
        e.stride.to_string(),
        "TD",
        "only the known tactic maps to letters"
    );
    assert_eq!(e.mitigations, ["M0807"]);
    assert!(
        e.summary.starts_with(
            "ATT&CK for ICS technique under Inhibit Response Function and Tamper With Physics"
        ),
        "{}",
        e.summary
    );
    assert!(lib.entry("T0999").is_none());
}

#[test]
fn malformed_bundles_exit_2_with_a_position() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let cases: &[(&str, &str, &str)] = &[
        (
            "broken.json",
            "{\"type\": \"bundle\",\n  \"objects\": [\n    {\"type\": }\n]}",
            ":3:14: invalid JSON",
        ),
        ("array.json", "[]", ":1:1: not a STIX bundle"),
        (
            "report.json",
            "{\"type\": \"report\"}",
            ":1:1: not a STIX bundle: the top-level type is \"report\"",
        ),
        (
            "empty.json",
            "{\"type\": \"bundle\", \"objects\": [{\"type\": \"identity\", \"id\": \"identity--1\"}]}",
            ":1:1: the bundle has no attack-pattern objects",
        ),
    ];
    for (name, content, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap_or_else(|e| panic!("{e}"));
        let out_path = dir.path().join(format!("{name}.toml"));
        let out = threatboard(&[
            "library",
            "import-stix",
            path.to_str().unwrap_or_default(),
            "-o",
            out_path.to_str().unwrap_or_default(),
        ]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        let wanted = format!("{}{expected}", path.display());
        assert!(
            err.starts_with(&wanted),
            "{name}: expected {wanted:?} in {err:?}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!out_path.exists(), "nothing is written on error");
    }
    let out = threatboard(&["library", "import-stix", "/nonexistent/bundle.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("/nonexistent/bundle.json: cannot read"));
}
