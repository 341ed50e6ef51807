//! Per-file scan results kept between scans, so a scan costs what changed.
//!
//! A file's result is keyed by a hash of its bytes and of everything else
//! that can change what the skills say about it: its path, its package, the
//! package's edition and `rust-version`. The whole cache carries a *salt*
//! (patchwright's version, the skills, their settings and the scan options):
//! a cache made under another salt is not used at all.
//!
//! What is kept is a file's result before the facts of its crate are known
//! (see `analyse::Analysed`): every scan applies the crate facts afresh, so
//! a change in one file of a crate reaches the findings of the others.
//!
//! The cache is only ever a guess at work already done. Its bytes carry a
//! checksum; an entry that does not fit the file it claims (a range past
//! its end, an unknown skill, a malformed fingerprint) is a miss, and a
//! cache that does not read is dropped with one warning.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::analyse::Analysed;
use super::report::{CacheStats, FileScan, ScanOptions};
use crate::config::SkillConfig;
use crate::engine::edit::{Edit, Fix};
use crate::engine::finding::{Finding, Severity};
use crate::engine::generated::generated_by;
use crate::engine::skill::{FixNeeds, Skill, SkillContext};
use crate::engine::source::LineCol;
use crate::vocab::hash::hex;
use crate::vocab::ids::{Fingerprint, SkillId};
use crate::vocab::rel_path::RelPath;

/// The first line of a cache's bytes; a new layout gets a new number.
const MAGIC: &str = "patchwright-scan-cache 1";

/// A cache is written with at most this many bytes of entries; the entries
/// that cost most to keep are left out first.
pub const MAX_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// Room for the magic line, the salt, the checksum and the braces around
/// the entries.
const HEADER_BYTES: usize = 4096;

/// Per-file results of earlier scans, and what this scan adds.
#[derive(Debug)]
pub struct ScanCache {
    salt: String,
    loaded: HashMap<String, Entry>,
    /// Keys of `loaded` that this scan used: what is kept when saving.
    used: Mutex<HashSet<String>>,
    fresh: Mutex<HashMap<String, Entry>>,
    hits: AtomicUsize,
    misses: AtomicUsize,
}

/// One file's result, as kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    found: Vec<Found>,
    /// (skill id, fact) the file says about its crate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    facts: Vec<(String, String)>,
}

/// One finding of a file, as kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Found {
    skill: String,
    range: (usize, usize),
    start: LineCol,
    end: LineCol,
    message: String,
    severity: Severity,
    item: String,
    fingerprint: Fingerprint,
    key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fix: Option<Vec<(usize, usize, String)>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    needs: Option<(String, String)>,
}

/// The salt of a scan: what, besides a file, decides its result.
pub fn salt(
    skills: &[&dyn Skill],
    settings: &BTreeMap<String, SkillConfig>,
    options: &ScanOptions,
) -> String {
    let mut hasher = Sha256::new();
    hasher.update(env!("CARGO_PKG_VERSION"));
    for skill in skills {
        hasher.update([0]);
        hasher.update(skill.id());
        if let Some(definition) = skill.definition() {
            hasher.update([1]);
            hasher.update(definition);
        }
    }
    hasher.update(format!(
        "\0{settings:?}\0{}\0{}",
        options.max_nesting, options.skip_generated
    ));
    hex(&hasher.finalize()[..16])
}

impl ScanCache {
    /// A cache with nothing in it yet.
    pub fn empty(salt: String) -> Self {
        Self {
            salt,
            loaded: HashMap::new(),
            used: Mutex::default(),
            fresh: Mutex::default(),
            hits: AtomicUsize::new(0),
            misses: AtomicUsize::new(0),
        }
    }

    /// The cache in `bytes` if it was made under `salt`; an empty one if it
    /// was made under another. The warning says why bytes that do not read
    /// as a cache were ignored.
    pub fn load(bytes: &[u8], salt: String) -> (Self, Option<String>) {
        match read(bytes) {
            Ok((found_salt, _)) if found_salt != salt => {
                tracing::debug!("the scan cache was made for other skills or settings; not used");
                (Self::empty(salt), None)
            }
            Ok((_, loaded)) => (
                Self {
                    loaded,
                    ..Self::empty(salt)
                },
                None,
            ),
            Err(why) => (
                Self::empty(salt),
                Some(format!(
                    "the scan cache is ignored ({why}); every file is scanned afresh"
                )),
            ),
        }
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }

    /// Whether saving would write something other than what was loaded.
    pub fn changed(&self) -> bool {
        let fresh = lock(&self.fresh).len();
        let used = lock(&self.used).len();
        fresh > 0 || used != self.loaded.len()
    }

