//! `[listen]`: the addresses `kapsel serve` binds, the public listener (consent API, banner,
//! documents) and the optional ops listener (`/healthz`, `/metrics` without a token; bind it to
//! loopback or a private network).

use std::net::{Ipv4Addr, SocketAddr};

use anyhow::Context;
use kapsel_server::Listeners;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ListenSettings {
    /// The public listener; port 0 picks a free port.
    pub public: SocketAddr,
    /// The ops listener; none by default.
    pub ops: Option<SocketAddr>,
}

impl Default for ListenSettings {
    fn default() -> Self {
        ListenSettings {
            public: SocketAddr::from((Ipv4Addr::LOCALHOST, 8080)),
            ops: None,
        }
    }
}

impl ListenSettings {
    /// Binds every listener; the first address in use (or not allowed) is the error.
    pub async fn bind(&self) -> anyhow::Result<Listeners> {
        let public = tokio::net::TcpListener::bind(self.public)
            .await
            .with_context(|| format!("cannot listen on {}", self.public))?;
        let ops = match self.ops {
            Some(addr) => {
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on {addr} (ops)"))?;
                tracing::info!(addr = %listener.local_addr()?, "ops listener bound");
                Some(listener)
            }
            None => None,
        };
        Ok(Listeners { public, ops })
    }
}
