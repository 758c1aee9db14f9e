//! Fuzzing the whole pipeline from bytes: real example sessions, mutated as TOML (entries
//! dropped, duplicated or swapped; strings made hostile or pointed at other ids; keys removed;
//! values given another type) and as bytes (bytes flipped, ranges deleted, lines duplicated or
//! swapped, hostile characters inserted, the file cut short), then parsed, validated, analysed,
//! saved and parsed again, laid out as a diagram and drawn by the app. Nothing may panic; an
//! error points into the file; whatever parses survives a save unchanged. Most cases must get
//! through to the save and the drawing, so a generator that only produces garbage fails.
//!
//! The regular suite runs a few hundred cases; longer runs set THREATBOARD_FUZZ_CASES, e.g.
//! `THREATBOARD_FUZZ_CASES=1000000 timeout 600 cargo test --release --test fuzz_session`.

mod support;

use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::cell::Cell;
use threatboard::analysis::{FindingOptions, analyze};
use threatboard::library::LibrarySet;
use threatboard::model::validate;
use threatboard::store;
use threatboard::tui::app::App;
use threatboard::tui::diagram::DiagramLayout;
use threatboard::tui::theme::Theme;
use threatboard::tui::view;
use toml::Value;

const EXAMPLES: [&str; 3] = [
    include_str!("../sessions/microservices-api-platform.toml"),
    include_str!("../sessions/three-tier-cloud-web-app.toml"),
    include_str!("../sessions/llm-support-bot.toml"),
];

/// Strings a hostile or careless file may hold.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\u{1b}]0;x\u{7}".to_string()),
        Just("\u{202e}".to_string()),
        Just("\0".to_string()),
        Just("日本語🚀".to_string()),
        Just("\"\"\"".to_string()),
        Just("[[flows]]\n".to_string()),
        Just("parent = \"vpc\"\n".to_string()),
        Just("likelihood = 99\n".to_string()),
        Just("\n".to_string()),
        Just(String::new()),
        Just("x".repeat(300)),
        "\\PC{0,8}",
    ]
}

/// A value of some other type than the one it replaces, mostly.
fn other_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Integer(-1)),
        Just(Value::Integer(i64::MAX)),
        Just(Value::Float(f64::NAN)),
        Just(Value::Boolean(true)),
        Just(Value::String("2026-13-40".into())),
        Just(Value::Array(vec![
            Value::Integer(1),
            Value::String("a".into())
        ])),
        Just(Value::Table(toml::Table::new())),
    ]
}

/// One edit of the parsed TOML document. Node numbers count every value in document order and
/// wrap around, so every number names some node.
#[derive(Debug, Clone)]
enum Edit {
    /// The n-th free-text string becomes (or gets) a hostile string.
    Hostile(usize, String, bool),
    /// The n-th free-text string takes the m-th one's text: ids point elsewhere, get
    /// duplicated.
    Rewire(usize, usize),
    /// The n-th array item is removed.
    DropItem(usize),
    /// The n-th array item is duplicated.
    DuplicateItem(usize),
    /// The n-th array item swaps places with the one m further on.
    SwapItems(usize, usize),
    /// The n-th key of some table is removed.
    DropKey(usize),
    /// The n-th value is replaced by one of another type.
    Retype(usize, Value),
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Delete(usize, usize),
    Insert(usize, String),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<usize>(), hostile(), any::<bool>()).prop_map(|(n, s, append)| Edit::Hostile(n, s, append)),
        3 => (any::<usize>(), any::<usize>()).prop_map(|(n, m)| Edit::Rewire(n, m)),
        3 => any::<usize>().prop_map(Edit::DropItem),
        2 => any::<usize>().prop_map(Edit::DuplicateItem),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(n, m)| Edit::SwapItems(n, m)),
        1 => any::<usize>().prop_map(Edit::DropKey),
    ]
}

/// An edit that mostly breaks the file: a value of the wrong type.
fn retype() -> impl Strategy<Value = Edit> {
    (any::<usize>(), other_value()).prop_map(|(n, v)| Edit::Retype(n, v))
}

/// Damage to the written text, after the TOML edits.
fn damage() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Mutation::Flip(p, b)),
        1 => (any::<usize>(), 0usize..200).prop_map(|(p, n)| Mutation::Delete(p, n)),
        1 => (any::<usize>(), hostile()).prop_map(|(p, s)| Mutation::Insert(p, s)),
        1 => any::<usize>().prop_map(Mutation::DuplicateLine),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
    ]
}

/// Calls `f` on `v` and every value below it in document order, with the key it is under
/// (array items are under their array's key).
fn walk(v: &mut Value, key: &str, f: &mut dyn FnMut(&str, &mut Value)) {
    f(key, v);
    match v {
        Value::Array(items) => items.iter_mut().for_each(|i| walk(i, key, f)),
        Value::Table(table) => table.iter_mut().for_each(|(k, i)| walk(i, k, f)),
        _ => {}
    }
}

