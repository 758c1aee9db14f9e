//! The analysis engine and the CI gate on generated models of 100, 1,000 and 5,000 components
//! with five flows each. Target (issue 6): under 50 ms for 1,000 components.
//!
//! Run with `cargo bench --bench analysis`.

mod support;

use threatboard::analysis::{FindingOptions, analyze};
use threatboard::model::validate;
use threatboard::report::check::{CheckedFile, json};
use threatboard::store;

fn main() {
    divan::main();
}

fn options() -> FindingOptions<'static> {
    FindingOptions {
        today: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"),
        max_age_days: Some(90),
        rules: None,
    }
}

/// Crossings, coverage, findings and attack paths on a parsed model.
#[divan::bench(args = [100, 1000, 5000], sample_count = 20)]
fn analyze_model(bencher: divan::Bencher, components: usize) {
    let (session, _) = store::parse(&support::generated_session_toml(components)).expect("parses");
    bencher.bench_local(|| divan::black_box(analyze(&session, &options())));
}

/// The analysis exactly as `check` runs it: with the shipped threat rules, whose open
/// suggestions are most of the findings (TB015). Target (issue 17): 4 ms at 1,000 components.
#[divan::bench(args = [1000], sample_count = 40)]
fn analyze_model_with_shipped_rules(bencher: divan::Bencher, components: usize) {
    let libraries = threatboard::library::LibrarySet::shipped().expect("shipped rules load");
    let (session, _) = store::parse(&support::generated_session_toml(components)).expect("parses");
    let options = FindingOptions {
        rules: Some(libraries.rules()),
        ..options()
    };
    bencher.bench_local(|| divan::black_box(analyze(&session, &options)));
}

/// What `threatboard check --format json` does after reading the file: parse, validate,
/// analyse, render.
#[divan::bench(args = [100, 1000, 5000], sample_count = 20)]
fn check_pipeline(bencher: divan::Bencher, components: usize) {
    let text = support::generated_session_toml(components);
    bencher.bench_local(|| {
        let (session, positions) = store::parse(&text).expect("parses");
        let problems = validate(&session)
            .iter()
            .map(|p| (positions.locate(&p.location), p.to_string()))
            .collect();
        let analysis = analyze(&session, &options());
        let file = CheckedFile {
            path: "generated.toml".into(),
            positions,
            problems,
            analysis,
            fail_on: threatboard::analysis::Severity::High,
            config: None,
        };
        divan::black_box(json(&[file]))
    });
}

/// The parse step alone, to see where the pipeline's time goes.
#[divan::bench(args = [1000], sample_count = 10)]
fn parse_only(bencher: divan::Bencher, components: usize) {
    let text = support::generated_session_toml(components);
    bencher.bench_local(|| divan::black_box(store::parse(&text).expect("parses")));
}

/// Validation alone.
#[divan::bench(args = [1000], sample_count = 10)]
fn validate_only(bencher: divan::Bencher, components: usize) {
    let (session, _) = store::parse(&support::generated_session_toml(components)).expect("parses");
    bencher.bench_local(|| divan::black_box(validate(&session)));
}
