//! `kapsel ledger prune` on the real binary (the retention issue's consent proof): choices
//! recorded years ago with a fixed clock, the prefix no longer needed removed and sealed; then
//! `kapsel ledger verify` (database and export) and `docs/ledger-verify.py` pass from the seal,
//! a second prune changes nothing, and an edit of a remaining record fails all three.

use std::process::Command;
use std::sync::Arc;

use kapsel_core::ManualClock;
use kapsel_core::consent::{ConsentAction, ConsentChoice, Lifetimes, RecordContext, receipt_id};
use kapsel_core::privacy::ConsentSettings;
use kapsel_core::privacy::duration::Duration;
use kapsel_core::privacy::revision::{consent_projection, site_revision};
use kapsel_core::{Lang, Random};
use kapsel_store::{Ledger, LedgerAppend, LedgerPrune, LedgerVerify, RevisionStore};
use tokio_util::sync::CancellationToken;

use super::harness::{Backend, KAPSEL};
use super::ledger_support::raw;

/// 2020-01-01T00:00:00Z: long enough ago that three years of proof have passed.
const T_OLD: i64 = 1_577_836_800_000;
const DAY: i64 = 86_400_000;
const CHAIN: &str = "pruned";

/// `kapsel ARGS… FLAGS…` with `env`: exit code and stdout + stderr.
fn kapsel(args: &[&str], backend: &Backend, env: &[(&str, &str)]) -> (i32, String) {
    let output = Command::new(KAPSEL)
        .args(args)
        .args(backend.flags())
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

/// `python3 docs/ledger-verify.py FILE`, or `None` (skipped loudly) without Python's Ed25519.
fn python_verify(file: &str) -> Option<(i32, String)> {
    let ready = Command::new("python3")
        .args(["-c", "import cryptography"])
        .status()
        .is_ok_and(|s| s.success());
    if !ready {
        kapsel_testkit::skip(
            "the Python verifier after a prune",
            "python3 with the cryptography package is missing (pip install cryptography)",
        );
        return None;
    }
    let output = Command::new("python3")
        .arg(kapsel_testkit::repo_root().join("docs/ledger-verify.py"))
        .arg(file)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Some((output.status.code().unwrap_or(-1), text))
}

fn choice(revision: &str, action: ConsentAction, previous: Option<&str>) -> ConsentChoice {
    let granted = action == ConsentAction::AcceptAll;
    ConsentChoice {
        site: "www".into(),
        revision: revision.into(),
        language: Lang::new("nb"),
        action,
        categories: [("necessary".into(), true), ("analytics".into(), granted)].into(),
        services: Default::default(),
        previous_receipt: previous.map(str::to_owned),
        gpc: false,
    }
}

/// Six choices from 2020 on chain `pruned`: 1 accepted (replaced by 3), 2 refused, 3 the
/// replacement, 4 granted for 100 years (still relied on), 5 and 6 refused after it.
async fn record_old_choices(backend: &Backend) {
    let store = backend.open().await;
    store.migrate().await.unwrap();
    // The example's revision of `www`, published as a server publishes it.
    let file = kapsel_testkit::example_file();
    let revision = site_revision(&file, "www").unwrap().to_string();
    let document = consent_projection(&file, "www").unwrap().to_string();
    store
        .publish_revision("www", &revision, T_OLD, &document)
        .await
        .unwrap();
    let clock = Arc::new(ManualClock::at(T_OLD));
    let shutdown = CancellationToken::new();
    let ledger = Ledger::start(store.clone(), CHAIN.into(), clock.clone(), shutdown.clone())
        .await
        .unwrap();
    let usual = Lifetimes::from_settings(&ConsentSettings::default()).unwrap();
    let century = Lifetimes {
        accept: Duration::parse("100 years").unwrap(),
        ..usual
    };
    let context = RecordContext {
        ip_prefix: Some("192.0.2.0/24".into()),
        ua_family: "Firefox".into(),
    };
    let mut first = None;
    for (day, action, lifetimes) in [
        (0, ConsentAction::AcceptAll, usual),
        (1, ConsentAction::RejectAll, usual),
        (2, ConsentAction::AcceptAll, usual),
        (3, ConsentAction::AcceptAll, century),
        (4, ConsentAction::RejectAll, usual),
        (5, ConsentAction::RejectAll, usual),
    ] {
        clock.set(T_OLD + day * DAY);
        let previous = if day == 2 { first.as_deref() } else { None };
        let id = receipt_id(kapsel_core::OsRandom.bytes16());
        let receipt = ledger
            .append(
                id,
                choice(&revision, action, previous),
                context.clone(),
                lifetimes,
            )
            .await
            .unwrap();
        first.get_or_insert(receipt.id);
    }
    shutdown.cancel();
    ledger.stopped().await;
    store.close().await;
}

async fn remaining(backend: &Backend) -> (Vec<i64>, usize) {
    let store = backend.open().await;
    let seqs = store
        .chain_page(CHAIN, 0, 100)
        .await
        .unwrap()
        .iter()
        .map(|r| r.seq)
        .collect();
    let seals = store.seals(CHAIN).await.unwrap().len();
    store.close().await;
    (seqs, seals)
}

#[tokio::test]
async fn prune_on_sqlite_then_verify_and_the_python_verifier_pass_from_the_seal() {
    let backend = Backend::sqlite();
    prune_then_verify(&backend).await;
    backend.finish().await;
}

#[tokio::test]
async fn prune_on_postgres_then_verify_and_the_python_verifier_pass_from_the_seal() {
    let Some(backend) = Backend::postgres("cli_ledger_prune").await else {
        return;
    };
    prune_then_verify(&backend).await;
    backend.finish().await;
}

async fn prune_then_verify(backend: &Backend) {
    record_old_choices(backend).await;

    // A proof period longer than the records' age keeps everything.
    let long = [("KAPSEL_LEDGER__PROOF_PERIOD", "200 years")];
    let (code, out) = kapsel(&["ledger", "prune", "--dry-run"], backend, &long);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!(
            "chain {CHAIN}: nothing to remove; kept from seq 1"
        )),
        "{out}"
    );
    // Three years (the default): 1..3 may go; 4 is relied on, so it and 5, 6 stay.
    let (code, out) = kapsel(&["ledger", "prune", "--dry-run"], backend, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!(
            "chain {CHAIN}: would remove 3 record(s), seq 1..3"
        )),
        "{out}"
    );
    assert!(out.contains("kept from seq 4"), "{out}");
    assert_eq!(remaining(backend).await, (vec![1, 2, 3, 4, 5, 6], 0));

    let (code, out) = kapsel(&["ledger", "prune"], backend, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!(
            "chain {CHAIN}: removed 3 record(s), seq 1..3; sealed: seq 1..3"
        )),
        "{out}"
    );
    assert_eq!(remaining(backend).await, (vec![4, 5, 6], 1));

    // The database verifies from the seal.
    let (code, out) = kapsel(&["ledger", "verify"], backend, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("chain {CHAIN}: ok, 3 records"))
            && out.contains("verified from the seal of the removed seq 1..3"),
        "{out}"
    );
    // So does its export, by Kapsel and by the independent verifier.
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("pruned.jsonl").display().to_string();
    let (code, out) = kapsel(&["ledger", "export", "--out", &export], backend, &[]);
    assert_eq!(code, 0, "{out}");
    let text = std::fs::read_to_string(&export).unwrap();
    assert!(text.contains("\"seals\":[\"kapsel-seal/v1\\n"), "{text}");
    let (code, out) = kapsel(&["ledger", "verify", "--file", &export], backend, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("verified from the seal"), "{out}");
    if let Some((code, out)) = python_verify(&export) {
        assert_eq!(code, 0, "{out}");
        assert!(
            out.contains(&format!("chain {CHAIN}: ok, 3 records"))
                && out.contains("verified from the seal of the removed seq 1..3"),
            "{out}"
        );
    }

    // Nothing new to remove: nothing changes.
    let (code, out) = kapsel(&["ledger", "prune"], backend, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!(
            "chain {CHAIN}: nothing to remove; kept from seq 4"
        )),
        "{out}"
    );
    assert_eq!(remaining(backend).await, (vec![4, 5, 6], 1));

    // An edited line of the export fails both verifiers.
    let edited = dir.path().join("edited.jsonl").display().to_string();
    let line = text.lines().nth(1).unwrap();
    assert!(line.contains("\"reject_all\""), "{line}");
    std::fs::write(
        &edited,
        text.replacen(line, &line.replace("\"reject_all\"", "\"accept_all\""), 1),
    )
    .unwrap();
    let (code, out) = kapsel(&["ledger", "verify", "--file", &edited], backend, &[]);
    assert_eq!(code, 1, "{out}");
    if let Some((code, out)) = python_verify(&edited) {
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("seq 5"), "{out}");
    }

    // An edit of a remaining record in the database is named, and its new export fails both.
    let edit = format!(
        "UPDATE consent_records SET categories = '{{\"analytics\":true,\"necessary\":true}}' \
         WHERE chain_id = '{CHAIN}' AND seq = 5"
    );
    assert_eq!(raw(backend, &edit).await, 1);
    let (code, out) = kapsel(&["ledger", "verify"], backend, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("BROKEN: chain {CHAIN}: record seq 5")),
        "{out}"
    );
    let tampered = dir.path().join("tampered.jsonl").display().to_string();
    let (code, out) = kapsel(&["ledger", "export", "--out", &tampered], backend, &[]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = kapsel(&["ledger", "verify", "--file", &tampered], backend, &[]);
    assert_eq!(code, 1, "{out}");
    if let Some((code, out)) = python_verify(&tampered) {
        assert_eq!(code, 1, "{out}");
        assert!(
            out.contains("seq 5") && out.contains("content changed"),
            "{out}"
        );
    }
    // A prune refuses a chain that does not verify, and removes nothing from it.
    let (code, out) = kapsel(&["ledger", "prune"], backend, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not pruned, it does not verify"), "{out}");
    assert_eq!(remaining(backend).await, (vec![4, 5, 6], 1));
}
