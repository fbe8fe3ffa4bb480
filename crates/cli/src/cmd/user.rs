//! `kapsel user`: the console's accounts, made and changed from the terminal, each change
//! recorded in the console's audit log (actor `cli`).
//!
//! - `add NAME --role viewer|respondent|privacy_lead|admin [--totp | --no-password]`
//!   (`--no-password`: signs in with OpenID Connect only)
//! - `passwd NAME` (ends the account's sessions)
//! - `disable NAME` (ends its sessions) and `enable NAME`
//! - `totp NAME [--off]`: a new second factor (prints the secret and an `otpauth://` URI for an
//!   authenticator app), or none
//! - `list`
//!
//! Passwords are read from the first line of standard input, so they stay out of the process
//! list and the shell history: `kapsel user add kari --role privacy_lead < password.txt`.

use std::io::BufRead as _;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use kapsel_core::console::audit::NewAuditEntry;
use kapsel_core::console::{Role, password, totp};
use kapsel_core::{Clock, OsRandom, SystemClock};
use kapsel_store::{Account, Accounts, AuditLog, Store};

use super::migrate::{StoreArgs, runtime};
use super::print::{instant, table};
use crate::settings::store::Open;

/// The longest account name.
const MAX_NAME: usize = 64;

#[derive(Debug, Args)]
pub struct UserArgs {
    #[command(subcommand)]
    pub command: UserCommand,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add an account; its password is the first line of standard input.
    Add(AddArgs),
    /// Set an account's password (from standard input) and end its sessions.
    Passwd(NameArgs),
    /// Disable an account and end its sessions.
    Disable(NameArgs),
    /// Enable a disabled account.
    Enable(NameArgs),
    /// Give an account a new TOTP second factor, or remove it with --off.
    Totp(TotpArgs),
    /// List the accounts.
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    pub name: String,
    /// viewer, respondent, privacy_lead or admin.
    #[arg(long)]
    pub role: String,
    /// Also set up a TOTP second factor (prints its secret).
    #[arg(long)]
    pub totp: bool,
    /// No password: the account signs in with OpenID Connect only ([console.oidc]); nothing is
    /// read from standard input.
    #[arg(long, conflicts_with = "totp")]
    pub no_password: bool,
}

#[derive(Debug, Args)]
pub struct NameArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    pub name: String,
}

#[derive(Debug, Args)]
pub struct TotpArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    pub name: String,
    /// Remove the second factor instead.
    #[arg(long)]
    pub off: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub store: StoreArgs,
}

pub fn run(args: UserArgs) -> anyhow::Result<ExitCode> {
    let runtime = runtime()?;
    runtime.block_on(async {
        match args.command {
            UserCommand::Add(args) => add(args).await,
            UserCommand::Passwd(args) => passwd(args).await,
            UserCommand::Disable(args) => set_disabled(args, true).await,
            UserCommand::Enable(args) => set_disabled(args, false).await,
            UserCommand::Totp(args) => set_totp(args).await,
            UserCommand::List(args) => list(args).await,
        }
    })
}

async fn open(store: &StoreArgs) -> anyhow::Result<Store> {
    let settings = store.settings()?;
    let opened = settings.store.open(Open::CreateIfMissing).await?;
    opened.migrate().await.context("migration failed")?;
    Ok(opened)
}

fn checked_name(name: &str) -> anyhow::Result<String> {
    let name = kapsel_store::accounts::account_name(name);
    if name.is_empty() || name.chars().count() > MAX_NAME {
        bail!("NAME: use 1 to {MAX_NAME} characters");
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'))
    {
        bail!("NAME: `{name}` may hold only letters, digits and . - _ @");
    }
    Ok(name)
}

/// The first line of standard input, checked against the password rules.
fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    password::check(&password).map_err(|e| anyhow::anyhow!("password: {e}"))?;
    Ok(password)
}

async fn audit(store: &Store, action: &str, target: &str) -> anyhow::Result<()> {
    store
        .append_audit(NewAuditEntry {
            at_ms: SystemClock.now_ms(),
            actor: "cli".into(),
            action: action.into(),
            target: target.into(),
            prefix: None,
        })
        .await?;
    Ok(())
}

