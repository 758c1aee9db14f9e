//! Attack paths: chains of flows from where an attacker starts (external entities, components
//! tagged `internet-facing`) to data stores holding confidential or restricted data.
//!
//! A flow is a connection: whoever controls one end can act on the other, whichever way the data
//! goes, so paths follow flows in both directions. Only processes act, so only processes are
//! steps in the middle of a path; external entities start paths and data stores end them.
//! The search is bounded in length and in the number of steps examined, so the largest models
//! stay fast. It deepens one flow at a time, so when the budget runs out the short paths (the
//! ones that matter most) have been found; within the bounds it is exhaustive and deterministic.

use super::graph::ModelGraph;
use crate::model::{Classification, ComponentKind, ElementId};
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};

/// Longest path considered, in flows.
pub const MAX_PATH_FLOWS: usize = 6;
/// Steps (flow traversals) examined before the search stops.
pub const MAX_STEPS_EXAMINED: usize = 20_000;
/// Paths reported.
pub const MAX_PATHS_REPORTED: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttackPath {
    /// Component ids from the entry point to the data store.
    pub components: Vec<ElementId>,
    /// The flow used for each step (the weakest where two components share several).
    pub flows: Vec<ElementId>,
    /// Distinct trust boundaries crossed along the way.
    pub boundaries_crossed: Vec<String>,
    /// 0 when some step is neither authenticated nor encrypted, 1 when one is missing, 2 when
    /// every step is both.
    pub weakest_link: u8,
    /// Flows on the path that are unauthenticated or unencrypted.
    pub weak_flows: Vec<ElementId>,
    /// The most sensitive data the target store holds.
    pub target_classification: Classification,
    /// Per step, whether its flow runs the way the path goes (from the entry towards the
    /// store); paths follow flows both ways, and the notation shows which way each one runs.
    #[serde(skip)]
    pub forward: Vec<bool>,
}

/// What a path's notation means, for help and reports.
pub const LEGEND: &str = "a → b: the flow runs from a to b; a ← b: from b to a (a path follows flows either way). \
crosses: trust boundaries on the path; weakest link: its weakest flow, 2/2 authenticated and encrypted, 1/2 one of them, 0/2 neither.";

/// The same with ASCII arrows, for plain-text output.
pub const LEGEND_ASCII: &str = "a -> b: the flow runs from a to b; a <- b: from b to a (a path follows flows either way). \
crosses: trust boundaries on the path; weakest link: its weakest flow, 2/2 authenticated and encrypted, 1/2 one of them, 0/2 neither.";

impl AttackPath {
    /// `payment-provider → ledger-service ← ledger-db`: each hop with the way its flow runs
    /// (`->` / `<-` when `ascii`); ids with control characters made visible.
    pub fn route(&self, ascii: bool) -> String {
        self.route_with(ascii, |id| {
            crate::model::text::escape_control(id).into_owned()
        })
    }

    /// The same with each component written by `name` (reports write names, not ids).
    pub fn route_with(&self, ascii: bool, name: impl Fn(&str) -> String) -> String {
        let (to, from) = if ascii { ("->", "<-") } else { ("→", "←") };
        let mut out = String::new();
        for (i, c) in self.components.iter().enumerate() {
            if i > 0 {
                let arrow = if self.forward.get(i - 1).copied().unwrap_or(true) {
                    to
                } else {
                    from
                };
                out.push_str(&format!(" {arrow} "));
            }
            out.push_str(&name(c.as_str()));
        }
        out
    }
}

fn strength(f: &crate::model::Flow) -> u8 {
    u8::from(f.is_authenticated()) + u8::from(f.is_encrypted())
}

