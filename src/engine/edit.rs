//! Minimal-diff edits: byte-range replacements spliced into the original
//! text, so comments and formatting outside an edit never change.
//!
//! Fixes are accepted in order. An edit identical to one already accepted
//! is merged; a fix with an edit that overlaps an accepted one waits for the
//! next cycle (as rustfix does). After splicing, every changed file is parsed
//! again, and a fix whose result does not parse is dropped, never proposed.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::engine::source;
use crate::engine::source::LineEnding;
use crate::vocab::ids::Fingerprint;
use crate::vocab::rel_path::RelPath;
use crate::vocab::text::git_quoted;

/// Replace `range` of one file with `text`. An empty range inserts.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Edit {
    pub range: Range<usize>,
    pub text: String,
}

impl Edit {
    pub fn replace(range: Range<usize>, text: impl Into<String>) -> Self {
        Self {
            range,
            text: text.into(),
        }
    }

    pub fn insert(at: usize, text: impl Into<String>) -> Self {
        Self::replace(at..at, text)
    }

    pub fn delete(range: Range<usize>) -> Self {
        Self::replace(range, "")
    }

    /// Insertions at a point come before a replacement starting there.
    fn sort_key(&self) -> (usize, usize, &str) {
        (self.range.start, self.range.end, &self.text)
    }

    /// Whether the two edits cannot both be applied. Touching ranges do not
    /// conflict; two different insertions at one point do, since their order
    /// would be a guess.
    fn conflicts_with(&self, other: &Edit) -> bool {
        if self == other {
            return false;
        }
        let both_inserts_at_same_point = self.range.is_empty()
            && other.range.is_empty()
            && self.range.start == other.range.start;
        both_inserts_at_same_point
            || (self.range.start < other.range.end && other.range.start < self.range.end)
    }
}

/// The edits that resolve one finding. They are applied together or not at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub fingerprint: Fingerprint,
    pub edits: Vec<(RelPath, Edit)>,
}

impl Fix {
    pub fn new(fingerprint: Fingerprint, path: RelPath, edits: Vec<Edit>) -> Self {
        Self {
            fingerprint,
            edits: edits.into_iter().map(|e| (path.clone(), e)).collect(),
        }
    }

    fn first_position(&self) -> Option<(&RelPath, usize)> {
        self.edits.iter().map(|(p, e)| (p, e.range.start)).min()
    }
}

/// Why a fix was not applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotApplied {
    /// It overlaps a fix applied before it: the next cycle will retry it.
    Deferred,
    /// Its result does not parse, or it points outside its file.
    Dropped(String),
}

/// A changed file: its original and new text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Patched {
    pub original: String,
    pub new: String,
}

/// What [`apply_fixes`] did.
#[derive(Clone, Debug, Default)]
pub struct Applied {
    pub files: BTreeMap<RelPath, Patched>,
    pub applied: Vec<Fingerprint>,
    pub not_applied: Vec<(Fingerprint, NotApplied)>,
}

impl Applied {
    pub fn deferred(&self) -> impl Iterator<Item = &Fingerprint> {
        self.not_applied
            .iter()
            .filter(|(_, why)| *why == NotApplied::Deferred)
            .map(|(fp, _)| fp)
    }

    /// Added and removed lines over all files, as in a unified diff.
    pub fn changed_lines(&self) -> usize {
        self.files
            .values()
            .map(|p| changed_lines(&p.original, &p.new))
            .sum()
    }

    /// Added and removed lines, apart.
    pub fn line_stats(&self) -> (usize, usize) {
        let mut added = 0;
        let mut removed = 0;
        for p in self.files.values() {
            for change in similar::TextDiff::from_lines(&p.original, &p.new).iter_all_changes() {
                match change.tag() {
                    similar::ChangeTag::Insert => added += 1,
                    similar::ChangeTag::Delete => removed += 1,
                    similar::ChangeTag::Equal => {}
                }
            }
        }
        (added, removed)
    }

