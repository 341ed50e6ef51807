//! How maintainers steer the bot: stop and resume it, pause and resume a
//! skill, reject findings or a whole proposal. Each is one ledger change
//! (recorded with who asked), and each is idempotent: asking twice changes
//! the ledger once.

use crate::cycle::{Bot, CycleError};
use crate::finding::{Fingerprint, SkillId};
use crate::ledger::{Hold, LedgerStore, Outcome, Proposal, Rejection, Timestamp};

/// Sets the stop flag: runs only sync until `resume`.
pub fn stop(store: &LedgerStore<'_>, by: &str, reason: &str) -> Result<bool, CycleError> {
    let hold = Hold {
        at: Timestamp::now(),
        by: by.to_owned(),
        reason: reason.to_owned(),
    };
    let event = format!("stop by {by}");
    let changed = store.update(&|l| {
        if l.stopped.is_some() {
            return Ok(None);
        }
        l.stopped = Some(hold.clone());
        Ok(Some(event.clone()))
    })?;
    Ok(changed.is_some())
}

/// Clears the stop flag.
pub fn resume(store: &LedgerStore<'_>, by: &str) -> Result<bool, CycleError> {
    let event = format!("resume by {by}");
    let changed = store.update(&|l| Ok(l.stopped.take().map(|_| event.clone())))?;
    Ok(changed.is_some())
}

/// Rejects fingerprints by hand, one ledger update each; returns how many
/// were new.
pub fn ignore(
    store: &LedgerStore<'_>,
    fingerprints: &[Fingerprint],
    by: &str,
    reason: &str,
) -> Result<usize, CycleError> {
    let mut new = 0;
    for fp in fingerprints {
        let rejection = Rejection {
            at: Timestamp::now(),
            by: by.to_owned(),
            reason: reason.to_owned(),
            proposal: None,
        };
        let event = format!("reject {fp} by {by}");
        let changed = store.update(&|l| {
            if l.rejected.contains_key(fp) {
                return Ok(None);
            }
            l.rejected.insert(fp.clone(), rejection.clone());
            Ok(Some(event.clone()))
        })?;
        new += usize::from(changed.is_some());
    }
    Ok(new)
}

/// Pauses a skill: its findings are not proposed until it is resumed.
pub fn pause(
    store: &LedgerStore<'_>,
    skill: &SkillId,
    by: &str,
    reason: &str,
) -> Result<bool, CycleError> {
    let hold = Hold {
        at: Timestamp::now(),
        by: by.to_owned(),
        reason: reason.to_owned(),
    };
    let event = format!("pause {skill} by {by}");
    let changed = store.update(&|l| {
        if l.paused.contains_key(skill) {
            return Ok(None);
        }
        l.paused.insert(skill.clone(), hold.clone());
        Ok(Some(event.clone()))
    })?;
    Ok(changed.is_some())
}

/// Lifts a skill's pause. Learning counts only what is decided from now on,
/// so an automatic pause does not come straight back.
pub fn unpause(store: &LedgerStore<'_>, skill: &SkillId, by: &str) -> Result<bool, CycleError> {
    let event = format!("resume {skill} by {by}");
    let hold = Hold {
        at: Timestamp::now(),
        by: by.to_owned(),
        reason: "resumed".into(),
    };
    let changed = store.update(&|l| {
        if l.paused.remove(skill).is_none() {
            return Ok(None);
        }
        l.resumed.insert(skill.clone(), hold.clone());
        Ok(Some(event.clone()))
    })?;
    Ok(changed.is_some())
}

/// Closes a proposal's pull request at a person's request and rejects its
/// findings for good.
pub fn reject_proposal(bot: &Bot<'_>, proposal: &Proposal, by: &str) -> Result<(), CycleError> {
    let comment = format!(
        "<!-- patchwright:ignored -->\nClosed at @{by}'s request; these findings will not be proposed again."
    );
    bot.forge.close_pull(proposal, Some(&comment))?;
    let id = proposal.id.clone();
    let now = Timestamp::now();
    let event = format!("outcome closed {id} by {by}");
    bot.store().update(&|l| {
        let outcome = Outcome::Closed {
            reason: Some(format!("ignored by {by}")),
        };
        let mut changed = l.record(&id, outcome, now);
        for fp in &proposal.fingerprints {
            if !l.rejected.contains_key(fp) {
                l.rejected.insert(
                    fp.clone(),
                    Rejection {
                        at: now,
                        by: by.to_owned(),
                        reason: format!("ignored on the pull request of {id}"),
                        proposal: Some(id.clone()),
                    },
                );
                changed = true;
            }
        }
        Ok(changed.then(|| event.clone()))
    })?;
    Ok(())
}
