//! `len-zero`: `x.len() == 0` and its relatives become `x.is_empty()` or
//! `!x.is_empty()`.

use syn::visit::{self, Visit};
use syn::{BinOp, Expr, Pat, UnOp};

use crate::engine::edit::Edit;
use crate::engine::known_types::{self, FileTypes, Scope};
use crate::engine::skill::{Detection, FixNeeds, Skill, SkillContext};
use crate::engine::source::{SourceFile, normalized_tokens};
use crate::vocab::risk::Risk;

#[derive(Debug)]
pub struct LenZero;

impl Skill for LenZero {
    fn id(&self) -> &'static str {
        "len-zero"
    }

    fn description(&self) -> &'static str {
        "`.len()` compared with zero, where `.is_empty()` says it directly"
    }

    fn rationale(&self) -> &'static str {
        "`is_empty()` states the intent, reads the same for every collection, and avoids \
         off-by-one comparisons such as `len() >= 1`."
    }

    fn title(&self) -> &'static str {
        "Use `is_empty()` for emptiness checks"
    }

    fn risk(&self) -> Risk {
        Risk::Low
    }

    fn can_fix(&self) -> bool {
        true
    }

    fn crate_facts(&self, file: &SourceFile, _cx: &SkillContext<'_>) -> Vec<String> {
        known_types::crate_facts(&file_items(file.ast()).types)
    }

    fn examine(&self, file: &SourceFile, _cx: &SkillContext<'_>) -> (Vec<Detection>, Vec<String>) {
        let items = file_items(file.ast());
        let facts = known_types::crate_facts(&items.types);
        (detections(file, items), facts)
    }

    fn check(&self, file: &SourceFile, _cx: &SkillContext<'_>) -> Vec<Detection> {
        detections(file, file_items(file.ast()))
    }
}

/// The file's emptiness checks, knowing the types it declares.
fn detections(file: &SourceFile, items: FileItems) -> Vec<Detection> {
    // Every check calls a method `len`: a file that never says the word
    // has none, and needs no walk over its expressions.
    if !file.text().contains("len") {
        return Vec::new();
    }
    let mut finder = Finder {
        file,
        out: Vec::new(),
        types_without_is_empty: items.without_is_empty,
        types: items.types,
        scopes: vec![Scope::default()],
        impl_stack: Vec::new(),
        fn_stack: Vec::new(),
    };
    finder.visit_file(file.ast());
    finder.out
}

/// Whether the comparison asks "is it empty?" or "is it not?".
#[derive(Clone, Copy, PartialEq, Eq)]
enum Asks {
    Empty,
    NotEmpty,
}

impl Asks {
    fn flip(self) -> Self {
        match self {
            Asks::Empty => Asks::NotEmpty,
            Asks::NotEmpty => Asks::Empty,
        }
    }
}

/// `recv.len() OP lit` or `lit OP recv.len()` with a meaning of emptiness.
fn emptiness_test(expr: &Expr) -> Option<(&Expr, Asks)> {
    let Expr::Binary(bin) = expr else { return None };
    if let (Some(recv), Some(n)) = (len_receiver(&bin.left), small_int(&bin.right)) {
        let asks = match (&bin.op, n) {
            (BinOp::Eq(_), 0) | (BinOp::Lt(_), 1) => Asks::Empty,
            (BinOp::Ne(_), 0) | (BinOp::Gt(_), 0) | (BinOp::Ge(_), 1) => Asks::NotEmpty,
            _ => return None,
        };
        return Some((recv, asks));
    }
    if let (Some(n), Some(recv)) = (small_int(&bin.left), len_receiver(&bin.right)) {
        let asks = match (&bin.op, n) {
            (BinOp::Eq(_), 0) | (BinOp::Gt(_), 1) => Asks::Empty,
            (BinOp::Ne(_), 0) | (BinOp::Lt(_), 0) | (BinOp::Le(_), 1) => Asks::NotEmpty,
            _ => return None,
        };
        return Some((recv, asks));
    }
    None
}

fn len_receiver(expr: &Expr) -> Option<&Expr> {
    match expr {
        Expr::MethodCall(call)
            if call.method == "len" && call.args.is_empty() && call.turbofish.is_none() =>
        {
            Some(&call.receiver)
        }
        _ => None,
    }
}

