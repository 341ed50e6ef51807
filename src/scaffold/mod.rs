//! `patchwright skill new`: a new skill scaffolded from `templates/`, for
//! patchwright's own repository. The template is compiled Rust; its
//! placeholder names are renamed with a syn `VisitMut` and the result is
//! printed with prettyplease (then rustfmt, when present, so the project's
//! formatting check passes). The skill is registered in `src/engine/skills/mod.rs`
//! with inserts at span-located points, leaving the rest of that file as it
//! was, byte for byte.
//!
//! Scaffolding imports the engine (to parse and splice) and vocab; it makes
//! files as values and knows nothing of git, the ledger or forges: the bot
//! proposes what it makes.

pub mod provenance;

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use syn::punctuated::Punctuated;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{Expr, Token};

use crate::engine::edit::{Edit, splice};
use crate::engine::source;
use crate::engine::source::SourceFile;
use crate::vocab::ids::camel_case;
use crate::vocab::rel_path::RelPath;

const TEMPLATE_ID: &str = "template-skill";
const TEMPLATE_TYPE: &str = "TemplateSkill";
const TEMPLATE_DESCRIPTION: &str = "TEMPLATE DESCRIPTION";
const SKILLS_MOD: &str = "src/engine/skills/mod.rs";
const TEMPLATE: &str = "templates/skill.rs";
const FIXTURE_TEMPLATES: [&str; 3] = ["before.rs", "after.rs", "findings.txt"];

/// Why a skill cannot be scaffolded. Nothing is written in any of these cases.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScaffoldError {
    #[error(
        "`{0}` is not a usable skill name: use 2 to 40 characters, lowercase letters, digits and dashes, starting with a letter"
    )]
    BadName(String),
    #[error("`{name}` cannot be a skill name: its module `{module}` is a Rust keyword")]
    Keyword { name: String, module: String },
    #[error("a skill named `{0}` exists already")]
    Exists(String),
    #[error("the description must be one line of 1 to 200 characters")]
    BadDescription,
    #[error(
        "this is not patchwright's repository ({0}); `skill new` adds skills to patchwright itself"
    )]
    NotPatchwright(String),
    #[error("{path} does not parse: {message}")]
    Unparseable { path: String, message: String },
    #[error("{0}")]
    Layout(String),
    #[error("there are no files of a skill `{0}` made by `skill new`")]
    NotGenerated(String),
}

/// The files to write for a new skill, by path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scaffold {
    pub module: String,
    pub type_name: String,
    pub files: BTreeMap<RelPath, String>,
}

/// Checks a skill name against `[a-z][a-z0-9-]{1,39}` and Rust's keywords.
pub fn validate_name(name: &str) -> Result<(), ScaffoldError> {
    let ok = (2..=40).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
        && !name.contains("--");
    if !ok {
        return Err(ScaffoldError::BadName(name.to_owned()));
    }
    let module = module_name(name);
    if syn::parse_str::<syn::Ident>(&module).is_err() {
        return Err(ScaffoldError::Keyword {
            name: name.to_owned(),
            module,
        });
    }
    Ok(())
}

fn module_name(name: &str) -> String {
    name.replace('-', "_")
}

/// Builds the new skill's files from the repository's own templates.
/// `read` gives the repository's files (at the commit the skill is added to).
pub fn scaffold(
    read: &dyn Fn(&str) -> Option<String>,
    existing_ids: &[&str],
    name: &str,
    description: &str,
) -> Result<Scaffold, ScaffoldError> {
    validate_name(name)?;
    let description = description.trim();
    if description.is_empty() || description.len() > 200 || description.contains(['\n', '\r']) {
        return Err(ScaffoldError::BadDescription);
    }
    let manifest =
        read("Cargo.toml").ok_or_else(|| ScaffoldError::NotPatchwright("no Cargo.toml".into()))?;
    if !is_patchwright_manifest(&manifest) {
        return Err(ScaffoldError::NotPatchwright(
            "its package is not named patchwright".into(),
        ));
    }
    let missing = |p: &str| ScaffoldError::NotPatchwright(format!("{p} is missing"));
    let mod_rs = read(SKILLS_MOD).ok_or_else(|| missing(SKILLS_MOD))?;
    let module = module_name(name);
    if existing_ids.contains(&name) || read(&skill_path(name)).is_some() {
        return Err(ScaffoldError::Exists(name.to_owned()));
    }
    let type_name = camel_case(name);

    let mut files = generated(read, name, description)?;
    files.insert(path(SKILLS_MOD)?, register(&mod_rs, &module, &type_name)?);
    Ok(Scaffold {
        module,
        type_name,
        files,
    })
}

