//! The data-flow diagram as inline SVG for the HTML report: no script, no external reference,
//! the same picture for the same session.
//!
//! Layout, deliberately simple and deterministic:
//!
//! 1. Columns: every top-level trust boundary is a column; components outside every boundary
//!    form columns of their own, one per layer. Columns are ordered by layer: the distance in
//!    flows from where data enters (components nothing flows into), so most flows run left to
//!    right. Inside a column, components and nested boundaries stack top to bottom by id.
//! 2. Routes: every flow is drawn with orthogonal lines in its own vertical lane, so no line
//!    runs through a component box and each line crosses exactly the boundary borders that the
//!    flow crosses. Between neighbouring columns the lane is in the gutter between them; within
//!    a column it is in the right margin of the innermost boundary holding both ends; between
//!    distant columns the line climbs to its own track above all columns.
//! 3. Each flow carries a numbered badge (the `#` of the report's flow table); a flow that
//!    crosses a trust boundary is red, thicker, and has a square badge instead of a round one.

use super::context::{Diagram, Item};
use super::html::escape;
use super::mermaid::display_name;
use crate::model::ComponentKind;
use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;

const BOX_W: i32 = 168;
const BOX_H: i32 = 58;
/// Inside a boundary, around its content.
const PAD: i32 = 14;
/// The band at the top of a boundary that holds its name.
const TITLE_H: i32 = 26;
/// Between items stacked in a column.
const GAP: i32 = 18;
const LANE_W: i32 = 20;
const GUTTER_PAD: i32 = 14;
const MIN_GUTTER: i32 = 56;
const TRACK_GAP: i32 = 20;
const MARGIN: i32 = 16;
/// Approximate width of one character of 12px text, for fitting names.
const CHAR_W: i32 = 7;
const NAME_CHARS: usize = 22;
const CROSSING: &str = "#c62828";
const INTERNAL: &str = "#37474f";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Left,
    Right,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Host {
    Boundary(usize),
    Gutter(usize),
}

