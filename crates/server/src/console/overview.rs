//! `GET /console` and `/console/overview.csv`: consent rates per day for one site over 7, 30,
//! 90 or 180 UTC days, optionally for one revision and one language, from the counters the
//! ledger writer keeps (`kapsel_store::ConsentCounts`), never from a scan of the ledger.
//!
//! Shown: choices per day by action (accept all, custom, reject all, withdrawn, and the rest:
//! GPC-only records and renewals), the GPC share, and per category and service how often it
//! was decided and granted. Banner views are not counted by Kapsel, so neither views nor
//! ignored banners are shown; the page says so.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use kapsel_core::Lang;
use kapsel_core::console::Permission;
use kapsel_store::ledger::counts::{DAY_MS, day_of};
use kapsel_store::{ChoiceCount, ConsentCounts, CountFilter};

use super::chart::{DayBars, SERIES, bars};
use super::layout::{escape, page, table};
use super::session::Operator;
use super::words::{Words, words};
use super::{ConsoleState, Refusal, html};

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

async fn filters(
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

fn query_string(filters: &Filters, lang: &str) -> String {
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

fn select(id: &str, label: &str, options: &[(String, String)], chosen: Option<&str>) -> String {
    let mut out = format!(
        "<div><label for=\"{id}\">{}</label><select id=\"{id}\" name=\"{id}\">",
        escape(label)
    );
    for (value, text) in options {
        let selected = if Some(value.as_str()) == chosen {
            " selected"
        } else {
            ""
        };
        out.push_str(&format!(
            "<option value=\"{}\"{selected}>{}</option>",
            escape(value),
            escape(text)
        ));
    }
    out.push_str("</select></div>");
    out
}

fn filter_form(console: &ConsoleState, f: &Filters, lang: &str, w: &Words) -> String {
    let sites: Vec<(String, String)> = console
        .sites
        .privacy
        .sites
        .iter()
        .map(|s| (s.id.clone(), format!("{} ({})", s.name, s.id)))
        .collect();
    let periods: Vec<(String, String)> = PERIODS
        .iter()
        .map(|d| (d.to_string(), format!("{d} {}", w.days)))
        .collect();
    let with_all = |values: &[String], short: bool| -> Vec<(String, String)> {
        std::iter::once((String::new(), w.all.to_owned()))
            .chain(values.iter().map(|v| {
                let text = if short {
                    v.chars().take(12).collect()
                } else {
                    v.clone()
                };
                (v.clone(), text)
            }))
            .collect()
    };
    format!(
        "<form class=\"filters\" method=\"get\" action=\"/console\">\
         <input type=\"hidden\" name=\"lang\" value=\"{lang}\">{}{}{}{}\
         <div><button>{}</button></div></form>\n",
        select("site", w.site, &sites, Some(&f.site)),
        select("days", w.period, &periods, Some(&f.days.to_string())),
        select(
            "revision",
            w.revision,
            &with_all(&f.revisions, true),
            f.revision.as_deref()
        ),
        select(
            "language",
            w.language,
            &with_all(&f.languages, false),
            f.language.as_deref()
        ),
        escape(w.show),
    )
}

fn choice_table(
    console: &ConsoleState,
    caption: &str,
    kind: &str,
    choices: &[ChoiceCount],
    lang: &str,
    w: &Words,
) -> String {
    let lang_tag = Lang::new(lang);
    let privacy = &console.sites.privacy;
    let rows: Vec<Vec<String>> = choices
        .iter()
        .filter(|c| c.kind == kind)
        .map(|c| {
            let name = if kind == "category" {
                privacy
                    .categories
                    .iter()
                    .find(|cat| cat.id == c.item)
                    .and_then(|cat| cat.label.get(&lang_tag, &privacy.languages))
                    .map(str::to_owned)
            } else {
                privacy.service(&c.item).map(|s| s.name.clone())
            };
            let label = match name {
                Some(name) => format!("{} <code>{}</code>", escape(&name), escape(&c.item)),
                None => format!("<code>{}</code>", escape(&c.item)),
            };
            vec![
                label,
                c.decided.to_string(),
                c.granted.to_string(),
                percent(c.granted, c.decided),
            ]
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let first = if kind == "category" {
        w.category
    } else {
        w.service
    };
    table(caption, &[first, w.decided, w.granted, w.opt_in], &rows)
}

pub async fn get_overview(
    State(console): State<Arc<ConsoleState>>,
    operator: Operator,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, Refusal> {
    operator.require(Permission::SeeOverview)?;
    let lang = operator.lang;
    let w = words(lang);
    let f = filters(&console, &query, lang).await?;
    let n = numbers(&console, &f, lang).await?;
    let total: i64 = n.days.iter().map(Day::total).sum();
    let sum = |pick: fn(&Day) -> i64| -> i64 { n.days.iter().map(pick).sum() };
    let (accept, reject, custom, withdraw, gpc) = (
        sum(|d| d.accept),
        sum(|d| d.reject),
        sum(|d| d.custom),
        sum(|d| d.withdraw),
        sum(|d| d.gpc),
    );
    let site_name = console
        .sites
        .privacy
        .site(&f.site)
        .map_or(f.site.clone(), |s| s.name.clone());
    let mut main = format!(
        "<h1>{} – {}</h1>\n{}",
        escape(w.overview),
        escape(&site_name),
        filter_form(&console, &f, lang, w)
    );
    main.push_str(&format!(
        "<ul class=\"counts\">\
         <li>{}<strong>{total}</strong></li>\
         <li>{}<strong>{}</strong></li><li>{}<strong>{}</strong></li>\
         <li>{}<strong>{}</strong></li><li>{}<strong>{withdraw}</strong></li>\
         <li>{}<strong>{}</strong></li></ul>\n",
        escape(w.choices),
        escape(w.accept_all),
        percent(accept, total),
        escape(w.custom),
        percent(custom, total),
        escape(w.reject_all),
        percent(reject, total),
        escape(w.withdrawn),
        escape(w.gpc_share),
        percent(gpc, total),
    ));
    if total == 0 {
        main.push_str(&format!(
            "<p class=\"notice\">{}</p>\n",
            escape(w.no_choices)
        ));
    } else {
        let bars_of: Vec<DayBars> = n
            .days
            .iter()
            .map(|d| DayBars {
                label: day_label(d.day),
                accept: d.accept,
                custom: d.custom,
                reject: d.reject,
                withdraw: d.withdraw,
            })
            .collect();
        main.push_str(&format!("<h2>{}</h2>\n", escape(w.chart_title)));
        main.push_str(&bars(&bars_of, w.chart_title, "per-day"));
        main.push_str("<ul class=\"legend\">");
        for ((_, class), label) in
            SERIES
                .iter()
                .zip([w.accept_all, w.custom, w.reject_all, w.withdrawn])
        {
            main.push_str(&format!(
                "<li><span class=\"{class}\" aria-hidden=\"true\"></span>{}</li>",
                escape(label)
            ));
        }
        main.push_str("</ul>\n");
    }
    let rows: Vec<Vec<String>> = n
        .days
        .iter()
        .rev()
        .map(|d| {
            vec![
                day_label(d.day),
                d.total().to_string(),
                d.accept.to_string(),
                d.custom.to_string(),
                d.reject.to_string(),
                d.withdraw.to_string(),
                d.other.to_string(),
                percent(d.gpc, d.total()),
            ]
        })
        .collect();
    main.push_str(&format!(
        "<div id=\"per-day\">{}</div>",
        table(
            w.chart_title,
            &[
                w.day,
                w.total,
                w.accept_all,
                w.custom,
                w.reject_all,
                w.withdrawn,
                w.other_records,
                w.gpc_share
            ],
            &rows,
        )
    ));
    for (heading, kind) in [
        (w.opt_in_categories, "category"),
        (w.opt_in_services, "service"),
    ] {
        let table = choice_table(&console, heading, kind, &n.choices, lang, w);
        if !table.is_empty() {
            main.push_str(&format!("<h2>{}</h2>\n{table}", escape(heading)));
        }
    }
    main.push_str(&format!(
        "<p><a href=\"/console/overview.csv?{}\" download>{}</a></p>\n<p class=\"note\">{}</p>\n<p class=\"note\">{}</p>\n",
        escape(&query_string(&f, lang)),
        escape(w.csv),
        escape(w.days_in_utc),
        escape(w.not_counted),
    ));
    Ok(html(
        StatusCode::OK,
        page(&operator, "/console", w.overview, &main),
    ))
}

/// The overview's per-day numbers as CSV (counts only; no record leaves with it).
pub async fn get_csv(
    State(console): State<Arc<ConsoleState>>,
    operator: Operator,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, Refusal> {
    operator.require(Permission::SeeOverview)?;
    let lang = operator.lang;
    let f = filters(&console, &query, lang).await?;
    let n = numbers(&console, &f, lang).await?;
    let mut csv = String::from(
        "day,site,revision,language,total,accept_all,custom,reject_all,withdraw,other,gpc\n",
    );
    for d in &n.days {
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{}\n",
            day_label(d.day),
            f.site,
            f.revision.as_deref().unwrap_or("all"),
            f.language.as_deref().unwrap_or("all"),
            d.total(),
            d.accept,
            d.custom,
            d.reject,
            d.withdraw,
            d.other,
            d.gpc
        ));
    }
    console
        .audit(
            &operator.actor(),
            "export_overview",
            &f.site,
            operator.prefix.as_deref(),
        )
        .await
        .map_err(|source| Refusal::Store { lang, source })?;
    let mut response = csv.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::try_from(format!(
        "attachment; filename=\"kapsel-overview-{}-{}d.csv\"",
        f.site, f.days
    )) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
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
