//! Skills a compiler reports. Each lint of a family — `clippy`, `rustc` —
//! is a skill of its own (`clippy::needless_return`), so grouping, limits,
//! learning, pausing and ignoring work per lint as for any skill. A
//! family's command runs once over a copy of the workspace; every
//! suggestion the compiler marks machine-applicable becomes a finding with
//! its fix, fingerprinted like any other finding (the lint, the enclosing
//! item chain, the normalised text it flags, its occurrence), never by line.
//!
//! Where a built-in syntax skill and a lint cover the same thing
//! ([`OVERLAPS`]), the lint's finding is kept when the compiler ran: it
//! knows the types.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::path::Path;

use cargo_metadata::diagnostic::{Applicability, Diagnostic, DiagnosticSpan};

use crate::config::LintFamily;
use crate::engine::diagnostics::{first_error_line, in_workspace};
use crate::engine::edit::{Edit, Fix};
use crate::engine::finding::{Finding, Severity};
use crate::engine::items::ItemIndex;
use crate::engine::scan::{FileScan, ScanReport};
use crate::engine::source::{LineIndex, SourceFile, release_thread_spans};
use crate::engine::validate::{Compiler, ValidateError};
use crate::engine::workspace::{Edition, Workspace};
use crate::vocab::ids::{Fingerprint, FingerprintInput, SkillId};
use crate::vocab::rel_path::RelPath;

/// Built-in skills and the lint that covers the same thing.
pub const OVERLAPS: [(&str, &str); 3] = [
    ("len-zero", "clippy::len_zero"),
    ("inline-format-args", "clippy::uninlined_format_args"),
    ("question-mark", "clippy::question_mark"),
];

/// Minutes a family's command may run.
const TIMEOUT_MINUTES: u64 = 20;

/// What running the lint families added, and what to tell about them.
#[derive(Debug, Default)]
pub struct Linted {
    pub findings: usize,
    pub warnings: Vec<String>,
}

/// Where a lint family runs: `dir` is a copy of the workspace's root
/// (cargo may write to it), builds go to `target_dir`, and the variable
/// `token_env` (a configured token's) is kept from cargo.
#[derive(Debug, Clone, Copy)]
pub struct LintRun<'a> {
    pub dir: &'a Path,
    pub target_dir: &'a Path,
    pub token_env: &'a str,
}

/// Runs `families` and adds their findings to `report` — replacing
/// built-in findings their lints cover. A family that cannot run is a
/// warning; the rest of the scan stands.
pub fn add_lints(
    report: &mut ScanReport,
    families: &[LintFamily],
    workspace: &Workspace,
    at: LintRun<'_>,
) -> Linted {
    let mut linted = Linted::default();
    let mut wanted: BTreeMap<&str, HashSet<&str>> = BTreeMap::new();
    for family in families {
        wanted
            .entry(family.name)
            .or_default()
            .extend(family.lints.iter().map(String::as_str));
    }
    let mut diagnostics = Vec::new();
    // clippy's run reports rustc's lints too: with clippy, one run is enough.
    let clippy = families.iter().find(|f| f.name == "clippy");
    let runs: Vec<&LintFamily> = match clippy {
        Some(clippy) => vec![clippy],
        None => families.iter().collect(),
    };
    for family in runs.into_iter().filter(|f| !f.lints.is_empty()) {
        match run_family(family, at) {
            Ok(found) => diagnostics.extend(found),
            Err(why) => {
                linted.warnings.push(why);
                // Without clippy, rustc's lints still come from a check.
                if family.name == "clippy"
                    && let Some(rustc) = families.iter().find(|f| f.name == "rustc")
                    && !rustc.lints.is_empty()
                {
                    match run_family(rustc, at) {
                        Ok(found) => diagnostics.extend(found),
                        Err(why) => linted.warnings.push(why),
                    }
                }
            }
        }
    }
    let findings = findings(&diagnostics, &wanted, workspace, at.dir);
    linted.findings = findings.len();
    merge(report, findings);
    linted
}

