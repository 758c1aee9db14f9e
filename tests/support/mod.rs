//! Helpers shared by the integration tests.
//!
//! Each test file that needs them says `mod support;`, which compiles this module into that
//! test crate; helpers a given test does not use are therefore allowed to be dead code.
#![allow(dead_code, unused_imports, unused_macros)]

#[cfg(unix)]
pub mod pty;

#[cfg(unix)]
pub use pty::{DEFAULT_SIZE, DEFAULT_TIMEOUT, Tui};

/// The `threatboard` binary cargo built for these integration tests.
pub fn threatboard_bin() -> &'static std::path::Path {
    std::path::Path::new(env!("CARGO_BIN_EXE_threatboard"))
}

/// Sends keys and waits until the screen shows `expect`; fails with the screen otherwise.
#[cfg(unix)]
pub fn step(tui: &mut Tui, keys: &str, expect: &str) {
    tui.send(keys);
    if let Err(screen) = tui.wait_for(expect, DEFAULT_TIMEOUT) {
        panic!("after {keys:?} expected {expect:?} on screen:\n{screen}");
    }
}

/// Closes the "Start today's run" form a session opens with on a new day: waits for the form
/// first (a key sent before the app reads the terminal would be lost, and the next keys would
/// go into the form), then for it to be gone.
#[cfg(unix)]
pub fn close_run_form(tui: &mut Tui) {
    if let Err(screen) = tui.wait_for("Start today's run", DEFAULT_TIMEOUT) {
        panic!("expected today's run form:\n{screen}");
    }
    tui.send("<esc>");
    let closed = tui.wait_until("the run form closed", DEFAULT_TIMEOUT, |screen| {
        !screen.contains("Start today's run") && screen.contains("1/4 What are we building?")
    });
    if let Err(screen) = closed {
        panic!("after <esc> the run form should close:\n{screen}");
    }
}

/// Sends keys and waits until the screen shows every one of `expect` at once. A frame reaches
/// the terminal in pieces, so checking the rest of a screen right after one needle appeared
/// would race the drawing.
#[cfg(unix)]
pub fn step_all(tui: &mut Tui, keys: &str, expect: &[&str]) -> String {
    tui.send(keys);
    match tui.wait_until(&format!("{expect:?}"), DEFAULT_TIMEOUT, |screen| {
        expect.iter().all(|needle| screen.contains(needle))
    }) {
        Ok(screen) => screen,
        Err(screen) => panic!("after {keys:?} expected all of {expect:?}:\n{screen}"),
    }
}

/// Runs git in `dir` and returns its output; fails the test with git's message otherwise.
pub fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// How many cases a fuzzing property runs: `default` in the regular suite, or
/// THREATBOARD_FUZZ_CASES for long runs, e.g.
/// `THREATBOARD_FUZZ_CASES=100000000 timeout 600 cargo test --release --test <file>`.
pub fn fuzz_cases(default: u32) -> u32 {
    std::env::var("THREATBOARD_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

// The shop the end-to-end tests share, in parts that each test puts together as its session
// needs (`concat!` keeps the result a `&str` constant): a browser on the internet calls the
// orders API in the DMZ, which may query its database there.

/// The session's head and its two zones, the internet and the DMZ.
macro_rules! shop_zones {
    () => {
        "schema = 1\ntitle = \"Shop\"\n\n[[boundaries]]\nid = \"internet\"\nname = \"Internet\"\n\n[[boundaries]]\nid = \"dmz\"\nname = \"DMZ\"\n\n"
    };
}
pub(crate) use shop_zones;

/// The browser on the internet and the orders API in the DMZ, with the API's technology
/// (`""` for none, else a `technology = ...` line).
macro_rules! shop_browser_and_api {
    ($api_technology:literal) => {
        concat!(
            "[[components]]\nid = \"browser\"\nname = \"Browser\"\nkind = \"external-entity\"\nboundary = \"internet\"\n\n",
            "[[components]]\nid = \"api\"\nname = \"Orders API\"\nkind = \"process\"\n",
            $api_technology,
            "boundary = \"dmz\"\n\n",
        )
    };
}
pub(crate) use shop_browser_and_api;

/// The orders database in the DMZ.
macro_rules! shop_db {
    () => {
        "[[components]]\nid = \"db\"\nname = \"Orders DB\"\nkind = \"data-store\"\nboundary = \"dmz\"\n\n"
    };
}
pub(crate) use shop_db;

/// The browser's flow to the API, with its protocol and protection as TOML lines.
macro_rules! shop_browser_flow {
    ($protection:literal) => {
        concat!(
            "[[flows]]\nid = \"browser-api\"\nfrom = \"browser\"\nto = \"api\"\nlabel = \"Orders\"\n",
            $protection,
        )
    };
}
pub(crate) use shop_browser_flow;
