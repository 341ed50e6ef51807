//! Fuzzing kept in the project: the five readers of outside input — the
//! slash-command grammar, the config loader, the event loader, the ledger
//! reader and the scan — fed their corpus in `fuzz/corpus/<target>/`, then
//! mutations of it, token soup and arbitrary text. Each input must be
//! answered without a panic, and what comes back must keep the target's
//! promises (errors that say where, ledgers that round-trip, fixes inside
//! the file).
//!
//! `cargo test` runs a fixed number of cases per target;
//! `PATCHWRIGHT_FUZZ_SECONDS=N` keeps each target going for N seconds (CI
//! does). An input that fails is printed; save it in the target's corpus
//! directory and it is replayed by every run from then on.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestCaseError, TestError, TestRunner};

use patchwright::bot::commands::grammar::parse_comment;
use patchwright::bot::events::trigger;
use patchwright::config::{Config, ConfigError};
use patchwright::engine::edit::apply_fixes;
use patchwright::engine::scan::{ScanOptions, SkipReason, scan_text};
use patchwright::engine::skill::Skill;
use patchwright::engine::skills::Registry;
use patchwright::store::ledger::Ledger;

/// Cases per round; a round is all `cargo test` runs.
const CASES: u32 = 64;

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target)
}

/// The corpus files of `target` (and of `extra` directories), by name.
fn corpus(target: &str, extra: &[&str]) -> Vec<(String, Vec<u8>)> {
    let mut dirs = vec![corpus_dir(target)];
    dirs.extend(
        extra
            .iter()
            .map(|d| Path::new(env!("CARGO_MANIFEST_DIR")).join(d)),
    );
    let mut files = Vec::new();
    for dir in dirs {
        let entries =
            std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_file() {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                files.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    assert!(!files.is_empty(), "the {target} corpus is empty");
    files
}

/// Inputs: a corpus entry as it is, mutated (tokens inserted, ranges
/// deleted or repeated), token soup, or arbitrary text.
fn inputs(seeds: Vec<String>, tokens: &'static [&'static str]) -> BoxedStrategy<String> {
    let mutated = {
        let seeds = seeds.clone();
        (
            0..seeds.len(),
            prop::collection::vec((any::<u32>(), any::<u32>(), 0..3u8, 0..tokens.len()), 0..8),
        )
            .prop_map(move |(which, edits)| mutate(&seeds[which], &edits, tokens))
    };
    let soup = prop::collection::vec(prop::sample::select(tokens), 0..200).prop_map(|t| t.concat());
    let seeds_as_is = prop::sample::select(seeds);
    prop_oneof![
        1 => seeds_as_is,
        4 => mutated,
        3 => soup,
        2 => any::<String>(),
    ]
    .boxed()
}

fn mutate(seed: &str, edits: &[(u32, u32, u8, usize)], tokens: &[&str]) -> String {
    let mut text = seed.to_owned();
    for &(at, len, op, token) in edits {
        let at = boundary(&text, at as usize % (text.len() + 1));
        let end = boundary(&text, (at + len as usize % 64).min(text.len())).max(at);
        match op {
            0 => text.insert_str(at, tokens[token]),
            1 => text.replace_range(at..end, ""),
            _ => {
                let piece = text[at..end].to_owned();
                text.insert_str(end, &piece);
            }
        }
    }
    text
}

/// `at` (within the text), moved back to a char boundary.
fn boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Replays the corpus through `check`, then runs generated inputs: one round
/// of [`CASES`], or rounds until `PATCHWRIGHT_FUZZ_SECONDS` have passed.
fn fuzz(
    target: &str,
    seeds: &[(String, Vec<u8>)],
    strategy: BoxedStrategy<String>,
    check: impl Fn(&[u8]) -> Result<(), TestCaseError>,
) {
    for (name, bytes) in seeds {
        if let Err(e) = check(bytes) {
            panic!("{target}: corpus entry {name}: {e}");
        }
    }
    let seconds = std::env::var("PATCHWRIGHT_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0);
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut rounds = 0;
    loop {
        let mut runner = TestRunner::new(RunnerConfig {
            cases: CASES,
            failure_persistence: None,
            ..RunnerConfig::default()
        });
        match runner.run(&strategy, |input| check(input.as_bytes())) {
            Ok(()) => {}
            Err(TestError::Fail(why, input)) => panic!(
                "{target}: {why}\nminimal input (save it under fuzz/corpus/{target}/ to keep it):\n{input:?}"
            ),
            Err(e) => panic!("{target}: {e}"),
        }
        rounds += 1;
        if Instant::now() >= until {
            break;
        }
    }
    assert!(rounds >= 1);
}

fn text_seeds(seeds: &[(String, Vec<u8>)]) -> Vec<String> {
    seeds
        .iter()
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .collect()
}

const COMMAND_TOKENS: &[&str] = &[
    "/patchwright",
    " ",
    "\n",
    "\r\n",
    "\t",
    "help",
    "ignore",
    "wrong",
    "later",
    "explain",
    "revert",
    "recreate",
    "stop",
    "resume",
    "pause",
    "run",
    "scan",
    "skill",
    "new",
    "#12",
    "derive-debug",
    "0123456789abcdef",
    "```",
    "~~~",
    "> ",
    "    ",
    "\"",
    "'",
    "../",
    "\u{202e}",
    "\0",
    "ß",
    "/patchwright help\n",
];

#[test]
fn the_command_grammar_answers_any_comment() {
    let seeds = corpus("commands", &[]);
    let mut texts = text_seeds(&seeds);
    // The comment that once made one ledger commit per command.
    texts.push("/patchwright ignore\n".repeat(100_000));
    let strategy = inputs(texts.clone(), COMMAND_TOKENS);
    let check = |bytes: &[u8]| {
        let body = String::from_utf8_lossy(bytes);
        let parsed = parse_comment(&body, "/patchwright");
        prop_assert!(parsed.len() <= body.lines().count());
        for p in &parsed {
            prop_assert!(p.line.starts_with("/patchwright"), "{:?}", p.line);
            prop_assert!(body.contains(p.line.as_str()));
            if let Err(e) = &p.command {
                prop_assert!(!e.to_string().trim().is_empty());
            }
        }
        Ok(())
    };
    check(texts.last().unwrap().as_bytes()).unwrap();
    fuzz("commands", &seeds, strategy, check);
}

const YAML_TOKENS: &[&str] = &[
    "scan:",
    "limits:",
    "git:",
    "network:",
    "skills:",
    "validate:",
    "revert:",
    "commands:",
    "\n",
    "  ",
    "- ",
    ": ",
    "max_prs_per_run",
    "ledger_ref",
    "refs/heads/x",
    "0",
    "-1",
    "1e99",
    ".nan",
    ".inf",
    "true",
    "null",
    "~",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "*a",
    "!!str ",
    "'",
    "\"",
    "#",
    "---",
    "...",
    "\t",
    "\u{feff}",
    "? ",
    "|",
    ">",
    "\\u0000",
];

#[test]
fn the_config_loader_answers_any_file_with_a_place() {
    let seeds = corpus("config", &[]);
    let strategy = inputs(text_seeds(&seeds), YAML_TOKENS);
    let ids = Registry::builtin().ids();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("patchwright.yml");
    let check = |bytes: &[u8]| {
        std::fs::write(&file, bytes).unwrap();
        match Config::load(dir.path(), Some(&file), &ids) {
            Ok(config) => {
                // What loads is usable: numbers in range, probabilities real.
                prop_assert!(config.network.total_seconds >= 1);
                prop_assert!((0.0..=1.0).contains(&config.learning.min_acceptance));
            }
            Err(ConfigError::Invalid(invalid)) => {
                prop_assert!(
                    invalid.file.ends_with("patchwright.yml"),
                    "{:?}",
                    invalid.file
                );
                prop_assert!(invalid.line >= 1);
                let message = invalid.to_string();
                prop_assert!(
                    message.starts_with(&invalid.file.display().to_string()),
                    "{}",
                    message
                );
                prop_assert!(!message.contains("DuplicateKeyPolicy"), "{}", message);
            }
            Err(other) => prop_assert!(false, "not an error at a place: {other}"),
        }
        Ok(())
    };
    fuzz("config", &seeds, strategy, check);
}

const JSON_TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"action\"",
    "\"created\"",
    "\"closed\"",
    "\"completed\"",
    "\"number\"",
    "\"id\"",
    "\"body\"",
    "\"user\"",
    "\"login\"",
    "\"type\"",
    "\"Bot\"",
    "null",
    "true",
    "1",
    "-1",
    "1e400",
    "18446744073709551616",
    "\"\\u0000\"",
    "\"x\"",
    " ",
];

const EVENT_NAMES: &[&str] = &[
    "schedule",
    "workflow_dispatch",
    "issue_comment",
    "pull_request",
    "pull_request_target",
    "pull_request_review",
    "check_suite",
    "workflow_run",
    "push",
    "",
];

#[test]
fn the_event_loader_answers_any_payload_naming_the_event() {
    let seeds = corpus("event", &["tests/fixtures/events"]);
    let strategy = inputs(text_seeds(&seeds), JSON_TOKENS);
    let check = |bytes: &[u8]| {
        let payload = String::from_utf8_lossy(bytes);
        for name in EVENT_NAMES {
            if let Err(e) = trigger(name, &payload) {
                prop_assert_eq!(&e.event, name);
                prop_assert!(!e.message.is_empty());
            }
        }
        Ok(())
    };
    fuzz("event", &seeds, strategy, check);
}

#[test]
fn the_ledger_reader_refuses_or_round_trips_any_document() {
    let seeds = corpus("ledger", &[]);
    let strategy = inputs(text_seeds(&seeds), JSON_TOKENS);
    let check = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes);
        match Ledger::from_json(&text) {
            Ok(ledger) => {
                let again = Ledger::from_json(&ledger.to_json());
                prop_assert_eq!(again.as_ref(), Ok(&ledger));
            }
            Err(why) => prop_assert!(!why.is_empty()),
        }
        Ok(())
    };
    let valid = &seeds
        .iter()
        .find(|(name, _)| name == "one-proposal.json")
        .expect("a valid ledger in the corpus")
        .1;
    assert!(Ledger::from_json(&String::from_utf8_lossy(valid)).is_ok());
    fuzz("ledger", &seeds, strategy, check);
}

