//! Finds comments in Rust source text. syn drops ordinary comments, so the
//! skills and metrics that need them (TODO markers, comment line counts) read
//! them here, with string, char and raw-string literals skipped correctly.

use std::ops::Range;

/// One comment, markers included in `range`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub range: Range<usize>,
    /// `///`, `//!`, `/** */` or `/*! */`.
    pub doc: bool,
    pub block: bool,
}

impl Comment {
    /// The comment's text without its markers.
    pub fn body<'a>(&self, text: &'a str) -> &'a str {
        let raw = &text[self.range.clone()];
        if self.block {
            let inner = raw.strip_prefix("/*").unwrap_or(raw);
            let inner = inner.strip_suffix("*/").unwrap_or(inner);
            inner
                .strip_prefix(['*', '!'])
                .filter(|_| self.doc)
                .unwrap_or(inner)
        } else {
            let inner = raw.strip_prefix("//").unwrap_or(raw);
            inner
                .strip_prefix(['/', '!'])
                .filter(|_| self.doc)
                .unwrap_or(inner)
        }
    }
}

/// All comments of `text`, in order. Never fails: unterminated literals and
/// comments run to the end of the text.
pub fn comments(text: &str) -> Vec<Comment> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = line_end(b, i);
                let end = if end > i && b[end - 1] == b'\r' {
                    end - 1
                } else {
                    end
                };
                let doc = (b.get(i + 2) == Some(&b'/') && b.get(i + 3) != Some(&b'/'))
                    || b.get(i + 2) == Some(&b'!');
                out.push(Comment {
                    range: i..end,
                    doc,
                    block: false,
                });
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let len = block_comment_len(&text[i..]).unwrap_or(b.len() - i);
                let body = &b[i..i + len];
                let doc = (body.get(2) == Some(&b'*') && !matches!(body.get(3), Some(b'*' | b'/')))
                    || body.get(2) == Some(&b'!');
                out.push(Comment {
                    range: i..i + len,
                    doc,
                    block: true,
                });
                i += len;
            }
            b'"' => i = skip_quoted(b, i + 1, b'"'),
            b'\'' => i = skip_char_or_lifetime(text, i),
            _ if is_ident_start(c) => i = skip_ident_or_prefixed_literal(text, i),
            _ => i += 1,
        }
    }
    out
}

/// How deep the syntax tree of `text` may get, estimated from its tokens,
/// and where it is deepest: open brackets, plus the operators (`.`, `+`,
/// `&&`, `?`, …) chained without a `;`, `,` or brace between them at each
/// bracket level — `a.b().c()` and `1 + 1 + 1` nest as deep as they are
/// long. A parser, visitor or destructor recurses that deep, so a file far
/// deeper than real code (generated, or hostile) is not parsed at all.
pub fn depth(text: &str) -> (usize, usize) {
    let b = text.as_bytes();
    // Per open bracket level: the operators chained at that level.
    let mut chains: Vec<usize> = vec![0];
    let mut total = 0usize;
    let (mut deepest, mut at) = (0usize, 0usize);
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match CLASS[usize::from(c)] {
            // Most of a file: nothing changes until the next other byte.
            Class::Space => {
                i += 1;
                while b
                    .get(i)
                    .is_some_and(|&c| CLASS[usize::from(c)] == Class::Space)
                {
                    i += 1;
                }
                continue;
            }
            Class::Ident => {
                i = skip_ident_or_prefixed_literal(text, i).max(i + 1);
                continue;
            }
            Class::Quote => {
                i = skip_quoted(b, i + 1, b'"');
                continue;
            }
            Class::Apostrophe => {
                i = skip_char_or_lifetime(text, i);
                continue;
            }
            Class::Operator if let Some(end) = comment_end(text, i) => {
                i = end;
                continue;
            }
            Class::Operator => {
                // A run of operator characters is one operator.
                let start = i;
                while b
                    .get(i)
                    .is_some_and(|&c| CLASS[usize::from(c)] == Class::Operator)
                {
                    i += 1;
                }
                if &b[start..i] != b"=>" && &b[start..i] != b"=" {
                    if let Some(top) = chains.last_mut() {
                        *top += 1;
                    }
                    total += 1;
                } else if let Some(top) = chains.last_mut() {
                    total -= *top;
                    *top = 0;
                }
                if total > deepest {
                    deepest = total;
                    at = start;
                }
                continue;
            }
            Class::Open => {
                if c == b'{' {
                    // A block starts new statements: the chain around it ends.
                    if let Some(top) = chains.last_mut() {
                        total -= *top;
                        *top = 0;
                    }
                }
                chains.push(0);
                total += 1;
            }
            Class::Close if chains.len() > 1 => {
                let closed = chains.pop().unwrap_or(0);
                total -= closed + 1;
            }
            Class::Separator => {
                if let Some(top) = chains.last_mut() {
                    total -= *top;
                    *top = 0;
                }
            }
            Class::Close | Class::Other => {}
        }
        if total > deepest {
            deepest = total;
            at = i;
        }
        i += 1;
    }
    (deepest, at)
}

