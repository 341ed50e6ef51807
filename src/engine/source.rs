//! A source file as the skills see it: the original text, a line index, the
//! parsed `syn::File`, and the mapping from syn spans back to byte ranges of
//! the original text.

mod lexer;

use std::fmt;
use std::ops::Range;
use std::sync::OnceLock;

use proc_macro2::Span;
use serde::{Deserialize, Serialize};
use syn::spanned::Spanned;

use crate::config::DEFAULT_MAX_NESTING;
use crate::vocab::rel_path::RelPath;

pub use lexer::{
    ArgsGlance, Comment, LineCounts, comments, count_lines, glance_args, type_like_names,
};

/// A position for people: 1-based line, 1-based column counted in chars.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for LineCol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A parsed `.rs` file.
#[derive(Debug)]
pub struct SourceFile {
    path: RelPath,
    text: String,
    /// Bytes that `syn::parse_file` strips before lexing (a BOM, a shebang
    /// line): span offsets are relative to the text after them.
    prefix: usize,
    /// Made when first asked for: most files have no finding whose line
    /// is wanted.
    lines: OnceLock<LineIndex>,
    ast: syn::File,
    comments: OnceLock<Vec<Comment>>,
}

/// Why a file could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{at}: {message}")]
pub struct ParseError {
    pub path: RelPath,
    pub at: LineCol,
    pub message: String,
}

impl SourceFile {
    /// Parses `text`. Spans of the returned tree belong to the calling thread's
    /// proc-macro2 source map: see [`release_thread_spans`].
    pub fn parse(path: RelPath, text: String) -> Result<Self, ParseError> {
        Self::parse_nested(path, text, DEFAULT_MAX_NESTING)
    }

    /// Parses `text` unless its syntax nests deeper than `max_nesting` (see
    /// `lexer::depth`): the parser, the skills' visitors and the tree's
    /// destructor all recurse that deep, and a generated or hostile file
    /// must not overflow the stack.
    pub fn parse_nested(
        path: RelPath,
        text: String,
        max_nesting: usize,
    ) -> Result<Self, ParseError> {
        let (depth, at) = lexer::depth(&text);
        if depth > max_nesting {
            return Err(ParseError {
                at: LineIndex::new(&text).line_col(&text, at),
                path,
                message: format!(
                    "not parsed: its syntax nests {depth} deep here, deeper than scan.max_nesting ({max_nesting})"
                ),
            });
        }
        let prefix = stripped_prefix(&text);
        match syn::parse_file(&text) {
            Ok(ast) => Ok(Self {
                path,
                text,
                prefix,
                lines: OnceLock::new(),
                ast,
                comments: OnceLock::new(),
            }),
            Err(err) => {
                let offset = err.span().byte_range().start + prefix;
                let at = LineIndex::new(&text).line_col(&text, offset.min(text.len()));
                let message = match err.to_string() {
                    // What the lexer says when the text is not even tokens.
                    m if m == "cannot parse string into token stream" => {
                        "does not parse: unbalanced brackets or a character that is not Rust"
                            .to_owned()
                    }
                    m => format!("does not parse: {m}"),
                };
                Err(ParseError { path, at, message })
            }
        }
    }

