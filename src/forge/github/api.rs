//! The shapes of GitHub's answers that the forge reads: only the fields it
//! uses, every other field ignored. Several of octocrab's typed models do
//! not fit what GitHub returns (permissions, check runs, combined
//! statuses), so these are our own.

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
pub struct ApiPull {
    pub number: u64,
    pub state: String,
    #[serde(default)]
    pub merged: Option<bool>,
    #[serde(default)]
    pub merge_commit_sha: Option<String>,
    #[serde(default)]
    pub merged_at: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub labels: Vec<ApiLabel>,
    pub head: ApiHead,
}

#[derive(Debug, Deserialize)]
pub struct ApiLabel {
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub struct ApiHead {
    #[serde(rename = "ref")]
    pub ref_name: String,
}

#[derive(Debug, Deserialize)]
pub struct ApiIssue {
    pub number: u64,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub user: Option<ApiUser>,
    #[serde(default)]
    pub pull_request: Option<Value>,
}

/// A comment, as much of it as patchwright reads.
#[derive(Debug, Clone, Deserialize)]
pub struct ApiComment {
    pub id: u64,
    #[serde(default)]
    pub body: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ApiReview {
    pub state: String,
    #[serde(default)]
    pub user: Option<ApiUser>,
}

#[derive(Debug, Deserialize)]
pub struct ApiUser {
    pub login: String,
    /// `User`, `Bot` or `Organization`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ApiPermission {
    pub permission: String,
    #[serde(default)]
    pub role_name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ApiCheckRuns {
    #[serde(default)]
    pub total_count: u64,
    #[serde(default)]
    pub check_runs: Vec<ApiCheckRun>,
}

#[derive(Debug, Deserialize)]
pub struct ApiCheckRun {
    #[serde(default)]
    pub id: Option<u64>,
    pub name: String,
    pub status: String,
    #[serde(default)]
    pub conclusion: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub details_url: Option<String>,
    #[serde(default)]
    pub completed_at: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ApiCombinedStatus {
    #[serde(default)]
    pub statuses: Vec<ApiStatus>,
}

#[derive(Debug, Deserialize)]
pub struct ApiStatus {
    pub context: String,
    pub state: String,
    #[serde(default)]
    pub target_url: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// A branch, for its protection's required checks.
#[derive(Debug, Default, Deserialize)]
pub struct ApiBranch {
    #[serde(default)]
    pub protection: Option<ApiProtection>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ApiProtection {
    #[serde(default)]
    pub required_status_checks: Option<ApiRequiredChecks>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ApiRequiredChecks {
    #[serde(default)]
    pub contexts: Vec<String>,
    #[serde(default)]
    pub checks: Vec<ApiRequiredCheck>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ApiRequiredCheck {
    pub context: String,
}

impl ApiBranch {
    /// The check names its protection requires.
    pub fn required(&self) -> Vec<String> {
        let Some(checks) = self
            .protection
            .as_ref()
            .and_then(|p| p.required_status_checks.as_ref())
        else {
            return Vec::new();
        };
        checks
            .contexts
            .iter()
            .cloned()
            .chain(checks.checks.iter().map(|c| c.context.clone()))
            .collect()
    }
}

/// A ruleset rule that applies to a branch.
#[derive(Debug, Deserialize)]
pub struct ApiRule {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub parameters: Option<ApiRuleParameters>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ApiRuleParameters {
    #[serde(default)]
    pub required_status_checks: Vec<ApiRequiredCheck>,
}

impl ApiRule {
    /// The check names a `required_status_checks` rule requires.
    pub fn required(&self) -> Vec<String> {
        match (&*self.kind, &self.parameters) {
            ("required_status_checks", Some(p)) => p
                .required_status_checks
                .iter()
                .map(|c| c.context.clone())
                .collect(),
            _ => Vec::new(),
        }
    }
}
