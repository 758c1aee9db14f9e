//! Threat libraries: the TOML format, loading and validation, MITRE's STIX importer, and fuzzy
//! search.
//!
//! A library is one TOML file (see [`format`](mod@format)); a session refers to its entries as
//! `<library-id>:<entry-id>`. The shipped libraries are compiled into the binary (by `build.rs`,
//! from `libraries/*.toml`), so the program works from any directory. A team adds its own from
//! `libraries/` beside its sessions and from `--library-dir`; two libraries with the same id are
//! an error, a file reusing a shipped library's id included, since a reference must mean one
//! thing.

pub mod aliases;
pub mod format;
pub mod load;
pub mod search;
pub mod stix;

pub use format::{Entry, LibraryData, LibraryInfo, MitigationInfo, Origin, natural_cmp};
pub use load::{line_col, parse_library};
pub use search::{MatchField, SearchCounts, SearchHit, SearchOptions, Tier};

use crate::model::ElementKind;
use crate::model::LibraryRef;
use crate::rules::{RuleFile, RuleSet};
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/shipped_libraries.rs"));

/// The library files compiled into this binary: (file name, contents), sorted by file name.
pub fn shipped_files() -> &'static [(&'static str, &'static str)] {
    SHIPPED
}

/// One thing wrong with a library file or directory, shown as `file:line:col: message` (or
/// `file: message` when there is no position, e.g. an unreadable directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryProblem {
    pub file: String,
    /// 1-based; 0 when the problem has no position.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub message: String,
}

impl LibraryProblem {
    fn whole_file(file: impl fmt::Display, message: impl Into<String>) -> Self {
        LibraryProblem {
            file: file.to_string(),
            line: 0,
            column: 0,
            message: message.into(),
        }
    }
}

impl fmt::Display for LibraryProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )
        }
    }
}

/// A loaded, checked library with its lookups.
#[derive(Debug, Clone)]
pub struct Library {
    pub info: LibraryInfo,
    pub entries: Vec<Entry>,
    pub mitigations: Vec<MitigationInfo>,
    pub origin: Origin,
    /// Line and column of the library id in its file, for messages that point at it.
    pub id_at: (usize, usize),
    /// Per entry, the line and column of each `related` reference, for cross-library checks.
    pub(crate) related_at: Vec<Vec<(usize, usize)>>,
    /// Lowercased entry id -> index: ids are looked up without case (`t1078.004`).
    entry_index: HashMap<String, usize>,
    mitigation_index: HashMap<String, usize>,
}

impl Library {
    pub(crate) fn new(data: LibraryData, origin: Origin, id_at: (usize, usize)) -> Self {
        let entry_index = data
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.to_lowercase(), i))
            .collect();
        let mitigation_index = data
            .mitigations
            .iter()
            .enumerate()
            .map(|(i, m)| (m.id.to_lowercase(), i))
            .collect();
        Library {
            info: data.library,
            entries: data.entries,
            mitigations: data.mitigations,
            origin,
            id_at,
            related_at: Vec::new(),
            entry_index,
            mitigation_index,
        }
    }

    pub fn id(&self) -> &str {
        &self.info.id
    }

    /// The entry with this id, ignoring case.
    pub fn entry(&self, id: &str) -> Option<&Entry> {
        self.entry_index
            .get(&id.to_lowercase())
            .and_then(|&i| self.entries.get(i))
    }

    /// The mitigation with this id, ignoring case.
    pub fn mitigation(&self, id: &str) -> Option<&MitigationInfo> {
        self.mitigation_index
            .get(&id.to_lowercase())
            .and_then(|&i| self.mitigations.get(i))
    }

    /// Entries whose parent is `id` (an ATT&CK technique's sub-techniques), in file order.
    pub fn children<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Entry> + 'a {
        self.entries.iter().filter(move |e| {
            e.parent
                .as_deref()
                .is_some_and(|p| p.eq_ignore_ascii_case(id))
        })
    }

    /// The reference a session uses for an entry of this library.
    pub fn reference(&self, entry: &Entry) -> LibraryRef {
        LibraryRef::new(&self.info.id, &entry.id)
    }

    /// The entries, in file order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The data as a file would hold it (for re-writing or comparing).
    pub fn data(&self) -> LibraryData {
        LibraryData {
            library: self.info.clone(),
            entries: self.entries.clone(),
            mitigations: self.mitigations.clone(),
        }
    }
}

