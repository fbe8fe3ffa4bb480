//! A partition rule's run: each expired PostgreSQL partition without held rows detached and
//! dropped, recorded before (`batch_started` naming it) and after (`partition_dropped`).

use kapsel_connect::{Connection, SubjectHolds, drop_partition, expired_partitions};
use kapsel_core::Millis;
use kapsel_core::privacy::RetentionRule;
use kapsel_core::retention::record::DisposalKind;

use super::{RuleRunReport, RunError, RunOptions, Runner};

impl Runner {
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn drop_partitions(
        &self,
        rule: &RetentionRule,
        options: &RunOptions,
        conn: &Connection,
        spec: &kapsel_connect::DatasetSpec,
        cutoff_ms: Millis,
        holds: &SubjectHolds,
        report: &mut RuleRunReport,
    ) -> Result<(), RunError> {
        let fail = |e: kapsel_connect::Error| self.connect_error(rule, &e);
        let partitions = expired_partitions(conn, spec, rule, cutoff_ms, holds)
            .await
            .map_err(fail)?;
        self.record(
            rule,
            options,
            DisposalKind::RunStarted,
            [
                ("cutoff_ms", cutoff_ms.to_string()),
                ("action", rule.action.name().to_owned()),
                ("partitions", partitions.len().to_string()),
            ],
        )
        .await?;
        for partition in partitions {
            if partition.held > 0 {
                report.held += partition.held;
                continue;
            }
            self.record(
                rule,
                options,
                DisposalKind::BatchStarted,
                [
                    ("cutoff_ms", cutoff_ms.to_string()),
                    ("partition", partition.name.clone()),
                    ("upper_bound", partition.upper_bound.clone()),
                    ("rows", partition.rows.to_string()),
                ],
            )
            .await?;
            let rows = drop_partition(conn, spec, rule, &partition.name)
                .await
                .map_err(fail)?;
            self.record(
                rule,
                options,
                DisposalKind::PartitionDropped,
                [
                    ("partition", partition.name.clone()),
                    ("rows_deleted", rows.to_string()),
                ],
            )
            .await?;
            report.partitions_dropped += 1;
            report.deleted += rows;
        }
        self.record(
            rule,
            options,
            DisposalKind::RunFinished,
            [
                ("rows_deleted", report.deleted.to_string()),
                ("partitions_dropped", report.partitions_dropped.to_string()),
                ("rows_held", report.held.to_string()),
            ],
        )
        .await?;
        Ok(())
    }
}
