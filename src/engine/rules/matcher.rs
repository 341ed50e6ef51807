//! Matching a compiled pattern against a file's syntax tree: the shape
//! must be the same node for node, metavariables bind whole nodes (an
//! expression, an identifier, a type) and a metavariable used twice must
//! bind the same code both times. Macro bodies are matched token by token,
//! since the file's tree does not take them apart.

use std::ops::Range;

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::ToTokens;
use syn::Expr;
use syn::punctuated::Punctuated;

use super::pattern::{Item, Name, Pat, Tok, Ty};
use crate::engine::precedence::needs_parens;
use crate::engine::source::SourceFile;

/// What a metavariable stands for in one match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bound {
    /// Where it is in the file (empty for an empty sequence).
    pub range: Range<usize>,
    /// Its tokens with canonical spacing, for a metavariable the pattern
    /// uses twice (it binds the same code only when these are equal);
    /// empty otherwise.
    pub text: String,
    pub what: BoundKind,
}

/// What kind of code a metavariable bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoundKind {
    /// An expression, with the kind `where: kind` names.
    Expr {
        kind: &'static str,
        /// Whether it binds tighter than any operator (a path, a call, a
        /// literal), so that it never needs parentheses where it is put.
        atomic: bool,
    },
    Ident,
    Type,
    /// Tokens of a macro body, or a sequence.
    Tokens,
}

/// The metavariables bound so far, in binding order.
#[derive(Debug, Default, Clone)]
pub struct Bindings<'p> {
    vars: Vec<(&'p str, Bound)>,
    /// Metavariables the pattern uses more than once: only their code is
    /// kept as text, to compare the second binding with the first.
    repeated: &'p [String],
    /// Steps of this match so far (see [`MAX_STEPS`]).
    steps: usize,
}

/// Sequences try every split, so a pattern with several `$$$` against a
/// long macro body could take very long: a match that has not settled in
/// this many steps is no match.
pub const MAX_STEPS: usize = 100_000;

impl<'p> Bindings<'p> {
    pub fn new(repeated: &'p [String]) -> Self {
        Self {
            vars: Vec::new(),
            repeated,
            steps: 0,
        }
    }

    /// Counts a step; false once the match has taken too many.
    fn step(&mut self) -> bool {
        self.steps += 1;
        self.steps <= MAX_STEPS
    }

    pub fn get(&self, name: &str) -> Option<&Bound> {
        self.vars.iter().find(|(n, _)| *n == name).map(|(_, b)| b)
    }

    /// Binds `name`, or checks that it is bound to the same code; `text`
    /// is asked for only when the pattern uses `name` again.
    fn bind(
        &mut self,
        name: &'p str,
        range: Range<usize>,
        what: BoundKind,
        text: impl FnOnce() -> String,
    ) -> bool {
        let text = match self.repeated.iter().any(|r| r == name) {
            true => text(),
            false => String::new(),
        };
        match self.get(name) {
            Some(old) => old.text == text,
            None => {
                self.vars.push((name, Bound { range, text, what }));
                true
            }
        }
    }

    fn mark(&self) -> usize {
        self.vars.len()
    }

    fn reset(&mut self, mark: usize) {
        self.vars.truncate(mark);
    }
}

/// The kind of an expression as `where: kind` names it.
pub fn kind_of(expr: &Expr) -> &'static str {
    match expr {
        Expr::Path(p) if p.qself.is_none() && p.path.get_ident().is_some() => "ident",
        Expr::Path(_) => "path",
        Expr::Lit(l) => match l.lit {
            syn::Lit::Str(_) => "string",
            syn::Lit::Int(_) | syn::Lit::Float(_) => "number",
            _ => "literal",
        },
        Expr::Call(_) => "call",
        Expr::MethodCall(_) => "method-call",
        Expr::Field(_) => "field",
        Expr::Reference(_) => "reference",
        Expr::Macro(_) => "macro",
        Expr::Closure(_) => "closure",
        Expr::Block(_) | Expr::Unsafe(_) | Expr::Async(_) => "block",
        Expr::Tuple(_) => "tuple",
        Expr::Array(_) => "array",
        Expr::Binary(_) => "binary",
        Expr::Unary(_) => "unary",
        Expr::Index(_) => "index",
        Expr::Cast(_) => "cast",
        Expr::Try(_) => "try",
        _ => "expr",
    }
}

