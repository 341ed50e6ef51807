//! `patchwright run --forge local` against real git: a work tree with a bare
//! origin, maintainers merging and deleting branches in their own clones.

use std::collections::BTreeMap;

use crate::support::{Project, assert_golden, git, git_stdin, golden_dir, patchwright};

const PROPOSE_ALL: &str = "limits:\n  max_prs_per_run: 10\n";

/// Branch → (skill, package) from the ledger on origin.
fn proposals_by_branch(project: &Project) -> BTreeMap<String, (String, String)> {
    let ledger = project.ledger_json();
    ledger["proposals"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| {
            (
                p["branch"].as_str().unwrap().to_owned(),
                (
                    p["skill"].as_str().unwrap().to_owned(),
                    p["package"].as_str().unwrap().to_owned(),
                ),
            )
        })
        .collect()
}

fn run(project: &Project, args: &[&str]) -> crate::support::Run {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    let run = patchwright(&project.work, &all);
    assert_eq!(run.code, 0, "run failed:\n{}\n{}", run.stdout, run.stderr);
    run
}

#[test]
fn a_run_proposes_branches_with_exactly_the_fixes_and_a_second_run_changes_nothing() {
    let project = Project::sample(PROPOSE_ALL);
    let main = git(&project.origin, &["rev-parse", "main"]);
    let first = run(&project, &[]);
    assert!(first.stdout.contains("scanned "), "{}", first.stdout);

    // One branch per skill and package, each one commit on top of main.
    let proposals = proposals_by_branch(&project);
    let mut names: Vec<(&str, &str)> = proposals
        .values()
        .map(|(s, p)| (s.as_str(), p.as_str()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ("derive-debug", "sample"),
            ("inline-format-args", "legacy"),
            ("inline-format-args", "sample"),
            ("len-zero", "sample"),
            ("question-mark", "sample")
        ]
    );
    assert_eq!(
        project.proposal_branches(),
        proposals.keys().cloned().collect::<Vec<_>>()
    );
    for (branch, (skill, package)) in &proposals {
        assert_eq!(
            git(&project.origin, &["rev-parse", &format!("{branch}~1")]),
            main,
            "{branch}"
        );
        let author = git(
            &project.origin,
            &["log", "-1", "--format=%an <%ae>", branch],
        );
        assert_eq!(
            author,
            "patchwright[bot] <patchwright[bot]@users.noreply.github.com>"
        );
        // A short message whose trailers git itself reads; the markdown
        // stays in the pull request.
        let message = git(&project.origin, &["log", "-1", "--format=%B", branch]);
        let trailers = git_stdin(
            &project.origin,
            &["interpret-trailers", "--parse"],
            &message,
        );
        let keys: Vec<&str> = trailers
            .lines()
            .filter_map(|l| l.split_once(": ").map(|(k, _)| k))
            .collect();
        assert_eq!(
            keys,
            [
                "Patchwright-Skill",
                "Patchwright-Proposal",
                "Patchwright-Fingerprints"
            ],
            "{message}"
        );
        assert!(
            trailers.contains(&format!("Patchwright-Skill: {skill}\n")),
            "{trailers}"
        );
        let paragraphs: Vec<&str> = message.trim_end().split("\n\n").collect();
        assert_eq!(
            paragraphs.len(),
            3,
            "subject, summary, trailers:\n{message}"
        );
        for forbidden in ["/patchwright", "- [", "<!--", "###"] {
            assert!(!message.contains(forbidden), "{forbidden} in\n{message}");
        }
        let diff = git(&project.origin, &["diff", "main", branch]);
        assert_golden(
            &golden_dir().join(format!("run/{skill}-{package}.diff")),
            &format!("{diff}\n"),
        );
    }

    // The ledger: one commit per event — each proposal (recorded before its
    // branch is pushed), its pull request, its check's result kept by tree,
    // the outcome — and the scan last. Every fix passed, so no base needed
    // checking.
    let events = project.ledger_events();
    assert_eq!(events.len(), 21, "{events:#?}");
    for four in events[..20].chunks(4) {
        let id = four[0].strip_prefix("propose ").unwrap();
        assert_eq!(four[1], format!("open {id}"));
        assert!(four[2].starts_with("checks passed tree "), "{four:?}");
        assert_eq!(four[3], format!("outcome checks-passed {id}"));
    }
    assert_eq!(events[20], format!("scan {}", &main[..8]));
    let ledger = project.ledger_json();
    for p in ledger["proposals"].as_object().unwrap().values() {
        let kinds: Vec<&str> = p["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["opened", "checks-passed"]);
    }

    // The same run again: no branch, no ledger commit, nothing to say.
    let refs = project.origin_refs();
    let second = run(&project, &[]);
    assert_eq!(project.origin_refs(), refs);
    assert!(
        second
            .stdout
            .ends_with("fixable findings waits, for the reasons above\n"),
        "{}",
        second.stdout
    );
    assert!(
        second
            .stdout
            .contains("waiting: 13 findings because already in an open proposal"),
        "{}",
        second.stdout
    );
}

#[test]
fn merged_and_closed_proposals_are_recorded_and_closed_findings_stay_rejected() {
    let project = Project::sample(PROPOSE_ALL);
    run(&project, &["--no-checks"]);
    let proposals = proposals_by_branch(&project);
    let branch_of = |skill: &str, package: &str| {
        proposals
            .iter()
            .find(|(_, (s, p))| s == skill && p == package)
            .map(|(b, _)| b.clone())
            .unwrap()
    };
    // A maintainer merges one, squash-merges another, and deletes a third.
    let maint = project.clone_as("maintainer");
    let len_zero = branch_of("len-zero", "sample");
    let question_mark = branch_of("question-mark", "sample");
    let derive_debug = branch_of("derive-debug", "sample");
    git(
        &maint,
        &[
            "merge",
            "-q",
            "--no-ff",
            "-m",
            "Merge len-zero",
            &format!("origin/{len_zero}"),
        ],
    );
    let merge = git(&maint, &["rev-parse", "HEAD"]);
    git(
        &maint,
        &[
            "merge",
            "-q",
            "--squash",
            &format!("origin/{question_mark}"),
        ],
    );
    git(&maint, &["commit", "-qm", "Use ? (squashed)"]);
    let squash = git(&maint, &["rev-parse", "HEAD"]);
    git(
        &maint,
        &[
            "push",
            "-q",
            "origin",
            "main",
            &format!(":{derive_debug}"),
            &format!(":{question_mark}"),
        ],
    );

    let out = run(&project, &["--no-checks"]);
    let synced: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("synced:"))
        .collect();
    assert_eq!(synced.len(), 3, "{}", out.stdout);
    insta::with_settings!({filters => vec![(r"\b[0-9a-f]{8}\b", "[hash]")]}, {
        insta::assert_snapshot!(synced.join("\n"), @"
        synced: derive-debug/[hash] closed (unwanted): its 3 findings are never proposed again
        synced: len-zero/[hash] merged
        synced: question-mark/[hash] merged
        ");
    });

    let ledger = project.ledger_json();
    let state_of = |branch: &str| {
        let p = ledger["proposals"]
            .as_object()
            .unwrap()
            .values()
            .find(|p| p["branch"] == branch)
            .unwrap();
        p["outcomes"].as_array().unwrap().last().unwrap().clone()
    };
    assert_eq!(state_of(&len_zero)["kind"], "merged");
    assert_eq!(state_of(&len_zero)["commit"], merge.as_str());
    assert_eq!(state_of(&question_mark)["kind"], "merged");
    assert_eq!(state_of(&question_mark)["commit"], squash.as_str());
    assert_eq!(state_of(&derive_debug)["kind"], "closed");
    let rejected = ledger["rejected"].as_object().unwrap();
    assert_eq!(
        rejected.len(),
        3,
        "the closed proposal's three findings are rejected"
    );
    // A bare close means "not wanted here".
    assert!(rejected.values().all(|r| {
        r["reason"].as_str().unwrap() == "closed: not wanted here" && r.get("until").is_none()
    }));

    // Even asked for by name, rejected findings are not proposed again.
    let refs = project.origin_refs();
    let again = run(&project, &["--no-checks", "--skill", "derive-debug"]);
    assert!(
        again
            .stdout
            .contains("waiting: 3 findings because rejected before"),
        "{}",
        again.stdout
    );
    assert_eq!(project.origin_refs(), refs);

    let pulls = patchwright(&project.work, &["pulls"]);
    assert_eq!(pulls.code, 0, "{}", pulls.stderr);
    let states: Vec<&str> = pulls
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| ["open", "merged", "closed"].contains(w))
        .collect();
    assert_eq!(states, ["open", "open", "merged", "merged", "closed"]);
}

