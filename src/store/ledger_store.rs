//! The ledger's home: one JSON document in a commit on a ref
//! (`refs/patchwright/state` unless configured otherwise), read and updated
//! compare-and-swap.
//!
//! A change is a function over the ledger, not a snapshot: when someone else
//! wrote first, the store re-reads the newer state and applies the same
//! function again, so no update is ever lost and nothing is force-pushed.
//!
//! Changes can also be gathered in a [`Batch`] and written as one commit
//! (a comment's commands are one commit, however many there are). A batch
//! that finds the ledger moved on is merged into the newer state, the way
//! two histories that went apart are.

use std::cell::{Cell, RefCell};
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
        "the ledger at {refname} ({commit}) cannot be used: {message}. Nothing was changed; fix or reset {refname} by hand"
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
    batch: Option<&'r Batch>,
}

/// Ledger changes held back while a batch is open, written by
/// [`LedgerStore::flush`] as one commit. Reads through a store with the
/// batch see the held changes.
#[derive(Debug, Default)]
pub struct Batch {
    open: Cell<bool>,
    held: RefCell<Option<Held>>,
}

#[derive(Debug)]
struct Held {
    ledger: Ledger,
    parents: Vec<CommitSha>,
    expected: Option<CommitSha>,
    events: Vec<String>,
}

impl Batch {
    /// From now on, changes are held until [`LedgerStore::flush`].
    pub fn open(&self) {
        self.open.set(true);
    }

    /// From now on, changes are written as they are made (flush what is
    /// held first).
    pub fn close(&self) {
        self.open.set(false);
    }

    pub fn is_open(&self) -> bool {
        self.open.get()
    }

