//! The one key table: dispatch, the footer, the `?` help and the key lines of dialogs all read
//! it, for screens and dialogs alike. The one exception is typing: forms, the picker's search
//! and the commit message take the keys the table does not bind (letters, editing keys), as
//! text fields do.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Save,
    SaveAs,
    Undo,
    Redo,
    Help,
    Question(usize),
    NextQuestion,
    PrevQuestion,
    Up,
    Down,
    Left,
    Right,
    Top,
    Bottom,
    Add,
    Edit,
    Delete,
    MoveUp,
    MoveDown,
    EditRun,
    Open,
    Custom,
    Likelihood,
    Impact,
    SortByRisk,
    /// Question 2: the rules' suggestions for the element.
    AddSuggestion,
    DismissSuggestion,
    NotApplicable,
    Walk,
    SkipSuggestion,
    StopWalk,
    /// Question 3's review walk: the threat still holds (back to open, response kept).
    StillValid,
    EditThreat,
    RespondMitigate,
    RespondAccept,
    RespondTransfer,
    RespondAvoid,
    /// Question 3: link an existing mitigation to the threat, or unlink one.
    LinkMitigation,
    CycleStatus,
    CycleThreatStatus,
    Commit,
    /// Diagram: back to the flows list.
    BackToLists,
    /// Question 1: open the quick-add line.
    QuickAdd,
    /// Take the completion on offer (the quick-add line).
    Complete,
    /// Show or hide the side pane (the diagram's list of crossing flows).
    ToggleSidePane,
    PageUp,
    PageDown,
    /// Dialogs: the choices they offer.
    Yes,
    Submit,
    Cancel,
    Recover,
    Discard,
    Merge,
    Reload,
    KeepBeside,
    Overwrite,
    SaveAndQuit,
    DiscardAndQuit,
}

/// Where a binding applies. Screen contexts are tried before `Session`, which is tried before
/// `Global`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Keys that work everywhere, in dialogs too (Ctrl-C).
    Always,
    Global,
    Session,
    Start,
    Build,
    Diagram,
    Threats,
    /// Question 2 while walking through every open suggestion (tried before `Threats`).
    Walk,
    Respond,
    /// Question 3 while walking the threats that need review (tried before `Respond`).
    ReviewWalk,
    Review,
    /// Dialogs and pop-ups.
    Help,
    Notice,
    Form,
    Picker,
    Confirm,
    Recover,
    Conflict,
    QuitDialog,
    CommitDialog,
    WhatChanged,
    /// Question 1's quick-add line (typing goes to the line).
    QuickAdd,
    /// The attendee app (`threatboard join`): the elements, suggestions and ideas panes.
    Attendee,
    /// The attendee app's question before quitting with an idea typed but not sent.
    AttendeeQuit,
}

/// What "any other key" does in a dialog, for its key line; `None` where other keys are typed.
pub fn fallback(context: Context) -> Option<&'static str> {
    match context {
        Context::Help | Context::Notice => Some("close"),
        Context::Confirm => Some("keep"),
        Context::Recover => Some("decide later (it is kept)"),
        Context::Conflict => Some("cancel, nothing is saved"),
        Context::QuitDialog => Some("stay"),
        Context::WhatChanged => Some("continue"),
        Context::AttendeeQuit => Some("stay"),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const fn k(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::NONE,
    }
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
    }
}

const fn code(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::NONE,
    }
}

pub struct Binding {
    pub context: Context,
    pub keys: &'static [Key],
    /// How the keys are written in the footer and help.
    pub label: &'static str,
    pub action: Action,
    pub help: &'static str,
    /// Shown in the footer (the keys that matter most); all are shown in help.
    pub footer: bool,
}

const fn bind(
    context: Context,
    keys: &'static [Key],
    label: &'static str,
    action: Action,
    help: &'static str,
    footer: bool,
) -> Binding {
    Binding {
        context,
        keys,
        label,
        action,
        help,
        footer,
    }
}

use Action as A;
use Context as C;

