//! The session as a graph: components are nodes, flows are edges. Boundary membership is resolved
//! once, so crossings and paths are cheap to ask for.

use crate::model::{BoundaryId, Component, Flow, Session};
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::HashMap;

/// A session with its flow graph and boundary nesting resolved.
pub struct ModelGraph<'s> {
    pub session: &'s Session,
    /// Node weight: index into `session.components`; edge weight: index into `session.flows`.
    /// Flows whose ends are unknown (an invalid session) are left out.
    pub graph: DiGraph<usize, usize>,
    node_of: HashMap<&'s str, NodeIndex>,
    /// Per component: its boundary and the boundaries enclosing it, innermost first.
    enclosing: Vec<Vec<&'s BoundaryId>>,
    /// Per flow: the boundaries it crosses, in the order of the `from` side then the `to` side.
    crossings: Vec<Vec<&'s BoundaryId>>,
}

impl<'s> ModelGraph<'s> {
    pub fn new(session: &'s Session) -> Self {
        let parent_of: HashMap<&str, &BoundaryId> = session
            .boundaries
            .iter()
            .filter_map(|b| Some((b.id.as_str(), b.parent.as_ref()?)))
            .collect();
        let known: HashMap<&str, &BoundaryId> = session
            .boundaries
            .iter()
            .map(|b| (b.id.as_str(), &b.id))
            .collect();
        let enclosing: Vec<Vec<&BoundaryId>> = session
            .components
            .iter()
            .map(|c| chain(c, &known, &parent_of))
            .collect();

        let mut graph = DiGraph::with_capacity(session.components.len(), session.flows.len());
        let mut node_of = HashMap::with_capacity(session.components.len());
        for (i, c) in session.components.iter().enumerate() {
            // With duplicate ids (an invalid session) the first one wins, as in `Session` lookups.
            node_of
                .entry(c.id.as_str())
                .or_insert_with(|| graph.add_node(i));
        }
        let mut crossings = Vec::with_capacity(session.flows.len());
        for (i, f) in session.flows.iter().enumerate() {
            let ends = (node_of.get(f.from.as_str()), node_of.get(f.to.as_str()));
            let crossed = match ends {
                (Some(&from), Some(&to)) => {
                    graph.add_edge(from, to, i);
                    crossed(&enclosing[graph[from]], &enclosing[graph[to]])
                }
                _ => Vec::new(),
            };
            crossings.push(crossed);
        }
        ModelGraph {
            session,
            graph,
            node_of,
            enclosing,
            crossings,
        }
    }

    pub fn node(&self, component_id: &str) -> Option<NodeIndex> {
        self.node_of.get(component_id).copied()
    }

    pub fn component(&self, node: NodeIndex) -> &'s Component {
        &self.session.components[self.graph[node]]
    }

    /// The boundaries a flow crosses: those that contain exactly one of its two ends. Nested
    /// boundaries count; a flow inside one boundary crosses none.
    pub fn crossings(&self, flow_index: usize) -> &[&'s BoundaryId] {
        self.crossings.get(flow_index).map_or(&[], Vec::as_slice)
    }

    pub fn crosses_boundary(&self, flow_index: usize) -> bool {
        !self.crossings(flow_index).is_empty()
    }

    /// The boundary of a component and those enclosing it, innermost first.
    pub fn enclosing(&self, component_index: usize) -> &[&'s BoundaryId] {
        self.enclosing
            .get(component_index)
            .map_or(&[], Vec::as_slice)
    }

    /// Flows that start or end at a component.
    pub fn flows_at(&self, component_id: &str) -> impl Iterator<Item = (usize, &'s Flow)> + '_ {
        let node = self.node(component_id);
        node.into_iter().flat_map(move |n| {
            self.graph
                .edges_directed(n, petgraph::Direction::Outgoing)
                .chain(self.graph.edges_directed(n, petgraph::Direction::Incoming))
                .map(|e| {
                    let i = *e.weight();
                    (i, &self.session.flows[i])
                })
        })
    }
}

/// The boundary chain of a component, innermost first; stops at unknown ids and at cycles.
fn chain<'s>(
    component: &'s Component,
    known: &HashMap<&str, &'s BoundaryId>,
    parent_of: &HashMap<&str, &'s BoundaryId>,
) -> Vec<&'s BoundaryId> {
    let mut out: Vec<&BoundaryId> = Vec::new();
    let mut next = component
        .boundary
        .as_ref()
        .and_then(|b| known.get(b.as_str()).copied());
    while let Some(b) = next {
        if out.contains(&b) {
            break;
        }
        out.push(b);
        next = parent_of
            .get(b.as_str())
            .and_then(|p| known.get(p.as_str()).copied());
    }
    out
}

/// Boundaries containing exactly one of the two ends.
fn crossed<'s>(from: &[&'s BoundaryId], to: &[&'s BoundaryId]) -> Vec<&'s BoundaryId> {
    let only_from = from.iter().filter(|b| !to.contains(b));
    let only_to = to.iter().filter(|b| !from.contains(b));
    only_from.chain(only_to).copied().collect()
}

/// A small nested-boundary session shared by the analysis tests.
#[cfg(test)]
pub(crate) mod tests_support {
    use crate::model::Session;

    pub(crate) fn sample() -> Session {
        let toml = r#"
schema = 1
title = "Nested"
[[boundaries]]
id = "internet"
name = "Internet"
[[boundaries]]
id = "account"
name = "Cloud account"
[[boundaries]]
id = "vpc"
name = "VPC"
parent = "account"
[[components]]
id = "user"
name = "User"
kind = "external-entity"
boundary = "internet"
[[components]]
id = "lb"
name = "Load balancer"
kind = "process"
boundary = "account"
[[components]]
id = "app"
name = "App"
kind = "process"
boundary = "vpc"
[[components]]
id = "db"
name = "DB"
kind = "data-store"
boundary = "vpc"
[[flows]]
id = "user-lb"
from = "user"
to = "lb"
label = "HTTPS"
[[flows]]
id = "lb-app"
from = "lb"
to = "app"
label = "HTTP"
[[flows]]
id = "app-db"
from = "app"
to = "db"
label = "SQL"
"#;
        crate::store::parse(toml).expect("sample parses").0
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::sample;
    use super::*;

    fn ids(list: &[&BoundaryId]) -> Vec<String> {
        list.iter().map(|b| b.to_string()).collect()
    }

    #[test]
    fn crossings_count_nested_boundaries() {
        let s = sample();
        let g = ModelGraph::new(&s);
        assert_eq!(ids(g.crossings(0)), ["internet", "account"]);
        // lb is in the account, app in the vpc inside it: only the vpc is crossed.
        assert_eq!(ids(g.crossings(1)), ["vpc"]);
        assert!(g.crossings(2).is_empty());
        assert_eq!(ids(g.enclosing(2)), ["vpc", "account"]);
    }

    #[test]
    fn flows_with_unknown_ends_and_boundary_cycles_do_not_break_the_graph() {
        let mut s = sample();
        s.flows[2].to = "ghost".into();
        s.boundaries[1].parent = Some("vpc".into()); // account <-> vpc cycle
        let g = ModelGraph::new(&s);
        assert_eq!(g.graph.edge_count(), 2);
        assert!(g.crossings(2).is_empty());
        assert_eq!(ids(g.enclosing(2)), ["vpc", "account"]);
        assert_eq!(g.flows_at("lb").count(), 2);
    }
}
