//! The facilitator's screen on a large model: one frame of each question and of the diagram,
//! and the time from a key press to the next frame. Target (issue 4): a frame under 5 ms for a
//! session of 1,000 components and 5,000 flows.
//!
//! Run with `cargo bench --bench tui`.

mod support;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use threatboard::tui::app::App;
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
    App::open(
        threatboard::store::LoadedSession::unsaved(session, "bench.toml"),
        Theme::from_env(),
        today,
    )
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
