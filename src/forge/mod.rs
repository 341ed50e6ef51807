//! Where pull requests live. The cycle pushes proposal branches with git;
//! a forge turns them into pull requests, reads what happened to them,
//! reports their checks, and carries the conversation (comments,
//! reactions, the dashboard). `local` keeps everything in git and runs the
//! checks itself; `github` talks to the GitHub REST API.
//!
//! The trait is synchronous: the bot does one thing at a time, and the
//! GitHub forge drives its own async client on a private runtime.
//!
//! A forge imports the store (the ledger's types, check results, and for
//! the local forge the repository), config and vocab; never the engine,
//! policy or the bot. It is the only layer that talks HTTP.

pub mod github;
pub mod local;

use serde::Serialize;

use crate::store::checks::{CheckRun, Checks};
use crate::store::ledger::{CloseKind, Proposal, PullRef};
use crate::store::repo::GitError;
use crate::vocab::access::Permission;
use crate::vocab::git_names::{BranchName, CommitSha};

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
    Merged {
        commit: CommitSha,
    },
    /// Closed without merging, with the reason ticked in its body, if any.
    Closed {
        why: Option<CloseKind>,
    },
}

/// A submitted review of a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    pub user: String,
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED` or `DISMISSED`.
    pub state: String,
}

/// What asking for a re-run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rerun {
    /// `runs` workflow runs and check runs were asked to re-run; results
    /// come later. The failing checks named in `cannot` could not be re-run
    /// (a commit status, another app's check run).
    Requested { runs: usize, cannot: Vec<String> },
    /// Re-run on the spot, with this result.
    Done(Checks),
}

/// A reaction on a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reaction {
    /// Seen, working on it.
    Eyes,
    /// Done.
    Rocket,
    /// Failed or refused.
    Confused,
}

impl Reaction {
    pub fn api_name(self) -> &'static str {
        match self {
            Reaction::Eyes => "eyes",
            Reaction::Rocket => "rocket",
            Reaction::Confused => "confused",
        }
    }
}

/// What a forge can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ForgeError {
    #[error(transparent)]
    Git(#[from] GitError),
    /// The API said no; `what` names the request.
    #[error("GitHub refused {what}: {status} {message}")]
    Api {
        what: String,
        status: u16,
        message: String,
    },
    #[error("GitHub's rate limit is used up until {until}; try again after that")]
    RateLimited { until: String },
    #[error("GitHub did not answer {what} after {attempts} attempts: {message}")]
    Unavailable {
        what: String,
        attempts: u32,
        message: String,
    },
    /// A POST got no answer (a transport error or a 5xx): it may or may
    /// not have been carried out, so it is not blindly sent again.
    #[error("GitHub did not answer {what} ({message}); it may have been carried out")]
    Unanswered { what: String, message: String },
    /// The run's network budget ran out before or during `what`.
    #[error(
        "the network budget of this run ({seconds} s, `network.total_seconds`) is spent, at {what}: stopping here; the next run goes on from where this one stopped"
    )]
    OutOfTime { what: String, seconds: u64 },
    #[error("{0}")]
    Other(String),
}

/// The seam between the cycle and a forge.
pub trait Forge {
    /// `local` or `github`: recorded with each pull request.
    fn kind(&self) -> &'static str;
    /// Opens the pull request for a pushed branch, or finds the open one and
    /// brings its title and body up to date.
    fn open_pull(&self, draft: &PullDraft<'_>) -> Result<PullRef, ForgeError>;
    /// What happened to a proposal's pull request.
    fn pull_state(&self, proposal: &Proposal) -> Result<PullState, ForgeError>;
    /// The checks on the proposal's head commit.
    fn checks(&self, proposal: &Proposal) -> Result<Checks, ForgeError>;
    /// Comments on an issue or pull request, unless the same comment (or one
    /// with the same first-line marker) is already there.
    fn comment_on(&self, number: u64, body: &str) -> Result<(), ForgeError>;
    /// Says something on the proposal's pull request.
    fn comment(&self, proposal: &Proposal, body: &str) -> Result<(), ForgeError> {
        match proposal.pull.as_ref().and_then(|p| p.number) {
            Some(number) => self.comment_on(number, body),
            None => {
                tracing::info!("{}: {body}", proposal.branch);
                Ok(())
            }
        }
    }
    /// The reviews of a proposal's pull request (none where the forge has no reviews).
    fn reviews(&self, _proposal: &Proposal) -> Result<Vec<Review>, ForgeError> {
        Ok(Vec::new())
    }
    /// The checks on any commit (of the default branch, say). `only` names
    /// the checks that decide; empty: the forge's own choice (the default
    /// branch's required checks where it has any, else all).
    fn commit_checks(&self, commit: &CommitSha, only: &[String]) -> Result<Checks, ForgeError>;
    /// The command a forge runs itself (slowly) to check a commit, where it
    /// does: its results are worth keeping by tree and command. `None` where
    /// checks run elsewhere (CI) and the forge only reads them.
    fn own_check(&self) -> Option<String> {
        None
    }
    /// Re-runs the failing checks of `commit`.
    fn rerun_failed(&self, commit: &CommitSha, failing: &[CheckRun]) -> Result<Rerun, ForgeError>;
    /// A merged pull request's merge commit and title, by number (for
    /// reverting one that is not the bot's).
    fn merged_pull(&self, _number: u64) -> Result<Option<(CommitSha, String)>, ForgeError> {
        Ok(None)
    }
    /// The merged pull request a commit of the default branch came from,
    /// where the forge knows (a squash or rebase merge has one parent).
    fn pull_of_commit(&self, _commit: &CommitSha) -> Result<Option<u64>, ForgeError> {
        Ok(None)
    }
    /// The labels on a pull request (none where the forge has no labels).
    fn pull_labels(&self, _number: u64) -> Result<Vec<String>, ForgeError> {
        Ok(Vec::new())
    }
    /// Reacts to a comment.
    fn react(&self, comment_id: u64, reaction: Reaction) -> Result<(), ForgeError>;
    /// A user's access to the repository.
    fn permission(&self, user: &str) -> Result<Permission, ForgeError>;
    /// Closes the proposal's pull request, with a comment first if given.
    fn close_pull(&self, proposal: &Proposal, comment: Option<&str>) -> Result<(), ForgeError>;
    /// Creates the dashboard issue or rewrites its body; its number, if the
    /// forge has issues.
    fn upsert_dashboard(&self, title: &str, body: &str) -> Result<Option<u64>, ForgeError>;
    /// Why no CI will judge this forge's pull requests, when that is known
    /// from the start (a token whose pull requests start no workflows).
    fn no_ci(&self) -> Option<&'static str> {
        None
    }
    /// API quota left, for the log at the end of a run.
    fn quota(&self) -> Option<String> {
        None
    }
}

/// The first line of a body when it is a hidden marker (`<!-- … -->`).
/// The dashboard's first line: with its label, what marks an issue as the
/// dashboard (a labelled issue without it is left alone).
pub const DASHBOARD_MARKER: &str = "<!-- patchwright:dashboard -->";

/// How the dashboard's time stamp line starts: a body that differs only
/// there is not written again.
pub const DASHBOARD_STAMP: &str = "Updated ";

/// The dashboard without its time stamp: what decides whether it changed.
pub fn dashboard_content(body: &str) -> String {
    body.lines()
        .filter(|l| !l.starts_with(DASHBOARD_STAMP))
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn marker_of(body: &str) -> Option<&str> {
    let first = body.lines().next()?.trim();
    (first.starts_with("<!--") && first.ends_with("-->")).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dashboard_that_differs_only_in_its_stamp_has_not_changed() {
        // The template writes the stamp as `Updated <time>.` on its own line.
        let a = format!(
            "{DASHBOARD_MARKER}\n**Running.**\n{DASHBOARD_STAMP}2026-12-01T10:00:00Z.\n- one\n"
        );
        let b = a.replace("2026-12-01T10:00:00Z", "2026-12-03T10:00:00Z");
        assert_eq!(dashboard_content(&a), dashboard_content(&b));
        assert_ne!(
            dashboard_content(&a),
            dashboard_content(&b.replace("one", "two"))
        );
    }

    #[test]
    fn markers_are_first_line_html_comments() {
        assert_eq!(
            marker_of("<!-- patchwright:reply 7 -->\nhello"),
            Some("<!-- patchwright:reply 7 -->")
        );
        assert_eq!(marker_of("hello\n<!-- x -->"), None);
    }
}
