//! A project rule as a skill: `rule::<id>`, with the same fingerprints,
//! grouping, limits, learning and validation as a built-in skill. The scan
//! does not ask each rule skill in turn: [`examine_together`] matches all
//! the selected rules of a book in one walk.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};

use super::rule::Rule;
use super::walk::RuleBook;
use crate::engine::skill::{Detection, Skill, SkillContext};
use crate::engine::source::SourceFile;
use crate::vocab::risk::Risk;

/// One rule of a book, as a skill.
#[derive(Debug)]
pub struct RuleSkill {
    book: Arc<RuleBook>,
    index: usize,
    id: &'static str,
    title: &'static str,
    description: &'static str,
    rationale: &'static str,
}

/// Skill ids and texts are `&'static str` for every skill; a rule's are
/// made once per distinct text and kept for the process's life (a
/// repository has a few dozen rules).
fn intern(text: String) -> &'static str {
    static SEEN: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut seen = SEEN
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(known) = seen.get(text.as_str()) {
        return known;
    }
    let leaked: &'static str = Box::leak(text.into_boxed_str());
    seen.insert(leaked);
    leaked
}

impl RuleSkill {
    /// A skill for every rule of `book`.
    pub fn all(book: &Arc<RuleBook>) -> Vec<Self> {
        book.rules()
            .iter()
            .enumerate()
            .map(|(index, rule)| Self {
                book: Arc::clone(book),
                index,
                id: intern(rule.skill_id()),
                title: intern(rule.title.clone()),
                description: intern(format!(
                    "project rule from {}: {}",
                    rule.file.display(),
                    rule.message.replace('\n', " ")
                )),
                rationale: intern(rule.rationale.clone()),
            })
            .collect()
    }

    pub fn rule(&self) -> &Rule {
        &self.book.rules()[self.index]
    }
}

impl Skill for RuleSkill {
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
        self.rule().risk
    }

    fn can_fix(&self) -> bool {
        self.rule().can_fix()
    }

    fn check(&self, file: &SourceFile, _cx: &SkillContext<'_>) -> Vec<Detection> {
        let mut enabled = vec![false; self.book.rules().len()];
        enabled[self.index] = true;
        self.book
            .check(file, &enabled)
            .into_iter()
            .map(|(_, d)| d)
            .collect()
    }

    fn definition(&self) -> Option<&str> {
        Some(&self.rule().hash)
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

/// What the rule skills among `skills` find in `file`, in one walk per
/// book: (index into `skills`, detection). Other skills are left alone.
pub fn examine_together(skills: &[&dyn Skill], file: &SourceFile) -> Vec<(usize, Detection)> {
    let members: Vec<(usize, &RuleSkill)> = skills
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Some((i, s.as_any()?.downcast_ref::<RuleSkill>()?)))
        .collect();
    let mut out = Vec::new();
    let mut done: Vec<*const RuleBook> = Vec::new();
    for (_, first) in &members {
        let book = Arc::as_ptr(&first.book);
        if done.contains(&book) {
            continue;
        }
        done.push(book);
        let mut enabled = vec![false; first.book.rules().len()];
        let mut skill_of = vec![usize::MAX; enabled.len()];
        for (i, member) in members.iter().filter(|(_, m)| Arc::as_ptr(&m.book) == book) {
            enabled[member.index] = true;
            skill_of[member.index] = *i;
        }
        out.extend(
            first
                .book
                .check(file, &enabled)
                .into_iter()
                .map(|(rule, d)| (skill_of[rule], d)),
        );
    }
    out
}

/// Whether a skill is a rule skill (checked by [`examine_together`]).
pub fn is_rule(skill: &dyn Skill) -> bool {
    skill
        .as_any()
        .is_some_and(|any| any.downcast_ref::<RuleSkill>().is_some())
}
