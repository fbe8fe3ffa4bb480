//! The review commands as a privacy lead meets them: `check` warns about `necessary` used as an
//! escape hatch and about services no activity covers (and fails on warnings only with
//! `--deny-warnings`); `suggest` passes on both shipped examples and counts acknowledged flags;
//! `diff --exit-code` tells CI whether anything changed for visitors.

use std::process::{Command, Output};

use super::harness::{EXAMPLE, KAPSEL};

const NTE_LIKE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/nte-like.toml");

fn run(args: &[&str]) -> Output {
    Command::new(KAPSEL).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The NTE-like example with Segment moved to `necessary`, as the trial did.
fn segment_necessary(dir: &tempfile::TempDir) -> String {
    let source = std::fs::read_to_string(NTE_LIKE).unwrap();
    let start = source.find("id = \"segment\"").unwrap();
    let category = start + source[start..].find("category = \"analytics\"").unwrap();
    let mut changed = source.clone();
    changed.replace_range(
        category..category + "category = \"analytics\"".len(),
        "category = \"necessary\"\njustification = { nb = \"Trengs.\", nn = \"Trengst.\", en = \"Needed.\" }",
    );
    let path = dir.path().join("segment-necessary.toml");
    std::fs::write(&path, changed).unwrap();
    path.display().to_string()
}

#[test]
fn both_examples_pass_check_and_suggest_without_a_word() {
    for file in [EXAMPLE, NTE_LIKE] {
        let check = run(&["check", "--deny-warnings", file]);
        assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));
        assert_eq!(text(&check.stderr), "", "{file}");
        let suggest = run(&["suggest", "--config", file]);
        assert_eq!(suggest.status.code(), Some(0), "{}", text(&suggest.stdout));
        assert_eq!(text(&suggest.stdout), "", "{file}");
        assert!(
            text(&suggest.stderr).contains(" 0 flagged, "),
            "{}",
            text(&suggest.stderr)
        );
    }
}

#[test]
fn segment_declared_necessary_is_warned_about_by_check_and_flagged_by_suggest() {
    let dir = tempfile::tempdir().unwrap();
    let file = segment_necessary(&dir);
    let check = run(&["check", &file]);
    assert_eq!(check.status.code(), Some(0), "warnings alone do not fail");
    let stderr = text(&check.stderr);
    assert!(
        stderr.contains(": warning: service `segment` is declared necessary, but `ajs_anonymous_id` is Segment (analytics) in the catalogue: it needs consent"),
        "{stderr}"
    );
    assert!(stderr.contains("acknowledge.necessary"), "{stderr}");
    assert_eq!(
        run(&["check", "--deny-warnings", &file]).status.code(),
        Some(1)
    );

    let suggest = run(&["suggest", "--config", &file]);
    assert_eq!(suggest.status.code(), Some(1));
    assert!(text(&suggest.stdout).contains("service `segment` is declared necessary"));
}

#[test]
fn diff_exit_code_says_whether_anything_changed() {
    let same = run(&["diff", "--exit-code", NTE_LIKE, NTE_LIKE]);
    assert_eq!(same.status.code(), Some(0), "{}", text(&same.stdout));
    assert!(
        !text(&same.stdout).contains("  - "),
        "{}",
        text(&same.stdout)
    );
    let plain = run(&["diff", NTE_LIKE, NTE_LIKE]);
    assert_eq!(plain.status.code(), Some(0));

    let dir = tempfile::tempdir().unwrap();
    let source = std::fs::read_to_string(NTE_LIKE).unwrap();
    let changed = source.replacen(
        "name = \"_sctr\"\nparty = \"first\"\nduration = \"1 year\"",
        "name = \"_sctr\"\nparty = \"first\"\nduration = \"2 years\"",
        1,
    );
    assert_ne!(changed, source);
    let path = dir.path().join("changed.toml");
    std::fs::write(&path, changed).unwrap();
    let different = run(&[
        "diff",
        "--exit-code",
        "--lang",
        "en",
        NTE_LIKE,
        path.to_str().unwrap(),
    ]);
    assert_eq!(different.status.code(), Some(1));
    assert_eq!(
        text(&different.stdout),
        "www:\n  - New duration for the cookie _sctr from Snap Pixel: 2 years (before: 1 year).\n"
    );
}

#[tokio::test]
async fn logs_without_a_terminal_have_no_colours_and_exports_take_dates() {
    let backend = super::harness::Backend::sqlite();
    let server = super::harness::Server::start(EXAMPLE, &backend.flags());
    server.wait_healthy().await;
    let log = server.stderr();
    assert!(!log.is_empty(), "the server logs its start");
    assert!(
        !log.contains('\u{1b}'),
        "ANSI escapes in a log file:\n{log:?}"
    );
    assert!(server.terminate().success());

    let mut args: Vec<String> = [
        "ledger",
        "export",
        "--since",
        "2026-12-01",
        "--until",
        "2026-12-31",
    ]
    .map(str::to_owned)
    .to_vec();
    args.extend(backend.flags());
    let output = super::harness::kapsel(&args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let mut bad: Vec<String> = ["ledger", "export", "--since", "1 December"]
        .map(str::to_owned)
        .to_vec();
    bad.extend(backend.flags());
    let output = super::harness::kapsel(&bad);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("Europe/Oslo"),
        "{}",
        text(&output.stderr)
    );
}
