//! Question 2 with the threat rules: the selected element's suggestions and why, adding one as a
//! prefilled threat (and its mitigations offered in question 3), dismissing one with a reason
//! and the facts the rule read, one coming back when those facts change, STRIDE letters marked
//! not applicable, and the walk through every open suggestion.

use super::*;
use crate::model::Rating;
use crate::rules::SuggestionState;
use crate::tui::modal::FormPurpose;
use crate::tui::screens::threats::{Pane, SuggestionView};

/// Two rules besides the test rules: one on flows inside one zone, one on data stores, so
/// that every kind of element has something to walk through.
const MORE_RULES: &str = r#"
[[rule]]
id = "flow-inside-zone"
name = "Trusting the neighbours"
stride = "T"
threat = "A compromised neighbour in {zone} alters {element}"
reason = "{protocol} flow inside {zone}"
when = { kind = "flow", crossing = "none" }

[[rule]]
id = "store-backups"
name = "Backups taken away"
stride = "I"
threat = "Backups of {element} are copied out of {zone}"
when = { kind = "data-store" }
"#;

fn shop(text: &str) -> App {
    let (session, _) = store::parse(text).expect("the test session parses");
    let mut app = App::open(
        store::LoadedSession::unsaved(session, "sessions/shop.toml"),
        Theme::plain(),
        today(),
    );
    app.frozen_clock = Some(Duration::from_secs(9 * 60));
    app.use_libraries(test_libraries(MORE_RULES));
    keys(&mut app, "2");
    app
}

fn threats(app: &App) -> &crate::tui::screens::threats::ThreatsState {
    &app.session().expect("a session").threats
}

fn listed(app: &App) -> Vec<(String, SuggestionState)> {
    threats(app)
        .suggestions()
        .iter()
        .map(|v: &SuggestionView| (v.rule.clone(), v.state.clone()))
        .collect()
}

fn selected_element(app: &App) -> String {
    let s = app.session().expect("a session");
    s.threats.row(&s.derived).expect("an element").id.clone()
}

fn form(app: &App) -> (&crate::tui::widgets::form::Form, &FormPurpose) {
    match &app.modal {
        Some(Modal::Form { form, purpose }) => (form, purpose),
        other => panic!("a form is open, not {other:?}"),
    }
}

#[test]
fn an_elements_suggestions_are_listed_with_why_and_counted_in_the_list() {
    let app = shop(SHOP);
    // The crossing flow comes first and is selected.
    assert_eq!(selected_element(&app), "browser-api");
    assert_eq!(
        listed(&app),
        [
            (
                "flow-sniffing-unencrypted".to_string(),
                SuggestionState::Open
            ),
            (
                "flow-tampering-unencrypted".to_string(),
                SuggestionState::Open
            ),
            (
                "flow-missing-authentication".to_string(),
                SuggestionState::Open
            ),
        ]
    );
    let derived = &app.session().expect("a session").derived;
    let counts: Vec<(&str, usize)> = derived
        .elements
        .iter()
        .map(|r| (r.id.as_str(), r.open_suggestions))
        .collect();
    assert_eq!(
        counts,
        [
            ("browser-api", 3),
            ("browser", 0),
            ("api", 1),
            ("db", 1),
            ("api-db", 1)
        ]
    );
    assert_eq!(derived.open_suggestions, Some(6));
    let text = screen(&app, 120, 40);
    assert!(text.contains("+3  ! browser → api: Orders"), "{text}");
    assert!(text.contains("Rules suggest 3 open"), "{text}");
    assert!(
        text.contains("▹ [I] Someone on the network path between Browser and Orders API"),
        "{text}"
    );
    assert!(
        text.contains("why: unencrypted http flow crossing from Internet to DMZ"),
        "{text}"
    );
    assert!(
        text.contains("why: unauthenticated http flow from Internet into DMZ"),
        "{text}"
    );
    insta::assert_snapshot!("question2_suggestions_120x40", text);
    insta::assert_snapshot!("question2_suggestions_80x24", screen(&app, 80, 24));
}

