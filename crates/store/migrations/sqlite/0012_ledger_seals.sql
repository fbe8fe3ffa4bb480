-- The signed seals of removed ledger prefixes (see docs/ledger.md, "Pruning"): when
-- `kapsel ledger prune` removes the records seq 1..=size of a chain, it keeps here, in the same
-- transaction, the signed note stating the chain, size, the hash record `size` had, the proof
-- period and the time. Rows are only ever inserted; a later prune adds a larger size.
CREATE TABLE IF NOT EXISTS ledger_seals (
    chain_id     TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    head_hash    TEXT    NOT NULL,
    sealed_at_ms INTEGER NOT NULL,
    key_id       TEXT    NOT NULL,
    note         TEXT    NOT NULL,
    PRIMARY KEY (chain_id, size)
);

-- Whether a record was superseded is asked of its lineage (the first receipt and every record
-- that replaced it): index the records that belong to one, as 0003 does for previous_receipt.
CREATE INDEX IF NOT EXISTS consent_records_lineage_some ON consent_records (lineage_root)
    WHERE lineage_root IS NOT NULL;
