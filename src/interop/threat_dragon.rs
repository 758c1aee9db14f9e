//! OWASP Threat Dragon models, in (issue 8, made faithful in issue 15) and out ([`export`]): a
//! version 2 model, or a version 1 model, becomes a threatboard session. Whatever has no place in
//! a session is reported as a warning, never dropped silently.
//!
//! How the model maps:
//!
//! - `summary.title` and `summary.description` become the session's title and description; a
//!   diagram's own description is appended as a paragraph. Runs are left empty: the facilitator
//!   starts one when opening the session. Owner, reviewer and contributors are reported.
//! - Processes, stores and actors become components of kind process, data-store and
//!   external-entity. Ids are slugs of the names, made unique with `-2`, `-3`; components and flows
//!   share one set of ids. A name's line breaks (Threat Dragon wraps names inside shapes) become
//!   spaces; any other control character is kept as a visible escape, with a warning.
//! - Element properties become tags: `logs` (isALog, which the analysis uses), `stores-credentials`,
//!   `stores-inventory`, `encrypted`, `signed`, `web-application`, `card-payment`,
//!   `goods-or-services`, `provides-authentication`; on flows `public-network`, `bidirectional`
//!   and `crosses-trust-boundary`. Descriptions and the privilege level go to the notes.
//!   `outOfScope` makes a component or flow out of scope, with `reasonOutOfScope` as the reason
//!   ("out of scope in Threat Dragon" when it gives none).
//! - Data flows keep their ends, label (the name; "A to B" when it has none), protocol and
//!   `isEncrypted` (unknown when the file does not say). Threat Dragon has no authentication
//!   property on flows: `isAuthenticated`, `authenticated` or `authenticatesSource` is used when a
//!   file has one, otherwise authentication is left unknown and one warning says so. A flow end
//!   that is not attached to an element is attached to the component it ends inside, or else the
//!   nearest within 40 units, with a warning; a flow that still has no two components is not
//!   imported, with a warning naming it. A bidirectional flow becomes two flows, the second
//!   labelled "(reverse)"; its threats go on the first.
//! - Trust boundary boxes become boundaries. As in Threat Dragon, a component is inside a box only
//!   when its bounding box is entirely inside; a box entirely inside a larger one nests in it. A
//!   containment the file saves (a cell's `parent`, or `compatibility.parent` from an Open Threat
//!   Model import) wins over the drawing.
//! - Trust boundary curves cannot hold components, but threatboard boundaries are containers. Each
//!   curve becomes a boundary holding the components on one side of it, and the flows whose drawn
//!   line (ends, vertices) intersects the curve's polyline are tagged `crosses-trust-boundary`.
//!   The sides come from the flows first: a flow that crosses the curve an odd number of times
//!   has its ends on the sides it is drawn on where it crosses, any other flow both ends on one
//!   side; the drawing (the curve extended straight beyond its ends) decides what the flows leave
//!   open. When no choice agrees with every flow (a curve that stops short, so that flows go
//!   around it), the choice that disagrees with the fewest is taken (a minimum cut), and the
//!   flows that disagree are named in a warning. A curve only splits the part of the diagram it
//!   separates: the groups of components joined by flows that a flow crossing it belongs to
//!   (another copy of the same drawing beside it is left alone); a component without flows is
//!   placed by the drawing when it lies beside the curve, and named in a warning as ambiguous
//!   when it lies beyond the curve's ends. The boundary takes the side without external
//!   entities when exactly one side has none (the side with them when the curve's name says it
//!   is the outside: "Internet", "Public", "External"...), otherwise the side with fewer
//!   components; every curve is explained in a warning. Curve boundaries nest with boxes and each other by the
//!   components they hold; a component in two boundaries that overlap without nesting is put in
//!   the smaller one, with a warning.
//! - Threats are attached to their element. STRIDE types map to their letter; LINDDUN types to
//!   the letters of `libraries/linddun.toml` plus a `linddun:` reference; CIA to I, T, D; one
//!   PLOT4ai type (Identifiability & Linkability) to I. Other types (DIE, most of PLOT4ai, unknown)
//!   leave `stride` empty with a warning; any type that is not STRIDE is kept in the notes.
//! - Severity High / Medium / Low becomes impact 3 / 2 / 1 (Critical becomes 3, with a warning).
//!   Likelihood is left unset: Threat Dragon does not record it, and an invented value would give
//!   the threat a risk level nobody assessed; the team rates it in question 2.
//! - Status Open becomes open, Mitigated resolved, N/A not-applicable. The mitigation text becomes a
//!   mitigation with that action, no owner and no due date, planned for an open threat and done for
//!   a mitigated one, and the threat's response is `mitigate`. Statuses of newer Threat Dragon
//!   versions: Transferred and Avoided / Eliminated become resolved with response transfer / avoid;
//!   Accepted stays open and undecided (a threatboard acceptance needs a justification and who
//!   accepted it), with a warning. Transferred and avoided threats keep their text as a done
//!   mitigation, and whom a threat is transferred to from a `Transferred to:` line of its
//!   description (otherwise "not named in Threat Dragon", with a warning). For accepted and N/A
//!   threats the mitigation text goes to the notes: it is not work to do. The description, score and number go to the notes; so does Threat
//!   Dragon's threat id (`Threat Dragon threat id: …`), which an export writes back.
//! - Threat ids are stable across re-imports: `TH-td-` and the first eight hex digits of Threat
//!   Dragon's threat id (`TH-td-7df716cd`), its mitigation `MI-td-7df716cd`; a threat without an
//!   id (version 1) gets a hash of its element's cell id and its title. So adding a threat in
//!   Threat Dragon and importing again adds one threat and renumbers none. Types in the
//!   languages Threat Dragon ships (French, German, Japanese...) map like the English ones.
//!   Elevation of Privilege / Cornucopia cards have no STRIDE category: the game, suit and card
//!   go to the notes, with a warning.
//! - Threats on trust boundaries or text, text blocks, and cells of unknown shape are reported and
//!   not imported.

pub mod export;

pub use export::{Exported, export};

use crate::model::text::escape_control;
use crate::model::{
    Boundary, BoundaryId, Component, ComponentKind, ElementId, Flow, LibraryRef, Mitigation,
    MitigationStatus, Rating, Response, Session, StrideSet, Threat, ThreatStatus, slugify,
};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt;

/// Threat Dragon models are small; anything far larger is a mistake.
pub const MAX_MODEL_BYTES: usize = 64 * 1024 * 1024;

/// How far (in diagram units) a loose flow end may be from a component to be attached to it.
const SNAP_DISTANCE: f64 = 40.0;

/// The most bends a flow or a curve may have for its geometry to be used.
const MAX_VERTICES: usize = 10_000;

/// A session made from a Threat Dragon model, and what could not be carried over.
#[derive(Debug, Clone)]
pub struct Imported {
    pub session: Session,
    /// One line each, without a `warning:` prefix.
    pub warnings: Vec<String>,
}

/// Why a file could not be read as a Threat Dragon model, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub line: usize,
    /// In characters, 1-based.
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for ImportError {}

// The skeleton of a model is typed, so that a wrong type there is reported with its position;
// the cells are read leniently, because versions 1 and 2 and their variants differ there.

#[derive(Deserialize)]
#[serde(expecting = "a Threat Dragon model (an object with \"summary\" and \"detail\")")]
struct RawModel {
    #[serde(default)]
    summary: Option<RawSummary>,
    detail: RawDetail,
}

#[derive(Deserialize, Default)]
#[serde(default, expecting = "the model's summary (an object)")]
struct RawSummary {
    title: Option<String>,
    description: Option<String>,
    owner: Option<String>,
}

#[derive(Deserialize)]
#[serde(expecting = "the model's detail (an object with \"diagrams\")")]
struct RawDetail {
    #[serde(default)]
    diagrams: Vec<RawDiagram>,
    #[serde(default)]
    contributors: Vec<Value>,
    #[serde(default)]
    reviewer: Option<Value>,
}

#[derive(Deserialize)]
#[serde(expecting = "a diagram (an object)")]
struct RawDiagram {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
    /// Version 2.
    #[serde(default)]
    cells: Option<Vec<Value>>,
    /// Version 1.
    #[serde(default, rename = "diagramJson")]
    diagram_json: Option<RawDiagramJson>,
}

#[derive(Deserialize)]
#[serde(expecting = "the diagram's drawing (an object with \"cells\")")]
struct RawDiagramJson {
    #[serde(default)]
    cells: Vec<Value>,
}

/// Reads a Threat Dragon model (JSON, version 2 or 1) and makes a session of it.
pub fn import(bytes: &[u8]) -> Result<Imported, ImportError> {
    if bytes.len() > MAX_MODEL_BYTES {
        return Err(ImportError {
            line: 1,
            column: 1,
            message: format!(
                "file is {} MB; Threat Dragon models are limited to {} MB here",
                bytes.len() / (1024 * 1024),
                MAX_MODEL_BYTES / (1024 * 1024)
            ),
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let raw: RawModel = serde_json::from_slice(bytes).map_err(|e| json_error(bytes, &e))?;
    let mut importer = Importer {
        session: Session::new(String::new()),
        warnings: Vec::new(),
        element_ids: IdSet::default(),
        boundary_ids: IdSet::default(),
        flows_without_auth: 0,
        curves_seen: 0,
        boxes_seen: 0,
        context: String::new(),
        threat_suffixes: HashSet::new(),
        unnamed_threats: HashMap::new(),
    };
    importer.model(raw);
    Ok(Imported {
        session: importer.session,
        warnings: importer.warnings,
    })
}

/// serde_json's position, with the column counted in characters rather than bytes.
fn json_error(bytes: &[u8], err: &serde_json::Error) -> ImportError {
    let (line, column, message) = crate::store::json_error_position(bytes, err);
    let what = match err.classify() {
        serde_json::error::Category::Data => "not a Threat Dragon model",
        _ => "invalid JSON",
    };
    ImportError {
        line,
        column,
        message: format!("{what}: {message}"),
    }
}

// ----------------------------------------------------------------------------------------------
// Text

/// Text for a one-line field: line breaks, tabs and runs of spaces become one space; any other
/// control or direction-changing character is kept as a visible escape. Also says whether
/// anything had to be escaped.
fn one_line(raw: &str) -> (String, bool) {
    let collapsed = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let escaped = escape_control(&collapsed);
    let changed = escaped != collapsed;
    (escaped.into_owned(), changed)
}

/// Text for a notes field: line breaks are kept, tabs become spaces, other control characters
/// become visible escapes.
fn multi_line(raw: &str) -> (String, bool) {
    let normalized = raw.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(normalized.len());
    let mut changed = false;
    let mut buf = [0u8; 4];
    for c in normalized.chars() {
        match c {
            '\n' => out.push('\n'),
            '\t' => out.push(' '),
            c => {
                let s: &str = c.encode_utf8(&mut buf);
                let e = escape_control(s);
                changed |= e != s;
                out.push_str(&e);
            }
        }
    }
    (out.trim().to_string(), changed)
}

/// `"A"`, `"A" and "B"`, `"A", "B" and 3 more`.
fn quoted_list(items: &[String], max: usize) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("\"{s}\"")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        _ if quoted.len() > max => format!(
            "{} and {} more",
            quoted[..max].join(", "),
            quoted.len() - max
        ),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// At most `max` characters, with an ellipsis when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{}…", cut.trim_end())
}

/// A lowercase key for matching Threat Dragon's words: no spaces, dashes or underscores.
fn key(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '_'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn push_paragraph(notes: &mut String, text: &str) {
    if text.is_empty() {
        return;
    }
    if !notes.is_empty() {
        notes.push('\n');
    }
    notes.push_str(text);
}

// ----------------------------------------------------------------------------------------------
// JSON access

static NULL: Value = Value::Null;

fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(*k))
}

fn text_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(v, path)?.as_str().filter(|s| !s.trim().is_empty())
}

fn flag(v: &Value, name: &str) -> bool {
    v.get(name).and_then(Value::as_bool).unwrap_or(false)
}

/// A string or a number, as text.
fn scalar_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn point(v: &Value) -> Option<Point> {
    let x = v.get("x")?.as_f64()?;
    let y = v.get("y")?.as_f64()?;
    (x.is_finite() && y.is_finite()).then_some(Point { x, y })
}

fn rect(cell: &Value) -> Option<Rect> {
    let p = point(cell.get("position")?)?;
    let size = cell.get("size")?;
    let w = size.get("width")?.as_f64()?;
    let h = size.get("height")?.as_f64()?;
    (w.is_finite() && h.is_finite()).then_some(Rect {
        x: p.x,
        y: p.y,
        w: w.abs(),
        h: h.abs(),
    })
}

/// A drawn line's bends; `None` when there are more than [`MAX_VERTICES`], which no diagram drawn by
/// hand has, and which would make the crossing tests slow.
fn vertices(cell: &Value) -> Option<Vec<Point>> {
    match cell.get("vertices").and_then(Value::as_array) {
        Some(vs) if vs.len() > MAX_VERTICES => None,
        Some(vs) => Some(vs.iter().filter_map(point).collect()),
        None => Some(Vec::new()),
    }
}

/// The text shown for a cell: its name property, the text in its shape, or its first label.
fn raw_name<'a>(cell: &'a Value, props: &'a Value) -> Option<&'a str> {
    text_at(props, &["name"])
        .or_else(|| text_at(cell, &["attrs", "text", "text"]))
        .or_else(|| text_at(cell, &["attrs", "label", "text"]))
        .or_else(|| {
            cell.get("labels")?.as_array()?.iter().find_map(|l| {
                text_at(l, &["attrs", "labelText", "text"])
                    .or_else(|| text_at(l, &["attrs", "text", "text"]))
                    .or_else(|| l.as_str().filter(|s| !s.trim().is_empty()))
            })
        })
}

