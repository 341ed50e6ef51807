//! What a GitHub Actions event asks, done: a full run, a sync, one pull
//! request's news, or a comment's commands. Returns the job summary.

use crate::bot::commands::dispatch;
use crate::bot::commands::dispatch::Handled;
use crate::bot::context::{Bot, CycleError};
use crate::bot::cycle;
use crate::bot::dashboard::update_dashboard;
use crate::bot::events::Trigger;
use crate::bot::run::RunOptions;
use crate::bot::run::RunReport;
use crate::bot::sync::{sync, sync_pull};
use crate::bot::watch;

/// The regression watch, unless the bot is stopped (then it only records).
fn watch_unless_stopped(bot: &Bot<'_>, report: &mut RunReport) -> Result<(), CycleError> {
    let (ledger, _) = bot.store().read()?;
    match &ledger.stopped {
        Some(hold) => report.stopped = Some(hold.clone()),
        None => watch::watch(bot, report)?,
    }
    Ok(())
}

/// Does what a GitHub Actions event asks; returns the job summary.
pub fn on_trigger(bot: &Bot<'_>, trigger: &Trigger) -> Result<String, CycleError> {
    match trigger {
        Trigger::Run => {
            let report = cycle::run(
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
            let handled = dispatch::handle(bot, comment)?;
            Ok(match handled {
                Handled::Ignored(why) => {
                    format!("Comment {} ignored: {why}.\n", comment.comment_id)
                }
                Handled::Refused => format!(
                    "Commands from @{} refused: not enough access.\n",
                    comment.author
                ),
                Handled::Replied { ok } => format!(
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
