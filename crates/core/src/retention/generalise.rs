//! What an anonymised value becomes: each function maps a value as the database gave it (as
//! text) to its replacement, or `None` for SQL NULL. Each is idempotent, so a batch repeated
//! after a crash changes nothing it already changed, and a value that is already what it would
//! become is reported as unchanged.

use std::net::IpAddr;

use crate::privacy::Anonymise;

/// The replacement for `value` under `how`; `keyed_hash` is given the function that hashes (it
/// needs the desk's key, which core never holds). Values that are not what the method expects
/// (an IP column holding "unknown") become NULL: anonymisation never keeps what it cannot
/// generalise.
pub fn generalise(
    how: Anonymise,
    value: Option<&str>,
    keyed_hash: &dyn Fn(&str) -> String,
) -> Option<String> {
    let value = value?;
    match how {
        Anonymise::Null => None,
        Anonymise::KeyedHash if is_keyed_hash(value) => Some(value.to_owned()),
        Anonymise::KeyedHash => Some(keyed_hash(value)),
        Anonymise::Year => year_start(value),
        Anonymise::PostcodePrefix => {
            let trimmed = value.trim();
            Some(trimmed.chars().take(2).collect())
        }
        Anonymise::IpPrefix => ip_prefix(value),
    }
}

/// Whether a value already is a keyed hash (64 lower-case hex digits).
pub fn is_keyed_hash(value: &str) -> bool {
    value.len() == 64
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `2023-05-17`, `2023-05-17 08:30:00+02` or `2023-05-17T08:30:00Z` → `2023-01-01` in the same
/// shape (the time of day, when there is one, becomes midnight and keeps its zone).
fn year_start(value: &str) -> Option<String> {
    let value = value.trim();
    let bytes = value.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|b| b.iter().all(u8::is_ascii_digit))
    };
    if !(digits(0..4) && bytes.get(4) == Some(&b'-') && digits(5..7) && digits(8..10)) {
        return None;
    }
    let year = value.get(..4)?;
    let rest = value.get(10..).unwrap_or_default();
    if rest.is_empty() {
        return Some(format!("{year}-01-01"));
    }
    let separator = rest.chars().next()?;
    let zone: String = rest
        .get(1..)?
        .chars()
        .skip_while(|c| c.is_ascii_digit() || *c == ':' || *c == '.')
        .collect();
    Some(format!("{year}-01-01{separator}00:00:00{zone}"))
}

/// `192.0.2.77` → `192.0.2.0`, `2001:db8:85a3::8a2e:370:7334` → `2001:db8:85a3::`.
fn ip_prefix(value: &str) -> Option<String> {
    let trimmed = value.trim();
    // PostgreSQL's inet text carries a prefix length (`192.0.2.77/32`), kept as it was so the
    // value reads back the same.
    let (address, length) = trimmed.split_once('/').unwrap_or((trimmed, ""));
    let suffix = if length.is_empty() {
        String::new()
    } else {
        format!("/{length}")
    };
    let network = match address.parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            std::net::Ipv4Addr::new(a, b, c, 0).to_string()
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let kept = [s[0], s[1], s[2], 0, 0, 0, 0, 0];
            std::net::Ipv6Addr::from(kept).to_string()
        }
    };
    Some(format!("{network}{suffix}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(value: &str) -> String {
        format!("{:0>64}", value.len())
    }

    fn each(how: Anonymise, value: &str) -> Option<String> {
        generalise(how, Some(value), &hash)
    }

    #[test]
    fn each_method_generalises_as_documented() {
        assert_eq!(each(Anonymise::Null, "Kari"), None);
        assert_eq!(
            each(Anonymise::Year, "2023-05-17"),
            Some("2023-01-01".into())
        );
        assert_eq!(
            each(Anonymise::Year, "2023-05-17 08:30:00.123+02"),
            Some("2023-01-01 00:00:00+02".into())
        );
        assert_eq!(
            each(Anonymise::Year, "2023-05-17T08:30:00Z"),
            Some("2023-01-01T00:00:00Z".into())
        );
        assert_eq!(each(Anonymise::Year, "last spring"), None);
        assert_eq!(each(Anonymise::PostcodePrefix, " 7010 "), Some("70".into()));
        assert_eq!(
            each(Anonymise::IpPrefix, "192.0.2.77"),
            Some("192.0.2.0".into())
        );
        assert_eq!(
            each(Anonymise::IpPrefix, "192.0.2.77/32"),
            Some("192.0.2.0/32".into())
        );
        assert_eq!(
            each(Anonymise::IpPrefix, "2001:db8:85a3::8a2e:370:7334"),
            Some("2001:db8:85a3::".into())
        );
        assert_eq!(each(Anonymise::IpPrefix, "unknown"), None);
        assert_eq!(
            each(Anonymise::KeyedHash, "kari@example.no"),
            Some(hash("kari@example.no"))
        );
        assert_eq!(generalise(Anonymise::Year, None, &hash), None);
    }

    #[test]
    fn applying_a_method_twice_changes_nothing_more() {
        let values = [
            "2023-05-17 08:30:00+02",
            "2023-05-17",
            "7010",
            "192.0.2.77",
            "2001:db8::1",
            "kari@example.no",
        ];
        for how in [
            Anonymise::Null,
            Anonymise::KeyedHash,
            Anonymise::Year,
            Anonymise::PostcodePrefix,
            Anonymise::IpPrefix,
        ] {
            for value in values {
                let once = generalise(how, Some(value), &hash);
                let twice = generalise(how, once.as_deref(), &hash);
                assert_eq!(once, twice, "{how:?} on {value}");
            }
        }
    }
}
