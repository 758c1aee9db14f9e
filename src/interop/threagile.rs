//! Importing Threagile models (YAML) as a threatboard session. Threagile describes the system in
//! more detail than a session holds (CIA ratings, machine types, shared runtimes...) and computes
//! its risks itself; what has no place in a session is reported as a warning, never dropped
//! silently.
//!
//! How the model maps:
//!
//! - `title` is the title; the `application_description`, `business_overview` and
//!   `technical_overview` descriptions are the description.
//! - `technical_assets` become components: `type` gives the kind, `technology` a word of the
//!   technology vocabulary where one fits (otherwise it stays in the notes, with a warning),
//!   `out_of_scope` with `justification_out_of_scope` the out-of-scope reason, `internet: true`
//!   the `internet-facing` tag, Threagile's own tags stay tags, `data_assets_processed` and
//!   `data_assets_stored` the component's assets.
//! - `trust_boundaries` become boundaries, nested by `trust_boundaries_nested`; a component's
//!   boundary is the one that lists it in `technical_assets_inside`.
//! - `communication_links` (under each technical asset) become flows from that asset: protocol as
//!   written; authentication `none` is "not authenticated", any other value "authenticated", none
//!   given "unknown"; encryption follows from the protocol (`https`, `*-encrypted`, `ssh`... yes;
//!   `http`, `jdbc`... no; `unknown-protocol`, in-process calls... unknown); the data sent and
//!   received are the flow's assets.
//! - `data_assets` become assets. Threagile has five confidentiality levels and a session four;
//!   they map by rank, not by name: public and internal stay, Threagile's `restricted` (the level
//!   between internal and confidential) and `confidential` become confidential, and
//!   `strictly-confidential` becomes restricted (the session's highest).
//! - Risks of `individual_risk_categories` (a mapping; newer models' `custom_risk_categories` is
//!   a list) become threats on their most relevant technical asset
//!   or link, with STRIDE from the category and likelihood / impact from the exploitation ratings.
//!   `risk_tracking` gives threats their status: `accepted` an acceptance (justification, accepted
//!   by `checked_by`), `mitigated` resolved, `false-positive` not applicable, `in-progress` open
//!   with a note. A tracked risk of one of Threagile's built-in rules becomes a threat of its own
//!   on the element its id names; one that names no element (only wildcards) is reported.
//!   Every threat keeps its Threagile risk id in its notes (`Threagile risk: <id>`), so a
//!   re-import can match it; threats are numbered in the order of those ids, so the numbering
//!   does not follow the file's order.

use crate::model::text::escape_control;
use crate::model::{
    Acceptance, Asset, AssetId, Boundary, BoundaryId, Classification, Component, ComponentKind,
    ElementId, Flow, Mitigation, MitigationId, MitigationStatus, Rating, Response, Session, Stride,
    StrideSet, Technology, Threat, ThreatId, ThreatStatus, slugify,
};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

/// Threagile models are hand-written YAML of some hundred kilobytes; 8 MB is far more than any
/// real one, and keeps a hostile file's parse short.
pub const MAX_MODEL_BYTES: usize = 8 * 1024 * 1024;

/// Marks a threat's Threagile risk id in its notes, for a re-import to match.
pub const RISK_ID_NOTE: &str = "Threagile risk: ";

/// A session made from a Threagile model, and what could not be carried over.
#[derive(Debug, Clone)]
pub struct Imported {
    pub session: Session,
    /// One line each, without a `warning:` prefix.
    pub warnings: Vec<String>,
}

/// Why a file could not be read as a Threagile model, with its position when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for ImportError {}

/// Reads a Threagile model. Aliases, nesting depth and node counts are bounded by the YAML
/// parser's budget (serde-saphyr's defaults: at most a million replayed alias events, depth 64,
/// 250,000 nodes), so an alias bomb is an error, not an out-of-memory.
pub fn import(bytes: &[u8]) -> Result<Imported, ImportError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let before = &bytes[..e.valid_up_to()];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        ImportError {
            line,
            column: 1,
            message: "not UTF-8 text: a Threagile model is YAML".to_string(),
        }
    })?;
    let root: Value = serde_saphyr::from_str(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line() as usize, l.column() as usize))
            .unwrap_or((1, 1));
        // The first line of the message; the rest is a source snippet.
        let message = e.without_snippet().to_string();
        let message = message.lines().next().unwrap_or("invalid YAML").to_string();
        ImportError {
            line,
            column,
            message,
        }
    })?;
    let Value::Object(root) = root else {
        return Err(ImportError {
            line: 1,
            column: 1,
            message: "not a Threagile model: expected a mapping with technical_assets".to_string(),
        });
    };
    Ok(Importer::default().run(&root))
}

#[derive(Default)]
struct Importer {
    session: Option<Session>,
    warnings: Vec<String>,
    /// Element ids already taken (components and flows share one set).
    taken: HashSet<String>,
    /// Threagile asset id -> component id.
    components: HashMap<String, ElementId>,
    /// Threagile link id (`source>link-title`, lowercase) -> flow id.
    links: HashMap<String, ElementId>,
    assets: HashSet<String>,
    /// Fields seen and not carried over, per section, with how often.
    unmapped: BTreeMap<&'static str, BTreeMap<String, usize>>,
}

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

