//! The regression watch: after one of the bot's proposals is merged, the
//! default branch is watched for `revert.window_hours`. If the checks on the
//! merge commit (or, when none ran there, on the first later commit where
//! they ran, with no other merge in between) fail while they passed on the
//! merge's first parent, the merge is the culprit. The failed jobs are
//! re-run (`revert.flaky_reruns` times) before that is believed; then the
//! merge is reverted, as a pull request or (in `push` mode) straight onto
//! the default branch, fast-forward only. Anything less certain is
//! reported, not reverted.
//!
//! Automatic reverts are braked: a merge that opted out (the label
//! `patchwright:no-revert`, or `patchwright: no-revert` in its message) or
//! whose first red run came more than `revert.max_age_hours` after it is
//! reported at the first red, without re-runs; past `revert.daily_limit`
//! automatic reverts in 24 hours, a confirmed regression is reported too.
//! Every revert pauses the reverted proposal's skill until a person resumes
//! it.
//!
//! Every step is recorded in the ledger's watch state, so a run that dies
//! between a re-run and its verdict picks up where it was on the next event.

use crate::config::RevertMode;
use crate::cycle::{Bot, CycleError, RunReport};
use crate::forge::{CheckRun, Checks, PullDraft, Rerun};
use crate::git::{BranchName, CommitSha, GitError};
use crate::ledger::{
    CachedCheck, Ledger, Outcome, Proposal, PullRef, Rejection, Timestamp, Watch, WatchState,
};
use crate::report::templates::{self, RevertBody};

/// How far back the default branch is searched for a watched merge.
const CHAIN: usize = 1000;

/// What the checks say about a watched merge.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    /// Nothing conclusive yet.
    Wait,
    Clean(CommitSha),
    Report(String),
    /// Red after the merge, green before it.
    Red {
        red: CommitSha,
        failing: Vec<CheckRun>,
        parent: CommitSha,
        passing: Vec<CheckRun>,
    },
}

/// Looks at every active watch once.
pub fn watch(bot: &Bot<'_>, report: &mut RunReport) -> Result<(), CycleError> {
    let (ledger, _) = bot.store().read()?;
    let active: Vec<(CommitSha, Watch)> = ledger
        .watch
        .iter()
        .filter(|(_, w)| w.state.is_active())
        .map(|(m, w)| (m.clone(), w.clone()))
        .collect();
    if active.is_empty() {
        return Ok(());
    }
    let Some(tip) = bot.repo.branch_tip(&bot.default_branch)? else {
        return Ok(());
    };
    let window =
        i64::try_from(bot.config.revert.window_hours.saturating_mul(3600)).unwrap_or(i64::MAX);
    for (merge, w) in active {
        let proposal = ledger.proposals.get(&w.proposal).cloned();
        let state = if Timestamp::now().0 > w.since.0.saturating_add(window) {
            Some(WatchState::Expired)
        } else {
            step(bot, &merge, &w, proposal.as_ref(), &tip, report)?
        };
        if let Some(state) = state {
            set_state(bot, &merge, state)?;
        }
    }
    Ok(())
}

/// The next state of one watch, or `None` to leave it as it is.
fn step(
    bot: &Bot<'_>,
    merge: &CommitSha,
    w: &Watch,
    proposal: Option<&Proposal>,
    tip: &CommitSha,
    report: &mut RunReport,
) -> Result<Option<WatchState>, CycleError> {
    let verdict = verdict(bot, merge, tip)?;
    let config = &bot.config.revert;
    Ok(match (&w.state, verdict) {
        (_, Verdict::Wait) => None,
        (WatchState::Rerunning { red, failing, .. }, Verdict::Clean(_)) => {
            let note = format!(
                "{}: red on {} ({}), green when re-run; recorded as a flake",
                describe(proposal, merge),
                red.short(),
                failing.join(", ")
            );
            report.warnings.push(note);
            Some(WatchState::Flaky {
                red: red.clone(),
                failing: failing.clone(),
            })
        }
        (_, Verdict::Clean(at)) => Some(WatchState::Clean { at }),
        (_, Verdict::Report(reason)) => Some(reported(bot, proposal, merge, reason, report)?),
        (
            WatchState::Rerunning {
                reruns, check_ids, ..
            },
            Verdict::Red { failing, .. },
        ) if failing
            .iter()
            .all(|f| f.id.is_some_and(|id| check_ids.contains(&id)))
            && !check_ids.is_empty() =>
        {
            // The re-run's results are not in yet: these are the old ones.
            let _ = reruns;
            None
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
            let done = match state {
                WatchState::Rerunning { reruns, .. } => *reruns,
                _ => 0,
            };
            if !matches!(state, WatchState::Rerunning { .. })
                && let Some(reason) = held_off(bot, merge, proposal, &failing)?
            {
                return Ok(Some(reported(bot, proposal, merge, reason, report)?));
            }
            if done < config.flaky_reruns {
                return rerun(
                    bot, merge, proposal, red, failing, parent, passing, done, report,
                );
            }
            let evidence = Evidence {
                red,
                failing,
                parent,
                passing,
                reruns: done,
            };
            automatic_revert(bot, merge, proposal, &evidence, report)?
        }
    })
}

