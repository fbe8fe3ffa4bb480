//! Running the real `kapsel` binary: `kapsel serve` on 127.0.0.1:0 with its address read from
//! the `kapsel listening on http://ADDR` line, stopped by SIGKILL or SIGTERM; and the backends
//! a test can run on (SQLite always, PostgreSQL when `KAPSEL_TEST_DATABASE_URL` is set, in a
//! fresh schema from `kapsel_testkit`).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use kapsel_testkit::PgSchema;
use tokio::time::Instant;

/// The example privacy file, as every crate's tests use it.
pub use kapsel_testkit::EXAMPLE;

pub const KAPSEL: &str = env!("CARGO_BIN_EXE_kapsel");

/// Where a test keeps its data: a SQLite data directory, or a fresh PostgreSQL schema.
pub enum Backend {
    Sqlite { dir: tempfile::TempDir },
    Postgres(PgSchema),
}

impl Backend {
    pub fn sqlite() -> Backend {
        Backend::Sqlite {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A fresh schema on the test PostgreSQL, or `None` (with a loud SKIP line) when
    /// `KAPSEL_TEST_DATABASE_URL` is unset; with `KAPSEL_REQUIRE_ALL=1` that is a failure.
    pub async fn postgres(test: &str) -> Option<Backend> {
        PgSchema::create(test).await.map(Backend::Postgres)
    }

    /// The `--data DIR` or `--database-url URL` flags for this backend.
    pub fn flags(&self) -> Vec<String> {
        match self {
            Backend::Sqlite { dir } => vec!["--data".into(), dir.path().display().to_string()],
            Backend::Postgres { .. } => {
                vec!["--database-url".into(), self.url().unwrap_or_default()]
            }
        }
    }

    /// The PostgreSQL URL with the test schema as search path.
    pub fn url(&self) -> Option<String> {
        match self {
            Backend::Sqlite { .. } => None,
            Backend::Postgres(schema) => Some(schema.url()),
        }
    }

    /// Opens the same store the binary uses.
    pub async fn open(&self) -> kapsel_store::Store {
        match self {
            Backend::Sqlite { dir } => kapsel_store::Store::open_data_dir(dir.path())
                .await
                .unwrap(),
            Backend::Postgres { .. } => kapsel_store::Store::open_postgres(&self.url().unwrap())
                .await
                .unwrap(),
        }
    }

    /// Drops the PostgreSQL schema (the SQLite directory goes with the value).
    pub async fn finish(self) {
        if let Backend::Postgres(schema) = self {
            schema.drop_schema().await;
        }
    }
}

/// A running `kapsel serve`.
pub struct Server {
    pub base: String,
    child: Child,
    stderr_log: PathBuf,
    _log_dir: tempfile::TempDir,
}

impl Server {
    /// Starts `kapsel serve --config FILE <extra…> --listen 127.0.0.1:0` and waits for its line.
    pub fn start(config: &str, extra: &[String]) -> Server {
        Server::start_with_env(config, extra, &[])
    }

    /// [`Server::start`] with these environment variables set as well.
    pub fn start_with_env(config: &str, extra: &[String], env: &[(&str, &str)]) -> Server {
        let log_dir = tempfile::tempdir().unwrap();
        let stderr_log = log_dir.path().join("stderr.log");
        let mut child = Command::new(KAPSEL)
            .arg("serve")
            .args(["--config", config, "--listen", "127.0.0.1:0"])
            .args(extra)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_log).unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let Some(addr) = line.trim().strip_prefix("kapsel listening on http://") else {
            let _ = child.kill();
            panic!(
                "unexpected first line {line:?}; stderr:\n{}",
                std::fs::read_to_string(&stderr_log).unwrap()
            );
        };
        let base = format!("http://{addr}");
        Server {
            base,
            child,
            stderr_log,
            _log_dir: log_dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_log).unwrap_or_default()
    }

    /// Waits (at most 30 s) until `/healthz` answers 200.
    pub async fn wait_healthy(&self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(response) = client.get(self.url("/healthz")).send().await
                && response.status() == 200
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "kapsel serve never became healthy; stderr:\n{}",
            self.stderr()
        );
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill_9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, then waits (at most 30 s) for a graceful exit.
    // reason: a sync poll of a child process in a test; `std::thread::sleep` is what that takes.
    #[allow(clippy::disallowed_methods)]
    pub fn terminate(mut self) -> ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        panic!(
            "kapsel serve did not stop within 30 s of SIGTERM; stderr:\n{}",
            self.stderr()
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `kapsel ARGS…` to completion.
pub fn kapsel(args: &[String]) -> std::process::Output {
    Command::new(KAPSEL)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}
