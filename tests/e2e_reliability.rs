//! Nothing typed is lost: the real binary is killed mid-session and reopened; a second instance
//! is turned away; SIGTERM keeps the work and restores the terminal; so does a hung-up terminal.
#![cfg(unix)]

mod support;

use std::process::Command;
use std::time::Duration;
use support::{DEFAULT_TIMEOUT, Tui, close_run_form, step, threatboard_bin};

fn new_session(dir: &std::path::Path) {
    let out = Command::new(threatboard_bin())
        .args(["new", "Ledger", "--dir", "sessions", "--no-open"])
        .current_dir(dir)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
}

/// The app on sessions/ledger.toml in a pseudo-terminal of `size`.
fn open_ledger(dir: &std::path::Path, size: (u16, u16)) -> Tui {
    Tui::spawn(
        threatboard_bin(),
        &["open", "sessions/ledger.toml"],
        dir,
        size,
        &[("USER", "tester")],
    )
    .expect("spawns threatboard")
}

/// Waits until the autosave holds `needle` (it is written within a second of a change).
fn wait_autosave(path: &std::path::Path, needle: &str) -> String {
    let deadline = std::time::Instant::now() + DEFAULT_TIMEOUT;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.contains(needle) || std::time::Instant::now() > deadline {
            return text;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_killed_session_is_recovered_on_reopen() {
    let dir = tempfile::tempdir().expect("temp dir");
    new_session(dir.path());
    let mut tui = open_ledger(dir.path(), (120, 40));
    tui.wait_for("Start today's run", DEFAULT_TIMEOUT)
        .expect("opens");
    step(&mut tui, "<tab><C-u>Dana<ret>", "run recorded");
    step(&mut tui, "hhaCore<ret>", "boundary added");
    step(
        &mut tui,
        "llaLedger API<tab><tab><tab><tab><right><ret>",
        "Components (1)",
    );
    step(
        &mut tui,
        "aLedger DB<tab><tab><right><ret>",
        "Components (2)",
    );
    step(&mut tui, "laWrites<ret>", "Flows (1)");
    let autosave = dir.path().join("sessions/.ledger.toml.autosave");
    let journal = wait_autosave(&autosave, "Writes");
    assert!(
        journal.contains("label = \"Writes\""),
        "autosave holds the last edit:\n{journal}"
    );
    assert!(dir.path().join("sessions/.ledger.toml.lock").exists());
    tui.kill();
    assert_eq!(tui.wait_exit(DEFAULT_TIMEOUT), Some(137));
    // The file itself was never saved.
    let file = std::fs::read_to_string(dir.path().join("sessions/ledger.toml")).expect("file");
    assert!(!file.contains("Ledger API"));

    // Reopening (the stale lock of the killed process is taken over) offers the recovery.
    let mut again = open_ledger(dir.path(), (120, 40));
    let screen = again
        .wait_for("Recover unsaved work?", DEFAULT_TIMEOUT)
        .expect("offers recovery");
    assert!(screen.contains("+2 components"), "{screen}");
    step(&mut again, "r", "recovered");
    step(&mut again, "<C-s>", "saved sessions/ledger.toml");
    again.send("q");
    assert_eq!(again.wait_exit(DEFAULT_TIMEOUT), Some(0));
    let file = std::fs::read_to_string(dir.path().join("sessions/ledger.toml")).expect("file");
    for part in [
        "facilitator = \"Dana\"",
        "id = \"core\"",
        "name = \"Ledger API\"",
        "name = \"Ledger DB\"",
        "label = \"Writes\"",
    ] {
        assert!(file.contains(part), "missing {part:?}:\n{file}");
    }
    assert!(!autosave.exists(), "a clean save removes the autosave");
    assert!(
        !dir.path().join("sessions/.ledger.toml.lock").exists(),
        "quitting releases the lock"
    );
}

#[test]
fn a_second_instance_is_told_the_file_is_open() {
    let dir = tempfile::tempdir().expect("temp dir");
    new_session(dir.path());
    let mut first = open_ledger(dir.path(), (100, 30));
    first
        .wait_for("Start today's run", DEFAULT_TIMEOUT)
        .expect("opens");
    let mut second = open_ledger(dir.path(), (100, 30));
    assert_eq!(second.wait_exit(DEFAULT_TIMEOUT), Some(2));
    let screen = second.screen();
    assert!(screen.contains("open elsewhere (process"), "{screen}");
    first.send("<esc>q");
    assert_eq!(first.wait_exit(DEFAULT_TIMEOUT), Some(0));
}

/// Adds components until one is on screen but not yet in the autosave, and returns its name.
/// The periodic autosave (half a second after a change) must not be what keeps the edit: a
/// test stopping the program then would pass without the stop path writing anything. Should
/// the periodic write come first, which only a slow machine allows, the next one is tried.
fn an_edit_not_yet_autosaved(tui: &mut Tui, autosave: &std::path::Path) -> String {
    for n in 1..=5 {
        let name = format!("Part {n}");
        step(tui, &format!("a{name}<ret>"), &format!("Components ({n})"));
        let kept = std::fs::read_to_string(autosave).unwrap_or_default();
        if !kept.contains(&format!("name = \"{name}\"")) {
            return name;
        }
    }
    panic!("the periodic autosave kept every edit before the test could stop the program");
}

#[test]
fn sigterm_keeps_the_work_and_restores_the_terminal() {
    let dir = tempfile::tempdir().expect("temp dir");
    new_session(dir.path());
    let mut tui = open_ledger(dir.path(), (100, 30));
    close_run_form(&mut tui);
    let autosave = dir.path().join("sessions/.ledger.toml.autosave");
    let name = an_edit_not_yet_autosaved(&mut tui, &autosave);
    let status = Command::new("kill")
        .args(["-TERM", &tui.pid().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let code = tui.wait_exit(DEFAULT_TIMEOUT);
    // Not in the autosave when the signal was sent: only the stop path can have written it.
    let kept = std::fs::read_to_string(&autosave).unwrap_or_default();
    assert!(
        kept.contains(&format!("name = \"{name}\"")),
        "the autosave lacks {name:?}: {kept:?}"
    );
    // The program handled the signal and exited (a death by SIGTERM would read as 143 too),
    // with 128 + SIGTERM, as a shell reports a process a signal ended.
    assert_eq!(tui.killed_by(), None, "SIGTERM killed the program");
    assert_eq!(code, Some(143));
    assert!(
        !tui.alternate_screen() && !tui.cursor_hidden(),
        "terminal restored"
    );
}

/// A closed terminal window: the program gets SIGHUP and its terminal reads end of file
/// (crossterm then never returns from its event reader). The unsaved edit must reach the
/// autosave and the program must end, not spin; reopening recovers the edit.
#[test]
fn a_hung_up_terminal_keeps_the_work_and_ends_the_program() {
    let dir = tempfile::tempdir().expect("temp dir");
    new_session(dir.path());
    let mut tui = open_ledger(dir.path(), (100, 30));
    close_run_form(&mut tui);
    let autosave = dir.path().join("sessions/.ledger.toml.autosave");
    let name = an_edit_not_yet_autosaved(&mut tui, &autosave);
    tui.hang_up();
    let code = tui.wait_exit(Duration::from_secs(15));
    let kept = std::fs::read_to_string(&autosave).unwrap_or_default();
    assert!(
        kept.contains(&format!("name = \"{name}\"")),
        "the autosave lacks {name:?}: {kept:?}"
    );
    // 128 + SIGHUP from the program itself, whichever way it noticed: its loop saw the
    // signal, a draw to the closed terminal failed, or the watchdog had to end it. Not a
    // death by SIGHUP (also 129 here), a crash (134, an abort), a clean 0, or a timeout.
    assert_eq!(tui.killed_by(), None, "SIGHUP killed the program");
    assert_eq!(code, Some(129), "the program ends after the hang-up");

    let mut again = open_ledger(dir.path(), (100, 30));
    step(&mut again, "", "Recover unsaved work?");
    step(&mut again, "r", "recovered");
    again.kill();
}
