//! Findings → proposals, as a pure function of the findings, the ledger and
//! the limits: drop what was rejected, what an open proposal already holds
//! and what paused skills found; group by skill and package; cut groups to
//! the size limits; rank; and take no more than the open-proposal and
//! per-run limits allow.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::config::Limits;
use crate::engine::edit::Fix;
use crate::engine::finding::Finding;
use crate::store::ledger::{Ledger, ProposalId};
use crate::vocab::ids::SkillId;
use crate::vocab::rel_path::RelPath;
use crate::vocab::risk::Risk;
use crate::vocab::time::Timestamp;

/// What the planner needs to know about a skill.
#[derive(Debug, Clone)]
pub struct SkillInfo {
    pub id: SkillId,
    pub risk: Risk,
    pub title: &'static str,
}

/// Everything a plan depends on.
pub struct PlanInput<'a> {
    pub findings: &'a [&'a Finding],
    pub skills: &'a [SkillInfo],
    pub ledger: &'a Ledger,
    pub limits: &'a Limits,
    /// Open proposals at most, as [`crate::policy::pace`] sizes it now.
    pub open_limit: usize,
    /// Skills a person asked for now: they bypass the risk ceiling, pauses
    /// and the per-run limit (never the open-proposal limit).
    pub requested: &'a [SkillId],
    /// Added plus removed lines of one fix.
    pub fix_lines: &'a dyn Fn(&Fix) -> usize,
    /// Learned acceptance of a skill in `0..=1`; higher ranks first.
    pub score: &'a dyn Fn(&SkillId) -> f64,
    /// The content hash of a scanned file, to tell whether a fix that failed
    /// its checks may be tried again.
    pub file_hash: &'a dyn Fn(&RelPath) -> Option<String>,
    /// Now, for rejections that end ("not now").
    pub now: Timestamp,
    /// Whether the base is a revert the bot pushed itself: nothing is built on it.
    pub own_tip: bool,
}

impl std::fmt::Debug for PlanInput<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlanInput")
            .field("findings", &self.findings.len())
            .field("limits", self.limits)
            .field("requested", &self.requested)
            .finish_non_exhaustive()
    }
}

/// A proposal to make: one skill, one package, within the size limits.
#[derive(Debug, Clone)]
pub struct Planned<'a> {
    pub id: ProposalId,
    pub skill: SkillId,
    pub package: String,
    pub title: String,
    pub findings: Vec<&'a Finding>,
    pub files: BTreeSet<RelPath>,
    pub changed_lines: usize,
    pub risk: Risk,
}

impl Planned<'_> {
    pub fn fixes(&self) -> Vec<Fix> {
        self.findings.iter().filter_map(|f| f.fix.clone()).collect()
    }
}

/// Why findings wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HeldBack {
    Rejected,
    FailedChecks,
    /// The fix did not compile (never proposed).
    DidNotCompile,
    InOpenProposal,
    SkillPaused,
    RiskAboveCeiling,
    TooBig,
    OpenLimit,
    RunLimit,
    /// The fix would change CI itself.
    Protected,
    /// The default branch's tip is a revert the bot pushed itself.
    OwnCommit,
}

impl fmt::Display for HeldBack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HeldBack::Rejected => "rejected before",
            HeldBack::FailedChecks => {
                "their fix failed its checks and the file has not changed since"
            }
            HeldBack::DidNotCompile => {
                "their fix did not compile and the file has not changed since"
            }
            HeldBack::InOpenProposal => "already in an open proposal",
            HeldBack::SkillPaused => "their skill is paused",
            HeldBack::RiskAboveCeiling => {
                "their skill is riskier than limits.max_auto_risk (propose them with --skill)"
            }
            HeldBack::TooBig => "one fix alone is over limits.max_changed_lines",
            HeldBack::OpenLimit => "the open pull request limit is reached",
            HeldBack::RunLimit => "limits.max_prs_per_run is reached",
            HeldBack::Protected => {
                "their fix would touch .github/workflows/, which patchwright never changes"
            }
            HeldBack::OwnCommit => {
                "the default branch ends with a revert patchwright pushed; it waits for someone else's commit"
            }
        })
    }
}

