//! Tests of the pseudo-terminal harness itself (tests/support/pty.rs), driving small shell
//! scripts rather than the TUI; the last one runs `threatboard --help` through it.
#![cfg(unix)]

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use support::pty::{encode_key, encode_keys};
use support::{DEFAULT_SIZE, DEFAULT_TIMEOUT, Tui};

/// Runs `script` with /bin/sh in a pty of `size` (cols, rows).
fn sh(script: &str, size: (u16, u16)) -> Tui {
    sh_env(script, size, &[])
}

fn sh_env(script: &str, size: (u16, u16), env: &[(&str, &str)]) -> Tui {
    Tui::spawn(
        Path::new("/bin/sh"),
        &["-c", script],
        &std::env::temp_dir(),
        size,
        env,
    )
    .expect("spawn /bin/sh in a pty")
}

/// Hex of `bytes`, two digits a byte, no separators: what `od -An -tx1 | tr -d ' \n'` prints.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A script that puts the terminal in raw mode, says READY, reads exactly `n` bytes of input
/// and prints them as hex after `bytes:`.
fn byte_dump_script(n: usize) -> String {
    format!(
        "stty raw -echo; printf 'READY\\r\\n'; \
         x=$(head -c {n} | od -An -tx1 -v | tr -d ' \\n'); stty sane; \
         echo \"bytes:$x.\""
    )
}

#[test]
fn screen_title_line_input_and_exit_code() {
    let mut tui = sh(
        r#"printf '\033]0;hello; title\007hello'; read x; echo "got $x"; exit 3"#,
        (40, 6),
    );
    let screen = tui.wait_for("hello", DEFAULT_TIMEOUT).expect("greeting");
    assert_eq!(
        screen.split('\n').count(),
        6,
        "one line per row: {screen:?}"
    );
    assert_eq!(screen.lines().next(), Some("hello"));
    assert_eq!(tui.title(), "hello; title");

    tui.send("world<ret>");
    tui.wait_for("got world", DEFAULT_TIMEOUT)
        .expect("the shell read the line");
    assert_eq!(tui.wait_exit(DEFAULT_TIMEOUT), Some(3));
    assert!(!tui.is_running());
    let screen = tui.screen();
    assert!(screen.starts_with("helloworld\ngot world"), "{screen}");
    assert!(
        tui.raw_output().windows(7).any(|w| w == b"\x1b]0;hel"),
        "raw output keeps the OSC"
    );
}

#[test]
fn keys_arrive_encoded_as_documented() {
    let keys = "a<ret><bs><esc><tab><S-tab><up><down><right><left><home><end><del><pgup><pgdn>\
                <space><F1><F5><C-s><A-x><C-left><lt>é";
    let expected: &[&[u8]] = &[
        b"a",
        b"\r",
        b"\x7f",
        b"\x1b",
        b"\t",
        b"\x1b[Z",
        b"\x1b[A",
        b"\x1b[B",
        b"\x1b[C",
        b"\x1b[D",
        b"\x1b[H",
        b"\x1b[F",
        b"\x1b[3~",
        b"\x1b[5~",
        b"\x1b[6~",
        b" ",
        b"\x1bOP",
        b"\x1b[15~",
        b"\x13",
        b"\x1bx",
        b"\x1b[1;5D",
        b"<",
        "é".as_bytes(),
    ];
    let expected = expected.concat();

    let mut tui = sh(&byte_dump_script(expected.len()), (200, 5));
    tui.wait_for("READY", DEFAULT_TIMEOUT).expect("raw mode");
    tui.send(keys);
    let screen = tui
        .wait_for("bytes:", DEFAULT_TIMEOUT)
        .expect("the script dumped the bytes");
    assert!(
        screen.contains(&format!("bytes:{}.", hex(&expected))),
        "expected {}\n{screen}",
        hex(&expected)
    );
    assert_eq!(tui.wait_exit(DEFAULT_TIMEOUT), Some(0));
}

#[test]
fn control_keys_through_cat_v() {
    let mut tui = sh("stty raw -echo; printf 'READY\\r\\n'; exec cat -v", (40, 5));
    tui.wait_for("READY", DEFAULT_TIMEOUT).expect("raw mode");
    tui.send("<C-a><C-s>x<esc>y<A-b><ret>");
    tui.wait_for("^A^Sx^[y^[b^M", DEFAULT_TIMEOUT)
        .expect("cat -v shows the control bytes");
    tui.send("<C-d>"); // raw mode: a plain byte to cat, not end of file
    tui.wait_for("^D", DEFAULT_TIMEOUT).expect("^D echoed");
    tui.kill();
    assert_eq!(tui.wait_exit(DEFAULT_TIMEOUT), Some(137));
}

