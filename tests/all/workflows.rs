//! The Action and the workflows people copy: they parse, ask for the least
//! permissions the bot needs, never run pull-request code with a write
//! token, and run one bot at a time.

use std::path::Path;

use serde_json::Value;

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap();
    let options = serde_saphyr::options! { strict_booleans: true };
    serde_saphyr::from_str_with_options(&text, options).unwrap_or_else(|e| panic!("{path}: {e}"))
}

const BOT_PERMISSIONS: [(&str, &str); 6] = [
    ("actions", "write"),
    ("checks", "read"),
    ("contents", "write"),
    ("issues", "write"),
    ("pull-requests", "write"),
    ("statuses", "read"),
];

fn assert_bot_job(path: &str, workflow: &Value) {
    let permissions = workflow["permissions"]
        .as_object()
        .unwrap_or_else(|| panic!("{path}: no permissions"));
    let mut granted: Vec<(&str, &str)> = permissions
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str().unwrap()))
        .collect();
    granted.sort();
    assert_eq!(granted, BOT_PERMISSIONS, "{path}");
    let job = &workflow["jobs"]["patchwright"];
    let concurrency = workflow
        .get("concurrency")
        .or(job.get("concurrency"))
        .unwrap_or(&Value::Null);
    assert_eq!(
        concurrency["cancel-in-progress"], false,
        "{path}: one bot at a time, none cancelled"
    );
    let checkout = job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/checkout"))
        })
        .unwrap_or_else(|| panic!("{path}: no checkout"));
    assert_eq!(
        checkout["with"]["ref"], "${{ github.event.repository.default_branch }}",
        "{path}"
    );
    assert_eq!(checkout["with"]["persist-credentials"], false, "{path}");
}

#[test]
fn the_bot_workflows_are_least_privilege_and_never_check_out_pull_requests() {
    let own = yaml(".github/workflows/patchwright.yml");
    assert_bot_job("patchwright.yml", &own);
    let on = own["on"].as_object().unwrap();
    let mut triggers: Vec<&str> = on.keys().map(String::as_str).collect();
    triggers.sort();
    assert_eq!(
        triggers,
        [
            "issue_comment",
            "pull_request",
            "pull_request_review",
            "schedule",
            "workflow_dispatch",
            "workflow_run"
        ]
    );
    assert_eq!(
        on["pull_request"]["types"],
        serde_json::json!(["closed", "reopened"])
    );

    let reusable = yaml(".github/workflows/patchwright-reusable.yml");
    assert!(reusable["on"]["workflow_call"].is_object());
    assert_bot_job("patchwright-reusable.yml", &reusable);
}

#[test]
fn ci_runs_what_ci_runs_here_with_read_only_access() {
    let ci = yaml(".github/workflows/ci.yml");
    assert_eq!(ci["permissions"], serde_json::json!({ "contents": "read" }));
    let steps = ci["jobs"]["ci"]["steps"].as_array().unwrap();
    assert!(steps.iter().any(|s| s["run"] == ".ci/run"));
    let fuzz = ci["jobs"]["fuzz"]["steps"].as_array().unwrap();
    let run = fuzz.iter().find(|s| s["env"].is_object()).unwrap();
    assert_eq!(run["run"], "cargo test --locked --test all fuzz::");
    assert_eq!(run["env"]["PATCHWRIGHT_FUZZ_SECONDS"], "60");
}

#[test]
fn the_action_installs_and_runs_event() {
    let action = yaml("action.yml");
    assert_eq!(action["runs"]["using"], "composite");
    assert_eq!(action["inputs"]["token"]["required"], true);
    let steps = action["runs"]["steps"].as_array().unwrap();
    let scripts: String = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    assert!(scripts.contains("cargo install --locked"), "{scripts}");
    assert!(
        scripts.contains("bin/patchwright\" \"${args[@]}\""),
        "{scripts}"
    );
    assert!(scripts.contains("args=(event)"), "{scripts}");
}
