//! Drawing a viewport of the laid-out diagram, and the list of crossing flows.
//!
//! Lines are not drawn as characters one after another: each cell collects the directions and
//! weights of the lines through it, and the cell's character is chosen once from all of them.
//! That is what turns a flow passing a boundary border into `╫`, a flow leaving a box into `├`,
//! and two flows crossing into `┼`, whatever order they were drawn in.

use super::layout::{Class, DiagramLayout, NO_OWNER, Prim, Stroke, Weight};
use super::{cells, fit, width, wrap};
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::widgets::Widget;

/// Renders a viewport of the layout; `scroll` is the canvas offset (x, y) of the top-left cell.
pub struct DiagramView<'a> {
    pub layout: &'a DiagramLayout,
    pub scroll: (u16, u16),
    pub theme: Theme,
    /// Component id to highlight: heavy border and reverse-video name.
    pub selected: Option<&'a str>,
}

/// The flows that cross a trust boundary, beside the diagram: number, ends, label, boundaries
/// crossed, and whether the flow is authenticated and encrypted, in words.
pub struct CrossingList<'a> {
    pub layout: &'a DiagramLayout,
    pub theme: Theme,
}

/// Per-cell line state in the viewport: two bits of weight for each of up, down, left, right.
#[derive(Debug, Clone, Copy, Default)]
struct LineCell {
    arms: u8,
    rank: u8,
    class: Option<Class>,
    rounded: bool,
    selected: bool,
}

const UP: u8 = 0;
const DOWN: u8 = 2;
const LEFT: u8 = 4;
const RIGHT: u8 = 6;

impl LineCell {
    fn add(&mut self, arm: u8, stroke: Stroke, selected: bool) {
        let weight = if selected {
            Weight::Heavy as u8
        } else {
            stroke.weight as u8
        };
        let current = (self.arms >> arm) & 3;
        if weight > current {
            self.arms = (self.arms & !(3 << arm)) | (weight << arm);
        }
        let rank = if selected { 6 } else { rank(stroke.class) };
        if rank >= self.rank {
            self.rank = rank;
            self.class = Some(stroke.class);
            self.selected = selected;
        }
    }
}

/// Which line wins a cell's style when several meet: flows over boxes over boundaries.
fn rank(class: Class) -> u8 {
    match class {
        Class::Crossing => 5,
        Class::Flow => 4,
        Class::Component => 3,
        Class::Boundary => 2,
        _ => 1,
    }
}

