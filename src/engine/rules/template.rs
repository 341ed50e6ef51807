//! A rule's `fix:` template: Rust code in which the pattern's
//! metavariables stand for the code they bound. The result keeps the
//! template's own text and the matched code exactly as written; an operand
//! that would change meaning where it is put (`a + b` as a receiver) gets
//! parentheses.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;

use proc_macro2::{TokenStream, TokenTree};
use syn::Expr;
use syn::visit::{self, Visit};

use super::matcher::{Bindings, BoundKind, atomic};
use super::pattern::{PatternError, expr_metavariable, parse_expr};

/// A compiled `fix:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    text: String,
    slots: Vec<Slot>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Slot {
    /// Where `$X` / `$$$X` is in the template text.
    range: Range<usize>,
    name: String,
    /// Whether any expression may stand here as it is (an argument, an
    /// element); elsewhere a non-atomic one is parenthesised.
    free: bool,
}

impl Template {
    /// Compiles `text`; `vars` are the pattern's metavariables (name → is a
    /// sequence), which are all the template may use.
    pub fn compile(text: &str, vars: &BTreeMap<String, bool>) -> Result<Self, PatternError> {
        let expr = parse_expr(text)?;
        let mut free = FreeSlots {
            free_children: HashSet::from([&expr as *const Expr as usize]),
            free_at: Default::default(),
        };
        free.visit_expr(&expr);
        let tokens: TokenStream =
            text.parse()
                .map_err(|e: proc_macro2::LexError| PatternError {
                    line: e.span().start().line,
                    column: e.span().start().column + 1,
                    message: "this is not Rust code".into(),
                })?;
        let mut slots = Vec::new();
        collect_slots(tokens, &mut slots)?;
        for slot in &mut slots {
            slot.free = free.free_at.get(&slot.range.start).copied().unwrap_or(true);
            let seq = slot.range.len() > slot.name.len() + 1;
            let at = |message: String| {
                let before = &text[..slot.range.start];
                PatternError {
                    line: before.matches('\n').count() + 1,
                    column: before.rsplit('\n').next().unwrap_or("").chars().count() + 1,
                    message,
                }
            };
            match vars.get(&slot.name) {
                None => {
                    return Err(at(format!(
                        "`${}` is not in the pattern; the fix can use only what the pattern binds ({})",
                        slot.name,
                        list(vars)
                    )));
                }
                Some(is_seq) if *is_seq != seq => {
                    let (used, bound) = match is_seq {
                        true => ("$", "$$$"),
                        false => ("$$$", "$"),
                    };
                    return Err(at(format!(
                        "`{used}{}` is `{bound}{}` in the pattern; write it the same way",
                        slot.name, slot.name
                    )));
                }
                Some(_) => {}
            }
        }
        Ok(Self {
            text: text.trim().to_owned(),
            slots: slots
                .into_iter()
                .map(|s| {
                    let shift = text.len() - text.trim_start().len();
                    Slot {
                        range: s.range.start - shift..s.range.end - shift,
                        ..s
                    }
                })
                .collect(),
        })
    }

    /// The template with each metavariable replaced by the code it bound
    /// (`source` gives a range's text).
    pub fn render<'s>(
        &self,
        bindings: &Bindings,
        source: impl Fn(Range<usize>) -> &'s str,
    ) -> String {
        let mut out = String::with_capacity(self.text.len() + 32);
        let mut at = 0;
        for slot in &self.slots {
            out.push_str(&self.text[at..slot.range.start]);
            if let Some(bound) = bindings.get(&slot.name) {
                let code = source(bound.range.clone());
                let wrap =
                    !slot.free && matches!(bound.what, BoundKind::Expr { atomic: false, .. });
                if wrap {
                    out.push('(');
                }
                out.push_str(code);
                if wrap {
                    out.push(')');
                }
            }
            at = slot.range.end;
        }
        out.push_str(&self.text[at..]);
        out
    }
}

