//! `threatboard join <addr:port> --code <code> --name <name>`: the attendee app.

use super::EXIT_UNREADABLE;
use crate::tui::attendee::JoinArgs;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// The arguments of `join`.
#[derive(Debug, clap::Args)]
pub struct JoinCommandArgs {
    /// The facilitator's address, as their app shows it (e.g. 10.0.0.5:7420).
    #[arg(value_name = "ADDR:PORT")]
    pub addr: String,
    /// The join code the facilitator's app shows (e.g. k7f2-9xq4-m3vd-82hc).
    #[arg(long, value_name = "CODE")]
    pub code: String,
    /// Your name, as the facilitator sees it beside your ideas.
    #[arg(long, value_name = "NAME")]
    pub name: String,
}

/// Joins the facilitator's session. Exit 2 when the join is refused or fails (the reason on
/// stderr), or when not run in a terminal.
pub fn run(args: JoinCommandArgs, library_dirs: &[PathBuf]) -> ExitCode {
    if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
        eprintln!("threatboard join: the attendee app needs a terminal");
        return ExitCode::from(EXIT_UNREADABLE);
    }
    let libraries = match crate::library::load_for_session(None, library_dirs) {
        Ok(libraries) => libraries,
        // A broken library file beside the shipped ones should not keep anyone out.
        Err(e) => {
            eprintln!("threatboard join: {e} (joining with the libraries that loaded)");
            *e.partial
        }
    };
    let join = JoinArgs {
        addr: args.addr,
        code: args.code,
        name: args.name,
    };
    match crate::tui::attendee::run(&join, libraries) {
        Ok(crate::tui::Ended::Quit) => ExitCode::SUCCESS,
        // As a shell reports a process a signal ended.
        Ok(crate::tui::Ended::Signal(signal)) => {
            ExitCode::from(u8::try_from(128 + signal).unwrap_or(1))
        }
        Err(e) => {
            eprintln!("threatboard join: {e}");
            ExitCode::from(EXIT_UNREADABLE)
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::cli::{Cli, Command};
    use clap::Parser;

    #[test]
    fn join_takes_the_address_the_code_and_the_name() {
        let cli = Cli::try_parse_from([
            "threatboard",
            "join",
            "10.0.0.5:7420",
            "--code",
            "k7f2-9xq4-m3vd-82hc",
            "--name",
            "Ana",
            "--library-dir",
            "libs",
        ])
        .expect("parses");
        let Some(Command::Join(args)) = cli.command else {
            panic!("not the join command: {:?}", cli.command);
        };
        assert_eq!(args.addr, "10.0.0.5:7420");
        assert_eq!(args.code, "k7f2-9xq4-m3vd-82hc");
        assert_eq!(args.name, "Ana");
        assert_eq!(
            cli.global.library_dirs,
            vec![std::path::PathBuf::from("libs")]
        );
        // The code and the name are required.
        assert!(Cli::try_parse_from(["threatboard", "join", "10.0.0.5:7420"]).is_err());
    }
}
