//! Fixes proven with real `cargo check` before anyone sees them: what does
//! not compile is dropped with the compiler's reason, the rest is kept, and
//! a base cargo cannot build is not validated at all.

use std::path::Path;

use patchwright::config::ValidateSettings;
use patchwright::engine::scan::{self, ScanOptions, ScanReport};
use patchwright::engine::skill::Skill;
use patchwright::engine::skills::Registry;
use patchwright::engine::validate::{self, Compiler, Outcome};
use patchwright::engine::workspace::Workspace;

use crate::support::{copy_dir, fixtures};

/// The fixture crate in a temp dir, scanned with every skill.
fn scanned(crate_name: &str) -> (tempfile::TempDir, ScanReport) {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("crates").join(crate_name), dir.path());
    let registry = Registry::builtin();
    let skills: Vec<&dyn Skill> = registry.all().collect();
    let workspace = Workspace::discover(dir.path(), &Default::default()).unwrap();
    let options = ScanOptions {
        keep_fixable_sources: true,
        ..ScanOptions::default()
    };
    let report = scan::scan(&workspace, &skills, &options, &|_| {});
    (dir, report)
}

fn compiler(target: &Path) -> Compiler {
    Compiler::new(&ValidateSettings::default(), target.to_path_buf()).unwrap()
}

#[test]
fn fixes_that_do_not_compile_are_dropped_with_the_compilers_reason() {
    let (dir, report) = scanned("uncompilable");
    let target = tempfile::tempdir().unwrap();
    let compiler = compiler(target.path());
    let scratch = validate::scratch_copy(dir.path()).unwrap();
    let fixes: Vec<_> = report.fixes().cloned().collect();
    assert_eq!(fixes.len(), 6);
    let validation =
        validate::validate(&compiler, scratch.path(), &report.sources(), &fixes, 3).unwrap();

    assert_eq!(validation.outcome, Outcome::Compiled);
    assert_eq!(
        validation.rounds, 2,
        "one compile finds both, the next proves the rest"
    );
    let message_of = |fp: &patchwright::vocab::ids::Fingerprint| {
        report
            .findings()
            .find(|f| f.fingerprint == *fp)
            .unwrap()
            .message
            .clone()
    };
    let mut dropped: Vec<(String, String)> = validation
        .dropped
        .iter()
        .map(|(fp, why)| (message_of(fp), why.clone()))
        .collect();
    dropped.sort();
    assert_eq!(dropped.len(), 2, "{dropped:#?}");
    assert_eq!(
        dropped[0].0,
        "`bag.len() == 0` reads better as `bag.is_empty()`"
    );
    assert!(
        dropped[0]
            .1
            .starts_with("E0061 at src/lib.rs:22: this method takes 1 argument"),
        "{}",
        dropped[0].1
    );
    assert_eq!(
        dropped[1].0,
        "public struct `Error` does not implement `Debug`"
    );
    assert!(
        dropped[1]
            .1
            .starts_with("E0119 at src/shapes.rs:4: conflicting implementations"),
        "{}",
        dropped[1].1
    );
    assert_eq!(validation.applied.applied.len(), 4);
    insta::assert_snapshot!(
        validation.summary(&compiler, 3).replace(&dropped[0].1, "<why>").replace(&dropped[1].1, "<why>"),
        @"compiled with `cargo check --workspace --all-targets` (round 2 of 3; 2 fixes dropped, the first: <why>)"
    );

    // What is kept compiles, for real, in the user's copy too.
    for (path, patched) in &validation.applied.files {
        std::fs::write(path.to_path(dir.path()), &patched.new).unwrap();
    }
    let check = std::process::Command::new("cargo")
        .args(["check", "--quiet", "--offline"])
        .current_dir(dir.path())
        .env("CARGO_TARGET_DIR", target.path())
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn the_users_tree_is_never_touched_and_a_clean_batch_costs_one_compile() {
    let (dir, report) = scanned("uncompilable");
    let before = crate::support::snapshot_tree(dir.path());
    let target = tempfile::tempdir().unwrap();
    let scratch = validate::scratch_copy(dir.path()).unwrap();
    // Only the fixes that compile: one round proves them.
    let good: Vec<_> = report
        .findings()
        .filter(|f| {
            f.message.contains("bytes")
                || f.message.contains("Point")
                || f.message.contains("count")
        })
        .filter_map(|f| f.fix.clone())
        .collect();
    assert_eq!(good.len(), 3);
    let validation = validate::validate(
        &compiler(target.path()),
        scratch.path(),
        &report.sources(),
        &good,
        3,
    )
    .unwrap();
    assert_eq!(validation.rounds, 1);
    assert!(validation.dropped.is_empty());
    assert_eq!(crate::support::snapshot_tree(dir.path()), before);
    assert!(!dir.path().join("target").exists());
}

#[test]
fn a_base_cargo_cannot_build_is_not_validated() {
    let (dir, report) = scanned("uncompilable");
    let manifest = dir.path().join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace(
            "[dependencies]",
            "[dependencies]\nno-such-crate-patchwright-test = { path = \"../nowhere\" }",
        ),
    )
    .unwrap();
    let target = tempfile::tempdir().unwrap();
    let scratch = validate::scratch_copy(dir.path()).unwrap();
    let fixes: Vec<_> = report.fixes().cloned().collect();
    let validation = validate::validate(
        &compiler(target.path()),
        scratch.path(),
        &report.sources(),
        &fixes,
        3,
    )
    .unwrap();
    let Outcome::Skipped(why) = &validation.outcome else {
        panic!("{:?}", validation.outcome);
    };
    assert!(
        why.contains("no-such-crate-patchwright-test") || why.contains("nowhere"),
        "{why}"
    );
    assert!(
        validation.dropped.is_empty(),
        "nothing is dropped for the base's sake"
    );
    assert_eq!(validation.applied.applied.len(), fixes.len());
}

