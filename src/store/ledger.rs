//! The ledger: the bot's whole memory as one versioned document — its
//! proposals and their outcomes, rejected fingerprints, paused skills, the
//! stop flag, the regression watch. Plain values with their invariants;
//! where the document is kept is [`super::ledger_store`]'s business.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::checks::{CheckRun, Checks};
use crate::vocab::hash::hex;

use crate::vocab::git_names::{BranchName, CommitSha, TreeSha};
use crate::vocab::ids::{Fingerprint, SkillId};
use crate::vocab::rel_path::RelPath;
use crate::vocab::secret::redact;
use crate::vocab::time::Timestamp;

/// The format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// `<skill>/<hash8>`: the same findings always give the same id (and branch).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProposalId(String);

impl ProposalId {
    pub fn new(skill: &SkillId, fingerprints: &BTreeSet<Fingerprint>) -> Self {
        let mut hasher = Sha256::new();
        for fp in fingerprints {
            hasher.update(fp.as_str().as_bytes());
            hasher.update(b"\n");
        }
        let digest = hasher.finalize();
        let hash8 = hex(&digest[..4]);
        Self(format!("{skill}/{hash8}"))
    }

    /// The `n`th proposal of the same findings (`n` from 1): when earlier
    /// ones were decided and the findings came back (after "not now", or a
    /// failed fix whose file changed), the new one is a new proposal.
    pub fn nth(skill: &SkillId, fingerprints: &BTreeSet<Fingerprint>, n: usize) -> Self {
        let first = Self::new(skill, fingerprints);
        if n <= 1 {
            first
        } else {
            Self(format!("{first}-{n}"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `patchwright/<skill>/<hash8>`, the skill id as a ref name allows.
    pub fn branch(&self) -> BranchName {
        format!("patchwright/{}", self.0.replace("::", "."))
            .parse()
            .unwrap_or_else(|_| unreachable!("skill ids and hex digits make valid branch names"))
    }
}

impl fmt::Display for ProposalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for ProposalId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (skill, hash) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}` is not a proposal id like derive-debug/1a2b3c4d"))?;
        SkillId::new(skill).map_err(|e| e.to_string())?;
        let (hash, nth) = hash.split_once('-').unwrap_or((hash, "2"));
        let nth_ok = nth.parse::<usize>().is_ok_and(|n| n >= 2) && !nth.starts_with('0');
        if hash.len() == 8 && hash.bytes().all(|b| b.is_ascii_hexdigit()) && nth_ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!(
                "`{s}` is not a proposal id like derive-debug/1a2b3c4d"
            ))
        }
    }
}

/// Where a proposal lives on its forge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullRef {
    /// `local` or `github`.
    pub forge: String,
    /// The pull request number, where the forge has numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl fmt::Display for PullRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.number {
            Some(n) => write!(f, "#{n}"),
            None => write!(f, "{} branch", self.forge),
        }
    }
}

/// What happened to a proposal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Outcome {
    Opened,
    ChecksPassed {
        commit: CommitSha,
    },
    ChecksFailed {
        commit: CommitSha,
        names: Vec<String>,
        /// The end of the failing output, for people.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tail: Option<String>,
    },
    Merged {
        commit: CommitSha,
    },
    Closed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// What the close says about the skill.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        why: Option<CloseKind>,
    },
    Reverted {
        by: CommitSha,
    },
    /// Rebuilt on a newer default branch.
    Updated {
        commit: CommitSha,
    },
    /// A reviewer asked for changes: it counts against the skill.
    ChangesRequested {
        by: String,
    },
}

impl Outcome {
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Opened => "opened",
            Outcome::ChecksPassed { .. } => "checks passed",
            Outcome::ChecksFailed { .. } => "checks failed",
            Outcome::Merged { .. } => "merged",
            Outcome::Closed { .. } => "closed",
            Outcome::Reverted { .. } => "reverted",
            Outcome::Updated { .. } => "updated",
            Outcome::ChangesRequested { .. } => "changes requested",
        }
    }
}

// No `deny_unknown_fields` here: serde cannot combine it with `flatten`;
// the flattened `Outcome` refuses unknown fields itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeEntry {
    pub at: Timestamp,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// Where a proposal stands, derived from its outcomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    Open,
    Merged,
    Closed,
    Reverted,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::Open => "open",
            State::Merged => "merged",
            State::Closed => "closed",
            State::Reverted => "reverted",
        })
    }
}

/// Fixes grouped into one pull request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proposal {
    pub id: ProposalId,
    pub skill: SkillId,
    pub package: String,
    pub title: String,
    pub fingerprints: BTreeSet<Fingerprint>,
    pub files: Vec<RelPath>,
    pub branch: BranchName,
    /// The default-branch commit the proposal was built on.
    pub base: CommitSha,
    /// The proposal's commit.
    pub head: CommitSha,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull: Option<PullRef>,
    /// The pull request's text, kept from the moment the proposal is
    /// recorded until its pull request is open, so that a run that stopped
    /// in between can open it as it would have been.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    pub outcomes: Vec<OutcomeEntry>,
}

impl Proposal {
    pub fn state(&self) -> State {
        self.outcomes
            .iter()
            .rev()
            .find_map(|e| match e.outcome {
                Outcome::Opened => Some(State::Open),
                Outcome::Merged { .. } => Some(State::Merged),
                Outcome::Closed { .. } => Some(State::Closed),
                Outcome::Reverted { .. } => Some(State::Reverted),
                _ => None,
            })
            .unwrap_or(State::Open)
    }

    pub fn is_open(&self) -> bool {
        self.state() == State::Open
    }

    /// The latest checks result for the current head, if any.
    pub fn checks(&self) -> Option<&Outcome> {
        self.outcomes
            .iter()
            .rev()
            .map(|e| &e.outcome)
            .find(|o| match o {
                Outcome::ChecksPassed { commit } | Outcome::ChecksFailed { commit, .. } => {
                    *commit == self.head
                }
                _ => false,
            })
    }

    pub fn last_update(&self) -> Option<Timestamp> {
        self.outcomes.last().map(|e| e.at)
    }
}

/// Why a proposal was closed, as far as learning cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CloseKind {
    /// The fix is wrong: counts twice against the skill.
    Wrong,
    /// Not wanted here (also what a bare close means).
    Unwanted,
    /// Not now: the findings may come back after `learning.later_days`.
    Later,
    /// The bot closed it because its checks failed.
    ChecksFailed,
    /// The bot closed it because its findings were gone.
    Gone,
}

impl CloseKind {
    /// How many rejections the close counts as, for the acceptance score.
    pub fn weight(self) -> usize {
        match self {
            CloseKind::Wrong => 2,
            CloseKind::Unwanted | CloseKind::ChecksFailed => 1,
            CloseKind::Later | CloseKind::Gone => 0,
        }
    }
}

impl CloseKind {
    /// In words, for the ledger and replies.
    pub fn describe(self) -> &'static str {
        match self {
            CloseKind::Wrong => "the fix is wrong",
            CloseKind::Unwanted => "not wanted here",
            CloseKind::Later => "not now",
            CloseKind::ChecksFailed => "its checks failed",
            CloseKind::Gone => "its findings were gone",
        }
    }
}

impl fmt::Display for CloseKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CloseKind::Wrong => "wrong",
            CloseKind::Unwanted => "unwanted",
            CloseKind::Later => "later",
            CloseKind::ChecksFailed => "checks failed",
            CloseKind::Gone => "gone",
        })
    }
}

/// The closing reason ticked in a pull request body: a checked box
/// (`- [x]`) on a line marked `<!-- patchwright:why <kind> -->`.
pub fn ticked_reason(body: &str) -> Option<CloseKind> {
    body.lines().find_map(|line| {
        let line = line.trim_start();
        let ticked =
            line.starts_with("- [x]") || line.starts_with("- [X]") || line.starts_with("* [x]");
        if !ticked {
            return None;
        }
        let marker = line.split("<!-- patchwright:why ").nth(1)?;
        match marker.split_whitespace().next()? {
            "wrong" => Some(CloseKind::Wrong),
            "unwanted" => Some(CloseKind::Unwanted),
            "later" => Some(CloseKind::Later),
            _ => None,
        }
    })
}

/// Why a fingerprint is not proposed again (or, with `until`, not before then).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rejection {
    pub at: Timestamp,
    pub by: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal: Option<ProposalId>,
    /// For "not now": the rejection ends then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Timestamp>,
}

impl Rejection {
    /// Whether it still holds at `now`.
    pub fn holds(&self, now: Timestamp) -> bool {
        self.until.is_none_or(|until| now < until)
    }
}

/// A pause (of a skill) or a stop (of the bot): who, when and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hold {
    pub at: Timestamp,
    pub by: String,
    pub reason: String,
}

/// The bot's memory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ledger {
    pub version: u32,
    #[serde(default)]
    pub proposals: BTreeMap<ProposalId, Proposal>,
    #[serde(default)]
    pub rejected: BTreeMap<Fingerprint, Rejection>,
    #[serde(default)]
    pub paused: BTreeMap<SkillId, Hold>,
    #[serde(default)]
    pub stopped: Option<Hold>,
    /// The last default-branch commit that was scanned.
    #[serde(default)]
    pub last_scan: Option<CommitSha>,
    /// When a person last resumed each skill: automatic pauses look only at
    /// what was decided after that.
    #[serde(default)]
    pub resumed: BTreeMap<SkillId, Hold>,
    /// Fixes that failed their checks: not proposed again while the file
    /// they live in is unchanged.
    #[serde(default)]
    pub failed_fixes: BTreeMap<Fingerprint, FailedFix>,
    /// Merged proposals being watched for a regression, by merge commit.
    #[serde(default)]
    pub watch: BTreeMap<CommitSha, Watch>,
    /// Results of checks the bot ran itself (the local forge), by the tree
    /// they ran on: the same files check the same.
    #[serde(default)]
    pub check_cache: BTreeMap<TreeSha, CachedCheck>,
}

/// A fix whose checks failed, and its proposal's files as they were then.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailedFix {
    pub at: Timestamp,
    /// The proposal whose checks failed; none for a fix that did not
    /// compile, so was never proposed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal: Option<ProposalId>,
    /// Content hashes (see [`crate::vocab::hash::content_hash`]) of the files, by path.
    pub files: BTreeMap<RelPath, String>,
    /// What went wrong, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The result of a check the bot ran on a tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CachedCheck {
    pub at: Timestamp,
    pub passed: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failing: Vec<String>,
    /// The command that ran: a result of another command does not count.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub command: String,
    /// The end of a failing run's output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tail: Option<String>,
}

impl CachedCheck {
    /// What to keep of `checks`, run by `command`; nothing while they are
    /// unfinished or missing.
    pub fn from_checks(checks: &Checks, command: &str, at: Timestamp) -> Option<Self> {
        let (passed, failing, tail) = match checks {
            Checks::Passed { .. } => (true, Vec::new(), None),
            Checks::Failed { failing, tail, .. } => (
                false,
                failing.iter().map(|f| f.name.clone()).collect(),
                tail.clone(),
            ),
            Checks::Pending | Checks::Missing => return None,
        };
        Some(Self {
            at,
            passed,
            failing,
            command: command.to_owned(),
            tail,
        })
    }

    /// The checks as they were found.
    pub fn to_checks(&self) -> Checks {
        let check = |name: &str| CheckRun {
            name: name.to_owned(),
            id: None,
            url: None,
            run_id: None,
            completed_at: Some(self.at),
        };
        if self.passed {
            Checks::Passed {
                passing: vec![check(&self.command)],
            }
        } else {
            Checks::Failed {
                failing: self.failing.iter().map(|n| check(n)).collect(),
                passing: Vec::new(),
                tail: self.tail.clone(),
            }
        }
    }
}

/// A merged proposal under watch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Watch {
    pub proposal: ProposalId,
    /// When the merge was recorded; the watch ends `revert.window_hours` later.
    pub since: Timestamp,
    pub state: WatchState,
}

/// Where a watch stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum WatchState {
    Watching,
    /// The checks went red; failed jobs were re-run and their results are awaited.
    Rerunning {
        red: CommitSha,
        reruns: u32,
        failing: Vec<String>,
        /// Ids of the failing check runs: newer results have other ids.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        check_ids: Vec<u64>,
        /// Failing checks the forge could not re-run (commit statuses,
        /// other apps' check runs).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        not_rerun: Vec<String>,
    },
    /// Green after the merge: nothing to do.
    Clean {
        at: CommitSha,
    },
    /// Red, then green on a re-run.
    Flaky {
        red: CommitSha,
        failing: Vec<String>,
    },
    /// Red, but not attributable to this merge (or reverting is off).
    Reported {
        reason: String,
    },
    /// Reverting would conflict.
    Conflict {
        paths: Vec<String>,
    },
    Reverted {
        commit: CommitSha,
        /// When; automatic reverts per day are limited.
        #[serde(default = "Timestamp::epoch")]
        at: Timestamp,
        /// Whether a person asked for it.
        #[serde(default)]
        asked: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        branch: Option<BranchName>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pull: Option<PullRef>,
    },
    /// The watch window ended.
    Expired,
}

impl Ledger {
    /// Whether the bot itself put `commit` on the default branch (a revert
    /// in push mode). Its proposals, merged by a person in any way, are
    /// not: those are the person's doing.
    pub fn pushed_by_bot(&self, commit: &CommitSha) -> bool {
        self.watch.values().any(|w| {
            matches!(&w.state, WatchState::Reverted { commit: c, branch: None, .. } if c == commit)
        })
    }
}

impl WatchState {
    /// Whether the watch still needs looking at.
    pub fn is_active(&self) -> bool {
        matches!(self, WatchState::Watching | WatchState::Rerunning { .. })
    }
}

impl Default for Ledger {
    fn default() -> Self {
        Self {
            version: FORMAT_VERSION,
            proposals: BTreeMap::new(),
            rejected: BTreeMap::new(),
            paused: BTreeMap::new(),
            stopped: None,
            last_scan: None,
            resumed: BTreeMap::new(),
            failed_fixes: BTreeMap::new(),
            watch: BTreeMap::new(),
            check_cache: BTreeMap::new(),
        }
    }
}

impl Ledger {
    /// The id a proposal of these findings gets now: the open one's, or the
    /// first not used by a decided one.
    pub fn fresh_id(&self, skill: &SkillId, fingerprints: &BTreeSet<Fingerprint>) -> ProposalId {
        let mut n = 1;
        loop {
            let id = ProposalId::nth(skill, fingerprints, n);
            match self.proposals.get(&id) {
                Some(p) if !p.is_open() => n += 1,
                _ => return id,
            }
        }
    }

    pub fn open_proposals(&self) -> impl Iterator<Item = &Proposal> {
        self.proposals.values().filter(|p| p.is_open())
    }

    /// Fingerprints held by open proposals.
    pub fn in_flight(&self) -> BTreeSet<&Fingerprint> {
        self.open_proposals()
            .flat_map(|p| p.fingerprints.iter())
            .collect()
    }

    /// Appends `outcome` unless it is already the proposal's latest of its
    /// kind; returns whether anything changed.
    pub fn record(&mut self, id: &ProposalId, outcome: Outcome, at: Timestamp) -> bool {
        let Some(proposal) = self.proposals.get_mut(id) else {
            return false;
        };
        if proposal.outcomes.iter().any(|e| e.outcome == outcome) {
            return false;
        }
        proposal.outcomes.push(OutcomeEntry { at, outcome });
        true
    }

    /// The canonical text: pretty JSON with sorted keys, ending in a newline,
    /// and no token in it (reasons and warnings quote what servers said,
    /// and the ledger is pushed where anyone who can read the repository
    /// reads it).
    pub fn to_json(&self) -> String {
        // Through `Value`, whose maps are sorted, so every key is in order.
        let value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
        text.push('\n');
        match redact(&text) {
            Cow::Borrowed(_) => text,
            Cow::Owned(clean) => clean,
        }
    }

    /// Reads a ledger document, refusing newer formats and anything that
    /// does not fit this one.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let version = value.get("version").and_then(serde_json::Value::as_u64);
        match version {
            Some(v) if v > u64::from(FORMAT_VERSION) => {
                return Err(format!(
                    "it was written by a newer patchwright (format {v}; this one reads {FORMAT_VERSION}): upgrade patchwright"
                ));
            }
            Some(_) => {}
            None => return Err("it has no format version".into()),
        }
        serde_json::from_value(value)
            .map_err(|e| format!("it does not fit format {FORMAT_VERSION}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(n: u32) -> Fingerprint {
        format!("{n:016x}").parse().unwrap()
    }

    #[test]
    fn proposal_ids_depend_only_on_the_fingerprints() {
        let skill = SkillId::new("len-zero").unwrap();
        let a = ProposalId::new(&skill, &BTreeSet::from([fp(1), fp(2)]));
        let b = ProposalId::new(&skill, &BTreeSet::from([fp(2), fp(1)]));
        assert_eq!(a, b);
        assert!(a.as_str().starts_with("len-zero/"));
        assert_eq!(a.branch().as_str(), format!("patchwright/{a}"));
        assert_eq!(a.as_str().parse::<ProposalId>().unwrap(), a);
        assert_ne!(a, ProposalId::new(&skill, &BTreeSet::from([fp(1)])));
        let lint = SkillId::new("clippy::needless_return").unwrap();
        let l = ProposalId::new(&lint, &BTreeSet::from([fp(1)]));
        assert!(l.as_str().starts_with("clippy::needless_return/"));
        assert!(
            l.branch()
                .as_str()
                .starts_with("patchwright/clippy.needless_return/")
        );
        assert_eq!(l.as_str().parse::<ProposalId>().unwrap(), l);

        // Later proposals of the same findings, once earlier ones were decided.
        let fps = BTreeSet::from([fp(1)]);
        let mut ledger = Ledger::default();
        let first = ledger.fresh_id(&skill, &fps);
        assert_eq!(first, ProposalId::new(&skill, &fps));
        let second = ProposalId::nth(&skill, &fps, 2);
        assert_eq!(second.as_str(), format!("{first}-2"));
        assert_eq!(second.as_str().parse::<ProposalId>().unwrap(), second);
        for bad in [
            "len-zero/1a2b3c4d-1",
            "len-zero/1a2b3c4d-02",
            "len-zero/1a2b3c4d-x",
        ] {
            assert!(bad.parse::<ProposalId>().is_err(), "{bad}");
        }
        let sha: CommitSha = "0123456789abcdef0123456789abcdef01234567".parse().unwrap();
        let proposal = |id: &ProposalId, outcome: Outcome| Proposal {
            id: id.clone(),
            skill: skill.clone(),
            package: "demo".into(),
            title: "t".into(),
            fingerprints: fps.clone(),
            files: Vec::new(),
            branch: id.branch(),
            base: sha.clone(),
            head: sha.clone(),
            pull: None,
            body: None,
            outcomes: vec![OutcomeEntry {
                at: Timestamp(0),
                outcome,
            }],
        };
        ledger
            .proposals
            .insert(first.clone(), proposal(&first, Outcome::Opened));
        assert_eq!(ledger.fresh_id(&skill, &fps), first, "the open one");
        let closed = Outcome::Closed {
            reason: None,
            why: Some(CloseKind::Later),
        };
        ledger
            .proposals
            .insert(first.clone(), proposal(&first, closed));
        assert_eq!(ledger.fresh_id(&skill, &fps), second);
    }

    #[test]
    fn documents_are_sorted_pretty_and_versioned() {
        let skill = SkillId::new("len-zero").unwrap();
        let id = ProposalId::new(&skill, &BTreeSet::from([fp(1)]));
        let sha: CommitSha = "0123456789abcdef0123456789abcdef01234567".parse().unwrap();
        let proposal = Proposal {
            id: id.clone(),
            skill,
            package: "demo".into(),
            title: "Use `is_empty()`".into(),
            fingerprints: BTreeSet::from([fp(1)]),
            files: vec!["src/lib.rs".parse().unwrap()],
            branch: id.branch(),
            base: sha.clone(),
            head: sha.clone(),
            pull: Some(PullRef {
                forge: "local".into(),
                number: None,
                url: None,
            }),
            body: None,
            outcomes: vec![
                OutcomeEntry {
                    at: Timestamp(1),
                    outcome: Outcome::Opened,
                },
                OutcomeEntry {
                    at: Timestamp(2),
                    outcome: Outcome::ChecksFailed {
                        commit: sha.clone(),
                        names: vec!["test".into()],
                        tail: Some("boom".into()),
                    },
                },
                OutcomeEntry {
                    at: Timestamp(3),
                    outcome: Outcome::Merged { commit: sha },
                },
            ],
        };
        let ledger = Ledger {
            proposals: BTreeMap::from([(id, proposal)]),
            stopped: Some(Hold {
                at: Timestamp(0),
                by: "ana".into(),
                reason: "release week".into(),
            }),
            ..Ledger::default()
        };
        let json = ledger.to_json();
        let keys: Vec<&str> = json
            .lines()
            .filter_map(|l| l.strip_prefix("  \""))
            .map(|l| l.split('"').next().unwrap())
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        assert_eq!(Ledger::from_json(&json).unwrap(), ledger);

        let newer = json.replace("\"version\": 1", "\"version\": 7");
        assert!(
            Ledger::from_json(&newer)
                .unwrap_err()
                .contains("newer patchwright (format 7")
        );
        let unknown = json.replace("\"version\": 1", "\"version\": 1, \"surprise\": true");
        assert!(
            Ledger::from_json(&unknown)
                .unwrap_err()
                .contains("does not fit")
        );
    }

    #[test]
    fn closing_reasons_are_read_from_ticked_boxes() {
        let body = "- [ ] The fix is wrong <!-- patchwright:why wrong -->\n- [x] Not now <!-- patchwright:why later -->\n";
        assert_eq!(ticked_reason(body), Some(CloseKind::Later));
        assert_eq!(ticked_reason(&body.replace("[x]", "[ ]")), None);
        assert_eq!(ticked_reason("- [x] something else\n"), None);
    }
}
