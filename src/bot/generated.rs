//! Proposals of whole generated files rather than fixes: `skill new`
//! scaffolds a skill, `skill regenerate` rewrites one from the current
//! templates. They go through the same publishing as fixes.

use std::collections::{BTreeMap, BTreeSet};

use crate::bot::context::{Bot, CycleError};
use crate::bot::propose::{Draft, publish_proposal};
use crate::bot::run::RunOptions;
use crate::bot::run::{DryRunProposal, RunReport};
use crate::engine::edit;
use crate::engine::rules::NewRule;
use crate::scaffold;
use crate::vocab::git_names::CommitSha;
use crate::vocab::hash;
use crate::vocab::ids::{Fingerprint, FingerprintInput, SkillId};
use crate::vocab::rel_path::RelPath;
use crate::vocab::time::Timestamp;

/// The skill id under which scaffolded skills are proposed.
pub const SKILL_NEW: &str = "skill-new";

/// `skill new`: scaffolds a skill on the default branch and proposes it
/// like a fix. It is inactive until a person merges it.
pub fn skill_new(
    bot: &Bot<'_>,
    name: &str,
    description: &str,
    options: &RunOptions,
) -> Result<RunReport, CycleError> {
    let (base, report) = fresh_base(bot, options)?;
    let read = text_at(bot, &base);
    let scaffold = scaffold::scaffold(&read, &bot.registry.ids(), name, description)?;
    let title = format!("Add the `{name}` skill");
    let body = format!(
        "A new skill, `{name}`: {description}\n\n\
         Files: `src/engine/skills/{module}.rs` (the skill, `{ty}`), its registration in \
         `src/engine/skills/mod.rs`, and a fixture in `tests/fixtures/skills/{name}/`.\n\n\
         As generated it finds the comment `// patchwright: {name}` and deletes it; \
         teach it what to look for before merging. It runs only once this is merged.\n",
        description = description.trim(),
        module = scaffold.module,
        ty = scaffold.type_name,
    );
    let generated = GeneratedChange {
        skill: SKILL_NEW,
        key: name.to_owned(),
        what: format!("the `{name}` skill"),
        title,
        body,
        files: scaffold.files,
    };
    let what = generated.what.clone();
    let (mut report, outcome) = propose_generated(bot, &read, &base, generated, options, report)?;
    report.warnings.extend(outcome.warning(&what));
    Ok(report)
}

/// The skill id under which new project rules are proposed.
pub const RULE_NEW: &str = "rule-new";

/// `rules new --propose`: a project rule file, proposed on the default
/// branch. It runs only once a person merges it: rules are read from the
/// default branch, never from a pull request.
pub fn rule_new(
    bot: &Bot<'_>,
    rule: NewRule,
    options: &RunOptions,
) -> Result<RunReport, CycleError> {
    let (base, mut report) = fresh_base(bot, options)?;
    let read = text_at(bot, &base);
    let path: RelPath = rule
        .path
        .parse()
        .map_err(|e| CycleError::Other(format!("{}: {e}", rule.path)))?;
    if read(path.as_str()).is_some() {
        report.warnings.push(format!(
            "{path} already exists on the default branch; choose another id or edit it there"
        ));
        return Ok(report);
    }
    let id = path
        .as_str()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .trim_end_matches(".yml")
        .to_owned();
    let body = format!(
        "A new project rule, `rule::{id}`, in `{path}`:\n\n```yaml\n{}```\n\n         It runs only once this is merged; `patchwright rules test` checks its examples.\n",
        rule.text
    );
    let generated = GeneratedChange {
        skill: RULE_NEW,
        key: format!("{id} {}", hash::content_hash(rule.text.as_bytes())),
        what: format!("the rule `{id}`"),
        title: format!("Add the project rule `{id}`"),
        body,
        files: BTreeMap::from([(path, rule.text)]),
    };
    let what = generated.what.clone();
    let (mut report, outcome) = propose_generated(bot, &read, &base, generated, options, report)?;
    report.warnings.extend(outcome.warning(&what));
    Ok(report)
}

