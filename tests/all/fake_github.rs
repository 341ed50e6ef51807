//! A stateful fake of the GitHub REST API, as much of it as patchwright
//! uses: pull requests, issues, comments, reactions, labels, permissions,
//! check runs, commit statuses and workflow re-runs. Its git side is the
//! bare repository the bot pushes to, directly or over smart HTTP
//! ([`crate::fake_git`]), where hooks run and branch protection answers.
//! It can be told to fail (500s, rate limits) for a number of calls, and it
//! records every request.

use std::collections::{BTreeMap, VecDeque};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::support::git;

pub const OWNER: &str = "octo";
pub const REPO: &str = "sample";
/// The token the bot is given; it must never show up anywhere.
pub const TOKEN: &str = "ghs_fakeTokenThatMustNeverBePrinted";
/// Who the token belongs to.
pub const BOT_LOGIN: &str = "patchwright-app[bot]";

#[derive(Debug, Clone)]
pub struct Issue {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub state: String,
    pub labels: Vec<String>,
    pub user: String,
    pub pull: Option<Pull>,
    /// How many times the bot edited it.
    pub edits: usize,
}

#[derive(Debug, Clone)]
pub struct Pull {
    pub head: String,
    pub head_sha: String,
    pub base: String,
    pub merged: bool,
    pub merge_commit_sha: Option<String>,
    pub reviewers: Vec<String>,
    /// (user, state) of submitted reviews.
    pub reviews: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct Comment {
    pub id: u64,
    pub issue: u64,
    pub user: String,
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct CheckRun {
    pub id: u64,
    pub name: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub run_id: u64,
    /// RFC 3339, as GitHub writes it; none for runs made without a time.
    pub completed_at: Option<String>,
}

/// A failure to serve instead of the next request.
#[derive(Debug, Clone)]
pub enum Fault {
    ServerError,
    /// A 401 that quotes the request's `Authorization` header back, as
    /// some servers and proxies do.
    EchoCredentials,
    SecondaryRateLimit {
        retry_after: u64,
    },
    /// A secondary rate limit's 403 with no header at all, as GitHub
    /// sometimes sends it.
    BareSecondaryRateLimit,
    /// The request is carried out, then its answer is lost (a 502).
    LostAnswer,
}

#[derive(Debug)]
pub struct World {
    pub issues: BTreeMap<u64, Issue>,
    pub comments: Vec<Comment>,
    /// (comment id, user, content)
    pub reactions: Vec<(u64, String, String)>,
    pub permissions: BTreeMap<String, String>,
    pub check_runs: BTreeMap<String, Vec<CheckRun>>,
    pub statuses: BTreeMap<String, Vec<(String, String)>>,
    pub reruns: Vec<u64>,
    pub faults: VecDeque<Fault>,
    /// A fault for the next request whose `METHOD /path` starts with this.
    pub fail_on: Option<(String, Fault)>,
    /// Requests whose `METHOD /path` starts with this are accepted and
    /// never answered, as by a server that hangs.
    pub hang_on: Option<String>,
    /// `METHOD /path?query` of every request, in order.
    pub requests: Vec<String>,
    /// The default branch's required checks: (classic protection, rulesets).
    pub required_checks: (Vec<String>, Vec<String>),
    /// Reads answered `304 Not Modified` for their `If-None-Match`.
    pub not_modified: usize,
    pub bare: PathBuf,
    next_number: u64,
    next_id: u64,
}

impl World {
    fn new(bare: PathBuf) -> Self {
        Self {
            issues: BTreeMap::new(),
            comments: Vec::new(),
            reactions: Vec::new(),
            permissions: BTreeMap::new(),
            check_runs: BTreeMap::new(),
            statuses: BTreeMap::new(),
            reruns: Vec::new(),
            faults: VecDeque::new(),
            fail_on: None,
            hang_on: None,
            requests: Vec::new(),
            not_modified: 0,
            required_checks: (Vec::new(), Vec::new()),
            bare,
            next_number: 1,
            next_id: 1000,
        }
    }

    fn number(&mut self) -> u64 {
        let n = self.next_number;
        self.next_number += 1;
        n
    }

    pub fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn pulls(&self) -> Vec<&Issue> {
        self.issues.values().filter(|i| i.pull.is_some()).collect()
    }

    pub fn open_pulls(&self) -> Vec<&Issue> {
        self.pulls()
            .into_iter()
            .filter(|i| i.state == "open")
            .collect()
    }

    pub fn plain_issues(&self) -> Vec<&Issue> {
        self.issues.values().filter(|i| i.pull.is_none()).collect()
    }

    pub fn pull_for(&self, skill: &str) -> &Issue {
        self.pulls()
            .into_iter()
            .find(|i| {
                i.pull
                    .as_ref()
                    .is_some_and(|p| p.head.starts_with(&format!("patchwright/{skill}/")))
            })
            .unwrap_or_else(|| panic!("no pull request for {skill}"))
    }

    pub fn comments_on(&self, number: u64) -> Vec<&Comment> {
        self.comments.iter().filter(|c| c.issue == number).collect()
    }

    pub fn reactions_on(&self, comment: u64) -> Vec<&str> {
        self.reactions
            .iter()
            .filter(|(id, _, _)| *id == comment)
            .map(|(_, _, c)| c.as_str())
            .collect()
    }

    /// A comment by a person (or a bot), as GitHub would store it.
    pub fn add_comment(&mut self, number: u64, user: &str, body: &str) -> u64 {
        let id = self.id();
        self.comments.push(Comment {
            id,
            issue: number,
            user: user.to_owned(),
            body: body.to_owned(),
        });
        id
    }

    /// Merges a pull request in the bare repository (a merge commit).
    pub fn merge(&mut self, number: u64, work: &std::path::Path) -> String {
        self.merge_saying(number, work, &format!("Merge pull request #{number}"))
    }

    /// Merges with `message` as the merge commit's message.
    pub fn merge_saying(&mut self, number: u64, work: &std::path::Path, message: &str) -> String {
        let pull = self.issues[&number].pull.clone().expect("a pull request");
        let clone = work.join(format!("merge-{number}"));
        git(
            work,
            &[
                "clone",
                "-q",
                self.bare.to_str().unwrap(),
                clone.to_str().unwrap(),
            ],
        );
        git(
            &clone,
            &[
                "merge",
                "-q",
                "--no-ff",
                "-m",
                message,
                &format!("origin/{}", pull.head),
            ],
        );
        git(&clone, &["push", "-q", "origin", &pull.base]);
        let sha = git(&clone, &["rev-parse", "HEAD"]);
        let issue = self.issues.get_mut(&number).unwrap();
        issue.state = "closed".into();
        let p = issue.pull.as_mut().unwrap();
        p.merged = true;
        p.merge_commit_sha = Some(sha.clone());
        sha
    }

    /// A person's pull request, squash-merged as `sha` (one parent).
    pub fn record_squash_merge(&mut self, sha: &str, user: &str) -> u64 {
        let number = self.number();
        self.issues.insert(
            number,
            Issue {
                number,
                title: "A person's change".into(),
                body: String::new(),
                state: "closed".into(),
                labels: Vec::new(),
                user: user.into(),
                pull: Some(Pull {
                    head: "feature".into(),
                    head_sha: sha.into(),
                    base: "main".into(),
                    merged: true,
                    merge_commit_sha: Some(sha.into()),
                    reviewers: Vec::new(),
                    reviews: Vec::new(),
                }),
                edits: 0,
            },
        );
        number
    }

    pub fn close(&mut self, number: u64) {
        self.issues.get_mut(&number).unwrap().state = "closed".into();
    }

    /// A completed check run on `sha` (a newer attempt replaces an older
    /// one of the same name, as `filter=latest` shows them).
    pub fn set_check(&mut self, sha: &str, name: &str, conclusion: &str, run_id: u64) {
        self.push_check(sha, name, conclusion, run_id, None);
    }

    /// Like [`World::set_check`], finished at `completed_at`.
    pub fn set_check_at(
        &mut self,
        sha: &str,
        name: &str,
        conclusion: &str,
        run_id: u64,
        completed_at: &str,
    ) {
        self.push_check(sha, name, conclusion, run_id, Some(completed_at.to_owned()));
    }

    fn push_check(
        &mut self,
        sha: &str,
        name: &str,
        conclusion: &str,
        run_id: u64,
        completed_at: Option<String>,
    ) {
        let id = self.id();
        self.check_runs
            .entry(sha.to_owned())
            .or_default()
            .push(CheckRun {
                id,
                name: name.to_owned(),
                status: "completed".into(),
                conclusion: Some(conclusion.to_owned()),
                run_id,
                completed_at,
            });
    }

    /// As GitHub does on every push: an open pull request's head follows
    /// its branch.
    pub fn refresh_heads(&mut self) {
        let open: Vec<(u64, String)> = self
            .open_pulls()
            .iter()
            .filter_map(|i| Some((i.number, i.pull.as_ref()?.head.clone())))
            .collect();
        for (number, branch) in open {
            if let Some(sha) = self.branch_sha(&branch)
                && let Some(pull) = self.issues.get_mut(&number).and_then(|i| i.pull.as_mut())
            {
                pull.head_sha = sha;
            }
        }
    }

    fn branch_sha(&self, branch: &str) -> Option<String> {
        let out = std::process::Command::new("git")
            .args([
                "rev-parse",
                "--verify",
                "-q",
                &format!("refs/heads/{branch}"),
            ])
            .current_dir(&self.bare)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }
}

type Shared = Arc<Mutex<World>>;

/// The fake, listening on a local port until dropped.
#[derive(Debug)]
pub struct FakeGitHub {
    pub url: String,
    world: Shared,
    _runtime: tokio::runtime::Runtime,
}

impl FakeGitHub {
    pub fn start(bare: PathBuf) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let world: Shared = Arc::new(Mutex::new(World::new(bare)));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let app = Router::new().fallback(handle).with_state(world.clone());
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            url,
            world,
            _runtime: runtime,
        }
    }

    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn respond(status: StatusCode, body: Value) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from_static("5000"));
    headers.insert("x-ratelimit-remaining", HeaderValue::from_static("4990"));
    headers.insert("x-ratelimit-reset", HeaderValue::from_static("1900000000"));
    response
}

