use serde_json::{Value, json};

use super::*;

fn read_one(value: Value) -> Result<Message, MessageError> {
    let size = value.to_string().len();
    read(value, None, size, || "fresh".to_owned())
}

fn field_of(value: Value) -> String {
    match read_one(value) {
        Ok(message) => panic!("accepted {message:?}"),
        Err(err) => err.field,
    }
}

#[test]
fn a_track_call_as_the_libraries_send_it_is_read() {
    let message = read_one(json!({
        "type": "track", "event": "Order Completed", "messageId": "node-1", "userId": "u-1",
        "properties": {"revenue": 499.0, "currency": "NOK", "note": "O'Brien; 2 items"},
        "context": {"library": {"name": "@segment/analytics-node", "version": "2.1.0"}},
        "timestamp": "2026-01-31T10:00:00.000Z"
    }))
    .unwrap();
    assert_eq!(message.kind, MessageType::Track);
    assert_eq!(message.message_id, "node-1");
}

#[test]
fn the_endpoint_gives_the_type_and_a_missing_message_id_is_made() {
    let body = json!({"anonymousId": "a-1", "name": "Home"});
    let size = body.to_string().len();
    let message = read(body, Some(MessageType::Page), size, || "made-1".to_owned()).unwrap();
    assert_eq!(message.kind, MessageType::Page);
    assert_eq!(message.body["type"], json!("page"));
    assert_eq!(message.body["messageId"], json!("made-1"));
    let other = json!({"type": "identify", "anonymousId": "a"});
    let err = read(other, Some(MessageType::Track), 10, String::new).unwrap_err();
    assert_eq!(err.field, "type");
}

#[test]
fn each_refusal_names_its_field() {
    assert_eq!(field_of(json!([1, 2])), "");
    assert_eq!(field_of(json!({"type": "purchase", "userId": "u"})), "type");
    assert_eq!(field_of(json!({"type": "track", "event": "x"})), "userId");
    assert_eq!(field_of(json!({"type": "track", "userId": "u"})), "event");
    assert_eq!(field_of(json!({"type": "group", "userId": "u"})), "groupId");
    assert_eq!(
        field_of(json!({"type": "alias", "userId": "u"})),
        "previousId"
    );
    assert_eq!(
        field_of(json!({"type": "track", "userId": "u", "event": "e", "properties": [1]})),
        "properties"
    );
    assert_eq!(
        field_of(json!({"type": "track", "userId": "u", "event": "e", "timestamp": "yesterday"})),
        "timestamp"
    );
    assert_eq!(
        field_of(json!({"type": "track", "userId": {"id": 1}, "event": "e"})),
        "userId"
    );
}

#[test]
fn injection_payloads_in_names_keys_and_values_are_refused() {
    let e = |event: &str| json!({"type": "track", "userId": "u", "event": event});
    assert_eq!(field_of(e("<script>alert(1)</script>")), "event");
    assert_eq!(field_of(e("x'; DROP TABLE gate_events; --")), "event");
    assert_eq!(field_of(e("{{7*7}}")), "event");
    assert_eq!(field_of(e("a\u{0}b")), "event");
    let p = |properties: Value| json!({"type": "track", "userId": "u", "event": "e", "properties": properties});
    assert_eq!(
        field_of(p(json!({"<img src=x onerror=alert(1)>": 1}))),
        "properties.<img src=x onerror=alert(1)>"
    );
    assert_eq!(field_of(p(json!({"$where": "1"}))), "properties.$where");
    assert_eq!(field_of(p(json!({"a.b": 1}))), "properties.a.b");
    assert_eq!(
        field_of(p(json!({"title": "<svg onload=alert(1)>"}))),
        "properties.title"
    );
    assert_eq!(
        field_of(p(json!({"title": "${jndi:ldap://x}"}))),
        "properties.title"
    );
    assert_eq!(
        field_of(p(json!({"list": ["ok", "\u{7}"]}))),
        "properties.list[1]"
    );
    // Values may carry quotes and comparisons: they are data.
    assert!(read_one(p(json!({"name": "O'Brien", "cmp": "a < b; c > d"}))).is_ok());
}

#[test]
fn size_and_depth_are_bounded() {
    let big = json!({"type": "track", "userId": "u", "event": "e", "properties": {"x": "y".repeat(MAX_MESSAGE_BYTES)}});
    let size = big.to_string().len();
    assert_eq!(read(big, None, size, String::new).unwrap_err().field, "");
    let mut deep = json!(1);
    for _ in 0..MAX_DEPTH {
        deep = json!({"n": deep});
    }
    let field = field_of(json!({"type": "track", "userId": "u", "event": "e", "properties": deep}));
    assert!(field.starts_with("properties.n.n"), "{field}");
    let mut fine = json!(1);
    for _ in 0..(MAX_DEPTH - 2) {
        fine = json!({"n": fine});
    }
    assert!(
        read_one(json!({"type": "track", "userId": "u", "event": "e", "properties": fine})).is_ok()
    );
}
