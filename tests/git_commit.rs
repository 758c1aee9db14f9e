//! Committing a session file through the real `git` program, in throwaway repositories.
//!
//! Every repository here is configured locally (identity, no signing, an empty hooks directory
//! of its own), so the tests do not depend on, or touch, the developer's global git setup. `git`
//! is required: without it the tests fail.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use threatboard::store::git::{self, GitError};

/// Variables a surrounding git process (running these tests from a hook, say) may have set.
const REPOSITORY_VARIABLES: [&str; 7] = [
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_PREFIX",
];

/// git is a requirement of these tests (CI has it): without it they fail, never pass unseen.
fn require_git() {
    let output = Command::new("git").arg("--version").output();
    assert!(
        output.as_ref().is_ok_and(|o| o.status.success()),
        "these tests need the `git` program: {output:?}"
    );
}

/// Runs git in `dir` for the test's own setup and checks; panics on failure.
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

/// NUL-separated output (`-z`) as a list.
fn git_list(dir: &Path, args: &[&str]) -> Vec<String> {
    git_out(dir, args)
        .split('\0')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn head(dir: &Path) -> String {
    git_out(dir, &["rev-parse", "HEAD"]).trim().to_string()
}

/// A new repository at `<temp>/<name>`, set up without any global configuration.
struct Repo {
    _temp: tempfile::TempDir,
    root: PathBuf,
}

impl Repo {
    fn new(name: &str) -> Repo {
        let temp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let root = temp.path().join(name);
        fs::create_dir_all(&root).unwrap_or_else(|e| panic!("{}: {e}", root.display()));
        git_out(&root, &["init", "-q"]);
        git_out(&root, &["config", "user.email", "t@example.invalid"]);
        git_out(&root, &["config", "user.name", "T"]);
        git_out(&root, &["config", "commit.gpgsign", "false"]);
        // A hooks directory of this repository's own, so that hooks installed by a global
        // `core.hooksPath` or template directory do not run here.
        let hooks = root.join(".git").join("test-hooks");
        fs::create_dir_all(&hooks).unwrap_or_else(|e| panic!("{}: {e}", hooks.display()));
        git_out(
            &root,
            &["config", "core.hooksPath", &hooks.to_string_lossy()],
        );
        Repo { _temp: temp, root }
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.root.join(rel);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        }
        fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        path
    }

    fn git(&self, args: &[&str]) -> String {
        git_out(&self.root, args)
    }

    /// A first commit, so that HEAD exists.
    fn with_initial_commit(self) -> Repo {
        self.write("README.md", "# models\n");
        self.git(&["add", "README.md"]);
        self.git(&["commit", "-q", "-m", "initial"]);
        self
    }

    #[cfg(unix)]
    fn hook(&self, name: &str, script: &str) {
        use std::os::unix::fs::PermissionsExt;
        let path = self.root.join(".git").join("test-hooks").join(name);
        fs::write(&path, script).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

const SESSION_V1: &str = "schema = 1\ntitle = \"Checkout service\"\n";
const SESSION_V2: &str = "schema = 1\ntitle = \"Checkout service\"\ndescription = \"v2\"\n";

#[test]
fn commits_only_the_session_file_and_leaves_other_staged_files_staged() {
    require_git();
    let repo = Repo::new("models repo ü").with_initial_commit();
    let session = repo.write("threat models/checkout ü.toml", SESSION_V1);
    repo.write("notes.txt", "unrelated work in progress\n");
    repo.git(&["add", "notes.txt"]);
    let before = head(&repo.root);

    let hash = git::commit_file(&session, "threat model: Checkout service (+1 threat)")
        .unwrap_or_else(|e| panic!("commit: {e}"));

    assert_eq!(
        hash,
        repo.git(&["rev-parse", "--short", "HEAD"]).trim(),
        "returns the new commit's short hash"
    );
    assert_eq!(
        repo.git(&["rev-parse", "HEAD~1"]).trim(),
        before,
        "exactly one new commit"
    );
    assert_eq!(
        git_list(&repo.root, &["log", "-1", "-z", "--format=", "--name-only"]),
        ["threat models/checkout ü.toml"]
    );
    let stat = repo.git(&["-c", "core.quotePath=false", "log", "-1", "--stat"]);
    assert!(stat.contains("threat models/checkout ü.toml"), "{stat}");
    assert!(!stat.contains("notes.txt"), "{stat}");
    assert!(stat.contains("1 file changed"), "{stat}");
    assert_eq!(
        git_list(&repo.root, &["diff", "--cached", "-z", "--name-only"]),
        ["notes.txt"],
        "the other file is still staged"
    );
    assert_eq!(
        git_list(&repo.root, &["status", "-z", "--porcelain=v1"]),
        ["A  notes.txt"],
        "and nothing else is pending"
    );
}

#[test]
fn a_file_name_is_never_taken_as_a_pattern() {
    require_git();
    let repo = Repo::new("repo").with_initial_commit();
    // As a glob, `[x].toml` would match `x.toml`, and `*.toml` every file.
    let other = repo.write("x.toml", "other\n");
    repo.git(&["add", "x.toml"]);
    let odd = repo.write("[x].toml", SESSION_V1);
    git::commit_file(&odd, "threat model: odd").unwrap_or_else(|e| panic!("commit: {e}"));
    let star = repo.write("*.toml", SESSION_V1);
    git::commit_file(&star, "threat model: star").unwrap_or_else(|e| panic!("commit: {e}"));
    assert_eq!(
        git_list(&repo.root, &["log", "-z", "--format=", "--name-only", "-2"]),
        ["*.toml", "[x].toml"]
    );
    assert_eq!(
        git_list(&repo.root, &["diff", "--cached", "-z", "--name-only"]),
        ["x.toml"]
    );
    assert!(other.exists());
}

#[test]
fn first_commit_in_an_empty_repository() {
    require_git();
    let repo = Repo::new("fresh");
    let session = repo.write("checkout.toml", SESSION_V1);
    assert_eq!(
        git::last_committed(&session).unwrap_or_else(|e| panic!("{e}")),
        None,
        "no commit yet"
    );
    git::commit_file(&session, "threat model: Checkout service (new)")
        .unwrap_or_else(|e| panic!("commit: {e}"));
    assert_eq!(
        git::last_committed(&session).unwrap_or_else(|e| panic!("{e}")),
        Some(SESSION_V1.to_string())
    );
    assert_eq!(repo.git(&["rev-list", "--count", "HEAD"]).trim(), "1");
}

#[test]
fn the_message_is_recorded_exactly() {
    require_git();
    let repo = Repo::new("repo").with_initial_commit();
    let session = repo.write("checkout.toml", SESSION_V1);
    let message = "threat model: Checkout “service” # ü (+3 threats, 2 mitigations due 2026-12-15)";
    git::commit_file(&session, message).unwrap_or_else(|e| panic!("commit: {e}"));
    assert_eq!(repo.git(&["log", "-1", "--format=%s"]).trim_end(), message);
    assert_eq!(repo.git(&["log", "-1", "--format=%B"]).trim_end(), message);
}

#[test]
fn an_unchanged_file_has_nothing_to_commit() {
    require_git();
    let repo = Repo::new("repo").with_initial_commit();
    let session = repo.write("checkout.toml", SESSION_V1);
    git::commit_file(&session, "threat model: first").unwrap_or_else(|e| panic!("commit: {e}"));
    let before = head(&repo.root);
    // Something else staged does not make the session file "changed".
    repo.write("notes.txt", "wip\n");
    repo.git(&["add", "notes.txt"]);

    let result = git::commit_file(&session, "threat model: again");
    assert!(
        matches!(&result, Err(GitError::NothingToCommit { path }) if path == &session),
        "{result:?}"
    );
    assert_eq!(head(&repo.root), before);
    assert_eq!(
        git_list(&repo.root, &["diff", "--cached", "-z", "--name-only"]),
        ["notes.txt"]
    );
}

#[cfg(unix)]
#[test]
fn a_failing_pre_commit_hook_stops_the_commit_with_its_output() {
    require_git();
    let repo = Repo::new("repo").with_initial_commit();
    repo.hook(
        "pre-commit",
        "#!/bin/sh\necho 'pre-commit: session has open criticals' >&2\necho 'on stdout too'\nexit 1\n",
    );
    let session = repo.write("checkout.toml", SESSION_V1);
    let before = head(&repo.root);

    let result = git::commit_file(&session, "threat model: Checkout service (+1 threat)");
    let Err(GitError::Failed {
        command,
        status,
        stderr,
    }) = &result
    else {
        panic!("expected Failed, got {result:?}");
    };
    assert!(command.starts_with("git commit -m "), "{command}");
    assert_eq!(*status, Some(1));
    assert!(
        stderr.contains("pre-commit: session has open criticals"),
        "{stderr}"
    );
    let shown = result
        .as_ref()
        .err()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(shown.contains("session has open criticals"), "{shown}");
    assert_eq!(head(&repo.root), before, "nothing committed");
}

#[cfg(unix)]
#[test]
fn a_passing_hook_runs_and_the_commit_goes_through() {
    require_git();
    let repo = Repo::new("repo").with_initial_commit();
    let marker = repo.root.join(".git").join("hook-ran");
    repo.hook(
        "pre-commit",
        &format!("#!/bin/sh\ntouch '{}'\n", marker.to_string_lossy()),
    );
    let session = repo.write("checkout.toml", SESSION_V1);
    git::commit_file(&session, "threat model: hooked").unwrap_or_else(|e| panic!("commit: {e}"));
    assert!(marker.exists(), "the pre-commit hook ran");
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s"]).trim(),
        "threat model: hooked"
    );
}

#[test]
fn show_file_and_last_committed_round_trip() {
    require_git();
    let repo = Repo::new("repo with spaces").with_initial_commit();
    let session = repo.write("sessions/säkerhet modell.toml", SESSION_V1);
    assert_eq!(
        git::last_committed(&session).unwrap_or_else(|e| panic!("{e}")),
        None,
        "untracked"
    );
    assert_eq!(
        git::show_file(&session, "HEAD").unwrap_or_else(|e| panic!("{e}")),
        None,
        "not in HEAD yet"
    );

    git::commit_file(&session, "threat model: v1").unwrap_or_else(|e| panic!("commit: {e}"));
    fs::write(&session, SESSION_V2).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        git::last_committed(&session).unwrap_or_else(|e| panic!("{e}")),
        Some(SESSION_V1.to_string()),
        "the working copy is not the last commit"
    );
    git::commit_file(&session, "threat model: v2").unwrap_or_else(|e| panic!("commit: {e}"));

    let at = |rev: &str| git::show_file(&session, rev).unwrap_or_else(|e| panic!("{rev}: {e}"));
    assert_eq!(at("HEAD"), Some(SESSION_V2.to_string()));
    assert_eq!(at("HEAD~1"), Some(SESSION_V1.to_string()));
    assert_eq!(at("HEAD~2"), None, "the initial commit did not have it");
    let first = repo.git(&["rev-parse", "HEAD~1"]);
    assert_eq!(at(first.trim()), Some(SESSION_V1.to_string()));
    assert_eq!(
        git::last_committed(&session).unwrap_or_else(|e| panic!("{e}")),
        Some(SESSION_V2.to_string())
    );

    // Through a path that is not the canonical one, from inside the sessions directory.
    let roundabout = repo
        .root
        .join("sessions")
        .join("..")
        .join("sessions")
        .join("säkerhet modell.toml");
    assert_eq!(
        git::last_committed(&roundabout).unwrap_or_else(|e| panic!("{e}")),
        Some(SESSION_V2.to_string())
    );

    // A deleted file still has its history.
    fs::remove_file(&session).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        git::show_file(&session, "HEAD~1").unwrap_or_else(|e| panic!("{e}")),
        Some(SESSION_V1.to_string())
    );
}

