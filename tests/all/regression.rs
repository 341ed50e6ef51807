//! The regression watch on GitHub (the fake) and real git: a merged bot pull
//! request that turns `main` red is re-run, then reverted with evidence; a
//! flake, a red someone else caused, an unattributable red and a revert that
//! would conflict are reported instead. Replaying events changes nothing.

use serde_json::Value;

use crate::github::{Hub, payload};
use crate::support::git;

/// One proposal (derive-debug, the first by rank) opened and merged; `main`
/// green before the merge. Returns (pull number, parent, merge commit).
fn merged_bot_pull(hub: &Hub) -> (u64, String, String) {
    hub.schedule();
    let number = hub.pull_number("derive-debug");
    let parent = git(&hub.project.origin, &["rev-parse", "main"]);
    let mut w = hub.fake.world();
    w.set_check(&parent, "test", "success", 100);
    let merge = w.merge(number, &hub.project.root);
    (number, parent, merge)
}

fn ci_completed(hub: &Hub) -> crate::support::Run {
    let run = hub.event("workflow_run", &payload("workflow_run.completed.json"));
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run
}

/// `ci_completed` in another checkout of the repository.
fn ci_completed_in(hub: &Hub, checkout: &std::path::Path) -> crate::support::Run {
    let run = hub.event_at(
        checkout,
        "workflow_run",
        &payload("workflow_run.completed.json"),
        &[],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run
}

fn watch_state(hub: &Hub, merge: &str) -> Value {
    hub.ledger()["watch"][merge].clone()
}

fn revert_pulls(hub: &Hub) -> Vec<(u64, String, String, Vec<String>)> {
    hub.fake
        .world()
        .pulls()
        .into_iter()
        .filter(|p| {
            p.pull
                .as_ref()
                .unwrap()
                .head
                .starts_with("patchwright/revert/")
        })
        .map(|p| (p.number, p.title.clone(), p.body.clone(), p.labels.clone()))
        .collect()
}

const ONE: &str = "limits:\n  max_prs_per_run: 1\n";

#[test]
fn a_confirmed_regression_is_reverted_with_its_evidence() {
    let hub = Hub::new(ONE);
    let (number, parent, merge) = merged_bot_pull(&hub);
    hub.fake.world().set_check(&merge, "test", "failure", 7);

    // Red at the merge, green before it: the failed jobs are re-run first.
    ci_completed(&hub);
    assert_eq!(hub.fake.world().reruns, [7]);
    assert_eq!(watch_state(&hub, &merge)["state"]["kind"], "rerunning");
    // The same event again: the re-run's results are not in; nothing new.
    ci_completed(&hub);
    assert_eq!(hub.fake.world().reruns, [7]);
    assert!(revert_pulls(&hub).is_empty());

    // Red again on the re-run: a revert pull request.
    hub.fake.world().set_check(&merge, "test", "failure", 7);
    ci_completed(&hub);
    let reverts = revert_pulls(&hub);
    assert_eq!(reverts.len(), 1);
    let (revert_number, title, body, labels) = &reverts[0];
    let original_title = hub.fake.world().issues[&number].title.clone();
    assert_eq!(title, &format!("Revert \"{original_title}\""));
    assert_eq!(
        labels,
        &["patchwright".to_owned(), "patchwright:revert".to_owned()]
    );
    assert!(body.contains(&format!("This reverts #{number}")), "{body}");
    assert!(
        body.contains("[test](https://github.com/octo/sample/actions/runs/7/job/1)"),
        "{body}"
    );
    assert!(
        body.contains("[test](https://github.com/octo/sample/actions/runs/100/job/1)"),
        "{body}"
    );
    assert!(body.contains("re-run 1 time and failed again"), "{body}");

    // The revert commit restores exactly what the pull request touched.
    let branch = format!("patchwright/revert/{}", &merge[..8]);
    let touched = git(
        &hub.project.origin,
        &["diff", "--name-only", &parent, &merge],
    );
    let touched: Vec<&str> = touched.lines().collect();
    let mut args = vec![
        "diff",
        "--name-only",
        parent.as_str(),
        branch.as_str(),
        "--",
    ];
    args.extend(&touched);
    assert_eq!(
        git(&hub.project.origin, &args),
        "",
        "touched paths are back to the parent's"
    );
    assert_eq!(
        git(
            &hub.project.origin,
            &["diff", "--name-only", &merge, &branch]
        )
        .lines()
        .collect::<Vec<_>>(),
        touched
    );

    // The original pull request says so; the ledger remembers.
    let comments = hub.said_on(number);
    assert_eq!(
        comments
            .iter()
            .filter(|c| c.contains(&format!("#{revert_number} reverts it")))
            .count(),
        1
    );
    let ledger = hub.ledger();
    assert_eq!(watch_state(&hub, &merge)["state"]["kind"], "reverted");
    let proposal = ledger["proposals"]
        .as_object()
        .unwrap()
        .values()
        .find(|p| p["pull"]["number"] == number)
        .unwrap();
    assert_eq!(
        proposal["outcomes"].as_array().unwrap().last().unwrap()["kind"],
        "reverted"
    );
    assert!(
        ledger["rejected"]
            .as_object()
            .unwrap()
            .values()
            .all(|r| r["reason"].as_str().unwrap().ends_with("was reverted"))
    );

    // Replaying: no second revert, no second comment.
    ci_completed(&hub);
    hub.schedule();
    assert_eq!(revert_pulls(&hub).len(), 1);
    assert_eq!(hub.said_on(number), comments);
    hub.assert_token_never_shown();
}

#[test]
fn green_on_the_rerun_is_a_flake_and_nothing_is_reverted() {
    let hub = Hub::new(ONE);
    let (_, _, merge) = merged_bot_pull(&hub);
    hub.fake.world().set_check(&merge, "test", "failure", 7);
    ci_completed(&hub);
    hub.fake.world().set_check(&merge, "test", "success", 7);
    ci_completed(&hub);
    let state = watch_state(&hub, &merge)["state"].clone();
    assert_eq!(state["kind"], "flaky");
    assert_eq!(state["failing"], serde_json::json!(["test"]));
    assert!(revert_pulls(&hub).is_empty());
    let dashboard = hub.fake.world().plain_issues()[0].body.clone();
    assert!(
        dashboard.contains("green when re-run; recorded as a flake"),
        "{dashboard}"
    );
}

/// A maintainer merges a branch of their own into `main`.
fn human_merge(hub: &Hub, file: &str, text: &str) -> String {
    let clone = hub
        .project
        .clone_as(&format!("human-{}", file.replace('/', "-")));
    git(&clone, &["checkout", "-q", "-b", "feature"]);
    std::fs::write(clone.join(file), text).unwrap();
    git(&clone, &["add", "."]);
    git(&clone, &["commit", "-qm", "a human change"]);
    git(&clone, &["checkout", "-q", "main"]);
    git(
        &clone,
        &["merge", "-q", "--no-ff", "-m", "Merge feature", "feature"],
    );
    git(&clone, &["push", "-q", "origin", "main"]);
    git(&clone, &["rev-parse", "HEAD"])
}

#[test]
fn a_red_caused_by_a_later_merge_is_not_reverted() {
    // Green on the bot's merge: nothing to watch for any more.
    let hub = Hub::new(ONE);
    let (_, _, merge) = merged_bot_pull(&hub);
    hub.fake.world().set_check(&merge, "test", "success", 8);
    let later = human_merge(&hub, "NOTES.md", "notes\n");
    hub.fake.world().set_check(&later, "test", "failure", 9);
    ci_completed(&hub);
    assert_eq!(watch_state(&hub, &merge)["state"]["kind"], "clean");
    assert!(revert_pulls(&hub).is_empty());
    assert!(hub.fake.world().reruns.is_empty());

    // No checks on the bot's merge, red only after another merge: report.
    let hub = Hub::new(ONE);
    let (number, _, merge) = merged_bot_pull(&hub);
    let later = human_merge(&hub, "NOTES.md", "notes\n");
    hub.fake.world().set_check(&later, "test", "failure", 9);
    ci_completed(&hub);
    let state = watch_state(&hub, &merge)["state"].clone();
    assert_eq!(state["kind"], "reported");
    assert!(
        state["reason"]
            .as_str()
            .unwrap()
            .contains("and another merge"),
        "{state}"
    );
    assert!(revert_pulls(&hub).is_empty());
    let said = hub.said_on(number);
    assert!(
        said.iter()
            .any(|c| c.contains("so a red cannot be pinned on it. Not reverting.")),
        "{said:?}"
    );
    let dashboard = hub.fake.world().plain_issues()[0].body.clone();
    assert!(dashboard.contains("not reverted"), "{dashboard}");
}

#[test]
fn a_revert_that_would_conflict_is_reported_with_its_paths() {
    let hub = Hub::new("limits:\n  max_prs_per_run: 1\nrevert:\n  flaky_reruns: 0\n");
    let (number, _, merge) = merged_bot_pull(&hub);
    hub.fake.world().set_check(&merge, "test", "failure", 7);
    // Someone changes the very lines the bot changed (without a merge commit).
    let clone = hub.project.clone_as("editor");
    let shapes = std::fs::read_to_string(clone.join("src/shapes.rs")).unwrap();
    std::fs::write(
        clone.join("src/shapes.rs"),
        shapes.replace(
            "#[derive(Debug)]\npub enum Shape",
            "#[derive(Debug, Clone)]\npub enum Shape",
        ),
    )
    .unwrap();
    git(&clone, &["commit", "-qam", "Shapes are Clone"]);
    git(&clone, &["push", "-q", "origin", "main"]);

    ci_completed(&hub);
    let state = watch_state(&hub, &merge)["state"].clone();
    assert_eq!(state["kind"], "conflict");
    assert_eq!(state["paths"], serde_json::json!(["src/shapes.rs"]));
    assert!(revert_pulls(&hub).is_empty());
    let said = hub.said_on(number);
    assert!(
        said.iter()
            .any(|c| c.contains("would conflict with later changes in: src/shapes.rs")),
        "{said:?}"
    );
    assert!(
        hub.fake.world().plain_issues()[0]
            .body
            .contains("would conflict"),
        "dashboard"
    );
}

#[test]
fn push_mode_adds_exactly_one_revert_commit_to_main() {
    let hub = Hub::new("limits:\n  max_prs_per_run: 1\nrevert:\n  mode: push\n  flaky_reruns: 0\n");
    let (number, parent, merge) = merged_bot_pull(&hub);
    hub.fake.world().set_check(&merge, "test", "failure", 7);
    ci_completed(&hub);
    let log = git(
        &hub.project.origin,
        &["log", "--format=%H %s", &format!("{merge}..main")],
    );
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 1, "{log}");
    assert!(lines[0].contains("Revert \""), "{log}");
    let tip = git(&hub.project.origin, &["rev-parse", "main"]);
    assert_eq!(
        git(&hub.project.origin, &["rev-parse", "main~1"]),
        merge,
        "a fast-forward on top of the merge"
    );
    let touched = git(
        &hub.project.origin,
        &["diff", "--name-only", &parent, &merge],
    );
    let mut args = vec!["diff", "--name-only", parent.as_str(), tip.as_str(), "--"];
    args.extend(touched.lines());
    assert_eq!(git(&hub.project.origin, &args), "");
    let said = hub.said_on(number);
    assert!(
        said.iter()
            .any(|c| c.contains("patchwright pushed") && c.contains("to revert it")),
        "{said:?}"
    );
    assert!(revert_pulls(&hub).is_empty());
    ci_completed(&hub);
    assert_eq!(
        git(&hub.project.origin, &["rev-parse", "main"]),
        tip,
        "replaying pushes nothing more"
    );

    // `main` now ends with a revert the bot pushed: nothing is built on it
    // until someone else commits.
    let open = hub.fake.world().open_pulls().len();
    let run = hub.schedule();
    assert_eq!(hub.fake.world().open_pulls().len(), open, "{}", run.stdout);
    let dashboard = hub.fake.world().plain_issues()[0].body.clone();
    assert!(
        dashboard.contains("because the default branch ends with a revert patchwright pushed"),
        "{dashboard}"
    );
    human_merge(&hub, "NOTES.md", "notes\n");
    hub.schedule();
    assert_eq!(hub.fake.world().open_pulls().len(), open + 1);
}

