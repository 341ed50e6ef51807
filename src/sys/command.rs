//! Running outside programs (cargo, a project's check command) without a
//! shell: arguments are split here, never interpreted; a command running
//! past its time limit is killed with everything it started.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How much of a failing command's output is kept.
const TAIL_BYTES: usize = 4000;

/// A command line run without a shell, with a time limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandLine {
    pub argv: Vec<String>,
    pub timeout: Duration,
    /// A build directory kept between checks, so each one builds only what changed.
    pub target_dir: Option<PathBuf>,
    /// Environment variables the command never sees: tokens. Build
    /// scripts and proc macros run inside cargo, and the bot's job may hold
    /// a token that can write to the repository.
    pub hidden_env: Vec<String>,
}

/// Tokens GitHub Actions and common tools put in the environment.
pub const TOKEN_VARIABLES: [&str; 5] = [
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
];

impl CommandLine {
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
            hidden_env: TOKEN_VARIABLES.iter().map(|v| (*v).to_owned()).collect(),
        })
    }

    /// Keeps one more variable from the command (a configured token's).
    pub fn hiding(mut self, variable: &str) -> Self {
        if !self.hidden_env.iter().any(|v| v == variable) {
            self.hidden_env.push(variable.to_owned());
        }
        self
    }

    /// Runs the command in `dir` with its output in one log; a timeout
    /// kills its whole process group.
    pub fn run(&self, dir: &Path) -> io::Result<CommandRun> {
        let log = tempfile::tempfile()?;
        self.execute(dir, log.try_clone()?, log)
    }

    /// Runs the command with its standard output kept apart — a stream a
    /// program reads, returned from its start — and the tail of the rest.
    pub fn run_with_stdout(&self, dir: &Path) -> io::Result<(CommandRun, File)> {
        let mut stdout = tempfile::tempfile()?;
        let run = self.execute(dir, stdout.try_clone()?, tempfile::tempfile()?)?;
        stdout.rewind()?;
        Ok((run, stdout))
    }

    fn execute(&self, dir: &Path, stdout: File, mut log: File) -> io::Result<CommandRun> {
        let mut command = Command::new(&self.argv[0]);
        command
            .args(&self.argv[1..])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(log.try_clone()?);
        if let Some(target) = &self.target_dir {
            command.env("CARGO_TARGET_DIR", target);
            crate::sys::build_cache::touch(target);
        }
        for variable in &self.hidden_env {
            command.env_remove(variable);
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
        // Only the end is kept, so only the end is read.
        let len = log.seek(SeekFrom::End(0))?;
        log.seek(SeekFrom::Start(len.saturating_sub(TAIL_BYTES as u64 + 4)))?;
        let mut bytes = Vec::new();
        log.read_to_end(&mut bytes)?;
        Ok(CommandRun {
            passed: status.is_some_and(|s| s.success()),
            timed_out: status.is_none(),
            tail: tail(&String::from_utf8_lossy(&bytes), TAIL_BYTES),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_split_without_a_shell() {
        let c = CommandLine::parse(
            "cargo test --offline -- \"a b\"",
            Duration::from_secs(1),
            None,
        )
        .unwrap();
        assert_eq!(c.argv, ["cargo", "test", "--offline", "--", "a b"]);
        assert!(CommandLine::parse("  ", Duration::from_secs(1), None).is_err());
        assert!(CommandLine::parse("sh \"-c", Duration::from_secs(1), None).is_err());
        // `;` and `$()` are plain characters: there is no shell.
        let c = CommandLine::parse("echo a;rm $(x)", Duration::from_secs(1), None).unwrap();
        assert_eq!(c.argv, ["echo", "a;rm", "$(x)"]);
    }

    #[test]
    fn checks_pass_fail_and_time_out() {
        let dir = tempfile::tempdir().unwrap();
        let ok = CommandLine::parse("sh -c \"echo fine\"", Duration::from_secs(10), None).unwrap();
        let run = ok.run(dir.path()).unwrap();
        assert!(run.passed && !run.timed_out);
        assert_eq!(run.tail, "fine\n");

        let bad = CommandLine::parse(
            "sh -c \"echo broken >&2; exit 3\"",
            Duration::from_secs(10),
            None,
        )
        .unwrap();
        let run = bad.run(dir.path()).unwrap();
        assert!(!run.passed);
        assert_eq!(run.tail, "broken\n");

        let slow = CommandLine::parse(
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
