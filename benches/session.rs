//! Loading, validating and saving session files.
//!
//! Run with `cargo bench --bench session`. The example sessions are read from `sessions/`; the
//! largest one is the figure the foundation issue asks for, and a generated 1,000-component
//! model shows how the store scales.

mod support;

use std::path::{Path, PathBuf};
use threatboard::model::validate;
use threatboard::store;

fn main() {
    divan::main();
}

fn largest_example() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sessions");
    std::fs::read_dir(&dir)
        .expect("sessions/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .max_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .expect("at least one example session")
}

/// Read the file, parse, validate, and save it back atomically to a scratch copy.
#[divan::bench]
fn load_validate_save_largest_example(bencher: divan::Bencher) {
    let source = largest_example();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("copy.toml");
    std::fs::copy(&source, &path).expect("copy example");
    bencher.bench_local(|| {
        let mut loaded = store::load(&path).expect("example loads");
        let problems = validate(&loaded.session);
        assert!(problems.is_empty());
        // Force a real write each time: an unchanged session would write nothing.
        loaded.session.title.push('.');
        loaded.save().expect("save");
        loaded.session.title.pop();
        loaded.save().expect("save back");
    });
}

/// Parse + validate + serialize without touching the disk.
#[divan::bench]
fn parse_validate_serialize_largest_example(bencher: divan::Bencher) {
    let text = std::fs::read_to_string(largest_example()).expect("example reads");
    bencher.bench_local(|| {
        let (session, _) = store::parse(divan::black_box(&text)).expect("parses");
        let problems = validate(&session);
        divan::black_box((problems, store::to_toml(&session).expect("serializes")))
    });
}

#[divan::bench(args = [100, 1000])]
fn parse_validate_serialize_generated(bencher: divan::Bencher, components: usize) {
    let text = support::generated_session_toml(components);
    bencher.bench_local(|| {
        let (session, _) = store::parse(divan::black_box(&text)).expect("parses");
        let problems = validate(&session);
        divan::black_box((problems, store::to_toml(&session).expect("serializes")))
    });
}

/// The stages of `check` on the comparison script's model shape (issue 17): parse (TOML with
/// positions), validate, and both, at 1,000, 10,000 and 30,000 components, to see where the
/// time goes and that it grows linearly.
#[divan::bench(args = [1000, 10000, 30000], sample_count = 10)]
fn parse_generated(bencher: divan::Bencher, components: usize) {
    let text = support::generated_session_toml(components);
    bencher
        .bench_local(|| divan::black_box(store::parse(divan::black_box(&text)).expect("parses")));
}

#[divan::bench(args = [1000, 10000, 30000], sample_count = 10)]
fn validate_generated(bencher: divan::Bencher, components: usize) {
    let text = support::generated_session_toml(components);
    let (session, _) = store::parse(&text).expect("parses");
    bencher.bench_local(|| divan::black_box(validate(divan::black_box(&session))));
}

#[divan::bench(args = [1000, 10000, 30000], sample_count = 10)]
fn parse_validate_generated(bencher: divan::Bencher, components: usize) {
    let text = support::generated_session_toml(components);
    bencher.bench_local(|| {
        let (session, positions) = store::parse(divan::black_box(&text)).expect("parses");
        let problems = validate(&session);
        divan::black_box((session, positions, problems))
    });
}

/// Loading the threat rules as `check` does (no team folder): a fixed cost of every run.
#[divan::bench(sample_count = 20)]
fn check_rules_loading(bencher: divan::Bencher) {
    bencher.bench_local(|| {
        divan::black_box(threatboard::library::load_rules_for_session(None, &[]).expect("loads"))
    });
}
