//! `GET /console/ledger`: each chain's head (seq and hash) and last signed checkpoint, a
//! verification on demand (`POST /console/ledger/verify`, as `kapsel ledger verify` does it:
//! across checked seals and acknowledged gaps), the export of one site and time range as JSON
//! Lines (`GET /console/ledger/export`, privacy lead and admin), and a receipt's lineage.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt as _;

use kapsel_core::calendar::day_start;
use kapsel_core::consent::is_receipt_id;
use kapsel_core::console::Permission;
use kapsel_store::ledger::counts::DAY_MS;
use kapsel_store::{Checkpoints, ExportFilter, LedgerRead, LedgerVerify};

use super::layout::{escape, page, table, when};
use super::session::Operator;
use super::words::{Words, words};
use super::{ConsoleState, Refusal, html, store_failed};

/// The chains' heads as a table.
async fn heads(console: &ConsoleState, w: &Words, lang: &'static str) -> Result<String, Refusal> {
    let mut rows = Vec::new();
    for chain in console
        .store
        .chain_ids()
        .await
        .map_err(store_failed(lang))?
    {
        let head = console
            .store
            .signable_head(&chain)
            .await
            .map_err(store_failed(lang))?;
        let checkpoint = console
            .store
            .latest_checkpoint(&chain)
            .await
            .map_err(store_failed(lang))?;
        let (seq, hash) = head.map_or((0, String::new()), |(s, h)| (s, h));
        rows.push(vec![
            format!("<code>{}</code>", escape(&chain)),
            seq.to_string(),
            format!("<code>{}</code>", escape(&hash)),
            checkpoint.map_or_else(|| w.never.to_owned(), |c| when(c.signed_at_ms)),
        ]);
    }
    if rows.is_empty() {
        return Ok(format!("<p>{}</p>\n", escape(w.no_chains)));
    }
    Ok(table(
        w.chains,
        &[w.chain, w.records, w.head_hash, w.checkpoint],
        &rows,
    ))
}

fn receipt_form(w: &Words, lang: &str, value: &str) -> String {
    format!(
        "<h2>{title}</h2>\n<form class=\"filters\" method=\"get\" action=\"/console/ledger\">\
         <input type=\"hidden\" name=\"lang\" value=\"{lang}\">\
         <div><label for=\"receipt\">{title}</label><input id=\"receipt\" name=\"receipt\" maxlength=\"26\" \
         size=\"28\" value=\"{value}\" autocomplete=\"off\" spellcheck=\"false\"></div>\
         <div><button>{look_up}</button></div></form>\n",
        title = escape(w.receipt),
        look_up = escape(w.look_up),
        value = escape(value),
    )
}

async fn lineage(
    console: &ConsoleState,
    w: &Words,
    lang: &'static str,
    id: &str,
) -> Result<String, Refusal> {
    if !is_receipt_id(id) {
        return Err(Refusal::Field {
            lang,
            field: "receipt".to_owned(),
        });
    }
    let records = console
        .store
        .receipt_lineage(id)
        .await
        .map_err(store_failed(lang))?;
    if records.is_empty() {
        return Ok(format!(
            "<p class=\"notice\" role=\"status\">{}</p>\n",
            escape(w.no_receipt)
        ));
    }
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            let granted: Vec<&str> = r
                .choice
                .categories
                .iter()
                .filter(|(_, on)| **on)
                .map(|(c, _)| c.as_str())
                .collect();
            vec![
                format!("<code>{}</code>", escape(&r.id)),
                escape(&when(r.recorded_at_ms)),
                escape(r.choice.action.as_str()),
                escape(&r.choice.site),
                format!(
                    "<code>{}</code>",
                    escape(r.choice.revision.get(..12).unwrap_or(&r.choice.revision))
                ),
                escape(&granted.join(", ")),
                format!("<code>{}</code>", escape(&r.hash)),
            ]
        })
        .collect();
    Ok(table(
        w.receipt,
        &[
            w.receipt, w.recorded, w.action, w.site, w.revision, w.granted, "Hash",
        ],
        &rows,
    ))
}

fn export_form(console: &ConsoleState, operator: &Operator, w: &Words) -> String {
    if !operator.may(Permission::ExportLedger) {
        return String::new();
    }
    let lang = operator.lang;
    let mut sites = String::new();
    for site in &console.sites.privacy.sites {
        sites.push_str(&format!(
            "<option value=\"{}\">{}</option>",
            escape(&site.id),
            escape(&site.name)
        ));
    }
    format!(
        "<h2>{export}</h2>\n<p class=\"note\">{note}</p>\n<form class=\"filters\" method=\"get\" action=\"/console/ledger/export\">\
         <input type=\"hidden\" name=\"lang\" value=\"{lang}\">\
         <div><label for=\"export-site\">{site}</label><select id=\"export-site\" name=\"site\">{sites}</select></div>\
         <div><label for=\"export-from\">{from}</label><input id=\"export-from\" name=\"from\" type=\"date\" required></div>\
         <div><label for=\"export-until\">{until}</label><input id=\"export-until\" name=\"until\" type=\"date\" required></div>\
         <div><button>{download}</button></div></form>\n",
        export = escape(w.export),
        note = escape(w.export_note),
        site = escape(w.site),
        from = escape(w.from),
        until = escape(w.until),
        download = escape(w.download),
    )
}

