//! The bundled example sessions: they validate, and they are stored in canonical form, so saving
//! one without changes rewrites exactly the same bytes.

use std::path::PathBuf;
use threatboard::model::validate;
use threatboard::store;

fn examples() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sessions");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("sessions/ exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn there_are_three_examples_and_each_validates() {
    let files = examples();
    let names: Vec<_> = files
        .iter()
        .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "llm-support-bot.toml",
            "microservices-api-platform.toml",
            "three-tier-cloud-web-app.toml"
        ]
    );
    for path in &files {
        let loaded = store::load(path).expect("example loads");
        let problems = validate(&loaded.session);
        assert!(problems.is_empty(), "{}: {problems:#?}", path.display());
        let s = &loaded.session;
        assert!(s.boundaries.len() >= 3, "{}", path.display());
        assert!(s.threats.iter().any(|t| !t.refs.is_empty()));
        assert!(
            s.mitigations
                .iter()
                .any(|m| !m.owner.is_empty() && m.due.is_some())
        );
    }
}

#[test]
fn saving_an_example_twice_changes_no_byte() {
    let dir = tempfile::tempdir().expect("temp dir");
    for path in examples() {
        let original = std::fs::read(&path).expect("read");
        let copy = dir.path().join(path.file_name().expect("name"));
        std::fs::write(&copy, &original).expect("copy");
        let mut loaded = store::load(&copy).expect("loads");
        assert!(
            !loaded.save().expect("first save"),
            "{}: not canonical",
            path.display()
        );
        let mut again = store::load(&copy).expect("reloads");
        assert!(!again.save().expect("second save"));
        assert_eq!(
            std::fs::read(&copy).expect("read copy"),
            original,
            "{}",
            path.display()
        );
        assert_eq!(
            store::to_toml(&loaded.session)
                .expect("serializes")
                .as_bytes(),
            &original[..]
        );
    }
}
