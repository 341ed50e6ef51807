//! Paths inside the repository, as every layer passes them around.

use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::text::escape_controls;

/// A path relative to the scanned root, always with `/` separators, never
/// absolute and never climbing out with `..`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RelPath(String);

impl RelPath {
    /// `path` relative to `root`; `None` when it is not inside `root`.
    pub fn from_root(root: &Path, path: &Path) -> Option<Self> {
        let rel = path.strip_prefix(root).ok()?;
        Self::from_relative(rel)
    }

    /// A relative path made only of normal components.
    pub fn from_relative(rel: &Path) -> Option<Self> {
        let mut parts = Vec::new();
        for component in rel.components() {
            match component {
                Component::Normal(part) => parts.push(part.to_str()?.to_owned()),
                Component::CurDir => {}
                _ => return None,
            }
        }
        if parts.is_empty() {
            return None;
        }
        Some(Self(parts.join("/")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn to_path(&self, root: &Path) -> PathBuf {
        root.join(self.0.split('/').collect::<PathBuf>())
    }
}

/// For people: control characters are shown escaped, so a file named with a
/// newline cannot forge a line of output. Code that needs the name itself
/// (files, git, JSON) uses [`RelPath::as_str`].
impl fmt::Display for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&escape_controls(&self.0))
    }
}

impl FromStr for RelPath {
    type Err = InvalidRelPath;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.starts_with('/') || s.contains('\\') {
            return Err(InvalidRelPath(s.to_owned()));
        }
        Self::from_relative(Path::new(s)).ok_or_else(|| InvalidRelPath(s.to_owned()))
    }
}

#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a relative path inside the repository")]
pub struct InvalidRelPath(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rel_paths_round_trip_and_refuse_escapes() {
        let p: RelPath = "src/lib.rs".parse().unwrap();
        assert_eq!(p.to_string(), "src/lib.rs");
        assert_eq!(
            "./src/lib.rs".parse::<RelPath>().unwrap().as_str(),
            "src/lib.rs"
        );
        for bad in ["../x.rs", "/etc/passwd", "a/../../b", "", "a\\b"] {
            assert!(bad.parse::<RelPath>().is_err(), "{bad} should be rejected");
        }
        let root = Path::new("/repo");
        assert_eq!(
            RelPath::from_root(root, Path::new("/repo/src/a.rs"))
                .unwrap()
                .as_str(),
            "src/a.rs"
        );
        assert!(RelPath::from_root(root, Path::new("/elsewhere/a.rs")).is_none());
    }
}
