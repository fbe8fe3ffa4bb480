//! Skipping loudly. A test that cannot run here (no PostgreSQL, no Chromium) says so on stderr
//! with a `SKIP:` line; with `KAPSEL_REQUIRE_ALL=1` (CI) the same situation fails the test.

/// Whether every test must run (CI sets `KAPSEL_REQUIRE_ALL=1`).
pub fn require_all() -> bool {
    std::env::var("KAPSEL_REQUIRE_ALL").is_ok_and(|v| v == "1")
}

/// Skips `what` because of `why`: a loud line, or a panic under `KAPSEL_REQUIRE_ALL=1`.
pub fn skip(what: &str, why: &str) {
    if require_all() {
        panic!("KAPSEL_REQUIRE_ALL=1 but {what} cannot run: {why}");
    }
    eprintln!("\n!!!!!!!! SKIP: {what}: {why} !!!!!!!!\n");
}
