//! The bot: the cycle and what drives it. An event or a command becomes a
//! [`events::Trigger`]; [`on_event`] does what it asks — a [`cycle`] run
//! (sync, watch, scan, plan, [`propose`]), a [`sync`] of one pull request,
//! or a comment's slash [`commands`]. [`control`] and [`memory`] are how
//! maintainers steer and question it; [`watch`] acts on the regression
//! watch's decisions.
//!
//! The bot is where effects happen: it reads and writes the ledger through
//! the store, talks to the forge, and performs what `policy` decides. It
//! may import every layer below it; nothing but the command line imports
//! it.

pub mod branches;
pub mod checks;
pub mod commands;
pub mod context;
pub mod control;
pub mod cycle;
pub mod dashboard;
pub mod events;
pub mod generated;
pub mod memory;
pub mod mine;
pub mod on_event;
pub mod propose;
pub mod refresh;
pub mod run;
pub mod sync;
pub mod tree_scan;
pub mod unpublished;
pub mod validation;
pub mod watch;
pub mod workflows;
