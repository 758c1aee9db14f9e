//! `threatboard validate` and `threatboard new` run as a user runs them: the real binary, its exit
//! code and what it prints.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn threatboard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_threatboard"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `validate` on one file and checks the exit code and that the message names the exact
/// position and says what is wrong.
fn assert_validate(path: &Path, code: i32, expected: &[&str]) {
    let out = threatboard(&["validate", path.to_str().expect("utf-8 path")]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(code), "{}: {err}", path.display());
    assert!(!err.contains("panicked"), "{err}");
    for line in expected {
        let wanted = format!("{}:{line}", path.display());
        assert!(err.contains(&wanted), "expected {wanted:?} in:\n{err}");
    }
}

#[test]
fn malformed_files_give_precise_messages_and_exit_codes() {
    let cases: &[(&str, i32, &[&str])] = &[
        (
            "syntax-unterminated-string.toml",
            2,
            &["2:27: invalid basic string"],
        ),
        (
            "wrong-type-likelihood.toml",
            2,
            &["37:14: invalid type: string \"high\", expected an integer"],
        ),
        ("empty.toml", 2, &["1:1: file is empty"]),
        ("unknown-field.toml", 2, &["23:1: unknown field `boundry`"]),
        (
            "unknown-component-kind.toml",
            2,
            &["22:8: unknown variant `proces`"],
        ),
        ("invalid-due-date.toml", 2, &["42:7: invalid date"]),
        ("missing-title.toml", 2, &["1:1: missing field `title`"]),
        (
            "duplicate-boundary-id.toml",
            1,
            &["9:6: [[boundaries]] \"internet\" id: duplicate id \"internet\""],
        ),
        (
            "duplicate-element-id.toml",
            1,
            &[
                "34:6: [[flows]] \"api\" id: duplicate id \"api\": it is already used in [[components]]",
            ],
        ),
        (
            "flow-unknown-component.toml",
            1,
            &["28:6: [[flows]] \"client-api\" to: unknown component \"ap1\""],
        ),
        (
            "threat-unknown-target.toml",
            1,
            &["35:10: [[threats]] \"TH-001\" target: unknown target \"database\""],
        ),
        (
            "mitigation-unknown-threat.toml",
            1,
            &["40:11: [[mitigations]] \"MI-001\" threats: unknown threat \"TH-009\""],
        ),
        (
            "component-unknown-boundary.toml",
            1,
            &["23:12: [[components]] \"api\" boundary: unknown boundary \"vpc\""],
        ),
        (
            "boundary-cycle.toml",
            1,
            &[
                "7:10: [[boundaries]] \"internet\" parent: boundaries nest in a cycle: internet -> dmz -> internet",
            ],
        ),
        (
            "rating-out-of-range.toml",
            1,
            &[
                "37:14: [[threats]] \"TH-001\" likelihood: likelihood 0 is out of range",
                "38:10: [[threats]] \"TH-001\" impact: impact 4 is out of range",
            ],
        ),
        (
            "unknown-stride-letter.toml",
            1,
            &["37:10: [[threats]] \"TH-001\" stride: \"X\" is not a STRIDE letter"],
        ),
        (
            "accepted-without-justification.toml",
            1,
            &[
                "37:12: [[threats]] \"TH-001\" response: threat is accepted but has no [[acceptances]] entry",
                "43:12: [[threats]] \"TH-002\" response: threat is accepted without a justification",
            ],
        ),
        (
            "unknown-library-refs.toml",
            1,
            &[
                "11:8: [[threats]] \"TH-001\" refs: library reference \"attack:T9999\": no such entry in \"attack\"",
                "11:8: [[threats]] \"TH-001\" refs: library reference \"acme:X1\": no library \"acme\" is loaded",
            ],
        ),
        (
            "unsupported-schema.toml",
            1,
            &["1:10: schema: schema 2 is not supported"],
        ),
    ];
    for (name, code, expected) in cases {
        assert_validate(&fixture(&format!("malformed/{name}")), *code, expected);
    }
    // Every fixture in the directory is covered above.
    let on_disk = std::fs::read_dir(fixture("malformed"))
        .expect("fixtures")
        .count();
    assert_eq!(on_disk, cases.len());
}

