//! One engine's measurements: every request timed on its own, the library and the baseline
//! interleaved request by request (and which goes first alternating), so a change in the
//! machine's load falls on both alike. Reads run for the same requesters; each erasure has a
//! requester of its own, so every timed erasure really changes rows. Correctness is checked
//! untimed beside: the baseline must find what the library finds, and after either erasure the
//! library's dry run must have nothing left to do.

use std::collections::BTreeSet;
use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use kapsel_connect::{access, check, erase, erasure_plan, keyed_hash};

use crate::baseline;
use crate::heavy::heavy;
use crate::plans::{self, Seen};
use crate::sample::{Draw, Kind, Requester};
use crate::shop::{Backend, Pool, Shop};

/// The key the shop's `keyed_hash` fields are hashed with (a benchmark constant, not a secret).
const KEY: &[u8] = b"bench-desk-hmac-key-not-a-secret";

/// Who issued the statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Connect,
    Baseline,
}

/// The three requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    Access,
    Plan,
    Erase,
}

impl Request {
    pub fn name(self) -> &'static str {
        match self {
            Request::Access => "access",
            Request::Plan => "erasure plan (dry run)",
            Request::Erase => "erase",
        }
    }
}

/// Latencies of one request kind by one side.
#[derive(Debug, Clone)]
pub struct Series {
    pub request: Request,
    pub by: By,
    pub times: Vec<Duration>,
    /// Per request: rows read (access, dry run) or rows deleted + rows updated (erase).
    pub rows: Vec<u64>,
    /// SQL statements one request issued in the plan pass.
    pub statements: usize,
}

impl Series {
    pub(crate) fn new(request: Request, by: By) -> Series {
        Series {
            request,
            by,
            times: Vec::new(),
            rows: Vec::new(),
            statements: 0,
        }
    }

    /// The nearest-rank `q` quantile of the times.
    pub fn quantile(&self, q: f64) -> Duration {
        let mut sorted = self.times.clone();
        sorted.sort_unstable();
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1));
        sorted.get(rank - 1).copied().unwrap_or_default()
    }

    /// Milliseconds each further row adds: the median of the slopes between every two requests
    /// with different row counts (Theil–Sen, so a few stalled commits do not decide it).
    pub fn ms_per_row(&self) -> Option<f64> {
        let points: Vec<(f64, f64)> = self
            .rows
            .iter()
            .zip(&self.times)
            .map(|(&r, t)| (r as f64, t.as_secs_f64() * 1e3))
            .collect();
        let mut slopes: Vec<f64> = Vec::new();
        for (i, (x1, y1)) in points.iter().enumerate() {
            for (x2, y2) in points.iter().skip(i + 1) {
                if x1 != x2 {
                    slopes.push((y2 - y1) / (x2 - x1));
                }
            }
        }
        slopes.sort_unstable_by(f64::total_cmp);
        slopes.get(slopes.len() / 2).copied()
    }

    pub fn median_rows(&self) -> u64 {
        let mut sorted = self.rows.clone();
        sorted.sort_unstable();
        sorted.get(sorted.len() / 2).copied().unwrap_or(0)
    }
}

/// What one engine's run found.
pub struct EngineRun {
    pub backend: Backend,
    pub series: Vec<Series>,
    pub seen: Vec<Seen>,
    /// Problems of the untimed checks; empty when all held.
    pub faults: Vec<String>,
    pub unindexed: Vec<String>,
    /// The same requests for two customers with `heavy_orders` orders each (empty when 0).
    pub heavy: Vec<Series>,
    pub load_before: String,
    pub load_after: String,
}

pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

pub(crate) async fn timed<T>(f: impl Future<Output = Result<T>>) -> Result<(Duration, T)> {
    let started = Instant::now();
    let out = f.await?;
    Ok((started.elapsed(), out))
}

/// Rows changed by an erasure of the library (deleted + updated).
pub(crate) fn changed_rows(outcome: &kapsel_connect::Outcome) -> u64 {
    outcome
        .tables
        .iter()
        .map(|t| t.rows_deleted + t.rows_updated)
        .sum()
}

pub(crate) struct Side<'a> {
    pub(crate) shop: &'a Shop,
    conn: kapsel_connect::Connection,
}