    /// The files this cache holds a result for.
    pub fn len(&self) -> usize {
        self.loaded.len() + lock(&self.fresh).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops `count` of the loaded entries (which ones depends only on
    /// their keys): what `count` changed files cost the next scan.
    pub fn forget(&mut self, count: usize) {
        let mut keys: Vec<String> = self.loaded.keys().cloned().collect();
        keys.sort();
        for key in keys.into_iter().take(count) {
            self.loaded.remove(&key);
        }
    }

    /// What this scan used and added, within `max_bytes`: results of files
    /// that are gone are not kept.
    pub fn to_text(&self, max_bytes: usize) -> String {
        let used = lock(&self.used);
        let fresh = lock(&self.fresh);
        let mut sized: Vec<(&str, String)> = self
            .loaded
            .iter()
            .filter(|(key, _)| used.contains(*key))
            .chain(fresh.iter())
            .filter_map(|(key, entry)| Some((key.as_str(), serde_json::to_string(entry).ok()?)))
            .collect();
        sized.sort_by(|a, b| (a.1.len(), a.0).cmp(&(b.1.len(), b.0)));
        let mut total = 0;
        sized.retain(|(key, json)| {
            total += key.len() + json.len() + 8;
            total <= max_bytes
        });
        sized.sort();
        let mut body = String::from("{");
        for (i, (key, json)) in sized.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(&format!("\n\"{key}\":{json}"));
        }
        body.push_str("\n}\n");
        let sum = hex(&Sha256::digest(body.as_bytes())[..16]);
        format!("{MAGIC}\n{} {sum}\n{body}", self.salt)
    }

    /// The key of a file with these bytes in this place.
    pub(super) fn key(bytes: &[u8], path: &RelPath, cx: &SkillContext<'_>) -> String {
        let mut hasher = Sha256::new();
        hasher.update(bytes);
        hasher.update(format!(
            "\0{path}\0{}\0{}\0{:?}",
            cx.package, cx.edition, cx.rust_version
        ));
        hex(&hasher.finalize()[..16])
    }

    /// The kept result for `key`, if there is one that fits `text`.
    pub(super) fn get(
        &self,
        key: &str,
        path: &RelPath,
        text: &str,
        skills: &[&dyn Skill],
        cx: &SkillContext<'_>,
        options: &ScanOptions,
    ) -> Option<Analysed> {
        let entry = self.loaded.get(key);
        let fresh;
        let entry = match entry {
            Some(entry) => Some(entry),
            None => {
                // The same file twice in one scan (a copy at another path
                // has another key; this is a repeated scan of one cache).
                fresh = lock(&self.fresh).get(key).cloned();
                fresh.as_ref()
            }
        };
        let analysed = entry.and_then(|e| revive(e, path, text, skills, cx, options));
        match &analysed {
            Some(_) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                if self.loaded.contains_key(key) {
                    lock(&self.used).insert(key.to_owned());
                }
            }
            None => {
                self.misses.fetch_add(1, Ordering::Relaxed);
            }
        }
        analysed
    }

    /// Keeps `analysed` as the result for `key`.
    pub(super) fn put(&self, key: String, analysed: &Analysed) {
        let file = &analysed.file;
        let found = file
            .findings
            .iter()
            .zip(&analysed.keys)
            .zip(&analysed.needs)
            .map(|((f, key), needs)| Found {
                skill: f.skill.to_string(),
                range: (f.range.start, f.range.end),
                start: f.start,
                end: f.end,
                message: f.message.clone(),
                severity: f.severity,
                item: f.item.clone(),
                fingerprint: f.fingerprint.clone(),
                key: key.clone(),
                fix: f.fix.as_ref().map(|fix| {
                    fix.edits
                        .iter()
                        .map(|(_, e)| (e.range.start, e.range.end, e.text.clone()))
                        .collect()
                }),
                needs: needs
                    .as_ref()
                    .map(|n| (n.fact.clone(), n.otherwise.clone())),
            })
            .collect();
        let entry = Entry {
            found,
            facts: analysed
                .facts
                .iter()
                .map(|(skill, fact)| ((*skill).to_owned(), fact.clone()))
                .collect(),
        };
        lock(&self.fresh).insert(key, entry);
    }
}

