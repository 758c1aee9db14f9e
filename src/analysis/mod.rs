//! Analysis of a session: boundary crossings, STRIDE applicability and coverage, structural
//! findings and attack paths. Pure functions of the model (and today's date); the same results
//! feed question 2's suggestions, question 4's review and `threatboard check`.

pub mod coverage;
pub mod diff;
pub mod findings;
pub mod graph;
pub mod paths;

pub use coverage::{Coverage, ElementCoverage, component_applicable, coverage, flow_applicable};
pub use findings::{Finding, FindingOptions, Rule, Severity, acceptance_is_valid, findings};
pub use graph::ModelGraph;
pub use paths::{AttackPath, attack_paths};

use crate::model::Session;

/// Everything `check` and question 4 show about one session.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub coverage: Coverage,
    pub findings: Vec<Finding>,
    pub attack_paths: Vec<AttackPath>,
}

pub fn analyze(session: &Session, options: &FindingOptions) -> Analysis {
    let graph = ModelGraph::new(session);
    Analysis {
        coverage: coverage(&graph),
        findings: findings(&graph, options),
        attack_paths: attack_paths(&graph),
    }
}
