//! Committing a session file with the `git` command the user already has.
//!
//! Git is always run as a program with an argument list (never through a shell, never
//! re-implemented), so the user's hooks, signing settings, identity and aliases all apply exactly
//! as they would for a `git commit` typed by hand. Nothing here passes `--no-verify` or `-c`.
//!
//! Every call names the repository through the file's own directory (`git -C <dir>`). The
//! variables that would point git at some other repository or index (`GIT_DIR`, `GIT_INDEX_FILE`,
//! ... as set, for instance, while a git hook runs this program) are removed for those calls, so
//! "the repository containing this file" means just that.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("git is not installed (no `git` program on the PATH)")]
    NotInstalled,
    #[error("{}: not inside a git work tree", super::display_path(path))]
    NotARepository { path: PathBuf },
    #[error("{}: no changes to commit", super::display_path(path))]
    NothingToCommit { path: PathBuf },
    /// Git ran and refused: a failing hook, a merge in progress, a bad revision... `stderr` is
    /// what git (or the hook) said, as is; escape it before showing it in a terminal.
    #[error("`{command}` failed{}: {stderr}", exit_status(*status))]
    Failed {
        command: String,
        status: Option<i32>,
        stderr: String,
    },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// `" (exit status 1)"`; nothing when git was killed by a signal or never ran.
fn exit_status(status: Option<i32>) -> String {
    status
        .map(|code| format!(" (exit status {code})"))
        .unwrap_or_default()
}

/// Environment variables that would make git look somewhere other than the repository
/// containing the path it is given.
const REPOSITORY_VARIABLES: [&str; 7] = [
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_PREFIX",
];

const GIT: &str = "git";

/// The root of the work tree containing `path` (a file, which need not exist yet, or a
/// directory), or `None` if it is in no repository, or in a `.git` directory or bare repository.
pub fn work_tree(path: &Path) -> Result<Option<PathBuf>, GitError> {
    let dir = existing_dir(path)?;
    let mut command = git_in(&dir);
    command.args(["rev-parse", "--show-toplevel"]);
    // Only to recognise "not a repository" below; this command runs no hooks.
    command.env("LC_ALL", "C").env_remove("LANGUAGE");
    let output = run(command)?;
    if output.status.success() {
        return Ok(Some(path_from_bytes(trim_newline(&output.stdout))));
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.code() == Some(128)
        && (stderr.contains("not a git repository")
            || stderr.contains("must be run in a work tree"))
    {
        return Ok(None);
    }
    Err(failed(&["rev-parse", "--show-toplevel"], &output))
}

/// Commits exactly this one file, with `message`, whatever else is staged: `git add -- <file>`,
/// then `git commit -m <message> --only -- <file>`. Other staged changes stay staged and out of
/// the commit. Hooks and signing run as configured. Returns the new commit's short hash. When
/// no commit is made (a hook refused, nothing changed...), the file's index entry is put back
/// as it was, so the index is left exactly as before.
///
/// [`GitError::NothingToCommit`] if the file is the same as in `HEAD`.
pub fn commit_file(path: &Path, message: &str) -> Result<String, GitError> {
    let file = locate(path)?;
    // Literal: a file named `[a].toml` or `:x.toml` must not act as a pattern or magic. (Not
    // `--literal-pathspecs`, which would reach the hooks through the environment.)
    let mut pathspec = OsString::from(":(literal)");
    pathspec.push(&file.rel_slash);
    let rel = pathspec.as_os_str();

    // The file's index entries as they are, to put back if the commit does not happen: a
    // refused commit must leave the index as the user had it, not with the file staged.
    let stage: [&OsStr; 5] = [
        "ls-files".as_ref(),
        "--stage".as_ref(),
        "-z".as_ref(),
        "--".as_ref(),
        rel,
    ];
    let before = check(&file.root, &stage)?.stdout;
    let result = add_and_commit(&file, rel, path, message);
    if result.is_err() {
        // Best effort: the commit's own error is the one to report.
        let _ = restore_index_entry(&file, &before);
    }
    result
}

/// Puts back the file's index entries as `git ls-files --stage -z` listed them (none: the file
/// was not in the index).
fn restore_index_entry(file: &Located, entries: &[u8]) -> Result<(), GitError> {
    let remove: [&OsStr; 4] = [
        "update-index".as_ref(),
        "--force-remove".as_ref(),
        "--".as_ref(),
        &file.rel_slash,
    ];
    check(&file.root, &remove)?;
    if entries.is_empty() {
        return Ok(());
    }
    // `ls-files --stage` lines are what `update-index --index-info` reads, conflict stages too.
    let mut command = git_in_args(
        &file.root,
        &[
            "update-index".as_ref(),
            "-z".as_ref(),
            "--index-info".as_ref(),
        ],
    );
    command.stdin(Stdio::piped());
    let mut child = command.spawn().map_err(spawn_error)?;
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        stdin.write_all(entries)?;
    }
    let output = child.wait_with_output()?;
    if output.status.success() {
        Ok(())
    } else {
        Err(failed(&["update-index", "-z", "--index-info"], &output))
    }
}

