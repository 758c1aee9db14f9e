//! The facilitator's terminal app. The only layer that knows ratatui and crossterm.
//!
//! Event loop: draw when something changed; wait for an event with a timeout that doubles as the
//! clock tick; route the key to the open modal, then the screen, then the global keymap.

pub mod app;
pub mod attendee;
mod crash;
pub mod diagram;
mod draft;
pub mod help;
pub mod keymap;
pub mod modal;
mod recovery;
pub mod screens;
pub mod session;
pub mod share;
pub mod theme;
pub mod view;
pub mod widgets;

use app::App;
pub use app::Rerun;
use ratatui::crossterm::event::{
    self, DisableBracketedPaste, EnableBracketedPaste, Event, KeyEventKind,
};
use ratatui::crossterm::execute;
use std::io;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// Restores the terminal when dropped: on quit, on error and while unwinding from a panic
/// (the panic hook `init_terminal` installs restores it first, before the message is printed).
pub struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Leaves raw mode, the alternate screen and bracketed paste, silently: unlike
/// `ratatui::restore`, which prints its failure, and printing to the dead stderr of a hung-up
/// terminal panics (a panic in a panic hook or a drop aborts).
fn restore_terminal() -> bool {
    let paste = execute!(io::stdout(), DisableBracketedPaste).is_ok();
    paste & ratatui::try_restore().is_ok()
}

/// Takes over the terminal the way the app runs in it: raw mode, the alternate screen and
/// bracketed paste, with a panic hook that first gives the terminal back, then lets the
/// message print and the unsaved work be kept (`crash`). The guard gives the terminal back.
pub fn init_terminal() -> io::Result<(ratatui::DefaultTerminal, TerminalGuard)> {
    crash::install_panic_hook();
    let keep_work = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        keep_work(info);
    }));
    ratatui::crossterm::terminal::enable_raw_mode()?;
    let guard = TerminalGuard;
    execute!(
        io::stdout(),
        ratatui::crossterm::terminal::EnterAlternateScreen,
        EnableBracketedPaste
    )?;
    let terminal = ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(io::stdout()))?;
    Ok((terminal, guard))
}

/// Where the app starts.
pub enum Launch<'a> {
    /// The start screen over a sessions directory.
    Start(&'a Path),
    /// A session file, loaded.
    Open(Box<crate::store::LoadedSession>),
    /// A re-run: the loaded file, the same session with affected threats marked, the diff as
    /// text and the trigger for the run record.
    Rerun {
        loaded: Box<crate::store::LoadedSession>,
        marked: Box<crate::model::Session>,
        rerun: Box<Rerun>,
    },
}

/// How the app ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The user quit.
    Quit,
    /// A signal stopped it (its number), after the unsaved work was written to the autosave;
    /// the process should exit with 128 + that number, as a shell reports such an end.
    Signal(i32),
}

/// How the app runs besides where it starts.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Share the session from launch on this address (`--share`); the share key uses it too.
    pub share: Option<String>,
}

/// Runs the app until the user quits or a signal stops it. `library_dirs` are loaded beside
/// the shipped libraries and those in `libraries/` next to the session (`--library-dir`).
pub fn run(launch: Launch<'_>, library_dirs: &[std::path::PathBuf]) -> io::Result<Ended> {
    run_with(launch, library_dirs, RunOptions::default())
}

