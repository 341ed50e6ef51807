//! How the GitHub forge treats the API: a secondary rate limit without
//! headers is waited for, a POST whose answer was lost is looked for before
//! it is sent again, polled reads are conditional, the dashboard is found
//! only where the bot (or someone with write access) wrote it, and a run
//! with nothing to do costs almost nothing.

use std::time::{Duration, Instant};

use patchwright::forge::Forge;
use patchwright::forge::github::{GitHubForge, RetryPolicy};
use patchwright::store::checks::Checks;

use crate::fake_github::{Fault, OWNER, REPO};
use crate::github::{Hub, PROPOSE_ALL, forge, forge_with, proposal};

/// Every built-in skill off: a repository with nothing to propose.
const NOTHING_TO_DO: &str = "skills:\n  len-zero: { enabled: false }\n  derive-debug: { enabled: false }\n  question-mark: { enabled: false }\n  inline-format-args: { enabled: false }\n  todo-comments: { enabled: false }\n";

fn patient_forge(url: &str) -> GitHubForge {
    forge_with(
        url,
        RetryPolicy {
            base_delay: Duration::from_millis(10),
            secondary_wait: Duration::from_secs(1),
            ..RetryPolicy::default()
        },
    )
}

#[test]
fn a_secondary_limit_without_headers_is_waited_for() {
    let hub = Hub::new(PROPOSE_ALL);
    hub.fake
        .world()
        .faults
        .push_back(Fault::BareSecondaryRateLimit);
    let github = patient_forge(&hub.fake.url);
    let started = Instant::now();
    let level = github.permission("ana").unwrap();
    assert_eq!(level.to_string(), "write");
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(
        RetryPolicy::default().secondary_wait,
        Duration::from_secs(60),
        "GitHub asks for at least a minute"
    );
}

#[test]
fn a_post_whose_answer_was_lost_is_looked_for_before_it_is_sent_again() {
    let hub = Hub::new(PROPOSE_ALL);
    hub.schedule();
    let number = hub.pull_number("len-zero");
    let github = forge(&hub.fake.url, 3);
    let comments = format!("POST /repos/{OWNER}/{REPO}/issues/{number}/comments");
    hub.fake.world().fail_on = Some((comments, Fault::LostAnswer));
    let before = hub.said_on(number).len();
    github.comment_on(number, "one comment, once").unwrap();
    let said = hub.said_on(number);
    assert_eq!(said.len(), before + 1, "{said:#?}");

    // The dashboard: made by the lost POST, found, not made twice.
    let dashboards = hub.fake.world().plain_issues().len();
    hub.fake.world().fail_on = Some((
        format!("POST /repos/{OWNER}/{REPO}/issues"),
        Fault::LostAnswer,
    ));
    let body = "<!-- patchwright:dashboard -->\nsomething new";
    let made = github.upsert_dashboard("patchwright", body).unwrap();
    let w = hub.fake.world();
    assert_eq!(
        w.plain_issues().len(),
        dashboards,
        "the old one was updated"
    );
    assert_eq!(w.issues[&made.unwrap()].body, body);
}

#[test]
fn a_lost_answer_to_a_new_pull_request_opens_one() {
    let hub = Hub::new("limits:\n  max_prs_per_run: 1\n");
    hub.fake.world().fail_on = Some((
        format!("POST /repos/{OWNER}/{REPO}/pulls"),
        Fault::LostAnswer,
    ));
    let run = hub.schedule();
    let w = hub.fake.world();
    assert_eq!(w.pulls().len(), 1, "{}", run.stderr);
    let posts = w
        .requests
        .iter()
        .filter(|r| r.starts_with(&format!("POST /repos/{OWNER}/{REPO}/pulls")))
        .count();
    assert_eq!(posts, 1, "found after the lost answer, not sent again");
}

#[test]
fn polled_reads_are_conditional() {
    let hub = Hub::new(PROPOSE_ALL);
    hub.schedule();
    let p = proposal(&hub, hub.pull_number("len-zero"));
    let github = forge(&hub.fake.url, 3);
    let first = github.checks(&p).unwrap();
    assert_eq!(hub.fake.world().not_modified, 0);
    let second = github.checks(&p).unwrap();
    assert_eq!(first, second);
    assert_eq!(
        hub.fake.world().not_modified,
        2,
        "check runs and statuses answered 304"
    );
    // A change is seen.
    hub.fake
        .world()
        .set_check(&p.head.to_string(), "test", "failure", 3);
    assert_ne!(github.checks(&p).unwrap(), second);
}

#[test]
fn the_dashboard_is_one_the_bot_or_a_writer_made() {
    let hub = Hub::new(NOTHING_TO_DO);
    hub.schedule();
    let original = hub.fake.world().plain_issues()[0].number;
    // A reader copies the marker and label into an issue of theirs.
    {
        let mut w = hub.fake.world();
        let copy = w.issues[&original].clone();
        let number = 500;
        w.issues.insert(
            number,
            crate::fake_github::Issue {
                number,
                user: "rob".into(),
                body: format!("{}\nclick here", copy.body.lines().next().unwrap()),
                ..copy
            },
        );
        w.issues.remove(&original);
    }
    hub.schedule();
    {
        let w = hub.fake.world();
        assert_eq!(w.issues[&500].body.lines().nth(1), Some("click here"));
        assert_eq!(w.plain_issues().len(), 2, "a dashboard of its own");
    }
    // One a writer made is taken.
    let mut w = hub.fake.world();
    let made = w
        .plain_issues()
        .iter()
        .map(|i| i.number)
        .find(|n| *n != 500)
        .unwrap();
    w.issues.remove(&made);
    w.issues.get_mut(&500).unwrap().user = "ana".into();
    drop(w);
    hub.schedule();
    let w = hub.fake.world();
    assert_eq!(w.plain_issues().len(), 1);
    assert_ne!(w.issues[&500].body.lines().nth(1), Some("click here"));
}

