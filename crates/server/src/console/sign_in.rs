//! Signing in and out.
//!
//! - `POST /console/sign-in` checks the name and password (argon2id). Before checking, the
//!   failures of the last 15 minutes under the typed name and under the address prefix are
//!   counted (`ThrottlePolicy`); past either limit the answer is 429 without checking. An
//!   unknown name, a disabled account and a wrong password get the same 401 page after the
//!   same work, and count the same failure, so the answers tell nothing about which names
//!   exist.
//! - With a TOTP secret, the right password opens a pending session (5 minutes) that only
//!   `/console/sign-in/code` accepts; the right code replaces it with a full session under a
//!   new token. A session is never carried over from before sign-in (no fixation): every
//!   sign-in ends the session the browser presented and issues a new token.
//! - `POST /console/sign-out` ends this session, `/console/sign-out-everywhere` every session
//!   of the account. Every attempt and outcome goes to the audit log.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use kapsel_core::console::password;
use kapsel_core::console::session::{account_key, prefix_key};
use kapsel_core::console::totp;
use kapsel_store::{Accounts, Session, SessionStage};

use super::layout::{bare_page, escape};
use super::session::{
    Form, Operator, clear_cookie, new_token, presented_token, set_cookie, token_hash,
};
use super::words::{Words, words};
use super::{ConsoleState, Refusal, html, language, see_other};
use crate::extract::ClientPrefix;

/// The longest account name the form takes.
const MAX_NAME: usize = 64;

