//! Meta Conversions API: `POST {url}/{pixel_id}/events?access_token=…` with
//! `{"data": [{"event_name", "event_time", "event_id", "action_source": "website",
//! "event_source_url", "user_data", "custom_data"}]}`.
//!
//! The API has no consent field, so `validate_destinations` requires a marketing category of
//! every Meta destination and the gate sends nothing without it. Customer information is
//! normalised and SHA-256-hashed per Meta's "customer information parameters": e-mail trimmed
//! and lower-cased; phone digits only, without leading zeros; names lower-case without
//! punctuation; city lower-case without spaces or punctuation; state and country two lower-case
//! letters; postcode lower-case without spaces or dashes; gender `f`/`m`; birthday `YYYYMMDD`;
//! `external_id` (the `userId`) hashed as well. Only fields the allow-list kept are read
//! (`traits.*` or `context.traits.*`). `client_ip_address` is never sent: the gate stores only
//! the address's prefix, which is not an address. `client_user_agent` is the user-agent family
//! the edge kept. `event_id` is the idempotency key, on which Meta deduplicates.

use kapsel_core::Millis;
use kapsel_core::gate::MessageType;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::{Adapter, Outgoing, Ready, event_ms, field, json_bytes, query_value, text};

pub const ENDPOINT: &str = "https://graph.facebook.com/v21.0";
/// Events per request (Meta takes up to 1,000).
const BATCH: usize = 100;

/// Segment's spec events and Meta's standard events.
const STANDARD: &[(&str, &str)] = &[
    ("Order Completed", "Purchase"),
    ("Product Added", "AddToCart"),
    ("Product Added to Wishlist", "AddToWishlist"),
    ("Checkout Started", "InitiateCheckout"),
    ("Payment Info Entered", "AddPaymentInfo"),
    ("Products Searched", "Search"),
    ("Product Viewed", "ViewContent"),
    ("Signed Up", "CompleteRegistration"),
];

pub struct Meta {
    pub url: String,
    pub pixel_id: String,
    pub access_token: String,
}

impl Adapter for Meta {
    fn accepts(&self, kind: MessageType) -> bool {
        matches!(kind, MessageType::Track | MessageType::Page)
    }

    fn requests(&self, events: &[Ready], now_ms: Millis) -> Vec<Outgoing> {
        let url = format!(
            "{}/{}/events?access_token={}",
            self.url,
            query_value(&self.pixel_id),
            query_value(&self.access_token)
        );
        let accepted: Vec<&Ready> = events.iter().filter(|e| self.accepts(e.kind)).collect();
        accepted
            .chunks(BATCH)
            .map(|chunk| {
                let data: Vec<Value> = chunk.iter().map(|e| server_event(e, now_ms)).collect();
                Outgoing {
                    url: url.clone(),
                    headers: vec![("content-type".to_owned(), "application/json".to_owned())],
                    body: json_bytes(&json!({ "data": data })),
                    keys: chunk.iter().map(|e| e.key.clone()).collect(),
                }
            })
            .collect()
    }
}

/// One server event.
pub fn server_event(event: &Ready, now_ms: Millis) -> Value {
    let m = &event.message;
    let event_name = match event.kind {
        MessageType::Page => "PageView".to_owned(),
        _ => {
            let name = text(m, "event").unwrap_or("Event");
            STANDARD
                .iter()
                .find(|(s, _)| *s == name)
                .map_or_else(|| name.to_owned(), |(_, meta)| (*meta).to_owned())
        }
    };
    let mut out = Map::new();
    out.insert("event_name".to_owned(), json!(event_name));
    out.insert("event_time".to_owned(), json!(event_ms(m, now_ms) / 1000));
    out.insert("event_id".to_owned(), json!(event.key));
    out.insert("action_source".to_owned(), json!("website"));
    if let Some(url) = text(m, "context.page.url").or_else(|| text(m, "properties.url")) {
        out.insert("event_source_url".to_owned(), json!(url));
    }
    out.insert("user_data".to_owned(), Value::Object(user_data(m)));
    let custom = custom_data(m);
    if !custom.is_empty() {
        out.insert("custom_data".to_owned(), Value::Object(custom));
    }
    Value::Object(out)
}

/// A trait from `traits` or `context.traits`.
fn trait_text<'a>(m: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    text(m, &format!("traits.{name}")).or_else(|| text(m, &format!("context.traits.{name}")))
}

fn user_data(m: &Map<String, Value>) -> Map<String, Value> {
    let mut data = Map::new();
    let mut put = |key: &str, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            data.insert(key.to_owned(), json!([sha256(&value)]));
        }
    };
    put("em", trait_text(m, "email").map(normalise_email));
    put("ph", trait_text(m, "phone").map(normalise_phone));
    put("fn", trait_text(m, "firstName").map(normalise_name));
    put("ln", trait_text(m, "lastName").map(normalise_name));
    put("ge", trait_text(m, "gender").and_then(normalise_gender));
    put("db", trait_text(m, "birthday").and_then(normalise_birthday));
    put("ct", trait_text(m, "address.city").map(normalise_city));
    put("st", trait_text(m, "address.state").map(normalise_code));
    put(
        "zp",
        trait_text(m, "address.postalCode").map(normalise_postcode),
    );
    put(
        "country",
        trait_text(m, "address.country").map(normalise_code),
    );
    put(
        "external_id",
        text(m, "userId").map(|s| s.trim().to_owned()),
    );
    if let Some(agent) = text(m, "context.userAgent") {
        data.insert("client_user_agent".to_owned(), json!(agent));
    }
    data
}