fn add_and_commit(
    file: &Located,
    rel: &OsStr,
    path: &Path,
    message: &str,
) -> Result<String, GitError> {
    let add: [&OsStr; 3] = ["add".as_ref(), "--".as_ref(), rel];
    check(&file.root, &add)?;

    // Compared with HEAD (or with nothing, before the first commit) after the add, so the
    // index holds exactly the working-tree file. Exit 1 means "differs".
    let diff: [&OsStr; 6] = [
        "diff".as_ref(),
        "--cached".as_ref(),
        "--quiet".as_ref(),
        "--no-ext-diff".as_ref(),
        "--".as_ref(),
        rel,
    ];
    let output = run_in(&file.root, &diff)?;
    match output.status.code() {
        Some(0) => {
            return Err(GitError::NothingToCommit {
                path: path.to_path_buf(),
            });
        }
        Some(1) => {}
        _ => return Err(failed(&diff, &output)),
    }

    let commit: [&OsStr; 6] = [
        "commit".as_ref(),
        "-m".as_ref(),
        message.as_ref(),
        "--only".as_ref(),
        "--".as_ref(),
        rel,
    ];
    check(&file.root, &commit)?;

    let head: [&OsStr; 4] = [
        "rev-parse".as_ref(),
        "--short".as_ref(),
        "--verify".as_ref(),
        "HEAD".as_ref(),
    ];
    let output = check(&file.root, &head)?;
    Ok(String::from_utf8_lossy(trim_newline(&output.stdout)).into_owned())
}

/// Whether the repository holding `path` has a detached HEAD: a commit there belongs to no
/// branch, and is easily lost when another commit is checked out.
pub fn detached_head(path: &Path) -> Result<bool, GitError> {
    let file = locate(path)?;
    let args: [&OsStr; 3] = ["symbolic-ref".as_ref(), "-q".as_ref(), "HEAD".as_ref()];
    let output = run_in(&file.root, &args)?;
    match output.status.code() {
        Some(0) => Ok(false),
        Some(1) => Ok(true),
        _ => Err(failed(&args, &output)),
    }
}

/// The file's content at revision `rev` (`git show <rev>:<path>`), or `None` if the file does
/// not exist there. An unknown revision is an error.
pub fn show_file(path: &Path, rev: &str) -> Result<Option<String>, GitError> {
    let file = locate(path)?;
    show(&file, rev)
}

/// The full hash of the commit `rev` names, in the repository holding `path`.
pub fn commit_hash(path: &Path, rev: &str) -> Result<String, GitError> {
    let file = locate(path)?;
    if rev.is_empty() || rev.starts_with('-') {
        return Err(GitError::Failed {
            command: render(&["rev-parse", rev]),
            status: None,
            stderr: format!("not a revision: {rev:?}"),
        });
    }
    let mut commit = OsString::from(rev);
    commit.push("^{commit}");
    let verify: [&OsStr; 4] = [
        "rev-parse".as_ref(),
        "--quiet".as_ref(),
        "--verify".as_ref(),
        &commit,
    ];
    let output = check(&file.root, &verify)?;
    Ok(String::from_utf8_lossy(trim_newline(&output.stdout)).into_owned())
}

/// The file's content in `HEAD`, the last commit; `None` if it is not committed (untracked, newly
/// added, or no commit yet).
pub fn last_committed(path: &Path) -> Result<Option<String>, GitError> {
    let file = locate(path)?;
    let verify: [&OsStr; 4] = [
        "rev-parse".as_ref(),
        "--quiet".as_ref(),
        "--verify".as_ref(),
        "HEAD^{commit}".as_ref(),
    ];
    if !run_in(&file.root, &verify)?.status.success() {
        return Ok(None); // An unborn branch: nothing committed yet.
    }
    show(&file, "HEAD")
}

