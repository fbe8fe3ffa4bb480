//! Console passwords: argon2id in the PHC string format, with OWASP's minimum parameters
//! (19 MiB, two passes, one lane) and a 16-byte salt from the caller's randomness. The rules are
//! NIST SP 800-63B's: a length floor and ceiling, no composition rules.
//!
//! [`verify_unknown`] does the same work for a name that has no account, so that the time of an
//! answer does not tell whether the name exists.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::Random;

/// The fewest characters a password may have.
pub const MIN_CHARS: usize = 12;
/// The most bytes a password may have (argon2 takes any length; this bounds the work).
pub const MAX_BYTES: usize = 256;

/// Why a password is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRefused {
    #[error("the password has {0} characters; use at least {MIN_CHARS}")]
    TooShort(usize),
    #[error("the password has {0} bytes; use at most {MAX_BYTES}")]
    TooLong(usize),
    #[error("the password could not be hashed: {0}")]
    Hashing(String),
}

fn argon2() -> Argon2<'static> {
    // OWASP's first argon2id configuration: m = 19456 KiB, t = 2, p = 1.
    let params = Params::new(19_456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Checks `password` against the rules.
pub fn check(password: &str) -> Result<(), PasswordRefused> {
    let chars = password.chars().count();
    if password.len() > MAX_BYTES {
        Err(PasswordRefused::TooLong(password.len()))
    } else if chars < MIN_CHARS {
        Err(PasswordRefused::TooShort(chars))
    } else {
        Ok(())
    }
}

/// The PHC string of `password` (`$argon2id$v=19$m=19456,t=2,p=1$…`), after [`check`].
pub fn hash(password: &str, random: &dyn Random) -> Result<String, PasswordRefused> {
    check(password)?;
    let salt = SaltString::encode_b64(&random.bytes16())
        .map_err(|e| PasswordRefused::Hashing(e.to_string()))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordRefused::Hashing(e.to_string()))
}

/// What an account without a password (one that signs in with OpenID Connect only) keeps:
/// no PHC string, so no password matches it.
pub const NO_PASSWORD: &str = "!";

/// Whether `password` matches the PHC string `stored`. A stored value that does not parse
/// (such as [`NO_PASSWORD`]) matches nothing, after the same work as a real check.
pub fn verify(password: &str, stored: &str) -> bool {
    if password.len() > MAX_BYTES {
        return false;
    }
    match PasswordHash::new(stored) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => {
            verify_unknown(password);
            false
        }
    }
}

/// The work of [`verify`] against a hash no password matches: for a name without an account.
pub fn verify_unknown(password: &str) {
    if let Ok(parsed) = PasswordHash::new(dummy_hash()) {
        let _ = argon2().verify_password(password.as_bytes(), &parsed);
    }
}

/// A hash of a password nobody types, made once (a test checks that it parses, so the work is
/// really done).
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        SaltString::from_b64("a2Fwc2Vsbm9hY2NvdW50")
            .ok()
            .and_then(|salt| {
                argon2()
                    .hash_password(b"kapsel: no such account", &salt)
                    .map(|h| h.to_string())
                    .ok()
            })
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::CountingRandom;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let random = CountingRandom::default();
        let stored = hash("korrekt hest batteri", &random).unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify("korrekt hest batteri", &stored));
        assert!(!verify("korrekt hest batterI", &stored));
        assert!(!verify("", &stored));
        assert!(!verify("korrekt hest batteri", "not a phc string"));
        // Two hashes of one password differ by their salt.
        assert_ne!(stored, hash("korrekt hest batteri", &random).unwrap());
        assert!(PasswordHash::new(dummy_hash()).is_ok(), "{}", dummy_hash());
        verify_unknown("anything at all");
    }

    #[test]
    fn the_rules_are_length_only() {
        assert_eq!(check("elleve tegn"), Err(PasswordRefused::TooShort(11)));
        assert_eq!(check("tolv tegn!!!"), Ok(()));
        // Characters, not bytes, count towards the floor.
        assert_eq!(check("ææææææææææææ"), Ok(()));
        let long = "x".repeat(MAX_BYTES + 1);
        assert_eq!(check(&long), Err(PasswordRefused::TooLong(MAX_BYTES + 1)));
        assert!(!verify(
            &long,
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"
        ));
    }
}
