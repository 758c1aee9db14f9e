//! The attendee's side of a share: a connection to the host with a reader thread, so the
//! attendee app never waits on the network either.

use super::protocol::{
    ClientMsg, HostMsg, IdeaDraft, LineError, LineReader, MAX_HOST_LINE, PROTOCOL_VERSION, encode,
    parse_host_line,
};
use std::io::Write;
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// A quiet connection sends a ping this often (the host drops after 90 s of silence).
pub const PING_EVERY: Duration = Duration::from_secs(20);

/// A host not heard from this long (it answers every ping) counts as gone.
pub const HOST_SILENT: Duration = Duration::from_secs(70);

/// A write to the host that takes longer than this means the host is gone.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why joining failed.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        addr: String,
        source: std::io::Error,
    },
    /// The host refused: wrong code, name in use, a different protocol version.
    #[error("the facilitator's app refused to let you join: {0}")]
    Refused(String),
    #[error("the facilitator's app did not answer within {0:?}")]
    Timeout(Duration),
    #[error("the facilitator's app sent something this version does not understand: {0}")]
    Protocol(String),
}

/// A joined connection.
pub struct Client {
    stream: TcpStream,
    incoming: Receiver<HostMsg>,
    /// Messages already read, returned first by `poll` (the welcome).
    early: Vec<HostMsg>,
    outgoing: Option<Sender<String>>,
    state: Arc<ConnState>,
    next_ref: u32,
    last_sent: Instant,
    ping_every: Duration,
}

/// What the reader and writer threads tell the app.
struct ConnState {
    connected: AtomicBool,
    /// Why the connection ended, when it did.
    reason: Mutex<Option<String>>,
    last_heard: Mutex<Instant>,
}

impl ConnState {
    fn lost(&self, reason: String) {
        self.connected.store(false, Ordering::SeqCst);
        if let Ok(mut slot) = self.reason.lock()
            && slot.is_none()
        {
            *slot = Some(reason);
        }
    }
}