fn show(file: &Located, rev: &str) -> Result<Option<String>, GitError> {
    // One that looks like an option is refused outright: `git show` would take it for one.
    if rev.is_empty() || rev.starts_with('-') {
        return Err(GitError::Failed {
            command: render(&["show", &format!("{rev}:...")]),
            status: None,
            stderr: format!("not a revision: {rev:?}"),
        });
    }
    // The revision first, so that a bad one is an error rather than a missing file.
    let mut commit = OsString::from(rev);
    commit.push("^{commit}");
    let verify: [&OsStr; 4] = [
        "rev-parse".as_ref(),
        "--quiet".as_ref(),
        "--verify".as_ref(),
        &commit,
    ];
    let output = run_in(&file.root, &verify)?;
    if !output.status.success() {
        return Err(GitError::Failed {
            command: render(&verify),
            status: output.status.code(),
            stderr: format!("unknown revision {rev:?}"),
        });
    }

    let mut object = OsString::from(rev);
    object.push(":");
    object.push(&file.rel_slash);
    let exists: [&OsStr; 3] = ["cat-file".as_ref(), "-e".as_ref(), &object];
    if !run_in(&file.root, &exists)?.status.success() {
        return Ok(None);
    }
    let show: [&OsStr; 2] = ["show".as_ref(), &object];
    let output = check(&file.root, &show)?;
    String::from_utf8(output.stdout).map(Some).map_err(|_| {
        GitError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "{}: the version at {rev} is not UTF-8 text",
                super::display_path(&file.rel)
            ),
        ))
    })
}

/// The trailer an app commit carries when it records a run (`Threatboard-Run: 2026-12-05`), so
/// that `rerun` can find the session as it was at its last run.
pub const RUN_TRAILER: &str = "Threatboard-Run";

/// `message` with the run trailer for `date` after a blank line, as `git interpret-trailers`
/// writes trailers; unchanged if it names that run already.
pub fn with_run_trailer(message: &str, date: &str) -> String {
    let trailer = format!("{RUN_TRAILER}: {date}");
    if message.lines().any(|l| l.trim() == trailer) {
        return message.to_string();
    }
    format!("{}\n\n{trailer}", message.trim_end())
}

/// A commit that changed a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCommit {
    /// The full hash.
    pub hash: String,
    /// The author date, `YYYY-MM-DD` in the author's time zone (a rebase keeps it).
    pub date: String,
    /// The values of its [`RUN_TRAILER`] trailers.
    pub runs: Vec<String>,
    /// The file's path in that commit, from the work tree's root with `/` (it may have been
    /// renamed since).
    pub path: String,
}

/// The commits that changed the file, newest first, following renames; empty before the first
/// commit.
pub fn file_history(path: &Path) -> Result<Vec<FileCommit>, GitError> {
    let file = locate(path)?;
    let verify: [&OsStr; 4] = [
        "rev-parse".as_ref(),
        "--quiet".as_ref(),
        "--verify".as_ref(),
        "HEAD^{commit}".as_ref(),
    ];
    if !run_in(&file.root, &verify)?.status.success() {
        return Ok(Vec::new()); // An unborn branch: no history yet.
    }
    let mut pathspec = OsString::from(":(literal)");
    pathspec.push(&file.rel_slash);
    let format =
        format!("--format=%x1e%H%x1f%as%x1f%(trailers:key={RUN_TRAILER},valueonly,separator=%x1d)");
    let log: [&OsStr; 8] = [
        "log".as_ref(),
        "--follow".as_ref(),
        "--name-only".as_ref(),
        "-z".as_ref(),
        "--no-color".as_ref(),
        format.as_ref(),
        "--".as_ref(),
        &pathspec,
    ];
    let output = check(&file.root, &log)?;
    Ok(parse_history(&output.stdout))
}

/// Reads `git log -z --name-only` with the format of [`file_history`]: records start with 0x1e;
/// the hash, date and trailers are split by 0x1f, trailer values by 0x1d; the path follows
/// after NUL bytes.
fn parse_history(bytes: &[u8]) -> Vec<FileCommit> {
    let text = String::from_utf8_lossy(bytes);
    text.split('\u{1e}')
        .filter_map(|record| {
            let mut parts = record.splitn(3, '\u{1f}');
            let hash = parts.next()?.trim().to_string();
            let date = parts.next()?.trim().to_string();
            let rest = parts.next().unwrap_or("");
            // The trailers end at the first NUL or newline; the path is the next non-empty part.
            let (trailers, names) = rest.split_once(['\0', '\n']).unwrap_or((rest, ""));
            let runs = trailers
                .split('\u{1d}')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(String::from)
                .collect();
            let path = names
                .split(['\0', '\n'])
                .map(str::trim)
                .find(|p| !p.is_empty())
                .unwrap_or("")
                .to_string();
            (hash.len() >= 4 && hash.bytes().all(|b| b.is_ascii_hexdigit())).then_some(FileCommit {
                hash,
                date,
                runs,
                path,
            })
        })
        .collect()
}

