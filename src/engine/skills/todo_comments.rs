//! `todo-comments`: `TODO`, `FIXME`, `XXX` and `HACK` markers in comments
//! (never in string literals), and `todo!()` / `unimplemented!()` calls.
//! Report only: what to do about a TODO is for people to decide.

use syn::visit::{self, Visit};

use crate::engine::finding::Severity;
use crate::engine::skill::{Detection, Skill, SkillContext};
use crate::engine::source;
use crate::engine::source::SourceFile;
use crate::vocab::risk::Risk;

#[derive(Debug)]
pub struct TodoComments;

const MARKERS: [&str; 4] = ["TODO", "FIXME", "XXX", "HACK"];

impl Skill for TodoComments {
    fn id(&self) -> &'static str {
        "todo-comments"
    }

    fn description(&self) -> &'static str {
        "TODO/FIXME/XXX/HACK comments and `todo!()`/`unimplemented!()` calls"
    }

    fn rationale(&self) -> &'static str {
        "Unfinished work marked in the code is easy to forget; listing it keeps it visible \
         and `todo!()` panics at run time."
    }

    fn title(&self) -> &'static str {
        "Resolve TODO markers"
    }

    fn risk(&self) -> Risk {
        Risk::High
    }

    fn can_fix(&self) -> bool {
        false
    }

    fn severity(&self) -> Severity {
        Severity::Note
    }

    fn check(&self, file: &SourceFile, _cx: &SkillContext<'_>) -> Vec<Detection> {
        let text = file.text();
        let mut out = Vec::new();
        // Most files mention no marker at all: a substring search is far
        // cheaper than finding their comments.
        let comments = match MARKERS.iter().any(|m| text.contains(m)) {
            true => file.comments(),
            false => &[],
        };
        for comment in comments {
            let body = &text[comment.range.clone()];
            let mut line_start = comment.range.start;
            for line in body.split_inclusive('\n') {
                if let Some(at) = find_marker(line) {
                    let rest = line[at..].trim_end_matches(['\n', '\r']);
                    let rest = rest.trim_end_matches("*/").trim_end();
                    let start = line_start + at;
                    out.push(Detection {
                        fix_needs: None,
                        range: start..start + rest.len(),
                        message: shorten(rest),
                        key: rest.split_whitespace().collect::<Vec<_>>().join(" "),
                        edits: None,
                    });
                }
                line_start += line.len();
            }
        }
        let mut calls = Calls {
            file,
            out: Vec::new(),
        };
        if text.contains("todo") || text.contains("unimplemented") {
            calls.visit_file(file.ast());
        }
        out.extend(calls.out);
        out.sort_by_key(|d| d.range.start);
        out
    }
}

/// The byte offset of the first marker used as one: a whole word that opens
/// the comment line or is followed by `:` or `(` (`TODO: …`, `FIXME(ana) …`).
/// Prose that merely mentions a marker, or quotes it in backticks, is not one.
fn find_marker(line: &str) -> Option<usize> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    MARKERS
        .iter()
        .flat_map(|marker| {
            line.match_indices(marker).filter(move |(i, _)| {
                let before = line[..*i].chars().next_back();
                let after = line[i + marker.len()..].chars().next();
                let whole_word = !before.is_some_and(is_word) && !after.is_some_and(is_word);
                let quoted = before == Some('`') || after == Some('`');
                let opens_line = line[..*i]
                    .chars()
                    .all(|c| c.is_whitespace() || "/*!-".contains(c));
                let tagged = matches!(after, Some(':' | '('));
                whole_word && !quoted && (opens_line || tagged)
            })
        })
        .map(|(i, _)| i)
        .min()
}

fn shorten(s: &str) -> String {
    const MAX: usize = 100;
    let flat = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= MAX {
        flat
    } else {
        format!("{}…", flat.chars().take(MAX - 1).collect::<String>())
    }
}

struct Calls<'a> {
    file: &'a SourceFile,
    out: Vec<Detection>,
}

impl<'ast> Visit<'ast> for Calls<'_> {
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let is_std = mac.path.segments.len() == 1
            || mac
                .path
                .segments
                .iter()
                .rev()
                .skip(1)
                .all(|s| s.ident == "std" || s.ident == "core");
        if let Some(name) = mac.path.segments.last().map(|s| s.ident.to_string())
            && is_std
            && (name == "todo" || name == "unimplemented")
        {
            let args = self.file.text_of(&mac.tokens).trim();
            let message = if mac.tokens.is_empty() {
                format!("`{name}!()` left in the code")
            } else {
                shorten(&format!("`{name}!()` left in the code: {args}"))
            };
            self.out.push(Detection {
                fix_needs: None,
                range: self.file.range_of(mac),
                message,
                key: format!("{name}! {}", source::normalized_tokens(&mac.tokens)),
                edits: None,
            });
        }
        visit::visit_macro(self, mac);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::skill::testing::{detect, found};

    #[test]
    fn finds_markers_in_comments_but_not_strings() {
        let text = r#"
// TODO: handle overflow
/// FIXME(ana) the docs are wrong
fn f() -> &'static str {
    /* first line
       XXX second line */
    let _s = "TODO in a string";
    let _r = r"// TODO in a raw string";
    "HACK" // HACK: trailing
}
// TODOS and NOTODO and todo are not markers
// Prose about TODO markers, or `FIXME` in backticks, is not one either.
"#;
        assert_eq!(
            found(&TodoComments, text),
            [
                "TODO: handle overflow",
                "FIXME(ana) the docs are wrong",
                "XXX second line",
                "HACK: trailing"
            ]
        );
    }

    #[test]
    fn finds_todo_and_unimplemented_calls() {
        let text = "fn a() { todo!() }\nfn b() -> u8 { std::unimplemented!(\"parse {}\", 1) }\nfn c() { my::todo!() }\n";
        let messages: Vec<String> = detect(&TodoComments, text, SkillContext::default())
            .into_iter()
            .map(|d| d.message)
            .collect();
        assert_eq!(
            messages,
            [
                "`todo!()` left in the code",
                "`unimplemented!()` left in the code: \"parse {}\", 1"
            ]
        );
    }

    #[test]
    fn reports_only() {
        let found = detect(&TodoComments, "// TODO x\n", SkillContext::default());
        assert!(found.iter().all(|d| d.edits.is_none()));
        assert_eq!(found[0].key, "TODO x");
    }
}
