//! The facilitator's side of a share. `Host::start` binds the address and starts a listener
//! thread, one hub thread that owns every attendee and idea, and a reader and a writer thread
//! per connection. The app talks to the hub through channels only: every method here returns
//! at once, so the facilitator's screen never waits on the network.

use super::code::JoinCode;
use super::protocol::{
    ClientMsg, HostMsg, IdeaDraft, IdeaId, IdeaStatus, IdeaView, LineError, LineReader,
    PROTOCOL_VERSION, ProtocolError, RoundInfo, SharedModel, encode, parse_client_line,
};
use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long a wrong code waits before its refusal, on that connection's own thread: guessing
/// codes gets slow, and nobody else waits.
pub const REFUSE_DELAY: Duration = Duration::from_millis(500);

/// How often idle threads look whether the share has stopped.
const STOP_CHECK: Duration = Duration::from_millis(100);

/// What the host tolerates. `Limits::default()` is what the app uses; tests shorten the times.
#[derive(Debug, Clone)]
pub struct Limits {
    /// The longest line a client may send (bytes, newline included).
    pub max_line: usize,
    /// Messages per second a client may send on average, and in a burst.
    pub rate_per_sec: u32,
    pub burst: u32,
    /// A connection that has not said hello this long after connecting is closed.
    pub hello_timeout: Duration,
    /// A joined client that sends nothing (not even a ping) this long is dropped.
    pub idle_timeout: Duration,
    /// A write that takes longer than this drops the client (it does not read).
    pub write_timeout: Duration,
    /// Messages queued for one client before it counts as not reading and is dropped.
    pub queue: usize,
    /// Attendees connected at once, and connections not yet joined.
    pub max_attendees: usize,
    pub max_pending: usize,
    /// Ideas one attendee may send in a share.
    pub max_ideas_per_attendee: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line: super::protocol::MAX_CLIENT_LINE,
            rate_per_sec: 10,
            burst: 30,
            hello_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(90),
            write_timeout: Duration::from_secs(5),
            queue: 256,
            max_attendees: 32,
            max_pending: 64,
            max_ideas_per_attendee: 500,
        }
    }
}

impl Limits {
    /// A connected name that has sent nothing for this long (a third of the idle timeout: 30 s
    /// by default, while a healthy client pings every 20 s) is taken over by a new connection
    /// with that name: its owner most likely lost the network and is rejoining before the
    /// idle timeout noticed.
    pub fn takeover_after(&self) -> Duration {
        self.idle_timeout / 3
    }

    /// Short times and queues for tests and benchmarks: a second to say hello, ten seconds of
    /// silence (a test that waits on something else need not ping), a one-second write
    /// timeout and a queue of 64 messages (more than a burst of ideas, which every attendee is
    /// sent).
    pub fn for_tests() -> Limits {
        Limits {
            hello_timeout: Duration::from_secs(1),
            idle_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(1),
            queue: 64,
            ..Limits::default()
        }
    }
}

/// What happened on the network, for the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostEvent {
    /// An attendee joined (`rejoined` when the name had joined before in this share).
    Joined { name: String, rejoined: bool },
    /// An attendee left or was dropped, and why ("left", "timed out", "sent a line over
    /// 65536 bytes", ...).
    Left { name: String, reason: String },
    /// A connection was refused before joining (wrong code, name in use, not the protocol):
    /// the peer's address and why.
    Refused { peer: String, reason: String },
    /// A new idea, already checked: the element exists in the shared model, the text is
    /// within limits. Text is as sent; the app escapes it when drawing, as it does file text.
    Idea {
        id: IdeaId,
        author: String,
        idea: IdeaDraft,
    },
}

/// A running share. Dropping it ends the share (attendees are told) without waiting.
pub struct Host {
    addr: SocketAddr,
    code: JoinCode,
    events: Receiver<HostEvent>,
    hub: Sender<HubMsg>,
    /// The model waiting to be sent: `publish_model` replaces it, the hub takes the latest.
    latest_model: Arc<Mutex<Option<SharedModel>>>,
    shared: Arc<Shared>,
}

/// What the app, the listener, the connections and the hub all read.
struct Shared {
    stopped: AtomicBool,
    /// Connections that have not said hello yet.
    pending: AtomicUsize,
    /// The names connected now, sorted; written by the hub only.
    attendees: Mutex<Vec<String>>,
}

