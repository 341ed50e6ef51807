//! Learning from outcomes: per-skill statistics, an acceptance score that
//! ranks proposals, and automatic pauses for skills maintainers keep
//! rejecting; and what a close or a revert means for a proposal's findings.
//! Pure functions over the ledger.
//!
//! The score is the lower bound of the 95% Wilson interval of merged out of
//! decided proposals (merged, closed or reverted; a revert is a rejection,
//! and so is an open proposal a reviewer asked to change). With little
//! history the interval is wide, so a new skill is neither trusted nor
//! condemned early; a skill with no history ranks as neutral.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::config::LearningConfig;
use crate::policy::plan::NEUTRAL_SCORE;
use crate::store::ledger::{CloseKind, Ledger, Outcome, Proposal, Rejection, State};
use crate::vocab::git_names::CommitSha;
use crate::vocab::ids::SkillId;
use crate::vocab::time::Timestamp;

/// What became of one skill's proposals.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SkillStats {
    pub proposed: usize,
    pub open: usize,
    pub ci_passed: usize,
    pub ci_failed: usize,
    pub merged: usize,
    pub closed: usize,
    /// Closed as "the fix is wrong".
    pub wrong: usize,
    /// Closed as "not now".
    pub later: usize,
    /// What the closes weigh against the skill (see [`CloseKind::weight`]).
    pub close_weight: usize,
    pub reverted: usize,
    /// Open proposals a reviewer asked to change.
    pub changes_requested_open: usize,
    pub median_hours_to_merge: Option<f64>,
}

impl SkillStats {
    /// Merged, closed or reverted.
    pub fn decided(&self) -> usize {
        self.merged + self.closed + self.reverted
    }

    /// What counts against the skill: "wrong" twice, "not now" and closes
    /// of the bot's own not at all.
    pub fn rejections(&self) -> usize {
        self.close_weight + self.reverted + self.changes_requested_open
    }

    /// The 95% Wilson interval of the acceptance rate, once anything counts.
    pub fn interval(&self) -> Option<(f64, f64)> {
        wilson(self.merged, self.merged + self.rejections())
    }

    /// The ranking score: the interval's lower bound, neutral without history.
    pub fn score(&self) -> f64 {
        self.interval().map_or(NEUTRAL_SCORE, |(lower, _)| lower)
    }
}

/// The 95% Wilson score interval of `successes` out of `n`.
pub fn wilson(successes: usize, n: usize) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    const Z: f64 = 1.96;
    let n = n as f64;
    let p = successes as f64 / n;
    let z2 = Z * Z;
    let denominator = 1.0 + z2 / n;
    let centre = p + z2 / (2.0 * n);
    let margin = Z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some((
        ((centre - margin) / denominator).clamp(0.0, 1.0),
        ((centre + margin) / denominator).clamp(0.0, 1.0),
    ))
}

/// Statistics per skill over the proposals opened after `since(skill)`.
pub fn stats_since(
    ledger: &Ledger,
    since: &dyn Fn(&SkillId) -> Option<Timestamp>,
) -> BTreeMap<SkillId, SkillStats> {
    let mut out: BTreeMap<SkillId, SkillStats> = BTreeMap::new();
    let mut merge_hours: BTreeMap<SkillId, Vec<f64>> = BTreeMap::new();
    for p in ledger.proposals.values() {
        let opened = opened_at(p);
        if let (Some(from), Some(opened)) = (since(&p.skill), opened)
            && opened <= from
        {
            continue;
        }
        let s = out.entry(p.skill.clone()).or_default();
        s.proposed += 1;
        let has = |f: fn(&Outcome) -> bool| p.outcomes.iter().any(|e| f(&e.outcome));
        if has(|o| matches!(o, Outcome::ChecksPassed { .. })) {
            s.ci_passed += 1;
        }
        if has(|o| matches!(o, Outcome::ChecksFailed { .. })) {
            s.ci_failed += 1;
        }
        match p.state() {
            State::Open => {
                s.open += 1;
                if has(|o| matches!(o, Outcome::ChangesRequested { .. })) {
                    s.changes_requested_open += 1;
                }
            }
            State::Merged => {
                s.merged += 1;
                let merged = p
                    .outcomes
                    .iter()
                    .find_map(|e| matches!(e.outcome, Outcome::Merged { .. }).then_some(e.at));
                if let (Some(o), Some(m)) = (opened, merged) {
                    merge_hours
                        .entry(p.skill.clone())
                        .or_default()
                        .push((m.0 - o.0) as f64 / 3600.0);
                }
            }
            State::Closed => {
                s.closed += 1;
                let kind = p
                    .outcomes
                    .iter()
                    .rev()
                    .find_map(|e| match &e.outcome {
                        Outcome::Closed { why, .. } => Some(why.unwrap_or(CloseKind::Unwanted)),
                        _ => None,
                    })
                    .unwrap_or(CloseKind::Unwanted);
                s.close_weight += kind.weight();
                match kind {
                    CloseKind::Wrong => s.wrong += 1,
                    CloseKind::Later => s.later += 1,
                    _ => {}
                }
            }
            State::Reverted => s.reverted += 1,
        }
    }
    for (skill, mut hours) in merge_hours {
        hours.sort_by(f64::total_cmp);
        let median = if hours.len() % 2 == 1 {
            hours[hours.len() / 2]
        } else {
            (hours[hours.len() / 2 - 1] + hours[hours.len() / 2]) / 2.0
        };
        if let Some(s) = out.get_mut(&skill) {
            s.median_hours_to_merge = Some(median);
        }
    }
    out
}

