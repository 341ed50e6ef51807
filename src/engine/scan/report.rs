//! What a scan is asked for and what it gives back: options, per-file
//! results, warnings for skipped files, and the report over all of them.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::Serialize;

use crate::config::ScanConfig;
use crate::engine::edit::Fix;
use crate::engine::finding::Finding;
use crate::engine::metrics::FileMetrics;
use crate::engine::workspace::Edition;
use crate::vocab::rel_path::RelPath;

/// What to collect beyond findings.
#[derive(Debug, Clone, Copy)]
pub struct ScanOptions {
    /// Keep the original text of files that have fixes (for diffs and `--apply`).
    pub keep_fixable_sources: bool,
    /// Measure lines, items and functions (for `report`).
    pub metrics: bool,
    /// Files larger than this are skipped with a warning.
    pub max_file_bytes: u64,
    /// Files that nest deeper than this are skipped with a warning.
    pub max_nesting: usize,
    /// Files whose parse and skills take longer are dropped with a warning.
    pub max_file_time: Duration,
    /// Report nothing in generated files (see `engine::generated`).
    pub skip_generated: bool,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self::limited_by(&ScanConfig::default())
    }
}

impl ScanOptions {
    /// Findings only, within the configured limits.
    pub fn limited_by(config: &ScanConfig) -> Self {
        Self {
            keep_fixable_sources: false,
            metrics: false,
            max_file_bytes: config.max_file_bytes,
            max_nesting: config.max_nesting,
            max_file_time: Duration::from_secs(config.max_file_seconds),
            skip_generated: config.skip_generated,
        }
    }
}

/// The result for one scanned file.
#[derive(Debug, Clone)]
pub struct FileScan {
    pub path: RelPath,
    /// The edition of its package (the default outside any package).
    pub edition: Edition,
    pub findings: Vec<Finding>,
    pub metrics: Option<FileMetrics>,
    /// The original text, kept when asked and the file has fixes.
    pub text: Option<String>,
    /// Why it counts as generated, when it does and its findings were
    /// left out.
    pub generated: Option<&'static str>,
}

/// Why a file was not scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    DoesNotParse,
    NotUtf8,
    TooLarge,
    TooSlow,
    Unreadable,
    SkillFailed,
}

/// A file skipped (or partly skipped) with the reason, for the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanWarning {
    pub path: RelPath,
    pub reason: SkipReason,
    pub message: String,
}

/// Everything one scan found.
#[derive(Debug, Clone, Default)]
pub struct ScanReport {
    /// Scanned files in path order (skipped files are in `warnings`).
    pub files: Vec<FileScan>,
    pub warnings: Vec<ScanWarning>,
    pub bytes_scanned: u64,
    /// What skills learned about each package from all of its files, by
    /// (package, skill id): what decided findings across files.
    pub crate_facts: CrateFacts,
    /// What is said about the scan as a whole (a lint family that could
    /// not run, say).
    pub notes: Vec<String>,
    /// Packages the files belong to.
    pub packages: usize,
    /// How long the scan took.
    pub seconds: f64,
    /// How the scan used its cache, when it had one.
    pub cache: Option<CacheStats>,
}

/// Told how far a scan has come (a progress bar, say).
pub trait ScanProgress: Sync {
    /// The scan is about to read `files` files.
    fn start(&self, files: usize);
    /// One more file is done.
    fn advance(&self);
    /// The scan is over.
    fn finish(&self);
}

/// How a scan used its cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CacheStats {
    /// Files whose result came from the cache.
    pub hits: usize,
    /// Files scanned afresh.
    pub misses: usize,
}

/// Facts by (package, skill id).
pub type CrateFacts = BTreeMap<(String, String), BTreeSet<String>>;

impl ScanReport {
    /// Findings by skill id.
    pub fn by_skill(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for f in self.findings() {
            *counts.entry(f.skill.to_string()).or_default() += 1;
        }
        counts
    }

    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.files.iter().flat_map(|f| f.findings.iter())
    }

    pub fn fixes(&self) -> impl Iterator<Item = &Fix> {
        self.findings().filter_map(|f| f.fix.as_ref())
    }

    /// Each scanned file's edition, by path.
    pub fn editions(&self) -> BTreeMap<RelPath, Edition> {
        self.files
            .iter()
            .map(|f| (f.path.clone(), f.edition))
            .collect()
    }

    /// Original texts of the files that kept theirs, by path.
    pub fn sources(&self) -> BTreeMap<RelPath, String> {
        self.files
            .iter()
            .filter_map(|f| Some((f.path.clone(), f.text.clone()?)))
            .collect()
    }

    /// Finding counts per skill id.
    pub fn counts_by_skill(&self) -> BTreeMap<&str, usize> {
        let mut counts = BTreeMap::new();
        for finding in self.findings() {
            *counts.entry(finding.skill.as_str()).or_default() += 1;
        }
        counts
    }
}
