use super::layout::{Class, Placed, Prim};
use super::*;
use crate::analysis::ModelGraph;
use crate::model::Session;
use crate::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::{Buffer, CellWidth};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier};
use ratatui::widgets::Widget;
use std::collections::{HashMap, HashSet};
use std::path::Path;

const EXAMPLES: [&str; 3] = [
    "three-tier-cloud-web-app.toml",
    "microservices-api-platform.toml",
    "llm-support-bot.toml",
];

fn example(name: &str) -> Session {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sessions")
        .join(name);
    crate::store::load(&path).expect("example loads").session
}

fn parse(toml: &str) -> Session {
    crate::store::parse(toml).expect("test session parses").0
}

/// A generated model like the benchmark's: boundaries b0..b9 (b5..b9 nested in b0..b4),
/// components spread over them, five flows per component.
fn generated(components: usize) -> Session {
    let mut text = String::from("schema = 1\ntitle = \"Generated\"\n");
    for b in 0..10 {
        let parent = if b >= 5 {
            format!("parent = \"b{}\"\n", b - 5)
        } else {
            String::new()
        };
        text.push_str(&format!(
            "\n[[boundaries]]\nid = \"b{b}\"\nname = \"Boundary {b}\"\n{parent}"
        ));
    }
    for c in 0..components {
        let kind = match c % 10 {
            0 => "external-entity",
            1 | 2 => "data-store",
            _ => "process",
        };
        text.push_str(&format!(
            "\n[[components]]\nid = \"c{c}\"\nname = \"Component {c}\"\nkind = \"{kind}\"\nboundary = \"b{}\"\n",
            c % 10
        ));
    }
    for f in 0..components * 5 {
        let (from, to) = (f % components, (f * 7 + 1) % components);
        text.push_str(&format!(
            "\n[[flows]]\nid = \"f{f:05}\"\nfrom = \"c{from}\"\nto = \"c{to}\"\nlabel = \"call {f}\"\n"
        ));
    }
    parse(&text)
}

fn render(
    layout: &DiagramLayout,
    area: Rect,
    scroll: (u16, u16),
    selected: Option<&str>,
) -> Buffer {
    let mut buf = Buffer::empty(area);
    DiagramView {
        layout,
        scroll,
        theme: Theme::plain(),
        selected,
    }
    .render(area, &mut buf);
    buf
}

/// The whole canvas in one buffer.
fn full(layout: &DiagramLayout) -> Buffer {
    let (w, h) = layout.size();
    render(layout, Rect::new(0, 0, w.max(1), h.max(1)), (0, 0), None)
}

fn symbol(buf: &Buffer, x: u32, y: u32) -> &str {
    let pos = (
        u16::try_from(x).unwrap_or(u16::MAX),
        u16::try_from(y).unwrap_or(u16::MAX),
    );
    buf.cell(pos).map_or("", |c| c.symbol())
}

/// The text of each row as a terminal shows it: cells hidden behind a wide character skipped.
fn rows_text(buf: &Buffer) -> Vec<String> {
    (0..buf.area.height)
        .map(|y| {
            let mut line = String::new();
            let mut hidden = 0;
            for x in 0..buf.area.width {
                let symbol = buf[(x, y)].symbol();
                if hidden > 0 {
                    hidden -= 1;
                    continue;
                }
                line.push_str(symbol);
                hidden = usize::from(symbol.cell_width()).saturating_sub(1);
            }
            line
        })
        .collect()
}

fn inside(inner: &Placed, outer: &Placed) -> bool {
    inner.x > outer.x
        && inner.y > outer.y
        && inner.right() < outer.right()
        && inner.bottom() < outer.bottom()
}

fn overlaps(a: &Placed, b: &Placed) -> bool {
    a.x <= b.right() && b.x <= a.right() && a.y <= b.bottom() && b.y <= a.bottom()
}

fn on_border(p: (u32, u32), r: &Placed) -> bool {
    let (x, y) = p;
    ((x == r.x || x == r.right()) && y > r.y && y < r.bottom())
        || ((y == r.y || y == r.bottom()) && x > r.x && x < r.right())
}

fn contains(r: &Placed, (x, y): (u32, u32)) -> bool {
    x >= r.x && x <= r.right() && y >= r.y && y <= r.bottom()
}

/// Every cell of a polyline, with whether it is on a horizontal run.
fn path_cells(points: &[(u32, u32)]) -> Vec<((u32, u32), bool)> {
    let mut out = Vec::new();
    for pair in points.windows(2) {
        let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
        if y0 == y1 {
            for x in x0.min(x1)..=x0.max(x1) {
                out.push(((x, y0), true));
            }
        } else {
            for y in y0.min(y1)..=y0.max(y1) {
                out.push(((x0, y), false));
            }
        }
    }
    out
}