/// The files `skill new` writes whole (the registration in `mod.rs` is an
/// edit, not one of them), each stamped with where it came from.
fn generated(
    read: &dyn Fn(&str) -> Option<String>,
    name: &str,
    description: &str,
) -> Result<BTreeMap<RelPath, String>, ScaffoldError> {
    let missing = |p: &str| ScaffoldError::NotPatchwright(format!("{p} is missing"));
    let args: Vec<String> = ["skill", "new", name, description]
        .map(str::to_owned)
        .to_vec();
    let version = env!("CARGO_PKG_VERSION");
    let template = read(TEMPLATE).ok_or_else(|| missing(TEMPLATE))?;
    let type_name = camel_case(name);
    let skill_path = skill_path(name);
    let mut files = BTreeMap::new();
    let skill = render_skill(&template, name, &type_name, description)?;
    files.insert(
        path(&skill_path)?,
        provenance::stamp(&skill_path, &skill, version, &args, TEMPLATE, &template),
    );
    for fixture in FIXTURE_TEMPLATES {
        let source = format!("templates/skill-fixture/{fixture}");
        let text = read(&source).ok_or_else(|| missing(&source))?;
        let target = fixture_path(name, fixture);
        files.insert(
            path(&target)?,
            provenance::stamp(
                &target,
                &text.replace(TEMPLATE_ID, name),
                version,
                &args,
                &source,
                &text,
            ),
        );
    }
    Ok(files)
}

fn skill_path(name: &str) -> String {
    format!("src/engine/skills/{}.rs", module_name(name))
}

fn fixture_path(name: &str, fixture: &str) -> String {
    format!("tests/fixtures/skills/{name}/{fixture}")
}

/// What `skill regenerate` found and would write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Regenerated {
    /// Files whose template changed, rewritten.
    pub files: BTreeMap<RelPath, String>,
    /// Generated, untouched, and already what the template gives.
    pub current: Vec<RelPath>,
    /// Edited since they were generated: left alone.
    pub edited: Vec<RelPath>,
    /// Without a header: not generated, or the header was removed.
    pub unstamped: Vec<RelPath>,
}

/// Rewrites the files `skill new` made for `name` from the current
/// templates, with the arguments their headers recorded; files edited
/// since are left alone and listed.
pub fn regenerate(
    read: &dyn Fn(&str) -> Option<String>,
    name: &str,
) -> Result<Regenerated, ScaffoldError> {
    validate_name(name)?;
    let manifest =
        read("Cargo.toml").ok_or_else(|| ScaffoldError::NotPatchwright("no Cargo.toml".into()))?;
    if !is_patchwright_manifest(&manifest) {
        return Err(ScaffoldError::NotPatchwright(
            "its package is not named patchwright".into(),
        ));
    }
    let mut targets = vec![skill_path(name)];
    targets.extend(FIXTURE_TEMPLATES.map(|f| fixture_path(name, f)));
    let mut out = Regenerated::default();
    let mut description = None;
    let mut found = false;
    for target in &targets {
        let Some(text) = read(target) else {
            continue;
        };
        found = true;
        let stamped = provenance::split(target, &text);
        match &stamped.provenance {
            None => out.unstamped.push(path(target)?),
            Some(_) if !stamped.untouched() => out.edited.push(path(target)?),
            Some(p) => {
                if let [_, _, recorded, given] = p.args.as_slice()
                    && recorded == name
                {
                    description = Some(given.clone());
                } else {
                    out.edited.push(path(target)?);
                }
            }
        }
    }
    if !found {
        return Err(ScaffoldError::NotGenerated(name.to_owned()));
    }
    let Some(description) = description else {
        return Ok(out);
    };
    let fresh = generated(read, name, &description)?;
    for (target, text) in fresh {
        let skipped = out.edited.contains(&target) || out.unstamped.contains(&target);
        if skipped {
            continue;
        }
        match read(target.as_str()) {
            Some(old) if old == text => out.current.push(target),
            Some(_) => {
                out.files.insert(target, text);
            }
            // A generated file someone deleted stays deleted.
            None => {}
        }
    }
    Ok(out)
}

