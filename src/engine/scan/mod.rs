//! The scan: read and parse every file of a workspace in parallel, run the
//! skills, and turn what they detect into fingerprinted findings.
//!
//! Memory stays flat however big the repository: each file's text, tree and
//! proc-macro2 span map are dropped before the thread takes the next file.
//! Only files with fixes keep their text, and only when asked.

mod analyse;
mod cache;
mod report;
mod schedule;

use analyse::{Analysed, analyse};
pub use cache::{MAX_CACHE_BYTES, ScanCache, salt};
pub use report::{
    CacheStats, CrateFacts, FileScan, ScanOptions, ScanProgress, ScanReport, ScanWarning,
    SkipReason,
};

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use crate::engine::edit::{Applied, Fix, Patched, apply_fixes};
use crate::engine::skill::{Skill, SkillContext};
use crate::engine::source::release_thread_spans;
use crate::engine::workspace::{Edition, Workspace, WorkspaceFile};
use crate::vocab::rel_path::RelPath;

/// Files larger than this are scanned one at a time (see `schedule`).
const BIG_FILE_BYTES: u64 = 128 * 1024;

/// Scans every file of `workspace` with `skills`. `progress` is called once
/// per file, from worker threads.
pub fn scan(
    workspace: &Workspace,
    skills: &[&dyn Skill],
    options: &ScanOptions,
    progress: &(dyn Fn(&WorkspaceFile) + Sync),
) -> ScanReport {
    scan_cached(workspace, skills, options, None, progress)
}

/// [`scan`], taking each unchanged file's result from `cache` and keeping
/// the results of the others in it. A scan that measures files (metrics)
/// neither reads nor fills the cache.
pub fn scan_cached(
    workspace: &Workspace,
    skills: &[&dyn Skill],
    options: &ScanOptions,
    cache: Option<&ScanCache>,
    progress: &(dyn Fn(&WorkspaceFile) + Sync),
) -> ScanReport {
    let started = std::time::Instant::now();
    let cache = cache.filter(|_| !options.metrics);
    // Results go back to path order afterwards.
    let order = workspace.largest_first();
    let each = || -> Vec<Result<Scanned, ScanWarning>> {
        let mut done = schedule::run_all(
            &order,
            |i| workspace.files[i].size > BIG_FILE_BYTES,
            |i| {
                let file = &workspace.files[i];
                let result = scan_file(workspace, file, skills, options, cache);
                progress(file);
                result
            },
        );
        done.sort_unstable_by_key(|(i, _)| *i);
        done.into_iter().map(|(_, result)| result).collect()
    };
    let results = on_scan_threads(each);
    let mut report = ScanReport::default();
    let mut scanned_files = Vec::new();
    for result in results {
        match result {
            Ok(mut scanned) => {
                // Moved, not copied: a file's facts are needed only here.
                for (skill, fact) in std::mem::take(&mut scanned.analysed.facts) {
                    let key = (scanned.package.clone(), skill.to_owned());
                    match report.crate_facts.get_mut(&key) {
                        Some(facts) => {
                            facts.insert(fact);
                        }
                        None => {
                            report.crate_facts.insert(key, BTreeSet::from([fact]));
                        }
                    }
                }
                report.bytes_scanned += scanned.bytes;
                report.warnings.extend(scanned.skill_failures);
                scanned_files.push(scanned.analysed);
            }
            Err(warning) => report.warnings.push(warning),
        }
    }
    report.files = scanned_files
        .into_iter()
        .map(|analysed| analysed.standing(skills, &report.crate_facts))
        .collect();
    report.packages = workspace.packages.len();
    report.cache = cache.map(ScanCache::stats);
    report.seconds = started.elapsed().as_secs_f64();
    report
}

