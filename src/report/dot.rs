//! The data-flow diagram as Graphviz DOT (`threatboard diagram --format dot`).
//!
//! One `subgraph "cluster_<id>"` per trust boundary, nested as the boundaries nest and drawn
//! dashed; processes are rounded boxes, data stores cylinders, external entities plain boxes.
//! Flows that cross a trust boundary are bold and red, and their label starts with `!` so they
//! stand out in black and white too. Every id and label is a quoted DOT string with `\` and `"`
//! escaped and control characters made visible, so no session text can end a string early.

use super::context::{Diagram, Item};
use super::mermaid::display_name;
use crate::model::text::escape_control;
use crate::model::{ComponentKind, Session};
use std::fmt::Write as _;

/// The `digraph` for a session; ends with a newline.
pub fn digraph(session: &Session) -> String {
    render(&Diagram::new(session))
}

pub fn render(diagram: &Diagram<'_>) -> String {
    let s = diagram.session;
    let mut out = String::new();
    out.push_str(
        "// threatboard data-flow diagram. Dashed clusters are trust boundaries; bold red edges\n\
         // whose label starts with \"!\" cross at least one of them.\n",
    );
    out.push_str("digraph \"threatboard\" {\n");
    let _ = writeln!(
        out,
        "    graph [rankdir=LR, fontname=\"Helvetica\", labelloc=t, label={}];",
        label(&s.title)
    );
    out.push_str("    node [fontname=\"Helvetica\", fontsize=11];\n");
    out.push_str("    edge [fontname=\"Helvetica\", fontsize=9];\n");
    for item in &diagram.roots {
        write_item(&mut out, diagram, item, 1);
    }
    for e in &diagram.edges {
        let from = &diagram.component(e.from).id;
        let to = &diagram.component(e.to).id;
        if e.crosses() {
            let text = if e.flow.label.trim().is_empty() {
                "!".to_string()
            } else {
                format!("! {}", e.flow.label)
            };
            let _ = writeln!(
                out,
                "    {} -> {} [label={}, style=bold, penwidth=2.5, color=\"#c62828\", fontcolor=\"#c62828\"];",
                quote(from.as_str()),
                quote(to.as_str()),
                label(&text)
            );
        } else {
            let _ = writeln!(
                out,
                "    {} -> {} [label={}];",
                quote(from.as_str()),
                quote(to.as_str()),
                label(&e.flow.label)
            );
        }
    }
    out.push_str("}\n");
    out
}

fn write_item(out: &mut String, diagram: &Diagram<'_>, item: &Item, depth: usize) {
    let indent = "    ".repeat(depth);
    match item {
        Item::Boundary(b, children) => {
            let boundary = &diagram.session.boundaries[*b];
            let _ = writeln!(
                out,
                "{indent}subgraph {} {{",
                quote(&format!("cluster_{}", boundary.id))
            );
            let _ = writeln!(
                out,
                "{indent}    label={};",
                label(display_name(&boundary.name, boundary.id.as_str()))
            );
            let _ = writeln!(out, "{indent}    style=dashed;");
            for child in children {
                write_item(out, diagram, child, depth + 1);
            }
            let _ = writeln!(out, "{indent}}}");
        }
        Item::Component(c) => {
            let component = diagram.component(*c);
            let shape = match component.kind {
                ComponentKind::Process => "shape=box, style=rounded",
                ComponentKind::DataStore => "shape=cylinder",
                ComponentKind::ExternalEntity => "shape=box",
            };
            let _ = writeln!(
                out,
                "{indent}{} [label={}, {shape}];",
                quote(component.id.as_str()),
                label(display_name(&component.name, component.id.as_str()))
            );
        }
    }
}

/// A quoted label: like [`quote`], and `&` written as `&amp;`, since Graphviz decodes HTML
/// entities in labels and the text must show as written.
pub fn label(raw: &str) -> String {
    quote(&raw.replace('&', "&amp;"))
}

/// A DOT quoted string. Control characters become visible escapes first; then `\` is doubled
/// (so a label shows it, and a trailing backslash cannot escape the closing quote) and `"` is
/// escaped.
pub fn quote(raw: &str) -> String {
    let raw = escape_control(raw);
    let mut out = String::with_capacity(raw.len() + 2);
    out.push('"');
    for c in raw.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_is_safe() {
        assert_eq!(quote("a\"b\\"), "\"a\\\"b\\\\\"");
        assert_eq!(quote("x\ny"), "\"x\\\\ny\"");
        assert_eq!(quote("<b>"), "\"<b>\"");
        assert_eq!(label("R&D"), "\"R&amp;D\"");
    }
}
