//! A rule's `match:` pattern, compiled: Rust code with metavariables (`$X`
//! for one expression, identifier or type, `$$$ARGS` for a sequence) turned
//! into a tree of its own ([`Pat`]) that the matcher walks beside a file's
//! syntax tree. Syntax trees cannot cross threads; a `Pat` can, so a rule is
//! compiled once and matched on every scan thread.

use proc_macro2::{Delimiter, Ident, Span, TokenStream, TokenTree};
use quote::ToTokens;

const VAR: &str = "__pw_v_";
const SEQ: &str = "__pw_s_";

/// Where a pattern or template stopped making sense, within its own text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// 1-based line of the pattern text.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    pub message: String,
}

impl PatternError {
    fn at(span: Span, message: impl Into<String>) -> Self {
        let start = span.start();
        Self {
            line: start.line.max(1),
            column: start.column + 1,
            message: message.into(),
        }
    }
}

/// A name in a pattern: fixed, or a metavariable that binds whatever
/// identifier stands there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Name {
    Is(String),
    Var(String),
}

/// One element of a list in a pattern (arguments, elements).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    One(Pat),
    /// `$$$NAME`: any number of elements, bound together.
    Seq(String),
}

/// A type in a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    Is(String),
    Var(String),
}

/// A token of a pattern matched token by token (macro bodies, and the
/// expressions the tree matcher does not take apart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    Var(String),
    Seq(String),
    Ident(String),
    Punct(char),
    Lit(String),
    Group(Delimiter, Vec<Tok>),
}

/// A compiled expression pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pat {
    /// `$X`: any expression.
    Var(String),
    Path {
        leading_colon: bool,
        /// Each segment's name and its generic arguments as normalised text.
        segments: Vec<(Name, String)>,
    },
    Lit(String),
    Call {
        func: Box<Pat>,
        args: Vec<Item>,
    },
    MethodCall {
        receiver: Box<Pat>,
        method: Name,
        turbofish: String,
        args: Vec<Item>,
    },
    Field {
        base: Box<Pat>,
        member: Name,
    },
    Unary {
        op: String,
        expr: Box<Pat>,
    },
    Binary {
        left: Box<Pat>,
        op: String,
        right: Box<Pat>,
    },
    Reference {
        mutable: bool,
        expr: Box<Pat>,
    },
    Paren(Box<Pat>),
    Try(Box<Pat>),
    Await(Box<Pat>),
    Index {
        expr: Box<Pat>,
        index: Box<Pat>,
    },
    Cast {
        expr: Box<Pat>,
        ty: Ty,
    },
    Tuple(Vec<Item>),
    Array(Vec<Item>),
    Return(Option<Box<Pat>>),
    Macro {
        /// The macro's path as normalised text (`tracing::warn`).
        path: String,
        tokens: Vec<Tok>,
    },
    /// Any other expression, matched token by token; with its kind
    /// (`if`, `closure`, …).
    Tokens(&'static str, Vec<Tok>),
}

/// What kind of node a pattern's root is, with its name when it has a
/// fixed one: the scan looks up rules by this, not by trying every rule on
/// every expression.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Anchor {
    pub kind: &'static str,
    pub name: Option<String>,
}

