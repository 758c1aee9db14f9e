//! `threatboard report` and `threatboard diagram` checked by structure rather than bytes: the
//! Mermaid parses, the HTML loads nothing from the network, hostile session text stays inert in
//! every format, the SARIF validates against the official schema, and the exit codes follow the
//! contract.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Command, Output};

const TODAY: &str = "2026-11-23";
const MICRO: &str = "sessions/microservices-api-platform.toml";
const HOSTILE: &str = "tests/fixtures/reports/hostile.toml";
const EXAMPLES: [&str; 3] = [
    "sessions/llm-support-bot.toml",
    "sessions/microservices-api-platform.toml",
    "sessions/three-tier-cloud-web-app.toml",
];
/// Invalid sessions the diagram must still draw sensibly.
const MALFORMED: [&str; 4] = [
    "tests/fixtures/malformed/boundary-cycle.toml",
    "tests/fixtures/malformed/duplicate-element-id.toml",
    "tests/fixtures/malformed/flow-unknown-component.toml",
    "tests/fixtures/malformed/component-unknown-boundary.toml",
];

fn threatboard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_threatboard"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("output is UTF-8")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A report that must be written (exit 0, or 1 for a session with validation problems).
fn report(file: &str, format: &str) -> String {
    let out = threatboard(&["report", file, "--format", format, "--today", TODAY]);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "report {file} --format {format}: {:?} {}",
        out.status,
        stderr(&out)
    );
    stdout(&out)
}

fn diagram(file: &str, format: &str) -> String {
    let out = threatboard(&["diagram", file, "--format", format]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    stdout(&out)
}

// ---------------------------------------------------------------------------------------------
// Mermaid

fn is_safe_ident(id: &str) -> bool {
    let mut chars = id.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(
            id,
            "end" | "subgraph" | "graph" | "flowchart" | "style" | "linkStyle" | "class" | "click"
        )
}

/// Splits `ident` off the front of `text`.
fn take_ident(text: &str) -> (&str, &str) {
    let n = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    text.split_at(n)
}

/// `"..."` with no quote inside, and what follows it.
fn take_quoted(text: &str) -> Result<(&str, &str), String> {
    let rest = text
        .strip_prefix('"')
        .ok_or_else(|| format!("expected a quoted label at {text:?}"))?;
    let end = rest
        .find('"')
        .ok_or_else(|| format!("unterminated label at {text:?}"))?;
    Ok((&rest[..end], &rest[end + 1..]))
}

/// Brackets outside quoted strings must balance.
fn brackets_balance(line: &str) -> bool {
    let mut stack = Vec::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            _ if quoted => {}
            '(' | '[' | '{' => stack.push(c),
            ')' | ']' | '}' => {
                let open = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                if stack.pop() != Some(open) {
                    return false;
                }
            }
            _ => {}
        }
    }
    stack.is_empty() && !quoted
}

