//! Scans of a commit's tree (never whatever the work tree holds): the
//! tree is written to a temporary directory and the engine scans it there.

use crate::bot::context::{Bot, CycleError};
use crate::bot::run::WAITING_SHOWN;
use crate::config::{Config, LintFamily};
use crate::engine::lints::{LintRun, add_lints};
use crate::engine::scan::{self, MAX_CACHE_BYTES, ScanCache, ScanOptions, ScanProgress};
use crate::engine::skill::Skill;
use crate::engine::workspace::Workspace;
use crate::store::repo::Repo;
use crate::store::scan_cache::cache_ref;
use crate::vocab::git_names::CommitSha;
use crate::vocab::ids::SkillId;

/// How a scan uses the cache kept in git (when `scan.cache` is on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheUse {
    /// Neither read nor written: a scan with other skills than the main
    /// one's would only displace its cache.
    Off,
    /// Read, never written (a dry run, a reply).
    Read,
    /// Read, and written back when the scan changed it.
    Keep,
}

/// Scans exactly the tree of `commit` (not whatever the work tree holds),
/// keeping the text of files with fixes; the lint families run there too.
pub fn scan_commit(
    bot: &Bot<'_>,
    commit: &CommitSha,
    skills: &[&dyn Skill],
    lints: &[LintFamily],
    cache: CacheUse,
) -> Result<scan::ScanReport, CycleError> {
    let at = TreeScan {
        repo: bot.repo,
        config: bot.config,
        progress: bot.progress,
    };
    at.scan(commit, skills, lints, cache)
}

/// Where a tree is scanned, and who hears how far it has come.
struct TreeScan<'a> {
    repo: &'a Repo,
    config: &'a Config,
    progress: Option<&'a dyn ScanProgress>,
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
    scan_tree_cached(repo, config, commit, skills, lints, CacheUse::Off)
}

/// [`scan_tree`], using the cache kept in git as `cache` says.
pub fn scan_tree_cached(
    repo: &Repo,
    config: &Config,
    commit: &CommitSha,
    skills: &[&dyn Skill],
    lints: &[LintFamily],
    cache_use: CacheUse,
) -> Result<scan::ScanReport, CycleError> {
    let at = TreeScan {
        repo,
        config,
        progress: None,
    };
    at.scan(commit, skills, lints, cache_use)
}

impl TreeScan<'_> {
    fn scan(
        &self,
        commit: &CommitSha,
        skills: &[&dyn Skill],
        lints: &[LintFamily],
        cache_use: CacheUse,
    ) -> Result<scan::ScanReport, CycleError> {
        let Self {
            repo,
            config,
            progress,
        } = *self;
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
        let refname = cache_ref(&config.git.ledger_ref);
        let cache = (config.scan.cache && cache_use != CacheUse::Off)
            .then(|| load_cache(repo, &refname, scan::salt(skills, &config.skills, &options)));
        if let Some(progress) = progress {
            progress.start(workspace.files.len());
        }
        let mut report = scan::scan_cached(
            &workspace,
            skills,
            &options,
            cache.as_ref().map(|(c, _, _)| c),
            &|_| {
                if let Some(progress) = progress {
                    progress.advance();
                }
            },
        );
        if let Some(progress) = progress {
            progress.finish();
        }
        if let Some((cache, expected, warning)) = cache {
            report.notes.extend(warning);
            if cache_use == CacheUse::Keep && cache.changed() {
                let text = cache.to_text(MAX_CACHE_BYTES);
                match repo.write_scan_cache(
                    &refname,
                    &text,
                    expected.as_ref(),
                    &config.git.identity,
                ) {
                    Ok(_) => {}
                    Err(e) if e.is_conflict() => {
                        tracing::debug!("another run wrote the scan cache first: {e}");
                    }
                    Err(e) => tracing::warn!("the scan cache was not saved: {e}"),
                }
            }
        }
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
}

/// The cache on `refname`, the commit it was read from, and a warning when
/// what is there could not be used.
fn load_cache(
    repo: &Repo,
    refname: &str,
    salt: String,
) -> (ScanCache, Option<CommitSha>, Option<String>) {
    match repo.read_scan_cache(refname) {
        Ok(Some(stored)) => {
            let (cache, warning) = ScanCache::load(&stored.bytes, salt);
            let warning = warning.map(|w| format!("{refname}: {w}"));
            if let Some(w) = &warning {
                tracing::warn!("{w}");
            }
            (cache, Some(stored.commit), warning)
        }
        Ok(None) => (ScanCache::empty(salt), None, None),
        Err(e) => {
            let warning = format!("{refname}: the scan cache is ignored ({e})");
            tracing::warn!("{warning}");
            (ScanCache::empty(salt), None, Some(warning))
        }
    }
}

/// What the skills find on the default branch, as a reply.
pub fn scan_summary(bot: &Bot<'_>) -> Result<String, CycleError> {
    bot.repo.fetch()?;
    let base = bot.default_tip()?;
    let skills = bot.registry.select(bot.config, &[])?;
    let lints = lint_families(bot.config, &[]);
    let scanned = scan_commit(bot, &base, &skills, &lints, CacheUse::Read)?;
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
