//! The GitHub forge, on octocrab. Every request goes through one function
//! that retries what is worth retrying: 5xx answers and transport errors
//! with bounded exponential backoff, rate limits (primary and secondary,
//! 403/429 with `retry-after` or `x-ratelimit-reset`) by waiting within a
//! budget. octocrab's own retry is off: it retries POSTs immediately, which
//! could post a comment twice. Writes are idempotent instead (a pull request
//! is looked up by branch before one is opened, a comment by its marker).
//!
//! Requests use octocrab's raw methods with our own small response types:
//! several typed models do not fit what GitHub returns (permissions, check
//! runs, combined statuses).

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, Method, StatusCode};
use octocrab::Octocrab;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::{Forge, ForgeError, PullDraft, PullState, Reaction, Rerun, Review, marker_of};
use crate::store::checks::{CheckRun, Checks};
use crate::store::ledger::ticked_reason;
use crate::store::ledger::{Proposal, PullRef};
use crate::vocab::access::Permission;
use crate::vocab::git_names::CommitSha;
use crate::vocab::secret::Secret;
use crate::vocab::time::Timestamp;

/// The label that finds the dashboard issue.
pub const DASHBOARD_LABEL: &str = "patchwright:dashboard";

/// How hard to try before giving up.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts for 5xx answers and transport errors.
    pub attempts: u32,
    /// The first backoff; it doubles each time.
    pub base_delay: Duration,
    /// The longest the bot waits, in total, for rate limits to lift.
    pub rate_limit_budget: Duration,
    /// Per request.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 5,
            base_delay: Duration::from_millis(500),
            rate_limit_budget: Duration::from_secs(600),
            timeout: Duration::from_secs(30),
        }
    }
}

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
}

#[derive(Debug, Clone, Copy)]
struct Quota {
    remaining: u64,
    limit: u64,
    reset: i64,
}

