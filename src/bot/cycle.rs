//! One pass of the loop: sync what happened to open proposals, watch merged
//! ones, scan the default branch, plan, propose (branch + commit + pull
//! request + checks), and keep the other open proposals fresh. Every step is idempotent: a run killed anywhere is
//! healed by the next one, and running twice changes nothing the second
//! time.

use std::collections::{BTreeMap, BTreeSet};

use crate::bot::context::{Bot, CycleError};
use crate::bot::mine::{MineRequest, rules_mine};
use crate::bot::propose::{Batch, propose};
use crate::bot::refresh;
use crate::bot::run::{DroppedFix, RunOptions, RunReport, WAITING_SHOWN, listed};
use crate::bot::sync::sync;
use crate::bot::tree_scan::{CacheUse, lint_families, scan_commit};
use crate::bot::validation;
use crate::bot::watch;
use crate::config::OpenLimit;
use crate::engine::edit::Fix;
use crate::engine::finding::Finding;
use crate::engine::skill::Skill;
use crate::policy::learn;
use crate::policy::pace;
use crate::policy::plan::{self, HeldBack, NEUTRAL_SCORE, PlanInput, SkillInfo};
use crate::store::ledger::ProposalId;
use crate::vocab::hash;
use crate::vocab::ids::{Fingerprint, SkillId};
use crate::vocab::rel_path::RelPath;
use crate::vocab::time::Timestamp;

/// One pass of the loop.
pub fn run(bot: &Bot<'_>, options: &RunOptions) -> Result<RunReport, CycleError> {
    let mut report = RunReport::default();
    if !options.dry_run {
        bot.repo.fetch()?;
        sync(bot, options.checks, &mut report)?;
    }
    let store = bot.store();
    let (ledger, _) = store.read()?;
    if let Some(hold) = &ledger.stopped {
        report.stopped = Some(hold.clone());
        return Ok(report);
    }
    if !options.dry_run {
        watch::watch(bot, &mut report)?;
    }
    let (ledger, _) = store.read()?;

    let base = bot.default_tip()?;
    report.base = Some(base.clone());
    report
        .warnings
        .extend(crate::bot::workflows::prefix_warning(bot, &base)?);

    let requested: Vec<String> = options.requested.iter().map(ToString::to_string).collect();
    let skills = bot.registry.select(bot.config, &requested)?;
    let lints = lint_families(bot.config, &options.requested);
    tracing::info!(
        "scanning {} of `{}` with {} skills",
        base.short(),
        bot.default_branch,
        skills.len()
    );
    // Only the scan with every configured skill keeps its cache: one for
    // a few skills (`--skill`) would displace it.
    let cache = match options.dry_run || !options.requested.is_empty() {
        true => CacheUse::Read,
        false => CacheUse::Keep,
    };
    let scanned = scan_commit(bot, &base, &skills, &lints, cache)?;
    report.warnings.extend(scanned.notes.iter().cloned());
    report.findings = scanned.findings().count();
    report.fixable = scanned.findings().filter(|f| f.fixable()).count();
    report.scanned = Some(crate::bot::run::ScanSummary::of(&scanned, skills.len()));
    report.skipped_files = scanned.warnings.len();
    report.generated_files = scanned
        .files
        .iter()
        .filter(|f| f.generated.is_some())
        .count();
    let sources = scanned.sources();
    let editions = scanned.editions();

    // The lint skills that found something are skills of this run too.
    let mut with_lints = skills.clone();
    for finding in scanned.findings() {
        if finding.skill.lint().is_some()
            && !with_lints.iter().any(|s| finding.skill == *s.id())
            && let Some(skill) = bot.registry.get(finding.skill.as_str())
        {
            with_lints.push(skill);
        }
    }
    let infos = skill_infos(&with_lints);
    let in_path = |f: &&Finding| match &options.only_path {
        Some(dir) => f.path == *dir || f.path.as_str().starts_with(&format!("{dir}/")),
        None => true,
    };
    let findings: Vec<&Finding> = scanned.findings().filter(in_path).collect();
    let fix_lines = |fix: &Fix| fix_lines(&sources, fix);
    let scores = learn::scores(&ledger);
    let score = |skill: &SkillId| scores.get(skill).copied().unwrap_or(NEUTRAL_SCORE);
    let file_hash = |path: &RelPath| {
        sources
            .get(path)
            .map(|text| hash::content_hash(text.as_bytes()))
    };
    let open_limit = pace::limit(&ledger, &bot.config.limits).limit;
    let plan = plan::plan(&PlanInput {
        findings: &findings,
        skills: &infos,
        ledger: &ledger,
        limits: &bot.config.limits,
        open_limit,
        requested: &options.requested,
        fix_lines: &fix_lines,
        score: &score,
        file_hash: &file_hash,
        now: Timestamp::now(),
        own_tip: ledger.pushed_by_bot(&base),
    });
    tracing::info!(
        "planned {} proposals ({} of them updates of open ones)",
        plan.proposals.len(),
        plan.proposals.iter().filter(|p| p.update.is_some()).count()
    );
    for p in &plan.proposals {
        tracing::debug!(
            "plan: {} {} in `{}`: {} findings, {} files, {} lines",
            if p.update.is_some() {
                "update"
            } else {
                "propose"
            },
            p.skill,
            p.package,
            p.findings.len(),
            p.files.len(),
            p.changed_lines
        );
    }
    for (reason, n) in &plan.held_back {
        tracing::debug!("plan: {n} findings wait because {reason}");
    }
    // The numbers that applied, not just which limit.
    let open_now = ledger.open_proposals().count();
    report.held_back = plan
        .held_back
        .iter()
        .map(|(k, v)| {
            let reason = match k {
                HeldBack::OpenLimit => format!(
                    "the open pull request limit is reached ({open_now} open of {open_limit}, {})",
                    match bot.config.limits.max_open_prs {
                        OpenLimit::Fixed(_) => "limits.max_open_prs",
                        OpenLimit::Auto => "limits.max_open_prs: auto",
                    }
                ),
                HeldBack::RunLimit => format!(
                    "limits.max_prs_per_run ({}) is reached",
                    bot.config.limits.max_prs_per_run
                ),
                other => other.to_string(),
            };
            (reason, *v)
        })
        .collect();

    // Nothing is proposed that has not compiled: the whole plan is one batch.
    let planned_fixes: Vec<Fix> = plan.proposals.iter().flat_map(|p| p.fixes()).collect();
    let proven = validation::prove(bot, &base, &sources, &planned_fixes, !options.dry_run)?;
    if let Some(proven) = &proven {
        if proven.skipped.is_some() || proven.kept.is_empty() && proven.dropped.is_empty() {
            report.warnings.push(format!("fixes {}", proven.summary));
        }
        report.validation = Some(proven.summary.clone());
        report.dropped = proven
            .dropped
            .iter()
            .filter_map(|(fp, why)| {
                let f = findings.iter().find(|f| f.fingerprint == *fp)?;
                Some(DroppedFix {
                    skill: f.skill.to_string(),
                    path: f.path.to_string(),
                    line: f.start.line,
                    why: why.clone(),
                })
            })
            .collect();
    }
    for planned in &plan.proposals {
        let Some(skill) = bot.registry.get(planned.skill.as_str()) else {
            continue;
        };
        let batch = Batch {
            base: &base,
            sources: &sources,
            editions: &editions,
            proven: proven.as_ref(),
        };
        propose(bot, skill, planned, batch, options, &mut report)?;
    }
    if !options.dry_run {
        // Proposals updated above are on the tip already.
        let updated: BTreeSet<ProposalId> = plan
            .proposals
            .iter()
            .filter_map(|p| p.update.clone())
            .collect();
        let ran: Vec<SkillId> = with_lints
            .iter()
            .filter_map(|s| SkillId::new(s.id()).ok())
            .collect();
        refresh::freshen(bot, &base, &scanned, &ran, &updated, &mut report)?;
    }
    let proposed: BTreeSet<&Fingerprint> = plan
        .proposals
        .iter()
        .flat_map(|p| p.findings.iter().map(|f| &f.fingerprint))
        .collect();
    report.waiting = findings
        .iter()
        .filter(|f| {
            f.fixable()
                && !proposed.contains(&f.fingerprint)
                && !ledger
                    .rejected
                    .get(&f.fingerprint)
                    .is_some_and(|r| r.holds(Timestamp::now()))
        })
        .filter(|f| !ledger.in_flight().contains(&f.fingerprint))
        .take(WAITING_SHOWN)
        .map(|f| listed(f))
        .collect();

    if bot.config.rules.mine && options.requested.is_empty() {
        mine_rules(bot, options, &mut report)?;
    }
    if !options.dry_run {
        let scanned_at = base.clone();
        store.update(&move |l| {
            if l.last_scan.as_ref() == Some(&scanned_at) {
                return Ok(None);
            }
            l.last_scan = Some(scanned_at.clone());
            Ok(Some(format!("scan {}", scanned_at.short())))
        })?;
    }
    Ok(report)
}

