//! `stop`, `pause`, `resume`, `stats`, `ignore`, `explain`, `ignored` and
//! `unignore`: steering the bot and reading its memory, as the slash
//! commands do.

use crate::cli::output::note;
use std::process::ExitCode;

use anyhow::{Result, bail};

use patchwright::bot::{control, memory};
use patchwright::engine::skills::Registry;
use patchwright::policy::learn;
use patchwright::vocab::ids::{Fingerprint, SkillId};
use patchwright::vocab::time::Timestamp;

use crate::cli::args::{
    ExplainArgs, IgnoreArgs, IgnoreReason, IgnoredArgs, ListFormat, Options, PauseArgs, ResumeArgs,
    RetryArgs, StatsArgs, StopArgs, UnignoreArgs,
};
use crate::cli::output::{pretty, print};
use crate::cli::setup::{GitSetup, actor, local_forge};
use patchwright::store::ledger::CloseKind;

pub fn stop(cli: &Options, registry: &Registry, args: StopArgs) -> Result<ExitCode> {
    let StopArgs {
        path, reason, by, ..
    } = args;
    let git = GitSetup::fetched(&path, cli, registry)?;
    let by = by.unwrap_or_else(|| actor(&git.repo));
    if control::stop(&git.store(), &by, &reason)? {
        note!("stopped: runs now only record outcomes (`patchwright resume` to start again)");
    } else {
        note!("already stopped");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn resume(cli: &Options, registry: &Registry, args: ResumeArgs) -> Result<ExitCode> {
    let ResumeArgs {
        path, skill, by, ..
    } = args;
    let git = GitSetup::fetched(&path, cli, registry)?;
    let registry = &git.registry;
    let by = by.unwrap_or_else(|| actor(&git.repo));
    match skill {
        Some(id) => {
            let skill = known_skill(registry, &id)?;
            if control::unpause(&git.store(), &skill, &by)? {
                note!("resumed {skill}");
            } else {
                note!("{skill} was not paused");
            }
        }
        None => {
            if control::resume(&git.store(), &by)? {
                note!("resumed");
            } else {
                note!("not stopped");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn stats(cli: &Options, registry: &Registry, args: StatsArgs) -> Result<ExitCode> {
    let StatsArgs { path, format, .. } = args;
    let git = GitSetup::fetched(&path, cli, registry)?;
    let (ledger, _) = git.store().read()?;
    let out = match format {
        ListFormat::Text => learn::stats_markdown(&ledger),
        ListFormat::Json => pretty(&learn::stats(&ledger))?,
    };
    print(&out)?;
    Ok(ExitCode::SUCCESS)
}

pub fn pause(cli: &Options, registry: &Registry, args: PauseArgs) -> Result<ExitCode> {
    let PauseArgs {
        skill,
        path,
        reason,
        by,
        ..
    } = args;
    let git = GitSetup::fetched(&path, cli, registry)?;
    let skill = known_skill(&git.registry, &skill)?;
    let by = by.unwrap_or_else(|| actor(&git.repo));
    if control::pause(&git.store(), &skill, &by, &reason)? {
        note!("paused {skill} (`patchwright resume --skill {skill}` lifts it)");
    } else {
        note!("{skill} was already paused");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn retry(cli: &Options, registry: &Registry, args: RetryArgs) -> Result<ExitCode> {
    let RetryArgs {
        target,
        all_failed,
        path,
        by,
        ..
    } = args;
    let git = GitSetup::fetched(&path, cli, registry)?;
    let registry = &git.registry;
    let by = by.unwrap_or_else(|| actor(&git.repo));
    let store = git.store();
    let (ledger, _) = store.read()?;
    let which = match (all_failed, target) {
        (true, _) | (false, None) => control::Retry::All,
        (false, Some(target)) => match memory::proposal_named(&ledger, &target) {
            Some(proposal) => control::Retry::Proposal(proposal.id.clone()),
            None if registry.get(&target).is_some() => {
                control::Retry::Skill(SkillId::new(&target)?)
            }
            None => bail!(
                "`{target}` is neither a proposal (see `patchwright pulls`) nor a skill (see `patchwright skills`)"
            ),
        },
    };
    let n = control::retry(&store, &which, &by)?;
    if n == 0 {
        note!("no held fix matched; `patchwright ignored` lists the held ones");
    } else {
        note!(
            "{n} held {} will be proposed again by the next run",
            if n == 1 { "fix" } else { "fixes" }
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn known_skill(registry: &Registry, id: &str) -> Result<SkillId> {
    if registry.get(id).is_none() {
        bail!(
            "unknown skill `{id}`; known skills are: {} (see `patchwright skills`)",
            registry.ids().join(", ")
        );
    }
    Ok(SkillId::new(id)?)
}

pub fn ignore(cli: &Options, registry: &Registry, args: IgnoreArgs) -> Result<ExitCode> {
    let IgnoreArgs {
        targets,
        path,
        reason,
        note: text,
        by,
        ..
    } = args;
    let kind = match reason {
        IgnoreReason::Wrong => CloseKind::Wrong,
        IgnoreReason::Unwanted => CloseKind::Unwanted,
        IgnoreReason::Later => CloseKind::Later,
    };
    let git = GitSetup::fetched(&path, cli, registry)?;
    let registry = &git.registry;
    let by = by.unwrap_or_else(|| actor(&git.repo));
    let store = git.store();
    let (ledger, _) = store.read()?;
    // One proposal: closed like `/patchwright ignore` on its pull request.
    if let [one] = targets.as_slice()
        && let Some(proposal) = memory::proposal_named(&ledger, one)
    {
        if !proposal.is_open() {
            bail!(
                "{} is already {}; nothing to close",
                proposal.id,
                proposal.state()
            );
        }
        let default_branch = git.default_branch()?;
        let forge = local_forge(&git, &default_branch)?;
        let bot = git.bot(registry, &forge, default_branch);
        control::reject_proposal(&bot, proposal, kind, &by)?;
        note!(
            "closed {} ({kind}); its {} findings {}",
            proposal.id,
            proposal.fingerprints.len(),
            match kind {
                CloseKind::Later => format!(
                    "may be proposed again after {} days",
                    git.config.learning.later_days
                ),
                _ => "will not be proposed again".into(),
            }
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut fingerprints = Vec::new();
    for target in &targets {
        match target.parse::<Fingerprint>() {
            Ok(fp) => fingerprints.push(fp),
            Err(_) => bail!(
                "`{target}` is neither a fingerprint (16 hex digits) nor a proposal's branch or id (see `patchwright pulls`)"
            ),
        }
    }
    let unknown: Vec<&Fingerprint> = fingerprints
        .iter()
        .filter(|fp| !memory::known_to_ledger(&ledger, fp))
        .collect();
    if !unknown.is_empty() {
        let (tip, scanned) = scan_default_branch(&git, registry)?;
        let found: std::collections::HashSet<&Fingerprint> =
            scanned.findings().map(|f| &f.fingerprint).collect();
        let missing: Vec<String> = unknown
            .iter()
            .filter(|fp| !found.contains(*fp))
            .map(|fp| format!("`{fp}`"))
            .collect();
        if !missing.is_empty() {
            bail!(
                "{} {} not in the ledger and not found on the default branch at {}: nothing was ignored (`patchwright scan --format json` lists the fingerprints)",
                missing.join(", "),
                if missing.len() == 1 { "is" } else { "are" },
                tip.short()
            );
        }
    }
    let now = Timestamp::now();
    let later_days = git.config.learning.later_days;
    let until = matches!(kind, CloseKind::Later).then(|| now.plus_days(later_days));
    let reason = match text {
        Some(text) => format!("{kind}: {text}"),
        None => format!("{kind}, from the command line"),
    };
    let new = control::ignore(&store, &fingerprints, &by, &reason, until)?;
    note!(
        "{new} of {} fingerprints newly ignored ({kind})",
        fingerprints.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// The default branch's tip and what every enabled skill finds there.
fn scan_default_branch(
    git: &GitSetup,
    registry: &Registry,
) -> Result<(
    patchwright::vocab::git_names::CommitSha,
    patchwright::engine::scan::ScanReport,
)> {
    let branch = git.default_branch()?;
    let Some(tip) = git.repo.branch_tip(&branch)? else {
        bail!("the default branch `{branch}` does not exist (set git.default_branch)");
    };
    let scanned = memory::findings_at(&git.repo, &git.config, registry, &tip)?;
    Ok((tip, scanned))
}

pub fn explain(cli: &Options, registry: &Registry, args: ExplainArgs) -> Result<ExitCode> {
    let ExplainArgs { target, path, .. } = args;
    let git = GitSetup::fetched(&path, cli, registry)?;
    let registry = &git.registry;
    let store = git.store();
    let (ledger, _) = store.read()?;
    if let Some(proposal) = memory::find_proposal(&ledger, &target) {
        let text = memory::explain(&git.repo, &git.config, registry, &store, proposal)?;
        print(&text)?;
        return Ok(ExitCode::SUCCESS);
    }
    let Ok(fingerprint) = target.trim().parse::<Fingerprint>() else {
        bail!(
            "no proposal is `{target}`: give a fingerprint, a proposal branch or an id (see `patchwright pulls`)"
        );
    };
    let (tip, scanned) = scan_default_branch(&git, registry)?;
    if let Some(finding) = scanned.findings().find(|f| f.fingerprint == fingerprint) {
        print(&memory::explain_finding(
            &ledger,
            finding,
            &tip,
            Timestamp::now(),
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(held) = memory::held(&ledger, &target) {
        print(&held)?;
        return Ok(ExitCode::SUCCESS);
    }
    bail!(
        "`{fingerprint}` is in no proposal and not found on the default branch at {} (`patchwright scan --format json` lists the fingerprints)",
        tip.short()
    )
}

pub fn ignored(cli: &Options, registry: &Registry, args: IgnoredArgs) -> Result<ExitCode> {
    let IgnoredArgs { path, .. } = args;
    let git = GitSetup::fetched(&path, cli, registry)?;
    let (ledger, _) = git.store().read()?;
    print(&memory::ignored(&ledger, Timestamp::now()))?;
    Ok(ExitCode::SUCCESS)
}

pub fn unignore(cli: &Options, registry: &Registry, args: UnignoreArgs) -> Result<ExitCode> {
    let UnignoreArgs {
        target, path, by, ..
    } = args;
    let git = GitSetup::fetched(&path, cli, registry)?;
    let registry = &git.registry;
    let by = by.unwrap_or_else(|| actor(&git.repo));
    let done = memory::unignore(&git.store(), registry, &target, &by)?;
    if done.is_error() {
        bail!("{}", done.text(registry));
    }
    note!("{}", done.text(registry));
    Ok(ExitCode::SUCCESS)
}