fn query(uri: &Uri) -> BTreeMap<String, String> {
    uri.query()
        .unwrap_or("")
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), percent_decode(v)))
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn pull_json(issue: &Issue) -> Value {
    let p = issue.pull.as_ref().unwrap();
    json!({
        "number": issue.number,
        "state": issue.state,
        "title": issue.title,
        "body": issue.body,
        "merged": p.merged,
        "merge_commit_sha": p.merge_commit_sha,
        "merged_at": p.merged.then_some("2026-12-01T00:00:00Z"),
        "html_url": format!("https://github.com/{OWNER}/{REPO}/pull/{}", issue.number),
        "user": { "login": issue.user, "type": "Bot" },
        "head": { "ref": p.head, "sha": p.head_sha },
        "base": { "ref": p.base },
        "labels": issue.labels.iter().map(|l| json!({ "name": l })).collect::<Vec<_>>(),
    })
}

/// A user as GitHub shows one: apps' logins end in `[bot]`.
fn user_json(login: &str) -> Value {
    let kind = if login.ends_with("[bot]") {
        "Bot"
    } else {
        "User"
    };
    json!({ "login": login, "type": kind })
}

fn issue_json(issue: &Issue) -> Value {
    let mut value = json!({
        "number": issue.number,
        "state": issue.state,
        "title": issue.title,
        "body": issue.body,
        "user": user_json(&issue.user),
        "labels": issue.labels.iter().map(|l| json!({ "name": l })).collect::<Vec<_>>(),
    });
    if issue.pull.is_some() {
        value["pull_request"] = json!({ "url": "" });
    }
    value
}

