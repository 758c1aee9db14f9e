//! Using the width: lists as wide as their rows need, details beside them with room to spare,
//! and a diagram that is never drawn under the list of crossing flows, at 80x24 and 120x40.

use super::*;

/// The column of the first `│` on row `y`: where the list pane ends.
fn divider(text: &str, y: usize) -> Option<usize> {
    let line = text.lines().nth(y)?;
    line.chars().position(|c| c == '│')
}

#[test]
fn question2_and_question3_lists_use_the_width() {
    let mut app = app_on("microservices-api-platform.toml");
    keys(&mut app, "<esc>2");
    let wide = screen(&app, 120, 40);
    insta::assert_snapshot!("question2_microservices_120x40", wide);
    // The list is wider than the old 45% (54 columns): a whole flow label fits.
    assert!(divider(&wide, 4).is_some_and(|x| x >= 66), "{wide}");
    // Cut at "! api-gateway → notification-…" before: the label now starts.
    assert!(
        wide.contains("! api-gateway → notification-service: Forwa"),
        "{wide}"
    );
    insta::assert_snapshot!("question2_microservices_80x24", screen(&app, 80, 24));

    keys(&mut app, "3");
    let wide = screen(&app, 120, 40);
    insta::assert_snapshot!("question3_microservices_120x40", wide);
    // Wider than the old half, and the details keep 56 columns.
    let x = divider(&wide, 4).expect("a divider");
    assert!((61..=64).contains(&x), "{x}\n{wide}");
    insta::assert_snapshot!("question3_microservices_80x24", screen(&app, 80, 24));
}

#[test]
fn the_diagram_is_never_under_the_crossing_list() {
    let mut app = app_on("microservices-api-platform.toml");
    keys(&mut app, "<esc>1");
    // To the diagram: the section after flows.
    while app
        .session()
        .is_some_and(|s| s.build.section != crate::tui::screens::build::Section::Diagram)
    {
        keys(&mut app, "l");
    }
    let canvas = app
        .session()
        .and_then(|s| s.derived.diagram.as_ref().map(|d| d.size()))
        .expect("canvas");
    let wide = screen(&app, 120, 40);
    insta::assert_snapshot!("diagram_microservices_app_120x40", wide);
    // Too wide for a list beside it: the list is under the diagram, which keeps every column
    // up to the screen's edge (its rightmost boundary is in view).
    assert!(canvas.0 + 38 > 120);
    assert!(wide.contains("╔═ Data tier"), "{wide}");
    let list_row = wide
        .lines()
        .position(|l| l.starts_with("Flows crossing a trust boundary"))
        .expect("the list under the diagram");
    assert!(list_row > 20, "{wide}");
    insta::assert_snapshot!("diagram_microservices_app_80x24", screen(&app, 80, 24));

    // c hides the list: the diagram takes the room, and a line says how to bring it back.
    keys(&mut app, "c");
    let hidden = screen(&app, 120, 40);
    assert!(
        !hidden.contains("Flows crossing a trust boundary"),
        "{hidden}"
    );
    assert!(
        hidden.contains("c lists the 8 flows crossing a trust boundary (hidden)"),
        "{hidden}"
    );
    keys(&mut app, "c");
    assert!(screen(&app, 120, 40).contains("Flows crossing a trust boundary"));

    // A small model fits beside its list: the list takes what the diagram leaves.
    let mut small = app_on("three-tier-cloud-web-app.toml");
    keys(&mut small, "<esc>1");
    while small
        .session()
        .is_some_and(|s| s.build.section != crate::tui::screens::build::Section::Diagram)
    {
        keys(&mut small, "l");
    }
    let canvas = small
        .session()
        .and_then(|s| s.derived.diagram.as_ref().map(|d| d.size()))
        .expect("canvas");
    let (diagram, list) = crate::tui::screens::build::diagram_areas(
        ratatui::layout::Rect::new(0, 0, 200, 50),
        canvas,
        false,
    );
    let list = list.expect("a list beside");
    assert!(diagram.width >= canvas.0, "the whole canvas is in view");
    assert_eq!(list.x, diagram.width);
}