#[test]
fn paste_is_bracketed() {
    let expected = b"\x1b[200~h\xc3\xa9\nx\x1b[201~";
    let mut tui = sh(&byte_dump_script(expected.len()), (120, 5));
    tui.wait_for("READY", DEFAULT_TIMEOUT).expect("raw mode");
    tui.paste("hé\nx");
    tui.wait_for(&format!("bytes:{}.", hex(expected)), DEFAULT_TIMEOUT)
        .expect("pasted bytes");
}

#[test]
fn answers_cursor_position_and_device_attribute_queries() {
    // 6 bytes of cursor report (ESC[1;4R) then 7 of device attributes (ESC[?1;2c).
    let mut tui = sh(
        "stty raw -echo; printf 'abc\\033[6n\\033[c'; \
         x=$(head -c 13 | od -An -tx1 -v | tr -d ' \\n'); stty sane; echo; echo \"reply:$x.\"",
        (80, 5),
    );
    let expected = hex(b"\x1b[1;4R\x1b[?1;2c");
    tui.wait_for(&format!("reply:{expected}."), DEFAULT_TIMEOUT)
        .expect("the harness answered both queries");
    assert_eq!(tui.wait_exit(DEFAULT_TIMEOUT), Some(0));
}

#[test]
fn resize_reaches_the_program_and_the_model() {
    let mut tui = sh("stty size; read x; stty size; read y", (40, 10));
    tui.wait_for("10 40", DEFAULT_TIMEOUT)
        .expect("initial size");
    assert_eq!(tui.size(), (40, 10));

    tui.resize(60, 20);
    assert_eq!(tui.size(), (60, 20));
    assert_eq!(tui.screen().split('\n').count(), 20);
    tui.send("<ret>");
    tui.wait_for("20 60", DEFAULT_TIMEOUT)
        .expect("the program sees the new size");
    tui.send("<ret>");
    assert_eq!(tui.wait_exit(DEFAULT_TIMEOUT), Some(0));
}

#[test]
fn cursor_and_stable_screen() {
    let mut tui = sh("printf 'ab\\ncd'; exec sleep 10", (20, 4));
    // wait_stable alone could return before the shell has even started: wait for content first.
    tui.wait_for("cd", DEFAULT_TIMEOUT).expect("output");
    let screen = tui.wait_stable(Duration::from_millis(100), DEFAULT_TIMEOUT);
    assert_eq!(screen, "ab\ncd\n\n");
    assert_eq!(tui.cursor(), (2, 1), "(col, row)");
    tui.kill();
}

#[test]
fn wait_for_times_out_with_the_last_screen() {
    let tui = sh("echo present; exec sleep 10", (40, 4));
    tui.wait_for("present", DEFAULT_TIMEOUT).expect("output");
    let started = Instant::now();
    let err = tui
        .wait_for("absent", Duration::from_millis(300))
        .expect_err("never shown");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(err.contains("timed out"), "{err}");
    assert!(err.contains("\"absent\""), "{err}");
    assert!(err.contains("│present"), "{err}");
    // Dropping the Tui kills the sleeping shell.
}

#[test]
fn wait_for_fails_fast_once_the_program_closed_the_terminal() {
    let mut tui = sh("echo present", (40, 4));
    let started = Instant::now();
    let err = tui
        .wait_for("absent", DEFAULT_TIMEOUT)
        .expect_err("never shown");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(err.contains("closed the terminal"), "{err}");
    assert!(err.contains("present"), "{err}");
    assert_eq!(tui.wait_exit(DEFAULT_TIMEOUT), Some(0));
}

#[test]
fn wait_exit_kills_on_timeout() {
    let mut tui = sh("exec sleep 30", (40, 4));
    let started = Instant::now();
    assert_eq!(tui.wait_exit(Duration::from_millis(200)), None);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(!tui.is_running());
    assert_eq!(tui.wait_exit(DEFAULT_TIMEOUT), Some(137), "SIGKILLed");
}

#[test]
fn kill_is_sigkill_even_when_signals_are_trapped() {
    let mut tui = sh(
        "trap '' HUP INT TERM; echo ready; while :; do sleep 0.1; done",
        (40, 4),
    );
    tui.wait_for("ready", DEFAULT_TIMEOUT).expect("trap set");
    tui.kill();
    assert!(!tui.is_running());
    assert_eq!(tui.wait_exit(DEFAULT_TIMEOUT), Some(137));
}

#[test]
fn terminal_state_and_raw_output() {
    let mut tui = sh(
        "printf '\\033[?1049h\\033[?25lin alt'; read x; printf '\\033[?25h\\033[?1049l'",
        (40, 4),
    );
    tui.wait_for("in alt", DEFAULT_TIMEOUT).expect("alt screen");
    assert!(tui.alternate_screen());
    assert!(tui.cursor_hidden());
    tui.send("<ret>");
    assert_eq!(tui.wait_exit(DEFAULT_TIMEOUT), Some(0));
    assert!(!tui.alternate_screen());
    assert!(!tui.cursor_hidden());
    let raw = tui.raw_output();
    assert!(raw.ends_with(b"\x1b[?25h\x1b[?1049l"), "{raw:?}");
}