/// Serves one request under the world's lock; whether its answer is to be
/// lost.
fn serve(
    world: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> (Response, bool) {
    let line = format!("{method} {}", uri.path());
    let mut w = world.lock().unwrap_or_else(|p| p.into_inner());
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if auth != format!("Bearer {TOKEN}") && auth != format!("token {TOKEN}") {
        return (
            respond(
                StatusCode::UNAUTHORIZED,
                json!({ "message": "Bad credentials" }),
            ),
            false,
        );
    }
    let targeted = match &w.fail_on {
        Some((prefix, _)) if line.starts_with(prefix.as_str()) => w.fail_on.take().map(|(_, f)| f),
        _ => None,
    };
    let fault = targeted.or_else(|| w.faults.pop_front());
    if let Some(fault) = fault.clone().filter(|f| !matches!(f, Fault::LostAnswer)) {
        let answer = match fault {
            Fault::LostAnswer => unreachable!(),
            Fault::BareSecondaryRateLimit => {
                let mut r = respond(
                    StatusCode::FORBIDDEN,
                    json!({ "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again." }),
                );
                r.headers_mut().remove("x-ratelimit-remaining");
                r.headers_mut().remove("x-ratelimit-limit");
                r.headers_mut().remove("x-ratelimit-reset");
                r
            }
            Fault::EchoCredentials => respond(
                StatusCode::UNAUTHORIZED,
                json!({ "message": format!("Bad credentials; you sent {auth}") }),
            ),
            Fault::ServerError => respond(
                StatusCode::BAD_GATEWAY,
                json!({ "message": "Server Error" }),
            ),
            Fault::SecondaryRateLimit { retry_after } => {
                let mut r = respond(
                    StatusCode::FORBIDDEN,
                    json!({ "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again." }),
                );
                r.headers_mut().insert(
                    "retry-after",
                    HeaderValue::from_str(&retry_after.to_string()).unwrap(),
                );
                r
            }
        };
        return (answer, false);
    }
    let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let q = query(uri);
    let segments: Vec<&str> = uri.path().trim_matches('/').split('/').collect();
    let Some(rest) = segments.strip_prefix(&["repos", OWNER, REPO][..]) else {
        return (
            respond(StatusCode::NOT_FOUND, json!({ "message": "Not Found" })),
            false,
        );
    };
    if rest.first() == Some(&"pulls") {
        w.refresh_heads();
    }
    let response = route(&mut w, method, rest, &q, body);
    (response, matches!(fault, Some(Fault::LostAnswer)))
}

async fn handle(
    State(world): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if uri.path().starts_with(&crate::fake_git::path()) {
        let bare = world.lock().unwrap_or_else(|p| p.into_inner()).bare.clone();
        return crate::fake_git::serve(bare, method, uri, headers, body).await;
    }
    let line = format!("{method} {}", uri.path());
    let hang = {
        let mut w = world.lock().unwrap_or_else(|p| p.into_inner());
        w.requests.push(format!(
            "{method} {}",
            uri.path_and_query().map_or("", |p| p.as_str())
        ));
        w.hang_on
            .as_ref()
            .is_some_and(|p| line.starts_with(p.as_str()))
    };
    if hang {
        return std::future::pending().await;
    }
    let (response, lost) = serve(&world, &method, &uri, &headers, &body);
    if lost {
        return respond(
            StatusCode::BAD_GATEWAY,
            json!({ "message": "Server Error" }),
        );
    }
    if method != Method::GET || response.status() != StatusCode::OK {
        return response;
    }
    // Reads carry an ETag; asked with it again and unchanged, a 304.
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let tag = {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        bytes.hash(&mut hasher);
        format!("\"{:016x}\"", hasher.finish())
    };
    if headers.get("if-none-match").and_then(|v| v.to_str().ok()) == Some(tag.as_str()) {
        world.lock().unwrap_or_else(|p| p.into_inner()).not_modified += 1;
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        r.headers_mut()
            .insert("etag", HeaderValue::from_str(&tag).unwrap());
        return r;
    }
    parts
        .headers
        .insert("etag", HeaderValue::from_str(&tag).unwrap());
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

fn route(
    w: &mut World,
    method: &Method,
    rest: &[&str],
    q: &BTreeMap<String, String>,
    body: Value,
) -> Response {
    let not_found = || respond(StatusCode::NOT_FOUND, json!({ "message": "Not Found" }));
    let number = |s: &str| s.parse::<u64>().ok();
    // GitHub's limit on issue, pull request and comment bodies.
    if body["body"]
        .as_str()
        .is_some_and(|b| b.chars().count() > 65_536)
    {
        return respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({
                "message": "Validation Failed",
                "errors": [{ "resource": "Issue", "code": "custom", "field": "body", "message": "body is too long (maximum is 65536 characters)" }]
            }),
        );
    }
    match (method.as_str(), rest) {
        ("GET", ["pulls"]) => {
            let head = q
                .get("head")
                .map(|h| h.split_once(':').map_or(h.as_str(), |(_, b)| b).to_owned());
            let state = q.get("state").cloned().unwrap_or_else(|| "open".into());
            let list: Vec<Value> = w
                .pulls()
                .into_iter()
                .filter(|i| state == "all" || i.state == state)
                .filter(|i| {
                    head.as_ref()
                        .is_none_or(|h| i.pull.as_ref().is_some_and(|p| &p.head == h))
                })
                .map(pull_json)
                .collect();
            respond(StatusCode::OK, Value::Array(list))
        }
        ("POST", ["pulls"]) => {
            let head = body["head"].as_str().unwrap_or("").to_owned();
            let Some(sha) = w.branch_sha(&head) else {
                return respond(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    json!({ "message": "Validation Failed: head invalid" }),
                );
            };
            if w.open_pulls()
                .iter()
                .any(|i| i.pull.as_ref().is_some_and(|p| p.head == head))
            {
                return respond(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    json!({ "message": format!("A pull request already exists for {OWNER}:{head}.") }),
                );
            }
            let number = w.number();
            let issue = Issue {
                number,
                title: body["title"].as_str().unwrap_or("").to_owned(),
                body: body["body"].as_str().unwrap_or("").to_owned(),
                state: "open".into(),
                labels: Vec::new(),
                user: BOT_LOGIN.into(),
                pull: Some(Pull {
                    head,
                    head_sha: sha,
                    base: body["base"].as_str().unwrap_or("main").to_owned(),
                    merged: false,
                    merge_commit_sha: None,
                    reviewers: Vec::new(),
                    reviews: Vec::new(),
                }),
                edits: 0,
            };
            let json = pull_json(&issue);
            w.issues.insert(number, issue);
            respond(StatusCode::CREATED, json)
        }
        ("GET", ["pulls", n]) => match number(n)
            .and_then(|n| w.issues.get(&n))
            .filter(|i| i.pull.is_some())
        {
            Some(issue) => respond(StatusCode::OK, pull_json(issue)),
            None => not_found(),
        },
        ("PATCH", ["pulls", n] | ["issues", n]) => {
            let Some(issue) = number(n).and_then(|n| w.issues.get_mut(&n)) else {
                return not_found();
            };
            for (key, field) in [
                ("title", &mut issue.title),
                ("body", &mut issue.body),
                ("state", &mut issue.state),
            ] {
                if let Some(v) = body[key].as_str() {
                    *field = v.to_owned();
                }
            }
            issue.edits += 1;
            let json = if issue.pull.is_some() {
                pull_json(issue)
            } else {
                issue_json(issue)
            };
            respond(StatusCode::OK, json)
        }
        ("GET", ["pulls", n, "reviews"]) => {
            let Some(issue) = number(n)
                .and_then(|n| w.issues.get(&n))
                .filter(|i| i.pull.is_some())
            else {
                return not_found();
            };
            let reviews: Vec<Value> = issue
                .pull
                .as_ref()
                .map(|p| {
                    p.reviews
                        .iter()
                        .map(|(u, s)| json!({ "state": s, "user": { "login": u } }))
                        .collect()
                })
                .unwrap_or_default();
            respond(StatusCode::OK, Value::Array(reviews))
        }
        ("POST", ["pulls", n, "requested_reviewers"]) => {
            let Some(issue) = number(n).and_then(|n| w.issues.get_mut(&n)) else {
                return not_found();
            };
            let reviewers: Vec<String> = body["reviewers"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|r| r.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            if let Some(p) = issue.pull.as_mut() {
                p.reviewers.extend(reviewers);
            }
            respond(StatusCode::CREATED, pull_json(issue))
        }
        ("POST", ["issues", n, "labels"]) => {
            let Some(issue) = number(n).and_then(|n| w.issues.get_mut(&n)) else {
                return not_found();
            };
            for label in body["labels"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !issue.labels.iter().any(|l| l == label) {
                    issue.labels.push(label.to_owned());
                }
            }
            let labels: Vec<Value> = issue.labels.iter().map(|l| json!({ "name": l })).collect();
            respond(StatusCode::OK, Value::Array(labels))
        }
        ("GET", ["issues"]) => {
            let state = q.get("state").cloned().unwrap_or_else(|| "open".into());
            let labels: Vec<&str> = q
                .get("labels")
                .map(|l| l.split(',').collect())
                .unwrap_or_default();
            let list: Vec<Value> = w
                .issues
                .values()
                .filter(|i| state == "all" || i.state == state)
                .filter(|i| labels.iter().all(|l| i.labels.iter().any(|x| x == l)))
                .map(issue_json)
                .collect();
            respond(StatusCode::OK, Value::Array(list))
        }
        ("POST", ["issues"]) => {
            let number = w.number();
            let issue = Issue {
                number,
                title: body["title"].as_str().unwrap_or("").to_owned(),
                body: body["body"].as_str().unwrap_or("").to_owned(),
                state: "open".into(),
                labels: body["labels"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|l| l.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
                user: BOT_LOGIN.into(),
                pull: None,
                edits: 0,
            };
            let json = issue_json(&issue);
            w.issues.insert(number, issue);
            respond(StatusCode::CREATED, json)
        }
        ("GET", ["issues", n, "comments"]) => {
            let Some(n) = number(n).filter(|n| w.issues.contains_key(n)) else {
                return not_found();
            };
            let per_page = q
                .get("per_page")
                .and_then(|p| p.parse().ok())
                .unwrap_or(30usize);
            let page = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1usize);
            let list: Vec<Value> = w
                .comments_on(n)
                .into_iter()
                .skip((page - 1) * per_page)
                .take(per_page)
                .map(|c| json!({ "id": c.id, "body": c.body, "user": { "login": c.user } }))
                .collect();
            respond(StatusCode::OK, Value::Array(list))
        }
        ("POST", ["issues", n, "comments"]) => {
            let Some(n) = number(n).filter(|n| w.issues.contains_key(n)) else {
                return not_found();
            };
            let text = body["body"].as_str().unwrap_or("").to_owned();
            let id = w.add_comment(n, BOT_LOGIN, &text);
            respond(
                StatusCode::CREATED,
                json!({ "id": id, "body": text, "user": { "login": BOT_LOGIN } }),
            )
        }
        ("POST", ["issues", "comments", id, "reactions"]) => {
            let Some(id) = number(id).filter(|id| w.comments.iter().any(|c| c.id == *id)) else {
                return not_found();
            };
            let content = body["content"].as_str().unwrap_or("").to_owned();
            let exists = w
                .reactions
                .iter()
                .any(|(c, u, x)| *c == id && u == BOT_LOGIN && *x == content);
            if exists {
                return respond(StatusCode::OK, json!({ "content": content }));
            }
            w.reactions.push((id, BOT_LOGIN.into(), content.clone()));
            respond(StatusCode::CREATED, json!({ "content": content }))
        }
        ("GET", ["collaborators", user, "permission"]) => {
            // Public repository: anyone not listed can read.
            let role = w
                .permissions
                .get(*user)
                .cloned()
                .unwrap_or_else(|| "read".into());
            let permission = match role.as_str() {
                "maintain" => "write",
                "triage" => "read",
                other => other,
            };
            respond(
                StatusCode::OK,
                json!({ "permission": permission, "role_name": role, "user": { "login": user } }),
            )
        }
        ("GET", ["commits", sha, "check-runs"]) => {
            let mut latest: BTreeMap<&str, &CheckRun> = BTreeMap::new();
            for run in w.check_runs.get(*sha).into_iter().flatten() {
                latest.insert(&run.name, run);
            }
            // Paginated as GitHub does: 30 a page unless asked, 100 at most.
            let per_page = q
                .get("per_page")
                .and_then(|p| p.parse::<usize>().ok())
                .unwrap_or(30)
                .min(100);
            let page = q
                .get("page")
                .and_then(|p| p.parse::<usize>().ok())
                .unwrap_or(1)
                .max(1);
            let total = latest.len();
            let runs: Vec<Value> = latest
                .values()
                .skip((page - 1) * per_page)
                .take(per_page)
                .map(|r| {
                    // Run 0: another app's check run, not an Actions job.
                    let (html, details) = if r.run_id == 0 {
                        (
                            format!("https://github.com/{OWNER}/{REPO}/runs/{}", r.id),
                            format!("https://ci.example.com/build/{}", r.id),
                        )
                    } else {
                        let job = format!(
                            "https://github.com/{OWNER}/{REPO}/actions/runs/{}/job/1",
                            r.run_id
                        );
                        (job.clone(), job)
                    };
                    json!({
                        "id": r.id,
                        "name": r.name,
                        "status": r.status,
                        "conclusion": r.conclusion,
                        "completed_at": r.completed_at,
                        "html_url": html,
                        "details_url": details,
                    })
                })
                .collect();
            respond(
                StatusCode::OK,
                json!({ "total_count": total, "check_runs": runs }),
            )
        }
        ("GET", ["commits", sha, "status"]) => {
            let statuses: Vec<Value> = w
                .statuses
                .get(*sha)
                .into_iter()
                .flatten()
                .map(|(context, state)| json!({ "context": context, "state": state, "target_url": null }))
                .collect();
            let state = if statuses.iter().any(|s| s["state"] != "success") {
                "failure"
            } else {
                "success"
            };
            respond(
                StatusCode::OK,
                json!({ "state": state, "total_count": statuses.len(), "statuses": statuses }),
            )
        }
        ("POST", ["actions", "runs", id, "rerun-failed-jobs"]) => {
            let Some(id) = number(id) else {
                return not_found();
            };
            w.reruns.push(id);
            respond(StatusCode::CREATED, json!({}))
        }
        // The pull requests a commit belongs to: merged as it, or its head.
        ("GET", ["commits", sha, "pulls"]) => {
            let list: Vec<Value> = w
                .pulls()
                .into_iter()
                .filter(|i| {
                    let p = i.pull.as_ref().unwrap();
                    p.merge_commit_sha.as_deref() == Some(*sha) || p.head_sha == *sha
                })
                .map(pull_json)
                .collect();
            respond(StatusCode::OK, Value::Array(list))
        }
        // Only the app that made a check run may ask for it again.
        ("POST", ["check-runs", _, "rerequest"]) => respond(
            StatusCode::FORBIDDEN,
            json!({ "message": "Resource not accessible by integration" }),
        ),
        ("GET", ["branches", branch]) => {
            let (classic, _) = &w.required_checks;
            let protection = (!classic.is_empty()).then(|| {
                json!({
                    "enabled": true,
                    "required_status_checks": {
                        "enforcement_level": "non_admins",
                        "contexts": classic,
                        "checks": classic.iter().map(|c| json!({ "context": c, "app_id": null })).collect::<Vec<_>>(),
                    }
                })
            });
            respond(
                StatusCode::OK,
                json!({ "name": branch, "protected": protection.is_some(), "protection": protection }),
            )
        }
        ("GET", ["rules", "branches", _]) => {
            let (_, rulesets) = &w.required_checks;
            let mut rules = vec![json!({ "type": "deletion", "ruleset_id": 1 })];
            if !rulesets.is_empty() {
                rules.push(json!({
                    "type": "required_status_checks",
                    "ruleset_id": 2,
                    "parameters": {
                        "strict_required_status_checks_policy": false,
                        "required_status_checks": rulesets.iter().map(|c| json!({ "context": c })).collect::<Vec<_>>(),
                    }
                }));
            }
            respond(StatusCode::OK, Value::Array(rules))
        }
        _ => not_found(),
    }
}
