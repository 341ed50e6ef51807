//! The families of skills that are a compiler's lints (`clippy`, `rustc`):
//! which exist, their curated defaults, and which lints of each run.

use std::collections::BTreeMap;

use super::sections::SkillConfig;

/// The families whose skills are a compiler's lints, one skill per lint
/// (`clippy::needless_return`).
pub const LINT_FAMILIES: [&str; 2] = ["clippy", "rustc"];

/// clippy's lints proposed unless configured otherwise: style and
/// complexity lints whose suggestions clippy marks machine-applicable.
pub const DEFAULT_CLIPPY_LINTS: &[&str] = &[
    "bool_comparison",
    "chars_next_cmp",
    "clone_on_copy",
    "collapsible_else_if",
    "int_plus_one",
    "iter_nth_zero",
    "len_zero",
    "let_and_return",
    "manual_range_contains",
    "map_clone",
    "match_like_matches_macro",
    "needless_borrow",
    "needless_borrowed_reference",
    "needless_late_init",
    "needless_return",
    "neg_multiply",
    "println_empty_string",
    "question_mark",
    "redundant_closure",
    "redundant_field_names",
    "redundant_pattern_matching",
    "redundant_slicing",
    "redundant_static_lifetimes",
    "single_char_add_str",
    "single_component_path_imports",
    "to_digit_is_some",
    "uninlined_format_args",
    "unnecessary_cast",
    "unused_unit",
    "useless_conversion",
    "useless_format",
];

/// rustc's lints proposed unless configured otherwise. `unused_imports` is
/// not among them: an import unused with the default features may be used
/// with others, which a check with the default features cannot see.
pub const DEFAULT_RUSTC_LINTS: &[&str] = &[
    "bare_trait_objects",
    "ellipsis_inclusive_range_patterns",
    "redundant_semicolons",
    "unused_braces",
    "unused_mut",
    "unused_parens",
];

/// What a lint family runs, and which of its lints become skills.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintFamily {
    pub name: &'static str,
    pub command: String,
    pub lints: Vec<String>,
}

/// The lint families that run, with their commands and the lints that
/// become skills (a lint turned off with `skills."clippy::x".enabled:
/// false` is left out). A family runs only when the configuration names it
/// (`skills: {clippy: {}}`): its lints overlap built-in skills, and
/// findings move to the lint's id when it runs.
pub fn families(skills: &BTreeMap<String, SkillConfig>) -> Vec<LintFamily> {
    let enabled = |id: &str| skills.get(id).is_none_or(|s| s.enabled);
    LINT_FAMILIES
        .into_iter()
        .filter(|family| skills.get(*family).is_some_and(|s| s.enabled))
        .map(|name| {
            let settings = skills.get(name).cloned().unwrap_or_default();
            let defaults: &[&str] = if name == "clippy" {
                DEFAULT_CLIPPY_LINTS
            } else {
                DEFAULT_RUSTC_LINTS
            };
            let mut lints: Vec<String> = settings
                .lints
                .unwrap_or_else(|| defaults.iter().map(|l| (*l).to_owned()).collect());
            lints.extend(settings.deny);
            lints.retain(|l| !settings.allow.contains(l) && enabled(&format!("{name}::{l}")));
            lints.sort();
            lints.dedup();
            let tool = if name == "clippy" { "clippy" } else { "check" };
            LintFamily {
                name,
                command: settings.command.unwrap_or_else(|| {
                    format!("cargo {tool} --workspace --all-targets --message-format=json")
                }),
                lints,
            }
        })
        .collect()
}

/// A lint family (`clippy`) or one of its lints (`clippy::needless_return`).
pub fn is_lint_key(key: &str) -> bool {
    match key.split_once("::") {
        Some((family, lint)) => {
            LINT_FAMILIES.contains(&family)
                && lint.starts_with(|c: char| c.is_ascii_lowercase())
                && lint
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        }
        None => LINT_FAMILIES.contains(&key),
    }
}
