//! `kapsel check` as a user meets it: one ok line per site on stdout and exit 0 for a valid file;
//! every problem on stderr and exit 1 for a broken one; exit 2 when a file cannot be read.

use std::process::{Command, Output};

use super::harness::{EXAMPLE, KAPSEL};

const BROKEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../core/tests/fixtures/broken/07-duplicate-ids.toml"
);

fn check(files: &[&str]) -> Output {
    Command::new(KAPSEL)
        .arg("check")
        .args(files)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_valid_file_prints_each_site_and_its_revision() {
    let output = check(&[EXAMPLE]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    for (line, site) in lines.iter().zip(["www", "pamelding", "demo"]) {
        let prefix = format!("{EXAMPLE}: ok (site {site} revision ");
        let revision = line
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(')'));
        let revision = revision.unwrap_or_else(|| panic!("unexpected line {line:?}"));
        assert_eq!(revision.len(), 16, "{line}");
        assert!(
            revision
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
    }
    assert_eq!(text(&output.stderr), "");
}

#[test]
fn a_broken_file_prints_every_problem_and_exits_1() {
    let output = check(&[EXAMPLE, BROKEN]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    let positions: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with(BROKEN))
        .map(|line| line.trim_start_matches(BROKEN))
        .collect();
    assert_eq!(
        positions,
        [
            ":22:6: duplicate site id `www` (first declared on line 12)",
            ":27:6: duplicate category id `analytics` (first declared on line 17)",
            ":43:6: duplicate service id `analyse` (first declared on line 32)",
            ":54:8: service `analyse` declares cookie `_an` twice (first on line 50)",
            ": 4 problems",
        ]
    );
    assert_eq!(
        stderr
            .lines()
            .filter(|line| line.starts_with("  hint: "))
            .count(),
        4
    );
    // The valid file before it is still reported as valid.
    assert_eq!(text(&output.stdout).lines().count(), 3);
}

#[test]
fn an_unreadable_file_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.toml");
    let output = check(&[BROKEN, missing.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("missing.toml: cannot read the file"));
}
