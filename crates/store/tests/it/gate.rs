//! The gate's outbox and trace on both backends: an appended event is due once per destination
//! it was queued for, a repeated messageId queues nothing twice (also within one group), settling
//! moves a row once, failed rows come back when due, dead letters replay, the trace answers by
//! receipt and by time, and the writer's group commit answers only after the commit.

use kapsel_store::{DeliveryState, GateEvents, GateWriter, NewEvent, OwnData, Settle, TraceQuery};
use tokio_util::sync::CancellationToken;

use super::backends::{T0, TestBackend, new_id, on_every_backend};

on_every_backend!(
    events_are_due_per_destination_and_deduped,
    settling_moves_a_row_once_and_failures_come_back,
    dead_letters_replay_and_the_trace_answers,
    settled_bodies_are_emptied_and_old_traces_removed,
);

fn event(site: &str, id: &str, destinations: &[&str], receipt: Option<&str>) -> NewEvent {
    NewEvent {
        site: site.to_owned(),
        message_id: id.to_owned(),
        kind: "track".to_owned(),
        received_ms: T0,
        receipt: receipt.map(str::to_owned),
        consent: Some(vec!["analytics".to_owned()]),
        subjects: vec!["ab".repeat(32)],
        body: format!(r#"{{"type":"track","messageId":"{id}","event":"Order Completed"}}"#),
        destinations: destinations.iter().map(|d| (*d).to_owned()).collect(),
    }
}

async fn events_are_due_per_destination_and_deduped(backend: &TestBackend) {
    let store = &backend.store;
    let (site, a, b) = (new_id(), new_id(), new_id());
    let writer = GateWriter::start(store.clone(), CancellationToken::new());
    let batch: Vec<NewEvent> = (0..150)
        .map(|i| event(&site, &format!("m{i}"), &[&a, &b], None))
        .collect();
    let fresh = writer.append(batch.clone()).await.unwrap();
    assert!(fresh.iter().all(|f| *f));
    // The same messageIds again, and from two requests in one group: nothing new.
    let (again, twice) = tokio::join!(
        writer.append(batch.clone()),
        writer.append(batch[..10].to_vec())
    );
    assert!(again.unwrap().iter().all(|f| !*f));
    assert!(twice.unwrap().iter().all(|f| !*f));
    let due_a = store.due(&a, T0, 1000).await.unwrap();
    assert_eq!(due_a.len(), 150);
    assert_eq!(store.due(&b, T0, 1000).await.unwrap().len(), 150);
    assert_eq!(due_a[0].consent, Some(vec!["analytics".to_owned()]));
    assert_eq!(due_a[0].subjects, vec!["ab".repeat(32)]);
    assert!(due_a[0].body.contains("Order Completed"));
    assert!(store.due(&a, T0 - 1, 1000).await.unwrap().is_empty());
}

async fn settling_moves_a_row_once_and_failures_come_back(backend: &TestBackend) {
    let store = &backend.store;
    let (site, dest) = (new_id(), new_id());
    let writer = GateWriter::start(store.clone(), CancellationToken::new());
    writer
        .append(vec![
            event(&site, "ok", &[&dest], None),
            event(&site, "retry", &[&dest], None),
        ])
        .await
        .unwrap();
    let outcomes = vec![
        (site.clone(), "ok".to_owned(), Settle::Forwarded),
        (
            site.clone(),
            "retry".to_owned(),
            Settle::Failed {
                error: "HTTP 503".to_owned(),
                next_ms: T0 + 5_000,
            },
        ),
    ];
    assert_eq!(store.settle(&dest, &outcomes, T0 + 10).await.unwrap(), 2);
    // Settling the forwarded one again moves nothing.
    let again = vec![(
        site.clone(),
        "ok".to_owned(),
        Settle::Blocked {
            reason: "x".to_owned(),
        },
    )];
    assert_eq!(store.settle(&dest, &again, T0 + 20).await.unwrap(), 0);
    assert!(store.due(&dest, T0 + 4_999, 10).await.unwrap().is_empty());
    let due = store.due(&dest, T0 + 5_000, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].message_id, "retry");
    assert_eq!(due[0].attempts, 1);
}