pub struct GitHubForge {
    runtime: tokio::runtime::Runtime,
    client: Octocrab,
    options: GitHubOptions,
    quota: Mutex<Option<Quota>>,
    waited: Mutex<Duration>,
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

/// A raw answer.
struct Answer {
    status: StatusCode,
    body: String,
}

impl GitHubForge {
    pub fn new(options: GitHubOptions) -> Result<Self, ForgeError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ForgeError::Other(format!("cannot start the HTTP runtime: {e}")))?;
        let client = runtime.block_on(async {
            Octocrab::builder()
                .personal_token(options.token.expose().to_owned())
                .base_uri(options.api_url.as_str())
                .map_err(|e| {
                    ForgeError::Other(format!(
                        "`{}` is not a usable API URL: {}",
                        options.api_url,
                        describe(&e)
                    ))
                })?
                .set_connect_timeout(Some(options.retry.timeout))
                .set_read_timeout(Some(options.retry.timeout))
                .set_write_timeout(Some(options.retry.timeout))
                .build()
                .map_err(|e| {
                    ForgeError::Other(format!("cannot build the GitHub client: {}", describe(&e)))
                })
        })?;
        Ok(Self {
            runtime,
            client,
            options,
            quota: Mutex::new(None),
            waited: Mutex::new(Duration::ZERO),
        })
    }

    fn repo_path(&self, rest: &str) -> String {
        format!("/repos/{}/{}{rest}", self.options.owner, self.options.repo)
    }

    /// One request with the retry rules; non-2xx answers become errors.
    fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, ForgeError> {
        let what = format!("{method} {path}");
        let mut attempt = 0;
        loop {
            attempt += 1;
            let sent = self.runtime.block_on(async {
                let response = match method {
                    Method::GET => self.client._get(path).await,
                    Method::POST => self.client._post(path, body).await,
                    Method::PATCH => self.client._patch(path, body).await,
                    Method::PUT => self.client._put(path, body).await,
                    _ => self.client._delete(path, body).await,
                }?;
                let status = response.status();
                let headers = response.headers().clone();
                let text = self.client.body_to_string(response).await?;
                Ok::<_, octocrab::Error>((status, headers, text))
            });
            let (status, headers, text) = match sent {
                Ok(answer) => answer,
                Err(e) => {
                    if attempt < self.options.retry.attempts {
                        tracing::debug!("{what}: {} (attempt {attempt})", describe(&e));
                        std::thread::sleep(self.backoff(attempt));
                        continue;
                    }
                    return Err(ForgeError::Unavailable {
                        what,
                        attempts: attempt,
                        message: describe(&e),
                    });
                }
            };
            self.note_quota(&headers);
            if status.is_success() {
                return Ok(Answer { status, body: text });
            }
            if let Some(wait) = rate_limit_wait(status, &headers) {
                let mut waited = self.waited.lock().unwrap_or_else(|p| p.into_inner());
                if *waited + wait > self.options.retry.rate_limit_budget {
                    let until =
                        Timestamp(now() + i64::try_from(wait.as_secs()).unwrap_or(i64::MAX / 2));
                    return Err(ForgeError::RateLimited {
                        until: until.to_string(),
                    });
                }
                *waited += wait;
                drop(waited);
                tracing::warn!("{what}: rate limited; waiting {} s", wait.as_secs());
                std::thread::sleep(wait);
                attempt -= 1;
                continue;
            }
            if status.is_server_error() && attempt < self.options.retry.attempts {
                tracing::debug!("{what}: {status} (attempt {attempt})");
                std::thread::sleep(self.backoff(attempt));
                continue;
            }
            let message = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_else(|| text.chars().take(200).collect());
            return Err(ForgeError::Api {
                what,
                status: status.as_u16(),
                message,
            });
        }
    }

    fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T, ForgeError> {
        let answer = self.request(method.clone(), path, body)?;
        serde_json::from_str(&answer.body).map_err(|e| ForgeError::Api {
            what: format!("{method} {path}"),
            status: answer.status.as_u16(),
            message: format!("an answer patchwright cannot read: {e}"),
        })
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.options.retry.base_delay * 2u32.saturating_pow(attempt.saturating_sub(1).min(6))
    }

    fn note_quota(&self, headers: &HeaderMap) {
        let get = |name: &str| headers.get(name)?.to_str().ok()?.parse::<i64>().ok();
        if let (Some(remaining), Some(limit), Some(reset)) = (
            get("x-ratelimit-remaining"),
            get("x-ratelimit-limit"),
            get("x-ratelimit-reset"),
        ) {
            let quota = Quota {
                remaining: u64::try_from(remaining).unwrap_or(0),
                limit: u64::try_from(limit).unwrap_or(0),
                reset,
            };
            *self.quota.lock().unwrap_or_else(|p| p.into_inner()) = Some(quota);
        }
    }

    /// The open pull request whose head is `branch`.
    fn find_open_pull(&self, branch: &str) -> Result<Option<ApiPull>, ForgeError> {
        let path = self.repo_path(&format!(
            "/pulls?state=open&per_page=100&head={}",
            encode(&format!("{}:{branch}", self.options.owner))
        ));
        let pulls: Vec<ApiPull> = self.json(Method::GET, &path, None)?;
        Ok(pulls.into_iter().find(|p| p.head.ref_name == branch))
    }

    fn add_labels(&self, number: u64, labels: &[String]) -> Result<(), ForgeError> {
        if labels.is_empty() {
            return Ok(());
        }
        self.request(
            Method::POST,
            &self.repo_path(&format!("/issues/{number}/labels")),
            Some(&json!({ "labels": labels })),
        )?;
        Ok(())
    }

    fn pull_ref(&self, pull: &ApiPull) -> PullRef {
        PullRef {
            forge: "github".into(),
            number: Some(pull.number),
            url: pull.html_url.clone(),
        }
    }

    /// Check runs and commit statuses of a commit, combined.
    pub fn commit_checks(&self, sha: &CommitSha) -> Result<Checks, ForgeError> {
        let runs: ApiCheckRuns = self.json(
            Method::GET,
            &self.repo_path(&format!(
                "/commits/{sha}/check-runs?filter=latest&per_page=100"
            )),
            None,
        )?;
        let status: ApiCombinedStatus = self.json(
            Method::GET,
            &self.repo_path(&format!("/commits/{sha}/status")),
            None,
        )?;
        let mut failing = Vec::new();
        let mut passing = Vec::new();
        let mut pending = false;
        for run in &runs.check_runs {
            let url = run.html_url.clone().or_else(|| run.details_url.clone());
            let check = CheckRun {
                name: run.name.clone(),
                id: run.id,
                run_id: url.as_deref().and_then(actions_run_id),
                url,
                completed_at: run.completed_at.as_deref().and_then(|t| t.parse().ok()),
            };
            match (run.status.as_str(), run.conclusion.as_deref()) {
                ("completed", Some("success" | "neutral" | "skipped")) => passing.push(check),
                ("completed", _) => failing.push(check),
                _ => pending = true,
            }
        }
        for s in &status.statuses {
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
        Ok(if !failing.is_empty() {
            Checks::Failed {
                failing,
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
            let batch: Vec<ApiComment> = self.json(
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

/// How long to wait before retrying a rate-limited request, if it is one.
fn rate_limit_wait(status: StatusCode, headers: &HeaderMap) -> Option<Duration> {
    if status != StatusCode::FORBIDDEN && status != StatusCode::TOO_MANY_REQUESTS {
        return None;
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(seconds) = header("retry-after").and_then(|v| v.trim().parse::<u64>().ok()) {
        return Some(Duration::from_secs(seconds.max(1)));
    }
    if header("x-ratelimit-remaining") == Some("0")
        && let Some(reset) = header("x-ratelimit-reset").and_then(|v| v.trim().parse::<i64>().ok())
    {
        let seconds = u64::try_from((reset - now()).max(1)).unwrap_or(1);
        return Some(Duration::from_secs(seconds));
    }
    // A 429 without headers is still a rate limit; GitHub asks for a minute.
    (status == StatusCode::TOO_MANY_REQUESTS).then(|| Duration::from_secs(60))
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

/// `…/actions/runs/123/job/456` → 123.
fn actions_run_id(url: &str) -> Option<u64> {
    let rest = &url[url.find("/actions/runs/")? + "/actions/runs/".len()..];
    rest.split(['/', '?']).next()?.parse().ok()
}

/// octocrab's `Display` says only "GitHub"; say what GitHub said.
fn describe(e: &octocrab::Error) -> String {
    match e {
        octocrab::Error::GitHub { source, .. } => {
            format!("{} {}", source.status_code, source.message)
        }
        other => {
            let mut text = other.to_string();
            let mut source = std::error::Error::source(other);
            while let Some(s) = source {
                text.push_str(&format!(": {s}"));
                source = s.source();
            }
            text
        }
    }
}

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[derive(Debug, Deserialize)]
struct ApiPull {
    number: u64,
    state: String,
    #[serde(default)]
    merged: Option<bool>,
    #[serde(default)]
    merge_commit_sha: Option<String>,
    #[serde(default)]
    html_url: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    labels: Vec<ApiLabel>,
    head: ApiHead,
}

#[derive(Debug, Deserialize)]
struct ApiLabel {
    name: String,
}

#[derive(Debug, Deserialize)]
struct ApiHead {
    #[serde(rename = "ref")]
    ref_name: String,
}

#[derive(Debug, Deserialize)]
struct ApiIssue {
    number: u64,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    pull_request: Option<Value>,
}

/// A comment, as much of it as patchwright reads.
#[derive(Debug, Clone, Deserialize)]
pub struct ApiComment {
    pub id: u64,
    #[serde(default)]
    pub body: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ApiReview {
    state: String,
    #[serde(default)]
    user: Option<ApiUser>,
}

#[derive(Debug, Deserialize)]
struct ApiUser {
    login: String,
}

#[derive(Debug, Deserialize)]
struct ApiPermission {
    permission: String,
    #[serde(default)]
    role_name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ApiCheckRuns {
    #[serde(default)]
    check_runs: Vec<ApiCheckRun>,
}

#[derive(Debug, Deserialize)]
struct ApiCheckRun {
    #[serde(default)]
    id: Option<u64>,
    name: String,
    status: String,
    #[serde(default)]
    conclusion: Option<String>,
    #[serde(default)]
    html_url: Option<String>,
    #[serde(default)]
    details_url: Option<String>,
    #[serde(default)]
    completed_at: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ApiCombinedStatus {
    #[serde(default)]
    statuses: Vec<ApiStatus>,
}

#[derive(Debug, Deserialize)]
struct ApiStatus {
    context: String,
    state: String,
    #[serde(default)]
    target_url: Option<String>,
    #[serde(default)]
    updated_at: Option<String>,
}

impl Forge for GitHubForge {
    fn kind(&self) -> &'static str {
        "github"
    }

    fn open_pull(&self, draft: &PullDraft<'_>) -> Result<PullRef, ForgeError> {
        if let Some(existing) = self.find_open_pull(draft.branch.as_str())? {
            let changed = existing.title.as_deref() != Some(draft.title)
                || existing.body.as_deref() != Some(draft.body);
            if changed {
                self.request(
                    Method::PATCH,
                    &self.repo_path(&format!("/pulls/{}", existing.number)),
                    Some(&json!({ "title": draft.title, "body": draft.body })),
                )?;
            }
            return Ok(self.pull_ref(&existing));
        }
        let created = self.json::<ApiPull>(
            Method::POST,
            &self.repo_path("/pulls"),
            Some(&json!({
                "title": draft.title,
                "head": draft.branch.as_str(),
                "base": draft.base.as_str(),
                "body": draft.body,
                "maintainer_can_modify": false,
            })),
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
        self.add_labels(pull.number, &draft.labels)?;
        if !self.options.reviewers.is_empty()
            && let Err(e) = self.request(
                Method::POST,
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
        let pull: ApiPull = self.json(
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
        self.commit_checks(&proposal.head)
    }

    fn pull_labels(&self, number: u64) -> Result<Vec<String>, ForgeError> {
        let pull: ApiPull = self.json(
            Method::GET,
            &self.repo_path(&format!("/pulls/{number}")),
            None,
        )?;
        Ok(pull.labels.into_iter().map(|l| l.name).collect())
    }

    fn comment_on(&self, number: u64, body: &str) -> Result<(), ForgeError> {
        let marker = marker_of(body);
        let exists = self.comments(number)?.iter().any(|c| {
            let text = c.body.as_deref().unwrap_or("");
            match marker {
                Some(m) => text.lines().next().map(str::trim) == Some(m),
                None => text == body,
            }
        });
        if !exists {
            self.request(
                Method::POST,
                &self.repo_path(&format!("/issues/{number}/comments")),
                Some(&json!({ "body": body })),
            )?;
        }
        Ok(())
    }

    fn reviews(&self, proposal: &Proposal) -> Result<Vec<Review>, ForgeError> {
        let Some(number) = proposal.pull.as_ref().and_then(|p| p.number) else {
            return Ok(Vec::new());
        };
        let reviews: Vec<ApiReview> = self.json(
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

    fn commit_checks(&self, commit: &CommitSha) -> Result<Checks, ForgeError> {
        GitHubForge::commit_checks(self, commit)
    }

    fn merged_pull(&self, number: u64) -> Result<Option<(CommitSha, String)>, ForgeError> {
        let pull: ApiPull = self.json(
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

    fn rerun_failed(&self, _commit: &CommitSha, failing: &[CheckRun]) -> Result<Rerun, ForgeError> {
        let mut runs: Vec<u64> = failing.iter().filter_map(|f| f.run_id).collect();
        runs.sort_unstable();
        runs.dedup();
        for run_id in &runs {
            self.request(
                Method::POST,
                &self.repo_path(&format!("/actions/runs/{run_id}/rerun-failed-jobs")),
                None,
            )?;
        }
        Ok(Rerun::Requested(runs.len()))
    }

    fn react(&self, comment_id: u64, reaction: Reaction) -> Result<(), ForgeError> {
        self.request(
            Method::POST,
            &self.repo_path(&format!("/issues/comments/{comment_id}/reactions")),
            Some(&json!({ "content": reaction.api_name() })),
        )?;
        Ok(())
    }

    fn permission(&self, user: &str) -> Result<Permission, ForgeError> {
        let answer = self.json::<ApiPermission>(
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
        self.request(
            Method::PATCH,
            &self.repo_path(&format!("/pulls/{number}")),
            Some(&json!({ "state": "closed" })),
        )?;
        Ok(())
    }

    fn upsert_dashboard(&self, title: &str, body: &str) -> Result<Option<u64>, ForgeError> {
        let path = self.repo_path(&format!(
            "/issues?state=open&per_page=100&labels={}",
            encode(DASHBOARD_LABEL)
        ));
        let issues: Vec<ApiIssue> = self.json(Method::GET, &path, None)?;
        if let Some(issue) = issues.into_iter().find(|i| i.pull_request.is_none()) {
            if issue.body.as_deref() != Some(body) {
                self.request(
                    Method::PATCH,
                    &self.repo_path(&format!("/issues/{}", issue.number)),
                    Some(&json!({ "body": body })),
                )?;
            }
            return Ok(Some(issue.number));
        }
        let created: ApiIssue = self.json(
            Method::POST,
            &self.repo_path("/issues"),
            Some(&json!({ "title": title, "body": body, "labels": [DASHBOARD_LABEL] })),
        )?;
        Ok(Some(created.number))
    }

    fn quota(&self) -> Option<String> {
        let quota = (*self.quota.lock().unwrap_or_else(|p| p.into_inner()))?;
        Some(format!(
            "{} of {} GitHub API requests left until {}",
            quota.remaining,
            quota.limit,
            Timestamp(quota.reset)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_are_read_from_headers() {
        let mut headers = HeaderMap::new();
        assert_eq!(
            rate_limit_wait(StatusCode::FORBIDDEN, &headers),
            None,
            "a plain 403 is a refusal"
        );
        assert_eq!(
            rate_limit_wait(StatusCode::TOO_MANY_REQUESTS, &headers),
            Some(Duration::from_secs(60))
        );
        headers.insert("retry-after", "7".parse().unwrap());
        assert_eq!(
            rate_limit_wait(StatusCode::FORBIDDEN, &headers),
            Some(Duration::from_secs(7))
        );
        let mut primary = HeaderMap::new();
        primary.insert("x-ratelimit-remaining", "0".parse().unwrap());
        primary.insert(
            "x-ratelimit-reset",
            (now() + 30).to_string().parse().unwrap(),
        );
        let wait = rate_limit_wait(StatusCode::FORBIDDEN, &primary).unwrap();
        assert!((29..=31).contains(&wait.as_secs()), "{wait:?}");
        assert_eq!(
            rate_limit_wait(StatusCode::INTERNAL_SERVER_ERROR, &headers),
            None
        );
    }

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
        assert_eq!(encode("octo:patchwright/a b"), "octo%3Apatchwright%2Fa%20b");
    }
}
