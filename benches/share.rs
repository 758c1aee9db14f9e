//! The facilitator's side of a share while 20 attendees send ideas: what the app's thread pays
//! per frame for `Host::poll` and for `Host::publish_model` of the largest example session.
//! Both only touch channels and a short-held lock, so they stay far below a frame whatever the
//! network does.
//!
//! Run with `cargo bench --bench share`.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;
use threatboard::model::Session;
use threatboard::share::{Client, Host, HostEvent, IdeaDraft, Limits, shared_model};
use threatboard::store;

const ATTENDEES: usize = 20;

fn main() {
    divan::main();
}

fn largest_example() -> Session {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sessions");
    let path = std::fs::read_dir(&dir)
        .expect("sessions/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .max_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .expect("at least one example session");
    store::load(&path).expect("the example loads").session
}

/// A share of the largest example with 20 attendees each sending an idea every 150 ms (within
/// the default rate) until dropped.
struct BusyShare {
    host: Host,
    model: Session,
    running: Arc<AtomicBool>,
    attendees: Vec<thread::JoinHandle<()>>,
}

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
        let attendees = (0..ATTENDEES)
            .map(|i| {
                let addr = host.local_addr().to_string();
                let code = host.code().to_string();
                let running = Arc::clone(&running);
                let element = element.clone();
                thread::spawn(move || {
                    let name = format!("attendee {i}");
                    let Some(mut client) = (0..5).find_map(|_| {
                        Client::join(&addr, &code, &name, Duration::from_secs(10)).ok()
                    }) else {
                        eprintln!("{name} could not join");
                        return;
                    };
                    let mut n = 0;
                    while running.load(Ordering::SeqCst) && client.is_connected() {
                        n += 1;
                        let _ = client.send_idea(IdeaDraft {
                            element: element.clone(),
                            statement: format!("idea {n} from attendee {i}"),
                            stride: Default::default(),
                            refs: Vec::new(),
                            likelihood: None,
                            impact: None,
                        });
                        let _ = client.poll();
                        thread::sleep(Duration::from_millis(150));
                    }
                    client.leave();
                })
            })
            .collect();
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
