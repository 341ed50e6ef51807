//! `question-mark`: early returns of `None` or `Err(e)` written out by hand
//! (`match e { Some(v) => v, None => return None }`, the `Ok`/`Err` twin, and
//! `let Some(v) = e else { return None };`) become `e?`.
//!
//! Only where `?` means exactly that: inside a function whose declared return
//! type is `Option<…>` (for the `Some`/`None` forms) or `Result<…>` (for
//! `Ok`/`Err`). Closures, async blocks and const blocks change what `return`
//! refers to, so the visitor keeps a stack of the enclosing bodies.

use std::collections::HashSet;
use std::ops::Range;

use syn::visit::{self, Visit};
use syn::{Expr, Pat, ReturnType, Stmt};

use crate::engine::edit::Edit;
use crate::engine::precedence::needs_parens;
use crate::engine::skill::{Detection, Skill, SkillContext};
use crate::engine::source::{SourceFile, normalized_tokens};
use crate::vocab::risk::Risk;

#[derive(Debug)]
pub struct QuestionMark;

impl Skill for QuestionMark {
    fn id(&self) -> &'static str {
        "question-mark"
    }

    fn description(&self) -> &'static str {
        "hand-written early returns of `None`/`Err(e)` that `?` expresses"
    }

    fn rationale(&self) -> &'static str {
        "`?` is the idiomatic way to propagate an absent value or an error; the \
         hand-written `match` hides the happy path and is easy to get subtly wrong."
    }

    fn title(&self) -> &'static str {
        "Use `?` for early returns"
    }

    fn risk(&self) -> Risk {
        Risk::Medium
    }

    fn can_fix(&self) -> bool {
        true
    }

    fn check(&self, file: &SourceFile, _cx: &SkillContext<'_>) -> Vec<Detection> {
        // Every form returns early from a function declared to return an
        // `Option` or a `Result`: a file without those words has none.
        let text = file.text();
        if !text.contains("return") || !(text.contains("Option") || text.contains("Result")) {
            return Vec::new();
        }
        let mut finder = Finder {
            file,
            bodies: Vec::new(),
            needs_semicolon: HashSet::new(),
            out: Vec::new(),
        };
        finder.visit_file(file.ast());
        finder.out
    }
}

/// What `?` would propagate in the innermost body.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Returns {
    Option,
    Result,
    Other,
}

/// What a function's `return` gives back; nothing `?` can stand for in a
/// `const fn`, where `?` is not stable.
fn fn_returns(sig: &syn::Signature) -> Returns {
    if sig.constness.is_some() {
        return Returns::Other;
    }
    returns(&sig.output)
}

fn returns(output: &ReturnType) -> Returns {
    let ReturnType::Type(_, ty) = output else {
        return Returns::Other;
    };
    let syn::Type::Path(path) = &**ty else {
        return Returns::Other;
    };
    match path.path.segments.last() {
        Some(seg) if seg.ident == "Option" => Returns::Option,
        Some(seg) if seg.ident == "Result" => Returns::Result,
        _ => Returns::Other,
    }
}

struct Finder<'a> {
    file: &'a SourceFile,
    bodies: Vec<Returns>,
    /// `match` statements without `;` that are not the block's tail: as
    /// `e?` they need one.
    needs_semicolon: HashSet<(usize, usize)>,
    out: Vec<Detection>,
}

