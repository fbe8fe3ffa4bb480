//! Google Analytics 4, Measurement Protocol:
//! `POST {url}?measurement_id=…&api_secret=…` with
//! `{"client_id", "user_id"?, "timestamp_micros", "consent": {"ad_user_data", "ad_personalization"},
//! "events": [{"name", "params"}]}`.
//!
//! - One request per event, since a request carries one client. `client_id` is the event's
//!   `anonymousId`, else its `userId` (when the allow-list keeps them), else the event's
//!   idempotency key: then each event counts as its own client, and nothing identifies anyone.
//! - `consent.ad_user_data` / `ad_personalization` are `GRANTED` only where the visitor's choice
//!   grants a service that declares that Consent Mode type.
//! - Names follow Google's rules: letters, digits and `_`, starting with a letter, at most 40
//!   characters; Segment's e-commerce events map to GA4's recommended ones (`Order Completed` →
//!   `purchase`); reserved names and prefixes get an `x_` prefix. At most 25 params, string
//!   values at most 100 characters. `identify`, `group` and `alias` have no GA4 event and are
//!   not queued.

use kapsel_core::Millis;
use kapsel_core::gate::MessageType;
use serde_json::{Map, Value, json};

use super::{Adapter, Outgoing, Ready, event_ms, field, json_bytes, query_value, text};

pub const ENDPOINT: &str = "https://www.google-analytics.com/mp/collect";
const MAX_NAME: usize = 40;
const MAX_PARAMS: usize = 25;
const MAX_VALUE: usize = 100;

/// Segment's spec events and GA4's recommended events.
const RECOMMENDED: &[(&str, &str)] = &[
    ("Products Searched", "search"),
    ("Product List Viewed", "view_item_list"),
    ("Product Clicked", "select_item"),
    ("Product Viewed", "view_item"),
    ("Product Added", "add_to_cart"),
    ("Product Removed", "remove_from_cart"),
    ("Cart Viewed", "view_cart"),
    ("Checkout Started", "begin_checkout"),
    ("Payment Info Entered", "add_payment_info"),
    ("Order Completed", "purchase"),
    ("Order Refunded", "refund"),
    ("Promotion Viewed", "view_promotion"),
    ("Promotion Clicked", "select_promotion"),
    ("Signed Up", "sign_up"),
    ("Signed In", "login"),
];

/// Event names GA4 reserves.
const RESERVED: &[&str] = &[
    "ad_activeview",
    "ad_click",
    "ad_exposure",
    "ad_query",
    "ad_reward",
    "adunit_exposure",
    "app_background",
    "app_clear_data",
    "app_exception",
    "app_remove",
    "app_store_refund",
    "app_store_subscription_cancel",
    "app_store_subscription_convert",
    "app_store_subscription_renew",
    "app_update",
    "app_upgrade",
    "dynamic_link_app_open",
    "dynamic_link_app_update",
    "dynamic_link_first_open",
    "error",
    "first_open",
    "first_visit",
    "in_app_purchase",
    "notification_dismiss",
    "notification_foreground",
    "notification_open",
    "notification_receive",
    "os_update",
    "session_start",
    "session_start_with_rollout",
    "user_engagement",
];
const RESERVED_PREFIXES: &[&str] = &["_", "firebase_", "ga_", "google_", "gtag."];

pub struct Ga4 {
    pub url: String,
    pub measurement_id: String,
    pub api_secret: String,
}

impl Adapter for Ga4 {
    fn accepts(&self, kind: MessageType) -> bool {
        matches!(
            kind,
            MessageType::Track | MessageType::Page | MessageType::Screen
        )
    }