#[test]
fn an_unknown_revision_is_an_error_not_a_missing_file() {
    require_git();
    let repo = Repo::new("repo").with_initial_commit();
    let session = repo.write("checkout.toml", SESSION_V1);
    git::commit_file(&session, "threat model: v1").unwrap_or_else(|e| panic!("commit: {e}"));
    for rev in ["no-such-branch", "HEAD~5", "--output=/tmp/x", ""] {
        let result = git::show_file(&session, rev);
        assert!(
            matches!(result, Err(GitError::Failed { .. })),
            "{rev:?}: {result:?}"
        );
    }
}

#[test]
fn work_tree_finds_the_root() {
    require_git();
    let repo = Repo::new("root ü").with_initial_commit();
    let session = repo.write("deep/er dir/checkout.toml", SESSION_V1);
    let canonical = |p: &Path| fs::canonicalize(p).unwrap_or_else(|e| panic!("{e}"));
    let expected = canonical(&repo.root);
    for path in [
        session.clone(),
        session.parent().map(Path::to_path_buf).unwrap_or_default(),
        repo.root.clone(),
        repo.root.join("not yet written.toml"),
    ] {
        let found = git::work_tree(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .unwrap_or_else(|| panic!("{}: no work tree", path.display()));
        assert_eq!(canonical(&found), expected, "{}", path.display());
    }
    // Inside `.git` there is no work tree.
    assert_eq!(
        git::work_tree(&repo.root.join(".git")).unwrap_or_else(|e| panic!("{e}")),
        None
    );
}

#[test]
fn outside_any_repository() {
    require_git();
    let temp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let probe = Command::new("git")
        .arg("-C")
        .arg(temp.path())
        .args(["rev-parse", "--git-dir"])
        .output()
        .unwrap_or_else(|e| panic!("git: {e}"));
    if probe.status.success() {
        eprintln!("the temporary directory is inside a git repository: skipping");
        return;
    }
    let dir = temp.path().join("no repo here");
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let session = dir.join("checkout.toml");
    fs::write(&session, SESSION_V1).unwrap_or_else(|e| panic!("{e}"));

    assert_eq!(git::work_tree(&dir).unwrap_or_else(|e| panic!("{e}")), None);
    assert_eq!(
        git::work_tree(&session).unwrap_or_else(|e| panic!("{e}")),
        None
    );
    for result in [
        git::commit_file(&session, "threat model: x").map(|_| ()),
        git::show_file(&session, "HEAD").map(|_| ()),
        git::last_committed(&session).map(|_| ()),
    ] {
        assert!(
            matches!(&result, Err(GitError::NotARepository { path }) if path == &session),
            "{result:?}"
        );
    }
}

/// The index as `git ls-files --stage` lists it: every path, mode, object and stage.
fn index_entries(dir: &Path) -> Vec<String> {
    git_list(dir, &["ls-files", "--stage", "-z"])
}

#[cfg(unix)]
#[test]
fn a_refused_commit_leaves_the_index_exactly_as_it_was() {
    // No skip when git is missing: git_out fails the test.
    let repo = Repo::new("repo").with_initial_commit();
    repo.hook(
        "pre-commit",
        "#!/bin/sh\necho 'pre-commit: no commits today' >&2\nexit 1\n",
    );
    repo.write("notes.txt", "wip\n");
    repo.git(&["add", "notes.txt"]);

    // A new file, not in the index yet.
    let session = repo.write("checkout.toml", SESSION_V1);
    let before = index_entries(&repo.root);
    let result = git::commit_file(&session, "threat model: new");
    assert!(matches!(result, Err(GitError::Failed { .. })), "{result:?}");
    assert_eq!(
        index_entries(&repo.root),
        before,
        "the new file is not left staged"
    );
    assert_eq!(
        git_list(&repo.root, &["diff", "--cached", "-z", "--name-only"]),
        ["notes.txt"]
    );

    // A tracked file with one version staged and another in the working tree.
    fs::remove_file(repo.root.join(".git/test-hooks/pre-commit")).expect("remove hook");
    git::commit_file(&session, "threat model: first").unwrap_or_else(|e| panic!("commit: {e}"));
    repo.write("checkout.toml", SESSION_V2);
    repo.git(&["add", "checkout.toml"]);
    repo.write(
        "checkout.toml",
        "schema = 1\ntitle = \"Checkout service\"\ndescription = \"v3\"\n",
    );
    repo.hook("pre-commit", "#!/bin/sh\necho 'still no' >&2\nexit 1\n");
    let before = index_entries(&repo.root);
    let result = git::commit_file(&session, "threat model: v3");
    assert!(matches!(result, Err(GitError::Failed { .. })), "{result:?}");
    assert_eq!(
        index_entries(&repo.root),
        before,
        "the staged version is still the one the user staged"
    );
    assert_eq!(
        repo.git(&["show", ":checkout.toml"]),
        SESSION_V2,
        "the index still holds v2"
    );
}

#[test]
fn a_detached_head_is_recognised() {
    let repo = Repo::new("repo").with_initial_commit();
    let session = repo.write("checkout.toml", SESSION_V1);
    assert!(!git::detached_head(&session).unwrap_or_else(|e| panic!("{e}")));
    repo.git(&["checkout", "-q", "--detach"]);
    assert!(git::detached_head(&session).unwrap_or_else(|e| panic!("{e}")));
}
