//! Git plumbing with git2: commits built from trees in the object database
//! (nobody's work tree, index or HEAD is touched), compare-and-swap ref
//! updates locally and on the remote, fetch, export of a commit's tree,
//! and reverts without a work tree.
//!
//! A remote that is a local path gets its compare-and-swap done directly on
//! the remote repository under a ref lock: libgit2's local transport updates
//! refs without checking their old value, so a plain push there could lose a
//! concurrent update. Network remotes get a normal push, where the server
//! checks the old value, with a lease check for non-fast-forward updates.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use git2::{ErrorCode, ObjectType, Oid, Repository};
use serde::{Deserialize, Serialize};

use crate::finding::RelPath;

/// The string conversions serde and display need, for a newtype over a
/// `String` that is checked by its `FromStr`.
macro_rules! string_newtype {
    ($t:ident) => {
        impl TryFrom<String> for $t {
            type Error = InvalidName;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl From<$t> for String {
            fn from(value: $t) -> Self {
                value.0
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// A full commit id (40 hex digits).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CommitSha(String);

impl CommitSha {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first eight digits, for branch names and messages.
    pub fn short(&self) -> &str {
        &self.0[..8]
    }

    fn oid(&self) -> Oid {
        Oid::from_str(&self.0).unwrap_or(Oid::ZERO_SHA1)
    }
}

impl From<Oid> for CommitSha {
    fn from(oid: Oid) -> Self {
        Self(oid.to_string())
    }
}

impl FromStr for CommitSha {
    type Err = InvalidName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() == 40
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidName(format!("`{s}` is not a full commit id")))
        }
    }
}

string_newtype!(CommitSha);

/// A branch name (without `refs/heads/`) that git accepts.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BranchName(String);

impl BranchName {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn refname(&self) -> String {
        format!("refs/heads/{}", self.0)
    }
}

impl FromStr for BranchName {
    type Err = InvalidName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if !s.is_empty() && git2::Reference::is_valid_name(&format!("refs/heads/{s}")) {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidName(format!("`{s}` is not a valid branch name")))
        }
    }
}

string_newtype!(BranchName);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidName(pub String);

/// Who the bot's commits are by.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    pub name: String,
    pub email: String,
}

impl Default for Identity {
    fn default() -> Self {
        Self {
            name: "patchwright[bot]".into(),
            email: "patchwright[bot]@users.noreply.github.com".into(),
        }
    }
}

