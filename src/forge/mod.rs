//! Where pull requests live. The cycle pushes proposal branches with git;
//! a forge turns them into pull requests, reads what happened to them, and
//! reports their checks. `local` keeps everything in git and runs the checks
//! itself; the GitHub forge implements the same trait.

pub mod local;

use crate::git::{BranchName, CommitSha, GitError};
use crate::ledger::{Proposal, PullRef};

/// A pull request to open for a pushed proposal branch.
#[derive(Debug, Clone)]
pub struct PullDraft<'a> {
    pub branch: &'a BranchName,
    pub base: &'a BranchName,
    pub title: &'a str,
    pub body: &'a str,
    pub labels: Vec<String>,
}

/// Where a proposal's pull request stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullState {
    Open,
    Merged { commit: CommitSha },
    Closed,
}

/// The combined result of a commit's checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checks {
    Pending,
    Passed,
    Failed {
        /// The failing checks by name.
        names: Vec<String>,
        /// The end of the failing output, when the forge has it.
        tail: Option<String>,
    },
}

/// What a forge can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ForgeError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error("{0}")]
    Other(String),
}

/// The seam between the cycle and a forge.
pub trait Forge {
    /// `local` or `github`: recorded with each pull request.
    fn kind(&self) -> &'static str;
    /// Opens (or finds) the pull request for a pushed branch.
    fn open_pull(&self, draft: &PullDraft<'_>) -> Result<PullRef, ForgeError>;
    /// What happened to a proposal's pull request.
    fn pull_state(&self, proposal: &Proposal) -> Result<PullState, ForgeError>;
    /// The checks on the proposal's head commit.
    fn checks(&self, proposal: &Proposal) -> Result<Checks, ForgeError>;
    /// Says something on the proposal's pull request.
    fn comment(&self, proposal: &Proposal, body: &str) -> Result<(), ForgeError>;
    /// Closes the proposal's pull request, with a comment first if given.
    fn close_pull(&self, proposal: &Proposal, comment: Option<&str>) -> Result<(), ForgeError>;
}
