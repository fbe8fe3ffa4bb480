//! One message of Segment's HTTP Tracking API (`track`, `page`, `screen`, `identify`, `group`,
//! `alias`), read strictly before anything is stored.
//!
//! Segment's limits hold: 32 KB per message, 500 KB per batch (the caller checks the batch).
//! Beyond them, the gate refuses what no legitimate tracking call needs and what would reach a
//! destination's reports as markup: nesting deeper than [`MAX_DEPTH`]; control characters in
//! any string; `<` starting a tag, `{{` or `${` in any string; and in names (the event name, page
//! and screen names, every object key) quotes, backticks, backslashes, `;` and braces as well.
//! A key may not contain `.` (allow-lists address fields by dotted paths) nor start with `$`.
//! Apostrophes and semicolons stay allowed in values ("O'Brien"): values reach the store and the
//! destinations only as bound parameters and JSON, never as code.

use serde_json::{Map, Value};

/// Segment's limit on one message, in bytes of its JSON.
pub const MAX_MESSAGE_BYTES: usize = 32 * 1024;
/// Segment's limit on one batch request, in bytes.
pub const MAX_BATCH_BYTES: usize = 500 * 1024;
/// Objects and arrays inside objects and arrays, counted from the message itself (1).
pub const MAX_DEPTH: usize = 12;
/// Longest event, page or screen name.
const MAX_NAME: usize = 200;
/// Longest object key.
const MAX_KEY: usize = 128;
/// Longest `messageId`, `userId`, `anonymousId`, `groupId`, `previousId`.
const MAX_ID: usize = 255;

/// The six message types of the tracking API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    Track,
    Page,
    Screen,
    Identify,
    Group,
    Alias,
}

impl MessageType {
    pub const ALL: [MessageType; 6] = [
        MessageType::Track,
        MessageType::Page,
        MessageType::Screen,
        MessageType::Identify,
        MessageType::Group,
        MessageType::Alias,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::Track => "track",
            MessageType::Page => "page",
            MessageType::Screen => "screen",
            MessageType::Identify => "identify",
            MessageType::Group => "group",
            MessageType::Alias => "alias",
        }
    }

    pub fn parse(text: &str) -> Option<MessageType> {
        MessageType::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// A message that passed every check, with the fields the gate works with taken out.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub kind: MessageType,
    pub message_id: String,
    /// The whole message as received (with `type` and `messageId` set), before minimising.
    pub body: Map<String, Value>,
}

/// Why a message was refused: the field (a dotted path inside the message) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct MessageError {
    pub field: String,
    pub message: String,
}

fn refuse(field: impl Into<String>, message: impl Into<String>) -> MessageError {
    MessageError {
        field: field.into(),
        message: message.into(),
    }
}

/// Reads `value` as a message of type `expected` (from the endpoint; `None` for a batch entry,
/// whose `type` names it). `fresh_id` gives a `messageId` to a message without one, as
/// Segment's API does. `size` is the message's length in the request, in bytes.
pub fn read(
    value: Value,
    expected: Option<MessageType>,
    size: usize,
    fresh_id: impl FnOnce() -> String,
) -> Result<Message, MessageError> {
    if size > MAX_MESSAGE_BYTES {
        return Err(refuse(
            "",
            format!("a message may be at most {MAX_MESSAGE_BYTES} bytes; this one is {size}"),
        ));
    }
    let Value::Object(mut body) = value else {
        return Err(refuse("", "a message is a JSON object"));
    };
    let kind = match (body.get("type"), expected) {
        (None, Some(kind)) => kind,
        (None, None) => {
            return Err(refuse(
                "type",
                "missing: one of track, page, screen, identify, group, alias",
            ));
        }
        (Some(Value::String(text)), _) => {
            let kind = MessageType::parse(text).ok_or_else(|| {
                refuse(
                    "type",
                    "must be one of track, page, screen, identify, group, alias",
                )
            })?;
            if let Some(expected) = expected.filter(|e| *e != kind) {
                return Err(refuse(
                    "type",
                    format!(
                        "is `{}` but this endpoint takes `{}`",
                        kind.as_str(),
                        expected.as_str()
                    ),
                ));
            }
            kind
        }
        (Some(_), _) => return Err(refuse("type", "must be a string")),
    };
    body.insert("type".to_owned(), Value::String(kind.as_str().to_owned()));
    check_tree(&body, "", 1)?;
    let message_id = match body.get("messageId") {
        None | Some(Value::Null) => {
            let id = fresh_id();
            body.insert("messageId".to_owned(), Value::String(id.clone()));
            id
        }
        Some(Value::String(id)) => {
            check_id("messageId", id)?;
            id.clone()
        }
        Some(_) => return Err(refuse("messageId", "must be a string")),
    };
    for key in ["userId", "anonymousId", "groupId", "previousId"] {
        match body.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::String(id)) => check_id(key, id)?,
            // Segment's libraries send numbers as ids too; they are kept as text.
            Some(Value::Number(n)) => {
                let text = n.to_string();
                body.insert(key.to_owned(), Value::String(text));
            }
            Some(_) => return Err(refuse(key, "must be a string")),
        }
    }
    let has = |key: &str| {
        body.get(key)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    if !has("userId") && !has("anonymousId") {
        return Err(refuse(
            "userId",
            "a message needs a userId or an anonymousId",
        ));
    }
    match kind {
        MessageType::Track => check_name(&body, "event", true)?,
        MessageType::Page | MessageType::Screen => {
            check_name(&body, "name", false)?;
            check_name(&body, "category", false)?;
        }
        MessageType::Group if !has("groupId") => {
            return Err(refuse("groupId", "a group message needs a groupId"));
        }
        MessageType::Alias if !has("previousId") => {
            return Err(refuse("previousId", "an alias message needs a previousId"));
        }
        _ => {}
    }
    for key in ["properties", "traits", "context", "integrations"] {
        match body.get(key) {
            None | Some(Value::Null) | Some(Value::Object(_)) => {}
            Some(_) => return Err(refuse(key, "must be an object")),
        }
    }
    if let Some(stamp) = body.get("timestamp")
        && !stamp.is_null()
        && !stamp.as_str().is_some_and(is_timestamp)
    {
        return Err(refuse(
            "timestamp",
            "must be an ISO 8601 / RFC 3339 date and time",
        ));
    }
    Ok(Message {
        kind,
        message_id,
        body,
    })
}

