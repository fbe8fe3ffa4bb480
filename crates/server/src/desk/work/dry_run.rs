//! The dry run of a case: what a [`super::run`] would export or erase in each SQL dataset,
//! read from the operator's databases without changing them. The admin API answers it as
//! JSON and the console shows it on the case page.

use serde_json::{Value, json};

use kapsel_core::desk::{Case, Right};
use kapsel_core::privacy::PrivacyFile;

use super::{per_table, recipients, sql_datasets, subject_of};
use crate::desk::DeskState;
use crate::error::ApiError;

/// What one SQL dataset holds of the requester.
#[derive(Debug)]
pub enum DatasetDryRun {
    /// An erasure's plan: per table what would be deleted, updated or kept under a hold.
    Erasure(kapsel_connect::Plan),
    /// Any other right: the requester's rows per table.
    Rows {
        dataset: String,
        rows: Vec<(String, usize)>,
    },
}

/// A case's dry run.
#[derive(Debug)]
pub struct DryRun {
    pub datasets: Vec<DatasetDryRun>,
    /// Datasets a run does not read here (webhooks, manual tasks): id and engine.
    pub handled_separately: Vec<(String, &'static str)>,
    /// Who the case's outcome is passed on to (art. 19).
    pub recipients: Vec<String>,
}

pub async fn dry_run(
    desk: &DeskState,
    file: &PrivacyFile,
    case: &Case,
) -> Result<DryRun, ApiError> {
    let subject = subject_of(file, case);
    let mut datasets = Vec::new();
    for spec in sql_datasets(file) {
        let conn = desk.connectors.sql(&spec.connection).await?;
        let problem = |e: kapsel_connect::Error| super::erasure::dataset_problem(&spec.id, &e);
        datasets.push(if case.right == Right::Erasure {
            DatasetDryRun::Erasure(
                kapsel_connect::erasure_plan(spec, &conn, &subject)
                    .await
                    .map_err(problem)?,
            )
        } else {
            let found = kapsel_connect::access(spec, &conn, &subject)
                .await
                .map_err(problem)?;
            DatasetDryRun::Rows {
                dataset: spec.id.clone(),
                rows: found
                    .tables
                    .iter()
                    .map(|t| (t.table.clone(), t.rows.len()))
                    .collect(),
            }
        });
    }
    Ok(DryRun {
        datasets,
        handled_separately: file
            .datasets
            .iter()
            .filter(|d| !d.engine.is_sql())
            .map(|d| (d.id.clone(), d.engine.as_str()))
            .collect(),
        recipients: recipients(file, case),
    })
}

impl DryRun {
    /// The admin API's answer.
    pub fn to_json(&self, case: &Case) -> Value {
        let datasets: Vec<Value> = self
            .datasets
            .iter()
            .map(|d| match d {
                DatasetDryRun::Erasure(plan) => {
                    json!({ "dataset": plan.dataset, "erasure": plan.tables })
                }
                DatasetDryRun::Rows { dataset, rows } => {
                    json!({ "dataset": dataset, "rows": per_table(rows.iter().cloned()) })
                }
            })
            .collect();
        let others: Vec<Value> = self
            .handled_separately
            .iter()
            .map(|(id, engine)| json!({ "dataset": id, "engine": engine }))
            .collect();
        json!({
            "case_id": case.id,
            "right": case.right.as_str(),
            "datasets": datasets,
            "handled_separately": others,
            "recipients": self.recipients,
        })
    }
}
