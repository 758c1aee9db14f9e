//! What the rules can see of an element: its own properties and what the model around it says
//! (zones and their trust, crossings, data touched, neighbours). Computed once per element.
//!
//! Trust of a zone, from the model alone: an external entity, an element outside every boundary
//! (in a model that has boundaries) and an element in a boundary whose id or name says
//! `internet`, `public`, `untrusted` or `external` are untrusted (level 0); otherwise a zone is
//! as trusted as it is deep (a VPC inside a cloud account is more trusted than the account).
//! A component tagged `internet-facing` in such a boundary (a gateway in "Internet edge (DMZ)")
//! is the team's own edge, not the internet: it gets its zone's depth like any other.
//! A flow goes *inward* when it ends in a more trusted zone than it starts in.

use super::condition::Crossing;
use crate::analysis::ModelGraph;
use crate::model::{
    Classification, Component, ComponentKind, ElementKind, Flow, ProtocolFamily, Technology,
};
use foldhash::{HashMap, HashMapExt};

/// One end of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct End<'s> {
    pub kind: ElementKind,
    pub technology: Option<Technology>,
    pub name: &'s str,
    pub zone: &'s str,
    pub untrusted: bool,
}

/// Everything a condition or a template may read about one element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts<'s> {
    pub id: &'s str,
    pub name: &'s str,
    pub kind: ElementKind,
    pub technology: Option<Technology>,
    pub tags: &'s [String],
    /// Out of scope (a reason, or the old `out-of-scope` tag): rules say nothing about it.
    pub out_of_scope: bool,
    /// The most sensitive data the element touches, and that asset's name.
    pub data: Option<(Classification, &'s str)>,
    /// The component's zone (for a flow, its destination's).
    pub zone: &'s str,
    pub internet_facing: bool,
    pub from_internet: bool,
    // Flows only.
    pub protocol: Option<ProtocolFamily>,
    pub protocol_text: &'s str,
    pub authenticated: Option<bool>,
    pub encrypted: Option<bool>,
    pub crossing: Option<Crossing>,
    pub from: Option<End<'s>>,
    pub to: Option<End<'s>>,
    // Components only: what its flows carry and whom they reach.
    pub sends: Vec<ProtocolFamily>,
    pub receives: Vec<ProtocolFamily>,
    pub sends_to: Vec<Technology>,
    pub receives_from: Vec<Technology>,
}

const UNTRUSTED_WORDS: [&str; 4] = ["internet", "public", "untrusted", "external"];
const OUTSIDE: &str = "outside every boundary";
const INTERNET: &str = "the internet";

/// Zone and trust of every component, computed once for all elements; and, when every element
/// is asked about, each flow's protocol family, recognised once rather than once per end.
pub struct Zones<'s> {
    /// Per component: (zone name, trust level; 0 is untrusted).
    per_component: Vec<(&'s str, usize)>,
    /// Per flow, when precomputed: its protocol family.
    families: Option<Vec<Option<ProtocolFamily>>>,
    /// Per flow, when precomputed with the families: the most sensitive data it carries (each
    /// flow is read from both its ends too).
    flow_data: Option<Vec<Option<(Classification, &'s str)>>>,
    /// Per asset id (the first of a duplicated one, as `Session::asset`): its classification
    /// and name.
    assets: HashMap<&'s str, (Classification, &'s str)>,
}

/// How many distinct protocols [`Zones::with_protocol_families`] remembers: a model has a
/// handful; past these, a protocol is recognised each time it is seen.
const REMEMBERED_PROTOCOLS: usize = 16;

