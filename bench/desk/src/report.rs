//! The run's Markdown: the latency table (library and baseline side by side), the checks, a
//! one-line-per-statement summary of the access paths, and the full plans for the plans file.

use std::fmt::Write as _;
use std::time::Duration;

use crate::measure::{By, EngineRun, Request, Series};
use crate::plans::{access_paths, short};

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

fn by(s: &Series) -> &'static str {
    match s.by {
        By::Connect => "kapsel_connect",
        By::Baseline => "hand-written SQL (baseline)",
    }
}

/// The latency table over every engine run (of the heavy requesters with `heavy`).
pub fn table(runs: &[EngineRun], heavy: bool) -> String {
    let mut out = String::new();
    out.push_str(
        "| engine | request | by | requests | rows (median) | statements | median ms | p95 ms | p99 ms | max ms | median ÷ baseline |\n",
    );
    out.push_str("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for run in runs {
        let series = if heavy { &run.heavy } else { &run.series };
        for s in series {
            let ratio = match s.by {
                By::Connect => series
                    .iter()
                    .find(|b| b.by == By::Baseline && b.request == s.request)
                    .map(|b| {
                        format!(
                            "{:.1}×",
                            s.quantile(0.5).as_secs_f64() / b.quantile(0.5).as_secs_f64().max(1e-9)
                        )
                    })
                    .unwrap_or_default(),
                By::Baseline => String::new(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {ratio} |",
                run.backend.name(),
                s.request.name(),
                by(s),
                s.times.len(),
                s.median_rows(),
                if s.statements == 0 {
                    "—".to_owned()
                } else {
                    s.statements.to_string()
                },
                ms(s.quantile(0.5)),
                ms(s.quantile(0.95)),
                ms(s.quantile(0.99)),
                ms(s.quantile(1.0)),
            );
        }
    }
    out
}

/// The checks and the machine's load, per engine.
pub fn notes(runs: &[EngineRun]) -> String {
    let mut out = String::new();
    for run in runs {
        let _ = writeln!(
            out,
            "- {}: load average {} before, {} after; identity columns without an index: {}; \
             checks: {}",
            run.backend.name(),
            run.load_before,
            run.load_after,
            if run.unindexed.is_empty() {
                "none".to_owned()
            } else {
                run.unindexed.join(", ")
            },
            if run.faults.is_empty() {
                "the baseline found the same rows and changes for every requester, and no erasure \
                 left anything for the dry run"
                    .to_owned()
            } else {
                format!(
                    "{} FAILED: {}",
                    run.faults.len(),
                    run.faults
                        .iter()
                        .take(5)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            },
        );
        let slopes: Vec<String> = run
            .series
            .iter()
            .filter(|s| s.request == Request::Erase)
            .filter_map(|s| s.ms_per_row().map(|m| format!("{} {m:+.2} ms", by(s))))
            .collect();
        if !slopes.is_empty() {
            let _ = writeln!(
                out,
                "- {}: each further row an erasure changes adds (Theil–Sen slope over its requests): {}",
                run.backend.name(),
                slopes.join(", ")
            );
        }
        for seen in &run.seen {
            let scans = seen.full_scans();
            if !scans.is_empty() {
                let _ = writeln!(
                    out,
                    "- {}: {} reads a whole table: {}",
                    run.backend.name(),
                    seen.label,
                    scans.join("; ")
                );
            }
        }
    }
    out
}

/// One line per distinct statement: how each table is reached.
pub fn plan_summary(runs: &[EngineRun]) -> String {
    let mut out = String::from("| engine | request | statement | access paths in its plan |\n");
    out.push_str("|---|---|---|---|\n");
    for run in runs {
        for seen in &run.seen {
            for (text, plan) in &seen.plans {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    run.backend.name(),
                    seen.label,
                    short(text),
                    access_paths(plan).join("; ").replace('|', "\\|")
                );
            }
        }
    }
    out
}

/// Every statement of the plan pass with its full plan.
pub fn plans_file(runs: &[EngineRun], header: &str) -> String {
    let mut out = format!("# bench/desk — query plans\n\n{header}\n");
    for run in runs {
        for seen in &run.seen {
            let _ = writeln!(
                out,
                "\n## {} — {} ({} statements)\n",
                run.backend.name(),
                seen.label,
                seen.statements.len()
            );
            for (text, plan) in &seen.plans {
                let _ = writeln!(out, "```sql\n{text}\n```\n\n```text\n{plan}\n```\n");
            }
        }
    }
    out
}
