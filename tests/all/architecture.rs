//! The layers of `src/`, kept. Every path into the crate — in a `use`, in
//! code, inside a macro's tokens — is an import arrow from the file it is
//! in to the file of the module it names. Arrows must point down the
//! [`LAYERS`] table, a few outside crates stay in the layer that owns them
//! ([`ONLY_IN`]), decisions stay free of effects ([`NOT_IN`]), and no file
//! may reach itself through its imports. The way cargo-deny bans crates,
//! for modules.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use proc_macro2::{Spacing, TokenStream, TokenTree};
use syn::visit::{self, Visit};

/// A layer: the files it holds (paths under `src/`: a file, or a folder
/// ending in `/`), and the module paths it may import besides its own.
struct Layer {
    name: &'static str,
    files: &'static [&'static str],
    may_import: &'static [&'static str],
}

/// Top to bottom. A layer may import its own modules and those listed; a
/// listed `store::ledger` allows that module only.
const LAYERS: &[Layer] = &[
    Layer {
        name: "cli",
        files: &["main.rs", "cli/"],
        may_import: &[
            "bot", "report", "scaffold", "policy", "forge", "engine", "store", "config", "sys",
            "vocab",
        ],
    },
    Layer {
        name: "bot",
        files: &["bot/"],
        may_import: &[
            "report", "scaffold", "policy", "forge", "engine", "store", "config", "sys", "vocab",
        ],
    },
    Layer {
        name: "report",
        files: &["report/"],
        may_import: &["engine", "store::ledger", "config", "vocab"],
    },
    Layer {
        name: "scaffold",
        files: &["scaffold/"],
        may_import: &["engine", "config", "vocab"],
    },
    Layer {
        name: "policy",
        files: &["policy/"],
        may_import: &[
            "engine",
            "store::ledger",
            "store::checks",
            "config",
            "vocab",
        ],
    },
    Layer {
        name: "forge",
        files: &["forge/"],
        may_import: &["store", "config", "sys", "vocab"],
    },
    Layer {
        name: "engine",
        files: &["engine/"],
        may_import: &["config", "sys", "vocab"],
    },
    Layer {
        name: "store",
        files: &["store/"],
        may_import: &["config", "sys", "vocab"],
    },
    Layer {
        name: "config",
        files: &["config/"],
        may_import: &["vocab"],
    },
    Layer {
        name: "sys",
        files: &["sys/"],
        may_import: &["vocab"],
    },
    Layer {
        name: "vocab",
        files: &["vocab/"],
        may_import: &[],
    },
];

/// Outside crates that belong to one layer: whoever else needs what they
/// do goes through that layer.
const ONLY_IN: &[(&str, &[&str], &str)] = &[
    ("git2", &["store"], "git goes through the store"),
    ("octocrab", &["forge"], "GitHub goes through the forge"),
    (
        "tokio",
        &["forge"],
        "the bot is synchronous; only the GitHub forge runs async",
    ),
    ("minijinja", &["report"], "templates are rendered in report"),
    ("clap", &["cli"], "arguments are parsed at the edge"),
    (
        "anyhow",
        &["cli"],
        "the library's errors are typed; anyhow is for the binary's edge",
    ),
    (
        "indicatif",
        &["cli"],
        "progress bars are the command line's",
    ),
    (
        "tracing_subscriber",
        &["cli"],
        "logging is set up at the edge",
    ),
];

/// What a layer must not touch at all (a path containing these segments).
const NOT_IN: &[(&str, &[&str], &str)] = &[
    (
        "policy",
        &[
            "std::fs",
            "std::process",
            "std::env",
            "std::net",
            "tempfile",
            "Timestamp::now",
            "SystemTime",
            "Instant::now",
            "std::thread",
        ],
        "policy decides from values: no filesystem, processes, environment, network, threads or clock",
    ),
    (
        "vocab",
        &["std::fs", "std::process", "std::env"],
        "the vocabulary is values only",
    ),
];

/// Files over this many lines must say in their `//!` why they are long
/// (a line starting `Long because`).
const MAX_LINES: usize = 800;

