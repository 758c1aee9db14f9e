//! The libraries shipped in libraries/ (compiled into the binary): counts, search quality and
//! the `library` commands as a user runs them. Nothing here reads outside the repository.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use threatboard::library::{LibrarySet, MatchField, SearchOptions};
use threatboard::model::{ElementKind, StrideSet};

fn threatboard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_threatboard"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("the binary runs: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn libraries_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("libraries")
}

fn shipped() -> LibrarySet {
    LibrarySet::shipped().unwrap_or_else(|e| panic!("{e}"))
}

fn refs(set: &LibrarySet, query: &str, options: &SearchOptions) -> Vec<String> {
    set.search(query, options)
        .iter()
        .map(|h| h.reference().to_string())
        .collect()
}

#[test]
fn attack_has_every_active_technique_of_18_1() {
    let set = shipped();
    let attack = set
        .library("attack")
        .unwrap_or_else(|| panic!("attack is shipped"));
    assert_eq!(attack.info.version, "18.1");
    // MITRE ATT&CK Enterprise 18.1: 216 techniques + 475 sub-techniques, 44 mitigations.
    assert_eq!(attack.entries.len(), 691);
    assert_eq!(
        attack
            .entries
            .iter()
            .filter(|e| !e.id.contains('.'))
            .count(),
        216
    );
    let subs: Vec<_> = attack
        .entries
        .iter()
        .filter(|e| e.id.contains('.'))
        .collect();
    assert_eq!(subs.len(), 475);
    assert_eq!(attack.mitigations.len(), 44);
    for sub in &subs {
        let parent = sub
            .parent
            .as_deref()
            .unwrap_or_else(|| panic!("{} has a parent", sub.id));
        assert!(sub.id.starts_with(&format!("{parent}.")), "{}", sub.id);
    }
    let links: usize = attack.entries.iter().map(|e| e.mitigations.len()).sum();
    assert_eq!(links, 1445);
    for e in &attack.entries {
        assert!(!e.stride.is_empty(), "{} has STRIDE", e.id);
        assert!(e.applies_to.contains(&ElementKind::Process), "{}", e.id);
        assert!(
            e.url.starts_with("https://attack.mitre.org/techniques/"),
            "{}",
            e.id
        );
        assert!(!e.summary.is_empty(), "{}", e.id);
    }
    assert!(attack.info.attribution.contains("The MITRE Corporation"));
}

#[test]
fn capec_has_every_active_pattern_of_3_9() {
    let set = shipped();
    let capec = set
        .library("capec")
        .unwrap_or_else(|| panic!("capec is shipped"));
    assert_eq!(capec.info.version, "3.9");
    assert_eq!(capec.entries.len(), 558);
    assert!(capec.entries.iter().all(|e| e.id.starts_with("CAPEC-")));
    assert!(
        capec
            .entries
            .iter()
            .all(|e| !e.name.starts_with("DEPRECATED"))
    );
    let sqli = capec
        .entry("capec-66")
        .unwrap_or_else(|| panic!("CAPEC-66"));
    assert_eq!(sqli.name, "SQL Injection");
    // Cross-library references resolve.
    assert!(
        set.dangling_related().is_empty(),
        "{:?}",
        set.dangling_related()
    );
    let linked = capec
        .entries
        .iter()
        .filter(|e| !e.related.is_empty())
        .count();
    assert!(linked > 100, "{linked} patterns link ATT&CK");
}

#[test]
fn the_licence_ships_beside_the_mitre_libraries() {
    let licence =
        std::fs::read_to_string(libraries_dir().join("LICENSE-MITRE.txt")).unwrap_or_default();
    assert!(licence.contains("ATT&CK"), "ATT&CK terms");
    assert!(licence.contains("CAPEC"), "CAPEC terms");
    assert!(licence.contains(
        "The MITRE Corporation (MITRE) hereby grants you a non-exclusive, royalty-free license"
    ));
}

#[test]
fn search_ranks_names_ids_and_tags_sensibly() {
    let set = shipped();
    let all = SearchOptions::default();

    let hits = set.search("valid acc", &all);
    assert_eq!(hits[0].reference().as_str(), "attack:T1078");
    assert_eq!(hits[0].field, MatchField::Name);
    assert_eq!(hits[0].positions, (0..9).collect::<Vec<_>>());
    // Its sub-techniques follow, found through their tag.
    assert!(
        refs(&set, "valid acc", &all)[1..5]
            .iter()
            .all(|r| r.starts_with("attack:T1078."))
    );

    for (query, expected) in [
        ("T1078", "attack:T1078"),
        ("t1078.004", "attack:T1078.004"),
        ("attack:T1078", "attack:T1078"),
        ("API1", "owasp-api-2023:API1"),
        ("llm01", "owasp-llm-2025:LLM01"),
        ("CAPEC-66", "capec:CAPEC-66"),
        ("capec:capec-66", "capec:CAPEC-66"),
    ] {
        let hits = set.search(query, &all);
        assert_eq!(
            hits.first().map(|h| h.reference().to_string()).as_deref(),
            Some(expected),
            "{query}"
        );
        assert!(hits[0].exact, "{query}");
    }
    // A01 is in both OWASP Top 10 editions: both exact hits come first.
    let a01 = refs(&set, "A01", &all);
    assert!(
        a01[..2]
            .iter()
            .all(|r| r.ends_with(":A01") && r.starts_with("owasp-top10-")),
        "{a01:?}"
    );

    let sqli = refs(&set, "sqli", &all);
    assert_eq!(sqli[0], "capec:CAPEC-66", "{sqli:?}");
    assert!(
        sqli.iter()
            .take(10)
            .any(|r| r.starts_with("owasp-top10-2021:")),
        "{sqli:?}"
    );

    let data_store = SearchOptions {
        only_kind: Some(ElementKind::DataStore),
        ..SearchOptions::default()
    };
    let hits = set.search("injection", &data_store);
    assert!(hits.len() >= 5);
    assert!(
        hits.iter()
            .all(|h| h.entry.applies_to(ElementKind::DataStore))
    );
    assert!(
        hits[..5]
            .iter()
            .all(|h| h.name().to_lowercase().contains("injection"))
    );

    let disclosure = SearchOptions {
        stride: StrideSet::parse("I"),
        limit: 50,
        ..SearchOptions::default()
    };
    let hits = set.search("sniff", &disclosure);
    assert_eq!(hits.len().min(50), hits.len());
    assert!(
        hits.iter()
            .any(|h| h.reference().as_str() == "attack:T1040")
    );
    assert!(
        hits.iter()
            .all(|h| h.entry.stride.to_string().contains('I'))
    );
}

