//! `threatboard library ...`: list, search, show and validate threat libraries, and import
//! MITRE's STIX bundles.
//!
//! Everything read from a library file is passed through `escape_control` before it reaches the
//! terminal. Exit codes: 0 success, 1 `validate` found problems, 2 unreadable input or bad usage
//! (including library files that do not load: the output is still given for the rest).

use super::{EXIT_PROBLEMS, EXIT_UNREADABLE};
use crate::library::stix::{self, ImportOptions, SourceKind};
use crate::library::{
    self, Library, LibraryFile, LibraryProblem, LibrarySet, MatchField, Origin, SearchHit,
    SearchOptions,
};
use crate::model::text::escape_control;
use crate::model::{ElementKind, StrideSet};
use crate::rules::{RuleFile, RuleSet};
use crate::store;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum LibraryCommand {
    /// List the loaded libraries: id, name, version, entry count and file.
    List,
    /// Search entries by id, name, tags, tactics, common abbreviations and summary.
    ///
    /// Results come in tiers: an exact id or reference; ids starting with the query (when it
    /// looks like one: T11, CAPEC-6); entries named by a common abbreviation (csrf, sqli, mitm,
    /// api key); names, tags and tactics with every word of the query; fuzzy matches; then
    /// summaries. The picker in the app gives the same order for the same query.
    Search {
        /// What to look for, e.g. "valid acc", csrf, sqli, T1078, attack:T1078.004.
        query: String,
        /// Only entries that apply to this kind of element.
        #[arg(long, value_name = "KIND", value_parser = parse_kind)]
        kind: Option<ElementKind>,
        /// Only entries with at least one of these STRIDE letters, e.g. I or TI.
        #[arg(long, value_name = "LETTERS", value_parser = parse_stride)]
        stride: Option<StrideSet>,
        /// Only this library, e.g. attack.
        #[arg(long, value_name = "ID")]
        library: Option<String>,
        /// At most this many results (0: all).
        #[arg(long, default_value_t = 20, value_name = "N")]
        limit: usize,
    },
    /// Show every field of one entry, e.g. attack:T1078.004 (or a bare id, if only one library has it).
    Show {
        #[arg(value_name = "REF")]
        reference: String,
    },
    /// Check library files; every problem is listed as file:line:col: message.
    ///
    /// Without DIR: the shipped libraries and each --library-dir.
    Validate {
        /// A directory of library files (*.toml).
        dir: Option<PathBuf>,
    },
    /// Convert a MITRE ATT&CK (Enterprise, ICS, Mobile) or CAPEC STIX bundle into a library file.
    ImportStix {
        /// The STIX 2.0 or 2.1 bundle (JSON), e.g. enterprise-attack.json.
        bundle: PathBuf,
        /// Write here (atomically; `-` is standard output) instead of to standard output.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        /// Library id to write instead of the derived one (attack, attack-ics, attack-mobile, capec).
        #[arg(long = "id", value_name = "ID")]
        id: Option<String>,
    },
}

fn parse_kind(text: &str) -> Result<ElementKind, String> {
    ElementKind::parse(text).ok_or_else(|| {
        format!(
            "unknown element kind {:?}; use {}",
            escape_control(text),
            library::element_kind_names()
        )
    })
}

fn parse_stride(text: &str) -> Result<StrideSet, String> {
    let set = StrideSet::parse(text);
    if !set.unknown().is_empty() {
        return Err(format!(
            "{:?} is not STRIDE; use letters from S, T, R, I, D, E",
            escape_control(set.unknown())
        ));
    }
    if set.is_empty() {
        return Err("no STRIDE letter given".to_string());
    }
    Ok(set)
}

pub fn run(command: LibraryCommand, library_dirs: &[PathBuf]) -> ExitCode {
    match command {
        LibraryCommand::List => list(library_dirs),
        LibraryCommand::Search {
            query,
            kind,
            stride,
            library,
            limit,
        } => {
            let options = SearchOptions {
                only_kind: kind,
                stride: stride.unwrap_or_default(),
                library,
                limit,
                ..SearchOptions::default()
            };
            search(&query, &options, library_dirs)
        }
        LibraryCommand::Show { reference } => show(&reference, library_dirs),
        LibraryCommand::Validate { dir } => validate(dir.as_deref(), library_dirs),
        LibraryCommand::ImportStix { bundle, output, id } => {
            import_stix(&bundle, output.as_deref(), id, library_dirs)
        }
    }
}

