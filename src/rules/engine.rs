//! Running the rules over a model: which rules fire on which element, the threat each one
//! suggests in words that name the real elements, why, and what the team already did about it
//! (added it as a threat, dismissed it, or dismissed it before the element changed).

use super::facts::{
    Facts, Zones, component_facts, fill_component_facts, fill_flow_facts, flow_facts,
};
use super::format::Rule;
use crate::analysis::ModelGraph;
use crate::model::{Dismissal, ElementKind, Session, Technology, Threat};
use foldhash::{HashMap, HashMapExt};
use std::fmt::Write as _;

/// What a template may name.
pub const PLACEHOLDERS: &[&str] = &[
    "element",
    "from",
    "to",
    "zone",
    "from_zone",
    "to_zone",
    "protocol",
    "technology",
    "data",
];

/// The `{names}` in a template, in order.
pub fn placeholders_in(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                out.push(&after[..close]);
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    out
}

/// Where a suggestion stands with the team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuggestionState {
    /// Neither added nor dismissed.
    Open,
    /// Dismissed once, but what the rule looks at has changed since: it asks again.
    Returned {
        was: String,
        reason: String,
    },
    /// A threat on the element came from this rule or cites its first reference.
    Added {
        threat: String,
    },
    Dismissed {
        reason: String,
    },
}

impl SuggestionState {
    /// Still asks something of the team.
    pub fn is_open(&self) -> bool {
        matches!(
            self,
            SuggestionState::Open | SuggestionState::Returned { .. }
        )
    }
}

/// One rule firing on one element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion<'r> {
    pub rule: &'r Rule,
    pub element: String,
    pub kind: ElementKind,
    /// The threat statement, naming the elements.
    pub statement: String,
    /// Why the rule fires here, in one line.
    pub reason: String,
    /// What the rule looked at, `key=value; ...`: recorded with a dismissal.
    pub facts: String,
    pub state: SuggestionState,
    /// The rule's suggested mitigations, placeholders filled in.
    pub mitigations: Vec<String>,
}

/// Every suggestion the rules make on the session, element by element (components, then
/// flows, in file order), each element's by rule order. `only` limits it to one element.
pub fn suggest<'r>(
    graph: &ModelGraph<'_>,
    rules: &'r [Rule],
    only: Option<&str>,
) -> Vec<Suggestion<'r>> {
    let s = graph.session;
    let mut zones = Zones::new(graph);
    // Threats per target, built once: a rule that fires asks for the element's threats.
    let mut threats: HashMap<&str, Vec<&Threat>> = HashMap::new();
    for t in &s.threats {
        if only.is_none_or(|id| id == t.target.as_str()) {
            threats.entry(t.target.as_str()).or_default().push(t);
        }
    }
    if only.is_none() {
        zones = zones.with_protocol_families(graph);
    }
    let seen: Vec<Seen> = rules.iter().map(Seen::of).collect();
    let ctx = Context {
        rules,
        seen: &seen,
        by_kind: ByKind::new(rules),
        threats: &threats,
    };
    let mut out = Vec::new();
    for (i, c) in s.components.iter().enumerate() {
        if only.is_none_or(|id| id == c.id.as_str()) {
            let facts = component_facts(graph, &zones, i);
            element_suggestions(&ctx, &facts, &c.dismissed, &mut out);
        }
    }
    for (i, f) in s.flows.iter().enumerate() {
        if only.is_none_or(|id| id == f.id.as_str()) {
            let facts = flow_facts(graph, &zones, i);
            element_suggestions(&ctx, &facts, &f.dismissed, &mut out);
        }
    }
    out
}

/// One suggestion still open on an element (see [`for_each_open`]): what `check` reports,
/// without the statement and mitigations [`suggest`] writes for the app.
pub struct Open<'a, 'r, 's> {
    pub rule: &'r Rule,
    /// The rule's position in the rules walked.
    pub rule_index: usize,
    /// The element's number in the walk: components first, then flows, each in file order.
    pub element: usize,
    pub facts: &'a Facts<'s>,
    pub state: SuggestionState,
    seen: &'a Seen,
}

