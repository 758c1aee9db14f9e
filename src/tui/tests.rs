//! The app driven by keys without a terminal, and snapshots of its screens (TestBackend).

use super::app::{App, Screen, keys};
use super::modal::Modal;
use super::theme::Theme;
use super::view;
use crate::store;
use chrono::NaiveDate;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::Path;
use std::time::Duration;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).expect("date")
}

fn example(name: &str) -> store::LoadedSession {
    store::load(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("sessions")
            .join(name),
    )
    .expect("example loads")
}

/// The app on the session file at `path`, as `open` starts it (without a frozen clock or test
/// libraries: for tests of saving and reloading).
fn app_on_file(path: &Path) -> App {
    App::open(store::load(path).expect("loads"), Theme::plain(), today())
}

fn app_on(name: &str) -> App {
    let mut app = App::open(example(name), Theme::plain(), today());
    app.user = "facilitator".into();
    app.frozen_clock = Some(Duration::from_secs(5 * 60 + 7));
    app.use_libraries(test_libraries(""));
    app
}

/// The first five shipped rules, as they were written (one given a second mitigation): the
/// screens' tests and snapshots stay as they are while the shipped rules file grows.
const TEST_RULES: &str = r#"[rules]
id = "test"
name = "Rules of the TUI tests"

[[rule]]
id = "flow-sniffing-unencrypted"
name = "Eavesdropping on an unencrypted flow"
stride = "I"
refs = ["capec:CAPEC-157", "attack:T1040"]
likelihood = 2
impact = 2
threat = "Someone on the network path between {from} and {to} reads {data} carried by {element} in clear text"
reason = "unencrypted {protocol} flow crossing from {from_zone} to {to_zone}"
mitigations = ["Encrypt the flow with TLS (or mutual TLS between services)"]
when = { kind = "flow", encrypted = false, crossing = "any" }

[[rule]]
id = "flow-tampering-unencrypted"
name = "Tampering with an unencrypted flow in transit"
stride = "T"
refs = ["capec:CAPEC-94", "attack:T1557"]
likelihood = 2
impact = 2
threat = "An attacker in the middle of {element} alters what {from} sends before {to} acts on it"
reason = "unencrypted {protocol} flow from {from_zone} into {to_zone}"
mitigations = ["Use TLS with certificate validation so changes in transit are detected"]
when = { kind = "flow", encrypted = false, crossing = ["inward", "lateral"] }

[[rule]]
id = "flow-missing-authentication"
name = "Unauthenticated requests across a boundary"
stride = "SE"
refs = ["capec:CAPEC-115", "owasp-api-2023:API2"]
likelihood = 3
impact = 3
threat = "Anyone who can reach {to} from {from_zone} sends it requests over {element} as if they were {from}"
reason = "unauthenticated {protocol} flow from {from_zone} into {to_zone}"
mitigations = ["Authenticate every request that crosses into {to_zone}", "Rate-limit what {to} accepts from {from_zone}"]
when = { kind = "flow", authenticated = false, crossing = "inward" }

[[rule]]
id = "flow-replay"
name = "Replay of captured requests"
stride = "S"
refs = ["capec:CAPEC-60"]
likelihood = 2
impact = 2
threat = "An attacker on {from_zone} replays a captured request of {element} to {to}"
reason = "authenticated {protocol} flow from {from_zone} into {to_zone}"
mitigations = ["Bind requests to a timestamp and nonce (or short-lived token) and reject repeats"]
when = { kind = "flow", authenticated = true, from_internet = true, protocol = ["http", "https", "grpc", "websocket", "graphql"] }

[[rule]]
id = "web-sql-injection"
name = "SQL injection"
stride = "TIE"
refs = ["capec:CAPEC-66", "owasp-top10-2021:A03"]
likelihood = 2
impact = 3
threat = "Input that reaches {element} is built into a SQL query and changes what the database does"
reason = "{technology} that sends SQL to a database"
mitigations = ["Use parameterised queries everywhere; the database account gets only the rights it needs"]
when = { kind = "process", sends = "sql" }
"#;

/// The shipped libraries with the test rules, and `extra` rules after them, in force.
pub(crate) fn test_libraries(extra: &str) -> crate::library::LibrarySet {
    let rules = crate::rules::RuleSet::from_text(
        &format!("{TEST_RULES}{extra}"),
        crate::library::Origin::Text("test-rules.toml".into()),
    )
    .unwrap_or_else(|problems| panic!("{problems:?}"));
    crate::library::LibrarySet::shipped()
        .unwrap_or_else(|e| *e.partial)
        .with_rules(rules)
}

// The shop the app's tests share, in parts that each test puts together as its session needs
// (`concat!` keeps the result a `&str` constant): a browser on the internet calls the orders
// API in the DMZ, which queries its database there.

/// The session's head and a run on the tests' day: the app opens no run form.
macro_rules! shop_head {
    () => {
        "schema = 1\ntitle = \"Shop\"\n\n[[runs]]\ndate = 2026-11-23\nfacilitator = \"facilitator\"\ntrigger = \"initial\"\n\n[[boundaries]]\nid = \"internet\"\nname = \"Internet\"\n\n[[boundaries]]\nid = \"dmz\"\nname = \"DMZ\"\n\n"
    };
}

/// The browser, the API and the database, with the API's and the database's technologies
/// (`""` for none, else a `technology = ...` line).
macro_rules! shop_components {
    ($api_technology:literal, $db_technology:literal) => {
        concat!(
            "[[components]]\nid = \"browser\"\nname = \"Browser\"\nkind = \"external-entity\"\nboundary = \"internet\"\n\n",
            "[[components]]\nid = \"api\"\nname = \"Orders API\"\nkind = \"process\"\n",
            $api_technology,
            "boundary = \"dmz\"\n\n",
            "[[components]]\nid = \"db\"\nname = \"Orders DB\"\nkind = \"data-store\"\n",
            $db_technology,
            "boundary = \"dmz\"\n\n",
        )
    };
}

