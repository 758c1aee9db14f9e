//! `threatboard new` and `threatboard validate`.

use super::{EXIT_PROBLEMS, EXIT_UNREADABLE};
use crate::model::{text::escape_control, validate as validate_session};
use crate::store;
use std::path::{Path, PathBuf};

use std::process::ExitCode;

/// Creates `<dir>/<slug>.toml` for a new session, refusing to overwrite, and opens it when
/// run in a terminal.
pub fn new(title: &str, dir: &Path, no_open: bool, library_dirs: &[PathBuf]) -> ExitCode {
    match store::create_session(title, dir) {
        Ok(path) => {
            println!("created {}", store::display_path(&path));
            if no_open || !interactive() {
                ExitCode::SUCCESS
            } else {
                open(&path, None, library_dirs)
            }
        }
        Err(message) => {
            eprintln!("threatboard new: {message}");
            ExitCode::from(EXIT_UNREADABLE)
        }
    }
}

/// Library references that name no loaded entry: a typo, or a library the team forgot to ship
/// beside its sessions.
fn unknown_refs(
    session: &crate::model::Session,
    libraries: &crate::library::LibrarySet,
) -> Vec<crate::model::Problem> {
    use crate::model::{Location, Problem, Table};
    let mut out = Vec::new();
    for (i, t) in session.threats.iter().enumerate() {
        for r in &t.refs {
            let Some((library, _)) = r.parts() else {
                continue; // malformed references are reported by validation already
            };
            if libraries.get(r).is_some() {
                continue;
            }
            let message = if libraries.library(library).is_none() {
                format!(
                    "library reference {:?}: no library {library:?} is loaded (add its file to libraries/ beside the session, or use --library-dir)",
                    r.as_str()
                )
            } else {
                format!(
                    "library reference {:?}: no such entry in {library:?}",
                    r.as_str()
                )
            };
            out.push(Problem {
                location: Location::entry(Table::Threats, i, t.id.as_str(), Some("refs")),
                message,
            });
        }
    }
    out
}

fn interactive() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal() && std::io::stdout().is_terminal()
}

fn run_tui(launch: crate::tui::Launch<'_>, library_dirs: &[PathBuf]) -> ExitCode {
    run_tui_with(launch, library_dirs, crate::tui::RunOptions::default())
}

fn run_tui_with(
    launch: crate::tui::Launch<'_>,
    library_dirs: &[PathBuf],
    options: crate::tui::RunOptions,
) -> ExitCode {
    if !interactive() {
        eprintln!(
            "threatboard: the app needs a terminal; for scripts use validate, check or report"
        );
        return ExitCode::from(EXIT_UNREADABLE);
    }
    match crate::tui::run_with(launch, library_dirs, options) {
        Ok(crate::tui::Ended::Quit) => ExitCode::SUCCESS,
        // As a shell reports a process a signal ended: 143 for SIGTERM, 129 for SIGHUP.
        Ok(crate::tui::Ended::Signal(signal)) => {
            ExitCode::from(u8::try_from(128 + signal).unwrap_or(u8::MAX))
        }
        Err(e) => {
            // The terminal may be gone (hung up): a failed print must not panic.
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "threatboard: terminal error: {e}");
            ExitCode::from(EXIT_UNREADABLE)
        }
    }
}

/// Opens a session file in the app, shared from launch on `share` when given.
pub fn open(path: &Path, share: Option<String>, library_dirs: &[PathBuf]) -> ExitCode {
    if let Err(e @ store::autosave::LockError::Held(_)) = store::autosave::lock(path) {
        eprintln!("{}: {e}; close it there first", store::display_path(path));
        return ExitCode::from(EXIT_UNREADABLE);
    }
    match store::load(path) {
        Ok(loaded) => run_tui_with(
            crate::tui::Launch::Open(Box::new(loaded)),
            library_dirs,
            crate::tui::RunOptions { share },
        ),
        Err(e) => {
            eprintln!("{}", escape_control(&e.to_string()));
            ExitCode::from(EXIT_UNREADABLE)
        }
    }
}