    /// The unified diff of every changed file, in path order.
    pub fn diff(&self) -> String {
        self.files
            .iter()
            .map(|(path, p)| unified_diff(path, &p.original, &p.new))
            .collect()
    }
}

/// Applies `fixes` to `originals` (file texts by path) without touching disk.
pub fn apply_fixes(originals: &BTreeMap<RelPath, String>, fixes: &[Fix]) -> Applied {
    let mut order: Vec<&Fix> = fixes.iter().collect();
    order.sort_by(|a, b| a.first_position().cmp(&b.first_position()));

    let mut result = Applied::default();
    let mut accepted: Vec<&Fix> = Vec::new();
    let mut taken: BTreeMap<&RelPath, Taken> = BTreeMap::new();
    for fix in order {
        if let Err(why) = check_bounds(originals, fix) {
            result
                .not_applied
                .push((fix.fingerprint.clone(), NotApplied::Dropped(why)));
            continue;
        }
        let conflicts = fix.edits.iter().any(|(path, edit)| {
            taken
                .get(path)
                .is_some_and(|edits| edits.conflicts_with(edit))
        });
        if conflicts {
            result
                .not_applied
                .push((fix.fingerprint.clone(), NotApplied::Deferred));
            continue;
        }
        for (path, edit) in &fix.edits {
            taken.entry(path).or_default().insert(edit);
        }
        accepted.push(fix);
    }

    // A fix that breaks the parse is found by re-applying the file's fixes
    // one at a time; the slow path runs only for files that fail.
    loop {
        let files = splice_all(originals, &accepted);
        let broken = files
            .iter()
            .find(|(_, text)| !source::parses(text))
            .map(|(path, _)| path.clone());
        let Some(path) = broken else {
            result.files = files
                .into_iter()
                .filter_map(|(path, new)| {
                    let original = originals.get(&path)?.clone();
                    (original != new).then_some((path, Patched { original, new }))
                })
                .collect();
            break;
        };
        let culprits = culprits_in(originals, &accepted, &path);
        if culprits.is_empty() {
            // Each fix parses alone but not together: drop the whole file's fixes.
            accepted.retain(|fix| {
                let touches = fix.edits.iter().any(|(p, _)| *p == path);
                if touches {
                    result.not_applied.push((
                        fix.fingerprint.clone(),
                        NotApplied::Dropped(format!(
                            "{path} does not parse with the combined fixes"
                        )),
                    ));
                }
                !touches
            });
        } else {
            accepted.retain(|fix| {
                let bad = culprits.contains(&fix.fingerprint);
                if bad {
                    result.not_applied.push((
                        fix.fingerprint.clone(),
                        NotApplied::Dropped(format!("{path} does not parse after this fix")),
                    ));
                }
                !bad
            });
        }
    }
    result.applied = accepted.iter().map(|f| f.fingerprint.clone()).collect();
    for (fingerprint, why) in &result.not_applied {
        if let NotApplied::Dropped(reason) = why {
            tracing::warn!(%fingerprint, "fix dropped: {reason}");
        }
    }
    result
}

/// The edits accepted in one file, by range. They never conflict with each
/// other, so sorted by start their ends rise too, and a new edit need only be
/// compared with its neighbours: a file with tens of thousands of fixes is
/// checked in n log n, not n².
#[derive(Default)]
struct Taken<'a>(BTreeMap<(usize, usize), &'a Edit>);

impl<'a> Taken<'a> {
    fn conflicts_with(&self, edit: &Edit) -> bool {
        let Range { start, end } = edit.range;
        for (_, taken) in self.0.range(..=(end, usize::MAX)).rev() {
            if taken.conflicts_with(edit) {
                return true;
            }
            if taken.range.end < start {
                break;
            }
        }
        false
    }

    fn insert(&mut self, edit: &'a Edit) {
        self.0.insert((edit.range.start, edit.range.end), edit);
    }
}

