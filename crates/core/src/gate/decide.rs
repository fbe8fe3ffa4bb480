//! One event, one destination: forward or block, and why.
//!
//! The consent an event is judged by (its [`Basis`]) is, in order:
//! 1. a Kapsel receipt (from `context.kapsel.receipt` or the forwarded consent cookie), judged by
//!    the receipt's *current* state in the ledger at the moment of delivery — a withdrawal
//!    recorded after the event stops it all the same;
//! 2. Segment's `context.consent.categoryPreferences`, only for sites whose settings trust it;
//! 3. nothing: then only destinations that need no more than `necessary` get the event.
//!
//! A destination needs *all* of its categories (Segment's semantics). A category the consent
//! does not mention counts as denied — stricter than Segment, which forwards events without a
//! consent object unfiltered: an event whose consent is unknown was not consented to.
//! An objection or restriction the request desk recorded for the subject and the destination's
//! activity blocks the event whatever the consent says.

use std::collections::BTreeSet;

use crate::Millis;
use crate::privacy::NECESSARY;

/// A receipt's current state, as the ledger answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptView {
    pub site: String,
    pub revision: String,
    pub expires_at_ms: Millis,
    /// Categories the latest record grants.
    pub granted: BTreeSet<String>,
}

/// What an event's consent rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Basis {
    /// The event named a receipt; `None` when the ledger has no such receipt.
    Receipt {
        id: String,
        state: Option<ReceiptView>,
    },
    /// Segment's categoryPreferences, trusted for this site: the categories given as `true`.
    Client { granted: BTreeSet<String> },
    /// The event carried no consent information (or only some this site does not trust).
    Unknown,
}

/// Why an event was not forwarded to a destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocked {
    /// The destination needs this category and the consent does not grant it.
    Category(String),
    /// The receipt is not in the ledger.
    UnknownReceipt,
    /// The receipt belongs to another site than the write key's.
    OtherSite,
    /// The receipt has expired: the visitor is being asked again.
    Expired,
    /// The receipt was given for an earlier revision of the site: the visitor is asked again,
    /// and until they answer nothing non-necessary is allowed (as in the banner).
    StaleRevision,
    /// The request desk recorded an objection (art. 21) or restriction (art. 18) for the
    /// subject and the destination's activity.
    Suppressed { kind: String, activity: String },
}

