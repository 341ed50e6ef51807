//! Moving refs, here and on the remote, compare-and-swap: fetch, update and
//! delete a ref only if it still points where the caller last saw it.
//!
//! A remote that is a local path gets its compare-and-swap done directly on
//! the remote repository under a ref lock: libgit2's local transport updates
//! refs without checking their old value, so a plain push there could lose a
//! concurrent update. Network remotes get a normal push, where the server
//! checks the old value, with a lease check for non-fast-forward updates.

use std::cell::RefCell;
use std::path::Path;

use git2::{ErrorCode, ObjectType, Oid, Repository};

use super::repo::{Context, GitError, RemoteSpec, Repo, oid};
use crate::config::Identity;
use crate::vocab::git_names::CommitSha;

impl Repo {
    /// Brings the remote's branches and `refs/patchwright/*` into
    /// `refs/remotes/<remote>/` (pruning what it deleted there). Refs of this
    /// repository itself — a ledger kept without the remote — are never
    /// touched by a fetch. Without a remote there is nothing to do.
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
            format!("+refs/patchwright/*:refs/remotes/{name}/patchwright/*"),
        ];
        let mut options = git2::FetchOptions::new();
        options.prune(git2::FetchPrune::On);
        options.download_tags(git2::AutotagOption::None);
        options.remote_callbacks(self.callbacks(&tried));
        // The watch and reverts walk parents: a shallow checkout (what
        // `actions/checkout` makes unless told `fetch-depth: 0`) is made whole.
        if self.repo.is_shallow() {
            tracing::warn!(
                "the checkout is shallow: fetching the whole history (set `fetch-depth: 0` on actions/checkout to save this step)"
            );
            match spec {
                RemoteSpec::Local { path, .. } => self.deepen_from(path)?,
                // libgit2's "unshallow".
                RemoteSpec::Network { .. } => {
                    options.depth(i32::MAX);
                }
            }
        }
        // Listing a local remote's refs can race with another process
        // deleting one ("not found"); the next attempt sees a stable list.
        let what = format!("fetching from `{name}`");
        let mut attempt = 0;
        loop {
            let fetched = self.on_network(&what, || {
                remote.fetch(&refspecs, Some(&mut options), Some("patchwright: fetch"))
            })?;
            match fetched {
                Ok(()) => return Ok(()),
                Err(e) if e.code() == ErrorCode::NotFound && attempt < 3 => attempt += 1,
                Err(e) => {
                    return Err(
                        self.network_error(e, &what, || format!("cannot fetch from `{name}`"))
                    );
                }
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
        let what = format!("fetching {refname} from `{name}`");
        let fetched = self.on_network(&what, || {
            remote.fetch(&[refspec], Some(&mut options), Some("patchwright: fetch"))
        })?;
        match fetched {
            Ok(()) => Ok(()),
            // The ref does not exist on the remote (yet).
            Err(e) if e.code() == ErrorCode::NotFound => Ok(()),
            Err(e) => {
                Err(self
                    .network_error(e, &what, || format!("cannot fetch {refname} from `{name}`")))
            }
        }
    }

    /// The local ref that shows `refname` as published: with a remote, its
    /// remote-tracking ref (`refs/heads/x` → `refs/remotes/<remote>/x`,
    /// `refs/patchwright/x` → `refs/remotes/<remote>/patchwright/x`); without
    /// one, the ref itself.
    pub fn published_ref(&self, refname: &str) -> String {
        let Some(spec) = &self.remote else {
            return refname.to_owned();
        };
        let name = spec.name();
        match refname.strip_prefix("refs/heads/") {
            Some(branch) => format!("refs/remotes/{name}/{branch}"),
            None => format!(
                "refs/remotes/{name}/{}",
                refname.strip_prefix("refs/").unwrap_or(refname)
            ),
        }
    }

    /// Moves a ref of this repository only (not the remote's) if it still
    /// points at `expected`, keeping a reflog of it.
    pub fn update_local_ref(
        &self,
        refname: &str,
        new: &CommitSha,
        expected: Option<&CommitSha>,
    ) -> Result<(), GitError> {
        cas_ref(&self.repo, refname, Some(oid(new)), expected.map(oid))
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
            None => cas_ref(&self.repo, refname, Some(oid(new)), expected.map(oid)),
            Some(RemoteSpec::Local { path, .. }) => {
                let remote =
                    Repository::open(path).context(|| format!("cannot open {}", path.display()))?;
                refuse_checked_out(&remote, refname, path)?;
                self.send_objects(&remote, new)?;
                cas_ref(&remote, refname, Some(oid(new)), expected.map(oid))
            }
            Some(RemoteSpec::Network { .. }) => self.push_with_lease(refname, Some(new), expected),
        }?;
        self.mirror(refname, Some(new))
    }

    /// Deletes `refname` if it still points at `expected`.
    pub fn delete_ref(&self, refname: &str, expected: &CommitSha) -> Result<(), GitError> {
        match &self.remote {
            None => cas_ref(&self.repo, refname, None, Some(oid(expected))),
            Some(RemoteSpec::Local { path, .. }) => {
                let remote =
                    Repository::open(path).context(|| format!("cannot open {}", path.display()))?;
                cas_ref(&remote, refname, None, Some(oid(expected)))
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
                    .reference(&local, oid(sha), true, "patchwright: mirror the remote")
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
        copy_objects(&self.repo, remote, oid(commit), false)
    }

    /// Makes a shallow checkout whole from a remote on this machine, whose
    /// transport cannot deepen: every commit of its branches, with what
    /// they need, is copied in, and the shallow boundary goes.
    fn deepen_from(&self, path: &Path) -> Result<(), GitError> {
        let remote =
            Repository::open(path).context(|| format!("cannot open {}", path.display()))?;
        let tips: Vec<Oid> = remote
            .references_glob("refs/heads/*")
            .context(|| format!("cannot list the branches of {}", path.display()))?
            .filter_map(|r| r.ok()?.target())
            .collect();
        for tip in tips {
            copy_objects(&remote, &self.repo, tip, true)?;
        }
        let boundary = self.repo.path().join("shallow");
        match std::fs::remove_file(&boundary) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(GitError::Io {
                path: boundary,
                source: e,
            }),
        }
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
        let lease = (refname.to_owned(), expected.map_or(Oid::ZERO_SHA1, oid));
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
        let said = RefCell::new(String::new());
        let mut callbacks = self.callbacks(&tried);
        // What the remote's hooks print (GitHub's "GH006: Protected branch
        // update failed") arrives here, apart from the ref's status.
        callbacks.sideband_progress(|data| {
            said.borrow_mut().push_str(&String::from_utf8_lossy(data));
            true
        });
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
        let what = format!("pushing to `{name}`");
        let result = self.on_network(&what, || remote.push(refspecs, Some(&mut options)))?;
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
            return Err(self.network_error(e, &what, || format!("cannot push to `{name}`")));
        }
        if let Some((refname, reason)) = rejected.borrow_mut().take() {
            if let Some(reason) = protection(&said.borrow(), &reason) {
                return Err(GitError::Protected { refname, reason });
            }
            return Err(GitError::Rejected { refname, reason });
        }
        Ok(())
    }

    /// Runs one fetch or push inside the network budget, charging its time;
    /// refuses to start once the budget is spent.
    fn on_network<T>(&self, what: &str, operation: impl FnOnce() -> T) -> Result<T, GitError> {
        if self.network.remaining().is_none() {
            return Err(self.out_of_time(what));
        }
        Ok(self.network.metered(operation))
    }

    fn out_of_time(&self, what: &str) -> GitError {
        GitError::OutOfTime {
            what: what.to_owned(),
            seconds: self.network.total().as_secs(),
        }
    }

    /// A failed fetch or push: the budget's end when the transfer was
    /// stopped for it, else the error with `context`.
    fn network_error(
        &self,
        error: git2::Error,
        what: &str,
        context: impl FnOnce() -> String,
    ) -> GitError {
        if error.code() == ErrorCode::User && self.network.remaining().is_none() {
            return self.out_of_time(what);
        }
        GitError::Git {
            context: context(),
            message: error.message().to_owned(),
            code: error.code(),
        }
    }

    /// Callbacks with credentials for HTTPS remotes: the token, tried once
    /// (a bad token otherwise makes libgit2 ask forever); a download that
    /// outlasts the network budget is stopped.
    fn callbacks<'a>(&'a self, tried: &'a std::cell::Cell<bool>) -> git2::RemoteCallbacks<'a> {
        let mut callbacks = git2::RemoteCallbacks::new();
        let started = std::time::Instant::now();
        let left = self.network.remaining().unwrap_or_default();
        callbacks.transfer_progress(move |_| started.elapsed() < left);
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
}

