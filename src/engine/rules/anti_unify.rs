//! One hand-made change as a rule: the smallest expression that changed,
//! before and after, with the code that the change carried over (the same
//! expression on both sides) turned into metavariables. `x.clone()` →
//! `Arc::clone(&x)` and `self.cfg.clone()` → `Arc::clone(&self.cfg)` both
//! become `$A.clone()` → `Arc::clone(&$A)`: changes of the same kind meet
//! in the same pattern.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use quote::ToTokens;
use syn::Expr;
use syn::punctuated::Punctuated;
use syn::visit::{self, Visit};
use syn::visit_mut::{self, VisitMut};

use crate::engine::source::SourceFile;

/// The expressions (and statement macro calls) of a file by their byte
/// ranges, those in macro arguments included.
pub fn node_ranges(file: &SourceFile) -> Vec<Range<usize>> {
    struct Ranges<'f> {
        file: &'f SourceFile,
        out: Vec<Range<usize>>,
    }
    impl<'ast> Visit<'ast> for Ranges<'_> {
        fn visit_expr(&mut self, expr: &'ast Expr) {
            self.out.push(self.file.range_of(expr));
            visit::visit_expr(self, expr);
        }
        fn visit_stmt_macro(&mut self, stmt: &'ast syn::StmtMacro) {
            self.out.push(self.file.range_of(&stmt.mac));
            visit::visit_stmt_macro(self, stmt);
        }
        // A change inside `debug!(…, x.is_some())` is a change of that
        // argument, when the body reads as arguments.
        fn visit_macro(&mut self, mac: &'ast syn::Macro) {
            if let Some(args) = macro_args(mac) {
                args.iter().for_each(|e| self.visit_expr(e));
            }
        }
    }
    let mut ranges = Ranges {
        file,
        out: Vec::new(),
    };
    ranges.visit_file(file.ast());
    ranges.out
}

/// The smallest of `ranges` that holds `core` (a point when empty: then
/// strictly inside).
pub fn smallest_around(ranges: &[Range<usize>], core: &Range<usize>) -> Option<Range<usize>> {
    ranges
        .iter()
        .filter(|r| match core.is_empty() {
            true => r.start < core.start && core.start < r.end,
            false => r.start <= core.start && core.end <= r.end,
        })
        .min_by_key(|r| r.len())
        .cloned()
}

/// A change as a pattern pair: (`match`, `fix`), with `$A`, `$B`, … for
/// the code both sides share, or `None` when the change is not one
/// expression becoming another.
pub fn generalize(before: &str, after: &str, max_tokens: usize) -> Option<(String, String)> {
    let mut before: Expr = syn::parse_str(before).ok()?;
    let mut after: Expr = syn::parse_str(after).ok()?;
    // A name or a literal swapped for another is a rename, not a fix.
    if before.to_token_stream().into_iter().count() > max_tokens
        || matches!(before, Expr::Path(_) | Expr::Lit(_))
    {
        return None;
    }
    // Macro calls whose bodies are the same: only the macro changed.
    if let (Expr::Macro(b), Expr::Macro(a)) = (&mut before, &mut after)
        && b.mac.tokens.to_string() == a.mac.tokens.to_string()
        && !b.mac.tokens.is_empty()
    {
        let seq: proc_macro2::TokenStream = "__pw_s_ARGS".parse().ok()?;
        b.mac.tokens = seq.clone();
        a.mac.tokens = seq;
        return Some((print(&before)?, print(&after)?));
    }
    let mut inside_before = Collect::default();
    inside_before.visit_expr(&before);
    inside_before
        .all
        .remove(&before.to_token_stream().to_string());
    // The largest pieces of `after` that `before` has too.
    let mut shared = Shared {
        before: &inside_before.all,
        found: HashSet::new(),
        root: true,
    };
    shared.visit_expr(&after);
    let mut names = HashMap::new();
    let mut rename = Rename {
        shared: &shared.found,
        names: &mut names,
        assign: true,
        root: true,
    };
    rename.visit_expr_mut(&mut before);
    let mut rename = Rename {
        shared: &shared.found,
        names: &mut names,
        assign: false,
        root: true,
    };
    rename.visit_expr_mut(&mut after);
    let (before, after) = (print(&before)?, print(&after)?);
    (before != after).then_some((before, after))
}

#[derive(Default)]
struct Collect {
    all: HashSet<String>,
}

impl<'ast> Visit<'ast> for Collect {
    fn visit_expr(&mut self, expr: &'ast Expr) {
        self.all.insert(expr.to_token_stream().to_string());
        visit::visit_expr(self, expr);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if let Some(args) = macro_args(mac) {
            args.iter().for_each(|e| self.visit_expr(e));
        }
    }
}

/// A macro call's body as comma-separated expressions, when it is that
/// (`format!`, `matches!`, `vec!`, `assert_eq!`), so that code carried
/// into or out of a macro call is seen as carried.
fn macro_args(mac: &syn::Macro) -> Option<Punctuated<Expr, syn::Token![,]>> {
    use syn::parse::Parser;
    Punctuated::<Expr, syn::Token![,]>::parse_terminated
        .parse2(mac.tokens.clone())
        .ok()
}

