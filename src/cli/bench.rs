//! `bench`: scan throughput against bare parsing on a corpus.

use std::process::ExitCode;

use anyhow::Result;

use patchwright::engine::bench;

use crate::cli::args::{BenchArgs, ListFormat};
use crate::cli::output::{pretty, print};

pub fn bench(args: BenchArgs) -> Result<ExitCode> {
    let BenchArgs {
        path,
        rounds,
        format,
    } = args;
    let report = bench::run(path.as_deref(), rounds)?;
    let out = match format {
        ListFormat::Text => report.to_text(),
        ListFormat::Json => pretty(&report)?,
    };
    print(&out)?;
    Ok(ExitCode::SUCCESS)
}
