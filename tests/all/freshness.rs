//! Open proposals stay fresh without a person: fixed elsewhere, they are
//! closed (counting against nothing) and their branch deleted; with a base
//! that moved and a branch that conflicts, or findings gone, they are
//! rebuilt on the tip once a run; merged or closed, their branch goes.

use serde_json::Value;

use crate::github::{Hub, PROPOSE_ALL};
use crate::support::git;

/// A person changes `edits` (path, from, to) on `main` and pushes.
fn person_commits(hub: &Hub, name: &str, edits: &[(&str, &str, &str)]) {
    let clone = hub.project.clone_as(name);
    for (path, from, to) in edits {
        let file = clone.join(path);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains(from), "{path} has no `{from}`");
        std::fs::write(&file, text.replacen(from, to, 1)).unwrap();
    }
    git(&clone, &["commit", "-qam", "a person's change"]);
    git(&clone, &["push", "-q", "origin", "main"]);
}

fn len_zero(hub: &Hub) -> Value {
    hub.ledger()["proposals"]
        .as_object()
        .unwrap()
        .values()
        .find(|p| p["skill"] == "len-zero")
        .unwrap()
        .clone()
}

#[test]
fn a_proposal_fixed_elsewhere_is_closed_and_its_branch_deleted() {
    let hub = Hub::new(PROPOSE_ALL);
    hub.schedule();
    let number = hub.pull_number("len-zero");
    let branch = len_zero(&hub)["branch"].as_str().unwrap().to_owned();
    assert!(hub.project.proposal_branches().contains(&branch));
    person_commits(
        &hub,
        "fixer",
        &[
            (
                "src/lib.rs",
                "self.items.len() == 0",
                "self.items.is_empty()",
            ),
            (
                "src/shapes.rs",
                "!(self.shapes.len() == 0)",
                "!self.shapes.is_empty()",
            ),
            (
                "src/shapes.rs",
                "self.shapes.len() > 0",
                "!self.shapes.is_empty()",
            ),
        ],
    );
    let run = hub.schedule();
    assert!(
        run.stdout.contains("closed: fixed elsewhere"),
        "{}",
        run.stdout
    );
    assert_eq!(hub.fake.world().issues[&number].state, "closed");
    assert!(
        hub.said_on(number)
            .iter()
            .any(|c| c.contains("Fixed elsewhere: `main` at ")),
        "{:?}",
        hub.said_on(number)
    );
    assert!(!hub.project.proposal_branches().contains(&branch));
    let proposal = len_zero(&hub);
    let last = proposal["outcomes"].as_array().unwrap().last().unwrap();
    assert_eq!(last["kind"], "closed", "{proposal}");
    assert_eq!(last["why"], "gone", "{proposal}");
    let rejected = hub.ledger()["rejected"].as_object().unwrap().len();
    assert_eq!(rejected, 0, "fixed elsewhere is no rejection");

    // Nothing more happens on the next run.
    let events = hub.project.ledger_events().len();
    hub.schedule();
    assert_eq!(hub.fake.world().issues[&number].state, "closed");
    assert!(hub.project.ledger_events().len() <= events + 1);
}

