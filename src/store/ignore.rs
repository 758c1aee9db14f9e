//! Keeps the files threatboard writes beside a session out of the team's repository.

use std::io::Write;
use std::path::Path;

/// Patterns for the lock and autosave files (and autosaves kept for later) beside every session
/// in a folder. Conflict copies
/// (`<name>.mine.toml`) are left visible on purpose: they hold work that is in no session file
/// yet, and `git status` listing them is the reminder to merge them.
pub const PATTERNS: [&str; 3] = [
    ".*.toml.lock",
    ".*.toml.autosave",
    ".*.toml.autosave.kept-*",
];

/// Makes sure `dir/.gitignore` holds [`PATTERNS`]: creates it if there is none, else appends
/// the lines it lacks (keeping everything already in it). Returns whether the file changed.
pub fn ignore_side_files(dir: &Path) -> std::io::Result<bool> {
    let path = dir.join(".gitignore");
    let existing = match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let text = existing
        .as_deref()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    let present: Vec<&str> = text.lines().map(str::trim).collect();
    let missing: Vec<&str> = PATTERNS
        .into_iter()
        .filter(|p| !present.contains(p))
        .collect();
    if missing.is_empty() {
        return Ok(false);
    }
    let mut add = String::new();
    if !text.is_empty() && !text.ends_with('\n') {
        add.push('\n');
    }
    add.push_str("# threatboard: lock and autosave files beside the sessions\n");
    for pattern in missing {
        add.push_str(pattern);
        add.push('\n');
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)?;
    file.write_all(add.as_bytes())?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_or_completes_the_gitignore_and_keeps_what_is_there() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(".gitignore");
        assert!(ignore_side_files(dir.path()).expect("writes"));
        assert_eq!(
            std::fs::read_to_string(&path).expect("created"),
            "# threatboard: lock and autosave files beside the sessions\n.*.toml.lock\n.*.toml.autosave\n.*.toml.autosave.kept-*\n"
        );
        assert!(!ignore_side_files(dir.path()).expect("reads"), "once only");

        std::fs::write(&path, "target/\n.*.toml.lock").expect("write");
        assert!(ignore_side_files(dir.path()).expect("appends"));
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "target/\n.*.toml.lock\n# threatboard: lock and autosave files beside the sessions\n.*.toml.autosave\n.*.toml.autosave.kept-*\n"
        );
    }
}
