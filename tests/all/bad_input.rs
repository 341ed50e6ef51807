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
    insta::assert_snapshot!(run.stderr, @r"
    warning: big.rs: skipped, 2200 bytes is over scan.max_file_bytes (1000)
    warning: broken.rs:3:23: does not parse: expected an expression; skipped
    warning: latin1.rs: skipped, not UTF-8 (invalid byte at offset 6)
    warning: unbalanced.rs:1:8: does not parse: unbalanced brackets or a character that is not Rust; skipped
    ");
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
    insta::assert_snapshot!(run.stderr, @"error: .github/patchwright.yml:3:3: key `skills.lenzero`: unknown skill `lenzero`; known skills are: derive-debug, inline-format-args, len-zero, question-mark, todo-comments, and the lints of the clippy and rustc families (`clippy::needless_return`) (fix the configuration file, or pass --config to use another)");

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
