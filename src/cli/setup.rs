//! What the commands set up before they act: a workspace with its
//! configuration and skills, or a repository with its configuration, the
//! bot and its forge.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Result, bail};

use patchwright::bot::context::Bot;
use patchwright::config::Config;
use patchwright::engine::rules;
use patchwright::engine::scan::{self, ScanCache, ScanOptions, ScanReport};
use patchwright::engine::skill::Skill;
use patchwright::engine::skills::Registry;
use patchwright::engine::workspace::Workspace;
use patchwright::forge::Forge;
use patchwright::forge::github::{GitHubForge, GitHubOptions, RetryPolicy};
use patchwright::forge::local::LocalForge;
use patchwright::store::ledger_store::LedgerStore;
use patchwright::store::repo::Repo;
use patchwright::sys::command::CommandLine;
use patchwright::sys::files::write_atomically;
use patchwright::sys::network::NetworkBudget;
use patchwright::vocab::git_names::BranchName;
use patchwright::vocab::secret::Secret;

use crate::cli::args::{GitHubArgs, Options};
use crate::cli::output::progress_bar;

/// A discovered workspace with its configuration and chosen skills.
pub struct Setup<'r> {
    pub workspace: Workspace,
    pub config: Config,
    pub skills: Vec<&'r dyn Skill>,
}

impl<'r> Setup<'r> {
    pub fn load(
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

    pub fn scan(&self, options: ScanOptions, quiet: bool) -> ScanReport {
        // The configuration decides the limits; the command what to keep.
        let options = ScanOptions {
            keep_fixable_sources: options.keep_fixable_sources,
            metrics: options.metrics,
            ..ScanOptions::limited_by(&self.config.scan)
        };
        let cache = self.local_cache(&options);
        let bar = progress_bar(self.workspace.files.len() as u64, quiet);
        let report = scan::scan_cached(
            &self.workspace,
            &self.skills,
            &options,
            cache.as_ref().map(|(c, _)| c),
            &|_| bar.inc(1),
        );
        bar.finish_and_clear();
        if let Some((cache, path)) = cache
            && cache.changed()
        {
            let saved = path
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| write_atomically(&path, &cache.to_text(scan::MAX_CACHE_BYTES)));
            if let Err(e) = saved {
                tracing::warn!("cannot save the scan cache at {}: {e}", path.display());
            }
        }
        for warning in &report.warnings {
            tracing::warn!("{}", warning.message);
        }
        report
    }

    /// The project's scan cache, when `scan.cache` is on: in the user's
    /// cache directory beside `fix`'s builds, so that a scan writes nothing
    /// into the project.
    fn local_cache(&self, options: &ScanOptions) -> Option<(ScanCache, PathBuf)> {
        if !self.config.scan.cache || options.metrics {
            return None;
        }
        let path = crate::cli::gc::scan_cache_file(&self.workspace.root);
        let salt = scan::salt(&self.skills, &self.config.skills, options);
        let cache = match std::fs::read(&path) {
            Ok(bytes) => {
                let (cache, warning) = ScanCache::load(&bytes, salt);
                if let Some(warning) = warning {
                    tracing::warn!("{}: {warning}", path.display());
                }
                cache
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => ScanCache::empty(salt),
            Err(e) => {
                tracing::warn!("the scan cache at {} is ignored: {e}", path.display());
                ScanCache::empty(salt)
            }
        };
        Some((cache, path))
    }
}

/// `registry` with the rules of the work tree at `path` (what `scan` and
/// `fix` look at); a rule file that cannot be used is a warning, and the
/// other rules still run.
pub fn work_tree_rules(registry: &Registry, path: &Path) -> Result<Registry> {
    let loaded = rules::load_dir(path).map_err(|e| {
        anyhow::anyhow!(
            "cannot read the rules in {}: {e}",
            path.join(rules::RULES_DIR).display()
        )
    })?;
    Ok(with_loaded(registry, loaded))
}

fn with_loaded(registry: &Registry, loaded: rules::Loaded) -> Registry {
    for error in &loaded.errors {
        tracing::warn!("{error}; the rule is skipped");
    }
    if loaded.rules.is_empty() {
        return registry.clone();
    }
    registry.with_rules(rules::RuleBook::new(loaded.rules))
}

/// A repository with its configuration, for the commands that use git.
pub struct GitSetup {
    pub repo: Repo,
    pub config: Config,
    /// The built-in skills and the rules of the default branch (never a
    /// pull request's: a rule runs only once it is merged).
    pub registry: Registry,
    /// Shared by git and the forge: one total for the run.
    pub network: NetworkBudget,
}

fn network_budget(config: &Config) -> NetworkBudget {
    let network = &config.network;
    NetworkBudget::new(
        Duration::from_secs(network.connect_timeout_seconds),
        Duration::from_secs(network.read_timeout_seconds),
        Duration::from_secs(network.total_seconds),
    )
}

/// `registry` with the rules of the default branch's tip as this clone
/// knows it. A repository without a default branch yet has no rules.
fn default_branch_rules(registry: &Registry, repo: &Repo, config: &Config) -> Registry {
    let tip = repo
        .default_branch(config.git.default_branch.as_ref())
        .ok()
        .and_then(|branch| repo.branch_tip(&branch).ok().flatten());
    let Some(tip) = tip else {
        return registry.clone();
    };
    match repo.files_in(&tip, rules::RULES_DIR) {
        Ok(files) => with_loaded(registry, rules::load_files(files)),
        Err(e) => {
            tracing::warn!("cannot read the rules at {}: {e}", tip.short());
            registry.clone()
        }
    }
}

impl GitSetup {
    pub fn open(path: &Path, cli: &Options, registry: &Registry) -> Result<Self> {
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
        let network = network_budget(&config);
        let repo = Repo::open(&root, config.git.remote.as_deref(), token)?
            .with_network(network.clone())
            .made_whole()?;
        let registry = default_branch_rules(registry, &repo, &config);
        Ok(Self {
            repo,
            config,
            network,
            registry,
        })
    }

