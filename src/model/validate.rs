//! Validation of a whole session, reporting every problem at once.
//!
//! Problems name the table, the entry's index and id, and the field, so that the store can turn
//! them into `file:line:col` positions and a person can find the entry by id.

use super::ids::id_syntax_problem;
use super::session::{Response, SCHEMA_VERSION, Session};
use compact_str::CompactString;
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::collections::BTreeMap;
use std::fmt;

/// The tables of a session file, by their TOML key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table {
    /// The top level: `schema`, `title`, `agenda`.
    Session,
    Runs,
    Boundaries,
    Assets,
    Components,
    Flows,
    Threats,
    Mitigations,
    Acceptances,
    Assumptions,
    Review,
}

impl Table {
    pub fn key(self) -> &'static str {
        match self {
            Table::Session => "",
            Table::Runs => "runs",
            Table::Boundaries => "boundaries",
            Table::Assets => "assets",
            Table::Components => "components",
            Table::Flows => "flows",
            Table::Threats => "threats",
            Table::Mitigations => "mitigations",
            Table::Acceptances => "acceptances",
            Table::Assumptions => "assumptions",
            Table::Review => "review",
        }
    }
}

/// A field name as written in the file.
pub type Field = &'static str;

/// Where in the session a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub table: Table,
    /// Index in the table's array, in file order.
    pub index: Option<usize>,
    /// The entry's id (for acceptances, the threat id), as written.
    pub id: Option<CompactString>,
    pub field: Option<Field>,
}

impl Location {
    pub fn top(field: Field) -> Self {
        Location {
            table: Table::Session,
            index: None,
            id: None,
            field: Some(field),
        }
    }

    pub fn entry(table: Table, index: usize, id: &str, field: Option<Field>) -> Self {
        Location {
            table,
            index: Some(index),
            id: Some(id.into()),
            field,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.table, &self.id, self.field) {
            (Table::Session, _, Some(field)) => write!(f, "{field}"),
            (Table::Session, _, None) => write!(f, "session"),
            (table, Some(id), field) => {
                write!(f, "[[{}]] {:?}", table.key(), id)?;
                if let Some(field) = field {
                    write!(f, " {field}")?;
                }
                Ok(())
            }
            (table, None, field) => {
                write!(f, "[{}]", table.key())?;
                if let Some(field) = field {
                    write!(f, " {field}")?;
                }
                Ok(())
            }
        }
    }
}

/// One thing wrong with a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub location: Location,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Checks a session and returns every problem found, in file order per table.
pub fn validate(session: &Session) -> Vec<Problem> {
    let mut v = Validator {
        problems: Vec::new(),
        ids: Ids::of(session),
    };
    v.top_level(session);
    v.runs(session);
    v.boundaries(session);
    v.assets(session);
    v.components_and_flows(session);
    v.threats(session);
    v.mitigations(session);
    v.acceptances(session);
    v.assumptions(session);
    v.problems
}

fn not_stride_letters(unknown: &str) -> String {
    let verb = if unknown.chars().count() == 1 {
        "is not a STRIDE letter"
    } else {
        "are not STRIDE letters"
    };
    format!("{unknown:?} {verb} (use S, T, R, I, D, E)")
}

/// Ids in use, for constant-time reference checks on large models.
struct Ids<'a> {
    boundaries: HashSet<&'a str>,
    assets: HashSet<&'a str>,
    components: HashSet<&'a str>,
    flows: HashSet<&'a str>,
    threats: HashMap<&'a str, &'a super::Threat>,
    acceptances: HashMap<&'a str, &'a super::Acceptance>,
}

impl<'a> Ids<'a> {
    fn of(s: &'a Session) -> Self {
        Ids {
            boundaries: s.boundaries.iter().map(|b| b.id.as_str()).collect(),
            assets: s.assets.iter().map(|a| a.id.as_str()).collect(),
            components: s.components.iter().map(|c| c.id.as_str()).collect(),
            flows: s.flows.iter().map(|f| f.id.as_str()).collect(),
            // The first of duplicates wins, as in the lookups of `Session`.
            threats: s.threats.iter().rev().map(|t| (t.id.as_str(), t)).collect(),
            acceptances: s
                .acceptances
                .iter()
                .rev()
                .map(|a| (a.threat.as_str(), a))
                .collect(),
        }
    }
}

struct Validator<'a> {
    problems: Vec<Problem>,
    ids: Ids<'a>,
}