/// The file's content in `commit` (at its path there), or `None` if it is not there.
pub fn show_in_commit(path: &Path, commit: &FileCommit) -> Result<Option<String>, GitError> {
    let mut file = locate(path)?;
    if !commit.path.is_empty() {
        file.rel_slash = OsString::from(&commit.path);
        file.rel = PathBuf::from(&commit.path);
    }
    show(&file, &commit.hash)
}

/// A file inside a work tree.
struct Located {
    root: PathBuf,
    /// Relative to the root, for messages.
    rel: PathBuf,
    /// Relative to the root with `/` separators, for pathspecs and `<rev>:<path>`.
    rel_slash: OsString,
}

fn locate(path: &Path) -> Result<Located, GitError> {
    let not_a_file = || {
        GitError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{}: not a file path", super::display_path(path)),
        ))
    };
    let name = path.file_name().ok_or_else(not_a_file)?;
    if path.is_dir() {
        return Err(not_a_file());
    }
    let dir = parent_dir(path);
    let Some(root) = work_tree(&dir)? else {
        return Err(GitError::NotARepository {
            path: path.to_path_buf(),
        });
    };
    // The directory's place in the work tree, as git sees it (no need to canonicalize paths,
    // which may differ in symlinks or case from git's view).
    let prefix_args: [&OsStr; 2] = ["rev-parse".as_ref(), "--show-prefix".as_ref()];
    let output = run(git_in_args(&dir, &prefix_args))?;
    if !output.status.success() {
        return Err(failed(&prefix_args, &output));
    }
    let prefix = path_from_bytes(trim_newline(&output.stdout));
    let rel = prefix.join(name);
    let mut rel_slash = OsString::new();
    for (i, part) in rel.components().enumerate() {
        if i > 0 {
            rel_slash.push("/");
        }
        rel_slash.push(part.as_os_str());
    }
    Ok(Located {
        root,
        rel,
        rel_slash,
    })
}

/// The directory to run git in for `path`: itself if it is a directory, else its parent.
fn existing_dir(path: &Path) -> Result<PathBuf, GitError> {
    let dir = if path.is_dir() {
        path.to_path_buf()
    } else {
        parent_dir(path)
    };
    if dir.is_dir() {
        Ok(dir)
    } else {
        Err(GitError::Io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{}: no such directory", super::display_path(&dir)),
        )))
    }
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn git_in(dir: &Path) -> Command {
    program_in(GIT, dir)
}

fn program_in(program: &str, dir: &Path) -> Command {
    let mut command = Command::new(program);
    command.arg("-C").arg(dir);
    for name in REPOSITORY_VARIABLES {
        command.env_remove(name);
    }
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn git_in_args(dir: &Path, args: &[&OsStr]) -> Command {
    let mut command = git_in(dir);
    command.args(args);
    command
}

fn run(mut command: Command) -> Result<Output, GitError> {
    command.output().map_err(spawn_error)
}

fn spawn_error(error: std::io::Error) -> GitError {
    if error.kind() == std::io::ErrorKind::NotFound {
        GitError::NotInstalled
    } else {
        GitError::Io(error)
    }
}

fn run_in(root: &Path, args: &[&OsStr]) -> Result<Output, GitError> {
    run(git_in_args(root, args))
}

/// Runs git and turns a non-zero exit into [`GitError::Failed`].
fn check(root: &Path, args: &[&OsStr]) -> Result<Output, GitError> {
    let output = run_in(root, args)?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(failed(args, &output))
    }
}

/// What git said: its error output, or its standard output if it wrote nothing there (`git
/// commit` reports some refusals on standard output). Hooks' output is on standard error.
fn failed<S: AsRef<OsStr>>(args: &[S], output: &Output) -> GitError {
    let mut said = String::from_utf8_lossy(&output.stderr)
        .trim_end()
        .to_string();
    if said.trim().is_empty() {
        said = String::from_utf8_lossy(&output.stdout)
            .trim_end()
            .to_string();
    }
    GitError::Failed {
        command: render(args),
        status: output.status.code(),
        stderr: said,
    }
}

