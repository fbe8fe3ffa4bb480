//! The user-agent family: the only part of the user-agent string the ledger keeps.

/// The browser family of a user-agent string: `Chrome`, `Firefox`, `Safari`, `Edge`, `Opera`,
/// `Samsung Internet`, `bot` or `other`. Order matters: Edge, Opera and Samsung Internet all
/// claim to be Chrome and Safari too.
pub fn family(user_agent: &str) -> &'static str {
    let ua = user_agent.to_ascii_lowercase();
    let has = |needle: &str| ua.contains(needle);
    if has("bot")
        || has("crawler")
        || has("spider")
        || has("headlesschrome")
        || has("curl/")
        || has("wget/")
        || has("python-requests")
        || has("slurp")
    {
        "bot"
    } else if has("edg/") || has("edge/") || has("edga/") || has("edgios/") {
        "Edge"
    } else if has("opr/") || has("opera") || has("opios/") {
        "Opera"
    } else if has("samsungbrowser/") {
        "Samsung Internet"
    } else if has("firefox/") || has("fxios/") {
        "Firefox"
    } else if has("chrome/") || has("chromium/") || has("crios/") {
        "Chrome"
    } else if has("safari/") && (has("version/") || has("mobile/")) {
        "Safari"
    } else {
        "other"
    }
}

#[cfg(test)]
mod tests {
    use super::family;

    #[test]
    fn common_browsers_map_to_their_family() {
        let cases = [
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                "Chrome",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
                "Edge",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0",
                "Opera",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
                "Samsung Internet",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Firefox",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
                "Safari",
            ),
            (
                "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                "bot",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
                "bot",
            ),
            ("curl/8.5.0", "bot"),
            ("", "other"),
            ("SomethingElse/1.0", "other"),
        ];
        for (ua, expected) in cases {
            assert_eq!(family(ua), expected, "{ua}");
        }
    }
}