/// The browser's flow to the API, with its protocol and protection.
macro_rules! shop_browser_flow {
    ($protocol:literal, $authenticated:literal, $encrypted:literal) => {
        concat!(
            "[[flows]]\nid = \"browser-api\"\nfrom = \"browser\"\nto = \"api\"\nlabel = \"Orders\"\nprotocol = \"",
            $protocol,
            "\"\nauthenticated = ",
            $authenticated,
            "\nencrypted = ",
            $encrypted,
            "\n",
        )
    };
}

/// The API's queries to its database, inside the DMZ: authenticated and encrypted.
macro_rules! shop_db_flow {
    () => {
        "[[flows]]\nid = \"api-db\"\nfrom = \"api\"\nto = \"db\"\nlabel = \"Queries\"\nprotocol = \"postgres\"\nauthenticated = true\nencrypted = true\n"
    };
}

/// A browser on the internet calls an API in the DMZ over plain, unauthenticated HTTP; the API
/// queries its database inside the DMZ. The flow inside the DMZ comes first in the file, so the
/// walk's order (crossing flows first) is not the file's. Question 2's suggestion tests and the
/// attendee app's use it.
pub(crate) const SHOP: &str = concat!(
    shop_head!(),
    shop_components!("technology = \"api\"\n", "technology = \"database\"\n"),
    shop_db_flow!(),
    "\n",
    shop_browser_flow!("http", "false", "false"),
);

fn screen(app: &App, width: u16, height: u16) -> String {
    screen_of(width, height, |f| view::draw(app, f))
}