    pub fn path(&self) -> &RelPath {
        &self.path
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn ast(&self) -> &syn::File {
        &self.ast
    }

    /// Takes the text back, dropping the tree (and with it the spans).
    pub fn into_text(self) -> String {
        self.text
    }

    /// The byte range of `span` in the original text.
    pub fn span_range(&self, span: Span) -> Range<usize> {
        let range = span.byte_range();
        range.start + self.prefix..range.end + self.prefix
    }

    /// The byte range of a syntax node, outer attributes included.
    pub fn range_of<T: Spanned + ?Sized>(&self, node: &T) -> Range<usize> {
        self.span_range(node.span())
    }

    /// The source text of a syntax node, exactly as written.
    pub fn text_of<T: Spanned + ?Sized>(&self, node: &T) -> &str {
        self.slice(self.range_of(node))
    }

    /// The text between a macro call's delimiters, as written; `None` when
    /// the call's spans do not point into the text.
    pub fn macro_body(&self, mac: &syn::Macro) -> Option<&str> {
        let whole = self.slice(self.span_range(mac.delimiter.span().join()));
        whole.get(1..whole.len().checked_sub(1)?)
    }

    pub fn slice(&self, range: Range<usize>) -> &str {
        self.text.get(range).unwrap_or("")
    }

    pub fn line_col(&self, offset: usize) -> LineCol {
        self.lines().line_col(&self.text, offset)
    }

    /// The whitespace that starts the line holding `offset`.
    pub fn indent_at(&self, offset: usize) -> &str {
        let start = self.lines().line_start(offset);
        let line = &self.text[start..];
        let len = line.len() - line.trim_start_matches([' ', '\t']).len();
        &line[..len]
    }

    /// Whether only whitespace precedes `offset` on its line.
    pub fn starts_line(&self, offset: usize) -> bool {
        let start = self.lines().line_start(offset);
        self.text[start..offset].trim().is_empty()
    }

    fn lines(&self) -> &LineIndex {
        self.lines.get_or_init(|| LineIndex::new(&self.text))
    }

    /// Ordinary and doc comments, in order.
    pub fn comments(&self) -> &[Comment] {
        self.comments.get_or_init(|| comments(&self.text))
    }
}

/// A node's tokens with canonical spacing: the same code written with other
/// whitespace, line breaks or comments gives the same string.
pub fn normalized_tokens<T: quote::ToTokens + ?Sized>(node: &T) -> String {
    node.to_token_stream().to_string()
}

/// Stack for a parse outside the scan's threads: syn recurses as deep as
/// the code nests, up to `scan.max_nesting`.
const DEEP_STACK_BYTES: usize = 64 * 1024 * 1024;

/// Whether `text` parses as a Rust file. The parse runs on a thread with a
/// deep stack (a file the scan accepted may nest deeper than the calling
/// thread's stack allows) and leaves no spans behind.
pub fn parses(text: &str) -> bool {
    let check = || {
        let ok = syn::parse_file(text).is_ok();
        release_thread_spans();
        ok
    };
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("patchwright-parse".into())
            .stack_size(DEEP_STACK_BYTES)
            .spawn_scoped(scope, check)
            .ok()
            .and_then(|handle| handle.join().ok())
    })
    // No thread to be had: parse here, as before.
    .unwrap_or_else(check)
}

/// Frees the calling thread's proc-macro2 source map. Every parse adds a copy
/// of the file to it, so a long scan must call this after each file, once
/// the file's tree and spans are gone.
pub fn release_thread_spans() {
    proc_macro2::extra::invalidate_current_thread_spans();
}

/// Mirrors what `syn::parse_file` strips before lexing.
fn stripped_prefix(text: &str) -> usize {
    const BOM: &str = "\u{feff}";
    let mut prefix = 0;
    let mut rest = text;
    if let Some(after) = rest.strip_prefix(BOM) {
        prefix += BOM.len();
        rest = after;
    }
    if let Some(after_bang) = rest.strip_prefix("#!") {
        // `#![inner_attr]` is code, not a shebang; whitespace and comments may
        // sit between `#!` and `[`.
        let skipped = skip_whitespace_and_comments(after_bang);
        if !skipped.starts_with('[') {
            prefix += rest.find('\n').unwrap_or(rest.len());
        }
    }
    prefix
}

fn skip_whitespace_and_comments(mut s: &str) -> &str {
    loop {
        let trimmed = s.trim_start();
        if let Some(rest) = trimmed.strip_prefix("//") {
            s = rest.find('\n').map_or("", |i| &rest[i..]);
        } else if trimmed.starts_with("/*") {
            match lexer::block_comment_len(trimmed) {
                Some(len) => s = &trimmed[len..],
                None => return "",
            }
        } else {
            return trimmed;
        }
    }
}

