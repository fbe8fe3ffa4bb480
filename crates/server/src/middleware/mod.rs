//! Middleware, in one place: the edge (client address truncated to its prefix, rate limit per
//! prefix), CORS for the sites' declared domains, and request metrics.

pub mod cors;
pub mod edge;
pub mod ratelimit;
pub mod track;
