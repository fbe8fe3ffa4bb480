//! `GET /console/revisions?site=&from=&to=`: the revisions a site has published (each the
//! hash of what a visitor's consent depends on), and what changed for visitors between any two
//! of them, in the words of the public change log (`kapsel_publish::change_log`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use kapsel_core::Lang;
use kapsel_core::console::Permission;
use kapsel_publish::{ChangeLogRevision, change_log, file_from_projection};
use kapsel_store::RevisionStore;

use super::layout::{escape, page, table, when};
use super::session::Operator;
use super::words::words;
use super::{ConsoleState, Refusal, html};

pub async fn get_revisions(
    State(console): State<Arc<ConsoleState>>,
    operator: Operator,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, Refusal> {
    operator.require(Permission::SeeEvidence)?;
    let lang = operator.lang;
    let w = words(lang);
    let field = |name: &str| Refusal::Field {
        lang,
        field: name.to_owned(),
    };
    let privacy = &console.sites.privacy;
    let site = match query.get("site").filter(|s| !s.is_empty()) {
        Some(id) => privacy.site(id).ok_or_else(|| field("site"))?,
        None => privacy.sites.first().ok_or_else(|| field("site"))?,
    };
    let stored = console
        .store
        .revisions(&site.id)
        .await
        .map_err(|source| Refusal::Store { lang, source })?;
    let current = console.sites.current_revision(&site.id).unwrap_or_default();
    let pick = |name: &str, default: Option<&str>| -> Result<Option<usize>, Refusal> {
        match query
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
            .or(default)
        {
            None => Ok(None),
            Some(v) => stored
                .iter()
                .position(|r| r.revision == v)
                .map(Some)
                .ok_or_else(|| field(name)),
        }
    };
    let newest = stored.last().map(|r| r.revision.as_str());
    let before_newest = stored
        .len()
        .checked_sub(2)
        .and_then(|i| stored.get(i))
        .map(|r| r.revision.as_str());
    let to = pick("to", newest)?;
    let from = pick("from", before_newest)?;

    let mut main = format!(
        "<h1>{} – {}</h1>\n",
        escape(w.revisions),
        escape(&site.name)
    );
    let rows: Vec<Vec<String>> = stored
        .iter()
        .rev()
        .map(|r| {
            let mark = if r.revision == current {
                format!(" ({})", escape(w.current_revision))
            } else {
                String::new()
            };
            vec![
                format!("<code>{}</code>{mark}", escape(&r.revision)),
                escape(&when(r.first_published_ms)),
            ]
        })
        .collect();
    main.push_str(&table(w.revisions, &[w.revision, w.published], &rows));

    let options = |chosen: Option<usize>| -> String {
        stored
            .iter()
            .enumerate()
            .rev()
            .map(|(i, r)| {
                let selected = if Some(i) == chosen { " selected" } else { "" };
                format!(
                    "<option value=\"{v}\"{selected}>{v} – {}</option>",
                    escape(&when(r.first_published_ms)),
                    v = escape(&r.revision)
                )
            })
            .collect()
    };
    let mut sites = String::new();
    for s in &privacy.sites {
        let selected = if s.id == site.id { " selected" } else { "" };
        sites.push_str(&format!(
            "<option value=\"{}\"{selected}>{}</option>",
            escape(&s.id),
            escape(&s.name)
        ));
    }
    main.push_str(&format!(
        "<h2>{compare}</h2>\n<form class=\"filters\" method=\"get\" action=\"/console/revisions\">\
         <input type=\"hidden\" name=\"lang\" value=\"{lang}\">\
         <div><label for=\"rev-site\">{site_label}</label><select id=\"rev-site\" name=\"site\">{sites}</select></div>\
         <div><label for=\"rev-from\">{from_label}</label><select id=\"rev-from\" name=\"from\">{from_options}</select></div>\
         <div><label for=\"rev-to\">{to_label}</label><select id=\"rev-to\" name=\"to\">{to_options}</select></div>\
         <div><button>{compare}</button></div></form>\n",
        compare = escape(w.compare),
        site_label = escape(w.site),
        from_label = escape(w.from),
        to_label = escape(w.until),
        from_options = options(from),
        to_options = options(to),
    ));
    if let (Some(from), Some(to)) = (from, to) {
        let kept = |i: usize| -> Result<ChangeLogRevision, Refusal> {
            let r = stored.get(i).ok_or_else(|| field("from"))?;
            Ok(ChangeLogRevision {
                file: file_from_projection(&r.document).map_err(|e| Refusal::Store {
                    lang,
                    source: kapsel_store::StoreError::Unavailable(e.to_string()),
                })?,
                revision: r.revision.clone(),
                published_ms: r.first_published_ms,
            })
        };
        let doc_lang = privacy
            .declared_language(lang)
            .or_else(|| privacy.languages.first())
            .cloned()
            .unwrap_or_else(|| Lang::new(lang));
        let log =
            change_log(privacy, &[kept(from)?, kept(to)?], &site.id, &doc_lang).map_err(|e| {
                Refusal::Store {
                    lang,
                    source: kapsel_store::StoreError::Unavailable(e.to_string()),
                }
            })?;
        let sentences = log
            .revisions
            .first()
            .map(|e| e.sentences.clone())
            .unwrap_or_default();
        if from == to || sentences.is_empty() {
            main.push_str(&format!(
                "<p role=\"status\">{}</p>\n",
                escape(w.no_changes)
            ));
        } else {
            main.push_str(&format!("<ul lang=\"{}\">", escape(doc_lang.as_str())));
            for sentence in sentences {
                main.push_str(&format!("<li>{}</li>", escape(&sentence)));
            }
            main.push_str("</ul>\n");
        }
    }
    Ok(html(
        StatusCode::OK,
        page(&operator, "/console/revisions", w.revisions, &main),
    ))
}
