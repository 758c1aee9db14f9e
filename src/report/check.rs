//! Rendering `check` results: text for CI logs, stable JSON, and SARIF 2.1.0 for code-scanning
//! tools. All three come from the same [`CheckedFile`] values.

use crate::analysis::{Analysis, Finding, Rule, Severity, Tracking, Verdict};
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
    /// The threshold for this file: the flag, else its project config, else high.
    pub fail_on: Severity,
    /// Which project config applied, as one line for the text output; `None` leaves it out.
    pub config: Option<String>,
}

impl CheckedFile {
    pub fn position(&self, finding: &Finding) -> LineCol {
        self.positions.locate(&finding.location)
    }

    /// Findings that fail the gate: at or above the threshold, neither accepted nor tracked.
    pub fn failing(&self) -> impl Iterator<Item = &Finding> + '_ {
        self.analysis
            .findings
            .iter()
            .filter(|f| f.blocks(self.fail_on))
    }

    /// The verdict `check` prints, and question 4 shows, for this file.
    pub fn verdict(&self) -> Verdict {
        Verdict::of(&self.analysis.findings, self.problems.len(), self.fail_on)
    }

    pub fn passes(&self) -> bool {
        self.verdict().passes()
    }
}

/// The threshold the files share, for the summary; `None` when their configs differ.
fn common_threshold(files: &[CheckedFile]) -> Option<Severity> {
    let first = files
        .first()
        .map_or(crate::config::DEFAULT_FAIL_ON, |f| f.fail_on);
    files.iter().all(|f| f.fail_on == first).then_some(first)
}

fn plural(n: usize, word: &str) -> String {
    match (n, word.strip_suffix('y')) {
        (1, _) => format!("{n} {word}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        (_, None) => format!("{n} {word}s"),
    }
}

/// Attack paths printed per file; the report lists them all.
const PATHS_SHOWN: usize = 3;

/// Grouped per file, one finding per line with its position, then the fix; readable in a CI log.
pub fn text(files: &[CheckedFile]) -> String {
    let mut out = Vec::new();
    // Writing to memory cannot fail.
    let _ = write_text(files, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// [`text`] written to `writer` a file at a time.
pub fn write_text(files: &[CheckedFile], mut writer: impl std::io::Write) -> std::io::Result<()> {
    let mut out = String::new();
    for file in files {
        writer.write_all(out.as_bytes())?;
        out.clear();
        let threshold = file.fail_on;
        let path = crate::store::display_path(&file.path);
        let _ = writeln!(out, "{path}");
        if let Some(config) = &file.config {
            let _ = writeln!(out, "  {config}");
        }
        for (at, problem) in &file.problems {
            let _ = writeln!(out, "  {path}:{at}: invalid: {}", escape_control(problem));
        }
        for f in &file.analysis.findings {
            let mark = if f.is_accepted() {
                "accepted"
            } else if f.is_tracked() {
                "tracked"
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
            match (&f.accepted_by_threat, &f.tracked_by) {
                (Some(threat), _) => {
                    let _ = writeln!(out, "      accepted risk: see threat {threat}");
                }
                (None, Some(tracking)) => {
                    let _ = writeln!(out, "      {}", escape_control(&tracking.to_string()));
                }
                (None, None) => {
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
        for p in a.attack_paths.iter().take(PATHS_SHOWN) {
            let _ = writeln!(
                out,
                "  path: {} (crosses {}, weakest link {}/2)",
                p.route(true),
                plural(p.boundaries_crossed.len(), "boundary"),
                p.weakest_link
            );
        }
        if a.attack_paths.len() > PATHS_SHOWN {
            let _ = writeln!(
                out,
                "  {PATHS_SHOWN} of {} attack paths shown; `threatboard report` lists all",
                a.attack_paths.len()
            );
        }
        if !a.attack_paths.is_empty() {
            let _ = writeln!(out, "  {}", crate::analysis::paths::LEGEND_ASCII);
        }
        let _ = writeln!(out, "  {}\n", file.verdict());
    }
    let failed = files.iter().filter(|f| !f.passes()).count();
    let threshold = common_threshold(files).map_or("per file", |t| t.as_str());
    let _ = writeln!(
        out,
        "{} checked, {} failed (fail on {threshold})",
        plural(files.len(), "file"),
        failed,
    );
    writer.write_all(out.as_bytes())
}

// The JSON document as borrowed, typed records: building it as `serde_json::Value` trees cost
// about 20 ms on a 1,000-component model. Fields are in alphabetical order, the order the
// document has always had (serde_json's default map sorts its keys).

#[derive(Serialize)]
struct CheckJson<'a> {
    /// The threshold of every file, or "per-file" when their project configs differ.
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
    coverage: CoverageJson<'a>,
    fail_on: &'static str,
    findings: FindingsJson<'a>,
    passed: bool,
    path: String,
    problems: Vec<ProblemJson<'a>>,
}

#[derive(Serialize)]
struct CoverageJson<'a> {
    applicable: usize,
    covered: usize,
    gaps: GapsJson<'a>,
    percent: f64,
}

/// One entry per element with its uncovered letters: compact on large models. Written as it
/// is serialized, like the findings, so the document is never held twice.
struct GapsJson<'a>(&'a Analysis);

impl Serialize for GapsJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(
            self.0
                .coverage
                .elements
                .iter()
                .filter(|e| !e.gaps().is_empty())
                .map(|e| GapJson {
                    element: e.id.as_str(),
                    kind: e.kind.as_str(),
                    missing: e.gaps().to_string(),
                }),
        )
    }
}

#[derive(Serialize)]
struct GapJson<'a> {
    element: &'a str,
    kind: &'static str,
    missing: String,
}

#[derive(Serialize)]
struct ProblemJson<'a> {
    column: usize,
    line: usize,
    message: &'a str,
}

