//! The project report: what the workspace is made of and where its rough
//! edges are, built from one scan with metrics.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::engine::scan::ScanReport;
use crate::engine::skill::Skill;
use crate::engine::source::LineCounts;
use crate::engine::workspace::{Package, Workspace};

/// How many functions the "longest" and "most complex" lists show.
pub const TOP: usize = 10;

#[derive(Debug, Clone, Serialize)]
pub struct ProjectReport {
    pub packages: Vec<Package>,
    pub files: usize,
    pub files_skipped: usize,
    pub bytes: u64,
    pub lines: LineCounts,
    /// Item counts by kind (`fn`, `struct`, `impl`…).
    pub items: BTreeMap<&'static str, usize>,
    pub public_items: usize,
    pub functions: usize,
    pub longest_functions: Vec<FunctionRef>,
    pub most_complex_functions: Vec<FunctionRef>,
    pub todos: Vec<TodoEntry>,
    pub findings_per_skill: Vec<SkillCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunctionRef {
    pub path: String,
    pub name: String,
    pub line: usize,
    pub lines: usize,
    pub complexity: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TodoEntry {
    pub path: String,
    pub line: usize,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkillCount {
    pub skill: String,
    pub findings: usize,
    pub fixable: usize,
}

impl ProjectReport {
    /// `scan` must have been run with metrics.
    pub fn build(workspace: &Workspace, scan: &ScanReport, skills: &[&dyn Skill]) -> Self {
        let mut lines = LineCounts::default();
        let mut items = BTreeMap::new();
        let mut public_items = 0;
        let mut functions = Vec::new();
        for file in &scan.files {
            let Some(m) = &file.metrics else { continue };
            lines += m.lines;
            for (kind, n) in &m.items {
                *items.entry(kind.label()).or_default() += n;
            }
            public_items += m.public_items;
            functions.extend(m.functions.iter().map(|f| FunctionRef {
                path: file.path.as_str().to_owned(),
                name: f.name.clone(),
                line: f.line,
                lines: f.lines,
                complexity: f.complexity,
            }));
        }
        let top = |key: fn(&FunctionRef) -> usize| {
            let mut sorted = functions.clone();
            sorted.sort_by(|a, b| {
                key(b)
                    .cmp(&key(a))
                    .then_with(|| (&a.path, a.line).cmp(&(&b.path, b.line)))
            });
            sorted.truncate(TOP);
            sorted
        };
        let todos = scan
            .findings()
            .filter(|f| f.skill.as_str() == "todo-comments")
            .map(|f| TodoEntry {
                path: f.path.as_str().to_owned(),
                line: f.start.line,
                text: f.message.clone(),
            })
            .collect();
        let findings_per_skill = skills
            .iter()
            .map(|s| {
                let of_skill = || scan.findings().filter(|f| f.skill.as_str() == s.id());
                SkillCount {
                    skill: s.id().to_owned(),
                    findings: of_skill().count(),
                    fixable: of_skill().filter(|f| f.fixable()).count(),
                }
            })
            .collect();
        Self {
            packages: workspace.packages.clone(),
            files: scan.files.len(),
            files_skipped: scan.warnings.len(),
            bytes: scan.bytes_scanned,
            lines,
            items,
            public_items,
            functions: functions.len(),
            longest_functions: top(|f| f.lines),
            most_complex_functions: top(|f| f.complexity),
            todos,
            findings_per_skill,
        }
    }
}
