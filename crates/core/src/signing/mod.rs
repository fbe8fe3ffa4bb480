//! The instance signing key (Ed25519) and what it signs: receipts (`receipt`) and checkpoints
//! of each chain's head (`note`, in the C2SP signed-note / tlog-checkpoint format). Pure: the
//! caller supplies the randomness of a new key and every timestamp; keeping the key (a file
//! under `--data`, settings, or the database) is the store's and the CLI's business.
//!
//! Keys are written the way Go's `golang.org/x/mod/sumdb/note` writes them, so that existing
//! tools read them:
//!
//! - private: `PRIVATE+KEY+<name>+<key id, 8 hex>+<base64(0x01 || 32-byte seed)>`;
//! - public (a "verifier key"): `<name>+<key id>+<base64(0x01 || 32-byte public key)>`;
//! - key id: the first 4 bytes of `SHA-256(name || 0x0A || 0x01 || public key)`.

pub mod gap;
pub mod merkle;
pub mod note;
pub mod receipt;
pub mod seal;
pub mod webhook;

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};
use sha2::{Digest, Sha256};

use crate::random::Random;
use crate::secret::Secret;

/// The signature-type byte of Ed25519 in signed notes and key encodings.
const ALG_ED25519: u8 = 0x01;
/// The name a new key gets when settings name none.
pub const DEFAULT_KEY_NAME: &str = "kapsel";

/// Why a key or a signature could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("not a Kapsel signing key: expected PRIVATE+KEY+<name>+<key id>+<base64 key>")]
    NotAPrivateKey,
    #[error("not a verifier key: expected <name>+<key id>+<base64 key>")]
    NotAPublicKey,
    #[error("the key name {0:?} is empty or holds a space or a '+'")]
    BadName(String),
    #[error("the key is not an Ed25519 key")]
    NotEd25519,
    #[error("the key id {stated} does not match the key (its id is {computed})")]
    KeyIdMismatch { stated: String, computed: String },
}

/// Whether `name` can name a key (and a note origin): non-empty, no whitespace, no `+`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c.is_control())
}

/// The 4-byte key id of an Ed25519 public key named `name`.
pub fn key_id(name: &str, public: &[u8; 32]) -> [u8; 4] {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update([b'\n', ALG_ED25519]);
    hasher.update(public);
    let digest = hasher.finalize();
    let mut id = [0u8; 4];
    for (slot, byte) in id.iter_mut().zip(digest) {
        *slot = byte;
    }
    id
}

/// The instance's private key. Its `Debug` never shows the seed.
pub struct SigningKey {
    seed: [u8; 32],
    pair: Ed25519KeyPair,
    public: PublicKey,
}

impl SigningKey {
    /// A new key named `name` from 32 bytes of `random`.
    pub fn generate(name: &str, random: &dyn Random) -> Result<SigningKey, KeyError> {
        let mut seed = [0u8; 32];
        random.fill(&mut seed);
        SigningKey::from_seed(name, seed)
    }

    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<SigningKey, KeyError> {
        if !valid_name(name) {
            return Err(KeyError::BadName(name.to_owned()));
        }
        let pair = Ed25519KeyPair::from_seed_unchecked(&seed).map_err(|_| KeyError::NotEd25519)?;
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(pair.public_key().as_ref());
        let public = PublicKey {
            name: name.to_owned(),
            id: key_id(name, &bytes),
            bytes,
        };
        Ok(SigningKey { seed, pair, public })
    }

    /// Reads `PRIVATE+KEY+<name>+<key id>+<base64(0x01 || seed)>` (surrounding blanks ignored).
    pub fn from_private_text(text: &str) -> Result<SigningKey, KeyError> {
        let rest = text
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(KeyError::NotAPrivateKey)?;
        // base64 may hold '+': the key is everything after the second '+'.
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(KeyError::NotAPrivateKey);
        };
        let decoded = BASE64.decode(key).map_err(|_| KeyError::NotAPrivateKey)?;
        let Some((&ALG_ED25519, seed)) = decoded.split_first() else {
            return Err(KeyError::NotEd25519);
        };
        let seed: [u8; 32] = seed.try_into().map_err(|_| KeyError::NotEd25519)?;
        let key = SigningKey::from_seed(name, seed)?;
        if !id.eq_ignore_ascii_case(&key.public.id_hex()) {
            return Err(KeyError::KeyIdMismatch {
                stated: id.to_owned(),
                computed: key.public.id_hex(),
            });
        }
        Ok(key)
    }

    /// The private key as text (the form [`SigningKey::from_private_text`] reads).
    pub fn private_text(&self) -> Result<Secret, KeyError> {
        let mut encoded = vec![ALG_ED25519];
        encoded.extend_from_slice(&self.seed);
        let text = format!(
            "PRIVATE+KEY+{}+{}+{}",
            self.public.name,
            self.public.id_hex(),
            BASE64.encode(encoded)
        );
        Secret::new(text).ok_or(KeyError::NotAPrivateKey)
    }

    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// The Ed25519 signature of `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        let mut out = [0u8; 64];
        out.copy_from_slice(self.pair.sign(message).as_ref());
        out
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("public", &self.public.verifier_key())
            .field("seed", &crate::secret::REDACTED)
            .finish()
    }
}

