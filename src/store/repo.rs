//! A git repository the bot works in, with git2: opening it, the remote it
//! publishes to, and reading refs and history. Writing commits is in
//! [`super::commits`], moving refs here and on the remote in
//! [`super::publish`]; all three are `impl Repo` blocks, so callers see one
//! type.
//!
//! Nobody's work tree, index or HEAD is ever touched.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use git2::{ErrorCode, ObjectType, Oid, Repository};

use crate::sys::network::NetworkBudget;
use crate::vocab::git_names::{BranchName, CommitSha, InvalidName, TreeSha};
use crate::vocab::rel_path::RelPath;
use crate::vocab::secret::Secret;

/// What went wrong in git.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("{context}: {message}")]
    Git {
        context: String,
        message: String,
        code: ErrorCode,
    },
    /// Someone else updated the ref first (or it already exists).
    #[error("{refname} was not updated: {reason}")]
    Rejected { refname: String, reason: String },
    /// The remote protects the ref (GitHub's branch protection, GH006):
    /// trying again will not help.
    #[error("{refname} is protected on the remote: {reason}")]
    Protected { refname: String, reason: String },
    #[error("the revert of {commit} conflicts in: {}", paths.join(", "))]
    Conflict { commit: String, paths: Vec<String> },
    #[error("{0}")]
    NotFound(String),
    /// A lock file that a stopped git or patchwright left behind.
    #[error(
        "{refname} is locked by {}, left {age_secs} s ago by a git or patchwright that stopped; if none is running, delete that file",
        path.display()
    )]
    StaleLock {
        refname: String,
        path: PathBuf,
        age_secs: u64,
    },
    /// The run's network budget ran out before or during `what`.
    #[error(
        "the network budget of this run ({seconds} s, `network.total_seconds`) is spent, at {what}: stopping here; the next run goes on from where this one stopped"
    )]
    OutOfTime { what: String, seconds: u64 },
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl GitError {
    /// Whether retrying after re-reading could succeed.
    pub fn is_conflict(&self) -> bool {
        match self {
            GitError::Rejected { .. } => true,
            GitError::Git { code, .. } => matches!(
                code,
                ErrorCode::Modified
                    | ErrorCode::Locked
                    | ErrorCode::NotFastForward
                    | ErrorCode::Exists
            ),
            _ => false,
        }
    }
}

/// Adds what was being done to a git2 error.
pub(super) trait Context<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T, GitError>;
}

impl<T> Context<T> for Result<T, git2::Error> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T, GitError> {
        self.map_err(|e| GitError::Git {
            context: what(),
            message: e.message().to_owned(),
            code: e.code(),
        })
    }
}

/// Where proposals and the ledger are published.
#[derive(Debug, Clone)]
pub(super) enum RemoteSpec {
    /// A repository on this machine (tests, mirrors).
    Local {
        name: String,
        path: PathBuf,
    },
    Network {
        name: String,
    },
}

impl RemoteSpec {
    pub(super) fn name(&self) -> &str {
        match self {
            RemoteSpec::Local { name, .. } | RemoteSpec::Network { name } => name,
        }
    }
}

/// A repository the bot works in, and the remote it publishes to (none:
/// the repository itself is where branches and the ledger live).
pub struct Repo {
    pub(super) repo: Repository,
    pub(super) remote: Option<RemoteSpec>,
    pub(super) token: Option<Secret>,
    pub(super) network: NetworkBudget,
}

impl fmt::Debug for Repo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Repo")
            .field("path", &self.repo.path())
            .field("remote", &self.remote)
            .finish_non_exhaustive()
    }
}

/// A file change for [`Repo::write_commit`]: new contents, or `None` to delete.
pub type Changes = BTreeMap<RelPath, Option<Vec<u8>>>;

/// git2's object id of a commit id (every `CommitSha` is one).
pub(super) fn oid(sha: &CommitSha) -> Oid {
    Oid::from_str(sha.as_str()).unwrap_or(Oid::ZERO_SHA1)
}

