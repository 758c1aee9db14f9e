//! Data safety of the real binary in a pseudo-terminal: recovering after a crash keeps newer
//! changes on disk, text typed into an open form survives a signal or a closed terminal, a
//! crashed run's work is kept until someone decides, symlinked sessions, a directory that
//! cannot be written, and every stop signal.
#![cfg(unix)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use support::{DEFAULT_TIMEOUT, Tui, step, step_all, threatboard_bin};

const LEDGER: &str = r#"schema = 1
title = "Ledger"

[[components]]
id = "api"
name = "Ledger API"
kind = "process"

[[components]]
id = "db"
name = "Ledger DB"
kind = "data-store"

[[flows]]
id = "writes"
from = "api"
to = "db"
label = "Writes"

[[threats]]
id = "TH-004"
target = "api"
title = "Replayed transfer request"
stride = "S"

[[threats]]
id = "TH-009"
target = "db"
title = "Ledger rows altered"
stride = "T"
"#;

fn ledger(dir: &Path) -> PathBuf {
    let sessions = dir.join("sessions");
    std::fs::create_dir_all(&sessions).expect("mkdir");
    let path = sessions.join("ledger.toml");
    std::fs::write(&path, LEDGER).expect("write");
    path
}

fn open(dir: &Path, file: &str) -> Tui {
    Tui::spawn(
        threatboard_bin(),
        &["open", file],
        dir,
        (120, 40),
        &[
            ("USER", "tester"),
            ("HOME", &dir.to_string_lossy()),
            ("XDG_STATE_HOME", &dir.join("state").to_string_lossy()),
        ],
    )
    .expect("spawns threatboard")
}

/// Opens the ledger and dismisses today's run form.
fn open_ledger(dir: &Path) -> Tui {
    let mut tui = open(dir, "sessions/ledger.toml");
    tui.wait_for("Start today's run", DEFAULT_TIMEOUT)
        .expect("opens");
    step(&mut tui, "<esc>", "no run recorded");
    tui
}

fn autosave_of(dir: &Path) -> PathBuf {
    dir.join("sessions/.ledger.toml.autosave")
}

