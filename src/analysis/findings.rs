//! Structural findings: things in the model that a reviewer would flag, each with a stable rule
//! id, a severity, the element it is on and a one-line fix.

use super::graph::ModelGraph;
use crate::model::{
    Classification, ComponentKind, ElementKind, Location, Response, RiskLevel, Session, StrideSet,
    Table, ThreatStatus,
};
use crate::rules::engine::OpenWalk;
use crate::rules::{RuleSet, SuggestionState};
use chrono::NaiveDate;
use compact_str::{CompactString, ToCompactString};
use foldhash::{HashMap, HashMapExt};
use serde::Serialize;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// Severity uses the same four levels as risk, so one `--fail-on` threshold covers both.
pub type Severity = RiskLevel;

/// The rules, with ids that never change meaning (CI configurations and SARIF refer to them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Rule {
    UnauthenticatedCrossing,
    UnencryptedSensitiveFlow,
    StoreReachableFromExternal,
    ComponentOutsideBoundaries,
    OrphanComponent,
    RestrictedProcessWithoutThreats,
    HighRiskWithoutResponse,
    MitigationWithoutOwnerOrDue,
    OverdueMitigation,
    AcceptanceReviewOverdue,
    StaleSession,
    AcceptanceWithoutReviewDate,
    ThreatNeedsReview,
    MitigateWithoutMitigation,
    UnansweredSuggestion,
    UnknownProtection,
    ThreatOnOutOfScopeElement,
}

impl Rule {
    pub const ALL: [Rule; 17] = [
        Rule::UnauthenticatedCrossing,
        Rule::UnencryptedSensitiveFlow,
        Rule::StoreReachableFromExternal,
        Rule::ComponentOutsideBoundaries,
        Rule::OrphanComponent,
        Rule::RestrictedProcessWithoutThreats,
        Rule::HighRiskWithoutResponse,
        Rule::MitigationWithoutOwnerOrDue,
        Rule::OverdueMitigation,
        Rule::AcceptanceReviewOverdue,
        Rule::StaleSession,
        Rule::AcceptanceWithoutReviewDate,
        Rule::ThreatNeedsReview,
        Rule::MitigateWithoutMitigation,
        Rule::UnansweredSuggestion,
        Rule::UnknownProtection,
        Rule::ThreatOnOutOfScopeElement,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Rule::UnauthenticatedCrossing => "TB001",
            Rule::UnencryptedSensitiveFlow => "TB002",
            Rule::StoreReachableFromExternal => "TB003",
            Rule::ComponentOutsideBoundaries => "TB004",
            Rule::OrphanComponent => "TB005",
            Rule::RestrictedProcessWithoutThreats => "TB006",
            Rule::HighRiskWithoutResponse => "TB007",
            Rule::MitigationWithoutOwnerOrDue => "TB008",
            Rule::OverdueMitigation => "TB009",
            Rule::AcceptanceReviewOverdue => "TB010",
            Rule::StaleSession => "TB011",
            Rule::AcceptanceWithoutReviewDate => "TB012",
            Rule::ThreatNeedsReview => "TB013",
            Rule::MitigateWithoutMitigation => "TB014",
            Rule::UnansweredSuggestion => "TB015",
            Rule::UnknownProtection => "TB016",
            Rule::ThreatOnOutOfScopeElement => "TB017",
        }
    }

    /// The STRIDE letters a threat on the finding's element must share to accept or track it;
    /// empty for rules no threat answers (the fix is to the model or the response itself).
    pub fn letters(self) -> &'static str {
        match self {
            Rule::UnauthenticatedCrossing => "S",
            Rule::UnencryptedSensitiveFlow => "I",
            Rule::StoreReachableFromExternal => "TI",
            _ => "",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Rule::UnauthenticatedCrossing => "unauthenticated-boundary-crossing",
            Rule::UnencryptedSensitiveFlow => "unencrypted-sensitive-flow",
            Rule::StoreReachableFromExternal => "data-store-reachable-from-external-entity",
            Rule::ComponentOutsideBoundaries => "component-outside-boundaries",
            Rule::OrphanComponent => "orphan-component",
            Rule::RestrictedProcessWithoutThreats => "restricted-process-without-threats",
            Rule::HighRiskWithoutResponse => "high-risk-without-response",
            Rule::MitigationWithoutOwnerOrDue => "mitigation-without-owner-or-due-date",
            Rule::OverdueMitigation => "overdue-mitigation",
            Rule::AcceptanceReviewOverdue => "acceptance-review-overdue",
            Rule::StaleSession => "stale-session",
            Rule::AcceptanceWithoutReviewDate => "acceptance-without-review-date",
            Rule::ThreatNeedsReview => "threat-needs-review",
            Rule::MitigateWithoutMitigation => "mitigate-without-mitigation",
            Rule::UnansweredSuggestion => "unanswered-suggestion",
            Rule::UnknownProtection => "unknown-flow-protection",
            Rule::ThreatOnOutOfScopeElement => "threat-on-out-of-scope-element",
        }
    }

    /// What the rule checks, for SARIF rule metadata and `--help`.
    pub fn description(self) -> &'static str {
        match self {
            Rule::UnauthenticatedCrossing => {
                "A data flow crosses a trust boundary without authentication."
            }
            Rule::UnencryptedSensitiveFlow => {
                "A data flow carries confidential or restricted data without encryption."
            }
            Rule::StoreReachableFromExternal => {
                "An external entity talks to a data store directly, with no process in between."
            }
            Rule::ComponentOutsideBoundaries => {
                "The model has trust boundaries but this component is in none of them."
            }
            Rule::OrphanComponent => "A component has no data flows.",
            Rule::RestrictedProcessWithoutThreats => {
                "A process handles restricted data but no threat was recorded for it."
            }
            Rule::HighRiskWithoutResponse => "An open high or critical threat has no response.",
            Rule::MitigationWithoutOwnerOrDue => {
                "An unfinished mitigation has no owner or no due date."
            }
            Rule::OverdueMitigation => "An unfinished mitigation is past its due date.",
            Rule::AcceptanceReviewOverdue => "A risk acceptance is past its review date.",
            Rule::StaleSession => "The model has not been reviewed within the allowed age.",
            Rule::AcceptanceWithoutReviewDate => {
                "A risk acceptance has no date by which it must be reviewed."
            }
            Rule::ThreatNeedsReview => {
                "A change to the model put this threat in question and it has not been reviewed."
            }
            Rule::MitigateWithoutMitigation => {
                "An open threat is to be mitigated but no mitigation addresses it."
            }
            Rule::UnansweredSuggestion => {
                "A threat rule suggests a threat for this element that the team neither added nor dismissed."
            }
            Rule::UnknownProtection => {
                "Nobody has said whether a boundary-crossing flow authenticates, or whether a flow carrying sensitive data is encrypted."
            }
            Rule::ThreatOnOutOfScopeElement => {
                "An open threat is on an element the team put out of scope."
            }
        }
    }
}

/// One finding on one element.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: Rule,
    pub severity: Severity,
    /// The id of the element, threat or mitigation the finding is on ("" for the session).
    pub element: CompactString,
    #[serde(skip)]
    pub location: Location,
    pub message: String,
    /// The rule's advice: fixed text per rule, so it is not copied into every finding.
    pub fix: Cow<'static, str>,
    /// A threat whose valid acceptance covers this finding: shown, but never fails the gate.
    pub accepted_by_threat: Option<String>,
    /// A threat covering the finding's letters with a mitigation that has an owner and a due
    /// date not yet passed: shown, but never fails the gate either (TB009 catches slippage).
    pub tracked_by: Option<Box<Tracking>>,
    /// For an unanswered suggestion (TB015), the id of the threat rule that made it.
    pub suggestion: Option<CompactString>,
}

impl Finding {
    /// A key that stays the same across runs while the problem does: `TB001:client-api`, and
    /// for an unanswered suggestion also the threat rule's id: `TB015:client-api:flow-replay`.
    pub fn key(&self) -> String {
        match &self.suggestion {
            Some(rule) => format!("{}:{}:{rule}", self.rule.id(), self.element),
            None => format!("{}:{}", self.rule.id(), self.element),
        }
    }

    pub fn is_accepted(&self) -> bool {
        self.accepted_by_threat.is_some()
    }

    pub fn is_tracked(&self) -> bool {
        self.tracked_by.is_some()
    }

    /// Whether this finding fails the gate at `threshold`: at or above it, neither accepted
    /// nor tracked.
    pub fn blocks(&self, threshold: Severity) -> bool {
        self.severity >= threshold && !self.is_accepted() && !self.is_tracked()
    }
}

