//! The project report as markdown, readable in a terminal and on GitHub.

use std::fmt::Write;

use super::project::{FunctionRef, ProjectReport};
use crate::vocab::text::escape_controls;

pub fn project(r: &ProjectReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# patchwright report\n");

    let _ = writeln!(out, "## Packages\n");
    if r.packages.is_empty() {
        let _ = writeln!(
            out,
            "No Cargo packages found; files were scanned on their own.\n"
        );
    } else {
        let _ = writeln!(out, "| package | version | edition | directory | targets |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for p in &r.packages {
            let targets: Vec<String> = p
                .targets
                .iter()
                .map(|t| format!("{} ({})", t.name, t.kinds.join(", ")))
                .collect();
            let dir = if p.dir.is_empty() { "." } else { &p.dir };
            let _ = writeln!(
                out,
                "| {} | {} | {} | `{dir}` | {} |",
                p.name,
                p.version,
                p.edition,
                targets.join("; ")
            );
        }
        out.push('\n');
    }

    let _ = writeln!(out, "## Size\n");
    let _ = writeln!(
        out,
        "| files | skipped | bytes | code lines | comment lines | blank lines |"
    );
    let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} |\n",
        r.files, r.files_skipped, r.bytes, r.lines.code, r.lines.comment, r.lines.blank
    );

    let _ = writeln!(out, "## Items\n");
    let _ = writeln!(out, "| kind | count |");
    let _ = writeln!(out, "|---|---:|");
    for (kind, n) in &r.items {
        let _ = writeln!(out, "| {kind} | {n} |");
    }
    let _ = writeln!(
        out,
        "\n{} public items; {} functions and methods.\n",
        r.public_items, r.functions
    );

    function_table(&mut out, "Longest functions", &r.longest_functions);
    function_table(
        &mut out,
        "Most complex functions",
        &r.most_complex_functions,
    );

    let _ = writeln!(out, "## TODO and FIXME\n");
    if r.todos.is_empty() {
        let _ = writeln!(out, "None.\n");
    } else {
        for t in &r.todos {
            let _ = writeln!(
                out,
                "- `{}:{}` {}",
                escape_controls(&t.path),
                t.line,
                escape_controls(&t.text).replace('|', "\\|")
            );
        }
        out.push('\n');
    }

    let _ = writeln!(out, "## Findings per skill\n");
    let _ = writeln!(out, "| skill | findings | fixable |");
    let _ = writeln!(out, "|---|---:|---:|");
    for s in &r.findings_per_skill {
        let _ = writeln!(out, "| {} | {} | {} |", s.skill, s.findings, s.fixable);
    }
    out
}

fn function_table(out: &mut String, title: &str, functions: &[FunctionRef]) {
    let _ = writeln!(out, "## {title}\n");
    if functions.is_empty() {
        let _ = writeln!(out, "No functions.\n");
        return;
    }
    let _ = writeln!(out, "| function | location | lines | complexity |");
    let _ = writeln!(out, "|---|---|---:|---:|");
    for f in functions {
        let _ = writeln!(
            out,
            "| `{}` | `{}:{}` | {} | {} |",
            f.name,
            escape_controls(&f.path),
            f.line,
            f.lines,
            f.complexity
        );
    }
    out.push('\n');
}