/// A scheduled run on a repository with nothing to propose and no open
/// proposal reads the dashboard and stops: one call, no write.
#[test]
fn a_run_with_nothing_to_do_costs_at_most_two_reads() {
    let hub = Hub::new(NOTHING_TO_DO);
    hub.schedule();
    let before = hub.fake.world().requests.len();
    hub.schedule();
    let w = hub.fake.world();
    let calls = &w.requests[before..];
    assert!(calls.len() <= 2, "{calls:#?}");
    assert!(calls.iter().all(|c| c.starts_with("GET ")), "{calls:#?}");
}

/// Where the default branch requires checks, only those decide; one that
/// has not reported yet is waited for.
#[test]
fn only_the_required_checks_decide() {
    let hub = Hub::new(PROPOSE_ALL);
    hub.schedule();
    let p = proposal(&hub, hub.pull_number("len-zero"));
    let head = p.head.to_string();
    {
        let mut w = hub.fake.world();
        w.check_runs.remove(&head);
        w.set_check(&head, "test (ubuntu)", "success", 3);
        w.set_check(&head, "nightly lint", "failure", 4);
        w.required_checks.0 = vec!["test".into()];
    }
    let passed = |checks: &Checks| matches!(checks, Checks::Passed { .. });
    let checks = forge(&hub.fake.url, 3).checks(&p).unwrap();
    assert!(passed(&checks), "{checks:?}");

    // A ruleset's required check that has not run yet: pending.
    hub.fake.world().required_checks.1 = vec!["msrv".into()];
    let github = forge(&hub.fake.url, 3);
    assert_eq!(github.checks(&p).unwrap(), Checks::Pending);
    hub.fake.world().set_check(&head, "msrv", "success", 5);
    assert!(passed(&forge(&hub.fake.url, 3).checks(&p).unwrap()));

    // A commit where nothing reported at all (CI skipped it) is no result,
    // not a wait: the watch looks at the next commit.
    hub.fake.world().check_runs.remove(&p.base.to_string());
    hub.fake.world().statuses.remove(&p.base.to_string());
    assert_eq!(github.commit_checks(&p.base, &[]).unwrap(), Checks::Missing);

    // Named checks override the branch's.
    let named = github
        .commit_checks(&p.head, &["nightly lint".to_owned()])
        .unwrap();
    assert!(matches!(named, Checks::Failed { .. }), "{named:?}");

    // And through the configuration, in a run.
    let hub = Hub::new(&format!("{PROPOSE_ALL}checks:\n  required: [test]\n"));
    hub.schedule();
    let number = hub.pull_number("len-zero");
    let head = proposal(&hub, number).head.to_string();
    {
        let mut w = hub.fake.world();
        w.check_runs.remove(&head);
        w.set_check(&head, "test", "success", 3);
        w.set_check(&head, "nightly lint", "failure", 4);
    }
    hub.schedule();
    let w = hub.fake.world();
    assert_eq!(
        w.issues[&number].state, "open",
        "not closed for a check that does not decide"
    );
    drop(w);
    let ledger = hub.ledger();
    let recorded = ledger["proposals"]
        .as_object()
        .unwrap()
        .values()
        .find(|p| p["pull"]["number"] == number)
        .unwrap();
    let kinds: Vec<&str> = recorded["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["opened", "checks-passed"]);
}

/// With the workflow's own token, the first run already says that no CI
/// will judge the proposals: on the dashboard, in the job summary and in
/// each pull request.
#[test]
fn the_default_token_is_said_from_the_first_run() {
    let hub = Hub::new(PROPOSE_ALL);
    let run = hub.event_env(
        "schedule",
        &crate::github::payload("schedule.json"),
        &[("PATCHWRIGHT_DEFAULT_TOKEN", "true")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("no CI will run"), "{}", run.stderr);
    let w = hub.fake.world();
    let dashboard = &w.plain_issues()[0].body;
    let banner = dashboard.lines().nth(1).unwrap_or("");
    assert_eq!(banner, "> [!WARNING]", "{dashboard}");
    assert!(dashboard.contains("default `GITHUB_TOKEN`"), "{dashboard}");
    for pull in w.pulls() {
        assert!(
            pull.body.contains("**No CI will run on it.**"),
            "{}",
            pull.body
        );
    }
    let summary = hub.summaries().pop().unwrap();
    assert!(
        summary.starts_with(
            "## patchwright\n\n> [!WARNING]\n> patchwright runs with the workflow's default `GITHUB_TOKEN`"
        ),
        "{summary}"
    );
    drop(w);

    // With another token, nothing of it.
    let hub = Hub::new(PROPOSE_ALL);
    hub.schedule();
    let w = hub.fake.world();
    assert!(!w.plain_issues()[0].body.contains("[!WARNING]"));
    assert!(w.pulls().iter().all(|p| !p.body.contains("No CI will run")));
}
