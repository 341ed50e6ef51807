//! The checks a configuration passes after it parses: skill ids that
//! exist, lint lists only where lints are, refs and identities git accepts,
//! numbers in the range where they work, globs that compile. Each error
//! points at the key's place in the file.

use std::path::Path;

use super::{Config, ConfigError, DEFAULT_LEDGER_REF, Invalid, LINT_FAMILIES, is_lint_key};
use crate::vocab::git_names::is_valid_refname;

impl Config {
    pub(super) fn validate(
        &self,
        text: &str,
        file: &Path,
        known_skills: &[&str],
    ) -> Result<(), ConfigError> {
        let invalid = |key: String, needle: &str, message: String| {
            let (line, column) = locate(text, needle);
            ConfigError::Invalid(Invalid {
                file: file.to_path_buf(),
                line,
                column,
                key,
                message,
            })
        };
        if let Some(unknown) = self
            .skills
            .keys()
            .find(|id| !known_skills.contains(&id.as_str()) && !is_lint_key(id) && !is_rule_key(id))
        {
            return Err(invalid(
                format!("skills.{unknown}"),
                unknown,
                format!(
                    "unknown skill `{unknown}`; known skills are: {}, the lints of the {} families (`clippy::needless_return`), and project rules (`rule::<id>`)",
                    known_skills.join(", "),
                    LINT_FAMILIES.join(" and ")
                ),
            ));
        }
        for (key, skill) in &self.skills {
            let is_family = LINT_FAMILIES.contains(&key.as_str());
            let lists = [
                ("lints", skill.lints.as_deref().unwrap_or_default()),
                ("allow", skill.allow.as_slice()),
                ("deny", skill.deny.as_slice()),
            ];
            for (field, lints) in lists {
                let given = field == "lints" && skill.lints.is_some() || !lints.is_empty();
                if given && !is_family {
                    return Err(invalid(
                        format!("skills.{key}.{field}"),
                        field,
                        format!(
                            "only the lint families ({}) take `{field}`",
                            LINT_FAMILIES.join(", ")
                        ),
                    ));
                }
                if let Some(bad) = lints.iter().find(|l| !is_lint_key(&format!("{key}::{l}"))) {
                    return Err(invalid(
                        format!("skills.{key}.{field}"),
                        bad,
                        format!(
                            "`{bad}` is not a lint name (lowercase, digits and `_`, as `needless_return`)"
                        ),
                    ));
                }
            }
            if skill.command.is_some() && !is_family {
                return Err(invalid(
                    format!("skills.{key}.command"),
                    "command",
                    format!(
                        "only the lint families ({}) take a `command`",
                        LINT_FAMILIES.join(", ")
                    ),
                ));
            }
        }
        let r = &self.git.ledger_ref;
        if !r.starts_with("refs/") || !is_valid_refname(r) {
            return Err(invalid(
                "git.ledger_ref".into(),
                r,
                format!("`{r}` is not a valid ref name under refs/"),
            ));
        }
        // The ledger is rewritten by every run: on a branch or a tag it would
        // replace the code there (or be replaced by the next fetch).
        if let Some(area) = ["refs/heads/", "refs/tags/", "refs/remotes/"]
            .into_iter()
            .find(|area| r.starts_with(area))
        {
            return Err(invalid(
                "git.ledger_ref".into(),
                r,
                format!(
                    "`{r}` is under {area}, where branches and tags live; the ledger needs a ref of its own, such as {DEFAULT_LEDGER_REF}"
                ),
            ));
        }
        if self
            .forge
            .local
            .check_command
            .split_whitespace()
            .next()
            .is_none()
        {
            return Err(invalid(
                "forge.local.check_command".into(),
                "check_command",
                "the check command is empty".into(),
            ));
        }
        let identity = &self.git.identity;
        for (field, value) in [("name", &identity.name), ("email", &identity.email)] {
            if value.trim().is_empty() || value.contains(['<', '>', '\n', '\r', '\0']) {
                return Err(invalid(
                    format!("git.identity.{field}"),
                    field,
                    format!(
                        "{value:?} cannot sign a commit: it must be non-empty, on one line, without `<` or `>`"
                    ),
                ));
            }
        }
        let validate = &self.validate.0;
        if validate.command.split_whitespace().next().is_none() {
            return Err(invalid(
                "validate.command".into(),
                "command",
                "the validation command is empty".into(),
            ));
        }
        // Numbers that only make sense from a minimum up: a zero timeout
        // would fail every check, a zero limit would silently do nothing.
        let as_u64 = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        let at_least: [(&str, u64, u64, &str); 16] = [
            (
                "commands.max_per_comment",
                as_u64(self.commands.max_per_comment),
                1,
                "a comment must be allowed at least 1 command",
            ),
            (
                "network.connect_timeout_seconds",
                self.network.connect_timeout_seconds,
                1,
                "a timeout of 0 seconds fails every connection; give at least 1",
            ),
            (
                "network.read_timeout_seconds",
                self.network.read_timeout_seconds,
                1,
                "a timeout of 0 seconds fails every request; give at least 1",
            ),
            (
                "network.total_seconds",
                self.network.total_seconds,
                1,
                "a run needs some time for the network; give at least 1",
            ),
            (
                "scan.max_nesting",
                as_u64(self.scan.max_nesting),
                1,
                "nothing nests less than once; give at least 1",
            ),
            (
                "scan.max_file_seconds",
                self.scan.max_file_seconds,
                1,
                "no file is scanned in no time; give at least 1",
            ),
            (
                "scan.max_file_bytes",
                self.scan.max_file_bytes,
                1,
                "no file is smaller than 1 byte; give at least 1",
            ),
            (
                "validate.max_rounds",
                as_u64(validate.max_rounds),
                1,
                "at least one round is needed; say `validate: false` to turn validation off",
            ),
            (
                "validate.timeout_minutes",
                validate.timeout_minutes,
                1,
                "a timeout of 0 minutes stops every compile at once; give at least 1",
            ),
            (
                "forge.local.check_timeout_minutes",
                self.forge.local.check_timeout_minutes,
                1,
                "a timeout of 0 minutes fails every check at once; give at least 1",
            ),
            (
                "limits.max_changed_lines",
                as_u64(self.limits.max_changed_lines),
                1,
                "no fix changes fewer than 1 line; give at least 1",
            ),
            (
                "limits.max_files_per_pr",
                as_u64(self.limits.max_files_per_pr),
                1,
                "no fix changes fewer than 1 file; give at least 1",
            ),
            (
                "limits.max_open_prs_ceiling",
                as_u64(self.limits.max_open_prs_ceiling),
                1,
                "give at least 1 (`max_prs_per_run: 0` is how to propose nothing)",
            ),
            (
                "revert.window_hours",
                self.revert.window_hours,
                1,
                "watch for at least 1 hour; say `mode: off` not to watch",
            ),
            (
                "revert.max_age_hours",
                self.revert.max_age_hours,
                1,
                "give at least 1 hour",
            ),
            (
                "learning.min_decided",
                as_u64(self.learning.min_decided),
                1,
                "a score needs at least 1 decided proposal",
            ),
        ];
        for (key, value, min, why) in at_least {
            if value < min {
                let field = key.rsplit('.').next().unwrap_or(key);
                return Err(invalid(
                    key.into(),
                    field,
                    format!("{value} is too small: {why}"),
                ));
            }
        }
        let acceptance = self.learning.min_acceptance;
        if !(0.0..=1.0).contains(&acceptance) {
            return Err(invalid(
                "learning.min_acceptance".into(),
                "min_acceptance",
                format!("{acceptance} is not a share between 0 and 1 (0.3 means 30 %)"),
            ));
        }
        for (field, globs) in [
            ("include", &self.scan.include),
            ("exclude", &self.scan.exclude),
        ] {
            for (i, glob) in globs.iter().enumerate() {
                if let Err(err) = globset::Glob::new(glob) {
                    return Err(invalid(
                        format!("scan.{field}[{i}]"),
                        glob,
                        format!("`{glob}` is not a valid glob: {}", err.kind()),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Line and column (1-based) of the first occurrence of `needle` as a
/// whole token, for errors found after deserializing.
fn locate(text: &str, needle: &str) -> (usize, usize) {
    for (i, line) in text.lines().enumerate() {
        let code = line.split(" #").next().unwrap_or(line);
        if let Some(col) = code.find(needle) {
            let before = code[..col].chars().last();
            let after = code[col + needle.len()..].chars().next();
            let boundary =
                |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '-' || c == '_'));
            if boundary(before) && boundary(after) {
                return (i + 1, code[..col].chars().count() + 1);
            }
        }
    }
    (1, 1)
}

/// A project rule's skill (`rule::arc-clone`). Rules are read after the
/// configuration, from the default branch, so any well-formed one is
/// accepted here; one that names no rule turns nothing on or off.
fn is_rule_key(key: &str) -> bool {
    key.strip_prefix("rule::").is_some_and(|id| {
        id.starts_with(|c: char| c.is_ascii_lowercase())
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    })
}