/// Fields whose strings are one of a few words or a fixed format: a hostile string there is
/// a parse error, which `Retype` and the byte damage already reach; elsewhere it gets through
/// to the checks, the save and the screens.
const FORMATTED: [&str; 7] = [
    "kind",
    "status",
    "response",
    "stride",
    "classification",
    "not_applicable",
    "refs",
];

fn free_text(key: &str, v: &Value) -> bool {
    v.is_str() && !FORMATTED.contains(&key)
}

fn strings(v: &mut Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(v, "", &mut |key, v| {
        if let (true, Value::String(s)) = (free_text(key, v), &v) {
            out.push(s.clone());
        }
    });
    out
}

/// Applies `f` to the n-th (wrapping) value for which `pick` holds.
fn on_nth(
    v: &mut Value,
    n: usize,
    pick: &dyn Fn(&str, &Value) -> bool,
    f: &mut dyn FnMut(&mut Value),
) {
    let mut count = 0;
    walk(v, "", &mut |key, v| count += usize::from(pick(key, v)));
    if count == 0 {
        return;
    }
    let target = n % count;
    let mut seen = 0;
    let mut done = false;
    walk(v, "", &mut |key, v| {
        if !done && pick(key, v) {
            if seen == target {
                f(v);
                done = true;
            }
            seen += 1;
        }
    });
}

fn non_empty_array(_: &str, v: &Value) -> bool {
    matches!(v, Value::Array(a) if !a.is_empty())
}

fn non_empty_table(_: &str, v: &Value) -> bool {
    matches!(v, Value::Table(t) if !t.is_empty())
}

fn apply_edit(doc: &mut Value, edit: &Edit) {
    match edit {
        Edit::Hostile(n, s, append) => on_nth(doc, *n, &free_text, &mut |v| {
            if let Value::String(old) = v {
                *old = if *append {
                    format!("{old}{s}")
                } else {
                    s.clone()
                };
            }
        }),
        Edit::Rewire(n, m) => {
            let all = strings(doc);
            if let Some(text) = all.get(m % all.len().max(1)).cloned() {
                on_nth(doc, *n, &free_text, &mut |v| {
                    *v = Value::String(text.clone())
                });
            }
        }
        Edit::DropItem(n) => on_nth(doc, *n, &non_empty_array, &mut |v| {
            if let Value::Array(a) = v {
                a.remove(n % a.len());
            }
        }),
        Edit::DuplicateItem(n) => on_nth(doc, *n, &non_empty_array, &mut |v| {
            if let Value::Array(a) = v {
                let i = n % a.len();
                a.insert(i, a[i].clone());
            }
        }),
        Edit::SwapItems(n, m) => on_nth(doc, *n, &non_empty_array, &mut |v| {
            if let Value::Array(a) = v {
                let len = a.len();
                a.swap(n % len, (n % len + m) % len);
            }
        }),
        Edit::DropKey(n) => on_nth(doc, *n, &non_empty_table, &mut |v| {
            if let Value::Table(t) = v {
                let key = t.keys().nth(n % t.len()).cloned().unwrap_or_default();
                t.remove(&key);
            }
        }),
        Edit::Retype(n, new) => on_nth(doc, *n, &|_, v| !v.is_table(), &mut |v| *v = new.clone()),
    }
}

/// The example as TOML with `edits`, written out, then with `damage` to its bytes, in order.
fn apply(text: &str, edits: &[Edit], damage: &[Mutation]) -> Vec<u8> {
    let mut doc = Value::Table(toml::from_str(text).expect("example parses as TOML"));
    for edit in edits {
        apply_edit(&mut doc, edit);
    }
    // A float NaN or a key TOML cannot write: keep the text as it was.
    let mut bytes = toml::to_string(&doc)
        .unwrap_or_else(|_| text.to_string())
        .into_bytes();
    for m in damage {
        let len = bytes.len().max(1);
        match m {
            Mutation::Flip(p, b) => {
                if !bytes.is_empty() {
                    bytes[p % len] = *b;
                }
            }
            Mutation::Delete(p, n) => {
                let start = p % len;
                let end = (start + n).min(bytes.len());
                if start < end {
                    bytes.drain(start..end);
                }
            }
            Mutation::Insert(p, s) => {
                let at = p % (bytes.len() + 1);
                bytes.splice(at..at, s.bytes());
            }
            Mutation::Truncate(p) => bytes.truncate(p % len),
            Mutation::DuplicateLine(p) | Mutation::SwapLines(p, _) => {
                let mut lines: Vec<Vec<u8>> =
                    bytes.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
                let n = lines.len();
                let i = p % n;
                if let Mutation::SwapLines(_, q) = m {
                    lines.swap(i, q % n);
                } else {
                    let line = lines[i].clone();
                    lines.insert(i, line);
                }
                bytes = lines.join(&b'\n');
            }
        }
    }
    bytes
}

/// How far the cases got.
#[derive(Debug, Default)]
struct Reached {
    cases: Cell<usize>,
    parsed: Cell<usize>,
    saved: Cell<usize>,
    drawn: Cell<usize>,
}

fn bump(counter: &Cell<usize>) {
    counter.set(counter.get() + 1);
}

