//! The session: everything the team said during the four questions, as plain data.

use super::ids::{
    AssetId, AssumptionId, BoundaryId, ElementId, MitigationId, ThreatId, next_numbered_id,
};
use super::stride::StrideSet;
use super::technology::{ProtocolFamily, Technology};
use super::thin::{ThinList, ThinText};
use chrono::NaiveDate;
use compact_str::CompactString;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The file format version this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// Default agenda for a 30-minute session, minutes per question.
pub const DEFAULT_AGENDA: [u32; 4] = [8, 12, 7, 3];

/// Ten hours: more for one question is a typo, and the cap keeps sums of minutes far from
/// overflowing.
pub const MAX_AGENDA_MINUTES: u32 = 600;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    pub schema: u32,
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Minutes planned per question; `None` means the default 8 / 12 / 7 / 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agenda: Option<[u32; 4]>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<Run>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub boundaries: Vec<Boundary>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assets: Vec<Asset>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Component>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flows: Vec<Flow>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub threats: Vec<Threat>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mitigations: Vec<Mitigation>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acceptances: Vec<Acceptance>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assumptions: Vec<Assumption>,
    #[serde(default, skip_serializing_if = "Review::is_empty")]
    pub review: Review,
}

/// One sitting of the team over this model: the first session or a later re-run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Run {
    #[serde(with = "super::date")]
    pub date: NaiveDate,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub facilitator: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attendees: Vec<String>,
    /// Why the team met: "initial", "boundary change: ...".
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub trigger: String,
    /// How long the run took, in minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<u32>,
    /// The git commit (hexadecimal, short or full) whose version of the session a re-run was
    /// compared with; empty for a first run, or when the baseline was not a commit.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub baseline: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Boundary {
    pub id: BoundaryId,
    pub name: String,
    /// The enclosing boundary; boundaries nest (a VPC inside a cloud account).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<BoundaryId>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Classification {
    Public,
    Internal,
    Confidential,
    Restricted,
}

impl Classification {
    pub const ALL: [Classification; 4] = [
        Classification::Public,
        Classification::Internal,
        Classification::Confidential,
        Classification::Restricted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Public => "public",
            Classification::Internal => "internal",
            Classification::Confidential => "confidential",
            Classification::Restricted => "restricted",
        }
    }

    /// Confidential and restricted data are what attack paths and encryption findings protect.
    pub fn is_sensitive(self) -> bool {
        self >= Classification::Confidential
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Asset {
    pub id: AssetId,
    pub name: String,
    pub classification: Classification,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
}

/// The three kinds of component in a data-flow diagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ComponentKind {
    Process,
    DataStore,
    ExternalEntity,
}

impl ComponentKind {
    pub const ALL: [ComponentKind; 3] = [
        ComponentKind::Process,
        ComponentKind::DataStore,
        ComponentKind::ExternalEntity,
    ];

    pub fn as_str(self) -> &'static str {
        ElementKind::from(self).as_str()
    }
}

/// Every kind of element a threat or a library entry can apply to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ElementKind {
    Process,
    DataStore,
    ExternalEntity,
    Flow,
}

impl ElementKind {
    pub const ALL: [ElementKind; 4] = [
        ElementKind::Process,
        ElementKind::DataStore,
        ElementKind::ExternalEntity,
        ElementKind::Flow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ElementKind::Process => "process",
            ElementKind::DataStore => "data-store",
            ElementKind::ExternalEntity => "external-entity",
            ElementKind::Flow => "flow",
        }
    }

    pub fn parse(text: &str) -> Option<ElementKind> {
        ElementKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// The STRIDE categories that apply to an element of this kind (DESIGN.md). A data store that
    /// holds logs also gets repudiation, and a flow crossing a trust boundary gets all six; callers
    /// that know those facts add them.
    pub fn stride_applicable(self) -> StrideSet {
        StrideSet::parse(match self {
            ElementKind::ExternalEntity => "SR",
            ElementKind::Process => "STRIDE",
            ElementKind::DataStore => "TID",
            ElementKind::Flow => "TID",
        })
    }
}

