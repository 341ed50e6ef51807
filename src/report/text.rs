//! Findings for a terminal: `path:line:col  skill  message  [fixable]`,
//! grouped by file, with a summary line.

use std::fmt::Write;

use crate::engine::scan::ScanReport;
use crate::vocab::text::escape_controls;

pub fn findings(report: &ScanReport) -> String {
    let mut out = String::new();
    let mut files_with_findings = 0;
    for file in report.files.iter().filter(|f| !f.findings.is_empty()) {
        if files_with_findings > 0 {
            out.push('\n');
        }
        files_with_findings += 1;
        for finding in &file.findings {
            let _ = write!(
                out,
                "{}:{}  {}  {}",
                finding.path,
                finding.start,
                finding.skill,
                escape_controls(&finding.message)
            );
            if finding.fixable() {
                out.push_str("  [fixable]");
            }
            out.push('\n');
        }
    }
    let total = report.findings().count();
    let fixable = report.findings().filter(|f| f.fixable()).count();
    if total > 0 {
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "{total} {} ({fixable} fixable) in {files_with_findings} {}; {} {} scanned",
        plural(total, "finding", "findings"),
        plural(files_with_findings, "file", "files"),
        report.files.len(),
        plural(report.files.len(), "file", "files"),
    );
    let generated = report
        .files
        .iter()
        .filter(|f| f.generated.is_some())
        .count();
    if generated > 0 {
        let _ = writeln!(
            out,
            "{generated} generated {} left out (scan.skip_generated)",
            plural(generated, "file", "files")
        );
    }
    out
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}
