//! The privacy file's types, exactly as written in `kapsel.toml`.
//!
//! Unknown keys are errors: `load` collects them all with `serde_ignored` (rather than
//! `deny_unknown_fields`, which stops at the first). Lists of things with ids are arrays of
//! tables (`[[services]]`) so the file keeps its order and duplicate ids can be reported with
//! their position. Texts a visitor or an authority reads are `Text` (one entry per declared
//! language).

use serde::{Deserialize, Serialize};

pub use super::acknowledge::{CookieAcknowledge, ServiceAcknowledge};
pub use super::dataset::{DatasetSpec, Engine, Erasure, FieldSpec, Relation, TableSpec};
pub use super::destination::{Destination, DestinationKind, GateFacts};
pub use super::retention::{Anonymise, CountedFrom, FilterValues, RetentionAction, RetentionRule};
pub use super::role::ServiceRole;
use crate::text::{Lang, Text};

/// The whole privacy file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrivacyFile {
    /// Declared languages; the first is the default and the end of every fallback chain.
    pub languages: Vec<Lang>,
    /// A human version label such as "2025-6", shown beside the revision on the notice and the
    /// change log. Not part of any site's revision: a new label alone never asks visitors again.
    #[serde(default)]
    pub version: Option<String>,
    pub organisation: Organisation,
    #[serde(default)]
    pub consent: ConsentSettings,
    pub sites: Vec<Site>,
    /// Consent categories. `necessary` is implicit if absent, always on, and cannot be refused.
    #[serde(default)]
    pub categories: Vec<Category>,
    #[serde(default)]
    pub services: Vec<Service>,
    /// Records of processing (GDPR art. 30(1)).
    #[serde(default)]
    pub activities: Vec<Activity>,
    /// Operator-written sections appended to the generated privacy notice.
    #[serde(default)]
    pub notice: Notice,
    /// What a requester may give besides their e-mail address to be found in the datasets
    /// (customer number, phone, …); the privacy centre asks for each.
    #[serde(default)]
    pub identifiers: Vec<Identifier>,
    /// Where personal data is kept, for the request desk to find, export and erase it.
    #[serde(default)]
    pub datasets: Vec<DatasetSpec>,
    /// The retention periods of the datasets' tables, as rules the retention engine runs.
    #[serde(default)]
    pub retention: Vec<RetentionRule>,
    /// Where the consent gate forwards analytics and ad events.
    #[serde(default)]
    pub destinations: Vec<Destination>,
    /// Facts about the events the gate takes.
    #[serde(default)]
    pub gate: GateFacts,
}

/// An identifier a requester may give. Its id is what the datasets' identity columns name
/// (`email` is always asked for and needs no declaration).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identifier {
    pub id: String,
    /// The form field's label ("Kundenummer").
    pub label: Text,
    /// A hint under the field ("On your invoice, e.g. K-1234").
    #[serde(default)]
    pub hint: Option<Text>,
}

/// The controller (GDPR art. 13(1)(a)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organisation {
    pub name: String,
    /// Organisation number in the national register (Brønnøysund in Norway).
    pub org_number: String,
    pub address: String,
    /// ISO 3166-1 alpha-2 country of establishment.
    pub country: String,
    pub email: String,
    #[serde(default)]
    pub phone: Option<String>,
    /// Data protection officer (art. 13(1)(b)): a role, never a person's name.
    #[serde(default)]
    pub dpo: Option<Dpo>,
    /// Where to complain (art. 13(2)(d)); Datatilsynet if not given.
    #[serde(default)]
    pub authority: Option<Authority>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dpo {
    pub role: Text,
    pub email: String,
    #[serde(default)]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Authority {
    pub name: Text,
    pub url: String,
    #[serde(default)]
    pub address: Option<String>,
}

/// How long a choice lasts and how Global Privacy Control is honoured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsentSettings {
    /// How long an acceptance (full or partial) lasts before the visitor is asked again.
    #[serde(default = "default_accept_duration")]
    pub accept_duration: String,
    /// How long a refusal lasts before the visitor is asked again.
    #[serde(default = "default_reject_duration")]
    pub reject_duration: String,
    /// When the browser sends Global Privacy Control, preset marketing to off (never to on).
    #[serde(default = "default_true")]
    pub gpc_disables_marketing: bool,
    /// Treat the browser's Do Not Track signal (`navigator.doNotTrack == "1"`) like Global
    /// Privacy Control: with `gpc_disables_marketing`, it presets marketing to off.
    #[serde(default)]
    pub dnt_as_gpc: bool,
}

