//! The local forge: a pull request is a proposal branch plus its ledger
//! record. It is merged once its commit is in the default branch (or, for a
//! squash merge, once its changes are), closed when its branch is deleted
//! without that. Checks run a configured command in a temporary copy of the
//! proposal: the local sandbox.

use crate::vocab::time::Timestamp;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{Forge, ForgeError, PullDraft, PullState, Reaction, Rerun};
use crate::store::checks::{CheckRun, Checks};
use crate::store::files;
use crate::store::ledger::{Proposal, PullRef};
use crate::store::repo::Repo;
use crate::vocab::access::Permission;
use crate::vocab::git_names::{BranchName, CommitSha};

/// How far back the default branch is searched for a merge.
const SQUASH_SEARCH: usize = 500;
/// How much of a failing check's output is kept.
const TAIL_BYTES: usize = 4000;

#[derive(Debug)]
pub struct LocalForge<'r> {
    repo: &'r Repo,
    default_branch: BranchName,
    check: CheckCommand,
}

/// A command line run without a shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckCommand {
    pub argv: Vec<String>,
    pub timeout: Duration,
    /// A build directory kept between checks, so each one builds only what changed.
    pub target_dir: Option<PathBuf>,
}

impl CheckCommand {
    /// Splits `command` on whitespace; double quotes group words.
    pub fn parse(
        command: &str,
        timeout: Duration,
        target_dir: Option<PathBuf>,
    ) -> Result<Self, String> {
        let mut argv = Vec::new();
        let mut word = String::new();
        let mut quoted = false;
        let mut in_word = false;
        for c in command.chars() {
            match c {
                '"' => {
                    quoted = !quoted;
                    in_word = true;
                }
                c if c.is_whitespace() && !quoted => {
                    if in_word {
                        argv.push(std::mem::take(&mut word));
                        in_word = false;
                    }
                }
                c => {
                    word.push(c);
                    in_word = true;
                }
            }
        }
        if quoted {
            return Err(format!(
                "the check command `{command}` has an unclosed quote"
            ));
        }
        if in_word {
            argv.push(word);
        }
        if argv.is_empty() {
            return Err("the check command is empty".into());
        }
        Ok(Self {
            argv,
            timeout,
            target_dir,
        })
    }

