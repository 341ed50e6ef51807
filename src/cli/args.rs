//! The command line's arguments, as clap reads them: one struct per
//! command, so each command's handler takes its own.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// A git-native repair bot for Rust repositories.
#[derive(Parser)]
#[command(name = "patchwright", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub options: Options,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(clap::Args)]
pub struct Options {
    /// Configuration file (default: .github/patchwright.yml under PATH).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// More output (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// The remote to publish to, instead of `git.remote`; `none` keeps
    /// branches and the ledger in this repository.
    #[arg(long, global = true, value_name = "NAME")]
    pub remote: Option<String>,
}

/// What to do.
#[derive(Subcommand)]
pub enum Command {
    /// Find what the skills report, grouped by file.
    Scan(ScanArgs),
    /// Show the diff of every fix, or write the fixes with --apply.
    Fix(FixArgs),
    /// The project report: packages, sizes, items, longest and most complex functions, TODOs, findings.
    Report(ReportArgs),
    /// List every skill: id, whether it fixes, its risk, what it looks for.
    Skills(SkillsArgs),
    /// One pass of the bot: sync outcomes, scan the default branch, propose fixes as branches, check them.
    Run(RunArgs),
    /// Inside GitHub Actions: do what the event that started the workflow asks.
    Event(EventArgs),
    /// Stop proposing: runs only record outcomes until `resume`.
    Stop(StopArgs),
    /// Clear the stop flag, or with --skill lift a skill's pause.
    Resume(ResumeArgs),
    /// Pause one skill: nothing of it is proposed until `resume --skill`.
    Pause(PauseArgs),
    /// Propose again fixes held back because their checks failed (after
    /// fixing what made them fail), though their files have not changed.
    Retry(RetryArgs),
    /// What became of each skill's proposals: counts, scores and insights.
    Stats(StatsArgs),
    /// Never propose these findings again (or not now), or close a proposal
    /// and reject its findings, as `/patchwright ignore` does.
    Ignore(IgnoreArgs),
    /// Why a proposal was made: its skill, risk and score, its findings,
    /// the ledger commit that recorded it.
    Explain(ExplainArgs),
    /// Every rejected finding and paused skill: who or what decided, when, why.
    Ignored(IgnoredArgs),
    /// Lift a finding's rejection (a fingerprint) or a skill's pause.
    Unignore(UnignoreArgs),
    /// List the proposals and what became of them.
    Pulls(PullsArgs),
    /// Extend patchwright itself (on its own repository).
    Skill {
        #[command(subcommand)]
        command: SkillCommand,
    },
    /// Read the ledger on refs/patchwright/state.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// Measure scan throughput against bare parsing on a corpus (default: the cargo registry sources).
    Bench(BenchArgs),
}

#[derive(clap::Args)]
pub struct ScanArgs {
    /// The repository or crate to scan.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    #[arg(long, value_enum, default_value_t = ScanFormat::Text)]
    pub format: ScanFormat,
    /// Run only this skill (repeatable; runs it even if the config disables it).
    #[arg(long = "skill", value_name = "ID")]
    pub skills: Vec<String>,
    /// Exit with 1 when anything is found.
    #[arg(long)]
    pub fail_on_findings: bool,
}

#[derive(clap::Args)]
pub struct FixArgs {
    #[arg(default_value = ".")]
    pub path: PathBuf,
    #[arg(long = "skill", value_name = "ID")]
    pub skills: Vec<String>,
    /// Write the fixed files (atomically, keeping line endings).
    #[arg(long)]
    pub apply: bool,
    /// Do not compile the fixes first (as `validate: false` does).
    #[arg(long)]
    pub no_validate: bool,
    /// Exit with 1 when anything is found.
    #[arg(long)]
    pub fail_on_findings: bool,
}

#[derive(clap::Args)]
pub struct ReportArgs {
    #[arg(default_value = ".")]
    pub path: PathBuf,
    #[arg(long, value_enum, default_value_t = ReportFormat::Markdown)]
    pub format: ReportFormat,
}