struct Route {
    from_side: Side,
    to_side: Side,
    /// One lane for a route within a column or between neighbours, two with a track.
    lanes: Vec<(Host, i32)>,
    track: Option<i32>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Rect {
    x: i32,
    y: i32,
    w: i32,
    h: i32,
}

struct Layout<'d, 'a> {
    diagram: &'d Diagram<'a>,
    /// The column of each drawn component.
    unit_of: HashMap<usize, usize>,
    /// Boundary lanes per boundary index.
    boundary_lanes: HashMap<usize, i32>,
    boxes: HashMap<usize, Rect>,
    boundaries: Vec<(usize, Rect, usize)>,
    boundary_rects: HashMap<usize, Rect>,
}

/// The `<svg>` element; `title` is its accessible name.
pub fn render(diagram: &Diagram<'_>, title: &str) -> String {
    // 1. Columns.
    let layer = layers(diagram);
    let mut units: Vec<(u32, u8, String, Vec<&Item>)> = Vec::new();
    let mut outside: Vec<(u32, Vec<&Item>)> = Vec::new();
    for item in &diagram.roots {
        match item {
            Item::Boundary(b, _) => {
                let key = min_layer(item, &layer).unwrap_or(u32::MAX);
                let id = diagram.session.boundaries[*b].id.to_string();
                units.push((key, 0, id, vec![item]));
            }
            Item::Component(c) => {
                let key = layer.get(c).copied().unwrap_or(0);
                match outside.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, list)) => list.push(item),
                    None => outside.push((key, vec![item])),
                }
            }
        }
    }
    for (key, items) in outside {
        units.push((key, 1, String::new(), items));
    }
    units.sort_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));
    let units: Vec<Vec<&Item>> = units.into_iter().map(|u| u.3).collect();

    let mut layout = Layout {
        diagram,
        unit_of: HashMap::new(),
        boundary_lanes: HashMap::new(),
        boxes: HashMap::new(),
        boundaries: Vec::new(),
        boundary_rects: HashMap::new(),
    };
    // Boundary chain (outermost first) of every component.
    let mut chain: HashMap<usize, Vec<usize>> = HashMap::new();
    for (u, items) in units.iter().enumerate() {
        for item in items {
            collect(item, u, &mut Vec::new(), &mut layout.unit_of, &mut chain);
        }
    }

    // 2. Routes and lanes.
    let gutters = units.len() + 1;
    let mut gutter_lanes = vec![0i32; gutters];
    let mut tracks = 0;
    let mut routes = Vec::with_capacity(diagram.edges.len());
    for e in &diagram.edges {
        let (ua, ub) = (layout.unit_of[&e.from], layout.unit_of[&e.to]);
        let mut take = |host: Host, layout: &mut Layout<'_, '_>| {
            let counter = match host {
                Host::Gutter(g) => &mut gutter_lanes[g],
                Host::Boundary(b) => layout.boundary_lanes.entry(b).or_insert(0),
            };
            *counter += 1;
            (host, *counter - 1)
        };
        let route = if ua == ub {
            let (ca, cb) = (&chain[&e.from], &chain[&e.to]);
            let common = ca.iter().zip(cb).take_while(|(x, y)| x == y).last();
            let host = match common {
                Some((b, _)) => Host::Boundary(*b),
                None => Host::Gutter(ua + 1),
            };
            Route {
                from_side: Side::Right,
                to_side: Side::Right,
                lanes: vec![take(host, &mut layout)],
                track: None,
            }
        } else if ua.abs_diff(ub) == 1 {
            let (from_side, to_side) = if ub > ua {
                (Side::Right, Side::Left)
            } else {
                (Side::Left, Side::Right)
            };
            Route {
                from_side,
                to_side,
                lanes: vec![take(Host::Gutter(ua.max(ub)), &mut layout)],
                track: None,
            }
        } else {
            let (from_side, to_side, g1, g2) = if ub > ua {
                (Side::Right, Side::Left, ua + 1, ub)
            } else {
                (Side::Left, Side::Right, ua, ub + 1)
            };
            tracks += 1;
            Route {
                from_side,
                to_side,
                lanes: vec![
                    take(Host::Gutter(g1), &mut layout),
                    take(Host::Gutter(g2), &mut layout),
                ],
                track: Some(tracks - 1),
            }
        };
        routes.push(route);
    }

    // 3. Geometry: column widths, gutters, positions.
    let gutter_w: Vec<i32> = gutter_lanes
        .iter()
        .map(|&n| (2 * GUTTER_PAD + n * LANE_W).max(MIN_GUTTER))
        .collect();
    let top = MARGIN + tracks * TRACK_GAP + if tracks > 0 { 8 } else { 0 };
    let mut x = MARGIN + gutter_w[0];
    let mut gutter_x = vec![MARGIN];
    let mut height = top;
    for (u, items) in units.iter().enumerate() {
        let width = items
            .iter()
            .map(|i| layout.size(i).0)
            .max()
            .unwrap_or(BOX_W);
        let mut y = top;
        for item in items {
            let (w, h) = layout.size(item);
            layout.place(item, x + (width - w) / 2, y, 0);
            y += h + GAP;
        }
        height = height.max(y - GAP);
        x += width;
        gutter_x.push(x);
        x += gutter_w[u + 1];
    }
    let width = x + MARGIN;
    let height = height + MARGIN;

    let lane_x = |host: Host, k: i32, layout: &Layout<'_, '_>| match host {
        Host::Gutter(g) => gutter_x[g] + GUTTER_PAD + k * LANE_W + LANE_W / 2,
        Host::Boundary(b) => {
            let r = layout.boundary_rects.get(&b).copied().unwrap_or_default();
            let n = layout.boundary_lanes.get(&b).copied().unwrap_or(0);
            r.x + r.w - PAD - n * LANE_W + k * LANE_W + LANE_W / 2
        }
    };

    // Ports: the flows at each side of each box, spread evenly, ordered by where the other end
    // is so lines cross less.
    // (component, right side) -> (sort key, edge, is the edge's source end)
    type Ports = HashMap<(usize, bool), Vec<(i32, usize, bool)>>;
    let mut ports: Ports = HashMap::new();
    for (i, (e, r)) in diagram.edges.iter().zip(&routes).enumerate() {
        let center = |c: usize| layout.boxes.get(&c).map_or(0, |b| b.y + b.h / 2);
        let key = |other: usize| {
            if r.track.is_some() {
                i32::MIN + i32::try_from(i).unwrap_or(0)
            } else {
                center(other)
            }
        };
        ports
            .entry((e.from, r.from_side == Side::Right))
            .or_default()
            .push((key(e.to), i, true));
        ports
            .entry((e.to, r.to_side == Side::Right))
            .or_default()
            .push((key(e.from), i, false));
    }
    let mut port_y: HashMap<(usize, bool), i32> = HashMap::new();
    for ((c, _), list) in &mut ports {
        list.sort();
        let b = layout.boxes.get(c).copied().unwrap_or_default();
        let n = i32::try_from(list.len()).unwrap_or(1);
        for (k, &(_, edge, is_from)) in list.iter().enumerate() {
            let k = i32::try_from(k).unwrap_or(0);
            port_y.insert((edge, is_from), b.y + b.h * (k + 1) / (n + 1));
        }
    }

    // 4. Drawing.
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg class=\"dfd\" role=\"img\" aria-labelledby=\"dfd-title\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" font-size=\"12\">"
    );
    let _ = writeln!(out, "<title id=\"dfd-title\">{}</title>", escape(title));
    for (id, color) in [("arrow", INTERNAL), ("arrow-crossing", CROSSING)] {
        let _ = writeln!(
            out,
            "<defs><marker id=\"{id}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"9\" markerHeight=\"9\" markerUnits=\"userSpaceOnUse\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"{color}\"/></marker></defs>"
        );
    }
    for &(b, r, depth) in &layout.boundaries {
        let boundary = &diagram.session.boundaries[b];
        let name = display_name(&boundary.name, boundary.id.as_str());
        let fill = ["#f5f8fc", "#eaf0f7", "#dfe8f2", "#d4e0ed"][depth.min(3)];
        let fit = usize::try_from((r.w - 16) / CHAR_W).unwrap_or(0);
        let _ = writeln!(
            out,
            "<g class=\"boundary\"><title>Trust boundary: {}</title><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"6\" fill=\"{fill}\" stroke=\"#546e7a\" stroke-width=\"1.5\" stroke-dasharray=\"7 4\"/><text x=\"{}\" y=\"{}\" font-weight=\"bold\" fill=\"#263238\">{}</text></g>",
            escape(name),
            r.x,
            r.y,
            r.w,
            r.h,
            r.x + 8,
            r.y + 17,
            escape(&truncate(name, fit))
        );
    }
    let mut components: Vec<(&usize, &Rect)> = layout.boxes.iter().collect();
    components.sort_by_key(|(c, _)| **c);
    for (&c, r) in components {
        draw_component(&mut out, diagram, c, *r);
    }
    for (i, (e, r)) in diagram.edges.iter().zip(&routes).enumerate() {
        let from = layout.boxes.get(&e.from).copied().unwrap_or_default();
        let to = layout.boxes.get(&e.to).copied().unwrap_or_default();
        let side_x = |b: Rect, side: Side| match side {
            Side::Left => b.x,
            Side::Right => b.x + b.w,
        };
        let (sx, sy) = (
            side_x(from, r.from_side),
            port_y.get(&(i, true)).copied().unwrap_or(from.y),
        );
        let (tx, ty) = (
            side_x(to, r.to_side),
            port_y.get(&(i, false)).copied().unwrap_or(to.y),
        );
        let lanes: Vec<i32> = r
            .lanes
            .iter()
            .map(|&(host, k)| lane_x(host, k, &layout))
            .collect();
        let (path, badge) = match (r.track, lanes.as_slice()) {
            (Some(track), [l1, l2]) => {
                let ty_track = MARGIN + track * TRACK_GAP + TRACK_GAP / 2;
                (
                    format!("M{sx},{sy} H{l1} V{ty_track} H{l2} V{ty} H{tx}"),
                    ((l1 + l2) / 2, ty_track),
                )
            }
            (_, [l, ..]) => (format!("M{sx},{sy} H{l} V{ty} H{tx}"), (*l, (sy + ty) / 2)),
            _ => (
                format!("M{sx},{sy} L{tx},{ty}"),
                ((sx + tx) / 2, (sy + ty) / 2),
            ),
        };
        let crosses = e.crosses();
        let (color, width, marker) = if crosses {
            (CROSSING, "3", "arrow-crossing")
        } else {
            (INTERNAL, "1.5", "arrow")
        };
        let number = e.index + 1;
        let from_name = display_name(&diagram.component(e.from).name, e.flow.from.as_str());
        let to_name = display_name(&diagram.component(e.to).name, e.flow.to.as_str());
        let mut tip = format!("{number}. {from_name} → {to_name}: {}", e.flow.label);
        if crosses {
            tip.push_str(" (crosses a trust boundary)");
        }
        let _ = write!(
            out,
            "<g class=\"flow{}\"><title>{}</title><path d=\"{path}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"{width}\" marker-end=\"url(#{marker})\"/>",
            if crosses { " crossing" } else { "" },
            escape(&tip)
        );
        let (bx, by) = badge;
        if crosses {
            let _ = write!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"20\" height=\"18\" fill=\"{CROSSING}\"/><text x=\"{bx}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" font-weight=\"bold\" fill=\"#fff\">{number}</text>",
                bx - 10,
                by - 9,
                by + 4
            );
        } else {
            let _ = write!(
                out,
                "<circle cx=\"{bx}\" cy=\"{by}\" r=\"9\" fill=\"#fff\" stroke=\"{INTERNAL}\"/><text x=\"{bx}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" fill=\"{INTERNAL}\">{number}</text>",
                by + 4
            );
        }
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n");
    out
}

