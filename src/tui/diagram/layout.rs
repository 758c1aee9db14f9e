//! Placing the diagram on a virtual canvas of character cells.
//!
//! Computed once per model change, so that drawing a frame only clips precomputed primitives to
//! the viewport. The steps, in order:
//!
//! 1. Containers: the boundary tree (a parent cycle is broken at the boundary with the smallest
//!    id), plus a pseudo container for components outside any boundary. Every top-level
//!    container is a column; nested boundaries and components stack top to bottom inside it.
//! 2. Layers: longest path on the component flow graph, cycles broken by a depth-first search
//!    that starts from external entities. Components are stacked by layer, so chains read top to
//!    bottom.
//! 3. Columns: a topological order of the graph of top-level groups (cycles broken the same
//!    way, starting from the components outside any boundary and groups with external entities),
//!    placing a group right after the one feeding it where possible, so most flows join
//!    neighbouring columns and go left to right.
//! 4. Routes: a flow between two boxes stacked directly on top of each other is a short vertical
//!    connector; within a column it runs in a lane in the right margin of the innermost container
//!    holding both ends; between neighbouring columns in a lane of the gutter between them;
//!    between distant columns along a track above or below all columns. Each route crosses
//!    exactly the borders of the boundaries the flow crosses.
//! 5. Geometry: widths and heights bottom-up, a port row per flow end on the box sides, lanes in
//!    each gutter and margin ordered to avoid crossings and overlaps.
//! 6. Primitives: line segments and texts, indexed by row and by column for the renderer.

use super::{fit, sanitize, width, wrap};
use crate::analysis::ModelGraph;
use crate::model::{ComponentKind, Session};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{DfsPostOrder, VisitMap};
use ratatui::layout::Rect;
use std::collections::HashMap;

/// Width of every component box, borders included: a kind marker and fourteen cells of name per
/// line. Narrow on purpose: columns of nested boundaries add four cells per level, and the app
/// gives the diagram about 80 columns at 120x40.
pub(super) const BOX_W: u32 = 20;
/// Component names wrap onto at most this many lines before they are cut with an ellipsis.
const NAME_LINES: usize = 3;
/// `[P] ` before the first line of a name, and the indent of the following lines.
const MARKER_W: usize = 4;
/// Boundary boxes widen to show names up to this many cells; longer names are cut.
const BOUNDARY_NAME_W: usize = 40;
/// Above this many lanes in one gutter or margin, lanes are ordered by a simple key instead of
/// the quadratic crossing-minimising insertion, to keep layout time near-linear on huge models.
const GREEDY_LANES: usize = 300;
/// Legend lines are at least this wide even when the diagram itself is narrower.
const LEGEND_MIN_W: u32 = 80;
/// Owner value for primitives that belong to no component.
pub(super) const NO_OWNER: u32 = u32::MAX;

/// A flow that crosses at least one trust boundary, for the list shown beside the diagram. All
/// text fields are already made safe to show (control characters escaped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossingFlow {
    /// The flow's id in the session, to look it up.
    pub flow_id: String,
    /// The number drawn next to its arrowhead.
    pub number: usize,
    /// Name of the source component (its id when the name is blank).
    pub from: String,
    /// Name of the target component (its id when the name is blank).
    pub to: String,
    /// What the flow carries, as written in the session.
    pub label: String,
    /// Names of the boundaries crossed: those around the source first, innermost first, then
    /// those around the target.
    pub boundaries: Vec<String>,
    pub authenticated: bool,
    pub encrypted: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Weight {
    Light = 1,
    Heavy = 2,
    Double = 3,
}

/// What a primitive is, which decides its style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Class {
    Boundary,
    BoundaryName,
    Outside,
    Component,
    Name,
    Flow,
    Crossing,
    Label,
    CrossingLabel,
    Legend,
    Heading,
    Hint,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stroke {
    pub weight: Weight,
    pub class: Class,
    /// Index of the component whose box this is, or [`NO_OWNER`]; selection draws it heavier.
    pub owner: u32,
    /// Processes get rounded corners, a second cue beside the `[P]` marker.
    pub rounded: bool,
}

/// One thing to draw. Lines include both end cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Prim {
    H {
        y: u32,
        x0: u32,
        x1: u32,
        stroke: Stroke,
    },
    V {
        x: u32,
        y0: u32,
        y1: u32,
        stroke: Stroke,
    },
    Text {
        x: u32,
        y: u32,
        text: u32,
        class: Class,
        owner: u32,
    },
}

/// A placed box, in canvas cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Placed {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

impl Placed {
    pub fn right(&self) -> u32 {
        self.x + self.w - 1
    }

    pub fn bottom(&self) -> u32 {
        self.y + self.h - 1
    }

    fn rect(&self) -> Rect {
        let clamp = |v: u32| u16::try_from(v).unwrap_or(u16::MAX);
        let x = clamp(self.x);
        let y = clamp(self.y);
        Rect::new(
            x,
            y,
            clamp(self.w).min(u16::MAX - x),
            clamp(self.h).min(u16::MAX - y),
        )
    }
}

/// A drawn flow: its polyline from a cell on the source box's border to a cell on the target
/// box's border (where the arrowhead is), and where its number is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PlacedFlow {
    pub index: usize,
    pub number: usize,
    pub from: usize,
    pub to: usize,
    pub crossing: bool,
    pub points: Vec<(u32, u32)>,
    pub label: String,
    pub label_at: (u32, u32),
}

/// The diagram placed on a virtual canvas of character cells. Pure data, computed once per
/// model change by [`DiagramLayout::compute`] and drawn by [`super::DiagramView`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiagramLayout {
    width: u32,
    height: u32,
    /// Per session component (same index), its box.
    pub(super) components: Vec<Placed>,
    component_of: HashMap<String, usize>,
    /// Per session boundary (same index), its box; `None` if it is not drawn.
    pub(super) boundaries: Vec<Placed>,
    /// The area of the components that are in no boundary, if there are any.
    pub(super) outside: Option<Placed>,
    pub(super) flows: Vec<PlacedFlow>,
    crossing: Vec<CrossingFlow>,
    reading_order: Vec<usize>,
    component_ids: Vec<String>,
    pub(super) prims: Vec<Prim>,
    pub(super) texts: Vec<String>,
    /// Per canvas row: horizontal lines and texts on it.
    pub(super) rows: Vec<Vec<u32>>,
    /// Per canvas column: vertical lines on it, sorted by their top row.
    pub(super) cols: Vec<Vec<u32>>,
    /// Per canvas column: the length of its longest vertical line, to start the search for the
    /// lines that reach into the viewport.
    pub(super) col_reach: Vec<u32>,
}

impl DiagramLayout {
    /// Lays out the session's diagram. Deterministic: equal sessions give equal layouts, and the
    /// order of tables in the session does not matter (everything is ordered by id).
    pub fn compute(session: &Session) -> DiagramLayout {
        Self::from_graph(&ModelGraph::new(session))
    }

    /// The same, from a graph of the session already built (the app builds one per change).
    pub fn from_graph(graph: &ModelGraph<'_>) -> DiagramLayout {
        Builder::new(graph.session, graph).build()
    }

    /// The canvas size in cells, to bound scrolling. Saturates at `u16::MAX`.
    pub fn size(&self) -> (u16, u16) {
        (
            u16::try_from(self.width).unwrap_or(u16::MAX),
            u16::try_from(self.height).unwrap_or(u16::MAX),
        )
    }

    /// The box of a component in canvas coordinates, to scroll a selection into view.
    pub fn component_rect(&self, id: &str) -> Option<Rect> {
        let index = *self.component_of.get(id)?;
        self.components.get(index).map(Placed::rect)
    }

    /// The flows that cross a trust boundary, in number order, as the analysis sees them.
    pub fn crossing_flows(&self) -> &[CrossingFlow] {
        &self.crossing
    }

