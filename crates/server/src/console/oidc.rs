//! Signing in with OpenID Connect (`[console.oidc]`): the authorization code flow with PKCE,
//! by the `openidconnect` crate (discovery, the token request, the ID token's signature,
//! issuer, audience, expiry and nonce).
//!
//! - `GET /console/oidc/start` discovers the provider, keeps the state's hash, the nonce and
//!   the PKCE verifier in the store (`console_oidc_pending`, used once, 10 minutes), sets the
//!   state in a `SameSite=Lax` cookie scoped to `/console/oidc` (the provider's redirect back
//!   is a cross-site navigation, which a `Strict` cookie would not survive), and redirects.
//! - `GET /console/oidc/callback` checks that the state is the one this browser was given,
//!   takes the pending sign-in, exchanges the code and checks the ID token. The account is the
//!   one named by the configured claim (`email`, which must not be unverified, or
//!   `preferred_username`), from the ID token or else from UserInfo (whose subject must be the
//!   token's); it must exist (`kapsel user add`) and be enabled. A session the browser brought
//!   is ended, as at a password sign-in. The provider
//!   handles second factors; the console's TOTP is not asked again.
//! - The answer is a page that moves on to the overview by itself (`<meta http-equiv=refresh>`,
//!   no script): the `Strict` session cookie is sent from there on, because that navigation
//!   starts on the console's own page.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use kapsel_core::Secret;
use kapsel_store::{Accounts, OidcPending, SessionStage};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};

use super::layout::{bare_page, escape};
use super::session::{cookie_value, new_token, token_hash};
use super::sign_in::{end_presented, open, with_cookie};
use super::words::words;
use super::{ConsoleState, LANGUAGES, Refusal, html, language};
use crate::extract::ClientPrefix;

/// The cookie that ties the provider's answer to the browser that asked.
const STATE_COOKIE: &str = "kapsel_console_oidc";
/// How long a sign-in at the provider may take.
const PENDING_MS: i64 = 10 * 60 * 1000;

/// Which claim names the console account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AccountClaim {
    #[default]
    Email,
    PreferredUsername,
}

/// `[console.oidc]`, checked.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<Secret>,
    /// `https://console.example.no/console/oidc/callback`, as registered at the provider.
    pub redirect_url: String,
    pub claim: AccountClaim,
    /// The provider's name on the sign-in button ("ID-porten", "Entra ID").
    pub label: String,
}

fn refused(lang: &'static str, why: &str) -> Response {
    let w = words(lang);
    let main = format!(
        "<h1>{}</h1>\n<p class=\"alert\" role=\"alert\">{}</p>\n<p><a href=\"/console/sign-in?lang={lang}\">{}</a></p>\n",
        escape(w.sign_in),
        escape(why),
        escape(w.sign_in),
    );
    html(StatusCode::FORBIDDEN, bare_page(lang, w.sign_in, &main))
}

fn http_client() -> Result<openidconnect::reqwest::Client, String> {
    openidconnect::reqwest::ClientBuilder::new()
        // The crate's advice: no redirects, so a provider cannot point the server elsewhere.
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())
}

async fn metadata(
    config: &OidcConfig,
    http: &openidconnect::reqwest::Client,
) -> Result<CoreProviderMetadata, String> {
    let issuer = IssuerUrl::new(config.issuer.clone()).map_err(|e| e.to_string())?;
    CoreProviderMetadata::discover_async(issuer, http)
        .await
        .map_err(|e| format!("discovery at {} failed: {e}", config.issuer))
}