fn draw_component(out: &mut String, diagram: &Diagram<'_>, c: usize, r: Rect) {
    let component = diagram.component(c);
    let name = display_name(&component.name, component.id.as_str());
    let (shape, kind) = match component.kind {
        ComponentKind::Process => (
            format!(
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"16\" fill=\"#fff\" stroke=\"#263238\" stroke-width=\"1.5\"/>",
                r.x, r.y, r.w, r.h
            ),
            "process",
        ),
        ComponentKind::DataStore => {
            let e = 7;
            let (x, y, w, h) = (r.x, r.y, r.w, r.h);
            let shape = format!(
                "<path d=\"M{x},{} A{},{e} 0 0 1 {},{} V{} A{},{e} 0 0 1 {x},{} Z\" fill=\"#fff\" stroke=\"#263238\" stroke-width=\"1.5\"/><path d=\"M{x},{} A{},{e} 0 0 0 {},{}\" fill=\"none\" stroke=\"#263238\" stroke-width=\"1.5\"/>",
                y + e,
                w / 2,
                x + w,
                y + e,
                y + h - e,
                w / 2,
                y + h - e,
                y + e,
                w / 2,
                x + w,
                y + e
            );
            (shape, "data store")
        }
        ComponentKind::ExternalEntity => (
            format!(
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#fff\" stroke=\"#263238\" stroke-width=\"2.5\"/>",
                r.x, r.y, r.w, r.h
            ),
            "external entity",
        ),
    };
    let lines = wrap(name, NAME_CHARS, 2);
    let cx = r.x + r.w / 2;
    let mut text = String::new();
    let first_y = if lines.len() > 1 { r.y + 22 } else { r.y + 29 };
    for (i, line) in lines.iter().enumerate() {
        let _ = write!(
            text,
            "<text x=\"{cx}\" y=\"{}\" text-anchor=\"middle\" fill=\"#102027\">{}</text>",
            first_y + i32::try_from(i).unwrap_or(0) * 14,
            escape(line)
        );
    }
    let _ = write!(
        text,
        "<text x=\"{cx}\" y=\"{}\" text-anchor=\"middle\" font-size=\"9.5\" font-style=\"italic\" fill=\"#455a64\">{kind}</text>",
        r.y + r.h - 7
    );
    let _ = writeln!(
        out,
        "<g class=\"component {}\"><title>{} ({kind})</title>{shape}{text}</g>",
        component.kind.as_str(),
        escape(name)
    );
}

