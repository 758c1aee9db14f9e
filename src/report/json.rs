//! The JSON report (`threatboard report --format json`): the session and its analysis in one
//! documented, versioned document for dashboards and scripts. The full description of every
//! field is in `docs/report-json.md`; in short:
//!
//! ```text
//! {
//!   "format": "threatboard-report",      always this string
//!   "version": 1,                        REPORT_JSON_VERSION; bumped on incompatible change
//!   "generator": {"name": "threatboard", "version": "<crate version>"},
//!   "source": "<session file as named>",
//!   "today": "YYYY-MM-DD",               the day due and review dates were judged against
//!   "valid": true,                       false when the session has validation problems
//!   "problems": [{"line", "column", "message"}],
//!   "session": {                         the file's content, every field present:
//!     "schema", "title", "description", "agenda": [4 numbers],
//!     "runs", "boundaries", "assets", "components", "flows", "threats",
//!     "mitigations", "acceptances", "assumptions", "review"
//!   },
//!   "analysis": {
//!     "summary":  counts of threats by risk and status, of mitigations, of findings,
//!     "threats":  ranked by risk, with risk level, score, mitigations, acceptance, resolved refs,
//!     "mitigations_by_owner": [{"owner": null | "name", "mitigations": [{"id", "due", "overdue"}]}],
//!     "flows":    [{"id", "crosses": [boundary ids]}],
//!     "coverage": {"percent", "covered", "applicable", "elements": [...]},
//!     "findings": [{"key", "rule", "name", "severity", "element", "message", "fix",
//!                   "accepted_by_threat", "tracked"}],
//!     "out_of_scope": [{"element", "kind", "reason"}],
//!     "dismissed_suggestions": [{"element", "rule", "rule_name", "reason"}],
//!     "attack_paths": [{"components", "flows", "boundaries_crossed", "weakest_link",
//!                       "weak_flows", "target_classification"}]
//!   }
//! }
//! ```
//!
//! Dates are `YYYY-MM-DD` strings, absent optional values are `null`, absent text is `""`, STRIDE
//! sets are strings of letters (`"STI"`). Objects' keys are sorted and arrays keep a defined order,
//! so the same session and day always give the same bytes. Adding a field is not an incompatible
//! change; removing or renaming one, or changing its type or meaning, is.

use super::context::{ReportContext, STATUSES};
use crate::model::{Dismissal, RiskLevel, Session};
use serde_json::{Map, Value, json};

/// Version of the report's JSON shape.
pub const REPORT_JSON_VERSION: u32 = 1;

/// The document, pretty-printed, ending with a newline.
pub fn render(ctx: &ReportContext<'_>) -> String {
    let doc = json!({
        "format": "threatboard-report",
        "version": REPORT_JSON_VERSION,
        "generator": {"name": "threatboard", "version": env!("CARGO_PKG_VERSION")},
        "source": ctx.source,
        "today": ctx.today.to_string(),
        "valid": ctx.problems.is_empty(),
        "problems": ctx.problems.iter().map(|(at, p)| json!({
            "line": at.line, "column": at.col, "message": p,
        })).collect::<Vec<_>>(),
        "session": session(ctx.session),
        "analysis": analysis(ctx),
    });
    let mut text = super::to_json_pretty(&sorted(doc));
    text.push('\n');
    text
}