/// Scans `text` as the file `path` outside any package, on the scan's
/// threads (deep stacks), as [`scan`] scans a file it read: for text that is
/// not on disk. A skill that fails is a [`SkipReason::SkillFailed`] warning.
pub fn scan_text(
    path: RelPath,
    text: String,
    skills: &[&dyn Skill],
    options: &ScanOptions,
) -> Result<FileScan, ScanWarning> {
    let each = || {
        let analysed = analyse(
            path.clone(),
            text,
            skills,
            &SkillContext::default(),
            options,
        );
        release_thread_spans();
        let analysed = analysed?;
        if let Some(skill) = analysed.failed.first() {
            return Err(ScanWarning {
                message: format!("{path}: skill {skill} failed on this file"),
                path,
                reason: SkipReason::SkillFailed,
            });
        }
        let mut facts = CrateFacts::new();
        for (skill, fact) in &analysed.facts {
            facts
                .entry((String::new(), (*skill).to_owned()))
                .or_default()
                .insert(fact.clone());
        }
        Ok(analysed.standing(skills, &facts))
    };
    on_scan_threads(each)
}

/// Stack for the threads that parse: syn, the skills' visitors and a tree's
/// destructor recurse as deep as the code nests, and `scan.max_nesting`'s
/// default is sized for this (real code nests a few hundred deep at most).
const PARSE_STACK_BYTES: usize = 64 * 1024 * 1024;

/// Runs `f` on the scan's threads: what `f` runs in parallel runs where a
/// scan would, with the same stacks (and the memory those threads keep).
pub fn on_scan_threads<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    match parse_pool() {
        Some(pool) => pool.install(f),
        None => f(),
    }
}

/// The scan's threads, with stacks deep enough for any file under the
/// nesting bound; `None` (the default threads) if they cannot be made.
fn parse_pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .stack_size(PARSE_STACK_BYTES)
            .thread_name(|i| format!("patchwright-scan-{i}"))
            .build()
            .map_err(|e| {
                tracing::warn!("cannot start the scan's threads ({e}); using the default ones")
            })
            .ok()
    })
    .as_ref()
}

/// A scanned file, its package and size, and the skills that failed on it.
struct Scanned {
    analysed: Analysed,
    package: String,
    bytes: u64,
    skill_failures: Vec<ScanWarning>,
}

