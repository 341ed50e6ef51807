//! `run` and `event`: the bot's cycle from the command line, and inside
//! GitHub Actions.

use crate::cli::output::note;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result};

use patchwright::bot::context::Bot;
use patchwright::bot::cycle;
use patchwright::bot::dashboard::update_dashboard;
use patchwright::bot::events::{self, Trigger};
use patchwright::bot::on_event::on_trigger;
use patchwright::bot::run::{RunOptions, RunReport};
use patchwright::engine::skills::Registry;
use patchwright::forge::Forge;
use patchwright::forge::github::GitHubForge;
use patchwright::vocab::ids::SkillId;
use patchwright::vocab::secret::redact;

use crate::cli::args::{EventArgs, ForgeKind, Options, RunArgs};
use crate::cli::output::{ScanBar, print};
use crate::cli::setup::{GitSetup, github_forge, local_forge};

pub fn run(cli: &Options, registry: &Registry, args: RunArgs) -> Result<ExitCode> {
    let RunArgs {
        path,
        forge,
        github,
        dry_run,
        no_checks,
        skills,
        ..
    } = args;
    let git = GitSetup::open(&path, cli, registry)?;
    let registry = &git.registry;
    let requested = skills
        .iter()
        .map(|id| {
            registry.get(id).ok_or_else(|| {
                anyhow::anyhow!(
                    "unknown skill `{id}`; known skills are: {} (see `patchwright skills`)",
                    registry.ids().join(", ")
                )
            })?;
            SkillId::new(id).map_err(anyhow::Error::from)
        })
        .collect::<Result<Vec<_>>>()?;
    let options = RunOptions {
        dry_run,
        checks: !no_checks,
        requested,
        ..RunOptions::default()
    };
    let default_branch = git.default_branch()?;
    let bar = ScanBar::new(cli.quiet);
    let report = match forge {
        ForgeKind::Local => {
            let forge = local_forge(&git, &default_branch)?;
            with_bar(git.bot(registry, &forge, default_branch), &bar, &options)?
        }
        ForgeKind::Github => {
            let forge = github_forge(&git, &github)?;
            let report = with_bar(git.bot(registry, &forge, default_branch), &bar, &options);
            log_quota(&forge);
            if let Some(notice) = forge.no_ci() {
                note!("patchwright: {notice}");
            }
            report?
        }
    };
    print(&report.to_text())?;
    crate::cli::gc::keep_within_bound(&git.config, Some(git.repo.git_dir()));
    Ok(ExitCode::SUCCESS)
}

pub fn event(cli: &Options, registry: &Registry, args: EventArgs) -> Result<ExitCode> {
    let EventArgs { path, github, .. } = args;
    let variable = |name: &str| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "{name} is not set or empty: `patchwright event` runs inside GitHub Actions, which sets it"
                )
            })
    };
    let name = variable("GITHUB_EVENT_NAME")?;
    let payload_path = variable("GITHUB_EVENT_PATH")?;
    let payload = std::fs::read_to_string(&payload_path)
        .with_context(|| format!("cannot read the event payload {payload_path}"))?;
    let trigger = events::trigger(&name, &payload).with_context(|| payload_path.clone())?;
    if let Trigger::Ignore(why) = &trigger {
        note!("patchwright: {why}; nothing to do");
        return Ok(ExitCode::SUCCESS);
    }
    let git = GitSetup::open(&path, cli, registry)?;
    let registry = &git.registry;
    let forge = github_forge(&git, &github)?;
    let default_branch = git.default_branch()?;
    let bot = git.bot(registry, &forge, default_branch);
    let summary = on_trigger(&bot, &trigger);
    log_quota(&forge);
    let mut summary = summary?;
    if let Some(notice) = forge.no_ci() {
        note!("patchwright: {notice}");
        // Under the summary's heading, above everything else.
        let (heading, rest) = match summary.split_once('\n') {
            Some((first, rest)) if first.starts_with("## ") => (format!("{first}\n\n"), rest),
            _ => (String::new(), summary.as_str()),
        };
        summary = format!("{heading}> [!WARNING]\n> {notice}\n\n{}", rest.trim_start());
    }
    print(&summary)?;
    write_step_summary(&summary)?;
    Ok(ExitCode::SUCCESS)
}

/// One cycle, and the dashboard after it unless nothing may be written.
/// [`run_once`], with the scan's progress shown on `bar`.
fn with_bar<'a>(mut bot: Bot<'a>, bar: &'a ScanBar, options: &RunOptions) -> Result<RunReport> {
    bot.progress = Some(bar);
    run_once(&bot, options)
}

fn run_once(bot: &Bot<'_>, options: &RunOptions) -> Result<RunReport> {
    let report = cycle::run(bot, options)?;
    if !options.dry_run {
        update_dashboard(bot, &report)?;
    }
    Ok(report)
}

pub fn log_quota(forge: &GitHubForge) {
    if let Some(quota) = forge.quota() {
        note!("patchwright: {quota}");
    }
}

/// Appends to the job summary when Actions provides one.
pub fn write_step_summary(markdown: &str) -> Result<()> {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return Ok(());
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| {
            format!(
                "cannot open the job summary {}",
                PathBuf::from(&path).display()
            )
        })?;
    writeln!(file, "## patchwright\n\n{}", redact(markdown))
        .context("cannot write the job summary")?;
    Ok(())
}
