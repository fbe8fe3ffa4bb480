//! The heavy customer: two requesters given many more orders for the run, read and erased by
//! the library and by the baseline, and the added orders removed again afterwards.

use anyhow::{Result, bail};

use crate::baseline;
use crate::measure::{By, Request, Series, Side, timed};
use crate::sample::Requester;

/// Two customers get `orders` more orders each (one to read and erase through the library, one
/// for the baseline's erasure); reads are timed three times each way, erasures once. The added
/// orders are removed afterwards, whatever happened, so the shop is as generated again.
pub(crate) async fn heavy(
    side: &Side<'_>,
    pair: &[Requester],
    orders: u64,
    faults: &mut Vec<String>,
) -> Result<Vec<Series>> {
    let [a, b] = pair else {
        bail!("the heavy requests need two requesters");
    };
    let shop = side.shop;
    let pool = &shop.pool;
    let generated = shop.scale.orders();
    let mut first = generated + 1;
    let mut added = Ok(());
    for r in [a, b] {
        for sql in crate::generate::heavy(shop.backend, r.id, first, orders) {
            if added.is_ok() {
                added = pool.execute(&sql).await.map(drop);
            }
        }
        first += orders;
    }
    let measured = match added {
        Ok(()) => heavy_requests(side, a, b, faults).await,
        Err(e) => Err(e),
    };
    for sql in crate::generate::unheavy(generated) {
        pool.execute(&sql).await?;
    }
    measured
}

async fn heavy_requests(
    side: &Side<'_>,
    a: &Requester,
    b: &Requester,
    faults: &mut Vec<String>,
) -> Result<Vec<Series>> {
    let pool = &side.shop.pool;
    let mut out = vec![
        Series::new(Request::Access, By::Connect),
        Series::new(Request::Access, By::Baseline),
        Series::new(Request::Plan, By::Connect),
        Series::new(Request::Plan, By::Baseline),
        Series::new(Request::Erase, By::Connect),
        Series::new(Request::Erase, By::Baseline),
    ];
    let [access_c, access_b, plan_c, plan_b, erase_c, erase_b] = &mut out[..] else {
        bail!("six series");
    };
    for i in 0..3 {
        let (first, second) = if i % 2 == 0 {
            (true, false)
        } else {
            (false, true)
        };
        for connect_turn in [first, second] {
            if connect_turn {
                let (t, rows) = timed(side.connect_access(a)).await?;
                access_c.times.push(t);
                access_c.rows.push(rows.iter().sum::<usize>() as u64);
                let (t, (found, _)) = timed(side.connect_plan(a)).await?;
                plan_c.times.push(t);
                plan_c.rows.push(found);
            } else {
                let (t, rows) = timed(baseline::access(pool, a)).await?;
                access_b.times.push(t);
                access_b.rows.push(rows.iter().sum::<usize>() as u64);
                let (t, (found, _)) = timed(baseline::plan(pool, a)).await?;
                plan_b.times.push(t);
                plan_b.rows.push(found);
            }
        }
    }
    if access_c.rows != access_b.rows || plan_c.rows != plan_b.rows {
        faults.push(format!(
            "heavy customer {}: the library and the baseline found different rows",
            a.id
        ));
    }
    let (t, rows) = timed(side.connect_erase(a)).await?;
    erase_c.times.push(t);
    erase_c.rows.push(rows);
    let (t, rows) = timed(side.baseline_erase(pool, b)).await?;
    erase_b.times.push(t);
    erase_b.rows.push(rows);
    side.left_over(a, By::Connect, faults).await?;
    side.left_over(b, By::Baseline, faults).await?;
    Ok(out)
}
