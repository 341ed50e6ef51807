//! Proposal branches after their pull request is decided: closed by the
//! bot, or merged or closed by a person, a proposal's branch is deleted,
//! unless someone else pushed to it (then it is theirs).

use crate::bot::context::{Bot, CycleError};
use crate::store::ledger::Proposal;

/// Closes the proposal's pull request with `comment` and deletes its branch.
pub fn close(bot: &Bot<'_>, proposal: &Proposal, comment: &str) -> Result<(), CycleError> {
    bot.forge.close_pull(proposal, Some(comment))?;
    delete(bot, proposal)
}

/// Deletes a closed or merged proposal's branch, if it is still where the
/// bot left it; compare-and-swap, so a push in between wins.
pub fn delete(bot: &Bot<'_>, proposal: &Proposal) -> Result<(), CycleError> {
    match bot.repo.branch_tip(&proposal.branch)? {
        Some(tip) if tip == proposal.head => {
            bot.repo.delete_ref(&proposal.branch.refname(), &tip)?;
            tracing::info!("deleted the branch {}", proposal.branch);
        }
        Some(_) => tracing::info!("left {} alone: someone else pushed to it", proposal.branch),
        None => {}
    }
    Ok(())
}
