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
#[path = "../../templates/skill.rs"]
mod template;

use std::ops::Range;

use crate::config::Config;
use crate::edit::Edit;
use crate::finding::{Risk, Severity};
use crate::source::SourceFile;
use crate::workspace::Edition;

/// A named capability: it checks a source file and returns what it found,
/// with the edits that fix each finding when it can make them.
pub trait Skill: Send + Sync {
    /// Kebab-case and stable: it names branches, labels and config keys.
    fn id(&self) -> &'static str;
    /// One line for `patchwright skills`.
    fn description(&self) -> &'static str;
    /// Why a finding matters, for SARIF help and pull-request bodies.
    fn rationale(&self) -> &'static str;
    /// What a proposal of this skill does, as the start of its title
    /// ("Derive `Debug` for public types").
    fn title(&self) -> &'static str;
    /// How much human judgement a fix needs.
    fn risk(&self) -> Risk;
    /// Whether the skill makes fixes at all (a single finding may still
    /// come without one).
    fn can_fix(&self) -> bool;
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    /// Fixes are computed here, while the tree is at hand: the scan drops
    /// each file's tree as soon as its skills are done.
    fn check(&self, file: &SourceFile, cx: &SkillContext<'_>) -> Vec<Detection>;
}

/// What a skill knows about the file's surroundings.
#[derive(Debug, Clone, Copy)]
pub struct SkillContext<'a> {
    pub edition: Edition,
    /// The package name, `""` for files outside any package.
    pub package: &'a str,
    /// The package's declared `rust-version` as (major, minor).
    pub rust_version: Option<(u64, u64)>,
}

impl Default for SkillContext<'_> {
    fn default() -> Self {
        Self {
            edition: Edition::DEFAULT,
            package: "",
            rust_version: None,
        }
    }
}

/// One thing a skill found, before the scan names and fingerprints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    pub range: Range<usize>,
    pub message: String,
    /// The normalised tokens (or text) that identify the finding within its
    /// item, for the fingerprint.
    pub key: String,
    /// Edits in the same file that resolve it.
    pub edits: Option<Vec<Edit>>,
}

/// All skills the scan can run.
pub struct Registry {
    skills: Vec<Box<dyn Skill>>,
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
                Box::new(derive_debug::DeriveDebug),
                Box::new(inline_format_args::InlineFormatArgs),
                Box::new(len_zero::LenZero),
                Box::new(question_mark::QuestionMark),
                Box::new(todo_comments::TodoComments),
            ],
        }
    }

    pub fn all(&self) -> impl Iterator<Item = &dyn Skill> {
        self.skills.iter().map(|s| s.as_ref())
    }

    pub fn ids(&self) -> Vec<&'static str> {
        self.all().map(|s| s.id()).collect()
    }

    pub fn get(&self, id: &str) -> Option<&dyn Skill> {
        self.all().find(|s| s.id() == id)
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
pub(crate) mod testing {
    //! Helpers for skill unit tests: run one skill over a snippet and look at
    //! what it found and what its fixes produce.
    use super::*;
    use crate::edit::splice;

    pub fn parse(text: &str) -> SourceFile {
        SourceFile::parse("src/lib.rs".parse().unwrap(), text.to_owned())
            .unwrap_or_else(|e| panic!("test input does not parse: {e}"))
    }

    pub fn detect(skill: &dyn Skill, text: &str, cx: SkillContext<'_>) -> Vec<Detection> {
        skill.check(&parse(text), &cx)
    }

    /// The text under each detection.
    pub fn found(skill: &dyn Skill, text: &str) -> Vec<String> {
        detect(skill, text, SkillContext::default())
            .iter()
            .map(|d| text[d.range.clone()].to_owned())
            .collect()
    }

    /// `text` with every fix applied (each fix's edits at once).
    pub fn fixed_with(skill: &dyn Skill, text: &str, cx: SkillContext<'_>) -> String {
        let detections = detect(skill, text, cx);
        let edits: Vec<Edit> = detections
            .into_iter()
            .flat_map(|d| d.edits.unwrap_or_default())
            .collect();
        let out = splice(text, &edits);
        syn::parse_file(&out).unwrap_or_else(|e| panic!("fixed text does not parse: {e}\n{out}"));
        out
    }

    pub fn fixed(skill: &dyn Skill, text: &str) -> String {
        fixed_with(skill, text, SkillContext::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_skill_file_is_registered_and_ids_are_unique() {
        let registry = Registry::builtin();
        let ids = registry.ids();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/skills");
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
            "every src/skills file must be registered under its own name"
        );
        for id in &ids {
            crate::finding::SkillId::new(id).unwrap();
        }
    }

    #[test]
    fn select_honours_config_and_explicit_ids() {
        let registry = Registry::builtin();
        let mut config = Config::default();
        config.skills.insert(
            "len-zero".into(),
            crate::config::SkillConfig { enabled: false },
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
