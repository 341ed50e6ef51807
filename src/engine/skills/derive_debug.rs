//! `derive-debug`: public structs and enums that neither derive nor
//! implement `Debug` — a hand-written `impl Debug for` a type anywhere in
//! its crate counts, by the type's name (see `engine::debug_facts`). No fix
//! is offered over a field whose type has no `Debug`, or has it only under a
//! `cfg`, in this file or another of the crate. The fix adds `Debug` to an existing
//! `#[derive(...)]`, or inserts `#[derive(Debug)]` after the doc comments and
//! before other attributes, indented like the item.

use std::collections::{BTreeSet, HashSet};

use proc_macro2::{TokenStream, TokenTree};
use syn::punctuated::Punctuated;
use syn::{Attribute, Fields, Token};

use crate::engine::debug_facts::{self, Declared};
use crate::engine::edit::Edit;
use crate::engine::skill::{Detection, FixNeeds, Skill, SkillContext};
use crate::engine::source::SourceFile;
use crate::vocab::risk::Risk;

#[derive(Debug)]
pub struct DeriveDebug;

impl Skill for DeriveDebug {
    fn id(&self) -> &'static str {
        "derive-debug"
    }

    fn description(&self) -> &'static str {
        "public structs and enums without a `Debug` implementation"
    }

    fn rationale(&self) -> &'static str {
        "Public types without `Debug` cannot be printed with `{:?}`, used in `assert_eq!`, \
         or wrapped in other types that derive `Debug`; the API guidelines ask for it (C-DEBUG)."
    }

    fn title(&self) -> &'static str {
        "Derive `Debug` for public types"
    }

    fn risk(&self) -> Risk {
        Risk::Low
    }

    fn can_fix(&self) -> bool {
        true
    }

    fn crate_facts(&self, file: &SourceFile, cx: &SkillContext<'_>) -> Vec<String> {
        facts(Analysis::of(file), cx)
    }

    fn examine(&self, file: &SourceFile, cx: &SkillContext<'_>) -> (Vec<Detection>, Vec<String>) {
        let analysis = Analysis::of(file);
        (detections(&analysis), facts(analysis, cx))
    }

    /// A derive over a field whose type the crate declares without `Debug`,
    /// or with `Debug` only under a `cfg`, would not compile.
    fn fix_stands(&self, need: &FixNeeds, facts: &BTreeSet<String>) -> Result<(), String> {
        let Some(names) = need.fact.strip_prefix(FIELDS) else {
            return Ok(());
        };
        match names
            .split(' ')
            .find_map(|name| debug_facts::field_blocks(name, facts))
        {
            Some(why) => Err(why),
            None => Ok(()),
        }
    }

    /// A type with a hand-written `Debug` in another file of its crate (or
    /// one a macro writes) needs no derive: adding one would conflict
    /// (E0119).
    fn stands(&self, key: &str, facts: &BTreeSet<String>) -> bool {
        key.split_once(' ')
            .is_none_or(|(_, name)| !debug_facts::implemented(name, facts))
    }

    fn check(&self, file: &SourceFile, _cx: &SkillContext<'_>) -> Vec<Detection> {
        detections(&Analysis::of(file))
    }
}

/// What a file says about its crate: its `Debug` impls, and the types it
/// declares without one and will derive it for.
fn facts(types: Analysis, cx: &SkillContext<'_>) -> Vec<String> {
    let mut facts = types.facts;
    for t in &types.all {
        if !t.has_debug {
            facts.push(format!("declared {}", t.name));
        }
        if !cx.generated && types.fixed_here.contains(t.name.as_str()) {
            facts.push(format!("will-derive {}", t.name));
        }
    }
    facts
}

