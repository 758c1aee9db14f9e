//! The facilitator's screen on a large model: one frame of each question and of the diagram,
//! and the time from a key press to the next frame. Target (issue 4): a frame under 5 ms for a
//! session of 1,000 components and 5,000 flows.
//!
//! Run with `cargo bench --bench tui`.

mod support;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use threatboard::tui::app::{App, Screen};
use threatboard::tui::theme::Theme;
use threatboard::tui::view;

fn main() {
    divan::main();
}

fn app(components: usize) -> App {
    let text = support::generated_session_toml(components);
    let (session, _) = threatboard::store::parse(&text).expect("parses");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).expect("date");
    // The generated session has a run on that day, so no run form opens.
    let mut app = App::open(
        threatboard::store::LoadedSession::unsaved(session, support::session_path()),
        Theme::from_env(),
        today,
    );
    // As the event loop does: the terminal's size (the benches draw at 120x40).
    app.set_viewport((120, 40));
    app
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

#[divan::bench(sample_count = 30)]
fn frame_question1_list(bencher: divan::Bencher) {
    let app = app(1000);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    bencher.bench_local(|| {
        terminal.draw(|f| view::draw(&app, f)).expect("draws");
    });
}

#[divan::bench(sample_count = 30)]
fn frame_question1_diagram(bencher: divan::Bencher) {
    let mut app = app(1000);
    app.handle_key(key(KeyCode::Right));
    app.handle_key(key(KeyCode::Right));
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    bencher.bench_local(|| {
        terminal.draw(|f| view::draw(&app, f)).expect("draws");
    });
}

/// One frame of each of questions 2, 3 and 4: the element list with its STRIDE marks, the
/// threats by risk with their mitigations, and the review.
#[divan::bench(args = ['2', '3', '4'], sample_count = 30)]
fn frame_question(bencher: divan::Bencher, question: char) {
    let mut app = app(1000);
    app.handle_key(key(KeyCode::Char(question)));
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    bencher.bench_local(|| {
        terminal.draw(|f| view::draw(&app, f)).expect("draws");
    });
}

/// Moving the selection: key handling plus the next frame.
#[divan::bench(sample_count = 30)]
fn key_to_frame_navigation(bencher: divan::Bencher) {
    let mut app = app(1000);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    let mut down = true;
    bencher.bench_local(|| {
        app.handle_key(key(if down { KeyCode::Down } else { KeyCode::Up }));
        down = !down;
        terminal.draw(|f| view::draw(&app, f)).expect("draws");
    });
}

/// An edit (moving an entry): the edit, re-validation, re-analysis, a new diagram layout, and
/// the next frame.
#[divan::bench(sample_count = 20)]
fn key_to_frame_edit(bencher: divan::Bencher) {
    let mut app = app(1000);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    let mut down = true;
    bencher.bench_local(|| {
        let shifted = KeyEvent::new(
            KeyCode::Char(if down { 'J' } else { 'K' }),
            KeyModifiers::SHIFT,
        );
        app.handle_key(shifted);
        down = !down;
        terminal.draw(|f| view::draw(&app, f)).expect("draws");
    });
}

/// A typed edit through the form: the selected component renamed (e, clear, a new name,
/// Enter), then the next frame. Alternates between two names.
#[divan::bench(sample_count = 20)]
fn key_to_frame_rename_component(bencher: divan::Bencher) {
    let mut app = app(1000);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    let mut flip = true;
    bencher.bench_local(|| {
        app.handle_key(key(KeyCode::Char('e')));
        app.handle_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        app.handle_key(key(KeyCode::Char(if flip { 'A' } else { 'B' })));
        app.handle_key(key(KeyCode::Enter));
        flip = !flip;
        terminal.draw(|f| view::draw(&app, f)).expect("draws");
    });
}

/// A typed edit through question 1's quick-add line: a flow added (the line is open, the
/// Enter adds it), then the next frame; every other time the flow is undone instead.
#[divan::bench(sample_count = 20)]
fn key_to_frame_quick_add_flow(bencher: divan::Bencher) {
    let mut app = app(1000);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    let mut add = true;
    bencher.bench_local(|| {
        if add {
            app.handle_key(key(KeyCode::Char('i')));
            for c in "c1 -> c2 : bench".chars() {
                app.handle_key(key(KeyCode::Char(c)));
            }
            app.handle_key(key(KeyCode::Enter));
            app.handle_key(key(KeyCode::Esc));
        } else {
            app.handle_key(key(KeyCode::Char('u')));
        }
        add = !add;
        terminal.draw(|f| view::draw(&app, f)).expect("draws");
    });
}

