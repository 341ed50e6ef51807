//! Measurements of a file for the `report` command: line counts, items by
//! kind, public items, and per-function length and cyclomatic complexity.
//!
//! Complexity is McCabe's count over the syn tree: 1, plus one for each
//! `if`, `while`, `for`, match arm after the first, match guard, `&&`, `||`
//! and `?`. Closures count toward their function; nested functions are
//! measured on their own.

use std::collections::BTreeMap;

use serde::Serialize;
use syn::visit::{self, Visit};

use crate::engine::items::{ItemIndex, ItemKind};
use crate::engine::source::{LineCounts, SourceFile, count_lines};

/// What `report` needs from one file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FileMetrics {
    pub lines: LineCounts,
    pub items: BTreeMap<ItemKind, usize>,
    pub public_items: usize,
    pub functions: Vec<FunctionMetrics>,
}

/// One function or method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunctionMetrics {
    pub name: String,
    pub line: usize,
    pub lines: usize,
    pub complexity: usize,
}

impl FileMetrics {
    pub fn measure(file: &SourceFile, items: &ItemIndex) -> Self {
        let mut metrics = FileMetrics {
            lines: count_lines(file.text(), file.comments()),
            ..FileMetrics::default()
        };
        for entry in items.entries() {
            *metrics.items.entry(entry.kind).or_default() += 1;
            if entry.public {
                metrics.public_items += 1;
            }
        }
        let mut fns = Functions {
            file,
            items,
            out: Vec::new(),
        };
        fns.visit_file(file.ast());
        metrics.functions = fns.out;
        metrics
    }
}

struct Functions<'a> {
    file: &'a SourceFile,
    items: &'a ItemIndex,
    out: Vec<FunctionMetrics>,
}

impl Functions<'_> {
    fn measure(&mut self, sig: &syn::Signature, block: &syn::Block) {
        let start = self.file.range_of(sig).start;
        let end = self.file.range_of(block).end;
        let first = self.file.line_col(start).line;
        let last = self.file.line_col(end).line;
        let mut counter = Complexity { count: 1 };
        counter.visit_block(block);
        self.out.push(FunctionMetrics {
            name: self.items.chain_at(&(start..end)).to_owned(),
            line: first,
            lines: last - first + 1,
            complexity: counter.count,
        });
    }
}

impl<'ast> Visit<'ast> for Functions<'_> {
    fn visit_item_fn(&mut self, node: &'ast syn::ItemFn) {
        self.measure(&node.sig, &node.block);
        visit::visit_item_fn(self, node);
    }

    fn visit_impl_item_fn(&mut self, node: &'ast syn::ImplItemFn) {
        self.measure(&node.sig, &node.block);
        visit::visit_impl_item_fn(self, node);
    }

    fn visit_trait_item_fn(&mut self, node: &'ast syn::TraitItemFn) {
        if let Some(block) = &node.default {
            self.measure(&node.sig, block);
        }
        visit::visit_trait_item_fn(self, node);
    }
}

struct Complexity {
    count: usize,
}

impl<'ast> Visit<'ast> for Complexity {
    // Nested items are measured on their own.
    fn visit_item(&mut self, _: &'ast syn::Item) {}

    fn visit_expr_if(&mut self, node: &'ast syn::ExprIf) {
        self.count += 1;
        visit::visit_expr_if(self, node);
    }

    fn visit_expr_while(&mut self, node: &'ast syn::ExprWhile) {
        self.count += 1;
        visit::visit_expr_while(self, node);
    }

    fn visit_expr_for_loop(&mut self, node: &'ast syn::ExprForLoop) {
        self.count += 1;
        visit::visit_expr_for_loop(self, node);
    }

    fn visit_expr_match(&mut self, node: &'ast syn::ExprMatch) {
        self.count += node.arms.len().saturating_sub(1);
        visit::visit_expr_match(self, node);
    }

    fn visit_pat_guard(&mut self, node: &'ast syn::PatGuard) {
        self.count += 1;
        visit::visit_pat_guard(self, node);
    }

    fn visit_expr_binary(&mut self, node: &'ast syn::ExprBinary) {
        if matches!(node.op, syn::BinOp::And(_) | syn::BinOp::Or(_)) {
            self.count += 1;
        }
        visit::visit_expr_binary(self, node);
    }

    fn visit_expr_try(&mut self, node: &'ast syn::ExprTry) {
        self.count += 1;
        visit::visit_expr_try(self, node);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measure(text: &str) -> FileMetrics {
        let file = SourceFile::parse("src/lib.rs".parse().unwrap(), text.to_owned()).unwrap();
        let items = ItemIndex::build(&file);
        FileMetrics::measure(&file, &items)
    }

    #[test]
    fn counts_complexity_per_function() {
        let m = measure(
            "fn simple() {}\n\nfn branchy(x: Option<u8>, a: bool, b: bool) -> Option<u8> {\n    if a && b || !a {\n        return None;\n    } else if b {\n        for _ in 0..3 {}\n    }\n    let v = x?;\n    match v {\n        0 => Some(0),\n        n if n > 5 => Some(n),\n        _ => { fn nested() { if true {} } None }\n    }\n}\n",
        );
        let summary: Vec<(&str, usize, usize, usize)> = m
            .functions
            .iter()
            .map(|f| (f.name.as_str(), f.line, f.lines, f.complexity))
            .collect();
        // branchy: 1 + if + && + || + else-if + for + ? + 2 extra arms + guard = 10
        assert_eq!(
            summary,
            [
                ("simple", 1, 1, 1),
                ("branchy", 3, 13, 10),
                ("branchy::nested", 13, 1, 2)
            ]
        );
    }

    #[test]
    fn counts_items_and_public_ones() {
        let m = measure(
            "pub struct A;\nstruct B;\npub fn f() {}\nimpl A { pub fn g(&self) {} }\nuse std::fmt;\n",
        );
        assert_eq!(m.items[&ItemKind::Struct], 2);
        assert_eq!(m.items[&ItemKind::Method], 1);
        assert_eq!(m.public_items, 3);
        assert_eq!(m.lines.code, 5);
    }
}