/// The family's diagnostics, or why it could not run.
fn run_family(family: &LintFamily, at: LintRun<'_>) -> Result<Vec<Diagnostic>, String> {
    let default = format!(
        "cargo {} --workspace --all-targets --message-format=json",
        if family.name == "clippy" {
            "clippy"
        } else {
            "check"
        }
    );
    let compiler = Compiler::for_command(
        &family.command,
        TIMEOUT_MINUTES,
        at.target_dir.to_path_buf(),
        family.command == default,
    )
    .map_err(|e| format!("the {} lints are skipped: {e}", family.name))?
    .hiding(at.token_env);
    let mut extra = Vec::new();
    if family.name == "clippy" {
        // Only the chosen lints: everything else of clippy's is quiet.
        extra.extend(["--".to_owned(), "-A".to_owned(), "clippy::all".to_owned()]);
        for lint in &family.lints {
            extra.extend(["-W".to_owned(), format!("clippy::{lint}")]);
        }
    }
    let output = compiler.output(at.dir, &extra).map_err(|e| match e {
        ValidateError::TimedOut { .. } => format!("the {} lints are skipped: {e}", family.name),
        other => format!("the {} lints are skipped: {other}", family.name),
    })?;
    if output.diagnostics.is_empty() && !output.passed {
        let why = first_error_line(&output.tail).unwrap_or_else(|| "it said nothing".into());
        if why.contains("no such command") || why.contains("is not installed") {
            return Err(format!(
                "the {} lints are skipped: `{}` is not installed for this toolchain (`rustup component add {}`)",
                family.name,
                compiler.describe(),
                family.name
            ));
        }
        return Err(format!(
            "the {} lints are skipped: `{}` cannot build the project ({why})",
            family.name,
            compiler.describe()
        ));
    }
    Ok(output.diagnostics)
}

/// A lint's machine-applicable suggestions in workspace files, as
/// findings with their fixes. The same diagnostic reported for several
/// targets is one finding.
fn findings(
    diagnostics: &[Diagnostic],
    wanted: &BTreeMap<&str, HashSet<&str>>,
    workspace: &Workspace,
    dir: &Path,
) -> Vec<(Finding, String)> {
    let mut seen = HashSet::new();
    let mut per_file: BTreeMap<RelPath, Vec<Suggested>> = BTreeMap::new();
    for diagnostic in diagnostics {
        let Some(code) = diagnostic.code.as_ref().map(|c| c.code.as_str()) else {
            continue;
        };
        let (family, lint) = code.split_once("::").unwrap_or(("rustc", code));
        if !wanted.get(family).is_some_and(|lints| lints.contains(lint)) {
            continue;
        }
        let Ok(skill) = SkillId::new(&format!("{family}::{lint}")) else {
            continue;
        };
        let Some((path, primary)) = diagnostic
            .spans
            .iter()
            .find(|s| s.is_primary && s.expansion.is_none())
            .and_then(|s| in_workspace(s, dir))
        else {
            continue;
        };
        let Some(edits) = suggestion(diagnostic, &path, dir) else {
            continue;
        };
        let range = primary.byte_start as usize..primary.byte_end as usize;
        if !seen.insert((skill.clone(), path.clone(), range.clone())) {
            continue;
        }
        per_file.entry(path).or_default().push(Suggested {
            skill,
            message: diagnostic.message.clone(),
            range,
            edits,
        });
    }
    let mut out = Vec::new();
    for (path, found) in per_file {
        let Ok(text) = std::fs::read_to_string(path.to_path(dir)) else {
            continue;
        };
        out.extend(place(workspace, &path, &text, found));
    }
    out
}

/// The edits of a diagnostic's machine-applicable suggestions, all in the
/// primary span's file, or `None` when it has none or one is elsewhere or
/// inside a macro expansion (rustfix's rule: one diagnostic, one fix).
fn suggestion(diagnostic: &Diagnostic, path: &RelPath, dir: &Path) -> Option<Vec<Edit>> {
    fn spans<'d>(d: &'d Diagnostic, out: &mut Vec<&'d DiagnosticSpan>) {
        out.extend(d.spans.iter().filter(|s| s.suggested_replacement.is_some()));
        for child in &d.children {
            spans(child, out);
        }
    }
    let mut suggested = Vec::new();
    spans(diagnostic, &mut suggested);
    if suggested.is_empty() {
        return None;
    }
    let mut edits = Vec::new();
    for span in suggested {
        let machine = matches!(
            span.suggestion_applicability,
            Some(Applicability::MachineApplicable)
        );
        let here =
            span.expansion.is_none() && in_workspace(span, dir).is_some_and(|(p, _)| p == *path);
        if !machine || !here {
            return None;
        }
        let replacement = span.suggested_replacement.clone()?;
        edits.push(Edit::replace(
            span.byte_start as usize..span.byte_end as usize,
            replacement,
        ));
    }
    edits.sort_by_key(|e| (e.range.start, e.range.end));
    edits.dedup();
    Some(edits)
}

