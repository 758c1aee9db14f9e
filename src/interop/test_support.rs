//! Generators of valid sessions for the round-trip property tests of the interop formats: every
//! reference resolves, accepted threats have their acceptance, text is what an importer keeps
//! unchanged (one-line names without runs of spaces, trimmed notes).

use crate::model::*;
use chrono::NaiveDate;
use proptest::prelude::*;

/// A one-line text: words of letters, digits, quotes, accents and CJK, single spaces.
pub(crate) fn line() -> impl Strategy<Value = String> {
    prop::collection::vec("[A-Za-z0-9é日\"'.,&<>/-]{1,8}", 1..4).prop_map(|w| w.join(" "))
}

/// Notes: empty or a few lines.
pub(crate) fn notes() -> impl Strategy<Value = String> {
    prop::collection::vec(line(), 0..3).prop_map(|l| l.join("\n"))
}

fn date() -> impl Strategy<Value = NaiveDate> {
    (2020i32..2040, 1u32..=12, 1u32..=28)
        .prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default())
}

fn stride() -> impl Strategy<Value = StrideSet> {
    "[STRIDE]{0,6}".prop_map(|s| StrideSet::parse(&s))
}

/// A valid session with up to `max` of each kind of entry.
pub(crate) fn valid_session() -> impl Strategy<Value = Session> {
    let boundaries = prop::collection::vec((line(), notes(), any::<prop::sample::Index>()), 0..4);
    let assets = prop::collection::vec((line(), 0usize..4, notes()), 0..3);
    let components = prop::collection::vec(
        (
            line(),
            0usize..3,
            prop::option::of(0..Technology::ALL.len()),
            any::<Option<prop::sample::Index>>(),
            prop::collection::vec("[a-z][a-z0-9-]{0,8}", 0..3),
            (stride(), notes(), notes(), notes()),
            any::<Option<prop::sample::Index>>(),
        ),
        1..6,
    );
    let flows = prop::collection::vec(
        (
            any::<prop::sample::Index>(),
            any::<prop::sample::Index>(),
            line(),
            prop::option::of("(HTTPS|gRPC|postgres|Kafka topic)"),
            any::<Option<bool>>(),
            any::<Option<bool>>(),
            prop::collection::vec("[a-z][a-z0-9-]{0,8}", 0..2),
            (notes(), notes(), any::<Option<prop::sample::Index>>()),
        ),
        0..6,
    );
    let threats = prop::collection::vec(
        (
            any::<prop::sample::Index>(),
            line(),
            stride(),
            prop::option::of(1i64..4),
            prop::option::of(1i64..4),
            0usize..5,
            0usize..4,
            (notes(), line(), any::<bool>(), prop::option::of(date())),
        ),
        0..6,
    );
    let mitigations = prop::collection::vec(
        (
            prop::collection::vec(any::<prop::sample::Index>(), 1..3),
            notes().prop_filter("an action", |a| !a.is_empty()),
            prop::option::of(line()),
            prop::option::of(date()),
            0usize..4,
            prop::option::of("[A-Z]{2,4}-[0-9]{1,4}"),
        ),
        0..5,
    );
    (
        line(),
        notes(),
        boundaries,
        assets,
        components,
        flows,
        threats,
        mitigations,
    )
        .prop_map(
            |(title, description, boundaries, assets, components, flows, threats, mitigations)| {
                let mut s = Session::new(title);
                s.description = description;
                for (i, (name, notes, parent)) in boundaries.into_iter().enumerate() {
                    // Parents point only at earlier boundaries: no cycles.
                    let parent = (i > 0 && parent.index(3) > 0)
                        .then(|| BoundaryId::new(format!("zone-{}", parent.index(i))));
                    s.boundaries.push(Boundary {
                        id: BoundaryId::new(format!("zone-{i}")),
                        name,
                        parent,
                        notes,
                    });
                }
                for (i, (name, c, notes)) in assets.into_iter().enumerate() {
                    s.assets.push(Asset {
                        id: AssetId::new(format!("asset-{i}")),
                        name,
                        classification: Classification::ALL[c],
                        notes,
                    });
                }
                let nb = s.boundaries.len();
                let na = s.assets.len();
                for (i, (name, kind, tech, boundary, tags, more, asset)) in
                    components.into_iter().enumerate()
                {
                    let (not_applicable, reason, out_of_scope, notes) = more;
                    let mut tags = tags;
                    tags.dedup();
                    s.components.push(Component {
                        id: ElementId::new(format!("c{i}")),
                        name,
                        kind: ComponentKind::ALL[kind],
                        technology: tech.map(|t| Technology::ALL[t]),
                        boundary: boundary
                            .filter(|_| nb > 0)
                            .map(|b| BoundaryId::new(format!("zone-{}", b.index(nb)))),
                        tags: tags.into(),
                        assets: asset
                            .filter(|_| na > 0)
                            .map(|a| AssetId::new(format!("asset-{}", a.index(na))))
                            .into_iter()
                            .collect(),
                        not_applicable,
                        not_applicable_reason: reason.into(),
                        out_of_scope: out_of_scope.into(),
                        notes: notes.into(),
                        dismissed: Default::default(),
                    });
                }
                let nc = s.components.len();
                for (i, (from, to, label, protocol, auth, enc, tags, more)) in
                    flows.into_iter().enumerate()
                {
                    let (out_of_scope, notes, asset) = more;
                    s.flows.push(Flow {
                        id: ElementId::new(format!("f{i}")),
                        from: ElementId::new(format!("c{}", from.index(nc))),
                        to: ElementId::new(format!("c{}", to.index(nc))),
                        label: label.into(),
                        protocol: protocol.unwrap_or_default().into(),
                        assets: asset
                            .filter(|_| na > 0)
                            .map(|a| AssetId::new(format!("asset-{}", a.index(na))))
                            .into_iter()
                            .collect(),
                        authenticated: auth,
                        encrypted: enc,
                        tags: tags.into(),
                        not_applicable: StrideSet::empty(),
                        not_applicable_reason: Default::default(),
                        out_of_scope: out_of_scope.into(),
                        notes: notes.into(),
                        dismissed: Default::default(),
                    });
                }
                let targets: Vec<ElementId> = s
                    .components
                    .iter()
                    .map(|c| c.id.clone())
                    .chain(s.flows.iter().map(|f| f.id.clone()))
                    .collect();
                for (i, (target, title, stride, l, im, response, status, more)) in
                    threats.into_iter().enumerate()
                {
                    let (notes, who, with_rule, review_by) = more;
                    let id = ThreatId::new(format!("TH-{:03}", i + 1));
                    let response = [
                        Response::Undecided,
                        Response::Mitigate,
                        Response::Accept,
                        Response::Transfer,
                        Response::Avoid,
                    ][response];
                    if response == Response::Accept {
                        s.acceptances.push(Acceptance {
                            threat: id.clone(),
                            justification: format!("Accepted: {title}"),
                            accepted_by: who.clone(),
                            review_by,
                        });
                    }
                    s.threats.push(Threat {
                        id,
                        target: target.get(&targets).clone(),
                        title,
                        stride,
                        refs: if with_rule {
                            vec![
                                LibraryRef::new("attack", "T1078.004"),
                                LibraryRef::new("cwe", "CWE-79"),
                            ]
                        } else {
                            Vec::new()
                        },
                        rule: with_rule.then(|| "flow-replay".to_string()),
                        likelihood: l.map(Rating),
                        impact: im.map(Rating),
                        response,
                        status: [
                            ThreatStatus::Open,
                            ThreatStatus::Resolved,
                            ThreatStatus::NeedsReview,
                            ThreatStatus::NotApplicable,
                        ][status],
                        transferred_to: if response == Response::Transfer {
                            who
                        } else {
                            String::new()
                        },
                        raised_by: Vec::new(),
                        notes,
                    });
                }
                let nt = s.threats.len();
                if nt > 0 {
                    for (i, (threats, action, owner, due, status, ticket)) in
                        mitigations.into_iter().enumerate()
                    {
                        let mut ids: Vec<ThreatId> = threats
                            .iter()
                            .map(|t| ThreatId::new(format!("TH-{:03}", t.index(nt) + 1)))
                            .collect();
                        ids.sort();
                        ids.dedup();
                        s.mitigations.push(Mitigation {
                            id: MitigationId::new(format!("MI-{:03}", i + 1)),
                            threats: ids,
                            action,
                            owner: owner.unwrap_or_default(),
                            due,
                            status: [
                                MitigationStatus::Planned,
                                MitigationStatus::InProgress,
                                MitigationStatus::Done,
                                MitigationStatus::Verified,
                            ][status],
                            ticket: ticket.unwrap_or_default(),
                        });
                    }
                }
                s
            },
        )
}