/// Waits until `path` holds `needle` (autosaves come within a second of a change).
fn wait_file(path: &Path, needle: &str) -> String {
    let deadline = std::time::Instant::now() + DEFAULT_TIMEOUT;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.contains(needle) || std::time::Instant::now() > deadline {
            return text;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn signal(tui: &Tui, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &tui.pid().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

/// Kill -9 mid-edit, then a pull changes another threat in the file; recovering must keep both.
#[test]
fn recovering_after_a_crash_keeps_changes_that_reached_the_file_since() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = ledger(dir.path());
    let mut tui = open_ledger(dir.path());
    // Question 1, components: rename the database (unsaved).
    step(&mut tui, "j", "Ledger DB");
    step(&mut tui, "e<C-u>Ledger store<ret>", "Ledger store");
    let saved = wait_file(&autosave_of(dir.path()), "Ledger store");
    assert!(saved.contains("Ledger store"), "{saved}");
    tui.kill();
    assert_eq!(tui.wait_exit(DEFAULT_TIMEOUT), Some(137));

    // As `git pull` would: another threat changed in the file.
    let pulled = LEDGER.replace(
        "Replayed transfer request",
        "Replayed transfer request (signed)",
    );
    std::fs::write(&path, &pulled).expect("write");

    let mut again = open(dir.path(), "sessions/ledger.toml");
    again
        .wait_for("Recover unsaved work?", DEFAULT_TIMEOUT)
        .expect("offers recovery");
    step(&mut again, "r", "recovered");
    step(&mut again, "<esc><C-s>", "saved");
    again.send("q");
    assert_eq!(again.wait_exit(DEFAULT_TIMEOUT), Some(0));
    let file = std::fs::read_to_string(&path).expect("read");
    assert!(file.contains("name = \"Ledger store\""), "the work: {file}");
    assert!(
        file.contains("Replayed transfer request (signed)"),
        "the pulled change is kept: {file}"
    );
}

/// Both the crashed work and the pull changed the same component: the dialog names it.
#[test]
fn a_recovery_conflict_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = ledger(dir.path());
    let mut tui = open_ledger(dir.path());
    step(&mut tui, "j", "Ledger DB");
    step(&mut tui, "e<C-u>Mine<ret>", "Mine");
    wait_file(&autosave_of(dir.path()), "Mine");
    tui.kill();
    tui.wait_exit(DEFAULT_TIMEOUT);
    std::fs::write(&path, LEDGER.replace("Ledger DB", "Theirs")).expect("write");
    let mut again = open(dir.path(), "sessions/ledger.toml");
    // A frame arrives in pieces: wait for the whole dialog, whose lines may wrap anywhere.
    let flat = |screen: &str| screen.split_whitespace().collect::<Vec<_>>().join(" ");
    let named = again.wait_until("the conflict named", DEFAULT_TIMEOUT, |screen| {
        screen.contains("Recover unsaved work?") && flat(screen).contains("component db")
    });
    assert!(named.is_ok(), "{named:?}");
    step(&mut again, "r", "both changed component db");
    again.kill();
}

/// Text typed into the acceptance form, never submitted, survives SIGTERM and comes back.
#[test]
fn an_unsubmitted_form_survives_sigterm_and_reopens() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = ledger(dir.path());
    let mut tui = open_ledger(dir.path());
    step(&mut tui, "3", "3/4");
    step(&mut tui, "x", "Justification");
    tui.send("Compensating control: nightly reconciliation");
    tui.wait_for("nightly reconciliation", DEFAULT_TIMEOUT)
        .expect("typed");
    signal(&tui, "TERM");
    let code = tui.wait_exit(DEFAULT_TIMEOUT);
    let kept = std::fs::read_to_string(autosave_of(dir.path())).unwrap_or_default();
    assert!(kept.contains("nightly reconciliation"), "{kept}");
    assert_eq!(code, Some(143));
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        LEDGER,
        "the file itself is untouched"
    );

    let mut again = open(dir.path(), "sessions/ledger.toml");
    // A frame arrives in pieces: wait for all of it.
    step_all(
        &mut again,
        "",
        &["Recover unsaved work?", "An unsubmitted form"],
    );
    // Back with its text, on question 3 where it belongs.
    step_all(
        &mut again,
        "r",
        &["Accept", "Justification", "nightly reconciliation", "3/4"],
    );
    again.kill();
}

/// The retrospective typed when the terminal closes is kept too.
#[test]
fn an_unsubmitted_form_survives_a_closed_terminal() {
    let dir = tempfile::tempdir().expect("temp dir");
    ledger(dir.path());
    let mut tui = open_ledger(dir.path());
    step(&mut tui, "4", "4/4");
    step(&mut tui, "e", "Went well");
    tui.send("The DFD took five minutes");
    tui.wait_for("five minutes", DEFAULT_TIMEOUT)
        .expect("typed");
    tui.hang_up();
    let code = tui.wait_exit(Duration::from_secs(15));
    let kept = std::fs::read_to_string(autosave_of(dir.path())).unwrap_or_default();
    assert!(kept.contains("The DFD took five minutes"), "{kept}");
    assert_eq!(code, Some(129));
    let mut again = open(dir.path(), "sessions/ledger.toml");
    step(&mut again, "", "An unsubmitted form");
    step(&mut again, "r", "The DFD took five minutes");
    again.kill();
}