fn path(p: &str) -> Result<RelPath, ScaffoldError> {
    p.parse()
        .map_err(|_| ScaffoldError::Layout(format!("`{p}` is not a relative path")))
}

fn is_patchwright_manifest(manifest: &str) -> bool {
    let mut in_package = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package
            && let Some((key, value)) = line.split_once('=')
            && key.trim() == "name"
        {
            return value.trim().trim_matches('"') == "patchwright";
        }
    }
    false
}

/// Renames the template's placeholders and prints the result.
fn render_skill(
    template: &str,
    name: &str,
    type_name: &str,
    description: &str,
) -> Result<String, ScaffoldError> {
    let mut file = syn::parse_file(template).map_err(|e| ScaffoldError::Unparseable {
        path: TEMPLATE.into(),
        message: e.to_string(),
    })?;
    Renamer {
        type_name,
        name,
        description,
    }
    .visit_file_mut(&mut file);
    let printed = space_items(&prettyplease::unparse(&file));
    Ok(rustfmt(&printed).unwrap_or(printed))
}

struct Renamer<'a> {
    type_name: &'a str,
    name: &'a str,
    description: &'a str,
}

impl Renamer<'_> {
    fn rename_str(&self, value: &str) -> Option<String> {
        (value.contains(TEMPLATE_ID) || value.contains(TEMPLATE_DESCRIPTION)).then(|| {
            value
                .replace(TEMPLATE_ID, self.name)
                .replace(TEMPLATE_DESCRIPTION, self.description)
        })
    }

    /// Macro bodies are tokens, not syntax trees: rename inside them too.
    fn rename_tokens(&self, tokens: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
        use proc_macro2::{Group, Ident, Literal, TokenTree};
        tokens
            .into_iter()
            .map(|tt| match tt {
                TokenTree::Ident(ident) if ident == TEMPLATE_TYPE => {
                    TokenTree::Ident(Ident::new(self.type_name, ident.span()))
                }
                TokenTree::Group(group) => {
                    let mut renamed =
                        Group::new(group.delimiter(), self.rename_tokens(group.stream()));
                    renamed.set_span(group.span());
                    TokenTree::Group(renamed)
                }
                TokenTree::Literal(lit) => {
                    let renamed = syn::parse_str::<syn::LitStr>(&lit.to_string())
                        .ok()
                        .and_then(|s| self.rename_str(&s.value()));
                    match renamed {
                        Some(value) => TokenTree::Literal(Literal::string(&value)),
                        None => TokenTree::Literal(lit),
                    }
                }
                other => other,
            })
            .collect()
    }
}

impl VisitMut for Renamer<'_> {
    fn visit_ident_mut(&mut self, ident: &mut proc_macro2::Ident) {
        if ident == TEMPLATE_TYPE {
            *ident = proc_macro2::Ident::new(self.type_name, ident.span());
        }
    }

    fn visit_lit_str_mut(&mut self, lit: &mut syn::LitStr) {
        if let Some(renamed) = self.rename_str(&lit.value()) {
            *lit = syn::LitStr::new(&renamed, lit.span());
        }
    }

    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        mac.tokens = self.rename_tokens(std::mem::take(&mut mac.tokens));
        syn::visit_mut::visit_macro_mut(self, mac);
    }
}

