//! What a scan reports: findings with their place, message, stable
//! fingerprint and, when a skill can make it, the fix.

use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::engine::edit::Fix;
use crate::engine::source::LineCol;
use crate::vocab::ids::{Fingerprint, SkillId};
use crate::vocab::rel_path::RelPath;

/// How loudly a finding is reported (SARIF `level`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Note,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Note => "note",
        })
    }
}

/// One thing a skill found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub skill: SkillId,
    /// The package the file belongs to (`""` outside any package).
    pub package: String,
    pub path: RelPath,
    pub range: Range<usize>,
    pub start: LineCol,
    pub end: LineCol,
    pub message: String,
    pub severity: Severity,
    /// The enclosing item's name chain, such as `Parser::next` (empty at file level).
    pub item: String,
    pub fingerprint: Fingerprint,
    /// The edits that resolve this finding, when the skill can make them.
    pub fix: Option<Fix>,
}

impl Finding {
    pub fn fixable(&self) -> bool {
        self.fix.is_some()
    }
}
