//! What a re-run compares with by default: the session as it was at its last recorded run.
//!
//! 1. The newest commit of the file whose `Threatboard-Run` trailer names the last run's date
//!    (the app's commit dialog adds it when it commits the day's run).
//! 2. Else, for teams that commit outside the app, the newest commit made on or before that
//!    day whose version of the file has the same last run.
//! 3. Else the first commit whose version has that run (it was committed days later).
//! 4. Else the file's last commit.

use super::git::{self, FileCommit, GitError};
use crate::model::Session;
use chrono::NaiveDate;
use std::path::Path;

/// How many older versions step 2 reads at most: enough for a long-lived model, and bounded.
const MAX_VERSIONS_READ: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// The commit's trailer names the last run.
    Trailer,
    /// The commit's version has the last run, and was made on or before its day.
    SameRun,
    /// The first commit whose version has the last run (made after its day).
    FirstWithRun,
    /// Nothing records the last run (or there is none): the last commit.
    LastCommit,
}

/// The chosen version of the session file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunBaseline {
    pub commit: FileCommit,
    pub text: String,
    pub why: Why,
    pub last_run: Option<NaiveDate>,
}

impl RunBaseline {
    /// The hash a run records: 12 digits, short enough to read and long enough to stay unique.
    pub fn recorded_hash(&self) -> String {
        self.commit.hash.chars().take(12).collect()
    }

    /// For "Compared with ..." / "Nothing changed since ...".
    pub fn describe(&self) -> String {
        let short: String = self.commit.hash.chars().take(7).collect();
        match (self.why, self.last_run) {
            (Why::Trailer, Some(run)) => {
                format!("the session at its last run ({run}, commit {short})")
            }
            (Why::SameRun, Some(run)) => format!(
                "the session at its last run ({run}, commit {short}, the newest commit of that day or before with that run)"
            ),
            (Why::FirstWithRun, Some(run)) => format!(
                "the session at its last run ({run}, commit {short}, the first commit with that run)"
            ),
            (_, Some(run)) => {
                format!("the last commit ({short}; no commit records the last run, {run})")
            }
            (_, None) => format!("the last commit ({short}; the session has no run yet)"),
        }
    }
}

/// Picks the baseline in `history` (newest first) for a session whose last run is on
/// `last_run`; `last_run_in` reads the last run's date of a commit's version. `None` when the
/// history is empty.
pub fn choose(
    history: &[FileCommit],
    last_run: Option<NaiveDate>,
    mut last_run_in: impl FnMut(&FileCommit) -> Option<NaiveDate>,
) -> Option<(usize, Why)> {
    if history.is_empty() {
        return None;
    }
    if let Some(run) = last_run {
        let day = run.to_string();
        if let Some(i) = history.iter().position(|c| c.runs.contains(&day)) {
            return Some((i, Why::Trailer));
        }
        let on_or_before =
            |c: &FileCommit| NaiveDate::parse_from_str(&c.date, "%Y-%m-%d").is_ok_and(|d| d <= run);
        // Newest first: once a version's last run is older (or it has none), so are all
        // before it, and the run was not recorded yet.
        let mut first_with_run = None;
        for (i, c) in history.iter().enumerate().take(MAX_VERSIONS_READ) {
            match last_run_in(c) {
                Some(d) if d == run => {
                    if on_or_before(c) {
                        return Some((i, Why::SameRun));
                    }
                    first_with_run = Some(i);
                }
                Some(d) if d > run => {}
                _ => break,
            }
        }
        if let Some(i) = first_with_run {
            return Some((i, Why::FirstWithRun));
        }
    }
    Some((0, Why::LastCommit))
}

