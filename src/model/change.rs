//! What changed between two versions of a session: for the commit screen and the commit message.
//!
//! Entries are matched by id (acceptances by the threat they accept); "changed" means the same
//! id with different content. Order within a table does not matter. Runs have no id: a run equal
//! to one in the old version is unchanged, and the rest count as added, removed or changed.

use super::ids::{AssetId, AssumptionId, BoundaryId, ElementId, MitigationId, ThreatId};
use super::session::{Mitigation, Session};
use super::text::escape_control;
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// The longest commit subject [`ChangeSummary::commit_message`] aims for, in characters.
pub const MAX_MESSAGE_CHARS: usize = 100;

/// How many ids a line of [`ChangeSummary::lines`] names before it says "… N more".
const IDS_PER_LINE: usize = 6;

/// The differences between an old and a new session, table by table. Id lists are sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeSummary {
    pub threats_added: Vec<ThreatId>,
    pub threats_removed: Vec<ThreatId>,
    pub threats_changed: Vec<ThreatId>,
    pub mitigations_added: Vec<MitigationId>,
    pub mitigations_removed: Vec<MitigationId>,
    pub mitigations_changed: Vec<MitigationId>,
    pub components_added: Vec<ElementId>,
    pub components_removed: Vec<ElementId>,
    pub components_changed: Vec<ElementId>,
    pub flows_added: Vec<ElementId>,
    pub flows_removed: Vec<ElementId>,
    pub flows_changed: Vec<ElementId>,
    pub boundaries_added: Vec<BoundaryId>,
    pub boundaries_removed: Vec<BoundaryId>,
    pub boundaries_changed: Vec<BoundaryId>,
    pub assets_added: Vec<AssetId>,
    pub assets_removed: Vec<AssetId>,
    pub assets_changed: Vec<AssetId>,
    /// Keyed by the accepted threat.
    pub acceptances_added: Vec<ThreatId>,
    pub acceptances_removed: Vec<ThreatId>,
    pub acceptances_changed: Vec<ThreatId>,
    pub assumptions_added: Vec<AssumptionId>,
    pub assumptions_removed: Vec<AssumptionId>,
    pub assumptions_changed: Vec<AssumptionId>,
    pub runs_added: usize,
    pub runs_removed: usize,
    /// Runs edited in place (their notes, attendees, ...).
    pub runs_changed: usize,
    pub review_changed: bool,
    pub title_changed: bool,
    pub description_changed: bool,
    pub agenda_changed: bool,
    pub schema_changed: bool,
}

impl ChangeSummary {
    /// What changed from `old` to `new`.
    pub fn between(old: &Session, new: &Session) -> ChangeSummary {
        // Destructured without `..` so that a new field in `Session` fails to compile here until
        // it is accounted for.
        let Session {
            schema,
            title,
            description,
            agenda,
            runs,
            boundaries,
            assets,
            components,
            flows,
            threats,
            mitigations,
            acceptances,
            assumptions,
            review,
        } = new;
        let threats = diff(&old.threats, threats, |t| &t.id);
        let mitigations = diff(&old.mitigations, mitigations, |m| &m.id);
        let components = diff(&old.components, components, |c| &c.id);
        let flows = diff(&old.flows, flows, |f| &f.id);
        let boundaries = diff(&old.boundaries, boundaries, |b| &b.id);
        let assets = diff(&old.assets, assets, |a| &a.id);
        let acceptances = diff(&old.acceptances, acceptances, |a| &a.threat);
        let assumptions = diff(&old.assumptions, assumptions, |a| &a.id);
        let (runs_added, runs_removed, runs_changed) = diff_runs(&old.runs, runs);
        ChangeSummary {
            threats_added: threats.added,
            threats_removed: threats.removed,
            threats_changed: threats.changed,
            mitigations_added: mitigations.added,
            mitigations_removed: mitigations.removed,
            mitigations_changed: mitigations.changed,
            components_added: components.added,
            components_removed: components.removed,
            components_changed: components.changed,
            flows_added: flows.added,
            flows_removed: flows.removed,
            flows_changed: flows.changed,
            boundaries_added: boundaries.added,
            boundaries_removed: boundaries.removed,
            boundaries_changed: boundaries.changed,
            assets_added: assets.added,
            assets_removed: assets.removed,
            assets_changed: assets.changed,
            acceptances_added: acceptances.added,
            acceptances_removed: acceptances.removed,
            acceptances_changed: acceptances.changed,
            assumptions_added: assumptions.added,
            assumptions_removed: assumptions.removed,
            assumptions_changed: assumptions.changed,
            runs_added,
            runs_removed,
            runs_changed,
            review_changed: old.review != *review,
            title_changed: old.title != *title,
            description_changed: old.description != *description,
            agenda_changed: old.agenda != *agenda,
            schema_changed: old.schema != *schema,
        }
    }

