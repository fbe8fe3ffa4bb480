//! Consent counters per UTC day: how many records of each action (with and without GPC), and
//! per category and service how often it was decided and granted, per site, revision and
//! language. The ledger writer adds a batch's [`tally`] in the batch's own transaction
//! (`write::sql`), so the counters always equal a recount of the records; the console's
//! overview reads them through [`ConsentCounts`] instead of scanning the ledger per view.
//! A ledger prune removes records but keeps the counts.

pub(crate) mod sql;

use std::collections::BTreeMap;
use std::future::Future;

use kapsel_core::consent::ConsentRecord;

use crate::backend::on_pool;
use crate::{Store, StoreError};

pub const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The UTC day (days since 1970-01-01) of `at_ms`.
pub fn day_of(at_ms: i64) -> i64 {
    at_ms.div_euclid(DAY_MS)
}

/// What the counters are asked about: one site, days `from_day..=to_day`, optionally one
/// revision and one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountFilter {
    pub site: String,
    pub from_day: i64,
    pub to_day: i64,
    pub revision: Option<String>,
    pub language: Option<String>,
}

/// Records of one action on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayCount {
    pub day: i64,
    pub action: String,
    pub gpc: bool,
    pub records: i64,
}

/// One category or service over the filter's days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoiceCount {
    /// `category` or `service`.
    pub kind: String,
    pub item: String,
    pub decided: i64,
    pub granted: i64,
}

/// The key of a `consent_daily` row.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct DailyKey<'a> {
    pub site: &'a str,
    pub day: i64,
    pub revision: &'a str,
    pub language: &'a str,
    pub action: &'static str,
    pub gpc: bool,
}

/// The key of a `consent_daily_choices` row.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ChoiceKey<'a> {
    pub site: &'a str,
    pub day: i64,
    pub revision: &'a str,
    pub language: &'a str,
    pub kind: &'static str,
    pub item: &'a str,
}

/// A batch's counts, to be added to the counters: rows per action, and (decided, granted) per
/// category and service.
#[derive(Debug, Default)]
pub(crate) struct Tally<'a> {
    pub daily: BTreeMap<DailyKey<'a>, i64>,
    pub choices: BTreeMap<ChoiceKey<'a>, (i64, i64)>,
}

pub(crate) fn tally(records: &[ConsentRecord]) -> Tally<'_> {
    let mut tally = Tally::default();
    for record in records {
        let choice = &record.choice;
        let day = day_of(record.recorded_at_ms);
        let key = DailyKey {
            site: &choice.site,
            day,
            revision: &choice.revision,
            language: choice.language.as_str(),
            action: choice.action.as_str(),
            gpc: choice.gpc,
        };
        *tally.daily.entry(key).or_default() += 1;
        for (kind, map) in [
            ("category", &choice.categories),
            ("service", &choice.services),
        ] {
            for (item, granted) in map {
                let key = ChoiceKey {
                    site: &choice.site,
                    day,
                    revision: &choice.revision,
                    language: choice.language.as_str(),
                    kind,
                    item,
                };
                let counts = tally.choices.entry(key).or_default();
                counts.0 += 1;
                counts.1 += i64::from(*granted);
            }
        }
    }
    tally
}

pub trait ConsentCounts: Send + Sync {
    /// Records per day and action (and GPC) under `filter`, by day.
    fn daily_counts(
        &self,
        filter: &CountFilter,
    ) -> impl Future<Output = Result<Vec<DayCount>, StoreError>> + Send;

    /// Per category and service under `filter`, summed over the days.
    fn choice_counts(
        &self,
        filter: &CountFilter,
    ) -> impl Future<Output = Result<Vec<ChoiceCount>, StoreError>> + Send;

    /// The revisions and languages `site` has counts for (the overview's filters).
    fn count_facets(
        &self,
        site: &str,
    ) -> impl Future<Output = Result<(Vec<String>, Vec<String>), StoreError>> + Send;
}

impl ConsentCounts for Store {
    async fn daily_counts(&self, filter: &CountFilter) -> Result<Vec<DayCount>, StoreError> {
        on_pool!(self, sql::daily(filter))
    }

    async fn choice_counts(&self, filter: &CountFilter) -> Result<Vec<ChoiceCount>, StoreError> {
        on_pool!(self, sql::choices(filter))
    }

    async fn count_facets(&self, site: &str) -> Result<(Vec<String>, Vec<String>), StoreError> {
        on_pool!(self, sql::facets(site))
    }
}
