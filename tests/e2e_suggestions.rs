//! End to end in a pseudo-terminal: the team's own threat rules (beside the session, with the
//! shipped ones turned off so the test does not move when they change) suggest threats in
//! question 2; one is dismissed with a reason, another added as a threat; after saving,
//! quitting and opening the file again, both are still where they were left, and the TOML
//! holds the dismissal with its reason and facts and the threat with its rule.
#![cfg(unix)]

mod support;

use support::{DEFAULT_TIMEOUT, Tui, step, step_all, threatboard_bin};

const SHOP: &str = concat!(
    support::shop_zones!(),
    support::shop_browser_and_api!("technology = \"api\"\n"),
    support::shop_browser_flow!("protocol = \"http\"\nauthenticated = false\nencrypted = false\n"),
);

const TEAM_RULES: &str = r#"
[[rule]]
id = "team-cleartext"
name = "Read on the way"
stride = "I"
refs = ["capec:CAPEC-157"]
likelihood = 2
impact = 3
threat = "Someone between {from} and {to} reads {element}"
reason = "unencrypted {protocol} from {from_zone}"
when = { kind = "flow", encrypted = false, crossing = "any" }

[[rule]]
id = "team-open-door"
name = "Anyone may call"
stride = "SE"
refs = ["capec:CAPEC-115"]
likelihood = 3
impact = 2
threat = "Anyone on {from_zone} calls {to} as {from}"
reason = "unauthenticated {protocol} into {to_zone}"
mitigations = ["Authenticate callers at the edge of {to_zone}"]
when = { kind = "flow", authenticated = false, crossing = "inward" }
"#;

/// The team's rules file: the shipped rules turned off, then the two above.
fn team_rules() -> String {
    let (_, shipped) = threatboard::library::shipped_files()
        .iter()
        .find(|(_, text)| threatboard::rules::is_rules_file(text))
        .expect("a shipped rules file");
    let ids: Vec<String> = threatboard::rules::parse_rules(
        shipped,
        threatboard::library::Origin::Text("shipped".into()),
    )
    .expect("the shipped rules parse")
    .rules
    .into_iter()
    .map(|r| format!("{:?}", r.id))
    .collect();
    format!(
        "[rules]\nid = \"team\"\nname = \"Team rules\"\ndisable = [{}]\n{TEAM_RULES}",
        ids.join(", ")
    )
}

#[test]
fn a_dismissal_and_a_suggested_threat_are_saved_and_still_there_when_reopened() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("sessions/libraries")).expect("dirs");
    std::fs::write(root.join("sessions/shop.toml"), SHOP).expect("write session");
    std::fs::write(root.join("sessions/libraries/rules.toml"), team_rules()).expect("rules");

    let spawn = || {
        Tui::spawn(
            threatboard_bin(),
            &["open", "sessions/shop.toml"],
            root,
            (120, 40),
            &[("USER", "tester")],
        )
        .expect("spawns")
    };
    let mut tui = spawn();
    tui.wait_for("Start today's run", DEFAULT_TIMEOUT)
        .expect("asks for the run");
    step(&mut tui, "<ret>", "run recorded");
    step_all(
        &mut tui,
        "2",
        &[
            "Rules suggest 2 open",
            "+2  ! browser → api: Orders",
            "▹ [I] Someone between Browser and Orders API reads Orders",
            "why: unencrypted http from Internet",
        ],
    );
    // Dismiss the first: a reason is required.
    step(&mut tui, "x", "Not applicable here: rule team-cleartext");
    step(&mut tui, "<ret>", "say why it does not apply here");
    step(
        &mut tui,
        "Only health checks, no data<ret>",
        "rule team-cleartext dismissed (Only health checks, no data)",
    );
    // The cursor is on the other one now: add it through its prefilled form.
    step(&mut tui, "s", "New threat TH-001 from rule team-open-door");
    step(&mut tui, "<ret>", "TH-001 added from rule team-open-door");
    step_all(
        &mut tui,
        "",
        &[
            "✓ added as TH-001: [SE] Anyone on Internet calls Orders API",
            "✗ dismissed: [I] Someone between Browser and Orders API",
        ],
    );
    step(&mut tui, "<C-s>", "saved");
    tui.send("q");
    assert_eq!(tui.wait_exit(DEFAULT_TIMEOUT), Some(0));

    let text = std::fs::read_to_string(root.join("sessions/shop.toml")).expect("saved");
    assert!(
        text.contains(
            "[[flows.dismissed]]\nrule = \"team-cleartext\"\nreason = \"Only health checks, no data\"\nfacts = \"crossing=inward; encrypted=false; kind=flow\"\n"
        ),
        "{text}"
    );
    let threat = text
        .split("[[threats]]")
        .nth(1)
        .expect("a threat was written");
    for line in [
        "id = \"TH-001\"",
        "target = \"browser-api\"",
        "title = \"Anyone on Internet calls Orders API as Browser\"",
        "stride = \"SE\"",
        "refs = [\"capec:CAPEC-115\"]",
        "rule = \"team-open-door\"",
        "likelihood = 3",
        "impact = 2",
    ] {
        assert!(threat.contains(line), "{line} in:\n{threat}");
    }

    // Opened again: the dismissal holds, the suggestion shows as added, nothing is open.
    let mut tui = spawn();
    tui.wait_for("1/4 What are we building?", DEFAULT_TIMEOUT)
        .expect("opens on question 1");
    step(&mut tui, "2", "2/4 What can go wrong?");
    step_all(
        &mut tui,
        "",
        &[
            "Rules suggest none open (2 dealt with)",
            "✓ added as TH-001",
            "✗ dismissed: [I] Someone between Browser and Orders API",
        ],
    );
    tui.send("q");
    assert_eq!(tui.wait_exit(DEFAULT_TIMEOUT), Some(0));
}
