//! Threats and their mitigations as CSV (`threatboard report --format csv`), for spreadsheets and
//! ticket imports.
//!
//! One row per (threat, mitigation) pair, threats by id and their mitigations by id; a threat
//! without a mitigation has one row with the mitigation columns empty. The columns never change
//! order: see [`COLUMNS`]. RFC 4180: comma separated, CRLF line ends, fields with a comma, quote
//! or line break in double quotes with quotes doubled.
//!
//! Cells are made safe for spreadsheets: control characters become visible escapes (so no cell
//! holds a line break or an escape sequence), and a cell starting with `=`, `+`, `-`, `@`, tab or
//! carriage return gets a leading apostrophe, so a spreadsheet never evaluates it as a formula.

use crate::library::natural_cmp;
use crate::model::text::escape_control;
use crate::model::{Mitigation, Session, Threat};

/// The header row.
pub const COLUMNS: [&str; 16] = [
    "threat_id",
    "threat_title",
    "target",
    "stride",
    "likelihood",
    "impact",
    "risk",
    "response",
    "threat_status",
    "refs",
    "mitigation_id",
    "action",
    "owner",
    "due",
    "mitigation_status",
    "ticket",
];

/// The CSV text, header first; every line ends with CRLF.
pub fn render(session: &Session) -> String {
    let mut out = String::new();
    push_row(&mut out, COLUMNS.iter().map(|c| c.to_string()));
    let mut threats: Vec<&Threat> = session.threats.iter().collect();
    threats.sort_by(|a, b| natural_cmp(a.id.as_str(), b.id.as_str()));
    for t in threats {
        let mut mitigations: Vec<&Mitigation> = session.mitigations_for(t.id.as_str()).collect();
        mitigations.sort_by(|a, b| natural_cmp(a.id.as_str(), b.id.as_str()));
        let threat_cells = [
            t.id.to_string(),
            t.title.clone(),
            t.target.to_string(),
            t.stride.to_string(),
            t.likelihood.map(|r| r.0.to_string()).unwrap_or_default(),
            t.impact.map(|r| r.0.to_string()).unwrap_or_default(),
            t.risk().map(|r| r.as_str().to_string()).unwrap_or_default(),
            t.response.as_str().to_string(),
            t.status.as_str().to_string(),
            t.refs
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        ];
        if mitigations.is_empty() {
            push_row(
                &mut out,
                threat_cells
                    .iter()
                    .cloned()
                    .chain(std::iter::repeat_n(String::new(), 6)),
            );
        }
        for m in mitigations {
            let mitigation_cells = [
                m.id.to_string(),
                m.action.clone(),
                m.owner.clone(),
                m.due.map(|d| d.to_string()).unwrap_or_default(),
                m.status.as_str().to_string(),
                m.ticket.clone(),
            ];
            push_row(
                &mut out,
                threat_cells.iter().cloned().chain(mitigation_cells),
            );
        }
    }
    out
}

fn push_row(out: &mut String, cells: impl Iterator<Item = String>) {
    let mut first = true;
    for c in cells {
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(&cell(&c));
    }
    out.push_str("\r\n");
}

/// One field: neutralised against formula injection, then quoted if it needs to be.
pub fn cell(raw: &str) -> String {
    let mut text = escape_control(raw).into_owned();
    if raw.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        text.insert(0, '\'');
    }
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_neutralised() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=cmd()"), "'=cmd()");
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("-2+3"), "'-2+3");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("\t=x"), "'\\t=x");
        assert_eq!(
            cell("=HYPERLINK(\"x\",\"y\")"),
            "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\""
        );
        assert_eq!(cell("line\nbreak"), "line\\nbreak");
        assert_eq!(cell("a\u{1b}[2J"), "a\\e[2J");
    }
}