/// Turns the `$X` and `$$$X` of `tokens` into identifiers syn accepts,
/// recording nothing else: names stay readable in the result.
pub fn hide_metavariables(tokens: TokenStream) -> Result<TokenStream, PatternError> {
    let mut out = Vec::new();
    let mut iter = tokens.into_iter().peekable();
    while let Some(tree) = iter.next() {
        match tree {
            TokenTree::Punct(p) if p.as_char() == '$' => {
                let mut dollars = 1;
                while let Some(TokenTree::Punct(next)) = iter.peek()
                    && next.as_char() == '$'
                {
                    dollars += 1;
                    iter.next();
                }
                let name = match iter.next() {
                    Some(TokenTree::Ident(ident)) => ident.to_string(),
                    _ => {
                        return Err(PatternError::at(
                            p.span(),
                            "`$` starts a metavariable: write `$X` for one expression or `$$$ARGS` for a sequence",
                        ));
                    }
                };
                if !is_metavariable_name(&name) {
                    return Err(PatternError::at(
                        p.span(),
                        format!(
                            "`${name}`: metavariable names are uppercase letters, digits and `_`, starting with a letter (`$X`, `$$$ARGS`)"
                        ),
                    ));
                }
                let prefix = match dollars {
                    1 => VAR,
                    3 => SEQ,
                    _ => {
                        return Err(PatternError::at(
                            p.span(),
                            format!(
                                "`{}{name}`: write `${name}` for one expression or `$$${name}` for a sequence",
                                "$".repeat(dollars)
                            ),
                        ));
                    }
                };
                out.push(TokenTree::Ident(Ident::new(
                    &format!("{prefix}{name}"),
                    p.span(),
                )));
            }
            TokenTree::Group(group) => {
                let inner = hide_metavariables(group.stream())?;
                let mut rebuilt = proc_macro2::Group::new(group.delimiter(), inner);
                rebuilt.set_span(group.span());
                out.push(TokenTree::Group(rebuilt));
            }
            other => out.push(other),
        }
    }
    Ok(out.into_iter().collect())
}

/// Every `$NAME` / `$$$NAME` in a text (a pattern, a fix, a message),
/// in order: where it is, how many `$`, and the name (empty after a lone
/// `$`).
pub fn metavariable_refs(text: &str) -> Vec<(std::ops::Range<usize>, usize, &str)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = text[at..].find('$') {
        let start = at + i;
        let after = &text[start..];
        let dollars = after.len() - after.trim_start_matches('$').len();
        let name_start = start + dollars;
        let len = text[name_start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(text.len() - name_start);
        out.push((
            start..name_start + len,
            dollars,
            &text[name_start..name_start + len],
        ));
        at = name_start + len;
    }
    out
}

pub fn is_metavariable_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Parses pattern text into an expression with its metavariables hidden.
pub fn parse_expr(text: &str) -> Result<syn::Expr, PatternError> {
    let tokens: TokenStream = text.parse().map_err(|e: proc_macro2::LexError| {
        PatternError::at(
            e.span(),
            "this is not Rust code (an unclosed bracket or quote?)",
        )
    })?;
    let tokens = hide_metavariables(tokens)?;
    if tokens.is_empty() {
        return Err(PatternError {
            line: 1,
            column: 1,
            message: "the pattern is empty".into(),
        });
    }
    syn::parse2::<syn::Expr>(tokens).map_err(|e| {
        PatternError::at(
            e.span(),
            format!(
                "{e}; a pattern is one Rust expression or macro call, with `$X` and `$$$ARGS` where anything may stand"
            ),
        )
    })
}

/// The metavariable an identifier stands for, if it is one: (name, is a
/// sequence).
pub fn metavariable(ident: &str) -> Option<(&str, bool)> {
    if let Some(name) = ident.strip_prefix(VAR) {
        Some((name, false))
    } else {
        ident.strip_prefix(SEQ).map(|name| (name, true))
    }
}

/// The metavariable an expression is, if it is nothing but one.
pub fn expr_metavariable(expr: &syn::Expr) -> Option<(String, bool)> {
    let syn::Expr::Path(p) = expr else {
        return None;
    };
    if !p.attrs.is_empty() || p.qself.is_some() || p.path.leading_colon.is_some() {
        return None;
    }
    let ident = p.path.get_ident()?.to_string();
    metavariable(&ident).map(|(name, seq)| (name.to_owned(), seq))
}

