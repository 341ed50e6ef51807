//! The GitHub forge: pull requests, checks, comments, reactions, labels
//! and the dashboard issue through GitHub's REST API. Every request goes
//! through [`client::Client`] and its retry rules; writes are idempotent (a
//! pull request is looked up by branch before one is opened, a comment by
//! its marker).

pub mod api;
pub mod client;

use http::Method;
use serde_json::json;

use api::{
    ApiBranch, ApiCheckRuns, ApiCombinedStatus, ApiComment, ApiIssue, ApiPermission, ApiPull,
    ApiReview, ApiRule,
};
use client::{Client, encode};

pub use client::RetryPolicy;

use super::{
    Forge, ForgeError, PullDraft, PullState, Reaction, Rerun, Review, dashboard_content, marker_of,
};
use crate::store::checks::{CheckRun, Checks, is_named};
use crate::store::ledger::{Proposal, PullRef, ticked_reason};
use crate::vocab::access::Permission;
use crate::vocab::git_names::CommitSha;
use crate::vocab::secret::Secret;

/// The label that finds the dashboard issue.
pub const DASHBOARD_LABEL: &str = "patchwright:dashboard";

/// Pages of 100 read at most from a paginated list.
const MAX_PAGES: usize = 10;

/// How to reach a repository on GitHub.
#[derive(Debug, Clone)]
pub struct GitHubOptions {
    /// `https://api.github.com`, or a GitHub Enterprise Server's `…/api/v3`.
    pub api_url: String,
    pub owner: String,
    pub repo: String,
    pub token: Secret,
    pub reviewers: Vec<String>,
    pub retry: RetryPolicy,
    /// Check runs that are patchwright's own job (inside Actions, the job
    /// `GITHUB_JOB` names): a run of the bot on a proposal's head or the
    /// default branch says nothing about a fix.
    pub own_checks: Vec<String>,
    /// Checks that decide (`checks.required`); none: the required checks
    /// of `base`'s protection and rulesets, where it has any, else all.
    pub required: Vec<String>,
    /// The default branch, whose protection names the required checks.
    pub base: Option<String>,
    /// The token is the workflow's own `GITHUB_TOKEN`: what it opens
    /// starts no workflow, so no CI judges a proposal.
    pub default_token: bool,
}

/// Said on the dashboard, in the job summary and in each pull request when
/// the bot runs with the workflow's own token.
pub const DEFAULT_TOKEN_NOTICE: &str = "patchwright runs with the workflow's default `GITHUB_TOKEN`: \
pull requests it opens start no workflows, so no CI will run on its proposals and nothing judges them \
but review. Give it a GitHub App token (`actions/create-github-app-token`) or a fine-grained personal \
access token; the README's workflow shows how.";

pub struct GitHubForge {
    client: Client,
    options: GitHubOptions,
    /// The default branch's required checks, read once.
    protected: std::sync::OnceLock<Vec<String>>,
}

impl std::fmt::Debug for GitHubForge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHubForge")
            .field("api_url", &self.options.api_url)
            .field(
                "repository",
                &format!("{}/{}", self.options.owner, self.options.repo),
            )
            .finish_non_exhaustive()
    }
}

impl GitHubForge {
    pub fn new(options: GitHubOptions) -> Result<Self, ForgeError> {
        let client = Client::new(&options.api_url, &options.token, options.retry.clone())?;
        Ok(Self {
            client,
            options,
            protected: std::sync::OnceLock::new(),
        })
    }

    fn repo_path(&self, rest: &str) -> String {
        format!("/repos/{}/{}{rest}", self.options.owner, self.options.repo)
    }

    /// The open pull request whose head is `branch`.
    fn find_open_pull(&self, branch: &str) -> Result<Option<ApiPull>, ForgeError> {
        let path = self.repo_path(&format!(
            "/pulls?state=open&per_page=100&head={}",
            encode(&format!("{}:{branch}", self.options.owner))
        ));
        let pulls: Vec<ApiPull> = self.client.json(Method::GET, &path, None)?;
        Ok(pulls.into_iter().find(|p| p.head.ref_name == branch))
    }

    fn add_labels(&self, number: u64, labels: &[String]) -> Result<(), ForgeError> {
        if labels.is_empty() {
            return Ok(());
        }
        self.client.post_again(
            &self.repo_path(&format!("/issues/{number}/labels")),
            Some(&json!({ "labels": labels })),
        )?;
        Ok(())
    }

