//! Renderings of what a scan found: plain text for people, JSON for
//! scripts, SARIF for GitHub code scanning, and the project report (the
//! self-analysis) as markdown or JSON; and in [`templates`], the bodies of
//! pull requests, reverts and the dashboard.
//!
//! Report turns values into text: it imports the engine's results, the
//! ledger model, config and vocab, never the bot, a forge or git.

mod json;
mod markdown;
mod project;
mod sarif;
pub mod templates;
mod text;

pub use json::findings as findings_json;
pub use markdown::project as project_markdown;
pub use project::{FunctionRef, ProjectReport, SkillCount, TodoEntry};
pub use sarif::findings as findings_sarif;
pub use text::findings as findings_text;