fn print_problems(problems: &[LibraryProblem]) {
    for p in problems {
        eprintln!("{}", escape_control(&p.to_string()));
    }
}

/// The shipped libraries and the `--library-dir`s. Files that do not load are reported and left
/// out; the flag says whether that happened, so the command can end with exit code 2.
fn load(library_dirs: &[PathBuf]) -> (LibrarySet, bool) {
    match LibrarySet::load(library_dirs) {
        Ok(set) => (set, false),
        Err(e) => {
            print_problems(&e.problems);
            (*e.partial, true)
        }
    }
}

fn finish(had_problems: bool) -> ExitCode {
    if had_problems {
        ExitCode::from(EXIT_UNREADABLE)
    } else {
        ExitCode::SUCCESS
    }
}

/// Pads to a width in characters (format's width counts characters too, but this also
/// truncates nothing and keeps the escaping in one place).
fn pad(text: &str, width: usize) -> String {
    let n = text.chars().count();
    let mut out = text.to_string();
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(n)));
    out
}

/// Aligned columns, two spaces apart; the last column is not padded. An empty header prints no
/// header line.
fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let columns = rows
        .iter()
        .map(Vec::len)
        .chain([header.len()])
        .max()
        .unwrap_or(0);
    let mut widths = vec![0usize; columns];
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    for row in rows.iter().chain([&header]) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(&pad(cell, widths.get(i).copied().unwrap_or(0)));
                out.push_str("  ");
            }
        }
        out.trim_end().to_string()
    };
    let mut stdout = std::io::stdout().lock();
    if !header.is_empty() {
        let _ = writeln!(stdout, "{}", line(&header));
    }
    for row in rows {
        let _ = writeln!(stdout, "{}", line(row));
    }
}

fn list(library_dirs: &[PathBuf]) -> ExitCode {
    let (set, had_problems) = load(library_dirs);
    let rows: Vec<Vec<String>> = set
        .libraries()
        .iter()
        .map(|lib| {
            vec![
                escape_control(&lib.info.id).into_owned(),
                escape_control(&lib.info.name).into_owned(),
                escape_control(&lib.info.version).into_owned(),
                lib.entries.len().to_string(),
                // Which file a library came from, so a team file is never mistaken for MITRE's.
                match &lib.origin {
                    Origin::Shipped(name) => format!("shipped ({name})"),
                    origin => escape_control(&origin.to_string()).into_owned(),
                },
            ]
        })
        .collect();
    print_table(&["ID", "NAME", "VERSION", "ENTRIES", "FILE"], &rows);
    finish(had_problems)
}

/// Why a result matched, for the last column.
fn why(hit: &SearchHit<'_>) -> String {
    let reason = hit.reason();
    if reason.is_empty() {
        return MatchField::Name.as_str().to_string();
    }
    escape_control(&reason).into_owned()
}

/// The lines `library search` prints: reference, name, why it matched; escaped.
pub(crate) fn search_rows(
    set: &LibrarySet,
    query: &str,
    options: &SearchOptions,
) -> Vec<Vec<String>> {
    set.search(query, options)
        .iter()
        .map(|h| {
            vec![
                escape_control(h.reference().as_str()).into_owned(),
                escape_control(h.name()).into_owned(),
                why(h),
            ]
        })
        .collect()
}

fn search(query: &str, options: &SearchOptions, library_dirs: &[PathBuf]) -> ExitCode {
    let (set, had_problems) = load(library_dirs);
    let rows = search_rows(&set, query, options);
    if rows.is_empty() {
        eprintln!(
            "no entries match {:?}{}",
            escape_control(query),
            if options.only_kind.is_some()
                || !options.stride.is_empty()
                || options.library.is_some()
            {
                " with these filters"
            } else {
                ""
            }
        );
        return finish(had_problems);
    }
    print_table(&[], &rows);
    finish(had_problems)
}

