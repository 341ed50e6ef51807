//! Markdown rendered from the templates in `templates/` (minijinja): the
//! body of a proposal's pull request and the dashboard issue.

use std::collections::BTreeMap;

use minijinja::Environment;
use serde::Serialize;

use crate::store::ledger::Hold;

const PULL: &str = include_str!("../../templates/pull.md.j2");
const DASHBOARD: &str = include_str!("../../templates/dashboard.md.j2");
const REVERT: &str = include_str!("../../templates/revert.md.j2");

/// A finding as a pull request or the dashboard lists it.
#[derive(Debug, Clone, Serialize)]
pub struct ListedFinding {
    pub skill: String,
    pub path: String,
    pub line: usize,
    pub message: String,
}

/// What a proposal's pull request says.
#[derive(Debug, Clone, Serialize)]
pub struct PullBody<'a> {
    pub skill: &'a str,
    pub risk: String,
    pub rationale: &'a str,
    pub findings: Vec<ListedFinding>,
    pub files: usize,
    pub added: usize,
    pub removed: usize,
    pub fingerprints: Vec<String>,
    pub prefix: &'a str,
    /// How long "not now" lasts.
    pub later_days: u64,
    /// How the fixes were compiled before they were proposed.
    pub validation: Option<&'a str>,
    /// Why no CI will run on it, when none will.
    pub no_ci: Option<&'a str>,
}

/// A row of the dashboard's open proposals.
#[derive(Debug, Clone, Serialize)]
pub struct OpenRow {
    pub link: String,
    pub title: String,
    pub skill: String,
    pub checks: String,
    pub opened: String,
}

/// What the dashboard shows.
#[derive(Debug, Clone, Serialize)]
pub struct Dashboard<'a> {
    /// A warning that stays on top while it holds.
    pub banner: Option<&'a str>,
    pub stopped: Option<&'a Hold>,
    pub last_run: String,
    pub last_result: String,
    pub open: Vec<OpenRow>,
    pub waiting: Vec<ListedFinding>,
    pub held_back: BTreeMap<String, usize>,
    pub paused: BTreeMap<String, &'a Hold>,
    pub warnings: Vec<String>,
    /// Every rejection and pause, folded (absent when there are none).
    pub ignored: Option<String>,
    /// The open-pull-request limit and why it is what it is.
    pub pace: String,
    /// One sentence per skill with history.
    pub skills: Vec<String>,
    pub help: String,
    pub prefix: &'a str,
}

fn render<T: Serialize>(name: &str, source: &str, data: &T) -> String {
    let mut env = Environment::new();
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    // The templates are part of the binary and tested; an error here is a bug.
    let rendered = env
        .add_template(name, source)
        .and_then(|()| env.get_template(name))
        .and_then(|t| t.render(minijinja::value::Serde(data)));
    match rendered {
        Ok(text) => text,
        Err(e) => {
            tracing::error!("template {name} failed: {e:#}");
            format!("(patchwright could not render this text: {e})\n")
        }
    }
}

/// Why a revert was opened: the evidence.
#[derive(Debug, Clone, Serialize)]
pub struct RevertBody<'a> {
    /// `#12`, or the merge commit when there is no pull request.
    pub original: String,
    pub original_title: &'a str,
    pub merge: String,
    /// Who asked, for a revert on request (then there is no check evidence).
    pub asked_by: Option<&'a str>,
    pub red: String,
    /// Failing checks, as markdown links where there is a URL.
    pub failing: Vec<String>,
    pub parent: String,
    pub passing: Vec<String>,
    pub reruns: u32,
    /// The failing checks that were re-run (`reruns` times).
    pub reran: Vec<String>,
    /// The failing checks that could not be re-run.
    pub not_rerun: Vec<String>,
    pub default_branch: &'a str,
}

pub fn revert_body(body: &RevertBody<'_>) -> String {
    format!("{}\n", render("revert.md", REVERT, body).trim_end())
}

pub fn pull_body(body: &PullBody<'_>) -> String {
    render("pull.md", PULL, body)
}

/// What a proposal's commit says: the pull request's title, one plain
/// paragraph, and trailers `git interpret-trailers` reads. The markdown,
/// with its tick-boxes and commands, stays in the pull request's body, so
/// merging leaves none of it in history.
#[derive(Debug, Clone)]
pub struct CommitMessage<'a> {
    pub title: &'a str,
    /// One plain paragraph: what the change does and why.
    pub summary: &'a str,
    pub skill: &'a str,
    pub proposal: &'a str,
    pub fingerprints: Vec<&'a str>,
}

