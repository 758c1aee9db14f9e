//! Question 3 beyond the basics, and the lists and details of questions 2 and 3: first and
//! last with g G Home End in every list, a transfer that names who takes the risk, a
//! mitigation linked to several threats, and a threat's notes in question 2.

use super::*;
use crate::model::Response;

/// The threat selected in question 3 (index into the session's threats).
fn q3_selected(app: &App) -> usize {
    app.session()
        .and_then(|s| s.respond.selected_threat(&s.derived))
        .expect("a threat is selected")
}

#[test]
fn g_and_end_jump_to_the_first_and_last_entry_of_every_list() {
    let mut app = app_on("microservices-api-platform.toml");
    keys(&mut app, "<esc>2");
    let element = |app: &App| app.session().map(|s| s.threats.element).expect("session");
    let rows = app
        .session()
        .map(|s| s.derived.elements.len())
        .expect("rows");
    assert!(rows > 2);
    keys(&mut app, "G");
    assert_eq!(element(&app), rows - 1, "G: the last element");
    keys(&mut app, "g");
    assert_eq!(element(&app), 0, "g: the first element");
    keys(&mut app, "<end>");
    assert_eq!(element(&app), rows - 1, "End: the last element");
    keys(&mut app, "<home>");
    assert_eq!(element(&app), 0, "Home: the first element");
    keys(&mut app, "<pgdn>");
    assert_eq!(element(&app), 10.min(rows - 1), "PgDn: ten down");
    keys(&mut app, "<pgup><pgup>");
    assert_eq!(element(&app), 0, "PgUp: no further than the first");

    // In the threats pane of an element with several threats, the keys move the threat.
    let with_threats = app
        .session()
        .and_then(|s| {
            s.derived.elements.iter().position(|r| {
                crate::tui::screens::threats::threats_of(s.session(), &r.id, false).len() > 1
            })
        })
        .expect("an element with two threats");
    for _ in 0..with_threats {
        keys(&mut app, "j");
    }
    keys(&mut app, "l");
    let threat = |app: &App| app.session().map(|s| s.threats.threat).expect("session");
    keys(&mut app, "G");
    assert!(threat(&app) > 0, "G: the last threat of the element");
    assert_eq!(element(&app), with_threats, "the element stays");
    keys(&mut app, "<home>");
    assert_eq!(threat(&app), 0);

    // Question 3: the last and first threat by risk.
    keys(&mut app, "3");
    let order = app
        .session()
        .map(|s| s.derived.respond_order.clone())
        .expect("order");
    keys(&mut app, "G");
    assert_eq!(q3_selected(&app), order[order.len() - 1]);
    keys(&mut app, "g");
    assert_eq!(q3_selected(&app), order[0]);
    keys(&mut app, "<end>");
    assert_eq!(q3_selected(&app), order[order.len() - 1]);
    // Ten at a time, stopping at the ends.
    keys(&mut app, "g<pgdn>");
    assert_eq!(q3_selected(&app), order[10.min(order.len() - 1)]);
    keys(&mut app, "<pgdn><pgdn>");
    assert_eq!(q3_selected(&app), order[order.len() - 1]);
    keys(&mut app, "<pgup>");
    assert_eq!(
        q3_selected(&app),
        order[(order.len() - 1).saturating_sub(10)]
    );

    // The start screen: End lands on the "new session" row, after the files.
    let mut start = App::start(Path::new("sessions"), Theme::plain(), today());
    let Screen::Start(state) = &start.screen else {
        panic!("the start screen")
    };
    let files = state.entries.len();
    keys(&mut start, "<end>");
    let Screen::Start(state) = &start.screen else {
        panic!("the start screen")
    };
    assert_eq!(state.selected, files);
    keys(&mut start, "g");
    let Screen::Start(state) = &start.screen else {
        panic!("the start screen")
    };
    assert_eq!(state.selected, 0);
}

#[test]
fn transfer_asks_who_takes_the_risk_and_shows_it() {
    let mut app = app_on("three-tier-cloud-web-app.toml");
    keys(&mut app, "<esc>3j");
    let index = q3_selected(&app);
    let before = session(&app).threats[index].clone();
    assert_ne!(before.response, Response::Transfer);
    keys(&mut app, "t");
    let Some(Modal::Form { form, .. }) = &app.modal else {
        panic!("t asks who takes the risk");
    };
    assert!(form.title.starts_with("Transfer"));
    // Nobody named: the form stays open with the error, and nothing changed.
    keys(&mut app, "<ret>");
    let Some(Modal::Form { form, .. }) = &app.modal else {
        panic!("the form stays open");
    };
    assert!(form.has_errors());
    assert_eq!(session(&app).threats[index], before);
    keys(&mut app, "Acme Insurance<ret>");
    assert!(app.modal.is_none());
    let t = &session(&app).threats[index];
    assert_eq!(t.response, Response::Transfer);
    assert_eq!(t.transferred_to, "Acme Insurance");
    assert!(crate::model::validate(session(&app)).is_empty());
    let shown = screen(&app, 120, 40);
    assert!(
        shown.contains("response: transfer to Acme Insurance"),
        "{shown}"
    );
    // Question 4 lists who carries each transferred risk.
    keys(&mut app, "4");
    let shown = screen(&app, 120, 40);
    assert!(shown.contains("Transferred risks"), "{shown}");
    assert!(shown.contains("transfer to Acme Insurance"), "{shown}");
    // One step to undo: response and name together.
    keys(&mut app, "3u");
    assert_eq!(session(&app).threats[index], before);
}

