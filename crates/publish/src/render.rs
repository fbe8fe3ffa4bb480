//! Rendering the documents with minijinja templates embedded in the binary (`templates/`).
//! `.html` templates escape every value (texts from the privacy file are data, never HTML);
//! `.md` templates escape table cells with the `md_cell` filter.

use minijinja::{Environment, UndefinedBehavior, Value, context};
use serde::Serialize;

use kapsel_core::privacy::PrivacyFile;
use kapsel_core::{Lang, Millis};

use crate::words::{date_in_words, iso_date, labels};
use crate::{ChangeLog, CookieDeclaration, PrivacyNotice, PublishError, RecordOfProcessing};

/// The document pages' stylesheet (`templates/page.css`, included by `base.html`), for other
/// pages that should look the same (the server's privacy centre).
pub const PAGE_STYLE: &str = include_str!("../templates/page.css");

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("page.css", PAGE_STYLE),
    (
        "declaration_fragment.html",
        include_str!("../templates/declaration_fragment.html"),
    ),
    (
        "declaration.html",
        include_str!("../templates/declaration.html"),
    ),
    (
        "declaration.md",
        include_str!("../templates/declaration.md"),
    ),
    ("notice.html", include_str!("../templates/notice.html")),
    ("notice.md", include_str!("../templates/notice.md")),
    ("ropa.html", include_str!("../templates/ropa.html")),
    ("changes.html", include_str!("../templates/changes.html")),
    ("changes.md", include_str!("../templates/changes.md")),
];

/// Which page is shown; decides the language links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    Cookies,
    Privacy,
    Changes,
    Ropa,
}

/// Links between the generated pages of one site in one language.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PageLinks {
    pub cookies: String,
    pub privacy: String,
    pub changes: String,
    /// The site's privacy centre, where a visitor uses their rights.
    pub rights: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LanguageLink {
    pub code: String,
    /// The language's name in itself ("Norsk nynorsk").
    pub name: String,
    pub href: String,
    pub current: bool,
}

/// What every page needs besides its document: language, site, links, "last updated".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page {
    pub lang: String,
    pub site_id: String,
    pub site_name: String,
    /// "3. mars 2026"; `None` before the first publication.
    pub updated: Option<String>,
    pub updated_iso: Option<String>,
    pub links: PageLinks,
    pub languages: Vec<LanguageLink>,
    /// The privacy file's human version label ("2025-6"), if it has one.
    pub version: Option<String>,
    /// The site's current revision: the change log puts the version label beside it.
    pub revision: Option<String>,
}

/// A language's name in itself, for language links ("Norsk nynorsk"); an unknown code as it is.
pub fn language_name(code: &str) -> &str {
    match code {
        "nb" => "Norsk bokmål",
        "nn" => "Norsk nynorsk",
        "en" => "English",
        "se" => "Davvisámegiella",
        other => other,
    }
}

/// The site's privacy centre on the Kapsel server (`GET /sites/{site}/rights?lang=`), as the
/// documents and the banner's preference centre link it.
pub fn rights_path(site_id: &str, lang: &str) -> String {
    format!("/sites/{site_id}/rights?lang={lang}")
}

fn path(site_id: &str, kind: PageKind, lang: &str) -> String {
    match kind {
        PageKind::Cookies => format!("/sites/{site_id}/cookies?lang={lang}"),
        PageKind::Privacy => format!("/sites/{site_id}/privacy?lang={lang}"),
        PageKind::Changes => format!("/sites/{site_id}/changes?lang={lang}"),
        PageKind::Ropa => format!("/ropa?lang={lang}"),
    }
}

impl Page {
    /// The page context for `site_id` (any site for the record of processing) in `lang`, with
    /// links as the server serves them and `updated_ms` from the revision's first publication.
    pub fn new(
        file: &PrivacyFile,
        site_id: &str,
        lang: &Lang,
        kind: PageKind,
        updated_ms: Option<Millis>,
    ) -> Page {
        let site_name = file
            .site(site_id)
            .map_or_else(|| file.organisation.name.clone(), |site| site.name.clone());
        Page {
            lang: lang.to_string(),
            site_id: site_id.to_owned(),
            site_name,
            updated: updated_ms.map(|ms| date_in_words(ms, lang)),
            updated_iso: updated_ms.map(iso_date),
            links: PageLinks {
                cookies: path(site_id, PageKind::Cookies, lang.as_str()),
                privacy: path(site_id, PageKind::Privacy, lang.as_str()),
                changes: path(site_id, PageKind::Changes, lang.as_str()),
                rights: rights_path(site_id, lang.as_str()),
            },
            version: file.version.clone(),
            revision: kapsel_core::privacy::site_revision(file, site_id).map(|r| r.to_string()),
            languages: file
                .languages
                .iter()
                .map(|other| LanguageLink {
                    code: other.to_string(),
                    name: language_name(other.as_str()).to_owned(),
                    href: path(site_id, kind, other.as_str()),
                    current: other == lang,
                })
                .collect(),
        }
    }
}

