//! Render benchmark: the time to load a privacy file and render every generated document of one
//! site in nb, nn and en (declaration page, fragment, Markdown and JSON; notice page, Markdown and
//! JSON; record of processing as HTML, CSV and JSON; change-log page over two revisions), for a
//! generated file with 200 services and 1,000 cookies, beside the example file as the baseline,
//! in the same run.
//!
//! `cargo run --release -p kapsel-publish --example render_bench [-- RUNS]` (default 20 runs;
//! prints the median and the fastest run per file).

// A benchmark measures wall time: `Instant::now` is what it is for.
#![allow(clippy::disallowed_methods)]

mod generate;

use std::time::{Duration, Instant};

use kapsel_core::Lang;
use kapsel_core::privacy::{PrivacyFile, load};
use kapsel_publish::render::PageKind;
use kapsel_publish::{
    ChangeLogRevision, Page, Publisher, change_log, cookie_declaration, privacy_notice,
    record_of_processing,
};

const PUBLISHED_MS: i64 = 1_772_539_200_000;

/// Renders every document of `site` in every language; returns the bytes produced.
fn render_all(
    publisher: &Publisher,
    file: &PrivacyFile,
    site: &str,
) -> Result<usize, kapsel_publish::PublishError> {
    let mut older = file.clone();
    older
        .services
        .truncate(file.services.len().saturating_sub(1));
    let revisions = [
        ChangeLogRevision {
            revision: "0000000000000001".into(),
            published_ms: PUBLISHED_MS - 86_400_000,
            file: older,
        },
        ChangeLogRevision {
            revision: "0000000000000002".into(),
            published_ms: PUBLISHED_MS,
            file: file.clone(),
        },
    ];
    let mut bytes = 0;
    for tag in ["nb", "nn", "en"] {
        let lang = Lang::new(tag);
        let page = |kind| Page::new(file, site, &lang, kind, Some(PUBLISHED_MS));
        let declaration = cookie_declaration(file, site, &lang)?;
        bytes += publisher
            .declaration_page(&declaration, &page(PageKind::Cookies))?
            .len();
        bytes += publisher
            .declaration_fragment(&declaration, &page(PageKind::Cookies))?
            .len();
        bytes += publisher
            .declaration_markdown(&declaration, &page(PageKind::Cookies))?
            .len();
        bytes += serde_json::to_string(&declaration)?.len();
        let notice = privacy_notice(file, site, &lang)?;
        bytes += publisher
            .notice_page(&notice, &page(PageKind::Privacy))?
            .len();
        bytes += publisher
            .notice_markdown(&notice, &page(PageKind::Privacy))?
            .len();
        bytes += serde_json::to_string(&notice)?.len();
        let record = record_of_processing(file, &lang)?;
        bytes += publisher.ropa_page(&record, &page(PageKind::Ropa))?.len();
        bytes += record.to_csv().len();
        bytes += serde_json::to_string(&record)?.len();
        let log = change_log(file, &revisions, site, &lang)?;
        bytes += publisher
            .change_log_page(&log, &page(PageKind::Changes))?
            .len();
    }
    Ok(bytes)
}

struct Measured {
    load: Duration,
    render: Duration,
    best_total: Duration,
    bytes: usize,
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

fn measure(source: &str, runs: usize) -> Result<Measured, String> {
    let publisher = Publisher::new();
    let (mut loads, mut renders, mut totals) = (Vec::new(), Vec::new(), Vec::new());
    let mut bytes = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let file = load(source, "bench.toml").map_err(|p| format!("{p}"))?;
        let loaded = Instant::now();
        bytes = render_all(&publisher, &file, "www").map_err(|e| e.to_string())?;
        let done = Instant::now();
        loads.push(loaded - started);
        renders.push(done - loaded);
        totals.push(done - started);
    }
    Ok(Measured {
        load: median(loads),
        render: median(renders),
        best_total: totals.into_iter().min().unwrap_or_default(),
        bytes,
    })
}

fn main() -> Result<(), String> {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let example =
        std::fs::read_to_string(root.join("examples/kapsel.toml")).map_err(|e| e.to_string())?;
    let generated = generate::privacy_file_toml(200, 5);
    let file = load(&generated, "generated.toml").map_err(|p| format!("{p}"))?;
    let cookies: usize = file.services.iter().map(|s| s.cookies.len()).sum();
    println!("runs: {runs}; each run loads the file and renders 3 languages × 11 documents");
    println!(
        "| privacy file | services | cookies | load (median) | render all (median) | fastest run | output |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let baseline = load(&example, "kapsel.toml").map_err(|p| format!("{p}"))?;
    for (name, source, parsed) in [
        ("examples/kapsel.toml (baseline)", &example, &baseline),
        ("generated", &generated, &file),
    ] {
        let m = measure(source, runs)?;
        println!(
            "| {name} | {} | {} | {:.2} ms | {:.2} ms | {:.2} ms | {:.1} MB |",
            parsed.services.len(),
            parsed
                .services
                .iter()
                .map(|s| s.cookies.len())
                .sum::<usize>(),
            m.load.as_secs_f64() * 1e3,
            m.render.as_secs_f64() * 1e3,
            m.best_total.as_secs_f64() * 1e3,
            m.bytes as f64 / 1e6
        );
    }
    assert_eq!((file.services.len(), cookies), (200, 1000));
    Ok(())
}