impl From<ComponentKind> for ElementKind {
    fn from(kind: ComponentKind) -> Self {
        match kind {
            ComponentKind::Process => ElementKind::Process,
            ComponentKind::DataStore => ElementKind::DataStore,
            ComponentKind::ExternalEntity => ElementKind::ExternalEntity,
        }
    }
}

impl fmt::Display for ElementKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    pub id: ElementId,
    pub name: String,
    pub kind: ComponentKind,
    /// What it is built as, from the controlled vocabulary the threat rules read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technology: Option<Technology>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boundary: Option<BoundaryId>,
    /// Free-form labels; `internet-facing` and `logs` mean something to the analysis.
    #[serde(default, skip_serializing_if = "<[String]>::is_empty")]
    pub tags: ThinList<String>,
    /// Data assets this component handles or stores.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assets: Vec<AssetId>,
    /// STRIDE categories the team decided do not apply here (they count as covered).
    #[serde(default, skip_serializing_if = "StrideSet::is_empty")]
    pub not_applicable: StrideSet,
    /// Why those categories do not apply, as the team said it.
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub not_applicable_reason: ThinText,
    /// Why the team put it out of scope (someone else's system, covered by another model);
    /// empty when in scope. Out of scope leaves it out of coverage, findings and suggestions.
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub out_of_scope: ThinText,
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub notes: ThinText,
    /// Rule suggestions the team judged not to apply to this element.
    #[serde(default, skip_serializing_if = "<[Dismissal]>::is_empty")]
    pub dismissed: ThinList<Dismissal>,
}

impl Component {
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t.eq_ignore_ascii_case(tag))
    }

    /// Out of scope: a reason given, or (older files) tagged `out-of-scope`.
    pub fn is_out_of_scope(&self) -> bool {
        out_of_scope(&self.out_of_scope, &self.tags)
    }

    /// Why it is out of scope, `None` when in scope.
    pub fn out_of_scope_reason(&self) -> Option<&str> {
        out_of_scope_reason(&self.out_of_scope, &self.tags)
    }
}

/// The tag older files (and imports) used before `out_of_scope` had a reason.
pub const OUT_OF_SCOPE_TAG: &str = "out-of-scope";

fn out_of_scope(reason: &str, tags: &[String]) -> bool {
    out_of_scope_reason(reason, tags).is_some()
}

fn out_of_scope_reason<'a>(reason: &'a str, tags: &[String]) -> Option<&'a str> {
    if !reason.trim().is_empty() {
        Some(reason.trim())
    } else if tags
        .iter()
        .any(|t| t.eq_ignore_ascii_case(OUT_OF_SCOPE_TAG))
    {
        Some("tagged out-of-scope")
    } else {
        None
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    pub id: ElementId,
    pub from: ElementId,
    pub to: ElementId,
    pub label: CompactString,
    #[serde(default, skip_serializing_if = "CompactString::is_empty")]
    pub protocol: CompactString,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assets: Vec<AssetId>,
    /// Whether the flow authenticates its sender; `None` when nobody knows yet (left out of
    /// the file), which is reported as unknown rather than as "no".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticated: Option<bool>,
    /// Whether the flow is encrypted in transit; `None` when unknown, as for `authenticated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
    #[serde(default, skip_serializing_if = "<[String]>::is_empty")]
    pub tags: ThinList<String>,
    #[serde(default, skip_serializing_if = "StrideSet::is_empty")]
    pub not_applicable: StrideSet,
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub not_applicable_reason: ThinText,
    /// Why the team put it out of scope (someone else's system, covered by another model);
    /// empty when in scope. Out of scope leaves it out of coverage, findings and suggestions.
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub out_of_scope: ThinText,
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub notes: ThinText,
    #[serde(default, skip_serializing_if = "<[Dismissal]>::is_empty")]
    pub dismissed: ThinList<Dismissal>,
}

