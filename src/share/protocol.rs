//! The share protocol, version 1: one JSON object per line (UTF-8, `\n`-terminated), each with
//! a `"type"`. A client's lines are at most [`MAX_CLIENT_LINE`] bytes; the host's (which carry
//! the model) at most [`MAX_HOST_LINE`]. See `docs/share-protocol.md`.

use crate::model::{Rating, Session, StrideSet};
use serde::{Deserialize, Serialize};
use std::io::Read;

pub const PROTOCOL_VERSION: u32 = 1;

/// The longest line a client may send, newline included: an idea is a few hundred bytes.
pub const MAX_CLIENT_LINE: usize = 64 * 1024;

/// The longest line the host sends: the model of a large session.
pub const MAX_HOST_LINE: usize = 16 * 1024 * 1024;

/// The longest statement, name and ref an attendee may send, in characters.
pub const MAX_STATEMENT_CHARS: usize = 500;
pub const MAX_NAME_CHARS: usize = 40;
pub const MAX_REFS: usize = 16;
/// The longest library ref (`<library-id>:<entry-id>`) and element id, in characters.
pub const MAX_REF_CHARS: usize = 100;
pub const MAX_ELEMENT_CHARS: usize = 100;
/// The longest join code a hello may carry (the code is 19 characters with its dashes; some
/// slack for spaces typed around it).
pub const MAX_CODE_CHARS: usize = 64;

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

/// A threat idea as an attendee writes it. Not `deny_unknown_fields`: it is flattened into
/// [`IdeaView`] beside the status, which serde's flatten cannot combine with that check
/// (`ClientMsg`'s own check still refuses an idea with a field it does not know).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
/// Not `deny_unknown_fields`: serde's flatten of the tagged status cannot combine with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The host did not take this idea (its element is no longer in the model, or the
    /// attendee sent as many ideas as a share allows); the connection stays open.
    Rejected {
        client_ref: u32,
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

/// What is wrong with a line, in words an attendee or facilitator can read (it becomes the
/// reason of a `Refused` or `Dropped`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("sent a line over {limit} bytes")]
    TooLong { limit: usize },
    #[error("sent a line that is not UTF-8")]
    NotUtf8,
    #[error("sent a line that is not a message of protocol {PROTOCOL_VERSION}: {0}")]
    Malformed(String),
    #[error("sent {0}")]
    Invalid(String),
}

/// One message as a line: compact JSON and a `\n`. Empty if the message cannot be written as
/// JSON, which the protocol's types never cause (no maps with non-string keys); senders skip an
/// empty line rather than panic.
pub fn encode<T: Serialize>(msg: &T) -> String {
    match serde_json::to_string(msg) {
        Ok(mut line) => {
            line.push('\n');
            line
        }
        Err(_) => String::new(),
    }
}

/// Parses and checks a client's line (without or with its newline). The element's existence
/// is the host's to check: it knows the current model.
pub fn parse_client_line(line: &[u8]) -> Result<ClientMsg, ProtocolError> {
    let msg: ClientMsg = parse_json(line, MAX_CLIENT_LINE)?;
    match msg {
        ClientMsg::Hello {
            protocol,
            code,
            name,
        } => {
            if code.chars().count() > MAX_CODE_CHARS {
                return Err(ProtocolError::Invalid(format!(
                    "a join code over {MAX_CODE_CHARS} characters"
                )));
            }
            let name = check_name(&name)?.to_string();
            Ok(ClientMsg::Hello {
                protocol,
                code,
                name,
            })
        }
        ClientMsg::Idea { client_ref, idea } => {
            check_idea(&idea)?;
            Ok(ClientMsg::Idea { client_ref, idea })
        }
        other => Ok(other),
    }
}

/// Parses a host's line. The attendee app escapes the text it shows, as it does file text.
pub fn parse_host_line(line: &[u8]) -> Result<HostMsg, ProtocolError> {
    parse_json(line, MAX_HOST_LINE)
}

fn parse_json<T: serde::de::DeserializeOwned>(
    line: &[u8],
    limit: usize,
) -> Result<T, ProtocolError> {
    if line.len() > limit {
        return Err(ProtocolError::TooLong { limit });
    }
    let text = std::str::from_utf8(line).map_err(|_| ProtocolError::NotUtf8)?;
    serde_json::from_str(text).map_err(|e| ProtocolError::Malformed(short(&e.to_string())))
}

