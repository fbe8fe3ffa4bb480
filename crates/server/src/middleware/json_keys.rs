//! Duplicate keys in a JSON document: serde_json keeps the last of `{"action": "reject_all",
//! "action": "accept_all"}` silently, so what one reader sees is not what another does. One pass
//! of a serde visitor that keeps no values finds the first duplicate and names its dotted path.

use std::collections::HashSet;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The dotted path (`categories.analytics`) of the first key that appears twice in one object,
/// or `None` when there is none or `body` is not JSON (the schema reports that).
pub fn first_duplicate_key(body: &[u8]) -> Option<String> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    (Scan {
        path: String::new(),
    })
    .deserialize(&mut deserializer)
    .unwrap_or_default()
}

/// Scans one value at `path`; yields the first duplicate found inside it.
struct Scan {
    path: String,
}

impl Scan {
    fn child(&self, key: &str) -> Scan {
        let path = if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        };
        Scan { path }
    }
}

impl<'de> DeserializeSeed<'de> for Scan {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Scan {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Self::Value, A::Error> {
        let mut index = 0usize;
        let mut found = None;
        while found.is_none() {
            match items.next_element_seed(self.child(&index.to_string()))? {
                Some(inner) => found = inner,
                None => return Ok(None),
            }
            index += 1;
        }
        while items.next_element::<IgnoredAny>()?.is_some() {}
        Ok(found)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<Self::Value, A::Error> {
        let mut seen = HashSet::new();
        let mut found = None;
        while let Some(key) = entries.next_key::<String>()? {
            if found.is_some() {
                entries.next_value::<IgnoredAny>()?;
                continue;
            }
            let scan = self.child(&key);
            if !seen.insert(key) {
                entries.next_value::<IgnoredAny>()?;
                found = Some(scan.path);
                continue;
            }
            found = entries.next_value_seed(scan)?;
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_duplicate_is_named_by_its_path() {
        let dup = |text: &str| first_duplicate_key(text.as_bytes());
        assert_eq!(dup(r#"{"a":1,"b":2}"#), None);
        assert_eq!(
            dup(r#"{"action":"x","action":"y"}"#).as_deref(),
            Some("action")
        );
        assert_eq!(
            dup(r#"{"categories":{"analytics":true,"analytics":false}}"#).as_deref(),
            Some("categories.analytics")
        );
        assert_eq!(dup(r#"[{"a":1},{"b":1,"b":2}]"#).as_deref(), Some("1.b"));
        // The same key in different objects is fine; escapes are compared decoded.
        assert_eq!(dup(r#"{"a":{"x":1},"b":{"x":1}}"#), None);
        assert_eq!(dup(r#"{"site":1,"sit\u0065":2}"#).as_deref(), Some("site"));
        assert_eq!(dup("not json"), None);
    }
}
