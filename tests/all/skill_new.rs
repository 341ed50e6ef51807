//! `patchwright skill new` on a copy of this repository: the new skill is
//! proposed as a branch and, once built, compiles, is listed and tested.

use std::path::Path;
use std::process::Command;

use crate::support::{Project, git, patchwright};

/// This repository's files (what `.gitignore` does not exclude) committed
/// into a fresh repository with a bare origin. Walking the files, not asking
/// git, lets the tests run in a copy that has no `.git` (as the local
/// forge's checks do).
fn copy_of_this_repository() -> Project {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    Project::new("patchwright", |work| {
        let walker = ignore::WalkBuilder::new(here)
            .hidden(false)
            .require_git(false)
            .filter_entry(|e| e.file_name() != ".git")
            .build();
        for entry in walker {
            let entry = entry.unwrap();
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let to = work.join(entry.path().strip_prefix(here).unwrap());
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(entry.path(), &to).unwrap();
        }
    })
}

fn skill_branches(origin: &Path) -> Vec<String> {
    git(
        origin,
        &[
            "for-each-ref",
            "--format=%(refname:short)",
            "refs/heads/patchwright/skill-new/",
        ],
    )
    .lines()
    .map(str::to_owned)
    .collect()
}

fn propose_no_unwrap(copy: &Project) -> String {
    let run = patchwright(
        &copy.work,
        &[
            "skill",
            "new",
            "no-unwrap",
            "--description",
            "calls to `unwrap()` on results",
            "--no-checks",
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let branches = skill_branches(&copy.origin);
    assert_eq!(branches.len(), 1, "{}", run.stdout);
    assert!(
        run.stdout.contains(&format!(
            "proposed {}: Add the `no-unwrap` skill",
            branches[0]
        )),
        "{}",
        run.stdout
    );
    branches[0].clone()
}

#[test]
fn skill_new_proposes_the_skill_its_registration_and_fixture_as_a_branch() {
    let copy = copy_of_this_repository();
    let status = git(&copy.work, &["status", "--porcelain"]);
    let branch = propose_no_unwrap(&copy);

    let changed = git(&copy.origin, &["diff", "--name-status", "main", &branch]);
    assert_eq!(
        changed,
        "M\tsrc/engine/skills/mod.rs\nA\tsrc/engine/skills/no_unwrap.rs\nA\ttests/fixtures/skills/no-unwrap/after.rs\nA\ttests/fixtures/skills/no-unwrap/before.rs\nA\ttests/fixtures/skills/no-unwrap/findings.txt"
    );
    // The registration is two inserted lines; the rest of mod.rs is untouched.
    let registration = git(
        &copy.origin,
        &[
            "diff",
            "-U0",
            "main",
            &branch,
            "--",
            "src/engine/skills/mod.rs",
        ],
    );
    let changes: Vec<&str> = registration
        .lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-'))
                && !l.starts_with("+++")
                && !l.starts_with("---")
        })
        .collect();
    assert_eq!(
        changes,
        [
            "+mod no_unwrap;",
            "+                Arc::new(no_unwrap::NoUnwrap),"
        ]
    );
    let skill = git(
        &copy.origin,
        &["show", &format!("{branch}:src/engine/skills/no_unwrap.rs")],
    );
    assert!(
        skill.contains("pub struct NoUnwrap;")
            && skill.contains("\"calls to `unwrap()` on results\"")
    );
    assert_eq!(
        git(&copy.work, &["status", "--porcelain"]),
        status,
        "the work tree is untouched"
    );

    // The ledger has it; asking again proposes nothing new.
    let ledger = git(
        &copy.origin,
        &["show", "refs/patchwright/state:ledger.json"],
    );
    assert!(ledger.contains("\"skill\": \"skill-new\""), "{ledger}");
    let again = patchwright(
        &copy.work,
        &[
            "skill",
            "new",
            "no-unwrap",
            "--description",
            "again",
            "--no-checks",
        ],
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again
            .stdout
            .contains("the `no-unwrap` skill is already proposed on"),
        "{}",
        again.stdout
    );
    assert_eq!(skill_branches(&copy.origin), [branch]);
}

#[test]
fn skill_new_refuses_bad_names_existing_skills_and_other_repositories() {
    let copy = copy_of_this_repository();
    let refs = git(&copy.origin, &["for-each-ref"]);
    for (name, message) in [
        ("No_Good", "error: `No_Good` is not a usable skill name"),
        ("len-zero", "error: a skill named `len-zero` exists already"),
        (
            "match",
            "error: `match` cannot be a skill name: its module `match` is a Rust keyword",
        ),
    ] {
        let run = patchwright(
            &copy.work,
            &["skill", "new", name, "--description", "d", "--no-checks"],
        );
        assert_eq!(run.code, 2, "{name}");
        assert!(run.stderr.starts_with(message), "{name}: {}", run.stderr);
    }
    assert_eq!(
        git(&copy.origin, &["for-each-ref"]),
        refs,
        "nothing is written on error"
    );

    let other = Project::sample("");
    let run = patchwright(
        &other.work,
        &["skill", "new", "fresh", "--description", "d", "--no-checks"],
    );
    assert_eq!(run.code, 2);
    insta::assert_snapshot!(run.stderr, @"error: this is not patchwright's repository (its package is not named patchwright); `skill new` adds skills to patchwright itself");
}