#[test]
fn cli_list_search_show() {
    let out = threatboard(&["library", "list"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let list = text(&out.stdout);
    assert!(list.starts_with("ID"), "{list}");
    let attack = list
        .lines()
        .find(|l| l.starts_with("attack "))
        .unwrap_or_default();
    assert!(
        attack.contains("18.1") && attack.contains("691") && attack.contains("attack.toml"),
        "{list}"
    );

    let out = threatboard(&["library", "search", "valid acc"]);
    assert_eq!(out.status.code(), Some(0));
    let first = text(&out.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(
        first.starts_with("attack:T1078 ")
            && first.contains("Valid Accounts")
            && first.ends_with("name"),
        "{first}"
    );

    let out = threatboard(&[
        "library",
        "search",
        "injection",
        "--kind",
        "data-store",
        "--limit",
        "3",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout).lines().count(), 3);

    let out = threatboard(&["library", "search", "x", "--kind", "database"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown element kind"));

    let out = threatboard(&["library", "show", "attack:T1078.004"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let show = text(&out.stdout);
    for expected in [
        "attack:T1078.004  Cloud Accounts",
        "parent       attack:T1078  Valid Accounts",
        "M1032  Multi-factor Authentication",
        "platforms    IaaS, Identity Provider, Office Suite, SaaS",
        "url          https://attack.mitre.org/techniques/T1078/004",
    ] {
        assert!(show.contains(expected), "{expected:?} in\n{show}");
    }

    let out = threatboard(&["library", "show", "attack:T9999"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("library \"attack\" has no entry \"T9999\""));
}

#[test]
fn cli_validate_reports_problems_with_positions() {
    let out = threatboard(&["library", "validate"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let dir = libraries_dir();
    let out = threatboard(&["library", "validate", dir.to_str().unwrap_or_default()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("attack.toml: ok (attack, 691 entries, 44 mitigations)"));

    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let bad = tmp.path().join("team.toml");
    std::fs::write(
        &bad,
        "[library]\nid = \"team\"\nname = \"Team\"\n\n[[entries]]\nid = \"X1\"\nname = \"Thing\"\nstride = \"SQ\"\napplies_to = [\"database\"]\nparent = \"X0\"\nrelated = [\"attack:T9999\"]\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let clash = tmp.path().join("zz-team-copy.toml");
    std::fs::write(&clash, "[library]\nid = \"team\"\nname = \"Copy\"\n")
        .unwrap_or_else(|e| panic!("{e}"));

    let out = threatboard(&[
        "library",
        "validate",
        tmp.path().to_str().unwrap_or_default(),
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let file = bad.display().to_string();
    for expected in [
        format!("{file}:8:10: unknown STRIDE letter 'Q'"),
        format!("{file}:9:15: unknown element kind \"database\""),
        format!("{file}:10:10: parent \"X0\" is not an entry of this library"),
    ] {
        assert!(err.contains(&expected), "{expected:?} in\n{err}");
    }

    // Fixed, the file loads; the clash with the copy and the dangling reference remain.
    std::fs::write(
        &bad,
        "[library]\nid = \"team\"\nname = \"Team\"\n\n[[entries]]\nid = \"X1\"\nname = \"Thing\"\nrelated = [\"attack:T9999\"]\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = threatboard(&[
        "library",
        "validate",
        tmp.path().to_str().unwrap_or_default(),
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "{}:2:6: library id \"team\" is already used by {file}",
            clash.display()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{file}:8:12: entry \"X1\": related \"attack:T9999\""
        )),
        "{err}"
    );

    // Using the directory with a clash makes the other commands exit 2, after their output.
    let out = threatboard(&[
        "--library-dir",
        tmp.path().to_str().unwrap_or_default(),
        "library",
        "list",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).contains("team"));

    let out = threatboard(&["library", "validate", "/nonexistent-dir"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_team_library_beside_the_session_is_loaded() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let libs = tmp.path().join("libraries");
    std::fs::create_dir(&libs).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        libs.join("team.toml"),
        "[library]\nid = \"team\"\nname = \"Team threats\"\n\n[[entries]]\nid = \"TM1\"\nname = \"Shared admin password\"\nstride = \"S\"\napplies_to = [\"process\"]\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let session = tmp.path().join("checkout.toml");
    let set = threatboard::library::load_for_session(Some(&session), &[])
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(set.library("attack").is_some());
    let hits = set.search("admin pass", &SearchOptions::default());
    assert_eq!(
        hits.first().map(|h| h.reference().to_string()).as_deref(),
        Some("team:TM1")
    );
    // No session: only the shipped set.
    let set = threatboard::library::load_for_session(None, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert!(set.library("team").is_none());
}