/// Parses the subset of Mermaid that threatboard writes and checks it is well formed: every
/// `subgraph` has its `end`, node ids are safe identifiers declared once, every edge joins
/// declared nodes, brackets balance, labels are single quoted strings.
fn check_mermaid(text: &str) -> Result<(), String> {
    let mut lines = text.lines();
    if lines.next() != Some("flowchart LR") {
        return Err("does not start with `flowchart LR`".into());
    }
    let mut open: Vec<String> = Vec::new();
    let mut subgraphs = HashSet::new();
    let mut nodes = HashSet::new();
    let mut edges: Vec<(String, String)> = Vec::new();
    let mut link_styles = Vec::new();
    let mut styled = Vec::new();
    for (n, line) in lines.enumerate() {
        let at = |msg: String| format!("line {}: {msg}: {line:?}", n + 2);
        let t = line.trim();
        if !brackets_balance(t) {
            return Err(at("unbalanced brackets or quotes".into()));
        }
        if t.chars().any(|c| c.is_control()) {
            return Err(at("control character".into()));
        }
        if let Some(rest) = t.strip_prefix("subgraph ") {
            let (id, rest) = take_ident(rest);
            let label = rest
                .strip_prefix('[')
                .ok_or_else(|| at("subgraph without a label".into()))?;
            let (_, rest) = take_quoted(label).map_err(at)?;
            if rest != "]" {
                return Err(at("junk after subgraph label".into()));
            }
            if !is_safe_ident(id) || !subgraphs.insert(id.to_string()) || nodes.contains(id) {
                return Err(at(format!("bad or duplicate subgraph id {id:?}")));
            }
            open.push(id.to_string());
        } else if t == "end" {
            open.pop()
                .ok_or_else(|| at("`end` without a subgraph".into()))?;
        } else if let Some(rest) = t.strip_prefix("linkStyle ") {
            let (indexes, _) = rest
                .split_once(' ')
                .ok_or_else(|| at("bad linkStyle".into()))?;
            for i in indexes.split(',') {
                link_styles.push(i.parse::<usize>().map_err(|e| at(e.to_string()))?);
            }
        } else if let Some(rest) = t.strip_prefix("style ") {
            let (id, _) = take_ident(rest);
            styled.push(id.to_string());
        } else if t.contains(" -->") || t.contains(" ==>") {
            let (from, rest) = take_ident(t);
            let rest = rest
                .strip_prefix(' ')
                .ok_or_else(|| at("bad edge".into()))?;
            let rest = rest
                .strip_prefix("-->")
                .or_else(|| rest.strip_prefix("==>"))
                .ok_or_else(|| at("unknown arrow".into()))?;
            let rest = match rest.strip_prefix('|') {
                Some(label) => {
                    let (_, after) = take_quoted(label).map_err(at)?;
                    after
                        .strip_prefix('|')
                        .ok_or_else(|| at("unterminated edge label".into()))?
                }
                None => rest,
            };
            let to = rest
                .strip_prefix(' ')
                .ok_or_else(|| at("bad edge target".into()))?;
            if !is_safe_ident(from) || !is_safe_ident(to) {
                return Err(at("edge with unsafe node id".into()));
            }
            edges.push((from.to_string(), to.to_string()));
        } else {
            let (id, shape) = take_ident(t);
            let label = ["(\"", "[(\"", "[\""]
                .iter()
                .zip(["\")", "\")]", "\"]"])
                .find_map(|(open, close)| {
                    let inner = shape.strip_prefix(open)?.strip_suffix(close)?;
                    (!inner.contains('"')).then_some(inner)
                });
            if label.is_none() {
                return Err(at("not a node declaration".into()));
            }
            if !is_safe_ident(id) || !nodes.insert(id.to_string()) || subgraphs.contains(id) {
                return Err(at(format!("bad or duplicate node id {id:?}")));
            }
        }
    }
    if let Some(id) = open.last() {
        return Err(format!("subgraph {id} has no `end`"));
    }
    for (from, to) in &edges {
        if !nodes.contains(from) || !nodes.contains(to) {
            return Err(format!("edge {from} -> {to} uses an undeclared node"));
        }
    }
    if let Some(i) = link_styles.iter().find(|&&i| i >= edges.len()) {
        return Err(format!("linkStyle {i} but only {} edges", edges.len()));
    }
    if let Some(id) = styled.iter().find(|id| !subgraphs.contains(*id)) {
        return Err(format!("style for unknown subgraph {id}"));
    }
    Ok(())
}

#[test]
fn mermaid_is_well_formed_for_examples_hostile_and_invalid_sessions() {
    for file in EXAMPLES.iter().chain(&MALFORMED).chain(&[HOSTILE]) {
        let text = diagram(file, "mermaid");
        if let Err(e) = check_mermaid(&text) {
            panic!("{file}: {e}\n{text}");
        }
    }
}

#[test]
fn the_structure_check_catches_broken_mermaid() {
    let good = "flowchart LR\n    subgraph b_x[\"X\"]\n        c_a(\"A\")\n    end\n    c_b[\"B\"]\n    c_a -->|\"l\"| c_b\n";
    assert_eq!(check_mermaid(good), Ok(()));
    for bad in [
        good.replace("    end\n", ""),
        good.replace("c_a -->", "c_z -->"),
        good.replace("c_b[\"B\"]", "end[\"B\"]"),
        good.replace("\"l\"", "\"a\"b\""),
        good.replace("(\"A\")", "(\"A\""),
    ] {
        assert!(check_mermaid(&bad).is_err(), "{bad}");
    }
}