#[test]
fn a_maintainer_can_ask_for_a_revert_and_other_merges_need_scope_any() {
    let hub = Hub::new(ONE);
    let (number, _, merge) = merged_bot_pull(&hub);
    hub.fake.world().set_check(&merge, "test", "success", 8);
    ci_completed(&hub);
    let (id, run) = hub.comment(number, "ana", "/patchwright revert");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let reverts = revert_pulls(&hub);
    assert_eq!(reverts.len(), 1);
    assert_eq!(
        hub.reply(number, id),
        format!(
            "> `/patchwright revert`\n\nOpened #{} to revert #{number}.",
            reverts[0].0
        )
    );
    assert!(
        reverts[0].2.contains("@ana asked for it."),
        "{}",
        reverts[0].2
    );
    // Asking again: nothing new.
    let (id, _) = hub.comment(number, "ana", "/patchwright revert");
    assert_eq!(
        hub.reply(number, id),
        format!(
            "> `/patchwright revert`\n\n#{number} is already reverted by #{}.",
            reverts[0].0
        )
    );
    assert_eq!(revert_pulls(&hub).len(), 1);

    // A merge of someone else's: refused unless revert.scope is any.
    let dashboard = hub.fake.world().plain_issues()[0].number;
    let (id, _) = hub.comment(dashboard, "ana", "/patchwright revert 999");
    assert_eq!(
        hub.reply(dashboard, id),
        "> `/patchwright revert 999`\n\n#999 is not one of patchwright's pull requests; reverting it needs `revert.scope: any` in the configuration."
    );
}

