//! patchwright in GitHub Actions, against the fake GitHub: `patchwright
//! event` runs with the environment Actions gives it and the payloads
//! GitHub sends; assertions look at the fake's state and at the replies.

use std::path::PathBuf;

use serde_json::Value;

use patchwright::forge::github::{GitHubForge, GitHubOptions, RetryPolicy};
use patchwright::forge::{Forge, Review};
use patchwright::store::checks::Checks;
use patchwright::store::ledger::{Ledger, Proposal};
use patchwright::vocab::secret::Secret;

use crate::fake_github::{BOT_LOGIN, FakeGitHub, Fault, OWNER, REPO, TOKEN};
use crate::support::{Project, Run, fixtures, git};

pub const PROPOSE_ALL: &str = "limits:\n  max_prs_per_run: 10\n";

/// A repository on the fake GitHub, checked out as an Actions job has it.
#[derive(Debug)]
pub struct Hub {
    pub fake: FakeGitHub,
    pub project: Project,
    /// Everything the bot printed, to check that the token never appears.
    outputs: std::cell::RefCell<Vec<String>>,
    /// The job summary of each event run.
    summaries: std::cell::RefCell<Vec<String>>,
}

impl Hub {
    pub fn new(config: &str) -> Self {
        let project = Project::sample(config);
        let fake = FakeGitHub::start(project.origin.clone());
        {
            let mut w = fake.world();
            w.permissions.insert("ana".into(), "write".into());
            w.permissions.insert("mia".into(), "maintain".into());
            w.permissions.insert("rob".into(), "read".into());
        }
        Self {
            fake,
            project,
            outputs: Default::default(),
            summaries: Default::default(),
        }
    }

    /// Runs `patchwright event` for `name` with `payload`.
    pub fn event(&self, name: &str, payload: &Value) -> Run {
        self.event_env(name, payload, &[])
    }

    /// `event` with more variables in the bot's environment.
    pub fn event_env(&self, name: &str, payload: &Value, env: &[(&str, &str)]) -> Run {
        self.event_at(&self.project.work, name, payload, env)
    }

    /// `event_env` in the checkout at `dir`.
    pub fn event_at(
        &self,
        checkout: &std::path::Path,
        name: &str,
        payload: &Value,
        env: &[(&str, &str)],
    ) -> Run {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("event.json");
        std::fs::write(&path, serde_json::to_string(payload).unwrap()).unwrap();
        let summary = dir.path().join("summary.md");
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_patchwright"))
            .arg("event")
            .current_dir(checkout)
            .env_remove("PATCHWRIGHT_LOG")
            .env("GITHUB_EVENT_NAME", name)
            .env("GITHUB_EVENT_PATH", &path)
            .env("GITHUB_API_URL", &self.fake.url)
            .env("GITHUB_REPOSITORY", format!("{OWNER}/{REPO}"))
            .env("GITHUB_TOKEN", TOKEN)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("GITHUB_JOB", "patchwright")
            .envs(env.iter().copied())
            .output()
            .unwrap();
        let run = Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        let summary = std::fs::read_to_string(&summary).unwrap_or_default();
        self.summaries.borrow_mut().push(summary.clone());
        self.outputs
            .borrow_mut()
            .extend([run.stdout.clone(), run.stderr.clone(), summary]);
        run
    }

    /// The job summary each event run wrote, in order.
    pub fn summaries(&self) -> Vec<String> {
        self.summaries.borrow().clone()
    }

    pub fn schedule(&self) -> Run {
        let run = self.event("schedule", &payload("schedule.json"));
        assert_eq!(
            run.code, 0,
            "schedule failed:\n{}\n{}",
            run.stdout, run.stderr
        );
        run
    }

    /// `user` comments `body` on issue or pull request `number`.
    pub fn comment(&self, number: u64, user: &str, body: &str) -> (u64, Run) {
        self.comment_as(number, user, "User", body)
    }

    pub fn comment_as(&self, number: u64, user: &str, kind: &str, body: &str) -> (u64, Run) {
        let (id, is_pull) = {
            let mut w = self.fake.world();
            let is_pull = w.issues.get(&number).is_some_and(|i| i.pull.is_some());
            (w.add_comment(number, user, body), is_pull)
        };
        let fixture = if is_pull {
            "issue_comment.created.pull_request.json"
        } else {
            "issue_comment.created.issue.json"
        };
        let mut event = payload(fixture);
        event["issue"]["number"] = number.into();
        event["comment"]["id"] = id.into();
        event["comment"]["body"] = body.into();
        event["comment"]["user"]["login"] = user.into();
        event["comment"]["user"]["type"] = kind.into();
        event["sender"]["login"] = user.into();
        let run = self.event("issue_comment", &event);
        (id, run)
    }

    /// The bot's reply to comment `id` on `number`, without its marker line.
    pub fn reply(&self, number: u64, id: u64) -> String {
        let marker = format!("<!-- patchwright:reply {id} -->");
        let replies: Vec<String> = self
            .said_on(number)
            .into_iter()
            .filter(|c| c.starts_with(&marker))
            .collect();
        assert_eq!(replies.len(), 1, "exactly one reply to comment {id}");
        replies[0].trim_start_matches(&marker).trim().to_owned()
    }

    /// The bodies of every comment on issue or pull request `number`.
    pub fn said_on(&self, number: u64) -> Vec<String> {
        self.fake
            .world()
            .comments_on(number)
            .iter()
            .map(|c| c.body.clone())
            .collect()
    }

