//! Build directories patchwright keeps so that each compile and check
//! builds only what changed (`.git/patchwright/target` for `run`, one
//! directory per project under `~/.cache/patchwright/validate/` for `fix`).
//! They grow like any cargo target directory, so they are bounded: after a
//! compile, the least recently used ones are removed until the rest fit in
//! `cache.max_megabytes`; `patchwright gc` removes them now.

use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Written into a build directory each time a command uses it: its mtime
/// says when it was last used.
const USED: &str = ".patchwright-used";

/// Notes that `dir` is used now (creating it if needed).
pub fn touch(dir: &Path) {
    let stamp = dir.join(USED);
    let result = std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&stamp, b""));
    if let Err(e) = result {
        tracing::debug!("cannot stamp {}: {e}", stamp.display());
    }
}

/// Bytes under `path` (files only; symbolic links are not followed).
pub fn size(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| size(&e.path()))
                .sum()
        })
        .unwrap_or(0)
}

/// When `dir` was last used (its stamp, else the directory itself).
fn last_used(dir: &Path) -> SystemTime {
    std::fs::metadata(dir.join(USED))
        .or_else(|_| std::fs::metadata(dir))
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// A build directory and its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildDir {
    pub path: PathBuf,
    pub bytes: u64,
}

/// What trimming did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trimmed {
    pub removed: Vec<BuildDir>,
    /// Bytes still kept.
    pub kept: u64,
}

/// Removes whole directories of `dirs`, least recently used first, until
/// the rest take at most `max_bytes`. A directory that is not there counts
/// for nothing; one that cannot be removed is an error.
pub fn trim(dirs: &[PathBuf], max_bytes: u64) -> io::Result<Trimmed> {
    let mut present: Vec<(SystemTime, BuildDir)> = dirs
        .iter()
        .filter(|d| d.is_dir())
        .map(|d| {
            (
                last_used(d),
                BuildDir {
                    path: d.clone(),
                    bytes: size(d),
                },
            )
        })
        .collect();
    present.sort_by_key(|(used, _)| *used);
    let mut total: u64 = present.iter().map(|(_, d)| d.bytes).sum();
    let mut removed = Vec::new();
    for (_, dir) in present {
        if total <= max_bytes {
            break;
        }
        std::fs::remove_dir_all(&dir.path)?;
        total -= dir.bytes;
        removed.push(dir);
    }
    Ok(Trimmed {
        removed,
        kept: total,
    })
}

/// The build directories of `fix` for every project: the children of
/// `root` (`~/.cache/patchwright/validate`).
pub fn children(root: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(root)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(dir: &Path, bytes: usize) {
        std::fs::create_dir_all(dir.join("debug/deps")).unwrap();
        std::fs::write(dir.join("debug/deps/lib.rlib"), vec![0u8; bytes]).unwrap();
    }

    #[test]
    fn the_least_recently_used_go_first_until_the_rest_fit() {
        let root = tempfile::tempdir().unwrap();
        let (old, mid, new) = (
            root.path().join("old"),
            root.path().join("mid"),
            root.path().join("new"),
        );
        for dir in [&old, &mid, &new] {
            filled(dir, 1000);
            touch(dir);
            // Stamps a clock tick apart, whatever the file system's resolution.
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        touch(&old);
        let dirs = [
            old.clone(),
            mid.clone(),
            new.clone(),
            root.path().join("gone"),
        ];
        assert_eq!(size(&old), 1000);
        let trimmed = trim(&dirs, 2500).unwrap();
        assert_eq!(
            trimmed.removed,
            [BuildDir {
                path: mid.clone(),
                bytes: 1000
            }]
        );
        assert_eq!(trimmed.kept, 2000);
        assert!(!mid.exists() && old.exists() && new.exists());
        assert_eq!(trim(&dirs, 5000).unwrap().removed, []);
        assert_eq!(trim(&dirs, 0).unwrap().kept, 0);
        assert!(!old.exists() && !new.exists());
    }
}
