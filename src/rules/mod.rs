//! Threat rules: data files that say which threats an element's properties call for, and the
//! engine that runs them over a model (question 2's suggestions, `threatboard suggest`, and the
//! `check` finding for suggestions nobody answered).
//!
//! A rules file lives beside the libraries (`libraries/*.toml` whose first table is `[rules]`);
//! the shipped one is compiled in like the libraries, and a team adds its own rules, or turns
//! shipped ones off with `disable = [...]`, from its `libraries/` folder. See [`format`] for the
//! file and [`condition`] for the condition language.

pub mod condition;
pub mod engine;
pub mod facts;
pub mod format;
#[cfg(test)]
mod tests;

pub use condition::{Condition, Crossing};
pub use engine::{Suggestion, SuggestionState, fires, open_counts, render, suggest};
pub use facts::Facts;
pub use format::{Rule, RuleFile, is_rules_file, parse_rules};

use crate::analysis::ModelGraph;
use crate::library::{LibraryProblem, LibrarySet};

/// Every rule in force: the shipped ones and the team's, less those a file disables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

impl RuleSet {
    /// Combines rule files in order. A rule id used in two files is a problem (the first
    /// stays); `disable` entries naming no rule are problems too, since a typo there would
    /// leave a rule on that the team believes is off.
    pub fn build(files: &[RuleFile]) -> (RuleSet, Vec<LibraryProblem>) {
        let mut rules: Vec<Rule> = Vec::new();
        let mut problems = Vec::new();
        for file in files {
            for rule in &file.rules {
                match rules.iter().find(|r| r.id.eq_ignore_ascii_case(&rule.id)) {
                    Some(first) => problems.push(LibraryProblem {
                        file: file.origin.to_string(),
                        line: rule.line,
                        column: 1,
                        message: format!(
                            "rule id {:?} is already used by {} line {}; rule ids must be unique (to replace a shipped rule, disable it and give yours another id)",
                            rule.id, first.origin, first.line
                        ),
                    }),
                    None => rules.push(rule.clone()),
                }
            }
        }
        for file in files {
            for (id, at) in file.disable.iter().zip(&file.disable_at) {
                let before = rules.len();
                rules.retain(|r| !r.id.eq_ignore_ascii_case(id));
                if rules.len() == before {
                    problems.push(LibraryProblem {
                        file: file.origin.to_string(),
                        line: at.0,
                        column: at.1,
                        message: format!("disable: no rule has the id {id:?}"),
                    });
                }
            }
        }
        (RuleSet { rules }, problems)
    }

    /// The rules of one rules file's text, checked as a whole set (tests, and tools that bring
    /// their own rules); every problem otherwise.
    pub fn from_text(
        text: &str,
        origin: crate::library::Origin,
    ) -> Result<RuleSet, Vec<LibraryProblem>> {
        let file = parse_rules(text, origin)?;
        let (set, problems) = RuleSet::build(std::slice::from_ref(&file));
        if problems.is_empty() {
            Ok(set)
        } else {
            Err(problems)
        }
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id.eq_ignore_ascii_case(id))
    }

    /// Every suggestion on the model, or on one element.
    pub fn suggest(&self, graph: &ModelGraph<'_>, only: Option<&str>) -> Vec<Suggestion<'_>> {
        engine::suggest(graph, &self.rules, only)
    }

    /// Per element with any, how many suggestions are still open (see [`engine::open_counts`]).
    pub fn open_counts<'s>(
        &self,
        graph: &ModelGraph<'s>,
    ) -> std::collections::HashMap<&'s str, usize> {
        engine::open_counts(graph, &self.rules)
    }

    /// Rule `id`'s suggested mitigations in words naming `element`; empty when there is no
    /// such rule or element.
    pub fn mitigations_on(&self, graph: &ModelGraph<'_>, id: &str, element: &str) -> Vec<String> {
        self.rule(id)
            .and_then(|rule| engine::mitigations_on(graph, rule, element))
            .unwrap_or_default()
    }

    /// References of rules that name no entry of the loaded libraries.
    pub fn unresolved_refs(&self, libraries: &LibrarySet) -> Vec<LibraryProblem> {
        let mut out = Vec::new();
        for rule in &self.rules {
            for r in &rule.refs {
                if libraries.resolve(r).is_err() {
                    out.push(LibraryProblem {
                        file: rule.origin.clone(),
                        line: rule.line,
                        column: 1,
                        message: format!(
                            "rule {:?}: reference {r:?} is not in the loaded libraries",
                            rule.id
                        ),
                    });
                }
            }
        }
        out
    }
}
