//! Question 1's quick-add line: one typed line becomes one boundary, asset, component or flow,
//! so a facilitator can take down a model as fast as the room names it. The parser and the
//! completion are pure functions of the session and the line; the line itself (a text field
//! that stays open after Enter) is drawn at the bottom of question 1.
//!
//! Grammar (each line is one entry; case does not matter for keywords and ids):
//!
//! ```text
//! b[oundary] NAME [in PARENT]                  a trust boundary, nested in PARENT
//! a[sset] NAME [CLASSIFICATION]                public | internal (default) | confidential | restricted
//! [c[omponent]] NAME [(WORDS)] [in BOUNDARY]   WORDS: a kind, a technology, a boundary, assets
//! [f[low]] FROM -> TO [: LABEL] [(WORDS)]      WORDS: a protocol, auth/noauth, enc/noenc, assets
//! ```
//!
//! What a line leaves out is taken the way the forms take it: a component's boundary and a
//! flow's protocol, authentication and encryption are copied from the previous entry of the same
//! kind; a component's kind follows from its technology (a database is a data store); a protocol
//! that encrypts (https, ssh) means encrypted. The result line says where a value was copied.

use super::Section;
use super::form::unique_id;
use crate::model::edit::{Edit, Item};
use crate::model::text::escape_control;
use crate::model::{
    Asset, AssetId, Boundary, BoundaryId, Classification, Component, ComponentKind, ElementId,
    Flow, ProtocolFamily, Session, StrideSet, Technology,
};
use crate::tui::theme::Theme;
use crate::tui::widgets::text_input::TextInput;
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

/// Lines of the grammar, for the help overlay (the README has the same).
pub const HELP: &[&str] = &[
    "Quick add (i or :): one line per entry; Enter adds it, Tab takes the dimmed completion, Esc closes.",
    "  b DMZ in internet · a Card data restricted · Web app (web-app, card-data) in dmz · browser -> web-app : login (https auth enc card-data). Left out: boundary, protocol, auth, enc as the previous entry; https means enc.",
];

/// A parsed line: the edit that adds it, and what it added, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub section: Section,
    pub item: Item,
    /// "flow payment-provider-webhook-receiver: payment-provider → webhook-receiver ..."
    pub summary: String,
}

impl Parsed {
    /// The edit that appends the entry: one undoable step.
    pub fn edit(&self) -> Edit {
        Edit::put(None, self.item.clone())
    }
}

const KIND_WORDS: &[(&str, ComponentKind)] = &[
    ("process", ComponentKind::Process),
    ("data-store", ComponentKind::DataStore),
    ("datastore", ComponentKind::DataStore),
    ("store", ComponentKind::DataStore),
    ("external-entity", ComponentKind::ExternalEntity),
    ("external", ComponentKind::ExternalEntity),
    ("ext", ComponentKind::ExternalEntity),
];

const FLOW_WORDS: &[&str] = &["auth", "noauth", "enc", "noenc"];
const LINE_KINDS: &[&str] = &["boundary", "asset", "component", "flow"];

