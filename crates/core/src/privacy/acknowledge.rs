//! Warnings the operator has reviewed: `acknowledge` tables on a service or a cookie name a flag
//! of `kapsel check` or `kapsel suggest` and give the reason it stands. They are for the
//! operator and CI only: not part of any revision, never shown to visitors.

use serde::{Deserialize, Serialize};

/// Service-wide warnings the operator has reviewed, each with the reason (plain text).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceAcknowledge {
    /// A service in `necessary` that the catalogue knows as analytics or marketing, or that
    /// loads from a known tracking host.
    #[serde(default)]
    pub necessary: Option<String>,
    /// A service outside `necessary` that no processing activity lists.
    #[serde(default)]
    pub activity: Option<String>,
}

/// Warnings about one cookie the operator has reviewed, each with the reason (plain text).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CookieAcknowledge {
    /// The declared duration differs from the catalogue's.
    #[serde(default)]
    pub duration: Option<String>,
    /// The category differs from what the catalogue knows the cookie as.
    #[serde(default)]
    pub category: Option<String>,
}
