//! Who is using the console, and whether a form may be believed.
//!
//! - The session cookie `kapsel_console` holds 32 random bytes (base64url); the store keeps only
//!   their SHA-256. It is `HttpOnly; Secure; SameSite=Strict; Path=/console`, so scripts cannot
//!   read it, it travels only over HTTPS (and to `localhost`), never with a request another site
//!   starts, and never to the banner or consent endpoints.
//! - [`Operator`] is the extractor of every page: a full session that is neither idle nor too
//!   old (`SessionPolicy`), of an account that exists and is enabled, with the role the account
//!   has now. Anything else goes to the sign-in page.
//! - [`same_origin`] refuses a form posted from another origin (by `Sec-Fetch-Site`, else by
//!   `Origin` against `Host`); [`Operator::check_form`] refuses a form without this session's
//!   token (the synchroniser-token pattern, for browsers that send neither header).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use kapsel_core::Random;
use kapsel_core::console::Permission;
use kapsel_store::{Account, Accounts, Session, SessionStage};

use super::{ConsoleState, LANGUAGES, Refusal, language};
use crate::extract::ClientPrefix;

/// How stale a session's recorded last use may get before a request moves it.
const TOUCH_EVERY_MS: i64 = 60 * 1000;
/// The session cookie's name.
pub const COOKIE: &str = "kapsel_console";
/// Most fields a console form may have, and most bytes in one.
const MAX_FIELDS: usize = 16;
pub const MAX_VALUE: usize = 8192;
/// The largest console form body the edge lets through: a few fields, one of them a long text
/// of four-byte characters, each byte percent-encoded.
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// A new random token: 32 bytes, base64url.
pub fn new_token(random: &dyn Random) -> String {
    let mut bytes = [0u8; 32];
    random.fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the store keeps of a session token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The `Set-Cookie` value that gives the browser `token`.
pub fn set_cookie(token: &str) -> String {
    format!("{COOKIE}={token}; Path=/console; HttpOnly; Secure; SameSite=Strict")
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/console; HttpOnly; Secure; SameSite=Strict; Max-Age=0")
}

/// The value of cookie `name` in the request, the first when sent twice.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(cookie, _)| *cookie == name)
        .map(|(_, value)| value.to_owned())
}

