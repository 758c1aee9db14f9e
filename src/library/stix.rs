//! Importer for MITRE's STIX 2.0 / 2.1 bundles: ATT&CK (Enterprise, ICS, Mobile; any release)
//! and CAPEC, into a threatboard library.
//!
//! What is taken from MITRE is fact: ids, names, tactics, platforms, parent links, mitigation
//! links, CWE and ATT&CK cross-references, URLs, the version and the copyright line. MITRE's
//! descriptions are never copied: the one-line summary is generated here from those facts, and
//! the STRIDE categories and element kinds come from the documented tables below
//! ([`TACTICS`], [`PLATFORMS`], [`CAPEC_CONSEQUENCES`], [`CAPEC_DOMAINS`], [`NAME_KEYWORDS`]),
//! which are also written into the header of every generated file.
//!
//! The bundle is read into memory once and parsed with serde in one pass: each object is read
//! with its strings borrowed from the input, and only the object types and fields the importers
//! use are kept (everything else is checked for shape and dropped), which keeps the 50 MB
//! Enterprise bundle well under a second and memory close to the size of the input.

use super::Library;
use super::format::{Entry, LibraryData, LibraryInfo, MitigationInfo, natural_cmp};
use crate::model::text::escape_control;
use crate::model::{ElementKind, Stride, StrideSet};
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;

use ElementKind::{DataStore, ExternalEntity, Flow};

/// ATT&CK tactic short name -> STRIDE letters and the element kinds (besides `process`, which
/// every technique applies to) it involves, with the reason. Tactics not listed here are kept in
/// an entry's `tactics`, add no letter, and are reported as a warning, so a release that adds
/// or splits tactics still imports.
pub const TACTICS: &[(&str, &str, &[ElementKind], &str)] = &[
    (
        "reconnaissance",
        "I",
        &[ExternalEntity],
        "learning about the target discloses it; done from outside",
    ),
    (
        "resource-development",
        "S",
        &[ExternalEntity],
        "accounts, domains and certificates set up to pass as someone trusted",
    ),
    (
        "initial-access",
        "SE",
        &[ExternalEntity],
        "getting in from outside, as a user or through a trusted party",
    ),
    (
        "execution",
        "TE",
        &[],
        "the adversary's code changes what a process does, with its privileges",
    ),
    (
        "persistence",
        "TE",
        &[],
        "the system is modified to keep the adversary's access",
    ),
    (
        "privilege-escalation",
        "E",
        &[],
        "higher permissions than granted",
    ),
    (
        "defense-evasion",
        "TR",
        &[],
        "defences are tampered with and traces hidden, so actions cannot be traced",
    ),
    ("evasion", "TR", &[], "ATT&CK for ICS: as defense-evasion"),
    (
        "credential-access",
        "SI",
        &[DataStore, Flow],
        "secrets are disclosed, read from stores or caught on the wire, then used to pose as their owner",
    ),
    (
        "discovery",
        "I",
        &[],
        "learning about the environment from inside discloses it",
    ),
    (
        "lateral-movement",
        "SE",
        &[Flow],
        "moving between systems with stolen identities over remote services",
    ),
    (
        "collection",
        "I",
        &[DataStore, Flow],
        "gathering data of interest from stores and traffic",
    ),
    (
        "command-and-control",
        "TI",
        &[Flow],
        "an outside party steers a compromised system over a covert channel",
    ),
    ("exfiltration", "I", &[Flow], "data leaves over a flow"),
    (
        "impact",
        "TD",
        &[DataStore],
        "data is destroyed, encrypted or manipulated, and service denied",
    ),
    (
        "inhibit-response-function",
        "TD",
        &[],
        "ATT&CK for ICS: safety and protection functions are stopped from responding",
    ),
    (
        "impair-process-control",
        "TD",
        &[Flow],
        "ATT&CK for ICS: control logic, parameters and messages are manipulated",
    ),
    (
        "network-effects",
        "TID",
        &[Flow],
        "ATT&CK Mobile (older releases): the device's traffic is intercepted, altered or blocked",
    ),
];

/// ATT&CK platform (ignoring case) -> element kinds it suggests besides `process`.
pub const PLATFORMS: &[(&str, &[ElementKind], &str)] = &[
    (
        "PRE",
        &[ExternalEntity],
        "before compromise: happens outside the system",
    ),
    (
        "SaaS",
        &[ExternalEntity],
        "third-party services are external entities in a data-flow diagram",
    ),
    ("Office Suite", &[ExternalEntity], "as SaaS"),
    ("Office 365", &[ExternalEntity], "as SaaS (older releases)"),
    (
        "Google Workspace",
        &[ExternalEntity],
        "as SaaS (older releases)",
    ),
    (
        "Identity Provider",
        &[ExternalEntity],
        "an outside party the system trusts to authenticate",
    ),
    (
        "Azure AD",
        &[ExternalEntity],
        "as Identity Provider (older releases)",
    ),
    (
        "Network Devices",
        &[Flow],
        "network devices carry the flows",
    ),
    ("Network", &[Flow], "as Network Devices (older releases)"),
];

/// CAPEC consequence scope (the security property an attack violates) -> STRIDE letter. STRIDE
/// is itself defined by the property each category violates (see `Stride::property`).
pub const CAPEC_CONSEQUENCES: &[(&str, Stride)] = &[
    ("Confidentiality", Stride::InformationDisclosure),
    ("Integrity", Stride::Tampering),
    ("Availability", Stride::DenialOfService),
    ("Authentication", Stride::Spoofing),
    ("Authorization", Stride::ElevationOfPrivilege),
    ("Access_Control", Stride::ElevationOfPrivilege),
    ("Accountability", Stride::Repudiation),
    ("Non-Repudiation", Stride::Repudiation),
];

/// CAPEC domain -> element kinds besides `process`.
pub const CAPEC_DOMAINS: &[(&str, &[ElementKind])] = &[
    ("Communications", &[Flow]),
    ("Social Engineering", &[ExternalEntity]),
    ("Supply Chain", &[ExternalEntity]),
];

/// Word prefixes in a name (lowercase; a name is split at anything but letters and digits) ->
/// STRIDE letters and element kinds. Used for CAPEC, where names are the most consistent signal;
/// an entry gets the union of every row that matches.
pub const NAME_KEYWORDS: &[(&str, &str, &[ElementKind])] = &[
    ("inject", "TE", &[]),
    ("spoof", "S", &[ExternalEntity]),
    ("impersonat", "S", &[ExternalEntity]),
    ("masquerad", "S", &[]),
    ("phishing", "S", &[ExternalEntity]),
    ("forg", "S", &[]),
    ("counterfeit", "S", &[ExternalEntity]),
    ("hijack", "SE", &[]),
    ("brute", "S", &[]),
    ("password", "S", &[]),
    ("credential", "S", &[]),
    ("replay", "ST", &[Flow]),
    ("tamper", "T", &[]),
    ("integrity", "T", &[]),
    ("manipulat", "T", &[]),
    ("modif", "T", &[]),
    ("overflow", "TE", &[]),
    ("flood", "D", &[Flow]),
    ("exhaust", "D", &[]),
    ("denial", "D", &[]),
    ("starvation", "D", &[]),
    ("amplification", "D", &[Flow]),
    ("sniff", "I", &[Flow]),
    ("intercept", "I", &[Flow]),
    ("eavesdrop", "I", &[Flow]),
    ("middle", "TI", &[Flow]),
    ("disclos", "I", &[]),
    ("leak", "I", &[]),
    ("footprint", "I", &[]),
    ("fingerprint", "I", &[]),
    ("enumerat", "I", &[]),
    ("harvest", "I", &[]),
    ("exfiltrat", "I", &[Flow]),
    ("traversal", "I", &[DataStore]),
    ("privilege", "E", &[]),
    ("escalat", "E", &[]),
    ("elevat", "E", &[]),
    ("bypass", "E", &[]),
    ("log", "R", &[DataStore]),
    ("logs", "R", &[DataStore]),
    ("logging", "R", &[DataStore]),
    ("audit", "R", &[DataStore]),
    ("repudiat", "R", &[]),
    ("xss", "TI", &[]),
    ("scripting", "TI", &[]),
    ("inclusion", "TE", &[]),
    ("pollution", "T", &[]),
    ("alter", "T", &[]),
    ("malicious", "T", &[]),
    ("blowup", "D", &[]),
    ("fragmentation", "D", &[Flow]),
    ("reset", "D", &[]),
    ("destruction", "D", &[]),
    ("deactivation", "D", &[]),
    ("reverse", "I", &[]),
    ("probe", "I", &[]),
    ("detect", "I", &[]),
    ("explore", "I", &[]),
    ("oracle", "I", &[]),
    ("tracking", "I", &[Flow]),
    ("theft", "I", &[]),
    ("elicitation", "I", &[ExternalEntity]),
    ("pretext", "S", &[ExternalEntity]),
    ("squatting", "S", &[ExternalEntity]),
    ("homograph", "S", &[ExternalEntity]),
    ("cloning", "S", &[]),
    ("sql", "", &[DataStore]),
    ("database", "", &[DataStore]),
    ("file", "", &[DataStore]),
    ("cache", "", &[DataStore]),
    ("storage", "", &[DataStore]),
    ("traffic", "", &[Flow]),
    ("channel", "", &[Flow]),
    ("protocol", "", &[Flow]),
    ("network", "", &[Flow]),
    ("dns", "", &[Flow]),
];

/// Whole words of the `log` rows: `log` must not match `logic` or `login`.
const WHOLE_WORDS: &[&str] = &["log", "logs", "sql", "dns"];

/// Phrases in a name (lowercase, split into words) -> short tags people search for.
pub const ABBREVIATIONS: &[(&str, &[&str])] = &[
    ("sql injection", &["sqli"]),
    ("cross site scripting", &["xss"]),
    ("cross site request forgery", &["csrf"]),
    ("server side request forgery", &["ssrf"]),
    ("xml external entit", &["xxe"]),
    ("man in the middle", &["mitm"]),
    ("adversary in the middle", &["aitm", "mitm"]),
    ("denial of service", &["dos"]),
    ("distributed denial", &["ddos"]),
    ("multi factor authentication", &["mfa"]),
    ("server side include", &["ssi"]),
    ("path traversal", &["path-traversal"]),
    ("directory traversal", &["path-traversal"]),
];

/// Where a bundle is broken, with a message for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// 1-based; the caller prefixes the file name.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for ImportError {}

