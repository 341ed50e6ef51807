//! Turning a plan into proposals: the fixes applied to the files, a commit
//! on the base, the proposal recorded, the branch pushed (adopted if a dead
//! run left it, never taken from someone else), the pull request opened and
//! recorded; and moving an open proposal's branch to a rebuilt commit.

use std::collections::{BTreeMap, BTreeSet};

use crate::bot::context::{Bot, CycleError};
use crate::bot::run::RunOptions;
use crate::bot::run::{CheckVerdict, DryRunProposal, Opened, RunReport, listed};
use crate::bot::sync::{failure_summary, record_checks};
use crate::bot::unpublished::{drop_entry, labels, record_pull};
use crate::bot::validation::Proven;
use crate::engine::edit::{Applied, Fix, apply_fixes};
use crate::engine::finding::Finding;
use crate::engine::format;
use crate::engine::skill::Skill;
use crate::engine::workspace::Edition;
use crate::forge::PullDraft;
use crate::policy::plan::{self, Planned};
use crate::report::templates;
use crate::store::ledger::{Outcome, OutcomeEntry, Proposal, ProposalId};
use crate::store::repo::Changes;
use crate::vocab::git_names::{BranchName, CommitSha};
use crate::vocab::ids::{Fingerprint, SkillId};
use crate::vocab::rel_path::RelPath;
use crate::vocab::time::Timestamp;

/// What every proposal of one run shares: the base commit, its files that
/// have fixes, and what compiling the run's fixes proved.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    pub base: &'a CommitSha,
    pub sources: &'a BTreeMap<RelPath, String>,
    /// Each scanned file's edition, for rustfmt.
    pub editions: &'a BTreeMap<RelPath, Edition>,
    pub proven: Option<&'a Proven>,
}

pub fn propose(
    bot: &Bot<'_>,
    skill: &dyn Skill,
    planned: &Planned<'_>,
    batch: Batch<'_>,
    options: &RunOptions,
    report: &mut RunReport,
) -> Result<(), CycleError> {
    let Batch {
        base,
        sources,
        editions,
        proven,
    } = batch;
    let originals: BTreeMap<RelPath, String> = planned
        .files
        .iter()
        .filter_map(|p| Some((p.clone(), sources.get(p)?.clone())))
        .collect();
    let fixes: Vec<Fix> = planned
        .fixes()
        .into_iter()
        .filter(|f| proven.is_none_or(|p| p.kept.contains(&f.fingerprint)))
        .collect();
    let mut applied = apply_fixes(&originals, &fixes);
    if applied.applied.is_empty() {
        return Ok(());
    }
    keep_rustfmt_clean(bot, base, &mut applied, editions);
    // Fixes that had to wait (overlaps) or were dropped are not part of it.
    let fingerprints: BTreeSet<Fingerprint> = applied.applied.iter().cloned().collect();
    let findings: Vec<&Finding> = planned
        .findings
        .iter()
        .copied()
        .filter(|f| fingerprints.contains(&f.fingerprint))
        .collect();
    let title = plan::title(skill.title(), &planned.package, findings.len());
    let planned_fingerprints: BTreeSet<Fingerprint> = planned
        .findings
        .iter()
        .map(|f| f.fingerprint.clone())
        .collect();
    let note = proven.map(|p| p.note(&planned_fingerprints));
    let body = body(bot, skill, &findings, &applied, note.as_deref());
    if options.dry_run {
        let (ledger, _) = bot.store().read()?;
        let id = match &planned.update {
            Some(open) => open.clone(),
            None => ledger.fresh_id(&planned.skill, &fingerprints),
        };
        report.dry_run.push(DryRunProposal {
            branch: id.branch(),
            id,
            title,
            diff: applied.diff(),
        });
        return Ok(());
    }

    if let Some(open) = &planned.update {
        let rebuilt = Rebuilt {
            base,
            title: &title,
            body: &body,
            applied: &applied,
            fixed: &findings,
        };
        if let Some(updated) = update_open(bot, skill, open, &rebuilt, options.checks, report)? {
            report.opened.push(updated);
        }
        return Ok(());
    }
    let draft = Draft {
        skill: planned.skill.clone(),
        package: planned.package.clone(),
        title,
        body,
        summary: templates::fix_summary(
            skill.id(),
            fingerprints.len(),
            applied.files.len(),
            skill.rationale(),
        ),
        fingerprints,
        changes: applied
            .files
            .iter()
            .map(|(path, patched)| (path.clone(), Some(patched.new.clone().into_bytes())))
            .collect(),
        changed_lines: applied.changed_lines(),
    };
    if let Some(opened) = publish_proposal(bot, &draft, base, options.checks, report)? {
        report.opened.push(opened);
    }
    Ok(())
}

