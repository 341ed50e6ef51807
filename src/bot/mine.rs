//! `rules mine`: read the default branch's history, find the fixes made by
//! hand again and again ([`crate::engine::rules::mine`]), keep those that
//! still match somewhere on the tip and are not rules yet, and propose each
//! as a rule file in a pull request of its own.

use std::time::Instant;

use crate::bot::context::{Bot, CycleError};
use crate::bot::generated::{Generated, RuleFile, fresh_base, rule_mined};
use crate::bot::run::{RunOptions, RunReport};
use crate::bot::tree_scan::scan_tree;
use crate::engine::rules::{self, Change, MineOptions, RuleBook, is_rule, parse_rule};
use crate::engine::skill::Skill;
use crate::engine::skills::Registry;
use crate::store::history::HistoryLimits;
use crate::vocab::rel_path::RelPath;
use crate::vocab::time::Timestamp;

/// What `rules mine` looks at.
#[derive(Debug, Clone, Copy)]
pub struct MineRequest {
    /// How far back, in days.
    pub since_days: u64,
    /// Times a change must have been made.
    pub min_count: usize,
    /// Pull requests to open at most (the rest wait for a later run).
    pub max_proposals: usize,
    /// Say so when a rule is already proposed or was turned down (asked
    /// for by a person, not on every run).
    pub explain_known: bool,
}

/// What mining found, besides the proposals in `report`.
#[derive(Debug, Default)]
pub struct MineReport {
    pub commits: usize,
    pub changes: usize,
    /// Rules history supports, before the tip is consulted.
    pub found: usize,
    /// (rule id, times seen, places it matches now), for those proposed.
    pub proposed: Vec<(String, usize, usize)>,
    /// Rules already proposed, or turned down before.
    pub known: usize,
    pub seconds: f64,
    pub report: RunReport,
}

pub fn rules_mine(
    bot: &Bot<'_>,
    request: MineRequest,
    options: &RunOptions,
) -> Result<MineReport, CycleError> {
    let started = Instant::now();
    let (base, mut report) = fresh_base(bot, options)?;
    let since = Timestamp::now().0
        - i64::try_from(request.since_days).unwrap_or(i64::MAX / 86_400 / 2) * 86_400;
    let history = bot.repo.rust_changes(
        &base,
        HistoryLimits {
            since,
            max_files: 5,
            max_file_bytes: 512 * 1024,
            max_commits: 20_000,
        },
    )?;
    let changes: Vec<Change<'_>> = history
        .iter()
        .map(|c| Change {
            commit: c.commit.as_str(),
            author: &c.author,
            time: c.time,
            path: &c.path,
            old: &c.old,
            new: &c.new,
        })
        .collect();
    let commits = history
        .iter()
        .map(|c| &c.commit)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let mined = rules::mine(
        &changes,
        MineOptions {
            min_count: request.min_count,
            ..MineOptions::default()
        },
    );
    let found = mined.len();
    // Rules the branch already has are not proposed again.
    let existing = bot.repo.files_in(&base, rules::RULES_DIR)?;
    let mined: Vec<_> = mined
        .into_iter()
        .filter(|m| {
            !existing
                .iter()
                .any(|(name, _)| name.trim_end_matches(".yml") == m.id)
        })
        .collect();
    // Where each would match on the tip: a rule that matches nowhere now
    // has nothing left to do.
    let parsed: Vec<_> = mined
        .iter()
        .filter_map(|m| parse_rule(&m.text, std::path::Path::new(&m.id)).ok())
        .collect();
    let registry = Registry::builtin().with_rules(RuleBook::new(parsed));
    let skills: Vec<&dyn Skill> = registry.all().filter(|s| is_rule(*s)).collect();
    let now = match skills.is_empty() {
        true => Default::default(),
        false => scan_tree(bot.repo, bot.config, &base, &skills, &[])?,
    };
    let mut proposed = Vec::new();
    let mut known_rules = 0;
    for m in mined {
        if proposed.len() >= request.max_proposals {
            break;
        }
        let skill = format!("rule::{}", m.id);
        let places = now.findings().filter(|f| f.skill.as_str() == skill).count();
        if places == 0 {
            continue;
        }
        let seen = m.occurrences.len();
        let path: RelPath = format!("{}/{}.yml", rules::RULES_DIR, m.id)
            .parse()
            .map_err(|e| CycleError::Other(format!("{}: {e}", m.id)))?;
        let title = format!(
            "Add the rule `{}`: seen {seen} times in history, matches {places} places now",
            m.id
        );
        let body = format!(
            "People here changed `{}` to `{}` by hand {seen} times ({} authors, {} days). \
             This rule would make that change for them; it matches {places} places on the \
             default branch now.\n\n\
             Merging this turns the rule on: patchwright then proposes its fixes like any \
             other skill's (`rule::{}`). Closing it turns it down for good.\n\n\
             ```yaml\n{}```\n",
            m.pattern.split_whitespace().collect::<Vec<_>>().join(" "),
            m.fix.split_whitespace().collect::<Vec<_>>().join(" "),
            m.authors(),
            m.days(),
            m.id,
            m.text
        );
        let rule = RuleFile {
            path,
            text: m.text,
            title,
            body,
        };
        let (next, outcome) = rule_mined(bot, &base, rule, options, report)?;
        report = next;
        match outcome {
            Generated::Proposed => proposed.push((m.id, seen, places)),
            known => {
                known_rules += 1;
                if request.explain_known {
                    let what = format!("the mined rule `{}`", m.id);
                    report.warnings.extend(known.warning(&what));
                }
            }
        }
    }
    // The report says what was proposed; no scan of the branch's skills
    // happened to report on.
    report.base = None;
    Ok(MineReport {
        commits,
        changes: changes.len(),
        found,
        proposed,
        known: known_rules,
        seconds: started.elapsed().as_secs_f64(),
        report,
    })
}

impl MineReport {
    /// The proposals (or with a dry run, what they would be) and warnings.
    pub fn to_text(&self) -> String {
        let r = &self.report;
        if !r.opened.is_empty() || !r.dry_run.is_empty() {
            return r.to_text();
        }
        r.warnings
            .iter()
            .map(|w| format!("warning: {w}\n"))
            .collect()
    }

    /// What was read and found, in one line.
    pub fn summary(&self) -> String {
        format!(
            "read {} changed Rust files in {} commits in {:.1} s: {} repeated {}, {} proposed, {} proposed or turned down before",
            self.changes,
            self.commits,
            self.seconds,
            self.found,
            if self.found == 1 { "change" } else { "changes" },
            self.proposed.len(),
            self.known
        )
    }
}
