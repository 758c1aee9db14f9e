//! The facilitator's side of a share while 20 attendees send ideas: what the app's thread pays
//! per frame for `Host::poll` and for `Host::publish_model` of the largest example session.
//! Both only touch channels and a short-held lock, so they stay far below a frame whatever the
//! network does.
//!
//! And what the facilitator feels (issue 16's target: under 20 ms): a key pressed in question
//! 2, the network events drained and the next frame drawn, while the 20 attendees keep sending;
//! and the same for accepting an idea from the inbox and undoing it (edits, statuses sent back,
//! the new model published).
//!
//! Run with `cargo bench --bench share`.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;
use std::time::Instant;
use threatboard::model::Session;
use threatboard::share::{Client, Host, HostEvent, IdeaDraft, Limits, shared_model};
use threatboard::store;
use threatboard::tui::app::App;
use threatboard::tui::theme::Theme;
use threatboard::tui::view;

const ATTENDEES: usize = 20;

fn main() {
    divan::main();
}

/// The largest example session, as the app holds it.
fn largest_example_loaded() -> store::LoadedSession {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sessions");
    let path = std::fs::read_dir(&dir)
        .expect("sessions/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .max_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .expect("at least one example session");
    // Unsaved, at a path with no `libraries/` beside it: the shipped libraries only.
    store::LoadedSession::unsaved(
        store::load(&path).expect("loads").session,
        std::env::temp_dir().join("threatboard-bench.toml"),
    )
}

fn largest_example() -> Session {
    largest_example_loaded().session
}

/// A share of the largest example with 20 attendees each sending an idea every 150 ms (within
/// the default rate) until dropped.
struct BusyShare {
    host: Host,
    model: Session,
    running: Arc<AtomicBool>,
    attendees: Vec<thread::JoinHandle<()>>,
}

/// Twenty attendee threads joining `addr` with `code`, each sending an idea on `element` every
/// 150 ms (within the default rate) until `running` turns false or it is dropped.
fn attendees(
    addr: &str,
    code: &str,
    element: &str,
    running: &Arc<AtomicBool>,
) -> Vec<thread::JoinHandle<()>> {
    (0..ATTENDEES)
        .map(|i| {
            let addr = addr.to_string();
            let code = code.to_string();
            let running = Arc::clone(running);
            let element = element.to_string();
            thread::spawn(move || {
                let name = format!("attendee {i}");
                let Some(mut client) = (0..5)
                    .find_map(|_| Client::join(&addr, &code, &name, Duration::from_secs(10)).ok())
                else {
                    eprintln!("{name} could not join");
                    return;
                };
                let mut n = 0;
                while running.load(Ordering::SeqCst) && client.is_connected() {
                    n += 1;
                    let _ = client.send_idea(IdeaDraft {
                        element: element.clone(),
                        statement: format!("{} {n} by attendee {i}", WORDS[n % WORDS.len()]),
                        stride: threatboard::model::StrideSet::parse("T"),
                        refs: Vec::new(),
                        likelihood: None,
                        impact: None,
                    });
                    let _ = client.poll();
                    client.keep_alive();
                    thread::sleep(Duration::from_millis(150));
                }
                client.leave();
            })
        })
        .collect()
}

/// Statements that differ enough not to be grouped as near-duplicates.
const WORDS: [&str; 6] = [
    "tampered request bodies",
    "replayed session tokens",
    "forged callbacks",
    "exhausted worker pool",
    "leaked stack traces",
    "escalated admin role",
];

impl BusyShare {
    fn start() -> BusyShare {
        let model = shared_model(&largest_example());
        let element = model
            .components
            .first()
            .map(|c| c.id.as_str().to_string())
            .expect("the example has a component");
        let host = Host::start("127.0.0.1:0", model.clone(), Limits::default()).expect("starts");
        let running = Arc::new(AtomicBool::new(true));
        let attendees = attendees(
            &host.local_addr().to_string(),
            &host.code().to_string(),
            &element,
            &running,
        );
        let mut host = host;
        let mut joined = 0;
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while joined < ATTENDEES && std::time::Instant::now() < deadline {
            joined += host
                .poll()
                .iter()
                .filter(|e| matches!(e, HostEvent::Joined { .. }))
                .count();
            thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(
            joined, ATTENDEES,
            "every attendee joins before the measurement"
        );
        BusyShare {
            host,
            model,
            running,
            attendees,
        }
    }

    fn stop(self) {
        self.running.store(false, Ordering::SeqCst);
        for attendee in self.attendees {
            let _ = attendee.join();
        }
        self.host.stop();
    }
}

/// One frame's network work on the app's thread: draining the host's events.
#[divan::bench]
fn poll_while_20_attendees_send_ideas(bencher: divan::Bencher) {
    let mut share = BusyShare::start();
    bencher.bench_local(|| share.host.poll());
    share.stop();
}

/// An edit's network work on the app's thread: handing the model to the hub.
#[divan::bench]
fn publish_model_while_20_attendees_send_ideas(bencher: divan::Bencher) {
    let share = BusyShare::start();
    bencher.bench_local(|| share.host.publish_model(share.model.clone()));
    share.stop();
}

/// The facilitator's app on the largest example, sharing, in question 2 on the element the 20
/// attendees write about (its inbox filling), with the attendee threads running.
struct BusyApp {
    app: App,
    terminal: Terminal<TestBackend>,
    running: Arc<AtomicBool>,
    attendees: Vec<thread::JoinHandle<()>>,
}

impl BusyApp {
    fn start() -> BusyApp {
        let loaded = largest_example_loaded();
        let today = loaded
            .session
            .runs
            .iter()
            .map(|r| r.date)
            .max()
            .expect("the example has a run");
        // Opened on the day of its last run, so no run form opens.
        let mut app = App::open(loaded, Theme::plain(), today);
        app.start_sharing("127.0.0.1:0");
        app.handle_key(key(KeyCode::Esc)); // the join dialog
        let (addr, code) = {
            let sharing = app.share.as_ref().expect("sharing started");
            (sharing.addr.clone(), sharing.code.clone())
        };
        app.handle_key(key(KeyCode::Char('2')));
        let element = app
            .session()
            .and_then(|s| s.session().components.first().map(|c| c.id.to_string()))
            .expect("the example has a component");
        let running = Arc::new(AtomicBool::new(true));
        let attendees = attendees(&addr, &code, &element, &running);
        let deadline = Instant::now() + Duration::from_secs(20);
        let joined = |app: &App| app.share.as_ref().map_or(0, |s| s.attendees.len());
        while joined(&app) < ATTENDEES && Instant::now() < deadline {
            app.share_tick(Instant::now());
            thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(joined(&app), ATTENDEES, "every attendee joins first");
        // Select the element the ideas are about.
        let mut selected = false;
        for _ in 0..200 {
            app.share_tick(Instant::now());
            let row_is_element = app.session().is_some_and(|s| {
                s.threats
                    .row(&s.derived)
                    .is_some_and(|r| r.id.as_str() == element)
            });
            if row_is_element {
                selected = true;
                break;
            }
            app.handle_key(key(KeyCode::Down));
        }
        assert!(selected, "the element is in question 2's list");
        let terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
        BusyApp {
            app,
            terminal,
            running,
            attendees,
        }
    }

    /// One trip through the event loop: a key, the network's events, the next frame.
    fn key_to_frame(&mut self, key: KeyEvent) {
        self.app.handle_key(key);
        self.app.share_tick(Instant::now());
        let app = &self.app;
        self.terminal.draw(|f| view::draw(app, f)).expect("draws");
    }

    fn stop(mut self) {
        self.running.store(false, Ordering::SeqCst);
        for attendee in self.attendees.drain(..) {
            let _ = attendee.join();
        }
        self.app.stop_sharing();
    }
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// Moving in question 2's element list while 20 attendees send ideas.
#[divan::bench(sample_count = 50)]
fn key_to_frame_question2_while_20_attendees_send_ideas(bencher: divan::Bencher) {
    let mut busy = BusyApp::start();
    let mut down = true;
    bencher.bench_local(|| {
        busy.key_to_frame(key(if down { KeyCode::Down } else { KeyCode::Up }));
        down = !down;
    });
    busy.stop();
}

/// Accepting an idea from the inbox (a new threat, statuses sent, the model published), then
/// undoing it, while 20 attendees send ideas: one key each, with its frame.
#[divan::bench(sample_count = 50)]
fn key_to_frame_accept_and_undo_while_20_attendees_send_ideas(bencher: divan::Bencher) {
    let mut busy = BusyApp::start();
    busy.key_to_frame(key(KeyCode::Char('i')));
    let mut accept = true;
    bencher.bench_local(|| {
        busy.key_to_frame(key(KeyCode::Char(if accept { 'a' } else { 'u' })));
        accept = !accept;
    });
    busy.stop();
}