impl Layout<'_, '_> {
    /// Width and height of an item, lanes included.
    fn size(&self, item: &Item) -> (i32, i32) {
        match item {
            Item::Component(_) => (BOX_W, BOX_H),
            Item::Boundary(b, children) => {
                let sizes: Vec<(i32, i32)> = children.iter().map(|c| self.size(c)).collect();
                let inner = sizes.iter().map(|s| s.0).max().unwrap_or(BOX_W / 2);
                let lanes = self.boundary_lanes.get(b).copied().unwrap_or(0);
                let boundary = &self.diagram.session.boundaries[*b];
                let name = display_name(&boundary.name, boundary.id.as_str());
                let title =
                    i32::try_from(name.chars().count().min(40)).unwrap_or(40) * CHAR_W + 2 * PAD;
                let w = (2 * PAD + inner + lanes * LANE_W).max(title);
                let n = i32::try_from(sizes.len()).unwrap_or(0);
                let h =
                    TITLE_H + sizes.iter().map(|s| s.1).sum::<i32>() + GAP * (n - 1).max(0) + PAD;
                (w, h)
            }
        }
    }

    fn place(&mut self, item: &Item, x: i32, y: i32, depth: usize) {
        let (w, h) = self.size(item);
        match item {
            Item::Component(c) => {
                self.boxes.insert(*c, Rect { x, y, w, h });
            }
            Item::Boundary(b, children) => {
                let rect = Rect { x, y, w, h };
                self.boundaries.push((*b, rect, depth));
                self.boundary_rects.insert(*b, rect);
                let lanes = self.boundary_lanes.get(b).copied().unwrap_or(0);
                let inner = w - 2 * PAD - lanes * LANE_W;
                let mut cy = y + TITLE_H;
                for child in children {
                    let (cw, ch) = self.size(child);
                    self.place(child, x + PAD + (inner - cw) / 2, cy, depth + 1);
                    cy += ch + GAP;
                }
            }
        }
    }
}