/// The baseline of a re-run of `session`, stored at `path`; `None` if the file has no commit.
pub fn find(path: &Path, session: &Session) -> Result<Option<RunBaseline>, GitError> {
    let history = git::file_history(path)?;
    let last_run = session.last_run().map(|r| r.date);
    let mut failure = None;
    let chosen = choose(&history, last_run, |commit| {
        match git::show_in_commit(path, commit) {
            Ok(text) => text
                .and_then(|t| super::parse(&t).ok())
                .and_then(|(s, _)| s.last_run().map(|r| r.date)),
            Err(e) => {
                failure.get_or_insert(e);
                None
            }
        }
    });
    let Some((i, why)) = chosen else {
        return Ok(None);
    };
    let commit = history[i].clone();
    match git::show_in_commit(path, &commit) {
        Ok(Some(text)) => Ok(Some(RunBaseline {
            commit,
            text,
            why,
            last_run,
        })),
        Ok(None) => Ok(None),
        Err(e) => Err(failure.unwrap_or(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(hash: &str, date: &str, runs: &[&str]) -> FileCommit {
        FileCommit {
            hash: hash.into(),
            date: date.into(),
            runs: runs.iter().map(|r| r.to_string()).collect(),
            path: "s.toml".into(),
        }
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn the_newest_commit_naming_the_last_run_wins() {
        let history = [
            commit("c3", "2026-12-01", &[]),
            commit("c2", "2026-11-20", &["2026-11-20"]),
            commit("c1", "2026-11-20", &["2026-11-20"]),
        ];
        let chosen = choose(&history, Some(day("2026-11-20")), |_| None);
        assert_eq!(chosen, Some((1, Why::Trailer)));
    }

    #[test]
    fn without_a_trailer_the_newest_version_with_the_run_made_by_its_day() {
        let history = [
            commit("c4", "2026-12-01", &[]),
            commit("c3", "2026-11-21", &[]),
            commit("c2", "2026-11-20", &[]),
            commit("c1", "2026-11-01", &[]),
        ];
        let runs = |c: &FileCommit| match c.hash.as_str() {
            "c1" => Some(day("2026-11-01")),
            _ => Some(day("2026-11-20")),
        };
        // c4 and c3 have the run too, but were made after its day.
        let chosen = choose(&history, Some(day("2026-11-20")), runs);
        assert_eq!(chosen, Some((2, Why::SameRun)));
    }

    #[test]
    fn a_run_committed_days_later_is_found_at_its_first_commit() {
        let history = [
            commit("c4", "2026-12-01", &[]),
            commit("c3", "2026-11-25", &[]),
            commit("c2", "2026-11-24", &[]),
            commit("c1", "2026-11-01", &[]),
        ];
        let mut read = Vec::new();
        let runs = |c: &FileCommit| {
            read.push(c.hash.clone());
            match c.hash.as_str() {
                "c1" => None,
                _ => Some(day("2026-11-20")),
            }
        };
        let chosen = choose(&history, Some(day("2026-11-20")), runs);
        assert_eq!(chosen, Some((2, Why::FirstWithRun)));
        assert_eq!(
            read,
            ["c4", "c3", "c2", "c1"],
            "stops at the version without it"
        );
    }

    #[test]
    fn else_the_last_commit_and_nothing_without_history() {
        let history = [
            commit("c2", "2026-12-01", &[]),
            commit("c1", "2026-11-01", &[]),
        ];
        assert_eq!(
            choose(&history, Some(day("2026-11-20")), |_| None),
            Some((0, Why::LastCommit))
        );
        assert_eq!(choose(&history, None, |_| None), Some((0, Why::LastCommit)));
        assert_eq!(choose(&[], Some(day("2026-11-20")), |_| None), None);
    }

    #[test]
    fn the_description_says_which_and_why() {
        let b = RunBaseline {
            commit: commit("abcdef0123456789", "2026-11-20", &["2026-11-20"]),
            text: String::new(),
            why: Why::Trailer,
            last_run: Some(day("2026-11-20")),
        };
        assert_eq!(
            b.describe(),
            "the session at its last run (2026-11-20, commit abcdef0)"
        );
        assert_eq!(b.recorded_hash(), "abcdef012345");
        let head = RunBaseline {
            why: Why::LastCommit,
            ..b
        };
        assert!(
            head.describe()
                .starts_with("the last commit (abcdef0; no commit records")
        );
    }
}
