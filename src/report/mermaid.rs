//! The data-flow diagram as a Mermaid flowchart (`threatboard diagram --format mermaid`, and the
//! diagram inside the Markdown report).
//!
//! Trust boundaries are (nested) subgraphs; processes are rounded boxes, data stores cylinders,
//! external entities rectangles; flows are labelled edges. A flow that crosses a trust boundary is
//! a thick edge (`==>`), its label starts with `!`, and a `linkStyle` line draws it red, so it
//! stands out without relying on colour.
//!
//! Node ids are generated (`c_<id>` / `b_<id>` with every other character replaced by `_`), so
//! they are never Mermaid keywords and need no quoting. All text is inside double quotes with
//! `"`, `#`, `&`, `<`, `>`, `|` and backticks written as Mermaid entity codes, and control
//! characters made visible; nothing a session holds can break out of a label or inject HTML.

use super::context::{Diagram, Item};
use crate::model::text::escape_control;
use crate::model::{ComponentKind, Session};
use std::fmt::Write as _;

/// The flowchart for a session, without a Markdown fence.
pub fn flowchart(session: &Session) -> String {
    render(&Diagram::new(session))
}

/// The flowchart for a prepared diagram, without a Markdown fence; ends with a newline.
pub fn render(diagram: &Diagram<'_>) -> String {
    let mut out = String::from("flowchart LR\n");
    for item in &diagram.roots {
        write_item(&mut out, diagram, item, 1);
    }
    let mut crossing = Vec::new();
    for (i, e) in diagram.edges.iter().enumerate() {
        let arrow = if e.crosses() { "==>" } else { "-->" };
        let label = match (e.crosses(), e.flow.label.trim().is_empty()) {
            (true, true) => "|\"!\"|".to_string(),
            (true, false) => format!("|\"! {}\"|", text(&e.flow.label)),
            (false, true) => String::new(),
            (false, false) => format!("|\"{}\"|", text(&e.flow.label)),
        };
        let _ = writeln!(
            out,
            "    {} {arrow}{label} {}",
            diagram.node_id(e.from),
            diagram.node_id(e.to)
        );
        if e.crosses() {
            crossing.push(i.to_string());
        }
    }
    if !crossing.is_empty() {
        let _ = writeln!(
            out,
            "    linkStyle {} stroke:#c62828,stroke-width:3px",
            crossing.join(",")
        );
    }
    // Trust boundaries are dashed, as in the other diagrams.
    for id in diagram.boundary_ids.iter().flatten() {
        let _ = writeln!(out, "    style {id} stroke-dasharray:6 4");
    }
    out
}

fn write_item(out: &mut String, diagram: &Diagram<'_>, item: &Item, depth: usize) {
    let indent = "    ".repeat(depth);
    match item {
        Item::Boundary(b, children) => {
            let boundary = &diagram.session.boundaries[*b];
            let _ = writeln!(
                out,
                "{indent}subgraph {}[\"{}\"]",
                diagram.boundary_id(*b),
                text(display_name(&boundary.name, boundary.id.as_str()))
            );
            for child in children {
                write_item(out, diagram, child, depth + 1);
            }
            let _ = writeln!(out, "{indent}end");
        }
        Item::Component(c) => {
            let component = diagram.component(*c);
            let name = text(display_name(&component.name, component.id.as_str()));
            let (open, close) = match component.kind {
                ComponentKind::Process => ("(", ")"),
                ComponentKind::DataStore => ("[(", ")]"),
                ComponentKind::ExternalEntity => ("[", "]"),
            };
            let _ = writeln!(
                out,
                "{indent}{}{open}\"{name}\"{close}",
                diagram.node_id(*c)
            );
        }
    }
}

/// The name, or the id when the name is blank.
pub(crate) fn display_name<'a>(name: &'a str, id: &'a str) -> &'a str {
    if name.trim().is_empty() { id } else { name }
}

/// Text for inside a double-quoted Mermaid label.
pub fn text(raw: &str) -> String {
    let raw = escape_control(raw);
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '&' => out.push_str("#amp;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '|' => out.push_str("#124;"),
            '`' => out.push_str("#96;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_cannot_break_out() {
        assert_eq!(
            text("a\"]; x --> y %% <b>|`#&\u{1b}"),
            "a#quot;]; x --#gt; y %% #lt;b#gt;#124;#96;#35;#amp;\\e"
        );
    }

    #[test]
    fn shapes_nesting_and_crossings() {
        let s = crate::store::parse(
            r#"
schema = 1
title = "t"
[[boundaries]]
id = "cloud"
name = "Cloud"
[[boundaries]]
id = "vpc"
name = "VPC"
parent = "cloud"
[[components]]
id = "user"
name = "User"
kind = "external-entity"
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
id = "user-app"
from = "user"
to = "app"
label = "requests"
[[flows]]
id = "app-db"
from = "app"
to = "db"
label = "queries"
"#,
        )
        .expect("parses")
        .0;
        assert_eq!(
            flowchart(&s),
            "flowchart LR
    subgraph b_cloud[\"Cloud\"]
        subgraph b_vpc[\"VPC\"]
            c_app(\"App\")
            c_db[(\"DB\")]
        end
    end
    c_user[\"User\"]
    c_user ==>|\"! requests\"| c_app
    c_app -->|\"queries\"| c_db
    linkStyle 0 stroke:#c62828,stroke-width:3px
    style b_cloud stroke-dasharray:6 4
    style b_vpc stroke-dasharray:6 4
"
        );
    }
}
