//! One server per SQLite data directory (issue 11, defect 7): a second `kapsel serve` on the
//! same `--data` is refused with a message naming the directory and the holder, before it
//! writes anything, while the first keeps serving; once the first has stopped (even by
//! SIGKILL) the directory is free again.

use std::process::{Command, Stdio};

use super::harness::{EXAMPLE, KAPSEL, Server};
use super::ledger_support::{choice, post, record};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_on_the_same_data_directory_is_refused() {
    let data = tempfile::tempdir().unwrap();
    let flags = vec!["--data".to_owned(), data.path().display().to_string()];
    let first = Server::start(EXAMPLE, &flags);
    first.wait_healthy().await;
    record(&first, 2).await;

    let second = Command::new(KAPSEL)
        .args(["serve", "--config", EXAMPLE, "--listen", "127.0.0.1:0"])
        .args(&flags)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "{stderr}");
    assert!(second.stdout.is_empty(), "it never said it listens");
    assert!(
        stderr.contains("is in use by another Kapsel process"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&data.path().display().to_string()),
        "{stderr}"
    );
    assert!(stderr.contains("pid "), "{stderr}");
    // `kapsel migrate` on the same directory is refused too.
    let migrate = Command::new(KAPSEL)
        .arg("migrate")
        .args(&flags)
        .output()
        .unwrap();
    assert_eq!(migrate.status.code(), Some(1));

    // The first is undisturbed, and after a SIGKILL the directory can be served again.
    let (status, _, _) = post(&first, &choice(3)).await;
    assert_eq!(status, 201);
    first.kill_9();
    let again = Server::start(EXAMPLE, &flags);
    again.wait_healthy().await;
    record(&again, 1).await;
    assert!(again.terminate().success());
}
