//! `threatboard export`: a session in another tool's format, one subcommand per format (the
//! mappings are described in [`crate::interop`]). Every export refuses an invalid session
//! (exit 1, problems listed at file:line:col) and unreadable input (exit 2). `export issues` writes the mitigations still
//! without a ticket for a tracker ([`crate::interop::issues`]); `set-ticket` (in [`set_ticket`])
//! writes the tracker's key back.

use super::{EXIT_PROBLEMS, EXIT_UNREADABLE};
use crate::interop::{issues, otm, threat_dragon, tm_bom};
use crate::model::edit::{Edit, Item};
use crate::model::{Session, text::escape_control, validate};
use crate::store;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum IssueFormat {
    /// CSV for Jira's CSV importer (Summary, Description, Assignee, Due Date, Labels, Priority).
    JiraCsv,
    /// A JSON array of bodies for GitHub's `POST /repos/{owner}/{repo}/issues`.
    GithubJson,
}

#[derive(Debug, clap::Subcommand)]
pub enum ExportCommand {
    /// Export a session as an Open Threat Model (OTM 0.2.0) JSON file.
    Otm {
        /// The session file (TOML).
        #[arg(value_name = "SESSION")]
        session: PathBuf,
        /// Write here instead of standard output (atomically; `-` is standard output).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Export a session as an OWASP Threat Model Library (TM-BOM 1.0.x) JSON file.
    TmBom {
        /// The session file (TOML).
        #[arg(value_name = "SESSION")]
        session: PathBuf,
        /// Write here instead of standard output (atomically; `-` is standard output).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Export a session as an OWASP Threat Dragon (version 2) model, laid out for its editor.
    ThreatDragon {
        /// The session file (TOML).
        #[arg(value_name = "SESSION")]
        session: PathBuf,
        /// Write the model here (atomically); standard output without it or with `-`.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// The mitigations without a ticket, one issue each, for a tracker.
    Issues {
        /// The session file (TOML).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// The tracker's format.
        #[arg(long, value_enum)]
        format: IssueFormat,
        /// Write here instead of standard output (`-` is standard output).
        #[arg(short, long, value_name = "PATH")]
        output: Option<PathBuf>,
    },
}

pub fn run(command: ExportCommand) -> ExitCode {
    match command {
        ExportCommand::Otm { session, output } => {
            export_json(&session, output.as_deref(), "otm", otm::export)
        }
        ExportCommand::TmBom { session, output } => {
            export_json(&session, output.as_deref(), "tm-bom", tm_bom::export)
        }
        ExportCommand::ThreatDragon { session, output } => {
            export_threat_dragon(&session, output.as_deref())
        }
        ExportCommand::Issues {
            file,
            format,
            output,
        } => export_issues(&file, format, output.as_deref()),
    }
}

/// Loads the session, lists its validation problems, and writes the document as pretty JSON.
fn export_json(
    path: &Path,
    output: Option<&Path>,
    format: &str,
    export: fn(&Session) -> serde_json::Value,
) -> ExitCode {
    let loaded = match store::load(path) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("{}", escape_control(&e.to_string()));
            return ExitCode::from(EXIT_UNREADABLE);
        }
    };
    let file = store::display_path(path);
    if let Some(out) = output
        && let (Ok(a), Ok(b)) = (std::fs::canonicalize(out), std::fs::canonicalize(path))
        && a == b
    {
        eprintln!("{file}: refusing to write the {format} export over the session file");
        return ExitCode::from(EXIT_UNREADABLE);
    }
    let mut problems: Vec<(store::LineCol, String)> = validate(&loaded.session)
        .iter()
        .map(|p| (loaded.positions.locate(&p.location), p.to_string()))
        .collect();
    problems.sort_by_key(|(at, _)| *at);
    for (at, message) in &problems {
        eprintln!("{file}:{}:{}: {}", at.line, at.col, escape_control(message));
    }
    // As every export: an invalid session is not written (its references may not resolve).
    if !problems.is_empty() {
        eprintln!("{file}: not exported: fix the problems above first");
        return ExitCode::from(EXIT_PROBLEMS);
    }
    let doc = export(&loaded.session);
    let mut text = match serde_json::to_string_pretty(&doc) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("{file}: {e}");
            return ExitCode::from(EXIT_UNREADABLE);
        }
    };
    text.push('\n');
    let destination = output.unwrap_or(Path::new("-"));
    if let Err(e) = store::write_output(destination, text.as_bytes()) {
        eprintln!("{}", escape_control(&e.to_string()));
        return ExitCode::from(EXIT_UNREADABLE);
    }
    ExitCode::SUCCESS
}

