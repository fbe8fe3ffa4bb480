//! `kapsel outbox` on the real binary: without SMTP a test message is kept after `send`,
//! listed as kept, and written as an `.eml` whose headers say the right To and Subject; with
//! `[mail] smtp_url` pointing at a real SMTP server the test starts (Python's aiosmtpd, writing
//! a Maildir), `send` delivers it and the Maildir holds it; a recipient carrying a CR/LF header
//! injection is refused with a failing exit code and nothing is enqueued.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::harness::{Backend, kapsel};

const TO: &str = "kari.nordmann@example.no";
const INJECTED: &str = "a@example.no\r\nBcc: x@example.no";

/// `kapsel outbox ARGS… <backend flags> [EXTRA…]`: exit code, stdout and stderr.
fn outbox(args: &[&str], backend: &Backend, extra: &[String]) -> (i32, String, String) {
    let mut all: Vec<String> = ["outbox"]
        .iter()
        .chain(args)
        .map(|s| (*s).to_owned())
        .collect();
    all.extend(backend.flags());
    all.extend_from_slice(extra);
    let output = kapsel(&all);
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The rows of `kapsel outbox list` (without its header line), each split into its columns.
fn listed(backend: &Backend) -> Vec<Vec<String>> {
    let (code, out, err) = outbox(&["list"], backend, &[]);
    assert_eq!(code, 0, "{out}{err}");
    let mut lines = out.lines();
    let header = lines.next().unwrap_or_default();
    assert!(
        header.starts_with("id") && header.contains("attempts"),
        "{out}"
    );
    lines
        .map(|line| {
            line.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(String::from)
                .collect()
        })
        .collect()
}

/// The header fields of an RFC 5322 message (folded lines unfolded), in order.
fn headers(message: &str) -> Vec<(String, String)> {
    let (head, _body) = message
        .split_once("\r\n\r\n")
        .expect("a blank line ends the headers");
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            fields
                .last_mut()
                .expect("a continuation follows a field")
                .1
                .push_str(line);
        } else {
            let (name, value) = line.split_once(':').expect("name: value");
            fields.push((name.to_owned(), value.trim().to_owned()));
        }
    }
    fields
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    fields
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect()
}

fn queue_test_message(backend: &Backend, extra: &[String]) -> String {
    let (code, out, err) = outbox(&["test-message", "--to", TO], backend, extra);
    assert_eq!(code, 0, "{out}{err}");
    out.split_whitespace()
        .nth(1)
        .expect("queued ID to ADDR")
        .to_owned()
}

async fn kept_without_smtp_then_written_as_eml(backend: &Backend) {
    let id = queue_test_message(backend, &[]);
    let rows = listed(backend);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (&rows[0][0], &rows[0][2], &rows[0][3], &rows[0][4]),
        (
            &id,
            &TO.to_owned(),
            &"Kapsel test message".to_owned(),
            &"queued".to_owned()
        )
    );

    let (code, out, err) = outbox(&["send"], backend, &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("sent 0, failed 0 (retried later), dead 0, kept 1"),
        "{out}"
    );
    let rows = listed(backend);
    assert_eq!(
        (&rows[0][0], rows[0][4].as_str(), rows[0][5].as_str()),
        (&id, "kept", "0")
    );
    let (_, kept, _) = outbox(&["list", "--state", "kept"], backend, &[]);
    assert!(kept.contains(&id), "{kept}");
    let (_, sent, _) = outbox(&["list", "--state", "sent"], backend, &[]);
    assert!(!sent.contains(&id), "{sent}");

    let out_dir = tempfile::tempdir().unwrap();
    let flag = ["--out".to_owned(), out_dir.path().display().to_string()];
    let (code, out, err) = outbox(&["write"], backend, &flag);
    assert_eq!(code, 0, "{out}{err}");
    let path = out_dir.path().join(format!("{id}.eml"));
    assert_eq!(out.trim(), path.display().to_string());
    let written: Vec<_> = std::fs::read_dir(out_dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(written.len(), 1, "no temporary file is left: {written:?}");
    let eml = std::fs::read_to_string(&path).unwrap();
    let fields = headers(&eml);
    assert_eq!(field(&fields, "To"), [TO], "{eml}");
    assert_eq!(field(&fields, "Subject"), ["Kapsel test message"], "{eml}");
    assert_eq!(
        field(&fields, "From"),
        ["Kapsel <kapsel@kapsel.invalid>"],
        "{eml}"
    );
    assert_eq!(field(&fields, "MIME-Version"), ["1.0"], "{eml}");
    let message_id = field(&fields, "Message-ID");
    assert!(
        message_id.len() == 1 && message_id[0].ends_with("@kapsel.invalid>"),
        "{eml}"
    );
    assert!(field(&fields, "Bcc").is_empty(), "{eml}");

    if let Backend::Sqlite { dir } = backend {
        let (code, out, err) = outbox(&["write"], backend, &[]);
        assert_eq!(code, 0, "{out}{err}");
        let default = dir.path().join("outbox").join(format!("{id}.eml"));
        assert_eq!(
            std::fs::read_to_string(default).unwrap(),
            eml,
            "the same bytes"
        );
    }
}

