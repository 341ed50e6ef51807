//! A run of the bot: how it is asked for ([`RunOptions`]) and what it did
//! ([`RunReport`]), as values and as text for people, the job summary and
//! replies.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::engine::finding::Finding;
use crate::engine::scan::{CacheStats, ScanReport};
use crate::report::templates::ListedFinding;
use crate::store::ledger::{Hold, ProposalId, PullRef};
use crate::vocab::git_names::{BranchName, CommitSha};
use crate::vocab::ids::SkillId;
use crate::vocab::rel_path::RelPath;
use crate::vocab::text::escape_controls;

/// How to run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Print what would be proposed; write nothing (no fetch, no refs).
    pub dry_run: bool,
    /// Run (local) or read (forge) the checks of new proposals.
    pub checks: bool,
    /// Propose only these skills, now, beyond the per-run limit and the risk ceiling.
    pub requested: Vec<SkillId>,
    /// Propose only findings in this file or directory.
    pub only_path: Option<RelPath>,
}

/// What one run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunReport {
    pub synced: Vec<Synced>,
    pub stopped: Option<Hold>,
    pub base: Option<CommitSha>,
    pub findings: usize,
    /// Findings with an automatic fix.
    pub fixable: usize,
    /// What the scan looked at, for the summary line.
    pub scanned: Option<ScanSummary>,
    pub skipped_files: usize,
    /// Generated files whose findings were left out.
    pub generated_files: usize,
    pub opened: Vec<Opened>,
    pub dry_run: Vec<DryRunProposal>,
    pub held_back: BTreeMap<String, usize>,
    /// Fixable findings not proposed, the first few.
    pub waiting: Vec<ListedFinding>,
    /// How the planned fixes were compiled, when they were.
    pub validation: Option<String>,
    /// Planned fixes that did not compile, and why.
    pub dropped: Vec<DroppedFix>,
    pub warnings: Vec<String>,
}

/// What one scan looked at and found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScanSummary {
    pub files: usize,
    pub packages: usize,
    pub skills: usize,
    pub seconds: f64,
    /// Findings by skill id.
    pub by_skill: BTreeMap<String, usize>,
    /// How many files came from the cache, when there was one.
    pub cache: Option<CacheStats>,
}

impl ScanSummary {
    /// What `report` (scanned with `skills` skills) says in one line.
    pub fn of(report: &ScanReport, skills: usize) -> Self {
        Self {
            files: report.files.len(),
            packages: report.packages,
            skills,
            seconds: report.seconds,
            by_skill: report.by_skill(),
            cache: report.cache,
        }
    }

    /// `12 files in 1 package, 5 skills, 0.3 s (11 cached): 16 findings (len-zero 3, …)`.
    pub fn line(&self, findings: usize) -> String {
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let cached = self
            .cache
            .map(|c| format!(" ({} cached)", c.hits))
            .unwrap_or_default();
        let mut line = format!(
            "{} in {}, {}, {:.1} s{cached}: {}",
            plural(self.files, "file", "files"),
            plural(self.packages, "package", "packages"),
            plural(self.skills, "skill", "skills"),
            self.seconds,
            plural(findings, "finding", "findings"),
        );
        if !self.by_skill.is_empty() {
            let parts: Vec<String> = self
                .by_skill
                .iter()
                .map(|(skill, n)| format!("{skill} {n}"))
                .collect();
            line.push_str(&format!(" ({})", parts.join(", ")));
        }
        line
    }
}

/// A planned fix that did not compile.
#[derive(Debug, Clone, Serialize)]
pub struct DroppedFix {
    pub skill: String,
    pub path: String,
    pub line: usize,
    pub why: String,
}

/// How many not-yet-proposed findings a report lists.
pub const WAITING_SHOWN: usize = 10;