#[test]
fn all_problems_of_a_file_are_reported_in_file_order() {
    let out = threatboard(&[
        "validate",
        fixture("malformed/rating-out-of-range.toml")
            .to_str()
            .expect("path"),
    ]);
    let err = stderr(&out);
    let likelihood = err.find("likelihood 0").expect("likelihood reported");
    let impact = err.find("impact 4").expect("impact reported");
    assert!(likelihood < impact, "{err}");
    assert!(err.contains(": 2 problems"), "{err}");
}

#[test]
fn binary_and_huge_files_are_refused_cleanly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let binary = dir.path().join("image.toml");
    let mut bytes = b"schema = 1\ntitle = \"x\"\n".to_vec();
    bytes.extend((0u8..=255).cycle().take(4096));
    std::fs::write(&binary, &bytes).expect("write binary");
    assert_validate(
        &binary,
        2,
        &["4:118: not a text file: byte 151 is not UTF-8"],
    );

    // A 5 MB session with 20,000 components: it loads, and the one bad reference in its last
    // component is found at its exact line.
    let huge = dir.path().join("huge.toml");
    let mut text =
        String::from("schema = 1\ntitle = \"Huge\"\n\n[[boundaries]]\nid = \"b\"\nname = \"B\"\n");
    let count = 20_000;
    for i in 0..count {
        let boundary = if i == count - 1 { "nowhere" } else { "b" };
        text.push_str(&format!(
            "\n[[components]]\nid = \"c{i:05}\"\nname = \"Component {i} with a long descriptive name for size\"\nkind = \"process\"\nboundary = \"{boundary}\"\nnotes = \"{}\"\n",
            "n".repeat(160)
        ));
    }
    assert!(text.len() > 5_000_000, "{}", text.len());
    std::fs::write(&huge, &text).expect("write huge");
    let last_line = text.lines().count() - 1; // the `boundary` line of the last component
    assert_validate(
        &huge,
        1,
        &[&format!(
            "{last_line}:12: [[components]] \"c19999\" boundary: unknown boundary \"nowhere\""
        )],
    );
}

