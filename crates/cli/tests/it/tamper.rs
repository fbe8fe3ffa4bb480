//! Tampering as a table (issue 11): each row is one way someone with the database changes a
//! stopped server's ledger, then the server is restarted and a visitor writes once; each column
//! is one way to find out. Every cell must say "detected". This file holds the `verify --data`
//! column; the columns that need outside evidence (`verify --file` with a checkpoint kept from
//! before, `docs/ledger-verify.py`) plug in as further [`Detector`]s, reading what [`Before`]
//! kept while the ledger was still intact.

use serde_json::Value;

use super::harness::{Backend, EXAMPLE, Server};
use super::ledger_support::{choice, post, raw, record, verify};

/// The chain every case writes.
const CHAIN: &str = "tamper";
/// Records written before the tampering.
const RECORDS: usize = 8;

/// One way to tamper: SQL statements run in order on either backend.
struct Tampering {
    name: &'static str,
    statements: &'static [&'static str],
}

const TAMPERINGS: &[Tampering] = &[
    Tampering {
        name: "edit a record",
        statements: &[
            "UPDATE consent_records SET categories = '{\"analytics\":true,\"marketing\":true,\"necessary\":true}' WHERE chain_id = 'tamper' AND seq = 3",
        ],
    },
    Tampering {
        name: "delete a record",
        statements: &["DELETE FROM consent_records WHERE chain_id = 'tamper' AND seq = 4"],
    },
    Tampering {
        name: "reorder two records",
        statements: &[
            "UPDATE consent_records SET seq = -2 WHERE chain_id = 'tamper' AND seq = 2",
            "UPDATE consent_records SET seq = 2 WHERE chain_id = 'tamper' AND seq = 5",
            "UPDATE consent_records SET seq = 5 WHERE chain_id = 'tamper' AND seq = -2",
        ],
    },
    Tampering {
        name: "truncate the chain",
        statements: &["DELETE FROM consent_records WHERE chain_id = 'tamper' AND seq > 5"],
    },
    Tampering {
        name: "delete the head row",
        statements: &["DELETE FROM ledger_chains WHERE chain_id = 'tamper'"],
    },
    Tampering {
        name: "truncate and delete the head row",
        statements: &[
            "DELETE FROM consent_records WHERE chain_id = 'tamper' AND seq > 5",
            "DELETE FROM ledger_chains WHERE chain_id = 'tamper'",
        ],
    },
    Tampering {
        name: "swap revision documents",
        statements: &[
            "INSERT INTO published_revisions (site, revision, first_published_ms, document) \
             SELECT 'swap', revision, first_published_ms, document FROM published_revisions \
             WHERE site = 'www'",
            "UPDATE published_revisions SET document = \
             (SELECT document FROM published_revisions WHERE site = 'demo') WHERE site = 'www'",
            "UPDATE published_revisions SET document = \
             (SELECT document FROM published_revisions WHERE site = 'swap') WHERE site = 'demo'",
            "DELETE FROM published_revisions WHERE site = 'swap'",
        ],
    },
];
// Deleting the current revision's document is not a row: the restart publishes the same
// document again (it is derived from the privacy file). Without a restart, verify names the
// revision records were made under whose document is missing.

/// What was kept while the ledger was intact, for detectors that compare against it.
struct Before {
    /// The receipts the visitors were given.
    #[allow(dead_code)] // read by the columns that compare receipts and checkpoints
    receipts: Vec<Value>,
}

/// One case after tampering, restart and a write.
struct Case<'a> {
    backend: &'a Backend,
    #[allow(dead_code)] // read by the columns that compare receipts and checkpoints
    before: Before,
}

/// What a detector said.
struct Verdict {
    detected: bool,
    said: String,
}

/// One column of the table.
struct Detector {
    name: &'static str,
    detect: fn(&Case<'_>) -> Verdict,
}

const DETECTORS: &[Detector] = &[Detector {
    name: "verify --data",
    detect: verify_data,
}];

fn verify_data(case: &Case<'_>) -> Verdict {
    let (code, text) = verify(case.backend);
    Verdict {
        detected: code == 1 && text.contains("BROKEN"),
        said: text
            .lines()
            .find(|line| line.starts_with("BROKEN"))
            .unwrap_or(text.as_str())
            .to_owned(),
    }
}

fn flags(backend: &Backend) -> Vec<String> {
    let mut flags = backend.flags();
    flags.extend(["--chain-id".to_owned(), CHAIN.to_owned()]);
    flags
}

/// Records, stops, tampers, restarts and writes once, stops: the case the detectors see.
async fn tampered(backend: &Backend, tampering: &Tampering) -> (Before, u16) {
    let server = Server::start(EXAMPLE, &flags(backend));
    server.wait_healthy().await;
    let receipts = record(&server, RECORDS).await;
    assert!(server.terminate().success());
    let (code, intact) = verify(backend);
    assert_eq!(code, 0, "intact before {:?}: {intact}", tampering.name);
    for statement in tampering.statements {
        raw(backend, statement).await;
    }
    let server = Server::start(EXAMPLE, &flags(backend));
    server.wait_healthy().await;
    let (status, answer, _) = post(&server, &choice(RECORDS + 1)).await;
    assert!(
        [201, 503].contains(&status),
        "{}: the write after a restart: {status} {answer}",
        tampering.name
    );
    assert!(server.terminate().success());
    (Before { receipts }, status)
}

async fn table(new_backend: impl AsyncFn(&str) -> Option<Backend>) {
    let mut rows = Vec::new();
    let mut missed = Vec::new();
    for tampering in TAMPERINGS {
        let Some(backend) = new_backend(tampering.name).await else {
            return;
        };
        let (before, write) = tampered(&backend, tampering).await;
        let case = Case {
            backend: &backend,
            before,
        };
        let mut cells = Vec::new();
        for detector in DETECTORS {
            let verdict = (detector.detect)(&case);
            if !verdict.detected {
                missed.push(format!(
                    "{} / {}: {}",
                    tampering.name, detector.name, verdict.said
                ));
            }
            cells.push(format!(
                "{} ({})",
                if verdict.detected {
                    "detected"
                } else {
                    "MISSED"
                },
                verdict.said
            ));
        }
        rows.push(format!(
            "| {} | write after restart: {write} | {} |",
            tampering.name,
            cells.join(" | ")
        ));
        backend.finish().await;
    }
    let header: Vec<&str> = DETECTORS.iter().map(|d| d.name).collect();
    eprintln!(
        "| tampering (then restart and one write) | | {} |\n{}",
        header.join(" | "),
        rows.join("\n")
    );
    assert!(missed.is_empty(), "not detected:\n{}", missed.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tampering_is_detected_after_a_restart_on_sqlite() {
    table(async |_| Some(Backend::sqlite())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tampering_is_detected_after_a_restart_on_postgres() {
    table(async |name| Backend::postgres(&format!("tamper: {name}")).await).await;
}
