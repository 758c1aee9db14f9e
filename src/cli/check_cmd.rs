//! `threatboard check`: the CI gate.

use super::{EXIT_PROBLEMS, EXIT_UNREADABLE};
use crate::analysis::{self, Analysis, FindingOptions, ModelGraph, Severity};
use crate::config::{self, ProjectConfig};
use crate::library::{self, LibrarySet};
use crate::model::{RiskLevel, text::escape_control, validate};
use crate::parallel::{CloseOnDrop, Handover, Task};
use crate::report::check::{CheckedFile, sarif, write_json, write_text};
use crate::rules::RuleSet;
use crate::store;
use chrono::NaiveDate;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Mutex, OnceLock};

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

/// The threshold and maximum age given on the command line.
#[derive(Debug, Clone, Copy)]
struct Flags {
    fail_on: Option<Severity>,
    max_age_days: Option<u32>,
}

/// What a file's rules and project config came to: the rule set (and whether it loaded
/// cleanly), and the config.
type Beside<'l> = (
    (&'l LibrarySet, bool),
    Result<ProjectConfig, config::ConfigError>,
);

/// A file as [`read_and_judge`] leaves it.
struct Judged {
    /// The file was judged: `None` when it could not be read (its message is printed).
    file: Option<(CheckedFile, store::LoadedSession)>,
    /// A rules, library or project config file that applies to it could not be read (the
    /// problems are printed).
    unreadable: bool,
}

/// Reads one session file and judges it: its problems in file order, and the analysis with the
/// threat rules and the gate in force.
///
/// The work is done on this thread and the helper thread (see [`crate::parallel`]), in one pair
/// for the whole file: on a small VM a thread that has gone to sleep may take a scheduler tick
/// (3-4 ms) to wake, longer than the analysis takes, so the two threads hand work over inside
/// the pair and wait for each other by spinning (see [`Handover::wait`]). This thread reads the
/// file, then both read its pieces from either end ([`store::ReadTogether`]). The helper then
/// loads the rules and the project config while this one puts the pieces together and
/// makes the graph, validates the session and puts its positions together, and helps with
/// the analysis ([`analysis::Together`]).
fn read_and_judge(
    path: &Path,
    libraries: &mut Libraries<'_>,
    flags: Flags,
    today: NaiveDate,
) -> Judged {
    // Everything the two threads hand each other, made here so that both may borrow it.
    let reading = store::ReadTogether::default();
    let beside: Handover<Beside<'_>> = Handover::default();
    let back: Handover<Mutex<Option<store::BackRead>>> = Handover::default();
    let loaded: Handover<store::LoadedSession> = Handover::default();
    let pieces: Handover<Mutex<Option<store::PiecePositions>>> = Handover::default();
    let judging = OnceLock::new();
    let graph = OnceLock::new();
    let work = Handover::default();
    // The second thread's part of the reading, then the rules and the project config: loaded
    // while this thread puts the pieces together and builds the graph, which do not need them
    // (loaded first, they kept the second thread from reading for 0.7 ms at 1,000
    // components). This thread does either if that one has not taken it by the time it is
    // needed (it started late, or could not start at all).
    let back_part = Task::new(|| {
        back.give(|| Mutex::new(Some(reading.help())));
    });
    let rules_and_config = Task::new(|| {
        beside.give(|| (libraries.for_session(path), config::for_session(path)));
    });
    let validation = Task::new(|| loaded.wait().map(|l| validate(&l.session)));
    // Needed only for the report: the helper puts them together beside the analysis.
    let positions = Task::new(|| {
        let pieces = pieces.wait()?.lock().ok()?.take()?;
        Some(pieces.join())
    });
    let unreadable_session = crate::parallel::join(
        || {
            let _closes = (
                CloseOnDrop(&pieces),
                CloseOnDrop(&loaded),
                CloseOnDrop(&work),
            );
            let front = reading.lead(path);
            back_part.run();
            let back = back.wait().and_then(|back| back.lock().ok()?.take());
            let read = match back {
                Some(back) => reading.finish(path, front, back),
                // Only when the other thread panicked, which `join` passes on.
                None => return None,
            };
            rules_and_config.run();
            let session = match read {
                Ok((read, in_pieces)) => {
                    pieces.give(|| Mutex::new(Some(in_pieces)));
                    &loaded.give(|| read)?.session
                }
                Err(unreadable) => return Some(unreadable),
            };
            let graph = graph.get_or_init(|| ModelGraph::new(session));
            let ((set, _), config) = beside.wait()?;
            let gate = gate(config.as_ref().ok(), flags);
            let (options, _) =
                judging.get_or_init(|| (finding_options(set.rules(), gate, today), gate));
            let together = work.give(|| analysis::Together::new(graph, options))?;
            together.lead();
            validation.run();
            positions.run();
            None
        },
        || {
            let _closes = (CloseOnDrop(&beside), CloseOnDrop(&back));
            back_part.run();
            rules_and_config.run();
            if loaded.wait().is_some() {
                validation.run();
                positions.run();
                if let Some(together) = work.wait() {
                    together.help();
                }
            }
        },
    )
    .0;
    // Both threads are done: take what they made, in the order it was made.
    let problems = validation.into_result().flatten();
    let positions = positions.into_result().flatten();
    let analysis = work.into_inner().map(analysis::Together::finish);
    let gate_in_force = judging.into_inner().map(|(_, gate)| gate);
    drop(graph);
    let ((_, libraries_ok), config) = beside
        .into_inner()
        .expect("the rules were loaded, or `join` passed the panic on");
    // The rules' own problems are printed first (by `for_session`), even when the session
    // cannot be read.
    let mut unreadable = !libraries_ok;
    if let Some(error) = unreadable_session {
        eprintln!("{}", escape_control(&error.to_string()));
        return Judged {
            file: None,
            unreadable: true,
        };
    }
    let config = config.unwrap_or_else(|e| {
        eprintln!("{e}");
        unreadable = true;
        ProjectConfig::default()
    });
    let loaded = loaded
        .into_inner()
        .expect("the session was read, or its error returned");
    let (Some(problems), Some(analysis), Some(gate), Some(positions)) =
        (problems, analysis, gate_in_force, positions)
    else {
        unreachable!("the session was validated and analysed, or `join` passed the panic on")
    };
    let mut file = checked_file(path, positions, problems, analysis, gate);
    file.config = Some(config.describe());
    Judged {
        file: Some((file, loaded)),
        unreadable,
    }
}

