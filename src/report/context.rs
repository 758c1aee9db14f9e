//! What every report format shows, computed once: the session with its analysis, threats ranked
//! by risk, mitigations grouped by owner, library links, and the diagram's structure (boundary
//! tree, safe node ids, edges with the boundaries they cross).
//!
//! The renderers ([`super::markdown`], [`super::html`], [`super::json`], [`super::mermaid`],
//! [`super::dot`]) only format what is here, so the formats cannot disagree about the content.

use crate::analysis::{Analysis, FindingOptions, ModelGraph, acceptance_is_valid, analyze};
use crate::library::{LibrarySet, natural_cmp};
use crate::model::{
    Acceptance, Component, Flow, LibraryRef, Mitigation, RiskLevel, Session, Threat, ThreatStatus,
};
use crate::store::LineCol;
use chrono::NaiveDate;
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

/// A session ready to be rendered.
pub struct ReportContext<'a> {
    pub session: &'a Session,
    /// The session file as named on the command line, shown in the report's header.
    pub source: String,
    /// The day due and review dates are judged against.
    pub today: NaiveDate,
    pub libraries: &'a LibrarySet,
    /// Validation problems with their positions in the file; a report of an invalid session
    /// lists them first.
    pub problems: Vec<(LineCol, String)>,
    pub analysis: Analysis,
    pub diagram: Diagram<'a>,
}

/// A library entry a threat refers to, as far as the loaded libraries know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefInfo {
    pub name: String,
    /// A link that is safe to put in Markdown and HTML (see [`safe_url`]), when the entry has one.
    pub url: Option<String>,
}

/// One owner's mitigations.
pub struct OwnerGroup<'a> {
    /// `None` for the mitigations nobody owns.
    pub owner: Option<&'a str>,
    /// Undated first, then by due date, then by id.
    pub mitigations: Vec<&'a Mitigation>,
}

/// Counts per risk level (and unrated) and per status, for the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Indexed like [`RiskLevel::ALL`] (low to critical), then unrated at index 4.
    pub by_risk: [usize; 5],
    /// Of those, still open (open or needs review).
    pub open_by_risk: [usize; 5],
    /// Indexed like [`STATUSES`].
    pub by_status: [usize; 4],
}

/// Threat statuses in the order reports list them.
pub const STATUSES: [ThreatStatus; 4] = [
    ThreatStatus::Open,
    ThreatStatus::NeedsReview,
    ThreatStatus::Resolved,
    ThreatStatus::NotApplicable,
];

impl<'a> ReportContext<'a> {
    pub fn new(
        session: &'a Session,
        source: impl Into<String>,
        today: NaiveDate,
        libraries: &'a LibrarySet,
        problems: Vec<(LineCol, String)>,
    ) -> Self {
        let options = FindingOptions {
            today,
            max_age_days: None,
            rules: Some(libraries.rules()),
        };
        ReportContext {
            session,
            source: source.into(),
            today,
            libraries,
            problems,
            analysis: analyze(session, &options),
            diagram: Diagram::new(session),
        }
    }

