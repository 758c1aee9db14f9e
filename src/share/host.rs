//! The facilitator's side of a share. `Host::start` binds the address and starts a listener
//! thread, one hub thread that owns every attendee and idea, and a reader and a writer thread
//! per connection. The app talks to the hub through channels only: every method here returns
//! at once, so the facilitator's screen never waits on the network.

use super::code::JoinCode;
use super::protocol::{IdeaDraft, IdeaId, IdeaStatus, SharedModel};
use std::net::SocketAddr;
use std::time::Duration;

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
            max_pending: 16,
            max_ideas_per_attendee: 500,
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
    _private: (),
}

impl Host {
    /// Binds `addr` ("127.0.0.1:7420", "0.0.0.0:7420", "[::1]:0") and starts sharing `model`
    /// with a fresh join code.
    pub fn start(addr: &str, model: SharedModel, limits: Limits) -> std::io::Result<Host> {
        let _ = (addr, model, limits);
        todo!("helper A")
    }

    /// The address actually bound (the port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        todo!("helper A")
    }

    pub fn code(&self) -> &JoinCode {
        todo!("helper A")
    }

    /// What happened since the last call; never blocks.
    pub fn poll(&mut self) -> Vec<HostEvent> {
        todo!("helper A")
    }

    /// The facilitator's model changed: attendees get it (the hub sends the latest only).
    pub fn publish_model(&self, model: SharedModel) {
        let _ = model;
        todo!("helper A")
    }

    /// A round of `secs` seconds starts now (the previous one, if any, ends).
    pub fn start_round(&self, secs: u32) {
        let _ = secs;
        todo!("helper A")
    }

    /// The round ends (its time is up or the facilitator ended it): ideas sent during it
    /// become visible to every attendee.
    pub fn end_round(&self) {
        todo!("helper A")
    }

    /// The facilitator decided on an idea (or an undo took the decision back: `Pending`).
    pub fn set_status(&self, id: IdeaId, status: IdeaStatus) {
        let _ = id;
        let _ = status;
        todo!("helper A")
    }

    /// Names of the attendees connected now, sorted.
    pub fn attendees(&self) -> Vec<String> {
        todo!("helper A")
    }

    /// Ends the share: every attendee is told, connections close, the port is released.
    /// Returns at once; the threads finish on their own.
    pub fn stop(self) {}
}