async fn add(args: AddArgs) -> anyhow::Result<ExitCode> {
    let name = checked_name(&args.name)?;
    let Some(role) = Role::parse(&args.role) else {
        bail!(
            "--role: `{}` is not a role; use viewer, respondent, privacy_lead or admin",
            args.role
        );
    };
    let password_hash = if args.no_password {
        password::NO_PASSWORD.to_owned()
    } else {
        password::hash(&read_password()?, &OsRandom)?
    };
    let now = SystemClock.now_ms();
    let secret = args.totp.then(|| totp::new_secret(&OsRandom));
    let store = open(&args.store).await?;
    let added = store
        .add_account(&Account {
            name: name.clone(),
            role,
            password_hash,
            totp_secret: secret.clone(),
            totp_last_step: None,
            disabled: false,
            created_ms: now,
            changed_ms: now,
        })
        .await?;
    if !added {
        store.close().await;
        bail!("NAME: an account `{name}` exists; change it with `kapsel user passwd`");
    }
    audit(&store, &format!("account_add:{role}"), &name).await?;
    store.close().await;
    println!("Added {name} ({role}).");
    if let Some(secret) = secret {
        print_totp(&name, &secret);
    }
    Ok(ExitCode::SUCCESS)
}

async fn passwd(args: NameArgs) -> anyhow::Result<ExitCode> {
    let name = checked_name(&args.name)?;
    let password_hash = password::hash(&read_password()?, &OsRandom)?;
    let store = open(&args.store).await?;
    let changed = store
        .set_password(&name, &password_hash, SystemClock.now_ms())
        .await?;
    if changed {
        audit(&store, "account_password", &name).await?;
    }
    store.close().await;
    if !changed {
        bail!("NAME: no account `{name}`");
    }
    println!("Set the password of {name}; its sessions have ended.");
    Ok(ExitCode::SUCCESS)
}

async fn set_disabled(args: NameArgs, disabled: bool) -> anyhow::Result<ExitCode> {
    let name = checked_name(&args.name)?;
    let store = open(&args.store).await?;
    let changed = store
        .set_disabled(&name, disabled, SystemClock.now_ms())
        .await?;
    let action = if disabled {
        "account_disable"
    } else {
        "account_enable"
    };
    if changed {
        audit(&store, action, &name).await?;
    }
    store.close().await;
    if !changed {
        bail!("NAME: no account `{name}`");
    }
    if disabled {
        println!("Disabled {name}; its sessions have ended.");
    } else {
        println!("Enabled {name}.");
    }
    Ok(ExitCode::SUCCESS)
}

async fn set_totp(args: TotpArgs) -> anyhow::Result<ExitCode> {
    let name = checked_name(&args.name)?;
    let secret = (!args.off).then(|| totp::new_secret(&OsRandom));
    let store = open(&args.store).await?;
    let changed = store
        .set_totp(&name, secret.as_deref(), SystemClock.now_ms())
        .await?;
    if changed {
        let action = if args.off { "totp_off" } else { "totp_on" };
        audit(&store, action, &name).await?;
    }
    store.close().await;
    if !changed {
        bail!("NAME: no account `{name}`");
    }
    match secret {
        Some(secret) => print_totp(&name, &secret),
        None => println!("Removed the second factor of {name}."),
    }
    Ok(ExitCode::SUCCESS)
}

fn print_totp(name: &str, secret: &[u8]) {
    println!("Second factor (TOTP, 6 digits, 30 s) for {name}:");
    println!("  secret: {}", totp::base32(secret));
    println!("  {}", totp::otpauth_uri(secret, "Kapsel", name));
    println!("Add it to an authenticator app now: it is not shown again.");
}

async fn list(args: ListArgs) -> anyhow::Result<ExitCode> {
    let store = open(&args.store).await?;
    let accounts = store.accounts().await?;
    store.close().await;
    if accounts.is_empty() {
        println!("No accounts. Add one with `kapsel user add NAME --role admin`.");
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<[String; 5]> = accounts
        .iter()
        .map(|a| {
            [
                a.name.clone(),
                a.role.to_string(),
                if a.totp_secret.is_some() { "totp" } else { "-" }.to_owned(),
                if a.disabled { "disabled" } else { "active" }.to_owned(),
                instant(a.changed_ms),
            ]
        })
        .collect();
    print!(
        "{}",
        table(["name", "role", "second factor", "state", "changed"], &rows)
    );
    Ok(ExitCode::SUCCESS)
}
