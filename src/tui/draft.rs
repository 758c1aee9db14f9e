//! A form not yet submitted, as the autosave keeps it, and how it is reopened: what it was for
//! is named by ids rather than list positions, so that it lands on the same element after the
//! recovered work was merged with newer changes on disk.

use super::app::run_form;
use super::modal::FormPurpose;
use super::screens::build::{self, FormTarget, Section};
use super::screens::{respond, review, threats};
use super::widgets::form::Form;
use crate::model::Session;
use crate::store::autosave::FormDraft;
use chrono::NaiveDate;

/// The draft of an open form; `None` for forms outside a session (a new session's title).
pub fn draft_of(form: &Form, purpose: &FormPurpose, s: &Session) -> Option<FormDraft> {
    let threat_id = |i: usize| s.threats.get(i).map(|t| t.id.to_string());
    let (name, ids): (&str, Vec<String>) = match purpose {
        // Not session content: a new session's title, a file name to save under.
        // Nor a round's minutes: the round is the share's, which a restart does not bring back.
        FormPurpose::NewSession | FormPurpose::SaveAs | FormPurpose::Round => return None,
        FormPurpose::Element(target) => {
            let id = target.index.and_then(|i| element_id(s, target.section, i));
            (target.section.noun(), id.into_iter().collect())
        }
        FormPurpose::Mitigation { threat, index } => {
            let mut ids = vec![threat_id(*threat)?];
            ids.extend(
                index
                    .and_then(|i| s.mitigations.get(i))
                    .map(|m| m.id.to_string()),
            );
            ("mitigation", ids)
        }
        FormPurpose::Acceptance { threat } => ("acceptance", vec![threat_id(*threat)?]),
        FormPurpose::ThreatNotApplicable { threat } => {
            ("threat-not-applicable", vec![threat_id(*threat)?])
        }
        FormPurpose::Transfer { threat } => ("transfer", vec![threat_id(*threat)?]),
        FormPurpose::Review => ("review", Vec::new()),
        FormPurpose::Threat { target, index } => {
            let mut ids = vec![target.clone()];
            ids.extend(index.and_then(threat_id));
            ("threat", ids)
        }
        FormPurpose::SuggestedThreat { target, rule } => {
            ("threat-from-rule", vec![target.clone(), rule.clone()])
        }
        FormPurpose::Dismissal { element, rule } => {
            ("dismissal", vec![element.clone(), rule.clone()])
        }
        FormPurpose::NotApplicable { element } => ("not-applicable", vec![element.clone()]),
        FormPurpose::Run { index } => (
            "run",
            index
                .and_then(|i| s.runs.get(i))
                .map(|r| r.date.to_string())
                .into_iter()
                .collect(),
        ),
    };
    Some(FormDraft {
        title: form.title.clone(),
        purpose: name.to_string(),
        ids,
        fields: form.values(),
    })
}

fn element_id(s: &Session, section: Section, index: usize) -> Option<String> {
    match section {
        Section::Boundaries => s.boundaries.get(index).map(|x| x.id.to_string()),
        Section::Assets => s.assets.get(index).map(|x| x.id.to_string()),
        Section::Components => s.components.get(index).map(|x| x.id.to_string()),
        Section::Flows => s.flows.get(index).map(|x| x.id.to_string()),
        Section::Diagram => None,
    }
}

fn element_index(s: &Session, section: Section, id: &str) -> Option<usize> {
    match section {
        Section::Boundaries => s.boundaries.iter().position(|x| x.id.as_str() == id),
        Section::Assets => s.assets.iter().position(|x| x.id.as_str() == id),
        Section::Components => s.components.iter().position(|x| x.id.as_str() == id),
        Section::Flows => s.flows.iter().position(|x| x.id.as_str() == id),
        Section::Diagram => None,
    }
}

