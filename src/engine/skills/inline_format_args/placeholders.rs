//! The placeholders of a format string, read from the literal's source
//! text so that every byte range points into the file as written.

use std::ops::Range;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum ArgRef {
    Implicit,
    Index(usize),
    Name(String),
}

/// A width or precision given as `N$` or `name$`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Count {
    pub(super) arg: ArgRef,
    /// The bytes of `N` / `name` in the literal's source text.
    pub(super) range: Range<usize>,
}

/// One `{…}` of a format string, with byte ranges into the literal's source text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Placeholder {
    pub(super) arg: ArgRef,
    /// Where the argument goes: empty for `{}` / `{:?}` (right after `{`).
    pub(super) arg_range: Range<usize>,
    /// Everything after `:`, as written.
    pub(super) spec: String,
    pub(super) width: Option<Count>,
    pub(super) precision: Option<Count>,
    pub(super) star_precision: bool,
}

/// The placeholders of a string literal's source text (`"…"` or `r#"…"#`).
/// `None` when the text is not something this skill can rewrite safely:
/// an escape that produces a brace, or a malformed placeholder.
pub(super) fn parse_placeholders(lit: &str) -> Option<Vec<Placeholder>> {
    let raw = lit.starts_with('r');
    let hashes = if raw {
        lit[1..].chars().take_while(|&c| c == '#').count()
    } else {
        0
    };
    let open = if raw { 1 + hashes + 1 } else { 1 };
    let close = lit.len().checked_sub(1 + hashes)?;
    if !lit[..open].ends_with('"') || close < open {
        return None;
    }
    let b = lit.as_bytes();
    let mut out = Vec::new();
    let mut i = open;
    while i < close {
        match b[i] {
            b'\\' if !raw => i = skip_escape(lit, i)?,
            b'{' if b.get(i + 1) == Some(&b'{') => i += 2,
            b'}' if b.get(i + 1) == Some(&b'}') => i += 2,
            b'}' => return None,
            b'{' => {
                let end = i + lit[i..close].find('}')?;
                let inner = &lit[i + 1..end];
                if inner.contains(['{', '\\']) {
                    return None;
                }
                out.push(parse_one(inner, i + 1)?);
                i = end + 1;
            }
            _ => i += 1,
        }
    }
    Some(out)
}

/// Skips the escape at `i`; `None` if it produces a brace.
fn skip_escape(lit: &str, i: usize) -> Option<usize> {
    let rest = &lit[i + 1..];
    let c = rest.chars().next()?;
    match c {
        'x' => {
            let hex = rest.get(1..3)?;
            let value = u8::from_str_radix(hex, 16).ok()?;
            (value != b'{' && value != b'}').then_some(i + 4)
        }
        'u' => {
            let end = rest.find('}')?;
            let hex = rest.get(2..end)?.replace('_', "");
            let value = u32::from_str_radix(&hex, 16).ok()?;
            (value != u32::from(b'{') && value != u32::from(b'}')).then_some(i + 1 + end + 1)
        }
        '\n' | '\r' => {
            let skipped = rest.len() - rest.trim_start().len();
            Some(i + 1 + skipped)
        }
        other => Some(i + 1 + other.len_utf8()),
    }
}

/// `inner` is the text between `{` and `}`; `base` its offset in the literal.
fn parse_one(inner: &str, base: usize) -> Option<Placeholder> {
    let (arg_text, spec) = match inner.find(':') {
        Some(colon) => (&inner[..colon], &inner[colon + 1..]),
        None => (inner, ""),
    };
    let arg = parse_arg(arg_text)?;
    let spec_base = base + arg_text.len() + 1;
    let (width, precision, star_precision) = parse_counts(spec, spec_base)?;
    Some(Placeholder {
        arg,
        arg_range: base..base + arg_text.len(),
        spec: spec.to_owned(),
        width,
        precision,
        star_precision,
    })
}

fn parse_arg(text: &str) -> Option<ArgRef> {
    if text.is_empty() {
        Some(ArgRef::Implicit)
    } else if text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok().map(ArgRef::Index)
    } else if is_identifier(text) {
        Some(ArgRef::Name(text.to_owned()))
    } else {
        None
    }
}

fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

/// Width and precision of a spec: `[[fill]align][sign][#][0][width][.precision][type]`.
#[allow(clippy::type_complexity)]
fn parse_counts(spec: &str, base: usize) -> Option<(Option<Count>, Option<Count>, bool)> {
    let chars: Vec<(usize, char)> = spec.char_indices().collect();
    let mut k = 0;
    let is_align = |c: char| matches!(c, '<' | '^' | '>');
    if chars.len() >= 2 && is_align(chars[1].1) {
        k = 2;
    } else if chars.first().is_some_and(|&(_, c)| is_align(c)) {
        k = 1;
    }
    if chars.get(k).is_some_and(|&(_, c)| c == '+' || c == '-') {
        k += 1;
    }
    if chars.get(k).is_some_and(|&(_, c)| c == '#') {
        k += 1;
    }
    if chars.get(k).is_some_and(|&(_, c)| c == '0')
        && chars.get(k + 1).is_none_or(|&(_, c)| c != '$')
    {
        k += 1;
    }
    let offset = |k: usize| chars.get(k).map_or(spec.len(), |&(o, _)| o);
    let (width, after_width) = parse_count(spec, offset(k), base)?;
    let mut precision = None;
    let mut star = false;
    let mut rest = after_width;
    if spec[rest..].starts_with('.') {
        if spec[rest + 1..].starts_with('*') {
            star = true;
            rest += 2;
        } else {
            let (p, after) = parse_count(spec, rest + 1, base)?;
            precision = p;
            rest = after;
        }
    }
    // What is left is the type: empty, `?`, `x?`, `X?` or a trait letter.
    let ty = &spec[rest..];
    if !matches!(
        ty,
        "" | "?" | "x?" | "X?" | "x" | "X" | "o" | "b" | "e" | "E" | "p"
    ) {
        return None;
    }
    Some((width, precision, star))
}

/// A count at `start`: digits, `N$` or `name$`. Returns the parameter
/// reference (plain integers are not one) and where it ends.
fn parse_count(spec: &str, start: usize, base: usize) -> Option<(Option<Count>, usize)> {
    let rest = &spec[start..];
    let len = rest
        .char_indices()
        .find(|&(_, c)| !(c == '_' || c.is_alphanumeric()))
        .map_or(rest.len(), |(i, _)| i);
    let word = &rest[..len];
    if rest[len..].starts_with('$') {
        let arg = parse_arg(word)?;
        if arg == ArgRef::Implicit {
            return None;
        }
        let count = Count {
            arg,
            range: base + start..base + start + len,
        };
        return Some((Some(count), start + len + 1));
    }
    // A literal width: digits only (anything else is the type letter).
    let digits = word.bytes().take_while(u8::is_ascii_digit).count();
    Some((None, start + digits))
}
