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
    /// More output: -v the cycle's steps, -vv its decisions, -vvv what the
    /// libraries underneath say too.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors: no warnings, no progress lines.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Taken from the command's `--remote`, where it has one.
    #[arg(skip)]
    pub remote: Option<String>,
    /// At the end, print the process's peak memory to stderr (`bench`
    /// runs a scan this way to measure it in a process of its own).
    #[arg(long, global = true, hide = true)]
    pub report_peak_memory: bool,
}

/// `--remote`, for the commands that fetch or publish.
#[derive(clap::Args, Clone, Default)]
pub struct RemoteArg {
    /// The remote to fetch from and publish to, instead of `git.remote`;
    /// `none` keeps branches and the ledger in this repository.
    #[arg(long, value_name = "NAME")]
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
    /// The repository's own rules (.github/patchwright/rules/*.yml): test
    /// their examples, or start a new one.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Read the ledger on refs/patchwright/state.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// Measure scan throughput against bare parsing on a corpus (default: the cargo registry sources).
    Bench(BenchArgs),
    /// Remove the build directories compiles and checks keep between runs.
    Gc(GcArgs),
}

#[derive(clap::Args)]
pub struct GcArgs {
    /// The project whose build directories to remove.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Also every other project's `fix` build directory.
    #[arg(long)]
    pub all: bool,
}

#[derive(clap::Args)]
pub struct ScanArgs {
    /// The repository or crate to scan.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// The output format.
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
    /// The repository, crate or workspace to work on.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Only this skill's fixes (repeatable; runs it even if the configuration disables it).
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
    /// The repository, crate or workspace to work on.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// The output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Markdown)]
    pub format: ReportFormat,
}

#[derive(clap::Args)]
pub struct SkillsArgs {
    /// The repository whose configuration says which skills are enabled.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// The output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

#[derive(clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub remote: RemoteArg,
    /// The git repository.
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
    #[command(flatten)]
    pub remote: RemoteArg,
    /// The git repository.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    #[command(flatten)]
    pub github: GitHubArgs,
}

#[derive(clap::Args)]
pub struct StopArgs {
    #[command(flatten)]
    pub remote: RemoteArg,
    /// The git repository.
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
    #[command(flatten)]
    pub remote: RemoteArg,
    /// The git repository.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Resume this skill instead of the bot.
    #[arg(long, value_name = "ID")]
    pub skill: Option<String>,
    /// Who asks (default: GITHUB_ACTOR, git's user.name, or USER).
    #[arg(long)]
    pub by: Option<String>,
}