impl Side<'_> {
    pub(crate) async fn connect_access(&self, r: &Requester) -> Result<Vec<usize>> {
        let found = access(&self.shop.spec, &self.conn, &r.subject()).await?;
        Ok(found.tables.iter().map(|t| t.rows.len()).collect())
    }

    pub(crate) async fn connect_plan(&self, r: &Requester) -> Result<(u64, u64)> {
        let plan = erasure_plan(&self.shop.spec, &self.conn, &r.subject()).await?;
        Ok((
            plan.tables.iter().map(|t| t.rows_found).sum(),
            plan.changes(),
        ))
    }

    pub(crate) async fn connect_erase(&self, r: &Requester) -> Result<u64> {
        let outcome = erase(&self.shop.spec, &self.conn, &r.subject(), KEY).await?;
        Ok(changed_rows(&outcome))
    }

    pub(crate) async fn baseline_erase(&self, pool: &Pool, r: &Requester) -> Result<u64> {
        baseline::erase(pool, r, &keyed_hash(KEY, &r.email)).await
    }

    /// After an erasure by either side: the library's dry run must have nothing left to change.
    pub(crate) async fn left_over(
        &self,
        r: &Requester,
        by: By,
        faults: &mut Vec<String>,
    ) -> Result<()> {
        let (_, changes) = self.connect_plan(r).await?;
        if changes != 0 {
            faults.push(format!(
                "customer {}: after the {by:?} erasure the dry run still finds {changes} changes",
                r.id
            ));
        }
        Ok(())
    }
}

/// Runs every measurement on `shop` with `n` requesters drawn from `seed`, and the heavy
/// requesters with `heavy_orders` orders each.
pub async fn run(shop: &Shop, n: usize, seed: u64, heavy_orders: u64) -> Result<EngineRun> {
    let load_before = load_average();
    let pool = &shop.pool;
    let side = Side {
        shop,
        conn: pool.connection(),
    };
    let report = check(&shop.spec, &side.conn).await?;
    if !report.is_usable() {
        bail!("the shop does not match its declaration: {report:?}");
    }
    let mut draw = Draw::new(seed);
    let mut taken = BTreeSet::new();
    let warm = draw.requesters(shop, 5, &mut taken, Kind::Any).await?;
    let readers = draw.requesters(shop, n, &mut taken, Kind::Any).await?;
    let warm_erase = draw.requesters(shop, 4, &mut taken, Kind::Unerased).await?;
    let by_connect = draw.requesters(shop, n, &mut taken, Kind::Unerased).await?;
    let by_hand = draw.requesters(shop, n, &mut taken, Kind::Unerased).await?;
    // The plan pass: one reader and two to erase with every kind of row.
    let observed = draw.requesters(shop, 3, &mut taken, Kind::Full).await?;
    let mut faults = Vec::new();

    // Warm-up: prepared statements, pool connections, the pages of the indexes' upper levels.
    for r in &warm {
        side.connect_access(r).await?;
        baseline::access(pool, r).await?;
        side.connect_plan(r).await?;
        baseline::plan(pool, r).await?;
    }
    for pair in warm_erase.chunks(2) {
        if let [a, b] = pair {
            side.connect_erase(a).await?;
            side.baseline_erase(pool, b).await?;
        }
    }
    eprintln!("{}: warm; timing {n} requesters", shop.backend.name());

    let mut access_c = Series::new(Request::Access, By::Connect);
    let mut access_b = Series::new(Request::Access, By::Baseline);
    for (i, r) in readers.iter().enumerate() {
        let (mut c, mut b) = (None, None);
        for turn in 0..2 {
            if (turn == 0) == i.is_multiple_of(2) {
                c = Some(timed(side.connect_access(r)).await?);
            } else {
                b = Some(timed(baseline::access(pool, r)).await?);
            }
        }
        if let (Some((tc, rc)), Some((tb, rb))) = (c, b) {
            if rc != rb {
                faults.push(format!(
                    "customer {}: access found {rc:?} rows per table, the baseline {rb:?}",
                    r.id
                ));
            }
            access_c.times.push(tc);
            access_c.rows.push(rc.iter().sum::<usize>() as u64);
            access_b.times.push(tb);
            access_b.rows.push(rb.iter().sum::<usize>() as u64);
        }
    }

    let mut plan_c = Series::new(Request::Plan, By::Connect);
    let mut plan_b = Series::new(Request::Plan, By::Baseline);
    for (i, r) in readers.iter().enumerate() {
        let (mut c, mut b) = (None, None);
        for turn in 0..2 {
            if (turn == 0) == i.is_multiple_of(2) {
                c = Some(timed(side.connect_plan(r)).await?);
            } else {
                b = Some(timed(baseline::plan(pool, r)).await?);
            }
        }
        if let (Some((tc, rc)), Some((tb, rb))) = (c, b) {
            if rc != rb {
                faults.push(format!(
                    "customer {}: the dry run found (rows, changes) {rc:?}, the baseline {rb:?}",
                    r.id
                ));
            }
            plan_c.times.push(tc);
            plan_c.rows.push(rc.0);
            plan_b.times.push(tb);
            plan_b.rows.push(rb.0);
        }
    }

    let mut erase_c = Series::new(Request::Erase, By::Connect);
    let mut erase_b = Series::new(Request::Erase, By::Baseline);
    for (i, (rc, rb)) in by_connect.iter().zip(&by_hand).enumerate() {
        for turn in 0..2 {
            if (turn == 0) == i.is_multiple_of(2) {
                let (t, rows) = timed(side.connect_erase(rc)).await?;
                erase_c.times.push(t);
                erase_c.rows.push(rows);
            } else {
                let (t, rows) = timed(side.baseline_erase(pool, rb)).await?;
                erase_b.times.push(t);
                erase_b.rows.push(rows);
            }
        }
        side.left_over(rc, By::Connect, &mut faults).await?;
        side.left_over(rb, By::Baseline, &mut faults).await?;
    }

    let heavy = if heavy_orders > 0 {
        let pair = draw.requesters(shop, 2, &mut taken, Kind::Unerased).await?;
        eprintln!(
            "{}: two requesters with {heavy_orders} orders each",
            shop.backend.name()
        );
        heavy(&side, &pair, heavy_orders, &mut faults).await?
    } else {
        Vec::new()
    };

    eprintln!("{}: plan pass", shop.backend.name());
    let (seen, counts) = observe_all(shop, &observed).await?;
    for (series, statements) in [
        &mut access_c,
        &mut access_b,
        &mut plan_c,
        &mut plan_b,
        &mut erase_c,
        &mut erase_b,
    ]
    .into_iter()
    .zip(counts)
    {
        series.statements = statements;
    }
    Ok(EngineRun {
        backend: shop.backend,
        series: vec![access_c, access_b, plan_c, plan_b, erase_c, erase_b],
        seen,
        faults,
        unindexed: report.unindexed_identity,
        heavy,
        load_before,
        load_after: load_average(),
    })
}

