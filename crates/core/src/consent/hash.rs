//! The canonical, versioned encoding of a consent record and its SHA-256. `docs/ledger.md`
//! describes the same encoding so an auditor can re-implement it without our code.
//!
//! Encoding `kapsel-consent-record/v1`: the version line, then one line per field in a fixed
//! order, `name=value\n`. Strings are `<byte length>:<UTF-8 bytes>`, so no content can be
//! mistaken for structure; integers are decimal; booleans `true`/`false`; an absent optional
//! string is `none` (a present one always starts with a digit). Maps are `name=<count>` followed by
//! one line per entry in byte order of the key: `<key string>=<bool>`.

use sha2::{Digest, Sha256};

use super::ConsentRecord;
use crate::canonical::CanonicalText;

/// The first line of every encoded record. Bump the version when the encoding changes.
pub const ENCODING_VERSION: &str = "kapsel-consent-record/v1";

/// The canonical bytes of every field except `hash`.
pub fn canonical_encoding(record: &ConsentRecord) -> String {
    let choice = &record.choice;
    let context = &record.context;
    let mut text = CanonicalText::new(ENCODING_VERSION);
    text.str("id", &record.id)
        .str("chain_id", &record.chain_id)
        .int("seq", record.seq)
        .int("recorded_at_ms", record.recorded_at_ms)
        .int("expires_at_ms", record.expires_at_ms)
        .str("site", &choice.site)
        .str("revision", &choice.revision)
        .str("language", choice.language.as_str())
        .str("action", choice.action.as_str())
        .bool_map("categories", &choice.categories)
        .bool_map("services", &choice.services)
        .opt("previous_receipt", choice.previous_receipt.as_deref())
        .bool("gpc", choice.gpc)
        .opt("ip_prefix", context.ip_prefix.as_deref())
        .str("ua_family", &context.ua_family)
        .str("prev_hash", &record.prev_hash);
    text.into_string()
}

/// SHA-256 of [`canonical_encoding`], lower-case hex.
pub fn record_hash(record: &ConsentRecord) -> String {
    hex::encode(Sha256::digest(canonical_encoding(record).as_bytes()))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::consent::{ConsentAction, ConsentChoice, GENESIS_HASH, RecordContext};
    use crate::text::Lang;

    pub(crate) fn sample() -> ConsentRecord {
        let mut record = ConsentRecord {
            id: "01J0000000000000000000000A".into(),
            chain_id: "chain-a".into(),
            seq: 1,
            recorded_at_ms: 1_767_225_600_000,
            expires_at_ms: 1_798_761_600_000,
            choice: ConsentChoice {
                site: "www".into(),
                revision: "r1".into(),
                language: Lang::new("nb"),
                action: ConsentAction::Custom,
                categories: [
                    ("analytics".to_string(), true),
                    ("marketing".to_string(), false),
                ]
                .into(),
                services: [("ga4".to_string(), true)].into(),
                previous_receipt: None,
                gpc: false,
            },
            context: RecordContext {
                ip_prefix: Some("192.0.2.0/24".into()),
                ua_family: "Firefox".into(),
            },
            prev_hash: GENESIS_HASH.into(),
            hash: String::new(),
        };
        record.hash = record.compute_hash();
        record
    }

    #[test]
    fn encoding_is_exactly_as_documented() {
        let expected = "kapsel-consent-record/v1\n\
            id=26:01J0000000000000000000000A\n\
            chain_id=7:chain-a\n\
            seq=1\n\
            recorded_at_ms=1767225600000\n\
            expires_at_ms=1798761600000\n\
            site=3:www\n\
            revision=2:r1\n\
            language=2:nb\n\
            action=6:custom\n\
            categories=2\n\
            9:analytics=true\n\
            9:marketing=false\n\
            services=1\n\
            3:ga4=true\n\
            previous_receipt=none\n\
            gpc=false\n\
            ip_prefix=12:192.0.2.0/24\n\
            ua_family=7:Firefox\n\
            prev_hash=64:0000000000000000000000000000000000000000000000000000000000000000\n";
        assert_eq!(canonical_encoding(&sample()), expected);
    }

    #[test]
    fn hash_ignores_the_hash_field_and_covers_every_other_field() {
        let base = sample();
        let mut same = base.clone();
        same.hash = "anything".into();
        assert_eq!(same.compute_hash(), base.hash);

        type Edit = Box<dyn Fn(&mut ConsentRecord)>;
        let edits: Vec<Edit> = vec![
            Box::new(|r| r.id.push('x')),
            Box::new(|r| r.chain_id.push('x')),
            Box::new(|r| r.seq += 1),
            Box::new(|r| r.recorded_at_ms += 1),
            Box::new(|r| r.expires_at_ms += 1),
            Box::new(|r| r.choice.site.push('x')),
            Box::new(|r| r.choice.revision.push('x')),
            Box::new(|r| r.choice.language = Lang::new("en")),
            Box::new(|r| r.choice.action = ConsentAction::AcceptAll),
            Box::new(|r| {
                r.choice.categories.insert("marketing".into(), true);
            }),
            Box::new(|r| {
                r.choice.services.insert("meta".into(), false);
            }),
            Box::new(|r| r.choice.previous_receipt = Some(String::new())),
            Box::new(|r| r.choice.gpc = true),
            Box::new(|r| r.context.ip_prefix = None),
            Box::new(|r| r.context.ua_family = "Chrome".into()),
            Box::new(|r| r.prev_hash = "1".repeat(64)),
        ];
        for (n, edit) in edits.iter().enumerate() {
            let mut changed = base.clone();
            edit(&mut changed);
            assert_ne!(
                changed.compute_hash(),
                base.hash,
                "edit {n} did not change the hash"
            );
        }
    }

    proptest::proptest! {
        /// The encoding is unambiguous: two records encode alike exactly when they are equal,
        /// whatever the strings contain (separators, newlines, digits, non-ASCII).
        #[test]
        fn equal_encodings_mean_equal_records(
            a in proptest::collection::btree_map(".{0,6}", proptest::bool::ANY, 0..4),
            b in proptest::collection::btree_map(".{0,6}", proptest::bool::ANY, 0..4),
            site_a in ".{0,8}",
            site_b in ".{0,8}",
            previous in proptest::option::of(".{0,6}"),
        ) {
            let mut first = sample();
            first.choice.categories = a;
            first.choice.site = site_a;
            let mut second = sample();
            second.choice.categories = b;
            second.choice.site = site_b;
            second.choice.previous_receipt = previous;
            proptest::prop_assert_eq!(
                canonical_encoding(&first) == canonical_encoding(&second),
                first.choice == second.choice
            );
        }
    }

    #[test]
    fn strings_cannot_shift_into_neighbouring_fields() {
        let mut a = sample();
        a.choice.categories = [("a=true\n1:b".to_string(), true)].into();
        let mut b = sample();
        b.choice.categories = [("a".to_string(), true), ("b".to_string(), true)].into();
        assert_ne!(a.compute_hash(), b.compute_hash());
    }
}
