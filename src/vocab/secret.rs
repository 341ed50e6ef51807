//! A token that never reaches a log: its `Debug` hides it, and it has no
//! `Display`.

use std::fmt;

/// A token for HTTPS remotes. Its `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
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
}