fn check_bounds(originals: &BTreeMap<RelPath, String>, fix: &Fix) -> Result<(), String> {
    if fix.edits.is_empty() {
        return Err("the fix has no edits".into());
    }
    for (path, edit) in &fix.edits {
        let Some(text) = originals.get(path) else {
            return Err(format!("{path} is not among the scanned files"));
        };
        let Range { start, end } = edit.range;
        if start > end
            || end > text.len()
            || !text.is_char_boundary(start)
            || !text.is_char_boundary(end)
        {
            return Err(format!("edit {start}..{end} lies outside {path}"));
        }
    }
    Ok(())
}

fn splice_all(originals: &BTreeMap<RelPath, String>, fixes: &[&Fix]) -> BTreeMap<RelPath, String> {
    let mut per_file: BTreeMap<&RelPath, Vec<&Edit>> = BTreeMap::new();
    for fix in fixes {
        for (path, edit) in &fix.edits {
            per_file.entry(path).or_default().push(edit);
        }
    }
    per_file
        .into_iter()
        .filter_map(|(path, edits)| {
            let original = originals.get(path)?;
            Some((path.clone(), splice(original, edits)))
        })
        .collect()
}

/// The fixes touching `path` that break its parse when added one by one.
fn culprits_in(
    originals: &BTreeMap<RelPath, String>,
    fixes: &[&Fix],
    path: &RelPath,
) -> Vec<Fingerprint> {
    let mut good: Vec<&Fix> = Vec::new();
    let mut bad = Vec::new();
    for fix in fixes
        .iter()
        .filter(|f| f.edits.iter().any(|(p, _)| p == path))
    {
        good.push(fix);
        let text = splice_all(originals, &good)
            .remove(path)
            .unwrap_or_default();
        if !source::parses(&text) {
            good.pop();
            bad.push(fix.fingerprint.clone());
        }
    }
    bad
}

/// Splices non-conflicting edits into `original`, keeping its line endings in
/// the inserted text. Identical edits are applied once.
pub fn splice<'a>(original: &str, edits: impl IntoIterator<Item = &'a Edit>) -> String {
    splice_mapped(original, edits).0
}

/// [`splice`], and where each applied edit's text landed in the result
/// (by the edit), so what a compiler says about the new text can be traced
/// back to the edit that wrote it.
pub fn splice_mapped<'a>(
    original: &str,
    edits: impl IntoIterator<Item = &'a Edit>,
) -> (String, Vec<(&'a Edit, Range<usize>)>) {
    let mut edits: Vec<&Edit> = edits.into_iter().collect();
    edits.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    edits.dedup();
    let ending = LineEnding::of(original);
    let mut out = String::with_capacity(original.len() + 64);
    let mut landed = Vec::with_capacity(edits.len());
    let mut pos = 0;
    for edit in edits {
        if edit.range.start < pos {
            continue;
        }
        out.push_str(&original[pos..edit.range.start]);
        let start = out.len();
        out.push_str(&ending.apply(&edit.text));
        landed.push((edit, start..out.len()));
        pos = edit.range.end;
    }
    out.push_str(&original[pos..]);
    (out, landed)
}

/// A unified diff with `a/` and `b/` headers and three lines of context;
/// an unusual path is quoted as git quotes it.
pub fn unified_diff(path: &RelPath, old: &str, new: &str) -> String {
    let name = |side: &str| git_quoted(&format!("{side}/{}", path.as_str())).into_owned();
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&name("a"), &name("b"))
        .to_string()
}

