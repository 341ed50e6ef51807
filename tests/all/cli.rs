//! The commands end to end over the sample crate.

use crate::support::{assert_golden, copy_dir, fixtures, golden_dir, patchwright, snapshot_tree};

fn sample() -> std::path::PathBuf {
    fixtures().join("crates/sample")
}

#[test]
fn scan_json_over_the_sample_crate_matches_the_golden_file() {
    let run = patchwright(&sample(), &["scan", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_golden(&golden_dir().join("scan-sample.json"), &run.stdout);
    // Every skill has something to find in the sample.
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let mut skills: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["skill"].as_str().unwrap())
        .collect();
    skills.sort();
    skills.dedup();
    assert_eq!(
        skills,
        [
            "derive-debug",
            "inline-format-args",
            "len-zero",
            "question-mark",
            "todo-comments"
        ]
    );
}

#[test]
fn scan_text_groups_findings_by_file() {
    let run = patchwright(
        &sample(),
        &[
            "scan",
            "--skill",
            "len-zero",
            "--skill",
            "derive-debug",
            ".",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout, @r"
    src/lib.rs:10:1  derive-debug  public struct `Queue` does not implement `Debug`  [fixable]
    src/lib.rs:21:9  len-zero  `self.items.len() == 0` reads better as `self.items.is_empty()`  [fixable]

    src/shapes.rs:2:1  derive-debug  public enum `Shape` does not implement `Debug`  [fixable]
    src/shapes.rs:7:1  derive-debug  public struct `Canvas` does not implement `Debug`  [fixable]
    src/shapes.rs:13:9  len-zero  `!(self.shapes.len() == 0)` reads better as `!self.shapes.is_empty()`  [fixable]
    src/shapes.rs:17:12  len-zero  `self.shapes.len() > 0` reads better as `!self.shapes.is_empty()`  [fixable]

    6 findings (6 fixable) in 2 files; 4 files scanned
    ");
    // Nothing but the summary on stderr: no warnings.
    insta::with_settings!({filters => vec![(r"\b\d+\.\d s\b", "[time]"), (r"\d+ cached", "[n] cached"), (r"scanned \S+:", "scanned [dir]:")]}, {
        insta::assert_snapshot!(run.stderr, @"scanned [dir]: 4 files in 2 packages, 2 skills, [time] ([n] cached): 6 findings (derive-debug 3, len-zero 3)");
    });
    let quiet = patchwright(&sample(), &["-q", "scan", "--skill", "len-zero", "."]);
    assert_eq!(quiet.stderr, "");
}

#[test]
fn sarif_is_valid_sarif_2_1_0_with_what_code_scanning_needs() {
    let run = patchwright(&sample(), &["scan", "--format", "sarif"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let sarif: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft7::new(&schema).expect("the SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "not valid SARIF 2.1.0: {errors:#?}");

    // What GitHub code scanning reads: rules with ids and descriptions,
    // results that name a rule, say something, and point at a file region.
    let run0 = &sarif["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 5);
    for rule in rules {
        assert!(rule["id"].is_string() && rule["shortDescription"]["text"].is_string());
        assert!(rule["fullDescription"]["text"].is_string() && rule["help"]["text"].is_string());
    }
    let results = run0["results"].as_array().unwrap();
    assert_eq!(results.len(), 16);
    for result in results {
        let rule = result["ruleId"].as_str().unwrap();
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], rule);
        assert!(!result["message"]["text"].as_str().unwrap().is_empty());
        let location = &result["locations"][0]["physicalLocation"];
        let uri = location["artifactLocation"]["uri"].as_str().unwrap();
        assert!(!uri.starts_with('/') && uri.ends_with(".rs"), "{uri}");
        assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
        assert_eq!(
            result["partialFingerprints"]["patchwright/v1"]
                .as_str()
                .unwrap()
                .len(),
            16
        );
    }
}

#[test]
fn fail_on_findings_exits_with_1_and_a_clean_tree_with_0() {
    let run = patchwright(&sample(), &["scan", "--fail-on-findings"]);
    assert_eq!(run.code, 1);
    let clean = tempfile::tempdir().unwrap();
    std::fs::write(clean.path().join("ok.rs"), "fn main() {}\n").unwrap();
    let run = patchwright(clean.path(), &["scan", "--fail-on-findings"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "0 findings (0 fixable) in 0 files; 1 file scanned\n"
    );
}

#[test]
fn usage_errors_exit_with_2_and_say_what_to_do() {
    let run = patchwright(&sample(), &["scan", "--skill", "nope"]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!(run.stderr, @"error: unknown skill `nope`; known skills are: derive-debug, inline-format-args, len-zero, question-mark, todo-comments (see `patchwright skills`)");
    let run = patchwright(&sample(), &["scan", "no/such/dir"]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!(run.stderr, @"error: no/such/dir does not exist: give the path of a repository or crate");
    let run = patchwright(&sample(), &["scan", "--format", "xml"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("invalid value 'xml'"), "{}", run.stderr);
}

#[test]
fn fix_without_apply_prints_diffs_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&sample(), dir.path());
    let before = snapshot_tree(dir.path());
    let run = patchwright(dir.path(), &["fix"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        snapshot_tree(dir.path()),
        before,
        "a dry run must not write"
    );
    assert_golden(&golden_dir().join("fix-sample.diff"), &run.stdout);
    insta::assert_snapshot!(run.stderr, @r"
    compiled with `cargo check --workspace --all-targets` (round 1 of 3)
    13 fixes in 4 files (nothing written; pass --apply to write them)
    ");
}

#[test]
fn fix_skill_limits_the_diff() {
    // A copy: compiling the fixes builds into the crate's target directory.
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&sample(), dir.path());
    let run = patchwright(dir.path(), &["fix", "--skill", "question-mark"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("+    let c = s.chars().next()?;"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("is_empty"));
    insta::assert_snapshot!(run.stderr, @r"
    compiled with `cargo check --workspace --all-targets` (round 1 of 3)
    4 fixes in 2 files (nothing written; pass --apply to write them)
    ");
}

#[test]
fn skills_lists_every_skill() {
    let run = patchwright(&sample(), &["skills"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout, @r"
    ID                  FIX  RISK    ENABLED  DESCRIPTION
    derive-debug        yes  low     yes      public structs and enums without a `Debug` implementation
    inline-format-args  yes  low     yes      positional format arguments that can be written inside the format string
    len-zero            yes  low     yes      `.len()` compared with zero, where `.is_empty()` says it directly
    question-mark       yes  medium  yes      hand-written early returns of `None`/`Err(e)` that `?` expresses
    todo-comments       no   high    yes      TODO/FIXME/XXX/HACK comments and `todo!()`/`unimplemented!()` calls
    ");
}

#[test]
fn report_describes_the_project() {
    let run = patchwright(&sample(), &["report"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_golden(&golden_dir().join("report-sample.md"), &run.stdout);
    let run = patchwright(&sample(), &["report", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["packages"].as_array().unwrap().len(), 2);
    assert_eq!(json["files"], 4);
    assert_eq!(json["todos"].as_array().unwrap().len(), 3);
    let complex: Vec<(&str, u64)> = json["most_complex_functions"]
        .as_array()
        .unwrap()
        .iter()
        .take(2)
        .map(|f| {
            (
                f["name"].as_str().unwrap(),
                f["complexity"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(complex, [("parse_pair", 3), ("Canvas::area", 3)]);
}

/// bindgen's output is the generator's: nothing is reported in it, yet
/// what it declares still decides findings in the hand-written files.
#[test]
fn generated_files_are_left_out_but_still_inform_the_crate() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(
        root.join("Cargo.toml"),
        "[package]\nname = \"ffi\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    std::fs::write(
        root.join("src/lib.rs"),
        "pub mod bindings;\n\npub struct Handle {\n    pub raw: bindings::Raw,\n}\n\npub struct Plain;\n",
    )
    .unwrap();
    std::fs::write(
        root.join("src/bindings.rs"),
        "/* automatically generated by rust-bindgen 0.69.4 */\n\npub struct Raw {\n    pub fd: i32,\n}\npub struct Other;\n",
    )
    .unwrap();
    let scan = patchwright(root, &["scan", "--skill", "derive-debug"]);
    insta::assert_snapshot!(scan.stdout, @"
    src/lib.rs:3:1  derive-debug  public struct `Handle` does not implement `Debug` (not fixed automatically: a field's type `Raw` has no `Debug`)
    src/lib.rs:7:1  derive-debug  public struct `Plain` does not implement `Debug`  [fixable]

    2 findings (1 fixable) in 1 file; 2 files scanned
    1 generated file left out (scan.skip_generated)
    ");

    std::fs::create_dir_all(root.join(".github")).unwrap();
    std::fs::write(
        root.join(".github/patchwright.yml"),
        "scan:\n  skip_generated: false\n",
    )
    .unwrap();
    let all = patchwright(root, &["scan", "--skill", "derive-debug"]);
    assert!(all.stdout.contains("src/bindings.rs:3:1"), "{}", all.stdout);
    assert!(!all.stdout.contains("generated file"), "{}", all.stdout);
}

#[test]
fn bench_measures_a_scan_in_a_process_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.rs"),
        "pub struct A;\nfn f(v: &[u8]) -> bool { v.len() == 0 }\n",
    )
    .unwrap();
    let corpus = dir.path().to_str().unwrap();
    let run = patchwright(dir.path(), &["bench", corpus, "--rounds", "1"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("full scan / bare parse"),
        "{}",
        run.stdout
    );
    if cfg!(target_os = "linux") {
        let line = run
            .stdout
            .lines()
            .find(|l| l.contains("in a process of its own"))
            .unwrap_or_else(|| panic!("no line for the scan's own process:\n{}", run.stdout));
        let mb: f64 = line
            .rsplit("peak RSS ")
            .next()
            .and_then(|rest| rest.strip_suffix(" MB"))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no figure in {line:?}"));
        // A scan of one small file: a few MB, far below any benchmark's peak.
        assert!(mb > 1.0 && mb < 100.0, "{line}");
    }
    // The scan it ran wrote no cache beside the corpus.
    let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(entries.len(), 1);

    let run = patchwright(dir.path(), &["--report-peak-memory", "skills"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    if cfg!(target_os = "linux") {
        assert!(
            run.stderr.contains("peak resident memory, MB: "),
            "{}",
            run.stderr
        );
    }
}
