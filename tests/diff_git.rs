//! `threatboard diff` on the microservices example, in throwaway git repositories: the re-run
//! after a trust-boundary change, as a team (or CI) runs it.
//!
//! Every repository is configured locally (identity, no signing, an empty hooks directory), so the
//! tests neither depend on nor touch the developer's git setup. `git` is required: without it
//! the git tests fail.

use serde_json::{Value, json};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use threatboard::analysis::diff::{
    CrossingChangeKind, NewCrossing, SessionDiff, diff, mark_needs_review,
};
use threatboard::model::{Session, StrideSet, ThreatStatus};

const REPOSITORY_VARIABLES: [&str; 7] = [
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_PREFIX",
];

const SESSION: &str = "sessions/microservices-api-platform.toml";

fn example() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(SESSION);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The user service moves from the mesh into the DMZ (say, to serve profile reads directly).
fn user_service_moved_to_dmz(text: &str) -> String {
    replace_once(
        text,
        "id = \"user-service\"\nname = \"User service\"\nkind = \"process\"\ntechnology = \"api\"\nboundary = \"service-mesh\"\n",
        "id = \"user-service\"\nname = \"User service\"\nkind = \"process\"\ntechnology = \"api\"\nboundary = \"dmz\"\n",
    )
}

/// A partner CRM (a third party, outside every boundary) starts posting webhooks to the API
/// gateway, and the team writes one spoofing threat for it.
fn partner_webhook_added(text: &str) -> String {
    let with_flow = replace_once(
        text,
        "[[threats]]\nid = \"TH-001\"\n",
        "[[components]]
id = \"partner-crm\"
name = \"Partner CRM\"
kind = \"external-entity\"
tags = [\"third-party\"]

[[flows]]
id = \"partner-webhook\"
from = \"partner-crm\"
to = \"api-gateway\"
label = \"Lead and contact updates\"
protocol = \"HTTPS\"
assets = [\"user-profiles\"]
authenticated = true
encrypted = true

[[threats]]
id = \"TH-001\"
",
    );
    replace_once(
        &with_flow,
        "[[mitigations]]\nid = \"MI-001\"\n",
        "[[threats]]
id = \"TH-013\"
target = \"partner-webhook\"
title = \"Anyone who learns the partner's shared secret posts forged contact updates\"
stride = \"S\"
likelihood = 1
impact = 2
response = \"undecided\"

[[mitigations]]
id = \"MI-001\"
",
    )
}

fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "expected once: {from}");
    text.replacen(from, to, 1)
}

fn parse(text: &str) -> Session {
    threatboard::store::parse(text)
        .unwrap_or_else(|e| panic!("{}: {}", e.at, e.message))
        .0
}

/// git is a requirement of these tests (CI has it): without it they fail, never pass unseen.
fn require_git() {
    let output = Command::new("git").arg("--version").output();
    assert!(
        output.as_ref().is_ok_and(|o| o.status.success()),
        "these tests need the `git` program: {output:?}"
    );
}

fn git_out(dir: &Path, args: &[&str]) -> String {
    let mut command = Command::new("git");
    command.arg("-C").arg(dir).args(args);
    for name in REPOSITORY_VARIABLES {
        command.env_remove(name);
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("git {args:?}: {e}"));
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A temporary repository set up without any global configuration.
struct Repo {
    _temp: tempfile::TempDir,
    root: PathBuf,
}

impl Repo {
    fn new() -> Repo {
        let temp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let root = temp.path().join("models");
        fs::create_dir_all(&root).unwrap_or_else(|e| panic!("{}: {e}", root.display()));
        git_out(&root, &["init", "-q"]);
        git_out(&root, &["config", "user.email", "t@example.invalid"]);
        git_out(&root, &["config", "user.name", "T"]);
        git_out(&root, &["config", "commit.gpgsign", "false"]);
        let hooks = root.join(".git").join("test-hooks");
        fs::create_dir_all(&hooks).unwrap_or_else(|e| panic!("{}: {e}", hooks.display()));
        git_out(
            &root,
            &["config", "core.hooksPath", &hooks.to_string_lossy()],
        );
        Repo { _temp: temp, root }
    }

    /// Writes `rel` and commits it.
    fn commit(&self, rel: &str, text: &str, message: &str) {
        let path = self.root.join(rel);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        }
        fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        git_out(&self.root, &["add", rel]);
        git_out(&self.root, &["commit", "-q", "-m", message]);
    }

    /// `threatboard diff <args>` run from the repository's root.
    fn diff(&self, args: &[&str]) -> Output {
        run_diff(&self.root, args)
    }
}

