//! What the bot remembers, made visible and reversible: why a proposal was
//! made (`explain`), what it will not propose (`ignored`), and lifting one
//! rejection or pause (`unignore`). The same texts answer the slash
//! commands and the command line.

use std::fmt::Write as _;

use crate::bot::context::BOT_ACTOR;
use crate::bot::context::CycleError;
use crate::bot::control;
use crate::bot::tree_scan;
use crate::config::Config;
use crate::engine::finding::Finding;
use crate::engine::scan::ScanReport;
use crate::engine::skills::Registry;
use crate::policy::learn;
use crate::policy::plan::NEUTRAL_SCORE;
use crate::store::ledger::{Hold, Ledger, Proposal, Rejection};
use crate::store::ledger_store::{LedgerStore, LogEntry};
use crate::store::repo::Repo;
use crate::vocab::git_names::CommitSha;
use crate::vocab::ids::{Fingerprint, SkillId};
use crate::vocab::time::Timestamp;

/// How far back the ledger's history is searched for a proposal's commit.
const LOG_DEPTH: usize = 10_000;

/// The proposal `target` names: its id, its branch, or (the newest one
/// holding it) a fingerprint.
pub fn find_proposal<'l>(ledger: &'l Ledger, target: &str) -> Option<&'l Proposal> {
    proposal_named(ledger, target).or_else(|| {
        let fp = target.trim().parse::<Fingerprint>().ok()?;
        ledger
            .proposals
            .values()
            .filter(|p| p.fingerprints.contains(&fp))
            .max_by_key(|p| p.outcomes.first().map(|e| e.at))
    })
}

/// Why the fix of the finding `target` (a fingerprint) is held, when it is:
/// it did not compile, or its checks failed, and its file has not changed.
pub fn held(ledger: &Ledger, target: &str) -> Option<String> {
    let fingerprint = target.trim().parse::<Fingerprint>().ok()?;
    let failed = ledger.failed_fixes.get(&fingerprint)?;
    let why = match (&failed.reason, &failed.proposal) {
        (Some(reason), _) => reason.clone(),
        (None, Some(id)) => format!("the checks of `{id}` failed"),
        (None, None) => "it did not compile".into(),
    };
    let files: Vec<String> = failed.files.keys().map(|p| format!("`{p}`")).collect();
    Some(format!(
        "`{fingerprint}` has not been proposed: its fix is held since {} because {why}. It is tried again once {} {} changed.\n",
        failed.at.date(),
        files.join(", "),
        if files.len() == 1 { "has" } else { "have" }
    ))
}

/// The proposal `target` names by its id or branch (not by a fingerprint).
pub fn proposal_named<'l>(ledger: &'l Ledger, target: &str) -> Option<&'l Proposal> {
    let target = target.trim();
    let branch = target.strip_prefix("refs/heads/").unwrap_or(target);
    ledger
        .proposals
        .values()
        .find(|p| p.id.as_str() == target || p.branch.as_str() == branch)
}

/// Whether the ledger has heard of `fingerprint`: proposed, rejected or held.
pub fn known_to_ledger(ledger: &Ledger, fingerprint: &Fingerprint) -> bool {
    ledger.rejected.contains_key(fingerprint)
        || ledger.failed_fixes.contains_key(fingerprint)
        || ledger
            .proposals
            .values()
            .any(|p| p.fingerprints.contains(fingerprint))
}

/// What every enabled skill finds at `commit` (without lint families):
/// the findings a fingerprint of "the last scan" can name.
pub fn findings_at(
    repo: &Repo,
    config: &Config,
    registry: &Registry,
    commit: &CommitSha,
) -> Result<ScanReport, CycleError> {
    let skills = registry
        .select(config, &[])
        .map_err(|e| CycleError::Other(e.to_string()))?;
    tree_scan::scan_tree(repo, config, commit, &skills, &[])
}

