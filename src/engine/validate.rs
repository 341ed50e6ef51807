//! Fixes proven with the compiler before anyone sees them, the way
//! `cargo fix` does it: the fixes are written into a scratch copy of the
//! tree, cargo checks it, each error is traced to the fix whose edit — or,
//! failing that, whose enclosing item — it falls in, those fixes are
//! dropped, and the rest is checked again; at most `max_rounds` compiles,
//! then whatever is left is dropped too. Errors the base tree has already
//! are not the fixes' doing. A tree cargo cannot build at all (a dependency
//! that cannot be resolved, a missing toolchain) is not validated, and the
//! caller is told why.
//!
//! The scratch copy is the caller's; the user's work tree and `target/` are
//! never touched. Builds share one target directory across rounds and runs,
//! so after the first they check only what changed: in the common case —
//! every fix compiles — validation costs one `cargo check`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::config::{DEFAULT_VALIDATE_COMMAND, ValidateSettings};
use cargo_metadata::diagnostic::Diagnostic;

use crate::engine::diagnostics::{CompileError, errors, first_error_line, read_diagnostics};
use crate::engine::edit::{Applied, Edit, Fix, apply_fixes, splice_mapped};
use crate::engine::items::ItemIndex;
use crate::engine::source::{SourceFile, release_thread_spans};
use crate::sys::command::CommandLine;
use crate::vocab::ids::Fingerprint;
use crate::vocab::rel_path::RelPath;

/// The compile command, ready to run in a scratch copy.
#[derive(Debug, Clone)]
pub struct Compiler {
    command: CommandLine,
    /// The default command tries `--offline` first where there is a
    /// lockfile, and the network only if that cannot build.
    offline_first: bool,
}

/// What one compile said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compiled {
    /// The compiler ran: its errors in workspace files (none: it compiles).
    Errors(Vec<CompileError>),
    /// Cargo could not build at all; what it said.
    Unbuildable(String),
}

