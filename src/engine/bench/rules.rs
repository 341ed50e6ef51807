//! `bench --rules N`: what a repository's rules add to a scan. The corpus
//! is scanned with the built-in skills alone and with them plus N rules
//! (patterns on common methods, macros and calls, so that most files hold
//! a word some rule needs), alternating, best of the rounds.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{BenchError, MAX_FILE_BYTES, best_of, corpus_workspace};
use crate::engine::rules::{RuleBook, is_rule, parse_rule};
use crate::engine::scan::{ScanOptions, scan};
use crate::engine::skill::Skill;
use crate::engine::skills::Registry;

/// Patterns of the measured rules: (pattern, fix).
const PATTERNS: &[(&str, Option<&str>)] = &[
    ("$X.clone()", None),
    ("$X.unwrap()", None),
    ("$X.expect($M)", None),
    ("$X.to_string()", None),
    ("$X.to_owned()", Some("$X.to_string()")),
    ("$X.iter().count()", Some("$X.len()")),
    ("$X.into_iter()", None),
    ("$X.as_str()", None),
    ("$X.as_ref()", None),
    ("$X.borrow()", None),
    ("$X.lock().unwrap()", None),
    ("$X.len() == 0", Some("$X.is_empty()")),
    ("$X.is_some()", None),
    ("$X.is_none()", None),
    ("$X.map($F)", None),
    ("$X.and_then($F)", None),
    ("$X.unwrap_or($D)", None),
    ("$X.unwrap_or_default()", None),
    ("$X.ok()", None),
    ("$X.err()", None),
    ("$X.push($V)", None),
    ("$X.insert($K, $V)", None),
    ("$X.get($K)", None),
    ("$X.contains($V)", None),
    ("$X.starts_with($P)", None),
    ("$X.ends_with($P)", None),
    ("$X.trim()", None),
    ("$X.split($P)", None),
    ("$X.collect()", None),
    ("$X.sort()", Some("$X.sort_unstable()")),
    ("eprintln!($$$A)", Some("log_warn!($$$A)")),
    ("println!($$$A)", None),
    ("format!($$$A)", None),
    ("panic!($$$A)", None),
    ("assert!($$$A)", None),
    ("assert_eq!($$$A)", None),
    ("vec![$$$A]", None),
    ("write!($$$A)", None),
    ("debug_assert!($$$A)", None),
    ("dbg!($$$A)", None),
    ("Box::new($X)", None),
    ("Arc::new($X)", None),
    ("Rc::new($X)", None),
    ("Vec::new()", Some("Vec::default()")),
    ("String::new()", Some("String::default()")),
    ("String::from($X)", None),
    ("Some($X)", None),
    ("Ok($X)", None),
    ("std::mem::replace($A, $B)", None),
    ("$X as usize", None),
];

#[derive(Debug, Clone, Serialize)]
pub struct RulesBench {
    pub corpus: PathBuf,
    pub files: usize,
    pub bytes: u64,
    pub rounds: usize,
    pub rules: usize,
    /// The built-in skills alone.
    pub builtin_seconds: f64,
    /// The built-in skills and the rules.
    pub with_rules_seconds: f64,
    /// `with_rules_seconds / builtin_seconds`.
    pub ratio: f64,
    pub rule_findings: usize,
}

/// `count` rules made from the patterns above (repeated with other method
/// names past their number).
pub fn rules(count: usize) -> RuleBook {
    let rules = (0..count)
        .filter_map(|i| {
            let (pattern, fix) = PATTERNS[i % PATTERNS.len()];
            let round = i / PATTERNS.len();
            let pattern = match round {
                0 => pattern.to_owned(),
                // Another name: before the first `(` of a call, or the `!`
                // of a macro.
                n => match pattern.find(['(', '!']) {
                    Some(at) => format!("{}_{n}{}", &pattern[..at], &pattern[at..]),
                    None => format!("{pattern}_{n}"),
                },
            };
            let mut text = format!("id: bench-{i}\nmessage: m\nmatch: '{pattern}'\n");
            if let Some(fix) = fix.filter(|_| round == 0) {
                text.push_str(&format!("fix: '{fix}'\n"));
            }
            parse_rule(&text, Path::new("bench.yml")).ok()
        })
        .collect();
    RuleBook::new(rules)
}

pub fn run(corpus: Option<&Path>, rounds: usize, count: usize) -> Result<RulesBench, BenchError> {
    let (corpus, workspace) = corpus_workspace(corpus)?;
    let rounds = rounds.max(1);
    let builtin = Registry::builtin();
    let with_rules = builtin.with_rules(rules(count));
    let alone: Vec<&dyn Skill> = builtin.all().collect();
    let all: Vec<&dyn Skill> = with_rules.all().collect();
    let options = ScanOptions {
        max_file_bytes: MAX_FILE_BYTES,
        ..ScanOptions::default()
    };
    let mut rule_findings = 0;
    let (mut best_alone, mut best_all) = (f64::MAX, f64::MAX);
    // Alternating keeps a slow minute of the machine from landing on one.
    for _ in 0..rounds {
        best_alone = best_alone.min(
            best_of(1, || {
                scan(&workspace, &alone, &options, &|_| {});
            })
            .as_secs_f64(),
        );
        best_all = best_all.min(
            best_of(1, || {
                let report = scan(&workspace, &all, &options, &|_| {});
                rule_findings = report
                    .findings()
                    .filter(|f| {
                        all.iter()
                            .any(|s| s.id() == f.skill.as_str() && is_rule(*s))
                    })
                    .count();
            })
            .as_secs_f64(),
        );
    }
    Ok(RulesBench {
        corpus,
        files: workspace.files.len(),
        bytes: workspace.files.iter().map(|f| f.size).sum(),
        rounds,
        rules: all.len() - alone.len(),
        builtin_seconds: best_alone,
        with_rules_seconds: best_all,
        ratio: best_all / best_alone.max(1e-9),
        rule_findings,
    })
}

impl RulesBench {
    pub fn to_text(&self) -> String {
        format!(
            "corpus: {} ({} files, {:.1} MB), best of {} rounds\n\
             built-in skills:             {:.2} s\n\
             built-in skills + {} rules:  {:.2} s ({:.2}× the built-in skills alone)\n\
             rule findings: {}\n",
            self.corpus.display(),
            self.files,
            self.bytes as f64 / 1e6,
            self.rounds,
            self.builtin_seconds,
            self.rules,
            self.with_rules_seconds,
            self.ratio,
            self.rule_findings
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bench_rule_compiles_and_the_book_has_as_many_as_asked() {
        assert_eq!(rules(PATTERNS.len()).rules().len(), PATTERNS.len());
        assert_eq!(rules(120).rules().len(), 120);
    }

    #[test]
    fn measures_a_small_corpus() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.rs"),
            "fn f(v: Vec<u8>) -> usize { eprintln!(\"x\"); v.iter().count() }\n",
        )
        .unwrap();
        let report = run(Some(dir.path()), 1, 50).unwrap();
        assert_eq!(report.rules, 50);
        assert_eq!(report.files, 1);
        // `eprintln!(…)` and `v.iter().count()`; no other pattern is there.
        assert_eq!(report.rule_findings, 2, "{}", report.to_text());
    }
}
