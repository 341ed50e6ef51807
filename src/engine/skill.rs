//! What a skill is: a named capability that checks a source file and
//! returns what it found, with the edits that fix each finding when it can.
//! The built-in skills and their registry are in [`super::skills`].

use std::collections::BTreeSet;
use std::ops::Range;

use crate::engine::edit::Edit;
use crate::engine::finding::Severity;
use crate::engine::source::SourceFile;
use crate::engine::workspace::Edition;
use crate::vocab::risk::Risk;

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
    /// What this file says about its crate that decides detections in other
    /// files of the same package (the types with a hand-written `Debug`,
    /// say). Nothing by default.
    fn crate_facts(&self, _file: &SourceFile, _cx: &SkillContext<'_>) -> Vec<String> {
        Vec::new()
    }
    /// [`Skill::check`] and [`Skill::crate_facts`] of one file, as the scan
    /// asks for them: a skill whose two share work overrides this to do
    /// that work once.
    fn examine(&self, file: &SourceFile, cx: &SkillContext<'_>) -> (Vec<Detection>, Vec<String>) {
        (self.check(file, cx), self.crate_facts(file, cx))
    }
    /// Whether a detection (by its key) stands once the facts of every file
    /// of its package are known (a fix that needs a fact is kept or dropped
    /// by [`Detection::fix_needs`]). It does by default.
    fn stands(&self, _key: &str, _facts: &BTreeSet<String>) -> bool {
        true
    }
    /// What, besides its id, decides this skill's results (a project
    /// rule's text): the scan cache keys on it. Nothing for built-in skills,
    /// which change only with patchwright's version.
    fn definition(&self) -> Option<&str> {
        None
    }
    /// The skill as `Any`, for the scan to find the skills it checks
    /// together in one pass (a repository's rules).
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }
    /// Whether a fix that needs `need` stays, given the facts of every file
    /// of its package; why not otherwise. By default: when the fact is
    /// among them.
    fn fix_stands(&self, need: &FixNeeds, facts: &BTreeSet<String>) -> Result<(), String> {
        if facts.contains(&need.fact) {
            Ok(())
        } else {
            Err(need.otherwise.clone())
        }
    }
}

/// What a skill knows about the file's surroundings.
#[derive(Debug, Clone, Copy)]
pub struct SkillContext<'a> {
    pub edition: Edition,
    /// The package name, `""` for files outside any package.
    pub package: &'a str,
    /// The package's declared `rust-version` as (major, minor).
    pub rust_version: Option<(u64, u64)>,
    /// The file is generated: only its crate facts are asked for, and no
    /// fix will be made in it.
    pub generated: bool,
}

impl Default for SkillContext<'_> {
    fn default() -> Self {
        Self {
            edition: Edition::DEFAULT,
            package: "",
            rust_version: None,
            generated: false,
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
    /// A fact about the crate the fix depends on (one that another file of
    /// the crate may say, such as a field's type), and what the finding says
    /// when no file says it: the fix is dropped then, the finding stays.
    pub fix_needs: Option<FixNeeds>,
}

/// A crate fact a fix depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixNeeds {
    pub fact: String,
    /// Why not fixed, when the fact is missing ("the type of `x` is not
    /// known to have `is_empty`").
    pub otherwise: String,
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for skill unit tests: run one skill over a snippet and look at
    //! what it found and what its fixes produce.
    use super::{Detection, Skill, SkillContext};
    use crate::engine::edit::{Edit, splice};
    use crate::engine::source::SourceFile;

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
