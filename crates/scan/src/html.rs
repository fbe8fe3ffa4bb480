//! A scan report as one self-contained HTML page for people: violations first, then every page
//! and phase with its findings. Every value from the scanned site is escaped; no scripts, no
//! external resources.

use std::fmt::Write;

use kapsel_core::scan_report::{Classification, Finding, Report};

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}\
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}\
th{background:#f2f2f2}.bad{color:#a40000}.ok{color:#0a6b0a}code{word-break:break-all}";

/// Renders the whole report.
pub fn render(report: &Report) -> String {
    let mut html = String::new();
    let title = format!("Kapsel scan of {}", report.start_urls.join(", "));
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1>\n",
        escape(&title),
        escape(&title)
    );
    let _ = writeln!(
        html,
        "<p>{} · {} · {} pages · site: {}</p>",
        escape(&report.scanner),
        escape(&report.browser),
        report.pages.len(),
        escape(report.site.as_deref().unwrap_or("(no privacy file)"))
    );
    render_violations(&mut html, report);
    for note in report.skipped_checks.iter().chain(&report.limits_reached) {
        let _ = writeln!(html, "<p>Note: {}</p>", escape(note));
    }
    for page in &report.pages {
        let _ = writeln!(html, "<h2><code>{}</code></h2>", escape(&page.url));
        if let Some(error) = &page.error {
            let _ = writeln!(
                html,
                "<p class=\"bad\">Could not be scanned: {}</p>",
                escape(error)
            );
        }
        for phase in &page.phases {
            let _ = writeln!(html, "<h3>{}</h3>", escape(phase.phase.as_str()));
            if let Some(not_driven) = &phase.not_driven {
                let _ = writeln!(html, "<p>Not driven: {}</p>", escape(&not_driven.reason));
                continue;
            }
            render_findings(&mut html, &phase.findings);
        }
    }
    html.push_str("</body></html>\n");
    html
}

fn render_violations(html: &mut String, report: &Report) {
    let failed = report.pages.iter().filter(|p| p.error.is_some()).count();
    if failed == report.pages.len() {
        html.push_str(
            "<p class=\"bad\"><strong>No page could be scanned, so nothing was checked.</strong></p>\n",
        );
        return;
    }
    if report.violations.is_empty() {
        let _ = writeln!(
            html,
            "<p class=\"ok\"><strong>No violations found{}.</strong></p>",
            match failed {
                0 => String::new(),
                _ => format!(" on the pages that could be scanned ({failed} could not be)"),
            }
        );
        return;
    }
    let _ = writeln!(
        html,
        "<h2 class=\"bad\">{} violations</h2>",
        report.violations.len()
    );
    html.push_str("<table><tr><th>Kind</th><th>Subject</th><th>Page · phase</th><th>What is wrong</th><th>Evidence</th></tr>\n");
    for v in &report.violations {
        let place = match (&v.page, v.phase) {
            (Some(page), Some(phase)) => format!("{page} · {}", phase.as_str()),
            (Some(page), None) => page.clone(),
            _ => "all pages".to_owned(),
        };
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(v.kind.as_str()),
            escape(&v.subject),
            escape(&place),
            escape(&v.detail),
            escape(&v.evidence)
        );
    }
    html.push_str("</table>\n");
}

fn render_findings(html: &mut String, findings: &[Finding]) {
    if findings.is_empty() {
        html.push_str("<p>Nothing stored, no requests to other sites.</p>\n");
        return;
    }
    html.push_str("<table><tr><th>Kind</th><th>Name / host</th><th>Where</th><th>Details</th><th>Classification</th></tr>\n");
    for finding in findings {
        let (kind, where_, details) = match finding {
            Finding::Cookie(c) => (
                "cookie".to_owned(),
                format!("{}{}", c.domain, c.path),
                format!(
                    "{:?} party; {}; set by {}",
                    c.party,
                    c.lifetime_ms.map_or("session".to_owned(), |ms| format!(
                        "{:.1} days",
                        ms as f64 / 86_400_000.0
                    )),
                    c.set_by
                        .as_ref()
                        .map_or("unknown".to_owned(), |s| s.describe())
                ),
            ),
            Finding::Storage(s) => (
                format!("{:?}", s.storage),
                s.origin.clone(),
                s.set_by
                    .as_ref()
                    .map_or(String::new(), |b| format!("set by {}", b.describe())),
            ),
            Finding::Request(r) => (
                format!("request ({})", r.resource_type),
                r.url.clone(),
                format!(
                    "{}{}",
                    r.initiator
                        .as_ref()
                        .map_or(String::new(), |i| format!("initiated by {i}")),
                    if r.set_cookies.is_empty() {
                        String::new()
                    } else {
                        format!("; set cookies {}", r.set_cookies.join(", "))
                    }
                ),
            ),
        };
        let class = match finding.classification() {
            Classification::Declared { service, category } => {
                format!("declared: {service} ({category})")
            }
            Classification::Known { provider, category } => {
                format!("known: {provider} ({category})")
            }
            Classification::Unknown => "unknown".to_owned(),
        };
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            escape(&kind),
            escape(finding.subject()),
            escape(&where_),
            escape(&details),
            escape(&class)
        );
    }
    html.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_from_the_scanned_site() {
        assert_eq!(
            escape("<script>\"x\" & 'y'</script>"),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;"
        );
    }
}
