//! Check results as the bot reads them: from the forge, or — for a forge
//! that runs its check command itself — from the ledger, kept by tree and
//! command, so the same files are never checked twice with the same command
//! (across runs, proposals and their base commits).

use crate::bot::context::{Bot, CycleError};
use crate::forge::ForgeError;
use crate::store::checks::Checks;
use crate::store::ledger::{CachedCheck, Proposal};
use crate::vocab::git_names::{CommitSha, TreeSha};
use crate::vocab::time::Timestamp;

/// How many results the ledger keeps; the oldest go first.
const KEPT: usize = 256;

/// The checks of any commit (a base, a merge on the default branch); `only`
/// names those that decide (empty: the forge's choice).
pub fn of_commit(bot: &Bot<'_>, commit: &CommitSha, only: &[String]) -> Result<Checks, CycleError> {
    cached(bot, commit, || bot.forge.commit_checks(commit, only))
}

/// The checks of a proposal's head.
pub fn of_proposal(bot: &Bot<'_>, proposal: &Proposal) -> Result<Checks, CycleError> {
    cached(bot, &proposal.head, || bot.forge.checks(proposal))
}

/// Keeps a result the forge computed itself outside a lookup (a re-run).
pub fn keep(bot: &Bot<'_>, commit: &CommitSha, checks: &Checks) -> Result<(), CycleError> {
    let Some(command) = bot.forge.own_check() else {
        return Ok(());
    };
    let tree = bot.repo.tree_of(commit)?;
    store(bot, &tree, &command, checks)
}

fn cached(
    bot: &Bot<'_>,
    commit: &CommitSha,
    fetch: impl FnOnce() -> Result<Checks, ForgeError>,
) -> Result<Checks, CycleError> {
    let Some(command) = bot.forge.own_check() else {
        return Ok(fetch()?);
    };
    let tree = bot.repo.tree_of(commit)?;
    let (ledger, _) = bot.store().read()?;
    if let Some(found) = ledger
        .check_cache
        .get(&tree)
        .filter(|c| c.command == command)
    {
        return Ok(found.to_checks());
    }
    let checks = fetch()?;
    store(bot, &tree, &command, &checks)?;
    Ok(checks)
}

fn store(bot: &Bot<'_>, tree: &TreeSha, command: &str, checks: &Checks) -> Result<(), CycleError> {
    let Some(cached) = CachedCheck::from_checks(checks, command, Timestamp::now()) else {
        return Ok(());
    };
    let event = format!(
        "checks {} tree {}",
        if cached.passed { "passed" } else { "failed" },
        tree.short()
    );
    bot.store().update(&|l| {
        if l.check_cache.get(tree) == Some(&cached) {
            return Ok(None);
        }
        l.check_cache.insert(tree.clone(), cached.clone());
        while l.check_cache.len() > KEPT {
            let oldest = l
                .check_cache
                .iter()
                .min_by_key(|(_, c)| c.at)
                .map(|(t, _)| t.clone());
            match oldest {
                Some(t) => l.check_cache.remove(&t),
                None => break,
            };
        }
        Ok(Some(event.clone()))
    })?;
    Ok(())
}