async fn injected_recipients_are_refused_and_nothing_is_enqueued(backend: &Backend) {
    let before = queue_test_message(backend, &[]);
    for to in [
        INJECTED,
        "a@example.no\nBcc: x@example.no",
        "Kari <a@example.no>, x@example.no",
    ] {
        let (code, out, err) = outbox(&["test-message", "--to", to], backend, &[]);
        assert_ne!(code, 0, "{to:?} was accepted: {out}{err}");
        assert!(err.contains("the recipient (To)"), "{to:?}: {err}");
    }
    let rows = listed(backend);
    assert_eq!(rows.len(), 1, "only the first message: {rows:?}");
    assert_eq!(rows[0][0], before);
}

/// A free loopback port (bound, read, released).
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// aiosmtpd, killed when dropped.
struct SmtpServer {
    child: Child,
    port: u16,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every message aiosmtpd's `Mailbox` handler delivered into the Maildir `maildir`, joined.
fn delivered(maildir: &Path) -> String {
    let Ok(entries) = std::fs::read_dir(maildir.join("new")) else {
        return String::new();
    };
    let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    files.sort();
    files
        .iter()
        .map(|file| std::fs::read_to_string(file).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Starts aiosmtpd on loopback delivering into the Maildir `maildir`; `None` (skipped loudly)
/// without it.
async fn start_aiosmtpd(maildir: &Path) -> Option<SmtpServer> {
    let ready = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|s| s.success());
    if !ready {
        kapsel_testkit::skip(
            "the outbox's SMTP delivery test",
            "python3 with aiosmtpd is missing (pip install aiosmtpd; scripts/test.sh does)",
        );
        return None;
    }
    let port = free_port();
    let child = Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(maildir)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let server = SmtpServer { child, port };
    for _ in 0..200 {
        if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return Some(server);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("aiosmtpd did not listen on 127.0.0.1:{port} within 10 s");
}

async fn delivered_to_a_real_smtp_server(backend: &Backend) {
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("maildir");
    let Some(smtp) = start_aiosmtpd(&maildir).await else {
        return;
    };
    let settings = dir.path().join("settings.toml");
    std::fs::write(
        &settings,
        format!(
            "[mail]\nsmtp_url = \"smtp://127.0.0.1:{}\"\nfrom = \"Kapsel personvern <personvern@example.no>\"\ntimeout_s = 5\n",
            smtp.port
        ),
    )
    .unwrap();
    let with_smtp = ["--settings".to_owned(), settings.display().to_string()];
    let id = queue_test_message(backend, &with_smtp);

    let (code, out, err) = outbox(&["send"], backend, &with_smtp);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("sent 1, failed 0 (retried later), dead 0, kept 0"),
        "{out}{err}"
    );
    let rows = listed(backend);
    assert_eq!(
        (&rows[0][0], rows[0][4].as_str(), rows[0][5].as_str()),
        (&id, "sent", "1")
    );

    let delivered = delivered(&maildir);
    let message = delivered.replace("\r\n", "\n");
    assert_eq!(
        message.matches("Subject: Kapsel test message\n").count(),
        1,
        "{delivered}"
    );
    assert!(message.contains(&format!("To: {TO}\n")), "{delivered}");
    assert!(
        message.contains("From: \"Kapsel personvern\" <personvern@example.no>\n"),
        "{delivered}"
    );
    // The envelope's one recipient, as aiosmtpd recorded it.
    assert_eq!(message.matches("X-RcptTo: ").count(), 1, "{delivered}");
    assert!(
        message.contains(&format!("X-RcptTo: {TO}\n")),
        "{delivered}"
    );
    assert!(
        message.contains("This is a test message from Kapsel."),
        "{delivered}"
    );

    // Sent once: a second round has nothing due.
    let (code, out, _) = outbox(&["send"], backend, &with_smtp);
    assert_eq!(code, 0);
    assert!(
        out.contains("sent 0, failed 0 (retried later), dead 0, kept 0"),
        "{out}"
    );
    let again = self::delivered(&maildir);
    assert_eq!(
        again.matches("Subject: Kapsel test message").count(),
        1,
        "{again}"
    );

    // A relay that is gone fails the attempt, to be retried, and exits non-zero.
    drop(smtp);
    queue_test_message(backend, &with_smtp);
    let (code, out, err) = outbox(&["send"], backend, &with_smtp);
    assert_ne!(code, 0, "{out}{err}");
    assert!(
        out.contains("sent 0, failed 1 (retried later), dead 0, kept 0"),
        "{out}{err}"
    );
    let (_, failed, _) = outbox(&["list", "--state", "failed"], backend, &[]);
    assert_eq!(failed.lines().count(), 2, "{failed}");
}

macro_rules! on_both_backends {
    ($($case:ident),+ $(,)?) => {
        $(
            mod $case {
                #[tokio::test]
                async fn sqlite() {
                    let backend = super::Backend::sqlite();
                    super::$case(&backend).await;
                    backend.finish().await;
                }

                #[tokio::test]
                async fn postgres() {
                    let Some(backend) = super::Backend::postgres(concat!("outbox_", stringify!($case))).await else {
                        return;
                    };
                    super::$case(&backend).await;
                    backend.finish().await;
                }
            }
        )+
    };
}

on_both_backends!(
    kept_without_smtp_then_written_as_eml,
    injected_recipients_are_refused_and_nothing_is_enqueued,
    delivered_to_a_real_smtp_server,
);
