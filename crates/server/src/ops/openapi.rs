//! `GET /openapi.json`: the hand-written OpenAPI 3.1 description in `docs/openapi.json`,
//! compiled in. A test checks that every route in `router.rs` is described there.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The OpenAPI document, as shipped in `docs/openapi.json`.
pub const OPENAPI_JSON: &str = include_str!("../../../../docs/openapi.json");

/// `GET /openapi.json`.
pub async fn get_openapi() -> Response {
    let mut response = OPENAPI_JSON.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
