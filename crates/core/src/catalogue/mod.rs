//! The catalogue of known cookies and tracking hosts: what a cookie named `_ga` or a request to
//! `bat.bing.com` most likely is, who sets it, and how long it lives.
//!
//! Two sources: a small list the project writes itself for the most common trackers
//! (`Catalogue::builtin`), and the Open Cookie Database CSV the operator points to
//! (`Catalogue::from_open_cookie_database_csv`). `merge` puts them together, the first
//! catalogue winning where both know a name. The scanner uses `lookup`/`lookup_host` as
//! evidence; `kapsel suggest` uses them to fill in declarations. Nothing here reads files.

mod builtin;
mod lifetime;
mod ocd;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

pub use lifetime::parse_lifetime;

use crate::privacy::Duration;

/// What a known cookie is for. The Open Cookie Database files strictly necessary cookies under
/// "Functional" too, so only entries marked necessary or security count as `Necessary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KnownCategory {
    Necessary,
    Functional,
    Analytics,
    Marketing,
    Unknown,
}

impl KnownCategory {
    pub const ALL: [KnownCategory; 5] = [
        KnownCategory::Necessary,
        KnownCategory::Functional,
        KnownCategory::Analytics,
        KnownCategory::Marketing,
        KnownCategory::Unknown,
    ];

    /// The usual privacy-file category id for this kind of cookie.
    pub fn as_str(self) -> &'static str {
        match self {
            KnownCategory::Necessary => "necessary",
            KnownCategory::Functional => "functional",
            KnownCategory::Analytics => "analytics",
            KnownCategory::Marketing => "marketing",
            KnownCategory::Unknown => "unknown",
        }
    }
}

/// Where a catalogue entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CatalogueSource {
    /// The list written for this project (`Catalogue::builtin`).
    Builtin,
    /// The Open Cookie Database CSV.
    OpenCookieDatabase,
}

/// A cookie or storage key the catalogue knows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnownCookie {
    /// The exact name, or the start of the name when `prefix` is true (`_ga_` for `_ga_ABC123`).
    pub name: String,
    pub prefix: bool,
    /// The product that sets it, e.g. "Google Analytics".
    pub platform: String,
    /// The company behind it, e.g. "Google".
    pub provider: String,
    pub category: KnownCategory,
    /// The cookie's lifetime as the source writes it ("13 months", "Session"); the Open Cookie
    /// Database's "Retention period" column.
    pub retention: String,
    /// `retention` parsed, when it names a period.
    pub duration: Option<Duration>,
    /// Set on the provider's domain rather than the site's own.
    pub third_party: bool,
    /// The domain it is set on, when the source names one.
    pub domain: Option<String>,
    /// Every host the source names for it.
    pub hosts: Vec<String>,
    pub description: String,
    pub privacy_url: Option<String>,
    pub source: CatalogueSource,
}

impl KnownCookie {
    /// Whether this entry describes a cookie called `name`.
    pub fn matches(&self, name: &str) -> bool {
        if self.prefix {
            name.starts_with(&self.name)
        } else {
            name == self.name
        }
    }
}

/// A host name known to belong to a tracker or embedded service (`google-analytics.com`).
/// Subdomains match too: `region1.google-analytics.com` is `google-analytics.com`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnownHost {
    pub host: String,
    pub platform: String,
    pub provider: String,
    pub category: KnownCategory,
    pub source: CatalogueSource,
}

/// Problems reading a catalogue source; each names the line or column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    #[error("the cookie database CSV is empty: expected a header row")]
    Empty,
    #[error("the cookie database CSV has no column `{column}` in its header row")]
    MissingColumn { column: &'static str },
    #[error("cookie database CSV, line {line}: {message}")]
    Csv { line: usize, message: String },
}

/// Known cookies and hosts, indexed for lookup by exact name, by prefix and by host.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    cookies: Vec<KnownCookie>,
    hosts: Vec<KnownHost>,
    exact: HashMap<String, usize>,
    prefixes: HashMap<String, usize>,
    host_index: HashMap<String, usize>,
}

/// How many entries a catalogue holds, for `kapsel catalogue` and logs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CatalogueCounts {
    pub cookies: usize,
    pub exact: usize,
    pub prefixes: usize,
    pub hosts: usize,
    pub builtin: usize,
    pub open_cookie_database: usize,
    /// Entries by category, in `KnownCategory::ALL` order.
    pub by_category: Vec<(KnownCategory, usize)>,
}