fn custom_data(m: &Map<String, Value>) -> Map<String, Value> {
    let mut custom = Map::new();
    let Some(Value::Object(p)) = field(m, "properties") else {
        return custom;
    };
    if let Some(value) = ["revenue", "value", "total"]
        .iter()
        .find_map(|k| p.get(*k))
        .filter(|v| v.is_number())
    {
        custom.insert("value".to_owned(), value.clone());
    }
    if let Some(currency) = p.get("currency").and_then(Value::as_str) {
        custom.insert("currency".to_owned(), json!(currency.to_ascii_lowercase()));
    }
    if let Some(order) = p.get("order_id").and_then(Value::as_str) {
        custom.insert("order_id".to_owned(), json!(order));
    }
    if let Some(query) = p.get("query").and_then(Value::as_str) {
        custom.insert("search_string".to_owned(), json!(query));
    }
    if let Some(Value::Array(products)) = p.get("products") {
        let ids: Vec<&str> = products
            .iter()
            .filter_map(|x| {
                x.get("product_id")
                    .or_else(|| x.get("sku"))
                    .and_then(Value::as_str)
            })
            .collect();
        if !ids.is_empty() {
            custom.insert("content_ids".to_owned(), json!(ids));
            custom.insert("content_type".to_owned(), json!("product"));
            custom.insert("num_items".to_owned(), json!(products.len()));
        }
    }
    custom
}

pub fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

pub fn normalise_email(text: &str) -> String {
    text.trim().to_lowercase()
}

pub fn normalise_phone(text: &str) -> String {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    digits.trim_start_matches('0').to_owned()
}

pub fn normalise_name(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace())
        .collect::<String>()
        .trim()
        .to_owned()
}

pub fn normalise_city(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

pub fn normalise_code(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .filter(char::is_ascii_alphabetic)
        .collect()
}

pub fn normalise_postcode(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect()
}

fn normalise_gender(text: &str) -> Option<String> {
    match text.trim().to_lowercase().chars().next() {
        Some('f') | Some('k') => Some("f".to_owned()),
        Some('m') => Some("m".to_owned()),
        _ => None,
    }
}

/// `YYYYMMDD` from an ISO date (`1990-04-17` or a date-time).
fn normalise_birthday(text: &str) -> Option<String> {
    let digits: String = text.chars().take(10).filter(char::is_ascii_digit).collect();
    (digits.len() == 8).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapter::Modes;

    #[test]
    fn customer_information_is_normalised_then_hashed() {
        assert_eq!(
            normalise_email("  Kari.Nordmann@Example.NO "),
            "kari.nordmann@example.no"
        );
        assert_eq!(normalise_phone("+47 (0)22 33-44 55"), "47022334455");
        assert_eq!(normalise_phone("0047 22 33 44 55"), "4722334455");
        assert_eq!(normalise_name("Ås-Hansen."), "åshansen");
        assert_eq!(normalise_city("Mo i Rana"), "moirana");
        assert_eq!(normalise_postcode("N-0150 "), "n0150");
        assert_eq!(normalise_code("NO"), "no");
        // SHA-256 of "joe@eg.com", computed with Python's hashlib.
        assert_eq!(
            sha256(&normalise_email(" Joe@eg.com")),
            "8830eedd6c6b5ea97d181563a349476ca1bb25ace1f94b5c5e48d9cad727941b"
        );
    }

    #[test]
    fn a_purchase_becomes_a_server_event() {
        let event = Ready {
            key: "key-1".to_owned(),
            kind: MessageType::Track,
            message: json!({"type": "track", "event": "Order Completed", "userId": "K-1",
                "timestamp": "2026-01-31T10:00:00Z",
                "context": {"page": {"url": "https://shop.example.no/kasse"}, "userAgent": "Firefox",
                            "traits": {"email": "Kari@Example.no"}},
                "properties": {"revenue": 120, "currency": "NOK", "products": [{"product_id": "p1"}]}})
            .as_object()
            .cloned()
            .unwrap_or_default(),
            modes: Modes::default(),
        };
        let e = server_event(&event, 0);
        assert_eq!(e["event_name"], json!("Purchase"));
        assert_eq!(e["event_time"], json!(1_769_853_600));
        assert_eq!(e["event_id"], json!("key-1"));
        assert_eq!(e["action_source"], json!("website"));
        assert_eq!(
            e["event_source_url"],
            json!("https://shop.example.no/kasse")
        );
        assert_eq!(e["user_data"]["em"], json!([sha256("kari@example.no")]));
        assert_eq!(e["user_data"]["external_id"], json!([sha256("K-1")]));
        assert_eq!(e["user_data"]["client_user_agent"], json!("Firefox"));
        assert!(e["user_data"].get("client_ip_address").is_none());
        assert_eq!(e["custom_data"]["value"], json!(120));
        assert_eq!(e["custom_data"]["currency"], json!("nok"));
        assert_eq!(e["custom_data"]["content_ids"], json!(["p1"]));
    }
}