/// A public key with its name and key id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub name: String,
    pub id: [u8; 4],
    pub bytes: [u8; 32],
}

impl PublicKey {
    /// From a name and the base64 of the 32-byte key (as the keys URL publishes it).
    pub fn from_base64(name: &str, key: &str) -> Result<PublicKey, KeyError> {
        if !valid_name(name) {
            return Err(KeyError::BadName(name.to_owned()));
        }
        let decoded = BASE64
            .decode(key.trim())
            .map_err(|_| KeyError::NotAPublicKey)?;
        let bytes: [u8; 32] = decoded
            .as_slice()
            .try_into()
            .map_err(|_| KeyError::NotEd25519)?;
        Ok(PublicKey {
            name: name.to_owned(),
            id: key_id(name, &bytes),
            bytes,
        })
    }

    /// Reads a verifier key, `<name>+<key id>+<base64(0x01 || public key)>`.
    pub fn from_verifier_key(text: &str) -> Result<PublicKey, KeyError> {
        let mut parts = text.trim().splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(KeyError::NotAPublicKey);
        };
        let decoded = BASE64.decode(key).map_err(|_| KeyError::NotAPublicKey)?;
        let Some((&ALG_ED25519, bytes)) = decoded.split_first() else {
            return Err(KeyError::NotEd25519);
        };
        let key = PublicKey::from_base64(name, &BASE64.encode(bytes))?;
        if !id.eq_ignore_ascii_case(&key.id_hex()) {
            return Err(KeyError::KeyIdMismatch {
                stated: id.to_owned(),
                computed: key.id_hex(),
            });
        }
        Ok(key)
    }

    /// The key id as 8 lower-case hex digits.
    pub fn id_hex(&self) -> String {
        hex::encode(self.id)
    }

    /// The 32-byte key in standard base64.
    pub fn base64(&self) -> String {
        BASE64.encode(self.bytes)
    }

    /// `<name>+<key id>+<base64(0x01 || key)>`, as Go's `note.NewVerifier` reads it.
    pub fn verifier_key(&self) -> String {
        let mut encoded = vec![ALG_ED25519];
        encoded.extend_from_slice(&self.bytes);
        format!("{}+{}+{}", self.name, self.id_hex(), BASE64.encode(encoded))
    }

    /// Whether `signature` is this key's Ed25519 signature of `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, self.bytes)
            .verify(message, signature)
            .is_ok()
    }
}

/// Standard base64 (RFC 4648 §4), as every signed format here uses it.
pub fn base64_encode(bytes: &[u8]) -> String {
    BASE64.encode(bytes)
}

/// The inverse of [`base64_encode`]; `None` for text that is not base64.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    BASE64.decode(text.trim()).ok()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::random::CountingRandom;

    /// A fixed key for tests: seed bytes 1..=32, name `kapsel.test`.
    pub(crate) fn test_key() -> SigningKey {
        let mut seed = [0u8; 32];
        for (i, byte) in seed.iter_mut().enumerate() {
            *byte = i as u8 + 1;
        }
        SigningKey::from_seed("kapsel.test", seed).unwrap()
    }

    #[test]
    fn the_private_text_round_trips_and_never_shows_in_debug() {
        let key = SigningKey::generate("example.org", &CountingRandom::starting_at(7)).unwrap();
        let text = key.private_text().unwrap();
        assert!(text.expose().starts_with("PRIVATE+KEY+example.org+"));
        let again = SigningKey::from_private_text(text.expose()).unwrap();
        assert_eq!(again.public(), key.public());
        let shown = format!("{key:?}");
        assert!(!shown.contains(text.expose()), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }

    #[test]
    fn a_verifier_key_round_trips_and_checks_its_key_id() {
        let key = test_key();
        let vkey = key.public().verifier_key();
        assert_eq!(PublicKey::from_verifier_key(&vkey).unwrap(), *key.public());
        let other_name = vkey.replacen("kapsel.test", "kapsel.other", 1);
        assert!(matches!(
            PublicKey::from_verifier_key(&other_name),
            Err(KeyError::KeyIdMismatch { .. })
        ));
        assert!(PublicKey::from_verifier_key("kapsel.test+00").is_err());
    }

    #[test]
    fn signatures_verify_only_for_their_message_and_key() {
        let key = test_key();
        let signature = key.sign(b"hello");
        assert!(key.public().verify(b"hello", &signature));
        assert!(!key.public().verify(b"hellO", &signature));
        let other = SigningKey::from_seed("kapsel.test", [9; 32]).unwrap();
        assert!(!other.public().verify(b"hello", &signature));
    }

    #[test]
    fn names_with_spaces_or_plus_are_refused() {
        assert!(valid_name("consent.example.no"));
        for bad in ["", "a b", "a+b", "a\nb"] {
            assert!(!valid_name(bad), "{bad:?}");
            assert!(SigningKey::from_seed(bad, [1; 32]).is_err());
        }
    }
}