impl Catalogue {
    /// The project's own list of the most common trackers.
    pub fn builtin() -> Catalogue {
        let (cookies, hosts) = builtin::entries();
        Catalogue::from_parts(cookies, hosts)
    }

    /// Reads the Open Cookie Database CSV (header row first; columns found by name). Entries
    /// with "Wildcard match" = 1 are prefixes. Host names in the Domain column feed `lookup_host`.
    pub fn from_open_cookie_database_csv(text: &str) -> Result<Catalogue, CatalogueError> {
        let cookies = ocd::cookies_from_csv(text)?;
        let hosts = cookies
            .iter()
            .flat_map(|cookie| {
                cookie.hosts.iter().map(|host| KnownHost {
                    host: host.clone(),
                    platform: cookie.platform.clone(),
                    provider: cookie.provider.clone(),
                    category: cookie.category,
                    source: cookie.source,
                })
            })
            .collect();
        Ok(Catalogue::from_parts(cookies, hosts))
    }

    /// Both catalogues in one; where both know a name or host, `self`'s entry wins
    /// (`Catalogue::builtin().merge(ocd)` prefers the project's own wording).
    pub fn merge(self, other: Catalogue) -> Catalogue {
        let mut cookies = self.cookies;
        cookies.extend(other.cookies);
        let mut hosts = self.hosts;
        hosts.extend(other.hosts);
        Catalogue::from_parts(cookies, hosts)
    }

    fn from_parts(cookies: Vec<KnownCookie>, hosts: Vec<KnownHost>) -> Catalogue {
        let mut exact = HashMap::new();
        let mut prefixes = HashMap::new();
        for (i, cookie) in cookies.iter().enumerate() {
            let index = if cookie.prefix {
                &mut prefixes
            } else {
                &mut exact
            };
            index.entry(cookie.name.clone()).or_insert(i);
        }
        let mut host_index = HashMap::new();
        for (i, host) in hosts.iter().enumerate() {
            host_index.entry(host.host.clone()).or_insert(i);
        }
        Catalogue {
            cookies,
            hosts,
            exact,
            prefixes,
            host_index,
        }
    }

    /// The entry for a cookie or storage key called `name`: an exact entry if there is one,
    /// else the prefix entry with the longest prefix of `name`. Names are case-sensitive.
    pub fn lookup(&self, name: &str) -> Option<&KnownCookie> {
        if let Some(&i) = self.exact.get(name) {
            return self.cookies.get(i);
        }
        let ends = name
            .char_indices()
            .map(|(i, _)| i)
            .skip(1)
            .chain([name.len()]);
        let ends: Vec<usize> = ends.collect();
        ends.into_iter()
            .rev()
            .find_map(|end| name.get(..end).and_then(|start| self.prefixes.get(start)))
            .and_then(|&i| self.cookies.get(i))
    }

    /// The entry for a host or the closest parent domain the catalogue knows
    /// (`www.googletagmanager.com` → `googletagmanager.com`). Top-level domains alone never match.
    pub fn lookup_host(&self, host: &str) -> Option<&KnownHost> {
        let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
        let mut candidate = host.as_str();
        while candidate.contains('.') {
            if let Some(&i) = self.host_index.get(candidate) {
                return self.hosts.get(i);
            }
            candidate = match candidate.split_once('.') {
                Some((_, parent)) => parent,
                None => break,
            };
        }
        None
    }

    /// Every cookie entry, in source order (duplicates included).
    pub fn cookies(&self) -> &[KnownCookie] {
        &self.cookies
    }

    /// Every host entry, in source order.
    pub fn hosts(&self) -> &[KnownHost] {
        &self.hosts
    }

    pub fn len(&self) -> usize {
        self.cookies.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cookies.is_empty()
    }

