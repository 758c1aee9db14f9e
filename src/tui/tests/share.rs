//! Sharing in the facilitator's app, without a network: the app is fed `HostEvent`s, and what
//! it would send to the host is read from the share's outbox. Ideas wait in the inbox until the
//! facilitator accepts, merges or dismisses them; undo and redo take accepts and merges back
//! and forth, and the host hears of each; a round counts down and ends itself.

use super::*;
use crate::model::{Rating, StrideSet};
use crate::share::{HostEvent, IdeaDraft, IdeaStatus};
use crate::tui::share::{Outgoing, Sharing};
use std::time::Instant;

/// A browser calls an API over the internet; the API queries its database. One threat so far,
/// on the crossing flow (the first element of question 2).
const SHOP: &str = concat!(
    shop_head!(),
    shop_components!("", ""),
    shop_browser_flow!("https", "true", "true"),
    "\n",
    shop_db_flow!(),
    "\n[[threats]]\nid = \"TH-001\"\ntarget = \"browser-api\"\ntitle = \"Stolen session cookie reused by an attacker\"\nstride = \"S\"\nrefs = [\"capec:CAPEC-60\"]\n",
);

/// The shop on question 2, shared without a network, the join dialog closed.
fn shared_shop() -> App {
    let (session, _) = store::parse(SHOP).expect("the test session parses");
    let mut app = App::open(
        store::LoadedSession::unsaved(session, "sessions/shop.toml"),
        Theme::plain(),
        today(),
    );
    app.frozen_clock = Some(Duration::from_secs(9 * 60));
    app.use_libraries(test_libraries(""));
    app.begin_sharing(Sharing::offline("127.0.0.1:7420", "k7f2-9xq4-m3vd-82hc"));
    assert!(
        matches!(app.modal, Some(Modal::ShareInfo)),
        "how to join is shown"
    );
    keys(&mut app, "<esc>2");
    app
}

fn idea(element: &str, statement: &str, stride: &str, refs: &[&str]) -> IdeaDraft {
    IdeaDraft {
        element: element.into(),
        statement: statement.into(),
        stride: StrideSet::parse(stride),
        refs: refs.iter().map(|r| r.to_string()).collect(),
        likelihood: None,
        impact: None,
    }
}

fn send(app: &mut App, id: u64, author: &str, draft: IdeaDraft) {
    app.on_share_event(HostEvent::Idea {
        id,
        author: author.into(),
        idea: draft,
    });
}

fn sharing(app: &App) -> &Sharing {
    app.share.as_ref().expect("sharing")
}

/// What the app told the host about ideas, in order.
fn statuses_sent(app: &App) -> Vec<(u64, IdeaStatus)> {
    sharing(app)
        .outbox
        .iter()
        .filter_map(|o| match o {
            Outgoing::Status(id, status) => Some((*id, status.clone())),
            _ => None,
        })
        .collect()
}

fn status_of(app: &App, id: u64) -> Option<IdeaStatus> {
    sharing(app).inbox.get(id).map(|i| i.status.clone())
}

fn accepted(threat: &str) -> IdeaStatus {
    IdeaStatus::Accepted {
        threat: threat.into(),
    }
}

fn merged(threat: &str) -> IdeaStatus {
    IdeaStatus::Merged {
        threat: threat.into(),
    }
}

/// Two attendees send near-duplicates on the crossing flow (same ref), one more on the API.
fn three_ideas(app: &mut App) {
    app.on_share_event(HostEvent::Joined {
        name: "ana".into(),
        rejoined: false,
    });
    app.on_share_event(HostEvent::Joined {
        name: "bo".into(),
        rejoined: false,
    });
    let mut first = idea(
        "browser-api",
        "Replay of a captured order request",
        "T",
        &["capec:CAPEC-94"],
    );
    first.likelihood = Some(Rating(2));
    first.impact = Some(Rating(3));
    send(app, 1, "ana", first);
    send(
        app,
        2,
        "bo",
        idea(
            "browser-api",
            "Captured order request sent again",
            "R",
            &["capec:CAPEC-94", "attack:T1557"],
        ),
    );
    send(
        app,
        3,
        "bo",
        idea("api", "Flood the orders API with requests", "D", &[]),
    );
}

