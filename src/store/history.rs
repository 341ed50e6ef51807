//! A branch's history as the changes people made to Rust files: for
//! `rules mine`, which looks for the same hand fix made again and again.
//! Only small commits count (a big one is a refactoring or a merge of
//! work, not a fix), and only files that were there before and after.

use git2::{Delta, Sort};

use super::repo::{Context, GitError, Repo, oid};
use crate::vocab::git_names::CommitSha;

/// Which commits are read.
#[derive(Debug, Clone, Copy)]
pub struct HistoryLimits {
    /// Commits older than this (seconds since the epoch) are not read.
    pub since: i64,
    /// Commits that change more Rust files than this are not read.
    pub max_files: usize,
    /// Nor those whose Rust files are larger than this (either side).
    pub max_file_bytes: usize,
    /// At most this many commits are read, newest first.
    pub max_commits: usize,
}

/// One commit's change to one Rust file.
#[derive(Debug, Clone)]
pub struct FileChange {
    pub commit: CommitSha,
    pub author: String,
    /// Author time, seconds since the epoch.
    pub time: i64,
    pub path: String,
    pub old: String,
    pub new: String,
}

impl Repo {
    /// The Rust files changed by each small non-merge commit reachable
    /// from `tip`, newest first.
    pub fn rust_changes(
        &self,
        tip: &CommitSha,
        limits: HistoryLimits,
    ) -> Result<Vec<FileChange>, GitError> {
        let mut walk = self
            .repo
            .revwalk()
            .context(|| "cannot walk the history".to_owned())?;
        walk.set_sorting(Sort::TIME)
            .context(|| "cannot walk the history".to_owned())?;
        walk.push(oid(tip))
            .context(|| format!("cannot walk the history from {tip}"))?;
        let mut out = Vec::new();
        for (read, id) in walk.enumerate() {
            if read >= limits.max_commits {
                break;
            }
            let id = id.context(|| "cannot walk the history".to_owned())?;
            let commit = self
                .repo
                .find_commit(id)
                .context(|| format!("cannot read commit {id}"))?;
            let time = commit.author().when().seconds();
            if time < limits.since {
                // Sorted by time: the rest is older still.
                break;
            }
            if commit.parent_count() != 1 {
                continue;
            }
            let (Ok(parent), Ok(tree)) = (commit.parent(0), commit.tree()) else {
                continue;
            };
            let Ok(parent_tree) = parent.tree() else {
                continue;
            };
            let diff = self
                .repo
                .diff_tree_to_tree(Some(&parent_tree), Some(&tree), None)
                .context(|| format!("cannot diff commit {id}"))?;
            let rust: Vec<_> = diff
                .deltas()
                .filter(|d| {
                    d.new_file()
                        .path()
                        .is_some_and(|p| p.extension().is_some_and(|e| e == "rs"))
                })
                .collect();
            if rust.is_empty() || rust.len() > limits.max_files {
                continue;
            }
            let author = String::from_utf8_lossy(commit.author().email_bytes()).into_owned();
            for delta in rust {
                if delta.status() != Delta::Modified {
                    continue;
                }
                let text = |id: git2::Oid| {
                    let blob = self.repo.find_blob(id).ok()?;
                    let bytes = blob.content();
                    (bytes.len() <= limits.max_file_bytes)
                        .then(|| String::from_utf8(bytes.to_vec()).ok())
                        .flatten()
                };
                let (Some(old), Some(new)) =
                    (text(delta.old_file().id()), text(delta.new_file().id()))
                else {
                    continue;
                };
                out.push(FileChange {
                    commit: id.into(),
                    author: author.clone(),
                    time,
                    path: delta
                        .new_file()
                        .path()
                        .map(|p| p.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    old,
                    new,
                });
            }
        }
        Ok(out)
    }
}
