//! `kapsel ledger export`: records as JSONL (one `ConsentRecord` per line, exactly the fields
//! the hash covers) or CSV, filtered by site and time, cut at each chain's head as it was when
//! the export began (records written meanwhile are left for the next export), and ended by the
//! signed trailer of `evidence`: the export note over every byte before it, and a checkpoint
//! of each chain's head. A new checkpoint is kept in the ledger too.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use anyhow::{Context, bail};
use futures::StreamExt;
use kapsel_core::consent::ConsentRecord;
use kapsel_core::signing::PublicKey;
use kapsel_core::{Clock, SystemClock};
use kapsel_store::checkpoints::sign_checkpoint;
use kapsel_store::{
    Checkpoints, ExportFilter, LedgerPrune, LedgerRead, LedgerVerify, SigningKeys, StoreError,
};
use sha2::{Digest, Sha256};

use super::evidence::{ExportNote, Trailer, trailer_line};
use super::{ExportArgs, Format, instant};
use crate::settings::store::Open;

/// Writes lines and hashes every byte written.
struct HashingWriter {
    out: Box<dyn Write>,
    hasher: Sha256,
}

impl HashingWriter {
    fn line(&mut self, text: &str) -> std::io::Result<()> {
        self.hasher.update(text.as_bytes());
        self.hasher.update(b"\n");
        self.out.write_all(text.as_bytes())?;
        self.out.write_all(b"\n")
    }
}

pub async fn run(args: ExportArgs) -> anyhow::Result<ExitCode> {
    if let (Some(since), Some(until)) = (args.since, args.until)
        && since >= until
    {
        bail!("--since must be before --until");
    }
    let settings = args.store.settings()?;
    let store = settings.store.open(Open::Existing).await?;
    let now = SystemClock.now_ms();
    let chain_id = settings.store.resolve_chain_id(&store).await?;
    let key = settings
        .signing
        .key(&store, &settings.store, &chain_id, now)
        .await?;
    // The cut: every chain at its head now.
    let mut heads = BTreeMap::new();
    for chain in store.chain_ids().await.context("cannot read the ledger")? {
        if let Some(head) = store.signable_head(&chain).await? {
            heads.insert(chain, head);
        }
    }
    let filter = ExportFilter {
        site: args.site.clone(),
        since_ms: args.since,
        until_ms: args.until,
    };
    let out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(BufWriter::new(
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let mut out = HashingWriter {
        out,
        hasher: Sha256::new(),
    };
    let csv = args.format == Format::Csv;
    if csv {
        out.line(&kapsel_publish::csv::row(CSV_HEADER))?;
    }
    let mut records = std::pin::pin!(store.export(filter));
    let mut count = 0u64;
    // A row that cannot be read is left out and named at the end; the rest is exported.
    let mut unreadable = Vec::new();
    while let Some(item) = records.next().await {
        let record = match item {
            Ok(record) => record,
            Err(error @ StoreError::CorruptRow { .. }) => {
                unreadable.push(error);
                continue;
            }
            Err(error) => return Err(error).context("cannot read the ledger"),
        };
        if heads
            .get(&record.chain_id)
            .is_some_and(|(seq, _)| record.seq > *seq)
        {
            continue;
        }
        match args.format {
            Format::Jsonl => out.line(&serde_json::to_string(&record)?)?,
            Format::Csv => out.line(&csv_row(&record)?)?,
        }
        count += 1;
    }
    let mut checkpoints = Vec::new();
    for (chain, (size, hash)) in &heads {
        if let Some(checkpoint) = sign_checkpoint(&key, chain, *size, hash, now) {
            store.save_checkpoint(&checkpoint).await?;
            checkpoints.push(checkpoint.note);
        }
    }
    let note = ExportNote {
        records: count,
        sha256: out.hasher.clone().finalize().into(),
        site: args.site.clone(),
        since_ms: args.since,
        until_ms: args.until,
        time_ms: now,
    };
    let keys = store
        .published_keys()
        .await?
        .iter()
        .filter_map(|k| PublicKey::from_base64(&k.name, &k.public_key).ok())
        .map(|k| k.verifier_key())
        .collect();
    let mut gaps = Vec::new();
    let mut seals = Vec::new();
    for chain in heads.keys() {
        gaps.extend(store.gaps(chain).await?.into_iter().map(|gap| gap.note));
        seals.extend(store.seals(chain).await?.into_iter().map(|seal| seal.note));
    }
    let trailer = Trailer {
        export: note.sign(&key),
        checkpoints,
        keys,
        gaps,
        seals,
    };
    out.out.write_all(trailer_line(&trailer, csv)?.as_bytes())?;
    out.out.flush()?;
    store.close().await;
    eprintln!(
        "exported {count} record(s), signed by key {} at {}",
        key.public().id_hex(),
        instant(now)
    );
    if unreadable.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for error in &unreadable {
        eprintln!("UNREADABLE: {error}");
    }
    eprintln!(
        "{} unreadable row(s) left out of the export (named above); the export holds every other \
         record, and `kapsel ledger verify` names the chains they break",
        unreadable.len()
    );
    Ok(ExitCode::FAILURE)
}

pub const CSV_HEADER: [&str; 18] = [
    "id",
    "chain_id",
    "seq",
    "recorded_at",
    "recorded_at_ms",
    "expires_at_ms",
    "site",
    "revision",
    "language",
    "action",
    "categories",
    "services",
    "previous_receipt",
    "gpc",
    "ip_prefix",
    "ua_family",
    "prev_hash",
    "hash",
];

fn csv_row(r: &ConsentRecord) -> anyhow::Result<String> {
    let fields = [
        r.id.clone(),
        r.chain_id.clone(),
        r.seq.to_string(),
        instant(r.recorded_at_ms),
        r.recorded_at_ms.to_string(),
        r.expires_at_ms.to_string(),
        r.choice.site.clone(),
        r.choice.revision.clone(),
        r.choice.language.to_string(),
        r.choice.action.to_string(),
        serde_json::to_string(&r.choice.categories)?,
        serde_json::to_string(&r.choice.services)?,
        r.choice.previous_receipt.clone().unwrap_or_default(),
        r.choice.gpc.to_string(),
        r.context.ip_prefix.clone().unwrap_or_default(),
        r.context.ua_family.clone(),
        r.prev_hash.clone(),
        r.hash.clone(),
    ];
    Ok(kapsel_publish::csv::row(fields))
}