/// Records a red that is not reverted, and says why on the pull request.
fn reported(
    bot: &Bot<'_>,
    proposal: Option<&Proposal>,
    merge: &CommitSha,
    reason: String,
    report: &mut RunReport,
) -> Result<WatchState, CycleError> {
    say(
        bot,
        proposal,
        merge,
        "reported",
        &format!("{reason}. Not reverting."),
    )?;
    report.warnings.push(format!(
        "{}: {reason}; not reverted",
        describe(proposal, merge)
    ));
    Ok(WatchState::Reported { reason })
}

/// The label, and the words in a merge commit's message, that opt a merge
/// out of automatic reverts.
pub const NO_REVERT_LABEL: &str = "patchwright:no-revert";
pub const NO_REVERT_MESSAGE: &str = "patchwright: no-revert";

/// Why a first red must not lead to an automatic revert, if it must not:
/// the merge opted out, or the red came too long after it.
fn held_off(
    bot: &Bot<'_>,
    merge: &CommitSha,
    proposal: Option<&Proposal>,
    failing: &[CheckRun],
) -> Result<Option<String>, CycleError> {
    if let Some(number) = proposal.and_then(|p| p.pull.as_ref()?.number)
        && bot
            .forge
            .pull_labels(number)?
            .iter()
            .any(|l| l == NO_REVERT_LABEL)
    {
        return Ok(Some(format!(
            "the checks went red after #{number} was merged, but it is labelled `{NO_REVERT_LABEL}`"
        )));
    }
    if bot.repo.message(merge)?.contains(NO_REVERT_MESSAGE) {
        return Ok(Some(format!(
            "the checks went red after {}, but its message says `{NO_REVERT_MESSAGE}`",
            merge.short()
        )));
    }
    let merged_at = bot.repo.commit_time(merge)?;
    // The first red run: when its checks finished, or now if the forge
    // does not say.
    let red_at = failing
        .iter()
        .filter_map(|f| f.completed_at)
        .min()
        .unwrap_or_else(Timestamp::now)
        .0;
    let max_age = bot.config.revert.max_age_hours;
    let age = red_at.saturating_sub(merged_at);
    if age > i64::try_from(max_age.saturating_mul(3600)).unwrap_or(i64::MAX) {
        return Ok(Some(format!(
            "the first red run came {:.1} hours after the merge, later than revert.max_age_hours ({max_age}) allows for an automatic revert",
            age as f64 / 3600.0
        )));
    }
    Ok(None)
}

/// Reverts unless `revert.daily_limit` automatic reverts happened in the
/// last 24 hours, in which case the red is reported.
fn automatic_revert(
    bot: &Bot<'_>,
    merge: &CommitSha,
    proposal: Option<&Proposal>,
    evidence: &Evidence,
    report: &mut RunReport,
) -> Result<Option<WatchState>, CycleError> {
    let (ledger, _) = bot.store().read()?;
    let now = Timestamp::now();
    let recent = ledger
        .watch
        .values()
        .filter(|w| {
            matches!(w.state, WatchState::Reverted { asked: false, at, .. } if now.0 - at.0 < 86_400)
        })
        .count();
    let limit = bot.config.revert.daily_limit;
    if recent >= usize::try_from(limit).unwrap_or(usize::MAX) {
        let reason = format!(
            "the checks failed on {} after the merge and passed before it, but {recent} automatic {} already happened in the last 24 hours (revert.daily_limit: {limit})",
            evidence.red.short(),
            if recent == 1 { "revert" } else { "reverts" }
        );
        return Ok(Some(reported(bot, proposal, merge, reason, report)?));
    }
    revert(bot, merge, proposal, evidence, None, report)
}

