//! What a crate says about `Debug`, as the crate facts of `derive-debug`:
//! which types implement it by hand (in code, inside a macro's tokens, by a
//! `macro_rules!` for the types passed to it, through an alias), which only
//! under a `cfg`, which types are declared without it, and which modules
//! are compiled only under a `cfg`. A derive next to a hand-written `Debug`
//! conflicts (E0119); a derive over a field whose type has no `Debug`, or
//! has it only with some feature, does not compile (E0277).
//!
//! The facts are strings, one set per package. Those that relate two names
//! put the type first, so every question about a type is one range of the
//! ordered set (a crate with many types stays linear):
//! - `Name`: some `impl Debug for Name` is written in the crate;
//! - `debug-in Name <path>`: one is written in `<path>` outside any `cfg`;
//! - `cfg-debug Name`: one is written under a `cfg`;
//! - `macro-impl m` / `macro-cfg-impl m`: `macro_rules! m` writes
//!   `impl Debug for $x` (under a `cfg`), and `passed Name m` for each
//!   type-like name passed to an `m!` call;
//! - `macro-any-impl T m`: `m` implements the trait it is given for `T`;
//! - `alias T A`: `type A = …::T<…>`;
//! - `gated <module path>`: a module compiled only under a `cfg` (its file
//!   `<module path>.rs`, its `mod.rs` and everything below it);
//! - `declared Name`: a struct or enum that neither derives nor mentions
//!   `Debug` in its attributes; `will-derive Name`: one that gets a derive
//!   from this skill in its own file.

use std::collections::{BTreeSet, HashSet};

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use syn::visit::{self, Visit};

use crate::engine::source::{SourceFile, type_like_names};

/// The type an `impl Debug for …` is for (by its last path segment).
fn debug_impl_for(node: &syn::ItemImpl) -> Option<String> {
    let implements_debug = node
        .trait_
        .as_ref()
        .and_then(|(path, _)| path.segments.last())
        .is_some_and(|s| s.ident == "Debug");
    if let (true, syn::Type::Path(ty)) = (implements_debug, &*node.self_ty) {
        return ty.path.segments.last().map(|seg| seg.ident.to_string());
    }
    None
}

/// A struct or enum met on the walk, in the order of the file.
#[derive(Clone, Copy)]
pub enum Declared<'ast> {
    Struct(&'ast syn::ItemStruct),
    Enum(&'ast syn::ItemEnum),
}

/// What one walk over a file finds: its `Debug` facts, the structs and
/// enums it declares, and the types it writes an `impl Debug for` item for.
/// One walk serves both the crate's facts and the file's own findings.
pub struct Walked<'ast> {
    pub facts: Vec<String>,
    pub types: Vec<Declared<'ast>>,
    pub impls: HashSet<String>,
}

/// Walks `file` once.
pub fn walk(file: &SourceFile) -> Walked<'_> {
    let path = file.path().as_str();
    let mut walk = DebugImpls {
        file,
        path,
        modules: Vec::new(),
        gated: 0,
        out: Vec::new(),
        types: Vec::new(),
        impls: HashSet::new(),
    };
    if file.ast().attrs.iter().any(is_cfg) {
        // `#![cfg(…)]`: the whole module is gated.
        let own = path
            .strip_suffix("/mod.rs")
            .or_else(|| path.strip_suffix(".rs"));
        if let Some(own) = own.filter(|_| !is_root(path)) {
            walk.out.push(format!("gated {own}"));
        }
    }
    walk.visit_file(file.ast());
    Walked {
        facts: walk.out,
        types: walk.types,
        impls: walk.impls,
    }
}

fn is_root(path: &str) -> bool {
    path.ends_with("lib.rs") || path.ends_with("main.rs")
}

/// `#[cfg(…)]` (not `cfg_attr`, which gates attributes, not the item).
fn is_cfg(attr: &syn::Attribute) -> bool {
    attr.path().is_ident("cfg")
}