#[test]
fn imports_point_down_the_layers_and_never_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = BTreeMap::new();
    collect(&src, &src, &mut files);
    assert!(
        files.len() > 40,
        "src/ should hold the crate, found {}",
        files.len()
    );
    let (problems, arrows) = check_with_arrows(&files);
    assert!(
        problems.is_empty(),
        "the layering is broken:\n{}",
        problems.join("\n")
    );
    // The check sees the imports it judges.
    assert!(
        arrows.len() > 150,
        "only {} import arrows found",
        arrows.len()
    );
    for (from, to) in [
        ("bot/cycle.rs", "policy/plan/mod.rs"),
        ("bot/watch.rs", "policy/watch/mod.rs"),
        ("cli/run.rs", "bot/on_event.rs"),
        ("engine/source.rs", "engine/source/lexer.rs"),
        ("bot/commands/dispatch.rs", "bot/commands/grammar.rs"),
    ] {
        assert!(
            arrows.contains(&(from.to_owned(), to.to_owned())),
            "the arrow {from} → {to} was not seen"
        );
    }
}

#[test]
fn every_layer_has_files_and_every_file_a_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = BTreeMap::new();
    collect(&src, &src, &mut files);
    for layer in LAYERS {
        assert!(
            files
                .keys()
                .any(|f| layer_of(f).is_some_and(|l| l.name == layer.name)),
            "no file in layer {}",
            layer.name
        );
    }
}

#[test]
fn an_upward_import_is_named_with_its_file() {
    let problems = check(&tree(&[
        ("lib.rs", "//! root\npub mod policy;\npub mod bot;\n"),
        ("policy/mod.rs", "//! p\npub mod plan;\n"),
        (
            "policy/plan.rs",
            "//! p\nuse crate::bot::cycle::{self, run};\nfn f() { crate::vocab::x(); }\n",
        ),
        ("bot/mod.rs", "//! b\npub mod cycle;\n"),
        ("bot/cycle.rs", "//! b\npub fn run() {}\n"),
    ]));
    assert_eq!(
        problems,
        [
            "src/policy/plan.rs imports `crate::bot::cycle` (layer bot); policy may import only engine, store::ledger, store::checks, config, vocab"
        ]
    );
}

#[test]
fn a_circle_is_named_with_every_step() {
    let problems = check(&tree(&[
        ("lib.rs", "//! root\npub mod engine;\n"),
        ("engine/mod.rs", "//! e\n"),
        (
            "engine/edit.rs",
            "//! e\nuse crate::engine::finding::Fingerprint;\n",
        ),
        (
            "engine/finding.rs",
            "//! e\nuse super::source::LineCol;\n#[cfg(test)]\nmod tests { use super::*; }\n",
        ),
        (
            "engine/source.rs",
            "//! e\nfn f() { format!(\"{}\", crate::engine::edit::splice()); }\n",
        ),
    ]));
    assert_eq!(
        problems,
        [
            "import circle: src/engine/edit.rs → src/engine/finding.rs (`crate::engine::finding`) → src/engine/source.rs (`crate::engine::source`) → src/engine/edit.rs (`crate::engine::edit`)"
        ]
    );
}

#[test]
fn effects_and_owned_crates_are_kept_in_their_layers() {
    let problems = check(&tree(&[
        ("lib.rs", "//! root\n"),
        ("policy/mod.rs", "//! p\n"),
        (
            "policy/pace.rs",
            "//! p\nuse std::{collections::BTreeMap, fs};\nfn f() { let _ = Timestamp::now(); }\n",
        ),
        ("engine/mod.rs", "//! e\n"),
        ("engine/scan.rs", "//! e\nfn f() -> git2::Oid { todo!() }\n"),
        ("util.rs", "pub fn helper() {}\n"),
    ]));
    assert_eq!(
        problems,
        [
            "src/engine/scan.rs uses `git2::Oid`: only store may (git goes through the store)",
            "src/policy/pace.rs uses `Timestamp::now`: policy decides from values: no filesystem, processes, environment, network, threads or clock",
            "src/policy/pace.rs uses `std::fs`: policy decides from values: no filesystem, processes, environment, network, threads or clock",
            "src/util.rs belongs to no layer: put it in the layer that owns it (see LAYERS)",
            "src/util.rs has no `//!` saying what it is for",
        ]
    );
}

fn tree(files: &[(&str, &str)]) -> BTreeMap<String, String> {
    files
        .iter()
        .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
        .collect()
}

fn collect(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.insert(rel, std::fs::read_to_string(&path).unwrap());
        }
    }
}

/// Which crate a file is compiled into, and its module path there.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Module {
    binary: bool,
    path: Vec<String>,
}

