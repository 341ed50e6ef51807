//! What happens to a comment: bots (the bot itself included) are ignored;
//! a commenter without enough access gets a refusal and nothing else
//! changes; otherwise each command runs in order, with 👀 while working and
//! 🚀 or 😕 at the end, and every result goes into one reply. A comment runs
//! at most `commands.max_per_comment` commands, and the ledger changes of
//! its ledger-only commands are one commit.
//!
//! A failure the person can act on is shown as it is; anything else is
//! logged and the reply says it failed unexpectedly.

use super::command::{Command, help};
use super::grammar::{Parsed, explain, parse_comment};
use crate::bot::context::{Bot, CycleError};
use crate::bot::control;
use crate::bot::cycle;
use crate::bot::dashboard;
use crate::bot::events::CommentEvent;
use crate::bot::generated;
use crate::bot::memory;
use crate::bot::refresh;
use crate::bot::run::RunOptions;
use crate::bot::run::RunReport;
use crate::bot::tree_scan;
use crate::bot::watch;
use crate::config::RevertScope;
use crate::forge::Reaction;
use crate::policy::learn;
use crate::policy::watch::Evidence;
use crate::store::ledger::Outcome;
use crate::store::ledger::WatchState;
use crate::store::ledger::{CloseKind, Proposal};
use crate::vocab::ids::SkillId;
use crate::vocab::time::Timestamp;

/// Marks the bot's replies; a comment holding it is never read as commands.
pub const REPLY_MARKER: &str = "<!-- patchwright:reply";

/// What was done with a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    Ignored(&'static str),
    Refused,
    Replied { ok: bool },
}

/// Why one command did not succeed.
enum Failure {
    /// Something the person can act on, shown verbatim.
    User(String),
    Internal(CycleError),
}

impl From<CycleError> for Failure {
    fn from(e: CycleError) -> Self {
        Failure::Internal(e)
    }
}

/// Reads a comment and does what it asks.
pub fn handle(bot: &Bot<'_>, event: &CommentEvent) -> Result<Handled, CycleError> {
    if event.author_is_bot {
        return Ok(Handled::Ignored("comments from bots are not commands"));
    }
    if event.body.contains(REPLY_MARKER) {
        return Ok(Handled::Ignored("patchwright's own reply"));
    }
    let prefix = &bot.config.commands.prefix;
    let mut parsed = parse_comment(&event.body, prefix);
    if parsed.is_empty() {
        return Ok(Handled::Ignored("the comment has no command"));
    }
    let most = bot.config.commands.max_per_comment;
    let too_many = parsed.len().saturating_sub(most);
    parsed.truncate(most);
    let too_many = (too_many > 0).then(|| {
        format!(
            "> …and {too_many} more command {}\n\nIgnored: too many commands in one comment (at most {most}, `commands.max_per_comment`). Ask again for the rest.",
            if too_many == 1 { "line" } else { "lines" }
        )
    });
    let marker = format!("{REPLY_MARKER} {} -->", event.comment_id);
    let permission = bot.forge.permission(&event.author)?;
    let needed = bot.config.commands.min_permission;
    if permission < needed {
        bot.forge.react(event.comment_id, Reaction::Confused)?;
        let mut quoted: Vec<String> = parsed.iter().map(|p| quote(&p.line)).collect();
        if too_many.is_some() {
            quoted.push("> …".into());
        }
        let reply = format!(
            "{marker}\n{}\n\n@{} has `{permission}` access to this repository; commands need `{needed}`. Nothing was done.\n",
            quoted.join("\n"),
            event.author
        );
        bot.forge.comment_on(event.number, &reply)?;
        return Ok(Handled::Refused);
    }

    bot.forge.react(event.comment_id, Reaction::Eyes)?;
    // The ledger and branches as they are on the remote, not as checked out.
    bot.repo.fetch()?;
    let mut sections = Vec::new();
    let mut ok = too_many.is_none();
    for Parsed { line, command } in &parsed {
        // Commands that only change the ledger are gathered into one commit;
        // any other command first writes what was gathered.
        let batched = command.as_ref().is_ok_and(Command::only_changes_the_ledger);
        if !batched {
            bot.store().flush()?;
            bot.batch.close();
        } else {
            bot.batch.open();
        }
        let text = match command {
            Err(e) => {
                ok = false;
                explain(e, prefix)
            }
            Ok(command) => match execute(bot, event, command) {
                Ok(text) => text,
                Err(Failure::User(text)) => {
                    ok = false;
                    text
                }
                Err(Failure::Internal(e)) => {
                    ok = false;
                    tracing::error!("`{line}` on #{} failed: {e}", event.number);
                    "This failed unexpectedly; the details are in the log of the workflow run."
                        .into()
                }
            },
        };
        sections.push(format!("{}\n\n{}", quote(line), text.trim_end()));
    }
    bot.store().flush()?;
    bot.batch.close();
    sections.extend(too_many);
    let reply = format!("{marker}\n{}\n", sections.join("\n\n"));
    bot.forge.comment_on(event.number, &reply)?;
    bot.forge.react(
        event.comment_id,
        if ok {
            Reaction::Rocket
        } else {
            Reaction::Confused
        },
    )?;
    Ok(Handled::Replied { ok })
}

