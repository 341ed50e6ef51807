//! One pass of the loop: sync what happened to open proposals, scan the
//! default branch, plan, propose (branch + commit + pull request + checks),
//! and report. Every step is idempotent: a run killed anywhere is healed by
//! the next one, and running twice changes nothing the second time.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

use crate::config::Config;
use crate::edit::{Applied, apply_fixes};
use crate::finding::{Finding, Fingerprint, RelPath, SkillId};
use crate::forge::{Checks, Forge, ForgeError, PullDraft, PullState};
use crate::git::{BranchName, Changes, CommitSha, GitError, Repo};
use crate::ledger::{
    Hold, LedgerError, LedgerStore, Outcome, OutcomeEntry, Proposal, ProposalId, State, Timestamp,
};
use crate::plan::{self, NEUTRAL_SCORE, PlanInput, Planned, SkillInfo};
use crate::report::templates::{self, Dashboard, ListedFinding, OpenRow};
use crate::scaffold::{self, ScaffoldError};
use crate::scan::{self, ScanOptions};
use crate::skills::{Registry, Skill, UnknownSkill};
use crate::workspace::{Workspace, WorkspaceError};

/// Everything a cycle works with.
/// Who the ledger says decided, when the bot did.
pub const BOT_ACTOR: &str = "patchwright";

pub struct Bot<'a> {
    pub repo: &'a Repo,
    pub config: &'a Config,
    pub registry: &'a Registry,
    pub forge: &'a dyn Forge,
    pub default_branch: BranchName,
}

impl std::fmt::Debug for Bot<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bot")
            .field("repo", self.repo)
            .field("forge", &self.forge.kind())
            .field("default_branch", &self.default_branch)
            .finish_non_exhaustive()
    }
}

impl Bot<'_> {
    pub fn store(&self) -> LedgerStore<'_> {
        LedgerStore::new(
            self.repo,
            &self.config.git.ledger_ref,
            self.config.git.identity.clone(),
        )
    }
}

/// How to run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Print what would be proposed; write nothing (no fetch, no refs).
    pub dry_run: bool,
    /// Run (local) or read (forge) the checks of new proposals.
    pub checks: bool,
    /// Propose only these skills, now, beyond the per-run limit and the risk ceiling.
    pub requested: Vec<SkillId>,
    /// Propose only findings in this file or directory.
    pub only_path: Option<RelPath>,
}

/// What one run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunReport {
    pub synced: Vec<Synced>,
    pub stopped: Option<Hold>,
    pub base: Option<CommitSha>,
    pub findings: usize,
    pub skipped_files: usize,
    pub opened: Vec<Opened>,
    pub dry_run: Vec<DryRunProposal>,
    pub held_back: BTreeMap<String, usize>,
    /// Fixable findings not proposed, the first few.
    pub waiting: Vec<ListedFinding>,
    pub warnings: Vec<String>,
}

/// How many not-yet-proposed findings a report lists.
const WAITING_SHOWN: usize = 10;
/// How long a proposal may go without any check before the bot warns.
const NO_CHECKS_WARNING_SECS: i64 = 30 * 60;

