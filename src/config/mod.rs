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
use std::path::{Path, PathBuf};

use serde::Deserialize;

mod lints;
mod sections;
mod validate;
pub mod yaml;

pub use yaml::Invalid;

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
    /// Which checks judge a proposal.
    pub checks: ChecksConfig,
    /// How long the network may take in one run.
    pub network: NetworkConfig,
    /// How much disk the kept build directories may take.
    pub cache: CacheConfig,
    /// Learning from outcomes.
    pub learning: LearningConfig,
    /// Project rules mined from history.
    pub rules: RulesConfig,
    /// Watching merged proposals and reverting regressions.
    pub revert: RevertConfig,
    /// Proving fixes with the compiler before they are proposed or written;
    /// `false` turns it off.
    pub validate: ValidateConfig,
    /// The file it was read from, for messages (none: the defaults).
    #[serde(skip)]
    pub file: Option<PathBuf>,
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
                .find(|p| p.exists()),
        };
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let shown = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
        if path.is_dir() {
            return Err(ConfigError::NotAFile { path: shown });
        }
        let bytes = std::fs::read(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|err| {
            let valid = &err.as_bytes()[..err.utf8_error().valid_up_to()];
            let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
            let start = valid.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            let column = String::from_utf8_lossy(&valid[start..]).chars().count() + 1;
            ConfigError::Invalid(Invalid {
                file: shown.clone(),
                line,
                column,
                key: String::new(),
                message: "this byte is not UTF-8; save the file as UTF-8".into(),
            })
        })?;
        let mut config = Self::parse(&text, &shown, known_skills)?;
        config.file = Some(shown);
        Ok(config)
    }

    /// Where a key is set, for messages: `key in FILE`, or `key in the
    /// configuration` when the defaults are used.
    pub fn key_in(&self, key: &str) -> String {
        match &self.file {
            Some(file) => format!("`{key}` in {}", file.display()),
            None => format!("`{key}` in .github/patchwright.yml"),
        }
    }

    /// Parses configuration text; `file` is only used in error messages.
    pub fn parse(text: &str, file: &Path, known_skills: &[&str]) -> Result<Self, ConfigError> {
        let config: Config = yaml::parse(text, file).map_err(ConfigError::Invalid)?;
        config.validate(text, file, known_skills)?;
        Ok(config)
    }
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
    #[error(
        "the configuration {} is a directory, not a file",
        path.display()
    )]
    NotAFile { path: PathBuf },
    #[error("{0}")]
    Invalid(Invalid),
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
            @".github/patchwright.yml:3:3: key `scan.bogus`: unknown field `bogus`, expected one of include, exclude, max_file_bytes, max_nesting, max_file_seconds, skip_generated, cache"
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
            @".github/patchwright.yml:3:3: key `skills.len-zeroo`: unknown skill `len-zeroo`; known skills are: derive-debug, len-zero, the lints of the clippy and rustc families (`clippy::needless_return`), and project rules (`rule::<id>`)"
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
    fn numbers_are_range_checked() {
        insta::assert_snapshot!(
            [
                "forge:\n  local:\n    check_timeout_minutes: 0\n",
                "validate:\n  timeout_minutes: 0\n",
                "learning:\n  min_acceptance: 5\n",
                "learning:\n  min_acceptance: .nan\n",
                "learning:\n  min_acceptance: -0.1\n",
                "limits:\n  max_changed_lines: 0\n",
                "revert:\n  window_hours: 0\n",
                "git:\n  ledger_ref: refs/heads/main\n",
                "git:\n  ledger_ref: refs/tags/state\n",
                "git:\n  identity:\n    name: \"\"\n    email: bot@example.com\n",
                "git:\n  identity:\n    name: bot\n    email: <bot@example.com>\n",
            ]
            .map(error)
            .join("\n"),
            @r#"
        .github/patchwright.yml:3:5: key `forge.local.check_timeout_minutes`: 0 is too small: a timeout of 0 minutes fails every check at once; give at least 1
        .github/patchwright.yml:2:3: key `validate.timeout_minutes`: 0 is too small: a timeout of 0 minutes stops every compile at once; give at least 1
        .github/patchwright.yml:2:3: key `learning.min_acceptance`: 5 is not a share between 0 and 1 (0.3 means 30 %)
        .github/patchwright.yml:2:3: key `learning.min_acceptance`: NaN is not a share between 0 and 1 (0.3 means 30 %)
        .github/patchwright.yml:2:3: key `learning.min_acceptance`: -0.1 is not a share between 0 and 1 (0.3 means 30 %)
        .github/patchwright.yml:2:3: key `limits.max_changed_lines`: 0 is too small: no fix changes fewer than 1 line; give at least 1
        .github/patchwright.yml:2:3: key `revert.window_hours`: 0 is too small: watch for at least 1 hour; say `mode: off` not to watch
        .github/patchwright.yml:2:15: key `git.ledger_ref`: `refs/heads/main` is under refs/heads/, where branches and tags live; the ledger needs a ref of its own, such as refs/patchwright/state
        .github/patchwright.yml:2:15: key `git.ledger_ref`: `refs/tags/state` is under refs/tags/, where branches and tags live; the ledger needs a ref of its own, such as refs/patchwright/state
        .github/patchwright.yml:3:5: key `git.identity.name`: "" cannot sign a commit: it must be non-empty, on one line, without `<` or `>`
        .github/patchwright.yml:4:5: key `git.identity.email`: "<bot@example.com>" cannot sign a commit: it must be non-empty, on one line, without `<` or `>`
        "#
        );
        // Edges that are fine.
        for fine in [
            "learning:\n  min_acceptance: 0\n",
            "learning:\n  min_acceptance: 1.0\n",
            "limits:\n  max_prs_per_run: 0\n",
            "git:\n  ledger_ref: refs/bot/ledger\n",
        ] {
            parse(fine).unwrap();
        }
    }

    #[test]
    fn yaml_errors_speak_to_the_maintainer_not_to_the_library_user() {
        let duplicate = error("limits:\n  max_prs_per_run: 1\n  max_prs_per_run: 2\n");
        insta::assert_snapshot!(duplicate, @".github/patchwright.yml:3:3: key `limits.max_prs_per_run`: `max_prs_per_run` is given twice in the same place; keep one");
        let deep = error(&format!(
            "scan:\n  include: {}{}\n",
            "[".repeat(3000),
            "]".repeat(3000)
        ));
        let wide = error(&format!(
            "scan:\n  include: [&a \"x\"]\n  exclude: [{}]\n",
            vec!["*a"; 200_000].join(",")
        ));
        for message in [&duplicate, &deep, &wide] {
            for library in ["Options", "DuplicateKeyPolicy", "budget breached", "{", "?"] {
                assert!(!message.contains(library), "{message}");
            }
        }
        assert!(wide.ends_with("the file expands aliases (`*name`) too much to be read safely; it needs only a few plain keys"), "{wide}");
        // An alias's own places stay in the message.
        insta::assert_snapshot!(
            error("scan:\n  include: &a [\"x\"]\n  exclude: [*a]\n"),
            @".github/patchwright.yml:3:13: key `scan.exclude[0]`: expected string scalar (defined at line 2, column 15) (used at line 3, column 13)"
        );
    }

    #[test]
    fn a_file_that_cannot_be_read_says_where() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join(".github/patchwright.yml");
        std::fs::create_dir_all(&config).unwrap();
        let err = Config::load(dir.path(), None, KNOWN).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the configuration .github/patchwright.yml is a directory, not a file"
        );
        std::fs::remove_dir(&config).unwrap();
        std::fs::write(&config, b"limits:\n  max_prs_per_run: 1 # caf\xe9\n").unwrap();
        let err = Config::load(dir.path(), None, KNOWN).unwrap_err();
        assert_eq!(
            err.to_string(),
            ".github/patchwright.yml:2:27: this byte is not UTF-8; save the file as UTF-8"
        );
        std::fs::write(&config, b"limits:\n  max_prs_per_run: 1\n").unwrap();
        let loaded = Config::load(dir.path(), None, KNOWN).unwrap();
        assert_eq!(
            loaded.key_in("git.default_branch"),
            "`git.default_branch` in .github/patchwright.yml"
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
            "p.yml:2:3: key `validate.max_rounds`: 0 is too small: at least one round is needed; say `validate: false` to turn validation off"
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
            @"p.yml:2:4: key `skills.clippy::Bad`: unknown skill `clippy::Bad`; known skills are: derive-debug, len-zero, the lints of the clippy and rustc families (`clippy::needless_return`), and project rules (`rule::<id>`)"
        );
    }
}