impl Flow {
    /// Out of scope: a reason given, or (older files) tagged `out-of-scope`.
    pub fn is_out_of_scope(&self) -> bool {
        out_of_scope(&self.out_of_scope, &self.tags)
    }

    /// Why it is out of scope, `None` when in scope.
    pub fn out_of_scope_reason(&self) -> Option<&str> {
        out_of_scope_reason(&self.out_of_scope, &self.tags)
    }

    /// Known to authenticate its sender (unknown counts as not, where a yes/no is needed).
    pub fn is_authenticated(&self) -> bool {
        self.authenticated == Some(true)
    }

    /// Known to be encrypted in transit (unknown counts as not, where a yes/no is needed).
    pub fn is_encrypted(&self) -> bool {
        self.encrypted == Some(true)
    }

    /// The protocol family recognised in the flow's free-text protocol.
    pub fn protocol_family(&self) -> Option<ProtocolFamily> {
        ProtocolFamily::recognise(&self.protocol)
    }
}

/// A rule suggestion the team judged not to apply to an element, and why. `facts` records what
/// the rule looked at when it was dismissed, so the suggestion comes back when those change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dismissal {
    /// The rule's id.
    pub rule: String,
    pub reason: String,
    /// The element's properties the rule's condition reads, as they were: `key=value; ...`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub facts: String,
}

/// Likelihood or impact as written in the file. Kept as a plain integer so that a value out of
/// 1..=3 is reported by validation with the rest, instead of failing the whole parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Rating(pub i64);

impl Rating {
    pub const LOW: Rating = Rating(1);
    pub const MEDIUM: Rating = Rating(2);
    pub const HIGH: Rating = Rating(3);

    pub fn is_valid(self) -> bool {
        (1..=3).contains(&self.0)
    }

    pub fn label(self) -> &'static str {
        match self.0 {
            1 => "low",
            2 => "medium",
            3 => "high",
            _ => "invalid",
        }
    }
}

/// The one risk rubric: likelihood x impact, low (1-2), medium (3-4), high (6), critical (9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RiskLevel {
    Low,
    Medium,
    High,
    Critical,
}

impl RiskLevel {
    pub const ALL: [RiskLevel; 4] = [
        RiskLevel::Low,
        RiskLevel::Medium,
        RiskLevel::High,
        RiskLevel::Critical,
    ];

