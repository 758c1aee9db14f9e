//! End to end in a pseudo-terminal with git: open an example, add a threat through the picker,
//! rate it, mitigate another with an owner and `+2w`, accept a third, commit inside a temporary
//! repository; then check the TOML and that the commit holds that file alone.
#![cfg(unix)]

mod support;

use std::path::Path;
use std::process::Command;
use support::{DEFAULT_TIMEOUT, Tui, close_run_form, git, step, step_all, threatboard_bin};

#[test]
fn threats_responses_and_a_commit_of_the_session_file_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    git(root, &["init", "-q"]);
    git(root, &["config", "user.email", "team@example.invalid"]);
    git(root, &["config", "user.name", "Team"]);
    git(root, &["config", "commit.gpgsign", "false"]);
    std::fs::create_dir(root.join("sessions")).expect("dir");
    let session = root.join("sessions/three-tier-cloud-web-app.toml");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sessions/three-tier-cloud-web-app.toml"),
        &session,
    )
    .expect("copy example");
    git(root, &["add", "sessions"]);
    git(root, &["commit", "-q", "-m", "initial model"]);
    // Someone else's work in progress, staged: the session commit must leave it alone.
    std::fs::write(root.join("other.txt"), "staged elsewhere\n").expect("write");
    git(root, &["add", "other.txt"]);

    let mut tui = Tui::spawn(
        threatboard_bin(),
        &["open", "sessions/three-tier-cloud-web-app.toml"],
        root,
        (120, 40),
        &[("USER", "tester")],
    )
    .expect("spawns");
    tui.wait_for("Start today's run", DEFAULT_TIMEOUT)
        .expect("asks for the run");
    step(&mut tui, "<ret>", "run recorded");

    // Question 2: a threat from the picker by part of its name, then its risk by single keys.
    step(&mut tui, "2", "2/4 What can go wrong?");
    step(&mut tui, "a", "type to search every library");
    step(&mut tui, "valid acc", "attack:T1078");
    // Enter opens the threat form: the entry lists four letters, the team keeps one.
    step(
        &mut tui,
        "<ret>",
        "library lists S T R E: keep the letters this threat is about",
    );
    step(&mut tui, "S<ret>", "added: Valid Accounts (attack:T1078)");
    step(&mut tui, "LLIII", "risk high");

    // Question 3: mitigate the top risk with an owner and a relative due date.
    step(&mut tui, "3", "3/4 What are we going to do about it?");
    // What needs review is listed first; the top risk comes next.
    step(&mut tui, "jm", "Add mitigation");
    step(
        &mut tui,
        "Require MFA for customers<tab>No<right><tab>+2w<ret>",
        "saved, due",
    );
    // Accept the next one.
    step(&mut tui, "<left>jx", "Accept the risk");
    step(
        &mut tui,
        "Internal tool, low value<tab>Hannah<tab>+3m<ret>",
        "accepted",
    );

    // Commit.
    step_all(
        &mut tui,
        "C",
        &[
            "Commit the session",
            "since the last commit",
            "threat model: Three-tier",
        ],
    );
    step(&mut tui, "<ret>", "committed");
    tui.send("q");
    assert_eq!(tui.wait_exit(DEFAULT_TIMEOUT), Some(0));

    let stat = git(root, &["log", "-1", "--stat", "--format=%s"]);
    assert!(stat.starts_with("threat model: Three-tier"), "{stat}");
    assert!(
        stat.contains("sessions/three-tier-cloud-web-app.toml"),
        "{stat}"
    );
    assert!(
        !stat.contains("other.txt"),
        "only the session file is committed:\n{stat}"
    );
    assert_eq!(
        git(root, &["diff", "--cached", "--name-only"]),
        "other.txt\n"
    );

    let text = std::fs::read_to_string(&session).expect("saved");
    let today = chrono::Local::now().date_naive();
    let due = today + chrono::Duration::days(14);
    assert!(
        text.contains(&format!(
            "action = \"Require MFA for customers\"\nowner = \"Noor\"\ndue = {due}\nstatus = \"planned\""
        )),
        "{text}"
    );
    assert!(
        text.contains("refs = [\"attack:T1078\"]\nlikelihood = 2\nimpact = 3"),
        "{text}"
    );
    assert!(
        text.contains("justification = \"Internal tool, low value\"\naccepted_by = \"Hannah\""),
        "{text}"
    );
    // The file still validates, and nothing but it changed in the work tree.
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
    assert_eq!(git(root, &["status", "--porcelain"]), "A  other.txt\n");
}

/// A team's own library, given with `--library-dir`, is searchable in the picker, and the
/// threat added from it refers to it.
#[test]
fn the_picker_searches_a_library_given_with_library_dir() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::create_dir(root.join("sessions")).expect("dir");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sessions/three-tier-cloud-web-app.toml"),
        root.join("sessions/app.toml"),
    )
    .expect("copy example");
    let team = root.join("team-libraries");
    std::fs::create_dir(&team).expect("dir");
    std::fs::write(
        team.join("acme.toml"),
        r#"[library]
id = "acme"
name = "Acme internal threats"
version = "1"

[[entries]]
id = "AC-7"
name = "Quarterly payroll export left in the shared bucket"
stride = "I"
applies_to = ["data-store", "process", "flow"]
summary = "Our own lesson from an incident."
"#,
    )
    .expect("write library");

    let mut tui = Tui::spawn(
        threatboard_bin(),
        &[
            "--library-dir",
            "team-libraries",
            "open",
            "sessions/app.toml",
        ],
        root,
        (120, 40),
        &[("USER", "tester")],
    )
    .expect("spawns");
    close_run_form(&mut tui);
    step(&mut tui, "2", "2/4 What can go wrong?");
    step(&mut tui, "a", "type to search every library");
    step(&mut tui, "payroll bucket", "acme:AC-7");
    // One letter that applies: taken as the library gives it; Enter again adds the threat.
    step(&mut tui, "<ret>", "New threat from acme:AC-7");
    step(
        &mut tui,
        "<ret>",
        "added: Quarterly payroll export left in the shared bucket (acme:AC-7)",
    );
    step(&mut tui, "<C-s>", "saved");
    tui.send("q");
    assert_eq!(tui.wait_exit(DEFAULT_TIMEOUT), Some(0));
    let text = std::fs::read_to_string(root.join("sessions/app.toml")).expect("saved");
    assert!(text.contains("refs = [\"acme:AC-7\"]"), "{text}");

    // Without the directory the same file still opens; the reference is then unknown to
    // `validate`, which says where to put the library.
    let out = Command::new(threatboard_bin())
        .args(["validate", "sessions/app.toml"])
        .current_dir(root)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        format!("{stdout}{stderr}").contains("--library-dir"),
        "{stdout}{stderr}"
    );
    let out = Command::new(threatboard_bin())
        .args([
            "--library-dir",
            "team-libraries",
            "validate",
            "sessions/app.toml",
        ])
        .current_dir(root)
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