#[test]
fn mermaid_draws_boundaries_shapes_and_crossings() {
    let text = diagram(MICRO, "mermaid");
    assert!(text.contains("    subgraph b_dmz[\"Internet edge (DMZ)\"]\n"));
    assert!(text.contains("c_api_gateway(\"API gateway\")"), "{text}");
    assert!(
        text.contains("c_postgres[(\"PostgreSQL database\")]"),
        "{text}"
    );
    assert!(text.contains("c_mobile_web_client[\"Mobile and web client\"]"));
    // Crossing flows are thick and marked; the one inside the mesh is not.
    assert!(
        text.contains("c_sms_email_provider ==>|\"! Delivery status webhooks\"| c_api_gateway")
    );
    assert!(text.contains("c_auth_service -->|\"OTP send requests\"| c_event_queue"));
}

#[test]
fn the_markdown_embeds_the_same_diagram_in_one_fence() {
    let md = report(MICRO, "md");
    let fenced = format!("```mermaid\n{}```\n", diagram(MICRO, "mermaid"));
    assert!(md.contains(&fenced), "{md}");
    let fences: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with("```") || l.starts_with("~~~"))
        .collect();
    assert_eq!(fences, ["```mermaid", "```"]);
}

// ---------------------------------------------------------------------------------------------
// HTML

const HTML_TAGS: &[&str] = &[
    "html", "head", "meta", "title", "style", "body", "main", "nav", "ul", "ol", "li", "a", "h1",
    "h2", "h3", "p", "br", "em", "strong", "span", "table", "thead", "tbody", "tr", "th", "td",
    "figure", "footer", "svg", "defs", "marker", "path", "g", "rect", "circle", "text",
];

struct Tag {
    name: String,
    closing: bool,
    attrs: Vec<(String, String)>,
}

/// Every tag in the document. Text never holds a raw `<` (it is escaped), so each `<` starts a
/// tag; attribute values are double-quoted and never hold a raw `"` or `>`.
fn tags(html: &str) -> Result<Vec<Tag>, String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let end = after
            .find('>')
            .ok_or_else(|| format!("unterminated tag at {:?}", &after[..after.len().min(40)]))?;
        let body = &after[..end];
        rest = &after[end + 1..];
        if body.starts_with("!DOCTYPE") {
            continue;
        }
        let (closing, body) = match body.strip_prefix('/') {
            Some(b) => (true, b),
            None => (false, body),
        };
        let body = body.strip_suffix('/').unwrap_or(body);
        let name_len = body
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(body.len());
        let (name, mut attrs_text) = body.split_at(name_len);
        let mut attrs = Vec::new();
        loop {
            attrs_text = attrs_text.trim_start();
            if attrs_text.is_empty() {
                break;
            }
            let eq = attrs_text
                .find('=')
                .ok_or_else(|| format!("attribute without a value in <{body}>"))?;
            let attr = attrs_text[..eq].trim().to_string();
            let value_text = attrs_text[eq + 1..]
                .strip_prefix('"')
                .ok_or_else(|| format!("unquoted attribute in <{body}>"))?;
            let close = value_text
                .find('"')
                .ok_or_else(|| format!("unterminated attribute in <{body}>"))?;
            attrs.push((attr, value_text[..close].to_string()));
            attrs_text = &value_text[close + 1..];
        }
        out.push(Tag {
            name: name.to_string(),
            closing,
            attrs,
        });
    }
    Ok(out)
}

/// Only our tags and attributes; nothing that loads or runs anything.
fn check_html_is_inert(html: &str) -> Result<(), String> {
    let tags = tags(html)?;
    let mut depth: HashMap<&str, i32> = HashMap::new();
    for tag in &tags {
        if !HTML_TAGS.contains(&tag.name.as_str()) {
            return Err(format!("unexpected tag <{}>", tag.name));
        }
        if tag.closing {
            *depth.entry(tag.name.as_str()).or_default() -= 1;
            continue;
        }
        if !matches!(
            tag.name.as_str(),
            "meta" | "br" | "path" | "rect" | "circle"
        ) {
            *depth.entry(tag.name.as_str()).or_default() += 1;
        }
        for (attr, value) in &tag.attrs {
            let lower = attr.to_ascii_lowercase();
            if lower.starts_with("on")
                || matches!(
                    lower.as_str(),
                    "src" | "srcset" | "style" | "xlink:href" | "action" | "formaction" | "data"
                )
            {
                return Err(format!("attribute {attr} on <{}>", tag.name));
            }
            if lower == "href" {
                let ok =
                    tag.name == "a" && (value.starts_with('#') || value.starts_with("https://"));
                if !ok {
                    return Err(format!("href {value:?} on <{}>", tag.name));
                }
            }
            if value.contains("url(") && !(lower == "marker-end" && value.starts_with("url(#")) {
                return Err(format!("url() in {attr}={value:?}"));
            }
            if value.to_ascii_lowercase().contains("javascript:") {
                return Err(format!("javascript: in {attr}"));
            }
        }
    }
    if let Some((name, d)) = depth.iter().find(|(_, d)| **d != 0) {
        return Err(format!("<{name}> opened and closed unevenly ({d})"));
    }
    let styles: Vec<&str> = html.split("<style>").skip(1).collect();
    if styles.len() != 1 {
        return Err(format!("{} style elements", styles.len()));
    }
    let css = styles[0].split("</style>").next().unwrap_or_default();
    for bad in ["@import", "url(", "http:", "https:", "expression("] {
        if css.contains(bad) {
            return Err(format!("stylesheet contains {bad}"));
        }
    }
    if !html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">") {
        return Err("no Content-Security-Policy".into());
    }
    Ok(())
}

