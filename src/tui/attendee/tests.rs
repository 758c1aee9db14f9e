//! The attendee app without a network: host messages and keys in, ideas out, and snapshots of
//! its screens at 80x24 (and 120x40).

use super::ideas::{Delivery, delivery_text};
use super::*;
use crate::model::{Rating, StrideSet};
use crate::share::{IdeaStatus, IdeaView};
use crate::tui::tests::{SHOP, screen_of, test_libraries};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The shop as the facilitator's app shares it.
fn shop() -> Session {
    crate::share::shared_model(&crate::store::parse(SHOP).expect("the test model parses").0)
}

fn t0() -> Instant {
    // Any fixed instant: only differences from it are drawn.
    Instant::now()
}

fn welcome(model: Session, round: Option<RoundInfo>, ideas: Vec<IdeaView>) -> HostMsg {
    HostMsg::Welcome {
        protocol: crate::share::PROTOCOL_VERSION,
        name: "ana".into(),
        model: Box::new(model),
        round,
        ideas,
    }
}

fn joined(at: Instant) -> AttendeeApp {
    let mut app = AttendeeApp::new("ana", test_libraries(""), Theme::plain(), at);
    app.on_message_at(welcome(shop(), None, Vec::new()), at);
    app
}

/// Round 1 of `secs` seconds starts, its time received `at`.
fn start_round(app: &mut AttendeeApp, secs: u32, at: Instant) {
    let round = Some(RoundInfo {
        number: 1,
        remaining_secs: secs,
    });
    app.on_message_at(HostMsg::Round { round }, at);
}

