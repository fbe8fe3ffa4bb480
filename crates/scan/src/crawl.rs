//! Which pages to visit: same-origin links found on visited pages, `sitemap.xml` when asked,
//! `robots.txt` rules when asked. Everything is fetched by the browser itself (in a profile of its
//! own that the findings never see), so the scanner needs no HTTP client of its own.

use std::collections::{HashSet, VecDeque};

use chromiumoxide::cdp::js_protocol::runtime::EvaluateParams;
use url::Url;

use crate::ScanError;
use crate::browser::Chromium;

/// Pages waiting to be visited, in discovery order, each at most once.
#[derive(Debug, Default)]
pub struct Frontier {
    queue: VecDeque<Url>,
    seen: HashSet<String>,
    origins: Vec<String>,
    disallowed: Vec<String>,
}

impl Frontier {
    pub fn new(starts: &[Url]) -> Frontier {
        let mut frontier = Frontier::default();
        for start in starts {
            let origin = start.origin().ascii_serialization();
            if !frontier.origins.contains(&origin) {
                frontier.origins.push(origin);
            }
            frontier.push_url(start.clone());
        }
        frontier
    }

    /// `robots.txt` paths that are not to be visited (prefixes).
    pub fn disallow(&mut self, prefixes: Vec<String>) {
        self.disallowed.extend(prefixes);
        let disallowed = &self.disallowed;
        self.queue
            .retain(|u| !disallowed.iter().any(|p| u.path().starts_with(p.as_str())));
    }

    /// Adds a link found on a page (or in the sitemap) if it is same-origin and new.
    pub fn push(&mut self, link: &str) {
        if let Ok(url) = Url::parse(link) {
            self.push_url(url);
        }
    }

    fn push_url(&mut self, mut url: Url) {
        url.set_fragment(None);
        if !matches!(url.scheme(), "http" | "https")
            || !self.origins.contains(&url.origin().ascii_serialization())
        {
            return;
        }
        if looks_like_a_file(url.path())
            || self
                .disallowed
                .iter()
                .any(|p| url.path().starts_with(p.as_str()))
        {
            return;
        }
        if self.seen.insert(url.to_string()) {
            self.queue.push_back(url);
        }
    }

    pub fn pop(&mut self) -> Option<Url> {
        self.queue.pop_front()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

/// Downloads, images and the like are not pages.
fn looks_like_a_file(path: &str) -> bool {
    const FILES: [&str; 16] = [
        ".pdf", ".zip", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".mp4", ".mp3", ".css",
        ".js", ".xml", ".txt", ".docx", ".xlsx",
    ];
    let lower = path.to_ascii_lowercase();
    FILES.iter().any(|ext| lower.ends_with(ext))
}

/// `Disallow` prefixes for every user agent (`*`) or for `kapsel`, and `Sitemap` URLs.
pub fn parse_robots(text: &str) -> (Vec<String>, Vec<String>) {
    let mut disallow = Vec::new();
    let mut sitemaps = Vec::new();
    let mut applies = false;
    let mut in_agents = false;
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or_default().trim();
        let Some((field, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match field.trim().to_ascii_lowercase().as_str() {
            "user-agent" => {
                let agent = value.to_ascii_lowercase();
                let matches = agent == "*" || agent.contains("kapsel");
                applies = if in_agents {
                    applies || matches
                } else {
                    matches
                };
                in_agents = true;
            }
            "disallow" => {
                in_agents = false;
                if applies && !value.is_empty() {
                    disallow.push(value.to_owned());
                }
            }
            "sitemap" => sitemaps.push(value.to_owned()),
            _ => in_agents = false,
        }
    }
    (disallow, sitemaps)
}

/// The `<loc>` URLs of a sitemap (or sitemap index).
pub fn parse_sitemap(xml: &str) -> Vec<String> {
    xml.split("<loc>")
        .skip(1)
        .filter_map(|rest| rest.split("</loc>").next())
        .map(|loc| loc.trim().replace("&amp;", "&"))
        .filter(|loc| !loc.is_empty())
        .collect()
}

/// Fetches `path` on `origin` as text with the browser, in a throw-away profile; `None` when
/// it is missing (not 2xx) or cannot be fetched.
pub async fn fetch_text(
    chromium: &Chromium,
    origin: &Url,
    path: &str,
) -> Result<Option<String>, ScanError> {
    let tab = chromium.fresh_tab().await?;
    let result = async {
        let blank = origin.join("/robots.txt").map_err(|e| ScanError::Url(e.to_string()))?;
        tab.page.goto(blank.as_str()).await.map_err(ScanError::browser("open the site for robots/sitemap"))?;
        let path_json = serde_json::to_string(path).unwrap_or_default();
        let mut params = EvaluateParams::new(format!(
            "fetch({path_json}, {{credentials: 'omit'}}).then(r => r.ok ? r.text() : null).catch(() => null)"
        ));
        params.await_promise = Some(true);
        params.return_by_value = Some(true);
        let response = tab.page.execute(params).await.map_err(ScanError::browser("fetch robots/sitemap"))?;
        Ok(response.result.result.value.clone().and_then(|v| v.as_str().map(str::to_owned)))
    }
    .await;
    chromium.close_tab(tab).await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frontier_keeps_same_origin_pages_once() {
        let start = Url::parse("http://localhost:8080/").unwrap();
        let mut frontier = Frontier::new(&[start]);
        frontier.push("http://localhost:8080/a#top");
        frontier.push("http://localhost:8080/a");
        frontier.push("http://127.0.0.1:8080/b");
        frontier.push("mailto:personvern@eksempel.no");
        frontier.push("http://localhost:8080/brosjyre.pdf");
        frontier.disallow(vec!["/private".to_owned()]);
        frontier.push("http://localhost:8080/private/x");
        let order: Vec<String> = std::iter::from_fn(|| frontier.pop())
            .map(|u| u.to_string())
            .collect();
        assert_eq!(
            order,
            vec!["http://localhost:8080/", "http://localhost:8080/a"]
        );
    }

    #[test]
    fn robots_rules_for_everyone_and_for_kapsel() {
        let robots = "User-agent: Googlebot\nDisallow: /only-google\n\nUser-agent: *\nDisallow: /admin\nDisallow:\n\nSitemap: http://x/sitemap.xml\n";
        let (disallow, sitemaps) = parse_robots(robots);
        assert_eq!(disallow, vec!["/admin".to_owned()]);
        assert_eq!(sitemaps, vec!["http://x/sitemap.xml".to_owned()]);
    }

    #[test]
    fn sitemap_locations() {
        let xml = "<urlset><url><loc> http://x/a?p=1&amp;q=2 </loc></url><url><loc>http://x/b</loc></url></urlset>";
        assert_eq!(
            parse_sitemap(xml),
            vec!["http://x/a?p=1&q=2".to_owned(), "http://x/b".to_owned()]
        );
    }
}