// ----------------------------------------------------------------------------------------------
// Geometry

#[derive(Debug, Clone, Copy, PartialEq)]
struct Point {
    x: f64,
    y: f64,
}

impl Point {
    fn minus(self, o: Point) -> Point {
        Point {
            x: self.x - o.x,
            y: self.y - o.y,
        }
    }
}

fn cross(a: Point, b: Point) -> f64 {
    a.x * b.y - a.y * b.x
}

fn dot(a: Point, b: Point) -> f64 {
    a.x * b.x + a.y * b.y
}

#[derive(Debug, Clone, Copy)]
struct Rect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

impl Rect {
    fn centre(&self) -> Point {
        Point {
            x: self.x + self.w / 2.0,
            y: self.y + self.h / 2.0,
        }
    }

    /// Whether `inner` lies entirely inside: Threat Dragon's own test for an element inside a
    /// trust boundary box (an element straddling the edge is outside).
    fn contains_rect(&self, inner: &Rect) -> bool {
        inner.x >= self.x
            && inner.y >= self.y
            && inner.x + inner.w <= self.x + self.w
            && inner.y + inner.h <= self.y + self.h
    }

    fn area(&self) -> f64 {
        self.w * self.h
    }

    fn distance(&self, p: Point) -> f64 {
        let dx = (self.x - p.x).max(p.x - (self.x + self.w)).max(0.0);
        let dy = (self.y - p.y).max(p.y - (self.y + self.h)).max(0.0);
        dx.hypot(dy)
    }
}

/// How a flow's drawn line meets a curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Crossing {
    /// How many times the lines intersect.
    count: usize,
    /// The side (+1, -1) of the curve the flow starts on, seen at its first intersection.
    source_side: i8,
}

/// Where polyline `flow` meets polyline `curve`. Each segment includes its start but not its end
/// (except the last), so a crossing at a shared vertex counts once.
fn crossings(flow: &[Point], curve: &[Point]) -> Crossing {
    let mut result = Crossing {
        count: 0,
        source_side: 1,
    };
    if flow.len() < 2 || curve.len() < 2 {
        return result;
    }
    let (last_a, last_b) = (flow.len() - 2, curve.len() - 2);
    // The first intersection along the flow: (segment, position on it).
    let mut first: Option<(usize, f64)> = None;
    for i in 0..=last_a {
        for j in 0..=last_b {
            let r = flow[i + 1].minus(flow[i]);
            let s = curve[j + 1].minus(curve[j]);
            let denom = cross(r, s);
            if denom.abs() < 1e-12 {
                continue; // parallel: touching along a line is not crossing
            }
            let qp = curve[j].minus(flow[i]);
            let t = cross(qp, s) / denom;
            let u = cross(qp, r) / denom;
            let t_ok = t >= 0.0 && (t < 1.0 || (i == last_a && t <= 1.0));
            let u_ok = u >= 0.0 && (u < 1.0 || (j == last_b && u <= 1.0));
            if !(t_ok && u_ok) {
                continue;
            }
            result.count += 1;
            if first.is_none_or(|(fi, ft)| (i, t) < (fi, ft)) {
                first = Some((i, t));
                // The flow's side before it meets this segment of the curve.
                let before = cross(s, flow[i].minus(curve[j]));
                let after = cross(s, flow[i + 1].minus(curve[j]));
                result.source_side = if before > 0.0 || (before == 0.0 && after < 0.0) {
                    1
                } else {
                    -1
                };
            }
        }
    }
    result
}

/// Which side (+1 or -1) of a curve a point is on, the curve extended straight beyond its ends so
/// that it divides the whole plane: the side of the nearest part of the curve. `None` if the curve
/// has no length.
fn side_of(line: &[Point], q: Point) -> Option<i8> {
    if line.len() < 2 {
        return None;
    }
    let last = line.len() - 2;
    let seg = |i: usize| line[i + 1].minus(line[i]);
    let mut best: Option<(f64, usize, f64)> = None;
    for (i, pair) in line.windows(2).enumerate() {
        let (start, d) = (pair[0], pair[1].minus(pair[0]));
        let len2 = dot(d, d);
        if len2 == 0.0 {
            continue;
        }
        let lo = if i == 0 { f64::NEG_INFINITY } else { 0.0 };
        let hi = if i == last { f64::INFINITY } else { 1.0 };
        let t = (dot(q.minus(start), d) / len2).clamp(lo, hi);
        let nearest = Point {
            x: start.x + d.x * t,
            y: start.y + d.y * t,
        };
        let off = q.minus(nearest);
        let dist = dot(off, off);
        if best.is_none_or(|(b, _, _)| dist < b) {
            best = Some((dist, i, t));
        }
    }
    let (_, i, t) = best?;
    let vertex = if t <= 0.0 && i > 0 {
        Some(i)
    } else if t >= 1.0 && i < last {
        Some(i + 1)
    } else {
        None
    };
    let value = match vertex {
        // Nearest to a corner: the point is outside the corner, on the side it turns away from.
        Some(v) => {
            let turn = cross(seg(v - 1), seg(v));
            if turn > 0.0 {
                -1.0
            } else if turn < 0.0 {
                1.0
            } else {
                cross(seg(i), q.minus(line[i]))
            }
        }
        None => cross(seg(i), q.minus(line[i])),
    };
    Some(if value >= 0.0 { 1 } else { -1 })
}

// ----------------------------------------------------------------------------------------------
// Cells

#[derive(Debug, Clone, PartialEq, Eq)]
enum Shape {
    Process,
    Store,
    Actor,
    Flow,
    BoundaryBox,
    BoundaryCurve,
    Text,
    Unknown(String),
}

impl Shape {
    fn of(cell: &Value) -> Shape {
        let from_type = |t: &str| match t {
            "tm.Process" => Some(Shape::Process),
            "tm.Store" => Some(Shape::Store),
            "tm.Actor" => Some(Shape::Actor),
            "tm.Flow" => Some(Shape::Flow),
            "tm.BoundaryBox" => Some(Shape::BoundaryBox),
            "tm.Boundary" => Some(Shape::BoundaryCurve),
            "tm.Text" => Some(Shape::Text),
            _ => None,
        };
        let data_type = text_at(cell, &["data", "type"]);
        let v1_type = text_at(cell, &["type"]);
        if let Some(shape) = text_at(cell, &["shape"]) {
            return match shape {
                "process" => Shape::Process,
                "store" => Shape::Store,
                "actor" => Shape::Actor,
                "flow" => Shape::Flow,
                "trust-boundary-box" => Shape::BoundaryBox,
                // Threat Dragon 2.0 misspelt the curve's shape; later versions read both.
                "trust-boundary-curve" | "trust-broundary-curve" => Shape::BoundaryCurve,
                "td-text-block" => Shape::Text,
                other => data_type
                    .and_then(from_type)
                    .unwrap_or_else(|| Shape::Unknown(other.to_string())),
            };
        }
        match data_type.or(v1_type) {
            Some(t) => from_type(t).unwrap_or_else(|| Shape::Unknown(t.to_string())),
            None => Shape::Unknown(String::new()),
        }
    }

    fn component_kind(&self) -> Option<ComponentKind> {
        match self {
            Shape::Process => Some(ComponentKind::Process),
            Shape::Store => Some(ComponentKind::DataStore),
            Shape::Actor => Some(ComponentKind::ExternalEntity),
            _ => None,
        }
    }

    /// How a message names a cell of this shape.
    fn noun(&self) -> String {
        match self {
            Shape::Process => "process".into(),
            Shape::Store => "data store".into(),
            Shape::Actor => "actor".into(),
            Shape::Flow => "data flow".into(),
            Shape::BoundaryBox => "trust boundary box".into(),
            Shape::BoundaryCurve => "trust boundary curve".into(),
            Shape::Text => "text block".into(),
            Shape::Unknown(s) if s.is_empty() => "cell without a shape".into(),
            Shape::Unknown(s) => format!("cell of shape \"{}\"", one_line(s).0),
        }
    }
}

/// One cell of a diagram, whichever version wrote it.
struct Cell<'a> {
    value: &'a Value,
    /// The object holding the element's properties: `data` in version 2, the cell in version 1.
    props: &'a Value,
    id: Option<&'a str>,
    shape: Shape,
}

impl<'a> Cell<'a> {
    fn new(value: &'a Value) -> Self {
        let props = match value.get("data") {
            Some(data) if data.is_object() => data,
            _ if value.get("shape").is_some() => &NULL,
            _ => value,
        };
        Cell {
            value,
            props,
            id: value.get("id").and_then(Value::as_str),
            shape: Shape::of(value),
        }
    }

    fn threats(&self) -> &'a [Value] {
        self.props
            .get("threats")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }
}

/// A flow or curve end as written: attached to a cell, or a loose point.
enum End<'a> {
    Cell(&'a str),
    Point(Point),
}

fn end_of<'a>(cell: &'a Value, which: &str) -> Option<End<'a>> {
    let end = cell.get(which)?;
    if let Some(id) = end
        .get("cell")
        .or_else(|| end.get("id"))
        .and_then(Value::as_str)
    {
        return Some(End::Cell(id));
    }
    point(end).map(End::Point)
}

// ----------------------------------------------------------------------------------------------
// The import

/// A component of the diagram being imported.
struct Node {
    /// Index into `session.components`.
    component: usize,
    /// The cell (index) the file says it is embedded in, if any.
    saved_parent: Option<usize>,
    rect: Option<Rect>,
    external: bool,
}

/// A flow of the diagram being imported.
struct Edge {
    /// Index into `session.flows`.
    flow: usize,
    from: usize,
    to: usize,
    /// The drawn line: its ends and vertices, when all are known.
    line: Option<Vec<Point>>,
}

enum Region {
    Box(Rect),
    Curve {
        line: Vec<Point>,
        side: i8,
        /// Edges (indices into the diagram's edges) whose drawn line meets the curve.
        crossing: Vec<usize>,
    },
}

/// A trust boundary of the diagram, before it gets its id.
struct Draft {
    name: String,
    notes: String,
    region: Region,
    /// Node indices.
    members: BTreeSet<usize>,
    order: usize,
    /// The cell it was made from, and the cell the file says it is embedded in.
    cell: usize,
    saved_parent: Option<usize>,
}

impl Draft {
    fn area(&self) -> f64 {
        match &self.region {
            Region::Box(r) => r.area(),
            Region::Curve { .. } => f64::INFINITY,
        }
    }

    /// Larger in the order boundaries nest by: components held, then area, then file order.
    fn outranks(&self, other: &Draft) -> bool {
        smaller(other, self)
    }

    /// Whether `inner` (draft number `inner_at`) nests inside this one (number `at`); boxes nest
    /// as `box_ancestors` says.
    fn holds(
        &self,
        at: usize,
        inner: &Draft,
        inner_at: usize,
        box_ancestors: &[Vec<usize>],
    ) -> bool {
        let nested = match (&self.region, &inner.region) {
            // Already acyclic, and saved nesting need not follow the sizes.
            (Region::Box(_), Region::Box(_)) => return box_ancestors[inner_at].contains(&at),
            (Region::Curve { line, side, .. }, Region::Box(b)) if inner.members.is_empty() => {
                side_of(line, b.centre()) == Some(*side)
            }
            _ => !inner.members.is_empty() && inner.members.is_subset(&self.members),
        };
        nested && self.outranks(inner)
    }
}

/// Whether `a` comes before `b` in the order boundaries nest by: components held, then area
/// (a curve's is unbounded), then file order. A strict total order, so nesting has no cycles.
fn smaller(a: &Draft, b: &Draft) -> bool {
    a.members
        .len()
        .cmp(&b.members.len())
        .then(a.area().total_cmp(&b.area()))
        .then(a.order.cmp(&b.order))
        .is_lt()
}

/// What a threat is attached to.
struct Target {
    id: ElementId,
    /// The Threat Dragon cell's id (empty when it has none).
    cell_id: String,
    /// "component \"Database\"" or "flow \"Queries\"".
    described: String,
}

struct Importer {
    session: Session,
    warnings: Vec<String>,
    element_ids: IdSet,
    boundary_ids: IdSet,
    /// Flows imported without any authentication property.
    flows_without_auth: usize,
    /// Counts every curve and box of the model, to name unnamed ones.
    curves_seen: usize,
    boxes_seen: usize,
    /// Prefix for messages: the diagram, when the model has several.
    context: String,
    /// The stable parts of threat ids handed out, to tell apart two threats that share one.
    threat_suffixes: HashSet<String>,
    /// Threats without an id, by element and title: how many were seen.
    unnamed_threats: HashMap<String, usize>,
}

/// Ids in use in one namespace, handing out new ones.
#[derive(Default)]
struct IdSet {
    used: HashSet<String>,
    /// The next suffix to try per base, so that many equal names stay linear.
    next: HashMap<String, usize>,
}

impl IdSet {
    /// An id from `raw`'s slug (or `fallback`), made unique with `-2`, `-3`...
    fn unique(&mut self, raw: &str, fallback: &str) -> String {
        let mut base = slugify(raw);
        if base.is_empty() {
            base = slugify(fallback);
        }
        // Leave room for a suffix within the 64 characters an id may have.
        if base.len() > 56 {
            base.truncate(56);
            while base.ends_with('-') {
                base.pop();
            }
        }
        let mut id = base.clone();
        let n = self.next.entry(base.clone()).or_insert(2);
        while self.used.contains(&id) {
            id = format!("{base}-{n}");
            *n += 1;
        }
        self.used.insert(id.clone());
        id
    }
}