pub(super) fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(value) = HeaderValue::try_from(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

fn sign_in_form(
    console: &ConsoleState,
    lang: &str,
    w: &Words,
    name: &str,
    alert: Option<&str>,
    notice: Option<&str>,
) -> String {
    let oidc = console.config.oidc.as_ref().map_or(String::new(), |oidc| {
        format!(
            "<p><a class=\"button\" href=\"/console/oidc/start?lang={lang}\">{}</a></p>\n",
            escape(&w.sign_in_with.replace("{provider}", &oidc.label))
        )
    });
    let alert = alert.map_or(String::new(), |a| {
        format!("<p class=\"alert\" role=\"alert\">{}</p>\n", escape(a))
    });
    let notice = notice.map_or(String::new(), |n| {
        format!("<p class=\"notice\" role=\"status\">{}</p>\n", escape(n))
    });
    let main = format!(
        "<h1>{title}</h1>\n{notice}{alert}<form class=\"stack\" method=\"post\" action=\"/console/sign-in?lang={lang}\">\
         <label for=\"name\">{name_label}</label>\
         <input id=\"name\" name=\"name\" autocomplete=\"username\" required maxlength=\"{MAX_NAME}\" value=\"{name}\">\
         <label for=\"password\">{password_label}</label>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
         <p><button>{title}</button></p></form>\n{oidc}",
        title = escape(w.sign_in),
        name_label = escape(w.name),
        password_label = escape(w.password),
        name = escape(name),
    );
    bare_page(lang, w.sign_in, &main)
}

fn code_form(lang: &str, w: &Words, csrf: &str, alert: Option<&str>) -> String {
    let alert = alert.map_or(String::new(), |a| {
        format!("<p class=\"alert\" role=\"alert\">{}</p>\n", escape(a))
    });
    let main = format!(
        "<h1>{heading}</h1>\n{alert}<form class=\"stack\" method=\"post\" action=\"/console/sign-in/code?lang={lang}\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label for=\"code\">{code}</label><p class=\"note\" id=\"code-hint\">{hint}</p>\
         <input id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" \
         pattern=\"[0-9]{{6}}\" maxlength=\"6\" required aria-describedby=\"code-hint\">\
         <p><button>{confirm}</button></p></form>\n",
        heading = escape(w.code_heading),
        code = escape(w.code),
        hint = escape(w.code_hint),
        confirm = escape(w.confirm),
        csrf = escape(csrf),
    );
    bare_page(lang, w.code_heading, &main)
}

pub async fn get_sign_in(
    State(console): State<Arc<ConsoleState>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let lang = language(&console.sites, &query);
    let w = words(lang);
    let notice = if query.contains_key("ended") {
        Some(w.session_ended)
    } else if query.contains_key("everywhere") {
        Some(w.signed_out_everywhere)
    } else if query.contains_key("signed_out") {
        Some(w.signed_out)
    } else {
        None
    };
    html(
        StatusCode::OK,
        sign_in_form(&console, lang, w, "", None, notice),
    )
}

/// Whether the typed name and this prefix may try again now.
async fn throttled(
    console: &ConsoleState,
    name: &str,
    prefix: Option<&str>,
    lang: &'static str,
) -> Result<bool, Refusal> {
    let since = console.config.throttle.window_start(console.clock.now_ms());
    let account = console
        .store
        .failures_since(&account_key(name), since)
        .await
        .map_err(|source| Refusal::Store { lang, source })?;
    let address = console
        .store
        .failures_since(&prefix_key(prefix), since)
        .await
        .map_err(|source| Refusal::Store { lang, source })?;
    Ok(!console.config.throttle.allows(account, address))
}

async fn fail(
    console: &ConsoleState,
    name: &str,
    prefix: Option<&str>,
    why: &str,
    lang: &'static str,
) -> Result<(), Refusal> {
    let store_failed = |source| Refusal::Store { lang, source };
    console
        .store
        .record_failure(
            &[account_key(name), prefix_key(prefix)],
            console.clock.now_ms(),
        )
        .await
        .map_err(store_failed)?;
    console
        .audit(&format!("unknown:{name}"), why, "", prefix)
        .await
        .map_err(store_failed)
}

/// Opens a session of `stage` for `account` under a new token: the response's cookie.
pub(super) async fn open(
    console: &ConsoleState,
    account: &str,
    stage: SessionStage,
    prefix: Option<&str>,
    lang: &'static str,
) -> Result<(String, Session), Refusal> {
    let token = new_token(console.random.as_ref());
    let now = console.clock.now_ms();
    let session = Session {
        token_hash: token_hash(&token),
        account: account.to_owned(),
        stage,
        csrf_token: new_token(console.random.as_ref()),
        created_ms: now,
        last_seen_ms: now,
        prefix: prefix.map(str::to_owned),
    };
    console
        .store
        .open_session(&session)
        .await
        .map_err(|source| Refusal::Store { lang, source })?;
    Ok((token, session))
}

/// Ends the session the browser presented, if any: a sign-in never continues one.
pub(super) async fn end_presented(
    console: &ConsoleState,
    headers: &HeaderMap,
    lang: &'static str,
) -> Result<(), Refusal> {
    if let Some(token) = presented_token(headers) {
        console
            .store
            .end_session(&token_hash(&token))
            .await
            .map_err(|source| Refusal::Store { lang, source })?;
    }
    Ok(())
}

pub async fn post_sign_in(
    State(console): State<Arc<ConsoleState>>,
    ClientPrefix(prefix): ClientPrefix,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let lang = language(&console.sites, &query);
    let w = words(lang);
    let prefix = prefix.as_deref();
    let form = Form::parse(&body, lang)?;
    let name = form.required("name", MAX_NAME, lang)?;
    let typed = form.get("password").unwrap_or_default();
    // No password this long is ever set, so none can match: refused before anything is counted
    // (the same for every name, so it says nothing about accounts).
    if typed.len() > kapsel_core::console::password::MAX_BYTES {
        return Err(Refusal::Field {
            lang,
            field: "password".to_owned(),
        });
    }
    let name = kapsel_store::accounts::account_name(&name);
    if throttled(&console, &name, prefix, lang).await? {
        return throttled_answer(&console, &format!("unknown:{name}"), &name, prefix, lang).await;
    }
    let account = console
        .store
        .account(&name)
        .await
        .map_err(|source| Refusal::Store { lang, source })?;
    let accepted = match &account {
        Some(a) => password::verify(typed, &a.password_hash) && !a.disabled,
        None => {
            password::verify_unknown(typed);
            false
        }
    };
    let Some(account) = account.filter(|_| accepted) else {
        fail(&console, &name, prefix, "sign_in_refused", lang).await?;
        return Ok(html(
            StatusCode::UNAUTHORIZED,
            sign_in_form(&console, lang, w, &name, Some(w.wrong_credentials), None),
        ));
    };
    end_presented(&console, &headers, lang).await?;
    if account.totp_secret.is_some() {
        let (token, _) = open(&console, &account.name, SessionStage::Pending, prefix, lang).await?;
        return Ok(with_cookie(
            see_other(&format!("/console/sign-in/code?lang={lang}")),
            &set_cookie(&token),
        ));
    }
    let (token, _) = open(&console, &account.name, SessionStage::Full, prefix, lang).await?;
    console
        .audit(&format!("account:{}", account.name), "sign_in", "", prefix)
        .await
        .map_err(|source| Refusal::Store { lang, source })?;
    Ok(with_cookie(
        see_other(&format!("/console?lang={lang}")),
        &set_cookie(&token),
    ))
}

/// The pending session the browser presents, if it is still valid.
async fn pending(
    console: &ConsoleState,
    headers: &HeaderMap,
    lang: &'static str,
) -> Result<Option<Session>, Refusal> {
    let Some(token) = presented_token(headers) else {
        return Ok(None);
    };
    let session = console
        .store
        .session(&token_hash(&token))
        .await
        .map_err(|source| Refusal::Store { lang, source })?;
    Ok(session.filter(|s| {
        s.stage == SessionStage::Pending
            && console
                .config
                .sessions
                .check_pending(s.created_ms, console.clock.now_ms())
                .is_ok()
    }))
}

pub async fn get_code(
    State(console): State<Arc<ConsoleState>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let lang = language(&console.sites, &query);
    let Some(session) = pending(&console, &headers, lang).await? else {
        return Err(Refusal::SignIn { lang, ended: true });
    };
    Ok(html(
        StatusCode::OK,
        code_form(lang, words(lang), &session.csrf_token, None),
    ))
}

/// The 429 sign-in page for a throttled name, recorded in the audit log as `actor`.
async fn throttled_answer(
    console: &ConsoleState,
    actor: &str,
    name: &str,
    prefix: Option<&str>,
    lang: &'static str,
) -> Result<Response, Refusal> {
    console
        .audit(actor, "sign_in_throttled", "", prefix)
        .await
        .map_err(|source| Refusal::Store { lang, source })?;
    let w = words(lang);
    Ok(html(
        StatusCode::TOO_MANY_REQUESTS,
        sign_in_form(console, lang, w, name, Some(w.throttled), None),
    ))
}

pub async fn post_code(
    State(console): State<Arc<ConsoleState>>,
    ClientPrefix(prefix): ClientPrefix,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let lang = language(&console.sites, &query);
    let w = words(lang);
    let prefix = prefix.as_deref();
    let store_failed = |source| Refusal::Store { lang, source };
    let Some(session) = pending(&console, &headers, lang).await? else {
        return Err(Refusal::SignIn { lang, ended: true });
    };
    let form = Form::parse(&body, lang)?;
    if !super::session::tokens_match(form.get("csrf").unwrap_or_default(), &session.csrf_token) {
        return Err(Refusal::Csrf { lang });
    }
    // A code is six digits; anything much longer is no attempt at one and is not counted.
    if form.get("code").is_some_and(|code| code.len() > 32) {
        return Err(Refusal::Field {
            lang,
            field: "code".to_owned(),
        });
    }
    let name = session.account.clone();
    if throttled(&console, &name, prefix, lang).await? {
        console
            .store
            .end_session(&session.token_hash)
            .await
            .map_err(store_failed)?;
        return throttled_answer(&console, &format!("account:{name}"), &name, prefix, lang).await;
    }
    let account = console.store.account(&name).await.map_err(store_failed)?;
    let now = console.clock.now_ms();
    let step = account.as_ref().filter(|a| !a.disabled).and_then(|a| {
        let secret = a.totp_secret.as_deref()?;
        totp::verify(
            secret,
            form.get("code").unwrap_or_default(),
            now,
            a.totp_last_step,
        )
    });
    let used = match step {
        Some(step) => console
            .store
            .use_totp_step(&name, step)
            .await
            .map_err(store_failed)?,
        None => false,
    };
    if !used {
        fail(&console, &name, prefix, "sign_in_code_refused", lang).await?;
        return Ok(html(
            StatusCode::UNAUTHORIZED,
            code_form(lang, w, &session.csrf_token, Some(w.wrong_code)),
        ));
    }
    console
        .store
        .end_session(&session.token_hash)
        .await
        .map_err(store_failed)?;
    let (token, _) = open(&console, &name, SessionStage::Full, prefix, lang).await?;
    console
        .audit(&format!("account:{name}"), "sign_in", "totp", prefix)
        .await
        .map_err(store_failed)?;
    Ok(with_cookie(
        see_other(&format!("/console?lang={lang}")),
        &set_cookie(&token),
    ))
}

pub async fn post_sign_out(
    State(console): State<Arc<ConsoleState>>,
    operator: Operator,
    body: Bytes,
) -> Result<Response, Refusal> {
    let lang = operator.lang;
    operator.check_form(&body)?;
    let store_failed = |source| Refusal::Store { lang, source };
    console
        .store
        .end_session(&operator.session.token_hash)
        .await
        .map_err(store_failed)?;
    console
        .audit(
            &operator.actor(),
            "sign_out",
            "",
            operator.prefix.as_deref(),
        )
        .await
        .map_err(store_failed)?;
    Ok(with_cookie(
        see_other(&format!("/console/sign-in?lang={lang}&signed_out=1")),
        &clear_cookie(),
    ))
}

pub async fn post_sign_out_everywhere(
    State(console): State<Arc<ConsoleState>>,
    operator: Operator,
    body: Bytes,
) -> Result<Response, Refusal> {
    let lang = operator.lang;
    operator.check_form(&body)?;
    let store_failed = |source| Refusal::Store { lang, source };
    let ended = console
        .store
        .end_sessions_of(&operator.account.name)
        .await
        .map_err(store_failed)?;
    console
        .audit(
            &operator.actor(),
            "sign_out_everywhere",
            &format!("{ended} sessions"),
            operator.prefix.as_deref(),
        )
        .await
        .map_err(store_failed)?;
    Ok(with_cookie(
        see_other(&format!("/console/sign-in?lang={lang}&everywhere=1")),
        &clear_cookie(),
    ))
}