/// The public types of the file without `Debug`.
fn detections(analysis: &Analysis) -> Vec<Detection> {
    analysis
        .all
        .iter()
        .filter(|t| t.public && analysis.lacking.contains(t.name.as_str()))
        .map(|t| {
            let blocker = t
                .field_types
                .iter()
                .find_map(|ty| blocking_type(ty, &analysis.lacking, &analysis.fixed_here));
            let message = match &blocker {
                None => format!("public {} `{}` does not implement `Debug`", t.kind, t.name),
                Some(why) => format!(
                    "public {} `{}` does not implement `Debug` (not fixed automatically: {why})",
                    t.kind, t.name
                ),
            };
            // Field types declared elsewhere in the crate are judged
            // once its facts are known.
            let mut names = Vec::new();
            for ty in &t.field_types {
                crate_type_names(ty.clone(), &mut names);
            }
            Detection {
                fix_needs: (!names.is_empty()).then(|| FixNeeds {
                    fact: format!("{FIELDS}{}", names.join(" ")),
                    otherwise: "a field's type may not implement `Debug`".into(),
                }),
                range: t.range.clone(),
                message,
                key: format!("{} {}", t.kind, t.name),
                edits: blocker
                    .is_none()
                    .then(|| t.edit.clone())
                    .flatten()
                    .map(|e| vec![e]),
            }
        })
        .collect()
}

/// How a fix's need names its fields' types.
const FIELDS: &str = "fields ";

/// The file's structs and enums, those without `Debug`, the public ones
/// that get a derive here (no field blocks it), and what the file says
/// about its crate.
struct Analysis {
    all: Vec<TypeInfo>,
    lacking: HashSet<String>,
    fixed_here: HashSet<String>,
    facts: Vec<String>,
}

impl Analysis {
    fn of(file: &SourceFile) -> Self {
        let walked = debug_facts::walk(file);
        let mut all: Vec<TypeInfo> = walked
            .types
            .iter()
            .map(|&declared| TypeInfo::new(file, declared))
            .collect();
        let lacking: HashSet<String> = all
            .iter()
            .filter(|t| !t.has_debug && !walked.impls.contains(&t.name))
            .map(|t| t.name.clone())
            .collect();
        // Only a type without `Debug` is looked into further: its fields
        // may block a derive, and a public one gets a fix.
        for (info, &declared) in all.iter_mut().zip(&walked.types) {
            if lacking.contains(&info.name) {
                info.look_into(file, declared);
            }
        }
        // A public type gets `Debug` here unless a field blocks its own
        // derive; what it blocks may block others in turn.
        let mut fixed_here: HashSet<String> = all
            .iter()
            .filter(|t| t.public && lacking.contains(&t.name))
            .map(|t| t.name.clone())
            .collect();
        loop {
            let blocked: Vec<String> = all
                .iter()
                .filter(|t| fixed_here.contains(&t.name))
                .filter(|t| {
                    t.field_types
                        .iter()
                        .any(|ty| blocking_type(ty, &lacking, &fixed_here).is_some())
                })
                .map(|t| t.name.clone())
                .collect();
            if blocked.is_empty() {
                break;
            }
            for name in blocked {
                fixed_here.remove(&name);
            }
        }
        Self {
            all,
            lacking,
            fixed_here,
            facts: walked.facts,
        }
    }
}

/// Type-like names (`Upper…`) in a field's type that may be the crate's
/// own: not `Self`, and not in a path from `std`, `core` or `alloc`.
fn crate_type_names(ty: TokenStream, found: &mut Vec<String>) {
    let mut from_std = false;
    for tree in ty {
        match tree {
            TokenTree::Group(group) => {
                crate_type_names(group.stream(), found);
                from_std = false;
            }
            TokenTree::Ident(id) => {
                let name = id.to_string();
                if matches!(name.as_str(), "std" | "core" | "alloc") {
                    from_std = true;
                } else if !from_std
                    && name != "Self"
                    && name.starts_with(|c: char| c.is_ascii_uppercase())
                    && !found.contains(&name)
                {
                    found.push(name);
                }
            }
            TokenTree::Punct(p) if p.as_char() == ':' => {}
            TokenTree::Punct(_) | TokenTree::Literal(_) => from_std = false,
        }
    }
}

/// A struct or enum of the file.
struct TypeInfo {
    kind: &'static str,
    name: String,
    public: bool,
    has_debug: bool,
    /// From the visibility to the name: where a reader looks.
    range: std::ops::Range<usize>,
    field_types: Vec<TokenStream>,
    /// The edit that adds `Debug`, when one can be made.
    edit: Option<Edit>,
}

