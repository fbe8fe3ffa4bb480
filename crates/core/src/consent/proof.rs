//! Proof of possession for extending a receipt's lineage. Every recorded choice gets a fresh
//! receipt secret, handed only to the client that made it (in the `201` body; the banner keeps
//! it in its consent cookie). The ledger keeps only its SHA-256. A later choice that names the
//! receipt as `previous_receipt` must present the secret, so knowing a receipt id is not enough
//! to write into someone's lineage.

use sha2::{Digest, Sha256};

/// The length of a receipt secret in characters: 32 lower-case hex digits (128 random bits).
pub const SECRET_LEN: usize = 32;

/// A fresh receipt secret from 16 random bytes supplied by the caller.
pub fn new_secret(random: [u8; 16]) -> String {
    hex::encode(random)
}

/// Whether `text` has the shape of a receipt secret.
pub fn is_secret(text: &str) -> bool {
    text.len() == SECRET_LEN && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// What the ledger keeps of a secret: SHA-256, lower-case hex.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Whether `presented` is the secret whose hash is `stored`. Compares the hashes in time that
/// does not depend on where they differ.
pub fn proves(presented: &str, stored: &str) -> bool {
    let computed = secret_hash(presented);
    computed.len() == stored.len()
        && computed
            .bytes()
            .zip(stored.bytes())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_proves_only_its_own_hash() {
        let secret = new_secret([0xa7; 16]);
        assert!(is_secret(&secret));
        assert_eq!(secret.len(), SECRET_LEN);
        let stored = secret_hash(&secret);
        assert_eq!(stored.len(), 64);
        assert!(proves(&secret, &stored));
        assert!(!proves(&new_secret([0xa8; 16]), &stored));
        assert!(!proves("", &stored));
        assert!(!is_secret("0707070707070707070707070707070G"));
        assert!(!is_secret(&secret.to_uppercase()));
    }
}
