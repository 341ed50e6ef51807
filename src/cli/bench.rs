//! `bench`: scan throughput against bare parsing on a corpus, or what
//! compiling a crate's fixes costs.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::Result;

use patchwright::config::ValidateSettings;
use patchwright::engine::bench;

use crate::cli::args::{BenchArgs, ListFormat};
use crate::cli::output::{pretty, print};

pub fn bench(args: BenchArgs) -> Result<ExitCode> {
    let BenchArgs {
        path,
        validate,
        large,
        fixes,
        incremental,
        rules,
        check_command,
        rounds,
        format,
    } = args;
    let mut settings = ValidateSettings::default();
    if let Some(command) = check_command {
        settings.command = command;
    }
    if fixes {
        let corpus = path.unwrap_or_else(|| PathBuf::from("."));
        let report = bench::fixes::run(&corpus, &settings, &|name| {
            crate::cli::output::note_line(format_args!("{name}…"));
        })?;
        print(&match format {
            ListFormat::Text => report.to_text(),
            ListFormat::Json => pretty(&report)?,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(count) = rules {
        let report = bench::rules::run(path.as_deref(), rounds, count)?;
        print(&match format {
            ListFormat::Text => report.to_text(),
            ListFormat::Json => pretty(&report)?,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    if incremental {
        let report = bench::incremental::run(path.as_deref(), rounds)?;
        print(&match format {
            ListFormat::Text => report.to_text(),
            ListFormat::Json => pretty(&report)?,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    if !large.is_empty() {
        let report = bench::large_files::run(&large)?;
        print(&match format {
            ListFormat::Text => report.to_text(),
            ListFormat::Json => pretty(&report)?,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    if validate {
        let dir = path.unwrap_or_else(|| PathBuf::from("."));
        let report = bench::validation(&dir, &settings)?;
        print(&match format {
            ListFormat::Text => report.to_text(),
            ListFormat::Json => pretty(&report)?,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut report = bench::run(path.as_deref(), rounds)?;
    report.own_process_scan_peak_rss_mb = scan_in_own_process(&report.corpus);
    let out = match format {
        ListFormat::Text => report.to_text(),
        ListFormat::Json => pretty(&report)?,
    };
    print(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// How `--report-peak-memory` starts its line (MB follow): what
/// [`scan_in_own_process`] reads back from its child.
const PEAK_MEMORY_LINE: &str = "peak resident memory, MB: ";

/// `--report-peak-memory`: the process's peak memory, on stderr.
pub fn report_peak_memory() {
    if let Some(mb) = patchwright::sys::memory::peak_rss_mb() {
        crate::cli::output::note_line(format_args!("{PEAK_MEMORY_LINE}{mb:.1}"));
    }
}

/// Runs `patchwright scan` on `corpus` (without a cache, so that it scans
/// every file) as a child and returns its peak memory as it reports it: the
/// figure a user's scan shows, free of what the benchmark's own rounds left
/// allocated. The benchmark's figures stand without it when it cannot run.
fn scan_in_own_process(corpus: &Path) -> Option<f64> {
    let exe = std::env::current_exe().ok()?;
    let dir = tempfile::tempdir().ok()?;
    let config = dir.path().join("patchwright.yml");
    std::fs::write(&config, "scan:\n  cache: false\n").ok()?;
    crate::cli::output::note_line(format_args!(
        "scanning {} in a process of its own…",
        corpus.display()
    ));
    let output = Command::new(exe)
        .arg("--config")
        .arg(&config)
        .args(["--quiet", "--report-peak-memory", "scan"])
        .arg(corpus)
        .args(["--format", "json"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .ok()?;
    // Exit code 1 says the scan found something.
    if !matches!(output.status.code(), Some(0 | 1)) {
        return None;
    }
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .find_map(|line| line.strip_prefix(PEAK_MEMORY_LINE)?.trim().parse().ok())
}