/// Compiles a parsed pattern.
pub fn compile(expr: &syn::Expr) -> Result<Pat, PatternError> {
    use syn::Expr;
    if let Some((name, seq)) = expr_metavariable(expr) {
        if seq {
            return Err(PatternError::at(
                syn::spanned::Spanned::span(expr),
                format!(
                    "`$$${name}` stands for a sequence: use it among arguments or elements, or write `${name}`"
                ),
            ));
        }
        return Ok(Pat::Var(name));
    }
    let boxed = |e: &Expr| compile(e).map(Box::new);
    Ok(match expr {
        Expr::Path(p) if p.qself.is_none() && p.attrs.is_empty() => Pat::Path {
            leading_colon: p.path.leading_colon.is_some(),
            segments: p
                .path
                .segments
                .iter()
                .map(|s| (name(&s.ident), s.arguments.to_token_stream().to_string()))
                .collect(),
        },
        Expr::Lit(l) if l.attrs.is_empty() => Pat::Lit(l.lit.to_token_stream().to_string()),
        Expr::Call(c) if c.attrs.is_empty() => Pat::Call {
            func: boxed(&c.func)?,
            args: items(c.args.iter())?,
        },
        Expr::MethodCall(m) if m.attrs.is_empty() => Pat::MethodCall {
            receiver: boxed(&m.receiver)?,
            method: name(&m.method),
            turbofish: m.turbofish.to_token_stream().to_string(),
            args: items(m.args.iter())?,
        },
        Expr::Field(f) if f.attrs.is_empty() => Pat::Field {
            base: boxed(&f.base)?,
            member: match &f.member {
                syn::Member::Named(ident) => name(ident),
                syn::Member::Unnamed(index) => Name::Is(index.index.to_string()),
            },
        },
        Expr::Unary(u) if u.attrs.is_empty() => Pat::Unary {
            op: u.op.to_token_stream().to_string(),
            expr: boxed(&u.expr)?,
        },
        Expr::Binary(b) if b.attrs.is_empty() => Pat::Binary {
            left: boxed(&b.left)?,
            op: b.op.to_token_stream().to_string(),
            right: boxed(&b.right)?,
        },
        Expr::Reference(r) if r.attrs.is_empty() => Pat::Reference {
            mutable: r.mutability.is_some(),
            expr: boxed(&r.expr)?,
        },
        Expr::Paren(p) if p.attrs.is_empty() => Pat::Paren(boxed(&p.expr)?),
        Expr::Try(t) if t.attrs.is_empty() => Pat::Try(boxed(&t.expr)?),
        Expr::Await(a) if a.attrs.is_empty() => Pat::Await(boxed(&a.base)?),
        Expr::Index(i) if i.attrs.is_empty() => Pat::Index {
            expr: boxed(&i.expr)?,
            index: boxed(&i.index)?,
        },
        Expr::Cast(c) if c.attrs.is_empty() => Pat::Cast {
            expr: boxed(&c.expr)?,
            ty: match &*c.ty {
                syn::Type::Path(p)
                    if p.qself.is_none()
                        && let Some(ident) = p.path.get_ident()
                        && let Some((name, false)) = metavariable(&ident.to_string()) =>
                {
                    Ty::Var(name.to_owned())
                }
                ty => Ty::Is(ty.to_token_stream().to_string()),
            },
        },
        Expr::Tuple(t) if t.attrs.is_empty() => Pat::Tuple(items(t.elems.iter())?),
        Expr::Array(a) if a.attrs.is_empty() => Pat::Array(items(a.elems.iter())?),
        Expr::Return(r) if r.attrs.is_empty() => {
            Pat::Return(r.expr.as_deref().map(compile).transpose()?.map(Box::new))
        }
        Expr::Macro(m) if m.attrs.is_empty() => Pat::Macro {
            path: m.mac.path.to_token_stream().to_string(),
            tokens: toks(m.mac.tokens.clone()),
        },
        other => Pat::Tokens(variant(other), toks(other.to_token_stream())),
    })
}

