//! The pages' answers to bad requests. An unknown site is the server's `ApiError::NotFound`; a
//! bad query parameter (`lang`, `format`) is a 400 RFC 9457 problem naming the parameter, in the
//! same shape as `ApiError`'s bodies (`type`, `title`, `status`, `detail`, `errors`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use kapsel_publish::PublishError;

use crate::error::{ApiError, FieldError};

/// Why a page cannot be served.
#[derive(Debug)]
pub enum PageError {
    /// A query parameter the page cannot use: 400 naming it.
    BadParameter {
        field: &'static str,
        message: String,
    },
    /// Anything the server's own error type answers (404, 401, 500).
    Api(ApiError),
}

impl PageError {
    pub fn unknown_site(site: &str) -> PageError {
        PageError::Api(ApiError::NotFound {
            what: format!("site `{site}`"),
        })
    }
}

impl From<PublishError> for PageError {
    fn from(error: PublishError) -> Self {
        match error {
            PublishError::UnknownSite(site) => PageError::unknown_site(&site),
            PublishError::UnknownLanguage { lang, declared } => PageError::BadParameter {
                field: "lang",
                message: format!("unknown language `{lang}`; this site is published in {declared}"),
            },
            other => PageError::Api(ApiError::Internal(other.to_string())),
        }
    }
}

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> Self {
        PageError::Api(error)
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    detail: String,
    errors: Vec<FieldError>,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Api(error) => error.into_response(),
            PageError::BadParameter { field, message } => {
                let status = StatusCode::BAD_REQUEST;
                let body = Problem {
                    kind: "/problems/invalid-parameter",
                    title: "Bad Request",
                    status: status.as_u16(),
                    detail: format!("{field}: {message}"),
                    errors: vec![FieldError::new(field, message)],
                };
                let json = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
                let mut response = (status, json).into_response();
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/problem+json"),
                );
                response
            }
        }
    }
}
