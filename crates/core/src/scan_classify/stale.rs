//! The stale-declaration rule: a declared service of which nothing was seen.

use super::{Judgement, host_matches, name_matches, storage_kind, wording::kind_words};
use crate::privacy::{Cookie, Service, StorageKind};
use crate::scan_report::{Finding, PageResult, Phase, Violation, ViolationKind};

/// Declared services no page showed a trace of, in any phase. Only judged when "accept all"
/// was driven somewhere: before a choice even necessary services may not show (the consent
/// cookie itself appears only with a choice).
pub(super) fn stale_declarations(
    pages: &[PageResult],
    services: &[&Service],
    judgement: &mut Judgement,
) {
    let accept_driven = pages
        .iter()
        .flat_map(|p| &p.phases)
        .any(|ph| ph.phase == Phase::AfterAccept && ph.not_driven.is_none());
    if !accept_driven {
        judgement
            .skipped_checks
            .push("stale declarations: \"accept all\" was never driven".to_owned());
        return;
    }
    let findings: Vec<&Finding> = pages
        .iter()
        .flat_map(|p| &p.phases)
        .flat_map(|ph| &ph.findings)
        .collect();
    let seen_entry = |cookie: &Cookie| {
        findings.iter().any(|f| match f {
            Finding::Cookie(c) => {
                cookie.kind == StorageKind::Cookie
                    && name_matches(&c.name, &cookie.name, cookie.prefix)
            }
            Finding::Storage(s) => {
                cookie.kind == storage_kind(s.storage)
                    && name_matches(&s.key, &cookie.name, cookie.prefix)
            }
            Finding::Request(_) => false,
        })
    };
    let seen_host = |service: &Service| {
        findings.iter().any(|f| matches!(f, Finding::Request(r) if service.hosts.iter().any(|h| host_matches(&r.host, h))))
    };
    for service in services {
        let entries: Vec<&Cookie> = service
            .cookies
            .iter()
            .filter(|c| c.kind != StorageKind::Pixel)
            .collect();
        if entries.is_empty() && service.hosts.is_empty() {
            continue;
        }
        let shown = |c: &Cookie| {
            if c.prefix {
                format!("{}*", c.name)
            } else {
                c.name.clone()
            }
        };
        let unseen: Vec<&&Cookie> = entries.iter().filter(|c| !seen_entry(c)).collect();
        if unseen.len() == entries.len() && !seen_host(service) {
            let names: Vec<String> = entries.iter().map(|c| shown(c)).collect();
            let hosts = if service.hosts.is_empty() {
                "none".to_owned()
            } else {
                service.hosts.join(", ")
            };
            judgement.violations.push(Violation {
                kind: ViolationKind::StaleDeclaration,
                page: None,
                phase: None,
                subject: service.id.clone(),
                evidence: format!("declared entries: {}; hosts: {hosts}", if names.is_empty() { "none".to_owned() } else { names.join(", ") }),
                detail: format!(
                    "service \"{}\" ({}) is declared for this site, but none of its cookies, storage keys or hosts was seen on any scanned page in any phase",
                    service.id, service.category
                ),
                pages_seen: 0,
            });
        } else {
            for cookie in unseen {
                judgement.unseen_entries.push(format!(
                    "{} {} (service \"{}\")",
                    kind_words(cookie.kind),
                    shown(cookie),
                    service.id
                ));
            }
        }
    }
}
