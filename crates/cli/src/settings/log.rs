//! `[log]`: the log format on stderr, and starting the subscriber. The filter is not a setting:
//! `KAPSEL_LOG` (`info` by default, `debug` for more) is read by the subscriber itself. ANSI
//! colours are used only when stderr is a terminal.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl LogSettings {
    /// Logs to stderr in this format, filtered by `KAPSEL_LOG`.
    pub fn init(&self) {
        use tracing_subscriber::EnvFilter;
        let filter =
            EnvFilter::try_from_env("KAPSEL_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
        // Colours only for a person at a terminal: a log file, journald or CI gets plain text.
        let builder = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_writer(std::io::stderr);
        let _ = match self.format {
            LogFormat::Json => builder.json().try_init(),
            LogFormat::Text => builder.try_init(),
        };
    }
}
