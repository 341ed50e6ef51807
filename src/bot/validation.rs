//! Compiling a run's planned fixes before any of them is proposed: one
//! batch, in an export of the base commit, building into
//! `.git/patchwright/target` so rounds and runs share their work. A fix
//! that does not compile is dropped, and remembered in the ledger until its
//! file changes; a base cargo cannot build is said, and its proposals say
//! they were not compiled.

use std::collections::{BTreeMap, BTreeSet};

use crate::bot::context::{Bot, CycleError};
use crate::engine::edit::Fix;
use crate::engine::validate::{self, Compiler, Outcome, ValidateError};
use crate::store::ledger::FailedFix;
use crate::vocab::git_names::CommitSha;
use crate::vocab::hash::content_hash;
use crate::vocab::ids::Fingerprint;
use crate::vocab::rel_path::RelPath;
use crate::vocab::time::Timestamp;

/// What compiling a batch of fixes proved.
#[derive(Debug, Clone)]
pub struct Proven {
    /// The fixes that may be proposed.
    pub kept: BTreeSet<Fingerprint>,
    /// The fixes that did not compile, and why.
    pub dropped: Vec<(Fingerprint, String)>,
    /// How it went, for the run's report.
    pub summary: String,
    /// The command, for proposal bodies.
    pub command: String,
    pub rounds: usize,
    pub max_rounds: usize,
    /// Why nothing could be compiled, when the base cannot be built.
    pub skipped: Option<String>,
}

impl Proven {
    /// What a proposal's body says about how its fixes were proven, with
    /// the dropped ones among `fingerprints` (the findings it was planned
    /// with).
    pub fn note(&self, planned: &BTreeSet<Fingerprint>) -> String {
        if let Some(why) = &self.skipped {
            return format!(
                "Not compiled: `{}` cannot build the base ({why}); its checks are all there is.",
                self.command
            );
        }
        let dropped: Vec<&String> = self
            .dropped
            .iter()
            .filter(|(fp, _)| planned.contains(fp))
            .map(|(_, why)| why)
            .collect();
        let mut note = format!(
            "Compiled with `{}` before it was proposed (round {} of {}",
            self.command, self.rounds, self.max_rounds
        );
        match dropped.as_slice() {
            [] => {}
            [why] => note.push_str(&format!("; 1 fix dropped: {why}")),
            [why, ..] => note.push_str(&format!(
                "; {} fixes dropped, the first: {why}",
                dropped.len()
            )),
        }
        note.push_str(").");
        note
    }
}

/// Compiles `fixes` on `base` (whose files with fixes are `sources`);
/// `None` when validation is off or there is nothing to compile. With
/// `record`, what did not compile is held in the ledger until its file
/// changes.
pub fn prove(
    bot: &Bot<'_>,
    base: &CommitSha,
    sources: &BTreeMap<RelPath, String>,
    fixes: &[Fix],
    record: bool,
) -> Result<Option<Proven>, CycleError> {
    let settings = &bot.config.validate.0;
    if !settings.enabled || fixes.is_empty() {
        return Ok(None);
    }
    let compiler = Compiler::new(
        settings,
        bot.repo.git_dir().join("patchwright").join("target"),
    )?
    .hiding(&bot.config.git.token_env);
    let scratch = tempfile::Builder::new()
        .prefix("patchwright-validate-")
        .tempdir()
        .map_err(|e| CycleError::Other(format!("cannot make a directory to compile in: {e}")))?;
    bot.repo.export(base, scratch.path())?;
    tracing::info!(
        target: crate::PROGRESS,
        "compiling {} fixes with `{}`",
        fixes.len(),
        compiler.describe()
    );
    let validation = match validate::validate(
        &compiler,
        scratch.path(),
        sources,
        fixes,
        settings.max_rounds,
    ) {
        Ok(validation) => validation,
        // No cargo at all is a project that cannot be built here: like a
        // base that does not build, it is said, and nothing is dropped.
        Err(e @ ValidateError::Run { .. }) => {
            let why = e.to_string();
            return Ok(Some(Proven {
                kept: fixes.iter().map(|f| f.fingerprint.clone()).collect(),
                dropped: Vec::new(),
                summary: format!("not compiled: {why}"),
                command: compiler.describe(),
                rounds: 0,
                max_rounds: settings.max_rounds,
                skipped: Some(why),
            }));
        }
        // Nothing unproven goes through: a compile that cannot finish
        // proposes nothing, and says why.
        Err(e) => {
            return Ok(Some(Proven {
                kept: BTreeSet::new(),
                dropped: Vec::new(),
                summary: format!("nothing proposed: the fixes could not be compiled ({e})"),
                command: compiler.describe(),
                rounds: 0,
                max_rounds: settings.max_rounds,
                skipped: None,
            }));
        }
    };
    if record && !validation.dropped.is_empty() {
        hold(bot, sources, fixes, &validation.dropped)?;
    }
    let skipped = match &validation.outcome {
        Outcome::Skipped(why) => Some(why.clone()),
        Outcome::Compiled => None,
    };
    Ok(Some(Proven {
        kept: validation.applied.applied.iter().cloned().collect(),
        summary: validation.summary(&compiler, settings.max_rounds),
        dropped: validation.dropped,
        command: compiler.describe(),
        rounds: validation.rounds,
        max_rounds: settings.max_rounds,
        skipped,
    }))
}

/// Remembers the fixes that did not compile, with their files as they were,
/// so they wait until one of those files changes.
fn hold(
    bot: &Bot<'_>,
    sources: &BTreeMap<RelPath, String>,
    fixes: &[Fix],
    dropped: &[(Fingerprint, String)],
) -> Result<(), CycleError> {
    let now = Timestamp::now();
    let held: Vec<(Fingerprint, FailedFix)> = dropped
        .iter()
        .filter_map(|(fp, why)| {
            let fix = fixes.iter().find(|f| f.fingerprint == *fp)?;
            let files = fix
                .edits
                .iter()
                .filter_map(|(path, _)| {
                    Some((path.clone(), content_hash(sources.get(path)?.as_bytes())))
                })
                .collect();
            Some((
                fp.clone(),
                FailedFix {
                    at: now,
                    proposal: None,
                    files,
                    reason: Some(why.clone()),
                },
            ))
        })
        .collect();
    let event = format!("hold {} fixes that do not compile", held.len());
    bot.store().update(&|l| {
        let mut changed = false;
        for (fp, failed) in &held {
            if l.failed_fixes.get(fp).map(|f| (&f.files, &f.reason))
                != Some((&failed.files, &failed.reason))
            {
                l.failed_fixes.insert(fp.clone(), failed.clone());
                changed = true;
            }
        }
        Ok(changed.then(|| event.clone()))
    })?;
    Ok(())
}