/// prettyplease prints items back to back; a blank line between items
/// reads as the rest of the code base does.
fn space_items(printed: &str) -> String {
    const STARTS: [&str; 12] = [
        "fn ",
        "pub fn ",
        "impl ",
        "impl<",
        "#[",
        "///",
        "pub struct ",
        "struct ",
        "const ",
        "mod ",
        "pub const ",
        "enum ",
    ];
    let mut out = String::with_capacity(printed.len() + 256);
    let mut prev = "";
    for line in printed.lines() {
        let trimmed = line.trim_start();
        let prev_trimmed = prev.trim();
        let item_start = STARTS.iter().any(|s| trimmed.starts_with(s));
        let after_item = prev_trimmed == "}"
            || (prev_trimmed.ends_with(';') && !prev_trimmed.starts_with("use "))
            || (prev_trimmed.starts_with("use ") && !trimmed.starts_with("use "));
        let after_inner_docs = prev_trimmed.starts_with("//!") && !trimmed.starts_with("//!");
        if ((item_start && after_item) || after_inner_docs) && !out.is_empty() {
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
        prev = line;
    }
    out
}

/// rustfmt's view of `text`, when rustfmt is installed and accepts it.
fn rustfmt(text: &str) -> Option<String> {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(text.as_bytes()).ok()?;
    let output = child.wait_with_output().ok()?;
    let formatted = String::from_utf8(output.stdout).ok()?;
    (output.status.success() && !formatted.trim().is_empty()).then_some(formatted)
}

/// Adds `mod <module>;` and `Arc::new(<module>::<Type>)` to the skills
/// module, in alphabetical place, with inserts only.
fn register(mod_rs: &str, module: &str, type_name: &str) -> Result<String, ScaffoldError> {
    let file = SourceFile::parse(
        SKILLS_MOD
            .parse()
            .map_err(|_| ScaffoldError::Layout("bad path".into()))?,
        mod_rs.to_owned(),
    )
    .map_err(|e| ScaffoldError::Unparseable {
        path: SKILLS_MOD.into(),
        message: e.message,
    })?;
    let mut edits = Vec::new();

    // The skill modules: plain `mod name;` declarations.
    let decls: Vec<(&syn::ItemMod, String)> = file
        .ast()
        .items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Mod(m) if m.content.is_none() && m.attrs.is_empty() => {
                Some((m, m.ident.to_string()))
            }
            _ => None,
        })
        .collect();
    let (last, _) = decls
        .last()
        .ok_or_else(|| ScaffoldError::Layout(format!("{SKILLS_MOD} declares no skill modules")))?;
    match decls.iter().find(|(_, n)| n.as_str() > module) {
        Some((next, _)) => {
            let at = file.range_of(*next).start;
            edits.push(Edit::insert(
                at,
                format!("mod {module};\n{}", file.indent_at(at)),
            ));
        }
        None => edits.push(Edit::insert(
            file.range_of(*last).end,
            format!("\nmod {module};"),
        )),
    }

    // The registry list: `Arc::new(module::Type),` elements of the `vec!` in `builtin`.
    let list = registry_list(&file)?;
    let elements = list
        .parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated)
        .map_err(|e| ScaffoldError::Unparseable {
            path: SKILLS_MOD.into(),
            message: e.to_string(),
        })?;
    let entry = format!("Arc::new({module}::{type_name})");
    let element_module = |e: &Expr| source::normalized_tokens(e).replace(' ', "");
    let new_key = entry.clone();
    match elements.iter().find(|e| element_module(e) > new_key) {
        Some(next) => {
            let at = file.range_of(next).start;
            edits.push(Edit::insert(
                at,
                format!("{entry},\n{}", file.indent_at(at)),
            ));
        }
        None => {
            let last = elements
                .iter()
                .last()
                .ok_or_else(|| ScaffoldError::Layout("the registry list is empty".into()))?;
            let end = file.range_of(last).end;
            let indent = file.indent_at(file.range_of(last).start).to_owned();
            if mod_rs[end..].starts_with(',') {
                edits.push(Edit::insert(end + 1, format!("\n{indent}{entry},")));
            } else {
                edits.push(Edit::insert(end, format!(",\n{indent}{entry}")));
            }
        }
    }
    let out = splice(mod_rs, &edits);
    syn::parse_file(&out).map_err(|e| ScaffoldError::Unparseable {
        path: SKILLS_MOD.into(),
        message: e.to_string(),
    })?;
    Ok(out)
}