#[test]
fn push_mode_never_forces_over_a_concurrent_push_and_looks_again() {
    use patchwright::bot::context::Bot;
    use patchwright::bot::run::RunReport;
    use patchwright::config::Config;
    use patchwright::engine::skills::Registry;
    use patchwright::forge::github::{GitHubForge, GitHubOptions, RetryPolicy};
    use patchwright::store::ledger::Ledger;
    use patchwright::store::repo::Repo;
    use patchwright::vocab::secret::Secret;

    let hub = Hub::new("limits:\n  max_prs_per_run: 1\nrevert:\n  mode: push\n  flaky_reruns: 0\n");
    let (number, parent, merge) = merged_bot_pull(&hub);
    hub.fake.world().set_check(&merge, "test", "failure", 7);

    // The bot looks at the remote…
    let registry = Registry::builtin();
    let config = Config::load(&hub.project.work, None, &registry.ids()).unwrap();
    let repo = Repo::open(&hub.project.work, Some("origin"), None).unwrap();
    repo.fetch().unwrap();
    // …then a maintainer pushes to main before the bot does.
    let clone = hub.project.clone_as("racer");
    std::fs::write(clone.join("NOTES.md"), "a note\n").unwrap();
    git(&clone, &["add", "."]);
    git(&clone, &["commit", "-qm", "a note"]);
    git(&clone, &["push", "-q", "origin", "main"]);
    let theirs = git(&clone, &["rev-parse", "HEAD"]);

    let forge = GitHubForge::new(GitHubOptions {
        api_url: hub.fake.url.clone(),
        owner: crate::fake_github::OWNER.into(),
        repo: crate::fake_github::REPO.into(),
        token: Secret::new(crate::fake_github::TOKEN.into()),
        reviewers: Vec::new(),
        retry: RetryPolicy::default(),
        own_checks: Vec::new(),
        required: Vec::new(),
        base: Some("main".into()),
        default_token: false,
    })
    .unwrap();
    let bot = Bot {
        repo: &repo,
        config: &config,
        registry: &registry,
        forge: &forge,
        default_branch: "main".parse().unwrap(),
        batch: Default::default(),
        progress: None,
    };
    let ledger = Ledger::from_json(&serde_json::to_string(&hub.ledger()).unwrap()).unwrap();
    let proposal = ledger
        .proposals
        .values()
        .find(|p| p.pull.as_ref().and_then(|r| r.number) == Some(number))
        .cloned();
    let evidence = patchwright::policy::watch::Evidence {
        red: merge.parse().unwrap(),
        failing: Vec::new(),
        parent: parent.parse().unwrap(),
        passing: Vec::new(),
        reruns: 0,
        not_rerun: Vec::new(),
    };
    let mut report = RunReport::default();
    let state = patchwright::bot::watch::revert(
        &bot,
        &merge.parse().unwrap(),
        proposal.as_ref(),
        &evidence,
        None,
        &mut report,
    )
    .unwrap();
    assert_eq!(state, None, "the push was refused; nothing forced");
    assert_eq!(git(&hub.project.origin, &["rev-parse", "main"]), theirs);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("moved while reverting; will look again")),
        "{:?}",
        report.warnings
    );

    // The next event looks again and reverts on top of their commit.
    ci_completed(&hub);
    assert_eq!(git(&hub.project.origin, &["rev-parse", "main~1"]), theirs);
    assert!(
        git(&hub.project.origin, &["log", "-1", "--format=%s", "main"]).starts_with("Revert \"")
    );
}