/// Escapes a value for a Markdown table cell or line: pipes, line breaks, and characters that
/// would start emphasis or HTML.
fn md_cell(value: String) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '|' | '*' | '_' | '`' | '<' | '>' | '[' | ']' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// The text with its first letter upper- or lower-cased, the rest as it is ("the United States"
/// opening a line is "The United States"; a safeguard's term inside a sentence starts small).
fn change_first(text: &str, upper: bool) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) if upper => first.to_uppercase().chain(chars).collect(),
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Holds the compiled templates; build once and share.
#[derive(Debug)]
pub struct Publisher {
    env: Environment<'static>,
    /// The first template that failed to compile, if any.
    broken: Option<String>,
}

impl Default for Publisher {
    fn default() -> Self {
        Publisher::new()
    }
}

impl Publisher {
    pub fn new() -> Publisher {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.add_filter("md_cell", md_cell);
        env.add_filter("upper_first", |text: String| change_first(&text, true));
        env.add_filter("lower_first", |text: String| change_first(&text, false));
        // `{% if url is safe_link %}`: only https:, http: and mailto: links become clickable,
        // whatever the model holds (a checked file never holds another).
        env.add_test("safe_link", |url: &str| {
            kapsel_core::privacy::is_safe_link(url)
        });
        let mut broken = None;
        for (name, source) in TEMPLATES {
            // The templates are compiled into the binary and covered by the snapshot tests; if
            // one is broken anyway, every render reports it instead of panicking at start.
            if let Err(error) = env.add_template(name, source) {
                broken.get_or_insert_with(|| format!("{name}: {error:#}"));
            }
        }
        Publisher { env, broken }
    }

    fn render(
        &self,
        template: &str,
        kind: &str,
        document: Value,
        page: &Page,
    ) -> Result<String, PublishError> {
        self.render_with(template, kind, false, document, page)
    }

    fn render_with(
        &self,
        template: &str,
        kind: &str,
        embedded: bool,
        document: Value,
        page: &Page,
    ) -> Result<String, PublishError> {
        let lang = Lang::new(&page.lang);
        if let Some(broken) = &self.broken {
            return Err(PublishError::Template {
                template: template.to_owned(),
                message: broken.clone(),
            });
        }
        let failed = |error: minijinja::Error| PublishError::Template {
            template: template.to_owned(),
            message: format!("{error:#}"),
        };
        self.env
            .get_template(template)
            .map_err(failed)?
            .render(context! { doc => document, page => page, kind => kind, embedded => embedded, t => labels(&lang) })
            .map_err(failed)
    }

    pub fn declaration_page(
        &self,
        doc: &CookieDeclaration,
        page: &Page,
    ) -> Result<String, PublishError> {
        self.render(
            "declaration.html",
            "cookies",
            Value::from_serialize(doc),
            page,
        )
    }

    /// The declaration without `<html>`, `<head>` or styles, for the operator's own page.
    /// Class names start with `kapsel-`.
    pub fn declaration_fragment(
        &self,
        doc: &CookieDeclaration,
        page: &Page,
    ) -> Result<String, PublishError> {
        self.render_with(
            "declaration_fragment.html",
            "cookies",
            true,
            Value::from_serialize(doc),
            page,
        )
    }

    pub fn declaration_markdown(
        &self,
        doc: &CookieDeclaration,
        page: &Page,
    ) -> Result<String, PublishError> {
        self.render(
            "declaration.md",
            "cookies",
            Value::from_serialize(doc),
            page,
        )
    }

    pub fn notice_page(&self, doc: &PrivacyNotice, page: &Page) -> Result<String, PublishError> {
        self.render("notice.html", "privacy", Value::from_serialize(doc), page)
    }

    pub fn notice_markdown(
        &self,
        doc: &PrivacyNotice,
        page: &Page,
    ) -> Result<String, PublishError> {
        self.render("notice.md", "privacy", Value::from_serialize(doc), page)
    }

    pub fn ropa_page(&self, doc: &RecordOfProcessing, page: &Page) -> Result<String, PublishError> {
        self.render("ropa.html", "ropa", Value::from_serialize(doc), page)
    }

    pub fn change_log_page(&self, doc: &ChangeLog, page: &Page) -> Result<String, PublishError> {
        self.render("changes.html", "changes", Value::from_serialize(doc), page)
    }

    pub fn change_log_markdown(
        &self,
        doc: &ChangeLog,
        page: &Page,
    ) -> Result<String, PublishError> {
        self.render("changes.md", "changes", Value::from_serialize(doc), page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("{name}: {e:#}"));
        }
        assert!(Publisher::new().broken.is_none());
    }

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        assert_eq!(
            md_cell("a|b\nc _x_ <b>".to_owned()),
            "a\\|b c \\_x\\_ \\<b\\>"
        );
    }
}
