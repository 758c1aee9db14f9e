//! `threatboard export issues` and `set-ticket`: the Jira CSV reads back field for field under
//! RFC 4180 with hostile text, the GitHub JSON has the API's shape, mitigations with a ticket
//! are skipped, and a ticket written back changes nothing else in the file.

use chrono::NaiveDate;
use std::path::Path;
use std::process::{Command, Output};
use threatboard::model::*;

const HOSTILE: &str = "Rotate \"all\" keys, now\nsecond line\u{1b}[2J\u{7}, end";

fn session() -> Session {
    let mut s = Session::new("Checkout, \"v2\"");
    for (id, name) in [("web", "Web app"), ("db", "Orders DB")] {
        s.components.push(Component {
            id: id.into(),
            name: name.into(),
            kind: ComponentKind::Process,
            technology: None,
            boundary: None,
            tags: Default::default(),
            assets: vec![],
            not_applicable: StrideSet::default(),
            not_applicable_reason: Default::default(),
            out_of_scope: Default::default(),
            notes: Default::default(),
            dismissed: Default::default(),
        });
    }
    for (id, target, l, i) in [("TH-001", "web", 3, 3), ("TH-002", "db", 1, 2)] {
        s.threats.push(Threat {
            id: id.into(),
            target: target.into(),
            title: format!("Threat on {target}"),
            stride: StrideSet::parse("S"),
            refs: vec![LibraryRef::raw("attack:T1078.004")],
            rule: None,
            likelihood: Some(Rating(l)),
            impact: Some(Rating(i)),
            response: Response::Mitigate,
            status: ThreatStatus::Open,
            transferred_to: String::new(),
            raised_by: Vec::new(),
            notes: String::new(),
        });
    }
    let mitigation = |id: &str, action: &str, owner: &str, ticket: &str| Mitigation {
        id: id.into(),
        threats: vec!["TH-001".into(), "TH-002".into()],
        action: action.into(),
        owner: owner.into(),
        due: NaiveDate::from_ymd_opt(2027, 1, 31),
        status: MitigationStatus::Planned,
        ticket: ticket.into(),
    };
    s.mitigations
        .push(mitigation("MI-001", HOSTILE, "@ana-b", ""));
    s.mitigations
        .push(mitigation("MI-002", "=HYPERLINK(\"x\")", "Bob Smith", ""));
    s.mitigations
        .push(mitigation("MI-003", "Already filed", "ana", "SEC-9"));
    s
}

fn write_session(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("checkout.toml");
    let text = threatboard::store::to_toml(&session()).expect("toml");
    std::fs::write(&path, text).expect("write");
    path
}

fn threatboard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_threatboard"))
        .args(args)
        .output()
        .expect("runs")
}

/// A tiny RFC 4180 reader: records of fields, quotes doubled inside quoted fields.
fn read_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {
                chars.next();
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => {
                assert!(c != '\n' && c != '"', "bare {c:?} outside quotes");
                field.push(c);
            }
        }
    }
    assert!(
        !quoted && field.is_empty() && record.is_empty(),
        "unterminated record"
    );
    records
}

#[test]
fn jira_csv_reads_back_with_one_row_per_untracked_mitigation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write_session(dir.path());
    let file = file.to_str().expect("utf-8");
    let run = threatboard(&["export", "issues", file, "--format", "jira-csv"]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = String::from_utf8(run.stdout).expect("utf-8");
    let rows = read_csv(&text);
    assert_eq!(
        rows[0][..7],
        [
            "Summary",
            "Description",
            "Assignee",
            "Due Date",
            "Labels",
            "Labels",
            "Priority"
        ]
    );
    // MI-003 has a ticket: skipped.
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.len() == rows[0].len()));
    let first = &rows[1];
    assert_eq!(first[0], "Rotate \"all\" keys, now");
    assert!(first[1].contains("second line"));
    assert!(!first[1].contains('\u{1b}') && !first[1].contains('\u{7}'));
    assert!(
        first[1].contains("MI-001") && first[1].contains("TH-001") && first[1].contains("TH-002")
    );
    assert!(first[1].contains("risk critical") && first[1].contains("Orders DB"));
    assert!(first[1].contains("https://attack.mitre.org/techniques/T1078/004/"));
    assert!(first[1].contains(file));
    assert_eq!(first[2], "ana-b");
    assert_eq!(first[3], "2027-01-31");
    assert_eq!(first[6], "Highest");
    assert_eq!(first[7], "MI-001");
    // A formula is neutralised.
    assert!(rows[2][0].starts_with('\''));
}

