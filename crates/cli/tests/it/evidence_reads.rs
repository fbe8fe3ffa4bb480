//! Reading the ledger as evidence (issue 11, defect 11, on the real binary): `kapsel ledger
//! verify --data` opens a read-only copy (directory 0555, files 0444) and creates nothing in it
//! — no `-wal`, no `-shm` — whether the server stopped cleanly or was killed and left its WAL
//! (with or without its `-shm`), and it still reads what the WAL holds. One unreadable row no
//! longer blocks an export: the rest is exported, the row is named, the exit code is 1.
//! (The test runs as root in CI, where permissions do not stop a write: what it checks is that
//! no file appears and none changes.)

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::SystemTime;

use super::harness::{Backend, EXAMPLE, Server, kapsel};
use super::ledger_support::{raw, record};

/// Each file's length and modification time.
fn snapshot(dir: &Path) -> BTreeMap<String, (u64, SystemTime)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            (
                entry.file_name().to_string_lossy().into_owned(),
                (meta.len(), meta.modified().unwrap()),
            )
        })
        .collect()
}

/// Copies the files of `from` named by `keep` into a fresh directory made read-only.
fn read_only_copy(from: &Path, keep: impl Fn(&str) -> bool) -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().unwrap().is_file() && keep(&name) {
            let target = copy.path().join(&name);
            std::fs::copy(entry.path(), &target).unwrap();
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o444)).unwrap();
        }
    }
    std::fs::set_permissions(copy.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    copy
}

fn verify_data(dir: &Path) -> (i32, String) {
    let output = kapsel(&[
        "ledger".into(),
        "verify".into(),
        "--data".into(),
        dir.display().to_string(),
    ]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

/// Verifies `copy` and checks that it is left exactly as it was; then makes it removable.
fn verifies_untouched(copy: tempfile::TempDir, records: usize) -> String {
    let before = snapshot(copy.path());
    let (code, text) = verify_data(copy.path());
    let after = snapshot(copy.path());
    std::fs::set_permissions(copy.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(code, 0, "{text}");
    assert!(text.contains(&format!("ok, {records} records")), "{text}");
    assert_eq!(
        before, after,
        "verify changed the evidence directory: {text}"
    );
    assert!(
        !after
            .keys()
            .any(|f| f.ends_with("-wal") && !before.contains_key(f))
    );
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_opens_a_read_only_copy_and_creates_nothing_in_it() {
    let data = tempfile::tempdir().unwrap();
    let flags = vec!["--data".to_owned(), data.path().display().to_string()];
    let server = Server::start(EXAMPLE, &flags);
    server.wait_healthy().await;
    record(&server, 4).await;
    assert!(server.terminate().success());
    let copy = read_only_copy(data.path(), |_| true);
    assert!(
        !snapshot(copy.path()).keys().any(|f| f.ends_with("-wal")),
        "a clean stop leaves no WAL"
    );
    verifies_untouched(copy, 4);

    // Killed: the WAL holds records the database file does not have yet.
    let server = Server::start(EXAMPLE, &flags);
    server.wait_healthy().await;
    record(&server, 3).await;
    // Beside the running server: read through its WAL, no file added.
    let before: Vec<String> = snapshot(data.path()).into_keys().collect();
    let (code, text) = verify_data(data.path());
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("ok, 7 records"), "{text}");
    assert_eq!(
        snapshot(data.path()).into_keys().collect::<Vec<_>>(),
        before
    );
    server.kill_9();
    let names: Vec<String> = snapshot(data.path()).into_keys().collect();
    assert!(names.iter().any(|f| f == "kapsel.db-wal"), "{names:?}");
    // With its index, and without it (an auditor handed the database and its WAL only).
    verifies_untouched(read_only_copy(data.path(), |_| true), 7);
    let text = verifies_untouched(read_only_copy(data.path(), |f| !f.ends_with("-shm")), 7);
    assert!(text.contains("private copy"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_unreadable_row_is_named_and_the_rest_is_exported() {
    let backend = Backend::sqlite();
    let server = Server::start(EXAMPLE, &backend.flags());
    server.wait_healthy().await;
    let receipts = record(&server, 5).await;
    assert!(server.terminate().success());
    let broken_id = receipts[2]["id"].as_str().unwrap();
    raw(
        &backend,
        &format!("UPDATE consent_records SET categories = 'not json' WHERE id = '{broken_id}'"),
    )
    .await;

    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("export.jsonl");
    let mut args = vec![
        "ledger".to_owned(),
        "export".to_owned(),
        "--out".to_owned(),
        file.display().to_string(),
    ];
    args.extend(backend.flags());
    let output = kapsel(&args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("UNREADABLE: stored record {broken_id}")),
        "{stderr}"
    );
    assert!(stderr.contains("1 unreadable row(s)"), "{stderr}");
    let exported = std::fs::read_to_string(&file).unwrap();
    for receipt in receipts.iter().filter(|r| r["id"] != broken_id) {
        assert!(
            exported.contains(receipt["id"].as_str().unwrap()),
            "{exported}"
        );
    }
    assert!(!exported.contains(broken_id));

    // verify names the row where it breaks its chain.
    let (code, text) = verify_data(match &backend {
        Backend::Sqlite { dir } => dir.path(),
        Backend::Postgres(_) => unreachable!(),
    });
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains(&format!("record seq 3 (receipt {broken_id})"))
            && text.contains("cannot be read"),
        "{text}"
    );
    backend.finish().await;
}
