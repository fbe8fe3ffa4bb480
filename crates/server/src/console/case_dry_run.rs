//! `GET /console/requests/{case}/dry-run`: what a run of the case would export or erase in each
//! SQL dataset, read from the operator's databases without changing them
//! (`desk::work::dry_run`, the same as the admin API's `…/plan`), then what is handled outside
//! them and who is told of the outcome. Respondents and up.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use kapsel_core::console::Permission;

use super::case::{read, refused};
use super::layout::{escape, page, table};
use super::session::Operator;
use super::words::{Words, words};
use super::{ConsoleState, Refusal, html, store_failed};
use crate::desk::DeskState;
use crate::desk::work::dry_run::{DatasetDryRun, DryRun, dry_run};

pub async fn get_dry_run(
    State(console): State<Arc<ConsoleState>>,
    State(desk): State<Arc<DeskState>>,
    operator: Operator,
    Path(case_id): Path<String>,
) -> Result<Response, Refusal> {
    operator.require(Permission::SeeCases)?;
    let lang = operator.lang;
    let w = words(lang);
    let (case, _) = read(&desk, &case_id, lang).await?;
    console
        .audit(
            &operator.actor(),
            "dry_run_case",
            &case_id,
            operator.prefix.as_deref(),
        )
        .await
        .map_err(store_failed(lang))?;
    let file = desk.sites.privacy.clone();
    let mut main = format!(
        "<h1>{} <code>{}</code></h1>\n<p class=\"note\">{}</p>\n",
        escape(w.dry_run),
        escape(&case.id),
        escape(w.dry_run_hint)
    );
    let status = match dry_run(&desk, &file, &case).await {
        Ok(result) => {
            main.push_str(&dry_run_tables(w, &result));
            StatusCode::OK
        }
        Err(error) => {
            let (status, alert) = refused(lang, &error);
            main.push_str(&alert);
            status
        }
    };
    main.push_str(&format!(
        "<p><a href=\"/console/requests/{id}?lang={lang}\">{}</a></p>\n",
        escape(w.back_to_case),
        id = escape(&case.id)
    ));
    Ok(html(
        status,
        page(&operator, "/console/requests", w.dry_run, &main),
    ))
}

/// The dry run's tables: one per SQL dataset, then what is handled elsewhere and who is told.
fn dry_run_tables(w: &Words, result: &DryRun) -> String {
    let mut out = String::new();
    for dataset in &result.datasets {
        match dataset {
            DatasetDryRun::Erasure(plan) => {
                let rows: Vec<Vec<String>> = plan
                    .tables
                    .iter()
                    .map(|t| {
                        vec![
                            escape(&t.table),
                            t.rows_found.to_string(),
                            t.rows_deleted.to_string(),
                            t.rows_updated.to_string(),
                            t.rows_held.to_string(),
                        ]
                    })
                    .collect();
                out.push_str(&table(
                    &format!("{} {}", w.hold_dataset, plan.dataset),
                    &[
                        w.table,
                        w.rows_found,
                        w.rows_deleted,
                        w.rows_updated,
                        w.rows_held,
                    ],
                    &rows,
                ));
            }
            DatasetDryRun::Rows { dataset, rows } => {
                let rows: Vec<Vec<String>> = rows
                    .iter()
                    .map(|(table, n)| vec![escape(table), n.to_string()])
                    .collect();
                out.push_str(&table(
                    &format!("{} {dataset}", w.hold_dataset),
                    &[w.table, w.rows_found],
                    &rows,
                ));
            }
        }
    }
    if result.datasets.is_empty() {
        out.push_str(&format!("<p>{}</p>\n", escape(w.no_sql_datasets)));
    }
    if !result.handled_separately.is_empty() {
        out.push_str(&format!("<h2>{}</h2>\n<ul>", escape(w.handled_separately)));
        for (id, engine) in &result.handled_separately {
            out.push_str(&format!(
                "<li><code>{}</code> ({})</li>",
                escape(id),
                escape(engine)
            ));
        }
        out.push_str("</ul>\n");
    }
    if !result.recipients.is_empty() {
        out.push_str(&format!("<h2>{}</h2>\n<ul>", escape(w.recipients)));
        for recipient in &result.recipients {
            out.push_str(&format!("<li>{}</li>", escape(recipient)));
        }
        out.push_str("</ul>\n");
    }
    out
}
