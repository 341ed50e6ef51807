//! Tokens that never reach a log, a comment or the ledger.
//!
//! A [`Secret`] hides itself from `Debug` and has no `Display`. Text from
//! elsewhere can still carry a token (an API error that echoes the request's
//! `Authorization` header, a remote URL with credentials), so everything the
//! bot writes for people or keeps passes [`redact`]: it removes every token
//! this process holds and anything shaped like a GitHub token or a
//! credential.

use std::borrow::Cow;
use std::fmt;
use std::sync::RwLock;

/// What a removed token is shown as.
pub const REDACTED: &str = "***";

/// Tokens shorter than this are not looked for verbatim: they would blot
/// out ordinary words. Real tokens are 40 characters and more.
const MIN_KNOWN_LEN: usize = 8;

/// Every token a [`Secret`] was made from in this process.
static KNOWN: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// A token for HTTPS remotes and the API. Its `Debug` never shows it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Holds `value`, and from now on [`redact`] removes it from any text.
    pub fn new(value: String) -> Self {
        let value = value.trim().to_owned();
        if value.len() >= MIN_KNOWN_LEN {
            let mut known = KNOWN.write().unwrap_or_else(|p| p.into_inner());
            if !known.contains(&value) {
                known.push(value.clone());
            }
        }
        Self(value)
    }

    /// The token itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Prefixes of GitHub's tokens: personal, OAuth, user-to-server,
/// server-to-server (Actions' `GITHUB_TOKEN`), refresh, fine-grained.
const TOKEN_PREFIXES: [&str; 6] = ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"];

/// Words after which the next word is a credential.
const SCHEMES: [&str; 3] = ["bearer", "token", "basic"];

/// `text` without any token: the ones this process holds, GitHub-shaped
/// tokens (`ghp_…`, `github_pat_…`), the credential after `Bearer`,
/// `token` or `Authorization:`, and the password in a URL. Borrowed when
/// there is nothing to remove.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    {
        let known = KNOWN.read().unwrap_or_else(|p| p.into_inner());
        for token in known.iter() {
            if out.contains(token.as_str()) {
                out = Cow::Owned(out.replace(token.as_str(), REDACTED));
            }
        }
    }
    match redact_shapes(&out) {
        Some(cleaned) => Cow::Owned(cleaned),
        None => out,
    }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Where a credential that starts at `from` ends: the next space, quote,
/// backslash (an escaped quote in JSON) or bracket.
fn credential_end(b: &[u8], from: usize) -> usize {
    b[from..]
        .iter()
        .position(|c| c.is_ascii_whitespace() || b"\"'\\<>()[]{},;".contains(c))
        .map_or(b.len(), |n| from + n)
}