/// The watch state's reason, when it is a report.
fn reported_reason(hub: &Hub, merge: &str) -> String {
    let state = watch_state(hub, merge)["state"].clone();
    assert_eq!(state["kind"], "reported", "{state}");
    state["reason"].as_str().unwrap().to_owned()
}

#[test]
fn at_most_daily_limit_automatic_reverts_a_day_and_each_pauses_its_skill() {
    let hub = Hub::new("limits:\n  max_prs_per_run: 1\nrevert:\n  flaky_reruns: 0\n");
    let parent = git(&hub.project.origin, &["rev-parse", "main"]);
    hub.fake.world().set_check(&parent, "test", "success", 100);
    let mut merges = Vec::new();
    let mut skills = Vec::new();
    for round in 0..3u64 {
        // The next proposal is opened, merged, and turns `main` red.
        hub.schedule();
        let pull = {
            let w = hub.fake.world();
            let open = w.open_pulls();
            assert_eq!(open.len(), 1, "round {round}");
            open[0].number
        };
        skills.push(hub.fake.world().issues[&pull].labels[1].clone());
        let merge = hub.fake.world().merge(pull, &hub.project.root);
        hub.fake
            .world()
            .set_check(&merge, "test", "failure", 10 + round);
        ci_completed(&hub);
        merges.push((pull, merge));
        // A maintainer merges the revert pull request, if there is one; `main` is green again.
        let revert = revert_pulls(&hub)
            .into_iter()
            .map(|(n, ..)| n)
            .find(|n| hub.fake.world().issues[n].state == "open");
        if let Some(revert) = revert {
            let back = hub.fake.world().merge(revert, &hub.project.root);
            hub.fake
                .world()
                .set_check(&back, "test", "success", 20 + round);
        }
    }
    // Two reverts; the third regression is reported and left alone.
    assert_eq!(revert_pulls(&hub).len(), 2);
    assert_eq!(watch_state(&hub, &merges[0].1)["state"]["kind"], "reverted");
    assert_eq!(watch_state(&hub, &merges[1].1)["state"]["kind"], "reverted");
    let reason = reported_reason(&hub, &merges[2].1);
    assert!(
        reason.contains(
            "2 automatic reverts already happened in the last 24 hours (revert.daily_limit: 2)"
        ),
        "{reason}"
    );
    let said = hub.said_on(merges[2].0);
    assert!(
        said.iter()
            .any(|c| c.contains("revert.daily_limit: 2). Not reverting.")),
        "{said:?}"
    );

    // The circuit breaker: each reverted skill is paused until a person resumes it.
    let ledger = hub.ledger();
    let paused = ledger["paused"].as_object().unwrap();
    for label in &skills[..2] {
        let skill = label.trim_start_matches("patchwright:");
        assert_eq!(paused[skill]["by"], "patchwright", "{paused:?}");
        assert!(
            paused[skill]["reason"]
                .as_str()
                .unwrap()
                .ends_with("turned `main` red and was reverted"),
            "{paused:?}"
        );
    }
    assert_eq!(paused.len(), 2);
    hub.schedule();
    let dashboard = hub.fake.world().plain_issues()[0].body.clone();
    let first = skills[0].trim_start_matches("patchwright:");
    assert!(
        dashboard.contains(&format!("- `{first}` by patchwright at")),
        "{dashboard}"
    );
    assert!(
        dashboard.contains("was reverted (`/patchwright resume"),
        "{dashboard}"
    );
}