impl Shared {
    fn attendee_count(&self) -> usize {
        self.attendees.lock().map(|a| a.len()).unwrap_or(0)
    }
}

impl Host {
    /// Binds `addr` ("127.0.0.1:7420", "0.0.0.0:7420", "[::1]:0") and starts sharing `model`
    /// with a fresh join code.
    pub fn start(addr: &str, model: SharedModel, limits: Limits) -> std::io::Result<Host> {
        let code = JoinCode::random()?;
        let listener = TcpListener::bind(addr)?;
        let local = listener.local_addr()?;
        // Non-blocking so that the accept loop sees `stop` and releases the port.
        listener.set_nonblocking(true)?;
        let shared = Arc::new(Shared {
            stopped: AtomicBool::new(false),
            pending: AtomicUsize::new(0),
            attendees: Mutex::new(Vec::new()),
        });
        let (hub_tx, hub_rx) = mpsc::channel();
        let (event_tx, event_rx) = mpsc::channel();
        let latest_model = Arc::new(Mutex::new(None));
        let limits = Arc::new(limits);
        let hub = Hub {
            limits: Arc::clone(&limits),
            shared: Arc::clone(&shared),
            events: event_tx,
            latest_model: Arc::clone(&latest_model),
            model,
            conns: HashMap::new(),
            ever_joined: HashSet::new(),
            ideas: Vec::new(),
            next_idea: 1,
            round: None,
            rounds_started: 0,
        };
        thread::Builder::new()
            .name("share-hub".into())
            .spawn(move || hub.run(hub_rx))?;
        let listen = Listen {
            listener,
            limits,
            shared: Arc::clone(&shared),
            hub: hub_tx.clone(),
            code: Arc::new(code.clone()),
        };
        thread::Builder::new()
            .name("share-listener".into())
            .spawn(move || listen.run())?;
        Ok(Host {
            addr: local,
            code,
            events: event_rx,
            hub: hub_tx,
            latest_model,
            shared,
        })
    }

    /// The address actually bound (the port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn code(&self) -> &JoinCode {
        &self.code
    }

    /// What happened since the last call; never blocks.
    pub fn poll(&mut self) -> Vec<HostEvent> {
        self.events.try_iter().collect()
    }

    /// The facilitator's model changed: attendees get it (the hub sends the latest only).
    pub fn publish_model(&self, model: SharedModel) {
        if let Ok(mut slot) = self.latest_model.lock() {
            *slot = Some(model);
        }
        let _ = self.hub.send(HubMsg::ModelChanged);
    }

    /// A round of `secs` seconds starts now (the previous one, if any, ends).
    pub fn start_round(&self, secs: u32) {
        let _ = self.hub.send(HubMsg::StartRound(secs));
    }

    /// The round ends (its time is up or the facilitator ended it): ideas sent during it
    /// become visible to every attendee.
    pub fn end_round(&self) {
        let _ = self.hub.send(HubMsg::EndRound);
    }

    /// The facilitator decided on an idea (or an undo took the decision back: `Pending`).
    pub fn set_status(&self, id: IdeaId, status: IdeaStatus) {
        let _ = self.hub.send(HubMsg::SetStatus(id, status));
    }

    /// Names of the attendees connected now, sorted.
    pub fn attendees(&self) -> Vec<String> {
        self.shared
            .attendees
            .lock()
            .map(|a| a.clone())
            .unwrap_or_default()
    }

    /// Ends the share: every attendee is told, connections close, the port is released.
    /// Returns at once; the threads finish on their own.
    pub fn stop(self) {
        // Dropping does it, so that a host dropped without `stop` ends the share too.
        drop(self);
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        let _ = self.hub.send(HubMsg::Stop);
    }
}

type ConnId = u64;

/// A line for a connection's writer; `Last` closes the connection once written. `Model`
/// says the connection's model slot has a model to send: a client that reads slowly gets the
/// latest model when it catches up, not every one in between.
enum Out {
    Line(Arc<str>),
    Last(Arc<str>),
    Model,
}

/// The model line waiting for a connection's writer; only the latest is kept.
type ModelSlot = Arc<Mutex<Option<Arc<str>>>>;