#[test]
fn limits_cap_each_run_and_the_open_proposals() {
    let project = Project::sample("limits:\n  max_prs_per_run: 2\n  max_open_prs: 3\n");
    let first = run(&project, &["--no-checks"]);
    assert_eq!(project.proposal_branches().len(), 2);
    assert!(
        first
            .stdout
            .contains("because limits.max_prs_per_run (2) is reached"),
        "{}",
        first.stdout
    );
    let second = run(&project, &["--no-checks"]);
    assert_eq!(project.proposal_branches().len(), 3);
    assert!(
        second.stdout.contains(
            "because the open pull request limit is reached (2 open of 3, limits.max_open_prs)"
        ),
        "{}",
        second.stdout
    );
    run(&project, &["--no-checks"]);
    assert_eq!(project.proposal_branches().len(), 3);

    let small = Project::sample(
        "limits:\n  max_prs_per_run: 10\n  max_changed_lines: 5\n  max_files_per_pr: 1\n",
    );
    run(&small, &["--no-checks"]);
    for branch in small.proposal_branches() {
        let stat = git(&small.origin, &["diff", "--numstat", "main", &branch]);
        let files = stat.lines().count();
        let lines: usize = stat
            .lines()
            .map(|l| {
                l.split_whitespace()
                    .take(2)
                    .map(|n| n.parse::<usize>().unwrap())
                    .sum::<usize>()
            })
            .sum();
        assert!(files <= 1 && lines <= 5, "{branch}: {stat}");
    }
}

