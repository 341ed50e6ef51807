//! How many proposals may be open at once. With `limits.max_open_prs: auto`
//! the limit follows the people reviewing: the median time from opening a
//! proposal to a person's decision (merge or close) over the last
//! [`SAMPLE`] decided proposals. A day or less allows the ceiling; every
//! day beyond that shrinks it proportionally, down to one. Slow reviews
//! make fewer open pull requests, which in turn makes reviews quicker, so
//! the limit settles where reviewers keep up.

use crate::config::{Limits, OpenLimit};
use crate::store::ledger::{CloseKind, Ledger, Outcome};
use crate::vocab::time::Timestamp;

/// How many of the latest decisions are measured.
pub const SAMPLE: usize = 20;
/// Fewer decisions than this are not yet a measure.
pub const MIN_SAMPLE: usize = 3;
/// The limit before there is a measure.
pub const STARTING: usize = 2;
/// A median decision time at or under this allows the ceiling.
pub const TARGET_HOURS: f64 = 24.0;

/// The limit now, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Pace {
    pub limit: usize,
    pub why: Why,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Why {
    /// A number in the configuration.
    Fixed,
    /// `auto` without enough decisions yet.
    Starting { decided: usize, ceiling: usize },
    /// `auto`, measured.
    Measured {
        median_hours: f64,
        decided: usize,
        ceiling: usize,
    },
}