async fn dead_letters_replay_and_the_trace_answers(backend: &TestBackend) {
    let store = &backend.store;
    let (site, dest) = (new_id(), new_id());
    let receipt = format!("R{}", new_id());
    let writer = GateWriter::start(store.clone(), CancellationToken::new());
    writer
        .append(vec![
            event(&site, "dead", &[&dest], Some(&receipt)),
            event(&site, "blocked", &[&dest], Some(&receipt)),
        ])
        .await
        .unwrap();
    let outcomes = vec![
        (
            site.clone(),
            "dead".to_owned(),
            Settle::Dead {
                error: "HTTP 400".to_owned(),
            },
        ),
        (
            site.clone(),
            "blocked".to_owned(),
            Settle::Blocked {
                reason: "category:marketing".to_owned(),
            },
        ),
    ];
    store.settle(&dest, &outcomes, T0 + 1).await.unwrap();
    let trace = store
        .trace(&TraceQuery::Receipt(receipt.clone()), 100)
        .await
        .unwrap();
    assert_eq!(trace.len(), 2);
    let blocked = trace.iter().find(|d| d.message_id == "blocked").unwrap();
    assert_eq!(blocked.state, DeliveryState::Blocked);
    assert_eq!(blocked.reason.as_deref(), Some("category:marketing"));
    assert_eq!(blocked.decided_ms, Some(T0 + 1));
    assert_eq!(blocked.kind, "track");
    let dead: Vec<_> = store
        .trace(&TraceQuery::Dead, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.site == site)
        .collect();
    assert_eq!(dead.len(), 1);
    assert!(
        !store.replay(&site, "blocked", &dest, T0 + 2).await.unwrap(),
        "only dead letters replay"
    );
    assert!(store.replay(&site, "dead", &dest, T0 + 2).await.unwrap());
    let due = store.due(&dest, T0 + 2, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].attempts, 0);
    let between = store
        .trace(
            &TraceQuery::Between {
                from_ms: T0,
                to_ms: T0 + 1,
            },
            10_000,
        )
        .await
        .unwrap();
    assert_eq!(between.iter().filter(|d| d.site == site).count(), 2);
    let counts = store.delivery_counts().await.unwrap();
    assert!(counts.contains(&(dest.clone(), DeliveryState::Pending, 1)));
    assert!(counts.contains(&(dest.clone(), DeliveryState::Blocked, 1)));
}

async fn settled_bodies_are_emptied_and_old_traces_removed(backend: &TestBackend) {
    let store = &backend.store;
    let (site, dest) = (new_id(), new_id());
    let writer = GateWriter::start(store.clone(), CancellationToken::new());
    writer
        .append(vec![
            event(&site, "done", &[&dest], None),
            event(&site, "open", &[&dest], None),
        ])
        .await
        .unwrap();
    store
        .settle(
            &dest,
            &[(site.clone(), "done".to_owned(), Settle::Forwarded)],
            T0 + 1,
        )
        .await
        .unwrap();
    assert!(store.empty_settled_events(T0 + 1).await.unwrap() >= 1);
    // The open event keeps its body, so it can still be delivered.
    let due = store.due(&dest, T0 + 1, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert!(due[0].body.contains("open"));
    assert!(store.delete_gate_trace(T0 + 1).await.unwrap() >= 1);
    let trace = store
        .trace(
            &TraceQuery::Between {
                from_ms: T0,
                to_ms: T0 + 1,
            },
            10_000,
        )
        .await
        .unwrap();
    let mine: Vec<_> = trace.iter().filter(|d| d.site == site).collect();
    assert_eq!(mine.len(), 1, "only the unsettled delivery stays");
    assert_eq!(mine[0].message_id, "open");
}
