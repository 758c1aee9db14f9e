//! The facilitator's inbox: the ideas attendees sent, what became of each, and which of them
//! say the same thing. Pure data: the app decides, this records.
//!
//! Near-duplicates (grouped so the facilitator decides on them together) are ideas on the
//! SAME element that either
//! - name a library ref in common (exactly the same `<library>:<entry>` text), or
//! - say much the same: their statements' word sets (lowercased, split on anything that is
//!   not a letter or digit, a few filler words dropped) have a Jaccard similarity of at least
//!   [`SIMILAR`], or every word of the shorter statement (at least [`CONTAINED_MIN_WORDS`]
//!   words) is in the longer one.
//!
//! Grouping is transitive (single link): if A is like B and B like C, all three are one group,
//! shown in the order they arrived.

use super::protocol::{IdeaDraft, IdeaId, IdeaStatus};
use std::collections::{BTreeSet, HashMap};

/// The Jaccard similarity of two statements' words at and above which they are near-duplicates.
pub const SIMILAR: f64 = 0.6;

/// The fewest words a statement needs for "all its words are in the other" to count: "token"
/// alone is in too many statements to mean the same threat.
pub const CONTAINED_MIN_WORDS: usize = 3;

/// Words too common to say what a threat is.
const FILLER: &[&str] = &[
    "a", "an", "the", "of", "to", "and", "or", "in", "on", "for", "by", "with", "via", "can",
    "could", "may", "might", "is", "are", "be", "it", "its", "their", "from", "into", "at",
];

/// An idea as the inbox holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxIdea {
    pub id: IdeaId,
    pub author: String,
    pub draft: IdeaDraft,
    pub status: IdeaStatus,
    /// 0 for the first idea received, then 1, 2, ...
    pub received: u64,
}

impl InboxIdea {
    pub fn is_pending(&self) -> bool {
        self.status == IdeaStatus::Pending
    }
}

#[derive(Debug, Clone, Default)]
pub struct Inbox {
    ideas: Vec<InboxIdea>,
    received: u64,
}

impl Inbox {
    pub fn new() -> Self {
        Inbox::default()
    }

    /// Takes a new idea, pending. An id already held is ignored (`false`): the host numbers
    /// ideas once, so a repeat is never a second idea.
    pub fn receive(&mut self, id: IdeaId, author: &str, draft: IdeaDraft) -> bool {
        if self.get(id).is_some() {
            return false;
        }
        self.ideas.push(InboxIdea {
            id,
            author: author.to_string(),
            draft,
            status: IdeaStatus::Pending,
            received: self.received,
        });
        self.received += 1;
        true
    }

    pub fn get(&self, id: IdeaId) -> Option<&InboxIdea> {
        self.ideas.iter().find(|i| i.id == id)
    }

    /// Records a decision on idea `id` (or takes one back with `Pending`); `false` when there
    /// is no such idea.
    pub fn set_status(&mut self, id: IdeaId, status: IdeaStatus) -> bool {
        match self.ideas.iter_mut().find(|i| i.id == id) {
            Some(idea) => {
                idea.status = status;
                true
            }
            None => false,
        }
    }

    /// Every idea, in the order received.
    pub fn all(&self) -> &[InboxIdea] {
        &self.ideas
    }

    pub fn pending(&self) -> impl Iterator<Item = &InboxIdea> {
        self.ideas.iter().filter(|i| i.is_pending())
    }

    /// Pending ideas per element id.
    pub fn pending_counts(&self) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        for idea in self.pending() {
            *counts.entry(idea.draft.element.clone()).or_insert(0) += 1;
        }
        counts
    }

    /// The pending ideas on `element`, near-duplicates together: groups in the order their
    /// first idea arrived, each group's ideas in the order they arrived.
    pub fn groups_for(&self, element: &str) -> Vec<Vec<&InboxIdea>> {
        let ideas: Vec<&InboxIdea> = self
            .pending()
            .filter(|i| i.draft.element == element)
            .collect();
        group(&ideas)
    }

    /// The pending ideas whose element `exists` says is gone from the model: kept, so that
    /// nothing an attendee sent is lost, in the order they arrived.
    pub fn pending_elsewhere(&self, exists: impl Fn(&str) -> bool) -> Vec<&InboxIdea> {
        self.pending()
            .filter(|i| !exists(&i.draft.element))
            .collect()
    }
}

