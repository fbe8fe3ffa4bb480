//! Analytics, chat, video, infrastructure and consent tools: Google Analytics, Segment,
//! Microsoft Clarity, Hotjar, HubSpot, Intercom, YouTube, Vimeo, Siteimprove, Cloudflare, Stripe, Matomo,
//! Cookiebot.

use super::{GOOGLE_PRIVACY, Vendor, first, first_prefix, third};
use crate::catalogue::KnownCategory::{Analytics, Functional, Marketing, Necessary};

pub(super) const TOOLS: &[Vendor] = &[
    Vendor {
        platform: "Google Analytics",
        provider: "Google",
        category: Analytics,
        privacy_url: GOOGLE_PRIVACY,
        hosts: &[
            "google-analytics.com",
            "analytics.google.com",
            "googletagmanager.com",
        ],
        cookies: &[
            first(
                "_ga",
                "2 years",
                "Holds a random visitor id so that visits from the same browser can be counted together.",
            ),
            first_prefix(
                "_ga_",
                "2 years",
                "Keeps the session state for one Google Analytics 4 property (the suffix is the property's measurement id).",
            ),
            first(
                "_gid",
                "24 hours",
                "Holds a random id to tell visitors apart within one day (Universal Analytics).",
            ),
            first_prefix(
                "_gat",
                "1 minute",
                "Throttles how often hits are sent to Google Analytics.",
            ),
            first_prefix(
                "_gac_",
                "90 days",
                "Links an ad click to later visits when Google Analytics is connected to Google Ads.",
            ),
        ],
    },
    Vendor {
        platform: "Segment",
        provider: "Twilio",
        category: Analytics,
        privacy_url: "https://www.twilio.com/en-us/legal/privacy",
        hosts: &[
            "cdn.segment.com",
            "api.segment.io",
            "segment.com",
            "segment.io",
        ],
        cookies: &[
            first(
                "ajs_anonymous_id",
                "1 year",
                "Analytics.js's random id for a visitor who has not signed in; Segment links all their events by it.",
            ),
            first(
                "ajs_user_id",
                "1 year",
                "The id of a visitor the site has identified, so Segment can link their events to that person.",
            ),
        ],
    },
    Vendor {
        platform: "Microsoft Clarity",
        provider: "Microsoft",
        category: Analytics,
        privacy_url: "https://privacy.microsoft.com/privacystatement",
        hosts: &["clarity.ms"],
        cookies: &[
            first(
                "_clck",
                "1 year",
                "Holds Clarity's visitor id and settings.",
            ),
            first(
                "_clsk",
                "1 day",
                "Joins page views into one Clarity session recording.",
            ),
            third(
                "CLID",
                "clarity.ms",
                "1 year",
                "Identifies the browser the first time it meets Clarity.",
            ),
        ],
    },
    Vendor {
        platform: "Hotjar",
        provider: "Hotjar",
        category: Analytics,
        privacy_url: "https://www.hotjar.com/legal/policies/privacy/",
        hosts: &["hotjar.com", "hotjar.io"],
        cookies: &[
            first_prefix(
                "_hjSessionUser_",
                "1 year",
                "Holds Hotjar's visitor id for one site (the suffix is the site id).",
            ),
            first_prefix(
                "_hjSession_",
                "30 minutes",
                "Holds the current Hotjar session's data.",
            ),
            first(
                "_hjTLDTest",
                "session",
                "Finds the widest domain Hotjar can set its cookies on.",
            ),
        ],
    },
    Vendor {
        platform: "HubSpot",
        provider: "HubSpot",
        category: Marketing,
        privacy_url: "https://legal.hubspot.com/privacy-policy",
        hosts: &[
            "hs-scripts.com",
            "hs-analytics.net",
            "hs-banner.com",
            "hsforms.com",
            "hubspot.com",
        ],
        cookies: &[
            first(
                "__hstc",
                "6 months",
                "HubSpot's main visitor tracking cookie: first, last and current visit and visit count.",
            ),
            first(
                "hubspotutk",
                "6 months",
                "A visitor id HubSpot attaches to form submissions to recognise contacts.",
            ),
            first(
                "__hssc",
                "30 minutes",
                "Counts page views in the current HubSpot session.",
            ),
            first(
                "__hssrc",
                "session",
                "Tells HubSpot whether the browser has been restarted.",
            ),
        ],
    },
    Vendor {
        platform: "Intercom",
        provider: "Intercom",
        category: Functional,
        privacy_url: "https://www.intercom.com/legal/privacy",
        hosts: &["intercom.io", "intercomcdn.com", "intercom.com"],
        cookies: &[
            first_prefix(
                "intercom-id-",
                "9 months",
                "Recognises the visitor in the Intercom chat so earlier conversations are kept.",
            ),
            first_prefix(
                "intercom-session-",
                "7 days",
                "Keeps the Intercom chat session between page views.",
            ),
            first_prefix(
                "intercom-device-id-",
                "9 months",
                "Recognises the device in the Intercom chat.",
            ),
        ],
    },
    Vendor {
        platform: "YouTube",
        provider: "Google",
        category: Marketing,
        privacy_url: GOOGLE_PRIVACY,
        hosts: &[
            "youtube.com",
            "youtube-nocookie.com",
            "ytimg.com",
            "googlevideo.com",
        ],
        cookies: &[
            third(
                "YSC",
                "youtube.com",
                "session",
                "YouTube's session id for an embedded video, used for statistics and abuse protection.",
            ),
            third(
                "VISITOR_INFO1_LIVE",
                "youtube.com",
                "6 months",
                "Estimates bandwidth and remembers the player's settings; also used for recommendations.",
            ),
            third(
                "VISITOR_PRIVACY_METADATA",
                "youtube.com",
                "6 months",
                "Stores the visitor's cookie choices for YouTube.",
            ),
        ],
    },
    Vendor {
        platform: "Vimeo",
        provider: "Vimeo",
        category: Analytics,
        privacy_url: "https://vimeo.com/privacy",
        hosts: &["vimeo.com", "vimeocdn.com"],
        cookies: &[third(
            "vuid",
            "vimeo.com",
            "2 years",
            "Vimeo's visitor id, used for statistics about embedded videos.",
        )],
    },
    Vendor {
        platform: "Siteimprove Analytics",
        provider: "Siteimprove",
        category: Analytics,
        privacy_url: "https://www.siteimprove.com/privacy/",
        hosts: &[
            "siteimproveanalytics.com",
            "siteimproveanalytics.io",
            "siteimprove.com",
        ],
        cookies: &[
            first(
                "nmstat",
                "1000 days",
                "A visitor id Siteimprove uses to count visits and page views.",
            ),
            first(
                "siteimproveses",
                "session",
                "Follows the pages seen during one visit.",
            ),
        ],
    },
    Vendor {
        platform: "Cloudflare",
        provider: "Cloudflare",
        category: Necessary,
        privacy_url: "https://www.cloudflare.com/privacypolicy/",
        hosts: &["challenges.cloudflare.com"],
        cookies: &[
            first(
                "__cf_bm",
                "30 minutes",
                "Tells people from bots for Cloudflare's bot protection.",
            ),
            first(
                "cf_clearance",
                "30 minutes",
                "Shows that the browser passed a Cloudflare challenge (lifetime set by the site, 30 minutes by default).",
            ),
            first(
                "_cfuvid",
                "session",
                "Lets Cloudflare's rate limiting tell visitors behind the same address apart.",
            ),
        ],
    },
    Vendor {
        platform: "Stripe",
        provider: "Stripe",
        category: Necessary,
        privacy_url: "https://stripe.com/privacy",
        hosts: &["js.stripe.com", "m.stripe.network", "m.stripe.com"],
        cookies: &[
            first(
                "__stripe_mid",
                "1 year",
                "Stripe's device id for fraud prevention in payments.",
            ),
            first(
                "__stripe_sid",
                "30 minutes",
                "Stripe's session id for fraud prevention in payments.",
            ),
        ],
    },
    Vendor {
        platform: "Matomo",
        provider: "Matomo (self-hosted by the site)",
        category: Analytics,
        privacy_url: "https://matomo.org/privacy-policy/",
        hosts: &[],
        cookies: &[
            first_prefix(
                "_pk_id.",
                "13 months",
                "Holds a random visitor id for Matomo statistics.",
            ),
            first_prefix("_pk_ses.", "30 minutes", "Marks the current Matomo visit."),
        ],
    },
    Vendor {
        platform: "Cookiebot",
        provider: "Usercentrics",
        category: Necessary,
        privacy_url: "https://www.cookiebot.com/en/privacy-policy/",
        hosts: &["consent.cookiebot.com", "consentcdn.cookiebot.com"],
        cookies: &[first(
            "CookieConsent",
            "1 year",
            "Stores the visitor's cookie choices made in a Cookiebot banner.",
        )],
    },
];
