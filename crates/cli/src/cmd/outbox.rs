//! `kapsel outbox`: the store's outgoing mail, for the operator.
//!
//! - `list [--state S]` shows the messages as a table;
//! - `write [--out DIR]` writes every kept or queued message as `<data>/outbox/<id>.eml`
//!   (RFC 5322, the bytes SMTP would send), so that without SMTP an operator can still hand
//!   them on;
//! - `send` runs one delivery round with `[mail] smtp_url`, or marks due mail kept without it;
//! - `test-message --to ADDR` enqueues one fictional message, to check the SMTP settings.
//!
//! Every subcommand opens the store with the same flags as `kapsel ledger` and applies the
//! migrations first (a no-op once applied), so the outbox exists even in a fresh data
//! directory.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use kapsel_core::{OsRandom, SystemClock};
use kapsel_mail::{Outgoing, RetryPolicy, compose, deliver_due, render, to_eml};
use kapsel_store::{MailState, Outbox, OutboxMail, Store};

use super::migrate::{StoreArgs, runtime};
use super::print::{instant, table};
use crate::settings::Settings;
use crate::settings::store::Open;

#[derive(Debug, Args)]
pub struct OutboxArgs {
    #[command(subcommand)]
    pub command: OutboxCommand,
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// List outgoing mail: id, created, to, subject, state, attempts.
    List(ListArgs),
    /// Write every kept or queued message as <data>/outbox/<id>.eml and print the paths.
    Write(WriteArgs),
    /// Send due mail once with [mail] smtp_url (without it, mark it kept); print the counts.
    Send(SendArgs),
    /// Enqueue one fictional message to ADDR, to check the mail settings.
    TestMessage(TestMessageArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Only messages in this state: queued, sent, kept, failed or dead.
    #[arg(long)]
    pub state: Option<MailState>,
    #[arg(long, default_value_t = 1000)]
    pub limit: i64,
}

#[derive(Debug, Args)]
pub struct WriteArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The directory to write to; default `outbox` inside the data directory (required on
    /// PostgreSQL, which has none).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// At most this many messages in this round.
    #[arg(long, default_value_t = 100)]
    pub limit: i64,
}

#[derive(Debug, Args)]
pub struct TestMessageArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The recipient: one bare address (anything else, a line break included, is refused).
    #[arg(long)]
    pub to: String,
}

pub fn run(args: OutboxArgs) -> anyhow::Result<ExitCode> {
    let runtime = runtime()?;
    match args.command {
        OutboxCommand::List(args) => runtime.block_on(list(args)),
        OutboxCommand::Write(args) => runtime.block_on(write(args)),
        OutboxCommand::Send(args) => runtime.block_on(send(args)),
        OutboxCommand::TestMessage(args) => runtime.block_on(test_message(args)),
    }
}

/// The settings and the migrated store the flags name.
async fn open(store: &StoreArgs) -> anyhow::Result<(Settings, Store)> {
    let settings = store.settings()?;
    let opened = settings.store.open(Open::CreateIfMissing).await?;
    opened.migrate().await.context("migration failed")?;
    Ok((settings, opened))
}

async fn list(args: ListArgs) -> anyhow::Result<ExitCode> {
    let (_, store) = open(&args.store).await?;
    let mails = store.list(args.state, args.limit).await?;
    store.close().await;
    let rows: Vec<[String; 6]> = mails
        .iter()
        .map(|mail| {
            [
                mail.id.clone(),
                instant(mail.created_ms),
                mail.to_addr.clone(),
                mail.subject.clone(),
                mail.state.to_string(),
                mail.attempts.to_string(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            ["id", "created", "to", "subject", "state", "attempts"],
            &rows
        )
    );
    Ok(ExitCode::SUCCESS)
}

async fn write(args: WriteArgs) -> anyhow::Result<ExitCode> {
    let (settings, store) = open(&args.store).await?;
    let dir = match (&args.out, settings.store.data_dir()) {
        (Some(out), _) => out.clone(),
        (None, Some(data)) => data.join("outbox"),
        (None, None) => bail!("the store is PostgreSQL, which has no data directory: give --out"),
    };
    let sender = settings.mail.sender()?;
    let mut mails: Vec<OutboxMail> = Vec::new();
    for state in [MailState::Kept, MailState::Queued] {
        mails.extend(store.list(Some(state), i64::MAX).await?);
    }
    store.close().await;
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for mail in &mails {
        let message = render(mail, &sender).with_context(|| format!("mail {}", mail.id))?;
        let path = write_atomically(&dir, &mail.id, &to_eml(&message))?;
        println!("{}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `<dir>/<id>.eml` through a temporary file renamed into place, so a reader never sees
/// half a message. The id becomes a file name, so only `[A-Za-z0-9_-]` is accepted.
fn write_atomically(dir: &Path, id: &str, bytes: &[u8]) -> anyhow::Result<PathBuf> {
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        bail!("mail id {id:?} is not a safe file name; not written");
    }
    let path = dir.join(format!("{id}.eml"));
    let temporary = dir.join(format!(".{id}.eml.tmp"));
    let result = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, &path)
    })();
    if let Err(error) = result {
        let _ = std::fs::remove_file(&temporary);
        return Err(error).with_context(|| format!("cannot write {}", path.display()));
    }
    Ok(path)
}

async fn send(args: SendArgs) -> anyhow::Result<ExitCode> {
    let (settings, store) = open(&args.store).await?;
    let sender = settings.mail.sender()?;
    let smtp = settings.mail.smtp()?;
    let round = deliver_due(
        &store,
        smtp.as_ref(),
        &sender,
        RetryPolicy::default(),
        &SystemClock,
        &OsRandom,
        args.limit,
    )
    .await?;
    store.close().await;
    println!(
        "sent {}, failed {} (retried later), dead {}, kept {}",
        round.sent, round.failed, round.dead, round.kept
    );
    if smtp.is_none() && round.kept > 0 {
        println!(
            "no [mail] smtp_url: kept in the outbox; `kapsel outbox write` writes them as .eml"
        );
    }
    Ok(if round.failed + round.dead == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The test message: fictional, in the three languages of the interface.
const TEST_SUBJECT: &str = "Kapsel test message";
const TEST_BODY: &str = "Dette er en testmelding fra Kapsel. Du trenger ikke gjøre noe.\n\
\n\
Dette er ei testmelding frå Kapsel. Du treng ikkje gjere noko.\n\
\n\
This is a test message from Kapsel. There is nothing you need to do.\n";

async fn test_message(args: TestMessageArgs) -> anyhow::Result<ExitCode> {
    let settings = args.store.settings()?;
    let sender = settings.mail.sender()?;
    // Checked before the store is opened: a refused address touches nothing.
    let outgoing = Outgoing {
        to: args.to,
        subject: TEST_SUBJECT.into(),
        body_text: TEST_BODY.into(),
        template: "test-message".into(),
        case_id: None,
    };
    let mail = compose(
        outgoing,
        &sender,
        kapsel_core::Clock::now_ms(&SystemClock),
        &OsRandom,
    )?;
    let (_, store) = open(&args.store).await?;
    let id = mail.id.clone();
    let to = mail.to_addr.clone();
    store.enqueue(mail).await?;
    store.close().await;
    println!("queued {id} to {to}; `kapsel outbox send` sends it");
    Ok(ExitCode::SUCCESS)
}
