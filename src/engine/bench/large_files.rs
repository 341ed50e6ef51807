//! `patchwright bench --large`: one generated file of each given size, full
//! of findings for every built-in skill, scanned alone, with its time and
//! peak memory. A generated file is where a repository's biggest files come
//! from, and the scan holds one file's tree at a time, so this is what bounds
//! the memory a scan needs.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::engine::bench::{BenchError, fresh_peak, peak_rss_mb};
use crate::engine::scan::{ScanOptions, scan};
use crate::engine::skill::Skill;
use crate::engine::skills::Registry;
use crate::engine::workspace::Workspace;

#[derive(Debug, Clone, Serialize)]
pub struct LargeFileBench {
    pub threads: usize,
    pub files: Vec<LargeFileRun>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LargeFileRun {
    pub megabytes: f64,
    pub findings: usize,
    pub seconds: f64,
    /// Peak resident memory of the process while this file was scanned.
    pub peak_rss_mb: Option<f64>,
    /// Peak memory per megabyte of the file.
    pub mb_per_source_mb: Option<f64>,
}

/// Scans one generated file of each size (in MB), smallest first so that
/// memory a larger scan reuses was not counted toward a smaller one.
pub fn run(sizes_mb: &[u32]) -> Result<LargeFileBench, BenchError> {
    let mut sizes = sizes_mb.to_vec();
    sizes.sort_unstable();
    sizes.dedup();
    let registry = Registry::builtin();
    let skills: Vec<&dyn Skill> = registry.all().collect();
    let options = ScanOptions {
        max_file_bytes: u64::MAX,
        max_file_time: Duration::MAX,
        ..ScanOptions::default()
    };
    let mut files = Vec::new();
    for size in sizes {
        let dir =
            tempfile::tempdir().map_err(|e| write_error(Path::new("a temporary directory"), e))?;
        let path = dir.path().join("generated.rs");
        let text = generated_source(u64::from(size) * 1024 * 1024);
        std::fs::write(&path, &text).map_err(|e| write_error(&path, e))?;
        let bytes = text.len();
        drop(text);
        let workspace = Workspace::from_files(dir.path().to_path_buf(), vec![path]);
        fresh_peak();
        let start = Instant::now();
        let report = scan(&workspace, &skills, &options, &|_| {});
        let seconds = start.elapsed().as_secs_f64();
        let peak = peak_rss_mb();
        let findings = report.findings().count();
        drop(report);
        let megabytes = bytes as f64 / (1024.0 * 1024.0);
        files.push(LargeFileRun {
            megabytes,
            findings,
            seconds,
            peak_rss_mb: peak,
            mb_per_source_mb: peak.map(|p| p / megabytes),
        });
    }
    Ok(LargeFileBench {
        threads: rayon::current_num_threads(),
        files,
    })
}

fn write_error(path: &Path, source: std::io::Error) -> BenchError {
    BenchError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// Rust source of about `bytes` bytes in which every built-in skill finds
/// something in each block: a public type without `Debug`, `len() == 0`,
/// positional format arguments, a `match` that `?` replaces, a TODO.
pub fn generated_source(bytes: u64) -> String {
    let mut out = String::with_capacity(usize::try_from(bytes).unwrap_or(0) + 1024);
    let mut i = 0u64;
    loop {
        out.push_str(&format!(
            "// TODO: tidy block {i}\n\
             pub struct S{i} {{\n    pub a: u32,\n    pub v: Vec<u8>,\n}}\n\n\
             pub fn f{i}(x: &S{i}) -> Result<String, std::fmt::Error> {{\n    \
             if x.v.len() == 0 {{\n        return Ok(format!(\"{{}} {{}}\", x.a, {i}));\n    }}\n    \
             let r: Result<u32, std::fmt::Error> = Ok(1);\n    \
             let y = match r {{\n        Ok(v) => v,\n        Err(e) => return Err(e.into()),\n    }};\n    \
             Ok(format!(\"{{}}\", y))\n}}\n\n"
        ));
        i += 1;
        if out.len() as u64 >= bytes {
            return out;
        }
    }
}

impl LargeFileBench {
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "one generated file at a time, all built-in skills, {} threads\n\n{:>8} {:>9} {:>9} {:>10} {:>12}\n",
            self.threads, "file MB", "findings", "seconds", "peak MB", "MB per MB"
        );
        let na = |v: Option<f64>| v.map_or("n/a".to_owned(), |v| format!("{v:.0}"));
        for run in &self.files {
            out.push_str(&format!(
                "{:>8.1} {:>9} {:>9.1} {:>10} {:>12}\n",
                run.megabytes,
                run.findings,
                run.seconds,
                na(run.peak_rss_mb),
                na(run.mb_per_source_mb)
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::skill::SkillContext;
    use crate::engine::source::SourceFile;

    #[test]
    fn the_generated_source_parses_and_every_skill_finds_something() {
        let text = generated_source(2_000);
        assert!(text.len() >= 2_000);
        let file = SourceFile::parse("generated.rs".parse().unwrap(), text).unwrap();
        let registry = Registry::builtin();
        for skill in registry.all() {
            let found = skill.check(&file, &SkillContext::default());
            assert!(!found.is_empty(), "{} finds nothing", skill.id());
        }
    }

    #[test]
    fn a_small_file_is_measured() {
        let report = run(&[0]).unwrap();
        assert_eq!(report.files.len(), 1);
        assert!(report.files[0].findings >= 5);
        assert!(report.to_text().contains("MB per MB"));
    }
}
