//! Analysis of a session: boundary crossings, STRIDE applicability and coverage, structural
//! findings and attack paths. Pure functions of the model (and today's date); the same results
//! feed question 2's suggestions, question 4's review and `threatboard check`.

pub mod coverage;
pub mod diff;
pub mod findings;
pub mod graph;
pub mod paths;
pub mod verdict;

pub use coverage::{Coverage, ElementCoverage, component_applicable, coverage, flow_applicable};
pub use findings::{
    Finding, FindingOptions, Rule, Severity, Tracking, acceptance_is_valid, findings,
};
pub use graph::ModelGraph;
pub use paths::{AttackPath, attack_paths};
pub use verdict::Verdict;

use crate::model::Session;

/// Everything `check` and question 4 show about one session.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub coverage: Coverage,
    pub findings: Vec<Finding>,
    pub attack_paths: Vec<AttackPath>,
}

pub fn analyze(session: &Session, options: &FindingOptions) -> Analysis {
    analyze_graph(&ModelGraph::new(session), options)
}

/// The same, from a graph of the session already built (the app builds one per change and
/// shares it with the diagram and question 2).
///
/// The unanswered suggestions (TB015, most of the findings) are worked out here; coverage,
/// attack paths and the other findings do not depend on them, so they are worked out on a
/// second thread meanwhile (see [`crate::parallel`]). At 1,000 components both sides take
/// about as long.
pub fn analyze_graph(graph: &ModelGraph<'_>, options: &FindingOptions) -> Analysis {
    let beside = || {
        let structural = findings::Structural::sorted(findings::structural(graph, options));
        (coverage(graph), attack_paths(graph), structural)
    };
    let (unanswered, (coverage, attack_paths, structural)) =
        crate::parallel::join("analysis", || findings::unanswered(graph, options), beside);
    Analysis {
        coverage,
        findings: structural.with_unanswered(unanswered),
        attack_paths,
    }
}