/// The kind a component of this technology usually is in a data-flow diagram: what the line
/// means when it names a technology and no kind.
pub fn likely_kind(t: Technology) -> ComponentKind {
    use Technology::*;
    match t {
        Database | ObjectStorage | FileStorage | Cache | MessageQueue | SearchIndex | LogStore
        | SecretsVault | SourceRepository | ArtifactRegistry => ComponentKind::DataStore,
        Browser | MobileApp | DesktopApp | IotDevice | User | PaymentProvider
        | ThirdPartyService | EmailOrSmsProvider => ComponentKind::ExternalEntity,
        _ => ComponentKind::Process,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineKind {
    Boundary,
    Asset,
    Component,
    Flow,
}

/// The line's kind and the rest of it after a kind word (`b `, `asset `...).
fn line_kind(line: &str) -> (LineKind, &str) {
    let trimmed = line.trim_start();
    let (first, rest) = match trimmed.split_once(char::is_whitespace) {
        Some((f, r)) => (f, r),
        None => (trimmed, ""),
    };
    let by_word = match first.to_ascii_lowercase().as_str() {
        "b" | "boundary" => Some(LineKind::Boundary),
        "a" | "asset" => Some(LineKind::Asset),
        "c" | "component" => Some(LineKind::Component),
        "f" | "flow" => Some(LineKind::Flow),
        _ => None,
    };
    // A kind word alone is still being typed: a component so far.
    if let Some(kind) = by_word
        && trimmed.len() > first.len()
        && arrow(trimmed).is_none()
    {
        return (kind, rest);
    }
    if arrow(trimmed).is_some() {
        // An arrow makes a flow, whatever the first word ("a -> b" joins components a and b).
        let rest = rest.trim_start();
        if by_word == Some(LineKind::Flow) && arrow(rest).is_some_and(|(at, _)| at > 0) {
            return (LineKind::Flow, rest);
        }
        (LineKind::Flow, trimmed)
    } else {
        (LineKind::Component, trimmed)
    }
}

/// Where a flow's arrow is (byte range), if the line has one.
fn arrow(text: &str) -> Option<(usize, usize)> {
    ["->", "→"]
        .iter()
        .filter_map(|a| text.find(a).map(|i| (i, i + a.len())))
        .min()
}

/// Splits `text` at `(` into what is before, the words inside (comma or space separated; the
/// closing `)` may be left out at the end) and what follows `)`.
fn parens(text: &str) -> (&str, Option<Vec<&str>>, &str) {
    let Some(open) = text.find('(') else {
        return (text, None, "");
    };
    let inside = &text[open + 1..];
    let (inside, after) = match inside.find(')') {
        Some(close) => (&inside[..close], &inside[close + 1..]),
        None => (inside, ""),
    };
    let words = inside
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    (&text[..open], Some(words), after)
}

/// `NAME in X` at the end of `text`: the name and X, when X is one word.
fn trailing_in(text: &str) -> (&str, Option<&str>) {
    let trimmed = text.trim_end();
    let lower = trimmed.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("in ") {
        let target = trimmed[trimmed.len() - rest.len()..].trim();
        if !target.is_empty() && !target.contains(char::is_whitespace) {
            return ("", Some(target));
        }
    }
    if let Some(at) = lower.rfind(" in ") {
        let target = trimmed[at + 4..].trim();
        if !target.is_empty() && !target.contains(char::is_whitespace) {
            return (&trimmed[..at], Some(target));
        }
    }
    (trimmed, None)
}

/// Edit distance, for "did you mean": long words are not compared (a pasted paragraph must not
/// cost seconds per key).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().take(80).collect();
    let b: Vec<char> = b.chars().take(80).collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            // prev: the diagonal (old row[j]); row[j]: new, to the left; row[j + 1]: old, above.
            let next = (prev + cost).min(row[j] + 1).min(row[j + 1] + 1);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// The candidate nearest to `word`: one it starts, else the least edit distance.
fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_lowercase();
    let candidates: Vec<&str> = candidates.into_iter().collect();
    candidates
        .iter()
        .find(|c| !word.is_empty() && c.to_lowercase().starts_with(&word))
        .or_else(|| {
            candidates
                .iter()
                .min_by_key(|c| distance(&word, &c.to_lowercase()))
        })
        .copied()
}

/// "no component \"web-ap\" (closest: web-app)"
fn unknown(what: &str, word: &str, candidates: Vec<&str>) -> String {
    let word_shown = escape_control(word);
    match closest(word, candidates) {
        Some(c) => format!(
            "no {what} \"{word_shown}\" (closest: {})",
            escape_control(c)
        ),
        None => format!("no {what} \"{word_shown}\" (there are none yet)"),
    }
}

fn one_word(text: &str, what: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("{what} is missing"));
    }
    if text.contains(char::is_whitespace) {
        return Err(format!(
            "{what} is one id, not \"{}\"",
            escape_control(text)
        ));
    }
    Ok(text.to_string())
}

fn find_boundary(s: &Session, word: &str) -> Result<BoundaryId, String> {
    s.boundaries
        .iter()
        .find(|b| b.id.as_str().eq_ignore_ascii_case(word))
        .map(|b| b.id.clone())
        .ok_or_else(|| {
            unknown(
                "boundary",
                word,
                s.boundaries.iter().map(|b| b.id.as_str()).collect(),
            )
        })
}

fn find_component(s: &Session, word: &str) -> Result<ElementId, String> {
    s.components
        .iter()
        .find(|c| c.id.as_str().eq_ignore_ascii_case(word))
        .map(|c| c.id.clone())
        .ok_or_else(|| {
            unknown(
                "component",
                word,
                s.components.iter().map(|c| c.id.as_str()).collect(),
            )
        })
}

fn find_asset(s: &Session, word: &str) -> Option<AssetId> {
    s.assets
        .iter()
        .find(|a| a.id.as_str().eq_ignore_ascii_case(word))
        .map(|a| a.id.clone())
}

fn classification(word: &str) -> Option<Classification> {
    Classification::ALL
        .into_iter()
        .find(|c| c.as_str().eq_ignore_ascii_case(word))
}

fn quoted(text: &str) -> String {
    format!("\"{}\"", escape_control(text))
}

/// Parses one quick-add line against the session: the entry it adds, or what is wrong with it.
pub fn parse(s: &Session, line: &str) -> Result<Parsed, String> {
    if line.trim().is_empty() {
        return Err("type an entry, e.g. browser -> web-app : login (https, auth)".into());
    }
    let (kind, rest) = line_kind(line);
    match kind {
        LineKind::Boundary => parse_boundary(s, rest),
        LineKind::Asset => parse_asset(s, rest),
        LineKind::Component => parse_component(s, rest),
        LineKind::Flow => parse_flow(s, rest),
    }
}

fn parse_boundary(s: &Session, rest: &str) -> Result<Parsed, String> {
    let (name, parent) = trailing_in(rest);
    let name = name.trim();
    if name.is_empty() {
        return Err("a boundary needs a name: b DMZ [in internet]".into());
    }
    let parent = parent.map(|p| find_boundary(s, p)).transpose()?;
    let id = unique_id(s, Section::Boundaries, name);
    let summary = format!(
        "boundary {} {}{}",
        escape_control(&id),
        quoted(name),
        parent
            .as_ref()
            .map(|p| format!(" in {}", escape_control(p.as_str())))
            .unwrap_or_default()
    );
    Ok(Parsed {
        section: Section::Boundaries,
        item: Item::Boundary(Boundary {
            id: BoundaryId::new(id),
            name: name.to_string(),
            parent,
            notes: String::new(),
        }),
        summary,
    })
}