#[test]
fn settings_shape_the_command() {
    let settings = ValidateSettings {
        command: "cargo check --lib --message-format=json".into(),
        ..ValidateSettings::default()
    };
    let compiler = Compiler::new(&settings, "t".into()).unwrap();
    assert_eq!(compiler.describe(), "cargo check --lib");
    assert!(
        Compiler::new(
            &ValidateSettings {
                command: "  ".into(),
                ..ValidateSettings::default()
            },
            "t".into()
        )
        .is_err()
    );
}

#[test]
fn fix_apply_writes_only_what_compiles_and_says_what_it_dropped() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("crates/uncompilable"), dir.path());
    let cache = tempfile::tempdir().unwrap();
    let run = crate::support::patchwright_with_env(
        dir.path(),
        &["fix", "--apply"],
        &[("XDG_CACHE_HOME", cache.path().to_str().unwrap())],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert!(
        lines.contains(&"dropped src/lib.rs:22 len-zero: E0061 at src/lib.rs:22: this method takes 1 argument but 0 arguments were supplied"),
        "{}",
        run.stderr
    );
    assert!(
        lines.iter().any(|l| l.starts_with("dropped src/shapes.rs:4 derive-debug: E0119 at src/shapes.rs:4: conflicting implementations of trait `Debug`")),
        "{}",
        run.stderr
    );
    assert_eq!(lines.last(), Some(&"4 fixes in 2 files"), "{}", run.stderr);
    assert!(
        !dir.path().join("target").exists(),
        "builds go to the cache"
    );
    let check = std::process::Command::new("cargo")
        .args(["check", "--quiet", "--offline", "--all-targets"])
        .current_dir(dir.path())
        .env("CARGO_TARGET_DIR", cache.path().join("check"))
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    // The dropped ones are still found, and still not written.
    let again = crate::support::patchwright_with_env(
        dir.path(),
        &["fix", "--apply"],
        &[("XDG_CACHE_HOME", cache.path().to_str().unwrap())],
    );
    let dropped_again = again
        .stderr
        .lines()
        .filter(|l| l.starts_with("dropped "))
        .count();
    assert_eq!(dropped_again, 2, "{}", again.stderr);
    assert!(
        again.stderr.ends_with("nothing to fix\n"),
        "{}",
        again.stderr
    );
}