/// `rules.mine`: one rule found in history proposed per run, its
/// proposal (or dry-run diff) and warnings added to the run's.
fn mine_rules(
    bot: &Bot<'_>,
    options: &RunOptions,
    report: &mut RunReport,
) -> Result<(), CycleError> {
    let rules = &bot.config.rules;
    let request = MineRequest {
        since_days: rules.since_days,
        min_count: rules.min_count,
        max_proposals: 1,
        explain_known: false,
    };
    let mined = rules_mine(bot, request, options)?;
    tracing::info!("{}", mined.summary());
    report.opened.extend(mined.report.opened);
    report.dry_run.extend(mined.report.dry_run);
    report.warnings.extend(mined.report.warnings);
    Ok(())
}

fn skill_infos(skills: &[&dyn Skill]) -> Vec<SkillInfo> {
    skills
        .iter()
        .filter_map(|s| {
            Some(SkillInfo {
                id: SkillId::new(s.id()).ok()?,
                risk: s.risk(),
                title: s.title(),
            })
        })
        .collect()
}

/// Added plus removed lines of one fix, from a diff of just the lines it touches.
fn fix_lines(sources: &BTreeMap<RelPath, String>, fix: &Fix) -> usize {
    let mut total = 0;
    for (path, edit) in &fix.edits {
        let Some(text) = sources.get(path) else {
            continue;
        };
        let start = text[..edit.range.start.min(text.len())]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let end = text[edit.range.end.min(text.len())..]
            .find('\n')
            .map_or(text.len(), |i| edit.range.end + i + 1);
        let old = &text[start..end];
        let new = format!(
            "{}{}{}",
            &text[start..edit.range.start],
            edit.text,
            &text[edit.range.end..end]
        );
        total += similar::TextDiff::from_lines(old, new.as_str())
            .iter_all_changes()
            .filter(|c| c.tag() != similar::ChangeTag::Equal)
            .count();
    }
    total
}