/// Loads and validates the session (an invalid one is not exported: its references may not
/// resolve), writes the model, and lists on stderr what Threat Dragon does not keep.
fn export_threat_dragon(path: &Path, output: Option<&Path>) -> ExitCode {
    let file = store::display_path(path);
    let loaded = match store::load(path) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("{}", escape_control(&e.to_string()));
            return ExitCode::from(EXIT_UNREADABLE);
        }
    };
    let problems = validate(&loaded.session);
    if !problems.is_empty() {
        for p in &problems {
            let at = loaded.positions.locate(&p.location);
            eprintln!("{file}:{at}: {}", escape_control(&p.to_string()));
        }
        eprintln!("{file}: not exported: fix the problems above first");
        return ExitCode::from(EXIT_PROBLEMS);
    }
    if let Some(out) = output
        && !store::files::is_stdout(out)
        && std::fs::canonicalize(out).ok() == std::fs::canonicalize(path).ok()
        && out.exists()
    {
        eprintln!(
            "{}: refusing to write the export over the session file",
            store::display_path(out)
        );
        return ExitCode::from(EXIT_UNREADABLE);
    }
    let exported = threat_dragon::export(&loaded.session);
    let mut text = crate::report::to_json_pretty(&exported.model);
    text.push('\n');
    let destination = match output {
        Some(out) if !store::files::is_stdout(out) => {
            if let Err(e) = store::write_output(out, text.as_bytes()) {
                eprintln!("{}", escape_control(&e.to_string()));
                return ExitCode::from(EXIT_UNREADABLE);
            }
            store::display_path(out)
        }
        _ => {
            let mut stdout = std::io::stdout().lock();
            if let Err(e) = stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
            {
                eprintln!("threatboard export threat-dragon: cannot write to standard output: {e}");
                return ExitCode::from(EXIT_UNREADABLE);
            }
            "standard output".to_string()
        }
    };
    for l in &exported.lost {
        eprintln!("note: {file}: {}", escape_control(l));
    }
    let s = &loaded.session;
    eprintln!(
        "{file}: exported \"{}\" as a Threat Dragon model: {} components, {} flows, {} trust boundaries, {} threats -> {destination}",
        escape_control(&s.title),
        s.components.len(),
        s.flows.len(),
        s.boundaries.len(),
        s.threats.len(),
    );
    ExitCode::SUCCESS
}

fn export_issues(file: &Path, format: IssueFormat, output: Option<&Path>) -> ExitCode {
    let loaded = match store::load(file) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("{}", escape_control(&e.to_string()));
            return ExitCode::from(EXIT_UNREADABLE);
        }
    };
    let problems = crate::model::validate(&loaded.session);
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("{}", escape_control(&loaded.describe(p)));
        }
        return ExitCode::from(EXIT_PROBLEMS);
    }
    // The path as the user wrote it: the issues point back to it.
    let name = file.to_string_lossy().into_owned();
    let text = match format {
        IssueFormat::JiraCsv => issues::jira_csv(&loaded.session, &name),
        IssueFormat::GithubJson => issues::github_json(&loaded.session, &name),
    };
    let written = match output {
        Some(path) if !store::files::is_stdout(path) => {
            store::write_output(path, text.as_bytes()).map_err(|e| e.to_string())
        }
        _ => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
                .map_err(|e| {
                    format!("threatboard export issues: cannot write to standard output: {e}")
                })
        }
    };
    if let Err(e) = written {
        eprintln!("{}", escape_control(&e));
        return ExitCode::from(EXIT_UNREADABLE);
    }
    let pending = issues::pending(&loaded.session).len();
    let skipped = loaded.session.mitigations.len() - pending;
    eprintln!(
        "{}: {pending} issue{} written; {skipped} mitigation{} with a ticket skipped",
        store::display_path(file),
        if pending == 1 { "" } else { "s" },
        if skipped == 1 { "" } else { "s" },
    );
    ExitCode::SUCCESS
}

/// `threatboard set-ticket <file> <MI-id> <ticket>`: records a tracker key in a mitigation,
/// through the same load, edit and atomic save as the app (the rest of the file keeps its
/// bytes). Refused while the session is open in the app, which would overwrite it.
pub fn set_ticket(file: &Path, mitigation: &str, ticket: &str) -> ExitCode {
    let shown = store::display_path(file);
    let fail = |message: String| {
        eprintln!("{}", escape_control(&message));
        ExitCode::from(EXIT_UNREADABLE)
    };
    let ticket = ticket.trim();
    if ticket.is_empty() || ticket.chars().any(char::is_control) {
        return fail(format!(
            "{shown}: the ticket must be one line of text, e.g. SEC-1234 or a link"
        ));
    }
    let _lock = match store::autosave::lock(file) {
        Ok(lock) => Some(lock),
        Err(e @ store::autosave::LockError::Held(_)) => {
            return fail(format!("{shown}: {e}; close it there first"));
        }
        // No lock file can be made (a read-only directory): nobody can hold one either.
        Err(_) => None,
    };
    let mut loaded = match store::load(file) {
        Ok(loaded) => loaded,
        Err(e) => return fail(e.to_string()),
    };
    let Some(index) = loaded
        .session
        .mitigations
        .iter()
        .position(|m| m.id.as_str() == mitigation)
    else {
        let known: Vec<&str> = loaded
            .session
            .mitigations
            .iter()
            .map(|m| m.id.as_str())
            .collect();
        return fail(format!(
            "{shown}: no mitigation {mitigation:?} (the session has {})",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        ));
    };
    let mut updated = loaded.session.mitigations[index].clone();
    let previous = std::mem::replace(&mut updated.ticket, ticket.to_string());
    if let Err(e) = crate::model::edit::apply(
        &mut loaded.session,
        Edit::Replace {
            index,
            item: Item::Mitigation(updated),
        },
    ) {
        return fail(format!("{shown}: {e}"));
    }
    match loaded.save() {
        Ok(_) => {
            if previous.is_empty() || previous == ticket {
                eprintln!("{shown}: {mitigation} ticket {ticket}");
            } else {
                eprintln!("{shown}: {mitigation} ticket {ticket} (was {previous})");
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(e.to_string()),
    }
}
