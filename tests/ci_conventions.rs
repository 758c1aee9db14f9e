//! The CI conventions stay true: the pre-commit hook manifest parses and names real commands,
//! and the documented GitHub Actions workflow parses, runs `check --format sarif` and uploads
//! the file it writes.

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn repo_file(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_hook_has_the_required_keys_and_names_a_real_subcommand() {
    let manifest: Value =
        serde_saphyr::from_str(&repo_file(".pre-commit-hooks.yaml")).expect("manifest parses");
    let hooks = manifest.as_array().expect("a list of hooks");
    let ids: Vec<&str> = hooks.iter().filter_map(|h| h["id"].as_str()).collect();
    assert_eq!(ids, ["threatboard-validate", "threatboard-check"]);
    for hook in hooks {
        for key in ["id", "name", "entry", "language"] {
            assert!(
                hook[key].as_str().is_some_and(|v| !v.trim().is_empty()),
                "hook {hook} lacks {key}"
            );
        }
        assert_eq!(
            hook["language"], "rust",
            "pre-commit installs it with cargo"
        );
        assert!(
            hook["files"]
                .as_str()
                .is_some_and(|f| f.contains("sessions/") && f.ends_with("\\.toml$"))
        );
        let entry = hook["entry"].as_str().unwrap_or_default();
        let words: Vec<&str> = entry.split_whitespace().collect();
        assert_eq!(words.first(), Some(&"threatboard"), "{entry}");
        let help = Command::new(env!("CARGO_BIN_EXE_threatboard"))
            .args(&words[1..])
            .arg("--help")
            .output()
            .expect("runs");
        assert!(
            help.status.success(),
            "{entry} --help: {}",
            String::from_utf8_lossy(&help.stderr)
        );
    }
}

#[test]
fn the_documented_workflow_parses_and_uploads_the_sarif_it_writes() {
    let doc = repo_file("docs/github-actions.md");
    let block = doc
        .split("```yaml\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("a yaml block");
    let workflow: Value = serde_saphyr::from_str(block).expect("the workflow parses");
    let steps = workflow["jobs"]["check"]["steps"]
        .as_array()
        .expect("steps");
    let check = steps
        .iter()
        .filter_map(|s| s["run"].as_str())
        .find(|r| r.contains("threatboard check") && r.contains("--format sarif"))
        .expect("a step runs check --format sarif");
    let written = check.rsplit('>').next().unwrap_or_default().trim();
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        })
        .expect("an upload-sarif step");
    assert_eq!(upload["with"]["sarif_file"].as_str(), Some(written));
    assert_eq!(upload["if"].as_str(), Some("always()"));
    assert_eq!(workflow["permissions"]["security-events"], "write");
    // The flags the doc uses exist.
    let help = Command::new(env!("CARGO_BIN_EXE_threatboard"))
        .args(["check", "--help"])
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&help.stdout).contains("sarif"));
}