/// The session token the request carries, if it looks like one.
pub fn presented_token(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, COOKIE).filter(|t| {
        t.len() == 43
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// The query string as a map (the first of repeated names).
pub fn query_map(parts: &Parts) -> HashMap<String, String> {
    let mut map = HashMap::new();
    if let Some(query) = parts.uri.query()
        && let Ok(pairs) = serde_urlencoded::from_str::<Vec<(String, String)>>(query)
    {
        for (k, v) in pairs {
            map.entry(k).or_insert(v);
        }
    }
    map
}

/// A signed-in operator, for the request at hand.
#[derive(Debug, Clone)]
pub struct Operator {
    pub account: Account,
    pub session: Session,
    pub lang: &'static str,
    pub prefix: Option<String>,
}

impl Operator {
    pub fn may(&self, permission: Permission) -> bool {
        self.account.role.may(permission)
    }

    /// `Ok` when the role has `permission`, else the 403 page.
    pub fn require(&self, permission: Permission) -> Result<(), Refusal> {
        if self.may(permission) {
            Ok(())
        } else {
            Err(Refusal::Forbidden { lang: self.lang })
        }
    }

    /// How the audit log names this operator.
    pub fn actor(&self) -> String {
        format!("account:{}", self.account.name)
    }

    /// The hidden field every form of this session carries.
    pub fn hidden_fields(&self) -> String {
        format!(
            "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
            super::layout::escape(&self.session.csrf_token)
        )
    }

    /// The form's fields, after checking its token against the session's.
    pub fn check_form(&self, body: &[u8]) -> Result<Form, Refusal> {
        let form = Form::parse(body, self.lang)?;
        let sent = form.get("csrf").unwrap_or_default();
        if !tokens_match(sent, &self.session.csrf_token) {
            return Err(Refusal::Csrf { lang: self.lang });
        }
        Ok(form)
    }
}

/// Whether a presented token is `expected`, in time independent of where they differ.
pub fn tokens_match(presented: &str, expected: &str) -> bool {
    let (a, b) = (presented.as_bytes(), expected.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A form body (`application/x-www-form-urlencoded`): at most [`MAX_FIELDS`] fields of at
/// most [`MAX_VALUE`] bytes, each name once.
#[derive(Debug, Default)]
pub struct Form(BTreeMap<String, String>);

impl Form {
    pub fn parse(body: &[u8], lang: &'static str) -> Result<Form, Refusal> {
        let refuse = |field: &str| Refusal::Field {
            lang,
            field: field.to_owned(),
        };
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_bytes(body).map_err(|_| refuse("body"))?;
        if pairs.len() > MAX_FIELDS {
            return Err(refuse("body"));
        }
        let mut map = BTreeMap::new();
        for (name, value) in pairs {
            if value.len() > MAX_VALUE || name.len() > 64 {
                return Err(refuse(&name.chars().take(64).collect::<String>()));
            }
            if map.insert(name.clone(), value).is_some() {
                return Err(refuse(&name));
            }
        }
        Ok(Form(map))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// Field `name`, trimmed, of at most `max` characters and without control characters;
    /// `None` when absent or blank.
    pub fn text(
        &self,
        name: &str,
        max: usize,
        lang: &'static str,
    ) -> Result<Option<String>, Refusal> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        let value = value.trim();
        if value.chars().count() > max
            || value
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err(Refusal::Field {
                lang,
                field: name.to_owned(),
            });
        }
        Ok((!value.is_empty()).then(|| value.to_owned()))
    }

    /// Like [`Form::text`], but the field must be there.
    pub fn required(&self, name: &str, max: usize, lang: &'static str) -> Result<String, Refusal> {
        self.text(name, max, lang)?.ok_or_else(|| Refusal::Missing {
            lang,
            field: name.to_owned(),
        })
    }
}

impl<S> FromRequestParts<S> for Operator
where
    S: Send + Sync,
    Arc<ConsoleState>: FromRef<S>,
{
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Refusal> {
        let console = Arc::<ConsoleState>::from_ref(state);
        let lang = language(&console.sites, &query_map(parts));
        let Some(token) = presented_token(&parts.headers) else {
            return Err(Refusal::SignIn { lang, ended: false });
        };
        let hash = token_hash(&token);
        let store_failed = |source| Refusal::Store { lang, source };
        let Some(session) = console.store.session(&hash).await.map_err(store_failed)? else {
            return Err(Refusal::SignIn { lang, ended: true });
        };
        let now = console.clock.now_ms();
        let policy = console.config.sessions;
        let live = session.stage == SessionStage::Full
            && policy
                .check(session.created_ms, session.last_seen_ms, now)
                .is_ok();
        let account = console
            .store
            .account(&session.account)
            .await
            .map_err(store_failed)?
            .filter(|a| !a.disabled);
        let (true, Some(account)) = (live, account) else {
            console
                .store
                .end_session(&hash)
                .await
                .map_err(store_failed)?;
            return Err(Refusal::SignIn { lang, ended: true });
        };
        // The last use is written at most once a minute: a page view is a read, and the idle
        // timeout is counted in minutes.
        if now - session.last_seen_ms >= TOUCH_EVERY_MS {
            console
                .store
                .touch_session(&hash, now)
                .await
                .map_err(store_failed)?;
        }
        let prefix = parts
            .extensions
            .get::<ClientPrefix>()
            .and_then(|p| p.0.clone());
        Ok(Operator {
            account,
            session,
            lang,
            prefix,
        })
    }
}

/// Middleware: a state-changing request under `/console` must come from the console's own
/// origin. `Sec-Fetch-Site` decides when the browser sends it; otherwise `Origin`, when sent,
/// must name the `Host` the request was made to. Requests with neither (not from a browser)
/// pass on to the form token.
pub async fn same_origin(request: Request, next: Next) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let headers = request.headers();
        let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
        let origin_host = headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .map(|o| o.split_once("://").map_or(o, |(_, host)| host).to_owned());
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        let foreign = match (fetch_site, origin_host) {
            (Some(site), _) => !matches!(site, "same-origin" | "none"),
            (None, Some(origin)) => Some(origin.as_str()) != host,
            (None, None) => false,
        };
        if foreign {
            let lang = request
                .uri()
                .query()
                .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
                .and_then(|pairs| {
                    pairs
                        .into_iter()
                        .find(|(k, _)| k == "lang")
                        .and_then(|(_, v)| LANGUAGES.into_iter().find(|l| *l == v))
                })
                .unwrap_or("en");
            return Refusal::Origin { lang }.into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_well_formed_console_cookie_is_read() {
        let mut headers = HeaderMap::new();
        let token = "A".repeat(43);
        headers.insert(
            header::COOKIE,
            format!("kapsel_consent=x; {COOKIE}={token}")
                .parse()
                .unwrap(),
        );
        assert_eq!(presented_token(&headers), Some(token));
        headers.insert(header::COOKIE, format!("{COOKIE}=short").parse().unwrap());
        assert_eq!(presented_token(&headers), None);
        headers.insert(
            header::COOKIE,
            format!("{COOKIE}={}", "../".repeat(15)).parse().unwrap(),
        );
        assert_eq!(presented_token(&headers), None);
        assert!(set_cookie("t").contains("HttpOnly; Secure; SameSite=Strict"));
        assert!(set_cookie("t").contains("Path=/console"));
    }

    #[test]
    fn forms_refuse_repeated_and_oversized_fields() {
        assert!(Form::parse(b"a=1&b=2", "en").is_ok());
        assert!(matches!(
            Form::parse(b"a=1&a=2", "en"),
            Err(Refusal::Field { field, .. }) if field == "a"
        ));
        let long = format!("a={}", "x".repeat(MAX_VALUE + 1));
        assert!(Form::parse(long.as_bytes(), "en").is_err());
        let form = Form::parse(b"reason=%20ok%20&bad=a%00b", "en").unwrap();
        assert_eq!(
            form.text("reason", 10, "en").unwrap().as_deref(),
            Some("ok")
        );
        assert!(form.text("bad", 10, "en").is_err());
        assert!(form.required("missing", 10, "en").is_err());
    }
}