async fn ledger_page(
    console: &ConsoleState,
    operator: &Operator,
    receipt: Option<&str>,
    verdicts: Option<String>,
) -> Result<Response, Refusal> {
    let lang = operator.lang;
    let w = words(lang);
    let mut main = format!("<h1>{}</h1>\n", escape(w.ledger));
    main.push_str(&heads(console, w, lang).await?);
    main.push_str(&format!(
        "<form method=\"post\" action=\"/console/ledger/verify?lang={lang}\">{}<p><button>{}</button></p></form>\n<p class=\"note\">{}</p>\n",
        operator.hidden_fields(),
        escape(w.verify_now),
        escape(w.verify_note),
    ));
    if let Some(verdicts) = verdicts {
        main.push_str(&verdicts);
    }
    main.push_str(&receipt_form(w, lang, receipt.unwrap_or_default()));
    if let Some(id) = receipt {
        main.push_str(&lineage(console, w, lang, id).await?);
    }
    main.push_str(&export_form(console, operator, w));
    Ok(html(
        StatusCode::OK,
        page(operator, "/console/ledger", w.ledger, &main),
    ))
}

pub async fn get_ledger(
    State(console): State<Arc<ConsoleState>>,
    operator: Operator,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, Refusal> {
    operator.require(Permission::SeeEvidence)?;
    let receipt = query
        .get("receipt")
        .map(|r| r.trim())
        .filter(|r| !r.is_empty());
    ledger_page(&console, &operator, receipt, None).await
}

pub async fn post_verify(
    State(console): State<Arc<ConsoleState>>,
    operator: Operator,
    body: Bytes,
) -> Result<Response, Refusal> {
    operator.require(Permission::SeeEvidence)?;
    operator.check_form(&body)?;
    let lang = operator.lang;
    let w = words(lang);
    let keys = kapsel_jobs::ledger_prune::published_keys(&console.store)
        .await
        .map_err(store_failed(lang))?;
    let mut rows = Vec::new();
    let mut broken = 0;
    for chain in console
        .store
        .chain_ids()
        .await
        .map_err(store_failed(lang))?
    {
        let problems = kapsel_jobs::ledger_prune::chain_problems(&console.store, &chain, &keys)
            .await
            .map_err(store_failed(lang))?;
        let verdict = if problems.is_empty() {
            format!("<span class=\"ok\">{}</span>", escape(w.verified))
        } else {
            broken += 1;
            format!(
                "<span class=\"bad\">{}</span>: {}",
                escape(w.broken),
                escape(&problems.join("; "))
            )
        };
        rows.push(vec![format!("<code>{}</code>", escape(&chain)), verdict]);
    }
    console
        .audit(
            &operator.actor(),
            "verify_ledger",
            &format!("{} chains, {broken} broken", rows.len()),
            operator.prefix.as_deref(),
        )
        .await
        .map_err(store_failed(lang))?;
    let verdicts = format!(
        "<div role=\"status\">{}</div>",
        table(w.verify_now, &[w.chain, w.state], &rows)
    );
    ledger_page(&console, &operator, None, Some(verdicts)).await
}

pub async fn get_export(
    State(console): State<Arc<ConsoleState>>,
    operator: Operator,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, Refusal> {
    operator.require(Permission::ExportLedger)?;
    let lang = operator.lang;
    let field = |name: &str| Refusal::Field {
        lang,
        field: name.to_owned(),
    };
    let site = query
        .get("site")
        .filter(|s| console.sites.get(s).is_some())
        .ok_or_else(|| field("site"))?
        .clone();
    let since = query
        .get("from")
        .and_then(|d| day_start(d.trim()))
        .ok_or_else(|| field("from"))?;
    let until = query
        .get("until")
        .and_then(|d| day_start(d.trim()))
        .map(|start| start + DAY_MS)
        .filter(|until| *until > since)
        .ok_or_else(|| field("until"))?;
    console
        .audit(
            &operator.actor(),
            "export_ledger",
            &format!("{site} {}..{}", when(since), when(until)),
            operator.prefix.as_deref(),
        )
        .await
        .map_err(store_failed(lang))?;
    let lines = console
        .store
        .export(ExportFilter {
            site: Some(site.clone()),
            since_ms: Some(since),
            until_ms: Some(until),
        })
        .map(|record| {
            let record = record?;
            let mut line = serde_json::to_vec(&record)
                .map_err(|e| kapsel_store::StoreError::Unavailable(e.to_string()))?;
            line.push(b'\n');
            Ok::<_, kapsel_store::StoreError>(Bytes::from(line))
        });
    let mut response = Body::from_stream(lines).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::try_from(format!(
        "attachment; filename=\"kapsel-ledger-{site}.jsonl\""
    )) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}
