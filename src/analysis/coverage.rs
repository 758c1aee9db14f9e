//! Which STRIDE categories apply to each element, and which of them the team has covered.

use super::graph::ModelGraph;
use crate::model::{ElementId, ElementKind, Stride, StrideSet, ThreatStatus};

/// One component or flow with its STRIDE bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementCoverage {
    pub id: ElementId,
    pub kind: ElementKind,
    /// Categories that apply (DESIGN.md table; all six for a flow crossing a boundary).
    pub applicable: StrideSet,
    /// Applicable categories named by a threat on the element.
    pub by_threats: StrideSet,
    /// Applicable categories the team marked as not applicable.
    pub marked_not_applicable: StrideSet,
}

impl ElementCoverage {
    pub fn covered(&self) -> StrideSet {
        self.applicable
            .intersection(&self.by_threats.union(&self.marked_not_applicable))
    }

    pub fn gaps(&self) -> StrideSet {
        self.applicable.difference(&self.covered())
    }
}

/// Coverage of the whole session: element x applicable STRIDE category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    pub elements: Vec<ElementCoverage>,
}

impl Coverage {
    pub fn applicable_pairs(&self) -> usize {
        self.elements.iter().map(|e| e.applicable.len()).sum()
    }

    pub fn covered_pairs(&self) -> usize {
        self.elements.iter().map(|e| e.covered().len()).sum()
    }

    /// Covered pairs as a percentage; 100 for a model with nothing to cover.
    pub fn percent(&self) -> f64 {
        match self.applicable_pairs() {
            0 => 100.0,
            n => self.covered_pairs() as f64 * 100.0 / n as f64,
        }
    }

    /// Every uncovered (element, category) pair, in element order.
    pub fn gaps(&self) -> impl Iterator<Item = (&ElementCoverage, Stride)> {
        self.elements
            .iter()
            .flat_map(|e| e.gaps().iter().map(move |s| (e, s)).collect::<Vec<_>>())
    }

    pub fn element(&self, id: &str) -> Option<&ElementCoverage> {
        self.elements.iter().find(|e| e.id.as_str() == id)
    }
}

/// The STRIDE categories that apply to a component, per DESIGN.md: a data store that holds logs
/// (tagged `logs` or `audit`) can also be repudiated.
pub fn component_applicable(component: &crate::model::Component) -> StrideSet {
    let kind = ElementKind::from(component.kind);
    let mut set = kind.stride_applicable();
    if kind == ElementKind::DataStore && (component.has_tag("logs") || component.has_tag("audit")) {
        set.insert(Stride::Repudiation);
    }
    set
}

/// The categories that apply to a flow: T, I, D, and all six once it crosses a trust boundary,
/// since each side must then be examined as an interaction.
pub fn flow_applicable(graph: &ModelGraph<'_>, flow_index: usize) -> StrideSet {
    if graph.crosses_boundary(flow_index) {
        StrideSet::all()
    } else {
        ElementKind::Flow.stride_applicable()
    }
}

