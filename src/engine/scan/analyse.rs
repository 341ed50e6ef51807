//! One file's scan: parse it, run the skills, keep only fixes that lose no
//! comment, and fingerprint what they found. What the rest of the crate
//! says about the findings is applied later, in [`Analysed::standing`].

use std::collections::{BTreeSet, HashMap};
use std::panic::AssertUnwindSafe;
use std::time::Instant;

use super::report::{CrateFacts, FileScan, ScanOptions, ScanWarning, SkipReason};
use crate::engine::edit::{Edit, Fix};
use crate::engine::finding::Finding;
use crate::engine::generated::generated_by;
use crate::engine::items::ItemIndex;
use crate::engine::metrics::FileMetrics;
use crate::engine::rules::{examine_together, is_rule};
use crate::engine::skill::{Detection, FixNeeds, Skill, SkillContext};
use crate::engine::source::SourceFile;
use crate::vocab::ids::{Fingerprint, FingerprintInput, SkillId};
use crate::vocab::rel_path::RelPath;

/// One file's findings before the facts of its crate are known.
pub(super) struct Analysed {
    pub(super) file: FileScan,
    /// Each finding's detection key, in the order of `file.findings`.
    pub(super) keys: Vec<String>,
    /// What each finding's fix needs the crate to say, in the same order.
    pub(super) needs: Vec<Option<FixNeeds>>,
    /// (skill id, fact) this file says about its crate.
    pub(super) facts: Vec<(&'static str, String)>,
    pub(super) failed: Vec<&'static str>,
}

impl Analysed {
    /// The file's findings that still stand, given its crate's facts.
    pub(super) fn standing(mut self, skills: &[&dyn Skill], facts: &CrateFacts) -> FileScan {
        let none = BTreeSet::new();
        let mut keys = self.keys.into_iter();
        let mut needs = self.needs.into_iter();
        self.file.findings.retain_mut(|finding| {
            let key = keys.next().unwrap_or_default();
            let need = needs.next().flatten();
            let Some(skill) = skills.iter().find(|s| finding.skill == *s.id()) else {
                return true;
            };
            let known = facts
                .get(&(finding.package.clone(), finding.skill.to_string()))
                .unwrap_or(&none);
            if let Some(need) = need
                && finding.fix.is_some()
                && let Err(why) = skill.fix_stands(&need, known)
            {
                finding.fix = None;
                finding.message = format!("{} (not fixed automatically: {why})", finding.message);
            }
            skill.stands(&key, known)
        });
        self.file
    }
}

pub(super) fn analyse(
    path: RelPath,
    text: String,
    skills: &[&dyn Skill],
    cx: &SkillContext<'_>,
    options: &ScanOptions,
) -> Result<Analysed, ScanWarning> {
    let started = Instant::now();
    // Nothing can stop a parse or a skill midway; checking between them
    // bounds one file at its budget plus one step, and a file over it
    // contributes nothing rather than half its findings.
    let too_slow = || ScanWarning {
        path: path.clone(),
        reason: SkipReason::TooSlow,
        message: format!(
            "{path}: skipped, scanning it took longer than scan.max_file_seconds ({} s); if it is generated, add it to scan.exclude",
            options.max_file_time.as_secs()
        ),
    };
    let source =
        SourceFile::parse_nested(path.clone(), text, options.max_nesting).map_err(|err| {
            ScanWarning {
                path: path.clone(),
                reason: SkipReason::DoesNotParse,
                message: format!("{err}; skipped"),
            }
        })?;
    let mut findings = Vec::new();
    let mut facts = Vec::new();
    let mut failed = Vec::new();
    let generated = options
        .skip_generated
        .then(|| generated_by(source.path().as_str(), source.text()))
        .flatten();
    let cx = &SkillContext {
        generated: generated.is_some(),
        ..*cx
    };
    for skill in skills.iter().filter(|s| !is_rule(**s)) {
        if started.elapsed() > options.max_file_time {
            return Err(too_slow());
        }
        // A bug in one skill must not cost the whole scan.
        // A generated file's facts still decide findings elsewhere.
        let found = std::panic::catch_unwind(AssertUnwindSafe(|| match generated {
            Some(_) => (Vec::new(), skill.crate_facts(&source, cx)),
            None => skill.examine(&source, cx),
        }));
        match found {
            Ok((detections, said)) => {
                let detections = keep_comments(&source, detections);
                findings.extend(
                    detections
                        .into_iter()
                        .map(|d| (skill.id(), skill.severity(), d)),
                );
                facts.extend(said.into_iter().map(|fact| (skill.id(), fact)));
            }
            Err(_) => failed.push(skill.id()),
        }
    }
    // A repository's rules are matched together, in one walk; they say
    // nothing about their crate, so a generated file gives them nothing.
    if generated.is_none() && skills.iter().any(|s| is_rule(*s)) {
        if started.elapsed() > options.max_file_time {
            return Err(too_slow());
        }
        match std::panic::catch_unwind(AssertUnwindSafe(|| examine_together(skills, &source))) {
            Ok(found) => {
                let mut by_skill: Vec<Vec<Detection>> = vec![Vec::new(); skills.len()];
                for (i, detection) in found {
                    by_skill[i].push(detection);
                }
                for (skill, detections) in skills.iter().zip(by_skill) {
                    findings.extend(
                        keep_comments(&source, detections)
                            .into_iter()
                            .map(|d| (skill.id(), skill.severity(), d)),
                    );
                }
            }
            Err(_) => failed.extend(skills.iter().filter(|s| is_rule(**s)).map(|s| s.id())),
        }
    }
    if started.elapsed() > options.max_file_time {
        return Err(too_slow());
    }
    findings.sort_by(|a, b| (a.2.range.start, a.0).cmp(&(b.2.range.start, b.0)));
    // Most files have no findings: only fingerprints and metrics need the
    // items, so a file without either never pays for them.
    let items = match options.metrics {
        true => Some(ItemIndex::build(&source)),
        false if findings.is_empty() => None,
        false => {
            let ranges: Vec<_> = findings.iter().map(|(_, _, d)| d.range.clone()).collect();
            Some(ItemIndex::around(&source, &ranges))
        }
    };
    let chain_at =
        |range: &std::ops::Range<usize>| items.as_ref().map_or("", |items| items.chain_at(range));

    let mut occurrences: HashMap<(&str, &str, String), usize> = HashMap::new();
    let keys: Vec<String> = findings.iter().map(|(_, _, d)| d.key.clone()).collect();
    let needs: Vec<Option<FixNeeds>> = findings
        .iter()
        .map(|(_, _, d)| d.fix_needs.clone())
        .collect();
    let findings: Vec<Finding> = findings
        .into_iter()
        .map(|(skill, severity, detection)| {
            let item = chain_at(&detection.range).to_owned();
            let occurrence = occurrences
                .entry((skill, chain_at(&detection.range), detection.key.clone()))
                .or_default();
            let fingerprint = Fingerprint::compute(FingerprintInput {
                skill,
                package: cx.package,
                item: &item,
                key: &detection.key,
                occurrence: *occurrence,
            });
            *occurrence += 1;
            let fix = detection
                .edits
                .map(|edits| Fix::new(fingerprint.clone(), path.clone(), edits));
            Finding {
                skill: SkillId::new(skill)
                    .unwrap_or_else(|_| unreachable!("skill ids are checked when made")),
                package: cx.package.to_owned(),
                path: path.clone(),
                start: source.line_col(detection.range.start),
                end: source.line_col(detection.range.end),
                range: detection.range,
                message: detection.message,
                severity,
                item,
                fingerprint,
                fix,
            }
        })
        .collect();
    let metrics = items
        .as_ref()
        .filter(|_| options.metrics)
        .map(|items| FileMetrics::measure(&source, items));
    drop(items);
    let keep = options.keep_fixable_sources && findings.iter().any(Finding::fixable);
    let text = keep.then(|| source.into_text());
    Ok(Analysed {
        file: FileScan {
            path,
            edition: cx.edition,
            findings,
            metrics,
            text,
            generated,
        },
        keys,
        needs,
        facts,
        failed,
    })
}

/// A fix that would drop a comment inside what it replaces is not offered
/// (the finding stays, saying why): a comment is the author's, and a fix
/// is reviewed as a small change, where a vanished comment is easy to miss.
/// A skill that carries the comment into its new text keeps its fix.
fn keep_comments(source: &SourceFile, detections: Vec<Detection>) -> Vec<Detection> {
    let replaces = |d: &Detection| {
        d.edits
            .as_ref()
            .is_some_and(|edits| edits.iter().any(|e| !e.range.is_empty()))
    };
    if !detections.iter().any(replaces) {
        return detections;
    }
    let comments = source.comments();
    let text = source.text();
    // A finding that is itself a comment (a marker to remove) may take
    // that comment with it; every other comment must survive.
    // Any edit of the fix may carry the comment (moved above the code, say).
    let loses = |edits: &[Edit], found: &std::ops::Range<usize>| {
        edits.iter().any(|edit| {
            let first = comments.partition_point(|c| c.range.end <= edit.range.start);
            comments[first..]
                .iter()
                .take_while(|c| c.range.start < edit.range.end)
                .filter(|c| !(c.range.start <= found.start && found.end <= c.range.end))
                .any(|c| {
                    let comment = text[c.range.clone()].trim_end();
                    !edits.iter().any(|e| e.text.contains(comment))
                })
        })
    };
    detections
        .into_iter()
        .map(|mut d| {
            if d.edits.as_ref().is_some_and(|edits| loses(edits, &d.range)) {
                d.edits = None;
                d.message
                    .push_str(" (not fixed automatically: the fix would drop a comment inside it)");
            }
            d
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fix_keeps_its_place_only_if_it_keeps_the_comments_it_replaces() {
        let text = "fn f() -> bool { a /* why */ == b }\n";
        let source = SourceFile::parse("src/lib.rs".parse().unwrap(), text.to_owned()).unwrap();
        let start = text.find("a /*").unwrap();
        let end = text.find(" }").unwrap();
        let detection = |replacement: &str| Detection {
            fix_needs: None,
            range: start..end,
            message: "m".into(),
            key: "k".into(),
            edits: Some(vec![Edit::replace(start..end, replacement)]),
        };
        let kept = keep_comments(
            &source,
            vec![detection("a.eq(&b)"), detection("a /* why */ .eq(&b)")],
        );
        assert_eq!(kept[0].edits, None);
        assert_eq!(
            kept[0].message,
            "m (not fixed automatically: the fix would drop a comment inside it)"
        );
        assert!(kept[1].edits.is_some());
        assert_eq!(kept[1].message, "m");

        // A finding that is the comment may remove it.
        let comment = text.find("/* why */").unwrap()..text.find(" ==").unwrap();
        let marker = Detection {
            range: comment.clone(),
            message: "m".into(),
            key: "k".into(),
            edits: Some(vec![Edit::replace(comment.start - 1..comment.end, "")]),
            fix_needs: None,
        };
        assert!(keep_comments(&source, vec![marker])[0].edits.is_some());
    }
}
