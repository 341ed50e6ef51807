//! How maintainers steer the bot: stop and resume it, pause and resume a
//! skill, reject findings or a whole proposal. Each is one ledger change
//! (recorded with who asked), and each is idempotent: asking twice changes
//! the ledger once.

use crate::bot::branches;
use crate::bot::context::{Bot, CycleError};
use crate::policy::learn;
use crate::store::ledger::{CloseKind, Hold, Proposal, Rejection};
use crate::store::ledger_store::LedgerStore;
use crate::vocab::ids::{Fingerprint, SkillId};
use crate::vocab::time::Timestamp;

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
    Ok(changed)
}

/// Clears the stop flag.
pub fn resume(store: &LedgerStore<'_>, by: &str) -> Result<bool, CycleError> {
    let event = format!("resume by {by}");
    let changed = store.update(&|l| Ok(l.stopped.take().map(|_| event.clone())))?;
    Ok(changed)
}

/// Which held fixes `retry` lets go.
#[derive(Debug, Clone)]
pub enum Retry {
    /// Those of one proposal whose checks failed.
    Proposal(crate::store::ledger::ProposalId),
    /// Those of a skill's proposals whose checks failed.
    Skill(SkillId),
    /// Every held fix: failed checks, and fixes that did not compile.
    All,
}

/// Forgets that fixes failed (after the environment was fixed, say), so
/// the next run proposes them again though their files have not changed;
/// returns how many.
pub fn retry(store: &LedgerStore<'_>, which: &Retry, by: &str) -> Result<usize, CycleError> {
    let count = std::cell::Cell::new(0);
    store.update(&|l| {
        let skill_of =
            |id: &crate::store::ledger::ProposalId| l.proposals.get(id).map(|p| p.skill.clone());
        let chosen: Vec<Fingerprint> = l
            .failed_fixes
            .iter()
            .filter(|(_, failed)| match which {
                Retry::All => true,
                Retry::Proposal(id) => failed.proposal.as_ref() == Some(id),
                Retry::Skill(skill) => failed
                    .proposal
                    .as_ref()
                    .and_then(skill_of)
                    .is_some_and(|s| s == *skill),
            })
            .map(|(fp, _)| fp.clone())
            .collect();
        count.set(chosen.len());
        if chosen.is_empty() {
            return Ok(None);
        }
        for fp in &chosen {
            l.failed_fixes.remove(fp);
        }
        Ok(Some(format!("retry {} held fixes by {by}", chosen.len())))
    })?;
    Ok(count.get())
}

/// Rejects fingerprints by hand, in one ledger update; returns how many
/// were new.
pub fn ignore(
    store: &LedgerStore<'_>,
    fingerprints: &[Fingerprint],
    by: &str,
    reason: &str,
    until: Option<Timestamp>,
) -> Result<usize, CycleError> {
    let rejection = Rejection {
        at: Timestamp::now(),
        by: by.to_owned(),
        reason: reason.to_owned(),
        proposal: None,
        until,
    };
    let new = std::cell::Cell::new(0);
    store.update(&|l| {
        let fresh: Vec<&Fingerprint> = fingerprints
            .iter()
            .filter(|fp| !l.rejected.contains_key(*fp))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        new.set(fresh.len());
        let event = match fresh.as_slice() {
            [] => return Ok(None),
            [one] => format!("reject {one} by {by}"),
            [first, ..] => format!("reject {first} and {} more by {by}", fresh.len() - 1),
        };
        for fp in &fresh {
            l.rejected.insert((*fp).clone(), rejection.clone());
        }
        Ok(Some(event))
    })?;
    Ok(new.get())
}

/// Lifts a fingerprint's rejection; returns what it was, if there was one.
pub fn unreject(
    store: &LedgerStore<'_>,
    fingerprint: &Fingerprint,
    by: &str,
) -> Result<Option<Rejection>, CycleError> {
    let (ledger, _) = store.read()?;
    let Some(rejection) = ledger.rejected.get(fingerprint).cloned() else {
        return Ok(None);
    };
    let event = format!("unignore {fingerprint} by {by}");
    let changed = store.update(&|l| Ok(l.rejected.remove(fingerprint).map(|_| event.clone())))?;
    Ok(changed.then_some(rejection))
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
    Ok(changed)
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
    Ok(changed)
}

/// Closes a proposal's pull request at a person's request, for `kind`.
pub fn reject_proposal(
    bot: &Bot<'_>,
    proposal: &Proposal,
    kind: CloseKind,
    by: &str,
) -> Result<(), CycleError> {
    let later_days = bot.config.learning.later_days;
    let what = match kind {
        CloseKind::Later => format!("these findings may be proposed again after {later_days} days"),
        _ => "these findings will not be proposed again".to_owned(),
    };
    let comment =
        format!("<!-- patchwright:ignored -->\nClosed at @{by}'s request ({kind}); {what}.");
    branches::close(bot, proposal, &comment)?;
    let now = Timestamp::now();
    let event = format!("outcome closed {} by {by} ({kind})", proposal.id);
    let reason = format!("ignored by {by}");
    bot.store().update(&|l| {
        Ok(
            learn::record_close(l, proposal, kind, by, &reason, now, later_days)
                .then(|| event.clone()),
        )
    })?;
    Ok(())
}
