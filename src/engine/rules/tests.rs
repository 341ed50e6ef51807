//! Rules end to end: a rule file's text in, findings and fixed code out,
//! and the errors a maintainer sees for a broken rule.

use std::path::Path;
use std::sync::Arc;

use super::*;
use crate::engine::edit::splice;
use crate::engine::skill::Skill;
use crate::engine::skill::testing::parse;
use crate::vocab::risk::Risk;

fn rule(yaml: &str) -> Rule {
    parse_rule(yaml, Path::new(".github/patchwright/rules/r.yml"))
        .unwrap_or_else(|e| panic!("rule does not load: {e}"))
}

fn error(yaml: &str) -> String {
    parse_rule(yaml, Path::new(".github/patchwright/rules/r.yml"))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_else(|| panic!("the rule loaded"))
}

/// The text each match covers, and the file with every fix applied.
fn apply(yaml: &str, code: &str) -> (Vec<String>, String) {
    let book = RuleBook::new(vec![rule(yaml)]);
    let file = parse(code);
    let found = book.check(&file, &[true]);
    let matched = found
        .iter()
        .map(|(_, d)| code[d.range.clone()].to_owned())
        .collect();
    let edits: Vec<_> = found
        .into_iter()
        .flat_map(|(_, d)| d.edits.unwrap_or_default())
        .collect();
    (matched, splice(code, &edits))
}

const ARC_CLONE: &str = r#"
id: arc-clone
message: "`$X.clone()` of an `Arc`: write `Arc::clone(&$X)` to show it is cheap"
match: $X.clone()
where:
  X: { kind: ident, regex: "^shared_", not-regex: "^shared_tmp$" }
  not-inside: [test, "impl Clone"]
fix: Arc::clone(&$X)
risk: low
"#;

#[test]
fn a_metavariable_binds_a_whole_expression_and_the_fix_keeps_it_as_written() {
    let code = "fn f(shared_a: Arc<u8>, other: Arc<u8>, shared_tmp: Arc<u8>) {\n    let b = shared_a.clone(); // keep\n    let c = other.clone();\n    let d = shared_tmp.clone();\n    println!(\"{:?}\", shared_a.clone());\n}\n";
    let (matched, fixed) = apply(ARC_CLONE, code);
    // `other` fails the regex, `shared_tmp` the not-regex, and the call
    // inside `println!` is in a macro body, which rules never match.
    assert_eq!(matched, ["shared_a.clone()"]);
    insta::assert_snapshot!(fixed, @r#"
    fn f(shared_a: Arc<u8>, other: Arc<u8>, shared_tmp: Arc<u8>) {
        let b = Arc::clone(&shared_a); // keep
        let c = other.clone();
        let d = shared_tmp.clone();
        println!("{:?}", shared_a.clone());
    }
    "#);
}

#[test]
fn not_inside_skips_tests_and_named_impls() {
    let code = "impl Clone for S { fn clone(&self) -> S { S(shared_x.clone()) } }\n#[cfg(test)]\nmod tests { fn t() { shared_y.clone(); } }\nfn g() { shared_z.clone(); }\n";
    let (matched, _) = apply(ARC_CLONE, code);
    assert_eq!(matched, ["shared_z.clone()"]);
}

#[test]
fn kind_constraints_reject_other_shapes() {
    // `shared_a.b` is a field, not an identifier.
    let (matched, _) = apply(ARC_CLONE, "fn f() { shared_a.b.clone(); }\n");
    assert!(matched.is_empty(), "{matched:?}");
}

#[test]
fn sequences_bind_any_number_of_arguments_in_macros_and_calls() {
    let yaml = "id: warn-not-eprintln\nmessage: use tracing\nmatch: eprintln!($$$ARGS)\nfix: tracing::warn!($$$ARGS)\n";
    let code = "fn f(x: u8) {\n    eprintln!(\"bad {}\", x);\n    eprintln!();\n    std::eprintln!(\"other path\");\n}\n";
    let (matched, fixed) = apply(yaml, code);
    assert_eq!(matched, ["eprintln!(\"bad {}\", x)", "eprintln!()"]);
    insta::assert_snapshot!(fixed, @r#"
    fn f(x: u8) {
        tracing::warn!("bad {}", x);
        tracing::warn!();
        std::eprintln!("other path");
    }
    "#);

    let yaml = "id: last-arg\nmessage: m\nmatch: call($$$REST, done)\nfix: call_done($$$REST)\n";
    let (matched, fixed) = apply(
        yaml,
        "fn f() { call(a, b + 1, done); call(done); call(x); }\n",
    );
    assert_eq!(matched, ["call(a, b + 1, done)", "call(done)"]);
    assert_eq!(
        fixed,
        "fn f() { call_done(a, b + 1); call_done(); call(x); }\n"
    );
}

#[test]
fn a_metavariable_used_twice_must_bind_the_same_code() {
    let yaml = "id: self-max\nmessage: m\nmatch: $A.max($A)\nfix: $A\n";
    let (matched, _) = apply(yaml, "fn f() { a.max(a); a.max(b); x.y.max(x . y); }\n");
    assert_eq!(matched, ["a.max(a)", "x.y.max(x . y)"]);
}

#[test]
fn operands_get_parentheses_where_their_meaning_would_change() {
    let yaml = "id: neg\nmessage: m\nmatch: negate($X)\nfix: -$X\n";
    let (_, fixed) = apply(
        yaml,
        "fn f() { let y = negate(a + b).abs(); let z = negate(c); }\n",
    );
    assert_eq!(fixed, "fn f() { let y = (-(a + b)).abs(); let z = -c; }\n");
}

#[test]
fn expressions_the_tree_matcher_does_not_take_apart_match_token_by_token() {
    let yaml = "id: if-none\nmessage: m\nmatch: \"if $C { None } else { Some($V) }\"\nfix: ($C).then_some($V)\n";
    let (matched, fixed) = apply(
        yaml,
        "fn f(a: bool) -> Option<u8> { if !a { None } else { Some(1) } }\n",
    );
    assert_eq!(matched, ["if !a { None } else { Some(1) }"]);
    assert_eq!(fixed, "fn f(a: bool) -> Option<u8> { (!a).then_some(1) }\n");
}

#[test]
fn a_rule_without_a_fix_reports_and_its_message_shows_the_bound_code() {
    let yaml = "id: no-unwrap\nmessage: \"`$X` is unwrapped\"\nmatch: $X.unwrap()\n";
    let book = RuleBook::new(vec![rule(yaml)]);
    let found = book.check(&parse("fn f() { config.get(\"k\").unwrap(); }\n"), &[true]);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].1.message, "`config.get(\"k\")` is unwrapped");
    assert!(found[0].1.edits.is_none());
}