    /// `None` unless both ratings are in 1..=3.
    pub fn from_ratings(likelihood: Rating, impact: Rating) -> Option<RiskLevel> {
        if !likelihood.is_valid() || !impact.is_valid() {
            return None;
        }
        Some(match likelihood.0 * impact.0 {
            1..=2 => RiskLevel::Low,
            3..=4 => RiskLevel::Medium,
            6 => RiskLevel::High,
            _ => RiskLevel::Critical,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::Low => "low",
            RiskLevel::Medium => "medium",
            RiskLevel::High => "high",
            RiskLevel::Critical => "critical",
        }
    }

    pub fn parse(text: &str) -> Option<RiskLevel> {
        RiskLevel::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

impl fmt::Display for RiskLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Response {
    #[default]
    Undecided,
    Mitigate,
    Accept,
    Transfer,
    Avoid,
}

impl Response {
    pub fn as_str(self) -> &'static str {
        match self {
            Response::Undecided => "undecided",
            Response::Mitigate => "mitigate",
            Response::Accept => "accept",
            Response::Transfer => "transfer",
            Response::Avoid => "avoid",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ThreatStatus {
    /// Still to be dealt with.
    #[default]
    Open,
    /// Its response is carried out: mitigations done, acceptance signed, risk transferred.
    Resolved,
    /// A change to the model put this threat in question (re-run after a boundary change).
    NeedsReview,
    /// Considered and found not to apply.
    NotApplicable,
}

impl ThreatStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ThreatStatus::Open => "open",
            ThreatStatus::Resolved => "resolved",
            ThreatStatus::NeedsReview => "needs-review",
            ThreatStatus::NotApplicable => "not-applicable",
        }
    }

    /// Open threats are the ones that still ask something of the team.
    pub fn is_open(self) -> bool {
        matches!(self, ThreatStatus::Open | ThreatStatus::NeedsReview)
    }
}

/// A reference into a threat library: `<library-id>:<entry-id>`, e.g. `attack:T1078.004`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LibraryRef(String);

impl LibraryRef {
    pub fn new(library: &str, entry: &str) -> Self {
        LibraryRef(format!("{library}:{entry}"))
    }

    /// Keeps whatever was written; `parts` says whether it has the right shape.
    pub fn raw(text: impl Into<String>) -> Self {
        LibraryRef(text.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `(library, entry)` when the reference is well formed. The entry id may itself contain a
    /// colon (OWASP writes `A01:2021`), so only the first colon separates.
    pub fn parts(&self) -> Option<(&str, &str)> {
        let (library, entry) = self.0.split_once(':')?;
        let library_ok = !library.is_empty()
            && library
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        let entry_ok = !entry.trim().is_empty() && !entry.chars().any(char::is_whitespace);
        (library_ok && entry_ok).then_some((library, entry))
    }
}

impl fmt::Display for LibraryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threat {
    pub id: ThreatId,
    /// The component or flow this threat is on.
    pub target: ElementId,
    pub title: String,
    #[serde(default, skip_serializing_if = "StrideSet::is_empty")]
    pub stride: StrideSet,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refs: Vec<LibraryRef>,
    /// The threat rule that suggested it, when it came from a suggestion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub likelihood: Option<Rating>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact: Option<Rating>,
    #[serde(default)]
    pub response: Response,
    #[serde(default)]
    pub status: ThreatStatus,
    /// Who takes the risk when the response is transfer: a vendor, an insurer, another team.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub transferred_to: String,
    /// Who raised it, when it came from an attendee's idea during a shared session (an
    /// accepted idea's author; a merged idea adds its author).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub raised_by: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
}

impl Threat {
    /// The risk, once likelihood and impact are both set and valid.
    pub fn risk(&self) -> Option<RiskLevel> {
        RiskLevel::from_ratings(self.likelihood?, self.impact?)
    }

    /// The response in words, with who takes the risk when it is transferred ("transfer to
    /// Acme Insurance"); not escaped.
    pub fn response_text(&self) -> String {
        match self.response {
            Response::Transfer if self.transferred_to.trim().is_empty() => {
                "transfer to nobody named".to_string()
            }
            Response::Transfer => format!("transfer to {}", self.transferred_to.trim()),
            other => other.as_str().to_string(),
        }
    }

    /// likelihood x impact, 0 when unrated: for sorting.
    pub fn risk_score(&self) -> i64 {
        match (self.likelihood, self.impact) {
            (Some(l), Some(i)) if l.is_valid() && i.is_valid() => l.0 * i.0,
            _ => 0,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MitigationStatus {
    #[default]
    Planned,
    InProgress,
    Done,
    Verified,
}

impl MitigationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MitigationStatus::Planned => "planned",
            MitigationStatus::InProgress => "in-progress",
            MitigationStatus::Done => "done",
            MitigationStatus::Verified => "verified",
        }
    }

    pub fn is_finished(self) -> bool {
        matches!(self, MitigationStatus::Done | MitigationStatus::Verified)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mitigation {
    pub id: MitigationId,
    /// The threats this action addresses (one action often covers several).
    pub threats: Vec<ThreatId>,
    pub action: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub owner: String,
    #[serde(
        default,
        with = "super::date::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub due: Option<NaiveDate>,
    #[serde(default)]
    pub status: MitigationStatus,
    /// A link or key in the team's tracker, e.g. `SEC-1234`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ticket: String,
}

impl Mitigation {
    /// Overdue: past its due date on `today` and not finished.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        !self.status.is_finished() && self.due.is_some_and(|due| due < today)
    }
}

/// A signed-off decision to live with a threat's risk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acceptance {
    pub threat: ThreatId,
    pub justification: String,
    pub accepted_by: String,
    /// When the acceptance must be looked at again.
    #[serde(
        default,
        with = "super::date::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub review_by: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assumption {
    pub id: AssumptionId,
    pub text: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub owner: String,
    #[serde(default)]
    pub validated: bool,
}

/// Question 4: how the team judged its own work.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Review {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub coverage_notes: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub went_well: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub to_change: String,
}

impl Review {
    pub fn is_empty(&self) -> bool {
        self == &Review::default()
    }
}

/// An element a threat can target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Element<'a> {
    Component(&'a Component),
    Flow(&'a Flow),
}

impl Element<'_> {
    pub fn kind(&self) -> ElementKind {
        match self {
            Element::Component(c) => c.kind.into(),
            Element::Flow(_) => ElementKind::Flow,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Element::Component(c) => &c.name,
            Element::Flow(f) => &f.label,
        }
    }
}

impl Session {
    /// An empty session with the current schema version.
    pub fn new(title: impl Into<String>) -> Self {
        Session {
            schema: SCHEMA_VERSION,
            title: title.into(),
            description: String::new(),
            agenda: None,
            runs: Vec::new(),
            boundaries: Vec::new(),
            assets: Vec::new(),
            components: Vec::new(),
            flows: Vec::new(),
            threats: Vec::new(),
            mitigations: Vec::new(),
            acceptances: Vec::new(),
            assumptions: Vec::new(),
            review: Review::default(),
        }
    }

    /// Minutes per question, each at most [`MAX_AGENDA_MINUTES`] (validation reports larger
    /// values; the clamp keeps the clock's sums from overflowing on an invalid file).
    pub fn agenda_minutes(&self) -> [u32; 4] {
        self.agenda
            .map(|a| a.map(|m| m.min(MAX_AGENDA_MINUTES)))
            .unwrap_or(DEFAULT_AGENDA)
    }

    pub fn last_run(&self) -> Option<&Run> {
        self.runs.iter().max_by_key(|r| r.date)
    }

    pub fn boundary(&self, id: &str) -> Option<&Boundary> {
        self.boundaries.iter().find(|b| b.id.as_str() == id)
    }

    pub fn asset(&self, id: &str) -> Option<&Asset> {
        self.assets.iter().find(|a| a.id.as_str() == id)
    }

    pub fn component(&self, id: &str) -> Option<&Component> {
        self.components.iter().find(|c| c.id.as_str() == id)
    }

    pub fn flow(&self, id: &str) -> Option<&Flow> {
        self.flows.iter().find(|f| f.id.as_str() == id)
    }

    pub fn element(&self, id: &str) -> Option<Element<'_>> {
        self.component(id)
            .map(Element::Component)
            .or_else(|| self.flow(id).map(Element::Flow))
    }

    pub fn threat(&self, id: &str) -> Option<&Threat> {
        self.threats.iter().find(|t| t.id.as_str() == id)
    }

    pub fn acceptance(&self, threat: &str) -> Option<&Acceptance> {
        self.acceptances
            .iter()
            .find(|a| a.threat.as_str() == threat)
    }

    pub fn threats_on<'a>(&'a self, target: &'a str) -> impl Iterator<Item = &'a Threat> + 'a {
        self.threats
            .iter()
            .filter(move |t| t.target.as_str() == target)
    }

    pub fn mitigations_for<'a>(
        &'a self,
        threat: &'a str,
    ) -> impl Iterator<Item = &'a Mitigation> + 'a {
        self.mitigations
            .iter()
            .filter(move |m| m.threats.iter().any(|t| t.as_str() == threat))
    }