fn small_int(expr: &Expr) -> Option<u8> {
    let Expr::Lit(lit) = expr else { return None };
    let syn::Lit::Int(int) = &lit.lit else {
        return None;
    };
    if !matches!(int.suffix(), "" | "usize") {
        return None;
    }
    match int.base10_digits() {
        "0" => Some(0),
        "1" => Some(1),
        _ => None,
    }
}

fn strip_parens(expr: &Expr) -> &Expr {
    match expr {
        Expr::Paren(p) => strip_parens(&p.expr),
        other => other,
    }
}

fn impl_name(node: &syn::ItemImpl) -> String {
    match &*node.self_ty {
        syn::Type::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        other => normalized_tokens(other),
    }
}

struct Finder<'a> {
    file: &'a SourceFile,
    out: Vec<Detection>,
    types_without_is_empty: Vec<String>,
    types: FileTypes,
    /// What is known of the names in scope, innermost function last.
    scopes: Vec<Scope>,
    impl_stack: Vec<String>,
    fn_stack: Vec<String>,
}

/// What the file's items say about emptiness: the types with `is_empty`,
/// every struct's field types, and the types that get a `len` method here
/// but no `is_empty` (on `self` inside their impls the rewrite would not
/// compile).
struct FileItems {
    types: FileTypes,
    without_is_empty: Vec<String>,
}

fn file_items(file: &syn::File) -> FileItems {
    struct Collect {
        types: FileTypes,
        len: Vec<String>,
    }
    impl<'ast> Visit<'ast> for Collect {
        fn visit_item_impl(&mut self, node: &'ast syn::ItemImpl) {
            let name = impl_name(node);
            let has = |method: &str| {
                node.items
                    .iter()
                    .any(|i| matches!(i, syn::ImplItem::Fn(f) if f.sig.ident == method))
            };
            if has("len") {
                self.len.push(name.clone());
            }
            if has("is_empty") {
                self.types.with_is_empty.insert(name);
            }
            visit::visit_item_impl(self, node);
        }
        fn visit_item_struct(&mut self, node: &'ast syn::ItemStruct) {
            let fields = node
                .fields
                .iter()
                .filter_map(|f| Some((f.ident.as_ref()?.to_string(), f.ty.clone())))
                .collect();
            self.types.fields.insert(node.ident.to_string(), fields);
            visit::visit_item_struct(self, node);
        }
    }
    let mut collect = Collect {
        types: FileTypes::default(),
        len: Vec::new(),
    };
    collect.visit_file(file);
    let Collect { types, mut len } = collect;
    len.retain(|name| !types.with_is_empty.contains(name));
    FileItems {
        types,
        without_is_empty: len,
    }
}

/// Every name a pattern binds.
fn bound_names(pat: &Pat, out: &mut Vec<String>) {
    struct Names<'o>(&'o mut Vec<String>);
    impl<'ast> Visit<'ast> for Names<'_> {
        fn visit_pat_ident(&mut self, node: &'ast syn::PatIdent) {
            self.0.push(node.ident.to_string());
            visit::visit_pat_ident(self, node);
        }
    }
    Names(out).visit_pat(pat);
}