/// A poisoned lock only means another thread panicked mid-insert into a
/// map, which leaves the map whole.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn read(bytes: &[u8]) -> Result<(String, HashMap<String, Entry>), String> {
    // No cache patchwright writes is larger: anything that is would only
    // cost memory to read.
    if bytes.len() > MAX_CACHE_BYTES + HEADER_BYTES {
        return Err(format!(
            "it is larger ({} bytes) than any cache patchwright writes",
            bytes.len()
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| "it is not text".to_owned())?;
    let (magic, rest) = text.split_once('\n').ok_or("it is empty or cut short")?;
    if magic != MAGIC {
        return Err("it is not a patchwright scan cache of this version".into());
    }
    let (header, body) = rest.split_once('\n').ok_or("it is cut short")?;
    let (salt, sum) = header.split_once(' ').ok_or("its header is damaged")?;
    if hex(&Sha256::digest(body.as_bytes())[..16]) != sum {
        return Err("its checksum does not match".into());
    }
    let entries: HashMap<String, Entry> =
        serde_json::from_str(body).map_err(|e| format!("it does not read: {e}"))?;
    Ok((salt.to_owned(), entries))
}

/// The entry as the file's result, if it fits the file.
fn revive(
    entry: &Entry,
    path: &RelPath,
    text: &str,
    skills: &[&dyn Skill],
    cx: &SkillContext<'_>,
    options: &ScanOptions,
) -> Option<Analysed> {
    let skill_of = |id: &str| skills.iter().map(|s| s.id()).find(|s| *s == id);
    let fits = |(start, end): (usize, usize)| {
        start <= end && text.is_char_boundary(start) && text.is_char_boundary(end)
    };
    let mut findings = Vec::with_capacity(entry.found.len());
    let mut keys = Vec::with_capacity(entry.found.len());
    let mut needs = Vec::with_capacity(entry.found.len());
    for found in &entry.found {
        let skill = skill_of(&found.skill)?;
        if !fits(found.range) {
            return None;
        }
        let fix = match &found.fix {
            None => None,
            Some(edits) => {
                let mut kept = Vec::with_capacity(edits.len());
                for (start, end, new) in edits {
                    if !fits((*start, *end)) {
                        return None;
                    }
                    kept.push(Edit::replace(*start..*end, new.clone()));
                }
                Some(Fix::new(found.fingerprint.clone(), path.clone(), kept))
            }
        };
        findings.push(Finding {
            skill: SkillId::new(skill).ok()?,
            package: cx.package.to_owned(),
            path: path.clone(),
            range: found.range.0..found.range.1,
            start: found.start,
            end: found.end,
            message: found.message.clone(),
            severity: found.severity,
            item: found.item.clone(),
            fingerprint: found.fingerprint.clone(),
            fix,
        });
        keys.push(found.key.clone());
        needs.push(found.needs.as_ref().map(|(fact, otherwise)| FixNeeds {
            fact: fact.clone(),
            otherwise: otherwise.clone(),
        }));
    }
    let mut facts = Vec::with_capacity(entry.facts.len());
    for (skill, fact) in &entry.facts {
        facts.push((skill_of(skill)?, fact.clone()));
    }
    let generated = options
        .skip_generated
        .then(|| generated_by(path.as_str(), text))
        .flatten();
    let keep = options.keep_fixable_sources && findings.iter().any(Finding::fixable);
    Some(Analysed {
        file: FileScan {
            path: path.clone(),
            edition: cx.edition,
            findings,
            metrics: None,
            text: keep.then(|| text.to_owned()),
            generated,
        },
        keys,
        needs,
        facts,
        failed: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::skills::Registry;
    use crate::engine::source::release_thread_spans;

    fn analysed(text: &str, skills: &[&dyn Skill]) -> Analysed {
        let path: RelPath = "src/lib.rs".parse().unwrap();
        let options = ScanOptions::default();
        let a = super::super::analyse::analyse(
            path,
            text.to_owned(),
            skills,
            &SkillContext::default(),
            &options,
        )
        .unwrap();
        release_thread_spans();
        a
    }

    const TEXT: &str = "pub struct A { x: u8 }\nfn f(v: &[u8]) -> bool { v.len() == 0 }\n";

    /// A cache holding TEXT's result, as saved, and its key.
    fn saved(skills: &[&dyn Skill]) -> (String, String) {
        let cache = ScanCache::empty("salt".into());
        let path: RelPath = "src/lib.rs".parse().unwrap();
        let key = ScanCache::key(TEXT.as_bytes(), &path, &SkillContext::default());
        cache.put(key.clone(), &analysed(TEXT, skills));
        assert!(cache.changed());
        (cache.to_text(MAX_CACHE_BYTES), key)
    }

    fn get(cache: &ScanCache, key: &str, text: &str, skills: &[&dyn Skill]) -> Option<Analysed> {
        let options = ScanOptions {
            keep_fixable_sources: true,
            ..ScanOptions::default()
        };
        let path: RelPath = "src/lib.rs".parse().unwrap();
        cache.get(key, &path, text, skills, &SkillContext::default(), &options)
    }

    #[test]
    fn a_saved_result_comes_back_as_it_was_made() {
        let registry = Registry::builtin();
        let skills: Vec<&dyn Skill> = registry.all().collect();
        let (text, key) = saved(&skills);
        let (cache, warning) = ScanCache::load(text.as_bytes(), "salt".into());
        assert_eq!(warning, None);
        let cold = analysed(TEXT, &skills);
        let warm = get(&cache, &key, TEXT, &skills).unwrap();
        assert_eq!(warm.file.findings, cold.file.findings);
        assert_eq!(warm.file.findings.len(), 2);
        assert_eq!(warm.keys, cold.keys);
        assert_eq!(warm.needs, cold.needs);
        assert_eq!(warm.facts, cold.facts);
        assert_eq!(warm.file.text.as_deref(), Some(TEXT));
        assert_eq!(cache.stats(), CacheStats { hits: 1, misses: 0 });
        // Used as loaded: saving would write the same thing again.
        assert!(!cache.changed());
        assert_eq!(cache.to_text(MAX_CACHE_BYTES), text);
    }

    #[test]
    fn another_salt_or_damaged_bytes_mean_an_empty_cache() {
        let registry = Registry::builtin();
        let skills: Vec<&dyn Skill> = registry.all().collect();
        let (text, key) = saved(&skills);

        let (other, warning) = ScanCache::load(text.as_bytes(), "another salt".into());
        assert_eq!(warning, None, "a stale cache is no surprise");
        assert!(other.is_empty());

        let flipped = text.replacen("derive-debug", "derive-debuh", 1);
        let (damaged, warning) = ScanCache::load(flipped.as_bytes(), "salt".into());
        assert!(damaged.is_empty());
        insta::assert_snapshot!(warning.unwrap(), @"the scan cache is ignored (its checksum does not match); every file is scanned afresh");

        let huge = vec![b' '; MAX_CACHE_BYTES + HEADER_BYTES + 1];
        let (_, warning) = ScanCache::load(&huge, "salt".into());
        assert!(warning.unwrap().contains("larger"));

        for (bytes, why) in [
            (&b"\xff\xfe"[..], "it is not text"),
            (b"", "it is empty or cut short"),
            (
                b"something else\n",
                "it is not a patchwright scan cache of this version",
            ),
        ] {
            let (_, warning) = ScanCache::load(bytes, "salt".into());
            assert!(warning.unwrap().contains(why), "{why}");
        }
        assert!(get(&damaged, &key, TEXT, &skills).is_none());
    }

    #[test]
    fn an_entry_that_does_not_fit_its_file_is_a_miss() {
        let registry = Registry::builtin();
        let skills: Vec<&dyn Skill> = registry.all().collect();
        let (text, key) = saved(&skills);
        let (cache, _) = ScanCache::load(text.as_bytes(), "salt".into());
        // The same key, a shorter text: its ranges point past the end.
        assert!(get(&cache, &key, "pub struct A;", &skills).is_none());
        // A skill that is no longer there.
        let one: Vec<&dyn Skill> = vec![registry.get("derive-debug").unwrap()];
        assert!(get(&cache, &key, TEXT, &one).is_none());
        assert_eq!(cache.stats(), CacheStats { hits: 0, misses: 2 });
    }

    #[test]
    fn the_size_bound_keeps_the_cheapest_entries_and_forget_drops_some() {
        let registry = Registry::builtin();
        let skills: Vec<&dyn Skill> = registry.all().collect();
        let cache = ScanCache::empty("salt".into());
        cache.put("big".into(), &analysed(TEXT, &skills));
        cache.put("small".into(), &analysed("fn g() {}\n", &skills));
        let all = cache.to_text(MAX_CACHE_BYTES);
        let bound = cache.to_text(40);
        let (all, _) = ScanCache::load(all.as_bytes(), "salt".into());
        let (mut bound, _) = ScanCache::load(bound.as_bytes(), "salt".into());
        assert_eq!((all.len(), bound.len()), (2, 1));
        assert!(bound.loaded.contains_key("small"));
        bound.forget(1);
        assert!(bound.is_empty());
    }

    #[test]
    fn the_salt_follows_skills_settings_and_options() {
        let registry = Registry::builtin();
        let all: Vec<&dyn Skill> = registry.all().collect();
        let settings = BTreeMap::new();
        let options = ScanOptions::default();
        let base = salt(&all, &settings, &options);
        assert_eq!(base, salt(&all, &settings, &options));
        assert_ne!(base, salt(&all[1..], &settings, &options));
        let disabled = BTreeMap::from([(
            "len-zero".to_owned(),
            SkillConfig {
                enabled: false,
                ..SkillConfig::default()
            },
        )]);
        assert_ne!(base, salt(&all, &disabled, &options));
        let nesting = ScanOptions {
            max_nesting: 10,
            ..options
        };
        assert_ne!(base, salt(&all, &settings, &nesting));
    }
}