/// serde's message quotes parts of the input: keep the reason short and printable.
fn short(message: &str) -> String {
    let escaped = crate::model::text::escape_control(message);
    match escaped.char_indices().nth(120) {
        Some((end, _)) => format!("{}...", &escaped[..end]),
        None => escaped.into_owned(),
    }
}

fn has_control(text: &str) -> bool {
    matches!(
        crate::model::text::escape_control(text),
        std::borrow::Cow::Owned(_)
    )
}

/// An attendee's name: trimmed, 1 to [`MAX_NAME_CHARS`] characters, no control characters.
/// Returns the trimmed name.
pub fn check_name(name: &str) -> Result<&str, ProtocolError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ProtocolError::Invalid("an empty name".into()));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(ProtocolError::Invalid(format!(
            "a name over {MAX_NAME_CHARS} characters"
        )));
    }
    if has_control(name) {
        return Err(ProtocolError::Invalid(
            "a name with control characters".into(),
        ));
    }
    Ok(name)
}

/// An idea's shape: element id, statement, refs, letters and ratings within limits.
pub fn check_idea(idea: &IdeaDraft) -> Result<(), ProtocolError> {
    let invalid = |what: String| Err(ProtocolError::Invalid(what));
    if idea.element.is_empty()
        || idea.element.chars().count() > MAX_ELEMENT_CHARS
        || has_control(&idea.element)
    {
        return invalid("an idea without a valid element id".into());
    }
    if idea.statement.trim().is_empty() {
        return invalid("an idea with an empty statement".into());
    }
    if idea.statement.chars().count() > MAX_STATEMENT_CHARS {
        return invalid(format!(
            "an idea with a statement over {MAX_STATEMENT_CHARS} characters"
        ));
    }
    if !idea.stride.unknown().is_empty() {
        return invalid("an idea with letters that are not STRIDE".into());
    }
    if idea.refs.len() > MAX_REFS {
        return invalid(format!("an idea with more than {MAX_REFS} refs"));
    }
    for r in &idea.refs {
        let shaped = match r.split_once(':') {
            Some((library, entry)) => {
                !library.is_empty() && !entry.is_empty() && !library.contains(char::is_whitespace)
            }
            None => false,
        };
        if !shaped || r.chars().count() > MAX_REF_CHARS || has_control(r) {
            return invalid("an idea with a ref not shaped <library>:<entry>".into());
        }
    }
    for rating in [idea.likelihood, idea.impact].into_iter().flatten() {
        if !rating.is_valid() {
            return invalid("an idea with a rating outside 1 to 3".into());
        }
    }
    Ok(())
}

/// Why [`LineReader::read_line`] stopped.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    /// The line went over the limit; the reader read at most one chunk past it and is of no
    /// further use (the connection is closed).
    #[error("a line over {limit} bytes")]
    TooLong { limit: usize },
    /// The underlying read failed (or timed out: the partial line is kept, the call may be
    /// repeated).
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Reads `\n`-terminated lines of at most `limit` bytes (newline included) from a stream,
/// holding at most `limit` bytes plus one chunk: an over-long line is refused as soon as it
/// passes the limit, never buffered whole.
pub struct LineReader<R> {
    inner: R,
    limit: usize,
    chunk: Box<[u8]>,
    start: usize,
    end: usize,
    line: Vec<u8>,
}

const READ_CHUNK: usize = 8 * 1024;

