//! All rules of a repository in one walk over a file: a text search for
//! the words the rules need settles most files without a walk, and in the
//! walk each expression is tried only against the rules whose pattern
//! starts with a node of its kind.

use std::collections::{HashMap, HashSet};

use aho_corasick::AhoCorasick;
use quote::ToTokens;
use syn::visit::{self, Visit};

use super::matcher::{Bindings, BoundKind, Matcher, atomic, kind_fits, kind_of};
use super::pattern::Pat;
use super::pattern::{metavariable_refs, variant};
use super::rule::{Inside, Rule};
use super::template::{free_children, free_in_stmt, replacement};
use crate::engine::edit::Edit;
use crate::engine::skill::Detection;
use crate::engine::source::SourceFile;

/// A repository's rules with what the walk looks them up by.
#[derive(Debug)]
pub struct RuleBook {
    rules: Vec<Rule>,
    /// Root kind → rules whose pattern starts there.
    by_kind: HashMap<&'static str, Vec<usize>>,
    /// The words of rules that need one, and for each word its rule.
    words: Option<AhoCorasick>,
    word_rule: Vec<usize>,
    /// Rules without a word: every file may hold a match.
    wordless: Vec<usize>,
}

impl RuleBook {
    pub fn new(rules: Vec<Rule>) -> Self {
        let mut by_kind: HashMap<&'static str, Vec<usize>> = HashMap::new();
        let mut words = Vec::new();
        let mut word_rule = Vec::new();
        let mut wordless = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            by_kind.entry(rule.anchor.kind).or_default().push(i);
            let needed = rule.pattern.words();
            if needed.is_empty() {
                wordless.push(i);
            }
            for word in needed {
                words.push(word);
                word_rule.push(i);
            }
        }
        // Built from plain words, this cannot fail; if it did, every rule
        // would simply be tried on every file.
        let automaton = AhoCorasick::new(&words).ok();
        if automaton.is_none() {
            wordless = (0..rules.len()).collect();
        }
        Self {
            rules,
            by_kind,
            words: automaton,
            word_rule,
            wordless,
        }
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// What the rules `enabled` (by index) find in `file`, with each
    /// rule's index.
    pub fn check(&self, file: &SourceFile, enabled: &[bool]) -> Vec<(usize, Detection)> {
        let mut active = vec![false; self.rules.len()];
        for &i in &self.wordless {
            active[i] = true;
        }
        if let Some(words) = &self.words {
            for found in words.find_overlapping_iter(file.text()) {
                if let Some(&rule) = self.word_rule.get(found.pattern().as_usize()) {
                    active[rule] = true;
                }
            }
        }
        for (i, on) in active.iter_mut().enumerate() {
            *on &= enabled.get(i).copied().unwrap_or(false);
        }
        if !active.iter().any(|a| *a) {
            return Vec::new();
        }
        let mut walk = Walk {
            book: self,
            active,
            matcher: Matcher { file },
            places: Vec::new(),
            free: HashSet::new(),
            found: Vec::new(),
        };
        walk.visit_file(file.ast());
        walk.found.sort_by_key(|(rule, d)| (d.range.start, *rule));
        walk.found
    }
}

struct Walk<'b, 'f> {
    book: &'b RuleBook,
    active: Vec<bool>,
    matcher: Matcher<'f>,
    /// What the walk is inside, innermost last.
    places: Vec<Inside>,
    /// Addresses of the expressions that stand where any expression fits
    /// (an argument, a statement): a fix there never needs parentheses.
    free: HashSet<usize>,
    found: Vec<(usize, Detection)>,
}

/// What a function is, for `not-inside`.
fn fn_places(sig: &syn::Signature, attrs: &[syn::Attribute]) -> Vec<Inside> {
    let mut places = vec![Inside::Fn(sig.ident.to_string())];
    if is_test(attrs) {
        places.push(Inside::Test);
    }
    if matches!(sig.safety, syn::Safety::Unsafe(_)) {
        places.push(Inside::Unsafe);
    }
    places
}

fn is_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("test")
            || (a.path().is_ident("cfg")
                && a.meta
                    .require_list()
                    .is_ok_and(|l| l.tokens.to_string() == "test"))
    })
}

impl<'b> Walk<'b, '_> {
    /// The rules whose pattern starts with a node of `kind` (some may be
    /// inactive for this file).
    fn candidates(&self, kind: &str) -> &'b [usize] {
        self.book.by_kind.get(kind).map_or(&[], Vec::as_slice)
    }

    fn inside(&self, place: &Inside) -> bool {
        match place {
            Inside::Impl(name) => self
                .places
                .iter()
                .any(|p| matches!(p, Inside::Impl(names) if names.split(' ').any(|n| n == name))),
            other => self.places.contains(other),
        }
    }

    /// A match of rule `i` at `range` stands if its constraints hold.
    /// `tight`: the match stands where only an atomic expression keeps
    /// its meaning, so a fix that is not one gets parentheses.
    fn record(
        &mut self,
        i: usize,
        b: &Bindings,
        range: std::ops::Range<usize>,
        key: String,
        tight: bool,
    ) {
        let rule = &self.book.rules[i];
        let file = self.matcher.file;
        if rule.not_inside.iter().any(|p| self.inside(p)) {
            return;
        }
        for (name, check) in &rule.constraints {
            let Some(bound) = b.get(name) else {
                return;
            };
            let text = file.slice(bound.range.clone());
            if let Some(kind) = &check.kind {
                let fits = match bound.what {
                    BoundKind::Expr {
                        kind: bound_kind, ..
                    } => kind_fits(kind, bound_kind),
                    BoundKind::Ident => matches!(kind.as_str(), "ident" | "path" | "expr"),
                    BoundKind::Type => false,
                    BoundKind::Tokens => syn::parse_str::<syn::Expr>(text)
                        .is_ok_and(|e| kind_fits(kind, kind_of(&e))),
                };
                if !fits {
                    return;
                }
            }
            if check.regex.as_ref().is_some_and(|r| !r.is_match(text))
                || check.not_regex.as_ref().is_some_and(|r| r.is_match(text))
            {
                return;
            }
        }
        let edits = rule.fix.as_ref().and_then(|fix| {
            let rendered = fix.render(b, |r| file.slice(r));
            let text = replacement(rendered, tight)?;
            Some(vec![Edit::replace(range.clone(), text)])
        });
        let message = substitute(&rule.message, b, file);
        self.found.push((
            i,
            Detection {
                range,
                message,
                key,
                edits,
                fix_needs: None,
            },
        ));
    }

    fn with_place(&mut self, places: Vec<Inside>, walk: impl FnOnce(&mut Self)) {
        let depth = self.places.len();
        self.places.extend(places);
        walk(self);
        self.places.truncate(depth);
    }
}

