//! Time-based one-time passwords (RFC 6238, HMAC-SHA-1, 6 digits, 30-second steps), the second
//! factor authenticator apps speak: a secret of 20 random bytes, shown once as RFC 4648 base32
//! and an `otpauth://` URI; a code is accepted for the current step and one step either side
//! (clock drift), and never for a step at or before the last one accepted, so an observed code
//! cannot be replayed.

use ring::hmac;

use crate::{Millis, Random};

pub const DIGITS: u32 = 6;
pub const STEP_MS: Millis = 30_000;
/// Steps accepted on either side of the current one.
pub const DRIFT_STEPS: i64 = 1;
const SECRET_BYTES: usize = 20;

/// A new secret from `random`.
pub fn new_secret(random: &dyn Random) -> Vec<u8> {
    let mut secret = vec![0u8; SECRET_BYTES];
    random.fill(&mut secret);
    secret
}

/// The time step of instant `at_ms`.
pub fn step_of(at_ms: Millis) -> i64 {
    at_ms.div_euclid(STEP_MS)
}

/// The code for `step` (RFC 4226's HOTP with the step as counter).
pub fn code(secret: &[u8], step: i64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let counter = u64::try_from(step).unwrap_or(0).to_be_bytes();
    let tag = hmac::sign(&key, &counter);
    let mac = tag.as_ref();
    let offset = usize::from(mac.last().copied().unwrap_or(0) & 0x0f);
    let word: [u8; 4] = mac
        .get(offset..offset + 4)
        .and_then(|w| w.try_into().ok())
        .unwrap_or([0; 4]);
    let number = u32::from_be_bytes(word) & 0x7fff_ffff;
    format!(
        "{:0width$}",
        number % 10u32.pow(DIGITS),
        width = DIGITS as usize
    )
}

/// The step `candidate` is the code of, within the drift window around `now_ms` and after
/// `last_used` (the step of the last code accepted for this secret); `None` otherwise.
/// The caller stores the returned step as the new `last_used`.
pub fn verify(
    secret: &[u8],
    candidate: &str,
    now_ms: Millis,
    last_used: Option<i64>,
) -> Option<i64> {
    let candidate = candidate.trim();
    if candidate.len() != DIGITS as usize || !candidate.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_of(now_ms);
    (now - DRIFT_STEPS..=now + DRIFT_STEPS)
        .filter(|step| last_used.is_none_or(|last| *step > last))
        .find(|step| constant_time_eq(code(secret, *step).as_bytes(), candidate.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// RFC 4648 base32 without padding, as authenticator apps take secrets.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let letter = |index: u32| {
        ALPHABET
            .get(index as usize & 31)
            .map_or('A', |b| char::from(*b))
    };
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(*byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(letter(buffer >> bits));
        }
    }
    if bits > 0 {
        out.push(letter(buffer << (5 - bits)));
    }
    out
}

/// The `otpauth://` URI an authenticator app scans: issuer and account percent-encoded.
pub fn otpauth_uri(secret: &[u8], issuer: &str, account: &str) -> String {
    let enc = |text: &str| {
        text.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={}",
        enc(issuer),
        enc(account),
        base32(secret),
        enc(issuer),
        STEP_MS / 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 secret is the ASCII "12345678901234567890"; the vectors
    /// are 8 digits, whose last 6 are the 6-digit codes.
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn codes_match_rfc_6238_appendix_b() {
        let vectors = [
            (59_i64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        for (seconds, eight) in vectors {
            let step = step_of(seconds * 1000);
            assert_eq!(code(RFC_SECRET, step), eight[2..], "T = {seconds}");
        }
    }

    #[test]
    fn verify_allows_one_step_of_drift_and_never_a_replay() {
        let now = 1_234_567_890_000;
        let step = step_of(now);
        let current = code(RFC_SECRET, step);
        assert_eq!(verify(RFC_SECRET, &current, now, None), Some(step));
        assert_eq!(
            verify(RFC_SECRET, &current, now, Some(step)),
            None,
            "replayed"
        );
        let previous = code(RFC_SECRET, step - 1);
        assert_eq!(
            verify(RFC_SECRET, &previous, now, Some(step - 2)),
            Some(step - 1)
        );
        let old = code(RFC_SECRET, step - 2);
        assert_eq!(verify(RFC_SECRET, &old, now, None), None, "two steps late");
        assert_eq!(verify(RFC_SECRET, "12345", now, None), None);
        assert_eq!(verify(RFC_SECRET, "12345a", now, None), None);
    }

    #[test]
    fn secrets_are_shown_as_rfc_4648_base32() {
        // RFC 4648, section 10.
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"fooba"), "MZXW6YTB");
        assert_eq!(base32(b"f"), "MY");
        let uri = otpauth_uri(RFC_SECRET, "Kapsel Example AS", "kari@example.no");
        assert!(uri.starts_with("otpauth://totp/Kapsel%20Example%20AS:kari%40example.no?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&"), "{uri}");
        assert!(uri.ends_with("&digits=6&period=30"), "{uri}");
    }
}