/// Byte offsets of line starts, for turning offsets into lines and columns.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr_newlines(text).map(|i| i + 1));
        Self { starts }
    }

    /// The offset where the line holding `offset` starts.
    pub fn line_start(&self, offset: usize) -> usize {
        let line = self.starts.partition_point(|&s| s <= offset);
        self.starts[line.saturating_sub(1)]
    }

    /// Columns count chars, not bytes, so multi-byte text and tabs map the
    /// way editors show them.
    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let column = text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        LineCol {
            line,
            column: column + 1,
        }
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }
}

fn memchr_newlines(text: &str) -> impl Iterator<Item = usize> + '_ {
    memchr::memchr_iter(b'\n', text.as_bytes())
}

/// A file's line ending, kept when edits are spliced in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnding {
    Lf,
    CrLf,
}

impl LineEnding {
    /// CRLF when most line breaks are CRLF.
    pub fn of(text: &str) -> Self {
        let lf = text.bytes().filter(|&b| b == b'\n').count();
        let crlf = text.matches("\r\n").count();
        if crlf > 0 && crlf * 2 >= lf {
            LineEnding::CrLf
        } else {
            LineEnding::Lf
        }
    }

    /// Rewrites the bare `\n` of generated text into this ending.
    pub fn apply(self, generated: &str) -> String {
        match self {
            LineEnding::Lf => generated.to_owned(),
            LineEnding::CrLf => {
                let mut out = String::with_capacity(generated.len() + 8);
                let mut prev = '\0';
                for c in generated.chars() {
                    if c == '\n' && prev != '\r' {
                        out.push('\r');
                    }
                    out.push(c);
                    prev = c;
                }
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> SourceFile {
        SourceFile::parse("src/lib.rs".parse().unwrap(), text.to_owned()).unwrap()
    }

    fn first_fn_name_range(file: &SourceFile) -> Range<usize> {
        let f = file
            .ast()
            .items
            .iter()
            .find_map(|item| match item {
                syn::Item::Fn(f) => Some(f),
                _ => None,
            })
            .expect("a fn");
        file.span_range(f.sig.ident.span())
    }

    #[test]
    fn spans_map_to_bytes_through_multibyte_text_and_tabs() {
        let text = "// ünïcödé ✓ 😀\n\tconst S: &str = \"日本\";\nfn\tnäme() {}\n";
        let file = parse(text);
        let range = first_fn_name_range(&file);
        assert_eq!(&text[range.clone()], "näme");
        assert_eq!(file.line_col(range.start), LineCol { line: 3, column: 4 });
    }

    #[test]
    fn spans_account_for_bom_and_shebang() {
        let text = "\u{feff}#!/usr/bin/env run-cargo-script\nfn main() {}\n";
        let file = parse(text);
        assert_eq!(&text[first_fn_name_range(&file)], "main");

        let inner_attr = "#![allow(dead_code)]\nfn main() {}\n";
        let file = parse(inner_attr);
        assert_eq!(&inner_attr[first_fn_name_range(&file)], "main");
    }

    #[test]
    fn parse_errors_carry_their_location() {
        let err = SourceFile::parse("a.rs".parse().unwrap(), "fn ok() {}\nfn broken( {\n".into())
            .err()
            .unwrap();
        assert_eq!(err.at.line, 2);
        assert!(err.to_string().starts_with("a.rs:2:"), "{err}");
    }

    #[test]
    fn indentation_and_line_starts() {
        let text = "mod m {\n\t    pub struct S;\n}\n";
        let file = parse(text);
        let offset = text.find("pub").unwrap();
        assert_eq!(file.indent_at(offset), "\t    ");
        assert!(file.starts_line(offset));
        assert!(!file.starts_line(text.find("struct").unwrap()));
    }

    #[test]
    fn line_endings_are_detected_and_applied() {
        assert_eq!(LineEnding::of("a\r\nb\r\n"), LineEnding::CrLf);
        assert_eq!(LineEnding::of("a\nb\n"), LineEnding::Lf);
        assert_eq!(LineEnding::of("no newline"), LineEnding::Lf);
        assert_eq!(LineEnding::CrLf.apply("a\nb\r\nc"), "a\r\nb\r\nc");
        assert_eq!(LineEnding::Lf.apply("a\nb"), "a\nb");
    }
}
