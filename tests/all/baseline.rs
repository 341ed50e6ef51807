//! A red check counts against a fix only when the same check is green on
//! the fix's base: the local forge checks the base too (once per tree and
//! command), closes only what broke a green check, and says plainly when
//! the check fails on the default branch itself.

use crate::support::{Project, patchwright_with_env};

/// Counts its runs in `$COUNT_FILE`; fails when `src/lib.rs` says
/// `is_empty` (the `len-zero` fix), or always with `$ALWAYS_RED` set, the
/// way an offline check fails on a crate that cannot be resolved.
const CHECK: &str = r#"#!/bin/sh
echo run >> "$COUNT_FILE"
if [ -n "$ALWAYS_RED" ]; then
  echo "    Updating crates.io index" >&2
  echo "error: no matching package named \`rand\` found" >&2
  exit 101
fi
if grep -q is_empty src/lib.rs; then
  echo "error: test broken: is_empty is not what we want" >&2
  exit 1
fi
exit 0
"#;

const CONFIG: &str =
    "limits:\n  max_prs_per_run: 10\nforge:\n  local:\n    check_command: sh check.sh\n";

struct Checked {
    project: Project,
    count: tempfile::NamedTempFile,
}

impl Checked {
    fn new() -> Self {
        Self {
            project: Project::sample_with(CONFIG, &[("check.sh", CHECK)]),
            count: tempfile::NamedTempFile::new().unwrap(),
        }
    }

    fn run(&self, always_red: bool) -> crate::support::Run {
        let count = self.count.path().to_str().unwrap();
        let mut env = vec![("COUNT_FILE", count)];
        if always_red {
            env.push(("ALWAYS_RED", "1"));
        }
        let run = patchwright_with_env(&self.project.work, &["run"], &env);
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
        run
    }

    fn check_runs(&self) -> usize {
        std::fs::read_to_string(self.count.path())
            .unwrap()
            .lines()
            .count()
    }

