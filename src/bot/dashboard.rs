//! The dashboard issue: open proposals, what waits and why, paused skills,
//! warnings, what is ignored, the pace and each skill's record, rewritten
//! from the ledger and the last run's report.

use crate::bot::commands::command;
use crate::bot::context::{Bot, CycleError};
use crate::bot::memory;
use crate::bot::run::RunReport;
use crate::forge::DASHBOARD_MARKER;
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
        banner: bot.forge.no_ci(),
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
    let body = bounded(&format!("{DASHBOARD_MARKER}\n{body}"));
    bot.forge.upsert_dashboard("patchwright dashboard", &body)?;
    Ok(())
}

/// Below GitHub's 65,536-character limit on bodies, with room to spare.
pub const DASHBOARD_MAX_CHARS: usize = 60_000;

/// `body`, cut at a line within [`DASHBOARD_MAX_CHARS`] when it is longer,
/// saying where the rest can be read.
fn bounded(body: &str) -> String {
    if body.chars().count() <= DASHBOARD_MAX_CHARS {
        return body.to_owned();
    }
    let note = "\n\n… cut here to stay within GitHub's limit on issue bodies; `patchwright ignored` and `patchwright pulls` list everything.\n";
    let budget = DASHBOARD_MAX_CHARS - note.chars().count();
    let end = body
        .char_indices()
        .nth(budget)
        .map_or(body.len(), |(i, _)| i);
    let cut = body[..end].rfind('\n').unwrap_or(end);
    format!("{}{note}", &body[..cut])
}
