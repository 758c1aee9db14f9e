//! Question 2, "What can go wrong?": pick an element (boundary-crossing flows first), see which
//! STRIDE categories apply and which are covered, and add threats from the libraries through a
//! fuzzy picker, from suggestions, or typed by hand. Likelihood and impact are single keys.

use crate::analysis::{ModelGraph, component_applicable, flow_applicable};
use crate::library::{LibrarySet, SearchOptions};
use crate::model::edit::{Edit, Item};
use crate::model::text::escape_control;
use crate::model::{
    ElementKind, LibraryRef, Rating, Response, Session, Stride, StrideSet, Threat, ThreatStatus,
};
use crate::tui::theme::Theme;
use crate::tui::widgets::form::{Field, Form};
use crate::tui::widgets::text_input::TextInput;
use ratatui::text::{Line, Span};
use std::collections::HashMap;

/// An element as question 2 lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementRow {
    pub id: String,
    pub kind: ElementKind,
    pub title: String,
    pub crossing: bool,
    pub applicable: StrideSet,
    /// Letters named by reviewed threats on the element (see [`covered`]).
    pub covered: StrideSet,
    /// Letters the team marked not applicable to it.
    pub not_applicable: StrideSet,
    /// A threat on it waits for review (a re-run flagged it).
    pub needs_review: bool,
}

/// Flows that cross a boundary first (they get all six categories), then components, then the
/// other flows: the order a facilitator walks them.
pub fn elements(s: &Session) -> Vec<ElementRow> {
    let graph = ModelGraph::new(s);
    // One pass over the threats instead of one per element: large models have thousands of both.
    let mut by_target: HashMap<&str, (StrideSet, bool)> = HashMap::new();
    for t in &s.threats {
        let entry = by_target
            .entry(t.target.as_str())
            .or_insert_with(|| (StrideSet::empty(), false));
        if t.status == ThreatStatus::NeedsReview {
            entry.1 = true;
        } else {
            entry.0 = entry.0.union(&t.stride);
        }
    }
    let threat_state = |id: &str| {
        by_target
            .get(id)
            .cloned()
            .unwrap_or_else(|| (StrideSet::empty(), false))
    };
    let mut rows = Vec::new();
    for (i, f) in s.flows.iter().enumerate() {
        let (covered, needs_review) = threat_state(f.id.as_str());
        rows.push(ElementRow {
            id: f.id.to_string(),
            kind: ElementKind::Flow,
            title: format!("{} → {}: {}", f.from, f.to, f.label),
            crossing: graph.crosses_boundary(i),
            applicable: flow_applicable(&graph, i),
            covered,
            not_applicable: f.not_applicable.clone(),
            needs_review,
        });
    }
    for c in &s.components {
        let (covered, needs_review) = threat_state(c.id.as_str());
        rows.push(ElementRow {
            id: c.id.to_string(),
            kind: c.kind.into(),
            title: c.name.clone(),
            crossing: false,
            applicable: component_applicable(c),
            covered,
            not_applicable: c.not_applicable.clone(),
            needs_review,
        });
    }
    // Elements with threats to review come first (a re-run starts there), then crossing flows.
    rows.sort_by_key(|r| {
        let order = match (r.crossing, r.kind) {
            (true, _) => 0,
            (false, ElementKind::Flow) => 2,
            _ => 1,
        };
        (!r.needs_review, order)
    });
    rows
}

/// Letters named by threats on an element, counting only reviewed threats.
pub fn covered(s: &Session, id: &str) -> StrideSet {
    s.threats_on(id)
        .filter(|t| t.status != ThreatStatus::NeedsReview)
        .fold(StrideSet::empty(), |acc, t| acc.union(&t.stride))
}

/// "S✓ T· R· ..." for the applicable letters: ✓ covered, · open; readable without colour.
pub fn stride_marks(applicable: &StrideSet, covered: &StrideSet, na: &StrideSet) -> String {
    Stride::ALL
        .iter()
        .filter(|s| applicable.contains(**s))
        .map(|s| {
            let mark = if covered.contains(*s) {
                '✓'
            } else if na.contains(*s) {
                '-'
            } else {
                '·'
            };
            format!("{}{mark}", s.letter())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Threats on an element, in file order or by risk (highest first).
pub fn threats_of<'a>(s: &'a Session, id: &str, by_risk: bool) -> Vec<(usize, &'a Threat)> {
    let mut list: Vec<(usize, &Threat)> = s
        .threats
        .iter()
        .enumerate()
        .filter(|(_, t)| t.target.as_str() == id)
        .collect();
    if by_risk {
        list.sort_by_key(|(_, t)| std::cmp::Reverse(t.risk_score()));
    }
    list
}

/// One result of the picker, owned so the picker does not borrow the libraries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickerHit {
    pub reference: LibraryRef,
    pub name: String,
    pub stride: StrideSet,
    /// Why it is listed: "name", "tag sqli", "suggested: covers T, I".
    pub why: String,
    /// Characters of `name` to highlight.
    pub positions: Vec<usize>,
}

/// The fuzzy picker over every loaded library, filtered to the element's kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    pub target: String,
    pub kind: ElementKind,
    pub query: TextInput,
    pub hits: Vec<PickerHit>,
    pub selected: usize,
}