/// Groups `ideas` (all on one element, in arrival order) by [`near_duplicates`], transitively.
fn group<'a>(ideas: &[&'a InboxIdea]) -> Vec<Vec<&'a InboxIdea>> {
    // Each idea's group is the group of the first earlier idea it is like; joining two groups
    // keeps the earlier one's number, so groups stay in arrival order.
    let mut group_of: Vec<usize> = (0..ideas.len()).collect();
    for (i, a) in ideas.iter().enumerate() {
        for (j, b) in ideas.iter().enumerate().take(i) {
            if near_duplicates(&a.draft, &b.draft) {
                let (from, to) = (group_of[i].max(group_of[j]), group_of[i].min(group_of[j]));
                for g in group_of.iter_mut() {
                    if *g == from {
                        *g = to;
                    }
                }
            }
        }
    }
    let mut groups: Vec<(usize, Vec<&InboxIdea>)> = Vec::new();
    for (idea, g) in ideas.iter().zip(&group_of) {
        match groups.iter_mut().find(|(n, _)| n == g) {
            Some((_, members)) => members.push(idea),
            None => groups.push((*g, vec![idea])),
        }
    }
    groups.into_iter().map(|(_, members)| members).collect()
}

/// Whether two ideas say the same thing (see the module's rule).
pub fn near_duplicates(a: &IdeaDraft, b: &IdeaDraft) -> bool {
    if a.element != b.element {
        return false;
    }
    if a.refs.iter().any(|r| b.refs.contains(r)) {
        return true;
    }
    similar_statements(&a.statement, &b.statement)
}

