//! The app against hostile or broken surroundings: duplicate ids from a hand-edited file, a
//! commit refused by a hook or made on a detached HEAD, emoji that terminals draw wider than
//! measured, and recovery on a file that cannot be edited.

use super::*;

#[test]
fn duplicate_ids_from_a_hand_edited_file_block_edits_instead_of_changing_both() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.toml");
    let component = |name: &str| {
        format!("\n[[components]]\nid = \"c1\"\nname = \"{name}\"\nkind = \"process\"\n")
    };
    let text = format!(
        "schema = 1\ntitle = \"Shop\"\n{}{}\n[[components]]\nid = \"c2\"\nname = \"Other\"\nkind = \"process\"\n",
        component("First"),
        component("Second")
    );
    std::fs::write(&path, text).expect("write");
    let mut app = app_on_file(&path);
    keys(&mut app, "<esc>");
    let before = session(&app).clone();
    // Delete the second c1 (asking first or not, answer yes).
    keys(&mut app, "jd");
    if matches!(app.modal, Some(Modal::Confirm { .. })) {
        keys(&mut app, "y");
    }
    assert_eq!(session(&app), &before, "neither c1 is deleted");
    let status = status_text(&app);
    assert!(
        status.contains("id \"c1\" is used by more than one entry of [[components]]")
            && status.contains("in the file"),
        "{status}"
    );
    // Editing the second c1 changes nothing either.
    keys(&mut app, "e<C-u>Renamed<ret>");
    assert_eq!(session(&app), &before, "neither c1 is renamed");
    assert!(
        status_text(&app).contains("\"c1\""),
        "{}",
        status_text(&app)
    );
    assert!(!app.is_dirty());
}

/// Runs git in `dir` with no repository variables from outside; fails the test otherwise (git
/// is a requirement: a missing git fails here, it does not skip).
fn git(dir: &Path, args: &[&str]) -> String {
    let mut command = std::process::Command::new("git");
    command.arg("-C").arg(dir).args(args);
    for name in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_COMMON_DIR",
    ] {
        command.env_remove(name);
    }
    let out = command.output().expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A repository with a committed session `s.toml`, its own identity and hooks directory.
fn repo_with_session() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().to_path_buf();
    git(&root, &["init", "-q"]);
    git(&root, &["config", "user.email", "t@example.invalid"]);
    git(&root, &["config", "user.name", "T"]);
    git(&root, &["config", "commit.gpgsign", "false"]);
    std::fs::create_dir(root.join(".git/test-hooks")).expect("hooks dir");
    git(&root, &["config", "core.hooksPath", ".git/test-hooks"]);
    std::fs::write(root.join("s.toml"), "schema = 1\ntitle = \"Shop\"\n").expect("write");
    git(&root, &["add", "s.toml"]);
    git(&root, &["commit", "-q", "-m", "initial"]);
    (dir, root)
}

#[cfg(unix)]
#[test]
fn a_refused_commit_shows_the_hooks_reason_and_leaves_the_index_as_it_was() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, root) = repo_with_session();
    let hook = root.join(".git/test-hooks/pre-commit");
    std::fs::write(
        &hook,
        "#!/bin/sh\necho 'pre-commit: TH-004 is critical and has no owner' >&2\necho 'run threatboard check for details' >&2\nexit 1\n",
    )
    .expect("hook");
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::write(root.join("notes.txt"), "wip\n").expect("write");
    git(&root, &["add", "notes.txt"]);
    let index_before = git(&root, &["ls-files", "--stage"]);

    let path = root.join("s.toml");
    let mut app = app_on_file(&path);
    keys(&mut app, "<esc>aQueue<ret>C<ret>");

    assert_eq!(git(&root, &["ls-files", "--stage"]), index_before);
    assert_eq!(
        git(&root, &["diff", "--cached", "--name-only"]),
        "notes.txt\n"
    );
    assert!(
        status_text(&app).contains("TH-004 is critical and has no owner"),
        "{}",
        status_text(&app)
    );
    let text = screen(&app, 120, 40);
    assert!(
        text.contains("TH-004 is critical and has no owner"),
        "{text}"
    );
    assert!(text.contains("run threatboard check for details"), "{text}");
    // The dialog closes with any key; the reason stays on the status line.
    keys(&mut app, "<esc>");
    assert!(app.modal.is_none());
    let text = screen(&app, 120, 40);
    assert!(
        text.contains("not committed: pre-commit: TH-004 is critical"),
        "{text}"
    );
}