#[test]
fn html_is_one_self_contained_file() {
    let html = report(MICRO, "html");
    check_html_is_inert(&html).unwrap_or_else(|e| panic!("{e}"));
    // No http at all, and https only as the target of a library link.
    assert!(!html.contains("http://"));
    let mut links = 0;
    for (i, _) in html.match_indices("https://") {
        assert!(
            html[..i].ends_with("<a href=\""),
            "https:// outside a link: {:?}",
            &html[i.saturating_sub(60)..i + 40]
        );
        links += 1;
    }
    assert!(links > 10, "library refs are linked");
    assert!(html.contains(
        "<a href=\"https://attack.mitre.org/techniques/T1110/004\" title=\"Credential Stuffing\" rel=\"noreferrer\">attack:T1110.004</a>"
    ));
    // The diagram is inline SVG with a box per component and an arrow per flow.
    assert_eq!(html.matches("<svg ").count(), 1);
    assert_eq!(html.matches("<g class=\"component ").count(), 8);
    assert_eq!(html.matches("<g class=\"flow").count(), 11);
    assert_eq!(html.matches("<g class=\"flow crossing\">").count(), 8);
    assert_eq!(html.matches("<g class=\"boundary\">").count(), 3);
    assert!(html.contains("@media print"));
}

#[test]
fn the_html_check_catches_external_references() {
    let html = report(MICRO, "html");
    for (from, to) in [
        (
            "<main>",
            "<main><script src=\"https://cdn.example/x.js\"></script>",
        ),
        ("<main>", "<main><img src=\"x.png\">"),
        (
            "<main>",
            "<main><link rel=\"stylesheet\" href=\"https://x\">",
        ),
        ("<style>", "<style>@import url(https://fonts.example/css);"),
        ("<main>", "<main><p onclick=\"x()\">"),
        ("<main>", "<main><a href=\"javascript:alert(1)\">x</a>"),
    ] {
        let broken = html.replacen(from, to, 1);
        assert!(check_html_is_inert(&broken).is_err(), "{to}");
    }
}

// ---------------------------------------------------------------------------------------------
// Hostile text

#[test]
fn hostile_text_is_inert_in_html() {
    let html = report(HOSTILE, "html");
    check_html_is_inert(&html).unwrap_or_else(|e| panic!("{e}"));
    assert!(!html.chars().any(|c| c.is_control() && c != '\n'));
    assert!(html.contains("&lt;script&gt;alert(2)&lt;/script&gt;"));
    assert!(html.contains("&lt;img src=http://evil.example/x.png onerror=alert(1)&gt;"));
    assert!(
        html.contains("\\e]0;pwned\\u{7}"),
        "escape sequences made visible"
    );
}

/// Cells of a Markdown table row: split at pipes that are not backslash-escaped.
fn table_cells(line: &str) -> usize {
    let mut count = 0;
    let mut backslashes = 0;
    for c in line.chars() {
        if c == '|' && backslashes % 2 == 0 {
            count += 1;
        }
        backslashes = if c == '\\' { backslashes + 1 } else { 0 };
    }
    count
}