/// What `draw` puts on a `width` x `height` screen, as text, one line per row (the attendee
/// app's tests use it too).
pub(crate) fn screen_of(width: u16, height: u16, draw: impl FnOnce(&mut ratatui::Frame)) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal.draw(draw).expect("draws");
    let buffer = terminal.backend().buffer();
    (0..height)
        .map(|y| {
            // A wide character fills two cells; the second is a placeholder to skip.
            let mut line = String::new();
            let mut x = 0;
            while x < width {
                let symbol = buffer[(x, y)].symbol();
                line.push_str(symbol);
                x += unicode_width::UnicodeWidthStr::width(symbol).max(1) as u16;
            }
            line.trim_end().to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The status line's text, or "" when there is none.
fn status_text(app: &App) -> String {
    app.status
        .as_ref()
        .map(|(text, _)| text.clone())
        .unwrap_or_default()
}

fn session(app: &App) -> &crate::model::Session {
    app.session().expect("a session is open").session()
}

#[test]
fn opening_a_session_starts_todays_run() {
    let mut app = app_on("microservices-api-platform.toml");
    assert!(matches!(app.modal, Some(Modal::Form { .. })));
    let before = session(&app).runs.len();
    keys(&mut app, "<tab><tab><C-u>Ana, Bo<ret>");
    let runs = &session(&app).runs;
    assert_eq!(runs.len(), before + 1);
    let run = runs.last().expect("run");
    assert_eq!(run.date, today());
    assert_eq!(run.attendees, ["Ana", "Bo"]);
    assert_eq!(run.trigger, "re-run");
    assert!(app.is_dirty());
}

#[test]
fn building_a_model_by_keys_with_undo_and_redo() {
    let mut app = App::open(
        store::LoadedSession::unsaved(crate::model::Session::new("Shop"), "unused.toml"),
        Theme::plain(),
        today(),
    );
    keys(&mut app, "<esc>");
    // Boundaries: two, the second inside the first.
    keys(&mut app, "hh");
    keys(&mut app, "aCloud<ret>aVPC<tab><tab><right><ret>");
    // Components: two processes and a store in the VPC.
    keys(&mut app, "ll");
    // The web app's technology: (none), then the fifth word, web-app.
    keys(
        &mut app,
        "aWeb app<tab><tab><tab><right><right><right><right><right><tab><right><right><ret>",
    );
    // A new component starts as the previous one (process, web-app, in the VPC): the store
    // changes its kind and clears the technology, and keeps the boundary.
    keys(
        &mut app,
        "aOrders DB<tab><tab><right><tab><left><left><left><left><left><ret>",
    );
    keys(&mut app, "aBrowser<tab><tab><right><ret>");
    // A flow from the browser to the web app, authenticated and encrypted (yes is right of
    // unknown).
    keys(
        &mut app,
        "laLogin<tab><tab><right><right><tab><right><right><tab><tab><right><tab><right><ret>",
    );
    let s = session(&app);
    assert_eq!(s.boundaries.len(), 2);
    assert_eq!(
        s.boundaries[1].parent.as_ref().map(|p| p.as_str()),
        Some("cloud")
    );
    let ids: Vec<&str> = s.components.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["web-app", "orders-db", "browser"]);
    assert_eq!(
        s.components[0].boundary.as_ref().map(|b| b.as_str()),
        Some("vpc")
    );
    assert_eq!(
        s.components[0].technology,
        Some(crate::model::Technology::WebApp)
    );
    assert_eq!(s.components[1].kind, crate::model::ComponentKind::DataStore);
    assert_eq!(s.components[1].technology, None);
    assert_eq!(
        s.components[1].boundary.as_ref().map(|b| b.as_str()),
        Some("vpc"),
        "copied from the previous component"
    );
    assert_eq!(
        s.components[2].kind,
        crate::model::ComponentKind::ExternalEntity
    );
    let f = &s.flows[0];
    assert_eq!((f.from.as_str(), f.to.as_str()), ("browser", "web-app"));
    assert_eq!(f.id.as_str(), "browser-web-app");
    assert!(f.is_authenticated() && f.is_encrypted());
    assert!(crate::model::validate(s).is_empty());

    keys(&mut app, "u");
    assert!(session(&app).flows.is_empty());
    keys(&mut app, "<C-r>");
    assert_eq!(session(&app).flows.len(), 1);
}

/// Authenticated / encrypted are yes, no or unknown; a reason typed into "Out of scope" puts the
/// element out of scope; an edit leaves unknown unknown.
#[test]
fn flow_form_three_way_protection_and_out_of_scope_reason() {
    let (s, _) = store::parse(
        "schema = 1\ntitle = \"Shop\"\n[[components]]\nid = \"user\"\nname = \"User\"\nkind = \"external-entity\"\n[[components]]\nid = \"api\"\nname = \"API\"\nkind = \"process\"\n",
    )
    .expect("parses");
    let mut app = App::open(
        store::LoadedSession::unsaved(s, "unused.toml"),
        Theme::plain(),
        today(),
    );
    // Flows: label, id, from, to, protocol, authenticated (left unknown), encrypted (two to the
    // right: no), assets, out of scope (a reason).
    keys(
        &mut app,
        "<esc>laLogin<tab><tab><tab><tab><tab><tab><right><right><tab><tab>partner's system<ret>",
    );
    let f = &session(&app).flows[0];
    assert_eq!((f.authenticated, f.encrypted), (None, Some(false)));
    assert_eq!(f.out_of_scope, "partner's system");
    let text = store::to_toml(session(&app)).expect("writes");
    assert!(text.contains("encrypted = false"), "{text}");
    assert!(
        text.contains("out_of_scope = \"partner's system\""),
        "{text}"
    );
    assert!(
        !text.contains("authenticated"),
        "unknown is left out: {text}"
    );
    // Editing and saving without touching the choice keeps it unknown, never a silent no.
    keys(&mut app, "e<ret>");
    assert_eq!(session(&app).flows[0].authenticated, None);
    // The list marks it out of scope; the details give the reason.
    let shown = screen(&app, 120, 40);
    assert!(shown.contains("⊘ user-api"), "{shown}");
    assert!(shown.contains("partner's system"), "{shown}");
    // Clearing the reason brings it back in scope; a new flow copies the previous flow's values.
    keys(
        &mut app,
        "e<tab><tab><tab><tab><tab><tab><tab><tab><C-u><ret>",
    );
    assert_eq!(session(&app).flows[0].out_of_scope, "");
    keys(&mut app, "aAgain<ret>");
    let g = &session(&app).flows[1];
    assert_eq!((g.authenticated, g.encrypted), (None, Some(false)));
}

/// An older file's `out-of-scope` tag shows as the reason; clearing it brings the element back in
/// scope (the tag goes too), keeping it writes the reason in place of the tag.
#[test]
fn the_old_out_of_scope_tag_is_edited_as_the_reason() {
    let (s, _) = store::parse(
        "schema = 1\ntitle = \"Shop\"\n[[components]]\nid = \"crm\"\nname = \"CRM\"\nkind = \"data-store\"\ntags = [\"out-of-scope\", \"saas\"]\n[[components]]\nid = \"api\"\nname = \"API\"\nkind = \"process\"\ntags = [\"out-of-scope\"]\n",
    )
    .expect("parses");
    let mut app = App::open(
        store::LoadedSession::unsaved(s, "unused.toml"),
        Theme::plain(),
        today(),
    );
    assert!(session(&app).components[0].is_out_of_scope());
    // Components: name, id, kind, technology, boundary, tags, assets (none), out of scope.
    keys(
        &mut app,
        "<esc>e<tab><tab><tab><tab><tab><tab><tab><C-u><ret>",
    );
    let crm = &session(&app).components[0];
    assert!(!crm.is_out_of_scope());
    assert_eq!(crm.tags, ["saas"]);
    keys(&mut app, "je<ret>");
    let api = &session(&app).components[1];
    assert_eq!(api.out_of_scope, "tagged out-of-scope");
    assert!(api.tags.is_empty());
}

#[test]
fn forms_refuse_bad_input_inline() {
    let mut app = App::open(
        store::LoadedSession::unsaved(crate::model::Session::new("Shop"), "unused.toml"),
        Theme::plain(),
        today(),
    );
    keys(&mut app, "<esc>a<ret>");
    let Some(Modal::Form { form, .. }) = &app.modal else {
        panic!("the form stays open");
    };
    assert_eq!(
        form.fields[0].error.as_deref(),
        Some("a component needs a name")
    );
    keys(&mut app, "API<tab>bad id<ret>");
    let Some(Modal::Form { form, .. }) = &app.modal else {
        panic!("the form stays open");
    };
    assert!(
        form.fields[1]
            .error
            .as_deref()
            .unwrap_or("")
            .contains("a space")
    );
    keys(&mut app, "<esc>");
    assert!(session(&app).components.is_empty());
    // A flow needs two components.
    keys(&mut app, "la");
    assert!(app.modal.is_none());
    assert!(
        app.status
            .as_ref()
            .is_some_and(|(m, _)| m.contains("two components"))
    );
}

#[test]
fn the_component_form_sets_shows_and_keeps_the_technology() {
    use crate::model::Technology;
    let mut app = App::open(
        store::LoadedSession::unsaved(crate::model::Session::new("Shop"), "unused.toml"),
        Theme::plain(),
        today(),
    );
    // Name, id, kind, then technology: two steps right of "(none)" is the second word.
    keys(&mut app, "<esc>aOrders API<tab><tab><tab><right><right>");
    let shown = screen(&app, 80, 24);
    assert!(shown.contains(Technology::ALL[1].help()), "{shown}");
    keys(&mut app, "<ret>");
    assert_eq!(
        session(&app).components[0].technology,
        Some(Technology::ALL[1])
    );
    // Editing opens on it, and another change keeps it.
    keys(&mut app, "e");
    let Some(Modal::Form { form, .. }) = &app.modal else {
        panic!("the edit form opens");
    };
    assert_eq!(form.choice("technology"), Technology::ALL[1].as_str());
    keys(&mut app, "<tab><tab><tab><tab><tab>internet-facing<ret>");
    let c = &session(&app).components[0];
    assert_eq!(c.tags, ["internet-facing"]);
    assert_eq!(c.technology, Some(Technology::ALL[1]));
    // Back to "(none)".
    keys(&mut app, "e<tab><tab><tab><left><left><ret>");
    assert_eq!(session(&app).components[0].technology, None);
}

/// The component form with the technology choice and its help line under it, and the flow
/// form with the protocol family the rules recognise.
#[test]
fn element_forms_80x24() {
    let mut app = app_on("microservices-api-platform.toml");
    keys(&mut app, "<esc>e<tab><tab><tab>");
    insta::assert_snapshot!("component_form_80x24", screen(&app, 80, 24));
    keys(&mut app, "<esc>le");
    insta::assert_snapshot!("flow_form_80x24", screen(&app, 80, 24));
}

/// Question 4 lists what `check` reports, the unanswered rule suggestions (TB015) included.
#[test]
fn question4_shows_the_same_findings_as_check() {
    use crate::analysis::{FindingOptions, analyze};
    let mut app = app_on("microservices-api-platform.toml");
    // Past today's run form, to question 4, where the analysis is made.
    keys(&mut app, "<esc>4");
    assert!(app.modal.is_none());
    let state = app.session().expect("a session is open");
    let options = FindingOptions {
        today: today(),
        max_age_days: None,
        rules: Some(app.libraries.rules()),
    };
    let keys_of = |list: &[crate::analysis::Finding]| -> Vec<String> {
        list.iter().map(|f| f.key()).collect()
    };
    let expected = keys_of(&analyze(state.session(), &options).findings);
    let checked = state
        .derived
        .checked
        .as_ref()
        .expect("analysed on question 4");
    let shown = keys_of(&checked.analysis.findings);
    assert_eq!(shown, expected);
    assert!(shown.iter().any(|k| k.starts_with("TB015:")), "{shown:?}");
}

#[test]
fn the_flow_form_says_which_protocol_family_the_rules_see() {
    let mut app = app_on("microservices-api-platform.toml");
    keys(&mut app, "<esc>la");
    let Some(Modal::Form { form, .. }) = &app.modal else {
        panic!("the flow form opens");
    };
    assert_eq!(form.fields[4].key, "protocol");
    // Prefilled from the previous flow: replaced.
    keys(&mut app, "<tab><tab><tab><tab><C-u>carrier pigeon");
    assert!(screen(&app, 80, 24).contains("not recognised: rules will not see a protocol family"));
    keys(&mut app, "<C-u>gRPC over TLS");
    let shown = screen(&app, 80, 24);
    assert!(shown.contains("recognised: grpc, gRPC"), "{shown}");
}

#[test]
fn deleting_a_referenced_component_asks_and_cascades() {
    let mut app = app_on("microservices-api-platform.toml");
    keys(&mut app, "<esc>");
    let before = session(&app).clone();
    // The first component is the API gateway: flows and threats refer to it.
    keys(&mut app, "d");
    let Some(Modal::Confirm { message, .. }) = &app.modal else {
        panic!("asks before deleting");
    };
    assert!(message.contains("flows are deleted"), "{message}");
    keys(&mut app, "n");
    assert_eq!(session(&app), &before);
    keys(&mut app, "dy");
    let s = session(&app);
    assert!(s.component("api-gateway").is_none());
    assert!(
        s.flows
            .iter()
            .all(|f| f.from.as_str() != "api-gateway" && f.to.as_str() != "api-gateway")
    );
    assert!(
        crate::model::validate(s).is_empty(),
        "{:?}",
        crate::model::validate(s)
    );
    keys(&mut app, "u");
    assert_eq!(session(&app), &before);
}

#[test]
fn quitting_with_unsaved_changes_asks() {
    let mut app = app_on("llm-support-bot.toml");
    keys(&mut app, "<esc>J");
    assert!(app.is_dirty());
    keys(&mut app, "q");
    assert!(matches!(app.modal, Some(Modal::ConfirmQuit)));
    assert!(!app.quit);
    keys(&mut app, "x");
    assert!(!app.quit);
    keys(&mut app, "qd");
    assert!(app.quit);
}

#[test]
fn start_screen_lists_sessions_and_creates_new_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sessions = dir.path().join("sessions");
    std::fs::create_dir(&sessions).expect("dir");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sessions/llm-support-bot.toml"),
        sessions.join("llm-support-bot.toml"),
    )
    .expect("copy");
    let mut app = App::start(&sessions, Theme::plain(), today());
    let text = screen(&app, 120, 10);
    assert!(text.contains("LLM customer-support bot"), "{text}");
    assert!(text.contains("+ New session"), "{text}");
    keys(&mut app, "nPayments API<ret>");
    assert!(matches!(app.screen, Screen::Session(_)));
    assert!(sessions.join("payments-api.toml").exists());
}