/// A finding that is in no proposal: where it is, what it says, and why it
/// has not been proposed.
pub fn explain_finding(
    ledger: &Ledger,
    finding: &Finding,
    at: &CommitSha,
    now: Timestamp,
) -> String {
    let mut out = format!(
        "`{}` is a `{}` finding at `{}:{}` on {} (`{}`): {}\n\n",
        finding.fingerprint,
        finding.skill,
        finding.path,
        finding.start.line,
        at.short(),
        finding.item,
        finding.message
    );
    let state = if let Some(r) = ledger.rejected.get(&finding.fingerprint) {
        match r.until {
            Some(until) if r.holds(now) => format!(
                "Not proposed: {} asked for later on {} ({}); it may be proposed again after {}.",
                r.by,
                r.at.date(),
                r.reason,
                until.date()
            ),
            _ if r.holds(now) => format!(
                "Never proposed: rejected by {} on {} ({}). `patchwright unignore {}` lifts that.",
                r.by,
                r.at.date(),
                r.reason,
                finding.fingerprint
            ),
            _ => "Its rejection for later has ended: the next run may propose it.".to_owned(),
        }
    } else if let Some(held) = held(ledger, finding.fingerprint.as_str()) {
        held.trim_end().to_owned()
    } else if ledger.paused.contains_key(&finding.skill) {
        format!(
            "Not proposed while `{}` is paused (`patchwright resume --skill {}`).",
            finding.skill, finding.skill
        )
    } else if finding.fix.is_none() {
        "It has no automatic fix: it is reported, never proposed.".to_owned()
    } else {
        "Not proposed yet: a run proposes it when the limits allow (`patchwright run --dry-run` shows what the next run would do).".to_owned()
    };
    out.push_str(&state);
    out.push('\n');
    out
}

/// Where a proposal's name points in the reply: its pull request or its id.
fn pull_of(proposal: &Proposal) -> String {
    match proposal.pull.as_ref().and_then(|p| p.number) {
        Some(n) => format!("#{n}"),
        None => format!("`{}`", proposal.id),
    }
}

/// Why `proposal` was made, as markdown.
pub fn explain(
    repo: &Repo,
    config: &Config,
    registry: &Registry,
    store: &LedgerStore<'_>,
    proposal: &Proposal,
) -> Result<String, CycleError> {
    let (ledger, _) = store.read()?;
    let mut out = String::new();
    let skill = registry.get(proposal.skill.as_str());
    let risk = skill.map_or_else(
        || "unknown (not built in)".to_owned(),
        |s| s.risk().to_string(),
    );
    let _ = writeln!(
        out,
        "{} was proposed by the skill `{}` ({}), risk {risk}, for the package `{}`, from {}.\n",
        pull_of(proposal),
        proposal.skill,
        skill.map_or("no longer known", |s| s.title()),
        proposal.package,
        proposal.base.short(),
    );
    out.push_str(&score_text(&ledger, &proposal.skill, config));
    out.push('\n');

    // The findings as they were at the base, found again by fingerprint.
    let found = match skill {
        Some(s) if repo.has_commit(&proposal.base) => {
            let lints = tree_scan::lint_families(config, std::slice::from_ref(&proposal.skill));
            let scanned = tree_scan::scan_tree(repo, config, &proposal.base, &[s], &lints)?;
            let mut found: Vec<_> = scanned
                .findings()
                .filter(|f| proposal.fingerprints.contains(&f.fingerprint))
                .collect();
            found.sort_by(|a, b| (&a.path, a.start.line).cmp(&(&b.path, b.start.line)));
            found
                .into_iter()
                .map(|f| {
                    (
                        f.fingerprint.clone(),
                        format!("`{}:{}`", f.path, f.start.line),
                        f.message.clone(),
                    )
                })
                .collect::<Vec<_>>()
        }
        _ => Vec::new(),
    };
    let _ = writeln!(out, "| fingerprint | where | finding |\n|---|---|---|");
    for (fp, at, message) in &found {
        let _ = writeln!(out, "| `{fp}` | {at} | {} |", escape_cell(message));
    }
    for fp in &proposal.fingerprints {
        if !found.iter().any(|(f, _, _)| f == fp) {
            let _ = writeln!(out, "| `{fp}` | — | not found again at the base |");
        }
    }
    out.push('\n');

    let wanted = format!("propose {}", proposal.id);
    match store
        .log(LOG_DEPTH)?
        .into_iter()
        .find(|e: &LogEntry| e.message.lines().next() == Some(wanted.as_str()))
    {
        Some(entry) => {
            let _ = writeln!(
                out,
                "Recorded in `{}` by {} on {}.",
                store.refname(),
                entry.commit.short(),
                entry.at
            );
        }
        None => {
            let _ = writeln!(
                out,
                "The ledger commit that recorded it is no longer in `{}`'s history.",
                store.refname()
            );
        }
    }
    let history: Vec<String> = proposal
        .outcomes
        .iter()
        .map(|e| format!("{} {}", e.outcome.label(), e.at.date()))
        .collect();
    if !history.is_empty() {
        let _ = writeln!(out, "Since then: {}.", history.join(", "));
    }
    let failed = proposal
        .outcomes
        .iter()
        .rev()
        .find_map(|e| match &e.outcome {
            crate::store::ledger::Outcome::ChecksFailed { names, tail, .. } => Some((names, tail)),
            _ => None,
        });
    if let Some((names, tail)) = failed {
        let _ = writeln!(
            out,
            "\nIts checks failed (`{}`){}",
            names.join("`, `"),
            if tail.is_some() {
                ". The end of their output:"
            } else {
                "."
            }
        );
        if let Some(tail) = tail {
            let _ = writeln!(out, "\n```\n{}\n```", tail.trim_end());
        }
    }
    Ok(out)
}

