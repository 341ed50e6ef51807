//! GitHub's REST API on octocrab, with the retry rules every request goes
//! through: 5xx answers and transport errors with bounded exponential
//! backoff, rate limits (primary and secondary, 403/429 with `retry-after`
//! or `x-ratelimit-reset`, and a secondary limit's 403 without either,
//! which GitHub asks to wait at least a minute for) by waiting within a
//! budget. octocrab's own retry is off: it retries POSTs immediately, which
//! could post a comment twice. A POST whose answer is lost is not sent
//! again here: the forge looks for what it made first ([`Client::create`]).
//! Reads send the `ETag` of their last answer, and a `304` costs no quota.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderValue, Method, StatusCode};
use octocrab::Octocrab;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::forge::ForgeError;
use crate::sys::network::NetworkBudget;
use crate::vocab::secret::{Secret, redact};
use crate::vocab::time::Timestamp;

/// How hard to try before giving up.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts for 5xx answers and transport errors.
    pub attempts: u32,
    /// The first backoff; it doubles each time.
    pub base_delay: Duration,
    /// The longest the bot waits, in total, for rate limits to lift.
    pub rate_limit_budget: Duration,
    /// The wait after a secondary rate limit that names no time; GitHub
    /// asks for at least a minute.
    pub secondary_wait: Duration,
    /// Connect and read timeouts, and the run's total for all requests.
    pub network: NetworkBudget,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 5,
            base_delay: Duration::from_millis(500),
            rate_limit_budget: Duration::from_secs(600),
            secondary_wait: Duration::from_secs(60),
            network: NetworkBudget::default(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Quota {
    remaining: u64,
    limit: u64,
    reset: i64,
}

/// The API behind the retry rules.
pub struct Client {
    runtime: tokio::runtime::Runtime,
    octocrab: Octocrab,
    retry: RetryPolicy,
    quota: Mutex<Option<Quota>>,
    waited: Mutex<Duration>,
    /// Path → (ETag, body) of the last answer to a read.
    cached: Mutex<HashMap<String, (HeaderValue, String)>>,
}

/// A raw answer.
pub struct Answer {
    pub status: StatusCode,
    pub body: String,
}

impl Client {
    pub fn new(api_url: &str, token: &Secret, retry: RetryPolicy) -> Result<Self, ForgeError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ForgeError::Other(format!("cannot start the HTTP runtime: {e}")))?;
        let octocrab = runtime.block_on(async {
            Octocrab::builder()
                .personal_token(token.expose().to_owned())
                .base_uri(api_url)
                .map_err(|e| {
                    ForgeError::Other(format!(
                        "`{api_url}` is not a usable API URL: {}",
                        describe(&e)
                    ))
                })?
                .set_connect_timeout(Some(retry.network.connect_timeout()))
                .set_read_timeout(Some(retry.network.read_timeout()))
                .set_write_timeout(Some(retry.network.read_timeout()))
                .build()
                .map_err(|e| {
                    ForgeError::Other(format!("cannot build the GitHub client: {}", describe(&e)))
                })
        })?;
        Ok(Self {
            runtime,
            octocrab,
            retry,
            quota: Mutex::new(None),
            waited: Mutex::new(Duration::ZERO),
            cached: Mutex::new(HashMap::new()),
        })
    }

    /// One request with the retry rules; non-2xx answers become errors.
    pub fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, ForgeError> {
        let what = format!("{method} {path}");
        // Comments and pull requests are public: no token goes out in one.
        let body = body.map(redact_strings);
        let body = body.as_ref();
        let network = &self.retry.network;
        // A lost answer to a POST may hide a comment or issue made: the
        // caller looks before it sends again.
        let resend = method != Method::POST;
        let etag = (method == Method::GET)
            .then(|| self.cache().get(path).map(|(tag, _)| tag.clone()))
            .flatten();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let Some(left) = network.remaining() else {
                return Err(self.spent(what));
            };
            let sent = network.metered(|| {
                self.runtime.block_on(async {
                    // The read timeout bounds each wait for bytes; this bounds
                    // an answer that trickles in for ever.
                    tokio::time::timeout(left, async {
                        let response = match method {
                            Method::GET => {
                                let mut headers = HeaderMap::new();
                                if let Some(tag) = &etag {
                                    headers.insert(http::header::IF_NONE_MATCH, tag.clone());
                                }
                                self.octocrab._get_with_headers(path, Some(headers)).await
                            }
                            Method::POST => self.octocrab._post(path, body).await,
                            Method::PATCH => self.octocrab._patch(path, body).await,
                            Method::PUT => self.octocrab._put(path, body).await,
                            _ => self.octocrab._delete(path, body).await,
                        }?;
                        let status = response.status();
                        let headers = response.headers().clone();
                        let text = self.octocrab.body_to_string(response).await?;
                        Ok::<_, octocrab::Error>((status, headers, text))
                    })
                    .await
                })
            });
            let (status, headers, text) = match sent {
                Ok(Ok(answer)) => answer,
                Err(_) => return Err(self.spent(what)),
                Ok(Err(e)) if !resend => {
                    return Err(ForgeError::Unanswered {
                        what,
                        message: redact(&describe(&e)).into_owned(),
                    });
                }
                Ok(Err(e)) => {
                    if attempt < self.retry.attempts {
                        tracing::debug!("{what}: {} (attempt {attempt})", redact(&describe(&e)));
                        self.pause(self.backoff(attempt));
                        continue;
                    }
                    return Err(ForgeError::Unavailable {
                        what,
                        attempts: attempt,
                        message: redact(&describe(&e)).into_owned(),
                    });
                }
            };
            self.note_quota(&headers);
            if status == StatusCode::NOT_MODIFIED
                && let Some((_, body)) = self.cache().get(path)
            {
                return Ok(Answer {
                    status: StatusCode::OK,
                    body: body.clone(),
                });
            }
            if status.is_success() {
                if method == Method::GET
                    && let Some(tag) = headers.get(http::header::ETAG)
                {
                    self.cache()
                        .insert(path.to_owned(), (tag.clone(), text.clone()));
                }
                return Ok(Answer { status, body: text });
            }
            if let Some(wait) = rate_limit_wait(status, &headers, &text, &self.retry) {
                let mut waited = self.waited.lock().unwrap_or_else(|p| p.into_inner());
                if *waited + wait > self.retry.rate_limit_budget {
                    let until =
                        Timestamp(now() + i64::try_from(wait.as_secs()).unwrap_or(i64::MAX / 2));
                    return Err(ForgeError::RateLimited {
                        until: until.to_string(),
                    });
                }
                *waited += wait;
                drop(waited);
                tracing::warn!("{what}: rate limited; waiting {} s", wait.as_secs());
                if network.remaining().is_none_or(|left| left < wait) {
                    return Err(self.spent(what));
                }
                self.pause(wait);
                attempt -= 1;
                continue;
            }
            if status.is_server_error() && !resend {
                return Err(ForgeError::Unanswered {
                    what,
                    message: status.to_string(),
                });
            }
            if status.is_server_error() && attempt < self.retry.attempts {
                tracing::debug!("{what}: {status} (attempt {attempt})");
                self.pause(self.backoff(attempt));
                continue;
            }
            let message = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_else(|| text.chars().take(200).collect());
            return Err(ForgeError::Api {
                what,
                status: status.as_u16(),
                // A server or proxy may echo the request, credentials and all.
                message: redact(&message).into_owned(),
            });
        }
    }

    pub fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T, ForgeError> {
        let answer = self.request(method.clone(), path, body)?;
        serde_json::from_str(&answer.body).map_err(|e| ForgeError::Api {
            what: format!("{method} {path}"),
            status: answer.status.as_u16(),
            message: format!("an answer patchwright cannot read: {e}"),
        })
    }

    /// Makes something once: looks for it, and only when it is not there
    /// sends the POST; a POST whose answer was lost is looked for again
    /// before it is sent again.
    pub fn create<T>(
        &self,
        mut look: impl FnMut() -> Result<Option<T>, ForgeError>,
        mut post: impl FnMut() -> Result<T, ForgeError>,
    ) -> Result<T, ForgeError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            if let Some(found) = look()? {
                return Ok(found);
            }
            match post() {
                Err(ForgeError::Unanswered { what, message }) => {
                    if attempt >= self.retry.attempts {
                        return Err(ForgeError::Unavailable {
                            what,
                            attempts: attempt,
                            message,
                        });
                    }
                    tracing::debug!("{what}: no answer ({message}); looking before trying again");
                    self.pause(self.backoff(attempt));
                }
                other => return other,
            }
        }
    }

    /// A POST that GitHub treats as idempotent (a label, a reaction, a
    /// re-run): sent again after a lost answer.
    pub fn post_again(&self, path: &str, body: Option<&Value>) -> Result<Answer, ForgeError> {
        self.create(|| Ok(None), || self.request(Method::POST, path, body))
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, (HeaderValue, String)>> {
        self.cached.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits between attempts, charged to the network budget (at most what
    /// is left of it: the next attempt then finds it spent).
    fn pause(&self, wait: Duration) {
        let network = &self.retry.network;
        let wait = network
            .remaining()
            .map_or(Duration::ZERO, |left| wait.min(left));
        network.metered(|| std::thread::sleep(wait));
    }

    fn spent(&self, what: String) -> ForgeError {
        ForgeError::OutOfTime {
            what,
            seconds: self.retry.network.total().as_secs(),
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.retry.base_delay * 2u32.saturating_pow(attempt.saturating_sub(1).min(6))
    }

    fn note_quota(&self, headers: &HeaderMap) {
        let get = |name: &str| headers.get(name)?.to_str().ok()?.parse::<i64>().ok();
        if let (Some(remaining), Some(limit), Some(reset)) = (
            get("x-ratelimit-remaining"),
            get("x-ratelimit-limit"),
            get("x-ratelimit-reset"),
        ) {
            let quota = Quota {
                remaining: u64::try_from(remaining).unwrap_or(0),
                limit: u64::try_from(limit).unwrap_or(0),
                reset,
            };
            *self.quota.lock().unwrap_or_else(|p| p.into_inner()) = Some(quota);
        }
    }

    /// The API quota the last answer reported, for the log.
    pub fn quota(&self) -> Option<String> {
        let quota = (*self.quota.lock().unwrap_or_else(|p| p.into_inner()))?;
        Some(format!(
            "{} of {} GitHub API requests left until {}",
            quota.remaining,
            quota.limit,
            Timestamp(quota.reset)
        ))
    }
}

/// How long to wait before retrying a rate-limited request, if it is one.
fn rate_limit_wait(
    status: StatusCode,
    headers: &HeaderMap,
    body: &str,
    retry: &RetryPolicy,
) -> Option<Duration> {
    if status != StatusCode::FORBIDDEN && status != StatusCode::TOO_MANY_REQUESTS {
        return None;
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(seconds) = header("retry-after").and_then(|v| v.trim().parse::<u64>().ok()) {
        return Some(Duration::from_secs(seconds.max(1)));
    }
    if header("x-ratelimit-remaining") == Some("0")
        && let Some(reset) = header("x-ratelimit-reset").and_then(|v| v.trim().parse::<i64>().ok())
    {
        let seconds = u64::try_from((reset - now()).max(1)).unwrap_or(1);
        return Some(Duration::from_secs(seconds));
    }
    // A 429, or a 403 that says it is the secondary limit, without headers
    // is still a rate limit; GitHub asks for at least a minute.
    let secondary = body.to_ascii_lowercase().contains("secondary rate limit");
    (status == StatusCode::TOO_MANY_REQUESTS || secondary).then_some(retry.secondary_wait)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

/// `value` with the token removed from every string in it.
fn redact_strings(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(redact(s).into_owned()),
        Value::Array(items) => Value::Array(items.iter().map(redact_strings).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), redact_strings(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// octocrab's `Display` says only "GitHub"; say what GitHub said.
fn describe(e: &octocrab::Error) -> String {
    match e {
        octocrab::Error::GitHub { source, .. } => {
            format!("{} {}", source.status_code, source.message)
        }
        other => {
            let mut text = other.to_string();
            let mut source = std::error::Error::source(other);
            while let Some(s) = source {
                text.push_str(&format!(": {s}"));
                source = s.source();
            }
            text
        }
    }
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_are_read_from_headers() {
        let policy = RetryPolicy::default();
        let mut headers = HeaderMap::new();
        assert_eq!(
            rate_limit_wait(
                StatusCode::FORBIDDEN,
                &headers,
                r#"{"message":"You have exceeded a secondary rate limit."}"#,
                &policy
            ),
            Some(Duration::from_secs(60)),
            "a secondary limit without headers waits a minute"
        );
        assert_eq!(
            rate_limit_wait(StatusCode::FORBIDDEN, &headers, "", &policy),
            None,
            "a plain 403 is a refusal"
        );
        assert_eq!(
            rate_limit_wait(StatusCode::TOO_MANY_REQUESTS, &headers, "", &policy),
            Some(Duration::from_secs(60))
        );
        headers.insert("retry-after", "7".parse().unwrap());
        assert_eq!(
            rate_limit_wait(StatusCode::FORBIDDEN, &headers, "", &policy),
            Some(Duration::from_secs(7))
        );
        let mut primary = HeaderMap::new();
        primary.insert("x-ratelimit-remaining", "0".parse().unwrap());
        primary.insert(
            "x-ratelimit-reset",
            (now() + 30).to_string().parse().unwrap(),
        );
        let wait = rate_limit_wait(StatusCode::FORBIDDEN, &primary, "", &policy).unwrap();
        assert!((29..=31).contains(&wait.as_secs()), "{wait:?}");
        assert_eq!(
            rate_limit_wait(StatusCode::INTERNAL_SERVER_ERROR, &headers, "", &policy),
            None
        );
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("octo:patchwright/a b"), "octo%3Apatchwright%2Fa%20b");
    }
}