/// Everything the hub hears: from the app, and from the connections' threads.
enum HubMsg {
    ModelChanged,
    StartRound(u32),
    EndRound,
    SetStatus(IdeaId, IdeaStatus),
    Stop,
    /// A connection said a good hello (right code and protocol); the hub decides on the name.
    Hello {
        conn: ConnId,
        name: String,
        peer: String,
        out: SyncSender<Out>,
        model_slot: ModelSlot,
        stream: TcpStream,
    },
    /// Refused before its hello reached the hub (the connection's thread told it already).
    Refused {
        peer: String,
        reason: String,
    },
    Idea {
        conn: ConnId,
        client_ref: u32,
        idea: IdeaDraft,
    },
    Ping(ConnId),
    /// The connection is to be dropped: the reason goes to the client, if it still reads.
    Drop {
        conn: ConnId,
        reason: String,
    },
    /// The connection is gone (left, closed, or a write failed).
    Gone {
        conn: ConnId,
        reason: String,
    },
}

struct Listen {
    listener: TcpListener,
    limits: Arc<Limits>,
    shared: Arc<Shared>,
    hub: Sender<HubMsg>,
    code: Arc<JoinCode>,
}

impl Listen {
    fn run(self) {
        let mut next_conn: ConnId = 1;
        while !self.shared.stopped.load(Ordering::SeqCst) {
            match self.listener.accept() {
                Ok((stream, peer)) => {
                    let conn = next_conn;
                    next_conn += 1;
                    self.admit(conn, stream, peer);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    thread::sleep(STOP_CHECK / 2);
                }
                // A connection that failed while being accepted, or no file descriptors
                // left: wait a little and go on.
                Err(_) => thread::sleep(STOP_CHECK / 2),
            }
        }
    }

    /// Starts a connection's thread, or refuses it at once when the share is full.
    fn admit(&self, conn: ConnId, stream: TcpStream, peer: SocketAddr) {
        let peer = peer.to_string();
        let full = if self.shared.pending.load(Ordering::SeqCst) >= self.limits.max_pending {
            Some("too many connections are joining at once; try again in a moment")
        } else if self.shared.attendee_count() >= self.limits.max_attendees {
            Some("the share has as many attendees as it takes")
        } else {
            None
        };
        if let Some(reason) = full {
            // Told without waiting: the socket's buffer takes this short line.
            let _ = stream.set_nonblocking(true);
            let mut stream = stream;
            let _ = stream.write_all(encode(&refused(reason)).as_bytes());
            let _ = stream.shutdown(Shutdown::Both);
            let _ = self.hub.send(HubMsg::Refused {
                peer,
                reason: reason.to_string(),
            });
            return;
        }
        self.shared.pending.fetch_add(1, Ordering::SeqCst);
        let reader = ConnReader {
            conn,
            peer,
            limits: Arc::clone(&self.limits),
            shared: Arc::clone(&self.shared),
            hub: self.hub.clone(),
            code: Arc::clone(&self.code),
        };
        let spawned = thread::Builder::new()
            .name(format!("share-conn-{conn}"))
            .spawn(move || reader.run(stream));
        if spawned.is_err() {
            self.shared.pending.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

fn other_version(protocol: u32) -> String {
    format!(
        "your threatboard speaks share protocol {protocol}, the facilitator's speaks {PROTOCOL_VERSION}: use the same version"
    )
}

/// The `protocol` of a line shaped like any version's hello.
fn hello_version(line: &[u8]) -> Option<u32> {
    let value: serde_json::Value = serde_json::from_slice(line).ok()?;
    if value.get("type")?.as_str()? != "hello" {
        return None;
    }
    u32::try_from(value.get("protocol")?.as_u64()?).ok()
}

fn refused(reason: &str) -> HostMsg {
    HostMsg::Refused {
        reason: reason.to_string(),
    }
}

/// A stream whose reads end at a deadline (the hello's, then the idle one) and when the share
/// stops, however slowly the peer trickles bytes.
struct DeadlineStream {
    stream: TcpStream,
    deadline: Instant,
    shared: Arc<Shared>,
}

impl Read for DeadlineStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if self.shared.stopped.load(Ordering::SeqCst) {
                return Err(std::io::Error::other("the share ended"));
            }
            let left = self.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(std::io::ErrorKind::TimedOut.into());
            }
            self.stream.set_read_timeout(Some(left.min(STOP_CHECK)))?;
            match self.stream.read(buf) {
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                other => return other,
            }
        }
    }
}

/// A connection's reading side: the hello, then every line, parsed and rate-limited here so
/// that the hub only sees well-formed messages.
struct ConnReader {
    conn: ConnId,
    peer: String,
    limits: Arc<Limits>,
    shared: Arc<Shared>,
    hub: Sender<HubMsg>,
    code: Arc<JoinCode>,
}