#[test]
fn hostile_text_is_inert_in_markdown() {
    let md = report(HOSTILE, "md");
    assert!(!md.contains('<'), "no raw HTML at all");
    assert!(!md.chars().any(|c| c.is_control() && c != '\n'));
    // The description's would-be blocks stay text.
    for escaped in [
        "\\# Not a heading",
        "\\- not a list",
        "&lt;img src=http://evil.example/x.png onerror=alert(1)&gt;",
        "\\`\\`\\`",
        // A lone & stays as written; one that would start an entity is escaped.
        "\\[click\\](javascript:alert(1)) & \\&amp; \\\\e\\[2J",
        "\\=HYPERLINK(\"http://evil.example\",\"click\")",
        "\\| broken \\| table \\|",
    ] {
        assert!(md.contains(escaped), "{escaped}\n{md}");
    }
    // Only our fence, our headings, and table rows with as many cells as their header.
    let fences: Vec<&str> = md.lines().filter(|l| l.starts_with("```")).collect();
    assert_eq!(fences, ["```mermaid", "```"]);
    for line in md.lines().filter(|l| l.starts_with('#')) {
        assert!(
            line.starts_with("# Threat model: ")
                || line.starts_with("## ")
                || line.starts_with("### "),
            "{line}"
        );
    }
    let mut header_cells = None;
    for line in md.lines() {
        if line.starts_with('|') {
            let n = table_cells(line);
            let expected = *header_cells.get_or_insert(n);
            assert_eq!(n, expected, "{line}");
        } else {
            header_cells = None;
        }
    }
    // The diagram inside is still well formed.
    let start = md.find("```mermaid\n").expect("diagram") + "```mermaid\n".len();
    let end = start + md[start..].find("```\n").expect("fence end");
    check_mermaid(&md[start..end]).unwrap_or_else(|e| panic!("{e}"));
}

/// RFC 4180 records.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\n') => panic!("bare LF line end"),
            (false, c) => field.push(c),
        }
    }
    assert!(!quoted, "unterminated quote");
    assert!(field.is_empty() && row.is_empty(), "last line without CRLF");
    rows
}

#[test]
fn hostile_text_is_neutralised_in_csv() {
    let text = report(HOSTILE, "csv");
    assert!(
        !text
            .chars()
            .any(|c| c.is_control() && c != '\r' && c != '\n')
    );
    let rows = parse_csv(&text);
    assert_eq!(rows.len(), 3);
    for row in &rows {
        assert_eq!(row.len(), 16, "{row:?}");
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "formula-like cell {cell:?}"
            );
        }
    }
    let th1 = &rows[1];
    assert_eq!(th1[1], "'=HYPERLINK(\"http://evil.example\",\"click\")");
    assert_eq!(th1[11], "'-2+3 \\e[2J");
    assert_eq!(th1[12], "'@SUM(1)");
    assert_eq!(th1[15], "'+cmd|' /C calc'!A0");
}

#[test]
fn hostile_text_stays_inside_dot_strings() {
    let dot = diagram(HOSTILE, "dot");
    assert!(!dot.chars().any(|c| c.is_control() && c != '\n'));
    // Outside quoted strings (with \" and \\ escapes) only our syntax appears.
    let mut outside = String::new();
    let mut quoted = false;
    let mut chars = dot
        .lines()
        .filter(|l| !l.starts_with("//"))
        .flat_map(|l| l.chars().chain(['\n']));
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '\\') => {
                chars.next();
            }
            (true, '"') | (false, '"') => {
                quoted = !quoted;
                outside.push('"');
            }
            (true, _) => {}
            (false, c) => outside.push(c),
        }
    }
    assert!(!quoted);
    assert!(
        !outside.contains('<') && !outside.contains("script"),
        "{outside}"
    );
    assert_eq!(outside.matches('{').count(), outside.matches('}').count());
    assert_eq!(outside.matches('[').count(), outside.matches(']').count());
    assert!(dot.contains("label=\"A \\\"quoted\\\" | pipe\""));
}

#[test]
fn hostile_text_round_trips_in_json() {
    let doc: serde_json::Value =
        serde_json::from_str(&report(HOSTILE, "json")).expect("valid JSON");
    assert_eq!(
        doc["session"]["title"],
        "<script>alert('title')</script> | =cmd() `x` \u{1b}]0;pwned\u{7}"
    );
}

// ---------------------------------------------------------------------------------------------
// DOT, JSON, CSV, SARIF

