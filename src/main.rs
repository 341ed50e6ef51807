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

fn main() -> ExitCode {
    patchwright::sys::memory::return_freed_memory_promptly();
    let mut cli = Cli::parse();
    cli.options.remote = cli.command.remote();
    cli::output::init_logging(cli.options.verbose, cli.options.quiet);
    let report_peak_memory = cli.options.report_peak_memory;
    let outcome = cli::run(cli.options, cli.command);
    if report_peak_memory {
        cli::bench::report_peak_memory();
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
