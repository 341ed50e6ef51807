//! Findings as JSON: a stable, versioned document for scripts and golden tests.

use serde_json::{Value, json};

use crate::engine::scan::ScanReport;

/// Bumped when a field changes meaning or disappears.
pub const FORMAT_VERSION: u32 = 1;

pub fn findings(report: &ScanReport) -> Value {
    let findings: Vec<Value> = report
        .findings()
        .map(|f| {
            json!({
                "skill": f.skill,
                "path": f.path,
                "line": f.start.line,
                "column": f.start.column,
                "end_line": f.end.line,
                "end_column": f.end.column,
                "item": f.item,
                "message": f.message,
                "severity": f.severity,
                "fingerprint": f.fingerprint,
                "fixable": f.fixable(),
            })
        })
        .collect();
    json!({
        "version": FORMAT_VERSION,
        "files_scanned": report.files.len(),
        "generated_files": report.files.iter().filter(|f| f.generated.is_some()).map(|f| &f.path).collect::<Vec<_>>(),
        "findings": findings,
        "warnings": report.warnings,
    })
}
