//! The diagram as drawn: viewports, selection, scrolling, updates, the crossing list, and
//! snapshots of what the facilitator sees.

use super::*;

#[test]
fn a_viewport_shows_exactly_that_window_of_the_canvas() {
    for (name, session) in test_sessions() {
        let layout = DiagramLayout::compute(&session);
        let whole = full(&layout);
        let (w, h) = layout.size();
        for (sx, sy, vw, vh) in [(0, 0, 80, 24), (13, 7, 41, 15), (w / 3, h / 3, 57, 19)] {
            let view = render(&layout, Rect::new(3, 2, vw, vh), (sx, sy), None);
            for y in 0..vh {
                for x in 0..vw {
                    let expected = whole.cell((sx + x, sy + y)).map_or(" ", |c| c.symbol());
                    let got = view[(3 + x, 2 + y)].symbol();
                    assert_eq!(
                        got, expected,
                        "{name}: cell {x},{y} of the window at {sx},{sy}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_selected_component_is_drawn_heavy_and_reversed() {
    let layout = DiagramLayout::compute(&example("three-tier-cloud-web-app.toml"));
    let rect = layout.component_rect("kms").expect("kms is drawn");
    let (w, h) = layout.size();
    let buf = render(&layout, Rect::new(0, 0, w, h), (0, 0), Some("kms"));
    assert_eq!(buf[(rect.x, rect.y)].symbol(), "┏");
    assert_eq!(buf[(rect.right() - 1, rect.bottom() - 1)].symbol(), "┛");
    assert!(
        buf[(rect.x + 1, rect.y + 1)]
            .modifier
            .contains(Modifier::REVERSED)
    );
    let plain = full(&layout);
    assert_eq!(plain[(rect.x, rect.y)].symbol(), "╭");
}

#[test]
fn scroll_to_show_brings_a_component_into_view() {
    let layout = DiagramLayout::compute(&example("three-tier-cloud-web-app.toml"));
    let rect = layout.component_rect("audit-log").expect("drawn");
    let (sx, sy) = layout.scroll_to_show("audit-log", (40, 12), (0, 0));
    assert!(sx <= rect.x && rect.right() <= sx + 40, "{sx} {rect:?}");
    assert!(sy <= rect.y && rect.bottom() <= sy + 12, "{sy} {rect:?}");
    assert_eq!(layout.scroll_to_show("ghost", (40, 12), (5, 6)), (5, 6));
    let (sx, sy) = layout.scroll_to_show("browser-user", (40, 12), (sx, sy));
    let back = layout.component_rect("browser-user").expect("drawn");
    assert!(sx <= back.x && sy <= back.y);
    let order: Vec<&str> = layout.component_ids().collect();
    assert_eq!(order.len(), 8);
    assert_eq!(order[0], "browser-user");
}

#[test]
fn the_diagram_updates_as_elements_are_added() {
    let mut session = example("microservices-api-platform.toml");
    let before = DiagramLayout::compute(&session);
    assert!(before.component_rect("cache").is_none());
    let mut cache = session.components[0].clone();
    cache.id = "cache".into();
    cache.name = "Redis cache".into();
    cache.kind = crate::model::ComponentKind::DataStore;
    cache.boundary = Some("data-tier".into());
    session.components.push(cache);
    let mut flow = session.flows[0].clone();
    flow.id = "user-to-cache".into();
    flow.from = "user-service".into();
    flow.to = "cache".into();
    flow.label = "Cached profiles".into();
    session.flows.push(flow);
    let after = DiagramLayout::compute(&session);
    let rect = after
        .component_rect("cache")
        .expect("the new component is drawn");
    let tier = &after.boundaries[0];
    assert_eq!(session.boundaries[0].id.as_str(), "data-tier");
    assert!(rect.x as u32 > tier.x && (rect.y as u32) < tier.bottom());
    assert!(
        after
            .crossing_flows()
            .iter()
            .any(|c| c.flow_id == "user-to-cache")
    );
    assert!(rows_text(&full(&after)).join("\n").contains("Redis cache"));
}

#[test]
fn the_crossing_list_says_everything_in_words() {
    let layout = DiagramLayout::compute(&example("three-tier-cloud-web-app.toml"));
    let area = Rect::new(0, 0, 60, 40);
    let mut buf = Buffer::empty(area);
    CrossingList {
        layout: &layout,
        theme: Theme::plain(),
    }
    .render(area, &mut buf);
    let text = rows_text(&buf).join("\n");
    assert!(
        text.contains("Flows crossing a trust boundary: 9"),
        "{text}"
    );
    assert!(
        text.contains("5! Customer in a browser → Public DNS"),
        "{text}"
    );
    assert!(text.contains("NOT authenticated, NOT encrypted"), "{text}");
    assert!(
        text.contains("crosses Internet, AWS production account"),
        "{text}"
    );
    // In a short area the rest is counted, not cut off silently.
    let area = Rect::new(0, 0, 40, 10);
    let mut buf = Buffer::empty(area);
    CrossingList {
        layout: &layout,
        theme: Theme::plain(),
    }
    .render(area, &mut buf);
    let text = rows_text(&buf).join("\n");
    assert!(text.contains("+8 more"), "{text}");
    assert!(
        text.contains("1! Support staff → Application load"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// Snapshots: read them; they are what the facilitator sees.

fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings
}

fn diagram_terminal(session: &str, width: u16, height: u16) -> Terminal<TestBackend> {
    let layout = DiagramLayout::compute(&example(session));
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|frame| {
            frame.render_widget(
                DiagramView {
                    layout: &layout,
                    scroll: (0, 0),
                    theme: Theme::plain(),
                    selected: None,
                },
                frame.area(),
            );
        })
        .expect("draws");
    terminal
}

#[test]
fn snapshot_three_tier_120x40() {
    let terminal = diagram_terminal("three-tier-cloud-web-app.toml", 120, 40);
    snapshot_settings()
        .bind(|| insta::assert_snapshot!("diagram_three_tier_120x40", terminal.backend()));
}

#[test]
fn snapshot_microservices_120x40() {
    let terminal = diagram_terminal("microservices-api-platform.toml", 120, 40);
    snapshot_settings()
        .bind(|| insta::assert_snapshot!("diagram_microservices_120x40", terminal.backend()));
}

#[test]
fn snapshot_llm_support_bot_120x40() {
    let terminal = diagram_terminal("llm-support-bot.toml", 120, 40);
    snapshot_settings()
        .bind(|| insta::assert_snapshot!("diagram_llm_support_bot_120x40", terminal.backend()));
}

#[test]
fn snapshot_three_tier_80x24() {
    let terminal = diagram_terminal("three-tier-cloud-web-app.toml", 80, 24);
    snapshot_settings()
        .bind(|| insta::assert_snapshot!("diagram_three_tier_80x24", terminal.backend()));
}

/// The split the app uses at 120x40: the diagram in 80 columns, the crossing list beside it.
#[test]
fn snapshot_three_tier_with_crossing_list_120x40() {
    let layout = DiagramLayout::compute(&example("three-tier-cloud-web-app.toml"));
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("test terminal");
    terminal
        .draw(|frame| {
            let [left, right] = Layout::horizontal([Constraint::Length(80), Constraint::Fill(1)])
                .areas(frame.area());
            frame.render_widget(
                DiagramView {
                    layout: &layout,
                    scroll: (0, 0),
                    theme: Theme::plain(),
                    selected: Some("app-tier"),
                },
                left,
            );
            frame.render_widget(
                CrossingList {
                    layout: &layout,
                    theme: Theme::plain(),
                },
                right,
            );
        })
        .expect("draws");
    snapshot_settings().bind(|| {
        insta::assert_snapshot!(
            "diagram_three_tier_with_crossing_list_120x40",
            terminal.backend()
        )
    });
}
