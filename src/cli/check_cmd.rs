//! `threatboard check`: the CI gate.

use super::{EXIT_PROBLEMS, EXIT_UNREADABLE};
use crate::analysis::{Analysis, FindingOptions, Severity, analyze_beside};
use crate::config::{self, ProjectConfig};
use crate::library::{self, LibrarySet};
use crate::model::{RiskLevel, text::escape_control, validate};
use crate::report::check::{CheckedFile, sarif, write_json, write_text};
use crate::rules::RuleSet;
use crate::store;
use chrono::NaiveDate;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Threshold {
    Low,
    Medium,
    High,
    Critical,
}

impl From<Threshold> for Severity {
    fn from(t: Threshold) -> Self {
        match t {
            Threshold::Low => RiskLevel::Low,
            Threshold::Medium => RiskLevel::Medium,
            Threshold::High => RiskLevel::High,
            Threshold::Critical => RiskLevel::Critical,
        }
    }
}

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Findings TB001..TB017. A finding is tracked, and does not fail the gate, when a threat on its \
element covers its STRIDE letters and has a mitigation with an owner and a due date not yet passed \
(or done); an accepted risk does not fail it either. TB015 (unanswered-suggestion, low) is a threat the rules suggest for an \
element that nobody added or dismissed; the rules come from the shipped rules file and any rules \
file in libraries/ beside the session or in --library-dir (a broken one exits 2). TB016 (low) is a \
crossing flow whose authentication, or a sensitive flow whose encryption, nobody has stated \
(TB001/TB002 need a known no); TB017 (low) an open threat on an element out of scope. Elements out \
of scope (out_of_scope = \"reason\") raise no other findings and are left out of coverage.

The threshold and maximum age can be set for a project in .threatboard.toml ([check] fail_on, \
max_age_days), found by walking up from each session's folder to the repository root; flags \
override it.

Exit codes: 0 pass, 1 a blocking finding or an invalid session, 2 unreadable input (a session, \
library, rules file or project config).")]
pub struct CheckArgs {
    /// Session files (TOML).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Fail when a finding at or above this severity is neither accepted nor tracked [default:
    /// the project config's, else high].
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<Threshold>,
    /// Also fail when the session's last run is older than this many days.
    #[arg(long, value_name = "DAYS")]
    pub max_age: Option<u32>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: CheckFormat,
    /// Evaluate due dates as of this day instead of today (reproducible runs).
    #[arg(long, value_name = "YYYY-MM-DD", hide = true)]
    pub today: Option<NaiveDate>,
}

/// The libraries (and so the threat rules) for each session, loaded once per folder: sessions
/// side by side share their `libraries/`.
struct Libraries<'a> {
    extra_dirs: &'a [PathBuf],
    by_folder: HashMap<PathBuf, LibrarySet>,
}

impl Libraries<'_> {
    /// The set for `session`; `false` when a library or rules file has problems (printed once,
    /// as `file:line:col: message`), in which case the set holds what did load.
    fn for_session(&mut self, session: &Path) -> (&LibrarySet, bool) {
        let folder = session
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let mut ok = true;
        if !self.by_folder.contains_key(&folder) {
            let set = match library::load_rules_for_session(Some(session), self.extra_dirs) {
                Ok(set) => set,
                Err(e) => {
                    for p in &e.problems {
                        eprintln!("{}", escape_control(&p.to_string()));
                    }
                    ok = false;
                    *e.partial
                }
            };
            self.by_folder.insert(folder.clone(), set);
        }
        let set = self.by_folder.entry(folder).or_default();
        (set, ok)
    }
}

/// The threshold and maximum age in force for one file (flags over its project config).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gate {
    pub fail_on: Severity,
    pub max_age_days: Option<u32>,
}