#[test]
fn dot_has_nested_clusters_shapes_and_marked_crossings() {
    let dot = diagram(MICRO, "dot");
    assert!(dot.contains("digraph \"threatboard\" {\n"));
    assert!(dot.contains("    subgraph \"cluster_dmz\" {\n        label=\"Internet edge (DMZ)\";"));
    assert!(dot.contains("\"postgres\" [label=\"PostgreSQL database\", shape=cylinder];"));
    assert!(dot.contains("\"api-gateway\" [label=\"API gateway\", shape=box, style=rounded];"));
    assert!(dot.contains("\"mobile-web-client\" [label=\"Mobile and web client\", shape=box];"));
    assert!(dot.contains(
        "\"sms-email-provider\" -> \"api-gateway\" [label=\"! Delivery status webhooks\", style=bold, penwidth=2.5, color=\"#c62828\", fontcolor=\"#c62828\"];"
    ));
    assert!(dot.contains("\"auth-service\" -> \"event-queue\" [label=\"OTP send requests\"];"));

    // Nested boundaries nest as clusters.
    let nested = diagram("tests/fixtures/malformed/duplicate-element-id.toml", "dot");
    let outer = nested.find("subgraph \"cluster_internet\"").expect("outer");
    let inner = nested.find("subgraph \"cluster_dmz\"").expect("inner");
    assert!(outer < inner, "{nested}");
    assert!(nested[inner..].starts_with("subgraph \"cluster_dmz\" {"));
    assert_eq!(nested.matches('{').count(), nested.matches('}').count());
}

#[test]
fn json_has_the_documented_shape() {
    let doc: serde_json::Value = serde_json::from_str(&report(MICRO, "json")).expect("valid JSON");
    assert_eq!(doc["format"], "threatboard-report");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["today"], TODAY);
    assert_eq!(doc["source"], MICRO);
    assert_eq!(doc["valid"], true);
    let session = &doc["session"];
    assert_eq!(session["title"], "Microservices API platform");
    assert_eq!(session["threats"].as_array().map(Vec::len), Some(12));
    assert_eq!(session["mitigations"][0]["due"], "2026-12-15");
    assert_eq!(session["runs"][0]["date"], "2026-09-15");
    assert_eq!(session["agenda"], serde_json::json!([8, 12, 7, 3]));
    // Every documented field is present, empty or null when the file leaves it out.
    let component = &session["components"][0];
    assert_eq!(component["technology"], "api-gateway");
    let client = session["components"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["id"] == "mobile-web-client"))
        .expect("the client");
    assert_eq!(client["boundary"], serde_json::Value::Null);
    assert_eq!(component["not_applicable_reason"], "");
    assert_eq!(component["dismissed"], serde_json::json!([]));
    assert_eq!(session["flows"][0]["dismissed"], serde_json::json!([]));
    assert_eq!(session["flows"][0]["not_applicable_reason"], "");
    assert_eq!(session["threats"][0]["rule"], serde_json::Value::Null);
    let analysis = &doc["analysis"];
    assert_eq!(analysis["dismissed_suggestions"], serde_json::json!([]));
    let threats = analysis["threats"].as_array().expect("threats");
    assert_eq!(threats[0]["id"], "TH-001");
    assert_eq!(threats[0]["risk"], "critical");
    assert_eq!(
        threats[0]["refs"][0]["url"],
        "https://attack.mitre.org/techniques/T1110/004"
    );
    let scores: Vec<i64> = threats
        .iter()
        .map(|t| t["risk_score"].as_i64().expect("score"))
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert_eq!(analysis["summary"]["threats"]["by_risk"]["critical"], 1);
    assert_eq!(
        analysis["mitigations_by_owner"][0]["owner"],
        serde_json::Value::Null
    );
    assert!(
        analysis["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["key"] == "TB001:provider-webhook")
    );
    assert!(analysis["coverage"]["percent"].as_f64().is_some());
    assert!(
        !analysis["attack_paths"]
            .as_array()
            .expect("paths")
            .is_empty()
    );
}

