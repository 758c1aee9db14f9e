//! Question 1's fast entry: the quick-add line (one undoable edit per line, the line kept on
//! an error, Tab completion, autosaved while typed), ids shown and editable in the forms, and
//! the defaults a new entry copies from the previous one.

use super::*;
use crate::tui::screens::build::quick::Outcome;

fn empty_app() -> App {
    let mut app = App::open(
        store::LoadedSession::unsaved(crate::model::Session::new("Shop"), "unused.toml"),
        Theme::plain(),
        today(),
    );
    keys(&mut app, "<esc>");
    app
}

fn line(app: &App) -> &crate::tui::screens::build::QuickLine {
    match &app.modal {
        Some(Modal::QuickAdd(line)) => line,
        other => panic!("the quick-add line is not open: {other:?}"),
    }
}

#[test]
fn each_line_is_one_undoable_entry_and_the_line_stays_open() {
    let mut app = empty_app();
    keys(&mut app, "ib Internet<ret>");
    assert_eq!(session(&app).boundaries.len(), 1);
    assert!(matches!(&line(&app).outcome, Some(Outcome::Added(m)) if m.contains("internet")));
    assert_eq!(line(&app).input.text(), "", "cleared for the next line");
    keys(
        &mut app,
        "Web app (web-app) in in<tab><ret>Orders DB (database<ret>",
    );
    let s = session(&app);
    assert_eq!(s.components.len(), 2);
    assert_eq!(
        s.components[1].boundary.as_ref().map(|b| b.as_str()),
        Some("internet"),
        "as the previous component"
    );
    // The new entry is on screen, selected.
    let build = &app.session().expect("open").build;
    assert_eq!(build.selected_row(s), Some(1));
    keys(&mut app, "web-app -> orders-db : Orders (sql auth<ret>");
    assert_eq!(session(&app).flows.len(), 1);
    assert!(app.is_dirty());

    // A bad line is kept to be fixed, with the reason under it; nothing is added.
    keys(&mut app, "web-app -> order-db<ret>");
    assert_eq!(line(&app).input.text(), "web-app -> order-db");
    assert!(
        matches!(&line(&app).outcome, Some(Outcome::Error(e)) if e.contains("closest: orders-db")),
        "{:?}",
        line(&app).outcome
    );
    assert!(screen(&app, 80, 24).contains("✗ no component \"order-db\" (closest: orders-db)"));
    assert_eq!(session(&app).flows.len(), 1);

    // Typed and not added: kept with the autosave, like a form.
    let draft = app
        .session()
        .and_then(|s| s.keep.draft.clone())
        .expect("kept");
    assert_eq!(draft.purpose, "quick-add");
    assert_eq!(draft.fields["line"], ["web-app -> order-db"]);

    // Esc closes; each line undoes on its own.
    keys(&mut app, "<esc>");
    assert!(app.modal.is_none());
    keys(&mut app, "u");
    assert!(session(&app).flows.is_empty());
    assert_eq!(session(&app).components.len(), 2);
    keys(&mut app, "uu");
    assert!(session(&app).components.is_empty());
    assert_eq!(session(&app).boundaries.len(), 1);
}

#[test]
fn tab_takes_the_completion_shown_after_the_cursor() {
    let mut app = empty_app();
    keys(&mut app, ":Cache (mes");
    assert!(
        screen(&app, 80, 24).contains("Cache (message-queue"),
        "ghost"
    );
    keys(&mut app, "<tab>");
    assert_eq!(
        line(&app).input.text(),
        "Cache (message-queue ",
        "a space follows"
    );
    // Nothing on offer: Tab does nothing (and does not leave the line).
    keys(&mut app, ")<tab>");
    assert_eq!(line(&app).input.text(), "Cache (message-queue )");
    keys(&mut app, "<ret>");
    let c = &session(&app).components[0];
    assert_eq!(c.kind, crate::model::ComponentKind::DataStore);
    // In the middle of the line: the word before the cursor, and what follows stays.
    keys(
        &mut app,
        "cache -> x : Reads<left><left><left><left><left><left><left><left><bs>ca",
    );
    keys(&mut app, "<tab>");
    assert_eq!(line(&app).input.text(), "cache -> cache : Reads");
}

