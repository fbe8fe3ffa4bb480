//! The server's one error type and its one conversion to HTTP: an RFC 9457
//! `application/problem+json` body. Client mistakes are 4xx naming the field in `detail` and in an
//! `errors: [{field, message}]` extension; internal failures are logged and answered with a clean
//! 500 that reveals nothing.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// One problem with one field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The JSON field (dotted for nested: `categories.analytics`), header or path parameter.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Everything a handler can answer besides success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("Content-Type must be application/json")]
    UnsupportedMediaType,
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// A `Content-Type` charset other than UTF-8.
    #[error("Content-Type charset {charset:?} is not accepted; JSON is sent as UTF-8")]
    UnsupportedCharset { charset: String },
    /// The body did not arrive within the body timeout.
    #[error("the request body did not arrive in time")]
    RequestTimeout,
    /// A JSON object with the same key twice.
    #[error("{field} appears more than once in the JSON body")]
    DuplicateKey { field: String },
    #[error("the request body is not valid JSON: {reason}")]
    MalformedJson { reason: String },
    /// A query or path parameter the server cannot use (`?lang=`, `?format=`).
    #[error("{field}: {message}")]
    BadParameter { field: String, message: String },
    /// The body is JSON but breaks the schema or names something the privacy file does not declare.
    #[error("{}", summary(.0))]
    Invalid(Vec<FieldError>),
    /// The revision shown to the visitor is neither the current one nor a known earlier one.
    #[error(
        "revision {revision:?} is neither the current nor a known earlier revision of site {site:?}"
    )]
    UnknownRevision { site: String, revision: String },
    #[error("{what} not found")]
    NotFound { what: String },
    #[error("the request's Origin is not one of site {site:?}'s declared domains")]
    ForeignOrigin { site: String },
    #[error("{method} is not served on {path}")]
    MethodNotAllowed { method: String, path: String },
    #[error("too many requests from this network; retry after {retry_after_s} s")]
    RateLimited { retry_after_s: u64 },
    #[error("Authorization must carry a valid admin bearer token")]
    Unauthorized,
    /// An event ingest request without a site's write key.
    #[error("the request carries no write key of a site (HTTP Basic user, or writeKey)")]
    WrongWriteKey,
    #[error("the server is shutting down")]
    Unavailable,
    /// The ledger's storage failed (disk full, I/O, database unreachable): nothing was
    /// written; come back after `retry_after_s`.
    #[error("the ledger cannot write now ({reason}); retry after {retry_after_s} s")]
    StorageUnavailable { reason: String, retry_after_s: u64 },
    /// The ledger writer refuses every write (its chain's head did not match at start).
    #[error("the ledger refuses writes until an operator has checked it")]
    LedgerRefused,
    /// The request names something it may not use (a receipt without its secret).
    #[error("{field}: {message}")]
    Forbidden { field: String, message: String },
    /// The action is well-formed but the thing it acts on does not allow it now (a case that
    /// is not in the state the action needs).
    #[error("{field}: {message}")]
    Conflict { field: String, message: String },
    /// A failure that is not the client's fault. `what` failed because of `source`; both, with
    /// the source's whole chain, are logged, never sent.
    #[error("internal error: {what}: {source}")]
    Internal {
        what: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

fn summary(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

impl ApiError {
    /// An internal failure: `what` was being done when `source` happened.
    pub fn internal(
        what: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        ApiError::Internal {
            what: what.into(),
            source: source.into(),
        }
    }

    /// A query or path parameter the server cannot use.
    pub fn parameter(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::BadParameter {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A single-field validation error.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Invalid(vec![FieldError::new(field, message)])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedCharset { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::MalformedJson { .. }
            | ApiError::BadParameter { .. }
            | ApiError::DuplicateKey { .. } => StatusCode::BAD_REQUEST,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::UnknownRevision { .. } => StatusCode::CONFLICT,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::ForeignOrigin { .. } => StatusCode::FORBIDDEN,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unauthorized | ApiError::WrongWriteKey => StatusCode::UNAUTHORIZED,
            ApiError::Unavailable
            | ApiError::StorageUnavailable { .. }
            | ApiError::LedgerRefused => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The short, stable problem type slug (`/problems/{slug}` in `type`).
    fn slug(&self) -> &'static str {
        match self {
            ApiError::UnsupportedMediaType => "unsupported-media-type",
            ApiError::PayloadTooLarge { .. } => "payload-too-large",
            ApiError::UnsupportedCharset { .. } => "unsupported-media-type",
            ApiError::RequestTimeout => "request-timeout",
            ApiError::DuplicateKey { .. } => "duplicate-key",
            ApiError::MalformedJson { .. } => "malformed-json",
            ApiError::BadParameter { .. } => "invalid-parameter",
            ApiError::Invalid(_) => "invalid-request",
            ApiError::UnknownRevision { .. } => "unknown-revision",
            ApiError::NotFound { .. } => "not-found",
            ApiError::ForeignOrigin { .. } => "foreign-origin",
            ApiError::MethodNotAllowed { .. } => "method-not-allowed",
            ApiError::RateLimited { .. } => "rate-limited",
            ApiError::Unauthorized => "unauthorized",
            ApiError::WrongWriteKey => "wrong-write-key",
            ApiError::Unavailable => "unavailable",
            ApiError::StorageUnavailable { .. } => "storage-unavailable",
            ApiError::LedgerRefused => "ledger-refused",
            ApiError::Forbidden { .. } => "forbidden",
            ApiError::Conflict { .. } => "conflict",
            ApiError::Internal { .. } => "internal",
        }
    }

    /// The fields this error names, for the `errors` extension.
    fn field_errors(&self) -> Vec<FieldError> {
        match self {
            ApiError::Invalid(errors) => errors.clone(),
            ApiError::UnsupportedMediaType => {
                vec![FieldError::new("Content-Type", "must be application/json")]
            }
            ApiError::PayloadTooLarge { limit } => {
                vec![FieldError::new(
                    "body",
                    format!("must be at most {limit} bytes"),
                )]
            }
            ApiError::MalformedJson { reason } => vec![FieldError::new("body", reason.clone())],
            ApiError::UnsupportedCharset { .. } => {
                vec![FieldError::new("Content-Type", "charset must be utf-8")]
            }
            ApiError::RequestTimeout => {
                vec![FieldError::new(
                    "body",
                    "did not arrive within the body timeout",
                )]
            }
            ApiError::DuplicateKey { field } => {
                vec![FieldError::new(field, "appears more than once")]
            }
            ApiError::BadParameter { field, message }
            | ApiError::Forbidden { field, message }
            | ApiError::Conflict { field, message } => {
                vec![FieldError::new(field, message)]
            }
            ApiError::UnknownRevision { .. } => vec![FieldError::new(
                "revision",
                "is neither the current nor a known earlier revision of this site; reload the banner",
            )],
            ApiError::ForeignOrigin { .. } => {
                vec![FieldError::new(
                    "Origin",
                    "is not one of the site's declared domains",
                )]
            }
            ApiError::Unauthorized => {
                vec![FieldError::new(
                    "Authorization",
                    "must be `Bearer <admin token>`",
                )]
            }
            ApiError::WrongWriteKey => vec![FieldError::new(
                "Authorization",
                "must be `Basic <write key>:` with one of the sites' write keys",
            )],
            _ => Vec::new(),
        }
    }
}

#[derive(Serialize)]
struct ProblemBody<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<FieldError>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = match &self {
            ApiError::Internal { what, source } => {
                tracing::error!(what = %what, error = %error_chain(source.as_ref()), "internal error");
                "the server could not complete the request; it has been logged".to_owned()
            }
            other => other.to_string(),
        };
        let body = ProblemBody {
            kind: format!("/problems/{}", self.slug()),
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail,
            errors: self.field_errors(),
        };
        let json = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
        let mut response = (status, json).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let ApiError::RateLimited { retry_after_s }
        | ApiError::StorageUnavailable { retry_after_s, .. } = self
        {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s));
        }
        if let ApiError::Unauthorized = self {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let ApiError::WrongWriteKey = self {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"kapsel\""),
            );
        }
        response
    }
}