#[derive(clap::Args)]
pub struct SkillsArgs {
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

#[derive(clap::Args)]
pub struct RunArgs {
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Where pull requests live.
    #[arg(long, value_enum, default_value_t = ForgeKind::Local)]
    pub forge: ForgeKind,
    #[command(flatten)]
    pub github: GitHubArgs,
    /// Print the proposals (titles, branches, diffs) and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not run the check command on new proposals.
    #[arg(long)]
    pub no_checks: bool,
    /// Propose this skill now, beyond the per-run limit and the risk ceiling (repeatable).
    #[arg(long = "skill", value_name = "ID")]
    pub skills: Vec<String>,
}

#[derive(clap::Args)]
pub struct EventArgs {
    #[arg(default_value = ".")]
    pub path: PathBuf,
    #[command(flatten)]
    pub github: GitHubArgs,
}

#[derive(clap::Args)]
pub struct StopArgs {
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Why, for the ledger and the people reading it.
    #[arg(long, default_value = "stopped from the command line")]
    pub reason: String,
    /// Who asks (default: GITHUB_ACTOR, git's user.name, or USER).
    #[arg(long)]
    pub by: Option<String>,
}

#[derive(clap::Args)]
pub struct ResumeArgs {
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Resume this skill instead of the bot.
    #[arg(long, value_name = "ID")]
    pub skill: Option<String>,
    #[arg(long)]
    pub by: Option<String>,
}

#[derive(clap::Args)]
pub struct StatsArgs {
    #[arg(default_value = ".")]
    pub path: PathBuf,
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

#[derive(clap::Args)]
pub struct IgnoreArgs {
    /// Fingerprints of the last scan or the ledger (as `scan --format json`
    /// and `explain` show them), or one proposal (its branch or id) to close.
    #[arg(required = true, value_name = "FINGERPRINT|PROPOSAL")]
    pub targets: Vec<String>,
    /// The repository.
    #[arg(long, default_value = ".")]
    pub path: PathBuf,
    /// `wrong`: a bad fix (a closed proposal counts twice against its
    /// skill); `unwanted`: never propose these; `later`: not now, again
    /// after `learning.later_days`.
    #[arg(long, value_enum, default_value_t = IgnoreReason::Unwanted)]
    pub reason: IgnoreReason,
    /// A note for the ledger, read by `ignored`.
    #[arg(long)]
    pub note: Option<String>,
    /// Who asks (default: GITHUB_ACTOR, git's user.name, or USER).
    #[arg(long)]
    pub by: Option<String>,
}

/// Why findings are ignored, as the slash command's words.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum IgnoreReason {
    Wrong,
    Unwanted,
    Later,
}

#[derive(clap::Args)]
pub struct RetryArgs {
    /// A proposal (branch or id) or a skill whose failed fixes to retry.
    #[arg(value_name = "PROPOSAL|SKILL", required_unless_present = "all_failed")]
    pub target: Option<String>,
    /// Every held fix: those whose checks failed and those that did not compile.
    #[arg(long, conflicts_with = "target")]
    pub all_failed: bool,
    /// The repository.
    #[arg(long, default_value = ".")]
    pub path: PathBuf,
    /// Who asks (default: GITHUB_ACTOR, git's user.name, or USER).
    #[arg(long)]
    pub by: Option<String>,
}

#[derive(clap::Args)]
pub struct PauseArgs {
    /// The skill to pause.
    #[arg(value_name = "SKILL")]
    pub skill: String,
    /// The repository.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Why, for the ledger and the people reading it.
    #[arg(long, default_value = "paused from the command line")]
    pub reason: String,
    /// Who asks (default: GITHUB_ACTOR, git's user.name, or USER).
    #[arg(long)]
    pub by: Option<String>,
}

#[derive(clap::Args)]
pub struct ExplainArgs {
    /// A fingerprint, a proposal branch (`patchwright/…`) or a proposal id.
    pub target: String,
    #[arg(long, default_value = ".")]
    pub path: PathBuf,
}

#[derive(clap::Args)]
pub struct IgnoredArgs {
    #[arg(default_value = ".")]
    pub path: PathBuf,
}

#[derive(clap::Args)]
pub struct UnignoreArgs {
    /// A fingerprint or a skill id.
    pub target: String,
    #[arg(long, default_value = ".")]
    pub path: PathBuf,
    #[arg(long)]
    pub by: Option<String>,
}

#[derive(clap::Args)]
pub struct PullsArgs {
    #[arg(default_value = ".")]
    pub path: PathBuf,
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

#[derive(clap::Args)]
pub struct BenchArgs {
    pub path: Option<PathBuf>,
    /// Measure compiling the fixes of the crate at PATH instead (cold, warm,
    /// and warm with only what compiles).
    #[arg(long)]
    pub validate: bool,
    /// Instead, scan one generated file of each size (in MB, comma-separated),
    /// full of findings, and report time and peak memory per file.
    #[arg(
        long,
        value_name = "MB,MB,…",
        value_delimiter = ',',
        conflicts_with = "validate"
    )]
    pub large: Vec<u32>,
    /// Instead, apply each skill's fixes to every crate under PATH (each
    /// directory with a Cargo.toml) and report per skill the fixes that
    /// break `cargo check`, leave a file not rustfmt-clean, or lose a comment.
    #[arg(long, conflicts_with_all = ["validate", "large"])]
    pub fixes: bool,
    /// The compile command for --fixes and --validate, as `validate.command`
    /// (for crates whose tests are not packaged, say
    /// `cargo check --lib --bins --message-format=json`).
    #[arg(long, value_name = "COMMAND")]
    pub check_command: Option<String>,
    /// Measure each phase this many times and keep the best.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

#[derive(Subcommand)]
pub enum SkillCommand {
    /// Scaffold a new skill from templates/ and propose it as a branch.
    New {
        /// The skill id: lowercase letters, digits and dashes (2 to 40 characters).
        name: String,
        /// One line saying what the skill finds.
        #[arg(long)]
        description: String,
        #[command(flatten)]
        propose: ProposeArgs,
    },
    /// Rewrite a skill's files made by `skill new` from the current
    /// templates, as a proposal; files edited since are left alone.
    Regenerate {
        /// The skill id.
        name: String,
        #[command(flatten)]
        propose: ProposeArgs,
    },
}

/// How a `skill` command proposes its files.
#[derive(clap::Args)]
pub struct ProposeArgs {
    /// patchwright's repository.
    #[arg(long, default_value = ".")]
    pub path: PathBuf,
    /// Print the changes and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not run the check command on the proposal.
    #[arg(long)]
    pub no_checks: bool,
}

#[derive(Subcommand)]
pub enum LedgerCommand {
    /// The current ledger: a summary, or the whole document with --json.
    Show {
        #[arg(default_value = ".")]
        path: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// The ledger's history: one commit per event.
    Log {
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Show at most this many entries.
        #[arg(short = 'n', long, default_value_t = 50)]
        max_count: usize,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ForgeKind {
    Local,
    Github,
}

/// Where GitHub is, for `--forge github` and `event`.
#[derive(clap::Args)]
pub struct GitHubArgs {
    /// The API root (default: GITHUB_API_URL, else https://api.github.com).
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    /// The repository as OWNER/NAME (default: GITHUB_REPOSITORY).
    #[arg(long = "repo", value_name = "OWNER/NAME")]
    pub repository: Option<String>,
    /// The environment variable holding the token (default: `git.token_env`, GITHUB_TOKEN).
    #[arg(long, value_name = "VAR")]
    pub token_env: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ScanFormat {
    Text,
    Json,
    Sarif,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    Markdown,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}
