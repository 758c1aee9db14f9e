//! Fuzzy search over every loaded library, for the threat picker and `library search`.
//!
//! What is searched: each entry's id, name, tags and tactics, with skim's fuzzy matcher
//! ([`SkimMatcherV2`]). Ranking, best first:
//!
//! 1. an exact id (`t1078.004`, `CAPEC-66`, `A01`) or full reference (`attack:T1078`), ignoring
//!    case, always comes first;
//! 2. then the fuzzy score of the best-matching field, where a name counts fully, a tag three
//!    quarters and a tactic half, so a name that matches beats a tag that matches as well (tags
//!    are there to find things whose names do not say it: `sqli`, `idor`);
//! 3. at equal score, entries without a parent (ATT&CK techniques) before their children
//!    (sub-techniques), then the shorter matched text (the closer match), then library and file
//!    order, so results never depend on hash order.
//!
//! Which keys are tried, before the matcher runs:
//!
//! - ids match from their start or from their number (`t10`, `1078`, `capec-6`, `66`): ids are
//!   codes, typed from the front, and a fuzzy match of `a` against every `capec-NNN` means
//!   nothing;
//! - a one-character query matches only at the start of a word (`s` finds "SQL Injection" and
//!   "Network Sniffing", not every name with an s in it), which is what a person typing the first
//!   letter means, and keeps the busiest query cheap;
//! - longer queries match anywhere, as long as their characters occur in order (the matcher's
//!   own condition, checked cheaply first).
//!
//! Speed: the lowercase search keys are computed once when the libraries load. Identical keys are
//! stored once (all sub-techniques under one tactic share that tactic's key; tags repeat a lot),
//! so a query scores each distinct key at most once, and match positions are only computed for
//! the results that are returned.

use super::{Entry, Library};
use crate::model::{ElementKind, LibraryRef, StrideSet};
use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use std::cmp::Reverse;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Which field of an entry matched the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchField {
    Id,
    Name,
    Tag,
    Tactic,
}

impl MatchField {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchField::Id => "id",
            MatchField::Name => "name",
            MatchField::Tag => "tag",
            MatchField::Tactic => "tactic",
        }
    }

    /// How much a match in this field counts, in quarters (see the module docs).
    fn weight(self) -> i64 {
        match self {
            MatchField::Id | MatchField::Name => 4,
            MatchField::Tag => 3,
            MatchField::Tactic => 2,
        }
    }
}

/// What to search for besides the query text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchOptions {
    /// Only entries that apply to this kind of element.
    pub kind: Option<ElementKind>,
    /// Only entries with at least one of these STRIDE categories; empty means any.
    pub stride: StrideSet,
    /// Only this library (its id, ignoring case).
    pub library: Option<String>,
    /// At most this many results; 0 means all.
    pub limit: usize,
}

/// One result.
#[derive(Debug, Clone)]
pub struct SearchHit<'a> {
    pub library: &'a Library,
    pub entry: &'a Entry,
    /// Higher is better; an exact id match has the highest score there is.
    pub score: i64,
    /// The query was the entry's id or full reference.
    pub exact: bool,
    pub field: MatchField,
    /// The text of the field that matched, as in the file (the name, the tag, the tactic...).
    pub matched: &'a str,
    /// Indices of the matched characters in `matched` (characters, not bytes). When `field` is
    /// [`MatchField::Name`] they index the entry's name as displayed, for highlighting; names
    /// never contain control characters (the loader rejects them), so escaping does not move
    /// them.
    pub positions: Vec<usize>,
}

impl SearchHit<'_> {
    pub fn reference(&self) -> LibraryRef {
        self.library.reference(self.entry)
    }

    pub fn library_id(&self) -> &str {
        &self.library.info.id
    }

    pub fn entry_id(&self) -> &str {
        &self.entry.id
    }

    pub fn name(&self) -> &str {
        &self.entry.name
    }
}

/// A distinct lowercase search key.
#[derive(Debug, Clone)]
struct Term {
    text: String,
    /// All ASCII: the prefilter can compare bytes.
    ascii: bool,
    field: MatchField,
    /// Length in characters, the "closer match" tie-break.
    chars: usize,
    /// For ids: the byte offset of the first digit (`t1078` -> 1, `capec-66` -> 6), so that the
    /// number alone finds the id.
    digits_at: usize,
}