    /// Component ids in reading order: column by column, top to bottom. For moving a selection
    /// through the diagram with the arrow keys.
    pub fn component_ids(&self) -> impl Iterator<Item = &str> + '_ {
        self.reading_order
            .iter()
            .filter_map(|&i| self.component_ids.get(i).map(String::as_str))
    }

    /// The scroll offset that shows the component `id` in a viewport of `viewport` cells
    /// (width, height), moving as little as possible from `scroll`. Unknown ids keep `scroll`.
    pub fn scroll_to_show(&self, id: &str, viewport: (u16, u16), scroll: (u16, u16)) -> (u16, u16) {
        let Some(rect) = self.component_rect(id) else {
            return scroll;
        };
        let axis = |start: u16, len: u16, view: u16, current: u16| -> u16 {
            let end = start.saturating_add(len);
            if start < current || len > view {
                start.saturating_sub(1)
            } else if end > current.saturating_add(view) {
                end.saturating_sub(view).saturating_add(1).min(start)
            } else {
                current
            }
        };
        (
            axis(rect.x, rect.width, viewport.0, scroll.0),
            axis(rect.y, rect.height, viewport.1, scroll.1),
        )
    }

    pub(super) fn component_index(&self, id: &str) -> Option<usize> {
        self.component_of.get(id).copied()
    }

    pub(super) fn text(&self, id: u32) -> &str {
        self.texts.get(id as usize).map_or("", String::as_str)
    }
}

// ---------------------------------------------------------------------------------------------
// Building

/// A boundary, or the pseudo container for components outside any boundary.
#[derive(Debug, Clone, Default)]
struct Cont {
    boundary: Option<usize>,
    parent: Option<usize>,
    depth: u32,
    comps: Vec<usize>,
    subs: Vec<usize>,
    children: Vec<Child>,
    /// The smallest layer among the components inside: where it goes among its siblings.
    key: u32,
    /// Flows drawn in lanes in this container's right margin.
    lanes: Vec<usize>,
    /// The boundary's name as shown in its top border, and where in the border it starts
    /// (after any vertical connector that crosses the border).
    name: String,
    name_from: u32,
    zone: u32,
    content_w: u32,
    w: u32,
    h: u32,
    rel_y: u32,
    x: u32,
    y: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Child {
    Comp(usize),
    Cont(usize),
}

/// One slot of a column's top-to-bottom sequence: a component, or an empty boundary box that a
/// vertical connector must not pass through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item {
    Comp(usize),
    Blocker,
}

#[derive(Debug, Clone, Default)]
struct Comp {
    cont: usize,
    layer: u32,
    lines: Vec<String>,
    /// Ports on the left and right sides: (flow slot, is the source end).
    left: Vec<(usize, bool)>,
    right: Vec<(usize, bool)>,
    col: usize,
    pos: usize,
    h: u32,
    rel_y: u32,
    x: u32,
    y: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    /// Between two boxes stacked directly on each other; `x` is relative to the column.
    Vertical { upper: usize, lower: usize, x: u32 },
    /// In a lane in the right margin of a container (also self-loops).
    Margin { cont: usize },
    /// In a lane of the gutter right of column `g`.
    Gutter { g: usize, forward: bool },
    /// Through the gutters next to both ends and a track above or below all columns.
    Channel {
        gs: usize,
        gt: usize,
        forward: bool,
        top: bool,
    },
}

#[derive(Debug, Clone)]
struct Fl {
    index: usize,
    number: usize,
    src: usize,
    tgt: usize,
    crossing: bool,
    label: String,
    route: Route,
    ys: u32,
    yt: u32,
    lane_s: u32,
    lane_t: u32,
    /// A channel's track row, or the jog row of a gutter flow split in two lanes.
    track: u32,
    jog: bool,
}

#[derive(Debug, Clone, Default)]
struct Gutter {
    /// (flow slot, part): part 0 a gutter route, 1 a channel's source side, 2 its target side.
    lanes: Vec<(usize, u8)>,
    zone_l: u32,
    zone_r: u32,
    x: u32,
    w: u32,
}

impl Gutter {
    /// Where the label zone for flows arriving at the column on the left starts.
    fn zone_l_x(&self) -> u32 {
        self.x + u32::from(self.zone_l == 0)
    }

    fn lanes_x(&self) -> u32 {
        self.zone_l_x() + self.zone_l
    }

    /// Where the label zone for flows arriving at the column on the right starts.
    fn zone_r_x(&self) -> u32 {
        self.lanes_x() + self.lanes.len() as u32
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Left,
    Right,
}

/// How a flow uses a lane: the rows its vertical run spans and where it leaves it sideways.
#[derive(Debug, Clone, Copy)]
struct LaneUse {
    slot: usize,
    lo: u32,
    hi: u32,
    stubs: [(u32, Side); 2],
    /// For half of a flow split in two lanes: the row of the short jog joining the halves,
    /// which is not a stub toward the side of the gutter.
    jog: Option<u32>,
    /// Which lane of the flow this is: 0 its only one, 1 its source side, 2 its target side.
    part: u8,
}

struct Builder<'s, 'g> {
    s: &'s Session,
    g: &'g ModelGraph<'s>,
    conts: Vec<Cont>,
    comps: Vec<Comp>,
    flows: Vec<Fl>,
    numbers: Vec<usize>,
    columns: Vec<usize>,
    col_of_cont: Vec<usize>,
    seqs: Vec<Vec<Item>>,
    gutters: Vec<Gutter>,
    comp_first: HashMap<&'s str, usize>,
    /// The rows the columns take: jogs stay inside them, away from the tracks.
    rows: std::ops::Range<u32>,
}

impl<'s, 'g> Builder<'s, 'g> {
    fn new(s: &'s Session, g: &'g ModelGraph<'s>) -> Self {
        Builder {
            s,
            g,
            conts: Vec::new(),
            comps: Vec::new(),
            flows: Vec::new(),
            numbers: Vec::new(),
            columns: Vec::new(),
            col_of_cont: Vec::new(),
            seqs: Vec::new(),
            gutters: Vec::new(),
            comp_first: HashMap::new(),
            rows: 0..0,
        }
    }

    fn build(mut self) -> DiagramLayout {
        self.containers();
        let edges = self.number_flows();
        self.layers(&edges);
        self.order_columns(&edges);
        self.order_children();
        self.sequences();
        self.classify_flows();
        self.ports_and_sizes();
        self.place();
        self.emit()
    }

    fn comp_id(&self, i: usize) -> &'s str {
        self.s.components.get(i).map_or("", |c| c.id.as_str())
    }

