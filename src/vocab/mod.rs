//! The shared vocabulary: small value types every layer passes around —
//! ids ([`ids::SkillId`], [`ids::Fingerprint`], [`git_names::CommitSha`],
//! [`git_names::BranchName`]), repository paths, timestamps, a person's
//! access, a skill's risk, secrets that never reach a log, and outside text
//! made safe to print.
//!
//! The bottom layer: it imports nothing from the crate, does no I/O
//! beyond reading the clock in [`time::Timestamp::now`], and knows nothing
//! of git2, forges or the ledger. Each type checks its invariant where a
//! string becomes one, so the layers above never hold an invalid id.

pub mod access;
pub mod git_names;
pub mod hash;
pub mod ids;
pub mod rel_path;
pub mod risk;
pub mod secret;
pub mod text;
pub mod time;
