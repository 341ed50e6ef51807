//! The regression watch's acting half. For every merge being watched it
//! walks the default branch, fetches the checks that
//! [`policy::watch`](crate::policy::watch) asks for, and does what that
//! decides: record a clean or flaky result, comment why a red is only
//! reported, re-run failed jobs, or revert the merge — as a pull request or
//! (in `push` mode) straight onto the default branch, fast-forward only.
//! Every revert pauses the reverted proposal's skill until a person
//! resumes it.
//!
//! Every step is recorded in the ledger's watch state, so a run that dies
//! between a re-run and its verdict picks up where it was on the next event.

use std::collections::BTreeMap;

use crate::bot::checks;
use crate::bot::context::{BOT_ACTOR, Bot, CycleError};
use crate::bot::control;
use crate::bot::run::RunReport;
use crate::config::RevertMode;
use crate::forge::{PullDraft, Rerun};
use crate::policy::learn;
use crate::policy::watch::{
    self as policy, AfterRerun, Evidence, LineCommit, Look, MergeFacts, Observed, Step, Verdict,
};
use crate::report::templates::{self, RevertBody};
use crate::store::checks::{CheckRun, Checks};
use crate::store::ledger::{Proposal, ProposalId, PullRef, Watch, WatchState};
use crate::store::repo::GitError;
use crate::vocab::git_names::{BranchName, CommitSha, InvalidName};
use crate::vocab::time::Timestamp;

