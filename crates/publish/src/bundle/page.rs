//! The summary as one self-contained HTML page (`index.html`): the document pages' stylesheet
//! inline, no script, headings in order, every table with a caption and header cells with
//! `scope`, each table a scroll region on wide screens and cards on narrow ones. The frame, the
//! introduction, what was found and the files are here; the activities, rights and complaint
//! are `purposes`'.

use kapsel_core::Lang;
use kapsel_core::privacy::PrivacyFile;

use super::BundleInput;
use super::files::{CONSENT_RECORDS, DataFiles};
use super::html::Html;
use super::manifest::entry;
use super::purposes::{purposes, rights};
use super::summary::{FoundTable, ServedActivity};
use super::texts::Texts;
use crate::PAGE_STYLE;
use crate::notice::PrivacyNotice;
use crate::words::{date_in_words, iso_date, label};

/// The summary's own additions to the document pages' stylesheet.
const BUNDLE_STYLE: &str = concat!(
    // A wide table scrolls in its own focusable region instead of breaking words…
    ".kapsel-scroll{overflow-x:auto;margin:.5rem 0 1.5rem}.kapsel-scroll table{margin:0}",
    ".kapsel-scroll:focus-visible{outline:3px solid #1b1b1b;outline-offset:2px}",
    ".kapsel-scroll th,.kapsel-scroll td{overflow-wrap:normal;hyphens:manual}",
    ".kapsel-number{white-space:nowrap}",
    "td.kapsel-hash{font-family:ui-monospace,monospace;font-size:.8rem;overflow-wrap:anywhere;min-width:12rem}\n",
    // … and on a narrow screen each row is a card of labelled values, as the declaration's are.
    "@media (max-width:40rem){.kapsel-stack,.kapsel-stack caption,.kapsel-stack tbody,.kapsel-stack tr,.kapsel-stack th,.kapsel-stack td{display:block}",
    ".kapsel-stack thead{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}",
    ".kapsel-stack tr{border:1px solid #767676;margin:0 0 .75rem}",
    ".kapsel-scroll .kapsel-stack th,.kapsel-scroll .kapsel-stack td{border:0;border-top:1px solid #c8c8c8;overflow-wrap:anywhere}",
    ".kapsel-scroll .kapsel-stack tr>:first-child{border-top:0}.kapsel-stack tbody th{background:#eef1f5}",
    ".kapsel-stack td::before{content:attr(data-label);display:block;font-weight:700;font-size:.85rem}",
    "td.kapsel-hash{min-width:0}}\n",
);

/// Opens a table in its scroll region, labelled by its caption.
fn open_table(html: &mut Html, caption_id: &str, caption: &str) {
    html.open(
        "div",
        &[
            ("class", "kapsel-scroll"),
            ("role", "region"),
            ("tabindex", "0"),
            ("aria-labelledby", caption_id),
        ],
    )
    .newline()
    .markup("<table class=\"kapsel-stack\">\n");
    html.element("caption", &[("id", caption_id)], caption)
        .newline();
}

/// A header row of column headers.
fn header_row(html: &mut Html, headings: &[&str]) {
    html.markup("<thead><tr>");
    for heading in headings {
        html.element("th", &[("scope", "col")], heading);
    }
    html.markup("</tr></thead>\n<tbody>\n");
}

fn close_table(html: &mut Html) {
    html.markup("</tbody>\n</table>\n</div>\n");
}

/// Everything the page is written from.
pub struct PageInput<'a> {
    pub input: &'a BundleInput<'a>,
    pub lang: &'a Lang,
    pub t: Texts,
    pub tables: &'a [FoundTable<'a>],
    pub served: &'a [ServedActivity<'a>],
    pub data: &'a DataFiles,
    pub notice: Option<&'a PrivacyNotice>,
}

pub(super) fn fill(template: &str, parts: &[(&str, &str)]) -> String {
    parts
        .iter()
        .fold(template.to_owned(), |text, (key, value)| {
            text.replace(&format!("{{{key}}}"), value)
        })
}

/// The Oslo calendar day of the bundle in words and as ISO ("3. mars 2026", "2026-03-03").
fn bundle_day(ms: i64, lang: &Lang) -> (String, String) {
    // Noon UTC of the Oslo date names that same date in UTC, which the word forms read.
    match kapsel_core::calendar::oslo_date_of(ms) {
        Some(date) => {
            let noon = date.midnight().assume_utc().unix_timestamp() * 1000 + 43_200_000;
            (date_in_words(noon, lang), iso_date(noon))
        }
        None => (date_in_words(ms, lang), iso_date(ms)),
    }
}

/// `<dt>label</dt><dd>text</dd>`.
pub(super) fn fact(html: &mut Html, term: &str, value: &str) {
    html.element("dt", &[], term)
        .element("dd", &[], value)
        .newline();
}