const PICKER_LIMIT: usize = 50;

impl Picker {
    pub fn open(s: &Session, libraries: &LibrarySet, row: &ElementRow) -> Picker {
        let mut picker = Picker {
            target: row.id.clone(),
            kind: row.kind,
            query: TextInput::default(),
            hits: Vec::new(),
            selected: 0,
        };
        picker.refresh(s, libraries, row);
        picker
    }

    /// Recomputes the results for the current query: on every key, since search takes well
    /// under a millisecond.
    pub fn refresh(&mut self, s: &Session, libraries: &LibrarySet, row: &ElementRow) {
        let query = self.query.text().trim();
        self.selected = 0;
        self.hits = if query.is_empty() {
            suggestions(s, libraries, row)
        } else {
            libraries
                .search(
                    query,
                    &SearchOptions {
                        kind: Some(self.kind),
                        limit: PICKER_LIMIT,
                        ..SearchOptions::default()
                    },
                )
                .into_iter()
                .map(|h| PickerHit {
                    reference: h.reference(),
                    name: h.entry.name.clone(),
                    stride: h.entry.stride.clone(),
                    why: match h.field {
                        crate::library::search::MatchField::Name => String::new(),
                        other => format!("{} {}", other.as_str(), h.matched),
                    },
                    positions: if h.field == crate::library::search::MatchField::Name {
                        h.positions.clone()
                    } else {
                        Vec::new()
                    },
                })
                .collect()
        };
    }

    pub fn selected_hit(&self) -> Option<&PickerHit> {
        self.hits.get(self.selected)
    }
}

/// Library entries that fit an element when nothing is typed yet: they apply to its kind and
/// cover a STRIDE category still open on it, from the short curated libraries first (STRIDE,
/// OWASP), whose entries make good session-level threats; tag matches with the element's tags and
/// protocol rank higher.
pub fn suggestions(s: &Session, libraries: &LibrarySet, row: &ElementRow) -> Vec<PickerHit> {
    let gaps = row.applicable.difference(&covered(s, &row.id));
    let words: Vec<String> = match row.kind {
        ElementKind::Flow => s
            .flow(&row.id)
            .map(|f| {
                let mut w: Vec<String> = f.tags.clone();
                w.extend(f.protocol.split_whitespace().map(str::to_lowercase));
                w
            })
            .unwrap_or_default(),
        _ => s
            .component(&row.id)
            .map(|c| c.tags.clone())
            .unwrap_or_default(),
    };
    let already: Vec<&LibraryRef> = s.threats_on(&row.id).flat_map(|t| t.refs.iter()).collect();
    let mut scored = Vec::new();
    for lib in libraries.libraries() {
        let curated = !matches!(lib.id(), "attack" | "capec");
        for e in lib.entries() {
            if !e.applies_to.contains(&row.kind) {
                continue;
            }
            let covers = e.stride.intersection(&gaps);
            if covers.is_empty() {
                continue;
            }
            let reference = lib.reference(e);
            if already.contains(&&reference) {
                continue;
            }
            let tag_hits = e
                .tags
                .iter()
                .filter(|t| words.iter().any(|w| w.eq_ignore_ascii_case(t)))
                .count();
            let score = covers.len() as i64 + 3 * tag_hits as i64 + if curated { 4 } else { 0 };
            if !curated && tag_hits == 0 {
                continue; // ATT&CK and CAPEC are too large to suggest without a specific reason
            }
            scored.push((
                score,
                PickerHit {
                    reference,
                    name: e.name.clone(),
                    stride: e.stride.clone(),
                    why: format!("suggested: covers {covers}"),
                    positions: Vec::new(),
                },
            ));
        }
    }
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.reference.cmp(&b.1.reference)));
    scored
        .into_iter()
        .take(PICKER_LIMIT)
        .map(|(_, h)| h)
        .collect()
}

