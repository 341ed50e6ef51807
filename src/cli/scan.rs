//! `scan`, `fix`, `report` and `skills`: the engine on a work tree, no git needed.

use crate::cli::output::note;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, Result};

use patchwright::bot::run::ScanSummary;
use patchwright::config::Config;
use patchwright::engine::edit::{Applied, Fix};
use patchwright::engine::format;
use patchwright::engine::scan::{self, ScanOptions, ScanReport};
use patchwright::engine::skills::Registry;
use patchwright::engine::validate::{self, Compiler};
use patchwright::report::{self, ProjectReport};
use patchwright::sys::files::write_atomically;
use patchwright::vocab::rel_path::RelPath;

use crate::cli::args::{
    FixArgs, ListFormat, Options, ReportArgs, ReportFormat, ScanArgs, ScanFormat, SkillsArgs,
};
use crate::cli::output::EXIT_FINDINGS;
use crate::cli::output::{pretty, print};
use crate::cli::setup::{Setup, work_tree_rules};

pub fn scan(cli: &Options, registry: &Registry, args: ScanArgs) -> Result<ExitCode> {
    let ScanArgs {
        path,
        format,
        skills,
        fail_on_findings,
    } = args;
    let registry = &work_tree_rules(registry, &path)?;
    let setup = Setup::load(&path, cli.config.as_deref(), registry, &skills)?;
    let report = setup.scan(ScanOptions::default(), cli.quiet);
    let out = match format {
        ScanFormat::Text => report::findings_text(&report),
        ScanFormat::Json => pretty(&report::findings_json(&report))?,
        ScanFormat::Sarif => pretty(&report::findings_sarif(&report, &setup.skills))?,
    };
    print(&out)?;
    if !cli.quiet {
        let summary = ScanSummary::of(&report, setup.skills.len());
        note!(
            "scanned {}: {}",
            setup.workspace.root.display(),
            summary.line(report.findings().count())
        );
    }
    Ok(findings_exit(fail_on_findings, &report))
}

pub fn fix(cli: &Options, registry: &Registry, args: FixArgs) -> Result<ExitCode> {
    let FixArgs {
        path,
        skills,
        apply,
        no_validate,
        fail_on_findings,
    } = args;
    let registry = &work_tree_rules(registry, &path)?;
    let setup = Setup::load(&path, cli.config.as_deref(), registry, &skills)?;
    let options = ScanOptions {
        keep_fixable_sources: true,
        ..ScanOptions::default()
    };
    let report = setup.scan(options, cli.quiet);
    let wanted = setup.config.validate.0.enabled && !no_validate && report.fixes().next().is_some();
    let compilable = setup.workspace.root.join("Cargo.toml").is_file();
    let validating = wanted && compilable;
    // Fixes that had to wait for an overlapping one are found again in
    // later passes; with validation they wait for the next run instead, so
    // that everything written has been compiled.
    let (applied, validated) = if validating {
        let (applied, summary) = validated(&setup, &report)?;
        (applied, Some(summary))
    } else if wanted {
        let note = format!(
            "not compiled: {} has no Cargo.toml (run `fix` at a crate or workspace root to have the fixes compiled)",
            setup.workspace.root.display()
        );
        let applied = scan::apply_until_stable(&setup.workspace, &setup.skills, &report, 4);
        (applied, Some(note))
    } else {
        let passes = if validating { 1 } else { 4 };
        let applied = scan::apply_until_stable(&setup.workspace, &setup.skills, &report, passes);
        (applied, None)
    };
    let mut applied = applied;
    let root = setup.workspace.root.clone();
    let read = |path: &RelPath| std::fs::read_to_string(path.to_path(&root)).ok();
    format::keep_rustfmt_clean(&mut applied, &report.editions(), &read);
    if apply {
        write_fixes(&setup.workspace.root, &applied)?;
    } else {
        print(&applied.diff())?;
    }
    if let Some(summary) = validated {
        note!("{summary}");
    }
    if validating {
        crate::cli::gc::keep_within_bound(&setup.config, None);
    }
    note!("{}", fix_summary(&applied, apply));
    Ok(findings_exit(fail_on_findings, &report))
}