/// What tracks a finding: the threat that covers it and the planned (or finished) mitigation
/// with an owner that answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tracking {
    pub threat: String,
    pub mitigation: String,
    pub owner: String,
    pub due: Option<NaiveDate>,
    /// The mitigation is done or verified (then its due date no longer matters).
    pub finished: bool,
}

impl std::fmt::Display for Tracking {
    /// "tracked by TH-3 via MI-2 (ana, due 2026-12-19)"
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "tracked by {} via {} ({}",
            self.threat, self.mitigation, self.owner
        )?;
        match (self.finished, self.due) {
            (true, _) => write!(f, ", done)"),
            (false, Some(due)) => write!(f, ", due {due})"),
            (false, None) => write!(f, ")"),
        }
    }
}

/// What the findings depend on beyond the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FindingOptions<'r> {
    pub today: NaiveDate,
    /// Flag the session when its last run is older than this many days.
    pub max_age_days: Option<u32>,
    /// The threat rules in force (shipped and the team's): each suggestion nobody answered is a
    /// TB015 finding. `None` leaves that rule out (no libraries loaded).
    pub rules: Option<&'r RuleSet>,
}

/// Whether a threat's acceptance is in force on `today`: justified, signed and not past review.
pub fn acceptance_is_valid(session: &Session, threat: &str, today: NaiveDate) -> bool {
    session
        .acceptance(threat)
        .is_some_and(|a| acceptance_in_force(a, today))
}

fn acceptance_in_force(a: &crate::model::Acceptance, today: NaiveDate) -> bool {
    !a.justification.trim().is_empty()
        && !a.accepted_by.trim().is_empty()
        && a.review_by.is_none_or(|d| d >= today)
}

/// Every finding on the model, in report order (severity down, then rule, then element).
pub fn findings(graph: &ModelGraph<'_>, options: &FindingOptions<'_>) -> Vec<Finding> {
    let unanswered = SharedUnanswered::new(graph, options);
    // The others placed first, in their own list: the suggestions then go straight behind
    // those that come before them, and none moves.
    unanswered.place(Structural::sorted(structural(graph, options)));
    unanswered.lead();
    unanswered.into_findings()
}

/// Elements per piece of the unanswered suggestions' work: small enough that two threads end
/// close together, large enough that taking one costs nothing to speak of.
const UNANSWERED_CHUNK: usize = 128;

/// The unanswered suggestions (TB015), worked out by one thread or two: the elements, in
/// report order, are taken a chunk at a time by whichever thread is free (the leading one
/// from the start, a helping one once it is done with the rest of the analysis), and each
/// chunk's findings are moved into one list in chunk order as soon as the chunks before it
/// are there. Most of a large model's findings are these: both threads end together, and no
/// second list of them is ever held. The other findings are placed around them as soon as
/// they are sorted ([`SharedUnanswered::place`]), by the thread that sorted them, so that the
/// list is whole when the last chunk is in.
pub(super) struct SharedUnanswered<'g, 's, 'o> {
    graph: &'g ModelGraph<'s>,
    options: &'o FindingOptions<'o>,
    /// Made by the leading thread, which needs it first; `None` inside without rules.
    prepared: OnceLock<Option<Unanswered<'g, 's, 'o>>>,
    next_chunk: AtomicUsize,
    done: Mutex<InOrder>,
}

/// Chunks' findings put in chunk order, behind the other findings that go before them once
/// those are placed.
#[derive(Default)]
struct InOrder {
    findings: Vec<Finding>,
    /// The chunk whose findings go next.
    next: usize,
    /// Chunks done before the one that goes next (a handful at most).
    waiting: Vec<(usize, Vec<Finding>)>,
    /// The other findings that go after the suggestions, once placed.
    after: Vec<Finding>,
}

impl InOrder {
    /// The list so far, taken out so that it can be put behind the other findings without
    /// holding the lock; chunks that come meanwhile start a new list.
    fn take_so_far(&mut self) -> Vec<Finding> {
        std::mem::take(&mut self.findings)
    }

    /// `placed`: the other findings that go first, then what [`InOrder::take_so_far`] took;
    /// the chunks added since go behind it, and `after` at the very end.
    fn put_back(&mut self, mut placed: Vec<Finding>, after: Vec<Finding>) {
        placed.append(&mut self.findings);
        self.findings = placed;
        self.after = after;
    }

    /// Every finding in report order.
    fn into_findings(mut self) -> Vec<Finding> {
        debug_assert!(self.waiting.is_empty(), "every chunk is put in order");
        self.findings.append(&mut self.after);
        self.findings
    }

    fn add(&mut self, chunk: usize, findings: &mut Vec<Finding>) {
        if chunk != self.next {
            self.waiting.push((chunk, std::mem::take(findings)));
            return;
        }
        self.findings.append(findings);
        self.next += 1;
        while let Some(at) = self.waiting.iter().position(|(c, _)| *c == self.next) {
            let (_, mut waited) = self.waiting.swap_remove(at);
            self.findings.append(&mut waited);
            self.next += 1;
        }
    }
}

impl<'g, 's, 'o> SharedUnanswered<'g, 's, 'o> {
    pub(super) fn new(graph: &'g ModelGraph<'s>, options: &'o FindingOptions<'o>) -> Self {
        SharedUnanswered {
            graph,
            options,
            prepared: OnceLock::new(),
            next_chunk: AtomicUsize::new(0),
            done: Mutex::new(InOrder::default()),
        }
    }

    /// Prepares the work, then takes chunks until none is left.
    pub(super) fn lead(&self) {
        if let Some(u) = self.prepare() {
            self.take_chunks(u);
        }
    }

    /// Makes the work every chunk reads, if not made yet: from then on the helping thread can
    /// take chunks.
    pub(super) fn make_ready(&self) {
        self.prepare();
    }

    /// The work every chunk reads, made once; `None` without rules.
    fn prepare(&self) -> Option<&Unanswered<'g, 's, 'o>> {
        self.prepared
            .get_or_init(|| {
                let u = self
                    .options
                    .rules
                    .and_then(|rules| Unanswered::new(self.graph, rules));
                if let (Some(_), Ok(mut done)) = (&u, self.done.lock()) {
                    let room = self.room();
                    let len = done.findings.len();
                    done.findings.reserve(room.saturating_sub(len));
                }
                u
            })
            .as_ref()
    }

    /// Takes the chunks still left, if the leading thread has prepared the work.
    pub(super) fn help(&self) {
        if let Some(Some(u)) = self.prepared.get() {
            self.take_chunks(u);
        }
    }

    fn take_chunks(&self, u: &Unanswered<'g, 's, 'o>) {
        let mut findings = Vec::new();
        loop {
            let chunk = self.next_chunk.fetch_add(1, Ordering::Relaxed);
            let from = chunk.saturating_mul(UNANSWERED_CHUNK);
            if from >= u.order.len() {
                return;
            }
            let to = (from + UNANSWERED_CHUNK).min(u.order.len());
            u.findings_into(from..to, &mut findings);
            match self.done.lock() {
                Ok(mut done) => done.add(chunk, &mut findings),
                // Only a panic on the other thread poisons it, and that panic is resumed.
                Err(_) => return,
            }
        }
    }

    /// Puts the other findings around the suggestions: those that go first in front of the
    /// ones found so far, those that go after at the end. Call it once, from either thread,
    /// while chunks are being done or before.
    pub(super) fn place(&self, structural: Structural) {
        let (first, after) = structural.split();
        // Only a panic on the other thread poisons the lock, and that panic is resumed.
        let Ok(so_far) = self.done.lock().map(|mut done| done.take_so_far()) else {
            return;
        };
        // Before any suggestion is found, the others' own list takes them (it was made with
        // room for all): nothing moves. Later, into the list the suggestions are found in,
        // which has the room: the sooner, the fewer of them move.
        let room = self.room();
        let mut placed = if so_far.is_empty() {
            first
        } else {
            let mut placed = so_far;
            placed.reserve(room.saturating_sub(placed.len()));
            placed.splice(0..0, first);
            placed
        };
        placed.reserve(room.saturating_sub(placed.len()));
        if let Ok(mut done) = self.done.lock() {
            done.put_back(placed, after);
        }
    }

    fn room(&self) -> usize {
        findings_room(self.graph.session)
    }

    /// The findings, in report order, once every chunk is done and the others are placed.
    pub(super) fn into_findings(self) -> Vec<Finding> {
        self.done.into_inner().unwrap_or_default().into_findings()
    }
}