    pub fn counts(&self) -> CatalogueCounts {
        let count = |f: &dyn Fn(&KnownCookie) -> bool| self.cookies.iter().filter(|c| f(c)).count();
        CatalogueCounts {
            cookies: self.cookies.len(),
            exact: self.exact.len(),
            prefixes: self.prefixes.len(),
            hosts: self.host_index.len(),
            builtin: count(&|c| c.source == CatalogueSource::Builtin),
            open_cookie_database: count(&|c| c.source == CatalogueSource::OpenCookieDatabase),
            by_category: KnownCategory::ALL
                .iter()
                .map(|&category| (category, count(&|c| c.category == category)))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_beats_prefix_and_longest_prefix_wins() {
        let catalogue = Catalogue::builtin();
        assert_eq!(catalogue.lookup("_ga").unwrap().name, "_ga");
        let ga4 = catalogue.lookup("_ga_ABC123XYZ").unwrap();
        assert_eq!((ga4.name.as_str(), ga4.prefix), ("_ga_", true));
        assert!(catalogue.lookup("no-such-cookie-anywhere").is_none());
        assert!(catalogue.lookup("").is_none());
    }

    #[test]
    fn longest_prefix_wins_in_a_merged_catalogue() {
        let csv = "Platform,Category,Cookie / Data Key name,Domain,Description,Retention period,Data Controller,Wildcard match\n\
            Short,Analytics,_x,,short,1 day,A,1\n\
            Long,Marketing,_x_long_,,long,2 days,B,1\n\
            Exact,Functional,_x_long_exact,,exact,3 days,C,0\n";
        let catalogue = Catalogue::from_open_cookie_database_csv(csv).unwrap();
        assert_eq!(catalogue.lookup("_x_long_abc").unwrap().platform, "Long");
        assert_eq!(catalogue.lookup("_xyz").unwrap().platform, "Short");
        assert_eq!(catalogue.lookup("_x_long_exact").unwrap().platform, "Exact");
        assert_eq!(
            catalogue.lookup("_x_long_exactly").unwrap().platform,
            "Long"
        );
    }

    #[test]
    fn the_first_catalogue_wins_a_merge() {
        let csv = "Platform,Category,Cookie / Data Key name,Domain,Description,Retention period,Data Controller,Wildcard match\n\
            Other,Functional,_ga,google-analytics.com,other,1 day,Someone,0\n\
            Other,Functional,only_here,,other,1 day,Someone,0\n";
        let ocd = Catalogue::from_open_cookie_database_csv(csv).unwrap();
        let merged = Catalogue::builtin().merge(ocd);
        assert_eq!(
            merged.lookup("_ga").unwrap().source,
            CatalogueSource::Builtin
        );
        assert_eq!(
            merged.lookup("only_here").unwrap().source,
            CatalogueSource::OpenCookieDatabase
        );
        assert_eq!(
            merged.lookup_host("google-analytics.com").unwrap().source,
            CatalogueSource::Builtin
        );
    }

    #[test]
    fn hosts_match_by_parent_domain() {
        let catalogue = Catalogue::builtin();
        let host = catalogue
            .lookup_host("region1.google-analytics.com")
            .unwrap();
        assert_eq!(host.category, KnownCategory::Analytics);
        assert_eq!(
            catalogue.lookup_host("BAT.BING.COM.").unwrap().category,
            KnownCategory::Marketing
        );
        assert!(catalogue.lookup_host("example.no").is_none());
        assert!(catalogue.lookup_host("com").is_none());
    }

    #[test]
    fn segment_snap_and_tiktok_are_known() {
        let catalogue = Catalogue::builtin();
        for (name, platform) in [
            ("ajs_anonymous_id", "Segment"),
            ("ajs_user_id", "Segment"),
            ("_scid_r", "Snap Pixel"),
            ("_sctr", "Snap Pixel"),
            ("sc_at", "Snap Pixel"),
            ("ttcsid", "TikTok Pixel"),
            ("ttcsid_C1234567890", "TikTok Pixel"),
        ] {
            assert_eq!(
                catalogue.lookup(name).map(|k| k.platform.as_str()),
                Some(platform),
                "{name}"
            );
        }
        for host in ["cdn.segment.com", "api.segment.io"] {
            let known = catalogue.lookup_host(host).unwrap();
            assert_eq!(
                (known.platform.as_str(), known.category),
                ("Segment", KnownCategory::Analytics)
            );
        }
    }

    #[test]
    fn builtin_entries_are_complete() {
        let catalogue = Catalogue::builtin();
        assert!(catalogue.len() >= 40, "{}", catalogue.len());
        for cookie in catalogue.cookies() {
            assert!(
                cookie.duration.is_some(),
                "{} has no parsed duration",
                cookie.name
            );
            assert!(
                !cookie.description.is_empty() && !cookie.provider.is_empty(),
                "{}",
                cookie.name
            );
            assert_ne!(cookie.category, KnownCategory::Unknown, "{}", cookie.name);
        }
        let counts = catalogue.counts();
        assert_eq!(counts.builtin, counts.cookies);
    }
}
