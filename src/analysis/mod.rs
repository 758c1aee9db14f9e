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
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

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
/// Worked out on two threads (see [`crate::parallel`] and [`Together`]).
pub fn analyze_graph(graph: &ModelGraph<'_>, options: &FindingOptions) -> Analysis {
    let work = Together::new(graph, options);
    crate::parallel::join(|| work.lead(), || work.help());
    work.finish()
}

/// The analysis of one graph as two threads share it. The leading one does the rest of the
/// findings (the suggestions are then placed around them) and the unanswered suggestions
/// (TB015, most of the findings on a large model); the helping one the attack paths and the
/// coverage, then helps with the suggestions left, so that both end together. Whichever is free first takes what is left. Public for `check`,
/// which keeps one second thread for reading the file and this.
pub struct Together<'g, 's, 'o> {
    graph: &'g ModelGraph<'s>,
    options: &'o FindingOptions<'o>,
    unanswered: findings::SharedUnanswered<'g, 's, 'o>,
    /// The other findings, sorted and placed around the suggestions.
    structural: Claimed<()>,
    coverage: Claimed<Coverage>,
    paths: Claimed<Vec<AttackPath>>,
}

impl<'g, 's, 'o> Together<'g, 's, 'o> {
    pub fn new(graph: &'g ModelGraph<'s>, options: &'o FindingOptions<'o>) -> Self {
        Together {
            graph,
            options,
            unanswered: findings::SharedUnanswered::new(graph, options),
            structural: Claimed::default(),
            coverage: Claimed::default(),
            paths: Claimed::default(),
        }
    }

    pub fn lead(&self) {
        // The suggestions' work prepared first, so that the helping thread can take chunks of
        // it whenever it comes to them; then the other findings, placed before any suggestion
        // is found, so that none has to move.
        self.unanswered.make_ready();
        self.structural.run(|| self.place_structural());
        self.unanswered.lead();
        // Claimed already, unless the other thread is far behind.
        self.coverage.run(|| coverage(self.graph));
        self.paths.run(|| attack_paths(self.graph));
    }

    pub fn help(&self) {
        // Done already, unless the leading thread is far behind.
        self.structural.run(|| self.place_structural());
        self.paths.run(|| attack_paths(self.graph));
        self.coverage.run(|| coverage(self.graph));
        self.unanswered.help();
    }

    fn place_structural(&self) {
        self.unanswered
            .place(findings::Structural::sorted(findings::structural(
                self.graph,
                self.options,
            )));
    }

    pub fn finish(self) -> Analysis {
        let Together {
            graph,
            options,
            unanswered,
            structural,
            coverage: coverage_,
            paths,
        } = self;
        if structural.take().is_none() {
            unanswered.place(findings::Structural::sorted(findings::structural(
                graph, options,
            )));
        }
        Analysis {
            coverage: coverage_.take().unwrap_or_else(|| coverage(graph)),
            findings: unanswered.into_findings(),
            attack_paths: paths.take().unwrap_or_else(|| attack_paths(graph)),
        }
    }
}

/// Work either of two threads may do: it is done once, by the first to claim it.
struct Claimed<T> {
    claimed: AtomicBool,
    done: OnceLock<T>,
}

impl<T> Default for Claimed<T> {
    fn default() -> Self {
        Claimed {
            claimed: AtomicBool::new(false),
            done: OnceLock::new(),
        }
    }
}

impl<T> Claimed<T> {
    /// Does `work` unless the other thread has claimed it.
    fn run(&self, work: impl FnOnce() -> T) {
        if !self.claimed.swap(true, Ordering::AcqRel) {
            let _ = self.done.set(work());
        }
    }

    /// What was done; `None` only if nobody did it.
    fn take(self) -> Option<T> {
        self.done.into_inner()
    }
}
