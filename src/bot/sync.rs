//! Recording what happened to open proposals since the last look: merged
//! (and then watched), closed (and what the close means), their checks
//! (a failed fix is closed and held until its files change), reviews
//! asking for changes, and reopened pull requests.

use std::collections::BTreeMap;

use crate::bot::branches;
use crate::bot::checks;
use crate::bot::context::{BOT_ACTOR, Bot, CycleError};
use crate::bot::control;
use crate::bot::run::{CheckVerdict, RunReport, Synced};
use crate::bot::unpublished;
use crate::forge::PullState;
use crate::policy::checks::{Judgement, judge};
use crate::policy::learn;
use crate::policy::watch;
use crate::store::ledger::{
    CloseKind, FailedFix, Outcome, OutcomeEntry, Proposal, ProposalId, State,
};
use crate::vocab::hash;
use crate::vocab::time::Timestamp;

/// How long a proposal may go without any check before the bot warns.
const NO_CHECKS_WARNING_SECS: i64 = 30 * 60;

/// Records what happened to every open proposal since the last run.
pub fn sync(bot: &Bot<'_>, checks: bool, report: &mut RunReport) -> Result<(), CycleError> {
    unpublished::heal(bot, report)?;
    let store = bot.store();
    let (ledger, _) = store.read()?;
    let synced = &mut report.synced;
    let warnings = &mut report.warnings;
    let open: Vec<Proposal> = ledger.open_proposals().cloned().collect();
    tracing::info!("syncing {} open proposals", open.len());
    for proposal in open {
        let id = proposal.id.clone();
        let now = Timestamp::now();
        let state = bot.forge.pull_state(&proposal)?;
        let still_open = state == PullState::Open;
        match state {
            PullState::Merged { commit } => {
                let recorded = Outcome::Merged {
                    commit: commit.clone(),
                };
                let event = format!("outcome merged {id}");
                let changed = store.update(&|l| {
                    if !l.record(&id, recorded.clone(), now) {
                        return Ok(None);
                    }
                    watch::start(l, &commit, &id, now);
                    Ok(Some(event.clone()))
                })?;
                if changed {
                    branches::delete(bot, &proposal)?;
                    synced.push(Synced {
                        id,
                        outcome: "merged".into(),
                    });
                }
            }
            PullState::Closed { why } => {
                // A bare close means "not wanted here".
                let kind = why.unwrap_or(CloseKind::Unwanted);
                let later_days = bot.config.learning.later_days;
                let event = format!("outcome closed {id} ({kind})");
                let changed = store.update(&|l| {
                    let closed = learn::record_close(
                        l,
                        &proposal,
                        kind,
                        "a maintainer",
                        "closed without merging",
                        now,
                        later_days,
                    );
                    Ok(closed.then(|| event.clone()))
                })?;
                if changed {
                    branches::delete(bot, &proposal)?;
                    let n = proposal.fingerprints.len();
                    let what = match kind {
                        CloseKind::Later => {
                            format!("may be proposed again after {later_days} days")
                        }
                        CloseKind::Wrong => {
                            "are never proposed again, and it counts twice against its skill"
                                .to_owned()
                        }
                        _ => "are never proposed again".to_owned(),
                    };
                    synced.push(Synced {
                        id,
                        outcome: format!(
                            "closed ({kind}): its {n} {} {what}",
                            if n == 1 { "finding" } else { "findings" }
                        ),
                    });
                }
            }
            PullState::Open if checks && proposal.checks().is_none() => {
                let opened_at = proposal.outcomes.first().map_or(now.0, |e| e.at.0);
                let verdict = record_checks(
                    bot,
                    &proposal,
                    warnings,
                    now.0 - opened_at > NO_CHECKS_WARNING_SECS,
                )?;
                let outcome = match verdict {
                    Some(CheckVerdict::Passed) => Some("checks passed".to_owned()),
                    Some(CheckVerdict::Failed) => Some(match failure_summary(bot, &id)? {
                        Some(why) => format!("checks FAILED: {why}"),
                        None => "checks FAILED".to_owned(),
                    }),
                    _ => None,
                };
                if let Some(outcome) = outcome {
                    synced.push(Synced { id, outcome });
                }
            }
            PullState::Open => {}
        }
        if still_open {
            record_reviews(bot, &proposal)?;
        }
    }
    pause_rejected_skills(bot, report)?;
    Ok(())
}