fn parse_asset(s: &Session, rest: &str) -> Result<Parsed, String> {
    let (before, words, after) = parens(rest);
    if !after.trim().is_empty() {
        return Err(format!("unexpected {} after \")\"", quoted(after.trim())));
    }
    let mut name = before.trim();
    let mut class = None;
    for w in words.unwrap_or_default() {
        class = Some(classification(w).ok_or_else(|| {
            unknown(
                "classification",
                w,
                Classification::ALL.iter().map(|c| c.as_str()).collect(),
            )
        })?);
    }
    if class.is_none()
        && let Some((head, last)) = name.rsplit_once(char::is_whitespace)
        && let Some(c) = classification(last)
    {
        class = Some(c);
        name = head.trim();
    }
    if name.is_empty() {
        return Err("an asset needs a name: a Card data restricted".into());
    }
    let classification = class.unwrap_or(Classification::Internal);
    let id = unique_id(s, Section::Assets, name);
    Ok(Parsed {
        section: Section::Assets,
        summary: format!(
            "asset {} {} ({})",
            escape_control(&id),
            quoted(name),
            classification.as_str()
        ),
        item: Item::Asset(Asset {
            id: AssetId::new(id),
            name: name.to_string(),
            classification,
            notes: String::new(),
        }),
    })
}

fn parse_component(s: &Session, rest: &str) -> Result<Parsed, String> {
    let (before, words, after) = parens(rest);
    let (name, boundary_word) = if words.is_some() {
        let after = after.trim();
        let (head, target) = trailing_in(after);
        if !head.trim().is_empty() || (target.is_none() && !after.is_empty()) {
            return Err(format!(
                "after \")\" only \"in BOUNDARY\" may follow, not {}",
                quoted(after)
            ));
        }
        (before.trim(), target)
    } else {
        let (name, target) = trailing_in(before);
        (name.trim(), target)
    };
    if name.is_empty() {
        return Err("a component needs a name: Web app (web-app) in dmz".into());
    }
    let mut kind = None;
    let mut technology = None;
    let mut boundary = boundary_word.map(|b| find_boundary(s, b)).transpose()?;
    let mut assets: Vec<AssetId> = Vec::new();
    for w in words.unwrap_or_default() {
        let lower = w.to_ascii_lowercase();
        if let Some((_, k)) = KIND_WORDS.iter().find(|(word, _)| *word == lower) {
            kind = Some(*k);
        } else if let Some(t) = Technology::parse(w) {
            technology = Some(t);
        } else if let Ok(b) = find_boundary(s, w) {
            boundary = Some(b);
        } else if let Some(a) = find_asset(s, w) {
            if !assets.contains(&a) {
                assets.push(a);
            }
        } else {
            let mut candidates: Vec<&str> = KIND_WORDS.iter().map(|(w, _)| *w).collect();
            candidates.extend(Technology::ALL.iter().map(|t| t.as_str()));
            candidates.extend(s.boundaries.iter().map(|b| b.id.as_str()));
            candidates.extend(s.assets.iter().map(|a| a.id.as_str()));
            return Err(unknown(
                "kind, technology, boundary or asset",
                w,
                candidates,
            ));
        }
    }
    let kind = kind
        .or(technology.map(likely_kind))
        .unwrap_or(ComponentKind::Process);
    // As the form does: the boundary of the previous component, unless the line names one.
    let mut copied = false;
    if boundary.is_none() && boundary_word.is_none() {
        boundary = s.components.last().and_then(|c| c.boundary.clone());
        copied = boundary.is_some();
    }
    let id = unique_id(s, Section::Components, name);
    let mut summary = format!(
        "component {} {}: {}",
        escape_control(&id),
        quoted(name),
        kind.as_str()
    );
    if let Some(t) = technology {
        summary.push_str(&format!(", {t}"));
    }
    match &boundary {
        Some(b) => summary.push_str(&format!(", in {}", escape_control(b.as_str()))),
        None => summary.push_str(", in no boundary"),
    }
    if copied {
        summary.push_str(" (as the previous one)");
    }
    if !assets.is_empty() {
        let ids: Vec<&str> = assets.iter().map(AssetId::as_str).collect();
        summary.push_str(&format!(", holds {}", escape_control(&ids.join(", "))));
    }
    Ok(Parsed {
        section: Section::Components,
        summary,
        item: Item::Component(Component {
            id: ElementId::new(id),
            name: name.to_string(),
            kind,
            technology,
            boundary,
            tags: Default::default(),
            assets,
            not_applicable: StrideSet::empty(),
            not_applicable_reason: Default::default(),
            out_of_scope: Default::default(),
            notes: Default::default(),
            dismissed: Default::default(),
        }),
    })
}

