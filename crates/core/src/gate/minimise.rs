//! Minimising a message at the edge, before it is stored: the client address becomes its
//! network prefix (IPv4 /24, IPv6 /48), the user agent its family (as in the ledger), and a
//! field stays only when a destination's allow-list names it.
//!
//! An allow-list is a list of dotted paths (`properties.revenue`, `context.page.url`,
//! `traits`); naming an object keeps everything under it. The envelope every destination needs
//! to say what happened — `type`, `messageId`, `timestamp`, `event`, `name`, `category` — is
//! always kept. Identifiers (`userId`, `anonymousId`, `traits.email`…) are kept only where named.
//! The store keeps the union of the destinations' lists; each destination then gets only its
//! own ([`AllowList::keep`] again at delivery).

use std::net::IpAddr;

use serde_json::{Map, Value};

use crate::consent::{ip, ua};

/// Fields every destination gets.
pub const ENVELOPE: [&str; 6] = [
    "type",
    "messageId",
    "timestamp",
    "event",
    "name",
    "category",
];

/// Which fields of a message a destination may receive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    paths: Vec<Vec<String>>,
}

impl AllowList {
    /// A list from dotted paths, as the privacy file gives them.
    pub fn new<S: AsRef<str>>(paths: &[S]) -> AllowList {
        AllowList {
            paths: paths
                .iter()
                .map(|p| p.as_ref().split('.').map(str::to_owned).collect())
                .collect(),
        }
    }

    /// Every path of every list.
    pub fn union<'a>(lists: impl IntoIterator<Item = &'a AllowList>) -> AllowList {
        let mut paths: Vec<Vec<String>> = Vec::new();
        for list in lists {
            for path in &list.paths {
                if !paths.contains(path) {
                    paths.push(path.clone());
                }
            }
        }
        AllowList { paths }
    }

    /// The fields of `message` this list names, and the envelope.
    pub fn keep(&self, message: &Map<String, Value>) -> Map<String, Value> {
        let mut kept = Map::new();
        for key in ENVELOPE {
            if let Some(value) = message.get(key) {
                kept.insert(key.to_owned(), value.clone());
            }
        }
        for path in &self.paths {
            copy_path(message, &mut kept, path);
        }
        kept
    }
}

/// Copies the value at `path` (if any) from `from` into `into`, creating the objects on the way.
fn copy_path(from: &Map<String, Value>, into: &mut Map<String, Value>, path: &[String]) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let Some(value) = from.get(first) else {
        return;
    };
    if rest.is_empty() {
        into.insert(first.clone(), value.clone());
        return;
    }
    let Value::Object(inner) = value else {
        return;
    };
    let slot = into
        .entry(first.clone())
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(slot) = slot {
        copy_path(inner, slot, rest);
        if slot.is_empty() {
            into.remove(first);
        }
    }
}

/// The edge cut: `context.ip` (or, without one, the address the request came from, as Segment
/// records it) becomes its prefix; `context.userAgent` becomes its family; the client hints of
/// `context.userAgentData` are dropped. An unreadable `context.ip` is dropped.
pub fn at_edge(message: &mut Map<String, Value>, client: Option<IpAddr>) {
    let context = message
        .entry("context")
        .or_insert_with(|| Value::Object(Map::new()));
    if !context.is_object() {
        *context = Value::Object(Map::new());
    }
    let Value::Object(context) = context else {
        return;
    };
    let given = context.remove("ip");
    let address = match given {
        Some(Value::String(text)) => text.trim().parse::<IpAddr>().ok(),
        Some(_) => None,
        None => client,
    };
    if let Some(address) = address {
        context.insert("ip".to_owned(), Value::String(ip::truncate(address)));
    }
    if let Some(Value::String(agent)) = context.remove("userAgent") {
        context.insert(
            "userAgent".to_owned(),
            Value::String(ua::family(&agent).to_owned()),
        );
    }
    context.remove("userAgentData");
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn keeps_the_envelope_and_only_named_paths() {
        let message = object(json!({
            "type": "track", "messageId": "m1", "event": "Order Completed",
            "userId": "u1", "anonymousId": "a1",
            "properties": {"revenue": 12.5, "currency": "NOK", "email": "kari@example.no"},
            "context": {"page": {"url": "https://shop.example.no/", "title": "Shop"}, "ip": "192.0.2.0/24"}
        }));
        let list = AllowList::new(&[
            "properties.revenue",
            "properties.currency",
            "context.page.url",
        ]);
        assert_eq!(
            Value::Object(list.keep(&message)),
            json!({
                "type": "track", "messageId": "m1", "event": "Order Completed",
                "properties": {"revenue": 12.5, "currency": "NOK"},
                "context": {"page": {"url": "https://shop.example.no/"}}
            })
        );
    }

    #[test]
    fn naming_an_object_keeps_all_of_it_and_missing_paths_leave_nothing() {
        let message = object(
            json!({"type": "identify", "messageId": "m", "traits": {"email": "x@example.no", "plan": "pro"}}),
        );
        let kept =
            AllowList::new(&["traits", "context.page.url", "properties.nothing"]).keep(&message);
        assert_eq!(
            Value::Object(kept),
            json!({"type": "identify", "messageId": "m", "traits": {"email": "x@example.no", "plan": "pro"}})
        );
    }

    #[test]
    fn the_union_keeps_what_any_list_names() {
        let a = AllowList::new(&["userId"]);
        let b = AllowList::new(&["anonymousId", "userId"]);
        let message = object(
            json!({"type": "page", "messageId": "m", "userId": "u", "anonymousId": "a", "traits": {}}),
        );
        let kept = AllowList::union([&a, &b]).keep(&message);
        assert_eq!(
            Value::Object(kept),
            json!({"type": "page", "messageId": "m", "userId": "u", "anonymousId": "a"})
        );
    }

    #[test]
    fn the_edge_truncates_the_address_and_reduces_the_user_agent() {
        let mut message = object(json!({"context": {
            "ip": "198.51.100.77",
            "userAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
            "userAgentData": {"platform": "Linux"}
        }}));
        at_edge(
            &mut message,
            Some("203.0.113.9".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))),
        );
        assert_eq!(
            Value::Object(message),
            json!({"context": {"ip": "198.51.100.0/24", "userAgent": "Chrome"}})
        );
    }

    #[test]
    fn without_a_context_ip_the_request_address_is_kept_as_its_prefix() {
        let mut message = object(json!({"type": "page"}));
        let v6: IpAddr = "2001:db8:abcd:12::1"
            .parse()
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        at_edge(&mut message, Some(v6));
        assert_eq!(message["context"]["ip"], json!("2001:db8:abcd::/48"));
        let mut garbage = object(json!({"context": {"ip": "not an address"}}));
        at_edge(&mut garbage, Some(v6));
        assert_eq!(Value::Object(garbage), json!({"context": {}}));
    }
}