/// The statements' words are mostly the same, or one's are all in the other's.
pub fn similar_statements(a: &str, b: &str) -> bool {
    let (a, b) = (words(a), words(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let shared = a.intersection(&b).count();
    let union = a.union(&b).count();
    let (shorter, longer) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    let contained = shorter.len() >= CONTAINED_MIN_WORDS && shorter.is_subset(longer);
    contained || shared as f64 / union as f64 >= SIMILAR
}

/// A statement's words as compared: lowercase, filler dropped.
fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| !FILLER.contains(&w.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(element: &str, statement: &str, refs: &[&str]) -> IdeaDraft {
        IdeaDraft {
            element: element.to_string(),
            statement: statement.to_string(),
            stride: Default::default(),
            refs: refs.iter().map(|r| r.to_string()).collect(),
            likelihood: None,
            impact: None,
        }
    }

    fn ids(groups: &[Vec<&InboxIdea>]) -> Vec<Vec<IdeaId>> {
        groups
            .iter()
            .map(|g| g.iter().map(|i| i.id).collect())
            .collect()
    }

    #[test]
    fn a_shared_library_ref_groups_different_wording() {
        let a = draft("F1", "Token stolen from local storage", &["capec:CAPEC-60"]);
        let b = draft(
            "F1",
            "Replay of the session",
            &["capec:CAPEC-60", "attack:T1078"],
        );
        assert!(near_duplicates(&a, &b));
    }

    #[test]
    fn similar_statements_group_and_filler_words_do_not_count() {
        let a = draft("F1", "An attacker replays the session token", &[]);
        let b = draft("F1", "attacker replays session token!", &[]);
        assert!(near_duplicates(&a, &b));
        // 3 of 5 words shared: exactly 0.6.
        assert!(similar_statements(
            "attacker steals session cookie",
            "attacker steals session token"
        ));
    }

    #[test]
    fn a_statement_contained_in_a_longer_one_groups() {
        assert!(similar_statements(
            "SQL injection login",
            "SQL injection in the login form lets anyone read every order"
        ));
    }

    #[test]
    fn what_must_not_group() {
        // Same words, other element.
        let a = draft(
            "F1",
            "attacker replays the session token",
            &["capec:CAPEC-60"],
        );
        let b = draft(
            "F2",
            "attacker replays the session token",
            &["capec:CAPEC-60"],
        );
        assert!(!near_duplicates(&a, &b));
        // Same element, different threats that share a word or two.
        assert!(!similar_statements(
            "session token replayed",
            "flood the login endpoint with session requests"
        ));
        // A short statement inside a longer one is not enough under three words.
        assert!(!similar_statements(
            "token",
            "token signing key leaked in logs"
        ));
        // Only filler or nothing to compare.
        assert!(!similar_statements("", "the"));
        assert!(!similar_statements("of the", "of the"));
        // Different refs, different words.
        let c = draft("F1", "denial of service", &["capec:CAPEC-125"]);
        let d = draft("F1", "spoofed sender address", &["capec:CAPEC-151"]);
        assert!(!near_duplicates(&c, &d));
    }

    #[test]
    fn groups_are_transitive_and_in_arrival_order() {
        let mut inbox = Inbox::new();
        inbox.receive(10, "ana", draft("F1", "flood the login endpoint", &[]));
        inbox.receive(
            11,
            "bo",
            draft("F1", "replay session token", &["capec:CAPEC-60"]),
        );
        inbox.receive(
            12,
            "cy",
            draft("F2", "replay session token", &["capec:CAPEC-60"]),
        );
        // Like 11 by ref; 14 is like 13 by words only, so it joins 11's group through 13.
        inbox.receive(
            13,
            "di",
            draft("F1", "token reuse after logout", &["capec:CAPEC-60"]),
        );
        inbox.receive(14, "ed", draft("F1", "token reuse after the logout", &[]));
        inbox.receive(15, "fa", draft("F1", "flood login endpoint again", &[]));
        assert_eq!(
            ids(&inbox.groups_for("F1")),
            vec![vec![10, 15], vec![11, 13, 14]]
        );
        assert_eq!(ids(&inbox.groups_for("F2")), vec![vec![12]]);
        assert!(inbox.groups_for("F9").is_empty());
    }

    #[test]
    fn decided_ideas_leave_the_groups_and_the_counts_and_pending_brings_them_back() {
        let mut inbox = Inbox::new();
        assert!(inbox.receive(1, "ana", draft("F1", "one", &[])));
        assert!(inbox.receive(2, "bo", draft("F1", "two", &[])));
        assert!(inbox.receive(3, "bo", draft("C1", "three", &[])));
        assert!(
            !inbox.receive(2, "eve", draft("F1", "again", &[])),
            "ids are taken once"
        );
        assert_eq!(inbox.all().len(), 3);
        assert_eq!(inbox.pending_counts().get("F1"), Some(&2));
        assert!(inbox.set_status(1, IdeaStatus::Dismissed));
        assert!(inbox.set_status(
            2,
            IdeaStatus::Accepted {
                threat: "TH-1".into()
            }
        ));
        assert!(!inbox.set_status(99, IdeaStatus::Dismissed));
        assert_eq!(inbox.pending_counts().get("F1"), None);
        assert!(inbox.groups_for("F1").is_empty());
        assert!(inbox.set_status(2, IdeaStatus::Pending));
        assert_eq!(ids(&inbox.groups_for("F1")), vec![vec![2]]);
        assert_eq!(inbox.get(3).map(|i| i.received), Some(2));
    }

    #[test]
    fn ideas_on_elements_no_longer_in_the_model_are_kept() {
        let mut inbox = Inbox::new();
        inbox.receive(1, "ana", draft("F1", "one", &[]));
        inbox.receive(2, "bo", draft("GONE", "two", &[]));
        let elsewhere: Vec<IdeaId> = inbox
            .pending_elsewhere(|e| e == "F1")
            .iter()
            .map(|i| i.id)
            .collect();
        assert_eq!(elsewhere, vec![2]);
    }
}