struct DebugImpls<'a, 'ast> {
    file: &'a SourceFile,
    path: &'a str,
    /// Inline modules around the visit (`mod gen { … }`).
    modules: Vec<String>,
    /// How many `cfg`-gated items are around the visit.
    gated: usize,
    out: Vec<String>,
    types: Vec<Declared<'ast>>,
    impls: HashSet<String>,
}

impl DebugImpls<'_, '_> {
    fn impl_written(&mut self, name: String, gated: bool) {
        if gated || self.gated > 0 {
            self.out.push(format!("cfg-debug {name}"));
        } else {
            self.out.push(format!("debug-in {name} {}", self.path));
        }
        self.out.push(name);
    }

    /// Whether `word` is in the text of the macro's body: most bodies do not
    /// say what a token walk looks for, and the text tells without copying
    /// their tokens.
    fn body_says(&self, mac: &syn::Macro, word: &str) -> bool {
        self.file
            .macro_body(mac)
            .is_none_or(|body| body.contains(word))
    }

    /// The module path a `mod name;` here declares, without `.rs`.
    fn child(&self, name: &str) -> Option<String> {
        let (dir, file) = self.path.rsplit_once('/').unwrap_or(("", self.path));
        let mut out = if matches!(file, "lib.rs" | "main.rs" | "mod.rs") {
            dir.to_owned()
        } else {
            self.path.strip_suffix(".rs")?.to_owned()
        };
        for part in self.modules.iter().map(String::as_str).chain([name]) {
            if !out.is_empty() {
                out.push('/');
            }
            out.push_str(part);
        }
        Some(out)
    }
}

impl<'ast> Visit<'ast> for DebugImpls<'_, 'ast> {
    fn visit_item_struct(&mut self, node: &'ast syn::ItemStruct) {
        self.types.push(Declared::Struct(node));
        visit::visit_item_struct(self, node);
    }

    fn visit_item_enum(&mut self, node: &'ast syn::ItemEnum) {
        self.types.push(Declared::Enum(node));
        visit::visit_item_enum(self, node);
    }

    fn visit_item_impl(&mut self, node: &'ast syn::ItemImpl) {
        let gated = node.attrs.iter().any(is_cfg);
        if let Some(name) = debug_impl_for(node) {
            self.impls.insert(name.clone());
            self.impl_written(name, gated);
        }
        self.gated += usize::from(gated);
        visit::visit_item_impl(self, node);
        self.gated -= usize::from(gated);
    }

    fn visit_item_mod(&mut self, node: &'ast syn::ItemMod) {
        let gated = node.attrs.iter().any(is_cfg);
        let has_path = node.attrs.iter().any(|a| a.path().is_ident("path"));
        if node.content.is_none() {
            if (gated || self.gated > 0)
                && !has_path
                && let Some(module) = self.child(&node.ident.to_string())
            {
                self.out.push(format!("gated {module}"));
            }
            return;
        }
        self.gated += usize::from(gated);
        self.modules.push(node.ident.to_string());
        visit::visit_item_mod(self, node);
        self.modules.pop();
        self.gated -= usize::from(gated);
    }

    fn visit_item_macro(&mut self, node: &'ast syn::ItemMacro) {
        let defines = node.mac.path.is_ident("macro_rules");
        let gated = node.attrs.iter().any(is_cfg);
        match (&node.ident, defines) {
            (Some(name), true) => {
                let mut written = Vec::new();
                let mut through = Through::default();
                if self.body_says(&node.mac, "Debug") {
                    debug_for_in(node.mac.tokens.clone(), &mut written, &mut through);
                }
                for name in written {
                    self.impl_written(name, through.gated);
                }
                if through.variable {
                    let kind = if through.gated_variable {
                        "macro-cfg-impl"
                    } else {
                        "macro-impl"
                    };
                    self.out.push(format!("{kind} {name}"));
                }
                let mut any_trait = Vec::new();
                if self.body_says(&node.mac, "$") {
                    variable_trait_for_in(node.mac.tokens.clone(), &mut any_trait);
                }
                self.out.extend(
                    any_trait
                        .into_iter()
                        .map(|ty| format!("macro-any-impl {ty} {name}")),
                );
            }
            _ => {
                self.gated += usize::from(gated);
                self.visit_macro(&node.mac);
                self.gated -= usize::from(gated);
            }
        }
    }