    fn cont_id(&self, c: usize) -> &'s str {
        self.conts
            .get(c)
            .and_then(|c| c.boundary)
            .and_then(|b| self.s.boundaries.get(b))
            .map_or("", |b| b.id.as_str())
    }

    /// Step 1: the boundary tree and which container each component is in.
    fn containers(&mut self) {
        let s = self.s;
        let nb = s.boundaries.len();
        let mut first: HashMap<&str, usize> = HashMap::new();
        for (i, b) in s.boundaries.iter().enumerate() {
            first.entry(b.id.as_str()).or_insert(i);
        }
        let mut parent: Vec<Option<usize>> = s
            .boundaries
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let p = b.parent.as_ref()?;
                first.get(p.as_str()).copied().filter(|&p| p != i)
            })
            .collect();
        // Break parent cycles (an invalid session) at the boundary with the smallest id.
        let mut order: Vec<usize> = (0..nb).collect();
        order.sort_by(|&a, &b| {
            (s.boundaries[a].id.as_str(), a).cmp(&(s.boundaries[b].id.as_str(), b))
        });
        let mut state = vec![0u8; nb];
        for &start in &order {
            let mut path = Vec::new();
            let mut cur = Some(start);
            while let Some(c) = cur {
                if state[c] != 0 {
                    break;
                }
                state[c] = 1;
                path.push(c);
                cur = parent[c];
            }
            if let Some(c) = cur
                && state[c] == 1
            {
                let at = path.iter().position(|&p| p == c).unwrap_or(0);
                if let Some(&cut) = path[at..].iter().min_by(|&&a, &&b| {
                    (s.boundaries[a].id.as_str(), a).cmp(&(s.boundaries[b].id.as_str(), b))
                }) {
                    parent[cut] = None;
                }
            }
            for p in path {
                state[p] = 2;
            }
        }
        self.conts = (0..=nb)
            .map(|i| Cont {
                boundary: (i < nb).then_some(i),
                parent: parent.get(i).copied().flatten(),
                ..Cont::default()
            })
            .collect();
        for c in 0..nb {
            self.conts[c].depth = {
                let mut d = 0;
                let mut cur = parent[c];
                while let Some(p) = cur {
                    d += 1;
                    cur = parent[p];
                }
                d
            };
            if let Some(p) = parent[c] {
                self.conts[p].subs.push(c);
            }
        }
        self.comps = s
            .components
            .iter()
            .map(|c| Comp {
                cont: c
                    .boundary
                    .as_ref()
                    .and_then(|b| first.get(b.as_str()).copied())
                    .unwrap_or(nb),
                ..Comp::default()
            })
            .collect();
        for (i, c) in self.comps.iter().enumerate() {
            self.conts[c.cont].comps.push(i);
        }
        for (i, c) in s.components.iter().enumerate() {
            self.comp_first.entry(c.id.as_str()).or_insert(i);
        }
    }

    /// Numbers flows 1, 2, 3… in id order and returns the drawable ones as (from, to, flow).
    fn number_flows(&mut self) -> Vec<(usize, usize, usize)> {
        let s = self.s;
        let mut order: Vec<usize> = (0..s.flows.len()).collect();
        order.sort_by(|&a, &b| (s.flows[a].id.as_str(), a).cmp(&(s.flows[b].id.as_str(), b)));
        self.numbers = vec![0; s.flows.len()];
        let mut edges = Vec::new();
        for (rank, &f) in order.iter().enumerate() {
            self.numbers[f] = rank + 1;
            let flow = &s.flows[f];
            if let (Some(&a), Some(&b)) = (
                self.comp_first.get(flow.from.as_str()),
                self.comp_first.get(flow.to.as_str()),
            ) {
                edges.push((a, b, f));
            }
        }
        edges
    }

    /// Step 2: a layer per component.
    fn layers(&mut self, edges: &[(usize, usize, usize)]) {
        let n = self.comps.len();
        let mut has_in = vec![false; n];
        for &(a, b, _) in edges {
            if a != b {
                has_in[b] = true;
            }
        }
        let mut roots: Vec<usize> = (0..n).collect();
        roots.sort_by_key(|&i| {
            let external = self.s.components[i].kind == ComponentKind::ExternalEntity;
            (!external, has_in[i], self.comp_id(i), i)
        });
        let pairs: Vec<(usize, usize)> = edges.iter().map(|&(a, b, _)| (a, b)).collect();
        let layer = longest_path_layers(n, &pairs, &roots).0;
        for (c, l) in self.comps.iter_mut().zip(layer) {
            c.layer = l;
        }
    }

    fn root_of(&self, mut c: usize) -> usize {
        while let Some(p) = self.conts[c].parent {
            c = p;
        }
        c
    }

    /// Step 3: which top-level containers become columns, and their order.
    fn order_columns(&mut self, edges: &[(usize, usize, usize)]) {
        let outside = self.conts.len() - 1;
        let roots: Vec<usize> = (0..self.conts.len())
            .filter(|&c| self.conts[c].parent.is_none())
            .filter(|&c| c != outside || !self.conts[c].comps.is_empty())
            .collect();
        let mut group_of_root = vec![usize::MAX; self.conts.len()];
        for (gi, &r) in roots.iter().enumerate() {
            group_of_root[r] = gi;
        }
        let group_of_comp: Vec<usize> = (0..self.comps.len())
            .map(|i| group_of_root[self.root_of(self.comps[i].cont)])
            .collect();
        let n = roots.len();
        let mut pairs: Vec<(usize, usize)> = edges
            .iter()
            .map(|&(a, b, _)| (group_of_comp[a], group_of_comp[b]))
            .filter(|(a, b)| a != b && *a < n && *b < n)
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        let mut externals = vec![0usize; n];
        for (i, c) in self.s.components.iter().enumerate() {
            if c.kind == ComponentKind::ExternalEntity && group_of_comp[i] < n {
                externals[group_of_comp[i]] += 1;
            }
        }
        let mut has_in = vec![false; n];
        for &(_, b) in &pairs {
            has_in[b] = true;
        }
        let mut priority: Vec<usize> = (0..n).collect();
        priority.sort_by_key(|&g| {
            (
                roots[g] != outside,
                std::cmp::Reverse(externals[g]),
                has_in[g],
                self.cont_id(roots[g]),
                g,
            )
        });
        let mut rank = vec![0; n];
        for (r, &g) in priority.iter().enumerate() {
            rank[g] = r;
        }
        let post = longest_path_layers(n, &pairs, &priority).1;
        let kept: Vec<(usize, usize)> = pairs
            .iter()
            .copied()
            .filter(|&(a, b)| post[a] > post[b])
            .collect();
        // Kahn's algorithm, preferring a successor of the group placed last.
        let mut indeg = vec![0usize; n];
        let mut succ: Vec<Vec<usize>> = vec![Vec::new(); n];
        for &(a, b) in &kept {
            indeg[b] += 1;
            succ[a].push(b);
        }
        let mut placed = vec![false; n];
        let mut last: Option<usize> = None;
        let mut order = Vec::with_capacity(n);
        for _ in 0..n {
            let available = (0..n).filter(|&g| !placed[g] && indeg[g] == 0);
            let pick = available
                .min_by_key(|&g| {
                    let follows = last.is_some_and(|l| succ[l].contains(&g));
                    (!follows, rank[g])
                })
                // Every group is placed once its predecessors are; with cycles already broken
                // there is always one available, but never loop forever on a logic error.
                .or_else(|| (0..n).find(|&g| !placed[g]));
            let Some(g) = pick else { break };
            placed[g] = true;
            order.push(g);
            for &b in &succ[g] {
                indeg[b] = indeg[b].saturating_sub(1);
            }
            last = Some(g);
        }
        self.columns = order.iter().map(|&g| roots[g]).collect();
        self.col_of_cont = vec![usize::MAX; self.conts.len()];
        for (col, &r) in self.columns.iter().enumerate() {
            self.col_of_cont[r] = col;
        }
        for c in 0..self.conts.len() {
            let r = self.root_of(c);
            self.col_of_cont[c] = self.col_of_cont[r];
        }
    }

    /// Step 2, applied: children of each container ordered by layer, then id.
    fn order_children(&mut self) {
        let mut by_depth: Vec<usize> = (0..self.conts.len()).collect();
        by_depth.sort_by_key(|&c| std::cmp::Reverse(self.conts[c].depth));
        for c in by_depth {
            let comp_key = self.conts[c]
                .comps
                .iter()
                .map(|&i| self.comps[i].layer)
                .min();
            let sub_key = self.conts[c].subs.iter().map(|&b| self.conts[b].key).min();
            self.conts[c].key = comp_key
                .into_iter()
                .chain(sub_key)
                .min()
                .unwrap_or(u32::MAX);
            let mut children: Vec<Child> = self.conts[c]
                .comps
                .iter()
                .map(|&i| Child::Comp(i))
                .chain(self.conts[c].subs.iter().map(|&b| Child::Cont(b)))
                .collect();
            children.sort_by(|a, b| self.child_key(*a).cmp(&self.child_key(*b)));
            self.conts[c].children = children;
        }
    }

    fn child_key(&self, child: Child) -> (u32, bool, &'s str, usize) {
        match child {
            Child::Comp(i) => (self.comps[i].layer, false, self.comp_id(i), i),
            Child::Cont(b) => (self.conts[b].key, true, self.cont_id(b), b),
        }
    }

    /// Each column's top-to-bottom sequence of components.
    fn sequences(&mut self) {
        self.seqs = vec![Vec::new(); self.columns.len()];
        for (col, &root) in self.columns.iter().enumerate() {
            let mut seq = Vec::new();
            let mut stack = vec![Child::Cont(root)];
            while let Some(child) = stack.pop() {
                match child {
                    Child::Comp(i) => {
                        self.comps[i].col = col;
                        self.comps[i].pos = seq.len();
                        seq.push(Item::Comp(i));
                    }
                    Child::Cont(c) => {
                        if self.conts[c].children.is_empty() {
                            seq.push(Item::Blocker);
                        }
                        stack.extend(self.conts[c].children.iter().rev().copied());
                    }
                }
            }
            self.seqs[col] = seq;
        }
    }

    fn lca(&self, mut a: usize, mut b: usize) -> usize {
        while self.conts[a].depth > self.conts[b].depth {
            a = self.conts[a].parent.unwrap_or(a);
        }
        while self.conts[b].depth > self.conts[a].depth {
            b = self.conts[b].parent.unwrap_or(b);
        }
        while a != b {
            match (self.conts[a].parent, self.conts[b].parent) {
                (Some(pa), Some(pb)) => {
                    a = pa;
                    b = pb;
                }
                _ => break,
            }
        }
        a
    }

    /// x of a component relative to its column: two cells (border, padding) per level.
    fn rel_x(&self, i: usize) -> u32 {
        2 * (self.conts[self.comps[i].cont].depth + 1)
    }

    /// Step 4: a route per drawable flow.
    fn classify_flows(&mut self) {
        let s = self.s;
        let mut order: Vec<usize> = (0..s.flows.len()).collect();
        order.sort_by_key(|&f| self.numbers[f]);
        // Vertical connectors fill the overlap of the two boxes from the right.
        let mut next_x: HashMap<(usize, usize), u32> = HashMap::new();
        for f in order {
            let flow = &s.flows[f];
            let (Some(&src), Some(&tgt)) = (
                self.comp_first.get(flow.from.as_str()),
                self.comp_first.get(flow.to.as_str()),
            ) else {
                continue;
            };
            let crossing = self.g.crosses_boundary(f);
            let number = self.numbers[f];
            let label = format!("{number}{}", if crossing { "!" } else { "" });
            let (sc, tc) = (self.comps[src].col, self.comps[tgt].col);
            let route = if src == tgt {
                Route::Margin {
                    cont: self.comps[src].cont,
                }
            } else if sc == tc {
                let (ps, pt) = (self.comps[src].pos, self.comps[tgt].pos);
                let (upper, lower) = if ps < pt { (src, tgt) } else { (tgt, src) };
                let lca = self.lca(self.comps[src].cont, self.comps[tgt].cont);
                let mut route = Route::Margin { cont: lca };
                if ps.abs_diff(pt) == 1 {
                    // Connectors go left to right across the overlap of the two boxes, each
                    // with its number on its right, one cell in from the corners.
                    let (xu, xl) = (self.rel_x(upper), self.rel_x(lower));
                    let first = xu.max(xl) + 2;
                    let last = xu.min(xl) + BOX_W - 2;
                    let x = *next_x.entry((upper, lower)).or_insert(first);
                    let lw = width(&label) as u32;
                    if x + 1 + lw < last {
                        next_x.insert((upper, lower), x + lw + 3);
                        route = Route::Vertical { upper, lower, x };
                        // The names of the boundaries whose top border it crosses start after it.
                        let mut c = self.comps[lower].cont;
                        while c != lca {
                            let from = (x + 2).saturating_sub(2 * self.conts[c].depth);
                            self.conts[c].name_from = self.conts[c].name_from.max(from);
                            c = self.conts[c].parent.unwrap_or(lca);
                        }
                    }
                }
                route
            } else if sc.abs_diff(tc) == 1 {
                Route::Gutter {
                    g: sc.min(tc),
                    forward: sc < tc,
                }
            } else if sc < tc {
                Route::Channel {
                    gs: sc,
                    gt: tc - 1,
                    forward: true,
                    top: true,
                }
            } else {
                Route::Channel {
                    gs: sc - 1,
                    gt: tc,
                    forward: false,
                    top: true,
                }
            };
            self.flows.push(Fl {
                index: f,
                number,
                src,
                tgt,
                crossing,
                label,
                route,
                ys: 0,
                yt: 0,
                lane_s: 0,
                lane_t: 0,
                track: 0,
                jog: false,
            });
        }
    }

    /// Step 5a: ports, box heights, container widths, lanes and zones, relative heights.
    fn ports_and_sizes(&mut self) {
        for (slot, fl) in self.flows.iter().enumerate() {
            let (src_right, tgt_right) = match fl.route {
                Route::Vertical { .. } => continue,
                Route::Margin { .. } => (true, true),
                Route::Gutter { forward, .. } | Route::Channel { forward, .. } => {
                    (forward, !forward)
                }
            };
            for (comp, right, is_src) in [(fl.src, src_right, true), (fl.tgt, tgt_right, false)] {
                let c = &mut self.comps[comp];
                if right {
                    c.right.push((slot, is_src));
                } else {
                    c.left.push((slot, is_src));
                }
            }
        }
        let name_w = (BOX_W as usize) - 2 - MARKER_W;
        for (i, c) in self.comps.iter_mut().enumerate() {
            let comp = &self.s.components[i];
            let mut name = sanitize(&comp.name);
            if name.trim().is_empty() {
                name = sanitize(comp.id.as_str());
            }
            if name.trim().is_empty() {
                name = "(unnamed)".to_string();
            }
            c.lines = wrap(&name, name_w, name_w, NAME_LINES);
            let rows = c.lines.len().max(c.left.len()).max(c.right.len()).max(1);
            c.h = 2 + rows as u32;
        }
        let columns = self.columns.len();
        self.gutters = vec![Gutter::default(); columns.saturating_sub(1)];
        for (slot, fl) in self.flows.iter().enumerate() {
            let lw = width(&fl.label) as u32 + 2;
            match fl.route {
                Route::Vertical { .. } => {}
                Route::Margin { cont } => {
                    let c = &mut self.conts[cont];
                    c.lanes.push(slot);
                    c.zone = c.zone.max(lw);
                }
                Route::Gutter { g, forward } => {
                    if let Some(gut) = self.gutters.get_mut(g) {
                        gut.lanes.push((slot, 0));
                        if forward {
                            gut.zone_r = gut.zone_r.max(lw);
                        } else {
                            gut.zone_l = gut.zone_l.max(lw);
                        }
                    }
                }
                Route::Channel {
                    gs, gt, forward, ..
                } => {
                    if let Some(gut) = self.gutters.get_mut(gs) {
                        gut.lanes.push((slot, 1));
                    }
                    if let Some(gut) = self.gutters.get_mut(gt) {
                        gut.lanes.push((slot, 2));
                        if forward {
                            gut.zone_r = gut.zone_r.max(lw);
                        } else {
                            gut.zone_l = gut.zone_l.max(lw);
                        }
                    }
                }
            }
        }
        // Widths and heights, innermost containers first.
        let mut by_depth: Vec<usize> = (0..self.conts.len()).collect();
        by_depth.sort_by_key(|&c| std::cmp::Reverse(self.conts[c].depth));
        for c in by_depth {
            let mut content_w = BOX_W;
            let mut y = 1;
            let children = self.conts[c].children.clone();
            for child in &children {
                let (w, h) = match *child {
                    Child::Comp(i) => {
                        self.comps[i].rel_y = y;
                        (BOX_W, self.comps[i].h)
                    }
                    Child::Cont(b) => {
                        self.conts[b].rel_y = y;
                        (self.conts[b].w, self.conts[b].h)
                    }
                };
                content_w = content_w.max(w);
                y += h + 1;
            }
            let name = self.conts[c]
                .boundary
                .and_then(|b| self.s.boundaries.get(b))
                .map(|b| {
                    let name = sanitize(&b.name);
                    let name = if name.trim().is_empty() {
                        sanitize(b.id.as_str())
                    } else {
                        name
                    };
                    fit(&name, BOUNDARY_NAME_W)
                })
                .unwrap_or_default();
            let cont = &mut self.conts[c];
            cont.name_from = cont.name_from.max(2);
            let margin = if cont.lanes.is_empty() {
                1
            } else {
                cont.zone + cont.lanes.len() as u32 + 1
            };
            // Wide enough for `╔═ name ═╗`: a trust boundary is only useful if its name is read.
            if cont.boundary.is_some() {
                let needed = cont.name_from + width(&name) as u32 + 4;
                content_w = content_w.max(needed.saturating_sub(3 + margin));
            }
            cont.name = name;
            cont.content_w = content_w;
            cont.w = 2 + content_w + margin + 1;
            // With children, `y` is one past the blank row after the last: that row is the
            // bottom border. An empty box keeps one blank row inside.
            cont.h = if children.is_empty() { 3 } else { y };
        }
    }

    /// Step 5b: absolute positions, ports, tracks and lanes.
    fn place(&mut self) {
        let col_h: Vec<u32> = self.columns.iter().map(|&r| self.conts[r].h).collect();
        let max_h = col_h.iter().copied().max().unwrap_or(0);
        // Relative centre of a component within its column.
        let centre = |b: &Self, i: usize| -> u32 {
            let mut y = b.comps[i].rel_y + b.comps[i].h / 2;
            let mut c = Some(b.comps[i].cont);
            while let Some(k) = c {
                y += b.conts[k].rel_y;
                c = b.conts[k].parent;
            }
            y
        };
        let mut tops = 0;
        for i in 0..self.flows.len() {
            let sum = centre(self, self.flows[i].src) + centre(self, self.flows[i].tgt);
            if let Route::Channel { top, .. } = &mut self.flows[i].route {
                // Above the columns when the two ends are nearer the top than the bottom.
                *top = sum <= max_h;
                if *top {
                    tops += 1;
                }
            }
        }
        let y0 = if tops > 0 { tops + 1 } else { 0 };
        // Rows first (columns at x = 0): port rows depend only on them, and a flow whose two
        // ports share a row is a straight line that needs no lane, which narrows its gutter.
        for root in self.columns.clone() {
            self.set_cont_pos(root, 0, y0);
        }
        // Tracks: shorter spans nearer the columns so nested spans do not cross.
        let mut top_tracks: Vec<usize> = Vec::new();
        let mut bottom_tracks: Vec<usize> = Vec::new();
        for (slot, fl) in self.flows.iter().enumerate() {
            if let Route::Channel { top, .. } = fl.route {
                if top {
                    top_tracks.push(slot);
                } else {
                    bottom_tracks.push(slot);
                }
            }
        }
        let span = |fl: &Fl| match fl.route {
            Route::Channel { gs, gt, .. } => gs.abs_diff(gt),
            _ => 0,
        };
        top_tracks.sort_by_key(|&f| (span(&self.flows[f]), self.flows[f].number));
        bottom_tracks.sort_by_key(|&f| (span(&self.flows[f]), self.flows[f].number));
        for (k, &f) in top_tracks.iter().enumerate() {
            self.flows[f].track = tops - 1 - k as u32;
        }
        for (k, &f) in bottom_tracks.iter().enumerate() {
            self.flows[f].track = y0 + max_h + 1 + k as u32;
        }
        self.rows = y0..y0 + max_h;
        self.assign_ports();
        for gut in &mut self.gutters {
            let flows = &self.flows;
            gut.lanes
                .retain(|&(slot, part)| part != 0 || flows[slot].ys != flows[slot].yt);
        }
        for g in 0..self.gutters.len() {
            self.split_cycles(g);
        }
        // Columns and gutters left to right.
        let mut x = 1;
        for (col, &root) in self.columns.clone().iter().enumerate() {
            self.shift_x(root, x);
            x += self.conts[root].w;
            if let Some(gut) = self.gutters.get_mut(col) {
                // A blank cell on each side, unless a label zone is there: a label already has
                // a line cell on each side of it.
                gut.x = x;
                let pads = u32::from(gut.zone_l == 0) + u32::from(gut.zone_r == 0);
                gut.w = (pads + gut.zone_l + gut.lanes.len() as u32 + gut.zone_r).max(3);
                x += gut.w;
            }
        }
        self.assign_lanes();
    }

    /// Moves a column, placed at x = 0, to `dx`.
    fn shift_x(&mut self, root: usize, dx: u32) {
        let mut stack = vec![root];
        while let Some(c) = stack.pop() {
            self.conts[c].x += dx;
            for child in self.conts[c].children.clone() {
                match child {
                    Child::Comp(i) => self.comps[i].x += dx,
                    Child::Cont(b) => stack.push(b),
                }
            }
        }
    }

    fn set_cont_pos(&mut self, c: usize, x: u32, y: u32) {
        let mut stack = vec![(c, x, y)];
        while let Some((c, x, y)) = stack.pop() {
            self.conts[c].x = x;
            self.conts[c].y = y;
            for child in self.conts[c].children.clone() {
                match child {
                    Child::Comp(i) => {
                        self.comps[i].x = x + 2;
                        self.comps[i].y = y + self.comps[i].rel_y;
                    }
                    Child::Cont(b) => stack.push((b, x + 2, y + self.conts[b].rel_y)),
                }
            }
        }
    }

    /// A port row for every flow end on a box side, ordered by where the flow goes next so that
    /// flows leaving one box do not cross each other.
    fn assign_ports(&mut self) {
        for i in 0..self.comps.len() {
            for right in [false, true] {
                let mut ports = if right {
                    self.comps[i].right.clone()
                } else {
                    self.comps[i].left.clone()
                };
                ports.sort_by_key(|&(slot, is_src)| {
                    let fl = &self.flows[slot];
                    let other = if is_src { fl.tgt } else { fl.src };
                    let y = match fl.route {
                        Route::Channel { top: true, .. } => -1,
                        Route::Channel { top: false, .. } => i64::MAX,
                        _ => i64::from(self.comps[other].y + self.comps[other].h / 2),
                    };
                    (y, fl.number, !is_src)
                });
                let c = &self.comps[i];
                let start = c.y + 1 + (c.h - 2 - ports.len() as u32) / 2;
                for (k, &(slot, is_src)) in ports.iter().enumerate() {
                    let row = start + k as u32;
                    if is_src {
                        self.flows[slot].ys = row;
                    } else {
                        self.flows[slot].yt = row;
                    }
                }
            }
        }
    }

    fn assign_lanes(&mut self) {
        for c in 0..self.conts.len() {
            if self.conts[c].lanes.is_empty() {
                continue;
            }
            let uses: Vec<LaneUse> = self.conts[c]
                .lanes
                .iter()
                .map(|&slot| {
                    let fl = &self.flows[slot];
                    lane_use(slot, (fl.ys, Side::Left), (fl.yt, Side::Left))
                })
                .collect();
            let order = order_lanes(&uses, &self.flows);
            let base = self.conts[c].x + 2 + self.conts[c].content_w + self.conts[c].zone;
            for (k, u) in order.iter().enumerate() {
                let fl = &mut self.flows[u.slot];
                fl.lane_s = base + k as u32;
                fl.lane_t = fl.lane_s;
            }
        }
        for g in 0..self.gutters.len() {
            let uses = self.gutter_uses(g);
            let order = order_lanes(&uses, &self.flows);
            let base = self.gutters[g].lanes_x();
            for (k, u) in order.iter().enumerate() {
                let x = base + k as u32;
                let fl = &mut self.flows[u.slot];
                match u.part {
                    0 => {
                        fl.lane_s = x;
                        fl.lane_t = x;
                    }
                    1 => fl.lane_s = x,
                    _ => fl.lane_t = x,
                }
            }
        }
    }

    /// How each lane of gutter `g` is used.
    fn gutter_uses(&self, g: usize) -> Vec<LaneUse> {
        self.gutters[g]
            .lanes
            .iter()
            .map(|&(slot, part)| {
                let fl = &self.flows[slot];
                let fwd = matches!(
                    fl.route,
                    Route::Gutter { forward: true, .. } | Route::Channel { forward: true, .. }
                );
                // The side of the gutter a stub leaves toward.
                let (toward_src, toward_tgt) = if fwd {
                    (Side::Left, Side::Right)
                } else {
                    (Side::Right, Side::Left)
                };
                let mut u = match part {
                    0 => lane_use(slot, (fl.ys, toward_src), (fl.yt, toward_tgt)),
                    // A jog leaves each half toward the other half, away from its outer stub.
                    1 if fl.jog => {
                        lane_use(slot, (fl.ys, toward_src), (fl.track, toward_src.flip()))
                    }
                    _ if fl.jog => {
                        lane_use(slot, (fl.track, toward_tgt.flip()), (fl.yt, toward_tgt))
                    }
                    1 => lane_use(slot, (fl.ys, toward_src), (fl.track, toward_tgt)),
                    _ => lane_use(slot, (fl.track, toward_src), (fl.yt, toward_tgt)),
                };
                if fl.jog {
                    u.jog = Some(fl.track);
                }
                u.part = part;
                u
            })
            .collect()
    }

    /// Two flows that cross between the same two columns with their ports on the same rows
    /// (one leaves the left column at row a and enters the right one at row b, the other the
    /// opposite) cannot both run in one lane each without one horizontal run lying on the other.
    /// Such cycles of ordering rules are broken by splitting one of their flows into two lanes
    /// joined by a short jog on a free row; the cycle then becomes a chain that starts with one
    /// half and ends with the other.
    fn split_cycles(&mut self, g: usize) {
        let uses = self.gutter_uses(g);
        let (next, _) = lane_links(&uses);
        let mut occupied: std::collections::HashSet<u32> = uses
            .iter()
            .flat_map(|u| u.stubs.iter().map(|&(y, _)| y))
            .collect();
        // Straight flows have no lane but run across the gutter.
        for fl in &self.flows {
            if matches!(fl.route, Route::Gutter { g: fg, .. } if fg == g) && fl.ys == fl.yt {
                occupied.insert(fl.ys);
            }
        }
        let mut seen = vec![false; uses.len()];
        let mut splits = Vec::new();
        for start in 0..uses.len() {
            let mut cycle = Vec::new();
            let mut cur = Some(start);
            while let Some(c) = cur {
                if seen[c] {
                    break;
                }
                seen[c] = true;
                cycle.push(c);
                cur = next[c];
            }
            if cur != Some(start) {
                continue;
            }
            let pick = cycle
                .iter()
                .copied()
                .filter(|&i| matches!(self.flows[uses[i].slot].route, Route::Gutter { .. }))
                .filter(|&i| !self.flows[uses[i].slot].jog)
                .min_by_key(|&i| self.flows[uses[i].slot].number);
            let Some(i) = pick else { continue };
            let u = uses[i];
            let mid = (u.lo + u.hi) / 2;
            let free = (0..self.rows.len() as u32)
                .flat_map(|d| [mid.checked_sub(d), mid.checked_add(d)])
                .flatten()
                .find(|y| self.rows.contains(y) && !occupied.contains(y));
            if let Some(row) = free {
                occupied.insert(row);
                splits.push((u.slot, row));
            }
        }
        for (slot, row) in splits {
            self.flows[slot].jog = true;
            self.flows[slot].track = row;
            let lanes = &mut self.gutters[g].lanes;
            if let Some(k) = lanes.iter().position(|&l| l == (slot, 0)) {
                lanes.splice(k..=k, [(slot, 1), (slot, 2)]);
            }
        }
    }

    /// Step 6: polylines, texts and the row/column index.
    fn emit(self) -> DiagramLayout {
        let s = self.s;
        let mut out = Emitter::default();
        let outside = self.conts.len() - 1;
        let mut placed_flows = Vec::with_capacity(self.flows.len());
        for fl in &self.flows {
            let src = &self.comps[fl.src];
            let src_box = self.comp_box(fl.src);
            let tgt_box = self.comp_box(fl.tgt);
            let (points, label_at) = match fl.route {
                Route::Vertical { upper, lower, x } => {
                    let col_x = self.conts[self.columns[src.col]].x;
                    let x = col_x + x;
                    let (u, l) = (self.comp_box(upper), self.comp_box(lower));
                    // The blank row between the two: after the bottom borders of the boundaries
                    // the upper box is in and the lower is not.
                    let lca = self.lca(self.comps[upper].cont, self.comps[lower].cont);
                    let closing = self.conts[self.comps[upper].cont].depth - self.conts[lca].depth;
                    let gap = u.bottom() + 1 + closing;
                    let points = if fl.src == upper {
                        vec![(x, u.bottom()), (x, l.y)]
                    } else {
                        vec![(x, l.y), (x, u.bottom())]
                    };
                    (points, (x + 2, gap))
                }
                Route::Margin { cont } => {
                    // Next to the arrowhead when nothing is between the box and the lane,
                    // otherwise in the margin's label zone, past the nested boundaries' borders.
                    let zone_x = if self.comps[fl.tgt].cont == cont {
                        tgt_box.right() + 1
                    } else {
                        self.conts[cont].x + 2 + self.conts[cont].content_w
                    };
                    (
                        vec![
                            (src_box.right(), fl.ys),
                            (fl.lane_s, fl.ys),
                            (fl.lane_s, fl.yt),
                            (tgt_box.right(), fl.yt),
                        ],
                        (zone_x + 1, fl.yt),
                    )
                }
                Route::Gutter { g, forward } => {
                    let gut = &self.gutters[g];
                    let (sx, tx, label_x) = if forward {
                        (src_box.right(), tgt_box.x, gut.zone_r_x() + 1)
                    } else {
                        (src_box.x, tgt_box.right(), gut.zone_l_x() + 1)
                    };
                    // Without a jog the track is unused: lane_s == lane_t and the points fold.
                    let jog = if fl.jog { fl.track } else { fl.yt };
                    (
                        vec![
                            (sx, fl.ys),
                            (fl.lane_s, fl.ys),
                            (fl.lane_s, jog),
                            (fl.lane_t, jog),
                            (fl.lane_t, fl.yt),
                            (tx, fl.yt),
                        ],
                        (label_x, fl.yt),
                    )
                }
                Route::Channel { gt, forward, .. } => {
                    let gut = &self.gutters[gt];
                    let (sx, tx, label_x) = if forward {
                        (src_box.right(), tgt_box.x, gut.zone_r_x() + 1)
                    } else {
                        (src_box.x, tgt_box.right(), gut.zone_l_x() + 1)
                    };
                    (
                        vec![
                            (sx, fl.ys),
                            (fl.lane_s, fl.ys),
                            (fl.lane_s, fl.track),
                            (fl.lane_t, fl.track),
                            (fl.lane_t, fl.yt),
                            (tx, fl.yt),
                        ],
                        (label_x, fl.yt),
                    )
                }
            };
            placed_flows.push(PlacedFlow {
                index: fl.index,
                number: fl.number,
                from: fl.src,
                to: fl.tgt,
                crossing: fl.crossing,
                points: simplify(points),
                label: fl.label.clone(),
                label_at,
            });
        }

        // Boundaries (and the outside area), outermost first.
        let mut boundaries = Vec::with_capacity(s.boundaries.len());
        let mut outside_box = None;
        for (c, cont) in self.conts.iter().enumerate() {
            let placed = Placed {
                x: cont.x,
                y: cont.y,
                w: cont.w,
                h: cont.h,
            };
            let in_a_column = self
                .col_of_cont
                .get(c)
                .is_some_and(|&col| col != usize::MAX);
            if c == outside {
                if in_a_column {
                    outside_box = Some(placed);
                    let text = fit("outside any boundary", (cont.w - 2) as usize);
                    out.text(cont.x + 1, cont.y, text, Class::Outside, NO_OWNER);
                }
                continue;
            }
            boundaries.push(placed);
            let stroke = Stroke {
                weight: Weight::Double,
                class: Class::Boundary,
                owner: NO_OWNER,
                rounded: false,
            };
            out.rect(placed, stroke);
            let start = cont.x + cont.name_from;
            let room = (cont.x + cont.w).saturating_sub(start + 2) as usize;
            if room >= 3 {
                let text = format!(" {} ", fit(&cont.name, room - 2));
                out.text(start, cont.y, text, Class::BoundaryName, NO_OWNER);
            }
        }

        // Component boxes.
        let mut components = Vec::with_capacity(self.comps.len());
        for (i, c) in self.comps.iter().enumerate() {
            let placed = self.comp_box(i);
            components.push(placed);
            let kind = s.components[i].kind;
            out.rect(
                placed,
                Stroke {
                    weight: Weight::Light,
                    class: Class::Component,
                    owner: i as u32,
                    rounded: kind == ComponentKind::Process,
                },
            );
            let marker = match kind {
                ComponentKind::Process => "[P]",
                ComponentKind::DataStore => "[D]",
                ComponentKind::ExternalEntity => "[E]",
            };
            for (k, line) in c.lines.iter().enumerate() {
                let text = if k == 0 {
                    format!("{marker} {line}")
                } else {
                    format!("{}{line}", " ".repeat(MARKER_W))
                };
                out.text(
                    placed.x + 1,
                    placed.y + 1 + k as u32,
                    text,
                    Class::Name,
                    i as u32,
                );
            }
        }

        // Flows over boxes and borders: lines, then arrowheads and numbers.
        for pf in &placed_flows {
            let stroke = Stroke {
                weight: if pf.crossing {
                    Weight::Heavy
                } else {
                    Weight::Light
                },
                class: if pf.crossing {
                    Class::Crossing
                } else {
                    Class::Flow
                },
                owner: NO_OWNER,
                rounded: false,
            };
            for pair in pf.points.windows(2) {
                out.line(pair[0], pair[1], stroke);
            }
            if let [.., before, (x, y)] = pf.points[..] {
                let arrow = if before.0 < x {
                    "▶"
                } else if before.0 > x {
                    "◀"
                } else if before.1 < y {
                    "▼"
                } else {
                    "▲"
                };
                out.text(x, y, arrow.to_string(), stroke.class, NO_OWNER);
            }
            let class = if pf.crossing {
                Class::CrossingLabel
            } else {
                Class::Label
            };
            out.text(
                pf.label_at.0,
                pf.label_at.1,
                pf.label.clone(),
                class,
                NO_OWNER,
            );
        }

        // Legend below everything: the key, then every flow by number.
        let diagram_w = out.width.max(1);
        let diagram_h = out.height;
        let legend_w = diagram_w.max(LEGEND_MIN_W) as usize - 1;
        let mut y = if diagram_h == 0 { 0 } else { diagram_h + 1 };
        if s.components.is_empty() && s.boundaries.is_empty() {
            let hint = "Nothing to draw yet: add components, flows and trust boundaries.";
            out.text(1, y, fit(hint, legend_w), Class::Hint, NO_OWNER);
            y += 2;
        }
        let key = [
            "Key: [P] process  [D] data store  [E] external entity  ╔═╗ trust boundary",
            "     ━━▶ 7! flow 7 crosses a trust boundary   ──▶ 7 flow 7 stays inside",
        ];
        for line in key {
            out.text(1, y, fit(line, legend_w), Class::Legend, NO_OWNER);
            y += 1;
        }
        if !s.flows.is_empty() {
            out.text(1, y, "Flows:".to_string(), Class::Heading, NO_OWNER);
            y += 1;
        }
        let mut crossing = Vec::new();
        let mut by_number: Vec<usize> = (0..s.flows.len()).collect();
        by_number.sort_by_key(|&f| self.numbers[f]);
        let digits = s.flows.len().to_string().len();
        let name_of = |id: &str| -> String {
            match self.comp_first.get(id) {
                Some(&i) => {
                    let name = sanitize(&s.components[i].name);
                    if name.trim().is_empty() {
                        sanitize(id)
                    } else {
                        name
                    }
                }
                None => format!("{} (unknown)", sanitize(id)),
            }
        };
        let boundary_name = |id: &str| -> String {
            s.boundaries
                .iter()
                .find(|b| b.id.as_str() == id)
                .map(|b| sanitize(&b.name))
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| sanitize(id))
        };
        for f in by_number {
            let flow = &s.flows[f];
            let number = self.numbers[f];
            let crosses = self.g.crosses_boundary(f);
            let drawn = self.comp_first.contains_key(flow.from.as_str())
                && self.comp_first.contains_key(flow.to.as_str());
            let (from, to, label) = (
                name_of(flow.from.as_str()),
                name_of(flow.to.as_str()),
                sanitize(&flow.label),
            );
            let line = format!(
                "{:>digits$}{} {from} → {to}: {label}{}",
                number,
                if crosses { "!" } else { " " },
                if drawn { "" } else { " (not drawn)" },
            );
            let class = if crosses {
                Class::CrossingLabel
            } else {
                Class::Legend
            };
            out.text(2, y, fit(&line, legend_w - 1), class, NO_OWNER);
            y += 1;
            if crosses {
                crossing.push(CrossingFlow {
                    flow_id: flow.id.to_string(),
                    number,
                    from,
                    to,
                    label,
                    boundaries: self
                        .g
                        .crossings(f)
                        .iter()
                        .map(|b| boundary_name(b.as_str()))
                        .collect(),
                    authenticated: flow.is_authenticated(),
                    encrypted: flow.is_encrypted(),
                });
            }
        }

        let reading_order = self
            .seqs
            .iter()
            .flatten()
            .filter_map(|item| match item {
                Item::Comp(i) => Some(*i),
                Item::Blocker => None,
            })
            .collect();
        let mut component_of = HashMap::new();
        for (i, c) in s.components.iter().enumerate() {
            component_of.entry(c.id.to_string()).or_insert(i);
        }
        out.finish(DiagramLayout {
            width: 0,
            height: 0,
            components,
            component_of,
            boundaries,
            outside: outside_box,
            flows: placed_flows,
            crossing,
            reading_order,
            component_ids: s.components.iter().map(|c| c.id.to_string()).collect(),
            prims: Vec::new(),
            texts: Vec::new(),
            rows: Vec::new(),
            cols: Vec::new(),
            col_reach: Vec::new(),
        })
    }

    fn comp_box(&self, i: usize) -> Placed {
        let c = &self.comps[i];
        Placed {
            x: c.x,
            y: c.y,
            w: BOX_W,
            h: c.h,
        }
    }
}