impl<R: Read> LineReader<R> {
    pub fn new(inner: R, limit: usize) -> Self {
        LineReader {
            inner,
            limit,
            chunk: vec![0; READ_CHUNK].into_boxed_slice(),
            start: 0,
            end: 0,
            line: Vec::new(),
        }
    }

    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The next line without its newline; `Ok(None)` at the end of the stream. A last line
    /// without a newline is returned as a line.
    pub fn read_line(&mut self) -> Result<Option<Vec<u8>>, LineError> {
        loop {
            let pending = self.chunk.get(self.start..self.end).unwrap_or(&[]);
            let newline = pending.iter().position(|&b| b == b'\n');
            let taken = newline.unwrap_or(pending.len());
            // The line so far plus its newline must fit in the limit.
            if self.line.len() + taken + usize::from(newline.is_some()) > self.limit
                || (newline.is_none() && self.line.len() + taken >= self.limit)
            {
                self.line = Vec::new();
                return Err(LineError::TooLong { limit: self.limit });
            }
            self.line
                .extend_from_slice(pending.get(..taken).unwrap_or(&[]));
            if newline.is_some() {
                self.start += taken + 1;
                return Ok(Some(std::mem::take(&mut self.line)));
            }
            self.start = 0;
            self.end = 0;
            let read = match self.inner.read(&mut self.chunk) {
                Ok(read) => read,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            if read == 0 {
                if self.line.is_empty() {
                    return Ok(None);
                }
                return Ok(Some(std::mem::take(&mut self.line)));
            }
            self.end = read;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> IdeaDraft {
        IdeaDraft {
            element: "api".into(),
            statement: "Tokens replayed from logs".into(),
            stride: StrideSet::parse("SI"),
            refs: vec!["capec:CAPEC-60".into()],
            likelihood: Some(Rating::MEDIUM),
            impact: None,
        }
    }

    #[test]
    fn an_idea_round_trips_as_one_line() {
        let msg = ClientMsg::Idea {
            client_ref: 3,
            idea: draft(),
        };
        let line = encode(&msg);
        assert!(line.ends_with('\n'));
        assert_eq!(line.matches('\n').count(), 1);
        assert_eq!(parse_client_line(line.as_bytes()), Ok(msg));
    }

    #[test]
    fn the_wire_format_is_the_documented_one() {
        let line = encode(&ClientMsg::Idea {
            client_ref: 1,
            idea: draft(),
        });
        assert_eq!(
            line,
            "{\"type\":\"idea\",\"client_ref\":1,\"element\":\"api\",\"statement\":\"Tokens replayed from logs\",\"stride\":\"SI\",\"refs\":[\"capec:CAPEC-60\"],\"likelihood\":2}\n"
        );
        assert_eq!(encode(&ClientMsg::Ping), "{\"type\":\"ping\"}\n");
    }

    #[test]
    fn an_idea_view_is_one_flat_object_as_documented() {
        let view = IdeaView {
            id: 7,
            author: "ana".into(),
            client_ref: Some(2),
            idea: draft(),
            status: IdeaStatus::Merged {
                threat: "T-3".into(),
            },
        };
        assert_eq!(
            encode(&HostMsg::Idea { idea: view }),
            "{\"type\":\"idea\",\"idea\":{\"id\":7,\"author\":\"ana\",\"client_ref\":2,\"element\":\"api\",\"statement\":\"Tokens replayed from logs\",\"stride\":\"SI\",\"refs\":[\"capec:CAPEC-60\"],\"likelihood\":2,\"status\":\"merged\",\"threat\":\"T-3\"}}\n"
        );
    }

    #[test]
    fn host_messages_round_trip() {
        let view = IdeaView {
            id: 7,
            author: "ana".into(),
            client_ref: Some(2),
            idea: draft(),
            status: IdeaStatus::Merged {
                threat: "T-3".into(),
            },
        };
        for msg in [
            HostMsg::Idea { idea: view },
            HostMsg::Round {
                round: Some(RoundInfo {
                    number: 1,
                    remaining_secs: 180,
                }),
            },
            HostMsg::Rejected {
                client_ref: 4,
                reason: "no".into(),
            },
            HostMsg::Ended,
            HostMsg::Welcome {
                protocol: PROTOCOL_VERSION,
                name: "ana".into(),
                model: Box::new(Session::new("Shop")),
                round: None,
                ideas: Vec::new(),
            },
        ] {
            let line = encode(&msg);
            assert_eq!(parse_host_line(line.as_bytes()), Ok(msg));
        }
    }

    #[test]
    fn a_hello_name_is_trimmed_and_checked() {
        let hello = |name: &str| {
            parse_client_line(
                encode(&ClientMsg::Hello {
                    protocol: 1,
                    code: "x".into(),
                    name: name.into(),
                })
                .as_bytes(),
            )
        };
        assert_eq!(
            hello("  ana "),
            Ok(ClientMsg::Hello {
                protocol: 1,
                code: "x".into(),
                name: "ana".into()
            })
        );
        for bad in ["", "   ", "a\u{1b}[2Jb", "x\u{202e}y", &"n".repeat(41)] {
            assert!(
                matches!(hello(bad), Err(ProtocolError::Invalid(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn ideas_out_of_limits_are_refused_with_a_reason() {
        let cases: Vec<(IdeaDraft, &str)> = vec![
            (
                IdeaDraft {
                    statement: "  ".into(),
                    ..draft()
                },
                "empty statement",
            ),
            (
                IdeaDraft {
                    statement: "x".repeat(MAX_STATEMENT_CHARS + 1),
                    ..draft()
                },
                "statement over",
            ),
            (
                IdeaDraft {
                    element: String::new(),
                    ..draft()
                },
                "element",
            ),
            (
                IdeaDraft {
                    refs: vec!["capec".into()],
                    ..draft()
                },
                "ref not shaped",
            ),
            (
                IdeaDraft {
                    refs: vec!["a:b".into(); MAX_REFS + 1],
                    ..draft()
                },
                "more than",
            ),
            (
                IdeaDraft {
                    impact: Some(Rating(4)),
                    ..draft()
                },
                "rating",
            ),
            (
                IdeaDraft {
                    stride: StrideSet::parse("SX"),
                    ..draft()
                },
                "not STRIDE",
            ),
        ];
        for (idea, words) in cases {
            let err = check_idea(&idea).expect_err(words);
            assert!(err.to_string().contains(words), "{err} lacks {words}");
        }
        assert_eq!(check_idea(&draft()), Ok(()));
    }

    #[test]
    fn an_idea_with_a_field_it_does_not_know_is_malformed() {
        // The message's deny_unknown_fields still holds around the flattened draft.
        let line = b"{\"type\":\"idea\",\"client_ref\":1,\"element\":\"api\",\"statement\":\"s\",\"mood\":\"grim\"}";
        let err = parse_client_line(line).expect_err("an unknown field");
        assert!(err.to_string().contains("mood"), "{err}");
    }

    #[test]
    fn garbage_is_refused_in_words() {
        assert_eq!(parse_client_line(b"\xff\xfe"), Err(ProtocolError::NotUtf8));
        let err = parse_client_line(b"{\"type\":\"shout\"}").expect_err("unknown type");
        assert!(
            err.to_string().contains("not a message of protocol 1"),
            "{err}"
        );
        let err = parse_client_line(b"{\"type\":\"hello\",\"protocol\":\"one\"}")
            .expect_err("wrong field type");
        assert!(matches!(err, ProtocolError::Malformed(_)));
        let long = vec![b' '; MAX_CLIENT_LINE + 1];
        assert_eq!(
            parse_client_line(&long),
            Err(ProtocolError::TooLong {
                limit: MAX_CLIENT_LINE
            })
        );
    }

    #[test]
    fn the_line_reader_splits_lines_and_keeps_the_last_unterminated_one() {
        let mut reader = LineReader::new(&b"one\ntwo\n\nthree"[..], 16);
        let mut lines = Vec::new();
        while let Some(line) = reader.read_line().expect("read") {
            lines.push(line);
        }
        assert_eq!(
            lines,
            vec![
                b"one".to_vec(),
                b"two".to_vec(),
                Vec::new(),
                b"three".to_vec()
            ]
        );
    }

    #[test]
    fn the_line_reader_refuses_a_line_over_the_limit_newline_included() {
        let mut reader = LineReader::new(&b"1234\n12345\n"[..], 5);
        assert_eq!(
            reader.read_line().expect("fits").as_deref(),
            Some(&b"1234"[..])
        );
        assert!(matches!(
            reader.read_line(),
            Err(LineError::TooLong { limit: 5 })
        ));
    }

    /// A reader of endless bytes without a newline: the line reader must stop at the limit.
    struct Endless {
        served: usize,
    }

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            buf.fill(b'a');
            self.served += buf.len();
            Ok(buf.len())
        }
    }

    #[test]
    fn an_endless_line_is_refused_after_at_most_one_chunk_past_the_limit() {
        let mut reader = LineReader::new(Endless { served: 0 }, 64 * 1024);
        assert!(matches!(reader.read_line(), Err(LineError::TooLong { .. })));
        assert!(reader.get_ref().served <= 64 * 1024 + READ_CHUNK);
    }
}