impl Module {
    /// `bot/commands/mod.rs` → `bot::commands`; files of the binary
    /// (`main.rs`, `cli/`) are modules of the binary crate.
    fn of_file(file: &str) -> Self {
        let binary = file == "main.rs" || file.starts_with("cli/");
        let stem = file.trim_end_matches(".rs");
        let mut path: Vec<String> = stem.split('/').map(str::to_owned).collect();
        if matches!(
            path.last().map(String::as_str),
            Some("mod" | "lib" | "main")
        ) {
            path.pop();
        }
        Self { binary, path }
    }

    fn shown(&self) -> String {
        self.path.join("::")
    }
}

fn layer_of(file: &str) -> Option<&'static Layer> {
    LAYERS.iter().find(|l| {
        l.files.iter().any(|f| {
            if f.ends_with('/') {
                file.starts_with(f)
            } else {
                file == *f
            }
        })
    })
}

/// One path a file names, as written (`crate::a::b`), and where it is.
struct Named {
    segments: Vec<String>,
    /// The module the path is written in (a file's, or an inline `mod` in it).
    scope: Vec<String>,
}

fn check(files: &BTreeMap<String, String>) -> Vec<String> {
    check_with_arrows(files).0
}

/// The problems, and every import arrow between two files.
fn check_with_arrows(
    files: &BTreeMap<String, String>,
) -> (Vec<String>, BTreeSet<(String, String)>) {
    let modules: BTreeMap<Module, &str> = files
        .keys()
        .map(|f| (Module::of_file(f), f.as_str()))
        .collect();
    let mut problems = BTreeSet::new();
    // file → (file it imports → the path that does it)
    let mut edges: BTreeMap<&str, BTreeMap<&str, String>> = BTreeMap::new();
    for (file, text) in files {
        if file != "lib.rs" && !text.trim_start().starts_with("//!") {
            problems.insert(format!("src/{file} has no `//!` saying what it is for"));
        }
        let lines = text.lines().count();
        if lines > MAX_LINES && !text.lines().any(|l| l.starts_with("//! Long because")) {
            problems.insert(format!(
                "src/{file} has {lines} lines: split it, or say in its `//!` why it is long (`//! Long because …`)"
            ));
        }
        let layer = layer_of(file);
        if layer.is_none() && file != "lib.rs" {
            problems.insert(format!(
                "src/{file} belongs to no layer: put it in the layer that owns it (see LAYERS)"
            ));
        }
        let me = Module::of_file(file);
        let ast = match syn::parse_file(text) {
            Ok(ast) => ast,
            Err(e) => {
                problems.insert(format!("src/{file} does not parse: {e}"));
                continue;
            }
        };
        let mut names = Names {
            scope: me.path.clone(),
            found: Vec::new(),
        };
        names.visit_file(&ast);
        for named in names.found {
            let Some((module, target_file)) = resolve(&me, &named)
                .and_then(|target| longest_module(&modules, &target))
                .or_else(|| child_module(&modules, &me, &named))
            else {
                external(file, layer, &named.segments, &mut problems);
                continue;
            };
            if *target_file == file.as_str() || module.path.is_empty() {
                continue;
            }
            let root = if me.binary && !module.binary {
                "patchwright"
            } else {
                "crate"
            };
            let shown = format!("{root}::{}", module.shown());
            edges
                .entry(file.as_str())
                .or_default()
                .entry(target_file)
                .or_insert(shown.clone());
            let (Some(from), Some(to)) = (layer, layer_of(target_file)) else {
                continue;
            };
            if from.name == to.name {
                continue;
            }
            let allowed = from.may_import.iter().any(|prefix| {
                let prefix: Vec<&str> = prefix.split("::").collect();
                module.path.len() >= prefix.len()
                    && module.path.iter().zip(&prefix).all(|(a, b)| a == b)
            });
            if !allowed {
                problems.insert(format!(
                    "src/{file} imports `{shown}` (layer {}); {} may import only {}",
                    to.name,
                    from.name,
                    if from.may_import.is_empty() {
                        "its own modules".to_owned()
                    } else {
                        from.may_import.join(", ")
                    }
                ));
            }
        }
    }
    for circle in circles(&edges) {
        problems.insert(circle);
    }
    let arrows = edges
        .iter()
        .flat_map(|(from, to)| to.keys().map(|to| ((*from).to_owned(), (*to).to_owned())))
        .collect();
    (problems.into_iter().collect(), arrows)
}

