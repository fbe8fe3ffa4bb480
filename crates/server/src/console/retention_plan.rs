//! `GET /console/retention/plan`: the dry run of every retention rule, as `kapsel retention
//! plan` prints it: per rule the cutoff, the rows past it, those kept under a subject's legal
//! hold, the oldest, and what would stop a run (a hold on the rule or its dataset, or the
//! safety limit). It reads the operator's databases and disposes of nothing.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use kapsel_core::console::Permission;

use super::layout::{escape, page, table, when};
use super::session::Operator;
use super::words::words;
use super::{ConsoleState, Refusal, html, store_failed};
use crate::desk::DeskState;

pub async fn get_plan(
    State(console): State<Arc<ConsoleState>>,
    State(desk): State<Arc<DeskState>>,
    operator: Operator,
) -> Result<Response, Refusal> {
    operator.require(Permission::SeeEvidence)?;
    let lang = operator.lang;
    let w = words(lang);
    console
        .audit(
            &operator.actor(),
            "retention_plan",
            "all rules",
            operator.prefix.as_deref(),
        )
        .await
        .map_err(store_failed(lang))?;
    let runner = crate::retention::runner(&desk);
    let options = &console.retention.options;
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for rule in &console.sites.privacy.retention {
        match runner.plan(rule, options).await {
            Ok(report) => {
                let note = match (&report.stopped_by, report.over_limit) {
                    (Some(hold), _) => {
                        format!("{} <code>{}</code>", escape(w.plan_held_by), escape(hold))
                    }
                    (None, true) => escape(
                        &w.plan_over_limit
                            .replace("{share}", &format!("{:.0}", options.max_share * 100.0)),
                    ),
                    (None, false) => report
                        .partitions
                        .iter()
                        .map(|p| format!("<code>{}</code>", escape(p)))
                        .collect::<Vec<_>>()
                        .join(", "),
                };
                rows.push(vec![
                    format!("<code>{}</code>", escape(&report.rule)),
                    escape(match report.action {
                        "delete" => w.action_delete,
                        "anonymise" => w.action_anonymise,
                        "drop_partitions" => w.action_drop_partitions,
                        other => other,
                    }),
                    escape(&when(report.cutoff_ms)),
                    report.table_rows.to_string(),
                    report.expired.to_string(),
                    report.held.to_string(),
                    report
                        .oldest
                        .as_deref()
                        .map_or_else(|| "–".to_owned(), escape),
                    note,
                ]);
            }
            // One rule's database being unreachable does not hide the others' plans.
            Err(error) => failures.push(format!(
                "<li><code>{}</code>: <span lang=\"en\">{}</span></li>",
                escape(&rule.id),
                escape(&error.to_string())
            )),
        }
    }
    let mut main = format!(
        "<h1>{}</h1>\n<p class=\"note\">{}</p>\n",
        escape(w.retention_plan),
        escape(w.retention_plan_hint)
    );
    if !failures.is_empty() {
        main.push_str(&format!(
            "<div class=\"alert\" role=\"alert\"><p>{}</p><ul>{}</ul></div>\n",
            escape(w.plan_failed),
            failures.concat()
        ));
    }
    if rows.is_empty() && failures.is_empty() {
        main.push_str(&format!("<p>{}</p>\n", escape(w.no_rules)));
    } else if !rows.is_empty() {
        main.push_str(&table(
            w.retention_plan,
            &[
                w.rule,
                w.plan_action,
                w.plan_cutoff,
                w.plan_table_rows,
                w.plan_expired,
                w.plan_held,
                w.plan_oldest,
                w.plan_note,
            ],
            &rows,
        ));
    }
    main.push_str(&format!(
        "<p><a href=\"/console/retention?lang={lang}\">{}</a></p>\n",
        escape(w.retention)
    ));
    let status = if failures.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_GATEWAY
    };
    Ok(html(
        status,
        page(&operator, "/console/retention", w.retention_plan, &main),
    ))
}