fn collect(
    item: &Item,
    unit: usize,
    path: &mut Vec<usize>,
    unit_of: &mut HashMap<usize, usize>,
    chain: &mut HashMap<usize, Vec<usize>>,
) {
    match item {
        Item::Component(c) => {
            unit_of.insert(*c, unit);
            chain.insert(*c, path.clone());
        }
        Item::Boundary(b, children) => {
            path.push(*b);
            for child in children {
                collect(child, unit, path, unit_of, chain);
            }
            path.pop();
        }
    }
}

fn min_layer(item: &Item, layer: &HashMap<usize, u32>) -> Option<u32> {
    match item {
        Item::Component(c) => layer.get(c).copied(),
        Item::Boundary(_, children) => children.iter().filter_map(|c| min_layer(c, layer)).min(),
    }
}

/// Distance in flows from where data enters: breadth-first along flow direction from the
/// components nothing flows into; what that does not reach is started from again, external
/// entities first, then in component order.
fn layers(diagram: &Diagram<'_>) -> HashMap<usize, u32> {
    let drawn: Vec<usize> = (0..diagram.node_ids.len())
        .filter(|&i| diagram.node_ids[i].is_some())
        .collect();
    let mut next: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut has_input: HashMap<usize, bool> = HashMap::new();
    for e in &diagram.edges {
        next.entry(e.from).or_default().push(e.to);
        if e.from != e.to {
            has_input.insert(e.to, true);
        }
    }
    let mut layer: HashMap<usize, u32> = HashMap::new();
    let bfs = |starts: Vec<usize>, layer: &mut HashMap<usize, u32>| {
        let mut queue: VecDeque<usize> = VecDeque::new();
        for s in starts {
            if let std::collections::hash_map::Entry::Vacant(slot) = layer.entry(s) {
                slot.insert(0);
                queue.push_back(s);
            }
        }
        while let Some(at) = queue.pop_front() {
            let d = layer[&at];
            for &n in next.get(&at).map_or(&[][..], Vec::as_slice) {
                if let std::collections::hash_map::Entry::Vacant(slot) = layer.entry(n) {
                    slot.insert(d + 1);
                    queue.push_back(n);
                }
            }
        }
    };
    bfs(
        drawn
            .iter()
            .copied()
            .filter(|c| !has_input.contains_key(c))
            .collect(),
        &mut layer,
    );
    loop {
        let left: Vec<usize> = drawn
            .iter()
            .copied()
            .filter(|c| !layer.contains_key(c))
            .collect();
        let Some(&start) = left
            .iter()
            .find(|&&c| diagram.component(c).kind == ComponentKind::ExternalEntity)
            .or(left.first())
        else {
            break;
        };
        bfs(vec![start], &mut layer);
    }
    layer
}

/// At most `max_lines` lines of at most `width` characters, broken between words; what does not
/// fit ends in an ellipsis.
fn wrap(text: &str, width: usize, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut overflow = false;
    for word in text.split_whitespace() {
        let mut word = word.to_string();
        loop {
            let needed = if current.is_empty() {
                word.chars().count()
            } else {
                current.chars().count() + 1 + word.chars().count()
            };
            if needed <= width {
                if !current.is_empty() {
                    current.push(' ');
                }
                current.push_str(&word);
                break;
            }
            if current.is_empty() {
                // A word longer than a line: cut it.
                let head: String = word.chars().take(width).collect();
                word = word.chars().skip(width).collect();
                lines.push(head);
            } else {
                lines.push(std::mem::take(&mut current));
            }
            if lines.len() >= max_lines {
                overflow = true;
                break;
            }
        }
        if overflow {
            break;
        }
    }
    if !overflow && !current.is_empty() {
        lines.push(current);
    }
    if lines.len() > max_lines {
        overflow = true;
        lines.truncate(max_lines);
    }
    if overflow && let Some(last) = lines.last_mut() {
        *last = truncate(&format!("{last}…"), width);
        if !last.ends_with('…') {
            last.pop();
            last.push('…');
        }
    }
    lines
}

/// At most `width` characters, the last an ellipsis when cut.
fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_wrap_and_cut() {
        assert_eq!(wrap("API gateway", 22, 2), ["API gateway"]);
        assert_eq!(
            wrap("SMS and email provider with a long name", 22, 2),
            ["SMS and email provider", "with a long name"]
        );
        assert_eq!(
            wrap("one two three four five six seven eight nine ten", 10, 2),
            ["one two", "three fou…"]
        );
        assert_eq!(wrap("abcdefghijkl", 5, 2), ["abcde", "fghi…"]);
        assert_eq!(truncate("abcdef", 4), "abc…");
    }
}