/// What a byte means to [`depth`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Space,
    Ident,
    Quote,
    Apostrophe,
    Open,
    Close,
    Separator,
    Operator,
    Other,
}

const CLASS: [Class; 256] = {
    let mut table = [Class::Other; 256];
    let mut c = 0;
    while c < 256 {
        let byte = c as u8;
        table[c] = match byte {
            b' ' | b'\t' | b'\n' | b'\r' => Class::Space,
            b'"' => Class::Quote,
            b'\'' => Class::Apostrophe,
            b'(' | b'[' | b'{' => Class::Open,
            b')' | b']' | b'}' => Class::Close,
            b';' | b',' => Class::Separator,
            b'.' | b'+' | b'-' | b'*' | b'/' | b'%' | b'&' | b'|' | b'^' | b'<' | b'>' | b'!'
            | b'?' | b'=' => Class::Operator,
            _ if is_ident_start(byte) => Class::Ident,
            _ => Class::Other,
        };
        c += 1;
    }
    table
};

/// What a macro call's arguments look like at a glance, from the text of
/// its body without its delimiters. Errs only one way: a bare identifier or
/// a nested macro call may be reported where the tokens have none, never
/// missed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ArgsGlance {
    /// Indices of the comma-separated arguments (counted at the top level,
    /// so a comma inside generics splits too) that are a bare identifier.
    pub bare_identifiers: Vec<usize>,
    /// Some `!` not followed by `=` outside literals and comments: a macro
    /// call inside, or a negation.
    pub bang: bool,
}