pub fn attack_paths(graph: &ModelGraph<'_>) -> Vec<AttackPath> {
    let s = graph.session;
    let class: HashMap<&str, Classification> = s
        .assets
        .iter()
        .map(|a| (a.id.as_str(), a.classification))
        .collect();
    // What each store holds: its own assets and what flows into or out of it carry.
    let store_class = |node: NodeIndex| -> Option<Classification> {
        let c = graph.component(node);
        let own = c
            .assets
            .iter()
            .filter_map(|a| class.get(a.as_str()).copied());
        let carried = graph.flows_at(c.id.as_str()).flat_map(|(_, f)| {
            f.assets
                .iter()
                .filter_map(|a| class.get(a.as_str()).copied())
        });
        own.chain(carried).max().filter(|c| c.is_sensitive())
    };
    let targets: HashMap<NodeIndex, Classification> = graph
        .graph
        .node_indices()
        .filter(|&n| graph.component(n).kind == ComponentKind::DataStore)
        .filter_map(|n| Some((n, store_class(n)?)))
        .collect();
    if targets.is_empty() {
        return Vec::new();
    }
    let entries: Vec<NodeIndex> = graph
        .graph
        .node_indices()
        .filter(|&n| {
            let c = graph.component(n);
            c.kind == ComponentKind::ExternalEntity || c.has_tag("internet-facing")
        })
        .collect();
    // Undirected adjacency with the weakest flow per neighbour pair, in a stable order.
    let mut adjacency: HashMap<NodeIndex, Vec<(NodeIndex, usize)>> = HashMap::new();
    for e in graph.graph.edge_references() {
        let flow = *e.weight();
        for (a, b) in [(e.source(), e.target()), (e.target(), e.source())] {
            if a == b {
                continue;
            }
            let list = adjacency.entry(a).or_default();
            match list.iter_mut().find(|(n, _)| *n == b) {
                Some(slot) => {
                    if strength(&s.flows[flow]) < strength(&s.flows[slot.1]) {
                        slot.1 = flow;
                    }
                }
                None => list.push((b, flow)),
            }
        }
    }
    let mut search = Search {
        graph,
        adjacency: &adjacency,
        targets: &targets,
        examined: 0,
        found: Vec::new(),
    };
    'deepening: for length in 1..=MAX_PATH_FLOWS {
        for &entry in &entries {
            let mut on_path = HashSet::from([entry]);
            search.walk(
                entry,
                length,
                &mut vec![entry],
                &mut Vec::new(),
                &mut on_path,
            );
            if search.examined >= MAX_STEPS_EXAMINED {
                break 'deepening;
            }
        }
    }
    let mut found = search.found;
    found.sort_by(|a, b| {
        b.boundaries_crossed
            .len()
            .cmp(&a.boundaries_crossed.len())
            .then(a.weakest_link.cmp(&b.weakest_link))
            .then(a.flows.len().cmp(&b.flows.len()))
            .then(a.components.cmp(&b.components))
    });
    found.dedup_by(|a, b| a.components == b.components);
    found.truncate(MAX_PATHS_REPORTED);
    found
}

struct Search<'g, 's> {
    graph: &'g ModelGraph<'s>,
    adjacency: &'g HashMap<NodeIndex, Vec<(NodeIndex, usize)>>,
    targets: &'g HashMap<NodeIndex, Classification>,
    examined: usize,
    found: Vec<AttackPath>,
}

impl Search<'_, '_> {
    /// Depth-first over simple paths of exactly `length` flows; records those that end at a
    /// target store.
    fn walk(
        &mut self,
        at: NodeIndex,
        length: usize,
        nodes: &mut Vec<NodeIndex>,
        flows: &mut Vec<usize>,
        on_path: &mut HashSet<NodeIndex>,
    ) {
        if flows.len() >= length || self.examined >= MAX_STEPS_EXAMINED {
            return;
        }
        let Some(neighbours) = self.adjacency.get(&at) else {
            return;
        };
        for &(next, flow) in neighbours {
            if on_path.contains(&next) {
                continue;
            }
            self.examined += 1;
            if self.examined >= MAX_STEPS_EXAMINED {
                return;
            }
            nodes.push(next);
            flows.push(flow);
            let last_step = flows.len() == length;
            match self.targets.get(&next) {
                Some(&class) if last_step => self.record(nodes, flows, class),
                None if !last_step && self.graph.component(next).kind == ComponentKind::Process => {
                    on_path.insert(next);
                    self.walk(next, length, nodes, flows, on_path);
                    on_path.remove(&next);
                }
                _ => {}
            }
            nodes.pop();
            flows.pop();
        }
    }

