//! Mitigations as tracker issues (`threatboard export issues`): one issue per mitigation that has
//! no `ticket` yet, as a CSV file for Jira's CSV importer or as JSON objects for GitHub's
//! `POST /repos/{owner}/{repo}/issues`. Once the tracker has issued a key, `threatboard
//! set-ticket` writes it back, and the next export skips that mitigation.
//!
//! Each issue says what to do (the action's first line is the summary), who and by when, which
//! threats it addresses with their risk and element, their library references with links, and
//! points back to the session file and the MI / TH ids, so the work can be traced both ways.

use crate::model::text::escape_control;
use crate::model::{Mitigation, RiskLevel, Session, Threat};
use serde_json::json;

/// Jira's summary is limited to 255 characters.
const MAX_SUMMARY_CHARS: usize = 250;

/// The Jira CSV header. `Labels` is repeated: Jira's importer takes one label per column.
pub const JIRA_COLUMNS: [&str; 8] = [
    "Summary",
    "Description",
    "Assignee",
    "Due Date",
    "Labels",
    "Labels",
    "Priority",
    "Threatboard ID",
];

/// The mitigations still to be filed: those without a ticket, in id order.
pub fn pending(session: &Session) -> Vec<&Mitigation> {
    let mut list: Vec<&Mitigation> = session
        .mitigations
        .iter()
        .filter(|m| m.ticket.trim().is_empty())
        .collect();
    list.sort_by(|a, b| a.id.cmp(&b.id));
    list
}

/// The summary: the action's first non-empty line, shortened to fit Jira.
pub fn summary(m: &Mitigation) -> String {
    let first = m
        .action
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("(no action written)");
    let mut s: String = first.chars().take(MAX_SUMMARY_CHARS).collect();
    if first.chars().count() > MAX_SUMMARY_CHARS {
        s.push('…');
    }
    s
}

fn threats_of<'a>(session: &'a Session, m: &Mitigation) -> Vec<&'a Threat> {
    m.threats
        .iter()
        .filter_map(|t| session.threat(t.as_str()))
        .collect()
}

/// The highest risk among the threats a mitigation addresses.
fn highest_risk(session: &Session, m: &Mitigation) -> Option<RiskLevel> {
    threats_of(session, m).iter().filter_map(|t| t.risk()).max()
}

/// A link for a library reference whose library has a public page per entry.
pub fn ref_link(reference: &str) -> Option<String> {
    let (library, entry) = reference.split_once(':')?;
    let safe = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    };
    if !safe(entry) {
        return None;
    }
    match library {
        "attack" => Some(format!(
            "https://attack.mitre.org/techniques/{}/",
            entry.replace('.', "/")
        )),
        "capec" => {
            let n = entry.trim_start_matches("CAPEC-");
            n.chars()
                .all(|c| c.is_ascii_digit())
                .then(|| format!("https://capec.mitre.org/data/definitions/{n}.html"))
        }
        "cwe" => {
            let n = entry.trim_start_matches("CWE-");
            n.chars()
                .all(|c| c.is_ascii_digit())
                .then(|| format!("https://cwe.mitre.org/data/definitions/{n}.html"))
        }
        _ => None,
    }
}

/// A GitHub login written as `@name`: letters, digits and single inner dashes, at most 39.
pub fn github_login(owner: &str) -> Option<&str> {
    let name = owner.trim().strip_prefix('@')?;
    let ok = !name.is_empty()
        && name.len() <= 39
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--");
    ok.then_some(name)
}

/// The issue's text. `markdown` chooses GitHub's Markdown (lists, code spans) over plain text.
pub fn description(
    session: &Session,
    session_file: &str,
    m: &Mitigation,
    markdown: bool,
) -> String {
    let code = |s: &str| {
        if markdown {
            format!("`{}`", s.replace('`', "'"))
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    out.push_str(&format!(
        "Mitigation {} from the threat model \"{}\" ({}).\n\n",
        code(m.id.as_str()),
        session.title.trim(),
        code(session_file)
    ));
    out.push_str(if markdown {
        "**Action**\n\n"
    } else {
        "Action:\n"
    });
    out.push_str(m.action.trim());
    out.push_str("\n\n");
    let owner = if m.owner.trim().is_empty() {
        "nobody yet"
    } else {
        m.owner.trim()
    };
    let due = m
        .due
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "not set".to_string());
    out.push_str(&format!(
        "Owner: {owner}\nDue: {due}\nStatus in the model: {}\n\n",
        m.status.as_str()
    ));
    out.push_str(if markdown {
        "**Threats addressed**\n\n"
    } else {
        "Threats addressed:\n"
    });
    let mut refs: Vec<String> = Vec::new();
    for id in &m.threats {
        match session.threat(id.as_str()) {
            Some(t) => {
                let risk = t.risk().map_or("unrated", RiskLevel::as_str);
                let element = session
                    .element(t.target.as_str())
                    .map(|e| format!("{} ({})", e.name().trim(), e.kind()))
                    .unwrap_or_else(|| "an unknown element".to_string());
                out.push_str(&format!(
                    "- {} {}: risk {risk}, on {element} {}\n",
                    code(t.id.as_str()),
                    t.title.trim(),
                    code(t.target.as_str())
                ));
                for r in &t.refs {
                    if !refs.iter().any(|x| x == r.as_str()) {
                        refs.push(r.as_str().to_string());
                    }
                }
            }
            None => out.push_str(&format!("- {} (not in the model)\n", code(id.as_str()))),
        }
    }
    if !refs.is_empty() {
        out.push_str(if markdown {
            "\n**References**\n\n"
        } else {
            "\nReferences:\n"
        });
        for r in &refs {
            match ref_link(r) {
                Some(url) if markdown => out.push_str(&format!("- [{r}]({url})\n")),
                Some(url) => out.push_str(&format!("- {r}: {url}\n")),
                None => out.push_str(&format!("- {}\n", code(r))),
            }
        }
    }
    out.push_str(&format!(
        "\nWhen this issue has its key, record it in the model: {}\n",
        code(&format!(
            "threatboard set-ticket {session_file} {} <KEY>",
            m.id
        ))
    ));
    out
}

fn priority(risk: Option<RiskLevel>) -> &'static str {
    match risk {
        Some(RiskLevel::Critical) => "Highest",
        Some(RiskLevel::High) => "High",
        Some(RiskLevel::Medium) => "Medium",
        Some(RiskLevel::Low) => "Low",
        None => "",
    }
}

