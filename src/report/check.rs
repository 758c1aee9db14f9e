//! Rendering `check` results: text for CI logs, stable JSON, and SARIF 2.1.0 for code-scanning
//! tools. All three come from the same [`CheckedFile`] values.

use crate::analysis::{Analysis, Finding, Rule, Severity};
use crate::model::text::escape_control;
use crate::store::{LineCol, Positions};
use serde::Serialize;
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::PathBuf;

/// Version of the JSON shape below; bumped on any incompatible change.
pub const CHECK_JSON_VERSION: u32 = 1;

/// One session file after loading, validation and analysis.
#[derive(Debug, Clone)]
pub struct CheckedFile {
    pub path: PathBuf,
    pub positions: Positions,
    /// Validation problems with their positions; a file with problems fails the gate.
    pub problems: Vec<(LineCol, String)>,
    pub analysis: Analysis,
}

impl CheckedFile {
    pub fn position(&self, finding: &Finding) -> LineCol {
        self.positions.locate(&finding.location)
    }

    /// Findings that fail the gate at `threshold`: at or above it and not covered by a valid
    /// acceptance.
    pub fn failing<'a>(&'a self, threshold: Severity) -> impl Iterator<Item = &'a Finding> + 'a {
        self.analysis
            .findings
            .iter()
            .filter(move |f| f.severity >= threshold && !f.is_accepted())
    }

    pub fn passes(&self, threshold: Severity) -> bool {
        self.problems.is_empty() && self.failing(threshold).next().is_none()
    }
}

fn plural(n: usize, word: &str) -> String {
    match (n, word.strip_suffix('y')) {
        (1, _) => format!("{n} {word}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        (_, None) => format!("{n} {word}s"),
    }
}

/// Grouped per file, one finding per line with its position, then the fix; readable in a CI log.
pub fn text(files: &[CheckedFile], threshold: Severity) -> String {
    let mut out = String::new();
    for file in files {
        let path = crate::store::display_path(&file.path);
        let _ = writeln!(out, "{path}");
        for (at, problem) in &file.problems {
            let _ = writeln!(out, "  {path}:{at}: invalid: {}", escape_control(problem));
        }
        for f in &file.analysis.findings {
            let mark = if f.is_accepted() {
                "accepted"
            } else if f.severity >= threshold {
                "FAIL"
            } else {
                "note"
            };
            let _ = writeln!(
                out,
                "  {path}:{}: {:<8} {:<8} {} {}: {}",
                file.position(f),
                f.severity.as_str(),
                mark,
                f.rule.id(),
                f.rule.name(),
                escape_control(&f.message)
            );
            match &f.accepted_by_threat {
                Some(threat) => {
                    let _ = writeln!(out, "      accepted risk: see threat {threat}");
                }
                None => {
                    let _ = writeln!(out, "      fix: {}", f.fix);
                }
            }
        }
        let a = &file.analysis;
        let _ = writeln!(
            out,
            "  coverage {:.0}% ({}/{} element x STRIDE pairs), {}, {}",
            a.coverage.percent(),
            a.coverage.covered_pairs(),
            a.coverage.applicable_pairs(),
            plural(a.findings.len(), "finding"),
            plural(a.attack_paths.len(), "attack path")
        );
        for p in a.attack_paths.iter().take(3) {
            let _ = writeln!(
                out,
                "  path: {} (crosses {}, weakest link {}/2)",
                p.components
                    .iter()
                    .map(|c| escape_control(c.as_str()).into_owned())
                    .collect::<Vec<_>>()
                    .join(" -> "),
                plural(p.boundaries_crossed.len(), "boundary"),
                p.weakest_link
            );
        }
        let failing = file.failing(threshold).count() + file.problems.len();
        let verdict = if failing == 0 { "pass" } else { "FAIL" };
        let _ = writeln!(
            out,
            "  result: {verdict} ({} at or above {})\n",
            plural(failing, "blocking item"),
            threshold.as_str()
        );
    }
    let failed = files.iter().filter(|f| !f.passes(threshold)).count();
    let _ = writeln!(
        out,
        "{} checked, {} failed (--fail-on {})",
        plural(files.len(), "file"),
        failed,
        threshold.as_str()
    );
    out
}

// The JSON document as borrowed, typed records: building it as `serde_json::Value` trees cost
// about 20 ms on a 1,000-component model. Fields are in alphabetical order, the order the
// document has always had (serde_json's default map sorts its keys).

#[derive(Serialize)]
struct CheckJson<'a> {
    fail_on: &'static str,
    files: Vec<FileJson<'a>>,
    passed: bool,
    tool: ToolJson,
    version: u32,
}

#[derive(Serialize)]
struct ToolJson {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct FileJson<'a> {
    attack_paths: Value,
    coverage: CoverageJson,
    findings: Vec<FindingJson<'a>>,
    passed: bool,
    path: String,
    problems: Vec<ProblemJson<'a>>,
}

#[derive(Serialize)]
struct CoverageJson {
    applicable: usize,
    covered: usize,
    gaps: Vec<GapJson>,
    percent: f64,
}

#[derive(Serialize)]
struct GapJson {
    element: String,
    kind: &'static str,
    missing: String,
}