/// Statistics per skill over all its proposals.
pub fn stats(ledger: &Ledger) -> BTreeMap<SkillId, SkillStats> {
    stats_since(ledger, &|_| None)
}

/// The score of each skill, counting only what was decided since a person
/// last resumed it.
pub fn scores(ledger: &Ledger) -> BTreeMap<SkillId, f64> {
    stats_since(ledger, &|skill| ledger.resumed.get(skill).map(|h| h.at))
        .into_iter()
        .map(|(skill, s)| (skill, s.score()))
        .collect()
}

fn opened_at(p: &Proposal) -> Option<Timestamp> {
    p.outcomes
        .iter()
        .find(|e| matches!(e.outcome, Outcome::Opened))
        .map(|e| e.at)
}

/// Skills to pause now: enough decided proposals since their last manual
/// resume, and even the optimistic end of the interval is below the bar.
pub fn pauses_due(ledger: &Ledger, config: &LearningConfig) -> Vec<(SkillId, String)> {
    stats_since(ledger, &|skill| ledger.resumed.get(skill).map(|h| h.at))
        .into_iter()
        .filter(|(skill, _)| !ledger.paused.contains_key(skill))
        .filter_map(|(skill, s)| {
            let (_, upper) = s.interval()?;
            (s.decided() >= config.min_decided && upper < config.min_acceptance).then(|| {
                let reason = format!(
                    "{} of {} decided proposals merged; acceptance is at most {upper:.3}, below learning.min_acceptance ({})",
                    s.merged,
                    s.decided(),
                    config.min_acceptance
                );
                (skill, reason)
            })
        })
        .collect()
}

/// One sentence about a skill: "`question-mark`: 2 of 7 merged; 3 failed CI — paused".
pub fn insight(skill: &SkillId, s: &SkillStats, paused: bool) -> String {
    let mut out = format!("`{skill}`: {} of {} merged", s.merged, s.proposed);
    if s.reverted > 0 {
        let _ = write!(out, "; {} reverted", s.reverted);
    }
    if s.closed > 0 {
        let _ = write!(out, "; {} closed", s.closed);
        let mut kinds = Vec::new();
        if s.wrong > 0 {
            kinds.push(format!("{} as wrong", s.wrong));
        }
        if s.later > 0 {
            kinds.push(format!("{} for later", s.later));
        }
        if !kinds.is_empty() {
            let _ = write!(out, " ({})", kinds.join(", "));
        }
    }
    if s.ci_failed > 0 {
        let _ = write!(out, "; {} failed CI", s.ci_failed);
    }
    if s.open > 0 {
        let _ = write!(out, "; {} open", s.open);
    }
    if paused {
        out.push_str(" — paused");
    }
    out
}

