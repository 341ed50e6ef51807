//! What the bot's acting parts share: the [`Bot`] they act through (the
//! repository, configuration, skills and forge of one run) and the
//! [`CycleError`] anything that acts can fail with.

use crate::config::Config;
use crate::engine::scan::ScanProgress;
use crate::engine::skills::{Registry, UnknownSkill};
use crate::engine::validate::ValidateError;
use crate::engine::workspace::WorkspaceError;
use crate::forge::{Forge, ForgeError};
use crate::scaffold::ScaffoldError;
use crate::store::ledger_store::{Batch, LedgerError, LedgerStore};
use crate::store::repo::{GitError, Repo};
use crate::vocab::git_names::{BranchName, CommitSha};

/// Who the ledger says decided, when the bot did.
pub const BOT_ACTOR: &str = "patchwright";

/// Everything a cycle works with.
pub struct Bot<'a> {
    pub repo: &'a Repo,
    pub config: &'a Config,
    pub registry: &'a Registry,
    pub forge: &'a dyn Forge,
    pub default_branch: BranchName,
    /// Open while a comment's commands run: their ledger changes are one commit.
    pub batch: Batch,
    /// Told how far the main scan has come.
    pub progress: Option<&'a dyn ScanProgress>,
}

impl std::fmt::Debug for Bot<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bot")
            .field("repo", self.repo)
            .field("forge", &self.forge.kind())
            .field("default_branch", &self.default_branch)
            .finish_non_exhaustive()
    }
}

impl Bot<'_> {
    pub fn store(&self) -> LedgerStore<'_> {
        LedgerStore::new(
            self.repo,
            &self.config.git.ledger_ref,
            self.config.git.identity.clone(),
        )
        .with_batch(&self.batch)
    }

    /// The default branch's tip, as last fetched.
    pub fn default_tip(&self) -> Result<CommitSha, CycleError> {
        self.repo.branch_tip(&self.default_branch)?.ok_or_else(|| {
            let key = self.config.key_in("git.default_branch");
            let set = match &self.config.git.default_branch {
                Some(_) => format!("it is what {key} says; fix that"),
                None => format!("set {key} to the branch proposals should target"),
            };
            CycleError::Other(format!(
                "the default branch `{}` does not exist{}: {set}",
                self.default_branch,
                self.repo
                    .remote_name()
                    .map(|r| format!(" on `{r}`"))
                    .unwrap_or_default()
            ))
        })
    }
}

/// What can stop a cycle.
#[derive(Debug, thiserror::Error)]
pub enum CycleError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Forge(#[from] ForgeError),
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error(transparent)]
    Skill(#[from] UnknownSkill),
    #[error(transparent)]
    Scaffold(#[from] ScaffoldError),
    #[error(transparent)]
    Validate(#[from] ValidateError),
    #[error("{0}")]
    Other(String),
}