#[test]
fn a_new_entry_shows_its_id_and_copies_the_previous_one() {
    let mut app = app_on("microservices-api-platform.toml");
    keys(&mut app, "<esc>aPayments API");
    let shown = screen(&app, 80, 24);
    assert!(
        shown.contains("payments-api  (made from the name"),
        "{shown}"
    );
    let last = session(&app)
        .components
        .last()
        .cloned()
        .expect("components");
    assert!(
        shown.contains(&format!("as the previous component, {}", last.id)),
        "{shown}"
    );
    keys(&mut app, "<ret>");
    let c = session(&app).components.last().cloned().expect("added");
    assert_eq!(c.id.as_str(), "payments-api");
    assert_eq!(
        (c.kind, c.technology, c.boundary),
        (last.kind, last.technology, last.boundary)
    );
    // A typed id wins.
    keys(&mut app, "aBilling<tab>bill<ret>");
    assert_eq!(
        session(&app).components.last().map(|c| c.id.as_str()),
        Some("bill")
    );
}

#[test]
fn renaming_an_id_in_the_edit_form_carries_its_references() {
    let mut app = app_on("microservices-api-platform.toml");
    keys(&mut app, "<esc>");
    let before = session(&app).clone();
    let old = before.components[0].id.to_string();
    let flows = before
        .flows
        .iter()
        .filter(|f| f.from.as_str() == old || f.to.as_str() == old)
        .count();
    let threats = before.threats_on(&old).count();
    assert!(flows > 0 && threats > 0, "the example refers to it");
    keys(&mut app, "e<tab><C-u>edge<ret>");
    let s = session(&app);
    assert_eq!(s.components[0].id.as_str(), "edge");
    let now = s
        .flows
        .iter()
        .filter(|f| f.from.as_str() == "edge" || f.to.as_str() == "edge")
        .count();
    assert_eq!(now, flows);
    assert_eq!(s.threats_on("edge").count(), threats);
    assert!(
        crate::model::validate(s).is_empty(),
        "{:?}",
        crate::model::validate(s)
    );
    // Taken or malformed ids are refused in the form.
    keys(&mut app, "e<tab><C-u>bad id<ret>");
    assert!(matches!(app.modal, Some(Modal::Form { .. })));
    keys(&mut app, "<esc>u");
    assert_eq!(session(&app), &before, "one undo");
}

#[test]
fn a_line_typed_before_a_crash_comes_back_on_the_open_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.toml");
    std::fs::write(&path, "schema = 1\ntitle = \"Shop\"\n").expect("write");
    let base = store::load(&path).expect("loads").session;
    let draft = crate::store::autosave::FormDraft {
        title: "Quick add".into(),
        purpose: "quick-add".into(),
        ids: Vec::new(),
        fields: [("line".to_string(), vec!["Web app (web-app".to_string()])]
            .into_iter()
            .collect(),
    };
    store::autosave::write_autosave(&path, &base, Some(&base), Some(&draft)).expect("autosave");
    let mut app = app_on_file(&path);
    assert!(matches!(app.modal, Some(Modal::Recover(_))));
    keys(&mut app, "r");
    assert_eq!(line(&app).input.text(), "Web app (web-app");
    keys(&mut app, "<ret>");
    assert_eq!(session(&app).components.len(), 1);
}

#[test]
fn ctrl_s_saves_without_leaving_the_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.toml");
    std::fs::write(&path, "schema = 1\ntitle = \"Shop\"\n").expect("write");
    let mut app = app_on_file(&path);
    keys(&mut app, "<esc>ib Internet<ret>b DM<C-s>");
    assert_eq!(line(&app).input.text(), "b DM", "still open, as typed");
    assert!(!app.is_dirty());
    let text = std::fs::read_to_string(&path).expect("saved");
    assert!(text.contains("id = \"internet\""), "{text}");
}