const RUST_TOKENS: &[&str] = &[
    "fn ",
    "f",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "<",
    ">",
    ";",
    ",",
    ".",
    "::",
    "pub ",
    "struct ",
    "enum ",
    "impl ",
    "for ",
    "mod ",
    "match ",
    "=>",
    "if ",
    "else ",
    "return ",
    "let ",
    "x",
    "v",
    ".len()",
    " == 0",
    " > 0",
    "!= 0",
    "format!(\"{}\", x)",
    "println!(\"{} {}\", a, b)",
    "Ok(v) => v, Err(e) => return Err(e),",
    "Err(e.into())",
    "?",
    "#[derive(Clone)]",
    "#[derive(Debug)]",
    "impl fmt::Debug for S ",
    "// TODO: x\n",
    "/* FIXME */",
    "todo!()",
    "'a",
    "\"s\"",
    "r#\"{\"#",
    "b'x'",
    "'{'",
    "\n",
    "\r\n",
    " ",
    "\t",
    "ñ",
    "\u{202e}",
    "0",
    "1 + ",
    "|| ",
    "async ",
    "move ",
    "const ",
    "unsafe ",
    "dyn ",
    "&",
    "*",
    "-",
    "!",
    "$x",
    "macro_rules! m { () => {} }",
    "\u{feff}",
    "#!",
    "\\",
];