fn press(app: &mut AttendeeApp, code: KeyCode) {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn type_text(app: &mut AttendeeApp, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

fn draft(element: &str, statement: &str) -> IdeaDraft {
    IdeaDraft {
        element: element.into(),
        statement: statement.into(),
        stride: StrideSet::parse("S"),
        refs: Vec::new(),
        likelihood: None,
        impact: None,
    }
}

fn view_of(id: u64, author: &str, client_ref: Option<u32>, idea: IdeaDraft) -> IdeaView {
    IdeaView {
        id,
        author: author.into(),
        client_ref,
        idea,
        status: IdeaStatus::Pending,
    }
}

fn screen(app: &AttendeeApp, width: u16, height: u16) -> String {
    screen_of(width, height, |f| view::draw(app, f))
}

fn selected_id(app: &AttendeeApp) -> String {
    app.selected_row().map(|r| r.id.clone()).unwrap_or_default()
}

/// Writes an idea on the selected element by hand: statement and letters, then Enter.
fn write_idea(app: &mut AttendeeApp, statement: &str, letters: &str) {
    press(app, KeyCode::Char('n'));
    type_text(app, statement);
    press(app, KeyCode::Tab);
    type_text(app, letters);
    press(app, KeyCode::Enter);
}

#[test]
fn the_welcome_brings_the_model_the_round_and_the_ideas() {
    let at = t0();
    let mut app = AttendeeApp::new("ana", test_libraries(""), Theme::plain(), at);
    assert!(app.rows.is_empty());
    let mine = view_of(4, "ana", Some(1), draft("api", "Replayed tokens"));
    let theirs = view_of(5, "bo", None, draft("db", "Backups readable"));
    app.on_message_at(
        welcome(
            shop(),
            Some(RoundInfo {
                number: 2,
                remaining_secs: 90,
            }),
            vec![mine, theirs.clone()],
        ),
        at,
    );
    assert_eq!(app.connection, Connection::Connected);
    assert_eq!(app.model.title, "Shop");
    // Question 2's order: the crossing flow first.
    assert_eq!(selected_id(&app), "browser-api");
    assert_eq!(app.rows.len(), 5);
    assert_eq!(app.round_remaining(), Some(90));
    assert_eq!(app.ideas.own.len(), 1);
    assert_eq!(
        app.ideas.own[0].delivery,
        Delivery::Known {
            id: 4,
            status: IdeaStatus::Pending
        }
    );
    assert_eq!(app.ideas.others, vec![theirs]);
    // The rules' suggestions for the selected flow, from the shared model.
    assert!(
        app.suggestions
            .iter()
            .any(|s| s.rule == "flow-missing-authentication"),
        "{:?}",
        app.suggestions
    );
}

#[test]
fn a_new_model_keeps_the_selection_on_the_same_element() {
    let at = t0();
    let mut app = joined(at);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    let before = selected_id(&app);
    assert_ne!(before, "browser-api");
    // The facilitator adds a crossing flow, listed first: the rows shift, the selection not.
    let mut model = shop();
    let mut flow = model.flows[1].clone();
    flow.id = "browser-api-2".into();
    model.flows.push(flow);
    app.on_message_at(
        HostMsg::Model {
            model: Box::new(model.clone()),
        },
        at,
    );
    assert_eq!(app.rows.len(), 6);
    assert_eq!(selected_id(&app), before);
    // The selected element is deleted: the selection stays in the list.
    model.components.retain(|c| c.id.as_str() != before);
    model.flows.retain(|f| f.id.as_str() != before);
    app.on_message_at(
        HostMsg::Model {
            model: Box::new(model),
        },
        at,
    );
    assert!(app.selected < app.rows.len());
    assert!(app.rows.iter().all(|r| r.id != before));
}

#[test]
fn the_round_counts_down_from_when_its_time_arrived() {
    let at = t0();
    let mut app = joined(at);
    assert_eq!(app.round_remaining(), None);
    start_round(&mut app, 180, at);
    app.tick(at + Duration::from_secs(65));
    assert_eq!(app.round_remaining(), Some(115));
    let text = screen(&app, 80, 24);
    assert!(text.contains("round 1: 01:55 left"), "{text}");
    assert!(
        text.contains("your ideas are hidden from the others until the round ends"),
        "{text}"
    );
    // Past its time it shows 00:00 until the host ends it.
    app.tick(at + Duration::from_secs(500));
    assert_eq!(app.round_remaining(), Some(0));
    app.on_message_at(HostMsg::Round { round: None }, at);
    assert_eq!(app.round_remaining(), None);
    assert!(!screen(&app, 80, 24).contains("hidden from the others"));
}

#[test]
fn an_idea_is_queued_sent_and_followed_to_its_outcome() {
    let at = t0();
    let mut app = joined(at);
    write_idea(&mut app, "Tokens replayed from logs", "s");
    assert!(app.overlay.is_none(), "the form closed");
    assert_eq!(app.ideas.own.len(), 1);
    assert_eq!(app.ideas.own[0].delivery, Delivery::Queued);
    let out = app.take_outgoing();
    assert_eq!(
        out,
        vec![IdeaDraft {
            element: "browser-api".into(),
            statement: "Tokens replayed from logs".into(),
            stride: StrideSet::parse("S"),
            refs: Vec::new(),
            likelihood: None,
            impact: None,
        }]
    );
    // Taken once only.
    assert!(app.take_outgoing().is_empty());
    app.confirm_sent(7);
    assert_eq!(app.ideas.own[0].delivery, Delivery::Sent { client_ref: 7 });
    let echoed = view_of(31, "ana", Some(7), out[0].clone());
    app.on_message_at(
        HostMsg::Idea {
            idea: echoed.clone(),
        },
        at,
    );
    assert_eq!(
        app.ideas.own[0].delivery,
        Delivery::Known {
            id: 31,
            status: IdeaStatus::Pending
        }
    );
    for (status, shown) in [
        (
            IdeaStatus::Accepted {
                threat: "TH-009".into(),
            },
            "accepted as TH-009",
        ),
        (
            IdeaStatus::Merged {
                threat: "TH-002".into(),
            },
            "merged into TH-002",
        ),
        (IdeaStatus::Dismissed, "dismissed"),
    ] {
        app.on_message_at(
            HostMsg::Idea {
                idea: IdeaView {
                    status: status.clone(),
                    ..echoed.clone()
                },
            },
            at,
        );
        assert_eq!(app.ideas.own.len(), 1, "updated, not added");
        assert!(screen(&app, 80, 24).contains(shown), "{shown}");
    }
}

#[test]
fn the_idea_form_checks_letters_and_takes_ratings() {
    let at = t0();
    let mut app = joined(at);
    press(&mut app, KeyCode::Char('n'));
    type_text(&mut app, "Spoofed browser");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "x");
    press(&mut app, KeyCode::Enter);
    let Some(Overlay::Form(form)) = &app.overlay else {
        panic!("the form stays open on an error");
    };
    assert!(form.fields.iter().any(|f| f.error.is_some()));
    assert!(app.ideas.own.is_empty());
    press(&mut app, KeyCode::Backspace);
    type_text(&mut app, "S");
    // Refs, then likelihood: high (three steps right), impact: low.
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "capec:CAPEC-115");
    press(&mut app, KeyCode::Tab);
    for _ in 0..3 {
        press(&mut app, KeyCode::Right);
    }
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Enter);
    let out = app.take_outgoing();
    assert_eq!(out.len(), 1, "{:?}", app.overlay);
    assert_eq!(out[0].refs, vec!["capec:CAPEC-115".to_string()]);
    assert_eq!(out[0].likelihood, Some(Rating::HIGH));
    assert_eq!(out[0].impact, Some(Rating::LOW));
}