impl Side {
    fn flip(self) -> Side {
        match self {
            Side::Left => Side::Right,
            Side::Right => Side::Left,
        }
    }
}

fn lane_use(slot: usize, a: (u32, Side), b: (u32, Side)) -> LaneUse {
    LaneUse {
        slot,
        lo: a.0.min(b.0),
        hi: a.0.max(b.0),
        stubs: [a, b],
        jog: None,
        part: 0,
    }
}

/// What it costs to put lane `a` left of lane `b`: crossings, and a large penalty when a stub
/// of `a` leaving right and a stub of `b` leaving left share a row, which would draw two flows
/// on top of each other.
fn pair_cost(a: &LaneUse, b: &LaneUse) -> u64 {
    let mut cost = 0;
    for &(y, side) in &a.stubs {
        if side == Side::Right {
            if b.lo < y && y < b.hi {
                cost += 1;
            }
            // The two halves of a split flow meet on their jog row on purpose.
            if a.slot != b.slot && b.stubs.iter().any(|&(by, bs)| by == y && bs == Side::Left) {
                cost += 1000;
            }
        }
    }
    for &(y, side) in &b.stubs {
        if side == Side::Left && a.lo < y && y < a.hi {
            cost += 1;
        }
    }
    cost
}

/// The ordering rules between lanes: `next[i] = Some(j)` when lane `i` must be left of lane `j`
/// because `i` leaves toward the left on a row where `j` leaves toward the right. Jog rows do not
/// count: the two halves of a split flow are joined there.
fn lane_links(uses: &[LaneUse]) -> (Vec<Option<usize>>, Vec<Option<usize>>) {
    let n = uses.len();
    let mut left_at: HashMap<u32, usize> = HashMap::new();
    let mut right_at: HashMap<u32, usize> = HashMap::new();
    for (i, u) in uses.iter().enumerate() {
        for &(y, side) in &u.stubs {
            if u.jog == Some(y) {
                continue;
            }
            match side {
                Side::Left => left_at.entry(y).or_insert(i),
                Side::Right => right_at.entry(y).or_insert(i),
            };
        }
    }
    let mut next: Vec<Option<usize>> = vec![None; n];
    let mut prev: Vec<Option<usize>> = vec![None; n];
    let mut rows: Vec<(&u32, &usize)> = left_at.iter().collect();
    rows.sort_unstable();
    for (y, &l) in rows {
        if let Some(&r) = right_at.get(y)
            && r != l
            && next[l].is_none()
            && prev[r].is_none()
        {
            next[l] = Some(r);
            prev[r] = Some(l);
        }
    }
    (next, prev)
}

