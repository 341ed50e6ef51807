//! The `patchwright` command line: arguments ([`args`]), what commands set
//! up ([`setup`]), one file per command group, and how output is written
//! ([`output`]). It sits on top of the library and only calls it; nothing
//! in the library imports it.

pub mod args;
pub mod bench;
mod gc;
mod ledger;
mod memory;
pub mod output;
mod rules;
mod run;
mod scan;
mod setup;
mod skill;

use std::process::ExitCode;

use anyhow::Result;

use patchwright::engine::skills::Registry;

use args::{Command, Options};

/// Runs one command.
pub fn run(cli: Options, command: Command) -> Result<ExitCode> {
    let registry = Registry::builtin();
    let cli = &cli;
    let registry = &registry;
    match command {
        Command::Scan(args) => scan::scan(cli, registry, args),
        Command::Fix(args) => scan::fix(cli, registry, args),
        Command::Report(args) => scan::report(cli, registry, args),
        Command::Skills(args) => scan::skills(cli, registry, args),
        Command::Run(args) => run::run(cli, registry, args),
        Command::Event(args) => run::event(cli, registry, args),
        Command::Stop(args) => memory::stop(cli, registry, args),
        Command::Pause(args) => memory::pause(cli, registry, args),
        Command::Retry(args) => memory::retry(cli, registry, args),
        Command::Resume(args) => memory::resume(cli, registry, args),
        Command::Stats(args) => memory::stats(cli, registry, args),
        Command::Ignore(args) => memory::ignore(cli, registry, args),
        Command::Explain(args) => memory::explain(cli, registry, args),
        Command::Ignored(args) => memory::ignored(cli, registry, args),
        Command::Unignore(args) => memory::unignore(cli, registry, args),
        Command::Pulls(args) => ledger::pulls(cli, registry, args),
        Command::Skill { command } => skill::skill(cli, registry, command),
        Command::Ledger { command } => ledger::ledger(cli, registry, command),
        Command::Rules { command } => rules::rules(cli, registry, command),
        Command::Bench(args) => bench::bench(args),
        Command::Gc(args) => gc::gc(cli, registry, args),
    }
}
