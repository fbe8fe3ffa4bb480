//! Access and portability: every SQL dataset read for the requester, the consent records of a
//! receipt they gave, and the bundle (`kapsel_publish::bundle`) made in their language and
//! kept until it expires. Each dataset read is an `exported` step with its row counts, and the
//! bundle a `bundle_ready` step with its SHA-256, so the history says what was handed over.

use serde_json::{Value, json};

use kapsel_core::desk::{Case, StepAction};
use kapsel_core::privacy::PrivacyFile;
use kapsel_core::{Lang, consent::is_receipt_id};
use kapsel_publish::{BundleInput, access_bundle, bundle::sha256_hex};
use kapsel_store::{Bundles, LedgerRead, StoredBundle};

use super::{History, RECEIPT, StepView, per_table, record, sql_datasets, subject_of};
use crate::desk::DeskState;
use crate::error::ApiError;

pub async fn run(
    desk: &DeskState,
    file: &PrivacyFile,
    case: &Case,
    _history: &History,
    actor: &str,
    steps: &mut Vec<StepView>,
) -> Result<(), ApiError> {
    let subject = subject_of(file, case);
    let mut found = Vec::new();
    for spec in sql_datasets(file) {
        let conn = desk.connectors.sql(&spec.connection).await?;
        let result = kapsel_connect::access(spec, &conn, &subject)
            .await
            .map_err(|e| super::erasure::dataset_problem(&spec.id, &e))?;
        let counts = result
            .tables
            .iter()
            .map(|t| (t.table.clone(), t.rows.len()));
        steps.push(
            record(
                desk,
                &case.id,
                actor,
                StepAction::Exported,
                &spec.id,
                per_table(counts),
            )
            .await?,
        );
        found.push(result);
    }
    let other: Vec<String> = file
        .datasets
        .iter()
        .filter(|d| !d.engine.is_sql())
        .map(|d| d.id.clone())
        .collect();
    let records = consent_records(desk, subject.get(RECEIPT)).await?;
    let now = desk.clock.now_ms();
    let lang = Lang::new(&case.lang);
    let bytes = access_bundle(&BundleInput {
        file,
        site: &case.site,
        lang: &lang,
        case_id: &case.id,
        right: case.right,
        generated_ms: now,
        datasets: &found,
        other_datasets: &other,
        consent_records: &records,
    })
    .map_err(|e| ApiError::internal("making the access bundle", e))?;
    let sha256 = sha256_hex(&bytes);
    // Kept for the download period from now; completing the case starts the period anew, so
    // the requester has all of it from the answer on.
    let expires_ms = now.saturating_add(desk.bundle_ttl_ms);
    let size = bytes.len();
    desk.store
        .put_bundle(&StoredBundle {
            case_id: case.id.clone(),
            sha256: sha256.clone(),
            bytes,
            created_ms: now,
            expires_ms,
        })
        .await
        .map_err(|e| ApiError::internal("keeping the access bundle", e))?;
    steps.push(
        record(
            desk,
            &case.id,
            actor,
            StepAction::BundleReady,
            "",
            json!({ "sha256": sha256, "bytes": size, "consent_records": records.len() }),
        )
        .await?,
    );
    Ok(())
}

/// The ledger records of the receipt the requester gave (its whole lineage), as exported.
async fn consent_records(
    desk: &DeskState,
    receipt: Option<&String>,
) -> Result<Vec<Value>, ApiError> {
    let Some(receipt) = receipt.filter(|r| is_receipt_id(r)) else {
        return Ok(Vec::new());
    };
    let lineage = desk
        .store
        .receipt_lineage(receipt)
        .await
        .map_err(|e| ApiError::internal("reading the receipt's records", e))?;
    lineage
        .iter()
        .map(|record| {
            serde_json::to_value(record).map_err(|e| ApiError::internal("a consent record", e))
        })
        .collect()
}