    fn record(&mut self, nodes: &[NodeIndex], flows: &[usize], class: Classification) {
        let s = self.graph.session;
        let boundaries: BTreeSet<String> = flows
            .iter()
            .flat_map(|&f| self.graph.crossings(f).iter().map(|b| b.to_string()))
            .collect();
        let weak_flows: Vec<ElementId> = flows
            .iter()
            .filter(|&&f| strength(&s.flows[f]) < 2)
            .map(|&f| s.flows[f].id.clone())
            .collect();
        self.found.push(AttackPath {
            components: nodes
                .iter()
                .map(|&n| self.graph.component(n).id.clone())
                .collect(),
            flows: flows.iter().map(|&f| s.flows[f].id.clone()).collect(),
            boundaries_crossed: boundaries.into_iter().collect(),
            weakest_link: flows
                .iter()
                .map(|&f| strength(&s.flows[f]))
                .min()
                .unwrap_or(2),
            weak_flows,
            target_classification: class,
            forward: flows
                .iter()
                .zip(nodes)
                .map(|(&f, &n)| s.flows[f].from == self.graph.component(n).id)
                .collect(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::graph::tests_support::sample;
    use crate::model::{Asset, Classification};

    #[test]
    fn paths_run_from_outside_to_sensitive_stores_and_rank_by_boundaries() {
        let mut s = sample();
        // Nothing sensitive yet: no targets, no paths.
        assert!(attack_paths(&ModelGraph::new(&s)).is_empty());
        s.assets.push(Asset {
            id: "pii".into(),
            name: "PII".into(),
            classification: Classification::Confidential,
            notes: String::new(),
        });
        s.components[3].assets.push("pii".into());
        s.flows[1].encrypted = Some(true);
        s.flows[1].authenticated = Some(true);
        let paths = attack_paths(&ModelGraph::new(&s));
        assert_eq!(paths.len(), 1);
        let p = &paths[0];
        let ids: Vec<&str> = p.components.iter().map(|c| c.as_str()).collect();
        assert_eq!(ids, ["user", "lb", "app", "db"]);
        assert_eq!(p.boundaries_crossed, ["account", "internet", "vpc"]);
        assert_eq!(p.weakest_link, 0);
        let weak: Vec<&str> = p.weak_flows.iter().map(|f| f.as_str()).collect();
        assert_eq!(weak, ["user-lb", "app-db"]);
        assert_eq!(p.route(true), "user -> lb -> app -> db");
        // A flow that runs towards the entry shows its own direction.
        let back = s
            .flows
            .iter()
            .position(|f| f.id.as_str() == "lb-app")
            .expect("lb-app");
        let flow = &mut s.flows[back];
        std::mem::swap(&mut flow.from, &mut flow.to);
        let paths = attack_paths(&ModelGraph::new(&s));
        assert_eq!(paths[0].route(false), "user → lb ← app → db");
        assert_eq!(paths[0].route(true), "user -> lb <- app -> db");

        // An internet-facing process is an entry point too; the longer path ranks first.
        s.components[1].tags.push("internet-facing".into());
        let paths = attack_paths(&ModelGraph::new(&s));
        assert_eq!(paths.len(), 2);
        assert_eq!(paths[1].components.first().map(|c| c.as_str()), Some("lb"));
        assert_eq!(paths[1].boundaries_crossed, ["vpc"]);
    }

    #[test]
    fn the_search_is_bounded_on_dense_graphs() {
        let mut text = String::from(
            "schema = 1\ntitle = \"dense\"\n[[assets]]\nid = \"a\"\nname = \"A\"\nclassification = \"restricted\"\n",
        );
        for i in 0..60 {
            let kind = match i {
                0 => "external-entity",
                59 => "data-store",
                _ => "process",
            };
            text.push_str(&format!(
                "[[components]]\nid = \"c{i}\"\nname = \"C\"\nkind = \"{kind}\"\n{}",
                if i == 59 { "assets = [\"a\"]\n" } else { "" }
            ));
        }
        let mut n = 0;
        for i in 0..60 {
            for j in (i + 1)..60 {
                text.push_str(&format!(
                    "[[flows]]\nid = \"f{n}\"\nfrom = \"c{i}\"\nto = \"c{j}\"\nlabel = \"x\"\n"
                ));
                n += 1;
            }
        }
        let s = crate::store::parse(&text).expect("parses").0;
        let paths = attack_paths(&ModelGraph::new(&s));
        assert_eq!(paths.len(), MAX_PATHS_REPORTED);
        // The direct flow from the entry to the store is among them, and none is too long.
        assert!(paths.iter().any(|p| p.flows.len() == 1));
        assert!(paths.iter().all(|p| p.flows.len() <= MAX_PATH_FLOWS));
    }
}