    /// The open dashboard issue: labelled, starting with `marker`, and
    /// written by a bot or by someone with write access (anyone who can
    /// label an issue could otherwise point the bot at theirs).
    fn find_dashboard(&self, marker: Option<&str>) -> Result<Option<ApiIssue>, ForgeError> {
        let path = self.repo_path(&format!(
            "/issues?state=open&per_page=100&labels={}",
            encode(DASHBOARD_LABEL)
        ));
        let issues: Vec<ApiIssue> = self.client.json(Method::GET, &path, None)?;
        for issue in issues {
            if issue.pull_request.is_some() || issue.body.as_deref().and_then(marker_of) != marker {
                continue;
            }
            let Some(author) = &issue.user else {
                continue;
            };
            if author.kind.as_deref() == Some("Bot")
                || self.permission(&author.login)? >= Permission::Write
            {
                return Ok(Some(issue));
            }
            tracing::warn!(
                "issue #{} looks like the dashboard but {} cannot write to the repository: left alone",
                issue.number,
                author.login
            );
        }
        Ok(None)
    }

    fn pull_ref(&self, pull: &ApiPull) -> PullRef {
        PullRef {
            forge: "github".into(),
            number: Some(pull.number),
            url: pull.html_url.clone(),
        }
    }

    /// The checks that decide: `only`, else `checks.required`, else the
    /// default branch's required checks (none: all decide).
    fn deciding(&self, only: &[String]) -> Result<Vec<String>, ForgeError> {
        if !only.is_empty() {
            return Ok(only.to_vec());
        }
        if !self.options.required.is_empty() {
            return Ok(self.options.required.clone());
        }
        if let Some(known) = self.protected.get() {
            return Ok(known.clone());
        }
        let found = match &self.options.base {
            Some(base) => self.required_checks(base)?,
            None => Vec::new(),
        };
        Ok(self.protected.get_or_init(|| found).clone())
    }

    /// The check names `branch`'s protection and rulesets require. Reading
    /// protection needs more than the bot may have: a refusal means none
    /// known, not a failed run.
    fn required_checks(&self, branch: &str) -> Result<Vec<String>, ForgeError> {
        let branch = encode(branch);
        // Not found, or not readable with this token: nothing known.
        fn read<T: serde::de::DeserializeOwned>(
            forge: &GitHubForge,
            path: &str,
        ) -> Result<Option<T>, ForgeError> {
            match forge.client.json(Method::GET, &forge.repo_path(path), None) {
                Ok(found) => Ok(Some(found)),
                Err(ForgeError::Api {
                    status: 403 | 404, ..
                }) => Ok(None),
                Err(e) => Err(e),
            }
        }
        let mut names = Vec::new();
        if let Some(found) = read::<ApiBranch>(self, &format!("/branches/{branch}"))? {
            names.extend(found.required());
        }
        if let Some(rules) = read::<Vec<ApiRule>>(self, &format!("/rules/branches/{branch}"))? {
            names.extend(rules.iter().flat_map(ApiRule::required));
        }
        names.sort();
        names.dedup();
        if !names.is_empty() {
            tracing::debug!("required checks of {branch}: {}", names.join(", "));
        }
        Ok(names)
    }