/// Orders the lanes of one gutter or margin, left to right.
///
/// A hard rule first: when one flow leaves a lane toward the left at some row and another leaves
/// toward the right at the same row, the first lane must be left of the second, or the two
/// horizontal runs would lie on top of each other. In a gutter every lane has one stub on each
/// side, so these rules form chains (and rarely cycles, broken at one link, where an overlap
/// cannot be avoided). Chains are then inserted whole, longest runs first, each where it adds
/// the fewest crossings. Quadratic, so very crowded regions just concatenate the chains.
fn order_lanes(uses: &[LaneUse], flows: &[Fl]) -> Vec<LaneUse> {
    let number = |u: &LaneUse| flows.get(u.slot).map_or(0, |f| f.number);
    let n = uses.len();
    let (mut next, mut prev) = lane_links(uses);
    // Break cycles: walk each one and cut the link into its smallest member.
    let mut seen = vec![false; n];
    for start in 0..n {
        if seen[start] || prev[start].is_none() {
            continue;
        }
        let mut path = Vec::new();
        let mut cur = Some(start);
        while let Some(c) = cur {
            if seen[c] {
                break;
            }
            seen[c] = true;
            path.push(c);
            cur = next[c];
        }
        if cur == Some(start) {
            let head = path
                .iter()
                .copied()
                .min_by_key(|&i| number(&uses[i]))
                .unwrap_or(start);
            if let Some(p) = prev[head] {
                next[p] = None;
            }
            prev[head] = None;
        }
    }
    let mut chains: Vec<Vec<LaneUse>> = (0..n)
        .filter(|&i| prev[i].is_none())
        .map(|head| {
            let mut chain = Vec::new();
            let mut cur = Some(head);
            while let Some(c) = cur {
                chain.push(uses[c]);
                cur = next[c];
                if chain.len() > n {
                    break;
                }
            }
            chain
        })
        .collect();
    if n > GREEDY_LANES {
        chains.sort_by_key(|c| c.first().map(|u| (u.lo, u.hi, number(u))));
        return chains.into_iter().flatten().collect();
    }
    chains.sort_by_key(|c| {
        let span = c.iter().map(|u| u.hi - u.lo).max().unwrap_or(0);
        let first = c.iter().map(number).min().unwrap_or(0);
        (std::cmp::Reverse(span), first)
    });
    let mut order: Vec<LaneUse> = Vec::with_capacity(n);
    for chain in chains {
        // cost(p) = sum over j < p of cost(order[j], chain) + sum over j >= p of cost(chain, order[j])
        let before: Vec<u64> = order
            .iter()
            .map(|o| chain.iter().map(|m| pair_cost(o, m)).sum())
            .collect();
        let after: Vec<u64> = order
            .iter()
            .map(|o| chain.iter().map(|m| pair_cost(m, o)).sum())
            .collect();
        let mut cost: u64 = after.iter().sum();
        let mut best = (cost, 0);
        for p in 0..order.len() {
            cost = cost - after[p] + before[p];
            if cost < best.0 {
                best = (cost, p + 1);
            }
        }
        let at = best.1;
        order.splice(at..at, chain);
    }
    order
}