/// A reviewer asking for changes counts against the skill.
fn record_reviews(bot: &Bot<'_>, proposal: &Proposal) -> Result<(), CycleError> {
    let asked: Vec<String> = bot
        .forge
        .reviews(proposal)?
        .into_iter()
        .filter(|r| r.state == "CHANGES_REQUESTED")
        .map(|r| r.user)
        .collect();
    if asked.is_empty() {
        return Ok(());
    }
    let id = proposal.id.clone();
    let now = Timestamp::now();
    let event = format!("outcome changes-requested {id}");
    bot.store().update(&|l| {
        let mut changed = false;
        for by in &asked {
            changed |= l.record(&id, Outcome::ChangesRequested { by: by.clone() }, now);
        }
        Ok(changed.then(|| event.clone()))
    })?;
    Ok(())
}

/// Pauses the skills whose proposals maintainers keep rejecting.
fn pause_rejected_skills(bot: &Bot<'_>, report: &mut RunReport) -> Result<(), CycleError> {
    let store = bot.store();
    let (ledger, _) = store.read()?;
    for (skill, reason) in learn::pauses_due(&ledger, &bot.config.learning) {
        if control::pause(&store, &skill, BOT_ACTOR, &reason)? {
            report.warnings.push(format!(
                "paused `{skill}` automatically: {reason} (`{} resume {skill}` lifts it)",
                bot.config.commands.prefix
            ));
        }
    }
    Ok(())
}

/// Records what happened to one pull request (an event named it). A
/// proposal closed earlier and now reopened is open again, and its
/// findings are no longer rejected.
pub fn sync_pull(bot: &Bot<'_>, number: u64, report: &mut RunReport) -> Result<(), CycleError> {
    bot.repo.fetch()?;
    let (ledger, _) = bot.store().read()?;
    let Some(proposal) = ledger
        .proposals
        .values()
        .find(|p| p.pull.as_ref().and_then(|r| r.number) == Some(number))
        .cloned()
    else {
        return Ok(());
    };
    if proposal.state() == State::Closed && bot.forge.pull_state(&proposal)? == PullState::Open {
        let id = proposal.id.clone();
        let now = Timestamp::now();
        let event = format!("outcome reopened {id}");
        let changed = bot.store().update(&|l| {
            if l.proposals
                .get(&id)
                .is_none_or(|p| p.state() != State::Closed)
            {
                return Ok(None);
            }
            if let Some(p) = l.proposals.get_mut(&id) {
                p.outcomes.push(OutcomeEntry {
                    at: now,
                    outcome: Outcome::Opened,
                });
            }
            l.rejected.retain(|_, r| r.proposal.as_ref() != Some(&id));
            Ok(Some(event.clone()))
        })?;
        if changed {
            report.synced.push(Synced {
                id,
                outcome: "reopened".into(),
            });
        }
    }
    sync(bot, true, report)
}

/// What a proposal's failed checks said, for the run's output: which
/// check, its first error line, and how to see it again.
pub(crate) fn failure_summary(
    bot: &Bot<'_>,
    id: &ProposalId,
) -> Result<Option<String>, CycleError> {
    let (ledger, _) = bot.store().read()?;
    let Some(proposal) = ledger.proposals.get(id) else {
        return Ok(None);
    };
    let Some((names, tail)) = proposal
        .outcomes
        .iter()
        .rev()
        .find_map(|e| match &e.outcome {
            Outcome::ChecksFailed { names, tail, .. } => Some((names, tail)),
            _ => None,
        })
    else {
        return Ok(None);
    };
    let first = tail.as_deref().and_then(first_error_line);
    let reproduce = match bot.forge.own_check() {
        Some(command) => format!(
            "reproduce: `git switch --detach {} && {command}`",
            proposal.head.short()
        ),
        None => "its log is on the pull request".to_owned(),
    };
    Ok(Some(format!(
        "`{}`{}; closed, its findings wait until their files change; {reproduce}",
        names.join("`, `"),
        first.map(|l| format!(": {l}")).unwrap_or_default()
    )))
}

/// The line of a check's output that says what broke: the first error,
/// else the first failure or panic, else the last line.
pub(crate) fn first_error_line(tail: &str) -> Option<&str> {
    let lines = || tail.lines().map(str::trim).filter(|l| !l.is_empty());
    let starts = |l: &str, p: &str| l.to_ascii_lowercase().starts_with(p);
    lines()
        .find(|l| starts(l, "error"))
        .or_else(|| lines().find(|l| l.contains("panicked at") || l.contains("FAILED")))
        .or_else(|| lines().next_back())
}