/// Which MITRE data a bundle holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Attack,
    Capec,
}

#[derive(Debug, Clone, Default)]
pub struct ImportOptions<'a> {
    /// The library id to write instead of the derived one (`attack`, `attack-ics`, `capec`...).
    pub library_id: Option<String>,
    /// An ATT&CK library, used when importing CAPEC to take STRIDE and element kinds from the
    /// techniques a pattern links to.
    pub attack: Option<&'a Library>,
}

/// Counts for the import summary and for tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportStats {
    pub entries: usize,
    /// ATT&CK: techniques (MITRE's `x_mitre_is_subtechnique` is false); CAPEC: patterns without
    /// a parent in the bundle.
    pub top_level: usize,
    /// ATT&CK: sub-techniques, whether or not their parent is in the bundle; CAPEC: patterns with
    /// a parent.
    pub children: usize,
    pub mitigations: usize,
    /// Entry-to-mitigation links written.
    pub mitigation_links: usize,
    /// Revoked or deprecated objects left out.
    pub skipped: usize,
}

/// A converted bundle, ready to write with [`LibraryData::to_toml`] and `header`.
#[derive(Debug, Clone)]
pub struct Imported {
    pub kind: SourceKind,
    pub data: LibraryData,
    /// The comment block for the top of the file: provenance and the mapping tables.
    pub header: String,
    /// Things a person should know (unknown tactics, dangling links); one line each.
    pub warnings: Vec<String>,
    pub stats: ImportStats,
}

impl Imported {
    /// The complete file text.
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        self.data.to_toml(&self.header)
    }
}

// ---------------------------------------------------------------------------------------------
// The STIX subset read. Every field defaults, and `null` counts as absent, so bundles of any
// STIX version or ATT&CK release parse as long as they are JSON with the right shape.
//
// Memory: the objects are read one at a time into a `RawObject` whose strings borrow from the
// input (only strings with escapes are copied), and `Kept::add` keeps just what the importers
// use of the object types they read, in small structs, before the next object is read. A
// bundle's hundreds of thousands of relationships, identities, data components and the like
// are checked for shape (so errors point at the same place as before) but never stored.

fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A string of the bundle: borrowed from the input, or owned when JSON escapes had to be
/// decoded. Reads exactly like a `String` field (same errors).
#[derive(Default, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Text<'a>(Cow<'a, str>);

impl<'a> Text<'a> {
    fn as_str(&self) -> &str {
        &self.0
    }

    /// Without leading and trailing white space, still borrowed if it was.
    fn trimmed(self) -> Text<'a> {
        match self.0 {
            Cow::Borrowed(s) => Text(Cow::Borrowed(s.trim())),
            Cow::Owned(s) if s.trim().len() == s.len() => Text(Cow::Owned(s)),
            Cow::Owned(s) => Text(Cow::Owned(s.trim().to_string())),
        }
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Text a library may hold: nothing a terminal would act on, no direction overrides (the
    /// library reader rejects those, so an entry carrying them would make the whole imported
    /// library unreadable).
    fn is_safe(&self) -> bool {
        matches!(escape_control(self.as_str()), Cow::Borrowed(_))
    }

    /// Safe text with something in it: a name.
    fn is_name(&self) -> bool {
        self.is_safe() && !self.as_str().trim().is_empty()
    }

    /// A safe single word: an id (`T1059`, `CAPEC-66`, a tactic's short name).
    fn is_word(&self) -> bool {
        self.is_safe() && !self.is_empty() && !self.as_str().chars().any(char::is_whitespace)
    }
}

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// The consequence scopes of a CAPEC pattern that [`CAPEC_CONSEQUENCES`] lists, as bits of
/// their rows; read like a map of anything (same errors), keeping only the keys.
#[derive(Default, Clone, Copy)]
struct Consequences(u32);

const _: () = assert!(CAPEC_CONSEQUENCES.len() <= 32);

impl Consequences {
    fn contains(self, row: usize) -> bool {
        self.0 & (1 << row) != 0
    }
}

impl<'de> Deserialize<'de> for Consequences {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Consequences;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut bits = 0u32;
                while let Some((key, IgnoredAny)) = map.next_entry::<Text<'_>, IgnoredAny>()? {
                    if let Some(row) = CAPEC_CONSEQUENCES
                        .iter()
                        .position(|(scope, _)| *scope == key.as_str())
                    {
                        bits |= 1 << row;
                    }
                }
                Ok(Consequences(bits))
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Bundle<'a> {
    #[serde(rename = "type", borrow, deserialize_with = "null_default")]
    kind: Text<'a>,
    #[serde(borrow)]
    objects: Option<Kept<'a>>,
}

/// One object while it is read. Every object of the bundle is read into this shape (so a wrong
/// type anywhere is reported where it is), then [`Kept::add`] takes what is used and drops it.
#[derive(Deserialize, Default)]
#[serde(default)]
struct RawObject<'a> {
    #[serde(rename = "type", borrow, deserialize_with = "null_default")]
    kind: Text<'a>,
    #[serde(borrow, deserialize_with = "null_default")]
    id: Text<'a>,
    #[serde(borrow, deserialize_with = "null_default")]
    name: Text<'a>,
    #[serde(borrow, deserialize_with = "null_default")]
    modified: Text<'a>,
    #[serde(deserialize_with = "null_default")]
    revoked: bool,
    #[serde(deserialize_with = "null_default")]
    x_mitre_deprecated: bool,
    #[serde(deserialize_with = "null_default")]
    x_mitre_is_subtechnique: bool,
    #[serde(borrow, deserialize_with = "null_default")]
    external_references: Vec<ExternalRef<'a>>,
    #[serde(borrow, deserialize_with = "null_default")]
    kill_chain_phases: Vec<KillChainPhase<'a>>,
    #[serde(borrow, deserialize_with = "null_default")]
    x_mitre_platforms: Vec<Text<'a>>,
    #[serde(borrow, deserialize_with = "null_default")]
    x_mitre_shortname: Text<'a>,
    #[serde(borrow, deserialize_with = "null_default")]
    x_mitre_version: Text<'a>,
    #[serde(borrow, deserialize_with = "null_default")]
    x_mitre_domains: Vec<Text<'a>>,
    #[serde(borrow, deserialize_with = "null_default")]
    tactic_refs: Vec<Text<'a>>,
    #[serde(borrow, deserialize_with = "null_default")]
    relationship_type: Text<'a>,
    #[serde(borrow, deserialize_with = "null_default")]
    source_ref: Text<'a>,
    #[serde(borrow, deserialize_with = "null_default")]
    target_ref: Text<'a>,
    #[serde(borrow, deserialize_with = "null_default")]
    x_capec_status: Text<'a>,
    #[serde(borrow, deserialize_with = "null_default")]
    x_capec_abstraction: Text<'a>,
    #[serde(borrow, deserialize_with = "null_default")]
    x_capec_version: Text<'a>,
    #[serde(borrow, deserialize_with = "null_default")]
    x_capec_child_of_refs: Vec<Text<'a>>,
    #[serde(borrow, deserialize_with = "null_default")]
    x_capec_domains: Vec<Text<'a>>,
    #[serde(deserialize_with = "null_default")]
    x_capec_consequences: Consequences,
    #[serde(borrow, deserialize_with = "null_default")]
    definition: Definition<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ExternalRef<'a> {
    #[serde(borrow, deserialize_with = "null_default")]
    source_name: Text<'a>,
    #[serde(borrow, deserialize_with = "null_default")]
    external_id: Text<'a>,
    #[serde(borrow, deserialize_with = "null_default")]
    url: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct KillChainPhase<'a> {
    #[serde(borrow, deserialize_with = "null_default")]
    kill_chain_name: Text<'a>,
    #[serde(borrow, deserialize_with = "null_default")]
    phase_name: Text<'a>,
}

/// A marking definition; only statement markings (MITRE's copyright line) are of interest.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Definition<'a> {
    #[serde(borrow, deserialize_with = "null_default")]
    statement: Text<'a>,
}

impl RawObject<'_> {
    /// Revoked and deprecated objects are history, not current knowledge.
    fn is_active(&self) -> bool {
        !self.revoked
            && !self.x_mitre_deprecated
            && !matches!(self.x_capec_status.as_str(), "Deprecated" | "Obsolete")
    }

    /// The index of the reference giving the object's id in a source (`mitre-attack`,
    /// `capec`).
    fn external(&self, source: &str) -> Option<usize> {
        self.external_references.iter().position(|r| {
            r.source_name.as_str().eq_ignore_ascii_case(source)
                && r.external_id.clone().trimmed().is_word()
        })
    }

    /// Whether what a library entry takes of the object is text a library may hold: a damaged
    /// or hostile bundle's object is left out, like a revoked one, rather than written into a
    /// library that could not be read back. Lists (platforms, domains, phases) are filtered
    /// instead (see [`safe_names`]).
    fn is_sound(&self) -> bool {
        match self.kind.as_str() {
            "attack-pattern" | "course-of-action" | "x-mitre-tactic" => self.name.is_name(),
            _ => true,
        }
    }
}

/// The items of a list that a library may hold (see [`Text::is_name`]), in order.
fn safe_names(names: Vec<Text<'_>>) -> Vec<Text<'_>> {
    names.into_iter().filter(Text::is_name).collect()
}

/// An active attack-pattern with an ATT&CK id.
struct AttackPattern<'a> {
    stix_id: Text<'a>,
    /// The ATT&CK id, trimmed.
    id: Text<'a>,
    url: Text<'a>,
    name: Text<'a>,
    modified: Text<'a>,
    is_subtechnique: bool,
    kill_chain_phases: Vec<(Text<'a>, Text<'a>)>,
    platforms: Vec<Text<'a>>,
}

/// Where a CAPEC pattern's cross-reference points.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RefSource {
    Cwe,
    Attack,
}

/// An active attack-pattern with a CAPEC id.
struct CapecPattern<'a> {
    stix_id: Text<'a>,
    /// The CAPEC id, trimmed.
    id: Text<'a>,
    url: Text<'a>,
    name: Text<'a>,
    abstraction: Text<'a>,
    version: Text<'a>,
    child_of_refs: Vec<Text<'a>>,
    domains: Vec<Text<'a>>,
    consequences: Consequences,
    /// CWE and ATT&CK references, their external ids trimmed and not empty, in bundle order.
    references: Vec<(RefSource, Text<'a>)>,
}

