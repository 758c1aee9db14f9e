//! A re-run in the app: what changed, then always a new run that records its baseline, then
//! question 3 walking the flagged threats; the session clock, which waits for the opening
//! dialogs, counts per question and is recorded in today's run when the session is saved.

use super::*;
use crate::model::ThreatStatus;
use crate::tui::app::Rerun;

/// The example opened as `rerun` opens it, with TH-001 and TH-003 flagged by the change.
fn rerun_app(loaded: store::LoadedSession) -> App {
    let mut marked = loaded.session.clone();
    for t in &mut marked.threats {
        if t.id.as_str() == "TH-001" || t.id.as_str() == "TH-003" {
            t.status = ThreatStatus::NeedsReview;
        }
    }
    let mut app = App::start(Path::new("sessions"), Theme::plain(), today());
    app.user = "facilitator".into();
    app.frozen_clock = Some(Duration::from_secs(5 * 60 + 7));
    app.use_libraries(test_libraries(""));
    app.enter_rerun(
        loaded,
        marked,
        Rerun {
            report: "Compared with the session at its last run (2026-11-10, commit abc1234)\n\nSummary: 1 component moved".into(),
            trigger: "boundary change: notification-service moved from service-mesh to dmz".into(),
            baseline: "abc1234def56".into(),
            flagged: vec![
                ("TH-001".into(), "notification-service moved from service-mesh to dmz".into()),
                ("TH-003".into(), "flow queue-to-notification now crosses dmz".into()),
            ],
        },
    );
    app
}

fn walk_banner(app: &App) -> String {
    app.session()
        .and_then(|s| s.respond.walk.as_ref())
        .map(|w| w.banner())
        .unwrap_or_default()
}

#[test]
fn a_rerun_adds_a_run_with_its_baseline_and_walks_the_flagged_threats() {
    let mut app = rerun_app(example("microservices-api-platform.toml"));
    assert!(matches!(app.modal, Some(Modal::WhatChanged { .. })));
    let runs = session(&app).runs.len();
    keys(&mut app, "<ret>");
    let Some(Modal::Form { form, .. }) = &app.modal else {
        panic!("the run form follows what changed");
    };
    assert!(form.text("trigger").starts_with("boundary change:"));
    assert_eq!(form.text("facilitator"), "Priya", "the last run's people");
    keys(&mut app, "<ret>");
    let s = session(&app);
    assert_eq!(s.runs.len(), runs + 1);
    let run = s.runs.last().expect("a run");
    assert_eq!(run.date, today());
    assert_eq!(run.baseline, "abc1234def56");
    // Question 3, on the first flagged threat, saying why it was flagged.
    let state = app.session().expect("open");
    assert_eq!(state.question, 2);
    assert!(app.modal.is_none());
    // TH-004 was flagged before this run (the example's last run): it is walked too.
    assert_eq!(
        walk_banner(&app),
        "needs review 1/3: TH-001: notification-service moved from service-mesh to dmz"
    );
    let first = state.respond.walk.as_ref().and_then(|w| w.current.clone());
    let selected = state
        .respond
        .selected_threat(&state.derived)
        .map(|i| session(&app).threats[i].id.to_string());
    assert_eq!(selected, first, "the walk selects what it shows");
    insta::assert_snapshot!("rerun_walk_banner_80x24", screen(&app, 80, 24));
    insta::assert_snapshot!("rerun_walk_banner_120x40", screen(&app, 120, 40));

    // Still valid: back to open, the response kept; the walk moves on.
    let threat = |app: &App, id: &str| {
        session(app)
            .threats
            .iter()
            .find(|t| t.id.as_str() == id)
            .cloned()
            .expect("kept")
    };
    // e edits the threat itself; the walk stays on it.
    keys(&mut app, "e");
    let Some(Modal::Form { purpose, .. }) = &app.modal else {
        panic!("e opens the threat's form");
    };
    assert!(matches!(
        purpose,
        crate::tui::modal::FormPurpose::Threat { index: Some(_), .. }
    ));
    keys(&mut app, "<esc>");
    assert!(walk_banner(&app).starts_with("needs review 1/3: TH-001"));
    let response = threat(&app, "TH-001").response;
    keys(&mut app, "o");
    assert_eq!(threat(&app, "TH-001").status, ThreatStatus::Open);
    assert_eq!(threat(&app, "TH-001").response, response);
    assert_eq!(
        walk_banner(&app),
        "needs review 2/3: TH-003: flow queue-to-notification now crosses dmz"
    );
    // Not applicable asks why, and keeps the reason in the notes.
    keys(&mut app, "n<ret>");
    assert!(
        matches!(app.modal, Some(Modal::Form { .. })),
        "a reason is required"
    );
    keys(&mut app, "retired with the old queue<ret>");
    let closed = threat(&app, "TH-003");
    assert_eq!(closed.status, ThreatStatus::NotApplicable);
    assert!(
        closed
            .notes
            .contains("Not applicable: retired with the old queue")
    );
    assert_eq!(
        walk_banner(&app),
        "needs review 3/3: TH-004: marked needs-review before this run"
    );
    // An undo puts TH-003 back in question: it is counted as waiting again.
    keys(&mut app, "u");
    assert!(
        walk_banner(&app).starts_with("needs review 2/3: TH-004"),
        "{}",
        walk_banner(&app)
    );
    keys(&mut app, "<space>");
    assert!(
        walk_banner(&app).starts_with("needs review 3/3: TH-003"),
        "{}",
        walk_banner(&app)
    );
    keys(&mut app, "<space>");
    assert_eq!(
        walk_banner(&app),
        "review walk done: 1 reviewed, 2 skipped (Esc closes)"
    );
    keys(&mut app, "<esc>");
    assert!(app.session().is_some_and(|s| s.respond.walk.is_none()));
}