impl Open<'_, '_, '_> {
    /// Why the rule fires here: [`Suggestion::reason`], appended to `out`.
    pub fn write_reason(&self, out: &mut String) {
        if self.rule.reason.is_empty() {
            out.push_str("matches ");
            self.seen.render_into(out, self.facts);
        } else {
            for (range, is_placeholder) in &self.seen.reason {
                let text = self.rule.reason.get(range.clone()).unwrap_or_default();
                if *is_placeholder {
                    fill(out, text, self.facts);
                } else {
                    out.push_str(text);
                }
            }
        }
    }
}

/// Every suggestion on the whole model that is still open, in the order of [`suggest`]. Only
/// what decides the state is computed; the text is left to `visit`.
pub fn for_each_open<'r>(
    graph: &ModelGraph<'_>,
    rules: &'r [Rule],
    visit: impl FnMut(Open<'_, 'r, '_>),
) {
    if rules.is_empty() {
        return;
    }
    let walk = OpenWalk::new(graph, rules);
    walk.visit(0..walk.elements(), visit);
}

/// What a walk over the model's elements for open suggestions needs, prepared once: zones,
/// threats per element, what each rule reads, the rules per kind. `check` shares one between
/// two threads (each walks part of the elements); the app counts with one after every edit.
pub struct OpenWalk<'g, 's, 'r> {
    graph: &'g ModelGraph<'s>,
    rules: &'r [Rule],
    zones: Zones<'s>,
    threats: HashMap<&'s str, Vec<&'s Threat>>,
    seen: Vec<Seen>,
    by_kind: ByKind,
}

impl<'g, 's, 'r> OpenWalk<'g, 's, 'r> {
    pub fn new(graph: &'g ModelGraph<'s>, rules: &'r [Rule]) -> Self {
        OpenWalk {
            graph,
            rules,
            zones: Zones::new(graph).with_protocol_families(graph),
            threats: threats_by_target(graph.session, None),
            seen: rules.iter().map(Seen::of).collect(),
            by_kind: ByKind::new(rules),
        }
    }

    /// How many elements there are to walk: components, then flows.
    pub fn elements(&self) -> usize {
        self.graph.session.components.len() + self.graph.session.flows.len()
    }

    /// The id of element number `element`.
    pub fn id(&self, element: usize) -> &'s str {
        let s = self.graph.session;
        match s.components.get(element) {
            Some(c) => c.id.as_str(),
            None => s.flows[element - s.components.len()].id.as_str(),
        }
    }

    /// The open suggestions on the given elements (numbers as [`Open::element`]), element by
    /// element in the order given, each element's in rule order.
    pub fn visit(
        &self,
        elements: impl IntoIterator<Item = usize>,
        mut visit: impl FnMut(Open<'_, 'r, 's>),
    ) {
        let s = self.graph.session;
        let components = s.components.len();
        // One set of facts, its lists reused from component to component.
        let mut facts = Facts::blank();
        let mut candidates = Candidates::default();
        for element in elements {
            let dismissed = if element < components {
                fill_component_facts(self.graph, &self.zones, element, &mut facts);
                &s.components[element].dismissed
            } else {
                fill_flow_facts(self.graph, &self.zones, element - components, &mut facts);
                &s.flows[element - components].dismissed
            };
            if facts.out_of_scope {
                continue;
            }
            let on = threats_on(&self.threats, facts.id);
            for &r in candidates.of(&self.by_kind, self.rules, &facts) {
                let (rule, plan) = (&self.rules[r], &self.seen[r]);
                if !fires(rule, &facts) {
                    continue;
                }
                let state = state_of(rule, on, dismissed, || plan.render(&facts));
                if state.is_open() {
                    visit(Open {
                        rule,
                        rule_index: r,
                        element,
                        facts: &facts,
                        state,
                        seen: plan,
                    });
                }
            }
        }
    }
}

/// What every element's suggestions are made from, prepared once per call.
struct Context<'a, 'r, 's> {
    rules: &'r [Rule],
    /// Per rule: what it reads, for the `facts` of its suggestions.
    seen: &'a [Seen],
    by_kind: ByKind,
    threats: &'a HashMap<&'s str, Vec<&'s Threat>>,
}

/// The rules worth testing on an element: those of its kind whose technology conditions its
/// own technology and its ends' meet. Most shipped rules name a technology, and the elements
/// of a large model have few of them, so this leaves a third of the tests; `fires` still tests
/// every condition. Kept for each combination met, per walk.
#[derive(Default)]
struct Candidates {
    met: Vec<(TechnologyKey, Vec<usize>)>,
}