#[test]
fn a_suggestion_or_a_library_entry_prefills_the_idea() {
    let at = t0();
    let mut app = joined(at);
    let rule = app
        .suggestions
        .iter()
        .position(|s| s.rule == "flow-missing-authentication")
        .expect("the rule fires on the crossing flow");
    app.pane = Pane::Suggestions;
    for _ in 0..rule {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    let out = app.take_outgoing();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].element, "browser-api");
    assert_eq!(out[0].stride, StrideSet::parse("SE"));
    assert_eq!(out[0].refs, vec!["capec:CAPEC-115", "owasp-api-2023:API2"]);
    assert_eq!(out[0].likelihood, Some(Rating::HIGH));
    assert!(out[0].statement.contains("Browser"), "{}", out[0].statement);
    // The picker: search, Enter opens the form with the entry's name and reference.
    press(&mut app, KeyCode::Char('a'));
    assert!(matches!(app.overlay, Some(Overlay::Picker(_))));
    type_text(&mut app, "CAPEC-66");
    press(&mut app, KeyCode::Enter);
    let Some(Overlay::Form(form)) = &app.overlay else {
        panic!("Enter in the picker opens the idea form");
    };
    assert_eq!(form.text("refs"), "capec:CAPEC-66");
    assert_eq!(form.choice("element"), "browser-api");
    assert!(form.text("title").contains("SQL"), "{}", form.text("title"));
    // A new model while the picker is open keeps it on the same entry.
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('a'));
    type_text(&mut app, "csrf");
    press(&mut app, KeyCode::Down);
    let chosen = |app: &AttendeeApp| match &app.overlay {
        Some(Overlay::Picker(p)) => p.selected_hit().map(|h| h.reference.clone()),
        _ => None,
    };
    let before = chosen(&app);
    assert!(before.is_some());
    app.on_message_at(
        HostMsg::Model {
            model: Box::new(shop()),
        },
        at,
    );
    assert_eq!(chosen(&app), before);
}

#[test]
fn ideas_written_while_disconnected_wait_for_the_rejoin() {
    let at = t0();
    let mut app = joined(at);
    app.connection_lost(None);
    assert!(matches!(app.connection, Connection::Reconnecting { .. }));
    write_idea(&mut app, "Written offline", "T");
    assert!(app.take_outgoing().is_empty(), "nothing is sent while away");
    let text = screen(&app, 80, 24);
    assert!(text.contains("not sent yet"), "{text}");
    assert!(text.contains("reconnecting"), "{text}");
    insta::assert_snapshot!("attendee_reconnecting_80x24", text);
    app.on_message_at(welcome(shop(), None, Vec::new()), at);
    let out = app.take_outgoing();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].statement, "Written offline");
}

