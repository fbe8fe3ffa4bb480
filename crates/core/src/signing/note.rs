//! Signed notes (C2SP signed-note) and the checkpoints written in them (C2SP tlog-checkpoint),
//! so that outsiders can keep and check a chain's head with tools they already have.
//!
//! A note is text (non-empty lines, each ended by `\n`), a blank line, and signature lines
//! `— <key name> <base64(key id || Ed25519 signature of the text)>` (an em dash, U+2014). A
//! checkpoint's text is the origin, the tree size and the base64 root hash, one per line; ours
//! adds one extension line, `time-ms <ms since 1970>`, the time it was signed.
//!
//! DEVIATION, honestly: Kapsel's chain is a hash chain, not a Merkle tree, so the "root hash" of
//! a Kapsel checkpoint is the chain's HEAD hash (the `hash` of record `size`), and tools that
//! compute RFC 6962 inclusion or consistency proofs against it will not work. The format, the
//! key ids and the signatures are standard; only the meaning of line 3 differs.

use super::{PublicKey, SigningKey, base64_decode, base64_encode, valid_name};

/// The prefix of every signature line: an em dash and a space.
const SIGNATURE_PREFIX: &str = "\u{2014} ";
/// The extension line carrying the signing time.
const TIME_PREFIX: &str = "time-ms ";

/// Why a note or checkpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("not a signed note: {0}")]
    Malformed(String),
    #[error("not a checkpoint: {0}")]
    NotACheckpoint(String),
    #[error("no signature by a known key (signed by: {0})")]
    NoKnownSignature(String),
    #[error("the signature of key {0} does not verify: the note was altered")]
    BadSignature(String),
}

/// One chain's head at a point in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    /// How many records the chain holds (the seq of its head).
    pub size: u64,
    /// The head record's hash (raw 32 bytes).
    pub head: [u8; 32],
    /// When the checkpoint was signed, ms since 1970.
    pub time_ms: i64,
}

/// The origin line of chain `chain_id` under key name `name`: `<name>/ledger/<chain_id>`,
/// with every byte of the chain id outside `A-Z a-z 0-9 - . _ ~` percent-encoded.
pub fn chain_origin(name: &str, chain_id: &str) -> String {
    let mut origin = format!("{name}/ledger/");
    for byte in chain_id.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            origin.push(char::from(byte));
        } else {
            origin.push_str(&format!("%{byte:02X}"));
        }
    }
    origin
}

/// The chain a checkpoint origin `<name>/ledger/<chain, percent-encoded>` names.
pub fn chain_of_origin(origin: &str) -> Option<String> {
    let (_, encoded) = origin.rsplit_once("/ledger/")?;
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if byte == b'%' {
            let hex = encoded.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(byte);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl Checkpoint {
    /// The note text.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n{TIME_PREFIX}{}\n",
            self.origin,
            self.size,
            base64_encode(&self.head),
            self.time_ms
        )
    }

    /// Reads a checkpoint's note text (not yet its signatures).
    pub fn parse_body(body: &str) -> Result<Checkpoint, NoteError> {
        let bad = |what: &str| NoteError::NotACheckpoint(what.to_owned());
        let mut lines = body
            .strip_suffix('\n')
            .ok_or_else(|| bad("the text does not end with a newline"))?
            .split('\n');
        let origin = lines
            .next()
            .filter(|o| !o.is_empty())
            .ok_or_else(|| bad("no origin"))?;
        let size = lines.next().ok_or_else(|| bad("no tree size"))?;
        let size_ok = !size.is_empty()
            && size.bytes().all(|b| b.is_ascii_digit())
            && (size == "0" || !size.starts_with('0'));
        let size: u64 = size
            .parse()
            .ok()
            .filter(|_| size_ok)
            .ok_or_else(|| bad("the tree size is not a decimal number"))?;
        let head = lines
            .next()
            .and_then(base64_decode)
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .ok_or_else(|| bad("line 3 is not the base64 of a 32-byte hash"))?;
        let mut time_ms = None;
        for line in lines {
            if line.is_empty() {
                return Err(bad("an empty extension line"));
            }
            if let Some(ms) = line.strip_prefix(TIME_PREFIX) {
                time_ms = ms.parse().ok();
            }
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            head,
            time_ms: time_ms.ok_or_else(|| bad("no time-ms line"))?,
        })
    }

    /// The head as 64 lower-case hex digits, as the ledger writes hashes.
    pub fn head_hex(&self) -> String {
        hex::encode(self.head)
    }

    /// The signed note of this checkpoint.
    pub fn sign(&self, key: &SigningKey) -> String {
        sign_note(&self.body(), key)
    }
}

/// `body` followed by a blank line and `key`'s signature line.
pub fn sign_note(body: &str, key: &SigningKey) -> String {
    let public = key.public();
    let mut blob = public.id.to_vec();
    blob.extend_from_slice(&key.sign(body.as_bytes()));
    format!(
        "{body}\n{SIGNATURE_PREFIX}{} {}\n",
        public.name,
        base64_encode(&blob)
    )
}

/// A signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub key_id: [u8; 4],
    pub signature: Vec<u8>,
}

