//! The threat-rules file format: a `[rules]` table and `[[rule]]` entries, each with a condition
//! (`when`, optionally `unless`) over an element's properties and a threat to suggest.
//!
//! ```toml
//! [rules]
//! id = "threatboard"
//! name = "threatboard threat rules"
//!
//! [[rule]]
//! id = "replay-across-boundary"
//! name = "Replay of captured requests"
//! stride = "ST"
//! refs = ["capec:CAPEC-60"]
//! likelihood = 2
//! impact = 2
//! threat = "An attacker who captures a request on {element} replays it to {to}"
//! reason = "{protocol} flow from {from_zone} into {to_zone}"
//! mitigations = ["Sign requests with a timestamp and reject old or repeated ones"]
//! when = { kind = "flow", crossing = "inward" }
//! unless = { tags = ["signed"] }
//! ```
//!
//! `unless` may also be a list of conditions, any one of which silences the rule:
//! `unless = [{ protocol = "dns" }, { to_technology = "batch-job" }]`.
//!
//! Reading is in two steps: serde reads the shape (the first problem of shape stops it, with its
//! position), then [`check`] turns words into the vocabularies and reports every problem of
//! meaning at once, each at its position.

use super::condition::{Condition, Crossing, Words};
use crate::library::load::LineIndex;
use crate::library::{LibraryProblem, Origin};
use crate::model::{Classification, ElementKind, ProtocolFamily, Rating, StrideSet, Technology};
use serde::Deserialize;
use std::ops::Range;
use toml::Spanned;

mod fast;

/// One rule, checked and ready to evaluate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub stride: StrideSet,
    /// Library references, `<library>:<entry>`.
    pub refs: Vec<String>,
    /// CWE ids (`CWE-89`), shown with the suggestion; no CWE library is shipped.
    pub cwes: Vec<String>,
    pub likelihood: Option<Rating>,
    pub impact: Option<Rating>,
    /// The threat statement, with `{placeholders}` (see [`super::engine::PLACEHOLDERS`]).
    pub threat: String,
    /// Why the rule fires here, with placeholders; empty means the engine says it from the
    /// facts the condition read.
    pub reason: String,
    pub mitigations: Vec<String>,
    pub when: Condition,
    /// Conditions any one of which silences the rule (empty: none).
    pub unless: Vec<Condition>,
    /// Which file and line the rule came from, for messages.
    pub origin: String,
    pub line: usize,
}

/// A checked rules file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleFile {
    pub id: String,
    pub name: String,
    pub origin: Origin,
    pub rules: Vec<Rule>,
    /// Ids of rules from other files (usually the shipped ones) that this team turns off.
    pub disable: Vec<String>,
    /// Line and column of each `disable` entry.
    pub disable_at: Vec<(usize, usize)>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    rules: RawHeader,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    id: String,
    name: String,
    #[serde(default)]
    #[allow(dead_code)] // read so that files may carry it; shown by nothing yet
    version: String,
    #[serde(default)]
    disable: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    name: String,
    stride: Spanned<String>,
    #[serde(default)]
    refs: Vec<Spanned<String>>,
    #[serde(default)]
    cwes: Vec<Spanned<String>>,
    likelihood: Option<Spanned<i64>>,
    impact: Option<Spanned<i64>>,
    threat: Spanned<String>,
    #[serde(default)]
    reason: Option<Spanned<String>>,
    #[serde(default)]
    mitigations: Vec<String>,
    when: Spanned<RawCondition>,
    #[serde(default)]
    unless: Option<Spanned<RawUnless>>,
}

/// `unless`: one condition, or a list of them.
#[derive(Debug, Default)]
struct RawUnless(Vec<RawCondition>);

