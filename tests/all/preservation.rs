//! Everything outside an edit stays byte for byte: comments, blank lines,
//! tabs, CRLF line endings, non-ASCII identifiers and strings.

use crate::support::{fixtures, patchwright};

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
