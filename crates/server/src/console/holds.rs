//! `GET /console/retention`: the privacy file's rules with their last run and the rows their
//! runs disposed of, and the holds; `POST /console/retention/holds` adds a hold on a dataset or
//! a rule, `…/holds/{id}/release` releases one (privacy lead and up).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use kapsel_core::calendar::day_start;
use kapsel_core::console::Permission;
use kapsel_core::retention::hold::{Hold, HoldScope};
use kapsel_core::retention::record::{DisposalKind, DisposalRecord};
use kapsel_store::{HoldError, Retention};

use super::layout::{escape, page, table, when};
use super::session::Operator;
use super::words::words;
use super::{ConsoleState, Refusal, html, see_other, store_failed};

/// Rows a rule's runs disposed of: the sum of its batches' deleted and anonymised rows.
fn disposed(records: &[DisposalRecord]) -> i64 {
    records
        .iter()
        .filter(|r| r.kind == DisposalKind::BatchDone)
        .map(|r| {
            ["rows_deleted", "rows_anonymised"]
                .iter()
                .filter_map(|k| r.detail.get(*k).and_then(|v| v.parse::<i64>().ok()))
                .sum::<i64>()
        })
        .sum()
}

async fn retention_page(
    console: &ConsoleState,
    operator: &Operator,
    notice: Option<&str>,
) -> Result<Response, Refusal> {
    let lang = operator.lang;
    let w = words(lang);
    let now = console.clock.now_ms();
    let privacy = &console.sites.privacy;
    let mut main = format!("<h1>{}</h1>\n", escape(w.retention));
    if let Some(notice) = notice {
        main.push_str(&format!(
            "<p class=\"notice\" role=\"status\">{}</p>\n",
            escape(notice)
        ));
    }
    let mut rows = Vec::new();
    for rule in &privacy.retention {
        let records = console
            .store
            .disposals(&rule.id)
            .await
            .map_err(store_failed(lang))?;
        let last = records
            .iter()
            .rev()
            .find(|r| r.kind == DisposalKind::RunStarted)
            .map(|r| r.at_ms);
        let next = match (last, console.retention.every) {
            (Some(at), Some(every)) => {
                when(at + i64::try_from(every.as_millis()).unwrap_or(i64::MAX / 2))
            }
            (None, Some(_)) => w.never.to_owned(),
            (_, None) => "kapsel retention run".to_owned(),
        };
        rows.push(vec![
            format!("<code>{}</code>", escape(&rule.id)),
            format!("{}.{}", escape(&rule.dataset), escape(&rule.table)),
            format!("<code>{}</code>", escape(&rule.period)),
            escape(&last.map_or_else(|| w.never.to_owned(), when)),
            escape(&next),
            disposed(&records).to_string(),
        ]);
    }
    main.push_str(&format!("<h2>{}</h2>\n", escape(w.rules)));
    if rows.is_empty() {
        main.push_str(&format!("<p>{}</p>\n", escape(w.no_rules)));
    } else {
        main.push_str(&table(
            w.rules,
            &[
                w.rule,
                w.hold_dataset,
                w.keep_for,
                w.last_run,
                w.next_run,
                w.disposed,
            ],
            &rows,
        ));
    }
    if !privacy.retention.is_empty() {
        main.push_str(&format!(
            "<p><a class=\"button\" href=\"/console/retention/plan?lang={lang}\">{}</a></p>\n",
            escape(w.retention_plan_show)
        ));
    }

    let manage = operator.may(Permission::ManageHolds);
    let holds = console.store.holds().await.map_err(store_failed(lang))?;
    let hold_rows: Vec<Vec<String>> = holds
        .iter()
        .map(|h| {
            let state = match (h.released_ms, h.active_at(now)) {
                (Some(at), _) => format!("{} {}", escape(w.released), escape(&when(at))),
                (None, true) if manage => format!(
                    "{} <form class=\"inline\" method=\"post\" action=\"/console/retention/holds/{id}/release?lang={lang}\">{}<button class=\"link\">{} <span class=\"visually-hidden\">{id}</span></button></form>",
                    escape(w.active),
                    operator.hidden_fields(),
                    escape(w.hold_release),
                    id = escape(&h.id),
                ),
                (None, true) => escape(w.active),
                (None, false) => escape(&when(h.expires_ms)),
            };
            vec![
                format!("<code>{}</code>", escape(&h.id)),
                format!("{}: {}", escape(h.scope.name()), escape(&h.scope.target())),
                escape(&h.owner),
                escape(&h.reason),
                escape(&when(h.expires_ms)),
                state,
            ]
        })
        .collect();
    main.push_str(&format!("<h2>{}</h2>\n", escape(w.holds)));
    if hold_rows.is_empty() {
        main.push_str(&format!("<p>{}</p>\n", escape(w.no_holds)));
    } else {
        main.push_str(&table(
            w.holds,
            &["Id", w.target, w.who, w.hold_reason, w.expires, w.state],
            &hold_rows,
        ));
    }
    if manage {
        let mut targets = String::new();
        for dataset in &privacy.datasets {
            targets.push_str(&format!(
                "<option value=\"dataset:{id}\">{} {id}</option>",
                escape(w.hold_dataset),
                id = escape(&dataset.id)
            ));
        }
        for rule in &privacy.retention {
            targets.push_str(&format!(
                "<option value=\"rule:{id}\">{} {id}</option>",
                escape(w.rule),
                id = escape(&rule.id)
            ));
        }
        main.push_str(&format!(
            "<h2>{add}</h2>\n<form class=\"stack\" method=\"post\" action=\"/console/retention/holds?lang={lang}\">{hidden}\
             <label for=\"hold-target\">{target}</label><select id=\"hold-target\" name=\"target\" required>{targets}</select>\
             <label for=\"hold-reason\">{reason}</label><textarea id=\"hold-reason\" name=\"reason\" required maxlength=\"500\"></textarea>\
             <label for=\"hold-until\">{until}</label><input id=\"hold-until\" name=\"until\" type=\"date\" required>\
             <p><button>{add}</button></p></form>\n",
            add = escape(w.hold_add),
            hidden = operator.hidden_fields(),
            target = escape(w.target),
            reason = escape(w.hold_reason),
            until = escape(w.hold_until),
        ));
    }
    Ok(html(
        StatusCode::OK,
        page(operator, "/console/retention", w.retention, &main),
    ))
}

