//! `threatboard import <format>`: another tool's model becomes a session file. The mappings are
//! described in [`crate::interop::threat_dragon`], [`crate::interop::threagile`],
//! [`crate::interop::otm`] and [`crate::interop::tm_bom`].

use super::{EXIT_PROBLEMS, EXIT_UNREADABLE};
use crate::interop::{threagile, threat_dragon};
use crate::model::text::escape_control;
use crate::store;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum ImportCommand {
    /// Import an OWASP Threat Dragon model (v2, and v1 where possible) as a session file.
    ThreatDragon {
        /// The Threat Dragon model (JSON).
        #[arg(value_name = "MODEL")]
        model: PathBuf,
        /// Write the session here (refuses to overwrite); standard output without it or with `-`.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Import an Open Threat Model (OTM 0.1.0 or 0.2.0) JSON file as a session file.
    Otm {
        /// The OTM model (JSON).
        #[arg(value_name = "MODEL")]
        model: PathBuf,
        /// Write the session here (refuses to overwrite); standard output without it or with `-`.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Import an OWASP Threat Model Library (TM-BOM 1.0.x) JSON file as a session file.
    TmBom {
        /// The TM-BOM model (JSON).
        #[arg(value_name = "MODEL")]
        model: PathBuf,
        /// Write the session here (refuses to overwrite); standard output without it or with `-`.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Import a Threagile model (YAML) as a session file.
    Threagile {
        /// The Threagile model (YAML).
        #[arg(value_name = "MODEL")]
        model: PathBuf,
        /// Write the session here (refuses to overwrite); standard output without it or with `-`.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

pub fn run(command: ImportCommand) -> ExitCode {
    use crate::interop::{otm, tm_bom};
    // Each importer's result as the session and its warnings; its error as text with a position.
    match command {
        ImportCommand::ThreatDragon { model, output } => import_model(
            &model,
            output.as_deref(),
            store::InputKind::THREAT_DRAGON,
            "threat-dragon",
            |bytes| {
                threat_dragon::import(bytes)
                    .map(|i| (i.session, i.warnings))
                    .map_err(|e| e.to_string())
            },
        ),
        ImportCommand::Otm { model, output } => import_model(
            &model,
            output.as_deref(),
            store::InputKind::OTM,
            "otm",
            |bytes| {
                otm::import(bytes)
                    .map(|i| (i.session, i.warnings))
                    .map_err(|e| e.to_string())
            },
        ),
        ImportCommand::TmBom { model, output } => import_model(
            &model,
            output.as_deref(),
            store::InputKind::TM_BOM,
            "tm-bom",
            |bytes| {
                tm_bom::import(bytes)
                    .map(|i| (i.session, i.warnings))
                    .map_err(|e| e.to_string())
            },
        ),
        ImportCommand::Threagile { model, output } => import_model(
            &model,
            output.as_deref(),
            store::InputKind::THREAGILE,
            "threagile",
            |bytes| {
                threagile::import(bytes)
                    .map(|i| (i.session, i.warnings))
                    .map_err(|e| e.to_string())
            },
        ),
    }
}

/// Every import: reads the model capped at `kind`'s size (a FIFO or device refused), converts
/// it, prints a warning line for everything that could not be carried over, checks that the
/// session validates, and writes it as canonical TOML.
fn import_model(
    model: &Path,
    output: Option<&Path>,
    kind: store::InputKind,
    format: &str,
    import: impl FnOnce(&[u8]) -> Result<(crate::model::Session, Vec<String>), String>,
) -> ExitCode {
    let file = store::display_path(model);
    let bytes = match store::read_input(model, kind) {
        Ok(bytes) => bytes,
        Err(store::StoreError::Io { source, .. }) => {
            eprintln!("{file}: cannot read: {source}");
            return ExitCode::from(EXIT_UNREADABLE);
        }
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(EXIT_UNREADABLE);
        }
    };
    let (session, warnings) = match import(&bytes) {
        Ok(imported) => imported,
        Err(e) => {
            eprintln!("{file}:{}", escape_control(&e));
            return ExitCode::from(EXIT_UNREADABLE);
        }
    };
    // The model's bytes can be large; the session is what is kept from here on.
    drop(bytes);
    write_imported(&file, format, &session, &warnings, output)
}

/// Prints a warning line for everything that could not be carried over, checks that the session
/// validates, and writes it as canonical TOML.
fn write_imported(
    file: &str,
    format: &str,
    session: &crate::model::Session,
    warnings: &[String],
    output: Option<&Path>,
) -> ExitCode {
    for w in warnings {
        eprintln!("warning: {file}: {}", escape_control(w));
    }
    let problems = crate::model::validate(session);
    if !problems.is_empty() {
        for p in &problems {
            eprintln!(
                "{file}: the imported session does not validate: {}",
                escape_control(&p.to_string())
            );
        }
        return ExitCode::from(EXIT_PROBLEMS);
    }
    let text = match store::to_toml(session) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("{file}: {e}");
            return ExitCode::from(EXIT_UNREADABLE);
        }
    };
    let destination = match output {
        Some(path) if !store::files::is_stdout(path) => {
            if let Err(e) = store::write_output_new(path, text.as_bytes()) {
                eprintln!("{e}");
                return ExitCode::from(EXIT_UNREADABLE);
            }
            store::display_path(path)
        }
        _ => {
            let mut stdout = std::io::stdout().lock();
            if let Err(e) = stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
            {
                eprintln!("threatboard import {format}: cannot write to standard output: {e}");
                return ExitCode::from(EXIT_UNREADABLE);
            }
            "standard output".to_string()
        }
    };
    let n = warnings.len();
    eprintln!(
        "{file}: imported \"{}\": {} components, {} flows, {} trust boundaries, {} threats, {} mitigations; {n} warning{} -> {destination}",
        escape_control(&session.title),
        session.components.len(),
        session.flows.len(),
        session.boundaries.len(),
        session.threats.len(),
        session.mitigations.len(),
        if n == 1 { "" } else { "s" },
    );
    ExitCode::SUCCESS
}