#[test]
fn committing_on_a_detached_head_warns_before_and_after() {
    let (_dir, root) = repo_with_session();
    git(&root, &["checkout", "-q", "--detach"]);
    let path = root.join("s.toml");
    let mut app = app_on_file(&path);
    keys(&mut app, "<esc>aQueue<ret>C");
    assert!(matches!(app.modal, Some(Modal::Commit(_))));
    let text = screen(&app, 120, 40);
    assert!(text.contains("HEAD is detached"), "{text}");
    keys(&mut app, "<ret>");
    let status = status_text(&app);
    assert!(
        status.contains("on a detached HEAD, on no branch"),
        "{status}"
    );
    assert_eq!(
        git(&root, &["rev-list", "--count", "HEAD"]).trim(),
        "2",
        "committed"
    );
}

/// Every cell of every row, drawn by a terminal that knows no emoji sequences (each character
/// its own width), takes exactly the cells ratatui measured for it, and no cell holds a
/// regional indicator (drawn one or two cells wide, depending on the terminal). Otherwise the
/// rest of the row shifts and cells ratatui thinks unchanged are left stale.
fn assert_terminals_agree(buffer: &ratatui::buffer::Buffer) {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    let area = buffer.area;
    for y in area.top()..area.bottom() {
        let mut x = area.left();
        let mut drawn = 0;
        let mut row = String::new();
        while x < area.right() {
            let symbol = buffer[(x, y)].symbol();
            let measured = symbol.width().max(1);
            let per_char: usize = symbol.chars().map(|c| c.width().unwrap_or(0)).sum();
            row.push_str(symbol);
            assert_eq!(
                per_char.max(1),
                measured,
                "{symbol:?} at ({x}, {y}) is measured {measured} cells but may be drawn {per_char}: {row}"
            );
            assert!(
                !symbol
                    .chars()
                    .any(|c| ('\u{1f1e6}'..='\u{1f1ff}').contains(&c)),
                "a regional indicator at ({x}, {y}): {row}"
            );
            drawn += per_char.max(1);
            x += measured as u16;
        }
        assert!(drawn <= usize::from(area.width), "row {y} overflows: {row}");
    }
}

/// What a terminal shows: each cell's symbol and style, leaving out the cells a wide symbol
/// before them covers.
fn visible_cells(
    buffer: &ratatui::buffer::Buffer,
) -> Vec<(u16, u16, String, ratatui::style::Style)> {
    let mut out = Vec::new();
    for y in buffer.area.top()..buffer.area.bottom() {
        let mut x = buffer.area.left();
        while x < buffer.area.right() {
            let cell = &buffer[(x, y)];
            out.push((x, y, cell.symbol().to_string(), cell.style()));
            x += unicode_width::UnicodeWidthStr::width(cell.symbol()).max(1) as u16;
        }
    }
    out
}