/// Whether `at` is a line and column inside `bytes` (one past a line's end included).
fn within(bytes: &[u8], at: store::LineCol) -> bool {
    let text = String::from_utf8_lossy(bytes);
    text.split('\n')
        .nth(at.line.wrapping_sub(1))
        .is_some_and(|line| at.col >= 1 && at.col <= line.chars().count() + 1)
}

/// Parses, validates, analyses, saves and reparses, lays out and draws one mutated file.
fn pipeline(bytes: &[u8], reached: &Reached) -> Result<(), TestCaseError> {
    bump(&reached.cases);
    let (session, positions) = match store::parse_bytes(bytes) {
        Ok(parsed) => parsed,
        Err(e) => {
            prop_assert!(within(bytes, e.at), "error at {} is outside the file", e.at);
            prop_assert!(!e.message.is_empty());
            return Ok(());
        }
    };
    bump(&reached.parsed);
    for problem in validate(&session) {
        let at = positions.locate(&problem.location);
        prop_assert!(within(bytes, at), "{problem:?} at {at} is outside the file");
    }
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default();
    // With the shipped threat rules, so mutated elements go through the rules engine too.
    static SHIPPED: std::sync::OnceLock<LibrarySet> = std::sync::OnceLock::new();
    let libraries = SHIPPED.get_or_init(|| LibrarySet::shipped().unwrap_or_else(|e| *e.partial));
    let analysis = analyze(
        &session,
        &FindingOptions {
            today,
            max_age_days: Some(30),
            rules: Some(libraries.rules()),
        },
    );
    prop_assert!(analysis.coverage.percent() <= 100.0);
    for finding in &analysis.findings {
        let at = positions.locate(&finding.location);
        prop_assert!(within(bytes, at), "{finding:?} at {at} is outside the file");
    }
    let saved = store::to_toml(&session).expect("serializes");
    let (again, _) = store::parse(&saved)
        .map_err(|e| TestCaseError::fail(format!("{}: {}\n{saved}", e.at, e.message)))?;
    let mut expected = session.clone();
    expected.sort_tables();
    prop_assert_eq!(&again, &expected);
    prop_assert_eq!(store::to_toml(&again).expect("serializes"), saved);
    bump(&reached.saved);
    let _ = DiagramLayout::compute(&session);
    let mut app = App::open(
        store::LoadedSession::unsaved(session, "fuzz.toml"),
        Theme::plain(),
        today,
    );
    let mut terminal =
        Terminal::new(TestBackend::new(80, 24)).map_err(|e| TestCaseError::fail(e.to_string()))?;
    terminal
        .draw(|f| view::draw(&app, f))
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    // Every question's screen, and the diagram, drawn from the mutated session.
    for key in [
        KeyCode::Esc,
        KeyCode::Char('l'),
        KeyCode::Char('l'),
        KeyCode::Char('2'),
        KeyCode::Char('3'),
        KeyCode::Char('4'),
    ] {
        app.handle_key(KeyEvent::new(key, KeyModifiers::NONE));
        terminal
            .draw(|f| view::draw(&app, f))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
    bump(&reached.drawn);
    Ok(())
}

#[test]
fn mutated_sessions_never_panic_and_most_reach_save_and_draw() {
    let config = ProptestConfig {
        cases: support::fuzz_cases(200),
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let reached = Reached::default();
    let mut runner = TestRunner::new(config);
    // One case in seven also gets its text damaged: those mostly fail to parse, and
    // must fail with an error that points into the file.
    let cases = (
        0..EXAMPLES.len(),
        proptest::collection::vec(prop_oneof![20 => edit(), 1 => retype()], 1..4),
        proptest::option::weighted(0.15, proptest::collection::vec(damage(), 1..4)),
    );
    if let Err(e) = runner.run(&cases, |(which, edits, damage)| {
        pipeline(
            &apply(EXAMPLES[which], &edits, &damage.unwrap_or_default()),
            &reached,
        )
    }) {
        panic!("{e}");
    }
    let cases = reached.cases.get();
    eprintln!("{reached:?}");
    // Fewer would mean the generator mostly makes files the parser rejects at once.
    for (what, n) in [
        ("saved", reached.saved.get()),
        ("drawn", reached.drawn.get()),
    ] {
        assert!(
            n * 100 >= cases * 60,
            "only {n} of {cases} cases {what}: {reached:?}"
        );
    }
    assert!(
        reached.parsed.get() < cases,
        "no mutation broke a file: {reached:?}"
    );
}

#[test]
fn the_toml_edits_change_the_example() {
    for edit in [
        Edit::Hostile(3, "\u{1b}".into(), true),
        Edit::Rewire(0, 5),
        Edit::DropItem(1),
        Edit::DuplicateItem(2),
        Edit::SwapItems(5, 1),
        Edit::DropKey(4),
        Edit::Retype(7, Value::Boolean(true)),
    ] {
        let edited = apply(EXAMPLES[0], std::slice::from_ref(&edit), &[]);
        assert!(
            edited != apply(EXAMPLES[0], &[], &[]),
            "{edit:?} changed nothing"
        );
    }
}
