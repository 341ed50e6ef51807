//! `.github/patchwright.yml` → [`Config`]. No file means the defaults. Every
//! error names the file, line, column and key, so a maintainer can fix it
//! without guessing.
//!
//! YAML is read with serde-saphyr: maintained, free of `unsafe`, with limits
//! against alias bombs and deep nesting, and errors that carry locations
//! (serde_yaml, the former default, is deprecated).
//!
//! Every layer reads the configuration, so it sits just above the
//! vocabulary and imports nothing else; the defaults other layers share
//! (the command prefix, the ledger ref, the bot's identity) live here.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::vocab::git_names::is_valid_refname;

mod lints;
mod sections;

pub use lints::{
    DEFAULT_CLIPPY_LINTS, DEFAULT_RUSTC_LINTS, LINT_FAMILIES, LintFamily, is_lint_key,
};
pub use sections::*;

/// Where the configuration is looked for, relative to the repository root.
pub const DEFAULT_PATHS: [&str; 2] = [".github/patchwright.yml", ".github/patchwright.yaml"];

/// The whole configuration. Later sections slot in as new fields.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Per-skill settings keyed by skill id. Default: every skill enabled.
    pub skills: BTreeMap<String, SkillConfig>,
    /// What the scan reads.
    pub scan: ScanConfig,
    /// How many proposals, and how big.
    pub limits: Limits,
    /// Where proposals and the ledger are published.
    pub git: GitConfig,
    /// Forge settings.
    pub forge: ForgeConfig,
    /// Slash commands in comments.
    pub commands: CommandsConfig,
    /// GitHub settings.
    pub github: GitHubConfig,
    /// Learning from outcomes.
    pub learning: LearningConfig,
    /// Watching merged proposals and reverting regressions.
    pub revert: RevertConfig,
    /// Proving fixes with the compiler before they are proposed or written;
    /// `false` turns it off.
    pub validate: ValidateConfig,
}

impl Config {
    /// Whether skill `id` runs (skills are on unless the config turns them off).
    pub fn skill_enabled(&self, id: &str) -> bool {
        self.skills.get(id).is_none_or(|s| s.enabled)
    }

    /// The lint families that run, with their commands and lints.
    pub fn lint_families(&self) -> Vec<LintFamily> {
        lints::families(&self.skills)
    }

    /// Reads the configuration: `explicit` if given (it must exist), else the
    /// first of [`DEFAULT_PATHS`] under `root`, else the defaults.
    /// `known_skills` are the ids a `skills:` key may name.
    pub fn load(
        root: &Path,
        explicit: Option<&Path>,
        known_skills: &[&str],
    ) -> Result<Self, ConfigError> {
        let path = match explicit {
            Some(path) => Some(path.to_path_buf()),
            None => DEFAULT_PATHS
                .iter()
                .map(|p| root.join(p))
                .find(|p| p.is_file()),
        };
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let shown = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
        Self::parse(&text, &shown, known_skills)
    }

    /// Parses configuration text; `file` is only used in error messages.
    pub fn parse(text: &str, file: &Path, known_skills: &[&str]) -> Result<Self, ConfigError> {
        let options = serde_saphyr::options! { strict_booleans: true, with_snippet: false };
        let mut key = None;
        let parsed = serde_saphyr::with_deserializer_from_str_with_options(text, options, |de| {
            serde_path_to_error::deserialize(de).map_err(|err| {
                key = Some(err.path().to_string());
                err.into_inner()
            })
        });
        let config: Config = parsed.map_err(|err| {
            let (line, column) = err
                .location()
                .map_or((1, 1), |l| (l.line() as usize, l.column() as usize));
            ConfigError::Invalid(Invalid {
                file: file.to_path_buf(),
                line,
                column,
                key: key.filter(|k| k != ".").unwrap_or_default(),
                message: strip_location(&err.to_string()).to_owned(),
            })
        })?;
        config.validate(text, file, known_skills)?;
        Ok(config)
    }