#[test]
fn a_dry_run_prints_the_proposals_and_writes_nothing() {
    let project = Project::sample(PROPOSE_ALL);
    let objects = git(&project.work, &["count-objects", "-v"]);
    let refs = git(&project.work, &["for-each-ref"]);
    let origin_refs = project.origin_refs();
    let run = run(&project, &["--dry-run"]);
    assert!(
        run.stdout
            .contains("would propose patchwright/derive-debug/"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("+#[derive(Clone, Default, Debug)]"),
        "{}",
        run.stdout
    );
    assert_eq!(run.stdout.matches("would propose ").count(), 5);
    assert_eq!(git(&project.work, &["for-each-ref"]), refs);
    assert_eq!(git(&project.work, &["count-objects", "-v"]), objects);
    assert_eq!(project.origin_refs(), origin_refs);
}

fn killed_at(project: &Project, failpoint: &str) {
    let killed = std::process::Command::new(env!("CARGO_BIN_EXE_patchwright"))
        .args(["run", "--no-checks"])
        .current_dir(&project.work)
        .env("PATCHWRIGHT_FAILPOINT", failpoint)
        .output()
        .unwrap();
    assert!(!killed.status.success(), "the failpoint must kill the run");
}

#[test]
fn a_run_killed_after_pushing_a_branch_is_healed_by_the_next() {
    let project = Project::sample("limits:\n  max_prs_per_run: 1\n");
    killed_at(&project, "after-branch-push");
    let branches = project.proposal_branches();
    assert_eq!(branches.len(), 1, "the branch was pushed before the kill");
    // The ledger knew the proposal before its branch was pushed.
    let events = project.ledger_events();
    assert_eq!(
        events.iter().filter(|e| e.starts_with("propose")).count(),
        1,
        "{events:#?}"
    );
    assert_eq!(
        proposals_by_branch(&project)
            .keys()
            .cloned()
            .collect::<Vec<_>>(),
        branches
    );

    let healed = run(&project, &["--no-checks"]);
    assert!(
        healed.stdout.contains(&format!("recorded {}", branches[0])),
        "{}",
        healed.stdout
    );
    // Healing is not proposing: the run still proposes its one, elsewhere.
    let now = project.proposal_branches();
    assert_eq!(now.len(), 2, "{now:?}");
    let skill = |b: &String| b.split('/').nth(1).unwrap().to_owned();
    assert_ne!(skill(&now[0]), skill(&now[1]), "no duplicate: {now:?}");
    assert!(now.contains(&branches[0]));
    let events = project.ledger_events();
    assert_eq!(
        events.iter().filter(|e| e.starts_with("propose")).count(),
        2,
        "{events:#?}"
    );
    assert!(
        events.contains(&format!(
            "open {}",
            branches[0].trim_start_matches("patchwright/")
        )),
        "{events:#?}"
    );
    let healed_again = run(&project, &["--no-checks"]);
    assert!(
        !healed_again.stdout.contains("recorded "),
        "{}",
        healed_again.stdout
    );
}

#[test]
fn a_run_killed_before_pushing_leaves_no_branch_and_the_next_proposes_again() {
    let project = Project::sample("limits:\n  max_prs_per_run: 1\n");
    killed_at(&project, "after-ledger-entry");
    assert!(project.proposal_branches().is_empty(), "nothing was pushed");
    let recorded = project.ledger_json()["proposals"]
        .as_object()
        .unwrap()
        .clone();
    assert_eq!(recorded.len(), 1);
    let (id, entry) = recorded.iter().next().unwrap();
    assert!(entry.get("pull").is_none(), "{entry}");

    let healed = run(&project, &["--no-checks"]);
    assert!(
        healed
            .stdout
            .contains("a run stopped before pushing it; its fixes are planned again"),
        "{}",
        healed.stdout
    );
    let branches = project.proposal_branches();
    assert_eq!(branches.len(), 1, "{}", healed.stdout);
    let proposals = project.ledger_json()["proposals"].clone();
    assert!(proposals[id]["pull"].is_object(), "{proposals}");
    assert!(
        project
            .ledger_events()
            .contains(&format!("drop {id}: never pushed")),
        "{:#?}",
        project.ledger_events()
    );
}

#[test]
fn stop_holds_proposals_until_resume() {
    let project = Project::sample(PROPOSE_ALL);
    let stop = patchwright(
        &project.work,
        &["stop", "--reason", "release week", "--by", "ana"],
    );
    assert_eq!(stop.code, 0, "{}", stop.stderr);
    let stopped = run(&project, &["--no-checks"]);
    assert!(
        stopped.stdout.contains("stopped by ana at "),
        "{}",
        stopped.stdout
    );
    assert!(
        stopped.stdout.contains("(release week): only synced"),
        "{}",
        stopped.stdout
    );
    assert!(project.proposal_branches().is_empty());
    let show = patchwright(&project.work, &["ledger", "show"]);
    assert!(
        show.stdout.contains("stopped by ana at "),
        "{}",
        show.stdout
    );

    let resume = patchwright(&project.work, &["resume", "--by", "ana"]);
    assert_eq!(resume.stderr.trim(), "resumed");
    run(&project, &["--no-checks"]);
    assert_eq!(project.proposal_branches().len(), 5);
    let events = project.ledger_events();
    assert_eq!(
        events[..2],
        ["stop by ana".to_owned(), "resume by ana".to_owned()]
    );
}

#[test]
fn concurrent_writers_lose_no_ledger_update() {
    let project = Project::sample(PROPOSE_ALL);
    // 200 findings on main, so that every rejection names a real one.
    let maint = project.clone_as("maintainer");
    let many: String = (0..200)
        .map(|n| format!("pub fn empty_{n}(v: &[u8]) -> bool {{\n    v.len() == 0\n}}\n"))
        .collect();
    std::fs::write(maint.join("src/many.rs"), many).unwrap();
    let lib = std::fs::read_to_string(maint.join("src/lib.rs")).unwrap();
    std::fs::write(maint.join("src/lib.rs"), format!("pub mod many;\n{lib}")).unwrap();
    git(&maint, &["add", "."]);
    git(&maint, &["commit", "-qm", "many helpers"]);
    git(&maint, &["push", "-q", "origin", "main"]);
    let scan = patchwright(&maint, &["scan", "--skill", "len-zero", "--format", "json"]);
    let scan: serde_json::Value = serde_json::from_str(&scan.stdout).unwrap();
    let all: Vec<String> = scan["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == "src/many.rs")
        .map(|f| f["fingerprint"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(all.len(), 200);
    let all = &all;
    // Eight machines, each with its own clone, each writing 5 times 5
    // rejections (one ledger commit per command).
    let clones: Vec<_> = (0..8)
        .map(|i| project.clone_as(&format!("runner{i}")))
        .collect();
    std::thread::scope(|scope| {
        for (i, clone) in clones.iter().enumerate() {
            scope.spawn(move || {
                for round in 0..5 {
                    let fingerprints: Vec<String> = (0..5)
                        .map(|j| all[i * 25 + round * 5 + j].clone())
                        .collect();
                    let out = std::process::Command::new(env!("CARGO_BIN_EXE_patchwright"))
                        .arg("ignore")
                        .args(&fingerprints)
                        .args(["--by", &format!("runner{i}")])
                        .current_dir(clone)
                        .output()
                        .unwrap();
                    let stderr = String::from_utf8_lossy(&out.stderr);
                    assert!(out.status.success(), "{stderr}");
                    assert_eq!(
                        stderr.trim(),
                        "5 of 5 fingerprints newly ignored (unwanted)"
                    );
                }
            });
        }
    });
    let ledger = project.ledger_json();
    assert_eq!(ledger["rejected"].as_object().unwrap().len(), 200);
    assert_eq!(
        project.ledger_events().len(),
        40,
        "one commit per command, none lost, none doubled"
    );
}

#[test]
fn the_work_tree_index_and_head_are_left_alone() {
    let project = Project::sample(PROPOSE_ALL);
    let w = &project.work;
    // Some uncommitted work of the maintainer's, staged and not.
    std::fs::write(w.join("src/lib.rs"), "// work in progress\n").unwrap();
    std::fs::write(w.join("notes.txt"), "todo\n").unwrap();
    git(w, &["add", "notes.txt"]);
    let snapshot = || {
        (
            git(w, &["status", "--porcelain"]),
            git(w, &["rev-parse", "HEAD"]),
            git(w, &["symbolic-ref", "HEAD"]),
            std::fs::read(w.join(".git/index")).unwrap(),
            crate::support::snapshot_tree(&w.join("src")),
        )
    };
    let before = snapshot();
    for args in [
        &["run", "--no-checks"][..],
        &["run", "--dry-run"],
        &["pulls"],
        &["ledger", "show"],
        &["ledger", "log"],
        &["stop"],
        &["resume"],
        &["pause", "todo-comments"],
        &["scan"],
        &["fix"],
        &["report"],
    ] {
        let out = patchwright(w, args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        assert!(
            before == snapshot(),
            "{args:?} touched the work tree, index or HEAD"
        );
    }
    // The run scanned main, not the work in progress.
    assert_eq!(project.proposal_branches().len(), 5);
}

#[test]
fn ledger_commands_show_the_document_and_its_history() {
    let project = Project::sample(PROPOSE_ALL);
    let empty = patchwright(&project.work, &["ledger", "show"]);
    assert_eq!(
        empty.stdout,
        "no ledger yet at refs/patchwright/state: `patchwright run` writes the first one\n"
    );
    run(&project, &["--no-checks"]);
    let json = patchwright(&project.work, &["ledger", "show", "--json"]);
    let parsed: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(parsed, project.ledger_json());
    assert_eq!(parsed["version"], 1);
    let log = patchwright(&project.work, &["ledger", "log"]);
    let lines: Vec<&str> = log.stdout.lines().collect();
    // Each proposal is recorded, then its pull request; the scan last.
    assert_eq!(lines.len(), 11, "{}", log.stdout);
    assert!(
        lines[0].ends_with(&format!(
            "scan {}",
            &git(&project.origin, &["rev-parse", "--short=8", "main"])
        )),
        "{}",
        lines[0]
    );
    assert!(
        lines[10].contains("  propose derive-debug/"),
        "{}",
        lines[10]
    );
    assert!(lines[9].contains("  open derive-debug/"), "{}", lines[9]);
}

#[test]
fn a_ledger_from_a_newer_format_is_refused() {
    let project = Project::sample(PROPOSE_ALL);
    run(&project, &["--no-checks"]);
    project.rewrite_ledger(|ledger| ledger["version"] = 2.into());
    let before = project.origin_refs();
    let out = patchwright(&project.work, &["run", "--no-checks"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains(
            "written by a newer patchwright (format 2; this one reads 1): upgrade patchwright"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(project.origin_refs(), before);
}

#[test]
fn with_no_remote_branches_and_the_ledger_stay_in_the_repository() {
    let project = Project::sample(PROPOSE_ALL);
    let origin_refs = project.origin_refs();
    let status = git(&project.work, &["status", "--porcelain"]);
    run(&project, &["--remote", "none", "--no-checks"]);
    assert_eq!(project.origin_refs(), origin_refs, "nothing is published");
    let local = git(
        &project.work,
        &[
            "for-each-ref",
            "--format=%(refname)",
            "refs/heads/patchwright/",
            "refs/patchwright/",
        ],
    );
    assert_eq!(local.lines().count(), 7, "{local}");
    assert!(
        local.ends_with("refs/patchwright/state\nrefs/patchwright/state-scan-cache"),
        "the ledger and the scan cache beside it: {local}"
    );
    assert_eq!(git(&project.work, &["status", "--porcelain"]), status);
    assert_eq!(
        git(&project.work, &["symbolic-ref", "HEAD"]),
        "refs/heads/main"
    );

    // Merging a proposal locally is seen by the next run.
    let branch = local
        .lines()
        .find(|l| l.contains("/len-zero/"))
        .unwrap()
        .trim_start_matches("refs/heads/")
        .to_owned();
    git(
        &project.work,
        &["merge", "-q", "--no-ff", "-m", "merge", &branch],
    );
    let out = run(&project, &["--remote", "none", "--no-checks"]);
    assert!(
        out.stdout.contains("len-zero/") && out.stdout.contains(" merged"),
        "{}",
        out.stdout
    );
}

/// A check that the `len-zero` fix breaks: it fails when `src/lib.rs` says
/// `is_empty`. With `FLAKE_FLAG` set it fails only the first time.
const CHECK: &str = r#"#!/bin/sh
if grep -q is_empty src/lib.rs; then
  if [ -n "$FLAKE_FLAG" ]; then
    if [ -f "$FLAKE_FLAG" ]; then exit 0; fi
    touch "$FLAKE_FLAG"
  fi
  echo "test broken: is_empty is not what we want" >&2
  exit 1
fi
exit 0
"#;

fn broken_by_len_zero(mode: &str) -> Project {
    let config = format!(
        "limits:\n  max_prs_per_run: 10\nforge:\n  local:\n    check_command: sh check.sh\nrevert:\n  mode: {mode}\n"
    );
    Project::sample_with(&config, &[("check.sh", CHECK)])
}

/// Proposes without checks, then a maintainer merges the len-zero branch.
/// Returns (parent, merge).
fn merge_len_zero(project: &Project) -> (String, String) {
    run(project, &["--no-checks"]);
    let branch = proposals_by_branch(project)
        .into_iter()
        .find(|(_, (skill, _))| skill == "len-zero")
        .map(|(b, _)| b)
        .unwrap();
    let maint = project.clone_as("maintainer");
    let parent = git(&maint, &["rev-parse", "HEAD"]);
    git(
        &maint,
        &[
            "merge",
            "-q",
            "--no-ff",
            "-m",
            "Merge len-zero",
            &format!("origin/{branch}"),
        ],
    );
    git(&maint, &["push", "-q", "origin", "main"]);
    (parent, git(&maint, &["rev-parse", "HEAD"]))
}

fn run_with_env(project: &Project, env: &[(&str, &str)]) -> crate::support::Run {
    let run = crate::support::patchwright_with_env(&project.work, &["run"], env);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run
}

#[test]
fn the_local_forge_reverts_a_merge_its_check_command_finds_broken() {
    let project = broken_by_len_zero("pr");
    let (parent, merge) = merge_len_zero(&project);
    run_with_env(&project, &[]);

    let revert = format!("patchwright/revert/{}", &merge[..8]);
    assert!(
        project.proposal_branches().contains(&revert),
        "{:?}",
        project.proposal_branches()
    );
    let touched = git(&project.origin, &["diff", "--name-only", &parent, &merge]);
    let mut args = vec![
        "diff",
        "--name-only",
        parent.as_str(),
        revert.as_str(),
        "--",
    ];
    args.extend(touched.lines());
    assert_eq!(
        git(&project.origin, &args),
        "",
        "the revert restores what the merge touched"
    );
    assert_eq!(
        git(&project.origin, &["rev-parse", &format!("{revert}~1")]),
        merge
    );

    let ledger = project.ledger_json();
    assert_eq!(ledger["watch"][&merge]["state"]["kind"], "reverted");
    // Results are kept by tree, with the command that ran: the merge
    // failed, its parent passed.
    let tree = |commit: &str| {
        git(
            &project.origin,
            &["rev-parse", &format!("{commit}^{{tree}}")],
        )
    };
    assert_eq!(ledger["check_cache"][&tree(&merge)]["passed"], false);
    assert_eq!(ledger["check_cache"][&tree(&parent)]["passed"], true);
    assert_eq!(
        ledger["check_cache"][&tree(&parent)]["command"],
        "sh check.sh"
    );
    let reverted = ledger["proposals"]
        .as_object()
        .unwrap()
        .values()
        .find(|p| p["skill"] == "len-zero")
        .unwrap();
    assert_eq!(
        reverted["outcomes"].as_array().unwrap().last().unwrap()["kind"],
        "reverted"
    );

    // Again: no second revert branch, no new watch verdict.
    let refs = project.origin_refs();
    run_with_env(&project, &[]);
    let after = project.origin_refs();
    let branches = |refs: &str| {
        refs.lines()
            .filter(|l| l.contains("refs/heads/"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(branches(&after), branches(&refs));
}

#[test]
fn the_local_forge_records_a_check_that_fails_once_as_a_flake() {
    let project = broken_by_len_zero("pr");
    let (_, merge) = merge_len_zero(&project);
    let flag = project.root.join("flaked");
    run_with_env(&project, &[("FLAKE_FLAG", flag.to_str().unwrap())]);
    let ledger = project.ledger_json();
    assert_eq!(ledger["watch"][&merge]["state"]["kind"], "flaky");
    assert!(
        !project
            .proposal_branches()
            .iter()
            .any(|b| b.starts_with("patchwright/revert/"))
    );
}

#[test]
fn push_mode_with_the_local_forge_fast_forwards_main_by_one_revert() {
    let project = broken_by_len_zero("push");
    let (_, merge) = merge_len_zero(&project);
    run_with_env(&project, &[]);
    let log = git(
        &project.origin,
        &["log", "--format=%s", &format!("{merge}..main")],
    );
    assert_eq!(log.lines().count(), 1, "{log}");
    assert!(log.starts_with("Revert \"Use `is_empty()`"), "{log}");
    assert_eq!(git(&project.origin, &["rev-parse", "main~1"]), merge);
}

#[test]
fn a_skill_maintainers_keep_rejecting_is_paused_until_resumed() {
    let project = Project::sample(PROPOSE_ALL);
    run(&project, &["--no-checks"]);
    // Nine closed len-zero proposals in its history.
    project.rewrite_ledger(|ledger| {
        let proposals = ledger["proposals"].as_object_mut().unwrap();
        let template = proposals
            .values()
            .find(|p| p["skill"] == "len-zero")
            .unwrap()
            .clone();
        for i in 0..9 {
            let mut p = template.clone();
            let id = format!("len-zero/0000000{i}");
            p["id"] = id.clone().into();
            p["branch"] = format!("patchwright/{id}").into();
            p["fingerprints"] = serde_json::json!([format!("{i:016x}")]);
            p["outcomes"] = serde_json::json!([
                { "at": "2026-01-01T00:00:00Z", "kind": "opened" },
                { "at": "2026-01-02T00:00:00Z", "kind": "closed" }
            ]);
            proposals.insert(id, p);
        }
    });
    let out = run(&project, &["--no-checks"]);
    assert!(
        out.stdout
            .contains("warning: paused `len-zero` automatically: 0 of 9 decided proposals merged"),
        "{}",
        out.stdout
    );
    let ledger = project.ledger_json();
    assert_eq!(ledger["paused"]["len-zero"]["by"], "patchwright");
    let stats = patchwright(&project.work, &["stats"]);
    assert!(
        stats
            .stdout
            .contains("- `len-zero`: 0 of 10 merged; 9 closed; 1 open — paused"),
        "{}",
        stats.stdout
    );

    let resume = patchwright(
        &project.work,
        &["resume", "--skill", "len-zero", "--by", "ana"],
    );
    assert_eq!(resume.stderr.trim(), "resumed len-zero");
    run(&project, &["--no-checks"]);
    let ledger = project.ledger_json();
    assert!(
        ledger["paused"].get("len-zero").is_none(),
        "a resume is not undone by the old history"
    );
    assert_eq!(ledger["resumed"]["len-zero"]["by"], "ana");
}

#[test]
fn a_branch_someone_else_wrote_is_left_alone_and_not_recorded() {
    let project = Project::sample("limits:\n  max_prs_per_run: 1\n");
    let dry = run(&project, &["--dry-run", "--no-checks"]);
    let branch = dry
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("would propose "))
        .and_then(|l| l.split(':').next())
        .unwrap()
        .to_owned();
    // Someone pushes their own work under that name first.
    git(&project.work, &["checkout", "-q", "-b", "theirs"]);
    std::fs::write(project.work.join("THEIRS.md"), "mine\n").unwrap();
    git(&project.work, &["add", "THEIRS.md"]);
    git(
        &project.work,
        &[
            "-c",
            "user.name=Someone",
            "-c",
            "user.email=someone@example.com",
            "commit",
            "-q",
            "-m",
            "their work",
        ],
    );
    git(
        &project.work,
        &["push", "-q", "origin", &format!("theirs:{branch}")],
    );
    git(&project.work, &["checkout", "-q", "main"]);
    let theirs = git(&project.origin, &["rev-parse", &branch]);

    let out = run(&project, &["--no-checks"]);
    assert!(
        out.stdout.contains(&format!(
            "{branch} exists with commits by someone else; left alone"
        )),
        "{}",
        out.stdout
    );
    assert_eq!(git(&project.origin, &["rev-parse", &branch]), theirs);
    let id = branch.trim_start_matches("patchwright/");
    assert!(project.ledger_json()["proposals"].get(id).is_none());
    assert!(
        project
            .ledger_events()
            .contains(&format!("drop {id}: its branch is someone else's")),
        "{:#?}",
        project.ledger_events()
    );
}

/// The README's `git merge` of a proposal fast-forwards `main` to the bot's
/// commit; the bot goes on from there instead of waiting for "someone
/// else's" commit.
#[test]
fn a_fast_forwarded_proposal_does_not_stall_the_next_run() {
    let project = Project::sample("limits:\n  max_prs_per_run: 1\n");
    run(&project, &["--no-checks"]);
    let first = project.proposal_branches();
    assert_eq!(first.len(), 1);
    let maint = project.clone_as("maintainer");
    git(
        &maint,
        &["merge", "-q", "--ff-only", &format!("origin/{}", first[0])],
    );
    git(&maint, &["push", "-q", "origin", "main"]);
    assert_eq!(
        git(&project.origin, &["log", "-1", "--format=%ae", "main"]),
        "patchwright[bot]@users.noreply.github.com",
        "main ends with the bot's commit"
    );

    let next = run(&project, &["--no-checks"]);
    assert!(
        !next.stdout.contains("waits for someone else"),
        "{}",
        next.stdout
    );
    let ledger = project.ledger_json();
    let states: Vec<String> = ledger["proposals"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| {
            let last = p["outcomes"].as_array().unwrap().last().unwrap();
            last["kind"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(states.len(), 2, "a new proposal: {}", next.stdout);
    assert!(states.contains(&"merged".to_owned()), "{states:?}");
    let main = git(&project.origin, &["rev-parse", "main"]);
    let second = project
        .proposal_branches()
        .into_iter()
        .find(|b| *b != first[0])
        .unwrap();
    assert_eq!(
        git(&project.origin, &["rev-parse", &format!("{second}~1")]),
        main,
        "built on the merged fix"
    );
}

/// Findings keep coming; proposals do not pile up: each run adds the new
/// ones to the open proposal of their skill and package.
#[test]
fn new_findings_join_the_open_proposal_of_their_group() {
    let project = Project::sample(PROPOSE_ALL);
    run(&project, &["--no-checks"]);
    let branches = project.proposal_branches();
    let len_zero = branches
        .iter()
        .find(|b| b.starts_with("patchwright/len-zero/"))
        .unwrap()
        .clone();
    let maint = project.clone_as("maintainer");
    for (n, name) in ["first", "second"].iter().enumerate() {
        git(&maint, &["pull", "-q", "--ff-only", "origin", "main"]);
        let lib = maint.join("src/lib.rs");
        let mut text = std::fs::read_to_string(&lib).unwrap();
        text.push_str(&format!(
            "\npub fn {name}_is_empty(v: &[u8]) -> bool {{\n    v.len() == 0\n}}\n"
        ));
        std::fs::write(&lib, text).unwrap();
        git(&maint, &["commit", "-qam", &format!("{name} helper")]);
        git(&maint, &["push", "-q", "origin", "main"]);

        let out = run(&project, &["--no-checks"]);
        assert_eq!(project.proposal_branches(), branches, "{}", out.stdout);
        assert!(
            out.stdout.contains(&format!("updated (+1) {len_zero}: ")),
            "{}",
            out.stdout
        );
        let main = git(&project.origin, &["rev-parse", "main"]);
        assert_eq!(
            git(&project.origin, &["rev-parse", &format!("{len_zero}~1")]),
            main,
            "rebuilt on the current main"
        );
        let diff = git(&project.origin, &["diff", "main", &len_zero]);
        assert_eq!(
            diff.matches("is_empty()").count(),
            3 + n + 1,
            "its own fixes and the new ones:\n{diff}"
        );
    }
    let events = project.ledger_events();
    assert_eq!(
        events.iter().filter(|e| e.starts_with("update ")).count(),
        2,
        "{events:#?}"
    );
    // Nothing new: the same run again changes nothing.
    let again = run(&project, &["--no-checks"]);
    assert!(!again.stdout.contains("updated"), "{}", again.stdout);
    assert_eq!(project.ledger_events(), events);
}

/// What the slash commands do, the command line does too, and it refuses
/// fingerprints that name nothing.
#[test]
fn the_command_line_ignores_pauses_and_explains_like_the_slash_commands() {
    let project = Project::sample("limits:\n  max_prs_per_run: 1\n");
    let w = &project.work;
    let json = patchwright(w, &["scan", "--format", "json"]);
    let scan: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let of = |skill: &str| -> Vec<String> {
        scan["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["skill"] == skill && f["fixable"] == true)
            .map(|f| f["fingerprint"].as_str().unwrap().to_owned())
            .collect()
    };
    let len_zero = of("len-zero");

    // A fingerprint that names nothing is refused, and nothing is written.
    let events = project.ledger_events();
    let bogus = patchwright(w, &["ignore", "deadbeefdeadbeef"]);
    assert_ne!(bogus.code, 0);
    assert!(
        bogus.stderr.contains(
            "`deadbeefdeadbeef` is not in the ledger and not found on the default branch"
        ),
        "{}",
        bogus.stderr
    );
    assert_eq!(project.ledger_events(), events);

    // Any finding of the default branch can be explained, proposed or not.
    let explained = patchwright(w, &["explain", &len_zero[0]]);
    assert_eq!(explained.code, 0, "{}", explained.stderr);
    assert!(
        explained.stdout.contains(&format!(
            "`{}` is a `len-zero` finding at `src/lib.rs:",
            len_zero[0]
        )) && explained.stdout.contains("Not proposed yet"),
        "{}",
        explained.stdout
    );

    // Not now: rejected until `learning.later_days` have passed.
    let later = patchwright(w, &["ignore", &len_zero[0], "--reason", "later"]);
    assert_eq!(later.code, 0, "{}", later.stderr);
    assert_eq!(
        later.stderr.trim(),
        "1 of 1 fingerprints newly ignored (later)"
    );
    let ledger = project.ledger_json();
    assert!(
        ledger["rejected"][&len_zero[0]]["until"].is_string(),
        "{ledger:#}"
    );
    let explained = patchwright(w, &["explain", &len_zero[0]]);
    assert!(
        explained.stdout.contains("asked for later"),
        "{}",
        explained.stdout
    );

    // Pausing a skill, as `/patchwright pause`.
    let paused = patchwright(w, &["pause", "len-zero", "--reason", "too noisy"]);
    assert_eq!(paused.code, 0, "{}", paused.stderr);
    assert_eq!(
        project.ledger_json()["paused"]["len-zero"]["reason"],
        "too noisy"
    );
    let explained = patchwright(w, &["explain", &len_zero[1]]);
    assert!(
        explained.stdout.contains("is paused"),
        "{}",
        explained.stdout
    );
    let unknown = patchwright(w, &["pause", "no-such-skill"]);
    assert_ne!(unknown.code, 0);
    assert!(
        unknown.stderr.contains("unknown skill `no-such-skill`"),
        "{}",
        unknown.stderr
    );

    // Closing a proposal as a wrong fix, as `/patchwright ignore wrong`.
    run(&project, &["--no-checks"]);
    let branch = project.proposal_branches()[0].clone();
    let closed = patchwright(w, &["ignore", &branch, "--reason", "wrong"]);
    assert_eq!(closed.code, 0, "{}", closed.stderr);
    assert!(closed.stderr.contains("(wrong)"), "{}", closed.stderr);
    let ledger = project.ledger_json();
    let proposal = ledger["proposals"]
        .as_object()
        .unwrap()
        .values()
        .find(|p| p["branch"] == branch.as_str())
        .unwrap();
    let last = proposal["outcomes"].as_array().unwrap().last().unwrap();
    assert_eq!(last["kind"], "closed", "{proposal:#}");
    let again = patchwright(w, &["ignore", &branch]);
    assert_ne!(again.code, 0);
    assert!(
        again.stderr.contains("is already closed"),
        "{}",
        again.stderr
    );
}

/// Build directories kept between runs are bounded, and `gc` removes them.
#[test]
fn build_directories_stay_within_their_bound_and_gc_removes_them() {
    let cache = tempfile::tempdir().unwrap();
    let home = cache.path().to_str().unwrap();
    let env = [("XDG_CACHE_HOME", home)];
    let project = Project::sample("limits:\n  max_prs_per_run: 1\n");
    let w = &project.work;
    let run_dir = w.join(".git/patchwright/target");

    let ran = crate::support::patchwright_with_env(w, &["run"], &env);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(run_dir.is_dir(), "run keeps its builds");
    let fixed = crate::support::patchwright_with_env(w, &["fix"], &env);
    assert_eq!(fixed.code, 0, "{}", fixed.stderr);
    let fix_dirs = std::fs::read_dir(cache.path().join("patchwright/validate"))
        .unwrap()
        .count();
    assert_eq!(fix_dirs, 1, "fix keeps one build directory per project");

    let gc = crate::support::patchwright_with_env(w, &["gc"], &env);
    assert_eq!(gc.code, 0, "{}", gc.stderr);
    assert!(gc.stderr.contains("freed "), "{}", gc.stderr);
    assert_eq!(gc.stderr.matches("removed ").count(), 2, "{}", gc.stderr);
    assert!(!run_dir.exists());
    let again = crate::support::patchwright_with_env(w, &["gc"], &env);
    assert_eq!(again.stderr.trim(), "no build directories to remove");

    // With no room at all, a run removes what it built once it is done.
    std::fs::write(
        w.join(".github/patchwright.yml"),
        "limits:\n  max_prs_per_run: 1\ncache:\n  max_megabytes: 0\n",
    )
    .unwrap();
    let tight = crate::support::patchwright_with_env(w, &["run"], &env);
    assert_eq!(tight.code, 0, "{}", tight.stderr);
    assert!(
        tight.stderr.contains("removed the build directory")
            && tight.stderr.contains("cache.max_megabytes is 0"),
        "{}",
        tight.stderr
    );
    assert!(!run_dir.exists());
}

/// Default: progress lines only; -v the cycle's steps; -vv its decisions.
#[test]
fn verbosity_shows_progress_then_steps_then_decisions() {
    let project = Project::sample("limits:\n  max_prs_per_run: 1\n");
    let w = &project.work;
    let quiet = patchwright(w, &["run"]);
    assert_eq!(quiet.code, 0, "{}", quiet.stderr);
    assert!(
        quiet.stderr.contains("checking "),
        "a check is never silent: {}",
        quiet.stderr
    );
    assert!(!quiet.stderr.contains("info:"), "{}", quiet.stderr);
    let steps = patchwright(w, &["run", "-v"]);
    assert!(
        steps.stderr.contains("info: syncing ") && steps.stderr.contains("info: scanning "),
        "{}",
        steps.stderr
    );
    assert!(!steps.stderr.contains("debug:"), "{}", steps.stderr);
    let decisions = patchwright(w, &["run", "-vv"]);
    assert!(
        decisions.stderr.contains("debug: plan: "),
        "{}",
        decisions.stderr
    );
    let silent = patchwright(w, &["run", "-q"]);
    assert_eq!(silent.stderr, "", "-q stays quiet");
}

/// A `commands.prefix` the repository's workflow does not filter on would
/// leave every command unanswered: the run says so.
#[test]
fn a_prefix_the_workflow_does_not_filter_on_is_warned_about() {
    let workflow = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/.github/workflows/patchwright.yml"
    ))
    .unwrap();
    let project = Project::new("a crate with the workflow", |work| {
        crate::support::copy_dir(&crate::support::fixtures().join("crates/sample"), work);
        std::fs::create_dir_all(work.join(".github/workflows")).unwrap();
        std::fs::write(work.join(".github/workflows/patchwright.yml"), &workflow).unwrap();
        std::fs::write(
            work.join(".github/patchwright.yml"),
            "commands:\n  prefix: /bot\n",
        )
        .unwrap();
    });
    let run = patchwright(&project.work, &["run", "--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("commands.prefix is `/bot`, but the comment filter of `.github/workflows/patchwright.yml` does not name it"),
        "{}",
        run.stdout
    );
}

/// On a clean repository the run still says what it looked at, and why it
/// proposes nothing.
#[test]
fn a_run_that_proposes_nothing_says_what_it_looked_at_and_why() {
    let clean = Project::new("a clean crate", |work| {
        std::fs::create_dir_all(work.join("src")).unwrap();
        std::fs::write(
            work.join("Cargo.toml"),
            "[package]\nname = \"clean\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        )
        .unwrap();
        std::fs::write(work.join("src/lib.rs"), "pub fn one() -> u8 {\n    1\n}\n").unwrap();
    });
    let run = patchwright(&clean.work, &["run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    assert!(
        lines[0].starts_with("scanned ") && lines[0].contains(": 1 file in 1 package, 5 skills, "),
        "{}",
        run.stdout
    );
    assert!(lines[0].ends_with(": 0 findings"), "{}", run.stdout);
    assert_eq!(lines[1], "nothing new to propose: the skills found nothing");

    let todo = Project::new("a crate with a note", |work| {
        std::fs::create_dir_all(work.join("src")).unwrap();
        std::fs::write(
            work.join("Cargo.toml"),
            "[package]\nname = \"todo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        )
        .unwrap();
        std::fs::write(work.join("src/lib.rs"), "// TODO: more\npub fn one() {}\n").unwrap();
    });
    let run = patchwright(&todo.work, &["run"]);
    assert!(run.stdout.contains("(todo-comments 1)"), "{}", run.stdout);
    assert!(
        run.stdout
            .ends_with("nothing new to propose: the one finding has no automatic fix\n"),
        "{}",
        run.stdout
    );
}
