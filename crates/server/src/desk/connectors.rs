//! The desk's way into the datasets the privacy file declares: a SQL dataset's pool, opened on
//! first use from its `[connectors.NAME]` URL and kept; a webhook dataset's URL and signing
//! secret. A dataset whose connector is not configured is a problem naming the connector, not
//! a half-done case.

use std::collections::{BTreeMap, HashMap};

use kapsel_connect::Connection;
use kapsel_core::Secret;
use tokio::sync::Mutex;

use crate::config::ConnectorConfig;
use crate::error::ApiError;

pub struct Connectors {
    configs: BTreeMap<String, ConnectorConfig>,
    open: Mutex<HashMap<String, Connection>>,
}

impl Connectors {
    pub fn new(configs: BTreeMap<String, ConnectorConfig>) -> Connectors {
        Connectors {
            configs,
            open: Mutex::new(HashMap::new()),
        }
    }

    /// Every connector's URL by name, for the retention engine's runner, which opens its own
    /// connection per run.
    pub fn urls(&self) -> BTreeMap<String, String> {
        self.configs
            .iter()
            .map(|(name, c)| (name.clone(), c.url.expose().to_owned()))
            .collect()
    }

    fn config(&self, name: &str) -> Result<&ConnectorConfig, ApiError> {
        self.configs.get(name).ok_or_else(|| ApiError::Conflict {
            field: format!("connectors.{name}"),
            message: format!(
                "the privacy file names connector `{name}`, but the settings have no \
                 [connectors.{name}] url"
            ),
        })
    }

    /// The pool of SQL connector `name`.
    pub async fn sql(&self, name: &str) -> Result<Connection, ApiError> {
        let mut open = self.open.lock().await;
        if let Some(conn) = open.get(name) {
            return Ok(conn.clone());
        }
        let config = self.config(name)?;
        let conn = Connection::open(config.url.expose())
            .await
            .map_err(|e| ApiError::Conflict {
                field: format!("connectors.{name}"),
                // The URL holds credentials: only the error's kind is said.
                message: format!("cannot connect: {}", e.without_secrets()),
            })?;
        open.insert(name.to_owned(), conn.clone());
        Ok(conn)
    }

    /// The URL and signing secret of webhook connector `name`.
    pub fn webhook(&self, name: &str) -> Result<(&str, Option<&Secret>), ApiError> {
        let config = self.config(name)?;
        Ok((config.url.expose(), config.secret.as_ref()))
    }
}