    /// `type Alias = path::Target<…>;`: a `Debug` for the alias is one for
    /// the target.
    fn visit_item_type(&mut self, node: &'ast syn::ItemType) {
        if let syn::Type::Path(target) = &*node.ty
            && let Some(last) = target.path.segments.last()
        {
            self.out
                .push(format!("alias {} {}", last.ident, node.ident));
        }
        visit::visit_item_type(self, node);
    }

    fn visit_macro(&mut self, node: &'ast syn::Macro) {
        if node
            .path
            .segments
            .last()
            .is_some_and(|name| WRITE_NO_IMPLS.iter().any(|m| name.ident == m))
        {
            return;
        }
        let mut written = Vec::new();
        let mut through = Through::default();
        if self.body_says(node, "Debug") {
            debug_for_in(node.tokens.clone(), &mut written, &mut through);
        }
        for name in written {
            self.impl_written(name, through.gated);
        }
        if let Some(name) = node.path.segments.last() {
            let mut passed = Vec::new();
            match self.file.macro_body(node) {
                // The text gives the same names without copying the tokens.
                Some(body) => type_like_names(body, &mut passed),
                None => type_names_in(node.tokens.clone(), &mut passed),
            }
            self.out.extend(
                passed
                    .into_iter()
                    .map(|ty| format!("passed {ty} {}", name.ident)),
            );
        }
    }
}

/// Macros of the standard library, `log` and `tracing` that are called
/// everywhere and never write an impl: their tokens are not looked at.
const WRITE_NO_IMPLS: &[&str] = &[
    "assert",
    "assert_eq",
    "assert_ne",
    "concat",
    "debug",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "eprint",
    "eprintln",
    "error",
    "format",
    "format_args",
    "info",
    "matches",
    "panic",
    "print",
    "println",
    "stringify",
    "todo",
    "trace",
    "unimplemented",
    "unreachable",
    "vec",
    "warn",
    "write",
    "writeln",
];

/// What `debug_for_in` saw besides the names.
#[derive(Debug, Default)]
struct Through {
    /// Some `Debug for $t`: a macro variable.
    variable: bool,
    /// That one is under a `#[cfg(…)]`.
    gated_variable: bool,
    /// A written-out name is under a `#[cfg(…)]`.
    gated: bool,
}

/// Names after `Debug for` in `tokens` (the last segment of a path);
/// `through` says whether one is a macro variable (`Debug for $t`) and
/// whether a `#[cfg(…)]` precedes the `impl`.
fn debug_for_in(tokens: TokenStream, found: &mut Vec<String>, through: &mut Through) {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Group(group) => debug_for_in(group.stream(), found, through),
            TokenTree::Ident(debug) if debug == "Debug" => {
                if !matches!(trees.get(i + 1), Some(TokenTree::Ident(f)) if f == "for") {
                    continue;
                }
                let gated = cfg_before(&trees[..i]);
                let mut name = None;
                for next in &trees[i + 2..] {
                    match next {
                        TokenTree::Ident(id) => name = Some(id.to_string()),
                        TokenTree::Punct(p) if p.as_char() == ':' => {}
                        TokenTree::Punct(p) if p.as_char() == '$' => {
                            through.variable = true;
                            through.gated_variable |= gated;
                            name = None;
                            break;
                        }
                        _ => break,
                    }
                }
                if name.is_some() {
                    through.gated |= gated;
                }
                found.extend(name);
            }
            _ => {}
        }
    }
}

