//! The part of the summary that answers art. 15(1) for the activities the found fields serve:
//! (a) purpose, (b) categories, (c) recipients and providers, (d) retention, (g) source,
//! (h) automated decisions, and 15(2) transfers with their safeguards — each only where the
//! privacy file states it — then (e) the rights and (f) the complaint, in the notice's words.

use kapsel_core::Lang;
use kapsel_core::privacy::is_safe_link;

use super::html::Html;
use super::page::{PageInput, fact, fill};
use super::summary::ServedActivity;
use crate::notice::{ActivityRecord, activity_record};
use crate::words::label;

/// A safeguard's term inside a sentence starts small, as on the notice.
fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A country opening a line starts capitalised ("The United States").
fn upper_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn retention_text(record: &ActivityRecord, lang: &Lang) -> String {
    match &record.retention_period {
        Some(period) if record.retention_period_adds => {
            format!("{} ({} {period})", record.retention, label(lang, "at_most"))
        }
        _ => record.retention.clone(),
    }
}

fn list_fact(html: &mut Html, term: &str, items: &[String]) {
    html.element("dt", &[], term).open("dd", &[]).markup("<ul>");
    for item in items {
        html.element("li", &[], item);
    }
    html.markup("</ul>").close("dd").newline();
}

fn activity(html: &mut Html, p: &PageInput, served: &ServedActivity) {
    let record = activity_record(served.activity, p.lang, p.input.file);
    let id = format!("activity-{}", record.id);
    html.open("section", &[("aria-labelledby", &id)]).newline();
    html.element("h3", &[("id", &id)], &record.name).newline();
    html.element("p", &[], &record.purpose).newline();
    html.markup("<dl class=\"kapsel-facts\">\n");
    let found: Vec<String> = served
        .served_by
        .iter()
        .map(|by| {
            let place = fill(
                p.t.table_in_dataset,
                &[("table", by.table), ("dataset", by.dataset)],
            );
            let fields: Vec<String> = by
                .fields
                .iter()
                .map(|f| match &f.category {
                    Some(category) => format!("{} ({category})", f.column),
                    None => f.column.clone(),
                })
                .collect();
            format!("{place}: {}", fields.join(", "))
        })
        .collect();
    list_fact(html, p.t.found_fields, &found);
    let mut basis = record.legal_basis_label.clone();
    if let Some(condition) = &record.special_categories_condition {
        basis = format!(
            "{basis}; {} {condition}",
            label(p.lang, "special_categories")
        );
    }
    fact(html, label(p.lang, "legal_basis"), &basis);
    if let Some(interest) = &record.legitimate_interest {
        fact(html, label(p.lang, "legitimate_interest"), interest);
    }
    fact(
        html,
        label(p.lang, "data_categories"),
        &record.data_categories,
    );
    if let Some(recipients) = &record.recipients {
        fact(html, label(p.lang, "recipients"), recipients);
    }
    if !record.parties.is_empty() {
        let parties: Vec<String> = record
            .parties
            .iter()
            .map(|party| match &party.role_label {
                Some(role) => format!(
                    "{} ({}), {role} – {}",
                    party.name, party.country_name, party.purpose
                ),
                None => format!(
                    "{} ({}) – {}",
                    party.name, party.country_name, party.purpose
                ),
            })
            .collect();
        list_fact(html, label(p.lang, "processors"), &parties);
    }
    if !record.transfers.is_empty() {
        let transfers: Vec<String> = record
            .transfers
            .iter()
            .map(|group| {
                let safeguards = group
                    .safeguards
                    .iter()
                    .map(|s| match &s.note {
                        Some(note) => format!("{} – {note}", lower_first(&s.label)),
                        None => lower_first(&s.label),
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                match &group.provider {
                    Some(provider) => format!(
                        "{provider} ({}) → {}: {safeguards}",
                        group.services.join(", "),
                        group.country_name
                    ),
                    None => format!("{}: {safeguards}", upper_first(&group.country_name)),
                }
            })
            .collect();
        list_fact(html, label(p.lang, "transfers"), &transfers);
    }
    fact(
        html,
        label(p.lang, "retention"),
        &retention_text(&record, p.lang),
    );
    if let Some(source) = &record.source {
        fact(html, label(p.lang, "source"), source);
    }
    if let Some(automated) = &record.automated_decisions {
        fact(html, label(p.lang, "automated"), automated);
    }
    html.markup("</dl>\n</section>\n");
}

pub(super) fn purposes(html: &mut Html, p: &PageInput) {
    if p.served.is_empty() {
        return;
    }
    html.markup("<section aria-labelledby=\"purposes\">\n");
    html.element(
        "h2",
        &[("id", "purposes")],
        label(p.lang, "activities_heading"),
    )
    .newline();
    html.element("p", &[], p.t.purposes_intro).newline();
    for served in p.served {
        activity(html, p, served);
    }
    html.markup("</section>\n");
}

/// Art. 15(1)(e) and (f): rectification, erasure, restriction and objection as the notice words
/// them, how to ask, and the complaint to the authority.
pub(super) fn rights(html: &mut Html, p: &PageInput) {
    let Some(notice) = p.notice else {
        return;
    };
    html.markup("<section aria-labelledby=\"rights\">\n");
    html.element("h2", &[("id", "rights")], label(p.lang, "rights_heading"))
        .newline();
    html.markup("<dl class=\"kapsel-facts\">\n");
    for right in notice.rights.iter().filter(|r| {
        matches!(
            r.id,
            "rectification" | "erasure" | "restriction" | "objection"
        )
    }) {
        fact(
            html,
            &format!("{} (art. {})", right.title, right.article),
            right.text,
        );
    }
    html.markup("</dl>\n");
    html.element("p", &[], &notice.rights_how).newline();
    html.markup("</section>\n<section aria-labelledby=\"complaint\">\n");
    html.element(
        "h2",
        &[("id", "complaint")],
        label(p.lang, "complaint_heading"),
    )
    .newline();
    html.element("p", &[], &notice.complaint).newline();
    let authority = &notice.authority;
    html.open("p", &[]);
    if is_safe_link(&authority.url) {
        html.element("a", &[("href", &authority.url)], &authority.name);
    } else {
        html.text(&authority.name);
    }
    if let Some(address) = &authority.address {
        html.text(&format!(", {address}"));
    }
    html.close("p").newline();
    html.markup("</section>\n");
}