fn show(reference: &str, library_dirs: &[PathBuf]) -> ExitCode {
    let (set, had_problems) = load(library_dirs);
    let (lib, entry) = match set.resolve(reference) {
        Ok(found) => found,
        Err(e) => {
            eprintln!("threatboard library show: {e}");
            return ExitCode::from(EXIT_UNREADABLE);
        }
    };
    let esc = |s: &str| escape_control(s).into_owned();
    let mut lines: Vec<(&str, String)> = Vec::new();
    let version = if lib.info.version.is_empty() {
        String::new()
    } else {
        format!(" {}", esc(&lib.info.version))
    };
    lines.push((
        "library",
        format!("{}{version} ({})", esc(&lib.info.name), esc(&lib.info.id)),
    ));
    if !entry.stride.is_empty() {
        let names: Vec<String> = entry
            .stride
            .iter()
            .map(|s| s.name().to_lowercase())
            .collect();
        lines.push((
            "stride",
            format!("{}  ({})", entry.stride, names.join(", ")),
        ));
    }
    if !entry.applies_to.is_empty() {
        let kinds: Vec<&str> = entry.applies_to.iter().map(|k| k.as_str()).collect();
        lines.push(("applies to", kinds.join(", ")));
    }
    if !entry.tactics.is_empty() {
        lines.push(("tactics", esc(&entry.tactics.join(", "))));
    }
    if !entry.platforms.is_empty() {
        lines.push(("platforms", esc(&entry.platforms.join(", "))));
    }
    if let Some(parent) = &entry.parent {
        let name = lib
            .entry(parent)
            .map(|p| p.name.as_str())
            .unwrap_or("(not in the library)");
        lines.push((
            "parent",
            format!("{}:{}  {}", esc(&lib.info.id), esc(parent), esc(name)),
        ));
    }
    let children: Vec<String> = lib
        .children(&entry.id)
        .map(|c| format!("{}:{}  {}", esc(&lib.info.id), esc(&c.id), esc(&c.name)))
        .collect();
    for (i, c) in children.into_iter().enumerate() {
        lines.push((if i == 0 { "children" } else { "" }, c));
    }
    for (i, m) in entry.mitigations.iter().enumerate() {
        let name = lib
            .mitigation(m)
            .map(|x| x.name.as_str())
            .unwrap_or("(not in the library)");
        lines.push((
            if i == 0 { "mitigations" } else { "" },
            format!("{}  {}", esc(m), esc(name)),
        ));
    }
    if !entry.cwes.is_empty() {
        lines.push(("cwes", esc(&entry.cwes.join(", "))));
    }
    for (i, r) in entry.related.iter().enumerate() {
        let name = set
            .resolve(r)
            .map(|(_, e)| e.name.as_str())
            .unwrap_or("(not loaded)");
        lines.push((
            if i == 0 { "related" } else { "" },
            format!("{}  {}", esc(r), esc(name)),
        ));
    }
    if !entry.tags.is_empty() {
        lines.push(("tags", esc(&entry.tags.join(", "))));
    }
    if !entry.summary.is_empty() {
        lines.push(("summary", esc(&entry.summary)));
    }
    if !entry.url.is_empty() {
        lines.push(("url", esc(&entry.url)));
    }
    if !lib.info.licence.is_empty() {
        lines.push(("licence", esc(&lib.info.licence)));
    }

    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(
        stdout,
        "{}  {}",
        esc(lib.reference(entry).as_str()),
        esc(&entry.name)
    );
    let width = lines.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (key, value) in lines {
        let _ = writeln!(stdout, "  {}  {value}", pad(key, width));
    }
    finish(had_problems)
}

