//! The ledger is never lost to a fetch: a repository's own ledger (kept
//! when it runs without its remote) survives commands that read the
//! remote's, is published by the next change, and two histories that went
//! apart are merged, never dropped.

use crate::support::{Project, git, patchwright};

const CONFIG: &str = "limits:\n  max_prs_per_run: 10\n";

fn ok(project: &Project, args: &[&str]) -> crate::support::Run {
    let run = patchwright(&project.work, args);
    assert_eq!(run.code, 0, "{args:?}\n{}\n{}", run.stdout, run.stderr);
    run
}

fn local_ledger(project: &Project) -> String {
    git(&project.work, &["rev-parse", "refs/patchwright/state"])
}

/// The README's first steps: a run without the remote, then the commands
/// that read. None of them loses the ledger or what it remembers.
#[test]
fn reading_with_a_remote_that_has_no_ledger_keeps_the_local_one() {
    let project = Project::sample(CONFIG);
    ok(&project, &["run", "--remote", "none", "--no-checks"]);
    let ledger = local_ledger(&project);
    // A maintainer rejects one proposal by deleting its branch.
    let rejected = project
        .local_branches()
        .into_iter()
        .find(|b| b.contains("len-zero"))
        .unwrap();
    git(&project.work, &["branch", "-D", &rejected]);
    ok(&project, &["run", "--remote", "none", "--no-checks"]);
    let ledger_after_reject = local_ledger(&project);
    assert_ne!(ledger, ledger_after_reject);

    let pulls = ok(&project, &["pulls"]);
    assert!(pulls.stdout.contains("closed"), "{}", pulls.stdout);
    for args in [
        &["pulls"][..],
        &["ledger", "show"],
        &["ledger", "log"],
        &["stats"],
        &["ignored"],
    ] {
        ok(&project, args);
        assert_eq!(
            local_ledger(&project),
            ledger_after_reject,
            "`{args:?}` must not move the ledger"
        );
    }
    let explain = ok(&project, &["explain", &rejected]);
    assert!(explain.stdout.contains("closed"), "{}", explain.stdout);
    assert_eq!(local_ledger(&project), ledger_after_reject);

    // The rejection still holds.
    let again = ok(&project, &["run", "--remote", "none", "--no-checks"]);
    assert!(
        !again.stdout.contains("proposed patchwright/len-zero"),
        "{}",
        again.stdout
    );
    assert!(
        !project
            .local_branches()
            .iter()
            .any(|b| b.contains("len-zero")),
        "the rejected proposal came back"
    );

    // With the remote, the next change publishes the whole local history.
    ok(&project, &["stop", "--reason", "release week"]);
    let published = git(&project.origin, &["rev-parse", "refs/patchwright/state"]);
    assert_eq!(
        git(&project.origin, &["rev-parse", &format!("{published}~1")]),
        ledger_after_reject,
        "published on top of the local ledger"
    );
    assert_eq!(
        local_ledger(&project),
        published,
        "the local ledger follows"
    );
    let reflog = git(&project.work, &["reflog", "show", "refs/patchwright/state"]);
    assert!(
        reflog.lines().count() >= 3,
        "moves are kept in a reflog:\n{reflog}"
    );
}

