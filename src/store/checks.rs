//! Check results as the bot records and compares them: what a forge
//! reports for a commit, and what the ledger keeps of it.

use serde::{Deserialize, Serialize};

use crate::vocab::time::Timestamp;

/// One check (a check run or a commit status) and where to see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRun {
    pub name: String,
    /// The check run's id, where there is one (a re-run gets a new one).
    pub id: Option<u64>,
    pub url: Option<String>,
    /// The workflow run behind it, when it is a GitHub Actions job.
    pub run_id: Option<u64>,
    /// When it finished, where the forge says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Timestamp>,
}

/// Whether a check reported as `check` is the one configured as `name`:
/// `test` also names a matrix job's `test (ubuntu)`.
pub fn is_named(check: &str, name: &str) -> bool {
    check == name
        || check
            .strip_prefix(name)
            .is_some_and(|rest| rest.starts_with(' '))
}

/// The combined result of a commit's checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checks {
    /// No check has reported on the commit at all.
    Missing,
    Pending,
    Passed {
        passing: Vec<CheckRun>,
    },
    Failed {
        failing: Vec<CheckRun>,
        /// The checks that passed beside them, to compare one by one.
        passing: Vec<CheckRun>,
        /// The end of the failing output, when the forge has it.
        tail: Option<String>,
    },
}