#[derive(Debug, Clone, Serialize)]
pub struct Synced {
    pub id: ProposalId,
    pub outcome: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Opened {
    pub id: ProposalId,
    pub branch: BranchName,
    pub title: String,
    pub files: usize,
    pub changed_lines: usize,
    /// Whether the branch was already there (from a run that died before recording it).
    pub adopted: bool,
    /// For an open proposal rebuilt with new findings: how many were added.
    pub added: Option<usize>,
    /// What its checks said, when they were run or read and are done.
    pub checks: Option<CheckVerdict>,
    /// When they failed: which check, its first error line, how to see it.
    pub failure: Option<String>,
    pub pull: Option<PullRef>,
}

/// What a proposal's checks said about its fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckVerdict {
    Passed,
    /// Green on the base, red on the fix: closed, and held until its files change.
    Failed,
    /// Red on the base too: not the fix's fault, so not counted.
    RedOnBase,
    /// Red, but the checks did not run on the base to compare: not counted.
    Unknown,
}

#[derive(Debug, Clone, Serialize)]
pub struct DryRunProposal {
    pub id: ProposalId,
    pub branch: BranchName,
    pub title: String,
    pub diff: String,
}

/// A finding as pull requests, replies and the dashboard list it.
pub fn listed(f: &Finding) -> ListedFinding {
    ListedFinding {
        skill: f.skill.to_string(),
        path: f.path.to_string(),
        line: f.start.line,
        message: escape_controls(&f.message).into_owned(),
    }
}

impl RunReport {
    /// One line: what the run did.
    pub fn summary_line(&self) -> String {
        if let Some(hold) = &self.stopped {
            return format!(
                "stopped by {}; {} outcomes recorded",
                hold.by,
                self.synced.len()
            );
        }
        format!(
            "{} outcomes recorded, {} findings, {} proposed",
            self.synced.len(),
            self.findings,
            self.opened.len()
        )
    }

    /// Why a run proposed nothing, as the end of a sentence.
    fn why_idle(&self) -> String {
        if self.base.is_none() {
            String::new()
        } else if self.findings == 0 {
            ": the skills found nothing".to_owned()
        } else if self.fixable == 0 && self.findings == 1 {
            ": the one finding has no automatic fix".to_owned()
        } else if self.fixable == 0 {
            format!(
                ": none of the {} findings has an automatic fix",
                self.findings
            )
        } else if !self.held_back.is_empty() {
            format!(
                ": every one of the {} fixable findings waits, for the reasons above",
                self.fixable
            )
        } else {
            String::new()
        }
    }

    /// One line per opened proposal.
    pub fn opened_markdown(&self) -> String {
        let mut out = String::new();
        for o in &self.opened {
            let link = match o.pull.as_ref().and_then(|p| p.number) {
                Some(n) => format!("#{n}"),
                None => format!("`{}`", o.branch),
            };
            let _ = writeln!(
                out,
                "- {} {link}: {}; {} {} changed in {} {}",
                match (o.adopted, o.added) {
                    (_, Some(_)) => "Updated",
                    (true, None) => "Recorded",
                    (false, None) => "Proposed",
                },
                o.title,
                o.changed_lines,
                if o.changed_lines == 1 {
                    "line"
                } else {
                    "lines"
                },
                o.files,
                if o.files == 1 { "file" } else { "files" }
            );
        }
        out
    }

