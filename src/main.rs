//! The `patchwright` binary's process edge: parse the arguments, set up
//! logging, run the command, turn errors into an exit code. The commands
//! are in [`cli`]; everything they do is in the library.

mod cli;

use std::process::ExitCode;

use clap::Parser;

use cli::args::Cli;

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    cli.options.remote = cli.command.remote();
    cli::output::init_logging(cli.options.verbose, cli.options.quiet);
    match cli::run(cli.options, cli.command) {
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
