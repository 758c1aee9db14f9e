//! Threats typed by hand or edited, and their one-line view.

use crate::model::text::escape_control;
use crate::model::{LibraryRef, Rating, StrideSet, Threat};
use crate::tui::theme::Theme;
use crate::tui::widgets::form::{Field, Form, Note};
use ratatui::text::{Line, Span};

/// The form for a threat typed by hand, or for editing one.
pub fn threat_form(threat: Option<&Threat>) -> Form {
    let title = match threat {
        Some(t) => format!("Edit threat {}", escape_control(t.id.as_str())),
        None => "Custom threat".to_string(),
    };
    let refs = threat
        .map(|t| {
            t.refs
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    Form::new(
        title,
        threat_fields(
            threat.map_or("", |t| &t.title),
            &threat.map(|t| t.stride.to_string()).unwrap_or_default(),
            &refs,
            threat.map_or("", |t| &t.notes),
        ),
    )
}

fn threat_fields(title: &str, stride: &str, refs: &str, notes: &str) -> Vec<Field> {
    vec![
        Field::text("title", "Title", title, "what can go wrong, concretely"),
        Field::text("stride", "STRIDE", stride, "letters, e.g. TI"),
        Field::text(
            "refs",
            "Refs",
            refs,
            "e.g. attack:T1078, owasp-api-2023:API1",
        ),
        Field::text("notes", "Notes", notes, ""),
    ]
}

/// At most this many of an entry's letters are taken as they are when a threat is added from a
/// library. An entry listing more (CAPEC-60 lists S, T, R, I and E) describes an attack that can
/// serve several ends; taking them all would mark most of the element covered by one threat, so
/// the team picks the letters this threat is about.
pub const LETTERS_TAKEN_AS_GIVEN: usize = 2;

/// The threat form for a library entry picked for an element of this kind, where `applicable`
/// are the element's STRIDE letters: the entry's name and reference filled in, and its letters
/// that apply to the element when there are one or two of them. Otherwise the STRIDE field
/// starts empty, focused, with a note listing the library's letters.
pub fn library_threat_form(
    reference: &LibraryRef,
    name: &str,
    stride: &StrideSet,
    applicable: &StrideSet,
) -> Form {
    let listed = stride.intersection(applicable);
    let taken = (1..=LETTERS_TAKEN_AS_GIVEN).contains(&listed.len());
    let mut fields = threat_fields(
        name,
        &if taken {
            listed.to_string()
        } else {
            String::new()
        },
        reference.as_str(),
        "",
    );
    let spaced = |set: &StrideSet| {
        set.iter()
            .map(|s| s.letter().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let note = if taken {
        None
    } else if !listed.is_empty() {
        Some(format!(
            "library lists {}: keep the letters this threat is about",
            spaced(&listed)
        ))
    } else if !stride.is_empty() {
        Some(format!(
            "library lists {}, none usual here: give this threat's letters",
            spaced(stride)
        ))
    } else {
        Some("library lists no letters: give this threat's letters".to_string())
    };
    let mut focus = 0;
    if let Some(note) = note
        && let Some(i) = fields.iter().position(|f| f.key == "stride")
    {
        fields[i] = fields[i].clone().with_note(Note::Fixed(note));
        focus = i;
    }
    let mut form = Form::new(
        format!("New threat from {}", escape_control(reference.as_str())),
        fields,
    );
    form.focus = focus;
    form
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
    } else if stride.is_empty() {
        // A threat with no letter covers nothing and cannot be found by category later.
        form.set_error("stride", "give at least one letter: S T R I D E");
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Response, ThreatStatus};

    fn base() -> Threat {
        Threat {
            rule: None,
            id: "TH-001".into(),
            target: "api".into(),
            title: String::new(),
            stride: StrideSet::empty(),
            refs: Vec::new(),
            likelihood: None,
            impact: None,
            response: Response::Undecided,
            status: ThreatStatus::Open,
            transferred_to: String::new(),
            raised_by: Vec::new(),
            notes: String::new(),
        }
    }

    fn note(form: &Form) -> Option<&str> {
        form.fields
            .iter()
            .find(|f| f.key == "stride")
            .and_then(|f| match &f.note {
                Note::Fixed(text) => Some(text.as_str()),
                _ => None,
            })
    }

    #[test]
    fn library_letters_are_taken_only_when_one_or_two_apply() {
        let reference = LibraryRef::new("capec", "CAPEC-60");
        let flow = StrideSet::parse("TID");
        // Two of the entry's letters apply to the element: taken, no note.
        let form = library_threat_form(&reference, "Replay", &StrideSet::parse("STRIE"), &flow);
        assert_eq!(form.text("stride"), "TI");
        assert_eq!(note(&form), None);
        assert_eq!(form.focus, 0);
        assert_eq!(form.text("refs"), "capec:CAPEC-60");
        assert_eq!(form.text("title"), "Replay");
        // Three or more: none taken, listed in a note, and the field has the focus.
        let form = library_threat_form(
            &reference,
            "Replay",
            &StrideSet::parse("STRIE"),
            &StrideSet::all(),
        );
        assert_eq!(form.text("stride"), "");
        assert_eq!(
            note(&form),
            Some("library lists S T R I E: keep the letters this threat is about")
        );
        assert_eq!(form.fields[form.focus].key, "stride");
        // None that apply, or none at all: the team gives them.
        let form = library_threat_form(&reference, "x", &StrideSet::parse("SR"), &flow);
        assert_eq!(form.text("stride"), "");
        assert!(note(&form).is_some_and(|n| n.contains("S R, none usual here")));
        let form = library_threat_form(&reference, "x", &StrideSet::empty(), &flow);
        assert!(note(&form).is_some_and(|n| n.contains("no letters")));
    }

    #[test]
    fn a_threat_needs_a_letter() {
        let mut form = threat_form(None);
        form.fields[0] = Field::text("title", "Title", "Token replay", "");
        assert!(threat_from_form(&mut form, base()).is_none());
        assert_eq!(
            form.fields[1].error.as_deref(),
            Some("give at least one letter: S T R I D E")
        );
        form.fields[1] = Field::text("stride", "STRIDE", "s", "");
        let threat = threat_from_form(&mut form, base()).expect("valid");
        assert_eq!(threat.stride.to_string(), "S");
    }
}
