//! `threatboard suggest`, and what the threat rules add to `check`, `diff` and `report`, run as a
//! user runs them. The sessions and a team rules file are written to temporary folders, so the
//! tests rest on rules they define rather than on the shipped rules, which keep growing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TODAY: &str = "2026-11-23";

fn threatboard(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_threatboard"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", stdout(out)))
}

/// A model with no structural finding: every component in a boundary and on a flow, every
/// crossing authenticated and encrypted, no sensitive data. Both flows are tagged `pci`, which the
/// team rule below reads.
const SESSION: &str = r#"schema = 1
title = "Shop"

[[boundaries]]
id = "dc"
name = "Data centre"

[[boundaries]]
id = "internet"
name = "Internet"

[[components]]
id = "api"
name = "Orders API"
kind = "process"
technology = "api"
boundary = "dc"
not_applicable = "R"
not_applicable_reason = "every call is signed and logged by the gateway"

[[components]]
id = "db"
name = "Orders DB"
kind = "data-store"
technology = "database"
boundary = "dc"

[[components]]
id = "user"
name = "Shopper"
kind = "external-entity"
technology = "browser"
boundary = "internet"

[[flows]]
id = "api-db"
from = "api"
to = "db"
label = "Order rows"
protocol = "postgres"
authenticated = true
encrypted = true
tags = ["pci"]

[[flows]]
id = "user-api"
from = "user"
to = "api"
label = "Orders"
protocol = "HTTPS"
authenticated = true
encrypted = true
tags = ["pci"]
"#;

/// The team's rule: every flow tagged `pci` gets a card-data threat.
const TEAM_RULES: &str = r#"[rules]
id = "team"
name = "Team rules"

[[rule]]
id = "team-card-leak"
name = "Card data leak"
stride = "I"
cwes = ["CWE-311"]
likelihood = 2
impact = 3
threat = "Card numbers leak from {element} on the way to {to}"
reason = "a PCI flow into {to_zone}"
mitigations = ["Tokenise card numbers before they reach {to}"]
when = { kind = "flow", tags = ["pci"] }
"#;

/// A temporary folder with `sessions/shop.toml` (the session, plus `extra`) and, when given,
/// `sessions/libraries/team-rules.toml`.
fn setup(extra: &str, rules: Option<&str>) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let sessions = dir.path().join("sessions");
    std::fs::create_dir_all(sessions.join("libraries")).expect("mkdir");
    let file = sessions.join("shop.toml");
    std::fs::write(&file, format!("{SESSION}{extra}")).expect("write session");
    if let Some(rules) = rules {
        std::fs::write(sessions.join("libraries/team-rules.toml"), rules).expect("write rules");
    }
    (dir, PathBuf::from("sessions/shop.toml"))
}

fn suggest(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec!["suggest", "sessions/shop.toml"];
    all.extend_from_slice(args);
    threatboard(dir, &all)
}

/// The JSON suggestions of one rule.
fn of_rule<'a>(doc: &'a serde_json::Value, rule: &str) -> Vec<&'a serde_json::Value> {
    doc.as_array()
        .expect("an array")
        .iter()
        .filter(|s| s["rule"] == rule)
        .collect()
}