/// Glances at the comma-separated arguments in `body`.
pub fn glance_args(body: &str) -> ArgsGlance {
    let b = body.as_bytes();
    let mut out = ArgsGlance::default();
    let (mut depth, mut index) = (0usize, 0usize);
    // The current argument's tokens so far, and whether the first is an
    // identifier: a bare identifier is one token.
    let (mut tokens, mut first_is_ident) = (0usize, false);
    let mut i = 0;
    while i <= b.len() {
        let Some(&c) = b.get(i) else {
            // The end closes the last argument.
            if tokens == 1 && first_is_ident {
                out.bare_identifiers.push(index);
            }
            break;
        };
        let start = i;
        match c {
            b'/' if let Some(end) = comment_end(body, i) => {
                i = end;
                continue;
            }
            _ if c.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            b',' if depth == 0 => {
                if tokens == 1 && first_is_ident {
                    out.bare_identifiers.push(index);
                }
                (index, tokens, first_is_ident) = (index + 1, 0, false);
                i += 1;
                continue;
            }
            b'"' => i = skip_quoted(b, i + 1, b'"'),
            b'\'' => i = skip_char_or_lifetime(body, i),
            _ if is_ident_start(c) => i = skip_ident_or_prefixed_literal(body, i).max(i + 1),
            b'(' | b'[' | b'{' => {
                depth += 1;
                i += 1;
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'!' => {
                out.bang |= b.get(i + 1) != Some(&b'=');
                i += 1;
            }
            _ => i += 1,
        }
        if tokens == 0 {
            // Literals that start like an identifier (`b"…"`, `r#"…"#`)
            // are not one.
            first_is_ident = is_ident_start(c) && b[start..i].iter().all(|&w| is_ident_continue(w));
        }
        tokens += 1;
    }
    out
}

/// Identifiers that look like type names (`Upper…`) in `text`, in order
/// and each once, as its tokens would give them: not in comments, string,
/// char or number literals, nor raw identifiers (`r#Name` is not `Name`).
pub fn type_like_names(text: &str, found: &mut Vec<String>) {
    let b = text.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let start = i;
        match c {
            b'/' if let Some(end) = comment_end(text, i) => i = end,
            b'"' => i = skip_quoted(b, i + 1, b'"'),
            b'\'' => i = skip_char_or_lifetime(text, i),
            b'0'..=b'9' => {
                while b.get(i).is_some_and(|&c| IDENT_CONTINUE[usize::from(c)]) {
                    i += 1;
                }
            }
            b'r' if b.get(i + 1) == Some(&b'#')
                && b.get(i + 2).is_some_and(|&c| is_ident_start(c)) =>
            {
                i += 2;
                while b.get(i).is_some_and(|&c| IDENT_CONTINUE[usize::from(c)]) {
                    i += 1;
                }
            }
            _ if is_ident_start(c) => {
                i = skip_ident_or_prefixed_literal(text, i).max(i + 1);
                let word = &text[start..i];
                if c.is_ascii_uppercase()
                    && word.bytes().all(|w| IDENT_CONTINUE[usize::from(w)])
                    && !found.iter().any(|f| f == word)
                {
                    found.push(word.to_owned());
                }
            }
            _ => i += 1,
        }
    }
}

/// Where the comment that starts at `i` ends (a line comment before its
/// newline), if one starts there; an unterminated one runs to the end.
fn comment_end(text: &str, i: usize) -> Option<usize> {
    let b = text.as_bytes();
    match (b.get(i), b.get(i + 1)) {
        (Some(b'/'), Some(b'/')) => Some(line_end(b, i)),
        (Some(b'/'), Some(b'*')) => Some(i + block_comment_len(&text[i..]).unwrap_or(b.len() - i)),
        _ => None,
    }
}

/// Where the line holding `i` ends: its newline, or the end of the text.
/// Line comments are much of a file's text; this is their hot loop.
fn line_end(b: &[u8], i: usize) -> usize {
    b.get(i..)
        .and_then(|rest| memchr::memchr(b'\n', rest))
        .map_or(b.len(), |n| i + n)
}

/// Length of the (possibly nested) block comment at the start of `s`, or
/// `None` when it is not terminated.
pub fn block_comment_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] == b'/' && b[i + 1] == b'*' {
            depth += 1;
            i += 2;
        } else if b[i] == b'*' && b[i + 1] == b'/' {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return Some(i);
            }
        } else {
            i += 1;
        }
    }
    None
}

const fn is_ident_start(c: u8) -> bool {
    c == b'_' || c.is_ascii_alphabetic() || c >= 0x80
}

const fn is_ident_continue(c: u8) -> bool {
    c == b'_' || c.is_ascii_alphanumeric() || c >= 0x80
}