/// The gate for a file: flags over its project config (the defaults when it has none, or it
/// cannot be read).
fn gate(config: Option<&ProjectConfig>, flags: Flags) -> Gate {
    let default = ProjectConfig::default();
    let config = config.unwrap_or(&default);
    Gate {
        fail_on: config.fail_on_or(flags.fail_on),
        max_age_days: config.max_age_or(flags.max_age_days),
    }
}

/// The threshold and maximum age in force for one file (flags over its project config).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gate {
    pub fail_on: Severity,
    pub max_age_days: Option<u32>,
}

/// One file judged as `check` judges it without flags, or `None` when it cannot be read (its
/// message is printed). Question 4's verdict is tested against this.
#[cfg(test)]
pub(crate) fn judge_file(
    path: &Path,
    library_dirs: &[PathBuf],
    today: NaiveDate,
) -> Option<CheckedFile> {
    let mut libraries = Libraries {
        extra_dirs: library_dirs,
        by_folder: HashMap::new(),
    };
    let flags = Flags {
        fail_on: None,
        max_age_days: None,
    };
    read_and_judge(path, &mut libraries, flags, today)
        .file
        .map(|(file, _)| file)
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

/// Has the C allocator keep blocks of up to 2 MiB in its heap rather than map and unmap each.
///
/// `check` frees large blocks as it goes (the file's bytes, lists grown by doubling, the pieces
/// of the reading), and glibc gives every block over 128 KiB back to the system when it is
/// freed, so the next ones are fresh pages, each a page fault (1.4 µs on a small VM). Freeing
/// one mapped block raises that threshold to its size (mallopt(3), "dynamic mmap threshold"),
/// and freed blocks below it are used again. An untouched block costs no memory. At 1,000
/// components this took 290 of 2,350 page faults and about 0.5 ms off `check`, for 0.4 MiB
/// more peak memory; 4 MiB instead of 2 saved no more and kept 30 MiB more at 30,000.
/// Elsewhere the block is only allocated and freed.
fn keep_freed_blocks_for_reuse() {
    drop(std::hint::black_box(Vec::<u8>::with_capacity(2 << 20)));
}

pub fn run(args: CheckArgs, library_dirs: &[PathBuf]) -> ExitCode {
    keep_freed_blocks_for_reuse();
    // The helper thread starts (unless `cli::main` started it already) while the flags and the
    // date are worked out.
    crate::parallel::start();
    let flags = Flags {
        fail_on: args.fail_on.map(Severity::from),
        max_age_days: args.max_age,
    };
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
        let judged = read_and_judge(path, &mut libraries, flags, today);
        // A broken rules or library file is unreadable input: the findings would silently
        // miss what it says; so is a broken project config: the gate would judge by defaults
        // the team did not choose.
        unreadable |= judged.unreadable;
        let Some((file, loaded)) = judged.file else {
            unreadable = true;
            continue;
        };
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
