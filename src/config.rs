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

use crate::vocab::access::Permission;
use crate::vocab::git_names::{BranchName, is_valid_refname};
use crate::vocab::risk::Risk;

/// What a command line in a comment starts with unless configured otherwise.
pub const DEFAULT_PREFIX: &str = "/patchwright";
/// Where the ledger lives unless configured otherwise.
pub const DEFAULT_LEDGER_REF: &str = "refs/patchwright/state";

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

/// The command validation runs unless configured otherwise.
pub const DEFAULT_VALIDATE_COMMAND: &str = "cargo check --all-targets --message-format=json";

/// Proving fixes with the compiler.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ValidateSettings {
    /// Whether fixes are compiled before anyone sees them. Default: `true`.
    pub enabled: bool,
    /// Run in a scratch copy with the fixes applied; it must print cargo's
    /// JSON messages. Default: `cargo check --all-targets
    /// --message-format=json` (with `--offline` first when there is a
    /// `Cargo.lock`).
    pub command: String,
    /// Minutes before one compile is stopped. Default: 15.
    pub timeout_minutes: u64,
    /// Compiles at most, dropping the fixes that break the build each time;
    /// then the remaining fixes are dropped too. Default: 3.
    pub max_rounds: usize,
}

impl Default for ValidateSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            command: DEFAULT_VALIDATE_COMMAND.into(),
            timeout_minutes: 15,
            max_rounds: 3,
        }
    }
}

/// `validate:` — `false`, `true`, or the settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ValidateConfig(pub ValidateSettings);

impl<'de> Deserialize<'de> for ValidateConfig {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = ValidateConfig;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("`true`, `false`, or the validation settings")
            }
            fn visit_bool<E: serde::de::Error>(self, enabled: bool) -> Result<ValidateConfig, E> {
                Ok(ValidateConfig(ValidateSettings {
                    enabled,
                    ..ValidateSettings::default()
                }))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<ValidateConfig, A::Error> {
                ValidateSettings::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(ValidateConfig)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// Learning from outcomes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LearningConfig {
    /// Decided proposals (merged, closed, reverted) needed before a skill
    /// can be paused automatically. Default: 5.
    pub min_decided: usize,
    /// A skill is paused when even the upper end of its 95% acceptance
    /// interval is below this. Default: 0.3.
    pub min_acceptance: f64,
    /// Days before findings closed as "not now" may be proposed again.
    /// Default: 30.
    pub later_days: u64,
}

impl Default for LearningConfig {
    fn default() -> Self {
        Self {
            min_decided: 5,
            min_acceptance: 0.3,
            later_days: 30,
        }
    }
}

/// What happens when a merged proposal turns the default branch red.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RevertMode {
    /// Open a revert pull request.
    Pr,
    /// Push the revert to the default branch (fast-forward only).
    Push,
    /// Only report.
    Off,
}

/// Which merges `/patchwright revert` may revert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RevertScope {
    /// Only patchwright's own pull requests.
    Bot,
    /// Any merged pull request.
    Any,
}

/// Watching merged proposals and reverting regressions.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RevertConfig {
    /// `pr`, `push` or `off`. Default: `pr`.
    pub mode: RevertMode,
    /// How long after a merge it is watched. Default: 48.
    pub window_hours: u64,
    /// The checks (workflow or check names) that decide green and red.
    /// Default: all of them.
    pub checks: Vec<String>,
    /// How many times failed jobs are re-run before a red is believed.
    /// Default: 1.
    pub flaky_reruns: u32,
    /// What `/patchwright revert` may revert: `bot` or `any`. Default: `bot`.
    pub scope: RevertScope,
    /// Automatic reverts in any 24 hours at most; more regressions are
    /// reported. Default: 2.
    pub daily_limit: u32,
    /// Hours from a merge to its first red run beyond which a regression is
    /// reported, not reverted automatically. Default: 6.
    pub max_age_hours: u64,
}

impl Default for RevertConfig {
    fn default() -> Self {
        Self {
            mode: RevertMode::Pr,
            window_hours: 48,
            checks: Vec::new(),
            flaky_reruns: 1,
            scope: RevertScope::Bot,
            daily_limit: 2,
            max_age_hours: 6,
        }
    }
}

/// Slash commands in comments.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CommandsConfig {
    /// What a command line starts with. Default: `/patchwright`.
    pub prefix: String,
    /// The least access a commenter needs (asked of the API, never
    /// inferred): `read`, `triage`, `write`, `maintain` or `admin`.
    /// Default: `write`.
    pub min_permission: Permission,
}

impl Default for CommandsConfig {
    fn default() -> Self {
        Self {
            prefix: DEFAULT_PREFIX.into(),
            min_permission: Permission::Write,
        }
    }
}

/// GitHub settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GitHubConfig {
    /// People asked to review each new pull request. Default: none.
    pub reviewers: Vec<String>,
}

