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
use foldhash::HashMap;
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;
use serde::Serialize;
use std::collections::BTreeSet;

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
    // Per node (petgraph indices are dense): the classification of a target store.
    let targets: Vec<Option<Classification>> = graph
        .graph
        .node_indices()
        .map(|n| {
            (graph.component(n).kind == ComponentKind::DataStore)
                .then(|| store_class(n))
                .flatten()
        })
        .collect();
    if targets.iter().all(Option::is_none) {
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
    let adjacency = Adjacency::new(graph);
    let mut search = Search {
        graph,
        adjacency: &adjacency,
        targets: &targets,
        examined: 0,
        found: Vec::new(),
        nodes: Vec::new(),
        flows: Vec::new(),
        scratch: Vec::new(),
    };
    let mut on_path = vec![false; targets.len()];
    let mut nodes = Vec::with_capacity(MAX_PATH_FLOWS + 1);
    let mut flows = Vec::with_capacity(MAX_PATH_FLOWS);
    'deepening: for length in 1..=MAX_PATH_FLOWS {
        for &entry in &entries {
            nodes.clear();
            nodes.push(entry);
            on_path[entry.index()] = true;
            search.walk(entry, length, &mut nodes, &mut flows, &mut on_path);
            on_path[entry.index()] = false;
            if search.examined >= MAX_STEPS_EXAMINED {
                break 'deepening;
            }
        }
    }
    search.ranked()
}

/// For each node of `nodes` (by index; others 0), its place among their component ids, from 1:
/// equal ids share a place, and places compare as the ids do.
fn id_places(graph: &ModelGraph<'_>, nodes: &[NodeIndex]) -> Vec<u32> {
    let mut distinct = nodes.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    let id = |n: NodeIndex| graph.component(n).id.as_str();
    distinct.sort_by(|&a, &b| id(a).cmp(id(b)));
    let mut place = vec![0u32; graph.graph.node_count()];
    let mut previous: Option<&str> = None;
    let mut next = 0u32;
    for &n in &distinct {
        if previous != Some(id(n)) {
            next += 1;
            previous = Some(id(n));
        }
        if let Some(slot) = place.get_mut(n.index()) {
            *slot = next;
        }
    }
    place
}

/// Undirected adjacency with the weakest flow per neighbour pair, in a stable order: each
/// node's neighbours in the order their first flow appears, and for each the first flow of the
/// lowest strength. Flat (one list for all nodes), since it is built once per analysis and read
/// on every step of the search.
struct Adjacency {
    /// Node `n`'s neighbours are `links[start[n]..start[n + 1]]`.
    start: Vec<usize>,
    links: Vec<(NodeIndex, usize)>,
}