    fn validate(&self, text: &str, file: &Path, known_skills: &[&str]) -> Result<(), ConfigError> {
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
            .find(|id| !known_skills.contains(&id.as_str()) && !is_lint_key(id))
        {
            return Err(invalid(
                format!("skills.{unknown}"),
                unknown,
                format!(
                    "unknown skill `{unknown}`; known skills are: {}, and the lints of the {} families (`clippy::needless_return`)",
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
        if !self.git.ledger_ref.starts_with("refs/") || !is_valid_refname(&self.git.ledger_ref) {
            let r = &self.git.ledger_ref;
            return Err(invalid(
                "git.ledger_ref".into(),
                r,
                format!("`{r}` is not a valid ref name under refs/"),
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
        if self.commands.max_per_comment == 0 {
            return Err(invalid(
                "commands.max_per_comment".into(),
                "max_per_comment",
                "a comment must be allowed at least 1 command".into(),
            ));
        }
        if self.scan.max_nesting == 0 {
            return Err(invalid(
                "scan.max_nesting".into(),
                "max_nesting",
                "nothing nests less than once; give at least 1".into(),
            ));
        }
        let validate = &self.validate.0;
        if validate.command.split_whitespace().next().is_none() {
            return Err(invalid(
                "validate.command".into(),
                "command",
                "the validation command is empty".into(),
            ));
        }
        if validate.max_rounds == 0 {
            return Err(invalid(
                "validate.max_rounds".into(),
                "max_rounds",
                "at least one round is needed; say `validate: false` to turn validation off".into(),
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

/// saphyr appends " at line L, column C"; we report the location ourselves.
fn strip_location(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(i) if message[i..].contains(", column ") => &message[..i],
        _ => message,
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

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(Invalid),
}

/// A configuration error at a known place.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::risk::Risk;

    const KNOWN: &[&str] = &["derive-debug", "len-zero"];

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new(".github/patchwright.yml"), KNOWN)
    }

    fn error(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn empty_and_missing_files_give_defaults() {
        assert_eq!(parse("").unwrap(), Config::default());
        assert_eq!(parse("# nothing yet\n").unwrap(), Config::default());
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            Config::load(dir.path(), None, KNOWN).unwrap(),
            Config::default()
        );
        assert_eq!(Config::default().scan.max_file_bytes, 2 * 1024 * 1024);
    }

    #[test]
    fn reads_every_section() {
        let config = parse(
            "skills:\n  len-zero:\n    enabled: false\nscan:\n  exclude: [\"gen/**\"]\n  max_file_bytes: 1000\n",
        )
        .unwrap();
        assert!(!config.skill_enabled("len-zero"));
        assert!(config.skill_enabled("derive-debug"));
        assert_eq!(config.scan.exclude, ["gen/**"]);
        assert_eq!(config.scan.include, ["**/*.rs"]);
        assert_eq!(config.scan.max_file_bytes, 1000);
    }

    #[test]
    fn errors_name_file_line_column_and_key() {
        insta::assert_snapshot!(
            error("scan:\n  exclude: []\n  bogus: 1\n"),
            @".github/patchwright.yml:3:3: key `scan.bogus`: unknown field `bogus`, expected one of include, exclude, max_file_bytes, max_nesting"
        );
        insta::assert_snapshot!(
            error("skills:\n  len-zero:\n    enabled: yes\n"),
            @".github/patchwright.yml:3:14: key `skills.len-zero.enabled`: invalid boolean (strict mode expects true/false)"
        );
        insta::assert_snapshot!(
            error("scan:\n  max_file_bytes: lots\n"),
            @".github/patchwright.yml:2:19: key `scan.max_file_bytes`: invalid u64"
        );
        insta::assert_snapshot!(
            error("skills:\n  derive-debug: {}\n  len-zeroo:\n    enabled: true\n"),
            @".github/patchwright.yml:3:3: key `skills.len-zeroo`: unknown skill `len-zeroo`; known skills are: derive-debug, len-zero, and the lints of the clippy and rustc families (`clippy::needless_return`)"
        );
        insta::assert_snapshot!(
            error("scan:\n  include: [\"src/[\"]\n"),
            @r#".github/patchwright.yml:2:14: key `scan.include[0]`: `src/[` is not a valid glob: unclosed character class; missing ']'"#
        );
        insta::assert_snapshot!(error("scan: [\n"), @".github/patchwright.yml:1:7: key `scan`: expected mapping start");
    }

    #[test]
    fn proposal_settings_have_defaults_and_are_checked() {
        let config =
            parse("limits:\n  max_prs_per_run: 4\n  max_auto_risk: high\ngit:\n  remote: null\n")
                .unwrap();
        assert_eq!(config.limits.max_prs_per_run, 4);
        assert_eq!(config.limits.max_open_prs, OpenLimit::Fixed(5));
        assert_eq!(config.limits.max_auto_risk, Risk::High);
        let auto = parse("limits:\n  max_open_prs: auto\n  max_open_prs_ceiling: 4\n").unwrap();
        assert_eq!(auto.limits.max_open_prs, OpenLimit::Auto);
        assert_eq!(auto.limits.max_open_prs_ceiling, 4);
        assert_eq!(
            parse("limits:\n  max_open_prs: 3\n")
                .unwrap()
                .limits
                .max_open_prs,
            OpenLimit::Fixed(3)
        );
        insta::assert_snapshot!(
            error("limits:\n  max_open_prs: lots\n"),
            @r#".github/patchwright.yml:2:3: key `limits.max_open_prs`: invalid value: string "lots", expected a number or `auto`"#
        );
        insta::assert_snapshot!(
            error("limits:\n  max_open_prs: -1\n"),
            @".github/patchwright.yml:2:17: key `limits.max_open_prs`: a negative number is not a limit"
        );
        assert_eq!(config.git.remote, None);
        assert_eq!(Config::default().git.remote.as_deref(), Some("origin"));
        assert_eq!(
            Config::default().forge.local.check_command,
            "cargo test --offline"
        );
        insta::assert_snapshot!(
            error("git:\n  ledger_ref: state\n"),
            @".github/patchwright.yml:2:15: key `git.ledger_ref`: `state` is not a valid ref name under refs/"
        );
        insta::assert_snapshot!(
            error("limits:\n  max_auto_risk: extreme\n"),
            @".github/patchwright.yml:2:18: key `limits.max_auto_risk`: unknown variant `extreme`, expected one of low, medium, high"
        );
    }

    #[test]
    fn an_explicit_file_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let err = Config::load(dir.path(), Some(&dir.path().join("nope.yml")), KNOWN).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot read the configuration file"),
            "{err}"
        );
    }

    #[test]
    fn validation_is_on_by_default_and_turned_off_with_false() {
        let on = Config::parse("", Path::new("p.yml"), KNOWN).unwrap();
        assert!(on.validate.0.enabled);
        assert_eq!(on.validate.0.command, DEFAULT_VALIDATE_COMMAND);
        let off = Config::parse("validate: false\n", Path::new("p.yml"), KNOWN).unwrap();
        assert!(!off.validate.0.enabled);
        let tuned = Config::parse(
            "validate:\n  command: cargo check --lib --message-format=json\n  max_rounds: 2\n",
            Path::new("p.yml"),
            KNOWN,
        )
        .unwrap();
        assert!(tuned.validate.0.enabled);
        assert_eq!(tuned.validate.0.max_rounds, 2);
        let err = Config::parse("validate:\n  max_rounds: 0\n", Path::new("p.yml"), KNOWN)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "p.yml:2:3: key `validate.max_rounds`: at least one round is needed; say `validate: false` to turn validation off"
        );
        let err = Config::parse("validate:\n  rounds: 2\n", Path::new("p.yml"), KNOWN)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("p.yml:2:3: key `validate"), "{err}");
    }

    #[test]
    fn lint_families_choose_their_lints() {
        let config = Config::parse(
            "skills:\n  clippy:\n    allow: [needless_return]\n    deny: [manual_strip]\n  \"clippy::len_zero\":\n    enabled: false\n  rustc:\n    enabled: false\n",
            Path::new("p.yml"),
            KNOWN,
        )
        .unwrap();
        assert!(
            Config::default().lint_families().is_empty(),
            "families are asked for"
        );
        let families = config.lint_families();
        assert_eq!(families.len(), 1, "rustc is off");
        let clippy = &families[0];
        assert_eq!(
            clippy.command,
            "cargo clippy --workspace --all-targets --message-format=json"
        );
        assert!(clippy.lints.contains(&"manual_strip".to_owned()));
        assert!(clippy.lints.contains(&"redundant_field_names".to_owned()));
        assert!(!clippy.lints.contains(&"needless_return".to_owned()));
        assert!(
            !clippy.lints.contains(&"len_zero".to_owned()),
            "turned off by its own key"
        );
        let only = Config::parse(
            "skills:\n  clippy:\n    lints: [needless_return]\n  rustc: {}\n",
            Path::new("p.yml"),
            KNOWN,
        )
        .unwrap();
        assert_eq!(only.lint_families()[0].lints, ["needless_return"]);
        assert_eq!(only.lint_families()[1].name, "rustc");
        assert_eq!(
            only.lint_families()[1].command,
            "cargo check --workspace --all-targets --message-format=json"
        );

        let err = |text: &str| {
            Config::parse(text, Path::new("p.yml"), KNOWN)
                .unwrap_err()
                .to_string()
        };
        insta::assert_snapshot!(
            err("skills:\n  len-zero:\n    lints: [a]\n"),
            @"p.yml:3:5: key `skills.len-zero.lints`: only the lint families (clippy, rustc) take `lints`"
        );
        insta::assert_snapshot!(
            err("skills:\n  clippy:\n    deny: [Needless]\n"),
            @"p.yml:3:12: key `skills.clippy.deny`: `Needless` is not a lint name (lowercase, digits and `_`, as `needless_return`)"
        );
        insta::assert_snapshot!(
            err("skills:\n  \"clippy::Bad\": {}\n"),
            @"p.yml:2:4: key `skills.clippy::Bad`: unknown skill `clippy::Bad`; known skills are: derive-debug, len-zero, and the lints of the clippy and rustc families (`clippy::needless_return`)"
        );
    }
}
