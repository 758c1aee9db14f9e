//! A generated model for benchmarks: `components` components in 10 boundaries (some nested),
//! 5 flows per component, external entities, data stores with sensitive assets, and threats and
//! mitigations, so that every part of the analysis has work to do.

pub fn generated_session_toml(components: usize) -> String {
    let mut text =
        String::from("schema = 1\ntitle = \"Generated\"\n\n[[runs]]\ndate = 2026-11-01\n");
    for b in 0..10 {
        let parent = if b >= 5 {
            format!("parent = \"b{}\"\n", b - 5)
        } else {
            String::new()
        };
        text.push_str(&format!(
            "\n[[boundaries]]\nid = \"b{b}\"\nname = \"Boundary {b}\"\n{parent}"
        ));
    }
    for (id, class) in [
        ("pii", "confidential"),
        ("cards", "restricted"),
        ("logs", "internal"),
    ] {
        text.push_str(&format!(
            "\n[[assets]]\nid = \"{id}\"\nname = \"{id}\"\nclassification = \"{class}\"\n"
        ));
    }
    for c in 0..components {
        let (kind, extra) = match c % 10 {
            0 => ("external-entity", ""),
            1 | 2 => ("data-store", "assets = [\"pii\"]\n"),
            3 => ("process", "tags = [\"internet-facing\"]\n"),
            _ => ("process", ""),
        };
        text.push_str(&format!(
            "\n[[components]]\nid = \"c{c}\"\nname = \"Component {c}\"\nkind = \"{kind}\"\nboundary = \"b{}\"\n{extra}",
            c % 10
        ));
    }
    for f in 0..components * 5 {
        let from = f % components;
        let to = (f * 7 + 1) % components;
        let assets = if f % 3 == 0 {
            "assets = [\"cards\"]\n"
        } else {
            ""
        };
        text.push_str(&format!(
            "\n[[flows]]\nid = \"f{f}\"\nfrom = \"c{from}\"\nto = \"c{to}\"\nlabel = \"call {f}\"\n{assets}authenticated = {}\nencrypted = {}\n",
            f % 4 != 0,
            f % 5 != 0
        ));
    }
    for t in 0..components {
        text.push_str(&format!(
            "\n[[threats]]\nid = \"TH-{t:05}\"\ntarget = \"c{t}\"\ntitle = \"Threat {t}\"\nstride = \"STI\"\nlikelihood = {}\nimpact = {}\nresponse = \"{}\"\n",
            t % 3 + 1,
            (t / 3) % 3 + 1,
            if t % 2 == 0 { "mitigate" } else { "undecided" }
        ));
    }
    for m in 0..components / 2 {
        text.push_str(&format!(
            "\n[[mitigations]]\nid = \"MI-{m:05}\"\nthreats = [\"TH-{:05}\"]\naction = \"Fix {m}\"\n{}",
            m * 2,
            if m % 3 == 0 { "owner = \"team\"\ndue = 2026-10-01\n" } else { "" }
        ));
    }
    text
}

/// Where a benchmark's unsaved session says it lives: a folder with no `libraries/` beside
/// it, so that opening it loads the shipped libraries only (a relative "bench.toml" would find
/// this repository's own `libraries/` folder, fail on its duplicate ids and fall back).
#[allow(dead_code)]
pub fn session_path() -> std::path::PathBuf {
    std::env::temp_dir().join("threatboard-bench.toml")
}