/// Re-runs the failing checks; a forge that re-runs on the spot gives its
/// verdict at once.
#[allow(clippy::too_many_arguments)]
fn rerun(
    bot: &Bot<'_>,
    merge: &CommitSha,
    proposal: Option<&Proposal>,
    red: CommitSha,
    failing: Vec<CheckRun>,
    parent: CommitSha,
    passing: Vec<CheckRun>,
    done: u32,
    report: &mut RunReport,
) -> Result<Option<WatchState>, CycleError> {
    let names: Vec<String> = failing.iter().map(|f| f.name.clone()).collect();
    match bot.forge.rerun_failed(&red, &failing)? {
        Rerun::Requested(_) => Ok(Some(WatchState::Rerunning {
            red,
            reruns: done + 1,
            failing: names,
            check_ids: failing.iter().filter_map(|f| f.id).collect(),
        })),
        Rerun::Done(checks) => {
            cache(bot, &red, &checks)?;
            match filter(checks, &bot.config.revert.checks) {
                Checks::Passed { .. } => {
                    report.warnings.push(format!(
                        "{}: red on {} ({}), green when re-run; recorded as a flake",
                        describe(proposal, merge),
                        red.short(),
                        names.join(", ")
                    ));
                    Ok(Some(WatchState::Flaky {
                        red,
                        failing: names,
                    }))
                }
                Checks::Failed { failing, .. } if done + 1 < bot.config.revert.flaky_reruns => {
                    rerun(
                        bot,
                        merge,
                        proposal,
                        red,
                        failing,
                        parent,
                        passing,
                        done + 1,
                        report,
                    )
                }
                Checks::Failed { failing, .. } => {
                    let evidence = Evidence {
                        red,
                        failing,
                        parent,
                        passing,
                        reruns: done + 1,
                    };
                    automatic_revert(bot, merge, proposal, &evidence, report)
                }
                Checks::Pending | Checks::Missing => Ok(Some(WatchState::Rerunning {
                    red,
                    reruns: done + 1,
                    failing: names,
                    check_ids: Vec::new(),
                })),
            }
        }
    }
}

/// Finds the first checks after the merge and compares them with the checks
/// before it.
fn verdict(bot: &Bot<'_>, merge: &CommitSha, tip: &CommitSha) -> Result<Verdict, CycleError> {
    let chain = bot.repo.first_parents(tip, CHAIN)?;
    let Some(position) = chain.iter().position(|c| c == merge) else {
        return Ok(Verdict::Report(format!(
            "its merge {} is no longer on `{}`",
            merge.short(),
            bot.default_branch
        )));
    };
    let mut red = None;
    for commit in chain[..=position].iter().rev() {
        if commit != merge && bot.repo.parents(commit)?.len() > 1 {
            return Ok(Verdict::Report(format!(
                "no checks ran on `{}` between its merge {} and another merge, {}, so a red cannot be pinned on it",
                bot.default_branch,
                merge.short(),
                commit.short()
            )));
        }
        match checks_of(bot, commit)? {
            Checks::Missing => continue,
            Checks::Pending => return Ok(Verdict::Wait),
            Checks::Passed { .. } => return Ok(Verdict::Clean(commit.clone())),
            Checks::Failed { failing, .. } => {
                red = Some((commit.clone(), failing));
                break;
            }
        }
    }
    let Some((red, failing)) = red else {
        return Ok(Verdict::Wait);
    };
    let Some(parent) = bot.repo.parents(merge)?.into_iter().next() else {
        return Ok(Verdict::Report("its merge has no parent".into()));
    };
    Ok(match checks_of(bot, &parent)? {
        Checks::Passed { passing } => Verdict::Red {
            red,
            failing,
            parent,
            passing,
        },
        Checks::Pending => Verdict::Wait,
        Checks::Missing => Verdict::Report(format!(
            "the checks failed on {}, but none ran on {} before the merge to show it was green",
            red.short(),
            parent.short()
        )),
        Checks::Failed { .. } => Verdict::Report(format!(
            "`{}` was already red at {}, before the merge",
            bot.default_branch,
            parent.short()
        )),
    })
}