#[test]
fn ideas_wait_in_the_inbox_and_change_nothing_until_decided() {
    let mut app = shared_shop();
    let before = session(&app).clone();
    three_ideas(&mut app);
    assert_eq!(
        session(&app),
        &before,
        "nothing an attendee sends changes the session"
    );
    assert!(!app.is_dirty());
    assert_eq!(status_text(&app), "idea #3 from bo on api");
    assert_eq!(sharing(&app).attendees.len(), 2);
    let counts = app
        .session()
        .and_then(|s| s.threats.pending_ideas.clone())
        .expect("counts while sharing");
    assert_eq!(counts.get("browser-api"), Some(&2));
    assert_eq!(counts.get("api"), Some(&1));
    // The same idea twice (a repeat from the host) is one idea.
    send(&mut app, 3, "bo", idea("api", "again", "", &[]));
    assert_eq!(sharing(&app).inbox.all().len(), 3);
    let screen = screen(&app, 120, 40);
    assert!(screen.contains("sharing · 2 attendees"), "{screen}");
    assert!(screen.contains("*2 ! browser → api: Orders"), "{screen}");
}

#[test]
fn accepting_a_group_makes_one_threat_with_its_authors_and_undo_redo_follow() {
    let mut app = shared_shop();
    three_ideas(&mut app);
    keys(&mut app, "ia");
    let threats = &session(&app).threats;
    assert_eq!(threats.len(), 2);
    let new = threats.last().expect("the accepted threat");
    assert_eq!(new.id.as_str(), "TH-002");
    assert_eq!(new.target.as_str(), "browser-api");
    assert_eq!(new.title, "Replay of a captured order request");
    assert_eq!(new.stride.to_string(), "TR", "both ideas' letters");
    let refs: Vec<&str> = new.refs.iter().map(|r| r.as_str()).collect();
    assert_eq!(refs, ["capec:CAPEC-94", "attack:T1557"]);
    assert_eq!(
        (new.likelihood, new.impact),
        (Some(Rating(2)), Some(Rating(3)))
    );
    assert_eq!(new.raised_by, ["ana", "bo"]);
    assert_eq!(
        statuses_sent(&app),
        vec![(1, accepted("TH-002")), (2, merged("TH-002"))]
    );
    assert!(
        matches!(app.modal, Some(Modal::Inbox(_))),
        "the inbox stays open"
    );
    assert!(status_text(&app).contains("accepted 2 ideas as TH-002"));

    // Undo takes the threat back and the ideas are pending again, for the host too.
    keys(&mut app, "<esc>u");
    assert_eq!(session(&app).threats.len(), 1);
    assert_eq!(status_of(&app, 1), Some(IdeaStatus::Pending));
    assert_eq!(status_of(&app, 2), Some(IdeaStatus::Pending));
    assert_eq!(
        statuses_sent(&app)[2..],
        [(1, IdeaStatus::Pending), (2, IdeaStatus::Pending)]
    );
    // Redo decides them again.
    keys(&mut app, "<C-r>");
    assert_eq!(session(&app).threats.len(), 2);
    assert_eq!(status_of(&app, 1), Some(accepted("TH-002")));
    assert_eq!(status_of(&app, 2), Some(merged("TH-002")));
    assert_eq!(statuses_sent(&app).len(), 6);
}

#[test]
fn merging_adds_refs_letters_and_authors_to_the_chosen_threat() {
    let mut app = shared_shop();
    three_ideas(&mut app);
    keys(&mut app, "im");
    assert!(matches!(
        app.modal,
        Some(Modal::Inbox(crate::tui::screens::inbox::InboxView {
            merge: Some(0),
            ..
        }))
    ));
    keys(&mut app, "<ret>");
    let threats = &session(&app).threats;
    assert_eq!(threats.len(), 1, "no new threat");
    let th = &threats[0];
    assert_eq!(th.title, "Stolen session cookie reused by an attacker");
    assert_eq!(th.stride.to_string(), "STR");
    let refs: Vec<&str> = th.refs.iter().map(|r| r.as_str()).collect();
    assert_eq!(refs, ["capec:CAPEC-60", "capec:CAPEC-94", "attack:T1557"]);
    assert_eq!(th.raised_by, ["ana", "bo"]);
    assert_eq!(
        statuses_sent(&app),
        vec![(1, merged("TH-001")), (2, merged("TH-001"))]
    );
    keys(&mut app, "<esc>u");
    assert!(session(&app).threats[0].raised_by.is_empty(), "undone");
    assert_eq!(status_of(&app, 2), Some(IdeaStatus::Pending));
}

