//! `threatboard suggest`: the threats the rules suggest that the team has not answered yet.
//!
//! Lists the open suggestions (neither added as a threat nor dismissed) and those that came back
//! because what the rule reads changed since they were dismissed. Elements come in the order a
//! facilitator walks them: flows that cross a trust boundary, then the other flows, then the
//! components, each group in file order; an element's suggestions keep the rules' order.
//!
//! `--format json` prints an array, one object per suggestion in the same order, with these keys
//! (always all of them, sorted):
//!
//! | key | value |
//! | --- | --- |
//! | `cwes` | CWE ids, e.g. `["CWE-89"]` |
//! | `dismissed_reason` | the reason given when it was dismissed (state `returned`), else null |
//! | `element` | the component or flow id |
//! | `element_name` | its name (a flow's label) |
//! | `impact`, `likelihood` | the rule's defaults, 1 to 3, or null |
//! | `kind` | `process`, `data-store`, `external-entity` or `flow` |
//! | `mitigations` | suggested mitigations, placeholders filled in |
//! | `reason` | why the rule applies here |
//! | `refs` | library references, e.g. `["capec:CAPEC-60"]` |
//! | `rule`, `rule_name` | the threat rule's id and name |
//! | `state` | `open`, or `returned` when it was dismissed and what the rule reads changed |
//! | `statement` | the threat, naming the elements |
//! | `stride` | STRIDE letters, e.g. `"ST"` |
//! | `was` | for `returned`: what changed (`"authenticated was true, now false"`), else null |
//!
//! Exit codes: 0 listed (suggestions are advice, never a failure), 2 the session or a library or
//! rules file cannot be read, or `--element` names no component or flow.

use super::EXIT_UNREADABLE;
use crate::analysis::ModelGraph;
use crate::library;
use crate::model::text::escape_control;
use crate::model::{Session, validate};
use crate::rules::{Suggestion, SuggestionState};
use crate::store;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SuggestFormat {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Order: flows that cross a trust boundary first, then the other flows, then the components, \
each group in file order; an element's suggestions in the order of the rules.

Listed: suggestions neither added as a threat nor dismissed, and dismissed ones that came back \
because what the rule reads has changed (marked \"back\"). Rules come from the shipped rules \
file and any rules file in libraries/ beside the session or in --library-dir.

--format json: an array in the same order, one object per suggestion with the keys cwes, \
dismissed_reason, element, element_name, impact, kind, likelihood, mitigations, reason, refs, \
rule, rule_name, state (open or returned), statement, stride, was (what changed, for returned); \
absent values are null.

Exit codes: 0 listed (suggestions are advice), 2 unreadable session, library or rules file, or \
an --element that names no component or flow.")]
pub struct SuggestArgs {
    /// The session file (TOML).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Only this component or flow.
    #[arg(long, value_name = "ID")]
    pub element: Option<String>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: SuggestFormat,
}

/// One suggestion as `--format json` writes it; fields in alphabetical order.
#[derive(Debug, Serialize)]
struct SuggestionJson<'a> {
    cwes: &'a [String],
    dismissed_reason: Option<&'a str>,
    element: &'a str,
    element_name: &'a str,
    impact: Option<i64>,
    kind: &'static str,
    likelihood: Option<i64>,
    mitigations: &'a [String],
    reason: &'a str,
    refs: &'a [String],
    rule: &'a str,
    rule_name: &'a str,
    state: &'static str,
    statement: &'a str,
    stride: String,
    was: Option<&'a str>,
}

pub fn run(args: SuggestArgs, library_dirs: &[PathBuf]) -> ExitCode {
    let loaded = match store::load(&args.file) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("{}", escape_control(&e.to_string()));
            return ExitCode::from(EXIT_UNREADABLE);
        }
    };
    let session = &loaded.session;
    if let Some(id) = &args.element
        && session.component(id).is_none()
        && session.flow(id).is_none()
    {
        eprintln!(
            "{}: --element {:?}: no component or flow has this id (suggestions are for components and flows)",
            store::display_path(&args.file),
            escape_control(id)
        );
        return ExitCode::from(EXIT_UNREADABLE);
    }
    let libraries = match library::load_for_session(Some(&args.file), library_dirs) {
        Ok(set) => set,
        Err(e) => {
            // A rules file with a problem would silently leave its rules out.
            for p in &e.problems {
                eprintln!("{}", escape_control(&p.to_string()));
            }
            return ExitCode::from(EXIT_UNREADABLE);
        }
    };
    // Problems in the session do not stop the advice, but the reader should know of them.
    let mut problems: Vec<_> = validate(session)
        .iter()
        .map(|p| (loaded.positions.locate(&p.location), loaded.describe(p)))
        .collect();
    problems.sort_by_key(|(at, _)| *at);
    for (_, line) in &problems {
        eprintln!("warning: {}", escape_control(line));
    }

    let graph = ModelGraph::new(session);
    let all = libraries.rules().suggest(&graph, args.element.as_deref());
    let answered = all.iter().filter(|s| !s.state.is_open()).count();
    let open = in_walking_order(&graph, all.iter().filter(|s| s.state.is_open()).collect());
    let output = match args.format {
        SuggestFormat::Text => text(&graph, &open, answered),
        SuggestFormat::Json => json(session, &open),
    };
    match super::print_stdout(&output) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}

