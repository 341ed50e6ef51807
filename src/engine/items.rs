//! The named items of a file and their byte ranges, so any position can be
//! named by its enclosing item chain (`Parser::next`, `<Parser as Iterator>::next`).
//! Module names are left out on purpose: the chain must not change when an
//! item moves to another module or file.

use std::ops::Range;

use quote::ToTokens;

use crate::engine::item_ends::{self, ItemEnds};
use syn::visit::{self, Visit};

use crate::engine::source;
use crate::engine::source::SourceFile;

/// What kind of item an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Fn,
    Method,
    Struct,
    Enum,
    Union,
    Trait,
    Impl,
    Const,
    Static,
    TypeAlias,
    Macro,
    Mod,
    Use,
    ExternCrate,
    ForeignMod,
}

impl ItemKind {
    pub fn label(self) -> &'static str {
        match self {
            ItemKind::Fn => "fn",
            ItemKind::Method => "method",
            ItemKind::Struct => "struct",
            ItemKind::Enum => "enum",
            ItemKind::Union => "union",
            ItemKind::Trait => "trait",
            ItemKind::Impl => "impl",
            ItemKind::Const => "const",
            ItemKind::Static => "static",
            ItemKind::TypeAlias => "type",
            ItemKind::Macro => "macro_rules",
            ItemKind::Mod => "mod",
            ItemKind::Use => "use",
            ItemKind::ExternCrate => "extern crate",
            ItemKind::ForeignMod => "extern block",
        }
    }
}

/// One item of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemEntry {
    pub kind: ItemKind,
    pub range: Range<usize>,
    /// The name chain, empty for unnamed items (`use`, `extern` blocks).
    pub chain: String,
    /// `pub` exactly (not `pub(crate)`); trait items and impl items of
    /// trait impls count as public when their container is.
    pub public: bool,
}

/// Every item of a file, in source order (parents before children).
#[derive(Debug, Clone, Default)]
pub struct ItemIndex {
    entries: Vec<ItemEntry>,
    /// Each entry's innermost enclosing entry, so a lookup climbs a chain
    /// of parents instead of walking every item of the file.
    parents: Vec<Option<usize>>,
    /// Whether the entries start in order (the visit guarantees it; a
    /// lookup falls back to a full walk if not).
    in_order: bool,
}

impl ItemIndex {
    pub fn build(file: &SourceFile) -> Self {
        let mut collector = Collector {
            file,
            stack: Vec::new(),
            entries: Vec::new(),
            targets: None,
            pruned: false,
        };
        collector.visit_file(file.ast());
        Self::from_entries(collector.entries)
    }

    /// The items that hold one of `targets` (with their ancestors): all
    /// [`ItemIndex::chain_at`] needs for those ranges, without walking the
    /// items that hold none of them.
    pub fn around(file: &SourceFile, targets: &[Range<usize>]) -> Self {
        let mut collector = Collector {
            file,
            stack: Vec::new(),
            entries: Vec::new(),
            targets: Some(targets),
            pruned: false,
        };
        collector.visit_file(file.ast());
        Self::from_entries(collector.entries)
    }

    fn from_entries(entries: Vec<ItemEntry>) -> Self {
        let in_order = entries
            .windows(2)
            .all(|w| w[0].range.start <= w[1].range.start);
        let mut parents = Vec::with_capacity(entries.len());
        let mut open: Vec<usize> = Vec::new();
        for entry in &entries {
            while open
                .last()
                .is_some_and(|&top| !contains(&entries[top].range, &entry.range))
            {
                open.pop();
            }
            parents.push(open.last().copied());
            open.push(parents.len() - 1);
        }
        Self {
            entries,
            parents,
            in_order,
        }
    }

    pub fn entries(&self) -> &[ItemEntry] {
        &self.entries
    }

    /// The chain of the innermost named item holding `range` (`""` at file level).
    pub fn chain_at(&self, range: &Range<usize>) -> &str {
        let names = |e: &&ItemEntry| !e.chain.is_empty() && contains(&e.range, range);
        if !self.in_order {
            return self
                .entries
                .iter()
                .rev()
                .find(names)
                .map_or("", |e| e.chain.as_str());
        }
        // Items nest or are apart, so whatever holds `range` is the last
        // item starting before it or one of that item's ancestors.
        let mut at = self
            .entries
            .partition_point(|e| e.range.start <= range.start)
            .checked_sub(1);
        while let Some(i) = at {
            let entry = &self.entries[i];
            if names(&entry) {
                return &entry.chain;
            }
            at = self.parents[i];
        }
        ""
    }
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

struct Collector<'a> {
    file: &'a SourceFile,
    /// Names of the enclosing named items (modules excluded).
    stack: Vec<String>,
    entries: Vec<ItemEntry>,
    /// Only items holding one of these are recorded and walked into.
    targets: Option<&'a [Range<usize>]>,
    /// The item just recorded holds no target: it is not walked into.
    pruned: bool,
}

