//! Request bodies at the edge, before any handler: a declared `Content-Length` over the limit (the
//! configured one; for the privacy centre's and the console's forms at least their own) is
//! a 413 at once (nothing is read); a body is read within the body timeout (408 and the
//! connection closed otherwise) and never past the limit, chunked or not; a `charset` other than
//! UTF-8 is a 415 naming `Content-Type`; a JSON body with a key twice in one object is a 400
//! naming the key. Handlers then see the body already buffered.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::error::ApiError;
use crate::middleware::json_keys::first_duplicate_key;
use crate::state::EdgeState;

/// Middleware: see the module documentation.
pub async fn check_body(
    State(edge): State<Arc<EdgeState>>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    if let Some(charset) = foreign_charset(headers) {
        return ApiError::UnsupportedCharset { charset }.into_response();
    }
    // The privacy centre's form may carry two 2000-character texts in any script, percent-encoded.
    let limit = if crate::desk::form::is_rights_form(request.uri().path()) {
        edge.body_limit.max(crate::desk::form::MAX_BODY_BYTES)
    } else if crate::gate::is_ingest(request.uri().path()) {
        // Segment's limit on a batch.
        edge.body_limit
            .max(kapsel_core::gate::message::MAX_BATCH_BYTES)
    } else if request.uri().path() == crate::console::scans::UPLOAD_PATH {
        edge.body_limit.max(crate::console::scans::MAX_REPORT_BYTES)
    } else if request.uri().path().starts_with("/console/") {
        // The console's forms: a 2000-character text in any script, percent-encoded.
        edge.body_limit.max(crate::console::session::MAX_FORM_BYTES)
    } else {
        edge.body_limit
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return closing(ApiError::PayloadTooLarge { limit });
    }
    let has_body = declared.is_some_and(|length| length > 0)
        || headers.contains_key(header::TRANSFER_ENCODING);
    if !has_body {
        return next.run(request).await;
    }
    let is_json = media_type(headers).is_some_and(|m| m.eq_ignore_ascii_case("application/json"));
    let (parts, body) = request.into_parts();
    let read = tokio::time::timeout(edge.body_timeout, Limited::new(body, limit).collect()).await;
    let bytes = match read {
        Err(_elapsed) => return closing(ApiError::RequestTimeout),
        Ok(Err(error)) if error.downcast_ref::<LengthLimitError>().is_some() => {
            return closing(ApiError::PayloadTooLarge { limit });
        }
        Ok(Err(_)) => {
            return closing(ApiError::MalformedJson {
                reason: "the request body could not be read to its end".to_owned(),
            });
        }
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    if is_json && let Some(field) = first_duplicate_key(&bytes) {
        return ApiError::DuplicateKey { field }.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// A problem after which the connection is closed: the rest of the body is not read.
fn closing(error: ApiError) -> Response {
    let mut response = error.into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

fn media_type(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim)
}

/// The `charset` parameter of `Content-Type` when it is not UTF-8 (JSON is UTF-8, RFC 8259).
fn foreign_charset(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?;
    let Ok(text) = value.to_str() else {
        return Some("(unreadable)".to_owned());
    };
    text.split(';').skip(1).find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let charset = value.trim().trim_matches('"');
        let utf8 = charset.eq_ignore_ascii_case("utf-8") || charset.eq_ignore_ascii_case("utf8");
        (!utf8).then(|| charset.chars().take(40).collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content_type(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn only_utf_8_passes_as_a_charset() {
        for fine in [
            "application/json",
            "application/json; charset=utf-8",
            "application/json;charset=\"UTF-8\"",
            "application/json; foo=bar",
        ] {
            assert_eq!(foreign_charset(&content_type(fine)), None, "{fine}");
        }
        assert_eq!(
            foreign_charset(&content_type("application/json; charset=utf-16")).as_deref(),
            Some("utf-16")
        );
        assert_eq!(
            foreign_charset(&content_type("application/json; Charset=\"ISO-8859-1\"")).as_deref(),
            Some("ISO-8859-1")
        );
        assert_eq!(foreign_charset(&HeaderMap::new()), None);
    }
}