impl Finder<'_> {
    /// `self.len() == 0` must stay inside `is_empty` itself (the rewrite
    /// would recurse forever) and in types that have no `is_empty`.
    fn receiver_lacks_is_empty(&self, recv: &Expr) -> bool {
        let is_self = matches!(strip_parens(recv), Expr::Path(p) if p.path.is_ident("self"))
            || matches!(strip_parens(recv), Expr::Unary(u) if matches!(u.op, UnOp::Deref(_)) && matches!(&*u.expr, Expr::Path(p) if p.path.is_ident("self")));
        is_self
            && (self.fn_stack.last().is_some_and(|f| f == "is_empty")
                || self
                    .impl_stack
                    .last()
                    .is_some_and(|t| self.types_without_is_empty.contains(t)))
    }

    fn scope(&mut self) -> &mut Scope {
        if self.scopes.is_empty() {
            self.scopes.push(Scope::default());
        }
        let last = self.scopes.len() - 1;
        &mut self.scopes[last]
    }

    /// Runs `walk` in a function's scope, its typed parameters known.
    fn in_fn<'i>(
        &mut self,
        inputs: impl Iterator<Item = &'i syn::FnArg>,
        walk: impl FnOnce(&mut Self),
    ) {
        let mut scope = Scope::default();
        for input in inputs {
            if let syn::FnArg::Typed(typed) = input
                && let Pat::Ident(name) = &*typed.pat
            {
                scope.bind_type(name.ident.to_string(), &typed.ty);
            }
        }
        self.scopes.push(scope);
        walk(self);
        self.scopes.pop();
    }

    fn knows_is_empty(&self, recv: &Expr) -> bool {
        let in_impl = self.impl_stack.last().map(String::as_str);
        self.scopes
            .last()
            .is_some_and(|scope| scope.has_is_empty(recv, &self.types, in_impl))
    }

    fn report(&mut self, whole: &Expr, recv: &Expr, asks: Asks) {
        if self.receiver_lacks_is_empty(recv) {
            return;
        }
        let recv_text = self.file.text_of(recv);
        let shown = |s: &str| shorten(&s.split_whitespace().collect::<Vec<_>>().join(" "));
        let unknown = format!(
            "the type of `{}` is not known to have `is_empty`",
            shorten(recv_text)
        );
        // Known here, or known once another file of the crate says so.
        let fix_needs = if self.knows_is_empty(recv) {
            None
        } else {
            let in_impl = self.impl_stack.last().map(String::as_str);
            let Some(fact) = self
                .scopes
                .last()
                .and_then(|scope| scope.needed_fact(recv, &self.types, in_impl))
            else {
                self.out.push(Detection {
                    fix_needs: None,
                    range: self.file.range_of(whole),
                    message: format!(
                        "`{}` may read better with `is_empty()` (not fixed automatically: {unknown})",
                        shown(self.file.text_of(whole))
                    ),
                    key: normalized_tokens(whole),
                    edits: None,
                });
                return;
            };
            Some(FixNeeds {
                fact,
                otherwise: unknown,
            })
        };
        let replacement = match asks {
            Asks::Empty => format!("{recv_text}.is_empty()"),
            Asks::NotEmpty => format!("!{recv_text}.is_empty()"),
        };
        self.out.push(Detection {
            fix_needs,
            range: self.file.range_of(whole),
            message: format!(
                "`{}` reads better as `{}`",
                shown(self.file.text_of(whole)),
                shown(&replacement)
            ),
            key: normalized_tokens(whole),
            edits: Some(vec![Edit::replace(self.file.range_of(whole), replacement)]),
        });
    }
}

fn shorten(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let cut: String = s.chars().take(MAX - 1).collect();
        format!("{cut}…")
    }
}