fn test_sessions() -> Vec<(String, Session)> {
    let mut sessions: Vec<(String, Session)> = EXAMPLES
        .iter()
        .map(|n| (n.to_string(), example(n)))
        .collect();
    sessions.push(("generated-60".into(), generated(60)));
    sessions
}

// ---------------------------------------------------------------------------------------------
// Geometry

#[test]
fn layout_is_deterministic_and_independent_of_table_order() {
    for (name, session) in test_sessions() {
        let a = DiagramLayout::compute(&session);
        let b = DiagramLayout::compute(&session);
        assert_eq!(a, b, "{name}: two layouts of one session differ");
        let mut shuffled = session.clone();
        shuffled.components.reverse();
        shuffled.flows.reverse();
        shuffled.boundaries.reverse();
        let c = DiagramLayout::compute(&shuffled);
        assert_eq!(
            rows_text(&full(&a)),
            rows_text(&full(&c)),
            "{name}: the order of the tables changed the drawing"
        );
    }
}

#[test]
fn components_lie_inside_their_boundaries_and_boundaries_inside_their_parents() {
    for (name, session) in test_sessions() {
        let layout = DiagramLayout::compute(&session);
        let index: HashMap<&str, usize> = session
            .boundaries
            .iter()
            .enumerate()
            .map(|(i, b)| (b.id.as_str(), i))
            .collect();
        for (i, c) in session.components.iter().enumerate() {
            let rect = &layout.components[i];
            match c.boundary.as_ref().and_then(|b| index.get(b.as_str())) {
                Some(&b) => assert!(
                    inside(rect, &layout.boundaries[b]),
                    "{name}: {} outside its boundary",
                    c.id
                ),
                None => {
                    let outside = layout.outside.expect("an outside area");
                    assert!(contains(&outside, (rect.x, rect.y)), "{name}: {}", c.id);
                }
            }
        }
        for (i, b) in session.boundaries.iter().enumerate() {
            if let Some(&p) = b.parent.as_ref().and_then(|p| index.get(p.as_str())) {
                assert!(
                    inside(&layout.boundaries[i], &layout.boundaries[p]),
                    "{name}: boundary {} outside its parent",
                    b.id
                );
            }
        }
    }
}

#[test]
fn component_boxes_do_not_overlap() {
    for (name, session) in test_sessions() {
        let layout = DiagramLayout::compute(&session);
        for (i, a) in layout.components.iter().enumerate() {
            for b in &layout.components[i + 1..] {
                assert!(!overlaps(a, b), "{name}: {a:?} overlaps {b:?}");
            }
        }
        // Sibling boundaries do not overlap either, and every box is on the canvas.
        let (w, h) = layout.size();
        for r in layout.components.iter().chain(&layout.boundaries) {
            assert!(
                r.right() < u32::from(w) && r.bottom() < u32::from(h),
                "{name}"
            );
        }
    }
}

#[test]
fn every_flow_starts_on_its_source_box_edge_and_ends_on_its_target_box_edge() {
    for (name, session) in test_sessions() {
        let layout = DiagramLayout::compute(&session);
        assert_eq!(layout.flows.len(), session.flows.len(), "{name}: all drawn");
        for f in &layout.flows {
            let (first, last) = (f.points[0], f.points[f.points.len() - 1]);
            assert!(f.points.len() >= 2, "{name}: flow {}", f.number);
            assert!(
                on_border(first, &layout.components[f.from]),
                "{name}: flow {} starts at {first:?}, off its source",
                f.number
            );
            assert!(
                on_border(last, &layout.components[f.to]),
                "{name}: flow {} ends at {last:?}, off its target",
                f.number
            );
            // Orthogonal: every step is horizontal or vertical.
            for pair in f.points.windows(2) {
                assert!(pair[0].0 == pair[1].0 || pair[0].1 == pair[1].1);
            }
        }
    }
}