/// The ranges of `text` to blot out, in order; `None` when there is none.
fn redact_shapes(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let lower = text.to_ascii_lowercase();
    let lb = lower.as_bytes();
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let at_word_start = i == 0 || !is_word(b[i - 1]);
        if at_word_start {
            if let Some(prefix) = TOKEN_PREFIXES
                .iter()
                .find(|p| lb[i..].starts_with(p.as_bytes()))
            {
                let start = i + prefix.len();
                let end = start + b[start..].iter().take_while(|c| is_word(**c)).count();
                if end - start >= 8 {
                    cuts.push((start, end));
                    i = end;
                    continue;
                }
            }
            if let Some(scheme) = SCHEMES.iter().find(|s| {
                lb[i..].starts_with(s.as_bytes()) && lb.get(i + s.len()).is_some_and(|c| *c == b' ')
            }) {
                let start = i + scheme.len() + 1;
                let start = start + b[start..].iter().take_while(|c| **c == b' ').count();
                let end = credential_end(b, start);
                // These are plain words too: only a long unbroken run after one is a credential.
                let long_enough = end - start >= if *scheme == "token" { 20 } else { 8 };
                if end > start && long_enough {
                    cuts.push((start, end));
                    i = end;
                    continue;
                }
            }
            if lb[i..].starts_with(b"authorization") {
                let key_end = i + "authorization".len();
                let gap = b[key_end..]
                    .iter()
                    .take_while(|c| b"\"': =".contains(c))
                    .count();
                // A header or a key (`Authorization:`, `"authorization": `), not the word.
                let is_key = b[key_end..key_end + gap].iter().any(|c| b":=".contains(c));
                let mut start = key_end + gap;
                let word = start + b[start..].iter().take_while(|c| is_word(**c)).count();
                if SCHEMES.contains(&&lower[start..word]) {
                    start = word + b[word..].iter().take_while(|c| **c == b' ').count();
                }
                let end = credential_end(b, start);
                if is_key && end > start {
                    cuts.push((start, end));
                    i = end;
                    continue;
                }
            }
        }
        if lb[i..].starts_with(b"://") {
            let host_start = i + 3;
            let userinfo_end = credential_end(b, host_start);
            if let Some(at) = b[host_start..userinfo_end].iter().position(|c| *c == b'@') {
                let userinfo = &b[host_start..host_start + at];
                if let Some(colon) = userinfo.iter().position(|c| *c == b':') {
                    cuts.push((host_start + colon + 1, host_start + at));
                    i = host_start + at;
                    continue;
                }
            }
        }
        i += 1;
    }
    if cuts.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for (start, end) in cuts {
        out.push_str(&text[pos..start]);
        out.push_str(REDACTED);
        pos = end;
    }
    out.push_str(&text[pos..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        assert_eq!(
            format!("{:?}", Secret::new("ghp_secret".into())),
            "Secret(***)"
        );
    }

    #[test]
    fn held_tokens_are_removed_wherever_they_appear() {
        let secret = Secret::new("an-opaque-token-of-some-proxy".into());
        let text = format!("refused: you sent {}!", secret.expose());
        assert_eq!(redact(&text), "refused: you sent ***!");
        assert!(matches!(redact("nothing to hide"), Cow::Borrowed(_)));
        // Short values are not looked for: they would blot out words.
        let _ = Secret::new("x".into());
        assert_eq!(redact("x marks the spot"), "x marks the spot");
    }

    #[test]
    fn credential_shapes_are_removed() {
        for (text, shown) in [
            (
                "401 Bad credentials; you sent Bearer ghp_abcdefghijklmnopqrstuvwxyz0123456789",
                "401 Bad credentials; you sent Bearer ***",
            ),
            (
                "Authorization: token 0123456789abcdef0123456789abcdef01234567\nnext",
                "Authorization: token ***\nnext",
            ),
            (
                "{\"headers\":{\"authorization\":\"Basic dXNlcjpwYXNz\"}}",
                "{\"headers\":{\"authorization\":\"Basic ***\"}}",
            ),
            (
                "clone https://x-access-token:s3cr3t@github.com/o/r.git failed",
                "clone https://x-access-token:***@github.com/o/r.git failed",
            ),
            (
                "github_pat_11ABCDEFG0123456789_abcdefghijklmnop and ghs_16CharactersOrMore",
                "github_pat_*** and ghs_***",
            ),
            (
                "{\"message\":\"echo: Bearer abc.def-ghi\\\"\"}",
                "{\"message\":\"echo: Bearer ***\\\"\"}",
            ),
        ] {
            assert_eq!(redact(text), shown, "{text}");
        }
        // Words that only look like the start of one stay.
        for plain in [
            "a token was refused",
            "the bearer of news",
            "ghp_short",
            "https://github.com/o/r",
            "see https://user@example.com/x",
            "Authorization failed",
            "日本 Bearer",
        ] {
            assert_eq!(redact(plain), plain);
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_around_a_held_token_loses_only_the_token(
            before in "\\PC{0,40}",
            after in "\\PC{0,40}",
        ) {
            let secret = Secret::new("zq-held-token-for-a-proptest-9".into());
            let text = format!("{before}{}{after}", secret.expose());
            let shown = redact(&text);
            proptest::prop_assert!(!shown.contains(secret.expose()));
            proptest::prop_assert!(shown.contains(REDACTED));
            // Plain text around it is never longer than it came.
            proptest::prop_assert!(shown.len() <= text.len());
        }
    }
}