/// One loaded session judged as `check` judges it: its problems in file order, and the
/// analysis with the threat rules and the gate in force. It is validated on the analysis'
/// second thread while its graph is made (neither needs the other). Question 4's verdict is
/// tested against this.
///
/// The positions move to the result; the session is left to the caller, as `check` never
/// frees it (see [`run`]).
pub fn judge(
    path: &Path,
    loaded: &mut store::LoadedSession,
    rules: &RuleSet,
    gate: Gate,
    today: NaiveDate,
) -> CheckedFile {
    let session = &loaded.session;
    let (analysis, problems) =
        analyze_beside(session, &finding_options(rules, gate, today), || {
            validate(session)
        });
    let positions = std::mem::take(&mut loaded.positions);
    checked_file(path, positions, problems, analysis, gate)
}

fn finding_options(rules: &RuleSet, gate: Gate, today: NaiveDate) -> FindingOptions<'_> {
    FindingOptions {
        today,
        max_age_days: gate.max_age_days,
        rules: Some(rules),
    }
}

/// The judged file: `problems` located in the file and put in file order.
fn checked_file(
    path: &Path,
    positions: store::Positions,
    problems: Vec<validate::Problem>,
    analysis: Analysis,
    gate: Gate,
) -> CheckedFile {
    let mut problems: Vec<_> = problems
        .iter()
        .map(|p| (positions.locate(&p.location), p.to_string()))
        .collect();
    problems.sort_by_key(|(at, _)| *at);
    CheckedFile {
        path: path.to_path_buf(),
        positions,
        problems,
        analysis,
        fail_on: gate.fail_on,
        config: None,
    }
}

pub fn run(args: CheckArgs, library_dirs: &[PathBuf]) -> ExitCode {
    let flag_threshold = args.fail_on.map(Severity::from);
    let today = args
        .today
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let mut libraries = Libraries {
        extra_dirs: library_dirs,
        by_folder: HashMap::new(),
    };
    let mut checked = Vec::new();
    let mut sessions = Vec::new();
    let mut unreadable = false;
    for path in &args.files {
        // Work goes in pairs, one per core and never more (see `crate::parallel`): the rules
        // and the project config, which do not depend on the session, load on the second
        // thread while this one reads the file; then the session is parsed, a large file in
        // two parts at once; then it is validated while its graph is made, and the analysis
        // runs in two parts.
        let libraries = &mut libraries;
        let (loaded, beside) = store::load_for_reading_beside(path, move || {
            (libraries.for_session(path), config::for_session(path))
        });
        // The rules' own problems are printed first, as ever, even when the session is unreadable.
        let ((set, libraries_ok), config) = beside;
        let mut loaded = match loaded {
            Ok(loaded) => loaded,
            Err(e) => {
                eprintln!("{}", escape_control(&e.to_string()));
                unreadable = true;
                continue;
            }
        };
        // A broken rules or library file is unreadable input: the findings would silently
        // miss what it says.
        unreadable |= !libraries_ok;
        // A broken project config is unreadable input too: the gate would judge by defaults
        // the team did not choose.
        let config = match config {
            Ok(config) => config,
            Err(e) => {
                eprintln!("{e}");
                unreadable = true;
                ProjectConfig::default()
            }
        };
        let gate = Gate {
            fail_on: config.fail_on_or(flag_threshold),
            max_age_days: config.max_age_or(args.max_age),
        };
        let mut file = judge(path, &mut loaded, set.rules(), gate, today);
        file.config = Some(config.describe());
        checked.push(file);
        sessions.push(loaded);
    }
    let written = super::write_stdout(|out| match args.format {
        CheckFormat::Text => write_text(&checked, out),
        CheckFormat::Json => write_json(&checked, out),
        CheckFormat::Sarif => out.write_all(sarif(&checked).as_bytes()),
    });
    let passed = checked.iter().all(CheckedFile::passes);
    // The process ends here: freeing tens of thousands of small allocations one by one took
    // longer than writing the report (3 ms of 55 at 1,000 components, and the sessions 0.7 ms
    // of 15), for nothing.
    std::mem::forget(checked);
    std::mem::forget(sessions);
    if let Err(code) = written {
        code
    } else if unreadable {
        ExitCode::from(EXIT_UNREADABLE)
    } else if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PROBLEMS)
    }
}