/// Skips a quoted literal whose opening quote is just before `i`.
fn skip_quoted(b: &[u8], mut i: usize, quote: u8) -> usize {
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            c if c == quote => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// At a `'`: a char literal (`'a'`, `'\n'`, `'é'`) or a lifetime/label.
fn skip_char_or_lifetime(text: &str, i: usize) -> usize {
    let b = text.as_bytes();
    if b.get(i + 1) == Some(&b'\\') {
        return skip_quoted(b, i + 1, b'\'');
    }
    let Some(next) = text[i + 1..].chars().next() else {
        return b.len();
    };
    let after = i + 1 + next.len_utf8();
    if b.get(after) == Some(&b'\'') {
        after + 1
    } else {
        // A lifetime: the identifier that follows is skipped by the caller.
        i + 1
    }
}

/// An identifier, or a literal with a prefix: `r"…"`, `r#"…"#`, `b"…"`,
/// `br#"…"#`, `c"…"`, `cr"…"`, `b'x'`. A raw identifier `r#name` is an
/// identifier.
fn skip_ident_or_prefixed_literal(text: &str, start: usize) -> usize {
    let b = text.as_bytes();
    let mut i = start;
    while b.get(i).is_some_and(|&c| IDENT_CONTINUE[usize::from(c)]) {
        i += 1;
    }
    // Only a prefix of one or two letters starts a literal.
    if i - start > 2 {
        return i;
    }
    match (&b[start..i], b.get(i)) {
        (b"b" | b"c", Some(b'"')) => skip_quoted(b, i + 1, b'"'),
        (b"b", Some(b'\'')) => skip_quoted(b, i + 1, b'\''),
        (b"r" | b"br" | b"cr", Some(b'"' | b'#')) => skip_raw_string(b, i).unwrap_or(i),
        _ => i,
    }
}

/// [`is_ident_continue`] by table: identifiers are most of a file's bytes.
const IDENT_CONTINUE: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        table[c] = is_ident_continue(c as u8);
        c += 1;
    }
    table
};

/// At the `#`s or `"` after a raw-string prefix. `None` for a raw identifier.
fn skip_raw_string(b: &[u8], mut i: usize) -> Option<usize> {
    let hashes_start = i;
    while b.get(i) == Some(&b'#') {
        i += 1;
    }
    let hashes = i - hashes_start;
    if b.get(i) != Some(&b'"') {
        return None;
    }
    i += 1;
    while i < b.len() {
        if b[i] == b'"'
            && b[i + 1..]
                .iter()
                .take(hashes)
                .filter(|&&c| c == b'#')
                .count()
                == hashes
        {
            return Some(i + 1 + hashes);
        }
        i += 1;
    }
    Some(b.len())
}

/// Lines of a file by what they hold. A line with code and a comment is code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct LineCounts {
    pub code: usize,
    pub comment: usize,
    pub blank: usize,
}

impl std::ops::AddAssign for LineCounts {
    fn add_assign(&mut self, other: Self) {
        self.code += other.code;
        self.comment += other.comment;
        self.blank += other.blank;
    }
}

