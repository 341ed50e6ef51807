//! Where an item starts and ends, read from its first and last tokens.
//! `Spanned::span` turns the whole item back into tokens to find them,
//! which for a method inside an `impl` inside a module is done at every
//! level: the item index paid more for that than for the parse. The items
//! with bodies are answered here from their fields, in the order their
//! `ToTokens` prints them (outer attributes first); the rest fall back to
//! `Spanned`. A test holds both to the same answer on real sources.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{AttrStyle, Attribute, Signature, Visibility};

/// The first and last token of an item, where they are cheap to find.
pub trait ItemEnds {
    fn ends(&self) -> Option<(Span, Span)>;
}

fn first_outer(attrs: &[Attribute]) -> Option<Span> {
    attrs
        .iter()
        .find(|a| matches!(a.style, AttrStyle::Outer))
        .map(|a| a.pound_token.span)
}

fn vis_start(vis: &Visibility) -> Option<Span> {
    match vis {
        Visibility::Public(token) => Some(token.span),
        Visibility::Restricted(r) => Some(r.pub_token.span),
        Visibility::Inherited => None,
    }
}

fn sig_start(sig: &Signature) -> Span {
    sig.constness
        .map(|t| t.span)
        .or(sig.asyncness.map(|t| t.span))
        .or(match &sig.safety {
            syn::Safety::Safe(t) => Some(t.span),
            syn::Safety::Unsafe(t) => Some(t.span),
            syn::Safety::Default => None,
        })
        .or(sig.abi.as_ref().map(|a| a.extern_token.span))
        .unwrap_or(sig.fn_token.span)
}

impl ItemEnds for syn::ItemFn {
    fn ends(&self) -> Option<(Span, Span)> {
        let start = first_outer(&self.attrs)
            .or_else(|| vis_start(&self.vis))
            .unwrap_or_else(|| sig_start(&self.sig));
        Some((start, self.block.brace_token.span.close()))
    }
}

impl ItemEnds for syn::ImplItemFn {
    fn ends(&self) -> Option<(Span, Span)> {
        let start = first_outer(&self.attrs)
            .or_else(|| vis_start(&self.vis))
            .or(self.modifiers.defaultness.map(|t| t.span))
            .unwrap_or_else(|| sig_start(&self.sig));
        Some((start, self.block.brace_token.span.close()))
    }
}

impl ItemEnds for syn::TraitItemFn {
    fn ends(&self) -> Option<(Span, Span)> {
        let start = first_outer(&self.attrs).unwrap_or_else(|| sig_start(&self.sig));
        let end = match (&self.default, &self.semi_token) {
            (Some(block), _) => block.brace_token.span.close(),
            (None, Some(semi)) => semi.spans[0],
            (None, None) => return None,
        };
        Some((start, end))
    }
}

impl ItemEnds for syn::ItemImpl {
    fn ends(&self) -> Option<(Span, Span)> {
        let start = first_outer(&self.attrs)
            .or(self.modifiers.defaultness.map(|t| t.span))
            .or(self.unsafety.map(|t| t.span))
            .unwrap_or(self.impl_token.span);
        Some((start, self.brace_token.span.close()))
    }
}

impl ItemEnds for syn::ItemTrait {
    fn ends(&self) -> Option<(Span, Span)> {
        let start = first_outer(&self.attrs)
            .or_else(|| vis_start(&self.vis))
            .or(self.unsafety.map(|t| t.span))
            .or(self.modifiers.auto_token.map(|t| t.span))
            .unwrap_or(self.trait_token.span);
        Some((start, self.brace_token.span.close()))
    }
}

impl ItemEnds for syn::ItemMod {
    fn ends(&self) -> Option<(Span, Span)> {
        let start = first_outer(&self.attrs)
            .or_else(|| vis_start(&self.vis))
            .or(self.unsafety.map(|t| t.span))
            .unwrap_or(self.mod_token.span);
        let end = match (&self.content, &self.semi) {
            (Some((brace, _)), _) => brace.span.close(),
            (None, Some(semi)) => semi.spans[0],
            (None, None) => return None,
        };
        Some((start, end))
    }
}

/// The span of `node` from its ends where known, else from `Spanned`.
pub fn span_of<T: ItemEnds + Spanned>(node: &T) -> Span {
    match node.ends() {
        Some((start, end)) => start.join(end).unwrap_or_else(|| node.span()),
        None => node.span(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::visit::{self, Visit};

    /// Checks every item with a body against `Spanned`.
    struct Check {
        checked: usize,
        wrong: Vec<String>,
    }

    impl Check {
        fn same<T: ItemEnds + Spanned>(&mut self, node: &T) {
            self.checked += 1;
            let (ours, theirs) = (span_of(node).byte_range(), node.span().byte_range());
            if ours != theirs {
                self.wrong.push(format!("{ours:?} != {theirs:?}"));
            }
        }
    }

    impl<'ast> Visit<'ast> for Check {
        fn visit_item_fn(&mut self, node: &'ast syn::ItemFn) {
            self.same(node);
            visit::visit_item_fn(self, node);
        }
        fn visit_impl_item_fn(&mut self, node: &'ast syn::ImplItemFn) {
            self.same(node);
            visit::visit_impl_item_fn(self, node);
        }
        fn visit_trait_item_fn(&mut self, node: &'ast syn::TraitItemFn) {
            self.same(node);
            visit::visit_trait_item_fn(self, node);
        }
        fn visit_item_impl(&mut self, node: &'ast syn::ItemImpl) {
            self.same(node);
            visit::visit_item_impl(self, node);
        }
        fn visit_item_trait(&mut self, node: &'ast syn::ItemTrait) {
            self.same(node);
            visit::visit_item_trait(self, node);
        }
        fn visit_item_mod(&mut self, node: &'ast syn::ItemMod) {
            self.same(node);
            visit::visit_item_mod(self, node);
        }
    }

    fn check(text: &str, into: &mut Check) -> bool {
        let Ok(file) = syn::parse_file(text) else {
            return false;
        };
        into.visit_file(&file);
        true
    }

    #[test]
    fn the_ends_are_what_spanned_says_on_every_kind_of_item() {
        let mut c = Check {
            checked: 0,
            wrong: Vec::new(),
        };
        let parsed = check(
            "/// doc\n#[inline]\npub(crate) const async unsafe extern \"C\" fn a() {}\n\
             fn b() { #![allow(x)] fn inner() {} }\n\
             unsafe impl<T> Send for X<T> {}\n\
             impl X { /** d */ pub default fn c(&self) {} const fn d() {} }\n\
             pub unsafe auto trait T: Sized { fn e(); fn f() {} #[doc = \"x\"] unsafe fn g(); }\n\
             #[cfg(test)] mod m { #![allow(y)] }\nmod n;\npub mod o {}\n\
             extern \"C\" { safe fn h(); }\n",
            &mut c,
        );
        assert!(parsed);
        assert_eq!(c.checked, 14);
        // And every file of this crate.
        let mut stack = vec![std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    check(&std::fs::read_to_string(&path).unwrap(), &mut c);
                }
                proc_macro2::extra::invalidate_current_thread_spans();
            }
        }
        assert!(c.checked > 1000, "{}", c.checked);
        assert_eq!(c.wrong, Vec::<String>::new());
    }
}