#[derive(Debug, Clone, Serialize)]
pub struct Synced {
    pub id: ProposalId,
    pub outcome: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Opened {
    pub id: ProposalId,
    pub branch: BranchName,
    pub title: String,
    pub files: usize,
    pub changed_lines: usize,
    /// Whether the branch was already there (from a run that died before recording it).
    pub adopted: bool,
    /// `Some(true)` passed, `Some(false)` failed, `None` not run.
    pub checks: Option<bool>,
    pub pull: Option<crate::ledger::PullRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DryRunProposal {
    pub id: ProposalId,
    pub branch: BranchName,
    pub title: String,
    pub diff: String,
}

/// What can stop a cycle.
#[derive(Debug, thiserror::Error)]
pub enum CycleError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Forge(#[from] ForgeError),
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error(transparent)]
    Skill(#[from] UnknownSkill),
    #[error(transparent)]
    Scaffold(#[from] ScaffoldError),
    #[error("{0}")]
    Other(String),
}

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
        crate::watch::watch(bot, &mut report)?;
    }
    let (ledger, _) = store.read()?;

    let base = default_tip(bot)?;
    report.base = Some(base.clone());

    let requested: Vec<String> = options.requested.iter().map(ToString::to_string).collect();
    let skills = bot.registry.select(bot.config, &requested)?;
    let scanned = scan_commit(bot, &base, &skills)?;
    report.findings = scanned.findings().count();
    report.skipped_files = scanned.warnings.len();
    let sources = scanned.sources();

    let infos = skill_infos(&skills);
    let in_path = |f: &&Finding| match &options.only_path {
        Some(dir) => f.path == *dir || f.path.as_str().starts_with(&format!("{dir}/")),
        None => true,
    };
    let findings: Vec<&Finding> = scanned.findings().filter(in_path).collect();
    let fix_lines = |fix: &crate::edit::Fix| fix_lines(&sources, fix);
    let scores = crate::learn::scores(&ledger);
    let score = |skill: &SkillId| scores.get(skill).copied().unwrap_or(NEUTRAL_SCORE);
    let file_hash = |path: &RelPath| {
        sources
            .get(path)
            .map(|text| crate::ledger::content_hash(text.as_bytes()))
    };
    let plan = plan::plan(&PlanInput {
        findings: &findings,
        skills: &infos,
        ledger: &ledger,
        limits: &bot.config.limits,
        open_limit: crate::pace::limit(&ledger, &bot.config.limits).limit,
        requested: &options.requested,
        fix_lines: &fix_lines,
        score: &score,
        file_hash: &file_hash,
        now: Timestamp::now(),
        own_tip: bot.repo.author_email(&base)? == bot.config.git.identity.email,
    });
    report.held_back = plan
        .held_back
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect();

    for planned in &plan.proposals {
        let Some(skill) = bot.registry.get(planned.skill.as_str()) else {
            continue;
        };
        propose(bot, skill, planned, &sources, &base, options, &mut report)?;
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

/// Scans exactly the tree of `commit` (not whatever the work tree holds),
/// keeping the text of files with fixes.
fn scan_commit(
    bot: &Bot<'_>,
    commit: &CommitSha,
    skills: &[&dyn Skill],
) -> Result<scan::ScanReport, CycleError> {
    scan_tree(bot.repo, bot.config, commit, skills)
}

/// Scans exactly the tree of `commit`, wherever the repository is.
pub fn scan_tree(
    repo: &Repo,
    config: &Config,
    commit: &CommitSha,
    skills: &[&dyn Skill],
) -> Result<scan::ScanReport, CycleError> {
    let export = tempfile::Builder::new()
        .prefix("patchwright-scan-")
        .tempdir()
        .map_err(|e| CycleError::Other(format!("cannot make a directory to scan in: {e}")))?;
    repo.export(commit, export.path())?;
    let workspace = Workspace::discover(export.path(), &config.scan)?;
    let options = ScanOptions {
        keep_fixable_sources: true,
        metrics: false,
        max_file_bytes: config.scan.max_file_bytes,
    };
    Ok(scan::scan(&workspace, skills, &options, &|_| {}))
}

fn listed(f: &Finding) -> ListedFinding {
    ListedFinding {
        skill: f.skill.to_string(),
        path: f.path.to_string(),
        line: f.start.line,
        message: f.message.clone(),
    }
}

/// What the skills find on the default branch, as a reply.
pub fn scan_summary(bot: &Bot<'_>) -> Result<String, CycleError> {
    bot.repo.fetch()?;
    let base = default_tip(bot)?;
    let skills = bot.registry.select(bot.config, &[])?;
    let scanned = scan_commit(bot, &base, &skills)?;
    let total = scanned.findings().count();
    let fixable = scanned.findings().filter(|f| f.fixable()).count();
    let mut out = format!(
        "{total} {} ({fixable} fixable) on `{}` at {}, in {} files.\n\n",
        if total == 1 { "finding" } else { "findings" },
        bot.default_branch,
        base.short(),
        scanned.files.len()
    );
    if total > 0 {
        out.push_str("| skill | findings | fixable |\n|---|---:|---:|\n");
        for skill in &skills {
            let of = || {
                scanned
                    .findings()
                    .filter(|f| f.skill.as_str() == skill.id())
            };
            let n = of().count();
            if n > 0 {
                out.push_str(&format!(
                    "| `{}` | {n} | {} |\n",
                    skill.id(),
                    of().filter(|f| f.fixable()).count()
                ));
            }
        }
        out.push('\n');
        for f in scanned.findings().take(WAITING_SHOWN) {
            out.push_str(&format!(
                "- `{}:{}` `{}`: {}\n",
                f.path, f.start.line, f.skill, f.message
            ));
        }
        if total > WAITING_SHOWN {
            out.push_str(&format!("- … and {} more\n", total - WAITING_SHOWN));
        }
    }
    if !scanned.warnings.is_empty() {
        out.push_str(&format!(
            "\n{} files were skipped (see the log).\n",
            scanned.warnings.len()
        ));
    }
    Ok(out)
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
fn fix_lines(sources: &BTreeMap<RelPath, String>, fix: &crate::edit::Fix) -> usize {
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

/// Records what happened to every open proposal since the last run.
pub fn sync(bot: &Bot<'_>, checks: bool, report: &mut RunReport) -> Result<(), CycleError> {
    let store = bot.store();
    let (ledger, _) = store.read()?;
    let synced = &mut report.synced;
    let warnings = &mut report.warnings;
    let open: Vec<Proposal> = ledger.open_proposals().cloned().collect();
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
                    crate::watch::start(l, &commit, &id, now);
                    Ok(Some(event.clone()))
                })?;
                if changed.is_some() {
                    synced.push(Synced {
                        id,
                        outcome: "merged".into(),
                    });
                }
            }
            PullState::Closed { why } => {
                // A bare close means "not wanted here".
                let kind = why.unwrap_or(crate::ledger::CloseKind::Unwanted);
                let later_days = bot.config.learning.later_days;
                let event = format!("outcome closed {id} ({kind})");
                let changed = store.update(&|l| {
                    let closed = crate::control::record_close(
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
                if changed.is_some() {
                    synced.push(Synced {
                        id,
                        outcome: format!("closed ({kind})"),
                    });
                }
            }
            PullState::Open if checks && proposal.checks().is_none() => {
                let opened_at = proposal.outcomes.first().map_or(now.0, |e| e.at.0);
                if let Some(passed) = record_checks(
                    bot,
                    &proposal,
                    (now.0 - opened_at > NO_CHECKS_WARNING_SECS).then_some(&mut *warnings),
                )? {
                    let outcome = if passed {
                        "checks passed"
                    } else {
                        "checks failed"
                    };
                    synced.push(Synced {
                        id,
                        outcome: outcome.into(),
                    });
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
    for (skill, reason) in crate::learn::pauses_due(&ledger, &bot.config.learning) {
        if crate::control::pause(&store, &skill, BOT_ACTOR, &reason)? {
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
        if changed.is_some() {
            report.synced.push(Synced {
                id,
                outcome: "reopened".into(),
            });
        }
    }
    sync(bot, true, report)
}

/// The regression watch, unless the bot is stopped (then it only records).
fn watch_unless_stopped(bot: &Bot<'_>, report: &mut RunReport) -> Result<(), CycleError> {
    let (ledger, _) = bot.store().read()?;
    match &ledger.stopped {
        Some(hold) => report.stopped = Some(hold.clone()),
        None => crate::watch::watch(bot, report)?,
    }
    Ok(())
}

/// Does what a GitHub Actions event asks; returns the job summary.
pub fn on_trigger(bot: &Bot<'_>, trigger: &crate::events::Trigger) -> Result<String, CycleError> {
    use crate::events::Trigger;
    match trigger {
        Trigger::Run => {
            let report = run(
                bot,
                &RunOptions {
                    checks: true,
                    ..RunOptions::default()
                },
            )?;
            update_dashboard(bot, &report)?;
            Ok(report.to_markdown())
        }
        Trigger::Sync => {
            let mut report = RunReport::default();
            bot.repo.fetch()?;
            sync(bot, true, &mut report)?;
            watch_unless_stopped(bot, &mut report)?;
            update_dashboard(bot, &report)?;
            Ok(report.to_markdown())
        }
        Trigger::Pull { number } => {
            let mut report = RunReport::default();
            sync_pull(bot, *number, &mut report)?;
            watch_unless_stopped(bot, &mut report)?;
            update_dashboard(bot, &report)?;
            Ok(report.to_markdown())
        }
        Trigger::Comment(comment) => {
            let handled = crate::commands::dispatch::handle(bot, comment)?;
            Ok(match handled {
                crate::commands::dispatch::Handled::Ignored(why) => {
                    format!("Comment {} ignored: {why}.\n", comment.comment_id)
                }
                crate::commands::dispatch::Handled::Refused => format!(
                    "Commands from @{} refused: not enough access.\n",
                    comment.author
                ),
                crate::commands::dispatch::Handled::Replied { ok } => format!(
                    "Answered the commands of comment {} on #{}{}.\n",
                    comment.comment_id,
                    comment.number,
                    if ok { "" } else { " (some failed)" }
                ),
            })
        }
        Trigger::Ignore(why) => Ok(format!("Nothing to do: {why}.\n")),
    }
}

/// Asks the forge for the proposal's checks and records a final result.
/// With `warn_missing`, a proposal without any check is reported there.
fn record_checks(
    bot: &Bot<'_>,
    proposal: &Proposal,
    warn_missing: Option<&mut Vec<String>>,
) -> Result<Option<bool>, CycleError> {
    let (outcome, passed) = match bot.forge.checks(proposal)? {
        Checks::Missing => {
            if let Some(warnings) = warn_missing {
                let warning = "proposals have had no checks for 30 minutes: pull requests opened with the default \
                    GITHUB_TOKEN do not start workflows; give patchwright a GitHub App token or a personal access token"
                    .to_owned();
                if !warnings.contains(&warning) {
                    warnings.push(warning);
                }
            }
            return Ok(None);
        }
        Checks::Pending => return Ok(None),
        Checks::Passed { .. } => (
            Outcome::ChecksPassed {
                commit: proposal.head.clone(),
            },
            true,
        ),
        Checks::Failed { failing, tail } => (
            Outcome::ChecksFailed {
                commit: proposal.head.clone(),
                names: failing.into_iter().map(|f| f.name).collect(),
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
        return Ok(Some(true));
    }
    // A fix that breaks the build is not wanted as it is: close it, and try
    // again only once the files it touches have changed.
    let Outcome::ChecksFailed { names, .. } = &outcome else {
        return Ok(Some(false));
    };
    let comment = format!(
        "<!-- patchwright:checks-failed {} -->\nThe checks failed ({}). Closing; these findings will be proposed again once the files they are in change.",
        proposal.head.short(),
        names.join(", ")
    );
    bot.forge.close_pull(proposal, Some(&comment))?;
    let mut files = BTreeMap::new();
    for path in &proposal.files {
        if let Some(bytes) = bot.repo.read_file(&proposal.base, path)? {
            files.insert(path.clone(), crate::ledger::content_hash(&bytes));
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
                why: Some(crate::ledger::CloseKind::ChecksFailed),
            },
            now,
        );
        for fp in &proposal.fingerprints {
            l.failed_fixes.insert(
                fp.clone(),
                crate::ledger::FailedFix {
                    at: now,
                    proposal: id.clone(),
                    files: files.clone(),
                },
            );
        }
        Ok(Some(event.clone()))
    })?;
    Ok(Some(false))
}

fn propose(
    bot: &Bot<'_>,
    skill: &dyn Skill,
    planned: &Planned<'_>,
    sources: &BTreeMap<RelPath, String>,
    base: &CommitSha,
    options: &RunOptions,
    report: &mut RunReport,
) -> Result<(), CycleError> {
    let originals: BTreeMap<RelPath, String> = planned
        .files
        .iter()
        .filter_map(|p| Some((p.clone(), sources.get(p)?.clone())))
        .collect();
    let applied = apply_fixes(&originals, &planned.fixes());
    if applied.applied.is_empty() {
        return Ok(());
    }
    // Fixes that had to wait (overlaps) or were dropped are not part of it.
    let fingerprints: BTreeSet<Fingerprint> = applied.applied.iter().cloned().collect();
    let findings: Vec<&Finding> = planned
        .findings
        .iter()
        .copied()
        .filter(|f| fingerprints.contains(&f.fingerprint))
        .collect();
    let title = plan::title(skill.title(), &planned.package, findings.len());
    let body = body(bot, skill, &findings, &applied);
    if options.dry_run {
        let (ledger, _) = bot.store().read()?;
        let id = ledger.fresh_id(&planned.skill, &fingerprints);
        report.dry_run.push(DryRunProposal {
            branch: id.branch(),
            id,
            title,
            diff: applied.diff(),
        });
        return Ok(());
    }

    let draft = Draft {
        skill: planned.skill.clone(),
        package: planned.package.clone(),
        title,
        body,
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
        .find(|p| crate::plan::is_protected(p.as_str()))
    {
        return Err(CycleError::Other(format!(
            "refusing to propose a change to `{path}`: patchwright never changes .github/workflows/"
        )));
    }
    let (ledger, _) = bot.store().read()?;
    let id = ledger.fresh_id(&draft.skill, &draft.fingerprints);
    let branch = id.branch();
    let message = format!(
        "{}\n\n{}\nPatchwright-Skill: {}\nPatchwright-Proposal: {id}\nPatchwright-Fingerprints: {}\n",
        draft.title,
        draft.body,
        draft.skill,
        draft
            .fingerprints
            .iter()
            .map(Fingerprint::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let commit = bot.repo.write_commit(
        base,
        &[base],
        &draft.changes,
        &message,
        &bot.config.git.identity,
    )?;
    let Some((head, adopted)) = publish(bot, &branch, &commit)? else {
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
        labels: vec!["patchwright".into(), format!("patchwright:{}", draft.skill)],
    })?;
    let proposal = Proposal {
        id: id.clone(),
        skill: draft.skill.clone(),
        package: draft.package.clone(),
        title: draft.title.clone(),
        fingerprints: draft.fingerprints.clone(),
        files: draft.changes.keys().cloned().collect(),
        branch: branch.clone(),
        base: base.clone(),
        head,
        pull: Some(pull),
        outcomes: vec![OutcomeEntry {
            at: Timestamp::now(),
            outcome: Outcome::Opened,
        }],
    };
    let recorded = proposal.clone();
    bot.store().update(&|l| {
        if l.proposals.contains_key(&recorded.id) {
            return Ok(None);
        }
        l.proposals.insert(recorded.id.clone(), recorded.clone());
        Ok(Some(format!("propose {}", recorded.id)))
    })?;
    let checks = if checks {
        record_checks(bot, &proposal, None)?
    } else {
        None
    };
    Ok(Some(Opened {
        pull: proposal.pull.clone(),
        id,
        branch,
        title: draft.title.clone(),
        files: proposal.files.len(),
        changed_lines: draft.changed_lines,
        adopted,
        checks,
    }))
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
    let base = default_tip(bot)?;
    let scanned = scan_commit(bot, &base, &[skill])?;
    let findings: Vec<&Finding> = scanned
        .findings()
        .filter(|f| f.fixable() && proposal.fingerprints.contains(&f.fingerprint))
        .collect();
    let now = Timestamp::now();
    if findings.is_empty() {
        let comment = format!(
            "<!-- patchwright:gone {} -->\nNothing is left to fix: `{}` no longer has these findings. Closing.",
            base.short(),
            bot.default_branch
        );
        bot.forge.close_pull(&proposal, Some(&comment))?;
        let id = id.clone();
        let event = format!("outcome closed {id}");
        bot.store().update(&|l| {
            let outcome = Outcome::Closed {
                reason: Some("its findings are gone from the default branch".into()),
                why: Some(crate::ledger::CloseKind::Gone),
            };
            Ok(l.record(&id, outcome, now).then(|| event.clone()))
        })?;
        return Ok(format!(
            "Nothing is left to fix on `{}`; closed.",
            bot.default_branch
        ));
    }
    let sources = scanned.sources();
    let originals: BTreeMap<RelPath, String> = findings
        .iter()
        .filter_map(|f| Some((f.path.clone(), sources.get(&f.path)?.clone())))
        .collect();
    let fixes: Vec<crate::edit::Fix> = findings.iter().filter_map(|f| f.fix.clone()).collect();
    let applied = apply_fixes(&originals, &fixes);
    let fixed: Vec<&Finding> = findings
        .iter()
        .copied()
        .filter(|f| applied.applied.contains(&f.fingerprint))
        .collect();
    let title = plan::title(skill.title(), &proposal.package, fixed.len());
    let body = body(bot, skill, &fixed, &applied);
    let message = format!(
        "{title}\n\n{body}\nPatchwright-Skill: {}\nPatchwright-Proposal: {id}\n",
        proposal.skill
    );
    let changes: Changes = applied
        .files
        .iter()
        .map(|(path, patched)| (path.clone(), Some(patched.new.clone().into_bytes())))
        .collect();
    let commit = bot.repo.write_commit(
        &base,
        &[&base],
        &changes,
        &message,
        &bot.config.git.identity,
    )?;
    let tip = bot.repo.branch_tip(&proposal.branch)?;
    if let Some(tip) = &tip
        && !only_bot_commits(bot, tip, &base)?
    {
        return Err(CycleError::Other(format!(
            "someone else pushed to `{}`; recreating it would drop their commits, so it was left alone",
            proposal.branch
        )));
    }
    bot.repo
        .update_ref(&proposal.branch.refname(), &commit, tip.as_ref())?;
    bot.forge.open_pull(&PullDraft {
        branch: &proposal.branch,
        base: &bot.default_branch,
        title: &title,
        body: &body,
        labels: vec![
            "patchwright".into(),
            format!("patchwright:{}", proposal.skill),
        ],
    })?;
    let fingerprints: BTreeSet<Fingerprint> = fixed.iter().map(|f| f.fingerprint.clone()).collect();
    let files: Vec<RelPath> = applied.files.keys().cloned().collect();
    let event = format!("recreate {id} on {}", base.short());
    bot.store().update(&|l| {
        let Some(p) = l.proposals.get_mut(id) else {
            return Ok(None);
        };
        if p.head == commit {
            return Ok(None);
        }
        p.base = base.clone();
        p.head = commit.clone();
        p.title = title.clone();
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
    Ok(format!(
        "Rebuilt on `{}` at {}: {} {}.",
        bot.default_branch,
        base.short(),
        fixed.len(),
        if fixed.len() == 1 { "fix" } else { "fixes" }
    ))
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

/// Rewrites the dashboard from the ledger and this run's report.
pub fn update_dashboard(bot: &Bot<'_>, report: &RunReport) -> Result<(), CycleError> {
    let (ledger, _) = bot.store().read()?;
    let mut open: Vec<&Proposal> = ledger.open_proposals().collect();
    open.sort_by_key(|p| p.outcomes.first().map(|e| e.at));
    let rows = open
        .iter()
        .map(|p| OpenRow {
            link: match p.pull.as_ref().and_then(|r| r.number) {
                Some(n) => format!("#{n}"),
                None => format!("`{}`", p.branch),
            },
            title: p.title.clone(),
            skill: p.skill.to_string(),
            checks: match p.checks() {
                Some(Outcome::ChecksPassed { .. }) => "passed".into(),
                Some(Outcome::ChecksFailed { names, .. }) => {
                    format!("failed: {}", names.join(", "))
                }
                _ => "pending".into(),
            },
            opened: p
                .outcomes
                .first()
                .map(|e| e.at.to_string())
                .unwrap_or_default(),
        })
        .collect();
    let body = templates::dashboard(&Dashboard {
        stopped: ledger.stopped.as_ref(),
        last_run: Timestamp::now().to_string(),
        last_result: report.summary_line(),
        open: rows,
        waiting: report.waiting.clone(),
        held_back: report.held_back.clone(),
        paused: ledger
            .paused
            .iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        warnings: report.warnings.clone(),
        ignored: crate::memory::folded(&ledger, Timestamp::now()),
        pace: crate::pace::describe(&crate::pace::limit(&ledger, &bot.config.limits)),
        skills: crate::learn::stats(&ledger)
            .iter()
            .map(|(skill, s)| crate::learn::insight(skill, s, ledger.paused.contains_key(skill)))
            .collect(),
        help: crate::commands::help(&bot.config.commands.prefix),
        prefix: &bot.config.commands.prefix,
    });
    bot.forge.upsert_dashboard("patchwright dashboard", &body)?;
    Ok(())
}

/// The skill id under which scaffolded skills are proposed.
pub const SKILL_NEW: &str = "skill-new";

/// `skill new`: scaffolds a skill on the default branch and proposes it
/// like a fix. It is inactive until a person merges it.
pub fn skill_new(
    bot: &Bot<'_>,
    name: &str,
    description: &str,
    options: &RunOptions,
) -> Result<RunReport, CycleError> {
    let (base, report) = fresh_base(bot, options)?;
    let read = text_at(bot, &base);
    let scaffold = scaffold::scaffold(&read, &bot.registry.ids(), name, description)?;
    let title = format!("Add the `{name}` skill");
    let body = format!(
        "A new skill, `{name}`: {description}\n\n\
         Files: `src/skills/{module}.rs` (the skill, `{ty}`), its registration in \
         `src/skills/mod.rs`, and a fixture in `tests/fixtures/skills/{name}/`.\n\n\
         As generated it finds the comment `// patchwright: {name}` and deletes it; \
         teach it what to look for before merging. It runs only once this is merged.\n",
        description = description.trim(),
        module = scaffold.module,
        ty = scaffold.type_name,
    );
    let generated = GeneratedChange {
        skill: SKILL_NEW,
        key: name.to_owned(),
        what: format!("the `{name}` skill"),
        title,
        body,
        files: scaffold.files,
    };
    propose_generated(bot, &read, &base, generated, options, report)
}

/// The skill id under which regenerated skills are proposed.
pub const SKILL_REGENERATE: &str = "skill-regenerate";

/// `skill regenerate`: rewrites the files `skill new` made for `name` from
/// the current templates, as a proposal; files edited since they were
/// generated are left alone and reported.
pub fn skill_regenerate(
    bot: &Bot<'_>,
    name: &str,
    options: &RunOptions,
) -> Result<RunReport, CycleError> {
    let (base, mut report) = fresh_base(bot, options)?;
    let read = text_at(bot, &base);
    let regenerated = scaffold::regenerate(&read, name)?;
    for path in &regenerated.edited {
        report.warnings.push(format!(
            "{path} was edited after `skill new` made it; left alone"
        ));
    }
    for path in &regenerated.unstamped {
        report.warnings.push(format!(
            "{path} has no `skill new` header (written by hand, or the header was removed); left alone"
        ));
    }
    if regenerated.files.is_empty() {
        report.warnings.push(format!(
            "nothing to regenerate for `{name}`: {} generated {} already match the templates",
            regenerated.current.len(),
            if regenerated.current.len() == 1 {
                "file"
            } else {
                "files"
            }
        ));
        return Ok(report);
    }
    let list = |paths: &mut dyn Iterator<Item = &RelPath>| {
        paths.map(|p| format!("- `{p}`\n")).collect::<String>()
    };
    let mut body = format!(
        "The templates changed since `patchwright skill new` made the `{name}` skill; these files are rewritten from them, with the same arguments:\n\n{}",
        list(&mut regenerated.files.keys())
    );
    if !regenerated.edited.is_empty() {
        body.push_str(&format!(
            "\nEdited since they were generated, so left alone:\n\n{}",
            list(&mut regenerated.edited.iter())
        ));
    }
    // A new template state is a new proposal; the same one is recognised.
    let key = format!(
        "{name} {}",
        regenerated
            .files
            .values()
            .map(|t| crate::ledger::content_hash(t.as_bytes()))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let generated = GeneratedChange {
        skill: SKILL_REGENERATE,
        key,
        what: format!("regenerating `{name}`"),
        title: format!("Regenerate the `{name}` skill from the current templates"),
        body,
        files: regenerated.files,
    };
    propose_generated(bot, &read, &base, generated, options, report)
}

/// The default branch's tip (fetched first, unless this is a dry run).
fn fresh_base(bot: &Bot<'_>, options: &RunOptions) -> Result<(CommitSha, RunReport), CycleError> {
    if !options.dry_run {
        bot.repo.fetch()?;
    }
    let base = default_tip(bot)?;
    let report = RunReport {
        base: Some(base.clone()),
        ..RunReport::default()
    };
    Ok((base, report))
}

/// The text of a file at `commit`, if it is there and is text.
fn text_at<'a>(bot: &'a Bot<'_>, commit: &'a CommitSha) -> impl Fn(&str) -> Option<String> + 'a {
    move |path: &str| {
        let path: RelPath = path.parse().ok()?;
        let bytes = bot.repo.read_file(commit, &path).ok()??;
        String::from_utf8(bytes).ok()
    }
}

/// Whole files made from templates, to propose as one change.
struct GeneratedChange {
    skill: &'static str,
    /// What makes the proposal the same one when asked again.
    key: String,
    /// What it is, for "… is already proposed".
    what: String,
    title: String,
    body: String,
    files: BTreeMap<RelPath, String>,
}

fn propose_generated(
    bot: &Bot<'_>,
    read: &dyn Fn(&str) -> Option<String>,
    base: &CommitSha,
    generated: GeneratedChange,
    options: &RunOptions,
    mut report: RunReport,
) -> Result<RunReport, CycleError> {
    let skill = SkillId::new(generated.skill).map_err(|e| CycleError::Other(e.to_string()))?;
    let fingerprint = Fingerprint::compute(crate::finding::FingerprintInput {
        skill: generated.skill,
        package: "patchwright",
        item: "",
        key: &generated.key,
        occurrence: 0,
    });
    let fingerprints = BTreeSet::from([fingerprint]);
    let (ledger, _) = bot.store().read()?;
    let id = ledger.fresh_id(&skill, &fingerprints);
    if let Some(existing) = ledger.proposals.get(&id).filter(|p| p.is_open()) {
        report.warnings.push(format!(
            "{} is already proposed on {}",
            generated.what, existing.branch
        ));
        return Ok(report);
    }
    let mut diff = String::new();
    let mut changed_lines = 0;
    for (path, text) in &generated.files {
        let old = read(path.as_str()).unwrap_or_default();
        diff.push_str(&crate::edit::unified_diff(path, &old, text));
        changed_lines += similar::TextDiff::from_lines(old.as_str(), text.as_str())
            .iter_all_changes()
            .filter(|c| c.tag() != similar::ChangeTag::Equal)
            .count();
    }
    if options.dry_run {
        report.dry_run.push(DryRunProposal {
            branch: id.branch(),
            id,
            title: generated.title,
            diff,
        });
        return Ok(report);
    }
    let draft = Draft {
        skill,
        package: "patchwright".into(),
        title: generated.title,
        body: generated.body,
        fingerprints,
        changes: generated
            .files
            .into_iter()
            .map(|(path, text)| (path, Some(text.into_bytes())))
            .collect(),
        changed_lines,
    };
    if let Some(opened) = publish_proposal(bot, &draft, base, options.checks, &mut report)? {
        report.opened.push(opened);
    }
    Ok(report)
}

fn default_tip(bot: &Bot<'_>) -> Result<CommitSha, CycleError> {
    bot.repo.branch_tip(&bot.default_branch)?.ok_or_else(|| {
        CycleError::Other(format!(
            "the default branch `{}` does not exist{}",
            bot.default_branch,
            bot.repo
                .remote_name()
                .map(|r| format!(" on `{r}`"))
                .unwrap_or_default()
        ))
    })
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
fn body(bot: &Bot<'_>, skill: &dyn Skill, findings: &[&Finding], applied: &Applied) -> String {
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
    })
}

/// A crash injected for tests of healing: with `PATCHWRIGHT_FAILPOINT`
/// set to `name`, the process aborts here, as a killed run would.
fn failpoint(name: &str) {
    if std::env::var("PATCHWRIGHT_FAILPOINT").is_ok_and(|v| v == name) {
        eprintln!("patchwright: failpoint {name} reached; aborting");
        std::process::abort();
    }
}

impl RunReport {
    /// One line: what the run did.
    pub fn summary_line(&self) -> String {
        if let Some(hold) = &self.stopped {
            return format!(
                "stopped by {}; {} outcomes recorded",
                hold.by,
                self.synced.len()
            );
        }
        format!(
            "{} outcomes recorded, {} findings, {} proposed",
            self.synced.len(),
            self.findings,
            self.opened.len()
        )
    }

    /// One line per opened proposal.
    pub fn opened_markdown(&self) -> String {
        let mut out = String::new();
        for o in &self.opened {
            let link = match o.pull.as_ref().and_then(|p| p.number) {
                Some(n) => format!("#{n}"),
                None => format!("`{}`", o.branch),
            };
            let _ = writeln!(
                out,
                "- {} {link}: {} ({} {} changed in {} {})",
                if o.adopted { "Recorded" } else { "Proposed" },
                o.title,
                o.changed_lines,
                if o.changed_lines == 1 {
                    "line"
                } else {
                    "lines"
                },
                o.files,
                if o.files == 1 { "file" } else { "files" }
            );
        }
        out
    }

    /// The report as markdown, for replies and the job summary.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        if let Some(hold) = &self.stopped {
            let _ = writeln!(
                out,
                "Stopped by {} at {} ({}): only outcomes were recorded.\n",
                hold.by, hold.at, hold.reason
            );
        }
        for s in &self.synced {
            let _ = writeln!(out, "- `{}`: {}", s.id, s.outcome);
        }
        if !self.synced.is_empty() {
            out.push('\n');
        }
        if let Some(base) = &self.base {
            let _ = writeln!(
                out,
                "Scanned {}: {} findings.\n",
                base.short(),
                self.findings
            );
        }
        out.push_str(&self.opened_markdown());
        if !self.opened.is_empty() {
            out.push('\n');
        }
        for (reason, n) in &self.held_back {
            let _ = writeln!(
                out,
                "- {n} {} because {reason}",
                if *n == 1 {
                    "finding waits"
                } else {
                    "findings wait"
                }
            );
        }
        for w in &self.warnings {
            let _ = writeln!(out, "- **Warning:** {w}");
        }
        if out.trim().is_empty() {
            out.push_str("Nothing new to propose.\n");
        }
        out
    }

    /// What a person reads at the end of a run.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for s in &self.synced {
            let _ = writeln!(out, "synced: {} {}", s.id, s.outcome);
        }
        if let Some(hold) = &self.stopped {
            let _ = writeln!(
                out,
                "stopped by {} at {} ({}): only synced; `patchwright resume` starts proposing again",
                hold.by, hold.at, hold.reason
            );
            return out;
        }
        if let Some(base) = &self.base {
            let _ = writeln!(
                out,
                "scanned {}: {} findings{}",
                base.short(),
                self.findings,
                if self.skipped_files > 0 {
                    format!(", {} files skipped", self.skipped_files)
                } else {
                    String::new()
                }
            );
        }
        for p in &self.dry_run {
            let _ = writeln!(out, "\nwould propose {}: {}\n{}", p.branch, p.title, p.diff);
        }
        for o in &self.opened {
            let checks = match o.checks {
                Some(true) => ", checks passed",
                Some(false) => ", checks FAILED",
                None => "",
            };
            let _ = writeln!(
                out,
                "{} {}: {} ({} {}, {} lines changed{checks})",
                if o.adopted { "recorded" } else { "proposed" },
                o.branch,
                o.title,
                o.files,
                if o.files == 1 { "file" } else { "files" },
                o.changed_lines,
            );
        }
        for (reason, n) in &self.held_back {
            let _ = writeln!(
                out,
                "waiting: {n} {} because {reason}",
                if *n == 1 { "finding" } else { "findings" }
            );
        }
        for w in &self.warnings {
            let _ = writeln!(out, "warning: {w}");
        }
        if self.opened.is_empty() && self.dry_run.is_empty() && self.synced.is_empty() {
            let _ = writeln!(out, "nothing new to propose");
        }
        out
    }
}
