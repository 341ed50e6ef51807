//! Everything outside an edit stays byte for byte: comments, blank lines,
//! tabs, CRLF line endings, non-ASCII identifiers and strings.

use crate::support::{Project, fixtures, git, patchwright};

#[test]
fn fix_apply_keeps_everything_outside_the_edits() {
    let before = std::fs::read(fixtures().join("preservation/before.rs")).unwrap();
    let expected = std::fs::read(fixtures().join("preservation/after.rs")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("kasten.rs"), &before).unwrap();

    let run = patchwright(dir.path(), &["fix", "--apply"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let after = std::fs::read(dir.path().join("kasten.rs")).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&after),
        String::from_utf8_lossy(&expected)
    );

    // Every line break is still CRLF, including the ones the fixes added.
    let text = String::from_utf8(after).unwrap();
    assert_eq!(text.matches('\n').count(), text.matches("\r\n").count());
    // Lines the fixes did not touch are identical and in order.
    let before = String::from_utf8(before).unwrap();
    let kept: Vec<&str> = before
        .split("\r\n")
        .filter(|l| text.split("\r\n").any(|a| a == *l))
        .collect();
    assert!(
        kept.len() + 8 >= before.split("\r\n").count(),
        "too many lines changed"
    );
    assert!(text.contains("// Ünïcödé header comment — keep me exactly: «ßtraße» 😀\r\n"));
    assert!(text.contains("\t\tself.inhalt.is_empty() /* inline block */\r\n"));

    // A second run finds nothing more to fix and changes nothing.
    let run = patchwright(dir.path(), &["fix", "--apply"]);
    assert_eq!(run.stderr.trim(), "nothing to fix");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("kasten.rs")).unwrap(),
        text
    );
}

/// The cases that made rustfmt-clean crates dirty: a call rustfmt wraps
/// only because of its positional arguments, a trailing comma after the
/// last one, and a derive list that `Debug` pushes past the width.
const RUSTFMT_CLEAN: &str = r#"pub fn report(key: &str, value: u32) -> String {
    eprintln!("the configuration key {} has an unexpected value here", key,);
    format!(
        "the configuration key {} has the value {} and that is fine",
        key, value
    )
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct AVeryLongStructNameThatFillsTheLineNicely(pub u8);
"#;

#[test]
fn fixes_keep_a_rustfmt_clean_file_clean_and_leave_a_messy_one_as_it_was() {
    let rustfmt_check = |dir: &std::path::Path| {
        std::process::Command::new("rustfmt")
            .args(["--check", "--edition", "2021", "lib.rs"])
            .current_dir(dir)
            .output()
            .unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lib.rs"), RUSTFMT_CLEAN).unwrap();
    assert!(
        rustfmt_check(dir.path()).status.success(),
        "the fixture is clean"
    );

    let run = patchwright(dir.path(), &["fix", "--apply"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let after = std::fs::read_to_string(dir.path().join("lib.rs")).unwrap();
    assert!(after.contains("{key}"), "{after}");
    assert!(after.contains("Debug"), "{after}");
    let check = rustfmt_check(dir.path());
    assert!(
        check.status.success(),
        "{after}\n{}",
        String::from_utf8_lossy(&check.stdout)
    );

    // A file rustfmt would change anyway keeps its own layout.
    let messy = RUSTFMT_CLEAN.replace("-> String {", "->String{");
    std::fs::write(dir.path().join("lib.rs"), &messy).unwrap();
    let run = patchwright(dir.path(), &["fix", "--apply"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let after = std::fs::read_to_string(dir.path().join("lib.rs")).unwrap();
    assert!(after.contains("->String{"), "{after}");
    assert!(after.contains("    format!(\n"), "{after}");
}

#[test]
fn proposals_keep_a_rustfmt_clean_file_clean_with_the_projects_rustfmt_toml() {
    // Clean at 80 columns but not at rustfmt's default 100 (where the call
    // fits on one line); once inlined it fits on one line at 80 too. Only
    // the project's own rustfmt.toml tells that the file was clean.
    let narrow = "pub fn report(key: &str, value: u32) -> String {\n    format!(\n        \"the configuration key {} has the value {}, which is fine\",\n        key, value\n    )\n}\n";
    let project = Project::new("a rustfmt-clean crate", |work| {
        std::fs::create_dir_all(work.join("src")).unwrap();
        std::fs::create_dir_all(work.join(".github")).unwrap();
        std::fs::write(
            work.join("Cargo.toml"),
            "[package]\nname = \"tidy\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        )
        .unwrap();
        std::fs::write(work.join("rustfmt.toml"), "max_width = 80\n").unwrap();
        std::fs::write(work.join("src/lib.rs"), narrow).unwrap();
        std::fs::write(
            work.join(".github/patchwright.yml"),
            "validate: false\nlimits:\n  max_prs_per_run: 10\n",
        )
        .unwrap();
    });
    let rustfmt_check = |text: &str| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("rustfmt.toml"), "max_width = 80\n").unwrap();
        std::fs::write(dir.path().join("lib.rs"), text).unwrap();
        std::process::Command::new("rustfmt")
            .args(["--check", "--edition", "2021", "lib.rs"])
            .current_dir(dir.path())
            .output()
            .unwrap()
            .status
            .success()
    };
    assert!(rustfmt_check(narrow), "the fixture is clean at 80 columns");

    let run = patchwright(&project.work, &["run", "--no-checks"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let branches = project.proposal_branches();
    assert_eq!(branches.len(), 1, "{branches:?}\n{}", run.stdout);
    for branch in branches {
        // `git` trims its output; the file ends with one line break.
        let text = git(&project.origin, &["show", &format!("{branch}:src/lib.rs")]) + "\n";
        assert_ne!(text, narrow, "{branch} changes nothing");
        assert!(
            rustfmt_check(&text),
            "{branch} is not rustfmt-clean:\n{text}"
        );
    }
}
