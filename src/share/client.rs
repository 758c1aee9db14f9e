//! The attendee's side of a share: a connection to the host with a reader thread, so the
//! attendee app never waits on the network either.

use super::protocol::{HostMsg, IdeaDraft};
use std::time::Duration;

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
    _private: (),
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
        let _ = (addr, code, name, timeout);
        todo!("helper A")
    }

    /// Messages received since the last call; never blocks. When the connection is lost, the
    /// last is `None`-free: check [`Client::is_connected`].
    pub fn poll(&mut self) -> Vec<HostMsg> {
        todo!("helper A")
    }

    /// Sends an idea; returns the `client_ref` given to it. An error means the connection is
    /// gone (the app rejoins and sends its unsent ideas again).
    pub fn send_idea(&mut self, idea: IdeaDraft) -> std::io::Result<u32> {
        let _ = idea;
        todo!("helper A")
    }

    /// Sends a ping when the connection has been quiet for a while; call it on every tick.
    pub fn keep_alive(&mut self) {}

    pub fn is_connected(&self) -> bool {
        todo!("helper A")
    }

    /// Says goodbye and closes.
    pub fn leave(self) {}
}