    /// Check runs and commit statuses of a commit, combined; where some
    /// checks decide (`only`, `checks.required`, the branch's required
    /// checks), only those, and one that has not reported yet is pending.
    pub fn commit_checks(&self, sha: &CommitSha, only: &[String]) -> Result<Checks, ForgeError> {
        let deciding = self.deciding(only)?;
        let mut check_runs = Vec::new();
        for page in 1..=MAX_PAGES {
            let batch: ApiCheckRuns = self.client.json(
                Method::GET,
                &self.repo_path(&format!(
                    "/commits/{sha}/check-runs?filter=latest&per_page=100&page={page}"
                )),
                None,
            )?;
            let last = batch.check_runs.len() < 100;
            check_runs.extend(batch.check_runs);
            if last || check_runs.len() as u64 >= batch.total_count {
                break;
            }
        }
        let mut statuses = Vec::new();
        for page in 1..=MAX_PAGES {
            let batch: ApiCombinedStatus = self.client.json(
                Method::GET,
                &self.repo_path(&format!("/commits/{sha}/status?per_page=100&page={page}")),
                None,
            )?;
            let last = batch.statuses.len() < 100;
            statuses.extend(batch.statuses);
            if last {
                break;
            }
        }
        let mut failing = Vec::new();
        let mut passing = Vec::new();
        let mut pending = false;
        let own = |name: &str| self.options.own_checks.iter().any(|o| o == name);
        let decides =
            |name: &str| deciding.is_empty() || deciding.iter().any(|n| is_named(name, n));
        check_runs.retain(|r| !own(&r.name) && decides(&r.name));
        statuses.retain(|s| decides(&s.context));
        for run in &check_runs {
            let url = run.html_url.clone().or_else(|| run.details_url.clone());
            let check = CheckRun {
                name: run.name.clone(),
                id: run.id,
                run_id: url.as_deref().and_then(actions_run_id),
                url,
                completed_at: run.completed_at.as_deref().and_then(|t| t.parse().ok()),
            };
            match (run.status.as_str(), run.conclusion.as_deref()) {
                ("completed", Some("success" | "neutral")) => passing.push(check),
                // Stopped, replaced or not run: no verdict either way.
                ("completed", Some("cancelled" | "stale" | "skipped")) => {}
                ("completed", _) => failing.push(check),
                _ => pending = true,
            }
        }
        for s in &statuses {
            let check = CheckRun {
                name: s.context.clone(),
                id: None,
                url: s.target_url.clone(),
                run_id: s.target_url.as_deref().and_then(actions_run_id),
                completed_at: s.updated_at.as_deref().and_then(|t| t.parse().ok()),
            };
            match s.state.as_str() {
                "success" => passing.push(check),
                "pending" => pending = true,
                _ => failing.push(check),
            }
        }
        // A required check that has not reported while others have is
        // waited for, as GitHub's merge box shows it ("Expected"). A commit
        // where nothing reported at all (CI skipped it) stays "missing", so
        // the watch can look at the next commit.
        let reported = |n: &String| failing.iter().chain(&passing).any(|c| is_named(&c.name, n));
        if !passing.is_empty() && !deciding.iter().all(reported) {
            pending = true;
        }
        Ok(if !failing.is_empty() {
            Checks::Failed {
                failing,
                passing,
                tail: None,
            }
        } else if pending {
            Checks::Pending
        } else if passing.is_empty() {
            Checks::Missing
        } else {
            Checks::Passed { passing }
        })
    }

    /// Every comment of an issue or pull request (first 100 pages' worth).
    pub fn comments(&self, number: u64) -> Result<Vec<ApiComment>, ForgeError> {
        let mut all = Vec::new();
        for page in 1..=100 {
            let batch: Vec<ApiComment> = self.client.json(
                Method::GET,
                &self.repo_path(&format!(
                    "/issues/{number}/comments?per_page=100&page={page}"
                )),
                None,
            )?;
            let last = batch.len() < 100;
            all.extend(batch);
            if last {
                break;
            }
        }
        Ok(all)
    }
}

/// `…/actions/runs/123/job/456` → 123.
fn actions_run_id(url: &str) -> Option<u64> {
    let rest = &url[url.find("/actions/runs/")? + "/actions/runs/".len()..];
    rest.split(['/', '?']).next()?.parse().ok()
}

