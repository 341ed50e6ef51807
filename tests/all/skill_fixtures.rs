//! `tests/fixtures/skills/<skill>/{before.rs,after.rs,findings.txt}`: what
//! each skill finds, the exact text its fixes produce, and that fixing is
//! complete (nothing more to fix afterwards) and leaves code that parses.

use std::path::Path;

use patchwright::engine::scan::{self, ScanOptions, ScanReport};
use patchwright::engine::skill::Skill;
use patchwright::engine::skills::Registry;
use patchwright::engine::workspace::Workspace;
use patchwright::scaffold::provenance;

use crate::support::{assert_golden, fixtures};

fn scan_one(dir: &Path, skill: &dyn Skill) -> (Workspace, ScanReport) {
    let workspace = Workspace::from_files(dir.to_path_buf(), vec![dir.join("lib.rs")]);
    let options = ScanOptions {
        keep_fixable_sources: true,
        ..ScanOptions::default()
    };
    let report = scan::scan(&workspace, &[skill], &options, &|_| {});
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    (workspace, report)
}

fn findings_text(report: &ScanReport) -> String {
    report
        .findings()
        .map(|f| {
            let tag = if f.fixable() { "  [fixable]" } else { "" };
            format!("{}  {}  {}{tag}\n", f.start, f.item, f.message)
        })
        .collect()
}

#[test]
fn every_skill_has_a_fixture_pair_and_meets_it() {
    let registry = Registry::builtin();
    for skill in registry.all() {
        let dir = fixtures().join("skills").join(skill.id());
        let before = std::fs::read_to_string(dir.join("before.rs")).unwrap_or_else(|_| {
            panic!(
                "{} has no tests/fixtures/skills/{}/before.rs",
                skill.id(),
                skill.id()
            )
        });
        // Fixtures made by `skill new` start with a provenance header.
        let before = provenance::split("before.rs", &before).body.to_owned();
        let expected = std::fs::read_to_string(dir.join("after.rs")).unwrap();
        let expected = provenance::split("after.rs", &expected).body.to_owned();

        let work = tempfile::tempdir().unwrap();
        std::fs::write(work.path().join("lib.rs"), &before).unwrap();
        let (workspace, report) = scan_one(work.path(), skill);
        assert!(
            report.findings().next().is_some(),
            "{}: before.rs has nothing to find",
            skill.id()
        );
        let golden = dir.join("findings.txt");
        let stamped = std::fs::read_to_string(&golden).unwrap_or_default();
        let split = provenance::split("findings.txt", &stamped);
        if split.provenance.is_some() {
            assert_eq!(split.body, findings_text(&report), "{}", golden.display());
        } else {
            assert_golden(&golden, &findings_text(&report));
        }

        let applied = scan::apply_until_stable(&workspace, &[skill], &report, 4);
        let after = applied
            .files
            .values()
            .next()
            .map_or(before.clone(), |p| p.new.clone());
        assert_eq!(
            after,
            expected,
            "{}: fixes do not give after.rs",
            skill.id()
        );
        syn::parse_file(&after)
            .unwrap_or_else(|e| panic!("{}: after.rs does not parse: {e}", skill.id()));

        std::fs::write(work.path().join("lib.rs"), &after).unwrap();
        let (_, again) = scan_one(work.path(), skill);
        if skill.can_fix() {
            // Findings reported without a fix (saying why) stay.
            let left: Vec<String> = again
                .findings()
                .filter(|f| f.fixable())
                .map(|f| format!("{} {}", f.start, f.message))
                .collect();
            assert!(
                left.is_empty(),
                "{}: fixing left fixable findings behind: {left:?}",
                skill.id()
            );
        } else {
            assert_eq!(
                after,
                before,
                "{}: a report-only skill changed the file",
                skill.id()
            );
        }
    }
}