impl Finder<'_> {
    fn returns(&self) -> Returns {
        self.bodies.last().copied().unwrap_or(Returns::Other)
    }

    fn in_body(&mut self, returns: Returns, walk: impl FnOnce(&mut Self)) {
        self.bodies.push(returns);
        walk(self);
        self.bodies.pop();
    }

    fn check_match(&mut self, m: &syn::ExprMatch) {
        let Some(kind) = propagating_match(m, self.returns()) else {
            return;
        };
        let range = self.file.range_of(m);
        let scrutinee = with_try(self.file.text_of(&*m.expr), &m.expr);
        let mut replacement = scrutinee.clone();
        if self.needs_semicolon.contains(&(range.start, range.end)) {
            replacement.push(';');
        }
        let mut edits = vec![Edit::replace(range.clone(), replacement)];
        // The arms' comments move above the line the `match` starts on.
        let text = self.file.text();
        let carried: String = self
            .file
            .comments()
            .iter()
            .filter(|c| range.start <= c.range.start && c.range.end <= range.end)
            .map(|c| {
                format!(
                    "{}{}\n",
                    self.file.indent_at(range.start),
                    text[c.range.clone()].trim_end()
                )
            })
            .collect();
        if !carried.is_empty() {
            let line_start = text[..range.start].rfind('\n').map_or(0, |i| i + 1);
            edits.insert(0, Edit::insert(line_start, carried));
        }
        self.out.push(Detection {
            fix_needs: None,
            message: format!(
                "this `match` returns `{kind}` early by hand: use `{}`",
                short(&scrutinee)
            ),
            key: normalized_tokens(m),
            edits: Some(edits),
            range,
        });
    }

    fn check_let_else(&mut self, local: &syn::Local) {
        if self.returns() != Returns::Option {
            return;
        }
        let Some(init) = &local.init else { return };
        let Some((_, diverge)) = &init.diverge else {
            return;
        };
        let Some(binding) = some_binding(&local.pat) else {
            return;
        };
        if !is_return_of(diverge, is_none) {
            return;
        }
        let pat_range = self.file.range_of(&local.pat);
        let expr_range = self.file.range_of(&*init.expr);
        let diverge_end = self.file.range_of(&**diverge).end;
        let binding_text = self.file.text_of(binding).to_owned();
        let mut edits = vec![Edit::replace(pat_range, binding_text)];
        if needs_parens(&init.expr) {
            edits.push(Edit::insert(expr_range.start, "("));
            edits.push(Edit::replace(expr_range.end..diverge_end, ")?"));
        } else {
            edits.push(Edit::replace(expr_range.end..diverge_end, "?"));
        }
        let shown = with_try(self.file.text_of(&*init.expr), &init.expr);
        self.out.push(Detection {
            fix_needs: None,
            range: self.file.range_of(local),
            message: format!(
                "this `let … else` returns `None` early by hand: use `{}`",
                short(&shown)
            ),
            key: normalized_tokens(local),
            edits: Some(edits),
        });
    }
}

fn short(s: &str) -> String {
    let flat = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= 60 {
        flat
    } else {
        format!("{}…", flat.chars().take(59).collect::<String>())
    }
}

/// `e?`, parenthesised when `?` would otherwise bind to part of `e` or
/// misparse at the start of a statement.
fn with_try(text: &str, expr: &Expr) -> String {
    if needs_parens(expr) {
        format!("({text})?")
    } else {
        format!("{text}?")
    }
}

/// `Some`/`Ok` when `m` is exactly a hand-written `?` that fits `returns`.
fn propagating_match(m: &syn::ExprMatch, returns: Returns) -> Option<&'static str> {
    let [a, b] = m.arms.as_slice() else {
        return None;
    };
    if !a.attrs.is_empty() || !b.attrs.is_empty() {
        return None;
    }
    let pairs = [(a, b), (b, a)];
    match returns {
        Returns::Option => pairs
            .iter()
            .any(|(some, none)| {
                passes_binding_through(some, "Some")
                    && is_unit_variant(&none.pat, "None")
                    && is_return_of(&none.body, is_none)
            })
            .then_some("None"),
        Returns::Result => pairs
            .iter()
            .any(|(ok, err)| passes_binding_through(ok, "Ok") && returns_own_error(err))
            .then_some("Err"),
        Returns::Other => None,
    }
}

/// `Variant(v) => v`.
fn passes_binding_through(arm: &syn::Arm, variant: &str) -> bool {
    let Some(binding) = tuple_binding(&arm.pat, variant) else {
        return false;
    };
    matches!(unblock(&arm.body), Expr::Path(p) if p.path.is_ident(&binding.ident))
}

/// `Err(e) => return Err(e)` (also with `e.into()` or `From::from(e)`).
fn returns_own_error(arm: &syn::Arm) -> bool {
    let Some(binding) = tuple_binding(&arm.pat, "Err") else {
        return false;
    };
    let name = &binding.ident;
    is_return_of(&arm.body, |e| {
        let Expr::Call(call) = e else { return false };
        if !is_path_to(&call.func, "Err") || call.args.len() != 1 {
            return false;
        }
        match &call.args[0] {
            Expr::Path(p) => p.path.is_ident(name),
            Expr::MethodCall(mc) => {
                mc.method == "into"
                    && mc.args.is_empty()
                    && matches!(&*mc.receiver, Expr::Path(p) if p.path.is_ident(name))
            }
            Expr::Call(inner) => {
                let from = matches!(&*inner.func, Expr::Path(p) if p.path.segments.len() == 2
                    && p.path.segments[0].ident == "From" && p.path.segments[1].ident == "from");
                from && inner.args.len() == 1
                    && matches!(&inner.args[0], Expr::Path(p) if p.path.is_ident(name))
            }
            _ => false,
        }
    })
}

