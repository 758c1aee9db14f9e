//! STRIDE categories and sets of them, written in files as a string of letters (`"STI"`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// One STRIDE category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stride {
    Spoofing,
    Tampering,
    Repudiation,
    InformationDisclosure,
    DenialOfService,
    ElevationOfPrivilege,
}

impl Stride {
    /// All six, in the order of the acronym.
    pub const ALL: [Stride; 6] = [
        Stride::Spoofing,
        Stride::Tampering,
        Stride::Repudiation,
        Stride::InformationDisclosure,
        Stride::DenialOfService,
        Stride::ElevationOfPrivilege,
    ];

    pub fn letter(self) -> char {
        match self {
            Stride::Spoofing => 'S',
            Stride::Tampering => 'T',
            Stride::Repudiation => 'R',
            Stride::InformationDisclosure => 'I',
            Stride::DenialOfService => 'D',
            Stride::ElevationOfPrivilege => 'E',
        }
    }

    /// Accepts either case, since people type these by hand.
    pub fn from_letter(c: char) -> Option<Stride> {
        Stride::ALL
            .into_iter()
            .find(|s| s.letter() == c.to_ascii_uppercase())
    }

    pub fn name(self) -> &'static str {
        match self {
            Stride::Spoofing => "Spoofing",
            Stride::Tampering => "Tampering",
            Stride::Repudiation => "Repudiation",
            Stride::InformationDisclosure => "Information disclosure",
            Stride::DenialOfService => "Denial of service",
            Stride::ElevationOfPrivilege => "Elevation of privilege",
        }
    }

    /// The security property a threat of this category violates.
    pub fn property(self) -> &'static str {
        match self {
            Stride::Spoofing => "authentication",
            Stride::Tampering => "integrity",
            Stride::Repudiation => "non-repudiation",
            Stride::InformationDisclosure => "confidentiality",
            Stride::DenialOfService => "availability",
            Stride::ElevationOfPrivilege => "authorization",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Stride {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.letter())
    }
}

/// A set of STRIDE categories.
///
/// Letters that are not STRIDE letters are kept (in `unknown`) instead of failing the parse, so
/// that validation can report them together with every other problem in the file. They are
/// rare, so they are boxed: a set is 16 bytes instead of 32, and a large model holds tens of
/// thousands (every component, flow and threat, three per element in its coverage).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct StrideSet {
    bits: u8,
    /// `None` when there are none (never an empty string, so that equal sets compare equal).
    #[expect(
        clippy::box_collection,
        reason = "a thin pointer: 8 bytes, where a String is 24 and a Box<str> 16"
    )]
    unknown: Option<Box<String>>,
}

impl StrideSet {
    pub const fn empty() -> Self {
        StrideSet {
            bits: 0,
            unknown: None,
        }
    }

    pub fn all() -> Self {
        Stride::ALL.into_iter().collect()
    }

    /// Parses letters; whitespace and commas are ignored, duplicates collapse, anything else is
    /// kept as unknown.
    pub fn parse(text: &str) -> Self {
        let mut set = StrideSet::empty();
        for c in text.chars() {
            if c.is_whitespace() || c == ',' {
                continue;
            }
            match Stride::from_letter(c) {
                Some(s) => set.insert(s),
                None => set.add_unknown(c),
            }
        }
        set
    }

    fn add_unknown(&mut self, c: char) {
        let unknown = self.unknown.get_or_insert_default();
        if !unknown.contains(c) {
            unknown.push(c);
        }
    }

    pub fn insert(&mut self, s: Stride) {
        self.bits |= s.bit();
    }

    pub fn remove(&mut self, s: Stride) {
        self.bits &= !s.bit();
    }

    pub fn toggle(&mut self, s: Stride) {
        self.bits ^= s.bit();
    }

    pub fn contains(&self, s: Stride) -> bool {
        self.bits & s.bit() != 0
    }

    pub fn is_empty(&self) -> bool {
        self.bits == 0 && self.unknown.is_none()
    }

    pub fn len(&self) -> usize {
        self.bits.count_ones() as usize
    }

    pub fn iter(&self) -> impl Iterator<Item = Stride> + '_ {
        Stride::ALL.into_iter().filter(|s| self.contains(*s))
    }

    /// Characters in the file that are not STRIDE letters.
    pub fn unknown(&self) -> &str {
        self.unknown.as_deref().map_or("", String::as_str)
    }

    pub fn union(&self, other: &StrideSet) -> StrideSet {
        let mut set = StrideSet {
            bits: self.bits | other.bits,
            unknown: self.unknown.clone(),
        };
        for c in other.unknown().chars() {
            set.add_unknown(c);
        }
        set
    }

    pub fn intersection(&self, other: &StrideSet) -> StrideSet {
        StrideSet {
            bits: self.bits & other.bits,
            unknown: None,
        }
    }

    pub fn difference(&self, other: &StrideSet) -> StrideSet {
        StrideSet {
            bits: self.bits & !other.bits,
            unknown: None,
        }
    }
}

impl FromIterator<Stride> for StrideSet {
    fn from_iter<I: IntoIterator<Item = Stride>>(iter: I) -> Self {
        let mut set = StrideSet::empty();
        for s in iter {
            set.insert(s);
        }
        set
    }
}

/// Canonical form: known letters in acronym order, then unknown characters as found.
impl fmt::Display for StrideSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in self.iter() {
            write!(f, "{}", s.letter())?;
        }
        f.write_str(self.unknown())
    }
}

impl Serialize for StrideSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for StrideSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(StrideSet::parse(&text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_is_canonical_and_case_insensitive() {
        let set = StrideSet::parse("ti s");
        assert_eq!(set.to_string(), "STI");
        assert!(set.contains(Stride::Tampering));
        assert!(!set.contains(Stride::Repudiation));
        assert_eq!(set.len(), 3);
    }

    #[test]
    fn a_set_is_small_and_equal_sets_compare_equal() {
        assert_eq!(std::mem::size_of::<StrideSet>(), 16);
        let st = StrideSet::parse("S").union(&StrideSet::parse("T"));
        assert_eq!(st, StrideSet::parse("ST"));
        assert_eq!(st.unknown(), "");
        let odd = StrideSet::parse("SX").union(&StrideSet::parse("TXQ"));
        assert_eq!(odd, StrideSet::parse("STXQ"));
        assert_eq!(odd.to_string(), "STXQ");
        assert!(
            !StrideSet::parse("X").is_empty(),
            "an unknown letter is kept"
        );
        assert_eq!(
            odd.intersection(&StrideSet::all()),
            StrideSet::parse("ST"),
            "only letters are kept by an intersection"
        );
    }

    #[test]
    fn unknown_letters_are_kept_for_validation() {
        let set = StrideSet::parse("SXQX");
        assert_eq!(set.unknown(), "XQ");
        assert_eq!(set.to_string(), "SXQ");
    }

    #[test]
    fn set_operations() {
        let a = StrideSet::parse("STR");
        let b = StrideSet::parse("RID");
        assert_eq!(a.union(&b).to_string(), "STRID");
        assert_eq!(a.intersection(&b).to_string(), "R");
        assert_eq!(a.difference(&b).to_string(), "ST");
        assert_eq!(StrideSet::all().to_string(), "STRIDE");
    }
}