/// An element's kind, technology and its ends' technologies.
type TechnologyKey = (
    ElementKind,
    Option<Technology>,
    Option<Technology>,
    Option<Technology>,
);

impl Candidates {
    fn of(&mut self, by_kind: &ByKind, rules: &[Rule], facts: &Facts<'_>) -> &[usize] {
        let key = (
            facts.kind,
            facts.technology,
            facts.from.and_then(|e| e.technology),
            facts.to.and_then(|e| e.technology),
        );
        let at = match self.met.iter().position(|(k, _)| *k == key) {
            Some(at) => at,
            None => {
                let (_, technology, from, to) = key;
                let fits = by_kind
                    .of(facts.kind)
                    .iter()
                    .copied()
                    .filter(|&r| {
                        let when = &rules[r].when;
                        when.technology_fits(technology, from, to)
                    })
                    .collect();
                self.met.push((key, fits));
                self.met.len() - 1
            }
        };
        &self.met[at].1
    }
}

/// The rules that can fire on each kind of element: those whose `when` names the kind or no
/// kind, by position and in rule order. Most rules are for one kind, so an element is only
/// tested against its own kind's.
struct ByKind([(ElementKind, Vec<usize>); 4]);

impl ByKind {
    fn new(rules: &[Rule]) -> Self {
        ByKind(ElementKind::ALL.map(|kind| {
            let fits = rules
                .iter()
                .enumerate()
                .filter(|(_, r)| r.when.kind.as_ref().is_none_or(|w| w.0.contains(&kind)))
                .map(|(i, _)| i)
                .collect();
            (kind, fits)
        }))
    }

    fn of(&self, kind: ElementKind) -> &[usize] {
        self.0
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(&[], |(_, fits)| fits.as_slice())
    }
}

/// How many suggestions are still open (neither added nor dismissed, or back since their
/// dismissal) per element with any: what a list of elements shows after every change. Cheaper
/// than [`suggest`]: no text is written, and what a rule read is only compared where a
/// dismissal recorded it.
pub fn open_counts<'s>(
    graph: &ModelGraph<'s>,
    rules: &[Rule],
) -> std::collections::HashMap<&'s str, usize> {
    let mut out = std::collections::HashMap::new();
    if rules.is_empty() {
        return out;
    }
    let walk = OpenWalk::new(graph, rules);
    // Visits come element by element: count a run, then record it once.
    let mut run: Option<(usize, &'s str, usize)> = None;
    walk.visit(0..walk.elements(), |open| match &mut run {
        Some((element, _, n)) if *element == open.element => *n += 1,
        _ => {
            if let Some((_, id, n)) = run.replace((open.element, open.facts.id, 1)) {
                out.insert(id, n);
            }
        }
    });
    if let Some((_, id, n)) = run {
        out.insert(id, n);
    }
    out
}

/// A rule's suggested mitigations in words that name `element` (a threat's target); `None`
/// when no component or flow has that id.
pub fn mitigations_on(graph: &ModelGraph<'_>, rule: &Rule, element: &str) -> Option<Vec<String>> {
    let s = graph.session;
    let zones = Zones::new(graph);
    let facts = match s.components.iter().position(|c| c.id.as_str() == element) {
        Some(i) => component_facts(graph, &zones, i),
        None => {
            let i = s.flows.iter().position(|f| f.id.as_str() == element)?;
            flow_facts(graph, &zones, i)
        }
    };
    Some(rule.mitigations.iter().map(|m| render(m, &facts)).collect())
}

/// Threats by their target, built once for a whole model (one pass instead of one per element
/// and rule); with `only`, just that element's.
fn threats_by_target<'s>(s: &'s Session, only: Option<&str>) -> HashMap<&'s str, Vec<&'s Threat>> {
    let mut map: HashMap<&str, Vec<&Threat>> = HashMap::new();
    for t in &s.threats {
        if only.is_none_or(|id| id == t.target.as_str()) {
            map.entry(t.target.as_str()).or_default().push(t);
        }
    }
    map
}

