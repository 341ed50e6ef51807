//! How the command line speaks: stdout that tolerates a closed pipe,
//! pretty JSON, a progress bar on terminals, and `warning: …` log lines
//! like cargo's.
//!
//! Everything the binary prints goes through here, and here it passes
//! [`redact`]: whatever an error or a server said, the token is not shown.
//! (An architecture test keeps the printing macros out of every other file.)

use std::fmt;
use std::io::{IsTerminal, Write};

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use patchwright::engine::scan::ScanProgress;
use patchwright::vocab::secret::redact;

/// 1: findings present with `--fail-on-findings`; 2: usage, configuration or other errors.
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

/// A bar on a terminal, nothing when stderr is piped.
pub fn progress_bar(len: u64, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} files {elapsed}") {
        bar.set_style(style);
    }
    bar
}

/// A progress bar for a scan the bot runs, shown as [`progress_bar`] is.
pub struct ScanBar(pub ProgressBar);

impl ScanBar {
    pub fn new(quiet: bool) -> Self {
        Self(progress_bar(0, quiet))
    }
}

impl ScanProgress for ScanBar {
    fn start(&self, files: usize) {
        self.0.set_length(files as u64);
        self.0.set_position(0);
    }
    fn advance(&self) {
        self.0.inc(1);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

pub fn pretty<T: serde::Serialize>(value: &T) -> Result<String> {
    let mut out = serde_json::to_string_pretty(value)?;
    out.push('\n');
    Ok(out)
}

/// Prints to stdout; a closed pipe (`| head`) is not an error.
pub fn print(text: &str) -> Result<()> {
    let text = redact(text);
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// A line on stderr: what a command did, or why it stopped.
pub fn note_line(line: impl fmt::Display) {
    let line = line.to_string();
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{}", redact(&line));
}

/// `note_line(format_args!(…))`.
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::cli::output::note_line(format_args!($($arg)*))
    };
}
pub(crate) use note;

pub fn init_logging(verbose: u8, quiet: bool) {
    // Progress (a check or a compile that takes a while) shows by default;
    // -v adds the cycle's steps, -vv its decisions, -vvv what the
    // libraries underneath say.
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn,patchwright::progress=info",
        (false, 1) => "warn,patchwright=info",
        (false, 2) => "warn,patchwright=debug",
        (false, 3) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("PATCHWRIGHT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .event_format(Plain)
        .init();
}

/// `warning: message` lines, like cargo's.
pub struct Plain;

impl<S, N> FormatEvent<S, N> for Plain
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let level = match *event.metadata().level() {
            Level::ERROR => "error",
            Level::WARN => "warning",
            Level::INFO => "info",
            Level::DEBUG => "debug",
            Level::TRACE => "trace",
        };
        let mut fields = String::new();
        ctx.field_format()
            .format_fields(Writer::new(&mut fields), event)?;
        if event.metadata().target() == patchwright::PROGRESS {
            return writeln!(writer, "{}…", redact(&fields));
        }
        writeln!(writer, "{level}: {}", redact(&fields))
    }
}
