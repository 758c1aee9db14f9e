//! One module per screen. Each owns its state, turns keys into actions (through the one key
//! table), updates itself, and draws itself. What a screen cannot do on its own state (change
//! the session, open a dialog, say something in the status line) it asks of the app as
//! [`Command`]s: the app owns the session's history, the dialog slot and the status line.

pub mod build;
pub mod inbox;
pub mod link;
pub mod needs_review;
pub mod respond;
pub mod review;
pub mod start;
pub mod threats;

use super::modal::Modal;
use super::session::Derived;
use crate::library::LibrarySet;
use crate::model::Session;
use crate::model::edit::Edit;
use crate::store::LoadedSession;
use chrono::NaiveDate;

/// What a screen asks of the app, carried out in order after its update.
#[derive(Debug)]
pub enum Command {
    /// Apply an edit to the session (undoable) and say `message`.
    Apply(Box<Edit>, String),
    /// Open a dialog or form.
    Open(Modal),
    Info(String),
    Error(String),
    /// Open a session (from the start screen), then say `message` if there is one.
    Enter(Box<LoadedSession>, Option<String>),
    /// Switch to another question with something selected there.
    Goto(Goto),
}

/// A place in the questions: where question 4's blocking items are fixed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Goto {
    /// Question 1, the component or flow with this id selected.
    Build(String),
    /// Question 2, this element selected.
    Threats(String),
    /// Question 3, this threat selected, and in its mitigations pane this mitigation.
    Respond {
        threat: String,
        mitigation: Option<String>,
    },
}

impl Command {
    pub fn apply(edit: Edit, message: impl Into<String>) -> Self {
        Command::Apply(Box::new(edit), message.into())
    }

    pub fn info(message: impl Into<String>) -> Self {
        Command::Info(message.into())
    }
}

/// What every screen may read while it updates: the session and what is derived from it.
pub struct Cx<'a> {
    pub session: &'a Session,
    pub derived: &'a Derived,
    pub today: NaiveDate,
    pub libraries: &'a LibrarySet,
    /// The terminal's size (columns, rows), for screens that page or scroll.
    pub viewport: (u16, u16),
}