fn parse_flow(s: &Session, rest: &str) -> Result<Parsed, String> {
    let Some((a, b)) = arrow(rest) else {
        return Err("a flow needs an arrow: browser -> web-app".into());
    };
    let source = &rest[..a];
    if source.trim_end().ends_with('<') {
        return Err("a flow goes one way: write two lines, a -> b and b -> a".into());
    }
    let from = find_component(s, &one_word(source, "the source component")?)?;
    let after = rest[b..].trim_start();
    let end = after
        .find(|c: char| c.is_whitespace() || c == ':' || c == '(')
        .unwrap_or(after.len());
    let to = find_component(s, &one_word(&after[..end], "the destination component")?)?;
    if from == to {
        return Err("a flow connects two different components".into());
    }
    let (label_part, words, tail) = parens(&after[end..]);
    if !tail.trim().is_empty() {
        return Err(format!("unexpected {} after \")\"", quoted(tail.trim())));
    }
    let label_part = label_part.trim();
    let label = label_part.strip_prefix(':').unwrap_or(label_part).trim();
    let name = |id: &ElementId| {
        s.component(id.as_str())
            .map_or_else(|| id.to_string(), |c| c.name.clone())
    };
    let label = if label.is_empty() {
        format!("{} to {}", name(&from), name(&to))
    } else {
        label.to_string()
    };

    let mut protocol_words: Vec<&str> = Vec::new();
    let (mut auth, mut enc) = (None, None);
    let mut assets: Vec<AssetId> = Vec::new();
    for w in words.unwrap_or_default() {
        match w.to_ascii_lowercase().as_str() {
            "auth" | "authenticated" => auth = Some(true),
            "noauth" | "unauthenticated" => auth = Some(false),
            "enc" | "encrypted" => enc = Some(true),
            "noenc" | "unencrypted" => enc = Some(false),
            _ => match find_asset(s, w) {
                Some(a) => {
                    if !assets.contains(&a) {
                        assets.push(a);
                    }
                }
                None => {
                    // A typo of an asset id is an error; any other word is protocol text.
                    let near = s
                        .assets
                        .iter()
                        .map(|a| a.id.as_str())
                        .find(|id| w.len() > 3 && distance(&w.to_lowercase(), id) <= 2);
                    if near.is_some() && ProtocolFamily::recognise(w).is_none() {
                        return Err(unknown(
                            "asset",
                            w,
                            s.assets.iter().map(|a| a.id.as_str()).collect(),
                        ));
                    }
                    protocol_words.push(w);
                }
            },
        }
    }
    // Left out: as the previous flow (what the form offers too).
    let previous = s.flows.last();
    let mut copied = Vec::new();
    let protocol = if protocol_words.is_empty() {
        let p = previous.map(|f| f.protocol.clone()).unwrap_or_default();
        if !p.is_empty() {
            copied.push("protocol");
        }
        p
    } else {
        protocol_words.join(" ").into()
    };
    // Left out with no previous flow: unknown, never a silent "no".
    let authenticated = auth.or_else(|| {
        if previous.is_some() {
            copied.push("auth");
        }
        previous.and_then(|f| f.authenticated)
    });
    let implied = (!protocol_words.is_empty())
        .then(|| ProtocolFamily::recognise(&protocol))
        .flatten()
        .is_some_and(ProtocolFamily::is_encrypted);
    let encrypted = match enc {
        Some(v) => Some(v),
        None if implied => Some(true),
        None => {
            if previous.is_some() {
                copied.push("enc");
            }
            previous.and_then(|f| f.encrypted)
        }
    };
    let id = unique_id(s, Section::Flows, &format!("{from}-{to}"));
    let mut summary = format!(
        "flow {}: {} → {} {}",
        escape_control(&id),
        escape_control(from.as_str()),
        escape_control(to.as_str()),
        quoted(&label)
    );
    let mut props = Vec::new();
    if !protocol.is_empty() {
        props.push(escape_control(&protocol).into_owned());
    }
    let word = |v: Option<bool>, yes: &str, no: &str, unknown: &str| match v {
        Some(true) => yes.to_string(),
        Some(false) => no.to_string(),
        None => unknown.to_string(),
    };
    props.push(word(authenticated, "auth", "noauth", "auth unknown"));
    props.push(word(encrypted, "enc", "noenc", "enc unknown"));
    summary.push_str(&format!(" ({})", props.join(", ")));
    if !assets.is_empty() {
        let ids: Vec<&str> = assets.iter().map(AssetId::as_str).collect();
        summary.push_str(&format!(", carries {}", escape_control(&ids.join(", "))));
    }
    if !copied.is_empty() {
        summary.push_str(&format!("; {} as the previous flow", copied.join("/")));
    }
    Ok(Parsed {
        section: Section::Flows,
        summary,
        item: Item::Flow(Flow {
            id: ElementId::new(id),
            from,
            to,
            label: label.into(),
            protocol,
            assets,
            authenticated,
            encrypted,
            tags: Default::default(),
            not_applicable: StrideSet::empty(),
            not_applicable_reason: Default::default(),
            out_of_scope: Default::default(),
            notes: Default::default(),
            dismissed: Default::default(),
        }),
    })
}

/// The id of entry `index` of a section's list.
pub fn id_at(s: &Session, section: Section, index: usize) -> Option<String> {
    match section {
        Section::Boundaries => s.boundaries.get(index).map(|x| x.id.to_string()),
        Section::Assets => s.assets.get(index).map(|x| x.id.to_string()),
        Section::Components => s.components.get(index).map(|x| x.id.to_string()),
        Section::Flows => s.flows.get(index).map(|x| x.id.to_string()),
        Section::Diagram => None,
    }
}

/// A completion of the word before the end of the line: the word starts at byte `start`, and
/// `text` replaces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub start: usize,
    pub text: String,
}