/// The per-skill table and insights, as markdown.
pub fn stats_markdown(ledger: &Ledger) -> String {
    let all = stats(ledger);
    if all.is_empty() {
        return "No proposals yet.\n".into();
    }
    let mut out = String::from(
        "| skill | proposed | merged | closed | reverted | CI passed | CI failed | score | median time to merge |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let scores = scores(ledger);
    for (skill, s) in &all {
        let median = s
            .median_hours_to_merge
            .map_or("–".to_owned(), |h| format!("{h:.1} h"));
        let score = scores.get(skill).copied().unwrap_or(NEUTRAL_SCORE);
        let _ = writeln!(
            out,
            "| `{skill}` | {} | {} | {} | {} | {} | {} | {score:.2} | {median} |",
            s.proposed, s.merged, s.closed, s.reverted, s.ci_passed, s.ci_failed
        );
    }
    out.push('\n');
    for (skill, s) in &all {
        let _ = writeln!(
            out,
            "- {}",
            insight(skill, s, ledger.paused.contains_key(skill))
        );
    }
    for (skill, hold) in &ledger.paused {
        let _ = writeln!(
            out,
            "\n`{skill}` is paused by {} at {}: {}.",
            hold.by, hold.at, hold.reason
        );
    }
    out
}

/// Records that `proposal` was closed for `kind`, and what that means for
/// its findings: "wrong" and "unwanted" reject them for good, "later"
/// until `later_days` have passed; a close by the bot rejects nothing.
pub fn record_close(
    l: &mut Ledger,
    proposal: &Proposal,
    kind: CloseKind,
    by: &str,
    reason: &str,
    now: Timestamp,
    later_days: u64,
) -> bool {
    let id = &proposal.id;
    let outcome = Outcome::Closed {
        reason: Some(reason.to_owned()),
        why: Some(kind),
    };
    let mut changed = l.record(id, outcome, now);
    let until = match kind {
        CloseKind::Wrong | CloseKind::Unwanted => None,
        CloseKind::Later => Some(now.plus_days(later_days)),
        CloseKind::ChecksFailed | CloseKind::Gone => return changed,
    };
    for fp in &proposal.fingerprints {
        if l.rejected.get(fp).is_none_or(|r| !r.holds(now)) {
            l.rejected.insert(
                fp.clone(),
                Rejection {
                    at: now,
                    by: by.to_owned(),
                    reason: format!("closed: {}", kind.describe()),
                    proposal: Some(id.clone()),
                    until,
                },
            );
            changed = true;
        }
    }
    changed
}

/// Records that `proposal` was reverted by `commit`: its outcome becomes
/// `reverted` and its findings are rejected (by the person who asked, or
/// the bot); returns whether anything changed.
pub fn record_reverted(
    l: &mut Ledger,
    proposal: &Proposal,
    commit: &CommitSha,
    by: &str,
    now: Timestamp,
) -> bool {
    let id = &proposal.id;
    let mut changed = l.record(id, Outcome::Reverted { by: commit.clone() }, now);
    for fp in &proposal.fingerprints {
        if !l.rejected.contains_key(fp) {
            l.rejected.insert(
                fp.clone(),
                Rejection {
                    at: now,
                    by: by.to_owned(),
                    reason: format!("proposal {id} was reverted"),
                    proposal: Some(id.clone()),
                    until: None,
                },
            );
            changed = true;
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ledger::{Hold, OutcomeEntry, ProposalId};
    use crate::vocab::git_names::CommitSha;
    use crate::vocab::ids::Fingerprint;
    use std::collections::BTreeSet;

    fn sha() -> CommitSha {
        "0123456789abcdef0123456789abcdef01234567".parse().unwrap()
    }

    /// Adds a proposal of `skill` opened at `at` with these later outcomes.
    fn add(ledger: &mut Ledger, skill: &str, at: i64, outcomes: &[Outcome]) {
        let n = ledger.proposals.len() as u32;
        let fp: Fingerprint = format!("{n:016x}").parse().unwrap();
        let skill = SkillId::new(skill).unwrap();
        let id = ProposalId::new(&skill, &BTreeSet::from([fp.clone()]));
        let mut entries = vec![OutcomeEntry {
            at: Timestamp(at),
            outcome: Outcome::Opened,
        }];
        entries.extend(outcomes.iter().enumerate().map(|(i, o)| OutcomeEntry {
            at: Timestamp(at + 3600 * (i as i64 + 1)),
            outcome: o.clone(),
        }));
        ledger.proposals.insert(
            id.clone(),
            Proposal {
                branch: id.branch(),
                id,
                skill,
                package: String::new(),
                title: String::new(),
                fingerprints: BTreeSet::from([fp]),
                files: vec![],
                base: sha(),
                head: sha(),
                pull: None,
                body: None,
                outcomes: entries,
            },
        );
    }

    fn merged() -> Outcome {
        Outcome::Merged { commit: sha() }
    }

    fn closed() -> Outcome {
        Outcome::Closed {
            reason: None,
            why: None,
        }
    }

    fn closed_as(why: CloseKind) -> Outcome {
        Outcome::Closed {
            reason: None,
            why: Some(why),
        }
    }

    #[test]
    fn wilson_intervals() {
        assert_eq!(wilson(0, 0), None);
        let (lo, hi) = wilson(10, 10).unwrap();
        assert!(
            (lo - 0.722).abs() < 0.001 && (hi - 1.0).abs() < 1e-9,
            "{lo} {hi}"
        );
        let (lo, hi) = wilson(0, 10).unwrap();
        assert!(lo.abs() < 1e-9 && (hi - 0.278).abs() < 0.001, "{lo} {hi}");
        let (lo, hi) = wilson(5, 10).unwrap();
        assert!(
            (lo - 0.237).abs() < 0.001 && (hi - 0.763).abs() < 0.001,
            "{lo} {hi}"
        );
    }

    #[test]
    fn outcomes_give_statistics_and_scores() {
        let mut l = Ledger::default();
        add(
            &mut l,
            "len-zero",
            0,
            &[Outcome::ChecksPassed { commit: sha() }, merged()],
        );
        add(&mut l, "len-zero", 0, &[merged()]);
        add(
            &mut l,
            "len-zero",
            0,
            &[
                Outcome::ChecksFailed {
                    commit: sha(),
                    names: vec![],
                    tail: None,
                },
                closed(),
            ],
        );
        add(
            &mut l,
            "len-zero",
            0,
            &[merged(), Outcome::Reverted { by: sha() }],
        );
        add(
            &mut l,
            "len-zero",
            0,
            &[Outcome::ChangesRequested { by: "ana".into() }],
        );
        add(&mut l, "len-zero", 0, &[]);
        let s = &stats(&l)[&SkillId::new("len-zero").unwrap()];
        assert_eq!(
            (
                s.proposed,
                s.merged,
                s.closed,
                s.reverted,
                s.open,
                s.ci_passed,
                s.ci_failed,
                s.changes_requested_open
            ),
            (6, 2, 1, 1, 2, 1, 1, 1)
        );
        assert_eq!(s.decided(), 4);
        // 2 merged against 3 rejections (closed, reverted, changes requested).
        assert_eq!(s.interval(), wilson(2, 5));
        assert_eq!(s.median_hours_to_merge, Some(1.5));
        insta::assert_snapshot!(insight(&SkillId::new("len-zero").unwrap(), s, true), @"`len-zero`: 2 of 6 merged; 1 reverted; 1 closed; 1 failed CI; 2 open — paused");
    }

    #[test]
    fn wrong_counts_more_than_unwanted_and_later_not_at_all() {
        let score = |why: CloseKind| {
            let mut l = Ledger::default();
            add(&mut l, "s", 0, &[merged()]);
            add(&mut l, "s", 0, &[merged()]);
            add(&mut l, "s", 0, &[closed_as(why)]);
            stats(&l)[&SkillId::new("s").unwrap()].score()
        };
        let (wrong, unwanted, later) = (
            score(CloseKind::Wrong),
            score(CloseKind::Unwanted),
            score(CloseKind::Later),
        );
        assert!(
            wrong < unwanted && unwanted < later,
            "{wrong} {unwanted} {later}"
        );
        assert_eq!(later, wilson(2, 2).unwrap().0);
        let mut l = Ledger::default();
        add(&mut l, "s", 0, &[closed()]);
        add(&mut l, "s", 0, &[closed_as(CloseKind::Unwanted)]);
        let s = &stats(&l)[&SkillId::new("s").unwrap()];
        assert_eq!(s.rejections(), 2, "a bare close counts as unwanted");
    }

    #[test]
    fn a_skill_without_history_is_neutral_and_ranks_between() {
        let mut l = Ledger::default();
        for _ in 0..6 {
            add(&mut l, "good", 0, &[merged()]);
            add(&mut l, "bad", 0, &[closed()]);
        }
        let scores = scores(&l);
        let good = scores[&SkillId::new("good").unwrap()];
        let bad = scores[&SkillId::new("bad").unwrap()];
        assert!(good > NEUTRAL_SCORE && NEUTRAL_SCORE > bad, "{good} {bad}");
        assert_eq!(SkillStats::default().score(), NEUTRAL_SCORE);
    }

    #[test]
    fn rejected_skills_pause_automatically_and_a_resume_starts_a_new_count() {
        let config = LearningConfig::default();
        let mut l = Ledger::default();
        for i in 0..4 {
            add(&mut l, "noisy", i, &[closed()]);
        }
        assert!(
            pauses_due(&l, &config).is_empty(),
            "4 decided is below min_decided"
        );
        // 0 of 5 still allows an acceptance up to 0.43: not below 0.3 yet.
        add(&mut l, "noisy", 4, &[closed()]);
        assert!(pauses_due(&l, &config).is_empty());
        for i in 5..9 {
            add(&mut l, "noisy", i, &[closed()]);
        }
        let due = pauses_due(&l, &config);
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].0.as_str(), "noisy");
        insta::assert_snapshot!(due[0].1, @"0 of 9 decided proposals merged; acceptance is at most 0.299, below learning.min_acceptance (0.3)");
        // One merge in ten lifts the upper bound above the bar again.
        let mut mixed = l.clone();
        add(&mut mixed, "noisy", 9, &[merged()]);
        assert!(pauses_due(&mixed, &config).is_empty());

        // A person resumes it: only what is decided afterwards counts.
        let skill = SkillId::new("noisy").unwrap();
        let hold = |by: &str| Hold {
            at: Timestamp(100),
            by: by.into(),
            reason: "x".into(),
        };
        l.resumed.insert(skill.clone(), hold("ana"));
        assert!(pauses_due(&l, &config).is_empty());
        // A paused skill is not paused twice.
        l.resumed.clear();
        l.paused.insert(skill, hold("patchwright"));
        assert!(pauses_due(&l, &config).is_empty());
    }
}