#[test]
fn a_suggestion_added_comes_prefilled_from_its_rule_and_shows_as_added() {
    let mut app = shop(SHOP);
    // The third suggestion: unauthenticated requests, rated 3 x 3 by its rule.
    keys(&mut app, "ljj");
    assert_eq!(threats(&app).pane, Pane::Suggestions);
    keys(&mut app, "s");
    let (f, purpose) = form(&app);
    assert_eq!(
        purpose,
        &FormPurpose::SuggestedThreat {
            target: "browser-api".into(),
            rule: "flow-missing-authentication".into()
        }
    );
    assert_eq!(
        f.text("title"),
        "Anyone who can reach Orders API from Internet sends it requests over Orders as if they were Browser"
    );
    assert_eq!(f.text("stride"), "SE");
    assert_eq!(f.text("refs"), "capec:CAPEC-115, owasp-api-2023:API2");
    assert!(f.title.contains("TH-001") && f.title.contains("flow-missing-authentication"));
    // The team edits the title before confirming.
    keys(
        &mut app,
        "<C-u>Anyone on the internet can call the orders API<ret>",
    );
    let s = session(&app);
    let t = s.threats.last().expect("a threat was added");
    assert_eq!(t.title, "Anyone on the internet can call the orders API");
    assert_eq!(t.target.as_str(), "browser-api");
    assert_eq!(t.rule.as_deref(), Some("flow-missing-authentication"));
    assert_eq!(t.stride.to_string(), "SE");
    assert_eq!(
        t.refs.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        ["capec:CAPEC-115", "owasp-api-2023:API2"]
    );
    assert_eq!((t.likelihood, t.impact), (Some(Rating(3)), Some(Rating(3))));
    assert!(crate::model::validate(s).is_empty());
    assert!(listed(&app).contains(&(
        "flow-missing-authentication".to_string(),
        SuggestionState::Added {
            threat: "TH-001".into()
        }
    )));
    let text = screen(&app, 120, 40);
    assert!(
        text.contains("✓ added as TH-001: [SE] Anyone who can reach"),
        "{text}"
    );
    assert!(text.contains("+2  ! browser → api"), "{text}");
    // Adding it again is refused with where it went.
    keys(&mut app, "jjs");
    assert!(app.modal.is_none());
    assert!(status_text(&app).contains("added already, as TH-001"));

    // Question 3 offers the rule's mitigations, in words naming the flow's ends.
    keys(&mut app, "3");
    let s = app.session().expect("a session");
    let index = s.derived.respond_order[s.respond.threat];
    assert_eq!(s.session().threats[index].id.as_str(), "TH-001");
    keys(&mut app, "a");
    let action = |app: &App| {
        let (f, _) = form(app);
        let field = f.fields.iter().find(|f| f.key == "action").expect("action");
        (
            field.completion().map(String::from),
            field.suggestions.clone(),
        )
    };
    assert_eq!(
        action(&app),
        (
            Some("Authenticate every request that crosses into DMZ".to_string()),
            vec![
                "Authenticate every request that crosses into DMZ".to_string(),
                "Rate-limit what Orders API accepts from Internet".to_string()
            ]
        )
    );
    let text = screen(&app, 120, 40);
    assert!(
        text.contains("→ takes: Authenticate every request that crosses into DMZ"),
        "{text}"
    );
    keys(&mut app, "<right><tab>Noor<ret>");
    let m = session(&app).mitigations.last().expect("a mitigation");
    assert_eq!(m.action, "Authenticate every request that crosses into DMZ");
    assert_eq!(m.threats[0].as_str(), "TH-001");
    // The next mitigation offers what is left; a typed prefix finds it too.
    keys(&mut app, "a");
    assert_eq!(
        action(&app).0.as_deref(),
        Some("Rate-limit what Orders API accepts from Internet")
    );
    keys(&mut app, "<esc>");
}