impl Adjacency {
    fn new(graph: &ModelGraph<'_>) -> Self {
        let flows = &graph.session.flows;
        let n = graph.graph.node_count();
        let ends = || {
            graph.graph.edge_references().flat_map(|e| {
                let flow = *e.weight();
                [
                    (e.source(), e.target(), flow),
                    (e.target(), e.source(), flow),
                ]
                .into_iter()
                .filter(|(a, b, _)| a != b)
            })
        };
        // Every (node, neighbour, flow) in flow order, grouped by node: a counting sort.
        let mut start = vec![0usize; n + 1];
        for (a, _, _) in ends() {
            start[a.index() + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut raw = vec![(NodeIndex::new(0), 0usize); start[n]];
        for (a, b, flow) in ends() {
            raw[fill[a.index()]] = (b, flow);
            fill[a.index()] += 1;
        }
        // One link per neighbour: `slot[b]` is where b sits in the current node's list, valid
        // while `owner[b]` is that node.
        let mut links = Vec::with_capacity(raw.len());
        let mut kept = vec![0usize; n + 1];
        let mut slot = vec![0usize; n];
        let mut owner = vec![usize::MAX; n];
        for a in 0..n {
            for &(b, flow) in &raw[start[a]..start[a + 1]] {
                if owner[b.index()] == a {
                    let link: &mut (NodeIndex, usize) = &mut links[slot[b.index()]];
                    if strength(&flows[flow]) < strength(&flows[link.1]) {
                        link.1 = flow;
                    }
                } else {
                    owner[b.index()] = a;
                    slot[b.index()] = links.len();
                    links.push((b, flow));
                }
            }
            kept[a + 1] = links.len();
        }
        Adjacency { start: kept, links }
    }

    fn of(&self, node: NodeIndex) -> &[(NodeIndex, usize)] {
        match (
            self.start.get(node.index()),
            self.start.get(node.index() + 1),
        ) {
            (Some(&from), Some(&to)) => &self.links[from..to],
            _ => &[],
        }
    }
}

/// A path found, before ranking: where its nodes and flows sit in the search's flat lists and
/// what it ranks by. Only the paths reported are written out with ids and names.
#[derive(Clone, Copy)]
struct Found {
    nodes: usize,
    flows: usize,
    length: usize,
    boundaries: usize,
    weakest_link: u8,
    class: Classification,
}

struct Search<'g, 's> {
    graph: &'g ModelGraph<'s>,
    adjacency: &'g Adjacency,
    targets: &'g [Option<Classification>],
    examined: usize,
    found: Vec<Found>,
    /// The nodes and flows of every path found, one after another.
    nodes: Vec<NodeIndex>,
    flows: Vec<usize>,
    /// Boundary ids of one path, for counting the distinct ones.
    scratch: Vec<&'s str>,
}

impl<'s> Search<'_, 's> {
    /// Depth-first over simple paths of exactly `length` flows; records those that end at a
    /// target store.
    fn walk(
        &mut self,
        at: NodeIndex,
        length: usize,
        nodes: &mut Vec<NodeIndex>,
        flows: &mut Vec<usize>,
        on_path: &mut [bool],
    ) {
        if flows.len() >= length || self.examined >= MAX_STEPS_EXAMINED {
            return;
        }
        let adjacency = self.adjacency;
        for &(next, flow) in adjacency.of(at) {
            if on_path[next.index()] {
                continue;
            }
            self.examined += 1;
            if self.examined >= MAX_STEPS_EXAMINED {
                return;
            }
            nodes.push(next);
            flows.push(flow);
            let last_step = flows.len() == length;
            match self.targets[next.index()] {
                Some(class) if last_step => self.record(nodes, flows, class),
                None if !last_step && self.graph.component(next).kind == ComponentKind::Process => {
                    on_path[next.index()] = true;
                    self.walk(next, length, nodes, flows, on_path);
                    on_path[next.index()] = false;
                }
                _ => {}
            }
            nodes.pop();
            flows.pop();
        }
    }

    fn record(&mut self, nodes: &[NodeIndex], flows: &[usize], class: Classification) {
        let s = self.graph.session;
        self.scratch.clear();
        for &f in flows {
            self.scratch
                .extend(self.graph.crossings(f).iter().map(|b| b.as_str()));
        }
        self.scratch.sort_unstable();
        self.scratch.dedup();
        self.found.push(Found {
            nodes: self.nodes.len(),
            flows: self.flows.len(),
            length: flows.len(),
            boundaries: self.scratch.len(),
            weakest_link: flows
                .iter()
                .map(|&f| strength(&s.flows[f]))
                .min()
                .unwrap_or(2),
            class,
        });
        self.nodes.extend_from_slice(nodes);
        self.flows.extend_from_slice(flows);
    }

    fn path_nodes(&self, p: &Found) -> &[NodeIndex] {
        &self.nodes[p.nodes..p.nodes + p.length + 1]
    }

    fn path_flows(&self, p: &Found) -> &[usize] {
        &self.flows[p.flows..p.flows + p.length]
    }

    /// The paths reported: most boundaries crossed first, then the weakest, the shortest, and
    /// by component ids; one per route.
    fn ranked(mut self) -> Vec<AttackPath> {
        let found = std::mem::take(&mut self.found);
        // Thousands of paths are found on a large model and ten reported: only those whose
        // numbers are as good as the tenth best's are ranked by route. Equal routes have equal
        // numbers, so if fewer than ten distinct ones are among them, all are ranked.
        let numbers = |p: &Found| (std::cmp::Reverse(p.boundaries), p.weakest_link, p.length);
        let mut best = Vec::new();
        if found.len() > MAX_PATHS_REPORTED {
            let mut all: Vec<_> = found.iter().map(numbers).collect();
            let (_, tenth, _) = all.select_nth_unstable(MAX_PATHS_REPORTED - 1);
            let tenth = *tenth;
            let contenders: Vec<Found> = found
                .iter()
                .filter(|p| numbers(p) <= tenth)
                .copied()
                .collect();
            best = self.by_route(contenders);
        }
        if best.len() < MAX_PATHS_REPORTED {
            best = self.by_route(found);
        }
        best.iter().map(|p| self.attack_path(p)).collect()
    }

    /// `found` ranked (most boundaries crossed first, then the weakest, the shortest, and by
    /// component ids; ties in the order found), one per route, the first ten.
    fn by_route(&self, mut found: Vec<Found>) -> Vec<Found> {
        // Routes compare as lists of numbers, as their ids would compare: comparing the ids
        // themselves took most of the time of finding the paths.
        let nodes: Vec<NodeIndex> = found
            .iter()
            .flat_map(|p| self.path_nodes(p).iter().copied())
            .collect();
        let place = id_places(self.graph, &nodes);
        let places = |p: &Found| {
            self.path_nodes(p)
                .iter()
                .map(|n| place.get(n.index()).copied().unwrap_or(0))
        };
        // Stable, like the order paths were found in, so ties stay as they were.
        found.sort_by(|a, b| {
            b.boundaries
                .cmp(&a.boundaries)
                .then(a.weakest_link.cmp(&b.weakest_link))
                .then(a.length.cmp(&b.length))
                .then_with(|| places(a).cmp(places(b)))
        });
        // Nodes and component ids correspond one to one, so equal nodes mean equal routes.
        found.dedup_by(|a, b| self.path_nodes(a) == self.path_nodes(b));
        found.truncate(MAX_PATHS_REPORTED);
        found
    }

    fn attack_path(&self, p: &Found) -> AttackPath {
        let s = self.graph.session;
        let (nodes, flows) = (self.path_nodes(p), self.path_flows(p));
        let boundaries: BTreeSet<String> = flows
            .iter()
            .flat_map(|&f| self.graph.crossings(f).iter().map(|b| b.to_string()))
            .collect();
        let weak_flows: Vec<ElementId> = flows
            .iter()
            .filter(|&&f| strength(&s.flows[f]) < 2)
            .map(|&f| s.flows[f].id.clone())
            .collect();
        AttackPath {
            components: nodes
                .iter()
                .map(|&n| self.graph.component(n).id.clone())
                .collect(),
            flows: flows.iter().map(|&f| s.flows[f].id.clone()).collect(),
            boundaries_crossed: boundaries.into_iter().collect(),
            weakest_link: p.weakest_link,
            weak_flows,
            target_classification: p.class,
            forward: flows
                .iter()
                .zip(nodes)
                .map(|(&f, &n)| s.flows[f].from == self.graph.component(n).id)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::graph::tests_support::sample;
    use crate::model::{Asset, Classification};
    use proptest::prelude::*;
    use std::collections::HashSet;

    proptest! {
        /// Routes compare by their nodes' places as they compare by their component ids, also
        /// with a duplicated id, one id the start of another, and ids beyond ASCII.
        #[test]
        fn places_compare_as_ids(
            routes in proptest::collection::vec(proptest::collection::vec(0usize..64, 1..5), 2..12),
        ) {
            let mut s = sample();
            let template = s.components[0].clone();
            for id in ["a", "ab", "a", "B", "é"] {
                let mut c = template.clone();
                c.id = id.into();
                s.components.push(c);
            }
            let graph = ModelGraph::new(&s);
            let nodes: Vec<NodeIndex> = graph.graph.node_indices().collect();
            let ids_of_nodes: HashSet<&str> =
                nodes.iter().map(|&n| graph.component(n).id.as_str()).collect();
            prop_assert!(ids_of_nodes.contains("ab") && ids_of_nodes.contains("é"));
            let routes: Vec<Vec<NodeIndex>> = routes
                .iter()
                .map(|r| r.iter().map(|&i| nodes[i % nodes.len()]).collect())
                .collect();
            let all: Vec<NodeIndex> = routes.iter().flatten().copied().collect();
            let place = id_places(&graph, &all);
            let ids = |r: &[NodeIndex]| -> Vec<&str> {
                r.iter().map(|&n| graph.component(n).id.as_str()).collect()
            };
            let places = |r: &[NodeIndex]| -> Vec<u32> { r.iter().map(|n| place[n.index()]).collect() };
            for a in &routes {
                for b in &routes {
                    prop_assert_eq!(places(a).cmp(&places(b)), ids(a).cmp(&ids(b)));
                }
            }
        }
    }

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

    /// A small random model as session text: kinds, tags, boundaries, assets and flows with
    /// every protection, including self-loops and parallel flows.
    fn random_session(
        kinds: &[u8],
        flows: &[(usize, usize, u8, u8)],
        assets: &[(usize, u8)],
    ) -> String {
        let mut text = String::from(
            "schema = 1\ntitle = \"r\"\n[[boundaries]]\nid = \"b0\"\nname = \"B0\"\n[[boundaries]]\nid = \"b1\"\nname = \"B1\"\nparent = \"b0\"\n[[boundaries]]\nid = \"b2\"\nname = \"B2\"\n[[assets]]\nid = \"pub\"\nname = \"P\"\nclassification = \"public\"\n[[assets]]\nid = \"conf\"\nname = \"C\"\nclassification = \"confidential\"\n[[assets]]\nid = \"res\"\nname = \"R\"\nclassification = \"restricted\"\n",
        );
        let n = kinds.len();
        for (i, k) in kinds.iter().enumerate() {
            let kind = ["external-entity", "process", "data-store", "process"][usize::from(k % 4)];
            let tags = if k % 5 == 1 {
                "tags = [\"internet-facing\"]\n"
            } else {
                ""
            };
            let boundary = match k / 8 % 4 {
                3 => String::new(),
                b => format!("boundary = \"b{b}\"\n"),
            };
            let own: Vec<&str> = assets
                .iter()
                .filter(|(c, _)| c % n == i)
                .map(|(_, a)| ["pub", "conf", "res"][usize::from(a % 3)])
                .collect();
            text.push_str(&format!(
                "[[components]]\nid = \"c{}\"\nname = \"C\"\nkind = \"{kind}\"\n{tags}{boundary}assets = {own:?}\n",
                // Ids out of index order, so ranking by id is not ranking by node.
                (i * 7) % 101
            ));
        }
        for (j, &(from, to, protection, asset)) in flows.iter().enumerate() {
            let bools = |bit: u8| match (protection >> bit) & 3 {
                0 => "",
                1 => "true",
                _ => "false",
            };
            let mut line = format!(
                "[[flows]]\nid = \"f{j}\"\nfrom = \"c{}\"\nto = \"c{}\"\nlabel = \"x\"\n",
                ((from % n) * 7) % 101,
                ((to % n) * 7) % 101
            );
            for (key, value) in [("authenticated", bools(0)), ("encrypted", bools(2))] {
                if !value.is_empty() {
                    line.push_str(&format!("{key} = {value}\n"));
                }
            }
            if asset % 4 != 3 {
                line.push_str(&format!(
                    "assets = [\"{}\"]\n",
                    ["pub", "conf", "res"][usize::from(asset % 3)]
                ));
            }
            text.push_str(&line);
        }
        text
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]
        #[test]
        fn the_flat_search_finds_what_the_reference_finds(
            kinds in proptest::collection::vec(0u8..32, 1..24),
            flows in proptest::collection::vec((0usize..24, 0usize..24, 0u8..16, 0u8..8), 0..60),
            assets in proptest::collection::vec((0usize..24, 0u8..3), 0..8),
        ) {
            let text = random_session(&kinds, &flows, &assets);
            let s = crate::store::parse(&text).expect("generated session parses").0;
            let g = ModelGraph::new(&s);
            proptest::prop_assert_eq!(attack_paths(&g), reference(&g));
        }
    }

    #[test]
    fn the_flat_search_agrees_with_the_reference_when_the_budget_runs_out() {
        // Dense enough that the step budget stops the search part way through a length.
        let kinds: Vec<u8> = (0..40u8)
            .map(|i| match i {
                0 | 1 => 0,
                38 | 39 => 2,
                _ => 1,
            })
            .collect();
        let flows: Vec<(usize, usize, u8, u8)> = (0..40)
            .flat_map(|i| (i + 1..40).map(move |j| (i, j, ((i * j) % 16) as u8, (i % 4) as u8)))
            .collect();
        let text = random_session(&kinds, &flows, &[(38, 2), (39, 1)]);
        let s = crate::store::parse(&text).expect("parses").0;
        let g = ModelGraph::new(&s);
        let paths = attack_paths(&g);
        assert_eq!(paths.len(), MAX_PATHS_REPORTED);
        assert_eq!(paths, reference(&g));
    }

    // The search as first written (hash maps, every path written out before ranking): the
    // reference the flat search must agree with.
    fn reference(graph: &ModelGraph<'_>) -> Vec<AttackPath> {
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
        let mut adjacency: HashMap<NodeIndex, Vec<(NodeIndex, usize)>> = HashMap::default();
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
        let mut search = RefSearch {
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

    struct RefSearch<'g, 's> {
        graph: &'g ModelGraph<'s>,
        adjacency: &'g HashMap<NodeIndex, Vec<(NodeIndex, usize)>>,
        targets: &'g HashMap<NodeIndex, Classification>,
        examined: usize,
        found: Vec<AttackPath>,
    }

    impl RefSearch<'_, '_> {
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
                    None if !last_step
                        && self.graph.component(next).kind == ComponentKind::Process =>
                    {
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
}