/// Room for all the findings of `session` in one list: about one suggestion per element and
/// as many others at most. Room never touched costs no memory; growing a list of large
/// findings copies them all, into fresh pages.
fn findings_room(session: &Session) -> usize {
    2 * (session.components.len() + session.flows.len())
}

/// `text` quoted, exactly as `{:?}` writes it. Ids are mostly printable ASCII without quotes
/// or backslashes, which `Debug` copies as they are: those are copied here, as going through
/// `fmt` for each of thousands of findings added up (a tenth of a microsecond apiece).
fn push_quoted(out: &mut String, text: &str) {
    if text
        .bytes()
        .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
    {
        out.push('"');
        out.push_str(text);
        out.push('"');
    } else {
        let _ = write!(out, "{text:?}");
    }
}

/// A finding's message from its parts, each either plain text or an id to quote.
fn message(parts: &[Part<'_>]) -> String {
    let len = parts.iter().map(|p| p.text().len() + 2).sum();
    let mut out = String::with_capacity(len);
    for part in parts {
        match part {
            Part::Text(text) => out.push_str(text),
            Part::Quoted(text) => push_quoted(&mut out, text),
        }
    }
    out
}

enum Part<'t> {
    Text(&'t str),
    Quoted(&'t str),
}

impl Part<'_> {
    fn text(&self) -> &str {
        match self {
            Part::Text(text) | Part::Quoted(text) => text,
        }
    }
}

/// Every finding but the unanswered suggestions (TB015), in no particular order.
pub(super) fn structural(graph: &ModelGraph<'_>, options: &FindingOptions<'_>) -> Vec<Finding> {
    let s = graph.session;
    let today = options.today;
    // Room for all findings, as the suggestions are then placed in this list (see
    // `SharedUnanswered::place`).
    let mut out = Vec::with_capacity(findings_room(s));
    let classification: HashMap<&str, Classification> = s
        .assets
        .iter()
        .map(|a| (a.id.as_str(), a.classification))
        .collect();
    let max_class = |assets: &[crate::model::AssetId]| {
        assets
            .iter()
            .filter_map(|a| classification.get(a.as_str()).copied())
            .max()
    };
    // Lookups by id, built once: models in CI can have thousands of elements. A flow's ends are
    // found through the graph (the first component of a duplicated id, as here).
    let mut threats: HashMap<&str, &crate::model::Threat> = HashMap::new();
    for t in &s.threats {
        threats.entry(t.id.as_str()).or_insert(t);
    }
    let mut acceptances: HashMap<&str, &crate::model::Acceptance> = HashMap::new();
    for a in &s.acceptances {
        acceptances.entry(a.threat.as_str()).or_insert(a);
    }
    let mitigated: foldhash::HashSet<&str> = s
        .mitigations
        .iter()
        .flat_map(|m| m.threats.iter().map(|t| t.as_str()))
        .collect();
    // Accepted threats per target with the STRIDE letters they cover.
    let mut accepted: HashMap<&str, Vec<(&str, &StrideSet)>> = HashMap::new();
    for t in &s.threats {
        if t.response == Response::Accept
            && acceptances
                .get(t.id.as_str())
                .is_some_and(|a| acceptance_in_force(a, today))
        {
            accepted
                .entry(t.target.as_str())
                .or_default()
                .push((t.id.as_str(), &t.stride));
        }
    }
    let accepted_for = |element: &str, letters: &str| -> Option<String> {
        let wanted = StrideSet::parse(letters);
        accepted.get(element).and_then(|list| {
            list.iter()
                .find(|(_, stride)| !stride.intersection(&wanted).is_empty())
                .map(|(id, _)| id.to_string())
        })
    };
    // Mitigations per threat, in file order, for tracking.
    let mut mitigations_of: HashMap<&str, Vec<&crate::model::Mitigation>> = HashMap::new();
    for m in &s.mitigations {
        for t in &m.threats {
            mitigations_of.entry(t.as_str()).or_default().push(m);
        }
    }
    // The first threat on the element covering the letters (file order) with a mitigation that
    // has an owner and is done, or due today or later.
    // Threats per target in file order, so each finding looks at its element's threats only.
    let mut threats_on: HashMap<&str, Vec<&crate::model::Threat>> = HashMap::new();
    for t in s
        .threats
        .iter()
        .filter(|t| t.status != ThreatStatus::NotApplicable)
    {
        threats_on.entry(t.target.as_str()).or_default().push(t);
    }
    // Boxed: few findings are tracked, and a finding is kept per element and rule.
    let tracked_for = |element: &str, letters: &str| -> Option<Box<Tracking>> {
        let wanted = StrideSet::parse(letters);
        threats_on
            .get(element)?
            .iter()
            .filter(|t| !t.stride.intersection(&wanted).is_empty())
            .find_map(|t| {
                let m = mitigations_of.get(t.id.as_str())?.iter().find(|m| {
                    !m.owner.trim().is_empty()
                        && (m.status.is_finished() || m.due.is_some_and(|d| d >= today))
                })?;
                Some(Box::new(Tracking {
                    threat: t.id.to_string(),
                    mitigation: m.id.to_string(),
                    owner: m.owner.trim().to_string(),
                    due: m.due,
                    finished: m.status.is_finished(),
                }))
            })
    };
    let threat_counts: HashMap<&str, usize> = s.threats.iter().fold(HashMap::new(), |mut m, t| {
        *m.entry(t.target.as_str()).or_default() += 1;
        m
    });

    // Out of scope: the team decided not to model it here, so nothing on it is a finding (its
    // own field only; a flow into an out-of-scope system is still ours unless marked).
    for (i, f) in s.flows.iter().enumerate() {
        if f.is_out_of_scope() {
            continue;
        }
        let id = f.id.as_str();
        let crossed = graph.crossings(i);
        let sensitive = max_class(&f.assets).filter(|c| c.is_sensitive());
        // Unknown is not "no": it gets its own low finding asking the team to say.
        let unknown: Vec<String> = [
            (!crossed.is_empty() && f.authenticated.is_none()).then(|| {
                let names: Vec<&str> = crossed.iter().map(|b| b.as_str()).collect();
                format!(
                    "crosses {} and its authentication is unknown",
                    names.join(", ")
                )
            }),
            sensitive.filter(|_| f.encrypted.is_none()).map(|class| {
                format!(
                    "carries {} data and its encryption is unknown",
                    class.as_str()
                )
            }),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !unknown.is_empty() {
            let field = if !crossed.is_empty() && f.authenticated.is_none() {
                "authenticated"
            } else {
                "encrypted"
            };
            out.push(Finding {
                rule: Rule::UnknownProtection,
                severity: Severity::Low,
                element: id.to_compact_string(),
                location: Location::entry(Table::Flows, i, id, Some(field)),
                message: format!(
                    "flow {id:?} ({} -> {}) {}",
                    f.from,
                    f.to,
                    unknown.join("; it ")
                ),
                fix: "find out and say so: set authenticated / encrypted to true or false".into(),
                accepted_by_threat: None,
                tracked_by: None,
                suggestion: None,
            });
        }
        if !crossed.is_empty() && f.authenticated == Some(false) {
            let names: Vec<&str> = crossed.iter().map(|b| b.as_str()).collect();
            out.push(Finding {
                rule: Rule::UnauthenticatedCrossing,
                severity: Severity::High,
                element: id.to_compact_string(),
                location: Location::entry(Table::Flows, i, id, Some("authenticated")),
                message: message(&[
                    Part::Text("flow "),
                    Part::Quoted(id),
                    Part::Text(" ("),
                    Part::Text(f.from.as_str()),
                    Part::Text(" -> "),
                    Part::Text(f.to.as_str()),
                    Part::Text(") crosses "),
                    Part::Text(&names.join(", ")),
                    Part::Text(" without authentication"),
                ]),
                fix: "authenticate the caller (mTLS, signed tokens, HMAC) and set authenticated = true".into(),
                accepted_by_threat: accepted_for(id, Rule::UnauthenticatedCrossing.letters()),
                tracked_by: None,
                suggestion: None,
            });
        }
        if f.encrypted == Some(false)
            && let Some(class) = sensitive
        {
            let severity = if class == Classification::Restricted || !crossed.is_empty() {
                Severity::High
            } else {
                Severity::Medium
            };
            out.push(Finding {
                rule: Rule::UnencryptedSensitiveFlow,
                severity,
                element: id.to_compact_string(),
                location: Location::entry(Table::Flows, i, id, Some("encrypted")),
                message: message(&[
                    Part::Text("flow "),
                    Part::Quoted(id),
                    Part::Text(" carries "),
                    Part::Text(class.as_str()),
                    Part::Text(" data unencrypted"),
                ]),
                fix:
                    "encrypt the channel (TLS) or stop sending the data, then set encrypted = true"
                        .into(),
                accepted_by_threat: accepted_for(id, Rule::UnencryptedSensitiveFlow.letters()),
                tracked_by: None,
                suggestion: None,
            });
        }
        if let (Some(from), Some(to)) = graph.flow_ends(i) {
            let (from, to) = (&s.components[from], &s.components[to]);
            let kinds = (from.kind, to.kind);
            if matches!(
                kinds,
                (ComponentKind::ExternalEntity, ComponentKind::DataStore)
                    | (ComponentKind::DataStore, ComponentKind::ExternalEntity)
            ) {
                let (external, store) = if from.kind == ComponentKind::ExternalEntity {
                    (from, to)
                } else {
                    (to, from)
                };
                out.push(Finding {
                    rule: Rule::StoreReachableFromExternal,
                    severity: Severity::High,
                    element: id.to_compact_string(),
                    location: Location::entry(Table::Flows, i, id, None),
                    message: message(&[
                        Part::Text("data store "),
                        Part::Quoted(store.id.as_str()),
                        Part::Text(" is reached directly by external entity "),
                        Part::Quoted(external.id.as_str()),
                    ]),
                    fix: "put a process in between that authenticates and authorizes each access"
                        .into(),
                    accepted_by_threat: accepted_for(
                        id,
                        Rule::StoreReachableFromExternal.letters(),
                    ),
                    tracked_by: None,
                    suggestion: None,
                });
            }
        }
    }

    // Per component (the first of a duplicated id): whether any flow names it, at either end
    // and whatever is at the other.
    let mut has_flows = vec![false; s.components.len()];
    for i in 0..s.flows.len() {
        let (from, to) = graph.flow_ends(i);
        for end in [from, to].into_iter().flatten() {
            has_flows[end] = true;
        }
    }
    let named_by_a_flow = |i: usize| graph.first_with_id(i).is_some_and(|n| has_flows[n]);
    for (i, c) in s.components.iter().enumerate() {
        if c.is_out_of_scope() {
            continue;
        }
        let id = c.id.as_str();
        if !s.boundaries.is_empty() && c.boundary.is_none() {
            out.push(Finding {
                rule: Rule::ComponentOutsideBoundaries,
                severity: Severity::Medium,
                element: id.to_compact_string(),
                location: Location::entry(Table::Components, i, id, None),
                message: format!("component {id:?} is in no trust boundary"),
                fix: "set its boundary, so crossings to and from it are analysed".into(),
                accepted_by_threat: None,
                tracked_by: None,
                suggestion: None,
            });
        }
        if !named_by_a_flow(i) {
            out.push(Finding {
                rule: Rule::OrphanComponent,
                severity: Severity::Low,
                element: id.to_compact_string(),
                location: Location::entry(Table::Components, i, id, None),
                message: format!("component {id:?} has no data flows"),
                fix: "add the flows it takes part in, or remove it".into(),
                accepted_by_threat: None,
                tracked_by: None,
                suggestion: None,
            });
        }
        if c.kind == ComponentKind::Process && !threat_counts.contains_key(id) {
            let handles_restricted = max_class(&c.assets) == Some(Classification::Restricted)
                || graph
                    .flows_at(id)
                    .any(|(_, f)| max_class(&f.assets) == Some(Classification::Restricted));
            if handles_restricted {
                out.push(Finding {
                    rule: Rule::RestrictedProcessWithoutThreats,
                    severity: Severity::Medium,
                    element: id.to_compact_string(),
                    location: Location::entry(Table::Components, i, id, None),
                    message: message(&[
                        Part::Text("process "),
                        Part::Quoted(id),
                        Part::Text(" handles restricted data but has no threats"),
                    ]),
                    fix: "walk STRIDE for it in question 2".into(),
                    accepted_by_threat: None,
                    tracked_by: None,
                    suggestion: None,
                });
            }
        }
    }

    // Out-of-scope elements by id, for threats still recorded on them.
    let out_of_scope: HashMap<&str, &str> = s
        .components
        .iter()
        .filter_map(|c| Some((c.id.as_str(), c.out_of_scope_reason()?)))
        .chain(
            s.flows
                .iter()
                .filter_map(|f| Some((f.id.as_str(), f.out_of_scope_reason()?))),
        )
        .collect();
    for (i, t) in s.threats.iter().enumerate() {
        let id = t.id.as_str();
        // On an out-of-scope element a threat raises only TB017, low: it is kept (the element
        // may come back in scope), but nothing there blocks the gate.
        if let Some(reason) = out_of_scope.get(t.target.as_str()) {
            if !t.status.is_open() {
                continue;
            }
            out.push(Finding {
                rule: Rule::ThreatOnOutOfScopeElement,
                severity: Severity::Low,
                element: id.to_compact_string(),
                location: Location::entry(Table::Threats, i, id, Some("target")),
                message: format!(
                    "threat {id:?} ({}) is on {:?}, which is out of scope: {reason}",
                    t.title,
                    t.target.as_str()
                ),
                fix: "mark the threat not applicable, or bring the element back in scope".into(),
                accepted_by_threat: None,
                tracked_by: None,
                suggestion: None,
            });
            continue;
        }
        if t.status.is_open()
            && t.response == Response::Undecided
            && let Some(risk) = t.risk().filter(|r| *r >= RiskLevel::High)
        {
            out.push(Finding {
                rule: Rule::HighRiskWithoutResponse,
                severity: risk,
                element: id.to_compact_string(),
                location: Location::entry(Table::Threats, i, id, Some("response")),
                message: format!("{risk} threat {id:?} ({}) has no response", t.title),
                fix: "decide: mitigate, accept (with justification), transfer or avoid".into(),
                accepted_by_threat: None,
                tracked_by: None,
                suggestion: None,
            });
        }
        if t.status.is_open() && t.response == Response::Mitigate && !mitigated.contains(id) {
            out.push(Finding {
                rule: Rule::MitigateWithoutMitigation,
                severity: t.risk().unwrap_or(Severity::Medium),
                element: id.to_compact_string(),
                location: Location::entry(Table::Threats, i, id, Some("response")),
                message: format!(
                    "threat {id:?} ({}) is to be mitigated but has no mitigation",
                    t.title
                ),
                fix: "add a mitigation with an owner and a due date in question 3".into(),
                accepted_by_threat: None,
                tracked_by: None,
                suggestion: None,
            });
        }
        if t.status == ThreatStatus::NeedsReview {
            out.push(Finding {
                rule: Rule::ThreatNeedsReview,
                severity: t.risk().unwrap_or(Severity::Medium).max(Severity::Medium),
                element: id.to_compact_string(),
                location: Location::entry(Table::Threats, i, id, Some("status")),
                message: format!(
                    "threat {id:?} ({}) needs review after a model change",
                    t.title
                ),
                fix: "review it against the changed model and set its status".into(),
                accepted_by_threat: None,
                tracked_by: None,
                suggestion: None,
            });
        }
    }

    let worst_threat_risk = |ids: &[crate::model::ThreatId]| {
        ids.iter()
            .filter_map(|t| threats.get(t.as_str())?.risk())
            .max()
    };
    for (i, m) in s.mitigations.iter().enumerate() {
        let id = m.id.as_str();
        if m.status.is_finished() {
            continue;
        }
        let missing: Vec<&str> = [
            (m.owner.trim().is_empty(), "owner"),
            (m.due.is_none(), "due date"),
        ]
        .into_iter()
        .filter_map(|(missing, what)| missing.then_some(what))
        .collect();
        if !missing.is_empty() {
            out.push(Finding {
                rule: Rule::MitigationWithoutOwnerOrDue,
                severity: Severity::Medium,
                element: id.to_compact_string(),
                location: Location::entry(
                    Table::Mitigations,
                    i,
                    id,
                    Some(if m.owner.trim().is_empty() {
                        "owner"
                    } else {
                        "due"
                    }),
                ),
                message: format!(
                    "mitigation {id:?} ({}) has no {}",
                    m.action,
                    missing.join(" and no ")
                ),
                fix: "name one owner and a due date".into(),
                accepted_by_threat: None,
                tracked_by: None,
                suggestion: None,
            });
        }
        if let Some(due) = m.due.filter(|_| m.is_overdue(today)) {
            let severity = if worst_threat_risk(&m.threats) >= Some(RiskLevel::High) {
                Severity::High
            } else {
                Severity::Medium
            };
            out.push(Finding {
                rule: Rule::OverdueMitigation,
                severity,
                element: id.to_compact_string(),
                location: Location::entry(Table::Mitigations, i, id, Some("due")),
                message: format!(
                    "mitigation {id:?} ({}) was due {due}, {}",
                    m.action,
                    days_ago((today - due).num_days())
                ),
                fix: "finish it, or agree a new date with its owner".into(),
                accepted_by_threat: None,
                tracked_by: None,
                suggestion: None,
            });
        }
    }

    for (i, a) in s.acceptances.iter().enumerate() {
        let threat = a.threat.as_str();
        let risk = threats.get(threat).and_then(|t| t.risk());
        match a.review_by {
            Some(review) if review < today => out.push(Finding {
                rule: Rule::AcceptanceReviewOverdue,
                severity: risk.unwrap_or(Severity::Medium).max(Severity::Medium),
                element: threat.to_compact_string(),
                location: Location::entry(Table::Acceptances, i, threat, Some("review_by")),
                message: format!(
                    "the acceptance of threat {threat:?} was due for review on {review}"
                ),
                fix: "review the accepted risk with its owner and set a new review_by".into(),
                accepted_by_threat: None,
                tracked_by: None,
                suggestion: None,
            }),
            None => out.push(Finding {
                rule: Rule::AcceptanceWithoutReviewDate,
                severity: Severity::Low,
                element: threat.to_compact_string(),
                location: Location::entry(Table::Acceptances, i, threat, None),
                message: format!("the acceptance of threat {threat:?} has no review date"),
                fix: "set review_by, so the accepted risk is looked at again".into(),
                accepted_by_threat: None,
                tracked_by: None,
                suggestion: None,
            }),
            Some(_) => {}
        }
    }

    if let Some(max_age) = options.max_age_days {
        let message = match s.last_run() {
            None => Some("the session has no recorded run".to_string()),
            Some(run) => {
                let age = (today - run.date).num_days();
                (age > i64::from(max_age)).then(|| {
                    format!(
                        "the last run was on {}, {} (limit {max_age})",
                        run.date,
                        days_ago(age)
                    )
                })
            }
        };
        if let Some(message) = message {
            out.push(Finding {
                rule: Rule::StaleSession,
                severity: Severity::Medium,
                element: CompactString::default(),
                location: Location::top("title"),
                message,
                fix: "re-run the session (threatboard rerun) to review the model".into(),
                accepted_by_threat: None,
                tracked_by: None,
                suggestion: None,
            });
        }
    }
    // An accepted risk needs no tracking; only rules a threat can answer are tracked.
    for f in out.iter_mut().filter(|f| f.accepted_by_threat.is_none()) {
        let letters = f.rule.letters();
        if !letters.is_empty() {
            f.tracked_by = tracked_for(&f.element, letters);
        }
    }
    out
}

/// Where a finding goes in a report: severity down, then rule (ties keep their order).
fn report_key(f: &Finding) -> (std::cmp::Reverse<Severity>, Rule) {
    (std::cmp::Reverse(f.severity), f.rule)
}

/// The other findings in report order, and where the unanswered suggestions go among them.
pub(super) struct Structural {
    sorted: Vec<Finding>,
    /// How many come before the unanswered suggestions.
    before: usize,
}

impl Structural {
    /// Findings are large: a permutation is sorted rather than the findings, and then applied
    /// in place, a cycle at a time (a copy into new memory costs more than the swaps here).
    pub(super) fn sorted(mut findings: Vec<Finding>) -> Self {
        let mut order: Vec<u32> = (0..findings.len() as u32).collect();
        // Unique keys (the index last), so an unstable sort keeps ties in their order.
        order.sort_unstable_by(|&a, &b| {
            let (x, y) = (&findings[a as usize], &findings[b as usize]);
            report_key(x)
                .cmp(&report_key(y))
                .then_with(|| x.element.cmp(&y.element))
                .then(a.cmp(&b))
        });
        let tb015 = (std::cmp::Reverse(Severity::Low), Rule::UnansweredSuggestion);
        let before = order.partition_point(|&i| report_key(&findings[i as usize]) < tb015);
        // Position `k` takes the finding at `order[k]`; a position done is marked as its own.
        for start in 0..order.len() {
            let mut k = start;
            loop {
                let from = order[k] as usize;
                order[k] = k as u32;
                if from == start || from == k {
                    break;
                }
                findings.swap(k, from);
                k = from;
            }
        }
        Structural {
            sorted: findings,
            before,
        }
    }

    /// Those that go before the unanswered suggestions, and those that go after.
    fn split(mut self) -> (Vec<Finding>, Vec<Finding>) {
        let after = self.sorted.split_off(self.before);
        (self.sorted, after)
    }
}

/// "1 day ago", "13 days ago".
fn days_ago(days: i64) -> String {
    if days == 1 {
        "1 day ago".to_string()
    } else {
        format!("{days} days ago")
    }
}

/// The first eight bytes of `id` (zeros after a shorter one) as a big-endian number. Sorting
/// by it and then by the id is sorting by the id: where two prefixes differ, their first
/// different byte is the ids' first different byte, or the end of the shorter id, which
/// sorts first either way.
fn id_prefix(id: &str) -> u64 {
    let mut bytes = [0u8; 8];
    for (to, from) in bytes.iter_mut().zip(id.bytes()) {
        *to = from;
    }
    u64::from_be_bytes(bytes)
}

/// TB015: a suggestion of the threat rules that the team neither added as a threat nor
/// dismissed (or dismissed, but what the rule reads has changed since). Prepared once for the
/// whole model, so that parts of it can be worked out on two threads.
struct Unanswered<'g, 's, 'r> {
    walk: OpenWalk<'g, 's, 'r>,
    /// The elements in report order (by id; of equal ids, components first, then file order):
    /// (number in the walk, index of the first element of its table with that id, where the
    /// finding points, as `Session` lookups find it).
    order: Vec<(u32, u32)>,
    /// Per rule: `: rule "id" (name) applies: `, written once rather than per finding.
    rule_text: Vec<String>,
}

impl<'g, 's, 'r> Unanswered<'g, 's, 'r> {
    /// `None` when there are no rules.
    fn new(graph: &'g ModelGraph<'s>, rules: &'r RuleSet) -> Option<Self> {
        if rules.is_empty() {
            return None;
        }
        let walk = OpenWalk::new(graph, rules.rules());
        let components = graph.session.components.len();
        // Each id led by its first eight bytes as a number: most ids differ there, so most
        // comparisons are one integer compare (see `id_prefix`).
        let mut by_id: Vec<(u64, &str, u32)> = (0..walk.elements())
            .map(|e| (id_prefix(walk.id(e)), walk.id(e), e as u32))
            .collect();
        // Unique keys (the element number last): an unstable sort is a stable one here.
        by_id.sort_unstable();
        // Elements of one table with one id are next to each other: the first of each run.
        let mut order: Vec<(u32, u32)> = Vec::with_capacity(by_id.len());
        let mut first = 0u32;
        for (n, &(_, id, element)) in by_id.iter().enumerate() {
            let is_flow = element as usize >= components;
            let same_run = n > 0 && {
                let (_, previous_id, previous) = by_id[n - 1];
                (previous as usize >= components) == is_flow && previous_id == id
            };
            if !same_run {
                first = if is_flow {
                    element - components as u32
                } else {
                    element
                };
            }
            order.push((element, first));
        }
        let rule_text = rules
            .rules()
            .iter()
            .map(|rule| format!(": rule {:?} ({}) applies: ", rule.id, rule.name))
            .collect();
        Some(Unanswered {
            walk,
            order,
            rule_text,
        })
    }

    /// The findings on the elements `range` of [`Self::order`], in report order, added to
    /// `out`.
    fn findings_into(&self, range: std::ops::Range<usize>, out: &mut Vec<Finding>) {
        let order = self.order.get(range).unwrap_or_default();
        let mut at = 0;
        // The element being visited: its id as the message quotes it.
        let mut quoted: (usize, String) = (usize::MAX, String::new());
        self.walk
            .visit(order.iter().map(|&(e, _)| e as usize), |open| {
                let id = open.facts.id;
                let kind = open.facts.kind;
                if quoted.0 != open.element {
                    quoted.0 = open.element;
                    quoted.1.clear();
                    push_quoted(&mut quoted.1, id);
                    while order[at].0 as usize != open.element {
                        at += 1;
                    }
                }
                let index = order[at].1 as usize;
                let table = if kind == ElementKind::Flow {
                    Table::Flows
                } else {
                    Table::Components
                };
                let rule = open.rule;
                let rule_text = &self.rule_text[open.rule_index];
                let mut message = String::with_capacity(
                    kind.as_str().len() + quoted.1.len() + rule_text.len() + 96,
                );
                message.push_str(kind.as_str());
                message.push(' ');
                message.push_str(&quoted.1);
                message.push_str(rule_text);
                open.write_reason(&mut message);
                if let SuggestionState::Returned { was, reason } = &open.state {
                    let _ = write!(
                        message,
                        "; it was dismissed ({reason:?}) but since then {was}"
                    );
                }
                out.push(Finding {
                    rule: Rule::UnansweredSuggestion,
                    severity: Severity::Low,
                    element: id.into(),
                    location: Location::entry(table, index, id, None),
                    message,
                    fix: "add it as a threat in question 2 or dismiss it with a reason".into(),
                    accepted_by_threat: None,
                    tracked_by: None,
                    suggestion: Some(rule.id.as_str().into()),
                });
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(extra: &str) -> Session {
        let base = r#"
schema = 1
title = "Findings"
[[runs]]
date = 2026-11-01
[[boundaries]]
id = "internet"
name = "Internet"
[[boundaries]]
id = "dc"
name = "Data centre"
[[assets]]
id = "cards"
name = "Card numbers"
classification = "restricted"
[[assets]]
id = "profile"
name = "Profile"
classification = "confidential"
[[components]]
id = "user"
name = "User"
kind = "external-entity"
boundary = "internet"
[[components]]
id = "api"
name = "API"
kind = "process"
boundary = "dc"
[[components]]
id = "db"
name = "DB"
kind = "data-store"
boundary = "dc"
[[components]]
id = "loose"
name = "Loose"
kind = "process"
[[flows]]
id = "user-api"
from = "user"
to = "api"
label = "login"
assets = ["profile"]
authenticated = false
encrypted = true
[[flows]]
id = "api-db"
from = "api"
to = "db"
label = "rows"
assets = ["cards"]
authenticated = true
encrypted = false
[[flows]]
id = "user-db"
from = "user"
to = "db"
label = "export"
authenticated = true
encrypted = true
"#;
        crate::store::parse(&format!("{base}{extra}"))
            .expect("test session parses")
            .0
    }

    fn keys(s: &Session, today: &str, max_age: Option<u32>) -> Vec<String> {
        let options = FindingOptions {
            today: today.parse().expect("date"),
            max_age_days: max_age,
            rules: None,
        };
        let graph = ModelGraph::new(s);
        findings(&graph, &options)
            .iter()
            .map(|f| {
                let accepted = if f.is_accepted() { " (accepted)" } else { "" };
                format!("{} {}{accepted}", f.severity, f.key())
            })
            .collect()
    }

    #[test]
    fn ids_are_quoted_as_debug_quotes_them() {
        for text in [
            "",
            "api",
            "user-db_2.v1",
            "with space ~!",
            "say \"hi\"",
            "back\\slash",
            "it's",
            "tab\there",
            "new\nline",
            "bell\u{7}",
            "del\u{7f}",
            "caf\u{e9}",
            "\u{301}accent first",
            "zero\u{200b}width",
            "emoji \u{1f600}",
        ] {
            let mut quoted = String::from("before ");
            push_quoted(&mut quoted, text);
            assert_eq!(quoted, format!("before {text:?}"), "{text}");
        }
        assert_eq!(
            message(&[Part::Text("flow "), Part::Quoted("a\"b"), Part::Text(" ok")]),
            "flow \"a\\\"b\" ok"
        );
    }

    #[test]
    fn structural_rules_fire_on_the_right_elements() {
        let s = session("");
        assert_eq!(
            keys(&s, "2026-11-23", None),
            [
                "high TB001:user-api",
                "high TB002:api-db",
                "high TB003:user-db",
                "medium TB004:loose",
                "medium TB006:api",
                "low TB005:loose",
            ]
        );
    }

    #[test]
    fn unknown_protection_is_its_own_low_finding_and_not_tb001_or_tb002() {
        let mut s = session("");
        s.flows[0].authenticated = None; // crossing: TB001 becomes TB016
        s.flows[1].encrypted = None; // restricted data: TB002 becomes TB016
        let found = keys(&s, "2026-11-23", None);
        assert!(
            found.contains(&"low TB016:user-api".to_string()),
            "{found:?}"
        );
        assert!(found.contains(&"low TB016:api-db".to_string()), "{found:?}");
        assert!(
            !found
                .iter()
                .any(|k| k.contains("TB001") || k.contains("TB002")),
            "{found:?}"
        );
        let graph = ModelGraph::new(&s);
        let options = FindingOptions {
            today: "2026-11-23".parse().expect("date"),
            max_age_days: None,
            rules: None,
        };
        let all = findings(&graph, &options);
        let f = all
            .iter()
            .find(|f| f.key() == "TB016:user-api")
            .expect("TB016");
        assert_eq!(
            f.message,
            "flow \"user-api\" (user -> api) crosses internet, dc and its authentication is unknown"
        );
        // Low: it does not block at the default threshold.
        assert!(!f.blocks(Severity::Medium));
        // Both unknown on one flow: one finding naming both.
        s.flows[0].encrypted = None;
        let graph = ModelGraph::new(&s);
        let all = findings(&graph, &options);
        let both: Vec<_> = all.iter().filter(|f| f.key() == "TB016:user-api").collect();
        assert_eq!(both.len(), 1);
        assert!(both[0].message.contains("authentication is unknown; it carries confidential data and its encryption is unknown"), "{}", both[0].message);
        // Known values: no TB016 at all.
        let known = keys(&session(""), "2026-11-23", None);
        assert!(!known.iter().any(|k| k.contains("TB016")), "{known:?}");
    }

    #[test]
    fn out_of_scope_elements_raise_no_findings_but_their_open_threats_do() {
        let mut s = session(
            r#"
[[threats]]
id = "TH-001"
target = "user-api"
title = "Spoofed login"
stride = "S"
likelihood = 3
impact = 3
"#,
        );
        // High and undecided, but on an out-of-scope flow: only TB017, never TB007.
        s.flows[0].out_of_scope = "the identity provider's model covers it".into();
        s.components[3].tags.push("out-of-scope".into()); // old files: the tag
        s.flows[2].out_of_scope = "export is retired".into();
        let found = keys(&s, "2026-11-23", None);
        assert_eq!(
            found,
            ["high TB002:api-db", "medium TB006:api", "low TB017:TH-001",],
            "{found:?}"
        );
        // A closed threat on it is fine.
        s.threats[0].status = ThreatStatus::NotApplicable;
        assert!(
            !keys(&s, "2026-11-23", None)
                .iter()
                .any(|k| k.contains("TB017"))
        );
    }

    #[test]
    fn threat_mitigation_and_acceptance_rules() {
        let s = session(
            r#"
[[threats]]
id = "TH-001"
target = "api"
title = "Credential stuffing"
stride = "S"
likelihood = 3
impact = 3
[[threats]]
id = "TH-002"
target = "user-api"
title = "Spoofed client"
stride = "S"
likelihood = 2
impact = 2
response = "accept"
[[threats]]
id = "TH-003"
target = "db"
title = "Backup theft"
stride = "I"
likelihood = 2
impact = 3
response = "mitigate"
status = "needs-review"
[[threats]]
id = "TH-004"
target = "api-db"
title = "Sniffing"
stride = "I"
response = "mitigate"
[[mitigations]]
id = "MI-001"
threats = ["TH-003"]
action = "Encrypt backups"
due = 2026-11-01
[[mitigations]]
id = "MI-002"
threats = ["TH-003"]
action = "Restrict bucket"
owner = "ana"
due = 2026-12-01
status = "done"
[[acceptances]]
threat = "TH-002"
justification = "Public sign-up form; rate limited"
accepted_by = "CISO"
review_by = 2027-01-01
"#,
        );
        let found = keys(&s, "2026-11-23", Some(10));
        let expected = [
            "critical TB007:TH-001",
            "high TB001:user-api (accepted)",
            "high TB002:api-db",
            "high TB003:user-db",
            "high TB009:MI-001",
            "high TB013:TH-003",
            "medium TB004:loose",
            "medium TB008:MI-001",
            "medium TB011:",
            "medium TB014:TH-004",
            "low TB005:loose",
        ];
        assert_eq!(found, expected);

        // Past its review date, the acceptance no longer covers the crossing.
        let later = keys(&s, "2027-02-01", None);
        assert!(
            later.contains(&"high TB001:user-api".to_string()),
            "{later:#?}"
        );
        assert!(
            later.contains(&"medium TB010:TH-002".to_string()),
            "{later:#?}"
        );
    }

    /// A model of `components` components and twice as many flows, all crossing boundaries.
    fn large_session(components: usize) -> Session {
        let mut text = String::from("schema = 1\ntitle = \"Large\"\n");
        for b in 0..3 {
            text += &format!("[[boundaries]]\nid = \"b{b}\"\nname = \"B{b}\"\n");
        }
        text += "[[assets]]\nid = \"cards\"\nname = \"Cards\"\nclassification = \"restricted\"\n";
        let kinds = ["external-entity", "process", "data-store"];
        for c in 0..components {
            text += &format!(
                "[[components]]\nid = \"c{c}\"\nname = \"C{c}\"\nkind = \"{}\"\nboundary = \"b{}\"\n",
                kinds[c % 3],
                c % 3
            );
        }
        for f in 0..2 * components {
            text += &format!(
                "[[flows]]\nid = \"f{f}\"\nfrom = \"c{}\"\nto = \"c{}\"\nlabel = \"call\"\nprotocol = \"http\"\nassets = [\"cards\"]\nauthenticated = false\n",
                f % components,
                (7 * f + 1) % components
            );
        }
        crate::store::parse(&text).expect("large session parses").0
    }

    /// However the chunks of unanswered suggestions are shared out (all by the leader, all by
    /// a helper from the back, or by two threads as they come), the findings are the same and
    /// in report order.
    #[test]
    fn unanswered_suggestions_shared_out_in_any_way_give_the_same_findings() {
        let session = large_session(150);
        let set = crate::library::load_rules_for_session(None, &[]).expect("shipped rules load");
        let options = FindingOptions {
            today: "2026-12-01".parse().expect("date"),
            max_age_days: None,
            rules: Some(set.rules()),
        };
        let graph = ModelGraph::new(&session);
        let alone = findings(&graph, &options);
        let tb015 = alone
            .iter()
            .filter(|f| f.rule == Rule::UnansweredSuggestion)
            .count();
        assert!(
            tb015 > 2 * UNANSWERED_CHUNK,
            "only {tb015} unanswered suggestions"
        );

        let shared = SharedUnanswered::new(&graph, &options);
        shared.help();
        assert_eq!(
            shared.next_chunk.load(Ordering::Relaxed),
            0,
            "nothing to help with before the leader prepares"
        );
        shared.prepare();
        shared.help();
        let taken = shared.next_chunk.load(Ordering::Relaxed);
        assert!(taken > 2, "the helper took every chunk");
        shared.lead();
        assert_eq!(
            shared.next_chunk.load(Ordering::Relaxed),
            taken + 1,
            "none left to lead"
        );
        shared.place(Structural::sorted(structural(&graph, &options)));
        let by_helper = shared.into_findings();
        assert_eq!(by_helper, alone);

        assert_eq!(
            super::super::analyze_graph(&graph, &options).findings,
            alone
        );
    }

    #[test]
    fn unanswered_suggestions_are_low_findings_one_per_rule_and_element() {
        let rules_text = r#"
[rules]
id = "t"
name = "T"
[[rule]]
id = "open-door"
name = "Open door"
stride = "S"
threat = "Anyone calls {to}"
reason = "unauthenticated flow into {to}"
when = { kind = "flow", authenticated = false }
[[rule]]
id = "proc"
name = "Process"
stride = "E"
threat = "Elevation in {element}"
when = { kind = "process" }
"#;
        let rules = RuleSet::from_text(rules_text, crate::library::Origin::Text("t".into()))
            .expect("rules parse");
        // `loose` dismissed the process rule; `api` has a threat made from it.
        let mut s = session(
            r#"
[[threats]]
id = "TH-001"
target = "api"
title = "Elevation"
stride = "E"
rule = "proc"
"#,
        );
        s.components[3].dismissed.push(crate::model::Dismissal {
            rule: "proc".into(),
            reason: "a cron script, no input".into(),
            facts: String::new(),
        });
        let options = FindingOptions {
            today: "2026-11-23".parse().expect("date"),
            max_age_days: None,
            rules: Some(&rules),
        };
        let graph = ModelGraph::new(&s);
        let found: Vec<Finding> = findings(&graph, &options)
            .into_iter()
            .filter(|f| f.rule == Rule::UnansweredSuggestion)
            .collect();
        let keys: Vec<String> = found.iter().map(Finding::key).collect();
        assert_eq!(keys, ["TB015:user-api:open-door"]);
        assert_eq!(found[0].severity, Severity::Low);
        assert_eq!(
            found[0].message,
            "flow \"user-api\": rule \"open-door\" (Open door) applies: unauthenticated flow into API"
        );
        assert_eq!(found[0].location.table, Table::Flows);
        // Without rules, no TB015 at all.
        let none = FindingOptions {
            rules: None,
            ..options
        };
        assert!(
            findings(&graph, &none)
                .iter()
                .all(|f| f.rule != Rule::UnansweredSuggestion)
        );
    }

    /// The TB002 finding on `api-db` with one threat on `target` (letters `stride`) and one
    /// mitigation of it (`mitigation` holds its owner, due and status lines).
    fn tb002_with(target: &str, stride: &str, mitigation: &str) -> Finding {
        let s = session(&format!(
            r#"
[[threats]]
id = "TH-001"
target = "{target}"
title = "Sniffing on the wire"
stride = "{stride}"
likelihood = 2
impact = 3
response = "mitigate"
[[mitigations]]
id = "MI-001"
threats = ["TH-001"]
action = "Turn on TLS"
{mitigation}
"#
        ));
        let options = FindingOptions {
            today: "2026-11-23".parse().expect("date"),
            max_age_days: None,
            rules: None,
        };
        findings(&ModelGraph::new(&s), &options)
            .into_iter()
            .find(|f| f.key() == "TB002:api-db")
            .expect("TB002 on api-db")
    }

    #[test]
    fn a_covering_threat_with_an_owned_mitigation_due_later_tracks_the_finding() {
        let f = tb002_with("api-db", "TI", "owner = \"ana\"\ndue = 2026-12-07");
        let tracking = f.tracked_by.as_ref().expect("tracked");
        assert_eq!(
            tracking.to_string(),
            "tracked by TH-001 via MI-001 (ana, due 2026-12-07)"
        );
        assert!(!f.blocks(Severity::Low), "a tracked finding never blocks");
        // Due today still counts: the date has not passed.
        assert!(tb002_with("api-db", "I", "owner = \"ana\"\ndue = 2026-11-23").is_tracked());
    }

    #[test]
    fn tracking_needs_the_letters_an_owner_a_date_not_passed_and_the_same_element() {
        let good = "owner = \"ana\"\ndue = 2026-12-07";
        // TB002 asks for I; a tampering-only threat does not cover it.
        let f = tb002_with("api-db", "T", good);
        assert!(!f.is_tracked());
        assert!(f.blocks(Severity::High));
        assert!(
            !tb002_with("api-db", "I", "due = 2026-12-07").is_tracked(),
            "no owner"
        );
        assert!(!tb002_with("api-db", "I", "owner = \"  \"\ndue = 2026-12-07").is_tracked());
        assert!(
            !tb002_with("api-db", "I", "owner = \"ana\"").is_tracked(),
            "no due date"
        );
        assert!(
            !tb002_with("api-db", "I", "owner = \"ana\"\ndue = 2026-11-22").is_tracked(),
            "past due: TB009 reports the slippage and the finding blocks again"
        );
        assert_eq!(days_ago(1), "1 day ago");
        assert_eq!(days_ago(13), "13 days ago");
        assert!(
            !tb002_with("user-api", "I", good).is_tracked(),
            "threat on another element"
        );
        assert!(
            !tb002_with("api", "I", good).is_tracked(),
            "threat on an end of the flow"
        );
    }

    #[test]
    fn a_finished_mitigation_with_an_owner_tracks_whatever_its_date() {
        let f = tb002_with(
            "api-db",
            "I",
            "owner = \"ana\"\ndue = 2026-01-01\nstatus = \"done\"",
        );
        let tracking = f.tracked_by.as_ref().expect("tracked");
        assert_eq!(
            tracking.to_string(),
            "tracked by TH-001 via MI-001 (ana, done)"
        );
        let verified = tb002_with("api-db", "I", "owner = \"ana\"\nstatus = \"verified\"");
        assert!(verified.is_tracked());
        assert!(
            !tb002_with("api-db", "I", "status = \"done\"").is_tracked(),
            "done, but nobody owns it"
        );
    }

    #[test]
    fn every_rule_has_a_distinct_id_and_name() {
        let ids: std::collections::HashSet<_> = Rule::ALL.iter().map(|r| r.id()).collect();
        let names: std::collections::HashSet<_> = Rule::ALL.iter().map(|r| r.name()).collect();
        assert_eq!(ids.len(), Rule::ALL.len());
        assert_eq!(names.len(), Rule::ALL.len());
    }
}

/// The faster paths of [`findings`] against the straightforward ones: unanswered suggestions
/// walked in file order, then every finding sorted by a stable sort.
#[cfg(test)]
mod reference {
    use super::*;
    use proptest::prelude::*;

    /// TB015 as first written: the open walk in file order, ids looked up per finding.
    fn unanswered(graph: &ModelGraph<'_>, rules: &RuleSet, out: &mut Vec<Finding>) {
        let s = graph.session;
        let mut flows: HashMap<&str, usize> = HashMap::new();
        for (i, f) in s.flows.iter().enumerate() {
            flows.entry(f.id.as_str()).or_insert(i);
        }
        crate::rules::engine::for_each_open(graph, rules.rules(), |open| {
            let id = open.facts.id;
            let kind = open.facts.kind;
            let (table, index) = if kind == ElementKind::Flow {
                (Table::Flows, flows.get(id).copied())
            } else {
                (Table::Components, graph.node(id).map(|n| graph.graph[n]))
            };
            let Some(index) = index else {
                return;
            };
            let rule = open.rule;
            let mut message = format!(
                "{} {id:?}: rule {:?} ({}) applies: ",
                kind.as_str(),
                rule.id,
                rule.name
            );
            open.write_reason(&mut message);
            if let SuggestionState::Returned { was, reason } = &open.state {
                let _ = write!(
                    message,
                    "; it was dismissed ({reason:?}) but since then {was}"
                );
            }
            out.push(Finding {
                rule: Rule::UnansweredSuggestion,
                severity: Severity::Low,
                element: id.to_compact_string(),
                location: Location::entry(table, index, id, None),
                message,
                fix: "add it as a threat in question 2 or dismiss it with a reason".into(),
                accepted_by_threat: None,
                tracked_by: None,
                suggestion: Some(rule.id.as_str().into()),
            });
        });
    }

    fn sort_stable(out: &mut [Finding]) {
        out.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(a.rule.cmp(&b.rule))
                .then(a.element.cmp(&b.element))
        });
    }

    fn reference(graph: &ModelGraph<'_>, options: &FindingOptions<'_>) -> Vec<Finding> {
        let mut out = structural(graph, options);
        if let Some(rules) = options.rules {
            unanswered(graph, rules, &mut out);
        }
        sort_stable(&mut out);
        out
    }

    fn models() -> Vec<Session> {
        let mut out: Vec<Session> = [
            include_str!("../../sessions/llm-support-bot.toml"),
            include_str!("../../sessions/microservices-api-platform.toml"),
            include_str!("../../sessions/three-tier-cloud-web-app.toml"),
        ]
        .iter()
        .map(|text| crate::store::parse(text).expect("example parses").0)
        .collect();
        // Duplicated ids (an invalid session), ids out of file order, a returned dismissal.
        let mut s = out[1].clone();
        s.components.reverse();
        s.flows.reverse();
        let (c, f) = (s.components[0].clone(), s.flows[0].clone());
        s.components.push(c);
        s.flows.insert(1, f.clone());
        s.flows.push(f);
        let libraries = crate::library::LibrarySet::shipped().expect("shipped rules load");
        let mut first_open: Option<(usize, String)> = None;
        crate::rules::engine::for_each_open(&ModelGraph::new(&s), libraries.rules().rules(), |o| {
            if first_open.is_none() {
                first_open = Some((o.element, o.rule.id.clone()));
            }
        });
        let (element, rule) = first_open.expect("the shipped rules fire on the example");
        let dismissal = crate::model::Dismissal {
            rule,
            reason: "x".into(),
            facts: "kind=none".into(),
        };
        match s.components.get_mut(element) {
            Some(c) => c.dismissed.push(dismissal),
            None => s.flows[element - s.components.len()]
                .dismissed
                .push(dismissal),
        }
        out.push(s);
        out
    }

    #[test]
    fn findings_and_the_analysis_agree_with_the_reference_on_every_model() {
        let libraries = crate::library::LibrarySet::shipped().expect("shipped rules load");
        let mut tb015 = 0;
        for s in models() {
            let graph = ModelGraph::new(&s);
            for rules in [Some(libraries.rules()), None] {
                let options = FindingOptions {
                    today: "2026-11-23".parse().expect("date"),
                    max_age_days: Some(30),
                    rules,
                };
                let expected = reference(&graph, &options);
                tb015 += expected
                    .iter()
                    .filter(|f| f.rule == Rule::UnansweredSuggestion)
                    .count();
                assert_eq!(findings(&graph, &options), expected, "{}", s.title);
                let analysis = crate::analysis::analyze_graph(&graph, &options);
                assert_eq!(analysis.findings, expected, "{}", s.title);
            }
        }
        assert!(
            tb015 > 20,
            "the comparison saw {tb015} unanswered suggestions"
        );
    }

    fn finding(severity: u8, rule: usize, element: u8) -> Finding {
        Finding {
            rule: Rule::ALL[rule % Rule::ALL.len()],
            severity: [
                Severity::Low,
                Severity::Medium,
                Severity::High,
                Severity::Critical,
            ][usize::from(severity % 4)],
            element: format!("e{}", element % 7).into(),
            location: Location::top("title"),
            message: String::new(),
            fix: "".into(),
            accepted_by_threat: None,
            tracked_by: None,
            suggestion: None,
        }
    }

    proptest! {
        /// Ordering ids by their prefix number, then by the id, is ordering them by the id.
        #[test]
        fn ids_sort_by_prefix_then_id_as_by_id(
            ids in proptest::collection::vec("[a-c\\x00-\\x02é-]{0,10}", 0..40),
        ) {
            let mut by_id = ids.clone();
            by_id.sort();
            let mut by_prefix: Vec<(u64, String)> =
                ids.into_iter().map(|id| (super::id_prefix(&id), id)).collect();
            by_prefix.sort();
            let by_prefix: Vec<String> = by_prefix.into_iter().map(|(_, id)| id).collect();
            prop_assert_eq!(by_prefix, by_id);
        }

        /// Any findings, TB015 ones given apart in chunks handed over in any order (as two
        /// threads finish them), the others placed around them at any point (chunks coming in
        /// while they are): the same order as one stable sort of them all. Messages number
        /// them, so a tie out of order shows.
        #[test]
        fn report_order_is_the_stable_sort(
            list in proptest::collection::vec((0u8..4, 0usize..17, 0u8..7), 0..60),
            swaps in proptest::collection::vec((0usize..30, 0usize..30), 0..12),
            (taken_after, put_back_after) in (0usize..32, 0usize..32),
        ) {
            let mut all: Vec<Finding> = list
                .iter()
                .enumerate()
                .map(|(n, &(sev, rule, element))| {
                    let mut f = finding(sev, rule, element);
                    f.message = n.to_string();
                    f
                })
                .collect();
            let (tb015, others): (Vec<Finding>, Vec<Finding>) = all
                .clone()
                .into_iter()
                .partition(|f| f.rule == Rule::UnansweredSuggestion && f.severity == Severity::Low);
            let mut tb015 = tb015;
            sort_stable(&mut tb015);
            sort_stable(&mut all);
            let mut chunks: Vec<(usize, Vec<Finding>)> =
                tb015.chunks(2).map(<[Finding]>::to_vec).enumerate().collect();
            for (a, b) in swaps {
                if a < chunks.len() && b < chunks.len() {
                    chunks.swap(a, b);
                }
            }
            // The other findings are sorted and placed while chunks come in: the list so far
            // is taken out after `taken_after` chunks and put back after `put_back_after`.
            let len = chunks.len();
            let taken_after = taken_after.min(len);
            let put_back_after = put_back_after.clamp(taken_after, len);
            let mut chunks = chunks.into_iter();
            let mut in_order = InOrder::default();
            let mut so_far = Vec::new();
            for n in 0..=len {
                if n == taken_after {
                    so_far = in_order.take_so_far();
                }
                if n == put_back_after {
                    let (mut placed, after) = Structural::sorted(others.clone()).split();
                    placed.append(&mut so_far);
                    in_order.put_back(placed, after);
                }
                if let Some((chunk, mut findings)) = chunks.next() {
                    in_order.add(chunk, &mut findings);
                }
            }
            prop_assert!(in_order.waiting.is_empty());
            prop_assert_eq!(in_order.into_findings(), all);
        }
    }
}