/// How many proposals, and how big.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Open proposals at most: a number, or `auto` to follow how fast
    /// proposals are decided). Default: 5.
    pub max_open_prs: OpenLimit,
    /// With `max_open_prs: auto`, the most it allows. Default: 10.
    pub max_open_prs_ceiling: usize,
    /// Proposals opened by one run at most. Default: 2.
    pub max_prs_per_run: usize,
    /// Added plus removed lines of one proposal at most. Default: 200.
    pub max_changed_lines: usize,
    /// Files one proposal touches at most. Default: 10.
    pub max_files_per_pr: usize,
    /// Skills riskier than this are proposed only on request. Default: `medium`.
    pub max_auto_risk: Risk,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_open_prs: OpenLimit::Fixed(5),
            max_open_prs_ceiling: 10,
            max_prs_per_run: 2,
            max_changed_lines: 200,
            max_files_per_pr: 10,
            max_auto_risk: Risk::Medium,
        }
    }
}

/// `limits.max_open_prs`: a number, or `auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenLimit {
    Fixed(usize),
    Auto,
}

impl<'de> Deserialize<'de> for OpenLimit {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = OpenLimit;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number or `auto`")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<OpenLimit, E> {
                usize::try_from(v)
                    .map(OpenLimit::Fixed)
                    .map_err(|_| E::custom("the number is too big"))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<OpenLimit, E> {
                u64::try_from(v)
                    .map_err(|_| E::custom("a negative number is not a limit"))
                    .and_then(|v| self.visit_u64(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<OpenLimit, E> {
                if v == "auto" {
                    Ok(OpenLimit::Auto)
                } else {
                    Err(E::invalid_value(serde::de::Unexpected::Str(v), &self))
                }
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// Where proposals and the ledger are published.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GitConfig {
    /// The remote to publish to; `null` keeps everything in this repository.
    /// Default: `origin` (a repository without it works on its own).
    pub remote: Option<String>,
    /// The branch proposals target. Default: the remote's HEAD, else `main`
    /// or `master`.
    pub default_branch: Option<BranchName>,
    /// Who the bot's commits are by. Default:
    /// `patchwright[bot] <patchwright[bot]@users.noreply.github.com>`.
    pub identity: Identity,
    /// The environment variable holding the token for HTTPS remotes.
    /// Default: `GITHUB_TOKEN`.
    pub token_env: String,
    /// The ref holding the ledger. Default: `refs/patchwright/state`; use
    /// `refs/heads/patchwright/state` where a forge refuses custom refs.
    pub ledger_ref: String,
}

impl Default for GitConfig {
    fn default() -> Self {
        Self {
            remote: Some("origin".into()),
            default_branch: None,
            identity: Identity::default(),
            token_env: "GITHUB_TOKEN".into(),
            ledger_ref: DEFAULT_LEDGER_REF.into(),
        }
    }
}

/// Who the bot's commits are by.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    pub name: String,
    pub email: String,
}

impl Default for Identity {
    fn default() -> Self {
        Self {
            name: "patchwright[bot]".into(),
            email: "patchwright[bot]@users.noreply.github.com".into(),
        }
    }
}

/// Forge settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ForgeConfig {
    /// The local forge: proposal branches checked by a local command.
    pub local: LocalForgeConfig,
}

/// The local forge's sandbox.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LocalForgeConfig {
    /// Run in a temporary copy of each proposal; it passes when it exits 0.
    /// Default: `cargo test --offline`.
    pub check_command: String,
    /// Minutes before the check is stopped and counted as failed. Default: 20.
    pub check_timeout_minutes: u64,
}

impl Default for LocalForgeConfig {
    fn default() -> Self {
        Self {
            check_command: "cargo test --offline".into(),
            check_timeout_minutes: 20,
        }
    }
}

/// Settings of one skill.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SkillConfig {
    /// Whether the skill runs. Default: `true`.
    pub enabled: bool,
}

/// What the scan reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScanConfig {
    /// Globs (relative to the root, `/`-separated) of files to scan.
    /// Default: `["**/*.rs"]`.
    pub include: Vec<String>,
    /// Globs of files to leave out, such as generated or vendored code.
    /// Default: none. Paths in `.gitignore` and Cargo's target directory are
    /// always left out.
    pub exclude: Vec<String>,
    /// Files larger than this many bytes are skipped with a warning.
    /// Default: 2097152 (2 MiB).
    pub max_file_bytes: u64,
}

impl Default for SkillConfig {
    fn default() -> Self {
        Self { enabled: true }
    }
}

impl Default for ScanConfig {
    fn default() -> Self {
        Self {
            include: vec!["**/*.rs".into()],
            exclude: Vec::new(),
            max_file_bytes: 2 * 1024 * 1024,
        }
    }
}

impl Config {
    /// Whether skill `id` runs (skills are on unless the config turns them off).
    pub fn skill_enabled(&self, id: &str) -> bool {
        self.skills.get(id).is_none_or(|s| s.enabled)
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
            .find(|id| !known_skills.contains(&id.as_str()))
        {
            return Err(invalid(
                format!("skills.{unknown}"),
                unknown,
                format!(
                    "unknown skill `{unknown}`; known skills are: {}",
                    known_skills.join(", ")
                ),
            ));
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
            @".github/patchwright.yml:3:3: key `scan.bogus`: unknown field `bogus`, expected one of include, exclude, max_file_bytes"
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
            @".github/patchwright.yml:3:3: key `skills.len-zeroo`: unknown skill `len-zeroo`; known skills are: derive-debug, len-zero"
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
}