/// "Decide later" keeps the crashed run's work through the next run's edits, undo and save.
#[test]
fn work_kept_for_later_survives_the_next_runs_edits_and_saves() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = ledger(dir.path());
    let mut tui = open_ledger(dir.path());
    step(&mut tui, "j", "Ledger DB");
    step(&mut tui, "e<C-u>Crashed edit<ret>", "Crashed edit");
    wait_file(&autosave_of(dir.path()), "Crashed edit");
    tui.kill();
    tui.wait_exit(DEFAULT_TIMEOUT);

    let mut next = open(dir.path(), "sessions/ledger.toml");
    next.wait_for("Recover unsaved work?", DEFAULT_TIMEOUT)
        .expect("offers recovery");
    step(&mut next, "<esc>", "kept for later");
    // Today's run form follows the question; Escape leaves it.
    next.send("<esc>");
    // An edit (autosaved), its undo (back to the file: the run's own autosave goes), an edit
    // and a save.
    step(&mut next, "e<C-u>Other<ret>", "Other");
    wait_file(&autosave_of(dir.path()), "Other");
    step(&mut next, "u", "undone");
    std::thread::sleep(Duration::from_millis(1200));
    step(&mut next, "e<C-u>Saved edit<ret>", "Saved edit");
    step(&mut next, "<C-s>", "saved");
    next.send("q");
    assert_eq!(next.wait_exit(DEFAULT_TIMEOUT), Some(0));
    assert!(
        std::fs::read_to_string(&path)
            .expect("read")
            .contains("Saved edit")
    );

    let mut third = open(dir.path(), "sessions/ledger.toml");
    // The kept work is offered again.
    step_all(&mut third, "", &["Recover unsaved work?", "component"]);
    step(&mut third, "r", "recovered");
    step(&mut third, "<esc>", "Crashed edit");
    third.kill();
}

/// A session opened through a symlink: one lock for both names, and a save writes through.
#[test]
fn a_symlinked_session_shares_its_lock_and_saves_through_the_link() {
    let dir = tempfile::tempdir().expect("temp dir");
    let real = ledger(dir.path());
    let link = dir.path().join("sessions/link.toml");
    std::os::unix::fs::symlink("ledger.toml", &link).expect("symlink");

    let mut first = open(dir.path(), "sessions/link.toml");
    first
        .wait_for("Start today's run", DEFAULT_TIMEOUT)
        .expect("opens");
    let mut second = open(dir.path(), "sessions/ledger.toml");
    assert_eq!(second.wait_exit(DEFAULT_TIMEOUT), Some(2));
    assert!(
        second.screen().contains("open elsewhere"),
        "{}",
        second.screen()
    );

    step(&mut first, "<esc>j", "Ledger DB");
    step(
        &mut first,
        "e<C-u>Through the link<ret>",
        "Through the link",
    );
    step(&mut first, "<C-s>", "saved");
    first.send("q");
    assert_eq!(first.wait_exit(DEFAULT_TIMEOUT), Some(0));
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("link")
            .file_type()
            .is_symlink(),
        "the link is still a link"
    );
    assert!(
        std::fs::read_to_string(&real)
            .expect("read")
            .contains("Through the link"),
        "the real file got the edit"
    );
}

/// Makes `dir` unwritable, even for root (tests run as root in CI): `chattr +i` where the
/// file system allows it, else plain permissions. Returns a guard that undoes it.
struct ReadOnlyDir(PathBuf);

impl ReadOnlyDir {
    fn new(dir: &Path) -> Self {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).expect("chmod");
        let probe = dir.join(".probe");
        if std::fs::write(&probe, "x").is_ok() {
            let _ = std::fs::remove_file(&probe);
            let status = Command::new("chattr").arg("+i").arg(dir).status();
            assert!(
                status.is_ok_and(|s| s.success()),
                "cannot make {} read-only here (root without chattr)",
                dir.display()
            );
        }
        assert!(
            std::fs::write(&probe, "x").is_err(),
            "{} is still writable",
            dir.display()
        );
        ReadOnlyDir(dir.to_path_buf())
    }
}

impl Drop for ReadOnlyDir {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
        let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o755));
    }
}

