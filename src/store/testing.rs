//! Real repositories in temp dirs for the store's tests: a work tree with
//! a bare `origin`.

use std::path::{Path, PathBuf};

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