impl<'s> Zones<'s> {
    pub fn new(graph: &ModelGraph<'s>) -> Self {
        let s = graph.session;
        let has_boundaries = !s.boundaries.is_empty();
        // Per boundary id (the first of a duplicated id, as `Session::boundary`): its name and
        // whether the name says it is untrusted. Once per boundary, not per component.
        let mut boundaries: HashMap<&str, (&'s str, bool)> =
            HashMap::with_capacity(s.boundaries.len());
        for b in &s.boundaries {
            boundaries.entry(b.id.as_str()).or_insert_with(|| {
                let text = format!("{} {}", b.id, b.name).to_lowercase();
                (
                    b.name.as_str(),
                    UNTRUSTED_WORDS.iter().any(|w| text.contains(w)),
                )
            });
        }
        let per_component = s
            .components
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let chain = graph.enclosing(i);
                let innermost = chain
                    .first()
                    .and_then(|b| boundaries.get(b.as_str()).copied());
                let named_untrusted = innermost.is_some_and(|(_, untrusted)| untrusted);
                let own_edge = c.has_tag("internet-facing");
                let untrusted = c.kind == ComponentKind::ExternalEntity
                    || (named_untrusted && !own_edge)
                    || (has_boundaries && chain.is_empty());
                let zone = match innermost {
                    Some((name, _)) => name,
                    None if untrusted => INTERNET,
                    None => OUTSIDE,
                };
                (zone, if untrusted { 0 } else { chain.len().max(1) })
            })
            .collect();
        let mut assets = HashMap::with_capacity(s.assets.len());
        for a in &s.assets {
            assets
                .entry(a.id.as_str())
                .or_insert((a.classification, a.name.as_str()));
        }
        Zones {
            per_component,
            families: None,
            flow_data: None,
            assets,
        }
    }

    /// Recognises every flow's protocol family and most sensitive data now, for a pass over
    /// the whole model (each flow is seen from both its ends and as itself).
    pub fn with_protocol_families(mut self, graph: &ModelGraph<'s>) -> Self {
        let flows = &graph.session.flows;
        // A model names few protocols, over and over: each of the first few is recognised once.
        let mut recognised: Vec<(&'s str, Option<ProtocolFamily>)> = Vec::new();
        let mut family = |f: &'s Flow| {
            let protocol = f.protocol.as_str();
            if let Some(&(_, known)) = recognised.iter().find(|(p, _)| *p == protocol) {
                return known;
            }
            let family = f.protocol_family();
            if recognised.len() < REMEMBERED_PROTOCOLS {
                recognised.push((protocol, family));
            }
            family
        };
        self.families = Some(flows.iter().map(&mut family).collect());
        let data = flows
            .iter()
            .map(|f| most_sensitive(&self, None, &f.assets))
            .collect();
        self.flow_data = Some(data);
        self
    }

    /// The most sensitive data flow `index` carries.
    fn flow_data(&self, index: usize, f: &'s Flow) -> Option<(Classification, &'s str)> {
        match &self.flow_data {
            Some(list) => list.get(index).copied().flatten(),
            None => most_sensitive(self, None, &f.assets),
        }
    }

    fn of(&self, index: usize) -> (&'s str, usize) {
        self.per_component
            .get(index)
            .copied()
            .unwrap_or((OUTSIDE, 1))
    }

    fn family(&self, graph: &ModelGraph<'s>, flow: usize) -> Option<ProtocolFamily> {
        match &self.families {
            Some(list) => list.get(flow).copied().flatten(),
            None => graph
                .session
                .flows
                .get(flow)
                .and_then(Flow::protocol_family),
        }
    }
}

/// The most sensitive of the assets seen so far and `assets`; of equally sensitive ones, the
/// last (as `max_by_key` picks).
fn most_sensitive<'s>(
    zones: &Zones<'s>,
    best: Option<(Classification, &'s str)>,
    assets: &'s [crate::model::AssetId],
) -> Option<(Classification, &'s str)> {
    assets
        .iter()
        .filter_map(|a| zones.assets.get(a.as_str()).copied())
        .fold(best, more_sensitive)
}

/// `a` unless `best` is strictly more sensitive: the later of equals wins.
fn more_sensitive<'s>(
    best: Option<(Classification, &'s str)>,
    a: (Classification, &'s str),
) -> Option<(Classification, &'s str)> {
    match best {
        Some(b) if b.0 > a.0 => Some(b),
        _ => Some(a),
    }
}

fn end<'s>(graph: &ModelGraph<'s>, zones: &Zones<'s>, i: usize) -> End<'s> {
    let c = &graph.session.components[i];
    let (zone, trust) = zones.of(i);
    End {
        kind: c.kind.into(),
        technology: c.technology,
        name: &c.name,
        zone,
        untrusted: trust == 0,
    }
}

impl Facts<'_> {
    /// Facts of nothing, to be filled by [`fill_component_facts`] or [`fill_flow_facts`].
    pub fn blank() -> Self {
        Facts {
            id: "",
            name: "",
            kind: ElementKind::Flow,
            technology: None,
            tags: &[],
            out_of_scope: false,
            data: None,
            zone: OUTSIDE,
            internet_facing: false,
            from_internet: false,
            protocol: None,
            protocol_text: "",
            authenticated: None,
            encrypted: None,
            crossing: None,
            from: None,
            to: None,
            sends: Vec::new(),
            receives: Vec::new(),
            sends_to: Vec::new(),
            receives_from: Vec::new(),
        }
    }
}