    /// The report as markdown, for replies and the job summary.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        if let Some(hold) = &self.stopped {
            let _ = writeln!(
                out,
                "Stopped by {} at {} ({}): only outcomes were recorded.\n",
                hold.by, hold.at, hold.reason
            );
        }
        for s in &self.synced {
            let _ = writeln!(out, "- `{}`: {}", s.id, s.outcome);
        }
        if !self.synced.is_empty() {
            out.push('\n');
        }
        if let Some(base) = &self.base {
            let what = match &self.scanned {
                Some(s) => s.line(self.findings),
                None => format!("{} findings", self.findings),
            };
            let _ = writeln!(out, "Scanned {}: {what}.\n", base.short());
        }
        if let Some(validation) = &self.validation {
            let _ = writeln!(out, "Fixes {validation}.\n");
        }
        for d in &self.dropped {
            let _ = writeln!(
                out,
                "- Dropped `{}:{}` (`{}`): {}",
                d.path, d.line, d.skill, d.why
            );
        }
        if !self.dropped.is_empty() {
            out.push('\n');
        }
        out.push_str(&self.opened_markdown());
        if !self.opened.is_empty() {
            out.push('\n');
        }
        for (reason, n) in &self.held_back {
            let _ = writeln!(
                out,
                "- {n} {} because {reason}",
                if *n == 1 {
                    "finding waits"
                } else {
                    "findings wait"
                }
            );
        }
        for w in &self.warnings {
            let _ = writeln!(out, "- **Warning:** {w}");
        }
        if self.opened.is_empty() && self.synced.is_empty() && self.stopped.is_none() {
            let _ = writeln!(out, "Nothing new to propose{}.", self.why_idle());
        }
        out
    }

    /// What a person reads at the end of a run.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for s in &self.synced {
            let _ = writeln!(out, "synced: {} {}", s.id, s.outcome);
        }
        if let Some(hold) = &self.stopped {
            let _ = writeln!(
                out,
                "stopped by {} at {} ({}): only synced; `patchwright resume` starts proposing again",
                hold.by, hold.at, hold.reason
            );
            return out;
        }
        if let Some(base) = &self.base {
            let what = match &self.scanned {
                Some(s) => s.line(self.findings),
                None => format!("{} findings", self.findings),
            };
            let _ = writeln!(
                out,
                "scanned {}: {what}{}{}",
                base.short(),
                if self.skipped_files > 0 {
                    format!(", {} files skipped", self.skipped_files)
                } else {
                    String::new()
                },
                if self.generated_files > 0 {
                    format!(", {} generated files left out", self.generated_files)
                } else {
                    String::new()
                }
            );
        }
        for d in &self.dropped {
            let _ = writeln!(out, "dropped {}:{} {}: {}", d.path, d.line, d.skill, d.why);
        }
        if let Some(validation) = &self.validation {
            let _ = writeln!(out, "fixes {validation}");
        }
        for p in &self.dry_run {
            let _ = writeln!(out, "\nwould propose {}: {}\n{}", p.branch, p.title, p.diff);
        }
        for o in &self.opened {
            let checks = match (o.checks, &o.failure) {
                (Some(CheckVerdict::Passed), _) => "; checks passed".to_owned(),
                (Some(CheckVerdict::Failed), Some(why)) => format!("; checks FAILED: {why}"),
                (Some(CheckVerdict::Failed), None) => "; checks FAILED".to_owned(),
                (Some(CheckVerdict::RedOnBase), _) => {
                    "; checks red on the base too, not counted".to_owned()
                }
                (Some(CheckVerdict::Unknown), _) => {
                    "; checks red but not run on the base, not counted".to_owned()
                }
                (None, _) => String::new(),
            };
            let _ = writeln!(
                out,
                "{} {}: {}; {} {}, {} lines changed{checks}",
                match (o.adopted, o.added) {
                    (_, Some(n)) => format!("updated (+{n})"),
                    (true, None) => "recorded".to_owned(),
                    (false, None) => "proposed".to_owned(),
                },
                o.branch,
                o.title,
                o.files,
                if o.files == 1 { "file" } else { "files" },
                o.changed_lines,
            );
        }
        for (reason, n) in &self.held_back {
            let _ = writeln!(
                out,
                "waiting: {n} {} because {reason}",
                if *n == 1 { "finding" } else { "findings" }
            );
        }
        for w in &self.warnings {
            let _ = writeln!(out, "warning: {w}");
        }
        if self.opened.is_empty() && self.dry_run.is_empty() && self.synced.is_empty() {
            let _ = writeln!(out, "nothing new to propose{}", self.why_idle());
        }
        out
    }
}