/// The skill id under which rules mined from history are proposed.
pub const RULE_MINED: &str = "rule-mined";

/// A rule file to propose, with what its pull request says.
#[derive(Debug, Clone)]
pub struct RuleFile {
    pub path: RelPath,
    pub text: String,
    pub title: String,
    pub body: String,
}

/// A rule found by `rules mine`, proposed as its file: closing it rejects
/// it for good, merging it makes it run.
pub fn rule_mined(
    bot: &Bot<'_>,
    base: &CommitSha,
    rule: RuleFile,
    options: &RunOptions,
    report: RunReport,
) -> Result<(RunReport, Generated), CycleError> {
    let read = text_at(bot, base);
    let name = rule.path.as_str().rsplit('/').next().unwrap_or_default();
    let id = name.trim_end_matches(".yml").to_owned();
    let generated = GeneratedChange {
        skill: RULE_MINED,
        what: format!("the mined rule `{id}`"),
        key: id,
        title: rule.title,
        body: rule.body,
        files: BTreeMap::from([(rule.path, rule.text)]),
    };
    propose_generated(bot, &read, base, generated, options, report)
}

/// What became of a generated change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Generated {
    /// Proposed now (or, in a dry run, shown).
    Proposed,
    /// Already proposed on this branch, still open.
    AlreadyOpen(String),
    /// Closed before, and its rejection still holds (why).
    TurnedDown(String),
}

impl Generated {
    /// What to tell the person who asked, when it was not proposed.
    pub fn warning(&self, what: &str) -> Option<String> {
        match self {
            Self::Proposed => None,
            Self::AlreadyOpen(branch) => Some(format!("{what} is already proposed on {branch}")),
            Self::TurnedDown(why) => Some(format!(
                "{what} was turned down before ({why}); not proposed again (`patchwright unignore` lifts it)"
            )),
        }
    }
}

/// The skill id under which regenerated skills are proposed.
pub const SKILL_REGENERATE: &str = "skill-regenerate";

/// `skill regenerate`: rewrites the files `skill new` made for `name` from
/// the current templates, as a proposal; files edited since they were
/// generated are left alone and reported.
pub fn skill_regenerate(
    bot: &Bot<'_>,
    name: &str,
    options: &RunOptions,
) -> Result<RunReport, CycleError> {
    let (base, mut report) = fresh_base(bot, options)?;
    let read = text_at(bot, &base);
    let regenerated = scaffold::regenerate(&read, name)?;
    for path in &regenerated.edited {
        report.warnings.push(format!(
            "{path} was edited after `skill new` made it; left alone"
        ));
    }
    for path in &regenerated.unstamped {
        report.warnings.push(format!(
            "{path} has no `skill new` header (written by hand, or the header was removed); left alone"
        ));
    }
    if regenerated.files.is_empty() {
        report.warnings.push(format!(
            "nothing to regenerate for `{name}`: {} generated {} already match the templates",
            regenerated.current.len(),
            if regenerated.current.len() == 1 {
                "file"
            } else {
                "files"
            }
        ));
        return Ok(report);
    }
    let list = |paths: &mut dyn Iterator<Item = &RelPath>| {
        paths.map(|p| format!("- `{p}`\n")).collect::<String>()
    };
    let mut body = format!(
        "The templates changed since `patchwright skill new` made the `{name}` skill; these files are rewritten from them, with the same arguments:\n\n{}",
        list(&mut regenerated.files.keys())
    );
    if !regenerated.edited.is_empty() {
        body.push_str(&format!(
            "\nEdited since they were generated, so left alone:\n\n{}",
            list(&mut regenerated.edited.iter())
        ));
    }
    // A new template state is a new proposal; the same one is recognised.
    let key = format!(
        "{name} {}",
        regenerated
            .files
            .values()
            .map(|t| hash::content_hash(t.as_bytes()))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let generated = GeneratedChange {
        skill: SKILL_REGENERATE,
        key,
        what: format!("regenerating `{name}`"),
        title: format!("Regenerate the `{name}` skill from the current templates"),
        body,
        files: regenerated.files,
    };
    let what = generated.what.clone();
    let (mut report, outcome) = propose_generated(bot, &read, &base, generated, options, report)?;
    report.warnings.extend(outcome.warning(&what));
    Ok(report)
}

/// The default branch's tip (fetched first, unless this is a dry run).
pub(crate) fn fresh_base(
    bot: &Bot<'_>,
    options: &RunOptions,
) -> Result<(CommitSha, RunReport), CycleError> {
    if !options.dry_run {
        bot.repo.fetch()?;
    }
    let base = bot.default_tip()?;
    let report = RunReport {
        base: Some(base.clone()),
        ..RunReport::default()
    };
    Ok((base, report))
}

/// The text of a file at `commit`, if it is there and is text.
fn text_at<'a>(bot: &'a Bot<'_>, commit: &'a CommitSha) -> impl Fn(&str) -> Option<String> + 'a {
    move |path: &str| {
        let path: RelPath = path.parse().ok()?;
        let bytes = bot.repo.read_file(commit, &path).ok()??;
        String::from_utf8(bytes).ok()
    }
}