impl Client {
    /// Connects, says hello and waits (at most `timeout`) for the welcome, which is returned
    /// as the first message of [`Client::poll`].
    pub fn join(
        addr: &str,
        code: &str,
        name: &str,
        timeout: Duration,
    ) -> Result<Client, JoinError> {
        let deadline = Instant::now() + timeout;
        let mut stream = connect(addr, timeout)?;
        let _ = stream.set_nodelay(true);
        let hello = ClientMsg::Hello {
            protocol: PROTOCOL_VERSION,
            code: code.to_string(),
            name: name.to_string(),
        };
        let io_error = |e: std::io::Error| {
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) {
                JoinError::Timeout(timeout)
            } else {
                JoinError::Connect {
                    addr: addr.to_string(),
                    source: e,
                }
            }
        };
        stream
            .set_write_timeout(Some(timeout.max(Duration::from_millis(1))))
            .map_err(io_error)?;
        stream
            .write_all(encode(&hello).as_bytes())
            .map_err(io_error)?;
        let reader_stream = stream.try_clone().map_err(io_error)?;
        let mut reader = LineReader::new(reader_stream, MAX_HOST_LINE);
        let first = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(JoinError::Timeout(timeout));
            }
            reader
                .get_ref()
                .set_read_timeout(Some(left))
                .map_err(io_error)?;
            match reader.read_line() {
                Ok(Some(line)) => break line,
                Ok(None) => {
                    return Err(JoinError::Protocol(
                        "it closed the connection without a word".into(),
                    ));
                }
                Err(LineError::TooLong { limit }) => {
                    return Err(JoinError::Protocol(format!("a line over {limit} bytes")));
                }
                Err(LineError::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(LineError::Io(e)) => return Err(io_error(e)),
            }
        };
        let welcome = match parse_host_line(&first) {
            Ok(msg @ HostMsg::Welcome { .. }) => msg,
            Ok(HostMsg::Refused { reason }) | Ok(HostMsg::Dropped { reason }) => {
                return Err(JoinError::Refused(reason));
            }
            Ok(HostMsg::Ended) => return Err(JoinError::Refused("the share has ended".into())),
            Ok(_) => {
                return Err(JoinError::Protocol(
                    "it did not begin with a welcome".into(),
                ));
            }
            Err(e) => return Err(JoinError::Protocol(e.to_string())),
        };
        // After a rejoin, new ideas get numbers after the ones the host already has.
        let next_ref = match &welcome {
            HostMsg::Welcome { ideas, .. } => ideas
                .iter()
                .filter_map(|i| i.client_ref)
                .max()
                .map_or(1, |r| r.saturating_add(1)),
            _ => 1,
        };
        // The reader waits as long as the host is quiet; `keep_alive` watches for silence.
        reader.get_ref().set_read_timeout(None).map_err(io_error)?;
        stream
            .set_write_timeout(Some(WRITE_TIMEOUT))
            .map_err(io_error)?;
        let state = Arc::new(ConnState {
            connected: AtomicBool::new(true),
            reason: Mutex::new(None),
            last_heard: Mutex::new(Instant::now()),
        });
        let (in_tx, in_rx) = mpsc::channel();
        let reader_state = Arc::clone(&state);
        thread::Builder::new()
            .name("share-client-read".into())
            .spawn(move || read_host(reader, in_tx, &reader_state))
            .map_err(io_error)?;
        let (out_tx, out_rx) = mpsc::channel::<String>();
        let writer_state = Arc::clone(&state);
        let writer_stream = stream.try_clone().map_err(io_error)?;
        thread::Builder::new()
            .name("share-client-write".into())
            .spawn(move || write_host(writer_stream, out_rx, &writer_state))
            .map_err(io_error)?;
        Ok(Client {
            stream,
            incoming: in_rx,
            early: vec![welcome],
            outgoing: Some(out_tx),
            state,
            next_ref,
            last_sent: Instant::now(),
            ping_every: PING_EVERY,
        })
    }

    /// Messages received since the last call; never blocks. When the connection is lost, the
    /// last is `None`-free: check [`Client::is_connected`].
    pub fn poll(&mut self) -> Vec<HostMsg> {
        let mut msgs = std::mem::take(&mut self.early);
        msgs.extend(self.incoming.try_iter());
        msgs
    }

    /// Sends an idea; returns the `client_ref` given to it. An error means the connection is
    /// gone (the app rejoins and sends its unsent ideas again).
    pub fn send_idea(&mut self, idea: IdeaDraft) -> std::io::Result<u32> {
        let client_ref = self.next_ref;
        self.send(&ClientMsg::Idea { client_ref, idea })?;
        self.next_ref = self.next_ref.saturating_add(1);
        Ok(client_ref)
    }

    /// Sends a ping when the connection has been quiet for a while; call it on every tick.
    /// Also notices a host that has not answered for [`HOST_SILENT`].
    pub fn keep_alive(&mut self) {
        if !self.is_connected() {
            return;
        }
        let heard = self
            .state
            .last_heard
            .lock()
            .map(|t| *t)
            .unwrap_or_else(|_| Instant::now());
        if heard.elapsed() >= HOST_SILENT {
            self.state.lost(format!(
                "the facilitator's app did not answer for {} s",
                HOST_SILENT.as_secs()
            ));
            let _ = self.stream.shutdown(Shutdown::Both);
            return;
        }
        if self.last_sent.elapsed() >= self.ping_every {
            let _ = self.send(&ClientMsg::Ping);
        }
    }

    /// How long a quiet connection waits before `keep_alive` pings ([`PING_EVERY`] unless
    /// set): tests whose host drops after a second or two of silence ping more often.
    pub fn set_ping_every(&mut self, every: Duration) {
        self.ping_every = every;
    }

    pub fn is_connected(&self) -> bool {
        self.state.connected.load(Ordering::SeqCst)
    }

    /// Why the connection ended ("the facilitator ended the share", the host's reason for
    /// dropping, "connection lost: ..."); `None` while connected.
    pub fn disconnect_reason(&self) -> Option<String> {
        self.state.reason.lock().ok().and_then(|r| r.clone())
    }

    /// Says goodbye and closes.
    pub fn leave(mut self) {
        let _ = self.send(&ClientMsg::Bye);
        // Dropping the queue lets the writer write the bye, then close.
        self.outgoing = None;
        self.state.lost("you left".into());
    }

    fn send(&mut self, msg: &ClientMsg) -> std::io::Result<()> {
        let not_connected = || {
            std::io::Error::new(
                std::io::ErrorKind::NotConnected,
                "not connected to the facilitator's app",
            )
        };
        if !self.is_connected() {
            return Err(not_connected());
        }
        let sender = self.outgoing.as_ref().ok_or_else(not_connected)?;
        sender.send(encode(msg)).map_err(|_| not_connected())?;
        self.last_sent = Instant::now();
        Ok(())
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if self.outgoing.take().is_some() {
            // Not left politely: close at once, which also ends the threads.
            let _ = self.stream.shutdown(Shutdown::Both);
        }
    }
}

fn connect(addr: &str, timeout: Duration) -> Result<TcpStream, JoinError> {
    let connect_error = |source| JoinError::Connect {
        addr: addr.to_string(),
        source,
    };
    let addrs = addr.to_socket_addrs().map_err(connect_error)?;
    let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, "the address names no host");
    for candidate in addrs {
        match TcpStream::connect_timeout(&candidate, timeout.max(Duration::from_millis(1))) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = e,
        }
    }
    if last.kind() == std::io::ErrorKind::TimedOut {
        return Err(JoinError::Timeout(timeout));
    }
    Err(connect_error(last))
}