/// Crossing flows, other flows, then components; file order within each group, and the
/// engine's (rule) order within an element.
fn in_walking_order<'s, 'r>(
    graph: &ModelGraph<'_>,
    mut list: Vec<&'s Suggestion<'r>>,
) -> Vec<&'s Suggestion<'r>> {
    let s = graph.session;
    let mut rank: HashMap<&str, (u8, usize)> = HashMap::new();
    for (i, f) in s.flows.iter().enumerate() {
        let group = if graph.crosses_boundary(i) { 0 } else { 1 };
        rank.entry(f.id.as_str()).or_insert((group, i));
    }
    for (i, c) in s.components.iter().enumerate() {
        rank.entry(c.id.as_str()).or_insert((2, i));
    }
    // Stable: an element's suggestions stay in rule order.
    list.sort_by_key(|sug| {
        rank.get(sug.element.as_str())
            .copied()
            .unwrap_or((3, usize::MAX))
    });
    list
}

fn element_name<'s>(s: &'s Session, id: &str) -> &'s str {
    match s.component(id) {
        Some(c) => &c.name,
        None => s.flow(id).map_or("", |f| &f.label),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn text(graph: &ModelGraph<'_>, open: &[&Suggestion<'_>], answered: usize) -> String {
    let s = graph.session;
    let crossing: std::collections::HashSet<&str> = s
        .flows
        .iter()
        .enumerate()
        .filter(|(i, _)| graph.crosses_boundary(*i))
        .map(|(_, f)| f.id.as_str())
        .collect();
    let mut out = String::new();
    let mut elements = 0;
    let mut back = 0;
    let mut current: Option<&str> = None;
    for sug in open {
        if current != Some(sug.element.as_str()) {
            if current.is_some() {
                out.push('\n');
            }
            current = Some(sug.element.as_str());
            elements += 1;
            line(
                &mut out,
                &format!(
                    "{} \"{}\" ({}{})",
                    sug.element,
                    element_name(s, &sug.element),
                    sug.kind.as_str(),
                    if crossing.contains(sug.element.as_str()) {
                        ", crosses a trust boundary"
                    } else {
                        ""
                    }
                ),
            );
        }
        let mark = if matches!(sug.state, SuggestionState::Returned { .. }) {
            "back "
        } else {
            ""
        };
        line(
            &mut out,
            &format!(
                "  {mark}{} [{}] {}",
                sug.rule.id, sug.rule.stride, sug.statement
            ),
        );
        line(&mut out, &format!("      because: {}", sug.reason));
        if let SuggestionState::Returned { was, reason } = &sug.state {
            back += 1;
            line(
                &mut out,
                &format!("      back: dismissed as {reason:?}, but since then {was}"),
            );
        }
        let refs: Vec<&str> = sug
            .rule
            .refs
            .iter()
            .chain(&sug.rule.cwes)
            .map(String::as_str)
            .collect();
        if !refs.is_empty() {
            line(&mut out, &format!("      refs: {}", refs.join(", ")));
        }
    }
    if !open.is_empty() {
        out.push('\n');
    }
    let mut summary = if open.is_empty() {
        "No open suggestions".to_string()
    } else {
        let mut text = format!(
            "{} on {}",
            plural(open.len(), "open suggestion", "open suggestions"),
            plural(elements, "element", "elements")
        );
        if back > 0 {
            let _ = write!(text, " ({back} back after a change)");
        }
        text
    };
    if answered > 0 {
        let _ = write!(
            summary,
            "; {} already added as threats or dismissed",
            plural(answered, "suggestion", "suggestions")
        );
    }
    summary.push('.');
    line(&mut out, &summary);
    if !open.is_empty() {
        line(
            &mut out,
            "Add each as a threat in question 2, or dismiss it there with a reason.",
        );
    }
    out
}

/// One line of output, with control characters from the files made visible.
fn line(out: &mut String, text: &str) {
    out.push_str(&escape_control(text));
    out.push('\n');
}

