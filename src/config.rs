//! The project config, `.threatboard.toml`: the gate's threshold and maximum age, kept beside
//! the sessions so that `check` in CI and question 4 in the app judge a session the same way.
//!
//! Found by walking up from the session file's folder; the walk stops after the first folder
//! that holds `.git` (the repository's root), so a config outside the project never applies.
//! Command-line flags override what the file says.

use crate::model::RiskLevel;
use crate::store::{LineCol, LineIndex};
use serde::Deserialize;
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = ".threatboard.toml";

/// The gate's threshold when neither a flag nor the config names one.
pub const DEFAULT_FAIL_ON: RiskLevel = RiskLevel::High;

/// What the config says; every setting is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectConfig {
    /// The file it was read from; `None` when there is none.
    pub path: Option<PathBuf>,
    pub fail_on: Option<RiskLevel>,
    pub max_age_days: Option<u32>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// `file:line:col: message`, as every other input error.
    #[error("{path}:{at}: {message}")]
    Invalid {
        path: String,
        at: LineCol,
        message: String,
    },
    #[error("{path}: cannot read the project config: {message}")]
    Unreadable { path: String, message: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileShape {
    #[serde(default)]
    check: CheckShape,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CheckShape {
    fail_on: Option<RiskLevel>,
    max_age_days: Option<u32>,
}

impl ProjectConfig {
    /// The threshold in force: the flag, else the config, else high.
    pub fn fail_on_or(&self, flag: Option<RiskLevel>) -> RiskLevel {
        flag.or(self.fail_on).unwrap_or(DEFAULT_FAIL_ON)
    }

    /// The maximum age in force: the flag, else the config (none: age is not checked).
    pub fn max_age_or(&self, flag: Option<u32>) -> Option<u32> {
        flag.or(self.max_age_days)
    }

    /// One line saying which config is used: `config: ./.threatboard.toml (fail_on high, max
    /// age 180 days)`, or `config: none (fail_on high by default)`.
    pub fn describe(&self) -> String {
        let Some(path) = &self.path else {
            return format!(
                "config: none ({} not found; fail_on {} by default)",
                FILE_NAME,
                DEFAULT_FAIL_ON.as_str()
            );
        };
        let mut settings = Vec::new();
        if let Some(level) = self.fail_on {
            settings.push(format!("fail_on {}", level.as_str()));
        }
        if let Some(days) = self.max_age_days {
            settings.push(format!("max age {days} days"));
        }
        if settings.is_empty() {
            settings.push("no settings".to_string());
        }
        format!("config: {} ({})", shown_path(path), settings.join(", "))
    }
}

/// `./x` for a path under the current folder, else the path as it is; control characters
/// made visible.
fn shown_path(path: &Path) -> String {
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(|p| Path::new(".").join(p)));
    crate::store::display_path(relative.as_deref().unwrap_or(path))
}

/// The nearest config above `session` (a session file's path), stopping at the repository root.
pub fn discover(session: &Path) -> Option<PathBuf> {
    let folder = session
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let start = std::path::absolute(folder).ok()?;
    for dir in start.ancestors() {
        let candidate = dir.join(FILE_NAME);
        // Anything by that name counts (a FIFO too): loading it then says why it is refused.
        if candidate.symlink_metadata().is_ok() {
            return Some(candidate);
        }
        if dir.join(".git").exists() {
            return None;
        }
    }
    None
}

/// The config that applies to `session`: the nearest one, parsed; an empty config when there
/// is none.
pub fn for_session(session: &Path) -> Result<ProjectConfig, ConfigError> {
    match discover(session) {
        Some(path) => load(&path),
        None => Ok(ProjectConfig::default()),
    }
}

pub fn load(path: &Path) -> Result<ProjectConfig, ConfigError> {
    // Through the store's reader: size-capped, and a FIFO or device is refused, not waited on.
    let unreadable = |message: String| ConfigError::Unreadable {
        path: crate::store::display_path(path),
        message,
    };
    let bytes = crate::store::read_input(path, crate::store::InputKind::PROJECT_CONFIG)
        .map_err(|e| unreadable(e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|_| unreadable("it is not UTF-8 text".into()))?;
    parse(&text, path)
}

/// Parses a config's text; unknown keys and bad values are errors with their position.
pub fn parse(text: &str, path: &Path) -> Result<ProjectConfig, ConfigError> {
    let shape: FileShape = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        // toml's message can run to several lines quoting the source; the first says why.
        let message = e
            .message()
            .lines()
            .next()
            .unwrap_or("invalid TOML")
            .trim()
            .to_string();
        ConfigError::Invalid {
            path: crate::store::display_path(path),
            at: LineIndex::new(text).line_col(text, offset),
            message: crate::model::text::escape_control(&message).into_owned(),
        }
    })?;
    Ok(ProjectConfig {
        path: Some(path.to_path_buf()),
        fail_on: shape.check.fail_on,
        max_age_days: shape.check.max_age_days,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    #[test]
    fn the_nearest_config_wins() {
        let root = tempfile::tempdir().expect("temp dir");
        let repo = root.path().join("repo");
        std::fs::create_dir_all(repo.join(".git")).expect("mkdir");
        write(&repo.join(FILE_NAME), "[check]\nfail_on = \"low\"\n");
        let session = repo.join("team/sessions/s.toml");
        write(&session, "");
        assert_eq!(discover(&session), Some(repo.join(FILE_NAME)));
        let nearer = repo.join("team").join(FILE_NAME);
        write(&nearer, "[check]\nfail_on = \"critical\"\n");
        assert_eq!(discover(&session), Some(nearer));
        let config = for_session(&session).expect("parses");
        assert_eq!(config.fail_on, Some(RiskLevel::Critical));
    }

    #[test]
    fn the_walk_stops_at_the_repository_root() {
        let root = tempfile::tempdir().expect("temp dir");
        // A config above the repository is someone else's.
        write(&root.path().join(FILE_NAME), "[check]\nfail_on = \"low\"\n");
        let repo = root.path().join("repo");
        write(&repo.join(".git"), "gitdir: elsewhere\n"); // a worktree's .git is a file
        let session = repo.join("sessions/s.toml");
        write(&session, "");
        assert_eq!(discover(&session), None);
        assert_eq!(for_session(&session), Ok(ProjectConfig::default()));
        // Without the repository, the walk goes on up and finds it.
        std::fs::remove_file(repo.join(".git")).expect("rm");
        assert_eq!(discover(&session), Some(root.path().join(FILE_NAME)));
    }

    #[test]
    fn settings_parse_and_flags_override_them() {
        let text = "# the team's gate\n[check]\nfail_on = \"medium\"\nmax_age_days = 180\n";
        let config = parse(text, Path::new("c.toml")).expect("parses");
        assert_eq!(config.fail_on, Some(RiskLevel::Medium));
        assert_eq!(config.max_age_days, Some(180));
        assert_eq!(config.fail_on_or(None), RiskLevel::Medium);
        assert_eq!(
            config.fail_on_or(Some(RiskLevel::Critical)),
            RiskLevel::Critical
        );
        assert_eq!(config.max_age_or(Some(30)), Some(30));
        assert_eq!(config.max_age_or(None), Some(180));
        assert_eq!(ProjectConfig::default().fail_on_or(None), RiskLevel::High);
        // An empty file is a config with nothing set.
        let empty = parse("", Path::new("c.toml")).expect("parses");
        assert_eq!(empty.fail_on, None);
        assert!(
            empty.describe().ends_with("(no settings)"),
            "{}",
            empty.describe()
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_say_where() {
        let err = |text: &str| {
            parse(text, Path::new("c.toml"))
                .expect_err("rejected")
                .to_string()
        };
        let unknown = err("[check]\nfail_on = \"high\"\n  max_age = 3\n");
        assert!(unknown.starts_with("c.toml:3:3: "), "{unknown}");
        assert!(unknown.contains("max_age"), "{unknown}");
        let table = err("[gate]\nfail_on = \"high\"\n");
        assert!(table.starts_with("c.toml:1:"), "{table}");
        let level = err("[check]\nfail_on = \"hgih\"\n");
        assert!(level.starts_with("c.toml:2:11: "), "{level}");
        assert!(level.contains("hgih"), "{level}");
        let days = err("[check]\nmax_age_days = -1\n");
        assert!(days.starts_with("c.toml:2:16: "), "{days}");
        let syntax = err("[check\n");
        assert!(syntax.starts_with("c.toml:1:"), "{syntax}");
    }

    #[test]
    fn a_config_that_is_not_a_regular_small_text_file_is_refused_not_waited_on() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join(".git")).expect("mkdir");
        let config = dir.path().join(FILE_NAME);
        let status = std::process::Command::new("mkfifo")
            .arg(&config)
            .status()
            .expect("mkfifo runs");
        assert!(status.success());
        let session = dir.path().join("s.toml");
        // Found (so the team hears about it), then refused without opening the FIFO.
        assert_eq!(discover(&session), Some(config.clone()));
        let err = for_session(&session).expect_err("refused").to_string();
        assert!(err.contains(".threatboard.toml"), "{err}");
        std::fs::remove_file(&config).expect("rm");
        std::fs::write(&config, vec![b'#'; 2 * 1024 * 1024]).expect("write");
        let err = for_session(&session).expect_err("too large").to_string();
        assert!(err.contains("limited"), "{err}");
        std::fs::write(&config, [0xff, 0xfe, b'\n']).expect("write");
        let err = for_session(&session).expect_err("not UTF-8").to_string();
        assert!(err.contains("UTF-8"), "{err}");
    }
}
