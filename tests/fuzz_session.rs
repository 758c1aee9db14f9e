//! Fuzzing the whole pipeline from bytes: real example sessions, mutated (bytes flipped,
//! ranges deleted, lines duplicated or swapped, hostile characters inserted), then parsed,
//! validated, analysed, saved and parsed again, laid out as a diagram and drawn by the app.
//! Nothing may panic, and whatever parses must survive a save unchanged.
//!
//! The regular suite runs a few hundred cases; longer runs set THREATBOARD_FUZZ_CASES, e.g.
//! `THREATBOARD_FUZZ_CASES=1000000 timeout 600 cargo test --release --test fuzz_session`.

mod support;

use proptest::prelude::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use threatboard::analysis::{FindingOptions, analyze};
use threatboard::model::validate;
use threatboard::store;
use threatboard::tui::app::App;
use threatboard::tui::diagram::DiagramLayout;
use threatboard::tui::theme::Theme;
use threatboard::tui::view;

const EXAMPLES: [&str; 3] = [
    include_str!("../sessions/microservices-api-platform.toml"),
    include_str!("../sessions/three-tier-cloud-web-app.toml"),
    include_str!("../sessions/llm-support-bot.toml"),
];

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Delete(usize, usize),
    Insert(usize, String),
    DuplicateLine(usize),
    SwapLines(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let hostile = prop_oneof![
        Just("\u{1b}]0;x\u{7}".to_string()),
        Just("\u{202e}".to_string()),
        Just("\0".to_string()),
        Just("日本語🚀".to_string()),
        Just("\"\"\"".to_string()),
        Just("[[flows]]\n".to_string()),
        Just("parent = \"vpc\"\n".to_string()),
        Just("likelihood = 99\n".to_string()),
        Just("\n".to_string()),
        "\\PC{0,8}",
    ];
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Mutation::Flip(p, b)),
        (any::<usize>(), 0usize..200).prop_map(|(p, n)| Mutation::Delete(p, n)),
        (any::<usize>(), hostile).prop_map(|(p, s)| Mutation::Insert(p, s)),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
    ]
}

fn apply(text: &str, mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    for m in mutations {
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

proptest! {
    #![proptest_config(ProptestConfig { cases: support::fuzz_cases(200), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_sessions_never_panic_and_survive_a_save(
        which in 0usize..3,
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let bytes = apply(EXAMPLES[which], &mutations);
        let Ok((session, positions)) = store::parse_bytes(&bytes) else {
            return Ok(());
        };
        for problem in validate(&session) {
            let at = positions.locate(&problem.location);
            prop_assert!(at.line >= 1 && at.col >= 1);
        }
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default();
        let analysis = analyze(&session, &FindingOptions { today, max_age_days: Some(30) });
        prop_assert!(analysis.coverage.percent() <= 100.0);
        let saved = store::to_toml(&session);
        let (again, _) = store::parse(&saved).map_err(|e| TestCaseError::fail(format!("{}: {}", e.at, e.message)))?;
        let mut expected = session.clone();
        expected.sort_tables();
        prop_assert_eq!(&again, &expected);
        let _ = DiagramLayout::compute(&session);
        let mut app = App::open(store::LoadedSession::unsaved(session, "fuzz.toml"), Theme::plain(), today);
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        terminal.draw(|f| view::draw(&app, f)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        // Every question's screen, and the diagram, drawn from the mutated session.
        for key in [KeyCode::Esc, KeyCode::Char('l'), KeyCode::Char('l'), KeyCode::Char('2'), KeyCode::Char('3'), KeyCode::Char('4')] {
            app.handle_key(KeyEvent::new(key, KeyModifiers::NONE));
            terminal.draw(|f| view::draw(&app, f)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
    }
}
