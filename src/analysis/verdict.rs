//! The gate's verdict on one session: what `check` prints and question 4 shows, from the same
//! function, so the app never promises what CI then refuses.

use super::findings::{Finding, Severity};

/// Findings sorted by what they do at the gate (every finding is in exactly one group).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub fail_on: Severity,
    /// Validation problems of the file: they fail the gate too.
    pub invalid: usize,
    /// Findings at or above the threshold that are neither accepted nor tracked.
    pub blocking: usize,
    pub tracked: usize,
    pub accepted: usize,
    /// Findings below the threshold, neither accepted nor tracked.
    pub below: usize,
}

impl Verdict {
    pub fn of(findings: &[Finding], invalid: usize, fail_on: Severity) -> Self {
        let mut v = Verdict {
            fail_on,
            invalid,
            blocking: 0,
            tracked: 0,
            accepted: 0,
            below: 0,
        };
        for f in findings {
            if f.is_accepted() {
                v.accepted += 1;
            } else if f.is_tracked() {
                v.tracked += 1;
            } else if f.blocks(fail_on) {
                v.blocking += 1;
            } else {
                v.below += 1;
            }
        }
        v
    }

    pub fn passes(&self) -> bool {
        self.invalid == 0 && self.blocking == 0
    }
}

impl std::fmt::Display for Verdict {
    /// `check: FAIL (fail on high): 2 blocking, 1 tracked, 3 below threshold`; invalid entries
    /// and accepted risks are named only when there are some.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let result = if self.passes() { "PASS" } else { "FAIL" };
        write!(
            f,
            "check: {result} (fail on {}): {} blocking",
            self.fail_on.as_str(),
            self.blocking + self.invalid
        )?;
        if self.invalid > 0 {
            write!(f, " ({} invalid)", self.invalid)?;
        }
        write!(f, ", {} tracked", self.tracked)?;
        if self.accepted > 0 {
            write!(f, ", {} accepted", self.accepted)?;
        }
        write!(f, ", {} below threshold", self.below)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::findings::{Rule, Tracking};
    use crate::model::Location;

    fn finding(severity: Severity, accepted: bool, tracked: bool) -> Finding {
        Finding {
            rule: Rule::UnencryptedSensitiveFlow,
            severity,
            element: "f".into(),
            location: Location::top("title"),
            message: String::new(),
            fix: "".into(),
            accepted_by_threat: accepted.then(|| "TH-1".to_string()),
            tracked_by: tracked.then(|| {
                Box::new(Tracking {
                    threat: "TH-2".into(),
                    mitigation: "MI-1".into(),
                    owner: "ana".into(),
                    due: None,
                    finished: true,
                })
            }),
            suggestion: None,
        }
    }

    #[test]
    fn every_finding_counts_once_and_only_blocking_ones_fail() {
        let list = [
            finding(Severity::Critical, false, false),
            finding(Severity::High, false, true),
            finding(Severity::High, true, false),
            finding(Severity::Medium, false, false),
            finding(Severity::Low, false, false),
        ];
        let v = Verdict::of(&list, 0, Severity::High);
        assert_eq!(
            v.to_string(),
            "check: FAIL (fail on high): 1 blocking, 1 tracked, 1 accepted, 2 below threshold"
        );
        let pass = Verdict::of(&list[1..], 0, Severity::High);
        assert!(pass.passes());
        assert_eq!(
            pass.to_string(),
            "check: PASS (fail on high): 0 blocking, 1 tracked, 1 accepted, 2 below threshold"
        );
        let invalid = Verdict::of(&list[1..2], 2, Severity::Critical);
        assert_eq!(
            invalid.to_string(),
            "check: FAIL (fail on critical): 2 blocking (2 invalid), 1 tracked, 0 below threshold"
        );
    }
}
