//! `kapsel requests verify|extend|refuse|run|complete|task|plan`: a privacy lead's actions on a
//! case, sent to the running server's admin API (docs/desk.md) with the admin token, so that
//! every action goes through the one place that checks it, mails the requester and records
//! it. The server is found at `--url`, else `[server] public_url`, else the `[listen]` address;
//! the token is `[admin] token` (`KAPSEL_ADMIN__TOKEN`).
//!
//! The answer is printed as JSON; a refused action prints the server's problem and exits 1.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::migrate::{StoreArgs, runtime};

#[derive(Debug, Args)]
pub struct ServerArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The server's address (`http://127.0.0.1:8080`).
    #[arg(long)]
    pub url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ActCommand {
    /// Mark a request verified by other means (ID shown at the counter, …), with a note.
    Verify {
        #[command(flatten)]
        server: ServerArgs,
        id: String,
        #[arg(long)]
        note: String,
    },
    /// Extend the period by up to two months (art. 12(3)), with a reason; the requester is told.
    Extend {
        #[command(flatten)]
        server: ServerArgs,
        id: String,
        #[arg(long)]
        months: u32,
        #[arg(long)]
        reason: String,
    },
    /// Refuse the request (art. 12(4)); an erasure refusal names its art. 17(3) ground.
    Refuse {
        #[command(flatten)]
        server: ServerArgs,
        id: String,
        #[arg(long)]
        reason: String,
        /// art17_3_a_expression, art17_3_b_legal_obligation, art17_3_c_public_health,
        /// art17_3_d_archiving, art17_3_e_legal_claims
        #[arg(long)]
        ground: Option<String>,
    },
    /// Show what running the request would export or erase, changing nothing.
    Plan {
        #[command(flatten)]
        server: ServerArgs,
        id: String,
    },
    /// Carry the request out in the datasets (resumes where an earlier run stopped).
    Run {
        #[command(flatten)]
        server: ServerArgs,
        id: String,
    },
    /// Record that a manual dataset's instructions were carried out.
    Task {
        #[command(flatten)]
        server: ServerArgs,
        id: String,
        dataset: String,
        #[arg(long)]
        note: String,
    },
    /// Complete the request and send the answer; refused while anything is left.
    Complete {
        #[command(flatten)]
        server: ServerArgs,
        id: String,
    },
}

pub fn run(command: ActCommand) -> anyhow::Result<ExitCode> {
    let (server, method, path, body) = match command {
        ActCommand::Verify { server, id, note } => (
            server,
            "POST",
            format!("{id}/verify"),
            json!({ "note": note }),
        ),
        ActCommand::Extend {
            server,
            id,
            months,
            reason,
        } => (
            server,
            "POST",
            format!("{id}/extend"),
            json!({ "months": months, "reason": reason }),
        ),
        ActCommand::Refuse {
            server,
            id,
            reason,
            ground,
        } => {
            let body = match ground {
                Some(ground) => json!({ "reason": reason, "ground": ground }),
                None => json!({ "reason": reason }),
            };
            (server, "POST", format!("{id}/refuse"), body)
        }
        ActCommand::Plan { server, id } => (server, "GET", format!("{id}/plan"), Value::Null),
        ActCommand::Run { server, id } => (server, "POST", format!("{id}/run"), json!({})),
        ActCommand::Task {
            server,
            id,
            dataset,
            note,
        } => (
            server,
            "POST",
            format!("{id}/tasks/{dataset}"),
            json!({ "note": note }),
        ),
        ActCommand::Complete { server, id } => {
            (server, "POST", format!("{id}/complete"), json!({}))
        }
    };
    runtime()?.block_on(call(server, method, &path, body))
}

async fn call(
    server: ServerArgs,
    method: &str,
    path: &str,
    body: Value,
) -> anyhow::Result<ExitCode> {
    let settings = server.store.settings()?;
    let base = server
        .url
        .or(settings.server.public_url.clone())
        .unwrap_or_else(|| format!("http://{}", settings.listen.public));
    let token =
        settings.admin.token.as_ref().context(
            "the admin API needs the admin token: set [admin] token or KAPSEL_ADMIN__TOKEN",
        )?;
    let url = format!("{}/v1/admin/cases/{path}", base.trim_end_matches('/'));
    let client = reqwest::Client::new();
    let request = match method {
        "GET" => client.get(&url),
        _ => client.post(&url).json(&body),
    };
    let response = request
        .bearer_auth(token.expose())
        .send()
        .await
        .with_context(|| format!("cannot reach the server at {base}"))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .context("reading the server's answer")?;
    let pretty = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or(text);
    if status.is_success() {
        println!("{pretty}");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("the server refused ({status}):\n{pretty}");
        Ok(ExitCode::FAILURE)
    }
}
