//! Slash commands in issue and pull-request comments: the [`grammar`]
//! (pure, and tested line by line) and what each command does
//! ([`dispatch`]).

pub mod dispatch;
pub mod grammar;
