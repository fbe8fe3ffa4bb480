//! `GET /console/gate`: the consent gate's deliveries per destination and state, and the dead
//! letters; `POST /console/gate/replay` queues one again, to be judged against consent again
//! (privacy lead and up).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use kapsel_core::console::Permission;
use kapsel_store::{DeliveryState, GateEvents, TraceQuery};

use super::layout::{escape, page, table, when};
use super::session::Operator;
use super::words::words;
use super::{ConsoleState, Refusal, html, store_failed};

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
