//! Which links from the privacy file may become clickable: only `https:`, `http:` and `mailto:`.
//! `check` refuses any other (naming the key), and every page that renders a link from the file
//! asks [`is_safe_link`] again, so an unchecked model can never produce a `javascript:` link.
//!
//! The test is the one a browser's URL parser implies: leading and trailing C0 controls and
//! spaces are stripped and tabs and newlines removed anywhere before the scheme is read, and the
//! scheme is compared without case. A value that needs any of that stripping is refused too:
//! a link in a privacy file has no business holding control characters.

/// The schemes a link from the privacy file may use.
pub const SAFE_SCHEMES: [&str; 3] = ["https", "http", "mailto"];

/// Whether `url` is an absolute `https:`, `http:` or `mailto:` link with no control characters
/// or whitespace in it.
pub fn is_safe_link(url: &str) -> bool {
    if url.is_empty() || url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return false;
    }
    match scheme_of(url) {
        Some(scheme) => SAFE_SCHEMES
            .iter()
            .any(|safe| scheme.eq_ignore_ascii_case(safe)),
        None => false,
    }
}

/// The scheme a browser would read from `url` (lower-cased), after stripping what it strips;
/// `None` for a relative link. For messages: "uses the scheme `javascript`".
pub fn scheme_of(url: &str) -> Option<String> {
    let cleaned: String = url
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let (scheme, _) = cleaned.split_once(':')?;
    let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then(|| scheme.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_and_mail_links_are_safe() {
        for good in [
            "https://www.example.no/personvern",
            "http://example.no",
            "HTTPS://EXAMPLE.NO/",
            "mailto:personvern@example.no",
        ] {
            assert!(is_safe_link(good), "{good}");
        }
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "\u{1}javascript:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "https://example.no/\u{0}",
            "https://exa mple.no",
            "//evil.example/x",
            "/relative",
            "",
            "ftp://example.no",
        ] {
            assert!(!is_safe_link(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_scheme_is_read_as_a_browser_reads_it() {
        assert_eq!(
            scheme_of(" \tJava\nScript:x").as_deref(),
            Some("javascript")
        );
        assert_eq!(scheme_of("/x").as_deref(), None);
        assert_eq!(scheme_of("https://x").as_deref(), Some("https"));
    }
}
