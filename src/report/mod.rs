//! Outputs for people and tools beyond the room, and inputs from other tools: the results of
//! `check` as text, JSON and SARIF; the session report as Markdown, HTML, JSON and CSV; the
//! data-flow diagram as Mermaid, DOT and SVG; importers.

pub mod check;
pub mod context;
pub mod csv;
pub mod document;
pub mod dot;
pub mod html;
pub mod json;
pub mod markdown;
pub mod mermaid;
pub mod svg;
pub mod threat_dragon;
