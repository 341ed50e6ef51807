//! Where the bot keeps things: the [`ledger`] model (its whole memory, as
//! plain values) and the [`ledger_store`] that keeps it on a ref updated
//! compare-and-swap; git plumbing with git2 ([`repo`], [`commits`],
//! [`publish`], and a branch's changes to Rust files in [`history`]);
//! check results ([`checks`]); the scan's cache ([`scan_cache`]).
//!
//! The store imports only `config` and `vocab`. It is the only layer that
//! uses git2. The ledger model and check results are plain values, so the
//! policy layer reads them; the rest of the store does I/O and is for the
//! bot.

pub mod checks;
pub mod commits;
pub mod history;
pub mod ledger;
pub mod ledger_merge;
pub mod ledger_store;
pub mod publish;
pub mod repo;
pub mod scan_cache;
#[cfg(test)]
pub(crate) mod testing;