pub fn commit_message(message: &CommitMessage<'_>) -> String {
    format!(
        "{}\n\n{}\n\nPatchwright-Skill: {}\nPatchwright-Proposal: {}\nPatchwright-Fingerprints: {}\n",
        message.title.trim(),
        wrap(message.summary, 72),
        message.skill,
        message.proposal,
        message.fingerprints.join(" ")
    )
}

/// The commit summary of a skill's fixes.
pub fn fix_summary(skill: &str, findings: usize, files: usize, rationale: &str) -> String {
    let plural = |n: usize, one: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {one}s")
        }
    };
    format!(
        "patchwright's {skill} skill fixes {} in {}. {}",
        plural(findings, "finding"),
        plural(files, "file"),
        rationale.trim()
    )
}

/// `text` as lines of at most `width` characters, broken at spaces (a
/// longer word keeps its own line).
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len());
    let mut line = 0;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if line > 0 && line + 1 + len > width {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += len;
    }
    out
}

pub fn dashboard(dashboard: &Dashboard<'_>) -> String {
    format!(
        "{}\n",
        render("dashboard.md", DASHBOARD, dashboard).trim_end()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ledger::CloseKind;
    use crate::vocab::time::Timestamp;

    fn finding(n: usize) -> ListedFinding {
        ListedFinding {
            skill: "len-zero".into(),
            path: "src/lib.rs".into(),
            line: n,
            message: format!("message {n}"),
        }
    }

    #[test]
    fn commit_messages_are_a_subject_a_paragraph_and_trailers() {
        let summary = fix_summary(
            "len-zero",
            2,
            1,
            "Comparing `len()` with zero says how many when the question is whether any; `is_empty()` says what is meant and can be cheaper.",
        );
        let message = commit_message(&CommitMessage {
            title: "Use `is_empty()` in `demo` (2 places)",
            summary: &summary,
            skill: "len-zero",
            proposal: "len-zero/1a2b3c4d",
            fingerprints: vec!["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"],
        });
        insta::assert_snapshot!(message, @"
        Use `is_empty()` in `demo` (2 places)

        patchwright's len-zero skill fixes 2 findings in 1 file. Comparing
        `len()` with zero says how many when the question is whether any;
        `is_empty()` says what is meant and can be cheaper.

        Patchwright-Skill: len-zero
        Patchwright-Proposal: len-zero/1a2b3c4d
        Patchwright-Fingerprints: aaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbb
        ");
        assert!(
            message
                .lines()
                .all(|l| l.chars().count() <= 72 || l.starts_with("Patchwright-"))
        );
    }

    #[test]
    fn pull_bodies_say_what_why_and_how_to_steer() {
        let body = pull_body(&PullBody {
            skill: "len-zero",
            risk: "low".into(),
            rationale: "It reads better.",
            findings: vec![finding(3), finding(9)],
            files: 1,
            added: 2,
            removed: 2,
            fingerprints: vec!["aaaaaaaaaaaaaaaa".into(), "bbbbbbbbbbbbbbbb".into()],
            prefix: "/patchwright",
            later_days: 30,
            no_ci: None,
            validation: Some(
                "Compiled with `cargo check --workspace --all-targets` before it was proposed (round 1 of 3).",
            ),
        });
        insta::assert_snapshot!(body, @"
        patchwright's `len-zero` skill (risk: **low**) fixes 2 findings in 1 file (+2 −2 lines).

        ### What was found

        - `src/lib.rs:3` message 3
        - `src/lib.rs:9` message 9

        Compiled with `cargo check --workspace --all-targets` before it was proposed (round 1 of 3).

        ### Why it matters

        It reads better.

        ### What you can do

        - Review and merge it; its checks run like any pull request's.
        - `/patchwright rebase` rebuilds it on the current default branch.
        - `/patchwright explain` says why it was proposed and how `len-zero` is scored.
        - `/patchwright ignore skill` pauses the `len-zero` skill.

        ### Closing it?

        Tick a reason before closing, or close it with the command; patchwright learns from which:

        - [ ] The fix is wrong (`/patchwright ignore wrong`): never proposed again; counts twice against `len-zero` <!-- patchwright:why wrong -->
        - [ ] Not wanted here (`/patchwright ignore unwanted`, the same as closing without a reason): never proposed again <!-- patchwright:why unwanted -->
        - [ ] Not now (`/patchwright ignore later`): may be proposed again after 30 days <!-- patchwright:why later -->

        <!-- patchwright:fingerprints aaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbb -->
        ");
        // Each box, ticked, is read back as its reason when the pull request closes.
        for kind in [CloseKind::Wrong, CloseKind::Unwanted, CloseKind::Later] {
            let marker = format!("<!-- patchwright:why {kind} -->");
            let ticked: String = body
                .lines()
                .map(|l| {
                    if l.contains(&marker) {
                        l.replacen("- [ ]", "- [x]", 1)
                    } else {
                        l.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join("\n");
            assert_eq!(crate::store::ledger::ticked_reason(&ticked), Some(kind));
        }
        assert_eq!(crate::store::ledger::ticked_reason(&body), None);
    }

    #[test]
    fn revert_bodies_link_the_failing_and_the_passing_checks() {
        let body = revert_body(&RevertBody {
            original: "#12".into(),
            original_title: "Use `is_empty()`",
            merge: "1a2b3c4d".into(),
            asked_by: None,
            red: "1a2b3c4d".into(),
            failing: vec!["[test](https://example.com/runs/7)".into()],
            parent: "0f0f0f0f".into(),
            passing: vec!["[test](https://example.com/runs/6)".into(), "lint".into()],
            reruns: 1,
            reran: vec!["`test`".into()],
            not_rerun: vec!["`coverage`".into()],
            default_branch: "main",
        });
        insta::assert_snapshot!(body, @r#"
        This reverts #12 ("Use `is_empty()`"), merged as 1a2b3c4d.

        ### Why

        After it merged, these checks failed on 1a2b3c4d:

        - [test](https://example.com/runs/7)

        They passed on 0f0f0f0f, the commit before the merge:

        - [test](https://example.com/runs/6)
        - lint

        `test` was re-run 1 time and failed again, so it is not a flake.

        `coverage` could not be re-run (it is a commit status or another app's check, which only its own app can re-run), so a flake there is not ruled out.

        ### What it changes

        Only the files #12 changed, back to how they were before it. Merge this to get `main` green again; close it if the failure has another cause.
        "#);
        let asked = revert_body(&RevertBody {
            asked_by: Some("ana"),
            failing: vec![],
            passing: vec![],
            reruns: 0,
            original_title: "",
            ..RevertBody {
                original: "#12".into(),
                original_title: "",
                merge: "1a2b3c4d".into(),
                asked_by: None,
                red: String::new(),
                failing: vec![],
                parent: String::new(),
                passing: vec![],
                reruns: 0,
                reran: vec![],
                not_rerun: vec![],
                default_branch: "main",
            }
        });
        assert!(
            asked.contains("### Why\n\n@ana asked for it.\n\n### What it changes"),
            "{asked}"
        );
    }

    #[test]
    fn the_dashboard_shows_state_proposals_waiting_pauses_and_warnings() {
        let hold = Hold {
            at: Timestamp(0),
            by: "ana".into(),
            reason: "noisy".into(),
        };
        let text = dashboard(&Dashboard {
            banner: None,
            stopped: Some(&hold),
            last_run: "2026-11-25T20:00:00Z".into(),
            last_result: "1 proposed".into(),
            open: vec![OpenRow {
                link: "#12".into(),
                title: "Use `is_empty()`".into(),
                skill: "len-zero".into(),
                checks: "passed".into(),
                opened: "2026-11-25T19:00:00Z".into(),
            }],
            waiting: vec![finding(4)],
            held_back: BTreeMap::from([("limits.max_prs_per_run is reached".into(), 3)]),
            paused: BTreeMap::from([("derive-debug".into(), &hold)]),
            warnings: vec!["no checks".into()],
            ignored: Some(
                "<details><summary>Ignored: 1 finding</summary>\n\nthe list\n</details>".into(),
            ),
            pace: "Up to 5 open pull requests.".into(),
            skills: vec!["`len-zero`: 1 of 1 merged".into()],
            help: "help text".into(),
            prefix: "/patchwright",
        });
        // The time stamp is a line of its own (`forge::DASHBOARD_STAMP`), so
        // a run that changes nothing else leaves the dashboard alone.
        assert!(text.lines().any(|l| l.starts_with("Updated ")));
        insta::assert_snapshot!(text, @"
        **Stopped** by ana at 1970-01-01T00:00:00Z (noisy): runs only record outcomes. `/patchwright resume` starts proposing again.
        Last result: 1 proposed.
        Updated 2026-11-25T20:00:00Z.

        ### Open proposals

        Up to 5 open pull requests.

        | pull request | skill | checks | opened |
        |---|---|---|---|
        | #12 Use `is_empty()` | `len-zero` | passed | 2026-11-25T19:00:00Z |

        ### Findings not proposed yet

        - `src/lib.rs:4` `len-zero`: message 4
        - 3 findings wait because limits.max_prs_per_run is reached

        ### Paused skills

        - `derive-debug` by ana at 1970-01-01T00:00:00Z: noisy (`/patchwright resume derive-debug`)

        <details><summary>Ignored: 1 finding</summary>

        the list
        </details>

        ### Skills

        - `len-zero`: 1 of 1 merged

        ### Warnings

        - no checks

        <details><summary>Commands</summary>

        help text
        </details>
        ");
    }
}
