//! The signature Kapsel puts on every webhook it calls (the desk's connectors, the gate's webhook
//! destination): `X-Kapsel-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`
//! beside `X-Kapsel-Timestamp: <unix ms>`. A receiver recomputes it with the shared secret and
//! refuses old timestamps, so a captured request cannot be replayed later.

use ring::hmac;

/// The `X-Kapsel-Signature` value for `body` sent at `timestamp_ms`.
pub fn signature(secret: &[u8], timestamp_ms: i64, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let mut signed = format!("{timestamp_ms}.").into_bytes();
    signed.extend_from_slice(body);
    format!("sha256={}", hex::encode(hmac::sign(&key, &signed).as_ref()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn matches_an_independent_hmac() {
        // HMAC-SHA256("key", "1.{}") computed with Python's hmac module.
        assert_eq!(
            super::signature(b"key", 1, b"{}"),
            "sha256=1ba6b8171186efc613e8bcc0cbdab2748f24984d7c5a84faa2637afa0e40d224"
        );
    }
}