/// Compiles the fixes in a scratch copy; what compiles, applied, and a
/// report of what was dropped and why.
fn validated(setup: &Setup<'_>, report: &ScanReport) -> Result<(Applied, String)> {
    let settings = &setup.config.validate.0;
    let root = &setup.workspace.root;
    let compiler = Compiler::new(settings, crate::cli::gc::fix_cache_dir(root))?;
    let scratch = validate::scratch_copy(root)?;
    let fixes: Vec<Fix> = report.fixes().cloned().collect();
    let validation = validate::validate(
        &compiler,
        scratch.path(),
        &report.sources(),
        &fixes,
        settings.max_rounds,
    )?;
    let mut out = String::new();
    for (fingerprint, why) in &validation.dropped {
        if let Some(f) = report.findings().find(|f| f.fingerprint == *fingerprint) {
            out.push_str(&format!(
                "dropped {}:{} {}: {why}\n",
                f.path, f.start.line, f.skill
            ));
        }
    }
    out.push_str(&validation.summary(&compiler, settings.max_rounds));
    Ok((validation.applied, out))
}

pub fn report(cli: &Options, registry: &Registry, args: ReportArgs) -> Result<ExitCode> {
    let ReportArgs { path, format } = args;
    let registry = &work_tree_rules(registry, &path)?;
    let setup = Setup::load(&path, cli.config.as_deref(), registry, &[])?;
    let options = ScanOptions {
        metrics: true,
        ..ScanOptions::default()
    };
    let scan = setup.scan(options, cli.quiet);
    let project = ProjectReport::build(&setup.workspace, &scan, &setup.skills);
    let out = match format {
        ReportFormat::Markdown => report::project_markdown(&project),
        ReportFormat::Json => pretty(&project)?,
    };
    print(&out)?;
    Ok(ExitCode::SUCCESS)
}

pub fn skills(cli: &Options, registry: &Registry, args: SkillsArgs) -> Result<ExitCode> {
    let SkillsArgs { path, format } = args;
    let registry = &work_tree_rules(registry, &path)?;
    let config = Config::load(&path, cli.config.as_deref(), &registry.ids()).map_err(|e| {
        anyhow::anyhow!("{e} (fix the configuration file, or pass --config to use another)")
    })?;
    print(&skills_list(registry, &config, format)?)?;
    Ok(ExitCode::SUCCESS)
}

pub fn findings_exit(fail_on_findings: bool, report: &ScanReport) -> ExitCode {
    if fail_on_findings && report.findings().next().is_some() {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    }
}

/// Writes each patched file unless it changed on disk since the scan read it.
pub fn write_fixes(root: &Path, applied: &Applied) -> Result<()> {
    for (path, patched) in &applied.files {
        let abs = path.to_path(root);
        let current =
            std::fs::read_to_string(&abs).with_context(|| format!("cannot read {path} again"))?;
        if current != patched.original {
            tracing::warn!("{path} changed while patchwright was working; left as it is");
            continue;
        }
        write_atomically(&abs, &patched.new).with_context(|| format!("cannot write {path}"))?;
    }
    Ok(())
}

pub fn fix_summary(applied: &Applied, written: bool) -> String {
    let fixes = applied.applied.len();
    let files = applied.files.len();
    let deferred = applied.deferred().count();
    let dropped = applied.not_applied.len() - deferred;
    if fixes == 0 && applied.not_applied.is_empty() {
        return "nothing to fix".into();
    }
    let mut out = format!(
        "{fixes} {} in {files} {}",
        if fixes == 1 { "fix" } else { "fixes" },
        if files == 1 { "file" } else { "files" }
    );
    if deferred > 0 {
        out.push_str(&format!("; {deferred} overlapping, left for the next run"));
    }
    if dropped > 0 {
        out.push_str(&format!(
            "; {dropped} dropped because the result would not parse"
        ));
    }
    if !written {
        out.push_str(" (nothing written; pass --apply to write them)");
    }
    out
}

pub fn skills_list(registry: &Registry, config: &Config, format: ListFormat) -> Result<String> {
    Ok(match format {
        ListFormat::Json => {
            let list: Vec<serde_json::Value> = registry
                .all()
                .map(|s| {
                    serde_json::json!({
                        "id": s.id(),
                        "description": s.description(),
                        "fixes": s.can_fix(),
                        "risk": s.risk(),
                        "enabled": config.skill_enabled(s.id()),
                    })
                })
                .collect();
            pretty(&list)?
        }
        ListFormat::Text => {
            let width = registry.all().map(|s| s.id().len()).max().unwrap_or(2);
            let mut out = format!("{:width$}  FIX  RISK    ENABLED  DESCRIPTION\n", "ID");
            for s in registry.all() {
                out.push_str(&format!(
                    "{:width$}  {:3}  {:6}  {:7}  {}\n",
                    s.id(),
                    if s.can_fix() { "yes" } else { "no" },
                    s.risk().to_string(),
                    if config.skill_enabled(s.id()) {
                        "yes"
                    } else {
                        "no"
                    },
                    s.description()
                ));
            }
            out
        }
    })
}
