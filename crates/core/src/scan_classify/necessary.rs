//! The scanner's side of "`necessary` is no escape hatch": a service declared necessary that the
//! scan saw on the site, and that the catalogue knows as analytics or marketing, is a violation
//! (`necessary_but_tracking`) unless the file acknowledges it with a reason.

use std::collections::BTreeSet;

use super::Judgement;
use crate::catalogue::Catalogue;
use crate::privacy::Service;
use crate::scan_report::{Classification, PageResult, Violation, ViolationKind};

/// `necessary` is no escape hatch: a necessary service that was seen and that the catalogue
/// knows as analytics or marketing is a violation, unless `acknowledge.necessary` says why.
pub(super) fn necessary_but_tracking(
    pages: &[PageResult],
    services: &[&Service],
    catalogue: &Catalogue,
    judgement: &mut Judgement,
) {
    for service in services
        .iter()
        .filter(|s| s.category == crate::privacy::NECESSARY && s.acknowledge.necessary.is_none())
    {
        let Some(evidence) = crate::privacy::warnings::tracking_evidence(service, catalogue) else {
            continue;
        };
        let seen = pages
            .iter()
            .flat_map(|page| page.phases.iter().map(move |phase| (page, phase)))
            .flat_map(|(page, phase)| phase.findings.iter().map(move |f| (page, f)))
            .filter(|(_, finding)| {
                matches!(finding.classification(), Classification::Declared { service: id, .. } if *id == service.id)
            })
            .map(|(page, _)| page.url.as_str())
            .collect::<BTreeSet<_>>();
        if seen.is_empty() {
            continue;
        }
        judgement.violations.push(Violation {
            kind: ViolationKind::NecessaryButTracking,
            page: None,
            phase: None,
            subject: service.id.clone(),
            evidence: evidence.clone(),
            detail: format!(
                "service \"{}\" is declared necessary, so it runs before any choice, but {evidence}: it needs consent (or acknowledge.necessary with the reason)",
                service.id
            ),
            pages_seen: u32::try_from(seen.len()).unwrap_or(u32::MAX),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::{Cookie, Party, StorageKind};
    use crate::scan_report::{CookieFinding, Finding, Phase, PhaseResult};

    fn segment(acknowledged: bool) -> Service {
        let mut service: Service = toml::from_str(
            r#"id = "segment"
name = "Segment"
category = "necessary"
provider = { name = "Twilio Ireland Limited", country = "IE" }
purpose = { en = "Routes events." }
"#,
        )
        .unwrap();
        service.cookies.push(Cookie {
            name: "ajs_anonymous_id".to_owned(),
            prefix: false,
            kind: StorageKind::Cookie,
            party: Party::First,
            domain: None,
            duration: "1 year".to_owned(),
            purpose: None,
            acknowledge: Default::default(),
        });
        if acknowledged {
            service.acknowledge.necessary = Some("Only consent routing.".to_owned());
        }
        service
    }

    fn seen_page(service: &str) -> PageResult {
        let finding = Finding::Cookie(CookieFinding {
            name: "ajs_anonymous_id".to_owned(),
            domain: "www.example.no".to_owned(),
            path: "/".to_owned(),
            expires: None,
            lifetime_ms: None,
            http_only: false,
            secure: true,
            same_site: None,
            party: Party::First,
            set_by: None,
            classification: Classification::Declared {
                service: service.to_owned(),
                category: "necessary".to_owned(),
            },
        });
        PageResult {
            url: "https://www.example.no/".to_owned(),
            kapsel_banner: true,
            error: None,
            phases: vec![PhaseResult {
                phase: Phase::BeforeChoice,
                not_driven: None,
                findings: vec![finding],
            }],
        }
    }

    #[test]
    fn a_necessary_service_the_catalogue_knows_as_tracking_is_a_violation_once_seen() {
        let catalogue = Catalogue::builtin();
        let service = segment(false);
        let mut judgement = Judgement::default();
        necessary_but_tracking(
            &[seen_page("segment")],
            &[&service],
            &catalogue,
            &mut judgement,
        );
        assert_eq!(judgement.violations.len(), 1);
        assert_eq!(
            judgement.violations[0].kind,
            ViolationKind::NecessaryButTracking
        );
        assert!(
            judgement.violations[0]
                .detail
                .contains("`ajs_anonymous_id` is Segment (analytics)")
        );

        let mut unseen = Judgement::default();
        necessary_but_tracking(&[seen_page("other")], &[&service], &catalogue, &mut unseen);
        assert!(unseen.violations.is_empty());

        let acknowledged = segment(true);
        let mut quiet = Judgement::default();
        necessary_but_tracking(
            &[seen_page("segment")],
            &[&acknowledged],
            &catalogue,
            &mut quiet,
        );
        assert!(quiet.violations.is_empty());
    }
}