impl ConnReader {
    fn run(self, stream: TcpStream) {
        if let Some(reader) = self.hello(stream) {
            self.read_messages(reader);
        }
    }

    /// Waits for the hello; on a good one, starts the writer and hands the connection to the
    /// hub. `None` when the connection was refused or closed.
    fn hello(&self, stream: TcpStream) -> Option<LineReader<DeadlineStream>> {
        let _ = stream.set_nodelay(true);
        let _ = stream.set_write_timeout(Some(self.limits.write_timeout));
        let Ok(reader_stream) = stream.try_clone() else {
            self.shared.pending.fetch_sub(1, Ordering::SeqCst);
            return None;
        };
        let mut reader = LineReader::new(
            DeadlineStream {
                stream: reader_stream,
                deadline: Instant::now() + self.limits.hello_timeout,
                shared: Arc::clone(&self.shared),
            },
            self.limits.max_line,
        );
        let outcome = match reader.read_line() {
            Ok(Some(line)) => match parse_client_line(&line) {
                Ok(ClientMsg::Hello {
                    protocol,
                    code,
                    name,
                }) => {
                    if protocol != PROTOCOL_VERSION {
                        Err(other_version(protocol))
                    } else if !self.code.matches(&code) {
                        thread::sleep(REFUSE_DELAY);
                        Err("wrong join code".to_string())
                    } else {
                        Ok(name)
                    }
                }
                Ok(_) => Err("the first message was not a hello".to_string()),
                // Another version's hello may not parse as this one's: say which version.
                Err(e) => Err(hello_version(&line)
                    .filter(|&v| v != PROTOCOL_VERSION)
                    .map_or_else(|| e.to_string(), other_version)),
            },
            Ok(None) => Err("closed before saying hello".to_string()),
            Err(LineError::TooLong { limit }) => Err(ProtocolError::TooLong { limit }.to_string()),
            Err(LineError::Io(e)) if e.kind() == std::io::ErrorKind::TimedOut => {
                Err("did not say hello in time".to_string())
            }
            Err(LineError::Io(e)) => Err(format!("connection failed before hello: {e}")),
        };
        self.shared.pending.fetch_sub(1, Ordering::SeqCst);
        let name = match outcome {
            Ok(name) => name,
            Err(reason) => {
                let mut stream = stream;
                let _ = stream.write_all(encode(&refused(&reason)).as_bytes());
                let _ = stream.shutdown(Shutdown::Both);
                let _ = self.hub.send(HubMsg::Refused {
                    peer: self.peer.clone(),
                    reason,
                });
                return None;
            }
        };
        let (out_tx, out_rx) = mpsc::sync_channel(self.limits.queue.max(1));
        let model_slot = ModelSlot::default();
        let writer = ConnWriter {
            conn: self.conn,
            hub: self.hub.clone(),
            model_slot: Arc::clone(&model_slot),
        };
        let writer_stream = stream.try_clone().ok()?;
        thread::Builder::new()
            .name(format!("share-write-{}", self.conn))
            .spawn(move || writer.run(writer_stream, out_rx))
            .ok()?;
        self.hub
            .send(HubMsg::Hello {
                conn: self.conn,
                name,
                peer: self.peer.clone(),
                out: out_tx,
                model_slot,
                stream,
            })
            .ok()?;
        Some(reader)
    }

    /// Reads a joined client's messages until it leaves, is dropped or goes quiet; the hub
    /// hears why it ended.
    fn read_messages(&self, mut reader: LineReader<DeadlineStream>) {
        let mut bucket = TokenBucket::new(self.limits.rate_per_sec, self.limits.burst);
        loop {
            reader.get_mut().deadline = Instant::now() + self.limits.idle_timeout;
            let line = match reader.read_line() {
                Ok(Some(line)) => line,
                Ok(None) => return self.gone("closed the connection"),
                Err(LineError::TooLong { limit }) => {
                    return self.drop_client(ProtocolError::TooLong { limit }.to_string());
                }
                Err(LineError::Io(e)) if e.kind() == std::io::ErrorKind::TimedOut => {
                    return self.drop_client(format!(
                        "timed out (nothing received for {} s)",
                        self.limits.idle_timeout.as_secs()
                    ));
                }
                Err(LineError::Io(e)) => return self.gone(&format!("connection failed: {e}")),
            };
            if !bucket.take(Instant::now()) {
                return self.drop_client(format!(
                    "sent more than {} messages a second",
                    self.limits.rate_per_sec
                ));
            }
            let sent = match parse_client_line(&line) {
                Ok(ClientMsg::Idea { client_ref, idea }) => self.hub.send(HubMsg::Idea {
                    conn: self.conn,
                    client_ref,
                    idea,
                }),
                Ok(ClientMsg::Ping) => self.hub.send(HubMsg::Ping(self.conn)),
                Ok(ClientMsg::Bye) => return self.gone("left"),
                Ok(ClientMsg::Hello { .. }) => {
                    return self.drop_client("said hello twice".to_string());
                }
                Err(e) => return self.drop_client(e.to_string()),
            };
            if sent.is_err() {
                return;
            }
        }
    }