fn head(html: &mut Html, p: &PageInput, site_name: &str) {
    html.markup("<!doctype html>\n");
    html.open("html", &[("lang", p.lang.as_str())]).newline();
    html.markup("<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    html.element("title", &[], &format!("{} – {site_name}", p.t.title))
        .newline();
    html.markup("<style>\n")
        .markup(PAGE_STYLE)
        .markup(BUNDLE_STYLE)
        .markup("</style>\n</head>\n<body>\n<div class=\"kapsel-page\">\n");
}

fn introduction(html: &mut Html, p: &PageInput, file: &PrivacyFile) {
    let org = &file.organisation;
    html.element("h1", &[], p.t.title).newline();
    html.element("p", &[], p.t.intro).newline();
    let (day, day_iso) = bundle_day(p.input.generated_ms, p.lang);
    html.markup("<dl class=\"kapsel-facts\">\n");
    fact(html, p.t.case, p.input.case_id);
    html.element("dt", &[], p.t.date)
        .open("dd", &[])
        .element("time", &[("datetime", &day_iso)], &day)
        .close("dd")
        .newline();
    fact(html, label(p.lang, "controller_heading"), &org.name);
    fact(html, label(p.lang, "org_number"), &org.org_number);
    fact(html, label(p.lang, "address"), &org.address);
    fact(html, label(p.lang, "email"), &org.email);
    if let Some(dpo) = p.notice.and_then(|n| n.dpo.as_ref()) {
        fact(html, &dpo.role, &dpo.email);
    }
    html.markup("</dl>\n");
}

fn fields_text(table: &FoundTable) -> String {
    table
        .fields
        .iter()
        .map(|f| match &f.category {
            Some(category) => format!("{} ({category})", f.column),
            None => f.column.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn overview(html: &mut Html, p: &PageInput) {
    if p.tables.is_empty() {
        return;
    }
    open_table(html, "overview-caption", p.t.overview_caption);
    header_row(
        html,
        &[p.t.col_table, p.t.col_dataset, p.t.col_rows, p.t.col_fields],
    );
    for table in p.tables {
        html.markup("<tr>")
            .element("th", &[("scope", "row")], &table.rows.table)
            .element("td", &[("data-label", p.t.col_dataset)], table.dataset)
            .element(
                "td",
                &[("class", "kapsel-number"), ("data-label", p.t.col_rows)],
                &table.rows.rows.len().to_string(),
            )
            .element("td", &[("data-label", p.t.col_fields)], &fields_text(table))
            .markup("</tr>\n");
    }
    close_table(html);
}

fn row_table(html: &mut Html, p: &PageInput, index: usize, table: &FoundTable) {
    let id = format!("table-{index}");
    let caption = fill(
        p.t.table_caption,
        &[
            ("table", &table.rows.table),
            ("dataset", table.dataset),
            ("rows", &p.t.rows(table.rows.rows.len())),
        ],
    );
    open_table(html, &id, &caption);
    let headings: Vec<&str> = table.rows.columns.iter().map(String::as_str).collect();
    header_row(html, &headings);
    for row in &table.rows.rows {
        html.markup("<tr>");
        for column in &table.rows.columns {
            let value = match row.get(column) {
                None | Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::String(text)) => text.clone(),
                Some(other) => other.to_string(),
            };
            html.element("td", &[("data-label", column)], &value);
        }
        html.markup("</tr>\n");
    }
    close_table(html);
}

fn found(html: &mut Html, p: &PageInput) {
    html.markup("<section aria-labelledby=\"found\">\n");
    html.element("h2", &[("id", "found")], p.t.found_heading)
        .newline();
    overview(html, p);
    let with_rows: Vec<&FoundTable> = p
        .tables
        .iter()
        .filter(|t| !t.rows.rows.is_empty())
        .collect();
    if !p.tables.is_empty() && with_rows.is_empty() {
        html.element("p", &[], p.t.nothing_found).newline();
    }
    for (index, table) in with_rows.iter().enumerate() {
        row_table(html, p, index + 1, table);
    }
    if !p.input.other_datasets.is_empty() {
        html.element("p", &[], p.t.separate)
            .newline()
            .markup("<ul>\n");
        for dataset in p.input.other_datasets {
            html.element("li", &[], dataset).newline();
        }
        html.markup("</ul>\n");
    }
    if !p.input.consent_records.is_empty() {
        html.element("h3", &[], p.t.consent_heading).newline();
        let text = fill(
            p.t.consent_text,
            &[
                ("count", &p.t.records(p.input.consent_records.len())),
                ("file", CONSENT_RECORDS),
            ],
        );
        html.element("p", &[], &text).newline();
    }
    html.markup("</section>\n");
}

fn files(html: &mut Html, p: &PageInput) {
    html.markup("<section aria-labelledby=\"files\">\n");
    html.element("h2", &[("id", "files")], p.t.files_heading)
        .newline();
    html.element("p", &[], p.t.files_intro).newline();
    if p.data.csv_neutralised {
        html.element("p", &[], p.t.csv_note).newline();
    }
    open_table(html, "files-caption", p.t.files_caption);
    header_row(html, &[p.t.col_file, p.t.col_size, "SHA-256"]);
    for file in &p.data.files {
        let entry = entry(file);
        html.markup("<tr>")
            .element("th", &[("scope", "row")], &entry.path)
            .element(
                "td",
                &[("class", "kapsel-number"), ("data-label", p.t.col_size)],
                &p.t.bytes(entry.size),
            )
            .element(
                "td",
                &[("class", "kapsel-hash"), ("data-label", "SHA-256")],
                &entry.sha256,
            )
            .markup("</tr>\n");
    }
    close_table(html);
    html.markup("</section>\n");
}

/// The whole page.
pub fn summary_page(p: &PageInput) -> String {
    let file = p.input.file;
    let site_name = file
        .site(p.input.site)
        .map_or_else(|| file.organisation.name.clone(), |s| s.name.clone());
    let mut html = Html::new();
    head(&mut html, p, &site_name);
    html.markup("<header>\n")
        .open("p", &[])
        .element("strong", &[], &site_name)
        .close("p")
        .markup("\n</header>\n<main id=\"main\">\n");
    introduction(&mut html, p, file);
    found(&mut html, p);
    purposes(&mut html, p);
    rights(&mut html, p);
    files(&mut html, p);
    html.markup("</main>\n</div>\n</body>\n</html>\n");
    html.finish()
}
