//! `inline-format-args`: positional format arguments that are plain
//! identifiers move into the format string: `println!("{} {:?}", a, b)`
//! becomes `println!("{a} {b:?}")`.
//!
//! The format string is parsed from its *source text* (escapes skipped), so
//! the rewrite keeps the literal exactly as written apart from the
//! placeholders it changes. Left alone: arguments that are expressions or
//! paths, an argument used by several placeholders with different specs,
//! `.*` precision, explicit indices that would need renumbering into a mix,
//! and `panic!`/`assert!`-style messages before edition 2021, where a lone
//! string literal is not a format string.

mod placeholders;

use std::collections::BTreeMap;
use std::ops::Range;

use syn::punctuated::Punctuated;
use syn::visit::{self, Visit};
use syn::{Expr, Token};

use crate::engine::edit::Edit;
use crate::engine::skill::{Detection, Skill, SkillContext};
use crate::engine::source::{SourceFile, glance_args, normalized_tokens};
use crate::engine::workspace::Edition;
use crate::vocab::risk::Risk;
use placeholders::{ArgRef, Count, parse_placeholders};

#[derive(Debug)]
pub struct InlineFormatArgs;

impl Skill for InlineFormatArgs {
    fn id(&self) -> &'static str {
        "inline-format-args"
    }

    fn description(&self) -> &'static str {
        "positional format arguments that can be written inside the format string"
    }

    fn rationale(&self) -> &'static str {
        "Since Rust 1.58 identifiers can be captured in format strings; `{name}` keeps each \
         value next to where it is printed and removes a class of argument-order mistakes."
    }

    fn title(&self) -> &'static str {
        "Inline format arguments"
    }

    fn risk(&self) -> Risk {
        Risk::Low
    }

    fn can_fix(&self) -> bool {
        true
    }

    fn check(&self, file: &SourceFile, cx: &SkillContext<'_>) -> Vec<Detection> {
        // Captured identifiers need Rust 1.58.
        if cx.rust_version.is_some_and(|v| v < (1, 58)) {
            return Vec::new();
        }
        let mut finder = Finder {
            file,
            edition: cx.edition,
            out: Vec::new(),
            in_const: 0,
        };
        finder.visit_file(file.ast());
        finder.out
    }
}

/// Every macro [`format_macro`] knows.
const FORMAT_MACROS: [&str; 18] = [
    "format",
    "format_args",
    "print",
    "println",
    "eprint",
    "eprintln",
    "write",
    "writeln",
    "panic",
    "unreachable",
    "todo",
    "unimplemented",
    "assert",
    "debug_assert",
    "assert_eq",
    "assert_ne",
    "debug_assert_eq",
    "debug_assert_ne",
];

/// Where the format string sits among a macro's arguments, and whether the
/// macro treats a lone literal as unformatted before edition 2021.
fn format_macro(name: &str) -> Option<(usize, bool)> {
    Some(match name {
        "format" | "format_args" | "print" | "println" | "eprint" | "eprintln" => (0, false),
        "write" | "writeln" => (1, false),
        "panic" | "unreachable" | "todo" | "unimplemented" => (0, true),
        "assert" | "debug_assert" => (1, true),
        "assert_eq" | "assert_ne" | "debug_assert_eq" | "debug_assert_ne" => (2, true),
        _ => return None,
    })
}

struct Finder<'a> {
    file: &'a SourceFile,
    edition: Edition,
    out: Vec<Detection>,
    /// Inside a `const fn`, a `const` or a `static`: there `panic!("{}", s)`
    /// compiles and `panic!("{s}")` does not (E0015).
    in_const: usize,
}

