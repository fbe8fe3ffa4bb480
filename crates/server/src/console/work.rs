//! The pages of the desk, the retention engine and the gate:
//!
//! - `GET /console/requests`: open cases, the soonest legal end first, counted as overdue, due
//!   within seven days, and on track; `GET /console/requests/{case}`: a case and its history
//!   (respondents and up; cases hold requesters' data).
//! - `GET /console/retention`: the privacy file's rules with their last run and the rows their
//!   runs disposed of, and the holds; `POST /console/retention/holds` adds a hold on a dataset
//!   or a rule, `…/holds/{id}/release` releases one (privacy lead and up).
//! - `GET /console/gate`: deliveries per destination and state, and the dead letters;
//!   `POST /console/gate/replay` queues one again (privacy lead and up).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use kapsel_core::calendar::day_start;
use kapsel_core::console::Permission;
use kapsel_core::desk::CaseEventKind;
use kapsel_core::retention::hold::{Hold, HoldScope};
use kapsel_core::retention::record::{DisposalKind, DisposalRecord};
use kapsel_store::{
    CaseError, CaseStore, DeliveryState, GateEvents, HoldError, Retention, TraceQuery,
};

use super::layout::{escape, facts_list, page, table, when};
use super::session::Operator;
use super::words::words;
use super::{ConsoleState, Refusal, html, see_other};
use crate::desk::texts::{right_words, state_words};

const WEEK_MS: i64 = 7 * 24 * 60 * 60 * 1000;
/// The most open cases the inbox lists.
const INBOX: i64 = 500;

fn store_failed(lang: &'static str) -> impl Fn(kapsel_store::StoreError) -> Refusal {
    move |source| Refusal::Store { lang, source }
}

fn case_failed(lang: &'static str) -> impl Fn(CaseError) -> Refusal {
    move |error| match error {
        CaseError::UnknownCase(_) => Refusal::NotFound { lang },
        other => Refusal::Store {
            lang,
            source: kapsel_store::StoreError::Unavailable(other.to_string()),
        },
    }
}

pub async fn get_requests(
    State(console): State<Arc<ConsoleState>>,
    operator: Operator,
) -> Result<Response, Refusal> {
    operator.require(Permission::SeeCases)?;
    let lang = operator.lang;
    let w = words(lang);
    let now = console.clock.now_ms();
    let cases = console
        .store
        .open_cases_by_deadline(INBOX)
        .await
        .map_err(case_failed(lang))?;
    let (mut overdue, mut week, mut track) = (0, 0, 0);
    let rows: Vec<Vec<String>> = cases
        .iter()
        .map(|case| {
            let left = case.dates.ends_at_ms - now;
            let bucket = if left <= 0 {
                overdue += 1;
                format!("<span class=\"bad\">{}</span>", escape(w.overdue))
            } else if left <= WEEK_MS {
                week += 1;
                escape(w.due_this_week)
            } else {
                track += 1;
                escape(w.on_track)
            };
            vec![
                format!(
                    "<a href=\"/console/requests/{id}?lang={lang}\"><code>{id}</code></a>",
                    id = escape(&case.id)
                ),
                escape(right_words(lang, case.right).0),
                escape(state_words(lang, case.state)),
                escape(&case.site),
                escape(&when(case.received_ms)),
                escape(&case.dates.legal_due.to_string()),
                bucket,
            ]
        })
        .collect();
    let mut main = format!(
        "<h1>{}</h1>\n<ul class=\"counts\"><li>{}<strong>{overdue}</strong></li>\
         <li>{}<strong>{week}</strong></li><li>{}<strong>{track}</strong></li></ul>\n",
        escape(w.requests),
        escape(w.overdue),
        escape(w.due_this_week),
        escape(w.on_track),
    );
    if rows.is_empty() {
        main.push_str(&format!("<p>{}</p>\n", escape(w.no_cases)));
    } else {
        main.push_str(&table(
            w.requests,
            &[
                w.case, w.right, w.state, w.site, w.received, w.due, w.progress,
            ],
            &rows,
        ));
    }
    main.push_str(&format!(
        "<p class=\"note\">{}</p>\n",
        escape(w.case_work_note)
    ));
    Ok(html(
        StatusCode::OK,
        page(&operator, "/console/requests", w.requests, &main),
    ))
}

fn detail_text(kind: &CaseEventKind) -> String {
    kind.detail()
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

pub async fn get_case(
    State(console): State<Arc<ConsoleState>>,
    operator: Operator,
    Path(case_id): Path<String>,
) -> Result<Response, Refusal> {
    operator.require(Permission::SeeCases)?;
    let lang = operator.lang;
    let w = words(lang);
    if !kapsel_core::consent::is_receipt_id(&case_id) {
        return Err(Refusal::NotFound { lang });
    }
    let case = console
        .store
        .case(&case_id)
        .await
        .map_err(case_failed(lang))?;
    let events = console
        .store
        .events(&case_id)
        .await
        .map_err(case_failed(lang))?;
    console
        .audit(
            &operator.actor(),
            "view_case",
            &case_id,
            operator.prefix.as_deref(),
        )
        .await
        .map_err(store_failed(lang))?;
    let facts = [
        (w.right, right_words(lang, case.right).0.to_owned()),
        (w.state, state_words(lang, case.state).to_owned()),
        (w.site, case.site.clone()),
        (w.email, case.email.clone()),
        (w.received, when(case.received_ms)),
        (w.due, case.dates.legal_due.to_string()),
    ];
    let history: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            vec![
                e.seq.to_string(),
                escape(&when(e.at_ms)),
                escape(&e.actor),
                escape(e.kind.name()),
                escape(&detail_text(&e.kind)),
            ]
        })
        .collect();
    let mut main = format!(
        "<h1>{} <code>{}</code></h1>\n",
        escape(w.case),
        escape(&case.id)
    );
    main.push_str(&facts_list(&facts));
    main.push_str(&format!("<h2>{}</h2>\n", escape(w.history)));
    main.push_str(&table(
        w.history,
        &["#", w.when, w.by, w.what, w.details],
        &history,
    ));
    main.push_str(&format!(
        "<p class=\"note\">{}</p>\n",
        escape(w.case_work_note)
    ));
    Ok(html(
        StatusCode::OK,
        page(&operator, "/console/requests", w.case, &main),
    ))
}

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
    main.push_str(&format!(
        "<p class=\"note\">{}</p>\n",
        escape(w.preview_note)
    ));

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

