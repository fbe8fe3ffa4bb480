//! Extractors, in one place: who a request is from, as handlers take it as an argument.
//!
//! - [`AdminBearer`]: proof that the request carried the admin API's bearer token
//!   (`Authorization: Bearer <token>`). Without a configured token the admin routes do not exist
//!   on the public listener (404), so nothing is open by default.
//! - [`ClientPrefix`]: the client's truncated address, as the edge middleware left it.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;

use crate::error::ApiError;
use crate::state::AdminAuth;

/// Proof that the request carried the admin bearer token. Take it as a handler argument.
#[derive(Debug, Clone, Copy)]
pub struct AdminBearer;

impl<S> FromRequestParts<S> for AdminBearer
where
    S: Send + Sync,
    Arc<AdminAuth>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let auth = Arc::<AdminAuth>::from_ref(state);
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        match (&auth.0, presented) {
            (Some(token), Some(candidate)) if token.matches(candidate) => Ok(AdminBearer),
            (None, _) => Err(ApiError::NotFound {
                what: format!(
                    "{} on this listener (no admin token is set)",
                    parts.uri.path()
                ),
            }),
            _ => Err(ApiError::Unauthorized),
        }
    }
}

/// The truncated client address (`192.0.2.0/24`), or `None` when the server could not tell.
/// Set by `middleware::edge::limit_by_prefix`; absent outside the edge, which reads as `None`.
#[derive(Debug, Clone)]
pub struct ClientPrefix(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientPrefix {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<ClientPrefix>()
            .cloned()
            .unwrap_or(ClientPrefix(None)))
    }
}
