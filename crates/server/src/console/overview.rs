//! `GET /console` and `/console/overview.csv`: consent rates per day for one site over 7, 30,
//! 90 or 180 UTC days, optionally for one revision and one language, from the counters the
//! ledger writer keeps (`kapsel_store::ConsentCounts`), never from a scan of the ledger.
//!
//! Shown: choices per day by action (accept all, custom, reject all, withdrawn, and the rest:
//! GPC-only records and renewals), the GPC share, and per category and service how often it
//! was decided and granted; beside them, how often the banner's first layer was shown and how
//! often it was left open without a choice (ignored), as the banner reports them.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use kapsel_core::Lang;
use kapsel_core::console::Permission;
use kapsel_store::ChoiceCount;

use super::chart::{DayBars, SERIES, bars};
use super::layout::{escape, page, table};
use super::rates::{Day, Filters, PERIODS, day_label, filters, numbers, percent, query_string};
use super::session::Operator;
use super::words::{Words, words};
use super::{ConsoleState, Refusal, html};

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
    let (shown, ignored) = (sum(|d| d.shown), sum(|d| d.ignored));
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
         <li>{}<strong>{}</strong></li>\
         <li>{}<strong>{shown}</strong></li><li>{}<strong>{}</strong></li></ul>\n",
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
        escape(w.banner_shown),
        escape(w.ignored_share),
        percent(ignored, shown),
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
                d.shown.to_string(),
                d.ignored.to_string(),
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
                w.gpc_share,
                w.banner_shown,
                w.ignored,
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
        escape(w.views_note),
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
        "day,site,revision,language,total,accept_all,custom,reject_all,withdraw,other,gpc,\
         banner_shown,ignored\n",
    );
    for d in &n.days {
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
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
            d.gpc,
            d.shown,
            d.ignored
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
