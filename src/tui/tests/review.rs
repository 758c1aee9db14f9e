//! Question 4 as the gate's view: check's verdict with the project's threshold, the blocking
//! items with how to clear each and a key to go there, what is tracked, and a page that never
//! scrolls past its end.

use super::*;
use crate::tui::screens::review;

/// Payment webhooks: the ledger flow carries restricted data unencrypted (TB002) and is
/// tracked (TH-001 covers I, MI-001 has an owner and a date two weeks out); the read-back
/// flow is not (blocking TB002); TH-002 is critical with no response (blocking TB007).
const WEBHOOKS: &str = r#"schema = 1
title = "Payment webhooks"

[[runs]]
date = 2026-11-23
facilitator = "facilitator"
trigger = "initial"

[[boundaries]]
id = "internet"
name = "Internet"

[[boundaries]]
id = "dc"
name = "Data centre"

[[boundaries]]
id = "vault"
name = "Ledger vault"

[[assets]]
id = "ledger"
name = "Ledger entries"
classification = "restricted"

[[components]]
id = "payment-provider"
name = "Payment provider"
kind = "external-entity"
boundary = "internet"

[[components]]
id = "ledger-service"
name = "Ledger service"
kind = "process"
boundary = "dc"

[[components]]
id = "ledger-db"
name = "Ledger DB"
kind = "data-store"
boundary = "vault"

[[flows]]
id = "provider-callback"
from = "payment-provider"
to = "ledger-service"
label = "payment callback"
authenticated = true
encrypted = true

[[flows]]
id = "ledger-read"
from = "ledger-db"
to = "ledger-service"
label = "read entries"
assets = ["ledger"]
authenticated = true
encrypted = false

[[flows]]
id = "ledger-write"
from = "ledger-service"
to = "ledger-db"
label = "write entries"
assets = ["ledger"]
authenticated = true
encrypted = false

[[threats]]
id = "TH-001"
target = "ledger-write"
title = "Entries read on the wire"
stride = "I"
likelihood = 2
impact = 3
response = "mitigate"

[[threats]]
id = "TH-002"
target = "ledger-service"
title = "Spoofed payment callback"
stride = "S"
likelihood = 3
impact = 3

[[mitigations]]
id = "MI-001"
threats = ["TH-001"]
action = "Turn on TLS to the ledger database"
owner = "ana"
due = 2026-12-07
"#;

/// The session in a project folder (a repository root) with `config` as its
/// `.threatboard.toml`, opened on question 4.
fn webhooks(config: Option<&str>) -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join(".git")).expect("repo root");
    if let Some(text) = config {
        std::fs::write(dir.path().join(".threatboard.toml"), text).expect("config");
    }
    let path = dir.path().join("webhooks.toml");
    std::fs::write(&path, WEBHOOKS).expect("session");
    let mut app = app_on_file(&path);
    app.frozen_clock = Some(Duration::from_secs(27 * 60));
    app.use_libraries(test_libraries(""));
    keys(&mut app, "4");
    (dir, app)
}

fn state(app: &App) -> &crate::tui::session::SessionState {
    app.session().expect("a session is open")
}

#[test]
fn question4_opens_on_checks_verdict_the_blocking_items_and_what_is_tracked() {
    let (_dir, app) = webhooks(None);
    let items = review::gate_items(state(&app).session(), &state(&app).derived);
    let texts: Vec<(&str, &str)> = items
        .iter()
        .map(|i| (i.text.as_str(), i.how.as_str()))
        .collect();
    assert_eq!(
        texts,
        [
            (
                "critical TB007 critical threat \"TH-002\" (Spoofed payment callback) has no response",
                "decide a response for TH-002: m mitigate, x accept, t transfer, v avoid (question 3)"
            ),
            (
                "high     TB002 flow \"ledger-read\" carries restricted data unencrypted",
                "encrypt the flow (question 1) or add a threat covering I (question 2)"
            ),
        ]
    );
    insta::assert_snapshot!("question4_gate_80x24", screen(&app, 80, 24));
    insta::assert_snapshot!("question4_gate_120x40", screen(&app, 120, 40));
}