/// Loading failed for some files. `partial` holds every library that did load, so a screen can
/// go on with those while it shows the problems.
#[derive(Debug)]
pub struct LoadError {
    pub problems: Vec<LibraryProblem>,
    pub partial: Box<LibrarySet>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// Why a reference typed by a person does not name exactly one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolveError {
    UnknownLibrary(String),
    UnknownEntry {
        library: String,
        entry: String,
    },
    /// A bare id found in several libraries; the full references that match.
    Ambiguous(Vec<String>),
    NotFound(String),
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::model::text::escape_control as esc;
        match self {
            ResolveError::UnknownLibrary(lib) => {
                write!(f, "no library with id {:?} is loaded", esc(lib))
            }
            ResolveError::UnknownEntry { library, entry } => {
                write!(
                    f,
                    "library {:?} has no entry {:?}",
                    esc(library),
                    esc(entry)
                )
            }
            ResolveError::Ambiguous(refs) => {
                write!(f, "ambiguous id; use one of: {}", refs.join(", "))
            }
            ResolveError::NotFound(id) => write!(f, "no entry {:?} in any loaded library", esc(id)),
        }
    }
}

/// All loaded libraries, with the search index over them, and the threat rules found beside
/// them.
#[derive(Debug, Clone, Default)]
pub struct LibrarySet {
    libraries: Vec<Library>,
    index: search::SearchIndex,
    rules: RuleSet,
}

/// What a file in a libraries folder holds: a library, or threat rules (first table `[rules]`).
#[derive(Debug, Clone)]
pub enum LibraryFile {
    Library(Box<Library>),
    Rules(RuleFile),
}

/// Parses a file of a libraries folder as whichever of the two it is.
pub fn parse_file(text: &str, origin: Origin) -> Result<LibraryFile, Vec<LibraryProblem>> {
    if crate::rules::is_rules_file(text) {
        crate::rules::parse_rules(text, origin).map(LibraryFile::Rules)
    } else {
        parse_library(text, origin).map(|l| LibraryFile::Library(Box::new(l)))
    }
}

impl LibrarySet {
    /// A set with no library (before a session is open).
    pub fn empty() -> LibrarySet {
        LibrarySet {
            libraries: Vec::new(),
            index: search::SearchIndex::build(&[]),
            rules: RuleSet::default(),
        }
    }

    /// Builds a set from libraries already loaded, in the order given (which is the order of
    /// `list` and the tie-break of search). Library ids must be unique; see `Builder` for the
    /// rule that lets a file replace a shipped library.
    pub fn from_libraries(libraries: Vec<Library>) -> Result<LibrarySet, LoadError> {
        let mut b = Builder::default();
        for lib in libraries {
            b.add(lib);
        }
        b.finish()
    }

    /// The libraries compiled into the binary.
    pub fn shipped() -> Result<LibrarySet, LoadError> {
        let mut b = Builder::default();
        b.add_shipped();
        b.finish()
    }

    /// The shipped libraries, then every `*.toml` in each directory, in order.
    pub fn load(dirs: &[PathBuf]) -> Result<LibrarySet, LoadError> {
        let mut b = Builder::default();
        b.add_shipped();
        for dir in dirs {
            b.add_dir(dir, true);
        }
        b.finish()
    }

    pub fn libraries(&self) -> &[Library] {
        &self.libraries
    }

    pub fn is_empty(&self) -> bool {
        self.libraries.is_empty()
    }

    /// The number of entries over all libraries.
    pub fn entry_count(&self) -> usize {
        self.libraries.iter().map(|l| l.entries.len()).sum()
    }

    pub fn library(&self, id: &str) -> Option<&Library> {
        self.libraries
            .iter()
            .find(|l| l.info.id.eq_ignore_ascii_case(id))
    }

