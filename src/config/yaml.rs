//! Reading a YAML file the maintainer wrote (the configuration, a project
//! rule) into a typed value, with every error at a file, line, column and
//! key, in the maintainer's terms.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

/// An error at a known place of a YAML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    /// The dotted path of the key, such as `scan.max_file_bytes`.
    pub key: String,
    pub message: String,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file.display(), self.line, self.column)?;
        if !self.key.is_empty() {
            write!(f, "key `{}`: ", self.key)?;
        }
        write!(f, "{}", self.message)
    }
}

/// Parses `text` as a `T`; `file` is only used in error messages.
pub fn parse<T: DeserializeOwned>(text: &str, file: &Path) -> Result<T, Invalid> {
    let options = serde_saphyr::options! { strict_booleans: true, with_snippet: false };
    let mut key = None;
    let parsed = serde_saphyr::with_deserializer_from_str_with_options(text, options, |de| {
        serde_path_to_error::deserialize(de).map_err(|err| {
            key = Some(err.path().to_string());
            err.into_inner()
        })
    });
    parsed.map_err(|err| {
        let (line, column) = err
            .location()
            .map_or((1, 1), |l| (l.line() as usize, l.column() as usize));
        // A key the path could not name (a duplicate's) shows as `?`.
        let key = key
            .map(|k| {
                k.split('.')
                    .take_while(|part| *part != "?")
                    .collect::<Vec<_>>()
                    .join(".")
            })
            .filter(|k| !k.is_empty() && k != ".");
        let key = match (&err, key) {
            (serde_saphyr::Error::DuplicateMappingKey { key: Some(dup), .. }, Some(parent)) => {
                Some(format!("{parent}.{dup}"))
            }
            (serde_saphyr::Error::DuplicateMappingKey { key: Some(dup), .. }, None) => {
                Some(dup.clone())
            }
            (_, key) => key,
        };
        Invalid {
            file: file.to_path_buf(),
            line,
            column,
            key: key.unwrap_or_default(),
            message: message(&err),
        }
    })
}

/// What went wrong, in the maintainer's terms: the YAML library's advice
/// to its own users (options to set) and debug output stay out.
fn message(err: &serde_saphyr::Error) -> String {
    use serde_saphyr::budget::BudgetBreach;
    match err {
        serde_saphyr::Error::DuplicateMappingKey { key: Some(k), .. } => {
            format!("`{k}` is given twice in the same place; keep one")
        }
        serde_saphyr::Error::DuplicateMappingKey { key: None, .. } => {
            "a key is given twice here; keep one".into()
        }
        serde_saphyr::Error::Budget { breach, .. } => {
            let why = match breach {
                BudgetBreach::Depth { .. }
                | BudgetBreach::InclusionDepth { .. }
                | BudgetBreach::PropertyExpansionDepth { .. } => "nests too deeply",
                BudgetBreach::Aliases { .. }
                | BudgetBreach::Anchors { .. }
                | BudgetBreach::AliasAnchorRatio { .. }
                | BudgetBreach::RecordedAnchorEvents { .. }
                | BudgetBreach::RecordedAnchorBytes { .. }
                | BudgetBreach::MergeKeys { .. } => "expands aliases (`*name`) too much",
                _ => "is too large",
            };
            format!("the file {why} to be read safely; it needs only a few plain keys")
        }
        other => strip_location(&other.to_string()).to_owned(),
    }
}

/// saphyr appends " at line L, column C"; we report the location ourselves.
fn strip_location(message: &str) -> &str {
    let Some(i) = message.rfind(" at line ") else {
        return message;
    };
    // Only a trailing ` at line L, column C`: other places in the text
    // (an alias's `(defined at line …)`) are part of what it says.
    let tail = &message[i + " at line ".len()..];
    let numbers = tail.replace(", column ", "");
    if tail.contains(", column ") && numbers.chars().all(|c| c.is_ascii_digit()) {
        &message[..i]
    } else {
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trailing_location_is_dropped_and_others_kept() {
        assert_eq!(strip_location("bad at line 3, column 4"), "bad");
        assert_eq!(
            strip_location("alias (defined at line 2) is bad"),
            "alias (defined at line 2) is bad"
        );
    }
}
