//! `patchwright bench`: scan throughput on a real corpus, next to bare
//! `syn::parse_file` throughput measured in the same run, and peak memory.
//! By default the corpus is the crate sources in the local cargo registry.
//! `bench --validate` measures what compiling a crate's fixes costs.

pub mod fixes;
pub mod incremental;
pub mod large_files;
pub mod rules;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::Serialize;

use crate::config::{ScanConfig, ValidateSettings};
use crate::engine::edit::Fix;
use crate::engine::scan::{ScanOptions, on_scan_threads, scan};
use crate::engine::skill::Skill;
use crate::engine::skills::Registry;
use crate::engine::source::release_thread_spans;
use crate::engine::validate::{self, Compiler, ValidateError};
use crate::engine::workspace::{Workspace, WorkspaceError};
pub(crate) use crate::sys::memory::peak_rss_mb;
use crate::sys::memory::{release_free_memory, reset_peak_rss};

/// Files over this size are left out of both measurements, as the scan's
/// default `max_file_bytes` leaves them out.
const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;

#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub corpus: PathBuf,
    pub files: usize,
    pub bytes: u64,
    pub threads: usize,
    pub rounds: usize,
    /// Files that syn could not parse (they count toward bytes read).
    pub parse_failures: usize,
    pub findings: usize,
    pub parse: Throughput,
    pub scan: Throughput,
    /// Full-scan throughput as a share of bare-parse throughput.
    pub scan_to_parse: f64,
    /// Peak resident memory of `patchwright scan` run on the corpus in a
    /// process of its own, when the caller measured it: the scan as a user
    /// runs it, from the program's start to its output.
    pub own_process_scan_peak_rss_mb: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Throughput {
    /// The best of the rounds.
    pub seconds: f64,
    pub mb_per_s: f64,
    pub files_per_s: f64,
    /// Peak resident memory of the process during this phase, when the
    /// platform reports it (Linux).
    pub peak_rss_mb: Option<f64>,
}

/// What validating a crate's fixes costs: a cold build directory, the same
/// batch again warm, and warm with only the fixes that compile (the common
/// case, which should take one compile).
#[derive(Debug, Clone, Serialize)]
pub struct ValidationBench {
    pub crate_dir: PathBuf,
    pub command: String,
    pub fixes: usize,
    pub files: usize,
    pub runs: Vec<ValidationRun>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ValidationRun {
    pub label: &'static str,
    pub fixes: usize,
    pub rounds: usize,
    /// Every compile, the base's included.
    pub compiles: usize,
    pub dropped: usize,
    pub seconds: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error(transparent)]
    Validate(#[from] ValidateError),
    #[error("{} has no fixes to compile", .0.display())]
    NothingToValidate(PathBuf),
    #[error("no corpus given and no cargo registry sources found; pass a directory of Rust code")]
    NoCorpus,
    #[error("{} holds no .rs files to measure", .0.display())]
    Empty(PathBuf),
    #[error("cannot write the generated file {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Validates every fix of the crate at `dir` three times: cold (a fresh
/// build directory), warm, and warm with only the fixes that compiled.
pub fn validation(dir: &Path, settings: &ValidateSettings) -> Result<ValidationBench, BenchError> {
    let registry = Registry::builtin();
    let skills: Vec<&dyn Skill> = registry.all().collect();
    let workspace = Workspace::discover(dir, &ScanConfig::default())?;
    let options = ScanOptions {
        keep_fixable_sources: true,
        ..ScanOptions::default()
    };
    let report = scan(&workspace, &skills, &options, &|_| {});
    let fixes: Vec<Fix> = report.fixes().cloned().collect();
    if fixes.is_empty() {
        return Err(BenchError::NothingToValidate(dir.to_path_buf()));
    }
    let sources = report.sources();
    let target = tempfile::tempdir().map_err(|e| ValidateError::Write {
        path: "a build directory".into(),
        source: e,
    })?;
    let compiler = Compiler::new(settings, target.path().to_path_buf())?;
    let mut runs = Vec::new();
    let mut batch = fixes.clone();
    for label in ["cold", "warm", "warm, only what compiles"] {
        let scratch = validate::scratch_copy(dir)?;
        let done = validate::validate(
            &compiler,
            scratch.path(),
            &sources,
            &batch,
            settings.max_rounds,
        )?;
        runs.push(ValidationRun {
            label,
            fixes: batch.len(),
            rounds: done.rounds,
            compiles: done.compiles,
            dropped: done.dropped.len(),
            seconds: done.seconds,
        });
        if label == "warm" {
            batch.retain(|f| done.applied.applied.contains(&f.fingerprint));
        }
    }
    Ok(ValidationBench {
        crate_dir: dir.to_path_buf(),
        command: compiler.describe(),
        fixes: fixes.len(),
        files: sources.len(),
        runs,
    })
}

impl ValidationBench {
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "validating {} fixes in {} files of {} with `{}`\n\n{:<26} {:>6} {:>7} {:>9} {:>8} {:>9}\n",
            self.fixes,
            self.files,
            self.crate_dir.display(),
            self.command,
            "batch",
            "fixes",
            "rounds",
            "compiles",
            "dropped",
            "seconds"
        );
        for run in &self.runs {
            out.push_str(&format!(
                "{:<26} {:>6} {:>7} {:>9} {:>8} {:>9.1}\n",
                run.label, run.fixes, run.rounds, run.compiles, run.dropped, run.seconds
            ));
        }
        out
    }
}