/// The example sessions shipped in `sessions/`, parsed.
pub(crate) fn example_sessions() -> Vec<(String, Session)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sessions");
    let mut out = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("sessions/ is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("example session reads");
        let (session, _) = crate::store::parse(&text)
            .unwrap_or_else(|e| panic!("{}: {}", path.display(), e.message));
        out.push((path.display().to_string(), session));
    }
    assert!(out.len() >= 3, "the example sessions are found");
    out
}

/// Arbitrary JSON, biased towards the keys the OTM and TM-BOM importers read, so that the
/// fuzzing reaches past the top level.
pub(crate) fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    const KEYS: &[&str] = &[
        "otmVersion",
        "project",
        "name",
        "id",
        "description",
        "trustZones",
        "components",
        "dataflows",
        "threats",
        "mitigations",
        "assets",
        "parent",
        "trustZone",
        "component",
        "type",
        "risk",
        "trustRating",
        "likelihood",
        "impact",
        "source",
        "destination",
        "bidirectional",
        "threat",
        "mitigation",
        "state",
        "categories",
        "cwes",
        "tags",
        "attributes",
        "properties",
        "processed",
        "stored",
        "riskReduction",
        "version",
        "scope",
        "actors",
        "data_flows",
        "trust_zones",
        "controls",
        "data",
        "components",
        "title",
        "status",
        "severity",
        "threatboard:response",
        "threatboard:status",
        "Out Of Scope",
        "from",
        "to",
        "trust_zone",
        "parent_id",
        "control_ids",
        "threat_ids",
        "data_ids",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-200i64..200).prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop::sample::select(KEYS).prop_map(|k| Value::String(k.to_string())),
        "[a-z0-9 ._-]{0,6}".prop_map(Value::String),
        Just(Value::String("0.2.0".into())),
        Just(Value::String("accepted".into())),
    ];
    leaf.prop_recursive(5, 200, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..8).prop_map(|kv| {
                Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            }),
        ]
    })
}

/// A test fixture's bytes: `tests/fixtures/<format>/<name>`.
pub(crate) fn fixture(format: &str, name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format)
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The format's published JSON schema, from its fixtures, compiled.
pub(crate) fn schema_validator(format: &str, name: &str) -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_slice(&fixture(format, name)).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn generated_sessions_validate(s in valid_session()) {
            let problems = validate(&s);
            prop_assert!(problems.is_empty(), "{problems:#?}");
        }
    }
}
