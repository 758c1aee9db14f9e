//! Threat libraries: loading the shipped set and searching it.
//!
//! Run with `cargo bench --bench library`. Targets (issue 3): loading all shipped libraries under
//! 30 ms, and a search over all of them under 1 ms (median) for 1-, 3- and 8-character queries.
//! `search_*` use the CLI's default limit of 20 results; `picker_*` search as the picker does on
//! every key (issue 12): the element's kind preferred, 50 results, counted; the same 1 ms target.

use std::path::Path;
use threatboard::library::stix::{self, ImportOptions};
use threatboard::library::{LibrarySet, SearchOptions};
use threatboard::model::ElementKind;

fn main() {
    divan::main();
}

fn shipped() -> LibrarySet {
    match LibrarySet::shipped() {
        Ok(set) => set,
        Err(e) => panic!("shipped libraries load: {e}"),
    }
}

/// Parse and check every shipped library file and build the search index.
#[divan::bench]
fn load_all_shipped() -> LibrarySet {
    shipped()
}

fn search(bencher: divan::Bencher, query: &str) {
    let set = shipped();
    let options = SearchOptions {
        limit: 20,
        ..SearchOptions::default()
    };
    bencher.bench_local(|| set.search(divan::black_box(query), &options).len());
}

#[divan::bench(args = ["a", "s", "x"])]
fn search_1_char(bencher: divan::Bencher, query: &str) {
    search(bencher, query);
}

#[divan::bench(args = ["acc", "inj", "sql"])]
fn search_3_chars(bencher: divan::Bencher, query: &str) {
    search(bencher, query);
}

#[divan::bench(args = ["valid ac", "injectio", "credenti"])]
fn search_8_chars(bencher: divan::Bencher, query: &str) {
    search(bencher, query);
}

fn picker(bencher: divan::Bencher, query: &str) {
    let set = shipped();
    let options = SearchOptions {
        prefer_kind: Some(ElementKind::Flow),
        limit: 50,
        ..SearchOptions::default()
    };
    bencher.bench_local(|| {
        let (hits, counts) = set.search_counted(divan::black_box(query), &options);
        hits.len() + counts.not_fitting
    });
}

/// Abbreviations the alias table expands into phrases.
#[divan::bench(args = ["csrf", "api key", "mitm", "prompt injection", "rce"])]
fn picker_alias(bencher: divan::Bencher, query: &str) {
    picker(bencher, query);
}

/// Several words: the word tier, the fuzzy tier and the summaries are all tried.
#[divan::bench(args = ["request forgery", "adversary in the middle", "unsecured cred files"])]
fn picker_multi_word(bencher: divan::Bencher, query: &str) {
    picker(bencher, query);
}

/// Ids and id prefixes, and the busiest query: one letter.
#[divan::bench(args = ["T11", "T1190", "capec-6", "s"])]
fn picker_id_and_one_letter(bencher: divan::Bencher, query: &str) {
    picker(bencher, query);
}

/// The importer on the 555 KB ATT&CK fixture (the 50 MB release bundle is not in the
/// repository; its time is measured with the CLI).
#[divan::bench]
fn import_attack_sample(bencher: divan::Bencher) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/attack/enterprise-attack-18.1.sample.json");
    let bytes = std::fs::read(&path).unwrap_or_default();
    bencher.bench_local(|| {
        stix::import(divan::black_box(&bytes), &ImportOptions::default())
            .map(|i| i.data.entries.len())
            .unwrap_or(0)
    });
}

/// A generated CAPEC bundle of `n` patterns in one parent chain (only the root has STRIDE
/// evidence) with `n / 100` repeated ids: the shapes that made the importer quadratic.
fn capec_chain(n: usize) -> Vec<u8> {
    let mut objects = Vec::with_capacity(n + n / 100);
    for i in 0..n {
        let extra = if i == 0 {
            r#""x_capec_consequences": {"Confidentiality": ["Read Data"]}"#.to_string()
        } else {
            format!(r#""x_capec_child_of_refs": ["attack-pattern--{}"]"#, i - 1)
        };
        objects.push(format!(
            r#"{{"type": "attack-pattern", "id": "attack-pattern--{i}", "name": "Pattern {i}", "external_references": [{{"source_name": "capec", "external_id": "CAPEC-{i}"}}], {extra}}}"#
        ));
    }
    for i in 0..n / 100 {
        objects.push(format!(
            r#"{{"type": "attack-pattern", "id": "attack-pattern--dup{i}", "name": "Again {i}", "external_references": [{{"source_name": "capec", "external_id": "CAPEC-{i}"}}]}}"#
        ));
    }
    format!(
        r#"{{"type": "bundle", "objects": [{}]}}"#,
        objects.join(",\n")
    )
    .into_bytes()
}

/// The CAPEC importer on generated bundles of 5,000, 20,000 and 100,000 patterns; linear work
/// shows as a median that grows with `n`, not `n` squared.
#[divan::bench(args = [5_000, 20_000, 100_000], sample_count = 5)]
fn import_capec_generated(bencher: divan::Bencher, n: usize) {
    let bytes = capec_chain(n);
    bencher.bench_local(|| {
        stix::import(divan::black_box(&bytes), &ImportOptions::default())
            .map(|i| i.data.entries.len())
            .unwrap_or(0)
    });
}