/// Hours from opening to a person's decision, for every decided proposal,
/// oldest decision first. Closes the bot made itself (failed checks, gone
/// findings) are not a reviewer's decision and are left out.
pub fn decision_hours(ledger: &Ledger) -> Vec<(Timestamp, f64)> {
    let mut out: Vec<(Timestamp, f64)> = ledger
        .proposals
        .values()
        .filter_map(|p| {
            let opened = p
                .outcomes
                .iter()
                .find(|e| matches!(e.outcome, Outcome::Opened))?
                .at;
            let decided = p.outcomes.iter().find(|e| match &e.outcome {
                Outcome::Merged { .. } => true,
                Outcome::Closed { why, .. } => {
                    !matches!(why, Some(CloseKind::ChecksFailed | CloseKind::Gone))
                }
                _ => false,
            })?;
            let hours = (decided.at.0 - opened.0).max(0) as f64 / 3600.0;
            Some((decided.at, hours))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    out
}

/// The open-proposal limit under `limits`, given the ledger's history.
pub fn limit(ledger: &Ledger, limits: &Limits) -> Pace {
    let ceiling = limits.max_open_prs_ceiling.max(1);
    match limits.max_open_prs {
        OpenLimit::Fixed(n) => Pace {
            limit: n,
            why: Why::Fixed,
        },
        OpenLimit::Auto => {
            let all = decision_hours(ledger);
            let recent: Vec<f64> = all.iter().rev().take(SAMPLE).map(|(_, h)| *h).collect();
            if recent.len() < MIN_SAMPLE {
                return Pace {
                    limit: STARTING.min(ceiling),
                    why: Why::Starting {
                        decided: recent.len(),
                        ceiling,
                    },
                };
            }
            let median_hours = median(recent.clone());
            Pace {
                limit: sized(median_hours, ceiling),
                why: Why::Measured {
                    median_hours,
                    decided: recent.len(),
                    ceiling,
                },
            }
        }
    }
}

/// The ceiling scaled down by how far the median is beyond a day.
fn sized(median_hours: f64, ceiling: usize) -> usize {
    if median_hours <= TARGET_HOURS {
        return ceiling;
    }
    let scaled = (ceiling as f64 * TARGET_HOURS / median_hours).round();
    // In range 0..=ceiling, so the conversion is exact.
    (scaled as usize).clamp(1, ceiling)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return 0.0;
    }
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// A duration in hours, as people say it.
fn human(hours: f64) -> String {
    if hours < 1.0 {
        format!("{:.0} minutes", (hours * 60.0).round())
    } else if hours < 48.0 {
        format!("{hours:.1} hours")
    } else {
        format!("{:.1} days", hours / 24.0)
    }
}

/// One sentence for the dashboard.
pub fn describe(pace: &Pace) -> String {
    let limit = pace.limit;
    let prs = if limit == 1 {
        "pull request"
    } else {
        "pull requests"
    };
    match &pace.why {
        Why::Fixed => format!("Up to {limit} open {prs} (`limits.max_open_prs`)."),
        Why::Starting { decided, ceiling } => format!(
            "Up to {limit} open {prs} (`limits.max_open_prs: auto`): {decided} of the {MIN_SAMPLE} decided proposals needed to measure review speed so far; the ceiling is {ceiling}."
        ),
        Why::Measured {
            median_hours,
            decided,
            ceiling,
        } => format!(
            "Up to {limit} open {prs} (`limits.max_open_prs: auto`): the last {decided} decided proposals took a median of {} from opening to a decision; the ceiling is {ceiling}{}.",
            human(*median_hours),
            if limit < *ceiling {
                ", allowed when the median is a day or less"
            } else {
                ""
            }
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ledger::{OutcomeEntry, Proposal, ProposalId};
    use crate::vocab::ids::{Fingerprint, SkillId};
    use std::collections::BTreeSet;

    const HOUR: i64 = 3600;

    /// A ledger whose proposals were decided after these many hours, one
    /// after the other; `close` picks how each ended.
    fn history(hours: &[f64], close: Option<CloseKind>) -> Ledger {
        let mut ledger = Ledger::default();
        let skill = SkillId::new("len-zero").unwrap();
        let mut clock = 1_700_000_000;
        for (i, h) in hours.iter().enumerate() {
            let fp: Fingerprint = format!("{i:016x}").parse().unwrap();
            let fingerprints = BTreeSet::from([fp]);
            let id = ProposalId::new(&skill, &fingerprints);
            let opened = Timestamp(clock);
            let decided = Timestamp(clock + (*h * HOUR as f64) as i64);
            clock = decided.0 + HOUR;
            let outcome = match close {
                None => Outcome::Merged {
                    commit: "a".repeat(40).parse().unwrap(),
                },
                Some(kind) => Outcome::Closed {
                    reason: None,
                    why: Some(kind),
                },
            };
            ledger.proposals.insert(
                id.clone(),
                Proposal {
                    id: id.clone(),
                    skill: skill.clone(),
                    package: "p".into(),
                    title: "t".into(),
                    fingerprints,
                    files: Vec::new(),
                    branch: format!("patchwright/{i}").parse().unwrap(),
                    base: "b".repeat(40).parse().unwrap(),
                    head: "c".repeat(40).parse().unwrap(),
                    pull: None,
                    body: None,
                    outcomes: vec![
                        OutcomeEntry {
                            at: opened,
                            outcome: Outcome::Opened,
                        },
                        OutcomeEntry {
                            at: decided,
                            outcome,
                        },
                    ],
                },
            );
        }
        ledger
    }

    fn auto(ceiling: usize) -> Limits {
        Limits {
            max_open_prs: OpenLimit::Auto,
            max_open_prs_ceiling: ceiling,
            ..Limits::default()
        }
    }

    fn limit_after(hours: &[f64], ceiling: usize) -> usize {
        limit(&history(hours, None), &auto(ceiling)).limit
    }

    #[test]
    fn scripted_decision_times_give_the_expected_limits() {
        // Fast reviews: the ceiling.
        assert_eq!(limit_after(&[2.0, 5.0, 20.0], 10), 10);
        assert_eq!(limit_after(&[24.0; 5], 10), 10);
        // Median a day and a half, two days, four days, ten days.
        assert_eq!(limit_after(&[36.0; 5], 10), 7);
        assert_eq!(limit_after(&[1.0, 48.0, 48.0, 300.0], 10), 5);
        assert_eq!(limit_after(&[96.0; 7], 10), 3);
        assert_eq!(limit_after(&[240.0; 3], 10), 1);
        // Never below one, never above the ceiling.
        assert_eq!(limit_after(&[10_000.0; 3], 10), 1);
        assert_eq!(limit_after(&[0.0; 3], 4), 4);
        // Not enough decisions yet: the cautious start.
        assert_eq!(limit_after(&[], 10), STARTING);
        assert_eq!(limit_after(&[240.0, 240.0], 10), STARTING);
        assert_eq!(limit_after(&[], 1), 1);
    }

    #[test]
    fn only_the_last_twenty_decisions_count() {
        // Twenty slow decisions, then twenty fast ones: reviews sped up.
        let mut hours = vec![240.0; 20];
        hours.extend([3.0; 20]);
        assert_eq!(limit_after(&hours, 10), 10);
        // And the other way round.
        let mut hours = vec![3.0; 20];
        hours.extend([120.0; 20]);
        assert_eq!(limit_after(&hours, 10), 2);
    }

    #[test]
    fn bot_closes_are_not_decisions() {
        let ledger = history(&[240.0; 5], Some(CloseKind::ChecksFailed));
        assert!(decision_hours(&ledger).is_empty());
        let ledger = history(&[240.0; 5], Some(CloseKind::Later));
        assert_eq!(decision_hours(&ledger).len(), 5);
        assert_eq!(limit(&ledger, &auto(10)).limit, 1);
    }

    #[test]
    fn a_fixed_number_is_used_as_is() {
        let limits = Limits::default();
        let pace = limit(&history(&[240.0; 5], None), &limits);
        assert_eq!(
            pace,
            Pace {
                limit: 5,
                why: Why::Fixed
            }
        );
    }

    #[test]
    fn the_dashboard_says_why() {
        insta::assert_snapshot!(
            describe(&limit(&history(&[96.0; 7], None), &auto(10))),
            @"Up to 3 open pull requests (`limits.max_open_prs: auto`): the last 7 decided proposals took a median of 4.0 days from opening to a decision; the ceiling is 10, allowed when the median is a day or less."
        );
        insta::assert_snapshot!(
            describe(&limit(&history(&[1.5; 4], None), &auto(6))),
            @"Up to 6 open pull requests (`limits.max_open_prs: auto`): the last 4 decided proposals took a median of 1.5 hours from opening to a decision; the ceiling is 6."
        );
        insta::assert_snapshot!(
            describe(&limit(&Ledger::default(), &auto(10))),
            @"Up to 2 open pull requests (`limits.max_open_prs: auto`): 0 of the 3 decided proposals needed to measure review speed so far; the ceiling is 10."
        );
        insta::assert_snapshot!(
            describe(&limit(&Ledger::default(), &Limits::default())),
            @"Up to 5 open pull requests (`limits.max_open_prs`)."
        );
    }
}