/// `$CARGO_HOME/registry/src`, else `~/.cargo/registry/src`, when it exists.
pub fn default_corpus() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let src = home.join("registry").join("src");
    src.is_dir().then_some(src)
}

/// Measures bare parsing and the full scan (all built-in skills) over the
/// `.rs` files under `corpus`, `rounds` times each, keeping the best, and
/// then the peak memory of each in one more round.
pub fn run(corpus: Option<&Path>, rounds: usize) -> Result<BenchReport, BenchError> {
    let (corpus, workspace) = corpus_workspace(corpus)?;
    let bytes = workspace.total_bytes();
    let files = workspace.files.len();
    let rounds = rounds.max(1);

    let registry = Registry::builtin();
    let skills: Vec<&dyn Skill> = registry.all().collect();
    let options = ScanOptions {
        keep_fixable_sources: false,
        metrics: false,
        max_file_bytes: MAX_FILE_BYTES,
        ..ScanOptions::default()
    };
    let mut findings = 0;
    let mut scan_once = || {
        findings = scan(&workspace, &skills, &options, &|_| {})
            .findings()
            .count();
    };
    // The phases take turns, round by round, so that whatever slows the
    // machine for a while (another process, the page cache) weighs on both
    // alike and the ratio between them holds.
    let (mut parse_time, mut scan_time) = (Duration::MAX, Duration::MAX);
    let mut parse_failures = 0;
    for _ in 0..rounds {
        parse_time = parse_time.min(timed(|| parse_failures = bare_parse(&workspace)));
        scan_time = scan_time.min(timed(&mut scan_once));
    }
    // Memory in rounds of its own: handing every thread's free memory back
    // first makes each phase's peak its own, but costs the next phase the
    // time to take it again.
    fresh_peak();
    bare_parse(&workspace);
    let parse_peak = peak_rss_mb();
    fresh_peak();
    scan_once();
    let scan_peak = peak_rss_mb();

    let throughput = |time: Duration, peak| {
        let seconds = time.as_secs_f64().max(1e-9);
        Throughput {
            seconds,
            mb_per_s: bytes as f64 / 1e6 / seconds,
            files_per_s: files as f64 / seconds,
            peak_rss_mb: peak,
        }
    };
    let parse = throughput(parse_time, parse_peak);
    let scan = throughput(scan_time, scan_peak);
    Ok(BenchReport {
        corpus,
        files,
        bytes,
        threads: rayon::current_num_threads(),
        rounds,
        parse_failures,
        findings,
        scan_to_parse: scan.mb_per_s / parse.mb_per_s,
        parse,
        scan,
        own_process_scan_peak_rss_mb: None,
    })
}

