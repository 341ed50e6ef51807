//! The regression watch's decisions. After one of the bot's proposals is
//! merged, the default branch is watched for `revert.window_hours`. If the
//! checks on the merge commit (or, when none ran there, on the first later
//! commit where they ran, with no other merge in between) fail while they
//! passed on the merge's first parent, the merge is the culprit. The failed
//! jobs are re-run (`revert.flaky_reruns` times) before that is believed;
//! then the merge may be reverted. Anything less certain is reported, not
//! reverted.
//!
//! Automatic reverts are braked: a merge that opted out (the label
//! `patchwright:no-revert`, or `patchwright: no-revert` in its message) or
//! whose first red run came more than `revert.max_age_hours` after it is
//! reported at the first red, without re-runs; past `revert.daily_limit`
//! automatic reverts in 24 hours, a confirmed regression is reported too.
//!
//! Every function here takes what was observed as values and returns what
//! to do; `bot::watch` observes (git, the forge) and does it.

use std::collections::BTreeMap;

use crate::config::RevertMode;
use crate::store::checks::{CheckRun, Checks};
use crate::store::ledger::{Ledger, ProposalId, Watch, WatchState};
use crate::vocab::git_names::{BranchName, CommitSha};
use crate::vocab::time::Timestamp;

/// The label, and the words in a merge commit's message, that opt a merge
/// out of automatic reverts.
pub const NO_REVERT_LABEL: &str = "patchwright:no-revert";
pub const NO_REVERT_MESSAGE: &str = "patchwright: no-revert";

/// A commit on the default branch's first-parent line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineCommit {
    pub sha: CommitSha,
    /// Whether it has more than one parent (it merged something).
    pub is_merge: bool,
}

/// What has been seen of the default branch around one watched merge.
#[derive(Debug, Clone, Copy)]
pub struct Observed<'a> {
    pub merge: &'a CommitSha,
    pub default_branch: &'a BranchName,
    /// The first-parent line from the merge (first) to the tip (last);
    /// `None` when the merge is not on it.
    pub line: Option<&'a [LineCommit]>,
    /// The merge's first parent, if it has one.
    pub parent: Option<&'a CommitSha>,
    /// The checks seen so far, by commit (already filtered to the
    /// configured checks, see [`filter`]).
    pub checks: &'a BTreeMap<CommitSha, Checks>,
    /// For single-parent commits after the merge: the merged pull request
    /// each came from, if any (a squash or rebase merge shows no second
    /// parent); asked for one at a time ([`Look::NeedPull`]).
    pub pulls: &'a BTreeMap<CommitSha, Option<u64>>,
}

/// What the checks say about a watched merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing conclusive yet.
    Wait,
    /// Green at this commit.
    Clean(CommitSha),
    /// Something that is not a clear red: said, never reverted.
    Report(String),
    /// Red after the merge, green before it.
    Red {
        red: CommitSha,
        failing: Vec<CheckRun>,
        parent: CommitSha,
        passing: Vec<CheckRun>,
    },
}

/// A verdict, or the commit whose checks must be seen to reach one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Look {
    Verdict(Verdict),
    NeedChecks(CommitSha),
    /// Which merged pull request, if any, this commit came from.
    NeedPull(CommitSha),
}

/// Walks from the merge towards the tip to the first commit with checks,
/// and compares them with the checks before the merge. Commits are asked
/// for one at a time ([`Look::NeedChecks`]), so only the commits that
/// matter cost a request.
pub fn verdict(seen: &Observed<'_>) -> Look {
    let report = |text: String| Look::Verdict(Verdict::Report(text));
    let Some(line) = seen.line else {
        return report(format!(
            "its merge {} is no longer on `{}`",
            seen.merge.short(),
            seen.default_branch
        ));
    };
    let mut red = None;
    for commit in line {
        if commit.sha != *seen.merge && commit.is_merge {
            return report(format!(
                "no checks ran on `{}` between its merge {} and another merge, {}, so a red cannot be pinned on it",
                seen.default_branch,
                seen.merge.short(),
                commit.sha.short()
            ));
        }
        if commit.sha != *seen.merge {
            match seen.pulls.get(&commit.sha) {
                None => return Look::NeedPull(commit.sha.clone()),
                Some(Some(number)) => {
                    return report(format!(
                        "no checks ran on `{}` between its merge {} and #{number}, merged (squashed or rebased) as {}, so a red cannot be pinned on it",
                        seen.default_branch,
                        seen.merge.short(),
                        commit.sha.short()
                    ));
                }
                Some(None) => {}
            }
        }
        match seen.checks.get(&commit.sha) {
            None => return Look::NeedChecks(commit.sha.clone()),
            Some(Checks::Missing) => continue,
            Some(Checks::Pending) => return Look::Verdict(Verdict::Wait),
            Some(Checks::Passed { .. }) => {
                return Look::Verdict(Verdict::Clean(commit.sha.clone()));
            }
            Some(Checks::Failed { failing, .. }) => {
                red = Some((commit.sha.clone(), failing.clone()));
                break;
            }
        }
    }
    let Some((red, failing)) = red else {
        return Look::Verdict(Verdict::Wait);
    };
    let Some(parent) = seen.parent else {
        return report("its merge has no parent".into());
    };
    Look::Verdict(match seen.checks.get(parent) {
        None => return Look::NeedChecks(parent.clone()),
        Some(Checks::Passed { passing }) => Verdict::Red {
            red,
            failing,
            parent: parent.clone(),
            passing: passing.clone(),
        },
        Some(Checks::Pending) => Verdict::Wait,
        Some(Checks::Missing) => Verdict::Report(format!(
            "the checks failed on {}, but none ran on {} before the merge to show it was green",
            red.short(),
            parent.short()
        )),
        Some(Checks::Failed { .. }) => Verdict::Report(format!(
            "`{}` was already red at {}, before the merge",
            seen.default_branch,
            parent.short()
        )),
    })
}