/// Added plus removed lines between two texts.
pub fn changed_lines(old: &str, new: &str) -> usize {
    similar::TextDiff::from_lines(old, new)
        .iter_all_changes()
        .filter(|c| c.tag() != similar::ChangeTag::Equal)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::ids::FingerprintInput;
    use proptest::prelude::*;

    fn fp(n: usize) -> Fingerprint {
        Fingerprint::compute(FingerprintInput {
            skill: "t",
            package: "",
            item: "",
            key: "",
            occurrence: n,
        })
    }

    fn path() -> RelPath {
        "src/lib.rs".parse().unwrap()
    }

    fn files(text: &str) -> BTreeMap<RelPath, String> {
        BTreeMap::from([(path(), text.to_owned())])
    }

    fn fix(n: usize, edits: Vec<Edit>) -> Fix {
        Fix::new(fp(n), path(), edits)
    }

    #[test]
    fn splices_sorted_edits_and_keeps_the_rest() {
        let text = "fn a() {}\n// keep me\nfn b() {}\n";
        let applied = apply_fixes(
            &files(text),
            &[
                fix(1, vec![Edit::replace(13..16, "c")]),
                fix(0, vec![Edit::replace(3..4, "x")]),
            ],
        );
        assert_eq!(
            applied.files[&path()].new,
            "fn x() {}\n// cp me\nfn b() {}\n"
        );
        assert_eq!(applied.applied, vec![fp(0), fp(1)]);
    }

    #[test]
    fn identical_edits_merge_and_overlaps_are_deferred() {
        let text = "fn a() {}\n";
        let applied = apply_fixes(
            &files(text),
            &[
                fix(0, vec![Edit::replace(3..4, "b")]),
                fix(1, vec![Edit::replace(3..4, "b")]),
                fix(2, vec![Edit::replace(3..5, "c(")]),
            ],
        );
        assert_eq!(applied.files[&path()].new, "fn b() {}\n");
        assert_eq!(applied.applied, vec![fp(0), fp(1)]);
        assert_eq!(applied.deferred().collect::<Vec<_>>(), vec![&fp(2)]);
    }

    #[test]
    fn a_fix_whose_result_does_not_parse_is_dropped() {
        let text = "fn a() {}\nfn b() {}\n";
        let applied = apply_fixes(
            &files(text),
            &[
                fix(0, vec![Edit::replace(3..4, "x")]),
                fix(1, vec![Edit::insert(13, "{")]),
            ],
        );
        assert_eq!(applied.files[&path()].new, "fn x() {}\nfn b() {}\n");
        assert_eq!(applied.applied, vec![fp(0)]);
        assert!(matches!(applied.not_applied[0], (ref f, NotApplied::Dropped(_)) if *f == fp(1)));
    }

    #[test]
    fn edits_outside_the_file_are_dropped_not_panicking() {
        let text = "fn é() {}\n";
        let applied = apply_fixes(
            &files(text),
            &[
                fix(0, vec![Edit::replace(4..5, "x")]),
                fix(1, vec![Edit::replace(5..99, "x")]),
            ],
        );
        assert!(applied.files.is_empty());
        assert_eq!(applied.not_applied.len(), 2);
    }

    #[test]
    fn inserted_text_follows_the_file_line_ending() {
        let text = "struct A;\r\nstruct B;\r\n";
        let applied = apply_fixes(
            &files(text),
            &[fix(0, vec![Edit::insert(11, "#[derive(Debug)]\n")])],
        );
        assert_eq!(
            applied.files[&path()].new,
            "struct A;\r\n#[derive(Debug)]\r\nstruct B;\r\n"
        );
    }

    #[test]
    fn diff_has_headers_and_counts_lines() {
        let text = "fn a() {}\n";
        let applied = apply_fixes(&files(text), &[fix(0, vec![Edit::replace(3..4, "b")])]);
        insta::assert_snapshot!(applied.diff(), @r"
        --- a/src/lib.rs
        +++ b/src/lib.rs
        @@ -1 +1 @@
        -fn a() {}
        +fn b() {}
        ");
        assert_eq!(applied.changed_lines(), 2);
    }

    /// A model of splicing: mark every byte of the original with the edit
    /// that owns it and rebuild.
    fn reference_splice(original: &str, edits: &[Edit]) -> String {
        let mut out = String::new();
        let bytes = original.as_bytes();
        for i in 0..=bytes.len() {
            for e in edits
                .iter()
                .filter(|e| e.range.start == i && e.range.is_empty())
            {
                out.push_str(&e.text);
            }
            if let Some(e) = edits
                .iter()
                .find(|e| e.range.start == i && !e.range.is_empty())
            {
                out.push_str(&e.text);
            }
            let covered = edits.iter().any(|e| e.range.start <= i && i < e.range.end);
            if i < bytes.len() && !covered {
                out.push(bytes[i] as char);
            }
        }
        out
    }

    fn arb_edits() -> impl Strategy<Value = (String, Vec<Edit>)> {
        (
            "[a-z \n]{0,40}",
            prop::collection::vec((0usize..45, 0usize..6, "[A-Z]{0,3}"), 0..8),
        )
            .prop_map(|(text, raw)| {
                let len = text.len();
                let edits = raw
                    .into_iter()
                    .map(|(start, len_, t)| {
                        let start = start.min(len);
                        let end = (start + len_).min(len);
                        Edit::replace(start..end, t)
                    })
                    .collect();
                (text, edits)
            })
    }

    proptest! {
        #[test]
        fn accepted_edits_never_conflict_and_splice_like_the_model((text, edits) in arb_edits()) {
            let mut accepted: Vec<Edit> = Vec::new();
            for e in edits {
                if !accepted.iter().any(|a| a.conflicts_with(&e)) && !accepted.contains(&e) {
                    accepted.push(e);
                }
            }
            let spliced = splice(&text, &accepted);
            prop_assert_eq!(&spliced, &reference_splice(&text, &accepted));
            // Order of the input does not matter.
            let mut reversed = accepted.clone();
            reversed.reverse();
            prop_assert_eq!(&spliced, &splice(&text, &reversed));
        }

        #[test]
        fn text_outside_edits_is_kept_byte_for_byte((text, edits) in arb_edits()) {
            let mut accepted: Vec<Edit> = Vec::new();
            for e in edits {
                if !accepted.iter().any(|a| a.conflicts_with(&e) || *a == e) {
                    accepted.push(e);
                }
            }
            accepted.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
            let spliced = splice(&text, &accepted);
            // Walking both texts: every untouched stretch appears in order.
            let mut pos = 0;
            let mut out_pos = 0;
            for e in &accepted {
                let keep = &text[pos..e.range.start];
                prop_assert_eq!(&spliced[out_pos..out_pos + keep.len()], keep);
                out_pos += keep.len() + e.text.len();
                pos = e.range.end;
            }
            prop_assert_eq!(&spliced[out_pos..], &text[pos..]);
        }

        #[test]
        fn mapped_ranges_hold_each_edits_text((text, edits) in arb_edits()) {
            let mut accepted: Vec<Edit> = Vec::new();
            for e in edits {
                if !accepted.iter().any(|a| a.conflicts_with(&e) || *a == e) {
                    accepted.push(e);
                }
            }
            let (spliced, landed) = splice_mapped(&text, &accepted);
            prop_assert_eq!(landed.len(), accepted.len());
            for (edit, range) in landed {
                prop_assert_eq!(&spliced[range], edit.text.as_str());
            }
        }

        #[test]
        fn the_range_index_finds_the_conflicts_a_full_comparison_finds((_, edits) in arb_edits()) {
            let mut taken = Taken::default();
            let mut accepted: Vec<&Edit> = Vec::new();
            for e in &edits {
                let full = accepted.iter().any(|a| a.conflicts_with(e));
                prop_assert_eq!(taken.conflicts_with(e), full, "{:?} against {:?}", e, accepted);
                if !full {
                    taken.insert(e);
                    accepted.push(e);
                }
            }
        }

        #[test]
        fn conflict_is_symmetric(a in (0usize..20, 0usize..5), b in (0usize..20, 0usize..5)) {
            let ea = Edit::replace(a.0..a.0 + a.1, "x");
            let eb = Edit::replace(b.0..b.0 + b.1, "y");
            prop_assert_eq!(ea.conflicts_with(&eb), eb.conflicts_with(&ea));
        }
    }
}
