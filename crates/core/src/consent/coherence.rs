//! Whether a choice says what its action says: the rules that refuse a contradictory record
//! before it reaches the ledger, and the one fact the expiry rule needs, whether a choice grants
//! anything beyond what is strictly necessary. Pure: the caller gives the privacy file.
//!
//! | action | what it must hold |
//! |---|---|
//! | `reject_all`, `withdraw` | no category beyond `necessary` and no service outside it is granted |
//! | `accept_all` | every category the site shows is granted, and nothing is refused |
//! | `gpc` | `gpc` is `true` (it is the choice made under Global Privacy Control) |
//! | any, with `gpc: true` and `consent.gpc_disables_marketing` | no marketing category, and no service in one, is granted |
//!
//! `custom` and `expired_renewal` may hold any combination. A category the site "shows" is one
//! that at least one of the site's services belongs to, as in the banner.

use std::fmt;

use super::{ConsentAction, ConsentChoice};
use crate::privacy::{Category, NECESSARY, PrivacyFile, Service};

/// One contradiction, named by the request field it is about (`categories.analytics`, `gpc`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contradiction {
    pub field: String,
    pub message: String,
}

impl fmt::Display for Contradiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// What the rules need to know about one site of a privacy file.
#[derive(Debug, Clone)]
pub struct SiteConsent<'a> {
    file: &'a PrivacyFile,
    site: &'a str,
    /// The categories beyond `necessary` that the site's services belong to, in file order.
    shown: Vec<&'a Category>,
}