impl Completion {
    /// What to show after the cursor: the rest of the word when the completion extends what is
    /// typed, else the word it would become.
    pub fn ghost(&self, line: &str) -> String {
        let typed = line.get(self.start..).unwrap_or("");
        let n = typed.chars().count();
        let extends = self.text.to_lowercase().starts_with(&typed.to_lowercase());
        if extends {
            self.text.chars().skip(n).collect()
        } else {
            format!("  ⇥ {}", self.text)
        }
    }

    /// The line with the completion taken.
    pub fn apply(&self, line: &str) -> String {
        format!("{}{}", line.get(..self.start).unwrap_or(line), self.text)
    }
}

fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ',' | ':' | '>' | '→')
}

/// The completion on offer for the word at the end of `line`, if any.
pub fn complete(s: &Session, line: &str) -> Option<Completion> {
    let start = line
        .char_indices()
        .rev()
        .find(|(_, c)| is_separator(*c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let word = &line[start..];
    if word.is_empty() {
        return None;
    }
    let before = &line[..start];
    // Borrowed, not copied: the line is completed after every key, over every id.
    let components = || s.components.iter().map(|c| c.id.as_str());
    let boundaries = || s.boundaries.iter().map(|b| b.id.as_str());
    let assets = || s.assets.iter().map(|a| a.id.as_str());
    let after_in = before
        .trim_end()
        .rsplit(char::is_whitespace)
        .next()
        .is_some_and(|w| w.eq_ignore_ascii_case("in"));
    let open = before.matches('(').count() > before.matches(')').count();
    let candidates: Vec<&str> = if before.trim().is_empty() {
        // The first word: a flow's source, or a kind word.
        components().chain(LINE_KINDS.iter().copied()).collect()
    } else {
        let (kind, rest) = line_kind(line);
        match kind {
            LineKind::Flow => {
                let rest_before = &rest[..rest.len().saturating_sub(word.len())];
                let source_only = rest_before.trim().is_empty();
                let after_arrow = ["->", "→", ">"]
                    .iter()
                    .any(|a| rest_before.trim_end().ends_with(a));
                if open {
                    assets()
                        .chain(FLOW_WORDS.iter().copied())
                        .chain(ProtocolFamily::ALL.iter().map(|p| p.as_str()))
                        .collect()
                } else if source_only || after_arrow {
                    components().collect()
                } else {
                    Vec::new()
                }
            }
            LineKind::Component if open => KIND_WORDS
                .iter()
                .map(|(w, _)| *w)
                .chain(Technology::ALL.iter().map(|t| t.as_str()))
                .chain(boundaries())
                .chain(assets())
                .collect(),
            LineKind::Component | LineKind::Boundary if after_in => boundaries().collect(),
            LineKind::Asset if !rest.trim().is_empty() && rest.trim() != word => {
                Classification::ALL.iter().map(|c| c.as_str()).collect()
            }
            _ => Vec::new(),
        }
    };
    let lower = word.to_lowercase();
    let pick = candidates
        .iter()
        .find(|c| c.len() > word.len() && lowercase_starts_with(c, &lower))
        .or_else(|| {
            // A later part of an id: "db" finds ledger-db.
            candidates.iter().find(|c| {
                c.to_lowercase()
                    .split('-')
                    .skip(1)
                    .any(|part| part.starts_with(&lower))
            })
        })?;
    Some(Completion {
        start,
        text: pick.to_string(),
    })
}

/// Whether `text` in lower case starts with `lower` (`text.to_lowercase().starts_with(lower)`),
/// without the lower-case copy for ASCII text: the line is completed after every key, over
/// every id of a large model.
fn lowercase_starts_with(text: &str, lower: &str) -> bool {
    if text.is_ascii() {
        // Lower-casing ASCII keeps every byte where it is; a non-ASCII `lower` never matches.
        text.len() >= lower.len()
            && text
                .bytes()
                .zip(lower.bytes())
                .all(|(t, l)| t.to_ascii_lowercase() == l)
    } else {
        text.to_lowercase().starts_with(lower)
    }
}

/// What the result line shows: the last line's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Added(String),
    Error(String),
}

/// The quick-add line as it is open: what is typed, and the outcome of the last Enter.
#[derive(Debug, Clone, Default)]
pub struct QuickLine {
    pub input: TextInput,
    pub outcome: Option<Outcome>,
    /// Worked out after each key (never while drawing): the completion shown dimmed after the
    /// cursor, and what Enter would add or why it cannot.
    pub ghost: String,
    pub preview: Option<Result<String, String>>,
}

impl QuickLine {
    /// Works out the ghost and the preview for the line as it is now.
    pub fn refresh(&mut self, s: &Session) {
        let text = self.input.text();
        let at_end = self.input.cursor() == text.chars().count();
        let completed = complete(s, text).filter(|_| at_end);
        self.ghost = completed
            .as_ref()
            .map(|c| c.ghost(text))
            .unwrap_or_default();
        self.preview = (!text.trim().is_empty()).then(|| {
            // With a completion on offer, what the line would add once it is taken.
            let (keys, line) = match &completed {
                Some(c) => ("Tab Enter adds", c.apply(text)),
                None => ("Enter adds", text.to_string()),
            };
            parse(s, &line).map(|p| format!("{keys} {}", p.summary))
        });
    }

    /// Tab: completes the word before the cursor (at the end of the line, the completion shown
    /// dimmed); returns whether there was one.
    pub fn complete(&mut self, s: &Session) -> bool {
        let before = self.input.before_cursor().to_string();
        let at_end = before.len() == self.input.text().len();
        match complete(s, &before) {
            Some(c) => {
                // At the end of the line a space follows, as in a shell: the word is whole.
                let space = if at_end { " " } else { "" };
                self.input
                    .replace_before_cursor(&format!("{}{space}", c.apply(&before)));
                true
            }
            None => false,
        }
    }

    /// Enter: the entry to add (the line is cleared for the next), or the error (the line is
    /// kept to be fixed).
    pub fn submit(&mut self, s: &Session) -> Option<Parsed> {
        match parse(s, self.input.text()) {
            Ok(parsed) => {
                self.input.set("");
                Some(parsed)
            }
            Err(e) => {
                self.outcome = Some(Outcome::Error(e));
                None
            }
        }
    }

    /// Three rows at the bottom of `area`: a rule with the keys, the line with its completion
    /// shown dimmed after the cursor, and the outcome of the last line (or, while typing, what
    /// Enter would add).
    pub fn draw(&self, t: &Theme, frame: &mut Frame, area: Rect) {
        let height = 3.min(area.height);
        let box_area = Rect {
            y: area.bottom().saturating_sub(height),
            height,
            ..area
        };
        frame.render_widget(Clear, box_area);
        let block = Block::default()
            .borders(Borders::TOP)
            .border_style(t.border())
            .title(Span::styled(" Quick add ", t.title()))
            .title(Line::from(vec![
                Span::styled(" Enter", t.key()),
                Span::raw(" add  "),
                Span::styled("Tab", t.key()),
                Span::raw(" complete  "),
                Span::styled("Esc", t.key()),
                Span::raw(" close (then "),
                Span::styled("?", t.key()),
                Span::raw(" shows the grammar) "),
            ]));
        let inner = block.inner(box_area);
        frame.render_widget(block, box_area);
        if inner.height == 0 {
            return;
        }
        let prompt = "› ";
        let width = (inner.width as usize).saturating_sub(prompt.len() + 1);
        let (shown, col) = self.input.view(width.max(1));
        let shown = escape_control(&shown).into_owned();
        let text = self.input.text();
        let mut spans = vec![Span::styled(prompt, t.key()), Span::raw(shown.clone())];
        let at_end = self.input.cursor() == text.chars().count();
        if text.is_empty() {
            spans.push(Span::styled(
                "b Name [in b] · a Name class · Name (tech) [in b] · from -> to : label (https auth enc)",
                t.dim(),
            ));
        } else if at_end && !self.ghost.is_empty() {
            spans.push(Span::styled(
                escape_control(&self.ghost).into_owned(),
                t.dim(),
            ));
        }
        let line = crate::tui::widgets::text::fit_line(Line::from(spans), inner.width as usize);
        frame.render_widget(Paragraph::new(line), Rect { height: 1, ..inner });
        frame.set_cursor_position(Position::new(
            inner.x + (prompt.chars().count() + col) as u16,
            inner.y,
        ));
        if inner.height < 2 {
            return;
        }
        // While typing, what Enter would do; after Enter, what it did.
        let message = if text.trim().is_empty() {
            match &self.outcome {
                Some(Outcome::Added(m)) => Span::styled(format!("✓ added {m}"), t.ok()),
                Some(Outcome::Error(e)) => Span::styled(format!("✗ {e}"), t.error()),
                None => Span::styled("Enter adds the line; Esc closes", t.dim()),
            }
        } else {
            match (&self.outcome, &self.preview) {
                (Some(Outcome::Error(e)), Some(Err(_))) => {
                    Span::styled(format!("✗ {e}"), t.error())
                }
                (_, Some(Ok(p))) => Span::styled(p.clone(), t.dim()),
                (_, Some(Err(e))) => Span::styled(format!("… {e}"), t.dim()),
                (_, None) => Span::raw(""),
            }
        };
        let line = crate::tui::widgets::text::fit_line(
            Line::from(vec![Span::raw("  "), message]),
            inner.width as usize,
        );
        frame.render_widget(
            Paragraph::new(line),
            Rect {
                y: inner.y + 1,
                height: 1,
                ..inner
            },
        );
    }
}

/// Whether `id` is free in `section` (for tests of the derived ids).
#[cfg(test)]
fn free(s: &Session, section: Section, id: &str) -> bool {
    !super::form::id_taken(s, section, id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> Session {
        let mut s = Session::new("Payment webhooks");
        for line in [
            "b Internet",
            "b Payments VPC",
            "b Ledger subnet in payments-vpc",
            "a Card data restricted",
            "a Ledger entries (confidential)",
            "Payment provider (payment-provider) in internet",
            "Webhook receiver (api) in payments-vpc",
            "Event queue (message-queue",
            "Ledger service (api) in ledger-subnet",
            "Ledger DB (database)",
        ] {
            let p = parse(&s, line).unwrap_or_else(|e| panic!("{line}: {e}"));
            crate::model::edit::apply(&mut s, p.edit()).expect("applies");
        }
        s
    }

    fn flow(s: &Session, line: &str) -> Flow {
        match parse(s, line)
            .unwrap_or_else(|e| panic!("{line}: {e}"))
            .item
        {
            Item::Flow(f) => f,
            other => panic!("not a flow: {other:?}"),
        }
    }

    #[test]
    fn boundaries_assets_and_components_from_one_line_each() {
        let s = model();
        let ids: Vec<&str> = s.boundaries.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(ids, ["internet", "payments-vpc", "ledger-subnet"]);
        assert_eq!(
            s.boundaries[2].parent.as_ref().map(BoundaryId::as_str),
            Some("payments-vpc")
        );
        assert_eq!(s.assets[0].classification, Classification::Restricted);
        assert_eq!(s.assets[0].name, "Card data");
        assert_eq!(s.assets[1].classification, Classification::Confidential);
        let c = &s.components;
        assert_eq!(c[0].id.as_str(), "payment-provider");
        assert_eq!(c[0].kind, ComponentKind::ExternalEntity);
        assert_eq!(c[0].technology, Some(Technology::PaymentProvider));
        assert_eq!(c[2].kind, ComponentKind::DataStore, "a queue holds data");
        assert_eq!(
            c[2].boundary.as_ref().map(BoundaryId::as_str),
            Some("payments-vpc"),
            "the previous component's boundary"
        );
        assert_eq!(c[3].kind, ComponentKind::Process);
        assert_eq!(
            c[4].boundary.as_ref().map(BoundaryId::as_str),
            Some("ledger-subnet")
        );
        assert!(crate::model::validate(&s).is_empty());
        // An explicit kind wins over the technology's usual one; `in` may sit in the parens.
        let p = parse(&s, "c Audit log (process, log-store, internet, card-data)").expect("parses");
        let Item::Component(a) = p.item else {
            panic!("a component")
        };
        assert_eq!(a.kind, ComponentKind::Process);
        assert_eq!(
            a.boundary.as_ref().map(BoundaryId::as_str),
            Some("internet")
        );
        assert_eq!(a.assets, [AssetId::new("card-data")]);
        assert!(p.summary.contains("holds card-data"), "{}", p.summary);
    }

    #[test]
    fn the_first_flow_left_unsaid_is_unknown_not_no() {
        let s = model();
        assert!(s.flows.is_empty());
        let p = parse(&s, "payment-provider -> webhook-receiver : Events").expect("parses");
        let Item::Flow(f) = p.item else { panic!() };
        assert_eq!((f.authenticated, f.encrypted), (None, None));
        assert!(
            p.summary.contains("(auth unknown, enc unknown)"),
            "{}",
            p.summary
        );
        // https still means encrypted; authentication stays unknown.
        let g = flow(&s, "payment-provider -> webhook-receiver : Events (https)");
        assert_eq!((g.authenticated, g.encrypted), (None, Some(true)));
        let h = flow(
            &s,
            "payment-provider -> webhook-receiver : Events (noauth noenc)",
        );
        assert_eq!((h.authenticated, h.encrypted), (Some(false), Some(false)));
    }

    #[test]
    fn flows_take_protocol_protection_and_data_and_copy_what_is_left_out() {
        let mut s = model();
        let f = flow(
            &s,
            "payment-provider -> webhook-receiver : Payment events (https, auth, card-data)",
        );
        assert_eq!(f.id.as_str(), "payment-provider-webhook-receiver");
        assert_eq!(f.label, "Payment events");
        assert_eq!(f.protocol, "https");
        assert!(
            f.is_authenticated() && f.is_encrypted(),
            "https means encrypted"
        );
        assert_eq!(f.assets, [AssetId::new("card-data")]);
        crate::model::edit::apply(&mut s, Edit::put(None, Item::Flow(f))).expect("applies");
        // Left out: protocol, auth and enc as the previous flow; said in the summary.
        let p = parse(&s, "webhook-receiver→event-queue:Queued(card-data)").expect("parses");
        assert!(
            p.summary.contains("protocol/auth/enc as the previous flow"),
            "{}",
            p.summary
        );
        let Item::Flow(g) = p.item else { panic!() };
        assert_eq!(
            (g.protocol.as_str(), g.authenticated, g.encrypted),
            ("https", Some(true), Some(true))
        );
        assert_eq!(g.label, "Queued");
        // Said: taken as said; free words are the protocol.
        let h = flow(
            &s,
            "ledger-service -> ledger-db : Writes (postgres wire, noenc ledger-entries)",
        );
        assert_eq!(h.protocol, "postgres wire");
        assert!(h.is_authenticated() && !h.is_encrypted());
        // No label: one is made from the names.
        let l = flow(&s, "f event-queue -> ledger-service");
        assert_eq!(l.label, "Event queue to Ledger service");
        // The same pair twice gets its own id.
        crate::model::edit::apply(&mut s, Edit::put(None, Item::Flow(h))).expect("applies");
        let again = flow(&s, "ledger-service -> ledger-db : Reads");
        assert_eq!(again.id.as_str(), "ledger-service-ledger-db-2");
        assert!(free(&s, Section::Flows, again.id.as_str()));
    }

    #[test]
    fn errors_name_the_unknown_id_and_the_closest() {
        let s = model();
        let e = parse(&s, "webhook-reciever -> event-queue").expect_err("unknown");
        assert_eq!(
            e,
            "no component \"webhook-reciever\" (closest: webhook-receiver)"
        );
        let e = parse(&s, "Cache (redis) in payments").expect_err("unknown");
        assert!(
            e.contains("no boundary \"payments\" (closest: payments-vpc)"),
            "{e}"
        );
        let e = parse(&s, "Cache (memcache)").expect_err("unknown word");
        assert!(e.contains("\"memcache\""), "{e}");
        let e = parse(&s, "event-queue -> event-queue").expect_err("self");
        assert!(e.contains("two different"), "{e}");
        let e = parse(&s, "event-queue <-> ledger-service").expect_err("two-way");
        assert!(e.contains("one way"), "{e}");
        let e = parse(&s, "event-queue -> ledger-service (card-dta)").expect_err("typo");
        assert!(e.contains("closest: card-data"), "{e}");
        let e = parse(&s, "b Zone in nowhere").expect_err("parent");
        assert!(e.contains("no boundary \"nowhere\""), "{e}");
        assert!(parse(&s, "   ").is_err());
        assert!(
            parse(&Session::new("x"), "a -> b")
                .expect_err("none")
                .contains("none yet")
        );
    }

    #[test]
    fn completion_offers_ids_technologies_and_keywords_at_the_cursor() {
        let s = model();
        let ghost = |line: &str| complete(&s, line).map(|c| c.ghost(line));
        assert_eq!(ghost("pay").as_deref(), Some("ment-provider"));
        assert_eq!(
            ghost("payment-provider -> we").as_deref(),
            Some("bhook-receiver")
        );
        assert_eq!(
            ghost("payment-provider->we").as_deref(),
            Some("bhook-receiver")
        );
        assert_eq!(ghost("a -> b : Login (ht").as_deref(), Some("tp"));
        assert_eq!(
            ghost("a -> b : Login (https, c").as_deref(),
            Some("ard-data")
        );
        assert_eq!(ghost("a -> b : Login (https no").as_deref(), Some("auth"));
        assert_eq!(ghost("a -> b : Lo"), None, "labels are free text");
        assert_eq!(ghost("Cache (mes").as_deref(), Some("sage-queue"));
        assert_eq!(ghost("Cache (redis) in le").as_deref(), Some("dger-subnet"));
        assert_eq!(ghost("b Zone in in").as_deref(), Some("ternet"));
        assert_eq!(ghost("a Card data re").as_deref(), Some("stricted"));
        assert_eq!(ghost("bou").as_deref(), Some("ndary"));
        // A later part of an id, shown as what the word becomes.
        assert_eq!(
            ghost("ledger-service -> db").as_deref(),
            Some("  ⇥ ledger-db")
        );
        let c = complete(&s, "ledger-service -> db").expect("offered");
        assert_eq!(
            c.apply("ledger-service -> db"),
            "ledger-service -> ledger-db"
        );
        assert_eq!(ghost("Web app"), None);
        assert_eq!(ghost(""), None);
    }

    proptest::proptest! {
        /// The prefix test without a lower-case copy says what the copy would.
        #[test]
        fn lowercase_prefix_is_that_of_the_lower_case_copy(
            text in "[a-zA-Z0-9_ -]{0,8}|[a-zA-Z0-9ΣσςİéÉ界 -]{0,8}",
            word in "[a-zA-Z0-9_ -]{0,4}|[a-z0-9σςi̇é界 -]{0,4}",
        ) {
            let lower = word.to_lowercase();
            proptest::prop_assert_eq!(
                lowercase_starts_with(&text, &lower),
                text.to_lowercase().starts_with(&lower)
            );
            // A prefix of the text itself, which the test above rarely picks.
            let prefix: String = text.to_lowercase().chars().take(2).collect();
            proptest::prop_assert!(lowercase_starts_with(&text, &prefix));
        }
    }

    #[test]
    fn hostile_lines_never_panic() {
        let s = model();
        let long = "x".repeat(20_000);
        let lines = [
            "\u{1b}[2J -> \u{7}",
            "日本語 (データベース) in 東京",
            "(((((",
            ")))) -> ((((",
            "->",
            "→→→",
            "b",
            "a ",
            "b  in ",
            "in in in in",
            "c (",
            "a -> b : (",
            "é -> ü",
            "\u{202e}evil (api",
            &long,
            &format!("{long} -> {long} : {long} ({long})"),
            &format!("payment-provider -> ledger-db ({long}"),
        ];
        for line in lines {
            let _ = parse(&s, line);
            if let Some(c) = complete(&s, line) {
                let _ = c.ghost(line);
                let _ = c.apply(line);
            }
            // Every prefix at a character boundary, as if typed.
            for (i, _) in line.char_indices().take(200) {
                let _ = parse(&s, &line[..i]);
                let _ = complete(&s, &line[..i]);
            }
        }
        // Control characters in a name are kept as typed (the screen escapes them) and the id
        // is made of what is left.
        let p = parse(&s, "Evil\u{1b}[31m box").expect("parses");
        assert!(!p.summary.contains('\u{1b}'), "{}", p.summary);
        let Item::Component(c) = p.item else { panic!() };
        assert_eq!(c.id.as_str(), "evil-31m-box");
        let p = parse(&s, "日本").expect("parses");
        let Item::Component(c) = p.item else { panic!() };
        assert_eq!(c.id.as_str(), "component", "a name with no letters to slug");
    }
}