    /// Opens the repository and fetches what the remote has, for the
    /// commands that read or change the ledger.
    pub fn fetched(path: &Path, cli: &Options, registry: &Registry) -> Result<Self> {
        let mut git = Self::open(path, cli, registry)?;
        git.repo.fetch()?;
        git.registry = default_branch_rules(registry, &git.repo, &git.config);
        Ok(git)
    }

    /// The branch proposals target.
    pub fn default_branch(&self) -> Result<BranchName> {
        Ok(self
            .repo
            .default_branch(self.config.git.default_branch.as_ref())?)
    }

    pub fn bot<'a>(
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
            batch: Default::default(),
            progress: None,
        }
    }

    pub fn store(&self) -> LedgerStore<'_> {
        LedgerStore::new(
            &self.repo,
            &self.config.git.ledger_ref,
            self.config.git.identity.clone(),
        )
    }
}

/// The local forge with the configured check command.
pub fn local_forge<'g>(git: &'g GitSetup, default_branch: &BranchName) -> Result<LocalForge<'g>> {
    let local = &git.config.forge.local;
    let timeout = Duration::from_secs(local.check_timeout_minutes.saturating_mul(60));
    // Kept between runs so each check builds only what changed.
    let target_dir = git.repo.git_dir().join("patchwright").join("target");
    let check = CommandLine::parse(&local.check_command, timeout, Some(target_dir))
        .map_err(anyhow::Error::msg)?
        .hiding(&git.config.git.token_env);
    Ok(LocalForge::new(&git.repo, default_branch.clone(), check))
}

/// The GitHub forge for this repository, from the flags and the Actions
/// environment.
pub fn github_forge(git: &GitSetup, args: &GitHubArgs) -> Result<GitHubForge> {
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
        retry: RetryPolicy {
            network: git.network.clone(),
            ..RetryPolicy::default()
        },
        own_checks: std::env::var("GITHUB_JOB")
            .ok()
            .filter(|job| !job.is_empty())
            .into_iter()
            .collect(),
        required: git.config.checks.required.clone(),
        base: git.default_branch().ok().map(|b| b.to_string()),
        // The Action compares its token with `github.token`.
        default_token: std::env::var("PATCHWRIGHT_DEFAULT_TOKEN").is_ok_and(|v| v == "true"),
    })?;
    Ok(forge)
}

/// Who is asking, for the ledger: the Actions actor, git's user, or the login.
pub fn actor(repo: &Repo) -> String {
    std::env::var("GITHUB_ACTOR")
        .ok()
        .filter(|a| !a.is_empty())
        .or_else(|| repo.user_name())
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}