/// Why validation could not run.
#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    #[error("the validation command is not usable: {0}")]
    Command(String),
    #[error("cannot run `{command}`: {source}")]
    Run {
        command: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{command}` ran longer than {minutes} minutes and was stopped")]
    TimedOut { command: String, minutes: u64 },
    #[error("cannot write {path} in the scratch copy: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// What one cargo run said.
#[derive(Debug, Clone)]
pub struct Output {
    pub diagnostics: Vec<Diagnostic>,
    /// Whether cargo exited successfully.
    pub passed: bool,
    /// The end of what it said on stderr.
    pub tail: String,
}

impl Compiler {
    /// The configured validation command, building into `target_dir`.
    pub fn new(settings: &ValidateSettings, target_dir: PathBuf) -> Result<Self, ValidateError> {
        Self::for_command(
            &settings.command,
            settings.timeout_minutes,
            target_dir,
            settings.command == DEFAULT_VALIDATE_COMMAND,
        )
    }

    /// Any cargo command that prints JSON messages; with `offline_first`,
    /// `--offline` is tried first where there is a lockfile.
    pub fn for_command(
        command: &str,
        timeout_minutes: u64,
        target_dir: PathBuf,
        offline_first: bool,
    ) -> Result<Self, ValidateError> {
        let timeout = Duration::from_secs(timeout_minutes.saturating_mul(60));
        let command = CommandLine::parse(command, timeout, Some(target_dir))
            .map_err(ValidateError::Command)?;
        Ok(Self {
            command,
            offline_first,
        })
    }

    /// Keeps the variable `token_env` (a configured token's) from cargo.
    pub fn hiding(mut self, token_env: &str) -> Self {
        self.command = self.command.hiding(token_env);
        self
    }

    /// The command for people: `cargo check --workspace --all-targets`.
    pub fn describe(&self) -> String {
        self.command
            .argv
            .iter()
            .filter(|a| !a.starts_with("--message-format"))
            .cloned()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Compiles the tree in `dir`.
    pub fn compile(&self, dir: &Path) -> Result<Compiled, ValidateError> {
        let output = self.output(dir, &[])?;
        let messages = errors(&output.diagnostics, dir);
        if output.passed || !messages.errors.is_empty() {
            return Ok(Compiled::Errors(messages.errors));
        }
        let why = messages
            .elsewhere
            .first()
            .cloned()
            .or_else(|| first_error_line(&output.tail))
            .unwrap_or_else(|| format!("`{}` failed and said nothing", self.describe()));
        Ok(Compiled::Unbuildable(why))
    }

    /// Runs the command in `dir` with `extra` arguments after its own (a
    /// `--` and lint flags, say) and reads what it said.
    pub fn output(&self, dir: &Path, extra: &[String]) -> Result<Output, ValidateError> {
        let with = |offline: bool| {
            let mut command = self.command.clone();
            if offline {
                command.argv.push("--offline".into());
            }
            command.argv.extend(extra.iter().cloned());
            command
        };
        if self.offline_first && dir.join("Cargo.lock").is_file() {
            let output = run(&with(true), dir)?;
            // Offline cannot build at all when a crate is not downloaded:
            // then no compiler ran, and the network may help.
            if output.passed || !output.diagnostics.is_empty() {
                return Ok(output);
            }
            tracing::debug!(
                "offline `{}` could not build; trying online",
                self.describe()
            );
        }
        run(&with(false), dir)
    }
}

fn run(command: &CommandLine, dir: &Path) -> Result<Output, ValidateError> {
    let (outcome, stdout) = command
        .run_with_stdout(dir)
        .map_err(|source| ValidateError::Run {
            command: command.display(),
            source,
        })?;
    if outcome.timed_out {
        return Err(ValidateError::TimedOut {
            command: command.display(),
            minutes: command.timeout.as_secs() / 60,
        });
    }
    let (diagnostics, garbage) = read_diagnostics(stdout);
    if garbage > 0 {
        tracing::warn!(
            "{garbage} lines of `{}`'s output were not cargo messages; skipped",
            command.display()
        );
    }
    Ok(Output {
        diagnostics,
        passed: outcome.passed,
        tail: outcome.tail,
    })
}

/// A copy of the project at `root` to compile fixes in: every file git
/// would track (`.gitignore` is honoured) except build output and `.git`.
/// Symbolic links are not followed.
pub fn scratch_copy(root: &Path) -> Result<tempfile::TempDir, ValidateError> {
    let copy_error = |path: &Path, source: std::io::Error| ValidateError::Write {
        path: path.display().to_string(),
        source,
    };
    let dir = tempfile::Builder::new()
        .prefix("patchwright-validate-")
        .tempdir()
        .map_err(|e| copy_error(Path::new("a scratch directory"), e))?;
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        .git_global(false)
        .filter_entry(|entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            !(is_dir
                && (entry.file_name() == ".git" || entry.path().join("CACHEDIR.TAG").is_file()))
        })
        .build();
    for entry in walker.flatten() {
        let Some(kind) = entry.file_type() else {
            continue;
        };
        let Ok(rel) = entry.path().strip_prefix(root) else {
            continue;
        };
        let target = dir.path().join(rel);
        if kind.is_dir() {
            std::fs::create_dir_all(&target).map_err(|e| copy_error(&target, e))?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target).map_err(|e| copy_error(&target, e))?;
        }
    }
    Ok(dir)
}

/// An error as it is told apart from others wherever it is (code,
/// message, file).
type ErrorKey = (Option<String>, String, RelPath);

/// What validation made of a set of fixes.
#[derive(Debug, Clone)]
pub struct Validation {
    /// The fixes that compile, applied: what may be proposed or written.
    pub applied: Applied,
    /// The fixes dropped, and why.
    pub dropped: Vec<(Fingerprint, String)>,
    /// Compiles of the fixed tree.
    pub rounds: usize,
    /// Every compile, the base's included when it had to be looked at.
    pub compiles: usize,
    pub outcome: Outcome,
    pub seconds: f64,
}

/// How validation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// What is kept compiles (with no new error over the base).
    Compiled,
    /// The base cannot be built, so nothing could be proven; nothing was
    /// dropped for it.
    Skipped(String),
}

impl Validation {
    /// One line for people: `compiled with \`cargo check --workspace --all-targets\`
    /// (round 2 of 3; 1 fix dropped: E0119 at src/x.rs:12)`.
    pub fn summary(&self, compiler: &Compiler, max_rounds: usize) -> String {
        match &self.outcome {
            Outcome::Skipped(why) => format!(
                "not compiled: `{}` cannot build the base ({why})",
                compiler.describe()
            ),
            Outcome::Compiled => {
                let mut out = format!(
                    "compiled with `{}` (round {} of {max_rounds}",
                    compiler.describe(),
                    self.rounds
                );
                match self.dropped.as_slice() {
                    [] => {}
                    [(_, why)] => out.push_str(&format!("; 1 fix dropped: {why}")),
                    [(_, why), ..] => out.push_str(&format!(
                        "; {} fixes dropped, the first: {why}",
                        self.dropped.len()
                    )),
                }
                out.push(')');
                out
            }
        }
    }
}

