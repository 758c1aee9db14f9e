//! The attendee app's run loop: the one place that owns the connection. It joins, polls every
//! tick (so messages show within [`POLL`](super::POLL)), sends the ideas the app queued, keeps
//! the connection alive, and when it is lost, joins again every [`RETRY`] with the same name
//! and code on a helper thread, so the screen never waits on the network.

use super::{AttendeeApp, Connection};
use crate::library::LibrarySet;
use crate::share::{Client, HostMsg, JoinError};
use crate::tui::Ended;
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::{Duration, Instant};

/// How long the first join waits for the facilitator's app.
const JOIN_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a lost connection is tried again, and how long each try waits.
pub const RETRY: Duration = Duration::from_secs(2);

/// Where to join and as whom.
#[derive(Debug, Clone)]
pub struct JoinArgs {
    pub addr: String,
    pub code: String,
    pub name: String,
}

/// Why the app could not run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The first join failed: refused (wrong code, name in use), unreachable, no answer.
    #[error(transparent)]
    Join(#[from] JoinError),
    #[error("terminal: {0}")]
    Terminal(#[from] io::Error),
}

/// Joins and runs the attendee app until the user quits or a signal stops it.
pub fn run(args: &JoinArgs, libraries: LibrarySet) -> Result<Ended, RunError> {
    // Before taking the terminal, so a refusal is printed on a normal screen.
    let client = Client::join(&args.addr, &args.code, &args.name, JOIN_TIMEOUT)?;
    let theme = crate::tui::theme::Theme::from_env();
    let mut app = AttendeeApp::new(&args.name, libraries, theme, Instant::now());
    let (mut terminal, _guard) = crate::tui::init_terminal()?;
    let stop = crate::tui::stop_signals();
    // A hung-up terminal can keep the event loop from seeing the signal: the facilitator's
    // watchdog ends the process then (an attendee has no work of their own to save).
    let finished = Arc::new(AtomicBool::new(false));
    crate::tui::spawn_stop_watchdog(
        Arc::clone(&stop),
        Arc::clone(&finished),
        crate::tui::STOP_GRACE,
    );
    let mut link = Link {
        client: Some(client),
        rejoin: None,
        next_try: Instant::now(),
    };
    let result = event_loop(&mut app, &mut terminal, &mut link, args, &stop);
    if let Some(client) = link.client.take() {
        client.leave();
    }
    finished.store(true, Ordering::SeqCst);
    match stop.load(Ordering::SeqCst) {
        0 => result.map(|()| Ended::Quit).map_err(RunError::Terminal),
        signal => Ok(Ended::Signal(i32::try_from(signal).unwrap_or(0))),
    }
}

/// The connection, or the attempt to get it back.
struct Link {
    client: Option<Client>,
    rejoin: Option<Receiver<Result<Client, JoinError>>>,
    next_try: Instant,
}

impl Link {
    /// Reads what the host sent, sends what the app queued; notices a lost connection.
    fn exchange(&mut self, app: &mut AttendeeApp, args: &JoinArgs, now: Instant) -> bool {
        let mut changed = false;
        if let Some(client) = self.client.as_mut() {
            let messages = client.poll();
            let refused = messages
                .iter()
                .any(|m| matches!(m, HostMsg::Refused { .. } | HostMsg::Dropped { .. }));
            changed |= !messages.is_empty();
            for msg in messages {
                app.on_message(msg);
            }
            let mut lost = refused || !client.is_connected();
            if app.connection == Connection::Ended {
                if let Some(client) = self.client.take() {
                    client.leave();
                }
                return true;
            }
            if !lost {
                for idea in app.take_outgoing() {
                    changed = true;
                    match client.send_idea(idea) {
                        Ok(client_ref) => app.confirm_sent(client_ref),
                        Err(_) => {
                            lost = true;
                            break;
                        }
                    }
                }
                client.keep_alive();
            }
            if lost {
                app.connection_lost(None);
                self.client = None;
                self.next_try = now + RETRY;
                changed = true;
            }
            return changed;
        }
        if app.connection == Connection::Ended {
            return false;
        }
        if let Some(rejoin) = &self.rejoin {
            match rejoin.try_recv() {
                // The welcome, the first message, marks the app connected.
                Ok(Ok(client)) => {
                    self.client = Some(client);
                    self.rejoin = None;
                }
                Ok(Err(e)) => {
                    app.connection_lost(Some(e.to_string()));
                    self.rejoin = None;
                    changed = true;
                }
                Err(TryRecvError::Disconnected) => self.rejoin = None,
                Err(TryRecvError::Empty) => {}
            }
        } else if now >= self.next_try {
            self.next_try = now + RETRY;
            let (tx, rx) = mpsc::channel();
            let args = args.clone();
            let spawned = std::thread::Builder::new()
                .name("rejoin".into())
                .spawn(move || {
                    let _ = tx.send(Client::join(&args.addr, &args.code, &args.name, RETRY));
                });
            if spawned.is_ok() {
                self.rejoin = Some(rx);
            }
        }
        changed
    }
}

fn event_loop(
    app: &mut AttendeeApp,
    terminal: &mut ratatui::DefaultTerminal,
    link: &mut Link,
    args: &JoinArgs,
    stop: &std::sync::atomic::AtomicUsize,
) -> io::Result<()> {
    let mut dirty = true;
    let mut last_left = None;
    while !app.quit {
        if stop.load(Ordering::Relaxed) != 0 {
            break;
        }
        let now = Instant::now();
        app.tick(now);
        dirty |= link.exchange(app, args, now);
        // The countdown redraws once a second.
        let left = app.round_remaining();
        if dirty || left != last_left {
            terminal.draw(|frame| super::view::draw(app, frame))?;
            dirty = false;
            last_left = left;
        }
        if event::poll(super::POLL)? {
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
