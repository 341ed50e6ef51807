//! `template-skill`: TEMPLATE DESCRIPTION
//!
//! Made by `patchwright skill new`. As generated, it finds the marker
//! comment `// patchwright: template-skill` and proposes to delete it:
//! replace `check` with what the skill should look for, and the fixture in
//! `tests/fixtures/skills/template-skill/` with real cases.

use crate::engine::edit::Edit;
use crate::engine::skill::{Detection, Skill, SkillContext};
use crate::engine::source::SourceFile;
use crate::vocab::risk::Risk;

/// TEMPLATE DESCRIPTION
#[derive(Debug)]
pub struct TemplateSkill;

/// The comment text this skill looks for until it is taught something real.
const MARKER: &str = "patchwright: template-skill";

impl Skill for TemplateSkill {
    fn id(&self) -> &'static str {
        "template-skill"
    }

    fn description(&self) -> &'static str {
        "TEMPLATE DESCRIPTION"
    }

    fn rationale(&self) -> &'static str {
        "TEMPLATE DESCRIPTION"
    }

    fn title(&self) -> &'static str {
        "Apply template-skill"
    }

    fn risk(&self) -> Risk {
        Risk::Low
    }

    fn can_fix(&self) -> bool {
        true
    }

    fn check(&self, file: &SourceFile, _cx: &SkillContext<'_>) -> Vec<Detection> {
        let text = file.text();
        file.comments()
            .iter()
            .filter(|c| !c.doc && c.body(text).trim() == MARKER)
            .map(|c| Detection {
                range: c.range.clone(),
                message: format!("marker comment `{MARKER}`"),
                key: MARKER.to_owned(),
                edits: Some(vec![Edit::delete(whole_line(text, c.range.clone()))]),
                fix_needs: None,
            })
            .collect()
    }
}

/// The line holding `range` (with its line break) when nothing else is on
/// it, else `range` with the blanks before it.
fn whole_line(text: &str, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let start = text[..range.start].rfind('\n').map_or(0, |i| i + 1);
    let end = text[range.end..]
        .find('\n')
        .map_or(text.len(), |i| range.end + i + 1);
    let alone =
        text[start..range.start].trim().is_empty() && text[range.end..end].trim().is_empty();
    if alone {
        start..end
    } else {
        text[..range.start].trim_end_matches([' ', '\t']).len()..range.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::skill::testing::{fixed, found};

    #[test]
    fn finds_and_deletes_the_marker() {
        let text = "fn f() {\n    // patchwright: template-skill\n    g(); // patchwright: template-skill\n}\n";
        assert_eq!(found(&TemplateSkill, text).len(), 2);
        assert_eq!(fixed(&TemplateSkill, text), "fn f() {\n    g();\n}\n");
    }

    #[test]
    fn leaves_other_comments_alone() {
        let text = "// a comment\n/// patchwright: template-skill\nfn f() {}\n";
        assert!(found(&TemplateSkill, text).is_empty());
    }
}
