//! Signed receipts. Each receipt carries the server's signature over a canonical text of what
//! was recorded (`kapsel-receipt/v1`, below), so a visitor can prove to anyone what they chose
//! and the operator cannot later deny it.
//!
//! One signature covers a whole batch of receipts (those waiting to be signed together under
//! load, as the ledger groups its commits): the batch's receipt texts are the leaves
//! of an RFC 6962 Merkle tree ([`super::merkle`]), the key signs a short batch text naming the
//! tree's root (`kapsel-receipt-batch/v1`), and each receipt carries its leaf index and
//! inclusion path. A batch of one (an answer to `GET /v1/receipts/{id}`) has an empty path.
//!
//! Both texts use the ledger's encoding (docs/ledger.md): one `name=value` line per field,
//! each ended by `\n`; strings as `<UTF-8 byte length>:<bytes>`; integers in decimal; maps as
//! `name=<count>` and one `<key string>=<bool>` line per entry, keys in byte order.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::merkle::{self, Hash};
use super::{PublicKey, SigningKey, base64_decode, base64_encode};
use crate::consent::{ConsentChoice, ConsentRecord, Receipt};

pub const RECEIPT_VERSION: &str = "kapsel-receipt/v1";
pub const BATCH_VERSION: &str = "kapsel-receipt-batch/v1";
/// The only algorithm receipts are signed with.
pub const ALGORITHM: &str = "Ed25519";

/// The signature part of a receipt: everything a verifier needs besides the public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptSignature {
    /// Always `Ed25519`.
    pub alg: String,
    /// The signing key's id (8 hex digits), as `GET /.well-known/kapsel/keys` lists it.
    pub key_id: String,
    /// The `kapsel-receipt/v1` text of this receipt: the Merkle leaf.
    pub signed: String,
    /// When the batch was signed (ms since 1970) and how many receipts it holds.
    pub signed_at_ms: i64,
    pub batch_size: u64,
    /// This receipt's position in the batch, from 0.
    pub leaf_index: u64,
    /// The inclusion path, nearest sibling first, as hex.
    pub path: Vec<String>,
    /// base64 of the Ed25519 signature of the `kapsel-receipt-batch/v1` text.
    pub signature: String,
}

/// Why a receipt signature does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptSignatureError {
    #[error("the algorithm {0:?} is not Ed25519")]
    Algorithm(String),
    #[error("no published key has id {0}")]
    UnknownKey(String),
    #[error("the inclusion path is malformed or does not fit leaf {index} of {size}")]
    BadPath { index: u64, size: u64 },
    #[error("the signature does not verify: the receipt or its batch was altered")]
    BadSignature,
    #[error("the signed text does not match the record: {0}")]
    NotThisRecord(String),
}

/// The canonical `kapsel-receipt/v1` text of `record`.
pub fn receipt_text(record: &ConsentRecord) -> String {
    receipt_text_of(&record.receipt(), &record.choice)
}

/// The canonical `kapsel-receipt/v1` text of a receipt of `choice`. The record hash commits
/// to everything else the ledger keeps (chain, seq, context, links).
pub fn receipt_text_of(receipt: &Receipt, choice: &ConsentChoice) -> String {
    let mut out = String::with_capacity(384);
    out.push_str(RECEIPT_VERSION);
    out.push('\n');
    string_field(&mut out, "id", &receipt.id);
    string_field(&mut out, "hash", &receipt.hash);
    string_field(&mut out, "site", &choice.site);
    string_field(&mut out, "revision", &choice.revision);
    string_field(&mut out, "language", choice.language.as_str());
    string_field(&mut out, "action", choice.action.as_str());
    map_field(&mut out, "categories", &choice.categories);
    map_field(&mut out, "services", &choice.services);
    let _ = writeln!(out, "gpc={}", choice.gpc);
    let _ = writeln!(out, "recorded_at_ms={}", receipt.recorded_at_ms);
    let _ = writeln!(out, "expires_at_ms={}", receipt.expires_at_ms);
    out
}