#[test]
fn dismissing_needs_a_reason_keeps_the_facts_and_x_restores_it() {
    let mut app = shop(SHOP);
    let facts = threats(&app).suggestions()[0].facts.clone();
    assert_eq!(facts, "crossing=inward; encrypted=false; kind=flow");
    keys(&mut app, "x");
    let (_, purpose) = form(&app);
    assert_eq!(
        purpose,
        &FormPurpose::Dismissal {
            element: "browser-api".into(),
            rule: "flow-sniffing-unencrypted".into()
        }
    );
    // No reason, no dismissal.
    keys(&mut app, "<ret>");
    let (f, _) = form(&app);
    assert_eq!(
        f.fields[0].error.as_deref(),
        Some("say why it does not apply here")
    );
    assert!(session(&app).flows[1].dismissed.is_empty());
    keys(&mut app, "Only a health check goes over it<ret>");
    assert!(app.modal.is_none());
    let flow = &session(&app).flows[1];
    assert_eq!(
        flow.dismissed,
        [crate::model::Dismissal {
            rule: "flow-sniffing-unencrypted".into(),
            reason: "Only a health check goes over it".into(),
            facts: facts.clone(),
        }]
    );
    // The dismissed one goes below the open ones; the cursor is on the next open one.
    assert_eq!(
        listed(&app).last(),
        Some(&(
            "flow-sniffing-unencrypted".to_string(),
            SuggestionState::Dismissed {
                reason: "Only a health check goes over it".into()
            }
        ))
    );
    assert_eq!(
        threats(&app).selected_suggestion().map(|v| v.rule.as_str()),
        Some("flow-tampering-unencrypted")
    );
    let text = screen(&app, 120, 40);
    assert!(text.contains("+2  ! browser → api"), "{text}");
    assert!(
        text.contains("✗ dismissed: [I] Someone on the network path"),
        "{text}"
    );
    // Undo takes it back, redo dismisses again.
    keys(&mut app, "u");
    assert!(session(&app).flows[1].dismissed.is_empty());
    keys(&mut app, "<C-r>");
    assert_eq!(session(&app).flows[1].dismissed.len(), 1);
    // x on the dismissed one restores it, without a form.
    keys(&mut app, "ljjx");
    assert!(app.modal.is_none());
    assert!(session(&app).flows[1].dismissed.is_empty());
    assert!(
        listed(&app)
            .iter()
            .all(|(_, state)| state == &SuggestionState::Open)
    );
    assert!(status_text(&app).contains("suggests again"));
}

#[test]
fn a_suggestion_back_after_a_change_is_marked_and_dismissing_it_again_updates_the_facts() {
    // Dismissed when the flow crossed laterally; it crosses inward now.
    let text = format!(
        "{SHOP}\n[[flows.dismissed]]\nrule = \"flow-missing-authentication\"\nreason = \"the gateway authenticates\"\nfacts = \"authenticated=false; crossing=lateral; kind=flow\"\n"
    );
    let mut app = shop(&text);
    let back = SuggestionState::Returned {
        was: "crossing was lateral, now inward".into(),
        reason: "the gateway authenticates".into(),
    };
    assert!(listed(&app).contains(&("flow-missing-authentication".to_string(), back)));
    assert_eq!(
        app.session().expect("a session").derived.elements[0].open_suggestions,
        3,
        "a returned suggestion is open again"
    );
    keys(&mut app, "ljj");
    let text = screen(&app, 120, 40);
    assert!(
        text.contains("↺ [SE] Anyone who can reach Orders API"),
        "{text}"
    );
    assert!(
        text.contains("↺ back: crossing was lateral, now inward (dismissed before:"),
        "{text}"
    );
    assert!(text.contains("gateway authenticates)"), "{text}");
    insta::assert_snapshot!("question2_suggestion_returned_80x24", screen(&app, 80, 24));
    // Dismissing it again starts from the old reason and records today's facts.
    keys(&mut app, "x");
    let (f, _) = form(&app);
    assert_eq!(f.text("reason"), "the gateway authenticates");
    keys(&mut app, "<ret>");
    let d = &session(&app).flows[1].dismissed;
    assert_eq!(d.len(), 1);
    assert_eq!(
        d[0].facts,
        "authenticated=false; crossing=inward; kind=flow"
    );
    assert!(listed(&app).contains(&(
        "flow-missing-authentication".to_string(),
        SuggestionState::Dismissed {
            reason: "the gateway authenticates".into()
        }
    )));
}

