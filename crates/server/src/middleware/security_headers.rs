//! Response headers that tell browsers what a response may do: `X-Content-Type-Options: nosniff`
//! on every response (the banner script, JSON, problems), and on HTML a Content Security Policy,
//! `Referrer-Policy: no-referrer` and a framing rule.
//!
//! - Documents (`/sites/{site}/cookies`, `/privacy`, `/changes`, `/ropa`): nothing but their own
//!   inline style; never framed (`frame-ancestors 'none'`, `X-Frame-Options: DENY`).
//! - The cookie-declaration fragment (`/sites/{site}/cookies/fragment`) is made to be embedded by
//!   the site: it may be framed by the site's declared domains only (`https`, and `http` for a
//!   declared local host). No `X-Frame-Options`, which cannot name several origins.
//! - The privacy centre (`/sites/{site}/rights…`) is a document whose forms post to itself:
//!   the document policy with `form-action 'self'`.
//! - The console (`/console…`) runs no script and loads only its own stylesheet: no inline
//!   style either, forms post to itself, never framed.
//! - The demo (`/demo/…`, only with `--demo`) is a website with fake trackers on loopback: its
//!   scripts, styles and the embed come from its own and the other loopback origin, and its
//!   embed page may be framed by them.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::middleware::cors::is_local_host;
use crate::state::Sites;

const DOCUMENT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const RIGHTS_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const CONSOLE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const LOOPBACK_SOURCES: &str = "'self' http://localhost:* http://127.0.0.1:* http://[::1]:*";

/// Middleware: see the module documentation.
pub async fn secure(State(sites): State<Arc<Sites>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if is_html(headers) {
        apply_html_policy(&sites, &path, headers);
    }
    response
}

fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/html"))
}

fn apply_html_policy(sites: &Sites, path: &str, headers: &mut HeaderMap) {
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if path == "/demo" || path.starts_with("/demo/") {
        let csp = format!(
            "default-src {LOOPBACK_SOURCES}; script-src {LOOPBACK_SOURCES} 'unsafe-inline'; \
             style-src {LOOPBACK_SOURCES} 'unsafe-inline'; img-src {LOOPBACK_SOURCES} data:; \
             object-src 'none'; base-uri 'none'; frame-ancestors {LOOPBACK_SOURCES}"
        );
        if let Ok(value) = HeaderValue::try_from(csp) {
            headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
        return;
    }
    if let Some(site) = fragment_site(path) {
        let ancestors = frame_ancestors(sites.get(site).map_or(&[][..], |s| &s.domains));
        let csp = format!(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
             base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}"
        );
        if let Ok(value) = HeaderValue::try_from(csp) {
            headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
        return;
    }
    let csp = if path == "/console" || path.starts_with("/console/") {
        CONSOLE_CSP
    } else if is_rights_page(path) {
        RIGHTS_CSP
    } else {
        DOCUMENT_CSP
    };
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

/// `/sites/{site}/rights` and the pages under it.
fn is_rights_page(path: &str) -> bool {
    path.strip_prefix("/sites/")
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(site, rest)| {
            !site.is_empty() && (rest == "rights" || rest.starts_with("rights/"))
        })
}

/// The site of `/sites/{site}/cookies/fragment`.
fn fragment_site(path: &str) -> Option<&str> {
    let site = path
        .strip_prefix("/sites/")?
        .strip_suffix("/cookies/fragment")?;
    (!site.is_empty() && !site.contains('/')).then_some(site)
}

/// The CSP `frame-ancestors` sources of a site's declared domains; `'none'` for none.
pub fn frame_ancestors(domains: &[String]) -> String {
    let sources: Vec<String> = domains
        .iter()
        .filter(|d| {
            // Only host names reach a header: anything else is left out.
            !d.is_empty()
                && d.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
        })
        .flat_map(|domain| {
            let domain = domain.to_ascii_lowercase();
            if is_local_host(&domain) {
                let host = if domain.contains(':') {
                    format!("[{domain}]")
                } else {
                    domain
                };
                vec![format!("http://{host}:*"), format!("https://{host}:*")]
            } else {
                vec![format!("https://{domain}")]
            }
        })
        .collect();
    if sources.is_empty() {
        "'none'".to_owned()
    } else {
        sources.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fragment_may_be_framed_by_declared_domains_only() {
        assert_eq!(fragment_site("/sites/www/cookies/fragment"), Some("www"));
        assert_eq!(fragment_site("/sites/www/cookies"), None);
        assert_eq!(fragment_site("/sites/a/b/cookies/fragment"), None);
        let domains = ["www.example.no".to_owned(), "Example.no".to_owned()];
        assert_eq!(
            frame_ancestors(&domains),
            "https://www.example.no https://example.no"
        );
        let local = ["localhost".to_owned(), "::1".to_owned()];
        assert_eq!(
            frame_ancestors(&local),
            "http://localhost:* https://localhost:* http://[::1]:* https://[::1]:*"
        );
        assert_eq!(frame_ancestors(&[]), "'none'");
        assert_eq!(frame_ancestors(&["bad;host".to_owned()]), "'none'");
    }
}