/// The facts of flow `index`.
pub fn flow_facts<'s>(graph: &ModelGraph<'s>, zones: &Zones<'s>, index: usize) -> Facts<'s> {
    let mut facts = Facts::blank();
    fill_flow_facts(graph, zones, index, &mut facts);
    facts
}

/// The same, written over `facts` (whose lists are emptied, their room kept).
pub fn fill_flow_facts<'s>(
    graph: &ModelGraph<'s>,
    zones: &Zones<'s>,
    index: usize,
    facts: &mut Facts<'s>,
) {
    let f: &'s Flow = &graph.session.flows[index];
    let (from_i, to_i) = graph.flow_ends(index);
    let trust = |i: Option<usize>| i.map(|i| zones.of(i).1);
    let crossing = if !graph.crosses_boundary(index) {
        Crossing::None
    } else {
        match (trust(from_i), trust(to_i)) {
            (Some(a), Some(b)) if b > a => Crossing::Inward,
            (Some(a), Some(b)) if b < a => Crossing::Outward,
            _ => Crossing::Lateral,
        }
    };
    let from_internet = trust(from_i) == Some(0) && trust(to_i).is_some_and(|t| t > 0);
    let to = to_i.map(|i| end(graph, zones, i));
    facts.id = f.id.as_str();
    facts.name = &f.label;
    facts.kind = ElementKind::Flow;
    facts.technology = None;
    facts.tags = &f.tags;
    facts.out_of_scope = f.is_out_of_scope();
    facts.data = zones.flow_data(index, f);
    facts.zone = to.map_or(OUTSIDE, |e| e.zone);
    facts.internet_facing = from_internet;
    facts.from_internet = from_internet;
    facts.protocol = zones.family(graph, index);
    facts.protocol_text = &f.protocol;
    facts.authenticated = f.authenticated;
    facts.encrypted = f.encrypted;
    facts.crossing = Some(crossing);
    facts.from = from_i.map(|i| end(graph, zones, i));
    facts.to = to;
    facts.sends.clear();
    facts.receives.clear();
    facts.sends_to.clear();
    facts.receives_from.clear();
}

/// The facts of component `index`.
pub fn component_facts<'s>(graph: &ModelGraph<'s>, zones: &Zones<'s>, index: usize) -> Facts<'s> {
    let mut facts = Facts::blank();
    fill_component_facts(graph, zones, index, &mut facts);
    facts
}