/// Whole files made from templates, to propose as one change.
struct GeneratedChange {
    skill: &'static str,
    /// What makes the proposal the same one when asked again.
    key: String,
    /// What it is, for "… is already proposed".
    what: String,
    title: String,
    body: String,
    files: BTreeMap<RelPath, String>,
}

fn propose_generated(
    bot: &Bot<'_>,
    read: &dyn Fn(&str) -> Option<String>,
    base: &CommitSha,
    generated: GeneratedChange,
    options: &RunOptions,
    mut report: RunReport,
) -> Result<(RunReport, Generated), CycleError> {
    let skill = SkillId::new(generated.skill).map_err(|e| CycleError::Other(e.to_string()))?;
    let fingerprint = Fingerprint::compute(FingerprintInput {
        skill: generated.skill,
        package: "patchwright",
        item: "",
        key: &generated.key,
        occurrence: 0,
    });
    let fingerprints = BTreeSet::from([fingerprint]);
    let (ledger, _) = bot.store().read()?;
    let now = Timestamp::now();
    if let Some(rejection) = fingerprints
        .iter()
        .find_map(|fp| ledger.rejected.get(fp).filter(|r| r.holds(now)))
    {
        return Ok((report, Generated::TurnedDown(rejection.reason.clone())));
    }
    let id = ledger.fresh_id(&skill, &fingerprints);
    if let Some(existing) = ledger.proposals.get(&id).filter(|p| p.is_open()) {
        return Ok((report, Generated::AlreadyOpen(existing.branch.to_string())));
    }
    let mut diff = String::new();
    let mut changed_lines = 0;
    for (path, text) in &generated.files {
        let old = read(path.as_str()).unwrap_or_default();
        diff.push_str(&edit::unified_diff(path, &old, text));
        changed_lines += similar::TextDiff::from_lines(old.as_str(), text.as_str())
            .iter_all_changes()
            .filter(|c| c.tag() != similar::ChangeTag::Equal)
            .count();
    }
    if options.dry_run {
        report.dry_run.push(DryRunProposal {
            branch: id.branch(),
            id,
            title: generated.title,
            diff,
        });
        return Ok((report, Generated::Proposed));
    }
    let draft = Draft {
        skill,
        package: "patchwright".into(),
        title: generated.title,
        summary: generated
            .body
            .split("\n\n")
            .next()
            .unwrap_or_default()
            .to_owned(),
        body: generated.body,
        fingerprints,
        changes: generated
            .files
            .into_iter()
            .map(|(path, text)| (path, Some(text.into_bytes())))
            .collect(),
        changed_lines,
    };
    if let Some(opened) = publish_proposal(bot, &draft, base, options.checks, &mut report)? {
        report.opened.push(opened);
    }
    Ok((report, Generated::Proposed))
}
