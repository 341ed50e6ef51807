//! The plan's grouping, limits and holds, on findings made up for each case.

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
    // One open proposal per skill and package: the rest waits for it.
    assert_eq!(sizes, [3]);
    assert!(
        plan.proposals
            .iter()
            .all(|p| p.files.len() <= 2 && p.changed_lines <= 6)
    );
    assert_eq!(plan.held_back[&HeldBack::GroupOpen], 4);

    // Packages are groups of their own; the run limit cuts across them.
    let spread: Vec<Finding> = (0..3)
        .map(|n| finding("len-zero", &format!("p{n}"), &format!("p{n}/src/lib.rs"), n))
        .collect();
    let spread: Vec<&Finding> = spread.iter().collect();
    let plan = run(&spread, &empty, &limits, &[], &skills);
    assert_eq!(plan.proposals.len(), 2);
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
        open_proposal(id.clone(), BTreeSet::from([owned[1].fingerprint.clone()])),
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
    // The new len-zero finding joins the open len-zero proposal.
    assert_eq!(plan.proposals.len(), 1);
    assert_eq!(plan.proposals[0].update.as_ref(), Some(&id));
    assert_eq!(plan.proposals[0].id, id);
    let joined: Vec<&Fingerprint> = plan.proposals[0]
        .findings
        .iter()
        .map(|f| &f.fingerprint)
        .collect();
    assert_eq!(joined, [&owned[1].fingerprint, &owned[2].fingerprint]);
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