/// How far back the default branch is searched for a watched merge.
const CHAIN: usize = 1000;

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
    for (merge, w) in active {
        let proposal = ledger.proposals.get(&w.proposal).cloned();
        let state = if policy::expired(&w, Timestamp::now(), bot.config.revert.window_hours) {
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
    let verdict = look(bot, merge, tip)?;
    let config = &bot.config.revert;
    Ok(match policy::step(&w.state, verdict) {
        Step::Keep => None,
        Step::Record(state) => Some(state),
        Step::Flake { red, failing } => {
            report
                .warnings
                .push(flake_note(proposal, merge, &red, &failing));
            Some(WatchState::Flaky { red, failing })
        }
        Step::Report(reason) => Some(reported(bot, proposal, merge, reason, report)?),
        Step::Red { evidence, first } => {
            if first {
                let facts = merge_facts(bot, merge, proposal)?;
                if let Some(reason) = policy::held_off(
                    merge,
                    &facts,
                    &evidence.failing,
                    Timestamp::now(),
                    config.max_age_hours,
                ) {
                    return Ok(Some(reported(bot, proposal, merge, reason, report)?));
                }
            }
            if policy::wants_rerun(&evidence, config.flaky_reruns) {
                return rerun(bot, merge, proposal, evidence, report);
            }
            automatic_revert(bot, merge, proposal, &evidence, report)?
        }
    })
}

/// The verdict on `merge`: the first-parent line from it to `tip`, and the
/// checks the decision asks for, one commit at a time.
fn look(bot: &Bot<'_>, merge: &CommitSha, tip: &CommitSha) -> Result<Verdict, CycleError> {
    let chain = bot.repo.first_parents(tip, CHAIN)?;
    let line = match chain.iter().position(|c| c == merge) {
        Some(position) => Some(
            chain[..=position]
                .iter()
                .rev()
                .map(|sha| {
                    Ok(LineCommit {
                        sha: sha.clone(),
                        is_merge: bot.repo.parents(sha)?.len() > 1,
                    })
                })
                .collect::<Result<Vec<_>, GitError>>()?,
        ),
        None => None,
    };
    let parent = match &line {
        Some(_) => bot.repo.parents(merge)?.into_iter().next(),
        None => None,
    };
    let mut checks = BTreeMap::new();
    let mut pulls = BTreeMap::new();
    loop {
        let seen = Observed {
            merge,
            default_branch: &bot.default_branch,
            line: line.as_deref(),
            parent: parent.as_ref(),
            checks: &checks,
            pulls: &pulls,
        };
        match policy::verdict(&seen) {
            Look::Verdict(verdict) => return Ok(verdict),
            Look::NeedChecks(commit) => {
                let found = checks_of(bot, &commit)?;
                checks.insert(commit, found);
            }
            Look::NeedPull(commit) => {
                let found = bot.forge.pull_of_commit(&commit)?;
                pulls.insert(commit, found);
            }
        }
    }
}

/// What the brakes need to know about a merge at its first red.
fn merge_facts(
    bot: &Bot<'_>,
    merge: &CommitSha,
    proposal: Option<&Proposal>,
) -> Result<MergeFacts, CycleError> {
    let pull = match proposal.and_then(|p| p.pull.as_ref()?.number) {
        Some(number) => Some((number, bot.forge.pull_labels(number)?)),
        None => None,
    };
    Ok(MergeFacts {
        pull,
        message: bot.repo.message(merge)?,
        merged_at: Timestamp(bot.repo.commit_time(merge)?),
    })
}

fn flake_note(
    proposal: Option<&Proposal>,
    merge: &CommitSha,
    red: &CommitSha,
    failing: &[String],
) -> String {
    format!(
        "{}: red on {} ({}), green when re-run; recorded as a flake",
        describe(proposal, merge),
        red.short(),
        failing.join(", ")
    )
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
    if let Some(reason) = policy::over_daily_limit(
        &ledger,
        &evidence.red,
        Timestamp::now(),
        bot.config.revert.daily_limit,
    ) {
        return Ok(Some(reported(bot, proposal, merge, reason, report)?));
    }
    revert(bot, merge, proposal, evidence, None, report)
}

/// Re-runs the failing checks; a forge that re-runs on the spot gives its
/// verdict at once.
fn rerun(
    bot: &Bot<'_>,
    merge: &CommitSha,
    proposal: Option<&Proposal>,
    evidence: Evidence,
    report: &mut RunReport,
) -> Result<Option<WatchState>, CycleError> {
    let names: Vec<String> = evidence.failing.iter().map(|f| f.name.clone()).collect();
    let reruns = evidence.reruns + 1;
    match bot.forge.rerun_failed(&evidence.red, &evidence.failing)? {
        // Nothing could be re-run: the red stands as it is, and the revert
        // says that it was not re-run.
        Rerun::Requested { runs: 0, cannot } => {
            let evidence = Evidence {
                not_rerun: cannot,
                ..evidence
            };
            automatic_revert(bot, merge, proposal, &evidence, report)
        }
        Rerun::Requested { cannot, .. } => Ok(Some(WatchState::Rerunning {
            red: evidence.red,
            reruns,
            failing: names,
            check_ids: evidence.failing.iter().filter_map(|f| f.id).collect(),
            not_rerun: cannot,
        })),
        Rerun::Done(checks) => {
            checks::keep(bot, &evidence.red, &checks)?;
            let config = &bot.config.revert;
            match policy::after_rerun(
                policy::filter(checks, &config.checks),
                reruns,
                config.flaky_reruns,
            ) {
                AfterRerun::Flake => {
                    report
                        .warnings
                        .push(flake_note(proposal, merge, &evidence.red, &names));
                    Ok(Some(WatchState::Flaky {
                        red: evidence.red,
                        failing: names,
                    }))
                }
                AfterRerun::Again(failing) => {
                    let again = Evidence {
                        failing,
                        reruns,
                        ..evidence
                    };
                    rerun(bot, merge, proposal, again, report)
                }
                AfterRerun::Confirmed(failing) => {
                    let confirmed = Evidence {
                        failing,
                        reruns,
                        ..evidence
                    };
                    automatic_revert(bot, merge, proposal, &confirmed, report)
                }
                AfterRerun::Waiting => Ok(Some(WatchState::Rerunning {
                    red: evidence.red,
                    reruns,
                    failing: names,
                    check_ids: Vec::new(),
                    not_rerun: Vec::new(),
                })),
            }
        }
    }
}

/// A commit's checks, filtered to `revert.checks`.
fn checks_of(bot: &Bot<'_>, commit: &CommitSha) -> Result<Checks, CycleError> {
    let found = checks::of_commit(bot, commit, &bot.config.revert.checks)?;
    Ok(policy::filter(found, &bot.config.revert.checks))
}

fn set_state(bot: &Bot<'_>, merge: &CommitSha, state: WatchState) -> Result<(), CycleError> {
    write_state(bot, merge, None, state)
}

/// Moves a merge's watch to `state`; with `proposal`, a merge not watched
/// yet is watched first.
fn write_state(
    bot: &Bot<'_>,
    merge: &CommitSha,
    proposal: Option<&ProposalId>,
    state: WatchState,
) -> Result<(), CycleError> {
    let merge = merge.clone();
    let event = format!("watch {} {}", merge.short(), policy::label(&state));
    let now = Timestamp::now();
    bot.store().update(&|l| {
        if let Some(proposal) = proposal {
            policy::start(l, &merge, proposal, now);
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
    let mode = policy::revert_mode(bot.config.revert.mode, asked_by.is_some());
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
        reran: evidence
            .failing
            .iter()
            .filter(|f| !evidence.not_rerun.contains(&f.name))
            .map(|f| format!("`{}`", f.name))
            .collect(),
        not_rerun: evidence
            .not_rerun
            .iter()
            .map(|n| format!("`{n}`"))
            .collect(),
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

    // Push mode on a protected branch falls back to a pull request.
    let mut mode = mode;
    let mut body = body;
    if matches!(mode, RevertMode::Push) && bot.repo.remote_name().is_some() {
        match bot
            .repo
            .update_ref(&bot.default_branch.refname(), &commit, Some(&tip))
        {
            Ok(()) => {}
            Err(GitError::Protected { reason, .. }) => {
                let why = format!(
                    "revert.mode is push, but `{}` is protected ({reason}); this pull request reverts it instead",
                    bot.default_branch
                );
                report.warnings.push(format!("{original}: {why}"));
                body = format!("{why}.\n\n{body}");
                mode = RevertMode::Pr;
            }
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
    }
    let state = match mode {
        RevertMode::Push => {
            if bot.repo.remote_name().is_none() {
                let reason = "revert.mode is push, but there is no remote to push to; not touching the checked-out branch".to_owned();
                say(bot, proposal, merge, "reported", &reason)?;
                report.warnings.push(format!("{original}: {reason}"));
                return Ok(Some(WatchState::Reported { reason }));
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
                .map_err(|e: InvalidName| CycleError::Other(e.0))?;
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
        if control::pause(&bot.store(), &p.skill, BOT_ACTOR, &reason)? {
            report.warnings.push(format!(
                "paused `{}` until a maintainer resumes it: {reason}",
                p.skill
            ));
        }
    }
    report
        .warnings
        .push(format!("{original}: reverted ({})", policy::label(&state)));
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
    let id = &proposal.id;
    let now = Timestamp::now();
    let by = asked_by.unwrap_or(BOT_ACTOR);
    let event = format!("outcome reverted {id}");
    bot.store().update(&|l| {
        Ok(learn::record_reverted(l, proposal, commit, by, now).then(|| event.clone()))
    })?;
    Ok(())
}

/// Records a watch state for a merge, watched or not (a revert on request).
pub fn record_state(
    bot: &Bot<'_>,
    merge: &CommitSha,
    proposal: &ProposalId,
    state: WatchState,
) -> Result<(), CycleError> {
    write_state(bot, merge, Some(proposal), state)
}