impl Finder<'_> {
    fn check_macro(&mut self, mac: &syn::Macro) {
        let Some(name) = macro_name(mac) else { return };
        let format = format_macro(name);
        if (format.is_some() || name == "vec") && !self.worth_parsing(mac, format) {
            return;
        }
        let args = if let Some((fmt_index, lone_literal_rule)) = format {
            let Ok(args) = mac.parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated)
            else {
                return;
            };
            let old_panic_rules = lone_literal_rule && self.edition < Edition::E2021;
            if !old_panic_rules && let Some(detection) = self.rewrite(mac, &args, fmt_index) {
                self.out.push(detection);
            }
            args
        } else if name == "vec" {
            match mac.parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated) {
                Ok(args) => args,
                Err(_) => return,
            }
        } else {
            return;
        };
        // Format macros nest (`println!("{}", format!("{}", x))`): their
        // arguments are parsed here, so visit them too.
        for arg in &args {
            self.visit_expr(arg);
        }
    }

    /// Whether the body, parsed, could give a detection (a bare identifier
    /// after the format string) or hold another macro call. Most calls do
    /// neither, and their text says so for less than a parse costs.
    fn worth_parsing(&self, mac: &syn::Macro, format: Option<(usize, bool)>) -> bool {
        let Some(body) = self.file.macro_body(mac) else {
            return true;
        };
        let glance = glance_args(body);
        glance.bang
            || format.is_some_and(|(fmt_index, _)| {
                glance.bare_identifiers.iter().any(|&i| i > fmt_index)
            })
    }

    fn rewrite(
        &self,
        mac: &syn::Macro,
        args: &Punctuated<Expr, Token![,]>,
        fmt_index: usize,
    ) -> Option<Detection> {
        let elems: Vec<&Expr> = args.iter().collect();
        let Expr::Lit(lit) = elems.get(fmt_index)? else {
            return None;
        };
        let syn::Lit::Str(lit_str) = &lit.lit else {
            return None;
        };
        if !lit_str.suffix().is_empty() || !lit.attrs.is_empty() {
            return None;
        }
        let lit_range = self.file.range_of(lit);
        let lit_text = self.file.slice(lit_range.clone());
        let placeholders = parse_placeholders(lit_text)?;

        let rest = &elems[fmt_index + 1..];
        let positional: Vec<&Expr> = rest
            .iter()
            .copied()
            .take_while(|e| named_arg(e).is_none())
            .collect();
        let named: Vec<String> = rest.iter().filter_map(|e| named_arg(e)).collect();
        if rest[positional.len()..]
            .iter()
            .any(|e| named_arg(e).is_none())
        {
            return None;
        }

        // Which placeholders use each positional argument, and how.
        let mut uses: BTreeMap<usize, Vec<(usize, Role)>> = BTreeMap::new();
        let mut next_implicit = 0;
        for (i, p) in placeholders.iter().enumerate() {
            if p.star_precision {
                return None;
            }
            let value = match &p.arg {
                ArgRef::Implicit => {
                    next_implicit += 1;
                    Some(next_implicit - 1)
                }
                ArgRef::Index(n) => Some(*n),
                ArgRef::Name(_) => None,
            };
            if let Some(n) = value {
                uses.entry(n).or_default().push((i, Role::Value));
            }
            for (count, role) in [(&p.width, Role::Width), (&p.precision, Role::Precision)] {
                if let Some(Count {
                    arg: ArgRef::Index(n),
                    ..
                }) = count
                {
                    uses.entry(*n).or_default().push((i, role));
                }
            }
        }
        if uses.keys().any(|&n| n >= positional.len()) || uses.len() != positional.len() {
            return None; // the macro call does not compile as it is
        }

        let inline: BTreeMap<usize, String> = positional
            .iter()
            .enumerate()
            .filter_map(|(n, expr)| {
                let ident = plain_identifier(expr)?;
                if named.contains(&ident) {
                    return None;
                }
                let value_specs: Vec<&str> = uses[&n]
                    .iter()
                    .filter(|(_, role)| *role == Role::Value)
                    .map(|(i, _)| placeholders[*i].spec.as_str())
                    .collect();
                value_specs
                    .windows(2)
                    .all(|w| w[0] == w[1])
                    .then_some((n, ident))
            })
            .collect();
        if inline.is_empty() {
            return None;
        }
        let renumber = |n: usize| n - inline.keys().filter(|&&k| k < n).count();

        // Rewrite the literal; implicit placeholders must still line up.
        let mut literal_edits: Vec<(Range<usize>, String)> = Vec::new();
        let mut remaining_implicit = 0;
        let mut next_implicit = 0;
        for p in &placeholders {
            match &p.arg {
                ArgRef::Implicit => {
                    let n = next_implicit;
                    next_implicit += 1;
                    if let Some(name) = inline.get(&n) {
                        literal_edits.push((p.arg_range.clone(), name.clone()));
                    } else {
                        if renumber(n) != remaining_implicit {
                            return None;
                        }
                        remaining_implicit += 1;
                    }
                }
                ArgRef::Index(n) => {
                    let text = inline
                        .get(n)
                        .cloned()
                        .unwrap_or_else(|| renumber(*n).to_string());
                    literal_edits.push((p.arg_range.clone(), text));
                }
                ArgRef::Name(_) => {}
            }
            for count in [&p.width, &p.precision].into_iter().flatten() {
                if let ArgRef::Index(n) = count.arg {
                    let text = inline
                        .get(&n)
                        .cloned()
                        .unwrap_or_else(|| renumber(n).to_string());
                    literal_edits.push((count.range.clone(), text));
                }
            }
        }
        let mut new_literal = String::with_capacity(lit_text.len() + 16);
        let mut pos = 0;
        literal_edits.sort_by_key(|(r, _)| r.start);
        for (range, text) in &literal_edits {
            new_literal.push_str(&lit_text[pos..range.start]);
            new_literal.push_str(text);
            pos = range.end;
        }
        new_literal.push_str(&lit_text[pos..]);

        // Remove each inlined argument with the comma before it; give up
        // rather than delete a comment that sits in between.
        let mut edits = vec![Edit::replace(lit_range, new_literal.clone())];
        for &n in inline.keys() {
            let index = fmt_index + 1 + n;
            let prev_end = self.file.range_of(elems[index - 1]).end;
            let arg_end = self.file.range_of(elems[index]).end;
            let gap = self
                .file
                .slice(prev_end..self.file.range_of(elems[index]).start);
            if !gap.chars().all(|c| c.is_whitespace() || c == ',') {
                return None;
            }
            edits.push(Edit::delete(prev_end..arg_end));
        }

        let names: Vec<String> = inline.values().map(|n| format!("`{n}`")).collect();
        Some(Detection {
            fix_needs: None,
            range: self.file.range_of(mac),
            message: format!(
                "{} can be inlined into the format string: {}",
                names.join(", "),
                shorten(&new_literal)
            ),
            key: format!(
                "{}! {}",
                normalized_tokens(&mac.path),
                normalized_tokens(&mac.tokens)
            ),
            edits: Some(edits),
        })
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() <= 60 {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(59).collect::<String>())
    }
}