fn flag(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.trim().eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| text(Some(i)))
            .filter(|s| !s.is_empty())
            .collect(),
        Some(Value::String(s)) if !s.trim().is_empty() => vec![s.trim().to_string()],
        _ => Vec::new(),
    }
}

/// The entries of a YAML mapping of named objects (`data_assets`, `technical_assets`...), in file
/// order; a missing or empty section is none.
fn named(v: Option<&Value>) -> Vec<(&String, &Map<String, Value>)> {
    match v {
        Some(Value::Object(m)) => m
            .iter()
            .filter_map(|(k, v)| v.as_object().map(|o| (k, o)))
            .collect(),
        _ => Vec::new(),
    }
}

/// One line: control characters made visible, so a hostile name cannot span lines.
fn one_line(s: &str) -> String {
    let joined: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    escape_control(&joined).into_owned()
}

fn push_paragraph(notes: &mut String, text: &str) {
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    if !notes.is_empty() {
        notes.push_str("\n\n");
    }
    notes.push_str(text);
}

/// Risk categories: `individual_risk_categories` is a mapping of named categories; newer
/// models' `custom_risk_categories` is a list, each named by its `title` (or `id`).
fn categories(v: Option<&Value>) -> Vec<(String, &Map<String, Value>)> {
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_object)
            .map(|o| {
                let title = text(o.get("title"));
                (
                    if title.is_empty() {
                        text(o.get("id"))
                    } else {
                        title
                    },
                    o,
                )
            })
            .collect(),
        _ => named(v).into_iter().map(|(k, o)| (k.clone(), o)).collect(),
    }
}

/// Strips the `<b>` markup Threagile puts in risk titles.
fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    one_line(&out)
}

/// An id acceptable to a session (`id_syntax_problem`): Threagile's own when it is, else a slug.
fn clean_id(raw: &str, fallback: &str) -> String {
    if crate::model::id_syntax_problem(raw).is_none() {
        return raw.to_string();
    }
    let slug = slugify(raw);
    if slug.is_empty() {
        slugify(fallback)
    } else {
        slug
    }
}

fn classification(level: &str) -> Option<Classification> {
    Some(match level {
        "public" => Classification::Public,
        "internal" => Classification::Internal,
        "restricted" | "confidential" => Classification::Confidential,
        "strictly-confidential" => Classification::Restricted,
        _ => return None,
    })
}

/// Threagile's technology words that have a word in our vocabulary.
fn technology(word: &str) -> Option<Technology> {
    use Technology::*;
    Some(match word {
        "browser" => Browser,
        "desktop" | "devops-client" | "cli" | "tool" | "client-system" => DesktopApp,
        "mobile-app" => MobileApp,
        "iot-device" => IotDevice,
        "web-server" => WebServer,
        "web-application" | "application-server" | "cms" => WebApp,
        "web-service-rest" | "web-service-soap" | "ejb" => Api,
        "gateway" => ApiGateway,
        "reverse-proxy" => ReverseProxy,
        "load-balancer" => LoadBalancer,
        "waf" => Waf,
        "identity-provider" | "ldap-server" | "identity-store-ldap" => IdentityProvider,
        "vault" | "hsm" => SecretsVault,
        "database" | "identity-store-database" => Database,
        "file-server" | "local-file-system" | "block-storage" => FileStorage,
        "data-lake" => ObjectStorage,
        "search-index" | "search-engine" => SearchIndex,
        "message-queue" | "stream-processing" => MessageQueue,
        "monitoring" => Monitoring,
        "ai" => MlModel,
        "build-pipeline" => CiPipeline,
        "sourcecode-repository" => SourceRepository,
        "artifact-registry" => ArtifactRegistry,
        "container-platform" => ContainerPlatform,
        "function" => ServerlessFunction,
        "batch-processing" | "scheduler" | "task" => BatchJob,
        "mail-server" => EmailOrSmsProvider,
        _ => return None,
    })
}

/// Whether a Threagile protocol encrypts in transit; `None` when it does not say (unknown, or
/// not a network protocol at all).
fn protocol_encrypted(protocol: &str) -> Option<bool> {
    if protocol.ends_with("-encrypted") {
        return Some(true);
    }
    match protocol {
        "https" | "wss" | "ssh" | "ssh-tunnel" | "ftps" | "sftp" | "scp" | "ldaps" => Some(true),
        "http"
        | "ws"
        | "reverse-proxy-web-protocol"
        | "mqtt"
        | "jdbc"
        | "odbc"
        | "sql-access-protocol"
        | "nosql-access-protocol"
        | "binary"
        | "text"
        | "smtp"
        | "pop3"
        | "imap"
        | "ftp"
        | "ldap"
        | "jms"
        | "nfs"
        | "smb"
        | "nrpe"
        | "xmpp"
        | "iiop"
        | "jrmp" => Some(false),
        _ => None,
    }
}

fn stride_of(word: &str) -> Option<Stride> {
    Some(match word {
        "spoofing" => Stride::Spoofing,
        "tampering" => Stride::Tampering,
        "repudiation" => Stride::Repudiation,
        "information-disclosure" => Stride::InformationDisclosure,
        "denial-of-service" => Stride::DenialOfService,
        "elevation-of-privilege" => Stride::ElevationOfPrivilege,
        _ => return None,
    })
}

