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
use crate::store::ledger::{Ledger, Proposal, ProposalId};
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
    /// The open proposal of the same skill and package this one rebuilds
    /// with the new findings added, instead of opening another.
    pub update: Option<ProposalId>,
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
    /// Their skill and package have an open proposal with no room left.
    GroupOpen,
}

impl fmt::Display for HeldBack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HeldBack::Rejected => "rejected before",
            HeldBack::FailedChecks => {
                "their fix failed its checks and the file has not changed since (`patchwright retry --all-failed` proposes them again)"
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
            HeldBack::GroupOpen => {
                "their skill and package have an open proposal (one at a time); they follow when it is decided"
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

    // One open proposal per skill and package: new findings of a group
    // that has one are added to it; what does not fit waits for it.
    let mut open_groups: BTreeMap<(SkillId, String), &Proposal> = BTreeMap::new();
    for proposal in input.ledger.open_proposals() {
        open_groups
            .entry((proposal.skill.clone(), proposal.package.clone()))
            .or_insert(proposal);
    }
    let by_path =
        |a: &&Finding, b: &&Finding| (&a.path, a.range.start).cmp(&(&b.path, b.range.start));
    let mut candidates: Vec<Planned<'a>> = Vec::new();
    let mut updates: Vec<Planned<'a>> = Vec::new();
    for ((skill_id, package), mut findings) in groups {
        let Some(skill) = info(&skill_id) else {
            continue;
        };
        findings.sort_by(by_path);
        let open = open_groups.get(&(skill_id.clone(), package.clone()));
        let mut carried: Vec<&'a Finding> = match open {
            Some(open) => input
                .findings
                .iter()
                .copied()
                .filter(|f| f.fix.is_some() && open.fingerprints.contains(&f.fingerprint))
                .collect(),
            None => Vec::new(),
        };
        carried.sort_by(by_path);
        let known = carried.len();
        // The open proposal's own findings first, so that a cut keeps them.
        carried.extend(findings);
        let mut chunks = chunk(&carried, input, &mut held).into_iter();
        let Some(first) = chunks.next() else { continue };
        let mut waiting: usize = chunks.map(|c| c.len()).sum();
        match open {
            Some(open) if first.len() > known => {
                let mut update = planned(skill, &package, first, input);
                update.id = open.id.clone();
                update.update = Some(open.id.clone());
                updates.push(update);
            }
            Some(_) => waiting += first.len().saturating_sub(known),
            None => candidates.push(planned(skill, &package, first, input)),
        }
        if waiting > 0 {
            *held.entry(HeldBack::GroupOpen).or_default() += waiting;
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
    // Updates open nothing new: no limit on open proposals applies.
    proposals.extend(updates);
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
        update: None,
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
mod tests;
