//! The project's own catalogue of the most common trackers and embedded services on Norwegian
//! sites: names, lifetimes and hosts as the vendors document them, described in our own words.
//! Kept short on purpose; the Open Cookie Database covers the long tail.

use super::retention::KnownDuration;
use super::{CatalogueSource, KnownCategory, KnownCookie, KnownHost};

use KnownCategory::{Analytics, Functional, Marketing, Necessary};

/// One vendor's product and what it sets.
struct Vendor {
    platform: &'static str,
    provider: &'static str,
    category: KnownCategory,
    privacy_url: &'static str,
    hosts: &'static [&'static str],
    cookies: &'static [Entry],
}

/// One cookie or storage key. `domain` is set for third-party cookies.
struct Entry {
    name: &'static str,
    prefix: bool,
    retention: &'static str,
    domain: Option<&'static str>,
    description: &'static str,
}

const fn first(name: &'static str, retention: &'static str, description: &'static str) -> Entry {
    Entry {
        name,
        prefix: false,
        retention,
        domain: None,
        description,
    }
}

const fn first_prefix(
    name: &'static str,
    retention: &'static str,
    description: &'static str,
) -> Entry {
    Entry {
        name,
        prefix: true,
        retention,
        domain: None,
        description,
    }
}

const fn third(
    name: &'static str,
    domain: &'static str,
    retention: &'static str,
    description: &'static str,
) -> Entry {
    Entry {
        name,
        prefix: false,
        retention,
        domain: Some(domain),
        description,
    }
}

const GOOGLE_PRIVACY: &str = "https://policies.google.com/privacy";

