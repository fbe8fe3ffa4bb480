//! `kapsel serve`: flags and environment into a validated server configuration, then the server.

use std::process::ExitCode;

use clap::Args;

/// Flags of `kapsel serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The privacy file.
    #[arg(long, env = "KAPSEL_CONFIG")]
    pub config: std::path::PathBuf,
}

pub fn run(_args: ServeArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("kapsel serve is being built")
}