    /// The entry a well-formed reference names, if loaded.
    pub fn get(&self, reference: &LibraryRef) -> Option<(&Library, &Entry)> {
        let (lib, entry) = reference.parts()?;
        let lib = self.library(lib)?;
        Some((lib, lib.entry(entry)?))
    }

    /// What a person typed: a full reference (`attack:T1078.004`) or a bare entry id (`T1078`,
    /// `capec-66`) that only one library has. Case is ignored.
    pub fn resolve(&self, text: &str) -> Result<(&Library, &Entry), ResolveError> {
        let text = text.trim();
        if let Some((lib_id, entry_id)) = LibraryRef::raw(text).parts()
            && let Some(lib) = self.library(lib_id)
        {
            return lib.entry(entry_id).map(|e| (lib, e)).ok_or_else(|| {
                ResolveError::UnknownEntry {
                    library: lib.info.id.clone(),
                    entry: entry_id.to_string(),
                }
            });
        }
        let found: Vec<(&Library, &Entry)> = self
            .libraries
            .iter()
            .filter_map(|l| l.entry(text).map(|e| (l, e)))
            .collect();
        match found.as_slice() {
            [one] => Ok(*one),
            [] => match LibraryRef::raw(text).parts() {
                // `foo:bar` where foo is no library and bar no entry: say which part is wrong.
                Some((lib, _)) => Err(ResolveError::UnknownLibrary(lib.to_string())),
                None => Err(ResolveError::NotFound(text.to_string())),
            },
            many => Err(ResolveError::Ambiguous(
                many.iter()
                    .map(|(l, e)| l.reference(e).to_string())
                    .collect(),
            )),
        }
    }

    /// `related` references into a loaded library that has no such entry. References into
    /// libraries that are not loaded are fine: those libraries are optional.
    pub fn dangling_related(&self) -> Vec<LibraryProblem> {
        let mut problems = Vec::new();
        for lib in &self.libraries {
            for (i, entry) in lib.entries.iter().enumerate() {
                for (j, r) in entry.related.iter().enumerate() {
                    let reference = LibraryRef::raw(r.as_str());
                    let Some((lib_id, entry_id)) = reference.parts() else {
                        continue;
                    };
                    let Some(target) = self.library(lib_id) else {
                        continue;
                    };
                    if target.entry(entry_id).is_none() {
                        let (line, column) = lib
                            .related_at
                            .get(i)
                            .and_then(|v| v.get(j))
                            .copied()
                            .unwrap_or((0, 0));
                        problems.push(LibraryProblem {
                            file: lib.origin.to_string(),
                            line,
                            column,
                            message: format!(
                                "entry {:?}: related {:?}: library {:?} has no such entry",
                                entry.id,
                                crate::model::text::escape_control(r),
                                target.info.id
                            ),
                        });
                    }
                }
            }
        }
        problems
    }

    /// The threat rules in force (shipped, then the team's).
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The same libraries with other rules in force (tests, and tools that bring their own).
    pub fn with_rules(mut self, rules: RuleSet) -> LibrarySet {
        self.rules = rules;
        self
    }

    /// Fuzzy search over every library; see the [`search`] module for the ranking.
    pub fn search(&self, query: &str, options: &SearchOptions) -> Vec<SearchHit<'_>> {
        self.index.search(&self.libraries, query, options).0
    }

    /// [`LibrarySet::search`], with how many entries matched before `limit` cut the list.
    pub fn search_counted(
        &self,
        query: &str,
        options: &SearchOptions,
    ) -> (Vec<SearchHit<'_>>, SearchCounts) {
        self.index.search(&self.libraries, query, options)
    }
}

/// Loads the libraries for working on a session: the shipped set, `libraries/` beside the
/// session file (when there is one and it exists), then each extra directory (`--library-dir`).
pub fn load_for_session(
    session_path: Option<&Path>,
    extra_dirs: &[PathBuf],
) -> Result<LibrarySet, LoadError> {
    let mut b = Builder::default();
    b.add_shipped();
    if let Some(dir) = session_path.and_then(libraries_beside) {
        b.add_dir(&dir, false);
    }
    for dir in extra_dirs {
        b.add_dir(dir, true);
    }
    b.finish()
}