/// An active `x-mitre-tactic` with a short name.
struct Tactic<'a> {
    stix_id: Text<'a>,
    name: Text<'a>,
    shortname: Text<'a>,
    /// The TA id, or empty.
    ta: Text<'a>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum RelationshipKind {
    SubtechniqueOf,
    Mitigates,
}

/// An active `subtechnique-of` or `mitigates` relationship (no other kind is used).
struct Relationship<'a> {
    kind: RelationshipKind,
    source: Text<'a>,
    target: Text<'a>,
}

/// An active course-of-action with an ATT&CK id.
struct CourseOfAction<'a> {
    stix_id: Text<'a>,
    /// The M id, trimmed.
    id: Text<'a>,
    name: Text<'a>,
    url: Text<'a>,
}

/// What the importers use of a bundle, in bundle order within each kind.
#[derive(Default)]
struct Kept<'a> {
    /// Objects read, for tests.
    read: usize,
    /// attack-patterns (active or not) with an ATT&CK id, and those with a CAPEC id but no
    /// ATT&CK id: which importer runs.
    attack_ids: usize,
    capec_ids: usize,
    /// Revoked or deprecated attack-patterns with an ATT&CK id, and with a CAPEC id, and those
    /// whose name a library could not hold (see [`RawObject::is_sound`]).
    skipped_attack: usize,
    skipped_capec: usize,
    /// Kill chains and domains of active attack-patterns, counted: which ATT&CK.
    votes: BTreeMap<Text<'a>, usize>,
    techniques: Vec<AttackPattern<'a>>,
    patterns: Vec<CapecPattern<'a>>,
    tactics: Vec<Tactic<'a>>,
    /// The tactic references of each active matrix.
    matrices: Vec<Vec<Text<'a>>>,
    relationships: Vec<Relationship<'a>>,
    courses: Vec<CourseOfAction<'a>>,
    /// The largest (natural order; the last of equals) non-blank `x_mitre_version` of the
    /// collections, trimmed.
    collection_version: Option<Text<'a>>,
    /// The first marking statement that mentions copyright, trimmed.
    copyright: Option<Text<'a>>,
}

impl<'a> Kept<'a> {
    /// Takes what the importers use of one object.
    fn add(&mut self, mut o: RawObject<'a>) {
        self.read += 1;
        let active = o.is_active() && o.is_sound();
        o.x_mitre_platforms = safe_names(std::mem::take(&mut o.x_mitre_platforms));
        o.x_mitre_domains = safe_names(std::mem::take(&mut o.x_mitre_domains));
        o.x_capec_domains = safe_names(std::mem::take(&mut o.x_capec_domains));
        o.kill_chain_phases
            .retain(|p| p.kill_chain_name.is_name() && p.phase_name.is_name());
        match o.kind.as_str() {
            "attack-pattern" => self.add_pattern(o, active),
            "x-mitre-tactic" if active && o.x_mitre_shortname.is_word() => {
                let ta = o
                    .external("mitre-attack")
                    .map(|i| std::mem::take(&mut o.external_references[i].external_id))
                    .unwrap_or_default();
                self.tactics.push(Tactic {
                    stix_id: o.id,
                    name: o.name,
                    shortname: o.x_mitre_shortname,
                    ta,
                });
            }
            "x-mitre-matrix" if active => self.matrices.push(o.tactic_refs),
            "relationship" if active => {
                let kind = match o.relationship_type.as_str() {
                    "subtechnique-of" => RelationshipKind::SubtechniqueOf,
                    "mitigates" => RelationshipKind::Mitigates,
                    _ => return,
                };
                self.relationships.push(Relationship {
                    kind,
                    source: o.source_ref,
                    target: o.target_ref,
                });
            }
            "course-of-action" if active => {
                if let Some(i) = o.external("mitre-attack") {
                    let r = std::mem::take(&mut o.external_references[i]);
                    self.courses.push(CourseOfAction {
                        stix_id: o.id,
                        id: r.external_id.trimmed(),
                        name: o.name,
                        url: r.url,
                    });
                }
            }
            "x-mitre-collection" => {
                let v = o.x_mitre_version.trimmed();
                if !v.is_empty()
                    && self.collection_version.as_ref().is_none_or(|max| {
                        natural_cmp(max.as_str(), v.as_str()) != std::cmp::Ordering::Greater
                    })
                {
                    self.collection_version = Some(v);
                }
            }
            "marking-definition" if self.copyright.is_none() => {
                let s = o.definition.statement.trimmed();
                if s.as_str().to_lowercase().contains("copyright") {
                    self.copyright = Some(s);
                }
            }
            _ => {}
        }
    }

    fn add_pattern(&mut self, mut o: RawObject<'a>, active: bool) {
        let attack = o.external("mitre-attack");
        let capec = o.external("capec");
        if attack.is_some() {
            self.attack_ids += 1;
        } else if capec.is_some() {
            self.capec_ids += 1;
        }
        if !active {
            self.skipped_attack += usize::from(attack.is_some());
            self.skipped_capec += usize::from(capec.is_some());
            return;
        }
        for p in &o.kill_chain_phases {
            *self.votes.entry(p.kill_chain_name.clone()).or_default() += 1;
        }
        for d in &o.x_mitre_domains {
            *self.votes.entry(d.clone()).or_default() += 1;
        }
        if let Some(i) = capec {
            let r = &o.external_references[i];
            let references = o
                .external_references
                .iter()
                .filter_map(|r| {
                    let source = if r.source_name.as_str().eq_ignore_ascii_case("cwe") {
                        RefSource::Cwe
                    } else if r.source_name.as_str().eq_ignore_ascii_case("attack") {
                        RefSource::Attack
                    } else {
                        return None;
                    };
                    let id = r.external_id.clone().trimmed();
                    id.is_word().then_some((source, id))
                })
                .collect();
            self.patterns.push(CapecPattern {
                stix_id: o.id.clone(),
                id: r.external_id.clone().trimmed(),
                url: r.url.clone(),
                name: o.name.clone(),
                abstraction: std::mem::take(&mut o.x_capec_abstraction),
                version: std::mem::take(&mut o.x_capec_version),
                child_of_refs: std::mem::take(&mut o.x_capec_child_of_refs),
                domains: std::mem::take(&mut o.x_capec_domains),
                consequences: o.x_capec_consequences,
                references,
            });
        }
        if let Some(i) = attack {
            let r = std::mem::take(&mut o.external_references[i]);
            self.techniques.push(AttackPattern {
                stix_id: o.id,
                id: r.external_id.trimmed(),
                url: r.url,
                name: o.name,
                modified: o.modified,
                is_subtechnique: o.x_mitre_is_subtechnique,
                kill_chain_phases: o
                    .kill_chain_phases
                    .into_iter()
                    .map(|p| (p.kill_chain_name, p.phase_name))
                    .collect(),
                platforms: o.x_mitre_platforms,
            });
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Kept<'a> {
    /// The `objects` array, read one object at a time.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<Kept<'a>>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Kept<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut kept = Kept::default();
                while let Some(o) = seq.next_element::<RawObject<'a>>()? {
                    kept.add(o);
                }
                Ok(kept)
            }
        }
        d.deserialize_seq(V(std::marker::PhantomData))
    }
}

/// ATT&CK's kill chains are `mitre-attack`, `mitre-ics-attack`, `mitre-mobile-attack` (and
/// `mitre-pre-attack` in old releases); others (e.g. Lockheed Martin's) are not ATT&CK tactics.
fn is_attack_kill_chain(name: &str) -> bool {
    name.starts_with("mitre-") && name.ends_with("attack")
}

// ---------------------------------------------------------------------------------------------

/// Converts a bundle (the file's bytes) into a library.
pub fn import(bytes: &[u8], options: &ImportOptions<'_>) -> Result<Imported, ImportError> {
    let bundle: Bundle = serde_json::from_slice(bytes).map_err(|e| json_error(bytes, &e))?;
    let at_start = |message: String| ImportError {
        line: 1,
        column: 1,
        message,
    };
    if bundle.kind.as_str() != "bundle" {
        return Err(at_start(if bundle.kind.is_empty() {
            "not a STIX bundle: the top-level object has no \"type\": \"bundle\"".to_string()
        } else {
            format!(
                "not a STIX bundle: the top-level type is {:?}, expected \"bundle\"",
                crate::model::text::escape_control(bundle.kind.as_str())
            )
        }));
    }
    let kept = bundle
        .objects
        .ok_or_else(|| at_start("not a STIX bundle: no \"objects\" array".to_string()))?;

    if kept.attack_ids == 0 && kept.capec_ids == 0 {
        return Err(at_start(
            "the bundle has no attack-pattern objects with an ATT&CK or CAPEC id; is it an ATT&CK or CAPEC STIX bundle?"
                .to_string(),
        ));
    }
    let mut imported = if kept.attack_ids >= kept.capec_ids {
        import_attack(kept)
    } else {
        import_capec(kept, options)
    };
    if imported.data.entries.is_empty() {
        return Err(at_start(
            "every attack-pattern in the bundle is revoked, deprecated or unreadable; nothing to import"
                .to_string(),
        ));
    }
    if let Some(id) = &options.library_id {
        imported.data.library.id = id.clone();
    }
    imported.stats.entries = imported.data.entries.len();
    imported.stats.mitigations = imported.data.mitigations.len();
    imported.stats.mitigation_links = imported
        .data
        .entries
        .iter()
        .map(|e| e.mitigations.len())
        .sum();
    Ok(imported)
}

/// serde_json's position, with the column counted in characters rather than bytes.
fn json_error(bytes: &[u8], err: &serde_json::Error) -> ImportError {
    let (line, column, message) = crate::store::json_error_position(bytes, err);
    let what = match err.classify() {
        serde_json::error::Category::Data => "not a STIX bundle",
        _ => "invalid JSON",
    };
    ImportError {
        line,
        column,
        message: format!("{what}: {message}"),
    }
}

/// `A`, `A and B`, `A, B and C`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// At most `max` items, then "and N more".
fn short_list(items: &[String], max: usize) -> String {
    if items.len() <= max {
        return and_list(items);
    }
    format!("{} and {} more", items[..max].join(", "), items.len() - max)
}

fn kinds_in_order(kinds: &BTreeSet<ElementKind>) -> Vec<ElementKind> {
    ElementKind::ALL
        .into_iter()
        .filter(|k| kinds.contains(k))
        .collect()
}