#[test]
fn snapshots_at_80x24_and_120x40() {
    let mut app = app_on("three-tier-cloud-web-app.toml");
    keys(&mut app, "<esc>");
    insta::assert_snapshot!("question1_components_120x40", screen(&app, 120, 40));
    insta::assert_snapshot!("question1_components_80x24", screen(&app, 80, 24));
    keys(&mut app, "ll");
    insta::assert_snapshot!("question1_diagram_120x40", screen(&app, 120, 40));
    insta::assert_snapshot!("question1_diagram_80x24", screen(&app, 80, 24));
    keys(&mut app, "?");
    insta::assert_snapshot!("help_diagram_120x40", screen(&app, 120, 40));
    keys(&mut app, "<esc><left>h?");
    insta::assert_snapshot!("help_build_80x24", screen(&app, 80, 24));

    // A relative directory (cargo runs tests from the package root) keeps the snapshot the same
    // wherever the project is cloned: an absolute path would change where rows are truncated.
    let start = App::start(Path::new("sessions"), Theme::plain(), today());
    insta::assert_snapshot!("start_120x40", screen(&start, 120, 40));
    insta::assert_snapshot!("start_80x24", screen(&start, 80, 24));
}

#[test]
fn hostile_names_render_escaped_and_wide_names_fit() {
    let mut s = crate::model::Session::new("Evil \u{1b}]0;pwned\u{7} 日本語 🚀");
    s.components.push(crate::model::Component {
        technology: None,
        not_applicable_reason: Default::default(),
        out_of_scope: Default::default(),
        dismissed: Default::default(),
        id: "x".into(),
        name: "\u{1b}[2J名前が長いコンポーネント🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀".into(),
        kind: crate::model::ComponentKind::Process,
        boundary: None,
        tags: Default::default(),
        assets: Vec::new(),
        not_applicable: crate::model::StrideSet::empty(),
        notes: "\u{202e}reversed".into(),
    });
    let mut app = App::open(
        store::LoadedSession::unsaved(s, "x.toml"),
        Theme::plain(),
        today(),
    );
    keys(&mut app, "<esc>");
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let text = screen(&app, w, h);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{202e}'),
            "{text}"
        );
        assert!(text.contains("\\e]0;pwned"), "{text}");
        for line in text.lines() {
            assert!(
                unicode_width::UnicodeWidthStr::width(line) <= w as usize,
                "{line}"
            );
        }
    }
}

