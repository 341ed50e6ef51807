//! `skill new` and `skill regenerate`: patchwright extending itself, as
//! proposals on its own repository.

use std::process::ExitCode;

use anyhow::Result;

use patchwright::bot::generated;
use patchwright::bot::run::RunOptions;
use patchwright::engine::skills::Registry;

use crate::cli::args::{Options, SkillCommand};
use crate::cli::output::print;
use crate::cli::setup::{GitSetup, local_forge};

pub fn skill(cli: &Options, registry: &Registry, command: SkillCommand) -> Result<ExitCode> {
    let (SkillCommand::New { propose, .. } | SkillCommand::Regenerate { propose, .. }) = &command;
    let git = GitSetup::open(&propose.path, cli, registry)?;
    let registry = &git.registry;
    let default_branch = git.default_branch()?;
    let forge = local_forge(&git, &default_branch)?;
    let bot = git.bot(registry, &forge, default_branch);
    let options = RunOptions {
        dry_run: propose.dry_run,
        checks: !propose.no_checks,
        ..RunOptions::default()
    };
    let report = match &command {
        SkillCommand::New {
            name, description, ..
        } => generated::skill_new(&bot, name, description, &options)?,
        SkillCommand::Regenerate { name, .. } => generated::skill_regenerate(&bot, name, &options)?,
    };
    print(&report.to_text())?;
    Ok(ExitCode::SUCCESS)
}
