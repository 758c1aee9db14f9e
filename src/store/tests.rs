use super::*;
use crate::model::*;
use chrono::NaiveDate;
use proptest::prelude::*;

const SAMPLE: &str = r#"schema = 1
title = "Checkout"
agenda = [8, 12, 7, 3]

[[runs]]
date = 2026-11-20
facilitator = "Ana"
attendees = ["Ana", "Bo"]
trigger = "initial"

[[boundaries]]
id = "dmz"
name = "DMZ"

[[components]]
id = "web"
name = "Web"
kind = "process"
boundary = "dmz"
tags = ["internet-facing"]

[[components]]
id = "db"
name = "DB"
kind = "data-store"
notes = """line one
line two"""

[[flows]]
id = "web-db"
from = "web"
to = "db"
label = "queries"
authenticated = true
encrypted = false

[[threats]]
id = "TH-001"
target = "web-db"
title = "SQL injection"
stride = "TI"
due_note_unused = 1
"#;

#[test]
fn unknown_fields_are_reported_with_their_position() {
    let err = parse(SAMPLE).expect_err("unknown field is an error");
    assert_eq!(err.at, LineCol { line: 42, col: 1 });
    assert!(
        err.message.contains("unknown field `due_note_unused`"),
        "{}",
        err.message
    );
}

#[test]
fn canonical_text_sorts_tables_and_is_stable() {
    let text = SAMPLE.replace("due_note_unused = 1\n", "");
    let (session, _) = parse(&text).expect("sample parses");
    let saved = to_toml(&session).expect("serializes");
    // db sorts before web; dates are written as TOML dates, not strings.
    let db = saved.find("id = \"db\"").expect("db written");
    let web = saved.find("id = \"web\"").expect("web written");
    assert!(db < web, "{saved}");
    assert!(saved.contains("date = 2026-11-20\n"), "{saved}");
    assert!(
        saved.contains("notes = \"\"\"\nline one\nline two\"\"\""),
        "{saved}"
    );
    let (again, _) = parse(&saved).expect("saved text parses");
    assert_eq!(to_toml(&again).expect("serializes"), saved);
}

#[test]
fn quoted_dates_are_accepted_and_invalid_dates_located() {
    let ok = "schema = 1\ntitle = \"t\"\n[[runs]]\ndate = \"2026-01-02\"\n";
    let (s, _) = parse(ok).expect("quoted date parses");
    assert_eq!(
        s.runs[0].date,
        NaiveDate::from_ymd_opt(2026, 1, 2).expect("date")
    );
    let bad = "schema = 1\ntitle = \"t\"\n[[runs]]\ndate = \"next week\"\n";
    let err = parse(bad).expect_err("bad date");
    assert_eq!(err.at, LineCol { line: 4, col: 8 });
    assert!(err.message.contains("2026-12-15"), "{}", err.message);
    let feb30 = "schema = 1\ntitle = \"t\"\n[[runs]]\ndate = 2026-02-30\n";
    assert!(parse(feb30).is_err());
}

#[test]
fn binary_and_empty_files_get_clear_messages() {
    let err = parse_bytes(b"schema = 1\n\xff\xfe").expect_err("binary");
    assert_eq!(err.at, LineCol { line: 2, col: 1 });
    assert!(err.message.contains("not UTF-8"), "{}", err.message);
    let err = parse_bytes(b"schema = 1\0").expect_err("nul");
    assert!(err.message.contains("NUL"), "{}", err.message);
    let err = parse_bytes(b"  \n").expect_err("empty");
    assert!(err.message.contains("empty"), "{}", err.message);
}