#[test]
fn a_second_rerun_on_the_same_day_adds_another_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.toml");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sessions/microservices-api-platform.toml"),
        &path,
    )
    .expect("copy");
    let mut app = rerun_app(store::load(&path).expect("loads"));
    app.frozen_clock = Some(Duration::ZERO);
    keys(&mut app, "<ret><ret><C-s>");
    let runs = session(&app).runs.len();
    let mut again = rerun_app(store::load(&path).expect("loads"));
    assert!(
        again.session().is_some_and(|s| s.started.is_none()),
        "the clock waits for what changed"
    );
    keys(&mut again, "<ret>");
    let Some(Modal::Form { form, .. }) = &again.modal else {
        panic!("the run form follows what changed");
    };
    assert_eq!(form.title, "Re-run: today's run");
    keys(&mut again, "<ret>");
    let s = session(&again);
    assert_eq!(
        s.runs.len(),
        runs + 1,
        "not today's first re-run overwritten"
    );
    assert_eq!(s.runs.iter().filter(|r| r.date == today()).count(), 2);
}

#[test]
fn question3_marks_the_threats_to_review_first() {
    let mut app = rerun_app(example("microservices-api-platform.toml"));
    keys(&mut app, "<ret><esc>");
    // With the run form closed the walk starts all the same.
    assert_eq!(app.session().map(|s| s.question), Some(2));
    let text = screen(&app, 120, 40);
    // TH-001 and TH-003 flagged now, TH-004 at the example's last run.
    assert!(
        text.contains("Threats by risk, 3 to review first"),
        "{text}"
    );
    assert_eq!(text.matches("⚠ review").count(), 3, "{text}");
}

#[test]
fn the_clock_waits_for_the_opening_dialog_and_counts_per_question() {
    let mut app = App::open(
        example("three-tier-cloud-web-app.toml"),
        Theme::plain(),
        today(),
    );
    assert!(matches!(app.modal, Some(Modal::Form { .. })));
    std::thread::sleep(Duration::from_millis(20));
    keys(&mut app, "j");
    let s = app.session().expect("open");
    assert!(
        s.started.is_none(),
        "no time counts while today's run is asked for"
    );
    assert_eq!(app.elapsed(), Duration::ZERO);
    keys(&mut app, "<esc>");
    assert!(app.session().is_some_and(|s| s.started.is_some()));
    keys(&mut app, "3");
    let s = app.session().expect("open");
    assert_eq!(s.question_since.map(|(q, _)| q), Some(2));
}