#[test]
fn question2_picker_adds_a_library_threat_and_single_keys_rate_it() {
    let mut app = app_on("three-tier-cloud-web-app.toml");
    keys(&mut app, "<esc>2");
    let before = session(&app).threats.len();
    let target = app
        .session()
        .and_then(|s| s.threats.row(&s.derived))
        .map(|r| r.id.clone())
        .expect("an element");
    keys(&mut app, "avalid acc");
    let Some(Modal::Picker(picker)) = &app.modal else {
        panic!("the picker is open");
    };
    assert_eq!(
        picker.hits.first().map(|h| h.reference.as_str()),
        Some("attack:T1078")
    );
    // Enter opens the threat form; the entry lists four letters that apply to this flow, so the
    // team keeps the one this threat is about before it is added.
    keys(&mut app, "<ret>");
    assert!(matches!(app.modal, Some(Modal::Form { .. })));
    assert_eq!(session(&app).threats.len(), before);
    keys(&mut app, "S<ret>");
    let s = session(&app);
    assert_eq!(s.threats.len(), before + 1);
    let added = s.threats.last().expect("added");
    assert_eq!(added.target.as_str(), target);
    assert_eq!(added.title, "Valid Accounts");
    assert_eq!(added.refs[0].as_str(), "attack:T1078");
    assert_eq!(added.stride.to_string(), "S");
    let status = status_text(&app);
    assert!(
        status.contains("added: Valid Accounts (attack:T1078)"),
        "{status}"
    );
    keys(&mut app, "LLIII");
    let added = session(&app).threats.last().expect("added");
    assert_eq!(
        (added.likelihood, added.impact),
        (Some(crate::model::Rating(2)), Some(crate::model::Rating(3)))
    );
    assert_eq!(added.risk(), Some(crate::model::RiskLevel::High));
    assert!(crate::model::validate(session(&app)).is_empty());
    insta::assert_snapshot!("question2_120x40", screen(&app, 120, 40));
    insta::assert_snapshot!("question2_80x24", screen(&app, 80, 24));
}

#[test]
fn question2_suggestions_fit_the_element_and_custom_threats_validate() {
    let mut app = app_on("microservices-api-platform.toml");
    keys(&mut app, "<esc>2a");
    let Some(Modal::Picker(picker)) = &app.modal else {
        panic!("the picker is open");
    };
    assert!(!picker.hits.is_empty(), "suggestions before typing");
    // Before typing: on an element the rules speak about, the entries they cite, each with the
    // rule's reason; on one where no rule fires, the STRIDE categories still open, and the
    // summary says which. Never generic entries offered to every element as if advice.
    let (mut from_rules, mut fallback) = (false, false);
    for _ in 0..20 {
        let Some(Modal::Picker(p)) = &app.modal else {
            panic!("the picker is open");
        };
        let text = screen(&app, 120, 40);
        if p.hits.iter().any(|h| h.why.starts_with("rule ")) {
            assert!(
                p.hits.iter().all(|h| h.why.starts_with("rule ")),
                "{:?}",
                p.hits
            );
            assert!(text.contains("entries the threat rules cite"), "{text}");
            from_rules = true;
        } else {
            assert!(
                p.hits.iter().all(|h| h.why == "open on this element"
                    && h.reference.as_str().starts_with("stride:")),
                "{:?}",
                p.hits
            );
            assert!(text.contains("STRIDE categories still open here"), "{text}");
            fallback = true;
        }
        assert!(
            !p.hits
                .iter()
                .any(|h| h.reference.as_str() == "owasp-top10-2021:A04"),
            "Insecure Design is not advice"
        );
        if from_rules && fallback {
            break;
        }
        keys(&mut app, "<esc><down>a");
    }
    assert!(from_rules && fallback, "both kinds of element were seen");
    keys(&mut app, "<esc>cToken replay<tab>SX<ret>");
    let Some(Modal::Form { form, .. }) = &app.modal else {
        panic!("the form stays open on a bad STRIDE letter");
    };
    assert!(form.fields[1].error.as_deref().unwrap_or("").contains("X"));
    keys(&mut app, "<bs><ret>");
    let t = session(&app).threats.last().expect("added");
    assert_eq!(
        (t.title.as_str(), t.stride.to_string().as_str()),
        ("Token replay", "S")
    );
}

