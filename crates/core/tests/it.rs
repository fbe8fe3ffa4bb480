//! kapsel-core's one integration test binary: the privacy file as a user writes it — the shipped
//! example, broken files with their exact messages and positions, and the site revision.

mod it {
    mod broken;
    mod example;
}