/// Validates `fixes` against `originals` in `scratch`, a copy of the tree
/// the originals come from.
pub fn validate(
    compiler: &Compiler,
    scratch: &Path,
    originals: &BTreeMap<RelPath, String>,
    fixes: &[Fix],
    max_rounds: usize,
) -> Result<Validation, ValidateError> {
    let started = Instant::now();
    let mut live: Vec<Fix> = fixes.to_vec();
    let mut dropped: Vec<(Fingerprint, String)> = Vec::new();
    let mut base = Base::default();
    let mut written: BTreeMap<RelPath, String> = BTreeMap::new();
    let mut rounds = 0;
    let (applied, outcome) = loop {
        let applied = apply_fixes(originals, &live);
        live.retain(|f| applied.applied.contains(&f.fingerprint));
        if live.is_empty() {
            break (applied, Outcome::Compiled);
        }
        write_tree(scratch, originals, &applied, &mut written)?;
        rounds += 1;
        let errors = match compiler.compile(scratch)? {
            Compiled::Errors(errors) => errors,
            Compiled::Unbuildable(why) => {
                if let Err(base_why) = base.errors(compiler, scratch, originals, &mut written)? {
                    break (applied, Outcome::Skipped(base_why));
                }
                let reason = format!("with these fixes cargo cannot build: {why}");
                dropped.extend(live.drain(..).map(|f| (f.fingerprint, reason.clone())));
                continue;
            }
        };
        if errors.is_empty() {
            break (applied, Outcome::Compiled);
        }
        let known = match base.errors(compiler, scratch, originals, &mut written)? {
            Ok(known) => known,
            Err(why) => break (applied, Outcome::Skipped(why)),
        };
        let new: Vec<CompileError> = errors
            .into_iter()
            .filter(|e| {
                let (code, message, path) = e.identity();
                !known.contains(&(code.map(str::to_owned), message.to_owned(), path.clone()))
            })
            .collect();
        if new.is_empty() {
            // The base was written for its compile; leave the copy as proven.
            write_tree(scratch, originals, &applied, &mut written)?;
            break (applied, Outcome::Compiled);
        }
        let blamed = blame(&new, originals, &applied, &live);
        if rounds >= max_rounds {
            let first = new[0].describe();
            for fix in live.drain(..) {
                let why = blamed.get(&fix.fingerprint).cloned().unwrap_or_else(|| {
                    format!("still not compiling after {max_rounds} rounds ({first})")
                });
                dropped.push((fix.fingerprint, why));
            }
            continue;
        }
        live.retain(|fix| match blamed.get(&fix.fingerprint) {
            Some(why) => {
                dropped.push((fix.fingerprint.clone(), why.clone()));
                false
            }
            None => true,
        });
    };
    Ok(Validation {
        applied,
        dropped,
        rounds,
        compiles: rounds + usize::from(base.compiled),
        outcome,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The base's errors, compiled once, when they are needed.
#[derive(Default)]
struct Base {
    compiled: bool,
    /// The errors, or why cargo cannot build the base.
    found: Option<Result<BTreeSet<ErrorKey>, String>>,
}

impl Base {
    /// The base's errors (`Err` with why when cargo cannot build it); the
    /// first call compiles it with every file as it was.
    fn errors(
        &mut self,
        compiler: &Compiler,
        scratch: &Path,
        originals: &BTreeMap<RelPath, String>,
        written: &mut BTreeMap<RelPath, String>,
    ) -> Result<Result<BTreeSet<ErrorKey>, String>, ValidateError> {
        if let Some(found) = &self.found {
            return Ok(found.clone());
        }
        write_tree(scratch, originals, &Applied::default(), written)?;
        self.compiled = true;
        let found = match compiler.compile(scratch)? {
            Compiled::Errors(errors) => Ok(errors
                .iter()
                .map(|e| {
                    let (code, message, path) = e.identity();
                    (code.map(str::to_owned), message.to_owned(), path.clone())
                })
                .collect()),
            Compiled::Unbuildable(why) => Err(why),
        };
        self.found = Some(found.clone());
        Ok(found)
    }
}

/// Writes each file with fixes as `applied` has it, and every other file
/// that earlier rounds changed back to its original.
fn write_tree(
    scratch: &Path,
    originals: &BTreeMap<RelPath, String>,
    applied: &Applied,
    written: &mut BTreeMap<RelPath, String>,
) -> Result<(), ValidateError> {
    for (path, original) in originals {
        let text = applied.files.get(path).map_or(original, |p| &p.new);
        let on_disk = written.get(path).unwrap_or(original);
        if on_disk == text {
            continue;
        }
        let abs = path.to_path(scratch);
        std::fs::write(&abs, text).map_err(|source| ValidateError::Write {
            path: path.to_string(),
            source,
        })?;
        written.insert(path.clone(), text.clone());
    }
    Ok(())
}

/// Which live fixes each error is traced to: the fix whose edit the error
/// touches, else the fixes with an edit in the error's innermost item. An
/// error traced to nothing blames every fix in its file, and an error in a
/// file without fixes blames them all: nothing unproven goes through.
fn blame(
    errors: &[CompileError],
    originals: &BTreeMap<RelPath, String>,
    applied: &Applied,
    live: &[Fix],
) -> HashMap<Fingerprint, String> {
    let mut blamed: HashMap<Fingerprint, String> = HashMap::new();
    let mut landed_by_file: HashMap<&RelPath, Vec<Landed>> = HashMap::new();
    let mut chains: HashMap<&RelPath, ItemChains> = HashMap::new();
    for error in errors {
        let Some(original) = originals.get(&error.path) else {
            let why = error.describe();
            for fix in live {
                blamed
                    .entry(fix.fingerprint.clone())
                    .or_insert_with(|| why.clone());
            }
            continue;
        };
        let landed = landed_by_file
            .entry(&error.path)
            .or_insert_with(|| landed(&error.path, original, live));
        // Said with the line of the file as people have it, not as fixed.
        let why = CompileError {
            line: line_of(original, original_offset(error.range.start, landed)),
            ..error.clone()
        }
        .describe();
        let touching: Vec<&Fingerprint> = landed
            .iter()
            .filter(|l| l.new.start <= error.range.end && error.range.start <= l.new.end)
            .flat_map(|l| &l.owners)
            .collect();
        let culprits: Vec<&Fingerprint> = if touching.is_empty() {
            let text = applied.files.get(&error.path).map_or(original, |p| &p.new);
            let items = chains
                .entry(&error.path)
                .or_insert_with(|| ItemChains::of(&error.path, text));
            let chain = items.chain_at(&error.range);
            let same_item: Vec<&Fingerprint> = landed
                .iter()
                .filter(|l| chain.is_some() && items.chain_at(&l.new) == chain)
                .flat_map(|l| &l.owners)
                .collect();
            if same_item.is_empty() {
                landed.iter().flat_map(|l| &l.owners).collect()
            } else {
                same_item
            }
        } else {
            touching
        };
        for fp in culprits {
            blamed.entry(fp.clone()).or_insert_with(|| why.clone());
        }
    }
    blamed
}

/// The offset in the original text of `offset` in the fixed text (an
/// offset inside an edit's new text is the edit's start).
fn original_offset(offset: usize, landed: &[Landed]) -> usize {
    let mut shift: isize = 0;
    for Landed { old, new, .. } in landed {
        if offset < new.start {
            break;
        }
        if offset < new.end {
            return old.start;
        }
        shift += new.len() as isize - old.len() as isize;
    }
    offset.saturating_add_signed(-shift)
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// An edit's place in the original text and in the fixed text, and the
/// fixes it belongs to (identical edits of several fixes are one).
struct Landed {
    old: Range<usize>,
    new: Range<usize>,
    owners: Vec<Fingerprint>,
}

/// Where each live fix's edits in `path` landed in the fixed text.
fn landed(path: &RelPath, original: &str, live: &[Fix]) -> Vec<Landed> {
    let mut owners: HashMap<&Edit, Vec<Fingerprint>> = HashMap::new();
    for fix in live {
        for (p, edit) in &fix.edits {
            if p == path {
                owners
                    .entry(edit)
                    .or_default()
                    .push(fix.fingerprint.clone());
            }
        }
    }
    let (_, placed) = splice_mapped(original, owners.keys().copied());
    placed
        .into_iter()
        .map(|(edit, new)| Landed {
            old: edit.range.clone(),
            new,
            owners: owners.get(edit).cloned().unwrap_or_default(),
        })
        .collect()
}

/// The enclosing-item chains of a fixed file (none when it does not parse).
struct ItemChains(Option<ItemIndex>);

impl ItemChains {
    fn of(path: &RelPath, text: &str) -> Self {
        let index = SourceFile::parse(path.clone(), text.to_owned())
            .ok()
            .map(|file| ItemIndex::build(&file));
        release_thread_spans();
        Self(index)
    }

    fn chain_at(&self, range: &Range<usize>) -> Option<String> {
        let chain = self.0.as_ref()?.chain_at(range);
        (!chain.is_empty()).then(|| chain.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_in_the_fixed_text_map_back_to_the_original() {
        let at = |old: Range<usize>, new: Range<usize>| Landed {
            old,
            new,
            owners: Vec::new(),
        };
        // "abcdef" with "++" inserted at 0 and "cd" replaced by "XYZW".
        let landed = vec![at(0..0, 0..2), at(2..4, 4..8)];
        assert_eq!(original_offset(0, &landed), 0, "inside the insert");
        assert_eq!(original_offset(2, &landed), 0, "'a' moved by two");
        assert_eq!(original_offset(3, &landed), 1);
        assert_eq!(original_offset(6, &landed), 2, "inside the replacement");
        assert_eq!(original_offset(8, &landed), 4, "'e' after both");
        assert_eq!(line_of("a\nb\nc", 4), 3);
        assert_eq!(line_of("a\nb", 99), 2);
    }
}
