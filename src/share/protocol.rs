//! The share protocol, version 1: one JSON object per line (UTF-8, `\n`-terminated), each with
//! a `"type"`. A client's lines are at most [`MAX_CLIENT_LINE`] bytes; the host's (which carry
//! the model) at most [`MAX_HOST_LINE`]. See `docs/share-protocol.md`.

use crate::model::{Rating, Session, StrideSet};
use serde::{Deserialize, Serialize};

pub const PROTOCOL_VERSION: u32 = 1;

/// The longest line a client may send, newline included: an idea is a few hundred bytes.
pub const MAX_CLIENT_LINE: usize = 64 * 1024;

/// The longest line the host sends: the model of a large session.
pub const MAX_HOST_LINE: usize = 16 * 1024 * 1024;

/// The longest statement, name and ref an attendee may send, in characters.
pub const MAX_STATEMENT_CHARS: usize = 500;
pub const MAX_NAME_CHARS: usize = 40;
pub const MAX_REFS: usize = 16;

/// An idea's number, given by the host, unique within a share.
pub type IdeaId = u64;

/// What the facilitator shares: the model as it is now (title, description, boundaries,
/// assets, components, flows, and the threats' id, target, title, letters, refs and rule so
/// that suggestions know what is covered). Runs, mitigations, acceptances, assumptions, the
/// review, notes and who took a risk are never sent: see [`shared_model`].
pub type SharedModel = Session;

/// A message from an attendee's client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMsg {
    /// The first message, and only that: the protocol version, the join code and a name.
    Hello {
        protocol: u32,
        code: String,
        name: String,
    },
    /// A threat idea. `client_ref` is the client's own number for it, echoed back.
    Idea {
        client_ref: u32,
        #[serde(flatten)]
        idea: IdeaDraft,
    },
    /// Keeps an idle connection alive.
    Ping,
    /// The attendee leaves.
    Bye,
}

/// A threat idea as an attendee writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdeaDraft {
    /// A component or flow id of the shared model.
    pub element: String,
    pub statement: String,
    #[serde(default, skip_serializing_if = "StrideSet::is_empty")]
    pub stride: StrideSet,
    /// Library refs, `<library-id>:<entry-id>`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refs: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub likelihood: Option<Rating>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact: Option<Rating>,
}

/// What became of an idea.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case", deny_unknown_fields)]
pub enum IdeaStatus {
    Pending,
    /// It became this threat.
    Accepted {
        threat: String,
    },
    /// Its letters and refs were added to this threat.
    Merged {
        threat: String,
    },
    Dismissed,
}

/// An idea as the host shows it to an attendee: their own (with `client_ref`), or another
/// attendee's once it is visible (sent outside a round, or its round has ended).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdeaView {
    pub id: IdeaId,
    pub author: String,
    /// The author's own number for it; only on the author's copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ref: Option<u32>,
    #[serde(flatten)]
    pub idea: IdeaDraft,
    #[serde(flatten)]
    pub status: IdeaStatus,
}

/// A brainwriting round under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoundInfo {
    /// 1 for the share's first round.
    pub number: u32,
    /// Seconds left when the message was sent.
    pub remaining_secs: u32,
}

/// A message from the host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum HostMsg {
    /// The answer to a good hello: the model, the round if one is under way, and the ideas
    /// this attendee may see (their own first, after a rejoin too).
    Welcome {
        protocol: u32,
        name: String,
        model: Box<SharedModel>,
        round: Option<RoundInfo>,
        ideas: Vec<IdeaView>,
    },
    /// The facilitator changed the model.
    Model {
        model: Box<SharedModel>,
    },
    /// A round started (or its time was sent again), or with `round: None`, ended.
    Round {
        round: Option<RoundInfo>,
    },
    /// An idea this attendee may see is new or changed.
    Idea {
        idea: IdeaView,
    },
    /// The host will not take this client (wrong code, name in use, bad first message); the
    /// connection closes after it.
    Refused {
        reason: String,
    },
    /// The host drops this client (malformed, oversized or too many messages); the connection
    /// closes after it.
    Dropped {
        reason: String,
    },
    /// The facilitator stopped sharing or quit.
    Ended,
    Pong,
}

/// The part of `session` that attendees see (see [`SharedModel`]).
pub fn shared_model(session: &Session) -> SharedModel {
    Session {
        schema: session.schema,
        title: session.title.clone(),
        description: session.description.clone(),
        agenda: None,
        runs: Vec::new(),
        boundaries: session.boundaries.clone(),
        assets: session.assets.clone(),
        components: session.components.clone(),
        flows: session.flows.clone(),
        threats: session
            .threats
            .iter()
            .map(|t| crate::model::Threat {
                id: t.id.clone(),
                target: t.target.clone(),
                title: t.title.clone(),
                stride: t.stride.clone(),
                refs: t.refs.clone(),
                rule: t.rule.clone(),
                likelihood: None,
                impact: None,
                response: Default::default(),
                status: t.status,
                transferred_to: String::new(),
                raised_by: Vec::new(),
                notes: String::new(),
            })
            .collect(),
        mitigations: Vec::new(),
        acceptances: Vec::new(),
        assumptions: Vec::new(),
        review: Default::default(),
    }
}
