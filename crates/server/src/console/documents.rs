//! `GET /console/documents`: the generated documents of every site, as visitors see them, and
//! the record of processing to download (`/console/documents/ropa?format=csv|json`);
//! `GET /console/privacy-file`: the privacy file read-only, its validation state and each
//! site's revision (and `?download=1` for the file itself); `GET /console/audit`: the
//! console's audit log with its verification (privacy lead and admin).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use kapsel_core::Lang;
use kapsel_core::console::Permission;
use kapsel_publish::record_of_processing;
use kapsel_store::AuditLog;

use super::layout::{escape, page, table, when};
use super::session::Operator;
use super::words::words;
use super::{ConsoleState, Refusal, html};

/// The privacy file's language nearest to the console's: the same one when declared.
fn document_lang(console: &ConsoleState, lang: &str) -> Lang {
    let file = &console.sites.privacy;
    file.declared_language(lang)
        .or_else(|| file.languages.first())
        .cloned()
        .unwrap_or_else(|| Lang::new(lang))
}

fn download(body: String, content_type: &'static str, filename: &str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::try_from(format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

pub async fn get_documents(
    State(console): State<Arc<ConsoleState>>,
    operator: Operator,
) -> Result<Response, Refusal> {
    operator.require(Permission::SeeEvidence)?;
    let lang = operator.lang;
    let w = words(lang);
    let doc_lang = document_lang(&console, lang);
    let dl = escape(doc_lang.as_str());
    let mut main = format!(
        "<h1>{}</h1>\n<p>{}</p>\n",
        escape(w.documents),
        escape(w.documents_intro)
    );
    let rows: Vec<Vec<String>> = console
        .sites
        .privacy
        .sites
        .iter()
        .map(|site| {
            let id = escape(&site.id);
            vec![
                escape(&site.name),
                format!(
                    "<a href=\"/sites/{id}/cookies?lang={dl}\">{}</a>",
                    escape(w.cookie_declaration)
                ),
                format!(
                    "<a href=\"/sites/{id}/privacy?lang={dl}\">{}</a>",
                    escape(w.privacy_notice)
                ),
                format!(
                    "<a href=\"/sites/{id}/changes?lang={dl}\">{}</a>",
                    escape(w.change_log)
                ),
            ]
        })
        .collect();
    main.push_str(&table(
        w.documents,
        &[w.site, w.cookie_declaration, w.privacy_notice, w.change_log],
        &rows,
    ));
    main.push_str(&format!(
        "<h2>{ropa}</h2>\n<ul><li><a href=\"/console/documents/ropa?lang={lang}&amp;format=csv\" download>{ropa} (CSV)</a></li>\
         <li><a href=\"/console/documents/ropa?lang={lang}&amp;format=json\" download>{ropa} (JSON)</a></li></ul>\n",
        ropa = escape(w.ropa),
    ));
    Ok(html(
        StatusCode::OK,
        page(&operator, "/console/documents", w.documents, &main),
    ))
}

pub async fn get_ropa(
    State(console): State<Arc<ConsoleState>>,
    operator: Operator,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, Refusal> {
    operator.require(Permission::SeeEvidence)?;
    let lang = operator.lang;
    let doc_lang = document_lang(&console, lang);
    let record =
        record_of_processing(&console.sites.privacy, &doc_lang).map_err(|e| Refusal::Store {
            lang,
            source: kapsel_store::StoreError::Unavailable(e.to_string()),
        })?;
    let response = match query.get("format").map(String::as_str) {
        Some("csv") | None => download(record.to_csv(), "text/csv; charset=utf-8", "ropa.csv"),
        Some("json") => download(
            serde_json::to_string_pretty(&record).unwrap_or_default(),
            "application/json",
            "ropa.json",
        ),
        Some(_) => {
            return Err(Refusal::Field {
                lang,
                field: "format".to_owned(),
            });
        }
    };
    console
        .audit(
            &operator.actor(),
            "export_ropa",
            "",
            operator.prefix.as_deref(),
        )
        .await
        .map_err(|source| Refusal::Store { lang, source })?;
    Ok(response)
}

pub async fn get_privacy_file(
    State(console): State<Arc<ConsoleState>>,
    operator: Operator,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, Refusal> {
    operator.require(Permission::SeeEvidence)?;
    let lang = operator.lang;
    let w = words(lang);
    let source = console.config.privacy_source.as_ref();
    if query.contains_key("download") {
        let Some((path, text)) = source else {
            return Err(Refusal::NotFound { lang });
        };
        let name = std::path::Path::new(path)
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| {
                n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            })
            .unwrap_or("kapsel.toml");
        return Ok(download(
            text.clone(),
            "application/toml; charset=utf-8",
            name,
        ));
    }
    let mut main = format!(
        "<h1>{}</h1>\n<p class=\"notice\">{}</p>\n<p class=\"ok\">{}</p>\n",
        escape(w.privacy_file),
        escape(w.file_intro),
        escape(w.file_valid),
    );
    let rows: Vec<Vec<String>> = console
        .sites
        .privacy
        .sites
        .iter()
        .map(|site| {
            vec![
                escape(&site.name),
                format!(
                    "<code>{}</code>",
                    escape(console.sites.current_revision(&site.id).unwrap_or_default())
                ),
            ]
        })
        .collect();
    main.push_str(&table(
        w.current_revision,
        &[w.site, w.current_revision],
        &rows,
    ));
    match source {
        Some((path, text)) => main.push_str(&format!(
            "<h2><code>{}</code></h2>\n<p><a href=\"/console/privacy-file?lang={lang}&amp;download=1\" download>{}</a></p>\n\
             <pre tabindex=\"0\" aria-label=\"{}\">{}</pre>\n",
            escape(path),
            escape(w.download),
            escape(w.privacy_file),
            escape(text),
        )),
        None => main.push_str(&format!("<p>{}</p>\n", escape(w.file_source_missing))),
    }
    Ok(html(
        StatusCode::OK,
        page(&operator, "/console/privacy-file", w.privacy_file, &main),
    ))
}

pub async fn get_audit(
    State(console): State<Arc<ConsoleState>>,
    operator: Operator,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, Refusal> {
    operator.require(Permission::SeeAudit)?;
    let lang = operator.lang;
    let w = words(lang);
    let before = match query.get("before") {
        Some(b) => Some(b.parse::<i64>().map_err(|_| Refusal::Field {
            lang,
            field: "before".to_owned(),
        })?),
        None => None,
    };
    let store_failed = |source| Refusal::Store { lang, source };
    let verdict = console.store.verify_audit().await.map_err(store_failed)?;
    let entries = console
        .store
        .audit_page(before, 100)
        .await
        .map_err(store_failed)?;
    let mut main = format!(
        "<h1>{}</h1>\n<p>{}</p>\n",
        escape(w.audit),
        escape(w.audit_intro)
    );
    match &verdict.broken {
        None => main.push_str(&format!(
            "<p class=\"ok\">{} ({} {}; {} <code>{}</code>)</p>\n",
            escape(w.audit_whole),
            verdict.entries,
            escape(w.records),
            escape(w.head_hash),
            escape(verdict.head.as_ref().map_or("", |h| h.1.as_str())),
        )),
        Some(broken) => main.push_str(&format!(
            "<p class=\"bad\" role=\"alert\">{}: {}</p>\n",
            escape(w.audit_broken),
            escape(&broken.to_string())
        )),
    }
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            vec![
                e.seq.to_string(),
                escape(&when(e.at_ms)),
                escape(&e.actor),
                escape(&e.action),
                escape(&e.target),
                escape(e.prefix.as_deref().unwrap_or("")),
            ]
        })
        .collect();
    main.push_str(&table(
        w.audit,
        &["#", w.when, w.who, w.what, w.target, w.address],
        &rows,
    ));
    if let Some(last) = entries.last().filter(|e| e.seq > 1) {
        main.push_str(&format!(
            "<p><a href=\"/console/audit?lang={lang}&amp;before={}\">{}</a></p>\n",
            last.seq,
            escape(w.older)
        ));
    }
    Ok(html(
        StatusCode::OK,
        page(&operator, "/console/audit", w.audit, &main),
    ))
}
