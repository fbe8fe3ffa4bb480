//! The runs as a Markdown table, with whether the writer's p99 stayed under the target.

use std::fmt::Write as _;
use std::time::Duration;

use crate::runs::{Method, Run, label};

/// The target for the concurrent writer's p99 during the batched run.
pub const TARGET: Duration = Duration::from_millis(50);

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

pub fn table(runs: &[Run]) -> String {
    let mut out = String::new();
    out.push_str(
        "| engine | run | rows deleted | total s | rows/s | batches | slowest batch ms | writes | writes/s | writer p50 ms | writer p99 ms | writer max ms | p99 < 50 ms |\n",
    );
    out.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for run in runs {
        let deleting = !matches!(run.method, Method::WriterAlone(_));
        let dash = || "—".to_owned();
        // Counts are far below 2^53.
        #[allow(clippy::cast_precision_loss)]
        let writes_per_s = run.writes.count() as f64 / run.elapsed.as_secs_f64().max(1e-9);
        let errors = if run.writes.errors > 0 {
            format!(" ({} failed)", run.writes.errors)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.2} | {} | {} | {} | {}{errors} | {writes_per_s:.0} | {} | {} | {} | {} |",
            run.backend.name(),
            label(run.method),
            if deleting {
                run.deleted.to_string()
            } else {
                dash()
            },
            run.elapsed.as_secs_f64(),
            if deleting {
                format!("{:.0}", run.rows_per_second())
            } else {
                dash()
            },
            if deleting {
                run.batches.to_string()
            } else {
                dash()
            },
            if deleting {
                ms(run.slowest_batch)
            } else {
                dash()
            },
            run.writes.count(),
            ms(run.writes.quantile(0.5)),
            ms(run.writes.quantile(0.99)),
            ms(run.writes.quantile(1.0)),
            if run.writes.quantile(0.99) < TARGET {
                "yes"
            } else {
                "no"
            },
        );
    }
    out
}
