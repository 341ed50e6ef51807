//! A rule, compiled from its file: the pattern, the fix template, the
//! constraints, and every error at the line and column of the mistake.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_saphyr::Spanned;

use super::matcher::KINDS;
use super::pattern::{self, Anchor, Pat, PatternError};
use super::spec::{ExampleSpec, RuleSpec, locate_in_value};
use super::template::Template;
use crate::vocab::hash::content_hash;
use crate::vocab::ids::SkillId;
use crate::vocab::risk::Risk;

/// A rule, compiled.
#[derive(Debug)]
pub struct Rule {
    pub id: String,
    /// The file it was read from, relative to the repository root.
    pub file: PathBuf,
    pub message: String,
    pub title: String,
    pub rationale: String,
    pub risk: Risk,
    pub examples: Vec<ExampleSpec>,
    pub evidence: Vec<String>,
    /// A hash of the rule's file: a changed rule invalidates what the scan
    /// cache holds for it.
    pub hash: String,
    pub(super) pattern: Pat,
    pub(super) anchor: Anchor,
    pub(super) fix: Option<Template>,
    pub(super) constraints: Vec<(String, VarCheck)>,
    pub(super) not_inside: Vec<Inside>,
    /// Metavariables the pattern uses more than once.
    pub(super) repeated: Vec<String>,
}

impl Rule {
    pub fn skill_id(&self) -> String {
        format!("rule::{}", self.id)
    }

    pub fn can_fix(&self) -> bool {
        self.fix.is_some()
    }
}

/// What a metavariable's binding must satisfy.
#[derive(Debug)]
pub(super) struct VarCheck {
    pub(super) kind: Option<String>,
    pub(super) regex: Option<regex::Regex>,
    pub(super) not_regex: Option<regex::Regex>,
}

/// A place a match must not sit in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Inside {
    /// A `#[test]` function or a `#[cfg(test)]` module.
    Test,
    /// An `unsafe` block or function.
    Unsafe,
    Fn(String),
    Impl(String),
    Mod(String),
}

impl Inside {
    fn parse(text: &str) -> Option<Self> {
        let words: Vec<&str> = text.split_whitespace().collect();
        match words.as_slice() {
            ["test"] => Some(Self::Test),
            ["unsafe"] => Some(Self::Unsafe),
            ["fn", name] => Some(Self::Fn((*name).to_owned())),
            ["impl", name] => Some(Self::Impl((*name).to_owned())),
            ["mod", name] => Some(Self::Mod((*name).to_owned())),
            _ => None,
        }
    }
}