impl<'a> Validator<'a> {
    fn push(&mut self, location: Location, message: impl Into<String>) {
        self.problems.push(Problem {
            location,
            message: message.into(),
        });
    }

    fn at(table: Table, index: usize, id: &str, field: Field) -> Location {
        Location::entry(table, index, id, Some(field))
    }

    /// Checks id syntax and uniqueness within `seen` (which may be shared between tables).
    /// `seen` borrows the ids from the session: no copy of each id on large models.
    fn id<'s>(
        &mut self,
        table: Table,
        index: usize,
        id: &'s str,
        seen: &mut HashMap<&'s str, Table>,
    ) {
        if let Some(problem) = id_syntax_problem(id) {
            self.push(Self::at(table, index, id, "id"), problem);
        }
        // One lookup: most ids are new.
        let first = match seen.entry(id) {
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(table);
                return;
            }
            std::collections::hash_map::Entry::Occupied(slot) => *slot.get(),
        };
        match first {
            first if first == table => {
                self.push(
                    Self::at(table, index, id, "id"),
                    format!(
                        "duplicate id {id:?}: it is already used in [[{}]]",
                        table.key()
                    ),
                );
            }
            first => {
                self.push(
                    Self::at(table, index, id, "id"),
                    format!(
                        "duplicate id {id:?}: it is already used in [[{}]]; components and flows share one set of ids",
                        first.key()
                    ),
                );
            }
        }
    }

    /// `field` of the entry must not be blank. The location (a copy of the id) is only built
    /// for a problem, not for every entry of a valid model.
    fn required_text(&mut self, table: Table, index: usize, id: &str, field: Field, value: &str) {
        if value.trim().is_empty() {
            self.push(
                Self::at(table, index, id, field),
                format!("{field} is empty"),
            );
        }
    }

    fn top_level(&mut self, s: &Session) {
        if s.schema != SCHEMA_VERSION {
            self.push(
                Location::top("schema"),
                format!(
                    "schema {} is not supported; this threatboard reads schema {SCHEMA_VERSION}",
                    s.schema
                ),
            );
        }
        if s.title.trim().is_empty() {
            self.push(Location::top("title"), "title is empty");
        }
        if let Some(agenda) = s.agenda {
            let max = super::session::MAX_AGENDA_MINUTES;
            for (i, minutes) in agenda.iter().enumerate() {
                if *minutes > max {
                    self.push(
                        Location::top("agenda"),
                        format!(
                            "agenda gives question {} {minutes} minutes; at most {max} minutes per question",
                            i + 1
                        ),
                    );
                }
            }
            // Summed as u64: four u32 values cannot overflow it.
            if agenda.iter().map(|m| u64::from(*m)).sum::<u64>() == 0 {
                self.push(
                    Location::top("agenda"),
                    "agenda gives no time to any question",
                );
            }
        }
    }

    fn runs(&mut self, s: &Session) {
        for (i, run) in s.runs.iter().enumerate() {
            if run.attendees.iter().any(|a| a.trim().is_empty()) {
                self.push(
                    Location {
                        table: Table::Runs,
                        index: Some(i),
                        id: None,
                        field: Some("attendees"),
                    },
                    format!("run of {} lists an empty attendee name", run.date),
                );
            }
            // A commit hash, as `rerun` records it: anything else was typed by hand.
            if !run.baseline.is_empty()
                && (run.baseline.len() < 4
                    || run.baseline.len() > 64
                    || !run.baseline.bytes().all(|b| b.is_ascii_hexdigit()))
            {
                self.push(
                    Location {
                        table: Table::Runs,
                        index: Some(i),
                        id: None,
                        field: Some("baseline"),
                    },
                    format!(
                        "run of {}: baseline {:?} is not a git commit hash (4 to 64 hexadecimal digits)",
                        run.date, run.baseline
                    ),
                );
            }
        }
    }

    fn boundaries(&mut self, s: &Session) {
        let mut seen = HashMap::with_capacity(s.boundaries.len());
        for (i, b) in s.boundaries.iter().enumerate() {
            let id = b.id.as_str();
            self.id(Table::Boundaries, i, id, &mut seen);
            self.required_text(Table::Boundaries, i, id, "name", &b.name);
            if let Some(parent) = &b.parent {
                if parent == &b.id {
                    self.push(
                        Self::at(Table::Boundaries, i, id, "parent"),
                        "boundary is its own parent",
                    );
                } else if !self.ids.boundaries.contains(parent.as_str()) {
                    self.push(
                        Self::at(Table::Boundaries, i, id, "parent"),
                        format!("unknown parent boundary {:?}", parent.as_str()),
                    );
                }
            }
        }
        self.boundary_cycles(s);
    }

    /// Reports each cycle of parent links once, at the boundary of the cycle that comes first in
    /// the file. Self-parents are reported above.
    fn boundary_cycles(&mut self, s: &Session) {
        let parent_of: HashMap<&str, &str> = s
            .boundaries
            .iter()
            .filter_map(|b| Some((b.id.as_str(), b.parent.as_ref()?.as_str())))
            .filter(|(child, parent)| child != parent)
            .collect();
        let mut reported: HashSet<&str> = HashSet::new();
        for (i, b) in s.boundaries.iter().enumerate() {
            let start = b.id.as_str();
            if reported.contains(start) {
                continue;
            }
            let mut path = vec![start];
            let mut current = start;
            while let Some(&next) = parent_of.get(current) {
                if next == start {
                    let cycle = path.join(" -> ");
                    self.push(
                        Self::at(Table::Boundaries, i, start, "parent"),
                        format!("boundaries nest in a cycle: {cycle} -> {start}"),
                    );
                    reported.extend(path.iter().copied());
                    break;
                }
                if path.contains(&next) || path.len() > s.boundaries.len() {
                    break; // a cycle that does not pass through `start`; reported from inside it
                }
                path.push(next);
                current = next;
            }
        }
    }

    fn assets(&mut self, s: &Session) {
        let mut seen = HashMap::with_capacity(s.assets.len());
        for (i, a) in s.assets.iter().enumerate() {
            let id = a.id.as_str();
            self.id(Table::Assets, i, id, &mut seen);
            self.required_text(Table::Assets, i, id, "name", &a.name);
        }
    }

    fn asset_refs(&mut self, table: Table, index: usize, id: &str, assets: &[super::AssetId]) {
        for asset in assets {
            if !self.ids.assets.contains(asset.as_str()) {
                self.push(
                    Self::at(table, index, id, "assets"),
                    format!("unknown asset {:?}", asset.as_str()),
                );
            }
        }
    }

    fn not_applicable(&mut self, table: Table, index: usize, id: &str, set: &super::StrideSet) {
        if !set.unknown().is_empty() {
            self.push(
                Self::at(table, index, id, "not_applicable"),
                not_stride_letters(set.unknown()),
            );
        }
    }

    /// Dismissed suggestions need the rule and the reason; one decision per rule.
    fn dismissals(&mut self, table: Table, index: usize, id: &str, list: &[super::Dismissal]) {
        let mut rules: HashSet<String> = HashSet::new();
        for d in list {
            let at = Self::at(table, index, id, "dismissed");
            if d.rule.trim().is_empty() {
                self.push(at, "a dismissal must name the rule it dismisses");
                continue;
            }
            if d.reason.trim().is_empty() {
                self.push(
                    at.clone(),
                    format!(
                        "dismissal of {:?} has no reason; say why it does not apply",
                        d.rule
                    ),
                );
            }
            if !rules.insert(d.rule.to_lowercase()) {
                self.push(
                    at,
                    format!("rule {:?} is dismissed twice on this element", d.rule),
                );
            }
        }
    }

    /// Present but blank says "out of scope" without the reason: likely a slip, never silently
    /// read as in scope.
    fn out_of_scope(&mut self, table: Table, index: usize, id: &str, reason: &str) {
        if !reason.is_empty() && reason.trim().is_empty() {
            self.push(
                Self::at(table, index, id, "out_of_scope"),
                "out_of_scope is blank; give the reason it is out of scope, or remove the line",
            );
        }
    }

    fn components_and_flows(&mut self, s: &Session) {
        let mut seen = HashMap::with_capacity(s.components.len() + s.flows.len());
        for (i, c) in s.components.iter().enumerate() {
            let id = c.id.as_str();
            self.id(Table::Components, i, id, &mut seen);
            self.required_text(Table::Components, i, id, "name", &c.name);
            if let Some(boundary) = &c.boundary
                && !self.ids.boundaries.contains(boundary.as_str())
            {
                self.push(
                    Self::at(Table::Components, i, id, "boundary"),
                    format!("unknown boundary {:?}", boundary.as_str()),
                );
            }
            self.out_of_scope(Table::Components, i, id, &c.out_of_scope);
            self.asset_refs(Table::Components, i, id, &c.assets);
            self.not_applicable(Table::Components, i, id, &c.not_applicable);
            self.dismissals(Table::Components, i, id, &c.dismissed);
        }
        for (i, f) in s.flows.iter().enumerate() {
            let id = f.id.as_str();
            self.id(Table::Flows, i, id, &mut seen);
            self.required_text(Table::Flows, i, id, "label", &f.label);
            for (field, end) in [("from", &f.from), ("to", &f.to)] {
                if !self.ids.components.contains(end.as_str()) {
                    let hint = if self.ids.flows.contains(end.as_str()) {
                        " (that is a flow; flows connect components)"
                    } else {
                        ""
                    };
                    self.push(
                        Self::at(Table::Flows, i, id, field),
                        format!("unknown component {:?}{hint}", end.as_str()),
                    );
                }
            }
            self.out_of_scope(Table::Flows, i, id, &f.out_of_scope);
            self.asset_refs(Table::Flows, i, id, &f.assets);
            self.not_applicable(Table::Flows, i, id, &f.not_applicable);
            self.dismissals(Table::Flows, i, id, &f.dismissed);
        }
    }

    fn threats(&mut self, s: &Session) {
        let mut seen = HashMap::with_capacity(s.threats.len());
        for (i, t) in s.threats.iter().enumerate() {
            let id = t.id.as_str();
            self.id(Table::Threats, i, id, &mut seen);
            self.required_text(Table::Threats, i, id, "title", &t.title);
            let target = t.target.as_str();
            if !self.ids.components.contains(target) && !self.ids.flows.contains(target) {
                self.push(
                    Self::at(Table::Threats, i, id, "target"),
                    format!(
                        "unknown target {:?}: a threat targets a component or a flow",
                        t.target.as_str()
                    ),
                );
            }
            if !t.stride.unknown().is_empty() {
                self.push(
                    Self::at(Table::Threats, i, id, "stride"),
                    not_stride_letters(t.stride.unknown()),
                );
            }
            for (field, rating) in [("likelihood", t.likelihood), ("impact", t.impact)] {
                if let Some(r) = rating
                    && !r.is_valid()
                {
                    self.push(
                        Self::at(Table::Threats, i, id, field),
                        format!(
                            "{field} {} is out of range: use 1 (low), 2 (medium) or 3 (high)",
                            r.0
                        ),
                    );
                }
            }
            for r in &t.refs {
                if r.parts().is_none() {
                    self.push(
                        Self::at(Table::Threats, i, id, "refs"),
                        format!(
                            "library reference {:?} is not of the form <library>:<entry>, e.g. \"attack:T1078\"",
                            r.as_str()
                        ),
                    );
                }
            }
            // Like an acceptance without who accepted it: a transfer must name who takes
            // the risk, or nobody is known to carry it.
            if t.response == Response::Transfer && t.transferred_to.trim().is_empty() {
                self.push(
                    Self::at(Table::Threats, i, id, "response"),
                    "threat is transferred but does not say to whom: set transferred_to (a vendor, an insurer, a team)",
                );
            }
            if t.response == Response::Accept {
                match self.ids.acceptances.get(id) {
                    None => self.push(
                        Self::at(Table::Threats, i, id, "response"),
                        "threat is accepted but has no [[acceptances]] entry with a justification and who accepted it",
                    ),
                    Some(a) => {
                        let mut missing = Vec::new();
                        if a.justification.trim().is_empty() {
                            missing.push("a justification");
                        }
                        if a.accepted_by.trim().is_empty() {
                            missing.push("who accepted it (accepted_by)");
                        }
                        if !missing.is_empty() {
                            self.push(
                                Self::at(Table::Threats, i, id, "response"),
                                format!("threat is accepted without {}", missing.join(" or ")),
                            );
                        }
                    }
                }
            }
        }
    }

    fn mitigations(&mut self, s: &Session) {
        let mut seen = HashMap::with_capacity(s.mitigations.len());
        for (i, m) in s.mitigations.iter().enumerate() {
            let id = m.id.as_str();
            self.id(Table::Mitigations, i, id, &mut seen);
            self.required_text(Table::Mitigations, i, id, "action", &m.action);
            if m.threats.is_empty() {
                self.push(
                    Self::at(Table::Mitigations, i, id, "threats"),
                    "mitigation addresses no threat",
                );
            }
            for t in &m.threats {
                if !self.ids.threats.contains_key(t.as_str()) {
                    self.push(
                        Self::at(Table::Mitigations, i, id, "threats"),
                        format!("unknown threat {:?}", t.as_str()),
                    );
                }
            }
        }
    }

    fn acceptances(&mut self, s: &Session) {
        let mut count: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, a) in s.acceptances.iter().enumerate() {
            let threat = a.threat.as_str();
            let n = count.entry(threat).or_default();
            *n += 1;
            if *n == 2 {
                self.push(
                    Self::at(Table::Acceptances, i, threat, "threat"),
                    format!("threat {threat:?} has more than one acceptance"),
                );
            }
            match self.ids.threats.get(threat) {
                None => self.push(
                    Self::at(Table::Acceptances, i, threat, "threat"),
                    format!("unknown threat {threat:?}"),
                ),
                Some(t) if t.response != Response::Accept => self.push(
                    Self::at(Table::Acceptances, i, threat, "threat"),
                    format!(
                        "threat {threat:?} has an acceptance but its response is {:?}; set response = \"accept\" or remove the acceptance",
                        t.response.as_str()
                    ),
                ),
                Some(_) => {}
            }
        }
    }

    fn assumptions(&mut self, s: &Session) {
        let mut seen = HashMap::with_capacity(s.assumptions.len());
        for (i, a) in s.assumptions.iter().enumerate() {
            let id = a.id.as_str();
            self.id(Table::Assumptions, i, id, &mut seen);
            self.required_text(Table::Assumptions, i, id, "text", &a.text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    fn component(id: &str, boundary: Option<&str>) -> Component {
        Component {
            technology: None,
            not_applicable_reason: Default::default(),
            out_of_scope: Default::default(),
            dismissed: Default::default(),
            id: id.into(),
            name: id.to_uppercase(),
            kind: ComponentKind::Process,
            boundary: boundary.map(BoundaryId::from),
            tags: Default::default(),
            assets: Vec::new(),
            not_applicable: StrideSet::empty(),
            notes: Default::default(),
        }
    }

    fn boundary(id: &str, parent: Option<&str>) -> Boundary {
        Boundary {
            id: id.into(),
            name: id.to_uppercase(),
            parent: parent.map(BoundaryId::from),
            notes: String::new(),
        }
    }

    fn threat(id: &str, target: &str) -> Threat {
        Threat {
            rule: None,
            id: id.into(),
            target: target.into(),
            title: "t".into(),
            stride: StrideSet::parse("T"),
            refs: Vec::new(),
            likelihood: None,
            impact: None,
            response: Response::Undecided,
            status: ThreatStatus::Open,
            transferred_to: String::new(),
            raised_by: Vec::new(),
            notes: String::new(),
        }
    }

    fn messages(s: &Session) -> Vec<String> {
        validate(s).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_clean_session_has_no_problems() {
        let mut s = Session::new("Clean");
        s.boundaries = vec![boundary("cloud", None), boundary("vpc", Some("cloud"))];
        s.components = vec![component("api", Some("vpc")), component("db", Some("vpc"))];
        s.threats = vec![threat("TH-001", "api")];
        assert_eq!(messages(&s), Vec::<String>::new());
    }

    #[test]
    fn dismissals_need_a_rule_and_a_reason_once_per_rule() {
        let mut s = Session::new("D");
        s.components = vec![component("api", None)];
        let dismissal = |rule: &str, reason: &str| super::super::Dismissal {
            rule: rule.into(),
            reason: reason.into(),
            facts: String::new(),
        };
        s.components[0].dismissed = vec![
            dismissal("flow-replay", "signed"),
            dismissal("Flow-Replay", "again"),
            dismissal("web-sql-injection", " "),
            dismissal("", "why"),
        ]
        .into();
        assert_eq!(
            messages(&s),
            [
                "[[components]] \"api\" dismissed: rule \"Flow-Replay\" is dismissed twice on this element",
                "[[components]] \"api\" dismissed: dismissal of \"web-sql-injection\" has no reason; say why it does not apply",
                "[[components]] \"api\" dismissed: a dismissal must name the rule it dismisses",
            ]
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut s = Session::new(" ");
        s.components = vec![component("api", Some("nowhere")), component("api", None)];
        s.threats = vec![threat("TH-001", "ghost")];
        s.threats[0].likelihood = Some(Rating(7));
        let found = messages(&s);
        assert_eq!(found.len(), 5, "{found:#?}");
        assert!(found[0].starts_with("title: title is empty"));
        assert!(
            found
                .iter()
                .any(|m| m.contains("unknown boundary \"nowhere\""))
        );
        assert!(found.iter().any(|m| m.contains("duplicate id \"api\"")));
        assert!(found.iter().any(|m| m.contains("unknown target \"ghost\"")));
        assert!(
            found
                .iter()
                .any(|m| m.contains("likelihood 7 is out of range"))
        );
    }

    #[test]
    fn a_blank_out_of_scope_reason_is_a_problem() {
        let mut s = Session::new("Scope");
        s.components = vec![component("api", None), component("db", None)];
        s.components[0].out_of_scope = "  ".into();
        s.components[1].out_of_scope = "the vendor's".into();
        s.flows = vec![Flow {
            id: "api-db".into(),
            from: "api".into(),
            to: "db".into(),
            label: "SQL".into(),
            protocol: Default::default(),
            assets: Vec::new(),
            authenticated: None,
            encrypted: None,
            tags: Default::default(),
            not_applicable: StrideSet::default(),
            not_applicable_reason: Default::default(),
            out_of_scope: "\t".into(),
            notes: Default::default(),
            dismissed: Default::default(),
        }];
        assert_eq!(
            messages(&s),
            [
                "[[components]] \"api\" out_of_scope: out_of_scope is blank; give the reason it is out of scope, or remove the line",
                "[[flows]] \"api-db\" out_of_scope: out_of_scope is blank; give the reason it is out of scope, or remove the line",
            ]
        );
    }

    #[test]
    fn a_cycle_of_three_boundaries_is_reported_once() {
        let mut s = Session::new("Cycle");
        s.boundaries = vec![
            boundary("a", Some("c")),
            boundary("b", Some("a")),
            boundary("c", Some("b")),
            boundary("d", Some("a")),
        ];
        let found = messages(&s);
        assert_eq!(
            found,
            vec!["[[boundaries]] \"a\" parent: boundaries nest in a cycle: a -> c -> b -> a"]
        );
    }

    #[test]
    fn acceptance_rules() {
        let mut s = Session::new("Accept");
        s.components = vec![component("api", None)];
        s.threats = vec![threat("TH-001", "api"), threat("TH-002", "api")];
        s.threats[0].response = Response::Accept;
        s.acceptances = vec![
            Acceptance {
                threat: "TH-001".into(),
                justification: "Internal only, low value".into(),
                accepted_by: String::new(),
                review_by: None,
            },
            Acceptance {
                threat: "TH-002".into(),
                justification: "x".into(),
                accepted_by: "y".into(),
                review_by: None,
            },
        ];
        let found = messages(&s);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found[0].contains("accepted without who accepted it"));
        assert!(found[1].contains("response is \"undecided\""));
    }

    #[test]
    fn a_runs_baseline_must_be_a_commit_hash() {
        let run = |baseline: &str| crate::model::Run {
            date: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
            facilitator: String::new(),
            attendees: Vec::new(),
            trigger: String::new(),
            minutes: None,
            baseline: baseline.into(),
            notes: String::new(),
        };
        let mut s = Session::new("Runs");
        s.runs = vec![run(""), run("41d146df4d16"), run("HEAD~1"), run("abc")];
        let found = messages(&s);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found[0].contains("baseline \"HEAD~1\" is not a git commit hash"));
        assert!(found[1].contains("baseline \"abc\""));
    }

    #[test]
    fn a_transfer_must_say_who_takes_the_risk() {
        let mut s = Session::new("Transfer");
        s.components = vec![component("api", None)];
        s.threats = vec![threat("TH-001", "api"), threat("TH-002", "api")];
        s.threats[0].response = Response::Transfer;
        s.threats[1].response = Response::Transfer;
        s.threats[1].transferred_to = "Acme Insurance".into();
        let found = validate(&s);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].location.id.as_deref(), Some("TH-001"));
        assert_eq!(found[0].location.field, Some("response"));
        assert!(found[0].message.contains("transferred_to"));
        // Blank is as good as missing.
        s.threats[1].transferred_to = "  ".into();
        assert_eq!(validate(&s).len(), 2);
    }
}