    /// Whether nothing at all changed.
    pub fn is_empty(&self) -> bool {
        self == &ChangeSummary::default()
    }

    /// Human lines for the commit screen, most telling first, e.g.
    /// `+3 threats (TH-004, TH-005, TH-006)`, `~1 flow changed (client-api)`,
    /// `-1 component (legacy-db)`. Empty when nothing changed.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        table_lines(
            &mut lines,
            ("threat", "threats"),
            [
                &self.threats_added,
                &self.threats_removed,
                &self.threats_changed,
            ],
        );
        table_lines(
            &mut lines,
            ("mitigation", "mitigations"),
            [
                &self.mitigations_added,
                &self.mitigations_removed,
                &self.mitigations_changed,
            ],
        );
        table_lines(
            &mut lines,
            ("acceptance", "acceptances"),
            [
                &self.acceptances_added,
                &self.acceptances_removed,
                &self.acceptances_changed,
            ],
        );
        table_lines(
            &mut lines,
            ("component", "components"),
            [
                &self.components_added,
                &self.components_removed,
                &self.components_changed,
            ],
        );
        table_lines(
            &mut lines,
            ("flow", "flows"),
            [&self.flows_added, &self.flows_removed, &self.flows_changed],
        );
        table_lines(
            &mut lines,
            ("boundary", "boundaries"),
            [
                &self.boundaries_added,
                &self.boundaries_removed,
                &self.boundaries_changed,
            ],
        );
        table_lines(
            &mut lines,
            ("asset", "assets"),
            [
                &self.assets_added,
                &self.assets_removed,
                &self.assets_changed,
            ],
        );
        table_lines(
            &mut lines,
            ("assumption", "assumptions"),
            [
                &self.assumptions_added,
                &self.assumptions_removed,
                &self.assumptions_changed,
            ],
        );
        let run = ("run", "runs");
        if self.runs_added > 0 {
            lines.push(format!("+{}", count(self.runs_added, run)));
        }
        if self.runs_removed > 0 {
            lines.push(format!("-{}", count(self.runs_removed, run)));
        }
        if self.runs_changed > 0 {
            lines.push(format!("~{} changed", count(self.runs_changed, run)));
        }
        for (changed, what) in [
            (self.review_changed, "review notes"),
            (self.title_changed, "title"),
            (self.description_changed, "description"),
            (self.agenda_changed, "agenda"),
            (self.schema_changed, "schema version"),
        ] {
            if changed {
                lines.push(format!("~{what} changed"));
            }
        }
        lines
    }

    /// The one-line commit message, e.g.
    /// `threat model: Checkout service (+3 threats, 2 mitigations due 2026-12-15)`.
    ///
    /// The parenthesis names at most three parts, the most telling first: threats added,
    /// mitigations added (with their due date: "due D" when all share one, "due from D" for the
    /// earliest otherwise), acceptances added, changed elements ("2 components, 1 flow changed"),
    /// a new run; then, only if room is left, removals and edits. An empty summary gives
    /// `(update)`. `new` is the session being committed: it supplies the title (control
    /// characters removed, trimmed) and the due dates. The title is shortened with `…`, and the
    /// least telling parts dropped, to keep the message within [`MAX_MESSAGE_CHARS`].
    pub fn commit_message(&self, new: &Session) -> String {
        let title = clean_title(&new.title);
        let mut parts = self.message_parts(new);
        parts.truncate(3);
        if parts.is_empty() {
            parts.push("update".to_string());
        }
        loop {
            let tail = format!(" ({})", parts.join(", "));
            let budget =
                MAX_MESSAGE_CHARS.saturating_sub(PREFIX.chars().count() + tail.chars().count());
            if title.chars().count() <= budget {
                return format!("{PREFIX}{title}{tail}");
            }
            if budget >= MIN_TITLE_CHARS || parts.len() == 1 {
                let title = shorten(&title, budget.max(MIN_TITLE_CHARS));
                return format!("{PREFIX}{title}{tail}");
            }
            parts.pop();
        }
    }

    /// Every part the commit message could name, most telling first.
    fn message_parts(&self, new: &Session) -> Vec<String> {
        let mut parts = Vec::new();
        if !self.threats_added.is_empty() {
            parts.push(format!(
                "+{}",
                count(self.threats_added.len(), ("threat", "threats"))
            ));
        }
        if !self.mitigations_added.is_empty() {
            let mut part = count(self.mitigations_added.len(), ("mitigation", "mitigations"));
            part.push_str(&due_suffix(&self.mitigations_added, &new.mitigations));
            parts.push(part);
        }
        if !self.acceptances_added.is_empty() {
            parts.push(count(
                self.acceptances_added.len(),
                ("acceptance", "acceptances"),
            ));
        }
        let elements: Vec<String> = [
            (
                touched(
                    &self.components_added,
                    &self.components_removed,
                    &self.components_changed,
                ),
                ("component", "components"),
            ),
            (
                touched(&self.flows_added, &self.flows_removed, &self.flows_changed),
                ("flow", "flows"),
            ),
            (
                touched(
                    &self.boundaries_added,
                    &self.boundaries_removed,
                    &self.boundaries_changed,
                ),
                ("boundary", "boundaries"),
            ),
            (
                touched(
                    &self.assets_added,
                    &self.assets_removed,
                    &self.assets_changed,
                ),
                ("asset", "assets"),
            ),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, noun)| count(n, noun))
        .collect();
        if !elements.is_empty() {
            parts.push(format!("{} changed", elements.join(", ")));
        }
        match self.runs_added {
            0 => {}
            1 => parts.push("new run".to_string()),
            n => parts.push(format!("{n} new runs")),
        }
        // The rest, should nothing above apply or room be left.
        let removed_and_updated = [
            (
                self.threats_removed.len(),
                self.threats_changed.len(),
                ("threat", "threats"),
            ),
            (
                self.mitigations_removed.len(),
                self.mitigations_changed.len(),
                ("mitigation", "mitigations"),
            ),
            (
                self.acceptances_removed.len(),
                self.acceptances_changed.len(),
                ("acceptance", "acceptances"),
            ),
            (
                self.assumptions_removed.len(),
                self.assumptions_changed.len(),
                ("assumption", "assumptions"),
            ),
        ];
        for (removed, updated, noun) in removed_and_updated {
            if removed > 0 {
                parts.push(format!("-{}", count(removed, noun)));
            }
            if updated > 0 {
                parts.push(format!("{} updated", count(updated, noun)));
            }
        }
        if !self.assumptions_added.is_empty() {
            parts.push(format!(
                "+{}",
                count(self.assumptions_added.len(), ("assumption", "assumptions"))
            ));
        }
        if self.runs_removed + self.runs_changed > 0 {
            parts.push("runs updated".to_string());
        }
        if self.review_changed {
            parts.push("review".to_string());
        }
        if self.title_changed {
            parts.push("renamed".to_string());
        }
        if self.description_changed {
            parts.push("description".to_string());
        }
        if self.agenda_changed {
            parts.push("agenda".to_string());
        }
        if self.schema_changed {
            parts.push(format!("schema {}", new.schema));
        }
        parts
    }
}

