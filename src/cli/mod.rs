//! The command line: clap definitions and dispatch. Each command returns its exit code:
//! 0 success, 1 the command found problems, 2 usage or unreadable input.

pub(crate) mod check_cmd;
mod diff_cmd;
mod export_cmds;
mod import_cmds;
mod join_cmd;
pub(crate) mod library_cmds;
mod report_cmds;
mod session_cmds;
mod suggest_cmd;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

pub use library_cmds::LibraryCommand;

/// Exit code: the check or validation found problems.
pub const EXIT_PROBLEMS: u8 = 1;
/// Exit code: bad usage or input that cannot be read.
pub const EXIT_UNREADABLE: u8 = 2;

/// Writes a command's output to standard output through one buffer. A reader that stops early
/// (`| head`) ends the output quietly; any other failure (a full disk behind a redirect) is said
/// on standard error and is an error: a CI job must not pass on a truncated report.
fn write_stdout(
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), ExitCode> {
    use std::io::Write as _;
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => {
            eprintln!("standard output: {e}");
            Err(ExitCode::from(EXIT_UNREADABLE))
        }
    }
}

/// [`write_stdout`] for text already in hand.
fn print_stdout(text: &str) -> Result<(), ExitCode> {
    write_stdout(|out| out.write_all(text.as_bytes()))
}

#[derive(Debug, Parser)]
#[command(
    name = "threatboard",
    version,
    about = "Facilitated threat modeling in the terminal: Shostack's four questions, a TOML session file, a CI gate.",
    after_help = "Exit codes: 0 success, 1 problems found, 2 bad usage or unreadable input."
)]
pub struct Cli {
    /// Also load threat libraries from this directory (repeatable).
    #[arg(long = "library-dir", global = true, value_name = "DIR")]
    pub library_dirs: Vec<PathBuf>,

    /// Without a command: the start screen over ./sessions.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new session file, sessions/<slug>.toml (never overwrites), and open it.
    New {
        /// The session's title, e.g. "Checkout service".
        title: String,
        /// Directory the session file is created in.
        #[arg(long, default_value = "sessions", value_name = "DIR")]
        dir: PathBuf,
        /// Only create the file. Also the default when not run in a terminal.
        #[arg(long)]
        no_open: bool,
    },
    /// Open a session in the facilitator's app.
    Open {
        /// The session file (TOML).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Share the session with the room from launch, listening on this address
        /// (127.0.0.1:7420 reaches this machine only, e.g. over an SSH tunnel; 0.0.0.0:7420
        /// the LAN). Attendees join with `threatboard join`.
        #[arg(long, value_name = "ADDR:PORT")]
        share: Option<String>,
    },
    /// Re-run after a change: open at "what changed", with the threats it touches flagged.
    Rerun {
        /// The session file (TOML).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Compare with the file's version at this git revision (default: the session as it was
        /// at its last recorded run: the commit whose `Threatboard-Run` trailer names it, or the
        /// commit of that day with that run, or the last commit).
        #[arg(long, value_name = "GIT-REV", conflicts_with = "baseline")]
        since: Option<String>,
        /// Compare with this earlier copy of the session instead of git.
        #[arg(long, value_name = "FILE")]
        baseline: Option<PathBuf>,
    },
    /// Parse and validate session files; every problem is listed as file:line:col: message.
    Validate {
        /// Session files (TOML).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// The CI gate: analyse sessions and fail on unowned, undated, overdue or unreviewed risk.
    Check(check_cmd::CheckArgs),
    /// Reports for reviewers and tools: Markdown with Mermaid, HTML, JSON, CSV, SARIF.
    Report(report_cmds::ReportArgs),
    /// The data-flow diagram as Mermaid or Graphviz DOT.
    Diagram(report_cmds::DiagramArgs),
    /// What changed between two versions of a session, semantically.
    Diff(diff_cmd::DiffArgs),
    /// The threats the rules suggest for the model that nobody added or dismissed yet.
    Suggest(suggest_cmd::SuggestArgs),
    /// Import models made by other tools.
    Import {
        #[command(subcommand)]
        command: import_cmds::ImportCommand,
    },
    /// Write a session in another tool's format (tracker issues for the mitigations).
    Export {
        #[command(subcommand)]
        command: export_cmds::ExportCommand,
    },
    /// Record a tracker's key (e.g. SEC-1234) in a mitigation's ticket.
    SetTicket {
        /// The session file (TOML).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// The mitigation, e.g. MI-001.
        #[arg(value_name = "MI-ID")]
        mitigation: String,
        /// The tracker's key or link.
        #[arg(value_name = "TICKET")]
        ticket: String,
    },
    /// Threat libraries: list, search, show, validate, import from MITRE's STIX bundles.
    Library {
        #[command(subcommand)]
        command: LibraryCommand,
    },
    /// Join a facilitator's shared session from your own terminal and send threat ideas.
    Join(join_cmd::JoinCommandArgs),
}

/// Parses the process arguments and runs the command.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // clap prints help and version to stdout with success, usage errors to stderr.
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::from(EXIT_UNREADABLE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    run(cli)
}

pub fn run(cli: Cli) -> ExitCode {
    // A directory the user named must exist; commands that only read sessions would otherwise
    // ignore a mistyped --library-dir without a word.
    for dir in &cli.library_dirs {
        if !dir.is_dir() {
            eprintln!(
                "threatboard: --library-dir {}: {}",
                crate::store::display_path(dir),
                if dir.exists() {
                    "not a directory"
                } else {
                    "no such directory"
                }
            );
            return ExitCode::from(EXIT_UNREADABLE);
        }
    }
    let Some(command) = cli.command else {
        return session_cmds::start_screen(std::path::Path::new("sessions"), &cli.library_dirs);
    };
    match command {
        Command::New {
            title,
            dir,
            no_open,
        } => session_cmds::new(&title, &dir, no_open, &cli.library_dirs),
        Command::Open { file, share } => session_cmds::open(&file, share, &cli.library_dirs),
        Command::Rerun {
            file,
            since,
            baseline,
        } => session_cmds::rerun(
            &file,
            since.as_deref(),
            baseline.as_deref(),
            &cli.library_dirs,
        ),
        Command::Validate { files } => session_cmds::validate(&files, &cli.library_dirs),
        Command::Check(args) => check_cmd::run(args, &cli.library_dirs),
        Command::Report(args) => report_cmds::report(args, &cli.library_dirs),
        Command::Diagram(args) => report_cmds::diagram(args),
        Command::Diff(args) => diff_cmd::run(args),
        Command::Suggest(args) => suggest_cmd::run(args, &cli.library_dirs),
        Command::Import { command } => import_cmds::run(command),
        Command::Export { command } => export_cmds::run(command),
        Command::SetTicket {
            file,
            mitigation,
            ticket,
        } => export_cmds::set_ticket(&file, &mitigation, &ticket),
        Command::Library { command } => library_cmds::run(command, &cli.library_dirs),
        Command::Join(args) => join_cmd::run(args, &cli.library_dirs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn open_takes_a_share_address() {
        let cli = Cli::try_parse_from(["threatboard", "open", "s.toml", "--share", "0.0.0.0:7420"])
            .expect("parses");
        let Some(Command::Open { file, share }) = cli.command else {
            panic!("open");
        };
        assert_eq!(file, PathBuf::from("s.toml"));
        assert_eq!(share.as_deref(), Some("0.0.0.0:7420"));
        let cli = Cli::try_parse_from(["threatboard", "open", "s.toml"]).expect("parses");
        assert!(matches!(
            cli.command,
            Some(Command::Open { share: None, .. })
        ));
    }
}
