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
//! The bundle is read into memory once and parsed with serde into structs holding only the
//! fields used (everything else is skipped without being built), which keeps the 50 MB
//! Enterprise bundle well under a second.

use super::Library;
use super::format::{Entry, LibraryData, LibraryInfo, MitigationInfo, natural_cmp};
use crate::model::{ElementKind, Stride, StrideSet};
use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};
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

fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Bundle {
    #[serde(rename = "type", deserialize_with = "null_default")]
    kind: String,
    objects: Option<Vec<StixObject>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StixObject {
    #[serde(rename = "type", deserialize_with = "null_default")]
    kind: String,
    #[serde(deserialize_with = "null_default")]
    id: String,
    #[serde(deserialize_with = "null_default")]
    name: String,
    #[serde(deserialize_with = "null_default")]
    modified: String,
    #[serde(deserialize_with = "null_default")]
    revoked: bool,
    #[serde(deserialize_with = "null_default")]
    x_mitre_deprecated: bool,
    #[serde(deserialize_with = "null_default")]
    x_mitre_is_subtechnique: bool,
    #[serde(deserialize_with = "null_default")]
    external_references: Vec<ExternalRef>,
    #[serde(deserialize_with = "null_default")]
    kill_chain_phases: Vec<KillChainPhase>,
    #[serde(deserialize_with = "null_default")]
    x_mitre_platforms: Vec<String>,
    #[serde(deserialize_with = "null_default")]
    x_mitre_shortname: String,
    #[serde(deserialize_with = "null_default")]
    x_mitre_version: String,
    #[serde(deserialize_with = "null_default")]
    x_mitre_domains: Vec<String>,
    #[serde(deserialize_with = "null_default")]
    tactic_refs: Vec<String>,
    #[serde(deserialize_with = "null_default")]
    relationship_type: String,
    #[serde(deserialize_with = "null_default")]
    source_ref: String,
    #[serde(deserialize_with = "null_default")]
    target_ref: String,
    #[serde(deserialize_with = "null_default")]
    x_capec_status: String,
    #[serde(deserialize_with = "null_default")]
    x_capec_abstraction: String,
    #[serde(deserialize_with = "null_default")]
    x_capec_version: String,
    #[serde(deserialize_with = "null_default")]
    x_capec_child_of_refs: Vec<String>,
    #[serde(deserialize_with = "null_default")]
    x_capec_domains: Vec<String>,
    #[serde(deserialize_with = "null_default")]
    x_capec_consequences: BTreeMap<String, IgnoredAny>,
    #[serde(deserialize_with = "null_default")]
    definition: Definition,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ExternalRef {
    #[serde(deserialize_with = "null_default")]
    source_name: String,
    #[serde(deserialize_with = "null_default")]
    external_id: String,
    #[serde(deserialize_with = "null_default")]
    url: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct KillChainPhase {
    #[serde(deserialize_with = "null_default")]
    kill_chain_name: String,
    #[serde(deserialize_with = "null_default")]
    phase_name: String,
}

/// A marking definition; only statement markings (MITRE's copyright line) are of interest.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Definition {
    #[serde(deserialize_with = "null_default")]
    statement: String,
}

impl StixObject {
    /// Revoked and deprecated objects are history, not current knowledge.
    fn is_active(&self) -> bool {
        !self.revoked
            && !self.x_mitre_deprecated
            && !matches!(self.x_capec_status.as_str(), "Deprecated" | "Obsolete")
    }

    /// The id MITRE gives the object in a source (`mitre-attack`, `capec`), and its URL.
    fn external(&self, source: &str) -> Option<&ExternalRef> {
        self.external_references.iter().find(|r| {
            r.source_name.eq_ignore_ascii_case(source) && !r.external_id.trim().is_empty()
        })
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
    if bundle.kind != "bundle" {
        return Err(at_start(if bundle.kind.is_empty() {
            "not a STIX bundle: the top-level object has no \"type\": \"bundle\"".to_string()
        } else {
            format!(
                "not a STIX bundle: the top-level type is {:?}, expected \"bundle\"",
                crate::model::text::escape_control(&bundle.kind)
            )
        }));
    }
    let objects = bundle
        .objects
        .ok_or_else(|| at_start("not a STIX bundle: no \"objects\" array".to_string()))?;

    let mut attack_ids = 0usize;
    let mut capec_ids = 0usize;
    for o in objects.iter().filter(|o| o.kind == "attack-pattern") {
        if o.external("mitre-attack").is_some() {
            attack_ids += 1;
        } else if o.external("capec").is_some() {
            capec_ids += 1;
        }
    }
    if attack_ids == 0 && capec_ids == 0 {
        return Err(at_start(
            "the bundle has no attack-pattern objects with an ATT&CK or CAPEC id; is it an ATT&CK or CAPEC STIX bundle?"
                .to_string(),
        ));
    }
    let mut imported = if attack_ids >= capec_ids {
        import_attack(&objects)
    } else {
        import_capec(&objects, options)
    };
    if imported.data.entries.is_empty() {
        return Err(at_start(
            "every attack-pattern in the bundle is revoked or deprecated; nothing to import"
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

/// The copyright statement of the bundle's statement marking (MITRE's copyright line).
fn copyright_line(objects: &[StixObject]) -> Option<String> {
    objects
        .iter()
        .filter(|o| o.kind == "marking-definition")
        .map(|o| o.definition.statement.trim())
        .find(|s| s.to_lowercase().contains("copyright"))
        .map(str::to_string)
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
    object: &'a StixObject,
    id: String,
    url: String,
}

fn import_attack(objects: &[StixObject]) -> Imported {
    let mut warnings = Vec::new();
    let mut stats = ImportStats::default();

    // Which ATT&CK: the kill chain most techniques use, else the domains they list.
    let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
    for o in objects
        .iter()
        .filter(|o| o.kind == "attack-pattern" && o.is_active())
    {
        for p in &o.kill_chain_phases {
            *votes.entry(p.kill_chain_name.as_str()).or_default() += 1;
        }
        for d in &o.x_mitre_domains {
            *votes.entry(d.as_str()).or_default() += 1;
        }
    }
    let domain = votes
        .iter()
        .filter_map(|(name, n)| Domain::of(name).map(|d| (n, d)))
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
    for o in objects
        .iter()
        .filter(|o| o.kind == "x-mitre-tactic" && o.is_active())
    {
        if o.x_mitre_shortname.is_empty() {
            continue;
        }
        tactic_names.insert(o.x_mitre_shortname.clone(), o.name.clone());
        tactic_by_stix.insert(o.id.as_str(), o.x_mitre_shortname.as_str());
        let ta = o
            .external("mitre-attack")
            .map(|r| r.external_id.clone())
            .unwrap_or_default();
        tactic_rank.insert(o.x_mitre_shortname.clone(), (usize::MAX, ta));
    }
    let mut position = 0usize;
    for m in objects
        .iter()
        .filter(|o| o.kind == "x-mitre-matrix" && o.is_active())
    {
        for r in &m.tactic_refs {
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
    for o in objects.iter().filter(|o| o.kind == "attack-pattern") {
        let Some(ext) = o.external("mitre-attack") else {
            continue;
        };
        if !o.is_active() {
            stats.skipped += 1;
            continue;
        }
        let id = ext.external_id.trim().to_string();
        if by_id.contains_key(&id) {
            warnings.push(format!("technique {id} appears twice; the first is kept"));
            continue;
        }
        if o.x_mitre_is_subtechnique || id.contains('.') {
            stats.children += 1;
        } else {
            stats.top_level += 1;
        }
        by_stix.insert(o.id.as_str(), techniques.len());
        by_id.insert(id.clone(), techniques.len());
        techniques.push(Technique {
            object: o,
            id,
            url: ext.url.clone(),
        });
    }

    // Parents: the relationship, else the id before the dot.
    let mut parent: Vec<Option<usize>> = vec![None; techniques.len()];
    for r in objects
        .iter()
        .filter(|o| o.kind == "relationship" && o.is_active())
    {
        if r.relationship_type == "subtechnique-of"
            && let (Some(&child), Some(&p)) = (
                by_stix.get(r.source_ref.as_str()),
                by_stix.get(r.target_ref.as_str()),
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
        if parent[i].is_none() && t.object.x_mitre_is_subtechnique {
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
    for o in objects
        .iter()
        .filter(|o| o.kind == "course-of-action" && o.is_active())
    {
        if let Some(ext) = o.external("mitre-attack") {
            let id = ext.external_id.trim().to_string();
            if !mitigation_ids.insert(id.clone()) {
                continue;
            }
            mitigation_by_stix.insert(o.id.as_str(), id.clone());
            mitigations.push(MitigationInfo {
                id,
                name: o.name.clone(),
                url: ext.url.clone(),
            });
        }
    }
    mitigations.sort_by(|a, b| natural_cmp(&a.id, &b.id));
    let mut technique_mitigations: Vec<Vec<String>> = vec![Vec::new(); techniques.len()];
    for r in objects
        .iter()
        .filter(|o| o.kind == "relationship" && o.is_active())
    {
        if r.relationship_type == "mitigates"
            && let (Some(m), Some(&t)) = (
                mitigation_by_stix.get(r.source_ref.as_str()),
                by_stix.get(r.target_ref.as_str()),
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
        for p in &o.kill_chain_phases {
            if !is_attack_kill_chain(&p.kill_chain_name) {
                other_kill_chains.insert(p.kill_chain_name.clone());
                continue;
            }
            let phase = p.phase_name.trim();
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
        for p in &o.x_mitre_platforms {
            let p = p.trim();
            if !p.is_empty() && !platforms.iter().any(|x| x == p) {
                platforms.push(p.to_string());
            }
            if let Some((_, ks, _)) = PLATFORMS.iter().find(|row| row.0.eq_ignore_ascii_case(p)) {
                kinds.extend(ks.iter().copied());
            }
        }

        let parent_tech = parent[i].and_then(|p| techniques.get(p));
        let mut tags = abbreviation_tags(&o.name);
        if let Some(p) = parent_tech {
            // So that searching the technique's name also finds its sub-techniques.
            tags.push(p.object.name.to_lowercase());
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
            name: o.name.clone(),
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
    let version = objects
        .iter()
        .filter(|o| o.kind == "x-mitre-collection" && !o.x_mitre_version.trim().is_empty())
        .map(|o| o.x_mitre_version.trim().to_string())
        .max_by(|a, b| natural_cmp(a, b))
        .unwrap_or_else(|| {
            let newest = techniques
                .iter()
                .map(|t| t.object.modified.get(..10).unwrap_or(""))
                .max()
                .unwrap_or("")
                .to_string();
            warnings.push(format!(
                "the bundle has no x-mitre-collection version; using the newest modification date {newest:?} as the version"
            ));
            newest
        });

    let copyright =
        copyright_line(objects).unwrap_or_else(|| "© The MITRE Corporation.".to_string());
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

fn import_capec(objects: &[StixObject], options: &ImportOptions<'_>) -> Imported {
    let mut warnings = Vec::new();
    let mut stats = ImportStats::default();

    let mut patterns: Vec<(&StixObject, String, String)> = Vec::new();
    let mut by_stix: HashMap<&str, usize> = HashMap::new();
    // A set, not a scan of `patterns`: a scan per pattern made large bundles quadratic.
    let mut seen: HashSet<String> = HashSet::new();
    for o in objects.iter().filter(|o| o.kind == "attack-pattern") {
        let Some(ext) = o.external("capec") else {
            continue;
        };
        if !o.is_active() {
            stats.skipped += 1;
            continue;
        }
        let id = ext.external_id.trim().to_string();
        if !seen.insert(id.clone()) {
            warnings.push(format!("pattern {id} appears twice; the first is kept"));
            continue;
        }
        by_stix.insert(o.id.as_str(), patterns.len());
        patterns.push((o, id, ext.url.clone()));
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
            .x_capec_child_of_refs
            .iter()
            .find_map(|r| by_stix.get(r.as_str()))
            .and_then(|&p| patterns.get(p))
            .filter(|(_, pid, _)| pid != id);

        let mut cwes: Vec<String> = Vec::new();
        let mut attack: Vec<String> = Vec::new();
        for r in &o.external_references {
            let ext = r.external_id.trim();
            if ext.is_empty() {
                continue;
            }
            if r.source_name.eq_ignore_ascii_case("cwe") {
                cwes.push(if ext.to_ascii_uppercase().starts_with("CWE-") {
                    ext.to_ascii_uppercase()
                } else {
                    format!("CWE-{ext}")
                });
            } else if r.source_name.eq_ignore_ascii_case("attack") {
                attack.push(if ext.starts_with(|c: char| c.is_ascii_digit()) {
                    format!("T{ext}")
                } else {
                    ext.to_ascii_uppercase()
                });
            }
        }
        sort_dedup(&mut cwes);
        sort_dedup(&mut attack);

        // STRIDE: the properties CAPEC says the attack violates, the linked ATT&CK techniques'
        // STRIDE, and the name's keywords.
        let mut stride = StrideSet::empty();
        let mut properties: Vec<String> = Vec::new();
        for (scope, letter) in CAPEC_CONSEQUENCES {
            if o.x_capec_consequences.contains_key(*scope) {
                stride.insert(*letter);
                let property = letter.property().to_string();
                if !properties.contains(&property) {
                    properties.push(property);
                }
            }
        }
        let (name_stride, name_kinds) = name_keywords(&o.name);
        stride = stride.union(&name_stride);
        let mut kinds: BTreeSet<ElementKind> = BTreeSet::from([ElementKind::Process]);
        kinds.extend(name_kinds);
        for d in &o.x_capec_domains {
            if let Some((_, ks)) = CAPEC_DOMAINS
                .iter()
                .find(|row| row.0.eq_ignore_ascii_case(d))
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

        let abstraction = o.x_capec_abstraction.trim().to_lowercase();
        let mut tags = abbreviation_tags(&o.name);
        if !abstraction.is_empty() {
            tags.push(abstraction.clone());
        }
        tags.extend(
            o.x_capec_domains
                .iter()
                .map(|d| words(d).join("-"))
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
        if !o.x_capec_domains.is_empty() {
            facts.push(format!("domains: {}", and_list(&o.x_capec_domains)));
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
            name: o.name.clone(),
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
        .map(|(o, _, _)| o.x_capec_version.trim())
        .filter(|v| !v.is_empty())
        .max_by(|a, b| natural_cmp(a, b))
        .unwrap_or("unknown")
        .to_string();
    let copyright =
        copyright_line(objects).unwrap_or_else(|| "© The MITRE Corporation.".to_string());
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
