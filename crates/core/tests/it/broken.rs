//! Broken privacy files under tests/fixtures/broken, each with its exact problems.