#[test]
fn esc_while_choosing_the_threat_goes_back_without_merging() {
    let mut app = shared_shop();
    three_ideas(&mut app);
    keys(&mut app, "im<esc>");
    assert!(matches!(
        app.modal,
        Some(Modal::Inbox(crate::tui::screens::inbox::InboxView {
            merge: None,
            ..
        }))
    ));
    assert!(statuses_sent(&app).is_empty());
    assert!(!app.is_dirty());
}

#[test]
fn dismissing_takes_one_idea_out_of_its_group_and_changes_nothing() {
    let mut app = shared_shop();
    three_ideas(&mut app);
    // The second idea of the group, alone.
    keys(&mut app, "ijx");
    assert_eq!(statuses_sent(&app), vec![(2, IdeaStatus::Dismissed)]);
    assert!(!app.is_dirty(), "a dismissal is not an edit of the session");
    // What is left: idea 1 alone, accepted without its dismissed twin.
    keys(&mut app, "a");
    let new = session(&app).threats.last().expect("accepted");
    assert_eq!(new.raised_by, ["ana"]);
    assert_eq!(status_of(&app, 2), Some(IdeaStatus::Dismissed));
}

#[test]
fn an_edit_after_an_undo_leaves_the_undone_ideas_pending() {
    let mut app = shared_shop();
    three_ideas(&mut app);
    keys(&mut app, "ia<esc>u");
    assert_eq!(status_of(&app, 1), Some(IdeaStatus::Pending));
    // Another accept, on the API: redo has nothing left, the first ideas stay pending.
    keys(&mut app, "jj");
    keys(&mut app, "ia<esc>");
    let new = session(&app).threats.last().expect("accepted");
    assert_eq!(new.target.as_str(), "api");
    keys(&mut app, "<C-r>");
    assert_eq!(status_text(&app), "nothing to redo");
    assert_eq!(status_of(&app, 1), Some(IdeaStatus::Pending));
    assert_eq!(status_of(&app, 3), Some(accepted("TH-002")));
}

#[test]
fn ideas_for_an_element_no_longer_in_the_model_stay_listed_and_can_be_dismissed() {
    let mut app = shared_shop();
    send(
        &mut app,
        7,
        "cy",
        idea("gone", "Something about a removed cache", "I", &[]),
    );
    keys(&mut app, "i");
    let text = screen(&app, 80, 24);
    assert!(text.contains("Unknown element"), "{text}");
    assert!(text.contains("#7 cy on gone"), "{text}");
    keys(&mut app, "a");
    assert_eq!(
        session(&app).threats.len(),
        1,
        "no threat on a missing element"
    );
    assert!(status_text(&app).contains("no longer in the model"));
    keys(&mut app, "x");
    assert_eq!(statuses_sent(&app), vec![(7, IdeaStatus::Dismissed)]);
}

#[test]
fn joins_leaves_and_refusals_show_in_the_status_line() {
    let mut app = shared_shop();
    app.on_share_event(HostEvent::Joined {
        name: "ana".into(),
        rejoined: true,
    });
    assert_eq!(status_text(&app), "ana rejoined");
    app.on_share_event(HostEvent::Refused {
        peer: "10.0.0.9:5123".into(),
        reason: "wrong code".into(),
    });
    assert_eq!(status_text(&app), "refused 10.0.0.9:5123: wrong code");
    app.on_share_event(HostEvent::Left {
        name: "ana".into(),
        reason: "timed out".into(),
    });
    assert_eq!(status_text(&app), "ana left (timed out)");
    assert!(sharing(&app).attendees.is_empty());
    app.on_share_event(HostEvent::Joined {
        name: "bo".into(),
        rejoined: false,
    });
    app.on_share_event(HostEvent::Left {
        name: "bo".into(),
        reason: "left".into(),
    });
    assert_eq!(status_text(&app), "bo left", "said once");
    // A name with control characters is shown escaped, never raw.
    app.on_share_event(HostEvent::Joined {
        name: "x\u{1b}[2J".into(),
        rejoined: false,
    });
    assert!(!status_text(&app).contains('\u{1b}'));
}

