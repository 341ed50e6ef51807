//! `stop`, `resume`, `stats`, `ignore`, `explain`, `ignored` and
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
    ExplainArgs, IgnoreArgs, IgnoredArgs, ListFormat, Options, ResumeArgs, StatsArgs, StopArgs,
    UnignoreArgs,
};
use crate::cli::output::{pretty, print};
use crate::cli::setup::{GitSetup, actor};

pub fn stop(cli: &Options, registry: &Registry, args: StopArgs) -> Result<ExitCode> {
    let StopArgs { path, reason, by } = args;
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
    let ResumeArgs { path, skill, by } = args;
    let git = GitSetup::fetched(&path, cli, registry)?;
    let by = by.unwrap_or_else(|| actor(&git.repo));
    match skill {
        Some(id) => {
            if registry.get(&id).is_none() {
                bail!(
                    "unknown skill `{id}`; known skills are: {} (see `patchwright skills`)",
                    registry.ids().join(", ")
                );
            }
            let skill = SkillId::new(&id)?;
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
    let StatsArgs { path, format } = args;
    let git = GitSetup::fetched(&path, cli, registry)?;
    let (ledger, _) = git.store().read()?;
    let out = match format {
        ListFormat::Text => learn::stats_markdown(&ledger),
        ListFormat::Json => pretty(&learn::stats(&ledger))?,
    };
    print(&out)?;
    Ok(ExitCode::SUCCESS)
}

pub fn ignore(cli: &Options, registry: &Registry, args: IgnoreArgs) -> Result<ExitCode> {
    let IgnoreArgs {
        fingerprints,
        path,
        reason,
        by,
    } = args;
    let fingerprints = fingerprints
        .iter()
        .map(|f| f.parse::<Fingerprint>())
        .collect::<Result<Vec<_>, _>>()?;
    let git = GitSetup::fetched(&path, cli, registry)?;
    let by = by.unwrap_or_else(|| actor(&git.repo));
    let new = control::ignore(&git.store(), &fingerprints, &by, &reason)?;
    note!("{new} of {} fingerprints newly ignored", fingerprints.len());
    Ok(ExitCode::SUCCESS)
}

pub fn explain(cli: &Options, registry: &Registry, args: ExplainArgs) -> Result<ExitCode> {
    let ExplainArgs { target, path } = args;
    let git = GitSetup::fetched(&path, cli, registry)?;
    let store = git.store();
    let (ledger, _) = store.read()?;
    let Some(proposal) = memory::find_proposal(&ledger, &target) else {
        if let Some(held) = memory::held(&ledger, &target) {
            print(&held)?;
            return Ok(ExitCode::SUCCESS);
        }
        bail!(
            "no proposal is `{target}`: give a fingerprint, a proposal branch or an id (see `patchwright pulls`)"
        );
    };
    let text = memory::explain(&git.repo, &git.config, registry, &store, proposal)?;
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}

pub fn ignored(cli: &Options, registry: &Registry, args: IgnoredArgs) -> Result<ExitCode> {
    let IgnoredArgs { path } = args;
    let git = GitSetup::fetched(&path, cli, registry)?;
    let (ledger, _) = git.store().read()?;
    print(&memory::ignored(&ledger, Timestamp::now()))?;
    Ok(ExitCode::SUCCESS)
}

pub fn unignore(cli: &Options, registry: &Registry, args: UnignoreArgs) -> Result<ExitCode> {
    let UnignoreArgs { target, path, by } = args;
    let git = GitSetup::fetched(&path, cli, registry)?;
    let by = by.unwrap_or_else(|| actor(&git.repo));
    let done = memory::unignore(&git.store(), registry, &target, &by)?;
    if done.is_error() {
        bail!("{}", done.text(registry));
    }
    note!("{}", done.text(registry));
    Ok(ExitCode::SUCCESS)
}