#[test]
fn long_names_stay_on_screen_at_both_sizes() {
    let mut loaded = example("microservices-api-platform.toml");
    let s = &mut loaded.session;
    s.components[0].name = "A component whose name goes on and on past any sensible width".into();
    s.flows[0].label =
        "A flow label that explains at length what travels over this connection and why".into();
    s.threats[0].title = "A threat title written as a whole paragraph about what could go wrong, how, and to whom, in detail".into();
    let mut app = App::open(loaded, Theme::plain(), today());
    app.frozen_clock = Some(Duration::from_secs(0));
    app.use_libraries(test_libraries(""));
    keys(&mut app, "<esc>");
    for question in ["1", "2", "3", "4"] {
        keys(&mut app, question);
        for (w, h) in [(80u16, 24u16), (120, 40)] {
            let text = screen(&app, w, h);
            for line in text.lines() {
                assert!(
                    unicode_width::UnicodeWidthStr::width(line) <= usize::from(w),
                    "question {question} at {w}x{h}: {line}"
                );
            }
        }
    }
    keys(&mut app, "2");
    insta::assert_snapshot!("question2_long_names_120x40", screen(&app, 120, 40));
    keys(&mut app, "3");
    insta::assert_snapshot!("question3_long_names_120x40", screen(&app, 120, 40));
}

/// The component ids listed on the screen, top to bottom, and the one on the selected row.
fn listed_components(text: &str) -> (Vec<usize>, Option<usize>) {
    let mut ids = Vec::new();
    let mut selected = None;
    for line in text.lines() {
        // A list row starts with the kind mark; the details name the selected one too.
        let Some(at) = line
            .find("[P]")
            .and_then(|mark| line[mark..].find("cmp").map(|at| mark + at))
        else {
            continue;
        };
        let digits: String = line[at + 3..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if let Ok(n) = digits.parse::<usize>() {
            if line.contains('▸') {
                selected = Some(n);
            }
            ids.push(n);
        }
    }
    (ids, selected)
}

#[test]
fn a_long_list_shows_the_rows_up_to_the_selected_one_wherever_it_is() {
    let mut text = String::from("schema = 1\ntitle = \"Long\"\n\n[[runs]]\ndate = 2026-11-23\n");
    for i in 0..120 {
        text.push_str(&format!(
            "\n[[components]]\nid = \"cmp{i:03}\"\nname = \"Component {i}\"\nkind = \"process\"\n"
        ));
    }
    let (session, _) = store::parse(&text).expect("parses");
    let mut app = App::open(
        store::LoadedSession::unsaved(session, "sessions/long.toml"),
        Theme::plain(),
        today(),
    );
    while app
        .session()
        .is_some_and(|s| s.build.section != crate::tui::screens::build::Section::Components)
    {
        keys(&mut app, "l");
    }
    for (width, height) in [(80, 24), (120, 40)] {
        let top = screen(&app, width, height);
        let (ids, selected) = listed_components(&top);
        assert_eq!(selected, Some(0), "{top}");
        let shown = ids.len();
        assert!(shown > 5 && shown < 120, "{top}");
        assert_eq!(ids, (0..shown).collect::<Vec<_>>(), "{top}");
    }
    // Down to the middle, to the last, and back up a little: the rows end at the selected
    // one once it is below the first screenful, as the table scrolls over the whole list.
    let mut at = 0;
    for target in [3, 60, 119, 110, 0] {
        while at < target {
            keys(&mut app, "j");
            at += 1;
        }
        while at > target {
            keys(&mut app, "k");
            at -= 1;
        }
        for (width, height) in [(80, 24), (120, 40)] {
            let text = screen(&app, width, height);
            let (ids, selected) = listed_components(&text);
            assert_eq!(selected, Some(target), "{text}");
            let first = ids.first().copied().unwrap_or(usize::MAX);
            let shown = ids.len();
            assert_eq!(ids, (first..first + shown).collect::<Vec<_>>(), "{text}");
            assert_eq!(first, (target + 1).saturating_sub(shown), "{text}");
        }
    }
}
