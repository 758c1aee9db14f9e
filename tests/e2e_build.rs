//! End to end in a pseudo-terminal: the real binary, keys in, the screen and the written TOML
//! checked. A newcomer's first session: create it, record the run, build a small model on
//! question 1, look at the diagram, save, quit, reopen.
#![cfg(unix)]

mod support;

use std::time::Duration;
use support::{DEFAULT_TIMEOUT, Tui, close_run_form, step, step_all, threatboard_bin};

/// `threatboard new Payments` in a 120x40 pseudo-terminal.
fn new_payments(dir: &std::path::Path) -> Tui {
    Tui::spawn(
        threatboard_bin(),
        &["new", "Payments", "--dir", "sessions"],
        dir,
        (120, 40),
        &[("USER", "tester")],
    )
    .expect("spawns")
}

#[test]
fn build_a_model_by_keys_save_quit_and_reopen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut tui = new_payments(dir.path());
    tui.wait_for("Start today's run", DEFAULT_TIMEOUT)
        .expect("asks for today's run");
    step(&mut tui, "<tab><C-u>Dana<tab>Ana, Bo<ret>", "run recorded");

    // Two boundaries.
    step(&mut tui, "hh", "[Boundaries (0)]");
    step(&mut tui, "aInternet<ret>", "boundary added");
    step(&mut tui, "aCloud<ret>", "Boundaries (2)");

    // Three components: a browser on the internet, an API and its database in the cloud.
    step(&mut tui, "ll", "[Components (0)]");
    step(
        &mut tui,
        // Kind external-entity, technology browser (the first word), boundary Internet.
        "aBrowser<tab><tab><right><right><tab><right><tab><right><ret>",
        "Components (1)",
    );
    // A new component starts as the previous one: kind back to process, no technology, the
    // next boundary (Cloud).
    step(
        &mut tui,
        "aPayments API<tab><tab><right><tab><left><tab><right><ret>",
        "Components (2)",
    );
    // As the API, but a data store.
    step(
        &mut tui,
        "aLedger DB<tab><tab><right><ret>",
        "Components (3)",
    );

    // Two flows.
    step(&mut tui, "l", "[Flows (0)]");
    step(
        &mut tui,
        "aPayment request<tab><tab><tab><tab>HTTPS<tab><space><tab><space><ret>",
        "Flows (1)",
    );
    // "! yes": the browser flow crosses a boundary. The second flow takes the first one's
    // protocol, authentication and encryption.
    step_all(
        &mut tui,
        "aLedger write<tab><tab><right><tab><right><ret>",
        &[
            "Flows (2)",
            "browser → payments-api",
            "Payment request",
            "! yes",
        ],
    );

    // The diagram shows the boxes inside their boundaries and the crossing.
    step_all(
        &mut tui,
        "l",
        &["Flows crossing a trust boundary: 1", "Cloud", "Ledger DB"],
    );

    step(&mut tui, "<C-s>", "saved sessions/payments.toml");
    tui.send("q");
    assert_eq!(tui.wait_exit(DEFAULT_TIMEOUT), Some(0));
    assert!(!tui.alternate_screen(), "the terminal is restored");
    assert!(!tui.cursor_hidden(), "the cursor is shown again");

    let text = std::fs::read_to_string(dir.path().join("sessions/payments.toml")).expect("saved");
    let expected_parts = [
        "title = \"Payments\"",
        "facilitator = \"Dana\"\nattendees = [\"Ana\", \"Bo\"]\ntrigger = \"initial\"",
        "[[boundaries]]\nid = \"cloud\"\nname = \"Cloud\"",
        "[[boundaries]]\nid = \"internet\"\nname = \"Internet\"",
        "[[components]]\nid = \"browser\"\nname = \"Browser\"\nkind = \"external-entity\"\ntechnology = \"browser\"\nboundary = \"internet\"",
        "[[components]]\nid = \"ledger-db\"\nname = \"Ledger DB\"\nkind = \"data-store\"\nboundary = \"cloud\"",
        "[[components]]\nid = \"payments-api\"\nname = \"Payments API\"\nkind = \"process\"\nboundary = \"cloud\"",
        "[[flows]]\nid = \"browser-payments-api\"\nfrom = \"browser\"\nto = \"payments-api\"\nlabel = \"Payment request\"\nprotocol = \"HTTPS\"\nauthenticated = true\nencrypted = true",
        "[[flows]]\nid = \"payments-api-ledger-db\"\nfrom = \"payments-api\"\nto = \"ledger-db\"\nlabel = \"Ledger write\"\nprotocol = \"HTTPS\"\nauthenticated = true\nencrypted = true",
    ];
    for part in expected_parts {
        assert!(text.contains(part), "missing {part:?} in:\n{text}");
    }

    // Reopen: everything is there, and no new run is asked for today.
    let mut again = Tui::spawn(
        threatboard_bin(),
        &["open", "sessions/payments.toml"],
        dir.path(),
        (120, 40),
        &[],
    )
    .expect("spawns");
    again
        .wait_for("Components (3)", DEFAULT_TIMEOUT)
        .expect("reopened");
    let screen = again.wait_stable(Duration::from_millis(200), DEFAULT_TIMEOUT);
    assert!(!screen.contains("Start today's run"), "{screen}");
    assert!(
        screen.contains("Ledger DB") && screen.contains("✓ saved"),
        "{screen}"
    );
    again.send("q");
    assert_eq!(again.wait_exit(DEFAULT_TIMEOUT), Some(0));
}

