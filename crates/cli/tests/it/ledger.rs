//! `kapsel ledger export` and `kapsel ledger verify --file` on the real binary: what an authority
//! receives is complete for its filters, verifies on its own, and a changed line is named.

use serde_json::{Value, json};

use super::harness::{Backend, EXAMPLE, Server, kapsel};

fn revision(site: &str) -> String {
    let file = kapsel_testkit::example_file();
    kapsel_core::privacy::revision::site_revision(&file, site)
        .unwrap()
        .to_string()
}

/// Records `accepts` choices on `site` and returns their receipt ids.
async fn record(server: &Server, site: &str, accepts: &[bool]) -> Vec<String> {
    let client = reqwest::Client::new();
    let mut receipts = Vec::new();
    for &accept in accepts {
        let body = json!({
            "site": site,
            "revision": revision(site),
            "language": "nn",
            "action": if accept { "accept_all" } else { "reject_all" },
            "categories": { "functional": accept, "analytics": accept, "marketing": accept },
        });
        let response = client
            .post(server.url("/v1/consent"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let receipt: Value = response.json().await.unwrap();
        receipts.push(receipt["id"].as_str().unwrap().to_owned());
    }
    receipts
}

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let output = kapsel(&args.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr),
    )
}

#[tokio::test]
async fn exports_filter_by_site_and_time_and_verify_without_the_database() {
    let backend = Backend::sqlite();
    let server = Server::start(EXAMPLE, &backend.flags());
    server.wait_healthy().await;
    let www = record(&server, "www", &[true, false, true]).await;
    let demo = record(&server, "demo", &[false, true]).await;
    assert!(server.terminate().success());

    let data = backend.flags();
    let data: Vec<&str> = data.iter().map(String::as_str).collect();
    let dir = tempfile::tempdir().unwrap();
    let all = dir.path().join("all.jsonl");
    let all_path = all.display().to_string();

    // Everything, to a file: one line per record, in chain order, every receipt present.
    let (code, _, stderr) = run(&[
        &["ledger", "export", "--format", "jsonl", "--out", &all_path],
        &data[..],
    ]
    .concat());
    assert_eq!(code, Some(0), "{stderr}");
    let mut lines: Vec<Value> = std::fs::read_to_string(&all)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    // The export ends with its signed trailer; the records come before it.
    let trailer = lines.pop().unwrap();
    assert!(
        trailer["kapsel_export_trailer"]["export"].is_string(),
        "{trailer}"
    );
    let ids: Vec<&str> = lines.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [&www[..], &demo[..]].concat());
    let seqs: Vec<i64> = lines.iter().map(|r| r["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, vec![1, 2, 3, 4, 5]);
    assert!(
        lines
            .iter()
            .all(|r| r["context"]["ip_prefix"] == "127.0.0.0/24"),
        "addresses are truncated"
    );

    // The export alone proves the chain; one changed field is named by seq and receipt.
    let (code, stdout, stderr) = run(&["ledger", "verify", "--file", &all_path]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("ok, 5 records"), "{stdout}");
    let tampered = dir.path().join("tampered.jsonl");
    let text = std::fs::read_to_string(&all).unwrap();
    let second = text.lines().nth(1).unwrap();
    assert!(second.contains("\"reject_all\""));
    std::fs::write(
        &tampered,
        text.replacen(
            second,
            &second.replace("\"reject_all\"", "\"accept_all\""),
            1,
        ),
    )
    .unwrap();
    let (code, stdout, stderr) = run(&[
        "ledger",
        "verify",
        "--file",
        &tampered.display().to_string(),
    ]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        format!("{stdout}{stderr}").contains(&format!("seq 2 (receipt {})", www[1])),
        "{stdout}{stderr}"
    );

    // Filters: by site, and by time (nothing is recorded in the far future).
    let (code, stdout, stderr) =
        run(&[&["ledger", "export", "--site", "demo"], &data[..]].concat());
    assert_eq!(code, Some(0), "{stderr}");
    let sites: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v.get("kapsel_export_trailer").is_none())
        .map(|v| v["choice"]["site"].clone())
        .collect();
    assert_eq!(sites, vec![json!("demo"), json!("demo")]);
    let (code, stdout, _) = run(&[
        &["ledger", "export", "--since", "2100-01-01T00:00:00Z"],
        &data[..],
    ]
    .concat());
    assert_eq!(code, Some(0));
    assert_eq!(stdout.lines().count(), 1, "only the trailer: {stdout}");
    assert!(stdout.starts_with("{\"kapsel_export_trailer\""), "{stdout}");

    // CSV for a spreadsheet: a header and one row per record.
    let (code, stdout, stderr) =
        run(&[&["ledger", "export", "--format", "csv"], &data[..]].concat());
    assert_eq!(code, Some(0), "{stderr}");
    let rows: Vec<&str> = stdout.lines().collect();
    assert!(rows[0].starts_with("id,chain_id,seq,"), "{}", rows[0]);
    assert_eq!(rows.len(), 7);
    assert!(
        rows[6].starts_with("#kapsel-export-trailer,"),
        "{}",
        rows[6]
    );
    assert!(
        www.iter()
            .chain(&demo)
            .all(|id| stdout.contains(id.as_str()))
    );

    // A bad filter names its parameter.
    let (code, _, stderr) =
        run(&[&["ledger", "export", "--since", "yesterday"], &data[..]].concat());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--since"), "{stderr}");
    backend.finish().await;
}