    /// Threats by risk, highest first; equal risk by id. Unrated threats come last.
    pub fn ranked_threats(&self) -> Vec<&'a Threat> {
        let mut threats: Vec<&Threat> = self.session.threats.iter().collect();
        threats.sort_by(|a, b| {
            b.risk_score()
                .cmp(&a.risk_score())
                .then_with(|| natural_cmp(a.id.as_str(), b.id.as_str()))
        });
        threats
    }

    /// The mitigations addressing a threat, by id.
    pub fn mitigations_for(&self, threat: &'a str) -> Vec<&'a Mitigation> {
        let mut list: Vec<&Mitigation> = self.session.mitigations_for(threat).collect();
        list.sort_by(|a, b| natural_cmp(a.id.as_str(), b.id.as_str()));
        list
    }

    /// Mitigations by owner: the unowned group first, then owners in alphabetical order
    /// (ignoring case). Within a group, undated mitigations first.
    pub fn owner_groups(&self) -> Vec<OwnerGroup<'a>> {
        let mut groups: Vec<OwnerGroup<'a>> = Vec::new();
        for m in &self.session.mitigations {
            let owner = Some(m.owner.trim()).filter(|o| !o.is_empty());
            match groups.iter_mut().find(|g| g.owner == owner) {
                Some(group) => group.mitigations.push(m),
                None => groups.push(OwnerGroup {
                    owner,
                    mitigations: vec![m],
                }),
            }
        }
        groups.sort_by(|a, b| match (a.owner, b.owner) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => x.to_lowercase().cmp(&y.to_lowercase()).then(x.cmp(y)),
        });
        for g in &mut groups {
            g.mitigations.sort_by(|a, b| {
                // `None` sorts before `Some`: undated first.
                a.due
                    .cmp(&b.due)
                    .then_with(|| natural_cmp(a.id.as_str(), b.id.as_str()))
            });
        }
        groups
    }

    /// Acceptances by threat id.
    pub fn acceptances(&self) -> Vec<&'a Acceptance> {
        let mut list: Vec<&Acceptance> = self.session.acceptances.iter().collect();
        list.sort_by(|a, b| natural_cmp(a.threat.as_str(), b.threat.as_str()));
        list
    }

    pub fn acceptance_in_force(&self, threat: &str) -> bool {
        acceptance_is_valid(self.session, threat, self.today)
    }

    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for t in &self.session.threats {
            let i = risk_index(t.risk());
            c.by_risk[i] += 1;
            if t.status.is_open() {
                c.open_by_risk[i] += 1;
            }
            if let Some(s) = STATUSES.iter().position(|s| *s == t.status) {
                c.by_status[s] += 1;
            }
        }
        c
    }

    /// The loaded library entry a reference names.
    pub fn reference(&self, reference: &LibraryRef) -> Option<RefInfo> {
        let (_, entry) = self.libraries.get(reference)?;
        Some(RefInfo {
            name: entry.name.clone(),
            url: safe_url(&entry.url),
        })
    }

    /// Mitigations that are past due and unfinished today.
    pub fn overdue(&self, m: &Mitigation) -> bool {
        m.is_overdue(self.today)
    }

    /// How an element is shown to people: a component's name (its id when unnamed), a flow as
    /// `from → to` with the components' names, or the id as written when it is unknown.
    pub fn element_name(&self, id: &str) -> String {
        let name = |c: &Component| super::mermaid::display_name(&c.name, c.id.as_str()).to_string();
        if let Some(c) = self.session.component(id) {
            return name(c);
        }
        let Some(f) = self.session.flow(id) else {
            return id.to_string();
        };
        let end = |id: &str| {
            self.session
                .component(id)
                .map_or_else(|| id.to_string(), name)
        };
        format!("{} → {}", end(f.from.as_str()), end(f.to.as_str()))
    }

    /// A boundary's name, or the id as written.
    pub fn boundary_name(&self, id: &str) -> String {
        self.session.boundary(id).map_or_else(
            || id.to_string(),
            |b| super::mermaid::display_name(&b.name, b.id.as_str()).to_string(),
        )
    }
}

/// Index into [`Counts::by_risk`]: the level's place in [`RiskLevel::ALL`], 4 when unrated.
pub fn risk_index(risk: Option<RiskLevel>) -> usize {
    risk.and_then(|r| RiskLevel::ALL.iter().position(|x| *x == r))
        .unwrap_or(4)
}

/// A link from a library file made safe to emit: only `http(s)` URLs are kept, and every
/// character that could end a Markdown link or an HTML attribute, or that is not printable
/// ASCII, is percent-encoded. `&` is kept; the renderers escape it as an entity.
pub fn safe_url(url: &str) -> Option<String> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return None;
    }
    let mut out = String::with_capacity(url.len());
    for b in url.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b':'
                    | b'/'
                    | b'?'
                    | b'#'
                    | b'@'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'%'
            );
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Some(out)
}

/// One item of the diagram's containment tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A trust boundary (index into `session.boundaries`) and what it contains.
    Boundary(usize, Vec<Item>),
    /// A component, index into `session.components`.
    Component(usize),
}

/// A flow between two drawn components.
#[derive(Debug, Clone)]
pub struct Edge<'a> {
    /// Index into `session.flows`; the flow's number in reports is this plus one.
    pub index: usize,
    pub flow: &'a Flow,
    /// Component indexes of the two ends.
    pub from: usize,
    pub to: usize,
    /// Ids of the trust boundaries the flow crosses; empty for a flow inside one boundary.
    pub crossed: Vec<String>,
}

impl Edge<'_> {
    pub fn crosses(&self) -> bool {
        !self.crossed.is_empty()
    }
}