/// The skill's score and what it is made of.
fn score_text(ledger: &Ledger, skill: &SkillId, config: &Config) -> String {
    let since = ledger.resumed.get(skill).map(|h| h.at);
    let stats = learn::stats_since(ledger, &|s| (s == skill).then_some(since).flatten());
    let Some(s) = stats.get(skill) else {
        return format!(
            "Score {:.2}: `{skill}` has no decided proposals yet, so it ranks as neutral.\n",
            NEUTRAL_SCORE
        );
    };
    let counted = s.merged + s.rejections();
    let mut parts = vec![format!("{} merged", s.merged)];
    let unwanted = s.closed.saturating_sub(s.wrong + s.later);
    if s.wrong > 0 {
        parts.push(format!("{} closed as wrong (counted twice)", s.wrong));
    }
    if unwanted > 0 {
        parts.push(format!("{unwanted} closed"));
    }
    if s.later > 0 {
        parts.push(format!("{} closed for later (not counted)", s.later));
    }
    if s.reverted > 0 {
        parts.push(format!("{} reverted", s.reverted));
    }
    if s.changes_requested_open > 0 {
        parts.push(format!(
            "{} open with changes requested",
            s.changes_requested_open
        ));
    }
    let window = match since {
        Some(at) => format!(" since it was resumed on {}", at.date()),
        None => String::new(),
    };
    match s.interval() {
        None => format!(
            "Score {:.2} (neutral): none of `{skill}`'s {} {}{window} has been decided yet.\n",
            s.score(),
            s.proposed,
            if s.proposed == 1 {
                "proposal"
            } else {
                "proposals"
            },
        ),
        Some((lower, upper)) => format!(
            "Score {lower:.2}: the lower end of the 95% Wilson interval ({lower:.2}–{upper:.2}) of {} merged out of {counted} counted{window} ({}). \
             Skills of equal risk are proposed highest score first; after {} decided proposals, a skill whose upper end is below {} is paused.\n",
            s.merged,
            parts.join(", "),
            config.learning.min_decided,
            config.learning.min_acceptance,
        ),
    }
}

fn escape_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Every rejection that still holds and every paused skill, as markdown.
pub fn ignored(ledger: &Ledger, now: Timestamp) -> String {
    ignored_within(ledger, now, usize::MAX)
}

