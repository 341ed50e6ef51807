//! A rule file as the maintainer writes it (`.github/patchwright/rules/*.yml`),
//! before its pattern and fix are compiled. Values whose own text can be
//! wrong (the pattern, the fix, a regex) keep where they are in the file, so
//! an error inside them points at the line and column of the mistake.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};
use serde_saphyr::Spanned;

use super::pattern::is_metavariable_name;
use crate::vocab::risk::Risk;

/// One rule file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Kebab-case; the rule's skill is `rule::<id>`.
    pub id: Spanned<String>,
    /// What a finding says; `$X` shows the code a metavariable bound.
    pub message: String,
    /// The start of a proposal's title ("Use `Arc::clone`"); the id when
    /// not given.
    #[serde(default)]
    pub title: Option<String>,
    /// Why the rule exists, for pull-request bodies; the message when not
    /// given.
    #[serde(default)]
    pub rationale: Option<String>,
    #[serde(rename = "match")]
    pub pattern: Spanned<String>,
    #[serde(default, rename = "where")]
    pub constraints: Where,
    /// What a match becomes; without it the rule only reports.
    #[serde(default)]
    pub fix: Option<Spanned<String>>,
    #[serde(default = "default_risk")]
    pub risk: Risk,
    #[serde(default)]
    pub examples: Vec<ExampleSpec>,
    /// Where a mined rule came from (commits, counts): shown, not used.
    #[serde(default)]
    pub evidence: Vec<String>,
}

fn default_risk() -> Risk {
    Risk::Medium
}

/// A before/after pair that `patchwright rules test` checks. Without
/// `after`, the rule must find nothing in `before`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleSpec {
    pub before: String,
    #[serde(default)]
    pub after: Option<String>,
}

/// `where:` — constraints on metavariables (`X: {kind: ident}`) and on
/// what a match may sit in (`not-inside: [test]`).
#[derive(Debug, Default)]
pub struct Where {
    pub vars: BTreeMap<String, VarSpec>,
    pub not_inside: Vec<Spanned<String>>,
    /// Where each metavariable's key is, for errors about it.
    pub var_at: BTreeMap<String, (usize, usize)>,
}

/// What a metavariable must bind.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VarSpec {
    /// `ident`, `path`, `literal`, `string`, `call`, … (see the README).
    #[serde(default)]
    pub kind: Option<Spanned<String>>,
    /// A regex the bound code's text must match.
    #[serde(default)]
    pub regex: Option<Spanned<String>>,
    /// A regex the bound code's text must not match.
    #[serde(default, rename = "not-regex")]
    pub not_regex: Option<Spanned<String>>,
}

impl<'de> Deserialize<'de> for Where {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct WhereVisitor;
        impl<'de> Visitor<'de> for WhereVisitor {
            type Value = Where;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of metavariables (`X:` for `$X`) and `not-inside`")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Where, A::Error> {
                let mut out = Where::default();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    let name = key.value.trim_start_matches('$');
                    if key.value == "not-inside" {
                        out.not_inside = map.next_value()?;
                    } else if is_metavariable_name(name) {
                        out.var_at.insert(
                            name.to_owned(),
                            (
                                key.referenced.line() as usize,
                                key.referenced.column() as usize,
                            ),
                        );
                        out.vars.insert(name.to_owned(), map.next_value()?);
                    } else {
                        return Err(de::Error::custom(format!(
                            "`{}`: `where` takes metavariable names (`X` for `$X`) and `not-inside`",
                            key.value
                        )));
                    }
                }
                Ok(out)
            }
        }
        deserializer.deserialize_map(WhereVisitor)
    }
}

/// Where in the file a position inside a spanned string value is: `line`
/// and `column` (1-based) count within the value's text (a plain value
/// folds onto one line; only a block keeps lines).
pub fn locate_in_value(
    file_text: &str,
    value: &Spanned<String>,
    line: usize,
    column: usize,
) -> (usize, usize) {
    let (vline, vcol) = (
        value.referenced.line() as usize,
        value.referenced.column() as usize,
    );
    let quoted = file_text
        .lines()
        .nth(vline.saturating_sub(1))
        .and_then(|l| l.chars().nth(vcol.saturating_sub(1)))
        .is_some_and(|c| c == '"' || c == '\'');
    // A value's location is where its text starts: after the quote of a
    // quoted one, on the first content line of a block (`|`), whose
    // indentation the later lines share.
    match (quoted, line) {
        (true, 1) => (vline, vcol + column),
        _ => (vline + line - 1, vcol - 1 + column),
    }
}
