//! The idea form: the element (preselected), the statement, STRIDE letters, refs, and an
//! optional likelihood and impact. It is question 2's threat form (typed by hand, from a
//! library entry, or from a rule's suggestion) with the element in front and the ratings in
//! place of the notes, so both apps prefill and check ideas the same way.

use crate::model::{Rating, Session};
use crate::share::IdeaDraft;
use crate::share::protocol::{MAX_REFS, MAX_STATEMENT_CHARS};
use crate::tui::screens::threats::{ElementRow, blank_threat, threat_from_form};
use crate::tui::widgets::form::{Choice, Field, Form};
use crate::tui::widgets::text::sanitize;

/// The rating choices: unset first.
fn rating_field(key: &'static str, label: &'static str, value: Option<Rating>) -> Field {
    let options = vec![
        Choice::new("", "not rated"),
        Choice::new("1", "low"),
        Choice::new("2", "medium"),
        Choice::new("3", "high"),
    ];
    Field::choice(
        key,
        label,
        options,
        &value.map(|r| r.0.to_string()).unwrap_or_default(),
    )
}

/// The element choice: every element of the model, `element` chosen. An element the
/// facilitator removed while the form was open stays listed, marked, so the choice does not
/// move to another element behind the attendee's back.
fn element_field(rows: &[ElementRow], element: &str) -> Field {
    let mut options: Vec<Choice> = rows
        .iter()
        .map(|r| {
            Choice::new(
                r.id.clone(),
                format!("{} ({})", sanitize(&r.id), r.kind.as_str()),
            )
        })
        .collect();
    if !rows.iter().any(|r| r.id == element) {
        options.push(Choice::new(
            element,
            format!("{} (removed by the facilitator)", sanitize(element)),
        ));
    }
    Field::choice("element", "Element", options, element)
}

/// The model changed while the form is open: the element choice lists the elements as they
/// are now.
pub fn refresh_elements(form: &mut Form, rows: &[ElementRow]) {
    let chosen = form.choice("element");
    if let Some(field) = form.fields.iter_mut().find(|f| f.key == "element") {
        let error = field.error.take();
        *field = element_field(rows, &chosen);
        field.error = error;
    }
}

/// The idea form made from a threat form (`threat_form`, `library_threat_form`), on `element`,
/// one of `rows`. The threat form's focus is kept.
pub fn idea_form(
    title: String,
    threat_form: Form,
    rows: &[ElementRow],
    element: &str,
    likelihood: Option<Rating>,
    impact: Option<Rating>,
) -> Form {
    let mut fields = vec![element_field(rows, element)];
    let focus_key = threat_form.fields.get(threat_form.focus).map(|f| f.key);
    for mut field in threat_form.fields {
        match field.key {
            "notes" => continue,
            "title" => {
                field.label = "Statement";
                field.hint = "what can go wrong, concretely";
            }
            _ => {}
        }
        fields.push(field);
    }
    fields.push(rating_field("likelihood", "Likelihood", likelihood));
    fields.push(rating_field("impact", "Impact", impact));
    let focus = fields
        .iter()
        .position(|f| Some(f.key) == focus_key && f.key != "element")
        .unwrap_or(1);
    let mut form = Form::new(title, fields);
    form.focus = focus;
    form
}

/// Reads the idea form as question 2 reads a threat form, plus the protocol's limits; marks
/// bad fields and returns `None` when something is wrong.
pub fn idea_from_form(form: &mut Form, model: &Session) -> Option<IdeaDraft> {
    let element = form.choice("element");
    let threat = threat_from_form(form, blank_threat(model, &element));
    // The facilitator may have removed it while the form was open.
    let exists = model.components.iter().any(|c| c.id.as_str() == element)
        || model.flows.iter().any(|f| f.id.as_str() == element);
    if !exists {
        form.set_error(
            "element",
            "no longer in the facilitator's model: choose another",
        );
    }
    if form.text("title").chars().count() > MAX_STATEMENT_CHARS {
        form.set_error(
            "title",
            format!("at most {MAX_STATEMENT_CHARS} characters: say it shorter"),
        );
    }
    if threat.as_ref().is_some_and(|t| t.refs.len() > MAX_REFS) {
        form.set_error("refs", format!("at most {MAX_REFS} references"));
    }
    if form.has_errors() {
        return None;
    }
    let threat = threat?;
    let rating = |key: &str| {
        form.choice(key)
            .parse::<i64>()
            .ok()
            .map(Rating)
            .filter(|r| r.is_valid())
    };
    Some(IdeaDraft {
        element,
        statement: threat.title,
        stride: threat.stride,
        refs: threat.refs.iter().map(|r| r.to_string()).collect(),
        likelihood: rating("likelihood"),
        impact: rating("impact"),
    })
}

/// Whether the form holds something typed that would be lost.
pub fn has_typing(form: &Form) -> bool {
    !form.text("title").is_empty()
}
