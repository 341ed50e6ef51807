//! `patchwright rules new`: a rule file from an id, a pattern and a fix,
//! with a first example made from the pattern itself (each metavariable
//! filled in with a plain name) and its `after` made by the rule, so the
//! new rule passes `rules test` from the start.

use std::path::Path;

use super::examples::try_on;
use super::load::RULES_DIR;
use super::pattern::metavariable_refs;
use super::rule::{RuleError, parse_rule};
use super::walk::RuleBook;

/// A new rule's file: where it goes and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRule {
    /// Relative to the repository root.
    pub path: String,
    pub text: String,
    /// Whether the rule matched its own example (when not, the example
    /// needs a hand before `rules test` passes).
    pub example_matched: bool,
}

/// The text of a new rule; an error when the pieces do not make a rule.
pub fn new_rule(
    id: &str,
    message: &str,
    pattern: &str,
    fix: Option<&str>,
) -> Result<NewRule, RuleError> {
    let path = format!("{RULES_DIR}/{id}.yml");
    let block = |text: &str, indent: &str| {
        text.trim()
            .lines()
            .map(|l| format!("{indent}{l}\n"))
            .collect::<String>()
    };
    let quoted = serde_json::to_string(message).unwrap_or_else(|_| "\"\"".into());
    let mut head = format!(
        "# A project rule: patchwright proposes its fix wherever `match` matches\n\
         # on the default branch. Check it with `patchwright rules test`.\n\
         id: {id}\nmessage: {quoted}\nmatch: |\n{}",
        block(pattern, "  ")
    );
    if let Some(fix) = fix {
        head.push_str(&format!("fix: |\n{}", block(fix, "  ")));
    }
    head.push_str("risk: medium\n");
    // The rule without examples first: it must compile before an example
    // can be made with it.
    let rule = parse_rule(&head, Path::new(&path))?;
    let before = format!(
        "fn example() {{\n    let _ = {};\n}}\n",
        instantiate(pattern.trim())
    );
    let book = RuleBook::new(vec![rule]);
    let (matched, after) = match try_on(&book, &[true], &before) {
        Ok(tried) => (
            !tried.matched.is_empty(),
            tried.fixed.unwrap_or_else(|| before.clone()),
        ),
        Err(_) => (false, before.clone()),
    };
    let mut text = head;
    text.push_str("examples:\n");
    text.push_str(&format!("  - before: |\n{}", block(&before, "      ")));
    if fix.is_some() || !matched {
        text.push_str(&format!("    after: |\n{}", block(&after, "      ")));
    }
    Ok(NewRule {
        path,
        text,
        example_matched: matched,
    })
}

/// The pattern with each `$X` written as `x` and each `$$$XS` as `a, b`:
/// code the pattern matches, unless its constraints say otherwise.
fn instantiate(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut at = 0;
    for (range, dollars, name) in metavariable_refs(pattern) {
        out.push_str(&pattern[at..range.start]);
        match dollars {
            3 => out.push_str("a, b"),
            _ => out.push_str(&name.to_lowercase()),
        }
        at = range.end;
    }
    out.push_str(&pattern[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rules::examples::test_rules;

    #[test]
    fn a_new_rule_passes_its_own_example() {
        let new = new_rule(
            "warn-not-eprintln",
            "use `tracing::warn!`: \"quoted\" # not a comment",
            "eprintln!($$$ARGS)",
            Some("tracing::warn!($$$ARGS)"),
        )
        .unwrap();
        assert_eq!(new.path, ".github/patchwright/rules/warn-not-eprintln.yml");
        assert!(new.example_matched);
        insta::assert_snapshot!(new.text, @r#"
        # A project rule: patchwright proposes its fix wherever `match` matches
        # on the default branch. Check it with `patchwright rules test`.
        id: warn-not-eprintln
        message: "use `tracing::warn!`: \"quoted\" # not a comment"
        match: |
          eprintln!($$$ARGS)
        fix: |
          tracing::warn!($$$ARGS)
        risk: medium
        examples:
          - before: |
              fn example() {
                  let _ = eprintln!(a, b);
              }
            after: |
              fn example() {
                  let _ = tracing::warn!(a, b);
              }
        "#);
        let rule = parse_rule(&new.text, Path::new(&new.path)).unwrap();
        assert_eq!(
            rule.message,
            "use `tracing::warn!`: \"quoted\" # not a comment"
        );
        let tests = test_rules(&RuleBook::new(vec![rule]));
        assert!(tests[0].passed(), "{tests:?}");
    }

    #[test]
    fn a_new_rule_with_a_broken_pattern_is_an_error() {
        let err = new_rule("x", "m", "foo(", None).unwrap_err();
        assert!(err.message.contains("in `match`"), "{err}");
    }
}
