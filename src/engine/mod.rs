//! Scanning and fixing: the workspace from `cargo_metadata`, each `.rs`
//! file parsed with syn into a [`source::SourceFile`], the [`skills`]
//! run over it in parallel, fingerprinted [`finding::Finding`]s, and fixes
//! as minimal byte-range [`edit`]s spliced into the original text.
//!
//! The engine knows nothing of git, the ledger or forges: it reads files
//! from a directory and returns values. It imports only `config` and
//! `vocab`.

pub mod bench;
pub mod debug_facts;
pub mod diagnostics;
pub mod edit;
pub mod finding;
pub mod format;
pub mod generated;
pub mod item_ends;
pub mod items;
pub mod known_types;
pub mod lint_skill;
pub mod lints;
pub mod metrics;
pub mod precedence;
pub mod rules;
pub mod scan;
pub mod skill;
pub mod skills;
pub mod source;
pub mod validate;
pub mod workspace;