/// A commit's checks, filtered to `revert.checks`; results the forge had
/// to compute itself are kept in the ledger by commit.
fn checks_of(bot: &Bot<'_>, commit: &CommitSha) -> Result<Checks, CycleError> {
    if bot.forge.runs_checks_itself() {
        let (ledger, _) = bot.store().read()?;
        if let Some(cached) = ledger.check_cache.get(commit) {
            let check = |name: &String| CheckRun {
                name: name.clone(),
                id: None,
                url: None,
                run_id: None,
                completed_at: Some(cached.at),
            };
            return Ok(if cached.passed {
                Checks::Passed {
                    passing: vec![check(&"cached".to_owned())],
                }
            } else {
                Checks::Failed {
                    failing: cached.failing.iter().map(check).collect(),
                    tail: None,
                }
            });
        }
    }
    let checks = bot.forge.commit_checks(commit)?;
    cache(bot, commit, &checks)?;
    Ok(filter(checks, &bot.config.revert.checks))
}

fn cache(bot: &Bot<'_>, commit: &CommitSha, checks: &Checks) -> Result<(), CycleError> {
    if !bot.forge.runs_checks_itself() {
        return Ok(());
    }
    let cached = match checks {
        Checks::Passed { .. } => CachedCheck {
            at: Timestamp::now(),
            passed: true,
            failing: Vec::new(),
        },
        Checks::Failed { failing, .. } => CachedCheck {
            at: Timestamp::now(),
            passed: false,
            failing: failing.iter().map(|f| f.name.clone()).collect(),
        },
        Checks::Pending | Checks::Missing => return Ok(()),
    };
    let commit = commit.clone();
    let event = format!(
        "checks {} {}",
        if cached.passed { "passed" } else { "failed" },
        commit.short()
    );
    bot.store().update(&|l| {
        if l.check_cache.get(&commit) == Some(&cached) {
            return Ok(None);
        }
        l.check_cache.insert(commit.clone(), cached.clone());
        Ok(Some(event.clone()))
    })?;
    Ok(())
}