const VENDORS: &[Vendor] = &[
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
        platform: "Google Ads",
        provider: "Google",
        category: Marketing,
        privacy_url: GOOGLE_PRIVACY,
        hosts: &[
            "googleadservices.com",
            "googlesyndication.com",
            "doubleclick.net",
            "googleads.g.doubleclick.net",
        ],
        cookies: &[
            first(
                "_gcl_au",
                "90 days",
                "Stores a first-party id used to measure conversions from Google ads.",
            ),
            first(
                "_gcl_aw",
                "90 days",
                "Stores the click id of a Google Ads click so a later conversion can be attributed to it.",
            ),
            first(
                "_gcl_dc",
                "90 days",
                "Stores the click id of a Display & Video 360 or Campaign Manager click.",
            ),
            third(
                "IDE",
                "doubleclick.net",
                "13 months",
                "Google's advertising id on doubleclick.net, used to show and measure targeted ads across sites.",
            ),
            third(
                "test_cookie",
                "doubleclick.net",
                "15 minutes",
                "Checks whether the browser accepts third-party cookies from doubleclick.net.",
            ),
            third(
                "NID",
                "google.com",
                "6 months",
                "Remembers Google preferences and is used for ads personalisation on Google services.",
            ),
        ],
    },
    Vendor {
        platform: "Meta Pixel",
        provider: "Meta",
        category: Marketing,
        privacy_url: "https://www.facebook.com/privacy/policy/",
        hosts: &["connect.facebook.net", "facebook.com", "facebook.net"],
        cookies: &[
            first(
                "_fbp",
                "90 days",
                "Holds a browser id that Meta uses to match site visits with ad delivery and conversions.",
            ),
            first(
                "_fbc",
                "90 days",
                "Stores the click id when a visitor arrives from a Meta ad.",
            ),
            third(
                "fr",
                "facebook.com",
                "90 days",
                "Meta's advertising cookie for delivering and measuring ads and retargeting.",
            ),
        ],
    },
    Vendor {
        platform: "LinkedIn Insight Tag",
        provider: "LinkedIn",
        category: Marketing,
        privacy_url: "https://www.linkedin.com/legal/privacy-policy",
        hosts: &[
            "snap.licdn.com",
            "px.ads.linkedin.com",
            "linkedin.com",
            "licdn.com",
        ],
        cookies: &[
            first(
                "li_sugr",
                "90 days",
                "A browser id LinkedIn uses to match visits with members for ad measurement.",
            ),
            first(
                "li_fat_id",
                "30 days",
                "Stores the click id when a visitor arrives from a LinkedIn ad.",
            ),
            third(
                "bcookie",
                "linkedin.com",
                "1 year",
                "LinkedIn's browser id, used for security and for ads on and off LinkedIn.",
            ),
            third(
                "lidc",
                "linkedin.com",
                "24 hours",
                "Routes requests to a LinkedIn data centre.",
            ),
            third(
                "UserMatchHistory",
                "linkedin.com",
                "30 days",
                "Syncs LinkedIn's ad ids with other ad platforms.",
            ),
            third(
                "AnalyticsSyncHistory",
                "linkedin.com",
                "30 days",
                "Remembers when the visitor was last synced with LinkedIn's ad measurement.",
            ),
        ],
    },
    Vendor {
        platform: "TikTok Pixel",
        provider: "TikTok",
        category: Marketing,
        privacy_url: "https://www.tiktok.com/legal/page/eea/privacy-policy/en",
        hosts: &["analytics.tiktok.com", "tiktok.com"],
        cookies: &[
            first(
                "_ttp",
                "13 months",
                "A browser id TikTok uses to measure ads and build audiences.",
            ),
            first(
                "_tt_enable_cookie",
                "13 months",
                "Checks whether the browser accepts the TikTok pixel's cookies.",
            ),
        ],
    },
    Vendor {
        platform: "Snap Pixel",
        provider: "Snap",
        category: Marketing,
        privacy_url: "https://values.snap.com/privacy/privacy-policy",
        hosts: &["sc-static.net", "tr.snapchat.com", "snapchat.com"],
        cookies: &[first(
            "_scid",
            "13 months",
            "A browser id Snap uses to measure ads and build audiences.",
        )],
    },
    Vendor {
        platform: "Microsoft Advertising (Bing UET)",
        provider: "Microsoft",
        category: Marketing,
        privacy_url: "https://privacy.microsoft.com/privacystatement",
        hosts: &["bat.bing.com", "bing.com"],
        cookies: &[
            first(
                "_uetsid",
                "1 day",
                "A session id for Microsoft Advertising's Universal Event Tracking.",
            ),
            first(
                "_uetvid",
                "13 months",
                "A visitor id for Microsoft Advertising's Universal Event Tracking.",
            ),
            first(
                "_uetmsclkid",
                "90 days",
                "Stores the click id when a visitor arrives from a Microsoft ad.",
            ),
            third(
                "MUID",
                "bing.com",
                "13 months",
                "Microsoft's browser id across its services, used for ads and analytics.",
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

/// The cookies and hosts above as catalogue entries.
pub(super) fn entries() -> (Vec<KnownCookie>, Vec<KnownHost>) {
    let mut cookies = Vec::new();
    let mut hosts = Vec::new();
    for vendor in VENDORS {
        for entry in vendor.cookies {
            cookies.push(KnownCookie {
                name: entry.name.to_owned(),
                prefix: entry.prefix,
                platform: vendor.platform.to_owned(),
                provider: vendor.provider.to_owned(),
                category: vendor.category,
                retention: entry.retention.to_owned(),
                duration: KnownDuration::parse(entry.retention),
                third_party: entry.domain.is_some(),
                domain: entry.domain.map(str::to_owned),
                hosts: entry.domain.map(str::to_owned).into_iter().collect(),
                description: entry.description.to_owned(),
                privacy_url: Some(vendor.privacy_url.to_owned()),
                source: CatalogueSource::Builtin,
            });
        }
        for host in vendor.hosts {
            hosts.push(KnownHost {
                host: (*host).to_owned(),
                platform: vendor.platform.to_owned(),
                provider: vendor.provider.to_owned(),
                category: vendor.category,
                source: CatalogueSource::Builtin,
            });
        }
    }
    (cookies, hosts)
}
