//! The Action and the workflows people copy: they parse, ask for the least
//! permissions the bot needs, never run pull-request code with a write
//! token, and run one bot at a time.

use std::path::Path;

use serde_json::Value;

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap();
    parse(path, &text)
}

fn parse(what: &str, text: &str) -> Value {
    let options = serde_saphyr::options! { strict_booleans: true };
    serde_saphyr::from_str_with_options(text, options).unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// The workflow the README tells people to copy, as it is there.
fn readme_workflow() -> Value {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme
        .find("```yaml\nname: patchwright\n")
        .expect("the README has the workflow to copy");
    let block = &readme[start + "```yaml\n".len()..];
    parse("README.md", &block[..block.find("```").unwrap()])
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
    // Job-level: a workflow-level group is joined before the job's `if`, so
    // every ordinary comment would take the one pending place.
    assert!(workflow.get("concurrency").is_none(), "{path}");
    let concurrency = &job["concurrency"];
    assert_eq!(
        concurrency["cancel-in-progress"], false,
        "{path}: none cancelled"
    );
    let group = concurrency["group"].as_str().unwrap_or_default();
    assert!(
        group.contains("github.event.comment.id") && group.contains("'cycle'"),
        "{path}: a group per comment, one for the rest: {group}"
    );
    assert!(job["timeout-minutes"].as_u64().is_some(), "{path}");
    let filter = job["if"].as_str().unwrap_or_default();
    for needed in [
        "contains(github.event.comment.body, '/patchwright')",
        "startsWith(github.event.pull_request.head.ref, 'patchwright/')",
        "github.event.pull_request.head.repo.full_name == github.repository",
        "github.actor != 'dependabot[bot]'",
    ] {
        assert!(
            filter.contains(needed),
            "{path}: `{needed}` missing from {filter}"
        );
    }
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
    assert_eq!(
        checkout["with"]["fetch-depth"], 0,
        "{path}: the regression watch walks history"
    );
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

    // The one people copy, parsed from the README itself.
    let template = readme_workflow();
    assert_bot_job("README.md", &template);
    assert_eq!(
        template["on"], own["on"],
        "the README's triggers are the bot's"
    );
    let steps = template["jobs"]["patchwright"]["steps"].as_array().unwrap();
    let app = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/create-github-app-token"))
        })
        .expect("the template makes an App token");
    let bot = steps.last().unwrap();
    assert_eq!(
        bot["with"]["token"],
        format!(
            "${{{{ steps.{}.outputs.token }}}}",
            app["id"].as_str().unwrap()
        )
    );
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

/// The Action's shell steps, run as Actions runs them.
fn action_script(name: &str) -> String {
    let action = yaml("action.yml");
    action["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .and_then(|s| s["run"].as_str())
        .unwrap_or_else(|| panic!("no step {name}"))
        .to_owned()
}

fn bash(script: &str, env: &[(&str, &str)]) -> std::process::Output {
    std::process::Command::new("bash")
        .args(["-e", "-c", script])
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

#[test]
fn the_action_keys_its_build_by_its_sources_and_succeeds_quietly_without_a_token() {
    // The key follows the sources, so a moved tag builds the new version.
    let copy = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in ["Cargo.toml", "Cargo.lock"] {
        std::fs::copy(root.join(file), copy.path().join(file)).unwrap();
    }
    crate::support::copy_dir(&root.join("src"), &copy.path().join("src"));
    crate::support::copy_dir(&root.join("templates"), &copy.path().join("templates"));
    let script = action_script("Key the build by the action's sources");
    let key = || {
        let output = tempfile::NamedTempFile::new().unwrap();
        let out = bash(
            &script,
            &[
                ("GITHUB_ACTION_PATH", copy.path().to_str().unwrap()),
                ("RUNNER_OS", "Linux"),
                ("GITHUB_OUTPUT", output.path().to_str().unwrap()),
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read_to_string(output.path()).unwrap()
    };
    let before = key();
    assert!(before.starts_with("key=patchwright-Linux-"), "{before}");
    assert_eq!(key(), before, "the same sources, the same key");
    std::fs::write(copy.path().join("src/lib.rs"), "// a new version\n").unwrap();
    assert_ne!(key(), before, "new sources, a new build");

    // No token (a fork's pull request): one notice, success, nothing run.
    let run = action_script("Run patchwright for this event");
    let out = bash(
        &run,
        &[("GITHUB_TOKEN", ""), ("RUNNER_TEMP", "/nonexistent")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.starts_with("::notice::patchwright: no token"),
        "{said}"
    );
    assert_eq!(said.lines().count(), 1);
}

/// The configuration block under the README's "Configuration" heading is
/// the defaults, spelled out.
#[test]
fn the_readmes_configuration_block_is_the_defaults() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = &readme[readme.find("\n## Configuration").unwrap()..];
    let start = section.find("```yaml\n").unwrap() + "```yaml\n".len();
    let block = &section[start..start + section[start..].find("```").unwrap()];
    let skills = patchwright::engine::skills::Registry::builtin().ids();
    let parsed =
        patchwright::config::Config::parse(block, std::path::Path::new("README.md"), &skills)
            .unwrap();
    // The block shows a skill's setting by example, at its default.
    let defaults = patchwright::config::Config {
        file: parsed.file.clone(),
        skills: parsed.skills.clone(),
        ..Default::default()
    };
    assert!(parsed.skills.values().all(|s| *s == Default::default()));
    assert_eq!(parsed, defaults);
}