#[test]
fn run_proposes_only_what_compiles_and_holds_the_rest_until_its_file_changes() {
    use crate::support::{Project, git, patchwright};
    let project = Project::fixture("uncompilable", "limits:\n  max_prs_per_run: 10\n", &[]);
    let first = patchwright(&project.work, &["run", "--no-checks"]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    for dropped in [
        "dropped src/lib.rs:22 len-zero: E0061 at src/lib.rs:22: this method takes 1 argument",
        "dropped src/shapes.rs:4 derive-debug: E0119 at src/shapes.rs:4: conflicting implementations",
    ] {
        assert!(first.stdout.contains(dropped), "{}", first.stdout);
    }
    assert!(
        first.stdout.contains(
            "fixes compiled with `cargo check --workspace --all-targets` (round 2 of 3; 2 fixes dropped"
        ),
        "{}",
        first.stdout
    );
    assert_eq!(project.proposal_branches().len(), 3, "{}", first.stdout);
    let derive = project
        .proposal_branches()
        .into_iter()
        .find(|b| b.contains("derive-debug"))
        .unwrap();
    let shapes = git(
        &project.origin,
        &["show", &format!("{derive}:src/shapes.rs")],
    );
    assert!(
        shapes.contains("#[derive(Debug)]\npub struct Point"),
        "{shapes}"
    );
    assert!(
        !shapes.contains("#[derive(Debug)]\npub struct Error"),
        "{shapes}"
    );
    let ledger = project.ledger_json();
    let held = ledger["failed_fixes"].as_object().unwrap();
    assert_eq!(held.len(), 2);
    assert!(
        held.values()
            .all(|f| f["proposal"].is_null() && f["reason"].is_string())
    );
    let ignored = patchwright(&project.work, &["ignored"]);
    assert!(
        ignored
            .stdout
            .contains("**Fixes held until their file changes** (2)"),
        "{}",
        ignored.stdout
    );
    assert!(
        ignored.stdout.contains(
            "E0119 at src/shapes.rs:4: conflicting implementations of trait `Debug` for type `shapes::Error` | `src/shapes.rs` |"
        ),
        "{}",
        ignored.stdout
    );

    let held_fp = held
        .iter()
        .find(|(_, f)| f["reason"].as_str().unwrap().starts_with("E0119"))
        .map(|(fp, _)| fp.clone())
        .unwrap();
    let explained = patchwright(&project.work, &["explain", &held_fp]);
    assert_eq!(explained.code, 0, "{}", explained.stderr);
    assert!(
        explained
            .stdout
            .contains("has not been proposed: its fix is held since")
            && explained
                .stdout
                .contains("because E0119 at src/shapes.rs:4")
            && explained
                .stdout
                .contains("once `src/shapes.rs` has changed"),
        "{}",
        explained.stdout
    );

    // Held until their files change: not planned, not compiled again.
    let second = patchwright(&project.work, &["run", "--no-checks"]);
    assert!(
        second.stdout.contains(
            "waiting: 2 findings because their fix did not compile and the file has not changed since"
        ),
        "{}",
        second.stdout
    );
    assert!(!second.stdout.contains("dropped"), "{}", second.stdout);

    // Once `Bag` has `is_empty`, its fix compiles and is proposed.
    let maint = project.clone_as("maintainer");
    let lib = std::fs::read_to_string(maint.join("src/lib.rs")).unwrap();
    std::fs::write(
        maint.join("src/lib.rs"),
        lib.replace(
            "    pub fn len(&self) -> usize {",
            "    pub fn is_empty(&self) -> bool {\n        self.items.is_empty()\n    }\n\n    pub fn len(&self) -> usize {",
        ),
    )
    .unwrap();
    git(&maint, &["commit", "-qam", "Bag::is_empty"]);
    git(&maint, &["push", "-q", "origin", "main"]);
    let third = patchwright(&project.work, &["run", "--no-checks"]);
    assert!(
        third
            .stdout
            .contains("waiting: 1 finding because their fix did not compile"),
        "only the derive is still held: {}",
        third.stdout
    );
    assert!(!third.stdout.contains("dropped"), "{}", third.stdout);
    // It joins the open len-zero proposal rather than opening a second.
    assert_eq!(project.proposal_branches().len(), 3, "{}", third.stdout);
    assert!(
        third.stdout.contains("updated (+1) patchwright/len-zero/")
            && third.stdout.contains("in `uncompilable` (2 places)"),
        "{}",
        third.stdout
    );
}

#[test]
fn the_validation_bench_shows_one_compile_for_a_clean_batch() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("crates/uncompilable"), dir.path());
    let run = crate::support::patchwright(
        dir.path(),
        &["bench", "--validate", ".", "--format", "json"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let runs = report["runs"].as_array().unwrap();
    let shape: Vec<(u64, u64, u64, u64)> = runs
        .iter()
        .map(|r| {
            let n = |k: &str| r[k].as_u64().unwrap();
            (n("fixes"), n("rounds"), n("compiles"), n("dropped"))
        })
        .collect();
    // Six fixes: two rounds and the base's compile to drop two; the four
    // that compile take one compile.
    assert_eq!(shape, [(6, 2, 3, 2), (6, 2, 3, 2), (4, 1, 1, 0)]);
    assert!(!dir.path().join("target").exists());
}

#[test]
fn a_compile_past_its_time_is_stopped_and_a_missing_cargo_skips_validation() {
    let dir = tempfile::tempdir().unwrap();
    let slow = Compiler::for_command("sleep 30", 0, dir.path().join("t"), false).unwrap();
    let started = std::time::Instant::now();
    let err = slow.compile(dir.path()).unwrap_err();
    assert!(
        matches!(err, validate::ValidateError::TimedOut { .. }),
        "{err}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));

    use crate::support::{Project, patchwright};
    let project = Project::fixture(
        "uncompilable",
        "validate:\n  command: no-such-cargo-here --message-format=json\nlimits:\n  max_prs_per_run: 10\n",
        &[],
    );
    let run = patchwright(&project.work, &["run", "--no-checks"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("fixes not compiled: cannot run `no-such-cargo-here --message-format=json`"),
        "{}",
        run.stdout
    );
    assert_eq!(project.proposal_branches().len(), 3, "{}", run.stdout);
}

/// A package at the root with a workspace member: a plain `cargo check`
/// there checks only the root package, so fixes in the member would pass
/// unproven.
#[test]
fn fixes_in_a_workspace_member_are_compiled_too() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[workspace]\nmembers = [\"member\"]\n\n[package]\nname = \"root\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), "//! Nothing to fix here.\n").unwrap();
    copy_dir(
        &fixtures().join("crates/uncompilable"),
        &dir.path().join("member"),
    );
    std::fs::remove_file(dir.path().join("member/Cargo.lock")).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let run = crate::support::patchwright_with_env(
        dir.path(),
        &["fix"],
        &[("XDG_CACHE_HOME", cache.path().to_str().unwrap())],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let dropped = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("dropped member/src/"))
        .count();
    assert_eq!(dropped, 2, "{}", run.stderr);
}

#[test]
fn the_fix_bench_counts_per_skill_what_breaks_the_build() {
    let corpus = tempfile::tempdir().unwrap();
    copy_dir(
        &fixtures().join("crates").join("uncompilable"),
        &corpus.path().join("uncompilable"),
    );
    // A crate whose base does not build is left out, saying why.
    std::fs::create_dir_all(corpus.path().join("broken/src")).unwrap();
    std::fs::write(
        corpus.path().join("broken/Cargo.toml"),
        "[package]\nname = \"broken\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(
        corpus.path().join("broken/src/lib.rs"),
        "pub fn f() -> u8 { \"no\" }\n",
    )
    .unwrap();

    let bench = patchwright::engine::bench::fixes::run(
        corpus.path(),
        &ValidateSettings::default(),
        &|_| {},
    )
    .unwrap();
    assert_eq!(bench.crates, ["uncompilable"]);
    assert_eq!(bench.skipped.len(), 1);
    assert_eq!(bench.skipped[0].0, "broken");
    assert!(
        bench.skipped[0]
            .1
            .starts_with("its base does not compile ("),
        "{:?}",
        bench.skipped
    );
    let figures = |id: &str| {
        let s = bench.skills.iter().find(|s| s.skill == id).unwrap();
        (
            s.fixes,
            s.breaking,
            s.crates_broken,
            s.broken_validated,
            s.rustfmt_dirty,
            s.comments_lost,
        )
    };
    assert_eq!(figures("derive-debug"), (3, 1, 1, 0, 0, 0));
    assert_eq!(figures("len-zero"), (2, 1, 1, 0, 0, 0));
    assert_eq!(figures("inline-format-args"), (1, 0, 0, 0, 0, 0));
    let text = bench.to_text();
    assert!(
        text.contains("uncompilable: E0119 at src/shapes.rs:4"),
        "{text}"
    );
    assert!(text.contains("broken: its base does not compile"), "{text}");
}

/// `Debug` decided in other files: a field's type without it declared
/// elsewhere, one with it only under a feature (in a `cfg`-gated module, or
/// from a macro under `#[cfg]`). Only the derives that compile are offered,
/// and the compiler agrees.
#[test]
fn derives_are_offered_only_where_every_fields_type_has_debug_across_files() {
    let crate_dir = fixtures().join("crates").join("debug-across-files");
    let scan = crate::support::patchwright(&crate_dir, &["scan", "--skill", "derive-debug"]);
    insta::assert_snapshot!(scan.stdout, @"
    src/generics.rs:4:1  derive-debug  public struct `Params` does not implement `Debug` (not fixed automatically: a field's type `Iter` has no `Debug`)

    src/group.rs:4:1  derive-debug  public struct `Parens` does not implement `Debug` (not fixed automatically: a field's type `Paren` implements `Debug` only under a `cfg`)

    src/lib.rs:20:1  derive-debug  public struct `Plain` does not implement `Debug`  [fixable]

    src/meta.rs:5:1  derive-debug  public struct `Meta` does not implement `Debug` (not fixed automatically: a field's type `Path` implements `Debug` only under a `cfg`)

    src/punctuated.rs:2:1  derive-debug  public struct `Iter` does not implement `Debug` (not fixed automatically: a field holds `dyn Iterator`, which may not implement `Debug`)

    src/wrapper.rs:4:1  derive-debug  public struct `Wrapper` does not implement `Debug`  [fixable]

    6 findings (2 fixable) in 6 files; 9 files scanned
    ");

    let corpus = tempfile::tempdir().unwrap();
    copy_dir(&crate_dir, &corpus.path().join("debug-across-files"));
    let bench = patchwright::engine::bench::fixes::run(
        corpus.path(),
        &ValidateSettings::default(),
        &|_| {},
    )
    .unwrap();
    let derive = bench
        .skills
        .iter()
        .find(|s| s.skill == "derive-debug")
        .unwrap();
    assert_eq!(
        (derive.fixes, derive.breaking, derive.broken_validated),
        (2, 0, 0),
        "{}",
        bench.to_text()
    );
}
