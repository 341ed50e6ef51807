//! The `patchwright` binary's process edge: parse the arguments, set up
//! logging, run the command, turn errors into an exit code. The commands
//! are in [`cli`]; everything they do is in the library.

mod cli;

use std::process::ExitCode;

use clap::Parser;

use cli::args::Cli;

// Parsing is mostly allocating and freeing small nodes: this allocator
// does that in far less time than the system's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay`: its place in mimalloc's option list (the list
/// keeps retired options in place, so it does not move).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Freed memory goes back to the system after 1 ms instead of mimalloc's
/// default 10: a scan frees a file's tree as it takes the next, and the
/// longer delay lets the resident set grow by half for a few per cent of
/// speed.
fn return_freed_memory_promptly() {
    // SAFETY: sets one of mimalloc's options; any value is valid for it.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 1) }
}

/// How `--report-peak-memory` starts its line (MB follow).
pub const PEAK_MEMORY_LINE: &str = "peak resident memory, MB: ";

fn main() -> ExitCode {
    return_freed_memory_promptly();
    let mut cli = Cli::parse();
    cli.options.remote = cli.command.remote();
    cli::output::init_logging(cli.options.verbose, cli.options.quiet);
    let report_peak_memory = cli.options.report_peak_memory;
    let outcome = cli::run(cli.options, cli.command);
    if report_peak_memory && let Some(mb) = patchwright::sys::memory::peak_rss_mb() {
        cli::output::note_line(format_args!("{PEAK_MEMORY_LINE}{mb:.1}"));
    }
    match outcome {
        Ok(code) => code,
        Err(err) => {
            let mut message = err.to_string();
            for cause in err.chain().skip(1) {
                message.push_str(&format!(": {cause}"));
            }
            cli::output::note_line(format_args!("error: {message}"));
            ExitCode::from(cli::output::EXIT_ERROR)
        }
    }
}
