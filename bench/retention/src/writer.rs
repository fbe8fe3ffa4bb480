//! The concurrent writer: an application inserting into the same table while retention runs. It
//! has its own OS thread, its own single-threaded tokio runtime and its own one-connection pool,
//! so nothing it waits for is shared with the run beside it but the database.
//!
//! It inserts one row per statement (autocommit) on a fixed schedule (`rate` a second), or back
//! to back with rate 0. An insert's latency is counted from when the schedule says it should
//! start, not from when it did: an insert that waits 2 s for a lock delays the ones due after it,
//! and they are counted as late too (no coordinated omission). With rate 0 the two are the same.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow};
use tokio::time::Instant;

use crate::events::{Place, insert_sql};

/// The writer's inserts, in order of completion.
#[derive(Debug, Clone, Default)]
pub struct Writes {
    /// Latencies of the inserts that committed, sorted.
    pub latencies: Vec<Duration>,
    /// Inserts that failed (counted, not timed).
    pub errors: u64,
}

impl Writes {
    pub fn count(&self) -> u64 {
        self.latencies.len() as u64
    }

    /// The `q` quantile (nearest rank), zero without inserts.
    pub fn quantile(&self, q: f64) -> Duration {
        let n = self.latencies.len();
        if n == 0 {
            return Duration::ZERO;
        }
        // Ranks are far below 2^53.
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
        self.latencies.get(rank - 1).copied().unwrap_or_default()
    }
}

/// A running writer.
pub struct Writer {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Result<Writes>>,
}

impl Writer {
    /// Starts inserting rows `first_id, first_id + 1, …` into `place`'s table; returns once the
    /// writer is connected and its first insert has committed (that one is not counted).
    pub fn start(place: &Place, rate: u32, first_id: i64) -> Result<Writer> {
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = mpsc::channel::<Result<()>>();
        let place = place.clone();
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("bench-writer".into())
            .spawn(move || -> Result<Writes> {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .context("the writer's runtime")?;
                runtime.block_on(write(place, rate, first_id, flag, ready_tx))
            })
            .context("starting the writer thread")?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Writer { stop, thread }),
            Ok(Err(err)) => Err(err),
            Err(_) => match thread.join() {
                Ok(Err(err)) => Err(err),
                _ => Err(anyhow!("the writer stopped before it was ready")),
            },
        }
    }

    /// Stops the writer after its current insert; what it wrote since it was ready.
    pub fn stop(self) -> Result<Writes> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .join()
            .map_err(|_| anyhow!("the writer thread panicked"))?
    }
}

async fn write(
    place: Place,
    rate: u32,
    first_id: i64,
    stop: Arc<AtomicBool>,
    ready: mpsc::Sender<Result<()>>,
) -> Result<Writes> {
    let sql = insert_sql(place.backend());
    let opened = async {
        let pool = place.pool(1).await?;
        pool.insert(&sql, first_id, "{\"page\":\"/\",\"visitor\":\"v0\"}")
            .await
            .context("the writer's first insert")?;
        Ok::<_, anyhow::Error>(pool)
    }
    .await;
    let pool = match opened {
        Ok(pool) => {
            let _ = ready.send(Ok(()));
            pool
        }
        Err(err) => {
            let _ = ready.send(Err(err));
            return Ok(Writes::default());
        }
    };
    let every = (rate > 0).then(|| Duration::from_secs(1) / rate);
    let mut writes = Writes::default();
    let started = Instant::now();
    let mut n: u32 = 0;
    while !stop.load(Ordering::Relaxed) {
        n = n.saturating_add(1);
        let due = match every {
            Some(every) => started + every * n,
            None => Instant::now(),
        };
        tokio::time::sleep_until(due).await;
        let id = first_id + i64::from(n);
        let payload = format!(
            "{{\"page\":\"/articles/{}\",\"visitor\":\"v{}\"}}",
            id % 997,
            id % 50_021
        );
        match pool.insert(&sql, id, &payload).await {
            Ok(()) => writes.latencies.push(due.elapsed()),
            Err(err) => {
                if writes.errors == 0 {
                    eprintln!("  writer: insert {id} failed: {err}");
                }
                writes.errors += 1;
            }
        }
    }
    pool.close().await;
    writes.latencies.sort_unstable();
    Ok(writes)
}