/// A proposal ready to publish: its files and what to say about them.
#[derive(Debug, Clone)]
pub struct Draft {
    pub skill: SkillId,
    pub package: String,
    pub title: String,
    pub body: String,
    /// One plain paragraph for the commit message.
    pub summary: String,
    pub fingerprints: BTreeSet<Fingerprint>,
    pub changes: Changes,
    pub changed_lines: usize,
}

/// Commits the draft on `base`, pushes its branch, opens its pull request,
/// records it in the ledger and (optionally) its checks. `None` when the
/// branch belongs to someone else.
pub fn publish_proposal(
    bot: &Bot<'_>,
    draft: &Draft,
    base: &CommitSha,
    checks: bool,
    report: &mut RunReport,
) -> Result<Option<Opened>, CycleError> {
    if let Some(path) = draft
        .changes
        .keys()
        .find(|p| plan::is_protected(p.as_str()))
    {
        return Err(CycleError::Other(format!(
            "refusing to propose a change to `{path}`: patchwright never changes .github/workflows/"
        )));
    }
    let (ledger, _) = bot.store().read()?;
    let id = ledger.fresh_id(&draft.skill, &draft.fingerprints);
    let branch = id.branch();
    let message = commit_message(
        &draft.title,
        &draft.summary,
        &draft.skill,
        &id,
        &draft.fingerprints,
    );
    let commit = bot.repo.write_commit(
        base,
        &[base],
        &draft.changes,
        &message,
        &bot.config.git.identity,
    )?;
    // The ledger knows the proposal before its branch exists: a run that
    // stops after this point leaves an entry the next run finishes or drops
    // (see `unpublished`), never a branch nobody knows.
    let proposal = Proposal {
        id: id.clone(),
        skill: draft.skill.clone(),
        package: draft.package.clone(),
        title: draft.title.clone(),
        fingerprints: draft.fingerprints.clone(),
        files: draft.changes.keys().cloned().collect(),
        branch: branch.clone(),
        base: base.clone(),
        head: commit.clone(),
        pull: None,
        body: Some(draft.body.clone()),
        outcomes: vec![OutcomeEntry {
            at: Timestamp::now(),
            outcome: Outcome::Opened,
        }],
    };
    bot.store().update(&|l| {
        if l.proposals.contains_key(&proposal.id) {
            return Ok(None);
        }
        l.proposals.insert(proposal.id.clone(), proposal.clone());
        Ok(Some(format!("propose {}", proposal.id)))
    })?;
    failpoint("after-ledger-entry");
    let Some((head, adopted)) = publish(bot, &branch, &commit)? else {
        drop_entry(bot, &id, "its branch is someone else's")?;
        report.warnings.push(format!(
            "{branch} exists with commits by someone else; left alone"
        ));
        return Ok(None);
    };
    failpoint("after-branch-push");

    let pull = bot.forge.open_pull(&PullDraft {
        branch: &branch,
        base: &bot.default_branch,
        title: &draft.title,
        body: &draft.body,
        labels: labels(&draft.skill),
    })?;
    record_pull(bot, &id, &pull, &head)?;
    let proposal = Proposal {
        head,
        pull: Some(pull),
        ..proposal
    };
    let checks = if checks {
        record_checks(bot, &proposal, &mut report.warnings, false)?
    } else {
        None
    };
    let failure = match checks {
        Some(CheckVerdict::Failed) => failure_summary(bot, &proposal.id)?,
        _ => None,
    };
    Ok(Some(Opened {
        failure,
        pull: proposal.pull.clone(),
        id,
        branch,
        title: draft.title.clone(),
        files: proposal.files.len(),
        changed_lines: draft.changed_lines,
        adopted,
        added: None,
        checks,
    }))
}

/// An open proposal's branch made again from the default branch's tip.
pub(crate) struct Rebuilt<'a> {
    pub base: &'a CommitSha,
    pub title: &'a str,
    pub body: &'a str,
    pub applied: &'a Applied,
    /// The findings its fixes resolve.
    pub fixed: &'a [&'a Finding],
}