/// Lowercase words of a name: letters and digits, split at everything else.
fn words(name: &str) -> Vec<String> {
    name.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Short tags for well-known phrases in a name (`SQL Injection` -> `sqli`).
fn abbreviation_tags(name: &str) -> Vec<String> {
    let joined = format!(" {} ", words(name).join(" "));
    let mut tags = Vec::new();
    for (phrase, abbrevs) in ABBREVIATIONS {
        // Phrases end where a word may go on (`entit` matches `entity` and `entities`).
        if joined.contains(&format!(" {phrase}")) {
            tags.extend(abbrevs.iter().map(|a| (*a).to_string()));
        }
    }
    tags
}

/// STRIDE letters and element kinds suggested by the words of a name.
fn name_keywords(name: &str) -> (StrideSet, BTreeSet<ElementKind>) {
    let mut stride = StrideSet::empty();
    let mut kinds = BTreeSet::new();
    let words = words(name);
    for (key, letters, ks) in NAME_KEYWORDS {
        let hit = if WHOLE_WORDS.contains(key) {
            words.iter().any(|w| w == key)
        } else {
            words.iter().any(|w| w.starts_with(key))
        };
        if hit {
            stride = stride.union(&StrideSet::parse(letters));
            kinds.extend(ks.iter().copied());
        }
    }
    (stride, kinds)
}

fn sort_dedup(items: &mut Vec<String>) {
    items.sort_by(|a, b| natural_cmp(a, b));
    items.dedup();
}

fn table_header(lines: &mut Vec<String>) {
    lines.push("Mapping tables (src/library/stix.rs). Every entry applies to process.".into());
    lines.push("ATT&CK tactic -> STRIDE; other element kinds: why".into());
    for (tactic, letters, kinds, why) in TACTICS {
        let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        let kinds = if kinds.is_empty() {
            "-".to_string()
        } else {
            kinds.join(", ")
        };
        lines.push(format!("  {tactic} -> {letters}; {kinds}: {why}"));
    }
    lines.push("ATT&CK platform -> other element kinds".into());
    for (platform, kinds, _) in PLATFORMS {
        let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        lines.push(format!("  {platform} -> {}", kinds.join(", ")));
    }
}

// ---------------------------------------------------------------------------------------------
// ATT&CK

#[derive(Clone, Copy, PartialEq, Eq)]
enum Domain {
    Enterprise,
    Ics,
    Mobile,
}

impl Domain {
    fn library_id(self) -> &'static str {
        match self {
            Domain::Enterprise => "attack",
            Domain::Ics => "attack-ics",
            Domain::Mobile => "attack-mobile",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Domain::Enterprise => "MITRE ATT&CK Enterprise",
            Domain::Ics => "MITRE ATT&CK for ICS",
            Domain::Mobile => "MITRE ATT&CK Mobile",
        }
    }

    /// How a summary names the framework.
    fn label(self) -> &'static str {
        match self {
            Domain::Enterprise => "ATT&CK",
            Domain::Ics => "ATT&CK for ICS",
            Domain::Mobile => "ATT&CK Mobile",
        }
    }

    fn source(self) -> &'static str {
        match self {
            Domain::Enterprise => "https://attack.mitre.org/matrices/enterprise/",
            Domain::Ics => "https://attack.mitre.org/matrices/ics/",
            Domain::Mobile => "https://attack.mitre.org/matrices/mobile/",
        }
    }

    fn of(text: &str) -> Option<Domain> {
        let t = text.to_lowercase();
        if t.contains("ics") {
            Some(Domain::Ics)
        } else if t.contains("mobile") {
            Some(Domain::Mobile)
        } else if t.contains("enterprise") || t == "mitre-attack" {
            Some(Domain::Enterprise)
        } else {
            None
        }
    }
}

/// A technique while links are resolved.
struct Technique<'a> {
    object: &'a AttackPattern<'a>,
    id: String,
    url: String,
}

fn import_attack(kept: Kept<'_>) -> Imported {
    let Kept {
        skipped_attack,
        votes,
        techniques: patterns,
        tactics,
        matrices,
        relationships,
        courses,
        collection_version,
        copyright,
        ..
    } = kept;
    let mut warnings = Vec::new();
    let mut stats = ImportStats {
        skipped: skipped_attack,
        ..ImportStats::default()
    };

    // Which ATT&CK: the kill chain most techniques use, else the domains they list.
    let domain = votes
        .iter()
        .filter_map(|(name, n)| Domain::of(name.as_str()).map(|d| (n, d)))
        .max_by_key(|(n, _)| **n)
        .map_or_else(
            || {
                warnings.push("cannot tell whether this is Enterprise, ICS or Mobile ATT&CK; writing library id \"attack\"".to_string());
                Domain::Enterprise
            },
            |(_, d)| d,
        );

    // Tactics: names by short name, in the matrix's order (then by tactic id for tactics no
    // matrix lists).
    let mut tactic_names: HashMap<String, String> = HashMap::new();
    let mut tactic_by_stix: HashMap<&str, &str> = HashMap::new();
    let mut tactic_rank: HashMap<String, (usize, String)> = HashMap::new();
    for o in &tactics {
        tactic_names.insert(o.shortname.to_string(), o.name.to_string());
        tactic_by_stix.insert(o.stix_id.as_str(), o.shortname.as_str());
        tactic_rank.insert(o.shortname.to_string(), (usize::MAX, o.ta.to_string()));
    }
    let mut position = 0usize;
    for tactic_refs in &matrices {
        for r in tactic_refs {
            if let Some(short) = tactic_by_stix.get(r.as_str())
                && let Some(rank) = tactic_rank.get_mut(*short)
                && rank.0 == usize::MAX
            {
                rank.0 = position;
                position += 1;
            }
        }
    }
    let tactic_key = |t: &str| -> (usize, String, String) {
        match tactic_rank.get(t) {
            Some((pos, ta)) => (*pos, ta.clone(), t.to_string()),
            // Tactics the bundle does not describe go last, alphabetically.
            None => (usize::MAX, "~".to_string(), t.to_string()),
        }
    };
    let tactic_display = |t: &str| -> String {
        tactic_names.get(t).cloned().unwrap_or_else(|| {
            // An unknown short name, title-cased: `inhibit-response-function` -> `Inhibit Response Function`.
            t.split('-')
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
    };

    // Techniques.
    let mut techniques: Vec<Technique<'_>> = Vec::new();
    let mut by_stix: HashMap<&str, usize> = HashMap::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for o in &patterns {
        let id = o.id.to_string();
        if by_id.contains_key(&id) {
            warnings.push(format!("technique {id} appears twice; the first is kept"));
            continue;
        }
        if o.is_subtechnique || id.contains('.') {
            stats.children += 1;
        } else {
            stats.top_level += 1;
        }
        by_stix.insert(o.stix_id.as_str(), techniques.len());
        by_id.insert(id.clone(), techniques.len());
        techniques.push(Technique {
            object: o,
            id,
            url: o.url.to_string(),
        });
    }

    // Parents: the relationship, else the id before the dot.
    let mut parent: Vec<Option<usize>> = vec![None; techniques.len()];
    for r in &relationships {
        if r.kind == RelationshipKind::SubtechniqueOf
            && let (Some(&child), Some(&p)) = (
                by_stix.get(r.source.as_str()),
                by_stix.get(r.target.as_str()),
            )
            && child != p
        {
            parent[child].get_or_insert(p);
        }
    }
    for (i, t) in techniques.iter().enumerate() {
        if parent[i].is_none()
            && let Some((prefix, _)) = t.id.split_once('.')
            && let Some(&p) = by_id.get(prefix)
        {
            parent[i] = Some(p);
        }
        if parent[i].is_none() && t.object.is_subtechnique {
            warnings.push(format!(
                "sub-technique {} has no active parent technique in the bundle",
                t.id
            ));
        }
    }
    let mut child_count = vec![0usize; techniques.len()];
    for p in parent.iter().flatten() {
        child_count[*p] += 1;
    }

    // Mitigations and their links.
    let mut mitigations = Vec::new();
    let mut mitigation_by_stix: HashMap<&str, String> = HashMap::new();
    let mut mitigation_ids: HashSet<String> = HashSet::new();
    for o in &courses {
        let id = o.id.to_string();
        if !mitigation_ids.insert(id.clone()) {
            continue;
        }
        mitigation_by_stix.insert(o.stix_id.as_str(), id.clone());
        mitigations.push(MitigationInfo {
            id,
            name: o.name.to_string(),
            url: o.url.to_string(),
        });
    }
    mitigations.sort_by(|a, b| natural_cmp(&a.id, &b.id));
    let mut technique_mitigations: Vec<Vec<String>> = vec![Vec::new(); techniques.len()];
    for r in &relationships {
        if r.kind == RelationshipKind::Mitigates
            && let (Some(m), Some(&t)) = (
                mitigation_by_stix.get(r.source.as_str()),
                by_stix.get(r.target.as_str()),
            )
        {
            technique_mitigations[t].push(m.clone());
        }
    }

    // Entries.
    let mut unknown_tactics: BTreeMap<String, usize> = BTreeMap::new();
    let mut other_kill_chains: BTreeSet<String> = BTreeSet::new();
    let mut entries = Vec::with_capacity(techniques.len());
    for (i, t) in techniques.iter().enumerate() {
        let o = t.object;
        let mut tactics: Vec<String> = Vec::new();
        for (kill_chain_name, phase_name) in &o.kill_chain_phases {
            if !is_attack_kill_chain(kill_chain_name.as_str()) {
                other_kill_chains.insert(kill_chain_name.to_string());
                continue;
            }
            let phase = phase_name.as_str().trim();
            if !phase.is_empty() && !tactics.iter().any(|x| x == phase) {
                tactics.push(phase.to_string());
            }
        }
        tactics.sort_by_key(|x| tactic_key(x));

        let mut stride = StrideSet::empty();
        let mut kinds: BTreeSet<ElementKind> = BTreeSet::from([ElementKind::Process]);
        for tactic in &tactics {
            match TACTICS.iter().find(|row| row.0 == tactic) {
                Some((_, letters, ks, _)) => {
                    stride = stride.union(&StrideSet::parse(letters));
                    kinds.extend(ks.iter().copied());
                }
                None => *unknown_tactics.entry(tactic.clone()).or_default() += 1,
            }
        }
        let mut platforms: Vec<String> = Vec::new();
        for p in &o.platforms {
            let p = p.as_str().trim();
            if !p.is_empty() && !platforms.iter().any(|x| x == p) {
                platforms.push(p.to_string());
            }
            if let Some((_, ks, _)) = PLATFORMS.iter().find(|row| row.0.eq_ignore_ascii_case(p)) {
                kinds.extend(ks.iter().copied());
            }
        }

        let parent_tech = parent[i].and_then(|p| techniques.get(p));
        let mut tags = abbreviation_tags(o.name.as_str());
        if let Some(p) = parent_tech {
            // So that searching the technique's name also finds its sub-techniques.
            tags.push(p.object.name.as_str().to_lowercase());
        }
        sort_dedup(&mut tags);

        let tactic_names: Vec<String> = tactics.iter().map(|x| tactic_display(x)).collect();
        let mut summary = match parent_tech {
            Some(p) => format!(
                "{} sub-technique of {} ({})",
                domain.label(),
                p.id,
                p.object.name
            ),
            None => format!("{} technique", domain.label()),
        };
        if !tactic_names.is_empty() {
            summary.push_str(&format!(" under {}", and_list(&tactic_names)));
        }
        match child_count[i] {
            0 => {}
            1 => summary.push_str(", with 1 sub-technique"),
            n => summary.push_str(&format!(", with {n} sub-techniques")),
        }
        if !platforms.is_empty() {
            summary.push_str(&format!("; platforms: {}", and_list(&platforms)));
        }
        summary.push('.');

        let mut mitigation_ids = std::mem::take(&mut technique_mitigations[i]);
        sort_dedup(&mut mitigation_ids);
        entries.push(Entry {
            id: t.id.clone(),
            name: o.name.to_string(),
            stride,
            applies_to: kinds_in_order(&kinds),
            tags,
            summary,
            url: t.url.clone(),
            cwes: Vec::new(),
            tactics,
            platforms,
            parent: parent_tech.map(|p| p.id.clone()),
            mitigations: mitigation_ids,
            related: Vec::new(),
        });
    }
    entries.sort_by(|a, b| natural_cmp(&a.id, &b.id));

    for (tactic, n) in &unknown_tactics {
        warnings.push(format!(
            "tactic {tactic:?} ({n} technique{}) is not in the tactic table; kept in tactics, mapped to no STRIDE letter",
            if *n == 1 { "" } else { "s" }
        ));
    }
    for chain in &other_kill_chains {
        warnings.push(format!(
            "kill chain {chain:?} is not an ATT&CK kill chain; its phases are ignored"
        ));
    }

    // Version: the collection's, else the newest modification date.
    let version = collection_version
        .map(|v| v.to_string())
        .unwrap_or_else(|| {
            let newest = techniques
                .iter()
                .map(|t| t.object.modified.as_str().get(..10).unwrap_or(""))
                .max()
                .unwrap_or("")
                .to_string();
            warnings.push(format!(
                "the bundle has no x-mitre-collection version; using the newest modification date {newest:?} as the version"
            ));
            newest
        });

    let copyright =
        copyright.map_or_else(|| "© The MITRE Corporation.".to_string(), |c| c.to_string());
    let library = LibraryInfo {
        id: domain.library_id().to_string(),
        name: domain.name().to_string(),
        version: version.clone(),
        source: domain.source().to_string(),
        licence: "MITRE ATT&CK Terms of Use (see LICENSE-MITRE.txt)".to_string(),
        attribution: format!(
            "{copyright} This work is reproduced and distributed with the permission of The MITRE Corporation. \
             Ids, names, tactics, platforms, mitigations and links are from MITRE ATT&CK {version}; \
             summaries, STRIDE and element mappings are threatboard's own. Licence: LICENSE-MITRE.txt."
        ),
    };

    let mut header = vec![
        format!("{} {version}, generated by `threatboard library import-stix` from MITRE's STIX bundle.", domain.name()),
        "Do not edit by hand: import a newer bundle instead. Revoked and deprecated objects are left out.".into(),
        copyright.clone(),
        "This work is reproduced and distributed with the permission of The MITRE Corporation;".into(),
        "see LICENSE-MITRE.txt for MITRE's licence. Summaries are generated from the facts below, not".into(),
        "copied from MITRE's descriptions.".into(),
        String::new(),
    ];
    table_header(&mut header);

    Imported {
        kind: SourceKind::Attack,
        data: LibraryData {
            library,
            entries,
            mitigations,
        },
        header: header.join("\n"),
        warnings,
        stats,
    }
}

// ---------------------------------------------------------------------------------------------
// CAPEC

/// A pattern without STRIDE evidence of its own takes the nearest ancestor's: a child pattern
/// is a more specific way of doing what its parent does (`XSS Using Doubled Characters` under
/// `Cross-Site Scripting`).
fn inherit_stride(entries: &mut [Entry]) {
    let parent: Vec<Option<usize>> = {
        let index: HashMap<&str, usize> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.as_str(), i))
            .collect();
        entries
            .iter()
            .map(|e| e.parent.as_deref().and_then(|p| index.get(p).copied()))
            .collect()
    };
    // Per entry, the nearest ancestor with STRIDE of its own. Each entry is resolved once and
    // remembered, so a deep chain costs its length, not its length squared.
    #[derive(Clone, Copy)]
    enum Source {
        Unknown,
        OnPath,
        Found(Option<usize>),
    }
    let mut source = vec![Source::Unknown; entries.len()];
    let mut path = Vec::new();
    for start in 0..entries.len() {
        path.clear();
        let mut at = start;
        let found = loop {
            match source[at] {
                Source::Found(found) => break found,
                // A cycle without STRIDE anywhere on it: nothing to inherit.
                Source::OnPath => break None,
                Source::Unknown => {}
            }
            source[at] = Source::OnPath;
            path.push(at);
            match parent[at] {
                None => break None,
                Some(p) if !entries[p].stride.is_empty() => break Some(p),
                Some(p) => at = p,
            }
        };
        for &i in &path {
            source[i] = Source::Found(found);
        }
    }
    for i in 0..entries.len() {
        if entries[i].stride.is_empty()
            && let Source::Found(Some(p)) = source[i]
        {
            entries[i].stride = entries[p].stride.clone();
        }
    }
}

