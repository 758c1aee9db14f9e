//! `threatboard export <format>` (issue 15): a session file written in another tool's format.
//! The mappings are described in the format's module under [`crate::interop`]. Exit codes as for
//! `report`: 0 written, 1 written but the session has validation problems (listed), 2 the
//! session cannot be read or the output cannot be written.

use super::{EXIT_PROBLEMS, EXIT_UNREADABLE};
use crate::interop::{otm, tm_bom};
use crate::model::{Session, text::escape_control, validate};
use crate::store;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

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
}

pub fn run(command: ExportCommand) -> ExitCode {
    match command {
        ExportCommand::Otm { session, output } => {
            export_json(&session, output.as_deref(), "otm", otm::export)
        }
        ExportCommand::TmBom { session, output } => {
            export_json(&session, output.as_deref(), "tm-bom", tm_bom::export)
        }
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
    if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PROBLEMS)
    }
}
