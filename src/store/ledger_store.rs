//! The ledger's home: one JSON document in a commit on a ref
//! (`refs/patchwright/state` unless configured otherwise), read and updated
//! compare-and-swap.
//!
//! A change is a function over the ledger, not a snapshot: when someone else
//! wrote first, the store re-reads the newer state and applies the same
//! function again, so no update is ever lost and nothing is force-pushed.

use std::time::Duration;

use serde::Serialize;

use super::ledger::{FORMAT_VERSION, Ledger};
use super::repo::{Changes, GitError, Repo};
use crate::config::Identity;
use crate::vocab::git_names::CommitSha;
use crate::vocab::rel_path::RelPath;
use crate::vocab::time::Timestamp;

/// What the next ledger commit builds on.
struct Snapshot {
    ledger: Ledger,
    /// The commits it joins: none for the first ledger, two when it merges
    /// histories that went apart.
    parents: Vec<CommitSha>,
    /// What the published ref must still point at.
    expected: Option<CommitSha>,
}

/// The file in the ledger's commit that holds the document.
const FILE: &str = "ledger.json";

/// What can go wrong reading or writing the ledger.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Git(#[from] GitError),
    /// Never overwritten: a person has to look.
    #[error(
        "the ledger at {refname} (commit {commit}) cannot be used: {message}. Nothing was changed; fix or reset {refname} by hand"
    )]
    Unreadable {
        refname: String,
        commit: String,
        message: String,
    },
    #[error("the ledger at {refname} kept changing under us ({attempts} attempts); try again")]
    Contention { refname: String, attempts: u32 },
    #[error("{0}")]
    Invalid(String),
}

/// A change to the ledger: a function, so it can be applied again to a
/// newer state. It returns the event name for the commit message, or `None`
/// when there is nothing to change.
pub type Change<'a> = dyn Fn(&mut Ledger) -> Result<Option<String>, LedgerError> + 'a;

/// The ledger on a ref of a repository (and its remote).
#[derive(Debug)]
pub struct LedgerStore<'r> {
    repo: &'r Repo,
    refname: String,
    identity: Identity,
    attempts: u32,
}

/// One commit of the ledger's history.
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    pub commit: CommitSha,
    pub at: Timestamp,
    pub message: String,
}

impl<'r> LedgerStore<'r> {
    pub fn new(repo: &'r Repo, refname: &str, identity: Identity) -> Self {
        Self {
            repo,
            refname: refname.to_owned(),
            identity,
            attempts: 64,
        }
    }

    pub fn refname(&self) -> &str {
        &self.refname
    }

    /// The ledger as last fetched, and the commit it came from (none yet:
    /// an empty ledger). With a remote, the remote's ledger and this
    /// repository's own are both looked at (see [`Self::snapshot`]).
    pub fn read(&self) -> Result<(Ledger, Option<CommitSha>), LedgerError> {
        let snapshot = self.snapshot()?;
        Ok((snapshot.ledger, snapshot.parents.into_iter().next()))
    }

    /// What the next ledger commit builds on. Without a remote, the ref.
    /// With one, the remote's ledger (as fetched) and this repository's own
    /// ref (written when it ran without the remote) are both looked at:
    /// whichever history contains the other is read; histories that went
    /// apart are merged, and the next commit joins them. Neither is ever
    /// dropped.
    fn snapshot(&self) -> Result<Snapshot, LedgerError> {
        let published = self.repo.resolve(&self.repo.published_ref(&self.refname))?;
        let local = match self.repo.remote_name() {
            Some(_) => self.repo.resolve(&self.refname)?,
            None => None,
        };
        let one =
            |commit: CommitSha, expected: Option<CommitSha>| -> Result<Snapshot, LedgerError> {
                Ok(Snapshot {
                    ledger: self.load(&commit)?,
                    parents: vec![commit],
                    expected,
                })
            };
        match (published, local) {
            (None, None) => Ok(Snapshot {
                ledger: Ledger::default(),
                parents: Vec::new(),
                expected: None,
            }),
            (Some(p), None) => one(p.clone(), Some(p)),
            // The remote has none yet: this repository's history is published
            // with the next change.
            (None, Some(l)) => one(l, None),
            (Some(p), Some(l)) if p == l || self.repo.is_ancestor(&l, &p)? => {
                one(p.clone(), Some(p))
            }
            (Some(p), Some(l)) if self.repo.is_ancestor(&p, &l)? => one(l, Some(p)),
            (Some(p), Some(l)) => {
                tracing::info!(
                    "the ledger at {} and the one on the remote went apart; reading both, merged",
                    self.refname
                );
                let merged = self.load(&p)?.merge(&self.load(&l)?);
                Ok(Snapshot {
                    ledger: merged,
                    parents: vec![p.clone(), l],
                    expected: Some(p),
                })
            }
        }
    }

