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
    #[command(flatten)]
    pub global: GlobalArgs,

    /// Without a command: the start screen over ./sessions.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The options every command takes.
#[derive(Debug, clap::Args)]
pub struct GlobalArgs {
    /// Also load threat libraries from this directory (repeatable).
    #[arg(long = "library-dir", global = true, value_name = "DIR")]
    pub library_dirs: Vec<PathBuf>,
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
    let args: Vec<_> = std::env::args_os().collect();
    // `check` shares its work with a helper thread, which takes a while to get a core on a
    // busy or virtual machine: made before the arguments are parsed, it is running sooner
    // (a check of 10 and 100 components 3.62 -> 3.33 ms and 5.42 -> 5.08 ms, medians).
    if names_check(&args) {
        crate::parallel::start();
    }
    let parsed = match parse_check_alone(&args) {
        Some(cli) => Ok(cli),
        None => Cli::try_parse_from(&args),
    };
    let cli = match parsed {
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

/// Whether the arguments name the `check` command (as the first word after the program).
fn names_check(args: &[std::ffi::OsString]) -> bool {
    args.get(1).is_some_and(|command| command == "check")
}

/// `threatboard check ...` parsed without the other commands. clap makes every command's
/// arguments before it parses (0.2 ms, a tenth of a check of a small model), and the CI gate
/// needs only its own. Whatever this parse does not take (help, a usage error) is left to the
/// whole parser, so that every message is the same.
fn parse_check_alone(args: &[std::ffi::OsString]) -> Option<Cli> {
    use clap::{Args, FromArgMatches};
    if !names_check(args) {
        return None;
    }
    let check = check_cmd::CheckArgs::augment_args(clap::Command::new("check"));
    let matches = GlobalArgs::augment_args(clap::Command::new("threatboard"))
        .subcommand(check)
        .try_get_matches_from(args)
        .ok()?;
    Cli::from_arg_matches(&matches).ok()
}

pub fn run(cli: Cli) -> ExitCode {
    let library_dirs = &cli.global.library_dirs;
    // A directory the user named must exist; commands that only read sessions would otherwise
    // ignore a mistyped --library-dir without a word.
    for dir in library_dirs {
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
        return session_cmds::start_screen(std::path::Path::new("sessions"), library_dirs);
    };
    match command {
        Command::New {
            title,
            dir,
            no_open,
        } => session_cmds::new(&title, &dir, no_open, library_dirs),
        Command::Open { file, share } => session_cmds::open(&file, share, library_dirs),
        Command::Rerun {
            file,
            since,
            baseline,
        } => session_cmds::rerun(&file, since.as_deref(), baseline.as_deref(), library_dirs),
        Command::Validate { files } => session_cmds::validate(&files, library_dirs),
        Command::Check(args) => check_cmd::run(args, library_dirs),
        Command::Report(args) => report_cmds::report(args, library_dirs),
        Command::Diagram(args) => report_cmds::diagram(args),
        Command::Diff(args) => diff_cmd::run(args),
        Command::Suggest(args) => suggest_cmd::run(args, library_dirs),
        Command::Import { command } => import_cmds::run(command),
        Command::Export { command } => export_cmds::run(command),
        Command::SetTicket {
            file,
            mitigation,
            ticket,
        } => export_cmds::set_ticket(&file, &mitigation, &ticket),
        Command::Library { command } => library_cmds::run(command, library_dirs),
        Command::Join(args) => join_cmd::run(args, library_dirs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// The check parsed alone is the check the whole parser makes, and anything the whole
    /// parser refuses (or answers with help) is left to it.
    #[test]
    fn a_check_parsed_alone_is_the_check_the_whole_parser_makes() {
        let cases: &[&[&str]] = &[
            &["check", "a.toml"],
            &[
                "check",
                "a.toml",
                "b.toml",
                "--format",
                "json",
                "--fail-on",
                "medium",
            ],
            &[
                "check",
                "--max-age",
                "30",
                "a.toml",
                "--library-dir",
                "libs",
            ],
            &[
                "check",
                "a.toml",
                "--library-dir",
                "x",
                "--library-dir",
                "y",
            ],
            &["check", "--today", "2026-01-31", "--format=sarif", "a.toml"],
            &["check", "--", "--odd-name.toml"],
            &["--library-dir", "libs", "check", "a.toml"],
            &["check"],
            &["check", "--help"],
            &["check", "--version"],
            &["check", "a.toml", "--format", "xml"],
            &["check", "a.toml", "--max-age", "soon"],
            &["check", "a.toml", "--no-such-flag"],
            &["check", "a.toml", "extra", "--fail-on"],
            &["open", "a.toml"],
            &["checks", "a.toml"],
            &[],
        ];
        let mut taken = 0;
        for case in cases {
            let args: Vec<std::ffi::OsString> = std::iter::once("threatboard")
                .chain(case.iter().copied())
                .map(Into::into)
                .collect();
            let whole = Cli::try_parse_from(&args);
            match parse_check_alone(&args) {
                Some(alone) => {
                    taken += 1;
                    let whole = whole.unwrap_or_else(|e| panic!("{case:?}: {e}"));
                    assert!(matches!(whole.command, Some(Command::Check(_))), "{case:?}");
                    assert_eq!(format!("{alone:?}"), format!("{whole:?}"), "{case:?}");
                }
                None => assert!(
                    whole.is_err() || !matches!(case.first(), Some(&"check")),
                    "{case:?} is a check the whole parser takes"
                ),
            }
        }
        assert_eq!(taken, 6, "every well-formed check after the command name");
    }

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
