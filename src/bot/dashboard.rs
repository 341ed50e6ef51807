//! The dashboard issue: open proposals, what waits and why, paused skills,
//! warnings, what is ignored, the pace and each skill's record, rewritten
//! from the ledger and the last run's report.

use crate::bot::commands::command;
use crate::bot::context::{Bot, CycleError};
use crate::bot::memory;
use crate::bot::run::RunReport;
use crate::policy::learn;
use crate::policy::pace;
use crate::report::templates::{self, Dashboard, OpenRow};
use crate::store::ledger::{Outcome, Proposal};
use crate::vocab::time::Timestamp;

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
        ignored: memory::folded(&ledger, Timestamp::now()),
        pace: pace::describe(&pace::limit(&ledger, &bot.config.limits)),
        skills: learn::stats(&ledger)
            .iter()
            .map(|(skill, s)| learn::insight(skill, s, ledger.paused.contains_key(skill)))
            .collect(),
        help: command::help(&bot.config.commands.prefix),
        prefix: &bot.config.commands.prefix,
    });
    bot.forge.upsert_dashboard("patchwright dashboard", &body)?;
    Ok(())
}
