//! The threat rules engine with the shipped rules: suggestions for one element, and for the
//! whole generated model of 1,000 components and 5,000 flows, whose components are given
//! technologies and whose flows protocols so that the rules have something to fire on.
//!
//! Run with `cargo bench --bench rules`. Targets (issue 12): one element under 1 ms, the whole
//! model under 50 ms (medians).

mod support;

use threatboard::analysis::{FindingOptions, ModelGraph, analyze};
use threatboard::library::{LibrarySet, Origin};
use threatboard::model::{ComponentKind, Session, Technology};
use threatboard::rules::{RuleFile, RuleSet};
use threatboard::store;

fn main() {
    divan::main();
}

fn shipped() -> LibrarySet {
    match LibrarySet::shipped() {
        Ok(set) => set,
        Err(e) => panic!("shipped libraries and rules load: {e}"),
    }
}

/// At least `count` rules: the shipped ones, repeated under new ids, so the engine's cost can be
/// seen at the size the shipped rules file is growing to, whatever it holds today.
fn at_least(count: usize) -> RuleSet {
    let libraries = shipped();
    let base = libraries.rules().rules();
    assert!(!base.is_empty(), "rules are shipped");
    let rules = (0..count.div_ceil(base.len()))
        .flat_map(|copy| {
            base.iter().map(move |r| {
                let mut r = r.clone();
                r.id = format!("{}-{copy}", r.id);
                r
            })
        })
        .collect();
    let file = RuleFile {
        id: "bench".into(),
        name: "bench".into(),
        origin: Origin::Text("bench".into()),
        rules,
        disable: Vec::new(),
        disable_at: Vec::new(),
    };
    RuleSet::build(&[file]).0
}

/// The generated model, with a technology on every component (by kind) and a protocol on every
/// flow, cycling through the vocabularies so every family of rule has elements to match.
fn model(components: usize) -> Session {
    let (mut session, _) =
        store::parse(&support::generated_session_toml(components)).expect("parses");
    const EXTERNAL: [Technology; 4] = [
        Technology::User,
        Technology::Browser,
        Technology::ThirdPartyService,
        Technology::PaymentProvider,
    ];
    const STORES: [Technology; 5] = [
        Technology::Database,
        Technology::ObjectStorage,
        Technology::Cache,
        Technology::MessageQueue,
        Technology::LogStore,
    ];
    const PROCESSES: [Technology; 8] = [
        Technology::Api,
        Technology::WebApp,
        Technology::ApiGateway,
        Technology::Llm,
        Technology::ServerlessFunction,
        Technology::IdentityProvider,
        Technology::BatchJob,
        Technology::CiPipeline,
    ];
    for (i, c) in session.components.iter_mut().enumerate() {
        let list: &[Technology] = match c.kind {
            ComponentKind::ExternalEntity => &EXTERNAL,
            ComponentKind::DataStore => &STORES,
            ComponentKind::Process => &PROCESSES,
        };
        c.technology = Some(list[(i / 10) % list.len()]);
    }
    const PROTOCOLS: [&str; 10] = [
        "HTTPS/JSON",
        "http",
        "PostgreSQL",
        "gRPC",
        "Kafka",
        "redis",
        "wss",
        "SMTP",
        "SFTP",
        "LDAPS",
    ];
    for (i, f) in session.flows.iter_mut().enumerate() {
        f.protocol = PROTOCOLS[(i / 3) % PROTOCOLS.len()].into();
    }
    session
}

/// Every suggestion on the model, with its graph already built (as the app and `check` have it).
#[divan::bench(args = [1000], sample_count = 20)]
fn whole_model(bencher: divan::Bencher, components: usize) {
    let libraries = shipped();
    let session = model(components);
    let graph = ModelGraph::new(&session);
    let count = libraries.rules().suggest(&graph, None).len();
    assert!(count > components, "the rules fire: {count} suggestions");
    bencher.bench_local(|| divan::black_box(libraries.rules().suggest(&graph, None).len()));
}

/// The suggestions for one element, a process in the middle of the model (question 2 shows them
/// for the element on screen).
#[divan::bench(args = ["c503", "f2500"], sample_count = 50)]
fn one_element(bencher: divan::Bencher, element: &str) {
    let libraries = shipped();
    let session = model(1000);
    let graph = ModelGraph::new(&session);
    bencher.bench_local(|| {
        divan::black_box(
            libraries
                .rules()
                .suggest(&graph, Some(divan::black_box(element)))
                .len(),
        )
    });
}

/// The same with 60 rules (the size the shipped file is growing to).
#[divan::bench(args = [1000], sample_count = 20)]
fn whole_model_60_rules(bencher: divan::Bencher, components: usize) {
    let rules = at_least(60);
    let session = model(components);
    let graph = ModelGraph::new(&session);
    bencher.bench_local(|| divan::black_box(rules.suggest(&graph, None).len()));
}

/// One element with 60 rules.
#[divan::bench(args = ["c503", "f2500"], sample_count = 50)]
fn one_element_60_rules(bencher: divan::Bencher, element: &str) {
    let rules = at_least(60);
    let session = model(1000);
    let graph = ModelGraph::new(&session);
    bencher.bench_local(|| {
        divan::black_box(rules.suggest(&graph, Some(divan::black_box(element))).len())
    });
}

/// The whole analysis `check` runs, unanswered suggestions (TB015) included, graph and all.
#[divan::bench(args = [1000], sample_count = 20)]
fn analysis_with_rules(bencher: divan::Bencher, components: usize) {
    let libraries = shipped();
    let session = model(components);
    let options = FindingOptions {
        today: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"),
        max_age_days: Some(90),
        rules: Some(libraries.rules()),
    };
    bencher.bench_local(|| divan::black_box(analyze(&session, &options).findings.len()));
}
