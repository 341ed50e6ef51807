//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// What a run of the binary printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `patchwright` with `args` in `cwd`, with no terminal and no log
/// override from the environment.
pub fn patchwright(cwd: &Path, args: &[&str]) -> Run {
    patchwright_with_env(cwd, args, &[])
}

/// [`patchwright`] with more environment (which the check command sees too).
pub fn patchwright_with_env(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_patchwright"))
        .args(args)
        .current_dir(cwd)
        .env_remove("PATCHWRIGHT_LOG")
        .envs(env.iter().copied())
        .output()
        .expect("the patchwright binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// Copies a directory tree (files and directories only).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every file under `dir` with its bytes, for before/after comparisons.
pub fn snapshot_tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push((
                    path.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&path).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

/// Compares `actual` with the golden file; `PATCHWRIGHT_BLESS=1` rewrites it.
pub fn assert_golden(path: &Path, actual: &str) {
    if std::env::var_os("PATCHWRIGHT_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_else(|_| {
        panic!(
            "missing golden file {}; run with PATCHWRIGHT_BLESS=1",
            path.display()
        )
    });
    if expected != actual {
        let diff = similar::TextDiff::from_lines(&expected, actual)
            .unified_diff()
            .header("golden", "actual")
            .to_string();
        panic!(
            "{} differs from the golden file (PATCHWRIGHT_BLESS=1 to accept):\n{diff}",
            path.display()
        );
    }
}

/// Runs git with a clean configuration and returns its trimmed stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    git_stdin(dir, args, "")
}

/// `git` with `input` on its standard input.
pub fn git_stdin(dir: &Path, args: &[&str], input: &str) -> String {
    use std::io::Write;
    let mut child = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Maintainer")
        .env("GIT_AUTHOR_EMAIL", "maintainer@example.com")
        .env("GIT_COMMITTER_NAME", "Maintainer")
        .env("GIT_COMMITTER_EMAIL", "maintainer@example.com")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("git runs");
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(input.as_bytes())
            .expect("git reads its input");
    }
    let out = child.wait_with_output().expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A project in a git repository with a bare `origin`, as a maintainer has it.
#[derive(Debug)]
pub struct Project {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
    pub work: PathBuf,
    pub origin: PathBuf,
}

impl Project {
    /// The sample crate committed on `main` with `config` as
    /// `.github/patchwright.yml`, pushed to a bare origin.
    pub fn sample(config: &str) -> Self {
        Self::sample_with(config, &[])
    }

    /// The sample crate with more files.
    pub fn sample_with(config: &str, files: &[(&str, &str)]) -> Self {
        Self::fixture("sample", config, files)
    }

    /// A fixture crate (`tests/fixtures/crates/<name>`) with `config` and
    /// more files.
    pub fn fixture(name: &str, config: &str, files: &[(&str, &str)]) -> Self {
        Self::new(&format!("the {name} crate"), |work| {
            copy_dir(&fixtures().join("crates").join(name), work);
            std::fs::create_dir_all(work.join(".github")).unwrap();
            std::fs::write(work.join(".github/patchwright.yml"), config).unwrap();
            std::fs::write(work.join(".gitignore"), "/target\n").unwrap();
            for (path, text) in files {
                std::fs::write(work.join(path), text).unwrap();
            }
        })
    }

    /// A repository whose first commit on `main` holds what `fill` writes
    /// into the work tree, pushed to a bare origin.
    pub fn new(message: &str, fill: impl FnOnce(&Path)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let work = root.join("work");
        let origin = root.join("origin.git");
        git(
            &root,
            &[
                "init",
                "-q",
                "--bare",
                "-b",
                "main",
                origin.to_str().unwrap(),
            ],
        );
        std::fs::create_dir_all(&work).unwrap();
        fill(&work);
        git(&work, &["init", "-q", "-b", "main"]);
        git(&work, &["add", "."]);
        git(&work, &["commit", "-qm", message]);
        git(
            &work,
            &["remote", "add", "origin", origin.to_str().unwrap()],
        );
        git(&work, &["push", "-q", "origin", "main"]);
        Self {
            _dir: dir,
            root,
            work,
            origin,
        }
    }

    /// A fresh clone of origin, as another person or machine has it.
    pub fn clone_as(&self, name: &str) -> PathBuf {
        let path = self.root.join(name);
        git(
            &self.root,
            &[
                "clone",
                "-q",
                self.origin.to_str().unwrap(),
                path.to_str().unwrap(),
            ],
        );
        path
    }

    /// Every ref of the bare origin with its target.
    pub fn origin_refs(&self) -> String {
        git(
            &self.origin,
            &["for-each-ref", "--format=%(refname) %(objectname)"],
        )
    }

    /// Proposal branch names of the work repository itself.
    pub fn local_branches(&self) -> Vec<String> {
        git(
            &self.work,
            &[
                "for-each-ref",
                "--format=%(refname:short)",
                "refs/heads/patchwright/",
            ],
        )
        .lines()
        .map(str::to_owned)
        .collect()
    }

    /// Proposal branch names on origin.
    pub fn proposal_branches(&self) -> Vec<String> {
        git(
            &self.origin,
            &[
                "for-each-ref",
                "--format=%(refname:short)",
                "refs/heads/patchwright/",
            ],
        )
        .lines()
        .map(str::to_owned)
        .collect()
    }

    /// First lines of the ledger's commits on origin, oldest first.
    pub fn ledger_events(&self) -> Vec<String> {
        let exists = Command::new("git")
            .args(["rev-parse", "--verify", "-q", "refs/patchwright/state"])
            .current_dir(&self.origin)
            .output()
            .unwrap();
        if !exists.status.success() {
            return Vec::new();
        }
        let log = git(
            &self.origin,
            &["log", "--reverse", "--format=%s", "refs/patchwright/state"],
        );
        log.lines().map(str::to_owned).collect()
    }

    pub fn ledger_json(&self) -> serde_json::Value {
        let text = git(
            &self.origin,
            &["show", "refs/patchwright/state:ledger.json"],
        );
        serde_json::from_str(&text).unwrap()
    }
}

impl Project {
    /// Changes the ledger on origin as a person with push access could: a
    /// new commit on top of the current one.
    pub fn rewrite_ledger(&self, change: impl FnOnce(&mut serde_json::Value)) {
        let clone = self
            .root
            .join(format!("ledger-edit-{}", std::process::id()));
        if clone.exists() {
            std::fs::remove_dir_all(&clone).unwrap();
        }
        git(
            &self.root,
            &[
                "clone",
                "-q",
                self.origin.to_str().unwrap(),
                clone.to_str().unwrap(),
            ],
        );
        git(
            &clone,
            &[
                "fetch",
                "-q",
                "origin",
                "refs/patchwright/state:refs/patchwright/state",
            ],
        );
        git(&clone, &["checkout", "-q", "refs/patchwright/state"]);
        let mut ledger: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(clone.join("ledger.json")).unwrap())
                .unwrap();
        change(&mut ledger);
        std::fs::write(
            clone.join("ledger.json"),
            serde_json::to_string_pretty(&ledger).unwrap() + "\n",
        )
        .unwrap();
        git(&clone, &["commit", "-qam", "edit the ledger by hand"]);
        git(
            &clone,
            &["push", "-q", "origin", "HEAD:refs/patchwright/state"],
        );
        std::fs::remove_dir_all(&clone).unwrap();
    }
}

/// The skills of the proposals in `ledger` that have an outcome of `kind`,
/// sorted.
pub fn skills_with_outcome(ledger: &serde_json::Value, kind: &str) -> Vec<String> {
    let mut skills: Vec<String> = ledger["proposals"]
        .as_object()
        .into_iter()
        .flat_map(|proposals| proposals.values())
        .filter(|p| {
            p["outcomes"]
                .as_array()
                .is_some_and(|outcomes| outcomes.iter().any(|o| o["kind"] == kind))
        })
        .filter_map(|p| p["skill"].as_str().map(str::to_owned))
        .collect();
    skills.sort();
    skills
}
