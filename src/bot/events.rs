//! GitHub Actions events → what the bot does about them. Payloads are read
//! into small typed structs that take GitHub's real payloads as they come
//! (extra fields ignored, optional ones optional).

use serde::Deserialize;

/// A comment, as the dispatcher needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentEvent {
    pub comment_id: u64,
    /// The issue or pull request it is on.
    pub number: u64,
    pub is_pull: bool,
    pub author: String,
    pub author_is_bot: bool,
    pub body: String,
}

/// What a workflow run was started for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// `schedule`, `workflow_dispatch`: a full cycle.
    Run,
    /// `issue_comment` created: maybe commands.
    Comment(CommentEvent),
    /// `pull_request` closed or reopened, `pull_request_review` submitted.
    Pull { number: u64 },
    /// `check_suite`, `workflow_run` completed: record outcomes.
    Sync,
    /// Anything else: one log line, nothing done.
    Ignore(String),
}

/// A payload that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("the `{event}` event's payload cannot be read: {message}")]
pub struct EventError {
    pub event: String,
    pub message: String,
}

#[derive(Debug, Deserialize)]
struct ActionOnly {
    #[serde(default)]
    action: Option<String>,
}

#[derive(Debug, Deserialize)]
struct IssueCommentPayload {
    action: String,
    issue: PayloadIssue,
    comment: PayloadComment,
}