impl Importer {
    fn warn(&mut self, message: impl AsRef<str>) {
        self.warnings
            .push(format!("{}{}", self.context, message.as_ref()));
    }

    fn model(&mut self, raw: RawModel) {
        let summary = raw.summary.unwrap_or_default();
        let (title, escaped) = one_line(summary.title.as_deref().unwrap_or(""));
        self.session.title = if title.is_empty() {
            self.warn("the model has no title (summary.title); the session is titled \"Imported Threat Dragon model\"");
            "Imported Threat Dragon model".to_string()
        } else {
            title
        };
        if escaped {
            self.warn(format!(
                "the model's title contains control characters; they are kept as visible escapes: \"{}\"",
                self.session.title
            ));
        }
        let (description, escaped) = multi_line(summary.description.as_deref().unwrap_or(""));
        if escaped {
            self.warn("the model's description contains control characters; they are kept as visible escapes");
        }
        self.session.description = description;
        self.people(&summary, &raw.detail);

        let diagrams = raw.detail.diagrams;
        if diagrams.is_empty() {
            self.warn("the model has no diagrams: the session has a title and nothing else");
        }
        if diagrams.len() > 1 {
            let titles: Vec<String> = diagrams
                .iter()
                .map(|d| one_line(d.title.as_deref().unwrap_or("")).0)
                .collect();
            self.warn(format!(
                "the model has {} diagrams ({}); they are merged into one session",
                diagrams.len(),
                quoted_list(&titles, 6)
            ));
        }
        let several = diagrams.len() > 1;
        for (i, diagram) in diagrams.iter().enumerate() {
            let (title, _) = one_line(diagram.title.as_deref().unwrap_or(""));
            self.context = if several {
                if title.is_empty() {
                    format!("diagram {}: ", i + 1)
                } else {
                    format!("diagram \"{title}\": ")
                }
            } else {
                String::new()
            };
            if let Some(text) = diagram.description.as_deref() {
                let (text, _) = multi_line(text);
                if !text.is_empty() {
                    let paragraph = if title.is_empty() {
                        format!("Diagram: {text}")
                    } else {
                        format!("Diagram \"{title}\": {text}")
                    };
                    if self.session.description.is_empty() {
                        self.session.description = paragraph;
                    } else {
                        self.session.description =
                            format!("{}\n\n{paragraph}", self.session.description);
                    }
                }
            }
            let cells: &[Value] = match (&diagram.cells, &diagram.diagram_json) {
                (Some(cells), _) => cells,
                (None, Some(json)) => &json.cells,
                (None, None) => &[],
            };
            self.diagram(cells);
        }
        self.context.clear();
        if self.flows_without_auth > 0 {
            let n = self.flows_without_auth;
            self.warn(format!(
                "Threat Dragon data flows have no authentication property: {n} flow{} imported with authentication unknown; set authenticated = true or false where it is known",
                if n == 1 { " is" } else { "s are" }
            ));
        }
    }

    fn people(&mut self, summary: &RawSummary, detail: &RawDetail) {
        let mut parts = Vec::new();
        if let Some(owner) = summary.owner.as_deref().filter(|s| !s.trim().is_empty()) {
            parts.push(format!("owner \"{}\"", one_line(owner).0));
        }
        if let Some(reviewer) = scalar_text(detail.reviewer.as_ref()) {
            parts.push(format!("reviewer \"{}\"", one_line(&reviewer).0));
        }
        let contributors: Vec<String> = detail
            .contributors
            .iter()
            .filter_map(|c| scalar_text(c.get("name")).or_else(|| scalar_text(Some(c))))
            .map(|c| one_line(&c).0)
            .collect();
        if !contributors.is_empty() {
            parts.push(format!("contributors {}", quoted_list(&contributors, 6)));
        }
        if !parts.is_empty() {
            self.warn(format!(
                "people are not imported ({}): a session names people in its runs, and an imported session has none yet",
                parts.join(", ")
            ));
        }
    }

    fn diagram(&mut self, values: &[Value]) {
        let cells: Vec<Cell<'_>> = values.iter().map(Cell::new).collect();
        let mut by_id: HashMap<&str, usize> = HashMap::new();
        for (i, cell) in cells.iter().enumerate() {
            if let Some(id) = cell.id {
                if by_id.contains_key(id) {
                    self.warn(format!(
                        "cell id \"{}\" is used twice; flows attached to it go to the first",
                        one_line(id).0
                    ));
                } else {
                    by_id.insert(id, i);
                }
            }
        }

        // Components first, so that flows can refer to them.
        let mut nodes: Vec<Node> = Vec::new();
        let mut node_of_cell: HashMap<usize, usize> = HashMap::new();
        let mut targets: HashMap<usize, Target> = HashMap::new();
        for (i, cell) in cells.iter().enumerate() {
            let Some(kind) = cell.shape.component_kind() else {
                continue;
            };
            let component = self.component(cell, kind);
            let c = &self.session.components[component];
            targets.insert(
                i,
                Target {
                    id: c.id.clone(),
                    cell_id: cell.id.unwrap_or("").to_string(),
                    described: format!("component \"{}\"", c.name),
                },
            );
            node_of_cell.insert(i, nodes.len());
            nodes.push(Node {
                component,
                saved_parent: saved_parent(cell.value).and_then(|id| by_id.get(id).copied()),
                rect: rect(cell.value),
                external: kind == ComponentKind::ExternalEntity,
            });
        }

        let mut edges: Vec<Edge> = Vec::new();
        for (i, cell) in cells.iter().enumerate() {
            if cell.shape != Shape::Flow {
                continue;
            }
            let imported = self.flow(cell, &cells, &by_id, &nodes, &node_of_cell);
            if let Some(edge) = imported.first() {
                let f = &self.session.flows[edge.flow];
                targets.insert(
                    i,
                    Target {
                        id: f.id.clone(),
                        cell_id: cell.id.unwrap_or("").to_string(),
                        described: format!("flow \"{}\"", f.label),
                    },
                );
            }
            edges.extend(imported);
        }

        let mut drafts: Vec<Draft> = Vec::new();
        for (at, cell) in cells.iter().enumerate() {
            match &cell.shape {
                Shape::BoundaryBox => {
                    self.boxes_seen += 1;
                    if let Some(d) = self.boundary_box(cell, at, &by_id, &nodes, drafts.len()) {
                        drafts.push(d);
                    }
                }
                Shape::BoundaryCurve => {
                    self.curves_seen += 1;
                    if let Some(d) = self.curve(cell, &cells, &by_id, &nodes, &edges, drafts.len())
                    {
                        drafts.push(Draft { cell: at, ..d });
                    }
                }
                Shape::Text => {
                    let text = raw_name(cell.value, cell.props).unwrap_or("");
                    self.warn(format!(
                        "text block \"{}\" is not imported: a session has no free text on its diagram",
                        shorten(&one_line(text).0, 60)
                    ));
                }
                Shape::Unknown(_) => {
                    let name = raw_name(cell.value, cell.props)
                        .map(|n| format!(" \"{}\"", shorten(&one_line(n).0, 60)))
                        .unwrap_or_default();
                    self.warn(format!(
                        "{}{name} is not imported: threatboard knows processes, data stores, actors, data flows and trust boundaries",
                        cell.shape.noun()
                    ));
                }
                _ => {}
            }
        }
        if !drafts.is_empty() {
            for node in &nodes {
                if node.rect.is_none() {
                    let name = self.session.components[node.component].name.clone();
                    self.warn(format!(
                        "component \"{name}\" has no position or size; it is not placed in any trust boundary"
                    ));
                }
            }
        }
        self.boundaries(drafts, &nodes, &edges);

        // Threats, in the order of the file.
        for (i, cell) in cells.iter().enumerate() {
            let threats = cell.threats();
            if threats.is_empty() {
                continue;
            }
            match targets.get(&i) {
                Some(target) => {
                    for t in threats {
                        self.threat(t, target);
                    }
                }
                // Flows that could not be imported reported their threats already.
                None if cell.shape == Shape::Flow => {}
                None => {
                    let name = raw_name(cell.value, cell.props)
                        .map(|n| format!(" \"{}\"", shorten(&one_line(n).0, 60)))
                        .unwrap_or_default();
                    let titles = threat_titles(threats);
                    let n = threats.len();
                    self.warn(format!(
                        "{n} threat{} on {}{name} {} not imported ({}): threatboard threats target a component or a flow",
                        if n == 1 { "" } else { "s" },
                        cell.shape.noun(),
                        if n == 1 { "is" } else { "are" },
                        quoted_list(&titles, 5)
                    ));
                }
            }
        }
    }

    /// The stable part of a threat's id (`TH-td-…`, `MI-td-…`): from Threat Dragon's threat id,
    /// which survives edits in Threat Dragon, so a re-import maps every threat onto the id it had
    /// before. Version 1 threats have no id: the element's cell id and the title stand in (the
    /// same title twice on one element is told apart by its order). The `td-` keeps these ids
    /// from being read as numbers when the team adds `TH-NNN` threats of its own.
    fn threat_suffix(&mut self, source: Option<&str>, target: &Target, title: &str) -> String {
        let base = match source {
            Some(source) => format!("td-{}", suffix_of(source)),
            None => {
                let key = format!("{}\u{0}{title}", target.cell_id);
                let n = self.unnamed_threats.entry(key.clone()).or_insert(0);
                *n += 1;
                format!("td-{}", suffix_of(&format!("{key}\u{0}{n}")))
            }
        };
        let mut suffix = base.clone();
        let mut n = 2;
        while !self.threat_suffixes.insert(suffix.clone()) {
            suffix = format!("{base}-{n}");
            n += 1;
        }
        suffix
    }

    /// Adds a component; returns its index.
    fn component(&mut self, cell: &Cell<'_>, kind: ComponentKind) -> usize {
        let raw = raw_name(cell.value, cell.props).unwrap_or("");
        let (mut name, escaped) = one_line(raw);
        let noun = cell.shape.noun();
        if name.is_empty() {
            name = format!("Unnamed {noun}");
            self.warn(format!(
                "a {noun} has no name; it is imported as \"{name}\""
            ));
        }
        if escaped {
            self.warn(format!(
                "{noun} \"{name}\": its name contains control characters; they are kept as visible escapes"
            ));
        }
        let id = self.element_ids.unique(raw, kind.as_str());
        let p = cell.props;
        let mut tags = Vec::new();
        for (property, tag) in [
            ("isALog", "logs"),
            ("storesCredentials", "stores-credentials"),
            ("storesInventory", "stores-inventory"),
            ("isEncrypted", "encrypted"),
            ("isSigned", "signed"),
            ("isWebApplication", "web-application"),
            ("handlesCardPayment", "card-payment"),
            ("handlesGoodsOrServices", "goods-or-services"),
            ("providesAuthentication", "provides-authentication"),
        ] {
            if flag(p, property) {
                tags.push(tag.to_string());
            }
        }
        let notes = self.element_notes(p, &format!("{noun} \"{name}\""));
        let out_of_scope = self.out_of_scope(p, &format!("{noun} \"{name}\""));
        self.session.components.push(Component {
            technology: None,
            not_applicable_reason: Default::default(),
            out_of_scope: out_of_scope.into(),
            dismissed: Default::default(),
            id: ElementId::new(id),
            name,
            kind,
            boundary: None,
            tags: tags.into(),
            assets: Vec::new(),
            not_applicable: StrideSet::empty(),
            notes: notes.into(),
        });
        self.session.components.len() - 1
    }

    /// Why a component or flow is out of scope: Threat Dragon's reason, or a stand-in when it
    /// gives none (the model takes a blank reason for in scope). Empty when in scope.
    fn out_of_scope(&mut self, p: &Value, described: &str) -> String {
        if !flag(p, "outOfScope") {
            return String::new();
        }
        let (reason, escaped) = multi_line(text_at(p, &["reasonOutOfScope"]).unwrap_or(""));
        if escaped {
            self.warn(format!(
                "{described}: its reason for being out of scope contains control characters; they are kept as visible escapes"
            ));
        }
        if reason.is_empty() {
            "out of scope in Threat Dragon".to_string()
        } else {
            reason
        }
    }

    /// Notes for a component or flow: description, privilege level.
    fn element_notes(&mut self, p: &Value, described: &str) -> String {
        let mut notes = String::new();
        let mut escaped = false;
        if let Some(d) = text_at(p, &["description"]) {
            let (d, e) = multi_line(d);
            escaped |= e;
            push_paragraph(&mut notes, &d);
        }
        if let Some(level) = text_at(p, &["privilegeLevel"]) {
            let (level, e) = one_line(level);
            escaped |= e;
            push_paragraph(&mut notes, &format!("Privilege level: {level}"));
        }
        if escaped {
            self.warn(format!(
                "{described}: its description contains control characters; they are kept as visible escapes"
            ));
        }
        notes
    }