/// A token for HTTPS remotes. Its `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// The token itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

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
    #[error("the revert of {commit} conflicts in: {}", paths.join(", "))]
    Conflict { commit: String, paths: Vec<String> },
    #[error("{0}")]
    NotFound(String),
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
trait Context<T> {
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
enum RemoteSpec {
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
    fn name(&self) -> &str {
        match self {
            RemoteSpec::Local { name, .. } | RemoteSpec::Network { name } => name,
        }
    }
}

/// A repository the bot works in, and the remote it publishes to (none:
/// the repository itself is where branches and the ledger live).
pub struct Repo {
    repo: Repository,
    remote: Option<RemoteSpec>,
    token: Option<Secret>,
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
        })
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

    /// Brings branches and `refs/patchwright/*` from the remote (pruning
    /// what it deleted). Without a remote there is nothing to do.
    pub fn fetch(&self) -> Result<(), GitError> {
        let Some(spec) = &self.remote else {
            return Ok(());
        };
        let name = spec.name();
        let tried = std::cell::Cell::new(false);
        let mut remote = self
            .repo
            .find_remote(name)
            .context(|| format!("cannot find remote `{name}`"))?;
        let refspecs = [
            format!("+refs/heads/*:refs/remotes/{name}/*"),
            "+refs/patchwright/*:refs/patchwright/*".to_owned(),
        ];
        let mut options = git2::FetchOptions::new();
        options.prune(git2::FetchPrune::On);
        options.download_tags(git2::AutotagOption::None);
        options.remote_callbacks(self.callbacks(&tried));
        // Listing a local remote's refs can race with another process
        // deleting one ("not found"); the next attempt sees a stable list.
        let mut attempt = 0;
        loop {
            match remote.fetch(&refspecs, Some(&mut options), Some("patchwright: fetch")) {
                Ok(()) => return Ok(()),
                Err(e) if e.code() == ErrorCode::NotFound && attempt < 3 => attempt += 1,
                Err(e) => return Err(e).context(|| format!("cannot fetch from `{name}`")),
            }
        }
    }

    /// Fetches one ref from the remote (the ledger, after losing a race).
    pub fn fetch_ref(&self, refname: &str) -> Result<(), GitError> {
        let Some(spec) = &self.remote else {
            return Ok(());
        };
        let name = spec.name();
        let tried = std::cell::Cell::new(false);
        let mut remote = self
            .repo
            .find_remote(name)
            .context(|| format!("cannot find remote `{name}`"))?;
        let mut options = git2::FetchOptions::new();
        options.download_tags(git2::AutotagOption::None);
        options.remote_callbacks(self.callbacks(&tried));
        let refspec = format!("+{refname}:{}", self.published_ref(refname));
        match remote.fetch(&[refspec], Some(&mut options), Some("patchwright: fetch")) {
            Ok(()) => Ok(()),
            // The ref does not exist on the remote (yet).
            Err(e) if e.code() == ErrorCode::NotFound => Ok(()),
            Err(e) => Err(e).context(|| format!("cannot fetch {refname} from `{name}`")),
        }
    }

    /// The local ref that shows `refname` as published: a branch's
    /// remote-tracking ref when there is a remote, else the ref itself.
    pub fn published_ref(&self, refname: &str) -> String {
        match (&self.remote, refname.strip_prefix("refs/heads/")) {
            (Some(spec), Some(branch)) => format!("refs/remotes/{}/{branch}", spec.name()),
            _ => refname.to_owned(),
        }
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
        Err(GitError::NotFound(
            "cannot tell the default branch: set `git.default_branch` in the configuration".into(),
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

    /// A commit whose tree is `base`'s with `changes` applied, by `identity`,
    /// with no ref pointing at it yet.
    pub fn write_commit(
        &self,
        base: &CommitSha,
        parents: &[&CommitSha],
        changes: &Changes,
        message: &str,
        identity: &Identity,
    ) -> Result<CommitSha, GitError> {
        let base_commit = self.find_commit(base)?;
        let base_tree = base_commit
            .tree()
            .context(|| format!("cannot read the tree of {base}"))?;
        let tree = self.write_tree(Some(&base_tree), changes)?;
        self.commit_tree(tree, parents, message, identity)
    }

    /// A commit of exactly `files` (no base), for the ledger.
    pub fn write_root_or_child(
        &self,
        parent: Option<&CommitSha>,
        files: &Changes,
        message: &str,
        identity: &Identity,
    ) -> Result<CommitSha, GitError> {
        let tree = self.write_tree(None, files)?;
        let parents: Vec<&CommitSha> = parent.into_iter().collect();
        self.commit_tree(tree, &parents, message, identity)
    }

    fn commit_tree(
        &self,
        tree: Oid,
        parents: &[&CommitSha],
        message: &str,
        identity: &Identity,
    ) -> Result<CommitSha, GitError> {
        let tree = self
            .repo
            .find_tree(tree)
            .context(|| "cannot read the new tree".to_owned())?;
        let signature = git2::Signature::now(&identity.name, &identity.email).context(|| {
            format!(
                "`{} <{}>` is not a valid commit identity",
                identity.name, identity.email
            )
        })?;
        let parent_commits = parents
            .iter()
            .map(|p| self.find_commit(p))
            .collect::<Result<Vec<_>, _>>()?;
        let parent_refs: Vec<&git2::Commit<'_>> = parent_commits.iter().collect();
        let oid = self
            .repo
            .commit(None, &signature, &signature, message, &tree, &parent_refs)
            .context(|| "cannot write a commit".to_owned())?;
        Ok(oid.into())
    }

    /// Writes blobs and the trees above them; `base` is the tree to start from.
    fn write_tree(
        &self,
        base: Option<&git2::Tree<'_>>,
        changes: &Changes,
    ) -> Result<Oid, GitError> {
        // Group changes by their first path component; recurse per directory.
        let mut here: BTreeMap<&str, Option<&Vec<u8>>> = BTreeMap::new();
        let mut below: BTreeMap<&str, Changes> = BTreeMap::new();
        for (path, content) in changes {
            match path.as_str().split_once('/') {
                Some((dir, rest)) => {
                    let rest: RelPath = rest
                        .parse()
                        .map_err(|_| GitError::NotFound(format!("bad path {path}")))?;
                    below.entry(dir).or_default().insert(rest, content.clone());
                }
                None => {
                    here.insert(path.as_str(), content.as_ref());
                }
            }
        }
        let mut builder = self
            .repo
            .treebuilder(base)
            .context(|| "cannot build a tree".to_owned())?;
        for (name, content) in here {
            match content {
                Some(bytes) => {
                    let blob = self
                        .repo
                        .blob(bytes)
                        .context(|| format!("cannot write {name}"))?;
                    let mode = base
                        .and_then(|t| t.get_name(name))
                        .map(|e| e.filemode())
                        .filter(|m| *m == 0o100755)
                        .unwrap_or(0o100644);
                    builder
                        .insert(name, blob, mode)
                        .context(|| format!("cannot add {name}"))?;
                }
                None => {
                    if builder.get(name).ok().flatten().is_some() {
                        builder
                            .remove(name)
                            .context(|| format!("cannot remove {name}"))?;
                    }
                }
            }
        }
        for (dir, sub) in below {
            let existing = base
                .and_then(|t| t.get_name(dir))
                .filter(|e| e.kind() == Some(ObjectType::Tree))
                .map(|e| self.repo.find_tree(e.id()))
                .transpose()
                .context(|| format!("cannot read {dir}"))?;
            let tree = self.write_tree(existing.as_ref(), &sub)?;
            let empty = self
                .repo
                .find_tree(tree)
                .map(|t| t.is_empty())
                .unwrap_or(false);
            if empty {
                if builder.get(dir).ok().flatten().is_some() {
                    builder
                        .remove(dir)
                        .context(|| format!("cannot remove {dir}"))?;
                }
            } else {
                builder
                    .insert(dir, tree, 0o040000)
                    .context(|| format!("cannot add {dir}"))?;
            }
        }
        builder.write().context(|| "cannot write a tree".to_owned())
    }

    /// Points `refname` at `new` if it still points at `expected` (`None`:
    /// it must not exist), here and on the remote.
    pub fn update_ref(
        &self,
        refname: &str,
        new: &CommitSha,
        expected: Option<&CommitSha>,
    ) -> Result<(), GitError> {
        match &self.remote {
            None => cas_ref(
                &self.repo,
                refname,
                Some(new.oid()),
                expected.map(CommitSha::oid),
            ),
            Some(RemoteSpec::Local { path, .. }) => {
                let remote =
                    Repository::open(path).context(|| format!("cannot open {}", path.display()))?;
                refuse_checked_out(&remote, refname, path)?;
                self.send_objects(&remote, new)?;
                cas_ref(
                    &remote,
                    refname,
                    Some(new.oid()),
                    expected.map(CommitSha::oid),
                )
            }
            Some(RemoteSpec::Network { .. }) => self.push_with_lease(refname, Some(new), expected),
        }?;
        self.mirror(refname, Some(new))
    }

    /// Deletes `refname` if it still points at `expected`.
    pub fn delete_ref(&self, refname: &str, expected: &CommitSha) -> Result<(), GitError> {
        match &self.remote {
            None => cas_ref(&self.repo, refname, None, Some(expected.oid())),
            Some(RemoteSpec::Local { path, .. }) => {
                let remote =
                    Repository::open(path).context(|| format!("cannot open {}", path.display()))?;
                cas_ref(&remote, refname, None, Some(expected.oid()))
            }
            Some(RemoteSpec::Network { .. }) => self.push_with_lease(refname, None, Some(expected)),
        }?;
        self.mirror(refname, None)
    }

    /// After a remote update, the local view says the same.
    fn mirror(&self, refname: &str, value: Option<&CommitSha>) -> Result<(), GitError> {
        if self.remote.is_none() {
            return Ok(());
        }
        let local = self.published_ref(refname);
        match value {
            Some(sha) => {
                self.repo
                    .reference(&local, sha.oid(), true, "patchwright: mirror the remote")
                    .context(|| format!("cannot update {local}"))?;
            }
            None => {
                if let Ok(mut r) = self.repo.find_reference(&local) {
                    r.delete().context(|| format!("cannot delete {local}"))?;
                }
            }
        }
        Ok(())
    }

    /// Copies `commit` and what it needs (trees, blobs, parents the remote
    /// lacks) into a local remote's object database. Going through the ODB
    /// instead of a push keeps temporary refs off the remote, whose listing
    /// other processes may be reading at the same time.
    fn send_objects(&self, remote: &Repository, commit: &CommitSha) -> Result<(), GitError> {
        let src = self
            .repo
            .odb()
            .context(|| "cannot open the object database".to_owned())?;
        let dst = remote
            .odb()
            .context(|| "cannot open the remote's object database".to_owned())?;
        let mut stack = vec![commit.oid()];
        let mut seen = std::collections::HashSet::new();
        while let Some(oid) = stack.pop() {
            if !seen.insert(oid) || dst.exists(oid) {
                continue;
            }
            let object = src
                .read(oid)
                .context(|| format!("cannot read object {oid}"))?;
            match object.kind() {
                ObjectType::Commit => {
                    let c = self
                        .repo
                        .find_commit(oid)
                        .context(|| format!("cannot read commit {oid}"))?;
                    stack.push(c.tree_id());
                    stack.extend(c.parent_ids());
                }
                ObjectType::Tree => {
                    let t = self
                        .repo
                        .find_tree(oid)
                        .context(|| format!("cannot read tree {oid}"))?;
                    // Submodule entries name commits of other repositories.
                    stack.extend(
                        t.iter()
                            .filter(|e| e.kind() != Some(ObjectType::Commit))
                            .map(|e| e.id()),
                    );
                }
                _ => {}
            }
            dst.write(object.kind(), object.data())
                .context(|| format!("cannot copy object {oid} to the remote"))?;
        }
        Ok(())
    }

    fn push_with_lease(
        &self,
        refname: &str,
        new: Option<&CommitSha>,
        expected: Option<&CommitSha>,
    ) -> Result<(), GitError> {
        let src = new.map_or(String::new(), |n| n.to_string());
        let fast_forward = match (new, expected) {
            (Some(n), Some(e)) => self.is_ancestor(e, n)?,
            (Some(_), None) => true,
            (None, _) => false,
        };
        let spec = if fast_forward {
            format!("{src}:{refname}")
        } else {
            format!("+{src}:{refname}")
        };
        let lease = (
            refname.to_owned(),
            expected.map_or(Oid::ZERO_SHA1, CommitSha::oid),
        );
        self.push_refspecs(&[spec], Some(lease))
    }

    /// Pushes, reporting both ways a push fails: an error from the call, and
    /// a rejection the server reports per ref.
    fn push_refspecs(
        &self,
        refspecs: &[String],
        lease: Option<(String, Oid)>,
    ) -> Result<(), GitError> {
        let Some(spec) = &self.remote else {
            return Ok(());
        };
        let name = spec.name();
        let rejected: RefCell<Option<(String, String)>> = RefCell::new(None);
        let stale: RefCell<Option<String>> = RefCell::new(None);
        let tried = std::cell::Cell::new(false);
        let mut remote = self
            .repo
            .find_remote(name)
            .context(|| format!("cannot find remote `{name}`"))?;
        let mut callbacks = self.callbacks(&tried);
        callbacks.push_update_reference(|refname, status| {
            if let Some(status) = status {
                *rejected.borrow_mut() = Some((refname.to_owned(), status.to_owned()));
            }
            Ok(())
        });
        if let Some((refname, expected)) = &lease {
            callbacks.push_negotiation(|updates| {
                for update in updates {
                    if update.dst_refname().ok() == Some(refname.as_str())
                        && update.src() != *expected
                    {
                        *stale.borrow_mut() = Some(refname.clone());
                        return Err(git2::Error::from_str("the remote ref moved"));
                    }
                }
                Ok(())
            });
        }
        let mut options = git2::PushOptions::new();
        options.remote_callbacks(callbacks);
        let result = remote.push(refspecs, Some(&mut options));
        if let Some(refname) = stale.borrow_mut().take() {
            return Err(GitError::Rejected {
                refname,
                reason: "someone else updated it first".into(),
            });
        }
        if let Err(e) = result {
            if matches!(e.code(), ErrorCode::NotFastForward) {
                return Err(GitError::Rejected {
                    refname: refspecs.join(" "),
                    reason: "not a fast-forward: someone else updated it first".into(),
                });
            }
            return Err(e).context(|| format!("cannot push to `{name}`"));
        }
        if let Some((refname, reason)) = rejected.borrow_mut().take() {
            return Err(GitError::Rejected { refname, reason });
        }
        Ok(())
    }

    /// Callbacks with credentials for HTTPS remotes: the token, tried once
    /// (a bad token otherwise makes libgit2 ask forever).
    fn callbacks<'a>(&'a self, tried: &'a std::cell::Cell<bool>) -> git2::RemoteCallbacks<'a> {
        let mut callbacks = git2::RemoteCallbacks::new();
        callbacks.credentials(move |_url, _user, allowed| {
            if tried.replace(true) {
                return Err(git2::Error::from_str("the remote refused the credentials"));
            }
            match &self.token {
                Some(token) if allowed.contains(git2::CredentialType::USER_PASS_PLAINTEXT) => {
                    git2::Cred::userpass_plaintext("x-access-token", token.expose())
                }
                _ => git2::Cred::default(),
            }
        });
        callbacks
    }

    fn find_commit(&self, sha: &CommitSha) -> Result<git2::Commit<'_>, GitError> {
        self.repo
            .find_commit(sha.oid())
            .context(|| format!("cannot find commit {sha}"))
    }

    /// Whether `ancestor` is `commit` or one of its ancestors.
    pub fn is_ancestor(&self, ancestor: &CommitSha, commit: &CommitSha) -> Result<bool, GitError> {
        if ancestor == commit {
            return Ok(true);
        }
        self.repo
            .graph_descendant_of(commit.oid(), ancestor.oid())
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

    /// Writes the tree of `commit` into `dir` (files, executable bits and
    /// symlinks; submodules are left empty).
    pub fn export(&self, commit: &CommitSha, dir: &Path) -> Result<(), GitError> {
        let tree = self
            .find_commit(commit)?
            .tree()
            .context(|| format!("cannot read the tree of {commit}"))?;
        self.export_tree(&tree, dir)
    }

    fn export_tree(&self, tree: &git2::Tree<'_>, dir: &Path) -> Result<(), GitError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| GitError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        for entry in tree.iter() {
            let Some(name) = entry.name().ok() else {
                continue;
            };
            if name.contains('/') || name == ".." || name == "." {
                continue;
            }
            let target = dir.join(name);
            match entry.kind() {
                Some(ObjectType::Tree) => {
                    let sub = self
                        .repo
                        .find_tree(entry.id())
                        .context(|| format!("cannot read {name}"))?;
                    self.export_tree(&sub, &target)?;
                }
                Some(ObjectType::Blob) => {
                    let blob = self
                        .repo
                        .find_blob(entry.id())
                        .context(|| format!("cannot read {name}"))?;
                    if entry.filemode() == 0o120000 {
                        #[cfg(unix)]
                        {
                            let link = String::from_utf8_lossy(blob.content()).into_owned();
                            std::os::unix::fs::symlink(link, &target).map_err(io(&target))?;
                        }
                        continue;
                    }
                    std::fs::write(&target, blob.content()).map_err(io(&target))?;
                    #[cfg(unix)]
                    if entry.filemode() == 0o100755 {
                        use std::os::unix::fs::PermissionsExt;
                        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755))
                            .map_err(io(&target))?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// A commit on top of `onto` that undoes `commit` (a merge against its
    /// first parent), built without a work tree.
    pub fn revert(
        &self,
        commit: &CommitSha,
        onto: &CommitSha,
        message: &str,
        identity: &Identity,
    ) -> Result<CommitSha, GitError> {
        let reverted = self.find_commit(commit)?;
        let ours = self.find_commit(onto)?;
        let mainline = if reverted.parent_count() > 1 { 1 } else { 0 };
        let mut index = self
            .repo
            .revert_commit(&reverted, &ours, mainline, None)
            .context(|| format!("cannot revert {commit}"))?;
        if index.has_conflicts() {
            let mut paths: Vec<String> = index
                .conflicts()
                .context(|| format!("cannot list the conflicts of reverting {commit}"))?
                .filter_map(Result::ok)
                .filter_map(|c| c.our.or(c.their).or(c.ancestor))
                .map(|e| String::from_utf8_lossy(&e.path).into_owned())
                .collect();
            paths.sort();
            paths.dedup();
            return Err(GitError::Conflict {
                commit: commit.to_string(),
                paths,
            });
        }
        let tree = index
            .write_tree_to(&self.repo)
            .context(|| format!("cannot write the revert of {commit}"))?;
        self.commit_tree(tree, &[onto], message, identity)
    }
}

/// Moving the branch a non-bare remote has checked out would leave its
/// work tree behind its branch (git refuses such pushes too).
fn refuse_checked_out(remote: &Repository, refname: &str, path: &Path) -> Result<(), GitError> {
    if remote.is_bare() {
        return Ok(());
    }
    let checked_out = remote
        .head()
        .ok()
        .and_then(|h| h.name().ok().map(str::to_owned));
    if checked_out.as_deref() == Some(refname) {
        return Err(GitError::Rejected {
            refname: refname.to_owned(),
            reason: format!("it is checked out in {}", path.display()),
        });
    }
    Ok(())
}

/// Compare-and-swap of one ref in `repo`, under the ref's lock.
fn cas_ref(
    repo: &Repository,
    refname: &str,
    new: Option<Oid>,
    expected: Option<Oid>,
) -> Result<(), GitError> {
    let mut tx = repo
        .transaction()
        .context(|| format!("cannot update {refname}"))?;
    tx.lock_ref(refname)
        .context(|| format!("cannot lock {refname}"))?;
    let current = match repo.find_reference(refname) {
        Ok(r) => r.target(),
        Err(e) if e.code() == ErrorCode::NotFound => None,
        Err(e) => return Err(e).context(|| format!("cannot read {refname}")),
    };
    if current != expected {
        return Err(GitError::Rejected {
            refname: refname.to_owned(),
            reason: match (current, expected) {
                (Some(_), None) => "it already exists".into(),
                (None, Some(_)) => "it no longer exists".into(),
                _ => "someone else updated it first".into(),
            },
        });
    }
    let identity = Identity::default();
    let signature = git2::Signature::now(&identity.name, &identity.email)
        .context(|| "cannot sign the ref update".to_owned())?;
    match new {
        Some(oid) => tx
            .set_target(refname, oid, Some(&signature), "patchwright")
            .context(|| format!("cannot update {refname}"))?,
        None => tx
            .remove(refname)
            .context(|| format!("cannot delete {refname}"))?,
    }
    tx.commit().context(|| format!("cannot update {refname}"))
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
pub(crate) mod testing {
    //! Real repositories in temp dirs: a work tree with a bare `origin`.
    use super::*;

    #[derive(Debug)]
    pub struct TestRepo {
        pub _dir: tempfile::TempDir,
        pub work: PathBuf,
        pub origin: PathBuf,
    }

    pub fn git(dir: &Path, args: &[&str]) -> String {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// A repository with one commit of `files` on `main`, pushed to a bare origin.
    pub fn with_origin(files: &[(&str, &str)]) -> TestRepo {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("work");
        let origin = dir.path().join("origin.git");
        std::fs::create_dir_all(&work).unwrap();
        git(
            dir.path(),
            &["init", "--bare", "-b", "main", origin.to_str().unwrap()],
        );
        git(&work, &["init", "-b", "main"]);
        git(&work, &["config", "user.name", "Maintainer"]);
        git(&work, &["config", "user.email", "maintainer@example.com"]);
        git(&work, &["config", "commit.gpgsign", "false"]);
        for (path, text) in files {
            let full = work.join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, text).unwrap();
        }
        git(&work, &["add", "."]);
        git(&work, &["commit", "-qm", "initial"]);
        git(
            &work,
            &["remote", "add", "origin", origin.to_str().unwrap()],
        );
        git(&work, &["push", "-q", "origin", "main"]);
        TestRepo {
            _dir: dir,
            work,
            origin,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    fn open(t: &TestRepo) -> Repo {
        let repo = Repo::open(&t.work, Some("origin"), None).unwrap();
        repo.fetch().unwrap();
        repo
    }

    fn path(p: &str) -> RelPath {
        p.parse().unwrap()
    }

    #[test]
    fn names_validate_and_round_trip() {
        assert!(
            "patchwright/derive-debug/1a2b3c4d"
                .parse::<BranchName>()
                .is_ok()
        );
        assert!("bad..name".parse::<BranchName>().is_err());
        assert!("".parse::<BranchName>().is_err());
        let sha: CommitSha = "0123456789abcdef0123456789abcdef01234567".parse().unwrap();
        assert_eq!(sha.short(), "01234567");
        assert!("0123".parse::<CommitSha>().is_err());
        assert_eq!(
            format!("{:?}", Secret::new("ghp_secret".into())),
            "Secret(***)"
        );
    }

    #[test]
    fn commits_from_trees_leave_the_work_tree_alone_and_push_with_cas() {
        let t = with_origin(&[
            ("src/lib.rs", "fn a() {}\n"),
            ("README", "hi\n"),
            ("src/deep/x.rs", "x\n"),
        ]);
        let repo = open(&t);
        let main: BranchName = "main".parse().unwrap();
        assert_eq!(repo.default_branch(None).unwrap(), main);
        let base = repo.branch_tip(&main).unwrap().unwrap();
        let status_before = git(&t.work, &["status", "--porcelain"]);

        let changes = Changes::from([
            (path("src/lib.rs"), Some(b"fn b() {}\n".to_vec())),
            (path("src/deep/x.rs"), None),
            (path("src/new/y.rs"), Some(b"y\n".to_vec())),
        ]);
        let commit = repo
            .write_commit(
                &base,
                &[&base],
                &changes,
                "fix things",
                &Identity::default(),
            )
            .unwrap();
        assert_eq!(
            repo.read_file(&commit, &path("src/lib.rs"))
                .unwrap()
                .unwrap(),
            b"fn b() {}\n"
        );
        assert_eq!(
            repo.read_file(&commit, &path("src/deep/x.rs")).unwrap(),
            None
        );
        assert_eq!(
            repo.read_file(&commit, &path("README")).unwrap().unwrap(),
            b"hi\n"
        );
        assert_eq!(
            repo.changed_paths(&base, &commit).unwrap(),
            [
                path("src/deep/x.rs"),
                path("src/lib.rs"),
                path("src/new/y.rs")
            ]
        );
        assert_eq!(
            repo.author_email(&commit).unwrap(),
            "patchwright[bot]@users.noreply.github.com"
        );

        let branch: BranchName = "patchwright/test/00000000".parse().unwrap();
        repo.update_ref(&branch.refname(), &commit, None).unwrap();
        // Creating it again is a conflict, not a silent overwrite.
        let again = repo
            .update_ref(&branch.refname(), &commit, None)
            .unwrap_err();
        assert!(again.is_conflict(), "{again}");
        // A stale expectation is refused too.
        let stale = repo
            .update_ref(&branch.refname(), &base, Some(&base))
            .unwrap_err();
        assert!(matches!(stale, GitError::Rejected { .. }), "{stale}");

        assert_eq!(
            git(
                &t.origin,
                &["rev-parse", "refs/heads/patchwright/test/00000000"]
            ),
            commit.as_str()
        );
        assert_eq!(repo.branch_tip(&branch).unwrap(), Some(commit.clone()));
        assert_eq!(git(&t.work, &["status", "--porcelain"]), status_before);
        assert_eq!(git(&t.work, &["rev-parse", "HEAD"]), base.as_str());
        // Nothing but our temporary ref's removal: no stray refs on the remote.
        assert!(!git(&t.origin, &["for-each-ref"]).contains("incoming"));

        repo.delete_ref(&branch.refname(), &commit).unwrap();
        assert_eq!(repo.branch_tip(&branch).unwrap(), None);
        assert!(!git(&t.origin, &["for-each-ref"]).contains("patchwright/test"));
    }

    #[test]
    fn a_non_bare_remote_keeps_its_checked_out_branch() {
        let t = with_origin(&[("a.txt", "a\n")]);
        let clone = t.work.parent().unwrap().join("clone");
        git(
            t.work.parent().unwrap(),
            &[
                "clone",
                "-q",
                t.work.to_str().unwrap(),
                clone.to_str().unwrap(),
            ],
        );
        let repo = Repo::open(&clone, Some("origin"), None).unwrap();
        repo.fetch().unwrap();
        let main = repo.branch_tip(&"main".parse().unwrap()).unwrap().unwrap();
        let next = repo
            .write_commit(
                &main,
                &[&main],
                &Changes::from([(path("a.txt"), Some(b"b\n".to_vec()))]),
                "m",
                &Identity::default(),
            )
            .unwrap();
        let err = repo
            .update_ref("refs/heads/main", &next, Some(&main))
            .unwrap_err();
        assert!(err.to_string().contains("it is checked out in"), "{err}");
        repo.update_ref("refs/heads/patchwright/x", &next, None)
            .unwrap();
        assert_eq!(git(&t.work, &["rev-parse", "patchwright/x"]), next.as_str());
    }

    #[test]
    fn without_a_remote_refs_are_local() {
        let t = with_origin(&[("a.txt", "a\n")]);
        let repo = Repo::open(&t.work, Some("upstream"), None).unwrap();
        assert_eq!(repo.remote_name(), None);
        let base: CommitSha = git(&t.work, &["rev-parse", "HEAD"]).parse().unwrap();
        let commit = repo
            .write_commit(
                &base,
                &[&base],
                &Changes::from([(path("a.txt"), Some(b"b\n".to_vec()))]),
                "m",
                &Identity::default(),
            )
            .unwrap();
        repo.update_ref("refs/heads/patchwright/x", &commit, None)
            .unwrap();
        assert_eq!(
            git(&t.work, &["rev-parse", "patchwright/x"]),
            commit.as_str()
        );
        assert_eq!(repo.branches_with_prefix("patchwright/").unwrap().len(), 1);
    }

    #[test]
    fn reverts_merges_against_the_first_parent_and_names_conflicts() {
        let t = with_origin(&[("a.txt", "one\n"), ("b.txt", "bee\n")]);
        let w = &t.work;
        git(w, &["checkout", "-qb", "topic"]);
        std::fs::write(w.join("a.txt"), "two\n").unwrap();
        git(w, &["commit", "-qam", "topic change"]);
        git(w, &["checkout", "-q", "main"]);
        std::fs::write(w.join("b.txt"), "bee2\n").unwrap();
        git(w, &["commit", "-qam", "main change"]);
        git(w, &["merge", "-q", "--no-ff", "-m", "merge topic", "topic"]);
        let merge: CommitSha = git(w, &["rev-parse", "HEAD"]).parse().unwrap();
        let repo = Repo::open(w, None, None).unwrap();

        let revert = repo
            .revert(&merge, &merge, "Revert topic", &Identity::default())
            .unwrap();
        assert_eq!(
            repo.read_file(&revert, &path("a.txt")).unwrap().unwrap(),
            b"one\n"
        );
        assert_eq!(
            repo.read_file(&revert, &path("b.txt")).unwrap().unwrap(),
            b"bee2\n"
        );
        assert_eq!(repo.parents(&revert).unwrap(), std::slice::from_ref(&merge));

        // A later change to the same line makes the revert conflict.
        std::fs::write(w.join("a.txt"), "three\n").unwrap();
        git(w, &["commit", "-qam", "later"]);
        let later: CommitSha = git(w, &["rev-parse", "HEAD"]).parse().unwrap();
        let err = repo
            .revert(&merge, &later, "Revert topic", &Identity::default())
            .unwrap_err();
        assert!(
            matches!(&err, GitError::Conflict { paths, .. } if paths == &["a.txt".to_owned()]),
            "{err}"
        );
    }

    #[test]
    fn exports_a_tree_with_modes() {
        let t = with_origin(&[("bin/run.sh", "#!/bin/sh\n"), ("src/lib.rs", "")]);
        std::process::Command::new("chmod")
            .args(["+x", "bin/run.sh"])
            .current_dir(&t.work)
            .status()
            .unwrap();
        git(&t.work, &["commit", "-qam", "exec"]);
        let repo = Repo::open(&t.work, None, None).unwrap();
        let head: CommitSha = git(&t.work, &["rev-parse", "HEAD"]).parse().unwrap();
        let out = tempfile::tempdir().unwrap();
        repo.export(&head, out.path()).unwrap();
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(out.path().join("bin/run.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111);
        assert!(out.path().join("src/lib.rs").is_file());
    }
}
