//! Which receivers surely have `is_empty`, as far as the syntax tells:
//! slices, arrays, `str`, `String` and std collections (and what derefs to
//! them through `&`, `Box`, `Rc`, `Arc`, `Cow`), types of the file that
//! define `is_empty`, and what std's string and slice methods return. A
//! receiver of any other type is left to the compiler-checked lint path:
//! `ExactSizeIterator::is_empty` is unstable, and a type may have `len`
//! without `is_empty`.

use std::collections::{HashMap, HashSet};

use syn::{Expr, Lit, Type};

/// What is known of the names in scope.
#[derive(Debug, Default, Clone)]
pub struct Scope {
    /// Bindings whose type is written down or plain from their value.
    names: HashMap<String, Known>,
}

#[derive(Debug, Clone)]
enum Known {
    Type(Box<Type>),
    /// Made by an expression that surely has `is_empty` (`String::new()`).
    HasIsEmpty,
}

/// The file's facts that receivers are judged by.
#[derive(Debug, Default)]
pub struct FileTypes {
    /// Types with an `is_empty` method in this file.
    pub with_is_empty: HashSet<String>,
    /// Field types by struct name and field name.
    pub fields: HashMap<String, HashMap<String, Type>>,
}

const COLLECTIONS: [&str; 11] = [
    "str",
    "String",
    "Vec",
    "VecDeque",
    "LinkedList",
    "BinaryHeap",
    "HashMap",
    "HashSet",
    "BTreeMap",
    "BTreeSet",
    "OsStr",
];

/// Wrappers whose first type argument a method call reaches through deref.
const SMART: [&str; 4] = ["Box", "Rc", "Arc", "Cow"];

/// Methods of `str`, `String` and slices whose result has `is_empty`.
const STRING_METHODS: [&str; 12] = [
    "trim",
    "trim_start",
    "trim_end",
    "as_str",
    "as_bytes",
    "as_slice",
    "as_mut_slice",
    "to_vec",
    "to_string",
    "to_lowercase",
    "to_uppercase",
    "into_bytes",
];

/// Constructors whose value has `is_empty`.
const CONSTRUCTORS: [&str; 4] = ["new", "with_capacity", "from", "default"];

impl Scope {
    pub fn bind_type(&mut self, name: String, ty: &Type) {
        self.names.insert(name, Known::Type(Box::new(ty.clone())));
    }

    /// `let name = value;`: known when the value is.
    pub fn bind_value(
        &mut self,
        name: String,
        value: &Expr,
        types: &FileTypes,
        in_impl: Option<&str>,
    ) {
        if self.has_is_empty(value, types, in_impl) {
            self.names.insert(name, Known::HasIsEmpty);
        } else {
            // A shadowing binding of unknown type hides what was known.
            self.names.remove(&name);
        }
    }

    pub fn forget(&mut self, name: &str) {
        self.names.remove(name);
    }

    /// Whether `recv.is_empty()` surely exists. `in_impl` names the type
    /// of the enclosing `impl`, for `self.field`.
    pub fn has_is_empty(&self, recv: &Expr, types: &FileTypes, in_impl: Option<&str>) -> bool {
        match recv {
            Expr::Paren(p) => self.has_is_empty(&p.expr, types, in_impl),
            Expr::Reference(r) => self.has_is_empty(&r.expr, types, in_impl),
            Expr::Group(g) => self.has_is_empty(&g.expr, types, in_impl),
            Expr::Lit(lit) => matches!(lit.lit, Lit::Str(_) | Lit::ByteStr(_)),
            Expr::Array(_) => true,
            Expr::Macro(m) => m
                .mac
                .path
                .segments
                .last()
                .is_some_and(|s| s.ident == "format" || s.ident == "vec"),
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => {
                self.has_is_empty(&u.expr, types, in_impl)
            }
            Expr::Path(p) if p.path.is_ident("self") => {
                in_impl.is_some_and(|t| types.with_is_empty.contains(t))
            }
            Expr::Path(p) => {
                p.path
                    .get_ident()
                    .is_some_and(|name| match self.names.get(&name.to_string()) {
                        Some(Known::HasIsEmpty) => true,
                        Some(Known::Type(ty)) => type_has_is_empty(ty, types),
                        None => false,
                    })
            }
            Expr::Field(field) => self
                .field_type(field, types, in_impl)
                .is_some_and(|ty| type_has_is_empty(ty, types)),
            Expr::Index(index) => self
                .type_of(&index.expr, types, in_impl)
                .and_then(element_type)
                .is_some_and(|ty| type_has_is_empty(ty, types)),
            Expr::MethodCall(call) => STRING_METHODS.contains(&call.method.to_string().as_str()),
            Expr::Call(call) => {
                let Expr::Path(p) = &*call.func else {
                    return false;
                };
                let segments: Vec<String> = p
                    .path
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect();
                match segments.as_slice() {
                    [.., ty, ctor] => {
                        CONSTRUCTORS.contains(&ctor.as_str())
                            && (COLLECTIONS.contains(&ty.as_str())
                                || types.with_is_empty.contains(ty))
                    }
                    _ => false,
                }
            }
            _ => false,
        }
    }