pub static BINDINGS: &[Binding] = &[
    // Listed with `q` (its label says "q ^C"), the last of the session's keys.
    bind(C::Always, &[ctrl('c')], "", A::Quit, "", false),
    // Dialogs.
    bind(
        C::Confirm,
        &[k('y'), k('Y')],
        "y",
        A::Yes,
        "delete (u undoes)",
        true,
    ),
    bind(C::Recover, &[k('r')], "r", A::Recover, "recover it", true),
    bind(C::Recover, &[k('d')], "d", A::Discard, "discard it", true),
    bind(
        C::Conflict,
        &[k('m')],
        "m",
        A::Merge,
        "merge by element: both sides' changes stay; where both changed the same element, yours is kept (and named)",
        true,
    ),
    bind(
        C::Conflict,
        &[k('r')],
        "r",
        A::Reload,
        "reload the file from disk, dropping your changes",
        true,
    ),
    bind(
        C::Conflict,
        &[k('k')],
        "k",
        A::KeepBeside,
        "keep mine beside it, as <name>.mine.toml",
        true,
    ),
    bind(
        C::Conflict,
        &[k('o')],
        "o",
        A::Overwrite,
        "overwrite the file with mine",
        true,
    ),
    bind(
        C::QuitDialog,
        &[k('s'), k('y')],
        "s",
        A::SaveAndQuit,
        "save and quit",
        true,
    ),
    bind(
        C::QuitDialog,
        &[k('d')],
        "d",
        A::DiscardAndQuit,
        "discard and quit",
        true,
    ),
    bind(
        C::CommitDialog,
        &[code(KeyCode::Enter)],
        "Enter",
        A::Submit,
        "save and commit",
        true,
    ),
    bind(
        C::CommitDialog,
        &[code(KeyCode::Up)],
        "↑↓ PgUp PgDn",
        A::Up,
        "scroll the changes",
        false,
    ),
    bind(
        C::CommitDialog,
        &[code(KeyCode::Down)],
        "",
        A::Down,
        "scroll down",
        false,
    ),
    bind(
        C::CommitDialog,
        &[code(KeyCode::PageUp)],
        "",
        A::PageUp,
        "scroll a page up",
        false,
    ),
    bind(
        C::CommitDialog,
        &[code(KeyCode::PageDown)],
        "",
        A::PageDown,
        "scroll a page down",
        false,
    ),
    bind(
        C::CommitDialog,
        &[code(KeyCode::Esc)],
        "Esc",
        A::Cancel,
        "cancel",
        true,
    ),
    bind(
        C::QuickAdd,
        &[code(KeyCode::Enter)],
        "Enter",
        A::Submit,
        "add the line (the line stays open for the next one)",
        true,
    ),
    bind(
        C::QuickAdd,
        &[code(KeyCode::Tab)],
        "Tab",
        A::Complete,
        "take the completion shown dimmed after the cursor",
        true,
    ),
    bind(
        C::QuickAdd,
        &[ctrl('s')],
        "^S",
        A::Save,
        "save the session (the line stays open)",
        false,
    ),
    bind(
        C::QuickAdd,
        &[code(KeyCode::Esc)],
        "Esc",
        A::Cancel,
        "close the line",
        true,
    ),
    bind(
        C::Help,
        &[code(KeyCode::Up), k('k')],
        "↑↓",
        A::Up,
        "scroll",
        true,
    ),
    bind(
        C::Help,
        &[code(KeyCode::Down), k('j')],
        "",
        A::Down,
        "",
        false,
    ),
    bind(
        C::Help,
        &[code(KeyCode::PageUp)],
        "PgUp PgDn",
        A::PageUp,
        "a page up or down",
        false,
    ),
    bind(
        C::Help,
        &[code(KeyCode::PageDown)],
        "",
        A::PageDown,
        "",
        false,
    ),
    bind(
        C::Help,
        &[k('g'), code(KeyCode::Home)],
        "g G",
        A::Top,
        "top / bottom",
        false,
    ),
    bind(
        C::Help,
        &[k('G'), code(KeyCode::End)],
        "",
        A::Bottom,
        "",
        false,
    ),
    bind(C::Picker, &[code(KeyCode::Up)], "↑↓", A::Up, "select", true),
    bind(C::Picker, &[code(KeyCode::Down)], "", A::Down, "", false),
    bind(
        C::Picker,
        &[code(KeyCode::PageUp)],
        "PgUp PgDn",
        A::PageUp,
        "a page up or down",
        false,
    ),
    bind(
        C::Picker,
        &[code(KeyCode::PageDown)],
        "",
        A::PageDown,
        "",
        false,
    ),
    bind(
        C::Picker,
        &[code(KeyCode::Enter)],
        "Enter",
        A::Submit,
        "add",
        true,
    ),
    bind(
        C::Picker,
        &[code(KeyCode::Esc)],
        "Esc",
        A::Cancel,
        "close",
        true,
    ),
    bind(
        C::WhatChanged,
        &[code(KeyCode::Up), k('k')],
        "↑↓",
        A::Up,
        "scroll",
        true,
    ),
    bind(
        C::WhatChanged,
        &[code(KeyCode::Down), k('j')],
        "",
        A::Down,
        "",
        false,
    ),
    bind(
        C::WhatChanged,
        &[code(KeyCode::Enter)],
        "Enter",
        A::Submit,
        "continue: record today's run",
        true,
    ),
    bind(
        C::Start,
        &[code(KeyCode::Up), k('k')],
        "↑/k",
        A::Up,
        "previous session",
        false,
    ),
    bind(
        C::Start,
        &[code(KeyCode::Down), k('j')],
        "↓/j",
        A::Down,
        "next session",
        false,
    ),
    bind(
        C::Start,
        &[k('g'), code(KeyCode::Home)],
        "g G",
        A::Top,
        "first / last session (also Home, End)",
        false,
    ),
    bind(
        C::Start,
        &[k('G'), code(KeyCode::End)],
        "",
        A::Bottom,
        "last",
        false,
    ),
    bind(
        C::Start,
        &[code(KeyCode::Enter)],
        "Enter",
        A::Open,
        "open the session (or start a new one)",
        true,
    ),
    bind(C::Start, &[k('n')], "n", A::Add, "new session", true),
    bind(
        C::Build,
        &[code(KeyCode::Up), k('k')],
        "↑↓ j k",
        A::Up,
        "select",
        true,
    ),
    bind(
        C::Build,
        &[code(KeyCode::Down), k('j')],
        "",
        A::Down,
        "next item",
        false,
    ),
    bind(
        C::Build,
        &[code(KeyCode::Left), k('h')],
        "←→ h l",
        A::Left,
        "section (boundaries, assets, components, flows, diagram)",
        true,
    ),
    bind(
        C::Build,
        &[code(KeyCode::Right), k('l')],
        "",
        A::Right,
        "next section",
        false,
    ),
    bind(
        C::Build,
        &[k('g'), code(KeyCode::Home)],
        "g G",
        A::Top,
        "first / last item (also Home, End)",
        false,
    ),
    bind(
        C::Build,
        &[k('G'), code(KeyCode::End)],
        "",
        A::Bottom,
        "last item",
        false,
    ),
    bind(
        C::Build,
        &[k('a'), code(KeyCode::Insert)],
        "a",
        A::Add,
        "add (also Insert)",
        true,
    ),
    bind(
        C::Build,
        &[k('i'), k(':')],
        "i :",
        A::QuickAdd,
        "quick add: one typed line per entry (grammar below)",
        true,
    ),
    bind(
        C::Build,
        &[k('e'), code(KeyCode::Enter)],
        "e Enter",
        A::Edit,
        "edit",
        true,
    ),
    bind(
        C::Build,
        &[k('d'), code(KeyCode::Delete)],
        "d Del",
        A::Delete,
        "delete (asks when something refers to it)",
        true,
    ),
    bind(
        C::Build,
        &[k('K')],
        "K J",
        A::MoveUp,
        "move up / down (kept while open; files list entries by id)",
        false,
    ),
    bind(C::Build, &[k('J')], "", A::MoveDown, "move down", false),
    bind(
        C::Diagram,
        &[code(KeyCode::Up), k('k')],
        "↑↓ j k",
        A::Up,
        "scroll",
        true,
    ),
    bind(
        C::Diagram,
        &[code(KeyCode::Down), k('j')],
        "",
        A::Down,
        "scroll down",
        false,
    ),
    bind(
        C::Diagram,
        &[k('h')],
        "h/l",
        A::Left,
        "scroll left / right",
        false,
    ),
    bind(C::Diagram, &[k('l')], "", A::Right, "scroll right", false),
    bind(
        C::Diagram,
        &[k('c')],
        "c",
        A::ToggleSidePane,
        "crossings list: show / hide the flows crossing a trust boundary (hidden, the diagram gets the room)",
        true,
    ),
    bind(
        C::Diagram,
        &[code(KeyCode::Left)],
        "←",
        A::BackToLists,
        "back to the flows list",
        false,
    ),
    bind(
        C::Threats,
        &[code(KeyCode::Up), k('k')],
        "↑↓ j k",
        A::Up,
        "select",
        true,
    ),
    bind(
        C::Threats,
        &[code(KeyCode::Down), k('j')],
        "",
        A::Down,
        "next",
        false,
    ),
    bind(
        C::Threats,
        &[k('g'), code(KeyCode::Home)],
        "g G",
        A::Top,
        "first / last in the pane (also Home, End)",
        false,
    ),
    bind(
        C::Threats,
        &[k('G'), code(KeyCode::End)],
        "",
        A::Bottom,
        "last",
        false,
    ),
    bind(
        C::Threats,
        &[code(KeyCode::PageUp)],
        "PgUp PgDn",
        A::PageUp,
        "ten up / down in the pane",
        false,
    ),
    bind(
        C::Threats,
        &[code(KeyCode::PageDown)],
        "",
        A::PageDown,
        "",
        false,
    ),
    bind(
        C::Threats,
        &[code(KeyCode::Left), k('h')],
        "←→ h l",
        A::Left,
        "elements / threats / suggestions pane",
        true,
    ),
    bind(
        C::Threats,
        &[code(KeyCode::Right), k('l')],
        "",
        A::Right,
        "threats pane",
        false,
    ),
    bind(
        C::Threats,
        &[k('a'), k('/')],
        "a /",
        A::Add,
        "add a threat from the libraries (fuzzy picker, suggestions first)",
        true,
    ),
    bind(
        C::Threats,
        &[k('c')],
        "c",
        A::Custom,
        "add a threat typed by hand",
        false,
    ),
    bind(
        C::Threats,
        &[k('e'), code(KeyCode::Enter)],
        "e Enter",
        A::Edit,
        "edit the selected threat",
        false,
    ),
    bind(
        C::Threats,
        &[k('d'), code(KeyCode::Delete)],
        "d Del",
        A::Delete,
        "delete the selected threat (asks when mitigations refer to it)",
        false,
    ),
    bind(
        C::Threats,
        &[k('L')],
        "L I",
        A::Likelihood,
        "likelihood / impact: low → medium → high",
        true,
    ),
    bind(C::Threats, &[k('I')], "", A::Impact, "impact", false),
    bind(
        C::Threats,
        &[k('o')],
        "o",
        A::SortByRisk,
        "order threats by risk / as entered",
        false,
    ),
    bind(
        C::Threats,
        &[k('s')],
        "s",
        A::AddSuggestion,
        "add the rule suggestion under the cursor as a threat (form prefilled from the rule)",
        false,
    ),
    bind(
        C::Threats,
        &[k('x')],
        "x",
        A::DismissSuggestion,
        "dismiss that suggestion with a reason; on a dismissed one, restore it",
        false,
    ),
    bind(
        C::Threats,
        &[k('w')],
        "w",
        A::Walk,
        "walk every open suggestion of the model, crossing flows first",
        true,
    ),
    bind(
        C::Threats,
        &[k('n')],
        "n",
        A::NotApplicable,
        "not applicable: the STRIDE letters that do not apply to the element, and why",
        false,
    ),
    bind(
        C::Walk,
        &[code(KeyCode::Char(' '))],
        "Space",
        A::SkipSuggestion,
        "skip this suggestion of the walk (s adds it, x dismisses it)",
        true,
    ),
    bind(
        C::Walk,
        &[code(KeyCode::Esc)],
        "Esc",
        A::StopWalk,
        "stop walking",
        true,
    ),
    bind(
        C::ReviewWalk,
        &[k('o')],
        "o",
        A::StillValid,
        "keep: the threat still holds; back to open, its response kept",
        true,
    ),
    bind(
        C::ReviewWalk,
        &[k('e')],
        "e",
        A::EditThreat,
        "edit the threat (title, target, letters)",
        true,
    ),
    bind(
        C::ReviewWalk,
        &[k('n')],
        "n",
        A::NotApplicable,
        "not-applicable now (asks why; kept in its notes)",
        true,
    ),
    bind(
        C::ReviewWalk,
        &[code(KeyCode::Char(' '))],
        "Space",
        A::SkipSuggestion,
        "next: skip this threat for now",
        true,
    ),
    bind(
        C::ReviewWalk,
        &[code(KeyCode::Esc)],
        "Esc",
        A::StopWalk,
        "stop the review walk",
        true,
    ),
    bind(
        C::Respond,
        &[k('w')],
        "w",
        A::Walk,
        "walk the threats that need review, one at a time",
        false,
    ),
    bind(
        C::Respond,
        &[code(KeyCode::Up), k('k')],
        "↑↓ j k",
        A::Up,
        "select",
        true,
    ),
    bind(
        C::Respond,
        &[code(KeyCode::Down), k('j')],
        "",
        A::Down,
        "next",
        false,
    ),
    bind(
        C::Respond,
        &[k('g'), code(KeyCode::Home)],
        "g G",
        A::Top,
        "first / last in the pane (also Home, End)",
        false,
    ),
    bind(
        C::Respond,
        &[k('G'), code(KeyCode::End)],
        "",
        A::Bottom,
        "last",
        false,
    ),
    bind(
        C::Respond,
        &[code(KeyCode::PageUp)],
        "PgUp PgDn",
        A::PageUp,
        "ten up / down in the pane",
        false,
    ),
    bind(
        C::Respond,
        &[code(KeyCode::PageDown)],
        "",
        A::PageDown,
        "",
        false,
    ),
    bind(
        C::Respond,
        &[code(KeyCode::Left), k('h')],
        "←→ h l",
        A::Left,
        "threats / mitigations pane",
        false,
    ),
    bind(
        C::Respond,
        &[code(KeyCode::Right), k('l')],
        "",
        A::Right,
        "mitigations pane",
        false,
    ),
    bind(
        C::Respond,
        &[k('m')],
        "m x t v",
        A::RespondMitigate,
        "respond: mitigate (opens the mitigation form) / accept (asks justification, who, review date) / transfer (asks who takes the risk) / avoid",
        true,
    ),
    bind(C::Respond, &[k('x')], "", A::RespondAccept, "accept", false),
    bind(
        C::Respond,
        &[k('t')],
        "",
        A::RespondTransfer,
        "transfer",
        false,
    ),
    bind(C::Respond, &[k('v')], "", A::RespondAvoid, "avoid", false),
    bind(
        C::Respond,
        &[k('a')],
        "a",
        A::Add,
        "add a mitigation (owner, due date like +2w, ticket)",
        true,
    ),
    bind(
        C::Respond,
        &[k('L')],
        "L",
        A::LinkMitigation,
        "link an existing mitigation to this threat, or unlink one (a picker of all mitigations)",
        true,
    ),
    bind(
        C::Respond,
        &[k('e'), code(KeyCode::Enter)],
        "e Enter",
        A::Edit,
        "edit the selected mitigation, or the acceptance",
        false,
    ),
    bind(
        C::Respond,
        &[k('d'), code(KeyCode::Delete)],
        "d Del",
        A::Delete,
        "delete the selected mitigation",
        false,
    ),
    bind(
        C::Respond,
        &[k('s')],
        "s S",
        A::CycleStatus,
        "mitigation status: planned → in-progress → done → verified; S the threat's (needs-review → open)",
        true,
    ),
    bind(
        C::Respond,
        &[k('S')],
        "",
        A::CycleThreatStatus,
        "threat status: needs-review → open (reviewed) → resolved → not-applicable",
        false,
    ),
    bind(
        C::Review,
        &[code(KeyCode::Up), k('k')],
        "↑↓ j k",
        A::Up,
        "select a blocking item (scroll when none blocks)",
        true,
    ),
    bind(
        C::Review,
        &[code(KeyCode::Down), k('j')],
        "",
        A::Down,
        "next blocking item",
        false,
    ),
    bind(
        C::Review,
        &[code(KeyCode::Enter)],
        "Enter",
        A::Open,
        "go where the selected blocking item is fixed (its question, the item selected)",
        true,
    ),
    bind(
        C::Review,
        &[k('g'), code(KeyCode::Home)],
        "g G",
        A::Top,
        "first / last blocking item (also Home, End)",
        false,
    ),
    bind(
        C::Review,
        &[k('G'), code(KeyCode::End)],
        "",
        A::Bottom,
        "last blocking item",
        false,
    ),
    bind(
        C::Review,
        &[code(KeyCode::PageUp)],
        "PgUp PgDn",
        A::PageUp,
        "scroll a page up / down",
        false,
    ),
    bind(
        C::Review,
        &[code(KeyCode::PageDown)],
        "",
        A::PageDown,
        "",
        false,
    ),
    bind(
        C::Review,
        &[k('e')],
        "e",
        A::Edit,
        "edit the retrospective: went well, to change, coverage notes",
        true,
    ),
    bind(
        C::Session,
        &[k('C')],
        "C",
        A::Commit,
        "commit: save and git-commit this file alone, with a summary of the change",
        true,
    ),
    bind(
        C::Session,
        &[k('1')],
        "1-4",
        A::Question(0),
        "go to question 1 .. 4 (numbered in the header)",
        false,
    ),
    bind(
        C::Session,
        &[k('2')],
        "",
        A::Question(1),
        "question 2",
        false,
    ),
    bind(
        C::Session,
        &[k('3')],
        "",
        A::Question(2),
        "question 3",
        false,
    ),
    bind(
        C::Session,
        &[k('4')],
        "",
        A::Question(3),
        "question 4",
        false,
    ),
    bind(
        C::Session,
        &[code(KeyCode::Tab)],
        "Tab S-Tab",
        A::NextQuestion,
        "next / previous question",
        false,
    ),
    bind(
        C::Session,
        &[code(KeyCode::BackTab)],
        "",
        A::PrevQuestion,
        "previous question",
        false,
    ),
    bind(C::Session, &[ctrl('s')], "^S", A::Save, "save", true),
    bind(
        C::Session,
        &[ctrl('o')],
        "^O",
        A::SaveAs,
        "save as another file (then edit that one)",
        false,
    ),
    bind(
        C::Session,
        &[k('u'), ctrl('z')],
        "u ^Z",
        A::Undo,
        "undo",
        true,
    ),
    bind(
        C::Session,
        &[ctrl('r'), ctrl('y')],
        "^R ^Y",
        A::Redo,
        "redo",
        false,
    ),
    bind(
        C::Session,
        &[k('r')],
        "r",
        A::EditRun,
        "today's run: facilitator, attendees, trigger",
        false,
    ),
    bind(
        C::Global,
        &[k('?'), code(KeyCode::F(1))],
        "? F1",
        A::Help,
        "help: every key of this screen",
        true,
    ),
    bind(
        C::Global,
        &[k('q')],
        "q ^C",
        A::Quit,
        "quit (asks when there are unsaved changes)",
        true,
    ),
    // The attendee app (`threatboard join`).
    bind(
        C::Attendee,
        &[code(KeyCode::Up), k('k')],
        "↑↓ j k",
        A::Up,
        "select in the pane",
        false,
    ),
    bind(
        C::Attendee,
        &[code(KeyCode::Down), k('j')],
        "",
        A::Down,
        "",
        false,
    ),
    bind(
        C::Attendee,
        &[code(KeyCode::Tab), code(KeyCode::Right), k('l')],
        "Tab ←→",
        A::Right,
        "pane: elements, suggestions, ideas (Shift-Tab, ←, h: back)",
        true,
    ),
    bind(
        C::Attendee,
        &[code(KeyCode::BackTab), code(KeyCode::Left), k('h')],
        "",
        A::Left,
        "",
        false,
    ),
    bind(
        C::Attendee,
        &[k('a'), k('/')],
        "a /",
        A::Add,
        "idea from the libraries (picker, the rules' entries first)",
        true,
    ),
    bind(
        C::Attendee,
        &[k('n'), k('c')],
        "n c",
        A::Custom,
        "write an idea (on the selected element; reopens one closed with Esc)",
        true,
    ),
    bind(
        C::Attendee,
        &[k('s')],
        "s",
        A::AddSuggestion,
        "an idea from the rule suggestion under the cursor",
        false,
    ),
    bind(
        C::Attendee,
        &[code(KeyCode::Enter)],
        "Enter",
        A::Open,
        "on an element: write an idea; on a suggestion: an idea from it",
        false,
    ),
    bind(
        C::Attendee,
        &[k('?'), code(KeyCode::F(1))],
        "? F1",
        A::Help,
        "help: every key",
        true,
    ),
    bind(
        C::Attendee,
        &[k('q')],
        "q ^C",
        A::Quit,
        "quit (asks when an idea is typed but not sent)",
        true,
    ),
    bind(
        C::AttendeeQuit,
        &[k('y')],
        "y",
        A::Yes,
        "quit; the idea not sent is lost",
        true,
    ),
];