/// The `kapsel-receipt-batch/v1` text the key signs.
pub fn batch_text(key_id: &str, signed_at_ms: i64, size: u64, root: &Hash) -> String {
    let mut out = String::with_capacity(160);
    out.push_str(BATCH_VERSION);
    out.push('\n');
    string_field(&mut out, "key_id", key_id);
    let _ = writeln!(out, "signed_at_ms={signed_at_ms}");
    let _ = writeln!(out, "size={size}");
    string_field(&mut out, "root", &hex::encode(root));
    out
}

/// Signs `texts` (receipt texts, see [`receipt_text_of`]) with ONE signature at `now_ms`; one
/// [`ReceiptSignature`] per text, in the same order. Empty for no texts.
pub fn sign_batch(key: &SigningKey, texts: Vec<String>, now_ms: i64) -> Vec<ReceiptSignature> {
    let leaves: Vec<Hash> = texts
        .iter()
        .map(|t| merkle::leaf_hash(t.as_bytes()))
        .collect();
    let Some((root, paths)) = merkle::root_and_paths(&leaves) else {
        return Vec::new();
    };
    let size = texts.len() as u64;
    let key_id = key.public().id_hex();
    let signed_batch = batch_text(&key_id, now_ms, size, &root);
    let signature = base64_encode(&key.sign(signed_batch.as_bytes()));
    texts
        .into_iter()
        .zip(paths)
        .enumerate()
        .map(|(index, (signed, path))| ReceiptSignature {
            alg: ALGORITHM.to_owned(),
            key_id: key_id.clone(),
            signed,
            signed_at_ms: now_ms,
            batch_size: size,
            leaf_index: index as u64,
            path: path.iter().map(hex::encode).collect(),
            signature: signature.clone(),
        })
        .collect()
}

impl ReceiptSignature {
    /// Checks the signature with whichever of `keys` has its key id.
    pub fn verify(&self, keys: &[PublicKey]) -> Result<(), ReceiptSignatureError> {
        if self.alg != ALGORITHM {
            return Err(ReceiptSignatureError::Algorithm(self.alg.clone()));
        }
        let key = keys
            .iter()
            .find(|k| k.id_hex().eq_ignore_ascii_case(&self.key_id))
            .ok_or_else(|| ReceiptSignatureError::UnknownKey(self.key_id.clone()))?;
        let bad_path = || ReceiptSignatureError::BadPath {
            index: self.leaf_index,
            size: self.batch_size,
        };
        let path: Vec<Hash> = self
            .path
            .iter()
            .map(|h| hex::decode(h).ok().and_then(|b| Hash::try_from(b).ok()))
            .collect::<Option<_>>()
            .ok_or_else(bad_path)?;
        let leaf = merkle::leaf_hash(self.signed.as_bytes());
        let root = merkle::root_from_path(self.leaf_index, self.batch_size, &leaf, &path)
            .ok_or_else(bad_path)?;
        let text = batch_text(&self.key_id, self.signed_at_ms, self.batch_size, &root);
        let signature =
            base64_decode(&self.signature).ok_or(ReceiptSignatureError::BadSignature)?;
        if key.verify(text.as_bytes(), &signature) {
            Ok(())
        } else {
            Err(ReceiptSignatureError::BadSignature)
        }
    }

    /// Checks that the signed text is `record`'s.
    pub fn matches(&self, record: &ConsentRecord) -> Result<(), ReceiptSignatureError> {
        if self.signed == receipt_text(record) {
            Ok(())
        } else {
            Err(ReceiptSignatureError::NotThisRecord(format!(
                "the signed text is not that of record {}",
                record.id
            )))
        }
    }
}

fn string_field(out: &mut String, name: &str, value: &str) {
    let _ = writeln!(out, "{name}={}:{value}", value.len());
}