    pub fn ledger(&self) -> Value {
        self.project.ledger_json()
    }

    pub fn pull_number(&self, skill: &str) -> u64 {
        self.fake.world().pull_for(skill).number
    }

    /// No output and no comment ever shows the token.
    pub fn assert_token_never_shown(&self) {
        for output in self.outputs.borrow().iter() {
            assert!(!output.contains(TOKEN), "the token leaked:\n{output}");
        }
        for c in &self.fake.world().comments {
            assert!(!c.body.contains(TOKEN), "the token leaked into a comment");
        }
    }
}

pub fn payload(name: &str) -> Value {
    let text = std::fs::read_to_string(fixtures().join("events").join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn events_dir() -> PathBuf {
    fixtures().join("events")
}

#[test]
fn a_scheduled_run_opens_labelled_pull_requests_and_a_second_run_changes_nothing() {
    let hub = Hub::new("limits:\n  max_prs_per_run: 10\ngithub:\n  reviewers: [ana]\n");
    let first = hub.schedule();
    {
        let w = hub.fake.world();
        let pulls = w.pulls();
        assert_eq!(pulls.len(), 5, "{}", first.stdout);
        for p in &pulls {
            let head = &p.pull.as_ref().unwrap().head;
            let skill = head.split('/').nth(1).unwrap();
            assert_eq!(
                p.labels,
                ["patchwright".to_owned(), format!("patchwright:{skill}")]
            );
            assert_eq!(p.user, BOT_LOGIN);
            assert_eq!(p.pull.as_ref().unwrap().reviewers, ["ana"]);
            assert!(
                p.body.contains("<!-- patchwright:fingerprints "),
                "{}",
                p.body
            );
            assert!(
                p.body.contains("`/patchwright ignore wrong`")
                    && p.body.contains("<!-- patchwright:why later -->"),
                "{}",
                p.body
            );
        }
        let len_zero = w.pull_for("len-zero");
        insta::assert_snapshot!(format!("{}\n\n{}", len_zero.title, len_zero.body.split("<!--").next().unwrap().trim_end()), @"
        Use `is_empty()` for emptiness checks in `sample` (3 places)

        patchwright's `len-zero` skill (risk: **low**) fixes 3 findings in 2 files (+3 −3 lines).

        ### What was found

        - `src/lib.rs:21` `self.items.len() == 0` reads better as `self.items.is_empty()`
        - `src/shapes.rs:13` `!(self.shapes.len() == 0)` reads better as `!self.shapes.is_empty()`
        - `src/shapes.rs:17` `self.shapes.len() > 0` reads better as `!self.shapes.is_empty()`

        Compiled with `cargo check --workspace --all-targets` before it was proposed (round 1 of 3).

        ### Why it matters

        `is_empty()` states the intent, reads the same for every collection, and avoids off-by-one comparisons such as `len() >= 1`.

        ### What you can do

        - Review and merge it; its checks run like any pull request's.
        - `/patchwright rebase` rebuilds it on the current default branch.
        - `/patchwright explain` says why it was proposed and how `len-zero` is scored.
        - `/patchwright ignore skill` pauses the `len-zero` skill.

        ### Closing it?

        Tick a reason before closing, or close it with the command; patchwright learns from which:

        - [ ] The fix is wrong (`/patchwright ignore wrong`): never proposed again; counts twice against `len-zero`
        ");
        // The dashboard: one issue, labelled, listing the open proposals.
        let dashboards = w.plain_issues();
        assert_eq!(dashboards.len(), 1);
        assert_eq!(dashboards[0].labels, ["patchwright:dashboard"]);
        assert!(
            dashboards[0].body.contains("**Running.**"),
            "{}",
            dashboards[0].body
        );
        assert_eq!(
            dashboards[0].body.matches("| #").count(),
            5,
            "{}",
            dashboards[0].body
        );
    }
    let ledger = hub.ledger();
    let numbers: Vec<u64> = ledger["proposals"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p["pull"]["number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers.len(), 5);

    // A second run: no new pull request, no edit to one, the same dashboard.
    let refs = hub.project.origin_refs();
    let dashboard = hub.fake.world().plain_issues()[0].number;
    let second = hub.schedule();
    let w = hub.fake.world();
    assert_eq!(w.pulls().len(), 5, "{}", second.stdout);
    assert!(
        w.pulls().iter().all(|p| p.edits == 0),
        "pull requests were edited"
    );
    assert_eq!(w.plain_issues().len(), 1);
    assert_eq!(
        w.plain_issues()[0].number,
        dashboard,
        "the dashboard is edited in place"
    );
    assert_eq!(
        hub.project.origin_refs(),
        refs,
        "no branch and no ledger commit"
    );
    drop(w);
    assert!(
        second.stderr.contains("GitHub API requests left"),
        "{}",
        second.stderr
    );
    hub.assert_token_never_shown();
}

#[test]
fn ignore_from_a_writer_closes_and_rejects_and_others_are_refused_or_ignored() {
    let hub = Hub::new(PROPOSE_ALL);
    hub.schedule();
    let pull = hub.pull_number("derive-debug");
    let ledger_before = hub.ledger();

    // A reader is refused; nothing else changes.
    let (id, run) = hub.comment(pull, "rob", "/patchwright ignore");
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(hub.reply(pull, id), @r"
    > `/patchwright ignore`

    @rob has `read` access to this repository; commands need `write`. Nothing was done.
    ");
    assert_eq!(hub.fake.world().reactions_on(id), ["confused"]);
    assert_eq!(hub.fake.world().issues[&pull].state, "open");
    assert_eq!(hub.ledger(), ledger_before);

    // The bot's own comment and other bots' are not read at all.
    let comments = hub.fake.world().comments.len();
    let (bot_id, _) = hub.comment_as(pull, BOT_LOGIN, "Bot", "/patchwright ignore");
    let (other_id, _) = hub.comment_as(pull, "dependabot[bot]", "Bot", "/patchwright stop");
    assert_eq!(
        hub.fake.world().comments.len(),
        comments + 2,
        "no reply to bots"
    );
    assert!(hub.fake.world().reactions_on(bot_id).is_empty());
    assert!(hub.fake.world().reactions_on(other_id).is_empty());
    assert_eq!(hub.ledger(), ledger_before);

    // A writer: closed, its findings rejected, 👀 then 🚀.
    let (id, run) = hub.comment(pull, "ana", "Not for us.\n/patchwright ignore\n");
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(hub.reply(pull, id), @"
    > `/patchwright ignore`

    Closed: its 3 findings will not be proposed again.
    ");
    assert_eq!(hub.fake.world().reactions_on(id), ["eyes", "rocket"]);
    assert_eq!(hub.fake.world().issues[&pull].state, "closed");
    let ledger = hub.ledger();
    let rejected = ledger["rejected"].as_object().unwrap();
    assert_eq!(rejected.len(), 3);
    assert!(rejected.values().all(|r| r["by"] == "ana"));

    // The same event again (a re-run job): no second reply, no change.
    let run = hub.event("issue_comment", &{
        let mut e = payload("issue_comment.created.pull_request.json");
        e["issue"]["number"] = pull.into();
        e["comment"]["id"] = id.into();
        e["comment"]["body"] = "Not for us.\n/patchwright ignore\n".into();
        e["comment"]["user"]["login"] = "ana".into();
        e
    });
    assert_eq!(run.code, 0, "{}", run.stderr);
    hub.reply(pull, id);
    assert_eq!(hub.ledger(), ledger);

    // Never proposed again.
    hub.schedule();
    assert_eq!(hub.fake.world().open_pulls().len(), 4);
    hub.assert_token_never_shown();
}

#[test]
fn every_command_answers_and_bad_input_gets_a_helpful_reply() {
    let hub = Hub::new("limits:\n  max_prs_per_run: 1\n");
    hub.schedule();
    let pull = hub.pull_number("derive-debug");
    let dashboard = hub.fake.world().plain_issues()[0].number;
    let ask = |number: u64, body: &str| {
        let (id, run) = hub.comment(number, "mia", body);
        assert_eq!(run.code, 0, "{body}: {}", run.stderr);
        hub.reply(number, id)
    };

    insta::assert_snapshot!(ask(dashboard, "/patchwright help").lines().take(4).collect::<Vec<_>>().join("\n"), @r"
    > `/patchwright help`

    Commands (one per line, each starting with `/patchwright`):
    ");
    insta::assert_snapshot!(ask(dashboard, "/patchwright scan").lines().take(4).collect::<Vec<_>>().join("\n").replace_sha(), @r"
    > `/patchwright scan`

    16 findings (13 fixable) on `main` at [SHA], in 4 files.
    ");
    insta::assert_snapshot!(ask(dashboard, "/patchwright pause len-zero\n/patchwright pause len-zero\n/patchwright resume len-zero"), @r"
    > `/patchwright pause len-zero`

    Paused `len-zero`.

    > `/patchwright pause len-zero`

    `len-zero` was already paused.

    > `/patchwright resume len-zero`

    Resumed `len-zero`.
    ");
    insta::assert_snapshot!(ask(dashboard, "/patchwright stop\n/patchwright resume"), @r"
    > `/patchwright stop`

    Stopped: runs only record outcomes until `resume`.

    > `/patchwright resume`

    Resumed: the next run proposes again.
    ");
    insta::assert_snapshot!(ask(dashboard, "/patchwright fix inline-format-args legacy"), @r"
    > `/patchwright fix inline-format-args legacy`

    - Proposed #3: Inline format arguments in `legacy` (1 place); 2 lines changed in 1 file
    ");
    insta::assert_snapshot!(ask(dashboard, "/patchwright stats"), @r"
    > `/patchwright stats`

    | skill | proposed | merged | closed | reverted | CI passed | CI failed | score | median time to merge |
    |---|---:|---:|---:|---:|---:|---:|---:|---:|
    | `derive-debug` | 1 | 0 | 0 | 0 | 0 | 0 | 0.50 | – |
    | `inline-format-args` | 1 | 0 | 0 | 0 | 0 | 0 | 0.50 | – |

    - `derive-debug`: 0 of 1 merged; 1 open
    - `inline-format-args`: 0 of 1 merged; 1 open
    ");
    insta::assert_snapshot!(ask(pull, "/patchwright recreate").replace_sha(), @r"
    > `/patchwright recreate`

    Rebuilt on `main` at [SHA]: 3 fixes.
    ");
    insta::assert_snapshot!(ask(pull, "/patchwright ignore skill"), @r"
    > `/patchwright ignore skill`

    Paused `derive-debug`: no new proposals from it until `resume derive-debug`.
    ");
    insta::assert_snapshot!(ask(dashboard, "/patchwright recreate\n/patchwright ignore"), @"
    > `/patchwright recreate`

    `rebase` works on patchwright's pull requests; #2 is not one of them.

    > `/patchwright ignore`

    `ignore` works on patchwright's pull requests; #2 is not one of them.
    ");
    insta::assert_snapshot!(ask(dashboard, "/patchwright skill new no-unwrap \"calls to unwrap\""), @r#"
    > `/patchwright skill new no-unwrap "calls to unwrap"`

    this is not patchwright's repository (its package is not named patchwright); `skill new` adds skills to patchwright itself.
    "#);
    insta::assert_snapshot!(ask(dashboard, "/patchwright deploy\n/patchwright fix\n/patchwright skill new x \"open\n/patchwright pause Not_A_Skill\n/patchwright pause no-such-skill"), @r#"
    > `/patchwright deploy`

    `deploy` is not a command. Say `/patchwright help` for the commands.

    > `/patchwright fix`

    `fix` needs a skill. Say `/patchwright help` for the commands.

    > `/patchwright skill new x "open`

    A double quote is not closed. Say `/patchwright help` for the commands.

    > `/patchwright pause Not_A_Skill`

    `Not_A_Skill` is not a skill name: skill names are lowercase letters, digits and dashes. Say `/patchwright help` for the commands.

    > `/patchwright pause no-such-skill`

    There is no skill `no-such-skill`; the skills are: derive-debug, inline-format-args, len-zero, question-mark, todo-comments.
    "#);
    hub.assert_token_never_shown();
}

/// Replaces what changes from run to run in snapshot text.
trait Redact {
    fn replace_sha(self) -> String;
}

impl Redact for String {
    fn replace_sha(self) -> String {
        self.split(' ')
            .map(|w| {
                let bare = w.trim_end_matches([':', ',', '.']);
                if bare.len() == 8 && bare.bytes().all(|b| b.is_ascii_hexdigit()) {
                    w.replacen(bare, "[SHA]", 1)
                } else {
                    w.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[test]
fn server_errors_and_rate_limits_are_retried_and_a_spent_budget_fails_cleanly() {
    let hub = Hub::new("limits:\n  max_prs_per_run: 1\n");
    // Two 502s, then answers.
    hub.fake
        .world()
        .faults
        .extend([Fault::ServerError, Fault::ServerError]);
    let run = hub.schedule();
    assert_eq!(hub.fake.world().open_pulls().len(), 1, "{}", run.stderr);

    // A secondary rate limit: wait for retry-after, then go on.
    hub.fake
        .world()
        .faults
        .push_back(Fault::SecondaryRateLimit { retry_after: 1 });
    let started = std::time::Instant::now();
    let run = hub.schedule();
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    assert!(
        run.stderr.contains("rate limited; waiting 1 s"),
        "{}",
        run.stderr
    );
    assert_eq!(hub.fake.world().open_pulls().len(), 2);

    // A wait longer than the budget: a clear failure, and the ledger keeps
    // only what completed.
    let before = hub.ledger();
    hub.fake
        .world()
        .faults
        .push_back(Fault::SecondaryRateLimit {
            retry_after: 86_400,
        });
    let run = hub.event("schedule", &payload("schedule.json"));
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("GitHub's rate limit is used up until "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("; try again after that"),
        "{}",
        run.stderr
    );
    assert_eq!(hub.ledger(), before);
    // The next run goes on where it stopped.
    hub.schedule();
    assert_eq!(hub.fake.world().open_pulls().len(), 3);

    // Dying between pushing a branch and opening its pull request: the
    // branch is there, the ledger does not know it; the next run opens the
    // pull request for that same branch, once.
    let path = format!("POST /repos/{OWNER}/{REPO}/pulls");
    hub.fake.world().fail_on = Some((
        path,
        Fault::SecondaryRateLimit {
            retry_after: 86_400,
        },
    ));
    let branches = hub.project.proposal_branches().len();
    let run = hub.event("schedule", &payload("schedule.json"));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        hub.project.proposal_branches().len(),
        branches + 1,
        "the branch was pushed"
    );
    // Recorded before it was pushed, without a pull request yet.
    let ledger = hub.ledger();
    let proposals = ledger["proposals"].as_object().unwrap();
    assert_eq!(proposals.len(), 4);
    assert_eq!(
        proposals
            .values()
            .filter(|p| p.get("pull").is_none())
            .count(),
        1
    );
    let healed = hub.schedule();
    assert!(
        healed.stdout.contains("- Recorded #5: "),
        "{}",
        healed.stdout
    );
    // Healing is not proposing: the run still proposes its one.
    assert_eq!(
        hub.project.proposal_branches().len(),
        branches + 2,
        "no second branch for the healed one"
    );
    assert_eq!(hub.fake.world().open_pulls().len(), 5);
    let ledger = hub.ledger();
    let proposals = ledger["proposals"].as_object().unwrap();
    assert_eq!(proposals.len(), 5);
    assert!(proposals.values().all(|p| p["pull"]["number"].is_u64()));
    hub.assert_token_never_shown();
}

#[test]
fn pull_request_and_check_events_record_outcomes() {
    let hub = Hub::new(PROPOSE_ALL);
    hub.schedule();
    let merged = hub.pull_number("len-zero");
    let closed = hub.pull_number("derive-debug");
    let checked = hub.pull_number("question-mark");
    let work = hub.project.root.clone();
    let merge_sha = hub.fake.world().merge(merged, &work);
    hub.fake.world().close(closed);
    let head = hub.fake.world().issues[&checked]
        .pull
        .as_ref()
        .unwrap()
        .head_sha
        .clone();
    hub.fake.world().set_check(&head, "test", "success", 11);

    let branch_of = |number: u64| {
        hub.fake.world().issues[&number]
            .pull
            .as_ref()
            .unwrap()
            .head
            .clone()
    };
    let mut event = payload("pull_request.closed.merged.json");
    event["number"] = merged.into();
    event["pull_request"]["number"] = merged.into();
    event["pull_request"]["head"]["ref"] = branch_of(merged).into();
    assert_eq!(hub.event("pull_request", &event).code, 0);
    let mut event = payload("pull_request.closed.unmerged.json");
    event["number"] = closed.into();
    event["pull_request"]["number"] = closed.into();
    event["pull_request"]["head"]["ref"] = branch_of(closed).into();
    assert_eq!(hub.event("pull_request", &event).code, 0);
    assert_eq!(
        hub.event("check_suite", &payload("check_suite.completed.json"))
            .code,
        0
    );

    let ledger = hub.ledger();
    let last = |number: u64| {
        let p = ledger["proposals"]
            .as_object()
            .unwrap()
            .values()
            .find(|p| p["pull"]["number"] == number)
            .unwrap();
        p["outcomes"].as_array().unwrap().last().unwrap().clone()
    };
    assert_eq!(last(merged)["kind"], "merged");
    assert_eq!(last(merged)["commit"], merge_sha.as_str());
    assert_eq!(last(closed)["kind"], "closed");
    assert_eq!(last(checked)["kind"], "checks-passed");
    assert_eq!(ledger["rejected"].as_object().unwrap().len(), 3);

    // Reopened: open again, and its findings no longer rejected.
    hub.fake.world().issues.get_mut(&closed).unwrap().state = "open".into();
    let mut event = payload("pull_request.reopened.json");
    event["number"] = closed.into();
    event["pull_request"]["number"] = closed.into();
    event["pull_request"]["head"]["ref"] = branch_of(closed).into();
    assert_eq!(hub.event("pull_request", &event).code, 0);
    let ledger = hub.ledger();
    assert_eq!(ledger["rejected"].as_object().unwrap().len(), 0);
    let reopened = ledger["proposals"]
        .as_object()
        .unwrap()
        .values()
        .find(|p| p["pull"]["number"] == closed)
        .unwrap();
    assert_eq!(
        reopened["outcomes"].as_array().unwrap().last().unwrap()["kind"],
        "opened"
    );
}

#[test]
fn every_event_fixture_is_read_and_dispatched() {
    let hub = Hub::new(PROPOSE_ALL);
    for entry in std::fs::read_dir(events_dir()).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let name = file.split('.').next().unwrap().to_owned();
        let run = hub.event(&name, &payload(&file));
        assert_eq!(run.code, 0, "{file}: {}", run.stderr);
    }
    let ignored = hub.event("pull_request", &payload("pull_request.labeled.json"));
    assert_eq!(
        ignored.stderr.trim(),
        "patchwright: #2 is on `changes`, not one of patchwright's branches; nothing to do"
    );
    // A fork's pull request, on a branch named like the bot's, without a
    // token (forks get no secrets): a notice, and success.
    let mut fork = payload("pull_request.closed.merged.json");
    fork["pull_request"]["head"]["ref"] = "patchwright/len-zero/1a2b3c4d".into();
    fork["pull_request"]["head"]["repo"]["full_name"] = "mallory/sample".into();
    let run = hub.event_env("pull_request", &fork, &[("GITHUB_TOKEN", "")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr.trim(),
        "patchwright: #2 comes from a fork (mallory/sample), not from patchwright; nothing to do"
    );
    // Dependabot's: the same.
    let mut dependabot = payload("pull_request.closed.merged.json");
    dependabot["pull_request"]["head"]["ref"] = "dependabot/cargo/serde-1.0.200".into();
    let run = hub.event_env("pull_request", &dependabot, &[("GITHUB_TOKEN", "")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("not one of patchwright's branches"),
        "{}",
        run.stderr
    );
    let unknown = hub.event("star", &serde_json::json!({ "action": "created" }));
    assert_eq!(
        unknown.stderr.trim(),
        "patchwright: the `star` event is not one patchwright acts on; nothing to do"
    );
    hub.assert_token_never_shown();
}

#[test]
fn missing_settings_are_clear_errors() {
    let hub = Hub::new(PROPOSE_ALL);
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_patchwright"))
        .arg("event")
        .current_dir(&hub.project.work)
        .env_remove("GITHUB_EVENT_NAME")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&run.stderr).trim(),
        "error: GITHUB_EVENT_NAME is not set or empty: `patchwright event` runs inside GitHub Actions, which sets it"
    );
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_patchwright"))
        .args([
            "run",
            "--forge",
            "github",
            "--repo",
            "octo/sample",
            "--api-url",
            &hub.fake.url,
        ])
        .current_dir(&hub.project.work)
        .env_remove("GITHUB_TOKEN")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&run.stderr).trim(),
        "error: the variable GITHUB_TOKEN holds no token: pass one to the step (env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }})"
    );
    // A wrong token: GitHub says so, and the token is not repeated.
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_patchwright"))
        .args([
            "run",
            "--forge",
            "github",
            "--repo",
            "octo/sample",
            "--api-url",
            &hub.fake.url,
            "--no-checks",
        ])
        .current_dir(&hub.project.work)
        .env("GITHUB_TOKEN", "ghp_wrongTokenValue")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2));
    assert!(stderr.contains("401 Bad credentials"), "{stderr}");
    assert!(!stderr.contains("ghp_wrongTokenValue"));
}

pub fn forge(url: &str, attempts: u32) -> GitHubForge {
    forge_with(
        url,
        RetryPolicy {
            attempts,
            base_delay: std::time::Duration::from_millis(10),
            ..RetryPolicy::default()
        },
    )
}

/// The GitHub forge on the fake, trying as hard as `retry` says.
pub fn forge_with(url: &str, retry: RetryPolicy) -> GitHubForge {
    GitHubForge::new(GitHubOptions {
        api_url: url.to_owned(),
        owner: OWNER.into(),
        repo: REPO.into(),
        token: Secret::new(TOKEN.into()),
        reviewers: Vec::new(),
        retry,
        own_checks: Vec::new(),
        required: Vec::new(),
        base: Some("main".into()),
        default_token: false,
    })
    .unwrap()
}

pub fn proposal(hub: &Hub, number: u64) -> Proposal {
    let ledger = Ledger::from_json(&serde_json::to_string(&hub.ledger()).unwrap()).unwrap();
    ledger
        .proposals
        .into_values()
        .find(|p| p.pull.as_ref().and_then(|r| r.number) == Some(number))
        .unwrap()
}

#[test]
fn the_forge_reads_reviews_and_checks_reruns_failed_jobs_and_gives_up_on_a_dead_api() {
    let hub = Hub::new(PROPOSE_ALL);
    hub.schedule();
    let number = hub.pull_number("len-zero");
    let p = proposal(&hub, number);
    {
        let mut w = hub.fake.world();
        let pull = w.issues.get_mut(&number).unwrap().pull.as_mut().unwrap();
        pull.reviews
            .push(("ana".into(), "CHANGES_REQUESTED".into()));
        let head = pull.head_sha.clone();
        w.set_check(&head, "test", "failure", 7);
        w.set_check(&head, "lint", "failure", 7);
        w.set_check(&head, "doc", "success", 9);
        w.statuses
            .insert(head, vec![("coverage".into(), "success".into())]);
    }
    let github = forge(&hub.fake.url, 3);
    assert_eq!(
        github.reviews(&p).unwrap(),
        [Review {
            user: "ana".into(),
            state: "CHANGES_REQUESTED".into()
        }]
    );
    let Checks::Failed { failing, .. } = github.checks(&p).unwrap() else {
        panic!("failing checks")
    };
    let names: Vec<&str> = failing.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["lint", "test"]);
    assert_eq!(
        github.rerun_failed(&p.head, &failing).unwrap(),
        patchwright::forge::Rerun::Requested {
            runs: 1,
            cannot: Vec::new()
        },
        "one workflow run behind both jobs"
    );
    assert_eq!(hub.fake.world().reruns, [7]);

    // A commit status and another app's check run cannot be re-run: said.
    {
        let mut w = hub.fake.world();
        let head = p.head.to_string();
        w.set_check(&head, "external ci", "failure", 0);
        w.statuses
            .insert(head, vec![("coverage".into(), "failure".into())]);
    }
    let Checks::Failed { failing, .. } = github.checks(&p).unwrap() else {
        panic!("failing checks")
    };
    assert_eq!(
        github.rerun_failed(&p.head, &failing).unwrap(),
        patchwright::forge::Rerun::Requested {
            runs: 1,
            cannot: vec!["external ci".into(), "coverage".into()]
        }
    );

    // Nothing listens on port 9: three attempts, then a sentence.
    let dead = forge("http://127.0.0.1:9", 3);
    let err = dead.permission("ana").unwrap_err().to_string();
    assert!(
        err.starts_with("GitHub did not answer GET /repos/octo/sample/collaborators/ana/permission after 3 attempts"),
        "{err}"
    );
    assert!(!err.contains(TOKEN));
}

#[test]
fn proposals_without_any_check_for_half_an_hour_raise_a_dashboard_warning() {
    let hub = Hub::new(PROPOSE_ALL);
    hub.schedule();
    assert!(
        !hub.fake.world().plain_issues()[0]
            .body
            .contains("### Warnings")
    );
    // Pretend the proposals were opened an hour ago; no CI ever reported.
    let an_hour_ago = patchwright::vocab::time::Timestamp::now().0 - 3600;
    hub.project.rewrite_ledger(|ledger| {
        for p in ledger["proposals"].as_object_mut().unwrap().values_mut() {
            p["outcomes"][0]["at"] = patchwright::vocab::time::Timestamp(an_hour_ago)
                .to_string()
                .into();
        }
    });
    let run = hub.event("check_suite", &payload("check_suite.completed.json"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let body = hub.fake.world().plain_issues()[0].body.clone();
    assert!(
        body.contains("### Warnings\n\n- proposals have had no checks for 30 minutes: pull requests opened with the default GITHUB_TOKEN do not start workflows"),
        "{body}"
    );
}

#[test]
fn a_server_that_echoes_the_token_never_gets_it_printed() {
    let hub = Hub::new(PROPOSE_ALL);
    // The first request is answered with the credentials quoted back.
    hub.fake.world().faults.push_back(Fault::EchoCredentials);
    let run = hub.event("schedule", &payload("schedule.json"));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("401 Bad credentials; you sent Bearer ***"),
        "the server's words are kept, the token is not:\n{}",
        run.stderr
    );
    // Refused while opening a pull request: the failure is printed and
    // the next run still proposes; nothing it wrote holds the token.
    hub.fake.world().fail_on = Some((
        format!("POST /repos/{OWNER}/{REPO}/pulls"),
        Fault::EchoCredentials,
    ));
    let run = hub.event("schedule", &payload("schedule.json"));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("Bearer ***"), "{}", run.stderr);
    hub.schedule();
    assert!(!hub.fake.world().open_pulls().is_empty());
    assert!(!hub.ledger().to_string().contains(TOKEN));
    hub.assert_token_never_shown();
}

#[test]
fn a_comment_runs_a_bounded_number_of_commands_in_one_ledger_commit() {
    let hub = Hub::new(PROPOSE_ALL);
    hub.schedule();
    let dashboard = hub.fake.world().plain_issues()[0].number;
    let events = hub.project.ledger_events().len();
    let mut body = String::from("/patchwright pause len-zero\n/patchwright stop\n");
    for _ in 0..5_000 {
        body.push_str("/patchwright resume derive-debug\n/patchwright pause derive-debug\n");
    }
    let (id, run) = hub.comment(dashboard, "ana", &body);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let reply = hub.reply(dashboard, id);
    assert_eq!(reply.matches("> `/patchwright").count(), 10, "{reply}");
    assert!(
        reply.ends_with(
            "> …and 9992 more command lines\n\nIgnored: too many commands in one comment (at most 10, `commands.max_per_comment`). Ask again for the rest."
        ),
        "{reply}"
    );
    assert_eq!(
        hub.project.ledger_events().len(),
        events + 1,
        "one ledger commit for the comment: {:?}",
        hub.project.ledger_events()
    );
    let ledger = hub.ledger();
    assert!(ledger["stopped"].is_object(), "{ledger}");
    assert!(ledger["paused"]["len-zero"].is_object());
    assert!(ledger["paused"]["derive-debug"].is_object());

    // A command that closes a pull request writes as it goes; what came
    // before it is written first.
    let events = hub.project.ledger_events().len();
    let pull = hub.pull_number("len-zero");
    let (_, run) = hub.comment(
        pull,
        "ana",
        "/patchwright resume\n/patchwright ignore later\n/patchwright resume len-zero\n",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let new: Vec<String> = hub.project.ledger_events()[events..].to_vec();
    assert_eq!(new.len(), 3, "{new:?}");
    assert_eq!(new[0], "resume by ana");
    assert!(new[1].starts_with("outcome closed "), "{new:?}");
    assert_eq!(new[2], "resume len-zero by ana");
    hub.assert_token_never_shown();
}

#[test]
fn a_server_that_never_answers_ends_the_run_within_its_network_budget() {
    for (config, total) in [
        // Each attempt gives up after the read timeout; the retries stop
        // when the total is spent.
        (
            "network:\n  read_timeout_seconds: 1\n  total_seconds: 3\n",
            3,
        ),
        // One wait longer than the whole budget is cut short by the total.
        ("network:\n  total_seconds: 2\n", 2),
    ] {
        let hub = Hub::new(config);
        hub.fake.world().hang_on = Some("GET /repos/".into());
        let started = std::time::Instant::now();
        let run = hub.event("schedule", &payload("schedule.json"));
        let took = started.elapsed();
        assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
        let errors: Vec<&str> = run
            .stderr
            .lines()
            .filter(|l| l.starts_with("error:"))
            .collect();
        assert_eq!(errors.len(), 1, "{}", run.stderr);
        assert!(
            errors[0].contains(&format!(
                "the network budget of this run ({total} s, `network.total_seconds`) is spent, at GET /repos/octo/sample/"
            )),
            "{}",
            errors[0]
        );
        assert!(
            errors[0].ends_with("stopping here; the next run goes on from where this one stopped"),
            "{}",
            errors[0]
        );
        // Without a budget the same server held a run for 5 × 30 s.
        assert!(took < std::time::Duration::from_secs(30), "{took:?}");
        hub.assert_token_never_shown();
    }
}

#[test]
fn a_run_killed_after_pushing_opens_the_pull_request_with_its_full_body_next_time() {
    let hub = Hub::new("limits:\n  max_prs_per_run: 1\n");
    let killed = hub.event_env(
        "schedule",
        &payload("schedule.json"),
        &[("PATCHWRIGHT_FAILPOINT", "after-branch-push")],
    );
    assert_ne!(killed.code, 0, "the failpoint must kill the run");
    assert!(hub.fake.world().pulls().is_empty());
    let pending: Vec<Value> = hub.ledger()["proposals"]
        .as_object()
        .unwrap()
        .values()
        .cloned()
        .collect();
    assert_eq!(pending.len(), 1);
    let kept = pending[0]["body"].as_str().unwrap().to_owned();
    assert!(kept.contains("### What was found"), "{kept}");

    hub.schedule();
    let w = hub.fake.world();
    let branch = pending[0]["branch"].as_str().unwrap();
    let healed = w
        .pulls()
        .into_iter()
        .find(|p| p.pull.as_ref().is_some_and(|p| p.head == branch))
        .unwrap();
    assert_eq!(healed.body, kept, "opened as it would have been");
    assert_eq!(healed.title, pending[0]["title"].as_str().unwrap());
    drop(w);
    // Published, the text lives in the pull requests only.
    let ledger = hub.ledger();
    for proposal in ledger["proposals"].as_object().unwrap().values() {
        assert!(proposal.get("body").is_none(), "{proposal:#}");
    }
}

#[test]
fn a_new_finding_updates_the_open_pull_request_of_its_group() {
    let hub = Hub::new(PROPOSE_ALL);
    hub.schedule();
    let number = hub.pull_number("len-zero");
    let before = hub.fake.world().pulls().len();
    let clone = hub.project.clone_as("maintainer");
    let lib = clone.join("src/lib.rs");
    let mut text = std::fs::read_to_string(&lib).unwrap();
    text.push_str("\npub fn none(v: &[u8]) -> bool {\n    v.len() == 0\n}\n");
    std::fs::write(&lib, text).unwrap();
    git(&clone, &["commit", "-qam", "a helper"]);
    git(&clone, &["push", "-q", "origin", "main"]);

    let run = hub.schedule();
    let mut w = hub.fake.world();
    w.refresh_heads();
    assert_eq!(
        w.pulls().len(),
        before,
        "no second pull request: {}",
        run.stdout
    );
    let pull = &w.issues[&number];
    assert!(
        pull.body.starts_with("**Updated** on `main` at "),
        "{}",
        pull.body
    );
    assert!(pull.body.contains("1 new finding added"), "{}", pull.body);
    assert!(pull.title.ends_with("(4 places)"), "{}", pull.title);
    let main = git(&hub.project.origin, &["rev-parse", "main"]);
    let head = &pull.pull.as_ref().unwrap().head_sha;
    assert_eq!(
        git(&hub.project.origin, &["rev-parse", &format!("{head}~1")]),
        main
    );
}

/// Thousands of rejections keep the dashboard under GitHub's limit, and a
/// run that changes nothing writes nothing.
#[test]
fn the_dashboard_stays_small_and_is_written_only_when_it_changes() {
    let hub = Hub::new(PROPOSE_ALL);
    hub.schedule();
    hub.project.rewrite_ledger(|ledger| {
        let rejected = ledger["rejected"].as_object_mut().unwrap();
        for n in 0..5_000u64 {
            rejected.insert(
                format!("{n:016x}"),
                serde_json::json!({
                    "at": "2026-11-01T00:00:00Z",
                    "by": "ana",
                    "reason": "not wanted here, as discussed at length in the review",
                }),
            );
        }
    });
    hub.schedule();
    let body = hub.fake.world().plain_issues()[0].body.clone();
    assert!(
        body.chars().count() < 65_536,
        "{} characters",
        body.chars().count()
    );
    assert!(
        body.starts_with("<!-- patchwright:dashboard -->\n"),
        "{body}"
    );
    assert!(
        body.contains("… and 4950 more (`patchwright ignored` lists them all)."),
        "{body}"
    );

    let writes = |hub: &Hub| {
        hub.fake
            .world()
            .requests
            .iter()
            .filter(|r| !r.starts_with("GET "))
            .cloned()
            .collect::<Vec<_>>()
    };
    let before = writes(&hub);
    hub.schedule();
    let after = writes(&hub);
    assert_eq!(
        after[before.len()..],
        [] as [String; 0],
        "a run with nothing new writes nothing"
    );

    // A labelled issue without the marker is not taken for the dashboard.
    {
        let mut w = hub.fake.world();
        let dashboard = w.plain_issues()[0].number;
        w.issues.get_mut(&dashboard).unwrap().body = "hijacked".into();
    }
    hub.schedule();
    let w = hub.fake.world();
    let issues = w.plain_issues();
    assert_eq!(issues.len(), 2, "a new dashboard, the other left alone");
    assert!(issues.iter().any(|i| i.body == "hijacked"));
}

/// Only checks that judge the fix count: not the bot's own job, not runs
/// that were cancelled, replaced or skipped; and every page is read.
#[test]
fn check_verdicts_leave_out_the_bots_own_job_and_runs_without_a_result() {
    let hub = Hub::new(PROPOSE_ALL);
    hub.schedule();
    let number = hub.pull_number("len-zero");
    let p = proposal(&hub, number);
    let head = hub.fake.world().issues[&number]
        .pull
        .as_ref()
        .unwrap()
        .head_sha
        .clone();
    {
        let mut w = hub.fake.world();
        w.check_runs.remove(&head);
        w.set_check(&head, "patchwright", "failure", 3);
        w.set_check(&head, "lint", "cancelled", 4);
        w.set_check(&head, "docs", "skipped", 5);
        w.set_check(&head, "old", "stale", 6);
        for n in 0..150 {
            w.set_check(&head, &format!("shard {n:03}"), "success", 7);
        }
    }
    let github = GitHubForge::new(GitHubOptions {
        api_url: hub.fake.url.clone(),
        owner: OWNER.into(),
        repo: REPO.into(),
        token: Secret::new(TOKEN.into()),
        reviewers: Vec::new(),
        retry: RetryPolicy::default(),
        own_checks: vec!["patchwright".into()],
        required: Vec::new(),
        base: Some("main".into()),
        default_token: false,
    })
    .unwrap();
    let Checks::Passed { passing } = github.checks(&p).unwrap() else {
        panic!("the bot's own job and runs without a result decide nothing");
    };
    assert_eq!(passing.len(), 150, "every page is read");

    // A failure on the last page still counts.
    hub.fake.world().set_check(&head, "shard 149", "failure", 8);
    let Checks::Failed { failing, .. } = github.checks(&p).unwrap() else {
        panic!("a red check past the first page was missed");
    };
    let names: Vec<&str> = failing.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["shard 149"]);
}
