//! The ledger as evidence, on the real binary: exports end with a signed trailer, and a
//! checkpoint an outsider fetched from the running server catches every later tampering of
//! the export — by `kapsel ledger verify --file --checkpoint` and by `docs/ledger-verify.py`
//! alike, including a history the operator rewrote and re-exported with a fresh, validly
//! signed trailer. `kapsel ledger repair` acknowledges a cut end without rewriting it.
//! (The `verify --data` column of the tampering table lives in `tamper.rs`.)

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::json;

use super::harness::{Backend, EXAMPLE, Server, kapsel};

fn run(args: &[&str]) -> (i32, String) {
    let output = kapsel(&args.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

/// `python3 docs/ledger-verify.py ARGS…`: exit code and output; `None` (skipped loudly) when
/// Python or its Ed25519 library is missing.
fn python(args: &[&str]) -> Option<(i32, String)> {
    let script = kapsel_testkit::repo_root().join("docs/ledger-verify.py");
    let ready = Command::new("python3")
        .args(["-c", "import cryptography"])
        .status()
        .is_ok_and(|s| s.success());
    if !ready {
        kapsel_testkit::skip(
            "the Python verifier column",
            "python3 with the cryptography package is missing (pip install cryptography)",
        );
        return None;
    }
    let output = Command::new("python3")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Some((output.status.code().unwrap_or(-1), text))
}

async fn record(server: &Server, n: usize) {
    let client = reqwest::Client::new();
    let file = kapsel_testkit::example_file();
    let revision = kapsel_core::privacy::revision::site_revision(&file, "www")
        .unwrap()
        .to_string();
    for i in 0..n {
        let body = json!({
            "site": "www", "revision": revision, "language": "nb",
            "action": if i % 2 == 0 { "reject_all" } else { "custom" },
            "categories": { "analytics": i % 2 == 1 },
        });
        let response = client
            .post(server.url("/v1/consent"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    }
}

/// Polls the chain's checkpoint URL until it signs `size` records; returns the note.
async fn checkpoint_at(url: &str, size: u64) -> String {
    for _ in 0..300 {
        if let Ok(response) = reqwest::get(url).await
            && response.status() == 200
        {
            let note = response.text().await.unwrap();
            if note.lines().nth(1) == Some(&size.to_string()) {
                return note;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no checkpoint of {size} records at {url}");
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// Rewrites record seq 2 of the SQLite ledger in `data` (a different choice), re-hashes the
/// chain after it and moves the recorded head: what an operator holding the database can do.
fn rewrite_history(data: &Path) {
    let script = format!(
        r#"
import importlib.util, hashlib, json, sqlite3
spec = importlib.util.spec_from_file_location("v", {verifier:?})
v = importlib.util.module_from_spec(spec); spec.loader.exec_module(v)
db = sqlite3.connect({db:?})
cols = "id, chain_id, seq, recorded_at_ms, expires_at_ms, site, revision, language, action, categories, services, previous_receipt, gpc, ip_prefix, ua_family, prev_hash, hash"
rows = db.execute("SELECT " + cols + " FROM consent_records ORDER BY seq").fetchall()
prev = None
for row in rows:
    r = dict(zip([c.strip() for c in cols.split(",")], row))
    if r["seq"] == 2:
        r["action"], r["categories"] = "accept_all", json.dumps({{"analytics": True, "functional": True, "marketing": True, "necessary": True}})
    if prev is not None:
        r["prev_hash"] = prev
    record = {{"id": r["id"], "chain_id": r["chain_id"], "seq": r["seq"], "recorded_at_ms": r["recorded_at_ms"],
        "expires_at_ms": r["expires_at_ms"], "prev_hash": r["prev_hash"],
        "choice": {{"site": r["site"], "revision": r["revision"], "language": r["language"], "action": r["action"],
            "categories": json.loads(r["categories"]), "services": json.loads(r["services"]),
            "previous_receipt": r["previous_receipt"], "gpc": bool(r["gpc"])}},
        "context": {{"ip_prefix": r["ip_prefix"], "ua_family": r["ua_family"]}}}}
    new_hash = hashlib.sha256(v.encode(record)).hexdigest()
    if r["seq"] >= 2:
        db.execute("UPDATE consent_records SET action = ?, categories = ?, prev_hash = ?, hash = ? WHERE id = ?",
                   (r["action"], r["categories"], r["prev_hash"], new_hash, r["id"]))
    prev = new_hash
db.execute("UPDATE ledger_chains SET head_hash = ?", (prev,))
db.commit()
"#,
        verifier = kapsel_testkit::repo_root()
            .join("docs/ledger-verify.py")
            .display()
            .to_string(),
        db = data.join("kapsel.db").display().to_string(),
    );
    let status = Command::new("python3")
        .args(["-c", &script])
        .status()
        .unwrap();
    assert!(status.success(), "the rewrite failed");
}

#[tokio::test]
async fn a_kept_checkpoint_catches_every_tampering_of_an_export() {
    let backend = Backend::sqlite();
    let Backend::Sqlite { dir: data } = &backend else {
        unreachable!()
    };
    let server = Server::start_with_env(
        EXAMPLE,
        &backend.flags(),
        &[("KAPSEL_SIGNING__CHECKPOINT_INTERVAL_S", "1")],
    );
    server.wait_healthy().await;
    record(&server, 5).await;
    // An outsider fetches the head and the keys while the server runs.
    let chain = std::fs::read_to_string(data.path().join("instance-id")).unwrap();
    let chain = chain.trim();
    let url = server.url(&format!("/v1/checkpoints/{chain}"));
    let note = checkpoint_at(&url, 5).await;
    let keys = reqwest::get(server.url("/.well-known/kapsel/keys"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let flags = backend.flags();
    let data_flag = [flags[0].as_str(), flags[1].as_str()];
    let (code, out) = run(&[&["ledger", "verify", "--checkpoint", &url], &data_flag[..]].concat());
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("consistent with the checkpoint of 5 records"),
        "{out}"
    );
    assert!(server.terminate().success());

    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let cp = write(dir, "checkpoint.txt", &note);
    let keys = write(dir, "keys.json", &keys);
    let export = dir.join("all.jsonl").display().to_string();
    let (code, out) = run(&[&["ledger", "export", "--out", &export], &data_flag[..]].concat());
    assert_eq!(code, 0, "{out}");
    let intact = std::fs::read_to_string(&export).unwrap();
    let lines: Vec<&str> = intact.lines().collect();
    assert_eq!(lines.len(), 6, "five records and the trailer");
    let (records, trailer) = (&lines[..5], lines[5]);
    let join = |parts: &[&str]| parts.iter().map(|l| format!("{l}\n")).collect::<String>();

    rewrite_history(data.path());
    let rewritten = dir.join("rewritten.jsonl").display().to_string();
    let (code, out) = run(&[&["ledger", "export", "--out", &rewritten], &data_flag[..]].concat());
    assert_eq!(code, 0, "{out}");
    // The operator's key signs the rewritten history too: alone, the file looks fine.
    let (code, out) = run(&["ledger", "verify", "--file", &rewritten, "--keys", &keys]);
    assert_eq!(code, 0, "a re-signed rewrite verifies on its own: {out}");

    let cases: Vec<(&str, String)> = vec![
        ("a changed field", {
            let mut edited: Vec<String> = records.iter().map(|l| (*l).to_owned()).collect();
            edited[1] = edited[1]
                .replace("\"reject_all\"", "\"accept_all\"")
                .replace("\"custom\"", "\"accept_all\"");
            format!(
                "{}{trailer}\n",
                join(&edited.iter().map(String::as_str).collect::<Vec<_>>())
            )
        }),
        (
            "a deleted record",
            format!(
                "{}{trailer}\n",
                join(&[records[0], records[2], records[3], records[4]])
            ),
        ),
        (
            "reordered records",
            format!(
                "{}{trailer}\n",
                join(&[records[0], records[2], records[1], records[3], records[4]])
            ),
        ),
        (
            "a truncated end",
            format!("{}{trailer}\n", join(&records[..4])),
        ),
        ("no trailer", join(records)),
        ("an empty file", String::new()),
        (
            "a rewritten history, re-signed",
            std::fs::read_to_string(&rewritten).unwrap(),
        ),
    ];
    let intact_path = write(dir, "intact.jsonl", &intact);
    let (code, out) = run(&[
        "ledger",
        "verify",
        "--file",
        &intact_path,
        "--checkpoint",
        &cp,
        "--keys",
        &keys,
    ]);
    assert_eq!(code, 0, "intact: {out}");
    if let Some((code, out)) = python(&["--checkpoint", &cp, "--keys", &keys, &intact_path]) {
        assert_eq!(code, 0, "intact, Python: {out}");
    }
    for (name, text) in &cases {
        let path = write(dir, "case.jsonl", text);
        let (code, out) = run(&[
            "ledger",
            "verify",
            "--file",
            &path,
            "--checkpoint",
            &cp,
            "--keys",
            &keys,
        ]);
        assert_eq!(code, 1, "verify --file --checkpoint missed {name}: {out}");
        assert!(out.contains("BROKEN"), "{name}: {out}");
        if let Some((code, out)) = python(&["--checkpoint", &cp, "--keys", &keys, &path]) {
            assert_eq!(code, 1, "ledger-verify.py missed {name}: {out}");
            assert!(out.contains("BROKEN"), "{name}, Python: {out}");
        }
    }
    backend.finish().await;
}

#[tokio::test]
async fn repair_acknowledges_a_cut_end_and_rewrites_nothing() {
    let backend = Backend::sqlite();
    let Backend::Sqlite { dir: data } = &backend else {
        unreachable!()
    };
    let server = Server::start(EXAMPLE, &backend.flags());
    server.wait_healthy().await;
    record(&server, 4).await;
    assert!(server.terminate().success());
    let flags = backend.flags();
    let data_flag = [flags[0].as_str(), flags[1].as_str()];
    let cut = "import sqlite3, sys\ndb = sqlite3.connect(sys.argv[1])\n\
               db.execute('DELETE FROM consent_records WHERE seq >= 3')\ndb.commit()\n";
    let db = data.path().join("kapsel.db").display().to_string();
    assert!(
        Command::new("python3")
            .args(["-c", cut, &db])
            .status()
            .unwrap()
            .success()
    );
    let (code, out) = run(&[&["ledger", "verify"], &data_flag[..]].concat());
    assert_eq!(code, 1, "{out}");
    let (code, out) = run(&[&["ledger", "repair"], &data_flag[..]].concat());
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("gap of seq 3..4"), "{out}");
    let (code, out) = run(&[&["ledger", "verify"], &data_flag[..]].concat());
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("intact with an acknowledged gap of seq 3..4 signed at"),
        "{out}"
    );
    // Repairing again appends nothing new.
    let (_, out) = run(&[&["ledger", "repair"], &data_flag[..]].concat());
    assert!(out.contains("0 gap(s) acknowledged"), "{out}");

    // The writer resumes after the acknowledged gap, never reusing 3 or 4.
    let server = Server::start(EXAMPLE, &backend.flags());
    server.wait_healthy().await;
    record(&server, 2).await;
    assert!(server.terminate().success());
    let seqs = "import sqlite3, sys\ndb = sqlite3.connect(sys.argv[1])\n\
                print([r[0] for r in db.execute('SELECT seq FROM consent_records ORDER BY seq')])\n";
    let listed = Command::new("python3")
        .args(["-c", seqs, &db])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout).trim(),
        "[1, 2, 5, 6]"
    );
    let (code, out) = run(&[&["ledger", "verify"], &data_flag[..]].concat());
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("ok, 4 records") && out.contains("acknowledged gap of seq 3..4"),
        "{out}"
    );

    // An export carries the acknowledgement; both file verifiers walk across it.
    let work = tempfile::tempdir().unwrap();
    let export = work.path().join("all.jsonl").display().to_string();
    let (code, out) = run(&[&["ledger", "export", "--out", &export], &data_flag[..]].concat());
    assert_eq!(code, 0, "{out}");
    let (code, out) = run(&["ledger", "verify", "--file", &export]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("acknowledged gap of seq 3..4"), "{out}");
    if let Some((code, out)) = python(&[&export]) {
        assert_eq!(code, 0, "Python: {out}");
        assert!(
            out.contains("acknowledged gap of seq 3..4"),
            "Python: {out}"
        );
    }
    // Without the acknowledgement, or with an edited one, the gap is a break again.
    let text = std::fs::read_to_string(&export).unwrap();
    let (body, trailer) = text.trim_end().rsplit_once('\n').unwrap();
    let mut parsed: serde_json::Value = serde_json::from_str(trailer).unwrap();
    let gaps = &mut parsed["kapsel_export_trailer"]["gaps"];
    assert_eq!(gaps.as_array().map(Vec::len), Some(1), "{trailer}");
    let note = gaps[0].as_str().unwrap().to_owned();
    for (name, replacement, said) in [
        (
            "the same acknowledgement",
            json!([note.clone()]),
            "ok, 4 records",
        ),
        ("no acknowledgement", json!([]), "sequence gap"),
        (
            "an edited acknowledgement",
            json!([note.replace("time-ms", "time-ms 1")]),
            "gap acknowledgement",
        ),
    ] {
        parsed["kapsel_export_trailer"]["gaps"] = replacement;
        let path = write(work.path(), "case.jsonl", &format!("{body}\n{parsed}\n"));
        let (code, out) = run(&["ledger", "verify", "--file", &path]);
        assert!(out.contains(said), "{name}: {out}");
        if said.starts_with("ok") {
            assert_eq!(code, 0, "{name}: {out}");
            continue;
        }
        assert_eq!(code, 1, "{name}: {out}");
        if let Some((code, out)) = python(&[&path]) {
            assert_eq!(code, 1, "{name}, Python: {out}");
        }
    }
    // A record removed after the gap is not covered by it.
    let cut = "import sqlite3, sys\ndb = sqlite3.connect(sys.argv[1])\n\
               db.execute('DELETE FROM consent_records WHERE seq = 5')\ndb.commit()\n";
    assert!(
        Command::new("python3")
            .args(["-c", cut, &db])
            .status()
            .unwrap()
            .success()
    );
    let (code, out) = run(&[&["ledger", "verify"], &data_flag[..]].concat());
    assert_eq!(code, 1, "{out}");
    backend.finish().await;
}