    /// The crate fact that would tell `recv` has `is_empty` where this file
    /// cannot: `field T.f` for `self.f` in an `impl T` of a struct defined
    /// elsewhere, `is-empty T` for a name whose written type is `T`.
    pub fn needed_fact(
        &self,
        recv: &Expr,
        types: &FileTypes,
        in_impl: Option<&str>,
    ) -> Option<String> {
        match recv {
            Expr::Paren(p) => self.needed_fact(&p.expr, types, in_impl),
            Expr::Reference(r) => self.needed_fact(&r.expr, types, in_impl),
            Expr::Field(field) => {
                let Expr::Path(base) = &*field.base else {
                    return None;
                };
                let (true, syn::Member::Named(name), Some(owner)) =
                    (base.path.is_ident("self"), &field.member, in_impl)
                else {
                    return None;
                };
                // A struct of this file is known already; no other file adds fields.
                (!types.fields.contains_key(owner)).then(|| format!("field {owner}.{name}"))
            }
            Expr::Path(_) => {
                let mut ty = self.type_of(recv, types, in_impl)?;
                while let Type::Reference(r) = ty {
                    ty = &r.elem;
                }
                let Type::Path(p) = ty else { return None };
                Some(format!("is-empty {}", p.path.segments.last()?.ident))
            }
            _ => None,
        }
    }

    /// The written type of a name, a field of `self`, or an element.
    fn type_of<'s>(
        &'s self,
        expr: &Expr,
        types: &'s FileTypes,
        in_impl: Option<&str>,
    ) -> Option<&'s Type> {
        match expr {
            Expr::Paren(p) => self.type_of(&p.expr, types, in_impl),
            Expr::Path(p) => match self.names.get(&p.path.get_ident()?.to_string())? {
                Known::Type(ty) => Some(ty),
                Known::HasIsEmpty => None,
            },
            Expr::Field(field) => self.field_type(field, types, in_impl),
            _ => None,
        }
    }

    fn field_type<'s>(
        &'s self,
        field: &syn::ExprField,
        types: &'s FileTypes,
        in_impl: Option<&str>,
    ) -> Option<&'s Type> {
        let Expr::Path(base) = &*field.base else {
            return None;
        };
        if !base.path.is_ident("self") {
            return None;
        }
        let syn::Member::Named(name) = &field.member else {
            return None;
        };
        types.fields.get(in_impl?)?.get(&name.to_string())
    }
}

/// Whether a value of `ty` surely has `is_empty`.
pub fn type_has_is_empty(ty: &Type, types: &FileTypes) -> bool {
    match ty {
        Type::Reference(r) => type_has_is_empty(&r.elem, types),
        Type::Paren(p) => type_has_is_empty(&p.elem, types),
        Type::Group(g) => type_has_is_empty(&g.elem, types),
        Type::Slice(_) | Type::Array(_) => true,
        Type::Path(p) => {
            let Some(last) = p.path.segments.last() else {
                return false;
            };
            let name = last.ident.to_string();
            if COLLECTIONS.contains(&name.as_str()) || types.with_is_empty.contains(&name) {
                return true;
            }
            SMART.contains(&name.as_str())
                && first_type_argument(last).is_some_and(|inner| type_has_is_empty(inner, types))
        }
        _ => false,
    }
}

/// The element type of a slice, array or `Vec` (through references).
fn element_type(ty: &Type) -> Option<&Type> {
    match ty {
        Type::Reference(r) => element_type(&r.elem),
        Type::Slice(s) => Some(&s.elem),
        Type::Array(a) => Some(&a.elem),
        Type::Path(p) => {
            let last = p.path.segments.last()?;
            (last.ident == "Vec")
                .then(|| first_type_argument(last))
                .flatten()
        }
        _ => None,
    }
}

fn first_type_argument(segment: &syn::PathSegment) -> Option<&Type> {
    let syn::PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    args.args.iter().find_map(|a| match a {
        syn::GenericArgument::Type(ty) => Some(ty),
        _ => None,
    })
}

/// What a file tells the rest of its crate: `is-empty T` for each of its
/// types with an `is_empty` method, `field T.f` for each struct field whose
/// type has one.
pub fn crate_facts(types: &FileTypes) -> Vec<String> {
    let mut facts: Vec<String> = types
        .with_is_empty
        .iter()
        .map(|t| format!("is-empty {t}"))
        .collect();
    for (owner, fields) in &types.fields {
        for (name, ty) in fields {
            if type_has_is_empty(ty, types) {
                facts.push(format!("field {owner}.{name}"));
            }
        }
    }
    facts.sort();
    facts
}
