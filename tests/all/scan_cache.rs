//! The scan cache: a warm scan finds exactly what a cold one finds, over
//! random sequences of committed edits (crate facts across files included);
//! another configuration does not use it; a damaged cache object costs one
//! warning and nothing else.

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestCaseError, TestRunner};

use patchwright::bot::tree_scan::{CacheUse, scan_tree_cached};
use patchwright::config::Config;
use patchwright::engine::scan::{CacheStats, ScanReport};
use patchwright::engine::skill::Skill;
use patchwright::engine::skills::Registry;
use patchwright::store::repo::Repo;
use patchwright::vocab::git_names::CommitSha;

use crate::support::git;

const FILES: [&str; 3] = ["src/lib.rs", "src/a.rs", "src/b.rs"];

/// One edit of the fixture crate.
#[derive(Debug, Clone)]
enum Step {
    /// A public struct (a `derive-debug` finding, unless another file
    /// writes its `Debug` by hand).
    Struct { file: usize, n: u8 },
    /// A hand-written `Debug` for the struct `n` of module `a`, in `file`:
    /// a crate fact that retracts a finding in another file.
    DebugImpl { file: usize, n: u8 },
    /// A `len() == 0` (a `len-zero` finding with a fix).
    LenZero { file: usize, n: u8 },
    /// A comment on top: every range below it moves.
    Comment { file: usize },
    /// The file's last line goes.
    DropLast { file: usize },
}

fn step() -> impl Strategy<Value = Step> {
    let file = 0..FILES.len();
    let n = 0u8..4;
    prop_oneof![
        (file.clone(), n.clone()).prop_map(|(file, n)| Step::Struct { file, n }),
        (file.clone(), n.clone()).prop_map(|(file, n)| Step::DebugImpl { file, n }),
        (file.clone(), n).prop_map(|(file, n)| Step::LenZero { file, n }),
        file.clone().prop_map(|file| Step::Comment { file }),
        file.prop_map(|file| Step::DropLast { file }),
    ]
}

fn apply(dir: &Path, step: &Step) {
    let (file, line) = match *step {
        Step::Struct { file, n } => (file, format!("pub struct S{n} {{ pub v: Vec<u8> }}\n")),
        Step::DebugImpl { file, n } => (
            file,
            format!(
                "impl std::fmt::Debug for crate::a::S{n} {{ fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {{ f.write_str(\"S\") }} }}\n"
            ),
        ),
        Step::LenZero { file, n } => (
            file,
            format!("pub fn e{n}(v: &[u8]) -> bool {{ v.len() == 0 }}\n"),
        ),
        Step::Comment { file } => {
            let path = dir.join(FILES[file]);
            let text = std::fs::read_to_string(&path).unwrap();
            std::fs::write(&path, format!("// a note\n{text}")).unwrap();
            return;
        }
        Step::DropLast { file } => {
            let path = dir.join(FILES[file]);
            let text = std::fs::read_to_string(&path).unwrap();
            let mut lines: Vec<&str> = text.lines().collect();
            // The module declarations of lib.rs stay.
            if lines.len() > 2 {
                lines.pop();
            }
            std::fs::write(
                &path,
                lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
            )
            .unwrap();
            return;
        }
    };
    let path = dir.join(FILES[file]);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&line);
    std::fs::write(&path, text).unwrap();
}

fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"cached\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), "pub mod a;\npub mod b;\n").unwrap();
    std::fs::write(
        dir.path().join("src/a.rs"),
        "pub struct S0 { pub v: Vec<u8> }\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("src/b.rs"), "").unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    commit(dir.path());
    dir
}

fn commit(dir: &Path) -> CommitSha {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "--allow-empty", "-m", "edit"]);
    git(dir, &["rev-parse", "HEAD"]).trim().parse().unwrap()
}

fn scan(dir: &Path, config: &Config, commit: &CommitSha, cache: CacheUse) -> ScanReport {
    let repo = Repo::open(dir, None, None).unwrap();
    let registry = Registry::builtin();
    let skills: Vec<&dyn Skill> = registry.select(config, &[]).unwrap();
    scan_tree_cached(&repo, config, commit, &skills, &[], cache).unwrap()
}

/// What a scan says, without how long it took or where the cache was.
fn said(report: &ScanReport) -> impl PartialEq + std::fmt::Debug {
    (
        report.findings().cloned().collect::<Vec<_>>(),
        report.sources(),
        report.crate_facts.clone(),
        report.warnings.clone(),
    )
}

