//! Reading the Open Cookie Database CSV (github.com/jkwakman/Open-Cookie-Database) into
//! `KnownCookie`s. The file is loaded from a path the operator gives; it is never copied into
//! this repository. Columns are found by their header names, so reordered columns still load.
//!
//! The CSV reader is RFC 4180: quoted fields, `""` inside quotes, line breaks inside quotes.

use super::lifetime::parse_lifetime;
use super::{CatalogueError, CatalogueSource, KnownCategory, KnownCookie};

const COLUMN_PLATFORM: &str = "Platform";
const COLUMN_CATEGORY: &str = "Category";
const COLUMN_NAME: &str = "Cookie / Data Key name";
const COLUMN_DOMAIN: &str = "Domain";
const COLUMN_DESCRIPTION: &str = "Description";
const COLUMN_RETENTION: &str = "Retention period";
const COLUMN_CONTROLLER: &str = "Data Controller";
const COLUMN_PRIVACY_URL: &str = "User Privacy & GDPR Rights Portals";
const COLUMN_WILDCARD: &str = "Wildcard match";

/// One parsed CSV record with the line it started on (1-based).
struct Record {
    line: usize,
    fields: Vec<String>,
}

/// Splits CSV text into records.
fn parse_csv(text: &str) -> Result<Vec<Record>, CatalogueError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut line = 1;
    let mut record_line = 1;
    let mut quote_line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => {
                in_quotes = true;
                quote_line = line;
            }
            ',' => fields.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                let record = std::mem::take(&mut fields);
                if !(record.len() == 1 && record.first().is_some_and(String::is_empty)) {
                    records.push(Record {
                        line: record_line,
                        fields: record,
                    });
                }
                line += 1;
                record_line = line;
            }
            _ => field.push(c),
        }
    }
    if in_quotes {
        return Err(CatalogueError::Csv {
            line: quote_line,
            message: "a quoted field is never closed (missing `\"`)".to_owned(),
        });
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        records.push(Record {
            line: record_line,
            fields,
        });
    }
    Ok(records)
}

/// Column positions found in the header row.
struct Columns {
    platform: usize,
    category: usize,
    name: usize,
    domain: usize,
    description: usize,
    retention: usize,
    controller: usize,
    privacy_url: Option<usize>,
    wildcard: usize,
}

impl Columns {
    fn from_header(header: &[String]) -> Result<Columns, CatalogueError> {
        let find = |name: &'static str| {
            header
                .iter()
                .position(|h| h.trim() == name)
                .ok_or(CatalogueError::MissingColumn { column: name })
        };
        Ok(Columns {
            platform: find(COLUMN_PLATFORM)?,
            category: find(COLUMN_CATEGORY)?,
            name: find(COLUMN_NAME)?,
            domain: find(COLUMN_DOMAIN)?,
            description: find(COLUMN_DESCRIPTION)?,
            retention: find(COLUMN_RETENTION)?,
            controller: find(COLUMN_CONTROLLER)?,
            privacy_url: find(COLUMN_PRIVACY_URL).ok(),
            wildcard: find(COLUMN_WILDCARD)?,
        })
    }
}

/// Maps the database's categories to Kapsel's. The database files strictly necessary cookies
/// under "Functional" as well, so a "Functional" entry is never taken to be necessary.
fn category_from_ocd(text: &str) -> KnownCategory {
    match text.trim().to_ascii_lowercase().as_str() {
        "necessary" | "strictly necessary" | "essential" | "security" => KnownCategory::Necessary,
        "functional" | "personalization" | "personalisation" | "preferences" => {
            KnownCategory::Functional
        }
        "analytics" | "statistics" | "performance" => KnownCategory::Analytics,
        "marketing" | "advertising" | "tracking" => KnownCategory::Marketing,
        _ => KnownCategory::Unknown,
    }
}

/// The host names in a domain cell such as `".bing.com (3rd party) or .microsoft.com (3rd party)"`.
/// Cells that are not host names ("ads-[account].adhese.com", free text) give none.
pub(super) fn hosts_in_domain_cell(cell: &str) -> Vec<String> {
    cell.split(" or ")
        .map(|part| {
            part.replace("(3rd party)", "")
                .trim()
                .trim_start_matches('.')
                .trim_end_matches('.')
                .to_ascii_lowercase()
        })
        .filter(|host| {
            host.contains('.')
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        })
        .collect()
}