/// `error: cause: cause's cause`, so the log keeps every source.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}

impl From<kapsel_store::StoreError> for ApiError {
    fn from(error: kapsel_store::StoreError) -> Self {
        if error.is_unavailable() {
            return ApiError::StorageUnavailable {
                reason: "the store is unavailable".to_owned(),
                retry_after_s: kapsel_store::RETRY_AFTER_S,
            };
        }
        ApiError::internal("the store", error)
    }
}

/// Storage failures are 503 with `Retry-After` and are not logged here: the writer logs them,
/// at most once per interval, so a full disk is not filled further by its own error lines.
impl From<kapsel_store::LedgerError> for ApiError {
    fn from(error: kapsel_store::LedgerError) -> Self {
        match error {
            kapsel_store::LedgerError::ShuttingDown => ApiError::Unavailable,
            kapsel_store::LedgerError::Refused(_) => ApiError::LedgerRefused,
            other if other.is_unavailable() => ApiError::StorageUnavailable {
                reason: "the storage is unavailable".to_owned(),
                retry_after_s: kapsel_store::RETRY_AFTER_S,
            },
            other => ApiError::internal("the ledger writer", other),
        }
    }
}

/// Fallback for paths no route matches: a 404 problem instead of an empty body.
pub async fn no_such_route(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound {
        what: format!("route {}", uri.path()),
    }
}

/// Middleware: axum answers a known path with an unserved method by a bare 405; this turns it
/// into a problem. (A method-not-allowed fallback on the router would run before the CORS layer
/// and swallow preflight requests.)
pub async fn problem_for_bare_405(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    if response.status() == StatusCode::METHOD_NOT_ALLOWED
        && !response.headers().contains_key(header::CONTENT_TYPE)
    {
        let allow = response.headers().get(header::ALLOW).cloned();
        let mut problem = ApiError::MethodNotAllowed { method, path }.into_response();
        if let Some(allow) = allow {
            problem.headers_mut().insert(header::ALLOW, allow);
        }
        return problem;
    }
    response
}