#[test]
fn hostile_session_content_cannot_touch_the_terminal() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("sessions")).expect("dir");
    std::fs::write(
        dir.path().join("sessions/evil.toml"),
        "schema = 1\ntitle = \"Evil \\u001b]0;pwned\\u0007 \\u001b[2J\"\n[[runs]]\ndate = 2000-01-01\n[[components]]\nid = \"x\"\nname = \"\\u001b[31mred\\u202e 日本\"\nkind = \"process\"\n",
    )
    .expect("write");
    let mut tui = Tui::spawn(
        threatboard_bin(),
        &["open", "sessions/evil.toml"],
        dir.path(),
        (80, 24),
        &[],
    )
    .expect("spawns");
    tui.wait_for("Start today's run", DEFAULT_TIMEOUT)
        .expect("opens");
    tui.send("<esc>");
    let screen = tui
        .wait_for("\\e]0;pwned", DEFAULT_TIMEOUT)
        .expect("title shown escaped");
    assert!(screen.contains("\\e[31mred"), "{screen}");
    assert_eq!(tui.title(), "", "the window title was not changed");
    tui.send("q");
    assert_eq!(tui.wait_exit(DEFAULT_TIMEOUT), Some(0));
    let raw = tui.raw_output();
    assert!(
        !raw.windows(6).any(|w| w == b"\x1b]0;pw"),
        "a raw OSC from the file reached the terminal"
    );
    assert!(
        !raw.contains(&0x07),
        "a raw BEL from the file reached the terminal"
    );
}

/// 10,000 components whose names carry a bell, a backspace, NUL and a bidi override, one name
/// and one note of 100 KB: every screen draws them escaped and inside the terminal, and none of
/// those bytes reaches the terminal raw.
#[test]
fn a_huge_hostile_session_renders_escaped_on_every_screen() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("sessions")).expect("dir");
    let mut toml = String::from("schema = 1\ntitle = \"Huge\"\n[[runs]]\ndate = 2000-01-01\n");
    let long = "x".repeat(100 * 1024);
    toml.push_str(&format!(
        "[[components]]\nid = \"a-long\"\nname = \"Long {long}\"\nkind = \"process\"\nnotes = \"{long}\"\n"
    ));
    for i in 0..10_000 {
        toml.push_str(&format!(
            "[[components]]\nid = \"c{i:05}\"\nname = \"Bell\\u0007 back\\b nul\\u0000 bidi\\u202e {i}\"\nkind = \"data-store\"\n"
        ));
    }
    toml.push_str(
        "[[flows]]\nid = \"f\"\nfrom = \"a-long\"\nto = \"c00000\"\nlabel = \"Query\\u0007\"\n",
    );
    toml.push_str(
        "[[threats]]\nid = \"t\"\ntarget = \"a-long\"\ntitle = \"Bidi\\u202e threat\\b\"\n",
    );
    std::fs::write(dir.path().join("sessions/huge.toml"), toml).expect("write");

    let (cols, rows) = (100, 30);
    let mut tui = Tui::spawn(
        threatboard_bin(),
        &["open", "sessions/huge.toml"],
        dir.path(),
        (cols, rows),
        &[],
    )
    .expect("spawns");
    tui.wait_for("Start today's run", DEFAULT_TIMEOUT)
        .expect("opens");
    let mut screens = Vec::new();
    screens.push(step_all(
        &mut tui,
        "<esc>",
        // Escaped and cut with an ellipsis wherever the column ends.
        &["Components (10001)", "c00000", "Bell\\u{7} back\\u{8}", "…"],
    ));
    // Names too long for their column are cut with an ellipsis.
    assert!(
        screens[0]
            .lines()
            .any(|l| l.contains("Long xxxxxxxxxxx") && l.contains("xx…")),
        "{}",
        screens[0]
    );
    screens.push(step_all(
        &mut tui,
        "2",
        &["2/4 What can go wrong?", "Bidi\\u{202e} thr"],
    ));
    screens.push(step_all(
        &mut tui,
        "3",
        &["3/4 What are we going to do about it?"],
    ));
    screens.push(step_all(&mut tui, "4", &["4/4 Did we do a good job?"]));
    for screen in &screens {
        assert_eq!(screen.lines().count(), usize::from(rows), "{screen}");
        for line in screen.lines() {
            assert!(
                unicode_width::UnicodeWidthStr::width(line) <= usize::from(cols),
                "{line}"
            );
        }
    }
    assert_eq!(tui.title(), "", "the window title was not changed");
    tui.send("q");
    assert_eq!(tui.wait_exit(DEFAULT_TIMEOUT), Some(0));
    let raw = tui.raw_output();
    for (bytes, what) in [
        (&b"\x07"[..], "BEL"),
        (&b"\x08"[..], "backspace"),
        (&b"\x00"[..], "NUL"),
        ("\u{202e}".as_bytes(), "bidi override"),
    ] {
        assert!(
            !raw.windows(bytes.len()).any(|w| w == bytes),
            "a raw {what} from the file reached the terminal"
        );
    }
}

/// Shift-Tab reaches the app as BackTab with SHIFT (`ESC [ Z`): it goes to the previous
/// question, from the diagram too, and ← there goes back to the lists.
#[test]
fn shift_tab_goes_to_the_previous_question() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut tui = new_payments(dir.path());
    close_run_form(&mut tui);
    step(&mut tui, "<S-tab>", "4/4 Did we do a good job?");
    step(&mut tui, "<S-tab>", "3/4 What are we going to do about it?");
    step(&mut tui, "1ll", "[Diagram]");
    step(&mut tui, "<S-tab>", "4/4 Did we do a good job?");
    step(&mut tui, "1<left>", "[Flows (0)]");
    tui.send("q");
    assert_eq!(tui.wait_exit(DEFAULT_TIMEOUT), Some(0));
}