#[test]
fn github_json_is_an_array_of_issue_bodies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write_session(dir.path());
    let out = dir.path().join("issues.json");
    let run = threatboard(&[
        "export",
        "issues",
        file.to_str().expect("utf-8"),
        "--format",
        "github-json",
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let issues: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out).expect("read")).expect("json");
    let issues = issues.as_array().expect("array");
    assert_eq!(issues.len(), 2);
    for issue in issues {
        let keys: Vec<&String> = issue.as_object().expect("object").keys().collect();
        assert!(
            keys.iter()
                .all(|k| ["title", "body", "labels", "assignees"].contains(&k.as_str()))
        );
        assert!(issue["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(
            issue["labels"]
                .as_array()
                .is_some_and(|l| l.iter().all(|x| x.is_string()))
        );
    }
    assert_eq!(issues[0]["assignees"], serde_json::json!(["ana-b"]));
    // "Bob Smith" is no GitHub login: no assignee.
    assert!(issues[1].get("assignees").is_none());
    assert!(issues[0]["body"].as_str().is_some_and(|b| {
        b.contains("[attack:T1078.004](https://attack.mitre.org/techniques/T1078/004/)")
    }));
}

#[test]
fn set_ticket_changes_only_that_line_and_the_export_then_skips_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write_session(dir.path());
    let name = file.to_str().expect("utf-8");
    let before = std::fs::read_to_string(&file).expect("read");
    let run = threatboard(&["set-ticket", name, "MI-001", "SEC-1234"]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let after = std::fs::read_to_string(&file).expect("read");
    let added: Vec<&str> = after
        .lines()
        .filter(|l| !before.lines().any(|b| b == *l))
        .collect();
    assert_eq!(added, ["ticket = \"SEC-1234\""]);
    assert_eq!(after.lines().count(), before.lines().count() + 1);
    // Setting it again to the same key writes nothing.
    let run = threatboard(&["set-ticket", name, "MI-001", "SEC-1234"]);
    assert!(run.status.success());
    assert_eq!(std::fs::read_to_string(&file).expect("read"), after);
    let run = threatboard(&["export", "issues", name, "--format", "jira-csv"]);
    let rows = read_csv(&String::from_utf8(run.stdout).expect("utf-8"));
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][7], "MI-002");
}

#[test]
fn set_ticket_errors_exit_2_and_leave_the_file_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write_session(dir.path());
    let name = file.to_str().expect("utf-8");
    let before = std::fs::read(&file).expect("read");
    let run = threatboard(&["set-ticket", name, "MI-999", "SEC-1"]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("MI-999"));
    let run = threatboard(&["set-ticket", name, "MI-001", "two\nlines"]);
    assert_eq!(run.status.code(), Some(2));
    let missing = dir.path().join("missing.toml");
    let run = threatboard(&[
        "set-ticket",
        missing.to_str().expect("utf-8"),
        "MI-001",
        "X",
    ]);
    assert_eq!(run.status.code(), Some(2));
    // Open in the app (the lock held): refused.
    let lock = threatboard::store::autosave::lock(&file).expect("lock");
    let run = threatboard(&["set-ticket", name, "MI-001", "SEC-1"]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("close it there first"));
    drop(lock);
    assert_eq!(std::fs::read(&file).expect("read"), before);
}

#[test]
fn export_refuses_unreadable_and_invalid_sessions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.toml");
    let run = threatboard(&[
        "export",
        "issues",
        missing.to_str().expect("utf-8"),
        "--format",
        "jira-csv",
    ]);
    assert_eq!(run.status.code(), Some(2));
    assert!(run.stdout.is_empty());
    // A mitigation naming a threat that is not there: the session does not validate.
    let mut s = session();
    s.mitigations[0].threats.push("TH-404".into());
    let invalid = dir.path().join("invalid.toml");
    std::fs::write(&invalid, threatboard::store::to_toml(&s).expect("toml")).expect("write");
    let run = threatboard(&[
        "export",
        "issues",
        invalid.to_str().expect("utf-8"),
        "--format",
        "github-json",
    ]);
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("TH-404"));
    assert!(run.stdout.is_empty());
    let run = threatboard(&[
        "export",
        "issues",
        invalid.to_str().expect("utf-8"),
        "--format",
        "yaml",
    ]);
    assert_eq!(run.status.code(), Some(2));
}