    /// The ledger document of `commit`.
    fn load(&self, commit: &CommitSha) -> Result<Ledger, LedgerError> {
        let unreadable = |message: String| LedgerError::Unreadable {
            refname: self.refname.clone(),
            commit: commit.to_string(),
            message,
        };
        let path: RelPath = FILE
            .parse()
            .map_err(|_| unreadable("bad file name".into()))?;
        let bytes = self
            .repo
            .read_file(commit, &path)?
            .ok_or_else(|| unreadable(format!("its commit has no {FILE}")))?;
        let text =
            String::from_utf8(bytes).map_err(|_| unreadable(format!("{FILE} is not UTF-8")))?;
        Ledger::from_json(&text).map_err(unreadable)
    }

    /// Applies `change` with compare-and-swap, retrying on a newer state
    /// with jittered backoff. Returns the new commit, or `None` when the
    /// change changed nothing (then nothing is written). With a remote,
    /// this repository's own ref follows, so both always agree afterwards.
    pub fn update(&self, change: &Change<'_>) -> Result<Option<CommitSha>, LedgerError> {
        for attempt in 0..self.attempts {
            let Snapshot {
                mut ledger,
                parents,
                expected,
            } = self.snapshot()?;
            let before = ledger.to_json();
            let Some(event) = change(&mut ledger)? else {
                return Ok(None);
            };
            ledger.version = FORMAT_VERSION;
            let after = ledger.to_json();
            if after == before && !parents.is_empty() {
                return Ok(None);
            }
            let path: RelPath = FILE
                .parse()
                .map_err(|_| LedgerError::Invalid("bad file name".into()))?;
            let files = Changes::from([(path, Some(after.into_bytes()))]);
            let parent_refs: Vec<&CommitSha> = parents.iter().collect();
            let commit =
                self.repo
                    .write_root_or_child(&parent_refs, &files, &event, &self.identity)?;
            match self
                .repo
                .update_ref(&self.refname, &commit, expected.as_ref())
            {
                Ok(()) => {
                    self.follow(&commit)?;
                    return Ok(Some(commit));
                }
                Err(e) if e.is_conflict() => {
                    tracing::debug!("ledger conflict on attempt {}: {e}", attempt + 1);
                    std::thread::sleep(backoff(attempt));
                    self.repo.fetch_ref(&self.refname)?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(LedgerError::Contention {
            refname: self.refname.clone(),
            attempts: self.attempts,
        })
    }

    /// With a remote, moves this repository's own ledger ref to `commit`
    /// (which contains its history) so a later run without the remote sees
    /// everything. Someone moving it meanwhile wins: the next update merges.
    fn follow(&self, commit: &CommitSha) -> Result<(), LedgerError> {
        if self.repo.remote_name().is_none() {
            return Ok(());
        }
        let local = self.repo.resolve(&self.refname)?;
        if local.as_ref() == Some(commit) {
            return Ok(());
        }
        if let Err(e) = self
            .repo
            .update_local_ref(&self.refname, commit, local.as_ref())
        {
            if !e.is_conflict() {
                return Err(e.into());
            }
            tracing::debug!("{} moved while it was followed: {e}", self.refname);
        }
        Ok(())
    }

    /// The ledger's history, newest first (the remote's, or this
    /// repository's own where the remote has none).
    pub fn log(&self, limit: usize) -> Result<Vec<LogEntry>, LedgerError> {
        let head = match self.repo.resolve(&self.repo.published_ref(&self.refname))? {
            Some(head) => head,
            None => match self.repo.resolve(&self.refname)? {
                Some(head) => head,
                None => return Ok(Vec::new()),
            },
        };
        let mut out = Vec::new();
        for commit in self.repo.first_parents(&head, limit)? {
            let message = self.repo.message(&commit)?.trim_end().to_owned();
            let at = Timestamp(self.repo.commit_time(&commit)?);
            out.push(LogEntry {
                commit,
                at,
                message,
            });
        }
        Ok(out)
    }
}

/// 5 ms doubling to about 0.6 s, with full jitter so racing writers spread out.
fn backoff(attempt: u32) -> Duration {
    let cap = 5u64 << attempt.min(7);
    Duration::from_millis(fastrand::u64(1..=cap.max(2)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_LEDGER_REF as DEFAULT_REF;
    use crate::store::ledger::Rejection;
    use crate::store::testing::{git, with_origin};
    use crate::vocab::ids::Fingerprint;

    fn fp(n: u32) -> Fingerprint {
        format!("{n:016x}").parse().unwrap()
    }

    fn reject(n: u32) -> impl Fn(&mut Ledger) -> Result<Option<String>, LedgerError> {
        move |l: &mut Ledger| {
            if l.rejected.contains_key(&fp(n)) {
                return Ok(None);
            }
            l.rejected.insert(
                fp(n),
                Rejection {
                    at: Timestamp(0),
                    by: "test".into(),
                    reason: "test".into(),
                    proposal: None,
                    until: None,
                },
            );
            Ok(Some(format!("reject {}", fp(n))))
        }
    }

    #[test]
    fn updates_are_commits_on_the_ref_and_no_ops_write_nothing() {
        let t = with_origin(&[("a.txt", "a\n")]);
        let repo = Repo::open(&t.work, Some("origin"), None).unwrap();
        repo.fetch().unwrap();
        let store = LedgerStore::new(&repo, DEFAULT_REF, Identity::default());
        assert_eq!(store.read().unwrap().0, Ledger::default());

        let first = store.update(&reject(1)).unwrap().unwrap();
        let second = store.update(&reject(2)).unwrap().unwrap();
        assert_eq!(
            store.update(&reject(2)).unwrap(),
            None,
            "the same change twice writes once"
        );
        assert_eq!(repo.parents(&second).unwrap(), std::slice::from_ref(&first));
        assert_eq!(git(&t.origin, &["rev-parse", DEFAULT_REF]), second.as_str());
        let log: Vec<String> = store
            .log(10)
            .unwrap()
            .into_iter()
            .map(|e| e.message)
            .collect();
        assert_eq!(
            log,
            [format!("reject {}", fp(2)), format!("reject {}", fp(1))]
        );
        assert_eq!(store.read().unwrap().0.rejected.len(), 2);
    }

    #[test]
    fn a_stale_writer_re_applies_its_change_on_the_newer_state() {
        let t = with_origin(&[("a.txt", "a\n")]);
        let one = Repo::open(&t.work, Some("origin"), None).unwrap();
        one.fetch().unwrap();
        // A second clone that does not know about the first one's write.
        let other = t.work.parent().unwrap().join("other");
        git(
            t.work.parent().unwrap(),
            &[
                "clone",
                "-q",
                t.origin.to_str().unwrap(),
                other.to_str().unwrap(),
            ],
        );
        let two = Repo::open(&other, Some("origin"), None).unwrap();
        two.fetch().unwrap();

        LedgerStore::new(&one, DEFAULT_REF, Identity::default())
            .update(&reject(1))
            .unwrap();
        LedgerStore::new(&two, DEFAULT_REF, Identity::default())
            .update(&reject(2))
            .unwrap();
        one.fetch().unwrap();
        let (ledger, _) = LedgerStore::new(&one, DEFAULT_REF, Identity::default())
            .read()
            .unwrap();
        assert_eq!(
            ledger.rejected.keys().cloned().collect::<Vec<_>>(),
            [fp(1), fp(2)]
        );
    }

    #[test]
    fn a_corrupt_ledger_is_refused_and_left_alone() {
        let t = with_origin(&[("a.txt", "a\n")]);
        let repo = Repo::open(&t.work, None, None).unwrap();
        // A commit whose ledger.json is not JSON.
        std::fs::write(t.work.join("ledger.json"), "{ not json").unwrap();
        let tree_blob = git(&t.work, &["hash-object", "-w", "ledger.json"]);
        let tree = {
            let out = std::process::Command::new("git")
                .args(["mktree"])
                .current_dir(&t.work)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            use std::io::Write;
            let mut out = out;
            writeln!(
                out.stdin.take().unwrap(),
                "100644 blob {tree_blob}\tledger.json"
            )
            .unwrap();
            String::from_utf8(out.wait_with_output().unwrap().stdout)
                .unwrap()
                .trim()
                .to_owned()
        };
        let commit = git(&t.work, &["commit-tree", &tree, "-m", "broken"]);
        git(&t.work, &["update-ref", DEFAULT_REF, &commit]);
        let store = LedgerStore::new(&repo, DEFAULT_REF, Identity::default());
        let err = store.update(&reject(1)).unwrap_err();
        assert!(
            err.to_string().contains("cannot be used: not JSON"),
            "{err}"
        );
        assert_eq!(git(&t.work, &["rev-parse", DEFAULT_REF]), commit);
    }
}
