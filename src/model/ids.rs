//! Typed identifiers, so a threat id cannot be passed where a component id is expected.
//!
//! Ids are short (`c12`, `TH-004`, `card-data`), so they are kept inline (up to 24 bytes) rather
//! than in an allocation each: a flow names three, and large models have tens of thousands.

use compact_str::CompactString;
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(CompactString);

        impl $name {
            pub fn new(id: impl AsRef<str>) -> Self {
                $name(CompactString::new(id))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                $name(CompactString::new(id))
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                $name(CompactString::new(id))
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
    };
}

typed_id!(
    /// A trust boundary, e.g. `dmz`.
    BoundaryId
);
typed_id!(
    /// A data asset, e.g. `card-data`.
    AssetId
);
typed_id!(
    /// A component or a flow: the two kinds of element a threat can target. They share one
    /// namespace so that a threat's `target` is never ambiguous.
    ElementId
);
typed_id!(
    /// A threat, e.g. `TH-001`.
    ThreatId
);
typed_id!(
    /// A mitigation, e.g. `MI-001`.
    MitigationId
);
typed_id!(
    /// An assumption, e.g. `AS-001`.
    AssumptionId
);

/// Why an id is not acceptable, if it is not. Ids are written by hand and appear in diffs, commit
/// messages and file names, so they are kept to letters, digits, `-`, `_` and `.`.
pub fn id_syntax_problem(id: &str) -> Option<String> {
    if id.is_empty() {
        return Some("id is empty".to_string());
    }
    if id.chars().count() > 64 {
        return Some("id is longer than 64 characters".to_string());
    }
    if let Some(bad) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Some(format!(
            "id contains {}; use letters, digits, '-', '_' or '.'",
            crate::model::text::describe_char(bad)
        ));
    }
    None
}

/// The next free id of the form `PREFIX-NNN` (at least three digits), after the highest in use.
pub fn next_numbered_id<'a>(prefix: &str, existing: impl IntoIterator<Item = &'a str>) -> String {
    let highest = existing
        .into_iter()
        .filter_map(|id| {
            id.strip_prefix(prefix)?
                .strip_prefix('-')?
                .parse::<u32>()
                .ok()
        })
        .max()
        .unwrap_or(0);
    format!("{prefix}-{:03}", highest + 1)
}

/// A slug for ids and file names: lowercase ASCII letters and digits joined by single dashes.
/// Anything else (path separators, dots, spaces, non-ASCII) becomes a separator, so the result can
/// never name a path outside the directory it is joined to.
pub fn slugify(text: &str) -> String {
    let mut slug = String::new();
    let mut pending_dash = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_dash && !slug.is_empty() {
                slug.push('-');
            }
            pending_dash = false;
            slug.push(c.to_ascii_lowercase());
        } else {
            pending_dash = true;
        }
        if slug.len() >= 60 {
            break;
        }
    }
    slug
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugify_keeps_names_inside_a_directory() {
        assert_eq!(slugify("Checkout service"), "checkout-service");
        assert_eq!(slugify("../../etc/passwd"), "etc-passwd");
        assert_eq!(slugify("  API -- v2!  "), "api-v2");
        assert_eq!(slugify("日本"), "");
    }

    #[test]
    fn next_id_follows_the_highest() {
        assert_eq!(
            next_numbered_id("TH", ["TH-001", "TH-007", "X-9"]),
            "TH-008"
        );
        assert_eq!(next_numbered_id("MI", std::iter::empty()), "MI-001");
        assert_eq!(next_numbered_id("TH", ["TH-999"]), "TH-1000");
    }

    #[test]
    fn id_syntax() {
        assert!(id_syntax_problem("api-gw_2.v1").is_none());
        assert!(id_syntax_problem("").is_some());
        let msg = id_syntax_problem("api gw").unwrap_or_default();
        assert!(msg.contains("space"), "{msg}");
    }
}
