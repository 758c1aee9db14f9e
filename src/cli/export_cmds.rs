//! `threatboard export` (issue 15): a session in another tool's format. One subcommand per
//! format; the mappings are described in [`crate::interop`].

use super::{EXIT_PROBLEMS, EXIT_UNREADABLE};
use crate::interop::threat_dragon;
use crate::model::{text::escape_control, validate};
use crate::store;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum ExportCommand {
    /// Export a session as an OWASP Threat Dragon (version 2) model, laid out for its editor.
    ThreatDragon {
        /// The session file (TOML).
        #[arg(value_name = "SESSION")]
        session: PathBuf,
        /// Write the model here (atomically); standard output without it or with `-`.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

pub fn run(command: ExportCommand) -> ExitCode {
    match command {
        ExportCommand::ThreatDragon { session, output } => {
            export_threat_dragon(&session, output.as_deref())
        }
    }
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