/// The replacement for a matched expression: the rendered fix, in
/// parentheses when it binds less tightly than what it replaces. `None`
/// when the result is not an expression (a template is checked when the
/// rule is read, but bound code can still surprise).
pub fn replacement(rendered: String, matched_atomic: bool) -> Option<String> {
    let expr: Expr = syn::parse_str(&rendered).ok()?;
    Some(match matched_atomic && !atomic(&expr) {
        true => format!("({rendered})"),
        false => rendered,
    })
}

fn list(vars: &BTreeMap<String, bool>) -> String {
    if vars.is_empty() {
        return "it binds none".into();
    }
    vars.iter()
        .map(|(name, seq)| format!("`{}{name}`", if *seq { "$$$" } else { "$" }))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every `$X` / `$$$X` of the template, with its place in the text.
fn collect_slots(tokens: TokenStream, slots: &mut Vec<Slot>) -> Result<(), PatternError> {
    let mut iter = tokens.into_iter().peekable();
    while let Some(tree) = iter.next() {
        match tree {
            TokenTree::Punct(p) if p.as_char() == '$' => {
                let start = p.span().byte_range().start;
                while let Some(TokenTree::Punct(next)) = iter.peek()
                    && next.as_char() == '$'
                {
                    iter.next();
                }
                if let Some(TokenTree::Ident(ident)) = iter.next() {
                    slots.push(Slot {
                        range: start..ident.span().byte_range().end,
                        name: ident.to_string(),
                        free: true,
                    });
                }
            }
            TokenTree::Group(g) => collect_slots(g.stream(), slots)?,
            _ => {}
        }
    }
    Ok(())
}

/// Which metavariables of a template stand where any expression fits.
struct FreeSlots {
    /// Addresses of the expressions that sit in a free position.
    free_children: HashSet<usize>,
    /// Start of each metavariable's `$` → free.
    free_at: BTreeMap<usize, bool>,
}

impl<'ast> Visit<'ast> for FreeSlots {
    fn visit_expr(&mut self, expr: &'ast Expr) {
        if expr_metavariable(expr).is_some() {
            let start = syn::spanned::Spanned::span(expr).byte_range().start;
            let free = self.free_children.contains(&(expr as *const Expr as usize));
            self.free_at.insert(start, free);
            return;
        }
        free_children(expr, &mut |e| {
            self.free_children.insert(e as *const Expr as usize);
        });
        visit::visit_expr(self, expr);
    }

    fn visit_stmt(&mut self, stmt: &'ast syn::Stmt) {
        free_in_stmt(stmt, &mut |e| {
            self.free_children.insert(e as *const Expr as usize);
        });
        visit::visit_stmt(self, stmt);
    }
}

/// The direct children of `expr` where any expression fits as it is (an
/// argument, an element, a condition): what goes there never needs
/// parentheses.
pub fn free_children<'a>(expr: &'a Expr, mark: &mut dyn FnMut(&'a Expr)) {
    match expr {
        Expr::Call(c) => c.args.iter().for_each(mark),
        Expr::MethodCall(m) => m.args.iter().for_each(mark),
        Expr::Array(a) => a.elems.iter().for_each(mark),
        Expr::Tuple(t) => t.elems.iter().for_each(mark),
        Expr::Paren(p) => mark(&p.expr),
        Expr::Return(r) => r.expr.iter().for_each(|e| mark(e)),
        Expr::Break(b) => b.expr.iter().for_each(|e| mark(e)),
        Expr::Struct(s) => s.fields.iter().for_each(|f| mark(&f.expr)),
        Expr::Index(i) => mark(&i.index),
        Expr::Closure(c) => mark(&c.body),
        Expr::Assign(a) => {
            mark(&a.left);
            mark(&a.right);
        }
        Expr::Match(m) => mark(&m.expr),
        Expr::If(i) => mark(&i.cond),
        _ => {}
    }
}

/// The expressions of a statement that stand free (see [`free_children`]).
pub fn free_in_stmt<'a>(stmt: &'a syn::Stmt, mark: &mut dyn FnMut(&'a Expr)) {
    match stmt {
        syn::Stmt::Expr(e, _) => mark(e),
        syn::Stmt::Local(local) => {
            if let Some(init) = &local.init {
                mark(&init.expr);
            }
        }
        _ => {}
    }
}
