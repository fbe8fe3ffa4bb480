//! Middleware, in one place: the edge (client address behind trusted proxies, truncated to its
//! prefix, rate limit per prefix), request bodies (size, time, charset, duplicate keys), CORS for
//! the sites' declared domains, security headers (CSP, nosniff, framing), and request metrics.

pub mod cors;
pub mod edge;
pub mod forwarded;
pub mod json_keys;
pub mod ratelimit;
pub mod request_body;
pub mod security_headers;
pub mod track;
