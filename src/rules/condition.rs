//! The condition language of rules: a table of element properties, all of which must hold; a
//! list of words means any of them. Small on purpose: a reader sees at once when a rule fires.

use super::facts::Facts;
use crate::model::{Classification, ElementKind, ProtocolFamily, Technology};

/// Any of these words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words<T>(pub Vec<T>);

impl<T: PartialEq> Words<T> {
    fn has(&self, value: &T) -> bool {
        self.0.contains(value)
    }
}

/// How a flow meets trust boundaries, seen from its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Crossing {
    /// Both ends in the same zone.
    None,
    /// Into a more trusted zone: from the internet into the DMZ, from the DMZ into the core.
    Inward,
    /// Out to a less trusted zone.
    Outward,
    /// Between zones of the same trust (two sibling networks).
    Lateral,
}

impl Crossing {
    /// The words a rule may use; `any` means inward, outward or lateral.
    pub const WORDS: &'static [&'static str] = &["none", "inward", "outward", "lateral", "any"];

    pub fn as_str(self) -> &'static str {
        match self {
            Crossing::None => "none",
            Crossing::Inward => "inward",
            Crossing::Outward => "outward",
            Crossing::Lateral => "lateral",
        }
    }

    pub(super) fn parse_word(word: &str) -> Option<Vec<Crossing>> {
        Some(match word.trim().to_ascii_lowercase().as_str() {
            "none" => vec![Crossing::None],
            "inward" => vec![Crossing::Inward],
            "outward" => vec![Crossing::Outward],
            "lateral" => vec![Crossing::Lateral],
            "any" => vec![Crossing::Inward, Crossing::Outward, Crossing::Lateral],
            _ => return None,
        })
    }
}

/// A rule's `when` or `unless`: every property given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Condition {
    pub kind: Option<Words<ElementKind>>,
    pub technology: Option<Words<Technology>>,
    pub from_kind: Option<Words<ElementKind>>,
    pub to_kind: Option<Words<ElementKind>>,
    pub from_technology: Option<Words<Technology>>,
    pub to_technology: Option<Words<Technology>>,
    pub protocol: Option<Words<ProtocolFamily>>,
    pub authenticated: Option<bool>,
    pub encrypted: Option<bool>,
    pub crossing: Option<Words<Crossing>>,
    pub from_internet: Option<bool>,
    pub internet_facing: Option<bool>,
    /// The element touches data at least this sensitive.
    pub data: Option<Classification>,
    /// Any of these tags (lowercase).
    pub tags: Option<Words<String>>,
    pub sends: Option<Words<ProtocolFamily>>,
    pub receives: Option<Words<ProtocolFamily>>,
    pub sends_to: Option<Words<Technology>>,
    pub receives_from: Option<Words<Technology>>,
}

fn any_of<T: PartialEq>(words: &Option<Words<T>>, value: Option<T>) -> bool {
    match words {
        None => true,
        Some(w) => value.is_some_and(|v| w.has(&v)),
    }
}

fn any_in<T: PartialEq + Copy>(words: &Option<Words<T>>, values: &[T]) -> bool {
    match words {
        None => true,
        Some(w) => values.iter().any(|v| w.has(v)),
    }
}

fn same(expected: Option<bool>, actual: Option<bool>) -> bool {
    expected.is_none_or(|e| actual == Some(e))
}

/// A flow's protection: "false" holds for a flow not known to have it (unknown may well be no,
/// so the threat is worth suggesting); "true" holds only when the file says so.
fn protection(expected: Option<bool>, actual: Option<bool>, is_flow: bool) -> bool {
    match expected {
        None => true,
        Some(true) => actual == Some(true),
        Some(false) => is_flow && actual != Some(true),
    }
}

impl Condition {
    /// Whether every property given holds for the element.
    pub fn holds(&self, f: &Facts<'_>) -> bool {
        any_of(&self.kind, Some(f.kind))
            && any_of(&self.technology, f.technology)
            && any_of(&self.from_kind, f.from.map(|e| e.kind))
            && any_of(&self.to_kind, f.to.map(|e| e.kind))
            && any_of(&self.from_technology, f.from.and_then(|e| e.technology))
            && any_of(&self.to_technology, f.to.and_then(|e| e.technology))
            && any_of(&self.protocol, f.protocol)
            && protection(
                self.authenticated,
                f.authenticated,
                f.kind == ElementKind::Flow,
            )
            && protection(self.encrypted, f.encrypted, f.kind == ElementKind::Flow)
            && any_of(&self.crossing, f.crossing)
            && same(self.from_internet, Some(f.from_internet))
            && same(self.internet_facing, Some(f.internet_facing))
            && self
                .data
                .is_none_or(|min| f.data.is_some_and(|(level, _)| level >= min))
            && self.tags.as_ref().is_none_or(|w| {
                f.tags
                    .iter()
                    .any(|t| w.0.iter().any(|x| x.eq_ignore_ascii_case(t)))
            })
            && any_in(&self.sends, &f.sends)
            && any_in(&self.receives, &f.receives)
            && any_in(&self.sends_to, &f.sends_to)
            && any_in(&self.receives_from, &f.receives_from)
    }

    /// Whether the technologies this condition names (its own, and its ends' for a flow) are
    /// met: a part of [`Condition::holds`], which an element that fails it cannot pass.
    pub fn technology_fits(
        &self,
        technology: Option<Technology>,
        from: Option<Technology>,
        to: Option<Technology>,
    ) -> bool {
        any_of(&self.technology, technology)
            && any_of(&self.from_technology, from)
            && any_of(&self.to_technology, to)
    }

    /// The names of the properties this condition reads, in a fixed order.
    pub fn keys(&self) -> Vec<&'static str> {
        let mut keys = Vec::new();
        let mut add = |present: bool, key: &'static str| {
            if present {
                keys.push(key);
            }
        };
        add(self.kind.is_some(), "kind");
        add(self.technology.is_some(), "technology");
        add(self.from_kind.is_some(), "from_kind");
        add(self.to_kind.is_some(), "to_kind");
        add(self.from_technology.is_some(), "from_technology");
        add(self.to_technology.is_some(), "to_technology");
        add(self.protocol.is_some(), "protocol");
        add(self.authenticated.is_some(), "authenticated");
        add(self.encrypted.is_some(), "encrypted");
        add(self.crossing.is_some(), "crossing");
        add(self.from_internet.is_some(), "from_internet");
        add(self.internet_facing.is_some(), "internet_facing");
        add(self.data.is_some(), "data");
        add(self.tags.is_some(), "tags");
        add(self.sends.is_some(), "sends");
        add(self.receives.is_some(), "receives");
        add(self.sends_to.is_some(), "sends_to");
        add(self.receives_from.is_some(), "receives_from");
        keys
    }

    /// For list-valued facts (tags, sends...), the words the condition names, so a fact is
    /// recorded only as far as the rule cares about it.
    pub(super) fn words_for(&self, key: &str) -> Vec<String> {
        fn strs<T: std::fmt::Display>(w: &Option<Words<T>>) -> Vec<String> {
            w.as_ref()
                .map(|w| w.0.iter().map(|v| v.to_string()).collect())
                .unwrap_or_default()
        }
        match key {
            "tags" => strs(&self.tags),
            "sends" => strs(&self.sends),
            "receives" => strs(&self.receives),
            "sends_to" => strs(&self.sends_to),
            "receives_from" => strs(&self.receives_from),
            _ => Vec::new(),
        }
    }
}
