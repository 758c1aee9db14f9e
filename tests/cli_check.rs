//! `threatboard check`, the CI gate, run as CI runs it.

use std::path::Path;
use std::process::{Command, Output};

const TODAY: &str = "2026-11-23";

fn check(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_threatboard"))
        .arg("check")
        .args(args)
        .args(["--today", TODAY])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const MICRO: &str = "sessions/microservices-api-platform.toml";
const THREE_TIER: &str = "sessions/three-tier-cloud-web-app.toml";
const LLM: &str = "sessions/llm-support-bot.toml";

#[test]
fn examples_fail_the_default_gate_on_their_real_weaknesses() {
    let out = check(&[MICRO, THREE_TIER, LLM]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    // The unauthenticated provider webhook that enters the DMZ, at its `authenticated` line:
    // TH-004 covers spoofing and MI-009 has an owner and a date, so it is tracked.
    assert!(
        text.contains("sessions/microservices-api-platform.toml:209:17: high     tracked  TB001 unauthenticated-boundary-crossing: flow \"provider-webhook\""),
        "{text}"
    );
    assert!(
        text.contains("      tracked by TH-004 via MI-009 (Tomasz, due 2027-01-29)\n"),
        "{text}"
    );
    // Plain HTTP behind the load balancer, carrying confidential data across the subnet edge.
    assert!(
        text.contains("TB002 unencrypted-sensitive-flow: flow \"lb-app\""),
        "{text}"
    );
    assert!(
        text.contains(
            "critical FAIL     TB007 high-risk-without-response: critical threat \"TH-010\""
        ),
        "{text}"
    );
    assert!(
        text.contains("TB008 mitigation-without-owner-or-due-date: mitigation \"MI-007\""),
        "{text}"
    );
    assert!(
        text.contains("3 files checked, 3 failed (fail on high)"),
        "{text}"
    );
}

#[test]
fn accepted_risks_never_fail_the_gate() {
    let text = stdout(&check(&[MICRO]));
    // user-to-postgres is unencrypted, but TH-003 accepts exactly that risk.
    assert!(
        text.contains(
            "high     accepted TB002 unencrypted-sensitive-flow: flow \"user-to-postgres\""
        ),
        "{text}"
    );
    assert!(text.contains("accepted risk: see threat TH-003"), "{text}");
    assert!(
        text.contains(
            "  check: FAIL (fail on high): 1 blocking, 1 tracked, 1 accepted, 34 below threshold\n"
        ),
        "{text}"
    );
}

#[test]
fn the_threshold_decides_the_exit_code() {
    assert_eq!(
        check(&[MICRO, "--fail-on", "critical"]).status.code(),
        Some(0)
    );
    assert_eq!(
        check(&[THREE_TIER, "--fail-on", "critical"]).status.code(),
        Some(1)
    );
    assert_eq!(check(&[MICRO, "--fail-on", "low"]).status.code(), Some(1));
}

#[test]
fn max_age_flags_stale_sessions() {
    let fresh = stdout(&check(&[MICRO, "--max-age", "30"]));
    assert!(!fresh.contains("TB011"), "{fresh}");
    let stale = stdout(&check(&[MICRO, "--max-age", "7", "--format", "json"]));
    let doc: serde_json::Value = serde_json::from_str(&stale).expect("json");
    let findings = doc["files"][0]["findings"].as_array().expect("findings");
    let stale_finding = findings
        .iter()
        .find(|f| f["rule"] == "TB011")
        .expect("stale session finding");
    assert_eq!(
        stale_finding["message"],
        "the last run was on 2026-11-10, 13 days ago (limit 7)"
    );
}

#[test]
fn unreadable_input_exits_2() {
    let out = check(&["tests/fixtures/malformed/syntax-unterminated-string.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("syntax-unterminated-string.toml:2:27:"),
        "{err}"
    );
    let out = check(&["no/such/file.toml", MICRO]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn invalid_sessions_fail_the_gate_with_their_problems() {
    let out = check(&[
        "tests/fixtures/malformed/flow-unknown-component.toml",
        "--fail-on",
        "critical",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out)
            .contains("28:6: invalid: [[flows]] \"client-api\" to: unknown component \"ap1\"")
    );
}

#[test]
fn json_is_stable_and_complete() {
    let first = stdout(&check(&[MICRO, LLM, "--format", "json"]));
    let second = stdout(&check(&[MICRO, LLM, "--format", "json"]));
    assert_eq!(first, second);
    let doc: serde_json::Value = serde_json::from_str(&first).expect("valid json");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["passed"], false);
    let micro = &doc["files"][0];
    assert_eq!(micro["path"], MICRO);
    let webhook = micro["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["key"] == "TB001:provider-webhook")
        .expect("webhook finding");
    assert_eq!(webhook["line"], 209);
    // Tracked: reported with what tracks it, not blocking.
    assert_eq!(webhook["blocking"], false);
    assert_eq!(
        webhook["tracked"],
        serde_json::json!({
            "threat": "TH-004",
            "mitigation": "MI-009",
            "owner": "Tomasz",
            "due": "2027-01-29",
            "finished": false
        })
    );
    let accepted = micro["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["key"] == "TB002:user-to-postgres")
        .expect("accepted finding");
    assert_eq!(accepted["tracked"], serde_json::Value::Null);
    assert_eq!(micro["fail_on"], "high");
    assert_eq!(doc["fail_on"], "high");
    let paths = micro["attack_paths"].as_array().expect("paths");
    assert!(!paths.is_empty());
    assert_eq!(
        paths[0]["components"]
            .as_array()
            .expect("components")
            .last()
            .expect("end"),
        "postgres"
    );
    assert!(micro["coverage"]["applicable"].as_u64().expect("count") > 0);
    assert!(
        micro["coverage"]["gaps"]
            .as_array()
            .expect("gaps")
            .iter()
            .any(|g| g["element"] == "event-queue")
    );
}

fn sarif_validator() -> jsonschema::Validator {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sarif/sarif-2.1.0-rtm.5.json");
    let mut schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("schema")).expect("schema json");
    // rtm.5's pattern for the `language` properties has a stray `]` that strict regex engines
    // reject; the schema's own description asks for "xx" or "xx-XX". threatboard never writes
    // `language`, so the repaired pattern cannot change a verdict on its output.
    for definition in ["run", "toolComponent"] {
        let language = &mut schema["definitions"][definition]["properties"]["language"]["pattern"];
        assert_eq!(language, "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$");
        *language = serde_json::json!("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
    }
    jsonschema::validator_for(&schema).expect("schema compiles")
}

#[test]
fn sarif_validates_against_the_official_schema_and_points_at_lines() {
    let validator = sarif_validator();
    let out = check(&[MICRO, THREE_TIER, LLM, "--format", "sarif"]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("sarif is json");
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let results = doc["runs"][0]["results"].as_array().expect("results");
    let webhook = results
        .iter()
        .find(|r| r["partialFingerprints"]["threatboardFindingKey/v1"] == "TB001:provider-webhook")
        .expect("webhook result");
    let location = &webhook["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], MICRO);
    assert_eq!(location["region"]["startLine"], 209);
    assert_eq!(webhook["level"], "error");
    // ruleIndex points at the rule with that id.
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    let index = webhook["ruleIndex"].as_u64().expect("index") as usize;
    assert_eq!(rules[index]["id"], "TB001");
    // The accepted finding is reported as suppressed.
    let accepted = results
        .iter()
        .find(|r| r["partialFingerprints"]["threatboardFindingKey/v1"] == "TB002:user-to-postgres")
        .expect("accepted result");
    assert_eq!(accepted["suppressions"][0]["kind"], "external");

    // A document that breaks the schema is caught, so the check above can fail.
    let mut broken = doc.clone();
    broken["version"] = serde_json::json!("2.0");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn sarif_of_invalid_input_still_validates() {
    let out = check(&[
        "tests/fixtures/malformed/rating-out-of-range.toml",
        "--format",
        "sarif",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert!(sarif_validator().is_valid(&doc));
    let results = doc["runs"][0]["results"].as_array().expect("results");
    assert!(results.iter().any(|r| r["ruleId"] == "TB000"
        && r["locations"][0]["physicalLocation"]["region"]["startLine"] == 37));
}

#[test]
fn json_and_sarif_keep_c1_and_bidi_characters_escaped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("hostile.toml");
    // A critical threat without a response: its title is in the finding's message.
    std::fs::write(
        &path,
        "schema = 1\ntitle = \"t\"\n\n[[components]]\nid = \"api\"\nname = \"API\"\nkind = \"process\"\n\n\
         [[threats]]\nid = \"TH-001\"\ntarget = \"api\"\ntitle = \"x\\u009b[2Jy \\u202egnp.exe \\u200b\\u0085\"\n\
         stride = \"S\"\nlikelihood = 3\nimpact = 3\n",
    )
    .expect("write");
    let file = path.to_str().expect("UTF-8 path");
    for format in ["json", "sarif"] {
        let out = check(&[file, "--format", format]);
        assert_eq!(out.status.code(), Some(1), "{format}: {}", stdout(&out));
        let text = stdout(&out);
        assert!(
            text.contains("x\\u009b[2Jy \\u202egnp.exe \\u200b\\u0085"),
            "{format}: the title is there, escaped:\n{text}"
        );
        for raw in ['\u{9b}', '\u{202e}', '\u{200b}', '\u{85}'] {
            assert!(
                !text.contains(raw),
                "{format}: raw U+{:04X} in:\n{text}",
                raw as u32
            );
        }
        let _: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    }
}

/// A project folder (a git repository root) holding a copy of the microservices example and,
/// when `config` is given, a `.threatboard.toml` with it.
fn project(config: Option<&str>) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join(".git")).expect("repo root");
    if let Some(text) = config {
        std::fs::write(dir.path().join(".threatboard.toml"), text).expect("config");
    }
    let sessions = dir.path().join("sessions");
    std::fs::create_dir(&sessions).expect("mkdir");
    let session = sessions.join("micro.toml");
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join(MICRO), &session).expect("copy");
    (dir, session.display().to_string())
}

#[test]
fn the_project_configs_threshold_and_max_age_apply() {
    let (_dir, session) = project(Some("[check]\nfail_on = \"critical\"\nmax_age_days = 7\n"));
    let out = check(&[&session]);
    let text = stdout(&out);
    // Critical: the high findings no longer block; the stale run (13 days > 7) is medium.
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains(".threatboard.toml (fail_on critical, max age 7 days)\n"),
        "{text}"
    );
    assert!(text.contains("  config: "), "{text}");
    assert!(text.contains("TB011 stale-session"), "{text}");
    assert!(
        text.contains("  check: PASS (fail on critical): 0 blocking"),
        "{text}"
    );
    assert!(
        text.contains("1 file checked, 0 failed (fail on critical)"),
        "{text}"
    );
    // Only the text output names the config.
    let json = stdout(&check(&[&session, "--format", "json"]));
    assert!(!json.contains(".threatboard.toml"), "{json}");
    let doc: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(doc["fail_on"], "critical");
    assert_eq!(doc["passed"], true);
}

#[test]
fn flags_override_the_project_config() {
    let (_dir, session) = project(Some("[check]\nfail_on = \"critical\"\nmax_age_days = 7\n"));
    let out = check(&[&session, "--fail-on", "high", "--max-age", "30"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("  check: FAIL (fail on high): 1 blocking"),
        "{text}"
    );
    assert!(!text.contains("TB011"), "{text}");
}

#[test]
fn without_a_config_the_defaults_apply_and_check_says_so() {
    let (_dir, session) = project(None);
    let text = stdout(&check(&[&session]));
    assert!(
        text.contains("  config: none (.threatboard.toml not found; fail_on high by default)"),
        "{text}"
    );
}

#[test]
fn a_bad_project_config_exits_2_with_its_position() {
    let (dir, session) = project(Some("[check]\nfail_on = \"hgih\"\n"));
    let out = check(&[&session]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(".threatboard.toml:2:11: "), "{err}");
    assert!(err.contains("hgih"), "{err}");
    // An unknown key too, and `validate` reads the config as well.
    std::fs::write(
        dir.path().join(".threatboard.toml"),
        "[check]\nfail_on = \"high\"\nmax_age = 30\n",
    )
    .expect("config");
    let out = check(&[&session]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(".threatboard.toml:3:1: "), "{err}");
    let validate = Command::new(env!("CARGO_BIN_EXE_threatboard"))
        .args(["validate", &session])
        .output()
        .expect("runs");
    assert_eq!(validate.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&validate.stderr).contains(".threatboard.toml:3:1: "),
        "{}",
        String::from_utf8_lossy(&validate.stderr)
    );
}

#[test]
fn sarif_suppresses_tracked_findings_with_what_tracks_them() {
    let doc: serde_json::Value =
        serde_json::from_str(&stdout(&check(&[MICRO, "--format", "sarif"]))).expect("sarif");
    let results = doc["runs"][0]["results"].as_array().expect("results");
    let webhook = results
        .iter()
        .find(|r| r["ruleId"] == "TB001")
        .expect("TB001 result");
    assert_eq!(
        webhook["suppressions"],
        serde_json::json!([{
            "kind": "external",
            "justification": "tracked by TH-004 via MI-009 (Tomasz, due 2027-01-29)"
        }])
    );
}

#[test]
fn check_says_when_it_prints_fewer_attack_paths_than_there_are() {
    let text = stdout(&check(&[MICRO]));
    assert!(
        text.contains("  3 of 10 attack paths shown; `threatboard report` lists all\n"),
        "{text}"
    );
    assert!(
        text.contains("  a -> b: the flow runs from a to b; a <- b"),
        "{text}"
    );
    // The provider's notification path runs against two flows.
    assert!(text.contains(" <- "), "{text}");
}

/// A model whose report is far larger than a pipe's buffer: 500 services in two boundaries,
/// each calling the next across the boundary without authentication.
fn large_session(dir: &Path) -> std::path::PathBuf {
    let mut text = String::from(
        "schema = 1\ntitle = \"Large\"\n\n[[boundaries]]\nid = \"a\"\nname = \"A\"\n\n\
         [[boundaries]]\nid = \"b\"\nname = \"B\"\n",
    );
    for i in 0..500 {
        let boundary = if i % 2 == 0 { "a" } else { "b" };
        text += &format!(
            "\n[[components]]\nid = \"s{i}\"\nname = \"Service {i}\"\nkind = \"process\"\nboundary = \"{boundary}\"\n"
        );
    }
    for i in 0..499 {
        text += &format!(
            "\n[[flows]]\nid = \"f{i}\"\nfrom = \"s{i}\"\nto = \"s{}\"\nlabel = \"call {i}\"\nauthenticated = false\nencrypted = false\n",
            i + 1
        );
    }
    let path = dir.join("large.toml");
    std::fs::write(&path, text).expect("write the model");
    path
}

/// `check ... | head -1` in a CI script: the reader goes away after one line. The check must
/// still end with its verdict's exit code, not a panic about a broken pipe.
#[test]
fn a_reader_that_stops_early_ends_the_output_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let dir = tempfile::tempdir().expect("temp dir");
    let session = large_session(dir.path());
    let full = check(&[session.to_str().expect("utf-8 path")]);
    assert_eq!(
        full.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&full.stderr)
    );
    // Larger than any pipe buffer, so the writer is still writing when the reader leaves.
    assert!(
        full.stdout.len() > 256 * 1024,
        "{} bytes",
        full.stdout.len()
    );
    for format in ["text", "json", "sarif"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_threatboard"))
            .args(["check", "--today", TODAY, "--format", format])
            .arg(&session)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        let mut first = String::new();
        let stdout = child.stdout.take().expect("piped");
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("one line");
        // The read end is closed here, long before the report is written out.
        let out = child.wait_with_output().expect("it ends");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!first.is_empty(), "{format}: no first line");
        assert!(!stderr.contains("panicked"), "{format}: {stderr}");
        assert_eq!(out.status.code(), Some(1), "{format}: {stderr}");
    }
}