#[derive(Serialize)]
struct ProblemJson<'a> {
    column: usize,
    line: usize,
    message: &'a str,
}

#[derive(Serialize)]
struct FindingJson<'a> {
    accepted_by_threat: &'a Option<String>,
    blocking: bool,
    column: usize,
    element: &'a str,
    fix: &'a str,
    key: String,
    line: usize,
    message: &'a str,
    name: &'static str,
    rule: &'static str,
    severity: &'static str,
}

fn finding_json<'a>(file: &CheckedFile, f: &'a Finding, threshold: Severity) -> FindingJson<'a> {
    let at = file.position(f);
    FindingJson {
        accepted_by_threat: &f.accepted_by_threat,
        blocking: f.severity >= threshold && !f.is_accepted(),
        column: at.col,
        element: &f.element,
        fix: &f.fix,
        key: f.key(),
        line: at.line,
        message: &f.message,
        name: f.rule.name(),
        rule: f.rule.id(),
        severity: f.severity.as_str(),
    }
}

/// A stable JSON document: keys in a fixed order, arrays in the analysis's deterministic order.
pub fn json(files: &[CheckedFile], threshold: Severity) -> String {
    let files_json: Vec<FileJson> = files
        .iter()
        .map(|file| {
            let a = &file.analysis;
            // One entry per element with its uncovered letters: compact on large models.
            let gaps = a
                .coverage
                .elements
                .iter()
                .filter(|e| !e.gaps().is_empty())
                .map(|e| GapJson {
                    element: e.id.to_string(),
                    kind: e.kind.as_str(),
                    missing: e.gaps().to_string(),
                })
                .collect();
            FileJson {
                attack_paths: serde_json::to_value(&a.attack_paths).unwrap_or_default(),
                coverage: CoverageJson {
                    applicable: a.coverage.applicable_pairs(),
                    covered: a.coverage.covered_pairs(),
                    gaps,
                    percent: (a.coverage.percent() * 10.0).round() / 10.0,
                },
                findings: a
                    .findings
                    .iter()
                    .map(|f| finding_json(file, f, threshold))
                    .collect(),
                passed: file.passes(threshold),
                path: file.path.display().to_string(),
                problems: file
                    .problems
                    .iter()
                    .map(|(at, p)| ProblemJson {
                        column: at.col,
                        line: at.line,
                        message: p,
                    })
                    .collect(),
            }
        })
        .collect();
    let doc = CheckJson {
        fail_on: threshold.as_str(),
        files: files_json,
        passed: files.iter().all(|f| f.passes(threshold)),
        tool: ToolJson {
            name: "threatboard",
            version: env!("CARGO_PKG_VERSION"),
        },
        version: CHECK_JSON_VERSION,
    };
    let mut text = super::to_json_pretty(&doc);
    text.push('\n');
    text
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// SARIF 2.1.0: one run, every rule described, each result pointing at the session file's line
/// of the element. Accepted findings carry an external suppression with the threat id.
pub fn sarif(files: &[CheckedFile], threshold: Severity) -> String {
    let rules: Vec<Value> = Rule::ALL
        .iter()
        .map(|r| {
            json!({
                "id": r.id(),
                "name": r.name(),
                "shortDescription": {"text": r.description()},
            })
        })
        .collect();
    let mut results = Vec::new();
    for file in files {
        let uri = file.path.to_string_lossy().replace('\\', "/");
        let location = |at: LineCol| {
            json!([{
                "physicalLocation": {
                    "artifactLocation": {"uri": uri},
                    "region": {"startLine": at.line, "startColumn": at.col}
                }
            }])
        };
        for (at, problem) in &file.problems {
            results.push(json!({
                "ruleId": "TB000",
                "level": "error",
                "message": {"text": format!("invalid session: {problem}")},
                "locations": location(*at),
            }));
        }
        for f in &file.analysis.findings {
            let rule_index = Rule::ALL.iter().position(|r| *r == f.rule).unwrap_or(0);
            let mut result = json!({
                "ruleId": f.rule.id(),
                "ruleIndex": rule_index,
                "level": if f.severity >= threshold { sarif_level(f.severity) } else { "note" },
                "message": {"text": format!("{}. Fix: {}", f.message, f.fix)},
                "locations": location(file.position(f)),
                "partialFingerprints": {"threatboardFindingKey/v1": f.key()},
                "properties": {"severity": f.severity.as_str()},
            });
            if let Some(threat) = &f.accepted_by_threat {
                result["suppressions"] = json!([{
                    "kind": "external",
                    "justification": format!("risk accepted in threat {threat}"),
                }]);
            }
            results.push(result);
        }
    }
    let mut all_rules = vec![json!({
        "id": "TB000",
        "name": "invalid-session",
        "shortDescription": {"text": "The session file does not validate."},
    })];
    all_rules.extend(rules);
    // ruleIndex counts from the rules array, which starts with TB000.
    for r in &mut results {
        if let Some(i) = r.get("ruleIndex").and_then(Value::as_u64) {
            r["ruleIndex"] = json!(i + 1);
        }
    }
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "threatboard",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": all_rules,
            }},
            "results": results,
        }],
    });
    let mut text = super::to_json_pretty(&doc);
    text.push('\n');
    text
}
