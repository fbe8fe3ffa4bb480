//! The legal terms every visitor-facing text uses, defined once: transfer safeguards in the words
//! of the Norwegian text of the GDPR (personvernforordningen), the role of a service's provider,
//! and what kind of storage a name is. The documents use them, and so does the banner
//! (`safeguard_term`, `safeguard_label`, `role_label`, `storage_noun`): one wording everywhere.
//!
//! | | nb | nn | en |
//! |---|---|---|---|
//! | art. 45 | beslutning om tilstrekkelig beskyttelsesnivå | avgjerd om tilstrekkeleg vernenivå | adequacy decision |
//! | art. 46(2)(c) | standard personvernbestemmelser | standard personvernføresegner | standard data protection clauses |
//! | art. 47 | bindende virksomhetsregler | bindande verksemdsreglar | binding corporate rules |

use kapsel_core::Lang;
use kapsel_core::privacy::{Safeguard, ServiceRole, StorageKind};

use super::Tongue;

/// The safeguard's term, capitalised to open a sentence or a cell: "Standard
/// personvernbestemmelser". Lower-case the first letter inside a sentence.
pub fn safeguard_term(safeguard: Safeguard, lang: &Lang) -> &'static str {
    let tongue = Tongue::of(lang);
    match safeguard {
        Safeguard::Adequacy => tongue.pick(
            "Beslutning om tilstrekkelig beskyttelsesnivå",
            "Avgjerd om tilstrekkeleg vernenivå",
            "Adequacy decision",
        ),
        Safeguard::Sccs => tongue.pick(
            "Standard personvernbestemmelser",
            "Standard personvernføresegner",
            "Standard data protection clauses",
        ),
        Safeguard::Bcr => tongue.pick(
            "Bindende virksomhetsregler",
            "Bindande verksemdsreglar",
            "Binding corporate rules",
        ),
        Safeguard::Other => tongue.pick("Annet grunnlag", "Anna grunnlag", "Another basis"),
    }
}

/// The term with its article: "Standard personvernbestemmelser (art. 46 nr. 2 bokstav c)".
pub fn safeguard_label(safeguard: Safeguard, lang: &Lang) -> &'static str {
    let tongue = Tongue::of(lang);
    match safeguard {
        Safeguard::Adequacy => tongue.pick(
            "Beslutning om tilstrekkelig beskyttelsesnivå (art. 45)",
            "Avgjerd om tilstrekkeleg vernenivå (art. 45)",
            "Adequacy decision (art. 45)",
        ),
        Safeguard::Sccs => tongue.pick(
            "Standard personvernbestemmelser (art. 46 nr. 2 bokstav c)",
            "Standard personvernføresegner (art. 46 nr. 2 bokstav c)",
            "Standard data protection clauses (art. 46(2)(c))",
        ),
        Safeguard::Bcr => tongue.pick(
            "Bindende virksomhetsregler (art. 47)",
            "Bindande verksemdsreglar (art. 47)",
            "Binding corporate rules (art. 47)",
        ),
        Safeguard::Other => tongue.pick(
            "Annet grunnlag (art. 46 eller 49)",
            "Anna grunnlag (art. 46 eller 49)",
            "Another basis (art. 46 or 49)",
        ),
    }
}

/// A provider's role, lower-case, to follow its name: "selvstendig behandlingsansvarlig".
pub fn role_label(role: ServiceRole, lang: &Lang) -> &'static str {
    let tongue = Tongue::of(lang);
    match role {
        ServiceRole::Processor => tongue.pick("databehandler", "databehandlar", "processor"),
        ServiceRole::IndependentController => tongue.pick(
            "selvstendig behandlingsansvarlig",
            "sjølvstendig behandlingsansvarleg",
            "independent controller",
        ),
        ServiceRole::JointController => tongue.pick(
            "felles behandlingsansvarlig med oss (art. 26)",
            "felles behandlingsansvarleg med oss (art. 26)",
            "joint controller with us (art. 26)",
        ),
    }
}

/// What a stored name is, lower-case, for sentences: "informasjonskapselen", "nøkkelen i lokal
/// lagring". Definite form, as the change log's sentences name one entry.
pub fn storage_noun(kind: StorageKind, lang: &Lang) -> &'static str {
    let tongue = Tongue::of(lang);
    match kind {
        StorageKind::Cookie => {
            tongue.pick("informasjonskapselen", "informasjonskapselen", "the cookie")
        }
        StorageKind::LocalStorage => tongue.pick(
            "nøkkelen i lokal lagring",
            "nøkkelen i lokal lagring",
            "the local storage key",
        ),
        StorageKind::SessionStorage => tongue.pick(
            "nøkkelen i øktlagring",
            "nøkkelen i øktlagring",
            "the session storage key",
        ),
        StorageKind::IndexedDb => tongue.pick(
            "IndexedDB-databasen",
            "IndexedDB-databasen",
            "the IndexedDB database",
        ),
        StorageKind::Pixel => {
            tongue.pick("sporingspikselen", "sporingspikselen", "the tracking pixel")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_starts_with_its_term() {
        for lang in ["nb", "nn", "en"].map(Lang::new) {
            for safeguard in [
                Safeguard::Adequacy,
                Safeguard::Sccs,
                Safeguard::Bcr,
                Safeguard::Other,
            ] {
                assert!(
                    safeguard_label(safeguard, &lang).starts_with(safeguard_term(safeguard, &lang))
                );
            }
        }
    }

    #[test]
    fn transfer_terms_are_those_of_the_norwegian_gdpr() {
        let nb = Lang::new("nb");
        assert_eq!(
            safeguard_label(Safeguard::Sccs, &nb),
            "Standard personvernbestemmelser (art. 46 nr. 2 bokstav c)"
        );
        assert_eq!(
            safeguard_label(Safeguard::Adequacy, &nb),
            "Beslutning om tilstrekkelig beskyttelsesnivå (art. 45)"
        );
        let nn = Lang::new("nn");
        assert_eq!(
            safeguard_term(Safeguard::Sccs, &nn),
            "Standard personvernføresegner"
        );
        assert_eq!(
            safeguard_label(Safeguard::Sccs, &Lang::new("en")),
            "Standard data protection clauses (art. 46(2)(c))"
        );
    }
}