#[test]
fn question2_picker_previews_the_entry_under_the_cursor_at_both_sizes() {
    let mut app = app_on("three-tier-cloud-web-app.toml");
    keys(&mut app, "<esc>2acsrf");
    let Some(Modal::Picker(picker)) = &app.modal else {
        panic!("the picker is open");
    };
    // The element is a flow. CAPEC lists cross-site request forgery for processes only: it is
    // still the best match for "csrf", so it comes first, marked as not usual and counted.
    assert_eq!(
        picker.hits.first().map(|h| h.reference.as_str()),
        Some("capec:CAPEC-62")
    );
    let at = picker
        .hits
        .iter()
        .position(|h| h.reference.as_str() == "capec:CAPEC-62")
        .expect("CAPEC-62 is listed");
    assert!(!picker.hits[at].fits);
    assert!(picker.counts.not_fitting >= 1);
    let not_fitting = picker.counts.not_fitting;
    for _ in 0..at {
        keys(&mut app, "<down>");
    }
    for (width, height) in [(120, 40), (80, 24)] {
        let text = screen(&app, width, height);
        for expected in [
            "Cross Site Request Forgery",
            "MITRE CAPEC · capec:CAPEC-62 · STRIDE S T I E",
            "CAPEC standard attack pattern",
            "https://capec.mitre.org/data/definitions/62.html",
            "not usual on a flow",
        ] {
            assert!(
                text.contains(expected),
                "{width}x{height}: {expected:?}\n{text}"
            );
        }
        assert!(
            text.contains(&format!("matches, {not_fitting} not usual on a flow")),
            "{text}"
        );
    }
    // Beside the list on a wide screen, the related ids too; below it on a small one.
    let wide = screen(&app, 120, 40);
    assert!(wide.contains("related: CWE-306, CWE-352"), "{wide}");
    insta::assert_snapshot!("question2_picker_preview_120x40", wide);
    insta::assert_snapshot!("question2_picker_preview_80x24", screen(&app, 80, 24));
    // The preview follows the cursor.
    keys(&mut app, "<down>");
    let text = screen(&app, 80, 24);
    assert!(!text.contains("definitions/62.html"), "{text}");
    assert!(text.contains("OWASP"), "{text}");
}

#[test]
fn question2_a_broad_library_entry_leaves_the_letters_to_the_team() {
    let mut app = app_on("three-tier-cloud-web-app.toml");
    keys(&mut app, "<esc>2");
    let before = session(&app).threats.len();
    // CAPEC-60 lists S, T, R, I and E; on this boundary-crossing flow all of them apply.
    keys(&mut app, "aCAPEC-60<ret>");
    let Some(Modal::Form { form, .. }) = &app.modal else {
        panic!("Enter in the picker opens the threat form");
    };
    assert_eq!(
        form.text("title"),
        "Reusing Session IDs (aka Session Replay)"
    );
    assert_eq!(form.text("refs"), "capec:CAPEC-60");
    assert_eq!(form.text("stride"), "", "no letter is taken for the team");
    assert_eq!(form.fields[form.focus].key, "stride");
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("library lists S T R I E: keep the letters this threat is about"),
        "{text}"
    );
    insta::assert_snapshot!("question2_library_threat_form_80x24", text);
    // Saving without a letter is refused, inline.
    keys(&mut app, "<ret>");
    let Some(Modal::Form { form, .. }) = &app.modal else {
        panic!("the form stays open without a letter");
    };
    assert_eq!(
        form.fields[1].error.as_deref(),
        Some("give at least one letter: S T R I D E")
    );
    assert_eq!(session(&app).threats.len(), before);
    keys(&mut app, "T<ret>");
    let s = session(&app);
    assert_eq!(s.threats.len(), before + 1);
    let added = s.threats.last().expect("added");
    assert_eq!(added.stride.to_string(), "T");
    assert_eq!(added.refs[0].as_str(), "capec:CAPEC-60");
    assert!(
        status_text(&app)
            .contains("added: Reusing Session IDs (aka Session Replay) (capec:CAPEC-60)"),
        "{}",
        status_text(&app)
    );

    // An entry with one or two letters that apply is taken as it is: Network Sniffing, S and I.
    keys(&mut app, "<left>aT1040<ret>");
    let Some(Modal::Form { form, .. }) = &app.modal else {
        panic!("the threat form");
    };
    assert_eq!(form.text("stride"), "SI");
    assert!(
        form.fields
            .iter()
            .all(|f| f.note == crate::tui::widgets::form::Note::None)
    );
    keys(&mut app, "<ret>");
    let added = session(&app).threats.last().expect("added");
    assert_eq!(
        (added.title.as_str(), added.stride.to_string().as_str()),
        ("Network Sniffing", "SI")
    );
}

