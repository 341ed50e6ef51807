//! Slash commands in issue and pull-request comments: what can be asked
//! ([`command`]), how a comment is read ([`grammar`], pure and tested line
//! by line), and what each command does ([`dispatch`]).

pub mod command;
pub mod dispatch;
pub mod grammar;
