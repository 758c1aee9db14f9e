//! The join code: 80 random bits from the operating system, shown as four groups of four
//! Crockford base-32 characters (`k7f2-9xq4-m3vd-82hc`). Typing it is forgiving (case, dashes,
//! spaces, the letters o, i and l read as 0, 1 and 1); comparing it takes the same time
//! whatever the input.

/// Crockford's base-32 alphabet, lower case: no i, l, o or u, so nothing reads as something else.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

const CODE_CHARS: usize = 16;

/// A join code.
#[derive(Clone, PartialEq, Eq)]
pub struct JoinCode {
    /// The 16 canonical characters, without dashes.
    chars: [u8; CODE_CHARS],
}

impl JoinCode {
    /// A fresh random code; an error when the system has no randomness to give.
    pub fn random() -> std::io::Result<JoinCode> {
        let mut bytes = [0u8; 10];
        getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(JoinCode::from_bytes(bytes))
    }

    /// The code of these 80 bits, five bits a character.
    fn from_bytes(bytes: [u8; 10]) -> JoinCode {
        let bits = bytes
            .iter()
            .fold(0u128, |acc, &b| (acc << 8) | u128::from(b));
        let mut chars = [b'0'; CODE_CHARS];
        for (i, c) in chars.iter_mut().enumerate() {
            let shift = 5 * (CODE_CHARS - 1 - i);
            *c = ALPHABET[((bits >> shift) & 0x1f) as usize];
        }
        JoinCode { chars }
    }

    /// Reads a typed code forgivingly; `None` when it is not 16 base-32 characters.
    pub fn parse(typed: &str) -> Option<JoinCode> {
        let (chars, count, bad) = normalize(typed);
        (count == CODE_CHARS && !bad).then_some(JoinCode { chars })
    }

    /// Whether `typed` is this code, read forgivingly; constant time in the code's length.
    pub fn matches(&self, typed: &str) -> bool {
        let (chars, count, bad) = normalize(typed);
        let mut diff = u8::from(count != CODE_CHARS) | u8::from(bad);
        for (a, b) in self.chars.iter().zip(chars.iter()) {
            diff |= a ^ b;
        }
        diff == 0
    }
}

/// The canonical characters of a typed code (the first 16), how many there were, and whether
/// any was not base-32. Looks at every character whatever it finds, so the time taken does not
/// tell how much of a guess was right.
fn normalize(typed: &str) -> ([u8; CODE_CHARS], usize, bool) {
    let mut chars = [0u8; CODE_CHARS];
    let mut count = 0usize;
    let mut bad = false;
    for c in typed.chars() {
        let c = match c.to_ascii_lowercase() {
            '-' | ' ' => continue,
            'o' => '0',
            'i' | 'l' => '1',
            c => c,
        };
        let known = c.is_ascii() && ALPHABET.contains(&(c as u8));
        bad |= !known;
        if let Some(slot) = chars.get_mut(count) {
            *slot = c as u8;
        }
        count += 1;
    }
    (chars, count, bad)
}

impl std::fmt::Display for JoinCode {
    /// `k7f2-9xq4-m3vd-82hc`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, group) in self.chars.chunks(4).enumerate() {
            if i > 0 {
                f.write_str("-")?;
            }
            for &c in group {
                write!(f, "{}", char::from(c))?;
            }
        }
        Ok(())
    }
}

impl std::fmt::Debug for JoinCode {
    /// Never printed in logs or panics.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JoinCode(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_shows_as_four_groups_of_crockford_characters() {
        let code = JoinCode::from_bytes([0xff; 10]);
        assert_eq!(code.to_string(), "zzzz-zzzz-zzzz-zzzz");
        let code = JoinCode::from_bytes([0; 10]);
        assert_eq!(code.to_string(), "0000-0000-0000-0000");
        let code =
            JoinCode::from_bytes([0x08, 0x86, 0x42, 0x98, 0xe8, 0x4a, 0x96, 0xc6, 0xb9, 0xf0]);
        assert_eq!(code.to_string(), "1234-5678-9abc-defg");
    }

    #[test]
    fn a_code_matches_itself_typed_forgivingly() {
        let code =
            JoinCode::from_bytes([0x08, 0x86, 0x42, 0x98, 0xe8, 0x4a, 0x96, 0xc6, 0xb9, 0xf0]);
        assert!(code.matches("1234-5678-9abc-defg"));
        assert!(code.matches("I234 5678 9ABC DEFG"));
        assert!(code.matches("l23456789abcdefg"));
        assert_eq!(JoinCode::parse(" 1234-5678-9ABC-DEFG "), Some(code));
    }

    #[test]
    fn a_code_does_not_match_anything_else() {
        let code =
            JoinCode::from_bytes([0x08, 0x86, 0x42, 0x98, 0xe8, 0x4a, 0x96, 0xc6, 0xb9, 0xf0]);
        for typed in [
            "",
            "1234-5678-9abc-defh",
            "1234-5678-9abc-def",
            "1234-5678-9abc-defgg",
            "1234-5678-9abc-defu",
            "1234-5678-9abc-de\u{1b}g",
            "1234-5678-9abc-defé",
        ] {
            assert!(!code.matches(typed), "{typed:?} matched");
        }
        assert_eq!(JoinCode::parse("1234-5678-9abc-defu"), None);
        assert_eq!(JoinCode::parse("1234"), None);
    }

    #[test]
    fn random_codes_differ_and_read_back() {
        let a = JoinCode::random().expect("randomness");
        let b = JoinCode::random().expect("randomness");
        assert_ne!(a, b, "80 random bits repeated");
        assert_eq!(JoinCode::parse(&a.to_string()), Some(a.clone()));
        assert_eq!(format!("{a:?}"), "JoinCode(..)");
    }
}