    /// Adds a flow (two for a bidirectional one, the drawn direction first), or reports why it
    /// cannot be imported.
    fn flow(
        &mut self,
        cell: &Cell<'_>,
        cells: &[Cell<'_>],
        by_id: &HashMap<&str, usize>,
        nodes: &[Node],
        node_of_cell: &HashMap<usize, usize>,
    ) -> Vec<Edge> {
        let raw = raw_name(cell.value, cell.props).unwrap_or("");
        let (label, escaped) = one_line(raw);
        let shown = if label.is_empty() {
            "(unnamed)".to_string()
        } else {
            format!("\"{label}\"")
        };
        let mut ends = Vec::new();
        let mut problems = Vec::new();
        let mut attached = Vec::new();
        for (which, word) in [("source", "source"), ("target", "target")] {
            match self.flow_end(end_of(cell.value, which), cells, by_id, nodes, node_of_cell) {
                Ok((node, at, snapped)) => {
                    if let Some(distance) = snapped {
                        let name = &self.session.components[nodes[node].component].name;
                        attached.push(if distance == 0.0 {
                            format!(
                                "its {word} is not attached to any element but ends inside \"{name}\"; it is attached to it"
                            )
                        } else { format!(
                            "its {word} is not attached to any element; it is attached to \"{name}\", the nearest component ({distance:.0} units away)"
                        )});
                    }
                    ends.push((node, at));
                }
                Err(reason) => problems.push(format!("its {word} {reason}")),
            }
        }
        if !problems.is_empty() || ends.len() != 2 {
            let threats = cell.threats();
            let dropped = if threats.is_empty() {
                String::new()
            } else {
                format!(
                    "; its {} threat{} not imported either: {}",
                    threats.len(),
                    if threats.len() == 1 { " is" } else { "s are" },
                    quoted_list(&threat_titles(threats), 5)
                )
            };
            self.warn(format!(
                "data flow {shown} is not imported: {}{dropped}",
                problems.join(" and ")
            ));
            return Vec::new();
        }
        let (from, from_at) = ends[0];
        let (to, to_at) = ends[1];
        let from_c = &self.session.components[nodes[from].component];
        let to_c = &self.session.components[nodes[to].component];
        let (from_id, to_id) = (from_c.id.clone(), to_c.id.clone());
        let label = if label.is_empty() {
            format!("{} to {}", from_c.name, to_c.name)
        } else {
            label
        };
        let fallback = format!("{from_id}-{to_id}");
        let id = self.element_ids.unique(raw, &fallback);
        for a in attached {
            self.warn(format!("data flow \"{label}\": {a}"));
        }
        if escaped {
            self.warn(format!(
                "data flow \"{label}\": its name contains control characters; they are kept as visible escapes"
            ));
        }
        let p = cell.props;
        let (protocol, protocol_escaped) = one_line(text_at(p, &["protocol"]).unwrap_or(""));
        if protocol_escaped {
            self.warn(format!(
                "data flow \"{label}\": its protocol contains control characters; they are kept as visible escapes"
            ));
        }
        let authenticated = ["isAuthenticated", "authenticated", "authenticatesSource"]
            .iter()
            .find_map(|k| p.get(*k).and_then(Value::as_bool));
        if authenticated.is_none() {
            self.flows_without_auth += 1;
        }
        let mut tags = Vec::new();
        if flag(p, "isPublicNetwork") {
            tags.push("public-network".to_string());
        }
        let bidirectional = flag(p, "isBidirectional");
        if bidirectional {
            tags.push("bidirectional".to_string());
        }
        let notes = self.element_notes(p, &format!("data flow \"{label}\""));
        let out_of_scope = self.out_of_scope(p, &format!("data flow \"{label}\""));
        let bends = vertices(cell.value);
        if bends.is_none() {
            self.warn(format!(
                "data flow \"{label}\" has more than {MAX_VERTICES} bends; whether it crosses a trust boundary curve is not worked out"
            ));
        }
        let line = match (from_at, to_at, bends) {
            (Some(a), Some(b), Some(bends)) => {
                let mut line = vec![a];
                line.extend(bends);
                line.push(b);
                Some(line)
            }
            _ => None,
        };
        let forward = Flow {
            not_applicable_reason: Default::default(),
            out_of_scope: out_of_scope.into(),
            dismissed: Default::default(),
            id: ElementId::new(id),
            from: from_id,
            to: to_id,
            label: label.into(),
            protocol: protocol.into(),
            assets: Vec::new(),
            // Unknown stays unknown: "no" would fail `check` on every crossing flow.
            authenticated,
            encrypted: p.get("isEncrypted").and_then(Value::as_bool),
            tags: tags.into(),
            not_applicable: StrideSet::empty(),
            notes: notes.into(),
        };
        let mut edges = Vec::new();
        // threatboard flows go one way: a bidirectional flow is two, so that both directions
        // are analysed (a crossing back is a crossing too).
        let reverse = bidirectional.then(|| {
            let label = format!("{} (reverse)", forward.label);
            let fallback = format!("{}-{}", forward.to, forward.from);
            let id = self.element_ids.unique(&label, &fallback);
            let mut notes = format!(
                "The way back of the bidirectional Threat Dragon data flow \"{}\"; its threats are on that flow.",
                forward.label
            );
            push_paragraph(&mut notes, &forward.notes);
            Flow {
                id: ElementId::new(id),
                from: forward.to.clone(),
                to: forward.from.clone(),
                label: label.into(),
                notes: notes.into(),
                ..forward.clone()
            }
        });
        if let Some(back) = &reverse {
            self.warn(format!(
                "data flow \"{}\" is bidirectional in Threat Dragon; threatboard flows go one way, so it is imported as two flows, \"{}\" and \"{}\" (its threats are on the first)",
                forward.label, forward.label, back.label
            ));
        }
        self.session.flows.push(forward);
        edges.push(Edge {
            flow: self.session.flows.len() - 1,
            from,
            to,
            line: line.clone(),
        });
        if let Some(back) = reverse {
            self.session.flows.push(back);
            edges.push(Edge {
                flow: self.session.flows.len() - 1,
                from: to,
                to: from,
                line: line.map(|mut l| {
                    l.reverse();
                    l
                }),
            });
        }
        edges
    }

    /// The node a flow end is attached to, where the drawn line ends, and how far a loose end
    /// was moved to reach a component.
    fn flow_end(
        &self,
        end: Option<End<'_>>,
        cells: &[Cell<'_>],
        by_id: &HashMap<&str, usize>,
        nodes: &[Node],
        node_of_cell: &HashMap<usize, usize>,
    ) -> Result<(usize, Option<Point>, Option<f64>), String> {
        match end {
            None => Err("is missing".to_string()),
            Some(End::Cell(id)) => {
                let Some(&cell) = by_id.get(id) else {
                    return Err(format!(
                        "refers to \"{}\", which is not in the diagram",
                        one_line(id).0
                    ));
                };
                match node_of_cell.get(&cell) {
                    Some(&node) => Ok((node, nodes[node].rect.map(|r| r.centre()), None)),
                    None => Err(format!(
                        "is a {}, not a process, data store or actor",
                        cells[cell].shape.noun()
                    )),
                }
            }
            Some(End::Point(p)) => nodes
                .iter()
                .enumerate()
                .filter_map(|(i, n)| Some((i, n.rect?.distance(p))))
                .filter(|(_, d)| *d <= SNAP_DISTANCE)
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(i, d)| (i, Some(p), Some(d)))
                .ok_or_else(|| {
                    "is not attached to any element, and no component is near its end".to_string()
                }),
        }
    }

    fn boundary_name(&mut self, cell: &Cell<'_>, fallback: String) -> String {
        let (name, escaped) = one_line(raw_name(cell.value, cell.props).unwrap_or(""));
        if name.is_empty() {
            return fallback;
        }
        if escaped {
            self.warn(format!(
                "trust boundary \"{name}\": its name contains control characters; they are kept as visible escapes"
            ));
        }
        name
    }

    fn boundary_notes(&mut self, cell: &Cell<'_>, name: &str) -> String {
        let (notes, escaped) = multi_line(text_at(cell.props, &["description"]).unwrap_or(""));
        if escaped {
            self.warn(format!(
                "trust boundary \"{name}\": its description contains control characters; they are kept as visible escapes"
            ));
        }
        notes
    }

    fn boundary_box(
        &mut self,
        cell: &Cell<'_>,
        at: usize,
        by_id: &HashMap<&str, usize>,
        nodes: &[Node],
        order: usize,
    ) -> Option<Draft> {
        let name = self.boundary_name(cell, format!("Trust boundary box {}", self.boxes_seen));
        let notes = self.boundary_notes(cell, &name);
        let Some(r) = rect(cell.value) else {
            self.warn(format!(
                "trust boundary box \"{name}\" has no position or size; it is not imported"
            ));
            return None;
        };
        let members = nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.rect.is_some_and(|nr| r.contains_rect(&nr)))
            .map(|(i, _)| i)
            .collect();
        Some(Draft {
            name,
            notes,
            region: Region::Box(r),
            members,
            order,
            cell: at,
            saved_parent: saved_parent(cell.value).and_then(|id| by_id.get(id).copied()),
        })
    }

    fn curve(
        &mut self,
        cell: &Cell<'_>,
        cells: &[Cell<'_>],
        by_id: &HashMap<&str, usize>,
        nodes: &[Node],
        edges: &[Edge],
        order: usize,
    ) -> Option<Draft> {
        let name = self.boundary_name(cell, format!("Trust boundary curve {}", self.curves_seen));
        let mut notes = self.boundary_notes(cell, &name);
        let end_point = |end: Option<End<'_>>| match end? {
            End::Point(p) => Some(p),
            End::Cell(id) => rect(cells[*by_id.get(id)?].value).map(|r| r.centre()),
        };
        let mut line = Vec::new();
        if let Some(p) = end_point(end_of(cell.value, "source")) {
            line.push(p);
        }
        let Some(bends) = vertices(cell.value) else {
            self.warn(format!(
                "trust boundary curve \"{name}\" has more than {MAX_VERTICES} bends; it is not imported"
            ));
            return None;
        };
        line.extend(bends);
        if let Some(p) = end_point(end_of(cell.value, "target")) {
            line.push(p);
        }
        line.dedup();
        if line.len() < 2 {
            self.warn(format!(
                "trust boundary curve \"{name}\" has no drawn line; it is not imported"
            ));
            return None;
        }

        // Which flows cross it, and how.
        let meets: Vec<Option<Crossing>> = edges
            .iter()
            .map(|e| e.line.as_ref().map(|l| crossings(l, &line)))
            .collect();
        let crossing: Vec<usize> = meets
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_some_and(|c| c.count > 0))
            .map(|(i, _)| i)
            .collect();

        let (sides, disagreeing, ambiguous) = curve_sides(nodes, edges, &meets, &line);
        if !ambiguous.is_empty() {
            let names: Vec<String> = ambiguous
                .iter()
                .map(|&n| self.session.components[nodes[n].component].name.clone())
                .collect();
            self.warn(format!(
                "trust boundary curve \"{name}\": which side of it {} on is ambiguous (no flow joins {} to the rest of the diagram and {} beyond the curve's ends), so {} not put inside it: {}",
                if names.len() == 1 { "this component is" } else { "these components are" },
                if names.len() == 1 { "it" } else { "them" },
                if names.len() == 1 { "it lies" } else { "they lie" },
                if names.len() == 1 { "it is" } else { "they are" },
                quoted_list(&names, 8)
            ));
        }
        if !disagreeing.is_empty() {
            let described: Vec<String> = disagreeing
                .iter()
                .map(|&e| {
                    let flow = &self.session.flows[edges[e].flow];
                    let how = match meets[e].map_or(0, |c| c.count) {
                        0 => "joins its two sides without crossing it",
                        n if n % 2 == 1 => "crosses it but has both ends on one side",
                        _ => "crosses it and back, but joins its two sides",
                    };
                    format!("\"{}\" {how}", flow.label)
                })
                .collect();
            self.warn(format!(
                "trust boundary curve \"{name}\" does not separate the diagram cleanly; its sides were chosen to agree with as many flows as possible, and {} do{} not: {}",
                if described.len() == 1 { "this one" } else { "these" },
                if described.len() == 1 { "es" } else { "" },
                described.join("; ")
            ));
        }
        let plus: Vec<usize> = (0..nodes.len()).filter(|&i| sides[i] == Some(1)).collect();
        let minus: Vec<usize> = (0..nodes.len()).filter(|&i| sides[i] == Some(-1)).collect();
        let externals = |set: &[usize]| set.iter().filter(|&&i| nodes[i].external).count();
        let (ext_plus, ext_minus) = (externals(&plus), externals(&minus));
        // A curve named for the outside ("Internet") is the zone of the external entities;
        // taking the other side would invert it.
        let outside_zone = names_the_outside(&name);
        let (take_plus, reason) = if plus.is_empty() || minus.is_empty() {
            (plus.is_empty(), "every component is on the other side")
        } else if (ext_plus == 0) != (ext_minus == 0) && outside_zone {
            (
                ext_plus > 0,
                "its name says it is the outside: the side with the external entities",
            )
        } else if (ext_plus == 0) != (ext_minus == 0) {
            (ext_plus == 0, "the side without external entities")
        } else if plus.len() != minus.len() {
            (plus.len() < minus.len(), "the side with fewer components")
        } else {
            (
                ext_plus <= ext_minus,
                "of two equal sides, the one with fewer external entities",
            )
        };
        let members: BTreeSet<usize> = if take_plus { plus } else { minus }.into_iter().collect();
        let side = if take_plus { 1 } else { -1 };

