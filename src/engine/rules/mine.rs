//! `rules mine`: the fixes a team keeps making by hand, found in its
//! history. Each small commit's changed Rust code is cut down to the
//! smallest expression that changed, generalized into a pattern pair
//! ([`super::anti_unify`]), and changes with the same pair are counted. A
//! pair seen often enough, by more than one person or on more than one
//! day, and that reproduces each of its historic fixes when applied as a
//! rule, becomes a rule file with its evidence.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use similar::{DiffTag, TextDiff};

use super::anti_unify::{generalize, node_ranges, smallest_around};
use super::examples::try_on;
use super::rule::parse_rule;
use super::walk::RuleBook;
use crate::engine::source::{SourceFile, release_thread_spans};
use crate::vocab::hash::content_hash;
use crate::vocab::rel_path::RelPath;
use crate::vocab::time::Timestamp;

/// One commit's change to one file, as history has it.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    pub commit: &'a str,
    pub author: &'a str,
    /// Seconds since the epoch.
    pub time: i64,
    pub path: &'a str,
    pub old: &'a str,
    pub new: &'a str,
}

/// What makes a pattern a rule.
#[derive(Debug, Clone, Copy)]
pub struct MineOptions {
    /// Times the change must have been made.
    pub min_count: usize,
    /// Patterns longer than this many tokens are too specific to repeat.
    pub max_tokens: usize,
}

impl Default for MineOptions {
    fn default() -> Self {
        Self {
            min_count: 3,
            max_tokens: 40,
        }
    }
}

/// One time a change was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub commit: String,
    pub author: String,
    pub time: i64,
    pub path: String,
    pub before: String,
    pub after: String,
}

/// A change made again and again, as a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mined {
    pub id: String,
    pub pattern: String,
    pub fix: String,
    pub occurrences: Vec<Occurrence>,
    /// The rule file.
    pub text: String,
}

impl Mined {
    pub fn authors(&self) -> usize {
        self.occurrences
            .iter()
            .map(|o| &o.author)
            .collect::<BTreeSet<_>>()
            .len()
    }

    pub fn days(&self) -> usize {
        self.occurrences
            .iter()
            .map(|o| o.time.div_euclid(86_400))
            .collect::<BTreeSet<_>>()
            .len()
    }
}

