//! Scans of a commit's tree (never whatever the work tree holds): the
//! tree is written to a temporary directory and the engine scans it there.

use crate::bot::context::{Bot, CycleError};
use crate::bot::run::WAITING_SHOWN;
use crate::config::{Config, LintFamily};
use crate::engine::lints::{LintRun, add_lints};
use crate::engine::scan::{self, ScanOptions};
use crate::engine::skill::Skill;
use crate::engine::workspace::Workspace;
use crate::store::repo::Repo;
use crate::vocab::git_names::CommitSha;
use crate::vocab::ids::SkillId;

/// Scans exactly the tree of `commit` (not whatever the work tree holds),
/// keeping the text of files with fixes; the lint families run there too.
pub fn scan_commit(
    bot: &Bot<'_>,
    commit: &CommitSha,
    skills: &[&dyn Skill],
    lints: &[LintFamily],
) -> Result<scan::ScanReport, CycleError> {
    scan_tree(bot.repo, bot.config, commit, skills, lints)
}

/// The lint families to run: all that are configured, or with `only`, just
/// the lints among those ids (a lint of an enabled family may be asked for
/// beyond its set).
pub fn lint_families(config: &Config, only: &[SkillId]) -> Vec<LintFamily> {
    let mut families = config.lint_families();
    if only.is_empty() {
        return families;
    }
    for family in &mut families {
        family.lints = only
            .iter()
            .filter_map(|id| id.lint())
            .filter(|(f, _)| *f == family.name)
            .map(|(_, lint)| lint.to_owned())
            .collect();
    }
    families.retain(|f| !f.lints.is_empty());
    families
}

/// Scans exactly the tree of `commit`, wherever the repository is.
pub fn scan_tree(
    repo: &Repo,
    config: &Config,
    commit: &CommitSha,
    skills: &[&dyn Skill],
    lints: &[LintFamily],
) -> Result<scan::ScanReport, CycleError> {
    let export = tempfile::Builder::new()
        .prefix("patchwright-scan-")
        .tempdir()
        .map_err(|e| CycleError::Other(format!("cannot make a directory to scan in: {e}")))?;
    repo.export(commit, export.path())?;
    let workspace = Workspace::discover(export.path(), &config.scan)?;
    let options = ScanOptions {
        keep_fixable_sources: true,
        ..ScanOptions::limited_by(&config.scan)
    };
    let mut report = scan::scan(&workspace, skills, &options, &|_| {});
    if !lints.is_empty() {
        let target = repo.git_dir().join("patchwright").join("target");
        let at = LintRun {
            dir: export.path(),
            target_dir: &target,
            token_env: &config.git.token_env,
        };
        let linted = add_lints(&mut report, lints, &workspace, at);
        report.notes.extend(linted.warnings);
    }
    Ok(report)
}

/// What the skills find on the default branch, as a reply.
pub fn scan_summary(bot: &Bot<'_>) -> Result<String, CycleError> {
    bot.repo.fetch()?;
    let base = bot.default_tip()?;
    let skills = bot.registry.select(bot.config, &[])?;
    let scanned = scan_commit(bot, &base, &skills, &lint_families(bot.config, &[]))?;
    let total = scanned.findings().count();
    let fixable = scanned.findings().filter(|f| f.fixable()).count();
    let mut out = format!(
        "{total} {} ({fixable} fixable) on `{}` at {}, in {} files.\n\n",
        if total == 1 { "finding" } else { "findings" },
        bot.default_branch,
        base.short(),
        scanned.files.len()
    );
    if total > 0 {
        out.push_str("| skill | findings | fixable |\n|---|---:|---:|\n");
        for skill in &skills {
            let of = || {
                scanned
                    .findings()
                    .filter(|f| f.skill.as_str() == skill.id())
            };
            let n = of().count();
            if n > 0 {
                out.push_str(&format!(
                    "| `{}` | {n} | {} |\n",
                    skill.id(),
                    of().filter(|f| f.fixable()).count()
                ));
            }
        }
        out.push('\n');
        for f in scanned.findings().take(WAITING_SHOWN) {
            out.push_str(&format!(
                "- `{}:{}` `{}`: {}\n",
                f.path, f.start.line, f.skill, f.message
            ));
        }
        if total > WAITING_SHOWN {
            out.push_str(&format!("- … and {} more\n", total - WAITING_SHOWN));
        }
    }
    if !scanned.warnings.is_empty() {
        out.push_str(&format!(
            "\n{} files were skipped (see the log).\n",
            scanned.warnings.len()
        ));
    }
    Ok(out)
}
