//! Bad input gets a clear message and loses nothing: broken or non-UTF-8
//! files are skipped with a warning while the rest is scanned; a broken
//! configuration names its file, line, column and key.

use std::path::Path;

use crate::support::patchwright;

fn write(root: &Path, path: &str, contents: &[u8]) {
    let full = root.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, contents).unwrap();
}

#[test]
fn broken_and_non_utf8_files_are_skipped_and_the_rest_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "good.rs", b"pub struct Good;\n");
    write(
        dir.path(),
        "broken.rs",
        b"fn ok() {}\n\nfn broken() { let x = ; }\n",
    );
    write(dir.path(), "unbalanced.rs", b"fn open(x: u8 {\n}\n");
    write(dir.path(), "latin1.rs", b"// caf\xe9\nfn f() {}\n");
    write(dir.path(), "big.rs", "// padding\n".repeat(200).as_bytes());
    write(
        dir.path(),
        ".github/patchwright.yml",
        b"scan:\n  max_file_bytes: 1000\n",
    );
    let run = patchwright(dir.path(), &["scan"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout, @r"
    good.rs:1:1  derive-debug  public struct `Good` does not implement `Debug`  [fixable]

    1 finding (1 fixable) in 1 file; 1 file scanned
    ");
    insta::with_settings!({filters => vec![(r"\b\d+\.\d s\b", "[time]"), (r"scanned \S+:", "scanned [dir]:")]}, {
        insta::assert_snapshot!(run.stderr, @r"
        warning: big.rs: skipped, 2200 bytes is over scan.max_file_bytes (1000)
        warning: broken.rs:3:23: does not parse: expected an expression; skipped
        warning: latin1.rs: skipped, not UTF-8 (invalid byte at offset 6)
        warning: unbalanced.rs:1:8: does not parse: unbalanced brackets or a character that is not Rust; skipped
        scanned [dir]: 1 file in 0 packages, 5 skills, [time] (0 cached): 1 finding (derive-debug 1)
        ");
    });
}

#[test]
fn a_malformed_config_names_file_line_column_and_key() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "lib.rs", b"");
    write(
        dir.path(),
        ".github/patchwright.yml",
        b"scan:\n  exclude: [\"gen/**\"\n",
    );
    let run = patchwright(dir.path(), &["scan"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    insta::assert_snapshot!(run.stderr, @"error: .github/patchwright.yml:2:12: key `scan.exclude`: unclosed bracket '[' (fix the configuration file, or pass --config to use another)");

    write(
        dir.path(),
        ".github/patchwright.yml",
        b"skills:\n  len-zero:\n    enabled: false\n  derive-debug:\n    enable: false\n",
    );
    let run = patchwright(dir.path(), &["scan"]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!(run.stderr, @"error: .github/patchwright.yml:5:5: key `skills.derive-debug.enable`: unknown field `enable`, expected one of enabled, lints, allow, deny, command (fix the configuration file, or pass --config to use another)");

    write(
        dir.path(),
        ".github/patchwright.yml",
        b"skills:\n  len-zero: {enabled: false}\n  lenzero: {}\n",
    );
    let run = patchwright(dir.path(), &["scan"]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!(run.stderr, @"error: .github/patchwright.yml:3:3: key `skills.lenzero`: unknown skill `lenzero`; known skills are: derive-debug, inline-format-args, len-zero, question-mark, todo-comments, the lints of the clippy and rustc families (`clippy::needless_return`), and project rules (`rule::<id>`) (fix the configuration file, or pass --config to use another)");

    let run = patchwright(dir.path(), &["scan", "--config", "missing.yml"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: cannot read the configuration file missing.yml"),
        "{}",
        run.stderr
    );
}

#[test]
fn config_disables_skills_and_excludes_paths() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "src/lib.rs",
        b"pub struct A;\nfn f(v: &[u8]) -> bool { v.len() == 0 }\n",
    );
    write(dir.path(), "generated/out.rs", b"pub struct Generated;\n");
    write(
        dir.path(),
        ".github/patchwright.yml",
        b"skills:\n  derive-debug:\n    enabled: false\nscan:\n  exclude: [\"generated/**\"]\n",
    );
    let run = patchwright(dir.path(), &["scan"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout, @r"
    src/lib.rs:2:26  len-zero  `v.len() == 0` reads better as `v.is_empty()`  [fixable]

    1 finding (1 fixable) in 1 file; 1 file scanned
    ");
}

#[test]
fn a_broken_manifest_still_scans_the_files() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "Cargo.toml", b"[package\nname = ");
    write(dir.path(), "src/lib.rs", b"pub struct A;\n");
    let run = patchwright(dir.path(), &["scan"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("src/lib.rs:1:1  derive-debug"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.starts_with("warning: cargo metadata failed for"),
        "{}",
        run.stderr
    );
}

/// Generated or hostile files nested far deeper than real code: each is
/// skipped with a warning naming it and how deep it goes, and the rest is
/// scanned, reported and proposed. Before, one such file aborted the
/// process with a stack overflow. (issue: hardening, finding 2)
fn deep_files(root: &Path) {
    let sum = vec!["1"; 200_000].join(" + ");
    let files: [(&str, String); 7] = [
        (
            "src/braces.rs",
            format!("fn f() {}{}\n", "{".repeat(500), "}".repeat(500)),
        ),
        (
            "src/parens.rs",
            format!(
                "fn f() -> i32 {{ {}1{} }}\n",
                "(".repeat(5000),
                ")".repeat(5000)
            ),
        ),
        ("src/plus.rs", format!("fn f() -> i32 {{ {sum} }}\n")),
        (
            "src/chain.rs",
            format!("fn f() {{ x{}; }}\n", ".a()".repeat(50_000)),
        ),
        (
            "src/mods.rs",
            format!("{}{}\n", "mod m { ".repeat(3000), "}".repeat(3000)),
        ),
        (
            "src/closures.rs",
            format!("fn f() {{ {}0 }}\n", "|| ".repeat(20_000)),
        ),
        (
            "src/ifs.rs",
            format!(
                "fn f() {{ {}{} }}\n",
                "if true { ".repeat(3000),
                "}".repeat(3000)
            ),
        ),
    ];
    for (path, text) in &files {
        write(root, path, text.as_bytes());
    }
    write(
        root,
        "src/lib.rs",
        b"pub fn empty(v: &[u8]) -> bool {\n    v.len() == 0\n}\n",
    );
    write(
        root,
        "Cargo.toml",
        b"[package]\nname = \"deep\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
}

#[test]
fn deeply_nested_files_are_skipped_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    deep_files(dir.path());
    let scan = patchwright(dir.path(), &["scan"]);
    assert_eq!(scan.code, 0, "{}", scan.stderr);
    assert!(
        scan.stdout.contains("src/lib.rs:2:5  len-zero"),
        "{}",
        scan.stdout
    );
    for (file, deep) in [
        ("src/plus.rs", "nests 200000 deep"),
        (
            "src/chain.rs",
            "deeper than scan.max_nesting (1000); skipped",
        ),
        (
            "src/parens.rs",
            "deeper than scan.max_nesting (1000); skipped",
        ),
    ] {
        assert!(
            scan.stderr
                .lines()
                .any(|l| l.contains(file) && l.contains(deep)),
            "{file}: {}",
            scan.stderr
        );
    }
    let report = patchwright(dir.path(), &["report"]);
    assert_eq!(report.code, 0, "{}", report.stderr);
    let fix = patchwright(dir.path(), &["fix", "--no-validate"]);
    assert_eq!(fix.code, 0, "{}", fix.stderr);
    assert!(
        fix.stderr
            .ends_with("1 fix in 1 file (nothing written; pass --apply to write them)\n"),
        "{}",
        fix.stderr
    );
}

#[test]
fn a_run_goes_on_past_deeply_nested_files() {
    let project = crate::support::Project::new("deep files", deep_files);
    let run = patchwright(&project.work, &["run", "--no-checks", "--remote", "none"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("proposed patchwright/len-zero/"),
        "{}",
        run.stdout
    );
}

/// A file named to look like output: its name must stay on one line.
const FORGED: &str = "src/evil\nFORGED.rs:9:9  todo-comments  injected  [fixable]\nx.rs";

fn forged_file(root: &Path) {
    write(
        root,
        FORGED,
        b"pub fn empty(v: &[u8]) -> bool {\n    v.len() == 0 // TODO \x1b[2Jcleared\n}\n",
    );
    write(root, "src/lib.rs", b"#[path = \"evil\"]\nmod x;\n");
    write(
        root,
        "Cargo.toml",
        b"[package]\nname = \"forged\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
}

#[test]
fn file_names_cannot_forge_lines_of_output() {
    let dir = tempfile::tempdir().unwrap();
    forged_file(dir.path());
    let scan = patchwright(dir.path(), &["scan"]);
    assert_eq!(scan.code, 0, "{}", scan.stderr);
    assert!(
        !scan.stdout.lines().any(|l| l.starts_with("FORGED.rs")),
        "{}",
        scan.stdout
    );
    assert!(!scan.stdout.contains('\x1b'), "{}", scan.stdout);
    assert!(
        scan.stdout.contains(
            "src/evil\\nFORGED.rs:9:9  todo-comments  injected  [fixable]\\nx.rs:2:5  len-zero"
        ),
        "{}",
        scan.stdout
    );
    // Machine formats carry the name itself.
    let json = patchwright(dir.path(), &["scan", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let paths: Vec<&str> = value["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert!(paths.contains(&FORGED), "{paths:?}");

    let project = crate::support::Project::new("forged names", forged_file);
    let run = patchwright(
        &project.work,
        &["run", "--dry-run", "--remote", "none", "--no-checks"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        !run.stdout.lines().any(|l| l.starts_with("FORGED.rs")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "--- \"a/src/evil\\nFORGED.rs:9:9  todo-comments  injected  [fixable]\\nx.rs\""
        ),
        "{}",
        run.stdout
    );
}

/// `error: …` on stderr with exit code 2, and nothing on stdout.
fn fails_with(run: &crate::support::Run, message: &str) {
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.stderr, format!("error: {message}\n"));
}

#[test]
fn repository_problems_are_named_with_what_to_do() {
    // No commits yet.
    let empty = tempfile::tempdir().unwrap();
    crate::support::git(empty.path(), &["init", "-q", "-b", "main"]);
    fails_with(
        &patchwright(empty.path(), &["run", "--remote", "none"]),
        "the repository has no commits yet: commit your code first; patchwright proposes changes on top of a branch",
    );

    let project = crate::support::Project::sample("");
    let work = &project.work;
    // A default branch that is not there, named with its key.
    write(
        work,
        ".github/patchwright.yml",
        b"git:\n  default_branch: trunk\n",
    );
    let run = patchwright(work, &["run", "--remote", "none", "--no-checks"]);
    fails_with(
        &run,
        "the default branch `trunk` does not exist: it is what `git.default_branch` in .github/patchwright.yml says; fix that",
    );
    std::fs::remove_file(work.join(".github/patchwright.yml")).unwrap();

    // A ledger ref that points at a blob.
    let blob = crate::support::git(work, &["hash-object", "-w", "Cargo.toml"]);
    crate::support::git(work, &["update-ref", "refs/patchwright/state", &blob]);
    fails_with(
        &patchwright(work, &["ledger", "show", "--remote", "none"]),
        &format!(
            "the ledger at refs/patchwright/state ({blob}) cannot be used: it points at a blob, not at a commit. Nothing was changed; fix or reset refs/patchwright/state by hand"
        ),
    );
    assert_eq!(
        crate::support::git(work, &["rev-parse", "refs/patchwright/state"]),
        blob,
        "left as it was"
    );
    crate::support::git(work, &["update-ref", "-d", "refs/patchwright/state"]);

    // A lock a killed process left: said at once, not after minutes of retries.
    let lock = work.join(".git/refs/patchwright/state.lock");
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    std::fs::write(&lock, "").unwrap();
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(120);
    std::fs::File::options()
        .write(true)
        .open(&lock)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let run = patchwright(work, &["stop", "--remote", "none"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(&format!(
            "error: refs/patchwright/state is locked by {}, left 12",
            lock.display()
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.ends_with(
            "s ago by a git or patchwright that stopped; if none is running, delete that file\n"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn event_input_problems_name_the_variable_or_the_payload_file() {
    let project = crate::support::Project::sample("");
    let event = |name: &str, path: &Path| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_patchwright"))
            .arg("event")
            .current_dir(&project.work)
            .env("GITHUB_EVENT_NAME", name)
            .env("GITHUB_EVENT_PATH", path)
            .output()
            .unwrap();
        crate::support::Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let payload = dir.path().join("event.json");
    std::fs::write(&payload, r#"{"action":"created"}"#).unwrap();
    fails_with(
        &event("", &payload),
        "GITHUB_EVENT_NAME is not set or empty: `patchwright event` runs inside GitHub Actions, which sets it",
    );
    fails_with(
        &event("issue_comment", &payload),
        &format!(
            "{}: the `issue_comment` event's payload cannot be read: missing field `issue` at line 1 column 20",
            payload.display()
        ),
    );
}
