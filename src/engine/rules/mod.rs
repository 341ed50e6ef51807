//! Project rules: fixes a maintainer declares in a few lines of YAML under
//! `.github/patchwright/rules/` — a Rust pattern with metavariables, a fix
//! template, constraints and examples. Each rule is a skill (`rule::<id>`)
//! like the built-in ones; all rules of a repository are matched in one
//! walk over each file ([`RuleBook::check`]), looked up by the kind of
//! node their pattern starts with.
//!
//! `spec.rs` is the file format, `rule.rs` compiles one (`load.rs` finds
//! the files), `pattern.rs` compiles a `match:`,
//! `matcher.rs` compares it with a file's tree, `template.rs` renders a
//! `fix:`, `walk.rs` is the one pass, `skill.rs` makes rules skills,
//! `examples.rs` runs their examples, `new.rs` writes a new rule, and
//! `mine.rs` with `anti_unify.rs` finds rules in a repository's history.

mod anti_unify;
mod examples;
mod load;
mod matcher;
mod mine;
mod new;
mod pattern;
mod rule;
mod skill;
mod spec;
mod template;
#[cfg(test)]
mod tests;
mod walk;

pub use examples::{ExampleOutcome, RuleTest, test_rules};
pub use load::{Loaded, RULES_DIR, load_dir, load_files};
pub use mine::{Change, MineOptions, Mined, Occurrence, mine};
pub use new::{NewRule, new_rule};
pub use pattern::PatternError;
pub use rule::{Rule, RuleError, parse_rule};
pub use skill::{RuleSkill, examine_together, is_rule};
pub use spec::ExampleSpec;
pub use walk::RuleBook;