async fn gate_page(
    console: &ConsoleState,
    operator: &Operator,
    notice: Option<&str>,
) -> Result<Response, Refusal> {
    let lang = operator.lang;
    let w = words(lang);
    let counts = console
        .store
        .delivery_counts()
        .await
        .map_err(store_failed(lang))?;
    let mut per: BTreeMap<String, BTreeMap<DeliveryState, i64>> = BTreeMap::new();
    for destination in &console.sites.privacy.destinations {
        per.entry(destination.id.clone()).or_default();
    }
    for (destination, state, n) in counts {
        *per.entry(destination)
            .or_default()
            .entry(state)
            .or_default() += n;
    }
    let count = |m: &BTreeMap<DeliveryState, i64>, s| m.get(&s).copied().unwrap_or(0).to_string();
    let rows: Vec<Vec<String>> = per
        .iter()
        .map(|(d, m)| {
            vec![
                format!("<code>{}</code>", escape(d)),
                count(m, DeliveryState::Forwarded),
                count(m, DeliveryState::Blocked),
                count(m, DeliveryState::Failed),
                count(m, DeliveryState::Pending),
                count(m, DeliveryState::Dead),
            ]
        })
        .collect();
    let mut main = format!("<h1>{}</h1>\n", escape(w.gate));
    if let Some(notice) = notice {
        main.push_str(&format!(
            "<p class=\"notice\" role=\"status\">{}</p>\n",
            escape(notice)
        ));
    }
    if rows.is_empty() {
        main.push_str(&format!("<p>{}</p>\n", escape(w.no_destinations)));
    } else {
        main.push_str(&table(
            w.gate,
            &[
                w.destination,
                w.forwarded,
                w.blocked,
                w.failed_deliveries,
                w.pending,
                w.dead_letters,
            ],
            &rows,
        ));
    }
    let dead = console
        .store
        .trace(&TraceQuery::Dead, 200)
        .await
        .map_err(store_failed(lang))?;
    main.push_str(&format!("<h2>{}</h2>\n", escape(w.dead_letters)));
    if dead.is_empty() {
        main.push_str(&format!("<p>{}</p>\n", escape(w.no_dead_letters)));
    } else {
        let replay = operator.may(Permission::ReplayDeadLetters);
        let rows: Vec<Vec<String>> = dead
            .iter()
            .map(|d| {
                let action = if replay {
                    format!(
                        "<form class=\"inline\" method=\"post\" action=\"/console/gate/replay?lang={lang}\">{}\
                         <input type=\"hidden\" name=\"site\" value=\"{}\"><input type=\"hidden\" name=\"message_id\" value=\"{}\">\
                         <input type=\"hidden\" name=\"destination\" value=\"{}\"><button class=\"link\">{}</button></form>",
                        operator.hidden_fields(),
                        escape(&d.site),
                        escape(&d.message_id),
                        escape(&d.destination),
                        escape(w.replay),
                    )
                } else {
                    String::new()
                };
                vec![
                    format!("<code>{}</code>", escape(&d.message_id)),
                    escape(&d.site),
                    format!("<code>{}</code>", escape(&d.destination)),
                    escape(&when(d.received_ms)),
                    escape(d.reason.as_deref().unwrap_or("")),
                    d.attempts.to_string(),
                    action,
                ]
            })
            .collect();
        main.push_str(&table(
            w.dead_letters,
            &[
                w.event,
                w.site,
                w.destination,
                w.received,
                w.reason,
                "#",
                "",
            ],
            &rows,
        ));
    }
    Ok(html(
        StatusCode::OK,
        page(operator, "/console/gate", w.gate, &main),
    ))
}

pub async fn get_gate(
    State(console): State<Arc<ConsoleState>>,
    operator: Operator,
    Query(_): Query<HashMap<String, String>>,
) -> Result<Response, Refusal> {
    operator.require(Permission::SeeEvidence)?;
    gate_page(&console, &operator, None).await
}

pub async fn post_replay(
    State(console): State<Arc<ConsoleState>>,
    operator: Operator,
    body: Bytes,
) -> Result<Response, Refusal> {
    operator.require(Permission::ReplayDeadLetters)?;
    let lang = operator.lang;
    let form = operator.check_form(&body)?;
    let site = form.required("site", 64, lang)?;
    let message_id = form.required("message_id", 200, lang)?;
    let destination = form.required("destination", 64, lang)?;
    let queued = console
        .store
        .replay(&site, &message_id, &destination, console.clock.now_ms())
        .await
        .map_err(store_failed(lang))?;
    if !queued {
        return Err(Refusal::NotFound { lang });
    }
    console
        .audit(
            &operator.actor(),
            "gate_replay",
            &format!("{site} {message_id} {destination}"),
            operator.prefix.as_deref(),
        )
        .await
        .map_err(store_failed(lang))?;
    gate_page(&console, &operator, Some(words(lang).replayed)).await
}