/// A command line quoted in the reply (as code, so it cannot run again).
fn quote(line: &str) -> String {
    let ticks = if line.contains('`') { "``" } else { "`" };
    format!("> {ticks}{line}{ticks}")
}

fn execute(bot: &Bot<'_>, event: &CommentEvent, command: &Command) -> Result<String, Failure> {
    let by = event.author.as_str();
    let on_pull = || -> Result<Proposal, Failure> {
        let (ledger, _) = bot.store().read().map_err(CycleError::from)?;
        ledger
            .proposals
            .values()
            .find(|p| p.pull.as_ref().and_then(|r| r.number) == Some(event.number))
            .cloned()
            .ok_or_else(|| {
                let (usage, _) = command.describe();
                let name: Vec<&str> = usage
                    .split(' ')
                    .take_while(|w| !w.starts_with(['[', '<']))
                    .collect();
                Failure::User(format!(
                    "`{}` works on patchwright's pull requests; #{} is not one of them.",
                    name.join(" "),
                    event.number
                ))
            })
    };
    let known = |skill: &SkillId| -> Result<(), Failure> {
        if bot.registry.get(skill.as_str()).is_some() {
            Ok(())
        } else {
            Err(Failure::User(format!(
                "There is no skill `{skill}`; the skills are: {}.",
                bot.registry.ids().join(", ")
            )))
        }
    };
    Ok(match command {
        Command::Help => help(&bot.config.commands.prefix),
        Command::Scan => tree_scan::scan_summary(bot)?,
        Command::Run => {
            let report = cycle::run(
                bot,
                &RunOptions {
                    checks: false,
                    ..RunOptions::default()
                },
            )?;
            dashboard::update_dashboard(bot, &report)?;
            report.to_markdown()
        }
        Command::Fix { skill, path } => {
            known(skill)?;
            let options = RunOptions {
                checks: false,
                requested: vec![skill.clone()],
                only_path: path.clone(),
                ..RunOptions::default()
            };
            let report = cycle::run(bot, &options)?;
            dashboard::update_dashboard(bot, &report)?;
            if report.opened.is_empty() {
                let held: Vec<String> = report
                    .held_back
                    .iter()
                    .map(|(why, n)| format!("{n} because {why}"))
                    .collect();
                return Err(Failure::User(if held.is_empty() {
                    format!(
                        "`{skill}` has nothing to fix{}.",
                        path.as_ref()
                            .map(|p| format!(" under `{p}`"))
                            .unwrap_or_default()
                    )
                } else {
                    format!("Nothing proposed for `{skill}`: {}.", held.join("; "))
                }));
            }
            report.opened_markdown()
        }
        Command::Recreate => {
            let proposal = on_pull()?;
            refresh::recreate(bot, &proposal.id).map_err(|e| match e {
                CycleError::Other(text) => Failure::User(text),
                other => Failure::Internal(other),
            })?
        }
        Command::Ignore { why } => {
            let proposal = on_pull()?;
            if !proposal.is_open() {
                return Err(Failure::User(format!(
                    "#{} is already {}; nothing to close.",
                    event.number,
                    proposal.state()
                )));
            }
            control::reject_proposal(bot, &proposal, *why, by)?;
            let n = proposal.fingerprints.len();
            let findings = if n == 1 { "finding" } else { "findings" };
            match why {
                CloseKind::Later => format!(
                    "Closed for later: its {n} {findings} may be proposed again after {} days.",
                    bot.config.learning.later_days
                ),
                CloseKind::Wrong => format!(
                    "Closed as a wrong fix: its {n} {findings} will not be proposed again, and `{}` counts it twice against its score.",
                    proposal.skill
                ),
                _ => format!("Closed: its {n} {findings} will not be proposed again."),
            }
        }
        Command::Explain => {
            let proposal = on_pull()?;
            memory::explain(bot.repo, bot.config, bot.registry, &bot.store(), &proposal)?
        }
        Command::Ignored => {
            let (ledger, _) = bot.store().read().map_err(CycleError::from)?;
            memory::ignored_within(&ledger, Timestamp::now(), memory::ROWS_SHOWN)
        }
        Command::Unignore { target } => {
            let done = memory::unignore(&bot.store(), bot.registry, target, by)?;
            let text = done.text(bot.registry);
            if done.is_error() {
                return Err(Failure::User(text));
            }
            text
        }
        Command::IgnoreSkill => {
            let proposal = on_pull()?;
            let reason = format!("asked on #{}", event.number);
            if control::pause(&bot.store(), &proposal.skill, by, &reason)? {
                format!(
                    "Paused `{}`: no new proposals from it until `resume {}`.",
                    proposal.skill, proposal.skill
                )
            } else {
                format!("`{}` was already paused.", proposal.skill)
            }
        }
        Command::Pause { skill } => {
            known(skill)?;
            let reason = format!("asked on #{}", event.number);
            if control::pause(&bot.store(), skill, by, &reason)? {
                format!("Paused `{skill}`.")
            } else {
                format!("`{skill}` was already paused.")
            }
        }
        Command::Resume { skill: Some(skill) } => {
            known(skill)?;
            if control::unpause(&bot.store(), skill, by)? {
                format!("Resumed `{skill}`.")
            } else {
                format!("`{skill}` was not paused.")
            }
        }
        Command::Resume { skill: None } => {
            if control::resume(&bot.store(), by)? {
                "Resumed: the next run proposes again.".into()
            } else {
                "patchwright was not stopped.".into()
            }
        }
        Command::Stop => {
            let reason = format!("asked on #{}", event.number);
            if control::stop(&bot.store(), by, &reason)? {
                "Stopped: runs only record outcomes until `resume`.".into()
            } else {
                "patchwright was already stopped.".into()
            }
        }
        Command::Stats => {
            let (ledger, _) = bot.store().read().map_err(CycleError::from)?;
            learn::stats_markdown(&ledger)
        }
        Command::Revert { number } => revert(bot, event, number.unwrap_or(event.number))?,
        Command::SkillNew { name, description } => {
            let report = generated::skill_new(bot, name, description, &RunOptions::default())
                .map_err(|e| match e {
                    CycleError::Scaffold(e) => {
                        Failure::User(format!("{}.", e.to_string().trim_end_matches('.')))
                    }
                    other => Failure::Internal(other),
                })?;
            report.to_markdown()
        }
    })
}