pub fn coverage(graph: &ModelGraph<'_>) -> Coverage {
    let s = graph.session;
    // Threat categories per target; a threat judged not applicable still shows the category was
    // considered, so it counts.
    let mut named: foldhash::HashMap<&str, StrideSet> = foldhash::HashMap::default();
    for t in &s.threats {
        let entry = named.entry(t.target.as_str()).or_default();
        if t.status != ThreatStatus::NeedsReview {
            *entry = entry.union(&t.stride);
        }
    }
    let mut elements = Vec::with_capacity(s.components.len() + s.flows.len());
    let mut push = |id: &ElementId, kind, applicable: StrideSet, na: &StrideSet| {
        let by_threats = named
            .get(id.as_str())
            .map(|n| n.intersection(&applicable))
            .unwrap_or_default();
        elements.push(ElementCoverage {
            id: id.clone(),
            kind,
            marked_not_applicable: na.intersection(&applicable),
            applicable,
            by_threats,
        });
    };
    // Out of scope: neither counted nor a gap (the team decided not to model it here).
    for c in s.components.iter().filter(|c| !c.is_out_of_scope()) {
        push(
            &c.id,
            c.kind.into(),
            component_applicable(c),
            &c.not_applicable,
        );
    }
    for (i, f) in s.flows.iter().enumerate() {
        if f.is_out_of_scope() {
            continue;
        }
        push(
            &f.id,
            ElementKind::Flow,
            flow_applicable(graph, i),
            &f.not_applicable,
        );
    }
    Coverage { elements }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    fn threat(id: &str, target: &str, stride: &str) -> Threat {
        Threat {
            rule: None,
            id: id.into(),
            target: target.into(),
            title: "t".into(),
            stride: StrideSet::parse(stride),
            refs: Vec::new(),
            likelihood: None,
            impact: None,
            response: Response::Undecided,
            status: ThreatStatus::Open,
            transferred_to: String::new(),
            raised_by: Vec::new(),
            notes: String::new(),
        }
    }

    #[test]
    fn coverage_counts_threats_and_not_applicable_marks() {
        let mut s = super::super::graph::tests_support::sample();
        s.components[3].tags.push("logs".into()); // db holds logs: T, R, I, D
        s.components[0].not_applicable = StrideSet::parse("R");
        s.threats = vec![
            threat("TH-001", "user-lb", "SI"),
            threat("TH-002", "db", "TE"), // E does not apply to a data store: ignored
            threat("TH-003", "app", "D"),
        ];
        s.threats[2].status = ThreatStatus::NeedsReview;
        let g = ModelGraph::new(&s);
        let c = coverage(&g);
        let user = c.element("user").expect("user");
        assert_eq!(user.applicable.to_string(), "SR");
        assert_eq!(user.gaps().to_string(), "S");
        let db = c.element("db").expect("db");
        assert_eq!(db.applicable.to_string(), "TRID");
        assert_eq!(db.covered().to_string(), "T");
        // The crossing flow gets all six; the internal one only T, I, D.
        assert_eq!(
            c.element("user-lb").expect("flow").applicable.to_string(),
            "STRIDE"
        );
        assert_eq!(
            c.element("user-lb").expect("flow").gaps().to_string(),
            "TRDE"
        );
        assert_eq!(
            c.element("app-db").expect("flow").applicable.to_string(),
            "TID"
        );
        // A needs-review threat does not count until reviewed.
        assert_eq!(c.element("app").expect("app").covered().to_string(), "");
        // user 2 + lb 6 + app 6 + db 4 + user-lb 6 + lb-app 6 + app-db 3 = 33 pairs, 4 covered.
        assert_eq!(c.applicable_pairs(), 33);
        assert_eq!(c.covered_pairs(), 4);
        assert!((c.percent() - 400.0 / 33.0).abs() < 1e-9);
        assert_eq!(c.gaps().count(), 29);
    }

    #[test]
    fn out_of_scope_elements_are_neither_counted_nor_gaps() {
        let mut s = super::super::graph::tests_support::sample();
        s.components[0].out_of_scope = "the partner's own client".into();
        s.flows[0].out_of_scope = "covered by the partner's model".into();
        // The old tag still works.
        s.components[3].tags.push("out-of-scope".into());
        let c = coverage(&ModelGraph::new(&s));
        assert!(c.element("user").is_none());
        assert!(c.element("user-lb").is_none());
        assert!(c.element("db").is_none());
        // A flow to an out-of-scope component is still in scope unless marked itself.
        assert!(c.element("app-db").is_some());
        // lb 6 + app 6 + lb-app 6 + app-db 3 = 21 pairs.
        assert_eq!(c.applicable_pairs(), 21);
        assert!(
            c.gaps()
                .all(|(e, _)| !["user", "user-lb", "db"].contains(&e.id.as_str()))
        );
    }
}
