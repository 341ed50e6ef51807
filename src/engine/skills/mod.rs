//! Skills: named capabilities that check a source file and may fix what they
//! find. Built-in skills live one per file in this directory and are
//! registered in [`Registry::builtin`] (a test checks that every file is).

mod derive_debug;
mod inline_format_args;
mod len_zero;
mod question_mark;
mod todo_comments;

// The template `patchwright skill new` renders is compiled and tested as
// part of the crate, so it cannot rot.
#[cfg(test)]
#[path = "../../../templates/skill.rs"]
mod template;

use std::sync::Arc;

use crate::config::Config;
use crate::engine::lint_skill;
use crate::engine::rules::{RuleBook, RuleSkill};
use crate::engine::skill::Skill;

/// All skills the scan can run: the built-in ones and the repository's
/// rules.
#[derive(Clone)]
pub struct Registry {
    skills: Vec<Arc<dyn Skill>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.ids()).finish()
    }
}

impl Registry {
    pub fn builtin() -> Self {
        Self {
            skills: vec![
                Arc::new(derive_debug::DeriveDebug),
                Arc::new(inline_format_args::InlineFormatArgs),
                Arc::new(len_zero::LenZero),
                Arc::new(question_mark::QuestionMark),
                Arc::new(todo_comments::TodoComments),
            ],
        }
    }

    /// These skills and a skill for each rule of `book` (`rule::<id>`);
    /// the rules of an earlier book are replaced.
    pub fn with_rules(&self, book: RuleBook) -> Self {
        let book = Arc::new(book);
        let mut skills: Vec<Arc<dyn Skill>> = self
            .skills
            .iter()
            .filter(|s| !crate::engine::rules::is_rule(s.as_ref()))
            .cloned()
            .collect();
        skills.extend(
            RuleSkill::all(&book)
                .into_iter()
                .map(|s| Arc::new(s) as Arc<dyn Skill>),
        );
        Self { skills }
    }

    pub fn all(&self) -> impl Iterator<Item = &dyn Skill> {
        self.skills.iter().map(|s| s.as_ref())
    }

    pub fn ids(&self) -> Vec<&'static str> {
        self.all().map(|s| s.id()).collect()
    }

    /// A built-in skill, or the skill of a compiler lint (`clippy::x`).
    pub fn get(&self, id: &str) -> Option<&dyn Skill> {
        self.all()
            .find(|s| s.id() == id)
            .or_else(|| lint_skill::skill(id).map(|s| s as &dyn Skill))
    }

    /// The skills to run: those named in `only` (any of them, even if the
    /// configuration disables it), or every skill the configuration enables.
    pub fn select(
        &self,
        config: &Config,
        only: &[String],
    ) -> Result<Vec<&dyn Skill>, UnknownSkill> {
        if only.is_empty() {
            return Ok(self
                .all()
                .filter(|s| config.skill_enabled(s.id()))
                .collect());
        }
        only.iter()
            .map(|id| {
                self.get(id).ok_or_else(|| UnknownSkill {
                    id: id.clone(),
                    known: self.ids().join(", "),
                })
            })
            .collect()
    }
}

/// A skill id that no skill has.
#[derive(Debug, thiserror::Error)]
#[error("unknown skill `{id}`; known skills are: {known} (see `patchwright skills`)")]
pub struct UnknownSkill {
    pub id: String,
    pub known: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_skill_file_is_registered_and_ids_are_unique() {
        let registry = Registry::builtin();
        let ids = registry.ids();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/engine/skills");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().replace('_', "-")))
            .filter(|stem| stem != "mod")
            .collect();
        files.sort();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(
            files, sorted,
            "every src/engine/skills file must be registered under its own name"
        );
        for id in &ids {
            crate::vocab::ids::SkillId::new(id).unwrap();
        }
    }

    #[test]
    fn select_honours_config_and_explicit_ids() {
        let registry = Registry::builtin();
        let mut config = Config::default();
        config.skills.insert(
            "len-zero".into(),
            crate::config::SkillConfig {
                enabled: false,
                ..Default::default()
            },
        );
        let ids = |v: Vec<&dyn Skill>| v.iter().map(|s| s.id()).collect::<Vec<_>>();
        assert!(!ids(registry.select(&config, &[]).unwrap()).contains(&"len-zero"));
        assert_eq!(
            ids(registry.select(&config, &["len-zero".into()]).unwrap()),
            ["len-zero"]
        );
        let err = registry.select(&config, &["nope".into()]).err().unwrap();
        assert!(
            err.to_string()
                .starts_with("unknown skill `nope`; known skills are: derive-debug")
        );
    }
}
