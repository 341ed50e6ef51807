//! Pure decisions: values in, values out. What to propose and in what
//! order ([`plan`]), whose fault a red check is ([`checks`]), what outcomes teach ([`learn`]), how many proposals
//! may be open ([`pace`]), and whether a red on the default branch is a
//! merge's fault and may be reverted ([`watch`]).
//!
//! Inputs are values — a ledger snapshot, findings, check results, the
//! configuration, the time — and outputs are values (a plan, a ledger
//! change, the next step). Nothing here touches git2, a forge, the
//! filesystem or the clock, so every decision is tested with plain values.

pub mod checks;
pub mod learn;
pub mod pace;
pub mod plan;
pub mod watch;