pub async fn get_retention(
    State(console): State<Arc<ConsoleState>>,
    operator: Operator,
) -> Result<Response, Refusal> {
    operator.require(Permission::SeeEvidence)?;
    retention_page(&console, &operator, None).await
}

pub async fn post_hold(
    State(console): State<Arc<ConsoleState>>,
    operator: Operator,
    body: Bytes,
) -> Result<Response, Refusal> {
    operator.require(Permission::ManageHolds)?;
    let lang = operator.lang;
    let form = operator.check_form(&body)?;
    let field = |name: &str| Refusal::Field {
        lang,
        field: name.to_owned(),
    };
    let privacy = &console.sites.privacy;
    let target = form.required("target", 200, lang)?;
    let scope = match target.split_once(':') {
        Some(("dataset", id)) if privacy.datasets.iter().any(|d| d.id == id) => {
            HoldScope::Dataset {
                dataset: id.to_owned(),
            }
        }
        Some(("rule", id)) if privacy.retention.iter().any(|r| r.id == id) => HoldScope::Rule {
            rule: id.to_owned(),
        },
        _ => return Err(field("target")),
    };
    let reason = form.required("reason", 500, lang)?;
    let now = console.clock.now_ms();
    let expires_ms = form
        .get("until")
        .and_then(|d| day_start(d.trim()))
        .map(|start| start + 24 * 60 * 60 * 1000)
        .filter(|end| *end > now)
        .ok_or_else(|| field("until"))?;
    let id = format!("H-{:08x}", console.random.next_u64() >> 32);
    let hold = Hold {
        id: id.clone(),
        scope,
        owner: operator.account.name.clone(),
        reason,
        created_ms: now,
        expires_ms,
        released_ms: None,
        released_by: None,
        reminded_ms: None,
    };
    match console.store.add_hold(&hold).await {
        Ok(()) => {}
        Err(HoldError::Store(source)) => return Err(Refusal::Store { lang, source }),
        Err(other) => {
            return Err(Refusal::Store {
                lang,
                source: kapsel_store::StoreError::Unavailable(other.to_string()),
            });
        }
    }
    console
        .audit(
            &operator.actor(),
            "hold_add",
            &format!("{id} {target}"),
            operator.prefix.as_deref(),
        )
        .await
        .map_err(store_failed(lang))?;
    Ok(see_other(&format!("/console/retention?lang={lang}")))
}

pub async fn post_release(
    State(console): State<Arc<ConsoleState>>,
    operator: Operator,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Refusal> {
    operator.require(Permission::ManageHolds)?;
    let lang = operator.lang;
    operator.check_form(&body)?;
    if id.len() > 32 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(Refusal::NotFound { lang });
    }
    match console
        .store
        .release_hold(&id, &operator.actor(), console.clock.now_ms())
        .await
    {
        Ok(_) => {}
        Err(HoldError::Store(source)) => return Err(Refusal::Store { lang, source }),
        Err(_) => return Err(Refusal::NotFound { lang }),
    }
    console
        .audit(
            &operator.actor(),
            "hold_release",
            &id,
            operator.prefix.as_deref(),
        )
        .await
        .map_err(store_failed(lang))?;
    Ok(see_other(&format!("/console/retention?lang={lang}")))
}
