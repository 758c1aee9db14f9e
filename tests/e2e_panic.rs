//! A panic while the app runs gives the terminal back, writes the unsaved session to its
//! autosave file and says where that is; reopening offers to recover it.
//!
//! Nothing in the program panics on purpose, so this test binary plays the app: run again by
//! the test inside a pseudo-terminal, it takes the terminal over with `tui::init_terminal` (as
//! the app does), opens a session, types an edit through the app's key handling, draws, and
//! panics.
#![cfg(unix)]

mod support;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::Path;
use support::{DEFAULT_TIMEOUT, Tui, step, threatboard_bin};
use threatboard::store;
use threatboard::tui::app::App;
use threatboard::tui::theme::Theme;

/// Set in the child run: the session file it opens.
const CHILD: &str = "THREATBOARD_TEST_PANIC_SESSION";
const SESSION: &str = "schema = 1\ntitle = \"Checkout\"\n";

fn press(app: &mut App, code: KeyCode) {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
}

/// The child: the app in a real terminal, with an unsaved component, then a panic.
fn play_the_app_and_panic(session: &Path) {
    let loaded = store::load(session).expect("session loads");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
    let mut app = App::open(loaded, Theme::plain(), today);
    let (mut terminal, _guard) = threatboard::tui::init_terminal().expect("terminal");
    press(&mut app, KeyCode::Esc);
    // Edits kept as edits since the crash copy (not copies of the session): three added,
    // the last undone, then redone, then undone again; the crash replays them.
    for name in ["Payments API", "Ledger", "Webhooks"] {
        press(&mut app, KeyCode::Char('a'));
        for c in name.chars() {
            press(&mut app, KeyCode::Char(c));
        }
        press(&mut app, KeyCode::Enter);
    }
    press(&mut app, KeyCode::Char('u'));
    app.handle_key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL));
    press(&mut app, KeyCode::Char('u'));
    terminal
        .draw(|frame| threatboard::tui::view::draw(&app, frame))
        .expect("draws");
    assert!(app.is_dirty());
    panic!("an internal error, on purpose");
}

#[test]
fn a_panic_restores_the_terminal_and_keeps_the_unsaved_work() {
    if let Ok(session) = std::env::var(CHILD) {
        play_the_app_and_panic(Path::new(&session));
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let session = dir.path().join("checkout.toml");
    std::fs::write(&session, SESSION).expect("write session");
    let this_test = "a_panic_restores_the_terminal_and_keeps_the_unsaved_work";
    let me = std::env::current_exe().expect("test binary");
    let session_text = session.to_str().expect("utf-8 path");
    let mut child = Tui::spawn(
        &me,
        &["--exact", this_test, "--nocapture", "--test-threads=1"],
        dir.path(),
        (100, 30),
        &[(CHILD, session_text)],
    )
    .expect("spawns");
    let screen = child
        .wait_for("reopen", DEFAULT_TIMEOUT)
        .unwrap_or_else(|s| panic!("no recovery message:\n{s}"));
    assert_eq!(
        child.wait_exit(DEFAULT_TIMEOUT),
        Some(101),
        "the test run failed"
    );
    let autosave = dir.path().join(".checkout.toml.autosave");
    // The message names the autosave file and the session (the screen may wrap long paths, so
    // compare without line breaks).
    let flat = screen.replace('\n', "");
    assert!(
        flat.contains(&format!("Your unsaved work is in {}", autosave.display())),
        "{screen}"
    );
    assert!(
        flat.contains("an internal error, on purpose"),
        "the panic message is shown too:\n{screen}"
    );
    assert!(!child.alternate_screen(), "back on the normal screen");
    assert!(!child.cursor_hidden(), "the cursor is shown again");

    // The file itself is untouched; the autosave holds the edit.
    assert_eq!(std::fs::read_to_string(&session).expect("read"), SESSION);
    let kept = std::fs::read_to_string(&autosave).expect("autosave written");
    assert!(kept.contains("name = \"Payments API\""), "{kept}");
    assert!(kept.contains("name = \"Ledger\""), "{kept}");
    assert!(!kept.contains("Webhooks"), "undone: {kept}");

    // Reopening in the real program offers the recovery, and taking it brings the edit back.
    let mut tui = Tui::spawn(
        threatboard_bin(),
        &["open", "checkout.toml"],
        dir.path(),
        (100, 30),
        &[("USER", "tester")],
    )
    .expect("spawns threatboard");
    tui.wait_for("Recover", DEFAULT_TIMEOUT)
        .unwrap_or_else(|s| panic!("no recovery offered:\n{s}"));
    step(&mut tui, "r", "recovered");
    step(&mut tui, "<esc>", "Payments API");
    tui.kill();
}