/// The `vec![…]` inside `Registry::builtin`.
fn registry_list(file: &SourceFile) -> Result<syn::Macro, ScaffoldError> {
    struct Find(Option<syn::Macro>, bool);
    impl<'ast> Visit<'ast> for Find {
        fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
            let inside = f.sig.ident == "builtin";
            self.1 |= inside;
            syn::visit::visit_impl_item_fn(self, f);
            if inside {
                self.1 = false;
            }
        }
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            if self.1 && self.0.is_none() && m.path.is_ident("vec") {
                self.0 = Some(m.clone());
            }
        }
    }
    let mut find = Find(None, false);
    find.visit_file(file.ast());
    find.0.ok_or_else(|| {
        ScaffoldError::Layout(format!(
            "{SKILLS_MOD} has no `vec![…]` in `Registry::builtin`"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_file(path: &str) -> Option<String> {
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).ok()
    }

    #[test]
    fn names_are_checked() {
        assert!(validate_name("no-unwrap").is_ok());
        for bad in [
            "a",
            "Bad",
            "1st",
            "with_underscore",
            "trailing-",
            "double--dash",
            &"x".repeat(41),
        ] {
            assert_eq!(
                validate_name(bad),
                Err(ScaffoldError::BadName(bad.to_owned())),
                "{bad}"
            );
        }
        assert!(matches!(
            validate_name("match"),
            Err(ScaffoldError::Keyword { .. })
        ));
        assert_eq!(camel_case("no-unwrap-2"), "NoUnwrap2");
    }

    #[test]
    fn scaffolds_a_skill_from_this_repository() {
        let registry = crate::engine::skills::Registry::builtin();
        let ids = registry.ids();
        let scaffold = scaffold(
            &repo_file,
            &ids,
            "no-unwrap",
            "calls to `unwrap()` on results",
        )
        .unwrap();
        let paths: Vec<&str> = scaffold.files.keys().map(RelPath::as_str).collect();
        assert_eq!(
            paths,
            [
                "src/engine/skills/mod.rs",
                "src/engine/skills/no_unwrap.rs",
                "tests/fixtures/skills/no-unwrap/after.rs",
                "tests/fixtures/skills/no-unwrap/before.rs",
                "tests/fixtures/skills/no-unwrap/findings.txt"
            ]
        );
        let stamped = &scaffold.files[&"src/engine/skills/no_unwrap.rs".parse().unwrap()];
        let split = provenance::split("src/engine/skills/no_unwrap.rs", stamped);
        assert!(split.untouched());
        let header = split.provenance.clone().unwrap();
        assert_eq!(
            header.args,
            [
                "skill",
                "new",
                "no-unwrap",
                "calls to `unwrap()` on results"
            ]
        );
        assert_eq!(header.template, TEMPLATE);
        assert_eq!(header.version, env!("CARGO_PKG_VERSION"));
        let skill = split.body;
        syn::parse_file(stamped).unwrap();
        assert!(skill.contains("pub struct NoUnwrap;"), "{skill}");
        assert!(skill.contains("\"no-unwrap\""));
        assert!(skill.contains("\"calls to `unwrap()` on results\""));
        assert!(
            !skill.contains("emplate"),
            "every placeholder is renamed:\n{skill}"
        );
        syn::parse_file(skill).unwrap();

        // mod.rs changes only by the two inserted lines.
        let before = repo_file(SKILLS_MOD).unwrap();
        let after = &scaffold.files[&SKILLS_MOD.parse().unwrap()];
        let diff = crate::engine::edit::unified_diff(&SKILLS_MOD.parse().unwrap(), &before, after);
        let changed: Vec<&str> = diff
            .lines()
            .filter(|l| {
                (l.starts_with('+') || l.starts_with('-'))
                    && !l.starts_with("+++")
                    && !l.starts_with("---")
            })
            .collect();
        assert_eq!(
            changed,
            [
                "+mod no_unwrap;",
                "+                Arc::new(no_unwrap::NoUnwrap),"
            ]
        );
    }

    #[test]
    fn regenerate_rewrites_untouched_files_from_a_changed_template_and_leaves_edited_ones() {
        let registry = crate::engine::skills::Registry::builtin();
        let made = scaffold(&repo_file, &registry.ids(), "no-unwrap", "calls").unwrap();
        let repository = |overrides: Vec<(&'static str, String)>| {
            let files: BTreeMap<String, String> = made
                .files
                .iter()
                .map(|(p, t)| (p.to_string(), t.clone()))
                .chain(overrides.into_iter().map(|(p, t)| (p.to_owned(), t)))
                .collect();
            move |p: &str| files.get(p).cloned().or_else(|| repo_file(p))
        };

        // Nothing changed: nothing to do.
        let same = regenerate(&repository(Vec::new()), "no-unwrap").unwrap();
        assert!(same.files.is_empty() && same.edited.is_empty() && same.unstamped.is_empty());
        assert_eq!(same.current.len(), 4);

        // The fixture template changed, and someone edited after.rs.
        let before = "tests/fixtures/skills/no-unwrap/before.rs";
        let after = "tests/fixtures/skills/no-unwrap/after.rs";
        let edited = made.files[&after.parse().unwrap()].replace("1\n", "2\n");
        let read = repository(vec![
            (
                "templates/skill-fixture/before.rs",
                "// a better example\npub fn example() -> u8 {\n    // patchwright: template-skill\n    1\n}\n".into(),
            ),
            ("tests/fixtures/skills/no-unwrap/after.rs", edited),
        ]);
        let changed = regenerate(&read, "no-unwrap").unwrap();
        let rewritten: Vec<&str> = changed.files.keys().map(RelPath::as_str).collect();
        assert_eq!(rewritten, [before]);
        assert_eq!(changed.edited, [after.parse::<RelPath>().unwrap()]);
        let text = &changed.files[&before.parse().unwrap()];
        let split = provenance::split(before, text);
        assert!(split.untouched());
        assert!(split.body.starts_with("// a better example\n"));
        assert!(split.body.contains("// patchwright: no-unwrap"));
        assert_eq!(split.provenance.unwrap().args[3], "calls");

        // Hand-written skills have no header; unknown names have no files.
        let hand = regenerate(&repo_file, "len-zero").unwrap();
        assert!(hand.files.is_empty());
        assert_eq!(hand.unstamped.len(), 4);
        assert_eq!(
            regenerate(&repo_file, "nothing-here"),
            Err(ScaffoldError::NotGenerated("nothing-here".into()))
        );
    }

    #[test]
    fn refuses_existing_names_other_repositories_and_bad_descriptions() {
        let registry = crate::engine::skills::Registry::builtin();
        let ids = registry.ids();
        assert_eq!(
            scaffold(&repo_file, &ids, "len-zero", "x"),
            Err(ScaffoldError::Exists("len-zero".into()))
        );
        assert_eq!(
            scaffold(&repo_file, &ids, "fresh", " \n"),
            Err(ScaffoldError::BadDescription)
        );
        let other =
            |p: &str| (p == "Cargo.toml").then(|| "[package]\nname = \"other\"\n".to_owned());
        assert!(matches!(
            scaffold(&other, &ids, "fresh", "d"),
            Err(ScaffoldError::NotPatchwright(_))
        ));
    }

    #[test]
    fn a_name_sorting_last_is_appended() {
        let registry = crate::engine::skills::Registry::builtin();
        let after = &scaffold(&repo_file, &registry.ids(), "zz-last", "d")
            .unwrap()
            .files[&SKILLS_MOD.parse().unwrap()];
        assert!(
            after.contains("mod todo_comments;\nmod zz_last;\n"),
            "{after}"
        );
        assert!(after.contains("Arc::new(todo_comments::TodoComments),\n                Arc::new(zz_last::ZzLast),\n"), "{after}");
    }
}
