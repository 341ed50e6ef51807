//! The `patchwright` command line: argument parsing, logging, exit codes.
//! Everything else is in the library.

use std::fmt;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use patchwright::config::Config;
use patchwright::control;
use patchwright::cycle::{self, Bot, RunOptions};
use patchwright::events::{self, Trigger};
use patchwright::finding::{Fingerprint, SkillId};
use patchwright::forge::Forge;
use patchwright::forge::github::{GitHubForge, GitHubOptions, RetryPolicy};
use patchwright::forge::local::{CheckCommand, LocalForge};
use patchwright::git::{BranchName, CommitSha, Repo, Secret};
use patchwright::ledger::{Ledger, LedgerStore, Proposal, State, Timestamp};
use patchwright::report::{self, ProjectReport};
use patchwright::scan::{self, ScanOptions, ScanReport};
use patchwright::skills::{Registry, Skill};
use patchwright::workspace::Workspace;
use patchwright::{bench, edit};

/// A git-native repair bot for Rust repositories.
#[derive(Parser)]
#[command(name = "patchwright", version, about, max_term_width = 100)]
struct Cli {
    #[command(flatten)]
    options: Options,
    #[command(subcommand)]
    command: Command,
}

/// Options every command takes.
#[derive(clap::Args)]
struct Options {
    /// Configuration file (default: .github/patchwright.yml under PATH).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// More output (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// The remote to publish to, instead of `git.remote`; `none` keeps
    /// branches and the ledger in this repository.
    #[arg(long, global = true, value_name = "NAME")]
    remote: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Find what the skills report, grouped by file.
    Scan {
        /// The repository or crate to scan.
        #[arg(default_value = ".")]
        path: PathBuf,
        #[arg(long, value_enum, default_value_t = ScanFormat::Text)]
        format: ScanFormat,
        /// Run only this skill (repeatable; runs it even if the config disables it).
        #[arg(long = "skill", value_name = "ID")]
        skills: Vec<String>,
        /// Exit with 1 when anything is found.
        #[arg(long)]
        fail_on_findings: bool,
    },
    /// Show the diff of every fix, or write the fixes with --apply.
    Fix {
        #[arg(default_value = ".")]
        path: PathBuf,
        #[arg(long = "skill", value_name = "ID")]
        skills: Vec<String>,
        /// Write the fixed files (atomically, keeping line endings).
        #[arg(long)]
        apply: bool,
        /// Exit with 1 when anything is found.
        #[arg(long)]
        fail_on_findings: bool,
    },
    /// The project report: packages, sizes, items, longest and most complex functions, TODOs, findings.
    Report {
        #[arg(default_value = ".")]
        path: PathBuf,
        #[arg(long, value_enum, default_value_t = ReportFormat::Markdown)]
        format: ReportFormat,
    },
    /// List every skill: id, whether it fixes, its risk, what it looks for.
    Skills {
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// One pass of the bot: sync outcomes, scan the default branch, propose fixes as branches, check them.
    Run {
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Where pull requests live.
        #[arg(long, value_enum, default_value_t = ForgeKind::Local)]
        forge: ForgeKind,
        #[command(flatten)]
        github: GitHubArgs,
        /// Print the proposals (titles, branches, diffs) and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Do not run the check command on new proposals.
        #[arg(long)]
        no_checks: bool,
        /// Propose this skill now, beyond the per-run limit and the risk ceiling (repeatable).
        #[arg(long = "skill", value_name = "ID")]
        skills: Vec<String>,
    },
    /// Inside GitHub Actions: do what the event that started the workflow asks.
    Event {
        #[arg(default_value = ".")]
        path: PathBuf,
        #[command(flatten)]
        github: GitHubArgs,
    },
    /// Stop proposing: runs only record outcomes until `resume`.
    Stop {
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Why, for the ledger and the people reading it.
        #[arg(long, default_value = "stopped from the command line")]
        reason: String,
        /// Who asks (default: GITHUB_ACTOR, git's user.name, or USER).
        #[arg(long)]
        by: Option<String>,
    },
    /// Clear the stop flag, or with --skill lift a skill's pause.
    Resume {
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Resume this skill instead of the bot.
        #[arg(long, value_name = "ID")]
        skill: Option<String>,
        #[arg(long)]
        by: Option<String>,
    },
    /// What became of each skill's proposals: counts, scores and insights.
    Stats {
        #[arg(default_value = ".")]
        path: PathBuf,
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Never propose these findings again.
    Ignore {
        /// Fingerprints, as `scan --format json` shows them.
        #[arg(required = true, value_name = "FINGERPRINT")]
        fingerprints: Vec<String>,
        #[arg(long, default_value = ".")]
        path: PathBuf,
        #[arg(long, default_value = "ignored from the command line")]
        reason: String,
        #[arg(long)]
        by: Option<String>,
    },
    /// Why a proposal was made: its skill, risk and score, its findings,
    /// the ledger commit that recorded it.
    Explain {
        /// A fingerprint, a proposal branch (`patchwright/…`) or a proposal id.
        target: String,
        #[arg(long, default_value = ".")]
        path: PathBuf,
    },
    /// Every rejected finding and paused skill: who or what decided, when, why.
    Ignored {
        #[arg(default_value = ".")]
        path: PathBuf,
    },
    /// Lift a finding's rejection (a fingerprint) or a skill's pause.
    Unignore {
        /// A fingerprint or a skill id.
        target: String,
        #[arg(long, default_value = ".")]
        path: PathBuf,
        #[arg(long)]
        by: Option<String>,
    },
    /// List the proposals and what became of them.
    Pulls {
        #[arg(default_value = ".")]
        path: PathBuf,
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
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
    Bench {
        path: Option<PathBuf>,
        /// Measure each phase this many times and keep the best.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
}

#[derive(Subcommand)]
enum SkillCommand {
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
struct ProposeArgs {
    /// patchwright's repository.
    #[arg(long, default_value = ".")]
    path: PathBuf,
    /// Print the changes and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Do not run the check command on the proposal.
    #[arg(long)]
    no_checks: bool,
}

#[derive(Subcommand)]
enum LedgerCommand {
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
enum ForgeKind {
    Local,
    Github,
}

/// Where GitHub is, for `--forge github` and `event`.
#[derive(clap::Args)]
struct GitHubArgs {
    /// The API root (default: GITHUB_API_URL, else https://api.github.com).
    #[arg(long, value_name = "URL")]
    api_url: Option<String>,
    /// The repository as OWNER/NAME (default: GITHUB_REPOSITORY).
    #[arg(long = "repo", value_name = "OWNER/NAME")]
    repository: Option<String>,
    /// The environment variable holding the token (default: `git.token_env`, GITHUB_TOKEN).
    #[arg(long, value_name = "VAR")]
    token_env: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum ScanFormat {
    Text,
    Json,
    Sarif,
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    Markdown,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ListFormat {
    Text,
    Json,
}

/// 1: findings present with `--fail-on-findings`; 2: usage, configuration or other errors.
const EXIT_FINDINGS: u8 = 1;
const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.options.verbose, cli.options.quiet);
    match run(cli.options, cli.command) {
        Ok(code) => code,
        Err(err) => {
            let mut message = err.to_string();
            for cause in err.chain().skip(1) {
                message.push_str(&format!(": {cause}"));
            }
            eprintln!("error: {message}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn run(cli: Options, command: Command) -> Result<ExitCode> {
    let registry = Registry::builtin();
    match command {
        Command::Scan {
            path,
            format,
            skills,
            fail_on_findings,
        } => {
            let setup = Setup::load(&path, cli.config.as_deref(), &registry, &skills)?;
            let report = setup.scan(ScanOptions::default(), cli.quiet);
            let out = match format {
                ScanFormat::Text => report::findings_text(&report),
                ScanFormat::Json => pretty(&report::findings_json(&report))?,
                ScanFormat::Sarif => pretty(&report::findings_sarif(&report, &setup.skills))?,
            };
            print(&out)?;
            Ok(findings_exit(fail_on_findings, &report))
        }
        Command::Fix {
            path,
            skills,
            apply,
            fail_on_findings,
        } => {
            let setup = Setup::load(&path, cli.config.as_deref(), &registry, &skills)?;
            let options = ScanOptions {
                keep_fixable_sources: true,
                ..ScanOptions::default()
            };
            let report = setup.scan(options, cli.quiet);
            let applied = scan::apply_until_stable(&setup.workspace, &setup.skills, &report, 4);
            if apply {
                write_fixes(&setup.workspace.root, &applied)?;
            } else {
                print(&applied.diff())?;
            }
            eprintln!("{}", fix_summary(&applied, apply));
            Ok(findings_exit(fail_on_findings, &report))
        }
        Command::Report { path, format } => {
            let setup = Setup::load(&path, cli.config.as_deref(), &registry, &[])?;
            let options = ScanOptions {
                metrics: true,
                ..ScanOptions::default()
            };
            let scan = setup.scan(options, cli.quiet);
            let project = ProjectReport::build(&setup.workspace, &scan, &setup.skills);
            let out = match format {
                ReportFormat::Markdown => report::project_markdown(&project),
                ReportFormat::Json => pretty(&project)?,
            };
            print(&out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Skills { format } => {
            let config = Config::load(Path::new("."), cli.config.as_deref(), &registry.ids())
                .map_err(|e| {
                    anyhow::anyhow!(
                        "{e} (fix the configuration file, or pass --config to use another)"
                    )
                })?;
            print(&skills_list(&registry, &config, format)?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Run {
            path,
            forge,
            github,
            dry_run,
            no_checks,
            skills,
        } => {
            let git = GitSetup::open(&path, &cli, &registry)?;
            let requested = skills
                .iter()
                .map(|id| {
                    registry.get(id).ok_or_else(|| {
                        anyhow::anyhow!(
                            "unknown skill `{id}`; known skills are: {} (see `patchwright skills`)",
                            registry.ids().join(", ")
                        )
                    })?;
                    SkillId::new(id).map_err(anyhow::Error::from)
                })
                .collect::<Result<Vec<_>>>()?;
            let options = RunOptions {
                dry_run,
                checks: !no_checks,
                requested,
                ..RunOptions::default()
            };
            let default_branch = git
                .repo
                .default_branch(git.config.git.default_branch.as_ref())?;
            let report = match forge {
                ForgeKind::Local => {
                    let forge = local_forge(&git, &default_branch)?;
                    let bot = git.bot(&registry, &forge, default_branch);
                    let report = cycle::run(&bot, &options)?;
                    if !dry_run {
                        cycle::update_dashboard(&bot, &report)?;
                    }
                    report
                }
                ForgeKind::Github => {
                    let forge = github_forge(&git, &github)?;
                    let bot = git.bot(&registry, &forge, default_branch);
                    let report = cycle::run(&bot, &options)?;
                    if !dry_run {
                        cycle::update_dashboard(&bot, &report)?;
                    }
                    log_quota(&forge);
                    report
                }
            };
            print(&report.to_text())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Event { path, github } => {
            let name = std::env::var("GITHUB_EVENT_NAME").map_err(|_| {
                anyhow::anyhow!(
                    "GITHUB_EVENT_NAME is not set: `patchwright event` runs inside GitHub Actions"
                )
            })?;
            let payload_path = std::env::var("GITHUB_EVENT_PATH").map_err(|_| {
                anyhow::anyhow!(
                    "GITHUB_EVENT_PATH is not set: `patchwright event` runs inside GitHub Actions"
                )
            })?;
            let payload = std::fs::read_to_string(&payload_path)
                .with_context(|| format!("cannot read the event payload {payload_path}"))?;
            let trigger = events::trigger(&name, &payload)?;
            if let Trigger::Ignore(why) = &trigger {
                eprintln!("patchwright: {why}; nothing to do");
                return Ok(ExitCode::SUCCESS);
            }
            let git = GitSetup::open(&path, &cli, &registry)?;
            let forge = github_forge(&git, &github)?;
            let default_branch = git
                .repo
                .default_branch(git.config.git.default_branch.as_ref())?;
            let bot = git.bot(&registry, &forge, default_branch);
            let summary = cycle::on_trigger(&bot, &trigger);
            log_quota(&forge);
            let summary = summary?;
            print(&summary)?;
            write_step_summary(&summary)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Skill { command } => {
            let (SkillCommand::New { propose, .. } | SkillCommand::Regenerate { propose, .. }) =
                &command;
            let git = GitSetup::open(&propose.path, &cli, &registry)?;
            let default_branch = git
                .repo
                .default_branch(git.config.git.default_branch.as_ref())?;
            let forge = local_forge(&git, &default_branch)?;
            let bot = git.bot(&registry, &forge, default_branch);
            let options = RunOptions {
                dry_run: propose.dry_run,
                checks: !propose.no_checks,
                ..RunOptions::default()
            };
            let report = match &command {
                SkillCommand::New {
                    name, description, ..
                } => cycle::skill_new(&bot, name, description, &options)?,
                SkillCommand::Regenerate { name, .. } => {
                    cycle::skill_regenerate(&bot, name, &options)?
                }
            };
            print(&report.to_text())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Stop { path, reason, by } => {
            let git = GitSetup::open(&path, &cli, &registry)?;
            git.repo.fetch()?;
            let by = by.unwrap_or_else(|| actor(&git.repo));
            if control::stop(&git.store(), &by, &reason)? {
                eprintln!(
                    "stopped: runs now only record outcomes (`patchwright resume` to start again)"
                );
            } else {
                eprintln!("already stopped");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Resume { path, skill, by } => {
            let git = GitSetup::open(&path, &cli, &registry)?;
            git.repo.fetch()?;
            let by = by.unwrap_or_else(|| actor(&git.repo));
            match skill {
                Some(id) => {
                    if registry.get(&id).is_none() {
                        bail!(
                            "unknown skill `{id}`; known skills are: {} (see `patchwright skills`)",
                            registry.ids().join(", ")
                        );
                    }
                    let skill = SkillId::new(&id)?;
                    if control::unpause(&git.store(), &skill, &by)? {
                        eprintln!("resumed {skill}");
                    } else {
                        eprintln!("{skill} was not paused");
                    }
                }
                None => {
                    if control::resume(&git.store(), &by)? {
                        eprintln!("resumed");
                    } else {
                        eprintln!("not stopped");
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Stats { path, format } => {
            let git = GitSetup::open(&path, &cli, &registry)?;
            git.repo.fetch()?;
            let (ledger, _) = git.store().read()?;
            let out = match format {
                ListFormat::Text => patchwright::learn::stats_markdown(&ledger),
                ListFormat::Json => pretty(&patchwright::learn::stats(&ledger))?,
            };
            print(&out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Ignore {
            fingerprints,
            path,
            reason,
            by,
        } => {
            let fingerprints = fingerprints
                .iter()
                .map(|f| f.parse::<Fingerprint>())
                .collect::<Result<Vec<_>, _>>()?;
            let git = GitSetup::open(&path, &cli, &registry)?;
            git.repo.fetch()?;
            let by = by.unwrap_or_else(|| actor(&git.repo));
            let new = control::ignore(&git.store(), &fingerprints, &by, &reason)?;
            eprintln!("{new} of {} fingerprints newly ignored", fingerprints.len());
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { target, path } => {
            let git = GitSetup::open(&path, &cli, &registry)?;
            git.repo.fetch()?;
            let store = git.store();
            let (ledger, _) = store.read()?;
            let Some(proposal) = patchwright::memory::find_proposal(&ledger, &target) else {
                bail!(
                    "no proposal is `{target}`: give a fingerprint, a proposal branch or an id (see `patchwright pulls`)"
                );
            };
            let text =
                patchwright::memory::explain(&git.repo, &git.config, &registry, &store, proposal)?;
            print(&text)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Ignored { path } => {
            let git = GitSetup::open(&path, &cli, &registry)?;
            git.repo.fetch()?;
            let (ledger, _) = git.store().read()?;
            print(&patchwright::memory::ignored(&ledger, Timestamp::now()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Unignore { target, path, by } => {
            let git = GitSetup::open(&path, &cli, &registry)?;
            git.repo.fetch()?;
            let by = by.unwrap_or_else(|| actor(&git.repo));
            let done = patchwright::memory::unignore(&git.store(), &registry, &target, &by)?;
            if done.is_error() {
                bail!("{}", done.text(&registry));
            }
            eprintln!("{}", done.text(&registry));
            Ok(ExitCode::SUCCESS)
        }
        Command::Pulls { path, format } => {
            let git = GitSetup::open(&path, &cli, &registry)?;
            git.repo.fetch()?;
            let (ledger, _) = git.store().read()?;
            let out = match format {
                ListFormat::Json => pretty(&ledger.proposals.values().collect::<Vec<_>>())?,
                ListFormat::Text => pulls_text(&ledger),
            };
            print(&out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Ledger { command } => match command {
            LedgerCommand::Show { path, json } => {
                let git = GitSetup::open(&path, &cli, &registry)?;
                git.repo.fetch()?;
                let store = git.store();
                let (ledger, commit) = store.read()?;
                let out = if json {
                    ledger.to_json()
                } else {
                    ledger_summary(&ledger, commit.as_ref(), store.refname())
                };
                print(&out)?;
                Ok(ExitCode::SUCCESS)
            }
            LedgerCommand::Log { path, max_count } => {
                let git = GitSetup::open(&path, &cli, &registry)?;
                git.repo.fetch()?;
                let mut out = String::new();
                for entry in git.store().log(max_count)? {
                    let first = entry.message.lines().next().unwrap_or("");
                    out.push_str(&format!(
                        "{}  {}  {first}\n",
                        entry.commit.short(),
                        entry.at
                    ));
                }
                print(&out)?;
                Ok(ExitCode::SUCCESS)
            }
        },
        Command::Bench {
            path,
            rounds,
            format,
        } => {
            let report = bench::run(path.as_deref(), rounds)?;
            let out = match format {
                ListFormat::Text => report.to_text(),
                ListFormat::Json => pretty(&report)?,
            };
            print(&out)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A discovered workspace with its configuration and chosen skills.
struct Setup<'r> {
    workspace: Workspace,
    config: Config,
    skills: Vec<&'r dyn Skill>,
}

impl<'r> Setup<'r> {
    fn load(
        path: &Path,
        config: Option<&Path>,
        registry: &'r Registry,
        only: &[String],
    ) -> Result<Self> {
        if !path.exists() {
            bail!(
                "{} does not exist: give the path of a repository or crate",
                path.display()
            );
        }
        let config = Config::load(path, config, &registry.ids()).map_err(|e| {
            anyhow::anyhow!("{e} (fix the configuration file, or pass --config to use another)")
        })?;
        let skills = registry.select(&config, only)?;
        let workspace = Workspace::discover(path, &config.scan)?;
        for warning in &workspace.warnings {
            tracing::warn!("{warning}");
        }
        Ok(Self {
            workspace,
            config,
            skills,
        })
    }

    fn scan(&self, options: ScanOptions, quiet: bool) -> ScanReport {
        let options = ScanOptions {
            max_file_bytes: self.config.scan.max_file_bytes,
            ..options
        };
        let bar = progress_bar(self.workspace.files.len() as u64, quiet);
        let report = scan::scan(&self.workspace, &self.skills, &options, &|_| bar.inc(1));
        bar.finish_and_clear();
        for warning in &report.warnings {
            tracing::warn!("{}", warning.message);
        }
        report
    }
}

/// A repository with its configuration, for the commands that use git.
struct GitSetup {
    repo: Repo,
    config: Config,
}

impl GitSetup {
    fn open(path: &Path, cli: &Options, registry: &Registry) -> Result<Self> {
        if !path.exists() {
            bail!(
                "{} does not exist: give the path of a git repository",
                path.display()
            );
        }
        let probe = Repo::open(path, None, None)?;
        let root = probe.root().to_path_buf();
        let mut config =
            Config::load(&root, cli.config.as_deref(), &registry.ids()).map_err(|e| {
                anyhow::anyhow!("{e} (fix the configuration file, or pass --config to use another)")
            })?;
        if let Some(remote) = &cli.remote {
            config.git.remote = (remote != "none").then(|| remote.clone());
        }
        let token = std::env::var(&config.git.token_env)
            .ok()
            .filter(|t| !t.is_empty())
            .map(Secret::new);
        let repo = Repo::open(&root, config.git.remote.as_deref(), token)?;
        Ok(Self { repo, config })
    }

    fn bot<'a>(
        &'a self,
        registry: &'a Registry,
        forge: &'a dyn Forge,
        default_branch: BranchName,
    ) -> Bot<'a> {
        Bot {
            repo: &self.repo,
            config: &self.config,
            registry,
            forge,
            default_branch,
        }
    }

    fn store(&self) -> LedgerStore<'_> {
        LedgerStore::new(
            &self.repo,
            &self.config.git.ledger_ref,
            self.config.git.identity.clone(),
        )
    }
}

/// The local forge with the configured check command.
fn local_forge<'g>(git: &'g GitSetup, default_branch: &BranchName) -> Result<LocalForge<'g>> {
    let local = &git.config.forge.local;
    let timeout = Duration::from_secs(local.check_timeout_minutes.saturating_mul(60));
    // Kept between runs so each check builds only what changed.
    let target_dir = git.repo.git_dir().join("patchwright").join("target");
    let check = CheckCommand::parse(&local.check_command, timeout, Some(target_dir))
        .map_err(anyhow::Error::msg)?;
    Ok(LocalForge::new(&git.repo, default_branch.clone(), check))
}

/// The GitHub forge for this repository, from the flags and the Actions
/// environment.
fn github_forge(git: &GitSetup, args: &GitHubArgs) -> Result<GitHubForge> {
    let api_url = args
        .api_url
        .clone()
        .or_else(|| {
            std::env::var("GITHUB_API_URL")
                .ok()
                .filter(|u| !u.is_empty())
        })
        .unwrap_or_else(|| "https://api.github.com".into());
    let repository = args
        .repository
        .clone()
        .or_else(|| {
            std::env::var("GITHUB_REPOSITORY")
                .ok()
                .filter(|r| !r.is_empty())
        })
        .ok_or_else(|| {
            anyhow::anyhow!("say which repository: set GITHUB_REPOSITORY or pass --repo OWNER/NAME")
        })?;
    let Some((owner, repo)) = repository
        .split_once('/')
        .filter(|(o, r)| !o.is_empty() && !r.is_empty() && !r.contains('/'))
    else {
        bail!("`{repository}` is not a repository: write it as OWNER/NAME");
    };
    let token_env = args
        .token_env
        .as_deref()
        .unwrap_or(&git.config.git.token_env);
    let token = std::env::var(token_env).ok().filter(|t| !t.is_empty()).ok_or_else(|| {
        anyhow::anyhow!(
            "the variable {token_env} holds no token: pass one to the step (env: {token_env}: ${{{{ secrets.{token_env} }}}})"
        )
    })?;
    let forge = GitHubForge::new(GitHubOptions {
        api_url,
        owner: owner.to_owned(),
        repo: repo.to_owned(),
        token: Secret::new(token),
        reviewers: git.config.github.reviewers.clone(),
        retry: RetryPolicy::default(),
    })?;
    Ok(forge)
}

fn log_quota(forge: &GitHubForge) {
    if let Some(quota) = forge.quota() {
        eprintln!("patchwright: {quota}");
    }
}

/// Appends to the job summary when Actions provides one.
fn write_step_summary(markdown: &str) -> Result<()> {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return Ok(());
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| {
            format!(
                "cannot open the job summary {}",
                PathBuf::from(&path).display()
            )
        })?;
    writeln!(file, "## patchwright\n\n{markdown}").context("cannot write the job summary")?;
    Ok(())
}

/// Who is asking, for the ledger: the Actions actor, git's user, or the login.
fn actor(repo: &Repo) -> String {
    std::env::var("GITHUB_ACTOR")
        .ok()
        .filter(|a| !a.is_empty())
        .or_else(|| repo.user_name())
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

fn pulls_text(ledger: &Ledger) -> String {
    if ledger.proposals.is_empty() {
        return "no proposals yet\n".into();
    }
    let mut rows: Vec<&Proposal> = ledger.proposals.values().collect();
    rows.sort_by_key(|p| (p.state(), std::cmp::Reverse(p.last_update())));
    let mut out = String::new();
    for p in rows {
        let last = p
            .outcomes
            .last()
            .map(|e| format!("{} {}", e.outcome.label(), e.at))
            .unwrap_or_default();
        let pull = p
            .pull
            .as_ref()
            .map(|r| format!("  {r}"))
            .unwrap_or_default();
        out.push_str(&format!(
            "{:<8} {}  {}{pull}\n         {}  (last: {last})\n",
            p.state().to_string(),
            p.branch,
            p.title,
            p.id
        ));
    }
    out
}

fn ledger_summary(ledger: &Ledger, commit: Option<&CommitSha>, refname: &str) -> String {
    let Some(commit) = commit else {
        return format!("no ledger yet at {refname}: `patchwright run` writes the first one\n");
    };
    let count = |state: State| {
        ledger
            .proposals
            .values()
            .filter(|p| p.state() == state)
            .count()
    };
    let mut out = format!(
        "ledger at {refname} ({}), format {}\n",
        commit.short(),
        ledger.version
    );
    out.push_str(&format!(
        "proposals: {} open, {} merged, {} closed, {} reverted\n",
        count(State::Open),
        count(State::Merged),
        count(State::Closed),
        count(State::Reverted)
    ));
    out.push_str(&format!(
        "rejected fingerprints: {}\n",
        ledger.rejected.len()
    ));
    for (skill, hold) in &ledger.paused {
        out.push_str(&format!(
            "paused: {skill} by {} at {} ({})\n",
            hold.by, hold.at, hold.reason
        ));
    }
    match &ledger.stopped {
        Some(hold) => out.push_str(&format!(
            "stopped by {} at {} ({})\n",
            hold.by, hold.at, hold.reason
        )),
        None => out.push_str("running\n"),
    }
    if let Some(scan) = &ledger.last_scan {
        out.push_str(&format!("last scan: {scan}\n"));
    }
    out
}

/// A bar on a terminal, nothing when stderr is piped.
fn progress_bar(len: u64, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} files {elapsed}") {
        bar.set_style(style);
    }
    bar
}

fn findings_exit(fail_on_findings: bool, report: &ScanReport) -> ExitCode {
    if fail_on_findings && report.findings().next().is_some() {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    }
}

/// Writes each patched file unless it changed on disk since the scan read it.
fn write_fixes(root: &Path, applied: &edit::Applied) -> Result<()> {
    for (path, patched) in &applied.files {
        let abs = path.to_path(root);
        let current =
            std::fs::read_to_string(&abs).with_context(|| format!("cannot read {path} again"))?;
        if current != patched.original {
            tracing::warn!("{path} changed while patchwright was working; left as it is");
            continue;
        }
        edit::write_atomically(&abs, &patched.new)
            .with_context(|| format!("cannot write {path}"))?;
    }
    Ok(())
}

fn fix_summary(applied: &edit::Applied, written: bool) -> String {
    let fixes = applied.applied.len();
    let files = applied.files.len();
    let deferred = applied.deferred().count();
    let dropped = applied.not_applied.len() - deferred;
    if fixes == 0 && applied.not_applied.is_empty() {
        return "nothing to fix".into();
    }
    let mut out = format!(
        "{fixes} {} in {files} {}",
        if fixes == 1 { "fix" } else { "fixes" },
        if files == 1 { "file" } else { "files" }
    );
    if deferred > 0 {
        out.push_str(&format!("; {deferred} overlapping, left for the next run"));
    }
    if dropped > 0 {
        out.push_str(&format!(
            "; {dropped} dropped because the result would not parse"
        ));
    }
    if !written {
        out.push_str(" (nothing written; pass --apply to write them)");
    }
    out
}

fn skills_list(registry: &Registry, config: &Config, format: ListFormat) -> Result<String> {
    Ok(match format {
        ListFormat::Json => {
            let list: Vec<serde_json::Value> = registry
                .all()
                .map(|s| {
                    serde_json::json!({
                        "id": s.id(),
                        "description": s.description(),
                        "fixes": s.can_fix(),
                        "risk": s.risk(),
                        "enabled": config.skill_enabled(s.id()),
                    })
                })
                .collect();
            pretty(&list)?
        }
        ListFormat::Text => {
            let width = registry.all().map(|s| s.id().len()).max().unwrap_or(2);
            let mut out = format!("{:width$}  FIX  RISK    ENABLED  DESCRIPTION\n", "ID");
            for s in registry.all() {
                out.push_str(&format!(
                    "{:width$}  {:3}  {:6}  {:7}  {}\n",
                    s.id(),
                    if s.can_fix() { "yes" } else { "no" },
                    s.risk().to_string(),
                    if config.skill_enabled(s.id()) {
                        "yes"
                    } else {
                        "no"
                    },
                    s.description()
                ));
            }
            out
        }
    })
}

fn pretty<T: serde::Serialize>(value: &T) -> Result<String> {
    let mut out = serde_json::to_string_pretty(value)?;
    out.push('\n');
    Ok(out)
}

/// Prints to stdout; a closed pipe (`| head`) is not an error.
fn print(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn init_logging(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("PATCHWRIGHT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .event_format(Plain)
        .init();
}

/// `warning: message` lines, like cargo's.
struct Plain;

impl<S, N> FormatEvent<S, N> for Plain
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let level = match *event.metadata().level() {
            Level::ERROR => "error",
            Level::WARN => "warning",
            Level::INFO => "info",
            Level::DEBUG => "debug",
            Level::TRACE => "trace",
        };
        write!(writer, "{level}: ")?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}