#[test]
fn a_rejoin_replays_nothing_twice_and_loses_nothing() {
    let at = t0();
    let mut app = joined(at);
    let a = draft("api", "Reached the host");
    let b = draft("db", "Lost on the way");
    app.ideas.queue(a.clone());
    app.ideas.queue(b.clone());
    assert_eq!(app.take_outgoing().len(), 2);
    app.confirm_sent(1);
    app.confirm_sent(2);
    app.on_message_at(
        HostMsg::Idea {
            idea: view_of(10, "ana", Some(1), a.clone()),
        },
        at,
    );
    // The connection drops before the host had b.
    app.connection_lost(None);
    app.on_message_at(
        welcome(shop(), None, vec![view_of(10, "ana", Some(1), a.clone())]),
        at,
    );
    assert_eq!(app.ideas.own.len(), 2, "a is not listed twice");
    assert!(matches!(
        app.ideas.own[0].delivery,
        Delivery::Known { id: 10, .. }
    ));
    // b goes again; the new connection numbers from 1 again, which binds b, not a.
    assert_eq!(app.take_outgoing(), vec![b.clone()]);
    app.confirm_sent(1);
    app.on_message_at(
        HostMsg::Idea {
            idea: view_of(11, "ana", Some(1), b),
        },
        at,
    );
    assert_eq!(app.ideas.own.len(), 2);
    assert!(matches!(
        app.ideas.own[1].delivery,
        Delivery::Known { id: 11, .. }
    ));
    assert!(matches!(
        app.ideas.own[0].delivery,
        Delivery::Known { id: 10, .. }
    ));
    // An idea of ours the app did not know (sent before a restart) is shown too.
    app.on_message_at(
        HostMsg::Idea {
            idea: view_of(3, "ana", Some(9), draft("api", "From before")),
        },
        at,
    );
    assert_eq!(app.ideas.own.len(), 3);
}

#[test]
fn others_ideas_are_listed_and_updated_in_place() {
    let at = t0();
    let mut app = joined(at);
    let idea = view_of(5, "bo", None, draft("db", "Backups readable"));
    app.on_message_at(HostMsg::Idea { idea: idea.clone() }, at);
    app.on_message_at(
        HostMsg::Idea {
            idea: IdeaView {
                status: IdeaStatus::Dismissed,
                ..idea
            },
        },
        at,
    );
    assert_eq!(app.ideas.others.len(), 1);
    assert_eq!(app.ideas.others[0].status, IdeaStatus::Dismissed);
    assert!(app.ideas.own.is_empty());
}

#[test]
fn quitting_asks_only_when_something_typed_is_not_sent() {
    let at = t0();
    let mut app = joined(at);
    press(&mut app, KeyCode::Char('n'));
    type_text(&mut app, "half an idea");
    press(&mut app, KeyCode::Esc);
    assert!(app.overlay.is_none());
    assert!(app.kept_form.is_some(), "Esc keeps what was typed");
    press(&mut app, KeyCode::Char('q'));
    assert_eq!(app.overlay, Some(Overlay::ConfirmQuit));
    assert!(!app.quit);
    press(&mut app, KeyCode::Char('x'));
    assert!(!app.quit, "any other key stays");
    // n reopens the kept form; sending it leaves nothing to lose.
    press(&mut app, KeyCode::Char('n'));
    let Some(Overlay::Form(form)) = &app.overlay else {
        panic!("n reopens the kept idea");
    };
    assert_eq!(form.text("title"), "half an idea");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "R");
    press(&mut app, KeyCode::Enter);
    app.take_outgoing();
    app.confirm_sent(1);
    press(&mut app, KeyCode::Char('q'));
    assert!(app.quit);
    // With an idea typed, q asks; y quits.
    let mut app = joined(at);
    press(&mut app, KeyCode::Char('n'));
    type_text(&mut app, "typed");
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    app.handle_key(ctrl_c);
    assert_eq!(app.overlay, Some(Overlay::ConfirmQuit));
    // Staying loses nothing: the idea is kept.
    press(&mut app, KeyCode::Esc);
    assert!(app.overlay.is_none());
    assert!(
        app.kept_form
            .as_ref()
            .is_some_and(|f| f.text("title") == "typed")
    );
    app.handle_key(ctrl_c);
    press(&mut app, KeyCode::Char('y'));
    assert!(app.quit);
}

#[test]
fn the_end_of_the_session_is_shown() {
    let at = t0();
    let mut app = joined(at);
    app.on_message_at(HostMsg::Ended, at);
    assert_eq!(app.connection, Connection::Ended);
    // A connection closing after the end does not turn it into "reconnecting".
    app.connection_lost(None);
    assert_eq!(app.connection, Connection::Ended);
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("The facilitator ended the session. q quits."),
        "{text}"
    );
    press(&mut app, KeyCode::Char('q'));
    assert!(app.quit);
}