#[test]
fn a_team_rule_beside_the_session_is_suggested_in_text_with_its_reason() {
    let (dir, _) = setup("", Some(TEAM_RULES));
    let out = suggest(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    // The crossing flow comes before the flow inside the data centre.
    let crossing = text
        .find("user-api \"Orders\" (flow, crosses a trust boundary)\n")
        .unwrap_or_else(|| panic!("{text}"));
    let inside = text
        .find("api-db \"Order rows\" (flow)\n")
        .unwrap_or_else(|| panic!("{text}"));
    assert!(crossing < inside, "{text}");
    assert!(
        text.contains(
            "  team-card-leak [I] Card numbers leak from Orders on the way to Orders API\n      because: a PCI flow into Data centre\n      refs: CWE-311\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("Add each as a threat in question 2, or dismiss it there with a reason."),
        "{text}"
    );
}

#[test]
fn json_is_an_array_with_the_documented_fields() {
    let (dir, _) = setup("", Some(TEAM_RULES));
    let out = suggest(dir.path(), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let team = of_rule(&doc, "team-card-leak");
    assert_eq!(team.len(), 2);
    assert_eq!(
        team[0],
        &serde_json::json!({
            "cwes": ["CWE-311"],
            "dismissed_reason": null,
            "element": "user-api",
            "element_name": "Orders",
            "impact": 3,
            "kind": "flow",
            "likelihood": 2,
            "mitigations": ["Tokenise card numbers before they reach Orders API"],
            "reason": "a PCI flow into Data centre",
            "refs": [],
            "rule": "team-card-leak",
            "rule_name": "Card data leak",
            "state": "open",
            "statement": "Card numbers leak from Orders on the way to Orders API",
            "stride": "I",
            "was": null,
        })
    );
    assert_eq!(team[1]["element"], "api-db");
}

#[test]
fn element_limits_the_list_and_an_unknown_element_exits_2() {
    let (dir, _) = setup("", Some(TEAM_RULES));
    let out = suggest(dir.path(), &["--element", "api-db", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let elements: Vec<&str> = doc
        .as_array()
        .expect("array")
        .iter()
        .map(|s| s["element"].as_str().expect("element"))
        .collect();
    assert!(elements.contains(&"api-db"), "{doc}");
    assert!(elements.iter().all(|e| *e == "api-db"), "{doc}");

    let out = suggest(dir.path(), &["--element", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).is_empty());
    assert_eq!(
        stderr(&out),
        "sessions/shop.toml: --element \"nope\": no component or flow has this id (suggestions are for components and flows)\n"
    );
    // A boundary is not an element suggestions are made for.
    assert_eq!(
        suggest(dir.path(), &["--element", "dc"]).status.code(),
        Some(2)
    );
}

#[test]
fn a_dismissed_suggestion_is_not_listed_and_one_whose_facts_changed_is_back() {
    // user-api: dismissed with the facts the rule reads now. api-db: dismissed when it was not
    // tagged pci (as an older rule that read tags would have recorded it).
    let extra = r#"
[[flows.dismissed]]
rule = "team-card-leak"
reason = "the card form posts straight to the payment provider"
facts = "kind=flow; tags=pci"
"#;
    let (dir, file) = setup("", Some(TEAM_RULES));
    // The dismissal belongs to the last flow in the file, user-api.
    let text = std::fs::read_to_string(dir.path().join(&file)).expect("read") + extra;
    let text = text.replacen(
        "tags = [\"pci\"]\n\n[[flows]]",
        "tags = [\"pci\"]\n\n[[flows.dismissed]]\nrule = \"team-card-leak\"\nreason = \"rows carry tokens only\"\nfacts = \"kind=flow; tags=none\"\n\n[[flows]]",
        1,
    );
    std::fs::write(dir.path().join(&file), text).expect("write");
    assert_eq!(
        threatboard(dir.path(), &["validate", "sessions/shop.toml"])
            .status
            .code(),
        Some(0)
    );

    let out = suggest(dir.path(), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let team = of_rule(&doc, "team-card-leak");
    assert_eq!(team.len(), 1, "{doc}");
    assert_eq!(team[0]["element"], "api-db");
    assert_eq!(team[0]["state"], "returned");
    assert_eq!(team[0]["was"], "tags was none, now pci");
    assert_eq!(team[0]["dismissed_reason"], "rows carry tokens only");

    let text = stdout(&suggest(dir.path(), &[]));
    // Shipped rules may still speak about user-api; the dismissed team rule does not.
    assert!(
        !text.contains("Card numbers leak from Orders on the way"),
        "{text}"
    );
    assert!(
        text.contains("  back team-card-leak [I] Card numbers leak from Order rows"),
        "{text}"
    );
    assert!(
        text.contains(
            "      back: dismissed as \"rows carry tokens only\", but since then tags was none, now pci\n"
        ),
        "{text}"
    );
    assert!(text.contains("back after a change"), "{text}");
}

/// The id of the first shipped rule suggested for the session without a team file: the test
/// does not depend on which shipped rules exist, only on one of them firing on this model.
fn a_shipped_rule(dir: &Path) -> String {
    let doc = json(&suggest(dir, &["--format", "json"]));
    doc.as_array()
        .expect("array")
        .iter()
        .map(|s| s["rule"].as_str().expect("rule").to_string())
        .find(|r| r != "team-card-leak")
        .unwrap_or_else(|| panic!("no shipped rule fires on the test session: {doc}"))
}

#[test]
fn a_team_rules_file_can_disable_a_shipped_rule_and_a_wrong_one_exits_2() {
    let (dir, _) = setup("", None);
    let shipped = a_shipped_rule(dir.path());
    let rules = TEAM_RULES.replacen(
        "name = \"Team rules\"\n",
        &format!("name = \"Team rules\"\ndisable = [\"{shipped}\"]\n"),
        1,
    );
    std::fs::write(
        dir.path().join("sessions/libraries/team-rules.toml"),
        &rules,
    )
    .expect("write");
    let out = suggest(dir.path(), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    assert!(
        of_rule(&doc, &shipped).is_empty(),
        "{shipped} is off: {doc}"
    );
    assert_eq!(of_rule(&doc, "team-card-leak").len(), 2);

    // A typo in `disable` would leave a rule on that the team believes is off: refused.
    let typo = TEAM_RULES.replacen(
        "name = \"Team rules\"\n",
        "name = \"Team rules\"\ndisable = [\"no-such-rule\"]\n",
        1,
    );
    std::fs::write(dir.path().join("sessions/libraries/team-rules.toml"), typo).expect("write");
    let out = suggest(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).is_empty());
    assert!(
        stderr(&out).contains("team-rules.toml:4:12: disable: no rule has the id \"no-such-rule\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_unreadable_session_exits_2_with_its_position() {
    let (dir, _) = setup("[[flows]]\nid = 3\n", Some(TEAM_RULES));
    let out = suggest(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.starts_with("sessions/shop.toml:"), "{err}");
    assert!(stdout(&out).is_empty());
}

fn check(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec!["check", "sessions/shop.toml", "--today", TODAY];
    all.extend_from_slice(args);
    threatboard(dir, &all)
}

#[test]
fn check_reports_unanswered_suggestions_as_low_tb015_that_block_only_at_low() {
    let (dir, _) = setup("", Some(TEAM_RULES));
    let out = check(dir.path(), &[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "default --fail-on high: {text}");
    assert!(
        text.contains(
            "low      note     TB015 unanswered-suggestion: flow \"user-api\": rule \"team-card-leak\" (Card data leak) applies: a PCI flow into Data centre\n      fix: add it as a threat in question 2 or dismiss it with a reason\n"
        ),
        "{text}"
    );
    // Only TB015 here: the model is otherwise clean.
    for line in text.lines().filter(|l| l.contains(" TB0")) {
        assert!(line.contains(" TB015 "), "{line}");
    }
    assert_eq!(
        check(dir.path(), &["--fail-on", "medium"]).status.code(),
        Some(0)
    );
    let low = check(dir.path(), &["--fail-on", "low"]);
    assert_eq!(low.status.code(), Some(1));
    assert!(
        stdout(&low).contains("low      FAIL     TB015 unanswered-suggestion"),
        "{}",
        stdout(&low)
    );

    let j = json(&check(
        dir.path(),
        &["--format", "json", "--fail-on", "low"],
    ));
    let finding = j["files"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["key"] == "TB015:user-api:team-card-leak")
        .unwrap_or_else(|| panic!("{j}"))
        .clone();
    assert_eq!(finding["severity"], "low");
    assert_eq!(finding["name"], "unanswered-suggestion");
    assert_eq!(finding["blocking"], true);
}

#[test]
fn check_lists_tb015_in_sarif_with_a_key_per_rule_and_element() {
    let (dir, _) = setup("", Some(TEAM_RULES));
    let doc = json(&check(dir.path(), &["--format", "sarif"]));
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let index = rules
        .iter()
        .position(|r| r["id"] == "TB015")
        .expect("TB015 is described");
    assert_eq!(rules[index]["name"], "unanswered-suggestion");
    let results: Vec<&serde_json::Value> = run["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["ruleId"] == "TB015")
        .collect();
    let keys: Vec<&str> = results
        .iter()
        .map(|r| {
            r["partialFingerprints"]["threatboardFindingKey/v1"]
                .as_str()
                .expect("key")
        })
        .collect();
    assert!(keys.contains(&"TB015:user-api:team-card-leak"), "{keys:?}");
    assert!(keys.contains(&"TB015:api-db:team-card-leak"), "{keys:?}");
    let first = results
        .iter()
        .find(|r| {
            r["partialFingerprints"]["threatboardFindingKey/v1"] == "TB015:api-db:team-card-leak"
        })
        .expect("api-db");
    assert_eq!(first["ruleIndex"], index);
    assert_eq!(first["level"], "note");
    // At the flow's line in the file.
    let line = SESSION
        .lines()
        .position(|l| l == "id = \"api-db\"")
        .expect("line")
        + 1;
    assert_eq!(
        first["locations"][0]["physicalLocation"]["region"]["startLine"],
        line - 1
    );
}

#[test]
fn check_refuses_a_broken_team_rules_file() {
    let (dir, _) = setup(
        "",
        Some("[rules]\nid = \"team\"\nname = \"T\"\n[[rule]]\nid = \"x\"\n"),
    );
    let out = check(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("sessions/libraries/team-rules.toml:"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn diff_shows_a_dismissal_added_and_a_technology_change() {
    let (dir, _) = setup("", Some(TEAM_RULES));
    let old = std::fs::read_to_string(dir.path().join("sessions/shop.toml")).expect("read");
    let new = format!(
        "{}\n[[flows.dismissed]]\nrule = \"team-card-leak\"\nreason = \"signed webhooks\"\n",
        old.replace("technology = \"database\"", "technology = \"cache\"")
    );
    std::fs::write(dir.path().join("sessions/new.toml"), new).expect("write");
    let out = threatboard(
        dir.path(),
        &["diff", "sessions/shop.toml", "sessions/new.toml"],
    );
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains(
            "\nDismissed suggestions\n  user-api  dismissed team-card-leak (\"signed webhooks\")\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("\nTechnology\n  db  technology database, now cache\n"),
        "{text}"
    );
    let j = json(&threatboard(
        dir.path(),
        &[
            "diff",
            "sessions/shop.toml",
            "sessions/new.toml",
            "--format",
            "json",
        ],
    ));
    assert_eq!(j["dismissals"][0]["change"], "added");
    assert_eq!(j["dismissals"][0]["new_reason"], "signed webhooks");

    // And back: the dismissal withdrawn.
    let back = threatboard(
        dir.path(),
        &["diff", "sessions/new.toml", "sessions/shop.toml"],
    );
    assert!(
        stdout(&back)
            .contains("user-api  dismissal of team-card-leak withdrawn (was \"signed webhooks\")"),
        "{}",
        stdout(&back)
    );
}

#[test]
fn reports_show_technology_not_applicable_reasons_and_dismissals() {
    let extra = "\n[[flows.dismissed]]\nrule = \"team-card-leak\"\nreason = \"the card form posts straight to the provider\"\n";
    let (dir, _) = setup(extra, Some(TEAM_RULES));
    let report = |format: &str| {
        let out = threatboard(
            dir.path(),
            &[
                "report",
                "sessions/shop.toml",
                "--format",
                format,
                "--today",
                TODAY,
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out)
    };
    let md = report("md");
    assert!(md.contains("## Scoping decisions"), "{md}");
    assert!(
        md.contains(
            "| Orders API | R Repudiation | every call is signed and logged by the gateway |"
        ),
        "{md}"
    );
    assert!(
        md.contains(
            "team-card-leak (Card data leak) | the card form posts straight to the provider |"
        ),
        "{md}"
    );
    assert!(
        md.contains("| Orders DB | data-store | database | Data centre |"),
        "{md}"
    );
    // The open suggestion on api-db is a finding here as in check.
    assert!(md.contains("TB015 unanswered-suggestion"), "{md}");

    let j: serde_json::Value = serde_json::from_str(&report("json")).expect("json");
    let api = &j["session"]["components"][0];
    assert_eq!(api["technology"], "api");
    assert_eq!(
        api["not_applicable_reason"],
        "every call is signed and logged by the gateway"
    );
    assert_eq!(
        j["session"]["flows"][1]["dismissed"][0]["reason"],
        "the card form posts straight to the provider"
    );
    assert_eq!(
        j["analysis"]["dismissed_suggestions"],
        serde_json::json!([{
            "element": "user-api",
            "rule": "team-card-leak",
            "rule_name": "Card data leak",
            "reason": "the card form posts straight to the provider",
        }])
    );
}

#[test]
fn text_from_the_files_never_reaches_the_terminal_raw() {
    let (dir, file) = setup(
        "",
        Some(&TEAM_RULES.replace("Card data leak", "Card \\u001b]0;pwned\\u0007 leak")),
    );
    let path = dir.path().join(&file);
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(
        &path,
        text.replace("label = \"Orders\"", "label = \"Orders \\u001b[2J\\u202e\""),
    )
    .expect("write");
    for out in [
        suggest(dir.path(), &[]),
        check(dir.path(), &[]),
        threatboard(dir.path(), &["report", "sessions/shop.toml"]),
    ] {
        let shown = stdout(&out);
        assert!(!shown.contains('\u{1b}'), "{shown}");
        assert!(!shown.contains('\u{202e}'), "{shown}");
    }
    let shown = stdout(&suggest(dir.path(), &[]));
    assert!(
        shown.contains("user-api \"Orders \\e[2J\\u{202e}\""),
        "{shown}"
    );
    let shown = stdout(&check(dir.path(), &[]));
    assert!(shown.contains("(Card \\e]0;pwned\\u{7} leak)"), "{shown}");
}
