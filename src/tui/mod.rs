//! The facilitator's terminal app. The only layer that knows ratatui and crossterm.
//!
//! Event loop: draw when something changed; wait for an event with a timeout that doubles as the
//! clock tick; route the key to the open modal, then the screen, then the global keymap.

pub mod app;
mod crash;
pub mod diagram;
pub mod keymap;
pub mod screens;
pub mod theme;
pub mod view;
pub mod widgets;

use app::App;
use ratatui::crossterm::event::{
    self, DisableBracketedPaste, EnableBracketedPaste, Event, KeyEventKind,
};
use ratatui::crossterm::execute;
use std::io;
use std::path::Path;
use std::time::Duration;

/// Restores the terminal when dropped: on quit, on error and while unwinding from a panic
/// (ratatui's panic hook restores it too, before the panic message is printed).
pub struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = execute!(io::stdout(), DisableBracketedPaste);
        ratatui::restore();
    }
}

/// Takes over the terminal the way the app runs in it: the panic hook that keeps unsaved work
/// (installed before ratatui's, whose hook restores the terminal and then calls it), the
/// alternate screen in raw mode, and bracketed paste. The guard gives the terminal back.
pub fn init_terminal() -> io::Result<(ratatui::DefaultTerminal, TerminalGuard)> {
    crash::install_panic_hook();
    let terminal = ratatui::init();
    let guard = TerminalGuard;
    execute!(io::stdout(), EnableBracketedPaste)?;
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
        report: String,
        trigger: String,
    },
}

/// Runs the app until the user quits. `library_dirs` are loaded beside the shipped libraries
/// and those in `libraries/` next to the session (`--library-dir`).
pub fn run(launch: Launch<'_>, library_dirs: &[std::path::PathBuf]) -> io::Result<()> {
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
            report,
            trigger,
        } => app.enter_rerun(*loaded, *marked, report, trigger),
    }
    let (mut terminal, _guard) = init_terminal()?;
    let stop = stop_signals();
    let mut last_second = u64::MAX;
    let mut dirty = true;
    while !app.quit {
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            // SIGTERM or SIGHUP (a closed terminal): keep the work, restore the terminal, go.
            app.flush_autosave();
            break;
        }
        app.tick(std::time::Instant::now());
        let second = app.clock().map_or(0, |(elapsed, _)| elapsed.as_secs());
        if dirty || second != last_second {
            terminal.draw(|frame| view::draw(&app, frame))?;
            last_second = second;
            dirty = false;
        }
        if event::poll(Duration::from_millis(250))? {
            match event::read()? {
                Event::Key(key) if key.kind == KeyEventKind::Press => app.handle_key(key),
                Event::Paste(text) => app.handle_paste(&text),
                _ => {}
            }
            dirty = true;
        }
    }
    app.flush_autosave();
    Ok(())
}

/// A flag raised by SIGTERM and SIGHUP.
fn stop_signals() -> std::sync::Arc<std::sync::atomic::AtomicBool> {
    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    #[cfg(unix)]
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP] {
        let _ = signal_hook::flag::register(signal, std::sync::Arc::clone(&flag));
    }
    flag
}

#[cfg(test)]
mod tests;