/// Where a crate path points: `crate::`, `super::`, `self::`, and (from the
/// binary) `patchwright::`. `None` for outside crates and local names.
fn resolve(me: &Module, named: &Named) -> Option<Module> {
    let mut segments = named.segments.iter();
    let first = segments.next()?;
    let (binary, mut path) = match first.as_str() {
        "crate" => (me.binary, Vec::new()),
        "patchwright" if me.binary => (false, Vec::new()),
        "self" => (me.binary, named.scope.clone()),
        "super" => {
            let mut scope = named.scope.clone();
            scope.pop();
            let mut rest = segments.as_slice();
            while let [first, tail @ ..] = rest
                && first == "super"
            {
                scope.pop();
                rest = tail;
            }
            segments = rest.iter();
            (me.binary, scope)
        }
        _ => return None,
    };
    path.extend(segments.cloned());
    Some(Module { binary, path })
}

/// The file module a path lands in: the longest prefix that is a file.
fn longest_module<'m>(
    modules: &'m BTreeMap<Module, &'m str>,
    target: &Module,
) -> Option<(&'m Module, &'m &'m str)> {
    (0..=target.path.len()).rev().find_map(|n| {
        let prefix = Module {
            binary: target.binary,
            path: target.path[..n].to_vec(),
        };
        modules.get_key_value(&prefix)
    })
}

/// A path relative to the module it is written in (`use lexer::Comment`
/// in `source.rs`): the child module it starts with, if there is one.
fn child_module<'m>(
    modules: &'m BTreeMap<Module, &'m str>,
    me: &Module,
    named: &Named,
) -> Option<(&'m Module, &'m &'m str)> {
    let mut path = named.scope.clone();
    path.extend(named.segments.iter().cloned());
    let (module, file) = longest_module(
        modules,
        &Module {
            binary: me.binary,
            path,
        },
    )?;
    (module.path.len() > named.scope.len()).then_some((module, file))
}

fn external(
    file: &str,
    layer: Option<&Layer>,
    segments: &[String],
    problems: &mut BTreeSet<String>,
) {
    let Some(layer) = layer else {
        return;
    };
    let path = segments.join("::");
    for (krate, owners, why) in ONLY_IN {
        if segments.first().is_some_and(|s| s == krate) && !owners.contains(&layer.name) {
            problems.insert(format!(
                "src/{file} uses `{path}`: only {} may ({why})",
                owners.join(", ")
            ));
        }
    }
    for (name, banned, why) in NOT_IN {
        if *name != layer.name {
            continue;
        }
        for pattern in *banned {
            let pattern: Vec<&str> = pattern.split("::").collect();
            let found = segments
                .windows(pattern.len())
                .any(|w| w.iter().zip(&pattern).all(|(a, b)| a == b));
            if found {
                problems.insert(format!("src/{file} uses `{}`: {why}", pattern.join("::")));
            }
        }
    }
}

/// Every circle, as `a → b (how) → … → a`, one per strongly connected group
/// of files.
fn circles(edges: &BTreeMap<&str, BTreeMap<&str, String>>) -> Vec<String> {
    let nodes: BTreeSet<&str> = edges
        .iter()
        .flat_map(|(from, to)| std::iter::once(*from).chain(to.keys().copied()))
        .collect();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut out = Vec::new();
    for node in nodes {
        if seen.contains(node) {
            continue;
        }
        let Some(path) = shortest_circle(edges, node) else {
            continue;
        };
        seen.extend(path.iter().copied());
        let mut text = format!("import circle: src/{}", path[0]);
        for pair in path.windows(2) {
            text.push_str(&format!(
                " → src/{} (`{}`)",
                pair[1], edges[pair[0]][pair[1]]
            ));
        }
        out.push(text);
    }
    out
}

/// The shortest way from `from` back to itself, breadth first.
fn shortest_circle<'a>(
    edges: &BTreeMap<&'a str, BTreeMap<&'a str, String>>,
    from: &'a str,
) -> Option<Vec<&'a str>> {
    let mut previous: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([from]);
    while let Some(at) = queue.pop_front() {
        for next in edges.get(at).into_iter().flat_map(|m| m.keys().copied()) {
            if next == from {
                let mut path = vec![from, at];
                let mut back = at;
                while back != from {
                    back = previous[back];
                    path.push(back);
                }
                path.reverse();
                return Some(path);
            }
            if !previous.contains_key(next) {
                previous.insert(next, at);
                queue.push_back(next);
            }
        }
    }
    None
}

