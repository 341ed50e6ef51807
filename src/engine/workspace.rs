//! The workspace: packages and targets from `cargo metadata` (offline,
//! `--no-deps`), and the `.rs` files of a walk that respects `.gitignore`.
//! A directory without a `Cargo.toml` is still walked; its files simply
//! belong to no package.

use std::fmt;
use std::path::{Path, PathBuf};

use globset::{GlobSet, GlobSetBuilder};
use serde::Serialize;

use crate::config::ScanConfig;
use crate::vocab::rel_path::RelPath;

/// A Rust edition, as far as the skills care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Edition {
    #[serde(rename = "2015")]
    E2015,
    #[serde(rename = "2018")]
    E2018,
    #[serde(rename = "2021")]
    E2021,
    #[serde(rename = "2024")]
    E2024,
}

impl Edition {
    /// What a file outside any package is assumed to be.
    pub const DEFAULT: Edition = Edition::E2021;
}

impl fmt::Display for Edition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Edition::E2015 => "2015",
            Edition::E2018 => "2018",
            Edition::E2021 => "2021",
            Edition::E2024 => "2024",
        })
    }
}

impl From<cargo_metadata::Edition> for Edition {
    fn from(e: cargo_metadata::Edition) -> Self {
        match e {
            cargo_metadata::Edition::E2015 => Edition::E2015,
            cargo_metadata::Edition::E2018 => Edition::E2018,
            cargo_metadata::Edition::E2021 => Edition::E2021,
            // Editions newer than ours keep the newest rules we know.
            _ => Edition::E2024,
        }
    }
}

/// One package of the workspace.
#[derive(Debug, Clone, Serialize)]
pub struct Package {
    pub name: String,
    pub version: String,
    pub edition: Edition,
    /// `rust-version` from the manifest as (major, minor), if declared.
    pub rust_version: Option<(u64, u64)>,
    /// The directory holding `Cargo.toml`, relative to the root (`""` for the root).
    pub dir: String,
    pub targets: Vec<Target>,
    #[serde(skip)]
    abs_dir: PathBuf,
}

/// A build target of a package.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub name: String,
    pub kinds: Vec<String>,
    /// The crate root, relative to the scanned root when inside it.
    pub src_path: String,
}

/// A `.rs` file chosen for scanning.
#[derive(Debug, Clone)]
pub struct WorkspaceFile {
    pub path: RelPath,
    pub abs: PathBuf,
    pub size: u64,
    /// Index into [`Workspace::packages`].
    pub package: Option<usize>,
}

/// Packages and files under a root.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
    pub packages: Vec<Package>,
    pub files: Vec<WorkspaceFile>,
    /// Problems met while discovering (cargo metadata failures, unreadable directories).
    pub warnings: Vec<String>,
}

/// A workspace that cannot be discovered at all.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("{} is not a directory: give the path of a repository or crate", path.display())]
    NotADirectory { path: PathBuf },
    #[error("cannot open {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid scan glob `{glob}`: {message}")]
    Glob { glob: String, message: String },
}

impl Workspace {
    /// Discovers the workspace under `root`.
    pub fn discover(root: &Path, scan: &ScanConfig) -> Result<Self, WorkspaceError> {
        let root = root.canonicalize().map_err(|source| WorkspaceError::Io {
            path: root.to_path_buf(),
            source,
        })?;
        if !root.is_dir() {
            return Err(WorkspaceError::NotADirectory { path: root });
        }
        let mut warnings = Vec::new();
        let (packages, target_dir) = match nearest_manifest(&root) {
            Some(manifest) => match read_metadata(&manifest, &root) {
                Ok(found) => found,
                Err(err) => {
                    warnings.push(format!(
                        "cargo metadata failed for {} ({err}); scanning files without package information",
                        manifest.display()
                    ));
                    (Vec::new(), None)
                }
            },
            None => (Vec::new(), None),
        };
        let filter = FileFilter::new(scan)?;
        let mut files = walk(&root, &filter, target_dir.as_deref(), &mut warnings);
        for file in &mut files {
            file.package = package_of(&packages, &file.abs);
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(Self {
            root,
            packages,
            files,
            warnings,
        })
    }

    /// A workspace of exactly these files (for benchmarks and tests); no
    /// packages.
    pub fn from_files(root: PathBuf, paths: Vec<PathBuf>) -> Self {
        let files = paths
            .into_iter()
            .filter_map(|abs| {
                let path = RelPath::from_root(&root, &abs)?;
                let size = std::fs::metadata(&abs).map(|m| m.len()).unwrap_or(0);
                Some(WorkspaceFile {
                    path,
                    abs,
                    size,
                    package: None,
                })
            })
            .collect();
        Self {
            root,
            packages: Vec::new(),
            files,
            warnings: Vec::new(),
        }
    }

    pub fn package(&self, file: &WorkspaceFile) -> Option<&Package> {
        file.package.and_then(|i| self.packages.get(i))
    }

    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }

