//! A compiler lint as a skill: `clippy::needless_return` is a skill of the
//! `clippy` family. Its findings come from the compiler ([`super::lints`]),
//! not from looking at one file.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use crate::config::LINT_FAMILIES;
use crate::engine::skill::{Detection, Skill, SkillContext};
use crate::engine::source::SourceFile;
use crate::vocab::ids::SkillId;
use crate::vocab::risk::Risk;

/// A lint as a skill. Its findings come from the compiler, not from
/// looking at one file, so `check` finds nothing.
#[derive(Debug)]
pub struct LintSkill {
    id: &'static str,
    title: &'static str,
    description: &'static str,
    rationale: &'static str,
}

/// The skill of a `family::lint` id, made once per process.
pub fn skill(id: &str) -> Option<&'static LintSkill> {
    let (family, lint) = SkillId::new(id)
        .ok()?
        .lint()
        .map(|(f, l)| (f.to_owned(), l.to_owned()))?;
    if !LINT_FAMILIES.contains(&family.as_str()) {
        return None;
    }
    static MADE: OnceLock<Mutex<HashMap<String, &'static LintSkill>>> = OnceLock::new();
    let mut made = MADE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // Skill ids and texts are `&'static str` for every skill; a lint's are
    // made once and kept for the process's life (a few dozen at most).
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    Some(*made.entry(id.to_owned()).or_insert_with(|| {
        let (tool, docs) = if family == "clippy" {
            (
                "clippy",
                format!("https://rust-lang.github.io/rust-clippy/master/#{lint}"),
            )
        } else {
            (
                "rustc",
                format!("https://doc.rust-lang.org/rustc/lints/listing/index.html ({lint})"),
            )
        };
        Box::leak(Box::new(LintSkill {
            id: leak(id.to_owned()),
            title: leak(format!("Apply {tool}'s `{lint}` suggestions")),
            description: leak(format!(
                "{tool}'s `{lint}` lint, where {tool} itself can fix it"
            )),
            rationale: leak(format!(
                "{tool} warns with `{lint}` here ({docs}); the change is {tool}'s own suggestion, which it marks as safe to apply."
            )),
        }))
    }))
}

impl Skill for LintSkill {
    fn id(&self) -> &'static str {
        self.id
    }

    fn description(&self) -> &'static str {
        self.description
    }

    fn rationale(&self) -> &'static str {
        self.rationale
    }

    fn title(&self) -> &'static str {
        self.title
    }

    fn risk(&self) -> Risk {
        Risk::Low
    }

    fn can_fix(&self) -> bool {
        true
    }

    fn check(&self, _file: &SourceFile, _cx: &SkillContext<'_>) -> Vec<Detection> {
        Vec::new()
    }
}
