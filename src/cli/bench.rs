//! `bench`: scan throughput against bare parsing on a corpus, or what
//! compiling a crate's fixes costs.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use patchwright::config::ValidateSettings;
use patchwright::engine::bench;

use crate::cli::args::{BenchArgs, ListFormat};
use crate::cli::output::{pretty, print};

pub fn bench(args: BenchArgs) -> Result<ExitCode> {
    let BenchArgs {
        path,
        validate,
        large,
        fixes,
        incremental,
        rules,
        check_command,
        rounds,
        format,
    } = args;
    let mut settings = ValidateSettings::default();
    if let Some(command) = check_command {
        settings.command = command;
    }
    if fixes {
        let corpus = path.unwrap_or_else(|| PathBuf::from("."));
        let report = bench::fixes::run(&corpus, &settings, &|name| {
            crate::cli::output::note_line(format_args!("{name}…"));
        })?;
        print(&match format {
            ListFormat::Text => report.to_text(),
            ListFormat::Json => pretty(&report)?,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(count) = rules {
        let report = bench::rules::run(path.as_deref(), rounds, count)?;
        print(&match format {
            ListFormat::Text => report.to_text(),
            ListFormat::Json => pretty(&report)?,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    if incremental {
        let report = bench::incremental::run(path.as_deref(), rounds)?;
        print(&match format {
            ListFormat::Text => report.to_text(),
            ListFormat::Json => pretty(&report)?,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    if !large.is_empty() {
        let report = bench::large_files::run(&large)?;
        print(&match format {
            ListFormat::Text => report.to_text(),
            ListFormat::Json => pretty(&report)?,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    if validate {
        let dir = path.unwrap_or_else(|| PathBuf::from("."));
        let report = bench::validation(&dir, &settings)?;
        print(&match format {
            ListFormat::Text => report.to_text(),
            ListFormat::Json => pretty(&report)?,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    let report = bench::run(path.as_deref(), rounds)?;
    let out = match format {
        ListFormat::Text => report.to_text(),
        ListFormat::Json => pretty(&report)?,
    };
    print(&out)?;
    Ok(ExitCode::SUCCESS)
}