#[test]
fn a_round_starts_from_its_form_counts_down_and_ends_itself() {
    let mut app = shared_shop();
    keys(&mut app, "B<ret>");
    assert_eq!(sharing(&app).outbox, vec![Outgoing::StartRound(180)]);
    assert_eq!(sharing(&app).round.map(|r| r.number), Some(1));
    assert!(screen(&app, 120, 40).contains("sharing · 0 attendees · round 1 03:00"));
    // Narrow: shorter, the time left still there.
    assert!(
        screen(&app, 80, 24)
            .lines()
            .next()
            .is_some_and(|l| l.contains("03:00"))
    );
    // Past its end: the app ends it with the host and says so.
    assert!(app.share_tick(Instant::now() + Duration::from_secs(181)));
    assert_eq!(sharing(&app).round, None);
    assert!(sharing(&app).outbox.contains(&Outgoing::EndRound));
    assert!(status_text(&app).contains("time is up"));
}

#[test]
fn a_round_can_be_ended_early_and_its_minutes_are_checked() {
    let mut app = shared_shop();
    keys(&mut app, "B<bs>0<ret>");
    assert!(
        matches!(app.modal, Some(Modal::Form { .. })),
        "0 minutes is refused"
    );
    keys(&mut app, "<bs>5<ret>");
    assert_eq!(sharing(&app).outbox, vec![Outgoing::StartRound(300)]);
    keys(&mut app, "B");
    assert_eq!(sharing(&app).round, None);
    assert_eq!(
        sharing(&app).outbox,
        vec![Outgoing::StartRound(300), Outgoing::EndRound]
    );
}

#[test]
fn an_accepted_title_is_one_line_and_the_lan_note_shows_for_every_interface() {
    let mut app = shared_shop();
    send(
        &mut app,
        1,
        "ana",
        idea("api", "  Flood the\nAPI\t with  requests ", "D", &[]),
    );
    keys(&mut app, "jjia");
    let new = session(&app).threats.last().expect("accepted");
    assert_eq!(new.title, "Flood the API with requests");
    app.stop_sharing();
    app.begin_sharing(Sharing::offline("0.0.0.0:7420", "k7f2-9xq4-m3vd-82hc"));
    let dialog = screen(&app, 120, 40);
    assert!(dialog.contains("this machine's LAN address"), "{dialog}");
    assert!(
        dialog.contains(
            "threatboard join 0.0.0.0:7420 --code k7f2-9xq4-m3vd-82hc --name <your name>"
        )
    );
}

#[test]
fn sharing_from_launch_shows_the_join_dialog_after_todays_run() {
    let mut app = app_on("three-tier-cloud-web-app.toml");
    assert!(
        matches!(app.modal, Some(Modal::Form { .. })),
        "today's run first"
    );
    app.begin_sharing(Sharing::offline("127.0.0.1:7420", "k7f2-9xq4-m3vd-82hc"));
    assert!(matches!(app.modal, Some(Modal::Form { .. })));
    keys(&mut app, "<esc>");
    assert!(matches!(app.modal, Some(Modal::ShareInfo)));
    keys(&mut app, "<esc>");
    assert!(app.modal.is_none());
}

#[test]
fn rounds_and_the_inbox_need_sharing() {
    let (loaded, _) = store::parse(SHOP).expect("parses");
    let mut app = App::open(
        store::LoadedSession::unsaved(loaded, "sessions/shop.toml"),
        Theme::plain(),
        today(),
    );
    keys(&mut app, "2B");
    assert!(status_text(&app).contains("H starts sharing"));
    assert!(app.modal.is_none());
    keys(&mut app, "i");
    assert!(app.modal.is_none());
    assert!(status_text(&app).contains("H starts sharing"));
}

