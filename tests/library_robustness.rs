//! No input makes the library code panic: arbitrary text as a library file, a damaged real STIX
//! bundle, arbitrary search queries.

mod support;

use proptest::prelude::*;
use threatboard::library::stix::{self, ImportOptions};
use threatboard::library::{LibrarySet, Origin, SearchOptions, parse_library};
use threatboard::model::{ElementKind, StrideSet};

/// Pieces of real library syntax, so the generator reaches the checks and not only the parser.
fn library_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("[library]\n".to_string()),
        Just("[[entries]]\n".to_string()),
        Just("[[mitigations]]\n".to_string()),
        Just("id = \"x\"\n".to_string()),
        Just("id = \"T1\"\n".to_string()),
        Just("name = \"\"\n".to_string()),
        Just("name = \"n\"\n".to_string()),
        Just("stride = \"SQ\"\n".to_string()),
        Just("applies_to = [\"flow\", \"db\", 3]\n".to_string()),
        Just("parent = \"T1\"\n".to_string()),
        Just("mitigations = [\"M1\"]\n".to_string()),
        Just("related = [\"a:b\", \"bad\"]\n".to_string()),
        "[a-z_]{1,8} = \"[^\"\\\\]{0,6}\"\n",
        "\\PC{0,12}",
    ];
    proptest::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

/// A real STIX bundle (a sample of CAPEC), to damage.
const CAPEC: &[u8] = include_bytes!("fixtures/capec/capec-3.9.sample.json");

/// The bundle with bytes changed, ranges cut out, or the rest cut off, at each (place, byte,
/// length) edit.
fn damage(bytes: &[u8], edits: &[(usize, u8, usize)]) -> Vec<u8> {
    let mut bytes = bytes.to_vec();
    for &(at, byte, cut) in edits {
        let at = at % bytes.len().max(1);
        if cut == 0 {
            bytes.truncate(at);
        } else if cut < 8 {
            bytes.drain(at..(at + cut).min(bytes.len()));
        } else if let Some(b) = bytes.get_mut(at) {
            *b = byte;
        }
    }
    bytes
}

/// Whether `line`:`column` is inside `bytes` (or just past a line's end).
fn within(bytes: &[u8], line: usize, column: usize) -> bool {
    String::from_utf8_lossy(bytes)
        .split('\n')
        .nth(line.wrapping_sub(1))
        .is_some_and(|l| column >= 1 && column <= l.chars().count() + 1)
}

/// A damaged bundle imports into a library that parses back, or fails with an error that
/// points into the file. Both must be common: damage that breaks every bundle, or none,
/// would leave one side unchecked.
#[test]
fn damaged_bundles_import_or_fail_at_a_place_in_the_file() {
    use std::cell::Cell;
    let (imported, failed) = (Cell::new(0usize), Cell::new(0usize));
    let mut runner = proptest::test_runner::TestRunner::new(config());
    let edits = proptest::collection::vec((any::<usize>(), any::<u8>(), 0usize..64), 1..3);
    let result = runner.run(&edits, |edits| {
        let bytes = damage(CAPEC, &edits);
        match stix::import(&bytes, &ImportOptions::default()) {
            Err(e) => {
                failed.set(failed.get() + 1);
                prop_assert!(within(&bytes, e.line, e.column), "{e} is outside the input");
                prop_assert!(!e.message.is_empty());
            }
            Ok(library) => {
                imported.set(imported.get() + 1);
                let text = library
                    .to_toml()
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                let parsed = parse_library(&text, Origin::Text("damaged".into()));
                prop_assert!(parsed.is_ok(), "{parsed:?}");
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (imported, failed) = (imported.get(), failed.get());
    let cases = imported + failed;
    assert!(
        imported * 10 >= cases && failed * 10 >= cases,
        "imported {imported}, failed {failed}: each should be at least a tenth"
    );
}

/// A few hundred cases in the regular suite; long fuzzing runs set THREATBOARD_FUZZ_CASES.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: support::fuzz_cases(300),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn parsing_any_library_text_never_panics(text in library_like()) {
        if let Err(problems) = parse_library(&text, Origin::Text("p.toml".into())) {
            prop_assert!(!problems.is_empty());
            for p in problems {
                prop_assert!(p.line >= 1 && p.column >= 1, "{p}");
            }
        }
    }

    #[test]
    fn importing_bundle_like_json_never_panics(
        kinds in proptest::collection::vec(prop_oneof![
            Just("attack-pattern"), Just("relationship"), Just("course-of-action"),
            Just("x-mitre-tactic"), Just("x-mitre-matrix"), Just("marking-definition")], 0..8),
        ids in proptest::collection::vec("(T|M|CAPEC-)[0-9]{1,3}(\\.[0-9]{1,2})?", 8),
    ) {
        let objects: Vec<String> = kinds.iter().zip(&ids).enumerate().map(|(i, (kind, id))| {
            let source = if id.starts_with("CAPEC") { "capec" } else { "mitre-attack" };
            format!(
                r#"{{"type": "{kind}", "id": "{kind}--{i}", "name": "N{i}", "revoked": {},
                   "relationship_type": "{}", "source_ref": "course-of-action--{}", "target_ref": "attack-pattern--{}",
                   "x_capec_child_of_refs": ["attack-pattern--{}"], "tactic_refs": ["x-mitre-tactic--{}"],
                   "kill_chain_phases": [{{"kill_chain_name": "mitre-attack", "phase_name": "p{}"}}],
                   "external_references": [{{"source_name": "{source}", "external_id": "{id}"}}]}}"#,
                i % 5 == 4,
                if i % 2 == 0 { "mitigates" } else { "subtechnique-of" },
                (i + 1) % 8, (i + 2) % 8, i % 3, (i + 3) % 8, i % 4
            )
        }).collect();
        let json = format!(r#"{{"type": "bundle", "objects": [{}]}}"#, objects.join(","));
        if let Ok(imported) = stix::import(json.as_bytes(), &ImportOptions::default()) {
            let text = imported.to_toml().unwrap_or_default();
            prop_assert!(parse_library(&text, Origin::Text("gen".into())).is_ok(), "{text}");
        }
    }

    #[test]
    fn any_query_searches(query in "\\PC{0,12}", kind in 0usize..5, stride in "[STRIDE]{0,2}", limit in 0usize..30) {
        static SET: std::sync::OnceLock<LibrarySet> = std::sync::OnceLock::new();
        let set = SET.get_or_init(|| LibrarySet::shipped().unwrap_or_default());
        let options = SearchOptions {
            prefer_kind: ElementKind::ALL.get(kind).copied(),
            only_kind: ElementKind::ALL.get(kind.wrapping_add(1) % 5).copied(),
            stride: StrideSet::parse(&stride),
            library: None,
            limit,
        };
        let hits = set.search(&query, &options);
        prop_assert!(limit == 0 || hits.len() <= limit);
        for h in &hits {
            let len = h.matched.chars().count();
            prop_assert!(h.positions.iter().all(|&p| p < len), "{:?} {:?}", h.matched, h.positions);
            // Fit is reported for the preferred kind, and the filter still filters.
            prop_assert_eq!(h.fits, options.prefer_kind.map(|k| h.entry.applies_to(k)));
            prop_assert!(options.only_kind.is_none_or(|k| h.entry.applies_to(k)));
        }
        // Tiers come in order, whatever the query.
        prop_assert!(hits.windows(2).all(|w| w[0].tier <= w[1].tier));
    }
}
