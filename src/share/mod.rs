//! Sharing a session with the room: attendees join the facilitator's app from their own
//! terminals and send threat ideas (issue 16). No terminal code here: the facilitator's app
//! and the attendee app (`tui`) drive this layer through plain data.
//!
//! - [`protocol`]: the versioned, line-delimited JSON messages, their size limits, parser and
//!   the bounded line reader both sides read with;
//! - [`code`]: the random join code;
//! - [`host`]: the facilitator's side: a listener and one hub thread that owns the attendees;
//!   the app only ever calls non-blocking methods (`poll`, `publish_model`, `send`);
//! - [`client`]: the attendee's side: a connection with its own reader and writer threads.
//!
//! The protocol is documented in `docs/share-protocol.md`.

pub mod client;
pub mod code;
pub mod host;
pub mod inbox;
pub mod protocol;

pub use client::{Client, JoinError};
pub use code::JoinCode;
pub use host::{Host, HostEvent, Limits};
pub use protocol::{
    ClientMsg, HostMsg, IdeaDraft, IdeaId, IdeaStatus, IdeaView, PROTOCOL_VERSION, ProtocolError,
    RoundInfo, SharedModel, shared_model,
};
