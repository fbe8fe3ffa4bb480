//! The keys each table of the privacy file accepts, read from the model's own serde derives, so
//! that an unknown key can be answered with "did you mean `name`?" without a second list to
//! keep in sync.

use serde::Deserialize;
use serde::de::{self, Visitor};

use super::locate::{FieldPath, Step};
use super::model::{
    Activity, Authority, Category, ConsentSettings, Cookie, CookieAcknowledge, DatasetSpec,
    Destination, Dpo, FieldSpec, GateFacts, Identifier, Notice, NoticeSection, Organisation,
    PrivacyFile, Processor, Provider, Relation, RetentionRule, Service, ServiceAcknowledge, Site,
    SiteLinks, TableSpec, Transfer,
};

/// The keys accepted by the table at `table` (the path of the table, not of the unknown key).
pub fn keys_of(table: &FieldPath) -> &'static [&'static str] {
    let shape: Vec<&str> = table
        .0
        .iter()
        .map(|step| match step {
            Step::Key(key) => key.as_str(),
            Step::Index(_) => "[]",
        })
        .collect();
    match shape.as_slice() {
        [] => fields::<PrivacyFile>(),
        ["organisation"] => fields::<Organisation>(),
        ["organisation", "dpo"] => fields::<Dpo>(),
        ["organisation", "authority"] => fields::<Authority>(),
        ["consent"] => fields::<ConsentSettings>(),
        ["sites", "[]"] => fields::<Site>(),
        ["sites", "[]", "links"] => fields::<SiteLinks>(),
        ["categories", "[]"] => fields::<Category>(),
        ["services", "[]"] => fields::<Service>(),
        ["services", "[]", "provider"] => fields::<Provider>(),
        ["services", "[]", "transfers", "[]"] | ["activities", "[]", "transfers", "[]"] => {
            fields::<Transfer>()
        }
        ["services", "[]", "cookies", "[]"] => fields::<Cookie>(),
        ["services", "[]", "acknowledge"] => fields::<ServiceAcknowledge>(),
        ["services", "[]", "cookies", "[]", "acknowledge"] => fields::<CookieAcknowledge>(),
        ["activities", "[]"] => fields::<Activity>(),
        ["activities", "[]", "processors", "[]"] => fields::<Processor>(),
        ["identifiers", "[]"] => fields::<Identifier>(),
        ["datasets", "[]"] => fields::<DatasetSpec>(),
        ["datasets", "[]", "tables", "[]"] => fields::<TableSpec>(),
        ["datasets", "[]", "tables", "[]", "belongs_to", "[]"] => fields::<Relation>(),
        ["datasets", "[]", "tables", "[]", "fields", _] => fields::<FieldSpec>(),
        ["retention", "[]"] => fields::<RetentionRule>(),
        ["destinations", "[]"] => fields::<Destination>(),
        ["gate"] => fields::<GateFacts>(),
        ["notice"] => fields::<Notice>(),
        ["notice", "sections", "[]"] => fields::<NoticeSection>(),
        _ => &[],
    }
}

/// The accepted key closest to `unknown`, when it is close enough to be a typo.
pub fn suggestion<'a>(unknown: &str, known: &[&'a str]) -> Option<&'a str> {
    let limit = (unknown.chars().count() / 3).max(1);
    known
        .iter()
        .map(|candidate| (edit_distance(unknown, candidate), *candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let deletion = previous.get(j + 1).copied().unwrap_or(0) + 1;
            let insertion = current.get(j).copied().unwrap_or(0) + 1;
            current.push(substitution.min(deletion).min(insertion));
        }
        previous = current;
    }
    previous.last().copied().unwrap_or(0)
}

/// The field names a derived `Deserialize` asks for, captured by a deserializer that answers
/// nothing else.
fn fields<T: Deserialize<'static>>() -> &'static [&'static str] {
    let mut captured: &'static [&'static str] = &[];
    let _ = T::deserialize(FieldCapture {
        captured: &mut captured,
    });
    captured
}

struct FieldCapture<'a> {
    captured: &'a mut &'static [&'static str],
}

#[derive(Debug)]
struct Captured;

impl std::fmt::Display for Captured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("field names captured")
    }
}
impl std::error::Error for Captured {}
impl de::Error for Captured {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Captured
    }
}

impl<'de> de::Deserializer<'de> for FieldCapture<'_> {
    type Error = Captured;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Captured> {
        Err(Captured)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Captured> {
        *self.captured = fields;
        Err(Captured)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_the_model() {
        let cookie = FieldPath::root()
            .key("services")
            .index(0)
            .key("cookies")
            .index(2);
        assert!(keys_of(&cookie).contains(&"duration"));
        assert!(keys_of(&FieldPath::root()).contains(&"languages"));
        assert!(keys_of(&FieldPath::root().key("nowhere")).is_empty());
    }

    #[test]
    fn typos_get_a_suggestion_and_nonsense_does_not() {
        let known = keys_of(&FieldPath::root().key("services").index(0));
        assert_eq!(suggestion("purpos", known), Some("purpose"));
        assert_eq!(suggestion("catgory", known), Some("category"));
        assert_eq!(suggestion("colour", known), None);
    }
}