/// The app's verdict line is what `check` prints for the same file with the same config.
#[test]
fn the_verdict_line_is_exactly_checks() {
    let config = "[check]\nfail_on = \"medium\"\nmax_age_days = 7\n";
    let (dir, mut app) = webhooks(Some(config));
    let path = dir.path().join("webhooks.toml");
    // The threat rules `check` loads for the file, in the app too.
    let rules = crate::library::load_rules_for_session(Some(&path), &[]).expect("rules load");
    app.use_libraries(rules);
    let file = crate::cli::check_cmd::judge_file(&path, &[], today()).expect("the file reads");
    let line = review::verdict_line(&state(&app).derived);
    assert_eq!(line, file.verdict().to_string());
    assert!(
        line.starts_with("check: FAIL (fail on medium): 2 blocking, 1 tracked"),
        "{line}"
    );
    assert!(screen(&app, 80, 24).contains(&line));
}

#[test]
fn a_bad_project_config_is_named_in_the_status_line_and_defaults_apply() {
    let (_dir, app) = webhooks(Some("[check]\nfail_on = \"hgih\"\n"));
    let text = screen(&app, 120, 40);
    assert!(text.contains(".threatboard.toml:2:11: "), "{text}");
    assert!(text.contains("project config, defaults in use: "), "{text}");
    assert!(text.contains("check: FAIL (fail on high)"), "{text}");
}

#[test]
fn enter_on_a_blocking_item_goes_where_it_is_fixed() {
    let (_dir, mut app) = webhooks(None);
    // The first item: TH-002 has no response; question 3 with TH-002 selected.
    keys(&mut app, "<ret>");
    let s = state(&app);
    assert_eq!(s.question, 2);
    let selected = s.respond.selected_threat(&s.derived).expect("a threat");
    assert_eq!(s.session().threats[selected].id.as_str(), "TH-002");
    // The second: the read-back flow has no threat covering I; question 2 on that flow.
    keys(&mut app, "4j<ret>");
    let s = state(&app);
    assert_eq!(s.question, 1);
    assert_eq!(s.threats.row(&s.derived).expect("a row").id, "ledger-read");
    // g and G go to the first and last item; Enter from the first lands on question 3 again.
    keys(&mut app, "4Gg<ret>");
    assert_eq!(state(&app).question, 2);
}

#[test]
fn question4_scrolls_no_further_than_its_last_line() {
    let (_dir, mut app) = webhooks(None);
    let page_down = ratatui::crossterm::event::KeyEvent::new(
        ratatui::crossterm::event::KeyCode::PageDown,
        ratatui::crossterm::event::KeyModifiers::NONE,
    );
    for _ in 0..30 {
        app.handle_key(page_down);
    }
    let text = screen(&app, 80, 24);
    let rows: Vec<&str> = text.lines().collect();
    // The page's last line sits on the last row above the status line, not off screen.
    assert!(rows[21].ends_with("0/2 neither."), "{text}");
    let scrolled = state(&app).review.scroll;
    assert!(scrolled > 0);
    // One key back up moves the view at once: nothing was counted past the end.
    let page_up = ratatui::crossterm::event::KeyEvent::new(
        ratatui::crossterm::event::KeyCode::PageUp,
        ratatui::crossterm::event::KeyModifiers::NONE,
    );
    app.handle_key(page_up);
    assert_eq!(state(&app).review.scroll, scrolled.saturating_sub(19));
    assert_ne!(screen(&app, 80, 24), text);
}

#[test]
fn question4_help_explains_the_attack_path_notation() {
    let (_dir, mut app) = webhooks(None);
    keys(&mut app, "?");
    let text = screen(&app, 120, 40);
    assert!(
        text.contains("Attack paths: a → b: the flow runs from a to b; a ← b: from b to a"),
        "{text}"
    );
    assert!(
        text.contains("go where the selected blocking item is fixed"),
        "{text}"
    );
}