/// Commits `rebuilt` on its base and moves the proposal's branch there
/// (only from the tip it had, and only when nobody but the bot pushed to
/// it), updates its pull request and records it. Returns the new head, or
/// `None` when it already was there.
pub(crate) fn rebuild_branch(
    bot: &Bot<'_>,
    skill: &dyn Skill,
    proposal: &Proposal,
    rebuilt: &Rebuilt<'_>,
    verb: &str,
) -> Result<Option<CommitSha>, CycleError> {
    let Rebuilt {
        base,
        title,
        body,
        applied,
        fixed,
    } = *rebuilt;
    let id = &proposal.id;
    let fingerprints: BTreeSet<Fingerprint> = fixed.iter().map(|f| f.fingerprint.clone()).collect();
    let summary = templates::fix_summary(
        skill.id(),
        fingerprints.len(),
        applied.files.len(),
        skill.rationale(),
    );
    let message = commit_message(title, &summary, &proposal.skill, id, &fingerprints);
    let changes: Changes = applied
        .files
        .iter()
        .map(|(path, patched)| (path.clone(), Some(patched.new.clone().into_bytes())))
        .collect();
    let commit =
        bot.repo
            .write_commit(base, &[base], &changes, &message, &bot.config.git.identity)?;
    let tip = bot.repo.branch_tip(&proposal.branch)?;
    if let Some(tip) = &tip
        && !only_bot_commits(bot, tip, base)?
    {
        return Err(CycleError::Other(format!(
            "someone else pushed to `{}`; rebuilding it would drop their commits, so it was left alone",
            proposal.branch
        )));
    }
    if tip.as_ref() == Some(&commit) {
        return Ok(None);
    }
    // Compare-and-swap from the tip it had: a force push with a lease.
    bot.repo
        .update_ref(&proposal.branch.refname(), &commit, tip.as_ref())?;
    bot.forge.open_pull(&PullDraft {
        branch: &proposal.branch,
        base: &bot.default_branch,
        title,
        body,
        labels: labels(&proposal.skill),
    })?;
    let files: Vec<RelPath> = applied.files.keys().cloned().collect();
    let event = format!("{verb} {id} on {}", base.short());
    let now = Timestamp::now();
    bot.store().update(&|l| {
        let Some(p) = l.proposals.get_mut(id) else {
            return Ok(None);
        };
        if p.head == commit {
            return Ok(None);
        }
        p.base = base.clone();
        p.head = commit.clone();
        p.title = title.to_owned();
        p.fingerprints = fingerprints.clone();
        p.files = files.clone();
        p.outcomes.push(OutcomeEntry {
            at: now,
            outcome: Outcome::Updated {
                commit: commit.clone(),
            },
        });
        Ok(Some(event.clone()))
    })?;
    Ok(Some(commit))
}