/// `rerun`: the diff against a baseline (a git revision, the last commit, or a file), the
/// affected threats marked needs-review, and the app opened at "what changed".
pub fn rerun(
    path: &Path,
    since: Option<&str>,
    baseline: Option<&Path>,
    library_dirs: &[PathBuf],
) -> ExitCode {
    let fail = |message: String| {
        eprintln!("{}", escape_control(&message));
        ExitCode::from(EXIT_UNREADABLE)
    };
    if let Err(e @ store::autosave::LockError::Held(_)) = store::autosave::lock(path) {
        return fail(format!(
            "{}: {e}; close it there first",
            store::display_path(path)
        ));
    }
    let loaded = match store::load(path) {
        Ok(loaded) => loaded,
        Err(e) => return fail(e.to_string()),
    };
    // The baseline's text, what to call it, and the commit a new run records (if any).
    let (text, label, commit) = match (baseline, since) {
        (Some(file), _) => match store::read_input(file, store::InputKind::SESSION) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => (text, store::display_path(file), String::new()),
                Err(_) => {
                    return fail(format!(
                        "{}: not a text file: it is not UTF-8 (is this a session file?)",
                        store::display_path(file)
                    ));
                }
            },
            Err(e) => return fail(e.to_string()),
        },
        (None, Some(rev)) => match store::git::show_file(path, rev) {
            Ok(Some(text)) => {
                let commit = store::git::commit_hash(path, rev)
                    .map(|h| h.chars().take(12).collect())
                    .unwrap_or_default();
                (text, format!("{}@{rev}", store::display_path(path)), commit)
            }
            Ok(None) => {
                return fail(format!(
                    "{}: not in git at {rev}; commit it first, or give an earlier copy with --baseline <file>",
                    store::display_path(path)
                ));
            }
            Err(e) => {
                return fail(format!(
                    "{}: no git baseline ({e}); give an earlier copy with --baseline <file>",
                    store::display_path(path)
                ));
            }
        },
        // By default, the session as it was at its last recorded run.
        (None, None) => match store::run_baseline::find(path, &loaded.session) {
            Ok(Some(found)) => {
                let commit = found.recorded_hash();
                (found.text.clone(), found.describe(), commit)
            }
            Ok(None) => {
                return fail(format!(
                    "{}: not committed in git yet; commit it first, or give an earlier copy with --baseline <file>",
                    store::display_path(path)
                ));
            }
            Err(e) => {
                return fail(format!(
                    "{}: no git baseline ({e}); give an earlier copy with --baseline <file>",
                    store::display_path(path)
                ));
            }
        },
    };
    let old = match store::parse(&text) {
        Ok((session, _)) => session,
        Err(e) => return fail(format!("{label}:{}: {}", e.at, e.message)),
    };
    let diff = crate::analysis::diff::diff(&old, &loaded.session);
    let marked = crate::analysis::diff::mark_needs_review(&loaded.session, &diff);
    let report = if diff.is_empty() {
        format!("Nothing changed since {label}.")
    } else {
        format!("Compared with {label}\n\n{}", diff.to_text())
    };
    let flagged = diff
        .affected
        .iter()
        .map(|a| {
            let why = a.reasons.join("; ");
            (a.id.to_string(), why)
        })
        .collect();
    run_tui(
        crate::tui::Launch::Rerun {
            loaded: Box::new(loaded),
            marked: Box::new(marked),
            rerun: Box::new(crate::tui::Rerun {
                report,
                trigger: diff.trigger(),
                baseline: commit,
                flagged,
            }),
        },
        library_dirs,
    )
}

/// The start screen over a sessions directory.
pub fn start_screen(dir: &Path, library_dirs: &[PathBuf]) -> ExitCode {
    run_tui(crate::tui::Launch::Start(dir), library_dirs)
}

/// Validates each file; prints every problem as `file:line:col: message`.
pub fn validate(files: &[PathBuf], library_dirs: &[PathBuf]) -> ExitCode {
    let mut unreadable = false;
    let mut problems_found = false;
    for path in files {
        let loaded = match store::load(path) {
            Ok(loaded) => loaded,
            Err(e) => {
                eprintln!("{}", escape_control(&e.to_string()));
                unreadable = true;
                continue;
            }
        };
        let mut problems = validate_session(&loaded.session);
        match crate::library::load_for_session(Some(path), library_dirs) {
            Ok(libraries) => problems.extend(unknown_refs(&loaded.session, &libraries)),
            Err(e) => {
                // One problem per line: escaping the joined text would print a literal "\n".
                for p in &e.problems {
                    eprintln!("{}", escape_control(&p.to_string()));
                }
                unreadable = true;
            }
        }
        // The project config is read here too, so a typo in it shows before CI runs `check`.
        if let Err(e) = crate::config::for_session(path) {
            eprintln!("{e}");
            unreadable = true;
        }
        if problems.is_empty() {
            let s = &loaded.session;
            // A closed pipe is already quiet, a failed write already said on standard error.
            let _ = super::print_stdout(&format!(
                "{}: ok ({} boundaries, {} components, {} flows, {} threats, {} mitigations)\n",
                store::display_path(path),
                s.boundaries.len(),
                s.components.len(),
                s.flows.len(),
                s.threats.len(),
                s.mitigations.len()
            ));
        } else {
            problems_found = true;
            // In file order, as a person reads and fixes them.
            let mut lines: Vec<_> = problems
                .iter()
                .map(|p| (loaded.positions.locate(&p.location), loaded.describe(p)))
                .collect();
            lines.sort_by_key(|(at, _)| *at);
            for (_, line) in &lines {
                eprintln!("{}", escape_control(line));
            }
            eprintln!(
                "{}: {} problem{}",
                store::display_path(path),
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            );
        }
    }
    if unreadable {
        ExitCode::from(EXIT_UNREADABLE)
    } else if problems_found {
        ExitCode::from(EXIT_PROBLEMS)
    } else {
        ExitCode::SUCCESS
    }
}
