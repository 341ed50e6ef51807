//! One integration test binary (link once): the CLI end to end, skill
//! fixtures, byte-for-byte preservation, bad input, real cargo, and the
//! layering of `src/`.

mod api_hygiene;
mod architecture;
mod bad_input;
mod baseline;
mod cargo_check;
mod cli;
mod fake_git;
mod fake_github;
mod freshness;
mod fuzz;
mod github;
mod ledger_history;
mod lints;
mod memory;
mod preservation;
mod regression;
mod rules;
mod run_local;
mod scan_cache;
mod skill_fixtures;
mod skill_new;
mod support;
mod validate;
mod workflows;