#[test]
fn unreadable_paths_exit_2_and_mixed_runs_report_every_file() {
    let missing = threatboard(&["validate", "/nonexistent/session.toml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("/nonexistent/session.toml: "),
        "{}",
        stderr(&missing)
    );

    let good = fixture("valid-minimal.toml");
    let bad = fixture("malformed/flow-unknown-component.toml");
    let out = threatboard(&[
        "validate",
        good.to_str().expect("path"),
        bad.to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("valid-minimal.toml: ok (2 boundaries, 2 components, 1 flows"),
        "{stdout}"
    );
    assert!(stderr(&out).contains("unknown component \"ap1\""));
}

#[test]
fn control_characters_in_files_are_escaped_in_messages() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("hostile.toml");
    std::fs::write(
        &path,
        "schema = 1\ntitle = \"t\"\n[[components]]\nid = \"a\"\nname = \"A\"\nkind = \"process\"\nboundary = \"\\u001b]0;owned\\u0007\"\n",
    )
    .expect("write");
    let out = threatboard(&["validate", path.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
    assert!(err.contains("]0;owned"), "{err}");
}

#[test]
fn new_creates_a_valid_session_and_never_overwrites() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sessions = dir.path().join("sessions");
    let sessions_arg = sessions.to_str().expect("path");
    let out = threatboard(&["new", "Checkout service", "--dir", sessions_arg]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let path = sessions.join("checkout-service.toml");
    let text = std::fs::read_to_string(&path).expect("created");
    assert_eq!(text, "schema = 1\ntitle = \"Checkout service\"\n");
    assert_eq!(
        threatboard(&["validate", path.to_str().expect("path")])
            .status
            .code(),
        Some(0)
    );

    std::fs::write(&path, "schema = 1\ntitle = \"Edited by hand\"\n").expect("edit");
    let again = threatboard(&["new", "Checkout  Service!", "--dir", sessions_arg]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    assert!(
        std::fs::read_to_string(&path)
            .expect("kept")
            .contains("Edited by hand")
    );
}

#[test]
fn new_keeps_hostile_titles_inside_the_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sessions = dir.path().join("s");
    let out = threatboard(&[
        "new",
        "../../etc/passwd",
        "--dir",
        sessions.to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(sessions.join("etc-passwd.toml").exists());
    let entries: Vec<_> = std::fs::read_dir(dir.path()).expect("list").collect();
    assert_eq!(
        entries.len(),
        1,
        "nothing written beside the sessions directory"
    );

    let out = threatboard(&["new", "日本語", "--dir", sessions.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no ASCII letters or digits"));
}

#[test]
fn every_command_has_help_and_bad_usage_exits_2() {
    for args in [
        vec!["--help"],
        vec!["new", "--help"],
        vec!["validate", "--help"],
        vec!["library", "--help"],
    ] {
        let out = threatboard(&args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage: threatboard"),
            "{args:?}"
        );
    }
    for args in [vec!["validate"], vec!["frobnicate"], vec!["new"]] {
        let out = threatboard(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!stderr(&out).contains("panicked"));
    }
}

/// Runs git in `dir`; a missing git fails the test (git is a requirement).
fn git(dir: &Path, args: &[&str]) -> String {
    let mut command = Command::new("git");
    command.arg("-C").arg(dir).args(args);
    for name in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_COMMON_DIR",
    ] {
        command.env_remove(name);
    }
    let out = command.output().expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn new_keeps_lock_and_autosave_files_out_of_git() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    git(root, &["init", "-q"]);
    let sessions = root.join("sessions");
    let sessions_arg = sessions.to_str().expect("path");
    let out = threatboard(&["new", "Checkout", "--dir", sessions_arg, "--no-open"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // What the app writes beside a session while it is open.
    std::fs::write(sessions.join(".checkout.toml.lock"), "1 host\n").expect("lock");
    std::fs::write(sessions.join(".checkout.toml.autosave"), "schema = 1\n").expect("autosave");
    std::fs::write(
        sessions.join(".checkout.toml.autosave.kept-00000000000000000001"),
        "schema = 1\n",
    )
    .expect("kept autosave");
    let status = git(root, &["status", "--porcelain", "--untracked-files=all"]);
    assert_eq!(
        status, "?? sessions/.gitignore\n?? sessions/checkout.toml\n",
        "only the session and the .gitignore are for git"
    );

    // An existing .gitignore keeps its lines and gets only what it lacks, once.
    let other = root.join("other");
    std::fs::create_dir(&other).expect("dir");
    std::fs::write(other.join(".gitignore"), "*.log\n.*.toml.lock\n").expect("write");
    for title in ["One", "Two"] {
        let out = threatboard(&[
            "new",
            title,
            "--dir",
            other.to_str().expect("path"),
            "--no-open",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let text = std::fs::read_to_string(other.join(".gitignore")).expect("read");
    assert!(text.starts_with("*.log\n.*.toml.lock\n"), "{text}");
    assert_eq!(text.matches(".*.toml.lock").count(), 1, "{text}");
    for pattern in store_patterns() {
        assert_eq!(
            text.lines().filter(|l| *l == pattern).count(),
            1,
            "{pattern}: {text}"
        );
    }
}

fn store_patterns() -> [&'static str; 3] {
    threatboard::store::ignore::PATTERNS
}