fn import_capec(kept: Kept<'_>, options: &ImportOptions<'_>) -> Imported {
    let Kept {
        skipped_capec,
        patterns: capec_patterns,
        copyright,
        ..
    } = kept;
    let mut warnings = Vec::new();
    let mut stats = ImportStats {
        skipped: skipped_capec,
        ..ImportStats::default()
    };

    let mut patterns: Vec<(&CapecPattern<'_>, String, String)> = Vec::new();
    let mut by_stix: HashMap<&str, usize> = HashMap::new();
    // A set, not a scan of `patterns`: a scan per pattern made large bundles quadratic.
    let mut seen: HashSet<String> = HashSet::new();
    for o in &capec_patterns {
        let id = o.id.to_string();
        if !seen.insert(id.clone()) {
            warnings.push(format!("pattern {id} appears twice; the first is kept"));
            continue;
        }
        by_stix.insert(o.stix_id.as_str(), patterns.len());
        patterns.push((o, id, o.url.to_string()));
    }
    if options.attack.is_none() {
        warnings.push(
            "no ATT&CK library loaded: STRIDE and element kinds come from CAPEC's own data only"
                .to_string(),
        );
    }

    let mut entries = Vec::with_capacity(patterns.len());
    let mut unlinked_attack: BTreeSet<String> = BTreeSet::new();
    for (o, id, url) in &patterns {
        let parent = o
            .child_of_refs
            .iter()
            .find_map(|r| by_stix.get(r.as_str()))
            .and_then(|&p| patterns.get(p))
            .filter(|(_, pid, _)| pid != id);

        let mut cwes: Vec<String> = Vec::new();
        let mut attack: Vec<String> = Vec::new();
        for (source, ext) in &o.references {
            let ext = ext.as_str();
            match source {
                RefSource::Cwe => cwes.push(if ext.to_ascii_uppercase().starts_with("CWE-") {
                    ext.to_ascii_uppercase()
                } else {
                    format!("CWE-{ext}")
                }),
                RefSource::Attack => {
                    attack.push(if ext.starts_with(|c: char| c.is_ascii_digit()) {
                        format!("T{ext}")
                    } else {
                        ext.to_ascii_uppercase()
                    })
                }
            }
        }
        sort_dedup(&mut cwes);
        sort_dedup(&mut attack);

        // STRIDE: the properties CAPEC says the attack violates, the linked ATT&CK techniques'
        // STRIDE, and the name's keywords.
        let mut stride = StrideSet::empty();
        let mut properties: Vec<String> = Vec::new();
        for (row, (_, letter)) in CAPEC_CONSEQUENCES.iter().enumerate() {
            if o.consequences.contains(row) {
                stride.insert(*letter);
                let property = letter.property().to_string();
                if !properties.contains(&property) {
                    properties.push(property);
                }
            }
        }
        let (name_stride, name_kinds) = name_keywords(o.name.as_str());
        stride = stride.union(&name_stride);
        let mut kinds: BTreeSet<ElementKind> = BTreeSet::from([ElementKind::Process]);
        kinds.extend(name_kinds);
        for d in &o.domains {
            if let Some((_, ks)) = CAPEC_DOMAINS
                .iter()
                .find(|row| row.0.eq_ignore_ascii_case(d.as_str()))
            {
                kinds.extend(ks.iter().copied());
            }
        }
        // `related` references must resolve, so with an ATT&CK library at hand only the
        // techniques it has are linked (CAPEC may name ones ATT&CK has since revoked); the ids
        // all stay in the tags.
        let mut related = Vec::new();
        for t in &attack {
            match options.attack.map(|lib| (lib, lib.entry(t))) {
                Some((lib, Some(e))) => {
                    stride = stride.union(&e.stride);
                    kinds.extend(e.applies_to.iter().copied());
                    related.push(format!("{}:{}", lib.info.id, e.id));
                }
                Some((_, None)) => {
                    unlinked_attack.insert(t.clone());
                }
                None => related.push(format!("attack:{t}")),
            }
        }

        let abstraction = o.abstraction.as_str().trim().to_lowercase();
        let mut tags = abbreviation_tags(o.name.as_str());
        if !abstraction.is_empty() {
            tags.push(abstraction.clone());
        }
        tags.extend(
            o.domains
                .iter()
                .map(|d| words(d.as_str()).join("-"))
                .filter(|d| !d.is_empty()),
        );
        tags.extend(cwes.iter().cloned());
        tags.extend(attack.iter().cloned());
        sort_dedup(&mut tags);

        let mut summary = if abstraction.is_empty() {
            "CAPEC attack pattern".to_string()
        } else {
            format!("CAPEC {abstraction} attack pattern")
        };
        if let Some((p, pid, _)) = parent {
            summary.push_str(&format!(" under {pid} ({})", p.name));
        }
        let mut facts = Vec::new();
        if !o.domains.is_empty() {
            let domains: Vec<String> = o.domains.iter().map(Text::to_string).collect();
            facts.push(format!("domains: {}", and_list(&domains)));
        }
        if !properties.is_empty() {
            facts.push(format!("violates {}", and_list(&properties)));
        }
        if !cwes.is_empty() {
            facts.push(format!("weaknesses: {}", short_list(&cwes, 4)));
        }
        if !attack.is_empty() {
            facts.push(format!("ATT&CK: {}", short_list(&attack, 4)));
        }
        if !facts.is_empty() {
            summary.push_str("; ");
            summary.push_str(&facts.join("; "));
        }
        summary.push('.');

        entries.push(Entry {
            id: id.clone(),
            name: o.name.to_string(),
            stride,
            applies_to: kinds_in_order(&kinds),
            tags,
            summary,
            url: url.clone(),
            cwes,
            tactics: Vec::new(),
            platforms: Vec::new(),
            parent: parent.map(|(_, pid, _)| pid.clone()),
            mitigations: Vec::new(),
            related,
        });
    }
    inherit_stride(&mut entries);
    stats.children = entries.iter().filter(|e| e.parent.is_some()).count();
    stats.top_level = entries.len() - stats.children;
    entries.sort_by(|a, b| natural_cmp(&a.id, &b.id));
    if !unlinked_attack.is_empty() {
        let list: Vec<String> = unlinked_attack.into_iter().collect();
        warnings.push(format!(
            "{} linked ATT&CK id{} not in the loaded ATT&CK library (revoked or deprecated there?), kept as tags only: {}",
            list.len(),
            if list.len() == 1 { " is" } else { "s are" },
            short_list(&list, 8)
        ));
    }

    let version = patterns
        .iter()
        .map(|(o, _, _)| o.version.as_str().trim())
        .filter(|v| !v.is_empty())
        .max_by(|a, b| natural_cmp(a, b))
        .unwrap_or("unknown")
        .to_string();
    let copyright =
        copyright.map_or_else(|| "© The MITRE Corporation.".to_string(), |c| c.to_string());
    let library = LibraryInfo {
        id: "capec".to_string(),
        name: "MITRE CAPEC".to_string(),
        version: version.clone(),
        source: "https://capec.mitre.org/".to_string(),
        licence: "CAPEC Terms of Use (see LICENSE-MITRE.txt)".to_string(),
        attribution: format!(
            "{copyright} Ids, names, CWE and ATT&CK links are from CAPEC {version}; \
             summaries, STRIDE and element mappings are threatboard's own. Licence: LICENSE-MITRE.txt."
        ),
    };

    let mut header = vec![
        format!("MITRE CAPEC {version}, generated by `threatboard library import-stix` from MITRE's STIX bundle."),
        "Do not edit by hand: import a newer bundle instead. Deprecated and obsolete patterns are left".into(),
        "out, and so are CAPEC's mitigations (they have no ids of their own).".into(),
        copyright.clone(),
        "See LICENSE-MITRE.txt for MITRE's licence. Summaries are generated from the facts below, not".into(),
        "copied from MITRE's descriptions.".into(),
        String::new(),
        "STRIDE and element kinds (src/library/stix.rs), the union of: every entry applies to process;".into(),
        "the violated properties CAPEC lists (consequence scopes):".into(),
    ];
    for (scope, letter) in CAPEC_CONSEQUENCES {
        header.push(format!("  {scope} -> {}", letter.letter()));
    }
    header.push("the STRIDE and element kinds of linked ATT&CK techniques (from the loaded ATT&CK library);".into());
    header.push("the domains:".into());
    for (domain, kinds) in CAPEC_DOMAINS {
        let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        header.push(format!("  {domain} -> {}", kinds.join(", ")));
    }
    header
        .push("and words in the name (prefixes; log, logs, sql and dns whole words only):".into());
    for (key, letters, kinds) in NAME_KEYWORDS {
        let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        header.push(format!(
            "  {key} -> {}{}{}",
            letters,
            if letters.is_empty() || kinds.is_empty() {
                ""
            } else {
                "; "
            },
            kinds.join(", ")
        ));
    }

    header.push(
        "A pattern with none of these takes the STRIDE of its nearest parent that has some.".into(),
    );

    Imported {
        kind: SourceKind::Capec,
        data: LibraryData {
            library,
            entries,
            mitigations: Vec::new(),
        },
        header: header.join("\n"),
        warnings,
        stats,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A CAPEC bundle of `n` patterns, each the child of the one before (one chain, `n` deep),
    /// where only the root has STRIDE evidence, plus `n / 100` repeated ids. Before the import
    /// used sets and remembered inherited STRIDE, each of these cost a scan per pattern.
    fn capec_chain(n: usize) -> String {
        let mut objects = Vec::with_capacity(n + n / 100);
        for i in 0..n {
            let extra = if i == 0 {
                r#""x_capec_consequences": {"Confidentiality": ["Read Data"]}"#.to_string()
            } else {
                format!(r#""x_capec_child_of_refs": ["attack-pattern--{}"]"#, i - 1)
            };
            objects.push(format!(
                r#"{{"type": "attack-pattern", "id": "attack-pattern--{i}", "name": "Pattern {i}", "external_references": [{{"source_name": "capec", "external_id": "CAPEC-{i}"}}], {extra}}}"#
            ));
        }
        for i in 0..n / 100 {
            objects.push(format!(
                r#"{{"type": "attack-pattern", "id": "attack-pattern--dup{i}", "name": "Again {i}", "external_references": [{{"source_name": "capec", "external_id": "CAPEC-{i}"}}]}}"#
            ));
        }
        format!(
            r#"{{"type": "bundle", "objects": [{}]}}"#,
            objects.join(",\n")
        )
    }

    #[test]
    fn a_deep_capec_chain_with_repeated_ids_imports_in_linear_work() {
        // 100,000 patterns: about two seconds in a debug build when each step is a lookup; the
        // quadratic scans this guards against need some 10^10 steps, so a regression does not
        // finish.
        let n = 100_000;
        let imported = run(&capec_chain(n)).unwrap_or_else(|e| panic!("{e}"));
        let entries = &imported.data.entries;
        assert_eq!(entries.len(), n);
        assert!(
            entries.iter().all(|e| e.stride.to_string() == "I"),
            "every pattern inherits the root's STRIDE"
        );
        let repeated = imported
            .warnings
            .iter()
            .filter(|w| w.ends_with("appears twice; the first is kept"))
            .count();
        assert_eq!(repeated, n / 100);
    }

    /// An ATT&CK bundle of one technique and `n` mitigations, a tenth of them repeated ids.
    fn attack_with_mitigations(n: usize) -> String {
        let mut objects = vec![
            r#"{"type": "attack-pattern", "id": "attack-pattern--1", "name": "Technique", "external_references": [{"source_name": "mitre-attack", "external_id": "T1"}]}"#.to_string(),
        ];
        for i in 0..n {
            let id = if i % 10 == 9 { i - 1 } else { i };
            objects.push(format!(
                r#"{{"type": "course-of-action", "id": "course-of-action--{i}", "name": "Mitigation {i}", "external_references": [{{"source_name": "mitre-attack", "external_id": "M{id}"}}]}}"#
            ));
        }
        format!(
            r#"{{"type": "bundle", "objects": [{}]}}"#,
            objects.join(",\n")
        )
    }

    #[test]
    fn many_attack_mitigations_import_in_linear_work() {
        let n = 100_000;
        let imported = run(&attack_with_mitigations(n)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(imported.data.mitigations.len(), n - n / 10);
    }

    fn kept(json: &str) -> Kept<'_> {
        let bundle: Bundle<'_> = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}"));
        bundle.objects.unwrap_or_default()
    }

    /// Memory stays close to the input's size because only the objects and fields the
    /// importers use are kept, with strings borrowed from the input: this checks that the
    /// object types neither importer reads, the relationship kinds they do not follow, and
    /// revoked or deprecated objects are dropped while the bundle is read.
    #[test]
    fn only_the_objects_the_importers_use_are_kept() {
        let json = r#"{"type": "bundle", "objects": [
          {"type": "identity", "id": "identity--1", "name": "The MITRE Corporation"},
          {"type": "intrusion-set", "id": "intrusion-set--1", "name": "APT0",
           "external_references": [{"source_name": "mitre-attack", "external_id": "G0001"}]},
          {"type": "malware", "id": "malware--1", "name": "Thing", "x_mitre_platforms": ["Linux"]},
          {"type": "x-mitre-data-component", "id": "x-mitre-data-component--1", "name": "Process Creation"},
          {"type": "x-mitre-data-source", "id": "x-mitre-data-source--1", "name": "Process"},
          {"type": "marking-definition", "definition": {"tlp": "white"}},
          {"type": "marking-definition", "definition": {"statement": " Copyright 2099, The MITRE Corporation. "}},
          {"type": "marking-definition", "definition": {"statement": "Copyright, a later one"}},
          {"type": "x-mitre-collection", "x_mitre_version": "9.10"},
          {"type": "x-mitre-collection", "x_mitre_version": "9.9"},
          {"type": "x-mitre-matrix", "tactic_refs": ["x-mitre-tactic--1"]},
          {"type": "x-mitre-matrix", "revoked": true, "tactic_refs": ["x-mitre-tactic--1"]},
          {"type": "x-mitre-tactic", "id": "x-mitre-tactic--1", "name": "Execution", "x_mitre_shortname": "execution"},
          {"type": "x-mitre-tactic", "id": "x-mitre-tactic--2", "name": "No short name"},
          {"type": "attack-pattern", "id": "attack-pattern--1", "name": "Command \u0026 Scripting",
           "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "execution"}],
           "external_references": [{"source_name": "Someone 2020", "url": "https://example.com"},
                                   {"source_name": "mitre-attack", "external_id": " T1059 ", "url": "https://attack.mitre.org/techniques/T1059"}]},
          {"type": "attack-pattern", "id": "attack-pattern--2", "name": "Old", "revoked": true,
           "external_references": [{"source_name": "mitre-attack", "external_id": "T1000"}]},
          {"type": "attack-pattern", "id": "attack-pattern--3", "name": "No id"},
          {"type": "course-of-action", "id": "course-of-action--1", "name": "Audit",
           "external_references": [{"source_name": "mitre-attack", "external_id": "M1047"}]},
          {"type": "course-of-action", "id": "course-of-action--2", "name": "coa-66-0"},
          {"type": "course-of-action", "id": "course-of-action--3", "name": "Gone", "x_mitre_deprecated": true,
           "external_references": [{"source_name": "mitre-attack", "external_id": "M1000"}]},
          {"type": "relationship", "relationship_type": "mitigates", "source_ref": "course-of-action--1", "target_ref": "attack-pattern--1"},
          {"type": "relationship", "relationship_type": "mitigates", "revoked": true, "source_ref": "course-of-action--1", "target_ref": "attack-pattern--1"},
          {"type": "relationship", "relationship_type": "uses", "source_ref": "intrusion-set--1", "target_ref": "attack-pattern--1"},
          {"type": "relationship", "relationship_type": "detects", "source_ref": "x-mitre-data-component--1", "target_ref": "attack-pattern--1"},
          {"type": "relationship", "relationship_type": "subtechnique-of", "source_ref": "attack-pattern--1", "target_ref": "attack-pattern--0"}
        ]}"#;
        let kept = kept(json);
        assert_eq!(kept.read, 25);
        assert_eq!((kept.attack_ids, kept.capec_ids), (2, 0));
        assert_eq!((kept.skipped_attack, kept.skipped_capec), (1, 0));
        assert_eq!(kept.techniques.len(), 1);
        assert!(kept.patterns.is_empty());
        assert_eq!(kept.tactics.len(), 1);
        assert_eq!(kept.matrices.len(), 1);
        assert_eq!(kept.courses.len(), 1);
        let kinds: Vec<bool> = kept
            .relationships
            .iter()
            .map(|r| r.kind == RelationshipKind::Mitigates)
            .collect();
        assert_eq!(kinds, [true, false]);
        assert_eq!(
            kept.collection_version.as_ref().map(Text::as_str),
            Some("9.10")
        );
        assert_eq!(
            kept.copyright.as_ref().map(Text::as_str),
            Some("Copyright 2099, The MITRE Corporation.")
        );

        // Strings point into the input; only those with escapes are copies.
        let t = &kept.techniques[0];
        assert_eq!(t.id.as_str(), "T1059");
        assert!(
            matches!(t.id.0, Cow::Borrowed(_)),
            "trimmed, still borrowed"
        );
        assert!(matches!(t.url.0, Cow::Borrowed(_)));
        assert!(matches!(t.kill_chain_phases[0].1.0, Cow::Borrowed(_)));
        assert_eq!(t.name.as_str(), "Command & Scripting");
        assert!(matches!(t.name.0, Cow::Owned(_)));
        assert!(matches!(kept.relationships[0].source.0, Cow::Borrowed(_)));
    }

    #[test]
    fn capec_patterns_keep_their_cross_references_and_consequences() {
        let json = r#"{"type": "bundle", "objects": [
          {"type": "attack-pattern", "id": "attack-pattern--66", "name": "SQL Injection",
           "x_capec_consequences": {"Integrity": ["Modify Data"], "Other": [], "Confidentiality": null},
           "external_references": [{"source_name": "capec", "external_id": "CAPEC-66"},
                                   {"source_name": "reference-from-CAPEC", "external_id": "REF-1"},
                                   {"source_name": "CWE", "external_id": " 89 "},
                                   {"source_name": "cwe", "external_id": " "},
                                   {"source_name": "ATTACK", "external_id": "1190"}]},
          {"type": "attack-pattern", "id": "attack-pattern--9", "x_capec_status": "Obsolete",
           "external_references": [{"source_name": "capec", "external_id": "CAPEC-9"}]}
        ]}"#;
        let kept = kept(json);
        assert_eq!((kept.attack_ids, kept.capec_ids), (0, 2));
        assert_eq!(kept.skipped_capec, 1);
        assert!(kept.techniques.is_empty());
        let p = &kept.patterns[0];
        let refs: Vec<(bool, &str)> = p
            .references
            .iter()
            .map(|(s, id)| (*s == RefSource::Cwe, id.as_str()))
            .collect();
        assert_eq!(refs, [(true, "89"), (false, "1190")]);
        let scopes: Vec<&str> = CAPEC_CONSEQUENCES
            .iter()
            .enumerate()
            .filter(|(row, _)| p.consequences.contains(*row))
            .map(|(_, (scope, _))| *scope)
            .collect();
        assert_eq!(scopes, ["Confidentiality", "Integrity"]);
    }

    /// Objects no importer uses are still read in full, so a wrong type in one is reported at
    /// its place, as before they were dropped.
    #[test]
    fn wrong_types_in_dropped_objects_are_still_reported_where_they_are() {
        let e =
            run("{\"type\": \"bundle\", \"objects\": [\n  {\"type\": \"identity\", \"name\": 5}]}")
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
        assert!(
            e.starts_with("2:32: not a STIX bundle: invalid type: integer `5`, expected a string"),
            "{e}"
        );
        let e = run("{\"type\": \"bundle\", \"objects\": [{\"type\": \"relationship\", \"x_capec_consequences\": []}]}")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("invalid type: sequence, expected a map"), "{e}");
        let e = run("{\"type\": \"bundle\", \"objects\": {}}")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("invalid type: map, expected a sequence"), "{e}");
    }

    fn run(json: &str) -> Result<Imported, ImportError> {
        import(json.as_bytes(), &ImportOptions::default())
    }

    const TINY: &str = r#"{
      "type": "bundle", "id": "bundle--1", "spec_version": "2.0",
      "objects": [
        {"type": "x-mitre-collection", "id": "x-mitre-collection--1", "name": "Enterprise ATT&CK", "x_mitre_version": "9.9"},
        {"type": "marking-definition", "id": "marking-definition--1", "definition_type": "statement",
         "definition": {"statement": "Copyright 2015-2099, The MITRE Corporation."}},
        {"type": "x-mitre-matrix", "id": "x-mitre-matrix--1", "tactic_refs": ["x-mitre-tactic--ia", "x-mitre-tactic--pe"]},
        {"type": "x-mitre-tactic", "id": "x-mitre-tactic--pe", "name": "Privilege Escalation", "x_mitre_shortname": "privilege-escalation",
         "external_references": [{"source_name": "mitre-attack", "external_id": "TA0004"}]},
        {"type": "x-mitre-tactic", "id": "x-mitre-tactic--ia", "name": "Initial Access", "x_mitre_shortname": "initial-access",
         "external_references": [{"source_name": "mitre-attack", "external_id": "TA0001"}]},
        {"type": "attack-pattern", "id": "attack-pattern--p", "name": "Valid Accounts",
         "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "privilege-escalation"},
                               {"kill_chain_name": "mitre-attack", "phase_name": "initial-access"}],
         "x_mitre_platforms": ["Linux", "SaaS"],
         "external_references": [{"source_name": "mitre-attack", "external_id": "T1078", "url": "https://attack.mitre.org/techniques/T1078"}]},
        {"type": "attack-pattern", "id": "attack-pattern--c", "name": "Cloud Accounts", "x_mitre_is_subtechnique": true,
         "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "initial-access"}],
         "x_mitre_platforms": ["IaaS"],
         "external_references": [{"source_name": "mitre-attack", "external_id": "T1078.004"}]},
        {"type": "attack-pattern", "id": "attack-pattern--old", "name": "Old", "revoked": true,
         "external_references": [{"source_name": "mitre-attack", "external_id": "T1000"}]},
        {"type": "attack-pattern", "id": "attack-pattern--dep", "name": "Older", "x_mitre_deprecated": true,
         "external_references": [{"source_name": "mitre-attack", "external_id": "T1001"}]},
        {"type": "course-of-action", "id": "course-of-action--m", "name": "Multi-factor Authentication",
         "external_references": [{"source_name": "mitre-attack", "external_id": "M1032", "url": "https://attack.mitre.org/mitigations/M1032"}]},
        {"type": "relationship", "id": "relationship--1", "relationship_type": "mitigates",
         "source_ref": "course-of-action--m", "target_ref": "attack-pattern--c"},
        {"type": "relationship", "id": "relationship--2", "relationship_type": "mitigates",
         "source_ref": "course-of-action--m", "target_ref": "attack-pattern--old"}
      ]
    }"#;

    #[test]
    fn imports_techniques_parents_mitigations_and_facts() {
        let imported = run(TINY).unwrap_or_else(|e| panic!("{e}"));
        let data = &imported.data;
        assert_eq!(imported.kind, SourceKind::Attack);
        assert_eq!(data.library.id, "attack");
        assert_eq!(data.library.version, "9.9");
        assert!(
            data.library
                .attribution
                .starts_with("Copyright 2015-2099, The MITRE Corporation.")
        );
        let ids: Vec<&str> = data.entries.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["T1078", "T1078.004"]);
        assert_eq!(imported.stats.skipped, 2);
        let t = &data.entries[0];
        // Tactics in the matrix's order, not the object's.
        assert_eq!(t.tactics, ["initial-access", "privilege-escalation"]);
        assert_eq!(t.stride.to_string(), "SE");
        assert_eq!(
            t.applies_to,
            [ElementKind::Process, ElementKind::ExternalEntity]
        );
        assert_eq!(
            t.summary,
            "ATT&CK technique under Initial Access and Privilege Escalation, with 1 sub-technique; platforms: Linux and SaaS."
        );
        let sub = &data.entries[1];
        assert_eq!(sub.parent.as_deref(), Some("T1078"));
        assert_eq!(sub.mitigations, ["M1032"]);
        assert_eq!(sub.tags, ["valid accounts"]);
        assert_eq!(
            sub.summary,
            "ATT&CK sub-technique of T1078 (Valid Accounts) under Initial Access; platforms: IaaS."
        );
        assert_eq!(data.mitigations.len(), 1);
        assert_eq!(imported.stats.mitigation_links, 1);
        assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    }

    /// A damaged or hostile bundle: what a library cannot hold (control characters, direction
    /// overrides, blank names, ids that are not single words) is left out, and the library
    /// that comes out reads back.
    #[test]
    fn unreadable_text_is_left_out_and_the_library_reads_back() {
        let json = r#"{"type": "bundle", "objects": [
          {"type": "attack-pattern", "id": "attack-pattern--66", "name": "SQL Injection",
           "x_capec_domains": ["Software", "Hard\u202eware"],
           "external_references": [{"source_name": "capec", "external_id": "CAPEC-66"},
                                   {"source_name": "CWE", "external_id": "89\u001b[2J"},
                                   {"source_name": "CWE", "external_id": "74"}]},
          {"type": "attack-pattern", "id": "attack-pattern--67", "name": "Del",
           "x_capec_child_of_refs": ["attack-pattern--66"],
           "external_references": [{"source_name": "capec", "external_id": "\u007fAPEC-67"}]},
          {"type": "attack-pattern", "id": "attack-pattern--68", "name": "  ",
           "x_capec_child_of_refs": ["attack-pattern--66"],
           "external_references": [{"source_name": "capec", "external_id": "CAPEC-68"}]},
          {"type": "attack-pattern", "id": "attack-pattern--69", "name": "Two words",
           "x_capec_child_of_refs": ["attack-pattern--66"],
           "external_references": [{"source_name": "capec", "external_id": "CAPEC 69"}]},
          {"type": "attack-pattern", "id": "attack-pattern--70", "name": "Kept child",
           "x_capec_child_of_refs": ["attack-pattern--66"],
           "external_references": [{"source_name": "capec", "external_id": "CAPEC-70"}]}
        ]}"#;
        let imported = run(json).unwrap_or_else(|e| panic!("{e}"));
        let ids: Vec<&str> = imported
            .data
            .entries
            .iter()
            .map(|e| e.id.as_str())
            .collect();
        assert_eq!(ids, ["CAPEC-66", "CAPEC-70"]);
        let text = imported.to_toml().unwrap_or_default();
        assert!(
            text.contains("CWE-74") && !text.contains("CWE-89"),
            "{text}"
        );
        assert!(!text.contains("Hard"), "{text}");
        let lib = super::super::parse_library(&text, super::super::Origin::Text("gen".into()))
            .unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(lib.data(), imported.data);
    }

    #[test]
    fn output_round_trips_through_the_loader() {
        let imported = run(TINY).unwrap_or_else(|e| panic!("{e}"));
        let text = imported.to_toml().unwrap_or_default();
        assert!(
            text.starts_with("# MITRE ATT&CK Enterprise 9.9, generated"),
            "{text}"
        );
        let lib = super::super::parse_library(&text, super::super::Origin::Text("gen".into()))
            .unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(lib.data(), imported.data);
        assert_eq!(imported.to_toml().unwrap_or_default(), text);
    }

    #[test]
    fn ics_bundle_without_spec_version_and_unknown_tactic() {
        let json = r#"{"type": "bundle", "objects": [
          {"type": "attack-pattern", "id": "attack-pattern--1", "name": "Modify Parameter",
           "kill_chain_phases": [{"kill_chain_name": "mitre-ics-attack", "phase_name": "impair-process-control"},
                                 {"kill_chain_name": "mitre-ics-attack", "phase_name": "brand-new-tactic"},
                                 {"kill_chain_name": "lockheed-martin", "phase_name": "exploitation"}],
           "x_mitre_platforms": null,
           "external_references": [{"source_name": "mitre-attack", "external_id": "T0836"}],
           "modified": "2023-04-01T00:00:00.000Z"}
        ]}"#;
        let imported = run(json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(imported.data.library.id, "attack-ics");
        assert_eq!(imported.data.library.version, "2023-04-01");
        let e = &imported.data.entries[0];
        assert_eq!(e.tactics, ["brand-new-tactic", "impair-process-control"]);
        assert_eq!(e.stride.to_string(), "TD");
        assert!(
            e.summary
                .contains("under Brand New Tactic and Impair Process Control."),
            "{}",
            e.summary
        );
        let w = imported.warnings.join("\n");
        assert!(
            w.contains("tactic \"brand-new-tactic\" (1 technique) is not in the tactic table"),
            "{w}"
        );
        assert!(w.contains("kill chain \"lockheed-martin\""), "{w}");
        let with_id = import(
            json.as_bytes(),
            &ImportOptions {
                library_id: Some("ics".into()),
                attack: None,
            },
        );
        assert_eq!(
            with_id.map(|i| i.data.library.id).ok().as_deref(),
            Some("ics")
        );
    }

    #[test]
    fn malformed_bundles_are_clear_errors() {
        let e = run("{\"type\": \"bundle\",\n  \"objects\": [ {\"type\": \"x\", } ]}").err();
        let e = e.map(|e| e.to_string()).unwrap_or_default();
        assert!(e.starts_with("2:") && e.contains("invalid JSON"), "{e}");

        let e = run("[1, 2]")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.starts_with("1:") && e.contains("not a STIX bundle"),
            "{e}"
        );

        let e = run("{\"type\": \"report\", \"objects\": []}")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(
            e,
            "1:1: not a STIX bundle: the top-level type is \"report\", expected \"bundle\""
        );

        let e = run("{\"type\": \"bundle\"}")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("no \"objects\" array"), "{e}");

        let e = run("{\"type\": \"bundle\", \"objects\": [{\"type\": \"identity\"}]}").err();
        assert!(
            e.map(|e| e.message)
                .unwrap_or_default()
                .contains("no attack-pattern objects")
        );

        let e = run("").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.starts_with("1:1: invalid JSON"), "{e}");

        let e = run("{\"type\": \"bundle\", \"objects\": [{\"type\": \"attack-pattern\", \"revoked\": \"no\"}]}").err();
        assert!(
            e.map(|e| e.message)
                .unwrap_or_default()
                .starts_with("not a STIX bundle: invalid type")
        );

        // Columns count characters: "é" is two bytes.
        let e = run("{\"é\": ]")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.starts_with("1:7:"), "{e}");
    }

    #[test]
    fn capec_patterns_get_stride_from_properties_and_words() {
        let json = r#"{"type": "bundle", "objects": [
          {"type": "marking-definition", "definition": {"statement": "Copyright © 2007 - 2099, The MITRE Corporation."}},
          {"type": "attack-pattern", "id": "attack-pattern--66", "name": "SQL Injection", "x_capec_abstraction": "Standard",
           "x_capec_status": "Draft", "x_capec_version": "3.9", "x_capec_domains": ["Software"],
           "x_capec_child_of_refs": ["attack-pattern--248"],
           "x_capec_consequences": {"Confidentiality": ["Read Data"], "Integrity": ["Modify Data"]},
           "external_references": [{"source_name": "capec", "external_id": "CAPEC-66", "url": "https://capec.mitre.org/data/definitions/66.html"},
                                   {"source_name": "cwe", "external_id": "CWE-89"},
                                   {"source_name": "ATTACK", "external_id": "1190"}]},
          {"type": "attack-pattern", "id": "attack-pattern--248", "name": "Command Injection", "x_capec_abstraction": "Meta",
           "x_capec_status": "Stable", "x_capec_version": "3.9",
           "external_references": [{"source_name": "capec", "external_id": "CAPEC-248"}]},
          {"type": "attack-pattern", "id": "attack-pattern--9", "name": "DEPRECATED: Old", "x_capec_status": "Deprecated",
           "external_references": [{"source_name": "capec", "external_id": "CAPEC-9"}]},
          {"type": "course-of-action", "id": "course-of-action--1", "name": "coa-66-0"},
          {"type": "relationship", "relationship_type": "mitigates", "source_ref": "course-of-action--1", "target_ref": "attack-pattern--66"}
        ]}"#;
        let imported = run(json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(imported.kind, SourceKind::Capec);
        let d = &imported.data;
        assert_eq!(d.library.id, "capec");
        assert_eq!(d.library.version, "3.9");
        assert!(d.mitigations.is_empty());
        let ids: Vec<&str> = d.entries.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["CAPEC-66", "CAPEC-248"]);
        let sqli = &d.entries[0];
        assert_eq!(sqli.parent.as_deref(), Some("CAPEC-248"));
        assert_eq!(sqli.stride.to_string(), "TIE");
        assert_eq!(
            sqli.applies_to,
            [ElementKind::Process, ElementKind::DataStore]
        );
        assert_eq!(sqli.cwes, ["CWE-89"]);
        assert_eq!(sqli.related, ["attack:T1190"]);
        assert_eq!(
            sqli.tags,
            ["CWE-89", "T1190", "software", "sqli", "standard"]
        );
        assert_eq!(
            sqli.summary,
            "CAPEC standard attack pattern under CAPEC-248 (Command Injection); domains: Software; violates confidentiality and integrity; weaknesses: CWE-89; ATT&CK: T1190."
        );
        assert_eq!(imported.stats.skipped, 1);
    }

    #[test]
    fn patterns_without_evidence_inherit_the_nearest_ancestors_stride() {
        let e = |id: &str, parent: Option<&str>, stride: &str| Entry {
            id: id.into(),
            parent: parent.map(Into::into),
            stride: StrideSet::parse(stride),
            ..Entry::default()
        };
        let mut entries = vec![
            e("C", Some("B"), ""),
            e("B", Some("A"), ""),
            e("A", None, "TI"),
            e("X", Some("Y"), ""),
            e("Y", Some("X"), ""),
            e("D", Some("A"), "S"),
        ];
        inherit_stride(&mut entries);
        let got: Vec<String> = entries.iter().map(|e| e.stride.to_string()).collect();
        assert_eq!(got, ["TI", "TI", "TI", "", "", "S"]);
    }

    #[test]
    fn keyword_and_abbreviation_tables() {
        let (s, k) = name_keywords("Log Injection-Tampering-Forging");
        assert_eq!(s.to_string(), "STRE");
        assert!(k.contains(&ElementKind::DataStore));
        let (s, _) = name_keywords("Login Logic");
        assert!(s.is_empty(), "{s}");
        assert_eq!(
            abbreviation_tags("Adversary-in-the-Middle"),
            ["aitm", "mitm"]
        );
        assert_eq!(abbreviation_tags("XML External Entities Blowup"), ["xxe"]);
        assert!(abbreviation_tags("Bosql injection").is_empty());
        assert_eq!(
            and_list(&["a".into(), "b".into(), "c".into()]),
            "a, b and c"
        );
        assert_eq!(
            short_list(&["a".into(), "b".into(), "c".into()], 2),
            "a, b and 1 more"
        );
    }
}
