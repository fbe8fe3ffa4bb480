//! Secrets from settings (the admin token, SMTP passwords, connector credentials, HMAC keys).
//! A [`Secret`] never shows its value in `Debug`, `Display` or serialised settings; the value
//! is read only through [`Secret::expose`], so every use is greppable.
//!
//! Secrets live in settings and the environment, never in the privacy file: that file is
//! hashed, versioned and published.

use std::fmt;

/// A secret string. Empty or blank values are refused by [`Secret::new`]: an empty secret
/// would guard nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

/// What every redacted secret shows instead of its value.
pub const REDACTED: &str = "<redacted>";

impl Secret {
    /// `None` for an empty or blank value.
    pub fn new(value: impl Into<String>) -> Option<Secret> {
        let value = value.into();
        if value.trim().is_empty() {
            None
        } else {
            Some(Secret(value))
        }
    }

    /// The secret itself; call it only where the value is handed to what needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Compares with `candidate` in time independent of where the first difference is.
    pub fn matches(&self, candidate: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), candidate.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({REDACTED})")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        Secret::new(value).ok_or_else(|| serde::de::Error::custom("a secret must not be empty"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_redacted_everywhere_but_expose() {
        let secret = Secret::new("fictional-secret-42").unwrap();
        assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
        assert_eq!(secret.to_string(), "<redacted>");
        assert_eq!(serde_json::to_string(&secret).unwrap(), "\"<redacted>\"");
        assert_eq!(secret.expose(), "fictional-secret-42");
    }

    #[test]
    fn matching_is_exact_and_blank_secrets_are_refused() {
        let secret = Secret::new("fictional-secret-42").unwrap();
        assert!(secret.matches("fictional-secret-42"));
        assert!(!secret.matches("fictional-secret-43"));
        assert!(!secret.matches(""));
        assert!(Secret::new("  ").is_none());
        assert!(serde_json::from_str::<Secret>("\"\"").is_err());
    }
}