/// Paths no proposal may touch: the workflows that check proposals.
pub fn is_protected(path: &str) -> bool {
    path.starts_with(".github/workflows/")
}

/// The proposals to make, best first, and how many findings wait and why.
#[derive(Debug, Default)]
pub struct Plan<'a> {
    pub proposals: Vec<Planned<'a>>,
    pub held_back: BTreeMap<HeldBack, usize>,
}

pub fn plan<'a>(input: &PlanInput<'a>) -> Plan<'a> {
    let mut held: BTreeMap<HeldBack, usize> = BTreeMap::new();
    let in_flight = input.ledger.in_flight();
    let info = |id: &SkillId| input.skills.iter().find(|s| s.id == *id);

    let mut groups: BTreeMap<(SkillId, String), Vec<&'a Finding>> = BTreeMap::new();
    for &finding in input.findings {
        if finding.fix.is_none() {
            continue;
        }
        let Some(skill) = info(&finding.skill) else {
            continue;
        };
        let requested = input.requested.contains(&finding.skill);
        if !input.requested.is_empty() && !requested {
            continue;
        }
        let failed_unchanged = input
            .ledger
            .failed_fixes
            .get(&finding.fingerprint)
            .filter(|failed| {
                failed
                    .files
                    .get(&finding.path)
                    .is_some_and(|then| (input.file_hash)(&finding.path).as_ref() == Some(then))
            })
            .map(|failed| match failed.proposal {
                Some(_) => HeldBack::FailedChecks,
                None => HeldBack::DidNotCompile,
            });
        let rejected = input
            .ledger
            .rejected
            .get(&finding.fingerprint)
            .is_some_and(|r| r.holds(input.now));
        let protected = finding.fix.as_ref().is_some_and(|fix| {
            fix.edits
                .iter()
                .any(|(path, _)| is_protected(path.as_str()))
        }) || is_protected(finding.path.as_str());
        let reason = if rejected {
            Some(HeldBack::Rejected)
        } else if protected {
            Some(HeldBack::Protected)
        } else if input.own_tip {
            Some(HeldBack::OwnCommit)
        } else if let Some(failed) = failed_unchanged.filter(|_| !requested) {
            Some(failed)
        } else if in_flight.contains(&finding.fingerprint) {
            Some(HeldBack::InOpenProposal)
        } else if !requested && input.ledger.paused.contains_key(&finding.skill) {
            Some(HeldBack::SkillPaused)
        } else if !requested && skill.risk > input.limits.max_auto_risk {
            Some(HeldBack::RiskAboveCeiling)
        } else {
            None
        };
        match reason {
            Some(reason) => *held.entry(reason).or_default() += 1,
            None => groups
                .entry((finding.skill.clone(), finding.package.clone()))
                .or_default()
                .push(finding),
        }
    }

    let mut candidates: Vec<Planned<'a>> = Vec::new();
    for ((skill_id, package), mut findings) in groups {
        let Some(skill) = info(&skill_id) else {
            continue;
        };
        findings.sort_by(|a, b| (&a.path, a.range.start).cmp(&(&b.path, b.range.start)));
        for chunk in chunk(&findings, input, &mut held) {
            candidates.push(planned(skill, &package, chunk, input));
        }
    }
    let rank = |p: &Planned<'_>| {
        let score = (input.score)(&p.skill);
        (
            p.risk,
            std::cmp::Reverse(OrderedScore(score)),
            p.skill.clone(),
            p.package.clone(),
            p.id.clone(),
        )
    };
    candidates.sort_by_key(rank);

    let open_now = input.ledger.open_proposals().count();
    let slots = input.open_limit.saturating_sub(open_now);
    let per_run = if input.requested.is_empty() {
        input.limits.max_prs_per_run
    } else {
        usize::MAX
    };
    let take = slots.min(per_run);
    let mut proposals = Vec::new();
    for (i, candidate) in candidates.into_iter().enumerate() {
        if i < take {
            proposals.push(candidate);
        } else {
            let reason = if i >= slots {
                HeldBack::OpenLimit
            } else {
                HeldBack::RunLimit
            };
            *held.entry(reason).or_default() += candidate.findings.len();
        }
    }
    Plan {
        proposals,
        held_back: held,
    }
}