#[test]
fn a_red_long_after_the_merge_is_reported_not_reverted() {
    let hub = Hub::new(ONE);
    let (number, _, merge) = merged_bot_pull(&hub);
    let merged_at: i64 = git(&hub.project.origin, &["log", "-1", "--format=%ct", &merge])
        .parse()
        .unwrap();
    let seven_hours_later = patchwright::vocab::time::Timestamp(merged_at + 7 * 3600).to_string();
    hub.fake
        .world()
        .set_check_at(&merge, "test", "failure", 7, &seven_hours_later);
    ci_completed(&hub);
    let reason = reported_reason(&hub, &merge);
    assert!(
        reason.contains("the first red run came 7.0 hours after the merge, later than revert.max_age_hours (6) allows"),
        "{reason}"
    );
    // Not even re-run: nothing would be done with the answer.
    assert!(hub.fake.world().reruns.is_empty());
    assert!(revert_pulls(&hub).is_empty());
    assert!(
        hub.said_on(number)
            .iter()
            .any(|c| c.contains("revert.max_age_hours"))
    );
    // Within the limit, the same red is reverted.
    let hub = Hub::new("limits:\n  max_prs_per_run: 1\nrevert:\n  flaky_reruns: 0\n");
    let (_, _, merge) = merged_bot_pull(&hub);
    let merged_at: i64 = git(&hub.project.origin, &["log", "-1", "--format=%ct", &merge])
        .parse()
        .unwrap();
    let soon = patchwright::vocab::time::Timestamp(merged_at + 5 * 3600).to_string();
    hub.fake
        .world()
        .set_check_at(&merge, "test", "failure", 7, &soon);
    ci_completed(&hub);
    assert_eq!(watch_state(&hub, &merge)["state"]["kind"], "reverted");
}

