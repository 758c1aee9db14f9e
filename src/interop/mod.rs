//! Other tools' formats, in and out: one module per format.

pub mod issues;
pub mod threagile;
pub mod threat_dragon;