/// The edit that adds a threat from a library entry to an element. Its STRIDE letters are the
/// entry's that apply to the element (all of them if none apply).
pub fn add_from_library(
    s: &Session,
    target: &str,
    applicable: &StrideSet,
    hit: &PickerHit,
) -> Edit {
    let letters = hit.stride.intersection(applicable);
    Edit::Insert {
        index: s.threats.len(),
        item: Item::Threat(Threat {
            id: s.next_threat_id(),
            target: target.into(),
            title: hit.name.clone(),
            stride: if letters.is_empty() {
                hit.stride.clone()
            } else {
                letters
            },
            refs: vec![hit.reference.clone()],
            likelihood: None,
            impact: None,
            response: Response::Undecided,
            status: ThreatStatus::Open,
            notes: String::new(),
        }),
    }
}

/// The form for a threat typed by hand, or for editing one.
pub fn threat_form(threat: Option<&Threat>) -> Form {
    let title = match threat {
        Some(t) => format!("Edit threat {}", escape_control(t.id.as_str())),
        None => "Custom threat".to_string(),
    };
    Form::new(
        title,
        vec![
            Field::text(
                "title",
                "Title",
                threat.map_or("", |t| &t.title),
                "what can go wrong, concretely",
            ),
            Field::text(
                "stride",
                "STRIDE",
                &threat.map(|t| t.stride.to_string()).unwrap_or_default(),
                "letters, e.g. TI",
            ),
            Field::text(
                "refs",
                "Refs",
                &threat
                    .map(|t| {
                        t.refs
                            .iter()
                            .map(|r| r.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default(),
                "e.g. attack:T1078, owasp-api-2023:API1",
            ),
            Field::text("notes", "Notes", threat.map_or("", |t| &t.notes), ""),
        ],
    )
}

/// Reads the threat form; marks bad fields and returns `None` when something is wrong.
pub fn threat_from_form(form: &mut Form, base: Threat) -> Option<Threat> {
    form.clear_errors();
    let title = form.text("title");
    if title.is_empty() {
        form.set_error("title", "say what can go wrong");
    }
    let stride = StrideSet::parse(&form.text("stride"));
    if !stride.unknown().is_empty() {
        form.set_error(
            "stride",
            format!("{:?}: use the letters S T R I D E", stride.unknown()),
        );
    }
    let refs: Vec<LibraryRef> = form
        .text("refs")
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(LibraryRef::raw)
        .collect();
    if let Some(bad) = refs.iter().find(|r| r.parts().is_none()) {
        form.set_error("refs", format!("{bad:?} is not <library>:<entry>"));
    }
    if form.has_errors() {
        return None;
    }
    Some(Threat {
        title,
        stride,
        refs,
        notes: form.text("notes"),
        ..base
    })
}

/// Likelihood or impact one step up, wrapping from high to low (unset starts at low).
pub fn cycle(r: Option<Rating>) -> Option<Rating> {
    Some(match r.map(|r| r.0) {
        Some(1) => Rating::MEDIUM,
        Some(2) => Rating::HIGH,
        _ => Rating::LOW,
    })
}

/// A threat's line: id, STRIDE, title, likelihood x impact = risk.
pub fn threat_line(t: &Threat, selected: bool, theme: &Theme) -> Line<'static> {
    let rating = |r: Option<Rating>| r.map_or("?".to_string(), |r| r.0.to_string());
    let risk = t
        .risk()
        .map_or("unrated".to_string(), |r| r.as_str().to_uppercase());
    let style = if selected {
        theme.selected()
    } else {
        theme.normal()
    };
    Line::from(vec![
        Span::styled(
            format!(
                "{}{} [{}] {} ",
                if selected { "▸ " } else { "  " },
                escape_control(t.id.as_str()),
                t.stride,
                escape_control(&t.title)
            ),
            style,
        ),
        Span::styled(
            format!(
                "L{}×I{} {risk} ({})",
                rating(t.likelihood),
                rating(t.impact),
                t.status.as_str()
            ),
            if t.risk_score() >= 6 {
                theme.warning()
            } else {
                theme.dim()
            },
        ),
    ])
}

/// A picker result with the matched characters of its name highlighted (underlined, so it
/// shows without colour).
pub fn hit_line(hit: &PickerHit, selected: bool, theme: &Theme) -> Line<'static> {
    let base = if selected {
        theme.selected()
    } else {
        theme.normal()
    };
    let mut spans = vec![Span::styled(
        format!(
            "{}{:<22} ",
            if selected { "▸ " } else { "  " },
            hit.reference.as_str()
        ),
        base,
    )];
    for (i, c) in escape_control(&hit.name).chars().enumerate() {
        let style = if hit.positions.contains(&i) {
            base.patch(theme.highlight())
        } else {
            base
        };
        spans.push(Span::styled(c.to_string(), style));
    }
    spans.push(Span::styled(format!("  [{}]", hit.stride), theme.dim()));
    if !hit.why.is_empty() {
        spans.push(Span::styled(
            format!("  {}", escape_control(&hit.why)),
            theme.dim(),
        ));
    }
    Line::from(spans)
}