/// `git commit -m "threat model: X" --only -- sessions/x.toml`, for messages (the `-C <root>`
/// is left out: the path in the message already says where).
fn render<S: AsRef<OsStr>>(args: &[S]) -> String {
    let mut text = String::from(GIT);
    for arg in args {
        let arg = arg.as_ref().to_string_lossy();
        text.push(' ');
        if arg.is_empty()
            || arg
                .chars()
                .any(|c| c.is_whitespace() || c == '"' || c == '\'')
        {
            text.push_str(&format!("{arg:?}"));
        } else {
            text.push_str(&arg);
        }
    }
    text
}

fn trim_newline(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    bytes.strip_suffix(b"\r").unwrap_or(bytes)
}

#[cfg(unix)]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_trailer_follows_a_blank_line_once() {
        assert_eq!(
            with_run_trailer("threat model: X\n", "2026-12-05"),
            "threat model: X\n\nThreatboard-Run: 2026-12-05"
        );
        let once = with_run_trailer("m", "2026-12-05");
        assert_eq!(with_run_trailer(&once, "2026-12-05"), once);
    }

    #[test]
    fn history_records_are_read_with_their_trailers_and_paths() {
        let log = b"\x1eaaaa1111\x1f2026-12-05\x1f2026-12-05\x1d2026-12-04\n\0s/new.toml\0\x1ebbbb2222\x1f2026-11-20\x1f\n\0s/old.toml\0";
        let history = parse_history(log);
        assert_eq!(history.len(), 2, "{history:?}");
        assert_eq!(history[0].hash, "aaaa1111");
        assert_eq!(history[0].runs, ["2026-12-05", "2026-12-04"]);
        assert_eq!(history[0].path, "s/new.toml");
        assert_eq!(history[1].date, "2026-11-20");
        assert!(history[1].runs.is_empty());
        assert_eq!(history[1].path, "s/old.toml");
        assert!(parse_history(b"").is_empty());
    }

    #[test]
    fn a_missing_git_program_is_not_installed() {
        let mut command = program_in("threatboard-test-no-such-program-3f9a", Path::new("."));
        command.arg("--version");
        assert!(matches!(run(command), Err(GitError::NotInstalled)));
        assert!(matches!(
            spawn_error(std::io::Error::from(std::io::ErrorKind::PermissionDenied)),
            GitError::Io(_)
        ));
    }

    #[test]
    fn commands_are_rendered_readably() {
        let args: [&OsStr; 6] = [
            "commit".as_ref(),
            "-m".as_ref(),
            "threat model: X (+1 threat)".as_ref(),
            "--only".as_ref(),
            "--".as_ref(),
            "threat models/x.toml".as_ref(),
        ];
        assert_eq!(
            render(&args),
            "git commit -m \"threat model: X (+1 threat)\" --only -- \"threat models/x.toml\""
        );
        assert_eq!(render(&["show", "HEAD:a.toml"]), "git show HEAD:a.toml");
    }

    #[test]
    fn failure_messages() {
        let error = GitError::Failed {
            command: "git commit".into(),
            status: Some(1),
            stderr: "hook says no".into(),
        };
        assert_eq!(
            error.to_string(),
            "`git commit` failed (exit status 1): hook says no"
        );
        let error = GitError::NotARepository {
            path: "/tmp/x.toml".into(),
        };
        assert_eq!(error.to_string(), "/tmp/x.toml: not inside a git work tree");
    }

    #[test]
    fn output_lines_lose_only_their_newline() {
        assert_eq!(trim_newline(b"/a b/c\n"), b"/a b/c");
        assert_eq!(trim_newline(b"C:/x\r\n"), b"C:/x");
        assert_eq!(trim_newline(b"sub dir/ \n"), b"sub dir/ ");
        assert_eq!(trim_newline(b""), b"");
    }

    #[test]
    fn a_directory_is_not_a_file_to_commit() {
        let dir = std::env::temp_dir();
        assert!(matches!(
            commit_file(&dir, "m"),
            Err(GitError::Io(e)) if e.kind() == std::io::ErrorKind::InvalidInput
        ));
    }

    #[test]
    fn a_missing_directory_is_reported() {
        let path = Path::new("/threatboard-test-no-such-dir-3f9a/x.toml");
        assert!(matches!(
            work_tree(path),
            Err(GitError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound
        ));
    }
}