        let crossing_labels: Vec<String> = crossing
            .iter()
            .map(|&e| self.session.flows[edges[e].flow].label.to_string())
            .collect();
        for &e in &crossing {
            let flow = &mut self.session.flows[edges[e].flow];
            if !flow.tags.iter().any(|t| t == "crosses-trust-boundary") {
                flow.tags.push("crosses-trust-boundary".to_string());
            }
            let note = format!("Crosses the Threat Dragon trust boundary curve \"{name}\".");
            push_paragraph(flow.notes.make_mut(), &note);
        }
        let member_names: Vec<String> = members
            .iter()
            .map(|&n| self.session.components[nodes[n].component].name.clone())
            .collect();
        push_paragraph(
            &mut notes,
            &format!(
                "Imported from a Threat Dragon trust boundary curve. threatboard boundaries hold components, so this one holds the components on one side of the curve ({reason})."
            ),
        );
        if !crossing_labels.is_empty() {
            push_paragraph(
                &mut notes,
                &format!(
                    "Flows that cross the curve in the drawing: {}.",
                    quoted_list(&crossing_labels, usize::MAX)
                ),
            );
        }
        self.warn(format!(
            "trust boundary curve \"{name}\" cannot hold components: it is imported as a boundary holding the {} component{} on one side of it ({reason}){}{}; flows crossing it: {}",
            members.len(),
            if members.len() == 1 { "" } else { "s" },
            if member_names.is_empty() { "" } else { ": " },
            quoted_list(&member_names, 8),
            if crossing_labels.is_empty() {
                "none".to_string()
            } else {
                quoted_list(&crossing_labels, 8)
            }
        ));
        Some(Draft {
            name,
            notes,
            region: Region::Curve {
                line,
                side,
                crossing,
            },
            members,
            order,
            // The caller knows the cell; curves have no saved parent.
            cell: usize::MAX,
            saved_parent: None,
        })
    }

    /// Nests the diagram's boundaries, puts each component in its innermost one, and adds them
    /// to the session.
    fn boundaries(&mut self, mut drafts: Vec<Draft>, nodes: &[Node], edges: &[Edge]) {
        if drafts.is_empty() {
            return;
        }
        let box_ancestors = box_nesting(&drafts);
        // Saved containment wins over the drawing: a component embedded in a box is in that box
        // and the boxes around it, and in no other box.
        let box_of_cell: HashMap<usize, usize> = drafts
            .iter()
            .enumerate()
            .filter(|(_, d)| matches!(d.region, Region::Box(_)))
            .map(|(i, d)| (d.cell, i))
            .collect();
        let saved_box: Vec<Option<usize>> = nodes
            .iter()
            .map(|n| n.saved_parent.and_then(|c| box_of_cell.get(&c).copied()))
            .collect();
        for (n, saved) in saved_box.iter().enumerate() {
            let Some(j) = *saved else { continue };
            for (d, draft) in drafts.iter_mut().enumerate() {
                if matches!(draft.region, Region::Box(_)) {
                    if d == j || box_ancestors[j].contains(&d) {
                        draft.members.insert(n);
                    } else {
                        draft.members.remove(&n);
                    }
                }
            }
        }
        let parent: Vec<Option<usize>> = drafts
            .iter()
            .enumerate()
            .map(|(inner_at, inner)| {
                drafts
                    .iter()
                    .enumerate()
                    .filter(|(at, outer)| outer.holds(*at, inner, inner_at, &box_ancestors))
                    .reduce(|a, b| if smaller(b.1, a.1) { b } else { a })
                    .map(|(i, _)| i)
            })
            .collect();
        let ids: Vec<String> = drafts
            .iter()
            .map(|d| self.boundary_ids.unique(&d.name, "boundary"))
            .collect();
        let ancestors = |mut b: usize| {
            let mut chain = vec![b];
            while let Some(p) = parent[b] {
                if chain.contains(&p) {
                    break;
                }
                chain.push(p);
                b = p;
            }
            chain
        };

        let mut assigned: Vec<Option<usize>> = vec![None; nodes.len()];
        for (n, node) in nodes.iter().enumerate() {
            let holding: Vec<usize> = (0..drafts.len())
                .filter(|&d| drafts[d].members.contains(&n))
                .collect();
            let Some(&inner) = saved_box[n].as_ref().or_else(|| {
                holding.iter().reduce(|a, b| {
                    if smaller(&drafts[*b], &drafts[*a]) {
                        b
                    } else {
                        a
                    }
                })
            }) else {
                continue;
            };
            assigned[n] = Some(inner);
            self.session.components[node.component].boundary =
                Some(BoundaryId::new(ids[inner].clone()));
            let chain = ancestors(inner);
            for d in holding.into_iter().filter(|d| !chain.contains(d)) {
                let name = self.session.components[node.component].name.clone();
                self.warn(format!(
                    "component \"{name}\" is inside both \"{}\" and \"{}\", which overlap without nesting; a component is in one boundary, so it is put in \"{}\" only",
                    drafts[inner].name, drafts[d].name, drafts[inner].name
                ));
            }
        }

        // A crossing drawn in Threat Dragon that the imported boundaries do not reproduce.
        for (d, draft) in drafts.iter().enumerate() {
            let Region::Curve { crossing, .. } = &draft.region else {
                continue;
            };
            for edge in crossing.iter().map(|&e| &edges[e]) {
                if assigned[edge.from] == assigned[edge.to] {
                    let label = self.session.flows[edge.flow].label.clone();
                    let place = match assigned[edge.from] {
                        Some(b) => format!("in boundary \"{}\"", drafts[b].name),
                        None => "outside every boundary".to_string(),
                    };
                    self.warn(format!(
                        "data flow \"{label}\" crosses trust boundary curve \"{}\" in the drawing, but both its ends are {place} after the import, so the analysis will not count it as crossing",
                        drafts[d].name
                    ));
                }
            }
        }

        for (d, draft) in drafts.into_iter().enumerate() {
            self.session.boundaries.push(Boundary {
                id: BoundaryId::new(ids[d].clone()),
                name: draft.name,
                parent: parent[d].map(|p| BoundaryId::new(ids[p].clone())),
                notes: draft.notes,
            });
        }
    }

    fn threat(&mut self, t: &Value, target: &Target) {
        if !t.is_object() {
            self.warn(format!(
                "a threat on {} is not an object; it is not imported",
                target.described
            ));
            return;
        }
        let (mut title, escaped) = one_line(text_at(t, &["title"]).unwrap_or(""));
        let source_id = scalar_text(t.get("id").or_else(|| t.get("threatId")));
        let suffix = self.threat_suffix(source_id.as_deref(), target, &title);
        let id = format!("TH-{suffix}");
        if title.is_empty() {
            title = "Untitled threat".to_string();
            self.warn(format!(
                "threat {id} on {} has no title; it is imported as \"{title}\"",
                target.described
            ));
        }
        if escaped {
            self.warn(format!(
                "threat {id} \"{title}\": its title contains control characters; they are kept as visible escapes"
            ));
        }
        let about = format!("threat {id} \"{title}\" on {}", target.described);
        let mut notes = String::new();
        let mut escaped = false;
        if let Some(d) = text_at(t, &["description"]) {
            let (d, e) = multi_line(d);
            escaped |= e;
            push_paragraph(&mut notes, &d);
        }

        // Type -> STRIDE.
        let (kind, _) = one_line(text_at(t, &["type"]).unwrap_or(""));
        let (model_type, _) = one_line(text_at(t, &["modelType"]).unwrap_or(""));
        // Elevation of Privilege / Cornucopia cards: the type is the game, the card is in its
        // own fields. A session has no place for a card, so the reference goes to the notes.
        let is_card = key(&model_type) == "eop";
        let mapped = if is_card {
            None
        } else {
            map_type(&kind, &model_type)
        };
        if is_card {
            let field = |name: &str| scalar_text(t.get(name)).map(|v| one_line(&v).0);
            let mut card = vec![format!(
                "game {}",
                if kind.is_empty() { "unknown" } else { &kind }
            )];
            card.extend(field("cardSuit").map(|v| format!("suit {v}")));
            card.extend(field("cardNumber").map(|v| format!("card {v}")));
            let card = card.join(", ");
            push_paragraph(&mut notes, &format!("Threat Dragon card: {card}."));
            self.warn(format!(
                "{about}: an Elevation of Privilege card ({card}) has no STRIDE category; stride is left empty (the card is kept in its notes)"
            ));
        } else {
            match &mapped {
                Some(m) if m.methodology != "STRIDE" => {
                    push_paragraph(
                        &mut notes,
                        &format!("Threat Dragon type: {kind} ({}).", m.methodology),
                    );
                    if m.stride.is_empty() {
                        self.warn(format!(
                        "{about}: type \"{kind}\" ({}) has no STRIDE category; stride is left empty (the type is kept in its notes)",
                        m.methodology
                    ));
                    }
                }
                Some(_) => {}
                None if kind.is_empty() => {
                    self.warn(format!("{about} has no type; stride is left empty"));
                }
                None => {
                    push_paragraph(&mut notes, &format!("Threat Dragon type: {kind}."));
                    self.warn(format!(
                    "{about}: unknown threat type \"{kind}\"; stride is left empty (the type is kept in its notes)"
                ));
                }
            }
        }
        let (mut stride, refs) = match mapped {
            Some(m) => (m.stride, m.refs),
            None => (StrideSet::empty(), Vec::new()),
        };
        // A threatboard export names every category of a threat with several in its description
        // (Threat Dragon gives a threat one type): read them back.
        if let Some(letters) = notes.lines().find_map(|l| l.strip_prefix(STRIDE_LINE)) {
            let all = StrideSet::parse(letters);
            if all.unknown().is_empty() && !all.is_empty() {
                stride = all;
            }
        }

        // Severity -> impact.
        let (severity, _) = one_line(text_at(t, &["severity"]).unwrap_or(""));
        let impact = match key(&severity).as_str() {
            "high" => Some(Rating::HIGH),
            "medium" => Some(Rating::MEDIUM),
            "low" => Some(Rating::LOW),
            "critical" => {
                push_paragraph(&mut notes, "Threat Dragon severity: Critical.");
                self.warn(format!(
                    "{about}: severity \"Critical\" is imported as impact 3 (high), the top of threatboard's scale"
                ));
                Some(Rating::HIGH)
            }
            "" | "tbd" => None,
            _ => {
                push_paragraph(&mut notes, &format!("Threat Dragon severity: {severity}."));
                self.warn(format!(
                    "{about}: unknown severity \"{severity}\"; impact is left unset"
                ));
                None
            }
        };

        // Status -> status, response, and what becomes of the mitigation text.
        let (status_text, _) = one_line(text_at(t, &["status"]).unwrap_or(""));
        // Mitigations are often several steps on their own lines; they keep them.
        let (action, action_escaped) = multi_line(text_at(t, &["mitigation"]).unwrap_or(""));
        escaped |= action_escaped;
        let has_action = !action.is_empty();
        let mitigate_if_text = if has_action {
            Response::Mitigate
        } else {
            Response::Undecided
        };
        let (status, response, entry) = match key(&status_text).as_str() {
            "" | "open" => (
                ThreatStatus::Open,
                mitigate_if_text,
                Some(MitigationStatus::Planned),
            ),
            "mitigated" => (
                ThreatStatus::Resolved,
                Response::Mitigate,
                Some(MitigationStatus::Done),
            ),
            "na" | "n/a" | "notapplicable" => {
                (ThreatStatus::NotApplicable, Response::Undecided, None)
            }
            // Resolved: what the text says was done (a threatboard export writes a transferred
            // or avoided threat's mitigations there).
            "transferred" => (
                ThreatStatus::Resolved,
                Response::Transfer,
                Some(MitigationStatus::Done),
            ),
            "avoided" | "eliminated" => (
                ThreatStatus::Resolved,
                Response::Avoid,
                Some(MitigationStatus::Done),
            ),
            "accepted" => {
                self.warn(format!(
                    "{about}: accepted in Threat Dragon, but a threatboard acceptance needs a justification and who accepted it; it is imported as open with response undecided"
                ));
                (ThreatStatus::Open, Response::Undecided, None)
            }
            _ => {
                self.warn(format!(
                    "{about}: unknown status \"{status_text}\"; it is imported as open"
                ));
                (
                    ThreatStatus::Open,
                    mitigate_if_text,
                    Some(MitigationStatus::Planned),
                )
            }
        };
        if !matches!(
            key(&status_text).as_str(),
            "" | "open" | "mitigated" | "na" | "n/a" | "notapplicable"
        ) {
            push_paragraph(&mut notes, &format!("Threat Dragon status: {status_text}."));
        }
        if has_action && entry.is_none() {
            push_paragraph(&mut notes, &format!("Threat Dragon mitigation: {action}"));
        }
        if let Some(score) = scalar_text(t.get("score")) {
            push_paragraph(
                &mut notes,
                &format!("Threat Dragon score: {}.", one_line(&score).0),
            );
        }
        if let Some(source) = &source_id {
            push_paragraph(
                &mut notes,
                &format!("{SOURCE_ID_NOTE}{}.", one_line(source).0),
            );
        }
        if let Some(number) = t.get("number").and_then(Value::as_u64) {
            push_paragraph(
                &mut notes,
                &format!("Threat Dragon threat number: {number}."),
            );
        }
        if escaped {
            self.warn(format!(
                "{about}: its description or mitigation contains control characters; they are kept as visible escapes"
            ));
        }
        // Threat Dragon does not say to whom a threat is transferred; a threatboard export names
        // them in the description, and a session needs someone named.
        let transferred_to = if response == Response::Transfer {
            match notes.lines().find_map(|l| l.strip_prefix(TRANSFERRED_LINE)) {
                Some(to) if !to.trim().is_empty() => to.trim().to_string(),
                _ => {
                    self.warn(format!(
                        "{about}: transferred in Threat Dragon, which does not say to whom; transferred_to is \"{NOT_NAMED}\""
                    ));
                    NOT_NAMED.to_string()
                }
            }
        } else {
            String::new()
        };
        if has_action && let Some(mitigation_status) = entry {
            let mid = format!("MI-{suffix}");
            self.session.mitigations.push(Mitigation {
                id: mid.into(),
                threats: vec![id.clone().into()],
                action,
                owner: String::new(),
                due: None,
                status: mitigation_status,
                ticket: String::new(),
            });
        }
        self.session.threats.push(Threat {
            rule: None,
            id: id.into(),
            target: target.id.clone(),
            title,
            stride,
            refs,
            likelihood: None,
            impact,
            response,
            status,
            transferred_to,
            raised_by: Vec::new(),
            notes,
        });
    }
}

