//! Whose fault a red check is. A proposal's check counts against its fix
//! only when the same check is green on the proposal's base: red on both
//! is the branch's (or the check command's) problem, and a check that did
//! not run on the base proves nothing. The verdict is asked for in two
//! steps, so the base is only looked at when the fix is red.

use std::collections::BTreeSet;

use crate::engine::diagnostics::first_error_line;
use crate::store::checks::Checks;

/// What a proposal's checks say about its fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judgement {
    /// Not finished yet (on the fix or, for a red fix, on its base).
    Pending,
    /// No check has reported on the fix.
    Missing,
    Passed,
    /// Red on the fix: the base's checks are needed to say whose fault.
    NeedBase,
    /// Green on the base, red on the fix: these checks fail because of it.
    Failed {
        names: Vec<String>,
        tail: Option<String>,
    },
    /// These checks are red on the base too: not the fix's fault.
    RedOnBase {
        names: Vec<String>,
        /// The first error line of the base's output, when there is one.
        first_error: Option<String>,
    },
    /// Red on the fix, but these checks did not run on the base, so
    /// nothing can be pinned on the fix.
    Unknown {
        names: Vec<String>,
    },
}

/// The judgement on `fix`, given the base's checks once they are asked for.
pub fn judge(fix: &Checks, base: Option<&Checks>) -> Judgement {
    let failing = match fix {
        Checks::Pending => return Judgement::Pending,
        Checks::Missing => return Judgement::Missing,
        Checks::Passed { .. } => return Judgement::Passed,
        Checks::Failed { failing, .. } => failing,
    };
    let Some(base) = base else {
        return Judgement::NeedBase;
    };
    let names = |checks: &[crate::store::checks::CheckRun]| -> BTreeSet<String> {
        checks.iter().map(|c| c.name.clone()).collect()
    };
    let (green, red, base_tail) = match base {
        Checks::Pending => return Judgement::Pending,
        Checks::Missing => (BTreeSet::new(), BTreeSet::new(), None),
        Checks::Passed { passing } => (names(passing), BTreeSet::new(), None),
        Checks::Failed {
            failing,
            passing,
            tail,
        } => (names(passing), names(failing), tail.as_deref()),
    };
    let failing = names(failing);
    let fix_fault: Vec<String> = failing
        .iter()
        .filter(|n| green.contains(*n))
        .cloned()
        .collect();
    if !fix_fault.is_empty() {
        let tail = match fix {
            Checks::Failed { tail, .. } => tail.clone(),
            _ => None,
        };
        return Judgement::Failed {
            names: fix_fault,
            tail,
        };
    }
    let on_base: Vec<String> = failing
        .iter()
        .filter(|n| red.contains(*n))
        .cloned()
        .collect();
    if !on_base.is_empty() {
        return Judgement::RedOnBase {
            names: on_base,
            first_error: base_tail.and_then(first_error_line),
        };
    }
    Judgement::Unknown {
        names: failing.into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::checks::CheckRun;

    fn run(name: &str) -> CheckRun {
        CheckRun {
            name: name.into(),
            id: None,
            url: None,
            run_id: None,
            completed_at: None,
        }
    }

    fn failed(names: &[&str], tail: &str) -> Checks {
        Checks::Failed {
            failing: names.iter().map(|n| run(n)).collect(),
            passing: Vec::new(),
            tail: Some(tail.into()),
        }
    }

    fn passed(names: &[&str]) -> Checks {
        Checks::Passed {
            passing: names.iter().map(|n| run(n)).collect(),
        }
    }

    #[test]
    fn green_or_unfinished_fixes_need_no_base() {
        assert_eq!(judge(&passed(&["test"]), None), Judgement::Passed);
        assert_eq!(judge(&Checks::Pending, None), Judgement::Pending);
        assert_eq!(judge(&Checks::Missing, None), Judgement::Missing);
        assert_eq!(judge(&failed(&["test"], "x"), None), Judgement::NeedBase);
    }

    #[test]
    fn only_green_on_base_red_on_the_fix_is_the_fixs_fault() {
        let fix = failed(&["cargo test"], "error[E0119]: conflicting implementations");
        assert_eq!(
            judge(&fix, Some(&passed(&["cargo test"]))),
            Judgement::Failed {
                names: vec!["cargo test".into()],
                tail: Some("error[E0119]: conflicting implementations".into())
            }
        );
        let base = failed(
            &["cargo test"],
            "   Compiling x\nerror: failed to select a version for `rand`\nmore\n",
        );
        assert_eq!(
            judge(&fix, Some(&base)),
            Judgement::RedOnBase {
                names: vec!["cargo test".into()],
                first_error: Some("error: failed to select a version for `rand`".into())
            }
        );
        assert_eq!(judge(&fix, Some(&Checks::Pending)), Judgement::Pending);
    }

    #[test]
    fn each_check_is_compared_with_itself() {
        let fix = failed(&["lint", "test"], "");
        // `test` passed on the base: the fix broke it; `lint` was red already.
        assert_eq!(
            judge(&fix, Some(&failed(&["lint"], ""))),
            Judgement::RedOnBase {
                names: vec!["lint".into()],
                first_error: None
            },
            "only what was red on the base is known; `test` never ran there"
        );
        let mixed_base = Checks::Failed {
            failing: vec![run("lint")],
            passing: vec![run("test")],
            tail: None,
        };
        assert_eq!(
            judge(&fix, Some(&mixed_base)),
            Judgement::Failed {
                names: vec!["test".into()],
                tail: Some(String::new())
            },
            "a base red in one check is still green in the others"
        );
        let both = Checks::Failed {
            failing: vec![run("lint")],
            passing: Vec::new(),
            tail: None,
        };
        let base_with_test = Checks::Passed {
            passing: vec![run("test")],
        };
        assert_eq!(
            judge(&fix, Some(&base_with_test)),
            Judgement::Failed {
                names: vec!["test".into()],
                tail: Some(String::new())
            }
        );
        assert_eq!(
            judge(&both, Some(&base_with_test)),
            Judgement::Unknown {
                names: vec!["lint".into()]
            },
            "a check that did not run on the base proves nothing"
        );
        assert_eq!(
            judge(&fix, Some(&Checks::Missing)),
            Judgement::Unknown {
                names: vec!["lint".into(), "test".into()]
            }
        );
    }
}
