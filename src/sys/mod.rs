//! The operating system, as the layers above need it: running a command
//! with a time limit ([`command`]) and writing a file so that a crash never
//! leaves half of it ([`files`]).
//!
//! It imports only `vocab`; `engine`, `store`, `forge`, `bot` and the
//! command line use it. Decisions (`policy`) never do.

pub mod command;
pub mod files;