#[test]
fn a_proposal_that_lost_findings_or_conflicts_is_rebuilt_on_the_tip() {
    let hub = Hub::new(PROPOSE_ALL);
    hub.schedule();
    let number = hub.pull_number("len-zero");
    let first = len_zero(&hub);
    assert_eq!(first["fingerprints"].as_array().unwrap().len(), 3);

    // A change elsewhere: the base moved, nothing conflicts; left alone.
    person_commits(&hub, "unrelated", &[("src/parse.rs", "", "// a note\n")]);
    hub.schedule();
    assert_eq!(len_zero(&hub)["head"], first["head"], "no churn");

    // One finding fixed by hand: rebuilt with the other two.
    person_commits(
        &hub,
        "one-fix",
        &[(
            "src/lib.rs",
            "self.items.len() == 0",
            "self.items.is_empty()",
        )],
    );
    let run = hub.schedule();
    assert!(
        run.stdout.contains("rebuilt on `main` at "),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("because 1 of its findings is gone from `main`: 2 fixes"),
        "{}",
        run.stdout
    );
    let second = len_zero(&hub);
    assert_ne!(second["head"], first["head"]);
    assert_eq!(second["fingerprints"].as_array().unwrap().len(), 2);
    let tip = git(&hub.project.origin, &["rev-parse", "main"]);
    assert_eq!(second["base"], tip.as_str());
    let branch = second["branch"].as_str().unwrap();
    assert_eq!(
        git(&hub.project.origin, &["rev-parse", branch]),
        second["head"].as_str().unwrap()
    );
    assert!(
        hub.project
            .ledger_events()
            .iter()
            .any(|e| e.starts_with("refresh len-zero/")),
        "{:?}",
        hub.project.ledger_events()
    );
    assert_eq!(hub.fake.world().issues[&number].state, "open");

    // A change on the very line the proposal fixes: it conflicts; rebuilt.
    person_commits(
        &hub,
        "conflict",
        &[(
            "src/shapes.rs",
            "!(self.shapes.len() == 0)",
            "!(self.shapes.len() == 0) // drawn shapes",
        )],
    );
    let run = hub.schedule();
    assert!(
        run.stdout
            .contains("because it conflicted with `main`: 2 fixes"),
        "{}",
        run.stdout
    );
    let third = len_zero(&hub);
    let tip = git(&hub.project.origin, &["rev-parse", "main"]);
    assert_eq!(third["base"], tip.as_str());
    let merged = git(
        &hub.project.origin,
        &[
            "merge-tree",
            "--write-tree",
            &tip,
            third["head"].as_str().unwrap(),
        ],
    );
    assert!(!merged.contains("CONFLICT"), "{merged}");

    // Once a run: the next run with nothing new leaves it.
    hub.schedule();
    assert_eq!(len_zero(&hub)["head"], third["head"]);
}

#[test]
fn merged_and_closed_proposals_lose_their_branch_and_rebase_is_a_command() {
    let hub = Hub::new(PROPOSE_ALL);
    hub.schedule();
    let branches = hub.project.proposal_branches();
    let len_zero_pull = hub.pull_number("len-zero");
    let debug_pull = hub.pull_number("derive-debug");
    hub.fake.world().merge(len_zero_pull, &hub.project.root);
    hub.fake.world().close(debug_pull);
    hub.schedule();
    let left = hub.project.proposal_branches();
    assert_eq!(left.len(), branches.len() - 2, "{left:?}");
    assert!(
        left.iter()
            .all(|b| !b.contains("len-zero") && !b.contains("derive-debug"))
    );

    // `/patchwright rebase` on another one: rebuilt on the new tip.
    let number = hub.pull_number("question-mark");
    let (id, _) = hub.comment(number, "ana", "/patchwright rebase");
    let reply = hub.reply(number, id);
    assert!(reply.contains("\n\nRebuilt on `main` at "), "{reply}");
}

/// A file the scan had to skip says nothing about its findings: the
/// proposal that touches it is neither closed nor rebuilt.
#[test]
fn a_skipped_file_does_not_make_findings_gone() {
    let hub = Hub::new(PROPOSE_ALL);
    hub.schedule();
    let number = hub.pull_number("len-zero");
    let before = len_zero(&hub);
    person_commits(
        &hub,
        "breaker",
        &[(
            "src/lib.rs",
            "pub fn idle(&self) -> bool {",
            "pub fn idle(&self) -> bool { (",
        )],
    );
    let run = hub.schedule();
    assert!(!run.stdout.contains("fixed elsewhere"), "{}", run.stdout);
    assert_eq!(hub.fake.world().issues[&number].state, "open");
    assert_eq!(len_zero(&hub)["head"], before["head"], "{}", run.stdout);
}
