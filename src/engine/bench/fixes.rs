//! `patchwright bench --fixes CORPUS`: what each skill's fixes do to real
//! crates. Every crate of the corpus (each directory with a `Cargo.toml`) is
//! scanned; each skill's fixes are applied alone, as a proposal would apply
//! them (spliced, then kept rustfmt-clean), and compiled in a scratch copy.
//! Per skill it reports the fixes applied, those that break `cargo check`
//! (green base, red with the fix), files a fix left not rustfmt-clean that
//! were clean, and comments lost.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::{ScanConfig, ValidateSettings};
use crate::engine::bench::BenchError;
use crate::engine::edit::{Applied, Fix, apply_fixes};
use crate::engine::format::{self, Rustfmt};
use crate::engine::scan::{ScanOptions, scan};
use crate::engine::skill::Skill;
use crate::engine::skills::Registry;
use crate::engine::source::comments;
use crate::engine::validate::{self, Compiled, Compiler, Outcome};
use crate::engine::workspace::{Edition, Workspace};
use crate::vocab::rel_path::RelPath;

#[derive(Debug, Clone, Serialize)]
pub struct FixBench {
    pub corpus: PathBuf,
    pub command: String,
    /// Crates whose base compiled, so that what broke is the fixes' doing.
    pub crates: Vec<String>,
    /// Crates left out, with why.
    pub skipped: Vec<(String, String)>,
    pub skills: Vec<SkillFigures>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SkillFigures {
    pub skill: String,
    pub fixes: usize,
    /// Fixes that do not compile where the base did.
    pub breaking: usize,
    /// Crates where at least one of its fixes broke the build.
    pub crates_broken: usize,
    /// Crates that do not build with the fixes validation kept, checked
    /// again in a fresh copy: what a proposal with validation on would break.
    pub broken_validated: usize,
    /// Files that were rustfmt-clean and are not after the fixes.
    pub rustfmt_dirty: usize,
    /// Comments of the original files missing from the fixed ones.
    pub comments_lost: usize,
    /// What the compiler said about each breaking fix, by crate.
    pub breaks: Vec<String>,
}

impl SkillFigures {
    pub fn breaking_share(&self) -> f64 {
        if self.fixes == 0 {
            return 0.0;
        }
        self.breaking as f64 / self.fixes as f64
    }
}

/// The crate directories of `corpus`: itself if it is one, else its
/// subdirectories that hold a `Cargo.toml`, by name.
fn crate_dirs(corpus: &Path) -> Vec<PathBuf> {
    if corpus.join("Cargo.toml").is_file() {
        return vec![corpus.to_path_buf()];
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(corpus)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.join("Cargo.toml").is_file())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

/// Runs the bench on every crate of `corpus`; `progress` hears of each.
pub fn run(
    corpus: &Path,
    settings: &ValidateSettings,
    progress: &dyn Fn(&str),
) -> Result<FixBench, BenchError> {
    let dirs = crate_dirs(corpus);
    if dirs.is_empty() {
        return Err(BenchError::Empty(corpus.to_path_buf()));
    }
    let registry = Registry::builtin();
    let skills: Vec<&dyn Skill> = registry.all().collect();
    let target = tempfile::tempdir().map_err(|e| BenchError::Write {
        path: "a build directory".into(),
        source: e,
    })?;
    let compiler = Compiler::new(settings, target.path().to_path_buf())?;
    let mut figures: BTreeMap<&str, SkillFigures> = skills
        .iter()
        .map(|s| {
            (
                s.id(),
                SkillFigures {
                    skill: s.id().to_owned(),
                    ..SkillFigures::default()
                },
            )
        })
        .collect();
    let mut crates = Vec::new();
    let mut skipped = Vec::new();
    for dir in dirs {
        let name = dir.file_name().map_or_else(
            || dir.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        progress(&name);
        match measure_crate(&dir, &skills, &compiler, settings, &mut figures) {
            Ok(()) => crates.push(name),
            Err(why) => skipped.push((name, why)),
        }
    }
    Ok(FixBench {
        corpus: corpus.to_path_buf(),
        command: compiler.describe(),
        crates,
        skipped,
        skills: figures.into_values().collect(),
    })
}

fn measure_crate(
    dir: &Path,
    skills: &[&dyn Skill],
    compiler: &Compiler,
    settings: &ValidateSettings,
    figures: &mut BTreeMap<&str, SkillFigures>,
) -> Result<(), String> {
    let workspace = Workspace::discover(dir, &ScanConfig::default()).map_err(|e| e.to_string())?;
    let options = ScanOptions {
        keep_fixable_sources: true,
        ..ScanOptions::default()
    };
    let report = scan(&workspace, skills, &options, &|_| {});
    let sources = report.sources();
    let editions = report.editions();
    let read = |path: &RelPath| std::fs::read_to_string(path.to_path(dir)).ok();
    // A base that does not build tells nothing about the fixes.
    let base = validate::scratch_copy(dir).map_err(|e| e.to_string())?;
    match compiler.compile(base.path()).map_err(|e| e.to_string())? {
        Compiled::Errors(errors) if errors.is_empty() => {}
        Compiled::Errors(errors) => {
            return Err(format!(
                "its base does not compile ({} errors)",
                errors.len()
            ));
        }
        Compiled::Unbuildable(why) => {
            let first = why.lines().next().unwrap_or_default();
            return Err(format!("its base cannot be built: {first}"));
        }
    }
    for skill in skills {
        let fixes: Vec<Fix> = report
            .findings()
            .filter(|f| f.skill.as_str() == skill.id())
            .filter_map(|f| f.fix.clone())
            .collect();
        if fixes.is_empty() {
            continue;
        }
        let mut applied = apply_fixes(&sources, &fixes);
        format::keep_rustfmt_clean(&mut applied, &editions, &read);
        let figure = figures.entry(skill.id()).or_default();
        figure.fixes += applied.applied.len();
        let (dirty, lost) = damage(&applied, &editions, &read);
        figure.rustfmt_dirty += dirty;
        figure.comments_lost += lost;
        let applied_fixes: Vec<Fix> = fixes
            .into_iter()
            .filter(|f| applied.applied.contains(&f.fingerprint))
            .collect();
        let scratch = validate::scratch_copy(dir).map_err(|e| e.to_string())?;
        let validation = validate::validate(
            compiler,
            scratch.path(),
            &sources,
            &applied_fixes,
            settings.max_rounds.max(3),
        )
        .map_err(|e| e.to_string())?;
        if let Outcome::Skipped(why) = &validation.outcome {
            return Err(why.clone());
        }
        figure.breaking += validation.dropped.len();
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
        figure.breaks.extend(
            validation
                .dropped
                .iter()
                .map(|(_, why)| format!("{}: {why}", name.as_deref().unwrap_or("?"))),
        );
        figure.crates_broken += usize::from(!validation.dropped.is_empty());
        let mut kept = validation.applied;
        format::keep_rustfmt_clean(&mut kept, &editions, &read);
        if !builds_with(dir, compiler, &kept)? {
            figure.broken_validated += 1;
        }
    }
    Ok(())
}

/// Whether a fresh copy of the crate with `applied` written into it builds
/// without errors (its base did).
fn builds_with(dir: &Path, compiler: &Compiler, applied: &Applied) -> Result<bool, String> {
    let copy = validate::scratch_copy(dir).map_err(|e| e.to_string())?;
    for (path, patched) in &applied.files {
        let target = path.to_path(copy.path());
        std::fs::write(&target, &patched.new)
            .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
    }
    Ok(matches!(
        compiler.compile(copy.path()).map_err(|e| e.to_string())?,
        Compiled::Errors(errors) if errors.is_empty()
    ))
}

/// Files made rustfmt-dirty, and comments lost, by the applied fixes.
fn damage(
    applied: &Applied,
    editions: &BTreeMap<RelPath, Edition>,
    read: &dyn Fn(&RelPath) -> Option<String>,
) -> (usize, usize) {
    let mut dirty = 0;
    let mut lost = 0;
    for (path, patched) in &applied.files {
        let edition = editions.get(path).copied().unwrap_or(Edition::DEFAULT);
        let rustfmt = Rustfmt::new(edition, format::config_for(path, read));
        let was_clean = rustfmt.format(&patched.original).as_ref() == Some(&patched.original);
        if was_clean && rustfmt.format(&patched.new).as_ref() != Some(&patched.new) {
            dirty += 1;
        }
        lost += comments(&patched.original)
            .iter()
            .filter(|c| {
                !patched
                    .new
                    .contains(patched.original[c.range.clone()].trim_end())
            })
            .count();
    }
    (dirty, lost)
}

impl FixBench {
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{} crates of {} compiled with `{}` ({} left out)\n\n{:<20} {:>6} {:>9} {:>8} {:>14} {:>18} {:>14} {:>15}\n",
            self.crates.len(),
            self.corpus.display(),
            self.command,
            self.skipped.len(),
            "skill",
            "fixes",
            "breaking",
            "share",
            "crates broken",
            "broken validated",
            "rustfmt-dirty",
            "comments lost"
        );
        for s in &self.skills {
            out.push_str(&format!(
                "{:<20} {:>6} {:>9} {:>7.1}% {:>14} {:>18} {:>14} {:>15}\n",
                s.skill,
                s.fixes,
                s.breaking,
                s.breaking_share() * 100.0,
                s.crates_broken,
                s.broken_validated,
                s.rustfmt_dirty,
                s.comments_lost
            ));
        }
        for s in self.skills.iter().filter(|s| !s.breaks.is_empty()) {
            out.push_str(&format!("\n{} broke:\n", s.skill));
            for why in &s.breaks {
                out.push_str(&format!("  {why}\n"));
            }
        }
        if !self.skipped.is_empty() {
            out.push_str("\nleft out:\n");
            for (name, why) in &self.skipped {
                out.push_str(&format!("  {name}: {why}\n"));
            }
        }
        out
    }
}