    fn requests(&self, events: &[Ready], now_ms: Millis) -> Vec<Outgoing> {
        let url = format!(
            "{}?measurement_id={}&api_secret={}",
            self.url,
            query_value(&self.measurement_id),
            query_value(&self.api_secret)
        );
        events
            .iter()
            .filter(|e| self.accepts(e.kind))
            .map(|e| {
                let body = json_bytes(&payload(e, now_ms));
                Outgoing {
                    url: url.clone(),
                    headers: vec![
                        ("content-type".to_owned(), "application/json".to_owned()),
                        ("idempotency-key".to_owned(), e.key.clone()),
                    ],
                    body,
                    keys: vec![e.key.clone()],
                }
            })
            .collect()
    }
}

fn granted(yes: bool) -> &'static str {
    if yes { "GRANTED" } else { "DENIED" }
}

/// The Measurement Protocol body of one event.
pub fn payload(event: &Ready, now_ms: Millis) -> Value {
    let m = &event.message;
    let client_id = text(m, "anonymousId")
        .or_else(|| text(m, "userId"))
        .unwrap_or(&event.key);
    let (name, params) = match event.kind {
        MessageType::Page => ("page_view".to_owned(), page_params(m)),
        MessageType::Screen => {
            let mut params = Map::new();
            if let Some(name) = text(m, "name") {
                params.insert("screen_name".to_owned(), json!(clip(name)));
            }
            ("screen_view".to_owned(), params)
        }
        _ => (
            event_name(text(m, "event").unwrap_or("event")),
            property_params(m),
        ),
    };
    // Google takes at most 25 params; the map is ordered, so the first 25 by name stay.
    let params: Map<String, Value> = params.into_iter().take(MAX_PARAMS).collect();
    let mut body = json!({
        "client_id": client_id,
        "timestamp_micros": event_ms(m, now_ms).saturating_mul(1000),
        "consent": {
            "ad_user_data": granted(event.modes.ad_user_data),
            "ad_personalization": granted(event.modes.ad_personalization),
        },
        "events": [{"name": name, "params": params}],
    });
    if let (Some(user_id), Value::Object(object)) = (text(m, "userId"), &mut body) {
        object.insert("user_id".to_owned(), json!(user_id));
    }
    body
}

/// A GA4 event name for a Segment event name.
pub fn event_name(segment: &str) -> String {
    if let Some((_, ga4)) = RECOMMENDED.iter().find(|(s, _)| *s == segment) {
        return (*ga4).to_owned();
    }
    let name = snake(segment);
    let name = if name.is_empty() {
        "event".to_owned()
    } else {
        name
    };
    let name = if RESERVED.contains(&name.as_str())
        || RESERVED_PREFIXES.iter().any(|p| name.starts_with(p))
        || !name.starts_with(|c: char| c.is_ascii_alphabetic())
    {
        format!("x_{name}")
    } else {
        name
    };
    name.chars().take(MAX_NAME).collect()
}

/// Lower-case letters, digits and single underscores.
fn snake(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_owned()
}

fn clip(text: &str) -> String {
    text.chars().take(MAX_VALUE).collect()
}

fn scalar(value: &Value) -> Option<Value> {
    match value {
        Value::String(s) => Some(json!(clip(s))),
        Value::Number(_) | Value::Bool(_) => Some(value.clone()),
        _ => None,
    }
}

fn page_params(m: &Map<String, Value>) -> Map<String, Value> {
    let mut params = Map::new();
    let pairs = [
        ("page_location", ["context.page.url", "properties.url"]),
        ("page_title", ["context.page.title", "properties.title"]),
        (
            "page_referrer",
            ["context.page.referrer", "properties.referrer"],
        ),
    ];
    for (param, paths) in pairs {
        if let Some(value) = paths.iter().find_map(|p| text(m, p)) {
            params.insert(param.to_owned(), json!(clip(value)));
        }
    }
    params
}

