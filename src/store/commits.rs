//! Commits built from trees in the object database — for proposals, the
//! ledger and reverts — and a commit's tree written out to a directory to
//! scan or check it.

use std::collections::BTreeMap;
use std::path::Path;

use git2::{ObjectType, Oid};

use super::repo::{Changes, Context, GitError, Repo};
use crate::config::Identity;
use crate::vocab::git_names::CommitSha;
use crate::vocab::rel_path::RelPath;

impl Repo {
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

    /// A commit of exactly `files` (no base) on `parents` (none, one, or
    /// two histories it joins), for the ledger.
    pub fn write_root_or_child(
        &self,
        parents: &[&CommitSha],
        files: &Changes,
        message: &str,
        identity: &Identity,
    ) -> Result<CommitSha, GitError> {
        let tree = self.write_tree(None, files)?;
        self.commit_tree(tree, parents, message, identity)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::*;
    use crate::vocab::rel_path::RelPath;

    fn path(p: &str) -> RelPath {
        p.parse().unwrap()
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