/// Drops repeated points and points in the middle of a straight run.
fn simplify(points: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::with_capacity(points.len());
    for p in points {
        if out.last() == Some(&p) {
            continue;
        }
        if let [.., a, b] = out[..]
            && ((a.0 == b.0 && b.0 == p.0) || (a.1 == b.1 && b.1 == p.1))
        {
            out.pop();
        }
        out.push(p);
    }
    out
}

/// Longest-path layers of a graph with `n` nodes, cycles broken by a depth-first search from
/// `roots` in the given order (every node should be listed). Returns the layer and the DFS
/// finishing number of each node; an edge `a -> b` is kept (not a back edge) when
/// `post[a] > post[b]`.
fn longest_path_layers(
    n: usize,
    edges: &[(usize, usize)],
    roots: &[usize],
) -> (Vec<u32>, Vec<usize>) {
    let mut graph: DiGraph<(), ()> = DiGraph::with_capacity(n, edges.len());
    for _ in 0..n {
        graph.add_node(());
    }
    // petgraph lists neighbours most recent first and the search pushes them in that order, so
    // adding the edges in reverse makes it visit them in the order given.
    for &(a, b) in edges.iter().rev() {
        if a < n && b < n {
            graph.add_edge(node(a), node(b), ());
        }
    }
    let mut post = vec![0usize; n];
    let mut counter = 0;
    let mut dfs = DfsPostOrder::empty(&graph);
    for r in roots.iter().copied().chain(0..n) {
        if r >= n || dfs.discovered.is_visited(&node(r)) {
            continue;
        }
        dfs.move_to(node(r));
        while let Some(node) = dfs.next(&graph) {
            post[node.index()] = counter;
            counter += 1;
        }
    }
    let mut by_post: Vec<usize> = (0..n).collect();
    by_post.sort_by_key(|&v| std::cmp::Reverse(post[v]));
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b) in edges {
        if a < n && b < n && post[a] > post[b] {
            out[a].push(b);
        }
    }
    let mut layer = vec![0u32; n];
    for v in by_post {
        for &w in &out[v] {
            layer[w] = layer[w].max(layer[v] + 1);
        }
    }
    (layer, post)
}