/// Why a derive would not compile: a field whose type has no `Debug`
/// in this file, or a trait object that may lack it.
fn blocking_type(
    ty: &TokenStream,
    lacking: &HashSet<String>,
    fixed_here: &HashSet<String>,
) -> Option<String> {
    let mut prev_dyn = false;
    for tt in flatten(ty.clone()) {
        if let TokenTree::Ident(ident) = &tt {
            let name = ident.to_string();
            if prev_dyn
                && !matches!(
                    name.as_str(),
                    "Debug" | "Error" | "std" | "core" | "fmt" | "error"
                )
            {
                return Some(format!(
                    "a field holds `dyn {name}`, which may not implement `Debug`"
                ));
            }
            if lacking.contains(&name) && !fixed_here.contains(&name) {
                return Some(format!("a field's type `{name}` has no `Debug` either"));
            }
            prev_dyn = name == "dyn";
        } else if !matches!(&tt, TokenTree::Punct(p) if p.as_char() == ':') {
            prev_dyn = false;
        }
    }
    None
}

fn flatten(stream: TokenStream) -> Vec<TokenTree> {
    let mut out = Vec::new();
    for tt in stream {
        match tt {
            TokenTree::Group(g) => out.extend(flatten(g.stream())),
            other => out.push(other),
        }
    }
    out
}

/// A doc comment (`///`, `/** */`) or `#[doc = "..."]`; `#[doc(hidden)]` is
/// an ordinary attribute.
fn is_doc(attr: &Attribute) -> bool {
    attr.path().is_ident("doc") && matches!(attr.meta, syn::Meta::NameValue(_))
}

/// Any non-doc attribute that mentions `Debug` (`derive`, `cfg_attr(…,
/// derive(Debug))`, `derivative(Debug)`…) counts as providing it.
fn mentions_debug(file: &SourceFile, attr: &Attribute) -> bool {
    if is_doc(attr) {
        return false;
    }
    let tokens = match &attr.meta {
        syn::Meta::Path(_) => return false,
        // Most lists do not say `Debug` anywhere: the text tells without
        // copying their tokens.
        syn::Meta::List(list)
            if !file
                .slice(file.span_range(list.delimiter.span().join()))
                .contains("Debug") =>
        {
            return false;
        }
        syn::Meta::List(list) => list.tokens.clone(),
        syn::Meta::NameValue(nv) => quote::ToTokens::to_token_stream(&nv.value),
    };
    flatten(tokens)
        .iter()
        .any(|tt| matches!(tt, TokenTree::Ident(i) if i == "Debug"))
}

/// Where the visibility starts, from its `pub` token's span (no tokens are
/// printed for it).
fn vis_start(file: &SourceFile, vis: &syn::Visibility) -> usize {
    match vis {
        syn::Visibility::Public(token) => file.span_range(token.span).start,
        syn::Visibility::Restricted(r) => file.span_range(r.pub_token.span).start,
        syn::Visibility::Inherited => file.range_of(vis).start,
    }
}

impl TypeInfo {
    fn new(file: &SourceFile, declared: Declared<'_>) -> Self {
        let (kind, attrs, vis, ident) = parts(declared);
        Self {
            kind,
            name: ident.to_string(),
            public: matches!(vis, syn::Visibility::Public(_)),
            has_debug: attrs.iter().any(|attr| mentions_debug(file, attr)),
            // Where a finding points: only a type that lacks `Debug` has one.
            range: 0..0,
            field_types: Vec::new(),
            edit: None,
        }
    }

    /// Where the type is, its field types and its fix, for a type that
    /// lacks `Debug`.
    fn look_into(&mut self, file: &SourceFile, declared: Declared<'_>) {
        let (_, _, vis, ident) = parts(declared);
        self.range = vis_start(file, vis)..file.span_range(ident.span()).end;
        let (attrs, vis) = match declared {
            Declared::Struct(node) => {
                self.field_types = field_types(&node.fields);
                (&node.attrs, &node.vis)
            }
            Declared::Enum(node) => {
                self.field_types = node
                    .variants
                    .iter()
                    .flat_map(|v| field_types(&v.fields))
                    .collect();
                (&node.attrs, &node.vis)
            }
        };
        if self.public {
            self.edit = debug_edit(file, attrs, vis);
        }
    }
}

