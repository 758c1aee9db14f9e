//! threatboard: facilitated threat modeling in the terminal.
//!
//! Layers, from the bottom: [`model`] (pure data) <- [`store`] (files) <- [`cli`] (commands).
//! Only the `tui` layer knows about the terminal.

pub mod analysis;
pub mod cli;
pub mod config;
pub mod interop;
pub mod library;
pub mod model;
pub mod parallel;
pub mod report;
pub mod rules;
pub mod share;
pub mod store;
pub mod tui;