/// A rule file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    /// The rule's id, when the file got that far.
    pub rule: Option<String>,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file.display(), self.line, self.column)?;
        if let Some(rule) = &self.rule {
            write!(f, "rule `{rule}`: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for RuleError {}

/// Compiles one rule file's text; `file` names it in errors.
pub fn parse_rule(text: &str, file: &Path) -> Result<Rule, RuleError> {
    let spec: RuleSpec = crate::config::yaml::parse(text, file).map_err(|e| RuleError {
        file: file.to_path_buf(),
        line: e.line,
        column: e.column,
        // The file did not read as a rule, but its id usually still shows.
        rule: text.lines().find_map(|l| {
            let id = l.strip_prefix("id:")?.trim().trim_matches(['"', '\'']);
            (!id.is_empty()).then(|| id.to_owned())
        }),
        message: match e.key.is_empty() {
            true => e.message,
            false => format!("key `{}`: {}", e.key, e.message),
        },
    })?;
    let id = spec.id.value.clone();
    let error_at = |line: usize, column: usize, message: String| RuleError {
        file: file.to_path_buf(),
        line,
        column,
        rule: Some(id.clone()),
        message,
    };
    let at_value = |value: &Spanned<String>, message: String| {
        error_at(
            value.referenced.line() as usize,
            value.referenced.column() as usize,
            message,
        )
    };
    if SkillId::new(&format!("rule::{id}")).is_err() || id.contains('_') {
        return Err(at_value(
            &spec.id,
            format!(
                "`{id}` is not a rule id: use lowercase letters, digits and single dashes, starting with a letter"
            ),
        ));
    }
    let in_value = |value: &Spanned<String>, what: &str, e: PatternError| {
        let (line, column) = locate_in_value(text, value, e.line, e.column);
        error_at(line, column, format!("in `{what}`: {}", e.message))
    };
    let expr = pattern::parse_expr(&spec.pattern.value)
        .map_err(|e| in_value(&spec.pattern, "match", e))?;
    let pattern = pattern::compile(&expr).map_err(|e| in_value(&spec.pattern, "match", e))?;
    let anchor = pattern.anchor();
    if anchor.kind == "any" {
        return Err(at_value(
            &spec.pattern,
            "in `match`: a pattern that is only a metavariable matches every expression; give it a shape, such as `$X.clone()`".into(),
        ));
    }
    let vars = metavariables(&spec.pattern.value);
    let fix = spec
        .fix
        .as_ref()
        .map(|fix| Template::compile(&fix.value, &vars).map_err(|e| in_value(fix, "fix", e)))
        .transpose()?;
    let mut constraints = Vec::new();
    for (name, check) in spec.constraints.vars {
        let (line, column) = spec
            .constraints
            .var_at
            .get(&name)
            .copied()
            .unwrap_or((1, 1));
        if !vars.contains_key(&name) {
            return Err(error_at(
                line,
                column,
                format!("`where` names `{name}`, which is not a metavariable of the pattern"),
            ));
        }
        if let Some(kind) = &check.kind
            && !KINDS.contains(&kind.value.as_str())
        {
            return Err(at_value(
                kind,
                format!(
                    "`{}` is not a kind; the kinds are {}",
                    kind.value,
                    KINDS.join(", ")
                ),
            ));
        }
        let regex = |r: &Option<Spanned<String>>| {
            r.as_ref()
                .map(|r| {
                    regex::Regex::new(&r.value).map_err(|e| {
                        // The library's message spans lines; its last says what.
                        let full = e.to_string();
                        let why = full.lines().last().unwrap_or_default();
                        let why = why.trim_start_matches("error: ");
                        at_value(r, format!("`{}` is not a valid regex: {why}", r.value))
                    })
                })
                .transpose()
        };
        constraints.push((
            name,
            VarCheck {
                kind: check.kind.map(|k| k.value),
                regex: regex(&check.regex)?,
                not_regex: regex(&check.not_regex)?,
            },
        ));
    }
    let not_inside = spec
        .constraints
        .not_inside
        .iter()
        .map(|place| {
            Inside::parse(&place.value).ok_or_else(|| {
                at_value(
                    place,
                    format!(
                        "`{}` is not a place; `not-inside` takes `test`, `unsafe`, `fn NAME`, `impl NAME` or `mod NAME`",
                        place.value
                    ),
                )
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(Rule {
        title: spec.title.unwrap_or_else(|| format!("Apply rule `{id}`")),
        rationale: spec.rationale.unwrap_or_else(|| spec.message.clone()),
        message: spec.message,
        risk: spec.risk,
        examples: spec.examples,
        evidence: spec.evidence,
        hash: content_hash(text.as_bytes()),
        file: file.to_path_buf(),
        id,
        pattern,
        anchor,
        fix,
        constraints,
        not_inside,
        repeated: repeated_metavariables(&spec.pattern.value),
    })
}

/// The metavariables a pattern's text names more than once.
fn repeated_metavariables(text: &str) -> Vec<String> {
    let mut seen = BTreeMap::<&str, usize>::new();
    for (_, _, name) in pattern::metavariable_refs(text) {
        *seen.entry(name).or_default() += 1;
    }
    seen.into_iter()
        .filter(|(name, n)| *n > 1 && !name.is_empty())
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// The metavariables of a pattern's text: name → whether it is a sequence.
fn metavariables(text: &str) -> BTreeMap<String, bool> {
    pattern::metavariable_refs(text)
        .into_iter()
        .filter(|(_, _, name)| !name.is_empty())
        .map(|(_, dollars, name)| (name.to_owned(), dollars == 3))
        .collect()
}