impl Term {
    /// The cheap test run before the matcher; see the module docs for why each rule.
    fn could_match(&self, query: &str, query_ascii: bool) -> bool {
        match self.field {
            MatchField::Id => {
                self.text.starts_with(query)
                    || self
                        .text
                        .get(self.digits_at..)
                        .is_some_and(|d| d.starts_with(query))
            }
            _ if query.chars().nth(1).is_none() => {
                let Some(q) = query.chars().next() else {
                    return false;
                };
                let mut prev_alnum = false;
                for c in self.text.chars() {
                    if c == q && !prev_alnum {
                        return true;
                    }
                    prev_alnum = c.is_alphanumeric();
                }
                false
            }
            _ => is_subsequence(query, query_ascii, &self.text, self.ascii),
        }
    }
}

/// Where a key came from in an entry: which field, and which item of a list field.
#[derive(Debug, Clone, Copy)]
struct TermUse {
    term: u32,
    item: u16,
}

#[derive(Debug, Clone)]
struct IndexedEntry {
    library: u32,
    entry: u32,
    id_lower: String,
    has_parent: bool,
    /// Bit per [`ElementKind`] in `ElementKind::ALL` order.
    kinds: u8,
    stride: StrideSet,
    terms: Vec<TermUse>,
}

/// Search keys for all entries of a set of libraries, built once at load time.
#[derive(Debug, Clone, Default)]
pub(crate) struct SearchIndex {
    terms: Vec<Term>,
    entries: Vec<IndexedEntry>,
    library_ids: Vec<String>,
}

/// Lowercases character by character, keeping exactly one character for each, so that match
/// positions in the key are positions in the original text too (full Unicode lowercasing can
/// turn one character into two, e.g. 'İ').
fn lower_keep_positions(text: &str) -> String {
    text.chars()
        .map(|c| c.to_lowercase().next().unwrap_or(c))
        .collect()
}

fn matcher() -> &'static SkimMatcherV2 {
    static MATCHER: OnceLock<SkimMatcherV2> = OnceLock::new();
    // Keys and queries are both lowercased already, so matching can compare characters as they
    // are.
    MATCHER.get_or_init(|| SkimMatcherV2::default().respect_case())
}

/// True when `needle`'s characters occur in `hay` in order: the matcher's own precondition,
/// checked cheaply first.
fn is_subsequence(needle: &str, needle_ascii: bool, hay: &str, hay_ascii: bool) -> bool {
    if needle_ascii && hay_ascii {
        let mut want = needle.as_bytes().iter().peekable();
        for b in hay.as_bytes() {
            match want.peek() {
                Some(&&w) if w == *b => {
                    want.next();
                }
                Some(_) => {}
                None => return true,
            }
        }
        want.peek().is_none()
    } else {
        let mut want = needle.chars().peekable();
        for c in hay.chars() {
            match want.peek() {
                Some(&w) if w == c => {
                    want.next();
                }
                Some(_) => {}
                None => return true,
            }
        }
        want.peek().is_none()
    }
}

const UNSCORED: i32 = i32::MIN;
const NO_MATCH: i32 = i32::MIN + 1;

impl SearchIndex {
    pub(crate) fn build(libraries: &[Library]) -> SearchIndex {
        let mut index = SearchIndex {
            library_ids: libraries.iter().map(|l| l.info.id.to_lowercase()).collect(),
            ..SearchIndex::default()
        };
        let mut interned: HashMap<(MatchField, String), u32> = HashMap::new();
        let mut intern = |terms: &mut Vec<Term>, field: MatchField, text: &str| -> u32 {
            let key = (field, lower_keep_positions(text));
            if let Some(&id) = interned.get(&key) {
                return id;
            }
            let id = u32::try_from(terms.len()).unwrap_or(u32::MAX);
            terms.push(Term {
                ascii: key.1.is_ascii(),
                chars: key.1.chars().count(),
                digits_at: key
                    .1
                    .find(|c: char| c.is_ascii_digit())
                    .unwrap_or(key.1.len()),
                text: key.1.clone(),
                field,
            });
            interned.insert(key, id);
            id
        };
        for (li, lib) in libraries.iter().enumerate() {
            for (ei, entry) in lib.entries.iter().enumerate() {
                let mut terms = Vec::with_capacity(2 + entry.tags.len() + entry.tactics.len());
                terms.push(TermUse {
                    term: intern(&mut index.terms, MatchField::Name, &entry.name),
                    item: 0,
                });
                terms.push(TermUse {
                    term: intern(&mut index.terms, MatchField::Id, &entry.id),
                    item: 0,
                });
                for (i, tag) in entry.tags.iter().enumerate().take(usize::from(u16::MAX)) {
                    terms.push(TermUse {
                        term: intern(&mut index.terms, MatchField::Tag, tag),
                        item: u16::try_from(i).unwrap_or(u16::MAX),
                    });
                }
                for (i, tactic) in entry.tactics.iter().enumerate().take(usize::from(u16::MAX)) {
                    terms.push(TermUse {
                        term: intern(&mut index.terms, MatchField::Tactic, tactic),
                        item: u16::try_from(i).unwrap_or(u16::MAX),
                    });
                }
                let kinds = ElementKind::ALL
                    .iter()
                    .enumerate()
                    .filter(|(_, k)| entry.applies_to(**k))
                    .fold(0u8, |bits, (i, _)| bits | (1 << i));
                index.entries.push(IndexedEntry {
                    library: u32::try_from(li).unwrap_or(u32::MAX),
                    entry: u32::try_from(ei).unwrap_or(u32::MAX),
                    id_lower: lower_keep_positions(&entry.id),
                    has_parent: entry.parent.is_some(),
                    kinds,
                    stride: entry.stride.clone(),
                    terms,
                });
            }
        }
        index
    }