#[test]
fn save_is_atomic_refuses_overwrites_and_detects_outside_changes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.toml");
    let mut fresh = LoadedSession::unsaved(Session::new("One"), &path);
    assert!(fresh.save().expect("first save"));
    let first = std::fs::read(&path).expect("written");
    // Saving again without changes writes nothing.
    assert!(!fresh.save().expect("second save"));
    assert_eq!(std::fs::read(&path).expect("still there"), first);

    // A second unsaved session for the same path must not overwrite it.
    let mut other = LoadedSession::unsaved(Session::new("Two"), &path);
    assert!(matches!(
        other.save(),
        Err(StoreError::AlreadyExists { .. })
    ));

    // Someone edits the file: our save refuses and leaves their change alone.
    let mut loaded = load(&path).expect("load");
    std::fs::write(&path, "schema = 1\ntitle = \"Theirs\"\n").expect("outside edit");
    assert!(loaded.changed_on_disk().expect("check"));
    loaded.session.title = "Mine".into();
    assert!(matches!(
        loaded.save(),
        Err(StoreError::ChangedOnDisk { .. })
    ));
    assert!(
        std::fs::read_to_string(&path)
            .expect("read")
            .contains("Theirs")
    );

    // After a reload, saving works and leaves no temporary files behind.
    let mut loaded = load(&path).expect("reload");
    loaded.session.title = "Mine".into();
    assert!(loaded.save().expect("save"));
    assert!(!loaded.changed_on_disk().expect("check"));
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("s.toml")]);
}

#[test]
fn positions_point_at_entries_and_fields() {
    let text = SAMPLE.replace("due_note_unused = 1\n", "");
    let (_, positions) = parse(&text).expect("parses");
    let loc = Location::entry(Table::Flows, 0, "web-db", Some("to"));
    assert_eq!(positions.locate(&loc), LineCol { line: 32, col: 6 });
    let loc = Location::entry(Table::Components, 1, "db", None);
    assert_eq!(positions.locate(&loc).line, 22);
    assert_eq!(
        positions.locate(&Location::top("title")),
        LineCol { line: 2, col: 9 }
    );
}

#[test]
fn an_old_transfer_without_a_name_loads_and_is_a_located_problem() {
    let text = SAMPLE.replace("due_note_unused = 1\n", "").replace(
        "[[components]]\nid = \"db\"",
        "[[threats]]\nid = \"TH-001\"\ntarget = \"web\"\ntitle = \"Flood\"\nresponse = \"transfer\"\n\n[[components]]\nid = \"db\"",
    );
    let (session, positions) = parse(&text).expect("an old file still loads");
    assert_eq!(session.threats[0].transferred_to, "");
    let problem = crate::model::validate(&session)
        .into_iter()
        .find(|p| p.location.field == Some("response"))
        .expect("the missing name is a problem");
    let line = text
        .lines()
        .position(|l| l == "response = \"transfer\"")
        .expect("in the text")
        + 1;
    assert_eq!(positions.locate(&problem.location).line, line);
}

// ---- property test: load(save(s)) == s for sessions in canonical order ----

fn id() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,8}"
}

fn text() -> impl Strategy<Value = String> {
    // Printable text, quotes, backslashes, newlines, tabs, non-ASCII, C1 controls and bidi or
    // invisible formatting characters must survive.
    proptest::string::string_regex("[ -~é日\\n\\t\"\\\\\u{9b}\u{85}\u{202e}\u{200b}\u{feff}]{0,20}")
        .expect("regex")
}

fn date() -> impl Strategy<Value = NaiveDate> {
    (2000i32..2100, 1u32..=12, 1u32..=28)
        .prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default())
}

fn stride() -> impl Strategy<Value = StrideSet> {
    "[STRIDE]{0,6}".prop_map(|s| StrideSet::parse(&s))
}

