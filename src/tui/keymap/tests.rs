use super::*;

#[test]
fn screen_bindings_win_over_global_ones() {
    let enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        lookup(&[C::Build, C::Session, C::Global], &enter),
        Some(A::Edit)
    );
    assert_eq!(lookup(&[C::Start, C::Global], &enter), Some(A::Open));
    let q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
    assert_eq!(
        lookup(&[C::Build, C::Session, C::Global], &q),
        Some(A::Quit)
    );
    let shift_k = KeyEvent::new(KeyCode::Char('K'), KeyModifiers::SHIFT);
    assert_eq!(lookup(&[C::Build], &shift_k), Some(A::MoveUp));
    let ctrl_s = KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL);
    assert_eq!(lookup(&[C::Build, C::Session], &ctrl_s), Some(A::Save));
}

#[test]
fn no_key_is_bound_twice_in_one_context() {
    for a in BINDINGS {
        for b in BINDINGS {
            if std::ptr::eq(a, b) || a.context != b.context {
                continue;
            }
            for key in a.keys {
                assert!(
                    !b.keys.contains(key),
                    "{key:?} bound twice in {:?}",
                    a.context
                );
            }
        }
    }
}

#[test]
fn the_share_and_round_keys_work_on_every_question() {
    // Screen contexts win over the session's: none of them may take H or B.
    for screen in [
        C::Build,
        C::Diagram,
        C::Threats,
        C::Walk,
        C::Respond,
        C::ReviewWalk,
        C::Review,
    ] {
        for (c, action) in [('H', A::Share), ('B', A::Round)] {
            let key = KeyEvent::new(KeyCode::Char(c), KeyModifiers::SHIFT);
            assert_eq!(
                lookup(&[screen, C::Session, C::Global], &key),
                Some(action),
                "{c} in {screen:?}"
            );
        }
    }
    let i = KeyEvent::new(KeyCode::Char('i'), KeyModifiers::NONE);
    assert_eq!(lookup(&[C::Threats, C::Session], &i), Some(A::Inbox));
}