/// The message with each `$X` replaced by the code it bound.
fn substitute(message: &str, b: &Bindings, file: &SourceFile) -> String {
    let mut out = String::with_capacity(message.len());
    let mut at = 0;
    for (range, _, name) in metavariable_refs(message) {
        let Some(bound) = b.get(name) else {
            continue;
        };
        out.push_str(&message[at..range.start]);
        let code = file.slice(bound.range.clone());
        out.push_str(&code.split_whitespace().collect::<Vec<_>>().join(" "));
        at = range.end;
    }
    out.push_str(&message[at..]);
    out
}

/// The kind an expression's pattern would start with (see `Pat::anchor`).
fn root_kind(expr: &syn::Expr) -> &'static str {
    use syn::Expr;
    match expr {
        Expr::Path(_) => "path",
        Expr::Lit(_) => "lit",
        Expr::Call(_) => "call",
        Expr::MethodCall(_) => "method-call",
        Expr::Field(_) => "field",
        Expr::Unary(_) => "unary",
        Expr::Binary(_) => "binary",
        Expr::Reference(_) => "reference",
        Expr::Paren(_) => "paren",
        Expr::Try(_) => "try",
        Expr::Await(_) => "await",
        Expr::Index(_) => "index",
        Expr::Cast(_) => "cast",
        Expr::Tuple(_) => "tuple",
        Expr::Array(_) => "array",
        Expr::Return(_) => "return",
        // Macro calls are matched where every macro call is seen.
        Expr::Macro(_) => "",
        other => variant(other),
    }
}

impl<'ast> Visit<'ast> for Walk<'_, '_> {
    fn visit_expr(&mut self, expr: &'ast syn::Expr) {
        let book = self.book;
        for &i in self.candidates(root_kind(expr)) {
            if !self.active[i] {
                continue;
            }
            let rule = &book.rules[i];
            let mut b = Bindings::new(&rule.repeated);
            if self.matcher.expr(&rule.pattern, expr, &mut b) {
                let key = expr.to_token_stream().to_string();
                let free = self.free.contains(&(expr as *const syn::Expr as usize));
                let range = self.matcher.file.range_of(expr);
                self.record(i, &b, range, key, atomic(expr) && !free);
            }
        }
        free_children(expr, &mut |e| {
            self.free.insert(e as *const syn::Expr as usize);
        });
        visit::visit_expr(self, expr);
    }

    fn visit_stmt(&mut self, stmt: &'ast syn::Stmt) {
        free_in_stmt(stmt, &mut |e| {
            self.free.insert(e as *const syn::Expr as usize);
        });
        visit::visit_stmt(self, stmt);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let book = self.book;
        let name = mac.path.segments.last().map(|s| &s.ident);
        for &i in self.candidates("macro") {
            let rule = &book.rules[i];
            let other_name = match (&rule.anchor.name, name) {
                (Some(wanted), Some(name)) => name != wanted,
                (Some(_), None) => true,
                (None, _) => false,
            };
            if !self.active[i] || other_name {
                continue;
            }
            let Pat::Macro { path, tokens } = &rule.pattern else {
                continue;
            };
            let mut b = Bindings::new(&rule.repeated);
            if self.matcher.mac(path, tokens, mac, &mut b) {
                let file = self.matcher.file;
                let start = file.range_of(&mac.path).start;
                let end = file.span_range(mac.delimiter.span().close()).end;
                let key = mac.to_token_stream().to_string();
                self.record(i, &b, start..end, key, true);
            }
        }
        visit::visit_macro(self, mac);
    }

    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        let places = fn_places(&item.sig, &item.attrs);
        self.with_place(places, |w| visit::visit_item_fn(w, item));
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        let places = fn_places(&item.sig, &item.attrs);
        self.with_place(places, |w| visit::visit_impl_item_fn(w, item));
    }

    fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
        let last = |path: &syn::Path| path.segments.last().map(|s| s.ident.to_string());
        let mut names = Vec::new();
        if let Some((path, _)) = &item.trait_ {
            names.extend(last(path));
        }
        if let syn::Type::Path(p) = &*item.self_ty {
            names.extend(last(&p.path));
        }
        self.with_place(vec![Inside::Impl(names.join(" "))], |w| {
            visit::visit_item_impl(w, item)
        });
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        let mut places = vec![Inside::Mod(item.ident.to_string())];
        if is_test(&item.attrs) {
            places.push(Inside::Test);
        }
        self.with_place(places, |w| visit::visit_item_mod(w, item));
    }

    fn visit_expr_unsafe(&mut self, expr: &'ast syn::ExprUnsafe) {
        self.with_place(vec![Inside::Unsafe], |w| visit::visit_expr_unsafe(w, expr));
    }
}