fn validate(dir: Option<&Path>, library_dirs: &[PathBuf]) -> ExitCode {
    let mut problems: Vec<LibraryProblem> = Vec::new();
    let mut libraries: Vec<Library> = Vec::new();
    let mut files = 0usize;
    let mut bad_files = 0usize;

    let mut rule_files: Vec<RuleFile> = Vec::new();
    let mut take = |result: Result<LibraryFile, Vec<LibraryProblem>>,
                    (libraries, rule_files): (&mut Vec<Library>, &mut Vec<RuleFile>),
                    problems: &mut Vec<LibraryProblem>| {
        files += 1;
        match result {
            Ok(LibraryFile::Library(lib)) => libraries.push(*lib),
            Ok(LibraryFile::Rules(rules)) => rule_files.push(rules),
            Err(ps) => {
                bad_files += 1;
                problems.extend(ps);
            }
        }
    };
    match dir {
        Some(dir) => match library::read_dir(dir) {
            Ok(items) if items.is_empty() => {
                eprintln!(
                    "{}: no library files (*.toml) to validate",
                    store::display_path(dir)
                );
                return ExitCode::from(EXIT_UNREADABLE);
            }
            Ok(items) => {
                for item in items {
                    take(item, (&mut libraries, &mut rule_files), &mut problems);
                }
            }
            Err(p) => {
                print_problems(&[p]);
                return ExitCode::from(EXIT_UNREADABLE);
            }
        },
        None => {
            for (name, text) in library::shipped_files() {
                take(
                    library::parse_file(text, Origin::Shipped(name)),
                    (&mut libraries, &mut rule_files),
                    &mut problems,
                );
            }
            for d in library_dirs {
                match library::read_dir(d) {
                    Ok(items) => {
                        for item in items {
                            take(item, (&mut libraries, &mut rule_files), &mut problems);
                        }
                    }
                    Err(p) => {
                        print_problems(&[p]);
                        return ExitCode::from(EXIT_UNREADABLE);
                    }
                }
            }
        }
    }

    // Across files: unique ids (a file may not reuse a shipped library's id), and `related` references
    // into the libraries being checked, plus the shipped ones when checking a directory.
    let mut summaries: Vec<String> = libraries
        .iter()
        .map(|l| {
            format!(
                "{}: ok ({}, {} entries, {} mitigations)",
                escape_control(&l.origin.to_string()),
                escape_control(&l.info.id),
                l.entries.len(),
                l.mitigations.len()
            )
        })
        .collect();
    summaries.extend(rule_files.iter().map(|f| {
        format!(
            "{}: ok (rules {}, {} rules{})",
            escape_control(&f.origin.to_string()),
            escape_control(&f.id),
            f.rules.len(),
            if f.disable.is_empty() {
                String::new()
            } else {
                format!(", {} disabled", f.disable.len())
            }
        )
    }));
    let mut all = Vec::new();
    if dir.is_some()
        && let Ok(shipped) = LibrarySet::shipped()
    {
        // The shipped libraries resolve `related` references; one the directory itself defines
        // (the source `libraries/` directory) is checked as the file, not refused as a clash.
        all.extend(
            shipped
                .libraries()
                .iter()
                .filter(|s| {
                    !libraries
                        .iter()
                        .any(|l| l.info.id.eq_ignore_ascii_case(&s.info.id))
                })
                .cloned(),
        );
    }
    all.extend(libraries);
    let set = match LibrarySet::from_libraries(all) {
        Ok(set) => set,
        Err(e) => {
            problems.extend(e.problems);
            *e.partial
        }
    };
    problems.extend(set.dangling_related());

    // Rules: unique ids across files, `disable` naming real rules, references that resolve.
    // A directory's rules are checked with the shipped ones unless it is where they come from.
    let mut all_rules: Vec<RuleFile> = Vec::new();
    if dir.is_some() {
        for (name, text) in library::shipped_files() {
            if let Ok(LibraryFile::Rules(shipped)) =
                library::parse_file(text, Origin::Shipped(name))
                && !rule_files
                    .iter()
                    .any(|f| f.id.eq_ignore_ascii_case(&shipped.id))
            {
                all_rules.push(shipped);
            }
        }
    }
    all_rules.extend(rule_files);
    let (rules, rule_problems) = RuleSet::build(&all_rules);
    problems.extend(rule_problems);
    problems.extend(rules.unresolved_refs(&set));

    let listed: String = summaries.iter().map(|s| format!("{s}\n")).collect();
    if let Err(code) = super::print_stdout(&listed) {
        return code;
    }
    if problems.is_empty() {
        return ExitCode::SUCCESS;
    }
    print_problems(&problems);
    eprintln!(
        "{} problem{} ({} of {} file{} did not load)",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" },
        bad_files,
        files,
        if files == 1 { "" } else { "s" }
    );
    ExitCode::from(EXIT_PROBLEMS)
}