#[test]
fn an_opted_out_merge_is_never_reverted() {
    // By label on the pull request.
    let hub = Hub::new("limits:\n  max_prs_per_run: 1\nrevert:\n  flaky_reruns: 0\n");
    let (number, _, merge) = merged_bot_pull(&hub);
    hub.fake
        .world()
        .issues
        .get_mut(&number)
        .unwrap()
        .labels
        .push("patchwright:no-revert".into());
    hub.fake.world().set_check(&merge, "test", "failure", 7);
    ci_completed(&hub);
    ci_completed(&hub);
    let reason = reported_reason(&hub, &merge);
    assert!(
        reason.contains("labelled `patchwright:no-revert`"),
        "{reason}"
    );
    assert!(revert_pulls(&hub).is_empty());
    assert!(hub.ledger()["paused"].as_object().unwrap().is_empty());

    // By the merge commit's message.
    let hub = Hub::new("limits:\n  max_prs_per_run: 1\nrevert:\n  flaky_reruns: 0\n");
    hub.schedule();
    let number = hub.pull_number("derive-debug");
    let parent = git(&hub.project.origin, &["rev-parse", "main"]);
    hub.fake.world().set_check(&parent, "test", "success", 100);
    let merge = hub.fake.world().merge_saying(
        number,
        &hub.project.root,
        &format!("Merge pull request #{number}\n\npatchwright: no-revert (the red is expected)"),
    );
    hub.fake.world().set_check(&merge, "test", "failure", 7);
    ci_completed(&hub);
    let reason = reported_reason(&hub, &merge);
    assert!(
        reason.contains("its message says `patchwright: no-revert`"),
        "{reason}"
    );
    assert!(revert_pulls(&hub).is_empty());

    // A person can still ask for the revert.
    let (id, run) = hub.comment(number, "ana", "/patchwright revert");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        hub.reply(number, id).contains("to revert #"),
        "{}",
        hub.reply(number, id)
    );
    assert_eq!(revert_pulls(&hub).len(), 1);
}

