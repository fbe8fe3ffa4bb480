//! `kapsel gate` on the real binary: `trace RECEIPT` shows every decision for the events that
//! named the receipt, as a table with a summary and as JSON lines; `dead` lists dead letters;
//! `replay` queues one again and refuses what is not a dead letter; a malformed receipt is
//! refused naming the argument.

use kapsel_store::{GateEvents, GateWriter, NewEvent, Settle};
use tokio_util::sync::CancellationToken;

use super::harness::{Backend, kapsel};

const RECEIPT: &str = "01KAPSXTESTRECEPT000000000";

fn gate(args: &[&str], backend: &Backend) -> (i32, String, String) {
    let mut all: Vec<String> = std::iter::once("gate")
        .chain(args.iter().copied())
        .map(str::to_owned)
        .collect();
    all.extend(backend.flags());
    let output = kapsel(&all);
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn seeded(backend: &Backend) {
    let store = backend.open().await;
    store.migrate().await.unwrap();
    let writer = GateWriter::start(store.clone(), CancellationToken::new());
    let event = |id: &str| NewEvent {
        site: "www".to_owned(),
        message_id: id.to_owned(),
        kind: "track".to_owned(),
        received_ms: 1_769_853_600_000,
        receipt: Some(RECEIPT.to_owned()),
        consent: None,
        subjects: Vec::new(),
        body: format!(r#"{{"type":"track","messageId":"{id}","event":"Order Completed"}}"#),
        destinations: vec!["ga4".to_owned(), "meta".to_owned()],
    };
    writer
        .append(vec![event("m-1"), event("m-2")])
        .await
        .unwrap();
    let now = 1_769_853_601_000;
    let ga4 = [
        ("www".to_owned(), "m-1".to_owned(), Settle::Forwarded),
        (
            "www".to_owned(),
            "m-2".to_owned(),
            Settle::Dead {
                error: "HTTP 400".to_owned(),
            },
        ),
    ];
    store.settle("ga4", &ga4, now).await.unwrap();
    let meta = [
        (
            "www".to_owned(),
            "m-1".to_owned(),
            Settle::Blocked {
                reason: "category:marketing".to_owned(),
            },
        ),
        (
            "www".to_owned(),
            "m-2".to_owned(),
            Settle::Blocked {
                reason: "category:marketing".to_owned(),
            },
        ),
    ];
    store.settle("meta", &meta, now).await.unwrap();
    store.close().await;
}

#[tokio::test]
async fn trace_dead_and_replay_answer_from_the_store() {
    let backend = Backend::sqlite();
    seeded(&backend).await;

    let (code, out, err) = gate(&["trace", RECEIPT], &backend);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.lines().next().unwrap().starts_with("received"), "{out}");
    assert!(out.contains("category:marketing"), "{out}");
    assert!(out.contains("2 events named receipt"), "{out}");
    assert!(
        out.contains("ga4: 1 forwarded") && out.contains("ga4: 1 dead"),
        "{out}"
    );
    assert!(out.contains("meta: 2 blocked"), "{out}");

    let (code, out, _) = gate(&["trace", RECEIPT, "--json"], &backend);
    assert_eq!(code, 0);
    let rows: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 4);
    assert!(
        rows.iter()
            .any(|r| r["destination"] == "ga4" && r["state"] == "forwarded")
    );

    let (code, out, _) = gate(&["dead", "--json"], &backend);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("\"m-2\""), "{out}");

    let (code, _, err) = gate(&["replay", "www", "m-1", "ga4"], &backend);
    assert_ne!(code, 0, "a forwarded event is no dead letter");
    assert!(err.contains("MESSAGE_ID"), "{err}");
    let (code, out, err) = gate(&["replay", "www", "m-2", "ga4"], &backend);
    assert_eq!(code, 0, "{out}{err}");
    let (_, out, _) = gate(&["dead"], &backend);
    assert!(out.contains("No dead letters."), "{out}");

    let (code, _, err) = gate(&["trace", "not-a-receipt"], &backend);
    assert_ne!(code, 0);
    assert!(err.contains("RECEIPT"), "{err}");
    backend.finish().await;
}