    fn drop_client(&self, reason: String) {
        let _ = self.hub.send(HubMsg::Drop {
            conn: self.conn,
            reason,
        });
    }

    fn gone(&self, reason: &str) {
        let _ = self.hub.send(HubMsg::Gone {
            conn: self.conn,
            reason: reason.to_string(),
        });
    }
}

/// Messages a client may send: `burst` at once, then `rate` a second.
struct TokenBucket {
    tokens: f64,
    rate: f64,
    burst: f64,
    last: Instant,
}

impl TokenBucket {
    fn new(rate: u32, burst: u32) -> Self {
        TokenBucket {
            tokens: f64::from(burst.max(1)),
            rate: f64::from(rate),
            burst: f64::from(burst.max(1)),
            last: Instant::now(),
        }
    }

    /// Takes a token for a message at `now`; false when there is none.
    fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// A connection's writing side: writes what the hub queued, with a write timeout, so a client
/// that does not read costs one blocked thread for at most that long, never the hub.
struct ConnWriter {
    conn: ConnId,
    hub: Sender<HubMsg>,
    model_slot: ModelSlot,
}

impl ConnWriter {
    fn run(self, mut stream: TcpStream, queue: Receiver<Out>) {
        for out in queue.iter() {
            let (line, last) = match out {
                Out::Line(line) => (line, false),
                Out::Last(line) => (line, true),
                Out::Model => match self.model_slot.lock().ok().and_then(|mut m| m.take()) {
                    Some(line) => (line, false),
                    None => continue,
                },
            };
            if let Err(e) = stream.write_all(line.as_bytes()) {
                let reason = if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) {
                    "stopped reading (a write timed out)".to_string()
                } else {
                    format!("connection failed: {e}")
                };
                let _ = self.hub.send(HubMsg::Gone {
                    conn: self.conn,
                    reason,
                });
                break;
            }
            if last {
                break;
            }
        }
        // Also wakes the reader, which then ends.
        let _ = stream.shutdown(Shutdown::Both);
    }
}

/// An idea as the hub keeps it.
struct IdeaRecord {
    id: IdeaId,
    author: String,
    client_ref: u32,
    idea: IdeaDraft,
    status: IdeaStatus,
    /// The round it was sent in while that round is under way: only its author sees it.
    hidden_in_round: Option<u32>,
}

impl IdeaRecord {
    fn visible_to(&self, name: &str) -> bool {
        self.hidden_in_round.is_none() || self.author == name
    }

    fn view_for(&self, name: &str) -> IdeaView {
        IdeaView {
            id: self.id,
            author: self.author.clone(),
            client_ref: (self.author == name).then_some(self.client_ref),
            idea: self.idea.clone(),
            status: self.status.clone(),
        }
    }
}

struct Conn {
    name: String,
    out: SyncSender<Out>,
    model_slot: ModelSlot,
    stream: TcpStream,
    last_heard: Instant,
}

struct Round {
    number: u32,
    ends: Instant,
}

/// The one thread that owns the share's state. It never blocks on a client: every send is a
/// `try_send` to the client's writer queue.
struct Hub {
    limits: Arc<Limits>,
    shared: Arc<Shared>,
    events: Sender<HostEvent>,
    latest_model: Arc<Mutex<Option<SharedModel>>>,
    model: SharedModel,
    conns: HashMap<ConnId, Conn>,
    ever_joined: HashSet<String>,
    ideas: Vec<IdeaRecord>,
    next_idea: IdeaId,
    round: Option<Round>,
    rounds_started: u32,
}