    fn outcomes(&self) -> Vec<(String, Vec<String>)> {
        let ledger = self.project.ledger_json();
        let mut out: Vec<(String, Vec<String>)> = ledger["proposals"]
            .as_object()
            .unwrap()
            .values()
            .map(|p| {
                let kinds = p["outcomes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| o["kind"].as_str().unwrap().to_owned())
                    .collect();
                (p["skill"].as_str().unwrap().to_owned(), kinds)
            })
            .collect();
        out.sort();
        out
    }
}

#[test]
fn a_fix_that_breaks_a_green_check_is_closed_and_the_others_stay() {
    let checked = Checked::new();
    let first = checked.run(false);
    let outcomes = checked.outcomes();
    for (skill, kinds) in &outcomes {
        if skill == "len-zero" {
            assert_eq!(kinds, &["opened", "checks-failed", "closed"], "{skill}");
        } else {
            assert_eq!(kinds, &["opened", "checks-passed"], "{skill}");
        }
    }
    // The line says what failed, that it was closed, and how to see it.
    let failed = first
        .stdout
        .lines()
        .find(|l| l.contains("checks FAILED"))
        .unwrap_or_else(|| panic!("{}", first.stdout));
    assert!(
        failed.starts_with("proposed patchwright/len-zero/"),
        "{failed}"
    );
    assert!(
        failed.contains(
            "; checks FAILED: `sh check.sh`: error: test broken: is_empty is not what we want; closed, its findings wait until their files change; reproduce: `git switch --detach "
        ) && failed.ends_with(" && sh check.sh`"),
        "{failed}"
    );
    assert!(!failed.contains(") ("), "no double parentheses: {failed}");
    insta::with_settings!({filters => vec![(r"\b[0-9a-f]{8}\b", "[hash]"), (r"\b\d+\.\d s\b", "[time]")]}, {
        insta::assert_snapshot!(first.stdout, @"
        scanned [hash]: 4 files in 2 packages, 5 skills, [time] (0 cached): 16 findings (derive-debug 3, inline-format-args 3, len-zero 3, question-mark 4, todo-comments 3)
        fixes compiled with `cargo check --workspace --all-targets` (round 1 of 3)
        proposed patchwright/derive-debug/[hash]: Derive `Debug` for public types in `sample` (3 places); 2 files, 4 lines changed; checks passed
        proposed patchwright/inline-format-args/[hash]: Inline format arguments in `legacy` (1 place); 1 file, 2 lines changed; checks passed
        proposed patchwright/inline-format-args/[hash]: Inline format arguments in `sample` (2 places); 2 files, 4 lines changed; checks passed
        proposed patchwright/len-zero/[hash]: Use `is_empty()` for emptiness checks in `sample` (3 places); 2 files, 6 lines changed; checks FAILED: `sh check.sh`: error: test broken: is_empty is not what we want; closed, its findings wait until their files change; reproduce: `git switch --detach [hash] && sh check.sh`
        proposed patchwright/question-mark/[hash]: Use `?` for early returns in `sample` (4 places); 2 files, 19 lines changed; checks passed
        ");
    });
    let ledger = checked.project.ledger_json();
    assert!(
        !ledger["failed_fixes"].as_object().unwrap().is_empty(),
        "the failed fix is held until its files change"
    );
    // Five proposals and the base, each checked once.
    assert_eq!(checked.check_runs(), 6);

    let second = checked.run(false);
    assert_eq!(checked.check_runs(), 6, "nothing is checked twice");
    assert_eq!(checked.outcomes(), outcomes);
    assert!(!second.stdout.contains("FAILED"), "{}", second.stdout);
    assert!(
        second
            .stdout
            .contains("(`patchwright retry --all-failed` proposes them again)"),
        "the waiting line names the way out: {}",
        second.stdout
    );

    // `explain` shows what the check said.
    let branch = checked.project.ledger_json()["proposals"]
        .as_object()
        .unwrap()
        .values()
        .find(|p| p["skill"] == "len-zero")
        .map(|p| p["branch"].as_str().unwrap().to_owned())
        .unwrap();
    let explained = crate::support::patchwright(&checked.project.work, &["explain", &branch]);
    assert!(
        explained
            .stdout
            .contains("Its checks failed (`sh check.sh`)")
            && explained
                .stdout
                .contains("error: test broken: is_empty is not what we want"),
        "{}",
        explained.stdout
    );

    // Once the environment is fixed, `retry` lets them be proposed again.
    let retried = crate::support::patchwright(&checked.project.work, &["retry", "len-zero"]);
    assert_eq!(retried.code, 0, "{}", retried.stderr);
    assert!(
        retried
            .stderr
            .contains("will be proposed again by the next run"),
        "{}",
        retried.stderr
    );
    let third = checked.run(false);
    assert!(
        third.stdout.contains("proposed patchwright/len-zero/"),
        "{}",
        third.stdout
    );
}

#[test]
fn a_check_that_fails_on_the_base_closes_nothing_and_says_so() {
    let checked = Checked::new();
    let main = crate::support::git(&checked.project.origin, &["rev-parse", "--short=8", "main"]);
    let first = checked.run(true);
    let says = format!(
        "the check fails on `main` itself (`sh check.sh` at {main}): error: no matching package named `rand` found; fix the check command or the branch"
    );
    assert!(first.stdout.contains(&says), "{}", first.stdout);
    assert_eq!(
        first.stdout.matches(&says).count(),
        1,
        "said once, not once per proposal"
    );
    assert!(
        first
            .stdout
            .contains("checks red on the base too, not counted"),
        "{}",
        first.stdout
    );
    assert!(!first.stdout.contains("FAILED"), "{}", first.stdout);

    let branches = checked.project.proposal_branches();
    assert_eq!(branches.len(), 5, "every proposal stays open");
    for (skill, kinds) in checked.outcomes() {
        assert_eq!(
            kinds,
            ["opened"],
            "{skill}: nothing recorded, nothing learned"
        );
    }
    let ledger = checked.project.ledger_json();
    assert!(ledger["failed_fixes"].as_object().unwrap().is_empty());
    assert_eq!(checked.check_runs(), 6);

    let dashboard =
        std::fs::read_to_string(checked.project.work.join(".git/patchwright/dashboard.md"))
            .unwrap();
    assert!(dashboard.contains(&says), "{dashboard}");

    // The next run says it again, from what it kept: no check runs, nothing closed.
    let second = checked.run(true);
    assert!(second.stdout.contains(&says), "{}", second.stdout);
    assert_eq!(checked.check_runs(), 6);
    assert_eq!(checked.project.proposal_branches(), branches);

    // Once the check command is fixed, the same proposals are judged for
    // real: a result of another command does not count.
    std::fs::write(
        checked.project.work.join(".github/patchwright.yml"),
        CONFIG.replace("sh check.sh", "sh ./check.sh"),
    )
    .unwrap();
    let third = checked.run(false);
    assert!(
        third
            .stdout
            .contains("checks FAILED: `sh ./check.sh`: error: test broken"),
        "{}",
        third.stdout
    );
    let closed: Vec<String> = checked
        .outcomes()
        .into_iter()
        .filter(|(_, kinds)| kinds.contains(&"closed".to_owned()))
        .map(|(skill, _)| skill)
        .collect();
    assert_eq!(closed, ["len-zero"]);
}

/// On GitHub each check is compared with the same check on the pull
/// request's base commit.
#[test]
fn on_github_only_checks_green_on_the_base_count_against_a_fix() {
    use crate::github::{Hub, payload};
    let hub = Hub::new("limits:\n  max_prs_per_run: 10\n");
    hub.schedule();
    let base = crate::support::git(&hub.project.origin, &["rev-parse", "main"]);
    let head = |skill: &str| {
        let number = hub.pull_number(skill);
        hub.fake.world().issues[&number]
            .pull
            .as_ref()
            .unwrap()
            .head_sha
            .clone()
    };
    let (red_on_base, broken, not_on_base) = (
        head("len-zero"),
        head("question-mark"),
        head("derive-debug"),
    );
    {
        let mut world = hub.fake.world();
        world.set_check(&base, "test", "failure", 1);
        world.set_check(&base, "lint", "success", 2);
        world.set_check(&red_on_base, "test", "failure", 3);
        world.set_check(&red_on_base, "lint", "success", 4);
        world.set_check(&broken, "test", "failure", 5);
        world.set_check(&broken, "lint", "failure", 6);
        world.set_check(&not_on_base, "docs", "failure", 7);
    }
    let run = hub.event("check_suite", &payload("check_suite.completed.json"));
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);

    let state = |skill: &str| hub.fake.world().pull_for(skill).state.clone();
    assert_eq!(
        state("question-mark"),
        "closed",
        "lint was green on the base"
    );
    assert_eq!(
        state("len-zero"),
        "open",
        "test was red on the base already"
    );
    assert_eq!(state("derive-debug"), "open", "docs never ran on the base");
    let ledger = hub.ledger();
    assert_eq!(
        crate::support::skills_with_outcome(&ledger, "checks-failed"),
        ["question-mark"]
    );
    let closed_names = ledger["proposals"]
        .as_object()
        .unwrap()
        .values()
        .find(|p| p["skill"] == "question-mark")
        .unwrap()["outcomes"][1]["names"]
        .clone();
    assert_eq!(
        closed_names,
        serde_json::json!(["lint"]),
        "only what the fix broke"
    );
    assert!(
        run.stdout.contains(&format!(
            "the check fails on `main` itself (`test` at {})",
            &base[..8]
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("`docs` failed, but did not run on its base"),
        "{}",
        run.stdout
    );
}

/// Check commands run the project's code (build scripts, tests) while the
/// bot may hold a token that can write to the repository: they never see it.
#[test]
fn a_check_command_never_sees_a_token() {
    let project = Project::sample_with(
        "forge:\n  local:\n    check_command: sh env.sh\ngit:\n  token_env: MY_BOT_TOKEN\n",
        &[("env.sh", "env > \"$ENV_DUMP\"\n")],
    );
    let dump = tempfile::NamedTempFile::new().unwrap();
    let run = patchwright_with_env(
        &project.work,
        &["run"],
        &[
            ("ENV_DUMP", dump.path().to_str().unwrap()),
            ("GITHUB_TOKEN", "ghp_never_seen_1"),
            ("MY_BOT_TOKEN", "ghp_never_seen_2"),
            ("ACTIONS_RUNTIME_TOKEN", "ghp_never_seen_3"),
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let seen = std::fs::read_to_string(dump.path()).unwrap();
    assert!(seen.contains("ENV_DUMP="), "the check ran: {seen}");
    assert!(!seen.contains("ghp_never_seen"), "{seen}");
}

#[test]
fn a_check_command_that_cannot_run_is_the_bases_problem_not_the_fixes() {
    let project = Project::sample_with(
        "limits:\n  max_prs_per_run: 10\nforge:\n  local:\n    check_command: no-such-check-command --all\n",
        &[],
    );
    let run = patchwright_with_env(&project.work, &["run"], &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(
            "the check fails on `main` itself (`no-such-check-command --all` at "
        ) && run.stdout.contains(
            "error: cannot run `no-such-check-command --all`: No such file or directory (os error 2); fix the check command or the branch"
        ),
        "{}",
        run.stdout
    );
    assert_eq!(project.proposal_branches().len(), 5, "nothing closed");
    let ledger = project.ledger_json();
    assert!(crate::support::skills_with_outcome(&ledger, "checks-failed").is_empty());
}