#[test]
fn question3_mitigation_with_relative_due_date_and_an_acceptance() {
    let mut app = app_on("three-tier-cloud-web-app.toml");
    keys(&mut app, "<esc>3");
    // What needs review comes first (TH-009), then the highest risk: TH-010, critical, undecided.
    let first = app
        .session()
        .and_then(|s| s.respond.selected_threat(&s.derived))
        .expect("a threat");
    assert_eq!(session(&app).threats[first].id.as_str(), "TH-009");
    keys(&mut app, "j");
    let first = app
        .session()
        .and_then(|s| s.respond.selected_threat(&s.derived))
        .expect("a threat");
    assert_eq!(session(&app).threats[first].id.as_str(), "TH-010");
    keys(&mut app, "m");
    let Some(Modal::Form { .. }) = &app.modal else {
        panic!("mitigate opens the mitigation form when there is none");
    };
    keys(
        &mut app,
        "Require MFA for customers<tab>No<right><tab>+2w<tab><tab>WEB-300<ret>",
    );
    let s = session(&app);
    let m = s.mitigations.last().expect("added");
    assert_eq!(m.action, "Require MFA for customers");
    assert_eq!(m.owner, "Noor", "completed from the attendees");
    assert_eq!(m.due, NaiveDate::from_ymd_opt(2026, 12, 7));
    assert_eq!(m.ticket, "WEB-300");
    assert_eq!(m.threats[0].as_str(), "TH-010");
    assert_eq!(s.threats[first].response, crate::model::Response::Mitigate);

    // Accept the next threat: all three fields are required.
    keys(&mut app, "<left>jx<ret>");
    let Some(Modal::Form { form, .. }) = &app.modal else {
        panic!("the acceptance form stays open");
    };
    assert!(form.has_errors());
    keys(&mut app, "Low value target<tab>Hannah<tab>+3m<ret>");
    let s = session(&app);
    let accepted = app
        .session()
        .and_then(|st| st.respond.selected_threat(&st.derived))
        .expect("selected");
    let id = s.threats[accepted].id.clone();
    assert_eq!(s.threats[accepted].response, crate::model::Response::Accept);
    let a = s.acceptance(id.as_str()).expect("acceptance written");
    assert_eq!(
        (a.justification.as_str(), a.accepted_by.as_str()),
        ("Low value target", "Hannah")
    );
    assert_eq!(a.review_by, NaiveDate::from_ymd_opt(2027, 2, 23));
    assert!(
        crate::model::validate(s).is_empty(),
        "{:?}",
        crate::model::validate(s)
    );
    insta::assert_snapshot!("question3_120x40", screen(&app, 120, 40));
}

#[test]
fn question4_shows_open_work_and_saves_the_retrospective() {
    let mut app = app_on("three-tier-cloud-web-app.toml");
    keys(&mut app, "<esc>4");
    let text = screen(&app, 120, 60);
    assert!(text.contains("Threats without a response (1)"), "{text}");
    assert!(text.contains("⚠ MI-005"), "{text}");
    assert!(text.contains("Open high and critical risks"), "{text}");
    keys(&mut app, "e<C-u>Kept to time<ret>");
    assert_eq!(session(&app).review.went_well, "Kept to time");
    insta::assert_snapshot!("question4_120x40", screen(&app, 120, 40));
}

#[test]
fn a_file_changed_on_disk_is_not_overwritten_and_mine_can_be_kept_beside() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.toml");
    std::fs::write(&path, "schema = 1\ntitle = \"Original\"\n").expect("write");
    let mut app = app_on_file(&path);
    keys(&mut app, "<esc>aMine<ret>");
    std::fs::write(&path, "schema = 1\ntitle = \"Theirs\"\n").expect("outside edit");
    keys(&mut app, "<C-s>");
    assert!(matches!(app.modal, Some(Modal::SaveConflict)));
    keys(&mut app, "k");
    assert!(
        std::fs::read_to_string(&path)
            .expect("read")
            .contains("Theirs")
    );
    let mine = std::fs::read_to_string(dir.path().join("s.mine.toml")).expect("kept beside");
    assert!(mine.contains("name = \"Mine\""), "{mine}");
    // Reloading takes theirs.
    keys(&mut app, "<C-s>r");
    assert_eq!(session(&app).title, "Theirs");
    assert!(session(&app).components.is_empty());
}

#[test]
fn ctrl_s_in_a_form_keeps_what_it_holds_and_saves_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.toml");
    std::fs::write(&path, "schema = 1\ntitle = \"Shop\"\n").expect("write");
    let mut app = app_on_file(&path);
    // A form with a problem stays open, and nothing is saved.
    keys(&mut app, "<esc>a<C-s>");
    assert!(matches!(app.modal, Some(Modal::Form { .. })));
    assert!(
        !std::fs::read_to_string(&path)
            .expect("read")
            .contains("[[components]]")
    );
    keys(&mut app, "Queue<C-s>");
    assert!(app.modal.is_none());
    assert!(!app.is_dirty());
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains("name = \"Queue\""), "{text}");
}