fn is_timestamp(text: &str) -> bool {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).is_ok()
}

fn check_id(field: &str, id: &str) -> Result<(), MessageError> {
    if id.is_empty() || id.chars().count() > MAX_ID {
        return Err(refuse(field, format!("must be 1 to {MAX_ID} characters")));
    }
    if id.chars().any(char::is_control) {
        return Err(refuse(field, "may not contain control characters"));
    }
    Ok(())
}

fn check_name(body: &Map<String, Value>, key: &str, required: bool) -> Result<(), MessageError> {
    match body.get(key) {
        None | Some(Value::Null) if !required => Ok(()),
        Some(Value::String(name)) if !name.trim().is_empty() => {
            if name.chars().count() > MAX_NAME {
                return Err(refuse(key, format!("may be at most {MAX_NAME} characters")));
            }
            check_name_text(key, name)
        }
        _ => Err(refuse(key, "must be a non-empty string")),
    }
}

/// Characters a name may not hold, beyond what no string may.
const NOT_IN_NAMES: &[char] = &['"', '\'', '`', '\\', ';', '{', '}', '<', '>'];

fn check_name_text(field: &str, name: &str) -> Result<(), MessageError> {
    check_text(field, name)?;
    if let Some(c) = name.chars().find(|c| NOT_IN_NAMES.contains(c)) {
        return Err(refuse(field, format!("may not contain `{c}`")));
    }
    Ok(())
}

/// What no string in a message may hold: control characters (tab and line breaks aside), the
/// start of a tag, a template marker.
fn check_text(field: &str, text: &str) -> Result<(), MessageError> {
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(refuse(field, "may not contain control characters"));
    }
    let bytes = text.as_bytes();
    let tag = bytes.windows(2).any(|w| match w {
        [b'<', next] => next.is_ascii_alphabetic() || matches!(next, b'/' | b'!' | b'?'),
        _ => false,
    });
    if tag {
        return Err(refuse(field, "may not contain markup (`<` starting a tag)"));
    }
    if text.contains("{{") || text.contains("${") {
        return Err(refuse(
            field,
            "may not contain template markers (`{{`, `${`)",
        ));
    }
    Ok(())
}

fn check_key(path: &str, key: &str) -> Result<(), MessageError> {
    let at = join(path, key);
    if key.is_empty() || key.chars().count() > MAX_KEY {
        return Err(refuse(
            at,
            format!("a key must be 1 to {MAX_KEY} characters"),
        ));
    }
    if key.contains('.') {
        return Err(refuse(at, "a key may not contain `.`"));
    }
    if key.starts_with('$') {
        return Err(refuse(at, "a key may not start with `$`"));
    }
    check_name_text(&at, key)
}

fn check_tree(object: &Map<String, Value>, path: &str, depth: usize) -> Result<(), MessageError> {
    for (key, value) in object {
        check_key(path, key)?;
        check_value(value, &join(path, key), depth)?;
    }
    Ok(())
}

fn check_value(value: &Value, at: &str, depth: usize) -> Result<(), MessageError> {
    match value {
        Value::String(text) => check_text(at, text),
        Value::Object(object) => {
            if depth >= MAX_DEPTH {
                return Err(refuse(at, format!("nested deeper than {MAX_DEPTH} levels")));
            }
            check_tree(object, at, depth + 1)
        }
        Value::Array(items) => {
            if depth >= MAX_DEPTH {
                return Err(refuse(at, format!("nested deeper than {MAX_DEPTH} levels")));
            }
            for (i, item) in items.iter().enumerate() {
                check_value(item, &format!("{at}[{i}]"), depth + 1)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

#[cfg(test)]
#[path = "message_tests.rs"]
mod tests;