#[test]
fn environment_and_working_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = r#"printf 'term=%s nc=%s foo=%s\n' "$TERM" "${NO_COLOR-unset}" "$FOO"; pwd -P"#;
    let mut tui = Tui::spawn(
        Path::new("/bin/sh"),
        &["-c", script],
        dir.path(),
        (100, 5),
        &[("FOO", "bar")],
    )
    .expect("spawn");
    assert_eq!(tui.wait_exit(DEFAULT_TIMEOUT), Some(0));
    let screen = tui.screen();
    assert!(
        screen.contains("term=xterm-256color nc=unset foo=bar"),
        "{screen}"
    );
    let cwd = dir.path().canonicalize().expect("canonical temp dir");
    assert!(screen.contains(&cwd.display().to_string()), "{screen}");

    let mut tui = sh_env(
        r#"printf 'nc=%s\n' "${NO_COLOR-unset}""#,
        (40, 4),
        &[("NO_COLOR", "1")],
    );
    assert_eq!(tui.wait_exit(DEFAULT_TIMEOUT), Some(0));
    assert!(tui.screen().contains("nc=1"));
}

#[test]
fn spawn_reports_errors() {
    let err = Tui::spawn(
        Path::new("/nonexistent/program"),
        &[],
        &std::env::temp_dir(),
        (40, 4),
        &[],
    )
    .err()
    .expect("cannot spawn a missing program");
    assert!(err.contains("/nonexistent/program"), "{err}");

    let err = Tui::spawn(
        Path::new("/bin/sh"),
        &[],
        &std::env::temp_dir(),
        (0, 4),
        &[],
    )
    .err()
    .expect("a 0-column terminal is refused");
    assert!(err.contains("cols"), "{err}");
}

#[test]
fn key_notation() {
    let cases: &[(&str, &[u8])] = &[
        ("<C-s>", b"\x13"),
        ("<C-S>", b"\x13"),
        ("<C-space>", b"\x00"),
        ("<C-]>", b"\x1d"),
        ("<A-ret>", b"\x1b\r"),
        ("<A-tab>", b"\x1b\t"),
        ("<S-a>", b"A"),
        ("<C-A-x>", b"\x1b\x18"),
        ("<S-up>", b"\x1b[1;2A"),
        ("<A-S-right>", b"\x1b[1;4C"),
        ("<C-del>", b"\x1b[3;5~"),
        ("<S-F1>", b"\x1b[1;2P"),
        ("<F12>", b"\x1b[24~"),
        ("<ENTER>", b"\r"),
        ("<backtab>", b"\x1b[Z"),
        ("<gt>", b">"),
        ("<minus>", b"-"),
    ];
    for (keys, bytes) in cases {
        assert_eq!(
            encode_keys(keys).expect(keys).concat(),
            bytes.to_vec(),
            "{keys}"
        );
    }

    // A '<' that does not open a key name is text.
    assert_eq!(encode_keys("a < b").expect("text"), vec![b"a < b".to_vec()]);
    assert_eq!(encode_keys("<>").expect("text"), vec![b"<>".to_vec()]);
    assert_eq!(
        encode_keys("<<up>").expect("text"),
        vec![b"<\x1b[A".to_vec()]
    );
    // A batch ends after each lone ESC, so that crossterm sees the Esc key.
    assert_eq!(
        encode_keys("ab<esc>c<esc>").expect("keys"),
        vec![b"ab\x1b".to_vec(), b"c\x1b".to_vec()]
    );
    assert_eq!(
        encode_keys("<A-x>y").expect("keys"),
        vec![b"\x1bxy".to_vec()]
    );

    for bad in ["nope", "C-1", "C-ret", "C-S-a", "S-1", "C-", "C-tab"] {
        let err = encode_key(bad).expect_err(bad);
        assert!(err.contains(bad), "{err}");
    }
    assert!(encode_keys("x<foo>").is_err());
}

#[test]
fn threatboard_help_runs_in_the_pty() {
    let mut tui = Tui::spawn(
        Path::new(env!("CARGO_BIN_EXE_threatboard")),
        &["--help"],
        Path::new(env!("CARGO_MANIFEST_DIR")),
        DEFAULT_SIZE,
        &[],
    )
    .expect("spawn threatboard");
    assert_eq!(tui.wait_exit(DEFAULT_TIMEOUT), Some(0));
    let screen = tui.screen();
    assert!(screen.contains("Usage"), "{screen}");
}