/// Greedy cut of one group into proposals within the file and line limits.
fn chunk<'a>(
    findings: &[&'a Finding],
    input: &PlanInput<'_>,
    held: &mut BTreeMap<HeldBack, usize>,
) -> Vec<Vec<&'a Finding>> {
    let limits = input.limits;
    let mut chunks = Vec::new();
    let mut current: Vec<&'a Finding> = Vec::new();
    let mut files: BTreeSet<&RelPath> = BTreeSet::new();
    let mut lines = 0;
    for &finding in findings {
        let Some(fix) = &finding.fix else { continue };
        let cost = (input.fix_lines)(fix);
        if cost > limits.max_changed_lines {
            *held.entry(HeldBack::TooBig).or_default() += 1;
            continue;
        }
        let new_files = fix.edits.iter().filter(|(p, _)| !files.contains(p)).count();
        if !current.is_empty()
            && (files.len() + new_files > limits.max_files_per_pr
                || lines + cost > limits.max_changed_lines)
        {
            chunks.push(std::mem::take(&mut current));
            files.clear();
            lines = 0;
        }
        files.extend(fix.edits.iter().map(|(p, _)| p));
        lines += cost;
        current.push(finding);
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

fn planned<'a>(
    skill: &SkillInfo,
    package: &str,
    findings: Vec<&'a Finding>,
    input: &PlanInput<'_>,
) -> Planned<'a> {
    let fingerprints = findings.iter().map(|f| f.fingerprint.clone()).collect();
    let files: BTreeSet<RelPath> = findings
        .iter()
        .filter_map(|f| f.fix.as_ref())
        .flat_map(|fix| fix.edits.iter().map(|(p, _)| p.clone()))
        .collect();
    let changed_lines = findings
        .iter()
        .filter_map(|f| f.fix.as_ref())
        .map(|f| (input.fix_lines)(f))
        .sum();
    let title = title(skill.title, package, findings.len());
    Planned {
        id: ProposalId::new(&skill.id, &fingerprints),
        skill: skill.id.clone(),
        package: package.to_owned(),
        title,
        findings,
        files,
        changed_lines,
        risk: skill.risk,
    }
}

/// "Derive `Debug` for public types in `sample` (3 places)".
pub fn title(skill_title: &str, package: &str, places: usize) -> String {
    let places = if places == 1 {
        "1 place".to_owned()
    } else {
        format!("{places} places")
    };
    if package.is_empty() {
        format!("{skill_title} ({places})")
    } else {
        format!("{skill_title} in `{package}` ({places})")
    }
}

/// Scores compare totally (NaN sorts last).
#[derive(Debug, Clone, Copy, PartialEq)]
struct OrderedScore(f64);

impl Eq for OrderedScore {}

impl PartialOrd for OrderedScore {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrderedScore {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// The score of a skill with no history.
pub const NEUTRAL_SCORE: f64 = 0.5;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::OpenLimit;
    use crate::engine::edit::Edit;
    use crate::engine::finding::Severity;
    use crate::engine::source::LineCol;
    use crate::policy::plan;
    use crate::store::ledger::{Hold, Outcome, OutcomeEntry, Proposal, Rejection};
    use crate::vocab::git_names::CommitSha;
    use crate::vocab::ids::{Fingerprint, FingerprintInput};
    use crate::vocab::time::Timestamp;

    fn finding(skill: &str, package: &str, path: &str, n: usize) -> Finding {
        let fingerprint = Fingerprint::compute(FingerprintInput {
            skill,
            package,
            item: path,
            key: "k",
            occurrence: n,
        });
        let path: RelPath = path.parse().unwrap();
        Finding {
            skill: SkillId::new(skill).unwrap(),
            package: package.into(),
            path: path.clone(),
            range: n * 10..n * 10 + 1,
            start: LineCol {
                line: n + 1,
                column: 1,
            },
            end: LineCol {
                line: n + 1,
                column: 2,
            },
            message: "m".into(),
            severity: Severity::Warning,
            item: String::new(),
            fix: Some(Fix::new(
                fingerprint.clone(),
                path,
                vec![Edit::replace(n * 10..n * 10 + 1, "x")],
            )),
            fingerprint,
        }
    }