/// The kinds `where: kind` accepts, with what each takes in.
pub const KINDS: &[&str] = &[
    "expr",
    "ident",
    "path",
    "literal",
    "string",
    "number",
    "call",
    "method-call",
    "field",
    "reference",
    "macro",
    "closure",
    "block",
    "tuple",
    "array",
    "binary",
    "unary",
    "index",
    "cast",
    "try",
];

/// Whether a bound expression of `kind` satisfies `wanted`.
pub fn kind_fits(wanted: &str, kind: &str) -> bool {
    wanted == kind
        || wanted == "expr"
        || (wanted == "path" && kind == "ident")
        || (wanted == "literal" && matches!(kind, "string" | "number"))
}

/// Whether an expression binds tighter than every operator.
pub fn atomic(expr: &Expr) -> bool {
    !needs_parens(expr)
}

/// Matches patterns against the nodes of one file.
pub struct Matcher<'f> {
    pub file: &'f SourceFile,
}

impl Matcher<'_> {
    fn bind_expr<'p>(&self, name: &'p str, expr: &Expr, b: &mut Bindings<'p>) -> bool {
        let what = BoundKind::Expr {
            kind: kind_of(expr),
            atomic: atomic(expr),
        };
        b.bind(name, self.file.range_of(expr), what, || {
            expr.to_token_stream().to_string()
        })
    }

    /// Whether `expr` has the shape of `pat`, binding its metavariables.
    /// On a mismatch, `b` may hold partial bindings: callers reset it.
    pub fn expr<'p>(&self, pat: &'p Pat, expr: &Expr, b: &mut Bindings<'p>) -> bool {
        match (pat, expr) {
            (Pat::Var(name), _) => self.bind_expr(name, expr, b),
            (
                Pat::Path {
                    leading_colon,
                    segments,
                },
                Expr::Path(p),
            ) => {
                p.qself.is_none()
                    && p.path.leading_colon.is_some() == *leading_colon
                    && p.path.segments.len() == segments.len()
                    && p.path
                        .segments
                        .iter()
                        .zip(segments)
                        .all(|(seg, (name, args))| {
                            self.name(name, &seg.ident, b)
                                && seg.arguments.to_token_stream().to_string() == *args
                        })
            }
            (Pat::Lit(text), Expr::Lit(l)) => l.lit.to_token_stream().to_string() == *text,
            (Pat::Call { func, args }, Expr::Call(c)) => {
                self.expr(func, &c.func, b) && self.items(args, &c.args, b)
            }
            (
                Pat::MethodCall {
                    receiver,
                    method,
                    turbofish,
                    args,
                },
                Expr::MethodCall(m),
            ) => {
                self.name(method, &m.method, b)
                    && m.turbofish.to_token_stream().to_string() == *turbofish
                    && self.expr(receiver, &m.receiver, b)
                    && self.items(args, &m.args, b)
            }
            (Pat::Field { base, member }, Expr::Field(f)) => {
                let fits = match (&f.member, member) {
                    (syn::Member::Named(ident), name) => self.name(name, ident, b),
                    (syn::Member::Unnamed(index), Name::Is(text)) => {
                        index.index.to_string() == *text
                    }
                    (syn::Member::Unnamed(_), Name::Var(_)) => false,
                };
                fits && self.expr(base, &f.base, b)
            }
            (Pat::Unary { op, expr: inner }, Expr::Unary(u)) => {
                u.op.to_token_stream().to_string() == *op && self.expr(inner, &u.expr, b)
            }
            (Pat::Binary { left, op, right }, Expr::Binary(x)) => {
                x.op.to_token_stream().to_string() == *op
                    && self.expr(left, &x.left, b)
                    && self.expr(right, &x.right, b)
            }
            (
                Pat::Reference {
                    mutable,
                    expr: inner,
                },
                Expr::Reference(r),
            ) => r.mutability.is_some() == *mutable && self.expr(inner, &r.expr, b),
            (Pat::Paren(inner), Expr::Paren(p)) => self.expr(inner, &p.expr, b),
            (Pat::Try(inner), Expr::Try(t)) => self.expr(inner, &t.expr, b),
            (Pat::Await(inner), Expr::Await(a)) => self.expr(inner, &a.base, b),
            (Pat::Index { expr: e, index }, Expr::Index(i)) => {
                self.expr(e, &i.expr, b) && self.expr(index, &i.index, b)
            }
            (Pat::Cast { expr: inner, ty }, Expr::Cast(c)) => {
                let fits = match ty {
                    Ty::Is(text) => c.ty.to_token_stream().to_string() == *text,
                    Ty::Var(name) => {
                        b.bind(name, self.file.range_of(&*c.ty), BoundKind::Type, || {
                            c.ty.to_token_stream().to_string()
                        })
                    }
                };
                fits && self.expr(inner, &c.expr, b)
            }
            (Pat::Tuple(items), Expr::Tuple(t)) => self.items(items, &t.elems, b),
            (Pat::Array(items), Expr::Array(a)) => self.items(items, &a.elems, b),
            (Pat::Return(inner), Expr::Return(r)) => match (inner, &r.expr) {
                (None, None) => true,
                (Some(p), Some(e)) => self.expr(p, e, b),
                _ => false,
            },
            (Pat::Macro { path, tokens }, Expr::Macro(m)) => self.mac(path, tokens, &m.mac, b),
            (Pat::Tokens(_, tokens), _) => {
                let candidate = self.toks(expr.to_token_stream());
                self.tokens(tokens, &candidate, b)
            }
            _ => false,
        }
    }

    /// Whether a macro call is the pattern's: same path, tokens alike.
    pub fn mac<'p>(
        &self,
        path: &str,
        tokens: &'p [Tok],
        mac: &syn::Macro,
        b: &mut Bindings<'p>,
    ) -> bool {
        if mac.path.to_token_stream().to_string() != path {
            return false;
        }
        let candidate = self.toks(mac.tokens.clone());
        self.tokens(tokens, &candidate, b)
    }

    fn name<'p>(&self, name: &'p Name, ident: &proc_macro2::Ident, b: &mut Bindings<'p>) -> bool {
        match name {
            Name::Is(text) => ident == text,
            Name::Var(var) => b.bind(
                var,
                self.file.span_range(ident.span()),
                BoundKind::Ident,
                || ident.to_string(),
            ),
        }
    }

    fn items<'p, P>(
        &self,
        items: &'p [Item],
        exprs: &Punctuated<Expr, P>,
        b: &mut Bindings<'p>,
    ) -> bool {
        let exprs: Vec<&Expr> = exprs.iter().collect();
        self.list(items, &exprs, b)
    }

    fn list<'p>(&self, items: &'p [Item], exprs: &[&Expr], b: &mut Bindings<'p>) -> bool {
        if !b.step() {
            return false;
        }
        let Some((first, rest)) = items.split_first() else {
            return exprs.is_empty();
        };
        match first {
            Item::One(pat) => {
                let Some((expr, others)) = exprs.split_first() else {
                    return false;
                };
                let mark = b.mark();
                if self.expr(pat, expr, b) && self.list(rest, others, b) {
                    return true;
                }
                b.reset(mark);
                false
            }
            Item::Seq(name) => (0..=exprs.len()).any(|taken| {
                let mark = b.mark();
                let run = &exprs[..taken];
                let range = match (run.first(), run.last()) {
                    (Some(first), Some(last)) => {
                        self.file.range_of(*first).start..self.file.range_of(*last).end
                    }
                    _ => 0..0,
                };
                let text = || {
                    run.iter()
                        .map(|e| e.to_token_stream().to_string())
                        .collect::<Vec<_>>()
                        .join(" , ")
                };
                if b.bind(name, range, BoundKind::Tokens, text)
                    && self.list(rest, &exprs[taken..], b)
                {
                    return true;
                }
                b.reset(mark);
                false
            }),
        }
    }

    /// A token stream as the matcher compares it, with where each token is.
    pub fn toks(&self, tokens: TokenStream) -> Vec<Token> {
        tokens
            .into_iter()
            .map(|tree| {
                let range = self.file.span_range(tree.span());
                let kind = match tree {
                    TokenTree::Ident(i) => TokenKind::Ident(i.to_string()),
                    TokenTree::Punct(p) => TokenKind::Punct(p.as_char()),
                    TokenTree::Literal(l) => TokenKind::Lit(l.to_string()),
                    TokenTree::Group(g) => TokenKind::Group(g.delimiter(), self.toks(g.stream())),
                };
                Token { kind, range }
            })
            .collect()
    }

    fn tokens<'p>(&self, pats: &'p [Tok], toks: &[Token], b: &mut Bindings<'p>) -> bool {
        if !b.step() {
            return false;
        }
        let Some((first, rest)) = pats.split_first() else {
            return toks.is_empty();
        };
        let try_run = |name: &'p str, taken: usize, b: &mut Bindings<'p>| {
            let mark = b.mark();
            let run = &toks[..taken];
            let range = match (run.first(), run.last()) {
                (Some(first), Some(last)) => first.range.start..last.range.end,
                _ => 0..0,
            };
            let text = || run.iter().map(Token::text).collect::<Vec<_>>().join(" ");
            if b.bind(name, range, BoundKind::Tokens, text) && self.tokens(rest, &toks[taken..], b)
            {
                return true;
            }
            b.reset(mark);
            false
        };
        match first {
            Tok::Seq(name) => (0..=toks.len()).any(|taken| try_run(name, taken, b)),
            // One expression's worth: a non-empty run up to a separator.
            Tok::Var(name) => {
                let stop = toks
                    .iter()
                    .position(|t| matches!(t.kind, TokenKind::Punct(',' | ';')))
                    .unwrap_or(toks.len());
                (1..=stop).any(|taken| try_run(name, taken, b))
            }
            _ => {
                let Some((tok, others)) = toks.split_first() else {
                    return false;
                };
                let mark = b.mark();
                let same = match (first, &tok.kind) {
                    (Tok::Ident(a), TokenKind::Ident(c)) => a == c,
                    (Tok::Punct(a), TokenKind::Punct(c)) => a == c,
                    (Tok::Lit(a), TokenKind::Lit(c)) => a == c,
                    (Tok::Group(da, inner), TokenKind::Group(dc, cinner)) => {
                        same_delimiter(*da, *dc) && self.tokens(inner, cinner, b)
                    }
                    _ => false,
                };
                if same && self.tokens(rest, others, b) {
                    return true;
                }
                b.reset(mark);
                false
            }
        }
    }
}

fn same_delimiter(a: Delimiter, b: Delimiter) -> bool {
    std::mem::discriminant(&a) == std::mem::discriminant(&b)
}

/// A token of a file, as the matcher compares it.
#[derive(Debug, Clone)]
pub struct Token {
    pub kind: TokenKind,
    pub range: Range<usize>,
}

#[derive(Debug, Clone)]
pub enum TokenKind {
    Ident(String),
    Punct(char),
    Lit(String),
    Group(Delimiter, Vec<Token>),
}

impl Token {
    fn text(&self) -> String {
        match &self.kind {
            TokenKind::Ident(s) | TokenKind::Lit(s) => s.clone(),
            TokenKind::Punct(c) => c.to_string(),
            TokenKind::Group(d, inner) => {
                let (open, close) = match d {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Brace => ("{", "}"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::None => ("", ""),
                };
                let inner: Vec<String> = inner.iter().map(Token::text).collect();
                format!("{open} {} {close}", inner.join(" "))
            }
        }
    }
}
