//! The join code: 80 random bits from the operating system, shown as four groups of four
//! Crockford base-32 characters (`k7f2-9xq4-m3vd-82hc`). Typing it is forgiving (case, dashes,
//! spaces, the letters o, i and l read as 0, 1 and 1); comparing it takes the same time
//! whatever the input.

/// A join code.
#[derive(Clone, PartialEq, Eq)]
pub struct JoinCode {
    /// The 16 canonical characters, without dashes.
    chars: [u8; 16],
}

impl JoinCode {
    /// A fresh random code; an error when the system has no randomness to give.
    pub fn random() -> std::io::Result<JoinCode> {
        todo!("helper A")
    }

    /// Whether `typed` is this code, read forgivingly; constant time in the code's length.
    pub fn matches(&self, typed: &str) -> bool {
        let _ = typed;
        todo!("helper A")
    }
}

impl std::fmt::Display for JoinCode {
    /// `k7f2-9xq4-m3vd-82hc`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let _ = (f, self.chars);
        todo!("helper A")
    }
}

impl std::fmt::Debug for JoinCode {
    /// Never printed in logs or panics.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JoinCode(..)")
    }
}