pub async fn get_start(
    State(console): State<Arc<ConsoleState>>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, Refusal> {
    let lang = language(&console.sites, &query);
    let Some(config) = &console.config.oidc else {
        return Err(Refusal::NotFound { lang });
    };
    let w = words(lang);
    let started = async {
        let http = http_client()?;
        let metadata = metadata(config, &http).await?;
        let redirect = RedirectUrl::new(config.redirect_url.clone()).map_err(|e| e.to_string())?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(config.client_id.clone()),
            config
                .client_secret
                .as_ref()
                .map(|s| ClientSecret::new(s.expose().to_owned())),
        )
        .set_redirect_uri(redirect);
        let random = console.random.as_ref();
        let state = new_token(random);
        let nonce = new_token(random);
        let verifier = PkceCodeVerifier::new(new_token(random));
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
        let scope = match config.claim {
            AccountClaim::Email => "email",
            AccountClaim::PreferredUsername => "profile",
        };
        let (url, _, _) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                {
                    let state = state.clone();
                    move || CsrfToken::new(state)
                },
                {
                    let nonce = nonce.clone();
                    move || Nonce::new(nonce)
                },
            )
            .add_scope(Scope::new(scope.to_owned()))
            .set_pkce_challenge(challenge)
            .url();
        Ok::<_, String>((url, state, nonce, verifier.secret().clone()))
    }
    .await;
    let (url, state, nonce, verifier) = match started {
        Ok(started) => started,
        Err(why) => {
            tracing::warn!(error = %why, "console: OpenID Connect sign-in could not start");
            return Ok(refused(lang, w.oidc_unavailable));
        }
    };
    console
        .store
        .save_oidc_pending(&OidcPending {
            state_hash: token_hash(&state),
            nonce,
            verifier,
            lang: lang.to_owned(),
            created_ms: console.clock.now_ms(),
        })
        .await
        .map_err(|source| Refusal::Store { lang, source })?;
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(location) = HeaderValue::try_from(url.as_str()) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(with_cookie(
        response,
        &format!(
            "{STATE_COOKIE}={state}; Path=/console/oidc; HttpOnly; Secure; SameSite=Lax; Max-Age=600"
        ),
    ))
}

/// The account's name from the claims (of the ID token or of UserInfo): `None` when the claim
/// is not there, `Some(Err)` when the provider says the e-mail address is not verified.
fn account_claim(
    claim: AccountClaim,
    email: Option<&openidconnect::EndUserEmail>,
    email_verified: Option<bool>,
    username: Option<&openidconnect::EndUserUsername>,
) -> Option<Result<String, String>> {
    match claim {
        AccountClaim::Email => {
            let email = email?;
            if email_verified == Some(false) {
                Some(Err(
                    "the provider says the e-mail address is not verified".to_owned()
                ))
            } else {
                Some(Ok(email.as_str().to_owned()))
            }
        }
        AccountClaim::PreferredUsername => username.map(|u| Ok(u.as_str().to_owned())),
    }
}