/// Reads the proposal's checks and records what they say about its fix:
/// passed, or failed (closed, held until its files change) — but a red
/// counts against the fix only when the same check is green on its base.
/// Red on the base too, or not run there, is said in `warnings` and
/// recorded nowhere, so nothing is learned from it. With `warn_missing`, a
/// proposal without any check is reported there too.
pub(crate) fn record_checks(
    bot: &Bot<'_>,
    proposal: &Proposal,
    warnings: &mut Vec<String>,
    warn_missing: bool,
) -> Result<Option<CheckVerdict>, CycleError> {
    let fix = checks::of_proposal(bot, proposal)?;
    let mut judgement = judge(&fix, None);
    if judgement == Judgement::NeedBase {
        let base = checks::of_commit(bot, &proposal.base, &[])?;
        judgement = judge(&fix, Some(&base));
    }
    let (outcome, passed) = match judgement {
        Judgement::Pending | Judgement::NeedBase => return Ok(None),
        Judgement::Missing => {
            // With a token that starts no CI, the banner has said so.
            if warn_missing && bot.forge.no_ci().is_none() {
                warn_once(
                    warnings,
                    "proposals have had no checks for 30 minutes: pull requests opened with the default \
                    GITHUB_TOKEN do not start workflows; give patchwright a GitHub App token or a personal access token"
                        .to_owned(),
                );
            }
            return Ok(None);
        }
        Judgement::RedOnBase { names, first_error } => {
            warn_once(
                warnings,
                format!(
                    "the check fails on `{}` itself (`{}` at {}): {}; fix the check command or the branch",
                    bot.default_branch,
                    names.join("`, `"),
                    proposal.base.short(),
                    first_error.as_deref().unwrap_or("it says nothing more")
                ),
            );
            return Ok(Some(CheckVerdict::RedOnBase));
        }
        Judgement::Unknown { names } => {
            warn_once(
                warnings,
                format!(
                    "{}: `{}` failed, but did not run on its base {} to compare; not counted against the fix",
                    proposal.id,
                    names.join("`, `"),
                    proposal.base.short()
                ),
            );
            return Ok(Some(CheckVerdict::Unknown));
        }
        Judgement::Passed => (
            Outcome::ChecksPassed {
                commit: proposal.head.clone(),
            },
            true,
        ),
        Judgement::Failed { names, tail } => (
            Outcome::ChecksFailed {
                commit: proposal.head.clone(),
                names,
                tail,
            },
            false,
        ),
    };
    let id = proposal.id.clone();
    let now = Timestamp::now();
    if passed {
        let event = format!("outcome checks-passed {id}");
        bot.store()
            .update(&|l| Ok(l.record(&id, outcome.clone(), now).then(|| event.clone())))?;
        return Ok(Some(CheckVerdict::Passed));
    }
    // A fix that breaks the build is not wanted as it is: close it, and try
    // again only once the files it touches have changed.
    let Outcome::ChecksFailed { names, .. } = &outcome else {
        return Ok(Some(CheckVerdict::Failed));
    };
    let comment = format!(
        "<!-- patchwright:checks-failed {} -->\nThe checks failed ({}). Closing; these findings will be proposed again once the files they are in change.",
        proposal.head.short(),
        names.join(", ")
    );
    branches::close(bot, proposal, &comment)?;
    let mut files = BTreeMap::new();
    for path in &proposal.files {
        if let Some(bytes) = bot.repo.read_file(&proposal.base, path)? {
            files.insert(path.clone(), hash::content_hash(&bytes));
        }
    }
    let event = format!("outcome checks-failed {id}");
    bot.store().update(&|l| {
        if !l.record(&id, outcome.clone(), now) {
            return Ok(None);
        }
        l.record(
            &id,
            Outcome::Closed {
                reason: Some("its checks failed".into()),
                why: Some(CloseKind::ChecksFailed),
            },
            now,
        );
        for fp in &proposal.fingerprints {
            l.failed_fixes.insert(
                fp.clone(),
                FailedFix {
                    at: now,
                    proposal: Some(id.clone()),
                    files: files.clone(),
                    reason: Some(format!("its checks failed ({})", names.join(", "))),
                },
            );
        }
        Ok(Some(event.clone()))
    })?;
    Ok(Some(CheckVerdict::Failed))
}

fn warn_once(warnings: &mut Vec<String>, warning: String) {
    if !warnings.contains(&warning) {
        warnings.push(warning);
    }
}
