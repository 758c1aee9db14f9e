//! End to end in a pseudo-terminal: question 3's transfer names who takes the risk, and an
//! existing mitigation is linked to a second threat; both are saved and the file validates.
#![cfg(unix)]

mod support;

use std::path::Path;
use std::process::Command;
use support::{DEFAULT_TIMEOUT, Tui, step, threatboard_bin};

#[test]
fn a_transfer_names_who_takes_the_risk_and_a_mitigation_covers_two_threats() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::create_dir(root.join("sessions")).expect("dir");
    let session = root.join("sessions/microservices-api-platform.toml");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sessions/microservices-api-platform.toml"),
        &session,
    )
    .expect("copy example");

    let mut tui = Tui::spawn(
        threatboard_bin(),
        &["open", "sessions/microservices-api-platform.toml"],
        root,
        (120, 40),
        &[("USER", "tester")],
    )
    .expect("spawns");
    tui.wait_for("Start today's run", DEFAULT_TIMEOUT)
        .expect("asks for the run");
    step(&mut tui, "<ret>", "run recorded");

    // The last threat by risk: transferred, to someone named in the form.
    step(&mut tui, "3", "3/4 What are we going to do about it?");
    step(&mut tui, "Gt", "Transfer TH-010");
    step(&mut tui, "<ret>", "name who takes the risk");
    step(
        &mut tui,
        "Acme Cyber Insurance<ret>",
        "response: transfer to Acme Cyber Insurance",
    );
    // The first: the rate limit of another threat now covers it too.
    step(&mut tui, "gL", "Link a mitigation to TH-004");
    step(
        &mut tui,
        "rate limits",
        "MI-004 Global and per-client rate limits",
    );
    step(&mut tui, "<ret>", "MI-004 now also covers TH-004");
    step(&mut tui, "<C-s>", "saved");
    tui.send("q");
    assert_eq!(tui.wait_exit(DEFAULT_TIMEOUT), Some(0));

    let text = std::fs::read_to_string(&session).expect("saved");
    assert!(
        text.contains("response = \"transfer\"\nstatus = \"resolved\"\ntransferred_to = \"Acme Cyber Insurance\""),
        "{text}"
    );
    assert!(
        text.contains("id = \"MI-004\"\nthreats = [\"TH-005\", \"TH-004\"]"),
        "{text}"
    );
    let validate = Command::new(threatboard_bin())
        .arg("validate")
        .arg(&session)
        .output()
        .expect("runs");
    assert_eq!(
        validate.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&validate.stderr)
    );
}
