//! End to end: a finding that a threat and an owned, dated mitigation track passes `check` and
//! question 4 says so in the same words; once the due date passes, the gate fails again.
#![cfg(unix)]

mod support;

use std::path::Path;
use std::process::{Command, Output};
use support::{DEFAULT_TIMEOUT, Tui, step, step_all, threatboard_bin};

/// Restricted ledger entries go unencrypted from the data centre into the vault (TB002, high);
/// TH-001 covers information disclosure on that flow and MI-001 has an owner and `due`.
fn session(today: chrono::NaiveDate, due: chrono::NaiveDate) -> String {
    format!(
        r#"schema = 1
title = "Payment webhooks"

[[runs]]
date = {today}
facilitator = "tester"
trigger = "initial"

[[boundaries]]
id = "dc"
name = "Data centre"

[[boundaries]]
id = "vault"
name = "Ledger vault"

[[assets]]
id = "ledger"
name = "Ledger entries"
classification = "restricted"

[[components]]
id = "ledger-service"
name = "Ledger service"
kind = "process"
boundary = "dc"

[[components]]
id = "ledger-db"
name = "Ledger DB"
kind = "data-store"
boundary = "vault"

[[flows]]
id = "ledger-write"
from = "ledger-service"
to = "ledger-db"
label = "write entries"
assets = ["ledger"]
authenticated = true
encrypted = false

[[threats]]
id = "TH-001"
target = "ledger-write"
title = "Entries read on the wire"
stride = "I"
likelihood = 2
impact = 3
response = "mitigate"

[[mitigations]]
id = "MI-001"
threats = ["TH-001"]
action = "Turn on TLS to the ledger database"
owner = "ana"
due = {due}
"#
    )
}

fn check(dir: &Path) -> (Option<i32>, String) {
    let out: Output = Command::new(threatboard_bin())
        .args(["check", "webhooks.toml"])
        .current_dir(dir)
        .output()
        .expect("check runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn a_tracked_finding_passes_check_and_question4_shows_the_same_verdict() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    // The project's root: the config search stops here.
    std::fs::create_dir(root.join(".git")).expect("repo root");
    let today = chrono::Local::now().date_naive();
    let due = today + chrono::Days::new(14);
    let file = root.join("webhooks.toml");
    std::fs::write(&file, session(today, due)).expect("session");

    let (code, text) = check(root);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("high     tracked  TB002 unencrypted-sensitive-flow: flow \"ledger-write\""),
        "{text}"
    );
    let tracked_by = format!("tracked by TH-001 via MI-001 (ana, due {due})");
    assert!(text.contains(&tracked_by), "{text}");
    let verdict = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("check: "))
        .expect("a verdict line")
        .to_string();
    assert!(
        verdict.starts_with("check: PASS (fail on high): 0 blocking, 1 tracked"),
        "{verdict}"
    );

    let mut tui = Tui::spawn(
        threatboard_bin(),
        &["open", "webhooks.toml"],
        root,
        (120, 40),
        &[("USER", "tester")],
    )
    .expect("spawns");
    tui.wait_for("Payment webhooks", DEFAULT_TIMEOUT)
        .expect("opens");
    // Question 4: check's verdict, word for word, and the tracked finding with what tracks it.
    let screen = step_all(&mut tui, "4", &[&verdict, "Tracked (1)", &tracked_by]);
    assert!(!screen.contains("Blocking ("), "{screen}");
    step(&mut tui, "q", "");
    assert_eq!(tui.wait_exit(DEFAULT_TIMEOUT), Some(0));

    // The date slips: TB009 names the overdue mitigation and the finding blocks again.
    let past = today - chrono::Days::new(1);
    std::fs::write(&file, session(today, past)).expect("session");
    let (code, text) = check(root);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("high     FAIL     TB009 overdue-mitigation: mitigation \"MI-001\""),
        "{text}"
    );
    assert!(
        text.contains("high     FAIL     TB002 unencrypted-sensitive-flow: flow \"ledger-write\""),
        "{text}"
    );
    assert!(!text.contains("tracked by"), "{text}");
}