impl Forge for GitHubForge {
    fn kind(&self) -> &'static str {
        "github"
    }

    fn open_pull(&self, draft: &PullDraft<'_>) -> Result<PullRef, ForgeError> {
        // Whether the first look found one: then it is brought up to date.
        let mut first_look = None;
        let created = self.client.create(
            || {
                let found = self.find_open_pull(draft.branch.as_str())?;
                first_look.get_or_insert(found.is_some());
                Ok(found)
            },
            || {
                self.client.json::<ApiPull>(
                    Method::POST,
                    &self.repo_path("/pulls"),
                    Some(&json!({
                        "title": draft.title,
                        "head": draft.branch.as_str(),
                        "base": draft.base.as_str(),
                        "body": draft.body,
                        "maintainer_can_modify": false,
                    })),
                )
            },
        );
        let pull = match created {
            Ok(pull) => pull,
            // Opened by an attempt whose answer was lost: find it.
            Err(ForgeError::Api { status: 422, .. }) => {
                self.find_open_pull(draft.branch.as_str())?.ok_or_else(|| {
                    ForgeError::Other(format!(
                        "GitHub refused a pull request for {}",
                        draft.branch
                    ))
                })?
            }
            Err(e) => return Err(e),
        };
        if first_look == Some(true) {
            let changed = pull.title.as_deref() != Some(draft.title)
                || pull.body.as_deref() != Some(draft.body);
            if changed {
                self.client.request(
                    Method::PATCH,
                    &self.repo_path(&format!("/pulls/{}", pull.number)),
                    Some(&json!({ "title": draft.title, "body": draft.body })),
                )?;
            }
            return Ok(self.pull_ref(&pull));
        }
        self.add_labels(pull.number, &draft.labels)?;
        if !self.options.reviewers.is_empty()
            && let Err(e) = self.client.post_again(
                &self.repo_path(&format!("/pulls/{}/requested_reviewers", pull.number)),
                Some(&json!({ "reviewers": self.options.reviewers })),
            )
        {
            tracing::warn!("cannot request reviewers on #{}: {e}", pull.number);
        }
        Ok(self.pull_ref(&pull))
    }

    fn pull_state(&self, proposal: &Proposal) -> Result<PullState, ForgeError> {
        let number = match proposal.pull.as_ref().and_then(|p| p.number) {
            Some(n) => n,
            None => match self.find_open_pull(proposal.branch.as_str())? {
                Some(p) => p.number,
                None => return Ok(PullState::Closed { why: None }),
            },
        };
        let pull: ApiPull = self.client.json(
            Method::GET,
            &self.repo_path(&format!("/pulls/{number}")),
            None,
        )?;
        let why = ticked_reason(pull.body.as_deref().unwrap_or(""));
        Ok(
            match (pull.state.as_str(), pull.merged, pull.merge_commit_sha) {
                ("open", _, _) => PullState::Open,
                (_, Some(true), Some(sha)) => match sha.parse() {
                    Ok(commit) => PullState::Merged { commit },
                    Err(_) => PullState::Closed { why },
                },
                _ => PullState::Closed { why },
            },
        )
    }

    fn checks(&self, proposal: &Proposal) -> Result<Checks, ForgeError> {
        self.commit_checks(&proposal.head, &[])
    }

    fn pull_of_commit(&self, commit: &CommitSha) -> Result<Option<u64>, ForgeError> {
        let pulls: Vec<ApiPull> = self.client.json(
            Method::GET,
            &self.repo_path(&format!("/commits/{commit}/pulls?per_page=100")),
            None,
        )?;
        Ok(pulls
            .into_iter()
            .find(|p| p.merged_at.is_some() || p.merged == Some(true))
            .map(|p| p.number))
    }

    fn pull_labels(&self, number: u64) -> Result<Vec<String>, ForgeError> {
        let pull: ApiPull = self.client.json(
            Method::GET,
            &self.repo_path(&format!("/pulls/{number}")),
            None,
        )?;
        Ok(pull.labels.into_iter().map(|l| l.name).collect())
    }

    fn comment_on(&self, number: u64, body: &str) -> Result<(), ForgeError> {
        let marker = marker_of(body);
        self.client.create(
            || {
                let exists = self.comments(number)?.iter().any(|c| {
                    let text = c.body.as_deref().unwrap_or("");
                    match marker {
                        Some(m) => text.lines().next().map(str::trim) == Some(m),
                        None => text == body,
                    }
                });
                Ok(exists.then_some(()))
            },
            || {
                self.client
                    .request(
                        Method::POST,
                        &self.repo_path(&format!("/issues/{number}/comments")),
                        Some(&json!({ "body": body })),
                    )
                    .map(drop)
            },
        )
    }

    fn reviews(&self, proposal: &Proposal) -> Result<Vec<Review>, ForgeError> {
        let Some(number) = proposal.pull.as_ref().and_then(|p| p.number) else {
            return Ok(Vec::new());
        };
        let reviews: Vec<ApiReview> = self.client.json(
            Method::GET,
            &self.repo_path(&format!("/pulls/{number}/reviews?per_page=100")),
            None,
        )?;
        Ok(reviews
            .into_iter()
            .map(|r| Review {
                user: r.user.map(|u| u.login).unwrap_or_default(),
                state: r.state,
            })
            .collect())
    }

    fn commit_checks(&self, commit: &CommitSha, only: &[String]) -> Result<Checks, ForgeError> {
        GitHubForge::commit_checks(self, commit, only)
    }

    fn merged_pull(&self, number: u64) -> Result<Option<(CommitSha, String)>, ForgeError> {
        let pull: ApiPull = self.client.json(
            Method::GET,
            &self.repo_path(&format!("/pulls/{number}")),
            None,
        )?;
        Ok(
            match (
                pull.merged,
                pull.merge_commit_sha.and_then(|s| s.parse().ok()),
            ) {
                (Some(true), Some(sha)) => Some((sha, pull.title.unwrap_or_default())),
                _ => None,
            },
        )
    }

    /// Each kind of check its own way: an Actions job through its workflow
    /// run, another app's check run by asking that app again (GitHub lets
    /// only the app that made it, so a refusal means "cannot"), and a
    /// commit status not at all.
    fn rerun_failed(&self, _commit: &CommitSha, failing: &[CheckRun]) -> Result<Rerun, ForgeError> {
        let mut workflow_runs: Vec<u64> = failing.iter().filter_map(|f| f.run_id).collect();
        workflow_runs.sort_unstable();
        workflow_runs.dedup();
        for run_id in &workflow_runs {
            self.client.post_again(
                &self.repo_path(&format!("/actions/runs/{run_id}/rerun-failed-jobs")),
                None,
            )?;
        }
        let mut runs = workflow_runs.len();
        let mut cannot = Vec::new();
        for check in failing.iter().filter(|f| f.run_id.is_none()) {
            let Some(id) = check.id else {
                cannot.push(check.name.clone());
                continue;
            };
            match self.client.post_again(
                &self.repo_path(&format!("/check-runs/{id}/rerequest")),
                None,
            ) {
                Ok(_) => runs += 1,
                Err(ForgeError::Api {
                    status: 403 | 404 | 422,
                    ..
                }) => cannot.push(check.name.clone()),
                Err(e) => return Err(e),
            }
        }
        Ok(Rerun::Requested { runs, cannot })
    }

    fn react(&self, comment_id: u64, reaction: Reaction) -> Result<(), ForgeError> {
        self.client.post_again(
            &self.repo_path(&format!("/issues/comments/{comment_id}/reactions")),
            Some(&json!({ "content": reaction.api_name() })),
        )?;
        Ok(())
    }

    fn permission(&self, user: &str) -> Result<Permission, ForgeError> {
        let answer = self.client.json::<ApiPermission>(
            Method::GET,
            &self.repo_path(&format!("/collaborators/{}/permission", encode(user))),
            None,
        );
        let level = match answer {
            Ok(level) => level,
            // Not a collaborator at all.
            Err(ForgeError::Api { status: 404, .. }) => return Ok(Permission::None),
            Err(e) => return Err(e),
        };
        let name = level.role_name.as_deref().unwrap_or(&level.permission);
        Ok(name
            .parse()
            .or_else(|_| level.permission.parse())
            .unwrap_or(Permission::None))
    }

    fn close_pull(&self, proposal: &Proposal, comment: Option<&str>) -> Result<(), ForgeError> {
        let Some(number) = proposal.pull.as_ref().and_then(|p| p.number) else {
            return Ok(());
        };
        if let Some(body) = comment {
            self.comment_on(number, body)?;
        }
        self.client.request(
            Method::PATCH,
            &self.repo_path(&format!("/pulls/{number}")),
            Some(&json!({ "state": "closed" })),
        )?;
        Ok(())
    }

    fn upsert_dashboard(&self, title: &str, body: &str) -> Result<Option<u64>, ForgeError> {
        let marker = marker_of(body);
        let mut looked = None;
        let issue = self.client.create(
            || {
                let found = self.find_dashboard(marker)?;
                looked.get_or_insert(found.is_some());
                Ok(found)
            },
            || {
                self.client.json::<ApiIssue>(
                    Method::POST,
                    &self.repo_path("/issues"),
                    Some(&json!({ "title": title, "body": body, "labels": [DASHBOARD_LABEL] })),
                )
            },
        )?;
        // Found, not made just now: rewritten only when its content changed.
        let changed = issue.body.as_deref().map(dashboard_content) != Some(dashboard_content(body));
        if looked == Some(true) && changed {
            self.client.request(
                Method::PATCH,
                &self.repo_path(&format!("/issues/{}", issue.number)),
                Some(&json!({ "body": body })),
            )?;
        }
        Ok(Some(issue.number))
    }

    fn no_ci(&self) -> Option<&'static str> {
        self.options.default_token.then_some(DEFAULT_TOKEN_NOTICE)
    }

    fn quota(&self) -> Option<String> {
        self.client.quota()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_come_from_actions_urls() {
        assert_eq!(
            actions_run_id("https://github.com/o/r/actions/runs/123/job/456"),
            Some(123)
        );
        assert_eq!(
            actions_run_id("https://github.com/o/r/actions/runs/77?check_suite_focus=true"),
            Some(77)
        );
        assert_eq!(actions_run_id("https://ci.example.com/build/9"), None);
    }
}