fn run_diff(dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_threatboard"));
    command.arg("diff").args(args).current_dir(dir);
    for name in REPOSITORY_VARIABLES {
        command.env_remove(name);
    }
    command.output().expect("the binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(out)))
}

fn affected_ids(d: &SessionDiff) -> Vec<String> {
    d.affected_threats()
        .into_iter()
        .map(|(id, _)| id.to_string())
        .collect()
}

/// Every threat is kept, in order; exactly `affected` changed status (to needs-review), and
/// nothing else in the session changed.
fn assert_marks_only(new: &Session, d: &SessionDiff, affected: &[&str]) {
    let marked = mark_needs_review(new, d);
    assert_eq!(marked.threats.len(), new.threats.len());
    for (before, after) in new.threats.iter().zip(&marked.threats) {
        assert_eq!(after.id, before.id);
        if affected.contains(&before.id.as_str()) {
            assert_eq!(after.status, ThreatStatus::NeedsReview, "{}", before.id);
        } else {
            assert_eq!(after.status, before.status, "{} untouched", before.id);
        }
    }
    let mut unmarked = marked;
    unmarked.threats.clone_from(&new.threats);
    assert_eq!(&unmarked, new, "only threat statuses change");
}

#[test]
fn a_component_moved_into_another_boundary() {
    let v1 = example();
    let v2 = user_service_moved_to_dmz(&v1);
    let (old, new) = (parse(&v1), parse(&v2));
    let d = diff(&old, &new);

    assert_eq!(d.moves.len(), 1);
    assert_eq!(d.moves[0].describe(), "moved from service-mesh to dmz");
    // The user service's three flows, and only those, cross differently now:
    let crossings: Vec<(String, CrossingChangeKind, Vec<String>, Vec<String>)> = d
        .crossing_changes
        .iter()
        .map(|c| {
            let names = |list: &[threatboard::model::BoundaryId]| {
                list.iter().map(ToString::to_string).collect::<Vec<_>>()
            };
            (c.flow.to_string(), c.kind, names(&c.old), names(&c.new))
        })
        .collect();
    assert_eq!(
        crossings,
        [
            // The gateway is in the DMZ too now: the call stays inside one boundary.
            (
                "gateway-to-user".into(),
                CrossingChangeKind::NoLongerCrossing,
                vec!["dmz".into(), "service-mesh".into()],
                vec![],
            ),
            // Still leaves for the data tier, but from the DMZ instead of the mesh.
            (
                "user-to-postgres".into(),
                CrossingChangeKind::Different,
                vec!["service-mesh".into(), "data-tier".into()],
                vec!["dmz".into(), "data-tier".into()],
            ),
            // The queue stays in the mesh: a mesh-internal flow now leaves the DMZ for the mesh.
            (
                "user-to-queue".into(),
                CrossingChangeKind::NewlyCrossing,
                vec![],
                vec!["dmz".into(), "service-mesh".into()],
            ),
        ]
    );
    // user-to-queue has no threats, so all six categories are open on the new crossing.
    assert_eq!(
        d.new_crossings(),
        [NewCrossing {
            flow: "user-to-queue".into(),
            boundaries: vec!["dmz".into(), "service-mesh".into()],
            unaddressed: StrideSet::all(),
            added: false,
        }]
    );
    // TH-002 is on gateway-to-user and TH-003 on user-to-postgres: flows that touch the moved
    // service and whose crossings changed. TH-009, TH-010 and TH-012 are on user-service itself.
    // The auth, gateway, webhook and provider threats (TH-001, 004-008, 011) rest on nothing
    // that changed.
    assert_eq!(
        affected_ids(&d),
        ["TH-002", "TH-003", "TH-009", "TH-010", "TH-012"]
    );
    let reasons: Vec<(String, Vec<String>)> = d
        .affected_threats()
        .into_iter()
        .map(|(id, r)| (id.to_string(), r))
        .collect();
    assert_eq!(
        reasons[0].1,
        [
            "gateway-to-user touches user-service, which moved from service-mesh to dmz",
            "gateway-to-user no longer crosses a boundary (crossed dmz, service-mesh)",
        ]
    );
    assert_eq!(
        reasons[1].1,
        [
            "user-to-postgres touches user-service, which moved from service-mesh to dmz",
            "user-to-postgres crosses dmz, data-tier instead of service-mesh, data-tier",
        ]
    );
    for (_, r) in &reasons[2..] {
        assert_eq!(r, &["user-service moved from service-mesh to dmz"]);
    }
    assert_eq!(
        d.trigger(),
        "boundary change: user-service moved from service-mesh to dmz"
    );
    assert_marks_only(
        &new,
        &d,
        &["TH-002", "TH-003", "TH-009", "TH-010", "TH-012"],
    );
}

#[test]
fn a_new_third_party_flow_that_crosses_a_boundary() {
    let v1 = example();
    let v2 = partner_webhook_added(&v1);
    let (old, new) = (parse(&v1), parse(&v2));
    let d = diff(&old, &new);

    assert_eq!(d.components.added, ["partner-crm".into()]);
    assert_eq!(d.flows.added, ["partner-webhook".into()]);
    // No existing flow crosses differently, and no existing threat rests on what changed: the
    // gateway the webhook enters is itself unchanged.
    assert!(d.crossing_changes.is_empty());
    assert!(d.moves.is_empty());
    assert!(d.affected_threats().is_empty());
    // The partner is outside every boundary and the gateway in the DMZ. TH-013 covers S.
    assert_eq!(
        d.new_crossings(),
        [NewCrossing {
            flow: "partner-webhook".into(),
            boundaries: vec!["dmz".into()],
            unaddressed: StrideSet::parse("TRIDE"),
            added: true,
        }]
    );
    assert_eq!(
        d.trigger(),
        "boundary change: new flow partner-webhook crosses dmz"
    );
    assert_eq!(d.other.threats_added, ["TH-013".into()]);
    assert_marks_only(&new, &d, &[]);
}

#[test]
fn since_a_revision_reports_the_component_move() {
    require_git();
    let repo = Repo::new();
    let v1 = example();
    repo.commit(SESSION, &v1, "initial model");
    repo.commit(
        SESSION,
        &user_service_moved_to_dmz(&v1),
        "move user service",
    );

    let out = repo.diff(&[SESSION, "--since", "HEAD~1"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with(&format!("diff {SESSION}@HEAD~1 -> {SESSION}\nSummary: ")),
        "{text}"
    );
    assert!(
        text.contains("  ~ user-service (boundary): moved from service-mesh to dmz\n"),
        "{text}"
    );
    assert!(
        text.contains("  user-to-queue  crosses dmz, service-mesh; unaddressed: S T R I D E\n"),
        "{text}"
    );
    assert!(
        text.contains("Threats to review: 5 (a re-run marks them needs-review)\n"),
        "{text}"
    );

    let out = repo.diff(&[SESSION, "--since", "HEAD~1", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let j = json_of(&out);
    assert_eq!(j["version"], 1);
    assert_eq!(j["changed"], true);
    assert_eq!(j["old"], format!("{SESSION}@HEAD~1"));
    assert_eq!(j["new"], SESSION);
    assert_eq!(
        j["trigger"],
        "boundary change: user-service moved from service-mesh to dmz"
    );
    assert_eq!(
        j["moves"],
        json!([{"component": "user-service", "from": "service-mesh", "to": "dmz"}])
    );
    assert_eq!(
        j["components"],
        json!({"added": [], "removed": [], "changed": [{"id": "user-service", "fields": ["boundary"]}]})
    );
    assert_eq!(
        j["crossing_changes"],
        json!([
            {"flow": "gateway-to-user", "change": "no-longer-crossing", "old": ["dmz", "service-mesh"], "new": []},
            {"flow": "user-to-postgres", "change": "different", "old": ["service-mesh", "data-tier"], "new": ["dmz", "data-tier"]},
            {"flow": "user-to-queue", "change": "newly-crossing", "old": [], "new": ["dmz", "service-mesh"]},
        ])
    );
    assert_eq!(
        j["new_crossings"],
        json!([{"flow": "user-to-queue", "added": false, "boundaries": ["dmz", "service-mesh"], "unaddressed": "STRIDE"}])
    );
    let affected: Vec<(&str, &str)> = j["affected_threats"]
        .as_array()
        .expect("array")
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap_or_default(),
                a["status"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        affected,
        [
            ("TH-002", "resolved"),
            ("TH-003", "resolved"),
            ("TH-009", "open"),
            ("TH-010", "resolved"),
            ("TH-012", "open"),
        ]
    );
    assert_eq!(j["target_changes"], json!([]));
    assert_eq!(j["other_changes"], json!([]));
    for key in ["boundaries", "flows", "assets"] {
        assert_eq!(
            j[key],
            json!({"added": [], "removed": [], "changed": []}),
            "{key}"
        );
    }

    // The working tree is what HEAD holds: nothing changed since HEAD.
    let out = repo.diff(&[SESSION, "--since", "HEAD"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("Nothing changed"), "{}", stdout(&out));
}

#[test]
fn since_a_revision_reports_the_new_third_party_flow() {
    require_git();
    let repo = Repo::new();
    let v1 = example();
    repo.commit(SESSION, &v1, "initial model");
    repo.commit(SESSION, &partner_webhook_added(&v1), "partner webhook");

    let out = repo.diff(&[SESSION, "--since", "HEAD~1", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let j = json_of(&out);
    assert_eq!(
        j["trigger"],
        "boundary change: new flow partner-webhook crosses dmz"
    );
    assert_eq!(j["crossing_changes"], json!([]));
    assert_eq!(
        j["new_crossings"],
        json!([{"flow": "partner-webhook", "added": true, "boundaries": ["dmz"], "unaddressed": "TRIDE"}])
    );
    assert_eq!(j["affected_threats"], json!([]));
    assert_eq!(j["flows"]["added"], json!(["partner-webhook"]));
    assert_eq!(j["components"]["added"], json!(["partner-crm"]));
    assert_eq!(j["other_changes"], json!(["+1 threat (TH-013)"]));

    let text = stdout(&repo.diff(&[SESSION, "--since", "HEAD~1"]));
    assert!(
        text.contains("  partner-webhook  new flow, crosses dmz; unaddressed: T R I D E\n"),
        "{text}"
    );
    assert!(!text.contains("Threats to review"), "{text}");
}

#[test]
fn identical_files_exit_0_and_say_nothing_changed() {
    let temp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let (a, b) = (temp.path().join("a.toml"), temp.path().join("b.toml"));
    let v1 = example();
    fs::write(&a, &v1).unwrap_or_else(|e| panic!("{e}"));
    fs::write(&b, &v1).unwrap_or_else(|e| panic!("{e}"));
    let out = run_diff(temp.path(), &["a.toml", "b.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "diff a.toml -> b.toml\nNothing changed: both versions describe the same session.\n"
    );
    let out = run_diff(temp.path(), &["a.toml", "b.toml", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let j = json_of(&out);
    assert_eq!(j["changed"], false);
    assert_eq!(j["trigger"], "no change");

    // Two files that differ: exit 1.
    fs::write(&b, user_service_moved_to_dmz(&v1)).unwrap_or_else(|e| panic!("{e}"));
    let out = run_diff(temp.path(), &["a.toml", "b.toml"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[test]
fn unreadable_input_exits_2_with_file_line_col() {
    let temp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    fs::write(temp.path().join("a.toml"), example()).unwrap_or_else(|e| panic!("{e}"));
    fs::write(
        temp.path().join("bad.toml"),
        "schema = 1\ntitle = \"x\"\nfoo = 3\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));

    let out = run_diff(temp.path(), &["a.toml", "bad.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).is_empty());
    assert!(
        stderr(&out).starts_with("bad.toml:3:1: "),
        "{}",
        stderr(&out)
    );

    let out = run_diff(temp.path(), &["missing.toml", "a.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("missing.toml: "),
        "{}",
        stderr(&out)
    );
}

#[test]
fn since_outside_git_exits_2() {
    require_git();
    let temp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    fs::write(temp.path().join("a.toml"), example()).unwrap_or_else(|e| panic!("{e}"));
    let out = run_diff(temp.path(), &["a.toml", "--since", "HEAD"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "a.toml: not inside a git work tree, so --since HEAD cannot read an old version\n"
    );
}

#[test]
fn since_a_revision_without_the_file_or_unknown_exits_2() {
    require_git();
    let repo = Repo::new();
    repo.commit("README.md", "# models\n", "initial");
    repo.commit(SESSION, &example(), "first model");

    let out = repo.diff(&[SESSION, "--since", "HEAD~1"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        format!("{SESSION}@HEAD~1: {SESSION} does not exist at revision HEAD~1\n")
    );

    let out = repo.diff(&[SESSION, "--since", "no-such-branch"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!("{SESSION}@no-such-branch: ")),
        "{err}"
    );
    assert!(err.contains("unknown revision \"no-such-branch\""), "{err}");
    assert!(stdout(&out).is_empty());

    // A file that is not on disk is reported as such, whatever the revision holds.
    let out = repo.diff(&["sessions/none.toml", "--since", "HEAD"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("sessions/none.toml: "),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("@HEAD"), "{}", stderr(&out));
}

#[test]
fn a_parse_error_in_the_old_version_names_file_at_rev_line_col() {
    require_git();
    let repo = Repo::new();
    repo.commit(
        SESSION,
        "schema = 1\ntitle = \"Broken\"\n[[components]]\nid = \"x\"\nname = \"X\"\nkind = \"robot\"\n",
        "broken",
    );
    repo.commit(SESSION, &example(), "fixed");

    let out = repo.diff(&[SESSION, "--since", "HEAD~1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.starts_with(&format!("{SESSION}@HEAD~1:6:8: ")), "{err}");
    assert!(err.contains("robot"), "{err}");
}
