//! Text from outside (file names, comments) made safe to print: a control
//! character in a path could otherwise forge a line of output, and an
//! escape sequence could rewrite what a terminal shows.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` would change how the surrounding text reads when printed as
/// is: control characters and the bidirectional overrides that reorder a
/// line on screen.
fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        _ => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
}

/// `s` with every control character shown as an escape (`\n`, `\t`,
/// `\u{1b}`); borrowed when there is none, which is nearly always.
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `s` as git writes a path in a diff header: as is when it is plain,
/// otherwise in double quotes with `"`, `\` and control characters escaped,
/// so `git apply` reads back the same name.
pub fn git_quoted(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| is_unsafe(c) || c == '"' || c == '\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            // Git's quoting has no `\u{…}`: other characters go as octal bytes.
            _ if is_unsafe(c) && !matches!(c, '\n' | '\r' | '\t') => {
                let mut buf = [0; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    let _ = write!(out, "\\{b:03o}");
                }
            }
            _ if is_unsafe(c) => push_escaped(&mut out, c),
            _ => out.push(c),
        }
    }
    out.push('"');
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_cannot_start_a_line() {
        let forged = "src/evil\nFORGED.rs:9:9  todo-comments  injected\r\u{1b}[2J\u{202e}x.rs";
        let shown = escape_controls(forged);
        assert_eq!(
            shown,
            "src/evil\\nFORGED.rs:9:9  todo-comments  injected\\r\\u{1b}[2J\\u{202e}x.rs"
        );
        assert_eq!(shown.lines().count(), 1);
        assert!(matches!(escape_controls("src/lib.rs"), Cow::Borrowed(_)));
        assert_eq!(escape_controls("naïve/日本.rs"), "naïve/日本.rs");
    }

    #[test]
    fn diff_paths_are_quoted_the_way_git_quotes_them() {
        assert_eq!(git_quoted("a/src/lib.rs"), "a/src/lib.rs");
        assert_eq!(git_quoted("a/src/evil\nx.rs"), "\"a/src/evil\\nx.rs\"");
        assert_eq!(git_quoted("a/q\"b\\c\u{1b}"), "\"a/q\\\"b\\\\c\\033\"");
        assert_eq!(git_quoted("a/日本.rs"), "a/日本.rs");
    }
}
