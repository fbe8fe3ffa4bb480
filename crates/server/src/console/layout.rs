//! The page around every console page: the stylesheet (served as a file, `/console/console.css`,
//! as the Content-Security-Policy allows no inline style), the header with the signed-in
//! operator and the sign-out forms, the navigation of the pages the operator's role may see,
//! and the language links. Every value shown goes through [`escape`].

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use kapsel_core::console::{Permission, Role};

use super::session::Operator;
use super::words::{Words, words};

pub use kapsel_publish::bundle::escape_html as escape;

const STYLE: &str = include_str!("console.css");

pub async fn get_style() -> Response {
    let mut response = STYLE.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=300"),
    );
    response
}

/// The words naming `role`.
pub fn role_name(w: &Words, role: Role) -> &'static str {
    match role {
        Role::Viewer => w.role_viewer,
        Role::Respondent => w.role_respondent,
        Role::PrivacyLead => w.role_privacy_lead,
        Role::Admin => w.role_admin,
    }
}

fn head(lang: &str, title: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <title>{title} – Kapsel</title>\n<link rel=\"stylesheet\" href=\"/console/console.css\">\n\
         </head>\n<body>\n",
        title = escape(title),
    )
}

/// A page without navigation: sign-in, and refusals.
pub fn bare_page(lang: &str, title: &str, main: &str) -> String {
    let w = words(lang);
    format!(
        "{head}<a class=\"skip\" href=\"#main\">{skip}</a>\n<header class=\"top\">\
         <p class=\"brand\">Kapsel · {console}</p>{languages}</header>\n\
         <main id=\"main\" class=\"narrow\">\n{main}</main>\n</body>\n</html>\n",
        head = head(lang, title),
        skip = escape(w.skip),
        console = escape(w.console),
        languages = language_links(lang, "/console/sign-in", w),
    )
}

/// The navigation entries: path, words, and the permission that shows them.
fn entries(w: &Words) -> [(&'static str, &'static str, Permission); 10] {
    [
        ("/console", w.overview, Permission::SeeOverview),
        ("/console/ledger", w.ledger, Permission::SeeEvidence),
        ("/console/revisions", w.revisions, Permission::SeeEvidence),
        ("/console/scans", w.scans, Permission::SeeEvidence),
        ("/console/requests", w.requests, Permission::SeeCases),
        ("/console/retention", w.retention, Permission::SeeEvidence),
        ("/console/gate", w.gate, Permission::SeeEvidence),
        ("/console/documents", w.documents, Permission::SeeEvidence),
        (
            "/console/privacy-file",
            w.privacy_file,
            Permission::SeeEvidence,
        ),
        ("/console/audit", w.audit, Permission::SeeAudit),
    ]
}

fn language_links(lang: &str, path: &str, w: &Words) -> String {
    let mut out = format!(
        "<nav class=\"languages\" aria-label=\"{}\"><ul>",
        escape(w.languages_label)
    );
    for (code, name) in [("nb", "Bokmål"), ("nn", "Nynorsk"), ("en", "English")] {
        let current = if code == lang {
            " aria-current=\"true\""
        } else {
            ""
        };
        out.push_str(&format!(
            "<li><a href=\"{path}?lang={code}\" lang=\"{code}\" hreflang=\"{code}\"{current}>{name}</a></li>"
        ));
    }
    out.push_str("</ul></nav>");
    out
}

/// A page of the console for `operator`: `path` is the page's own (it marks the navigation and
/// the language links point at it).
pub fn page(operator: &Operator, path: &str, title: &str, main: &str) -> String {
    let lang = operator.lang;
    let w = words(lang);
    let mut nav = format!(
        "<nav class=\"pages\" aria-label=\"{}\"><ul>",
        escape(w.nav_label)
    );
    for (href, label, permission) in entries(w) {
        if !operator.may(permission) {
            continue;
        }
        let current = if href == path {
            " aria-current=\"page\""
        } else {
            ""
        };
        nav.push_str(&format!(
            "<li><a href=\"{href}?lang={lang}\"{current}>{}</a></li>",
            escape(label)
        ));
    }
    nav.push_str("</ul></nav>");
    format!(
        "{head}<a class=\"skip\" href=\"#main\">{skip}</a>\n<header class=\"top\">\
         <p class=\"brand\">Kapsel · {console}</p>\
         <div class=\"who\"><p>{signed_in_as} <strong>{name}</strong> ({role})</p>\
         <form method=\"post\" action=\"/console/sign-out?lang={lang}\">{hidden}<button class=\"link\">{sign_out}</button></form>\
         <form method=\"post\" action=\"/console/sign-out-everywhere?lang={lang}\">{hidden}<button class=\"link\">{everywhere}</button></form>\
         </div>{languages}</header>\n{nav}\n<main id=\"main\">\n{main}</main>\n</body>\n</html>\n",
        head = head(lang, title),
        skip = escape(w.skip),
        console = escape(w.console),
        signed_in_as = escape(w.signed_in_as),
        name = escape(&operator.account.name),
        role = escape(role_name(w, operator.account.role)),
        hidden = operator.hidden_fields(),
        sign_out = escape(w.sign_out),
        everywhere = escape(w.sign_out_everywhere),
        languages = language_links(lang, path, w),
    )
}

/// A table with a caption, its header row and rows of already escaped cells, in a wrapper
/// that scrolls sideways on a narrow screen (focusable, so a keyboard can scroll it).
pub fn table(caption: &str, header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = format!(
        "<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"{c}\"><table>\
         <caption>{c}</caption><thead><tr>",
        c = escape(caption)
    );
    for h in header {
        out.push_str(&format!("<th scope=\"col\">{}</th>", escape(h)));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            if i == 0 {
                out.push_str(&format!("<th scope=\"row\">{cell}</th>"));
            } else {
                out.push_str(&format!("<td>{cell}</td>"));
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>\n");
    out
}

/// Facts as a description list: each label (words) with its value (text), both escaped.
pub fn facts_list(facts: &[(&str, String)]) -> String {
    let mut out = String::from("<dl class=\"facts\">");
    for (label, value) in facts {
        out.push_str(&format!(
            "<dt>{}</dt><dd>{}</dd>",
            escape(label),
            escape(value)
        ));
    }
    out.push_str("</dl>\n");
    out
}

/// A date and time as the console shows it: `2026-01-31 10:00 UTC`.
pub fn when(at_ms: i64) -> String {
    let text = kapsel_core::calendar::rfc3339(at_ms);
    match (text.get(..10), text.get(11..16)) {
        (Some(date), Some(time)) => format!("{date} {time} UTC"),
        _ => text,
    }
}
