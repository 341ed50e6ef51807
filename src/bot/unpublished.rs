//! Proposals recorded but not yet published. A run writes a proposal's
//! ledger entry before it pushes the branch, so no branch is ever unknown
//! to the ledger; a run that stopped in between leaves an entry without a
//! pull request, and the next run finishes it (the branch is there: its
//! pull request is opened from the commit) or drops it (nothing was
//! pushed: the fixes are planned again), and says which.

use crate::bot::context::{Bot, CycleError};
use crate::bot::run::{Opened, RunReport};
use crate::engine::edit;
use crate::forge::PullDraft;
use crate::store::ledger::{Proposal, ProposalId, PullRef};
use crate::vocab::git_names::CommitSha;
use crate::vocab::ids::SkillId;

/// The labels of a proposal's pull request.
pub fn labels(skill: &SkillId) -> Vec<String> {
    vec!["patchwright".into(), format!("patchwright:{skill}")]
}

/// The title and body of a proposal from its commit message: the first
/// line, and what follows up to the `Patchwright-` trailers.
pub fn title_and_body(message: &str) -> (&str, &str) {
    let (title, rest) = message.split_once('\n').unwrap_or((message, ""));
    let body = rest
        .find("\nPatchwright-Skill: ")
        .map_or(rest, |end| &rest[..end]);
    (title.trim(), body.trim_matches('\n'))
}

/// Finishes or drops every proposal a stopped run recorded but did not
/// publish.
pub fn heal(bot: &Bot<'_>, report: &mut RunReport) -> Result<(), CycleError> {
    let (ledger, _) = bot.store().read()?;
    let unpublished: Vec<Proposal> = ledger
        .open_proposals()
        .filter(|p| p.pull.is_none())
        .cloned()
        .collect();
    for proposal in unpublished {
        let id = proposal.id.clone();
        let Some(tip) = bot.repo.branch_tip(&proposal.branch)? else {
            drop_entry(bot, &id, "never pushed")?;
            report.warnings.push(format!(
                "{}: a run stopped before pushing it; its fixes are planned again",
                proposal.branch
            ));
            continue;
        };
        // Entries written before bodies were kept carry it in the commit.
        let message = bot.repo.message(&tip)?;
        let (title, body) = match &proposal.body {
            Some(body) => (proposal.title.as_str(), body.as_str()),
            None => title_and_body(&message),
        };
        let pull = bot.forge.open_pull(&PullDraft {
            branch: &proposal.branch,
            base: &bot.default_branch,
            title,
            body,
            labels: labels(&proposal.skill),
        })?;
        record_pull(bot, &id, &pull, &tip)?;
        report.opened.push(Opened {
            id,
            branch: proposal.branch.clone(),
            title: title.to_owned(),
            files: proposal.files.len(),
            changed_lines: changed_lines(bot, &proposal, &tip)?,
            adopted: true,
            added: None,
            failure: None,
            checks: None,
            pull: Some(pull),
        });
    }
    Ok(())
}

/// Added plus removed lines of the proposal's files from its base to `head`.
fn changed_lines(
    bot: &Bot<'_>,
    proposal: &Proposal,
    head: &CommitSha,
) -> Result<usize, CycleError> {
    let mut total = 0;
    for path in &proposal.files {
        let text = |commit: &CommitSha| -> Result<String, CycleError> {
            let bytes = bot.repo.read_file(commit, path)?.unwrap_or_default();
            Ok(String::from_utf8_lossy(&bytes).into_owned())
        };
        total += edit::changed_lines(&text(&proposal.base)?, &text(head)?);
    }
    Ok(total)
}

/// Removes a proposal the ledger knows but nobody saw published.
pub fn drop_entry(bot: &Bot<'_>, id: &ProposalId, why: &str) -> Result<(), CycleError> {
    let event = format!("drop {id}: {why}");
    bot.store().update(&|l| {
        let unpublished = l.proposals.get(id).is_some_and(|p| p.pull.is_none());
        Ok(unpublished
            .then(|| l.proposals.remove(id))
            .flatten()
            .map(|_| event.clone()))
    })?;
    Ok(())
}

/// Records that a proposal's pull request is open, on `head`.
pub fn record_pull(
    bot: &Bot<'_>,
    id: &ProposalId,
    pull: &PullRef,
    head: &CommitSha,
) -> Result<(), CycleError> {
    let event = match pull.number {
        Some(n) => format!("open {id} as #{n}"),
        None => format!("open {id}"),
    };
    bot.store().update(&|l| {
        let Some(p) = l.proposals.get_mut(id) else {
            return Ok(None);
        };
        if p.pull.as_ref() == Some(pull) && p.head == *head && p.body.is_none() {
            return Ok(None);
        }
        p.pull = Some(pull.clone());
        // Published: the pull request holds the text now.
        p.body = None;
        p.head = head.clone();
        Ok(Some(event.clone()))
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_and_body_come_back_from_the_commit_message() {
        let message = "Use `is_empty()`\n\nFound:\n\n- a\n\nPatchwright-Skill: len-zero\nPatchwright-Proposal: len-zero/1\n";
        assert_eq!(
            title_and_body(message),
            ("Use `is_empty()`", "Found:\n\n- a")
        );
        assert_eq!(title_and_body("only a title"), ("only a title", ""));
    }
}