/// `revert [<number>]`: a maintainer asks for a revert now.
fn revert(bot: &Bot<'_>, event: &CommentEvent, number: u64) -> Result<String, Failure> {
    let (ledger, _) = bot.store().read().map_err(CycleError::from)?;
    let proposal = ledger
        .proposals
        .values()
        .find(|p| p.pull.as_ref().and_then(|r| r.number) == Some(number))
        .cloned();
    let merge = match &proposal {
        Some(p) => p
            .outcomes
            .iter()
            .find_map(|e| match &e.outcome {
                Outcome::Merged { commit } => Some(commit.clone()),
                _ => None,
            })
            .ok_or_else(|| {
                Failure::User(format!(
                    "#{number} is not merged; there is nothing to revert."
                ))
            })?,
        None => {
            if bot.config.revert.scope != RevertScope::Any {
                return Err(Failure::User(format!(
                    "#{number} is not one of patchwright's pull requests; reverting it needs `revert.scope: any` in the configuration."
                )));
            }
            bot.forge
                .merged_pull(number)
                .map_err(CycleError::from)?
                .map(|(sha, _)| sha)
                .ok_or_else(|| Failure::User(format!("#{number} is not a merged pull request.")))?
        }
    };
    if let Some(WatchState::Reverted { commit, pull, .. }) =
        ledger.watch.get(&merge).map(|w| &w.state)
    {
        return Ok(match pull.as_ref().and_then(|p| p.number) {
            Some(n) => format!("#{number} is already reverted by #{n}."),
            None => format!("#{number} is already reverted by {}.", commit.short()),
        });
    }
    let parent = bot
        .repo
        .parents(&merge)
        .map_err(CycleError::from)?
        .into_iter()
        .next()
        .ok_or_else(|| Failure::User(format!("#{number}'s merge has no parent to go back to.")))?;
    let evidence = Evidence {
        red: merge.clone(),
        failing: Vec::new(),
        parent,
        passing: Vec::new(),
        reruns: 0,
        not_rerun: Vec::new(),
    };
    let mut report = RunReport::default();
    let state = watch::revert(
        bot,
        &merge,
        proposal.as_ref(),
        &evidence,
        Some(&event.author),
        &mut report,
    )?;
    if let (Some(state), Some(p)) = (&state, &proposal) {
        watch::record_state(bot, &merge, &p.id, state.clone())?;
    }
    match state {
        Some(WatchState::Reverted { commit, pull, .. }) => {
            Ok(match pull.as_ref().and_then(|p| p.number) {
                Some(n) => format!("Opened #{n} to revert #{number}."),
                None => match pull {
                    Some(_) => format!("Pushed the branch that reverts #{number}."),
                    None => format!(
                        "Pushed {} to `{}`: #{number} is reverted.",
                        commit.short(),
                        bot.default_branch
                    ),
                },
            })
        }
        Some(WatchState::Conflict { paths }) => Err(Failure::User(format!(
            "Reverting #{number} would conflict with later changes in: {}. It needs a person.",
            paths.join(", ")
        ))),
        Some(other) => Err(Failure::User(format!(
            "#{number} was not reverted: {other:?}."
        ))),
        None => Err(Failure::User(format!(
            "`{}` moved while reverting #{number}; ask again.",
            bot.default_branch
        ))),
    }
}
