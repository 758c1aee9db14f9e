//! `threatboard diff` (issue 7): what changed between two versions of a session, semantically,
//! and which threats the change puts in question.
//!
//! Exit codes: 0 nothing changed, 1 something changed, 2 an input could not be read.

use super::{EXIT_PROBLEMS, EXIT_UNREADABLE};
use crate::analysis::diff::diff;
use crate::model::Session;
use crate::model::text::escape_control;
use crate::store::{self, git};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The old version of the session, or the session itself with --since.
    #[arg(value_name = "OLD")]
    pub old: PathBuf,
    /// The new version of the session.
    #[arg(
        value_name = "NEW",
        required_unless_present = "since",
        conflicts_with = "since"
    )]
    pub new: Option<PathBuf>,
    /// Compare the file with its version at this git revision (`git show REV:path`).
    #[arg(long, value_name = "GIT-REV")]
    pub since: Option<String>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: DiffFormat,
}

/// One version of the session and how to name it in the output.
struct Version {
    session: Session,
    label: String,
}

pub fn run(args: DiffArgs) -> ExitCode {
    let versions = match (&args.new, &args.since) {
        (Some(new), _) => load_file(&args.old).and_then(|old| Ok((old, load_file(new)?))),
        // The working file first: if it cannot be read, that is the problem to report.
        (None, Some(rev)) => {
            load_file(&args.old).and_then(|new| Ok((load_from_git(&args.old, rev)?, new)))
        }
        // clap requires one of the two; say so rather than panic should that ever change.
        (None, None) => Err("diff needs a second file or --since <git-rev>".to_string()),
    };
    let (old, new) = match versions {
        Ok(versions) => versions,
        Err(message) => {
            eprintln!("{}", escape_control(&message));
            return ExitCode::from(EXIT_UNREADABLE);
        }
    };

    let changes = diff(&old.session, &new.session);
    let output = match args.format {
        DiffFormat::Text => format!(
            "{}\n{}",
            escape_control(&format!("diff {} -> {}", old.label, new.label)),
            changes.to_text()
        ),
        DiffFormat::Json => {
            let mut doc = changes.to_json();
            if let Some(map) = doc.as_object_mut() {
                map.insert("old".into(), old.label.into());
                map.insert("new".into(), new.label.into());
            }
            format!("{}\n", crate::report::to_json_pretty(&doc))
        }
    };
    if let Err(code) = super::print_stdout(&output) {
        code
    } else if changes.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PROBLEMS)
    }
}

/// A session file; errors as `file:line:col: message`.
fn load_file(path: &Path) -> Result<Version, String> {
    let loaded = store::load(path).map_err(|e| e.to_string())?;
    Ok(Version {
        session: loaded.session,
        label: crate::store::display_path(path),
    })
}

/// The file as committed at `rev`; errors name it `file@rev`, parse errors `file@rev:line:col`.
fn load_from_git(path: &Path, rev: &str) -> Result<Version, String> {
    let label = format!("{}@{rev}", crate::store::display_path(path));
    let text = match git::show_file(path, rev) {
        Ok(Some(text)) => text,
        Ok(None) => {
            return Err(format!(
                "{label}: {} does not exist at revision {rev}",
                crate::store::display_path(path)
            ));
        }
        Err(git::GitError::NotARepository { .. }) => {
            return Err(format!(
                "{}: not inside a git work tree, so --since {rev} cannot read an old version",
                crate::store::display_path(path)
            ));
        }
        Err(e) => return Err(format!("{label}: {e}")),
    };
    let (session, _) = store::parse_bytes(text.as_bytes())
        .map_err(|e| format!("{label}:{}: {}", e.at, e.message))?;
    Ok(Version { session, label })
}
