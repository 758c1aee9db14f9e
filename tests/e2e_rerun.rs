//! The ten-minute re-run, end to end: a component moves across a trust boundary, `rerun` opens
//! at "what changed" with the affected threats flagged, the team reviews and commits in a
//! handful of keys, and nothing is lost.
#![cfg(unix)]

mod support;

use std::path::Path;
use std::process::Command;
use support::{DEFAULT_TIMEOUT, Tui, git, step, threatboard_bin};

#[test]
fn moving_a_component_across_a_boundary_then_rerun_review_and_commit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    git(root, &["init", "-q"]);
    git(root, &["config", "user.email", "team@example.invalid"]);
    git(root, &["config", "user.name", "Team"]);
    git(root, &["config", "commit.gpgsign", "false"]);
    std::fs::create_dir(root.join("sessions")).expect("dir");
    let session = root.join("sessions/microservices-api-platform.toml");
    let original = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sessions/microservices-api-platform.toml"),
    )
    .expect("example");
    std::fs::write(&session, &original).expect("write");
    git(root, &["add", "sessions"]);
    git(root, &["commit", "-q", "-m", "model"]);
    // The change: the notification service moves from the mesh into the DMZ.
    let at = original
        .find("id = \"notification-service\"")
        .expect("component");
    let boundary = at
        + original[at..]
            .find("boundary = \"service-mesh\"")
            .expect("its boundary");
    let moved = format!(
        "{}boundary = \"dmz\"{}",
        &original[..boundary],
        &original[boundary + "boundary = \"service-mesh\"".len()..]
    );
    std::fs::write(&session, &moved).expect("write");
    let threats_before = moved.matches("[[threats]]").count();

    let mut tui = Tui::spawn(
        threatboard_bin(),
        &["rerun", "sessions/microservices-api-platform.toml"],
        root,
        (120, 40),
        &[],
    )
    .expect("spawns");
    let screen = tui
        .wait_for("What changed since the baseline", DEFAULT_TIMEOUT)
        .expect("opens at what changed");
    assert!(screen.contains("notification-service"), "{screen}");
    assert!(
        screen.contains("moved from service-mesh to dmz"),
        "{screen}"
    );
    assert!(
        screen.contains("queue-to-notification"),
        "a new crossing is listed:\n{screen}"
    );
    step(&mut tui, "<ret>", "Re-run: today's run");
    step(&mut tui, "<ret>", "run recorded");
    // Question 3 starts with what needs review; S marks it reviewed.
    step(&mut tui, "3", "status needs-review");
    step(&mut tui, "S", ": open");
    step(&mut tui, "C", "Commit the session");
    step(&mut tui, "<ret>", "committed");
    tui.send("q");
    assert_eq!(tui.wait_exit(DEFAULT_TIMEOUT), Some(0));

    let text = std::fs::read_to_string(&session).expect("saved");
    assert_eq!(
        text.matches("[[threats]]").count(),
        threats_before,
        "no threat is lost"
    );
    assert!(text.contains("trigger = \"boundary change:"), "{text}");
    let log = git(root, &["log", "-1", "--format=%s", "--stat"]);
    assert!(
        log.starts_with("threat model: Microservices API platform"),
        "{log}"
    );
    assert!(
        log.contains("sessions/microservices-api-platform.toml"),
        "{log}"
    );
    assert_eq!(git(root, &["status", "--porcelain"]), "");
}

#[test]
fn rerun_outside_git_says_how_to_give_a_baseline() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("sessions")).expect("dir");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sessions/llm-support-bot.toml"),
        dir.path().join("sessions/bot.toml"),
    )
    .expect("copy");
    let out = Command::new(threatboard_bin())
        .args(["rerun", "sessions/bot.toml"])
        .current_dir(dir.path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--baseline"), "{err}");
}