impl Default for ConsentSettings {
    fn default() -> Self {
        ConsentSettings {
            accept_duration: default_accept_duration(),
            reject_duration: default_reject_duration(),
            gpc_disables_marketing: true,
            dnt_as_gpc: false,
        }
    }
}

fn default_accept_duration() -> String {
    "12 months".to_owned()
}
fn default_reject_duration() -> String {
    "6 months".to_owned()
}
fn default_true() -> bool {
    true
}

/// A website served by the banner. Each has its own revision and its own consent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Site {
    /// Short id used in URLs (`/s/{id}.js`): lower-case letters, digits and `-`.
    pub id: String,
    pub name: String,
    /// Host names the site is served on; CORS for the consent API allows exactly these origins.
    pub domains: Vec<String>,
    /// Domain the consent cookie is set on (e.g. `example.no` to cover its subdomains).
    #[serde(default)]
    pub cookie_domain: Option<String>,
    /// Links to the operator's own policy pages, per language; generated pages are used if absent.
    #[serde(default)]
    pub links: SiteLinks,
    /// Service ids used on this site; all services if absent.
    #[serde(default)]
    pub services: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SiteLinks {
    #[serde(default)]
    pub privacy_notice: Option<Text>,
    #[serde(default)]
    pub cookie_declaration: Option<Text>,
}

/// The id of the category that is always on.
pub const NECESSARY: &str = "necessary";

/// A consent category such as `functional`, `analytics` or `marketing`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Category {
    pub id: String,
    pub label: Text,
    pub description: Text,
    /// Marketing categories are the ones Global Privacy Control presets to off.
    #[serde(default)]
    pub marketing: bool,
}

/// A third-party or first-party tool that sets cookies or sends data: Google Analytics, a pixel…
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    pub id: String,
    pub name: String,
    pub category: String,
    pub provider: Provider,
    pub purpose: Text,
    /// Required for services in `necessary`: why the site cannot work without it.
    #[serde(default)]
    pub justification: Option<Text>,
    #[serde(default)]
    pub privacy_policy: Option<String>,
    /// Where the data goes when it leaves the EEA.
    #[serde(default)]
    pub transfers: Vec<Transfer>,
    /// Google Consent Mode v2 types this service needs granted.
    #[serde(default)]
    pub consent_mode: Vec<ConsentModeType>,
    /// Host names the service loads from or sends to; the scanner uses them as evidence.
    #[serde(default)]
    pub hosts: Vec<String>,
    #[serde(default)]
    pub cookies: Vec<Cookie>,
    /// The provider's role towards the controller for what this service does (art. 4(8), 26,
    /// 28). When absent the documents state no role: they never guess "processor".
    #[serde(default)]
    pub role: Option<ServiceRole>,
    /// Flags of `kapsel check`/`kapsel suggest` the operator has looked at, with the reason.
    /// Not part of the revision (visitors never see it).
    #[serde(default)]
    pub acknowledge: ServiceAcknowledge,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provider {
    /// Legal entity, e.g. "Google Ireland Limited".
    pub name: String,
    /// ISO 3166-1 alpha-2 country of the legal entity.
    pub country: String,
    #[serde(default)]
    pub address: Option<String>,
}

/// A transfer of personal data to a third country (art. 13(1)(f), 30(1)(e)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transfer {
    /// ISO 3166-1 alpha-2 country.
    pub country: String,
    pub safeguard: Safeguard,
    /// Free text where `safeguard = "other"`, or details such as the SCC module.
    #[serde(default)]
    pub note: Option<Text>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Safeguard {
    /// An adequacy decision under art. 45 (e.g. the EU–US Data Privacy Framework).
    Adequacy,
    /// Standard contractual clauses under art. 46(2)(c).
    Sccs,
    /// Binding corporate rules under art. 47.
    Bcr,
    /// A derogation or other safeguard, described in `note`.
    Other,
}

/// Google Consent Mode v2 consent types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentModeType {
    AdStorage,
    AdUserData,
    AdPersonalization,
    AnalyticsStorage,
    FunctionalityStorage,
    PersonalizationStorage,
    SecurityStorage,
}

impl ConsentModeType {
    pub const ALL: [ConsentModeType; 7] = [
        ConsentModeType::AdStorage,
        ConsentModeType::AdUserData,
        ConsentModeType::AdPersonalization,
        ConsentModeType::AnalyticsStorage,
        ConsentModeType::FunctionalityStorage,
        ConsentModeType::PersonalizationStorage,
        ConsentModeType::SecurityStorage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConsentModeType::AdStorage => "ad_storage",
            ConsentModeType::AdUserData => "ad_user_data",
            ConsentModeType::AdPersonalization => "ad_personalization",
            ConsentModeType::AnalyticsStorage => "analytics_storage",
            ConsentModeType::FunctionalityStorage => "functionality_storage",
            ConsentModeType::PersonalizationStorage => "personalization_storage",
            ConsentModeType::SecurityStorage => "security_storage",
        }
    }
}