fn likelihood(word: &str) -> Option<Rating> {
    Some(match word {
        "unlikely" => Rating::LOW,
        "likely" => Rating::MEDIUM,
        "very-likely" | "frequent" => Rating::HIGH,
        _ => return None,
    })
}

fn impact(word: &str) -> Option<Rating> {
    Some(match word {
        "low" => Rating::LOW,
        "medium" => Rating::MEDIUM,
        "high" | "very-high" => Rating::HIGH,
        _ => return None,
    })
}

/// The STRIDE category of each of Threagile's built-in risk rules (from its rule definitions),
/// for threats made from the risk tracking of those rules.
const BUILTIN_STRIDE: &[(&str, char)] = &[
    ("accidental-secret-leak", 'I'),
    ("code-backdooring", 'T'),
    ("container-baseimage-backdooring", 'T'),
    ("container-platform-escape", 'E'),
    ("cross-site-request-forgery", 'S'),
    ("cross-site-scripting", 'T'),
    ("dos-risky-access-across-trust-boundary", 'D'),
    ("incomplete-model", 'I'),
    ("ldap-injection", 'T'),
    ("missing-authentication-second-factor", 'E'),
    ("missing-authentication", 'E'),
    ("missing-build-infrastructure", 'T'),
    ("missing-cloud-hardening", 'T'),
    ("missing-file-validation", 'S'),
    ("missing-hardening", 'T'),
    ("missing-identity-propagation", 'E'),
    ("missing-identity-provider-isolation", 'E'),
    ("missing-identity-store", 'S'),
    ("missing-network-segmentation", 'E'),
    ("missing-vault-isolation", 'E'),
    ("missing-vault", 'I'),
    ("missing-waf", 'T'),
    ("mixed-targets-on-shared-runtime", 'E'),
    ("path-traversal", 'I'),
    ("push-instead-of-pull-deployment", 'T'),
    ("search-query-injection", 'T'),
    ("server-side-request-forgery", 'I'),
    ("service-registry-poisoning", 'S'),
    ("sql-nosql-injection", 'T'),
    ("unchecked-deployment", 'T'),
    ("unencrypted-asset", 'I'),
    ("unencrypted-communication", 'I'),
    ("unguarded-access-from-internet", 'E'),
    ("unguarded-direct-datastore-access", 'E'),
    ("unnecessary-communication-link", 'E'),
    ("unnecessary-data-asset", 'E'),
    ("unnecessary-data-transfer", 'E'),
    ("unnecessary-technical-asset", 'E'),
    ("untrusted-deserialization", 'T'),
    ("wrong-communication-link-content", 'I'),
    ("wrong-trust-boundary-content", 'E'),
    ("xml-external-entity", 'I'),
];

fn builtin_stride(category: &str) -> StrideSet {
    BUILTIN_STRIDE
        .iter()
        .filter(|(id, _)| *id == category)
        .filter_map(|(_, letter)| Stride::from_letter(*letter))
        .collect()
}

/// Whether a risk-tracking id (parts may be `*`) matches a risk's synthetic id.
fn tracking_matches(pattern: &str, id: &str) -> bool {
    let p: Vec<&str> = pattern.split('@').collect();
    let i: Vec<&str> = id.split('@').collect();
    p.len() == i.len() && p.iter().zip(&i).all(|(p, i)| *p == "*" || p == i)
}

/// A threat being built, keyed by its Threagile risk id.
struct Draft {
    risk_id: String,
    threat: Threat,
    /// What risk tracking adds once the threat has its id.
    outcome: Outcome,
}

enum Outcome {
    None,
    Accepted { justification: String, by: String },
    Mitigated { ticket: String },
}

const TOP_KEYS: &[&str] = &[
    "title",
    "business_overview",
    "technical_overview",
    "technical_assets",
    "trust_boundaries",
    "data_assets",
    "individual_risk_categories",
    "custom_risk_categories",
    "application_description",
    "risk_tracking",
];
const ASSET_KEYS: &[&str] = &[
    "id",
    "description",
    "type",
    "technology",
    "technologies",
    "tags",
    "internet",
    "out_of_scope",
    "justification_out_of_scope",
    "encryption",
    "data_assets_processed",
    "data_assets_stored",
    "communication_links",
];
const LINK_KEYS: &[&str] = &[
    "target",
    "description",
    "protocol",
    "authentication",
    "tags",
    "vpn",
    "ip_filtered",
    "readonly",
    "data_assets_sent",
    "data_assets_received",
];
const DATA_KEYS: &[&str] = &["id", "description", "confidentiality"];
const BOUNDARY_KEYS: &[&str] = &[
    "id",
    "description",
    "type",
    "tags",
    "technical_assets_inside",
    "trust_boundaries_nested",
];

impl Importer {
    /// Notes the keys of `map` that are not carried over, for one summary warning per section.
    fn note_unmapped(&mut self, section: &'static str, map: &Map<String, Value>, known: &[&str]) {
        for (k, v) in map {
            let empty = matches!(v, Value::Null)
                || matches!(v, Value::Array(a) if a.is_empty())
                || matches!(v, Value::String(s) if s.trim().is_empty());
            if !known.contains(&k.as_str()) && !empty {
                *self
                    .unmapped
                    .entry(section)
                    .or_default()
                    .entry(one_line(k))
                    .or_default() += 1;
            }
        }
    }

