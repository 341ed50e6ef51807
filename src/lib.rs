//! patchwright: a git-native repair bot for Rust repositories.
//!
//! The library is the whole bot; the `patchwright` binary is a thin
//! command line over it. The modules are layers, and imports only point
//! down this list (a test in `tests/all/architecture.rs` keeps it so):
//!
//! | layer | what it owns |
//! |---|---|
//! | [`bot`] | the cycle and what drives it: events, slash commands, control, memory, the regression watch's acting half |
//! | [`report`], [`scaffold`] | renderings (text, JSON, SARIF, markdown) and `skill new` |
//! | [`policy`] | pure decisions: plan, learn, pace, the watch's verdict and revert brakes |
//! | [`forge`] | where pull requests live: the `Forge` trait, GitHub and local |
//! | [`engine`] | scanning and fixing: workspace, source, skills, findings, edits |
//! | [`store`] | the ledger and its compare-and-swap store, git plumbing |
//! | [`config`], [`sys`] | `.github/patchwright.yml`; running commands and writing files |
//! | [`vocab`] | ids, paths, timestamps, access levels: the shared vocabulary |
//!
//! `bot` may use every layer below it; `policy` uses `engine` and the
//! store's plain values (the ledger model, check results), never git, a
//! forge, the filesystem or the clock; `forge` uses the store's types;
//! `engine` and `store` know nothing of each other. `ARCHITECTURE.md`
//! says where each concept lives.

pub mod bot;
pub mod config;
pub mod engine;
pub mod forge;
pub mod policy;
pub mod report;
pub mod scaffold;
pub mod store;
pub mod sys;
pub mod vocab;

/// The `tracing` target of progress lines: steps that take a while (a
/// check, a compile), shown by default so that a long run is not silent.
pub const PROGRESS: &str = "patchwright::progress";