const PREFIX: &str = "threat model: ";

/// A title is never shortened below this, even if the message then runs a little long.
const MIN_TITLE_CHARS: usize = 24;

struct Diff<K> {
    added: Vec<K>,
    removed: Vec<K>,
    changed: Vec<K>,
}

/// Matches entries by key. Duplicate keys (invalid, but possible in a hand-edited file) are
/// compared as the group of entries sharing the key.
fn diff<T: PartialEq, K: Ord + Clone>(old: &[T], new: &[T], key: impl Fn(&T) -> &K) -> Diff<K> {
    let (old, new) = (group(old, &key), group(new, &key));
    let mut diff = Diff {
        added: Vec::new(),
        removed: Vec::new(),
        changed: Vec::new(),
    };
    for (id, entries) in &new {
        match old.get(id) {
            None => diff.added.push(id.clone()),
            Some(before) if before != entries => diff.changed.push(id.clone()),
            Some(_) => {}
        }
    }
    diff.removed = old
        .keys()
        .filter(|id| !new.contains_key(*id))
        .cloned()
        .collect();
    diff
}

fn group<'a, T, K: Ord + Clone>(items: &'a [T], key: impl Fn(&T) -> &K) -> BTreeMap<K, Vec<&'a T>> {
    let mut map: BTreeMap<K, Vec<&'a T>> = BTreeMap::new();
    for item in items {
        map.entry(key(item).clone()).or_default().push(item);
    }
    map
}

