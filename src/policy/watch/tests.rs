//! The watch's decisions, one situation at a time.
use super::*;

fn sha(n: u8) -> CommitSha {
    CommitSha::from_raw(&[n; 20])
}

fn run(name: &str, id: u64) -> CheckRun {
    CheckRun {
        name: name.into(),
        id: Some(id),
        url: None,
        run_id: None,
        completed_at: None,
    }
}

fn passed() -> Checks {
    Checks::Passed {
        passing: vec![run("test", 1)],
    }
}

fn failed(id: u64) -> Checks {
    Checks::Failed {
        failing: vec![run("test", id)],
        passing: Vec::new(),
        tail: None,
    }
}

fn on_line(shas: &[(u8, bool)]) -> Vec<LineCommit> {
    shas.iter()
        .map(|&(n, is_merge)| LineCommit {
            sha: sha(n),
            is_merge,
        })
        .collect()
}

/// Looks at merge `1` (parent `0`) on `line`, with `checks` known and
/// no commit of the line from a squashed or rebased pull request.
fn look(line: Option<&[LineCommit]>, checks: &[(u8, Checks)]) -> Look {
    let pulls = line
        .into_iter()
        .flatten()
        .map(|c| (c.sha.clone(), None))
        .collect();
    look_with(line, checks, &pulls)
}

fn look_with(
    line: Option<&[LineCommit]>,
    checks: &[(u8, Checks)],
    pulls: &BTreeMap<CommitSha, Option<u64>>,
) -> Look {
    let branch: BranchName = "main".parse().unwrap();
    let checks: BTreeMap<CommitSha, Checks> =
        checks.iter().map(|(n, c)| (sha(*n), c.clone())).collect();
    verdict(&Observed {
        merge: &sha(1),
        default_branch: &branch,
        line,
        parent: Some(&sha(0)),
        checks: &checks,
        pulls,
    })
}

#[test]
fn a_squashed_or_rebased_pull_request_in_between_is_another_merge() {
    let line = on_line(&[(1, true), (2, false), (3, false)]);
    let checks = [
        (1, Checks::Missing),
        (2, Checks::Missing),
        (3, failed(7)),
        (0, passed()),
    ];
    let mut pulls = BTreeMap::new();
    assert_eq!(
        look_with(Some(&line), &checks, &pulls),
        Look::NeedPull(sha(2)),
        "asked before its checks"
    );
    pulls.insert(sha(2), None);
    pulls.insert(sha(3), Some(42));
    insta::assert_snapshot!(
        report_of(look_with(Some(&line), &checks, &pulls)),
        @"no checks ran on `main` between its merge 01010101 and #42, merged (squashed or rebased) as 03030303, so a red cannot be pinned on it"
    );
    pulls.insert(sha(3), None);
    assert!(matches!(
        look_with(Some(&line), &checks, &pulls),
        Look::Verdict(Verdict::Red { .. })
    ));
}

fn report_of(look: Look) -> String {
    match look {
        Look::Verdict(Verdict::Report(text)) => text,
        other => panic!("expected a report, got {other:?}"),
    }
}

#[test]
fn checks_are_asked_for_one_commit_at_a_time() {
    let line = on_line(&[(1, true), (2, false)]);
    assert_eq!(look(Some(&line), &[]), Look::NeedChecks(sha(1)));
    assert_eq!(
        look(Some(&line), &[(1, Checks::Missing)]),
        Look::NeedChecks(sha(2))
    );
    assert_eq!(
        look(Some(&line), &[(1, Checks::Missing), (2, failed(7))]),
        Look::NeedChecks(sha(0)),
        "a red needs the parent's checks"
    );
}

#[test]
fn green_after_the_merge_is_clean_and_pending_waits() {
    let line = on_line(&[(1, true), (2, false)]);
    assert_eq!(
        look(Some(&line), &[(1, passed())]),
        Look::Verdict(Verdict::Clean(sha(1)))
    );
    assert_eq!(
        look(Some(&line), &[(1, Checks::Missing), (2, passed())]),
        Look::Verdict(Verdict::Clean(sha(2)))
    );
    assert_eq!(
        look(Some(&line), &[(1, Checks::Pending)]),
        Look::Verdict(Verdict::Wait)
    );
    assert_eq!(
        look(Some(&line), &[(1, Checks::Missing), (2, Checks::Missing)]),
        Look::Verdict(Verdict::Wait),
        "no checks anywhere yet"
    );
}

