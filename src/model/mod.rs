//! The session model: pure data, ids and validation. No I/O, no terminal.

pub mod change;
pub mod date;
pub mod due;
pub mod edit;
pub mod ids;
pub mod merge;
pub mod session;
pub mod stride;
pub mod technology;
pub mod text;
pub mod thin;
pub mod validate;

pub use ids::{
    AssetId, AssumptionId, BoundaryId, ElementId, MitigationId, ThreatId, id_syntax_problem,
    next_numbered_id, slugify,
};
pub use session::*;
pub use stride::{Stride, StrideSet};
pub use technology::{ProtocolFamily, Technology};
pub use thin::{ThinList, ThinText};
pub use validate::{Field, Location, Problem, Table, validate};
