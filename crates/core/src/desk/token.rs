//! The requester's links: a random token sent by e-mail, of which Kapsel keeps only the
//! SHA-256. Whoever reads the database cannot follow a link; whoever holds a link proves they
//! read the mail sent to the address the request gave (the identity check of art. 12(6)).
//!
//! Two purposes, each with its own lifetime:
//! - [`TokenPurpose::Verify`]: the one-time link that verifies the address. Single use, and short
//!   (default 30 minutes, [`DEFAULT_VERIFY_TTL_MS`]; configurable).
//! - [`TokenPurpose::Status`]: the link to the case's status page and downloads, sent once the
//!   address is verified; reusable until it expires (default 30 days).
//!
//! A token is 32 random bytes, base64url without padding (43 characters). Anything else is not
//! a token: [`token_hash`] refuses it before any lookup, so a malformed link and an unknown one
//! are answered the same way by the caller.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::clock::Millis;
use crate::random::Random;
use crate::secret::Secret;

/// How long a verification link works unless settings say otherwise: 30 minutes.
pub const DEFAULT_VERIFY_TTL_MS: Millis = 30 * 60 * 1000;
/// How long a status link works unless settings say otherwise: 30 days.
pub const DEFAULT_STATUS_TTL_MS: Millis = 30 * 24 * 60 * 60 * 1000;
/// The length of a token in characters.
pub const TOKEN_LEN: usize = 43;

/// What a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenPurpose {
    Verify,
    Status,
}

impl TokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::Verify => "verify",
            TokenPurpose::Status => "status",
        }
    }

    /// Whether redeeming the token uses it up.
    pub fn single_use(self) -> bool {
        matches!(self, TokenPurpose::Verify)
    }

    pub fn parse(text: &str) -> Option<TokenPurpose> {
        match text {
            "verify" => Some(TokenPurpose::Verify),
            "status" => Some(TokenPurpose::Status),
            _ => None,
        }
    }
}

/// A new token: the text for the link (a secret, never stored) and the hash that is stored.
#[derive(Debug)]
pub struct IssuedToken {
    pub token: Secret,
    pub hash: String,
}

/// Draws a new token from `random`.
pub fn issue(random: &dyn Random) -> IssuedToken {
    let mut bytes = [0u8; 32];
    random.fill(&mut bytes);
    let text = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_hex(&text);
    IssuedToken {
        token: Secret::new(text).unwrap_or_else(|| unreachable!("43 characters are never empty")),
        hash,
    }
}

/// The stored hash of a token from a link, or `None` when the text cannot be a token.
pub fn token_hash(text: &str) -> Option<String> {
    let well_formed = text.len() == TOKEN_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && URL_SAFE_NO_PAD
            .decode(text)
            .is_ok_and(|bytes| bytes.len() == 32);
    well_formed.then(|| hash_hex(text))
}

fn hash_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::CountingRandom;

    #[test]
    fn an_issued_token_hashes_to_what_is_stored_and_differs_each_time() {
        let random = CountingRandom::default();
        let first = issue(&random);
        let second = issue(&random);
        assert_eq!(first.token.expose().len(), TOKEN_LEN);
        assert_eq!(token_hash(first.token.expose()), Some(first.hash.clone()));
        assert_ne!(first.token.expose(), second.token.expose());
        assert_ne!(first.hash, second.hash);
        assert!(!first.hash.contains(first.token.expose()));
    }

    #[test]
    fn anything_that_is_not_a_token_has_no_hash() {
        let random = CountingRandom::default();
        let token = issue(&random).token.expose().to_owned();
        for bad in [
            String::new(),
            token[..42].to_owned(),
            format!("{token}A"),
            token.replace(|c: char| c.is_ascii_alphanumeric(), "+"),
            "' OR 1=1 --".to_owned(),
            "a".repeat(10_000),
        ] {
            assert_eq!(token_hash(&bad), None, "{bad:?}");
        }
    }

    #[test]
    fn only_the_verification_link_is_single_use() {
        assert!(TokenPurpose::Verify.single_use());
        assert!(!TokenPurpose::Status.single_use());
        for purpose in [TokenPurpose::Verify, TokenPurpose::Status] {
            assert_eq!(TokenPurpose::parse(purpose.as_str()), Some(purpose));
        }
        assert_eq!(TokenPurpose::parse("admin"), None);
    }
}