    fn skills() -> Vec<SkillInfo> {
        [
            ("len-zero", Risk::Low),
            ("question-mark", Risk::Medium),
            ("risky", Risk::High),
        ]
        .into_iter()
        .map(|(id, risk)| SkillInfo {
            id: SkillId::new(id).unwrap(),
            risk,
            title: "Fix",
        })
        .collect()
    }

    fn run<'a>(
        findings: &'a [&'a Finding],
        ledger: &'a Ledger,
        limits: &'a Limits,
        requested: &'a [SkillId],
        skills: &'a [SkillInfo],
    ) -> Plan<'a> {
        plan(&PlanInput {
            requested,
            ..input(findings, skills, ledger, limits)
        })
    }

    /// What the tests plan with unless they say otherwise: 2 lines per
    /// fix, neutral scores, files unchanged since a failed check.
    fn input<'a>(
        findings: &'a [&'a Finding],
        skills: &'a [SkillInfo],
        ledger: &'a Ledger,
        limits: &'a Limits,
    ) -> PlanInput<'a> {
        PlanInput {
            findings,
            skills,
            ledger,
            limits,
            open_limit: fixed(limits),
            requested: &[],
            fix_lines: &|_| 2,
            score: &|_| NEUTRAL_SCORE,
            file_hash: &|_| Some("same".into()),
            now: Timestamp(1000),
            own_tip: false,
        }
    }

    fn fixed(limits: &Limits) -> usize {
        crate::policy::pace::limit(&Ledger::default(), limits).limit
    }

    fn sha(n: u8) -> CommitSha {
        format!("{n:040x}").parse().unwrap()
    }

    fn open_proposal(id: ProposalId, fingerprints: BTreeSet<Fingerprint>) -> Proposal {
        Proposal {
            branch: id.branch(),
            id,
            skill: SkillId::new("len-zero").unwrap(),
            package: "p".into(),
            title: "t".into(),
            fingerprints,
            files: vec![],
            base: sha(1),
            head: sha(2),
            pull: None,
            body: None,
            outcomes: vec![OutcomeEntry {
                at: Timestamp(0),
                outcome: Outcome::Opened,
            }],
        }
    }

    #[test]
    fn groups_by_skill_and_package_and_ranks_low_risk_first() {
        let owned = [
            finding("question-mark", "p", "src/a.rs", 0),
            finding("len-zero", "p", "src/a.rs", 1),
            finding("len-zero", "p", "src/b.rs", 2),
            finding("len-zero", "q", "q/src/c.rs", 3),
        ];
        let findings: Vec<&Finding> = owned.iter().collect();
        let empty = Ledger::default();
        let limits = Limits {
            max_prs_per_run: 10,
            ..Limits::default()
        };
        let skills = skills();
        let plan = run(&findings, &empty, &limits, &[], &skills);
        let summary: Vec<(&str, &str, usize)> = plan
            .proposals
            .iter()
            .map(|p| (p.skill.as_str(), p.package.as_str(), p.findings.len()))
            .collect();
        assert_eq!(
            summary,
            [
                ("len-zero", "p", 2),
                ("len-zero", "q", 1),
                ("question-mark", "p", 1)
            ]
        );
        assert_eq!(plan.proposals[0].title, "Fix in `p` (2 places)");
        assert!(plan.held_back.is_empty());
    }

    #[test]
    fn respects_the_size_and_count_limits() {
        let owned: Vec<Finding> = (0..7)
            .map(|n| finding("len-zero", "p", &format!("src/f{}.rs", n / 2), n))
            .collect();
        let findings: Vec<&Finding> = owned.iter().collect();
        let skills = skills();
        let empty = Ledger::default();
        // 2 lines per fix: at most 3 fixes per proposal by lines, 2 files by files.
        let limits = Limits {
            max_changed_lines: 6,
            max_files_per_pr: 2,
            max_prs_per_run: 2,
            max_open_prs: OpenLimit::Fixed(5),
            ..Limits::default()
        };
        let plan = run(&findings, &empty, &limits, &[], &skills);
        let sizes: Vec<usize> = plan.proposals.iter().map(|p| p.findings.len()).collect();
        assert_eq!(sizes, [3, 3]);
        assert!(
            plan.proposals
                .iter()
                .all(|p| p.files.len() <= 2 && p.changed_lines <= 6)
        );
        assert_eq!(plan.held_back[&HeldBack::RunLimit], 1);

        let tiny = Limits {
            max_changed_lines: 1,
            ..limits.clone()
        };
        let plan = run(&findings, &empty, &tiny, &[], &skills);
        assert!(plan.proposals.is_empty());
        assert_eq!(plan.held_back[&HeldBack::TooBig], 7);
    }

    #[test]
    fn skips_rejected_in_flight_paused_and_risky_findings() {
        let owned = [
            finding("len-zero", "p", "src/a.rs", 0),
            finding("len-zero", "p", "src/a.rs", 1),
            finding("len-zero", "p", "src/a.rs", 2),
            finding("question-mark", "p", "src/a.rs", 3),
            finding("risky", "p", "src/a.rs", 4),
        ];
        let findings: Vec<&Finding> = owned.iter().collect();
        let mut ledger = Ledger::default();
        ledger.rejected.insert(
            owned[0].fingerprint.clone(),
            Rejection {
                at: Timestamp(0),
                by: "ana".into(),
                reason: "closed".into(),
                proposal: None,
                until: None,
            },
        );
        let id = ProposalId::new(
            &owned[1].skill,
            &BTreeSet::from([owned[1].fingerprint.clone()]),
        );
        ledger.proposals.insert(
            id.clone(),
            open_proposal(id, BTreeSet::from([owned[1].fingerprint.clone()])),
        );
        ledger.paused.insert(
            SkillId::new("question-mark").unwrap(),
            Hold {
                at: Timestamp(0),
                by: "ana".into(),
                reason: "noisy".into(),
            },
        );
        let skills = skills();
        let limits = Limits::default();
        let plan = run(&findings, &ledger, &limits, &[], &skills);
        assert_eq!(plan.proposals.len(), 1);
        assert_eq!(
            plan.proposals[0].findings[0].fingerprint,
            owned[2].fingerprint
        );
        let held: Vec<(HeldBack, usize)> = plan.held_back.into_iter().collect();
        assert_eq!(
            held,
            [
                (HeldBack::Rejected, 1),
                (HeldBack::InOpenProposal, 1),
                (HeldBack::SkillPaused, 1),
                (HeldBack::RiskAboveCeiling, 1)
            ]
        );

        // Asking for a skill bypasses its pause and the risk ceiling, not rejections.
        let requested = [
            SkillId::new("risky").unwrap(),
            SkillId::new("question-mark").unwrap(),
        ];
        let plan = run(&findings, &ledger, &limits, &requested, &skills);
        let asked: Vec<&str> = plan.proposals.iter().map(|p| p.skill.as_str()).collect();
        assert_eq!(asked, ["question-mark", "risky"]);
    }

    #[test]
    fn a_fix_that_failed_its_checks_waits_until_its_file_changes() {
        let owned = [finding("len-zero", "p", "src/a.rs", 0)];
        let findings: Vec<&Finding> = owned.iter().collect();
        let mut ledger = Ledger::default();
        ledger.failed_fixes.insert(
            owned[0].fingerprint.clone(),
            crate::store::ledger::FailedFix {
                at: Timestamp(0),
                proposal: Some(ProposalId::new(
                    &owned[0].skill,
                    &BTreeSet::from([owned[0].fingerprint.clone()]),
                )),
                files: BTreeMap::from([("src/a.rs".parse().unwrap(), "same".into())]),
                reason: None,
            },
        );
        let skills = skills();
        let limits = Limits::default();
        let plan = run(&findings, &ledger, &limits, &[], &skills);
        assert!(plan.proposals.is_empty());
        assert_eq!(plan.held_back[&HeldBack::FailedChecks], 1);
        let changed = plan::plan(&PlanInput {
            file_hash: &|_| Some("different".into()),
            ..input(&findings, &skills, &ledger, &limits)
        });
        assert_eq!(changed.proposals.len(), 1);
    }

    #[test]
    fn learned_scores_rank_skills_of_equal_risk() {
        let owned = [
            finding("len-zero", "p", "src/a.rs", 0),
            finding("question-mark", "p", "src/a.rs", 1),
        ];
        let findings: Vec<&Finding> = owned.iter().collect();
        let skills: Vec<SkillInfo> = ["len-zero", "question-mark"]
            .into_iter()
            .map(|id| SkillInfo {
                id: SkillId::new(id).unwrap(),
                risk: Risk::Low,
                title: "Fix",
            })
            .collect();
        let limits = Limits {
            max_prs_per_run: 1,
            ..Limits::default()
        };
        let ledger = Ledger::default();
        let ranked = |len_zero: f64| {
            let score = move |s: &SkillId| {
                if s.as_str() == "len-zero" {
                    len_zero
                } else {
                    NEUTRAL_SCORE
                }
            };
            plan::plan(&PlanInput {
                score: &score,
                ..input(&findings, &skills, &ledger, &limits)
            })
            .proposals[0]
                .skill
                .to_string()
        };
        assert_eq!(ranked(0.9), "len-zero");
        assert_eq!(ranked(0.1), "question-mark");
    }

    #[test]
    fn workflows_and_the_bots_own_tip_are_never_built_on() {
        let owned = [
            finding("len-zero", "p", ".github/workflows/gen.rs", 0),
            finding("len-zero", "p", "src/a.rs", 1),
        ];
        let findings: Vec<&Finding> = owned.iter().collect();
        let skills = skills();
        let ledger = Ledger::default();
        let limits = Limits::default();
        let requested = [SkillId::new("len-zero").unwrap()];
        let with = |own_tip: bool, requested: &[SkillId]| {
            let plan = plan::plan(&PlanInput {
                requested,
                own_tip,
                ..input(&findings, &skills, &ledger, &limits)
            });
            let paths: Vec<String> = plan
                .proposals
                .iter()
                .flat_map(|p| p.findings.iter().map(|f| f.path.to_string()))
                .collect();
            (paths, plan.held_back)
        };
        let (paths, held) = with(false, &[]);
        assert_eq!(paths, ["src/a.rs"]);
        assert_eq!(held[&HeldBack::Protected], 1);
        // Not even on request.
        let (paths, held) = with(true, &requested);
        assert!(paths.is_empty());
        assert_eq!(held[&HeldBack::Protected], 1);
        assert_eq!(held[&HeldBack::OwnCommit], 1);
    }

    #[test]
    fn a_not_now_rejection_ends() {
        let owned = [finding("len-zero", "p", "src/a.rs", 0)];
        let findings: Vec<&Finding> = owned.iter().collect();
        let mut ledger = Ledger::default();
        ledger.rejected.insert(
            owned[0].fingerprint.clone(),
            Rejection {
                at: Timestamp(0),
                by: "ana".into(),
                reason: "later".into(),
                proposal: None,
                until: Some(Timestamp(2000)),
            },
        );
        let skills = skills();
        let limits = Limits::default();
        let at = |now: i64| {
            plan::plan(&PlanInput {
                now: Timestamp(now),
                ..input(&findings, &skills, &ledger, &limits)
            })
            .proposals
            .len()
        };
        assert_eq!(at(1999), 0);
        assert_eq!(at(2000), 1);
    }

    #[test]
    fn the_open_limit_counts_open_proposals() {
        let owned: Vec<Finding> = (0..3)
            .map(|n| finding("len-zero", &format!("p{n}"), "src/a.rs", n))
            .collect();
        let findings: Vec<&Finding> = owned.iter().collect();
        let mut ledger = Ledger::default();
        for n in 0..4u32 {
            let fps = BTreeSet::from([format!("{n:016x}").parse().unwrap()]);
            let id = ProposalId::new(&SkillId::new("len-zero").unwrap(), &fps);
            ledger.proposals.insert(id.clone(), open_proposal(id, fps));
        }
        let skills = skills();
        let limits = Limits::default();
        let plan = run(&findings, &ledger, &limits, &[], &skills);
        assert_eq!(plan.proposals.len(), 1);
        assert_eq!(plan.held_back[&HeldBack::OpenLimit], 2);
    }
}
