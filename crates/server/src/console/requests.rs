//! `GET /console/requests`: open cases, the soonest legal end first, counted as overdue, due
//! within seven days, and on track (a case's own page is [`super::case`]).
//! Respondents and up: cases hold requesters' data.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use kapsel_core::console::Permission;
use kapsel_store::{CaseError, CaseStore};

use super::layout::{escape, page, table, when};
use super::session::Operator;
use super::words::words;
use super::{ConsoleState, Refusal, html};
use crate::desk::texts::right_words;

const WEEK_MS: i64 = 7 * 24 * 60 * 60 * 1000;
/// The most open cases the inbox lists.
const INBOX: i64 = 500;

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
                escape(w.case_state(case.state)),
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