    pub fn next_threat_id(&self) -> ThreatId {
        ThreatId::new(next_numbered_id(
            "TH",
            self.threats.iter().map(|t| t.id.as_str()),
        ))
    }

    pub fn next_mitigation_id(&self) -> MitigationId {
        MitigationId::new(next_numbered_id(
            "MI",
            self.mitigations.iter().map(|m| m.id.as_str()),
        ))
    }

    pub fn next_assumption_id(&self) -> AssumptionId {
        AssumptionId::new(next_numbered_id(
            "AS",
            self.assumptions.iter().map(|a| a.id.as_str()),
        ))
    }

    /// The canonical order in which a session is written: every table by id (acceptances by
    /// threat), runs by date. Sorting is stable, so equal keys keep their order.
    pub fn sort_tables(&mut self) {
        self.runs.sort_by_key(|r| r.date);
        self.boundaries.sort_by(|a, b| a.id.cmp(&b.id));
        self.assets.sort_by(|a, b| a.id.cmp(&b.id));
        self.components.sort_by(|a, b| a.id.cmp(&b.id));
        self.flows.sort_by(|a, b| a.id.cmp(&b.id));
        self.threats.sort_by(|a, b| a.id.cmp(&b.id));
        self.mitigations.sort_by(|a, b| a.id.cmp(&b.id));
        self.acceptances.sort_by(|a, b| a.threat.cmp(&b.threat));
        self.assumptions.sort_by(|a, b| a.id.cmp(&b.id));
        for c in &mut self.components {
            c.dismissed.sort_by(|a, b| a.rule.cmp(&b.rule));
        }
        for f in &mut self.flows {
            f.dismissed.sort_by(|a, b| a.rule.cmp(&b.rule));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn risk_rubric() {
        let r = |l, i| RiskLevel::from_ratings(Rating(l), Rating(i));
        assert_eq!(r(1, 1), Some(RiskLevel::Low));
        assert_eq!(r(1, 2), Some(RiskLevel::Low));
        assert_eq!(r(3, 1), Some(RiskLevel::Medium));
        assert_eq!(r(2, 2), Some(RiskLevel::Medium));
        assert_eq!(r(2, 3), Some(RiskLevel::High));
        assert_eq!(r(3, 3), Some(RiskLevel::Critical));
        assert_eq!(r(0, 3), None);
        assert_eq!(r(4, 1), None);
    }

    #[test]
    fn library_ref_parts() {
        assert_eq!(
            LibraryRef::raw("attack:T1078.004").parts(),
            Some(("attack", "T1078.004"))
        );
        assert_eq!(
            LibraryRef::raw("owasp-top10-2021:A01:2021").parts(),
            Some(("owasp-top10-2021", "A01:2021"))
        );
        assert_eq!(LibraryRef::raw("T1078").parts(), None);
        assert_eq!(LibraryRef::raw(":T1078").parts(), None);
        assert_eq!(LibraryRef::raw("attack: ").parts(), None);
    }

    #[test]
    fn stride_applicability_follows_the_design_table() {
        assert_eq!(
            ElementKind::ExternalEntity.stride_applicable().to_string(),
            "SR"
        );
        assert_eq!(
            ElementKind::Process.stride_applicable().to_string(),
            "STRIDE"
        );
        assert_eq!(
            ElementKind::DataStore.stride_applicable().to_string(),
            "TID"
        );
        assert_eq!(ElementKind::Flow.stride_applicable().to_string(), "TID");
    }

    #[test]
    fn overdue_only_when_unfinished_and_past_due() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap_or_default();
        let mut m = Mitigation {
            id: "MI-001".into(),
            threats: vec!["TH-001".into()],
            action: "Rotate keys".into(),
            owner: "ana".into(),
            due: Some(day(10)),
            status: MitigationStatus::Planned,
            ticket: String::new(),
        };
        assert!(m.is_overdue(day(11)));
        assert!(!m.is_overdue(day(10)));
        m.status = MitigationStatus::Done;
        assert!(!m.is_overdue(day(11)));
    }
}