fn node(i: usize) -> NodeIndex {
    NodeIndex::new(i)
}

/// Collects primitives and builds the index the renderer uses.
#[derive(Default)]
struct Emitter {
    prims: Vec<Prim>,
    texts: Vec<String>,
    width: u32,
    height: u32,
}

impl Emitter {
    fn grow(&mut self, x: u32, y: u32) {
        self.width = self.width.max(x.saturating_add(1));
        self.height = self.height.max(y.saturating_add(1));
    }

    fn line(&mut self, a: (u32, u32), b: (u32, u32), stroke: Stroke) {
        if a.1 == b.1 {
            let (x0, x1) = (a.0.min(b.0), a.0.max(b.0));
            self.grow(x1, a.1);
            self.prims.push(Prim::H {
                y: a.1,
                x0,
                x1,
                stroke,
            });
        } else if a.0 == b.0 {
            let (y0, y1) = (a.1.min(b.1), a.1.max(b.1));
            self.grow(a.0, y1);
            self.prims.push(Prim::V {
                x: a.0,
                y0,
                y1,
                stroke,
            });
        }
    }

    fn rect(&mut self, r: Placed, stroke: Stroke) {
        let (right, bottom) = (r.right(), r.bottom());
        self.line((r.x, r.y), (right, r.y), stroke);
        self.line((r.x, bottom), (right, bottom), stroke);
        self.line((r.x, r.y), (r.x, bottom), stroke);
        self.line((right, r.y), (right, bottom), stroke);
    }

