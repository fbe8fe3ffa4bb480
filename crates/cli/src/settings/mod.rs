//! Settings of this installation: *how* Kapsel runs (listeners, store, limits, credentials), as
//! opposed to the privacy file (`kapsel.toml`), which says *what* the organisation does and is
//! hashed and published, so it never holds a secret. Reference: `docs/settings.md`.
//!
//! [`Settings`] is one typed struct in sections, each section a struct in the module of the part
//! that uses it. It is read in layers, each a TOML table checked on its own against the same
//! `deny_unknown_fields` structs, then merged: built-in defaults (the sections' `Default`
//! impls) < settings file (`--settings FILE`) < environment (`KAPSEL_SECTION__KEY`) < flags.
//! An unknown key in the file is an error at file:line:column, an unknown variable an error
//! naming the variable; which variables exist follows from the struct, not from a list.

pub mod console;
pub mod credentials;
pub mod desk;
mod env;
pub mod gate;
mod layers;
pub mod ledger;
pub mod listen;
pub mod log;
pub mod mail;
pub mod scan;
pub mod server;
pub mod signing;
pub mod store;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use toml::{Table, Value};

pub use layers::put;

use console::ConsoleSettings;
use credentials::{ConnectorSettings, DestinationSettings, JobsSettings};
use desk::DeskSettings;
use gate::GateSettings;
use ledger::LedgerSettings;
use listen::ListenSettings;
use log::LogSettings;
use mail::MailSettings;
use scan::ScanSettings;
use server::{AdminSettings, LimitsSettings, ProxySettings, ServerSettings};
use signing::SigningSettings;
use store::StoreSettings;

/// Every setting, resolved. Sections appear in the settings file as `[server]`, `[listen]`…
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub server: ServerSettings,
    pub listen: ListenSettings,
    pub store: StoreSettings,
    pub limits: LimitsSettings,
    pub proxy: ProxySettings,
    pub admin: AdminSettings,
    pub log: LogSettings,
    pub signing: SigningSettings,
    /// How long consent records are kept as proof once nobody relies on them.
    pub ledger: LedgerSettings,
    /// The token that marks Kapsel's own scanner, whose choices are never recorded.
    pub scan: ScanSettings,
    pub mail: MailSettings,
    /// The request desk: link and bundle lifetimes, the key of its keyed hashes.
    pub desk: DeskSettings,
    pub jobs: JobsSettings,
    /// The consent gate: write keys and delivery.
    pub gate: GateSettings,
    /// The privacy lead's console: session lifetimes and sign-in throttling.
    pub console: ConsoleSettings,
    /// The operator's databases and systems, by the name the privacy file uses for them.
    pub connectors: BTreeMap<String, ConnectorSettings>,
    /// Where events and data are delivered, by the name the privacy file uses for them.
    pub destinations: BTreeMap<String, DestinationSettings>,
}

impl Settings {
    /// Reads every layer: the settings file (if any), this process's `KAPSEL_*` variables, and
    /// `flags` (a table built by the command from its parsed flags; see [`put`]).
    pub fn load(file: Option<&Path>, flags: Table) -> anyhow::Result<Settings> {
        let file = file.map(layers::read_file).transpose()?;
        let env = env::layer(env::process_vars()?)?;
        Settings::from_layers(file, env, flags)
    }

    /// Merges the layers over the defaults (later wins) and reads the result.
    pub fn from_layers(file: Option<Table>, env: Table, flags: Table) -> anyhow::Result<Settings> {
        layers::check(&flags).map_err(|error| anyhow::anyhow!("flags: {error}"))?;
        store::check_one_backend(&env, "the environment")?;
        store::check_one_backend(&flags, "the flags")?;
        // The defaults hold no secret: a secret would be written as `<redacted>`.
        let Value::Table(mut merged) =
            Value::try_from(Settings::default()).context("cannot write the default settings")?
        else {
            anyhow::bail!("the default settings are not a table");
        };
        for layer in [file, Some(env), Some(flags)].into_iter().flatten() {
            layers::merge(&mut merged, layer);
        }
        let settings: Settings = Value::Table(merged)
            .try_into()
            .map_err(|error: toml::de::Error| anyhow::anyhow!("settings: {}", error.message()))?;
        settings.mail.check()?;
        settings.desk.check()?;
        settings.ledger.check()?;
        settings.jobs.check()?;
        settings.gate.check()?;
        settings.console.check()?;
        Ok(settings)
    }

    /// The settings as a settings file would write them, every secret shown as `<redacted>`.
    pub fn to_toml(&self) -> anyhow::Result<String> {
        toml::to_string(self).context("cannot print the settings")
    }
}