/// A cookie or storage key a service sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cookie {
    /// Exact name, or the prefix when `prefix = true` (e.g. `_ga_` for `_ga_ABC123`).
    pub name: String,
    #[serde(default)]
    pub prefix: bool,
    #[serde(default)]
    pub kind: StorageKind,
    #[serde(default)]
    pub party: Party,
    /// Domain it is set on when it is not the site's own (third-party cookies).
    #[serde(default)]
    pub domain: Option<String>,
    /// "session", "persistent" (storage with no expiry), or a count and unit:
    /// "30 minutes", "24 hours", "7 days", "13 months", "2 years".
    pub duration: String,
    /// Defaults to the service's purpose.
    #[serde(default)]
    pub purpose: Option<Text>,
    /// `kapsel suggest` flags on this cookie the operator has reviewed. Not part of the revision.
    #[serde(default)]
    pub acknowledge: CookieAcknowledge,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageKind {
    #[default]
    Cookie,
    LocalStorage,
    SessionStorage,
    IndexedDb,
    /// A tracking pixel or beacon request that stores nothing itself.
    Pixel,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    #[default]
    First,
    Third,
}

/// A processing activity: one row of the record of processing (art. 30(1)(a)–(g)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub id: String,
    pub name: Text,
    /// Art. 30(1)(b).
    pub purpose: Text,
    /// Art. 6(1)(a)–(f).
    pub legal_basis: LegalBasis,
    /// Required when `legal_basis = "legitimate_interests"` (art. 13(1)(d)).
    #[serde(default)]
    pub legitimate_interest: Option<Text>,
    /// Art. 9(2) condition, e.g. "a" or "h", when special categories are processed.
    #[serde(default)]
    pub special_categories_condition: Option<String>,
    /// Art. 30(1)(c): categories of personal data.
    pub data_categories: Text,
    /// Art. 30(1)(c): categories of data subjects.
    pub data_subjects: Text,
    /// Art. 30(1)(d): recipients (other than processors).
    #[serde(default)]
    pub recipients: Option<Text>,
    /// Processors, by service id (their providers) …
    #[serde(default)]
    pub services: Vec<String>,
    /// … and by name for processors that are not web services (e.g. "Visma Software AS").
    #[serde(default)]
    pub processors: Vec<Processor>,
    /// Art. 30(1)(e): transfers not already declared on the services above.
    #[serde(default)]
    pub transfers: Vec<Transfer>,
    /// Art. 30(1)(f): how long, in words.
    pub retention: Text,
    /// Machine-readable retention period ("90 days", "5 years") where one applies.
    #[serde(default)]
    pub retention_period: Option<String>,
    /// Art. 14(2)(f): where the data comes from when not collected from the person.
    #[serde(default)]
    pub source: Option<Text>,
    /// Art. 13(2)(e): whether providing the data is a requirement, and what follows if not.
    #[serde(default)]
    pub requirement: Option<Text>,
    /// Art. 13(2)(f): automated decision-making, if any.
    #[serde(default)]
    pub automated_decisions: Option<Text>,
    /// Art. 30(1)(g): technical and organisational security measures.
    #[serde(default)]
    pub security_measures: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Processor {
    pub name: String,
    pub country: String,
    pub purpose: Text,
}

/// GDPR art. 6(1) legal bases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalBasis {
    /// (a)
    Consent,
    /// (b)
    Contract,
    /// (c)
    LegalObligation,
    /// (d)
    VitalInterests,
    /// (e)
    PublicTask,
    /// (f)
    LegitimateInterests,
}

impl LegalBasis {
    /// The letter of art. 6(1).
    pub fn letter(self) -> char {
        match self {
            LegalBasis::Consent => 'a',
            LegalBasis::Contract => 'b',
            LegalBasis::LegalObligation => 'c',
            LegalBasis::VitalInterests => 'd',
            LegalBasis::PublicTask => 'e',
            LegalBasis::LegitimateInterests => 'f',
        }
    }
}

/// Operator-written additions to the generated privacy notice.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    #[serde(default)]
    pub sections: Vec<NoticeSection>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticeSection {
    pub title: Text,
    /// Plain text; blank lines separate paragraphs. Never HTML.
    pub body: Text,
}