impl<'de> Deserialize<'de> for RawUnless {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawUnless;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a condition table or a list of them")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<RawUnless, A::Error> {
                let one =
                    RawCondition::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(RawUnless(vec![one]))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<RawUnless, A::Error> {
                let mut out = Vec::new();
                while let Some(c) = seq.next_element::<RawCondition>()? {
                    out.push(c);
                }
                Ok(RawUnless(out))
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// A condition as written: every key optional, all of them must hold. A list means "any of".
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    kind: Option<Spanned<OneOrMany>>,
    technology: Option<Spanned<OneOrMany>>,
    from_kind: Option<Spanned<OneOrMany>>,
    to_kind: Option<Spanned<OneOrMany>>,
    from_technology: Option<Spanned<OneOrMany>>,
    to_technology: Option<Spanned<OneOrMany>>,
    protocol: Option<Spanned<OneOrMany>>,
    authenticated: Option<bool>,
    encrypted: Option<bool>,
    crossing: Option<Spanned<OneOrMany>>,
    from_internet: Option<bool>,
    internet_facing: Option<bool>,
    data: Option<Spanned<String>>,
    tags: Option<Spanned<OneOrMany>>,
    sends: Option<Spanned<OneOrMany>>,
    receives: Option<Spanned<OneOrMany>>,
    sends_to: Option<Spanned<OneOrMany>>,
    receives_from: Option<Spanned<OneOrMany>>,
}

/// A string or a list of strings.
#[derive(Debug, Default)]
struct OneOrMany(Vec<String>);

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a word or a list of words")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![v.to_string()]))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<OneOrMany, A::Error> {
                let mut out = Vec::new();
                while let Some(word) = seq.next_element::<String>()? {
                    out.push(word);
                }
                Ok(OneOrMany(out))
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// Parses and checks one rules file; every problem, in file order, on failure.
pub fn parse_rules(text: &str, origin: Origin) -> Result<RuleFile, Vec<LibraryProblem>> {
    let file = origin.to_string();
    // One index for the whole file: a rule's line is looked up per rule.
    let lines = LineIndex::new(text);
    let line_col = |offset: usize| lines.line_col(offset);
    let at = |offset: usize, message: String| {
        let (line, column) = line_col(offset);
        LibraryProblem {
            file: file.clone(),
            line,
            column,
            message,
        }
    };
    let raw = match fast::read(text) {
        Some(raw) => raw,
        None => toml::from_str::<RawFile>(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            let message = e.message().lines().next().unwrap_or("invalid TOML").trim();
            vec![at(offset, format!("invalid rules file: {message}"))]
        })?,
    };
    let mut problems: Vec<(usize, String)> = Vec::new();
    let mut rules: Vec<Rule> = Vec::new();
    for spanned in raw.rule {
        let start = spanned.span().start;
        let r = spanned.into_inner();
        let mut checker = Checker {
            problems: &mut problems,
        };
        let rule = checker.rule(r, &file, line_col(start).0);
        if let Some(rule) = rule {
            rules.push(rule);
        }
    }
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, rule) in rules.iter().enumerate() {
        if let Some(first) = seen.insert(rule.id.to_lowercase(), i) {
            problems.push((
                text.len().min(line_start(text, rule.line)),
                format!(
                    "rule id {:?} is used twice (first on line {}); rule ids must be unique",
                    rule.id, rules[first].line
                ),
            ));
        }
    }
    if raw.rules.id.trim().is_empty() {
        problems.push((0, "[rules] id must not be empty".into()));
    }
    if problems.is_empty() {
        let disable_at = raw
            .rules
            .disable
            .iter()
            .map(|d| line_col(d.span().start))
            .collect();
        return Ok(RuleFile {
            id: raw.rules.id,
            name: raw.rules.name,
            origin,
            rules,
            disable: raw
                .rules
                .disable
                .into_iter()
                .map(Spanned::into_inner)
                .collect(),
            disable_at,
        });
    }
    problems.sort_by_key(|(o, _)| *o);
    Err(problems.into_iter().map(|(o, m)| at(o, m)).collect())
}

fn line_start(text: &str, line: usize) -> usize {
    text.split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum()
}

/// Whether a file is a rules file rather than a library: its first table is `[rules]`.
pub fn is_rules_file(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .is_some_and(|l| l.split('#').next().map(str::trim) == Some("[rules]"))
}

struct Checker<'p> {
    problems: &'p mut Vec<(usize, String)>,
}