struct Shared<'a> {
    before: &'a HashSet<String>,
    found: HashSet<String>,
    root: bool,
}

impl<'ast> Visit<'ast> for Shared<'_> {
    fn visit_expr(&mut self, expr: &'ast Expr) {
        let root = std::mem::replace(&mut self.root, false);
        let text = expr.to_token_stream().to_string();
        if !root && self.before.contains(&text) {
            self.found.insert(text);
            return;
        }
        visit::visit_expr(self, expr);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if let Some(args) = macro_args(mac) {
            args.iter().for_each(|e| self.visit_expr(e));
        }
    }
}

/// Replaces each shared piece with its metavariable; names are given in
/// the order the pieces stand in `before`.
struct Rename<'a> {
    shared: &'a HashSet<String>,
    names: &'a mut HashMap<String, String>,
    assign: bool,
    root: bool,
}

impl VisitMut for Rename<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        let root = std::mem::replace(&mut self.root, false);
        let text = expr.to_token_stream().to_string();
        if !root && self.shared.contains(&text) {
            let count = self.names.len();
            let name = match (self.names.get(&text), self.assign) {
                (Some(name), _) => name.clone(),
                (None, true) => {
                    let name = metavariable_name(count);
                    self.names.insert(text, name.clone());
                    name
                }
                (None, false) => return,
            };
            if let Ok(path) = syn::parse_str::<Expr>(&format!("__pw_v_{name}")) {
                *expr = path;
            }
            return;
        }
        visit_mut::visit_expr_mut(self, expr);
    }

    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        if let Some(mut args) = macro_args(mac) {
            args.iter_mut().for_each(|e| self.visit_expr_mut(e));
            mac.tokens = args.into_token_stream();
        }
    }
}

/// `A`, `B`, … `Z`, `A1`, `B1`, …
fn metavariable_name(i: usize) -> String {
    let letter = char::from(b'A' + (i % 26) as u8);
    match i / 26 {
        0 => letter.to_string(),
        n => format!("{letter}{n}"),
    }
}

/// An expression as rustfmt-like text, metavariables written as such.
fn print(expr: &Expr) -> Option<String> {
    // Built, not parsed: any expression can stand as the statement.
    let mut file: syn::File = syn::parse_str("fn pattern() {}").ok()?;
    let Some(syn::Item::Fn(function)) = file.items.first_mut() else {
        return None;
    };
    function
        .block
        .stmts
        .push(syn::Stmt::Expr(expr.clone(), Some(Default::default())));
    let text = prettyplease::unparse(&file);
    let body = text.split_once('{')?.1.rsplit_once('}')?.0;
    let lines: Vec<&str> = body.lines().filter(|l| !l.trim().is_empty()).collect();
    let indent = lines
        .iter()
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let joined = lines
        .iter()
        .map(|l| &l[indent.min(l.len())..])
        .collect::<Vec<_>>()
        .join("\n");
    let joined = joined.trim_end().strip_suffix(';').unwrap_or(&joined);
    Some(joined.replace("__pw_s_", "$$$").replace("__pw_v_", "$"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(before: &str, after: &str) -> Option<(String, String)> {
        generalize(before, after, 40)
    }

    #[test]
    fn shared_code_becomes_metavariables_named_in_order() {
        assert_eq!(
            pair("x.clone()", "Arc::clone(&x)"),
            Some(("$A.clone()".into(), "Arc::clone(&$A)".into()))
        );
        assert_eq!(
            pair("self.config.clone()", "Arc::clone(&self.config)"),
            Some(("$A.clone()".into(), "Arc::clone(&$A)".into()))
        );
        assert_eq!(
            pair("a.max(b) + c", "c + b.max(a)"),
            Some(("$A.max($B) + $C".into(), "$C + $B.max($A)".into()))
        );
        assert_eq!(
            pair("items.len() == 0", "items.is_empty()"),
            Some(("$A.len() == 0".into(), "$A.is_empty()".into()))
        );
    }

    #[test]
    fn a_changed_macro_with_the_same_body_keeps_its_arguments() {
        assert_eq!(
            pair("eprintln!(\"bad {}\", x)", "log_warn!(\"bad {}\", x)"),
            Some(("eprintln!($$$ARGS)".into(), "log_warn!($$$ARGS)".into()))
        );
    }

    #[test]
    fn code_carried_into_a_macro_call_is_shared() {
        assert_eq!(
            pair("value.is_some()", "matches!(value, Some(_))"),
            Some(("$A.is_some()".into(), "matches!($A, Some(_))".into()))
        );
    }

    #[test]
    fn what_is_not_an_expression_change_is_none() {
        assert_eq!(pair("fn f() {}", "fn g() {}"), None);
        assert_eq!(pair("x", "y"), None);
        assert_eq!(pair("1", "2"), None);
    }

    #[test]
    fn the_smallest_node_around_a_change_is_found() {
        let ranges = [0..20, 5..12, 6..8];
        assert_eq!(smallest_around(&ranges, &(6..7)), Some(6..8));
        assert_eq!(smallest_around(&ranges, &(4..9)), Some(0..20));
        assert_eq!(smallest_around(&ranges, &(8..8)), Some(5..12));
    }
}