    fn text(&mut self, x: u32, y: u32, text: String, class: Class, owner: u32) {
        let w = width(&text) as u32;
        if w == 0 {
            return;
        }
        self.grow(x + w - 1, y);
        self.prims.push(Prim::Text {
            x,
            y,
            text: self.texts.len() as u32,
            class,
            owner,
        });
        self.texts.push(text);
    }

    fn finish(self, mut layout: DiagramLayout) -> DiagramLayout {
        let (w, h) = (self.width as usize, self.height as usize);
        let mut rows: Vec<Vec<u32>> = vec![Vec::new(); h];
        let mut cols: Vec<Vec<u32>> = vec![Vec::new(); w];
        let mut reach = vec![0u32; w];
        for (id, prim) in self.prims.iter().enumerate() {
            match *prim {
                Prim::H { y, .. } | Prim::Text { y, .. } => {
                    if let Some(row) = rows.get_mut(y as usize) {
                        row.push(id as u32);
                    }
                }
                Prim::V { x, y0, y1, .. } => {
                    if let Some(col) = cols.get_mut(x as usize) {
                        col.push(id as u32);
                        reach[x as usize] = reach[x as usize].max(y1 - y0);
                    }
                }
            }
        }
        let top = |id: &u32| match self.prims.get(*id as usize) {
            Some(Prim::V { y0, .. }) => *y0,
            _ => 0,
        };
        for col in &mut cols {
            col.sort_by_key(top);
        }
        layout.width = self.width;
        layout.height = self.height;
        layout.prims = self.prims;
        layout.texts = self.texts;
        layout.rows = rows;
        layout.cols = cols;
        layout.col_reach = reach;
        layout
    }
}