/// Splits a note into its text and signature lines (not yet verified).
pub fn split_note(note: &str) -> Result<(&str, Vec<NoteSignature>), NoteError> {
    let bad = |what: &str| NoteError::Malformed(what.to_owned());
    let split = note
        .rfind("\n\n")
        .ok_or_else(|| bad("no blank line before the signatures"))?;
    let (body, signatures) = note.split_at(split + 1);
    let signatures = signatures.strip_prefix('\n').unwrap_or(signatures);
    if body.contains("\n\n") {
        return Err(bad("a blank line inside the text"));
    }
    let lines = signatures
        .strip_suffix('\n')
        .ok_or_else(|| bad("the last signature line has no newline"))?;
    let mut out = Vec::new();
    for line in lines.split('\n') {
        let rest = line
            .strip_prefix(SIGNATURE_PREFIX)
            .ok_or_else(|| bad("a signature line does not start with an em dash"))?;
        let (name, blob) = rest
            .split_once(' ')
            .ok_or_else(|| bad("a signature line has no key name"))?;
        let blob = base64_decode(blob).ok_or_else(|| bad("a signature is not base64"))?;
        if !valid_name(name) || blob.len() < 5 {
            return Err(bad("a signature line is malformed"));
        }
        let (id, signature) = blob.split_at(4);
        let mut key_id = [0u8; 4];
        key_id.copy_from_slice(id);
        out.push(NoteSignature {
            name: name.to_owned(),
            key_id,
            signature: signature.to_vec(),
        });
    }
    Ok((body, out))
}

/// Verifies `note` with `keys`: it must carry a signature by one of them, and every signature
/// by a known key must verify. Returns the text and the key that signed it.
pub fn open_note<'a>(
    note: &'a str,
    keys: &'a [PublicKey],
) -> Result<(&'a str, &'a PublicKey), NoteError> {
    let (body, signatures) = split_note(note)?;
    let mut verified = None;
    for signature in &signatures {
        let Some(key) = keys
            .iter()
            .find(|k| k.name == signature.name && k.id == signature.key_id)
        else {
            continue;
        };
        if !key.verify(body.as_bytes(), &signature.signature) {
            return Err(NoteError::BadSignature(key.id_hex()));
        }
        verified.get_or_insert(key);
    }
    verified.map(|key| (body, key)).ok_or_else(|| {
        let names: Vec<String> = signatures
            .iter()
            .map(|s| format!("{} {}", s.name, hex::encode(s.key_id)))
            .collect();
        NoteError::NoKnownSignature(names.join(", "))
    })
}

/// Verifies a checkpoint note with `keys` and reads it.
pub fn open_checkpoint(
    note: &str,
    keys: &[PublicKey],
) -> Result<(Checkpoint, PublicKey), NoteError> {
    let (body, key) = open_note(note, keys)?;
    Ok((Checkpoint::parse_body(body)?, key.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::tests::test_key;

    fn checkpoint() -> Checkpoint {
        Checkpoint {
            origin: chain_origin("kapsel.test", "chain-a"),
            size: 5,
            head: [0xab; 32],
            time_ms: 1_769_853_600_000,
        }
    }

    #[test]
    fn a_checkpoint_note_is_exactly_the_c2sp_layout() {
        let key = test_key();
        let note = checkpoint().sign(&key);
        let expected_body = format!(
            "kapsel.test/ledger/chain-a\n5\n{}\ntime-ms 1769853600000\n",
            base64_encode(&[0xab; 32])
        );
        assert!(
            note.starts_with(&format!("{expected_body}\n\u{2014} kapsel.test ")),
            "{note}"
        );
        assert!(note.ends_with('\n'));
        let (body, signatures) = split_note(&note).unwrap();
        assert_eq!(body, expected_body);
        assert_eq!(signatures.len(), 1);
        assert_eq!(signatures[0].key_id, key.public().id);
        assert_eq!(signatures[0].signature.len(), 64);
        let (read, by) = open_checkpoint(&note, &[key.public().clone()]).unwrap();
        assert_eq!((read, by), (checkpoint(), key.public().clone()));
    }

    #[test]
    fn an_altered_or_foreign_checkpoint_is_refused() {
        let key = test_key();
        let keys = [key.public().clone()];
        let note = checkpoint().sign(&key);
        let altered = note.replacen("\n5\n", "\n4\n", 1);
        assert!(matches!(
            open_checkpoint(&altered, &keys),
            Err(NoteError::BadSignature(_))
        ));
        let other = SigningKey::from_seed("kapsel.other", [5; 32]).unwrap();
        assert!(matches!(
            open_checkpoint(&note, &[other.public().clone()]),
            Err(NoteError::NoKnownSignature(_))
        ));
        assert!(open_checkpoint("kapsel\n1\n", &keys).is_err());
    }

    #[test]
    fn chain_ids_are_escaped_in_the_origin() {
        assert_eq!(chain_origin("k", "i-00ff"), "k/ledger/i-00ff");
        assert_eq!(chain_origin("k", "a b/c"), "k/ledger/a%20b%2Fc");
    }

    #[test]
    fn tree_sizes_are_strict_decimals() {
        let head = base64_encode(&[1; 32]);
        for bad in ["05", "-1", "", "1.0"] {
            let body = format!("o\n{bad}\n{head}\ntime-ms 1\n");
            assert!(Checkpoint::parse_body(&body).is_err(), "{bad:?}");
        }
    }
}
