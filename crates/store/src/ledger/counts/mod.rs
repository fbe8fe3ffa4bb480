//! Consent counters per UTC day: how many records of each action (with and without GPC), and
//! per category and service how often it was decided and granted, per site, revision and
//! language. The ledger writer adds a batch's [`tally`] in the batch's own transaction
//! (`write::sql`), so the counters always equal a recount of the records; the console's
//! overview reads them through [`ConsentCounts`] instead of scanning the ledger per view.
//! A ledger prune removes records but keeps the counts.
//!
//! Beside them, the banner's own counters ([`BannerView`]): how often the first layer was
//! shown, and how often a visitor left it open without choosing. They come from the banner,
//! not from records, and are added in batches by the server ([`ConsentCounts::add_banner_views`]).

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

/// What the banner reports of one page view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ViewEvent {
    /// The first layer was shown.
    Shown,
    /// The visitor left the page with the first layer open and no choice made.
    Ignored,
}

impl ViewEvent {
    pub fn parse(name: &str) -> Option<ViewEvent> {
        match name {
            "shown" => Some(ViewEvent::Shown),
            "ignored" => Some(ViewEvent::Ignored),
            _ => None,
        }
    }
}

/// One report of the banner, already checked against the privacy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BannerView {
    pub site: String,
    pub revision: String,
    pub language: String,
    pub event: ViewEvent,
    pub at_ms: i64,
}

/// Banner views on one day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewCount {
    pub day: i64,
    pub shown: i64,
    pub ignored: i64,
}

/// The key of a `banner_views_daily` row.
pub(crate) type ViewKey<'a> = (&'a str, i64, &'a str, &'a str);

/// A batch of views folded into (shown, ignored) per row.
pub(crate) fn view_tally(views: &[BannerView]) -> BTreeMap<ViewKey<'_>, (i64, i64)> {
    let mut tally: BTreeMap<ViewKey<'_>, (i64, i64)> = BTreeMap::new();
    for view in views {
        let key = (
            view.site.as_str(),
            day_of(view.at_ms),
            view.revision.as_str(),
            view.language.as_str(),
        );
        let counts = tally.entry(key).or_default();
        match view.event {
            ViewEvent::Shown => counts.0 += 1,
            ViewEvent::Ignored => counts.1 += 1,
        }
    }
    tally
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

    /// Adds a batch of the banner's views in one transaction: all of them or none.
    fn add_banner_views(
        &self,
        views: &[BannerView],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Banner views per day under `filter`, by day (days without any left out).
    fn view_counts(
        &self,
        filter: &CountFilter,
    ) -> impl Future<Output = Result<Vec<ViewCount>, StoreError>> + Send;

    /// The revisions and languages `site` has counts for, of records or of banner views (the
    /// overview's filters).
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

    async fn add_banner_views(&self, views: &[BannerView]) -> Result<(), StoreError> {
        if views.is_empty() {
            return Ok(());
        }
        on_pool!(self, sql::add_views(views))
    }

    async fn view_counts(&self, filter: &CountFilter) -> Result<Vec<ViewCount>, StoreError> {
        on_pool!(self, sql::views(filter))
    }

    async fn count_facets(&self, site: &str) -> Result<(Vec<String>, Vec<String>), StoreError> {
        on_pool!(self, sql::facets(site))
    }
}