/// The changes of `changes` that were made often enough to be rules.
pub fn mine(changes: &[Change<'_>], options: MineOptions) -> Vec<Mined> {
    let mut seen: BTreeMap<(String, String), Vec<Occurrence>> = BTreeMap::new();
    for change in changes {
        // History holds any code at all: a change the generalization
        // cannot take costs that change, not the whole mining.
        let pairs = std::panic::catch_unwind(|| {
            changed_expressions(change)
                .into_iter()
                .filter_map(|(before, after)| {
                    let key = generalize(&before, &after, options.max_tokens)?;
                    Some((key, before, after))
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
        release_thread_spans();
        for (key, before, after) in pairs {
            seen.entry(key).or_default().push(Occurrence {
                commit: change.commit.to_owned(),
                author: change.author.to_owned(),
                time: change.time,
                path: change.path.to_owned(),
                before,
                after,
            });
        }
    }
    let mut mined: Vec<Mined> = seen
        .into_iter()
        .filter_map(|((pattern, fix), occurrences)| {
            let candidate = Mined {
                id: rule_id(&pattern, &fix),
                pattern,
                fix,
                occurrences,
                text: String::new(),
            };
            let enough = |m: &Mined| {
                m.occurrences.len() >= options.min_count && (m.authors() >= 2 || m.days() >= 2)
            };
            if !enough(&candidate) {
                return None;
            }
            let proven = reproduced(candidate)?;
            enough(&proven).then_some(proven)
        })
        .collect();
    mined.sort_by(|a, b| {
        b.occurrences
            .len()
            .cmp(&a.occurrences.len())
            .then(a.id.cmp(&b.id))
    });
    mined
}

/// Each smallest changed expression of a change: (before, after) as
/// written.
fn changed_expressions(change: &Change<'_>) -> Vec<(String, String)> {
    let path: RelPath = change.path.parse().unwrap_or_else(|_| {
        "history.rs"
            .parse()
            .unwrap_or_else(|_| unreachable!("a valid relative path"))
    });
    let (Ok(old), Ok(new)) = (
        SourceFile::parse(path.clone(), change.old.to_owned()),
        SourceFile::parse(path, change.new.to_owned()),
    ) else {
        return Vec::new();
    };
    let (old_nodes, new_nodes) = (node_ranges(&old), node_ranges(&new));
    let (old_lines, new_lines) = (line_starts(change.old), line_starts(change.new));
    let diff = TextDiff::from_lines(change.old, change.new);
    let mut out = Vec::new();
    for op in diff.ops() {
        let (tag, old_range, new_range) = op.as_tag_tuple();
        if tag != DiffTag::Replace {
            continue;
        }
        let a = bytes(&old_lines, change.old.len(), old_range);
        let b = bytes(&new_lines, change.new.len(), new_range);
        let (a, b) = trim_common(change.old, a, change.new, b);
        let (Some(before), Some(after)) = (
            smallest_around(&old_nodes, &a),
            smallest_around(&new_nodes, &b),
        ) else {
            continue;
        };
        out.push((change.old[before].to_owned(), change.new[after].to_owned()));
    }
    out
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// A range of lines as a range of bytes.
fn bytes(starts: &[usize], len: usize, lines: Range<usize>) -> Range<usize> {
    let at = |line: usize| starts.get(line).copied().unwrap_or(len);
    at(lines.start)..at(lines.end)
}

/// The two ranges without what they start and end with alike.
fn trim_common(
    old: &str,
    mut a: Range<usize>,
    new: &str,
    mut b: Range<usize>,
) -> (Range<usize>, Range<usize>) {
    let (x, y) = (old.as_bytes(), new.as_bytes());
    while a.start < a.end && b.start < b.end && x[a.start] == y[b.start] {
        a.start += 1;
        b.start += 1;
    }
    while a.start < a.end && b.start < b.end && x[a.end - 1] == y[b.end - 1] {
        a.end -= 1;
        b.end -= 1;
    }
    // Back to character boundaries, widening.
    while !old.is_char_boundary(a.start) {
        a.start -= 1;
    }
    while !new.is_char_boundary(b.start) {
        b.start -= 1;
    }
    while !old.is_char_boundary(a.end) {
        a.end += 1;
    }
    while !new.is_char_boundary(b.end) {
        b.end += 1;
    }
    (a, b)
}

/// `mined-` and the words the fix brings in (or the pattern's), with a
/// short hash that tells apart rules with the same words.
fn rule_id(pattern: &str, fix: &str) -> String {
    let words = |text: &str| -> Vec<String> {
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| w.starts_with(|c: char| c.is_ascii_alphabetic()))
            .map(|w| w.to_ascii_lowercase().replace('_', "-"))
            .collect()
    };
    let (from, to) = (words(pattern), words(fix));
    let new: Vec<&String> = to.iter().filter(|w| !from.contains(w)).collect();
    let picked: Vec<&String> = match new.is_empty() {
        true => from.iter().take(3).collect(),
        false => new.into_iter().take(3).collect(),
    };
    let hash = content_hash(format!("{pattern}\0{fix}").as_bytes());
    let mut id = String::from("mined");
    for word in picked {
        id.push('-');
        id.push_str(word.trim_matches('-'));
    }
    format!("{id}-{}", &hash[..4]).replace("--", "-")
}

/// The candidate with its rule file, keeping only the occurrences the rule
/// reproduces: applied to the code before, it gives the code after.
fn reproduced(mut mined: Mined) -> Option<Mined> {
    let draft = rule_text(&mined, &[]);
    let rule = parse_rule(&draft, std::path::Path::new("mined.yml")).ok()?;
    let book = RuleBook::new(vec![rule]);
    let mut examples = Vec::new();
    mined.occurrences.retain(|o| {
        let wrap = |code: &str| format!("fn example() {{\n    let _ = {code};\n}}\n");
        let before = wrap(&o.before);
        let Some(fixed) = try_on(&book, &[true], &before).ok().and_then(|t| t.fixed) else {
            return false;
        };
        let same = tokens(&fixed) == tokens(&wrap(&o.after));
        if same && examples.len() < 3 && !examples.iter().any(|(b, _)| *b == before) {
            examples.push((before, fixed));
        }
        same
    });
    mined.text = rule_text(&mined, &examples);
    Some(mined)
}

fn tokens(text: &str) -> Option<String> {
    text.parse::<proc_macro2::TokenStream>()
        .ok()
        .map(|t| t.to_string())
}

/// The rule file of a mined rule, with `examples` (before, after).
fn rule_text(mined: &Mined, examples: &[(String, String)]) -> String {
    let block = |text: &str, indent: &str| {
        text.trim_end()
            .lines()
            .map(|l| format!("{indent}{l}\n"))
            .collect::<String>()
    };
    let quote = |text: &str| serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into());
    let count = mined.occurrences.len();
    let flat = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut text = format!(
        "# Mined from this repository's history by `patchwright rules mine`:\n\
         # the same change was made by hand {count} times.\n\
         id: {}\n\
         message: {}\n\
         title: {}\n\
         match: |\n{}fix: |\n{}risk: medium\n",
        mined.id,
        quote(&format!(
            "this repository changes `{}` to `{}` by hand ({count} times so far)",
            flat(&mined.pattern),
            flat(&mined.fix)
        )),
        quote(&format!("Apply the mined rule `{}`", mined.id)),
        block(&mined.pattern, "  "),
        block(&mined.fix, "  "),
    );
    if !examples.is_empty() {
        text.push_str("examples:\n");
        for (before, after) in examples {
            text.push_str(&format!(
                "  - before: |\n{}    after: |\n{}",
                block(before, "      "),
                block(after, "      ")
            ));
        }
    }
    text.push_str("evidence:\n");
    for o in &mined.occurrences {
        let commit = o.commit.get(..12).unwrap_or(&o.commit);
        text.push_str(&format!(
            "  - {}\n",
            quote(&format!(
                "{commit} {} {} {}",
                Timestamp(o.time).date(),
                o.author,
                o.path
            ))
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rules::examples::test_rules;

    fn change<'a>(
        commit: &'a str,
        author: &'a str,
        day: i64,
        old: &'a str,
        new: &'a str,
    ) -> Change<'a> {
        Change {
            commit,
            author,
            time: day * 86_400,
            path: "src/lib.rs",
            old,
            new,
        }
    }

    const OLD: [&str; 4] = [
        "fn a(x: Arc<u8>) -> Arc<u8> {\n    let y = 1;\n    x.clone()\n}\n",
        "fn b(s: &S) -> Arc<C> {\n    // keep\n    s.config.clone()\n}\n",
        "fn c(h: Arc<H>) {\n    spawn(h.clone());\n}\n",
        "fn d(v: Vec<u8>) -> bool {\n    v.len() == 0\n}\n",
    ];
    const NEW: [&str; 4] = [
        "fn a(x: Arc<u8>) -> Arc<u8> {\n    let y = 1;\n    Arc::clone(&x)\n}\n",
        "fn b(s: &S) -> Arc<C> {\n    // keep\n    Arc::clone(&s.config)\n}\n",
        "fn c(h: Arc<H>) {\n    spawn(Arc::clone(&h));\n}\n",
        "fn d(v: Vec<u8>) -> bool {\n    v.is_empty()\n}\n",
    ];

    #[test]
    fn a_change_made_three_times_by_two_people_is_a_rule_whose_examples_pass() {
        let changes = [
            change("c1", "ana@x", 1, OLD[0], NEW[0]),
            change("c2", "bo@x", 2, OLD[1], NEW[1]),
            change("c3", "ana@x", 3, OLD[2], NEW[2]),
            change("c4", "ana@x", 4, OLD[3], NEW[3]),
        ];
        let mined = mine(&changes, MineOptions::default());
        assert_eq!(mined.len(), 1, "{mined:#?}");
        let rule = &mined[0];
        assert_eq!(
            (rule.pattern.as_str(), rule.fix.as_str()),
            ("$A.clone()", "Arc::clone(&$A)")
        );
        assert_eq!(rule.occurrences.len(), 3);
        assert_eq!((rule.authors(), rule.days()), (2, 3));
        assert!(rule.id.starts_with("mined-arc-"), "{}", rule.id);
        let parsed = parse_rule(&rule.text, std::path::Path::new("r.yml")).unwrap();
        assert_eq!(parsed.examples.len(), 3);
        let tests = test_rules(&RuleBook::new(vec![parsed]));
        assert!(tests[0].passed(), "{tests:?}\n{}", rule.text);
    }

    #[test]
    fn too_few_times_or_one_person_on_one_day_is_not_a_rule() {
        let twice = [
            change("c1", "ana@x", 1, OLD[0], NEW[0]),
            change("c2", "bo@x", 2, OLD[1], NEW[1]),
        ];
        assert!(mine(&twice, MineOptions::default()).is_empty());
        let same_day_same_person = [
            change("c1", "ana@x", 1, OLD[0], NEW[0]),
            change("c2", "ana@x", 1, OLD[1], NEW[1]),
            change("c3", "ana@x", 1, OLD[2], NEW[2]),
        ];
        assert!(mine(&same_day_same_person, MineOptions::default()).is_empty());
    }

    #[test]
    fn trimming_keeps_character_boundaries() {
        let (a, b) = trim_common("é1", 0..3, "é2", 0..3);
        assert_eq!((a, b), (2..3, 2..3));
        let (a, b) = trim_common("aé", 0..3, "aè", 0..3);
        assert_eq!((a, b), (1..3, 1..3));
    }
}