/// Builds the proposed tree and runs its tests: minutes, so `.ci/run` runs
/// it explicitly (`cargo test -- --ignored`).
#[test]
#[ignore = "builds a copy of patchwright; run by .ci/run"]
fn the_proposed_skill_compiles_is_listed_and_its_tests_pass() {
    let copy = copy_of_this_repository();
    let branch = propose_no_unwrap(&copy);
    let tree = copy.work.parent().unwrap().join("proposed");
    git(
        copy.work.parent().unwrap(),
        &[
            "clone",
            "-q",
            "-b",
            &branch,
            copy.origin.to_str().unwrap(),
            tree.to_str().unwrap(),
        ],
    );
    // A build directory kept between runs: only patchwright itself is rebuilt.
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/skill-new-check");
    let cargo = |args: &[&str]| {
        let out = Command::new(env!("CARGO"))
            .args(args)
            .current_dir(&tree)
            .env("CARGO_TARGET_DIR", &target)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "cargo {args:?}:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let tests = cargo(&[
        "test",
        "--offline",
        "--lib",
        "--",
        "no_unwrap",
        "every_skill_file_is_registered",
    ]);
    assert!(
        tests.contains("skills::no_unwrap::tests::finds_and_deletes_the_marker ... ok"),
        "{tests}"
    );
    assert!(
        tests.contains("every_skill_file_is_registered_and_ids_are_unique ... ok"),
        "{tests}"
    );
    let fixtures = cargo(&["test", "--offline", "--test", "all", "--", "skill_fixtures"]);
    assert!(fixtures.contains("1 passed"), "{fixtures}");
    let skills = cargo(&["run", "--offline", "--quiet", "--", "skills"]);
    assert!(
        skills.lines().any(|l| l.starts_with("no-unwrap ")),
        "{skills}"
    );
}

#[test]
fn skill_regenerate_rewrites_untouched_generated_files_and_leaves_edited_ones() {
    let copy = copy_of_this_repository();
    let branch = propose_no_unwrap(&copy);
    // Merged; later someone edits the fixture's after.rs, and the fixture
    // template gets a better example.
    let maint = copy.clone_as("maintainer");
    git(
        &maint,
        &[
            "merge",
            "-q",
            "--no-ff",
            "-m",
            "Add no-unwrap",
            &format!("origin/{branch}"),
        ],
    );
    let after = maint.join("tests/fixtures/skills/no-unwrap/after.rs");
    let edited = std::fs::read_to_string(&after).unwrap() + "// checked by hand\n";
    std::fs::write(&after, edited).unwrap();
    let template = maint.join("templates/skill-fixture/before.rs");
    let better = format!(
        "// the smallest example\n{}",
        std::fs::read_to_string(&template).unwrap()
    );
    std::fs::write(&template, better).unwrap();
    git(
        &maint,
        &["commit", "-qam", "Edit a fixture; improve the template"],
    );
    git(&maint, &["push", "-q", "origin", "main"]);

    let regenerate = |name: &str| {
        let run = patchwright(&copy.work, &["skill", "regenerate", name, "--no-checks"]);
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
        run.stdout
    };
    let out = regenerate("no-unwrap");
    assert!(
        out.contains("tests/fixtures/skills/no-unwrap/after.rs was edited after `skill new` made it; left alone"),
        "{out}"
    );
    let branches = git(
        &copy.origin,
        &[
            "for-each-ref",
            "--format=%(refname:short)",
            "refs/heads/patchwright/skill-regenerate/",
        ],
    );
    let [regenerated] = branches.lines().collect::<Vec<_>>().try_into().unwrap();
    assert!(
        out.contains(&format!(
            "proposed {regenerated}: Regenerate the `no-unwrap` skill"
        )),
        "{out}"
    );
    assert_eq!(
        git(&copy.origin, &["diff", "--name-only", "main", regenerated]),
        "tests/fixtures/skills/no-unwrap/before.rs"
    );
    let before = git(
        &copy.origin,
        &[
            "show",
            &format!("{regenerated}:tests/fixtures/skills/no-unwrap/before.rs"),
        ],
    ) + "\n"; // `git` trims the output
    let split = patchwright::scaffold::provenance::split("before.rs", &before);
    assert!(split.untouched());
    assert!(
        split.body.starts_with("// the smallest example\n"),
        "{before}"
    );
    assert_eq!(
        split.provenance.unwrap().args,
        [
            "skill",
            "new",
            "no-unwrap",
            "calls to `unwrap()` on results"
        ]
    );

    // Asking again proposes nothing new; a hand-written skill is left alone.
    assert!(regenerate("no-unwrap").contains("regenerating `no-unwrap` is already proposed on"));
    let hand = regenerate("len-zero");
    assert_eq!(
        hand.matches("has no `skill new` header").count(),
        4,
        "{hand}"
    );
    assert!(
        hand.contains("nothing to regenerate for `len-zero`"),
        "{hand}"
    );
}