/// One history on the remote, another here: both are read, merged, and
/// the next change joins them.
#[test]
fn two_ledgers_that_went_apart_are_merged_not_dropped() {
    let project = Project::sample(CONFIG);
    ok(&project, &["run", "--no-checks"]);
    assert_eq!(
        local_ledger(&project),
        git(&project.origin, &["rev-parse", "refs/patchwright/state"])
    );
    // Here, without the remote: a finding is ignored.
    let json = ok(&project, &["scan", "--format", "json"]);
    let scan: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let fingerprint = scan["findings"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(
        &project,
        &[
            "ignore",
            &fingerprint,
            "--remote",
            "none",
            "--note",
            "not here",
        ],
    );
    // Elsewhere, on the remote: the bot is stopped.
    let other = project.clone_as("other");
    let stop = patchwright(&other, &["stop", "--reason", "freeze"]);
    assert_eq!(stop.code, 0, "{}", stop.stderr);

    let shown = ok(&project, &["ledger", "show", "--json"]);
    let merged: serde_json::Value = serde_json::from_str(&shown.stdout).unwrap();
    assert_eq!(merged["stopped"]["reason"], "freeze", "{}", shown.stdout);
    assert!(
        merged["rejected"].get(&fingerprint).is_some(),
        "{}",
        shown.stdout
    );

    ok(&project, &["resume"]);
    let head = git(&project.origin, &["rev-parse", "refs/patchwright/state"]);
    let parents = git(
        &project.origin,
        &["rev-list", "--parents", "-n", "1", &head],
    );
    assert_eq!(
        parents.split_whitespace().count(),
        3,
        "the merge joins both histories: {parents}"
    );
    let ledger = project.ledger_json();
    assert!(ledger["stopped"].is_null(), "resumed");
    assert!(
        ledger["rejected"].get(&fingerprint).is_some(),
        "the local rejection survived"
    );
}

/// The README's walkthrough of what `run` does, replayed line by line on a
/// fresh repository of a new user (no remote, no configuration): every
/// command succeeds, and the run after a fast-forward merge and a deleted
/// branch records both and goes on.
#[test]
fn the_readmes_walkthrough_runs_as_written() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("```sh\ngit log --oneline refs/patchwright/state")
        .expect("the walkthrough is in the README");
    let block = &readme[start + "```sh\n".len()..];
    let block = &block[..block.find("```").unwrap()];

    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    crate::support::copy_dir(&crate::support::fixtures().join("crates/sample"), work);
    git(work, &["init", "-q", "-b", "main"]);
    git(work, &["add", "."]);
    git(work, &["commit", "-qm", "a crate"]);
    let first = patchwright(work, &["run"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let branches: Vec<String> = git(
        work,
        &[
            "branch",
            "--list",
            "patchwright/*",
            "--format=%(refname:short)",
        ],
    )
    .lines()
    .map(str::to_owned)
    .collect();
    assert_eq!(branches.len(), 2, "{}", first.stdout);
    let ledger: serde_json::Value =
        serde_json::from_str(&patchwright(work, &["ledger", "show", "--json"]).stdout).unwrap();
    let rejected_later = ledger["proposals"]
        .as_object()
        .unwrap()
        .values()
        .find(|p| p["branch"] == branches[1].as_str())
        .and_then(|p| p["fingerprints"][0].as_str())
        .unwrap()
        .to_owned();

    for line in block.lines().filter(|l| !l.trim().is_empty()) {
        let command = line.split("  #").next().unwrap().trim();
        let command = command
            .replace("patchwright/len-zero/1a2b3c4d", &branches[0])
            .replace("patchwright/question-mark/5e6f7a8b", &branches[1])
            .replace("0123456789abcdef", &rejected_later);
        let words: Vec<&str> = command.split_whitespace().collect();
        let (out, code) = match words[0] {
            "git" => {
                let out = std::process::Command::new("git")
                    .args(&words[1..])
                    .current_dir(work)
                    .env("GIT_CONFIG_GLOBAL", "/dev/null")
                    .env("GIT_AUTHOR_NAME", "Maintainer")
                    .env("GIT_AUTHOR_EMAIL", "maintainer@example.com")
                    .env("GIT_COMMITTER_NAME", "Maintainer")
                    .env("GIT_COMMITTER_EMAIL", "maintainer@example.com")
                    .output()
                    .unwrap();
                (
                    format!(
                        "{}{}",
                        String::from_utf8_lossy(&out.stdout),
                        String::from_utf8_lossy(&out.stderr)
                    ),
                    out.status.code().unwrap_or(-1),
                )
            }
            "patchwright" => {
                let run = patchwright(work, &words[1..]);
                (format!("{}{}", run.stdout, run.stderr), run.code)
            }
            other => panic!("the walkthrough runs git and patchwright, not {other}"),
        };
        assert_eq!(code, 0, "`{command}` failed:\n{out}");
        if words[..2] == ["patchwright", "run"] {
            assert!(
                out.contains(&format!(
                    "synced: {} merged",
                    &branches[0]["patchwright/".len()..]
                )) && out.contains(&format!(
                    "synced: {} closed",
                    &branches[1]["patchwright/".len()..]
                )),
                "{out}"
            );
            assert!(!out.contains("waits for someone else"), "{out}");
        }
        if words[..2] == ["patchwright", "unignore"] {
            assert!(out.contains("Lifted the rejection"), "{out}");
        }
    }
}