/// A commit status cannot be re-run: a red only there is reverted at once,
/// and the revert says it was not re-run, never that it "failed again".
#[test]
fn what_cannot_be_rerun_is_said_so_in_the_revert() {
    let hub = Hub::new(ONE);
    let (_, parent, merge) = merged_bot_pull(&hub);
    {
        let mut w = hub.fake.world();
        w.statuses
            .insert(parent.clone(), vec![("deploy".into(), "success".into())]);
        w.set_check(&merge, "test", "success", 7);
        w.statuses
            .insert(merge.clone(), vec![("deploy".into(), "failure".into())]);
    }
    ci_completed(&hub);
    assert!(hub.fake.world().reruns.is_empty());
    let reverts = revert_pulls(&hub);
    assert_eq!(reverts.len(), 1);
    let body = &reverts[0].2;
    assert!(
        body.contains("`deploy` could not be re-run (it is a commit status or another app's check"),
        "{body}"
    );
    assert!(!body.contains("failed again"), "{body}");

    // Both kinds: the job is re-run, the status is not; the revert says which.
    let hub = Hub::new(ONE);
    let (_, parent, merge) = merged_bot_pull(&hub);
    {
        let mut w = hub.fake.world();
        w.statuses
            .insert(parent.clone(), vec![("deploy".into(), "success".into())]);
        w.set_check(&merge, "test", "failure", 7);
        w.statuses
            .insert(merge.clone(), vec![("deploy".into(), "failure".into())]);
    }
    ci_completed(&hub);
    assert_eq!(hub.fake.world().reruns, [7]);
    assert_eq!(watch_state(&hub, &merge)["state"]["kind"], "rerunning");
    ci_completed(&hub);
    assert!(revert_pulls(&hub).is_empty(), "the re-run is awaited");
    hub.fake.world().set_check(&merge, "test", "failure", 7);
    ci_completed(&hub);
    let reverts = revert_pulls(&hub);
    assert_eq!(reverts.len(), 1);
    let body = &reverts[0].2;
    assert!(
        body.contains("`test` was re-run 1 time and failed again, so it is not a flake."),
        "{body}"
    );
    assert!(body.contains("`deploy` could not be re-run"), "{body}");
}

