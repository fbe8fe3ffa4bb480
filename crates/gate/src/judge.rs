//! What one delivery round asks before it decides: each receipt's current state in the ledger
//! and each subject's entry on the desk's objection and restriction list, each asked once per
//! round however many events share it.

use std::collections::{BTreeSet, HashMap};

use kapsel_core::gate::{Basis, ReceiptView};
use kapsel_store::{DueEvent, LedgerRead, Suppressions};

use crate::deliver::Context;
use crate::routes::Route;

/// Consent and suppression lookups of one round, each asked once.
pub(crate) struct Judge<'a> {
    context: &'a Context,
    receipts: HashMap<String, Option<ReceiptView>>,
    suppressed: HashMap<String, Option<(String, String)>>,
}

impl<'a> Judge<'a> {
    pub(crate) fn new(context: &'a Context) -> Judge<'a> {
        Judge {
            context,
            receipts: HashMap::new(),
            suppressed: HashMap::new(),
        }
    }

    /// The event's basis and the categories it grants (for Consent Mode signals).
    pub(crate) async fn basis(
        &mut self,
        event: &DueEvent,
    ) -> Result<(Basis, BTreeSet<String>), kapsel_store::StoreError> {
        if let Some(id) = &event.receipt {
            if !self.receipts.contains_key(id) {
                let latest = self.context.store.latest_for_receipt(id).await?;
                let view = latest.map(|record| ReceiptView {
                    granted: record
                        .choice
                        .categories
                        .iter()
                        .filter(|(_, on)| **on)
                        .map(|(c, _)| c.clone())
                        .collect(),
                    site: record.choice.site,
                    revision: record.choice.revision,
                    expires_at_ms: record.expires_at_ms,
                });
                self.receipts.insert(id.clone(), view);
            }
            let state = self.receipts.get(id).cloned().flatten();
            let granted = state
                .as_ref()
                .map(|s| s.granted.clone())
                .unwrap_or_default();
            return Ok((
                Basis::Receipt {
                    id: id.clone(),
                    state,
                },
                granted,
            ));
        }
        if let Some(categories) = &event.consent {
            let granted: BTreeSet<String> = categories.iter().cloned().collect();
            return Ok((
                Basis::Client {
                    granted: granted.clone(),
                },
                granted,
            ));
        }
        Ok((Basis::Unknown, BTreeSet::new()))
    }

    /// The desk's entry for the subject and the destination's activity, as (kind, activity).
    pub(crate) async fn suppressed(
        &mut self,
        route: &Route,
        event: &DueEvent,
    ) -> Result<Option<(String, String)>, kapsel_store::StoreError> {
        let Some(activity) = &route.spec.activity else {
            return Ok(None);
        };
        if event.subjects.is_empty() {
            return Ok(None);
        }
        let key = event.subjects.join(",");
        if !self.suppressed.contains_key(&key) {
            let found = self
                .context
                .store
                .suppressed(&event.subjects, activity)
                .await?;
            let entry = found.first().map(|s| (s.kind.clone(), s.activity.clone()));
            self.suppressed.insert(key.clone(), entry);
        }
        Ok(self.suppressed.get(&key).cloned().flatten())
    }
}
