//! Fuzzing the Threat Dragon importer: the real models in tests/fixtures/threat-dragon, mutated
//! as JSON (values replaced by other types, hostile strings, huge or odd numbers; keys removed;
//! array items duplicated, dropped or swapped) and as bytes. Nothing may panic; an error has a
//! line and column inside the input; an import gives a session that validates, has no control
//! characters in its text, and survives a save unchanged.
//!
//! The regular suite runs a few hundred cases; longer runs set THREATBOARD_FUZZ_CASES, e.g.
//! `THREATBOARD_FUZZ_CASES=100000000 timeout 600 cargo test --release --test fuzz_threat_dragon`.

mod support;

use proptest::prelude::*;
use serde_json::{Value, json};
use threatboard::interop::threat_dragon;
use threatboard::model::validate;
use threatboard::store;

const MODELS: [&[u8]; 4] = [
    include_bytes!("fixtures/threat-dragon/demo-threat-model.json"),
    include_bytes!("fixtures/threat-dragon/generic-cms.json"),
    include_bytes!("fixtures/threat-dragon/three-tier-web-app.json"),
    include_bytes!("fixtures/threat-dragon/v2-threat-model.json"),
];

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: support::fuzz_cases(300),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// What replaces a value somewhere in the model.
fn replacement() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(json!(true)),
        Just(json!(-1)),
        Just(json!(0)),
        Just(json!(1e308)),
        Just(json!(-1e308)),
        Just(json!(u64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(0.5)),
        Just(json!("")),
        Just(json!("\u{1b}]0;pwned\u{7}\u{202e}\0")),
        Just(json!("tm.Actor")),
        Just(json!("tm.Store")),
        Just(json!("tm.Boundary")),
        Just(json!("tm.Flow")),
        Just(json!("trust-boundary-curve")),
        Just(json!("trust-boundary-box")),
        Just(json!("flow")),
        Just(json!("actor")),
        Just(json!("store")),
        Just(json!("process")),
        Just(json!("Open")),
        Just(json!("Mitigated")),
        Just(json!("Tampering")),
        Just(json!([])),
        Just(json!({})),
        Just(json!({"x": 1, "y": 2})),
        Just(json!({"cell": "nope"})),
        Just(json!([{"x": 0, "y": 0}, {"x": -5, "y": 1e9}])),
        "\\PC{0,12}".prop_map(Value::String),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the value at the n-th node (in a walk of the whole tree).
    Replace(usize, Value),
    /// Remove the n-th node from its object or array.
    Remove(usize),
    /// Duplicate the n-th node within its array.
    Duplicate(usize),
    /// Point one cell's reference (source/target/parent) at another cell's id.
    Rewire(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), replacement()).prop_map(|(n, v)| Mutation::Replace(n, v)),
        2 => any::<usize>().prop_map(Mutation::Remove),
        1 => any::<usize>().prop_map(Mutation::Duplicate),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Rewire(a, b)),
    ]
}

/// Number of nodes below and including `v`.
fn size(v: &Value) -> usize {
    1 + match v {
        Value::Array(items) => items.iter().map(size).sum(),
        Value::Object(map) => map.values().map(size).sum(),
        _ => 0,
    }
}

/// Applies `f` to the container holding the n-th node (pre-order, the root excluded) and that
/// node's key or index.
fn with_parent_of(v: &mut Value, mut n: usize, f: &mut dyn FnMut(&mut Value, Slot)) -> bool {
    let slots: Vec<(Slot, usize)> = match v {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, x)| (Slot::Index(i), size(x)))
            .collect(),
        Value::Object(map) => map
            .iter()
            .map(|(k, x)| (Slot::Key(k.clone()), size(x)))
            .collect(),
        _ => return false,
    };
    for (slot, len) in slots {
        if n == 0 {
            f(v, slot);
            return true;
        }
        n -= 1;
        // The child's descendants are the next `len - 1` nodes.
        let len = len - 1;
        if n < len {
            let child = match (&mut *v, &slot) {
                (Value::Array(items), Slot::Index(i)) => &mut items[*i],
                (Value::Object(map), Slot::Key(k)) => match map.get_mut(k) {
                    Some(child) => child,
                    None => return false,
                },
                _ => return false,
            };
            return with_parent_of(child, n, f);
        }
        n -= len;
    }
    false
}