/// How an export says to whom a threat is transferred, in its description.
pub const TRANSFERRED_LINE: &str = "Transferred to: ";

/// Who takes a transferred threat when Threat Dragon does not say.
const NOT_NAMED: &str = "not named in Threat Dragon";

/// How an export names all the STRIDE categories of a threat with several, in its description.
pub const STRIDE_LINE: &str = "STRIDE: ";

/// How a threat's notes keep its Threat Dragon id, so that an export writes the same id back.
pub const SOURCE_ID_NOTE: &str = "Threat Dragon threat id: ";

/// The Threat Dragon id kept in a threat's notes by an import, if any.
pub fn source_id(notes: &str) -> Option<&str> {
    notes.lines().find_map(|l| {
        let id = l.strip_prefix(SOURCE_ID_NOTE)?.strip_suffix('.')?;
        (!id.is_empty()).then_some(id)
    })
}

/// FNV-1a: a small, fixed hash, so that ids made from it are the same in every build.
fn fnv1a(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// The stable part of an imported threat's id: the first eight hex digits of Threat Dragon's
/// UUID (readable, and what a user sees in Threat Dragon's file), or a hash of any other id.
fn suffix_of(source: &str) -> String {
    let is_uuid = source.len() == 36 && source.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    if is_uuid {
        source[..8].to_ascii_lowercase()
    } else {
        format!("{:08x}", fnv1a(source))
    }
}

/// The id of the cell a cell is embedded in, as the file saves it: `parent` (how the diagram
/// library saves an embedded cell) or `compatibility.parent` (how Threat Dragon keeps an Open
/// Threat Model parent, `{"trustZone": id}`).
fn saved_parent(cell: &Value) -> Option<&str> {
    fn as_id(v: &Value) -> Option<&str> {
        match v {
            Value::String(s) if !s.is_empty() => Some(s.as_str()),
            Value::Object(o) => o
                .values()
                .find_map(|v| v.as_str().filter(|s| !s.is_empty())),
            _ => None,
        }
    }
    cell.get("parent")
        .and_then(as_id)
        .or_else(|| at(cell, &["compatibility", "parent"]).and_then(as_id))
}

/// For each draft, the boxes around it when it is a box, innermost first: the box the file says
/// it is embedded in, otherwise the smallest larger box that holds it entirely. Saved links
/// that would make a cycle are not followed.
fn box_nesting(drafts: &[Draft]) -> Vec<Vec<usize>> {
    let rect_of = |d: &Draft| match d.region {
        Region::Box(r) => Some(r),
        Region::Curve { .. } => None,
    };
    let box_of_cell: HashMap<usize, usize> = drafts
        .iter()
        .enumerate()
        .filter(|(_, d)| rect_of(d).is_some())
        .map(|(i, d)| (d.cell, i))
        .collect();
    let geometric = |i: usize| -> Option<usize> {
        let r = rect_of(&drafts[i])?;
        drafts
            .iter()
            .enumerate()
            .filter_map(|(j, d)| Some((j, rect_of(d)?)))
            .filter(|&(j, o)| j != i && o.contains_rect(&r) && r.area() < o.area())
            .min_by(|a, b| a.1.area().total_cmp(&b.1.area()))
            .map(|(j, _)| j)
    };
    let mut parent: Vec<Option<usize>> = (0..drafts.len())
        .map(|i| {
            rect_of(&drafts[i])?;
            drafts[i]
                .saved_parent
                .and_then(|c| box_of_cell.get(&c).copied())
                .filter(|&j| j != i)
                .or_else(|| geometric(i))
        })
        .collect();
    // A chain that comes back to where it started is cut at its start.
    for i in 0..drafts.len() {
        let mut seen = BTreeSet::from([i]);
        let mut at = parent[i];
        while let Some(p) = at {
            if !seen.insert(p) {
                if p == i {
                    parent[i] = geometric(i).filter(|&g| g != i);
                }
                break;
            }
            at = parent[p];
        }
    }
    (0..drafts.len())
        .map(|i| {
            let mut chain = Vec::new();
            let mut at = parent[i];
            while let Some(p) = at {
                if chain.contains(&p) || p == i {
                    break;
                }
                chain.push(p);
                at = parent[p];
            }
            chain
        })
        .collect()
}

fn threat_titles(threats: &[Value]) -> Vec<String> {
    threats
        .iter()
        .map(|t| {
            let (title, _) = one_line(text_at(t, &["title"]).unwrap_or(""));
            if title.is_empty() {
                "untitled".to_string()
            } else {
                shorten(&title, 60)
            }
        })
        .collect()
}

/// Whether a boundary's name says it is the untrusted outside rather than a protected zone.
fn names_the_outside(name: &str) -> bool {
    let words: Vec<String> = name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let has = |w: &str| words.iter().any(|x| x == w);
    // "Internet edge", "Public boundary": the line between, which says nothing of a side.
    let names_the_line = ["edge", "boundary", "border", "perimeter", "line"]
        .iter()
        .any(|w| has(w));
    !names_the_line
        && (has("internet")
            || has("public")
            || has("external")
            || has("untrusted")
            || has("outside")
            || has("wan")
            || (has("third") && has("party")))
}

/// Whether the point nearest to `q` on the curve itself (not extended) is between its ends: the
/// drawing then says which side `q` is on. Beyond an end it does not.
fn beside(line: &[Point], q: Point) -> bool {
    let mut best: Option<(f64, bool)> = None;
    let last = line.len().saturating_sub(2);
    for (i, pair) in line.windows(2).enumerate() {
        let (start, d) = (pair[0], pair[1].minus(pair[0]));
        let len2 = dot(d, d);
        if len2 == 0.0 {
            continue;
        }
        let raw = dot(q.minus(start), d) / len2;
        let t = raw.clamp(0.0, 1.0);
        let at_end = (i == 0 && raw < 0.0) || (i == last && raw > 1.0);
        let nearest = Point {
            x: start.x + d.x * t,
            y: start.y + d.y * t,
        };
        let off = q.minus(nearest);
        let dist = dot(off, off);
        if best.is_none_or(|(b, _)| dist < b) {
            best = Some((dist, !at_end));
        }
    }
    best.is_some_and(|(_, inside)| inside)
}

/// Above this many components in one diagram, curves are split by the drawing alone.
const MAX_NODES_FOR_CUT: usize = 5000;

/// The side (+1, -1) of each node of the diagram, and the edges whose flows disagree with it.
///
/// Flows decide first: one that crosses the curve an odd number of times should have its ends
/// on opposite sides (the sides it is drawn on where it crosses), any other flow both ends on one
/// side. When no choice of sides agrees with every flow, the one that disagrees with the fewest
/// is taken: a minimum cut, where each flow weighs more than the whole drawing. The drawing (the
/// curve extended straight beyond its ends) then decides what the flows leave open.
fn curve_sides(
    nodes: &[Node],
    edges: &[Edge],
    crossing: &[Option<Crossing>],
    line: &[Point],
) -> (Vec<Option<i8>>, Vec<usize>, Vec<usize>) {
    let n = nodes.len();
    // The curve separates the part of the diagram its flows cross: the groups of components
    // joined by flows that some flow crossing it belongs to. Other groups lie elsewhere (beside
    // another copy of the same drawing, say); the curve's straight extension must not split
    // them. A component without flows is placed by the drawing when it lies beside the curve.
    let mut group: Vec<usize> = (0..n).collect();
    fn root(group: &mut [usize], mut i: usize) -> usize {
        while group[i] != i {
            group[i] = group[group[i]];
            i = group[i];
        }
        i
    }
    let mut has_flow = vec![false; n];
    for e in edges {
        has_flow[e.from] = true;
        has_flow[e.to] = true;
        let (a, b) = (root(&mut group, e.from), root(&mut group, e.to));
        group[a] = b;
    }
    let mut touched = HashSet::new();
    for (e, c) in edges.iter().zip(crossing) {
        if c.is_some_and(|c| c.count > 0) {
            touched.insert(root(&mut group, e.from));
        }
    }
    let mut ambiguous = Vec::new();
    let local: Vec<bool> = (0..n)
        .map(|i| touched.is_empty() || touched.contains(&root(&mut group, i)))
        .collect();
    let geometric: Vec<Option<i8>> = nodes
        .iter()
        .enumerate()
        .map(|(i, node)| {
            let centre = node.rect?.centre();
            let placed = if has_flow[i] {
                local[i]
            } else {
                touched.is_empty() || beside(line, centre)
            };
            if placed {
                side_of(line, centre)
            } else {
                if !has_flow[i] {
                    ambiguous.push(i);
                }
                None
            }
        })
        .collect();
    if n > MAX_NODES_FOR_CUT {
        return (geometric, Vec::new(), ambiguous);
    }
    let (source, sink) = (n, n + 1);
    let heavy = n as u64 + 1;
    let mut net = Network::new(n + 2);
    let mut constrained = vec![false; n];
    for (i, side) in geometric.iter().enumerate() {
        match side {
            Some(1) => net.add(source, i, 1, 0),
            Some(_) => net.add(i, sink, 1, 0),
            None => {}
        }
    }
    for (edge, c) in edges.iter().zip(crossing) {
        let Some(c) = c else { continue };
        if edge.from == edge.to || !local[edge.from] {
            continue;
        }
        constrained[edge.from] = true;
        constrained[edge.to] = true;
        if c.count % 2 == 1 {
            let (plus, minus) = if c.source_side > 0 {
                (edge.from, edge.to)
            } else {
                (edge.to, edge.from)
            };
            net.add(source, plus, heavy, 0);
            net.add(minus, sink, heavy, 0);
        } else {
            net.add(edge.from, edge.to, heavy, heavy);
        }
    }
    net.max_flow(source, sink);
    let reached = net.reachable(source);
    let sides: Vec<Option<i8>> = (0..n)
        .map(|i| {
            if geometric[i].is_none() && !constrained[i] {
                None
            } else if reached[i] {
                Some(1)
            } else {
                Some(-1)
            }
        })
        .collect();
    let disagreeing = edges
        .iter()
        .zip(crossing)
        .enumerate()
        .filter(|(_, (edge, c))| {
            c.is_some_and(|c| {
                edge.from != edge.to && (c.count % 2 == 1) == (sides[edge.from] == sides[edge.to])
            })
        })
        .map(|(i, _)| i)
        .collect();
    (sides, disagreeing, ambiguous)
}

/// A flow network for the minimum cut (Edmonds-Karp): small, integral capacities.
struct Network {
    to: Vec<usize>,
    capacity: Vec<u64>,
    out: Vec<Vec<usize>>,
}

impl Network {
    fn new(nodes: usize) -> Self {
        Network {
            to: Vec::new(),
            capacity: Vec::new(),
            out: vec![Vec::new(); nodes],
        }
    }

    /// An arc u -> v with `forward` capacity and v -> u with `backward` (its residual pair).
    fn add(&mut self, u: usize, v: usize, forward: u64, backward: u64) {
        self.out[u].push(self.to.len());
        self.to.push(v);
        self.capacity.push(forward);
        self.out[v].push(self.to.len());
        self.to.push(u);
        self.capacity.push(backward);
    }

    fn max_flow(&mut self, source: usize, sink: usize) {
        loop {
            // Shortest augmenting path by breadth-first search; `via[v]` is the arc into v.
            let mut via: Vec<Option<usize>> = vec![None; self.out.len()];
            let mut queue = VecDeque::from([source]);
            let mut seen = vec![false; self.out.len()];
            seen[source] = true;
            while let Some(u) = queue.pop_front() {
                if u == sink {
                    break;
                }
                for &arc in &self.out[u] {
                    let v = self.to[arc];
                    if !seen[v] && self.capacity[arc] > 0 {
                        seen[v] = true;
                        via[v] = Some(arc);
                        queue.push_back(v);
                    }
                }
            }
            if !seen[sink] {
                return;
            }
            let mut bottleneck = u64::MAX;
            let mut v = sink;
            while let Some(arc) = via[v] {
                bottleneck = bottleneck.min(self.capacity[arc]);
                v = self.to[arc ^ 1];
            }
            let mut v = sink;
            while let Some(arc) = via[v] {
                self.capacity[arc] -= bottleneck;
                self.capacity[arc ^ 1] += bottleneck;
                v = self.to[arc ^ 1];
            }
        }
    }

    /// Nodes reachable from `source` in the residual network: the source side of a minimum cut.
    fn reachable(&self, source: usize) -> Vec<bool> {
        let mut seen = vec![false; self.out.len()];
        seen[source] = true;
        let mut queue = VecDeque::from([source]);
        while let Some(u) = queue.pop_front() {
            for &arc in &self.out[u] {
                let v = self.to[arc];
                if !seen[v] && self.capacity[arc] > 0 {
                    seen[v] = true;
                    queue.push_back(v);
                }
            }
        }
        seen
    }
}

/// A threat type's STRIDE categories and library references.
struct TypeMapping {
    methodology: &'static str,
    stride: StrideSet,
    refs: Vec<LibraryRef>,
}

/// Threat Dragon's threat types (English names, as the application writes them) by methodology.
/// LINDDUN letters follow `libraries/linddun.toml`.
const TYPES: &[(&str, &str, &str, Option<&str>)] = &[
    // (methodology, type, STRIDE letters, LINDDUN entry)
    ("STRIDE", "Spoofing", "S", None),
    ("STRIDE", "Tampering", "T", None),
    ("STRIDE", "Repudiation", "R", None),
    ("STRIDE", "Information disclosure", "I", None),
    ("STRIDE", "Denial of service", "D", None),
    ("STRIDE", "Elevation of privilege", "E", None),
    ("LINDDUN", "Linkability", "I", Some("L")),
    ("LINDDUN", "Identifiability", "I", Some("I")),
    ("LINDDUN", "Non-repudiation", "RI", Some("Nr")),
    ("LINDDUN", "Detectability", "I", Some("D")),
    ("LINDDUN", "Disclosure of information", "I", Some("DD")),
    ("LINDDUN", "Unawareness", "I", Some("U")),
    ("LINDDUN", "Non-compliance", "I", Some("Nc")),
    ("CIA", "Confidentiality", "I", None),
    ("CIA", "Integrity", "T", None),
    ("CIA", "Availability", "D", None),
    ("DIE", "Distributed", "", None),
    ("DIE", "Immutable", "", None),
    ("DIE", "Ephemeral", "", None),
    ("PLOT4ai", "Technique & Processes", "", None),
    ("PLOT4ai", "Accessibility", "", None),
    ("PLOT4ai", "Identifiability & Linkability", "I", None),
    ("PLOT4ai", "Security", "", None),
    ("PLOT4ai", "Safety", "", None),
    ("PLOT4ai", "Unawareness", "", None),
    ("PLOT4ai", "Ethics & Human Rights", "", None),
    ("PLOT4ai", "Non-compliance", "", None),
];

/// Threat Dragon saves a threat's type in the language of its user interface: the names its
/// locales (`td.vue/src/i18n/*.json`, commit 6b72aad) give the types, where they differ from the
/// English ones. (methodology, English name, localized name); CIA-DIE's names are CIA's and DIE's.
const LOCALIZED: &[(&str, &str, &str)] = &[
    // ar
    ("STRIDE", "Spoofing", "Spoofing التزييف"),
    ("STRIDE", "Tampering", "Tampering التلاعب"),
    ("STRIDE", "Repudiation", "Repudiation رفض"),
    (
        "STRIDE",
        "Information disclosure",
        "Information disclosure كشف المعلومات",
    ),
    (
        "STRIDE",
        "Denial of service",
        "Denial of service إنكار الخدمة",
    ),
    (
        "STRIDE",
        "Elevation of privilege",
        "Elevation of privilege تسلق الامتياز",
    ),
    ("LINDDUN", "Linkability", "Linkability القابلية للربط"),
    ("LINDDUN", "Identifiability", "Identifiability التعرف"),
    ("LINDDUN", "Non-repudiation", "Non-repudiation عدم الإنكار"),
    ("LINDDUN", "Detectability", "Detectability الكشف"),
    (
        "LINDDUN",
        "Disclosure of information",
        "Disclosure of information كشف المعلومات",
    ),
    ("LINDDUN", "Unawareness", "Unawareness عدم الوعي"),
    ("LINDDUN", "Non-compliance", "Non-compliance عدم الامتثال"),
    ("CIA", "Confidentiality", "Confidentiality السرية"),
    ("CIA", "Integrity", "Integrity النزاهة"),
    ("CIA", "Availability", "Availability التوفر"),
    ("DIE", "Distributed", "Distributed موزع"),
    ("DIE", "Immutable", "Immutable لا يمكن تغييره"),
    ("DIE", "Ephemeral", "Ephemeral زائل"),
    (
        "PLOT4ai",
        "Technique & Processes",
        "Technique & Processes تقنية وعمليات",
    ),
    ("PLOT4ai", "Accessibility", "Accessibility التوفر"),
    (
        "PLOT4ai",
        "Identifiability & Linkability",
        "Identifiability & Linkability التعرف والربط",
    ),
    ("PLOT4ai", "Security", "Security الأمان"),
    ("PLOT4ai", "Safety", "Safety السلامة"),
    ("PLOT4ai", "Unawareness", "Unawareness عدم الوعي"),
    (
        "PLOT4ai",
        "Ethics & Human Rights",
        "Ethics & Human Rights الأخلاق وحقوق الإنسان",
    ),
    ("PLOT4ai", "Non-compliance", "Non-compliance عدم الامتثال"),
    // de
    ("STRIDE", "Tampering", "Manipulation"),
    ("STRIDE", "Repudiation", "Nichtanerkennung"),
    (
        "STRIDE",
        "Information disclosure",
        "Veröffentlichung von Informationen",
    ),
    ("STRIDE", "Elevation of privilege", "Erhöhung von Rechten"),
    ("CIA", "Confidentiality", "Vertraulichkeit"),
    ("CIA", "Integrity", "Integrität"),
    ("CIA", "Availability", "Verfügbarkeit"),
    // el
    ("STRIDE", "Spoofing", "Παραπλάνηση (Spoofing)"),
    ("STRIDE", "Tampering", "Παραποίηση (Tampering)"),
    ("STRIDE", "Repudiation", "Αποποίηση (Repudiation)"),
    (
        "STRIDE",
        "Information disclosure",
        "Αποκάλυψη Πληροφοριών (Information Disclosure)",
    ),
    (
        "STRIDE",
        "Denial of service",
        "Άρνηση εκτέλεσης υπηρεσίας (Denial of service)",
    ),
    (
        "STRIDE",
        "Elevation of privilege",
        "Αναβάθμιση προνομίων (Elevation of Priviledge)",
    ),
    ("LINDDUN", "Linkability", "Συνδεσιμότητα"),
    ("LINDDUN", "Identifiability", "Αναγνωρισιμότητα"),
    ("LINDDUN", "Non-repudiation", "Μη αποποίηση"),
    ("LINDDUN", "Detectability", "Ανιχνευσιμότητα"),
    (
        "LINDDUN",
        "Disclosure of information",
        "Αποκάλυψη Πληροφοριών (Information Disclosure)",
    ),
    ("LINDDUN", "Unawareness", "Έλλειψη επίγνωσης (Unawareness)"),
    (
        "LINDDUN",
        "Non-compliance",
        "Μη συμμόρφωση (Non-compliance)",
    ),
    ("CIA", "Confidentiality", "Εμπιστευτικότητα"),
    ("CIA", "Integrity", "Ακεραιότητα"),
    ("CIA", "Availability", "Διαθεσιμότητα"),
    ("DIE", "Distributed", "Κατανεμημένο (Distributed)"),
    ("DIE", "Immutable", "Αμετάβλητο (Immutable)"),
    ("DIE", "Ephemeral", "Εφήμερο (Ephemeral)"),
    (
        "PLOT4ai",
        "Technique & Processes",
        "Τεχνική & Διαδικασίες (Technique & Processes)",
    ),
    ("PLOT4ai", "Accessibility", "Προσβασιμότητα (Accessibility)"),
    (
        "PLOT4ai",
        "Identifiability & Linkability",
        "Αναγνωρισιμότητα & Συνδεσιμότητα (Identifiability & Linkability)",
    ),
    ("PLOT4ai", "Security", "Ασφάλεια (Security)"),
    ("PLOT4ai", "Safety", "Ασφάλεια (Safety)"),
    ("PLOT4ai", "Unawareness", "Έλλειψη επίγνωσης (Unawareness)"),
    (
        "PLOT4ai",
        "Ethics & Human Rights",
        "Ηθική και Ανθρώπινα Δικαιώματα (Ethics & Human Rights)",
    ),
    (
        "PLOT4ai",
        "Non-compliance",
        "Μη συμμόρφωση (Non-compliance)",
    ),
    // es
    ("STRIDE", "Spoofing", "Spoofing / Spoofing"),
    ("STRIDE", "Tampering", "Tampering / Manipulación"),
    ("STRIDE", "Repudiation", "Repudiation / Repudiación"),
    (
        "STRIDE",
        "Information disclosure",
        "Information disclosure / Brecha de información",
    ),
    (
        "STRIDE",
        "Denial of service",
        "Denial of service / Denegación de servicio",
    ),
    (
        "STRIDE",
        "Elevation of privilege",
        "Elevation of privilege / Elevación de privilegios",
    ),
    (
        "LINDDUN",
        "Linkability",
        "Linkability / Facilidad de vinculación",
    ),
    (
        "LINDDUN",
        "Identifiability",
        "Identifiability / Identificabilidad",
    ),
    (
        "LINDDUN",
        "Non-repudiation",
        "Non-repudiation / No-repudiación",
    ),
    ("LINDDUN", "Detectability", "Detectability / Detectabilidad"),
    (
        "LINDDUN",
        "Disclosure of information",
        "Disclosure of information / Brecha de información",
    ),
    (
        "LINDDUN",
        "Unawareness",
        "Unawareness / Falta de Conciencia",
    ),
    (
        "LINDDUN",
        "Non-compliance",
        "Non-compliance / Incumplimiento",
    ),
    (
        "CIA",
        "Confidentiality",
        "Confidentiality - Confidencialidad",
    ),
    ("CIA", "Integrity", "Integrity - Integridad"),
    ("CIA", "Availability", "Availability - Disponibilidad"),
    // fr
    ("STRIDE", "Spoofing", "Usurpation d'identité"),
    ("STRIDE", "Tampering", "Falsification"),
    ("STRIDE", "Repudiation", "Répudiation"),
    (
        "STRIDE",
        "Information disclosure",
        "Divulgation d'information",
    ),
    ("STRIDE", "Denial of service", "Déni de service"),
    ("STRIDE", "Elevation of privilege", "Élévation de privilège"),
    ("LINDDUN", "Linkability", "Capacité de liaison"),
    ("LINDDUN", "Identifiability", "Identifiabilité"),
    ("LINDDUN", "Non-repudiation", "Non-répudiation"),
    ("LINDDUN", "Detectability", "Détectabilité"),
    (
        "LINDDUN",
        "Disclosure of information",
        "Divulgation d'information",
    ),
    ("LINDDUN", "Unawareness", "Inconscience"),
    ("LINDDUN", "Non-compliance", "Non-conformité"),
    ("CIA", "Confidentiality", "Confidentialité"),
    ("CIA", "Integrity", "Intégrité"),
    ("CIA", "Availability", "Disponibilité"),
    // hi
    ("STRIDE", "Spoofing", "स्पूफिंग"),
    ("STRIDE", "Tampering", "छेड़छाड़"),
    ("STRIDE", "Repudiation", "अस्वीकृति"),
    ("STRIDE", "Information disclosure", "सूचना प्रकटीकरण"),
    ("STRIDE", "Denial of service", "सेवा से इनकार"),
    ("STRIDE", "Elevation of privilege", "विशेषाधिकार का उन्नयन"),
    ("LINDDUN", "Linkability", "लिंक करने की क्षमता"),
    ("LINDDUN", "Identifiability", "पहचान"),
    ("LINDDUN", "Non-repudiation", "अप्रतिबंध"),
    ("LINDDUN", "Detectability", "डिटेक्टेबिलिटी"),
    ("LINDDUN", "Disclosure of information", "सूचना का प्रकटीकरण"),
    ("LINDDUN", "Unawareness", "अनभिज्ञता"),
    ("LINDDUN", "Non-compliance", "गैर-अनुपालन"),
    ("CIA", "Confidentiality", "गोपनीयता"),
    ("CIA", "Integrity", "ईमानदारी"),
    ("CIA", "Availability", "उपलब्धता"),
    ("DIE", "Distributed", "वितरित"),
    ("DIE", "Immutable", "अपरिवर्तनीय"),
    ("DIE", "Ephemeral", "क्षणिक"),
    ("PLOT4ai", "Technique & Processes", "तकनीक और प्रक्रियाएँ"),
    ("PLOT4ai", "Accessibility", "सुलभता"),
    (
        "PLOT4ai",
        "Identifiability & Linkability",
        "पहचान योग्यता और संबंधनीयता",
    ),
    ("PLOT4ai", "Security", "सुरक्षा"),
    ("PLOT4ai", "Safety", "सुरक्षा"),
    ("PLOT4ai", "Unawareness", "अनजानी"),
    ("PLOT4ai", "Ethics & Human Rights", "नैतिकता और मानवाधिकार"),
    ("PLOT4ai", "Non-compliance", "अनुपालन न करना"),
    // id
    ("LINDDUN", "Non-compliance", "Pelanggaran"),
    ("CIA", "Confidentiality", "Kerahasiaan"),
    ("CIA", "Integrity", "Integritas"),
    ("CIA", "Availability", "Ketersediaan"),
    ("DIE", "Distributed", "Didistribusikan"),
    ("DIE", "Immutable", "Tidak dapat diubah"),
    ("PLOT4ai", "Technique & Processes", "Teknik & Proses"),
    ("PLOT4ai", "Accessibility", "Aksesibilitas"),
    ("PLOT4ai", "Security", "Keamanan"),
    ("PLOT4ai", "Safety", "Keselamatan"),
    (
        "PLOT4ai",
        "Ethics & Human Rights",
        "Etika & Hak Asasi Manusia",
    ),
    ("PLOT4ai", "Non-compliance", "Pelanggaran"),
    // ja
    ("STRIDE", "Spoofing", "なりすまし"),
    ("STRIDE", "Tampering", "改竄"),
    ("STRIDE", "Repudiation", "否認"),
    ("STRIDE", "Information disclosure", "情報漏洩"),
    ("STRIDE", "Denial of service", "サービス拒否"),
    ("STRIDE", "Elevation of privilege", "特権の昇格"),
    ("CIA", "Confidentiality", "機密性"),
    ("CIA", "Integrity", "完全性"),
    ("CIA", "Availability", "可用性"),
    ("DIE", "Distributed", "分散化"),
    ("DIE", "Immutable", "不変"),
    ("DIE", "Ephemeral", "一時的"),
    // ms
    ("STRIDE", "Spoofing", "Penipuan"),
    ("STRIDE", "Tampering", "Penyelewengan"),
    ("STRIDE", "Repudiation", "Penafian"),
    ("STRIDE", "Information disclosure", "Pendedahan maklumat"),
    ("STRIDE", "Denial of service", "Penafian Perkhidmatan"),
    ("STRIDE", "Elevation of privilege", "Kenaikan Hak"),
    ("LINDDUN", "Linkability", "Pautan"),
    ("LINDDUN", "Identifiability", "Pengenalpastian"),
    ("LINDDUN", "Non-repudiation", "Tidak boleh menafikan"),
    ("LINDDUN", "Detectability", "Ketahuan"),
    (
        "LINDDUN",
        "Disclosure of information",
        "Pendedahan maklumat",
    ),
    ("LINDDUN", "Unawareness", "Tanpa sedar"),
    ("LINDDUN", "Non-compliance", "Tidak Mematuhi"),
    ("CIA", "Confidentiality", "Kerahsiaan"),
    ("CIA", "Integrity", "Integriti"),
    ("DIE", "Distributed", "Teragih"),
    ("DIE", "Immutable", "Tidak Berubah"),
    ("DIE", "Ephemeral", "Efemeral"),
    ("PLOT4ai", "Accessibility", "Aksesibiliti"),
    (
        "PLOT4ai",
        "Identifiability & Linkability",
        "Pengenalpastian & Pautan",
    ),
    ("PLOT4ai", "Security", "Keselamatan"),
    ("PLOT4ai", "Unawareness", "Tanpa sedar"),
    ("PLOT4ai", "Non-compliance", "Tidak Mematuhi"),
    // pt-br
    ("STRIDE", "Spoofing", "Falsificação"),
    ("STRIDE", "Tampering", "Adulteração"),
    ("STRIDE", "Repudiation", "Repúdio"),
    (
        "STRIDE",
        "Information disclosure",
        "Divulgação de informações",
    ),
    ("STRIDE", "Denial of service", "Negação de serviço"),
    ("STRIDE", "Elevation of privilege", "Elevação de privilégio"),
    ("LINDDUN", "Linkability", "Ligabilidade"),
    ("LINDDUN", "Identifiability", "Identificabilidade"),
    ("LINDDUN", "Non-repudiation", "Não-repúdio"),
    ("LINDDUN", "Detectability", "Detectabilidade"),
    (
        "LINDDUN",
        "Disclosure of information",
        "Divulgação de informações",
    ),
    ("LINDDUN", "Unawareness", "Desconhecido"),
    ("LINDDUN", "Non-compliance", "Não conformidade"),
    ("CIA", "Confidentiality", "Confidencialidade"),
    ("CIA", "Integrity", "Integridade"),
    ("CIA", "Availability", "Disponibilidade"),
    ("DIE", "Distributed", "Distribuído"),
    ("DIE", "Immutable", "Imutável"),
    ("DIE", "Ephemeral", "Efêmero"),
    ("PLOT4ai", "Technique & Processes", "Técnica e Processos"),
    ("PLOT4ai", "Accessibility", "Acessibilidade"),
    (
        "PLOT4ai",
        "Identifiability & Linkability",
        "Identificabilidade e Ligabilidade",
    ),
    ("PLOT4ai", "Security", "Segurança"),
    ("PLOT4ai", "Safety", "Seguro"),
    ("PLOT4ai", "Unawareness", "Desconhecido"),
    (
        "PLOT4ai",
        "Ethics & Human Rights",
        "Ética e Direitos Humanos",
    ),
    ("PLOT4ai", "Non-compliance", "Não conformidade"),
    // pt
    ("LINDDUN", "Linkability", "Associabilidade"),
    ("LINDDUN", "Non-repudiation", "Não repúdio"),
    ("LINDDUN", "Detectability", "Detetabilidade"),
    ("LINDDUN", "Unawareness", "Desconhecimento"),
    ("DIE", "Ephemeral", "Efémero"),
    (
        "PLOT4ai",
        "Identifiability & Linkability",
        "Identificabilidade e Associabilidade",
    ),
    ("PLOT4ai", "Unawareness", "Desconhecimento"),
    // zh
    ("STRIDE", "Spoofing", "欺骗"),
    ("STRIDE", "Tampering", "篡改"),
    ("STRIDE", "Repudiation", "否认"),
    ("STRIDE", "Information disclosure", "信息泄露"),
    ("STRIDE", "Denial of service", "拒绝服务"),
    ("STRIDE", "Elevation of privilege", "权限提升"),
    ("LINDDUN", "Linkability", "可链接性"),
    ("LINDDUN", "Identifiability", "可识别性"),
    ("LINDDUN", "Non-repudiation", "不可否认性"),
    ("LINDDUN", "Detectability", "可检测性"),
    ("LINDDUN", "Disclosure of information", "信息泄露"),
    ("LINDDUN", "Unawareness", "不知情"),
    ("LINDDUN", "Non-compliance", "不合规"),
    ("CIA", "Confidentiality", "机密性"),
    ("CIA", "Integrity", "完整性"),
    ("DIE", "Distributed", "分布式"),
    ("DIE", "Immutable", "不可变性"),
    ("DIE", "Ephemeral", "短暂性"),
    ("PLOT4ai", "Technique & Processes", "技术 & 过程"),
    ("PLOT4ai", "Accessibility", "可访问性"),
    (
        "PLOT4ai",
        "Identifiability & Linkability",
        "可识别性 & 可链接性",
    ),
    ("PLOT4ai", "Security", "信息安全"),
    ("PLOT4ai", "Safety", "系统安全"),
    ("PLOT4ai", "Unawareness", "不知情"),
    ("PLOT4ai", "Ethics & Human Rights", "伦理 & 人权"),
    ("PLOT4ai", "Non-compliance", "不合格"),
];

/// Maps a Threat Dragon threat type, in English or in any language Threat Dragon ships; the model
/// type decides between methodologies that share a word (LINDDUN and PLOT4ai both have
/// Unawareness and Non-compliance; French names information disclosure alike in STRIDE and
/// LINDDUN).
fn map_type(kind: &str, model_type: &str) -> Option<TypeMapping> {
    let wanted = key(kind);
    if wanted.is_empty() {
        return None;
    }
    let model = key(model_type);
    // (methodology, English name) of every name that reads as `kind`.
    let candidates: Vec<(&str, &str)> = TYPES
        .iter()
        .filter(|(_, name, _, _)| key(name) == wanted)
        .map(|&(m, name, _, _)| (m, name))
        .chain(
            LOCALIZED
                .iter()
                .filter(|(_, _, name)| key(name) == wanted)
                .map(|&(m, english, _)| (m, english)),
        )
        .collect();
    let &(methodology, english) = candidates
        .iter()
        .find(|(m, _)| key(m) == model || (model == "ciadie" && matches!(*m, "CIA" | "DIE")))
        .or_else(|| candidates.first())?;
    let found = TYPES
        .iter()
        .find(|(m, name, _, _)| *m == methodology && *name == english)?;
    let (methodology, _, letters, linddun) = *found;
    Some(TypeMapping {
        methodology,
        stride: StrideSet::parse(letters),
        refs: linddun
            .map(|entry| vec![LibraryRef::new("linddun", entry)])
            .unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(x: f64, y: f64) -> Point {
        Point { x, y }
    }

    #[test]
    fn crossings_count_each_intersection_once() {
        let curve = [p(0.0, 0.0), p(10.0, 0.0), p(20.0, 0.0)];
        let count = |flow: &[Point]| crossings(flow, &curve).count;
        assert_eq!(count(&[p(5.0, -5.0), p(5.0, 5.0)]), 1);
        // Through the shared vertex: still one.
        assert_eq!(count(&[p(10.0, -5.0), p(10.0, 5.0)]), 1);
        // Down and back up: two.
        assert_eq!(count(&[p(2.0, -5.0), p(5.0, 5.0), p(8.0, -5.0)]), 2);
        assert_eq!(count(&[p(30.0, -5.0), p(30.0, 5.0)]), 0);
        // The side a flow starts on agrees with the side of its first point.
        let down = crossings(&[p(5.0, -5.0), p(5.0, 5.0)], &curve);
        let up = crossings(&[p(5.0, 5.0), p(5.0, -5.0)], &curve);
        assert_ne!(down.source_side, up.source_side);
        assert_eq!(Some(down.source_side), side_of(&curve, p(5.0, -5.0)));
    }

    #[test]
    fn sides_of_a_bent_curve() {
        // East, then north (a left turn in these coordinates).
        let curve = [p(0.0, 0.0), p(10.0, 0.0), p(10.0, 10.0)];
        let inside = side_of(&curve, p(5.0, 5.0));
        let outside = side_of(&curve, p(15.0, -5.0));
        assert!(inside.is_some() && outside.is_some());
        assert_ne!(inside, outside);
        assert_eq!(side_of(&curve, p(20.0, 5.0)), outside);
        assert_eq!(side_of(&curve, p(-50.0, 1.0)), inside);
        assert_eq!(side_of(&[p(1.0, 1.0)], p(0.0, 0.0)), None);
    }

    #[test]
    fn types_map_to_stride() {
        let letters = |t: &str, m: &str| map_type(t, m).map(|m| m.stride.to_string());
        assert_eq!(
            letters("Information disclosure", "STRIDE").as_deref(),
            Some("I")
        );
        assert_eq!(letters("Elevation of Privilege", "").as_deref(), Some("E"));
        assert_eq!(letters("Integrity", "CIA").as_deref(), Some("T"));
        assert_eq!(letters("Non-repudiation", "LINDDUN").as_deref(), Some("RI"));
        assert_eq!(letters("Unawareness", "PLOT4ai").as_deref(), Some(""));
        assert_eq!(letters("Unawareness", "LINDDUN").as_deref(), Some("I"));
        assert_eq!(letters("Unawareness", "").as_deref(), Some("I"));
        assert_eq!(letters("Cosmic rays", "STRIDE"), None);
        let refs = map_type("Linkability", "LINDDUN")
            .map(|m| m.refs)
            .unwrap_or_default();
        assert_eq!(refs, vec![LibraryRef::new("linddun", "L")]);
    }

    #[test]
    fn localized_and_card_free_types_map() {
        let letters = |t: &str, m: &str| map_type(t, m).map(|m| m.stride.to_string());
        assert_eq!(letters("Déni de service", "STRIDE").as_deref(), Some("D"));
        assert_eq!(letters("改竄", "").as_deref(), Some("T"));
        // French names information disclosure alike in STRIDE and LINDDUN.
        let linddun = map_type("Divulgation d'information", "LINDDUN").map(|m| m.refs);
        assert_eq!(linddun, Some(vec![LibraryRef::new("linddun", "DD")]));
        assert_eq!(letters("Integrität", "CIADIE").as_deref(), Some("T"));
    }

    #[test]
    fn outside_names_and_the_sides_a_curve_says() {
        assert!(names_the_outside("Internet"));
        assert!(names_the_outside("Public cloud"));
        assert!(!names_the_outside("Internet edge"));
        assert!(!names_the_outside("Corporate network"));
        let curve = [p(0.0, 0.0), p(0.0, 100.0)];
        assert!(beside(&curve, p(50.0, 50.0)));
        assert!(!beside(&curve, p(50.0, 300.0)));
        assert!(!beside(&curve, p(10.0, -20.0)));
    }

    #[test]
    fn threat_id_suffixes() {
        assert_eq!(
            suffix_of("7DF716CD-a982-48a5-b4ed-800ccb670734"),
            "7df716cd"
        );
        assert_eq!(suffix_of("42"), suffix_of("42"));
        assert_ne!(suffix_of("42"), suffix_of("43"));
        assert_eq!(suffix_of("x").len(), 8);
        assert_eq!(
            source_id("a\nThreat Dragon threat id: abc.\nb"),
            Some("abc")
        );
        assert_eq!(source_id("nothing"), None);
    }

    #[test]
    fn ids_are_slugs_made_unique() {
        let mut ids = IdSet::default();
        assert_eq!(ids.unique("Web\nApplication", "process"), "web-application");
        assert_eq!(
            ids.unique("Web Application", "process"),
            "web-application-2"
        );
        assert_eq!(
            ids.unique("web application 3", "process"),
            "web-application-3"
        );
        assert_eq!(
            ids.unique("Web  Application", "process"),
            "web-application-4"
        );
        assert_eq!(ids.unique("日本", "data-store"), "data-store");
        assert_eq!(ids.unique("", "data-store"), "data-store-2");
        let long = ids.unique(&"x".repeat(100), "process");
        assert!(long.len() <= 56);
        for _ in 0..20 {
            assert!(ids.unique(&"x".repeat(100), "process").len() <= 64);
        }
    }

    #[test]
    fn names_become_one_line_and_control_characters_visible() {
        assert_eq!(
            one_line("Web\nApplication"),
            ("Web Application".to_string(), false)
        );
        let (name, escaped) = one_line("A\u{1b}[31mB\u{7}");
        assert!(escaped);
        assert!(!name.chars().any(char::is_control), "{name:?}");
        assert_eq!(multi_line("a\r\n\tb\u{1b}").0, "a\n b\\e");
    }
}