/// A declared type's kind, attributes, visibility and name.
fn parts(declared: Declared<'_>) -> (&'static str, &[Attribute], &syn::Visibility, &syn::Ident) {
    match declared {
        Declared::Struct(node) => ("struct", &node.attrs, &node.vis, &node.ident),
        Declared::Enum(node) => ("enum", &node.attrs, &node.vis, &node.ident),
    }
}

fn debug_edit(file: &SourceFile, attrs: &[Attribute], vis: &syn::Visibility) -> Option<Edit> {
    let derive = attrs
        .iter()
        .rev()
        .find(|a| a.path().is_ident("derive") && matches!(a.meta, syn::Meta::List(_)));
    if let Some(attr) = derive {
        let syn::Meta::List(list) = &attr.meta else {
            return None;
        };
        let paths = list
            .parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
            .ok()?;
        return Some(match paths.iter().last() {
            Some(last) => Edit::insert(file.range_of(last).end, ", Debug"),
            None => {
                let syn::MacroDelimiter::Paren(paren) = &list.delimiter else {
                    return None;
                };
                Edit::insert(file.span_range(paren.span.close()).start, "Debug")
            }
        });
    }
    let last_doc = attrs.iter().rposition(is_doc);
    let first_other_after_docs = attrs
        .iter()
        .enumerate()
        .skip(last_doc.map_or(0, |i| i + 1))
        .find(|(_, a)| !is_doc(a))
        .map(|(_, a)| file.range_of(a).start);
    let item_start = match vis {
        syn::Visibility::Inherited => return None,
        other => file.range_of(other).start,
    };
    let at = first_other_after_docs.unwrap_or(item_start);
    let text = if file.starts_line(at) {
        format!("#[derive(Debug)]\n{}", file.indent_at(at))
    } else {
        "#[derive(Debug)] ".to_owned()
    };
    Some(Edit::insert(at, text))
}