impl Hub {
    fn run(mut self, inbox: Receiver<HubMsg>) {
        for msg in inbox.iter() {
            match msg {
                HubMsg::Stop => break,
                HubMsg::ModelChanged => self.model_changed(),
                HubMsg::StartRound(secs) => self.start_round(secs),
                HubMsg::EndRound => self.end_round(),
                HubMsg::SetStatus(id, status) => self.set_status(id, status),
                HubMsg::Hello {
                    conn,
                    name,
                    peer,
                    out,
                    model_slot,
                    stream,
                } => self.hello(conn, name, peer, out, model_slot, stream),
                HubMsg::Refused { peer, reason } => {
                    let _ = self.events.send(HostEvent::Refused { peer, reason });
                }
                HubMsg::Idea {
                    conn,
                    client_ref,
                    idea,
                } => self.idea(conn, client_ref, idea),
                HubMsg::Ping(conn) => {
                    self.heard_from(conn);
                    self.send_to(conn, &HostMsg::Pong);
                }
                HubMsg::Drop { conn, reason } => self.close(conn, Some(dropped(&reason)), &reason),
                HubMsg::Gone { conn, reason } => self.close(conn, None, &reason),
            }
        }
        self.shared.stopped.store(true, Ordering::SeqCst);
        let ended: Arc<str> = encode(&HostMsg::Ended).into();
        for (_, conn) in self.conns.drain() {
            if conn.out.try_send(Out::Last(Arc::clone(&ended))).is_err() {
                let _ = conn.stream.shutdown(Shutdown::Both);
            }
        }
        if let Ok(mut names) = self.shared.attendees.lock() {
            names.clear();
        }
    }

    fn hello(
        &mut self,
        conn: ConnId,
        name: String,
        peer: String,
        out: SyncSender<Out>,
        model_slot: ModelSlot,
        stream: TcpStream,
    ) {
        let stale = self
            .conns
            .iter()
            .find(|(_, c)| c.name == name && c.last_heard.elapsed() >= self.limits.takeover_after())
            .map(|(&id, _)| id);
        if let Some(old) = stale {
            let reason = "replaced by a new connection with the same name";
            self.close(old, Some(dropped(reason)), reason);
        }
        let refusal = if self.conns.values().any(|c| c.name == name) {
            Some(format!("the name '{name}' is in use: choose another"))
        } else if self.conns.len() >= self.limits.max_attendees {
            Some("the share has as many attendees as it takes".to_string())
        } else {
            None
        };
        if let Some(reason) = refusal {
            if out
                .try_send(Out::Last(encode(&refused(&reason)).into()))
                .is_err()
            {
                let _ = stream.shutdown(Shutdown::Both);
            }
            let _ = self.events.send(HostEvent::Refused { peer, reason });
            return;
        }
        let rejoined = !self.ever_joined.insert(name.clone());
        let mut ideas: Vec<IdeaView> = self
            .ideas
            .iter()
            .filter(|i| i.author == name)
            .map(|i| i.view_for(&name))
            .collect();
        ideas.extend(
            self.ideas
                .iter()
                .filter(|i| i.author != name && i.visible_to(&name))
                .map(|i| i.view_for(&name)),
        );
        let welcome = HostMsg::Welcome {
            protocol: PROTOCOL_VERSION,
            name: name.clone(),
            model: Box::new(self.model.clone()),
            round: self.round_info(),
            ideas,
        };
        self.conns.insert(
            conn,
            Conn {
                name: name.clone(),
                out,
                model_slot,
                stream,
                last_heard: Instant::now(),
            },
        );
        self.update_attendees();
        let _ = self.events.send(HostEvent::Joined {
            name: name.clone(),
            rejoined,
        });
        self.send_to(conn, &welcome);
    }

