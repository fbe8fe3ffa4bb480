//! The privacy lead's console, its domain part: who may do what ([`access`]), passwords
//! ([`password`]), second factors ([`totp`]), how long sessions live and how often sign-in may
//! fail ([`session`]), and the hash-chained audit log of what operators did ([`audit`]). Pure
//! functions; the clock and randomness come from the caller. The pages and routes are the
//! server's `console` module; the records are the store's `accounts` and `audit` concerns.

pub mod access;
pub mod audit;
pub mod password;
pub mod session;
pub mod totp;

pub use access::{Permission, Role};