fn threats_on<'a, 's>(map: &'a HashMap<&'s str, Vec<&'s Threat>>, id: &str) -> &'a [&'s Threat] {
    map.get(id).map_or(&[], Vec::as_slice)
}

/// Whether `rule` fires on the element with these facts.
pub fn fires(rule: &Rule, facts: &Facts<'_>) -> bool {
    !facts.out_of_scope && rule.when.holds(facts) && !rule.unless.iter().any(|u| u.holds(facts))
}

/// Where a rule that fires on an element stands: added (a threat on the element came from the
/// rule or cites its first reference), dismissed, dismissed but back because what the rule
/// reads changed (`seen` says what it reads now), or open.
fn state_of(
    rule: &Rule,
    threats: &[&Threat],
    dismissed: &[Dismissal],
    seen: impl FnOnce() -> String,
) -> SuggestionState {
    let added = threats.iter().find(|t| {
        t.rule
            .as_deref()
            .is_some_and(|r| r.eq_ignore_ascii_case(&rule.id))
            || rule
                .refs
                .first()
                .is_some_and(|first| t.refs.iter().any(|r| r.as_str() == first))
    });
    if let Some(t) = added {
        return SuggestionState::Added {
            threat: t.id.to_string(),
        };
    }
    let Some(d) = dismissed
        .iter()
        .find(|d| d.rule.eq_ignore_ascii_case(&rule.id))
    else {
        return SuggestionState::Open;
    };
    // A dismissal written by hand without facts holds whatever changes.
    if d.facts.is_empty() {
        return SuggestionState::Dismissed {
            reason: d.reason.clone(),
        };
    }
    let seen = seen();
    if d.facts == seen {
        SuggestionState::Dismissed {
            reason: d.reason.clone(),
        }
    } else {
        SuggestionState::Returned {
            was: changed_facts(&d.facts, &seen),
            reason: d.reason.clone(),
        }
    }
}

fn element_suggestions<'r>(
    ctx: &Context<'_, 'r, '_>,
    facts: &Facts<'_>,
    dismissed: &[Dismissal],
    out: &mut Vec<Suggestion<'r>>,
) {
    if facts.out_of_scope {
        return;
    }
    let threats = ctx.threats.get(facts.id).map_or(&[][..], Vec::as_slice);
    for &r in ctx.by_kind.of(facts.kind) {
        let (rule, plan) = (&ctx.rules[r], &ctx.seen[r]);
        if !fires(rule, facts) {
            continue;
        }
        let seen = plan.render(facts);
        let state = state_of(rule, threats, dismissed, || seen.clone());
        let reason = if rule.reason.is_empty() {
            format!("matches {seen}")
        } else {
            render(&rule.reason, facts)
        };
        out.push(Suggestion {
            rule,
            element: facts.id.to_string(),
            kind: facts.kind,
            statement: render(&rule.threat, facts),
            reason,
            facts: seen,
            state,
            mitigations: rule.mitigations.iter().map(|m| render(m, facts)).collect(),
        });
    }
}

/// The facts a rule's conditions read, as `key=value; ...` in a fixed order. List-valued facts
/// keep only the words the rule names, so unrelated changes do not bring a dismissal back.
pub fn facts_seen(rule: &Rule, f: &Facts<'_>) -> String {
    Seen::of(rule).render(f)
}

