//! The privacy lead's console, its domain part (issue #15 builds the rest on it): second factors
//! for the console's accounts. Pure functions; the clock and randomness come from the caller.

pub mod totp;
