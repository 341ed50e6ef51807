//! A file that `rustfmt` leaves as it is stays that way after its fixes: a
//! shorter format string can let rustfmt join a call's lines, an added
//! derive can push an attribute past the width. After splicing, such a file
//! is run through rustfmt with the project's own configuration and edition.
//! rustfmt formats each item on its own, so on a clean file only the items
//! the fixes touched change. A file that was not clean is left as spliced:
//! reformatting it would bury the fix in unrelated changes.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::engine::edit::Applied;
use crate::engine::workspace::Edition;
use crate::vocab::rel_path::RelPath;

/// How long one file may take rustfmt.
const RUSTFMT_TIMEOUT: Duration = Duration::from_secs(30);

/// The names rustfmt reads its configuration from, in its order.
const CONFIG_NAMES: [&str; 2] = ["rustfmt.toml", ".rustfmt.toml"];

/// rustfmt with one file's edition and configuration.
#[derive(Debug, Clone)]
pub struct Rustfmt {
    edition: Edition,
    /// The text of the `rustfmt.toml` that applies, if any.
    config: Option<String>,
}

impl Rustfmt {
    pub fn new(edition: Edition, config: Option<String>) -> Self {
        Self { edition, config }
    }

    /// `text` as rustfmt writes it; `None` when rustfmt is not installed,
    /// fails, or cannot format it.
    pub fn format(&self, text: &str) -> Option<String> {
        let dir = tempfile::tempdir().ok()?;
        let mut command = Command::new(rustfmt_program());
        command
            .args(["--emit", "stdout", "--edition"])
            .arg(self.edition.to_string())
            // Never a configuration from wherever the process happens to run.
            .current_dir(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(config) = &self.config {
            let file = dir.path().join("rustfmt.toml");
            std::fs::write(&file, config).ok()?;
            command.arg("--config-path").arg(&file);
        }
        let mut child = command.spawn().ok()?;
        let mut stdin = child.stdin.take()?;
        let mut stdout = child.stdout.take()?;
        let input = text.to_owned();
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
        let reader = std::thread::spawn(move || {
            let mut out = Vec::new();
            stdout.read_to_end(&mut out).map(|_| out)
        });
        // rustfmt has inputs it takes very long over; a fix is not worth
        // waiting for, and the file then stays as spliced.
        let deadline = Instant::now() + RUSTFMT_TIMEOUT;
        let status = loop {
            match child.try_wait().ok()? {
                Some(status) => break status,
                None if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return None;
                }
                None => std::thread::sleep(Duration::from_millis(5)),
            }
        };
        writer.join().ok()?.ok()?;
        let out = reader.join().ok()?.ok()?;
        if !status.success() {
            return None;
        }
        String::from_utf8(out).ok()
    }
}

fn rustfmt_program() -> std::ffi::OsString {
    std::env::var_os("RUSTFMT")
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "rustfmt".into())
}

/// Where rustfmt would look for the configuration of `path`: its directory,
/// then each parent up to the root, nearest first.
pub fn config_candidates(path: &RelPath) -> Vec<RelPath> {
    let mut dirs: Vec<&Path> = Path::new(path.as_str()).ancestors().skip(1).collect();
    if dirs.last() != Some(&Path::new("")) {
        dirs.push(Path::new(""));
    }
    dirs.iter()
        .flat_map(|dir| CONFIG_NAMES.map(|name| dir.join(name)))
        .filter_map(|p| p.to_str()?.parse().ok())
        .collect()
}

/// The text of the configuration that applies to `path`, read with `read`.
pub fn config_for(path: &RelPath, read: &dyn Fn(&RelPath) -> Option<String>) -> Option<String> {
    config_candidates(path).iter().find_map(read)
}

/// Reformats the patched files that were rustfmt-clean before their fixes;
/// returns the files it reformatted. `editions` gives each file's edition
/// (the default where missing), `read` reads a file of the project (for
/// `rustfmt.toml`).
pub fn keep_rustfmt_clean(
    applied: &mut Applied,
    editions: &BTreeMap<RelPath, Edition>,
    read: &dyn Fn(&RelPath) -> Option<String>,
) -> Vec<RelPath> {
    let mut reformatted = Vec::new();
    for (path, patched) in &mut applied.files {
        let edition = editions.get(path).copied().unwrap_or(Edition::DEFAULT);
        let rustfmt = Rustfmt::new(edition, config_for(path, read));
        if rustfmt.format(&patched.original).as_ref() != Some(&patched.original) {
            continue;
        }
        if let Some(formatted) = rustfmt.format(&patched.new)
            && formatted != patched.new
        {
            patched.new = formatted;
            reformatted.push(path.clone());
        }
    }
    reformatted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::edit::Patched;

    fn applied(path: &str, original: &str, new: &str) -> Applied {
        let mut applied = Applied::default();
        applied.files.insert(
            path.parse().unwrap(),
            Patched {
                original: original.to_owned(),
                new: new.to_owned(),
            },
        );
        applied
    }

    #[test]
    fn a_clean_file_is_formatted_again_and_a_messy_one_is_left_alone() {
        // rustfmt wraps the call at 101 columns; inlined, it fits in 100.
        let message =
            "a long message that needs its own line because it is long enough to wrap here okxx";
        let clean = format!(
            "fn f(a: u8) -> String {{\n    format!(\n        \"{message}{{}}\",\n        a\n    )\n}}\n"
        );
        let spliced = format!(
            "fn f(a: u8) -> String {{\n    format!(\n        \"{message}{{a}}\"\n    )\n}}\n"
        );
        let mut fixed = applied("src/lib.rs", &clean, &spliced);
        let none = |_: &RelPath| None;
        let changed = keep_rustfmt_clean(&mut fixed, &BTreeMap::new(), &none);
        assert_eq!(changed.len(), 1);
        assert_eq!(
            fixed.files.values().next().unwrap().new,
            format!("fn f(a: u8) -> String {{\n    format!(\"{message}{{a}}\")\n}}\n")
        );

        let messy = clean.replace("-> String {", "->String{");
        let spliced = spliced.replace("-> String {", "->String{");
        let mut left = applied("src/lib.rs", &messy, &spliced);
        assert!(keep_rustfmt_clean(&mut left, &BTreeMap::new(), &none).is_empty());
        assert_eq!(left.files.values().next().unwrap().new, spliced);
    }

    #[test]
    fn the_projects_configuration_is_used() {
        let original = "fn f() {\n\tg();\n}\n";
        let mut fixed = applied("src/a/lib.rs", original, "fn f() {\n\tg( );\n}\n");
        let read =
            |p: &RelPath| (p.as_str() == "rustfmt.toml").then(|| "hard_tabs = true\n".to_owned());
        let changed = keep_rustfmt_clean(&mut fixed, &BTreeMap::new(), &read);
        assert_eq!(changed.len(), 1);
        assert_eq!(fixed.files.values().next().unwrap().new, original);
    }

    #[test]
    fn configuration_is_looked_for_nearest_first() {
        let found: Vec<String> = config_candidates(&"crates/x/src/lib.rs".parse().unwrap())
            .iter()
            .map(|p| p.as_str().to_owned())
            .collect();
        assert_eq!(
            found,
            [
                "crates/x/src/rustfmt.toml",
                "crates/x/src/.rustfmt.toml",
                "crates/x/rustfmt.toml",
                "crates/x/.rustfmt.toml",
                "crates/rustfmt.toml",
                "crates/.rustfmt.toml",
                "rustfmt.toml",
                ".rustfmt.toml",
            ]
        );
    }
}
