//! Where a scan's cache lives in git: one file in a parentless commit on a
//! ref beside the ledger's (`refs/patchwright/state-scan-cache` for the
//! default ledger). It travels with the ledger — a fetch of
//! `refs/patchwright/*` brings both, so an Actions run needs no cache step —
//! but outside the ledger's history: each cache replaces the last, and the
//! old one is garbage for git to collect instead of history to keep.

use super::repo::{GitError, Repo};
use crate::config::Identity;
use crate::vocab::git_names::CommitSha;
use crate::vocab::rel_path::RelPath;

/// The file in the cache's commit.
const FILE: &str = "scan-cache";

fn file() -> RelPath {
    FILE.parse()
        .unwrap_or_else(|_| unreachable!("a plain file name"))
}

/// The ref of the scan cache for the ledger at `ledger_ref`.
pub fn cache_ref(ledger_ref: &str) -> String {
    format!("{ledger_ref}-scan-cache")
}

/// A scan cache as read from git: its bytes and the commit holding them.
#[derive(Debug)]
pub struct StoredCache {
    pub commit: CommitSha,
    pub bytes: Vec<u8>,
}

impl Repo {
    /// The scan cache on `refname` as last fetched, if there is one.
    pub fn read_scan_cache(&self, refname: &str) -> Result<Option<StoredCache>, GitError> {
        let Some(commit) = self.resolve(&self.published_ref(refname))? else {
            return Ok(None);
        };
        if self.object_kind(&commit) != Some("commit") {
            return Ok(None);
        }
        Ok(self
            .read_file(&commit, &file())?
            .map(|bytes| StoredCache { commit, bytes }))
    }

    /// Replaces the scan cache on `refname` (here and on the remote) with
    /// `text`, if the ref still points at `expected`.
    pub fn write_scan_cache(
        &self,
        refname: &str,
        text: &str,
        expected: Option<&CommitSha>,
        identity: &Identity,
    ) -> Result<CommitSha, GitError> {
        let files = std::collections::BTreeMap::from([(file(), Some(text.as_bytes().to_vec()))]);
        let commit = self.write_root_or_child(&[], &files, "scan cache", identity)?;
        self.update_ref(refname, &commit, expected)?;
        Ok(commit)
    }
}