impl<'a> SiteConsent<'a> {
    /// The rules of `site` in `file`; `None` for a site the file does not declare.
    pub fn of(file: &'a PrivacyFile, site: &'a str) -> Option<SiteConsent<'a>> {
        file.site(site)?;
        let services = file.services_for_site(site);
        let shown = file
            .categories
            .iter()
            .filter(|c| c.id != NECESSARY && services.iter().any(|s| s.category == c.id))
            .collect();
        Some(SiteConsent { file, site, shown })
    }

    fn service(&self, id: &str) -> Option<&'a Service> {
        self.file.service(id)
    }

    fn category_is_marketing(&self, id: &str) -> bool {
        self.file
            .categories
            .iter()
            .any(|category| category.id == id && category.marketing)
    }

    /// Whether the service `id` is strictly necessary (its category is `necessary`).
    fn service_is_necessary(&self, id: &str) -> bool {
        self.service(id).is_some_and(|s| s.category == NECESSARY)
    }

    /// True when `choice` grants a category beyond `necessary`, or a service outside it: the
    /// fact that decides between `consent.accept_duration` and `consent.reject_duration`.
    pub fn grants_beyond_necessary(&self, choice: &ConsentChoice) -> bool {
        choice
            .categories
            .iter()
            .any(|(id, granted)| *granted && id != NECESSARY)
            || choice
                .services
                .iter()
                .any(|(id, granted)| *granted && !self.service_is_necessary(id))
    }

    /// Every contradiction in `choice`, at most one per field, in a stable order.
    pub fn contradictions(&self, choice: &ConsentChoice) -> Vec<Contradiction> {
        let mut found = Vec::new();
        let mut push = |field: String, message: String| {
            if !found.iter().any(|c: &Contradiction| c.field == field) {
                found.push(Contradiction { field, message });
            }
        };
        let action = choice.action;
        if choice.gpc && self.file.consent.gpc_disables_marketing {
            for (id, _) in choice.categories.iter().filter(|(_, granted)| **granted) {
                if self.category_is_marketing(id) {
                    push(
                        format!("categories.{id}"),
                        "cannot be granted while gpc is true: the privacy file sets \
                         consent.gpc_disables_marketing, which keeps marketing off under Global \
                         Privacy Control"
                            .to_owned(),
                    );
                }
            }
            for (id, _) in choice.services.iter().filter(|(_, granted)| **granted) {
                if let Some(service) = self.service(id)
                    && self.category_is_marketing(&service.category)
                {
                    push(
                        format!("services.{id}"),
                        format!(
                            "cannot be granted while gpc is true: it is in the marketing category \
                             {:?} and the privacy file sets consent.gpc_disables_marketing",
                            service.category
                        ),
                    );
                }
            }
        }
        match action {
            ConsentAction::RejectAll | ConsentAction::Withdraw => {
                for (id, _) in choice.categories.iter().filter(|(_, granted)| **granted) {
                    if id != NECESSARY {
                        push(
                            format!("categories.{id}"),
                            format!(
                                "is granted, but {action} refuses everything beyond strictly \
                                 necessary; send action custom for a partial choice"
                            ),
                        );
                    }
                }
                for (id, _) in choice.services.iter().filter(|(_, granted)| **granted) {
                    if !self.service_is_necessary(id) {
                        push(
                            format!("services.{id}"),
                            format!(
                                "is granted, but {action} refuses every service that is not \
                                 strictly necessary; send action custom for a partial choice"
                            ),
                        );
                    }
                }
            }
            ConsentAction::AcceptAll => {
                for category in &self.shown {
                    if choice.categories.get(&category.id) != Some(&true) {
                        push(
                            format!("categories.{}", category.id),
                            format!(
                                "must be granted: accept_all grants every category site {:?} \
                                 shows; send action custom for a partial choice",
                                self.site
                            ),
                        );
                    }
                }
                for (id, _) in choice.categories.iter().filter(|(_, granted)| !**granted) {
                    push(
                        format!("categories.{id}"),
                        "is refused, but accept_all refuses nothing; send action custom for a \
                         partial choice"
                            .to_owned(),
                    );
                }
                for (id, _) in choice.services.iter().filter(|(_, granted)| !**granted) {
                    push(
                        format!("services.{id}"),
                        "is refused, but accept_all refuses nothing; send action custom for a \
                         partial choice"
                            .to_owned(),
                    );
                }
            }
            ConsentAction::Gpc if !choice.gpc => push(
                "gpc".to_owned(),
                "must be true for action gpc, the choice made under Global Privacy Control"
                    .to_owned(),
            ),
            ConsentAction::Gpc | ConsentAction::Custom | ConsentAction::ExpiredRenewal => {}
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Lang;

    const FILE: &str = r#"languages = ["en"]

[organisation]
name = "Example AS"
org_number = "999 888 771"
address = "Storgata 1, 0101 Oslo"
country = "NO"
email = "personvern@example.no"

[[sites]]
id = "www"
name = "Example"
domains = ["localhost"]

[[categories]]
id = "analytics"
label = { en = "Statistics" }
description = { en = "Counting visits." }

[[categories]]
id = "marketing"
label = { en = "Marketing" }
description = { en = "Ads." }
marketing = true

[[categories]]
id = "unused"
label = { en = "Unused" }
description = { en = "No service of the site is in it." }

[[services]]
id = "consent"
name = "Consent cookie"
category = "necessary"
provider = { name = "Example AS", country = "NO" }
purpose = { en = "Remembers the choice." }
justification = { en = "Required to respect the choice." }

[[services]]
id = "stats"
name = "Stats"
category = "analytics"
provider = { name = "Example AS", country = "NO" }
purpose = { en = "Counts visits." }

[[services]]
id = "ads"
name = "Ads"
category = "marketing"
provider = { name = "Example AS", country = "NO" }
purpose = { en = "Shows ads." }
"#;

    fn file() -> PrivacyFile {
        crate::privacy::load(FILE, "coherence.toml").unwrap()
    }

    fn choice(
        action: ConsentAction,
        grants: &[(&str, bool)],
        services: &[(&str, bool)],
    ) -> ConsentChoice {
        ConsentChoice {
            site: "www".into(),
            revision: "r".into(),
            language: Lang::new("en"),
            action,
            categories: grants
                .iter()
                .map(|(id, g)| ((*id).to_owned(), *g))
                .collect(),
            services: services
                .iter()
                .map(|(id, g)| ((*id).to_owned(), *g))
                .collect(),
            previous_receipt: None,
            gpc: false,
        }
    }

    fn fields(site: &SiteConsent<'_>, choice: &ConsentChoice) -> Vec<String> {
        site.contradictions(choice)
            .into_iter()
            .map(|c| c.field)
            .collect()
    }

    #[test]
    fn a_refusal_that_grants_something_is_named_by_field() {
        let file = file();
        let site = SiteConsent::of(&file, "www").unwrap();
        for action in [ConsentAction::RejectAll, ConsentAction::Withdraw] {
            let granting = choice(
                action,
                &[
                    ("necessary", true),
                    ("analytics", true),
                    ("marketing", false),
                ],
                &[("consent", true), ("stats", false), ("ads", true)],
            );
            assert_eq!(
                fields(&site, &granting),
                ["categories.analytics", "services.ads"]
            );
            // Necessary storage and necessary services may stay on.
            let clean = choice(
                action,
                &[("necessary", true), ("analytics", false)],
                &[("consent", true)],
            );
            assert!(fields(&site, &clean).is_empty(), "{action}");
        }
    }

    #[test]
    fn accept_all_must_grant_every_category_the_site_shows_and_refuse_nothing() {
        let file = file();
        let site = SiteConsent::of(&file, "www").unwrap();
        let nothing = choice(ConsentAction::AcceptAll, &[("necessary", true)], &[]);
        assert_eq!(
            fields(&site, &nothing),
            ["categories.analytics", "categories.marketing"]
        );
        let partial = choice(
            ConsentAction::AcceptAll,
            &[("analytics", true), ("marketing", true), ("unused", false)],
            &[("stats", false)],
        );
        assert_eq!(
            fields(&site, &partial),
            ["categories.unused", "services.stats"]
        );
        // `unused` is shown by no service of the site, so it need not be sent.
        let all = choice(
            ConsentAction::AcceptAll,
            &[("analytics", true), ("marketing", true)],
            &[("ads", true)],
        );
        assert!(fields(&site, &all).is_empty());
    }

    #[test]
    fn gpc_keeps_marketing_off_when_the_file_says_so() {
        let mut file = file();
        let mut marketing = choice(
            ConsentAction::Custom,
            &[("marketing", true), ("analytics", true)],
            &[("ads", true)],
        );
        marketing.gpc = true;
        let site = SiteConsent::of(&file, "www").unwrap();
        assert_eq!(
            fields(&site, &marketing),
            ["categories.marketing", "services.ads"]
        );
        let message = site.contradictions(&marketing)[0].to_string();
        assert!(
            message.contains("gpc") && message.contains("gpc_disables_marketing"),
            "{message}"
        );
        let mut under_gpc = choice(
            ConsentAction::Gpc,
            &[("analytics", true), ("marketing", false)],
            &[],
        );
        under_gpc.gpc = true;
        assert!(fields(&site, &under_gpc).is_empty());
        under_gpc.gpc = false;
        assert_eq!(fields(&site, &under_gpc), ["gpc"]);

        file.consent.gpc_disables_marketing = false;
        let site = SiteConsent::of(&file, "www").unwrap();
        assert!(fields(&site, &marketing).is_empty());
    }

    #[test]
    fn custom_may_hold_anything_and_only_grants_beyond_necessary_count_for_expiry() {
        let file = file();
        let site = SiteConsent::of(&file, "www").unwrap();
        let only_necessary = choice(
            ConsentAction::Custom,
            &[("necessary", true), ("analytics", false)],
            &[("consent", true)],
        );
        assert!(fields(&site, &only_necessary).is_empty());
        assert!(!site.grants_beyond_necessary(&only_necessary));
        assert!(
            only_necessary.grants_anything(),
            "the file-blind count errs here"
        );
        let stats = choice(ConsentAction::Custom, &[], &[("stats", true)]);
        assert!(site.grants_beyond_necessary(&stats));
        assert!(SiteConsent::of(&file, "nope").is_none());
    }
}