/// [`run`] with options: sharing from launch.
pub fn run_with(
    launch: Launch<'_>,
    library_dirs: &[std::path::PathBuf],
    options: RunOptions,
) -> io::Result<Ended> {
    let theme = theme::Theme::from_env();
    let today = chrono::Local::now().date_naive();
    let dir = match &launch {
        Launch::Start(dir) => dir,
        _ => Path::new("sessions"),
    };
    let mut app = App::start(dir, theme, today);
    app.take_lock = true;
    app.library_dirs = library_dirs.to_vec();
    match launch {
        Launch::Start(_) => {}
        Launch::Open(loaded) => app.enter_session(*loaded),
        Launch::Rerun {
            loaded,
            marked,
            rerun,
        } => app.enter_rerun(*loaded, *marked, *rerun),
    }
    app.share_addr = options.share.clone();
    if let Some(addr) = &options.share
        && app.session().is_some()
    {
        app.start_sharing(addr);
    }
    let (mut terminal, _guard) = init_terminal()?;
    let stop = stop_signals();
    let finished = Arc::new(AtomicBool::new(false));
    spawn_stop_watchdog(Arc::clone(&stop), Arc::clone(&finished), STOP_GRACE);
    let result = event_loop(&mut app, &mut terminal, &stop);
    // On quit, a signal, or a terminal error alike: attendees are told, the work is kept.
    if let Some(sharing) = app.share.take() {
        sharing.stop();
    }
    app.flush_autosave();
    finished.store(true, Ordering::SeqCst);
    if !restore_terminal() {
        // The terminal is gone (hung up). Dropping `terminal` would try to show the cursor and
        // print the failure to that terminal, which panics; there is nothing left to restore.
        std::mem::forget(terminal);
    }
    // A hung-up terminal may fail a draw before the loop sees its SIGHUP: the signal is still
    // what ended the app.
    match stop.load(Ordering::SeqCst) {
        0 => result.map(|()| Ended::Quit),
        signal => Ok(Ended::Signal(i32::try_from(signal).unwrap_or(0))),
    }
}

fn event_loop(
    app: &mut App,
    terminal: &mut ratatui::DefaultTerminal,
    stop: &AtomicUsize,
) -> io::Result<()> {
    let mut last_second = u64::MAX;
    let mut dirty = true;
    while !app.quit {
        if stop.load(Ordering::Relaxed) != 0 {
            // A stop signal (SIGTERM, SIGHUP from a closed terminal, SIGINT, SIGQUIT): the
            // caller keeps the work; the guard restores the terminal.
            break;
        }
        let now = std::time::Instant::now();
        app.tick(now);
        // The network's news and the round's clock: never waits.
        if app.share_tick(now) {
            dirty = true;
        }
        if let Ok(size) = terminal.size() {
            app.set_viewport((size.width, size.height));
        }
        let second = app.clock().map_or(0, |(elapsed, _, _)| elapsed.as_secs());
        if dirty || second != last_second {
            terminal.draw(|frame| view::draw(app, frame))?;
            last_second = second;
            dirty = false;
        }
        // While sharing, attendees' news shows within a tenth of a second.
        let wait = if app.share.is_some() { 100 } else { 250 };
        if event::poll(Duration::from_millis(wait))? {
            match event::read()? {
                Event::Key(key) if key.kind == KeyEventKind::Press => app.handle_key(key),
                Event::Paste(text) => app.handle_paste(&text),
                _ => {}
            }
            dirty = true;
        }
    }
    Ok(())
}

/// How long the event loop has to act on SIGTERM or SIGHUP before the watchdog does.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// The signal that asked the app to stop (0 while none has): SIGTERM, SIGHUP (a closed
/// terminal), and SIGINT and SIGQUIT sent from outside (in raw mode Ctrl-C and Ctrl-\ are
/// keys, not signals). Each ends the app the same way: the work is written to the autosave,
/// the lock released, the terminal restored, and the exit status is 128 + the signal.
fn stop_signals() -> Arc<AtomicUsize> {
    let flag = Arc::new(AtomicUsize::new(0));
    #[cfg(unix)]
    for signal in [
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGQUIT,
    ] {
        if let Ok(number) = usize::try_from(signal) {
            let _ = signal_hook::flag::register_usize(signal, Arc::clone(&flag), number);
        }
    }
    flag
}

/// When the terminal goes away (a closed window, a dropped SSH connection), crossterm's event
/// reader keeps reading end-of-file and never returns, so the event loop cannot see the SIGHUP.
/// This thread waits for the stop flag; if the loop has not finished `grace` later, it writes
/// the unsaved work to the autosave file itself and ends the process (the lock file it leaves
/// names a dead process, which the next open takes over).
///
/// This is the one `process::exit` outside `main`: the main thread is the one that is stuck, so
/// it cannot return the decision to `main`.
fn spawn_stop_watchdog(stop: Arc<AtomicUsize>, finished: Arc<AtomicBool>, grace: Duration) {
    let spawned = std::thread::Builder::new()
        .name("stop-watchdog".into())
        .spawn(move || {
            if stuck_after_stop(&stop, &finished, grace, &mut std::thread::sleep) {
                let _ = crash::write_pending();
                let signal = i32::try_from(stop.load(Ordering::SeqCst)).unwrap_or(0);
                std::process::exit(128 + signal);
            }
        });
    // Without the thread the app still runs; only a hung-up terminal would leave it spinning.
    drop(spawned);
}

