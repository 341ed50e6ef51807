//! Where pull requests live. The cycle pushes proposal branches with git;
//! a forge turns them into pull requests, reads what happened to them,
//! reports their checks, and carries the conversation (comments,
//! reactions, the dashboard). `local` keeps everything in git and runs the
//! checks itself; `github` talks to the GitHub REST API.
//!
//! The trait is synchronous: the bot does one thing at a time, and the
//! GitHub forge drives its own async client on a private runtime.

pub mod github;
pub mod local;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::git::{BranchName, CommitSha, GitError};
use crate::ledger::{CloseKind, Proposal, PullRef, Timestamp};

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

/// The closing reason ticked in a pull request body: a checked box
/// (`- [x]`) on a line marked `<!-- patchwright:why <kind> -->`.
pub fn ticked_reason(body: &str) -> Option<CloseKind> {
    body.lines().find_map(|line| {
        let line = line.trim_start();
        let ticked =
            line.starts_with("- [x]") || line.starts_with("- [X]") || line.starts_with("* [x]");
        if !ticked {
            return None;
        }
        let marker = line.split("<!-- patchwright:why ").nth(1)?;
        match marker.split_whitespace().next()? {
            "wrong" => Some(CloseKind::Wrong),
            "unwanted" => Some(CloseKind::Unwanted),
            "later" => Some(CloseKind::Later),
            _ => None,
        }
    })
}

/// One check (a check run or a commit status) and where to see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
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
        /// The end of the failing output, when the forge has it.
        tail: Option<String>,
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
    /// This many workflow runs were asked to re-run; results come later.
    Requested(usize),
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

/// A person's access to the repository, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    None,
    Read,
    Triage,
    Write,
    Maintain,
    Admin,
}

impl FromStr for Permission {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "none" => Permission::None,
            "read" | "pull" => Permission::Read,
            "triage" => Permission::Triage,
            "write" | "push" => Permission::Write,
            "maintain" => Permission::Maintain,
            "admin" => Permission::Admin,
            other => return Err(format!("`{other}` is not a permission level")),
        })
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Permission::None => "none",
            Permission::Read => "read",
            Permission::Triage => "triage",
            Permission::Write => "write",
            Permission::Maintain => "maintain",
            Permission::Admin => "admin",
        })
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
    /// The checks on any commit (of the default branch, say).
    fn commit_checks(&self, commit: &CommitSha) -> Result<Checks, ForgeError>;
    /// Whether the forge runs checks itself (slowly), so results are worth
    /// keeping by commit.
    fn runs_checks_itself(&self) -> bool {
        false
    }
    /// Re-runs the failing checks of `commit`.
    fn rerun_failed(&self, commit: &CommitSha, failing: &[CheckRun]) -> Result<Rerun, ForgeError>;
    /// A merged pull request's merge commit and title, by number (for
    /// reverting one that is not the bot's).
    fn merged_pull(&self, _number: u64) -> Result<Option<(CommitSha, String)>, ForgeError> {
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
    /// API quota left, for the log at the end of a run.
    fn quota(&self) -> Option<String> {
        None
    }
}

/// The first line of a body when it is a hidden marker (`<!-- … -->`).
pub fn marker_of(body: &str) -> Option<&str> {
    let first = body.lines().next()?.trim();
    (first.starts_with("<!--") && first.ends_with("-->")).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_order_and_parse() {
        assert!(Permission::Admin > Permission::Write && Permission::Write > Permission::Triage);
        assert_eq!("push".parse::<Permission>().unwrap(), Permission::Write);
        assert_eq!(
            "maintain".parse::<Permission>().unwrap(),
            Permission::Maintain
        );
        assert!("owner".parse::<Permission>().is_err());
        assert_eq!(Permission::Triage.to_string(), "triage");
    }

    #[test]
    fn closing_reasons_are_read_from_ticked_boxes() {
        let body = "- [ ] The fix is wrong <!-- patchwright:why wrong -->\n- [x] Not now <!-- patchwright:why later -->\n";
        assert_eq!(ticked_reason(body), Some(CloseKind::Later));
        assert_eq!(ticked_reason(&body.replace("[x]", "[ ]")), None);
        assert_eq!(ticked_reason("- [x] something else\n"), None);
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
