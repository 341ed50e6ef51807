//! `bench --incremental`: what a scan costs with the scan cache — a full
//! scan that fills it, then the same corpus unchanged, with one file
//! changed, and with 1% of its files changed. A changed file is one whose
//! cached result is gone (its key no longer matches), so the measurement
//! drops entries instead of editing the corpus, which may not be ours.
//! Every timing includes reading the cache back from its bytes.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{BenchError, MAX_FILE_BYTES, best_of, corpus_workspace};
use crate::config::SkillConfig;
use crate::engine::scan::{MAX_CACHE_BYTES, ScanCache, ScanOptions, salt, scan_cached};
use crate::engine::skill::Skill;
use crate::engine::skills::Registry;

#[derive(Debug, Clone, Serialize)]
pub struct IncrementalBench {
    pub corpus: PathBuf,
    pub files: usize,
    pub bytes: u64,
    pub rounds: usize,
    /// The cache's size as written after the full scan.
    pub cache_bytes: usize,
    /// Files the cache holds a result for (within its size bound).
    pub cached_files: usize,
    pub runs: Vec<IncrementalRun>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IncrementalRun {
    pub label: &'static str,
    /// Files whose result was not in the cache.
    pub changed: usize,
    /// Files scanned afresh (changed ones, and any the bound left out).
    pub scanned: usize,
    pub seconds: f64,
    /// This run's time as a share of the full scan's.
    pub of_full: f64,
}

pub fn run(corpus: Option<&Path>, rounds: usize) -> Result<IncrementalBench, BenchError> {
    let (corpus, workspace) = corpus_workspace(corpus)?;
    let files = workspace.files.len();
    let rounds = rounds.max(1);
    let registry = Registry::builtin();
    let skills: Vec<&dyn Skill> = registry.all().collect();
    let options = ScanOptions {
        max_file_bytes: MAX_FILE_BYTES,
        ..ScanOptions::default()
    };
    let salt = salt(
        &skills,
        &std::collections::BTreeMap::<String, SkillConfig>::new(),
        &options,
    );

    let mut text = String::new();
    let full = best_of(rounds, || {
        let cache = ScanCache::empty(salt.clone());
        scan_cached(&workspace, &skills, &options, Some(&cache), &|_| {});
        text = cache.to_text(MAX_CACHE_BYTES);
    })
    .as_secs_f64()
    .max(1e-9);
    let (loaded, _) = ScanCache::load(text.as_bytes(), salt.clone());
    let cached_files = loaded.len();
    let mut runs = vec![IncrementalRun {
        label: "full (cold cache)",
        changed: files,
        scanned: files,
        seconds: full,
        of_full: 1.0,
    }];
    for (label, changed) in [
        ("unchanged", 0),
        ("1 file changed", 1.min(files)),
        ("1% of files changed", files.div_ceil(100)),
    ] {
        let mut scanned = 0;
        let seconds = best_of(rounds, || {
            let (mut cache, _) = ScanCache::load(text.as_bytes(), salt.clone());
            cache.forget(changed);
            let report = scan_cached(&workspace, &skills, &options, Some(&cache), &|_| {});
            scanned = report.cache.map_or(files, |c| c.misses);
        })
        .as_secs_f64();
        runs.push(IncrementalRun {
            label,
            changed,
            scanned,
            seconds,
            of_full: seconds / full,
        });
    }
    Ok(IncrementalBench {
        corpus,
        files,
        bytes: workspace.total_bytes(),
        rounds,
        cache_bytes: text.len(),
        cached_files,
        runs,
    })
}

impl IncrementalBench {
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "corpus: {} ({} files, {:.1} MB), best of {} rounds\n\
             cache: {:.1} MB for {} files\n\n{:<22} {:>8} {:>8} {:>9} {:>8}\n",
            self.corpus.display(),
            self.files,
            self.bytes as f64 / 1e6,
            self.rounds,
            self.cache_bytes as f64 / 1e6,
            self.cached_files,
            "scan",
            "changed",
            "scanned",
            "seconds",
            "of full"
        );
        for run in &self.runs {
            out.push_str(&format!(
                "{:<22} {:>8} {:>8} {:>9.2} {:>7.1}%\n",
                run.label,
                run.changed,
                run.scanned,
                run.seconds,
                run.of_full * 100.0
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warm_scan_parses_only_what_changed() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..150 {
            std::fs::write(
                dir.path().join(format!("f{i}.rs")),
                format!("pub struct S{i};\nfn f(v: &[u8]) -> bool {{ v.len() == 0 }}\n"),
            )
            .unwrap();
        }
        let report = run(Some(dir.path()), 1).unwrap();
        assert_eq!(report.cached_files, 150);
        let scanned: Vec<(&str, usize, usize)> = report
            .runs
            .iter()
            .map(|r| (r.label, r.changed, r.scanned))
            .collect();
        assert_eq!(
            scanned,
            [
                ("full (cold cache)", 150, 150),
                ("unchanged", 0, 0),
                ("1 file changed", 1, 1),
                ("1% of files changed", 2, 2)
            ]
        );
        assert!(report.to_text().contains("1% of files changed"));
    }
}