fn map_field(out: &mut String, name: &str, map: &BTreeMap<String, bool>) {
    let _ = writeln!(out, "{name}={}", map.len());
    for (key, granted) in map {
        let _ = writeln!(out, "{}:{key}={granted}", key.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::GENESIS_HASH;
    use crate::consent::chain::seal;
    use crate::consent::hash::tests::sample;
    use crate::signing::tests::test_key;

    fn batch(first_seq: i64, n: usize) -> Vec<ConsentRecord> {
        let mut prev = GENESIS_HASH.to_owned();
        (0..n)
            .map(|i| {
                let mut record = sample();
                record.id = format!("R{i:025}");
                seal(&mut record, first_seq + i as i64, &prev);
                prev = record.hash.clone();
                record
            })
            .collect()
    }

    #[test]
    fn the_receipt_text_is_exactly_as_documented() {
        let mut record = sample();
        record.hash = "ab".repeat(32);
        let expected = "kapsel-receipt/v1\n\
            id=26:01J0000000000000000000000A\n\
            hash=64:abababababababababababababababababababababababababababababababab\n\
            site=3:www\n\
            revision=2:r1\n\
            language=2:nb\n\
            action=6:custom\n\
            categories=2\n\
            9:analytics=true\n\
            9:marketing=false\n\
            services=1\n\
            3:ga4=true\n\
            gpc=false\n\
            recorded_at_ms=1767225600000\n\
            expires_at_ms=1798761600000\n";
        assert_eq!(receipt_text(&record), expected);
        let root = [0xcd; 32];
        assert_eq!(
            batch_text("0a1b2c3d", 1_769_853_600_000, 3, &root),
            format!(
                "kapsel-receipt-batch/v1\nkey_id=8:0a1b2c3d\nsigned_at_ms=1769853600000\n\
                 size=3\nroot=64:{}\n",
                "cd".repeat(32)
            )
        );
    }

    #[test]
    fn every_receipt_of_a_batch_verifies_and_matches_its_record() {
        let key = test_key();
        let keys = [key.public().clone()];
        for n in [1, 2, 7, 64] {
            let records = batch(10, n);
            let texts = records.iter().map(receipt_text).collect();
            let signatures = sign_batch(&key, texts, 5);
            assert_eq!(signatures.len(), n);
            for (record, signature) in records.iter().zip(&signatures) {
                signature.verify(&keys).unwrap();
                signature.matches(record).unwrap();
            }
            if n > 1 {
                assert!(signatures[0].matches(&records[1]).is_err());
            }
        }
    }

    /// Where the time of signing goes (`cargo test --release -p kapsel-core -- --ignored
    /// --nocapture signing_cost`): one Ed25519 signature, and a batch of 64 receipts.
    #[test]
    #[ignore]
    // Reason: a measurement of elapsed time, not a reading of the time of day.
    #[allow(clippy::disallowed_methods)]
    fn signing_cost() {
        let key = test_key();
        let records = batch(1, 64);
        let texts: Vec<String> = records.iter().map(receipt_text).collect();
        let rounds = 2_000;
        let started = std::time::Instant::now();
        for i in 0..rounds {
            std::hint::black_box(key.sign(texts[i % 64].as_bytes()));
        }
        let one = started.elapsed().as_secs_f64() * 1e6 / rounds as f64;
        let started = std::time::Instant::now();
        for _ in 0..rounds / 20 {
            std::hint::black_box(sign_batch(&key, texts.clone(), 5));
        }
        let per_batch = started.elapsed().as_secs_f64() * 1e6 / (rounds / 20) as f64;
        println!(
            "one Ed25519 signature: {one:.1} µs; a batch of 64: {per_batch:.1} µs \
             ({:.2} µs per receipt)",
            per_batch / 64.0
        );
    }

    #[test]
    fn an_altered_receipt_or_batch_does_not_verify() {
        let key = test_key();
        let keys = [key.public().clone()];
        let records = batch(1, 5);
        let good = sign_batch(&key, records.iter().map(receipt_text).collect(), 5).remove(2);
        let mut altered = good.clone();
        altered.signed = altered
            .signed
            .replace("9:marketing=false", "9:marketing=true");
        assert_eq!(
            altered.verify(&keys),
            Err(ReceiptSignatureError::BadSignature)
        );
        let mut moved = good.clone();
        moved.signed_at_ms += 1;
        assert_eq!(
            moved.verify(&keys),
            Err(ReceiptSignatureError::BadSignature)
        );
        let mut short = good.clone();
        short.path.pop();
        assert!(matches!(
            short.verify(&keys),
            Err(ReceiptSignatureError::BadPath { .. })
        ));
        let other = crate::signing::SigningKey::from_seed("kapsel.test", [3; 32]).unwrap();
        assert!(matches!(
            good.verify(&[other.public().clone()]),
            Err(ReceiptSignatureError::UnknownKey(_))
        ));
    }
}