impl Widget for DiagramView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.is_empty() {
            return;
        }
        let layout = self.layout;
        let selected = self
            .selected
            .and_then(|id| layout.component_index(id))
            .map_or(NO_OWNER, |i| i as u32);
        let (vw, vh) = (u32::from(area.width), u32::from(area.height));
        let (sx, sy) = (u32::from(self.scroll.0), u32::from(self.scroll.1));
        let mut grid = vec![LineCell::default(); (vw * vh) as usize];
        let mut texts: Vec<&Prim> = Vec::new();
        // Index in `grid` of a canvas cell, if it is in the viewport.
        let index = |x: u32, y: u32| -> Option<usize> {
            let (cx, cy) = (x.checked_sub(sx)?, y.checked_sub(sy)?);
            (cx < vw && cy < vh).then_some((cy * vw + cx) as usize)
        };

        for vy in 0..vh {
            let Some(row) = layout.rows.get((sy + vy) as usize) else {
                break;
            };
            for &id in row {
                let Some(prim) = layout.prims.get(id as usize) else {
                    continue;
                };
                match *prim {
                    Prim::H { y, x0, x1, stroke } => {
                        let sel = stroke.owner == selected && selected != NO_OWNER;
                        let from = x0.max(sx);
                        let to = x1.min(sx + vw - 1);
                        for x in from..=to {
                            if let Some(i) = index(x, y) {
                                if x > x0 {
                                    grid[i].add(LEFT, stroke, sel);
                                }
                                if x < x1 {
                                    grid[i].add(RIGHT, stroke, sel);
                                }
                                if stroke.rounded && (x == x0 || x == x1) {
                                    grid[i].rounded = true;
                                }
                            }
                        }
                    }
                    Prim::Text { .. } => texts.push(prim),
                    Prim::V { .. } => {}
                }
            }
        }
        for vx in 0..vw {
            let x = (sx + vx) as usize;
            let (Some(col), Some(&reach)) = (layout.cols.get(x), layout.col_reach.get(x)) else {
                break;
            };
            // Lines are sorted by top row; none starting before `sy - reach` can reach down here.
            let lowest_top = sy.saturating_sub(reach);
            let start = col.partition_point(|&id| match layout.prims.get(id as usize) {
                Some(Prim::V { y0, .. }) => *y0 < lowest_top,
                _ => true,
            });
            for &id in &col[start..] {
                let Some(&Prim::V { x, y0, y1, stroke }) = layout.prims.get(id as usize) else {
                    continue;
                };
                if y0 >= sy + vh {
                    break;
                }
                if y1 < sy {
                    continue;
                }
                let sel = stroke.owner == selected && selected != NO_OWNER;
                for y in y0.max(sy)..=y1.min(sy + vh - 1) {
                    if let Some(i) = index(x, y) {
                        if y > y0 {
                            grid[i].add(UP, stroke, sel);
                        }
                        if y < y1 {
                            grid[i].add(DOWN, stroke, sel);
                        }
                        if stroke.rounded && (y == y0 || y == y1) {
                            grid[i].rounded = true;
                        }
                    }
                }
            }
        }

        for vy in 0..vh {
            for vx in 0..vw {
                let c = grid[(vy * vw + vx) as usize];
                let style = match c.class {
                    _ if c.selected => self.theme.key(),
                    Some(class) => style_of(self.theme, class),
                    None => self.theme.normal(),
                };
                let pos = (area.x + vx as u16, area.y + vy as u16);
                if let Some(cell) = buf.cell_mut(pos) {
                    cell.set_char(glyph(c.arms, c.rounded)).set_style(style);
                }
            }
        }

        for prim in texts {
            let &Prim::Text {
                x,
                y,
                text,
                class,
                owner,
            } = prim
            else {
                continue;
            };
            let style = if owner == selected && selected != NO_OWNER {
                self.theme.selected()
            } else {
                style_of(self.theme, class)
            };
            let Some(vy) = y.checked_sub(sy).filter(|&v| v < vh) else {
                continue;
            };
            let mut cx = x;
            for (symbol, w) in cells(layout.text(text)) {
                let w = w as u32;
                if cx >= sx + vw {
                    break;
                }
                if cx + w > sx {
                    // Cells of this character that are inside the viewport.
                    let visible = cx >= sx && cx + w <= sx + vw;
                    for k in 0..w {
                        let px = cx + k;
                        if px < sx || px >= sx + vw {
                            continue;
                        }
                        let pos = (area.x + (px - sx) as u16, area.y + vy as u16);
                        let Some(cell) = buf.cell_mut(pos) else {
                            continue;
                        };
                        if !visible {
                            // Half of a wide character at the viewport's edge: a blank.
                            cell.set_char(' ').set_style(style);
                        } else if k == 0 {
                            cell.set_symbol(symbol).set_style(style);
                        } else {
                            // Hidden behind the wide character before it.
                            cell.reset();
                            cell.set_style(style);
                        }
                    }
                }
                cx += w;
            }
        }
    }
}

fn style_of(theme: Theme, class: Class) -> Style {
    match class {
        Class::Boundary => theme.boundary(),
        Class::BoundaryName => theme.boundary().add_modifier(Modifier::BOLD),
        Class::Outside | Class::Hint => theme.dim(),
        Class::Component | Class::Name | Class::Flow | Class::Legend => theme.normal(),
        Class::Label => theme.normal().add_modifier(Modifier::BOLD),
        Class::Crossing | Class::CrossingLabel => theme.crossing(),
        Class::Heading => theme.title(),
    }
}