/// What a rule reads, worked out once per rule: its keys in a fixed order and, for list-valued
/// facts, the words it names.
struct Seen {
    keys: Vec<(&'static str, Vec<String>)>,
    /// The rule's reason cut at its placeholders once, as [`render_into`] cuts it: each
    /// piece's bytes, and whether it is a placeholder's name. A large model's report renders
    /// it thousands of times.
    reason: Vec<(std::ops::Range<usize>, bool)>,
}

impl Seen {
    fn of(rule: &Rule) -> Seen {
        let mut keys = rule.when.keys();
        for unless in &rule.unless {
            for k in unless.keys() {
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
        }
        // A fixed order, whatever order the rule wrote its keys in.
        keys.sort_unstable();
        let keys = keys
            .into_iter()
            .map(|key| {
                let mut wanted = rule.when.words_for(key);
                for u in &rule.unless {
                    wanted.extend(u.words_for(key));
                }
                (key, wanted)
            })
            .collect();
        Seen {
            keys,
            reason: template_pieces(&rule.reason),
        }
    }

    fn render(&self, f: &Facts<'_>) -> String {
        let mut out = String::with_capacity(16 * self.keys.len());
        self.render_into(&mut out, f);
        out
    }

    fn render_into(&self, out: &mut String, f: &Facts<'_>) {
        for (i, (key, wanted)) in self.keys.iter().enumerate() {
            if i > 0 {
                out.push_str("; ");
            }
            out.push_str(key);
            out.push('=');
            push_fact(out, key, wanted, f);
        }
    }
}

/// Appends the value of one fact.
fn push_fact(out: &mut String, key: &str, wanted: &[String], f: &Facts<'_>) {
    fn opt(out: &mut String, v: Option<impl std::fmt::Display>) {
        match v {
            Some(v) => {
                let _ = write!(out, "{v}");
            }
            None => out.push_str("none"),
        }
    }
    // The words of a list fact the rule names, sorted, or `none`.
    fn named<T: std::fmt::Display>(out: &mut String, wanted: &[String], have: &[T]) {
        let mut hits: Vec<String> = have
            .iter()
            .map(|h| h.to_string().to_lowercase())
            .filter(|h| wanted.iter().any(|w| w.eq_ignore_ascii_case(h)))
            .collect();
        hits.sort();
        hits.dedup();
        if hits.is_empty() {
            out.push_str("none");
        } else {
            out.push_str(&hits.join(","));
        }
    }
    match key {
        "kind" => out.push_str(f.kind.as_str()),
        "technology" => opt(out, f.technology),
        "from_kind" => opt(out, f.from.map(|e| e.kind.as_str())),
        "to_kind" => opt(out, f.to.map(|e| e.kind.as_str())),
        "from_technology" => opt(out, f.from.and_then(|e| e.technology)),
        "to_technology" => opt(out, f.to.and_then(|e| e.technology)),
        "protocol" => opt(out, f.protocol),
        // Left out of the file: unknown, which is not the same as no.
        "authenticated" => opt(out, Some(f.authenticated.map_or("unknown", bool_word))),
        "encrypted" => opt(out, Some(f.encrypted.map_or("unknown", bool_word))),
        "crossing" => opt(out, f.crossing.map(|c| c.as_str())),
        "from_internet" => opt(out, Some(f.from_internet)),
        "internet_facing" => opt(out, Some(f.internet_facing)),
        "data" => opt(out, f.data.map(|(c, _)| c.as_str())),
        "tags" => named(out, wanted, f.tags),
        "sends" => named(out, wanted, &f.sends),
        "receives" => named(out, wanted, &f.receives),
        "sends_to" => named(out, wanted, &f.sends_to),
        "receives_from" => named(out, wanted, &f.receives_from),
        _ => {}
    }
}

/// "authenticated was true, now false": what differs between two fact strings.
fn changed_facts(old: &str, new: &str) -> String {
    let split = |s: &str| -> Vec<(String, String)> {
        s.split("; ")
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let (old, new) = (split(old), split(new));
    let mut changes: Vec<String> = Vec::new();
    for (k, v) in &new {
        match old.iter().find(|(ok, _)| ok == k) {
            Some((_, ov)) if ov != v => changes.push(format!("{k} was {ov}, now {v}")),
            None => changes.push(format!("{k} now {v}")),
            _ => {}
        }
    }
    if changes.is_empty() {
        "the rule reads different facts now".to_string()
    } else {
        changes.join(", ")
    }
}

/// Fills a template's placeholders from the facts.
pub fn render(template: &str, f: &Facts<'_>) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    render_into(&mut out, template, f);
    out
}

/// The same, appended to `out` (no text of its own per placeholder).
pub fn render_into(out: &mut String, template: &str, f: &Facts<'_>) {
    for (range, is_placeholder) in template_pieces(template) {
        let text = template.get(range).unwrap_or_default();
        if is_placeholder {
            fill(out, text, f);
        } else {
            out.push_str(text);
        }
    }
}

/// `template` cut into text as written and placeholders' names (the text between braces), as
/// byte ranges in order. An unclosed brace and what follows it are text.
fn template_pieces(template: &str) -> Vec<(std::ops::Range<usize>, bool)> {
    let mut pieces = Vec::new();
    let mut at = 0;
    let bytes = template.as_bytes();
    while let Some(open) = bytes[at..].iter().position(|b| *b == b'{').map(|i| at + i) {
        let Some(close) = bytes[open + 1..]
            .iter()
            .position(|b| *b == b'}')
            .map(|i| open + 1 + i)
        else {
            break;
        };
        pieces.push((at..open, false));
        pieces.push((open + 1..close, true));
        at = close + 1;
    }
    pieces.push((at..template.len(), false));
    pieces
}

/// What the placeholder `name` stands for, appended to `out`; an unknown one as written.
fn fill(out: &mut String, name: &str, f: &Facts<'_>) {
    match name {
        "element" => out.push_str(f.name),
        "from" => out.push_str(f.from.map_or(f.name, |e| e.name)),
        "to" => out.push_str(f.to.map_or(f.name, |e| e.name)),
        "zone" => out.push_str(f.zone),
        "from_zone" => out.push_str(f.from.map_or(f.zone, |e| e.zone)),
        "to_zone" => out.push_str(f.to.map_or(f.zone, |e| e.zone)),
        "protocol" => match (f.protocol_text.trim(), f.protocol) {
            ("", Some(p)) => {
                let _ = write!(out, "{p}");
            }
            ("", None) => out.push_str("unspecified"),
            (text, _) => out.push_str(text),
        },
        "technology" => {
            let _ = match f.technology {
                Some(t) => write!(out, "{t}"),
                None => write!(out, "{}", f.kind),
            };
        }
        "data" => out.push_str(f.data.map_or("its data", |(_, name)| name)),
        other => {
            out.push('{');
            out.push_str(other);
            out.push('}');
        }
    }
}

/// `true` / `false`, as a rule writes them.
fn bool_word(v: bool) -> &'static str {
    if v { "true" } else { "false" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::graph::tests_support::sample;
    use crate::library::Origin;
    use crate::model::{Component, ComponentKind, Threat};

    /// The candidates left for an element are never fewer than the rules that fire on it, on
    /// the example sessions (which give technologies) with the shipped rules.
    #[test]
    fn candidates_keep_every_rule_that_fires() {
        let set = crate::library::load_rules_for_session(None, &[]).expect("shipped rules");
        let rules = set.rules().rules();
        let by_kind = ByKind::new(rules);
        let mut tested = 0;
        for entry in std::fs::read_dir("sessions").expect("sessions folder") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("readable");
            let (s, _) = crate::store::parse(&text).expect("example parses");
            let graph = ModelGraph::new(&s);
            let zones = Zones::new(&graph).with_protocol_families(&graph);
            let mut candidates = Candidates::default();
            let mut facts = Facts::blank();
            for element in 0..s.components.len() + s.flows.len() {
                if element < s.components.len() {
                    fill_component_facts(&graph, &zones, element, &mut facts);
                } else {
                    fill_flow_facts(&graph, &zones, element - s.components.len(), &mut facts);
                }
                let kept = candidates.of(&by_kind, rules, &facts).to_vec();
                for &r in by_kind.of(facts.kind) {
                    if fires(&rules[r], &facts) {
                        assert!(
                            kept.contains(&r),
                            "{} on element {element} of {}",
                            rules[r].id,
                            path.display()
                        );
                        tested += 1;
                    }
                }
            }
        }
        assert!(tested > 20, "only {tested} rules fired");
    }

    /// Templates rendered from their pieces read as a scan of the template reads them: text as
    /// written, placeholders filled, an unknown one and an unclosed brace kept as written.
    #[test]
    fn templates_render_from_their_pieces_as_a_scan_renders_them() {
        use proptest::prelude::*;
        /// How templates were rendered before they were cut once.
        fn scanned(out: &mut String, template: &str, f: &Facts<'_>) {
            let mut rest = template;
            while let Some(open) = rest.find('{') {
                out.push_str(&rest[..open]);
                let after = &rest[open + 1..];
                let Some(close) = after.find('}') else {
                    out.push_str(&rest[open..]);
                    return;
                };
                fill(out, &after[..close], f);
                rest = &after[close + 1..];
            }
            out.push_str(rest);
        }
        let s = sample();
        let graph = ModelGraph::new(&s);
        let zones = Zones::new(&graph).with_protocol_families(&graph);
        let facts = flow_facts(&graph, &zones, 0);
        let words = prop::sample::select(vec![
            "{",
            "}",
            "{to}",
            "{from_zone}",
            "{protocol}",
            "{data}",
            "{nope}",
            "é",
            " text ",
            "",
        ]);
        proptest!(|(parts in proptest::collection::vec(words, 0..12))| {
            let template = parts.concat();
            let (mut cut, mut scan) = (String::new(), String::new());
            render_into(&mut cut, &template, &facts);
            scanned(&mut scan, &template, &facts);
            prop_assert_eq!(cut, scan);
        });
    }

    fn rules(text: &str) -> Vec<Rule> {
        let text = format!("[rules]\nid = \"t\"\nname = \"T\"\n{text}");
        super::super::format::parse_rules(&text, Origin::Text("t".into()))
            .expect("rules parse")
            .rules
    }

    const REPLAY: &str = r#"
[[rule]]
id = "replay"
name = "Replay"
stride = "ST"
refs = ["capec:CAPEC-60"]
threat = "An attacker on {from_zone} replays a captured {protocol} request to {to}"
reason = "unauthenticated flow from {from_zone} into {to_zone}"
when = { kind = "flow", crossing = "inward", authenticated = false }
"#;

    #[test]
    fn a_rule_names_the_real_elements_and_says_why() {
        let s = sample();
        let g = ModelGraph::new(&s);
        let r = rules(REPLAY);
        let out = suggest(&g, &r, None);
        let ids: Vec<&str> = out.iter().map(|s| s.element.as_str()).collect();
        assert_eq!(ids, ["user-lb", "lb-app"]);
        assert_eq!(
            out[0].statement,
            "An attacker on Internet replays a captured unspecified request to Load balancer"
        );
        assert_eq!(
            out[0].reason,
            "unauthenticated flow from Internet into Cloud account"
        );
        assert_eq!(
            out[0].facts,
            "authenticated=unknown; crossing=inward; kind=flow"
        );
        assert_eq!(out[0].state, SuggestionState::Open);
        // Only one element asked for.
        assert_eq!(suggest(&g, &r, Some("lb-app")).len(), 1);
    }

    #[test]
    fn dismissals_stick_until_what_the_rule_reads_changes() {
        let mut s = sample();
        let r = rules(REPLAY);
        let facts = suggest(&ModelGraph::new(&s), &r, Some("user-lb"))[0]
            .facts
            .clone();
        s.flows[0].dismissed.push(Dismissal {
            rule: "replay".into(),
            reason: "TLS with client nonces".into(),
            facts,
        });
        // An unrelated change: the dismissal holds.
        s.flows[0].label = "HTTPS/2".into();
        let out = suggest(&ModelGraph::new(&s), &r, Some("user-lb"));
        assert_eq!(
            out[0].state,
            SuggestionState::Dismissed {
                reason: "TLS with client nonces".into()
            }
        );
        // The flow's ends move so it no longer crosses inward... it stops firing at all.
        // Instead a change the condition reads but that keeps it firing: none here, so make
        // the dismissal's facts stale by hand, as an older run would have recorded them.
        s.flows[0].dismissed[0].facts = "authenticated=unknown; crossing=lateral; kind=flow".into();
        let out = suggest(&ModelGraph::new(&s), &r, Some("user-lb"));
        assert_eq!(
            out[0].state,
            SuggestionState::Returned {
                was: "crossing was lateral, now inward".into(),
                reason: "TLS with client nonces".into()
            }
        );
        assert!(out[0].state.is_open());
    }

    #[test]
    fn a_threat_from_the_rule_or_with_its_first_reference_counts_as_added() {
        let mut s = sample();
        let r = rules(REPLAY);
        let threat = |id: &str, target: &str| Threat {
            id: id.into(),
            target: target.into(),
            title: "x".into(),
            stride: crate::model::StrideSet::parse("S"),
            refs: Vec::new(),
            rule: None,
            likelihood: None,
            impact: None,
            response: Default::default(),
            status: Default::default(),
            transferred_to: String::new(),
            raised_by: Vec::new(),
            notes: String::new(),
        };
        let mut by_rule = threat("TH-001", "user-lb");
        by_rule.rule = Some("replay".into());
        let mut by_ref = threat("TH-002", "lb-app");
        by_ref.refs = vec![crate::model::LibraryRef::raw("capec:CAPEC-60")];
        s.threats = vec![by_rule, by_ref];
        let out = suggest(&ModelGraph::new(&s), &r, None);
        assert_eq!(
            out.iter().map(|s| s.state.clone()).collect::<Vec<_>>(),
            [
                SuggestionState::Added {
                    threat: "TH-001".into()
                },
                SuggestionState::Added {
                    threat: "TH-002".into()
                }
            ]
        );
    }

    #[test]
    fn open_counts_agree_with_the_suggestions_and_mitigations_name_the_element() {
        let mut s = sample();
        let mut r = rules(REPLAY);
        r[0].mitigations = vec!["Sign what crosses into {to_zone} towards {to}".into()];
        let count = |s: &Session| {
            let g = ModelGraph::new(s);
            let counted: Vec<(String, usize)> = {
                let mut v: Vec<(String, usize)> = open_counts(&g, &r)
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect();
                v.sort();
                v
            };
            let mut listed: Vec<(String, usize)> = Vec::new();
            for sug in suggest(&g, &r, None).iter().filter(|x| x.state.is_open()) {
                match listed.iter_mut().find(|(id, _)| *id == sug.element) {
                    Some((_, n)) => *n += 1,
                    None => listed.push((sug.element.clone(), 1)),
                }
            }
            listed.sort();
            assert_eq!(counted, listed);
            counted
        };
        assert_eq!(
            count(&s),
            [("lb-app".to_string(), 1), ("user-lb".to_string(), 1)]
        );
        // Dismissed with the facts of today: no longer counted; with stale facts: back.
        let facts = suggest(&ModelGraph::new(&s), &r, Some("lb-app"))[0]
            .facts
            .clone();
        s.flows[1].dismissed.push(Dismissal {
            rule: "replay".into(),
            reason: "mTLS".into(),
            facts,
        });
        assert_eq!(count(&s), [("user-lb".to_string(), 1)]);
        s.flows[1].dismissed[0].facts = "crossing=lateral".into();
        assert_eq!(count(&s).len(), 2);
        let g = ModelGraph::new(&s);
        assert_eq!(
            mitigations_on(&g, &r[0], "lb-app"),
            Some(vec!["Sign what crosses into VPC towards App".to_string()])
        );
        assert_eq!(mitigations_on(&g, &r[0], "nothing"), None);
    }

    #[test]
    fn out_of_scope_elements_get_no_suggestions() {
        let mut s = sample();
        s.flows[0].tags.push("out-of-scope".into());
        let r = rules(REPLAY);
        let out = suggest(&ModelGraph::new(&s), &r, None);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].element, "lb-app");
    }