#[test]
fn flows_stay_out_of_other_boxes_and_never_run_on_top_of_each_other() {
    let mut sessions = test_sessions();
    sessions.push(("generated-200".into(), generated(200)));
    for (name, session) in sessions {
        let layout = DiagramLayout::compute(&session);
        let mut horizontal: HashMap<(u32, u32), usize> = HashMap::new();
        let mut vertical: HashMap<(u32, u32), usize> = HashMap::new();
        for f in &layout.flows {
            let cells = path_cells(&f.points);
            let ends = [f.points[0], f.points[f.points.len() - 1]];
            for &(cell, is_h) in &cells {
                if !ends.contains(&cell) {
                    for (i, r) in layout.components.iter().enumerate() {
                        assert!(
                            !contains(r, cell),
                            "{name}: flow {} passes through component {i} at {cell:?}",
                            f.number
                        );
                    }
                }
                let map = if is_h { &mut horizontal } else { &mut vertical };
                if let Some(&other) = map.get(&cell) {
                    assert!(
                        other == f.number,
                        "{name}: flows {other} and {} overlap at {cell:?}",
                        f.number
                    );
                }
                map.insert(cell, f.number);
            }
        }
    }
}

#[test]
fn labels_sit_on_free_cells() {
    for (name, session) in test_sessions().into_iter().take(3) {
        let layout = DiagramLayout::compute(&session);
        let mut taken: HashSet<(u32, u32)> = HashSet::new();
        for prim in &layout.prims {
            if let Prim::Text {
                x, y, text, class, ..
            } = *prim
                && matches!(class, Class::Label | Class::CrossingLabel)
                && y < layout
                    .components
                    .iter()
                    .map(|c| c.bottom())
                    .max()
                    .unwrap_or(0)
            {
                for dx in 0..width(layout.text(text)) as u32 {
                    let cell = (x + dx, y);
                    assert!(taken.insert(cell), "{name}: two labels at {cell:?}");
                    for r in layout.components.iter().chain(&layout.boundaries) {
                        assert!(
                            !contains(r, cell) || !on_border_or_corner(cell, r),
                            "{name}: label on a border at {cell:?}"
                        );
                        assert!(
                            !layout.components.iter().any(|c| contains(c, cell)),
                            "{name}: label inside a box at {cell:?}"
                        );
                    }
                }
            }
        }
    }
}

fn on_border_or_corner((x, y): (u32, u32), r: &Placed) -> bool {
    contains(r, (x, y)) && (x == r.x || x == r.right() || y == r.y || y == r.bottom())
}

// ---------------------------------------------------------------------------------------------
// What the analysis says

#[test]
fn crossing_flows_are_exactly_the_flows_the_model_graph_says_cross() {
    for (name, session) in test_sessions() {
        let layout = DiagramLayout::compute(&session);
        let graph = ModelGraph::new(&session);
        let expected: HashSet<&str> = session
            .flows
            .iter()
            .enumerate()
            .filter(|&(i, _)| graph.crosses_boundary(i))
            .map(|(_, f)| f.id.as_str())
            .collect();
        let listed: HashSet<&str> = layout
            .crossing_flows()
            .iter()
            .map(|c| c.flow_id.as_str())
            .collect();
        assert_eq!(listed, expected, "{name}");
        for c in layout.crossing_flows() {
            let i = session
                .flows
                .iter()
                .position(|f| f.id.as_str() == c.flow_id)
                .expect("listed flow exists");
            assert_eq!(c.boundaries.len(), graph.crossings(i).len(), "{name}");
            assert_eq!(c.authenticated, session.flows[i].is_authenticated());
            assert_eq!(c.encrypted, session.flows[i].is_encrypted());
            let drawn = layout.flows.iter().find(|f| f.index == i).expect("drawn");
            assert!(drawn.crossing && drawn.label == format!("{}!", c.number));
        }
        // Numbers follow flow ids.
        let mut ids: Vec<&str> = session.flows.iter().map(|f| f.id.as_str()).collect();
        ids.sort_unstable();
        for f in &layout.flows {
            assert_eq!(ids[f.number - 1], session.flows[f.index].id.as_str());
        }
    }
    let three_tier = DiagramLayout::compute(&example("three-tier-cloud-web-app.toml"));
    let admin = &three_tier.crossing_flows()[0];
    assert_eq!(admin.flow_id, "admin-lb");
    assert_eq!(
        admin.boundaries,
        ["Internet", "Production VPC", "AWS production account"]
    );
}