/// The same, written over `facts` (its lists reused).
pub fn fill_component_facts<'s>(
    graph: &ModelGraph<'s>,
    zones: &Zones<'s>,
    index: usize,
    facts: &mut Facts<'s>,
) {
    let c: &'s Component = &graph.session.components[index];
    let (zone, trust) = zones.of(index);
    facts.id = c.id.as_str();
    facts.name = &c.name;
    facts.kind = c.kind.into();
    facts.technology = c.technology;
    facts.tags = &c.tags;
    facts.out_of_scope = c.is_out_of_scope();
    facts.zone = zone;
    facts.protocol = None;
    facts.protocol_text = "";
    facts.authenticated = None;
    facts.encrypted = None;
    facts.crossing = None;
    facts.from = None;
    facts.to = None;
    facts.sends.clear();
    facts.receives.clear();
    facts.sends_to.clear();
    facts.receives_from.clear();
    // Its own assets, then those of its flows.
    let mut data = most_sensitive(zones, None, &c.assets);
    let mut from_internet = false;
    for (flow, f, outgoing, other_i) in graph.flows_at_index(index) {
        // The flow's most sensitive asset stands for all of its assets: the last of equals
        // overall is the last of equals in the last flow that has one.
        if let Some(carried) = zones.flow_data(flow, f) {
            data = more_sensitive(data, carried);
        }
        let family = zones.family(graph, flow);
        let other_tech = graph.session.components[other_i].technology;
        if outgoing {
            facts.sends.extend(family);
            facts.sends_to.extend(other_tech);
        } else {
            facts.receives.extend(family);
            facts.receives_from.extend(other_tech);
            from_internet |= trust > 0 && zones.of(other_i).1 == 0;
        }
    }
    for list in [&mut facts.sends, &mut facts.receives] {
        list.sort_unstable();
        list.dedup();
    }
    for list in [&mut facts.sends_to, &mut facts.receives_from] {
        list.sort_unstable();
        list.dedup();
    }
    facts.data = data;
    facts.from_internet = from_internet;
    facts.internet_facing = trust > 0 && (from_internet || c.has_tag("internet-facing"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::graph::tests_support::sample;

    #[test]
    fn protocols_remembered_or_not_get_the_family_each_flow_has() {
        let mut s = sample();
        let template = s.flows[0].clone();
        // More distinct protocols than are remembered, known and unknown, each seen again.
        let protocols: Vec<String> = (0..REMEMBERED_PROTOCOLS + 5)
            .map(|i| match i % 3 {
                0 => format!("https {i}"),
                1 => format!("Postgres/{i}"),
                _ => format!("carrier pigeon {i}"),
            })
            .collect();
        s.flows = (0..protocols.len() * 3)
            .map(|i| crate::model::Flow {
                id: format!("f{i}").into(),
                protocol: protocols[(i * 7) % protocols.len()].as_str().into(),
                ..template.clone()
            })
            .collect();
        let g = ModelGraph::new(&s);
        let zones = Zones::new(&g).with_protocol_families(&g);
        for (i, f) in s.flows.iter().enumerate() {
            assert_eq!(zones.family(&g, i), f.protocol_family(), "{}", f.protocol);
        }
        assert!(s.flows.iter().any(|f| f.protocol_family().is_none()));
        assert!(s.flows.iter().any(|f| f.protocol_family().is_some()));
    }

    #[test]
    fn zones_trust_and_crossing_direction() {
        let s = sample();
        let g = ModelGraph::new(&s);
        let z = Zones::new(&g);
        // user (internet, external) -> lb (account) -> app (vpc in account) -> db (vpc)
        let user_lb = flow_facts(&g, &z, 0);
        assert_eq!(user_lb.crossing, Some(Crossing::Inward));
        assert!(user_lb.from_internet);
        assert_eq!(user_lb.from.map(|e| e.zone), Some("Internet"));
        assert_eq!(user_lb.zone, "Cloud account");
        let lb_app = flow_facts(&g, &z, 1);
        assert_eq!(lb_app.crossing, Some(Crossing::Inward));
        assert!(!lb_app.from_internet);
        assert_eq!(flow_facts(&g, &z, 2).crossing, Some(Crossing::None));

        let lb = component_facts(&g, &z, 1);
        assert!(lb.internet_facing && lb.from_internet);
        let app = component_facts(&g, &z, 2);
        assert!(!app.internet_facing);
        assert_eq!(app.zone, "VPC");
    }

    #[test]
    fn an_internet_facing_component_in_an_edge_zone_is_not_the_internet() {
        let mut s = sample();
        // The load balancer moves into a boundary named like the internet.
        s.boundaries.push(crate::model::Boundary {
            id: "edge".into(),
            name: "Internet edge (DMZ)".into(),
            parent: None,
            notes: String::new(),
        });
        s.components[1].boundary = Some("edge".into());
        let untagged = {
            let g = ModelGraph::new(&s);
            let z = Zones::new(&g);
            (
                flow_facts(&g, &z, 0).crossing,
                flow_facts(&g, &z, 1).from_internet,
            )
        };
        assert_eq!(untagged, (Some(Crossing::Lateral), true));
        s.components[1].tags.push("internet-facing".into());
        let g = ModelGraph::new(&s);
        let z = Zones::new(&g);
        let user_lb = flow_facts(&g, &z, 0);
        assert_eq!(user_lb.crossing, Some(Crossing::Inward));
        assert!(user_lb.from_internet);
        assert!(!flow_facts(&g, &z, 1).from_internet);
        assert!(component_facts(&g, &z, 1).internet_facing);
    }

    #[test]
    fn outward_and_lateral_flows_and_neighbour_facts() {
        let mut s = sample();
        s.flows[1].from = "app".into();
        s.flows[1].to = "lb".into();
        s.flows[2].protocol = "postgres".into();
        s.components[3].technology = Some(Technology::Database);
        let g = ModelGraph::new(&s);
        let z = Zones::new(&g);
        assert_eq!(flow_facts(&g, &z, 1).crossing, Some(Crossing::Outward));
        let app = component_facts(&g, &z, 2);
        assert_eq!(app.sends, [ProtocolFamily::Sql]);
        assert_eq!(app.sends_to, [Technology::Database]);
        let db = component_facts(&g, &z, 3);
        assert_eq!(db.receives, [ProtocolFamily::Sql]);
    }
}