/// A label from the session's title: Jira labels may not contain spaces.
fn session_label(session: &Session) -> String {
    let slug = crate::model::slugify(&session.title);
    if slug.is_empty() {
        "threat-model".to_string()
    } else {
        format!("threat-model-{slug}")
    }
}

/// One RFC 4180 field. Line breaks inside a field are kept (Jira shows them in the
/// description); every other control character becomes a visible escape; a field starting with
/// a formula character gets a leading apostrophe, in case the file is opened in a spreadsheet.
pub fn csv_field(raw: &str) -> String {
    let lines: Vec<String> = raw
        .split('\n')
        .map(|l| escape_control(l.strip_suffix('\r').unwrap_or(l)).into_owned())
        .collect();
    let mut text = lines.join("\n");
    if text.starts_with(['=', '+', '-', '@']) {
        text.insert(0, '\'');
    }
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The mitigations to file as a Jira CSV: a header row, then one row per mitigation; CRLF line
/// ends.
pub fn jira_csv(session: &Session, session_file: &str) -> String {
    let mut out = String::new();
    let row = |out: &mut String, cells: &[String]| {
        let line: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    };
    let header: Vec<String> = JIRA_COLUMNS.iter().map(|s| s.to_string()).collect();
    row(&mut out, &header);
    for m in pending(session) {
        row(
            &mut out,
            &[
                summary(m),
                description(session, session_file, m, false),
                // Jira user names carry no `@`; owners written as GitHub logins lose it.
                m.owner.trim().trim_start_matches('@').to_string(),
                m.due
                    .map(|d| d.format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
                "threatboard".to_string(),
                session_label(session),
                priority(highest_risk(session, m)).to_string(),
                m.id.as_str().to_string(),
            ],
        );
    }
    out
}

/// The mitigations to file as a JSON array of GitHub issue bodies (`title`, `body`, `labels`,
/// and `assignees` when the owner is written `@login`).
pub fn github_json(session: &Session, session_file: &str) -> String {
    let issues: Vec<serde_json::Value> = pending(session)
        .into_iter()
        .map(|m| {
            let mut labels = vec!["threatboard".to_string(), session_label(session)];
            if let Some(risk) = highest_risk(session, m) {
                labels.push(format!("risk: {risk}"));
            }
            let mut issue = json!({
                "title": summary(m),
                "body": description(session, session_file, m, true),
                "labels": labels,
            });
            if let Some(login) = github_login(&m.owner) {
                issue["assignees"] = json!([login]);
            }
            issue
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&issues).unwrap_or_else(|_| "[]".to_string());
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_need_an_at_and_githubs_syntax() {
        assert_eq!(github_login("@ana-b"), Some("ana-b"));
        assert_eq!(github_login("Ana B"), None);
        assert_eq!(github_login("@-x"), None);
        assert_eq!(github_login("@a--b"), None);
        assert_eq!(github_login("@"), None);
    }

    #[test]
    fn ref_links_only_for_known_libraries_and_safe_entries() {
        assert_eq!(
            ref_link("attack:T1078.004").as_deref(),
            Some("https://attack.mitre.org/techniques/T1078/004/")
        );
        assert_eq!(
            ref_link("cwe:79").as_deref(),
            Some("https://cwe.mitre.org/data/definitions/79.html")
        );
        assert_eq!(ref_link("attack:T1078/../x"), None);
        assert_eq!(ref_link("stride:S"), None);
    }

    #[test]
    fn csv_fields_quote_and_neutralise() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=1+1"), "'=1+1");
        assert_eq!(csv_field("a\nb"), "\"a\nb\"");
        assert!(!csv_field("a\u{1b}[2Jb").contains('\u{1b}'));
    }
}