/// The threat rules in force for a session, as [`load_for_session`] finds them, for callers
/// that need the rules only (`check`). With no team folder to read, the shipped libraries are
/// not parsed at all: they are most of a `check` run's fixed cost, and the shipped rules'
/// references into them are checked by a test. With a team folder, everything is loaded as
/// usual, since the team's files are checked against the shipped libraries (ids, references).
/// The set's libraries may therefore be empty; only [`LibrarySet::rules`] is meant to be used.
pub fn load_rules_for_session(
    session_path: Option<&Path>,
    extra_dirs: &[PathBuf],
) -> Result<LibrarySet, LoadError> {
    if !extra_dirs.is_empty() || session_path.and_then(libraries_beside).is_some() {
        return load_for_session(session_path, extra_dirs);
    }
    let mut b = Builder::default();
    for (name, text) in SHIPPED {
        if crate::rules::is_rules_file(text) {
            match parse_file(text, Origin::Shipped(name)) {
                Ok(file) => b.add_file(file),
                Err(problems) => b.problems.extend(problems),
            }
        }
    }
    let (rules, problems) = RuleSet::build(&b.rule_files);
    b.problems.extend(problems);
    let set = LibrarySet::empty().with_rules(rules);
    if b.problems.is_empty() {
        Ok(set)
    } else {
        Err(LoadError {
            problems: b.problems,
            partial: Box::new(set),
        })
    }
}

/// The `libraries/` folder beside a session file, if there is one.
fn libraries_beside(session: &Path) -> Option<PathBuf> {
    let dir = session
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join("libraries");
    dir.is_dir().then_some(dir)
}

