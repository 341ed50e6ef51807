//! Reading what cargo and the compiler say: the errors in cargo's JSON
//! messages (read with `cargo_metadata`, never by hand), placed in the
//! workspace's own files, and the one line of a failing command's output
//! that says what went wrong.

use std::io::{BufReader, Read};
use std::ops::Range;
use std::path::Path;

use cargo_metadata::Message;
use cargo_metadata::diagnostic::{Diagnostic, DiagnosticLevel, DiagnosticSpan};

use crate::vocab::rel_path::RelPath;

/// A compiler error in one of the workspace's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    /// `E0119`, when the error has a code.
    pub code: Option<String>,
    pub message: String,
    pub path: RelPath,
    /// Bytes of the file as compiled.
    pub range: Range<usize>,
    /// 1-based, in the file as compiled.
    pub line: usize,
}

impl CompileError {
    /// What identifies the error apart from where it is, to tell an error
    /// the base has already from a new one when lines have moved.
    pub fn identity(&self) -> (Option<&str>, &str, &RelPath) {
        (self.code.as_deref(), &self.message, &self.path)
    }

    /// `E0119 at src/x.rs:12: conflicting implementations of …`.
    pub fn describe(&self) -> String {
        let code = self
            .code
            .as_deref()
            .map_or(String::new(), |c| format!("{c} "));
        format!("{code}at {}:{}: {}", self.path, self.line, self.message)
    }
}

/// What a cargo run's JSON messages held.
#[derive(Debug, Default)]
pub struct Messages {
    pub errors: Vec<CompileError>,
    /// Errors whose place is not a file of the workspace (a dependency, a
    /// build script's output), said as text.
    pub elsewhere: Vec<String>,
    /// Lines that were not JSON messages.
    pub garbage: usize,
}

/// Every compiler diagnostic in cargo's `--message-format=json` stream,
/// and how many lines were not messages.
pub fn read_diagnostics(stream: impl Read) -> (Vec<Diagnostic>, usize) {
    let mut diagnostics = Vec::new();
    let mut garbage = 0;
    for message in Message::parse_stream(BufReader::new(stream)) {
        match message {
            Ok(Message::CompilerMessage(msg)) => diagnostics.push(msg.message),
            Ok(Message::TextLine(line)) if !line.trim().is_empty() => garbage += 1,
            Ok(_) => {}
            // Not UTF-8 or unreadable: count it, never fail on it.
            Err(_) => garbage += 1,
        }
    }
    (diagnostics, garbage)
}

/// The errors among `diagnostics`, placed in the files under `root` (where
/// cargo ran: the paths in its messages are relative to it, or absolute).
pub fn errors(diagnostics: &[Diagnostic], root: &Path) -> Messages {
    let mut out = Messages::default();
    for diagnostic in diagnostics {
        add(&mut out, diagnostic, root);
    }
    out
}

/// Reads cargo's `--message-format=json` stream for its errors.
pub fn read_messages(stream: impl Read, root: &Path) -> Messages {
    let (diagnostics, garbage) = read_diagnostics(stream);
    Messages {
        garbage,
        ..errors(&diagnostics, root)
    }
}

fn add(out: &mut Messages, diagnostic: &Diagnostic, root: &Path) {
    if !matches!(
        diagnostic.level,
        DiagnosticLevel::Error | DiagnosticLevel::Ice
    ) {
        return;
    }
    let placed = diagnostic
        .spans
        .iter()
        .filter(|s| s.is_primary)
        .chain(diagnostic.spans.iter().filter(|s| !s.is_primary))
        .find_map(|span| in_workspace(span, root));
    match placed {
        Some((path, span)) => out.errors.push(CompileError {
            code: diagnostic.code.as_ref().map(|c| c.code.clone()),
            message: diagnostic.message.clone(),
            path,
            range: span.byte_start as usize..span.byte_end as usize,
            line: span.line_start,
        }),
        None => out.elsewhere.push(diagnostic.message.clone()),
    }
}

/// The span itself when it is in a workspace file, else the place a macro
/// that produced it was called from, if that is.
pub fn in_workspace<'s>(
    span: &'s DiagnosticSpan,
    root: &Path,
) -> Option<(RelPath, &'s DiagnosticSpan)> {
    let path = Path::new(&span.file_name);
    let relative = if path.is_absolute() {
        path.strip_prefix(root).ok()
    } else {
        Some(path)
    };
    if let Some(rel) = relative.and_then(RelPath::from_relative)
        && rel.to_path(root).is_file()
    {
        return Some((rel, span));
    }
    span.expansion
        .as_ref()
        .and_then(|e| in_workspace(&e.span, root))
}

