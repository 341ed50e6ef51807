//! What a person can ask for in a comment, and how `help` describes it.
//! Every command is described in one `match`, so a new command without
//! help does not compile.

use crate::store::ledger::CloseKind;
use crate::vocab::ids::SkillId;
use crate::vocab::rel_path::RelPath;

/// What a person can ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Help,
    /// Reply with a summary of the findings on the default branch.
    Scan,
    /// One full cycle now.
    Run,
    /// Propose this skill's fixes now (optionally only under `path`),
    /// beyond the per-run limit but within the open-proposal limit.
    Fix {
        skill: SkillId,
        path: Option<RelPath>,
    },
    /// On a bot pull request: rebuild it from the current default branch.
    Recreate,
    /// On a bot pull request: close it, for a reason ("wrong" and
    /// "unwanted" reject its findings for good, "later" for a while).
    Ignore {
        why: CloseKind,
    },
    /// On a bot pull request: pause its skill.
    IgnoreSkill,
    /// On a bot pull request: why it was proposed.
    Explain,
    /// Every rejected finding and paused skill.
    Ignored,
    /// Lift one rejection (a fingerprint) or pause (a skill).
    Unignore {
        target: String,
    },
    Pause {
        skill: SkillId,
    },
    /// With a skill, lift its pause; without one, clear the stop flag.
    Resume {
        skill: Option<SkillId>,
    },
    /// Stop proposing anything until `resume`.
    Stop,
    Stats,
    /// On patchwright's own repository: scaffold a skill and propose it.
    SkillNew {
        name: String,
        description: String,
    },
    /// Revert a merged pull request now: this one, or the one numbered.
    Revert {
        number: Option<u64>,
    },
}

impl Command {
    /// Whether the command changes nothing but the ledger (or nothing at
    /// all): such commands of one comment are written as one ledger commit.
    /// The others push branches or close pull requests, and write the
    /// ledger as they go so a killed run is healed by the next.
    pub fn only_changes_the_ledger(&self) -> bool {
        match self {
            Command::Help
            | Command::Scan
            | Command::IgnoreSkill
            | Command::Explain
            | Command::Ignored
            | Command::Unignore { .. }
            | Command::Pause { .. }
            | Command::Resume { .. }
            | Command::Stop
            | Command::Stats => true,
            Command::Run
            | Command::Fix { .. }
            | Command::Recreate
            | Command::Ignore { .. }
            | Command::SkillNew { .. }
            | Command::Revert { .. } => false,
        }
    }

    /// How to write the command, and what it does (for `help`). Every
    /// variant must be described here: a new command without help does not
    /// compile.
    pub fn describe(&self) -> (&'static str, &'static str) {
        match self {
            Command::Help => ("help", "this list"),
            Command::Scan => (
                "scan",
                "reply with what the skills find on the default branch",
            ),
            Command::Run => ("run", "run the bot now: record outcomes, scan, propose"),
            Command::Fix { skill: _, path: _ } => (
                "fix <skill> [<path>]",
                "propose that skill's fixes now (only under <path>, if given), beyond the per-run limit",
            ),
            Command::Recreate => (
                "rebase",
                "on a patchwright pull request: rebuild it on the current default branch (`recreate` does the same)",
            ),
            Command::Ignore { why: _ } => (
                "ignore [wrong|unwanted|later]",
                "on a patchwright pull request: close it; wrong or unwanted (the default) never propose its findings again, later not for a while",
            ),
            Command::Explain => (
                "explain",
                "on a patchwright pull request: why it was proposed",
            ),
            Command::Ignored => (
                "ignored",
                "every rejected finding and paused skill, with who, when and why",
            ),
            Command::Unignore { target: _ } => (
                "unignore <fingerprint|skill>",
                "lift a finding's rejection or a skill's pause",
            ),
            Command::IgnoreSkill => (
                "ignore skill",
                "on a patchwright pull request: pause its skill",
            ),
            Command::Pause { skill: _ } => ("pause <skill>", "stop proposing that skill"),
            Command::Resume { skill: _ } => (
                "resume [<skill>]",
                "lift a skill's pause, or (without one) the stop",
            ),
            Command::Stop => ("stop", "stop proposing anything until `resume`"),
            Command::Stats => ("stats", "what became of each skill's proposals"),
            Command::SkillNew {
                name: _,
                description: _,
            } => (
                "skill new <name> \"<description>\"",
                "on patchwright's own repository: scaffold a new skill and propose it",
            ),
            Command::Revert { number: _ } => (
                "revert [<number>]",
                "revert a merged patchwright pull request (this one, or #<number>) now",
            ),
        }
    }