impl From<Oid> for CommitSha {
    fn from(oid: Oid) -> Self {
        CommitSha::from_raw(oid.as_bytes())
    }
}

impl Repo {
    /// Opens the repository holding `path`. `remote` names the remote to
    /// publish to; if it is not configured the repository works on its own.
    pub fn open(
        path: &Path,
        remote: Option<&str>,
        token: Option<Secret>,
    ) -> Result<Self, GitError> {
        let repo = Repository::discover(path)
            .context(|| format!("{} is not inside a git repository", path.display()))?;
        let remote = match remote {
            Some(name) => match repo.find_remote(name) {
                Ok(r) => {
                    let url = r.url().unwrap_or_default().to_owned();
                    Some(classify_remote(&repo, name, &url))
                }
                Err(e) if e.code() == ErrorCode::NotFound => None,
                Err(e) => return Err(e).context(|| format!("cannot read remote `{name}`")),
            },
            None => None,
        };
        Ok(Self {
            repo,
            remote,
            token,
            network: NetworkBudget::default(),
        })
    }

    /// Fetches and pushes draw on `budget` (shared with the forge's
    /// requests), and libgit2 gives up on a server that stops answering
    /// after its timeouts. Call before any other thread uses git: libgit2
    /// keeps the timeouts in a process-wide setting.
    pub fn with_network(mut self, budget: NetworkBudget) -> Self {
        let millis = |d: std::time::Duration| {
            libc::c_int::try_from(d.as_millis()).unwrap_or(libc::c_int::MAX)
        };
        // SAFETY: libgit2 reads these when it opens a connection; they are
        // set here, on the main thread, before any fetch or push starts.
        unsafe {
            let _ = git2::opts::set_server_connect_timeout_in_milliseconds(millis(
                budget.connect_timeout(),
            ));
            let _ = git2::opts::set_server_timeout_in_milliseconds(millis(budget.read_timeout()));
        }
        self.network = budget;
        self
    }

    /// A shallow checkout (what `actions/checkout` makes unless told
    /// `fetch-depth: 0`) made whole: the watch and reverts walk parents.
    /// libgit2 keeps the shallow boundary it read in memory, so the
    /// repository is opened again afterwards.
    pub fn made_whole(mut self) -> Result<Self, GitError> {
        if !self.repo.is_shallow() || self.remote.is_none() {
            return Ok(self);
        }
        self.fetch()?;
        let path = self.repo.path().to_path_buf();
        self.repo =
            Repository::open(&path).context(|| format!("cannot open {}", path.display()))?;
        Ok(self)
    }

    /// The work tree, or the git directory of a bare repository.
    pub fn root(&self) -> &Path {
        self.repo.workdir().unwrap_or_else(|| self.repo.path())
    }

    /// `user.name` from git's configuration, if set.
    pub fn user_name(&self) -> Option<String> {
        self.repo
            .config()
            .ok()?
            .get_string("user.name")
            .ok()
            .filter(|n| !n.is_empty())
    }

    /// The `.git` directory.
    pub fn git_dir(&self) -> &Path {
        self.repo.path()
    }

    pub fn remote_name(&self) -> Option<&str> {
        self.remote.as_ref().map(RemoteSpec::name)
    }