/// Whether the item that ends `before` starts with `#[cfg(…)]`: looks back
/// to the previous item's end (`;` or a `{ … }` body).
fn cfg_before(before: &[TokenTree]) -> bool {
    let start = before
        .iter()
        .rposition(|t| match t {
            TokenTree::Punct(p) => p.as_char() == ';',
            TokenTree::Group(g) => g.delimiter() == Delimiter::Brace,
            _ => false,
        })
        .map_or(0, |i| i + 1);
    before[start..].windows(2).any(|pair| {
        matches!(pair, [TokenTree::Punct(hash), TokenTree::Group(attr)]
            if hash.as_char() == '#'
                && attr.delimiter() == Delimiter::Bracket
                && matches!(attr.stream().into_iter().next(), Some(TokenTree::Ident(cfg)) if cfg == "cfg"))
    })
}

/// Names after `$trait for` in a macro body: the macro implements whatever
/// trait it is given for them.
fn variable_trait_for_in(tokens: TokenStream, found: &mut Vec<String>) {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Group(group) => variable_trait_for_in(group.stream(), found),
            TokenTree::Punct(dollar) if dollar.as_char() == '$' => {
                let is_for = matches!(
                    (trees.get(i + 1), trees.get(i + 2)),
                    (Some(TokenTree::Ident(_)), Some(TokenTree::Ident(f))) if f == "for"
                );
                if !is_for {
                    continue;
                }
                let mut name = None;
                for next in &trees[i + 3..] {
                    match next {
                        TokenTree::Ident(id) => name = Some(id.to_string()),
                        TokenTree::Punct(p) if p.as_char() == ':' => {}
                        _ => break,
                    }
                }
                found.extend(name);
            }
            _ => {}
        }
    }
}

/// Identifiers that look like type names (`Upper…`) anywhere in `tokens`.
fn type_names_in(tokens: TokenStream, found: &mut Vec<String>) {
    for tree in tokens {
        match tree {
            TokenTree::Group(group) => type_names_in(group.stream(), found),
            TokenTree::Ident(id) => {
                let name = id.to_string();
                if name.starts_with(|c: char| c.is_ascii_uppercase()) && !found.contains(&name) {
                    found.push(name);
                }
            }
            _ => {}
        }
    }
}

/// The facts starting with `prefix`.
fn with_prefix<'a>(facts: &'a BTreeSet<String>, prefix: &'a str) -> impl Iterator<Item = &'a str> {
    facts
        .range(prefix.to_owned()..)
        .take_while(move |f| f.starts_with(prefix))
        .map(move |f| &f[prefix.len()..])
}

/// What `<prefix><name> <other>` facts relate `name` to: one range of the
/// ordered set.
fn firsts<'a>(facts: &'a BTreeSet<String>, prefix: &str, name: &str) -> Vec<&'a str> {
    let key = format!("{prefix}{name} ");
    facts
        .range(key.clone()..)
        .take_while(|f| f.starts_with(&key))
        .map(|f| &f[key.len()..])
        .collect()
}

/// Whether a `Debug` for `name` is written somewhere in the crate, by hand
/// or by a macro, gated or not: deriving one as well would conflict.
pub fn implemented(name: &str, facts: &BTreeSet<String>) -> bool {
    facts.contains(name)
        || firsts(facts, "passed ", name).into_iter().any(|m| {
            facts.contains(&format!("macro-impl {m}"))
                || facts.contains(&format!("macro-cfg-impl {m}"))
        })
        || firsts(facts, "macro-any-impl ", name)
            .into_iter()
            .any(|m| facts.contains(&format!("passed Debug {m}")))
        || firsts(facts, "alias ", name)
            .into_iter()
            .any(|alias| facts.contains(alias))
}

/// Whether `path` is in a module compiled only under a `cfg`.
fn gated(path: &str, facts: &BTreeSet<String>) -> bool {
    with_prefix(facts, "gated ").any(|module| {
        path.strip_prefix(module)
            .is_some_and(|rest| rest == ".rs" || rest.starts_with('/'))
    })
}

