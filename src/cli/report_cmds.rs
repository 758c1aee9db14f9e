//! `threatboard report` and `threatboard diagram` (issue 8).
//!
//! `report` writes the session with its analysis as Markdown (with a Mermaid diagram), one
//! self-contained HTML file, versioned JSON, CSV (threats x mitigations) or SARIF; `diagram`
//! writes the data-flow diagram as Mermaid or Graphviz DOT. Exit codes: 0 written, 1 written but
//! the session has validation problems (listed on stderr as `file:line:col: message`), 2 the
//! session cannot be read or the output cannot be written.

use super::{EXIT_PROBLEMS, EXIT_UNREADABLE};
use crate::analysis::{FindingOptions, Severity, analyze};
use crate::library;
use crate::model::{text::escape_control, validate};
use crate::report::check::{CheckedFile, sarif};
use crate::report::context::ReportContext;
use crate::report::{csv, dot, html, json, markdown, mermaid};
use crate::store::{self, LineCol};
use chrono::NaiveDate;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Md,
    Html,
    Json,
    Csv,
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiagramFormat {
    Mermaid,
    Dot,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The session file (TOML).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[arg(long, value_enum, default_value = "md")]
    pub format: ReportFormat,
    /// Write here instead of standard output (atomically; `-` is standard output).
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Judge due and review dates as of this day instead of today (reproducible reports).
    #[arg(long, value_name = "YYYY-MM-DD", hide = true)]
    pub today: Option<NaiveDate>,
}

#[derive(Debug, clap::Args)]
pub struct DiagramArgs {
    /// The session file (TOML).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[arg(long, value_enum, default_value = "mermaid")]
    pub format: DiagramFormat,
}

pub fn report(args: ReportArgs, library_dirs: &[PathBuf]) -> ExitCode {
    let today = args
        .today
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let loaded = match store::load(&args.file) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("{}", escape_control(&e.to_string()));
            return ExitCode::from(EXIT_UNREADABLE);
        }
    };
    if let Some(out) = &args.output
        && same_file(out, &args.file)
    {
        eprintln!(
            "{}: refusing to write the report over the session file",
            store::display_path(out)
        );
        return ExitCode::from(EXIT_UNREADABLE);
    }
    let mut problems: Vec<(LineCol, String)> = validate(&loaded.session)
        .iter()
        .map(|p| (loaded.positions.locate(&p.location), p.to_string()))
        .collect();
    problems.sort_by_key(|(at, _)| *at);
    let libraries = match library::load_for_session(Some(&args.file), library_dirs) {
        Ok(set) => set,
        Err(e) => {
            // The report still links what did load.
            for p in &e.problems {
                eprintln!("warning: {}", escape_control(&p.to_string()));
            }
            *e.partial
        }
    };
    let source = args.file.to_string_lossy().replace('\\', "/");
    let session = &loaded.session;
    let output = match args.format {
        ReportFormat::Csv => csv::render(session),
        ReportFormat::Sarif => {
            let options = FindingOptions {
                today,
                max_age_days: None,
                rules: Some(libraries.rules()),
            };
            let file = CheckedFile {
                path: args.file.clone(),
                positions: loaded.positions.clone(),
                problems: problems.clone(),
                analysis: analyze(session, &options),
                fail_on: Severity::High,
                config: None,
            };
            sarif(&[file])
        }
        format => {
            let ctx = ReportContext::new(session, source, today, &libraries, problems.clone());
            match format {
                ReportFormat::Html => html::render(&ctx),
                ReportFormat::Json => json::render(&ctx),
                _ => markdown::render(&ctx),
            }
        }
    };
    if let Err(code) = emit(args.output.as_deref(), &output) {
        return code;
    }
    for (at, problem) in &problems {
        eprintln!(
            "{}:{at}: {}",
            store::display_path(&args.file),
            escape_control(problem)
        );
    }
    if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PROBLEMS)
    }
}

pub fn diagram(args: DiagramArgs) -> ExitCode {
    let loaded = match store::load(&args.file) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("{}", escape_control(&e.to_string()));
            return ExitCode::from(EXIT_UNREADABLE);
        }
    };
    let output = match args.format {
        DiagramFormat::Mermaid => mermaid::flowchart(&loaded.session),
        DiagramFormat::Dot => dot::digraph(&loaded.session),
    };
    match emit(None, &output) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}

/// Writes to the file (see [`store::write_output`]: `-` is standard output, devices are written
/// in place), or to standard output. A closed pipe (`| head`) is not an error worth a message.
fn emit(path: Option<&Path>, output: &str) -> Result<(), ExitCode> {
    match path {
        Some(path) => store::write_output(path, output.as_bytes()).map_err(|e| {
            eprintln!("{}", escape_control(&e.to_string()));
            ExitCode::from(EXIT_UNREADABLE)
        }),
        None => super::print_stdout(output),
    }
}

/// Whether two paths name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}
