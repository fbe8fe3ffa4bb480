//! Kapsel's HTTP server as a library: [`launch`] takes a validated configuration, an open store,
//! a bound listener and a shutdown token, so tests and the CLI own the socket and the lifetime.
//!
//! It owns the public consent API (`/v1/consent`, `/v1/receipts/{id}`), health, metrics and the
//! OpenAPI description; the banner script and the demo page live in their own modules.
//! Storage is `kapsel-store`'s; validation of the privacy file is `kapsel-core`'s.

pub mod admin;
pub mod banner;
pub mod client;
pub mod config;
pub mod consent;
pub mod consent_body;
pub mod cors;
pub mod demo;
pub mod error;
pub mod health;
pub mod metrics;
pub mod openapi;
pub mod pages;
pub mod ratelimit;
pub mod receipt;
pub mod router;
pub mod startup;
pub mod state;

pub use config::{AdminToken, Limits, RateLimit, ServerConfig};
pub use error::{ApiError, FieldError};
pub use startup::{ServerError, launch};