impl Checker<'_> {
    fn problem(&mut self, span: Range<usize>, message: String) {
        self.problems.push((span.start, message));
    }

    fn rule(&mut self, r: RawRule, file: &str, line: usize) -> Option<Rule> {
        let before = self.problems.len();
        let id = r.id.get_ref().trim().to_string();
        if let Some(problem) = crate::model::id_syntax_problem(&id) {
            self.problem(r.id.span(), format!("rule id {id:?}: {problem}"));
        }
        let stride = StrideSet::parse(r.stride.get_ref());
        if stride.is_empty()
            || r.stride
                .get_ref()
                .chars()
                .any(|c| crate::model::Stride::from_letter(c).is_none())
        {
            self.problem(
                r.stride.span(),
                format!(
                    "stride {:?}: write one or more of the letters S T R I D E",
                    r.stride.get_ref()
                ),
            );
        }
        for reference in &r.refs {
            let ok = crate::model::LibraryRef::raw(reference.get_ref().clone())
                .parts()
                .is_some();
            if !ok {
                self.problem(
                    reference.span(),
                    format!(
                        "reference {:?} must be <library>:<entry>, e.g. capec:CAPEC-66",
                        reference.get_ref()
                    ),
                );
            }
        }
        for cwe in &r.cwes {
            let ok = cwe
                .get_ref()
                .strip_prefix("CWE-")
                .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
            if !ok {
                self.problem(
                    cwe.span(),
                    format!("cwe {:?} must look like CWE-89", cwe.get_ref()),
                );
            }
        }
        let rating = |this: &mut Self, v: &Option<Spanned<i64>>, what: &str| {
            v.as_ref().map(|v| {
                let rating = Rating(*v.get_ref());
                if !rating.is_valid() {
                    this.problem(
                        v.span(),
                        format!("{what} must be 1 (low), 2 (medium) or 3 (high)"),
                    );
                }
                rating
            })
        };
        let likelihood = rating(self, &r.likelihood, "likelihood");
        let impact = rating(self, &r.impact, "impact");
        self.template(&r.threat);
        if r.threat.get_ref().trim().is_empty() {
            self.problem(r.threat.span(), "threat must say what goes wrong".into());
        }
        if let Some(reason) = &r.reason {
            self.template(reason);
        }
        let when_span = r.when.span();
        let when = self.condition(r.when.into_inner());
        if when.kind.is_none() {
            self.problem(
                when_span,
                "when must name the element kind(s) the rule is for (kind = \"flow\", ...)".into(),
            );
        }
        let unless: Vec<Condition> = match r.unless {
            None => Vec::new(),
            Some(u) => {
                let span = u.span();
                let list = u.into_inner().0;
                if list.is_empty() {
                    self.problem(span, "unless: give at least one condition".into());
                }
                list.into_iter().map(|c| self.condition(c)).collect()
            }
        };
        if self.problems.len() > before {
            return None;
        }
        Some(Rule {
            id,
            name: r.name,
            stride,
            refs: r.refs.into_iter().map(Spanned::into_inner).collect(),
            cwes: r.cwes.into_iter().map(Spanned::into_inner).collect(),
            likelihood,
            impact,
            threat: r.threat.into_inner(),
            reason: r.reason.map(Spanned::into_inner).unwrap_or_default(),
            mitigations: r.mitigations,
            when,
            unless,
            origin: file.to_string(),
            line,
        })
    }

    fn template(&mut self, text: &Spanned<String>) {
        for name in super::engine::placeholders_in(text.get_ref()) {
            if !super::engine::PLACEHOLDERS.contains(&name) {
                self.problem(
                    text.span(),
                    format!(
                        "unknown placeholder {{{name}}}; known: {}",
                        super::engine::PLACEHOLDERS
                            .iter()
                            .map(|p| format!("{{{p}}}"))
                            .collect::<Vec<_>>()
                            .join(" ")
                    ),
                );
            }
        }
    }

    fn words<T>(
        &mut self,
        value: Option<Spanned<OneOrMany>>,
        key: &str,
        parse: impl Fn(&str) -> Option<T>,
        known: &dyn Fn() -> String,
    ) -> Option<Words<T>> {
        let value = value?;
        let span = value.span();
        let mut out = Vec::new();
        for word in &value.get_ref().0 {
            match parse(word) {
                Some(v) => out.push(v),
                None => self.problem(
                    span.clone(),
                    format!("{key}: unknown word {word:?}; known: {}", known()),
                ),
            }
        }
        if value.get_ref().0.is_empty() {
            self.problem(span, format!("{key}: give at least one word"));
        }
        Some(Words(out))
    }

    fn condition(&mut self, c: RawCondition) -> Condition {
        let kinds = || crate::library::element_kind_names();
        let techs = || join(Technology::ALL.iter().map(|t| t.as_str()));
        let protocols = || join(ProtocolFamily::ALL.iter().map(|t| t.as_str()));
        let crossings = || join(Crossing::WORDS.iter().copied());
        let data = c.data.map(|d| {
            let parsed = Classification::ALL
                .into_iter()
                .find(|x| x.as_str().eq_ignore_ascii_case(d.get_ref().trim()));
            if parsed.is_none() {
                self.problem(
                    d.span(),
                    format!(
                        "data: unknown classification {:?}; known: {}",
                        d.get_ref(),
                        join(Classification::ALL.iter().map(|c| c.as_str()))
                    ),
                );
            }
            parsed.unwrap_or(Classification::Public)
        });
        Condition {
            kind: self.words(c.kind, "kind", ElementKind::parse, &kinds),
            technology: self.words(c.technology, "technology", Technology::parse, &techs),
            from_kind: self.words(c.from_kind, "from_kind", ElementKind::parse, &kinds),
            to_kind: self.words(c.to_kind, "to_kind", ElementKind::parse, &kinds),
            from_technology: self.words(
                c.from_technology,
                "from_technology",
                Technology::parse,
                &techs,
            ),
            to_technology: self.words(c.to_technology, "to_technology", Technology::parse, &techs),
            protocol: self.words(c.protocol, "protocol", ProtocolFamily::parse, &protocols),
            authenticated: c.authenticated,
            encrypted: c.encrypted,
            crossing: self
                .words(c.crossing, "crossing", Crossing::parse_word, &crossings)
                .map(|w| Words(w.0.into_iter().flatten().collect())),
            from_internet: c.from_internet,
            internet_facing: c.internet_facing,
            data,
            tags: c.tags.map(|t| {
                Words(
                    t.into_inner()
                        .0
                        .into_iter()
                        .map(|s| s.trim().to_lowercase())
                        .collect(),
                )
            }),
            sends: self.words(c.sends, "sends", ProtocolFamily::parse, &protocols),
            receives: self.words(c.receives, "receives", ProtocolFamily::parse, &protocols),
            sends_to: self.words(c.sends_to, "sends_to", Technology::parse, &techs),
            receives_from: self.words(c.receives_from, "receives_from", Technology::parse, &techs),
        }
    }
}

