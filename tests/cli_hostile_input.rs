//! The hostile tester's smaller findings, run through the binary: team libraries cannot take a
//! shipped library's id, `library list` says where each library came from, odd agendas and
//! numbers and deep nesting get clear positioned messages, library problems print one per line,
//! and a missing `--library-dir` is an error.

use std::path::Path;
use std::process::{Command, Output};

fn threatboard(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_threatboard"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write(dir: &Path, name: &str, content: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, content).expect("write");
}

const SESSION: &str = "schema = 1\ntitle = \"T\"\n";

// ---- item 6 ------------------------------------------------------------------------------------

#[test]
fn a_team_library_cannot_take_a_shipped_id() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "team/evil.toml",
        "[library]\nid = \"attack\"\nname = \"Not ATT&CK\"\n\n[[entries]]\nid = \"T1078\"\nname = \"Harmless\"\n",
    );
    let out = threatboard(dir.path(), &["--library-dir", "team", "library", "list"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("team/evil.toml:2:6: library id \"attack\" is the id of the shipped library MITRE ATT&CK Enterprise (<built-in>/attack.toml)"),
        "{err}"
    );
    // The shipped library stays, and says so.
    let listed = text(&out.stdout);
    let attack = listed
        .lines()
        .find(|l| l.starts_with("attack "))
        .unwrap_or_default();
    assert!(attack.ends_with("shipped (attack.toml)"), "{listed}");
    let shown = threatboard(
        dir.path(),
        &["--library-dir", "team", "library", "show", "attack:T1078"],
    );
    assert!(
        text(&shown.stdout).contains("Valid Accounts"),
        "{}",
        text(&shown.stdout)
    );
}

#[test]
fn library_list_names_the_file_of_each_library() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "team/ours.toml",
        "[library]\nid = \"ours\"\nname = \"Our threats\"\n\n[[entries]]\nid = \"O1\"\nname = \"One\"\n",
    );
    let out = threatboard(dir.path(), &["--library-dir", "team", "library", "list"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let listed = text(&out.stdout);
    let ours = listed
        .lines()
        .find(|l| l.starts_with("ours "))
        .unwrap_or_default();
    assert!(ours.ends_with("team/ours.toml"), "{listed}");
    let shipped: Vec<&str> = listed
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with("ours "))
        .collect();
    assert!(!shipped.is_empty());
    for line in shipped {
        assert!(line.contains("shipped ("), "{line}");
    }
}

// ---- item 7 ------------------------------------------------------------------------------------

#[test]
fn an_agenda_that_would_overflow_is_reported_at_the_agenda() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "s.toml",
        "schema = 1\ntitle = \"T\"\nagenda = [4294967295, 1, 0, 0]\n",
    );
    let out = threatboard(dir.path(), &["validate", "s.toml"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("s.toml:3:10: agenda: agenda gives question 1 4294967295 minutes; at most 600 minutes per question"),
        "{err}"
    );
    assert!(!err.contains("no time"), "{err}");
}

#[test]
fn deep_nesting_is_reported_on_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let nested = format!("{SESSION}\n[review]\n{}b = 1\n", "a.".repeat(100));
    write(dir.path(), "s.toml", &nested);
    let out = threatboard(dir.path(), &["validate", "s.toml"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("s.toml:5:1: nesting too deep: more than 80 levels"),
        "{err}"
    );
}

#[test]
fn an_oversized_integer_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "s.toml",
        "schema = 1\ntitle = \"T\"\nagenda = [99999999999999999999999, 1, 0, 0]\n",
    );
    let out = threatboard(dir.path(), &["validate", "s.toml"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "s.toml:3:11: integer too large: `99999999999999999999999`, expected a whole number"
        ),
        "{err}"
    );
    assert!(!err.contains("i128"), "{err}");
}

#[test]
fn library_problems_print_one_per_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "s.toml", SESSION);
    write(dir.path(), "team/a.toml", "[library]\nid = \"a\"\n");
    write(dir.path(), "team/b.toml", "[library]\nid = \"b\"\n");
    let out = threatboard(dir.path(), &["--library-dir", "team", "validate", "s.toml"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!err.contains("\\n"), "a literal \\n: {err}");
    let lines: Vec<&str> = err.lines().collect();
    assert!(lines.contains(&"team/a.toml:1:1: missing name"), "{err}");
    assert!(lines.contains(&"team/b.toml:1:1: missing name"), "{err}");
}

#[test]
fn a_missing_library_dir_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "s.toml", SESSION);
    for command in [
        &["validate", "s.toml"][..],
        &["check", "s.toml"],
        &["library", "list"],
    ] {
        let mut args = vec!["--library-dir", "/nonexistent/libs"];
        args.extend_from_slice(command);
        let out = threatboard(dir.path(), &args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command:?}: {err}");
        assert_eq!(
            err, "threatboard: --library-dir /nonexistent/libs: no such directory\n",
            "{command:?}"
        );
    }
}