    fn unique(&mut self, base: &str) -> String {
        let base = if base.is_empty() { "element" } else { base };
        let mut id = base.to_string();
        let mut n = 2;
        while self.taken.contains(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        self.taken.insert(id.clone());
        id
    }

    fn run(mut self, root: &Map<String, Value>) -> Imported {
        self.note_unmapped("the model", root, TOP_KEYS);
        let title = one_line(&text(root.get("title")));
        let mut session = Session::new(if title.is_empty() {
            "Imported from Threagile".to_string()
        } else {
            title
        });
        for key in [
            "application_description",
            "business_overview",
            "technical_overview",
        ] {
            if let Some(Value::Object(o)) = root.get(key) {
                push_paragraph(&mut session.description, &text(o.get("description")));
            }
        }
        self.session = Some(session);
        self.data_assets(root.get("data_assets"));
        self.technical_assets(root.get("technical_assets"));
        self.boundaries(root.get("trust_boundaries"));
        let mut drafts = self.individual_risks(root.get("individual_risk_categories"));
        drafts.extend(self.individual_risks(root.get("custom_risk_categories")));
        self.risk_tracking(root.get("risk_tracking"), &mut drafts);
        self.number_threats(drafts);
        for (section, fields) in std::mem::take(&mut self.unmapped) {
            let list: Vec<String> = fields
                .iter()
                .map(|(k, n)| {
                    if *n > 1 {
                        format!("{k} ({n}x)")
                    } else {
                        k.clone()
                    }
                })
                .collect();
            self.warnings.push(format!(
                "not carried over from {section}: {}",
                list.join(", ")
            ));
        }
        let mut session = self
            .session
            .take()
            .unwrap_or_else(|| Session::new("Imported"));
        session.sort_tables();
        Imported {
            session,
            warnings: self.warnings,
        }
    }

    fn session(&mut self) -> &mut Session {
        self.session.get_or_insert_with(|| Session::new("Imported"))
    }

    fn data_assets(&mut self, section: Option<&Value>) {
        let mut seen = HashSet::new();
        for (name, o) in named(section) {
            self.note_unmapped("data assets", o, DATA_KEYS);
            let raw_id = text(o.get("id"));
            let id = clean_id(&raw_id, name);
            if id.is_empty() || !seen.insert(id.clone()) {
                self.warnings.push(format!(
                    "data asset {:?} has no usable id or a duplicate one; not imported",
                    one_line(name)
                ));
                continue;
            }
            let level = text(o.get("confidentiality"));
            let class = classification(&level).unwrap_or_else(|| {
                self.warnings.push(format!(
                    "data asset {id}: confidentiality {:?} is not a Threagile level; imported as confidential",
                    one_line(&level)
                ));
                Classification::Confidential
            });
            self.assets.insert(raw_id.clone());
            self.assets.insert(id.clone());
            self.session().assets.push(Asset {
                id: AssetId::new(id),
                name: one_line(name),
                classification: class,
                notes: text(o.get("description")),
            });
        }
    }

    fn asset_ids(&mut self, ids: Vec<String>, on: &str) -> Vec<AssetId> {
        let mut out: Vec<AssetId> = Vec::new();
        for raw in ids {
            let id = clean_id(&raw, &raw);
            if !self.assets.contains(&raw) {
                self.warnings.push(format!(
                    "{on}: unknown data asset {:?}; left out",
                    one_line(&raw)
                ));
                continue;
            }
            if !out.iter().any(|a| a.as_str() == id) {
                out.push(AssetId::new(id));
            }
        }
        out
    }

    fn technical_assets(&mut self, section: Option<&Value>) {
        let assets = named(section);
        // Components first, so that links can name any of them.
        for (name, o) in &assets {
            self.note_unmapped("technical assets", o, ASSET_KEYS);
            let raw_id = text(o.get("id"));
            if raw_id.is_empty() || self.components.contains_key(&raw_id) {
                self.warnings.push(format!(
                    "technical asset {:?} has no id or a duplicate one; not imported",
                    one_line(name)
                ));
                continue;
            }
            let base = clean_id(&raw_id, name);
            let id = self.unique(&base);
            let kind = match text(o.get("type")).as_str() {
                "external-entity" => ComponentKind::ExternalEntity,
                "datastore" => ComponentKind::DataStore,
                "process" => ComponentKind::Process,
                other => {
                    self.warnings.push(format!(
                        "technical asset {id}: type {:?} unknown; imported as a process",
                        one_line(other)
                    ));
                    ComponentKind::Process
                }
            };
            let mut notes = text(o.get("description"));
            // Newer models list `technologies`; the first with a word of ours wins.
            let mut words = list(o.get("technologies"));
            words.insert(0, text(o.get("technology")));
            words.retain(|w| !w.is_empty());
            let tech = words.iter().find_map(|w| technology(w));
            let tech_word = words.join(", ");
            if tech.is_none() && !tech_word.is_empty() {
                self.warnings.push(format!(
                    "technical asset {id}: technology {:?} has no word in the technology vocabulary; kept in the notes",
                    one_line(&tech_word)
                ));
                push_paragraph(&mut notes, &format!("Threagile technology: {tech_word}"));
            }
            let mut tags = list(o.get("tags"));
            if flag(o.get("internet")) {
                tags.push("internet-facing".to_string());
            }
            let encryption = text(o.get("encryption"));
            if !encryption.is_empty() && encryption != "none" {
                tags.push("encrypted".to_string());
            }
            tags.sort();
            tags.dedup();
            let out_of_scope = if flag(o.get("out_of_scope")) {
                let why = one_line(&text(o.get("justification_out_of_scope")));
                if why.is_empty() {
                    "out of scope in the Threagile model (no reason given)".to_string()
                } else {
                    why
                }
            } else {
                String::new()
            };
            let mut held = list(o.get("data_assets_processed"));
            held.extend(list(o.get("data_assets_stored")));
            let held = self.asset_ids(held, &format!("technical asset {id}"));
            self.components.insert(raw_id, ElementId::new(id.clone()));
            self.session().components.push(Component {
                id: ElementId::new(id),
                name: one_line(name),
                kind,
                technology: tech,
                boundary: None,
                tags: tags.into(),
                assets: held,
                not_applicable: StrideSet::default(),
                not_applicable_reason: Default::default(),
                out_of_scope: out_of_scope.into(),
                notes: notes.into(),
                dismissed: Default::default(),
            });
        }
        for (name, o) in &assets {
            let raw_id = text(o.get("id"));
            let Some(from) = self.components.get(&raw_id).cloned() else {
                continue;
            };
            for (title, link) in named(o.get("communication_links")) {
                self.link(&from, &raw_id, name, title, link);
            }
        }
    }

    fn link(
        &mut self,
        from: &ElementId,
        raw_from: &str,
        from_name: &str,
        title: &str,
        link: &Map<String, Value>,
    ) {
        self.note_unmapped("communication links", link, LINK_KEYS);
        let target = text(link.get("target"));
        let Some(to) = self.components.get(&target).cloned() else {
            self.warnings.push(format!(
                "communication link {:?} of {:?}: unknown target {:?}; not imported",
                one_line(title),
                one_line(from_name),
                one_line(&target)
            ));
            return;
        };
        let id = self.unique(&format!("{}-{}", from.as_str(), slugify(title)));
        // Threagile names a link `<source>><title>` in risk ids, the title lowercased with every
        // run of other characters than ASCII letters and digits one dash: a slug.
        let threagile_id = format!("{raw_from}>{}", slugify(title));
        self.links.insert(threagile_id, ElementId::new(id.clone()));
        let protocol = text(link.get("protocol"));
        let authentication = text(link.get("authentication"));
        let authenticated = match authentication.as_str() {
            "" => None,
            "none" => Some(false),
            _ => Some(true),
        };
        let mut tags = list(link.get("tags"));
        for (key, tag) in [
            ("vpn", "vpn"),
            ("ip_filtered", "ip-filtered"),
            ("readonly", "readonly"),
        ] {
            if flag(link.get(key)) {
                tags.push(tag.to_string());
            }
        }
        tags.sort();
        tags.dedup();
        let mut carried = list(link.get("data_assets_sent"));
        carried.extend(list(link.get("data_assets_received")));
        let carried = self.asset_ids(carried, &format!("communication link {id}"));
        self.session().flows.push(Flow {
            id: ElementId::new(id),
            from: from.clone(),
            to,
            label: one_line(title).into(),
            encrypted: protocol_encrypted(&protocol),
            protocol: protocol.into(),
            assets: carried,
            authenticated,
            tags: tags.into(),
            not_applicable: StrideSet::default(),
            not_applicable_reason: Default::default(),
            out_of_scope: Default::default(),
            notes: text(link.get("description")).into(),
            dismissed: Default::default(),
        });
    }

    fn boundaries(&mut self, section: Option<&Value>) {
        let entries = named(section);
        let mut ids: HashMap<String, BoundaryId> = HashMap::new();
        let mut taken = HashSet::new();
        for (name, o) in &entries {
            self.note_unmapped("trust boundaries", o, BOUNDARY_KEYS);
            let raw = text(o.get("id"));
            let id = clean_id(&raw, name);
            if raw.is_empty() || !taken.insert(id.clone()) {
                self.warnings.push(format!(
                    "trust boundary {:?} has no id or a duplicate one; not imported",
                    one_line(name)
                ));
                continue;
            }
            ids.insert(raw, BoundaryId::new(id.clone()));
            let mut notes = text(o.get("description"));
            let kind = text(o.get("type"));
            if !kind.is_empty() {
                push_paragraph(&mut notes, &format!("Threagile boundary type: {kind}"));
            }
            let tags = list(o.get("tags"));
            if !tags.is_empty() {
                push_paragraph(&mut notes, &format!("Tags: {}", tags.join(", ")));
            }
            self.session().boundaries.push(Boundary {
                id: BoundaryId::new(id),
                name: one_line(name),
                parent: None,
                notes,
            });
        }
        let mut parent_of: HashMap<BoundaryId, BoundaryId> = HashMap::new();
        let mut home: HashMap<ElementId, BoundaryId> = HashMap::new();
        for (_, o) in &entries {
            let Some(outer) = ids.get(&text(o.get("id"))).cloned() else {
                continue;
            };
            for inner in list(o.get("trust_boundaries_nested")) {
                match ids.get(&inner) {
                    None => self.warnings.push(format!(
                        "trust boundary {outer}: nested boundary {:?} unknown; ignored",
                        one_line(&inner)
                    )),
                    Some(inner) if parent_of.contains_key(inner) || *inner == outer => {
                        self.warnings.push(format!(
                            "trust boundary {inner} is nested in more than one boundary (or in itself); kept in the first"
                        ))
                    }
                    Some(inner) => {
                        parent_of.insert(inner.clone(), outer.clone());
                    }
                }
            }
            for asset in list(o.get("technical_assets_inside")) {
                match self.components.get(&asset).cloned() {
                    None => self.warnings.push(format!(
                        "trust boundary {outer}: technical asset {:?} unknown; ignored",
                        one_line(&asset)
                    )),
                    Some(c) if home.contains_key(&c) => self.warnings.push(format!(
                        "technical asset {c} is inside more than one trust boundary; kept in the first"
                    )),
                    Some(c) => {
                        home.insert(c, outer.clone());
                    }
                }
            }
        }
        // A cycle of nesting would not validate: break it where it closes.
        let mut parents: HashMap<BoundaryId, BoundaryId> = HashMap::new();
        let mut order: Vec<_> = parent_of.into_iter().collect();
        order.sort();
        for (inner, outer) in order {
            let mut at = Some(outer.clone());
            let mut cycle = false;
            let mut steps = 0;
            while let Some(b) = at {
                if b == inner || steps > 10_000 {
                    cycle = true;
                    break;
                }
                at = parents.get(&b).cloned();
                steps += 1;
            }
            if cycle {
                self.warnings.push(format!(
                    "trust boundaries {inner} and {outer} nest in a cycle; {inner} is left at the top"
                ));
            } else {
                parents.insert(inner, outer);
            }
        }
        let session = self.session();
        for b in &mut session.boundaries {
            b.parent = parents.get(&b.id).cloned();
        }
        for c in &mut session.components {
            c.boundary = home.get(&c.id).cloned();
        }
    }

    /// The element a risk id's parts name: a technical asset or a link.
    fn element_named(&self, part: &str) -> Option<ElementId> {
        self.components
            .get(part)
            .or_else(|| self.links.get(&part.to_lowercase()))
            .cloned()
    }

    fn individual_risks(&mut self, section: Option<&Value>) -> Vec<Draft> {
        let mut drafts = Vec::new();
        for (cat_name, cat) in categories(section) {
            let cat_id = text(cat.get("id"));
            let stride_word = text(cat.get("stride"));
            let stride: StrideSet = stride_of(&stride_word).into_iter().collect();
            if stride.is_empty() && !stride_word.is_empty() {
                self.warnings.push(format!(
                    "risk category {:?}: STRIDE {:?} unknown",
                    one_line(&cat_name),
                    one_line(&stride_word)
                ));
            }
            let mut cat_notes = text(cat.get("description"));
            for (key, label) in [
                ("impact", "Impact"),
                ("mitigation", "Mitigation"),
                ("action", "Action"),
                ("check", "Check"),
            ] {
                let t = text(cat.get(key));
                if !t.is_empty() {
                    push_paragraph(&mut cat_notes, &format!("{label}: {t}"));
                }
            }
            let cwe = text(cat.get("cwe"));
            if !cwe.is_empty() && cwe != "0" {
                push_paragraph(&mut cat_notes, &format!("CWE-{cwe}"));
            }
            for (risk_title, risk) in named(cat.get("risks_identified")) {
                // The order Threagile's createSyntheticId joins them in.
                let parts: Vec<String> = [
                    "most_relevant_technical_asset",
                    "most_relevant_communication_link",
                    "most_relevant_trust_boundary",
                    "most_relevant_shared_runtime",
                    "most_relevant_data_asset",
                ]
                .iter()
                .map(|k| text(risk.get(*k)))
                .filter(|p| !p.is_empty())
                .collect();
                let risk_id = std::iter::once(cat_id.clone())
                    .chain(parts.iter().cloned())
                    .collect::<Vec<_>>()
                    .join("@");
                let target = text(risk.get("most_relevant_technical_asset"));
                let link = text(risk.get("most_relevant_communication_link"));
                let Some(target) = self
                    .components
                    .get(&target)
                    .cloned()
                    .or_else(|| self.links.get(&link.to_lowercase()).cloned())
                else {
                    self.warnings.push(format!(
                        "risk {:?} names no technical asset or link that was imported; not imported",
                        strip_tags(risk_title)
                    ));
                    continue;
                };
                let mut notes = cat_notes.clone();
                let severity = text(risk.get("severity"));
                if !severity.is_empty() {
                    push_paragraph(&mut notes, &format!("Threagile severity: {severity}"));
                }
                push_paragraph(&mut notes, &format!("{RISK_ID_NOTE}{risk_id}"));
                let mut title = strip_tags(risk_title);
                if title.is_empty() {
                    title = one_line(&cat_name);
                }
                drafts.push(Draft {
                    risk_id,
                    threat: Threat {
                        id: ThreatId::default(),
                        target,
                        title,
                        stride: stride.clone(),
                        refs: Vec::new(),
                        rule: None,
                        likelihood: likelihood(&text(risk.get("exploitation_likelihood"))),
                        impact: impact(&text(risk.get("exploitation_impact"))),
                        response: Response::Undecided,
                        status: ThreatStatus::Open,
                        transferred_to: String::new(),
                        raised_by: Vec::new(),
                        notes,
                    },
                    outcome: Outcome::None,
                });
            }
        }
        drafts
    }

    fn risk_tracking(&mut self, section: Option<&Value>, drafts: &mut Vec<Draft>) {
        for (pattern, entry) in named(section) {
            let status = text(entry.get("status"));
            let matching: Vec<usize> = (0..drafts.len())
                .filter(|&i| tracking_matches(pattern, &drafts[i].risk_id))
                .collect();
            let matching = if matching.is_empty() {
                // A risk of one of Threagile's built-in rules: a threat of its own, on the
                // element its id names.
                let mut parts = pattern.split('@');
                let category = parts.next().unwrap_or_default().to_string();
                let Some(target) = parts.find_map(|p| self.element_named(p)) else {
                    self.warnings.push(format!(
                        "risk tracking {:?} ({}) names no single imported element (wildcards only); not imported",
                        one_line(pattern),
                        one_line(&status)
                    ));
                    continue;
                };
                let mut title = category.replace('-', " ");
                if let Some(first) = title.get(0..1) {
                    title = first.to_uppercase() + title.get(1..).unwrap_or_default();
                }
                drafts.push(Draft {
                    risk_id: pattern.clone(),
                    threat: Threat {
                        id: ThreatId::default(),
                        target,
                        title: one_line(&title),
                        stride: builtin_stride(&category),
                        refs: Vec::new(),
                        rule: None,
                        likelihood: None,
                        impact: None,
                        response: Response::Undecided,
                        status: ThreatStatus::Open,
                        transferred_to: String::new(),
                        raised_by: Vec::new(),
                        notes: format!(
                            "Found by Threagile's rule {category}.\n\n{RISK_ID_NOTE}{}",
                            one_line(pattern)
                        ),
                    },
                    outcome: Outcome::None,
                });
                vec![drafts.len() - 1]
            } else {
                matching
            };
            for i in matching {
                apply_tracking(&mut drafts[i], entry, &status, &mut self.warnings);
            }
        }
    }

    /// Numbers threats in the order of their risk ids (stable across re-imports), and adds the
    /// acceptances and mitigations tracking asked for.
    fn number_threats(&mut self, mut drafts: Vec<Draft>) {
        drafts.sort_by(|a, b| a.risk_id.cmp(&b.risk_id));
        let mut mitigation_number = 0;
        for (n, mut d) in drafts.into_iter().enumerate() {
            let id = ThreatId::new(format!("TH-{:03}", n + 1));
            d.threat.id = id.clone();
            let session = self.session();
            match std::mem::replace(&mut d.outcome, Outcome::None) {
                Outcome::Accepted { justification, by } => {
                    session.acceptances.push(Acceptance {
                        threat: id.clone(),
                        justification,
                        accepted_by: by,
                        review_by: None,
                    });
                }
                Outcome::Mitigated { ticket } => {
                    mitigation_number += 1;
                    session.mitigations.push(Mitigation {
                        id: MitigationId::new(format!("MI-{mitigation_number:03}")),
                        threats: vec![id.clone()],
                        action: "Mitigated as tracked in Threagile (see the threat's notes)"
                            .to_string(),
                        owner: String::new(),
                        due: None,
                        status: MitigationStatus::Done,
                        ticket,
                    });
                }
                Outcome::None => {}
            }
            session.threats.push(d.threat);
        }
    }
}

/// Applies one `risk_tracking` entry to a threat; the acceptance or mitigation it asks for is
/// made once the threat has its id.
fn apply_tracking(
    draft: &mut Draft,
    entry: &Map<String, Value>,
    status: &str,
    warnings: &mut Vec<String>,
) {
    let justification = one_line(&text(entry.get("justification")));
    let ticket = one_line(&text(entry.get("ticket")));
    let date = text(entry.get("date"));
    let checked_by = one_line(&text(entry.get("checked_by")));
    let t = &mut draft.threat;
    let mut note = format!("Threagile risk tracking: {status}");
    for (label, value) in [
        ("justification", &justification),
        ("ticket", &ticket),
        ("date", &date),
        ("checked by", &checked_by),
    ] {
        if !value.is_empty() {
            note.push_str(&format!("; {label} {value}"));
        }
    }
    push_paragraph(&mut t.notes, &note);
    match status {
        "accepted" if !justification.is_empty() && !checked_by.is_empty() => {
            t.response = Response::Accept;
            t.status = ThreatStatus::Resolved;
            draft.outcome = Outcome::Accepted {
                justification,
                by: checked_by,
            };
        }
        "accepted" => {
            warnings.push(format!(
                "risk {}: accepted without a justification or checked_by; imported as open",
                one_line(&draft.risk_id)
            ));
        }
        "mitigated" => {
            t.response = Response::Mitigate;
            t.status = ThreatStatus::Resolved;
            draft.outcome = Outcome::Mitigated { ticket };
        }
        "in-progress" => t.response = Response::Mitigate,
        "false-positive" => t.status = ThreatStatus::NotApplicable,
        "unchecked" | "in-discussion" => {}
        other => warnings.push(format!(
            "risk {}: tracking status {:?} unknown; imported as open",
            one_line(&draft.risk_id),
            one_line(other)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn import_str(yaml: &str) -> Imported {
        import(yaml.as_bytes()).expect("imports")
    }

    #[test]
    fn confidentiality_maps_by_rank() {
        assert_eq!(
            classification("restricted"),
            Some(Classification::Confidential)
        );
        assert_eq!(
            classification("strictly-confidential"),
            Some(Classification::Restricted)
        );
        assert_eq!(classification("public"), Some(Classification::Public));
        assert_eq!(classification("secret"), None);
    }

    #[test]
    fn encryption_follows_the_protocol() {
        assert_eq!(protocol_encrypted("https"), Some(true));
        assert_eq!(protocol_encrypted("jdbc-encrypted"), Some(true));
        assert_eq!(protocol_encrypted("http"), Some(false));
        assert_eq!(protocol_encrypted("unknown-protocol"), None);
        assert_eq!(protocol_encrypted("in-process-library-call"), None);
    }

    #[test]
    fn wildcards_match_one_part_each() {
        assert!(tracking_matches("a@*@c", "a@b@c"));
        assert!(!tracking_matches("a@*", "a@b@c"));
        assert!(!tracking_matches("a@x", "a@b"));
    }

    #[test]
    fn a_small_model_maps_links_and_tracking() {
        let imported = import_str(
            "title: T\n\
             data_assets:\n  Secrets:\n    id: secrets\n    confidentiality: strictly-confidential\n\
             technical_assets:\n\
             \x20 Web:\n    id: web\n    type: process\n    technology: web-server\n    internet: true\n    size: service\n\
             \x20   communication_links:\n      Query:\n        target: db\n        protocol: jdbc\n        authentication: none\n        data_assets_sent: [secrets, nope]\n\
             \x20 DB:\n    id: db\n    type: datastore\n    technology: database\n\
             risk_tracking:\n  sql-nosql-injection@web@web>query:\n    status: accepted\n    justification: fine\n    checked_by: Ana\n",
        );
        let s = &imported.session;
        assert_eq!(s.components.len(), 2);
        let flow = &s.flows[0];
        assert_eq!(flow.authenticated, Some(false));
        assert_eq!(flow.encrypted, Some(false));
        assert_eq!(flow.assets, vec![AssetId::new("secrets")]);
        assert_eq!(s.assets[0].classification, Classification::Restricted);
        let web = s.component("web").expect("web");
        assert!(web.has_tag("internet-facing"));
        assert_eq!(web.technology, Some(Technology::WebServer));
        assert_eq!(s.threats.len(), 1);
        assert_eq!(s.threats[0].target.as_str(), "web");
        assert_eq!(s.threats[0].response, Response::Accept);
        assert_eq!(s.threats[0].stride.to_string(), "T");
        assert!(
            s.threats[0]
                .notes
                .contains("Threagile risk: sql-nosql-injection@web@web>query")
        );
        assert_eq!(s.acceptances[0].accepted_by, "Ana");
        assert!(imported.warnings.iter().any(|w| w.contains("\"nope\"")));
        assert!(imported.warnings.iter().any(|w| w.contains("size")));
        assert!(
            crate::model::validate(s).is_empty(),
            "{:?}",
            crate::model::validate(s)
        );
    }

    #[test]
    fn newer_models_custom_categories_and_technologies_lists() {
        let imported = import_str(
            "title: T\n\
             technical_assets:\n\
             \x20 API:\n    id: api\n    type: process\n    technologies: [erp, web-service-rest]\n\
             \x20   communication_links:\n      Calls DB (v2):\n        target: db\n        protocol: https\n\
             \x20 DB:\n    id: db\n    type: datastore\n\
             custom_risk_categories:\n\
             \x20 - id: weird\n    title: Weird thing\n    stride: tampering\n    risks_identified:\n\
             \x20     On the link:\n        exploitation_likelihood: frequent\n        most_relevant_communication_link: api>calls-db-v2\n\
             \x20       most_relevant_technical_asset: api\n",
        );
        let s = &imported.session;
        assert_eq!(
            s.component("api").and_then(|c| c.technology),
            Some(Technology::Api)
        );
        assert_eq!(s.threats.len(), 1);
        let t = &s.threats[0];
        assert_eq!(t.target.as_str(), "api");
        assert_eq!(t.likelihood, Some(Rating::HIGH));
        assert!(
            t.notes
                .contains("Threagile risk: weird@api@api>calls-db-v2"),
            "{}",
            t.notes
        );
        assert_eq!(s.flows[0].authenticated, None);
    }

    #[test]
    fn not_a_mapping_is_an_error() {
        assert!(import(b"- a\n- b\n").is_err());
        assert!(import(b"\xff\xfe").is_err());
        assert!(import(b"a: [").is_err());
    }
}