#[derive(Debug, Deserialize)]
struct PayloadIssue {
    number: u64,
    #[serde(default)]
    pull_request: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct PayloadComment {
    id: u64,
    #[serde(default)]
    body: Option<String>,
    user: PayloadUser,
}

#[derive(Debug, Deserialize)]
struct PayloadUser {
    login: String,
    #[serde(rename = "type", default)]
    kind: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PullPayload {
    action: String,
    pull_request: PayloadPull,
}

#[derive(Debug, Deserialize)]
struct PayloadPull {
    number: u64,
    #[serde(default)]
    head: Option<PayloadBranch>,
    #[serde(default)]
    base: Option<PayloadBranch>,
}

#[derive(Debug, Deserialize)]
struct PayloadBranch {
    #[serde(rename = "ref", default)]
    name: Option<String>,
    #[serde(default)]
    repo: Option<PayloadRepo>,
}

#[derive(Debug, Deserialize)]
struct PayloadRepo {
    #[serde(default)]
    full_name: Option<String>,
}

impl PayloadPull {
    /// Why the bot has nothing to do with this pull request, if so: one
    /// from a fork (its runs get no secrets), or on a branch that is not
    /// one of the bot's (a person's, Dependabot's).
    fn none_of_ours(&self) -> Option<String> {
        let repo = |b: &Option<PayloadBranch>| b.as_ref()?.repo.as_ref()?.full_name.clone();
        let (head, base) = (repo(&self.head), repo(&self.base));
        if head.is_some() && base.is_some() && head != base {
            return Some(format!(
                "#{} comes from a fork ({}), not from patchwright",
                self.number,
                head.unwrap_or_default()
            ));
        }
        let branch = self.head.as_ref()?.name.as_deref()?;
        (!branch.starts_with(BRANCH_PREFIX)).then(|| {
            format!(
                "#{} is on `{branch}`, not one of patchwright's branches",
                self.number
            )
        })
    }
}

/// What every branch the bot pushes starts with.
const BRANCH_PREFIX: &str = "patchwright/";

/// Reads the event named `name` from its JSON payload.
pub fn trigger(name: &str, payload: &str) -> Result<Trigger, EventError> {
    let error = |e: serde_json::Error| EventError {
        event: name.to_owned(),
        message: e.to_string(),
    };
    let action = || -> Result<String, EventError> {
        Ok(serde_json::from_str::<ActionOnly>(payload)
            .map_err(error)?
            .action
            .unwrap_or_default())
    };
    Ok(match name {
        "schedule" | "workflow_dispatch" => Trigger::Run,
        "issue_comment" => {
            let p: IssueCommentPayload = serde_json::from_str(payload).map_err(error)?;
            if p.action != "created" {
                return Ok(Trigger::Ignore(format!(
                    "issue_comment {}: only new comments carry commands",
                    p.action
                )));
            }
            let is_bot = p.comment.user.kind.as_deref() == Some("Bot")
                || p.comment.user.login.ends_with("[bot]");
            Trigger::Comment(CommentEvent {
                comment_id: p.comment.id,
                number: p.issue.number,
                is_pull: p.issue.pull_request.is_some(),
                author: p.comment.user.login,
                author_is_bot: is_bot,
                body: p.comment.body.unwrap_or_default(),
            })
        }
        "pull_request" | "pull_request_target" => {
            let p: PullPayload = serde_json::from_str(payload).map_err(error)?;
            if let Some(why) = p.pull_request.none_of_ours() {
                return Ok(Trigger::Ignore(why));
            }
            match p.action.as_str() {
                "closed" | "reopened" => Trigger::Pull {
                    number: p.pull_request.number,
                },
                other => Trigger::Ignore(format!("{name} {other}: nothing to record")),
            }
        }
        "pull_request_review" => {
            let p: PullPayload = serde_json::from_str(payload).map_err(error)?;
            if let Some(why) = p.pull_request.none_of_ours() {
                return Ok(Trigger::Ignore(why));
            }
            match p.action.as_str() {
                "submitted" => Trigger::Pull {
                    number: p.pull_request.number,
                },
                other => Trigger::Ignore(format!("pull_request_review {other}: nothing to record")),
            }
        }
        "check_suite" | "workflow_run" => match action()?.as_str() {
            "completed" => Trigger::Sync,
            other => Trigger::Ignore(format!("{name} {other}: waiting for it to complete")),
        },
        other => Trigger::Ignore(format!(
            "the `{other}` event is not one patchwright acts on"
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/events")
                .join(name),
        )
        .unwrap()
    }

    /// A pull request fixture (GitHub's own examples, on a branch named
    /// `changes`) as patchwright's: on one of its branches.
    fn ours(name: &str) -> String {
        let mut event: serde_json::Value = serde_json::from_str(&fixture(name)).unwrap();
        event["pull_request"]["head"]["ref"] = "patchwright/len-zero/1a2b3c4d".into();
        event.to_string()
    }

    #[test]
    fn pull_requests_of_forks_and_of_other_branches_are_none_of_its_business() {
        let theirs = fixture("pull_request.closed.merged.json");
        let Ok(Trigger::Ignore(why)) = trigger("pull_request", &theirs) else {
            panic!("a person's branch")
        };
        assert_eq!(why, "#2 is on `changes`, not one of patchwright's branches");
        let mut fork: serde_json::Value =
            serde_json::from_str(&ours("pull_request.closed.merged.json")).unwrap();
        fork["pull_request"]["head"]["repo"]["full_name"] = "mallory/Hello-World".into();
        let Ok(Trigger::Ignore(why)) = trigger("pull_request", &fork.to_string()) else {
            panic!("a fork")
        };
        assert_eq!(
            why,
            "#2 comes from a fork (mallory/Hello-World), not from patchwright"
        );
        let review = fixture("pull_request_review.submitted.json");
        assert!(matches!(
            trigger("pull_request_review", &review),
            Ok(Trigger::Ignore(_))
        ));
    }

    #[test]
    fn real_payloads_parse_into_triggers() {
        assert_eq!(
            trigger("schedule", &fixture("schedule.json")).unwrap(),
            Trigger::Run
        );
        assert_eq!(
            trigger("workflow_dispatch", &fixture("workflow_dispatch.json")).unwrap(),
            Trigger::Run
        );
        let Trigger::Comment(c) = trigger(
            "issue_comment",
            &fixture("issue_comment.created.pull_request.json"),
        )
        .unwrap() else {
            panic!("a comment")
        };
        assert!(c.is_pull && !c.author_is_bot);
        assert_eq!((c.number, c.author.as_str()), (1, "Codertocat"));
        let Trigger::Comment(c) = trigger(
            "issue_comment",
            &fixture("issue_comment.created.issue.json"),
        )
        .unwrap() else {
            panic!("a comment")
        };
        assert!(!c.is_pull);
        assert!(matches!(
            trigger("issue_comment", &fixture("issue_comment.deleted.json")).unwrap(),
            Trigger::Ignore(_)
        ));
        assert_eq!(
            trigger("pull_request", &ours("pull_request.closed.merged.json")).unwrap(),
            Trigger::Pull { number: 2 }
        );
        assert_eq!(
            trigger("pull_request", &ours("pull_request.closed.unmerged.json")).unwrap(),
            Trigger::Pull { number: 2 }
        );
        assert_eq!(
            trigger("pull_request", &ours("pull_request.reopened.json")).unwrap(),
            Trigger::Pull { number: 2 }
        );
        assert!(matches!(
            trigger("pull_request", &fixture("pull_request.labeled.json")).unwrap(),
            Trigger::Ignore(_)
        ));
        assert!(matches!(
            trigger(
                "pull_request_review",
                &ours("pull_request_review.submitted.json")
            )
            .unwrap(),
            Trigger::Pull { .. }
        ));
        assert_eq!(
            trigger("check_suite", &fixture("check_suite.completed.json")).unwrap(),
            Trigger::Sync
        );
        assert_eq!(
            trigger("workflow_run", &fixture("workflow_run.completed.json")).unwrap(),
            Trigger::Sync
        );
        assert!(matches!(trigger("push", "{}").unwrap(), Trigger::Ignore(_)));
    }

    #[test]
    fn bots_are_recognised_and_bad_payloads_are_errors() {
        let payload = fixture("issue_comment.created.issue.json")
            .replace("\"type\": \"User\"", "\"type\": \"Bot\"");
        let Trigger::Comment(c) = trigger("issue_comment", &payload).unwrap() else {
            panic!()
        };
        assert!(c.author_is_bot);
        let err = trigger("issue_comment", "{\"action\": \"created\"}").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("the `issue_comment` event's payload cannot be read: missing field"),
            "{err}"
        );
    }
}
