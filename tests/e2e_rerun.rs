//! The ten-minute re-run, end to end: a component moves across a trust boundary, `rerun` opens
//! at "what changed" with the affected threats flagged, the team reviews and commits in a
//! handful of keys, and nothing is lost.
#![cfg(unix)]

mod support;

use std::path::Path;
use std::process::Command;
use support::{DEFAULT_TIMEOUT, Tui, git, step, step_all, threatboard_bin};

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
    // Waits for the change itself, not only the title: a frame can be caught half drawn.
    let screen = tui
        .wait_until("what changed, with the move", DEFAULT_TIMEOUT, |s| {
            s.contains("What changed since the baseline") && s.contains("moved from service-mesh")
        })
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

/// A repository for the re-run tests, with git's identity set.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    git(root, &["init", "-q"]);
    git(root, &["config", "user.email", "team@example.invalid"]);
    git(root, &["config", "user.name", "Team"]);
    git(root, &["config", "commit.gpgsign", "false"]);
    std::fs::create_dir(root.join("sessions")).expect("dir");
    dir
}

/// The example with its runs replaced by `runs` (TOML).
fn example_with_runs(runs: &str) -> String {
    let original = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sessions/microservices-api-platform.toml"),
    )
    .expect("example");
    let first = original.find("[[runs]]").expect("runs");
    let after = original.find("[[boundaries]]").expect("boundaries");
    format!("{}{runs}{}", &original[..first], &original[after..])
}

/// The notification service moved from the mesh into the DMZ.
fn moved(text: &str) -> String {
    let at = text
        .find("id = \"notification-service\"")
        .expect("component");
    let boundary = at
        + text[at..]
            .find("boundary = \"service-mesh\"")
            .expect("boundary");
    format!(
        "{}boundary = \"dmz\"{}",
        &text[..boundary],
        &text[boundary + "boundary = \"service-mesh\"".len()..]
    )
}

fn today() -> String {
    chrono::Local::now().date_naive().to_string()
}

/// Runs `rerun` with no flags: checks "what changed" names the baseline and the move, records
/// the run, lands on the walk of the flagged threats, saves and quits. Returns the saved text.
fn rerun_and_save(root: &Path, baseline: &str) -> String {
    let mut tui = Tui::spawn(
        threatboard_bin(),
        &["rerun", "sessions/s.toml"],
        root,
        (120, 40),
        &[],
    )
    .expect("spawns");
    let screen = tui
        .wait_until("what changed, with the move", DEFAULT_TIMEOUT, |s| {
            s.contains("What changed since the baseline") && s.contains("moved from service-mesh")
        })
        .expect("opens at what changed");
    assert!(screen.contains(baseline), "{baseline}:\n{screen}");
    assert!(
        screen.contains("moved from service-mesh to dmz"),
        "{screen}"
    );
    step(&mut tui, "<ret>", "Re-run: today's run");
    let screen = step_all(
        &mut tui,
        "<ret>",
        &[
            "needs review 1/",
            "[3 Respond]",
            "to review first",
            "⚠ review",
        ],
    );
    assert!(
        screen.contains("⚠ review"),
        "question 3 marks them:\n{screen}"
    );
    step(&mut tui, "<C-s>", "saved");
    tui.send("q");
    assert_eq!(tui.wait_exit(DEFAULT_TIMEOUT), Some(0));
    std::fs::read_to_string(root.join("sessions/s.toml")).expect("saved")
}

/// The values of `key = "..."` in the `[[runs]]` tables, in order.
fn run_values(text: &str, key: &str) -> Vec<String> {
    let runs: Vec<&str> = text.split("[[runs]]").skip(1).collect();
    runs.iter()
        .map(|run| {
            let run = run.split("\n[[").next().unwrap_or("");
            run.lines()
                .find_map(|l| l.strip_prefix(&format!("{key} = ")))
                .unwrap_or("")
                .trim_matches('"')
                .to_string()
        })
        .collect()
}