#[test]
fn the_share_key_shows_the_command_again_or_stops_after_asking() {
    let mut app = shared_shop();
    keys(&mut app, "H");
    assert!(matches!(app.modal, Some(Modal::ShareMenu)));
    keys(&mut app, "c");
    assert!(matches!(app.modal, Some(Modal::ShareInfo)));
    keys(&mut app, "<esc>Hs");
    assert!(matches!(app.modal, Some(Modal::ShareStop)));
    keys(&mut app, "n");
    assert!(app.share.is_some(), "anything but y keeps sharing");
    keys(&mut app, "Hsy");
    assert!(app.share.is_none());
    assert!(status_text(&app).starts_with("sharing stopped"));
    assert!(!screen(&app, 80, 24).contains("sharing ·"));
}

#[test]
fn the_model_is_published_after_an_accept() {
    let mut app = shared_shop();
    three_ideas(&mut app);
    let now = Instant::now();
    app.share_tick(now);
    keys(&mut app, "ia<esc>");
    app.share_tick(now + Duration::from_secs(1));
    let revision = app.session().map(|s| s.history.revision());
    let models: Vec<&Outgoing> = sharing(&app)
        .outbox
        .iter()
        .filter(|o| matches!(o, Outgoing::Model(_)))
        .collect();
    assert_eq!(models.len(), 2, "{models:?}");
    assert_eq!(
        models.last(),
        Some(&&Outgoing::Model(revision.unwrap_or(0)))
    );
}

#[test]
fn the_threat_says_who_raised_it_in_questions_2_and_3() {
    let mut app = shared_shop();
    three_ideas(&mut app);
    keys(&mut app, "ia<esc>lG");
    let q2 = screen(&app, 120, 40);
    assert!(q2.contains("TH-002 raised by ana, bo"), "{q2}");
    keys(&mut app, "3");
    // Question 3 lists by risk: the new threat (L2 I3) first.
    let q3 = screen(&app, 120, 40);
    assert!(q3.contains("raised by ana, bo"), "{q3}");
}

#[test]
fn snapshots_of_the_inbox_the_share_dialog_and_a_round() {
    let mut app = shared_shop();
    three_ideas(&mut app);
    keys(&mut app, "i");
    insta::assert_snapshot!("share_inbox_80x24", screen(&app, 80, 24));
    insta::assert_snapshot!("share_inbox_120x40", screen(&app, 120, 40));
    keys(&mut app, "m");
    insta::assert_snapshot!("share_inbox_merge_80x24", screen(&app, 80, 24));
    keys(&mut app, "<esc><esc>H");
    keys(&mut app, "c");
    insta::assert_snapshot!("share_dialog_80x24", screen(&app, 80, 24));
    insta::assert_snapshot!("share_dialog_120x40", screen(&app, 120, 40));
    keys(&mut app, "<esc>B<ret>1");
    insta::assert_snapshot!("share_round_header_80x24", screen(&app, 80, 24));
    insta::assert_snapshot!("share_round_header_120x40", screen(&app, 120, 40));
}

#[test]
fn undo_and_redo_work_without_leaving_the_inbox() {
    let mut app = shared_shop();
    three_ideas(&mut app);
    keys(&mut app, "ia");
    assert_eq!(session(&app).threats.len(), 2);
    keys(&mut app, "u");
    assert!(
        matches!(app.modal, Some(Modal::Inbox(_))),
        "the inbox stays open"
    );
    assert_eq!(session(&app).threats.len(), 1, "the accept is undone");
    assert_eq!(status_of(&app, 1), Some(IdeaStatus::Pending));
    let screen = screen(&app, 80, 24);
    assert!(screen.contains("Replay of a captured order"), "{screen}");
    keys(&mut app, "<C-r>");
    assert!(matches!(app.modal, Some(Modal::Inbox(_))));
    assert_eq!(session(&app).threats.len(), 2, "and redone");
    assert_eq!(status_of(&app, 1), Some(accepted("TH-002")));
}