/// An edit in question 2: the selected threat's likelihood cycled (L), then the next frame.
#[divan::bench(sample_count = 20)]
fn key_to_frame_likelihood(bencher: divan::Bencher) {
    let mut app = app(1000);
    app.handle_key(key(KeyCode::Char('2')));
    // A component with a threat (the list starts with flows, which have none), then its
    // threats.
    let App {
        screen, libraries, ..
    } = &mut app;
    if let Screen::Session(s) = screen {
        let s = &mut **s;
        assert!(
            s.threats
                .select(&s.loaded.session, &s.derived, libraries.rules(), "c3")
        );
    }
    app.handle_key(key(KeyCode::Right));
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    bencher.bench_local(|| {
        app.handle_key(KeyEvent::new(KeyCode::Char('L'), KeyModifiers::SHIFT));
        terminal.draw(|f| view::draw(&app, f)).expect("draws");
    });
}

/// The start: the session opened (its libraries loaded, everything derived) to the first
/// frame drawn. Target (issue 17): 30 ms at 1,000 components.
#[divan::bench(args = [1000, 10000], sample_count = 10)]
fn first_frame(bencher: divan::Bencher, components: usize) {
    let text = support::generated_session_toml(components);
    let (session, _) = threatboard::store::parse(&text).expect("parses");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).expect("date");
    bencher
        .with_inputs(|| {
            (
                threatboard::store::LoadedSession::unsaved(
                    session.clone(),
                    support::session_path(),
                ),
                Terminal::new(TestBackend::new(120, 40)).expect("terminal"),
            )
        })
        .bench_local_values(|(loaded, mut terminal)| {
            let app = App::open(loaded, Theme::from_env(), today);
            terminal.draw(|f| view::draw(&app, f)).expect("draws");
            (app, terminal)
        });
}

/// The same edit with more rules in force: the shipped ones `copies` times over (12 copies
/// stand for a full rules file of about sixty). Question 2 counts every element's open
/// suggestions after each change.
#[divan::bench(args = [12], sample_count = 20)]
fn key_to_frame_edit_with_rules(bencher: divan::Bencher, copies: usize) {
    let mut app = app(1000);
    let libraries = app.libraries.clone().with_rules(rules_times(copies));
    app.use_libraries(libraries);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    let mut down = true;
    bencher.bench_local(|| {
        let shifted = KeyEvent::new(
            KeyCode::Char(if down { 'J' } else { 'K' }),
            KeyModifiers::SHIFT,
        );
        app.handle_key(shifted);
        down = !down;
        terminal.draw(|f| view::draw(&app, f)).expect("draws");
    });
}

/// Moving through question 2's elements: each new element's suggestions are written out
/// (with `copies` times the shipped rules), then the frame.
#[divan::bench(args = [1, 12], sample_count = 30)]
fn key_to_frame_navigation_question2(bencher: divan::Bencher, copies: usize) {
    let mut app = app(1000);
    let libraries = app.libraries.clone().with_rules(rules_times(copies));
    app.use_libraries(libraries);
    app.handle_key(key(KeyCode::Char('2')));
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    let mut down = true;
    bencher.bench_local(|| {
        app.handle_key(key(if down { KeyCode::Down } else { KeyCode::Up }));
        down = !down;
        terminal.draw(|f| view::draw(&app, f)).expect("draws");
    });
}

/// Every suggestion of the model written out (what `threatboard suggest` does, and what
/// question 2 avoids per change by counting instead): `copies` times the shipped rules.
#[divan::bench(args = [1, 12], sample_count = 20)]
fn suggest_whole_model(bencher: divan::Bencher, copies: usize) {
    let text = support::generated_session_toml(1000);
    let (session, _) = threatboard::store::parse(&text).expect("parses");
    let rules = rules_times(copies);
    let graph = threatboard::analysis::ModelGraph::new(&session);
    bencher.bench_local(|| divan::black_box(rules.suggest(&graph, None).len()));
}

/// Counting the open suggestions per element, as question 2 does after every change.
#[divan::bench(args = [1, 12], sample_count = 20)]
fn open_counts_whole_model(bencher: divan::Bencher, copies: usize) {
    let text = support::generated_session_toml(1000);
    let (session, _) = threatboard::store::parse(&text).expect("parses");
    let rules = rules_times(copies);
    let graph = threatboard::analysis::ModelGraph::new(&session);
    bencher.bench_local(|| divan::black_box(rules.open_counts(&graph).len()));
}

/// The shipped rules file `copies` times over, ids made unique.
fn rules_times(copies: usize) -> threatboard::rules::RuleSet {
    let (_, shipped) = threatboard::library::shipped_files()
        .iter()
        .find(|(_, text)| threatboard::rules::is_rules_file(text))
        .expect("a shipped rules file");
    let files: Vec<_> = (0..copies)
        .map(|i| {
            let text = shipped.replace("\nid = \"", &format!("\nid = \"c{i}-"));
            threatboard::rules::parse_rules(
                &text,
                threatboard::library::Origin::Text(format!("copy{i}")),
            )
            .expect("parses")
        })
        .collect();
    threatboard::rules::RuleSet::build(&files).0
}
