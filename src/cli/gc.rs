//! `gc` and the bound on build directories: compiles and checks keep their
//! builds between runs (so each builds only what changed); after `run` and
//! `fix`, the least recently used are removed until the rest fit in
//! `cache.max_megabytes`, and `gc` removes them now.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};

use patchwright::config::Config;
use patchwright::engine::skills::Registry;
use patchwright::store::repo::Repo;
use patchwright::sys::build_cache::{self, BuildDir};
use patchwright::vocab::hash::content_hash;

use crate::cli::args::{GcArgs, Options};
use crate::cli::output::note;

/// Where `fix` keeps one build directory per project.
pub fn fix_cache_root() -> PathBuf {
    cache_home().join("validate")
}

/// Where `scan` and `fix` keep the scan cache of the project at `root`.
pub fn scan_cache_file(root: &Path) -> PathBuf {
    cache_home().join("scan").join(project_key(root))
}

/// One name per project directory, wherever it is reached from.
fn project_key(root: &Path) -> String {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    content_hash(root.to_string_lossy().as_bytes())
}

/// The user's cache directory for patchwright.
fn cache_home() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|d| !d.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })
        .unwrap_or_else(std::env::temp_dir)
        .join("patchwright")
}

/// `fix`'s build directory for the project at `root`.
pub fn fix_cache_dir(root: &Path) -> PathBuf {
    fix_cache_root().join(project_key(root))
}

/// `run`'s build directory in the repository at `git_dir`.
pub fn run_cache_dir(git_dir: &Path) -> PathBuf {
    git_dir.join("patchwright").join("target")
}

/// Keeps the build directories within `cache.max_megabytes`, least
/// recently used removed first; says what it removed.
pub fn keep_within_bound(config: &Config, git_dir: Option<&Path>) {
    let mut dirs = build_cache::children(&fix_cache_root());
    dirs.extend(git_dir.map(run_cache_dir));
    match build_cache::trim(&dirs, config.cache.max_bytes()) {
        Ok(trimmed) => {
            for dir in &trimmed.removed {
                note!(
                    "removed the build directory {} ({}; cache.max_megabytes is {})",
                    dir.path.display(),
                    megabytes(dir.bytes),
                    config.cache.max_megabytes
                );
            }
        }
        Err(e) => {
            tracing::warn!("cannot keep the build directories within cache.max_megabytes: {e}")
        }
    }
}

fn megabytes(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / (1024.0 * 1024.0))
}

pub fn gc(cli: &Options, registry: &Registry, args: GcArgs) -> Result<ExitCode> {
    let GcArgs { path, all } = args;
    let mut dirs = vec![fix_cache_dir(&path)];
    if let Ok(repo) = Repo::open(&path, None, None) {
        dirs.push(run_cache_dir(repo.git_dir()));
        // The configured bound does not matter here, but a broken
        // configuration is still worth saying.
        if let Err(e) = Config::load(repo.root(), cli.config.as_deref(), &registry.ids()) {
            tracing::warn!("{e}");
        }
    }
    if all {
        dirs.extend(build_cache::children(&fix_cache_root()));
    }
    dirs.sort();
    dirs.dedup();
    let present: Vec<BuildDir> = dirs
        .iter()
        .filter(|d| d.is_dir())
        .map(|d| BuildDir {
            path: d.clone(),
            bytes: build_cache::size(d),
        })
        .collect();
    if present.is_empty() {
        note!("no build directories to remove");
        return Ok(ExitCode::SUCCESS);
    }
    let mut freed = 0;
    for dir in &present {
        std::fs::remove_dir_all(&dir.path)
            .with_context(|| format!("cannot remove {}", dir.path.display()))?;
        note!("removed {} ({})", dir.path.display(), megabytes(dir.bytes));
        freed += dir.bytes;
    }
    note!("freed {}", megabytes(freed));
    Ok(ExitCode::SUCCESS)
}