/// Waits until the loop finishes (`false`) or the stop flag has been up for `grace` without
/// the loop finishing (`true`). `sleep` is `std::thread::sleep` but for tests, which pass one
/// that changes the flags instead of waiting.
fn stuck_after_stop(
    stop: &AtomicUsize,
    finished: &AtomicBool,
    grace: Duration,
    sleep: &mut dyn FnMut(Duration),
) -> bool {
    const POLL: Duration = Duration::from_millis(50);
    loop {
        if finished.load(Ordering::SeqCst) {
            return false;
        }
        if stop.load(Ordering::SeqCst) != 0 {
            break;
        }
        sleep(POLL);
    }
    let deadline = std::time::Instant::now() + grace;
    while std::time::Instant::now() < deadline {
        if finished.load(Ordering::SeqCst) {
            return false;
        }
        sleep(POLL);
    }
    !finished.load(Ordering::SeqCst)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod watchdog_tests {
    use super::*;

    /// Long enough that only the loop finishing, never the clock, can end a wait here.
    const FOREVER: Duration = Duration::from_secs(3600);

    /// A `sleep` that never waits: it counts its calls, runs `on_call` with the call's number
    /// and fails the test past `limit` calls, so a watchdog that keeps waiting fails at once
    /// instead of hanging.
    fn fake_sleep(limit: usize, mut on_call: impl FnMut(usize)) -> impl FnMut(Duration) {
        let mut calls = 0;
        move |_| {
            calls += 1;
            assert!(calls <= limit, "still waiting after {limit} polls");
            on_call(calls);
        }
    }

    #[test]
    fn a_loop_already_finished_is_left_alone_without_waiting() {
        let stop = AtomicUsize::new(15);
        let finished = AtomicBool::new(true);
        let mut sleep = fake_sleep(0, |_| {});
        assert!(!stuck_after_stop(&stop, &finished, FOREVER, &mut sleep));
    }

    #[test]
    fn a_loop_that_finishes_during_the_grace_period_is_left_alone() {
        let stop = AtomicUsize::new(15);
        let finished = AtomicBool::new(false);
        let mut polls = 0;
        let mut sleep = fake_sleep(10, |n| {
            polls = n;
            // The loop finishes while the watchdog is in its grace period.
            if n == 3 {
                finished.store(true, Ordering::SeqCst);
            }
        });
        assert!(!stuck_after_stop(&stop, &finished, FOREVER, &mut sleep));
        drop(sleep);
        assert_eq!(
            polls, 3,
            "it returns at the first poll after the loop finished"
        );
    }

    #[test]
    fn a_loop_that_never_finishes_is_stuck_after_the_grace_period() {
        let stop = AtomicUsize::new(1);
        let finished = AtomicBool::new(false);
        // A tiny grace, polled by a sleep that does not wait.
        let mut sleep = fake_sleep(usize::MAX, |_| {});
        assert!(stuck_after_stop(
            &stop,
            &finished,
            Duration::from_millis(1),
            &mut sleep
        ));
    }

    #[test]
    fn without_a_stop_signal_it_waits_for_the_loop() {
        let stop = AtomicUsize::new(0);
        let finished = AtomicBool::new(false);
        let mut polls = 0;
        // No grace at all: only the missing signal keeps it from calling the loop stuck.
        let mut sleep = fake_sleep(10, |n| {
            polls = n;
            if n == 5 {
                finished.store(true, Ordering::SeqCst);
            }
        });
        assert!(!stuck_after_stop(
            &stop,
            &finished,
            Duration::ZERO,
            &mut sleep
        ));
        drop(sleep);
        assert_eq!(polls, 5);
    }

    #[test]
    fn a_signal_arriving_later_starts_the_grace_period() {
        let stop = AtomicUsize::new(0);
        let finished = AtomicBool::new(false);
        let mut sleep = fake_sleep(10, |n| {
            if n == 2 {
                stop.store(1, Ordering::SeqCst);
            }
        });
        assert!(stuck_after_stop(
            &stop,
            &finished,
            Duration::ZERO,
            &mut sleep
        ));
    }
}
