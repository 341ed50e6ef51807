//! `patchwright rules test`: every rule's examples, run. An example with
//! `after` passes when the rule's fixes turn `before` into exactly
//! `after`; one without passes when the rule finds nothing in `before`.

use std::path::PathBuf;

use super::walk::RuleBook;
use crate::engine::edit::{Edit, splice};
use crate::engine::source::{ParseError, SourceFile, release_thread_spans};

/// One rule's examples and how each went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleTest {
    pub rule: String,
    pub file: PathBuf,
    pub outcomes: Vec<ExampleOutcome>,
}

impl RuleTest {
    pub fn passed(&self) -> bool {
        self.outcomes.iter().all(|o| *o == ExampleOutcome::Passed)
    }
}

/// How one example went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExampleOutcome {
    Passed,
    /// `before` is not a Rust file.
    DoesNotParse(String),
    /// The rule found nothing where `after` expects a change.
    NoMatch,
    /// The rule found something where the example says it must not.
    UnexpectedMatch(Vec<String>),
    /// The rule matched but has no fix for what it found.
    NoFix,
    /// The fixed text is not `after`.
    Differs {
        expected: String,
        got: String,
    },
}

impl ExampleOutcome {
    /// One line for the table.
    pub fn summary(&self) -> String {
        match self {
            Self::Passed => "passed".into(),
            Self::DoesNotParse(e) => format!("`before` is not Rust code: {e}"),
            Self::NoMatch => "the rule found nothing in `before`".into(),
            Self::UnexpectedMatch(found) => format!(
                "the rule matched `{}`, but the example has no `after`, so it must not",
                found.join("`, `")
            ),
            Self::NoFix => "the rule matched but made no fix".into(),
            Self::Differs { .. } => "the fixed code differs from `after`".into(),
        }
    }
}

/// Runs every rule's examples.
pub fn test_rules(book: &RuleBook) -> Vec<RuleTest> {
    book.rules()
        .iter()
        .enumerate()
        .map(|(i, rule)| {
            let mut only = vec![false; book.rules().len()];
            only[i] = true;
            let outcomes = rule
                .examples
                .iter()
                .map(|example| run(book, &only, &example.before, example.after.as_deref()))
                .collect();
            RuleTest {
                rule: rule.id.clone(),
                file: rule.file.clone(),
                outcomes,
            }
        })
        .collect()
}

/// What some rules of a book do to a piece of code (an example, a
/// pattern's instance, a historic change).
pub(super) struct Tried {
    /// The code each match covers.
    pub matched: Vec<String>,
    /// The code with every fix applied; `None` when no match had a fix.
    pub fixed: Option<String>,
}

/// Runs the rules `only` (by index) on `text` as a file of its own.
pub(super) fn try_on(book: &RuleBook, only: &[bool], text: &str) -> Result<Tried, ParseError> {
    let path = "example.rs"
        .parse()
        .unwrap_or_else(|_| unreachable!("a valid relative path"));
    let tried = SourceFile::parse(path, text.to_owned()).map(|file| {
        let found = book.check(&file, only);
        let matched = found
            .iter()
            .map(|(_, d)| file.slice(d.range.clone()).to_owned())
            .collect();
        let edits: Vec<Edit> = found
            .into_iter()
            .flat_map(|(_, d)| d.edits.unwrap_or_default())
            .collect();
        let fixed = (!edits.is_empty()).then(|| splice(text, &edits));
        Tried { matched, fixed }
    });
    // The file's tree is gone: its spans can go too.
    release_thread_spans();
    tried
}

fn run(book: &RuleBook, only: &[bool], before: &str, after: Option<&str>) -> ExampleOutcome {
    let tried = match try_on(book, only, before) {
        Ok(tried) => tried,
        Err(e) => return ExampleOutcome::DoesNotParse(e.to_string()),
    };
    let Some(after) = after else {
        return match tried.matched.is_empty() {
            true => ExampleOutcome::Passed,
            false => ExampleOutcome::UnexpectedMatch(tried.matched),
        };
    };
    if tried.matched.is_empty() {
        return ExampleOutcome::NoMatch;
    }
    let Some(got) = tried.fixed else {
        return ExampleOutcome::NoFix;
    };
    if got.trim_end() == after.trim_end() {
        ExampleOutcome::Passed
    } else {
        ExampleOutcome::Differs {
            expected: after.to_owned(),
            got,
        }
    }
}