fn join<'a>(words: impl Iterator<Item = &'a str>) -> String {
    words.collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<RuleFile, Vec<String>> {
        parse_rules(text, Origin::Text("t.toml".into()))
            .map_err(|ps| ps.iter().map(|p| p.to_string()).collect())
    }

    const HEADER: &str = "[rules]\nid = \"team\"\nname = \"Team rules\"\n";

    #[test]
    fn a_rule_is_read_with_its_condition() {
        let text = format!(
            "{HEADER}
[[rule]]
id = \"replay\"
name = \"Replay\"
stride = \"ST\"
refs = [\"capec:CAPEC-60\"]
likelihood = 2
impact = 3
threat = \"An attacker replays a request to {{to}}\"
when = {{ kind = \"flow\", crossing = \"inward\", protocol = [\"http\", \"https\"] }}
unless = {{ tags = \"signed\" }}
"
        );
        let file = parse(&text).expect("parses");
        assert_eq!(file.id, "team");
        let rule = &file.rules[0];
        assert_eq!(rule.id, "replay");
        assert_eq!(rule.stride.to_string(), "ST");
        assert_eq!(rule.line, 5);
        assert_eq!(rule.when.protocol.as_ref().map(|w| w.0.len()), Some(2));
        assert_eq!(
            rule.unless
                .first()
                .and_then(|u| u.tags.clone())
                .map(|t| t.0),
            Some(vec!["signed".to_string()])
        );
    }

    #[test]
    fn unless_may_be_a_list_of_conditions() {
        let text = format!(
            "{HEADER}
[[rule]]
id = \"x\"
name = \"X\"
stride = \"S\"
threat = \"t\"
when = {{ kind = \"flow\" }}
unless = [{{ protocol = \"dns\" }}, {{ tags = \"signed\" }}]
"
        );
        let file = parse(&text).expect("parses");
        assert_eq!(file.rules[0].unless.len(), 2);

        let bad = text.replace("tags = \"signed\"", "colour = \"red\"");
        let problems = parse(&bad).expect_err("unknown key in the list");
        assert!(problems[0].contains("colour"), "{problems:?}");
        let empty = text.replace(
            "unless = [{ protocol = \"dns\" }, { tags = \"signed\" }]",
            "unless = []",
        );
        let problems = parse(&empty).expect_err("empty list");
        assert!(
            problems[0].contains("at least one condition"),
            "{problems:?}"
        );
    }

    #[test]
    fn every_problem_of_meaning_is_reported_with_its_position() {
        let text = format!(
            "{HEADER}
[[rule]]
id = \"bad\"
name = \"Bad\"
stride = \"SX\"
refs = [\"CAPEC-60\"]
likelihood = 5
threat = \"{{attacker}} does {{element}}\"
when = {{ kind = \"flow\", technology = \"databse\", crossing = \"upward\" }}
"
        );
        let problems = parse(&text).expect_err("rejected");
        let joined = problems.join("\n");
        assert!(joined.contains("t.toml:8:10: stride \"SX\""), "{joined}");
        assert!(
            joined.contains("t.toml:9:9: reference \"CAPEC-60\""),
            "{joined}"
        );
        assert!(
            joined.contains("t.toml:10:14: likelihood must be"),
            "{joined}"
        );
        assert!(
            joined.contains("unknown placeholder {attacker}"),
            "{joined}"
        );
        assert!(joined.contains("unknown word \"databse\""), "{joined}");
        assert!(joined.contains("unknown word \"upward\""), "{joined}");
        assert_eq!(problems.len(), 6, "{joined}");
    }

    #[test]
    fn shape_errors_have_a_position_and_rules_need_a_kind() {
        let text = format!(
            "{HEADER}\n[[rule]]\nid = \"x\"\nname = \"X\"\nstride = \"S\"\nthreat = \"t\"\nwhen = {{ colour = \"red\" }}\n"
        );
        let problems = parse(&text).expect_err("unknown key");
        assert!(problems[0].starts_with("t.toml:10:"), "{problems:?}");
        assert!(problems[0].contains("colour"), "{problems:?}");

        let text = format!(
            "{HEADER}\n[[rule]]\nid = \"x\"\nname = \"X\"\nstride = \"S\"\nthreat = \"t\"\nwhen = {{ encrypted = false }}\n"
        );
        let problems = parse(&text).expect_err("no kind");
        assert!(
            problems[0].contains("when must name the element kind"),
            "{problems:?}"
        );

        let text = format!(
            "{HEADER}\n[[rule]]\nid = \"x\"\nname = \"X\"\nstride = \"S\"\nthreat = \"t\"\nwhen = {{ kind = \"flow\" }}\n[[rule]]\nid = \"X\"\nname = \"X\"\nstride = \"S\"\nthreat = \"t\"\nwhen = {{ kind = \"flow\" }}\n"
        );
        let problems = parse(&text).expect_err("duplicate");
        assert!(problems[0].contains("used twice"), "{problems:?}");
    }

    #[test]
    fn rules_files_are_told_from_libraries_by_their_first_table() {
        assert!(is_rules_file("# team rules\n\n[rules]\nid = \"x\"\n"));
        assert!(is_rules_file("[rules] # ours\n"));
        assert!(!is_rules_file("[library]\nid = \"x\"\n"));
        assert!(!is_rules_file("[[rule]]\n"));
        assert!(!is_rules_file(""));
    }
}