fn property_params(m: &Map<String, Value>) -> Map<String, Value> {
    let mut params = Map::new();
    let Some(Value::Object(properties)) = field(m, "properties") else {
        return params;
    };
    for (key, value) in properties {
        let param = match key.as_str() {
            "revenue" | "total" | "value" => "value".to_owned(),
            "order_id" | "orderId" => "transaction_id".to_owned(),
            "query" => "search_term".to_owned(),
            "products" => {
                if let Value::Array(products) = value {
                    params.insert("items".to_owned(), items(products));
                }
                continue;
            }
            other => snake(other).chars().take(MAX_NAME).collect(),
        };
        if param.is_empty() || params.contains_key(&param) {
            continue;
        }
        if let Some(value) = scalar(value) {
            params.insert(param, value);
        }
    }
    params
}

fn items(products: &[Value]) -> Value {
    let items: Vec<Value> = products
        .iter()
        .filter_map(Value::as_object)
        .map(|p| {
            let mut item = Map::new();
            for (from, to) in [
                ("product_id", "item_id"),
                ("sku", "item_id"),
                ("name", "item_name"),
                ("brand", "item_brand"),
                ("category", "item_category"),
                ("price", "price"),
                ("quantity", "quantity"),
            ] {
                if let Some(value) = p.get(from).and_then(scalar) {
                    item.entry(to.to_owned()).or_insert(value);
                }
            }
            Value::Object(item)
        })
        .collect();
    Value::Array(items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapter::Modes;

    fn ready(kind: MessageType, message: Value, modes: Modes) -> Ready {
        Ready {
            key: "k1".to_owned(),
            kind,
            message: message.as_object().cloned().unwrap_or_default(),
            modes,
        }
    }

    #[test]
    fn names_follow_googles_rules() {
        assert_eq!(event_name("Order Completed"), "purchase");
        assert_eq!(
            event_name("Newsletter Subscribed!"),
            "newsletter_subscribed"
        );
        assert_eq!(event_name("session start"), "x_session_start");
        assert_eq!(event_name("2fa enabled"), "x_2fa_enabled");
        assert_eq!(event_name("Google Thing"), "x_google_thing");
        assert!(event_name(&"long ".repeat(20)).len() <= 40);
    }

    #[test]
    fn a_purchase_carries_value_currency_items_and_the_consent_signals() {
        let event = ready(
            MessageType::Track,
            json!({"type": "track", "event": "Order Completed", "anonymousId": "a-1",
                   "timestamp": "2026-01-31T10:00:00Z",
                   "properties": {"revenue": 499.5, "currency": "NOK", "order_id": "O-1",
                                  "products": [{"product_id": "p1", "name": "Lamp", "price": 499.5, "quantity": 1}]}}),
            Modes {
                ad_user_data: true,
                ad_personalization: false,
            },
        );
        let body = payload(&event, 0);
        assert_eq!(body["client_id"], json!("a-1"));
        assert_eq!(body["timestamp_micros"], json!(1_769_853_600_000_000_i64));
        assert_eq!(
            body["consent"],
            json!({"ad_user_data": "GRANTED", "ad_personalization": "DENIED"})
        );
        assert_eq!(body["events"][0]["name"], json!("purchase"));
        let params = &body["events"][0]["params"];
        assert_eq!(params["value"], json!(499.5));
        assert_eq!(params["currency"], json!("NOK"));
        assert_eq!(params["transaction_id"], json!("O-1"));
        assert_eq!(params["items"][0]["item_id"], json!("p1"));
        assert!(body.get("user_id").is_none());
    }

    #[test]
    fn a_page_is_a_page_view() {
        let event = ready(
            MessageType::Page,
            json!({"type": "page", "userId": "u-9", "context": {"page": {"url": "https://shop.example.no/", "title": "Shop"}}}),
            Modes::default(),
        );
        let body = payload(&event, 5);
        assert_eq!(body["client_id"], json!("u-9"));
        assert_eq!(body["user_id"], json!("u-9"));
        assert_eq!(body["events"][0]["name"], json!("page_view"));
        assert_eq!(
            body["events"][0]["params"]["page_location"],
            json!("https://shop.example.no/")
        );
        assert_eq!(body["consent"]["ad_user_data"], json!("DENIED"));
    }
}
