//! Abbreviations and everyday names of attacks, and the words the libraries use for them.
//!
//! People type `csrf`, `sqli` or `api key`; ATT&CK, CAPEC and OWASP name the same things "Cross
//! Site Request Forgery", "SQL Injection", "Unsecured Credentials". A fuzzy matcher cannot bridge
//! that (`csrf` is closer to "Code Signing Certificates" than to "Cross Site Request Forgery"), so
//! this table does: when the whole query is one of an alias's spellings, search also looks for
//! each of its phrases in entry names and tags, and those entries rank in a tier of their own,
//! after ids and before plain name matches (see [`super::search`]).
//!
//! The table is data, kept in this project's own words:
//!
//! - `spellings`: what a person types, lowercase, words separated by one space (the query is
//!   normalised the same way, so `API-Key` and `api  keys` find `api key` / `api keys`);
//! - `phrases`: what the libraries call it, best first. A phrase matches a name or tag when each
//!   of its words starts a word there, in order (`xml external entit` matches "XML External
//!   Entities"); its position orders the results, so the most specific phrase goes first;
//! - `about`: one line saying what the abbreviation means, for whoever maintains the table.
//!
//! Phrases name things by their generic terms and never quote library text. Each alias is
//! checked against the shipped libraries by the tests in `search.rs`, which name the entries it
//! must bring to the top.

/// One abbreviation or common name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alias {
    pub spellings: &'static [&'static str],
    pub phrases: &'static [&'static str],
    pub about: &'static str,
}

impl Alias {
    /// The spelling shown as the reason for a match (the first one).
    pub fn name(&self) -> &'static str {
        self.spellings.first().copied().unwrap_or("")
    }
}

/// Every alias; see the module docs for the fields.
pub const ALIASES: &[Alias] = &[
    Alias {
        spellings: &["csrf", "xsrf", "session riding"],
        phrases: &["cross site request forgery", "csrf"],
        about: "a site makes the victim's browser send a request the victim did not intend",
    },
    Alias {
        spellings: &["xss"],
        phrases: &["cross site scripting", "xss"],
        about: "script injected into pages other users load",
    },
    Alias {
        spellings: &["sqli", "sql i"],
        phrases: &["sql injection", "sqli"],
        about: "input changes the meaning of a database query",
    },
    Alias {
        spellings: &["nosqli"],
        phrases: &["nosql injection"],
        about: "input changes the meaning of a document-store query",
    },
    Alias {
        spellings: &["cmdi", "command injection", "os command injection"],
        phrases: &["os command injection", "command injection"],
        about: "input ends up run by a shell or interpreter",
    },
    Alias {
        spellings: &["ssti", "template injection"],
        phrases: &["template injection", "ssti", "server side include"],
        about: "input is evaluated by a template engine",
    },
    Alias {
        spellings: &["ssrf"],
        phrases: &["server side request forgery", "ssrf"],
        about: "the server is made to fetch a URL the attacker chose, often an internal one",
    },
    Alias {
        spellings: &["idor", "insecure direct object reference"],
        phrases: &[
            "object level authorization",
            "idor",
            "insecure direct object reference",
        ],
        about: "changing an id in a request reaches someone else's record",
    },
    Alias {
        spellings: &["bola", "broken object level authorization"],
        phrases: &["object level authorization", "bola"],
        about: "the API's name for the same flaw as IDOR",
    },
    Alias {
        spellings: &["bfla"],
        phrases: &["function level authorization", "bfla"],
        about: "an ordinary caller reaches an admin-only operation",
    },
    Alias {
        spellings: &[
            "mitm",
            "aitm",
            "man in the middle",
            "adversary in the middle",
        ],
        phrases: &[
            "adversary in the middle",
            "man in the middle",
            "mitm",
            "aitm",
        ],
        about: "someone on the path reads or changes traffic between two parties",
    },
    Alias {
        spellings: &["xxe", "xml external entity", "xml external entities"],
        phrases: &["xxe", "external entities", "xml injection"],
        about: "an XML parser resolves entities that read files or reach other hosts",
    },
    Alias {
        spellings: &["rce", "remote code execution", "code execution"],
        phrases: &[
            "code injection",
            "command injection",
            "remote code",
            "exploitation of remote services",
            "exploit public facing application",
            "rce",
        ],
        about: "the attacker gets their own code run on the target",
    },
    Alias {
        spellings: &[
            "api key",
            "api keys",
            "apikey",
            "apikeys",
            "api token",
            "api tokens",
        ],
        phrases: &[
            "api key",
            "unsecured credentials",
            "credentials in files",
            "cloud secrets",
        ],
        about: "a static secret that authenticates a caller, easily leaked in code, logs or config",
    },
    Alias {
        spellings: &[
            "hardcoded credentials",
            "hard coded credentials",
            "default credentials",
            "default password",
        ],
        phrases: &[
            "hardcoded credentials",
            "default credentials",
            "default accounts",
            "credentials in files",
        ],
        about: "passwords shipped in code or left at their factory value",
    },
    Alias {
        spellings: &[
            "jwt",
            "jwts",
            "json web token",
            "json web tokens",
            "bearer token",
        ],
        phrases: &[
            "jwt",
            "application access token",
            "client based data token",
            "token impersonation",
        ],
        about: "a signed token carried by the client; forged, stolen or replayed",
    },
    Alias {
        spellings: &[
            "replay",
            "replay attack",
            "replay attacks",
            "session replay",
        ],
        phrases: &[
            "replay",
            "alternate authentication material",
            "pass the hash",
            "pass the ticket",
        ],
        about: "a captured message, token or session is sent again",
    },
    Alias {
        spellings: &[
            "session hijacking",
            "session hijack",
            "cookie theft",
            "sidejacking",
        ],
        phrases: &[
            "session hijacking",
            "session sidejacking",
            "web session cookie",
            "reusing session",
        ],
        about: "someone takes over a logged-in session",
    },
    Alias {
        spellings: &["session fixation"],
        phrases: &["session fixation", "session management"],
        about: "the attacker sets the session id the victim then logs in with",
    },
    Alias {
        spellings: &["phishing", "phish", "spear phishing", "spearphishing"],
        phrases: &["phishing", "spearphishing"],
        about: "a message tricks someone into giving access or running something",
    },
    Alias {
        spellings: &[
            "prompt injection",
            "prompt injections",
            "jailbreak",
            "jailbreaking",
        ],
        // Not "jailbreak" as a phrase: in CAPEC it means rooting a phone.
        phrases: &["prompt injection"],
        about: "text reaching a language model overrides its instructions",
    },
    Alias {
        spellings: &["dos", "ddos", "denial of service"],
        phrases: &[
            "denial of service",
            "resource consumption",
            "resource exhaustion",
            "flood",
        ],
        about: "a service is made slow or unavailable",
    },
    Alias {
        spellings: &[
            "path traversal",
            "directory traversal",
            "dot dot slash",
            "lfi",
            "local file inclusion",
        ],
        phrases: &[
            "path traversal",
            "directory traversal",
            "local file inclusion",
        ],
        about: "a file path from input reaches files outside the intended folder",
    },
    Alias {
        spellings: &["rfi", "remote file inclusion"],
        phrases: &["remote file inclusion", "remote code inclusion"],
        about: "the application loads and runs a file from a URL the attacker gave",
    },
    Alias {
        spellings: &[
            "deserialization",
            "deserialisation",
            "insecure deserialization",
            "unsafe deserialization",
        ],
        phrases: &["deserialization", "object injection", "serialized data"],
        about: "untrusted bytes are turned back into live objects",
    },
    Alias {
        spellings: &[
            "brute force",
            "bruteforce",
            "brute forcing",
            "password guessing",
        ],
        phrases: &[
            "brute force",
            "password guessing",
            "password spraying",
            "password cracking",
        ],
        about: "trying many passwords or keys until one works",
    },
    Alias {
        spellings: &["credential stuffing", "cred stuffing"],
        phrases: &["credential stuffing"],
        about: "passwords leaked elsewhere are tried here",
    },
    Alias {
        spellings: &[
            "clickjacking",
            "click jacking",
            "ui redress",
            "ui redressing",
        ],
        phrases: &["clickjacking", "iframe overlay", "cross frame scripting"],
        about: "a hidden frame makes the user click something else than they see",
    },
    Alias {
        spellings: &["open redirect", "open redirects", "unvalidated redirect"],
        phrases: &["open redirect", "redirects"],
        about: "a link on a trusted site forwards to any address given in it",
    },
    Alias {
        spellings: &[
            "supply chain",
            "supply chain attack",
            "dependency confusion",
            "malicious dependency",
        ],
        phrases: &[
            "supply chain",
            "software dependencies",
            "third party component",
            "dependency confusion",
        ],
        about: "what the system is built from or updated with is compromised",
    },
    Alias {
        spellings: &["privesc", "eop", "privilege escalation"],
        phrases: &["privilege escalation", "elevation of privilege"],
        about: "gaining rights beyond those granted",
    },
    Alias {
        spellings: &["ransomware"],
        phrases: &["data encrypted for impact", "inhibit system recovery"],
        about: "data is encrypted or destroyed to extort the owner",
    },
];

