//! Kapsel's HTTP server as a library: [`launch`] takes a validated configuration, an open store,
//! bound listeners and a shutdown token, so tests and the CLI own the sockets, the clock and the
//! lifetime.
//!
//! The server is a composition root. Each feature brings its own routes and sub-state:
//! `consent` (the consent API and receipts), `banner` (the banner script), `pages` (the
//! generated documents), `demo` (the demo site, mounted only when asked) and `ops` (health,
//! metrics, OpenAPI). Extractors live in `extract`, middleware in `middleware`, the one error
//! type in `error`, the route tables in `router`, the state in `state`.
//!
//! Where the coming capabilities plug in: the request desk (`desk`), the event gate (`gate`) and
//! the console (`console`) each become a module (or crate) with a `routes()` merged in
//! `router::public` and a sub-state in `state::AppState`; their background work runs in
//! `kapsel-jobs` on the same injected clock.

pub mod banner;
pub mod config;
pub mod consent;
pub mod console;
pub mod demo;
pub mod desk;
pub mod error;
pub mod evidence;
pub mod extract;
pub mod gate;
mod idle;
pub mod middleware;
pub mod ops;
pub mod pages;
pub mod retention;
pub mod router;
pub mod serve;
pub mod startup;
pub mod state;

pub use config::{
    ConnectionLimits, ConnectorConfig, ConsoleConfig, DeskConfig, ForwardedHeader, GateConfig,
    Limits, MailConfig, ProxyTrust, RateLimit, ServerConfig, parse_network,
};
pub use error::{ApiError, FieldError};
pub use startup::{Listeners, ServerError, launch};
