//! The ids that name a skill and a finding everywhere: in branches, labels,
//! configuration keys and the ledger.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::hash::hex;

/// The id of a skill: kebab-case, stable, because it names branches, labels
/// and configuration keys. A skill of a family that a tool reports — one
/// per compiler lint — is `family::lint` (`clippy::needless_return`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SkillId(String);

impl SkillId {
    /// Accepts `[a-z][a-z0-9-]*` without a trailing or doubled dash, or
    /// such a family followed by `::` and a lint name, `[a-z][a-z0-9_]*`,
    /// or `rule::` and a kebab-case rule id.
    pub fn new(id: &str) -> Result<Self, InvalidSkillId> {
        let kebab = |s: &str| {
            s.starts_with(|c: char| c.is_ascii_lowercase())
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !s.ends_with('-')
                && !s.contains("--")
        };
        let lint = |s: &str| {
            s.starts_with(|c: char| c.is_ascii_lowercase())
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        };
        let valid = match id.split_once("::") {
            // A project rule's name is kebab-case (`rule::arc-clone`).
            Some(("rule", name)) => kebab(name),
            Some((family, name)) => kebab(family) && lint(name),
            None => kebab(id),
        };
        if valid {
            Ok(Self(id.to_owned()))
        } else {
            Err(InvalidSkillId(id.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The family and lint of a `family::lint` id.
    pub fn lint(&self) -> Option<(&str, &str)> {
        self.0.split_once("::")
    }

    /// The id as a git ref name component: `clippy::needless_return` →
    /// `clippy.needless_return` (`:` cannot be in a ref name).
    pub fn slug(&self) -> String {
        self.0.replace("::", ".")
    }
}

/// `inline-format-args` → `InlineFormatArgs`: a kebab-case id as a Rust
/// type name (also what SARIF rule names look like); `clippy::needless_return`
/// → `ClippyNeedlessReturn`, `rule::arc-clone` → `RuleArcClone`.
pub fn camel_case(kebab: &str) -> String {
    kebab
        .split(|c: char| !c.is_ascii_alphanumeric())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

impl fmt::Display for SkillId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for SkillId {
    type Err = InvalidSkillId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl PartialEq<str> for SkillId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

#[derive(Debug, thiserror::Error)]
#[error(
    "`{0}` is not a valid skill id: use lowercase letters, digits and single dashes, starting with a letter"
)]
pub struct InvalidSkillId(pub String);

/// A stable id of a finding (16 hex digits). See [`Fingerprint::compute`] for
/// what goes into it and what deliberately does not.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(String);

/// What identifies a finding independently of where its file lives.
#[derive(Clone, Copy, Debug)]
pub struct FingerprintInput<'a> {
    pub skill: &'a str,
    pub package: &'a str,
    /// The enclosing item's name chain inside its file, such as `Parser::next`.
    pub item: &'a str,
    /// The normalised tokens (or text) of the finding itself.
    pub key: &'a str,
    /// The index among identical findings in the same item.
    pub occurrence: usize,
}

impl Fingerprint {
    /// Line numbers and file paths are left out on purpose: the fingerprint
    /// survives unrelated edits above the finding, moves of the item to
    /// another file, and renames, so a rejection is never lost.
    pub fn compute(input: FingerprintInput<'_>) -> Self {
        let mut hasher = Sha256::new();
        for part in [
            "patchwright-fingerprint-v1",
            input.skill,
            input.package,
            input.item,
            input.key,
        ] {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        hasher.update(input.occurrence.to_string().as_bytes());
        let digest = hasher.finalize();
        Self(hex(&digest[..8]))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Fingerprint {
    type Err = InvalidFingerprint;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() == 16
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidFingerprint(s.to_owned()))
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a fingerprint: expected 16 lowercase hex digits")]
pub struct InvalidFingerprint(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skill_ids_are_kebab_case() {
        assert!(SkillId::new("derive-debug").is_ok());
        assert!(SkillId::new("a1-b2").is_ok());
        for bad in ["", "Derive", "1abc", "a--b", "a-", "a_b", "a b", "-a"] {
            assert!(SkillId::new(bad).is_err(), "{bad} should be rejected");
        }
        let lint = SkillId::new("clippy::needless_return").unwrap();
        assert_eq!(lint.lint(), Some(("clippy", "needless_return")));
        assert_eq!(lint.slug(), "clippy.needless_return");
        assert_eq!(SkillId::new("len-zero").unwrap().lint(), None);
        for bad in [
            "clippy::",
            "::x",
            "clippy::Needless",
            "clippy::a::b",
            "a_b::c",
            "clippy::a-b",
        ] {
            assert!(SkillId::new(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]

    fn fingerprints_depend_on_identity_not_location() {
        let base = FingerprintInput {
            skill: "len-zero",
            package: "demo",
            item: "Parser::next",
            key: "self.buf.len() == 0",
            occurrence: 0,
        };
        let a = Fingerprint::compute(base);
        assert_eq!(a, Fingerprint::compute(base));
        assert_eq!(a.as_str().len(), 16);
        assert_eq!(a, a.as_str().parse().unwrap());
        assert_ne!(
            a,
            Fingerprint::compute(FingerprintInput {
                occurrence: 1,
                ..base
            })
        );
        assert_ne!(
            a,
            Fingerprint::compute(FingerprintInput {
                item: "Parser::peek",
                ..base
            })
        );
        assert_ne!(
            a,
            Fingerprint::compute(FingerprintInput {
                package: "other",
                ..base
            })
        );
        // Field boundaries matter: moving text between fields changes the hash.
        assert_ne!(
            Fingerprint::compute(FingerprintInput {
                item: "ab",
                key: "c",
                ..base
            }),
            Fingerprint::compute(FingerprintInput {
                item: "a",
                key: "bc",
                ..base
            })
        );
    }
}