/// The box-drawing character for the lines meeting in a cell. Unicode has light/heavy and
/// single/double mixes only when each axis is uniform, and no heavy/double mixes at all, so
/// each axis takes its heaviest arm and heavy drops to light beside a double line.
fn glyph(arms: u8, rounded: bool) -> char {
    let arm = |shift: u8| (arms >> shift) & 3;
    let (u, d, l, r) = (arm(UP), arm(DOWN), arm(LEFT), arm(RIGHT));
    let mut v = u.max(d);
    let mut h = l.max(r);
    if v == 3 || h == 3 {
        if v == 2 {
            v = 1;
        }
        if h == 2 {
            h = 1;
        }
    }
    let shape = (u > 0, d > 0, l > 0, r > 0);
    let pick = |table: [[char; 3]; 3]| -> char {
        let vi = usize::from(v.max(1) - 1);
        let hi = usize::from(h.max(1) - 1);
        table[vi][hi]
    };
    let round = rounded && v == 1 && h == 1;
    match shape {
        (false, false, false, false) => ' ',
        (false, false, _, _) => ['─', '━', '═'][usize::from(h.max(1) - 1)],
        (_, _, false, false) => ['│', '┃', '║'][usize::from(v.max(1) - 1)],
        (false, true, false, true) if round => '╭',
        (false, true, true, false) if round => '╮',
        (true, false, false, true) if round => '╰',
        (true, false, true, false) if round => '╯',
        (false, true, false, true) => pick([['┌', '┍', '╒'], ['┎', '┏', '┏'], ['╓', '╓', '╔']]),
        (false, true, true, false) => pick([['┐', '┑', '╕'], ['┒', '┓', '┓'], ['╖', '╖', '╗']]),
        (true, false, false, true) => pick([['└', '┕', '╘'], ['┖', '┗', '┗'], ['╙', '╙', '╚']]),
        (true, false, true, false) => pick([['┘', '┙', '╛'], ['┚', '┛', '┛'], ['╜', '╜', '╝']]),
        (true, true, false, true) => pick([['├', '┝', '╞'], ['┠', '┣', '┣'], ['╟', '╟', '╠']]),
        (true, true, true, false) => pick([['┤', '┥', '╡'], ['┨', '┫', '┫'], ['╢', '╢', '╣']]),
        (false, true, true, true) => pick([['┬', '┯', '╤'], ['┰', '┳', '┳'], ['╥', '╥', '╦']]),
        (true, false, true, true) => pick([['┴', '┷', '╧'], ['┸', '┻', '┻'], ['╨', '╨', '╩']]),
        (true, true, true, true) => pick([['┼', '┿', '╪'], ['╂', '╋', '╋'], ['╫', '╫', '╬']]),
    }
}

impl Widget for CrossingList<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.is_empty() {
            return;
        }
        let theme = self.theme;
        let w = usize::from(area.width);
        let flows = self.layout.crossing_flows();
        let mut lines: Vec<Vec<(String, Style)>> = Vec::new();
        let heading = if flows.is_empty() {
            "No flow crosses a trust boundary".to_string()
        } else {
            format!("Flows crossing a trust boundary: {}", flows.len())
        };
        lines.push(vec![(heading, theme.title())]);
        let height = usize::from(area.height);
        // Text wraps under a five-cell indent, the width of the number column.
        let text_w = w.saturating_sub(5).max(1);
        let indent = || ("     ".to_string(), theme.normal());
        let word = |ok: bool, yes: &str, no: &str| {
            if ok {
                (yes.to_string(), theme.ok())
            } else {
                (no.to_string(), theme.warning().add_modifier(Modifier::BOLD))
            }
        };
        // Only the entries that fit are formatted: a large model has thousands.
        for (k, f) in flows.iter().enumerate() {
            let mut entry: Vec<Vec<(String, Style)>> = Vec::new();
            let ends = format!("{} → {}", f.from, f.to);
            for (i, line) in wrap(&ends, text_w, text_w, 2).into_iter().enumerate() {
                let lead = if i == 0 {
                    (format!("{:>3}! ", f.number), theme.crossing())
                } else {
                    indent()
                };
                entry.push(vec![lead, (line, theme.normal())]);
            }
            for line in wrap(&f.label, text_w, text_w, 2) {
                entry.push(vec![indent(), (line, theme.dim())]);
            }
            let crosses = format!("crosses {}", f.boundaries.join(", "));
            for line in wrap(&crosses, text_w, text_w, 3) {
                entry.push(vec![indent(), (line, theme.boundary())]);
            }
            entry.push(vec![
                indent(),
                word(f.authenticated, "authenticated", "NOT authenticated"),
                (", ".to_string(), theme.normal()),
                word(f.encrypted, "encrypted", "NOT encrypted"),
            ]);
            // Keep a row for "+N more" unless this is the last entry.
            let more = usize::from(k + 1 < flows.len());
            if lines.len() + entry.len() + more > height {
                lines.push(vec![(
                    format!(
                        "  +{} more in the flow list under the diagram",
                        flows.len() - k
                    ),
                    theme.dim(),
                )]);
                break;
            }
            lines.extend(entry);
        }
        for (row, line) in lines.iter().take(height).enumerate() {
            let y = area.y + row as u16;
            let mut x = area.x;
            let mut room = w;
            for (text, style) in line {
                if room == 0 {
                    break;
                }
                let piece = fit(text, room);
                let used = width(&piece);
                let mut cx = x;
                for (symbol, cw) in cells(&piece) {
                    if let Some(cell) = buf.cell_mut((cx, y)) {
                        cell.set_symbol(symbol).set_style(*style);
                    }
                    for k in 1..cw {
                        if let Some(cell) = buf.cell_mut((cx + k as u16, y)) {
                            cell.reset();
                            cell.set_style(*style);
                        }
                    }
                    cx += cw as u16;
                }
                x += used as u16;
                room -= used;
            }
        }
    }
}