#[derive(Debug, Clone)]
enum Slot {
    Index(usize),
    Key(String),
}

/// Every string that names a cell: the ids flows and parents may point at.
fn cell_ids(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(id)) = map.get("id") {
                out.push(id.clone());
            }
            map.values().for_each(|x| cell_ids(x, out));
        }
        Value::Array(items) => items.iter().for_each(|x| cell_ids(x, out)),
        _ => {}
    }
}

const REFERENCE_KEYS: [&str; 4] = ["source", "target", "parent", "cell"];

/// How many fields refer to a cell (flow ends, parents).
fn count_refs(v: &Value) -> usize {
    match v {
        Value::Object(map) => map
            .iter()
            .map(|(k, x)| usize::from(REFERENCE_KEYS.contains(&k.as_str())) + count_refs(x))
            .sum(),
        Value::Array(items) => items.iter().map(count_refs).sum(),
        _ => 0,
    }
}

/// Points the `which`-th reference at `target`.
fn rewire(v: &mut Value, which: usize, target: &str) {
    let refs = count_refs(v);
    if refs > 0 {
        set_nth_ref(v, which % refs, &mut 0, target);
    }
}

fn set_nth_ref(v: &mut Value, n: usize, count: &mut usize, target: &str) -> bool {
    match v {
        Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                if REFERENCE_KEYS.contains(&k.as_str()) {
                    if *count == n {
                        *x = match x {
                            Value::Object(inner) => {
                                let mut inner = inner.clone();
                                inner.insert("cell".into(), json!(target));
                                Value::Object(inner)
                            }
                            _ => json!(target),
                        };
                        return true;
                    }
                    *count += 1;
                }
                if set_nth_ref(x, n, count, target) {
                    return true;
                }
            }
            false
        }
        Value::Array(items) => items.iter_mut().any(|x| set_nth_ref(x, n, count, target)),
        _ => false,
    }
}

fn mutate(model: &mut Value, m: &Mutation) {
    let total = size(model).saturating_sub(1).max(1);
    match m {
        Mutation::Replace(n, value) => {
            with_parent_of(model, n % total, &mut |parent, slot| match (parent, slot) {
                (Value::Array(items), Slot::Index(i)) => items[i] = value.clone(),
                (Value::Object(map), Slot::Key(k)) => {
                    map.insert(k, value.clone());
                }
                _ => {}
            });
        }
        Mutation::Remove(n) => {
            with_parent_of(model, n % total, &mut |parent, slot| match (parent, slot) {
                (Value::Array(items), Slot::Index(i)) => {
                    items.remove(i);
                }
                (Value::Object(map), Slot::Key(k)) => {
                    map.remove(&k);
                }
                _ => {}
            });
        }
        Mutation::Duplicate(n) => {
            with_parent_of(model, n % total, &mut |parent, slot| {
                if let (Value::Array(items), Slot::Index(i)) = (parent, slot) {
                    let copy = items[i].clone();
                    items.insert(i, copy);
                }
            });
        }
        Mutation::Rewire(a, b) => {
            let mut ids = Vec::new();
            cell_ids(model, &mut ids);
            if let Some(id) = ids.get(a % ids.len().max(1)).cloned() {
                rewire(model, *b, &id);
            }
        }
    }
}

/// Whether `line`:`column` is inside `bytes` (or just past a line's end).
fn within(bytes: &[u8], line: usize, column: usize) -> bool {
    String::from_utf8_lossy(bytes)
        .split('\n')
        .nth(line.wrapping_sub(1))
        .is_some_and(|l| column >= 1 && column <= l.chars().count() + 1)
}