/// Rows a comment or the dashboard lists per table: GitHub refuses bodies
/// over 65,536 characters, and a table of thousands helps nobody.
pub const ROWS_SHOWN: usize = 50;

/// A table's rows past `max_rows`, said in one line.
fn more_rows(out: &mut String, shown: usize, total: usize) {
    if total > shown {
        let _ = writeln!(
            out,
            "\n… and {} more (`patchwright ignored` lists them all).",
            total - shown
        );
    }
}

/// [`ignored`] with at most `max_rows` rows per table.
pub fn ignored_within(ledger: &Ledger, now: Timestamp, max_rows: usize) -> String {
    let mut out = String::new();
    let mut rejected: Vec<(&Fingerprint, &Rejection)> = ledger
        .rejected
        .iter()
        .filter(|(_, r)| r.holds(now))
        .collect();
    // Newest decision first; one proposal's findings together.
    rejected.sort_by(|(fa, a), (fb, b)| {
        b.at.cmp(&a.at)
            .then_with(|| a.proposal.cmp(&b.proposal))
            .then_with(|| fa.cmp(fb))
    });
    if rejected.is_empty() && ledger.paused.is_empty() && ledger.failed_fixes.is_empty() {
        return "Nothing is ignored: every finding may be proposed and no skill is paused.\n"
            .into();
    }
    if !rejected.is_empty() {
        let _ = writeln!(
            out,
            "**Rejected findings** ({})\n\n| fingerprint | skill | decided by | when | why | from |\n|---|---|---|---|---|---|",
            rejected.len()
        );
        let total = rejected.len();
        for (fp, r) in rejected.into_iter().take(max_rows) {
            let proposal = r.proposal.as_ref().and_then(|id| ledger.proposals.get(id));
            let skill = proposal.map_or_else(|| "—".to_owned(), |p| format!("`{}`", p.skill));
            let from = proposal.map_or_else(|| "—".to_owned(), pull_of);
            let mut why = escape_cell(&r.reason);
            if let Some(until) = r.until {
                let _ = write!(why, "; until {}", until.date());
            }
            let _ = writeln!(
                out,
                "| `{fp}` | {skill} | {} | {} | {why} | {from} |",
                who(&r.by),
                r.at.date()
            );
        }
        more_rows(&mut out, max_rows, total);
        out.push('\n');
    }
    if !ledger.failed_fixes.is_empty() {
        let _ = writeln!(
            out,
            "**Fixes held until their file changes** ({})\n\n| fingerprint | when | why | until one of these changes |\n|---|---|---|---|",
            ledger.failed_fixes.len()
        );
        let mut held: Vec<_> = ledger.failed_fixes.iter().collect();
        held.sort_by(|(fa, a), (fb, b)| b.at.cmp(&a.at).then_with(|| fa.cmp(fb)));
        let total = held.len();
        for (fp, failed) in held.into_iter().take(max_rows) {
            let why = match (&failed.reason, &failed.proposal) {
                (Some(reason), _) => escape_cell(reason),
                (None, Some(id)) => format!("the checks of `{id}` failed"),
                (None, None) => "it did not compile".into(),
            };
            let files: Vec<String> = failed.files.keys().map(|p| format!("`{p}`")).collect();
            let _ = writeln!(
                out,
                "| `{fp}` | {} | {why} | {} |",
                failed.at.date(),
                files.join(", ")
            );
        }
        more_rows(&mut out, max_rows, total);
        out.push('\n');
    }
    if !ledger.paused.is_empty() {
        let _ = writeln!(
            out,
            "**Paused skills** ({})\n\n| skill | decided by | when | why |\n|---|---|---|---|",
            ledger.paused.len()
        );
        for (skill, hold) in &ledger.paused {
            let _ = writeln!(
                out,
                "| `{skill}` | {} | {} | {} |",
                who(&hold.by),
                hold.at.date(),
                escape_cell(&hold.reason)
            );
        }
        out.push('\n');
    }
    out
}

