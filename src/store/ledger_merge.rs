//! Two ledgers that went apart, merged: a repository used both with its
//! remote and without it keeps two histories, and neither may be lost.

use std::collections::BTreeMap;

use super::ledger::{FORMAT_VERSION, Ledger};
use crate::vocab::time::Timestamp;

impl Ledger {
    /// The ledger that knows what both `self` and `other` know, for two
    /// histories that went apart (a repository used both with and without
    /// its remote). Nothing either holds is dropped: proposals and their
    /// outcomes are united, and of two records of one thing the newer wins.
    /// A lifted rejection, pause or stop leaves no trace, so where one side
    /// still has it, it stays: the merged ledger errs on proposing less.
    pub fn merge(&self, other: &Ledger) -> Ledger {
        fn newer<K: Ord + Clone, V: Clone>(
            a: &BTreeMap<K, V>,
            b: &BTreeMap<K, V>,
            at: impl Fn(&V) -> Timestamp,
        ) -> BTreeMap<K, V> {
            let mut out = a.clone();
            for (k, v) in b {
                match out.get(k) {
                    Some(mine) if at(mine) >= at(v) => {}
                    _ => {
                        out.insert(k.clone(), v.clone());
                    }
                }
            }
            out
        }
        let mut proposals = self.proposals.clone();
        for (id, theirs) in &other.proposals {
            let merged = match proposals.get(id) {
                None => theirs.clone(),
                Some(mine) => {
                    let mut base = if theirs.last_update() > mine.last_update() {
                        theirs.clone()
                    } else {
                        mine.clone()
                    };
                    let mut outcomes = mine.outcomes.clone();
                    for entry in &theirs.outcomes {
                        if !outcomes.contains(entry) {
                            outcomes.push(entry.clone());
                        }
                    }
                    outcomes.sort_by_key(|e| e.at);
                    base.outcomes = outcomes;
                    base
                }
            };
            proposals.insert(id.clone(), merged);
        }
        let resumed = newer(&self.resumed, &other.resumed, |h| h.at);
        let mut paused = newer(&self.paused, &other.paused, |h| h.at);
        paused.retain(|skill, hold| resumed.get(skill).is_none_or(|r| r.at < hold.at));
        let mut watch = self.watch.clone();
        for (merge, theirs) in &other.watch {
            let keep_mine = watch
                .get(merge)
                .is_some_and(|mine| !mine.state.is_active() || theirs.state.is_active());
            if !keep_mine {
                watch.insert(merge.clone(), theirs.clone());
            }
        }
        Ledger {
            version: FORMAT_VERSION,
            proposals,
            rejected: newer(&self.rejected, &other.rejected, |r| r.at),
            paused,
            stopped: match (&self.stopped, &other.stopped) {
                (Some(a), Some(b)) => Some(if b.at > a.at { b.clone() } else { a.clone() }),
                (a, b) => a.clone().or_else(|| b.clone()),
            },
            last_scan: self.last_scan.clone().or_else(|| other.last_scan.clone()),
            resumed,
            failed_fixes: newer(&self.failed_fixes, &other.failed_fixes, |f| f.at),
            watch,
            check_cache: newer(&self.check_cache, &other.check_cache, |c| c.at),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::store::ledger::{Hold, Outcome, OutcomeEntry, Proposal, ProposalId, Rejection};
    use crate::vocab::git_names::CommitSha;
    use crate::vocab::ids::{Fingerprint, SkillId};

    fn fp(n: u32) -> Fingerprint {
        format!("{n:016x}").parse().unwrap()
    }

    #[test]
    fn two_histories_merge_without_losing_either() {
        let skill = SkillId::new("len-zero").unwrap();
        let id = ProposalId::new(&skill, &BTreeSet::from([fp(1)]));
        let sha: CommitSha = "0123456789abcdef0123456789abcdef01234567".parse().unwrap();
        let at = |t: i64, outcome: Outcome| OutcomeEntry {
            at: Timestamp(t),
            outcome,
        };
        let proposal = Proposal {
            id: id.clone(),
            skill: skill.clone(),
            package: "demo".into(),
            title: "Use `is_empty()`".into(),
            fingerprints: BTreeSet::from([fp(1)]),
            files: vec!["src/lib.rs".parse().unwrap()],
            branch: id.branch(),
            base: sha.clone(),
            head: sha.clone(),
            pull: None,
            body: None,
            outcomes: vec![at(1, Outcome::Opened)],
        };
        let hold = |t: i64| Hold {
            at: Timestamp(t),
            by: "ana".into(),
            reason: "r".into(),
        };
        let rejection = |t: i64| Rejection {
            at: Timestamp(t),
            by: "ana".into(),
            reason: "no".into(),
            proposal: None,
            until: None,
        };
        let mut local = Ledger::default();
        let mut merged_there = proposal.clone();
        merged_there.outcomes.push(at(
            5,
            Outcome::Merged {
                commit: sha.clone(),
            },
        ));
        local.proposals.insert(id.clone(), merged_there);
        local.rejected.insert(fp(2), rejection(3));
        local.paused.insert(skill.clone(), hold(2));
        local.stopped = Some(hold(4));
        let mut remote = Ledger::default();
        let mut checked_here = proposal.clone();
        checked_here.outcomes.push(at(
            3,
            Outcome::ChecksPassed {
                commit: sha.clone(),
            },
        ));
        remote.proposals.insert(id.clone(), checked_here);
        remote.rejected.insert(fp(3), rejection(1));
        remote.resumed.insert(skill.clone(), hold(6));

        let merged = remote.merge(&local);
        let kinds: Vec<&str> = merged.proposals[&id]
            .outcomes
            .iter()
            .map(|e| e.outcome.label())
            .collect();
        assert_eq!(kinds, ["opened", "checks passed", "merged"]);
        assert_eq!(merged.rejected.len(), 2, "rejections from both sides");
        assert!(merged.paused.is_empty(), "resumed after it was paused");
        assert_eq!(merged.stopped, Some(hold(4)), "a stop is never lost");
        assert_eq!(merged, local.merge(&remote), "the order does not matter");
        assert_eq!(
            merged.merge(&merged),
            merged,
            "merging twice changes nothing"
        );
    }
}