impl Collector<'_> {
    fn chain(&self, name: &str) -> String {
        let mut parts = self.stack.clone();
        parts.push(name.to_owned());
        parts.join("::")
    }

    fn record<T: syn::spanned::Spanned>(
        &mut self,
        kind: ItemKind,
        node: &T,
        name: Option<&str>,
        public: bool,
    ) {
        self.record_at(kind, self.file.range_of(node), name, public);
    }

    /// `record` for an item with a body, whose ends are read from its
    /// fields ([`item_ends`]).
    fn record_body<T: ItemEnds + syn::spanned::Spanned>(
        &mut self,
        kind: ItemKind,
        node: &T,
        name: Option<&str>,
        public: bool,
    ) {
        let range = self.file.span_range(item_ends::span_of(node));
        self.record_at(kind, range, name, public);
    }

    fn record_at(&mut self, kind: ItemKind, range: Range<usize>, name: Option<&str>, public: bool) {
        self.pruned = self
            .targets
            .is_some_and(|targets| !targets.iter().any(|t| contains(&range, t)));
        if self.pruned {
            return;
        }
        let chain = name.map(|n| self.chain(n)).unwrap_or_default();
        self.entries.push(ItemEntry {
            kind,
            range,
            chain,
            public,
        });
    }

    fn nested(&mut self, name: String, walk: impl FnOnce(&mut Self)) {
        if std::mem::take(&mut self.pruned) {
            return;
        }
        self.stack.push(name);
        walk(self);
        self.stack.pop();
    }
}

fn is_pub(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

/// `Foo` for `Foo<T>`, `&Foo` stays readable; generic arguments are left out
/// so the chain survives changes to them.
fn type_name(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(p) => p
            .path
            .segments
            .last()
            .map_or_else(|| compact(p), |s| s.ident.to_string()),
        syn::Type::Reference(r) => type_name(&r.elem),
        other => compact(other),
    }
}

