//! Findings as SARIF 2.1.0 for GitHub code scanning: one rule per skill
//! (id, descriptions, default level), results with physical locations, and
//! our fingerprint as a partial fingerprint so alerts follow code that moves.

use serde_json::{Value, json};

use crate::engine::scan::ScanReport;
use crate::engine::skill::Skill;
use crate::vocab::ids::camel_case;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub fn findings(report: &ScanReport, skills: &[&dyn Skill]) -> Value {
    let rules: Vec<Value> = skills
        .iter()
        .map(|s| {
            json!({
                "id": s.id(),
                "name": camel_case(s.id()),
                "shortDescription": { "text": s.description() },
                "fullDescription": { "text": s.rationale() },
                "help": {
                    "text": format!("{} Risk of the fix: {}.", s.rationale(), s.risk()),
                },
                "defaultConfiguration": { "level": s.severity().to_string() },
                "properties": {
                    "tags": ["maintainability", "rust"],
                    "risk": s.risk().to_string(),
                    "fixable": s.can_fix(),
                },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings()
        .map(|f| {
            let rule_index = skills.iter().position(|s| s.id() == f.skill.as_str());
            let mut result = json!({
                "ruleId": f.skill,
                "level": f.severity.to_string(),
                "message": { "text": f.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(f.path.as_str()), "uriBaseId": "%SRCROOT%" },
                        "region": {
                            "startLine": f.start.line,
                            "startColumn": f.start.column,
                            "endLine": f.end.line,
                            "endColumn": f.end.column,
                        },
                    },
                }],
                "partialFingerprints": { "patchwright/v1": f.fingerprint },
            });
            if let (Some(index), Some(obj)) = (rule_index, result.as_object_mut()) {
                obj.insert("ruleIndex".into(), json!(index));
            }
            result
        })
        .collect();
    let notifications: Vec<Value> = report
        .warnings
        .iter()
        .map(|w| {
            json!({
                "level": "warning",
                "message": { "text": w.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(w.path.as_str()), "uriBaseId": "%SRCROOT%" },
                    },
                }],
            })
        })
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "patchwright",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                },
            },
            "columnKind": "unicodeCodePoints",
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    })
}

/// A relative URI reference: path segments percent-encoded, `/` kept.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_uris() {
        assert_eq!(camel_case("inline-format-args"), "InlineFormatArgs");
        assert_eq!(
            camel_case("clippy::needless_return"),
            "ClippyNeedlessReturn"
        );
        assert_eq!(camel_case("rule::arc-clone"), "RuleArcClone");
        assert_eq!(uri("src/my file ü.rs"), "src/my%20file%20%C3%BC.rs");
    }
}
