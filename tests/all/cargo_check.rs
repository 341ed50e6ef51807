//! Real cargo: the sample crate still builds after every fix is applied,
//! and a second pass has nothing left to do.

use std::process::Command;

use crate::support::{copy_dir, fixtures, patchwright, snapshot_tree};

fn cargo_check(dir: &std::path::Path) {
    let output = Command::new(env!("CARGO"))
        .args(["check", "--offline", "--workspace", "--quiet"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo check failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_sample_crate_builds_after_fix_apply() {
    let dir = tempfile::tempdir().unwrap();
    let krate = dir.path().join("sample");
    copy_dir(&fixtures().join("crates/sample"), &krate);
    cargo_check(&krate);

    let run = patchwright(&krate, &["fix", "--apply"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr.trim(),
        "compiled with `cargo check --workspace --all-targets` (round 1 of 3)\n13 fixes in 4 files"
    );
    cargo_check(&krate);

    // Complete and idempotent: nothing fixable is left, a second pass writes nothing.
    let scan = patchwright(&krate, &["scan", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&scan.stdout).unwrap();
    let fixable = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["fixable"] == true)
        .count();
    assert_eq!(fixable, 0, "{}", scan.stdout);
    let before = snapshot_tree(&krate.join("src"));
    let again = patchwright(&krate, &["fix", "--apply"]);
    assert_eq!(again.stderr.trim(), "nothing to fix");
    assert_eq!(snapshot_tree(&krate.join("src")), before);
}
