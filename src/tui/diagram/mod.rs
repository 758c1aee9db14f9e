//! The data-flow diagram of question 1, drawn in the terminal.
//!
//! [`DiagramLayout::compute`] places boundaries, components and flows on a virtual canvas of
//! character cells once per model change. [`DiagramView`] draws a scrolled viewport of that
//! canvas each frame; it touches only the primitives that intersect the viewport, so a frame
//! stays cheap even for thousands of components. [`CrossingList`] is the list of
//! boundary-crossing flows shown beside the diagram.
//!
//! Nothing is signalled by colour alone: trust boundaries are double lines with their name in
//! the top border, component kinds carry a marker (`[P]`, `[D]`, `[E]`), and a flow that crosses
//! a trust boundary is drawn with heavy lines and its number followed by `!`.
//!
//! All text from the session goes through `sanitize`: control characters and escape sequences
//! are made visible, and every string is measured in terminal cells and cut with an ellipsis to
//! fit its box, so a name cannot move the cursor or push a border out of place.

mod layout;
mod render;

pub use layout::{CrossingFlow, DiagramLayout};
pub use render::{CrossingList, DiagramView};

// The text-fitting helpers are shared with the other screens; the diagram's modules reach
// them through here.
pub(crate) use crate::tui::widgets::text::{cells, fit, sanitize, width, wrap};

#[cfg(test)]
mod tests;