/// Lowercase, with every run of characters other than letters and digits turned into one
/// space: the form spellings are written in.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

/// The alias whose spelling the whole query is, if any.
pub fn lookup(query: &str) -> Option<&'static Alias> {
    let query = normalise(query);
    if query.is_empty() {
        return None;
    }
    ALIASES
        .iter()
        .find(|alias| alias.spellings.contains(&query.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn spellings_are_normalised_and_name_one_alias_each() {
        let mut seen = HashSet::new();
        for alias in ALIASES {
            assert!(!alias.spellings.is_empty(), "{alias:?}");
            assert!(!alias.phrases.is_empty(), "{alias:?}");
            assert!(!alias.about.is_empty(), "{alias:?}");
            for spelling in alias.spellings {
                assert_eq!(normalise(spelling), *spelling, "{alias:?}");
                assert!(seen.insert(*spelling), "{spelling:?} is in two aliases");
            }
            for phrase in alias.phrases {
                assert_eq!(normalise(phrase), *phrase, "{alias:?}");
            }
        }
    }

    #[test]
    fn lookup_takes_the_whole_query_in_any_case_and_punctuation() {
        assert_eq!(lookup("CSRF").map(Alias::name), Some("csrf"));
        assert_eq!(lookup("  API-Key ").map(Alias::name), Some("api key"));
        assert_eq!(lookup("api_keys").map(Alias::name), Some("api key"));
        assert_eq!(lookup("Man-in-the-Middle").map(Alias::name), Some("mitm"));
        assert_eq!(lookup("csrf token"), None, "only the whole query");
        assert_eq!(lookup("cs"), None, "not a prefix");
        assert_eq!(lookup(""), None);
        assert_eq!(lookup("--"), None);
    }

    #[test]
    fn normalise_splits_on_anything_but_letters_and_digits() {
        assert_eq!(
            normalise("Cross-Site  Request_Forgery!"),
            "cross site request forgery"
        );
        assert_eq!(normalise("T1190.001"), "t1190 001");
        assert_eq!(normalise("Ünïcode—Wörds"), "ünïcode wörds");
    }
}