#[test]
fn text_from_the_host_is_drawn_with_control_characters_made_visible() {
    let at = t0();
    let mut app = AttendeeApp::new("ana", test_libraries(""), Theme::plain(), at);
    let evil = "\u{1b}]52;c;aGk=\u{7}\u{1b}[2J";
    let mut model = shop();
    model.title = format!("Shop{evil}");
    model.components[1].name = format!("API{evil}");
    model.flows[1].label = format!("Orders{evil}").into();
    app.on_message_at(
        welcome(
            model,
            None,
            vec![view_of(
                2,
                &format!("mallory{evil}"),
                None,
                draft("api", &format!("statement{evil}")),
            )],
        ),
        at,
    );
    app.connection_lost(Some(format!("bye{evil}")));
    for (width, height) in [(80, 24), (120, 40)] {
        let text = screen(&app, width, height);
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(!text.contains('\u{7}'), "{text}");
        assert!(text.contains("mallory"), "{text}");
    }
    // The component's name, on its details.
    app.pane = Pane::Elements;
    while selected_id(&app) != "api" {
        press(&mut app, KeyCode::Down);
    }
    let text = screen(&app, 80, 24);
    assert!(text.contains("API"), "{text}");
    assert!(!text.contains('\u{1b}'), "{text}");
}

#[test]
fn snapshot_main_screen() {
    let at = t0();
    let mut app = joined(at);
    start_round(&mut app, 180, at);
    app.tick(at + Duration::from_secs(14));
    insta::assert_snapshot!("attendee_main_80x24", screen(&app, 80, 24));
    insta::assert_snapshot!("attendee_main_120x40", screen(&app, 120, 40));
}

#[test]
fn snapshot_idea_form() {
    let at = t0();
    let mut app = joined(at);
    app.pane = Pane::Suggestions;
    press(&mut app, KeyCode::Enter);
    assert!(matches!(app.overlay, Some(Overlay::Form(_))));
    insta::assert_snapshot!("attendee_form_80x24", screen(&app, 80, 24));
}

#[test]
fn snapshot_picker() {
    let at = t0();
    let mut app = joined(at);
    press(&mut app, KeyCode::Char('a'));
    type_text(&mut app, "csrf");
    insta::assert_snapshot!("attendee_picker_80x24", screen(&app, 80, 24));
}

#[test]
fn snapshot_ideas_list() {
    let at = t0();
    let mut app = joined(at);
    let statuses = [
        IdeaStatus::Accepted {
            threat: "TH-004".into(),
        },
        IdeaStatus::Merged {
            threat: "TH-001".into(),
        },
        IdeaStatus::Dismissed,
        IdeaStatus::Pending,
    ];
    for (i, status) in statuses.into_iter().enumerate() {
        let n = u32::try_from(i).unwrap_or(0) + 1;
        app.on_message_at(
            HostMsg::Idea {
                idea: IdeaView {
                    status,
                    ..view_of(
                        u64::from(n),
                        "ana",
                        Some(n),
                        IdeaDraft {
                            refs: vec!["capec:CAPEC-115".into()],
                            likelihood: Some(Rating::HIGH),
                            ..draft("browser-api", &format!("Idea number {n} about the flow: {}", if n == 2 {
                                "anyone on the internet calls the orders API without a token, \
                                 because the gateway forwards unauthenticated requests"
                            } else {
                                "short"
                            }))
                        },
                    )
                },
            },
            at,
        );
    }
    app.ideas
        .queue(draft("db", "Not sent yet because the network is away"));
    app.on_message_at(
        HostMsg::Idea {
            idea: view_of(9, "bo", None, draft("db", "Backups readable by everyone")),
        },
        at,
    );
    app.pane = Pane::Ideas;
    press(&mut app, KeyCode::Down);
    insta::assert_snapshot!("attendee_ideas_80x24", screen(&app, 80, 24));
}

#[test]
fn snapshot_help() {
    let at = t0();
    let mut app = joined(at);
    press(&mut app, KeyCode::Char('?'));
    insta::assert_snapshot!("attendee_help_80x24", screen(&app, 80, 24));
    press(&mut app, KeyCode::Char('x'));
    assert!(app.overlay.is_none(), "any key closes the help");
}