/// Adds new findings of its skill and package to an open proposal: its
/// branch is rebuilt with its own fixes and the new ones, and its pull
/// request says what changed.
fn update_open(
    bot: &Bot<'_>,
    skill: &dyn Skill,
    id: &ProposalId,
    rebuilt: &Rebuilt<'_>,
    checks: bool,
    report: &mut RunReport,
) -> Result<Option<Opened>, CycleError> {
    let (ledger, _) = bot.store().read()?;
    let Some(proposal) = ledger.proposals.get(id).filter(|p| p.is_open()).cloned() else {
        return Ok(None);
    };
    let added = rebuilt
        .fixed
        .iter()
        .filter(|f| !proposal.fingerprints.contains(&f.fingerprint))
        .count();
    if added == 0 {
        return Ok(None);
    }
    let gone = proposal
        .fingerprints
        .iter()
        .filter(|fp| !rebuilt.fixed.iter().any(|f| f.fingerprint == **fp))
        .count();
    let mut what = format!(
        "**Updated** on `{}` at {}: {added} new {} added",
        bot.default_branch,
        rebuilt.base.short(),
        if added == 1 { "finding" } else { "findings" }
    );
    if gone > 0 {
        what.push_str(&format!(
            "; {gone} no longer found or no longer compiling, left out"
        ));
    }
    let body = format!("{what}.\n\n{}", rebuilt.body);
    let with_note = Rebuilt {
        body: &body,
        ..*rebuilt
    };
    let head = match rebuild_branch(bot, skill, &proposal, &with_note, "update") {
        Ok(Some(head)) => head,
        Ok(None) => return Ok(None),
        Err(CycleError::Other(why)) => {
            report.warnings.push(why);
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let updated = Proposal {
        head,
        fingerprints: rebuilt
            .fixed
            .iter()
            .map(|f| f.fingerprint.clone())
            .collect(),
        ..proposal
    };
    let verdict = if checks {
        record_checks(bot, &updated, &mut report.warnings, false)?
    } else {
        None
    };
    let failure = match verdict {
        Some(CheckVerdict::Failed) => failure_summary(bot, &updated.id)?,
        _ => None,
    };
    Ok(Some(Opened {
        failure,
        id: updated.id.clone(),
        branch: updated.branch.clone(),
        title: rebuilt.title.to_owned(),
        files: rebuilt.applied.files.len(),
        changed_lines: rebuilt.applied.changed_lines(),
        adopted: false,
        added: Some(added),
        checks: verdict,
        pull: updated.pull.clone(),
    }))
}

/// Whether every commit on the branch since it left the default branch is the bot's.
fn only_bot_commits(
    bot: &Bot<'_>,
    tip: &CommitSha,
    default_tip: &CommitSha,
) -> Result<bool, CycleError> {
    for commit in bot.repo.first_parents(tip, 100)? {
        if bot.repo.is_ancestor(&commit, default_tip)? {
            break;
        }
        if bot.repo.author_email(&commit)? != bot.config.git.identity.email {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Pushes the proposal branch. A branch already there with the same files
/// (a run that died before recording it) is adopted; one the bot wrote
/// earlier with other files is moved; one someone else wrote is left alone
/// (`None`).
fn publish(
    bot: &Bot<'_>,
    branch: &BranchName,
    commit: &CommitSha,
) -> Result<Option<(CommitSha, bool)>, CycleError> {
    let repo = bot.repo;
    let existing = match repo.branch_tip(branch)? {
        Some(tip) => tip,
        None => match repo.update_ref(&branch.refname(), commit, None) {
            Ok(()) => return Ok(Some((commit.clone(), false))),
            Err(e) if e.is_conflict() => {
                repo.fetch_ref(&branch.refname())?;
                match repo.branch_tip(branch)? {
                    Some(tip) => tip,
                    None => return Err(e.into()),
                }
            }
            Err(e) => return Err(e.into()),
        },
    };
    if repo.same_tree(&existing, commit)? {
        return Ok(Some((existing, true)));
    }
    if repo.author_email(&existing)? == bot.config.git.identity.email {
        repo.update_ref(&branch.refname(), commit, Some(&existing))?;
        return Ok(Some((commit.clone(), false)));
    }
    Ok(None)
}

/// The description of a proposal: what was found, why it matters, and
/// how to steer it.
pub(crate) fn body(
    bot: &Bot<'_>,
    skill: &dyn Skill,
    findings: &[&Finding],
    applied: &Applied,
    validation: Option<&str>,
) -> String {
    let (added, removed) = applied.line_stats();
    templates::pull_body(&templates::PullBody {
        skill: skill.id(),
        risk: skill.risk().to_string(),
        rationale: skill.rationale(),
        findings: findings.iter().map(|f| listed(f)).collect(),
        files: applied.files.len(),
        added,
        removed,
        fingerprints: findings.iter().map(|f| f.fingerprint.to_string()).collect(),
        prefix: &bot.config.commands.prefix,
        later_days: bot.config.learning.later_days,
        validation,
        no_ci: bot.forge.no_ci(),
    })
}

/// The proposal's commit message (see `templates::commit_message`).
fn commit_message(
    title: &str,
    summary: &str,
    skill: &SkillId,
    id: &ProposalId,
    fingerprints: &BTreeSet<Fingerprint>,
) -> String {
    let proposal = id.to_string();
    templates::commit_message(&templates::CommitMessage {
        title,
        summary,
        skill: skill.as_str(),
        proposal: &proposal,
        fingerprints: fingerprints.iter().map(Fingerprint::as_str).collect(),
    })
}

/// A crash injected for tests of healing: with `PATCHWRIGHT_FAILPOINT`
/// set to `name`, the process aborts here, as a killed run would.
fn failpoint(name: &str) {
    if std::env::var("PATCHWRIGHT_FAILPOINT").is_ok_and(|v| v == name) {
        tracing::error!("failpoint {name} reached; aborting");
        std::process::abort();
    }
}

/// A file rustfmt left as it was stays so after its fixes, formatted with
/// the `rustfmt.toml` of `base`.
pub(crate) fn keep_rustfmt_clean(
    bot: &Bot<'_>,
    base: &CommitSha,
    applied: &mut Applied,
    editions: &BTreeMap<RelPath, Edition>,
) {
    let read = |path: &RelPath| {
        let bytes = bot.repo.read_file(base, path).ok().flatten()?;
        String::from_utf8(bytes).ok()
    };
    let reformatted = format::keep_rustfmt_clean(applied, editions, &read);
    if !reformatted.is_empty() {
        tracing::debug!("formatted with rustfmt after the fixes: {reformatted:?}");
    }
}
