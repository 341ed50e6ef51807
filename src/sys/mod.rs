//! The operating system, as the layers above need it: running a command
//! with a time limit ([`command`]), bounded build directories
//! ([`build_cache`]), writing a file so that a crash never
//! leaves half of it ([`files`]), the network's time budget of a run
//! ([`network`]), and the peak memory the benchmarks report ([`memory`]).
//!
//! It imports only `vocab`; `engine`, `store`, `forge`, `bot` and the
//! command line use it. Decisions (`policy`) never do.

pub mod build_cache;
pub mod command;
pub mod files;
pub mod memory;
pub mod network;