    /// Indexes into [`Workspace::files`], largest file first: the order
    /// to hand files to threads in, so that no big file is left for one
    /// thread at the end while the others wait.
    pub fn largest_first(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.files.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(self.files[i].size));
        order
    }
}

/// The `Cargo.toml` at `root`, or in the nearest ancestor inside the same
/// repository (so `scan crates/foo/src` still knows its package).
fn nearest_manifest(root: &Path) -> Option<PathBuf> {
    for dir in root.ancestors() {
        let manifest = dir.join("Cargo.toml");
        if manifest.is_file() {
            return Some(manifest);
        }
        if dir.join(".git").exists() {
            return None;
        }
    }
    None
}

fn read_metadata(manifest: &Path, root: &Path) -> Result<(Vec<Package>, Option<PathBuf>), String> {
    let metadata = cargo_metadata::MetadataCommand::new()
        .manifest_path(manifest)
        .no_deps()
        .other_options(vec!["--offline".to_owned()])
        .exec()
        .map_err(|err| first_line(&err.to_string()))?;
    let relative = |p: &Path| {
        p.strip_prefix(root)
            .map(|r| r.to_string_lossy().replace('\\', "/"))
            .unwrap_or_else(|_| p.display().to_string())
    };
    let mut packages: Vec<Package> = metadata
        .packages
        .iter()
        .map(|p| {
            let abs_dir = p
                .manifest_path
                .parent()
                .map(|d| d.as_std_path().to_path_buf())
                .unwrap_or_default();
            Package {
                name: p.name.to_string(),
                version: p.version.to_string(),
                edition: p.edition.into(),
                rust_version: p.rust_version.as_ref().map(|v| (v.major, v.minor)),
                dir: relative(&abs_dir),
                targets: p
                    .targets
                    .iter()
                    .map(|t| Target {
                        name: t.name.clone(),
                        kinds: t.kind.iter().map(|k| k.to_string()).collect(),
                        src_path: relative(t.src_path.as_std_path()),
                    })
                    .collect(),
                abs_dir,
            }
        })
        .collect();
    packages.sort_by(|a, b| a.dir.cmp(&b.dir).then_with(|| a.name.cmp(&b.name)));
    Ok((
        packages,
        Some(metadata.target_directory.into_std_path_buf()),
    ))
}

fn first_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("unknown error")
        .to_owned()
}

/// The package whose directory is the longest prefix of `file`.
fn package_of(packages: &[Package], file: &Path) -> Option<usize> {
    packages
        .iter()
        .enumerate()
        .filter(|(_, p)| file.starts_with(&p.abs_dir))
        .max_by_key(|(_, p)| p.abs_dir.components().count())
        .map(|(i, _)| i)
}

struct FileFilter {
    include: GlobSet,
    exclude: GlobSet,
}

impl FileFilter {
    fn new(scan: &ScanConfig) -> Result<Self, WorkspaceError> {
        Ok(Self {
            include: glob_set(&scan.include)?,
            exclude: glob_set(&scan.exclude)?,
        })
    }

    fn wants(&self, path: &RelPath) -> bool {
        let p = path.as_str();
        p.ends_with(".rs") && self.include.is_match(p) && !self.exclude.is_match(p)
    }
}

fn glob_set(globs: &[String]) -> Result<GlobSet, WorkspaceError> {
    let mut builder = GlobSetBuilder::new();
    for glob in globs {
        let compiled = globset::GlobBuilder::new(glob)
            .literal_separator(true)
            .build()
            .map_err(|err| WorkspaceError::Glob {
                glob: glob.clone(),
                message: err.kind().to_string(),
            })?;
        builder.add(compiled);
    }
    builder.build().map_err(|err| WorkspaceError::Glob {
        glob: globs.join(", "),
        message: err.to_string(),
    })
}