impl Blocked {
    /// The reason as recorded in the trace: `category:marketing`, `receipt:expired`,
    /// `objection:newsletter`…
    pub fn reason(&self) -> String {
        match self {
            Blocked::Category(category) => format!("category:{category}"),
            Blocked::UnknownReceipt => "receipt:unknown".to_owned(),
            Blocked::OtherSite => "receipt:other_site".to_owned(),
            Blocked::Expired => "receipt:expired".to_owned(),
            Blocked::StaleRevision => "receipt:stale_revision".to_owned(),
            Blocked::Suppressed { kind, activity } => format!("{kind}:{activity}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Forward,
    Blocked(Blocked),
}

/// The decision for an event of `site` (whose current revision is `revision`) and a
/// destination that needs `required`, at `now`. `suppressed` is the desk's entry for the
/// subject and the destination's activity, if any (kind, activity).
pub fn decide(
    required: &[String],
    basis: &Basis,
    site: &str,
    revision: &str,
    now: Millis,
    suppressed: Option<(&str, &str)>,
) -> Decision {
    if let Some((kind, activity)) = suppressed {
        return Decision::Blocked(Blocked::Suppressed {
            kind: kind.to_owned(),
            activity: activity.to_owned(),
        });
    }
    let needed: Vec<&String> = required.iter().filter(|c| *c != NECESSARY).collect();
    let Some(first_needed) = needed.first() else {
        return Decision::Forward;
    };
    let granted = match basis {
        Basis::Unknown => return Decision::Blocked(Blocked::Category((*first_needed).clone())),
        Basis::Client { granted } => granted,
        Basis::Receipt { state: None, .. } => return Decision::Blocked(Blocked::UnknownReceipt),
        Basis::Receipt {
            state: Some(state), ..
        } => {
            if state.site != site {
                return Decision::Blocked(Blocked::OtherSite);
            }
            if state.expires_at_ms <= now {
                return Decision::Blocked(Blocked::Expired);
            }
            if state.revision != revision {
                return Decision::Blocked(Blocked::StaleRevision);
            }
            &state.granted
        }
    };
    match needed.into_iter().find(|c| !granted.contains(*c)) {
        Some(missing) => Decision::Blocked(Blocked::Category(missing.clone())),
        None => Decision::Forward,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn req(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn receipt(granted: &[&str]) -> Basis {
        Basis::Receipt {
            id: "R".to_owned(),
            state: Some(ReceiptView {
                site: "shop".to_owned(),
                revision: "rev1".to_owned(),
                expires_at_ms: 1_000,
                granted: set(granted),
            }),
        }
    }

    #[test]
    fn every_required_category_must_be_granted() {
        let both = req(&["analytics", "marketing"]);
        let at = |basis: &Basis| decide(&both, basis, "shop", "rev1", 500, None);
        assert_eq!(at(&receipt(&["analytics", "marketing"])), Decision::Forward);
        assert_eq!(
            at(&receipt(&["analytics"])),
            Decision::Blocked(Blocked::Category("marketing".to_owned()))
        );
        assert_eq!(
            at(&receipt(&[])),
            Decision::Blocked(Blocked::Category("analytics".to_owned()))
        );
    }

    #[test]
    fn without_consent_information_only_necessary_destinations_get_the_event() {
        let unknown = Basis::Unknown;
        assert_eq!(
            decide(&req(&["necessary"]), &unknown, "shop", "rev1", 0, None),
            Decision::Forward
        );
        assert_eq!(
            decide(&req(&[]), &unknown, "shop", "rev1", 0, None),
            Decision::Forward
        );
        assert_eq!(
            decide(&req(&["analytics"]), &unknown, "shop", "rev1", 0, None),
            Decision::Blocked(Blocked::Category("analytics".to_owned()))
        );
    }

    #[test]
    fn a_receipt_is_judged_by_its_site_expiry_and_revision() {
        let analytics = req(&["analytics"]);
        let granted = receipt(&["analytics"]);
        assert_eq!(
            decide(&analytics, &granted, "shop", "rev1", 999, None),
            Decision::Forward
        );
        assert_eq!(
            decide(&analytics, &granted, "shop", "rev1", 1_000, None),
            Decision::Blocked(Blocked::Expired)
        );
        assert_eq!(
            decide(&analytics, &granted, "blog", "rev1", 0, None),
            Decision::Blocked(Blocked::OtherSite)
        );
        assert_eq!(
            decide(&analytics, &granted, "shop", "rev2", 0, None),
            Decision::Blocked(Blocked::StaleRevision)
        );
        let missing = Basis::Receipt {
            id: "R".to_owned(),
            state: None,
        };
        assert_eq!(
            decide(&analytics, &missing, "shop", "rev1", 0, None),
            Decision::Blocked(Blocked::UnknownReceipt)
        );
    }

    #[test]
    fn client_preferences_count_only_what_they_grant() {
        let client = Basis::Client {
            granted: set(&["analytics"]),
        };
        assert_eq!(
            decide(&req(&["analytics"]), &client, "shop", "r", 0, None),
            Decision::Forward
        );
        assert_eq!(
            decide(&req(&["marketing"]), &client, "shop", "r", 0, None),
            Decision::Blocked(Blocked::Category("marketing".to_owned()))
        );
    }

    #[test]
    fn a_suppression_blocks_even_necessary_destinations() {
        let decision = decide(
            &req(&["necessary"]),
            &receipt(&["analytics"]),
            "shop",
            "rev1",
            0,
            Some(("objection", "web-analytics")),
        );
        assert_eq!(
            decision,
            Decision::Blocked(Blocked::Suppressed {
                kind: "objection".to_owned(),
                activity: "web-analytics".to_owned()
            })
        );
        if let Decision::Blocked(blocked) = decision {
            assert_eq!(blocked.reason(), "objection:web-analytics");
        }
    }
}