fn json(s: &Session, open: &[&Suggestion<'_>]) -> String {
    let items: Vec<SuggestionJson<'_>> = open
        .iter()
        .map(|sug| {
            let (state, was, dismissed_reason) = match &sug.state {
                SuggestionState::Returned { was, reason } => {
                    ("returned", Some(was.as_str()), Some(reason.as_str()))
                }
                _ => ("open", None, None),
            };
            SuggestionJson {
                cwes: &sug.rule.cwes,
                dismissed_reason,
                element: &sug.element,
                element_name: element_name(s, &sug.element),
                impact: sug.rule.impact.map(|r| r.0),
                kind: sug.kind.as_str(),
                likelihood: sug.rule.likelihood.map(|r| r.0),
                mitigations: &sug.mitigations,
                reason: &sug.reason,
                refs: &sug.rule.refs,
                rule: &sug.rule.id,
                rule_name: &sug.rule.name,
                state,
                statement: &sug.statement,
                stride: sug.rule.stride.to_string(),
                was,
            }
        })
        .collect();
    let mut text = crate::report::to_json_pretty(&items);
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::Origin;
    use crate::rules::RuleSet;

    const SESSION: &str = r#"
schema = 1
title = "Shop"
[[boundaries]]
id = "dmz"
name = "DMZ"
[[components]]
id = "user"
name = "User"
kind = "external-entity"
[[components]]
id = "api"
name = "API"
kind = "process"
boundary = "dmz"
[[components]]
id = "db"
name = "DB"
kind = "data-store"
boundary = "dmz"
[[flows]]
id = "api-db"
from = "api"
to = "db"
label = "Queries"
[[flows]]
id = "user-api"
from = "user"
to = "api"
label = "Orders \u001b[31m"
"#;

    const RULES: &str = r#"
[rules]
id = "t"
name = "T"
[[rule]]
id = "plain"
name = "Plain flow"
stride = "I"
refs = ["capec:CAPEC-157"]
cwes = ["CWE-319"]
threat = "Someone reads {element}"
reason = "unencrypted flow into {to}"
when = { kind = "flow", encrypted = false }
[[rule]]
id = "proc"
name = "Process"
stride = "E"
threat = "Elevation in {element}"
when = { kind = "process" }
"#;

    fn rules() -> RuleSet {
        RuleSet::from_text(RULES, Origin::Text("t".into())).expect("rules parse")
    }

    #[test]
    fn crossing_flows_come_first_then_flows_then_components() {
        let (s, _) = store::parse(SESSION).expect("parses");
        let g = ModelGraph::new(&s);
        let r = rules();
        let all = r.suggest(&g, None);
        let order: Vec<String> = in_walking_order(&g, all.iter().collect())
            .iter()
            .map(|s| format!("{}:{}", s.element, s.rule.id))
            .collect();
        assert_eq!(order, ["user-api:plain", "api-db:plain", "api:proc"]);
    }

    #[test]
    fn text_names_the_element_rule_reason_and_refs_and_escapes_file_text() {
        let (s, _) = store::parse(SESSION).expect("parses");
        let g = ModelGraph::new(&s);
        let r = rules();
        let all = r.suggest(&g, Some("user-api"));
        let open: Vec<&Suggestion<'_>> = all.iter().collect();
        let out = text(&g, &open, 0);
        assert!(
            out.starts_with("user-api \"Orders \\e[31m\" (flow, crosses a trust boundary)\n"),
            "{out}"
        );
        assert!(!out.contains('\u{1b}'), "{out}");
        assert!(out.contains("  plain [I] Someone reads Orders"), "{out}");
        assert!(
            out.contains("      because: unencrypted flow into API\n"),
            "{out}"
        );
        assert!(
            out.contains("      refs: capec:CAPEC-157, CWE-319\n"),
            "{out}"
        );
        assert!(out.contains("1 open suggestion on 1 element."), "{out}");
    }

    #[test]
    fn json_has_every_documented_key() {
        let (s, _) = store::parse(SESSION).expect("parses");
        let g = ModelGraph::new(&s);
        let r = rules();
        let all = r.suggest(&g, Some("api"));
        let open: Vec<&Suggestion<'_>> = all.iter().collect();
        let doc: serde_json::Value = serde_json::from_str(&json(&s, &open)).expect("json");
        let keys: Vec<&str> = doc[0]
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "cwes",
                "dismissed_reason",
                "element",
                "element_name",
                "impact",
                "kind",
                "likelihood",
                "mitigations",
                "reason",
                "refs",
                "rule",
                "rule_name",
                "state",
                "statement",
                "stride",
                "was"
            ]
        );
        assert_eq!(doc[0]["kind"], "process");
        assert_eq!(doc[0]["state"], "open");
        assert_eq!(doc[0]["likelihood"], serde_json::Value::Null);
        // No reason written: the engine says which facts matched.
        assert_eq!(doc[0]["reason"], "matches kind=process");
    }
}