/// Reads every `*.toml` in `dir` (not recursively), sorted by file name. Each item is the loaded
/// library or rules file, or that file's problems; an unreadable directory is one problem.
pub fn read_dir(
    dir: &Path,
) -> Result<Vec<Result<LibraryFile, Vec<LibraryProblem>>>, LibraryProblem> {
    let read = std::fs::read_dir(dir).map_err(|e| {
        LibraryProblem::whole_file(
            crate::store::display_path(dir),
            format!("cannot read directory: {e}"),
        )
    })?;
    let mut paths: Vec<PathBuf> = read
        .flatten()
        .map(|item| item.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml") && p.is_file())
        .collect();
    paths.sort();
    Ok(paths.iter().map(|p| read_file(p)).collect())
}

/// Reads and checks one library or rules file.
pub fn read_file(path: &Path) -> Result<LibraryFile, Vec<LibraryProblem>> {
    use crate::store::{self, InputKind, StoreError};
    let shown = store::display_path(path);
    let bytes = store::read_input(path, InputKind::LIBRARY).map_err(|e| {
        let message = match e {
            StoreError::Io { source, .. } => format!("cannot read: {source}"),
            // The error's text starts with the path; the problem adds it again.
            other => other
                .to_string()
                .strip_prefix(&format!("{shown}: "))
                .map(str::to_string)
                .unwrap_or_else(|| other.to_string()),
        };
        vec![LibraryProblem::whole_file(&shown, message)]
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        vec![LibraryProblem::whole_file(
            &shown,
            format!(
                "cannot read: byte {} is not UTF-8 (is this a library file?)",
                e.utf8_error().valid_up_to()
            ),
        )]
    })?;
    parse_file(&text, Origin::File(path.to_path_buf()))
}

/// Collects libraries, enforcing unique ids, and reports problems instead of stopping at the
/// first.
#[derive(Default)]
struct Builder {
    libraries: Vec<Library>,
    rule_files: Vec<RuleFile>,
    problems: Vec<LibraryProblem>,
}

impl Builder {
    fn add_shipped(&mut self) {
        for (name, text) in SHIPPED {
            match parse_file(text, Origin::Shipped(name)) {
                Ok(file) => self.add_file(file),
                Err(problems) => self.problems.extend(problems),
            }
        }
    }

    /// `required`: a directory the user named must exist; `libraries/` beside a session may not.
    fn add_dir(&mut self, dir: &Path, required: bool) {
        match read_dir(dir) {
            Ok(items) => {
                for item in items {
                    match item {
                        Ok(file) => self.add_file(file),
                        Err(problems) => self.problems.extend(problems),
                    }
                }
            }
            Err(problem) if required => self.problems.push(problem),
            Err(_) => {}
        }
    }

    fn add_file(&mut self, file: LibraryFile) {
        match file {
            LibraryFile::Library(lib) => self.add(*lib),
            LibraryFile::Rules(rules) => self.rule_files.push(rules),
        }
    }

    /// A repeated library id is a problem naming both files, and the first library stays. That
    /// includes a team file reusing a shipped id: it used to replace the shipped library
    /// silently, so a stray `id = "attack"` changed what every `attack:` reference in every
    /// session means. Refusing is safer than a warning that scrolls past in CI.
    fn add(&mut self, lib: Library) {
        let existing = self
            .libraries
            .iter()
            .position(|l| l.info.id.eq_ignore_ascii_case(&lib.info.id));
        match existing {
            None => self.libraries.push(lib),
            Some(i) if self.libraries[i].origin.is_shipped() => self.problems.push(LibraryProblem {
                file: lib.origin.to_string(),
                line: lib.id_at.0,
                column: lib.id_at.1,
                message: format!(
                    "library id {:?} is the id of the shipped library {} ({}); a library file cannot replace a shipped one (references like {}:... must keep their meaning), so give it another id",
                    crate::model::text::escape_control(&lib.info.id),
                    self.libraries[i].info.name,
                    self.libraries[i].origin,
                    self.libraries[i].info.id
                ),
            }),
            Some(i) => self.problems.push(LibraryProblem {
                file: lib.origin.to_string(),
                line: lib.id_at.0,
                column: lib.id_at.1,
                message: format!(
                    "library id {:?} is already used by {} (line {}); library ids must be unique",
                    lib.info.id, self.libraries[i].origin, self.libraries[i].id_at.0
                ),
            }),
        }
    }

    fn finish(mut self) -> Result<LibrarySet, LoadError> {
        let index = search::SearchIndex::build(&self.libraries);
        let (rules, problems) = RuleSet::build(&self.rule_files);
        self.problems.extend(problems);
        let set = LibrarySet {
            libraries: self.libraries,
            index,
            rules,
        };
        // A rule citing an entry no library holds would add a dangling reference to every
        // threat made from it.
        let unresolved = set.rules.unresolved_refs(&set);
        self.problems.extend(unresolved);
        if self.problems.is_empty() {
            Ok(set)
        } else {
            Err(LoadError {
                problems: self.problems,
                partial: Box::new(set),
            })
        }
    }
}

/// Element kinds as written on the command line and in files, for messages.
pub fn element_kind_names() -> String {
    ElementKind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lib(id: &str, origin: Origin, entries: &[(&str, &str)]) -> Library {
        let data = LibraryData {
            library: LibraryInfo {
                id: id.into(),
                name: format!("Library {id}"),
                ..LibraryInfo::default()
            },
            entries: entries
                .iter()
                .map(|(id, name)| Entry {
                    id: (*id).into(),
                    name: (*name).into(),
                    ..Entry::default()
                })
                .collect(),
            mitigations: Vec::new(),
        };
        Library::new(data, origin, (2, 6))
    }

    #[test]
    fn shipped_libraries_load_without_problems() {
        match LibrarySet::shipped() {
            Ok(set) => {
                for lib in set.libraries() {
                    assert!(!lib.entries.is_empty(), "{} has no entries", lib.origin);
                }
            }
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn a_file_cannot_replace_a_shipped_library_and_two_files_clash() {
        let shipped = lib("x", Origin::Shipped("x.toml"), &[("A", "old")]);
        let file = lib("X", Origin::File("team/x.toml".into()), &[("A", "new")]);
        let err = LibrarySet::from_libraries(vec![shipped, file.clone()]).err();
        let text = err.as_ref().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            text,
            "team/x.toml:2:6: library id \"X\" is the id of the shipped library Library x (<built-in>/x.toml); a library file cannot replace a shipped one (references like x:... must keep their meaning), so give it another id"
        );
        let kept = err.map(|e| *e.partial).unwrap_or_default();
        assert_eq!(
            kept.library("x")
                .and_then(|l| l.entry("a"))
                .map(|e| e.name.as_str()),
            Some("old")
        );

        let other = lib("X", Origin::File("other/x.toml".into()), &[]);
        let err = LibrarySet::from_libraries(vec![file, other]).err();
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            text.starts_with("other/x.toml:2:6: library id \"X\" is already used by team/x.toml"),
            "{text}"
        );
    }

    #[test]
    fn resolve_refs_and_bare_ids() {
        let a = lib(
            "a",
            Origin::Text("a".into()),
            &[("T1", "one"), ("Both", "in a")],
        );
        let b = lib(
            "b",
            Origin::Text("b".into()),
            &[("B1", "two"), ("both", "in b")],
        );
        let set = LibrarySet::from_libraries(vec![a, b]).unwrap_or_default();
        let name = |r: &str| set.resolve(r).map(|(_, e)| e.name.clone());
        assert_eq!(name("a:t1"), Ok("one".into()));
        assert_eq!(name("b1"), Ok("two".into()));
        assert_eq!(
            name("both"),
            Err(ResolveError::Ambiguous(vec![
                "a:Both".into(),
                "b:both".into()
            ]))
        );
        assert_eq!(
            name("a:nope"),
            Err(ResolveError::UnknownEntry {
                library: "a".into(),
                entry: "nope".into()
            })
        );
        assert_eq!(
            name("zz:T1"),
            Err(ResolveError::UnknownLibrary("zz".into()))
        );
        assert_eq!(name("nope"), Err(ResolveError::NotFound("nope".into())));
        let r = LibraryRef::raw("A:T1");
        assert!(set.get(&r).is_some());
    }

    #[test]
    fn problems_display_with_and_without_position() {
        let p = LibraryProblem {
            file: "f.toml".into(),
            line: 3,
            column: 7,
            message: "bad".into(),
        };
        assert_eq!(p.to_string(), "f.toml:3:7: bad");
        assert_eq!(
            LibraryProblem::whole_file("dir", "gone").to_string(),
            "dir: gone"
        );
    }

    #[test]
    fn reading_a_directory_sorts_files_and_reports_each() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let write = |name: &str, text: &str| {
            std::fs::write(dir.path().join(name), text).unwrap_or_else(|e| panic!("{e}"))
        };
        write("b.toml", "[library]\nid = \"b\"\nname = \"B\"\n");
        write("a.toml", "[library]\nid = \"a\"\n");
        write("notes.txt", "not a library");
        let items = read_dir(dir.path()).unwrap_or_default();
        assert_eq!(items.len(), 2);
        let first = items[0]
            .as_ref()
            .err()
            .map(|p| p[0].to_string())
            .unwrap_or_default();
        assert!(first.ends_with("a.toml:1:1: missing name"), "{first}");
        assert!(items[1].is_ok());
        assert!(read_dir(&dir.path().join("missing")).is_err());
    }
    #[test]
    fn rules_only_loading_gives_the_rules_of_a_full_load() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let session = dir.path().join("s.toml");
        let full = load_for_session(Some(&session), &[]).unwrap_or_else(|e| panic!("{e}"));
        let quick = load_rules_for_session(Some(&session), &[]).unwrap_or_else(|e| panic!("{e}"));
        assert!(!full.rules().rules().is_empty());
        assert_eq!(quick.rules(), full.rules());
        // No team folder: the shipped libraries were not parsed.
        assert!(quick.is_empty());
    }

    #[test]
    fn rules_only_loading_reads_a_team_folder_and_reports_its_problems() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let team = dir.path().join("libraries");
        std::fs::create_dir(&team).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            team.join("x.toml"),
            "[library]\nid = \"attack\"\nname = \"X\"\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let session = dir.path().join("s.toml");
        let err = load_rules_for_session(Some(&session), &[]).err();
        let text = err.as_ref().map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("is the id of the shipped library"), "{text}");
        let kept = err.map(|e| *e.partial).unwrap_or_default();
        assert!(!kept.rules().rules().is_empty());
    }
}