/// Why a field of type `name` keeps a derived `Debug` from compiling, if it
/// does, by what the crate says; a type the crate does not declare (std's,
/// a dependency's) is taken to have `Debug`.
pub fn field_blocks(name: &str, facts: &BTreeSet<String>) -> Option<String> {
    let unconditional = firsts(facts, "debug-in ", name)
        .into_iter()
        .any(|path| !gated(path, facts))
        || firsts(facts, "passed ", name)
            .into_iter()
            .any(|m| facts.contains(&format!("macro-impl {m}")))
        || firsts(facts, "macro-any-impl ", name)
            .into_iter()
            .any(|m| facts.contains(&format!("passed Debug {m}")))
        || firsts(facts, "alias ", name)
            .into_iter()
            .any(|alias| facts.contains(alias));
    if unconditional {
        return None;
    }
    // Written, but only under a `cfg`: no derive is added for it either.
    if implemented(name, facts) {
        return Some(format!(
            "a field's type `{name}` implements `Debug` only under a `cfg`"
        ));
    }
    if facts.contains(&format!("will-derive {name}")) {
        return None;
    }
    facts
        .contains(&format!("declared {name}"))
        .then(|| format!("a field's type `{name}` has no `Debug`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(path: &str, text: &str) -> Vec<String> {
        let file = SourceFile::parse(path.parse().unwrap(), text.to_owned()).unwrap();
        walk(&file).facts
    }

    #[test]
    fn type_names_from_the_text_are_those_of_the_tokens() {
        let body = "Foo, r#Bar, \"Baz\", 'Q', b'X', 1E5, 0xFF, 2.5E-3f64, /* Cmt */ Vec<Option<T>>,\n// Line\n/// Doc\n'Life, $Var, br\"Raw\", r#\"Raw2\"#, c\"C\", Self::Foo, Ünï, snake";
        let tokens: TokenStream = body.parse().unwrap();
        let (mut from_tokens, mut from_text) = (Vec::new(), Vec::new());
        type_names_in(tokens, &mut from_tokens);
        type_like_names(body, &mut from_text);
        assert_eq!(from_text, from_tokens);
        assert_eq!(
            from_text,
            ["Foo", "Vec", "Option", "T", "Life", "Var", "Self"]
        );
    }

    #[test]
    fn gated_modules_are_named_by_the_path_of_their_files() {
        assert_eq!(
            facts(
                "src/lib.rs",
                "mod a { #[cfg(feature = \"x\")] mod b; }\n#[cfg(test)] mod tests;\nmod plain;\n#[cfg(unix)] #[path = \"odd.rs\"] mod odd;\n"
            ),
            ["gated src/a/b", "gated src/tests"]
        );
        assert_eq!(
            facts("src/parse.rs", "#[cfg(feature = \"x\")] mod inner;\n"),
            ["gated src/parse/inner"]
        );
        assert_eq!(
            facts(
                "src/extra/mod.rs",
                "#![cfg(feature = \"x\")]\npub struct A;\n"
            ),
            ["gated src/extra"]
        );
    }

    #[test]
    fn impls_under_a_cfg_count_only_as_conditional() {
        let text = "#[cfg(feature = \"x\")]\nimpl Debug for A {}\nimpl fmt::Debug for B {}\n#[cfg(feature = \"x\")]\nmod more { impl Debug for C {} }\n";
        let set: BTreeSet<String> = facts("src/f.rs", text).into_iter().collect();
        assert_eq!(
            set,
            [
                "A",
                "B",
                "C",
                "cfg-debug A",
                "cfg-debug C",
                "debug-in B src/f.rs"
            ]
            .map(str::to_owned)
            .into()
        );
        let mut with_types = set.clone();
        with_types.extend(["declared A", "declared B", "declared D"].map(str::to_owned));
        assert_eq!(
            field_blocks("A", &with_types).as_deref(),
            Some("a field's type `A` implements `Debug` only under a `cfg`")
        );
        assert_eq!(field_blocks("B", &with_types), None);
        assert_eq!(
            field_blocks("D", &with_types).as_deref(),
            Some("a field's type `D` has no `Debug`")
        );
        assert_eq!(field_blocks("String", &with_types), None, "not the crate's");
    }
}
