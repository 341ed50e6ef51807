//! Keeping open proposals fresh without a person. After each scan of the
//! default branch, an open proposal whose findings are all gone from it is
//! closed as fixed elsewhere (which counts against nothing) and its branch
//! deleted; one whose base moved and that now conflicts with the branch, or
//! lost some of its findings, is rebuilt on the tip, at most once a run.
//! `/patchwright recreate` and `/patchwright rebase` do the same on request.

use std::collections::{BTreeMap, BTreeSet};

use crate::bot::branches;
use crate::bot::context::{Bot, CycleError};
use crate::bot::propose::{Rebuilt, body, keep_rustfmt_clean, rebuild_branch};
use crate::bot::run::{RunReport, Synced};
use crate::bot::tree_scan::{CacheUse, lint_families, scan_commit};
use crate::bot::validation::prove;
use crate::engine::edit::{Fix, apply_fixes};
use crate::engine::finding::Finding;
use crate::engine::scan::ScanReport;
use crate::engine::skill::Skill;
use crate::policy::plan;
use crate::store::ledger::{CloseKind, Outcome, Proposal, ProposalId};
use crate::vocab::git_names::CommitSha;
use crate::vocab::ids::SkillId;
use crate::vocab::rel_path::RelPath;
use crate::vocab::time::Timestamp;

/// What rebuilding a proposal came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rebuild {
    /// None of its findings is on the default branch any more: closed.
    Gone,
    /// Rebuilt with this many fixes (its branch moved, or already was there).
    Rebuilt { fixes: usize },
}

/// Rebuilds an open proposal on the current default branch: the same
/// findings, fixed again, force-moved onto its branch only when nobody but
/// the bot has pushed there.
pub fn recreate(bot: &Bot<'_>, id: &ProposalId) -> Result<String, CycleError> {
    bot.repo.fetch()?;
    let (ledger, _) = bot.store().read()?;
    let proposal = ledger
        .proposals
        .get(id)
        .filter(|p| p.is_open())
        .cloned()
        .ok_or_else(|| CycleError::Other(format!("{id} is not an open proposal")))?;
    let skill = bot.registry.get(proposal.skill.as_str()).ok_or_else(|| {
        CycleError::Other(format!("the skill `{}` no longer exists", proposal.skill))
    })?;
    let base = bot.default_tip()?;
    let lints = lint_families(bot.config, std::slice::from_ref(&proposal.skill));
    let scanned = scan_commit(bot, &base, &[skill], &lints, CacheUse::Off)?;
    Ok(
        match rebuild(bot, &proposal, skill, &base, &scanned, "recreate")? {
            Rebuild::Gone => format!(
                "Nothing is left to fix on `{}`; closed.",
                bot.default_branch
            ),
            Rebuild::Rebuilt { fixes } => format!(
                "Rebuilt on `{}` at {}: {fixes} {}.",
                bot.default_branch,
                base.short(),
                if fixes == 1 { "fix" } else { "fixes" }
            ),
        },
    )
}

/// Keeps the open proposals of the skills this run scanned fresh (see the
/// module's doc), leaving out those in `skip` (updated this run already).
pub fn freshen(
    bot: &Bot<'_>,
    base: &CommitSha,
    scanned: &ScanReport,
    skills: &[SkillId],
    skip: &BTreeSet<ProposalId>,
    report: &mut RunReport,
) -> Result<(), CycleError> {
    let (ledger, _) = bot.store().read()?;
    let open: Vec<Proposal> = ledger
        .open_proposals()
        .filter(|p| p.pull.is_some() && skills.contains(&p.skill) && !skip.contains(&p.id))
        .cloned()
        .collect();
    // A file the scan skipped (too slow this time, say) says nothing about
    // whether its findings are gone.
    let skipped: BTreeSet<&RelPath> = scanned.warnings.iter().map(|w| &w.path).collect();
    // Fingerprints carry their skill: one set serves every proposal.
    let on_tip: BTreeSet<_> = scanned
        .findings()
        .filter(|f| f.fixable())
        .map(|f| &f.fingerprint)
        .collect();
    for proposal in open {
        let Some(skill) = bot.registry.get(proposal.skill.as_str()) else {
            continue;
        };
        if proposal.files.iter().any(|f| skipped.contains(f)) {
            continue;
        }
        let kept = proposal
            .fingerprints
            .iter()
            .filter(|fp| on_tip.contains(fp))
            .count();
        let why = if kept == 0 {
            None
        } else if proposal.base == *base || !bot.repo.has_commit(&proposal.head) {
            continue;
        } else if kept < proposal.fingerprints.len() {
            let gone = proposal.fingerprints.len() - kept;
            Some(format!(
                "{gone} of its findings {} gone from `{}`",
                if gone == 1 { "is" } else { "are" },
                bot.default_branch
            ))
        } else if !bot.repo.merges_cleanly(&proposal.head, base)? {
            Some(format!("it conflicted with `{}`", bot.default_branch))
        } else {
            continue;
        };
        tracing::info!(
            "refreshing {}: {}",
            proposal.id,
            why.as_deref().unwrap_or("all its findings are gone")
        );
        let outcome = match rebuild(bot, &proposal, skill, base, scanned, "refresh") {
            Ok(Rebuild::Gone) => format!(
                "closed: fixed elsewhere, none of its findings is on `{}` any more (not counted against `{}`)",
                bot.default_branch, proposal.skill
            ),
            Ok(Rebuild::Rebuilt { fixes }) => format!(
                "rebuilt on `{}` at {} because {}: {fixes} {}",
                bot.default_branch,
                base.short(),
                why.unwrap_or_default(),
                if fixes == 1 { "fix" } else { "fixes" }
            ),
            // Someone else's commits on it, or no fix compiles any more: said,
            // and the proposal is left as it is.
            Err(CycleError::Other(why)) => {
                report.warnings.push(format!("{}: {why}", proposal.id));
                continue;
            }
            Err(e) => return Err(e),
        };
        report.synced.push(Synced {
            id: proposal.id.clone(),
            outcome,
        });
    }
    Ok(())
}

