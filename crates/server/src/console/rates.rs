//! The overview's numbers: its filters checked against the privacy file and the counters'
//! own revisions and languages, and the counters (`kapsel_store::ConsentCounts`: the records'
//! kept by the ledger writer, the banner's views by `consent::views`) folded into one row per
//! day of the period, empty days included.

use std::collections::{BTreeMap, HashMap};

use kapsel_store::ledger::counts::{DAY_MS, day_of};
use kapsel_store::{ChoiceCount, ConsentCounts, CountFilter};

use super::{ConsoleState, Refusal};

/// The periods the overview offers, in days.
pub const PERIODS: [i64; 4] = [7, 30, 90, 180];

/// The filters of a request, checked.
pub struct Filters {
    pub site: String,
    pub days: i64,
    pub revision: Option<String>,
    pub language: Option<String>,
    pub revisions: Vec<String>,
    pub languages: Vec<String>,
}

/// One day's counts.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Day {
    pub day: i64,
    pub accept: i64,
    pub reject: i64,
    pub custom: i64,
    pub withdraw: i64,
    /// GPC-only records and renewals.
    pub other: i64,
    pub gpc: i64,
    /// The banner's first layer shown, and left open without a choice.
    pub shown: i64,
    pub ignored: i64,
}

impl Day {
    pub fn total(&self) -> i64 {
        self.accept + self.reject + self.custom + self.withdraw + self.other
    }
}

/// The overview's numbers.
pub struct Numbers {
    pub days: Vec<Day>,
    pub choices: Vec<ChoiceCount>,
}

pub async fn filters(
    console: &ConsoleState,
    query: &HashMap<String, String>,
    lang: &'static str,
) -> Result<Filters, Refusal> {
    let field = |name: &str| Refusal::Field {
        lang,
        field: name.to_owned(),
    };
    let sites = &console.sites.privacy.sites;
    let site = match query
        .get("site")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        Some(id) => sites
            .iter()
            .find(|s| s.id == id)
            .ok_or_else(|| field("site"))?
            .id
            .clone(),
        None => sites.first().ok_or_else(|| field("site"))?.id.clone(),
    };
    let days = match query
        .get("days")
        .map(|d| d.trim())
        .filter(|d| !d.is_empty())
    {
        Some(d) => d
            .parse::<i64>()
            .ok()
            .filter(|d| PERIODS.contains(d))
            .ok_or_else(|| field("days"))?,
        None => 30,
    };
    let (revisions, languages) = console
        .store
        .count_facets(&site)
        .await
        .map_err(|source| Refusal::Store { lang, source })?;
    let pick = |name: &str, known: &[String]| -> Result<Option<String>, Refusal> {
        match query.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) if known.iter().any(|k| k == v) => Ok(Some(v.to_owned())),
            Some(_) => Err(field(name)),
        }
    };
    Ok(Filters {
        revision: pick("revision", &revisions)?,
        language: pick("language", &languages)?,
        site,
        days,
        revisions,
        languages,
    })
}

/// The counters for `filters`, one [`Day`] for every day of the period (empty days too).
pub async fn numbers(
    console: &ConsoleState,
    filters: &Filters,
    lang: &'static str,
) -> Result<Numbers, Refusal> {
    let to_day = day_of(console.clock.now_ms());
    let from_day = to_day - filters.days + 1;
    let filter = CountFilter {
        site: filters.site.clone(),
        from_day,
        to_day,
        revision: filters.revision.clone(),
        language: filters.language.clone(),
    };
    let store_failed = |source| Refusal::Store { lang, source };
    let counts = console
        .store
        .daily_counts(&filter)
        .await
        .map_err(store_failed)?;
    let choices = console
        .store
        .choice_counts(&filter)
        .await
        .map_err(store_failed)?;
    let mut by_day: BTreeMap<i64, Day> = (from_day..=to_day)
        .map(|day| {
            (
                day,
                Day {
                    day,
                    ..Day::default()
                },
            )
        })
        .collect();
    for count in counts {
        let Some(day) = by_day.get_mut(&count.day) else {
            continue;
        };
        match count.action.as_str() {
            "accept_all" => day.accept += count.records,
            "reject_all" => day.reject += count.records,
            "custom" => day.custom += count.records,
            "withdraw" => day.withdraw += count.records,
            _ => day.other += count.records,
        }
        if count.gpc {
            day.gpc += count.records;
        }
    }
    let views = console
        .store
        .view_counts(&filter)
        .await
        .map_err(store_failed)?;
    for view in views {
        if let Some(day) = by_day.get_mut(&view.day) {
            day.shown += view.shown;
            day.ignored += view.ignored;
        }
    }
    Ok(Numbers {
        days: by_day.into_values().collect(),
        choices,
    })
}

/// `part` of `whole` as a percentage with one decimal, or a dash for none.
pub fn percent(part: i64, whole: i64) -> String {
    if whole <= 0 {
        "–".to_owned()
    } else {
        let tenths = (part * 1000 + whole / 2) / whole;
        format!("{}.{} %", tenths / 10, tenths % 10)
    }
}

pub fn day_label(day: i64) -> String {
    kapsel_core::calendar::rfc3339(day * DAY_MS)
        .get(..10)
        .map_or_else(|| day.to_string(), str::to_owned)
}

pub fn query_string(filters: &Filters, lang: &str) -> String {
    let mut pairs = vec![
        ("lang", lang.to_owned()),
        ("site", filters.site.clone()),
        ("days", filters.days.to_string()),
    ];
    if let Some(r) = &filters.revision {
        pairs.push(("revision", r.clone()));
    }
    if let Some(l) = &filters.language {
        pairs.push(("language", l.clone()));
    }
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_to_one_decimal() {
        assert_eq!(percent(1, 3), "33.3 %");
        assert_eq!(percent(2, 3), "66.7 %");
        assert_eq!(percent(0, 0), "–");
        assert_eq!(percent(5, 5), "100.0 %");
        assert_eq!(day_label(20_484), "2026-01-31");
    }
}
