//! patchwright: a git-native repair bot for Rust repositories.
//!
//! The library is the whole bot; the `patchwright` binary is a thin CLI over
//! it. A scan discovers the [`workspace`], parses every file into a
//! [`source::SourceFile`], runs the [`skills`], and returns fingerprinted
//! [`finding::Finding`]s whose fixes are minimal byte-range [`edit`]s.

pub mod bench;
pub mod commands;
pub mod config;
pub mod control;
pub mod cycle;
pub mod edit;
pub mod events;
pub mod finding;
pub mod forge;
pub mod git;
pub mod items;
pub mod learn;
pub mod ledger;
pub mod memory;
pub mod metrics;
pub mod pace;
pub mod plan;
pub mod provenance;
pub mod report;
pub mod scaffold;
pub mod scan;
pub mod skills;
pub mod source;
pub mod watch;
pub mod workspace;
