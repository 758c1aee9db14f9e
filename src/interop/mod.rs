//! Other tools' model formats, in and out: one module per format. What threatboard itself writes
//! for people (reports, diagrams) lives in `report`.

pub mod issues;
pub mod json_model;
pub mod otm;
#[cfg(test)]
pub(crate) mod test_support;
pub mod threagile;
pub mod threat_dragon;
pub mod tm_bom;