/// Rebuilds `proposal` on `base` from `scanned` (a scan of `base` with its
/// skill), or closes it when none of its findings is left there.
pub fn rebuild(
    bot: &Bot<'_>,
    proposal: &Proposal,
    skill: &dyn Skill,
    base: &CommitSha,
    scanned: &ScanReport,
    verb: &str,
) -> Result<Rebuild, CycleError> {
    let findings: Vec<&Finding> = scanned
        .findings()
        .filter(|f| f.fixable() && proposal.fingerprints.contains(&f.fingerprint))
        .collect();
    if findings.is_empty() {
        close_gone(bot, proposal, base)?;
        return Ok(Rebuild::Gone);
    }
    let sources = scanned.sources();
    let originals: BTreeMap<RelPath, String> = findings
        .iter()
        .filter_map(|f| Some((f.path.clone(), sources.get(&f.path)?.clone())))
        .collect();
    let all: Vec<Fix> = findings.iter().filter_map(|f| f.fix.clone()).collect();
    // Rebuilt fixes are proven like new ones.
    let proven = prove(bot, base, &originals, &all, true)?;
    let fixes: Vec<Fix> = all
        .into_iter()
        .filter(|f| {
            proven
                .as_ref()
                .is_none_or(|p| p.kept.contains(&f.fingerprint))
        })
        .collect();
    let mut applied = apply_fixes(&originals, &fixes);
    keep_rustfmt_clean(bot, base, &mut applied, &scanned.editions());
    let fixed: Vec<&Finding> = findings
        .iter()
        .copied()
        .filter(|f| applied.applied.contains(&f.fingerprint))
        .collect();
    if fixed.is_empty() {
        return Err(CycleError::Other(format!(
            "none of its fixes compiles on `{}` any more; {}",
            bot.default_branch,
            proven.map_or_else(String::new, |p| p.summary)
        )));
    }
    let title = plan::title(skill.title(), &proposal.package, fixed.len());
    let note = proven.as_ref().map(|p| p.note(&proposal.fingerprints));
    let body = body(bot, skill, &fixed, &applied, note.as_deref());
    let rebuilt = Rebuilt {
        base,
        title: &title,
        body: &body,
        applied: &applied,
        fixed: &fixed,
    };
    rebuild_branch(bot, skill, proposal, &rebuilt, verb)?;
    Ok(Rebuild::Rebuilt { fixes: fixed.len() })
}

/// Closes a proposal whose findings are all gone from the default branch
/// (fixed elsewhere: not held against its skill) and deletes its branch.
fn close_gone(bot: &Bot<'_>, proposal: &Proposal, base: &CommitSha) -> Result<(), CycleError> {
    let comment = format!(
        "<!-- patchwright:gone {} -->\nFixed elsewhere: `{}` at {} no longer has these findings, so there is nothing left to propose. Closing; this does not count against `{}`.",
        base.short(),
        bot.default_branch,
        base.short(),
        proposal.skill
    );
    branches::close(bot, proposal, &comment)?;
    let id = proposal.id.clone();
    let event = format!("outcome closed {id}");
    let now = Timestamp::now();
    bot.store().update(&|l| {
        let outcome = Outcome::Closed {
            reason: Some("its findings are gone from the default branch".into()),
            why: Some(CloseKind::Gone),
        };
        Ok(l.record(&id, outcome, now).then(|| event.clone()))
    })?;
    Ok(())
}