/// Classifies every line of `text`, given its comments in order.
pub fn count_lines(text: &str, comments: &[Comment]) -> LineCounts {
    let mut counts = LineCounts::default();
    let mut comment_iter = comments.iter().peekable();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let end = offset + line.len();
        let mut has_code = false;
        let mut has_comment = false;
        let mut pos = offset;
        for (i, ch) in line.char_indices() {
            let at = offset + i;
            if at < pos {
                continue;
            }
            while comment_iter.peek().is_some_and(|c| c.range.end <= at) {
                comment_iter.next();
            }
            if let Some(c) = comment_iter.peek().filter(|c| c.range.start <= at) {
                has_comment = true;
                pos = c.range.end.min(end);
                continue;
            }
            if !ch.is_whitespace() {
                has_code = true;
            }
        }
        if has_code {
            counts.code += 1;
        } else if has_comment {
            counts.comment += 1;
        } else {
            counts.blank += 1;
        }
        offset = end;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bodies(text: &str) -> Vec<String> {
        comments(text)
            .iter()
            .map(|c| c.body(text).trim().to_owned())
            .collect()
    }

    #[test]
    fn finds_line_block_and_doc_comments() {
        let text = "/// doc\n//! inner\n// plain\n/* block /* nested */ still */\n/** doc block */\nfn f() {} // tail\r\n";
        let found = comments(text);
        assert_eq!(
            bodies(text),
            [
                "doc",
                "inner",
                "plain",
                "block /* nested */ still",
                "doc block",
                "tail"
            ]
        );
        let docs: Vec<bool> = found.iter().map(|c| c.doc).collect();
        assert_eq!(docs, [true, true, false, false, true, false]);
        assert!(!text[found[5].range.clone()].ends_with('\r'));
    }

    #[test]
    fn ignores_comment_markers_inside_literals() {
        let text = r####"
let a = "// not a comment /* nor this */";
let b = r#"TODO "// still a string" "#;
let c = '"'; // real one
let d = b"//"; let e = br##"/*"##; let f = c"//";
let g = '\''; let h: &'static str = "\"//"; // second
fn r#match<'a>(x: &'a str) {} // third
"####;
        assert_eq!(bodies(text), ["real one", "second", "third"]);
    }

    #[test]
    fn four_slashes_and_empty_blocks_are_not_doc() {
        let found = comments("//// rule\n/**/\n/*** stars */\n");
        assert!(found.iter().all(|c| !c.doc));
    }

    #[test]
    fn unterminated_input_does_not_panic() {
        for text in ["\"open", "/* open", "r#\"open", "'", "b'", "r#", "//"] {
            let _ = comments(text);
        }
    }

    #[test]
    fn counts_code_comment_and_blank_lines() {
        let text = "// c\n\nfn f() { // trailing\n    /* a\n    b */\n    1\n}\n   \n";
        let counts = count_lines(text, &comments(text));
        assert_eq!(
            counts,
            LineCounts {
                code: 3,
                comment: 3,
                blank: 2
            }
        );
    }

    #[test]
    fn glance_finds_bare_identifier_arguments_and_bangs() {
        let bare = |body: &str| glance_args(body).bare_identifiers;
        assert_eq!(bare(r#""{} {}", a, b.c"#), [1]);
        assert_eq!(bare(r#"f, "{x}", /* why */ x // end"#), [0, 2]);
        assert_eq!(bare(r#""{}", r#x, b"x", 'a, 1, (y), z,"#), [6]);
        assert_eq!(bare(r#""a, b", g(a, b), [c, d]"#), Vec::<usize>::new());
        // Generics split too: indices only grow, never hide one.
        assert_eq!(bare(r#""{} {}", f::<A, B>(), x"#), [3]);
        assert_eq!(bare(""), Vec::<usize>::new());
        assert!(!glance_args(r#""!", a != b, '!'"#).bang);
        assert!(glance_args(r#""{}", format!("{}", x)"#).bang);
        assert!(glance_args("!done").bang);
    }

    #[test]
    fn depth_counts_brackets_and_chains_but_not_literals() {
        assert_eq!(depth("fn f() { a(b[c]) }").0, 3);
        let chain = format!("fn f() {{ x{}; }}", ".a()".repeat(100));
        assert!(depth(&chain).0 > 100);
        let sum = format!("const N: i32 = {};", vec!["1"; 500].join(" + "));
        assert!(depth(&sum).0 >= 499);
        // Statements, arguments and braces end a chain.
        let statements = "fn f() { a.b(); c.d(); e.f(); g.h(); }".repeat(50);
        assert!(depth(&statements).0 < 6);
        // Brackets in strings, chars and comments are not brackets.
        let hidden = format!(
            "/* {} */ // {}\nconst S: &str = \"{}\"; const C: char = '(';",
            "(".repeat(900),
            "{".repeat(900),
            "[".repeat(900)
        );
        assert!(depth(&hidden).0 < 5, "{:?}", depth(&hidden));
        assert_eq!(depth("").0, 0);
        assert!(depth(")))}}]").0 < 2, "unbalanced closers do not underflow");
    }
}