/// The plain binding in `Variant(v)` / `Option::Variant(mut v)`.
fn tuple_binding<'p>(pat: &'p Pat, variant: &str) -> Option<&'p syn::PatIdent> {
    let Pat::TupleStruct(ts) = pat else {
        return None;
    };
    if ts.qself.is_some() || !path_names(&ts.path, variant) || ts.elems.len() != 1 {
        return None;
    }
    match &ts.elems[0] {
        Pat::Ident(id) if id.by_ref.is_none() && id.subpat.is_none() => Some(id),
        _ => None,
    }
}

fn some_binding(pat: &Pat) -> Option<&syn::PatIdent> {
    tuple_binding(pat, "Some")
}

fn is_unit_variant(pat: &Pat, variant: &str) -> bool {
    match pat {
        Pat::Ident(id) => {
            id.ident == variant
                && id.by_ref.is_none()
                && id.mutability.is_none()
                && id.subpat.is_none()
        }
        Pat::Path(p) => p.qself.is_none() && path_names(&p.path, variant),
        _ => false,
    }
}

/// `Variant`, `Option::Variant`, `std::option::Option::Variant`…
fn path_names(path: &syn::Path, variant: &str) -> bool {
    path.segments
        .last()
        .is_some_and(|s| s.ident == variant && s.arguments.is_none())
        && path.segments.iter().rev().skip(1).all(|s| {
            ["Option", "Result", "option", "result", "std", "core"]
                .contains(&s.ident.to_string().as_str())
        })
}

fn is_path_to(expr: &Expr, variant: &str) -> bool {
    matches!(expr, Expr::Path(p) if p.qself.is_none() && path_names(&p.path, variant))
}

fn is_none(expr: &Expr) -> bool {
    is_path_to(expr, "None")
}

/// `return X` as the arm body, alone or as the only statement of a block.
fn is_return_of(body: &Expr, value: impl Fn(&Expr) -> bool) -> bool {
    match unblock(body) {
        Expr::Return(ret) => ret.expr.as_deref().is_some_and(value),
        _ => false,
    }
}

/// The single expression inside `{ e }` or `{ e; }` (no labels, no `unsafe`).
fn unblock(expr: &Expr) -> &Expr {
    if let Expr::Block(b) = expr
        && b.label.is_none()
        && b.attrs.is_empty()
        && let [stmt] = b.block.stmts.as_slice()
    {
        match stmt {
            Stmt::Expr(inner, _) => return unblock(inner),
            _ => return expr,
        }
    }
    expr
}

fn key(range: &Range<usize>) -> (usize, usize) {
    (range.start, range.end)
}