#[derive(clap::Args)]
pub struct StatsArgs {
    #[command(flatten)]
    pub remote: RemoteArg,
    /// The git repository.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// The output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

#[derive(clap::Args)]
pub struct IgnoreArgs {
    #[command(flatten)]
    pub remote: RemoteArg,
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
    #[command(flatten)]
    pub remote: RemoteArg,
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
    #[command(flatten)]
    pub remote: RemoteArg,
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
    #[command(flatten)]
    pub remote: RemoteArg,
    /// A fingerprint, a proposal branch (`patchwright/…`) or a proposal id.
    pub target: String,
    /// The git repository.
    #[arg(long, default_value = ".")]
    pub path: PathBuf,
}

#[derive(clap::Args)]
pub struct IgnoredArgs {
    #[command(flatten)]
    pub remote: RemoteArg,
    /// The git repository.
    #[arg(default_value = ".")]
    pub path: PathBuf,
}

#[derive(clap::Args)]
pub struct UnignoreArgs {
    #[command(flatten)]
    pub remote: RemoteArg,
    /// A fingerprint or a skill id.
    pub target: String,
    /// The git repository.
    #[arg(long, default_value = ".")]
    pub path: PathBuf,
    /// Who asks (default: GITHUB_ACTOR, git's user.name, or USER).
    #[arg(long)]
    pub by: Option<String>,
}

#[derive(clap::Args)]
pub struct PullsArgs {
    #[command(flatten)]
    pub remote: RemoteArg,
    /// The git repository.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// The output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

#[derive(clap::Args)]
pub struct BenchArgs {
    /// The corpus (default: the cargo registry's sources), or for
    /// --validate the crate, or for --fixes a directory of crates.
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
    /// Instead, measure the scan cache on the corpus: a full scan that
    /// fills it, then unchanged, one file changed, 1% of files changed.
    #[arg(long, conflicts_with_all = ["validate", "large", "fixes"])]
    pub incremental: bool,
    /// Instead, measure what N project rules add to a scan of the corpus
    /// (the built-in skills alone, then with the rules).
    #[arg(long, value_name = "N", conflicts_with_all = ["validate", "large", "fixes", "incremental"])]
    pub rules: Option<usize>,
    /// The compile command for --fixes and --validate, as `validate.command`
    /// (for crates whose tests are not packaged, say
    /// `cargo check --lib --bins --message-format=json`).
    #[arg(long, value_name = "COMMAND")]
    pub check_command: Option<String>,
    /// Measure each phase this many times and keep the best.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// The output format.
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
    #[command(flatten)]
    pub remote: RemoteArg,
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
pub enum RulesCommand {
    /// Find the fixes made by hand again and again in the default branch's
    /// history and propose each as a rule (one pull request per rule).
    Mine {
        /// The repository.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// How far back to read: days, or with a unit (`90d`, `8w`, `6m`,
        /// `1y`).
        #[arg(long, default_value = "1y", value_parser = parse_age)]
        since: u64,
        /// How many times a change must have been made.
        #[arg(long, default_value_t = 3)]
        min_count: usize,
        #[command(flatten)]
        remote: RemoteArg,
        /// Print the rules it would propose and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Do not run the check command on the proposals.
        #[arg(long)]
        no_checks: bool,
    },
    /// Run every rule's examples and print a table; fails when one fails
    /// or a rule file cannot be read.
    Test {
        /// The repository whose rules to test.
        #[arg(default_value = ".")]
        path: PathBuf,
    },
    /// Write a new rule file with an example made from its pattern; with
    /// --propose, propose it as a pull request instead.
    New {
        /// The rule id: lowercase letters, digits and single dashes.
        id: String,
        /// The pattern, Rust code with `$X` and `$$$ARGS` metavariables.
        #[arg(long = "match", value_name = "PATTERN")]
        pattern: String,
        /// What a match becomes (omit for a rule that only reports).
        #[arg(long)]
        fix: Option<String>,
        /// What a finding says.
        #[arg(long)]
        message: String,
        /// The repository.
        #[arg(long, default_value = ".")]
        path: PathBuf,
        /// Propose the rule as a pull request on the default branch rather
        /// than writing it into the work tree.
        #[arg(long)]
        propose: bool,
        #[command(flatten)]
        remote: RemoteArg,
        /// With --propose: print the change and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// With --propose: do not run the check command on the proposal.
        #[arg(long)]
        no_checks: bool,
    },
}

#[derive(Subcommand)]
pub enum LedgerCommand {
    /// The current ledger: a summary, or the whole document with --json.
    Show {
        /// The git repository.
        #[arg(default_value = ".")]
        path: PathBuf,
        #[command(flatten)]
        remote: RemoteArg,
        /// The whole document, as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The ledger's history: one commit per event.
    Log {
        /// The git repository.
        #[arg(default_value = ".")]
        path: PathBuf,
        #[command(flatten)]
        remote: RemoteArg,
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

impl Command {
    /// The command's `--remote`, for the commands that have one.
    pub fn remote(&self) -> Option<String> {
        let arg = match self {
            Command::Run(a) => &a.remote,
            Command::Event(a) => &a.remote,
            Command::Stop(a) => &a.remote,
            Command::Resume(a) => &a.remote,
            Command::Pause(a) => &a.remote,
            Command::Retry(a) => &a.remote,
            Command::Stats(a) => &a.remote,
            Command::Ignore(a) => &a.remote,
            Command::Explain(a) => &a.remote,
            Command::Ignored(a) => &a.remote,
            Command::Unignore(a) => &a.remote,
            Command::Pulls(a) => &a.remote,
            Command::Skill { command } => match command {
                SkillCommand::New { propose, .. } | SkillCommand::Regenerate { propose, .. } => {
                    &propose.remote
                }
            },
            Command::Ledger { command } => match command {
                LedgerCommand::Show { remote, .. } | LedgerCommand::Log { remote, .. } => remote,
            },
            Command::Rules { command } => match command {
                RulesCommand::New { remote, .. } | RulesCommand::Mine { remote, .. } => remote,
                RulesCommand::Test { .. } => return None,
            },
            Command::Scan(_)
            | Command::Fix(_)
            | Command::Report(_)
            | Command::Skills(_)
            | Command::Bench(_)
            | Command::Gc(_) => return None,
        };
        arg.remote.clone()
    }
}

/// `90`, `90d`, `8w`, `6m`, `1y` → days.
fn parse_age(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not an age: write days, or `90d`, `8w`, `6m`, `1y`"))?;
    let days = match unit {
        "" | "d" => 1,
        "w" => 7,
        "m" => 30,
        "y" => 365,
        _ => return Err(format!("`{unit}` is not a unit: use d, w, m or y")),
    };
    Ok(number.saturating_mul(days))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Every flag and argument of every command says what it is for.
    #[test]
    fn every_argument_has_help() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if matches!(id, "help" | "version") || arg.is_hide_set() {
                    continue;
                }
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                if sub.get_about().is_none() {
                    missing.push(format!("{path} {} (the command)", sub.get_name()));
                }
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "patchwright", &mut missing);
        assert!(missing.is_empty(), "no help for:\n{}", missing.join("\n"));
    }

    /// `--remote` only where a command fetches or publishes.
    #[test]
    fn remote_is_offered_only_where_it_means_something() {
        let cli = Cli::command();
        let has_remote = |name: &str| {
            cli.find_subcommand(name)
                .unwrap()
                .get_arguments()
                .any(|a| a.get_id() == "remote")
        };
        for name in ["scan", "fix", "report", "skills", "bench"] {
            assert!(!has_remote(name), "{name}");
        }
        for name in [
            "run", "ignore", "explain", "pulls", "stop", "pause", "retry",
        ] {
            assert!(has_remote(name), "{name}");
        }
    }
}