/// What an import must give, whatever the input; `true` if it imported.
fn check(bytes: &[u8]) -> Result<bool, TestCaseError> {
    match threat_dragon::import(bytes) {
        Err(e) => {
            prop_assert!(within(bytes, e.line, e.column), "{e} is outside the input");
            prop_assert!(!e.message.is_empty());
        }
        Ok(imported) => {
            let s = &imported.session;
            let problems = validate(s);
            prop_assert!(
                problems.is_empty(),
                "imported session invalid: {problems:?}"
            );
            let toml = store::to_toml(s).expect("serializes");
            prop_assert!(
                !toml
                    .chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\t'),
                "raw control characters in:\n{toml}"
            );
            let (parsed, _) =
                store::parse(&toml).map_err(|e| TestCaseError::fail(format!("{e:?}\n{toml}")))?;
            prop_assert_eq!(store::to_toml(&parsed).expect("serializes"), toml);
            for w in &imported.warnings {
                prop_assert!(!w.chars().any(char::is_control), "{:?}", w);
            }
            // Whatever imported exports again, and that export imports.
            let model = threat_dragon::export(s).model;
            let again = threat_dragon::import(&serde_json::to_vec(&model).expect("JSON"));
            prop_assert!(
                again.is_ok(),
                "the export does not import: {:?}",
                again.err()
            );
            return Ok(true);
        }
    }
    Ok(false)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn damaged_bytes_never_panic(
        which in 0..MODELS.len(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), 0usize..64), 1..6),
    ) {
        let mut bytes = MODELS[which].to_vec();
        for (at, byte, cut) in edits {
            let at = at % bytes.len().max(1);
            if cut == 0 {
                bytes.truncate(at);
            } else if cut < 8 {
                bytes.drain(at..(at + cut).min(bytes.len()));
            } else if let Some(b) = bytes.get_mut(at) {
                *b = byte;
            }
        }
        check(&bytes)?;
    }
}

/// Mutated models import or fail cleanly, and enough of them import that the checks on an
/// imported session run: a mutator that breaks every model would otherwise pass unseen.
#[test]
fn mutated_models_import_or_fail_cleanly() {
    let imported = std::cell::Cell::new(0usize);
    let mut runner = proptest::test_runner::TestRunner::new(config());
    let cases = (0..MODELS.len(), proptest::collection::vec(mutation(), 1..8));
    let result = runner.run(&cases, |(which, mutations)| {
        let mut model: Value = serde_json::from_slice(MODELS[which]).expect("fixture is JSON");
        for m in &mutations {
            mutate(&mut model, m);
        }
        let bytes = serde_json::to_vec(&model).expect("serializes");
        if check(&bytes)? {
            imported.set(imported.get() + 1);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let cases = config().cases as usize;
    eprintln!("{} of {cases} imported", imported.get());
    assert!(
        imported.get() * 100 >= cases * 60,
        "only {} of {cases} mutated models imported",
        imported.get()
    );
}

#[test]
fn the_mutator_reaches_every_node_and_changes_the_model() {
    let model: Value = serde_json::from_slice(MODELS[3]).expect("JSON");
    let total = size(&model) - 1;
    assert!(total > 100, "{total}");
    // Removing the last node and the first node each change the model.
    for n in [0, total - 1] {
        let mut m = model.clone();
        mutate(&mut m, &Mutation::Remove(n));
        assert!(m != model, "removing node {n} changed nothing");
    }
    let mut m = model.clone();
    mutate(&mut m, &Mutation::Replace(total / 2, json!("X")));
    assert!(m != model, "replacing a node changed nothing");
    // Rewiring points a flow end at another cell.
    assert!(count_refs(&model) > 10);
    let mut ids = Vec::new();
    cell_ids(&model, &mut ids);
    assert!(ids.len() > 10);
    let changed = (0..20).any(|i| {
        let mut m = model.clone();
        mutate(&mut m, &Mutation::Rewire(i, i * 7 + 3));
        m != model
    });
    assert!(changed);
}