#[test]
fn rerun_compares_with_the_commit_of_the_last_run_made_outside_the_app() {
    let dir = repository();
    let root = dir.path();
    let session = root.join("sessions/s.toml");
    let text = example_with_runs(
        "[[runs]]\ndate = 2026-11-10\nfacilitator = \"Priya\"\nattendees = [\"Tomasz\", \"Aisha\"]\ntrigger = \"initial\"\n\n",
    );
    std::fs::write(&session, &text).expect("write");
    git(root, &["add", "sessions"]);
    // Committed on the day of the run, with no trailer: as a team committing by hand would.
    let out = Command::new("git")
        .args(["-C"])
        .arg(root)
        .args(["commit", "-q", "-m", "model after the first run"])
        .env("GIT_AUTHOR_DATE", "2026-11-10T17:00:00")
        .env("GIT_COMMITTER_DATE", "2026-11-10T17:00:00")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run_commit = git(root, &["rev-parse", "HEAD"]).trim().to_string();
    // The boundary change, committed from the shell: HEAD now has it.
    std::fs::write(&session, moved(&text)).expect("write");
    git(
        root,
        &["commit", "-q", "-am", "notification service into the DMZ"],
    );

    let saved = rerun_and_save(
        root,
        &format!(
            "Compared with the session at its last run (2026-11-10, commit {}",
            &run_commit[..7]
        ),
    );
    assert_eq!(run_values(&saved, "date"), ["2026-11-10", &today()]);
    let triggers = run_values(&saved, "trigger");
    assert!(triggers[1].starts_with("boundary change:"), "{triggers:?}");
    assert_eq!(run_values(&saved, "baseline"), ["", &run_commit[..12]]);
    assert!(
        saved.matches("status = \"needs-review\"").count() >= 2,
        "the moved component's threats are flagged:\n{saved}"
    );
}

#[test]
fn an_app_commit_records_the_run_and_same_day_reruns_each_add_a_run() {
    let dir = repository();
    let root = dir.path();
    let session = root.join("sessions/s.toml");
    // The model, committed before today's session (no run yet).
    let text = example_with_runs("");
    std::fs::write(&session, &text).expect("write");
    git(root, &["add", "sessions"]);
    git(root, &["commit", "-q", "-m", "model"]);

    // Today's session: the run is recorded and committed from the app's commit dialog.
    let mut tui = Tui::spawn(
        threatboard_bin(),
        &["open", "sessions/s.toml"],
        root,
        (80, 24),
        &[],
    )
    .expect("spawns");
    tui.wait_for("Start today's run", DEFAULT_TIMEOUT)
        .expect("asks for today's run");
    step(&mut tui, "<ret>", "run recorded");
    let screen = step_all(
        &mut tui,
        "C",
        &[
            "Changes since the last commit:",
            "Threatboard-Run:",
            "Message:",
        ],
    );
    assert!(!screen.contains("new file: not committed"), "{screen}");
    // The message is edited in the dialog; the trailer is added to it.
    step(&mut tui, "<end> (first session)<ret>", "committed");
    tui.send("q");
    assert_eq!(tui.wait_exit(DEFAULT_TIMEOUT), Some(0));
    let message = git(root, &["log", "-1", "--format=%B"]);
    assert!(message.contains("(first session)"), "{message}");
    assert!(
        message
            .trim_end()
            .ends_with(&format!("\n\nThreatboard-Run: {}", today())),
        "{message}"
    );
    let app_commit = git(root, &["rev-parse", "HEAD"]).trim().to_string();

    // The boundary change, committed from the shell, later the same day.
    let committed = std::fs::read_to_string(&session).expect("read");
    std::fs::write(&session, moved(&committed)).expect("write");
    git(
        root,
        &["commit", "-q", "-am", "notification service into the DMZ"],
    );

    let baseline = format!(
        "Compared with the session at its last run ({}, commit {}",
        today(),
        &app_commit[..7]
    );
    let saved = rerun_and_save(root, &baseline);
    assert_eq!(
        run_values(&saved, "date"),
        [today(), today()],
        "a new run, not today's overwritten"
    );
    assert_eq!(run_values(&saved, "baseline")[1], &app_commit[..12]);
    // A second re-run the same day: still compared with the run's commit, a third entry.
    let saved = rerun_and_save(root, &baseline);
    assert_eq!(run_values(&saved, "date"), [today(), today(), today()]);
    let triggers = run_values(&saved, "trigger");
    assert!(triggers[2].starts_with("boundary change:"), "{triggers:?}");
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
