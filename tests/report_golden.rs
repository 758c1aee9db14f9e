//! Golden files: every report and diagram format for the microservices example, compared byte
//! for byte with `tests/fixtures/reports/`. After an intended change to an output, rewrite them
//! with `UPDATE_GOLDEN=1 cargo test --test report_golden` and review the diff.

use std::path::{Path, PathBuf};
use std::process::Command;

const SESSION: &str = "sessions/microservices-api-platform.toml";
const TODAY: &str = "2026-11-23";

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_threatboard"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "threatboard {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("output is UTF-8")
}

fn report(format: &str) -> String {
    run(&["report", SESSION, "--format", format, "--today", TODAY])
}

fn golden_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/reports")
        .join(name)
}

/// Compares with the golden file, or rewrites it when `UPDATE_GOLDEN=1`.
fn check_golden(name: &str, actual: &str) {
    let path = golden_path(name);
    if std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1") {
        std::fs::write(&path, actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read golden file {}: {e}\nrun `UPDATE_GOLDEN=1 cargo test --test report_golden` to create it",
            path.display()
        )
    });
    if expected == actual {
        return;
    }
    let (line, want, got) = first_difference(&expected, actual);
    panic!(
        "{name} differs from its golden file {} at line {line}:\n  expected: {want:?}\n  actual:   {got:?}\n\
         (expected {} bytes, got {}). If the change is intended, run\n  \
         UPDATE_GOLDEN=1 cargo test --test report_golden\nand review the diff of tests/fixtures/reports/.",
        path.display(),
        expected.len(),
        actual.len()
    );
}

fn first_difference(expected: &str, actual: &str) -> (usize, String, String) {
    let mut e = expected.split_inclusive('\n');
    let mut a = actual.split_inclusive('\n');
    let mut line = 1;
    loop {
        match (e.next(), a.next()) {
            (Some(x), Some(y)) if x == y => line += 1,
            (x, y) => {
                return (
                    line,
                    x.unwrap_or("<end of file>").to_string(),
                    y.unwrap_or("<end of file>").to_string(),
                );
            }
        }
    }
}

#[test]
fn golden_markdown() {
    check_golden("microservices-api-platform.md", &report("md"));
}

#[test]
fn golden_html() {
    check_golden("microservices-api-platform.html", &report("html"));
}

#[test]
fn golden_json() {
    check_golden("microservices-api-platform.json", &report("json"));
}

#[test]
fn golden_csv() {
    check_golden("microservices-api-platform.csv", &report("csv"));
}

#[test]
fn golden_sarif() {
    check_golden("microservices-api-platform.sarif", &report("sarif"));
}

#[test]
fn golden_mermaid() {
    check_golden(
        "microservices-api-platform.mmd",
        &run(&["diagram", SESSION, "--format", "mermaid"]),
    );
}

#[test]
fn golden_dot() {
    check_golden(
        "microservices-api-platform.dot",
        &run(&["diagram", SESSION, "--format", "dot"]),
    );
}

#[test]
fn markdown_is_the_default_and_output_is_stable() {
    let default = run(&["report", SESSION, "--today", TODAY]);
    assert_eq!(default, report("md"));
    assert_eq!(report("html"), report("html"));
}

#[test]
fn the_difference_hint_names_the_first_changed_line() {
    assert_eq!(
        first_difference("a\nb\nc\n", "a\nB\nc\n"),
        (2, "b\n".to_string(), "B\n".to_string())
    );
    assert_eq!(
        first_difference("a\n", "a\nmore\n"),
        (2, "<end of file>".to_string(), "more\n".to_string())
    );
}
