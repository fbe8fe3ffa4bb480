//! Lookups on a loaded privacy file that every consumer needs: a declared language by tag, a
//! site by id, the services a site uses, categories with the implicit `necessary` first.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::model::{Category, NECESSARY, PrivacyFile, Service, Site};
use crate::text::{Lang, Text};

impl PrivacyFile {
    /// The declared language with exactly this tag, or `None` when the file does not declare it.
    /// Tags are compared as given: declared tags are lower-case ISO 639-1 codes (validation
    /// sees to that), so a caller that accepts `EN` for `en` lower-cases first (`Lang::new`).
    pub fn declared_language(&self, tag: &str) -> Option<&Lang> {
        self.languages.iter().find(|lang| lang.as_str() == tag)
    }

    /// The declared tags in file order, joined by ", " ("nb, nn, en"): what an error message
    /// offers when a language is not declared.
    pub fn language_list(&self) -> String {
        self.languages
            .iter()
            .map(Lang::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The site with this id.
    pub fn site(&self, id: &str) -> Option<&Site> {
        self.sites.iter().find(|site| site.id == id)
    }

    /// The service with this id.
    pub fn service(&self, id: &str) -> Option<&Service> {
        self.services.iter().find(|service| service.id == id)
    }

    /// The services used on a site, in file order: those the site lists, or all when it lists
    /// none. Empty for an unknown site.
    pub fn services_for_site(&self, site_id: &str) -> Vec<&Service> {
        let Some(site) = self.site(site_id) else {
            return Vec::new();
        };
        match &site.services {
            None => self.services.iter().collect(),
            Some(listed) => self
                .services
                .iter()
                .filter(|service| listed.contains(&service.id))
                .collect(),
        }
    }

    /// The category with this id; `necessary` is answered even when the file does not declare
    /// it (with the built-in texts).
    pub fn category(&self, id: &str) -> Option<Cow<'_, Category>> {
        match self.categories.iter().find(|category| category.id == id) {
            Some(category) => Some(Cow::Borrowed(category)),
            None if id == NECESSARY => Some(Cow::Owned(default_necessary())),
            None => None,
        }
    }

    /// All categories with `necessary` first: the declared one, or the built-in one when the
    /// file does not declare it. The others keep file order.
    pub fn categories_with_necessary(&self) -> Vec<Cow<'_, Category>> {
        let necessary = self
            .categories
            .iter()
            .find(|category| category.id == NECESSARY)
            .map_or_else(|| Cow::Owned(default_necessary()), Cow::Borrowed);
        std::iter::once(necessary)
            .chain(
                self.categories
                    .iter()
                    .filter(|category| category.id != NECESSARY)
                    .map(Cow::Borrowed),
            )
            .collect()
    }
}

fn text(entries: [(&str, &str); 3]) -> Text {
    Text(
        entries
            .iter()
            .map(|(lang, value)| ((*lang).to_owned(), (*value).to_owned()))
            .collect::<BTreeMap<_, _>>(),
    )
}

/// The `necessary` category used when the file does not declare one.
pub fn default_necessary() -> Category {
    Category {
        id: NECESSARY.to_owned(),
        label: text([
            ("nb", "Nødvendige"),
            ("nn", "Naudsynte"),
            ("en", "Necessary"),
        ]),
        description: text([
            (
                "nb",
                "Disse informasjonskapslene trengs for at nettstedet skal virke, for eksempel for \
                 å huske hva du har valgt om informasjonskapsler. De kan ikke slås av.",
            ),
            (
                "nn",
                "Desse informasjonskapslane trengst for at nettstaden skal verke, til dømes for \
                 å hugse kva du har valt om informasjonskapslar. Dei kan ikkje slåast av.",
            ),
            (
                "en",
                "These cookies are needed for the website to work, for example to remember your \
                 cookie choices. They cannot be switched off.",
            ),
        ]),
        marketing: false,
    }
}

#[cfg(test)]
mod tests {
    use crate::privacy::load;
    use crate::text::Lang;

    const TWO_LANGUAGES: &str = r#"languages = ["nb", "en"]

[organisation]
name = "Example AS"
org_number = "999 888 771"
address = "Storgata 1, 0101 Oslo"
country = "NO"
email = "personvern@example.no"

[[sites]]
id = "www"
name = "Example"
domains = ["localhost"]
"#;

    #[test]
    fn a_declared_language_is_found_by_its_exact_tag() {
        let file = load(TWO_LANGUAGES, "two.toml").unwrap();
        assert_eq!(file.declared_language("en"), Some(&Lang::new("en")));
        assert_eq!(file.declared_language("nb"), Some(&Lang::new("nb")));
        assert_eq!(file.declared_language("nn"), None);
        assert_eq!(file.declared_language(""), None);
        // Exact: callers that accept other cases lower-case first.
        assert_eq!(file.declared_language("EN"), None);
        assert_eq!(
            file.declared_language(Lang::new("EN").as_str()),
            Some(&Lang::new("en"))
        );
        assert_eq!(file.language_list(), "nb, en");
    }
}