    fn heard_from(&mut self, conn: ConnId) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.last_heard = Instant::now();
        }
    }

    fn idea(&mut self, conn: ConnId, client_ref: u32, idea: IdeaDraft) {
        self.heard_from(conn);
        let Some(author) = self.conns.get(&conn).map(|c| c.name.clone()) else {
            return;
        };
        let element_known = self
            .model
            .components
            .iter()
            .any(|c| c.id.as_str() == idea.element)
            || self
                .model
                .flows
                .iter()
                .any(|f| f.id.as_str() == idea.element);
        let sent_before = self.ideas.iter().filter(|i| i.author == author).count();
        let rejection = if !element_known {
            Some(format!(
                "element '{}' is not in the facilitator's model (it may have just changed)",
                crate::model::text::escape_control(&idea.element)
            ))
        } else if self.ideas.len()
            >= self
                .limits
                .max_ideas_per_attendee
                .saturating_mul(self.limits.max_attendees)
        {
            // Names come and go: this bounds the share's memory whatever names are used.
            Some("the share holds as many ideas as it takes".to_string())
        } else if sent_before >= self.limits.max_ideas_per_attendee {
            Some(format!(
                "you sent {} ideas, as many as a share takes from one attendee",
                self.limits.max_ideas_per_attendee
            ))
        } else {
            None
        };
        if let Some(reason) = rejection {
            self.send_to(conn, &HostMsg::Rejected { client_ref, reason });
            return;
        }
        let id = self.next_idea;
        self.next_idea += 1;
        let record = IdeaRecord {
            id,
            author: author.clone(),
            client_ref,
            idea: idea.clone(),
            status: IdeaStatus::Pending,
            hidden_in_round: self.round.as_ref().map(|r| r.number),
        };
        self.tell_those_who_see(&record);
        self.ideas.push(record);
        let _ = self.events.send(HostEvent::Idea { id, author, idea });
    }

    fn set_status(&mut self, id: IdeaId, status: IdeaStatus) {
        let Some(index) = self.ideas.iter().position(|i| i.id == id) else {
            return;
        };
        let Some(record) = self.ideas.get_mut(index) else {
            return;
        };
        if record.status == status {
            return;
        }
        record.status = status;
        if let Some(record) = self.ideas.get(index) {
            let views = self.views_for_those_who_see(record);
            self.send_each(views);
        }
    }

    fn tell_those_who_see(&mut self, record: &IdeaRecord) {
        let views = self.views_for_those_who_see(record);
        self.send_each(views);
    }

    fn views_for_those_who_see(&self, record: &IdeaRecord) -> Vec<(ConnId, HostMsg)> {
        self.conns
            .iter()
            .filter(|(_, c)| record.visible_to(&c.name))
            .map(|(&id, c)| {
                (
                    id,
                    HostMsg::Idea {
                        idea: record.view_for(&c.name),
                    },
                )
            })
            .collect()
    }

    fn send_each(&mut self, msgs: Vec<(ConnId, HostMsg)>) {
        for (conn, msg) in msgs {
            self.send_to(conn, &msg);
        }
    }

    fn start_round(&mut self, secs: u32) {
        self.reveal_round();
        self.rounds_started += 1;
        self.round = Some(Round {
            number: self.rounds_started,
            ends: Instant::now() + Duration::from_secs(u64::from(secs)),
        });
        self.broadcast(&HostMsg::Round {
            round: self.round_info(),
        });
    }

    fn end_round(&mut self) {
        if self.round.is_none() {
            return;
        }
        self.reveal_round();
        self.broadcast(&HostMsg::Round { round: None });
    }

    /// Ends the round under way: its ideas become visible to everyone.
    fn reveal_round(&mut self) {
        let Some(round) = self.round.take() else {
            return;
        };
        let mut msgs = Vec::new();
        for record in &mut self.ideas {
            if record.hidden_in_round == Some(round.number) {
                record.hidden_in_round = None;
                for (&id, conn) in &self.conns {
                    if conn.name != record.author {
                        msgs.push((
                            id,
                            HostMsg::Idea {
                                idea: record.view_for(&conn.name),
                            },
                        ));
                    }
                }
            }
        }
        self.send_each(msgs);
    }

    fn round_info(&self) -> Option<RoundInfo> {
        self.round.as_ref().map(|r| RoundInfo {
            number: r.number,
            remaining_secs: u32::try_from(
                r.ends.saturating_duration_since(Instant::now()).as_secs(),
            )
            .unwrap_or(u32::MAX),
        })
    }

    fn model_changed(&mut self) {
        let latest = self
            .latest_model
            .lock()
            .ok()
            .and_then(|mut slot| slot.take());
        // Several changes in a row leave one model in the slot; the later wake-ups find it
        // empty and send nothing.
        let Some(model) = latest else {
            return;
        };
        self.model = model;
        let line: Arc<str> = encode(&HostMsg::Model {
            model: Box::new(self.model.clone()),
        })
        .into();
        if line.is_empty() {
            return;
        }
        let ids: Vec<ConnId> = self.conns.keys().copied().collect();
        for conn in ids {
            let Some(c) = self.conns.get(&conn) else {
                continue;
            };
            let queued_already = match c.model_slot.lock() {
                Ok(mut slot) => slot.replace(Arc::clone(&line)).is_some(),
                Err(_) => false,
            };
            if !queued_already {
                self.queue(conn, Out::Model);
            }
        }
    }

    /// Sends one encoded line to every attendee.
    fn broadcast(&mut self, msg: &HostMsg) {
        let line: Arc<str> = encode(msg).into();
        if line.is_empty() {
            return;
        }
        let ids: Vec<ConnId> = self.conns.keys().copied().collect();
        for conn in ids {
            self.queue(conn, Out::Line(Arc::clone(&line)));
        }
    }

    fn send_to(&mut self, conn: ConnId, msg: &HostMsg) {
        let line = encode(msg);
        if !line.is_empty() {
            self.queue(conn, Out::Line(line.into()));
        }
    }

    /// Queues a line without waiting: a client whose queue is full does not read, and goes.
    fn queue(&mut self, conn: ConnId, out: Out) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        match c.out.try_send(out) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.close(conn, None, "stopped reading (its queue filled up)");
            }
            // The writer ended on a failed write and its `Gone`, with the reason, is on its
            // way.
            Err(TrySendError::Disconnected(_)) => {}
        }
    }

    /// Forgets a connection; `last` is what it is told before the close, if it still reads.
    fn close(&mut self, conn: ConnId, last: Option<HostMsg>, reason: &str) {
        let Some(c) = self.conns.remove(&conn) else {
            return;
        };
        let told = last.is_some_and(|msg| c.out.try_send(Out::Last(encode(&msg).into())).is_ok());
        if !told {
            let _ = c.stream.shutdown(Shutdown::Both);
        }
        self.update_attendees();
        let _ = self.events.send(HostEvent::Left {
            name: c.name,
            reason: reason.to_string(),
        });
    }

    fn update_attendees(&self) {
        let mut names: Vec<String> = self.conns.values().map(|c| c.name.clone()).collect();
        names.sort();
        if let Ok(mut shared) = self.shared.attendees.lock() {
            *shared = names;
        }
    }
}