    #[test]
    fn unless_silences_and_list_facts_record_only_the_named_words() {
        let mut s = sample();
        s.components.push(Component {
            id: "api".into(),
            name: "Orders API".into(),
            kind: ComponentKind::Process,
            technology: Some(crate::model::Technology::Api),
            boundary: Some("vpc".into()),
            tags: vec!["k8s".into(), "waf-protected".into()].into(),
            assets: Vec::new(),
            not_applicable: Default::default(),
            not_applicable_reason: Default::default(),
            out_of_scope: Default::default(),
            notes: Default::default(),
            dismissed: Default::default(),
        });
        let r = rules(
            r#"
[[rule]]
id = "inj"
name = "Injection"
stride = "T"
threat = "Injection into {element} ({technology})"
when = { kind = "process", technology = ["api", "web-app"] }
unless = { tags = ["no-input"] }
"#,
        );
        let out = suggest(&ModelGraph::new(&s), &r, None);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].statement, "Injection into Orders API (api)");
        assert_eq!(out[0].facts, "kind=process; tags=none; technology=api");
        s.components[4].tags.push("no-input".into());
        assert!(suggest(&ModelGraph::new(&s), &r, None).is_empty());
    }

    #[test]
    fn templates_list_their_placeholders() {
        assert_eq!(placeholders_in("a {b} c {d}"), ["b", "d"]);
        assert!(placeholders_in("no braces").is_empty());
        assert_eq!(placeholders_in("open { only"), Vec::<&str>::new());
    }
}
