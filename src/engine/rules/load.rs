//! Reading a repository's rule files: from its work tree, or as files
//! taken from a commit of its default branch.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::rule::{Rule, RuleError, parse_rule};

/// Where a repository keeps its rules, relative to its root.
pub const RULES_DIR: &str = ".github/patchwright/rules";

/// The rules of a repository, read: those that compiled, and an error for
/// each file that did not (the others still run).
#[derive(Debug, Default)]
pub struct Loaded {
    pub rules: Vec<Rule>,
    pub errors: Vec<RuleError>,
}

/// Reads rule files given as (file name, bytes), in name order; only
/// `.yml` and `.yaml` files are rules.
pub fn load_files(files: Vec<(String, Vec<u8>)>) -> Loaded {
    let mut files: Vec<_> = files
        .into_iter()
        .filter(|(name, _)| name.ends_with(".yml") || name.ends_with(".yaml"))
        .collect();
    files.sort();
    let mut loaded = Loaded::default();
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    for (name, bytes) in files {
        let file = Path::new(RULES_DIR).join(&name);
        let Ok(text) = String::from_utf8(bytes) else {
            loaded.errors.push(RuleError {
                file,
                line: 1,
                column: 1,
                rule: None,
                message: "the file is not UTF-8; save it as UTF-8".into(),
            });
            continue;
        };
        match parse_rule(&text, &file) {
            Ok(rule) => {
                if let Some(first) = seen.get(&rule.id) {
                    loaded.errors.push(RuleError {
                        file: file.clone(),
                        line: 1,
                        column: 1,
                        rule: Some(rule.id.clone()),
                        message: format!(
                            "the id is already taken by {}; rule ids must be unique",
                            first.display()
                        ),
                    });
                    continue;
                }
                seen.insert(rule.id.clone(), file);
                loaded.rules.push(rule);
            }
            Err(e) => loaded.errors.push(e),
        }
    }
    loaded
}

/// Reads the rules under `root`'s [`RULES_DIR`] (none when it is missing).
pub fn load_dir(root: &Path) -> Result<Loaded, std::io::Error> {
    let dir = root.join(RULES_DIR);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Loaded::default()),
        Err(e) => return Err(e),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        files.push((name, std::fs::read(entry.path())?));
    }
    Ok(load_files(files))
}