#[test]
fn crossing_is_visible_without_colour() {
    let session = example("three-tier-cloud-web-app.toml");
    let layout = DiagramLayout::compute(&session);
    let buf = full(&layout);
    for cell in buf.content() {
        assert_eq!(cell.fg, Color::Reset, "plain theme uses no colour");
        assert_eq!(cell.bg, Color::Reset, "plain theme uses no colour");
    }
    let heavy = ["━", "┃", "┏", "┓", "┗", "┛"];
    let light = ["─", "│", "┌", "┐", "└", "┘"];
    let mut crossing = 0;
    for f in &layout.flows {
        let cells = path_cells(&f.points);
        let glyphs: Vec<&str> = cells[1..cells.len() - 1]
            .iter()
            .map(|&((x, y), _)| symbol(&buf, x, y))
            .collect();
        if f.crossing {
            crossing += 1;
            assert!(
                glyphs.iter().any(|g| heavy.contains(g)),
                "flow {}",
                f.number
            );
            assert!(
                !glyphs.iter().any(|g| light.contains(g)),
                "flow {}",
                f.number
            );
        } else {
            assert!(
                !glyphs.iter().any(|g| heavy.contains(g)),
                "flow {}",
                f.number
            );
        }
        // Its number is written, with `!` when it crosses.
        let (x, y) = f.label_at;
        let text: String = (0..f.label.len() as u32)
            .map(|dx| symbol(&buf, x + dx, y))
            .collect();
        assert_eq!(text, f.label);
    }
    assert_eq!(crossing, 9);
}

// ---------------------------------------------------------------------------------------------
// Text from the file

const HOSTILE: &str = r#"
schema = 1
title = "Hostile names"
[[boundaries]]
id = "zone"
name = "区域 🔒 \u001b[31mred\u001b[0m"
[[components]]
id = "wide"
name = "数据库服务器 🚀🚀 with a very long tail that cannot fit"
kind = "data-store"
boundary = "zone"
[[components]]
id = "escape"
name = "\u001b]0;x\u0007 title"
kind = "process"
boundary = "zone"
[[components]]
id = "joined"
name = "👩‍💻 e\u0301 \u0301 ❤️ 👍🏽 \u202e evil"
kind = "external-entity"
[[flows]]
id = "f1"
from = "joined"
to = "wide"
label = "\u001b[2J wipe"
[[flows]]
id = "f2"
from = "escape"
to = "wide"
label = "ok"
"#;

#[test]
fn wide_and_control_characters_stay_inside_their_box() {
    let session = parse(HOSTILE);
    let layout = DiagramLayout::compute(&session);
    let buf = full(&layout);
    for (i, cell) in buf.content().iter().enumerate() {
        assert!(
            !cell
                .symbol()
                .chars()
                .any(|c| c.is_control() || c == '\u{202e}'),
            "control character in cell {i}: {:?}",
            cell.symbol()
        );
        assert!(
            !cell.symbol().is_empty() || i > 0,
            "first cell cannot be a hidden one"
        );
    }
    let rows = rows_text(&buf);
    let all = rows.join("\n");
    assert!(
        all.contains("\\e]0;x\\u{7}"),
        "escape shown, not sent:\n{all}"
    );
    assert!(all.contains("数据库服务器"), "wide text shown:\n{all}");
    for (i, r) in layout.components.iter().enumerate() {
        let corners = [
            (r.x, r.y),
            (r.right(), r.y),
            (r.x, r.bottom()),
            (r.right(), r.bottom()),
        ];
        for (x, y) in corners {
            assert!(
                "┌┐└┘╭╮╰╯┬┴┰┸".contains(symbol(&buf, x, y)),
                "component {i}: corner {:?} at {x},{y}\n{all}",
                symbol(&buf, x, y)
            );
        }
        for y in r.y + 1..r.bottom() {
            for x in [r.x, r.right()] {
                assert!(
                    "│├┤┝┥▶◀".contains(symbol(&buf, x, y)),
                    "component {i}: side {:?} at {x},{y}\n{all}",
                    symbol(&buf, x, y)
                );
            }
            // Text inside: a wide character never reaches the right border.
            for x in r.x + 1..r.right() {
                let w = buf[(x as u16, y as u16)].symbol().cell_width();
                assert!(
                    x + u32::from(w) <= r.right(),
                    "wide character over the border"
                );
            }
        }
        for x in r.x + 1..r.right() {
            for y in [r.y, r.bottom()] {
                assert!(
                    "─┬┴┰┸▲▼".contains(symbol(&buf, x, y)),
                    "component {i}\n{all}"
                );
            }
        }
    }
    // The boundary's name is escaped too, and its border closes where it should.
    let zone = &layout.boundaries[0];
    assert!(rows[zone.y as usize].contains("\\e[31mred"), "{all}");
    assert_eq!(symbol(&buf, zone.right(), zone.y), "╗");
}

