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
use crate::store::checks::{CheckRun, Checks, is_named};
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
    let wanted = |c: &CheckRun| names.iter().any(|n| is_named(&c.name, n));
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
mod tests;