/// The kind of the expressions the tree matcher compares token by token.
pub fn variant(expr: &syn::Expr) -> &'static str {
    use syn::Expr;
    match expr {
        Expr::Assign(_) => "assign",
        Expr::Async(_) => "async",
        Expr::Block(_) => "block",
        Expr::Break(_) => "break",
        Expr::Closure(_) => "closure",
        Expr::Const(_) => "const",
        Expr::Continue(_) => "continue",
        Expr::ForLoop(_) => "for",
        Expr::If(_) => "if",
        Expr::Let(_) => "let",
        Expr::Loop(_) => "loop",
        Expr::Match(_) => "match",
        Expr::Range(_) => "range",
        Expr::Repeat(_) => "repeat",
        Expr::Struct(_) => "struct",
        Expr::Unsafe(_) => "unsafe",
        Expr::While(_) => "while",
        Expr::Yield(_) => "yield",
        _ => "other",
    }
}

fn name(ident: &Ident) -> Name {
    let text = ident.to_string();
    match metavariable(&text) {
        Some((var, false)) => Name::Var(var.to_owned()),
        _ => Name::Is(text),
    }
}

fn items<'a>(exprs: impl Iterator<Item = &'a syn::Expr>) -> Result<Vec<Item>, PatternError> {
    exprs
        .map(|e| match expr_metavariable(e) {
            Some((name, true)) => Ok(Item::Seq(name)),
            _ => compile(e).map(Item::One),
        })
        .collect()
}

/// A token stream as pattern tokens: `$X` and `$$$X` become their
/// metavariables.
pub fn toks(tokens: TokenStream) -> Vec<Tok> {
    tokens
        .into_iter()
        .map(|tree| match tree {
            TokenTree::Ident(ident) => {
                let text = ident.to_string();
                match metavariable(&text) {
                    Some((name, false)) => Tok::Var(name.to_owned()),
                    Some((name, true)) => Tok::Seq(name.to_owned()),
                    None => Tok::Ident(text),
                }
            }
            TokenTree::Punct(p) => Tok::Punct(p.as_char()),
            TokenTree::Literal(l) => Tok::Lit(l.to_string()),
            TokenTree::Group(g) => Tok::Group(g.delimiter(), toks(g.stream())),
        })
        .collect()
}

impl Pat {
    /// The root's kind and fixed name, for the scan's index.
    pub fn anchor(&self) -> Anchor {
        let (kind, name) = match self {
            Pat::Var(_) => ("any", None),
            Pat::Path { segments, .. } => ("path", fixed(segments.last().map(|s| &s.0))),
            Pat::Lit(text) => ("lit", Some(text.clone())),
            Pat::Call { func, .. } => match &**func {
                Pat::Path { segments, .. } => ("call", fixed(segments.last().map(|s| &s.0))),
                _ => ("call", None),
            },
            Pat::MethodCall { method, .. } => ("method-call", fixed(Some(method))),
            Pat::Field { member, .. } => ("field", fixed(Some(member))),
            Pat::Unary { op, .. } => ("unary", Some(op.clone())),
            Pat::Binary { op, .. } => ("binary", Some(op.clone())),
            Pat::Reference { .. } => ("reference", None),
            Pat::Paren(_) => ("paren", None),
            Pat::Try(_) => ("try", None),
            Pat::Await(_) => ("await", None),
            Pat::Index { .. } => ("index", None),
            Pat::Cast { .. } => ("cast", None),
            Pat::Tuple(_) => ("tuple", None),
            Pat::Array(_) => ("array", None),
            Pat::Return(_) => ("return", None),
            Pat::Macro { path, .. } => ("macro", path.rsplit(' ').next().map(str::to_owned)),
            Pat::Tokens(kind, _) => (*kind, None),
        };
        Anchor { kind, name }
    }

    /// The fixed identifiers of the pattern, most telling first: a file
    /// that contains none of them cannot match.
    pub fn words(&self) -> Vec<String> {
        let mut words = Vec::new();
        if let Some(name) = self.anchor().name
            && name.starts_with(|c: char| c.is_alphabetic() || c == '_')
        {
            words.push(name);
        }
        words
    }
}

fn fixed(name: Option<&Name>) -> Option<String> {
    match name {
        Some(Name::Is(text)) => Some(text.clone()),
        _ => None,
    }
}
