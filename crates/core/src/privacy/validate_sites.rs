//! Checks on sites: at least one, each with host names the consent API and the consent cookie
//! can use, and only declared services.

use super::locate::FieldPath;
use super::model::PrivacyFile;
use super::validate::{PathProblem, known_services};

pub fn check_sites(file: &PrivacyFile, findings: &mut Vec<PathProblem>) {
    let sites = FieldPath::root().key("sites");
    if file.sites.is_empty() {
        findings.push(PathProblem::at(
            sites.clone(),
            "no sites are declared".to_owned(),
            "add a [[sites]] table with id, name and domains",
        ));
    }
    for (i, site) in file.sites.iter().enumerate() {
        let path = sites.index(i);
        if site.domains.is_empty() {
            findings.push(PathProblem::at(
                path.key("domains"),
                format!("site `{}` has no domains", site.id),
                "list the host names it is served on, e.g. domains = [\"www.example.no\"]",
            ));
        }
        for (j, domain) in site.domains.iter().enumerate() {
            if !is_host_name(domain) {
                findings.push(PathProblem::at(
                    path.key("domains").index(j),
                    format!("domain {domain:?} of site `{}` is not a host name", site.id),
                    "write only the host name, e.g. \"www.example.no\" (no scheme, port, path \
                     or leading dot)",
                ));
            }
        }
        if let Some(cookie_domain) = &site.cookie_domain {
            check_cookie_domain(cookie_domain, &site.domains, &site.id, &path, findings);
        }
        for (j, service_id) in site.services.iter().flatten().enumerate() {
            if file.service(service_id).is_none() {
                findings.push(PathProblem::at(
                    path.key("services").index(j),
                    format!(
                        "site `{}` lists service `{service_id}`, which is not declared",
                        site.id
                    ),
                    &known_services(file),
                ));
            }
        }
    }
}

fn check_cookie_domain(
    cookie_domain: &str,
    domains: &[String],
    site_id: &str,
    site: &FieldPath,
    findings: &mut Vec<PathProblem>,
) {
    let path = site.key("cookie_domain");
    if !is_host_name(cookie_domain) {
        findings.push(PathProblem::at(
            path,
            format!("cookie_domain {cookie_domain:?} of site `{site_id}` is not a host name"),
            "write a host name without a leading dot, e.g. \"example.no\" to cover its subdomains",
        ));
        return;
    }
    let cookie_domain = cookie_domain.to_ascii_lowercase();
    let covers = |domain: &String| {
        let domain = domain.to_ascii_lowercase();
        domain == cookie_domain || domain.ends_with(&format!(".{cookie_domain}"))
    };
    if !domains.iter().any(covers) {
        findings.push(PathProblem::at(
            path,
            format!(
                "cookie_domain \"{cookie_domain}\" of site `{site_id}` covers none of its domains"
            ),
            "use one of the site's domains or a parent domain of them, e.g. \"example.no\" for \
             \"www.example.no\"",
        ));
    }
}

/// A DNS name (letters, digits, `-`, dot-separated labels) or an IPv4 address; no scheme, port
/// or path.
fn is_host_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_are_bare() {
        for good in [
            "www.example.no",
            "localhost",
            "127.0.0.1",
            "xn--bkmal-qra.no",
        ] {
            assert!(is_host_name(good), "{good}");
        }
        for bad in [
            "",
            "https://www.example.no",
            "www.example.no/",
            "localhost:8080",
            ".example.no",
            "a..b",
            "-a.no",
        ] {
            assert!(!is_host_name(bad), "{bad}");
        }
    }
}
