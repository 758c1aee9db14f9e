//! Other tools' formats, in and out: one module per format.

pub mod threat_dragon;