#[test]
fn a_warm_scan_finds_what_a_cold_one_finds_over_any_edits() {
    let mut runner = TestRunner::new(RunnerConfig {
        cases: 8,
        failure_persistence: None,
        ..RunnerConfig::default()
    });
    let result = runner.run(&proptest::collection::vec(step(), 1..6), |steps| {
        let dir = fixture();
        let config = Config::default();
        let first = commit(dir.path());
        scan(dir.path(), &config, &first, CacheUse::Keep);
        for step in &steps {
            apply(dir.path(), step);
            let head = commit(dir.path());
            let cold = scan(dir.path(), &config, &head, CacheUse::Off);
            let warm = scan(dir.path(), &config, &head, CacheUse::Keep);
            prop_assert_eq!(said(&warm), said(&cold), "after {:?}", step);
            let stats = warm
                .cache
                .ok_or_else(|| TestCaseError::fail("no cache used"))?;
            prop_assert_eq!(stats.hits + stats.misses, warm.files.len());
            // A file that did not change came from the cache.
            prop_assert!(stats.hits + 1 >= warm.files.len(), "{:?}", stats);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn an_unchanged_tree_comes_wholly_from_the_cache_and_writes_nothing() {
    let dir = fixture();
    let config = Config::default();
    let head = commit(dir.path());
    let cold = scan(dir.path(), &config, &head, CacheUse::Keep);
    assert_eq!(cold.cache, Some(CacheStats { hits: 0, misses: 3 }));
    let stored = git(
        dir.path(),
        &["rev-parse", "refs/patchwright/state-scan-cache"],
    );
    let warm = scan(dir.path(), &config, &head, CacheUse::Keep);
    assert_eq!(warm.cache, Some(CacheStats { hits: 3, misses: 0 }));
    assert_eq!(
        git(
            dir.path(),
            &["rev-parse", "refs/patchwright/state-scan-cache"]
        ),
        stored,
        "nothing changed, nothing written"
    );
    // Read-only scans use it and leave it.
    apply(dir.path(), &Step::LenZero { file: 1, n: 1 });
    let next = commit(dir.path());
    let read = scan(dir.path(), &config, &next, CacheUse::Read);
    assert_eq!(read.cache, Some(CacheStats { hits: 2, misses: 1 }));
    assert_eq!(
        git(
            dir.path(),
            &["rev-parse", "refs/patchwright/state-scan-cache"]
        ),
        stored
    );
}

#[test]
fn a_configuration_change_invalidates_the_cache() {
    let dir = fixture();
    let head = commit(dir.path());
    let config = Config::default();
    scan(dir.path(), &config, &head, CacheUse::Keep);
    let mut changed = Config::default();
    changed.scan.max_nesting = 50;
    let other = scan(dir.path(), &changed, &head, CacheUse::Keep);
    assert_eq!(other.cache, Some(CacheStats { hits: 0, misses: 3 }));
    assert!(other.notes.is_empty(), "a stale cache is no surprise");
    let mut off = Config::default();
    off.scan.cache = false;
    assert_eq!(scan(dir.path(), &off, &head, CacheUse::Keep).cache, None);
}

#[test]
fn a_damaged_cache_object_is_ignored_with_one_warning() {
    let dir = fixture();
    let config = Config::default();
    let head = commit(dir.path());
    let cold = scan(dir.path(), &config, &head, CacheUse::Keep);
    // Another cache commit whose file is cut short, on the same ref.
    let blob = git(
        dir.path(),
        &[
            "cat-file",
            "blob",
            "refs/patchwright/state-scan-cache:scan-cache",
        ],
    );
    let cut = &blob[..blob.len() / 2];
    let damaged = crate::support::git_stdin(dir.path(), &["hash-object", "-w", "--stdin"], cut);
    let tree = crate::support::git_stdin(
        dir.path(),
        &["mktree"],
        &format!("100644 blob {}\tscan-cache\n", damaged.trim()),
    );
    let commit = git(dir.path(), &["commit-tree", tree.trim(), "-m", "damaged"]);
    git(
        dir.path(),
        &[
            "update-ref",
            "refs/patchwright/state-scan-cache",
            commit.trim(),
        ],
    );
    let warm = scan(dir.path(), &config, &head, CacheUse::Keep);
    assert_eq!(said(&warm), said(&cold));
    assert_eq!(warm.cache, Some(CacheStats { hits: 0, misses: 3 }));
    assert_eq!(
        warm.notes,
        [
            "refs/patchwright/state-scan-cache: the scan cache is ignored (its checksum does not match); every file is scanned afresh"
        ]
    );
    // The scan wrote a good one over it: the next is warm and quiet.
    let next = scan(dir.path(), &config, &head, CacheUse::Keep);
    assert_eq!(next.cache, Some(CacheStats { hits: 3, misses: 0 }));
    assert!(next.notes.is_empty());
}
