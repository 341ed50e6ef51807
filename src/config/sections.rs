//! The sections of `.github/patchwright.yml`, each with its defaults (one
//! `///` per field says it).

use serde::Deserialize;

use crate::vocab::access::Permission;
use crate::vocab::git_names::BranchName;
use crate::vocab::risk::Risk;

/// What a command line in a comment starts with unless configured otherwise.
pub const DEFAULT_PREFIX: &str = "/patchwright";

/// Where the ledger lives unless configured otherwise.
pub const DEFAULT_LEDGER_REF: &str = "refs/patchwright/state";

/// How deep a file's syntax may nest before it is skipped, unless
/// configured otherwise (`scan.max_nesting`).
pub const DEFAULT_MAX_NESTING: usize = 1000;

/// The command validation runs unless configured otherwise.
pub const DEFAULT_VALIDATE_COMMAND: &str =
    "cargo check --workspace --all-targets --message-format=json";

/// Proving fixes with the compiler.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ValidateSettings {
    /// Whether fixes are compiled before anyone sees them. Default: `true`.
    pub enabled: bool,
    /// Run in a scratch copy with the fixes applied; it must print cargo's
    /// JSON messages. Default: `cargo check --workspace --all-targets
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

/// Project rules mined from history during `run`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RulesConfig {
    /// Whether each `run` also looks for hand fixes made again and again in
    /// the default branch's history and proposes them as rules (at most one
    /// pull request per run). Default: false (`patchwright rules mine` does
    /// it on demand).
    pub mine: bool,
    /// How far back in days. Default: 365.
    pub since_days: u64,
    /// How many times a change must have been made. Default: 3.
    pub min_count: usize,
}

impl Default for RulesConfig {
    fn default() -> Self {
        Self {
            mine: false,
            since_days: 365,
            min_count: 3,
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
    /// Commands one comment may hold; the rest are answered, not run.
    /// Default: 10.
    pub max_per_comment: usize,
}

impl Default for CommandsConfig {
    fn default() -> Self {
        Self {
            prefix: DEFAULT_PREFIX.into(),
            min_permission: Permission::Write,
            max_per_comment: 10,
        }
    }
}

/// Which checks judge a proposal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChecksConfig {
    /// Check names that decide whether a proposal passed. Default: the
    /// default branch's required checks where GitHub names any, else all.
    pub required: Vec<String>,
}

/// GitHub settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GitHubConfig {
    /// People asked to review each new pull request. Default: none.
    pub reviewers: Vec<String>,
}

/// How much disk the kept build directories may take.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheConfig {
    /// The build directories of compiles and checks together (`run`'s in
    /// `.git/patchwright/target`, `fix`'s per project under
    /// `~/.cache/patchwright/validate`): past this, the least recently used
    /// are removed after a run. `0` removes them after every run.
    /// Default: 4096 (4 GiB).
    pub max_megabytes: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            max_megabytes: 4096,
        }
    }
}

impl CacheConfig {
    pub fn max_bytes(&self) -> u64 {
        self.max_megabytes.saturating_mul(1024 * 1024)
    }
}

/// How long the network may take in one run.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkConfig {
    /// The longest a connection may take to open. Default: 10.
    pub connect_timeout_seconds: u64,
    /// The longest to wait for the next bytes of an answer. Default: 30.
    pub read_timeout_seconds: u64,
    /// All requests of a run together, waits for rate limits included.
    /// Default: 900 (15 minutes).
    pub total_seconds: u64,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        Self {
            connect_timeout_seconds: 10,
            read_timeout_seconds: 30,
            total_seconds: 900,
        }
    }
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

/// Settings of one skill, or of a family of lint skills (`clippy`, `rustc`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SkillConfig {
    /// Whether the skill (or the whole family) runs. Default: `true`.
    pub enabled: bool,
    /// A family's lints to run and propose, replacing its curated default.
    pub lints: Option<Vec<String>>,
    /// A family's lints never to run, taken from its set.
    pub allow: Vec<String>,
    /// More lints for a family to run and propose, beside its set.
    pub deny: Vec<String>,
    /// What a family runs; it must print cargo's JSON messages. Default:
    /// `cargo clippy --workspace --all-targets --message-format=json` for `clippy`,
    /// `cargo check --workspace --all-targets --message-format=json` for `rustc`.
    pub command: Option<String>,
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
    /// Files whose syntax nests deeper than this (brackets plus chained
    /// operators, as `a.b().c()` or `1 + 1 + …`) are skipped with a
    /// warning: real code stays under a few hundred. Default: 1000.
    pub max_nesting: usize,
    /// A file whose parse and skills have taken longer than this many
    /// seconds is dropped with a warning (checked after parsing and after
    /// each skill). Default: 10.
    pub max_file_seconds: u64,
    /// Report nothing in generated files (an `@generated` marker or a
    /// generator's header in the first lines, or a build script's output
    /// directory); what they say about their crate still counts.
    /// Default: true.
    pub skip_generated: bool,
    /// Keep each file's result between scans (keyed by its content), so an
    /// unchanged file is not parsed again: for `run`, on a ref beside the
    /// ledger's; for `scan` and `fix`, in the user's cache directory.
    /// Default: true.
    pub cache: bool,
}

impl Default for SkillConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            lints: None,
            allow: Vec::new(),
            deny: Vec::new(),
            command: None,
        }
    }
}

impl Default for ScanConfig {
    fn default() -> Self {
        Self {
            include: vec!["**/*.rs".into()],
            exclude: Vec::new(),
            max_file_bytes: 2 * 1024 * 1024,
            max_nesting: DEFAULT_MAX_NESTING,
            max_file_seconds: 10,
            skip_generated: true,
            cache: true,
        }
    }
}