pub async fn get_callback(
    State(console): State<Arc<ConsoleState>>,
    ClientPrefix(prefix): ClientPrefix,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let fallback = language(&console.sites, &HashMap::new());
    let Some(config) = &console.config.oidc else {
        return Err(Refusal::NotFound { lang: fallback });
    };
    let prefix = prefix.as_deref();
    let (Some(state), Some(cookie)) = (query.get("state"), cookie_value(&headers, STATE_COOKIE))
    else {
        return Ok(refused(fallback, words(fallback).oidc_refused));
    };
    if state.len() != cookie.len() || token_hash(state) != token_hash(&cookie) {
        return Ok(refused(fallback, words(fallback).oidc_refused));
    }
    let pending = console
        .store
        .take_oidc_pending(&token_hash(state))
        .await
        .map_err(|source| Refusal::Store {
            lang: fallback,
            source,
        })?;
    let Some(pending) = pending else {
        return Ok(refused(fallback, words(fallback).oidc_refused));
    };
    let lang = LANGUAGES
        .into_iter()
        .find(|l| *l == pending.lang)
        .unwrap_or(fallback);
    let w = words(lang);
    let now = console.clock.now_ms();
    if now - pending.created_ms > PENDING_MS {
        return Ok(refused(lang, w.session_ended));
    }
    if query.contains_key("error") {
        return Ok(refused(lang, w.oidc_refused));
    }
    let Some(code) = query.get("code") else {
        return Ok(refused(lang, w.oidc_refused));
    };
    let clock = console.clock.clone();
    // Err((whether the provider could not be reached, why)).
    let identity = async {
        let unreachable = |why: String| (true, why);
        let refused_because = |why: String| (false, why);
        let http = http_client().map_err(unreachable)?;
        let metadata = metadata(config, &http).await.map_err(unreachable)?;
        let redirect = RedirectUrl::new(config.redirect_url.clone())
            .map_err(|e| refused_because(e.to_string()))?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(config.client_id.clone()),
            config
                .client_secret
                .as_ref()
                .map(|s| ClientSecret::new(s.expose().to_owned())),
        )
        .set_redirect_uri(redirect);
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.clone()))
            .map_err(|e| refused_because(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
            .request_async(&http)
            .await
            .map_err(|e| refused_because(format!("the token request failed: {e}")))?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| refused_because("the provider sent no ID token".to_owned()))?;
        let verifier = client.id_token_verifier().set_time_fn(move || {
            chrono::DateTime::<chrono::Utc>::from_timestamp_millis(clock.now_ms())
                .unwrap_or_default()
        });
        let claims = id_token
            .claims(&verifier, &Nonce::new(pending.nonce.clone()))
            .map_err(|e| refused_because(format!("the ID token does not verify: {e}")))?;
        let from_token = account_claim(
            config.claim,
            claims.email(),
            claims.email_verified(),
            claims.preferred_username(),
        );
        let claim = match from_token {
            Some(claim) => claim,
            // OpenID Connect Core 5.4: a provider may give the scope's claims at UserInfo only.
            None => {
                let info: CoreUserInfoClaims = client
                    .user_info(
                        tokens.access_token().clone(),
                        Some(claims.subject().clone()),
                    )
                    .map_err(|e| refused_because(format!("no UserInfo endpoint: {e}")))?
                    .request_async(&http)
                    .await
                    .map_err(|e| refused_because(format!("the UserInfo request failed: {e}")))?;
                account_claim(
                    config.claim,
                    info.email(),
                    info.email_verified(),
                    info.preferred_username(),
                )
                .ok_or_else(|| {
                    refused_because(
                        "neither the ID token nor UserInfo names the account".to_owned(),
                    )
                })?
            }
        };
        claim.map_err(refused_because)
    }
    .await;
    let name = match identity {
        Ok(name) => kapsel_store::accounts::account_name(&name),
        Err((unreachable, why)) => {
            tracing::warn!(error = %why, "console: OpenID Connect sign-in refused");
            console
                .audit("oidc", "sign_in_refused", &why, prefix)
                .await
                .map_err(|source| Refusal::Store { lang, source })?;
            let words_for = if unreachable {
                w.oidc_unavailable
            } else {
                w.oidc_refused
            };
            return Ok(refused(lang, words_for));
        }
    };
    let account = console
        .store
        .account(&name)
        .await
        .map_err(|source| Refusal::Store { lang, source })?
        .filter(|a| !a.disabled);
    let Some(account) = account else {
        console
            .audit(
                &format!("oidc:{name}"),
                "sign_in_refused",
                "no account",
                prefix,
            )
            .await
            .map_err(|source| Refusal::Store { lang, source })?;
        return Ok(refused(lang, w.oidc_no_account));
    };
    end_presented(&console, &headers, lang).await?;
    let (token, _) = open(&console, &account.name, SessionStage::Full, prefix, lang).await?;
    console
        .audit(
            &format!("account:{}", account.name),
            "sign_in",
            "oidc",
            prefix,
        )
        .await
        .map_err(|source| Refusal::Store { lang, source })?;
    let main = format!(
        "<h1>{}</h1>\n<p role=\"status\"><a href=\"/console?lang={lang}\">{}</a></p>\n",
        escape(w.sign_in),
        escape(w.overview),
    );
    let page = bare_page(lang, w.sign_in, &main).replacen(
        "<meta name=\"referrer\" content=\"no-referrer\">",
        &format!(
            "<meta name=\"referrer\" content=\"no-referrer\">\n<meta http-equiv=\"refresh\" content=\"0;url=/console?lang={lang}\">"
        ),
        1,
    );
    let response = with_cookie(
        html(StatusCode::OK, page),
        &super::session::set_cookie(&token),
    );
    Ok(with_cookie(
        response,
        &format!("{STATE_COOKIE}=; Path=/console/oidc; HttpOnly; Secure; SameSite=Lax; Max-Age=0"),
    ))
}