#[test]
fn one_walk_serves_every_rule_and_only_the_enabled_ones() {
    let a = rule("id: a\nmessage: m\nmatch: $X.unwrap()\n");
    let b = rule("id: b\nmessage: m\nmatch: eprintln!($$$A)\n");
    let c = rule("id: c\nmessage: m\nmatch: $X.expect($M)\n");
    let book = RuleBook::new(vec![a, b, c]);
    let file = parse("fn f() { x.unwrap(); eprintln!(\"e\"); y.expect(\"m\"); }\n");
    let rules = |enabled: &[bool]| {
        book.check(&file, enabled)
            .into_iter()
            .map(|(i, _)| i)
            .collect::<Vec<_>>()
    };
    assert_eq!(rules(&[true, true, true]), [0, 1, 2]);
    assert_eq!(rules(&[false, true, false]), [1]);
    // A file without any rule's word is not walked at all, and finds nothing.
    assert!(
        book.check(&parse("fn g() {}\n"), &[true, true, true])
            .is_empty()
    );
}

#[test]
fn examples_pass_and_fail_as_written() {
    let yaml = r#"
id: arc-clone
message: m
match: $X.clone()
where:
  X: { kind: ident }
fix: Arc::clone(&$X)
examples:
  - before: "fn f(a: Arc<u8>) { let b = a.clone(); }"
    after: "fn f(a: Arc<u8>) { let b = Arc::clone(&a); }"
  - before: "fn f() { println!(\"{:?}\", a.clone()); }"
  - before: "fn f() { let b = a.clone(); }"
    after: "fn f() { let b = a.clone(); }"
  - before: "fn f() { a.b.clone(); }"
"#;
    let book = RuleBook::new(vec![rule(yaml)]);
    let tests = test_rules(&book);
    assert_eq!(tests.len(), 1);
    let outcomes: Vec<String> = tests[0].outcomes.iter().map(|o| o.summary()).collect();
    assert_eq!(
        outcomes,
        [
            "passed",
            "passed",
            "the fixed code differs from `after`",
            "passed"
        ]
    );
    assert!(!tests[0].passed());
}