fn walk(
    root: &Path,
    filter: &FileFilter,
    target_dir: Option<&Path>,
    warnings: &mut Vec<String>,
) -> Vec<WorkspaceFile> {
    let target_dir = target_dir.map(Path::to_path_buf);
    let walker = ignore::WalkBuilder::new(root)
        .require_git(false)
        .git_global(false)
        .filter_entry(move |entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            // Cargo marks its build directories with CACHEDIR.TAG; build
            // output is never worth scanning even when not ignored.
            !(is_dir
                && (target_dir.as_deref() == Some(entry.path())
                    || entry.path().join("CACHEDIR.TAG").is_file()))
        })
        .build();
    let mut files = Vec::new();
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                warnings.push(format!("skipped part of the walk: {err}"));
                continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Some(path) = RelPath::from_root(root, entry.path()) else {
            warnings.push(format!(
                "skipped {}: not a UTF-8 path",
                entry.path().display()
            ));
            continue;
        };
        if !filter.wants(&path) {
            continue;
        }
        let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
        files.push(WorkspaceFile {
            path,
            abs: entry.into_path(),
            size,
            package: None,
        });
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, path: &str, text: &str) {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }

    fn paths(ws: &Workspace) -> Vec<&str> {
        ws.files.iter().map(|f| f.path.as_str()).collect()
    }

    #[test]
    fn walks_without_cargo_and_respects_gitignore_and_config() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "a.rs", "");
        write(root, "sub/b.rs", "");
        write(root, "gen/c.rs", "");
        write(root, "ignored/d.rs", "");
        write(root, "notes.txt", "");
        write(root, ".gitignore", "ignored/\n");
        write(
            root,
            "build/CACHEDIR.TAG",
            "Signature: 8a477f597d28d172789f06886806bc55",
        );
        write(root, "build/e.rs", "");
        let scan = ScanConfig {
            exclude: vec!["gen/**".into()],
            ..ScanConfig::default()
        };
        let ws = Workspace::discover(root, &scan).unwrap();
        assert_eq!(paths(&ws), ["a.rs", "sub/b.rs"]);
        assert!(ws.packages.is_empty());
        assert!(ws.warnings.is_empty(), "{:?}", ws.warnings);
    }

    #[test]
    fn reads_packages_and_assigns_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "Cargo.toml",
            "[workspace]\nmembers = [\"old\"]\n[package]\nname = \"top\"\nversion = \"0.1.0\"\nedition = \"2021\"\nrust-version = \"1.70\"\n",
        );
        write(root, "src/lib.rs", "");
        write(
            root,
            "old/Cargo.toml",
            "[package]\nname = \"old\"\nversion = \"0.2.0\"\nedition = \"2018\"\n",
        );
        write(root, "old/src/lib.rs", "");
        let ws = Workspace::discover(root, &ScanConfig::default()).unwrap();
        assert!(ws.warnings.is_empty(), "{:?}", ws.warnings);
        let by_path: Vec<(&str, &str, Edition)> = ws
            .files
            .iter()
            .map(|f| {
                let p = ws.package(f).unwrap();
                (f.path.as_str(), p.name.as_str(), p.edition)
            })
            .collect();
        assert_eq!(
            by_path,
            [
                ("old/src/lib.rs", "old", Edition::E2018),
                ("src/lib.rs", "top", Edition::E2021)
            ]
        );
        let top = ws.packages.iter().find(|p| p.name == "top").unwrap();
        assert_eq!(top.rust_version, Some((1, 70)));
        assert_eq!(top.targets[0].src_path, "src/lib.rs");
        assert_eq!(top.targets[0].kinds, ["lib"]);
    }

    #[test]
    fn a_broken_manifest_is_a_warning_and_the_files_still_count() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "Cargo.toml", "[package\n");
        write(root, "src/lib.rs", "");
        let ws = Workspace::discover(root, &ScanConfig::default()).unwrap();
        assert_eq!(paths(&ws), ["src/lib.rs"]);
        assert_eq!(ws.warnings.len(), 1);
        assert!(
            ws.warnings[0].starts_with("cargo metadata failed"),
            "{}",
            ws.warnings[0]
        );
    }

    #[test]
    fn a_missing_root_is_an_error() {
        let err =
            Workspace::discover(Path::new("/no/such/dir"), &ScanConfig::default()).unwrap_err();
        assert!(
            err.to_string().starts_with("cannot open /no/such/dir"),
            "{err}"
        );
    }
}