/// The reader thread: parses the host's lines into the app's queue until the connection ends.
fn read_host(mut reader: LineReader<TcpStream>, queue: Sender<HostMsg>, state: &ConnState) {
    let reason = loop {
        let line = match reader.read_line() {
            Ok(Some(line)) => line,
            Ok(None) => break "the facilitator's app closed the connection".to_string(),
            Err(LineError::TooLong { limit }) => {
                break format!("the facilitator's app sent a line over {limit} bytes");
            }
            Err(LineError::Io(e)) => break format!("connection lost: {e}"),
        };
        if let Ok(mut heard) = state.last_heard.lock() {
            *heard = Instant::now();
        }
        let msg = match parse_host_line(&line) {
            Ok(msg) => msg,
            Err(e) => break format!("the facilitator's app {e}"),
        };
        let end = match &msg {
            HostMsg::Ended => Some("the facilitator ended the share".to_string()),
            HostMsg::Dropped { reason } | HostMsg::Refused { reason } => Some(format!(
                "the facilitator's app dropped you: {}",
                crate::model::text::escape_control(reason)
            )),
            _ => None,
        };
        let _ = queue.send(msg);
        if let Some(reason) = end {
            break reason;
        }
    };
    state.lost(reason);
    let _ = reader.get_ref().shutdown(Shutdown::Both);
}

/// The writer thread: a write to a dead host fails here after its timeout, never in the app.
fn write_host(mut stream: TcpStream, queue: Receiver<String>, state: &ConnState) {
    for line in queue.iter() {
        if let Err(e) = stream.write_all(line.as_bytes()) {
            state.lost(format!("connection lost: {e}"));
            break;
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::net::TcpListener;

    /// A fake host that reads the hello and answers with `answer` (nothing when `None`), then
    /// holds the connection until the test ends.
    fn fake_host(answer: Option<&'static str>) -> (String, thread::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
        let addr = listener.local_addr().expect("addr").to_string();
        let host = thread::spawn(move || {
            let Ok((stream, _)) = listener.accept() else {
                return String::new();
            };
            let mut hello = String::new();
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let _ = reader.read_line(&mut hello);
            if let Some(answer) = answer {
                let mut stream = stream;
                let _ = stream.write_all(answer.as_bytes());
                let _ = stream.shutdown(Shutdown::Write);
            }
            // Wait for the client to close, so a silent host stays silent.
            let mut rest = String::new();
            let _ = reader.read_line(&mut rest);
            hello
        });
        (addr, host)
    }

    #[test]
    fn the_hello_carries_the_version_code_and_name() {
        let (addr, host) = fake_host(Some(
            "{\"type\":\"refused\",\"reason\":\"wrong join code\"}\n",
        ));
        let joined = Client::join(&addr, "abcd", "Ana", Duration::from_secs(10));
        assert!(matches!(joined, Err(JoinError::Refused(reason)) if reason == "wrong join code"));
        let hello = host.join().expect("the fake host ends");
        assert_eq!(
            hello,
            "{\"type\":\"hello\",\"protocol\":1,\"code\":\"abcd\",\"name\":\"Ana\"}\n"
        );
    }

    #[test]
    fn a_host_that_does_not_begin_with_a_welcome_is_a_protocol_error() {
        for answer in ["{\"type\":\"pong\"}\n", "HTTP/1.1 400 Bad Request\r\n", ""] {
            let (addr, host) = fake_host(Some(answer));
            let joined = Client::join(&addr, "abcd", "Ana", Duration::from_secs(10));
            assert!(matches!(joined, Err(JoinError::Protocol(_))), "{answer:?}");
            let _ = host.join();
        }
    }

    #[test]
    fn a_silent_host_times_the_join_out() {
        let (addr, host) = fake_host(None);
        let joined = Client::join(&addr, "abcd", "Ana", Duration::from_millis(300));
        assert!(matches!(joined, Err(JoinError::Timeout(_))));
        let _ = host.join();
    }

    #[test]
    fn the_welcome_comes_first_and_ideas_are_numbered_after_the_hosts() {
        let welcome = "{\"type\":\"welcome\",\"protocol\":1,\"name\":\"Ana\",\"model\":{\"schema\":1,\"title\":\"Shop\"},\"round\":null,\"ideas\":[{\"id\":4,\"author\":\"Ana\",\"client_ref\":6,\"element\":\"web\",\"statement\":\"s\",\"status\":\"pending\"}]}\n{\"type\":\"ended\"}\n";
        let (addr, host) = fake_host(Some(welcome));
        let mut client =
            Client::join(&addr, "abcd", "Ana", Duration::from_secs(10)).expect("joins");
        assert_eq!(client.next_ref, 7);
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut received = Vec::new();
        while client.is_connected() && Instant::now() < deadline {
            received.extend(client.poll());
            thread::sleep(Duration::from_millis(10));
        }
        received.extend(client.poll());
        assert!(matches!(received.first(), Some(HostMsg::Welcome { .. })));
        assert_eq!(received.last(), Some(&HostMsg::Ended));
        assert_eq!(
            client.disconnect_reason().as_deref(),
            Some("the facilitator ended the share")
        );
        drop(client);
        let _ = host.join();
    }
}