/// `(added, removed, changed)` for runs, which have no id: equal runs pair off, and of the
/// rest as many as possible count as edited in place.
fn diff_runs<T: PartialEq>(old: &[T], new: &[T]) -> (usize, usize, usize) {
    let mut unmatched_old: Vec<&T> = old.iter().collect();
    let mut unmatched_new = 0;
    for run in new {
        match unmatched_old.iter().position(|o| *o == run) {
            Some(i) => {
                unmatched_old.swap_remove(i);
            }
            None => unmatched_new += 1,
        }
    }
    let unmatched_old = unmatched_old.len();
    let changed = unmatched_old.min(unmatched_new);
    (unmatched_new - changed, unmatched_old - changed, changed)
}

fn touched<K>(added: &[K], removed: &[K], changed: &[K]) -> usize {
    added.len() + removed.len() + changed.len()
}

/// `"1 threat"`, `"3 threats"`.
fn count(n: usize, (one, many): (&str, &str)) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The added, removed and changed lines for one table.
fn table_lines<K: std::fmt::Display>(
    lines: &mut Vec<String>,
    noun: (&str, &str),
    [added, removed, changed]: [&Vec<K>; 3],
) {
    if !added.is_empty() {
        lines.push(format!(
            "+{} ({})",
            count(added.len(), noun),
            id_list(added)
        ));
    }
    if !removed.is_empty() {
        lines.push(format!(
            "-{} ({})",
            count(removed.len(), noun),
            id_list(removed)
        ));
    }
    if !changed.is_empty() {
        lines.push(format!(
            "~{} changed ({})",
            count(changed.len(), noun),
            id_list(changed)
        ));
    }
}

/// `"TH-004, TH-005"`, at most [`IDS_PER_LINE`] ids and then `"… 3 more"`. Ids come from the
/// file and are made safe to show.
fn id_list<K: std::fmt::Display>(ids: &[K]) -> String {
    let mut shown: Vec<String> = ids
        .iter()
        .take(IDS_PER_LINE)
        .map(|id| escape_control(&id.to_string()).into_owned())
        .collect();
    if ids.len() > IDS_PER_LINE {
        shown.push(format!("… {} more", ids.len() - IDS_PER_LINE));
    }
    shown.join(", ")
}

/// `" due 2026-12-15"` when every added mitigation is due that day, `" due from 2026-12-15"`
/// (the earliest) when their dates differ or some have none, `""` when none has a date.
fn due_suffix(added: &[MitigationId], mitigations: &[Mitigation]) -> String {
    let dues: Vec<Option<NaiveDate>> = added
        .iter()
        .flat_map(|id| mitigations.iter().filter(move |m| &m.id == id))
        .map(|m| m.due)
        .collect();
    let Some(earliest) = dues.iter().flatten().min() else {
        return String::new();
    };
    if dues.iter().all(|d| *d == Some(*earliest)) {
        format!(" due {earliest}")
    } else {
        format!(" due from {earliest}")
    }
}

/// The title with control and direction-changing characters removed (a line break or tab
/// becomes a space) and surrounding whitespace trimmed; `untitled` if nothing is left.
fn clean_title(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    for c in title.chars() {
        if matches!(c, '\n' | '\r' | '\t') {
            if !out.ends_with(char::is_whitespace) {
                out.push(' ');
            }
        } else if !is_unprintable(c) {
            out.push(c);
        }
    }
    let out = out.trim();
    if out.is_empty() {
        "untitled".to_string()
    } else {
        out.to_string()
    }
}