fn import_stix(
    bundle: &Path,
    output: Option<&Path>,
    id: Option<String>,
    library_dirs: &[PathBuf],
) -> ExitCode {
    let file = store::display_path(bundle);
    let bytes = match store::read_input(bundle, store::InputKind::STIX_BUNDLE) {
        Ok(bytes) => bytes,
        Err(store::StoreError::Io { source, .. }) => {
            eprintln!("{file}: cannot read: {source}");
            return ExitCode::from(EXIT_UNREADABLE);
        }
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(EXIT_UNREADABLE);
        }
    };
    if let Some(id) = &id
        && let Some(problem) = crate::model::ids::id_syntax_problem(id)
    {
        eprintln!("threatboard library import-stix: --id: {problem}");
        return ExitCode::from(EXIT_UNREADABLE);
    }
    // CAPEC takes STRIDE and element kinds from the ATT&CK techniques it links to.
    let set = LibrarySet::load(library_dirs).unwrap_or_else(|e| *e.partial);
    let options = ImportOptions {
        library_id: id,
        attack: set.library("attack"),
    };
    let imported = match stix::import(&bytes, &options) {
        Ok(imported) => imported,
        Err(e) => {
            eprintln!("{}:{}", file, escape_control(&e.to_string()));
            return ExitCode::from(EXIT_UNREADABLE);
        }
    };
    drop(bytes);
    for w in &imported.warnings {
        eprintln!("warning: {}: {}", file, escape_control(w));
    }
    let text = match imported.to_toml() {
        Ok(text) => text,
        Err(e) => {
            eprintln!("{}: cannot write the library as TOML: {e}", file);
            return ExitCode::from(EXIT_UNREADABLE);
        }
    };
    // Only the summary line needs the import from here on: its entries are freed before the
    // text is parsed again, the step that needs the most memory for a large bundle.
    let (kind, lib, s) = (
        imported.kind,
        imported.data.library.clone(),
        imported.stats.clone(),
    );
    drop(imported);
    // The importer's output must load like any library file; checked before anything is written.
    let output = output.filter(|p| !store::files::is_stdout(p));
    let name = output.map_or_else(|| "<output>".to_string(), store::display_path);
    if let Err(problems) = library::parse_library(&text, Origin::Text(name.clone())) {
        eprintln!("{}: the generated library does not validate:", file);
        print_problems(&problems);
        return ExitCode::from(EXIT_UNREADABLE);
    }

    match output {
        Some(path) => {
            if let Err(e) = store::write_output(path, text.as_bytes()) {
                eprintln!("cannot write: {e}");
                return ExitCode::from(EXIT_UNREADABLE);
            }
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            if let Err(e) = stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
            {
                eprintln!("threatboard library import-stix: cannot write to standard output: {e}");
                return ExitCode::from(EXIT_UNREADABLE);
            }
        }
    }
    let (top, children) = match kind {
        SourceKind::Attack => ("techniques", "sub-techniques"),
        SourceKind::Capec => ("top-level patterns", "child patterns"),
    };
    eprintln!(
        "{}: {} {}: {} entries ({} {top}, {} {children}), {} mitigations, {} mitigation links; skipped {} revoked, deprecated or unreadable -> {}",
        file,
        escape_control(&lib.name),
        escape_control(&lib.version),
        s.entries,
        s.top_level,
        s.children,
        s.mitigations,
        s.mitigation_links,
        s.skipped,
        if output.is_some() {
            name.clone()
        } else {
            "standard output".to_string()
        }
    );
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_and_stride_arguments() {
        assert_eq!(parse_kind("Data-Store"), Ok(ElementKind::DataStore));
        assert!(
            parse_kind("db")
                .err()
                .unwrap_or_default()
                .contains("process, data-store")
        );
        assert_eq!(
            parse_stride("ti").map(|s| s.to_string()),
            Ok("TI".to_string())
        );
        assert!(parse_stride("X").is_err());
        assert!(parse_stride("").is_err());
    }

    #[test]
    fn padding_counts_characters() {
        assert_eq!(pad("é", 3), "é  ");
        assert_eq!(pad("long", 2), "long");
    }
}