fn scan_file(
    workspace: &Workspace,
    file: &WorkspaceFile,
    skills: &[&dyn Skill],
    options: &ScanOptions,
    cache: Option<&ScanCache>,
) -> Result<Scanned, ScanWarning> {
    let warn = |reason: SkipReason, message: String| ScanWarning {
        path: file.path.clone(),
        reason,
        message,
    };
    if file.size > options.max_file_bytes {
        return Err(warn(
            SkipReason::TooLarge,
            format!(
                "{}: skipped, {} bytes is over scan.max_file_bytes ({})",
                file.path, file.size, options.max_file_bytes
            ),
        ));
    }
    let bytes = std::fs::read(&file.abs).map_err(|e| {
        warn(
            SkipReason::Unreadable,
            format!("{}: skipped, {e}", file.path),
        )
    })?;
    let size = bytes.len() as u64;
    if size > options.max_file_bytes {
        return Err(warn(
            SkipReason::TooLarge,
            format!(
                "{}: skipped, {size} bytes is over scan.max_file_bytes ({})",
                file.path, options.max_file_bytes
            ),
        ));
    }
    let cx = context_for(workspace, file);
    let key = cache.map(|_| ScanCache::key(&bytes, &file.path, &cx));
    let text = String::from_utf8(bytes).map_err(|e| {
        warn(
            SkipReason::NotUtf8,
            format!(
                "{}: skipped, not UTF-8 (invalid byte at offset {})",
                file.path,
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    if let (Some(cache), Some(key)) = (cache, &key)
        && let Some(analysed) = cache.get(key, &file.path, &text, skills, &cx, options)
    {
        return Ok(Scanned {
            analysed,
            package: cx.package.to_owned(),
            bytes: size,
            skill_failures: Vec::new(),
        });
    }
    let result = analyse(file.path.clone(), text, skills, &cx, options);
    // The tree and its spans are gone by now; free the thread's span map.
    release_thread_spans();
    if let (Some(cache), Some(key), Ok(analysed)) = (cache, key, &result)
        && analysed.failed.is_empty()
    {
        cache.put(key, analysed);
    }
    result.map(|analysed| Scanned {
        package: cx.package.to_owned(),
        bytes: size,
        skill_failures: analysed
            .failed
            .iter()
            .map(|skill| {
                warn(
                    SkipReason::SkillFailed,
                    format!(
                        "{}: skill {skill} failed on this file; its findings here are missing",
                        file.path
                    ),
                )
            })
            .collect(),
        analysed,
    })
}

fn context_for<'w>(workspace: &'w Workspace, file: &WorkspaceFile) -> SkillContext<'w> {
    let package = workspace.package(file);
    SkillContext {
        edition: package.map_or(Edition::DEFAULT, |p| p.edition),
        package: package.map_or("", |p| p.name.as_str()),
        rust_version: package.and_then(|p| p.rust_version),
        generated: false,
    }
}

/// Applies every fix of `report` (which must have kept its fixable
/// sources), then re-scans the patched text of files whose fixes had to wait
/// for an overlapping one, up to `max_passes` in all. Nothing touches disk.
pub fn apply_until_stable(
    workspace: &Workspace,
    skills: &[&dyn Skill],
    report: &ScanReport,
    max_passes: usize,
) -> Applied {
    // Re-scans parse again: on the scan's threads, with their deep stacks.
    on_scan_threads(|| apply_in_passes(workspace, skills, report, max_passes))
}

fn apply_in_passes(
    workspace: &Workspace,
    skills: &[&dyn Skill],
    report: &ScanReport,
    max_passes: usize,
) -> Applied {
    let originals = report.sources();
    let fixes: Vec<Fix> = report.fixes().cloned().collect();
    let mut applied = apply_fixes(&originals, &fixes);
    for _ in 1..max_passes {
        let waiting: BTreeSet<RelPath> = applied
            .deferred()
            .filter_map(|fp| fixes.iter().find(|f| f.fingerprint == *fp))
            .flat_map(|f| f.edits.iter().map(|(p, _)| p.clone()))
            .collect();
        if waiting.is_empty() {
            break;
        }
        let current: BTreeMap<RelPath, String> = waiting
            .iter()
            .filter_map(|path| {
                let text = applied
                    .files
                    .get(path)
                    .map(|p| &p.new)
                    .or_else(|| originals.get(path))?;
                Some((path.clone(), text.clone()))
            })
            .collect();
        let options = ScanOptions {
            keep_fixable_sources: false,
            metrics: false,
            max_file_bytes: u64::MAX,
            ..ScanOptions::default()
        };
        let mut next_fixes = Vec::new();
        for (path, text) in &current {
            let Some(file) = workspace.files.iter().find(|f| &f.path == path) else {
                continue;
            };
            let cx = context_for(workspace, file);
            if let Ok(analysed) = analyse(path.clone(), text.clone(), skills, &cx, &options) {
                let scan = analysed.standing(skills, &report.crate_facts);
                next_fixes.extend(scan.findings.into_iter().filter_map(|f| f.fix));
            }
            release_thread_spans();
        }
        let next = apply_fixes(&current, &next_fixes);
        if next.applied.is_empty() {
            break;
        }
        for (path, patched) in next.files {
            let original = originals.get(&path).cloned().unwrap_or_default();
            applied.files.insert(
                path,
                Patched {
                    original,
                    new: patched.new,
                },
            );
        }
        applied
            .not_applied
            .retain(|(fp, _)| !next.applied.contains(fp));
        applied.applied.extend(next.applied);
        for (fp, why) in next.not_applied {
            if !applied.not_applied.iter().any(|(known, _)| *known == fp) {
                applied.not_applied.push((fp, why));
            }
        }
    }
    applied
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ScanConfig;
    use crate::engine::skill::Detection;
    use crate::engine::skills::Registry;
    use crate::engine::source::SourceFile;
    use crate::vocab::ids::Fingerprint;
    use std::time::Duration;

    #[test]
    fn a_hand_written_debug_in_another_file_retracts_the_derive() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("Cargo.toml"),
            "[package]\nname = \"two\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        )
        .unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(
            dir.path().join("src/lib.rs"),
            "pub mod parse;\nmod fmt_impls;\npub struct Plain;\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("src/parse.rs"),
            "pub struct Error {\n    pub at: usize,\n}\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("src/fmt_impls.rs"),
            "use std::fmt;\nimpl fmt::Debug for crate::parse::Error {\n    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {\n        f.write_str(\"Error\")\n    }\n}\n",
        )
        .unwrap();
        let report = scan_dir(dir.path());
        let derive: Vec<&str> = report
            .findings()
            .filter(|f| f.skill.as_str() == "derive-debug")
            .map(|f| f.message.as_str())
            .collect();
        assert_eq!(derive, ["public struct `Plain` does not implement `Debug`"]);
        assert_eq!(
            report.crate_facts[&("two".to_owned(), "derive-debug".to_owned())],
            BTreeSet::from(
                [
                    "Error",
                    "debug-in Error src/fmt_impls.rs",
                    "declared Error",
                    "declared Plain",
                    "will-derive Error",
                    "will-derive Plain"
                ]
                .map(str::to_owned)
            )
        );
        let registry = Registry::builtin();
        let skills: Vec<&dyn Skill> = registry.all().collect();
        let ws = Workspace::discover(dir.path(), &ScanConfig::default()).unwrap();
        let applied = apply_until_stable(&ws, &skills, &report, 4);
        assert!(
            !applied.files.contains_key(&"src/parse.rs".parse().unwrap()),
            "never re-found on a later pass"
        );
    }

    fn scan_dir(dir: &std::path::Path) -> ScanReport {
        let ws = Workspace::discover(dir, &ScanConfig::default()).unwrap();
        let registry = Registry::builtin();
        let skills: Vec<&dyn Skill> = registry.all().collect();
        let options = ScanOptions {
            keep_fixable_sources: true,
            metrics: false,
            max_file_bytes: 1000,
            ..ScanOptions::default()
        };
        scan(&ws, &skills, &options, &|_| {})
    }

    #[test]
    fn bad_files_are_warnings_and_the_rest_is_scanned() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("good.rs"), "pub struct A;\n").unwrap();
        std::fs::write(dir.path().join("broken.rs"), "fn x( {\n").unwrap();
        std::fs::write(dir.path().join("latin1.rs"), b"// caf\xe9\n").unwrap();
        std::fs::write(dir.path().join("huge.rs"), "//".repeat(600)).unwrap();
        let report = scan_dir(dir.path());
        assert_eq!(report.files.len(), 1);
        assert_eq!(report.files[0].findings.len(), 1);
        let reasons: Vec<(&str, &SkipReason)> = report
            .warnings
            .iter()
            .map(|w| (w.path.as_str(), &w.reason))
            .collect();
        assert_eq!(
            reasons,
            [
                ("broken.rs", &SkipReason::DoesNotParse),
                ("huge.rs", &SkipReason::TooLarge),
                ("latin1.rs", &SkipReason::NotUtf8)
            ]
        );
        assert!(
            report.warnings[0].message.starts_with("broken.rs:1:"),
            "{}",
            report.warnings[0].message
        );
    }

    struct Panicky;

    impl Skill for Panicky {
        fn id(&self) -> &'static str {
            "panicky"
        }
        fn description(&self) -> &'static str {
            "always panics"
        }
        fn rationale(&self) -> &'static str {
            "tests"
        }
        fn title(&self) -> &'static str {
            "Panic"
        }
        fn risk(&self) -> crate::vocab::risk::Risk {
            crate::vocab::risk::Risk::Low
        }
        fn can_fix(&self) -> bool {
            false
        }
        fn check(&self, _: &SourceFile, _: &SkillContext<'_>) -> Vec<Detection> {
            panic!("a bug in a skill")
        }
    }

    #[test]
    fn a_panicking_skill_costs_only_its_own_findings() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.rs"), "pub struct A;\n").unwrap();
        let ws = Workspace::discover(dir.path(), &ScanConfig::default()).unwrap();
        let registry = Registry::builtin();
        let skills: Vec<&dyn Skill> = vec![&Panicky, registry.get("derive-debug").unwrap()];
        let report = scan(&ws, &skills, &ScanOptions::default(), &|_| {});
        assert_eq!(report.findings().count(), 1);
        assert_eq!(report.warnings.len(), 1);
        assert_eq!(report.warnings[0].reason, SkipReason::SkillFailed);
        assert_eq!(
            report.warnings[0].message,
            "a.rs: skill panicky failed on this file; its findings here are missing"
        );
    }

    #[test]
    fn fingerprints_survive_lines_added_above_and_count_occurrences() {
        let dir = tempfile::tempdir().unwrap();
        let body = "fn f(v: &[u8]) -> bool { v.len() == 0 || v.len() == 0 }\n";
        std::fs::write(dir.path().join("a.rs"), body).unwrap();
        let before: Vec<Fingerprint> = scan_dir(dir.path())
            .findings()
            .map(|f| f.fingerprint.clone())
            .collect();
        std::fs::write(
            dir.path().join("a.rs"),
            format!("// a new comment\n\nfn g() {{}}\n{body}"),
        )
        .unwrap();
        let after: Vec<Fingerprint> = scan_dir(dir.path())
            .findings()
            .map(|f| f.fingerprint.clone())
            .collect();
        assert_eq!(before.len(), 2);
        assert_ne!(
            before[0], before[1],
            "identical findings differ by occurrence"
        );
        assert_eq!(before, after);
        // Moving the function to another file keeps its fingerprints too.
        std::fs::remove_file(dir.path().join("a.rs")).unwrap();
        std::fs::write(dir.path().join("moved.rs"), body).unwrap();
        let moved: Vec<Fingerprint> = scan_dir(dir.path())
            .findings()
            .map(|f| f.fingerprint.clone())
            .collect();
        assert_eq!(before, moved);
    }

    /// Finds every `fn`, and takes its time over files named `slow*`.
    struct Dawdler;

    impl Skill for Dawdler {
        fn id(&self) -> &'static str {
            "dawdler"
        }
        fn description(&self) -> &'static str {
            "finds functions, slowly in some files"
        }
        fn rationale(&self) -> &'static str {
            "a test"
        }
        fn title(&self) -> &'static str {
            "a test"
        }
        fn risk(&self) -> crate::vocab::risk::Risk {
            crate::vocab::risk::Risk::Low
        }
        fn can_fix(&self) -> bool {
            false
        }
        fn check(&self, file: &SourceFile, _cx: &SkillContext<'_>) -> Vec<Detection> {
            if file.path().as_str().contains("slow") {
                std::thread::sleep(Duration::from_millis(300));
            }
            file.ast()
                .items
                .iter()
                .map(|item| Detection {
                    fix_needs: None,
                    range: file.range_of(item),
                    message: "a function".into(),
                    key: "fn".into(),
                    edits: None,
                })
                .collect()
        }
    }

    #[test]
    fn a_file_over_its_time_budget_is_dropped_and_the_scan_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("fast.rs"), "fn a() {}\n").unwrap();
        std::fs::write(dir.path().join("slow.rs"), "fn b() {}\n").unwrap();
        let ws = Workspace::from_files(
            dir.path().to_path_buf(),
            vec![dir.path().join("fast.rs"), dir.path().join("slow.rs")],
        );
        let options = ScanOptions {
            max_file_time: Duration::from_millis(200),
            ..ScanOptions::default()
        };
        // The budget is checked after each skill: the second one finds the
        // first over it.
        let skills: [&dyn Skill; 2] = [&Dawdler, &Dawdler];
        let report = scan(&ws, &skills, &options, &|_| {});
        let found: Vec<&str> = report.findings().map(|f| f.path.as_str()).collect();
        assert_eq!(found, ["fast.rs", "fast.rs"]);
        assert_eq!(report.warnings.len(), 1);
        assert_eq!(report.warnings[0].reason, SkipReason::TooSlow);
        assert_eq!(
            report.warnings[0].message,
            "slow.rs: skipped, scanning it took longer than scan.max_file_seconds (0 s); if it is generated, add it to scan.exclude"
        );
    }
}