#[test]
fn saving_records_the_minutes_of_todays_run_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.toml");
    std::fs::write(
        &path,
        "schema = 1\ntitle = \"T\"\n\n[[runs]]\ndate = 2026-11-23\nminutes = 5\n",
    )
    .expect("write");
    let mut app = app_on_file(&path);
    assert!(app.modal.is_none(), "today's run is there");
    assert!(
        app.session().is_some_and(|s| s.started.is_some()),
        "with no dialog open the clock runs at once"
    );
    app.frozen_clock = Some(Duration::from_secs(12 * 60 + 59));
    keys(&mut app, "<C-s>");
    assert_eq!(session(&app).runs[0].minutes, Some(17));
    assert!(
        std::fs::read_to_string(&path)
            .expect("read")
            .contains("minutes = 17")
    );
    // A later save counts from the same start: 5 + 20, not 17 + 20.
    app.frozen_clock = Some(Duration::from_secs(20 * 60));
    keys(&mut app, "<C-s>");
    assert_eq!(session(&app).runs[0].minutes, Some(25));
}

#[test]
fn an_unchanged_session_opened_and_closed_keeps_every_byte() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.toml");
    let text = "schema = 1\ntitle = \"T\"\n\n[[runs]]\ndate = 2026-11-23\n";
    std::fs::write(&path, text).expect("write");
    let mut app = app_on_file(&path);
    // Under a whole minute: saving records nothing.
    app.frozen_clock = Some(Duration::from_secs(59));
    keys(&mut app, "<C-s>q");
    assert!(app.quit);
    assert_eq!(std::fs::read_to_string(&path).expect("read"), text);
}

#[test]
fn the_header_clock_fits_at_80_columns_and_says_when_over() {
    let mut app = app_on("three-tier-cloud-web-app.toml");
    keys(&mut app, "<esc>");
    app.frozen_clock = Some(Duration::from_secs(9 * 60 + 5));
    let text = screen(&app, 80, 24);
    let header = text.lines().next().unwrap_or_default();
    assert!(
        header.contains("Q1 over by 1:05 · 20:55 of 30 min left"),
        "{header}"
    );
    assert!(
        header.ends_with("unsaved") || header.ends_with("saved"),
        "{header}"
    );
    insta::assert_snapshot!("header_clock_over_80x24", header);
    keys(&mut app, "3");
    let wide = screen(&app, 120, 40);
    insta::assert_snapshot!(
        "header_clock_120x40",
        wide.lines().take(2).collect::<Vec<_>>().join("\n")
    );
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_commit_dialog_wraps_the_changes_and_commits_the_edited_message_with_the_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    git(root, &["init", "-q"]);
    git(root, &["config", "user.email", "t@example.invalid"]);
    git(root, &["config", "user.name", "T"]);
    git(root, &["config", "commit.gpgsign", "false"]);
    git(root, &["config", "core.hooksPath", "/dev/null"]);
    let path = root.join("s.toml");
    std::fs::write(&path, "schema = 1\ntitle = \"Shop\"\n").expect("write");
    git(root, &["add", "s.toml"]);
    git(root, &["commit", "-q", "-m", "initial"]);
    let mut app = app_on_file(&path);
    app.frozen_clock = Some(Duration::ZERO);
    let name = "a component whose name is long enough to run past the dialog's right edge endmark";
    keys(&mut app, &format!("<ret>a{name}<ret>C"));
    assert!(matches!(app.modal, Some(Modal::Commit(_))));
    let text = screen(&app, 80, 24);
    assert!(text.contains("Changes since the last commit:"), "{text}");
    assert!(text.contains("endmark"), "wrapped, not cut:\n{text}");
    assert!(text.contains("+ Threatboard-Run: 2026-11-23"), "{text}");
    keys(&mut app, "<C-e><C-u>Shop: first session<ret>");
    assert!(
        status_text(&app).starts_with("committed"),
        "{}",
        status_text(&app)
    );
    assert_eq!(
        git(root, &["log", "-1", "--format=%B"]).trim_end(),
        "Shop: first session\n\nThreatboard-Run: 2026-11-23"
    );
}