fn dropped(reason: &str) -> HostMsg {
    HostMsg::Dropped {
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_takes_a_burst_then_refills_at_the_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(10, 3);
        bucket.last = start;
        assert!((0..3).all(|_| bucket.take(start)));
        assert!(!bucket.take(start), "a fourth message in the same instant");
        // A tenth of a second later there is one token again, and only one.
        let later = start + Duration::from_millis(100);
        assert!(bucket.take(later));
        assert!(!bucket.take(later));
        // A long pause refills to the burst, not beyond.
        let much_later = later + Duration::from_secs(60);
        assert!((0..3).all(|_| bucket.take(much_later)));
        assert!(!bucket.take(much_later));
    }

    fn record(author: &str, hidden_in_round: Option<u32>) -> IdeaRecord {
        IdeaRecord {
            id: 1,
            author: author.into(),
            client_ref: 4,
            idea: IdeaDraft {
                element: "web".into(),
                statement: "s".into(),
                stride: Default::default(),
                refs: Vec::new(),
                likelihood: None,
                impact: None,
            },
            status: IdeaStatus::Pending,
            hidden_in_round,
        }
    }

    #[test]
    fn an_idea_of_a_round_under_way_is_seen_by_its_author_only() {
        let hidden = record("ana", Some(1));
        assert!(hidden.visible_to("ana"));
        assert!(!hidden.visible_to("bob"));
        let shown = record("ana", None);
        assert!(shown.visible_to("bob"));
    }

    #[test]
    fn only_the_author_sees_its_client_ref() {
        let idea = record("ana", None);
        assert_eq!(idea.view_for("ana").client_ref, Some(4));
        assert_eq!(idea.view_for("bob").client_ref, None);
    }

    #[test]
    fn a_full_share_refuses_more_connections_at_once() {
        let limits = Limits {
            max_pending: 0,
            ..Limits::for_tests()
        };
        let mut host = Host::start("127.0.0.1:0", SharedModel::new("s"), limits).expect("starts");
        let mut stream = TcpStream::connect(host.local_addr()).expect("connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        assert!(answer.contains("too many connections"), "{answer:?}");
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut events = Vec::new();
        while events.is_empty() && Instant::now() < deadline {
            events = host.poll();
            thread::sleep(Duration::from_millis(10));
        }
        assert!(
            matches!(events.first(), Some(HostEvent::Refused { reason, .. }) if reason.contains("too many"))
        );
    }
}
