//! The `?` overlay: wrapped descriptions start under their column, and a terminal too short for
//! it scrolls it, with a line saying there is more below.

use super::*;

#[test]
fn help_wraps_under_the_description_and_scrolls_at_80x24() {
    let mut app = app_on("three-tier-cloud-web-app.toml");
    app.viewport = (80, 24);
    keys(&mut app, "<esc>3?");
    assert!(matches!(app.modal, Some(Modal::Help { scroll: 0 })));
    let top = screen(&app, 80, 24);
    insta::assert_snapshot!("help_respond_80x24_top", top);
    assert!(top.contains("more below"), "{top}");
    // Every line inside the box that continues a description starts in its column.
    for line in top.lines().filter(|l| l.starts_with('│')) {
        let inside = &line['│'.len_utf8()..];
        assert!(
            !inside.starts_with(|c: char| c.is_alphanumeric()),
            "flush at the border: {line:?}"
        );
    }
    // End shows the forms paragraph and the last line; more keys do not scroll past it.
    keys(&mut app, "G");
    let Some(Modal::Help { scroll }) = app.modal else {
        panic!("scrolling keeps the help open")
    };
    assert!(scroll > 0);
    let bottom = screen(&app, 80, 24);
    insta::assert_snapshot!("help_respond_80x24_bottom", bottom);
    assert!(bottom.contains("In forms:"), "{bottom}");
    assert!(bottom.contains("closes this help"), "{bottom}");
    assert!(!bottom.contains("more below"), "{bottom}");
    keys(&mut app, "jj<pgdn>");
    assert!(matches!(app.modal, Some(Modal::Help { scroll: s }) if s == scroll));
    keys(&mut app, "k");
    assert!(matches!(app.modal, Some(Modal::Help { scroll: s }) if s == scroll - 1));
    keys(&mut app, "g");
    assert!(matches!(app.modal, Some(Modal::Help { scroll: 0 })));
    // Any other key closes it, and does nothing else.
    let before = session(&app).clone();
    keys(&mut app, "x");
    assert!(app.modal.is_none());
    assert_eq!(session(&app), &before);

    // Tall enough: no scrolling, no "more below".
    app.viewport = (120, 40);
    keys(&mut app, "?");
    let tall = screen(&app, 120, 40);
    insta::assert_snapshot!("help_respond_120x40", tall);
    assert!(!tall.contains("more below"), "{tall}");
    keys(&mut app, "G");
    assert!(matches!(app.modal, Some(Modal::Help { scroll: 0 })));
}