/// A person's pull request squash-merged after the bot's: one parent, but a
/// merge all the same; a red after it is not pinned on the bot's merge.
#[test]
fn a_squash_merge_in_between_is_another_merge() {
    let hub = Hub::new(ONE);
    let (number, _, merge) = merged_bot_pull(&hub);
    let clone = hub.project.clone_as("squasher");
    std::fs::write(clone.join("NOTES.md"), "notes\n").unwrap();
    git(&clone, &["add", "."]);
    git(&clone, &["commit", "-qm", "A person's change (#99)"]);
    git(&clone, &["push", "-q", "origin", "main"]);
    let squashed = git(&clone, &["rev-parse", "HEAD"]);
    let other = {
        let mut w = hub.fake.world();
        w.set_check(&squashed, "test", "failure", 9);
        w.record_squash_merge(&squashed, "ana")
    };
    ci_completed(&hub);
    let state = watch_state(&hub, &merge)["state"].clone();
    assert_eq!(state["kind"], "reported", "{state}");
    assert!(
        state["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("and #{other}, merged (squashed or rebased) as")),
        "{state}"
    );
    assert!(revert_pulls(&hub).is_empty());
    assert!(
        hub.said_on(number)
            .iter()
            .any(|c| c.contains("Not reverting."))
    );
}

/// A checkout of one commit, as `actions/checkout` makes by default: the
/// bot fetches the whole history first, says so, and the watch works.
#[test]
fn a_shallow_checkout_is_made_whole_and_the_watch_works() {
    let hub = Hub::new(ONE);
    let (_, _, merge) = merged_bot_pull(&hub);
    hub.fake.world().set_check(&merge, "test", "failure", 7);
    let shallow = hub.project.root.join("shallow");
    git(
        &hub.project.root,
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            &format!("file://{}", hub.project.origin.display()),
            shallow.to_str().unwrap(),
        ],
    );
    assert!(shallow.join(".git/shallow").exists());
    let run = ci_completed_in(&hub, &shallow);
    assert!(
        run.stderr
            .contains("the checkout is shallow: fetching the whole history"),
        "{}",
        run.stderr
    );
    assert!(!shallow.join(".git/shallow").exists());
    assert_eq!(
        watch_state(&hub, &merge)["state"]["kind"],
        "rerunning",
        "the merge's parent was found: {}",
        watch_state(&hub, &merge)
    );
    assert_eq!(hub.fake.world().reruns, [7]);

    // The same over GitHub's transport (smart HTTP): libgit2's unshallow.
    let hub = Hub::new(ONE);
    let (_, _, merge) = merged_bot_pull(&hub);
    hub.fake.world().set_check(&merge, "test", "failure", 7);
    let url = format!("{}{}", hub.fake.url, crate::fake_git::path());
    let with_token = url.replacen(
        "http://",
        &format!("http://x-access-token:{}@", crate::fake_github::TOKEN),
        1,
    );
    let shallow = hub.project.root.join("shallow-http");
    git(
        &hub.project.root,
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            &with_token,
            shallow.to_str().unwrap(),
        ],
    );
    git(&shallow, &["remote", "set-url", "origin", &url]);
    assert!(shallow.join(".git/shallow").exists());
    let run = ci_completed_in(&hub, &shallow);
    assert!(!shallow.join(".git/shallow").exists(), "{}", run.stderr);
    assert_eq!(watch_state(&hub, &merge)["state"]["kind"], "rerunning");
}

/// Over GitHub's own transport (smart HTTP, the token as credentials) a
/// protected default branch refuses the bot's push with GH006: the revert
/// becomes a pull request that says why, at once, without retrying.
#[test]
fn a_protected_branch_turns_a_push_revert_into_a_pull_request() {
    let hub = Hub::new("limits:\n  max_prs_per_run: 1\nrevert:\n  mode: push\n  flaky_reruns: 0\n");
    let (number, _, merge) = merged_bot_pull(&hub);
    hub.fake.world().set_check(&merge, "test", "failure", 7);
    crate::fake_git::protect(&hub.project.origin, "main");
    let url = format!("{}{}", hub.fake.url, crate::fake_git::path());
    let checkout = hub.project.root.join("actions");
    git(
        &hub.project.root,
        &[
            "clone",
            "-q",
            hub.project.origin.to_str().unwrap(),
            checkout.to_str().unwrap(),
        ],
    );
    git(&checkout, &["remote", "set-url", "origin", &url]);
    let before = git(&hub.project.origin, &["rev-parse", "main"]);
    let run = ci_completed_in(&hub, &checkout);
    assert_eq!(
        git(&hub.project.origin, &["rev-parse", "main"]),
        before,
        "nothing reached the protected branch"
    );
    let reverts = revert_pulls(&hub);
    assert_eq!(reverts.len(), 1, "{}", run.stderr);
    let body = &reverts[0].2;
    assert!(body.contains("GH006"), "{body}");
    let said = hub.said_on(number);
    assert!(
        said.iter()
            .any(|c| c.contains(&format!("#{} reverts it", reverts[0].0))),
        "{said:?}"
    );
}