fn field_types(fields: &Fields) -> Vec<TokenStream> {
    fields
        .iter()
        .map(|f| quote::ToTokens::to_token_stream(&f.ty))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::skill::testing::{detect, fixed, found};

    fn check(text: &str) -> Vec<Detection> {
        detect(&DeriveDebug, text, SkillContext::default())
    }

    #[test]
    fn adds_to_an_existing_derive_list() {
        let text = "#[derive(Clone, PartialEq)]\npub struct A(u8);\n\n#[derive()]\npub enum B { X }\n#[derive(Clone,)]\npub struct C;\n";
        assert_eq!(
            fixed(&DeriveDebug, text),
            "#[derive(Clone, PartialEq, Debug)]\npub struct A(u8);\n\n#[derive(Debug)]\npub enum B { X }\n#[derive(Clone, Debug,)]\npub struct C;\n"
        );
    }

    #[test]
    fn inserts_after_docs_and_before_other_attributes_with_the_item_indent() {
        let text = "mod m {\n    /// Docs stay first.\n    /// Two lines.\n    #[repr(C)]\n    pub struct A {\n        x: u8,\n    }\n\n\t/** block doc */\n\tpub enum B { X }\n}\npub struct C; // trailing comment\n";
        assert_eq!(
            fixed(&DeriveDebug, text),
            "mod m {\n    /// Docs stay first.\n    /// Two lines.\n    #[derive(Debug)]\n    #[repr(C)]\n    pub struct A {\n        x: u8,\n    }\n\n\t/** block doc */\n\t#[derive(Debug)]\n\tpub enum B { X }\n}\n#[derive(Debug)]\npub struct C; // trailing comment\n"
        );
    }

    #[test]
    fn same_line_items_get_an_inline_attribute() {
        let text = "/** doc */ pub struct A;\n";
        assert_eq!(
            fixed(&DeriveDebug, text),
            "/** doc */ #[derive(Debug)] pub struct A;\n"
        );
    }

    #[test]
    fn leaves_alone_types_that_have_debug_or_are_not_public() {
        let text = r#"
#[derive(Debug)] pub struct A;
#[derive(Clone, std::fmt::Debug)] pub struct B;
pub struct C;
impl std::fmt::Debug for C { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { Ok(()) } }
pub struct D<T>(T);
impl<T> fmt::Debug for D<T> { fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { Ok(()) } }
#[cfg_attr(feature = "x", derive(Debug))] pub struct E;
pub(crate) struct F;
struct G;
pub union U { a: u8 }
"#;
        assert!(
            found(&DeriveDebug, text).is_empty(),
            "{:?}",
            found(&DeriveDebug, text)
        );
    }

    #[test]
    fn reports_without_fix_when_a_field_blocks_the_derive() {
        let text = "struct Private;\npub struct A { p: Private }\npub struct B { f: Box<dyn Fn()> }\npub struct C { e: Box<dyn std::error::Error + Send> }\npub struct D { c: C, v: Vec<u8> }\n";
        let found = check(text);
        let summary: Vec<(String, bool)> = found
            .iter()
            .map(|d| (d.key.clone(), d.edits.is_some()))
            .collect();
        assert_eq!(
            summary,
            [
                ("struct A".to_owned(), false),
                ("struct B".to_owned(), false),
                ("struct C".to_owned(), true),
                ("struct D".to_owned(), true)
            ]
        );
        assert_eq!(
            found[0].message,
            "public struct `A` does not implement `Debug` (not fixed automatically: a field's type `Private` has no `Debug` either)"
        );
    }

    /// What still stands once the file's own facts are known, as the scan
    /// decides it for a crate of one file.
    fn standing(text: &str) -> Vec<String> {
        let file = crate::engine::skill::testing::parse(text);
        let cx = SkillContext::default();
        let facts: BTreeSet<String> = DeriveDebug.crate_facts(&file, &cx).into_iter().collect();
        DeriveDebug
            .check(&file, &cx)
            .into_iter()
            .filter(|d| DeriveDebug.stands(&d.key, &facts))
            .map(|d| d.message)
            .collect()
    }

    #[test]
    fn a_debug_written_by_a_macro_counts() {
        // Inside a macro call's tokens, written out.
        assert_eq!(
            standing(
                "pub struct A;\nimpls! { impl std::fmt::Debug for A { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { Ok(()) } } }\n"
            ),
            Vec::<String>::new()
        );
        // By a macro_rules that implements it for the type it is given.
        let by_macro = "macro_rules! debug_as_name {\n    ($t:ident) => {\n        impl core::fmt::Debug for $t {\n            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result { f.write_str(stringify!($t)) }\n        }\n    };\n}\npub struct B;\ndebug_as_name!(B);\npub struct C;\nother!(C);\n";
        assert_eq!(
            standing(by_macro),
            ["public struct `C` does not implement `Debug`"]
        );
    }

    #[test]
    fn a_debug_for_a_macros_trait_variable_or_an_alias_counts() {
        let by_trait = "macro_rules! impl_fmt {\n    ($($t:ident)*) => { $( impl<I> fmt::$t for Format<I> { fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result { Ok(()) } } )* };\n}\npub struct Format<I>(I);\nimpl_fmt! {Display Debug}\npub struct Other;\n";
        assert_eq!(
            standing(by_trait),
            ["public struct `Other` does not implement `Debug`"]
        );
        let by_alias = "pub struct Pair<W>(pub [W; 2]);\npub type Wide = Pair<u64>;\nimpl core::fmt::Debug for Wide {\n    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result { Ok(()) }\n}\n";
        assert_eq!(standing(by_alias), Vec::<String>::new());
    }

    #[test]
    fn a_type_whose_field_blocks_its_derive_blocks_its_holders_too() {
        let text =
            "struct Hidden;\npub struct Middle { h: Hidden }\npub struct Outer { m: Middle }\n";
        let found = check(text);
        let fixable: Vec<bool> = found.iter().map(|d| d.edits.is_some()).collect();
        assert_eq!(fixable, [false, false], "{found:#?}");
        assert!(
            found[1].message.contains("`Middle` has no `Debug` either"),
            "{}",
            found[1].message
        );
    }
}
