//! Property tests over the share protocol's parser and line reader: arbitrary bytes never
//! panic either parser, every generated message survives encode then parse unchanged, and the
//! line reader gives the same lines however the stream is split into reads.

use proptest::prelude::*;
use std::io::Read;
use threatboard::model::{Rating, StrideSet};
use threatboard::share::protocol::{
    LineError, LineReader, MAX_REFS, MAX_STATEMENT_CHARS, encode, parse_client_line,
    parse_host_line,
};
use threatboard::share::{ClientMsg, HostMsg, IdeaDraft, IdeaStatus, IdeaView, RoundInfo};

/// Text as attendees type it, hostile characters included (escapes, bidi, quotes, newlines).
fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            4 => proptest::char::range('a', 'z'),
            1 => Just(' '),
            1 => Just('"'),
            1 => Just('\\'),
            1 => Just('\n'),
            1 => Just('\u{1b}'),
            1 => Just('\u{202e}'),
            1 => Just('é'),
            1 => Just('🦀'),
        ],
        1..max,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

fn word() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,20}"
}

fn draft() -> impl Strategy<Value = IdeaDraft> {
    (
        word(),
        text(MAX_STATEMENT_CHARS).prop_filter("a statement is not blank", |s| !s.trim().is_empty()),
        "[STRIDE]{0,6}",
        proptest::collection::vec((word(), word()), 0..MAX_REFS),
        proptest::option::of(1i64..=3),
        proptest::option::of(1i64..=3),
    )
        .prop_map(
            |(element, statement, letters, refs, likelihood, impact)| IdeaDraft {
                element,
                statement,
                stride: StrideSet::parse(&letters),
                refs: refs.into_iter().map(|(l, e)| format!("{l}:{e}")).collect(),
                likelihood: likelihood.map(Rating),
                impact: impact.map(Rating),
            },
        )
}

fn client_msg() -> impl Strategy<Value = ClientMsg> {
    prop_oneof![
        (
            any::<u32>(),
            "[0-9a-z-]{0,19}",
            "[a-zA-Z][a-zA-Z .]{0,30}[a-z]"
        )
            .prop_map(|(protocol, code, name)| ClientMsg::Hello {
                protocol,
                code,
                name
            }),
        (any::<u32>(), draft()).prop_map(|(client_ref, idea)| ClientMsg::Idea { client_ref, idea }),
        Just(ClientMsg::Ping),
        Just(ClientMsg::Bye),
    ]
}

fn status() -> impl Strategy<Value = IdeaStatus> {
    prop_oneof![
        Just(IdeaStatus::Pending),
        word().prop_map(|threat| IdeaStatus::Accepted { threat }),
        word().prop_map(|threat| IdeaStatus::Merged { threat }),
        Just(IdeaStatus::Dismissed),
    ]
}

fn host_msg() -> impl Strategy<Value = HostMsg> {
    prop_oneof![
        (
            any::<u64>(),
            word(),
            proptest::option::of(any::<u32>()),
            draft(),
            status()
        )
            .prop_map(|(id, author, client_ref, idea, status)| HostMsg::Idea {
                idea: IdeaView {
                    id,
                    author,
                    client_ref,
                    idea,
                    status
                }
            }),
        proptest::option::of((any::<u32>(), any::<u32>())).prop_map(|round| HostMsg::Round {
            round: round.map(|(number, remaining_secs)| RoundInfo {
                number,
                remaining_secs
            })
        }),
        text(200).prop_map(|reason| HostMsg::Refused { reason }),
        text(200).prop_map(|reason| HostMsg::Dropped { reason }),
        (any::<u32>(), text(200))
            .prop_map(|(client_ref, reason)| HostMsg::Rejected { client_ref, reason }),
        Just(HostMsg::Ended),
        Just(HostMsg::Pong),
    ]
}

/// A reader that hands out its bytes in the given read sizes, cycling.
struct Chunked {
    bytes: Vec<u8>,
    at: usize,
    sizes: Vec<usize>,
    next: usize,
}

impl Read for Chunked {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let size = self
            .sizes
            .get(self.next % self.sizes.len().max(1))
            .copied()
            .unwrap_or(1);
        self.next += 1;
        let rest = self.bytes.get(self.at..).unwrap_or(&[]);
        let n = size.max(1).min(buf.len()).min(rest.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.at += n;
        Ok(n)
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_the_parsers(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_client_line(&bytes);
        let _ = parse_host_line(&bytes);
    }

    #[test]
    fn json_shaped_garbage_never_panics(text in r#"\{("[a-z_]{1,10}":("[^"]{0,10}"|-?[0-9]{1,30}|\[\]|\{\}|null|true),?){0,6}\}"#) {
        let _ = parse_client_line(text.as_bytes());
        let _ = parse_host_line(text.as_bytes());
    }

    #[test]
    fn client_messages_round_trip(msg in client_msg()) {
        let line = encode(&msg);
        prop_assert!(line.ends_with('\n'));
        prop_assert_eq!(line.matches('\n').count(), 1, "one line: {:?}", line);
        // The generator's names are trimmed and short, so the hello comes back as it went.
        prop_assert_eq!(parse_client_line(line.as_bytes()), Ok(msg));
    }

    #[test]
    fn host_messages_round_trip(msg in host_msg()) {
        let line = encode(&msg);
        prop_assert_eq!(line.matches('\n').count(), 1, "one line: {:?}", line);
        prop_assert_eq!(parse_host_line(line.as_bytes()), Ok(msg));
    }

    #[test]
    fn the_line_reader_gives_the_same_lines_however_the_reads_are_split(
        lines in proptest::collection::vec(proptest::collection::vec(any::<u8>().prop_filter("no newline", |b| *b != b'\n'), 0..300), 0..20),
        sizes in proptest::collection::vec(1usize..400, 1..10),
    ) {
        let mut bytes = Vec::new();
        for line in &lines {
            bytes.extend_from_slice(line);
            bytes.push(b'\n');
        }
        let mut reader = LineReader::new(Chunked { bytes, at: 0, sizes, next: 0 }, 301);
        let mut read = Vec::new();
        loop {
            match reader.read_line() {
                Ok(Some(line)) => read.push(line),
                Ok(None) => break,
                Err(LineError::TooLong { .. }) => prop_assert!(false, "a line under the limit was refused"),
                Err(LineError::Io(e)) => prop_assert!(false, "{}", e),
            }
        }
        prop_assert_eq!(read, lines);
    }

    #[test]
    fn the_line_reader_refuses_exactly_the_lines_over_its_limit(
        len in 0usize..600,
        limit in 1usize..400,
        sizes in proptest::collection::vec(1usize..400, 1..10),
    ) {
        let mut bytes = vec![b'a'; len];
        bytes.push(b'\n');
        let mut reader = LineReader::new(Chunked { bytes, at: 0, sizes, next: 0 }, limit);
        match reader.read_line() {
            Ok(Some(line)) => prop_assert!(line.len() < limit, "{} bytes passed a limit of {}", len + 1, limit),
            Err(LineError::TooLong { .. }) => prop_assert!(len + 1 > limit),
            other => prop_assert!(false, "{:?}", other.map_err(|e| e.to_string())),
        }
    }
}
