//! Short content hashes: enough to notice that a file changed, and the
//! hex spelling every id here uses.

use sha2::{Digest, Sha256};

/// A short hash of file contents (16 hex digits), to notice when a file changed.
pub fn content_hash(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes)[..8])
}

/// Lowercase hex digits of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_sixteen_hex_digits_of_sha256() {
        assert_eq!(hex(&[0x00, 0xab, 0x0f]), "00ab0f");
        // The first eight bytes of SHA-256("").
        assert_eq!(content_hash(b""), "e3b0c44298fc1c14");
    }
}