/// One lint finding before it is named and fingerprinted.
struct Suggested {
    skill: SkillId,
    message: String,
    range: Range<usize>,
    edits: Vec<Edit>,
}

/// Names and fingerprints one file's lint findings.
fn place(
    workspace: &Workspace,
    path: &RelPath,
    text: &str,
    found: Vec<Suggested>,
) -> Vec<(Finding, String)> {
    let package = workspace
        .files
        .iter()
        .find(|f| f.path == *path)
        .and_then(|f| workspace.package(f))
        .map_or(String::new(), |p| p.name.clone());
    let items = SourceFile::parse(path.clone(), text.to_owned())
        .ok()
        .map(|file| ItemIndex::build(&file));
    release_thread_spans();
    let lines = LineIndex::new(text);
    let mut occurrences: HashMap<(SkillId, String, String), usize> = HashMap::new();
    let mut out = Vec::new();
    for Suggested {
        skill,
        message,
        range,
        edits,
    } in found
    {
        if range.end > text.len()
            || !text.is_char_boundary(range.start)
            || !text.is_char_boundary(range.end)
        {
            continue;
        }
        let item = items
            .as_ref()
            .map_or(String::new(), |i| i.chain_at(&range).to_owned());
        let key = text[range.clone()]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let occurrence = occurrences
            .entry((skill.clone(), item.clone(), key.clone()))
            .or_default();
        let fingerprint = Fingerprint::compute(FingerprintInput {
            skill: skill.as_str(),
            package: &package,
            item: &item,
            key: &key,
            occurrence: *occurrence,
        });
        *occurrence += 1;
        let finding = Finding {
            fix: Some(Fix::new(fingerprint.clone(), path.clone(), edits)),
            skill,
            package: package.clone(),
            path: path.clone(),
            start: lines.line_col(text, range.start),
            end: lines.line_col(text, range.end),
            range,
            message,
            severity: Severity::Warning,
            item,
            fingerprint,
        };
        out.push((finding, text.to_owned()));
    }
    out
}

/// Adds lint findings to the scan: each into its file (keeping the file's
/// text for fixes), replacing the built-in findings its lint covers.
fn merge(report: &mut ScanReport, findings: Vec<(Finding, String)>) {
    let covered: HashSet<(RelPath, &str)> = findings
        .iter()
        .filter_map(|(f, _)| {
            let builtin = OVERLAPS.iter().find(|(_, lint)| f.skill == **lint)?.0;
            Some((f.path.clone(), builtin))
        })
        .collect();
    let ranges: Vec<(RelPath, &str, Range<usize>)> = findings
        .iter()
        .filter_map(|(f, _)| {
            let builtin = OVERLAPS.iter().find(|(_, lint)| f.skill == **lint)?.0;
            Some((f.path.clone(), builtin, f.range.clone()))
        })
        .collect();
    for file in &mut report.files {
        if !covered.iter().any(|(p, _)| *p == file.path) {
            continue;
        }
        file.findings.retain(|f| {
            !ranges.iter().any(|(p, builtin, r)| {
                *p == f.path
                    && f.skill == **builtin
                    && r.start < f.range.end
                    && f.range.start < r.end
            })
        });
    }
    for (finding, text) in findings {
        match report.files.iter_mut().find(|f| f.path == finding.path) {
            // Left out like the skills' findings there.
            Some(file) if file.generated.is_some() => {}
            Some(file) => {
                if file.text.is_none() {
                    file.text = Some(text);
                }
                file.findings.push(finding);
                file.findings.sort_by_key(|f| (f.range.start, f.range.end));
            }
            None => {
                // Its package's edition, as another of its files has it.
                let edition = report
                    .files
                    .iter()
                    .find(|file| file.findings.iter().any(|f| f.package == finding.package))
                    .map_or(Edition::DEFAULT, |file| file.edition);
                report.files.push(FileScan {
                    edition,
                    path: finding.path.clone(),
                    findings: vec![finding],
                    metrics: None,
                    text: Some(text),
                    generated: None,
                });
            }
        }
    }
    report.files.sort_by(|a, b| a.path.cmp(&b.path));
}