/// The data-flow diagram's structure, shared by Mermaid, DOT and the HTML's SVG.
///
/// Robust to invalid sessions: with duplicate ids the first entry is drawn (as `Session` lookups
/// do), a component in an unknown boundary is drawn outside all boundaries, a parent cycle is
/// broken at the boundary with the smallest id, and a flow with an unknown end is left out.
#[derive(Debug, Clone)]
pub struct Diagram<'a> {
    pub session: &'a Session,
    /// Top-level items: boundaries first (by id), then components outside every boundary.
    pub roots: Vec<Item>,
    /// Per component: an identifier safe in Mermaid and SVG (`c_` + letters, digits and `_`),
    /// unique across components and boundaries; `None` for a duplicate that is not drawn.
    pub node_ids: Vec<Option<String>>,
    /// Per boundary, likewise (`b_` prefix).
    pub boundary_ids: Vec<Option<String>>,
    /// Flows between drawn components, in session order.
    pub edges: Vec<Edge<'a>>,
}

impl<'a> Diagram<'a> {
    pub fn new(session: &'a Session) -> Self {
        let mut used = HashSet::new();
        let mut first_boundary: HashMap<&str, usize> = HashMap::new();
        let mut boundary_ids = Vec::with_capacity(session.boundaries.len());
        for (i, b) in session.boundaries.iter().enumerate() {
            if first_boundary.contains_key(b.id.as_str()) {
                boundary_ids.push(None);
            } else {
                first_boundary.insert(b.id.as_str(), i);
                boundary_ids.push(Some(safe_ident("b_", b.id.as_str(), &mut used)));
            }
        }
        let mut first_component: HashMap<&str, usize> = HashMap::new();
        let mut node_ids = Vec::with_capacity(session.components.len());
        for (i, c) in session.components.iter().enumerate() {
            if first_component.contains_key(c.id.as_str()) {
                node_ids.push(None);
            } else {
                first_component.insert(c.id.as_str(), i);
                node_ids.push(Some(safe_ident("c_", c.id.as_str(), &mut used)));
            }
        }

        // Parent of each drawn boundary, with cycles broken.
        let mut parent: Vec<Option<usize>> = session
            .boundaries
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let p = *first_boundary.get(b.parent.as_ref()?.as_str())?;
                (p != i && boundary_ids[i].is_some()).then_some(p)
            })
            .collect();
        break_cycles(session, &mut parent);

        let by_id = |a: &usize, b: &usize, ids: &dyn Fn(usize) -> &'a str| {
            natural_cmp(ids(*a), ids(*b)).then(a.cmp(b))
        };
        let boundary_id = |i: usize| session.boundaries[i].id.as_str();
        let component_id = |i: usize| session.components[i].id.as_str();

        let mut child_boundaries: Vec<Vec<usize>> = vec![Vec::new(); session.boundaries.len()];
        let mut top_boundaries = Vec::new();
        for (i, id) in boundary_ids.iter().enumerate() {
            if id.is_none() {
                continue;
            }
            match parent[i] {
                Some(p) => child_boundaries[p].push(i),
                None => top_boundaries.push(i),
            }
        }
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); session.boundaries.len()];
        let mut outside = Vec::new();
        for (i, c) in session.components.iter().enumerate() {
            if node_ids[i].is_none() {
                continue;
            }
            match c
                .boundary
                .as_ref()
                .and_then(|b| first_boundary.get(b.as_str()))
            {
                Some(&b) => members[b].push(i),
                None => outside.push(i),
            }
        }
        for list in &mut child_boundaries {
            list.sort_by(|a, b| by_id(a, b, &boundary_id));
        }
        for list in &mut members {
            list.sort_by(|a, b| by_id(a, b, &component_id));
        }
        top_boundaries.sort_by(|a, b| by_id(a, b, &boundary_id));
        outside.sort_by(|a, b| by_id(a, b, &component_id));

        fn build(b: usize, members: &[Vec<usize>], children: &[Vec<usize>]) -> Item {
            let mut items: Vec<Item> = members[b].iter().map(|&c| Item::Component(c)).collect();
            items.extend(children[b].iter().map(|&c| build(c, members, children)));
            Item::Boundary(b, items)
        }
        let mut roots: Vec<Item> = top_boundaries
            .iter()
            .map(|&b| build(b, &members, &child_boundaries))
            .collect();
        roots.extend(outside.iter().map(|&c| Item::Component(c)));

        let graph = ModelGraph::new(session);
        let edges = session
            .flows
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                let from = *first_component.get(f.from.as_str())?;
                let to = *first_component.get(f.to.as_str())?;
                Some(Edge {
                    index: i,
                    flow: f,
                    from,
                    to,
                    crossed: graph.crossings(i).iter().map(|b| b.to_string()).collect(),
                })
            })
            .collect();
        Diagram {
            session,
            roots,
            node_ids,
            boundary_ids,
            edges,
        }
    }

    pub fn component(&self, index: usize) -> &'a Component {
        &self.session.components[index]
    }

    /// The safe identifier of a drawn component.
    pub fn node_id(&self, index: usize) -> &str {
        self.node_ids
            .get(index)
            .and_then(|id| id.as_deref())
            .unwrap_or("")
    }

    pub fn boundary_id(&self, index: usize) -> &str {
        self.boundary_ids
            .get(index)
            .and_then(|id| id.as_deref())
            .unwrap_or("")
    }
}