impl Key {
    fn matches(&self, event: &KeyEvent) -> bool {
        // Shifted letters arrive as uppercase with SHIFT, and Shift-Tab as BackTab with SHIFT
        // (crossterm's reading of `ESC [ Z`): the key itself says shift, so compare without it.
        let mods = match event.code {
            KeyCode::Char(_) | KeyCode::BackTab => event.modifiers - KeyModifiers::SHIFT,
            _ => event.modifiers,
        };
        self.code == event.code && self.mods == mods
    }
}

/// The action bound to `event` in the first of `contexts` that has one.
pub fn lookup(contexts: &[Context], event: &KeyEvent) -> Option<Action> {
    contexts.iter().find_map(|context| {
        BINDINGS
            .iter()
            .filter(|b| b.context == *context)
            .find(|b| b.keys.iter().any(|k| k.matches(event)))
            .map(|b| b.action)
    })
}

/// Bindings in effect for `contexts`, for the footer and help.
pub fn bindings(contexts: &[Context]) -> impl Iterator<Item = &'static Binding> + '_ {
    contexts
        .iter()
        .flat_map(|c| BINDINGS.iter().filter(move |b| b.context == *c))
}

/// What the help of a screen explains besides its keys: the notation it uses, as (what, how
/// to read it).
pub fn notes(context: Context) -> &'static [(&'static str, &'static str)] {
    match context {
        Context::Review => &[("Attack paths", crate::analysis::paths::LEGEND)],
        _ => &[],
    }
}

/// A dialog's choices as it lists them: "r recover it", one per binding with a label, then
/// what any other key does.
pub fn choices(context: Context) -> Vec<String> {
    let mut lines: Vec<String> = bindings(&[context])
        .filter(|b| !b.label.is_empty())
        .map(|b| format!("{} {}", b.label, b.help))
        .collect();
    if let Some(other) = fallback(context) {
        lines.push(format!("any other key: {other}"));
    }
    lines
}

#[cfg(test)]
mod tests;