#[test]
fn an_idea_on_an_element_the_facilitator_removed_is_not_sent() {
    let at = t0();
    let mut app = joined(at);
    press(&mut app, KeyCode::Char('n'));
    type_text(&mut app, "Replayed orders");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "T");
    let mut model = shop();
    model.flows.retain(|f| f.id.as_str() != "browser-api");
    app.on_message_at(
        HostMsg::Model {
            model: Box::new(model),
        },
        at,
    );
    press(&mut app, KeyCode::Enter);
    let Some(Overlay::Form(form)) = &app.overlay else {
        panic!("the form stays open");
    };
    assert!(
        form.fields
            .iter()
            .any(|f| f.key == "element" && f.error.is_some())
    );
    // The error took the focus to the element, still the removed one, marked.
    assert_eq!(form.fields[form.focus].key, "element");
    assert_eq!(form.choice("element"), "browser-api");
    assert!(app.take_outgoing().is_empty());
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("browser-api (removed by the facilitator)"),
        "{text}"
    );
    // Another element chosen, it goes.
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Enter);
    let out = app.take_outgoing();
    assert_eq!(out.len(), 1, "{:?}", app.overlay);
    assert_ne!(out[0].element, "browser-api");
}

#[test]
fn keys_move_in_the_focused_pane_only() {
    let at = t0();
    let mut app = joined(at);
    press(&mut app, KeyCode::Char('G'));
    assert_eq!(app.selected, app.rows.len() - 1);
    press(&mut app, KeyCode::Char('g'));
    assert_eq!(app.selected, 0);
    // Tab to the suggestions: down moves the suggestion, not the element.
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.pane, Pane::Suggestions);
    press(&mut app, KeyCode::Down);
    assert_eq!((app.selected, app.selected_suggestion), (0, 1));
    press(&mut app, KeyCode::PageDown);
    assert_eq!(app.selected_suggestion, app.suggestions.len() - 1);
    // Shift-Tab twice goes back round to the ideas.
    press(&mut app, KeyCode::BackTab);
    press(&mut app, KeyCode::BackTab);
    assert_eq!(app.pane, Pane::Ideas);
}

#[test]
fn a_component_shows_its_kind_boundary_and_technology() {
    let at = t0();
    let mut app = joined(at);
    while selected_id(&app) != "api" {
        press(&mut app, KeyCode::Down);
    }
    let text = screen(&app, 80, 24);
    assert!(text.contains("Orders API"), "{text}");
    assert!(text.contains("process · in DMZ · api"), "{text}");
    assert!(text.contains("no threats yet · open: STRIDE"), "{text}");
    // The facilitator adds a spoofing threat on it.
    let mut model = shop();
    let mut threat = crate::tui::screens::threats::blank_threat(&model, "api");
    threat.title = "Forged service token".into();
    threat.stride = StrideSet::parse("S");
    model.threats.push(threat);
    app.on_message_at(
        HostMsg::Model {
            model: Box::new(model),
        },
        at,
    );
    let text = screen(&app, 120, 40);
    assert!(text.contains("1 threat · open: TRIDE"), "{text}");
    assert!(text.contains("Forged service token"), "{text}");
}

#[test]
fn an_idea_the_host_does_not_take_is_kept_with_why_and_not_sent_again() {
    let at = t0();
    let mut app = joined(at);
    write_idea(&mut app, "Tokens replayed from logs", "s");
    let _ = app.take_outgoing();
    app.confirm_sent(3);
    app.on_message_at(
        HostMsg::Rejected {
            client_ref: 3,
            reason: "no element \u{1b}[2Jbrowser-api".into(),
        },
        at,
    );
    assert_eq!(
        app.ideas.own[0].delivery,
        Delivery::Rejected {
            reason: "no element \u{1b}[2Jbrowser-api".into()
        }
    );
    let shown = delivery_text(&app.ideas.own[0].delivery);
    assert!(shown.starts_with("not taken: no element"), "{shown}");
    assert!(!shown.contains('\u{1b}'), "escaped: {shown}");
    // A rejoin does not send it again, and it is not counted as unsent.
    app.on_message_at(welcome(shop(), None, Vec::new()), at);
    assert!(app.take_outgoing().is_empty());
    assert_eq!(app.ideas.unsent(), 0);
}