/// A writable file in a read-only directory: the save says why it failed and offers save-as.
#[test]
fn a_read_only_directory_says_why_and_offers_save_as() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = ledger(dir.path());
    let _readonly = ReadOnlyDir::new(&dir.path().join("sessions"));
    let mut tui = open_ledger(dir.path());
    step(&mut tui, "j", "Ledger DB");
    step(&mut tui, "e<C-u>Unsaveable here<ret>", "Unsaveable here");
    step_all(
        &mut tui,
        "<C-s>",
        &["Save as", "cannot write in", "renames it over"],
    );
    let elsewhere = dir.path().join("elsewhere.toml");
    tui.send("<C-u>");
    tui.paste(&elsewhere.to_string_lossy());
    step(&mut tui, "<ret>", "saved as");
    tui.send("q");
    assert_eq!(tui.wait_exit(DEFAULT_TIMEOUT), Some(0), "nothing unsaved");
    assert!(
        std::fs::read_to_string(&elsewhere)
            .expect("saved elsewhere")
            .contains("Unsaveable here")
    );
    assert_eq!(std::fs::read_to_string(&path).expect("read"), LEDGER);
}

/// In a read-only directory the autosave goes to the user's state directory, and reopening
/// finds it there.
#[test]
fn a_read_only_directory_keeps_the_autosave_in_the_state_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = ledger(dir.path());
    let readonly = ReadOnlyDir::new(&dir.path().join("sessions"));
    let mut tui = open_ledger(dir.path());
    step(&mut tui, "j", "Ledger DB");
    step(
        &mut tui,
        "e<C-u>Typed in a read-only checkout<ret>",
        "read-only checkout",
    );
    let state = dir.path().join("state/threatboard/autosave");
    let deadline = std::time::Instant::now() + DEFAULT_TIMEOUT;
    let kept = loop {
        let found: Vec<PathBuf> = std::fs::read_dir(&state)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .map(|e| e.path())
                    // Not the temporary file an atomic write renames into place.
                    .filter(|p| p.extension().is_some_and(|x| x == "autosave"))
                    .collect()
            })
            .unwrap_or_default();
        let text = found
            .first()
            .map(|p| std::fs::read_to_string(p).unwrap_or_default())
            .unwrap_or_default();
        if text.contains("read-only checkout") || std::time::Instant::now() > deadline {
            break (found, text);
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(kept.1.contains("read-only checkout"), "{kept:?}");
    assert!(
        kept.0[0]
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("ledger.toml.")),
        "{kept:?}"
    );
    tui.kill();
    tui.wait_exit(DEFAULT_TIMEOUT);
    let mut again = open(dir.path(), "sessions/ledger.toml");
    again
        .wait_for("Recover unsaved work?", DEFAULT_TIMEOUT)
        .expect("the autosave in the state directory is offered");
    step(&mut again, "r", "recovered");
    step(&mut again, "<esc>", "Typed in a read-only");
    again.kill();
    drop(readonly);
    assert_eq!(std::fs::read_to_string(&path).expect("read"), LEDGER);
}

/// SIGINT and SIGQUIT sent from outside end the app like SIGTERM: work kept, lock released,
/// terminal restored, exit 128 + signal.
#[test]
fn sigint_and_sigquit_keep_the_work_and_release_the_lock() {
    for (name, code) in [("INT", 130), ("QUIT", 131)] {
        let dir = tempfile::tempdir().expect("temp dir");
        ledger(dir.path());
        let mut tui = open_ledger(dir.path());
        step(&mut tui, "j", "Ledger DB");
        step(
            &mut tui,
            "e<C-u>Before the signal<ret>",
            "Before the signal",
        );
        signal(&tui, name);
        let exit = tui.wait_exit(DEFAULT_TIMEOUT);
        let kept = std::fs::read_to_string(autosave_of(dir.path())).unwrap_or_default();
        assert!(kept.contains("Before the signal"), "SIG{name}: {kept}");
        assert_eq!(exit, Some(code), "SIG{name}");
        assert!(
            !tui.alternate_screen() && !tui.cursor_hidden(),
            "terminal restored after SIG{name}"
        );
        assert!(
            !dir.path().join("sessions/.ledger.toml.lock").exists(),
            "SIG{name} released the lock"
        );
    }
}