/// Collects every path a file names.
struct Names {
    scope: Vec<String>,
    found: Vec<Named>,
}

impl Names {
    fn add(&mut self, segments: Vec<String>) {
        if !segments.is_empty() {
            self.found.push(Named {
                segments,
                scope: self.scope.clone(),
            });
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let mut path = prefix.clone();
                if n.ident != "self" {
                    path.push(n.ident.to_string());
                }
                self.add(path);
            }
            syn::UseTree::Rename(r) => {
                let mut path = prefix.clone();
                if r.ident != "self" {
                    path.push(r.ident.to_string());
                }
                self.add(path);
            }
            syn::UseTree::Glob(_) => self.add(prefix.clone()),
            syn::UseTree::Group(g) => {
                for tree in &g.items {
                    self.use_tree(prefix, tree);
                }
            }
        }
    }

    /// `a::b::c` sequences in tokens a macro holds.
    fn tokens(&mut self, tokens: TokenStream) {
        let mut current: Vec<String> = Vec::new();
        let mut colons = 0;
        for tree in tokens {
            match tree {
                TokenTree::Ident(ident) if colons == 2 || current.is_empty() => {
                    current.push(ident.to_string());
                    colons = 0;
                }
                TokenTree::Punct(p) if p.as_char() == ':' && !current.is_empty() => {
                    colons += 1;
                    if colons == 1 && p.spacing() != Spacing::Joint {
                        self.add(std::mem::take(&mut current));
                        colons = 0;
                    }
                }
                other => {
                    if current.len() > 1 {
                        self.add(std::mem::take(&mut current));
                    }
                    current.clear();
                    colons = 0;
                    if let TokenTree::Ident(ident) = other {
                        current.push(ident.to_string());
                    } else if let TokenTree::Group(group) = other {
                        self.tokens(group.stream());
                    }
                }
            }
        }
        if current.len() > 1 {
            self.add(current);
        }
    }
}

impl<'ast> Visit<'ast> for Names {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &item.tree);
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        self.scope.push(item.ident.to_string());
        visit::visit_item_mod(self, item);
        self.scope.pop();
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        if path.segments.len() > 1 || path.leading_colon.is_some() {
            self.add(path.segments.iter().map(|s| s.ident.to_string()).collect());
        }
        visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.visit_path(&mac.path);
        self.tokens(mac.tokens.clone());
    }
}

/// The one file that may print: it removes the token from what it prints.
const PRINTS: &str = "cli/output.rs";
const PRINTING_MACROS: [&str; 5] = ["println", "eprintln", "print", "eprint", "dbg"];

/// Files that print other than through [`PRINTS`], as `file: macro!`.
fn printers(files: &BTreeMap<String, String>) -> Vec<String> {
    struct Macros(Vec<String>);
    impl<'ast> Visit<'ast> for Macros {
        fn visit_macro(&mut self, mac: &'ast syn::Macro) {
            if let Some(last) = mac.path.segments.last() {
                let name = last.ident.to_string();
                if PRINTING_MACROS.contains(&name.as_str()) {
                    self.0.push(name);
                }
            }
            visit::visit_macro(self, mac);
        }
    }
    let mut found = Vec::new();
    for (file, text) in files {
        if file == PRINTS {
            continue;
        }
        let Ok(parsed) = syn::parse_file(text) else {
            found.push(format!("src/{file}: does not parse"));
            continue;
        };
        let mut macros = Macros(Vec::new());
        macros.visit_file(&parsed);
        for name in macros.0 {
            found.push(format!(
                "src/{file}: {name}! (print through src/{PRINTS}, which hides the token)"
            ));
        }
    }
    found
}

#[test]
fn only_the_output_module_prints() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = BTreeMap::new();
    collect(&src, &src, &mut files);
    let found = printers(&files);
    assert!(found.is_empty(), "{}", found.join("\n"));
    // The check sees a print where there is one.
    assert_eq!(
        printers(&tree(&[
            ("cli/output.rs", "fn f() { println!(\"ok\"); }"),
            (
                "bot/x.rs",
                "fn f() { if true { eprintln!(\"{}\", 1); } std::dbg!(2); }"
            ),
        ])),
        [
            "src/bot/x.rs: eprintln! (print through src/cli/output.rs, which hides the token)",
            "src/bot/x.rs: dbg! (print through src/cli/output.rs, which hides the token)",
        ]
    );
}