struct FindingsJson<'a>(&'a CheckedFile);

impl Serialize for FindingsJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let file = self.0;
        serializer.collect_seq(file.analysis.findings.iter().map(|f| finding_json(file, f)))
    }
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
    tracked: &'a Option<Tracking>,
}

fn finding_json<'a>(file: &CheckedFile, f: &'a Finding) -> FindingJson<'a> {
    let at = file.position(f);
    FindingJson {
        accepted_by_threat: &f.accepted_by_threat,
        blocking: f.blocks(file.fail_on),
        column: at.col,
        element: &f.element,
        fix: &f.fix,
        key: f.key(),
        line: at.line,
        message: &f.message,
        name: f.rule.name(),
        rule: f.rule.id(),
        severity: f.severity.as_str(),
        tracked: &f.tracked_by,
    }
}

/// A stable JSON document: keys in a fixed order, arrays in the analysis's deterministic order.
pub fn json(files: &[CheckedFile]) -> String {
    let mut out = Vec::new();
    // Writing to memory fails only if serializing does, which these types never do.
    let _ = write_json(files, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// [`json`] written to `out` as it is produced: on large models the document runs to
/// megabytes that need never be held at once.
pub fn write_json(files: &[CheckedFile], mut out: impl std::io::Write) -> std::io::Result<()> {
    use std::io::Write as _;
    let files_json: Vec<FileJson> = files
        .iter()
        .map(|file| {
            let a = &file.analysis;
            FileJson {
                attack_paths: serde_json::to_value(&a.attack_paths).unwrap_or_default(),
                coverage: CoverageJson {
                    applicable: a.coverage.applicable_pairs(),
                    covered: a.coverage.covered_pairs(),
                    gaps: GapsJson(a),
                    percent: (a.coverage.percent() * 10.0).round() / 10.0,
                },
                fail_on: file.fail_on.as_str(),
                findings: FindingsJson(file),
                passed: file.passes(),
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
        fail_on: common_threshold(files).map_or("per-file", |t| t.as_str()),
        files: files_json,
        passed: files.iter().all(|f| f.passes()),
        tool: ToolJson {
            name: "threatboard",
            version: env!("CARGO_PKG_VERSION"),
        },
        version: CHECK_JSON_VERSION,
    };
    // serde_json writes a document as thousands of small pieces; a buffer of a concrete type
    // takes them without a call through `out` for each (a third of the output time).
    let mut buffered = std::io::BufWriter::with_capacity(64 * 1024, &mut out);
    super::write_json_pretty(&mut buffered, &doc)?;
    buffered.write_all(b"\n")?;
    buffered.flush()
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// SARIF 2.1.0: one run, every rule described, each result pointing at the session file's line
/// of the element. Accepted and tracked findings carry an external suppression saying why.
pub fn sarif(files: &[CheckedFile]) -> String {
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
        let threshold = file.fail_on;
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
            let justification = match (&f.accepted_by_threat, &f.tracked_by) {
                (Some(threat), _) => Some(format!("risk accepted in threat {threat}")),
                (None, Some(tracking)) => Some(tracking.to_string()),
                (None, None) => None,
            };
            if let Some(justification) = justification {
                result["suppressions"] = json!([{
                    "kind": "external",
                    "justification": justification,
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
