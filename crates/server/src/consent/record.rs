//! `POST /v1/consent`: records a visitor's choice in the ledger and answers `201 Created` with the
//! receipt. The body must be `application/json`; `text/plain` is refused too, because the banner
//! sends with `fetch(…, {keepalive: true})`, which can carry JSON, and needs no `sendBeacon`.
//!
//! Order of checks: rate limit (middleware), content type (415), size (413), JSON (400), schema,
//! privacy-file references and contradictions (422), origin against the site's domains (403),
//! revision (409), previous receipt exists on the same site (422) and its `receipt_secret` is
//! presented (422 when missing, 403 when wrong). Only then is anything written, and a 201 means
//! it is fsync'd. The 201 body carries a fresh `receipt_secret` for the new receipt; the ledger
//! keeps only its hash.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use std::sync::Arc;

use axum::Json;
use axum::response::{IntoResponse, Response};
use kapsel_core::consent::{
    ConsentChoice, Receipt, RecordContext, SiteConsent, proof, receipt_id_at, ua,
};
use kapsel_core::signing::receipt::{ReceiptSignature, receipt_text_of};
use kapsel_store::{AppendRequest, LedgerAppend, LedgerRead};
use serde::Serialize;

use super::body::{ConsentBody, parse_choice};
use crate::error::ApiError;
use crate::extract::ClientPrefix;
use crate::middleware::cors::origin_allowed;
use crate::state::ConsentState;

/// `POST /v1/consent`.
pub async fn post_consent(
    State(state): State<Arc<ConsentState>>,
    client: ClientPrefix,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    require_json(&headers)?;
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge {
                limit: state.body_limit,
            }
        } else {
            ApiError::MalformedJson {
                reason: rejection.body_text(),
            }
        }
    })?;
    let ConsentBody {
        choice,
        receipt_secret,
    } = parse_choice(&body, &state.sites.privacy)?;
    check_origin(&state, &headers, &choice)?;
    check_revision(&state, &choice)?;
    // The scanner's own clicks are answered but never recorded (`scan`).
    if super::scan::is_scan(&headers, state.scan_token.as_ref())? {
        return super::scan::answer_without_recording(&state, &choice);
    }
    check_previous(&state, &choice, receipt_secret.as_deref()).await?;
    let grants = SiteConsent::of(&state.sites.privacy, &choice.site)
        .map(|site| site.grants_beyond_necessary(&choice));
    let context = RecordContext {
        ip_prefix: client.0,
        ua_family: ua::family(
            headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or(""),
        )
        .to_owned(),
    };
    let action = choice.action;
    let site = choice.site.clone();
    // Time-ordered ids keep the ledger's id index growing at its end (smaller group commits).
    let mut randomness = [0u8; 10];
    state.random.fill(&mut randomness);
    let id = receipt_id_at(state.clock.now_ms(), randomness);
    let mut secret = [0u8; 16];
    state.random.fill(&mut secret);
    let receipt_secret = proof::new_secret(secret);
    let mut request = AppendRequest::new(id, choice, context, state.lifetimes);
    request.grants = grants;
    request.secret_hash = Some(proof::secret_hash(&receipt_secret));
    let signed_choice = request.choice.clone();
    let receipt = state.ledger.submit(request).await?;
    let signature = state
        .signer
        .sign(receipt_text_of(&receipt, &signed_choice))
        .await;
    metrics::counter!("kapsel_consent_records_total", "site" => site, "action" => action.as_str())
        .increment(1);
    let location = HeaderValue::try_from(format!("/v1/receipts/{}", receipt.id))
        .map_err(|e| ApiError::internal("the receipt's Location header", e))?;
    let body = Created {
        receipt,
        receipt_secret,
        signature,
    };
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}

/// The `201` body: the receipt, and the secret that proves holding it (only ever sent here).
#[derive(Serialize)]
struct Created {
    #[serde(flatten)]
    receipt: Receipt,
    receipt_secret: String,
    /// The server's signature of the receipt (`super::signer`).
    #[serde(skip_serializing_if = "Option::is_none")]
    signature: Option<ReceiptSignature>,
}

/// A choice that replaces an earlier receipt must name one of the same site, and prove that
/// the client holds it with that receipt's secret: otherwise anyone who learnt a receipt id
/// could write into that visitor's lineage, from any site.
async fn check_previous(
    state: &ConsentState,
    choice: &ConsentChoice,
    secret: Option<&str>,
) -> Result<(), ApiError> {
    let Some(previous) = &choice.previous_receipt else {
        return Ok(());
    };
    let Some(known) = state.records.previous_receipt(previous).await? else {
        return Err(ApiError::field(
            "previous_receipt",
            format!("no receipt {previous:?} is recorded"),
        ));
    };
    if known.site != choice.site {
        return Err(ApiError::field(
            "previous_receipt",
            format!(
                "receipt {previous:?} was made on another site; a choice replaces only a \
                 receipt of its own site"
            ),
        ));
    }
    let Some(secret) = secret else {
        return Err(ApiError::field(
            "receipt_secret",
            "is required with previous_receipt: send the receipt_secret the earlier receipt \
             came with",
        ));
    };
    match known.secret_hash {
        Some(stored) if proof::proves(secret, &stored) => Ok(()),
        _ => Err(ApiError::Forbidden {
            field: "receipt_secret".to_owned(),
            message: format!("is not the secret of receipt {previous:?}"),
        }),
    }
}

/// 415 unless the body is declared `application/json` (parameters such as charset allowed).
fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim);
    match media_type {
        Some(m) if m.eq_ignore_ascii_case("application/json") => Ok(()),
        _ => Err(ApiError::UnsupportedMediaType),
    }
}

/// A browser calling for site A from site B's pages is refused; requests without `Origin`
/// (servers, tests, curl) pass.
fn check_origin(
    state: &ConsentState,
    headers: &HeaderMap,
    choice: &ConsentChoice,
) -> Result<(), ApiError> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let allowed = match (origin.to_str(), state.sites.get(&choice.site)) {
        (Ok(origin), Some(site)) => origin_allowed(origin, site.domains.iter().map(String::as_str)),
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::ForeignOrigin {
            site: choice.site.clone(),
        })
    }
}

fn check_revision(state: &ConsentState, choice: &ConsentChoice) -> Result<(), ApiError> {
    match state.sites.get(&choice.site) {
        Some(site) if site.knows(&choice.revision) => Ok(()),
        _ => Err(ApiError::UnknownRevision {
            site: choice.site.clone(),
            revision: choice.revision.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_type_with_parameters_is_accepted() {
        let mut headers = HeaderMap::new();
        assert!(require_json(&headers).is_err());
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        assert!(require_json(&headers).is_ok());
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert!(require_json(&headers).is_err());
    }
}