impl<'ast> Visit<'ast> for Finder<'_> {
    fn visit_item_impl(&mut self, node: &'ast syn::ItemImpl) {
        self.impl_stack.push(impl_name(node));
        visit::visit_item_impl(self, node);
        self.impl_stack.pop();
    }

    fn visit_item_fn(&mut self, node: &'ast syn::ItemFn) {
        self.in_fn(node.sig.inputs.iter(), |s| visit::visit_item_fn(s, node));
    }

    fn visit_impl_item_fn(&mut self, node: &'ast syn::ImplItemFn) {
        self.fn_stack.push(node.sig.ident.to_string());
        self.in_fn(node.sig.inputs.iter(), |s| {
            visit::visit_impl_item_fn(s, node)
        });
        self.fn_stack.pop();
    }

    fn visit_trait_item_fn(&mut self, node: &'ast syn::TraitItemFn) {
        self.fn_stack.push(node.sig.ident.to_string());
        self.in_fn(node.sig.inputs.iter(), |s| {
            visit::visit_trait_item_fn(s, node)
        });
        self.fn_stack.pop();
    }

    fn visit_expr_closure(&mut self, node: &'ast syn::ExprClosure) {
        // The closure sees the names around it, less those its inputs shadow.
        let mut scope = self.scope().clone();
        for input in &node.inputs {
            match input {
                Pat::Type(typed) => {
                    if let Pat::Ident(name) = &*typed.pat {
                        scope.bind_type(name.ident.to_string(), &typed.ty);
                    }
                }
                other => {
                    let mut names = Vec::new();
                    bound_names(other, &mut names);
                    for name in names {
                        scope.forget(&name);
                    }
                }
            }
        }
        self.scopes.push(scope);
        visit::visit_expr_closure(self, node);
        self.scopes.pop();
    }

    fn visit_local(&mut self, node: &'ast syn::Local) {
        visit::visit_local(self, node);
        let in_impl = self.impl_stack.last().cloned();
        match (&node.pat, &node.init) {
            (Pat::Type(typed), _) if matches!(&*typed.pat, Pat::Ident(_)) => {
                if let Pat::Ident(name) = &*typed.pat {
                    let ty = typed.ty.clone();
                    self.scope().bind_type(name.ident.to_string(), &ty);
                }
            }
            (Pat::Ident(name), Some(init)) => {
                self.scope();
                let Self { scopes, types, .. } = self;
                if let Some(scope) = scopes.last_mut() {
                    scope.bind_value(
                        name.ident.to_string(),
                        &init.expr,
                        types,
                        in_impl.as_deref(),
                    );
                }
            }
            (pat, _) => {
                let mut names = Vec::new();
                bound_names(pat, &mut names);
                for name in names {
                    self.scope().forget(&name);
                }
            }
        }
    }

    fn visit_expr(&mut self, expr: &'ast Expr) {
        // `!(x.len() == 0)` becomes `!x.is_empty()` in one step, not `!(x.is_empty())`.
        if let Expr::Unary(unary) = expr
            && matches!(unary.op, UnOp::Not(_))
            && let Expr::Paren(paren) = &*unary.expr
            && let Some((recv, asks)) = emptiness_test(strip_parens(&paren.expr))
        {
            self.report(expr, recv, asks.flip());
            visit::visit_expr(self, recv);
            return;
        }
        if let Some((recv, asks)) = emptiness_test(expr) {
            self.report(expr, recv, asks);
            visit::visit_expr(self, recv);
            return;
        }
        visit::visit_expr(self, expr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::skill::testing::{fixed, found};

    #[test]
    fn finds_every_form_of_the_comparison() {
        let text = "fn f(v: Vec<u8>, s: &str) -> bool {\n    v.len() == 0 || 0 == v.len() || s.len() != 0 || s.len() > 0\n        || v.len() >= 1 || v.len() < 1 || 0 != s.len() || 0 < s.len() || 1 <= s.len() || 1 > v.len()\n}\n";
        assert_eq!(found(&LenZero, text).len(), 10);
        assert_eq!(
            fixed(&LenZero, text),
            "fn f(v: Vec<u8>, s: &str) -> bool {\n    v.is_empty() || v.is_empty() || !s.is_empty() || !s.is_empty()\n        || !v.is_empty() || v.is_empty() || !s.is_empty() || !s.is_empty() || !s.is_empty() || v.is_empty()\n}\n"
        );
    }

    #[test]
    fn keeps_complex_receivers_and_handles_negation() {
        let text = "fn f(a: &[Vec<u8>], b: &str) {\n    if !(a[0].len() == 0) {}\n    if !(b.trim().len() > 0) {}\n    let _ = (a.iter().map(|x| x.len()).sum::<usize>() as u8, (a.len() == 0).then_some(1));\n}\n";
        assert_eq!(
            fixed(&LenZero, text),
            "fn f(a: &[Vec<u8>], b: &str) {\n    if !a[0].is_empty() {}\n    if b.trim().is_empty() {}\n    let _ = (a.iter().map(|x| x.len()).sum::<usize>() as u8, (a.is_empty()).then_some(1));\n}\n"
        );
    }

    #[test]
    fn leaves_other_comparisons_alone() {
        let text = "fn f(v: &[u8]) -> bool {\n    v.len() == 1 || v.len() > 2 || v.len() <= 0 || v.len(1) == 0 || v.len() == 0u8 || v.count() == 0 || v.len() == ZERO\n}\n";
        assert!(found(&LenZero, text).is_empty());
    }

    #[test]
    fn skips_self_in_types_without_is_empty() {
        let text = "struct Q;\nimpl Q {\n    fn len(&self) -> usize { 0 }\n    fn none(&self) -> bool { self.len() == 0 }\n}\nstruct R;\nimpl R {\n    fn len(&self) -> usize { 0 }\n    fn is_empty(&self) -> bool { self.len() == 0 }\n    fn full(&self) -> bool { self.len() != 0 }\n}\n";
        assert_eq!(found(&LenZero, text), ["self.len() != 0"]);
    }

    #[test]
    fn message_and_key_are_normalised() {
        let d = crate::engine::skill::testing::detect(
            &LenZero,
            "fn f(v: &[u8]) -> bool { v.len()\n    == 0 }",
            SkillContext::default(),
        );
        assert_eq!(
            d[0].message,
            "`v.len() == 0` reads better as `v.is_empty()`"
        );
        assert_eq!(d[0].key, "v . len () == 0");
    }

    #[test]
    fn only_receivers_known_to_have_is_empty_are_fixed() {
        let text = "struct Stack { items: Vec<u8>, name: Name }\nimpl Stack {\n    fn a(&self) -> bool { self.items.len() == 0 }\n    fn b(&self) -> bool { self.name.len() == 0 }\n}\nfn c(it: impl ExactSizeIterator, s: &str, m: &std::collections::HashMap<u8, u8>, b: Box<str>) -> bool {\n    let v = Vec::<u8>::new();\n    let w: Option<Vec<u8>> = None;\n    let s2 = s;\n    it.len() == 0 || s.len() == 0 || m.len() == 0 || b.len() == 0 || v.len() == 0 || w.len() == 0 || s2.len() == 0 || \"x\".len() == 0\n}\nfn d(v: Vec<u8>) -> bool { let v = v.into_iter(); v.len() == 0 }\n";
        let found = crate::engine::skill::testing::detect(&LenZero, text, SkillContext::default());
        // As the scan decides it for a crate of this one file.
        let file = crate::engine::skill::testing::parse(text);
        let facts = LenZero.crate_facts(&file, &SkillContext::default());
        let fixable: Vec<(String, bool)> = found
            .iter()
            .map(|d| {
                let needs_met = d.fix_needs.as_ref().is_none_or(|n| facts.contains(&n.fact));
                (
                    text[d.range.clone()].to_owned(),
                    d.edits.is_some() && needs_met,
                )
            })
            .collect();
        let expect = |s: &str, fix: bool| (s.to_owned(), fix);
        assert_eq!(
            fixable,
            [
                expect("self.items.len() == 0", true),
                expect("self.name.len() == 0", false),
                expect("it.len() == 0", false),
                expect("s.len() == 0", true),
                expect("m.len() == 0", true),
                expect("b.len() == 0", true),
                expect("v.len() == 0", true),
                expect("w.len() == 0", false),
                expect("s2.len() == 0", true),
                expect("\"x\".len() == 0", true),
                expect("v.len() == 0", false),
            ]
        );
        assert_eq!(
            found[2].message,
            "`it.len() == 0` may read better with `is_empty()` (not fixed automatically: the type of `it` is not known to have `is_empty`)"
        );
    }

    #[test]
    fn a_field_or_type_from_another_file_is_fixed_when_that_file_says_it_has_is_empty() {
        let text = "impl Canvas {\n    fn none(&self) -> bool { self.shapes.len() == 0 }\n}\nfn f(bag: &Bag) -> bool { bag.len() == 0 }\n";
        let found = crate::engine::skill::testing::detect(&LenZero, text, SkillContext::default());
        let needs: Vec<&str> = found
            .iter()
            .map(|d| d.fix_needs.as_ref().unwrap().fact.as_str())
            .collect();
        assert_eq!(needs, ["field Canvas.shapes", "is-empty Bag"]);
        let other = crate::engine::skill::testing::parse(
            "pub struct Canvas { shapes: Vec<u8> }\npub struct Bag;\nimpl Bag { pub fn is_empty(&self) -> bool { true } }\n",
        );
        assert_eq!(
            LenZero.crate_facts(&other, &SkillContext::default()),
            ["field Canvas.shapes", "is-empty Bag"]
        );
    }
}