#[test]
fn csv_has_one_row_per_mitigation_and_stable_columns() {
    let rows = parse_csv(&report(MICRO, "csv"));
    assert_eq!(
        rows[0],
        [
            "threat_id",
            "threat_title",
            "target",
            "stride",
            "likelihood",
            "impact",
            "risk",
            "response",
            "threat_status",
            "refs",
            "mitigation_id",
            "action",
            "owner",
            "due",
            "mitigation_status",
            "ticket"
        ]
    );
    let of =
        |threat: &str| -> Vec<&Vec<String>> { rows.iter().filter(|r| r[0] == threat).collect() };
    let th1 = of("TH-001");
    assert_eq!(th1.len(), 2);
    assert_eq!(th1[0][10], "MI-001");
    assert_eq!(th1[1][10], "MI-002");
    assert_eq!(th1[0][6], "critical");
    // An accepted threat has no mitigation: one row, mitigation columns empty.
    let th3 = of("TH-003");
    assert_eq!(th3.len(), 1);
    assert!(th3[0][10..].iter().all(String::is_empty));
    // MI-002 covers two threats and appears under each.
    assert_eq!(rows.iter().filter(|r| r[10] == "MI-002").count(), 2);
    // 12 threats; TH-001 has two mitigations, TH-006 two, TH-003, TH-008 and TH-011 none.
    assert_eq!(rows.len(), 1 + 14);
}

fn sarif_validator() -> jsonschema::Validator {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sarif/sarif-2.1.0-rtm.5.json");
    let mut schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("schema")).expect("schema json");
    // rtm.5's pattern for the `language` properties has a stray `]` that strict regex engines
    // reject; the schema's own description asks for "xx" or "xx-XX". threatboard never writes
    // `language`, so the repaired pattern cannot change a verdict on its output.
    for definition in ["run", "toolComponent"] {
        let language = &mut schema["definitions"][definition]["properties"]["language"]["pattern"];
        assert_eq!(language, "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$");
        *language = serde_json::json!("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
    }
    jsonschema::validator_for(&schema).expect("schema compiles")
}

