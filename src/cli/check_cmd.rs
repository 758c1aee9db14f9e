//! `threatboard check`: the CI gate.

use super::{EXIT_PROBLEMS, EXIT_UNREADABLE};
use crate::analysis::{FindingOptions, Severity, analyze};
use crate::model::{RiskLevel, text::escape_control, validate};
use crate::report::check::{CheckedFile, json, sarif, text};
use crate::store;
use chrono::NaiveDate;
use std::path::PathBuf;
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
pub struct CheckArgs {
    /// Session files (TOML).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Fail when a finding at or above this severity is not covered by a valid acceptance.
    #[arg(long, value_enum, default_value = "high", value_name = "SEVERITY")]
    pub fail_on: Threshold,
    /// Also fail when the session's last run is older than this many days.
    #[arg(long, value_name = "DAYS")]
    pub max_age: Option<u32>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: CheckFormat,
    /// Evaluate due dates as of this day instead of today (reproducible runs).
    #[arg(long, value_name = "YYYY-MM-DD", hide = true)]
    pub today: Option<NaiveDate>,
}

pub fn run(args: CheckArgs) -> ExitCode {
    let threshold = Severity::from(args.fail_on);
    let options = FindingOptions {
        today: args
            .today
            .unwrap_or_else(|| chrono::Local::now().date_naive()),
        max_age_days: args.max_age,
    };
    let mut checked = Vec::new();
    let mut unreadable = false;
    for path in &args.files {
        let loaded = match store::load(path) {
            Ok(loaded) => loaded,
            Err(e) => {
                eprintln!("{}", escape_control(&e.to_string()));
                unreadable = true;
                continue;
            }
        };
        let mut problems: Vec<_> = validate(&loaded.session)
            .iter()
            .map(|p| (loaded.positions.locate(&p.location), p.to_string()))
            .collect();
        problems.sort_by_key(|(at, _)| *at);
        let analysis = analyze(&loaded.session, &options);
        checked.push(CheckedFile {
            path: path.clone(),
            positions: loaded.positions,
            problems,
            analysis,
        });
    }
    let output = match args.format {
        CheckFormat::Text => text(&checked, threshold),
        CheckFormat::Json => json(&checked, threshold),
        CheckFormat::Sarif => sarif(&checked, threshold),
    };
    print!("{output}");
    if unreadable {
        ExitCode::from(EXIT_UNREADABLE)
    } else if checked.iter().all(|f| f.passes(threshold)) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PROBLEMS)
    }
}
