//! Project rules end to end: `rules test` and `rules new` on real files,
//! `fix` applying the work tree's rules (compiled by cargo first), and
//! `run` proposing only what the default branch's rules find.

use std::collections::BTreeSet;
use std::path::Path;

use crate::support::{Project, assert_golden, copy_dir, fixtures, git, golden_dir, patchwright};

const RULES: &str = ".github/patchwright/rules";

/// The `ruled` fixture crate, with the fixture rules when `with_rules`.
fn ruled(work: &Path, with_rules: bool) {
    copy_dir(&fixtures().join("crates/ruled"), work);
    std::fs::write(work.join(".gitignore"), "/target\n").unwrap();
    std::fs::create_dir_all(work.join(".github")).unwrap();
    std::fs::write(
        work.join(".github/patchwright.yml"),
        "limits:\n  max_prs_per_run: 10\n",
    )
    .unwrap();
    if with_rules {
        copy_dir(&fixtures().join("rules"), &work.join(RULES));
    }
}

#[test]
fn rules_test_prints_a_table_and_fails_on_a_failing_example_or_a_broken_rule() {
    let dir = tempfile::tempdir().unwrap();
    ruled(dir.path(), true);
    let run = patchwright(dir.path(), &["rules", "test"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    insta::assert_snapshot!(run.stdout, @r"
    RULE        EXAMPLES  PASSED  FILE
    arc-clone          4       4  .github/patchwright/rules/arc-clone.yml
    iter-count         2       2  .github/patchwright/rules/iter-count.yml
    log-warn           2       2  .github/patchwright/rules/log-warn.yml
    no-unwrap          1       1  .github/patchwright/rules/no-unwrap.yml

    4 rules, 0 with a failing example, 0 that cannot be read
    ");

    std::fs::write(
        dir.path().join(RULES).join("wrong.yml"),
        "id: wrong\nmessage: m\nmatch: $X.len() == 0\nfix: $X.is_empty()\nexamples:\n  - before: \"fn f(v: &[u8]) -> bool { v.len() == 0 }\"\n    after: \"fn f(v: &[u8]) -> bool { v.is_empty() == true }\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join(RULES).join("broken.yml"),
        "id: broken\nmessage: m\nmatch: |\n  foo(\n    $A,,\n  )\n",
    )
    .unwrap();
    let run = patchwright(dir.path(), &["rules", "test"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    insta::assert_snapshot!(run.stdout, @r"
    RULE        EXAMPLES  PASSED  FILE
    arc-clone          4       4  .github/patchwright/rules/arc-clone.yml
    iter-count         2       2  .github/patchwright/rules/iter-count.yml
    log-warn           2       2  .github/patchwright/rules/log-warn.yml
    no-unwrap          1       1  .github/patchwright/rules/no-unwrap.yml
    wrong              1       0  .github/patchwright/rules/wrong.yml

    wrong example 1: the fixed code differs from `after`
    --- after (expected)
    +++ what the fix made
    @@ -1 +1 @@
    -fn f(v: &[u8]) -> bool { v.is_empty() == true }
    \ No newline at end of file
    +fn f(v: &[u8]) -> bool { v.is_empty() }
    \ No newline at end of file

    .github/patchwright/rules/broken.yml:5:8: rule `broken`: in `match`: expected an expression; a pattern is one Rust expression or macro call, with `$X` and `$$$ARGS` where anything may stand

    5 rules, 1 with a failing example, 1 that cannot be read
    ");
}

#[test]
fn fix_applies_the_work_tree_rules_after_cargo_compiled_them() {
    let dir = tempfile::tempdir().unwrap();
    ruled(dir.path(), true);
    let run = patchwright(dir.path(), &["fix", "."]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_golden(&golden_dir().join("fix-ruled.diff"), &run.stdout);
    // The report-only rule is a finding without a fix; tests are left alone.
    let scan = patchwright(dir.path(), &["scan", ".", "--format", "json", "-q"]);
    let json: serde_json::Value = serde_json::from_str(&scan.stdout).unwrap();
    let rules: Vec<(String, bool)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["skill"].as_str().unwrap().starts_with("rule::"))
        .map(|f| {
            (
                f["skill"].as_str().unwrap().to_owned(),
                f["fixable"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rules,
        [
            ("rule::iter-count".to_owned(), true),
            ("rule::log-warn".to_owned(), true),
            ("rule::arc-clone".to_owned(), true),
            ("rule::no-unwrap".to_owned(), false),
        ]
    );
}

/// The branches on origin under `prefix` (`refs/heads/…/`), one per line.
fn branches_under(project: &Project, prefix: &str) -> String {
    git(
        &project.origin,
        &["for-each-ref", "--format=%(refname:short)", prefix],
    )
}

fn proposed_skills(project: &Project) -> BTreeSet<String> {
    let ledger = project.ledger_json();
    ledger["proposals"]
        .as_object()
        .map(|p| {
            p.values()
                .map(|p| p["skill"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn run_uses_only_the_rules_merged_on_the_default_branch() {
    let project = Project::new("the ruled crate", |work| ruled(work, false));
    // A rule in the work tree and on a branch of its own is not merged:
    // nothing of it is proposed.
    copy_dir(&fixtures().join("rules"), &project.work.join(RULES));
    git(&project.work, &["checkout", "-qb", "add-rules"]);
    git(&project.work, &["add", "."]);
    git(&project.work, &["commit", "-qm", "Add rules"]);
    git(&project.work, &["push", "-q", "origin", "add-rules"]);
    git(&project.work, &["checkout", "-q", "main"]);
    copy_dir(&fixtures().join("rules"), &project.work.join(RULES));
    let first = patchwright(&project.work, &["run"]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let skills = proposed_skills(&project);
    assert!(
        skills.iter().all(|s| !s.starts_with("rule::")),
        "{skills:?}\n{}",
        first.stdout
    );

    // Merged, they run: one proposal per fixing rule.
    std::fs::remove_dir_all(project.work.join(RULES)).unwrap();
    git(&project.work, &["merge", "-q", "--ff-only", "add-rules"]);
    git(&project.work, &["push", "-q", "origin", "main"]);
    let second = patchwright(&project.work, &["run"]);
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    let rules: Vec<String> = proposed_skills(&project)
        .into_iter()
        .filter(|s| s.starts_with("rule::"))
        .collect();
    assert_eq!(
        rules,
        ["rule::arc-clone", "rule::iter-count", "rule::log-warn"],
        "{}",
        second.stdout
    );
    let branch = branches_under(&project, "refs/heads/patchwright/rule.arc-clone/");
    let diff = git(&project.origin, &["diff", "main", &branch]);
    assert!(
        diff.contains("-    shared_config.clone() // the handle, not the text\n+    Arc::clone(&shared_config) // the handle, not the text"),
        "{diff}"
    );

    // A second run proposes nothing new.
    let third = patchwright(&project.work, &["run"]);
    assert_eq!(third.code, 0, "{}\n{}", third.stdout, third.stderr);
    assert_eq!(proposed_skills(&project).len(), {
        let ledger = project.ledger_json();
        ledger["proposals"].as_object().unwrap().len()
    });
    assert!(!third.stdout.contains("proposed "), "{}", third.stdout);
}

#[test]
fn rules_new_writes_a_rule_that_passes_its_example_or_proposes_it() {
    let project = Project::new("the ruled crate", |work| ruled(work, false));
    let new = patchwright(
        &project.work,
        &[
            "rules",
            "new",
            "iter-count",
            "--match",
            "$V.iter().count()",
            "--fix",
            "$V.len()",
            "--message",
            "count by length",
        ],
    );
    assert_eq!(new.code, 0, "{}\n{}", new.stdout, new.stderr);
    assert!(project.work.join(RULES).join("iter-count.yml").is_file());
    let test = patchwright(&project.work, &["rules", "test"]);
    assert_eq!(test.code, 0, "{}\n{}", test.stdout, test.stderr);
    let again = patchwright(
        &project.work,
        &[
            "rules",
            "new",
            "iter-count",
            "--match",
            "$V.iter().count()",
            "--message",
            "m",
        ],
    );
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);

    let proposed = patchwright(
        &project.work,
        &[
            "rules",
            "new",
            "log-warn",
            "--match",
            "eprintln!($$$ARGS)",
            "--fix",
            "log_warn!($$$ARGS)",
            "--message",
            "use log_warn",
            "--propose",
            "--no-checks",
        ],
    );
    assert_eq!(proposed.code, 0, "{}\n{}", proposed.stdout, proposed.stderr);
    let branch = branches_under(&project, "refs/heads/patchwright/rule-new/");
    assert!(!branch.is_empty(), "{}", proposed.stdout);
    let changed = git(&project.origin, &["diff", "--name-only", "main", &branch]);
    assert_eq!(changed, ".github/patchwright/rules/log-warn.yml");
}

const MINED_LIB: &str = "use std::sync::Arc;

#[derive(Debug)]
pub struct Cfg;

pub fn one(a: Arc<Cfg>) -> Arc<Cfg> {
    a.clone()
}

pub fn two(b: Arc<Cfg>) -> Arc<Cfg> {
    b.clone()
}

pub fn three(c: Arc<Cfg>) -> Arc<Cfg> {
    c.clone()
}

pub fn four(d: Arc<Cfg>) -> Arc<Cfg> {
    d.clone()
}

pub fn five(e: Arc<Cfg>) -> Arc<Cfg> {
    e.clone()
}

pub fn empty(v: &[u8]) -> bool {
    v.len() == 0
}
";

/// Commits `from` → `to` in src/lib.rs as `author` on `day`.
fn hand_fix(project: &Project, from: &str, to: &str, author: &str, day: u32) {
    let path = project.work.join("src/lib.rs");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    git(&project.work, &["add", "."]);
    git(
        &project.work,
        &[
            "commit",
            "-qm",
            &format!("Use {to}"),
            &format!("--author={author}"),
            &format!("--date=2026-06-{day:02}T12:00:00Z"),
        ],
    );
}

/// A crate whose history has `x.clone()` → `Arc::clone(&x)` made by hand
/// four times by two people, and another change made once.
fn history_with_a_hand_fix_four_times() -> Project {
    let project = Project::new("a crate", |work| {
        std::fs::create_dir_all(work.join("src")).unwrap();
        std::fs::write(
            work.join("Cargo.toml"),
            "[package]\nname = \"mined\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n",
        )
        .unwrap();
        std::fs::write(work.join("src/lib.rs"), MINED_LIB).unwrap();
        std::fs::write(work.join(".gitignore"), "/target\n").unwrap();
    });
    let ana = "Ana <ana@example.com>";
    let bo = "Bo <bo@example.com>";
    hand_fix(&project, "a.clone()", "Arc::clone(&a)", ana, 1);
    hand_fix(&project, "b.clone()", "Arc::clone(&b)", bo, 2);
    // Seen once: not a rule.
    hand_fix(&project, "v.len() == 0", "v.is_empty()", bo, 3);
    hand_fix(&project, "c.clone()", "Arc::clone(&c)", ana, 4);
    hand_fix(&project, "d.clone()", "Arc::clone(&d)", bo, 5);
    git(&project.work, &["push", "-q", "origin", "main"]);

    project
}

#[test]
fn rules_mine_proposes_the_fix_made_by_hand_four_times_and_run_then_applies_it() {
    let project = history_with_a_hand_fix_four_times();
    let mine = patchwright(
        &project.work,
        &["rules", "mine", "--since", "100y", "--no-checks"],
    );
    assert_eq!(mine.code, 0, "{}\n{}", mine.stdout, mine.stderr);
    assert!(
        mine.stderr.contains("1 repeated change, 1 proposed"),
        "{}",
        mine.stderr
    );
    let branches = branches_under(&project, "refs/heads/patchwright/rule-mined/");
    assert_eq!(branches.lines().count(), 1, "{}", mine.stdout);
    let file = git(&project.origin, &["diff", "--name-only", "main", &branches]);
    assert!(
        file.starts_with(".github/patchwright/rules/mined-arc-") && file.ends_with(".yml"),
        "{file}"
    );
    let rule = git(&project.origin, &["show", &format!("{branches}:{file}")]);
    assert!(
        rule.contains("match: |\n  $A.clone()\nfix: |\n  Arc::clone(&$A)\n"),
        "{rule}"
    );
    assert_eq!(rule.matches("ana@example.com").count(), 2, "{rule}");
    assert_eq!(rule.matches("bo@example.com").count(), 2, "{rule}");
    assert!(
        mine.stdout
            .contains("seen 4 times in history, matches 1 places now"),
        "{}",
        mine.stdout
    );

    // Its examples pass as they are.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(RULES)).unwrap();
    std::fs::write(dir.path().join(&file), &rule).unwrap();
    let test = patchwright(dir.path(), &["rules", "test"]);
    assert_eq!(test.code, 0, "{}\n{}", test.stdout, test.stderr);

    // Asked again, nothing new is proposed.
    let again = patchwright(
        &project.work,
        &["rules", "mine", "--since", "100y", "--no-checks"],
    );
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert!(
        again.stdout.contains("already proposed"),
        "{}",
        again.stdout
    );

    // Merged, the rule runs: `run` proposes its fix for the place left.
    git(&project.work, &["fetch", "-q", "origin"]);
    git(
        &project.work,
        &["merge", "-q", "--ff-only", &format!("origin/{branches}")],
    );
    git(&project.work, &["push", "-q", "origin", "main"]);
    let run = patchwright(&project.work, &["run", "--no-checks"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let id = file
        .trim_start_matches(".github/patchwright/rules/")
        .trim_end_matches(".yml");
    let branch = branches_under(&project, &format!("refs/heads/patchwright/rule.{id}/"));
    assert!(!branch.is_empty(), "{}", run.stdout);
    let diff = git(&project.origin, &["diff", "main", &branch]);
    assert!(
        diff.contains("-    e.clone()\n+    Arc::clone(&e)"),
        "{diff}"
    );
}

#[test]
fn a_closed_mined_rule_is_not_proposed_again() {
    let project = history_with_a_hand_fix_four_times();
    let mine = patchwright(
        &project.work,
        &["rules", "mine", "--since", "100y", "--no-checks"],
    );
    assert_eq!(mine.code, 0, "{}\n{}", mine.stdout, mine.stderr);
    let branch = branches_under(&project, "refs/heads/patchwright/rule-mined/");
    assert!(!branch.is_empty(), "{}", mine.stdout);
    // A maintainer closes it (the local forge: the branch is deleted), and
    // a run records that.
    git(&project.origin, &["branch", "-D", &branch]);
    let run = patchwright(&project.work, &["run", "--no-checks"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let again = patchwright(
        &project.work,
        &["rules", "mine", "--since", "100y", "--no-checks"],
    );
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert!(
        again.stdout.contains("was turned down before"),
        "{}",
        again.stdout
    );
    let branches = branches_under(&project, "refs/heads/patchwright/rule-mined/");
    assert!(branches.is_empty(), "{branches}");
}

#[test]
fn with_rules_mine_on_each_run_proposes_what_a_long_history_repeats() {
    let project = history_with_a_hand_fix_four_times();
    // Two hundred unrelated small commits on top.
    let path = project.work.join("src/lib.rs");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}// revision 0\n")).unwrap();
    for n in 1..=200 {
        let text = std::fs::read_to_string(&path).unwrap();
        let next = text.replace(
            &format!("// revision {}\n", n - 1),
            &format!("// revision {n}\n"),
        );
        std::fs::write(&path, next).unwrap();
        git(&project.work, &["commit", "-qam", &format!("Revision {n}")]);
    }
    std::fs::create_dir_all(project.work.join(".github")).unwrap();
    std::fs::write(
        project.work.join(".github/patchwright.yml"),
        "rules:\n  mine: true\n  since_days: 36500\n",
    )
    .unwrap();
    git(&project.work, &["add", "."]);
    git(&project.work, &["commit", "-qm", "Mine rules"]);
    git(&project.work, &["push", "-q", "origin", "main"]);

    let run = patchwright(&project.work, &["run", "--no-checks"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let mined = branches_under(&project, "refs/heads/patchwright/rule-mined/");
    assert_eq!(mined.lines().count(), 1, "{}", run.stdout);
    assert!(
        run.stdout.contains("Add the rule `mined-arc-"),
        "{}",
        run.stdout
    );

    // The next run proposes it no second time, and says nothing about it.
    let again = patchwright(&project.work, &["run", "--no-checks"]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert_eq!(
        branches_under(&project, "refs/heads/patchwright/rule-mined/"),
        mined
    );
    assert!(!again.stdout.contains("mined"), "{}", again.stdout);
}