#[test]
fn sarif_report_validates_against_the_official_schema() {
    let validator = sarif_validator();
    for file in [
        MICRO,
        HOSTILE,
        "tests/fixtures/malformed/rating-out-of-range.toml",
    ] {
        let doc: serde_json::Value =
            serde_json::from_str(&report(file, "sarif")).expect("SARIF is JSON");
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{file}: {errors:#?}");
    }
    let doc: serde_json::Value =
        serde_json::from_str(&report(MICRO, "sarif")).expect("SARIF is JSON");
    let results = doc["runs"][0]["results"].as_array().expect("results");
    let webhook = results
        .iter()
        .find(|r| r["partialFingerprints"]["threatboardFindingKey/v1"] == "TB001:provider-webhook")
        .expect("webhook result");
    assert_eq!(
        webhook["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        MICRO
    );
    assert_eq!(
        webhook["locations"][0]["physicalLocation"]["region"]["startLine"],
        209
    );
}

// ---------------------------------------------------------------------------------------------
// Files and exit codes

#[test]
fn output_file_is_written_atomically_with_the_same_bytes() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (format, name) in [("md", "r.md"), ("html", "r.html"), ("csv", "r.csv")] {
        let path = dir.path().join(name);
        let out = threatboard(&[
            "report",
            MICRO,
            "--format",
            format,
            "--today",
            TODAY,
            "-o",
            path.to_str().expect("utf-8 path"),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(out.stdout.is_empty());
        let written = std::fs::read_to_string(&path).expect("report written");
        assert_eq!(written, report(MICRO, format));
    }
    // Nothing but the reports is left in the directory (no temporary files).
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["r.csv", "r.html", "r.md"]);
}

#[test]
fn the_report_never_overwrites_its_session() {
    let dir = tempfile::tempdir().expect("temp dir");
    let session = dir.path().join("s.toml");
    let original = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(MICRO)).expect("read");
    std::fs::write(&session, &original).expect("copy");
    let path = session.to_str().expect("utf-8");
    let out = threatboard(&["report", path, "-o", path]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("refusing"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&session).expect("read"), original);
}

#[test]
fn unreadable_input_exits_2_with_a_position() {
    let bad = "tests/fixtures/malformed/syntax-unterminated-string.toml";
    for args in [
        vec!["report", bad],
        vec!["report", bad, "--format", "html"],
        vec!["diagram", bad],
        vec!["diagram", bad, "--format", "dot"],
    ] {
        let out = threatboard(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        assert!(
            stderr(&out).contains("syntax-unterminated-string.toml:2:27:"),
            "{}",
            stderr(&out)
        );
    }
    assert_eq!(
        threatboard(&["report", "no/such/file.toml"]).status.code(),
        Some(2)
    );
    assert_eq!(
        threatboard(&["report", MICRO, "--format", "pdf"])
            .status
            .code(),
        Some(2)
    );
    let unwritable = threatboard(&["report", MICRO, "-o", "no/such/dir/report.md"]);
    assert_eq!(unwritable.status.code(), Some(2));
}

#[test]
fn an_invalid_session_is_reported_with_its_problems_and_exit_1() {
    let file = "tests/fixtures/malformed/flow-unknown-component.toml";
    let out = threatboard(&["report", file, "--today", TODAY]);
    assert_eq!(out.status.code(), Some(1));
    let md = stdout(&out);
    assert!(md.contains("## Validation problems"), "{md}");
    assert!(md.contains("flow-unknown-component.toml:28:6:"), "{md}");
    assert!(
        stderr(&out).contains("flow-unknown-component.toml:28:6: [[flows]] \"client-api\" to: unknown component \"ap1\""),
        "{}",
        stderr(&out)
    );
    let json = threatboard(&["report", file, "--format", "json", "--today", TODAY]);
    assert_eq!(json.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("json");
    assert_eq!(doc["valid"], false);
    assert_eq!(doc["problems"][0]["line"], 28);
}

#[test]
fn overdue_and_unowned_mitigations_are_marked() {
    // On a later day MI-004 (due 2026-12-04, in progress) is overdue.
    let out = threatboard(&["report", MICRO, "--today", "2026-12-10"]);
    let md = stdout(&out);
    assert!(md.contains("| **MI-004** |"), "{md}");
    assert!(md.contains("**⚠ 2026-12-04, overdue**"), "{md}");
    // The unowned group comes first among the owners.
    let unowned = md.find("### **⚠ No owner**").expect("unowned group");
    let first_owner = md.find("### @identity-team").expect("owner group");
    assert!(unowned < first_owner);
}

/// Out of scope (a reason) and unknown protection, through every output that shows them.
#[test]
fn out_of_scope_elements_and_unknown_protection_are_reported_as_such() {
    let file = "tests/fixtures/scope/out-of-scope-and-unknown.toml";
    let md = report(file, "md");
    let section = &md[md
        .find("### Out of scope")
        .expect("an Out of scope section")..];
    assert!(
        section.contains(
            "| Vendor CRM | component | the vendor's system, covered by their assessment |"
        ),
        "{md}"
    );
    assert!(
        section.contains("| API → Vendor CRM | flow | the vendor's connector |"),
        "{md}"
    );
    // Unknown is said, not shown as "no"; it is TB016, never TB001/TB002.
    assert!(md.contains("| unknown | unknown |"), "{md}");
    assert!(md.contains("TB016 unknown-flow-protection"), "{md}");
    assert!(!md.contains("TB001") && !md.contains("TB002"), "{md}");

    let json: serde_json::Value = serde_json::from_str(&report(file, "json")).expect("json parses");
    assert_eq!(
        json["session"]["flows"][0]["authenticated"],
        serde_json::Value::Null
    );
    assert_eq!(
        json["session"]["flows"][1]["out_of_scope"],
        "the vendor's connector"
    );
    assert_eq!(
        json["analysis"]["out_of_scope"],
        serde_json::json!([
            {"element": "crm", "kind": "component", "reason": "the vendor's system, covered by their assessment"},
            {"element": "api-crm", "kind": "flow", "reason": "the vendor's connector"},
        ])
    );
    // Neither counted nor a gap in coverage.
    let covered: Vec<&str> = json["analysis"]["coverage"]["elements"]
        .as_array()
        .expect("elements")
        .iter()
        .map(|e| e["element"].as_str().expect("id"))
        .collect();
    assert_eq!(covered, ["user", "api", "user-api"]);
    // TB016 is low: the gate passes at the default threshold.
    let check = threatboard(&["check", file, "--today", TODAY]);
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
    assert!(stdout(&check).contains("TB016 unknown-flow-protection"));
}

#[test]
fn a_blank_out_of_scope_reason_is_a_located_problem() {
    let file = "tests/fixtures/scope/blank-reason.toml";
    let out = threatboard(&["validate", file]);
    assert_eq!(out.status.code(), Some(1));
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        text.contains(
            "blank-reason.toml:8:16: [[components]] \"api\" out_of_scope: out_of_scope is blank"
        ),
        "{text}"
    );
}
