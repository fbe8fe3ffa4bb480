//! Per-dialect migrations, embedded from `migrations/{sqlite,postgres}/` (same file names in both).
//! Applied by `Store::migrate` at start and by `kapsel migrate`; applying twice is a no-op.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};

struct Source {
    version: i64,
    description: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const SOURCES: &[Source] = &[
    Source {
        version: 1,
        description: "ledger",
        sqlite: include_str!("../migrations/sqlite/0001_ledger.sql"),
        postgres: include_str!("../migrations/postgres/0001_ledger.sql"),
    },
    Source {
        version: 2,
        description: "revisions",
        sqlite: include_str!("../migrations/sqlite/0002_revisions.sql"),
        postgres: include_str!("../migrations/postgres/0002_revisions.sql"),
    },
    Source {
        version: 3,
        description: "sparse previous-receipt index",
        sqlite: include_str!("../migrations/sqlite/0003_sparse_previous_index.sql"),
        postgres: include_str!("../migrations/postgres/0003_sparse_previous_index.sql"),
    },
    Source {
        version: 4,
        description: "signing keys, checkpoints and acknowledged gaps",
        sqlite: include_str!("../migrations/sqlite/0004_signed_heads.sql"),
        postgres: include_str!("../migrations/postgres/0004_signed_heads.sql"),
    },
    Source {
        version: 5,
        description: "receipt heads and secrets",
        sqlite: include_str!("../migrations/sqlite/0005_receipt_heads.sql"),
        postgres: include_str!("../migrations/postgres/0005_receipt_heads.sql"),
    },
    Source {
        version: 6,
        description: "request desk cases and their history",
        sqlite: include_str!("../migrations/sqlite/0006_cases.sql"),
        postgres: include_str!("../migrations/postgres/0006_cases.sql"),
    },
    Source {
        version: 7,
        description: "outgoing mail outbox",
        sqlite: include_str!("../migrations/sqlite/0007_outbox.sql"),
        postgres: include_str!("../migrations/postgres/0007_outbox.sql"),
    },
    Source {
        version: 8,
        description: "request desk links (hashed one-time and status tokens)",
        sqlite: include_str!("../migrations/sqlite/0008_desk_links.sql"),
        postgres: include_str!("../migrations/postgres/0008_desk_links.sql"),
    },
    Source {
        version: 9,
        description: "request desk work: access bundles and the suppression list",
        sqlite: include_str!("../migrations/sqlite/0009_desk_work.sql"),
        postgres: include_str!("../migrations/postgres/0009_desk_work.sql"),
    },
    Source {
        version: 10,
        description: "leases of background jobs",
        sqlite: include_str!("../migrations/sqlite/0010_leases.sql"),
        postgres: include_str!("../migrations/postgres/0010_leases.sql"),
    },
    Source {
        version: 11,
        description: "retention records and legal holds",
        sqlite: include_str!("../migrations/sqlite/0011_retention.sql"),
        postgres: include_str!("../migrations/postgres/0011_retention.sql"),
    },
    Source {
        version: 12,
        description: "seals of removed ledger prefixes",
        sqlite: include_str!("../migrations/sqlite/0012_ledger_seals.sql"),
        postgres: include_str!("../migrations/postgres/0012_ledger_seals.sql"),
    },
    Source {
        version: 13,
        description: "the consent gate's event outbox and decision trace",
        sqlite: include_str!("../migrations/sqlite/0013_gate.sql"),
        postgres: include_str!("../migrations/postgres/0013_gate.sql"),
    },
    Source {
        version: 14,
        description: "the console's accounts, sessions, audit log and consent counters",
        sqlite: include_str!("../migrations/sqlite/0014_console.sql"),
        postgres: include_str!("../migrations/postgres/0014_console.sql"),
    },
    Source {
        version: 15,
        description: "the scanner's uploaded reports",
        sqlite: include_str!("../migrations/sqlite/0015_scan_reports.sql"),
        postgres: include_str!("../migrations/postgres/0015_scan_reports.sql"),
    },
    Source {
        version: 16,
        description: "the banner's daily view counters",
        sqlite: include_str!("../migrations/sqlite/0016_banner_views.sql"),
        postgres: include_str!("../migrations/postgres/0016_banner_views.sql"),
    },
];

/// The SQL dialect of a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// The migrator for `dialect`.
pub fn migrator(dialect: Dialect) -> Migrator {
    let migrations: Vec<Migration> = SOURCES
        .iter()
        .map(|source| {
            let sql = match dialect {
                Dialect::Sqlite => source.sqlite,
                Dialect::Postgres => source.postgres,
            };
            Migration::new(
                source.version,
                Cow::Borrowed(source.description),
                MigrationType::Simple,
                Cow::Borrowed(sql),
                false,
            )
        })
        .collect();
    Migrator {
        migrations: Cow::Owned(migrations),
        ignore_missing: false,
        locking: true,
        no_tx: false,
    }
}