/// Rebuilds every object with its keys inserted in sorted order, so the output is the same
/// whether or not serde_json preserves insertion order.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sorted(v)))
                    .collect::<Map<_, _>>(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

fn date(d: Option<chrono::NaiveDate>) -> Value {
    d.map_or(Value::Null, |d| Value::String(d.to_string()))
}

fn ids<T: std::fmt::Display>(list: &[T]) -> Value {
    Value::Array(list.iter().map(|x| Value::String(x.to_string())).collect())
}

/// The session as written in its file, every field present.
pub fn session(s: &Session) -> Value {
    json!({
        "schema": s.schema,
        "title": s.title,
        "description": s.description,
        "agenda": s.agenda_minutes(),
        "runs": s.runs.iter().map(|r| json!({
            "date": r.date.to_string(),
            "facilitator": r.facilitator,
            "attendees": r.attendees,
            "trigger": r.trigger,
            "minutes": r.minutes,
            "baseline": r.baseline,
            "notes": r.notes,
        })).collect::<Vec<_>>(),
        "boundaries": s.boundaries.iter().map(|b| json!({
            "id": b.id.as_str(),
            "name": b.name,
            "parent": b.parent.as_ref().map(|p| p.as_str()),
            "notes": b.notes,
        })).collect::<Vec<_>>(),
        "assets": s.assets.iter().map(|a| json!({
            "id": a.id.as_str(),
            "name": a.name,
            "classification": a.classification.as_str(),
            "notes": a.notes,
        })).collect::<Vec<_>>(),
        "components": s.components.iter().map(|c| json!({
            "id": c.id.as_str(),
            "name": c.name,
            "kind": c.kind.as_str(),
            "technology": c.technology.map(|t| t.as_str()),
            "boundary": c.boundary.as_ref().map(|b| b.as_str()),
            "tags": c.tags,
            "assets": ids(&c.assets),
            "not_applicable": c.not_applicable.to_string(),
            "not_applicable_reason": c.not_applicable_reason,
            "out_of_scope": c.out_of_scope,
            "notes": c.notes,
            "dismissed": dismissals(&c.dismissed),
        })).collect::<Vec<_>>(),
        "flows": s.flows.iter().map(|f| json!({
            "id": f.id.as_str(),
            "from": f.from.as_str(),
            "to": f.to.as_str(),
            "label": f.label,
            "protocol": f.protocol,
            "assets": ids(&f.assets),
            "authenticated": f.authenticated,
            "encrypted": f.encrypted,
            "tags": f.tags,
            "not_applicable": f.not_applicable.to_string(),
            "not_applicable_reason": f.not_applicable_reason,
            "out_of_scope": f.out_of_scope,
            "notes": f.notes,
            "dismissed": dismissals(&f.dismissed),
        })).collect::<Vec<_>>(),
        "threats": s.threats.iter().map(|t| json!({
            "id": t.id.as_str(),
            "target": t.target.as_str(),
            "title": t.title,
            "stride": t.stride.to_string(),
            "refs": ids(&t.refs),
            "rule": t.rule,
            "likelihood": t.likelihood.map(|r| r.0),
            "impact": t.impact.map(|r| r.0),
            "response": t.response.as_str(),
            "status": t.status.as_str(),
            "transferred_to": t.transferred_to,
            "notes": t.notes,
        })).collect::<Vec<_>>(),
        "mitigations": s.mitigations.iter().map(|m| json!({
            "id": m.id.as_str(),
            "threats": ids(&m.threats),
            "action": m.action,
            "owner": m.owner,
            "due": date(m.due),
            "status": m.status.as_str(),
            "ticket": m.ticket,
        })).collect::<Vec<_>>(),
        "acceptances": s.acceptances.iter().map(|a| json!({
            "threat": a.threat.as_str(),
            "justification": a.justification,
            "accepted_by": a.accepted_by,
            "review_by": date(a.review_by),
        })).collect::<Vec<_>>(),
        "assumptions": s.assumptions.iter().map(|a| json!({
            "id": a.id.as_str(),
            "text": a.text,
            "owner": a.owner,
            "validated": a.validated,
        })).collect::<Vec<_>>(),
        "review": {
            "coverage_notes": s.review.coverage_notes,
            "went_well": s.review.went_well,
            "to_change": s.review.to_change,
        },
    })
}

fn dismissals(list: &[Dismissal]) -> Value {
    Value::Array(
        list.iter()
            .map(|d| json!({"rule": d.rule, "reason": d.reason, "facts": d.facts}))
            .collect(),
    )
}

fn by_risk(counts: &[usize; 5]) -> Value {
    let mut map = Map::new();
    for (i, level) in RiskLevel::ALL.iter().enumerate() {
        map.insert(level.as_str().to_string(), json!(counts[i]));
    }
    map.insert("unrated".to_string(), json!(counts[4]));
    Value::Object(map)
}

fn analysis(ctx: &ReportContext<'_>) -> Value {
    let s = ctx.session;
    let a = &ctx.analysis;
    let counts = ctx.counts();
    let mut by_status = Map::new();
    for (i, st) in STATUSES.iter().enumerate() {
        by_status.insert(st.as_str().to_string(), json!(counts.by_status[i]));
    }
    let summary = json!({
        "threats": {
            "total": s.threats.len(),
            "open": s.threats.iter().filter(|t| t.status.is_open()).count(),
            "by_risk": by_risk(&counts.by_risk),
            "open_by_risk": by_risk(&counts.open_by_risk),
            "by_status": by_status,
        },
        "mitigations": {
            "total": s.mitigations.len(),
            "finished": s.mitigations.iter().filter(|m| m.status.is_finished()).count(),
            "overdue": s.mitigations.iter().filter(|m| ctx.overdue(m)).count(),
            "without_owner_or_due": s.mitigations.iter().filter(|m| {
                !m.status.is_finished() && (m.owner.trim().is_empty() || m.due.is_none())
            }).count(),
        },
        "findings": a.findings.len(),
        "attack_paths": a.attack_paths.len(),
    });
    let threats: Vec<Value> = ctx
        .ranked_threats()
        .iter()
        .enumerate()
        .map(|(rank, t)| {
            json!({
                "rank": rank + 1,
                "id": t.id.as_str(),
                "risk": t.risk().map(|r| r.as_str()),
                "risk_score": t.risk_score(),
                "mitigations": ctx.mitigations_for(t.id.as_str()).iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
                "acceptance_in_force": ctx.acceptance_in_force(t.id.as_str()),
                "refs": t.refs.iter().map(|r| {
                    let info = ctx.reference(r);
                    json!({
                        "ref": r.as_str(),
                        "known": info.is_some(),
                        "name": info.as_ref().map(|i| i.name.as_str()),
                        "url": info.as_ref().and_then(|i| i.url.as_deref()),
                    })
                }).collect::<Vec<_>>(),
            })
        })
        .collect();
    let owners: Vec<Value> = ctx
        .owner_groups()
        .iter()
        .map(|g| {
            json!({
                "owner": g.owner,
                "mitigations": g.mitigations.iter().map(|m| json!({
                    "id": m.id.as_str(),
                    "due": date(m.due),
                    "overdue": ctx.overdue(m),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let flows: Vec<Value> = ctx
        .diagram
        .edges
        .iter()
        .map(|e| json!({"id": e.flow.id.as_str(), "crosses": e.crossed}))
        .collect();
    let coverage = json!({
        "percent": (a.coverage.percent() * 10.0).round() / 10.0,
        "covered": a.coverage.covered_pairs(),
        "applicable": a.coverage.applicable_pairs(),
        "elements": a.coverage.elements.iter().map(|e| json!({
            "element": e.id.as_str(),
            "kind": e.kind.as_str(),
            "applicable": e.applicable.to_string(),
            "covered": e.covered().to_string(),
            "missing": e.gaps().to_string(),
        })).collect::<Vec<_>>(),
    });
    let findings: Vec<Value> = a
        .findings
        .iter()
        .map(|f| {
            json!({
                "key": f.key(),
                "rule": f.rule.id(),
                "name": f.rule.name(),
                "severity": f.severity.as_str(),
                "element": f.element,
                "message": f.message,
                "fix": f.fix,
                "accepted_by_threat": f.accepted_by_threat,
                "tracked": f.tracked_by,
            })
        })
        .collect();
    let paths: Vec<Value> = a
        .attack_paths
        .iter()
        .map(|p| {
            json!({
                "components": ids(&p.components),
                "flows": ids(&p.flows),
                "boundaries_crossed": p.boundaries_crossed,
                "weakest_link": p.weakest_link,
                "weak_flows": ids(&p.weak_flows),
                "target_classification": p.target_classification.as_str(),
            })
        })
        .collect();
    let rules = ctx.libraries.rules();
    let dismissed: Vec<Value> = s
        .components
        .iter()
        .map(|c| (c.id.as_str(), &c.dismissed))
        .chain(s.flows.iter().map(|f| (f.id.as_str(), &f.dismissed)))
        .flat_map(|(id, list)| {
            list.iter().map(move |d| {
                json!({
                    "element": id,
                    "rule": d.rule,
                    "rule_name": rules.rule(&d.rule).map(|r| r.name.as_str()),
                    "reason": d.reason,
                })
            })
        })
        .collect();
    // The reason, or the old tag's wording, for each element left out of the analysis.
    let out_of_scope: Vec<Value> = s
        .components
        .iter()
        .map(|c| (c.id.as_str(), "component", c.out_of_scope_reason()))
        .chain(
            s.flows
                .iter()
                .map(|f| (f.id.as_str(), "flow", f.out_of_scope_reason())),
        )
        .filter_map(|(id, kind, reason)| {
            Some(json!({"element": id, "kind": kind, "reason": reason?}))
        })
        .collect();
    json!({
        "summary": summary,
        "threats": threats,
        "out_of_scope": out_of_scope,
        "dismissed_suggestions": dismissed,
        "mitigations_by_owner": owners,
        "flows": flows,
        "coverage": coverage,
        "findings": findings,
        "attack_paths": paths,
    })
}