#[test]
fn the_scan_answers_any_text_with_fixes_inside_the_file() {
    let seeds = corpus(
        "scan",
        &[
            "tests/fixtures/skills/len-zero",
            "tests/fixtures/skills/question-mark",
        ],
    );
    let mut texts = text_seeds(&seeds);
    // The inputs that once overflowed the stack, generated rather than kept.
    texts.extend([
        format!("fn f() {}{}", "{".repeat(500), "}".repeat(500)),
        format!("const X: u8 = {}0{};", "(".repeat(1000), ")".repeat(1000)),
        format!("const X: u32 = {}1;", "1 + ".repeat(200_000)),
        format!("fn f() {{ x{}; }}", ".a()".repeat(50_000)),
        // Found by this target: a fix in a deeply nested file, whose parse
        // check ran on the caller's stack.
        format!(
            "fn f(v: &[u8]) -> bool {{ v.len() == 0 && {}true{} }}",
            "(".repeat(900),
            ")".repeat(900)
        ),
    ]);
    let strategy = inputs(texts.clone(), RUST_TOKENS);
    let registry = Registry::builtin();
    let skills: Vec<&dyn Skill> = registry.all().collect();
    let options = ScanOptions::default();
    let check = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes).into_owned();
        let path: patchwright::vocab::rel_path::RelPath = "src/lib.rs".parse().unwrap();
        match scan_text(path.clone(), text.clone(), &skills, &options) {
            Ok(file) => {
                for finding in &file.findings {
                    prop_assert!(finding.range.start <= finding.range.end);
                    prop_assert!(text.is_char_boundary(finding.range.start));
                    prop_assert!(text.is_char_boundary(finding.range.end));
                    let Some(fix) = &finding.fix else { continue };
                    for (_, edit) in &fix.edits {
                        prop_assert!(edit.range.end <= text.len(), "{:?}", edit);
                        prop_assert!(text.is_char_boundary(edit.range.start));
                        prop_assert!(text.is_char_boundary(edit.range.end));
                    }
                }
                // Whatever is applied leaves a file that parses.
                let fixes: Vec<_> = file.findings.iter().filter_map(|f| f.fix.clone()).collect();
                if !fixes.is_empty() && text.len() < 20_000 {
                    let originals = [(path, text.clone())].into_iter().collect();
                    let applied = apply_fixes(&originals, &fixes);
                    for patched in applied.files.values() {
                        prop_assert!(
                            patchwright::engine::source::parses(&patched.new),
                            "{}",
                            patched.new
                        );
                    }
                }
            }
            Err(warning) => {
                prop_assert!(
                    warning.reason != SkipReason::SkillFailed,
                    "{}",
                    warning.message
                );
                prop_assert!(
                    warning.message.starts_with("src/lib.rs"),
                    "{}",
                    warning.message
                );
            }
        }
        Ok(())
    };
    for generated in &texts[seeds.len()..] {
        check(generated.as_bytes()).unwrap();
    }
    fuzz("scan", &seeds, strategy, check);
}