/// The macro's name when it is one of the standard ones (`println`,
/// `std::println`, `::core::panic`…).
fn macro_name(mac: &syn::Macro) -> Option<&'static str> {
    let last = &mac.path.segments.last()?.ident;
    // Compared in place: most macros are none of these, and naming each
    // one would cost an allocation.
    let name = FORMAT_MACROS
        .iter()
        .chain(&["vec"])
        .find(|name| last == *name)?;
    let qualified_ok = mac
        .path
        .segments
        .iter()
        .rev()
        .skip(1)
        .all(|s| s.ident == "std" || s.ident == "core" || s.ident == "alloc");
    qualified_ok.then_some(name)
}

/// `name = value` as a named format argument.
fn named_arg(expr: &Expr) -> Option<String> {
    let Expr::Assign(assign) = expr else {
        return None;
    };
    let Expr::Path(path) = &*assign.left else {
        return None;
    };
    path.path.get_ident().map(|i| i.to_string())
}

/// A single identifier that format strings can capture (not `self`, not a
/// raw identifier, no generic arguments).
fn plain_identifier(expr: &Expr) -> Option<String> {
    let Expr::Path(path) = expr else { return None };
    if path.qself.is_some() || !path.attrs.is_empty() {
        return None;
    }
    let ident = path.path.get_ident()?.to_string();
    if ident.starts_with("r#") || matches!(ident.as_str(), "self" | "Self" | "super" | "crate") {
        return None;
    }
    Some(ident)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    Value,
    Width,
    Precision,
}