    /// Whether changes wait to be written.
    pub fn holds_changes(&self) -> bool {
        self.held
            .borrow()
            .as_ref()
            .is_some_and(|h| !h.events.is_empty())
    }
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
            batch: None,
        }
    }

    /// This store, gathering its changes in `batch` while the batch is open.
    pub fn with_batch(mut self, batch: &'r Batch) -> Self {
        self.batch = Some(batch);
        self
    }

    pub fn refname(&self) -> &str {
        &self.refname
    }

    /// The ledger as last fetched, and the commit it came from (none yet:
    /// an empty ledger). With a remote, the remote's ledger and this
    /// repository's own are both looked at (see `snapshot`).
    pub fn read(&self) -> Result<(Ledger, Option<CommitSha>), LedgerError> {
        if let Some(held) = self.batch.and_then(|b| {
            b.held
                .borrow()
                .as_ref()
                .map(|h| (h.ledger.clone(), h.parents.first().cloned()))
        }) {
            return Ok(held);
        }
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
        for commit in published.iter().chain(&local) {
            match self.repo.object_kind(commit) {
                Some("commit") => {}
                kind => {
                    return Err(LedgerError::Unreadable {
                        refname: self.refname.clone(),
                        commit: commit.to_string(),
                        message: format!(
                            "it points at {}, not at a commit",
                            kind.map_or("an object this repository does not have".into(), |k| {
                                format!("a {k}")
                            })
                        ),
                    });
                }
            }
        }
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
    /// with jittered backoff; with an open batch, holds it for
    /// [`Self::flush`] instead. Returns whether the ledger changed (when it
    /// did not, nothing is written). With a remote, this repository's own
    /// ref follows, so both always agree afterwards.
    pub fn update(&self, change: &Change<'_>) -> Result<bool, LedgerError> {
        if let Some(batch) = self.batch.filter(|b| b.is_open()) {
            return self.hold(batch, change);
        }
        Ok(self.write(change)?.is_some())
    }

    /// Applies `change` to the batch's ledger.
    fn hold(&self, batch: &Batch, change: &Change<'_>) -> Result<bool, LedgerError> {
        let mut held = batch.held.borrow_mut();
        if held.is_none() {
            let Snapshot {
                ledger,
                parents,
                expected,
            } = self.snapshot()?;
            *held = Some(Held {
                ledger,
                parents,
                expected,
                events: Vec::new(),
            });
        }
        let Some(held) = held.as_mut() else {
            return Ok(false);
        };
        let mut ledger = held.ledger.clone();
        let Some(event) = change(&mut ledger)? else {
            return Ok(false);
        };
        if ledger.to_json() == held.ledger.to_json() {
            return Ok(false);
        }
        held.ledger = ledger;
        held.events.push(event);
        Ok(true)
    }

    /// Writes what the batch holds as one commit; `None` when it holds
    /// nothing. When the ledger moved on meanwhile, the batch's commit is
    /// merged into the newer one: nothing either side wrote is lost.
    pub fn flush(&self) -> Result<Option<CommitSha>, LedgerError> {
        let Some(batch) = self.batch else {
            return Ok(None);
        };
        let Some(Held {
            mut ledger,
            parents,
            expected,
            events,
        }) = batch.held.borrow_mut().take()
        else {
            return Ok(None);
        };
        if events.is_empty() {
            return Ok(None);
        }
        let message = match events.as_slice() {
            [one] => one.clone(),
            [first, rest @ ..] => {
                format!("{first} and {} more\n\n{}", rest.len(), events.join("\n"))
            }
            [] => return Ok(None),
        };
        ledger.version = FORMAT_VERSION;
        let files = Self::document(&ledger)?;
        let parent_refs: Vec<&CommitSha> = parents.iter().collect();
        let ours = self
            .repo
            .write_root_or_child(&parent_refs, &files, &message, &self.identity)?;
        match self
            .repo
            .update_ref(&self.refname, &ours, expected.as_ref())
        {
            Ok(()) => {
                self.follow(&ours)?;
                return Ok(Some(ours));
            }
            Err(e) if e.is_conflict() => {
                tracing::debug!("the ledger moved on under a batch: {e}; merging");
                self.repo.fetch_ref(&self.refname)?;
            }
            Err(e) => return Err(e.into()),
        }
        let merge = format!("merge: {message}");
        self.write_with(Some((&ours, &ledger)), &|_| Ok(Some(merge.clone())))
    }

    /// The files of a ledger commit.
    fn document(ledger: &Ledger) -> Result<Changes, LedgerError> {
        let path: RelPath = FILE
            .parse()
            .map_err(|_| LedgerError::Invalid("bad file name".into()))?;
        Ok(Changes::from([(path, Some(ledger.to_json().into_bytes()))]))
    }

    /// [`Self::update`] without a batch: the commit written, if any.
    fn write(&self, change: &Change<'_>) -> Result<Option<CommitSha>, LedgerError> {
        self.write_with(None, change)
    }

    /// Applies `change` with compare-and-swap; with `joining`, a commit and
    /// its ledger are merged into every state it is applied to, and the
    /// write joins that commit's history.
    fn write_with(
        &self,
        joining: Option<(&CommitSha, &Ledger)>,
        change: &Change<'_>,
    ) -> Result<Option<CommitSha>, LedgerError> {
        for attempt in 0..self.attempts {
            let Snapshot {
                mut ledger,
                mut parents,
                expected,
            } = self.snapshot()?;
            let before = ledger.to_json();
            if let Some((commit, theirs)) = joining {
                ledger = ledger.merge(theirs);
                parents.push(commit.clone());
            }
            let Some(event) = change(&mut ledger)? else {
                return Ok(None);
            };
            ledger.version = FORMAT_VERSION;
            if ledger.to_json() == before && parents.len() == 1 {
                return Ok(None);
            }
            let files = Self::document(&ledger)?;
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

        assert!(store.update(&reject(1)).unwrap());
        let first = store.read().unwrap().1.unwrap();
        assert!(store.update(&reject(2)).unwrap());
        let second = store.read().unwrap().1.unwrap();
        assert!(
            !store.update(&reject(2)).unwrap(),
            "the same change twice writes once"
        );
        assert_eq!(store.read().unwrap().1.unwrap(), second);
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

    /// Two clones of one origin, each fetched: neither knows what the
    /// other writes next.
    fn two_clones() -> (crate::store::testing::TestRepo, Repo, Repo) {
        let t = with_origin(&[("a.txt", "a\n")]);
        let one = Repo::open(&t.work, Some("origin"), None).unwrap();
        one.fetch().unwrap();
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
        (t, one, two)
    }

    #[test]
    fn a_stale_writer_re_applies_its_change_on_the_newer_state() {
        let (_t, one, two) = two_clones();

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

    #[test]
    fn a_batch_is_one_commit_and_reads_see_what_it_holds() {
        let t = with_origin(&[("a.txt", "a\n")]);
        let repo = Repo::open(&t.work, Some("origin"), None).unwrap();
        repo.fetch().unwrap();
        let batch = Batch::default();
        let store = LedgerStore::new(&repo, DEFAULT_REF, Identity::default()).with_batch(&batch);
        assert!(store.update(&reject(1)).unwrap());
        let before = store.read().unwrap().1;
        batch.open();
        for n in 2..50 {
            assert!(store.update(&reject(n)).unwrap());
        }
        assert!(!store.update(&reject(7)).unwrap(), "held changes count");
        assert_eq!(store.read().unwrap().0.rejected.len(), 49);
        assert!(batch.holds_changes());
        assert_eq!(
            git(&t.origin, &["rev-parse", DEFAULT_REF]),
            before.clone().unwrap().as_str(),
            "nothing written before the flush"
        );
        let written = store.flush().unwrap().unwrap();
        assert_eq!(repo.parents(&written).unwrap(), [before.unwrap()]);
        assert_eq!(store.flush().unwrap(), None, "a flush writes once");
        let log = store.log(10).unwrap();
        assert_eq!(log.len(), 2);
        assert!(
            log[0]
                .message
                .starts_with(&format!("reject {} and 47 more\n", fp(2))),
            "{}",
            log[0].message
        );
        batch.close();
        let fresh = LedgerStore::new(&repo, DEFAULT_REF, Identity::default());
        assert_eq!(fresh.read().unwrap().0.rejected.len(), 49);
    }

    #[test]
    fn a_batch_that_finds_the_ledger_moved_on_is_merged_into_it() {
        let (_t, one, two) = two_clones();

        let batch = Batch::default();
        batch.open();
        let store = LedgerStore::new(&one, DEFAULT_REF, Identity::default()).with_batch(&batch);
        store.update(&reject(1)).unwrap();
        store.update(&reject(2)).unwrap();
        // Meanwhile another run writes.
        LedgerStore::new(&two, DEFAULT_REF, Identity::default())
            .update(&reject(3))
            .unwrap();
        let merged = store.flush().unwrap().unwrap();
        assert_eq!(one.parents(&merged).unwrap().len(), 2);
        one.fetch().unwrap();
        let (ledger, _) = LedgerStore::new(&one, DEFAULT_REF, Identity::default())
            .read()
            .unwrap();
        assert_eq!(
            ledger.rejected.keys().cloned().collect::<Vec<_>>(),
            [fp(1), fp(2), fp(3)]
        );
    }
}
