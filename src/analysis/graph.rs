//! The session as a graph: components are nodes, flows are edges. Boundary membership is resolved
//! once, so crossings and paths are cheap to ask for.

use crate::model::{BoundaryId, Component, Flow, Session};
use foldhash::{HashMap, HashMapExt};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef as _;

/// A session with its flow graph and boundary nesting resolved.
pub struct ModelGraph<'s> {
    pub session: &'s Session,
    /// Node weight: index into `session.components`; edge weight: index into `session.flows`.
    /// Flows whose ends are unknown (an invalid session) are left out.
    pub graph: DiGraph<usize, usize>,
    node_of: HashMap<&'s str, NodeIndex>,
    /// Per component: its boundary and the boundaries enclosing it, innermost first; a range
    /// of `chains`, which holds each boundary's chain once (components share them).
    enclosing: Vec<(usize, usize)>,
    chains: Vec<&'s BoundaryId>,
    /// Per flow: the boundaries it crosses, in the order of the `from` side then the `to` side;
    /// flow `i`'s are `crossed[crossed_at[i]..crossed_at[i + 1]]`. Flat, as there are many.
    crossed_at: Vec<usize>,
    crossed: Vec<&'s BoundaryId>,
    /// Per component: its node (the first component's with its id). Per flow: the nodes of
    /// its ends, where known. Resolved once, as the rules ask for them per element.
    node_at: Vec<NodeIndex>,
    flow_ends: Vec<(Option<NodeIndex>, Option<NodeIndex>)>,
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
        // The chain from each boundary outwards, once per boundary id: a component's chain is
        // its boundary's.
        let mut chains: Vec<&BoundaryId> = Vec::new();
        let mut chain_of: HashMap<&str, (usize, usize)> = HashMap::with_capacity(known.len());
        for b in &session.boundaries {
            let id = b.id.as_str();
            if let (Some(&first), false) = (known.get(id), chain_of.contains_key(id)) {
                let at = chains.len();
                chain(first, &known, &parent_of, &mut chains);
                chain_of.insert(id, (at, chains.len()));
            }
        }
        let enclosing: Vec<(usize, usize)> = session
            .components
            .iter()
            .map(|c| {
                c.boundary
                    .as_ref()
                    .and_then(|b| chain_of.get(b.as_str()).copied())
                    .unwrap_or((0, 0))
            })
            .collect();

        let mut graph = DiGraph::with_capacity(session.components.len(), session.flows.len());
        let mut node_of = HashMap::with_capacity(session.components.len());
        let mut node_at = Vec::with_capacity(session.components.len());
        for (i, c) in session.components.iter().enumerate() {
            // With duplicate ids (an invalid session) the first one wins, as in `Session` lookups.
            let node = *node_of
                .entry(c.id.as_str())
                .or_insert_with(|| graph.add_node(i));
            node_at.push(node);
        }
        let mut flow_ends = Vec::with_capacity(session.flows.len());
        let mut crossed_at = Vec::with_capacity(session.flows.len() + 1);
        let mut crossed = Vec::new();
        crossed_at.push(0);
        for (i, f) in session.flows.iter().enumerate() {
            let ends = (node_of.get(f.from.as_str()), node_of.get(f.to.as_str()));
            flow_ends.push((ends.0.copied(), ends.1.copied()));
            if let (Some(&from), Some(&to)) = ends {
                graph.add_edge(from, to, i);
                let range = |(a, b): (usize, usize)| &chains[a..b];
                let from = range(enclosing[graph[from]]);
                let to = range(enclosing[graph[to]]);
                // Boundaries containing exactly one of the two ends. Every chain holds the one
                // reference `known` has per id, so comparing addresses compares ids.
                let within =
                    |list: &[&BoundaryId], b: &BoundaryId| list.iter().any(|x| std::ptr::eq(*x, b));
                crossed.extend(from.iter().filter(|b| !within(to, b)));
                crossed.extend(to.iter().filter(|b| !within(from, b)));
            }
            crossed_at.push(crossed.len());
        }
        ModelGraph {
            session,
            graph,
            node_of,
            enclosing,
            chains,
            crossed_at,
            crossed,
            node_at,
            flow_ends,
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
        match (
            self.crossed_at.get(flow_index),
            self.crossed_at.get(flow_index + 1),
        ) {
            (Some(&a), Some(&b)) => &self.crossed[a..b],
            _ => &[],
        }
    }

    pub fn crosses_boundary(&self, flow_index: usize) -> bool {
        !self.crossings(flow_index).is_empty()
    }

    /// The boundary of a component and those enclosing it, innermost first.
    pub fn enclosing(&self, component_index: usize) -> &[&'s BoundaryId] {
        self.enclosing
            .get(component_index)
            .map_or(&[], |&(a, b)| &self.chains[a..b])
    }

    /// The index of the component (the first with its id) at each end of flow `flow_index`,
    /// where the id is known.
    pub fn flow_ends(&self, flow_index: usize) -> (Option<usize>, Option<usize>) {
        self.flow_ends
            .get(flow_index)
            .map_or((None, None), |&(from, to)| {
                (from.map(|n| self.graph[n]), to.map(|n| self.graph[n]))
            })
    }

    /// The index of the first component with the id of component `component_index` (itself,
    /// unless the id is duplicated).
    pub fn first_with_id(&self, component_index: usize) -> Option<usize> {
        self.node_at.get(component_index).map(|&n| self.graph[n])
    }

    /// Flows that start or end at component `component_index` (or at the first component with
    /// its id), each with the index of the component (the first with its id) at its other
    /// end as seen from `component_id`: `to` if the flow starts there, else `from`.
    pub fn flows_at_index(
        &self,
        component_index: usize,
    ) -> impl Iterator<Item = (usize, &'s Flow, bool, usize)> + '_ {
        let node = self.node_at.get(component_index).copied();
        let id = self
            .session
            .components
            .get(component_index)
            .map_or("", |c| c.id.as_str());
        node.into_iter().flat_map(move |n| {
            self.graph
                .edges_directed(n, petgraph::Direction::Outgoing)
                .chain(self.graph.edges_directed(n, petgraph::Direction::Incoming))
                .map(move |e| {
                    let i = *e.weight();
                    let f = &self.session.flows[i];
                    let outgoing = f.from.as_str() == id;
                    let other = if outgoing { e.target() } else { e.source() };
                    (i, f, outgoing, self.graph[other])
                })
        })
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

/// The chain from boundary `first` outwards, appended to `out`; stops at unknown ids and at
/// cycles.
fn chain<'s>(
    first: &'s BoundaryId,
    known: &HashMap<&str, &'s BoundaryId>,
    parent_of: &HashMap<&str, &'s BoundaryId>,
    out: &mut Vec<&'s BoundaryId>,
) {
    let start = out.len();
    let mut next = Some(first);
    while let Some(b) = next {
        if out[start..].contains(&b) {
            break;
        }
        out.push(b);
        next = parent_of
            .get(b.as_str())
            .and_then(|p| known.get(p.as_str()).copied());
    }
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

    /// Boundary chains the slow way, by id, the last of a duplicated id as the maps keep it.
    fn naive_enclosing(s: &Session, component: usize) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut next = s.components[component]
            .boundary
            .as_ref()
            .map(|b| b.to_string());
        while let Some(id) = next.take() {
            if !s.boundaries.iter().any(|b| b.id.as_str() == id) || out.contains(&id) {
                break;
            }
            out.push(id.clone());
            next = s
                .boundaries
                .iter()
                .rev()
                .find(|x| x.id.as_str() == id && x.parent.is_some())
                .and_then(|x| x.parent.as_ref())
                .map(|p| p.to_string());
        }
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]
        #[test]
        fn flat_chains_and_crossings_match_a_walk_by_id(
            parents in proptest::collection::vec(0usize..8, 1..7),
            homes in proptest::collection::vec(0usize..8, 1..10),
            flows in proptest::collection::vec((0usize..12, 0usize..12), 0..20),
        ) {
            let mut s = sample();
            s.boundaries.clear();
            s.components.truncate(1);
            s.flows.truncate(1);
            // Ids repeat (b0..b4) and parents may be unknown or form cycles.
            for (i, &p) in parents.iter().enumerate() {
                s.boundaries.push(crate::model::Boundary {
                    id: format!("b{}", i % 5).into(),
                    name: "B".into(),
                    parent: (p < 6).then(|| format!("b{p}").into()),
                    notes: String::new(),
                });
            }
            let template = s.components[0].clone();
            let flow = s.flows[0].clone();
            s.components.clear();
            for (i, &home) in homes.iter().enumerate() {
                let mut c = template.clone();
                c.id = format!("c{i}").into();
                c.boundary = (home < 7).then(|| format!("b{home}").into());
                s.components.push(c);
            }
            let n = homes.len();
            s.flows.clear();
            for (j, &(a, b)) in flows.iter().enumerate() {
                let mut f = flow.clone();
                f.id = format!("f{j}").into();
                // Some ends name no component.
                f.from = format!("c{}", if a < 11 { a % n } else { 99 }).into();
                f.to = format!("c{}", b % n).into();
                s.flows.push(f);
            }
            let g = ModelGraph::new(&s);
            for i in 0..n {
                proptest::prop_assert_eq!(ids(g.enclosing(i)), naive_enclosing(&s, i));
            }
            for (j, f) in s.flows.iter().enumerate() {
                let end = |id: &str| s.components.iter().position(|c| c.id.as_str() == id);
                let want: Vec<String> = match (end(f.from.as_str()), end(f.to.as_str())) {
                    (Some(a), Some(b)) => {
                        let (from, to) = (naive_enclosing(&s, a), naive_enclosing(&s, b));
                        from.iter()
                            .filter(|x| !to.contains(x))
                            .chain(to.iter().filter(|x| !from.contains(x)))
                            .cloned()
                            .collect()
                    }
                    _ => Vec::new(),
                };
                proptest::prop_assert_eq!(ids(g.crossings(j)), want);
            }
        }
    }
}