impl BenchReport {
    pub fn to_text(&self) -> String {
        let peak = |t: &Throughput| {
            t.peak_rss_mb
                .map_or("n/a".to_owned(), |mb| format!("{mb:.0} MB"))
        };
        let own_process = self
            .own_process_scan_peak_rss_mb
            .map(|mb| format!("`patchwright scan` of the corpus in a process of its own: peak RSS {mb:.0} MB\n"))
            .unwrap_or_default();
        format!(
            "corpus: {} ({} files, {:.1} MB; {} not parseable by syn)\n\
             threads: {}, best of {} rounds\n\
             bare parse: {:>7.1} MB/s {:>9.0} files/s   peak RSS {}\n\
             full scan:  {:>7.1} MB/s {:>9.0} files/s   peak RSS {}   ({} findings)\n\
             full scan / bare parse: {:.0}%\n{}",
            self.corpus.display(),
            self.files,
            self.bytes as f64 / 1e6,
            self.parse_failures,
            self.threads,
            self.rounds,
            self.parse.mb_per_s,
            self.parse.files_per_s,
            peak(&self.parse),
            self.scan.mb_per_s,
            self.scan.files_per_s,
            peak(&self.scan),
            self.findings,
            self.scan_to_parse * 100.0,
            own_process,
        )
    }
}

/// The corpus (the local registry's sources unless given) as one
/// workspace of its `.rs` files, read once so that no phase measured
/// afterwards pays for the first read.
fn corpus_workspace(corpus: Option<&Path>) -> Result<(PathBuf, Workspace), BenchError> {
    let corpus = match corpus {
        Some(path) => path.to_path_buf(),
        None => default_corpus().ok_or(BenchError::NoCorpus)?,
    };
    let paths = rust_files(&corpus);
    if paths.is_empty() {
        return Err(BenchError::Empty(corpus));
    }
    let workspace = Workspace::from_files(corpus.clone(), paths);
    for file in &workspace.files {
        let _ = std::fs::read(&file.abs);
    }
    Ok((corpus, workspace))
}

/// Every `.rs` file under `root` up to the size limit, ignore files and
/// all (a registry's crates carry their own `.gitignore`s).
fn rust_files(root: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = ignore::WalkBuilder::new(root)
        .standard_filters(false)
        .build()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
        .filter(|e| e.metadata().is_ok_and(|m| m.len() <= MAX_FILE_BYTES))
        .map(|e| e.into_path())
        .collect();
    paths.sort();
    paths
}

/// The bare baseline: read, parse, drop. Returns the files that failed.
fn bare_parse(workspace: &Workspace) -> usize {
    // On the scan's threads and in its order, so that the two are compared
    // on equal terms and the scan's peak memory is not raised by other
    // threads holding what the parse freed.
    on_scan_threads(|| {
        workspace
            .largest_first()
            .par_iter()
            .with_max_len(1)
            .map(|&i| {
                let file = &workspace.files[i];
                let Ok(text) = std::fs::read_to_string(&file.abs) else {
                    return 1;
                };
                let failed = syn::parse_file(&text).is_err();
                release_thread_spans();
                usize::from(failed)
            })
            .sum()
    })
}

/// Starts a new peak, after every thread a phase runs on has handed back
/// what its allocator holds free: the earlier phases' leftovers do not
/// count toward the next one's peak.
pub(crate) fn fresh_peak() {
    on_scan_threads(|| rayon::broadcast(|_| release_free_memory()));
    reset_peak_rss();
}

fn timed(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

pub(crate) fn best_of(rounds: usize, mut f: impl FnMut()) -> Duration {
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_a_small_corpus() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.rs"),
            "pub struct A;\nfn f(v: &[u8]) -> bool { v.len() == 0 }\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("b.rs"), "fn broken( {").unwrap();
        let report = run(Some(dir.path()), 1).unwrap();
        assert_eq!(report.files, 2);
        assert_eq!(report.parse_failures, 1);
        assert_eq!(report.findings, 2);
        assert!(report.parse.mb_per_s > 0.0 && report.scan.files_per_s > 0.0);
        assert!(report.to_text().contains("full scan / bare parse"));
    }

    #[test]
    fn an_empty_corpus_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            run(Some(dir.path()), 1),
            Err(BenchError::Empty(_))
        ));
    }
}