    pub(crate) fn search<'a>(
        &self,
        libraries: &'a [Library],
        query: &str,
        options: &SearchOptions,
    ) -> Vec<SearchHit<'a>> {
        let mut query = lower_keep_positions(query.trim());
        let mut only_library = options.library.as_ref().map(|id| {
            self.library_ids
                .iter()
                .position(|l| l.eq_ignore_ascii_case(id))
        });
        if only_library == Some(None) {
            return Vec::new(); // asked for a library that is not loaded
        }
        // `attack:T1078` or `attack:valid`: the prefix picks the library.
        if let Some((prefix, rest)) = query.split_once(':')
            && let Some(li) = self.library_ids.iter().position(|l| l == prefix)
        {
            if only_library.is_some_and(|o| o != Some(li)) {
                return Vec::new();
            }
            only_library = Some(Some(li));
            query = rest.trim().to_string();
        }
        let only_library = only_library.flatten();
        let kind_bit = options.kind.and_then(|k| {
            ElementKind::ALL
                .iter()
                .position(|x| *x == k)
                .map(|i| 1u8 << i)
        });
        let query_ascii = query.is_ascii();
        let mut term_scores = vec![UNSCORED; self.terms.len()];

        struct Candidate {
            at: usize,
            exact: bool,
            score: i64,
            field: MatchField,
            item: u16,
            term: u32,
        }
        let mut found: Vec<Candidate> = Vec::new();
        for (at, e) in self.entries.iter().enumerate() {
            if only_library.is_some_and(|li| li != e.library as usize)
                || kind_bit.is_some_and(|bit| e.kinds & bit == 0)
                || (!options.stride.is_empty() && options.stride.intersection(&e.stride).is_empty())
            {
                continue;
            }
            if query.is_empty() {
                found.push(Candidate {
                    at,
                    exact: false,
                    score: 0,
                    field: MatchField::Name,
                    item: 0,
                    term: e.terms.first().map_or(0, |t| t.term),
                });
                continue;
            }
            if e.id_lower == query {
                found.push(Candidate {
                    at,
                    exact: true,
                    score: i64::MAX,
                    field: MatchField::Id,
                    item: 0,
                    term: e.terms.get(1).map_or(0, |t| t.term),
                });
                continue;
            }
            let mut best: Option<Candidate> = None;
            for usage in &e.terms {
                let Some(term) = self.terms.get(usage.term as usize) else {
                    continue;
                };
                let slot = &mut term_scores[usage.term as usize];
                if *slot == UNSCORED {
                    *slot = if term.could_match(&query, query_ascii) {
                        matcher()
                            .fuzzy_match(&term.text, &query)
                            .map_or(NO_MATCH, |s| i32::try_from(s).unwrap_or(i32::MAX))
                    } else {
                        NO_MATCH
                    };
                }
                if *slot == NO_MATCH {
                    continue;
                }
                let score = i64::from(*slot) * term.field.weight();
                if best.as_ref().is_none_or(|b| score > b.score) {
                    best = Some(Candidate {
                        at,
                        exact: false,
                        score,
                        field: term.field,
                        item: usage.item,
                        term: usage.term,
                    });
                }
            }
            found.extend(best);
        }

        if !query.is_empty() {
            let key = |c: &Candidate| {
                let e = &self.entries[c.at];
                (
                    Reverse(c.exact),
                    Reverse(c.score),
                    e.has_parent,
                    self.terms.get(c.term as usize).map_or(0, |t| t.chars),
                    e.library,
                    e.entry,
                )
            };
            // Only the first `limit` need to be in order: select them, then sort those.
            if options.limit > 0 && found.len() > options.limit {
                found.select_nth_unstable_by_key(options.limit - 1, key);
                found.truncate(options.limit);
            }
            found.sort_unstable_by_key(key);
        } else if options.limit > 0 {
            found.truncate(options.limit);
        }

        found
            .into_iter()
            .filter_map(|c| {
                let e = self.entries.get(c.at)?;
                let library = libraries.get(e.library as usize)?;
                let entry = library.entries.get(e.entry as usize)?;
                let matched: &str = match c.field {
                    MatchField::Id => &entry.id,
                    MatchField::Name => &entry.name,
                    MatchField::Tag => entry.tags.get(usize::from(c.item))?,
                    MatchField::Tactic => entry.tactics.get(usize::from(c.item))?,
                };
                let positions = if c.exact {
                    (0..entry.id.chars().count()).collect()
                } else if query.is_empty() {
                    Vec::new()
                } else {
                    let key = &self.terms.get(c.term as usize)?.text;
                    matcher()
                        .fuzzy_indices(key, &query)
                        .map(|(_, p)| p)
                        .unwrap_or_default()
                };
                Some(SearchHit {
                    library,
                    entry,
                    score: c.score,
                    exact: c.exact,
                    field: c.field,
                    matched,
                    positions,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::{LibraryData, LibraryInfo, LibrarySet, Origin};

    fn entry(
        id: &str,
        name: &str,
        parent: Option<&str>,
        tags: &[&str],
        kinds: &[ElementKind],
        stride: &str,
    ) -> Entry {
        Entry {
            id: id.into(),
            name: name.into(),
            parent: parent.map(Into::into),
            tags: tags.iter().map(|t| (*t).into()).collect(),
            applies_to: kinds.to_vec(),
            stride: StrideSet::parse(stride),
            tactics: vec!["credential-access".into()],
            ..Entry::default()
        }
    }

    fn set() -> LibrarySet {
        use ElementKind::*;
        let attack = LibraryData {
            library: LibraryInfo {
                id: "attack".into(),
                name: "ATT&CK".into(),
                ..LibraryInfo::default()
            },
            entries: vec![
                entry("T1078", "Valid Accounts", None, &[], &[Process], "SE"),
                entry(
                    "T1078.001",
                    "Default Accounts",
                    Some("T1078"),
                    &["valid accounts"],
                    &[Process],
                    "SE",
                ),
                entry(
                    "T1078.004",
                    "Cloud Accounts",
                    Some("T1078"),
                    &["valid accounts"],
                    &[Process],
                    "SE",
                ),
                entry(
                    "T1190",
                    "Exploit Public-Facing Application",
                    None,
                    &["sqli"],
                    &[Process, ExternalEntity],
                    "TE",
                ),
                entry("T1040", "Network Sniffing", None, &[], &[Flow], "I"),
            ],
            mitigations: Vec::new(),
        };
        let owasp = LibraryData {
            library: LibraryInfo {
                id: "owasp".into(),
                name: "OWASP".into(),
                ..LibraryInfo::default()
            },
            entries: vec![
                entry(
                    "A03",
                    "Injection",
                    None,
                    &["sqli", "xss"],
                    &[Process, DataStore],
                    "TIE",
                ),
                entry("İX", "İnjection Upper", None, &[], &[Process], "T"),
            ],
            mitigations: Vec::new(),
        };
        let libs = [attack, owasp]
            .into_iter()
            .map(|d| Library::new(d, Origin::Text("t".into()), (1, 1)))
            .collect();
        LibrarySet::from_libraries(libs).unwrap_or_default()
    }

    fn refs(hits: &[SearchHit<'_>]) -> Vec<String> {
        hits.iter().map(|h| h.reference().to_string()).collect()
    }

    #[test]
    fn name_beats_tag_and_parent_beats_child() {
        let set = set();
        let hits = set.search("valid acc", &SearchOptions::default());
        assert_eq!(
            refs(&hits)[..3],
            ["attack:T1078", "attack:T1078.001", "attack:T1078.004"]
        );
        assert_eq!(hits[0].field, MatchField::Name);
        assert_eq!(hits[0].positions, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(hits[1].field, MatchField::Tag);
        assert_eq!(hits[1].matched, "valid accounts");
    }

    #[test]
    fn exact_ids_and_refs_come_first_in_any_case() {
        let set = set();
        for q in [
            "t1078.004",
            "T1078.004",
            "attack:t1078.004",
            " ATTACK:T1078.004 ",
        ] {
            let hits = set.search(q, &SearchOptions::default());
            assert_eq!(
                refs(&hits).first().map(String::as_str),
                Some("attack:T1078.004"),
                "{q}"
            );
            assert!(hits[0].exact);
        }
        let hits = set.search("T1078", &SearchOptions::default());
        assert_eq!(refs(&hits)[..2], ["attack:T1078", "attack:T1078.001"]);
        let hits = set.search("a03", &SearchOptions::default());
        assert_eq!(refs(&hits)[0], "owasp:A03");
    }

    #[test]
    fn filters_by_kind_stride_and_library() {
        let set = set();
        let opts = SearchOptions {
            kind: Some(ElementKind::DataStore),
            ..SearchOptions::default()
        };
        assert_eq!(refs(&set.search("sqli", &opts)), ["owasp:A03"]);
        let opts = SearchOptions {
            stride: StrideSet::parse("I"),
            ..SearchOptions::default()
        };
        assert_eq!(refs(&set.search("", &opts)), ["attack:T1040", "owasp:A03"]);
        let opts = SearchOptions {
            library: Some("OWASP".into()),
            ..SearchOptions::default()
        };
        assert!(refs(&set.search("valid", &opts)).is_empty());
        let opts = SearchOptions {
            library: Some("nope".into()),
            ..SearchOptions::default()
        };
        assert!(set.search("", &opts).is_empty());
        assert_eq!(
            refs(&set.search("owasp:inj", &SearchOptions::default()))[0],
            "owasp:A03"
        );
    }

    #[test]
    fn sqli_finds_name_and_tag_matches() {
        let set = set();
        let hits = set.search("sqli", &SearchOptions::default());
        let r = refs(&hits);
        assert!(
            r.contains(&"owasp:A03".to_string()) && r.contains(&"attack:T1190".to_string()),
            "{r:?}"
        );
        assert!(hits.iter().all(|h| h.field == MatchField::Tag));
    }

    #[test]
    fn tactics_match_with_less_weight_and_limit_applies() {
        let set = set();
        let hits = set.search(
            "credential",
            &SearchOptions {
                limit: 2,
                ..SearchOptions::default()
            },
        );
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[0].field, MatchField::Tactic);
        assert_eq!(hits[0].matched, "credential-access");
    }

    #[test]
    fn positions_index_characters_of_the_displayed_name() {
        let set = set();
        let hits = set.search("upper", &SearchOptions::default());
        assert_eq!(refs(&hits), ["owasp:İX"]);
        let name: Vec<char> = hits[0].name().chars().collect();
        let picked: String = hits[0]
            .positions
            .iter()
            .filter_map(|&i| name.get(i))
            .collect();
        assert_eq!(picked, "Upper");
    }

    #[test]
    fn one_character_and_unmatched_queries() {
        let set = set();
        let hits = set.search("v", &SearchOptions::default());
        assert_eq!(refs(&hits)[0], "attack:T1078");
        assert!(set.search("zzzz", &SearchOptions::default()).is_empty());
        assert_eq!(set.search("", &SearchOptions::default()).len(), 7);
    }

    #[test]
    fn ids_match_from_the_start_or_the_number_and_single_letters_at_word_starts() {
        let set = set();
        let all = SearchOptions::default();
        assert_eq!(
            refs(&set.search("1078.00", &all)),
            ["attack:T1078.001", "attack:T1078.004"]
        );
        assert_eq!(refs(&set.search("a0", &all)), ["owasp:A03"]);
        // 'k' occurs in "Network Sniffing" and "Attack", but starts no word.
        assert!(set.search("k", &all).is_empty());
        let s = refs(&set.search("s", &all));
        assert!(s.contains(&"attack:T1040".to_string()), "{s:?}");
        assert!(!s.contains(&"attack:T1078".to_string()), "{s:?}");
    }

    #[test]
    fn subsequence_prefilter_agrees_on_ascii_and_unicode() {
        assert!(is_subsequence("vac", true, "valid accounts", true));
        assert!(!is_subsequence("vax", true, "valid accounts", true));
        assert!(is_subsequence("éa", false, "café au lait", false));
        assert!(!is_subsequence("éa", false, "café", false));
        assert!(is_subsequence("", true, "x", true));
    }
}
