//! CORS for the consent and receipt endpoints: only origins whose host is a declared domain of a
//! site in the privacy file, on `https` — or on `http` too for the local hosts `localhost`,
//! `127.0.0.1` and `[::1]`, which are allowed (on any port) only where a site declares them,
//! as the example's demo site does. Preflight is answered here. Other origins get no CORS headers at all, so browsers refuse them.
//! The consent handler additionally checks that the origin belongs to the site named in the body.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::EdgeState;

/// The scheme and host of an `Origin` header value (`https://www.example.no:8443` → `("https",
/// "www.example.no")`), both lower-cased; `None` for `null` or anything that is not
/// `scheme://host[:port]`.
pub fn origin_parts(origin: &str) -> Option<(String, String)> {
    let (scheme, rest) = origin.split_once("://")?;
    if rest.is_empty() || rest.contains('/') {
        return None;
    }
    let host = if let Some(bracketed) = rest.strip_prefix('[') {
        let (inside, _) = bracketed.split_once(']')?;
        inside
    } else {
        rest.split(':').next().unwrap_or(rest)
    };
    (!host.is_empty()).then(|| (scheme.to_ascii_lowercase(), host.to_ascii_lowercase()))
}

/// The host of an `Origin` header value, lower-cased (see [`origin_parts`]).
pub fn origin_host(origin: &str) -> Option<String> {
    origin_parts(origin).map(|(_, host)| host)
}

/// Local development hosts, allowed on `http` and any port where a site declares them.
pub fn is_local_host(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "::1")
}

/// Whether `origin` may call the API for a site declaring `domains`: a declared host, on
/// `https`, or on `http` for a declared local host.
pub fn origin_allowed<'a>(origin: &str, mut domains: impl Iterator<Item = &'a str>) -> bool {
    let Some((scheme, host)) = origin_parts(origin) else {
        return false;
    };
    let scheme_ok = scheme == "https" || (scheme == "http" && is_local_host(&host));
    scheme_ok && domains.any(|d| d.eq_ignore_ascii_case(&host))
}

/// Every declared domain of every site, lower-cased.
pub fn all_domains(privacy: &kapsel_core::privacy::PrivacyFile) -> HashSet<String> {
    privacy
        .sites
        .iter()
        .flat_map(|s| s.domains.iter().map(|d| d.to_ascii_lowercase()))
        .collect()
}

/// The allowed origin of a request, if it has one.
fn allowed_origin(state: &EdgeState, headers: &HeaderMap) -> Option<HeaderValue> {
    let origin = headers.get(header::ORIGIN)?;
    let text = origin.to_str().ok()?;
    origin_allowed(text, state.cors_domains.iter().map(String::as_str)).then(|| origin.clone())
}

/// Middleware: answers preflight requests and adds CORS headers to allowed origins' responses.
pub async fn cors(State(state): State<Arc<EdgeState>>, request: Request, next: Next) -> Response {
    let allowed = allowed_origin(&state, request.headers());
    let is_preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if is_preflight {
        let mut response = StatusCode::NO_CONTENT.into_response();
        let headers = response.headers_mut();
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
        if let Some(origin) = allowed {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST, OPTIONS"),
            );
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                // authorization and x-retry-count: analytics.js sends both to the gate.
                HeaderValue::from_static("content-type, authorization, x-retry-count"),
            );
            headers.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
        }
        return response;
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = allowed {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("Location, Retry-After"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_host_strips_scheme_and_port() {
        assert_eq!(
            origin_host("https://www.example.no").as_deref(),
            Some("www.example.no")
        );
        assert_eq!(
            origin_host("http://LOCALHOST:5173").as_deref(),
            Some("localhost")
        );
        assert_eq!(origin_host("http://[::1]:8080").as_deref(), Some("::1"));
        assert_eq!(origin_host("null"), None);
        assert_eq!(origin_host("https://"), None);
        assert_eq!(origin_host("https://a.no/path"), None);
    }

    #[test]
    fn only_declared_domains_on_https_and_declared_local_hosts_are_allowed() {
        let domains = ["www.example.no", "example.no"];
        let allowed = |o: &str| origin_allowed(o, domains.iter().copied());
        assert!(allowed("https://www.example.no"));
        assert!(allowed("https://example.no:443"));
        assert!(!allowed("https://evil.example.no"));
        assert!(!allowed("https://www.example.no.evil.test"));
        assert!(!allowed("null"));
        // The scheme is checked: only https for a public host.
        assert!(!allowed("ftp://www.example.no"));
        assert!(!allowed("http://www.example.no"));
        // A site that declares no local host gets none, in production or not.
        assert!(!allowed("http://127.0.0.1:9999"));
        assert!(!allowed("http://localhost:5173"));
        let local = ["localhost", "127.0.0.1"];
        let local_allowed = |o: &str| origin_allowed(o, local.iter().copied());
        assert!(local_allowed("http://127.0.0.1:9999"));
        assert!(local_allowed("http://localhost:5173"));
        assert!(local_allowed("https://localhost"));
        assert!(!local_allowed("http://[::1]:8080"), "::1 is not declared");
        assert!(!local_allowed("ftp://localhost"));
    }
}