    /// The branch that proposals target: `configured`, else the remote's
    /// HEAD, else `main` or `master`, else the branch HEAD is on.
    pub fn default_branch(&self, configured: Option<&BranchName>) -> Result<BranchName, GitError> {
        if let Some(branch) = configured {
            return Ok(branch.clone());
        }
        if let Some(spec) = &self.remote {
            let head = format!("refs/remotes/{}/HEAD", spec.name());
            if let Ok(r) = self.repo.find_reference(&head)
                && let Some(target) = r.symbolic_target().ok().flatten()
                && let Some(branch) = target.strip_prefix(&format!("refs/remotes/{}/", spec.name()))
                && let Ok(name) = branch.parse()
            {
                return Ok(name);
            }
            if let RemoteSpec::Local { path, .. } = spec
                && let Ok(remote) = Repository::open_bare(path).or_else(|_| Repository::open(path))
                && let Ok(head) = remote.find_reference("HEAD")
                && let Some(target) = head.symbolic_target().ok().flatten()
                && let Some(branch) = target.strip_prefix("refs/heads/")
                && let Ok(name) = branch.parse()
            {
                return Ok(name);
            }
        }
        for candidate in ["main", "master"] {
            let name: BranchName = candidate
                .parse()
                .map_err(|e: InvalidName| GitError::NotFound(e.0))?;
            if self.branch_tip(&name)?.is_some() {
                return Ok(name);
            }
        }
        if let Ok(head) = self.repo.head()
            && head.is_branch()
            && let Some(short) = head.shorthand().ok()
            && let Ok(name) = short.parse()
        {
            return Ok(name);
        }
        if self.repo.head().is_err() && self.branches_with_prefix("")?.is_empty() {
            return Err(GitError::NotFound(
                "the repository has no commits yet: commit your code first; patchwright proposes changes on top of a branch".into(),
            ));
        }
        Err(GitError::NotFound(
            "cannot tell the default branch: set `git.default_branch` in .github/patchwright.yml"
                .into(),
        ))
    }

    /// Where `branch` points on the remote (as last fetched) or, without a
    /// remote, in this repository.
    pub fn branch_tip(&self, branch: &BranchName) -> Result<Option<CommitSha>, GitError> {
        self.resolve(&self.published_ref(&branch.refname()))
    }

    /// Proposal branches under `prefix` as published (remote or local).
    pub fn branches_with_prefix(
        &self,
        prefix: &str,
    ) -> Result<Vec<(BranchName, CommitSha)>, GitError> {
        let base = match &self.remote {
            Some(spec) => format!("refs/remotes/{}/", spec.name()),
            None => "refs/heads/".to_owned(),
        };
        let glob = format!("{base}{prefix}*");
        let mut out = Vec::new();
        let refs = self
            .repo
            .references_glob(&glob)
            .context(|| format!("cannot list {glob}"))?;
        for r in refs {
            let r = r.context(|| format!("cannot list {glob}"))?;
            let (Some(name), Some(target)) = (r.name().ok(), r.target()) else {
                continue;
            };
            if let Some(branch) = name.strip_prefix(&base).and_then(|b| b.parse().ok()) {
                out.push((branch, target.into()));
            }
        }
        out.sort();
        Ok(out)
    }