#[test]
fn question2_shows_the_selected_threats_notes_escaped() {
    let mut loaded = example("microservices-api-platform.toml");
    let first = loaded.session.threats[0].clone();
    loaded.session.threats[0].notes = "Rate limit agreed\nwith \u{1b}[31mops".into();
    let mut app = App::open(loaded, Theme::plain(), today());
    app.frozen_clock = Some(Duration::from_secs(0));
    app.use_libraries(test_libraries(""));
    keys(&mut app, "<esc>2");
    let row = app
        .session()
        .and_then(|s| {
            s.derived
                .elements
                .iter()
                .position(|r| r.id == first.target.as_str())
        })
        .expect("the threat's element is listed");
    for _ in 0..row {
        keys(&mut app, "j");
    }
    // The element's first threat is selected, so its notes show.
    let index =
        crate::tui::screens::threats::threats_of(session(&app), first.target.as_str(), false)
            .iter()
            .position(|(i, _)| *i == 0)
            .expect("the threat is the element's");
    keys(&mut app, "l");
    for _ in 0..index {
        keys(&mut app, "j");
    }
    let shown = screen(&app, 120, 40);
    assert!(shown.contains(&format!("{} notes:", first.id)), "{shown}");
    assert!(shown.contains("Rate limit agreed"), "{shown}");
    assert!(shown.contains("with \\e[31mops"), "{shown}");
    assert!(!shown.contains('\u{1b}'));
}

#[test]
fn an_existing_mitigation_is_linked_to_a_second_threat_and_unlinked() {
    let mut app = app_on("three-tier-cloud-web-app.toml");
    keys(&mut app, "<esc>3j");
    let index = q3_selected(&app);
    let threat = session(&app).threats[index].id.clone();
    // A mitigation of another threat, found by a word of its action.
    let (mi, other) = session(&app)
        .mitigations
        .iter()
        .enumerate()
        .find(|(_, m)| !m.threats.contains(&threat) && m.action.contains("Content-Security-Policy"))
        .map(|(i, m)| (i, m.clone()))
        .expect("a mitigation of another threat");
    keys(&mut app, "L");
    assert!(
        matches!(app.modal, Some(Modal::Link(_))),
        "L opens the picker"
    );
    let shown = screen(&app, 120, 40);
    assert!(
        shown.contains(&format!("Link a mitigation to {threat}")),
        "{shown}"
    );
    keys(&mut app, "Content-Secur");
    let Some(Modal::Link(picker)) = &app.modal else {
        panic!("typing filters in the picker")
    };
    assert_eq!(picker.hits.first(), Some(&mi), "the best match first");
    insta::assert_snapshot!("question3_link_picker_80x24", screen(&app, 80, 24));
    keys(&mut app, "<ret>");
    assert!(app.modal.is_none());
    let linked = &session(&app).mitigations[mi];
    assert_eq!(linked.threats.len(), other.threats.len() + 1);
    assert!(linked.threats.contains(&threat));
    assert!(crate::model::validate(session(&app)).is_empty());
    // The detail pane lists it, and every threat it covers.
    let shown = screen(&app, 120, 40);
    assert!(shown.contains(other.id.as_str()), "{shown}");
    let covers = format!("covers {}, {threat}", other.threats[0]);
    assert!(shown.contains(&covers), "{covers:?} in\n{shown}");
    // Undo takes it back; redo again.
    keys(&mut app, "u");
    assert_eq!(session(&app).mitigations[mi], other);
    keys(&mut app, "<C-r>");
    assert!(session(&app).mitigations[mi].threats.contains(&threat));
    // Enter on a linked one unlinks it.
    keys(&mut app, "LContent-Secur<ret>");
    assert_eq!(session(&app).mitigations[mi], other);
    // A mitigation that covers only this threat is not unlinked: it would cover nothing.
    let own = session(&app)
        .mitigations
        .iter()
        .position(|m| m.threats == vec![other.threats[0].clone()])
        .expect("a mitigation of one threat");
    let before = session(&app).clone();
    let first = session(&app)
        .threats
        .iter()
        .position(|t| t.id == other.threats[0]);
    let order = app
        .session()
        .map(|s| s.derived.respond_order.clone())
        .expect("order");
    let pos = order
        .iter()
        .position(|&i| Some(i) == first)
        .expect("listed");
    keys(&mut app, "g");
    for _ in 0..pos {
        keys(&mut app, "j");
    }
    keys(&mut app, "L");
    let id = session(&app).mitigations[own].id.to_string();
    keys(&mut app, &id);
    keys(&mut app, "<ret>");
    assert_eq!(session(&app), &before, "nothing changed");
    assert!(
        status_text(&app).contains("covers only"),
        "{}",
        status_text(&app)
    );
}