/// The plan pass: each request once more, listened to, on a pool of its own (with auto_explain
/// on PostgreSQL). Returns what was seen and each request's statement count, in series order.
async fn observe_all(shop: &Shop, observed: &[Requester]) -> Result<(Vec<Seen>, Vec<usize>)> {
    let [reader, erase_c, erase_b] = observed else {
        bail!("the plan pass needs a reader and two requesters to erase");
    };
    let setup = match shop.backend {
        Backend::Postgres => plans::AUTO_EXPLAIN,
        Backend::Sqlite => &[],
    };
    let pool = shop.place.pool(2, setup).await?;
    let side = Side {
        shop,
        conn: pool.connection(),
    };
    // Open the connections (and run their setup) before listening.
    side.connect_access(reader).await?;
    let mut seen = Vec::new();
    seen.push(
        plans::observe(
            "access — kapsel_connect",
            &pool,
            side.connect_access(reader),
        )
        .await?
        .1,
    );
    seen.push(
        plans::observe("access — baseline", &pool, baseline::access(&pool, reader))
            .await?
            .1,
    );
    seen.push(
        plans::observe(
            "erasure plan — kapsel_connect",
            &pool,
            side.connect_plan(reader),
        )
        .await?
        .1,
    );
    seen.push(
        plans::observe(
            "erasure plan — baseline",
            &pool,
            baseline::plan(&pool, reader),
        )
        .await?
        .1,
    );
    seen.push(
        plans::observe("erase — kapsel_connect", &pool, side.connect_erase(erase_c))
            .await?
            .1,
    );
    seen.push(
        plans::observe(
            "erase — baseline",
            &pool,
            side.baseline_erase(&pool, erase_b),
        )
        .await?
        .1,
    );
    pool.close().await;
    let counts = seen.iter().map(|s| s.statements.len()).collect();
    Ok((seen, counts))
}
