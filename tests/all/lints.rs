//! Compiler lints as skills: with the clippy family on, each of clippy's
//! machine-applicable suggestions becomes a finding of its lint's skill,
//! proposed one lint per pull request, fixed by clippy's own words.

use crate::support::{Project, assert_golden, git, golden_dir, patchwright};

const CLIPPY: &str = "skills:\n  clippy: {}\nlimits:\n  max_prs_per_run: 10\n";

fn run(project: &Project) -> crate::support::Run {
    let run = patchwright(&project.work, &["run", "--no-checks"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run
}

#[test]
fn each_lint_is_its_own_proposal_and_merged_fixes_leave_nothing() {
    let project = Project::fixture("linted", CLIPPY, &[]);
    let first = run(&project);
    let branches = project.proposal_branches();
    let lints: Vec<&str> = branches
        .iter()
        .map(|b| b.split('/').nth(1).unwrap())
        .collect();
    assert_eq!(
        lints,
        [
            "clippy.len_zero",
            "clippy.needless_return",
            "clippy.redundant_field_names",
            "clippy.redundant_static_lifetimes"
        ],
        "the built-in len-zero gives way to clippy's: {}",
        first.stdout
    );
    for branch in &branches {
        let lint = branch.split('/').nth(1).unwrap();
        let diff = git(&project.origin, &["diff", "main", branch]);
        assert_golden(
            &golden_dir().join(format!("lints/{lint}.diff")),
            &format!("{diff}\n"),
        );
    }
    let ledger = project.ledger_json();
    let skills: Vec<&str> = ledger["proposals"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p["skill"].as_str().unwrap())
        .collect();
    assert!(skills.contains(&"clippy::needless_return"), "{skills:?}");

    // The same run again changes nothing.
    let refs = project.origin_refs();
    let second = run(&project);
    assert_eq!(project.origin_refs(), refs);
    assert!(
        second
            .stdout
            .ends_with("fixable findings waits, for the reasons above\n"),
        "{}",
        second.stdout
    );

    // A maintainer merges them all: nothing is left to find.
    let maint = project.clone_as("maintainer");
    for branch in &branches {
        git(
            &maint,
            &[
                "merge",
                "-q",
                "--no-ff",
                "-m",
                "merge",
                &format!("origin/{branch}"),
            ],
        );
    }
    git(&maint, &["push", "-q", "origin", "main"]);
    let third = run(&project);
    assert!(third.stdout.contains(": 0 findings"), "{}", third.stdout);
    let ledger = project.ledger_json();
    assert_eq!(
        crate::support::skills_with_outcome(&ledger, "merged").len(),
        4
    );
}

#[test]
fn a_lint_can_be_turned_off_and_a_missing_clippy_is_one_warning() {
    let off = Project::fixture(
        "linted",
        "skills:\n  clippy:\n    allow: [needless_return]\n  \"clippy::len_zero\":\n    enabled: false\nlimits:\n  max_prs_per_run: 10\n",
        &[],
    );
    run(&off);
    let lints: Vec<String> = off
        .proposal_branches()
        .iter()
        .map(|b| b.split('/').nth(1).unwrap().to_owned())
        .collect();
    assert_eq!(
        lints,
        [
            "clippy.redundant_field_names",
            "clippy.redundant_static_lifetimes",
            "len-zero"
        ],
        "clippy's len_zero is off, so the built-in len-zero proposes"
    );

    let missing = Project::fixture(
        "linted",
        "skills:\n  clippy:\n    command: cargo no-such-clippy --message-format=json\nlimits:\n  max_prs_per_run: 10\n",
        &[],
    );
    let out = run(&missing);
    assert!(
        out.stdout.contains(
            "warning: the clippy lints are skipped: `cargo no-such-clippy` is not installed for this toolchain (`rustup component add clippy`)"
        ),
        "{}",
        out.stdout
    );
    let branches = missing.proposal_branches();
    assert_eq!(
        branches.len(),
        1,
        "the syntax skills still run: {branches:?}"
    );
    assert!(
        branches[0].starts_with("patchwright/len-zero/"),
        "{branches:?}"
    );
}