#[test]
fn merging_with_a_changed_file_keeps_both_sides_work_by_element() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.toml");
    let original = "schema = 1\ntitle = \"Shop\"\n\n[[components]]\nid = \"api\"\nname = \"API\"\nkind = \"process\"\n\n[[components]]\nid = \"db\"\nname = \"Database\"\nkind = \"data-store\"\n";
    std::fs::write(&path, original).expect("write");
    let mut app = app_on_file(&path);
    // Here: a new component, and the run for today (the form that opening shows).
    keys(&mut app, "<ret>aQueue<ret>");
    // Elsewhere, meanwhile: db renamed and a boundary added.
    let theirs = original.replace("name = \"Database\"", "name = \"Orders DB\"")
        + "\n[[boundaries]]\nid = \"cloud\"\nname = \"Cloud\"\n";
    std::fs::write(&path, &theirs).expect("outside edit");
    keys(&mut app, "<C-s>");
    assert!(matches!(app.modal, Some(Modal::SaveConflict)));
    keys(&mut app, "m");
    assert!(app.modal.is_none());
    let status = status_text(&app);
    assert!(
        status.contains("merged and saved: 2 changes from the file on disk"),
        "{status}"
    );

    let saved = store::load(&path).expect("merged file loads");
    let s = &saved.session;
    let names: Vec<&str> = s.components.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["API", "Orders DB", "Queue"]);
    assert_eq!(s.boundaries.len(), 1);
    assert_eq!(s.runs.len(), 1, "today's run, made here, is kept");
    assert!(!app.is_dirty());

    // The merge is one step to undo: back to this side's version alone, unsaved.
    keys(&mut app, "u");
    assert_eq!(session(&app).components[1].name, "Database");
    assert!(session(&app).boundaries.is_empty());
    assert!(app.is_dirty());
}

#[test]
fn a_merge_where_both_changed_one_element_keeps_mine_and_names_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.toml");
    std::fs::write(&path, "schema = 1\ntitle = \"Shop\"\n").expect("write");
    let mut app = app_on_file(&path);
    keys(&mut app, "<esc>aQueue<ret>");
    std::fs::write(
        &path,
        "schema = 1\ntitle = \"Shop\"\n\n[[components]]\nid = \"queue\"\nname = \"Kafka\"\nkind = \"data-store\"\n",
    )
    .expect("outside edit");
    keys(&mut app, "<C-s>m");
    let status = status_text(&app);
    assert!(
        status.contains("both sides changed component queue: yours kept"),
        "{status}"
    );
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains("name = \"Queue\""), "{text}");
    assert!(!text.contains("Kafka"), "{text}");
}

#[test]
fn the_diagram_has_its_own_back_key_and_shift_tab_still_changes_question() {
    use super::screens::build::Section;
    let mut app = app_on("three-tier-cloud-web-app.toml");
    keys(&mut app, "<esc>ll");
    let on = |app: &App| app.session().map(|s| (s.question, s.build.section));
    assert_eq!(on(&app), Some((0, Section::Diagram)));
    // Shift-Tab is "previous question" here as everywhere: question 4, not the flows list.
    app.handle_key(ratatui::crossterm::event::KeyEvent::new(
        ratatui::crossterm::event::KeyCode::BackTab,
        ratatui::crossterm::event::KeyModifiers::SHIFT,
    ));
    assert_eq!(on(&app).map(|(q, _)| q), Some(3));
    keys(&mut app, "1<left>");
    assert_eq!(
        on(&app),
        Some((0, Section::Flows)),
        "← goes back to the lists"
    );
}

#[test]
fn every_dialog_lists_exactly_the_keys_that_dispatch_in_it() {
    use super::keymap::{self, Context};
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    for context in [
        Context::Confirm,
        Context::Recover,
        Context::Conflict,
        Context::QuitDialog,
        Context::CommitDialog,
        Context::Picker,
        Context::WhatChanged,
    ] {
        let listed = keymap::choices(context);
        assert!(!listed.is_empty(), "{context:?} lists its keys");
        for binding in keymap::bindings(&[context]) {
            for key in binding.keys {
                let event = KeyEvent::new(key.code, key.mods);
                assert_eq!(
                    keymap::lookup(&[context, Context::Always], &event),
                    Some(binding.action),
                    "{context:?}: {key:?}"
                );
            }
            if !binding.label.is_empty() {
                let line = format!("{} {}", binding.label, binding.help);
                assert!(listed.contains(&line), "{context:?} lists {line:?}");
            }
        }
    }
    // And a dialog on screen shows the same lines: the quit question, here.
    let mut app = app_on("three-tier-cloud-web-app.toml");
    keys(&mut app, "<esc>aX<ret>q");
    assert!(matches!(app.modal, Some(Modal::ConfirmQuit)));
    let shown = screen(&app, 120, 40);
    for line in keymap::choices(Context::QuitDialog) {
        assert!(shown.contains(&line), "{line:?} on screen:\n{shown}");
    }
    // Ctrl-C is in the table too, and works from inside a form.
    keys(&mut app, "<esc>a");
    assert!(matches!(app.modal, Some(Modal::Form { .. })));
    app.handle_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(matches!(app.modal, Some(Modal::ConfirmQuit)));
}

mod help;
mod layout;
mod quick_add;
mod rerun;
mod respond;
mod review;
mod safety;
mod share;
mod suggestions;

/// Question 1's quick-add line with a completion shown dimmed after the cursor (the text is
/// the same here, as snapshots carry no style), under the result of the line before; and the
/// form for a new component showing the id it will get while the name is typed.
#[test]
fn quick_add_and_the_live_id_at_80x24_and_120x40() {
    let mut app = app_on("three-tier-cloud-web-app.toml");
    keys(&mut app, "<esc>ib Edge zone in vpc<ret>browser-user -> lo");
    insta::assert_snapshot!("quick_add_ghost_120x40", screen(&app, 120, 40));
    insta::assert_snapshot!("quick_add_ghost_80x24", screen(&app, 80, 24));
    keys(&mut app, "<esc>llaPayments API");
    insta::assert_snapshot!("component_form_live_id_120x40", screen(&app, 120, 40));
    insta::assert_snapshot!("component_form_live_id_80x24", screen(&app, 80, 24));
}