/// Why a merge is reverted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub red: CommitSha,
    pub failing: Vec<CheckRun>,
    pub parent: CommitSha,
    pub passing: Vec<CheckRun>,
    pub reruns: u32,
    /// Failing checks that could not be re-run: a flake there is not ruled
    /// out, and the revert says so.
    pub not_rerun: Vec<String>,
}

/// What to do with one watch after a look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Leave the watch as it is.
    Keep,
    /// Move the watch to this state.
    Record(WatchState),
    /// Red, then green when re-run: record a flake and say so.
    Flake {
        red: CommitSha,
        failing: Vec<String>,
    },
    /// Say why, and do not revert.
    Report(String),
    /// Red after the merge, green before it. On a `first` red the brakes
    /// ([`held_off`]) are asked first; then re-run ([`wants_rerun`]) or revert.
    Red { evidence: Evidence, first: bool },
}

/// The next step for a watch in `state`, given the verdict of a look.
pub fn step(state: &WatchState, verdict: Verdict) -> Step {
    match (state, verdict) {
        (_, Verdict::Wait) => Step::Keep,
        (WatchState::Rerunning { red, failing, .. }, Verdict::Clean(_)) => Step::Flake {
            red: red.clone(),
            failing: failing.clone(),
        },
        (_, Verdict::Clean(at)) => Step::Record(WatchState::Clean { at }),
        (_, Verdict::Report(reason)) => Step::Report(reason),
        // The re-run's results are not in yet: these are the old ones
        // (leaving out what could not be re-run, which stays as it was).
        (
            WatchState::Rerunning {
                check_ids,
                not_rerun,
                ..
            },
            Verdict::Red { failing, .. },
        ) if !check_ids.is_empty() && {
            let rerun: Vec<&CheckRun> = failing
                .iter()
                .filter(|f| !not_rerun.contains(&f.name))
                .collect();
            !rerun.is_empty()
                && rerun
                    .iter()
                    .all(|f| f.id.is_some_and(|id| check_ids.contains(&id)))
        } =>
        {
            Step::Keep
        }
        (
            state,
            Verdict::Red {
                red,
                failing,
                parent,
                passing,
            },
        ) => {
            let (reruns, first, not_rerun) = match state {
                WatchState::Rerunning {
                    reruns, not_rerun, ..
                } => (*reruns, false, not_rerun.clone()),
                _ => (0, true, Vec::new()),
            };
            Step::Red {
                evidence: Evidence {
                    red,
                    failing,
                    parent,
                    passing,
                    reruns,
                    not_rerun,
                },
                first,
            }
        }
    }
}

/// Whether a red needs another re-run before it is believed.
pub fn wants_rerun(evidence: &Evidence, flaky_reruns: u32) -> bool {
    evidence.reruns < flaky_reruns
}

/// What is known about a merge when its first red arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeFacts {
    /// The merged pull request's number and labels, if there is one.
    pub pull: Option<(u64, Vec<String>)>,
    pub message: String,
    /// When it was committed.
    pub merged_at: Timestamp,
}

/// Why a first red must not lead to an automatic revert, if it must not:
/// the merge opted out, or the red came too long after it. `now` stands in
/// for when the red run finished where the forge does not say.
pub fn held_off(
    merge: &CommitSha,
    facts: &MergeFacts,
    failing: &[CheckRun],
    now: Timestamp,
    max_age_hours: u64,
) -> Option<String> {
    if let Some((number, labels)) = &facts.pull
        && labels.iter().any(|l| l == NO_REVERT_LABEL)
    {
        return Some(format!(
            "the checks went red after #{number} was merged, but it is labelled `{NO_REVERT_LABEL}`"
        ));
    }
    if facts.message.contains(NO_REVERT_MESSAGE) {
        return Some(format!(
            "the checks went red after {}, but its message says `{NO_REVERT_MESSAGE}`",
            merge.short()
        ));
    }
    let red_at = failing
        .iter()
        .filter_map(|f| f.completed_at)
        .min()
        .unwrap_or(now)
        .0;
    let age = red_at.saturating_sub(facts.merged_at.0);
    if age > hours(max_age_hours) {
        return Some(format!(
            "the first red run came {:.1} hours after the merge, later than revert.max_age_hours ({max_age_hours}) allows for an automatic revert",
            age as f64 / 3600.0
        ));
    }
    None
}

