//! The store's one integration-test binary: the conformance story, one module per concern,
//! each case run on SQLite always and on PostgreSQL when `KAPSEL_TEST_DATABASE_URL` is set.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod it {
    pub mod backends;
    pub mod cases;
    pub mod console;
    pub mod desk_work;
    pub mod evidence;
    pub mod gate;
    pub mod head;
    pub mod instance;
    pub mod leases;
    pub mod ledger_read;
    pub mod ledger_write;
    pub mod lineage_heads;
    pub mod links;
    pub mod migrations;
    pub mod outbox;
    pub mod own_data;
    pub mod prune;
    pub mod retention;
    pub mod revisions;
    pub mod signed;
    pub mod verify;
    pub mod writer_health;
}
