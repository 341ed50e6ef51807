//! What patchwright remembers, seen and undone from comments on the fake
//! GitHub: `explain`, `ignored`, `unignore`, the closing reasons given to
//! `ignore` or ticked in a pull request's body, and what each leaves in the
//! ledger. Asking twice changes the ledger once. A rejection outlives the
//! code moving to another file and that file's rename.

use serde_json::Value;

use crate::github::Hub;
use crate::support::{Project, git, patchwright};

const PROPOSE_ALL: &str = "limits:\n  max_prs_per_run: 10\n";

/// Dates, times, commits and fingerprints vary; the words must not.
macro_rules! assert_reply {
    ($value:expr, @$snapshot:literal) => {
        insta::with_settings!({filters => vec![
            (r"\b[0-9a-f]{16}\b", "[FP]"),
            (r"\b[0-9a-f]{8}\b", "[SHA]"),
            (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", "[TIME]"),
            (r"\d{4}-\d{2}-\d{2}", "[DATE]"),
        ]}, {
            insta::assert_snapshot!($value, @$snapshot);
        });
    };
}

fn proposal_of(ledger: &Value, number: u64) -> Value {
    ledger["proposals"]
        .as_object()
        .unwrap()
        .values()
        .find(|p| p["pull"]["number"] == number)
        .cloned()
        .unwrap()
}

fn fingerprints(proposal: &Value) -> Vec<String> {
    proposal["fingerprints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn explain_ignored_and_unignore_show_and_lift_what_is_remembered() {
    let hub = Hub::new(PROPOSE_ALL);
    hub.schedule();
    let len_zero = hub.pull_number("len-zero");
    let derive_debug = hub.pull_number("derive-debug");
    let dashboard = hub.fake.world().plain_issues()[0].number;
    let ask = |number: u64, body: &str| {
        let (id, run) = hub.comment(number, "ana", body);
        assert_eq!(run.code, 0, "{body}: {}", run.stderr);
        let reactions: Vec<String> = hub
            .fake
            .world()
            .reactions_on(id)
            .iter()
            .map(|r| r.to_string())
            .collect();
        (hub.reply(number, id), reactions)
    };

    // Why a proposal exists: skill, risk, score, findings, ledger commit.
    let (explained, reactions) = ask(len_zero, "/patchwright explain");
    assert_eq!(reactions, ["eyes", "rocket"]);
    let proposal = proposal_of(&hub.ledger(), len_zero);
    for fp in fingerprints(&proposal) {
        assert!(
            explained.contains(&format!("| `{fp}` | `src/")),
            "{explained}"
        );
    }
    let log = git(
        &hub.project.origin,
        &["log", "--format=%H %s", "refs/patchwright/state"],
    );
    let recorded = log
        .lines()
        .find(|e| e.ends_with(&format!("propose {}", proposal["id"].as_str().unwrap())))
        .unwrap();
    assert!(
        explained.contains(&format!("by {}", &recorded[..8])),
        "{explained}\n{recorded}"
    );
    assert_reply!(explained, @"
    > `/patchwright explain`

    #4 was proposed by the skill `len-zero` (Use `is_empty()` for emptiness checks), risk low, for the package `sample`, from [SHA].

    Score 0.50 (neutral): none of `len-zero`'s 1 proposal has been decided yet.

    | fingerprint | where | finding |
    |---|---|---|
    | `[FP]` | `src/lib.rs:21` | `self.items.len() == 0` reads better as `self.items.is_empty()` |
    | `[FP]` | `src/shapes.rs:13` | `!(self.shapes.len() == 0)` reads better as `!self.shapes.is_empty()` |
    | `[FP]` | `src/shapes.rs:17` | `self.shapes.len() > 0` reads better as `!self.shapes.is_empty()` |

    Recorded in `refs/patchwright/state` by [SHA] on [TIME].
    Since then: opened [DATE].
    ");

    // Nothing is ignored yet.
    let (nothing, _) = ask(dashboard, "/patchwright ignored");
    assert_reply!(nothing, @"
    > `/patchwright ignored`

    Nothing is ignored: every finding may be proposed and no skill is paused.
    ");

    // Closing reasons: "wrong" for good, "later" for 30 days.
    let (wrong, _) = ask(len_zero, "/patchwright ignore wrong");
    assert_reply!(wrong, @"
    > `/patchwright ignore wrong`

    Closed as a wrong fix: its 3 findings will not be proposed again, and `len-zero` counts it twice against its score.
    ");
    let (later, _) = ask(derive_debug, "/patchwright ignore later");
    assert_reply!(later, @"
    > `/patchwright ignore later`

    Closed for later: its 3 findings may be proposed again after 30 days.
    ");
    let ledger = hub.ledger();
    let wrong_fps = fingerprints(&proposal_of(&ledger, len_zero));
    let later_fps = fingerprints(&proposal_of(&ledger, derive_debug));
    for fp in &wrong_fps {
        let r = &ledger["rejected"][fp];
        assert_eq!(r["by"], "ana");
        assert_eq!(r["reason"], "closed: the fix is wrong", "{r}");
        assert!(r.get("until").is_none());
    }
    for fp in &later_fps {
        let r = &ledger["rejected"][fp];
        let at: String = r["at"].as_str().unwrap().into();
        let until: String = r["until"].as_str().unwrap().into();
        let days = |t: &str| t.parse::<patchwright::vocab::time::Timestamp>().unwrap().0 / 86_400;
        assert_eq!(days(&until) - days(&at), 30, "{r}");
    }
    let closed = proposal_of(&ledger, len_zero)["outcomes"]
        .as_array()
        .unwrap()
        .last()
        .cloned()
        .unwrap();
    assert_eq!(closed["kind"], "closed");
    assert_eq!(closed["why"], "wrong");

    // The same command again: no second close, the ledger as it was.
    let (again, reactions) = ask(len_zero, "/patchwright ignore wrong");
    assert_eq!(reactions, ["eyes", "confused"]);
    assert_reply!(again, @"
    > `/patchwright ignore wrong`

    #4 is already closed; nothing to close.
    ");
    assert_eq!(hub.ledger(), ledger);

    // A paused skill, then the whole list.
    let question_mark = hub.pull_number("question-mark");
    ask(question_mark, "/patchwright ignore skill");
    let (list, _) = ask(dashboard, "/patchwright ignored");
    assert_reply!(list, @"
    > `/patchwright ignored`

    **Rejected findings** (6)

    | fingerprint | skill | decided by | when | why | from |
    |---|---|---|---|---|---|
    | `[FP]` | `derive-debug` | @ana | [DATE] | closed: not now; until [DATE] | #1 |
    | `[FP]` | `derive-debug` | @ana | [DATE] | closed: not now; until [DATE] | #1 |
    | `[FP]` | `derive-debug` | @ana | [DATE] | closed: not now; until [DATE] | #1 |
    | `[FP]` | `len-zero` | @ana | [DATE] | closed: the fix is wrong | #4 |
    | `[FP]` | `len-zero` | @ana | [DATE] | closed: the fix is wrong | #4 |
    | `[FP]` | `len-zero` | @ana | [DATE] | closed: the fix is wrong | #4 |

    **Paused skills** (1)

    | skill | decided by | when | why |
    |---|---|---|---|
    | `question-mark` | @ana | [DATE] | asked on #5 |
    ");

    // The dashboard has the same list, folded.
    hub.schedule();
    let body = hub.fake.world().plain_issues()[0].body.clone();
    assert!(
        body.contains("<details><summary>Ignored: 6 findings, 1 paused skill</summary>"),
        "{body}"
    );

    // Lifting one rejection, recorded with who asked; twice changes it once.
    let fp = &wrong_fps[0];
    let (lifted, _) = ask(dashboard, &format!("/patchwright unignore {fp}"));
    assert_reply!(lifted, @"
    > `/patchwright unignore [FP]`

    Lifted the rejection of `[FP]` (closed: the fix is wrong, @ana on [DATE]): it may be proposed again.
    ");
    let after = hub.ledger();
    assert!(after["rejected"].get(fp).is_none());
    assert!(
        hub.project
            .ledger_events()
            .iter()
            .any(|e| e.ends_with(&format!("unignore {fp} by ana")))
    );
    let (twice, reactions) = ask(dashboard, &format!("/patchwright unignore {fp}"));
    assert_eq!(reactions, ["eyes", "confused"]);
    assert_reply!(twice, @"
    > `/patchwright unignore [FP]`

    `[FP]` is not ignored; `ignored` lists what is.
    ");
    assert_eq!(hub.ledger(), after);

    // Lifting a pause resumes the skill, recorded with who asked.
    let (resumed, _) = ask(dashboard, "/patchwright unignore question-mark");
    assert_reply!(resumed, @"
    > `/patchwright unignore question-mark`

    Resumed `question-mark` (paused by @ana on [DATE]: asked on #5); its score counts only what is decided from now on.
    ");
    let after = hub.ledger();
    assert!(after["paused"].as_object().unwrap().is_empty());
    assert_eq!(after["resumed"]["question-mark"]["by"], "ana");

    // Bad input: an unknown fingerprint, an unknown skill, not a bot pull request.
    let (unknown, _) = ask(
        dashboard,
        "/patchwright unignore 0123456789abcdef\n/patchwright unignore no-such-skill\n/patchwright unignore ../etc\n/patchwright explain",
    );
    assert_reply!(unknown, @"
    > `/patchwright unignore [FP]`

    patchwright has never proposed or rejected a finding `[FP]`; `ignored` lists the rejected ones.

    > `/patchwright unignore no-such-skill`

    There is no skill `no-such-skill`; the skills are: derive-debug, inline-format-args, len-zero, question-mark, todo-comments.

    > `/patchwright unignore ../etc`

    `../etc` is neither a fingerprint (16 hex digits) nor a skill name. Say `/patchwright help` for the commands.

    > `/patchwright explain`

    `explain` works on patchwright's pull requests; #6 is not one of them.
    ");
    assert_eq!(hub.ledger(), after);
    hub.assert_token_never_shown();
}

#[test]
fn a_ticked_reason_decides_what_closing_means() {
    let hub = Hub::new(PROPOSE_ALL);
    hub.schedule();
    let later = hub.pull_number("derive-debug");
    let bare = hub.pull_number("len-zero");
    {
        let mut w = hub.fake.world();
        // A maintainer ticks "not now" in the body, then closes it.
        let issue = w.issues.get_mut(&later).unwrap();
        issue.body = issue
            .body
            .lines()
            .map(|l| {
                if l.contains("<!-- patchwright:why later -->") {
                    l.replacen("- [ ]", "- [x]", 1)
                } else {
                    l.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        w.close(later);
        // Another is closed without a reason.
        w.close(bare);
    }
    hub.schedule();
    let ledger = hub.ledger();
    let last = |number: u64| {
        proposal_of(&ledger, number)["outcomes"]
            .as_array()
            .unwrap()
            .last()
            .cloned()
            .unwrap()
    };
    assert_eq!(last(later)["why"], "later");
    assert_eq!(last(bare)["why"], "unwanted");
    for fp in fingerprints(&proposal_of(&ledger, later)) {
        assert!(ledger["rejected"][&fp]["until"].is_string());
    }
    for fp in fingerprints(&proposal_of(&ledger, bare)) {
        assert!(ledger["rejected"][&fp].get("until").is_none());
        assert_eq!(ledger["rejected"][&fp]["by"], "a maintainer");
    }
    // Neither is proposed again (for now), and learning tells them apart.
    let pulls = hub.fake.world().pulls().len();
    hub.schedule();
    assert_eq!(hub.fake.world().pulls().len(), pulls);
    let dashboard = hub.fake.world().plain_issues()[0].body.clone();
    assert!(
        dashboard.contains("`derive-debug`: 0 of 1 merged; 1 closed (1 for later)"),
        "{dashboard}"
    );
}

/// The len-zero findings on `main` as (fingerprint, path), by fingerprint.
fn len_zero_findings(project: &Project) -> Vec<(String, String)> {
    let maint = project.clone_as("reader");
    git(&maint, &["pull", "-q", "origin", "main"]);
    let out = patchwright(&maint, &["scan", "--format", "json", "."]);
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    std::fs::remove_dir_all(&maint).unwrap();
    let mut found: Vec<(String, String)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["skill"] == "len-zero")
        .map(|f| {
            (
                f["fingerprint"].as_str().unwrap().to_owned(),
                f["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    found.sort();
    found
}

fn len_zero_branches(project: &Project) -> Vec<String> {
    project
        .proposal_branches()
        .into_iter()
        .filter(|b| b.starts_with("patchwright/len-zero/"))
        .collect()
}

fn cli(project: &Project, args: &[&str]) -> crate::support::Run {
    let run = patchwright(&project.work, args);
    assert_eq!(run.code, 0, "{args:?}:\n{}\n{}", run.stdout, run.stderr);
    run
}

#[test]
fn a_rejection_survives_moving_the_code_to_another_file_and_renaming_that_file() {
    let project = Project::sample(PROPOSE_ALL);
    cli(&project, &["run", "--no-checks"]);
    let [branch] = len_zero_branches(&project).try_into().unwrap();
    let before = len_zero_findings(&project);
    assert_eq!(before.len(), 3);

    // A maintainer closes the proposal (deletes its branch): rejected.
    let maint = project.clone_as("maintainer");
    git(&maint, &["push", "-q", "origin", &format!(":{branch}")]);
    cli(&project, &["run", "--no-checks"]);
    let rejected: Vec<String> = project.ledger_json()["rejected"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    for (fp, _) in &before {
        assert!(rejected.contains(fp), "{fp} is rejected");
    }

    // A refactor moves `Canvas`'s queries to a module of their own.
    let shapes = std::fs::read_to_string(maint.join("src/shapes.rs")).unwrap();
    let start = shapes.find("    pub fn has_shapes").unwrap();
    let end = shapes.find("    pub fn report").unwrap();
    let moved = &shapes[start..end];
    std::fs::write(
        maint.join("src/shapes.rs"),
        format!("{}{}", &shapes[..start], &shapes[end..]),
    )
    .unwrap();
    std::fs::write(
        maint.join("src/queries.rs"),
        format!(
            "use crate::shapes::{{Canvas, Shape}};\n\nimpl Canvas {{\n{}}}\n",
            moved.trim_end_matches('\n').to_owned() + "\n"
        ),
    )
    .unwrap();
    let lib = std::fs::read_to_string(maint.join("src/lib.rs")).unwrap();
    std::fs::write(
        maint.join("src/lib.rs"),
        lib.replacen("mod parse;\n", "mod parse;\nmod queries;\n", 1),
    )
    .unwrap();
    git(&maint, &["add", "-A"]);
    git(
        &maint,
        &["commit", "-qm", "Move Canvas queries to their own module"],
    );
    git(&maint, &["push", "-q", "origin", "main"]);

    let after_move = len_zero_findings(&project);
    assert_eq!(
        after_move.iter().map(|(fp, _)| fp).collect::<Vec<_>>(),
        before.iter().map(|(fp, _)| fp).collect::<Vec<_>>(),
        "the same fingerprints"
    );
    assert_eq!(
        after_move
            .iter()
            .filter(|(_, path)| path == "src/queries.rs")
            .count(),
        2,
        "{after_move:?}"
    );
    let out = cli(&project, &["run", "--no-checks"]);
    assert!(
        len_zero_branches(&project).is_empty(),
        "no duplicate proposal"
    );
    assert!(
        out.stdout.contains("because rejected before"),
        "{}",
        out.stdout
    );

    // Then the file is renamed.
    git(&maint, &["mv", "src/queries.rs", "src/canvas_queries.rs"]);
    let lib = std::fs::read_to_string(maint.join("src/lib.rs")).unwrap();
    std::fs::write(
        maint.join("src/lib.rs"),
        lib.replacen("mod queries;", "mod canvas_queries;", 1),
    )
    .unwrap();
    git(&maint, &["commit", "-qam", "Rename queries.rs"]);
    git(&maint, &["push", "-q", "origin", "main"]);
    let after_rename = len_zero_findings(&project);
    assert_eq!(
        after_rename.iter().map(|(fp, _)| fp).collect::<Vec<_>>(),
        before.iter().map(|(fp, _)| fp).collect::<Vec<_>>()
    );
    assert!(
        after_rename
            .iter()
            .any(|(_, p)| p == "src/canvas_queries.rs")
    );
    cli(&project, &["run", "--no-checks"]);
    assert!(
        len_zero_branches(&project).is_empty(),
        "no duplicate proposal"
    );

    // From the command line: what is ignored, why the proposal was made,
    // and lifting one rejection brings back exactly that finding.
    let ignored = cli(&project, &["ignored"]).stdout;
    for (fp, _) in &before {
        assert!(
            ignored.contains(&format!("| `{fp}` | `len-zero` |")),
            "{ignored}"
        );
    }
    let (lifted, lifted_path) = after_rename
        .iter()
        .find(|(_, p)| p == "src/canvas_queries.rs")
        .cloned()
        .unwrap();
    let explained = cli(&project, &["explain", &lifted]).stdout;
    assert!(
        explained.contains("was proposed by the skill `len-zero`"),
        "{explained}"
    );
    let out = cli(&project, &["unignore", &lifted, "--by", "mia"]);
    assert!(
        out.stderr
            .contains(&format!("Lifted the rejection of `{lifted}`")),
        "{}",
        out.stderr
    );
    let again = patchwright(&project.work, &["unignore", &lifted]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("is not ignored"), "{}", again.stderr);
    let unknown = patchwright(&project.work, &["explain", "0123456789abcdef"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown
            .stderr
            .contains("`0123456789abcdef` is in no proposal and not found on the default branch"),
        "{}",
        unknown.stderr
    );

    cli(&project, &["run", "--no-checks"]);
    let [again] = len_zero_branches(&project).try_into().unwrap();
    let diff = git(&project.origin, &["diff", "--name-only", "main", &again]);
    assert_eq!(diff, lifted_path);
}

#[test]
fn findings_closed_for_later_come_back_as_a_new_proposal() {
    let hub = Hub::new("limits:\n  max_prs_per_run: 10\nlearning:\n  later_days: 0\n");
    hub.schedule();
    let first = hub.pull_number("len-zero");
    let (id, run) = hub.comment(first, "ana", "/patchwright ignore later");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        hub.reply(first, id)
            .contains("may be proposed again after 0 days")
    );

    let open_len_zero = |hub: &Hub| -> Vec<u64> {
        hub.fake
            .world()
            .open_pulls()
            .iter()
            .filter(|p| p.labels.iter().any(|l| l == "patchwright:len-zero"))
            .map(|p| p.number)
            .collect()
    };
    assert!(open_len_zero(&hub).is_empty());
    // The time is up at once: the same findings, a new proposal.
    hub.schedule();
    let [again] = open_len_zero(&hub).try_into().unwrap();
    assert_ne!(again, first);
    let ledger = hub.ledger();
    let old = proposal_of(&ledger, first);
    let new = proposal_of(&ledger, again);
    assert_eq!(old["fingerprints"], new["fingerprints"]);
    assert_eq!(
        new["id"].as_str().unwrap(),
        format!("{}-2", old["id"].as_str().unwrap())
    );
    assert_eq!(new["outcomes"][0]["kind"], "opened");
    assert_eq!(
        old["outcomes"].as_array().unwrap().last().unwrap()["why"],
        "later"
    );
    // And only once.
    hub.schedule();
    assert_eq!(open_len_zero(&hub), [again]);
    assert_eq!(
        hub.ledger()["proposals"].as_object().unwrap().len(),
        ledger["proposals"].as_object().unwrap().len()
    );
}