/// Why a confirmed regression must be reported instead of reverted:
/// `daily_limit` automatic reverts already happened in the last 24 hours.
pub fn over_daily_limit(
    ledger: &Ledger,
    red: &CommitSha,
    now: Timestamp,
    daily_limit: u32,
) -> Option<String> {
    let recent = ledger
        .watch
        .values()
        .filter(|w| {
            matches!(w.state, WatchState::Reverted { asked: false, at, .. } if now.0 - at.0 < 86_400)
        })
        .count();
    (recent >= usize::try_from(daily_limit).unwrap_or(usize::MAX)).then(|| {
        format!(
            "the checks failed on {} after the merge and passed before it, but {recent} automatic {} already happened in the last 24 hours (revert.daily_limit: {daily_limit})",
            red.short(),
            if recent == 1 { "revert" } else { "reverts" }
        )
    })
}

/// What a re-run that finished on the spot says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterRerun {
    /// Green now: the red was a flake.
    Flake,
    /// Still red, and more re-runs are allowed.
    Again(Vec<CheckRun>),
    /// Still red after every allowed re-run.
    Confirmed(Vec<CheckRun>),
    /// No result yet.
    Waiting,
}

/// `reruns` is the number of re-runs done, this one included.
pub fn after_rerun(checks: Checks, reruns: u32, flaky_reruns: u32) -> AfterRerun {
    match checks {
        Checks::Passed { .. } => AfterRerun::Flake,
        Checks::Failed { failing, .. } if reruns < flaky_reruns => AfterRerun::Again(failing),
        Checks::Failed { failing, .. } => AfterRerun::Confirmed(failing),
        Checks::Pending | Checks::Missing => AfterRerun::Waiting,
    }
}

/// The mode a revert runs in: a person asking overrides `off`.
pub fn revert_mode(configured: RevertMode, asked: bool) -> RevertMode {
    match (configured, asked) {
        (RevertMode::Off, true) => RevertMode::Pr,
        (mode, _) => mode,
    }
}

/// Whether the watch window of `watch` has passed.
pub fn expired(watch: &Watch, now: Timestamp, window_hours: u64) -> bool {
    now.0 > watch.since.0.saturating_add(hours(window_hours))
}

fn hours(n: u64) -> i64 {
    i64::try_from(n.saturating_mul(3600)).unwrap_or(i64::MAX)
}

/// Only the configured checks decide (all of them when none are configured).
pub fn filter(checks: Checks, names: &[String]) -> Checks {
    if names.is_empty() {
        return checks;
    }
    let wanted = |c: &CheckRun| {
        names
            .iter()
            .any(|n| c.name == *n || c.name.starts_with(&format!("{n} ")))
    };
    match checks {
        Checks::Failed {
            failing,
            passing,
            tail,
        } => {
            let failing: Vec<CheckRun> = failing.into_iter().filter(wanted).collect();
            let passing: Vec<CheckRun> = passing.into_iter().filter(wanted).collect();
            if failing.is_empty() {
                Checks::Passed { passing }
            } else {
                Checks::Failed {
                    failing,
                    passing,
                    tail,
                }
            }
        }
        Checks::Passed { passing } => {
            let passing: Vec<CheckRun> = passing.into_iter().filter(wanted).collect();
            if passing.is_empty() {
                Checks::Missing
            } else {
                Checks::Passed { passing }
            }
        }
        other => other,
    }
}

/// Starts watching a merged proposal (where the merge is recorded).
pub fn start(ledger: &mut Ledger, merge: &CommitSha, proposal: &ProposalId, now: Timestamp) {
    ledger.watch.entry(merge.clone()).or_insert_with(|| Watch {
        proposal: proposal.clone(),
        since: now,
        state: WatchState::Watching,
    });
}

/// A watch state's name, for ledger events.
pub fn label(state: &WatchState) -> &'static str {
    match state {
        WatchState::Watching => "watching",
        WatchState::Rerunning { .. } => "rerunning",
        WatchState::Clean { .. } => "clean",
        WatchState::Flaky { .. } => "flaky",
        WatchState::Reported { .. } => "reported",
        WatchState::Conflict { .. } => "conflict",
        WatchState::Reverted { .. } => "reverted",
        WatchState::Expired => "expired",
    }
}

#[cfg(test)]
mod tests {
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
}