#[test]
fn letters_marked_not_applicable_with_a_reason_count_as_covered() {
    let mut app = shop(SHOP);
    // The API (a process: all six letters apply).
    keys(&mut app, "jj");
    assert_eq!(selected_element(&app), "api");
    // Question 4's coverage: the analysis is made while question 4 is on view.
    let covered = |app: &mut App| {
        keys(app, "4");
        let s = app.session().expect("a session");
        let checked = s.derived.checked.as_ref().expect("analysed on question 4");
        let c = checked.analysis.coverage.element("api").expect("api");
        let covered = c.covered().to_string();
        keys(app, "2");
        covered
    };
    assert_eq!(covered(&mut app), "");
    keys(&mut app, "n");
    let (f, purpose) = form(&app);
    assert_eq!(
        purpose,
        &FormPurpose::NotApplicable {
            element: "api".into()
        }
    );
    assert_eq!(f.text("letters"), "");
    // Letters need a reason.
    keys(&mut app, "R<ret>");
    let (f, _) = form(&app);
    assert_eq!(
        f.fields[1].error.as_deref(),
        Some("say why they do not apply")
    );
    // The form reopens on the field to fix.
    keys(&mut app, "Every call is logged by the gateway<ret>");
    assert!(app.modal.is_none());
    let c = &session(&app).components[1];
    assert_eq!(c.not_applicable.to_string(), "R");
    assert_eq!(
        c.not_applicable_reason,
        "Every call is logged by the gateway"
    );
    assert_eq!(covered(&mut app), "R");
    let text = screen(&app, 120, 40);
    assert!(text.contains("S· T· R- I· D· E·"), "{text}");
    assert!(text.contains("applies: STRIDE   open: STIDE"), "{text}");
    assert!(
        text.contains("R not applicable: Every call is logged by the gateway"),
        "{text}"
    );
    // The form opens with what is there; a letter that does not apply to the element at all
    // is refused; emptying the letters clears the reason too.
    keys(&mut app, "jn");
    assert_eq!(selected_element(&app), "db");
    keys(&mut app, "S<tab>no users<ret>");
    let (f, _) = form(&app);
    assert!(
        f.fields[0]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("does not apply")),
        "{:?}",
        f.fields[0].error
    );
    keys(&mut app, "<esc>kn");
    let (f, _) = form(&app);
    assert_eq!(f.text("letters"), "R");
    assert_eq!(f.text("reason"), "Every call is logged by the gateway");
    keys(&mut app, "<C-u><ret>");
    let c = &session(&app).components[1];
    assert!(c.not_applicable.is_empty() && c.not_applicable_reason.is_empty());
    assert_eq!(covered(&mut app), "");
}

#[test]
fn the_walk_visits_crossing_flows_first_then_other_flows_then_components() {
    let mut app = shop(SHOP);
    // Start from somewhere else: the walk selects what it shows.
    keys(&mut app, "jjjw");
    let on_view = |app: &App| {
        let walk = threats(app).walk.as_ref().expect("walking");
        let current = walk.current.clone();
        if let Some((element, rule)) = &current {
            assert_eq!(&selected_element(app), element);
            assert_eq!(
                threats(app).selected_suggestion().map(|v| &v.rule),
                Some(rule)
            );
            assert_eq!(threats(app).pane, Pane::Suggestions);
        }
        (current, walk.position, walk.total)
    };
    let key = |e: &str, r: &str| Some((e.to_string(), r.to_string()));
    assert_eq!(
        on_view(&app),
        (key("browser-api", "flow-sniffing-unencrypted"), 1, 6)
    );
    let text = screen(&app, 120, 40);
    assert!(text.contains("Walk: suggestion 1 of 6"), "{text}");
    assert!(text.contains("Space skip"), "{text}");
    // Skip, dismiss, add: each moves on.
    keys(&mut app, "<space>");
    assert_eq!(
        on_view(&app),
        (key("browser-api", "flow-tampering-unencrypted"), 2, 6)
    );
    keys(&mut app, "xTLS everywhere soon<ret>");
    assert_eq!(
        on_view(&app),
        (key("browser-api", "flow-missing-authentication"), 3, 6)
    );
    // A form cancelled leaves the walk where it was.
    keys(&mut app, "s<esc>");
    assert_eq!(
        on_view(&app),
        (key("browser-api", "flow-missing-authentication"), 3, 6)
    );
    keys(&mut app, "s<ret>");
    // The flow inside the DMZ before the API, though the list shows components first.
    assert_eq!(on_view(&app), (key("api-db", "flow-inside-zone"), 4, 6));
    keys(&mut app, "<space>");
    assert_eq!(on_view(&app), (key("api", "web-sql-injection"), 5, 6));
    // An undo during the walk takes the threat back: that suggestion is open again, no longer
    // counted as seen, and the walk comes back to it.
    keys(&mut app, "u");
    assert!(session(&app).threats.is_empty());
    assert_eq!(on_view(&app), (key("api", "web-sql-injection"), 4, 6));
    keys(&mut app, "<space>");
    assert_eq!(
        on_view(&app),
        (key("browser-api", "flow-missing-authentication"), 5, 6)
    );
    keys(&mut app, "s<ret>");
    assert_eq!(on_view(&app), (key("db", "store-backups"), 6, 6));
    keys(&mut app, "<space>");
    let walk = threats(&app).walk.as_ref().expect("still shown");
    assert_eq!(walk.current, None);
    assert_eq!((walk.added, walk.dismissed, walk.skipped.len()), (1, 1, 4));
    let text = screen(&app, 120, 40);
    assert!(
        text.contains("Walk done: 6 suggestions seen, 1 added, 1 dismissed, 4 skipped"),
        "{text}"
    );
    keys(&mut app, "<esc>");
    assert!(threats(&app).walk.is_none());
}