#[test]
fn red_after_green_before_is_the_merges_fault() {
    let line = on_line(&[(1, true)]);
    assert_eq!(
        look(Some(&line), &[(1, failed(7)), (0, passed())]),
        Look::Verdict(Verdict::Red {
            red: sha(1),
            failing: vec![run("test", 7)],
            parent: sha(0),
            passing: vec![run("test", 1)],
        })
    );
    assert_eq!(
        look(Some(&line), &[(1, failed(7)), (0, Checks::Pending)]),
        Look::Verdict(Verdict::Wait)
    );
}

#[test]
fn anything_less_certain_is_reported() {
    let line = on_line(&[(1, true)]);
    insta::assert_snapshot!(
        report_of(look(Some(&line), &[(1, failed(7)), (0, failed(3))])),
        @"`main` was already red at 00000000, before the merge"
    );
    insta::assert_snapshot!(
        report_of(look(Some(&line), &[(1, failed(7)), (0, Checks::Missing)])),
        @"the checks failed on 01010101, but none ran on 00000000 before the merge to show it was green"
    );
    insta::assert_snapshot!(
        report_of(look(None, &[])),
        @"its merge 01010101 is no longer on `main`"
    );
    let with_other_merge = on_line(&[(1, true), (2, true), (3, false)]);
    insta::assert_snapshot!(
        report_of(look(Some(&with_other_merge), &[(1, Checks::Missing)])),
        @"no checks ran on `main` between its merge 01010101 and another merge, 02020202, so a red cannot be pinned on it"
    );
}

fn red_verdict(failing_id: u64) -> Verdict {
    Verdict::Red {
        red: sha(1),
        failing: vec![run("test", failing_id)],
        parent: sha(0),
        passing: Vec::new(),
    }
}

#[test]
fn steps_follow_the_watch_state() {
    let rerunning = WatchState::Rerunning {
        red: sha(1),
        reruns: 1,
        failing: vec!["test".into()],
        check_ids: vec![7],
        not_rerun: Vec::new(),
    };
    assert_eq!(step(&WatchState::Watching, Verdict::Wait), Step::Keep);
    assert_eq!(
        step(&rerunning, Verdict::Clean(sha(1))),
        Step::Flake {
            red: sha(1),
            failing: vec!["test".into()]
        }
    );
    assert_eq!(
        step(&WatchState::Watching, Verdict::Clean(sha(1))),
        Step::Record(WatchState::Clean { at: sha(1) })
    );
    assert_eq!(
        step(&rerunning, red_verdict(7)),
        Step::Keep,
        "the same failed run: the re-run has not reported yet"
    );
    let Step::Red { evidence, first } = step(&rerunning, red_verdict(8)) else {
        panic!("a new red run after a re-run is a red");
    };
    assert!(!first);
    assert_eq!(evidence.reruns, 1);
    assert!(!wants_rerun(&evidence, 1));
    let Step::Red { evidence, first } = step(&WatchState::Watching, red_verdict(7)) else {
        panic!("a first red");
    };
    assert!(first);
    assert!(wants_rerun(&evidence, 1));
    assert!(!wants_rerun(&evidence, 0));
}

#[test]
fn brakes_hold_off_opted_out_and_late_reds() {
    let facts = MergeFacts {
        pull: Some((12, vec![NO_REVERT_LABEL.into()])),
        message: "Merge #12".into(),
        merged_at: Timestamp(0),
    };
    let failing = [run("test", 7)];
    insta::assert_snapshot!(
        held_off(&sha(1), &facts, &failing, Timestamp(60), 6).unwrap(),
        @"the checks went red after #12 was merged, but it is labelled `patchwright:no-revert`"
    );
    let in_message = MergeFacts {
        pull: None,
        message: format!("Merge\n\n{NO_REVERT_MESSAGE}"),
        ..facts.clone()
    };
    assert!(
        held_off(&sha(1), &in_message, &failing, Timestamp(60), 6)
            .unwrap()
            .contains("its message says")
    );
    let plain = MergeFacts {
        pull: Some((12, Vec::new())),
        ..in_message.clone()
    };
    let plain = MergeFacts {
        message: "Merge #12".into(),
        ..plain
    };
    assert_eq!(
        held_off(&sha(1), &plain, &failing, Timestamp(5 * 3600), 6),
        None
    );
    insta::assert_snapshot!(
        held_off(&sha(1), &plain, &failing, Timestamp(7 * 3600), 6).unwrap(),
        @"the first red run came 7.0 hours after the merge, later than revert.max_age_hours (6) allows for an automatic revert"
    );
    let finished_early = [CheckRun {
        completed_at: Some(Timestamp(3600)),
        ..run("test", 7)
    }];
    assert_eq!(
        held_off(&sha(1), &plain, &finished_early, Timestamp(9 * 3600), 6),
        None,
        "the run's own finish time counts, not when the bot looked"
    );
}

