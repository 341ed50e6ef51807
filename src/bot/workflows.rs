//! The repository's own workflows, as far as the bot's commands depend on
//! them: a workflow starts a job for a comment only when its filter finds
//! the command prefix, so a `commands.prefix` the filter does not name
//! would leave every command unanswered, silently. The run says so.

use crate::bot::context::{Bot, CycleError};
use crate::vocab::git_names::CommitSha;

const WORKFLOWS: &str = ".github/workflows";

/// A warning when the workflows that run patchwright on comments filter on
/// a prefix other than `commands.prefix`.
pub fn prefix_warning(bot: &Bot<'_>, commit: &CommitSha) -> Result<Option<String>, CycleError> {
    let prefix = &bot.config.commands.prefix;
    let files = bot.repo.files_in(commit, WORKFLOWS)?;
    let texts: Vec<(String, String)> = files
        .into_iter()
        .filter(|(name, _)| name.ends_with(".yml") || name.ends_with(".yaml"))
        .map(|(name, bytes)| (name, String::from_utf8_lossy(&bytes).into_owned()))
        .collect();
    Ok(unheard(prefix, &texts))
}

/// The workflows (name, text) that run patchwright on comments and filter
/// the comment's body, none of them for `prefix`: the warning.
fn unheard(prefix: &str, workflows: &[(String, String)]) -> Option<String> {
    let filtering: Vec<&String> = workflows
        .iter()
        .filter(|(_, text)| {
            text.contains("patchwright")
                && text.contains("issue_comment")
                && text.contains("github.event.comment.body")
        })
        .map(|(name, _)| name)
        .collect();
    if filtering.is_empty()
        || workflows
            .iter()
            .any(|(name, text)| filtering.contains(&name) && text.contains(prefix))
    {
        return None;
    }
    Some(format!(
        "commands.prefix is `{prefix}`, but the comment filter of {} does not name it: comments with commands start no job. Put `{prefix}` in its `contains(github.event.comment.body, …)`",
        filtering
            .iter()
            .map(|n| format!("`{WORKFLOWS}/{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workflow(filter: &str) -> Vec<(String, String)> {
        vec![(
            "patchwright.yml".to_owned(),
            format!(
                "on:\n  issue_comment:\n    types: [created]\njobs:\n  patchwright:\n    if: contains(github.event.comment.body, '{filter}')\n    steps:\n      - uses: octo/patchwright@v0\n"
            ),
        )]
    }

    #[test]
    fn a_prefix_the_filter_does_not_name_is_said() {
        assert_eq!(unheard("/patchwright", &workflow("/patchwright")), None);
        insta::assert_snapshot!(
            unheard("/bot", &workflow("/patchwright")).unwrap(),
            @"commands.prefix is `/bot`, but the comment filter of `.github/workflows/patchwright.yml` does not name it: comments with commands start no job. Put `/bot` in its `contains(github.event.comment.body, …)`"
        );
        assert_eq!(unheard("/bot", &workflow("/bot")), None);
        // Other workflows, and none at all, say nothing.
        assert_eq!(
            unheard("/bot", &[("ci.yml".into(), "on: push".into())]),
            None
        );
        assert_eq!(unheard("/bot", &[]), None);
    }
}