#[test]
fn a_walk_with_nothing_open_says_so() {
    let mut app = shop(SHOP);
    app.use_libraries(crate::library::LibrarySet::empty());
    keys(&mut app, "w");
    assert!(threats(&app).walk.is_none());
    assert_eq!(status_text(&app), "no threat rules are loaded");
    keys(&mut app, "s");
    assert_eq!(status_text(&app), "no threat rules are loaded");
}

#[test]
fn a_dismissal_being_typed_survives_as_a_draft() {
    let mut app = shop(SHOP);
    keys(&mut app, "xhealth checks only");
    let (f, purpose) = form(&app);
    let s = session(&app);
    let draft = crate::tui::draft::draft_of(f, purpose, s).expect("a draft");
    assert_eq!(draft.ids, ["browser-api", "flow-sniffing-unencrypted"]);
    let (reopened, again) = crate::tui::draft::reopen(&draft, s, today()).expect("reopens");
    assert_eq!(&again, purpose);
    assert_eq!(reopened.text("reason"), "health checks only");
    // The suggested threat's and the letters' forms too.
    keys(&mut app, "<esc>s<C-u>Edited title");
    let (f, purpose) = form(&app);
    let draft = crate::tui::draft::draft_of(f, purpose, session(&app)).expect("a draft");
    let (reopened, again) =
        crate::tui::draft::reopen(&draft, session(&app), today()).expect("reopens");
    assert_eq!(&again, purpose);
    assert_eq!(reopened.text("title"), "Edited title");
    assert_eq!(reopened.text("stride"), "I");
    keys(&mut app, "<esc>nR");
    let (f, purpose) = form(&app);
    let draft = crate::tui::draft::draft_of(f, purpose, session(&app)).expect("a draft");
    let (reopened, _) = crate::tui::draft::reopen(&draft, session(&app), today()).expect("reopens");
    assert_eq!(reopened.text("letters"), "R");
}

#[test]
fn every_element_draws_with_and_without_suggestions_at_both_sizes() {
    let mut app = shop(SHOP);
    let rows = app.session().expect("a session").derived.elements.len();
    let mut without = 0;
    for _ in 0..rows {
        for (w, h) in [(80, 24), (120, 40), (40, 12)] {
            let text = screen(&app, w, h);
            assert!(text.contains("[2 Threats]"), "{text}");
        }
        if threats(&app).suggestions().is_empty() {
            without += 1;
            assert!(screen(&app, 120, 40).contains("No rule suggests a threat here"));
            // The keys on an element without suggestions say so instead of doing anything.
            keys(&mut app, "sx");
            assert!(app.modal.is_none());
            assert_eq!(
                status_text(&app),
                "no rule suggests anything for this element"
            );
        }
        keys(&mut app, "j");
    }
    assert_eq!(without, 1, "the browser has none");
}

/// Question 2 lists out-of-scope elements last, marked, with nothing to cover and no
/// suggestions; question 4's coverage leaves them out.
#[test]
fn out_of_scope_elements_are_marked_last_without_suggestions_or_gaps() {
    let text = SHOP.replace(
        "label = \"Orders\"\n",
        "label = \"Orders\"\nout_of_scope = \"the storefront team's model\"\n",
    );
    let mut app = shop(&text);
    let s = app.session().expect("a session");
    let rows: Vec<(&str, usize, bool)> = s
        .derived
        .elements
        .iter()
        .map(|r| (r.id.as_str(), r.open_suggestions, r.out_of_scope))
        .collect();
    assert_eq!(
        rows,
        [
            ("browser", 0, false),
            ("api", 1, false),
            ("db", 1, false),
            ("api-db", 1, false),
            ("browser-api", 0, true),
        ]
    );
    let out = s.derived.elements.last().expect("a row");
    assert!(out.applicable.is_empty(), "nothing to cover out of scope");
    let shown = screen(&app, 120, 40);
    assert!(
        shown.contains("(out of scope) browser → api: Orders"),
        "{shown}"
    );
    // Question 4's coverage, made while question 4 is on view.
    keys(&mut app, "4");
    let s = app.session().expect("a session");
    let checked = s.derived.checked.as_ref().expect("analysed on question 4");
    assert!(checked.analysis.coverage.element("browser-api").is_none());
}