/// Parses the database's CSV text; see `Catalogue::from_open_cookie_database_csv`.
pub(super) fn cookies_from_csv(text: &str) -> Result<Vec<KnownCookie>, CatalogueError> {
    let records = parse_csv(text)?;
    let mut rows = records.into_iter();
    let header = rows.next().ok_or(CatalogueError::Empty)?;
    let columns = Columns::from_header(&header.fields)?;
    let width = header.fields.len();
    let mut cookies = Vec::new();
    for row in rows {
        if row.fields.len() != width {
            return Err(CatalogueError::Csv {
                line: row.line,
                message: format!(
                    "expected {width} fields as in the header, found {}",
                    row.fields.len()
                ),
            });
        }
        let cell = |i: usize| row.fields.get(i).map(|s| s.trim()).unwrap_or("");
        let name = cell(columns.name);
        if name.is_empty() {
            continue;
        }
        let prefix = match cell(columns.wildcard) {
            "1" => true,
            "0" | "" => false,
            other => {
                return Err(CatalogueError::Csv {
                    line: row.line,
                    message: format!("column `{COLUMN_WILDCARD}` must be 0 or 1, found `{other}`"),
                });
            }
        };
        let domain_cell = cell(columns.domain);
        let hosts = hosts_in_domain_cell(domain_cell);
        let retention = cell(columns.retention).to_owned();
        cookies.push(KnownCookie {
            name: name.to_owned(),
            prefix,
            platform: cell(columns.platform).to_owned(),
            provider: cell(columns.controller).to_owned(),
            category: category_from_ocd(cell(columns.category)),
            duration: parse_lifetime(&retention),
            retention,
            third_party: domain_cell.contains("3rd party"),
            domain: hosts.first().cloned(),
            hosts,
            description: cell(columns.description).to_owned(),
            privacy_url: columns
                .privacy_url
                .map(cell)
                .filter(|url| url.starts_with("http"))
                .map(str::to_owned),
            source: CatalogueSource::OpenCookieDatabase,
        });
    }
    Ok(cookies)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "ID,Platform,Category,Cookie / Data Key name,Domain,Description,Retention period,Data Controller,User Privacy & GDPR Rights Portals,Wildcard match\n\
        1,Example Analytics,Analytics,_ex,,\"Counts visits, \"\"roughly\"\"\",13 months,Example Inc,https://example.com/privacy,0\n\
        2,Example Ads,Marketing,exad_,ads.example.net (3rd party),\"Two\nlines\",Session,Example Inc,,1\n";

    #[test]
    fn reads_quoted_fields_and_wildcards() {
        let cookies = cookies_from_csv(SAMPLE).unwrap();
        assert_eq!(cookies.len(), 2);
        assert_eq!(cookies[0].description, "Counts visits, \"roughly\"");
        assert!(!cookies[0].prefix);
        assert_eq!(
            cookies[0].duration.map(|d| d.to_string()).as_deref(),
            Some("13 months")
        );
        assert!(cookies[1].prefix);
        assert!(cookies[1].third_party);
        assert_eq!(cookies[1].domain.as_deref(), Some("ads.example.net"));
        assert_eq!(cookies[1].description, "Two\nlines");
        assert_eq!(cookies[1].category, KnownCategory::Marketing);
    }

    #[test]
    fn names_a_missing_column() {
        let err = cookies_from_csv("ID,Platform\n1,x\n").unwrap_err();
        assert!(err.to_string().contains("Category"), "{err}");
    }

    #[test]
    fn names_the_line_of_a_short_row() {
        let text = format!("{}3,only,two\n", SAMPLE);
        let err = cookies_from_csv(&text).unwrap_err();
        assert!(err.to_string().contains("line 5"), "{err}");
    }

    #[test]
    fn names_the_line_of_an_unclosed_quote() {
        let text = format!("{}3,\"open,b\n", SAMPLE);
        let err = cookies_from_csv(&text).unwrap_err();
        assert!(err.to_string().contains("line 5"), "{err}");
    }

    #[test]
    fn splits_domain_cells() {
        assert_eq!(
            hosts_in_domain_cell(".bing.com (3rd party) or .microsoft.com (3rd party)"),
            vec!["bing.com", "microsoft.com"]
        );
        assert!(hosts_in_domain_cell("ads-[account].adhese.com").is_empty());
        assert!(hosts_in_domain_cell("").is_empty());
    }
}
