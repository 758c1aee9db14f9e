//! Dialogs, forms and pop-ups over a screen: one at a time, and each has its own context in the
//! key table.

use super::keymap::Context;
use super::recovery::Recovery;
use super::screens::build::{FormTarget, QuickLine};
use super::screens::threats::Picker;
use super::widgets::form::Form;
use super::widgets::text_input::TextInput;
use crate::model::edit::Edit;

/// What a modal form is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormPurpose {
    Element(FormTarget),
    Mitigation {
        threat: usize,
        index: Option<usize>,
    },
    Acceptance {
        threat: usize,
    },
    /// Who takes the risk of threat `threat` when it is transferred.
    Transfer {
        threat: usize,
    },
    Review,
    /// A threat typed by hand on an element, or an edit of threat `index`.
    Threat {
        target: String,
        index: Option<usize>,
    },
    /// A threat from a rule's suggestion on element `target`, prefilled from rule `rule`.
    SuggestedThreat {
        target: String,
        rule: String,
    },
    /// Why rule `rule`'s suggestion does not apply to `element`.
    Dismissal {
        element: String,
        rule: String,
    },
    /// The STRIDE letters that do not apply to `element`, and why.
    NotApplicable {
        element: String,
    },
    Run {
        index: Option<usize>,
    },
    /// Why threat `threat` no longer applies (question 3's review walk).
    ThreatNotApplicable {
        threat: usize,
    },
    NewSession,
    /// A brainwriting round's length in minutes.
    Round,
    /// Saving under another name (when the session's directory cannot be written, say).
    SaveAs,
}

impl FormPurpose {
    /// The question whose screen the form belongs to (`None` for forms of the whole app).
    pub fn question(&self) -> Option<usize> {
        match self {
            FormPurpose::Element(_) => Some(0),
            FormPurpose::Threat { .. }
            | FormPurpose::SuggestedThreat { .. }
            | FormPurpose::Dismissal { .. }
            | FormPurpose::NotApplicable { .. } => Some(1),
            FormPurpose::Mitigation { .. }
            | FormPurpose::Acceptance { .. }
            | FormPurpose::ThreatNotApplicable { .. } => Some(2),
            FormPurpose::Transfer { .. } => Some(2),
            FormPurpose::Review => Some(3),
            FormPurpose::Run { .. }
            | FormPurpose::NewSession
            | FormPurpose::SaveAs
            | FormPurpose::Round => None,
        }
    }
}

#[derive(Debug)]
pub enum Modal {
    /// The keys of the screen, scrolled down `scroll` lines.
    Help {
        scroll: u16,
    },
    Picker(Picker),
    Form {
        form: Form,
        purpose: FormPurpose,
    },
    /// Yes/no before a destructive step; yes applies `edit` and says `done`.
    Confirm {
        title: String,
        message: String,
        edit: Box<Edit>,
        done: String,
    },
    ConfirmQuit,
    /// Unsaved work from an earlier run was found: recover it, discard it, or keep it for
    /// later. Its session is that work merged with the file as it is now.
    Recover(Box<Recovery>),
    /// Something the user must read (a long error, a draft that could not be reopened).
    Notice {
        title: String,
        lines: Vec<String>,
    },
    /// Someone else changed the file since it was loaded.
    SaveConflict,
    /// A re-run starts here: what changed since the baseline, before question 1. Closing it
    /// asks for the run record with the change as its trigger.
    WhatChanged {
        text: Vec<String>,
        trigger: String,
        scroll: u16,
    },
    /// Question 3: link a mitigation of the session to a threat, or unlink it.
    Link(super::screens::link::LinkPicker),
    /// Save and commit: what changed, and the commit message (editable).
    Commit(CommitDraft),
    /// Question 1's quick-add line: stays open for the next line after Enter.
    QuickAdd(QuickLine),
    /// Question 2: the attendees' ideas for an element.
    Inbox(super::screens::inbox::InboxView),
    /// Sharing started: the join command (read from the app's share).
    ShareInfo,
    /// While sharing: show the join command again, or stop.
    ShareMenu,
    /// "Stop sharing?"
    ShareStop,
}

impl Modal {
    /// Its context in the key table.
    pub fn context(&self) -> Context {
        match self {
            Modal::Help { .. } => Context::Help,
            Modal::Picker(_) | Modal::Link(_) => Context::Picker,
            Modal::Form { .. } => Context::Form,
            Modal::Confirm { .. } => Context::Confirm,
            Modal::ConfirmQuit => Context::QuitDialog,
            Modal::Recover(_) => Context::Recover,
            Modal::Notice { .. } => Context::Notice,
            Modal::SaveConflict => Context::Conflict,
            Modal::WhatChanged { .. } => Context::WhatChanged,
            Modal::Commit(_) => Context::CommitDialog,
            Modal::QuickAdd(_) => Context::QuickAdd,
            Modal::Inbox(view) if view.merge.is_some() => Context::InboxMerge,
            Modal::Inbox(_) => Context::Inbox,
            Modal::ShareInfo => Context::Notice,
            Modal::ShareMenu => Context::ShareMenu,
            Modal::ShareStop => Context::ShareStop,
        }
    }
}

#[derive(Debug, Clone)]
pub struct CommitDraft {
    /// The heading over the changes: "Changes since the last commit:", "New file, not
    /// committed yet:", ...
    pub baseline: String,
    /// The run trailer added to the message (`Threatboard-Run: <date>`) when the commit
    /// records today's run.
    pub trailer: Option<String>,
    /// How far the list of changes is scrolled.
    pub scroll: u16,
    pub changes: Vec<String>,
    pub message: TextInput,
    /// Whether the file lives in a git work tree (else the commit only saves).
    pub in_git: bool,
    /// Whether HEAD is detached: the commit would be on no branch.
    pub detached: bool,
}