/// The form a draft came from, on `s`, with the draft's values put back. `None` when what it
/// edited no longer exists (the caller then shows the draft's text instead).
pub fn reopen(draft: &FormDraft, s: &Session, today: NaiveDate) -> Option<(Form, FormPurpose)> {
    let threat_index = |id: &str| s.threats.iter().position(|t| t.id.as_str() == id);
    let first = draft.ids.first().map(String::as_str);
    let second = draft.ids.get(1).map(String::as_str);
    let (mut form, purpose) = match draft.purpose.as_str() {
        "mitigation" => {
            let threat = threat_index(first?)?;
            let index = match second {
                Some(id) => Some(s.mitigations.iter().position(|m| m.id.as_str() == id)?),
                None => None,
            };
            let form = respond::mitigation_form(s, index.and_then(|i| s.mitigations.get(i)), today);
            (form, FormPurpose::Mitigation { threat, index })
        }
        "acceptance" => {
            let threat = threat_index(first?)?;
            let id = s.threats.get(threat)?.id.clone();
            let form = respond::acceptance_form(s, s.acceptance(id.as_str()), today);
            (form, FormPurpose::Acceptance { threat })
        }
        "transfer" => {
            let threat = threat_index(first?)?;
            let form = respond::transfer_form(s, s.threats.get(threat)?);
            (form, FormPurpose::Transfer { threat })
        }
        "review" => (review::review_form(s), FormPurpose::Review),
        "threat-not-applicable" => {
            let threat = threat_index(first?)?;
            let form = super::screens::needs_review::not_applicable_form("");
            (form, FormPurpose::ThreatNotApplicable { threat })
        }
        "threat" => {
            let target = first?.to_string();
            let index = match second {
                Some(id) => Some(threat_index(id)?),
                None => None,
            };
            let form = threats::threat_form(index.and_then(|i| s.threats.get(i)));
            (form, FormPurpose::Threat { target, index })
        }
        // The fields come back from the draft; the form only needs its shape.
        "threat-from-rule" => {
            let target = first?.to_string();
            s.element(&target)?;
            let rule = second?.to_string();
            let form = threats::threat_form(None);
            (form, FormPurpose::SuggestedThreat { target, rule })
        }
        "dismissal" => {
            let element = first?.to_string();
            s.element(&element)?;
            let rule = second?.to_string();
            let form = threats::dismissal_form(&rule, "");
            (form, FormPurpose::Dismissal { element, rule })
        }
        "not-applicable" => {
            let element = first?.to_string();
            s.element(&element)?;
            let form = threats::not_applicable_form(&element, &Default::default(), "");
            (form, FormPurpose::NotApplicable { element })
        }
        "run" => {
            let index = match first {
                Some(date) => Some(s.runs.iter().rposition(|r| r.date.to_string() == date)?),
                None => None,
            };
            let form = run_form(&draft.title, today, "", "", "");
            (form, FormPurpose::Run { index })
        }
        noun => {
            let section = Section::ALL[..4]
                .iter()
                .copied()
                .find(|x| x.noun() == noun)?;
            let index = match first {
                Some(id) => Some(element_index(s, section, id)?),
                None => None,
            };
            let target = FormTarget { section, index };
            (build::open_form(s, target)?, FormPurpose::Element(target))
        }
    };
    form.title = draft.title.clone();
    form.restore(&draft.fields);
    Some((form, purpose))
}

/// The draft's text, for when its form cannot be reopened: nothing typed is dropped silently.
pub fn describe(draft: &FormDraft) -> Vec<String> {
    let mut lines = vec![format!("Unsubmitted form \"{}\":", draft.title)];
    for (key, value) in &draft.fields {
        let value = value.join(", ");
        if !value.trim().is_empty() {
            lines.push(format!("  {key}: {value}"));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::widgets::form::FieldKind;

    fn session() -> Session {
        crate::store::parse(
            r#"schema = 1
title = "t"

[[components]]
id = "api"
name = "API"
kind = "process"

[[threats]]
id = "TH-001"
target = "api"
title = "Token replay"
stride = "S"

[[threats]]
id = "TH-002"
target = "api"
title = "Log tampering"
stride = "T"
"#,
        )
        .expect("parses")
        .0
    }

    #[test]
    fn an_acceptance_draft_reopens_on_the_same_threat_after_the_list_moved() {
        let s = session();
        let mut form = respond::acceptance_form(&s, None, NaiveDate::MIN);
        if let Some(FieldKind::Text(t)) = form
            .fields
            .iter_mut()
            .find(|f| f.key == "justification")
            .map(|f| &mut f.kind)
        {
            t.set("compensating control: WAF rule 12");
        }
        let draft = draft_of(&form, &FormPurpose::Acceptance { threat: 1 }, &s).expect("a draft");
        assert_eq!(draft.ids, vec!["TH-002".to_string()]);
        // The merge put a threat before it.
        let mut moved = s.clone();
        moved.threats.swap(0, 1);
        let (form, purpose) = reopen(&draft, &moved, NaiveDate::MIN).expect("reopens");
        assert_eq!(purpose, FormPurpose::Acceptance { threat: 0 });
        assert_eq!(
            form.text("justification"),
            "compensating control: WAF rule 12"
        );
        assert_eq!(form.title, draft.title);
    }

    #[test]
    fn a_draft_whose_element_is_gone_is_described_instead() {
        let s = session();
        let form = threats::threat_form(s.threats.first());
        let draft = draft_of(
            &form,
            &FormPurpose::Threat {
                target: "api".into(),
                index: Some(0),
            },
            &s,
        )
        .expect("a draft");
        let mut gone = s.clone();
        gone.threats.remove(0);
        assert!(reopen(&draft, &gone, NaiveDate::MIN).is_none());
        let text = describe(&draft).join("\n");
        assert!(text.contains("Token replay"), "{text}");
    }
}