#[test]
fn emoji_sequences_are_drawn_as_wide_as_measured_and_leave_no_stale_cells() {
    let names = [
        "👩\u{200d}👩\u{200d}👧 family",
        "🇫🇷 France",
        "👍🏽 thumbs",
        "❤\u{fe0f} heart",
        "1\u{fe0f}\u{20e3} keycap",
        "🏴\u{e0067}\u{e0062}\u{e0065}\u{e006e}\u{e0067}\u{e007f} England",
    ];
    let mut s = crate::model::Session::new("Emoji 👩\u{200d}💻 🇯🇵");
    for (i, name) in names.iter().enumerate() {
        s.components.push(crate::model::Component {
            technology: None,
            not_applicable_reason: Default::default(),
            out_of_scope: Default::default(),
            dismissed: Default::default(),
            id: format!("c{i}").as_str().into(),
            name: (*name).into(),
            kind: crate::model::ComponentKind::Process,
            boundary: None,
            tags: Default::default(),
            assets: Vec::new(),
            not_applicable: crate::model::StrideSet::empty(),
            notes: Default::default(),
        });
        for j in 0..3 {
            s.threats.push(crate::model::Threat {
                rule: None,
                id: format!("TH-{:03}", i * 3 + j + 1).as_str().into(),
                target: format!("c{i}").as_str().into(),
                title: format!("{name} {name} threat {j}"),
                stride: crate::model::StrideSet::parse("S"),
                refs: Vec::new(),
                likelihood: Some(crate::model::Rating(3)),
                impact: Some(crate::model::Rating(3)),
                response: crate::model::Response::default(),
                status: crate::model::ThreatStatus::default(),
                transferred_to: String::new(),
                raised_by: Vec::new(),
                notes: String::new(),
            });
        }
    }
    let mut app = App::open(
        store::LoadedSession::unsaved(s, "x.toml"),
        Theme::plain(),
        today(),
    );
    keys(&mut app, "<esc>");
    let fresh = |app: &App, w: u16, h: u16| {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
        terminal.draw(|f| view::draw(app, f)).expect("draws");
        terminal.backend().buffer().clone()
    };
    for (w, h) in [(80, 24), (120, 40)] {
        // Question 1's list of components, then question 4, redrawn in one terminal after the
        // selection or the scroll moved, as a terminal sees it: the result must be the frame
        // a fresh terminal gets.
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
        for step in ["1", "j", "jj", "G", "4", "j", "jjj", "k"] {
            keys(&mut app, step);
            terminal.draw(|f| view::draw(&app, f)).expect("draws");
            let expected = fresh(&app, w, h);
            assert_terminals_agree(&expected);
            assert_eq!(
                visible_cells(terminal.backend().buffer()),
                visible_cells(&expected),
                "after {step:?} at {w}x{h}"
            );
        }
    }
    // Back to the first blocking item, at the top of the page.
    keys(&mut app, "g");
    let text = screen(&app, 120, 40);
    assert!(
        text.contains("FR France"),
        "a flag shows as its letters:\n{text}"
    );
    assert!(
        text.contains("👩 family"),
        "a ZWJ sequence shows as its first emoji:\n{text}"
    );
}

#[test]
fn work_on_a_file_with_duplicate_ids_is_still_recovered() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.toml");
    let text = "schema = 1\ntitle = \"Shop\"\n\n[[components]]\nid = \"c1\"\nname = \"A\"\nkind = \"process\"\n\n[[components]]\nid = \"c1\"\nname = \"B\"\nkind = \"process\"\n";
    std::fs::write(&path, text).expect("write");
    let base = store::load(&path).expect("loads").session;
    let mut work = base.clone();
    work.title = "Shop, renamed before a crash".into();
    store::autosave::write_autosave(&path, &work, Some(&base), None).expect("autosave");
    let mut app = app_on_file(&path);
    assert!(matches!(app.modal, Some(Modal::Recover(_))));
    keys(&mut app, "r");
    // Recovering replaces the whole session: nothing is looked up by id, so it is not refused.
    assert_eq!(session(&app).title, "Shop, renamed before a crash");
    assert!(
        store::autosave::pending_autosaves(&path)
            .iter()
            .any(|p| store::autosave::read_autosave(p)
                .is_ok_and(|a| a.session.title == "Shop, renamed before a crash")),
        "the recovered work is autosaved again"
    );
}