/// A person as a mention, the bot as itself.
fn who(by: &str) -> String {
    if by == BOT_ACTOR || by.contains(' ') || by.is_empty() {
        by.to_owned()
    } else {
        format!("@{by}")
    }
}

/// What `unignore` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unignored {
    Rejection(Fingerprint, Rejection),
    Pause(SkillId, Hold),
    /// Nothing to lift: the finding is not rejected, or the skill not paused.
    NotIgnored(String),
    /// A fingerprint patchwright has never proposed or rejected.
    UnknownFingerprint(String),
    /// Not a skill patchwright has.
    UnknownSkill(String),
}

impl Unignored {
    /// Whether the person asked for something that could not be done.
    pub fn is_error(&self) -> bool {
        matches!(
            self,
            Unignored::NotIgnored(_)
                | Unignored::UnknownFingerprint(_)
                | Unignored::UnknownSkill(_)
        )
    }

    pub fn text(&self, registry: &Registry) -> String {
        match self {
            Unignored::Rejection(fp, r) => format!(
                "Lifted the rejection of `{fp}` ({}, {} on {}): it may be proposed again.",
                r.reason,
                who(&r.by),
                r.at.date()
            ),
            Unignored::Pause(skill, hold) => format!(
                "Resumed `{skill}` (paused by {} on {}: {}); its score counts only what is decided from now on.",
                who(&hold.by),
                hold.at.date(),
                hold.reason
            ),
            Unignored::NotIgnored(target) => {
                format!("`{target}` is not ignored; `ignored` lists what is.")
            }
            Unignored::UnknownFingerprint(target) => format!(
                "patchwright has never proposed or rejected a finding `{target}`; `ignored` lists the rejected ones."
            ),
            Unignored::UnknownSkill(target) => format!(
                "There is no skill `{target}`; the skills are: {}.",
                registry.ids().join(", ")
            ),
        }
    }
}

/// Lifts the rejection of a fingerprint or the pause of a skill, recorded
/// in the ledger with who asked. Asking twice changes the ledger once.
pub fn unignore(
    store: &LedgerStore<'_>,
    registry: &Registry,
    target: &str,
    by: &str,
) -> Result<Unignored, CycleError> {
    let target = target.trim();
    if let Ok(fp) = target.parse::<Fingerprint>() {
        return Ok(match control::unreject(store, &fp, by)? {
            Some(rejection) => Unignored::Rejection(fp, rejection),
            None => {
                let (ledger, _) = store.read()?;
                let known = ledger
                    .proposals
                    .values()
                    .any(|p| p.fingerprints.contains(&fp));
                if known {
                    Unignored::NotIgnored(target.to_owned())
                } else {
                    Unignored::UnknownFingerprint(target.to_owned())
                }
            }
        });
    }
    let skill = match SkillId::new(target) {
        Ok(skill) if registry.get(skill.as_str()).is_some() => skill,
        _ => return Ok(Unignored::UnknownSkill(target.to_owned())),
    };
    let (ledger, _) = store.read()?;
    let Some(hold) = ledger.paused.get(&skill).cloned() else {
        return Ok(Unignored::NotIgnored(target.to_owned()));
    };
    control::unpause(store, &skill, by)?;
    Ok(Unignored::Pause(skill, hold))
}

/// The ignored list for the dashboard, folded.
pub fn folded(ledger: &Ledger, now: Timestamp) -> Option<String> {
    let rejected = ledger.rejected.values().filter(|r| r.holds(now)).count();
    if rejected == 0 && ledger.paused.is_empty() {
        return None;
    }
    Some(format!(
        "<details><summary>Ignored: {rejected} {}, {} paused {}</summary>\n\n{}\n</details>\n",
        if rejected == 1 { "finding" } else { "findings" },
        ledger.paused.len(),
        if ledger.paused.len() == 1 {
            "skill"
        } else {
            "skills"
        },
        ignored_within(ledger, now, ROWS_SHOWN).trim_end()
    ))
}
