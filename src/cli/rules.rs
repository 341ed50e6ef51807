//! `rules test` and `rules new`: a repository's own rules, checked against
//! their examples and started from a pattern.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, bail};

use patchwright::bot::context::Bot;
use patchwright::bot::generated;
use patchwright::bot::mine::{MineRequest, rules_mine};
use patchwright::bot::run::RunOptions;
use patchwright::engine::edit::unified_diff;
use patchwright::engine::rules::{self, ExampleOutcome, RuleBook, RuleTest};
use patchwright::engine::skills::Registry;
use patchwright::sys::files::write_atomically;

use crate::cli::args::{Options, RulesCommand};
use crate::cli::output::{note, print};
use crate::cli::setup::{GitSetup, local_forge};

pub fn rules(cli: &Options, registry: &Registry, command: RulesCommand) -> Result<ExitCode> {
    match command {
        RulesCommand::Test { path } => {
            let loaded = rules::load_dir(&path).map_err(|e| {
                anyhow::anyhow!(
                    "cannot read the rules in {}: {e}",
                    path.join(rules::RULES_DIR).display()
                )
            })?;
            if loaded.rules.is_empty() && loaded.errors.is_empty() {
                note!(
                    "no rules in {}; `patchwright rules new` starts one",
                    path.join(rules::RULES_DIR).display()
                );
                return Ok(ExitCode::SUCCESS);
            }
            let errors: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
            let tests = rules::test_rules(&RuleBook::new(loaded.rules));
            print(&table(&tests, &errors))?;
            let failed = tests.iter().any(|t| !t.passed()) || !errors.is_empty();
            Ok(match failed {
                true => ExitCode::FAILURE,
                false => ExitCode::SUCCESS,
            })
        }
        RulesCommand::Mine {
            path,
            since,
            min_count,
            dry_run,
            no_checks,
            ..
        } => {
            let request = MineRequest {
                since_days: since,
                min_count,
                max_proposals: usize::MAX,
                explain_known: true,
            };
            let mined = with_bot(cli, registry, &path, dry_run, no_checks, |bot, options| {
                Ok(rules_mine(bot, request, options)?)
            })?;
            print(&mined.to_text())?;
            note!("{}", mined.summary());
            Ok(ExitCode::SUCCESS)
        }
        RulesCommand::New {
            id,
            pattern,
            fix,
            message,
            path,
            propose,
            dry_run,
            no_checks,
            ..
        } => {
            let rule = rules::new_rule(&id, &message, &pattern, fix.as_deref())
                .map_err(|e| anyhow::anyhow!("the rule cannot be made: {}", e.message))?;
            let matched = rule.example_matched;
            if propose {
                let report = with_bot(cli, registry, &path, dry_run, no_checks, |bot, options| {
                    Ok(generated::rule_new(bot, rule, options)?)
                })?;
                print(&report.to_text())?;
            } else {
                let file = path.join(&rule.path);
                if file.exists() {
                    bail!(
                        "{} already exists; choose another id or edit it",
                        file.display()
                    );
                }
                if let Some(dir) = file.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                write_atomically(&file, &rule.text)?;
                note!(
                    "wrote {}; check it with `patchwright rules test`",
                    rule.path
                );
            }
            if !matched {
                note!(
                    "the pattern did not match the example made from it (its `where` may exclude it): edit the example's `before` and `after`"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Runs `act` with a bot on the repository at `path` and the local forge
/// (proposals are branches, checks run here), as `skill new` does.
fn with_bot<T>(
    cli: &Options,
    registry: &Registry,
    path: &Path,
    dry_run: bool,
    no_checks: bool,
    act: impl FnOnce(&Bot<'_>, &RunOptions) -> Result<T>,
) -> Result<T> {
    let git = GitSetup::open(path, cli, registry)?;
    let default_branch = git.default_branch()?;
    let forge = local_forge(&git, &default_branch)?;
    let bot = git.bot(&git.registry, &forge, default_branch);
    let options = RunOptions {
        dry_run,
        checks: !no_checks,
        ..RunOptions::default()
    };
    act(&bot, &options)
}

/// One row per rule, then what failed, with the difference.
fn table(tests: &[RuleTest], errors: &[String]) -> String {
    let width = tests.iter().map(|t| t.rule.len()).max().unwrap_or(4).max(4);
    let mut out = format!("{:width$}  EXAMPLES  PASSED  FILE\n", "RULE");
    for test in tests {
        let passed = test
            .outcomes
            .iter()
            .filter(|o| **o == ExampleOutcome::Passed)
            .count();
        let _ = writeln!(
            out,
            "{:width$}  {:8}  {:6}  {}",
            test.rule,
            test.outcomes.len(),
            passed,
            test.file.display()
        );
    }
    for test in tests {
        for (i, outcome) in test.outcomes.iter().enumerate() {
            if *outcome == ExampleOutcome::Passed {
                continue;
            }
            let _ = writeln!(
                out,
                "\n{} example {}: {}",
                test.rule,
                i + 1,
                outcome.summary()
            );
            if let ExampleOutcome::Differs { expected, got } = outcome {
                let path = "example.rs"
                    .parse()
                    .unwrap_or_else(|_| unreachable!("a valid relative path"));
                out.push_str(
                    &unified_diff(&path, expected, got)
                        .replace("--- a/example.rs", "--- after (expected)")
                        .replace("+++ b/example.rs", "+++ what the fix made"),
                );
            }
        }
    }
    for error in errors {
        let _ = writeln!(out, "\n{error}");
    }
    let failed = tests.iter().filter(|t| !t.passed()).count();
    let _ = writeln!(
        out,
        "\n{} rules, {} with a failing example, {} that cannot be read",
        tests.len(),
        failed,
        errors.len()
    );
    out
}