/// The line saying the remote protects the ref, when one does: GitHub
/// prints "GH006: Protected branch update failed …" on the side band and
/// declines the ref as "protected branch hook declined".
fn protection(said: &str, status: &str) -> Option<String> {
    said.lines()
        .chain(std::iter::once(status))
        .map(|l| l.trim().trim_start_matches("remote:").trim())
        .find(|l| l.contains("GH006") || l.to_ascii_lowercase().contains("protected branch"))
        .map(str::to_owned)
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
/// Locks older than this are not another writer's: writers hold a ref's
/// lock for milliseconds.
const STALE_LOCK: std::time::Duration = std::time::Duration::from_secs(30);

/// The lock on `refname`, when it is old enough to have been left behind.
fn stale_lock(repo: &Repository, refname: &str) -> Option<GitError> {
    let path = repo.path().join(format!("{refname}.lock"));
    let age = std::fs::metadata(&path)
        .ok()?
        .modified()
        .ok()?
        .elapsed()
        .ok()?;
    (age >= STALE_LOCK).then(|| GitError::StaleLock {
        refname: refname.to_owned(),
        path,
        age_secs: age.as_secs(),
    })
}

fn cas_ref(
    repo: &Repository,
    refname: &str,
    new: Option<Oid>,
    expected: Option<Oid>,
) -> Result<(), GitError> {
    let mut tx = repo
        .transaction()
        .context(|| format!("cannot update {refname}"))?;
    if let Err(e) = tx.lock_ref(refname) {
        if e.code() == ErrorCode::Locked
            && let Some(stale) = stale_lock(repo, refname)
        {
            return Err(stale);
        }
        return Err(e).context(|| format!("cannot lock {refname}"));
    }
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
    if new.is_some() {
        // Refs outside refs/heads get no reflog by default; the ledger's
        // history of moves is worth keeping.
        repo.reference_ensure_log(refname)
            .context(|| format!("cannot keep a reflog of {refname}"))?;
    }
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

/// Copies `start` and what it needs from `from` into `to`'s object database,
/// stopping at objects `to` has; with `through_present`, commits `to` has
/// are still walked through (a shallow repository has a commit without its
/// parents).
fn copy_objects(
    from: &Repository,
    to: &Repository,
    start: Oid,
    through_present: bool,
) -> Result<(), GitError> {
    let src = from
        .odb()
        .context(|| "cannot open the object database".to_owned())?;
    let dst = to
        .odb()
        .context(|| "cannot open the other object database".to_owned())?;
    let mut stack = vec![start];
    let mut seen = std::collections::HashSet::new();
    while let Some(oid) = stack.pop() {
        if !seen.insert(oid) {
            continue;
        }
        let present = dst.exists(oid);
        if present && !through_present {
            continue;
        }
        let object = src
            .read(oid)
            .context(|| format!("cannot read object {oid}"))?;
        match object.kind() {
            ObjectType::Commit => {
                let c = from
                    .find_commit(oid)
                    .context(|| format!("cannot read commit {oid}"))?;
                stack.push(c.tree_id());
                stack.extend(c.parent_ids());
            }
            // A tree or blob that is there has everything below it.
            _ if present => continue,
            ObjectType::Tree => {
                let t = from
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
        if !present {
            dst.write(object.kind(), object.data())
                .context(|| format!("cannot copy object {oid}"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn githubs_branch_protection_is_told_from_a_lost_race() {
        let said = "remote: error: GH006: Protected branch update failed for refs/heads/main.        \nremote: error: Changes must be made through a pull request.        \n";
        assert_eq!(
            protection(said, "protected branch hook declined").as_deref(),
            Some("error: GH006: Protected branch update failed for refs/heads/main.")
        );
        assert_eq!(
            protection("", "protected branch hook declined").as_deref(),
            Some("protected branch hook declined")
        );
        assert_eq!(protection("", "fetch first"), None);
        assert_eq!(
            protection("remote: Resolving deltas: 100%", "stale info"),
            None
        );
    }
    use crate::store::repo::Changes;
    use crate::store::testing::*;
    use crate::vocab::git_names::BranchName;
    use crate::vocab::rel_path::RelPath;

    fn open(t: &TestRepo) -> Repo {
        let repo = Repo::open(&t.work, Some("origin"), None).unwrap();
        repo.fetch().unwrap();
        repo
    }

    fn path(p: &str) -> RelPath {
        p.parse().unwrap()
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
}