fn session() -> impl Strategy<Value = Session> {
    let runs = prop::collection::vec(
        (
            date(),
            text(),
            prop::collection::vec(text(), 0..3),
            text(),
            prop::option::of(0u32..500),
        ),
        0..3,
    )
    .prop_map(|v| {
        v.into_iter()
            .map(|(date, facilitator, attendees, trigger, minutes)| Run {
                date,
                facilitator,
                attendees,
                trigger,
                minutes,
                baseline: String::new(),
                notes: String::new(),
            })
            .collect::<Vec<_>>()
    });
    let components = prop::collection::vec(
        (
            id(),
            text(),
            0usize..3,
            prop::option::of(id()),
            prop::collection::vec(id(), 0..3),
            stride(),
            text(),
            (
                prop::option::of(0..Technology::ALL.len()),
                text(),
                prop::collection::vec((id(), text(), text()), 0..3),
                text(),
            ),
        ),
        0..5,
    )
    .prop_map(|v| {
        v.into_iter()
            .map(
                |(
                    id,
                    name,
                    kind,
                    boundary,
                    tags,
                    not_applicable,
                    notes,
                    (technology, not_applicable_reason, dismissed, out_of_scope),
                )| Component {
                    id: id.into(),
                    name,
                    kind: ComponentKind::ALL[kind],
                    technology: technology.map(|i| Technology::ALL[i]),
                    boundary: boundary.map(BoundaryId::from),
                    tags: tags.into(),
                    assets: Vec::new(),
                    not_applicable,
                    not_applicable_reason: not_applicable_reason.into(),
                    out_of_scope: out_of_scope.into(),
                    notes: notes.into(),
                    dismissed: dismissed
                        .into_iter()
                        .map(|(rule, reason, facts)| Dismissal {
                            rule,
                            reason,
                            facts,
                        })
                        .collect(),
                },
            )
            .collect::<Vec<_>>()
    });
    let flows = prop::collection::vec(
        (
            id(),
            id(),
            id(),
            text(),
            text(),
            any::<Option<bool>>(),
            any::<Option<bool>>(),
        ),
        0..5,
    )
    .prop_map(|v| {
        v.into_iter()
            .map(
                |(id, from, to, label, protocol, authenticated, encrypted)| Flow {
                    id: id.into(),
                    from: from.into(),
                    to: to.into(),
                    label: label.into(),
                    protocol: protocol.into(),
                    assets: vec![AssetId::from("pii")],
                    authenticated,
                    encrypted,
                    tags: Default::default(),
                    not_applicable: StrideSet::empty(),
                    not_applicable_reason: Default::default(),
                    out_of_scope: Default::default(),
                    notes: Default::default(),
                    dismissed: Default::default(),
                },
            )
            .collect::<Vec<_>>()
    });
    let threats = prop::collection::vec(
        (
            id(),
            id(),
            text(),
            stride(),
            prop::option::of(-2i64..6),
            prop::option::of(1i64..4),
            0usize..5,
            text(),
        ),
        0..5,
    )
    .prop_map(|v| {
        v.into_iter()
            .map(
                |(id, target, title, stride, likelihood, impact, response, to)| Threat {
                    id: ThreatId::new(format!("TH-{id}")),
                    target: target.into(),
                    title,
                    stride,
                    refs: vec![LibraryRef::new("attack", "T1078.004")],
                    rule: (response == 1).then(|| "flow-replay".to_string()),
                    likelihood: likelihood.map(Rating),
                    impact: impact.map(Rating),
                    response: [
                        Response::Undecided,
                        Response::Mitigate,
                        Response::Accept,
                        Response::Transfer,
                        Response::Avoid,
                    ][response],
                    status: ThreatStatus::Open,
                    // Whatever the response: the file keeps what it is given.
                    transferred_to: to,
                    raised_by: Vec::new(),
                    notes: String::new(),
                },
            )
            .collect::<Vec<_>>()
    });
    let mitigations = prop::collection::vec(
        (id(), text(), text(), prop::option::of(date()), text()),
        0..4,
    )
    .prop_map(|v| {
        v.into_iter()
            .map(|(id, action, owner, due, ticket)| Mitigation {
                id: MitigationId::new(format!("MI-{id}")),
                threats: vec!["TH-1".into()],
                action,
                owner,
                due,
                status: MitigationStatus::InProgress,
                ticket,
            })
            .collect::<Vec<_>>()
    });
    let extras = (
        prop::collection::vec((id(), text(), text(), prop::option::of(date())), 0..3),
        prop::collection::vec((id(), text(), any::<bool>()), 0..3),
        (text(), text(), text()),
        prop::option::of(prop::array::uniform4(0u32..30)),
    );
    (
        text(),
        text(),
        runs,
        components,
        flows,
        threats,
        mitigations,
        extras,
    )
        .prop_map(
            |(title, description, runs, components, flows, threats, mitigations, extras)| {
                let (acceptances, assumptions, review, agenda) = extras;
                let mut s = Session::new(title);
                s.description = description;
                s.agenda = agenda;
                s.runs = runs;
                s.boundaries = vec![Boundary {
                    id: "cloud".into(),
                    name: "Cloud".into(),
                    parent: Some("account".into()),
                    notes: String::new(),
                }];
                s.assets = vec![Asset {
                    id: "pii".into(),
                    name: "Customer PII".into(),
                    classification: Classification::Restricted,
                    notes: String::new(),
                }];
                s.components = components;
                s.flows = flows;
                s.threats = threats;
                s.mitigations = mitigations;
                s.acceptances = acceptances
                    .into_iter()
                    .map(
                        |(threat, justification, accepted_by, review_by)| Acceptance {
                            threat: threat.into(),
                            justification,
                            accepted_by,
                            review_by,
                        },
                    )
                    .collect();
                s.assumptions = assumptions
                    .into_iter()
                    .map(|(id, text, validated)| Assumption {
                        id: id.into(),
                        text,
                        owner: String::new(),
                        validated,
                    })
                    .collect();
                s.review = Review {
                    coverage_notes: review.0,
                    went_well: review.1,
                    to_change: review.2,
                };
                s
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn load_of_save_is_identity(s in session()) {
        let text = to_toml(&s).expect("serializes");
        // Only tabs and newlines are written raw; every other control or formatting character
        // stays a `\uXXXX` escape.
        prop_assert!(
            !text.chars().any(|c| crate::model::text::keep_escaped(c) && c != '\n' && c != '\t'),
            "raw hidden character in:\n{}", text
        );
        let (loaded, _) = parse(&text).map_err(|e| TestCaseError::fail(format!("{}: {}\n{text}", e.at, e.message)))?;
        let mut expected = s.clone();
        expected.sort_tables();
        prop_assert_eq!(&loaded, &expected);
        // And saving what was loaded gives the same bytes.
        prop_assert_eq!(to_toml(&loaded).expect("serializes"), text);
    }

    #[test]
    fn fast_path_reads_what_the_writer_writes_as_the_full_parser_does(s in session()) {
        let text = to_toml(&s).expect("serializes");
        let fast = super::fast_parse::parse(&text);
        // Nested tables (`[[components.dismissed]]`) are left to the full parser; all else is taken.
        let nested = text.lines().any(|l| l.starts_with('[') && l.contains('.'));
        if !nested {
            prop_assert!(fast.is_some(), "fast path declined:\n{}", text);
        }
        if let Some(fast) = fast {
            let full = super::parse_full(&text).map_err(|e| TestCaseError::fail(format!("{}: {}", e.at, e.message)))?;
            prop_assert_eq!(fast, full);
        }
    }

    /// Positions recorded in one pass by the fast path locate every entry and field of a
    /// generated session exactly where the full parser's (computed per offset) do, with LF or
    /// CRLF line ends and indented headers and fields.
    #[test]
    fn fast_positions_locate_what_full_positions_locate(
        s in session(),
        crlf in any::<bool>(),
        indent in any::<bool>(),
    ) {
        let mut text = to_toml(&s).expect("serializes");
        if indent {
            text = text.replace("\n[[", "\n \t[[").replace("\nid = ", "\n  id = ");
        }
        if crlf {
            text = text.replace('\n', "\r\n");
        }
        // CRLF inside a multi-line string is the full parser's; nothing to compare then.
        let Some((_, fast)) = super::fast_parse::parse(&text) else {
            return Ok(());
        };
        let (_, full) = super::parse_full(&text)
            .map_err(|e| TestCaseError::fail(format!("{}: {}", e.at, e.message)))?;
        for table in super::position::TABLES {
            let fields = super::position::table_fields(table);
            for index in 0..12 {
                for field in fields.iter().copied().map(Some).chain([None]) {
                    let at = Location { table, index: Some(index), id: None, field };
                    prop_assert_eq!(fast.locate(&at), full.locate(&at), "{:?}", at);
                }
            }
        }
        prop_assert_eq!(fast, full);
    }

}

// ---- structure-aware fuzzing: valid files, damaged line by line ----

/// Valid session files to damage.
fn valid_files() -> [String; 3] {
    [
        SAMPLE.replace("due_note_unused = 1\n", ""),
        include_str!("../../tests/fixtures/valid-minimal.toml").to_string(),
        include_str!("../../sessions/llm-support-bot.toml").to_string(),
    ]
}

/// What replaces a `key = value` line's value: mostly another type.
const VALUES: [&str; 10] = [
    "1",
    "\"text\"",
    "true",
    "[1, \"a\"]",
    "{ a = 1 }",
    "2026-13-40",
    "1979-05-27T07:32:00Z",
    "-9223372036854775808",
    "nan",
    "\"\"",
];

/// Characters that trip up parsers and terminals.
const ODD: [&str; 10] = [
    "\u{1b}[2J",
    "\u{202e}",
    "\0",
    "日本語🚀",
    "\"",
    "\\",
    "\r",
    "\u{feff}",
    "[[",
    "#",
];

/// An edit of a file as a person might make it by hand, on lines or on whole entries (the
/// blocks between blank lines).
#[derive(Debug, Clone)]
enum LineEdit {
    /// The n-th `key = value` line goes.
    DeleteLine(usize),
    DeleteBlock(usize),
    DuplicateBlock(usize),
    SwapBlocks(usize, usize),
    /// The n-th `key = value` line gets another value.
    Retype(usize, usize),
    /// Odd characters at a character position.
    Insert(usize, usize),
    Truncate(usize),
}

fn line_edit() -> impl Strategy<Value = LineEdit> {
    prop_oneof![
        2 => any::<usize>().prop_map(LineEdit::DeleteLine),
        2 => any::<usize>().prop_map(LineEdit::DeleteBlock),
        3 => any::<usize>().prop_map(LineEdit::DuplicateBlock),
        3 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| LineEdit::SwapBlocks(a, b)),
        2 => (any::<usize>(), 0..VALUES.len()).prop_map(|(n, v)| LineEdit::Retype(n, v)),
        1 => (any::<usize>(), 0..ODD.len()).prop_map(|(p, o)| LineEdit::Insert(p, o)),
        1 => any::<usize>().prop_map(LineEdit::Truncate),
    ]
}

/// The byte offset of the `p`-th character (wrapping), so cuts fall between characters.
fn char_boundary(text: &str, p: usize) -> usize {
    let count = text.chars().count().max(1);
    text.char_indices()
        .map(|(i, _)| i)
        .nth(p % count)
        .unwrap_or(text.len())
}

fn edit_lines(text: &str, edit: &LineEdit) -> String {
    let mut blocks: Vec<String> = text.split("\n\n").map(str::to_string).collect();
    let b = blocks.len();
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    let assignments: Vec<usize> = (0..lines.len())
        .filter(|&l| lines[l].contains(" = "))
        .collect();
    let assignment = |i: usize| assignments.get(i % assignments.len().max(1)).copied();
    match edit {
        LineEdit::DeleteLine(i) => {
            if let Some(l) = assignment(*i) {
                lines.remove(l);
            }
        }
        LineEdit::Retype(i, v) => {
            if let Some(l) = assignment(*i) {
                let key = lines[l].split(" = ").next().unwrap_or_default().to_string();
                lines[l] = format!("{key} = {}", VALUES[*v]);
            }
        }
        LineEdit::DeleteBlock(i) => {
            blocks.remove(i % b);
            return blocks.join("\n\n");
        }
        LineEdit::DuplicateBlock(i) => {
            blocks.insert(i % b, blocks[i % b].clone());
            return blocks.join("\n\n");
        }
        LineEdit::SwapBlocks(x, y) => {
            blocks.swap(x % b, y % b);
            return blocks.join("\n\n");
        }
        LineEdit::Insert(p, o) => {
            let at = char_boundary(text, *p);
            return format!("{}{}{}", &text[..at], ODD[*o], &text[at..]);
        }
        LineEdit::Truncate(p) => return text[..char_boundary(text, *p)].to_string(),
    }
    lines.join("\n")
}

/// Whether `at` names a line of `text` and a column within it (or just past its end).
fn within(text: &str, at: LineCol) -> bool {
    text.split('\n')
        .nth(at.line.wrapping_sub(1))
        .is_some_and(|line| at.col >= 1 && at.col <= line.chars().count() + 1)
}

/// Damaged valid files either fail with an error that points into the file, or parse into a
/// session whose problems point into the file and that saves and reparses to itself. Both
/// outcomes must be common: a mutator that breaks every file, or none, fails the test.
#[test]
fn damaged_files_fail_at_a_place_in_the_file_or_survive_a_save() {
    use proptest::test_runner::{Config, TestRunner};
    use std::cell::Cell;
    let files = valid_files();
    let (parsed, failed) = (Cell::new(0usize), Cell::new(0usize));
    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (0..files.len(), prop::collection::vec(line_edit(), 1..3));
    let result = runner.run(&strategy, |(which, edits)| {
        let text = edits
            .iter()
            .fold(files[which].clone(), |t, e| edit_lines(&t, e));
        match parse_bytes(text.as_bytes()) {
            Err(e) => {
                failed.set(failed.get() + 1);
                prop_assert!(within(&text, e.at), "error at {} outside:\n{text}", e.at);
                prop_assert!(!e.message.trim().is_empty());
            }
            Ok((session, positions)) => {
                parsed.set(parsed.get() + 1);
                for problem in validate(&session) {
                    let at = positions.locate(&problem.location);
                    prop_assert!(within(&text, at), "{problem:?} at {at} outside:\n{text}");
                }
                let saved = to_toml(&session).expect("serializes");
                let (again, _) = parse(&saved).map_err(|e| {
                    TestCaseError::fail(format!("{}: {}\n{saved}", e.at, e.message))
                })?;
                let mut expected = session.clone();
                expected.sort_tables();
                prop_assert_eq!(&again, &expected);
                prop_assert_eq!(to_toml(&again).expect("serializes"), saved);
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (parsed, failed) = (parsed.get(), failed.get());
    assert!(
        parsed * 5 >= parsed + failed && failed * 5 >= parsed + failed,
        "parsed {parsed}, failed {failed}: each should be at least a fifth"
    );
}

#[test]
fn the_line_edits_change_the_file() {
    let text = &valid_files()[0];
    for edit in [
        LineEdit::DeleteLine(1),
        LineEdit::DeleteBlock(1),
        LineEdit::DuplicateBlock(1),
        LineEdit::SwapBlocks(0, 1),
        LineEdit::Retype(0, 1),
        LineEdit::Insert(3, 0),
        LineEdit::Truncate(10),
    ] {
        assert_ne!(&edit_lines(text, &edit), text, "{edit:?}");
    }
}

#[cfg(unix)]
#[test]
fn saving_a_symlinked_session_edits_the_real_file_and_keeps_the_link() {
    let dir = tempfile::tempdir().expect("temp dir");
    let real = dir.path().join("real.toml");
    let link = dir.path().join("link.toml");
    std::fs::write(&real, to_toml(&Session::new("One")).expect("serializes")).expect("write");
    std::os::unix::fs::symlink("real.toml", &link).expect("symlink");
    let mut loaded = load(&link).expect("load");
    loaded.session.title = "Two".into();
    assert!(loaded.save().expect("save"));
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("link")
            .file_type()
            .is_symlink(),
        "the save replaced the symlink with a file"
    );
    assert!(
        std::fs::read_to_string(&real)
            .expect("real")
            .contains("title = \"Two\"")
    );
}

#[cfg(unix)]
#[test]
fn write_atomic_never_renames_over_a_fifo() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let fifo = dir.path().join("f.toml");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(status.success());
    let err = write_atomic(&fifo, b"x").expect_err("refused");
    assert!(
        err.to_string()
            .ends_with("f.toml: a FIFO; not writing output there"),
        "{err}"
    );
    assert!(
        std::fs::symlink_metadata(&fifo)
            .expect("fifo")
            .file_type()
            .is_fifo()
    );
}

#[test]
fn a_runs_baseline_is_optional_and_written_back_as_read() {
    // Older files have none; an empty one is not written.
    let old = "schema = 1\ntitle = \"t\"\n\n[[runs]]\ndate = 2026-11-20\nminutes = 30\n";
    let (s, _) = parse(old).expect("parses");
    assert_eq!(s.runs[0].baseline, "");
    assert_eq!(to_toml(&s).expect("serializes"), old);
    let new = "schema = 1\ntitle = \"t\"\n\n[[runs]]\ndate = 2026-11-20\nminutes = 30\nbaseline = \"41d146df4d16\"\n";
    let (s, _) = parse(new).expect("parses");
    assert_eq!(s.runs[0].baseline, "41d146df4d16");
    assert_eq!(to_toml(&s).expect("serializes"), new);
}

// ---- reading with work beside it ----

/// A session of `components` components and as many flows: large enough, from a few
/// hundred, to be read in two parts.
fn many_components(components: usize) -> String {
    let mut text = String::from("schema = 1\ntitle = \"Many\"\n");
    for c in 0..components {
        text += &format!("\n[[components]]\nid = \"c{c}\"\nname = \"C {c}\"\nkind = \"process\"\n");
    }
    for f in 0..components {
        let to = (f * 7 + 1) % components;
        text += &format!(
            "\n[[flows]]\nid = \"f{f}\"\nfrom = \"c{f}\"\nto = \"c{to}\"\nlabel = \"call {f}\"\n"
        );
    }
    text
}

#[test]
fn work_beside_the_reading_runs_once_and_the_session_reads_as_load_reads_it() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let dir = tempfile::tempdir().expect("temp dir");
    let runs = AtomicUsize::new(0);
    let beside = || runs.fetch_add(1, Ordering::SeqCst) + 1;
    // Work beside that takes long leaves the front reader most of the file.
    let slow_beside = || {
        std::thread::sleep(std::time::Duration::from_millis(30));
        runs.fetch_add(1, Ordering::SeqCst) + 1
    };

    let (missing, ran) = load_for_reading_beside(&dir.path().join("missing.toml"), beside);
    assert!(missing.is_err());
    assert_eq!(ran, 1, "run even when the file cannot be read");

    let small = dir.path().join("small.toml");
    std::fs::write(&small, many_components(3)).expect("written");
    let large = dir.path().join("large.toml");
    let text = many_components(3000);
    assert!(text.len() > 256 * 1024, "large enough to be read in pieces");
    std::fs::write(&large, &text).expect("written");
    let binary = dir.path().join("binary.toml");
    std::fs::write(&binary, "schema = 1\ntitle = \"x\0\"\n").expect("written");

    for (path, slow) in [(&small, false), (&large, false), (&large, true)] {
        let before = runs.load(Ordering::SeqCst);
        let (loaded, _) = if slow {
            load_for_reading_beside(path, slow_beside)
        } else {
            load_for_reading_beside(path, beside)
        };
        assert_eq!(
            runs.load(Ordering::SeqCst),
            before + 1,
            "{}",
            path.display()
        );
        let loaded = loaded.expect("loads");
        let whole = load(path).expect("loads");
        assert_eq!(loaded.session, whole.session);
        assert_eq!(loaded.positions, whole.positions);
        assert!(loaded.base.is_none(), "no merge base is kept for reading");
    }
    let before = runs.load(Ordering::SeqCst);
    let (binary, _) = load_for_reading_beside(&binary, beside);
    assert_eq!(runs.load(Ordering::SeqCst), before + 1);
    let message = binary.expect_err("binary").to_string();
    assert!(
        message.ends_with(
            "binary.toml:2:11: not a text file: it contains a NUL byte (is this a session file?)"
        ),
        "{message}"
    );
    // Every other file the fast path may not read fails as `load` fails it.
    let cases: [(&str, &[u8]); 4] = [
        ("empty.toml", b""),
        ("blank.toml", b"  \n\n"),
        ("latin1.toml", b"schema = 1\ntitle = \"caf\xe9\"\n"),
        ("broken.toml", b"schema = 1\ntitle = \"x\n"),
    ];
    for (name, bytes) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("written");
        let before = runs.load(Ordering::SeqCst);
        let (beside_result, _) = load_for_reading_beside(&path, beside);
        assert_eq!(runs.load(Ordering::SeqCst), before + 1, "{name}");
        let expected = load(&path).expect_err("fails").to_string();
        assert_eq!(
            beside_result.expect_err("fails").to_string(),
            expected,
            "{name}"
        );
    }
}

/// [`ReadTogether`] on two threads, with `beside` first on the second one (as `check` loads its
/// rules there).
fn load_for_reading_beside<R: Send>(
    path: &Path,
    beside: impl FnOnce() -> R + Send,
) -> (Result<LoadedSession, StoreError>, R) {
    let reading = ReadTogether::default();
    let (front, (extra, back)) = crate::parallel::join(
        || reading.lead(path),
        || {
            let extra = beside();
            (extra, reading.help())
        },
    );
    (joined(reading.finish(path, front, back)), extra)
}

/// What [`ReadTogether::finish`] gave, its positions put together.
fn joined(
    read: Result<(LoadedSession, PiecePositions), StoreError>,
) -> Result<LoadedSession, StoreError> {
    read.map(|(mut loaded, pieces)| {
        assert_eq!(loaded.positions, Positions::default(), "none until joined");
        loaded.positions = pieces.join();
        loaded
    })
}

/// When the second thread never gets to its part, the reading thread does it after its own
/// (`check` does so when that thread starts late or not at all): the pieces from the back are
/// then whatever the front left, none, and the result is the same.
#[test]
fn reading_together_on_one_thread_reads_what_load_reads() {
    let dir = tempfile::tempdir().expect("temp dir");
    let large = dir.path().join("large.toml");
    std::fs::write(&large, many_components(3000)).expect("written");
    let latin1 = dir.path().join("latin1.toml");
    std::fs::write(&latin1, b"schema = 1\ntitle = \"caf\xe9\"\n").expect("written");
    for path in [&large, &latin1] {
        let reading = ReadTogether::default();
        let front = reading.lead(path);
        let back = reading.help();
        let read = joined(reading.finish(path, front, back));
        assert!(
            reading.bytes().is_none(),
            "the bytes are let go once read, before the analysis"
        );
        match load(path) {
            Ok(whole) => {
                let read = read.expect("loads");
                assert_eq!(read.session, whole.session);
                assert_eq!(read.positions, whole.positions);
                assert_eq!(read.disk, whole.disk, "the same fingerprint");
            }
            Err(e) => assert_eq!(read.expect_err("fails").to_string(), e.to_string()),
        }
    }
    let missing = dir.path().join("missing.toml");
    let reading = ReadTogether::default();
    let front = reading.lead(&missing);
    let back = reading.help();
    assert!(reading.finish(&missing, front, back).is_err());
}

/// The fast path declines a NUL byte wherever it is, so the check for one can wait until it
/// has declined: every such file still gets the binary-file message, at the NUL.
#[test]
fn a_nul_byte_anywhere_is_reported_where_it_is() {
    for (text, at) in [
        ("schema = 1\ntitle = \"T\" # \0\n", "2:15"),
        ("schema = 1\ntitle = \"T\0\"\n", "2:11"),
        ("schema = 1\n\0title = \"T\"\n", "2:1"),
        ("schema = 1\ntitle = '''\nT\0'''\n", "3:2"),
        (
            "schema = 1\ntitle = \"T\"\n[[components]]\nid = \"a\"\nname = \"A\"\nkind = \"process\"\ntags = [\"x\", \0]\n",
            "7:14",
        ),
    ] {
        assert!(
            super::fast_parse::parse(text).is_none(),
            "fast path took {text:?}"
        );
        let e = parse(text).expect_err("binary");
        assert_eq!(
            (e.at.to_string(), e.message.as_str()),
            (
                at.to_string(),
                "not a text file: it contains a NUL byte (is this a session file?)"
            ),
            "{text:?}"
        );
    }
}
