//! Question 2's element list: every flow and component with the STRIDE letters that apply, are
//! covered, or were marked not applicable, in the order a facilitator walks them.

use crate::analysis::{ModelGraph, component_applicable, flow_applicable};
use crate::model::{ElementKind, Session, Stride, StrideSet, Threat, ThreatStatus};
use std::collections::HashMap;

/// An element as question 2 lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementRow {
    pub id: String,
    pub kind: ElementKind,
    pub title: String,
    pub crossing: bool,
    pub applicable: StrideSet,
    /// Letters named by threats on the element, counting only reviewed ones.
    pub covered: StrideSet,
    /// Letters the team marked not applicable to it.
    pub not_applicable: StrideSet,
    /// A threat on it waits for review (a re-run flagged it).
    pub needs_review: bool,
    /// How many of the rules' suggestions for it are still open (set from the rules by
    /// `Derived`).
    pub open_suggestions: usize,
    /// Out of scope: listed (marked, last) but nothing applies, so it has no gaps.
    pub out_of_scope: bool,
}

/// Flows that cross a boundary first (they get all six categories), then components, then the
/// other flows: the order a facilitator walks them.
pub fn elements(graph: &ModelGraph<'_>, crossing: &[bool]) -> Vec<ElementRow> {
    let s = graph.session;
    // One pass over the threats instead of one per element: large models have thousands of both.
    let mut by_target: HashMap<&str, (StrideSet, bool)> = HashMap::new();
    for t in &s.threats {
        let entry = by_target
            .entry(t.target.as_str())
            .or_insert_with(|| (StrideSet::empty(), false));
        if t.status == ThreatStatus::NeedsReview {
            entry.1 = true;
        } else {
            entry.0 = entry.0.union(&t.stride);
        }
    }
    let threat_state = |id: &str| {
        by_target
            .get(id)
            .cloned()
            .unwrap_or_else(|| (StrideSet::empty(), false))
    };
    let mut rows = Vec::new();
    for (i, f) in s.flows.iter().enumerate() {
        let (covered, needs_review) = threat_state(f.id.as_str());
        let out = f.is_out_of_scope();
        rows.push(ElementRow {
            id: f.id.to_string(),
            kind: ElementKind::Flow,
            title: scoped_title(format!("{} → {}: {}", f.from, f.to, f.label), out),
            crossing: crossing.get(i).copied().unwrap_or(false),
            applicable: if out {
                StrideSet::empty()
            } else {
                flow_applicable(graph, i)
            },
            covered,
            not_applicable: f.not_applicable.clone(),
            needs_review,
            open_suggestions: 0,
            out_of_scope: out,
        });
    }
    for c in &s.components {
        let (covered, needs_review) = threat_state(c.id.as_str());
        let out = c.is_out_of_scope();
        rows.push(ElementRow {
            id: c.id.to_string(),
            kind: c.kind.into(),
            title: scoped_title(c.name.clone(), out),
            crossing: false,
            applicable: if out {
                StrideSet::empty()
            } else {
                component_applicable(c)
            },
            covered,
            not_applicable: c.not_applicable.clone(),
            needs_review,
            open_suggestions: 0,
            out_of_scope: out,
        });
    }
    // Elements with threats to review come first (a re-run starts there), then crossing flows.
    rows.sort_by_key(|r| {
        let order = match (r.crossing, r.kind) {
            (true, _) => 0,
            (false, ElementKind::Flow) => 2,
            _ => 1,
        };
        // Out of scope last: nothing to walk there.
        (r.out_of_scope, !r.needs_review, order)
    });
    rows
}

/// The title, marked when the element is out of scope (readable without colour).
fn scoped_title(title: String, out_of_scope: bool) -> String {
    if out_of_scope {
        format!("(out of scope) {title}")
    } else {
        title
    }
}

/// "S✓ T· R· ..." for the applicable letters: ✓ covered, · open; readable without colour.
pub fn stride_marks(applicable: &StrideSet, covered: &StrideSet, na: &StrideSet) -> String {
    Stride::ALL
        .iter()
        .filter(|s| applicable.contains(**s))
        .map(|s| {
            let mark = if covered.contains(*s) {
                '✓'
            } else if na.contains(*s) {
                '-'
            } else {
                '·'
            };
            format!("{}{mark}", s.letter())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Threats on an element, in file order or by risk (highest first).
pub fn threats_of<'a>(s: &'a Session, id: &str, by_risk: bool) -> Vec<(usize, &'a Threat)> {
    let mut list: Vec<(usize, &Threat)> = s
        .threats
        .iter()
        .enumerate()
        .filter(|(_, t)| t.target.as_str() == id)
        .collect();
    if by_risk {
        list.sort_by_key(|(_, t)| std::cmp::Reverse(t.risk_score()));
    }
    list
}