    /// Runs the command in `dir`; a timeout kills its whole process group.
    pub fn run(&self, dir: &Path) -> Result<CommandRun, std::io::Error> {
        let log = tempfile::tempfile()?;
        let mut command = Command::new(&self.argv[0]);
        command
            .args(&self.argv[1..])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log.try_clone()?);
        if let Some(target) = &self.target_dir {
            command.env("CARGO_TARGET_DIR", target);
        }
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            command.process_group(0);
        }
        let started = Instant::now();
        let mut child = command.spawn()?;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break Some(status);
            }
            if started.elapsed() > self.timeout {
                kill_group(&mut child);
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let mut output = String::new();
        let mut log = log;
        use std::io::Seek;
        log.rewind()?;
        let mut bytes = Vec::new();
        log.read_to_end(&mut bytes)?;
        output.push_str(&String::from_utf8_lossy(&bytes));
        Ok(CommandRun {
            passed: status.is_some_and(|s| s.success()),
            timed_out: status.is_none(),
            tail: tail(&output, TAIL_BYTES),
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    pub fn display(&self) -> String {
        self.argv.join(" ")
    }
}

#[cfg(unix)]
fn kill_group(child: &mut std::process::Child) {
    // The command was started as the leader of its own process group, so
    // this reaches what it spawned too (cargo's rustc and test processes).
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid signals a process group; it
        // touches no memory of ours.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
}

#[cfg(not(unix))]
fn kill_group(child: &mut std::process::Child) {
    let _ = child.kill();
}

/// The last `max` bytes of `text`, cut at a line start.
fn tail(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let cut = &text[start..];
    match cut.find('\n') {
        Some(i) => cut[i + 1..].to_owned(),
        None => cut.to_owned(),
    }
}

/// What one check run did.
#[derive(Debug, Clone)]
pub struct CommandRun {
    pub passed: bool,
    pub timed_out: bool,
    pub tail: String,
    pub seconds: f64,
}

impl<'r> LocalForge<'r> {
    pub fn new(repo: &'r Repo, default_branch: BranchName, check: CheckCommand) -> Self {
        Self {
            repo,
            default_branch,
            check,
        }
    }

    /// The first commit on the default branch's first-parent line that has
    /// the proposal's changes: the merge commit (or the commit itself for a
    /// fast-forward), or a squash/rebase commit whose files match.
    fn merged_at(&self, proposal: &Proposal) -> Result<Option<CommitSha>, ForgeError> {
        let Some(tip) = self.repo.branch_tip(&self.default_branch)? else {
            return Ok(None);
        };
        let chain = self.repo.first_parents(&tip, SQUASH_SEARCH)?;
        if self.repo.is_ancestor(&proposal.head, &tip)? {
            // Newest first: the last commit that still contains the head.
            let mut merge = tip.clone();
            for commit in &chain {
                if self.repo.is_ancestor(&proposal.head, commit)? {
                    merge = commit.clone();
                } else {
                    break;
                }
            }
            return Ok(Some(merge));
        }
        // A squash or rebase merge: the oldest commit after the base, on the
        // first-parent line, that already has all of the proposal's changes.
        let mut found = None;
        for commit in &chain {
            if *commit == proposal.base || !self.repo.is_ancestor(&proposal.base, commit)? {
                break;
            }
            if self
                .repo
                .contains_changes(commit, &proposal.base, &proposal.head)?
            {
                found = Some(commit.clone());
            } else if found.is_some() {
                break;
            }
        }
        Ok(found)
    }
}

impl LocalForge<'_> {
    /// Runs the check command in a temporary copy of `commit`.
    fn run_checks(&self, commit: &CommitSha) -> Result<Checks, ForgeError> {
        let dir = tempfile::Builder::new()
            .prefix("patchwright-check-")
            .tempdir()
            .map_err(|e| {
                ForgeError::Other(format!("cannot make a directory for the check: {e}"))
            })?;
        self.repo.export(commit, dir.path())?;
        tracing::info!(
            "checking {} with `{}`",
            commit.short(),
            self.check.display()
        );
        let run = self.check.run(dir.path()).map_err(|e| {
            ForgeError::Other(format!("cannot run `{}`: {e}", self.check.display()))
        })?;
        // The name stays the command's, so a run on the base and one on a
        // proposal compare; a timeout is said in the output.
        let check = CheckRun {
            name: self.check.display(),
            id: None,
            url: None,
            run_id: None,
            completed_at: Some(Timestamp::now()),
        };
        Ok(if run.passed {
            Checks::Passed {
                passing: vec![check],
            }
        } else {
            let tail = if run.timed_out {
                format!(
                    "{}error: timed out after {} s and was stopped\n",
                    run.tail,
                    self.check.timeout.as_secs()
                )
            } else {
                run.tail
            };
            Checks::Failed {
                failing: vec![check],
                passing: Vec::new(),
                tail: Some(tail),
            }
        })
    }
}

impl Forge for LocalForge<'_> {
    fn kind(&self) -> &'static str {
        "local"
    }

    fn open_pull(&self, _draft: &PullDraft<'_>) -> Result<PullRef, ForgeError> {
        // The pushed branch is the pull request.
        Ok(PullRef {
            forge: self.kind().into(),
            number: None,
            url: None,
        })
    }

    fn pull_state(&self, proposal: &Proposal) -> Result<PullState, ForgeError> {
        if let Some(commit) = self.merged_at(proposal)? {
            return Ok(PullState::Merged { commit });
        }
        match self.repo.branch_tip(&proposal.branch)? {
            Some(_) => Ok(PullState::Open),
            None => Ok(PullState::Closed { why: None }),
        }
    }

    fn checks(&self, proposal: &Proposal) -> Result<Checks, ForgeError> {
        self.run_checks(&proposal.head)
    }

    fn commit_checks(&self, commit: &CommitSha) -> Result<Checks, ForgeError> {
        self.run_checks(commit)
    }

    fn own_check(&self) -> Option<String> {
        Some(self.check.display())
    }

    fn rerun_failed(&self, commit: &CommitSha, _failing: &[CheckRun]) -> Result<Rerun, ForgeError> {
        Ok(Rerun::Done(self.run_checks(commit)?))
    }

    fn comment_on(&self, number: u64, body: &str) -> Result<(), ForgeError> {
        // Branches have nowhere to hold comments: they go to the log.
        tracing::info!("#{number}: {body}");
        Ok(())
    }

    fn react(&self, _comment_id: u64, _reaction: Reaction) -> Result<(), ForgeError> {
        Ok(())
    }

    fn permission(&self, _user: &str) -> Result<Permission, ForgeError> {
        // Whoever runs the command line has the repository in hand.
        Ok(Permission::Admin)
    }

    fn upsert_dashboard(&self, _title: &str, body: &str) -> Result<Option<u64>, ForgeError> {
        // Kept next to the repository's data, not in the work tree.
        let dir = self.repo.git_dir().join("patchwright");
        let path = dir.join("dashboard.md");
        std::fs::create_dir_all(&dir)
            .and_then(|()| files::write_atomically(&path, body))
            .map_err(|e| ForgeError::Other(format!("cannot write {}: {e}", path.display())))?;
        Ok(None)
    }

    fn close_pull(&self, proposal: &Proposal, comment: Option<&str>) -> Result<(), ForgeError> {
        if let Some(body) = comment {
            self.comment(proposal, body)?;
        }
        if let Some(tip) = self.repo.branch_tip(&proposal.branch)? {
            self.repo.delete_ref(&proposal.branch.refname(), &tip)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_split_without_a_shell() {
        let c = CheckCommand::parse(
            "cargo test --offline -- \"a b\"",
            Duration::from_secs(1),
            None,
        )
        .unwrap();
        assert_eq!(c.argv, ["cargo", "test", "--offline", "--", "a b"]);
        assert!(CheckCommand::parse("  ", Duration::from_secs(1), None).is_err());
        assert!(CheckCommand::parse("sh \"-c", Duration::from_secs(1), None).is_err());
        // `;` and `$()` are plain characters: there is no shell.
        let c = CheckCommand::parse("echo a;rm $(x)", Duration::from_secs(1), None).unwrap();
        assert_eq!(c.argv, ["echo", "a;rm", "$(x)"]);
    }

    #[test]
    fn checks_pass_fail_and_time_out() {
        let dir = tempfile::tempdir().unwrap();
        let ok = CheckCommand::parse("sh -c \"echo fine\"", Duration::from_secs(10), None).unwrap();
        let run = ok.run(dir.path()).unwrap();
        assert!(run.passed && !run.timed_out);
        assert_eq!(run.tail, "fine\n");

        let bad = CheckCommand::parse(
            "sh -c \"echo broken >&2; exit 3\"",
            Duration::from_secs(10),
            None,
        )
        .unwrap();
        let run = bad.run(dir.path()).unwrap();
        assert!(!run.passed);
        assert_eq!(run.tail, "broken\n");

        let slow = CheckCommand::parse(
            "sh -c \"sleep 30 & sleep 30\"",
            Duration::from_millis(300),
            None,
        )
        .unwrap();
        let started = Instant::now();
        let run = slow.run(dir.path()).unwrap();
        assert!(run.timed_out && !run.passed);
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn tails_cut_at_a_line() {
        assert_eq!(tail("short", 10), "short");
        assert_eq!(tail("line one\nline two\nline three\n", 15), "line three\n");
    }
}