#[test]
fn the_daily_limit_counts_automatic_reverts_of_the_last_day() {
    let mut ledger = Ledger::default();
    let reverted = |at: i64, asked: bool| Watch {
        proposal: "len-zero/00000000".parse().unwrap(),
        since: Timestamp(0),
        state: WatchState::Reverted {
            commit: sha(9),
            at: Timestamp(at),
            asked,
            branch: None,
            pull: None,
        },
    };
    let now = Timestamp(100_000);
    assert_eq!(over_daily_limit(&ledger, &sha(1), now, 1), None);
    ledger
        .watch
        .insert(sha(2), reverted(100_000 - 90_000, false));
    ledger.watch.insert(sha(3), reverted(100_000 - 10, true));
    assert_eq!(
        over_daily_limit(&ledger, &sha(1), now, 1),
        None,
        "older than a day, or asked for by a person"
    );
    ledger.watch.insert(sha(4), reverted(100_000 - 10, false));
    insta::assert_snapshot!(
        over_daily_limit(&ledger, &sha(1), now, 1).unwrap(),
        @"the checks failed on 01010101 after the merge and passed before it, but 1 automatic revert already happened in the last 24 hours (revert.daily_limit: 1)"
    );
}

#[test]
fn reruns_on_the_spot_decide_at_once() {
    assert_eq!(after_rerun(passed(), 1, 2), AfterRerun::Flake);
    assert_eq!(
        after_rerun(failed(8), 1, 2),
        AfterRerun::Again(vec![run("test", 8)])
    );
    assert_eq!(
        after_rerun(failed(8), 2, 2),
        AfterRerun::Confirmed(vec![run("test", 8)])
    );
    assert_eq!(after_rerun(Checks::Pending, 1, 2), AfterRerun::Waiting);
}

#[test]
fn modes_windows_and_starts() {
    assert_eq!(revert_mode(RevertMode::Off, true), RevertMode::Pr);
    assert_eq!(revert_mode(RevertMode::Off, false), RevertMode::Off);
    assert_eq!(revert_mode(RevertMode::Push, true), RevertMode::Push);
    let mut ledger = Ledger::default();
    let id: ProposalId = "len-zero/00000000".parse().unwrap();
    start(&mut ledger, &sha(1), &id, Timestamp(10));
    start(&mut ledger, &sha(1), &id, Timestamp(20));
    let watch = &ledger.watch[&sha(1)];
    assert_eq!(watch.since, Timestamp(10), "starting twice keeps the first");
    assert_eq!(label(&watch.state), "watching");
    assert!(!expired(watch, Timestamp(10 + 48 * 3600), 48));
    assert!(expired(watch, Timestamp(11 + 48 * 3600), 48));
}

#[test]
fn configured_checks_decide_alone() {
    let failed = Checks::Failed {
        failing: vec![run("lint", 1), run("test (ubuntu)", 2)],
        passing: Vec::new(),
        tail: None,
    };
    assert_eq!(filter(failed.clone(), &[]), failed);
    let only_test = filter(failed.clone(), &["test".into()]);
    assert!(
        matches!(only_test, Checks::Failed { ref failing, .. } if failing.len() == 1 && failing[0].name == "test (ubuntu)")
    );
    assert!(matches!(
        filter(failed, &["docs".into()]),
        Checks::Passed { .. }
    ));
    let passed = Checks::Passed {
        passing: vec![run("lint", 3)],
    };
    assert_eq!(filter(passed, &["test".into()]), Checks::Missing);
}