/// Only the configured checks decide (all of them when none are configured).
fn filter(checks: Checks, names: &[String]) -> Checks {
    if names.is_empty() {
        return checks;
    }
    let wanted = |c: &CheckRun| {
        names
            .iter()
            .any(|n| c.name == *n || c.name.starts_with(&format!("{n} ")))
    };
    match checks {
        Checks::Failed { failing, tail } => {
            let failing: Vec<CheckRun> = failing.into_iter().filter(wanted).collect();
            if failing.is_empty() {
                Checks::Passed {
                    passing: Vec::new(),
                }
            } else {
                Checks::Failed { failing, tail }
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

fn set_state(bot: &Bot<'_>, merge: &CommitSha, state: WatchState) -> Result<(), CycleError> {
    write_state(bot, merge, None, state)
}

/// Moves a merge's watch to `state`; with `proposal`, a merge not watched
/// yet is watched first.
fn write_state(
    bot: &Bot<'_>,
    merge: &CommitSha,
    proposal: Option<&crate::ledger::ProposalId>,
    state: WatchState,
) -> Result<(), CycleError> {
    let merge = merge.clone();
    let event = format!("watch {} {}", merge.short(), label(&state));
    let now = Timestamp::now();
    bot.store().update(&|l| {
        if let Some(proposal) = proposal {
            start(l, &merge, proposal, now);
        }
        let Some(w) = l.watch.get_mut(&merge) else {
            return Ok(None);
        };
        if w.state == state {
            return Ok(None);
        }
        w.state = state.clone();
        Ok(Some(event.clone()))
    })?;
    Ok(())
}

fn label(state: &WatchState) -> &'static str {
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

fn describe(proposal: Option<&Proposal>, merge: &CommitSha) -> String {
    match proposal.and_then(|p| p.pull.as_ref().and_then(|r| r.number)) {
        Some(n) => format!("#{n}"),
        None => match proposal {
            Some(p) => format!("`{}`", p.branch),
            None => merge.short().to_owned(),
        },
    }
}

/// Comments on the proposal's pull request (once per kind of message).
fn say(
    bot: &Bot<'_>,
    proposal: Option<&Proposal>,
    merge: &CommitSha,
    kind: &str,
    text: &str,
) -> Result<(), CycleError> {
    let body = format!(
        "<!-- patchwright:watch {} {kind} -->\n{text}",
        merge.short()
    );
    match proposal {
        Some(p) => bot.forge.comment(p, &body)?,
        None => tracing::info!("{}: {text}", merge.short()),
    }
    Ok(())
}

/// Why a merge is reverted.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub red: CommitSha,
    pub failing: Vec<CheckRun>,
    pub parent: CommitSha,
    pub passing: Vec<CheckRun>,
    pub reruns: u32,
}

fn link(c: &CheckRun) -> String {
    match &c.url {
        Some(url) => format!("[{}]({url})", c.name),
        None => c.name.clone(),
    }
}

/// Reverts `merge` on the current default branch, as a pull request or a
/// push, and records it. `asked_by` is set for a revert on request. The
/// result is the watch's new state, or `None` when someone else moved the
/// default branch first (it is looked at again next time).
pub fn revert(
    bot: &Bot<'_>,
    merge: &CommitSha,
    proposal: Option<&Proposal>,
    evidence: &Evidence,
    asked_by: Option<&str>,
    report: &mut RunReport,
) -> Result<Option<WatchState>, CycleError> {
    let mode = match (bot.config.revert.mode, asked_by) {
        // A person asking overrides `off`.
        (RevertMode::Off, Some(_)) => RevertMode::Pr,
        (mode, _) => mode,
    };
    if mode == RevertMode::Off {
        let reason = format!(
            "the checks failed on {} after the merge and passed before it; revert.mode is off",
            evidence.red.short()
        );
        return Ok(Some(reported(bot, proposal, merge, reason, report)?));
    }
    let tip = bot.repo.branch_tip(&bot.default_branch)?.ok_or_else(|| {
        CycleError::Other(format!(
            "the default branch `{}` does not exist",
            bot.default_branch
        ))
    })?;
    let original_title = proposal.map(|p| p.title.clone()).unwrap_or_else(|| {
        bot.repo
            .message(merge)
            .ok()
            .and_then(|m| m.lines().next().map(str::to_owned))
            .unwrap_or_default()
    });
    let original = describe(proposal, merge);
    let title = format!("Revert \"{original_title}\"");
    let body = templates::revert_body(&RevertBody {
        original: original.clone(),
        original_title: &original_title,
        merge: merge.short().to_owned(),
        asked_by,
        red: evidence.red.short().to_owned(),
        failing: evidence.failing.iter().map(link).collect(),
        parent: evidence.parent.short().to_owned(),
        passing: evidence.passing.iter().map(link).collect(),
        reruns: evidence.reruns,
        default_branch: bot.default_branch.as_str(),
    });
    let message = format!("{title}\n\nThis reverts commit {merge}.\n\n{body}");
    let commit = match bot
        .repo
        .revert(merge, &tip, &message, &bot.config.git.identity)
    {
        Ok(commit) => commit,
        Err(GitError::Conflict { paths, .. }) => {
            let text = format!(
                "Reverting {original} would conflict with later changes in: {}. Not reverting; this needs a person.",
                paths.join(", ")
            );
            say(bot, proposal, merge, "conflict", &text)?;
            report.warnings.push(format!("{original}: {text}"));
            return Ok(Some(WatchState::Conflict { paths }));
        }
        Err(e) => return Err(e.into()),
    };

    let state = match mode {
        RevertMode::Push => {
            if bot.repo.remote_name().is_none() {
                let reason = "revert.mode is push, but there is no remote to push to; not touching the checked-out branch".to_owned();
                say(bot, proposal, merge, "reported", &reason)?;
                report.warnings.push(format!("{original}: {reason}"));
                return Ok(Some(WatchState::Reported { reason }));
            }
            match bot
                .repo
                .update_ref(&bot.default_branch.refname(), &commit, Some(&tip))
            {
                Ok(()) => {}
                // Someone pushed first: never force; look again next time.
                Err(e) if e.is_conflict() => {
                    report.warnings.push(format!(
                        "{original}: `{}` moved while reverting; will look again",
                        bot.default_branch
                    ));
                    return Ok(None);
                }
                Err(e) => return Err(e.into()),
            }
            say(
                bot,
                proposal,
                merge,
                "reverted",
                &format!(
                    "This merge turned `{}` red; patchwright pushed {} to revert it.\n\n{body}",
                    bot.default_branch,
                    commit.short()
                ),
            )?;
            WatchState::Reverted {
                commit: commit.clone(),
                at: Timestamp::now(),
                asked: asked_by.is_some(),
                branch: None,
                pull: None,
            }
        }
        RevertMode::Pr | RevertMode::Off => {
            let branch: BranchName = format!("patchwright/revert/{}", merge.short())
                .parse()
                .map_err(|e: crate::git::InvalidName| CycleError::Other(e.0))?;
            let head = match bot.repo.branch_tip(&branch)? {
                Some(existing) if bot.repo.same_tree(&existing, &commit)? => existing,
                existing => {
                    bot.repo
                        .update_ref(&branch.refname(), &commit, existing.as_ref())?;
                    commit.clone()
                }
            };
            let pull = bot.forge.open_pull(&PullDraft {
                branch: &branch,
                base: &bot.default_branch,
                title: &title,
                body: &body,
                labels: vec!["patchwright".into(), "patchwright:revert".into()],
            })?;
            say(
                bot,
                proposal,
                merge,
                "reverted",
                &format!(
                    "This merge turned `{}` red; {} reverts it.",
                    bot.default_branch,
                    pull_link(&pull, &branch)
                ),
            )?;
            WatchState::Reverted {
                commit: head,
                at: Timestamp::now(),
                asked: asked_by.is_some(),
                branch: Some(branch),
                pull: Some(pull),
            }
        }
    };
    if let Some(p) = proposal {
        record_reverted(bot, p, &commit, asked_by)?;
        // The circuit breaker: a skill whose fix had to be reverted proposes
        // nothing more until a person has looked.
        let reason = match asked_by {
            Some(by) => format!("{original} was reverted at @{by}'s request"),
            None => format!(
                "{original} turned `{}` red and was reverted",
                bot.default_branch
            ),
        };
        if crate::control::pause(&bot.store(), &p.skill, crate::cycle::BOT_ACTOR, &reason)? {
            report.warnings.push(format!(
                "paused `{}` until a maintainer resumes it: {reason}",
                p.skill
            ));
        }
    }
    report
        .warnings
        .push(format!("{original}: reverted ({})", label(&state)));
    Ok(Some(state))
}

fn pull_link(pull: &PullRef, branch: &BranchName) -> String {
    match pull.number {
        Some(n) => format!("#{n}"),
        None => format!("`{branch}`"),
    }
}

/// The proposal's outcome becomes `reverted`; its findings are rejected.
fn record_reverted(
    bot: &Bot<'_>,
    proposal: &Proposal,
    commit: &CommitSha,
    asked_by: Option<&str>,
) -> Result<(), CycleError> {
    let id = proposal.id.clone();
    let now = Timestamp::now();
    let by = asked_by.unwrap_or("patchwright").to_owned();
    let event = format!("outcome reverted {id}");
    bot.store().update(&|l| {
        let mut changed = l.record(&id, Outcome::Reverted { by: commit.clone() }, now);
        for fp in &proposal.fingerprints {
            if !l.rejected.contains_key(fp) {
                l.rejected.insert(
                    fp.clone(),
                    Rejection {
                        at: now,
                        by: by.clone(),
                        reason: format!("proposal {id} was reverted"),
                        proposal: Some(id.clone()),
                        until: None,
                    },
                );
                changed = true;
            }
        }
        Ok(changed.then(|| event.clone()))
    })?;
    Ok(())
}

/// Records a watch state for a merge, watched or not (a revert on request).
pub fn record_state(
    bot: &Bot<'_>,
    merge: &CommitSha,
    proposal: &crate::ledger::ProposalId,
    state: WatchState,
) -> Result<(), CycleError> {
    write_state(bot, merge, Some(proposal), state)
}

/// Starts watching a merged proposal (called where the merge is recorded).
pub fn start(
    ledger: &mut Ledger,
    merge: &CommitSha,
    proposal: &crate::ledger::ProposalId,
    now: Timestamp,
) {
    ledger.watch.entry(merge.clone()).or_insert_with(|| Watch {
        proposal: proposal.clone(),
        since: now,
        state: WatchState::Watching,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(name: &str, id: u64) -> CheckRun {
        CheckRun {
            name: name.into(),
            id: Some(id),
            url: None,
            run_id: None,
            completed_at: None,
        }
    }

    #[test]
    fn configured_checks_decide_alone() {
        let failed = Checks::Failed {
            failing: vec![run("lint", 1), run("test (ubuntu)", 2)],
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
