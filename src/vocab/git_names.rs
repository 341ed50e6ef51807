//! The names git gives things, checked once where they enter: full commit
//! ids and branch names. Git itself (git2) is the store's business; these
//! are plain values every layer can hold.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::hash::hex;

/// The string conversions serde and display need, for a newtype over a
/// `String` that is checked by its `FromStr`.
macro_rules! string_newtype {
    ($t:ident) => {
        impl TryFrom<String> for $t {
            type Error = InvalidName;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl From<$t> for String {
            fn from(value: $t) -> Self {
                value.0
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// A full commit id (40 hex digits).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CommitSha(String);

impl CommitSha {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first eight digits, for branch names and messages.
    pub fn short(&self) -> &str {
        &self.0[..8]
    }

    /// The id whose raw bytes are `raw` (what git's object ids hold).
    pub fn from_raw(raw: &[u8]) -> Self {
        Self(hex(raw))
    }
}

impl FromStr for CommitSha {
    type Err = InvalidName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() == 40
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidName(format!("`{s}` is not a full commit id")))
        }
    }
}

string_newtype!(CommitSha);

/// The id of a tree: what a commit's files are, whatever its history. The
/// same tree checks the same, so check results are kept by tree.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TreeSha(String);

impl TreeSha {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id whose raw bytes are `raw`.
    pub fn from_raw(raw: &[u8]) -> Self {
        Self(hex(raw))
    }

    /// The first eight digits, for messages.
    pub fn short(&self) -> &str {
        &self.0[..8]
    }
}

impl FromStr for TreeSha {
    type Err = InvalidName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse::<CommitSha>()
            .map(|c| Self(c.0))
            .map_err(|_| InvalidName(format!("`{s}` is not a full tree id")))
    }
}

string_newtype!(TreeSha);

/// A branch name (without `refs/heads/`) that git accepts.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BranchName(String);

impl BranchName {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn refname(&self) -> String {
        format!("refs/heads/{}", self.0)
    }
}

impl FromStr for BranchName {
    type Err = InvalidName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if !s.is_empty() && is_valid_refname(&format!("refs/heads/{s}")) {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidName(format!("`{s}` is not a valid branch name")))
        }
    }
}

string_newtype!(BranchName);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidName(pub String);

/// Whether git accepts `name` as a full ref name under `refs/` (the rules of
/// `git check-ref-format`): no empty, `.`-led or `.lock`-ending component, no
/// `..`, `@{`, control characters, spaces or any of `~^:?*[\`, and no
/// trailing `/` or `.`.
pub fn is_valid_refname(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("refs/") else {
        return false;
    };
    let forbidden = |c: char| c.is_ascii_control() || " ~^:?*[\\".contains(c);
    !rest.is_empty()
        && !name.ends_with('.')
        && !name.contains("..")
        && !name.contains("@{")
        && !name.chars().any(forbidden)
        && rest
            .split('/')
            .all(|part| !part.is_empty() && !part.starts_with('.') && !part.ends_with(".lock"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_ids_are_forty_hex_digits() {
        let sha = "0123456789abcdef0123456789abcdef01234567";
        let parsed: CommitSha = sha.parse().unwrap();
        assert_eq!(parsed.as_str(), sha);
        assert_eq!(parsed.short(), "01234567");
        assert_eq!(CommitSha::from_raw(&[0xab; 20]).as_str(), "ab".repeat(20));
        for bad in ["", "0123", &sha.to_uppercase(), &format!("{sha}0")] {
            assert!(
                bad.parse::<CommitSha>().is_err(),
                "{bad} should be rejected"
            );
        }
    }

    #[test]
    fn ref_names_follow_git() {
        for good in [
            "refs/patchwright/state",
            "refs/heads/patchwright/a-b_c.d",
            "refs/heads/x@y",
        ] {
            assert!(is_valid_refname(good), "{good} should be accepted");
        }
        for bad in [
            "patchwright/state",
            "refs/",
            "refs/a//b",
            "refs/a/",
            "refs/a.",
            "refs/.a",
            "refs/a.lock",
            "refs/a..b",
            "refs/a@{b",
            "refs/a b",
            "refs/a~b",
            "refs/a:b",
            "refs/a?b",
            "refs/a*b",
            "refs/a[b",
            "refs/a\\b",
            "refs/a\u{7f}b",
        ] {
            assert!(!is_valid_refname(bad), "{bad:?} should be rejected");
        }
        assert!("main".parse::<BranchName>().is_ok());
        assert!("a..b".parse::<BranchName>().is_err());
        assert!(
            "patchwright/derive-debug/1a2b3c4d"
                .parse::<BranchName>()
                .is_ok()
        );
        assert!("bad..name".parse::<BranchName>().is_err());
        assert!("".parse::<BranchName>().is_err());
    }
}