fn compact<T: ToTokens>(node: &T) -> String {
    source::normalized_tokens(node).replace(' ', "")
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item_fn(&mut self, node: &'ast syn::ItemFn) {
        let name = node.sig.ident.to_string();
        self.record_body(ItemKind::Fn, node, Some(&name), is_pub(&node.vis));
        self.nested(name, |s| visit::visit_item_fn(s, node));
    }

    fn visit_item_struct(&mut self, node: &'ast syn::ItemStruct) {
        let name = node.ident.to_string();
        self.record(ItemKind::Struct, node, Some(&name), is_pub(&node.vis));
        self.nested(name, |s| visit::visit_item_struct(s, node));
    }

    fn visit_item_enum(&mut self, node: &'ast syn::ItemEnum) {
        let name = node.ident.to_string();
        self.record(ItemKind::Enum, node, Some(&name), is_pub(&node.vis));
        self.nested(name, |s| visit::visit_item_enum(s, node));
    }

    fn visit_item_union(&mut self, node: &'ast syn::ItemUnion) {
        let name = node.ident.to_string();
        self.record(ItemKind::Union, node, Some(&name), is_pub(&node.vis));
        self.nested(name, |s| visit::visit_item_union(s, node));
    }

    fn visit_item_trait(&mut self, node: &'ast syn::ItemTrait) {
        let name = node.ident.to_string();
        let public = is_pub(&node.vis);
        self.record_body(ItemKind::Trait, node, Some(&name), public);
        self.nested(name, |s| {
            for item in &node.items {
                if let syn::TraitItem::Fn(f) = item {
                    let method = f.sig.ident.to_string();
                    s.record_body(ItemKind::Method, f, Some(&method), public);
                    s.nested(method, |s| visit::visit_trait_item_fn(s, f));
                } else {
                    s.visit_trait_item(item);
                }
            }
        });
    }

    fn visit_item_impl(&mut self, node: &'ast syn::ItemImpl) {
        let self_name = type_name(&node.self_ty);
        let name = match &node.trait_ {
            Some((path, _)) => {
                let trait_name = path
                    .segments
                    .last()
                    .map_or_else(|| compact(path), |s| s.ident.to_string());
                format!("<{self_name} as {trait_name}>")
            }
            None => self_name,
        };
        let trait_impl = node.trait_.is_some();
        self.record_body(ItemKind::Impl, node, Some(&name), false);
        self.nested(name, |s| {
            for item in &node.items {
                if let syn::ImplItem::Fn(f) = item {
                    let method = f.sig.ident.to_string();
                    s.record_body(
                        ItemKind::Method,
                        f,
                        Some(&method),
                        trait_impl || is_pub(&f.vis),
                    );
                    s.nested(method, |s| visit::visit_impl_item_fn(s, f));
                } else {
                    s.visit_impl_item(item);
                }
            }
        });
    }

    fn visit_item_const(&mut self, node: &'ast syn::ItemConst) {
        let name = node.ident.to_string();
        self.record(ItemKind::Const, node, Some(&name), is_pub(&node.vis));
        self.nested(name, |s| visit::visit_item_const(s, node));
    }

    fn visit_item_static(&mut self, node: &'ast syn::ItemStatic) {
        let name = node.ident.to_string();
        self.record(ItemKind::Static, node, Some(&name), is_pub(&node.vis));
        self.nested(name, |s| visit::visit_item_static(s, node));
    }

    fn visit_item_type(&mut self, node: &'ast syn::ItemType) {
        let name = node.ident.to_string();
        self.record(ItemKind::TypeAlias, node, Some(&name), is_pub(&node.vis));
    }

    fn visit_item_macro(&mut self, node: &'ast syn::ItemMacro) {
        if let Some(ident) = &node.ident {
            let name = format!("{ident}!");
            self.record(ItemKind::Macro, node, Some(&name), false);
        }
    }

    fn visit_item_mod(&mut self, node: &'ast syn::ItemMod) {
        self.record_body(ItemKind::Mod, node, None, is_pub(&node.vis));
        if !std::mem::take(&mut self.pruned) {
            visit::visit_item_mod(self, node);
        }
    }

    fn visit_item_use(&mut self, node: &'ast syn::ItemUse) {
        self.record(ItemKind::Use, node, None, is_pub(&node.vis));
    }

    fn visit_item_extern_crate(&mut self, node: &'ast syn::ItemExternCrate) {
        self.record(ItemKind::ExternCrate, node, None, is_pub(&node.vis));
    }

    fn visit_item_foreign_mod(&mut self, node: &'ast syn::ItemForeignMod) {
        self.record(ItemKind::ForeignMod, node, None, false);
        if !std::mem::take(&mut self.pruned) {
            visit::visit_item_foreign_mod(self, node);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(text: &str) -> (SourceFile, ItemIndex) {
        let file = SourceFile::parse("src/lib.rs".parse().unwrap(), text.to_owned()).unwrap();
        let index = ItemIndex::build(&file);
        (file, index)
    }

    #[test]
    fn chains_name_items_without_modules() {
        let text = "mod m {\n    pub struct P<T>(T);\n    impl<T> P<T> { pub fn next(&self) { let x = 1; } }\n    impl<T> Iterator for P<T> { type Item = T; fn next(&mut self) -> Option<T> { None } }\n    trait Tr { fn m() { fn inner() {} } }\n}\nconst C: u8 = 0;\n";
        let (_, idx) = index(text);
        let chains: Vec<&str> = idx.entries().iter().map(|e| e.chain.as_str()).collect();
        assert_eq!(
            chains,
            [
                "",
                "P",
                "P",
                "P::next",
                "<P as Iterator>",
                "<P as Iterator>::next",
                "Tr",
                "Tr::m",
                "Tr::m::inner",
                "C"
            ]
        );
        let at = |needle: &str| {
            let start = text.find(needle).unwrap();
            idx.chain_at(&(start..start + needle.len())).to_owned()
        };
        assert_eq!(at("let x = 1"), "P::next");
        assert_eq!(at("None"), "<P as Iterator>::next");
        assert_eq!(at("fn inner"), "Tr::m::inner");
        assert_eq!(at("mod m"), "");

        // Indexing only around some ranges names them the same, and
        // leaves out the items that hold none of them.
        let (file, _) = index(text);
        for needle in ["let x = 1", "None", "fn inner", "mod m", "u8", "type Item"] {
            let start = text.find(needle).unwrap();
            let range = start..start + needle.len();
            let around = ItemIndex::around(&file, std::slice::from_ref(&range));
            assert_eq!(around.chain_at(&range), idx.chain_at(&range), "{needle}");
            assert!(around.entries().len() < idx.entries().len(), "{needle}");
        }
    }

    #[test]
    fn public_flags_follow_visibility() {
        let (_, idx) =
            index("pub struct A;\npub(crate) struct B;\nstruct C;\npub trait T { fn f(); }\n");
        let public: Vec<bool> = idx.entries().iter().map(|e| e.public).collect();
        assert_eq!(public, [true, false, false, true, true]);
    }

    #[test]
    fn the_parent_climb_names_what_a_full_walk_names() {
        let text = "use std::fmt;\n#[derive(Clone)]\npub struct A { x: u8 }\nimpl A {\n    fn f(&self) {\n        fn g() { let _ = 1; }\n        struct In;\n        impl In { fn h() {} }\n    }\n    fn k() {}\n}\nmod m { extern \"C\" { fn c(); } pub fn z() { let y = 2; } }\ntrait T { fn d() { let w = 3; } }\n";
        let (_, idx) = index(text);
        let walk = |range: &Range<usize>| {
            idx.entries()
                .iter()
                .rev()
                .find(|e| !e.chain.is_empty() && contains(&e.range, range))
                .map_or("", |e| e.chain.as_str())
        };
        let mut checked = 0;
        for start in 0..text.len() {
            for end in start..=(start + 12).min(text.len()) {
                assert_eq!(
                    idx.chain_at(&(start..end)),
                    walk(&(start..end)),
                    "{start}..{end}"
                );
                checked += 1;
            }
        }
        assert!(checked > 1000);
        assert_eq!(
            idx.chain_at(&(text.find("let _").unwrap()..text.find("let _").unwrap() + 5)),
            "A::f::g"
        );
    }
}