/// Follows parents from every boundary; a chain that comes back on itself loses the parent link
/// of its member with the smallest id, until no cycle is left.
fn break_cycles(session: &Session, parent: &mut [Option<usize>]) {
    loop {
        let mut broke = false;
        for start in 0..parent.len() {
            let mut seen = vec![start];
            let mut at = start;
            while let Some(p) = parent[at] {
                if let Some(pos) = seen.iter().position(|&s| s == p) {
                    let cycle = &seen[pos..];
                    let smallest = cycle.iter().copied().min_by(|a, b| {
                        natural_cmp(
                            session.boundaries[*a].id.as_str(),
                            session.boundaries[*b].id.as_str(),
                        )
                        .then(a.cmp(b))
                    });
                    if let Some(s) = smallest {
                        parent[s] = None;
                        broke = true;
                    }
                    break;
                }
                seen.push(p);
                at = p;
            }
        }
        if !broke {
            return;
        }
    }
}

/// `prefix` + the id with every character other than an ASCII letter or digit replaced by `_`,
/// made unique with a numeric suffix. Such identifiers are never a Mermaid keyword (`end`), never
/// start with a digit, and need no quoting anywhere.
pub fn safe_ident(prefix: &str, id: &str, used: &mut HashSet<String>) -> String {
    let mut base = String::with_capacity(prefix.len() + id.len());
    base.push_str(prefix);
    base.extend(
        id.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }),
    );
    let mut candidate = base.clone();
    let mut n = 2;
    while used.contains(&candidate) {
        candidate = format!("{base}_{n}");
        n += 1;
    }
    used.insert(candidate.clone());
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Session {
        crate::store::parse(text).expect("parses").0
    }

    #[test]
    fn safe_urls_keep_only_http_and_encode_breaking_characters() {
        assert_eq!(
            safe_url("https://attack.mitre.org/techniques/T1078/004"),
            Some("https://attack.mitre.org/techniques/T1078/004".into())
        );
        assert_eq!(safe_url("javascript:alert(1)"), None);
        assert_eq!(safe_url("https://"), None);
        assert_eq!(safe_url("data:text/html,x"), None);
        assert_eq!(
            safe_url("https://x.test/a b\")<c>|`é"),
            Some("https://x.test/a%20b%22%29%3Cc%3E%7C%60%C3%A9".into())
        );
    }

    #[test]
    fn safe_idents_are_unique_and_plain() {
        let mut used = HashSet::new();
        assert_eq!(safe_ident("c_", "api-gw", &mut used), "c_api_gw");
        assert_eq!(safe_ident("c_", "api_gw", &mut used), "c_api_gw_2");
        assert_eq!(safe_ident("c_", "end", &mut used), "c_end");
        assert_eq!(safe_ident("b_", "<x>\"", &mut used), "b__x__");
    }

    #[test]
    fn diagram_nests_boundaries_and_survives_invalid_models() {
        let s = parse(
            r#"
schema = 1
title = "t"
[[boundaries]]
id = "a"
name = "A"
parent = "b"
[[boundaries]]
id = "b"
name = "B"
parent = "a"
[[boundaries]]
id = "c"
name = "C"
parent = "b"
[[components]]
id = "x"
name = "X"
kind = "process"
boundary = "c"
[[components]]
id = "x"
name = "X again"
kind = "process"
[[components]]
id = "y"
name = "Y"
kind = "data-store"
boundary = "nowhere"
[[flows]]
id = "f"
from = "x"
to = "y"
label = "l"
[[flows]]
id = "g"
from = "x"
to = "ghost"
label = "l"
"#,
        );
        let d = Diagram::new(&s);
        // The a <-> b cycle is broken at a; b nests in a, c in b.
        assert_eq!(
            d.roots,
            vec![
                Item::Boundary(
                    0,
                    vec![Item::Boundary(
                        1,
                        vec![Item::Boundary(2, vec![Item::Component(0)])]
                    )]
                ),
                Item::Component(2),
            ]
        );
        assert_eq!(d.node_ids[1], None);
        assert_eq!(d.edges.len(), 1);
        assert_eq!(d.edges[0].crossed, ["c", "b", "a"]);
    }
}