/// TB016 (unknown protection) and TB017 (open threat out of scope) say how to fix them; at the
/// default threshold they do not block.
#[test]
fn unknown_protection_and_out_of_scope_threats_say_where_to_fix_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join(".git")).expect("repo root");
    std::fs::write(
        dir.path().join(".threatboard.toml"),
        "[check]\nfail_on = \"low\"\n",
    )
    .expect("config");
    let text = WEBHOOKS
        .replacen(
            "authenticated = true\nencrypted = true\n",
            "encrypted = true\n",
            1,
        )
        .replacen(
            "kind = \"process\"\nboundary = \"dc\"\n",
            "kind = \"process\"\nboundary = \"dc\"\nout_of_scope = \"the ledger team's model\"\n",
            1,
        );
    let path = dir.path().join("webhooks.toml");
    std::fs::write(&path, text).expect("session");
    let mut app = app_on_file(&path);
    app.use_libraries(test_libraries(""));
    keys(&mut app, "4");
    let items = review::gate_items(state(&app).session(), &state(&app).derived);
    let how = |rule: &str| {
        items
            .iter()
            .find(|i| i.text.contains(rule))
            .map(|i| i.how.clone())
            .unwrap_or_else(|| {
                panic!(
                    "{rule} listed: {:?}",
                    items.iter().map(|i| &i.text).collect::<Vec<_>>()
                )
            })
    };
    assert_eq!(
        how("TB016"),
        "say whether provider-callback is authenticated and encrypted: yes or no (question 1, e)"
    );
    assert_eq!(
        how("TB017"),
        "mark TH-002 not applicable (question 3, S), or bring its element back in scope (question 1)"
    );
    // TH-002's own high risk is not a blocking TB007 while its element is out of scope.
    assert!(!items.iter().any(|i| i.text.contains("TB007")));
}

/// The screen at 80x24 from the page prepared in update, and the same drawn from scratch (the
/// page prepared for another width is not used).
fn prepared_and_from_scratch(app: &mut App) -> (String, String) {
    app.set_viewport((80, 24));
    let prepared = screen(app, 80, 24);
    app.set_viewport((81, 24));
    let fresh = screen(app, 80, 24);
    app.set_viewport((80, 24));
    (prepared, fresh)
}

#[test]
fn question4_drawn_from_its_prepared_page_is_as_drawn_from_scratch_after_any_change() {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let (_dir, mut app) = webhooks(None);
    fn press(app: &mut App, code: KeyCode) {
        app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
    }
    let mut seen = Vec::new();
    // Each step: a selection moved, a page scrolled, an edit elsewhere and its undo, the
    // rules changed (the same revision derived again), the terminal resized.
    let steps: [fn(&mut App); 9] = [
        |_| {},
        |a| keys(a, "j"),
        |a| press(a, KeyCode::PageDown),
        |a| press(a, KeyCode::PageDown),
        |a| keys(a, "1J4"),
        |a| keys(a, "u"),
        |a| keys(a, "1llldy4"),
        |a| {
            let libraries = a.libraries.clone().with_rules(Default::default());
            a.use_libraries(libraries);
        },
        |a| {
            a.set_viewport((120, 40));
            keys(a, "k");
        },
    ];
    for (i, step) in steps.iter().enumerate() {
        step(&mut app);
        if app.modal.is_some() {
            keys(&mut app, "<esc>");
        }
        let (prepared, fresh) = prepared_and_from_scratch(&mut app);
        assert_eq!(prepared, fresh, "after step {i}");
        seen.push(prepared);
    }
    seen.dedup();
    assert!(
        seen.len() >= 4,
        "the steps changed what is shown: {seen:#?}"
    );
}

#[test]
fn the_rows_of_a_page_wrapped_line_by_line_add_up_to_the_whole_pages() {
    let (_dir, app) = webhooks(None);
    let s = state(&app);
    for width in [1, 20, 57, 80, 200] {
        let (lines, by_line, whole) = review::rows_for_test(s, app.today, width);
        assert!(lines > 10, "a page of some length: {lines}");
        assert_eq!(by_line, whole, "at width {width}");
    }
}
