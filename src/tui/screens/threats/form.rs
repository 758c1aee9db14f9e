//! Threats typed by hand or edited, and their one-line view.

use crate::model::text::escape_control;
use crate::model::{LibraryRef, Rating, StrideSet, Threat};
use crate::tui::theme::Theme;
use crate::tui::widgets::form::{Field, Form};
use ratatui::text::{Line, Span};

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