#[test]
fn rule_skills_carry_the_rule_and_its_hash() {
    let book = Arc::new(RuleBook::new(vec![rule(ARC_CLONE)]));
    let skills = RuleSkill::all(&book);
    let skill: &dyn Skill = &skills[0];
    assert_eq!(skill.id(), "rule::arc-clone");
    assert_eq!(skill.risk(), Risk::Low);
    assert!(skill.can_fix());
    assert_eq!(skill.definition(), Some(book.rules()[0].hash.as_str()));
    assert!(is_rule(skill));
    let found = skill.check(
        &parse("fn f() { shared_q.clone(); }\n"),
        &crate::engine::skill::SkillContext::default(),
    );
    assert_eq!(found.len(), 1);
}

#[test]
fn a_broken_rule_says_where_and_what() {
    insta::assert_snapshot!(
        error("id: x\nmessage: m\nmatch: $X.clone(\n"),
        @".github/patchwright/rules/r.yml:3:16: rule `x`: in `match`: this is not Rust code (an unclosed bracket or quote?)"
    );
    insta::assert_snapshot!(
        error("id: x\nmessage: m\nmatch: foo($x)\n"),
        @".github/patchwright/rules/r.yml:3:12: rule `x`: in `match`: `$x`: metavariable names are uppercase letters, digits and `_`, starting with a letter (`$X`, `$$$ARGS`)"
    );
    insta::assert_snapshot!(
        error("id: x\nmessage: m\nmatch: |\n  foo(\n    $A +\n  )\n"),
        @".github/patchwright/rules/r.yml:6:3: rule `x`: in `match`: unexpected end of input, expected an expression; a pattern is one Rust expression or macro call, with `$X` and `$$$ARGS` where anything may stand"
    );
    insta::assert_snapshot!(
        error("id: x\nmessage: m\nmatch: $A.clone()\nfix: Arc::clone(&$B)\n"),
        @".github/patchwright/rules/r.yml:4:18: rule `x`: in `fix`: `$B` is not in the pattern; the fix can use only what the pattern binds (`$A`)"
    );
    insta::assert_snapshot!(
        error("id: x\nmessage: m\nmatch: $A\n"),
        @".github/patchwright/rules/r.yml:3:8: rule `x`: in `match`: a pattern that is only a metavariable matches every expression; give it a shape, such as `$X.clone()`"
    );
    insta::assert_snapshot!(
        error("id: x\nmessage: m\nmatch: $A.f()\nwhere:\n  A: { kind: thing }\n"),
        @".github/patchwright/rules/r.yml:5:14: rule `x`: `thing` is not a kind; the kinds are expr, ident, path, literal, string, number, call, method-call, field, reference, macro, closure, block, tuple, array, binary, unary, index, cast, try"
    );
    insta::assert_snapshot!(
        error("id: x\nmessage: m\nmatch: $A.f()\nwhere:\n  B: { kind: ident }\n"),
        @".github/patchwright/rules/r.yml:5:3: rule `x`: `where` names `B`, which is not a metavariable of the pattern"
    );
    insta::assert_snapshot!(
        error("id: x\nmessage: m\nmatch: $A.f()\nwhere:\n  not-inside: [tests]\n"),
        @".github/patchwright/rules/r.yml:5:16: rule `x`: `tests` is not a place; `not-inside` takes `test`, `unsafe`, `fn NAME`, `impl NAME` or `mod NAME`"
    );
    insta::assert_snapshot!(
        error("id: x\nmessage: m\nmatch: $A.f()\nwhere:\n  A: { regex: \"(\" }\n"),
        @".github/patchwright/rules/r.yml:5:15: rule `x`: `(` is not a valid regex: unclosed group"
    );
    insta::assert_snapshot!(
        error("id: Bad_Id\nmessage: m\nmatch: $A.f()\n"),
        @".github/patchwright/rules/r.yml:1:5: rule `Bad_Id`: `Bad_Id` is not a rule id: use lowercase letters, digits and single dashes, starting with a letter"
    );
    insta::assert_snapshot!(
        error("id: x\nmessage: m\nmatch: $A.f()\nfixx: 1\n"),
        @".github/patchwright/rules/r.yml:4:1: rule `x`: key `fixx`: unknown field `fixx`, expected one of id, message, title, rationale, match, where, fix, risk, examples, evidence"
    );
}

#[test]
fn a_pattern_of_many_sequences_gives_up_on_a_long_macro_body_instead_of_hanging() {
    let yaml = "id: seqs\nmessage: m\nmatch: m!($$$A, $$$B, $$$C, $$$D, never)\n";
    let body = (0..3000)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let started = std::time::Instant::now();
    let (matched, _) = apply(yaml, &format!("fn f() {{ m!({body}); }}\n"));
    assert!(matched.is_empty());
    // Bounded by the step budget, not by the body's length to the fourth.
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}
