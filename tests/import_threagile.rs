//! `threatboard import threagile`: Threagile's example model imports with everything counted, the
//! result validates, and hostile YAML is an error, never a panic or a memory blow-up.

use std::path::PathBuf;
use std::process::Command;
use threatboard::interop::threagile;
use threatboard::model::{Classification, Response, ThreatStatus};

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/threagile/example-threagile.yaml")
}

#[test]
fn the_example_imports_with_counts_and_validates() {
    let bytes = std::fs::read(fixture()).expect("fixture");
    let imported = threagile::import(&bytes).expect("imports");
    let s = &imported.session;
    assert_eq!(s.title, "Some Example Application");
    assert_eq!(s.components.len(), 14);
    assert_eq!(s.flows.len(), 20);
    assert_eq!(s.boundaries.len(), 5);
    assert_eq!(s.assets.len(), 12);
    assert!(threatboard::model::validate(s).is_empty());
    // Nesting and containment.
    let web_dmz = s.boundary("web-dmz").expect("web-dmz");
    assert_eq!(
        web_dmz.parent.as_ref().map(|p| p.as_str()),
        Some("application-network")
    );
    let db = s.component("sql-database").expect("sql-database");
    assert_eq!(db.boundary.as_ref().map(|b| b.as_str()), Some("erp-dmz"));
    // Out of scope with its justification.
    let client = s.component("customer-client").expect("customer-client");
    assert_eq!(
        client.out_of_scope,
        "Owned and managed by end-user customer"
    );
    assert!(client.has_tag("internet-facing"));
    // Classification by rank: strictly-confidential is the highest.
    let accounts = s.asset("customer-accounts").expect("customer-accounts");
    assert_eq!(accounts.classification, Classification::Restricted);
    // A link: https with a session id.
    let traffic = s
        .flows
        .iter()
        .find(|f| f.from.as_str() == "customer-client" && f.to.as_str() == "load-balancer")
        .expect("customer traffic");
    assert_eq!(
        (traffic.authenticated, traffic.encrypted),
        (Some(true), Some(true))
    );
    assert_eq!(traffic.assets.len(), 5);
    // Two individual risks and two tracked built-in risks that name an element.
    assert_eq!(s.threats.len(), 4);
    let accepted = s
        .threats
        .iter()
        .find(|t| {
            t.notes
                .contains("Threagile risk: untrusted-deserialization@erp-system")
        })
        .expect("accepted risk");
    assert_eq!(accepted.response, Response::Accept);
    let acceptance = s.acceptance(accepted.id.as_str()).expect("acceptance");
    assert_eq!(acceptance.accepted_by, "John Doe");
    assert_eq!(acceptance.justification, "Risk accepted as tolerable");
    let ldap = s
        .threats
        .iter()
        .find(|t| t.target.as_str() == "ldap-auth-server")
        .expect("ldap risk");
    assert_eq!(ldap.status, ThreatStatus::Resolved);
    // A tracked built-in rule gets its STRIDE category.
    assert_eq!(ldap.stride.to_string(), "T");
    assert_eq!(s.mitigations.len(), 1);
    assert_eq!(s.mitigations[0].ticket, "XYZ-5678");
    // The four wildcard-only tracking entries are reported, as are the fields not kept.
    let wildcard = imported
        .warnings
        .iter()
        .filter(|w| w.contains("wildcards only"))
        .count();
    assert_eq!(wildcard, 4);
    assert!(
        imported
            .warnings
            .iter()
            .any(|w| w.contains("shared_runtimes"))
    );
}

#[test]
fn a_reimport_gives_the_same_session() {
    let bytes = std::fs::read(fixture()).expect("fixture");
    let a = threagile::import(&bytes).expect("imports").session;
    let b = threagile::import(&bytes).expect("imports").session;
    assert_eq!(a, b);
}

#[test]
fn the_command_writes_a_session_that_validates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("imported.toml");
    let run = Command::new(env!("CARGO_BIN_EXE_threatboard"))
        .args(["import", "threagile"])
        .arg(fixture())
        .arg("-o")
        .arg(&out)
        .output()
        .expect("runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("14 components, 20 flows, 5 trust boundaries"),
        "{stderr}"
    );
    let validate = Command::new(env!("CARGO_BIN_EXE_threatboard"))
        .arg("validate")
        .arg(&out)
        .output()
        .expect("runs");
    assert!(
        validate.status.success(),
        "{}",
        String::from_utf8_lossy(&validate.stderr)
    );
}

fn exit_code_for(content: &[u8]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("model.yaml");
    std::fs::write(&model, content).expect("write");
    let run = Command::new(env!("CARGO_BIN_EXE_threatboard"))
        .args(["import", "threagile"])
        .arg(&model)
        .output()
        .expect("runs");
    (
        run.status.code(),
        String::from_utf8_lossy(&run.stderr).into_owned(),
    )
}

#[test]
fn bad_yaml_exits_2_with_a_position() {
    let (code, stderr) = exit_code_for(b"title: [unclosed\n");
    assert_eq!(code, Some(2));
    assert!(stderr.contains("model.yaml:"), "{stderr}");
    let (code, _) = exit_code_for(b"\xff\xfe\x00garbage");
    assert_eq!(code, Some(2));
}

#[test]
fn an_alias_bomb_is_refused_quickly() {
    // The billion laughs: nine levels of ten aliases each.
    let mut yaml = String::from("a0: &a0 [\"lol\"]\n");
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        yaml.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
    }
    yaml.push_str("technical_assets: *a9\n");
    let started = std::time::Instant::now();
    assert!(threagile::import(yaml.as_bytes()).is_err());
    assert!(started.elapsed().as_secs() < 20);
}

#[test]
fn a_quadratic_alias_expansion_is_refused() {
    // One large anchor referred to many times: few events, many replayed ones.
    let big = vec!["1"; 20_000].join(",");
    let refs = vec!["*big"; 20_000].join(",");
    let yaml = format!("big: &big [{big}]\ntechnical_assets: [{refs}]\n");
    assert!(threagile::import(yaml.as_bytes()).is_err());
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(threagile::import(deep.as_bytes()).is_err());
    let deep_maps: String = (0..2000)
        .map(|i| format!("{}a:\n", " ".repeat(i)))
        .collect();
    let _ = threagile::import(deep_maps.as_bytes());
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A fixed pseudo-random sequence, plus mutations of the example.
    let example = std::fs::read(fixture()).expect("fixture");
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..200 {
        let len = (next() % 512) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        let _ = threagile::import(&bytes);
    }
    for _ in 0..100 {
        let mut bytes = example.clone();
        for _ in 0..8 {
            let at = (next() as usize) % bytes.len();
            let table = b"-:*&[]{}!|>'\"\n #@";
            bytes[at] = table[(next() as usize) % table.len()];
        }
        if let Ok(imported) = threagile::import(&bytes) {
            // Whatever imports must still be a session that writes.
            assert!(threatboard::store::to_toml(&imported.session).is_ok());
        }
    }
}

#[test]
fn a_model_over_the_size_cap_is_refused_before_parsing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("huge.yaml");
    let file = std::fs::File::create(&model).expect("create");
    file.set_len(threagile::MAX_MODEL_BYTES as u64 + 1)
        .expect("grow");
    let run = Command::new(env!("CARGO_BIN_EXE_threatboard"))
        .args(["import", "threagile"])
        .arg(&model)
        .output()
        .expect("runs");
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("Threagile models"));
}