impl Finder<'_> {
    fn in_const_if(&mut self, constant: bool, visit: impl FnOnce(&mut Self)) {
        self.in_const += usize::from(constant);
        visit(self);
        self.in_const -= usize::from(constant);
    }
}

impl<'ast> Visit<'ast> for Finder<'_> {
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if self.in_const == 0 {
            self.check_macro(mac);
        }
        visit::visit_macro(self, mac);
    }

    fn visit_item_fn(&mut self, node: &'ast syn::ItemFn) {
        let constant = node.sig.constness.is_some();
        self.in_const_if(constant, |s| visit::visit_item_fn(s, node));
    }

    fn visit_impl_item_fn(&mut self, node: &'ast syn::ImplItemFn) {
        let constant = node.sig.constness.is_some();
        self.in_const_if(constant, |s| visit::visit_impl_item_fn(s, node));
    }

    fn visit_trait_item_fn(&mut self, node: &'ast syn::TraitItemFn) {
        let constant = node.sig.constness.is_some();
        self.in_const_if(constant, |s| visit::visit_trait_item_fn(s, node));
    }

    fn visit_item_const(&mut self, node: &'ast syn::ItemConst) {
        self.in_const_if(true, |s| visit::visit_item_const(s, node));
    }

    fn visit_item_static(&mut self, node: &'ast syn::ItemStatic) {
        self.in_const_if(true, |s| visit::visit_item_static(s, node));
    }

    fn visit_expr_const(&mut self, node: &'ast syn::ExprConst) {
        self.in_const_if(true, |s| visit::visit_expr_const(s, node));
    }

    // A function inside a constant runs at run time.
    fn visit_expr_closure(&mut self, node: &'ast syn::ExprClosure) {
        let outer = std::mem::take(&mut self.in_const);
        visit::visit_expr_closure(self, node);
        self.in_const = outer;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::skill::testing::{fixed, fixed_with, found};

    fn fix(body: &str) -> String {
        let text = format!("fn f() {{\n    {body}\n}}\n");
        let out = fixed(&InlineFormatArgs, &text);
        out.trim_start_matches("fn f() {\n    ")
            .trim_end_matches("\n}\n")
            .to_owned()
    }

    #[test]
    fn inlines_plain_identifiers_with_their_specs() {
        assert_eq!(
            fix(r#"println!("{} and {:?}", a, b);"#),
            r#"println!("{a} and {b:?}");"#
        );
        assert_eq!(
            fix(r#"let s = format!("[{:>8}]", name);"#),
            r#"let s = format!("[{name:>8}]");"#
        );
        assert_eq!(
            fix(r#"write!(f, "{:#x}", value)?;"#),
            r#"write!(f, "{value:#x}")?;"#
        );
        assert_eq!(
            fix(r#"assert_eq!(a, b, "{} != {}", a, b);"#),
            r#"assert_eq!(a, b, "{a} != {b}");"#
        );
        assert_eq!(fix(r#"panic!("bad {}", x);"#), r#"panic!("bad {x}");"#);
        assert_eq!(
            fix(r#"eprintln!("{0} {0}", x);"#),
            r#"eprintln!("{x} {x}");"#
        );
        assert_eq!(
            fix(r#"println!("{:>1$}", x, width);"#),
            r#"println!("{x:>width$}");"#
        );
        assert_eq!(
            fix("std::println!(r#\"{}\"#, x);"),
            "std::println!(r#\"{x}\"#);"
        );
    }

    #[test]
    fn keeps_expressions_and_renumbers_the_rest() {
        assert_eq!(
            fix(r#"println!("{} {}", a.b, x);"#),
            r#"println!("{} {x}", a.b);"#
        );
        assert_eq!(
            fix(r#"println!("{} {}", x, a.b);"#),
            r#"println!("{x} {}", a.b);"#
        );
        assert_eq!(
            fix(r#"println!("{1} {0}", a.b, x);"#),
            r#"println!("{x} {0}", a.b);"#
        );
        assert_eq!(
            fix(r#"println!("{1} {}", x, a.b);"#),
            r#"println!("{0} {x}", a.b);"#
        );
        assert_eq!(
            fix(r#"println!("{} {n}", x, n = 3);"#),
            r#"println!("{x} {n}", n = 3);"#
        );
    }

    #[test]
    fn multi_line_calls_keep_their_layout() {
        let text = "fn f() {\n    println!(\n        \"{} {}\",\n        first,\n        second,\n    );\n}\n";
        assert_eq!(
            fixed(&InlineFormatArgs, text),
            "fn f() {\n    println!(\n        \"{first} {second}\",\n    );\n}\n"
        );
    }

    #[test]
    fn escapes_and_literal_braces_survive() {
        assert_eq!(
            fix(r#"println!("{{}} \u{1F600} \"{}\"\n", x);"#),
            r#"println!("{{}} \u{1F600} \"{x}\"\n");"#
        );
    }

    #[test]
    fn every_named_format_macro_is_known() {
        assert!(FORMAT_MACROS.iter().all(|m| format_macro(m).is_some()));
    }

    #[test]
    fn nested_macros_are_found() {
        let text =
            "fn f() { println!(\"{}\", format!(\"{}\", x)); let v = vec![format!(\"{}\", y)]; }\n";
        assert_eq!(found(&InlineFormatArgs, text).len(), 2);
    }

    #[test]
    fn leaves_alone_what_does_not_rewrite_cleanly() {
        let cases = [
            r#"println!("{}", a.b);"#,
            r#"println!("{}", self);"#,
            r#"println!("{}", r#type);"#,
            r#"println!("{}", Vec::<u8>::new);"#,
            r#"println!("{0} {0:?}", x);"#,
            r#"println!("{:.*}", 2, x);"#,
            r#"println!("{} {x}", x, x = 1);"#,
            r#"println!("\x7b{}", x);"#,
            r#"println!(concat!("{}", "!"), x);"#,
            r#"my_macro!("{}", x);"#,
            r#"writeln!(f);"#,
            r#"println!("{}", /* note */ x);"#,
        ];
        for case in cases {
            let text = format!("fn f() {{ {case} }}\n");
            assert!(
                found(&InlineFormatArgs, &text).is_empty(),
                "should leave alone: {case}"
            );
        }
    }

    #[test]
    fn old_editions_keep_panic_messages() {
        let text = "fn f() { panic!(\"{}\", x); assert!(c, \"{}\", x); println!(\"{}\", x); }\n";
        let cx = SkillContext {
            edition: Edition::E2018,
            ..SkillContext::default()
        };
        assert_eq!(
            fixed_with(&InlineFormatArgs, text, cx),
            "fn f() { panic!(\"{}\", x); assert!(c, \"{}\", x); println!(\"{x}\"); }\n"
        );
        let old_rust = SkillContext {
            rust_version: Some((1, 56)),
            ..SkillContext::default()
        };
        assert!(
            crate::engine::skill::testing::detect(&InlineFormatArgs, text, old_rust).is_empty()
        );
    }

    #[test]
    fn placeholder_parsing() {
        let p = parse_placeholders(r#""a {} {0:>8.3} {name:x?} {:1$} {:.prec$}""#).unwrap();
        let args: Vec<ArgRef> = p.iter().map(|p| p.arg.clone()).collect();
        assert_eq!(
            args,
            [
                ArgRef::Implicit,
                ArgRef::Index(0),
                ArgRef::Name("name".into()),
                ArgRef::Implicit,
                ArgRef::Implicit
            ]
        );
        assert_eq!(p[3].width.as_ref().unwrap().arg, ArgRef::Index(1));
        assert_eq!(
            p[4].precision.as_ref().unwrap().arg,
            ArgRef::Name("prec".into())
        );
        assert!(parse_placeholders(r#""unbalanced }""#).is_none());
        assert!(parse_placeholders(r#""{:{}}""#).is_none());
        assert!(parse_placeholders(r#""\u{7d}""#).is_none());
        assert_eq!(parse_placeholders(r##"r#"{}"#"##).unwrap().len(), 1);
        assert_eq!(
            parse_placeholders(r#""{:08} {:+} {:<5} {:*^9}""#)
                .unwrap()
                .len(),
            4
        );
    }
}
