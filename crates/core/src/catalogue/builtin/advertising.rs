//! Advertising pixels and tags: Google Ads/DoubleClick, Meta, LinkedIn, TikTok, Snap and
//! Microsoft Advertising (Bing UET).

use super::{GOOGLE_PRIVACY, Vendor, first, first_prefix, third};
use crate::catalogue::KnownCategory::Marketing;

pub(super) const ADVERTISING: &[Vendor] = &[
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
            first(
                "ttcsid",
                "13 months",
                "The TikTok pixel's session id, linking the events of one visit for ad measurement.",
            ),
            first_prefix(
                "ttcsid_",
                "13 months",
                "The TikTok pixel's session id for one pixel (the suffix is the pixel id).",
            ),
        ],
    },
    Vendor {
        platform: "Snap Pixel",
        provider: "Snap",
        category: Marketing,
        privacy_url: "https://values.snap.com/privacy/privacy-policy",
        hosts: &["sc-static.net", "tr.snapchat.com", "snapchat.com"],
        cookies: &[
            first(
                "_scid",
                "13 months",
                "A browser id Snap uses to measure ads and build audiences.",
            ),
            first(
                "_scid_r",
                "13 months",
                "A second copy of the Snap Pixel's browser id, kept for matching across the site's domains.",
            ),
            first(
                "_sctr",
                "1 year",
                "Records when the Snap Pixel last saw this browser, for ad measurement.",
            ),
            first(
                "sc_at",
                "1 year",
                "Stores the click id of a Snapchat ad the visitor came from, to attribute later conversions.",
            ),
        ],
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
];