#[test]
fn text_is_fitted_and_wrapped_by_cell_width() {
    assert_eq!(sanitize("a\u{1b}b"), "a\\eb");
    assert_eq!(sanitize("👩\u{200d}💻"), "👩💻");
    assert_eq!(sanitize("\u{301}x"), "\u{25cc}\u{301}x");
    assert_eq!(width("数据"), 4);
    assert_eq!(width("e\u{301}"), 1);
    assert_eq!(fit("数据库服务器", 5), "数据…");
    assert_eq!(fit("short", 5), "short");
    assert_eq!(fit("abc", 0), "");
    assert_eq!(
        wrap("Application load balancer", 14, 14, 3),
        ["Application", "load balancer"]
    );
    assert_eq!(
        wrap("Public DNS (Route 53 hosted zone)", 14, 14, 2),
        ["Public DNS", "(Route 53 hos…"]
    );
    assert_eq!(
        wrap("abcdefghijklmnop", 5, 5, 3),
        ["abcde", "fghij", "klmn…"]
    );
    assert_eq!(wrap("", 5, 5, 3), [""]);
    for line in wrap("数据库服务器数据库服务器", 5, 5, 3) {
        assert!(width(&line) <= 5, "{line}");
    }
}

// ---------------------------------------------------------------------------------------------
// Robustness

#[test]
fn invalid_sessions_do_not_panic() {
    let mut sessions = vec![
        parse("schema = 1\ntitle = \"Empty\"\n"),
        parse(HOSTILE),
        generated(7),
    ];
    // Unknown references, a boundary cycle, a self-loop, duplicate ids, an unknown parent.
    let mut broken = example("three-tier-cloud-web-app.toml");
    broken.flows[0].to = "ghost".into();
    broken.flows[1].from = "nobody".into();
    broken.flows[2].to = broken.flows[2].from.clone();
    broken.boundaries[0].parent = Some("private-subnet".into());
    broken.boundaries[1].parent = Some("internet".into());
    broken.boundaries[2].parent = Some("nowhere".into());
    broken.components[0].boundary = Some("missing".into());
    let duplicate = broken.components[1].clone();
    broken.components.push(duplicate);
    let duplicate = broken.boundaries[3].clone();
    broken.boundaries.push(duplicate);
    let mut blank = broken.components[2].clone();
    blank.id = "".into();
    blank.name = String::new();
    broken.components.push(blank);
    sessions.push(broken);
    // Only boundaries, nested deeply, no components.
    let mut deep = String::from("schema = 1\ntitle = \"Deep\"\n");
    for i in 0..30 {
        let parent = if i > 0 {
            format!("parent = \"d{}\"\n", i - 1)
        } else {
            String::new()
        };
        deep.push_str(&format!(
            "[[boundaries]]\nid = \"d{i}\"\nname = \"Level {i}\"\n{parent}"
        ));
    }
    sessions.push(parse(&deep));

    for session in &sessions {
        let layout = DiagramLayout::compute(session);
        let (w, h) = layout.size();
        for (vw, vh) in [(1, 1), (80, 24), (120, 40), (200, 60)] {
            for scroll in [(0, 0), (w / 2, h / 2), (w, h), (u16::MAX, u16::MAX)] {
                render(&layout, Rect::new(0, 0, vw, vh), scroll, Some("wide"));
            }
        }
        let mut buf = Buffer::empty(Rect::new(0, 0, 40, 10));
        CrossingList {
            layout: &layout,
            theme: Theme::from_env(),
        }
        .render(Rect::new(0, 0, 40, 10), &mut buf);
        // Zero-sized areas and areas outside the buffer are fine.
        DiagramView {
            layout: &layout,
            scroll: (0, 0),
            theme: Theme::plain(),
            selected: None,
        }
        .render(Rect::new(50, 50, 10, 10), &mut buf);
    }
    let empty = DiagramLayout::compute(&sessions[0]);
    assert!(
        rows_text(&full(&empty))
            .join("")
            .contains("Nothing to draw yet")
    );
}

#[test]
fn a_generated_model_of_a_few_hundred_components_keeps_the_invariants() {
    let session = generated(200);
    let layout = DiagramLayout::compute(&session);
    let mut by_column: Vec<&Placed> = layout.components.iter().collect();
    by_column.sort_by_key(|r| (r.x, r.y));
    for pair in by_column.windows(2) {
        if pair[0].x == pair[1].x {
            assert!(pair[0].bottom() < pair[1].y, "stacked boxes overlap");
        }
    }
    for f in &layout.flows {
        assert!(on_border(f.points[0], &layout.components[f.from]));
        assert!(on_border(
            f.points[f.points.len() - 1],
            &layout.components[f.to]
        ));
    }
    assert_eq!(layout.crossing_flows().len(), {
        let g = ModelGraph::new(&session);
        (0..session.flows.len())
            .filter(|&i| g.crosses_boundary(i))
            .count()
    });
}

// ---------------------------------------------------------------------------------------------
// The view

mod view;
