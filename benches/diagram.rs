//! The diagram on question 1 for a generated model of 1,000 components and 5,000 flows.
//! Target (issue 4): rendering one frame of the diagram under 5 ms. The layout is computed once
//! per model change, not per frame; it is measured too.
//!
//! Run with `cargo bench --bench diagram`.

mod support;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;
use threatboard::model::Session;
use threatboard::store;
use threatboard::tui::diagram::{CrossingList, DiagramLayout, DiagramView};
use threatboard::tui::theme::Theme;

fn main() {
    divan::main();
}

fn generated(components: usize) -> Session {
    store::parse(&support::generated_session_toml(components))
        .expect("the generated session parses")
        .0
}

/// Lay out the whole diagram: what happens once after each edit to the model.
#[divan::bench(args = [100, 1000], sample_count = 10)]
fn layout(bencher: divan::Bencher, components: usize) {
    let session = generated(components);
    bencher.bench_local(|| divan::black_box(DiagramLayout::compute(&session)));
}

/// One 120x40 frame of the diagram, at the top-left and scrolled into the middle of the canvas
/// where gutters are most crowded.
#[divan::bench(args = ["top-left", "middle"], sample_count = 200)]
fn render_frame_120x40(bencher: divan::Bencher, at: &str) {
    let session = generated(1000);
    let layout = DiagramLayout::compute(&session);
    let (w, h) = layout.size();
    let scroll = match at {
        "top-left" => (0, 0),
        _ => (w / 2, h / 4),
    };
    let area = Rect::new(0, 0, 120, 40);
    let mut buf = Buffer::empty(area);
    bencher.bench_local(|| {
        DiagramView {
            layout: &layout,
            scroll,
            theme: Theme { color: true },
            selected: Some("c500"),
        }
        .render(area, &mut buf);
        divan::black_box(&buf);
    });
}

/// The list of boundary-crossing flows beside the diagram, 40 columns by 40 rows.
#[divan::bench(sample_count = 200)]
fn render_crossing_list(bencher: divan::Bencher) {
    let session = generated(1000);
    let layout = DiagramLayout::compute(&session);
    let area = Rect::new(0, 0, 40, 40);
    let mut buf = Buffer::empty(area);
    bencher.bench_local(|| {
        CrossingList {
            layout: &layout,
            theme: Theme { color: true },
        }
        .render(area, &mut buf);
        divan::black_box(&buf);
    });
}
