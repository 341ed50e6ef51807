//! The local forge: a pull request is a proposal branch plus its ledger
//! record. It is merged once its commit is in the default branch (or, for a
//! squash merge, once its changes are), closed when its branch is deleted
//! without that. Checks run a configured command in a temporary copy of the
//! proposal: the local sandbox.

use super::{Forge, ForgeError, PullDraft, PullState, Reaction, Rerun};
use crate::store::checks::{CheckRun, Checks};
use crate::store::ledger::{Proposal, PullRef};
use crate::store::repo::Repo;
use crate::sys::command::CommandLine;
use crate::sys::files;
use crate::vocab::access::Permission;
use crate::vocab::git_names::{BranchName, CommitSha};
use crate::vocab::time::Timestamp;

/// How far back the default branch is searched for a merge.
const SQUASH_SEARCH: usize = 500;

#[derive(Debug)]
pub struct LocalForge<'r> {
    repo: &'r Repo,
    default_branch: BranchName,
    check: CommandLine,
}

impl<'r> LocalForge<'r> {
    pub fn new(repo: &'r Repo, default_branch: BranchName, check: CommandLine) -> Self {
        Self {
            repo,
            default_branch,
            check,
        }
    }

    /// The first commit on the default branch's first-parent line that has
    /// the proposal's changes: the merge commit (or the commit itself for a
    /// fast-forward), or a squash/rebase commit whose files match.
    fn merged_at(&self, proposal: &Proposal) -> Result<Option<CommitSha>, ForgeError> {
        let Some(tip) = self.repo.branch_tip(&self.default_branch)? else {
            return Ok(None);
        };
        let chain = self.repo.first_parents(&tip, SQUASH_SEARCH)?;
        if self.repo.is_ancestor(&proposal.head, &tip)? {
            // Newest first: the last commit that still contains the head.
            let mut merge = tip.clone();
            for commit in &chain {
                if self.repo.is_ancestor(&proposal.head, commit)? {
                    merge = commit.clone();
                } else {
                    break;
                }
            }
            return Ok(Some(merge));
        }
        // A squash or rebase merge: the oldest commit after the base, on the
        // first-parent line, that already has all of the proposal's changes.
        let mut found = None;
        for commit in &chain {
            if *commit == proposal.base || !self.repo.is_ancestor(&proposal.base, commit)? {
                break;
            }
            if self
                .repo
                .contains_changes(commit, &proposal.base, &proposal.head)?
            {
                found = Some(commit.clone());
            } else if found.is_some() {
                break;
            }
        }
        Ok(found)
    }
}

impl LocalForge<'_> {
    /// Runs the check command in a temporary copy of `commit`.
    fn run_checks(&self, commit: &CommitSha) -> Result<Checks, ForgeError> {
        let dir = tempfile::Builder::new()
            .prefix("patchwright-check-")
            .tempdir()
            .map_err(|e| {
                ForgeError::Other(format!("cannot make a directory for the check: {e}"))
            })?;
        self.repo.export(commit, dir.path())?;
        tracing::info!(
            target: crate::PROGRESS,
            "checking {} with `{}`",
            commit.short(),
            self.check.display()
        );
        // The name stays the command's, so a run on the base and one on a
        // proposal compare; a timeout is said in the output.
        let check = CheckRun {
            name: self.check.display(),
            id: None,
            url: None,
            run_id: None,
            completed_at: Some(Timestamp::now()),
        };
        // A command that cannot start fails on every tree alike: judged
        // against the base, that is the base's problem, said, not the fix's.
        let run = match self.check.run(dir.path()) {
            Ok(run) => run,
            Err(e) => {
                return Ok(Checks::Failed {
                    failing: vec![check],
                    passing: Vec::new(),
                    tail: Some(format!(
                        "error: cannot run `{}`: {e}\n",
                        self.check.display()
                    )),
                });
            }
        };
        Ok(if run.passed {
            Checks::Passed {
                passing: vec![check],
            }
        } else {
            let tail = if run.timed_out {
                format!(
                    "{}error: timed out after {} s and was stopped\n",
                    run.tail,
                    self.check.timeout.as_secs()
                )
            } else {
                run.tail
            };
            Checks::Failed {
                failing: vec![check],
                passing: Vec::new(),
                tail: Some(tail),
            }
        })
    }
}

impl Forge for LocalForge<'_> {
    fn kind(&self) -> &'static str {
        "local"
    }

    fn open_pull(&self, _draft: &PullDraft<'_>) -> Result<PullRef, ForgeError> {
        // The pushed branch is the pull request.
        Ok(PullRef {
            forge: self.kind().into(),
            number: None,
            url: None,
        })
    }

    fn pull_state(&self, proposal: &Proposal) -> Result<PullState, ForgeError> {
        if let Some(commit) = self.merged_at(proposal)? {
            return Ok(PullState::Merged { commit });
        }
        match self.repo.branch_tip(&proposal.branch)? {
            Some(_) => Ok(PullState::Open),
            None => Ok(PullState::Closed { why: None }),
        }
    }

    fn checks(&self, proposal: &Proposal) -> Result<Checks, ForgeError> {
        self.run_checks(&proposal.head)
    }

    fn commit_checks(&self, commit: &CommitSha, _only: &[String]) -> Result<Checks, ForgeError> {
        self.run_checks(commit)
    }

    fn own_check(&self) -> Option<String> {
        Some(self.check.display())
    }

    fn rerun_failed(&self, commit: &CommitSha, _failing: &[CheckRun]) -> Result<Rerun, ForgeError> {
        Ok(Rerun::Done(self.run_checks(commit)?))
    }

    fn comment_on(&self, number: u64, body: &str) -> Result<(), ForgeError> {
        // Branches have nowhere to hold comments: they go to the log.
        tracing::info!("#{number}: {body}");
        Ok(())
    }

    fn react(&self, _comment_id: u64, _reaction: Reaction) -> Result<(), ForgeError> {
        Ok(())
    }

    fn permission(&self, _user: &str) -> Result<Permission, ForgeError> {
        // Whoever runs the command line has the repository in hand.
        Ok(Permission::Admin)
    }

    fn upsert_dashboard(&self, _title: &str, body: &str) -> Result<Option<u64>, ForgeError> {
        // Kept next to the repository's data, not in the work tree.
        let dir = self.repo.git_dir().join("patchwright");
        let path = dir.join("dashboard.md");
        std::fs::create_dir_all(&dir)
            .and_then(|()| files::write_atomically(&path, body))
            .map_err(|e| ForgeError::Other(format!("cannot write {}: {e}", path.display())))?;
        Ok(None)
    }

    fn close_pull(&self, proposal: &Proposal, comment: Option<&str>) -> Result<(), ForgeError> {
        if let Some(body) = comment {
            self.comment(proposal, body)?;
        }
        if let Some(tip) = self.repo.branch_tip(&proposal.branch)? {
            self.repo.delete_ref(&proposal.branch.refname(), &tip)?;
        }
        Ok(())
    }
}