impl<'ast> Visit<'ast> for Finder<'_> {
    fn visit_item_fn(&mut self, node: &'ast syn::ItemFn) {
        self.in_body(fn_returns(&node.sig), |s| visit::visit_item_fn(s, node));
    }

    fn visit_impl_item_fn(&mut self, node: &'ast syn::ImplItemFn) {
        self.in_body(fn_returns(&node.sig), |s| {
            visit::visit_impl_item_fn(s, node)
        });
    }

    fn visit_trait_item_fn(&mut self, node: &'ast syn::TraitItemFn) {
        self.in_body(fn_returns(&node.sig), |s| {
            visit::visit_trait_item_fn(s, node)
        });
    }

    fn visit_expr_closure(&mut self, node: &'ast syn::ExprClosure) {
        self.in_body(Returns::Other, |s| visit::visit_expr_closure(s, node));
    }

    fn visit_expr_async(&mut self, node: &'ast syn::ExprAsync) {
        self.in_body(Returns::Other, |s| visit::visit_expr_async(s, node));
    }

    fn visit_expr_const(&mut self, node: &'ast syn::ExprConst) {
        self.in_body(Returns::Other, |s| visit::visit_expr_const(s, node));
    }

    fn visit_expr_try_block(&mut self, node: &'ast syn::ExprTryBlock) {
        self.in_body(Returns::Other, |s| visit::visit_expr_try_block(s, node));
    }

    fn visit_item_const(&mut self, node: &'ast syn::ItemConst) {
        self.in_body(Returns::Other, |s| visit::visit_item_const(s, node));
    }

    fn visit_item_static(&mut self, node: &'ast syn::ItemStatic) {
        self.in_body(Returns::Other, |s| visit::visit_item_static(s, node));
    }

    fn visit_block(&mut self, block: &'ast syn::Block) {
        let last = block.stmts.len().saturating_sub(1);
        for (i, stmt) in block.stmts.iter().enumerate() {
            if let Stmt::Expr(Expr::Match(m), None) = stmt
                && i != last
            {
                self.needs_semicolon.insert(key(&self.file.range_of(m)));
            }
        }
        visit::visit_block(self, block);
    }

    fn visit_expr_match(&mut self, node: &'ast syn::ExprMatch) {
        self.check_match(node);
        visit::visit_expr_match(self, node);
    }

    fn visit_local(&mut self, node: &'ast syn::Local) {
        self.check_let_else(node);
        visit::visit_local(self, node);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::skill::testing::{fixed, found};

    #[test]
    fn rewrites_option_and_result_matches() {
        let text = r#"
fn a(x: Option<u8>) -> Option<u8> {
    let v = match x { Some(v) => v, None => return None };
    let w = match x.map(|n| n + 1) {
        None => { return None; }
        Some(inner) => inner,
    };
    Some(v + w)
}
fn b(s: &str) -> Result<u8, std::num::ParseIntError> {
    let n = match s.parse::<u8>() {
        Ok(n) => n,
        Err(e) => return Err(e),
    };
    let m = match s.parse() { Ok(m) => m, Err(err) => { return Err(err.into()) } };
    Ok(n + m)
}
"#;
        assert_eq!(found(&QuestionMark, text).len(), 4);
        assert_eq!(
            fixed(&QuestionMark, text),
            r#"
fn a(x: Option<u8>) -> Option<u8> {
    let v = x?;
    let w = x.map(|n| n + 1)?;
    Some(v + w)
}
fn b(s: &str) -> Result<u8, std::num::ParseIntError> {
    let n = s.parse::<u8>()?;
    let m = s.parse()?;
    Ok(n + m)
}
"#
        );
    }

    #[test]
    fn rewrites_let_else_and_parenthesises() {
        let text = "fn f(a: Option<&u8>, b: &Option<u8>) -> Option<u8> {\n    let Some(mut x) = a.copied() else { return None; };\n    let y = match *b { Some(y) => y, None => return None };\n    x += y;\n    Some(x)\n}\n";
        assert_eq!(
            fixed(&QuestionMark, text),
            "fn f(a: Option<&u8>, b: &Option<u8>) -> Option<u8> {\n    let mut x = a.copied()?;\n    let y = (*b)?;\n    x += y;\n    Some(x)\n}\n"
        );
    }

    #[test]
    fn a_statement_match_keeps_a_semicolon() {
        let text = "fn f(a: Option<()>) -> Option<()> {\n    match a { Some(v) => v, None => return None }\n    g();\n    Some(())\n}\n";
        assert_eq!(
            fixed(&QuestionMark, text),
            "fn f(a: Option<()>) -> Option<()> {\n    a?;\n    g();\n    Some(())\n}\n"
        );
    }

    #[test]
    fn leaves_alone_what_is_not_equivalent() {
        let text = r#"
fn wrong_kind(x: Option<u8>) -> Result<u8, ()> {
    let v = match x { Some(v) => v, None => return None };
    Ok(v)
}
fn no_return_type(x: Option<u8>) {
    let _ = match x { Some(v) => v, None => return };
}
fn in_closure(x: Option<u8>) -> Option<u8> {
    let f = || -> Option<u8> { let v = match x { Some(v) => v, None => return None }; Some(v) };
    f()
}
fn changes_value(x: Option<u8>) -> Option<u8> {
    let a = match x { Some(v) => v + 1, None => return None };
    let b = match x { Some(v) => v, None => return Some(0) };
    let c = match x { Some(v) if v > 1 => v, _ => return None };
    let d = match x { Some(ref v) => *v, None => return None };
    Some(a + b + c + d)
}
fn other_error(s: &str) -> Result<u8, String> {
    let n = match s.parse::<u8>() { Ok(n) => n, Err(e) => return Err(e.to_string()) };
    let Ok(m) = s.parse::<u8>() else { return Err(String::new()) };
    Ok(n + m)
}
async fn in_async(x: Option<u8>) -> Option<u8> {
    let fut = async { match x { Some(v) => v, None => return None } };
    Some(fut.await)
}
"#;
        assert!(
            found(&QuestionMark, text).is_empty(),
            "{:?}",
            found(&QuestionMark, text)
        );
    }

    #[test]
    fn trait_and_impl_methods_count() {
        let text = "trait T { fn f(&self, x: Option<u8>) -> Option<u8> { let v = match x { Some(v) => v, None => return None }; Some(v) } }\nstruct S;\nimpl S { fn g(x: Result<u8, ()>) -> Result<u8, ()> { let v = match x { Ok(v) => v, Err(e) => return Err(From::from(e)) }; Ok(v) } }\n";
        assert_eq!(found(&QuestionMark, text).len(), 2);
    }
}
