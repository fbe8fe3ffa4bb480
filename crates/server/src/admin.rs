//! Authentication for admin surfaces on the public listener (`/metrics`, `/ropa`): an extractor
//! that admits a request only with `Authorization: Bearer <admin token>`. Without a configured
//! token those surfaces do not exist on the public listener (404), so nothing is open by default.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use crate::error::ApiError;
use crate::state::AppState;

/// Proof that the request carried the admin token. Take it as a handler argument.
#[derive(Debug, Clone, Copy)]
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        match (&state.admin_token, presented) {
            (Some(token), Some(candidate)) if token.matches(candidate) => Ok(Admin),
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