    /// One of each, in the order `help` lists them.
    pub fn all() -> Vec<Command> {
        let skill = SkillId::new("skill").unwrap_or_else(|_| unreachable!("a valid id"));
        vec![
            Command::Help,
            Command::Scan,
            Command::Run,
            Command::Fix {
                skill: skill.clone(),
                path: None,
            },
            Command::Recreate,
            Command::Ignore {
                why: CloseKind::Unwanted,
            },
            Command::IgnoreSkill,
            Command::Explain,
            Command::Ignored,
            Command::Unignore {
                target: String::new(),
            },
            Command::Pause { skill },
            Command::Resume { skill: None },
            Command::Stop,
            Command::Stats,
            Command::SkillNew {
                name: String::new(),
                description: String::new(),
            },
            Command::Revert { number: None },
        ]
    }

    /// Whether it only makes sense on one of patchwright's pull requests.
    pub fn needs_bot_pull(&self) -> bool {
        matches!(
            self,
            Command::Recreate | Command::Ignore { .. } | Command::IgnoreSkill | Command::Explain
        )
    }
}

/// The help text.
pub fn help(prefix: &str) -> String {
    let mut out = format!("Commands (one per line, each starting with `{prefix}`):\n\n");
    for command in Command::all() {
        let (usage, what) = command.describe();
        out.push_str(&format!("- `{prefix} {usage}`: {what}\n"));
    }
    out.push_str("\nOnly people with write access to the repository can give commands.\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_PREFIX;

    #[test]
    fn help_lists_every_command() {
        insta::assert_snapshot!(help(DEFAULT_PREFIX), @r#"
        Commands (one per line, each starting with `/patchwright`):

        - `/patchwright help`: this list
        - `/patchwright scan`: reply with what the skills find on the default branch
        - `/patchwright run`: run the bot now: record outcomes, scan, propose
        - `/patchwright fix <skill> [<path>]`: propose that skill's fixes now (only under <path>, if given), beyond the per-run limit
        - `/patchwright rebase`: on a patchwright pull request: rebuild it on the current default branch (`recreate` does the same)
        - `/patchwright ignore [wrong|unwanted|later]`: on a patchwright pull request: close it; wrong or unwanted (the default) never propose its findings again, later not for a while
        - `/patchwright ignore skill`: on a patchwright pull request: pause its skill
        - `/patchwright explain`: on a patchwright pull request: why it was proposed
        - `/patchwright ignored`: every rejected finding and paused skill, with who, when and why
        - `/patchwright unignore <fingerprint|skill>`: lift a finding's rejection or a skill's pause
        - `/patchwright pause <skill>`: stop proposing that skill
        - `/patchwright resume [<skill>]`: lift a skill's pause, or (without one) the stop
        - `/patchwright stop`: stop proposing anything until `resume`
        - `/patchwright stats`: what became of each skill's proposals
        - `/patchwright skill new <name> "<description>"`: on patchwright's own repository: scaffold a new skill and propose it
        - `/patchwright revert [<number>]`: revert a merged patchwright pull request (this one, or #<number>) now

        Only people with write access to the repository can give commands.
        "#);
    }
}
