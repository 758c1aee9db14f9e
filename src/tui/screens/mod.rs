//! One module per screen.

pub mod browse;
pub mod build;
pub mod respond;
pub mod threats;