    /// A ref of this repository.
    pub fn resolve(&self, refname: &str) -> Result<Option<CommitSha>, GitError> {
        match self.repo.find_reference(refname) {
            Ok(r) => {
                let oid = r
                    .resolve()
                    .context(|| format!("cannot resolve {refname}"))?
                    .target();
                Ok(oid.map(CommitSha::from))
            }
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e).context(|| format!("cannot read {refname}")),
        }
    }

    /// What kind of object `sha` names (`commit`, `tree`, `blob`, `tag`),
    /// or `None` when this repository does not have it.
    pub fn object_kind(&self, sha: &CommitSha) -> Option<&'static str> {
        let object = self.repo.find_object(oid(sha), None).ok()?;
        Some(match object.kind() {
            Some(ObjectType::Commit) => "commit",
            Some(ObjectType::Tree) => "tree",
            Some(ObjectType::Blob) => "blob",
            Some(ObjectType::Tag) => "tag",
            _ => "object of no known kind",
        })
    }

    pub(super) fn find_commit(&self, sha: &CommitSha) -> Result<git2::Commit<'_>, GitError> {
        self.repo
            .find_commit(oid(sha))
            .context(|| format!("cannot find commit {sha}"))
    }

    /// Whether `ancestor` is `commit` or one of its ancestors.
    pub fn is_ancestor(&self, ancestor: &CommitSha, commit: &CommitSha) -> Result<bool, GitError> {
        if ancestor == commit {
            return Ok(true);
        }
        self.repo
            .graph_descendant_of(oid(commit), oid(ancestor))
            .context(|| format!("cannot compare {ancestor} with {commit}"))
    }

    /// `from` and its first parents, newest first, at most `limit`.
    pub fn first_parents(
        &self,
        from: &CommitSha,
        limit: usize,
    ) -> Result<Vec<CommitSha>, GitError> {
        let mut out = Vec::new();
        let mut current = Some(self.find_commit(from)?);
        while let Some(commit) = current {
            if out.len() >= limit {
                break;
            }
            out.push(commit.id().into());
            current = commit.parent(0).ok();
        }
        Ok(out)
    }

    pub fn parents(&self, commit: &CommitSha) -> Result<Vec<CommitSha>, GitError> {
        Ok(self
            .find_commit(commit)?
            .parent_ids()
            .map(CommitSha::from)
            .collect())
    }

    /// The commit message (lossy for non-UTF-8 messages).
    pub fn message(&self, commit: &CommitSha) -> Result<String, GitError> {
        let commit = self.find_commit(commit)?;
        Ok(String::from_utf8_lossy(commit.message_bytes()).into_owned())
    }

    /// Whether `commit` already has every change that `head` made on top of
    /// `base`: merging `head` into it would change nothing. This is how a
    /// squash or rebase merge is recognised.
    pub fn contains_changes(
        &self,
        commit: &CommitSha,
        base: &CommitSha,
        head: &CommitSha,
    ) -> Result<bool, GitError> {
        let tree = |sha: &CommitSha| -> Result<git2::Tree<'_>, GitError> {
            self.find_commit(sha)?
                .tree()
                .context(|| format!("cannot read the tree of {sha}"))
        };
        let ours = tree(commit)?;
        let mut index = self
            .repo
            .merge_trees(&tree(base)?, &ours, &tree(head)?, None)
            .context(|| format!("cannot merge {head} into {commit}"))?;
        if index.has_conflicts() {
            return Ok(false);
        }
        let merged = index
            .write_tree_to(&self.repo)
            .context(|| "cannot write a merged tree".to_owned())?;
        Ok(merged == ours.id())
    }

    /// Whether `head` merges into `base` without conflicts (what GitHub
    /// shows as `mergeable`).
    pub fn merges_cleanly(&self, head: &CommitSha, base: &CommitSha) -> Result<bool, GitError> {
        let (ours, theirs) = (self.find_commit(base)?, self.find_commit(head)?);
        let index = self
            .repo
            .merge_commits(&ours, &theirs, None)
            .context(|| format!("cannot merge {head} into {base}"))?;
        Ok(!index.has_conflicts())
    }

    /// The tree of a commit: its files, whatever its history.
    pub fn tree_of(&self, commit: &CommitSha) -> Result<TreeSha, GitError> {
        Ok(TreeSha::from_raw(
            self.find_commit(commit)?.tree_id().as_bytes(),
        ))
    }

    /// Whether two commits have the same tree (the same files).
    pub fn same_tree(&self, a: &CommitSha, b: &CommitSha) -> Result<bool, GitError> {
        Ok(self.find_commit(a)?.tree_id() == self.find_commit(b)?.tree_id())
    }

    /// Committer time of a commit, in seconds since the epoch.
    pub fn commit_time(&self, commit: &CommitSha) -> Result<i64, GitError> {
        Ok(self.find_commit(commit)?.time().seconds())
    }

    /// Whether the commit is in the repository (an old base may be gone).
    pub fn has_commit(&self, commit: &CommitSha) -> bool {
        self.find_commit(commit).is_ok()
    }

    /// Author email of a commit.
    pub fn author_email(&self, commit: &CommitSha) -> Result<String, GitError> {
        let commit = self.find_commit(commit)?;
        Ok(String::from_utf8_lossy(commit.author().email_bytes()).into_owned())
    }

    /// The bytes of `path` at `commit`, if it is a file there.
    pub fn read_file(
        &self,
        commit: &CommitSha,
        path: &RelPath,
    ) -> Result<Option<Vec<u8>>, GitError> {
        let tree = self
            .find_commit(commit)?
            .tree()
            .context(|| format!("cannot read the tree of {commit}"))?;
        let entry = match tree.get_path(Path::new(path.as_str())) {
            Ok(entry) => entry,
            Err(e) if e.code() == ErrorCode::NotFound => return Ok(None),
            Err(e) => return Err(e).context(|| format!("cannot read {path} at {commit}")),
        };
        if entry.kind() != Some(ObjectType::Blob) {
            return Ok(None);
        }
        let blob = self
            .repo
            .find_blob(entry.id())
            .context(|| format!("cannot read {path} at {commit}"))?;
        Ok(Some(blob.content().to_vec()))
    }

    /// The files directly in `dir` at `commit` (none when it is not a
    /// directory there), with their bytes, by name.
    pub fn files_in(
        &self,
        commit: &CommitSha,
        dir: &str,
    ) -> Result<Vec<(String, Vec<u8>)>, GitError> {
        let tree = self
            .find_commit(commit)?
            .tree()
            .context(|| format!("cannot read the tree of {commit}"))?;
        let entry = match tree.get_path(Path::new(dir)) {
            Ok(entry) => entry,
            Err(e) if e.code() == ErrorCode::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).context(|| format!("cannot read {dir} at {commit}")),
        };
        let Ok(dir_tree) = self.repo.find_tree(entry.id()) else {
            return Ok(Vec::new());
        };
        let mut files = Vec::new();
        for item in dir_tree.iter() {
            if item.kind() != Some(ObjectType::Blob) {
                continue;
            }
            let (Ok(name), Ok(blob)) = (item.name(), self.repo.find_blob(item.id())) else {
                continue;
            };
            files.push((name.to_owned(), blob.content().to_vec()));
        }
        Ok(files)
    }

    /// Files that differ between two commits.
    pub fn changed_paths(
        &self,
        from: &CommitSha,
        to: &CommitSha,
    ) -> Result<Vec<RelPath>, GitError> {
        let a = self
            .find_commit(from)?
            .tree()
            .context(|| format!("cannot read {from}"))?;
        let b = self
            .find_commit(to)?
            .tree()
            .context(|| format!("cannot read {to}"))?;
        let diff = self
            .repo
            .diff_tree_to_tree(Some(&a), Some(&b), None)
            .context(|| format!("cannot diff {from} and {to}"))?;
        let mut paths: Vec<RelPath> = diff
            .deltas()
            .filter_map(|d| {
                d.new_file()
                    .path()
                    .or_else(|| d.old_file().path())
                    .and_then(RelPath::from_relative)
            })
            .collect();
        paths.sort();
        paths.dedup();
        Ok(paths)
    }
}

fn classify_remote(repo: &Repository, name: &str, url: &str) -> RemoteSpec {
    let local_path = if let Some(path) = url.strip_prefix("file://") {
        Some(PathBuf::from(path))
    } else if url.contains("://")
        || (url.contains(':') && !url.starts_with('/') && !url.starts_with('.'))
    {
        None
    } else {
        let path = PathBuf::from(url);
        Some(if path.is_absolute() {
            path
        } else {
            repo.workdir().unwrap_or(repo.path()).join(path)
        })
    };
    match local_path {
        Some(path) => RemoteSpec::Local {
            name: name.to_owned(),
            path,
        },
        None => RemoteSpec::Network {
            name: name.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use crate::vocab::git_names::is_valid_refname;
    use proptest::prelude::*;

    proptest! {
        /// The vocabulary checks ref names without git2; git decides.
        #[test]
        fn ref_name_rules_agree_with_git(name in "refs/[a-z./@{~^: *?\\\\\\[-]{0,12}") {
            prop_assert_eq!(
                is_valid_refname(&name),
                git2::Reference::is_valid_name(&name),
                "{:?}", name
            );
        }
    }
}