fn is_unprintable(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` cut to at most `max` characters, ending in `…` if it was cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::session::*;
    use crate::model::stride::StrideSet;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_else(|| panic!("bad test date {y}-{m}-{d}"))
    }

    fn threat(id: &str, target: &str) -> Threat {
        Threat {
            rule: None,
            id: id.into(),
            target: target.into(),
            title: format!("threat {id}"),
            stride: StrideSet::default(),
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

    fn mitigation(id: &str, threat: &str, due: Option<NaiveDate>) -> Mitigation {
        Mitigation {
            id: id.into(),
            threats: vec![threat.into()],
            action: format!("action {id}"),
            owner: "ana".into(),
            due,
            status: MitigationStatus::Planned,
            ticket: String::new(),
        }
    }

    fn component(id: &str) -> Component {
        Component {
            technology: None,
            not_applicable_reason: Default::default(),
            out_of_scope: Default::default(),
            dismissed: Default::default(),
            id: id.into(),
            name: id.to_uppercase(),
            kind: ComponentKind::Process,
            boundary: None,
            tags: Default::default(),
            assets: Vec::new(),
            not_applicable: StrideSet::default(),
            notes: Default::default(),
        }
    }

    fn flow(id: &str, from: &str, to: &str) -> Flow {
        Flow {
            not_applicable_reason: Default::default(),
            out_of_scope: Default::default(),
            dismissed: Default::default(),
            id: id.into(),
            from: from.into(),
            to: to.into(),
            label: id.into(),
            protocol: Default::default(),
            assets: Vec::new(),
            authenticated: Some(false),
            encrypted: Some(false),
            tags: Default::default(),
            not_applicable: StrideSet::default(),
            notes: Default::default(),
        }
    }

    fn run(date: NaiveDate, notes: &str) -> Run {
        Run {
            date,
            facilitator: "Ana".into(),
            attendees: Vec::new(),
            trigger: String::new(),
            minutes: None,
            baseline: String::new(),
            notes: notes.into(),
        }
    }

    /// A session as it stood after the first run.
    fn base() -> Session {
        let mut s = Session::new("Checkout service");
        s.runs.push(run(day(2026, 11, 20), "initial"));
        s.boundaries.push(Boundary {
            id: "dmz".into(),
            name: "DMZ".into(),
            parent: None,
            notes: String::new(),
        });
        s.assets.push(Asset {
            id: "card-data".into(),
            name: "Card data".into(),
            classification: Classification::Restricted,
            notes: String::new(),
        });
        s.components.extend([
            component("client"),
            component("api"),
            component("legacy-db"),
        ]);
        s.flows.push(flow("client-api", "client", "api"));
        s.threats.extend([
            threat("TH-001", "api"),
            threat("TH-002", "api"),
            threat("TH-003", "client-api"),
        ]);
        s.mitigations
            .push(mitigation("MI-001", "TH-001", Some(day(2026, 12, 1))));
        s.acceptances.push(Acceptance {
            threat: "TH-002".into(),
            justification: "internal only".into(),
            accepted_by: "CISO".into(),
            review_by: None,
        });
        s.assumptions.push(Assumption {
            id: "AS-001".into(),
            text: "TLS terminates at the edge".into(),
            owner: String::new(),
            validated: false,
        });
        s
    }

    fn ids<K: std::fmt::Display>(ids: &[K]) -> Vec<String> {
        ids.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn identical_sessions_have_no_changes() {
        let summary = ChangeSummary::between(&base(), &base());
        assert!(summary.is_empty());
        assert!(summary.lines().is_empty());
        assert_eq!(
            summary.commit_message(&base()),
            "threat model: Checkout service (update)"
        );
    }

    #[test]
    fn table_order_is_not_a_change() {
        let mut old = base();
        old.runs.push(run(day(2026, 11, 27), "follow-up"));
        old.flows.push(flow("api-db", "api", "legacy-db"));
        old.assumptions.push(Assumption {
            id: "AS-002".into(),
            text: "x".into(),
            owner: String::new(),
            validated: false,
        });
        // Every table with more than one entry reversed, and not sorted back: the reversed
        // order is what must not count as a change.
        let mut new = old.clone();
        new.runs.reverse();
        new.components.reverse();
        new.flows.reverse();
        new.threats.reverse();
        new.assumptions.reverse();
        assert_ne!(new, old, "the reversal reorders the tables");
        let summary = ChangeSummary::between(&old, &new);
        assert!(summary.is_empty(), "{:?}", summary.lines());
    }

    #[test]
    fn added_removed_and_changed_by_id() {
        let old = base();
        let mut new = base();
        new.threats.push(threat("TH-005", "api"));
        new.threats.push(threat("TH-004", "api"));
        new.threats.retain(|t| t.id.as_str() != "TH-002");
        new.threats[0].status = ThreatStatus::Resolved; // TH-001
        new.mitigations[0].status = MitigationStatus::Done;
        new.mitigations.push(mitigation("MI-002", "TH-004", None));
        new.components.retain(|c| c.id.as_str() != "legacy-db");
        new.components.push(component("worker"));
        new.flows[0].encrypted = Some(true);
        new.boundaries[0].name = "Edge".into();
        new.assets.clear();
        new.acceptances[0].review_by = Some(day(2027, 6, 1));
        new.assumptions[0].validated = true;
        new.assumptions.push(Assumption {
            id: "AS-002".into(),
            text: "x".into(),
            owner: String::new(),
            validated: false,
        });
        let s = ChangeSummary::between(&old, &new);
        assert_eq!(ids(&s.threats_added), ["TH-004", "TH-005"]);
        assert_eq!(ids(&s.threats_removed), ["TH-002"]);
        assert_eq!(ids(&s.threats_changed), ["TH-001"]);
        assert_eq!(ids(&s.mitigations_added), ["MI-002"]);
        assert!(s.mitigations_removed.is_empty());
        assert_eq!(ids(&s.mitigations_changed), ["MI-001"]);
        assert_eq!(ids(&s.components_added), ["worker"]);
        assert_eq!(ids(&s.components_removed), ["legacy-db"]);
        assert!(s.components_changed.is_empty());
        assert_eq!(ids(&s.flows_changed), ["client-api"]);
        assert!(s.flows_added.is_empty() && s.flows_removed.is_empty());
        assert_eq!(ids(&s.boundaries_changed), ["dmz"]);
        assert_eq!(ids(&s.assets_removed), ["card-data"]);
        assert_eq!(ids(&s.acceptances_changed), ["TH-002"]);
        assert_eq!(ids(&s.assumptions_added), ["AS-002"]);
        assert_eq!(ids(&s.assumptions_changed), ["AS-001"]);
        assert_eq!((s.runs_added, s.runs_removed, s.runs_changed), (0, 0, 0));
        assert!(!s.review_changed && !s.title_changed && !s.description_changed);
        assert!(!s.agenda_changed && !s.schema_changed);
        assert!(!s.is_empty());
    }

    #[test]
    fn session_level_fields() {
        let old = base();
        let mut new = base();
        new.title = "Checkout".into();
        new.description = "Payments path".into();
        new.agenda = Some([5, 10, 10, 5]);
        new.review.went_well = "kept to time".into();
        new.schema = 2;
        let s = ChangeSummary::between(&old, &new);
        assert!(s.title_changed && s.description_changed && s.agenda_changed);
        assert!(s.review_changed && s.schema_changed);
        assert_eq!(
            s.lines(),
            [
                "~review notes changed",
                "~title changed",
                "~description changed",
                "~agenda changed",
                "~schema version changed",
            ]
        );
        assert_eq!(
            s.commit_message(&new),
            "threat model: Checkout (review, renamed, description)"
        );
    }

    #[test]
    fn runs_without_ids() {
        let old = base();
        let mut new = base();
        new.runs
            .push(run(day(2027, 2, 1), "boundary change: new worker"));
        let s = ChangeSummary::between(&old, &new);
        assert_eq!((s.runs_added, s.runs_removed, s.runs_changed), (1, 0, 0));
        assert_eq!(s.lines(), ["+1 run"]);

        new.runs[0].notes = "initial, 30 minutes".into();
        let s = ChangeSummary::between(&old, &new);
        assert_eq!((s.runs_added, s.runs_removed, s.runs_changed), (1, 0, 1));
        assert_eq!(s.lines(), ["+1 run", "~1 run changed"]);

        let s = ChangeSummary::between(&new, &old);
        assert_eq!((s.runs_added, s.runs_removed, s.runs_changed), (0, 1, 1));
        assert_eq!(s.lines(), ["-1 run", "~1 run changed"]);
    }

    #[test]
    fn duplicate_ids_do_not_confuse_the_diff() {
        let old = base();
        let mut new = base();
        new.threats.push(threat("TH-001", "client"));
        let s = ChangeSummary::between(&old, &new);
        assert_eq!(ids(&s.threats_changed), ["TH-001"]);
        assert!(s.threats_added.is_empty());
        assert!(ChangeSummary::between(&new, &new).is_empty());
    }

    #[test]
    fn lines_for_the_commit_screen() {
        let old = base();
        let mut new = base();
        for id in ["TH-004", "TH-005", "TH-006"] {
            new.threats.push(threat(id, "api"));
        }
        new.flows[0].protocol = "https".into();
        new.components.retain(|c| c.id.as_str() != "legacy-db");
        new.mitigations.clear();
        new.acceptances.push(Acceptance {
            threat: "TH-003".into(),
            justification: "low value".into(),
            accepted_by: "PO".into(),
            review_by: None,
        });
        let s = ChangeSummary::between(&old, &new);
        assert_eq!(
            s.lines(),
            [
                "+3 threats (TH-004, TH-005, TH-006)",
                "-1 mitigation (MI-001)",
                "+1 acceptance (TH-003)",
                "-1 component (legacy-db)",
                "~1 flow changed (client-api)",
            ]
        );
    }

    #[test]
    fn long_id_lists_are_cut() {
        let old = Session::new("T");
        let mut new = Session::new("T");
        for n in 1..=10 {
            new.threats.push(threat(&format!("TH-{n:03}"), "api"));
        }
        new.components.push(component("evil\u{1b}[31m"));
        let lines = ChangeSummary::between(&old, &new).lines();
        assert_eq!(
            lines,
            [
                "+10 threats (TH-001, TH-002, TH-003, TH-004, TH-005, TH-006, … 4 more)",
                "+1 component (evil\\e[31m)",
            ]
        );
    }

    #[test]
    fn commit_message_names_threats_and_mitigations_with_their_due_date() {
        let old = base();
        let mut new = base();
        for id in ["TH-004", "TH-005", "TH-006"] {
            new.threats.push(threat(id, "api"));
        }
        let due = Some(day(2026, 12, 15));
        new.mitigations.push(mitigation("MI-002", "TH-004", due));
        new.mitigations.push(mitigation("MI-003", "TH-005", due));
        let s = ChangeSummary::between(&old, &new);
        assert_eq!(
            s.commit_message(&new),
            "threat model: Checkout service (+3 threats, 2 mitigations due 2026-12-15)"
        );
    }

    #[test]
    fn commit_message_due_from_the_earliest_when_dates_differ() {
        let old = base();
        let mut new = base();
        new.mitigations
            .push(mitigation("MI-002", "TH-001", Some(day(2027, 1, 10))));
        new.mitigations
            .push(mitigation("MI-003", "TH-001", Some(day(2026, 12, 15))));
        let s = ChangeSummary::between(&old, &new);
        assert_eq!(
            s.commit_message(&new),
            "threat model: Checkout service (2 mitigations due from 2026-12-15)"
        );
        // One without a date: the common date no longer covers all of them.
        new.mitigations[2].due = Some(day(2027, 1, 10));
        new.mitigations.push(mitigation("MI-004", "TH-001", None));
        let s = ChangeSummary::between(&old, &new);
        assert_eq!(
            s.commit_message(&new),
            "threat model: Checkout service (3 mitigations due from 2027-01-10)"
        );
        // None dated: no due part at all. The old MI-001 date does not count.
        let mut new = base();
        new.mitigations.push(mitigation("MI-002", "TH-001", None));
        let s = ChangeSummary::between(&old, &new);
        assert_eq!(
            s.commit_message(&new),
            "threat model: Checkout service (1 mitigation)"
        );
    }

    #[test]
    fn commit_message_order_and_at_most_three_parts() {
        let old = base();
        let mut new = base();
        new.threats.push(threat("TH-004", "worker"));
        new.acceptances.push(Acceptance {
            threat: "TH-003".into(),
            justification: "low value".into(),
            accepted_by: "PO".into(),
            review_by: None,
        });
        new.components.push(component("worker"));
        new.components.push(component("queue"));
        new.flows.push(flow("api-queue", "api", "queue"));
        new.runs.push(run(day(2027, 2, 1), "re-run"));
        let s = ChangeSummary::between(&old, &new);
        assert_eq!(
            s.commit_message(&new),
            "threat model: Checkout service (+1 threat, 1 acceptance, 2 components, 1 flow changed)"
        );

        let mut new = base();
        new.components.push(component("worker"));
        new.flows[0].encrypted = Some(true);
        new.boundaries.clear();
        new.runs.push(run(day(2027, 2, 1), "re-run"));
        new.threats[0].status = ThreatStatus::Resolved;
        let s = ChangeSummary::between(&old, &new);
        assert_eq!(
            s.commit_message(&new),
            "threat model: Checkout service (1 component, 1 flow, 1 boundary changed, new run, \
             1 threat updated)"
        );
    }

    #[test]
    fn commit_message_for_status_updates_only() {
        let old = base();
        let mut new = base();
        new.mitigations[0].status = MitigationStatus::Done;
        let s = ChangeSummary::between(&old, &new);
        assert_eq!(
            s.commit_message(&new),
            "threat model: Checkout service (1 mitigation updated)"
        );
    }

    #[test]
    fn commit_message_title_is_cleaned() {
        let old = Session::new("x");
        let mut new = Session::new("  Checkout\u{1b}[2J\nservice\u{202e} \u{7}  ");
        new.threats.push(threat("TH-001", "api"));
        let s = ChangeSummary::between(&old, &new);
        assert_eq!(
            s.commit_message(&new),
            "threat model: Checkout[2J service (+1 threat, renamed)"
        );
        new.title = " \u{1b}\t ".into();
        assert_eq!(
            s.commit_message(&new),
            "threat model: untitled (+1 threat, renamed)"
        );
    }

    #[test]
    fn commit_message_stays_short() {
        let old = base();
        let mut new = base();
        new.title =
            "Das Bezahlsystem für den Online-Shop einschließlich Lieferanten-Schnittstellen \
                     und Betrugserkennung"
                .into();
        for id in ["TH-004", "TH-005", "TH-006"] {
            new.threats.push(threat(id, "api"));
        }
        new.mitigations
            .push(mitigation("MI-002", "TH-004", Some(day(2026, 12, 15))));
        let s = ChangeSummary::between(&old, &new);
        let message = s.commit_message(&new);
        assert!(message.chars().count() <= MAX_MESSAGE_CHARS, "{message}");
        assert_eq!(
            message,
            "threat model: Das Bezahlsystem für den Online-Sh… (+3 threats, 1 mitigation due \
             2026-12-15, renamed)"
        );

        // A third short part still fits next to a shortened title.
        let mut with_acceptance = new.clone();
        with_acceptance.acceptances.push(Acceptance {
            threat: "TH-005".into(),
            justification: "j".into(),
            accepted_by: "PO".into(),
            review_by: None,
        });
        let s = ChangeSummary::between(&old, &with_acceptance);
        assert_eq!(
            s.commit_message(&with_acceptance),
            "threat model: Das Bezahlsystem für den Onli… (+3 threats, 1 mitigation due \
             2026-12-15, 1 acceptance)"
        );

        // A long third part goes rather than leave the title unreadably short.
        new.components.push(component("worker"));
        new.flows.push(flow("api-worker", "api", "worker"));
        new.assets.push(Asset {
            id: "pii".into(),
            name: "PII".into(),
            classification: Classification::Confidential,
            notes: String::new(),
        });
        let s = ChangeSummary::between(&old, &new);
        let message = s.commit_message(&new);
        assert!(message.chars().count() <= MAX_MESSAGE_CHARS, "{message}");
        assert_eq!(
            message,
            "threat model: Das Bezahlsystem für den Online-Shop einsch… (+3 threats, \
             1 mitigation due 2026-12-15)"
        );
    }

    #[test]
    fn shorten_counts_characters() {
        assert_eq!(shorten("abcdef", 6), "abcdef");
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("ab def", 4), "ab…");
        assert_eq!(shorten("äöüßäöü", 4), "äöü…");
    }
}