/// The line that says what went wrong in a failing run's output: the first
/// that starts like an error (`error:`, `error[E0425]:`, `fatal:`, a
/// panic), else the last non-empty line.
pub fn first_error_line(output: &str) -> Option<String> {
    let lines = output.lines().map(str::trim).filter(|l| !l.is_empty());
    let looks_like_error = |line: &&str| {
        let lower = line.to_ascii_lowercase();
        lower.starts_with("error")
            || lower.starts_with("fatal:")
            || lower.contains("panicked at")
            || lower.starts_with("failed")
    };
    let line = lines
        .clone()
        .find(looks_like_error)
        .or_else(|| lines.clone().next_back())?;
    const MAX: usize = 200;
    Some(if line.chars().count() > MAX {
        line.chars().take(MAX).chain(std::iter::once('…')).collect()
    } else {
        line.to_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(level: &str, file: &str, expansion: Option<&str>) -> String {
        let span = |file: &str, expansion: serde_json::Value| {
            serde_json::json!({
                "file_name": file, "byte_start": 10, "byte_end": 16, "line_start": 2,
                "line_end": 2, "column_start": 1, "column_end": 7, "is_primary": true,
                "text": [], "label": null, "suggested_replacement": null,
                "suggestion_applicability": null, "expansion": expansion
            })
        };
        let expansion = expansion.map_or(serde_json::Value::Null, |call_site| {
            serde_json::json!({ "span": span(call_site, serde_json::Value::Null),
                "macro_decl_name": "m!", "def_site_span": null })
        });
        serde_json::json!({
            "reason": "compiler-message",
            "package_id": "path+file:///x#demo@0.1.0",
            "manifest_path": "/x/Cargo.toml",
            "target": { "kind": ["lib"], "crate_types": ["lib"], "name": "demo",
                "src_path": "/x/src/lib.rs", "edition": "2021", "doctest": true, "test": true },
            "message": {
                "message": "conflicting implementations of trait `Debug` for type `Error`",
                "code": { "code": "E0119", "explanation": null },
                "level": level,
                "spans": [span(file, expansion)],
                "children": [],
                "rendered": "error[E0119]: conflicting implementations"
            }
        })
        .to_string()
    }

    #[test]
    fn errors_are_placed_in_workspace_files_and_garbage_is_counted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/lib.rs"), "x").unwrap();
        let abs = dir.path().join("src/lib.rs");
        let stream = [
            message("error", "src/lib.rs", None),
            message("warning", "src/lib.rs", None),
            message(
                "error",
                "/home/.cargo/registry/src/dep/lib.rs",
                Some(abs.to_str().unwrap()),
            ),
            message("error", "/home/.cargo/registry/src/dep/lib.rs", None),
            "not json at all".into(),
            "{\"reason\":\"build-finished\",\"success\":false}".into(),
        ]
        .join("\n");
        let read = read_messages(stream.as_bytes(), dir.path());
        assert_eq!(read.errors.len(), 2, "{read:?}");
        let first = &read.errors[0];
        assert_eq!(first.path.as_str(), "src/lib.rs");
        assert_eq!(first.range, 10..16);
        insta::assert_snapshot!(first.describe(), @"E0119 at src/lib.rs:2: conflicting implementations of trait `Debug` for type `Error`");
        assert_eq!(
            read.errors[1].path.as_str(),
            "src/lib.rs",
            "through the macro's call site"
        );
        assert_eq!(read.elsewhere.len(), 1);
        assert_eq!(read.garbage, 1);
    }

    #[test]
    fn the_first_error_line_says_what_went_wrong() {
        assert_eq!(
            first_error_line(
                "  Updating index\nwarning: x\nerror: no matching package named `foo`\nerror: other\n"
            ),
            Some("error: no matching package named `foo`".into())
        );
        assert_eq!(
            first_error_line("thread 'main' panicked at src/lib.rs:3:5:\nboom\n"),
            Some("thread 'main' panicked at src/lib.rs:3:5:".into())
        );
        assert_eq!(first_error_line("all\nquiet\n\n"), Some("quiet".into()));
        assert_eq!(first_error_line("\n  \n"), None);
        let long = format!("error: {}", "x".repeat(300));
        assert_eq!(first_error_line(&long).unwrap().chars().count(), 201);
    }
}
