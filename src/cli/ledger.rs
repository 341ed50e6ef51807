//! `pulls` and `ledger`: what the ledger holds, for people and scripts.

use std::process::ExitCode;

use anyhow::Result;

use patchwright::engine::skills::Registry;
use patchwright::store::ledger::{Ledger, Proposal, State};
use patchwright::vocab::git_names::CommitSha;

use crate::cli::args::{LedgerCommand, ListFormat, Options, PullsArgs};
use crate::cli::output::{pretty, print};
use crate::cli::setup::GitSetup;

pub fn pulls(cli: &Options, registry: &Registry, args: PullsArgs) -> Result<ExitCode> {
    let PullsArgs { path, format, .. } = args;
    let git = GitSetup::fetched(&path, cli, registry)?;
    let (ledger, _) = git.store().read()?;
    let out = match format {
        ListFormat::Json => pretty(&ledger.proposals.values().collect::<Vec<_>>())?,
        ListFormat::Text => pulls_text(&ledger),
    };
    print(&out)?;
    Ok(ExitCode::SUCCESS)
}

pub fn ledger(cli: &Options, registry: &Registry, command: LedgerCommand) -> Result<ExitCode> {
    match command {
        LedgerCommand::Show { path, json, .. } => {
            let git = GitSetup::fetched(&path, cli, registry)?;
            let store = git.store();
            let (ledger, commit) = store.read()?;
            let out = if json {
                ledger.to_json()
            } else {
                ledger_summary(&ledger, commit.as_ref(), store.refname())
            };
            print(&out)?;
            Ok(ExitCode::SUCCESS)
        }
        LedgerCommand::Log {
            path, max_count, ..
        } => {
            let git = GitSetup::fetched(&path, cli, registry)?;
            let mut out = String::new();
            for entry in git.store().log(max_count)? {
                let first = entry.message.lines().next().unwrap_or("");
                out.push_str(&format!(
                    "{}  {}  {first}\n",
                    entry.commit.short(),
                    entry.at
                ));
            }
            print(&out)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub fn pulls_text(ledger: &Ledger) -> String {
    if ledger.proposals.is_empty() {
        return "no proposals yet\n".into();
    }
    let mut rows: Vec<&Proposal> = ledger.proposals.values().collect();
    rows.sort_by_key(|p| (p.state(), std::cmp::Reverse(p.last_update())));
    let mut out = String::new();
    for p in rows {
        let last = p
            .outcomes
            .last()
            .map(|e| format!("{} {}", e.outcome.label(), e.at))
            .unwrap_or_default();
        let pull = p
            .pull
            .as_ref()
            .map(|r| format!("  {r}"))
            .unwrap_or_default();
        out.push_str(&format!(
            "{:<8} {}  {}{pull}\n         {}  (last: {last})\n",
            p.state().to_string(),
            p.branch,
            p.title,
            p.id
        ));
    }
    out
}

pub fn ledger_summary(ledger: &Ledger, commit: Option<&CommitSha>, refname: &str) -> String {
    let Some(commit) = commit else {
        return format!("no ledger yet at {refname}: `patchwright run` writes the first one\n");
    };
    let count = |state: State| {
        ledger
            .proposals
            .values()
            .filter(|p| p.state() == state)
            .count()
    };
    let mut out = format!(
        "ledger at {refname} ({}), format {}\n",
        commit.short(),
        ledger.version
    );
    out.push_str(&format!(
        "proposals: {} open, {} merged, {} closed, {} reverted\n",
        count(State::Open),
        count(State::Merged),
        count(State::Closed),
        count(State::Reverted)
    ));
    out.push_str(&format!(
        "rejected fingerprints: {}\n",
        ledger.rejected.len()
    ));
    for (skill, hold) in &ledger.paused {
        out.push_str(&format!(
            "paused: {skill} by {} at {} ({})\n",
            hold.by, hold.at, hold.reason
        ));
    }
    match &ledger.stopped {
        Some(hold) => out.push_str(&format!(
            "stopped by {} at {} ({})\n",
            hold.by, hold.at, hold.reason
        )),
        None => out.push_str("running\n"),
    }
    if let Some(scan) = &ledger.last_scan {
        out.push_str(&format!("last scan: {scan}\n"));
    }
    out
}
